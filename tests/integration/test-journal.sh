#!/bin/bash
# Each record reaches the journal with its fields: the real gateway writes
# records while a real systemd-journald runs in a private mount namespace
# (its sockets on a tmpfs over /run/systemd, its files on a tmpfs over
# /run/log; the host's journal, if any, is not touched), and
# `journalctl -o json` reads the fields back: VMCONSOLE_EVENT, _HOST,
# _SESSION, _IDENTITY, _VM, _REASON, _BYTES (end), SYSLOG_IDENTIFIER,
# PRIORITY, MESSAGE. A record the file could not take (a full disk) still
# reaches the journal, saying so at PRIORITY 4. Where no journal socket is
# there, the summary goes to syslog (/dev/log) as before.
# Central logging: rsyslogd with the shipped data/central-logging/
# rsyslog-vmconsole.conf (its forward to the central host made a file here)
# reads the same journal through imjournal and writes one JSON line per
# record with the fields (skipped with a note when rsyslogd is not there;
# VMC_T_RSYSLOGD and VMC_T_RSYSLOG_MODULES name another one).
# journald's forwarding: systemd-journal-upload sends that journal to a
# systemd-journal-remote (over plain HTTP on loopback here; the shipped
# journal-upload example uses HTTPS), and the central journal holds every
# record's fields (skipped with a note without systemd-journal-remote;
# VMC_T_JOURNAL_REMOTE_DIR names where its binaries are).
# Usage: test-journal.sh GATEWAY RSYSLOG-EXAMPLE   (TAP; root, else exit 77)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/../security/log-host-lib.sh"
need_root
GW=$(realpath "$1") RSYSLOG_EXAMPLE=$(realpath "$2")
RSYSLOGD=${VMC_T_RSYSLOGD:-$(command -v rsyslogd || echo /usr/sbin/rsyslogd)}
RSYSLOG_MODULES=${VMC_T_RSYSLOG_MODULES:-}
REMOTE_DIR=${VMC_T_JOURNAL_REMOTE_DIR:-/lib/systemd}
FORWARD=no
if [ -x "$REMOTE_DIR/systemd-journal-remote" ] && [ -x "$REMOTE_DIR/systemd-journal-upload" ]; then
    FORWARD=yes
    PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi
JOURNALD=/lib/systemd/systemd-journald
for prog in "$JOURNALD" journalctl unshare python3; do
    command -v "$prog" >/dev/null ||
        { echo "1..0 # SKIP $prog is not installed (systemd: scripts/install-deps)"; exit 77; }
done
log_host journal 2m || exit 1
BOB=$STRANGER
cat > "$D/gateway.conf" <<CONF
[gateway]
socket-pattern = $D/spicex/%s.sock
log = $LOG
run-dir = $D/run
sandbox = off
log-reserve = 0
CONF

# in_ns SCRIPT: SCRIPT (sh) in a private mount namespace with empty tmpfs
# over /run/systemd, /run/log and /var/log/journal, and $D/gw TAG IDENTITY
# REQUEST to run the gateway as sshd would (exit code in $D/TAG.rc).
cat > "$D/gw" <<SH
#!/bin/sh
tag=\$1 identity=\$2; shift 2
env -i PATH=/usr/bin:/bin HOME="$D" DISPLAY=:99 SSH_ORIGINAL_COMMAND="\$1" \\
    SSH_CONNECTION="192.0.2.7 50000 127.0.0.1 22" \\
    "$GW" --config "$D/gateway.conf" --identity "\$identity" >/dev/null 2>"$D/\$tag.err"
echo \$? > "$D/\$tag.rc"
SH
chmod 0755 "$D/gw"
# the account's X authority (sshd's would be there): the open gets past it,
# writes its start record, and ends at once (no X server on :99)
touch "$D/.Xauthority"
in_ns() {
    unshare --mount --propagation private sh -c '
        for dir in /run/systemd /run/log /var/log/journal; do
            [ -d "$dir" ] || mkdir -p "$dir" || exit 90
            mount -t tmpfs -o size=16m,mode=0755 vmcjournal "$dir" || exit 91
        done
        mkdir -p /run/systemd/journal
        '"$1"
}

# rsyslogd with the shipped example, its forward made a file ($D/central.json)
mkdir -p "$D/rsyslog"
python3 - "$RSYSLOG_EXAMPLE" "$D" > "$D/rsyslog-example.conf" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
forward = re.compile(r'action\(type="omfwd".*?\)\n', re.S)
assert forward.search(text), "the example has no omfwd action"
print(forward.sub('action(type="omfile" file="%s/central.json" template="vmconsole-json")\n'
                  % sys.argv[2], text), end="")
PY
printf 'global(workDirectory="%s/rsyslog")\ninclude(file="%s/rsyslog-example.conf")\n' "$D" "$D" \
    > "$D/rsyslog.conf"
