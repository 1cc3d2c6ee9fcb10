#!/bin/bash
# max-sessions-per-identity under a burst: a key holder who may open many VMs
# starts many opens at the same moment to get more consoles (more of the
# host's CPU and memory, more viewers) than the admin allows. Real gateway
# processes, started as sshd starts them (the account, env -i,
# SSH_ORIGINAL_COMMAND), each opening another VM, against
# max-sessions-per-identity = 4; a fake viewer that just waits keeps each
# session open (sandbox = off: the limit does not depend on the sandbox).
#
# Threats                                   Assertions
# ---------------------------------------   ------------------------------------------------
# L1 20 opens at once (5 rounds): a check-  in every round exactly 4 sessions run, the
#    then-lock count lets several see "3      other 16 get exit 5 and "the limit is 4"; the
#    open" and all go ahead                   log has 4 start and 16 denied records (saying
#                                             the limit) a round, and an end record for
#                                             every start once they ended
# L2 a session ending while a burst of 8    the running sessions never exceed 4, at most
#    opens comes in                           one of the 8 gets the freed place, the
#                                             records add up (starts = ends + running)
# L3 a gateway killed (SIGKILL, a crash)    its place is free again: with N places free,
#    keeps its place for good                 N + 2 opens at once give exactly N sessions
#
# Usage: test-session-limit.sh GATEWAY-BINARY     (TAP; needs root, else exit 77)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../integration/lib.sh"
. "$HERE/security-lib.sh"
need_root
for prog in setpriv setfacl xauth python3; do
    if ! command -v "$prog" >/dev/null; then
        echo "1..0 # SKIP $prog is not installed (scripts/install-deps installs it)"
        exit 77
    fi
done

P=$(vmc_prefix l)
VMC_T_DIR=$(mktemp -d /tmp/vmc-limit-XXXXXX)
chmod 0755 "$VMC_T_DIR"
D=$VMC_T_DIR
RUNNING=""   # pids of gateways whose session runs
cleanup() {
    # shellcheck disable=SC2086 # the pids are split on purpose
    [ -z "$RUNNING" ] || stop_pids -t 50 $RUNNING
    cleanup_common
}
trap cleanup EXIT

MAX=4 BURST=20
ALICE=${P}al
add_user "$ALICE" || exit 1
sec_direct_setup "${P}gw" "$1" || exit 1
VMS=$(for i in $(seq -w 1 $BURST); do echo "vm$i"; done)
# shellcheck disable=SC2086 # the names are split on purpose
sec_vm_sockets $VMS && sec_grant "$ALICE" $VMS || exit 1
# every refusal recorded: this test counts them (the limiter of denied
# records, 30 a minute by default, is test-denied-flood's)
sec_direct_config "max-sessions-per-identity = $MAX" "denied-records-per-minute = 1000"

