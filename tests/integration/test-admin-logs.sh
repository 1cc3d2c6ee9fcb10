#!/bin/bash
# vmconsole-admin over hand-made and gateway-written logs, no VM needed:
#
#   a. one mean rate: report and show give the same mean for one session
#      (bytes over the exact length, not whole seconds, not the gateway's
#      own "rate_mean")
#   b. several logs at once: --log repeated and patterns (expanded by the
#      program, no shell), a rotated set with a gzip'd file, denied records
#      the real gateway wrote; a copy of a file read too counts its records
#      once (and says so); a file named twice is read once
#   c. several hosts: a session id is unique per host (the same id on two
#      hosts: two sessions; show asks which), report --by host, sessions
#      lists another host's unterminated session, show and plot follow a
#      session across rotated files
#   d. hostile gzip: a cut-off file and a bomb (256 MiB of zeros) are read
#      with damaged lines said and memory bounded; a pattern that matches
#      nothing, or has a wildcard in a directory, is refused
#
# Usage: test-admin-logs.sh ADMIN GATEWAY   (TAP; no root needed)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
ADMIN=$(realpath "$1") GW=$(realpath "$2")
command -v python3 >/dev/null || { echo "1..0 # SKIP python3 is not installed"; exit 77; }
VMC_T_DIR=$(mktemp -d /tmp/vmc-logs-XXXXXX)
trap cleanup_common EXIT
D=$VMC_T_DIR
mkdir -p "$D/run" && chmod 0700 "$D/run"

conf() { # conf LOG: a config naming LOG, printed path
    printf '[gateway]\nlog = %s\nrun-dir = %s/run\n' "$1" "$D" > "$D/gateway.conf"
    echo "$D/gateway.conf"
}
# jget FILE EXPR: EXPR of the JSON in FILE as d
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }

# ---- a. one mean rate ----
cat > "$D/rate.jsonl" <<'LOG'
{"v":1,"event":"start","time":"2026-11-29T10:00:00.000Z","session":"aaaa1111","identity":"alice","vm":"debianx"}
{"v":1,"event":"end","time":"2026-11-29T10:00:02.500Z","session":"aaaa1111","identity":"alice","vm":"debianx","start":"2026-11-29T10:00:00.000Z","duration_s":2,"reason":"viewer-exit","bytes_total":25000,"rate_mean":9999,"rate_peak":20000,"rate_peak_time":"2026-11-29T10:00:01.000Z"}
LOG
C=$(conf "$D/rate.jsonl")
"$ADMIN" --config "$C" report --json > "$D/rate-report.json" &&
    "$ADMIN" --config "$C" show aaaa1111 --json > "$D/rate-show.json"
ok $? "report --json and show --json read one session"
check "report's mean is bytes over the exact length: 25000 B / 2.5 s" \
    test "$(jget "$D/rate-report.json" 'd["total"]["rate_mean"]')" = 10000.0
check "show's is the same (not 12500 from whole seconds, not the record's 9999)" \
    test "$(jget "$D/rate-show.json" 'd["rate_mean"]')" = 10000.0
"$ADMIN" --config "$C" report > "$D/rate-report.txt" && "$ADMIN" --config "$C" show aaaa1111 > "$D/rate-show.txt"
check "the tables agree too (9.8 KiB/s in both)" \
    eval 'grep -q "^(total) .* 9.8 KiB/s " "$D/rate-report.txt" && grep -q "^rate *mean 9.8 KiB/s," "$D/rate-show.txt"'

# ---- b. several logs, rotated and gzip'd ----
H1=$D/kvm1 && mkdir -p "$H1"
C=$(conf "$H1/sessions.jsonl")
denied() { # denied N: N bad requests through the real gateway into the config's log
    local i
    for i in $(seq "$1"); do
        (cd / && env -i PATH=/usr/bin:/bin SSH_ORIGINAL_COMMAND="debianx --bogus$i" \
            SSH_CONNECTION="192.0.2.$i 5000$i 127.0.0.1 22" \
            "$GW" --config "$C" --identity nobody >/dev/null 2>&1)
        [ $? = 2 ] || return 1
    done
}
# the oldest file: 5 records, gzip'd; then 4 in .1, 3 in the live log
denied 5 && mv "$H1/sessions.jsonl" "$H1/sessions.jsonl.2" && gzip "$H1/sessions.jsonl.2" &&
    denied 4 && mv "$H1/sessions.jsonl" "$H1/sessions.jsonl.1" && denied 3