RSYSLOG=no RSYSLOG_ARGS=
if [ -x "$RSYSLOGD" ]; then
    RSYSLOG=yes
    RSYSLOG_ARGS="-n -f $D/rsyslog.conf -i $D/rsyslog.pid${RSYSLOG_MODULES:+ -M $RSYSLOG_MODULES}"
fi

# ---- with a real journald ----
in_ns '
    '"$JOURNALD"' & jd=$!
    for _ in $(seq 100); do [ -S /run/systemd/journal/socket ] && break; sleep 0.1; done
    [ -S /run/systemd/journal/socket ] || { kill $jd; exit 92; }
    '"$D"'/gw denied '"$BOB"' debianx
    '"$D"'/gw bad '"$ALICE"' "debianx --bogus"
    '"$D"'/gw open '"$ALICE"' debianx
    cp '"$LOG"' '"$D"'/log.before-full
    : > '"$LOG"'; dd if=/dev/zero of='"$D"'/logfs/fill bs=4096 2>/dev/null; sync
    '"$D"'/gw full '"$BOB"' debianx
    rm -f '"$D"'/logfs/fill
    journalctl -D /run/log/journal --no-pager -o json SYSLOG_IDENTIFIER=vmconsole > '"$D"'/journal.json
    rc=$?
    if [ '"$RSYSLOG"' = yes ]; then
        '"$RSYSLOGD $RSYSLOG_ARGS"' 2> '"$D"'/rsyslog.err & rs=$!
        want=$(wc -l < '"$D"'/journal.json)
        for _ in $(seq 100); do
            [ "$(cat '"$D"'/central.json 2>/dev/null | wc -l)" -ge "$want" ] && break
            sleep 0.1
        done
        kill $rs; wait $rs
    fi
    if [ '"$FORWARD"' = yes ]; then
        mkdir -p '"$D"'/remote
        '"$REMOTE_DIR"'/systemd-journal-remote --listen-http=127.0.0.1:'"${PORT:-0}"' \
            --output='"$D"'/remote/ 2> '"$D"'/remote.err & jr=$!
        for _ in $(seq 100); do
            python3 -c "import socket; socket.create_connection((\"127.0.0.1\", '"${PORT:-0}"'))" \
                2>/dev/null && break
            sleep 0.1
        done
        timeout 30 '"$REMOTE_DIR"'/systemd-journal-upload -u http://127.0.0.1:'"${PORT:-0}"' \
            --directory=/run/log/journal --follow=no --save-state='"$D"'/upload.state \
            2> '"$D"'/upload.err
        echo $? > '"$D"'/upload.rc
        kill $jr; wait $jr
    fi
    kill $jd; wait $jd
    exit $rc'
ok $? "a real journald ran in a private mount namespace and journalctl read it back"
for tag in denied bad open full; do
    echo "# $tag: exit $(cat "$D/$tag.rc" 2>/dev/null), $(head -c 200 "$D/$tag.err" 2>/dev/null | tr '\n' ' ')"
done
check "the gateway's exits: 3 (not permitted), 2 (bad request), 8 (full disk)" \
    test "$(cat "$D/denied.rc") $(cat "$D/bad.rc") $(cat "$D/full.rc")" = "3 2 8"

# fields EXPR...: python over the journal's entries E (list of dicts) and
# the log's records R; each EXPR must be true
fields() {
    python3 - "$D/journal.json" "$D/log.before-full" "$@" <<'PY'
import json, sys
E = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
R = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
for expr in sys.argv[3:]:
    if not eval(expr):
        print("# false: %s" % expr)
        print("# entries: %s" % json.dumps(E)[:1500])
        sys.exit(1)
PY
}
HOST=$(hostname)
check "bob's denied open is an entry: EVENT denied, IDENTITY, VM, REASON, HOST, PRIORITY 5" \
    fields "any(e.get('VMCONSOLE_EVENT') == 'denied' and e.get('VMCONSOLE_IDENTITY') == '$BOB'
                and e.get('VMCONSOLE_VM') == 'debianx' and e.get('VMCONSOLE_REASON')
                and e.get('VMCONSOLE_HOST') == '$HOST' and e.get('PRIORITY') == '5'
                and e.get('SYSLOG_IDENTIFIER') == 'vmconsole' and e.get('_TRANSPORT') == 'journal'
                and e.get('MESSAGE', '').startswith('denied identity=$BOB') for e in E)"
check "the bad request too, with its reason" \
    fields "any(e.get('VMCONSOLE_IDENTITY') == '$ALICE' and e.get('VMCONSOLE_EVENT') == 'denied'
                and 'bad request' in e.get('VMCONSOLE_REASON', '') for e in E)"
