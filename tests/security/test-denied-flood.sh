#!/bin/bash
# Threat: a key holder fills the log's disk with denied requests (each one a
# fsync'd record, unlimited), and from then on every open fails with exit 8
# (the audit trail fails closed): a denial of service for everyone.
# Protection (gateway/denied-limit.c, denied-file.c): denied records are
# written at most denied-records-per-minute per identity and client address,
# and not at all while the log's filesystem has less than log-reserve free;
# the rest are counted in a flock'ed state file per identity in the run dir
# and written as denied-summary records. Start and end records still go in.
# Test: the log on a 2 MiB tmpfs, filled to just above its reserve; 10,000
# bad requests from one key holder (bad requests and opens of a VM it may
# not open, from 40 client addresses, 4 at a time, the gateway run as sshd
# runs it); another identity opens a console during and after the flood.
# Checks: no request got exit 8, the other identity's start and end records
# are written, the free space never went far into the reserve, and the
# counts add up: denied records + suppressed counts = 10,000 (per exit code
# too), as `vmconsole-admin report` shows them.
# Usage: test-denied-flood.sh GATEWAY-BINARY ADMIN-BINARY
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/log-host-lib.sh"
need_root
GW=$(realpath "$1")
ADMIN=$(realpath "$2")
REQUESTS=${VMC_T_FLOOD_REQUESTS:-10000}
log_host flood 2m || exit 1
MALLORY=$STRANGER
RESERVE_K=1024
# leave the reserve and 128 KiB above it: the flood crosses into it
dd if=/dev/zero of="$D/logfs/fill" bs=1k count=$(( $(log_host_avail_k) - RESERVE_K - 128 )) \
    2>/dev/null
cat > "$D/gateway.conf" <<CONF
[gateway]
socket-pattern = $D/spicex/%s.sock
log = $LOG
run-dir = $D/run
sandbox = off
viewer = /bin/true
log-reserve = ${RESERVE_K}K
denied-records-per-minute = 30
CONF

# alice opens debianx as sshd would start the gateway (no X cookie: the
# session starts, its viewer cannot, it ends): writes TAG.rc
alice_open() { # alice_open TAG
    env -i PATH=/usr/bin:/bin HOME="$D" DISPLAY=:99 SSH_ORIGINAL_COMMAND=debianx \
        SSH_CONNECTION="192.0.2.10 40000 127.0.0.1 22" \
        "$GW" --config "$D/gateway.conf" --identity "$ALICE" </dev/null >/dev/null \
        2>"$D/$1.err"
    echo $? > "$D/$1.rc"
}
records() { # records EVENT IDENTITY
    jq -r --arg e "$1" --arg i "$2" 'select(.event == $e and .identity == $i) | .event' \
        "$LOG" | wc -l
}

# the flood: REQUESTS runs, 4 at a time; every exit code and the least free
# space seen are written down
python3 - "$GW" "$D/gateway.conf" "$MALLORY" "$REQUESTS" "$D" <<'PY' &
import collections, concurrent.futures, os, subprocess, sys
gw, conf, who, n, d = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
def one(i):
    request = "debianx --bogus" if i % 2 else "debianx"
    env = {"PATH": "/usr/bin:/bin", "HOME": d, "SSH_ORIGINAL_COMMAND": request,
           "SSH_CONNECTION": "198.51.100.%d %d 127.0.0.1 22" % (i % 40 + 1, 1024 + i % 60000)}
    rc = subprocess.run([gw, "--config", conf, "--identity", who], env=env,
                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL).returncode
    st = os.statvfs(d + "/logfs")
    return rc, st.f_bavail * st.f_frsize // 1024
codes, least = collections.Counter(), None
with concurrent.futures.ThreadPoolExecutor(4) as pool:
    for rc, avail in pool.map(one, range(n)):
        codes[rc] += 1
        least = avail if least is None else min(least, avail)
with open(d + "/flood.out", "w") as out:
    out.write(" ".join("%d:%d" % kv for kv in sorted(codes.items())) + "\n%d\n" % least)
PY
FLOOD=$!
sleep 5
alice_open during
wait "$FLOOD"
alice_open after