# A session runs once its gateway holds its console (the lock file names it).
has_start_by_pid() { # has_start_by_pid PID
    grep -lqs "^pid=$1\$" "$SEC_RUN"/*.lock
}
# burst TAG N: N opens at once, each of another VM (the next unused names);
# waits (bounded) until each has exited or holds its console; sets
# B_PIDS B_RUN (pids that run a session) B_REFUSED (pids with exit 5) B_OTHER
NEXT_VM=1
burst() {
    local tag=$1 n=$2 i vm pid
    B_PIDS="" B_RUN="" B_REFUSED="" B_OTHER=""
    sec_barrier_hold
    for i in $(seq "$n"); do
        vm=$(printf 'vm%02d' "$NEXT_VM"); NEXT_VM=$(( NEXT_VM % BURST + 1 ))
        sec_gateway_bg "$tag-$i" "$ALICE" "$vm"
        B_PIDS="$B_PIDS $SEC_PID"
        echo "$SEC_PID $tag-$i" >> "$D/tags"
    done
    sleep 0.5   # every one of them waits at the start line
    sec_barrier_release
    for _ in $(seq 300); do
        local pending=0
        for pid in $B_PIDS; do
            pid_alive "$pid" && ! has_start_by_pid "$pid" && pending=$((pending + 1))
        done
        [ "$pending" = 0 ] && break
        sleep 0.1
    done
    sleep 1   # a gateway that held its lock but is about to refuse has gone by now
    local rc
    for pid in $B_PIDS; do
        if pid_alive "$pid"; then
            B_RUN="$B_RUN $pid"
            continue
        fi
        sec_gateway_rc "$pid"; rc=$?
        if [ "$rc" = 5 ]; then
            B_REFUSED="$B_REFUSED $pid"
        else
            B_OTHER="$B_OTHER $pid"
            echo "exit $rc" >> "$D/$(tag_of "$pid").err"
        fi
    done
    RUNNING="$RUNNING$B_RUN"
}
count() { echo $#; } # count WORDS...
tag_of() { sed -n "s/^$1 //p" "$D/tags"; }
running_now() { local p n=0; for p in $RUNNING; do pid_alive "$p" && n=$((n + 1)); done; echo $n; }
end_sessions() { # end_sessions PID...: SIGTERM, as when the person's ssh goes
    local p
    stop_pids -t 50 "$@"
    for p in "$@"; do RUNNING=$(vmc_words_without "$p" "$RUNNING"); done
}
others_said() { # others_said PID...: the stderr of gateways that neither ran nor refused
    local p
    for p in "$@"; do echo "# $(tag_of "$p"): $(tr '\n' ' ' < "$D/$(tag_of "$p").err")"; done
}

# ---- L1: 20 at once, ROUNDS times (a race shows in some rounds, not all) ----
ROUNDS=5
runs="" refusals="" said=0 others=0
for round in $(seq $ROUNDS); do
    : > "$D/tags"
    burst "l1r$round" $BURST
    runs="$runs $(count $B_RUN)" refusals="$refusals $(count $B_REFUSED)"
    others=$((others + $(count $B_OTHER)))
    others_said $B_OTHER
    for pid in $B_REFUSED; do
        grep -q "the limit is $MAX" "$D/$(tag_of "$pid").err" && said=$((said + 1))
    done
    # shellcheck disable=SC2086
    end_sessions $B_RUN
done
echo "# L1: per round, running:$runs; refused with exit 5:$refusals; other: $others"
want_runs=$(printf " $MAX%.0s" $(seq $ROUNDS))
want_refusals=$(printf " $((BURST - MAX))%.0s" $(seq $ROUNDS))
check "L1: exactly $MAX of $BURST simultaneous opens run, in each of $ROUNDS rounds (got$runs)" \
    [ "$runs" = "$want_runs" ]
check "L1: the other $((BURST - MAX)) get exit 5, in each round (got$refusals)" \
    [ "$refusals" = "$want_refusals" ]
n_refused=$(echo $refusals | tr ' ' '+' | bc)
check "L1: each refused open is told the limit is $MAX ($said of $n_refused)" \
    eval '[ "$said" = "$n_refused" ] && [ "$said" -gt 0 ]'
starts=$(sec_records start) ends=$(sec_records end)
limit_denials=$(sec_records denied "r.get('exit') == 5 and 'limit' in r.get('reason', '')")
check "L1: $((ROUNDS * MAX)) start records (got $starts)" [ "$starts" = $((ROUNDS * MAX)) ]
check "L1: $((ROUNDS * (BURST - MAX))) denied records with exit 5 naming the limit (got $limit_denials)" \
    [ "$limit_denials" = $((ROUNDS * (BURST - MAX))) ]
check "L1: one end record per start once they ended ($ends of $starts)" [ "$ends" = "$starts" ]
check "L1: no session dir of theirs is left" \
    eval '[ -z "$(ls -d "$SEC_RUN"/session-* 2>/dev/null)" ]'

# ---- L2: one ends while 8 come in ----
: > "$D/tags"
burst l2a $MAX
check "L2: $MAX sessions run again" [ "$(count $B_RUN)" = $MAX ]
L2A=$B_RUN
victim=$(echo "$L2A" | awk '{print $1}')
kill -TERM "$victim"
burst l2b 8
wait_gone 50 "$victim"; sec_gateway_rc "$victim"
RUNNING=$(vmc_words_without "$victim" "$RUNNING")
n_new=$(count $B_RUN)
echo "# L2: $n_new of 8 got the freed place; $(running_now) running"
others_said $B_OTHER
check "L2: at most one of the 8 got the freed place (got $n_new)" [ "$n_new" -le 1 ]
check "L2: never more than $MAX running (now $(running_now))" [ "$(running_now)" -le $MAX ]
check "L2: the rest got exit 5 ($(count $B_REFUSED) of $((8 - n_new)))" \
    [ "$(count $B_REFUSED)" = $((8 - n_new)) ]
starts=$(sec_records start) ends=$(sec_records end)
check "L2: records add up: $starts starts = $ends ends + $(running_now) running" \
    [ "$starts" = $((ends + $(running_now))) ]

# ---- L3: a killed gateway frees its place ----
killed=$(echo "$RUNNING" | awk '{print $1}')
{ kill -KILL "$killed"; wait_gone 50 "$killed"; sec_gateway_rc "$killed"; } 2>/dev/null
RUNNING=$(vmc_words_without "$killed" "$RUNNING")
free=$((MAX - $(running_now)))
burst l3 $((free + 2))
echo "# L3: after a SIGKILL, $free place(s) free: $(count $B_RUN) of $((free + 2)) opens run"
others_said $B_OTHER
check "L3: exactly $free of $((free + 2)) opens run after a gateway was killed (got $(count $B_RUN))" \
    [ "$(count $B_RUN)" = "$free" ]
check "L3: the other 2 get exit 5 (got $(count $B_REFUSED))" [ "$(count $B_REFUSED)" = 2 ]

finish
