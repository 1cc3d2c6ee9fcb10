#!/bin/bash
# `vmconsole-admin report` on a REAL session log written by the real gateway
# (audit-lib.sh: real sshd, ssh -X from an Xvfb laptop, QEMU Spice VMs,
# remote-viewer; denials; a hostile identity; a gateway SIGKILLed
# mid-session), checked against the log's own numbers:
#
#   a. by identity, vm, day, month (local time: two TZs)
#   b. --json and --csv carry every number; the hostile identity survives
#      as data in JSON and is escaped in the table and CSV
#   c. --since/--until, --identity and --vm filters
#   d. the SIGKILLed session is flagged UNTERMINATED; a session open now is
#      LIVE, not unterminated
#   e. damaged and truncated lines appended: counted with their numbers on
#      stderr, the report still printed, exit 0
#   f. usage errors (exit 2), a log that cannot be read (exit 1)
#   g. no raw control byte in any output
#   h. the streams beside Spice and the sandbox: X11 and sound bytes per row
#      (the log's own sums; "-" / null when no session had the stream), and
#      a real session with sandbox = off counted and flagged
#
# Usage: test-admin-report.sh GATEWAY ADMIN    (TAP; needs root, else exit 77)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/sshd-lib.sh"
. "$HERE/audit-lib.sh"
need_root
GW=$(realpath "$1") ADMIN=$(realpath "$2")

for prog in qemu-system-x86_64 remote-viewer Xvfb /usr/sbin/sshd ssh ssh-keygen xauth \
            setfacl python3 xwininfo xkill; do
    if ! command -v "$prog" >/dev/null; then
        echo "1..0 # SKIP $prog is not installed (scripts/install-deps installs it)"
        exit 77
    fi
done

VMC_T_DIR=$(mktemp -d /tmp/vmc-report-XXXXXX)
chmod 0755 "$VMC_T_DIR"
D=$VMC_T_DIR/audit
O=$VMC_T_DIR/out
trap 'audit_cleanup; cleanup_common' EXIT
mkdir -p "$O"

if ! audit_make_log "$D" "$GW"; then
    ok 1 "a real session log is written through sshd, the gateway and remote-viewer"
    finish; exit 1
fi
ok 0 "a real session log is written through sshd, the gateway and remote-viewer ($(wc -l < "$AUDIT_LOG") records)"
LOG=$AUDIT_LOG CONF=$AUDIT_CONF