read -r CODES < "$D/flood.out"
LEAST_K=$(sed -n 2p "$D/flood.out")
BAD=$(( REQUESTS / 2 )) NOT_PERMITTED=$(( REQUESTS - REQUESTS / 2 ))
check "every flood request answered: $CODES (none exit 8)" [ "$CODES" = "2:$BAD 3:$NOT_PERMITTED" ]
check "alice opened during the flood: not exit 8 (got $(cat "$D/during.rc"))" \
    [ "$(cat "$D/during.rc")" != 8 ]
check "alice opened after the flood: not exit 8 (got $(cat "$D/after.rc"))" \
    [ "$(cat "$D/after.rc")" != 8 ]
check "alice's start records are in the log (2)" [ "$(records start "$ALICE")" = 2 ]
check "alice's end records are in the log (2)" [ "$(records end "$ALICE")" = 2 ]
ALICE_END=$(jq -r --arg i "$ALICE" 'select(.event == "end" and .identity == $i) |
    "\(.reason): \(.reason_text // "")"' "$LOG" | tail -1)
check "alice's session ended for want of an X cookie, not of the log: $ALICE_END" \
    bash -c '! grep -qi "log" <<<"$1"' _ "$ALICE_END"
check "the log never filled: at least $(( RESERVE_K - 64 )) KiB stayed free (least: $LEAST_K KiB)" \
    [ "$LEAST_K" -ge $(( RESERVE_K - 64 )) ]
check "the log has no damaged line" \
    python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$LOG"

WRITTEN=$(records denied "$MALLORY")
SUPPRESSED=$(jq -s --arg i "$MALLORY" \
    '[.[] | select(.event == "denied-summary" and .identity == $i) | .suppressed] | add // 0' "$LOG")
LOW=$(jq -s --arg i "$MALLORY" \
    '[.[] | select(.event == "denied-summary" and .identity == $i) | .low_space] | add // 0' "$LOG")
check "the counts add up: $WRITTEN records + $SUPPRESSED suppressed = $REQUESTS" \
    [ $(( WRITTEN + SUPPRESSED )) = "$REQUESTS" ]
check "below the reserve denied requests were summarised ($LOW of them)" [ "$LOW" -gt 0 ]
check "at most 30 records a minute per address were written ($WRITTEN)" \
    [ "$WRITTEN" -le $(( 17 * 30 * ( $(date +%s) - $(stat -c %Y "$D/gateway.conf") + 60 ) / 60 )) ]
for code in 2 3; do
    want=$([ $code = 2 ] && echo $BAD || echo $NOT_PERMITTED)
    got=$(jq -s --arg i "$MALLORY" --arg c "$code" '([.[] | select(.event == "denied" and
        .identity == $i and .exit == ($c | tonumber))] | length) + ([.[] | select(.event ==
        "denied-summary" and .identity == $i) | .exits[$c] // 0] | add // 0)' "$LOG")
    check "exit $code: records + summaries = $want (got $got)" [ "$got" = "$want" ]
done
STATE=$(ls "$D"/run/denied-*.state)
check "one state file for mallory, a regular file of mode 0600: $STATE" \
    eval '[ "$(wc -w <<<"$STATE")" = 1 ] && [ -f "$STATE" ] && [ "$(stat -c %a "$STATE")" = 600 ]'
check "its buckets stay bounded (40 addresses: at most 16 own, the rest together)" \
    [ "$(( $(wc -l < "$STATE") - 2 ))" -le 17 ]
REPORT=$("$ADMIN" --config "$D/gateway.conf" report --by identity --json 2>"$D/report.err")
check "report: DENIED for mallory includes the suppressed ones ($REQUESTS)" \
    [ "$(jq -r --arg i "$MALLORY" '.rows[] | select(.key == $i) | .denied' <<<"$REPORT")" = \
      "$REQUESTS" ]
check "report: no damaged line" [ ! -s "$D/report.err" ]
check "sessions: reads the log with its summaries" \
    eval '"$ADMIN" --config "$D/gateway.conf" sessions >/dev/null'
finish