ok $? "the real gateway wrote 12 denied records into a rotated set: $(cd "$H1" && ls | tr '\n' ' ')"
# report RC-FILE ARGS...: report --json into $D/r.json, stderr $D/r.err, exit in RC
report() { "$ADMIN" --config "$C" report --json "$@" > "$D/r.json" 2> "$D/r.err"; RC=$?; }
report --log "$H1/sessions.jsonl*"
check "report --log 'sessions.jsonl*' (no shell: the program expands it) counts all 12 once" \
    eval '[ $RC = 0 ] && [ "$(jget "$D/r.json" "d[\"total\"][\"denied\"]")" = 12 ]'
check "... and says nothing about duplicates ($(head -c 200 "$D/r.err"))" eval '! grep -q "more than one" "$D/r.err"'
report --log "$H1/sessions.jsonl" --log "$H1/sessions.jsonl.1" --log "$H1/sessions.jsonl.2.gz"
check "--log repeated: the same 12" test "$(jget "$D/r.json" 'd["total"]["denied"]')" = 12
report
check "without --log: the config's log alone (3)" test "$(jget "$D/r.json" 'd["total"]["denied"]')" = 3
mkdir -p "$D/collected" && cp "$H1/sessions.jsonl.1" "$D/collected/kvm1-sessions.jsonl.1"
report --log "$H1/sessions.jsonl*" --log "$D/collected/*"
check "a copy of sessions.jsonl.1 read too: its 4 records count once (12)" \
    test "$(jget "$D/r.json" 'd["total"]["denied"]')" = 12
check "... and stderr says 4 were found in more than one log ($(head -c 200 "$D/r.err"))" \
    grep -q "^vmconsole-admin: 4 record(s) found in more than one of the 4 logs" "$D/r.err"
report --log "$H1/sessions.jsonl.1" --log "$H1/sessions.jsonl.1"
check "a file named twice is read once (4, no duplicates said)" \
    eval '[ "$(jget "$D/r.json" "d[\"total\"][\"denied\"]")" = 4 ] && ! grep -q "more than one" "$D/r.err"'
check "every record names its host ($(hostname))" \
    eval 'zcat -f "$H1"/sessions.jsonl* | python3 -c "
