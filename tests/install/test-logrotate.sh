#!/bin/bash
# The shipped logrotate file, run by the real logrotate (-f, a state file of
# the test's own) on a log the real gateway writes, as the account: the
# rotated records are all kept, once each; the new log is made with the
# account's owner and mode 0640 and the next gateway appends to it; a writer
# that opened the log before the rotation (as a running session's gateway
# holds it) writes into the rotated file, which stays plain until the next
# rotation (delaycompress), and nothing it wrote is lost. Then logrotate -f
# runs again and again while gateways keep writing records, and
# `vmconsole-admin report --log 'sessions.jsonl*'` over the rotated set
# (the log, .1, and the gzip'd .2.gz, .3.gz, ...) counts every record the
# gateways wrote exactly once.
# Usage: test-logrotate.sh GATEWAY LOGROTATE-FILE ADMIN   (TAP; root)
. "$(dirname "$0")/../integration/lib.sh"
need_root
command -v logrotate >/dev/null || { echo "1..0 # SKIP logrotate is not installed"; exit 77; }
GW=$(realpath "$1") SHIPPED=$(realpath "$2") ADMIN=$(realpath "$3")
P=$(vmc_prefix r)
VMC_T_DIR=$(mktemp -d /tmp/vmc-logrotate-XXXXXX)
trap 'exec 3>&-; cleanup_common' EXIT
chmod 0755 "$VMC_T_DIR"
D=$VMC_T_DIR
ACC=${P}gw
add_user "$ACC" && add_user "${P}al" || exit 1
install -d -m 0755 "$D/log" "$D/spicex" && install -d -m 0700 -o "$ACC" "$D/run" &&
    install -m 0640 -o "$ACC" -g root /dev/null "$D/log/sessions.jsonl" || exit 1
LOG=$D/log/sessions.jsonl
GW=$(install_gateway "$GW" "$D") || exit 1
cat > "$D/gateway.conf" <<CONF
[gateway]
socket-pattern = $D/spicex/%s.sock
log = $LOG
run-dir = $D/run
account = $ACC
denied-records-per-minute = 1000
log-reserve = 0
CONF
chmod 0644 "$D/gateway.conf"

# the shipped rules, as they are
check "the shipped file makes the new log the account's, 0640" grep -qE '^\s+create 0640 vmconsole root$' "$SHIPPED"
check "... compresses one rotation late (delaycompress)" grep -qE '^\s+delaycompress$' "$SHIPPED"
check "... never copytruncate (it loses what is written meanwhile)" \
    eval '! grep -v "^[[:space:]]*#" "$SHIPPED" | grep -q copytruncate'
check "... for /var/log/vmconsole/sessions.jsonl" grep -q '^/var/log/vmconsole/sessions.jsonl {$' "$SHIPPED"
# for this test's log and account
sed -e "s|^/var/log/vmconsole/sessions.jsonl {|$LOG {|" \
    -e "s|create 0640 vmconsole root|create 0640 $ACC root|" "$SHIPPED" > "$D/logrotate.conf"
check "the rules, for this test's log and account" grep -q "^$LOG {" "$D/logrotate.conf"

denied() { # denied N: N bad requests through the real gateway, as the account
    local i
    for i in $(seq "$1"); do
        (cd / && SSH_ORIGINAL_COMMAND="debianx --bogus$i" setpriv --reuid="$ACC" --regid="$ACC" \
            --init-groups "$GW" --config "$D/gateway.conf" --identity "${P}al" >/dev/null 2>&1)
        [ $? = 2 ] || return 1
    done
}
lines() { # lines FILE...: JSON records in them (gzip'd or not)
    local f
    for f in "$@"; do
        case $f in *.gz) zcat "$f" ;; *) cat "$f" ;; esac
    done | python3 -c '
import json, sys
n = 0
for line in sys.stdin:
    json.loads(line); n += 1
print(n)'
}
rotate() { logrotate -f -s "$D/state" "$D/logrotate.conf" 2>"$D/logrotate.err"; }