# report TAG [ARGS...]: stdout/stderr in $O/TAG.{out,err}, exit code in RC
report() {
    local tag=$1; shift
    "$ADMIN" --config "$CONF" report "$@" > "$O/$tag.out" 2> "$O/$tag.err"
    RC=$?
}
# Python over the log: R = records; print(expression)
jl() {
    python3 -c '
import json, sys, datetime
R = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
ends = [r for r in R if r["event"] == "end"]
def t(s): return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
print(eval(sys.argv[2]))' "${3:-$LOG}" "$1"
}
# Python over a JSON output: J = the document
jq_py() { python3 -c 'import json,sys; J=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
row_of() { grep -F -- "$2" "$O/$1.out" | head -1; } # row_of TAG KEY-TEXT
col() { awk -v n="$1" '{ print $n }'; }
# cell TAG KEY COLUMN: a cell of the table, cut where its header starts (the
# table is aligned; cells may hold spaces, "1.2 MiB", "1 (!)")
cell() {
    python3 - "$O/$1.out" "$2" "$3" <<'EOF'
import re, sys
path, key, column = sys.argv[1:]
lines = open(path, encoding="utf-8").read().split("\n")
at = next(i for i, l in enumerate(lines) if l.split(" ")[0] in ("IDENTITY", "VM", "DAY", "MONTH"))
columns = [(m.group(), m.start()) for m in re.finditer(r"\S+(?: \S+)*", lines[at])]
i = [name for name, _ in columns].index(column)
rows = lines[at + 1:lines.index("", at)]
row = next(l for l in rows if l.startswith(key + " "))
end = columns[i + 1][1] if i + 1 < len(columns) else len(row)
print(row[columns[i][1]:end].strip())
EOF
}

# ---- a. by identity, vm, day, month ----
report id
check "a: report exits 0 (got $RC)" [ "$RC" = 0 ]
check "a: the table has the columns (the older ones first)" grep -q "^IDENTITY  *SESSIONS  *HOURS  *BYTES  *MEAN RATE  *PEAK RATE  *DENIED  *UNTERMINATED  *X11 BYTES  *AUDIO BYTES  *SANDBOX OFF$" "$O/id.out"
check "a: alice: 2 sessions, 3 denials" eval '[ "$(cell id "$AUDIT_ALICE" SESSIONS)" = 2 ] && [ "$(cell id "$AUDIT_ALICE" DENIED)" = 3 ]'
check "a: carol: 2 sessions, 1 unterminated flagged (!)" eval '[ "$(cell id "$AUDIT_CAROL" SESSIONS)" = 2 ] && [ "$(cell id "$AUDIT_CAROL" UNTERMINATED)" = "1 (!)" ]'
check "a: bob: no session, 1 denial" eval '[ "$(cell id "$AUDIT_BOB" SESSIONS)" = 0 ] && [ "$(cell id "$AUDIT_BOB" DENIED)" = 1 ]'
check "a: the hostile identity is a row, escaped" grep -qF 'mal \e]0;pwned\x07\e[31;1m"zoe\x7f\e[0m  ' "$O/id.out"
alice_bytes=$(jl "sum(r['bytes_total'] for r in ends if r['identity'] == '$AUDIT_ALICE')")
check "a: alice's bytes add up her end records ($alice_bytes B)" \
    eval '[ "$(row_of id "$AUDIT_ALICE " | col 4)" != "0" ] && [ -n "$alice_bytes" ] && [ "$alice_bytes" -gt 0 ]'

report vm --by vm
check "a: --by vm: debianx 2 sessions, 2 denials" eval '[ "$(cell vm debianx SESSIONS)" = 2 ] && [ "$(cell vm debianx DENIED)" = 2 ]'
check "a: --by vm: winxp 2 sessions, 1 unterminated (!)" eval '[ "$(cell vm winxp SESSIONS)" = 2 ] && [ "$(cell vm winxp UNTERMINATED)" = "1 (!)" ]'
check "a: --by vm: the unknown VM asked for has its denial" eval '[ "$(cell vm no-such.vm_1 DENIED)" = 1 ] && [ "$(cell vm no-such.vm_1 UNTERMINATED)" = 0 ]'

for tz in UTC Etc/GMT-14 Etc/GMT+12; do
    tag=day-${tz//\//_}
    TZ=$tz report "$tag" --by day
    want=$(TZ=$tz jl "' '.join(sorted({datetime.datetime.fromtimestamp(t(r['time'] if r['event'] != 'end' else r['start']).timestamp()).strftime('%Y-%m-%d') for r in R}))")
    got=$(sed -n '4,$p' "$O/$tag.out" | awk '/^\(total\)/ { exit } { print $1 }' | tr '\n' ' ' | sed 's/ $//')
    check "a: --by day in TZ=$tz: local days of the starts ($want)" [ "$got" = "$want" ]
done
TZ=Etc/GMT-14 report month --by month
want=$(TZ=Etc/GMT-14 jl "' '.join(sorted({datetime.datetime.fromtimestamp(t(r['time']).timestamp()).strftime('%Y-%m') for r in R}))")
check "a: --by month: the local month ($want)" grep -q "^$want  *4  " "$O/month.out"

# ---- b. JSON and CSV ----
report json --json
check "b: --json exits 0 and parses" eval '[ "$RC" = 0 ] && jq_py "$O/json.out" "J[\"by\"]" | grep -qx identity'
check "b: JSON total: 4 sessions, 3 ended, 6 denied, 1 unterminated" \
    [ "$(jq_py "$O/json.out" '[J["total"][k] for k in ("sessions", "ended", "denied", "unterminated", "live")]')" = "[4, 3, 6, 1, 0]" ]
check "b: JSON seconds and bytes are the log's sums" \
    [ "$(jq_py "$O/json.out" '[J["total"]["seconds"], J["total"]["bytes"]]')" = "$(jl '[sum(r["duration_s"] for r in ends), sum(r["bytes_total"] for r in ends)]')" ]
check "b: JSON peak rate is the log's largest" \
    [ "$(jq_py "$O/json.out" 'J["total"]["rate_peak"]')" = "$(jl 'max(r["rate_peak"] for r in ends)')" ]
evil_json=$(jq_py "$O/json.out" '[r["key"] for r in J["rows"] if r["key"] and r["key"].startswith("mal ")][0].encode().hex()')
check "b: JSON keeps the hostile identity as data (exact bytes)" \
    [ "$evil_json" = "$(printf '%s' "$AUDIT_EVIL" | od -An -tx1 | tr -d ' \n')" ]
report csv --csv --by vm
check "b: --csv: a header (the older columns first) and one line per VM key" eval '[ "$RC" = 0 ] && head -1 "$O/csv.out" | grep -q "^vm,sessions,ended,seconds,hours,bytes,rate_mean,rate_peak,rate_peak_time,denied,unterminated,live,x11_bytes,audio_bytes,sandbox_off$" && [ "$(wc -l < "$O/csv.out")" = 5 ]'
winxp_bytes=$(jl "sum(r['bytes_total'] for r in ends if r['vm'] == 'winxp')")
check "b: --csv: winxp's bytes as an integer ($winxp_bytes)" grep -q "^winxp,2,1,[0-9]*,[0-9.]*,$winxp_bytes," "$O/csv.out"
report csv-id --csv
check "b: --csv: the hostile identity escaped and quoted" grep -qF '"mal \e]0;pwned\x07\e[31;1m""zoe\x7f\e[0m",0,0,0' "$O/csv-id.out"

# ---- c. filters ----
s3=$(jl '[r["time"] for r in R if r["event"] == "start"][2]')
report since --json --since "$s3"
check "c: --since the third start (RFC 3339): 2 sessions (carol's two)" \
    [ "$(jq_py "$O/since.out" 'J["total"]["sessions"]')" = 2 ]
report until --json --until "$s3"
check "c: --until the third start: 2 sessions (alice's)" \
    [ "$(jq_py "$O/until.out" '[J["total"]["sessions"], [r["key"] for r in J["rows"] if r["sessions"]]]')" = "[2, ['$AUDIT_ALICE']]" ]
tomorrow=$(date -d tomorrow +%F)
report since-tomorrow --json --since "$tomorrow"
check "c: --since tomorrow (YYYY-MM-DD): nothing" \
    [ "$(jq_py "$O/since-tomorrow.out" '[J["total"]["sessions"], J["total"]["denied"]]')" = "[0, 0]" ]
report only-carol --identity "$AUDIT_CAROL"
check "c: --identity: only that person's row" eval '[ "$(sed -n "4,\$p" "$O/only-carol.out" | awk "/^\\(total\\)/ { exit } { print \$1 }")" = "$AUDIT_CAROL" ]'
report only-winxp --json --by vm --vm winxp
check "c: --vm winxp: 2 sessions, 1 denial" \
    [ "$(jq_py "$O/only-winxp.out" '[[r["key"] for r in J["rows"]], J["total"]["sessions"], J["total"]["denied"]]')" = "[['winxp'], 2, 1]" ]

# ---- d. unterminated and live ----
check "d: the SIGKILLed session is listed UNTERMINATED by id" \
    eval 'sed -n "/^UNTERMINATED/,\$p" "$O/id.out" | grep -q "^$AUDIT_UNTERMINATED_SESSION  *$AUDIT_CAROL  *winxp "'
check "d: JSON open_sessions names it, unterminated" \
    [ "$(jq_py "$O/json.out" '[(o["session"], o["state"]) for o in J["open_sessions"]]')" = "[('$AUDIT_UNTERMINATED_SESSION', 'unterminated')]" ]
audit_open live alice debianx
if wait_for_window "$AUDIT_LAPTOP" "Audit Debian VM" 20; then
    live_id=$(audit_lock_session debianx)
    report live --json
    check "d: a session open now counts as live, not unterminated" \
        [ "$(jq_py "$O/live.out" '[J["total"]["live"], J["total"]["unterminated"], [o["session"] for o in J["open_sessions"] if o["state"] == "live"]]')" = "[1, 1, ['$live_id']]" ]
    report live-table
    check "d: the table lists it under LIVE" eval 'sed -n "/^LIVE/,\$p" "$O/live-table.out" | grep -q "^$live_id "'
else
    ok 1 "d: a session open now counts as live (no window)"
fi
gw=$(audit_gateway_pid debianx)
audit_close live
audit_wait 100 audit_gone "$gw"

# ---- e. damaged and truncated lines ----
report before-damaged
cp "$LOG" "$O/damaged.jsonl"
n=$(wc -l < "$O/damaged.jsonl")
printf 'garbage \033[31m not json\n' >> "$O/damaged.jsonl"
sed -n 2p "$LOG" | head -c 200 >> "$O/damaged.jsonl"   # truncated: no end, no '\n'
report damaged --log "$O/damaged.jsonl"
check "e: damaged lines: exit 0 (got $RC)" [ "$RC" = 0 ]
check "e: stderr counts both, with their line numbers $((n + 1)) and $((n + 2))" \
    grep -q "skipped 2 damaged line(s) .* at line $((n + 1)), $((n + 2))$" "$O/damaged.err"
check "e: the report is still printed, with every record of the log" \
    eval '[ "$(grep "^(total)" "$O/damaged.out" | col 2)" = "$(grep "^(total)" "$O/before-damaged.out" | col 2)" ]'

# ---- f. usage and I/O errors ----
report bad-by --by week
check "f: --by week: exit 2 (got $RC)" [ "$RC" = 2 ]
report bad-date --since "last tuesday"
check "f: --since 'last tuesday': exit 2, told the forms" eval '[ "$RC" = 2 ] && grep -q "YYYY-MM-DD" "$O/bad-date.err"'
report bad-opt -o x.png
check "f: -o: exit 2 (report does not take it)" [ "$RC" = 2 ]
report both --json --csv
check "f: --json --csv together: exit 2" [ "$RC" = 2 ]
report missing --log "$O/none.jsonl"
check "f: a missing log: exit 1, the path named" eval '[ "$RC" = 1 ] && grep -q "none.jsonl" "$O/missing.err"'

# ---- h. the streams beside Spice, and the sandbox ----
# The log's own sums: per identity, the ended sessions' X11 and sound
# stream bytes both ways (None when no session of the row had one), and
# the sessions whose start says sandbox off.
sums() { # sums STREAM [IDENTITY]: the log's sum, None when no ended session had it
    jl "(lambda xs: sum(xs) if xs else None)([s['to_laptop'] + s['from_laptop'] for r in ends if ('${2:-}' == '' or r['identity'] == '${2:-}') for s in [r.get('streams', {}).get('$1')] if s])"
}
report h-json --json
for st in x11 audio; do
    want=$(sums $st)
    check "h: JSON total ${st}_bytes is the log's sum ($want)" \
        [ "$(jq_py "$O/h-json.out" "J['total']['${st}_bytes']")" = "$want" ]
    want=$(sums $st "$AUDIT_ALICE")
    check "h: JSON alice's ${st}_bytes ($want)" \
        [ "$(jq_py "$O/h-json.out" "[r['${st}_bytes'] for r in J['rows'] if r['key'] == '$AUDIT_ALICE'][0]")" = "$want" ]
done
check "h: JSON rows: the new fields after the older ones" \
    [ "$(jq_py "$O/h-json.out" "list(J['total'])[-4:]")" = "['live', 'x11_bytes', 'audio_bytes', 'sandbox_off']" ]
check "h: JSON sandbox_off: the starts that say off ($(jl "sum(r.get('sandbox') == 'off' for r in R if r['event'] == 'start')"))" \
    [ "$(jq_py "$O/h-json.out" "J['total']['sandbox_off']")" = "$(jl "sum(r.get('sandbox') == 'off' for r in R if r['event'] == 'start')")" ]
x11_alice=$(sums x11 "$AUDIT_ALICE")
if [ "$x11_alice" != None ]; then
    check "h: table: alice's X11 BYTES in units" eval '[[ "$(cell id "$AUDIT_ALICE" "X11 BYTES")" =~ ^[0-9.]+\ [KMGT]?i?B$ ]]'
else
    check "h: table: alice's X11 BYTES unknown (-)" [ "$(cell id "$AUDIT_ALICE" "X11 BYTES")" = - ]
fi
check "h: table: bob (no session) has no stream bytes (-)" \
    eval '[ "$(cell id "$AUDIT_BOB" "X11 BYTES")" = - ] && [ "$(cell id "$AUDIT_BOB" "AUDIO BYTES")" = - ]'
winxp_x11=$(jl "(lambda xs: sum(xs) if xs else '')([s['to_laptop'] + s['from_laptop'] for r in ends if r['vm'] == 'winxp' for s in [r.get('streams', {}).get('x11')] if s])")
check "h: --csv: winxp's x11_bytes as an integer (${winxp_x11:-none})" \
    grep -q "^winxp,.*,$winxp_x11,[0-9]*,0$" "$O/csv.out"

# a real session with sandbox = off: counted in its row and the total, flagged
if audit_sandbox_off_session off carol winxp "Audit Windows VM"; then
    ok 0 "h: a session with sandbox = off ran ($AUDIT_SANDBOX_OFF_SESSION)"
    report h-off
    check "h: carol's SANDBOX OFF: 1, flagged (!)" [ "$(cell h-off "$AUDIT_CAROL" "SANDBOX OFF")" = "1 (!)" ]
    check "h: ... and in the total" [ "$(cell h-off "(total)" "SANDBOX OFF")" = "1 (!)" ]
    check "h: alice's sessions ran in the sandbox: 0" [ "$(cell h-off "$AUDIT_ALICE" "SANDBOX OFF")" = 0 ]
    report h-off-json --json --by vm
    check "h: JSON by vm: winxp sandbox_off 1, its X11 bytes unchanged (no X11 stream without the sandbox)" \
        [ "$(jq_py "$O/h-off-json.out" "[(r['sandbox_off'], r['x11_bytes']) for r in J['rows'] if r['key'] == 'winxp']")" = "[(1, $(jl "(lambda xs: sum(xs) if xs else None)([s['to_laptop'] + s['from_laptop'] for r in ends if r['vm'] == 'winxp' for s in [r.get('streams', {}).get('x11')] if s])"))]" ]
else
    ok 1 "h: a session with sandbox = off ran"
fi

# ---- g. no raw control byte anywhere ----
raw=$(grep -lP '[\x00-\x08\x0b-\x1f\x7f]' "$O"/*.out "$O"/*.err 2>/dev/null | tr '\n' ' ')
check "g: no raw control byte in any output${raw:+ (in: $raw)}" [ -z "$raw" ]
check "g: the hostile identity's ESC is in the log (so g means something)" grep -q '\\u001b\]0;pwned' "$LOG"

finish
