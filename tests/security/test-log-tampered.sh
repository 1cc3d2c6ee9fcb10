#!/bin/bash
# Threat: one tampered log line that says two things to two tools. The log's
# JSON lines can be edited by whoever holds the gateway account (the file is
# its own, append-only only in intent), or arrive damaged: a line that repeats
# a member — {"identity":"alice",…,"identity":"mallory"}, {"vm":"a","vm":0},
# a member repeated 33 times, or a name hidden behind an escape ("v\u006d")
# or a U+0000 — was read by report and sessions (the streaming scanner,
# first string value, at most 32) as one session and by show (json-glib),
# plot and jq (last value) as another.
# Protection: such a line is damaged for every reader (sessionlog/log-entry.c
# and log-object.c): report, sessions and show each count it and name its
# line number on stderr, and none of them uses it.
# Usage: test-log-tampered.sh ADMIN-BINARY
. "$(dirname "$0")/../integration/lib.sh"
ADMIN=$(realpath "$1")
VMC_T_DIR=$(mktemp -d /tmp/vmc-tamper-XXXXXX)
trap cleanup_common EXIT
D=$VMC_T_DIR
mkdir -p "$D/run"
printf '[gateway]\nlog = %s/sessions.jsonl\nrun-dir = %s/run\n' "$D" "$D" > "$D/gateway.conf"

T='"time":"2026-11-29T10:02:03.000Z"'
E='"time":"2026-11-29T10:05:03.000Z","start":"2026-11-29T10:02:03.000Z","duration_s":180'
{
    # 1-2: an honest session
    echo '{"v":1,"event":"start",'"$T"',"session":"aaaa1111","identity":"alice","vm":"debianx"}'
    echo '{"v":1,"event":"end",'"$E"',"session":"aaaa1111","identity":"alice","vm":"debianx","bytes_total":1000}'
    # 3-4: its identity said twice (the scanner kept the first, json-glib the last)
    echo '{"v":1,"event":"start",'"$T"',"session":"bbbb2222","identity":"alice","vm":"debianx","identity":"mallory"}'
    echo '{"v":1,"event":"end",'"$E"',"session":"bbbb2222","identity":"alice","vm":"debianx","identity":"mallory","bytes_total":99}'
    # 5: a start left open whose vm is a string, then a number
    echo '{"v":1,"event":"start",'"$T"',"session":"cccc3333","identity":"carol","vm":"a","vm":0}'
    # 6: 33 repeats of the identity (the scanner kept 32 strings a line)
    printf '{"v":1,"event":"start",%s,"session":"dddd4444","vm":"winx"' "$T"
    for i in $(seq 33); do printf ',"identity":"i%d"' "$i"; done; echo '}'
    # 7: a repeat behind an escape, and 8: a name cut by U+0000 for json-glib
    echo '{"v":1,"event":"start",'"$T"',"session":"eeee5555","identity":"alice","ident\u0069ty":"mallory","vm":"debianx"}'
    echo '{"v":1,"event":"start",'"$T"',"session":"ffff6666","identity":"alice","identity\u0000x":"mallory","vm":"debianx"}'
    # 9: a repeated channel inside the end record (show reads channels)
    echo '{"v":1,"event":"end",'"$E"',"session":"aaaa1111","identity":"alice","vm":"debianx","channels":{"main":{"to_vm":1},"main":{"to_vm":5}}}'
} > "$D/sessions.jsonl"
DAMAGED="3, 4, 5, 6, 7, 8, 9"

admin() { # admin ARGS... -> OUT ERR RC
    OUT=$("$ADMIN" --config "$D/gateway.conf" "$@" 2>"$D/stderr"); RC=$?
    ERR=$(cat "$D/stderr")
}

admin report --by identity --json
check "report: runs (exit $RC)" [ "$RC" = 0 ]
check "report: names the 7 tampered lines as damaged: $ERR" \
    grep -q "skipped 7 damaged line(s) .* at line $DAMAGED\$" <<<"$ERR"
check "report: no row for mallory, carol or the 33-repeat identities" \
    bash -c '! grep -qE "mallory|carol|\"i[0-9]+\"" <<<"$1"' _ "$OUT"
check "report: alice has the one honest session" \
    python3 -c 'import json,sys; r=[x for x in json.loads(sys.argv[1])["rows"] if x["key"]=="alice"]; sys.exit(not (len(r)==1 and r[0]["sessions"]==1 and r[0]["bytes"]==1000))' "$OUT"

admin sessions --json
check "sessions: runs (exit $RC)" [ "$RC" = 0 ]
check "sessions: names the tampered lines as damaged" \
    grep -q "skipped 7 damaged line(s) .* at line $DAMAGED\$" <<<"$ERR"
check "sessions: no tampered start is listed as unterminated: $OUT" \
    bash -c '! grep -qE "bbbb2222|cccc3333|dddd4444|eeee5555|ffff6666" <<<"$1"' _ "$OUT"

for id in bbbb2222 cccc3333 dddd4444 eeee5555 ffff6666; do
    admin show "$id"
    check "show $id: no such session (exit $RC): ${OUT:0:80}" \
        eval '[ "$RC" != 0 ] && grep -q "no session" <<<"$ERR"'
done
admin show aaaa1111 --json
check "show aaaa1111: the honest session (exit $RC)" [ "$RC" = 0 ]
check "show aaaa1111: the tampered end record (line 9) is not merged" \
    python3 -c 'import json,sys; s=json.loads(sys.argv[1]); sys.exit(not (s.get("end_line", 2)==2 and all(c.get("to_vm")!=5 for c in s.get("channels", []))))' "$OUT"
check "show: names the tampered lines as damaged" \
    grep -q "skipped 7 damaged line(s)" <<<"$ERR"
finish