import json, sys
hosts = {json.loads(l)[\"host\"] for l in sys.stdin}
sys.exit(hosts != {\"$(hostname)\"})"'

# ---- c. several hosts ----
# kvm1's session abcd0001 starts in the gzip'd file and ends in .1 (written
# here by hand, with the host the gateway would write); kvm2 has a session
# with the same id, ended, and an unterminated one
rec() { # rec HOST EVENT ID TIME [END-EXTRA]
    printf '{"v":1,"event":"%s","time":"%s","host":"%s","session":"%s","identity":"alice","vm":"debianx"%s}\n' \
        "$2" "$4" "$1" "$3" "${5:-}"
}
END_EXTRA=',"start":"2026-11-29T09:00:00.000Z","duration_s":3600,"reason":"viewer-exit","bytes_total":7200,"series":{"step_s":1,"bytes":[1,2,3]}'
rec kvm1 start abcd0001 2026-11-29T09:00:00.000Z > "$D/kvm1-start"
cat "$D/kvm1-start" | gzip > "$D/h1part.gz" && cat "$H1/sessions.jsonl.2.gz" >> "$D/h1part.gz" &&
    mv "$D/h1part.gz" "$H1/sessions.jsonl.2.gz"      # two gzip members: the reader takes both
rec kvm1 end abcd0001 2026-11-29T10:00:00.000Z "$END_EXTRA" >> "$H1/sessions.jsonl.1"
H2=$D/kvm2 && mkdir -p "$H2"
{ rec kvm2 start abcd0001 2026-11-29T09:00:00.000Z
  rec kvm2 end abcd0001 2026-11-29T10:00:00.000Z "$END_EXTRA"
  rec kvm2 start abcd0002 2026-11-30T09:00:00.000Z; } > "$H2/sessions.jsonl"
report --by host --log "$H1/sessions.jsonl*" --log "$H2/sessions.jsonl"
check "report --by host: kvm1 1 session, kvm2 2 (one unterminated), $(hostname) 12 denied" \
    jget "$D/r.json" '{r["key"]: (r["sessions"], r["ended"], r["unterminated"], r["denied"]) for r in d["rows"]} == {"kvm1": (1, 1, 0, 0), "kvm2": (2, 1, 1, 0), "'"$(hostname)"'": (0, 0, 0, 12)}'
check "the same id on two hosts is two sessions: 3 sessions, 2 ended, 14400 B" \
    jget "$D/r.json" '(d["total"]["sessions"], d["total"]["ended"], d["total"]["bytes"]) == (3, 2, 14400)'
"$ADMIN" --config "$C" show abcd0001 --log "$H1/sessions.jsonl*" --log "$H2/sessions.jsonl" \
    > "$D/show.out" 2> "$D/show.err"
RC=$?
check "show abcd0001 over both hosts: exit 1, it asks which (both hosts listed)" \
    eval '[ $RC = 1 ] && grep -q "2 sessions start with" "$D/show.err" && grep -q "abcd0001  kvm1" "$D/show.err" && grep -q "abcd0001  kvm2" "$D/show.err"'
"$ADMIN" --config "$C" show abcd0001 --log "$H1/sessions.jsonl*" --json > "$D/show.json" 2> "$D/show.err"
check "show over kvm1's rotated set: the start (gzip'd file) and end (.1) of one session" \
    jget "$D/show.json" '(d["state"], d["host"], d["bytes_total"], d["start"]) == ("ended", "kvm1", 7200, "2026-11-29T09:00:00.000Z")'
"$ADMIN" --config "$C" sessions --json --log "$H1/sessions.jsonl*" --log "$H2/sessions.jsonl" \
    > "$D/sessions.json" 2> "$D/sessions.err"
check "sessions: kvm2's unterminated abcd0002 (and nothing of kvm1's ended one)" \
    jget "$D/sessions.json" '[(s["session"], s["host"], s["state"]) for s in d] == [("abcd0002", "kvm2", "unterminated")]'
"$ADMIN" --config "$C" plot abcd0001 --log "$H1/sessions.jsonl*" -o "$D/plot.svg" 2> "$D/plot.err"
check "plot follows the session across the rotated files ($(head -c 150 "$D/plot.err"))" \
    eval '[ -s "$D/plot.svg" ] && grep -q "<svg" "$D/plot.svg"'

# ---- d. hostile gzip, bad patterns ----
head -c 100 "$H1/sessions.jsonl.2.gz" > "$D/cut.gz"
report --log "$D/cut.gz"
check "a cut-off gzip'd log: report still exit 0, the damage said ($(head -c 150 "$D/r.err"))" \
    eval '[ $RC = 0 ] && grep -q "cut.gz: skipped 1 damaged line" "$D/r.err"'
head -c $((256 * 1024 * 1024)) /dev/zero | gzip -1 > "$D/bomb.gz"
python3 - "$ADMIN" "$C" "$D/bomb.gz" "$D/r.json" > "$D/bomb.txt" <<'PY'
import resource, subprocess, sys
admin, conf, bomb, out = sys.argv[1:]
with open(out, "w") as f:
    rc = subprocess.run([admin, "--config", conf, "report", "--json", "--log", bomb],
                        stdout=f, stderr=subprocess.DEVNULL).returncode
print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
read -r BOMB_RC BOMB_KIB < "$D/bomb.txt"
check "a gzip bomb ($(stat -c %s "$D/bomb.gz") bytes, 256 MiB inflated): exit $BOMB_RC, peak RSS $BOMB_KIB KiB (< 64 MiB)" \
    eval '[ "$BOMB_RC" = 0 ] && [ "$BOMB_KIB" -lt 65536 ]'
report --log "$D/nothing-*.jsonl"
check "a pattern that matches nothing: exit 1, said ($(head -c 120 "$D/r.err"))" \
    eval '[ $RC = 1 ] && grep -q "no file matches" "$D/r.err"'
report --log "$D/kvm*/sessions.jsonl"
check "a wildcard in a directory: refused (exit 1)" \
    eval '[ $RC = 1 ] && grep -q "only the file name may hold" "$D/r.err"'

finish