denied 3
ok $? "three denied records written by the gateway"
exec 3>>"$LOG"   # a session's gateway holds the log from its start record on
echo '{"v":1,"event":"start","session":"held"}' >&3
rotate
ok $? "logrotate -f exits 0 ($(head -c 300 "$D/logrotate.err"))"
check "the old log is sessions.jsonl.1, plain, with its 4 records" \
    eval '[ -f "$LOG.1" ] && [ "$(lines "$LOG.1")" = 4 ]'
check "a new log is there, empty, the account's, 0640 ($(stat -c '%U:%G %a' "$LOG"))" \
    eval '[ ! -s "$LOG" ] && [ "$(stat -c "%U:%G %a" "$LOG")" = "$ACC:root 640" ]'
echo '{"v":1,"event":"end","session":"held"}' >&3
exec 3>&-
check "the held writer's end record lands in sessions.jsonl.1, still plain" \
    eval '[ "$(lines "$LOG.1")" = 5 ] && grep -q "\"end\",\"session\":\"held\"" "$LOG.1"'
denied 2
ok $? "the gateway appends to the log logrotate made"
check "... two records there" test "$(lines "$LOG")" = 2
rotate
ok $? "a second logrotate -f exits 0"
check "now sessions.jsonl.2.gz holds the first file (5 records), sessions.jsonl.1 the 2" \
    eval '[ "$(lines "$LOG.2.gz")" = 5 ] && [ "$(lines "$LOG.1")" = 2 ]'
check "every record is kept, once: 7 across the set ($(ls "$D/log" | tr '\n' ' '))" \
    test "$(lines "$LOG" "$LOG.1" "$LOG.2.gz")" = 7
# ---- rotations while records are written, then report over the set ----
( n=0
  for i in $(seq 40); do denied 1 && n=$((n + 1)); done
  echo "$n" > "$D/written" ) &
WRITER=$!
ROTATIONS=0 ROTATE_FAILS=0
# at most 8 rotations: the shipped "rotate 24" deletes the files beyond (the
# set would lose its oldest records by design, not by a race)
while kill -0 "$WRITER" 2>/dev/null && [ "$ROTATIONS" -lt 8 ]; do
    if rotate; then ROTATIONS=$((ROTATIONS + 1)); else ROTATE_FAILS=$((ROTATE_FAILS + 1)); fi
done
wait "$WRITER"
WRITTEN=$(cat "$D/written")
check "40 gateways wrote their denied records while logrotate -f ran $ROTATIONS time(s) (failed: $ROTATE_FAILS: $(head -c 200 "$D/logrotate.err"))" \
    eval '[ "$WRITTEN" = 40 ] && [ "$ROTATIONS" -ge 1 ] && [ "$ROTATE_FAILS" = 0 ]'
denied 1
ok $? "and one more after the last rotation"
echo "# the set: $(ls "$D/log" | tr '\n' ' ')"
check "the set has a plain .1 and gzip'd older files" \
    eval '[ -f "$LOG.1" ] && [ -f "$LOG.2.gz" ]'
printf '[gateway]\nlog = %s\nrun-dir = %s/run\n' "$LOG" "$D" > "$D/admin.conf"
"$ADMIN" --config "$D/admin.conf" report --json --log "$LOG*" > "$D/report.json" 2> "$D/report.err"
ok $? "vmconsole-admin report --log 'sessions.jsonl*' reads the rotated set (stderr: $(head -c 200 "$D/report.err"))"
# every denied record in the files, counted by python over the plain and gzip'd files
IN_FILES=$(for f in "$D"/log/sessions.jsonl*; do
    case $f in *.gz) zcat "$f" ;; *) cat "$f" ;; esac
done | python3 -c '
import json, sys
n = 0
for line in sys.stdin:
    try:
        r = json.loads(line)
    except ValueError:
        continue
    n += r.get("event") == "denied"
print(n)')
REPORTED=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["total"]["denied"])' "$D/report.json")
check "every denied record written (3 + 2 + 40 + 1 = 46) is in the files once ($IN_FILES) and report counts each once ($REPORTED)" \
    eval '[ "$IN_FILES" = 46 ] && [ "$REPORTED" = 46 ]'
check "report found no record in two files (no duplicates said)" eval '! grep -q "more than one" "$D/report.err"'
finish