check "alice's open: a start and an end entry with the session id the log has, the end with BYTES and REASON" \
    fields "[r['session'] for r in R if r['event'] == 'start'] == [e['VMCONSOLE_SESSION'] for e in E if e.get('VMCONSOLE_EVENT') == 'start']" \
           "[(r['session'], str(r['bytes_total']), r['reason']) for r in R if r['event'] == 'end'] == [(e['VMCONSOLE_SESSION'], e['VMCONSOLE_BYTES'], e['VMCONSOLE_REASON']) for e in E if e.get('VMCONSOLE_EVENT') == 'end']" \
           "len([r for r in R if r['event'] == 'end']) == 1"
check "every record of the file is in the journal, once, same host, same MESSAGE shape" \
    fields "sorted((r['event'], r.get('identity')) for r in R) == sorted((e['VMCONSOLE_EVENT'], e.get('VMCONSOLE_IDENTITY')) for e in E if 'log_write=failed' not in e['MESSAGE'])" \
           "all(e['MESSAGE'].startswith(e['VMCONSOLE_EVENT'] + ' ') for e in E)" \
           "all(r['host'] == '$HOST' for r in R)"
check "full disk: the record the file refused reached the journal, PRIORITY 4, saying why" \
    fields "any(e.get('VMCONSOLE_IDENTITY') == '$BOB' and e.get('PRIORITY') == '4'
                and 'log_write=failed (cannot write to the session log' in e['MESSAGE'] for e in E)"

if [ "$RSYSLOG" = yes ]; then
    "$RSYSLOGD" -N1 -f "$D/rsyslog.conf"${RSYSLOG_MODULES:+ -M "$RSYSLOG_MODULES"} > "$D/rsyslog-check.txt" 2>&1
    ok $? "rsyslogd -N1 takes the shipped example ($(tr '\n' ' ' < "$D/rsyslog-check.txt" | head -c 150))"
    check "rsyslog (imjournal, the shipped template) wrote a JSON line per record with its fields ($(head -c 200 "$D/rsyslog.err"))" \
        python3 - "$D/central.json" "$D/journal.json" <<'PY'
import json, sys
C = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
E = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
want = sorted((e["VMCONSOLE_EVENT"], e.get("VMCONSOLE_SESSION", ""), e.get("VMCONSOLE_IDENTITY"),
               e.get("VMCONSOLE_VM", ""), e["VMCONSOLE_HOST"], e.get("VMCONSOLE_BYTES", "")) for e in E)
got = sorted((c["event"], c["session"], c["identity"], c["vm"], c["host"], c["bytes"]) for c in C)
if got != want:
    print("# central: %s" % json.dumps(C)[:800])
    sys.exit(1)
PY
else
    echo "# SKIP rsyslog's imjournal with the shipped example: no $RSYSLOGD (install rsyslog)"
fi

if [ "$FORWARD" = yes ]; then
    journalctl -D "$D/remote" --no-pager -o json SYSLOG_IDENTIFIER=vmconsole > "$D/remote.json" 2>&1
    check "journal-upload to journal-remote (exit $(cat "$D/upload.rc")): the central journal holds every record with its fields" \
        python3 - "$D/remote.json" "$D/journal.json" <<'PY'
import json, sys
keys = ("VMCONSOLE_EVENT", "VMCONSOLE_HOST", "VMCONSOLE_SESSION", "VMCONSOLE_IDENTITY",
        "VMCONSOLE_VM", "VMCONSOLE_REASON", "VMCONSOLE_BYTES", "PRIORITY", "MESSAGE")
def load(path):
    return sorted(tuple(json.loads(l).get(k) for k in keys) for l in open(path) if l.strip())
remote, local = load(sys.argv[1]), load(sys.argv[2])
if not local or remote != local:
    print("# remote: %s" % open(sys.argv[1]).read()[:600])
    sys.exit(1)
PY
else
    echo "# SKIP journald forwarding: no systemd-journal-remote in $REMOTE_DIR (package systemd-journal-remote)"
fi

# ---- no journal: syslog as before ----
: > "$D/syslog.txt"
in_ns '
    mkdir -p '"$D"'/olddev && mount --rbind /dev '"$D"'/olddev &&
    mount -t tmpfs -o size=1m,mode=0755 vmcdev /dev || exit 93
    for n in null zero full random urandom tty; do
        touch /dev/$n && mount --bind '"$D"'/olddev/$n /dev/$n || exit 94
    done
    python3 -c "
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(\"/dev/log\")
out = open(sys.argv[1], \"a\", buffering=1)
open(sys.argv[1] + \".ready\", \"w\").close()
while True:
    out.write(s.recv(4096).decode(\"utf-8\", \"replace\") + \"\n\")
" '"$D"'/syslog.txt & listener=$!
    for _ in $(seq 50); do [ -e '"$D"'/syslog.txt.ready ] && break; sleep 0.1; done
    '"$D"'/gw nojournal '"$BOB"' debianx
    sleep 0.3; kill $listener'
check "no journal socket: bob's denied open went to syslog, as before ($(head -c 150 "$D/syslog.txt"))" \
    grep -qE "vmconsole\[[0-9]+\]: denied identity=$BOB .*vm=debianx" "$D/syslog.txt"
finish
