#!/bin/bash
# A hostile Spice peer on either side of the gateway's relay (issue 10,
# "Hostile peers and parsers"): the session's memory stays bounded, the
# gateway neither crashes nor spins, and the relay's counters add up.
#
# The gateway runs as sshd runs it (forced command: SSH_ORIGINAL_COMMAND, the
# SSH channel as stdout, DISPLAY of a "laptop" Xvfb), without sshd. Its
# `viewer =` is hostile-spice (client role): the gateway starts it through
# its own viewer code path, in the viewer's sandbox, and it attacks the
# relay phase by phase. The VM's socket is hostile-spice's server role,
# ACL'd for the identity as the other tests do. The client tells the test
# where it is through the server (a "marker" connection per step; see
# hostile-spice.c); the test answers each marker only after it measured the
# gateway: VmRSS/VmHWM from /proc/PID/status (the peak reset per phase with
# clear_refs), CPU time (utime + stime) and open fds.
#
# Threats                                            Assertions
# ------------------------------------------------   ---------------------------------------------
# T1 many connections at once, beyond                 conns: VMC_RELAY_MAX_CONNECTIONS held, the rest
#    VMC_RELAY_MAX_CONNECTIONS, all silent              refused at once and counted, the held ones
#                                                       dropped at the link deadline; none reaches the VM
# T2 malformed link messages: bad magic, HTTP,         header: each refused within 2 s (before the
#    major 1, size 4 GiB / 4097 / 17, caps counts         deadline), none reaches the VM, each named on
#    that wrap (n1 + n2, 4 * n), 1025 caps, caps over     the gateway's stderr
#    the size, caps_offset outside / wrapping / in
#    the header, channel 0 / usbredir / 255, a bad
#    message followed by a good one, a half header
# T3 a stalled link phase: nothing, half a header,    stall: each dropped at the deadline (not
#    a header and part of a 4 KiB message                before), the gateway's CPU stays near zero
# T4 byte-at-a-time trickle                           trickle: a 4 KiB link at 1 byte / 2 ms dropped at
#                                                       the deadline; a short one within it relayed
#                                                       byte for byte
# T5 a flood it never reads the answer to, on 56      flood: the floods stall (backpressure); while
#    display channels; half-closed channels toward       stalled the gateway uses < HOLD_CPU_MAX CPU
#    a silent VM                                         over HOLD_S (no spin), fds stay bounded
# T6 the main channel through the agent filter       agent: 9 refusals (data before the reply, SASL,
#    (file transfer denied by default): data before      an unknown mechanism, AGENT_DATA > 4 KiB,
#    the reply, SASL, AGENT_DATA of 5000 bytes, a        messages of 4 GiB and 64 KiB + 1, agent
#    4 GiB message, agent messages of 4 GiB /            messages of 4 GiB / 256 MiB + 1, a foreign
#    256 MiB + 1 / a foreign protocol, a message list,   protocol) each closed within 2 s and counted;
#    a denied transfer of 16 MiB flooded, a main         16 MiB of denied transfer taken and dropped,
#    channel stalled both ways                            none of it reaches the VM; no spin when stalled
# T7 the heap's worst case: 60 filtered main           fill: peak memory above the idle baseline
#    channels, every buffer full both ways               stays under BOUND (below); no spin
# T8 the VM's link reply huge (4 GiB), not REDQ,      s-reply: each main channel closed within 2 s and
#    caps outside it, an error then bytes, too short;    counted; the display channel's junk is held by
#    on a spliced channel a 4 GiB reply and a flood      backpressure
# T9 the VM's messages: a message list, 2 GiB,         s-list: each main channel closed within 2 s and
#    an agent message of 4 GiB, AGENT_DATA > 4 KiB,      counted
#    sub-messages under the full header
# T10 the VM's reply, result and message trickled      s-trickle: they arrive whole, in order
# T11 floods on every channel toward a viewer that    s-flood: bounded memory, no spin
#    does not read; 60 connections accepted
# T12 the VM closes every connection at once          s-close: the session ends (vm-closed), one end
#                                                       record, the gateway exits 0
# Every session: the gateway alive at each phase's end, one end record
# (viewer-exit), rejected_connections and agent.refused equal what the client
# counted, each channel's connections equal the client's, to_vm at most what
# the client sent, from_vm at most what the VM sent (plus what the filter
# injected). An honest session (QEMU, remote-viewer) is measured the same way
# and printed beside the hostile phases.
#
# The memory bound. The relay's documented buffers are 2 x
# VMC_RELAY_BUFFER_SIZE per connection and VMC_RELAY_MAX_CONNECTIONS
# connections: 64 x 2 x 64 KiB = 8 MiB (read from spice/vmc-spice.h). On a
# spliced channel the two buffers are pipes (kernel memory, not in RSS) and
# the connection's own state is ~4 KiB (its link buffer); on a filtered main
# channel the buffers are the relay's heap: 2 x 16 KiB of input and the
# filter's 2 x (16 KiB output + 4 KiB AGENT_DATA body + 4 KiB link reply),
# ~86 KiB with the connection's state, under the 128 KiB per connection.
# Fixed costs, FIXED_KIB = 1 MiB: what the relay keeps besides its
# connections, the per-second series (at most VMC_RELAY_SERIES_MAX = 3600
# samples x 8 bytes x 17 series, ~480 KiB) and one copy of them in a stats
# snapshot (the lock file's update). BOUND = 8 MiB + 1 MiB above the RSS the
# gateway had when the client first spoke (after its start-up); memory
# malloc keeps from an earlier phase counts against the later ones.
#
# Usage: test-hostile-peers.sh GATEWAY HOSTILE-SPICE   (TAP; needs root, else exit 77)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../integration/lib.sh"
need_root
GW=$(realpath "$1")
HOSTILE=$(realpath "$2")

for prog in Xvfb xauth setfacl python3 bwrap qemu-system-x86_64 remote-viewer xwininfo xprop; do
    if ! command -v "$prog" >/dev/null; then
        echo "1..0 # SKIP $prog is not installed (scripts/install-deps installs it)"
        exit 77
    fi
done

# the bound, from the relay's own constants
spice_define() { sed -n "s/^#define $1 \([^/]*\).*/\1/p" "$HERE/../../spice/vmc-spice.h" | tr -d ' '; }
MAX_CONNECTIONS=$(( $(spice_define VMC_RELAY_MAX_CONNECTIONS) ))
BUFFER_BYTES=$(( $(spice_define VMC_RELAY_BUFFER_SIZE) ))
FIXED_KIB=1024
BOUND_KIB=$(( MAX_CONNECTIONS * 2 * BUFFER_BYTES / 1024 + FIXED_KIB ))
HOLD_S=3                # a stall is measured this long
HOLD_CPU_MAX=0.30       # seconds of CPU the gateway may use meanwhile (a spin uses ~HOLD_S)
SILENT_CPU_MAX=0.50     # over the whole stall phase (~5 s of silence)
FDS_MAX=$(( MAX_CONNECTIONS * 6 + 64 ))  # per connection two sockets and two pipes: 6 fds
HONEST_S=10

P=$(vmc_prefix h)
VMC_T_DIR=$(mktemp -d /tmp/vmc-hostile-XXXXXX)
chmod 0755 "$VMC_T_DIR"
D=$VMC_T_DIR
GW_PID=""

cleanup() {
    [ -n "${VMC_KEEP:-}" ] && cp -r "$D" "$VMC_KEEP"
    [ -n "$GW_PID" ] && stop_pids -t 50 "$GW_PID"
    stop_all_qemu 2>/dev/null
    stop_all_xvfb 2>/dev/null
    cleanup_common
}
trap cleanup EXIT

ALICE=${P}al
add_user "$ALICE" || exit 1
mkdir -p "$D/log" "$D/run" "$D/bin" "$D/ctl"
LOG=$D/log/sessions.jsonl
GW=$(install_gateway "$GW" "$D") || exit 1
install -m 0755 "$HOSTILE" "$D/bin/hostile-spice" && HOSTILE=$D/bin/hostile-spice || exit 1

cat > "$D/gateway.conf" <<EOF
[gateway]
socket-pattern = $D/%s.sock
viewer = $HOSTILE
log = $LOG
run-dir = $D/run

[vm viewerside]
socket = $D/vm.sock
title = vmc-hostile conns,header,stall,trickle,flood,agent,fill

[vm vmside]
socket = $D/vm.sock
title = vmc-hostile s-reply,s-list,s-trickle,s-flood

[vm vmclose]
socket = $D/vmclose.sock
title = vmc-hostile s-close
EOF
sed -e "s|^viewer = .*|viewer = /usr/bin/remote-viewer|" -e '/^\[vm /,$d' "$D/gateway.conf" \
    > "$D/honest.conf"
printf '[vm honest]\nsocket = %s/honest.sock\ntitle = honest console\n' "$D" >> "$D/honest.conf"

# ---- the laptop's display, the VMs ----
start_xvfb laptop || exit 1
XAUTH=$D/Xauthority
: > "$XAUTH"
xauth -q -f "$XAUTH" add "$XVFB_DISPLAY" MIT-MAGIC-COOKIE-1 \
    "$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"

SLOG=$D/server.log
SLOG_START=0
start_server() { # start_server SOCKET [close]
    "$HOSTILE" server "$1" "$SLOG" "$D/ctl" ${2:+"$2"} </dev/null >>"$D/server.err" 2>&1 &
    VMC_T_PIDS="${VMC_T_PIDS:-} $!"
    for _ in $(seq 50); do [ -S "$1" ] && break; sleep 0.1; done
    setfacl -m "u:$ALICE:rw" "$1"
}
start_server "$D/vm.sock" || exit 1
start_server "$D/vmclose.sock" close || exit 1

# ---- the gateway, as sshd runs it ----
run_gateway() { # run_gateway TAG REQUEST [CONF]: sets GW_PID; stderr in $D/TAG.err
    # The VM's title reaches a viewer as the guest name on the Spice main
    # channel, which the hostile VM side never sends: hostile-spice reads its
    # phases from the laptop's root window instead (the same title).
    XAUTHORITY="$XAUTH" xprop -display "$XVFB_DISPLAY" -root -f VMC_HOSTILE_TITLE 8s \
        -set VMC_HOSTILE_TITLE \
        "$(sed -n "/^\[vm $2\]\$/,/^\[/ s/^title = //p" "${3:-$D/gateway.conf}")"
    mkfifo "$D/$1.out"
    cat "$D/$1.out" > /dev/null &
    env -i PATH=/usr/bin:/bin HOME="$D" DISPLAY="$XVFB_DISPLAY" XAUTHORITY="$XAUTH" \
        SSH_ORIGINAL_COMMAND="$2" SSH_CONNECTION="192.0.2.9 50000 127.0.0.1 22" \
        "$GW" --config "${3:-$D/gateway.conf}" --identity "$ALICE" </dev/null \
        > "$D/$1.out" 2> "$D/$1.err" &
    GW_PID=$!
}

wait_gateway_exit() { # wait_gateway_exit TENTHS: sets GW_RC (empty: still running)
    GW_RC=""
    wait_gone "$1" "$GW_PID" || return 1
    wait "$GW_PID"
    GW_RC=$?
    GW_PID=""
}

status_kib() { sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/status" 2>/dev/null; }
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}'; }
fd_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
reset_peak() { echo 5 > "/proc/$1/clear_refs"; }
ticks_s() { awk -v t="$1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }      # le A B: A <= B (decimals)
mval() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"; }              # mval TEXT KEY
mval0() { local v; v=$(mval "$@"); echo "${v:-0}"; }                  # ... 0 when absent
refusals() { grep -c 'refused a connection to the console relay' "$1"; }

# ---- answering the client's markers, measuring ----
declare -A PEAK CPU HOLD_CPU HOLD_RSS FDS TEXT ALIVE VM_ACCEPTS REFUSED_LINES BASE
BASE_RSS=0

next_marker() { # next_marker SEQ: the line of marker SEQ (waits up to 120 s)
    local line
    for _ in $(seq 2400); do
        line=$(grep -m 1 "^marker $1 " "$SLOG")
        if [ -n "$line" ]; then echo "${line#marker "$1" }"; return 0; fi
        pid_alive "$GW_PID" || return 1
        sleep 0.05
    done
    return 1
}

# drive TAG: answer the markers of the session's client until "end all";
# each phase's results land in the arrays, keyed "TAG:PHASE".
drive() {
    local tag=$1 seq line accepts text word phase key cpu0 cpu1 last_accepts=0 phase_cpu=0
    SLOG_START=$(wc -l < "$SLOG")
    seq=$(grep -c '^marker ' "$SLOG") # the markers of earlier sessions were answered
    while :; do
        seq=$((seq + 1))
        if ! line=$(next_marker "$seq"); then
            echo "# $tag: no marker $seq (the gateway is $(pid_alive "$GW_PID" && echo alive || echo gone))"
            return 1
        fi
        accepts=$(mval "$line" accepts)
        text=${line#accepts=* }
        word=${text%% *}
        phase=$(cut -d' ' -f2 <<<"$text")
        key=$tag:$phase
        case $word in
            ready)
                BASE_RSS=$(status_kib "$GW_PID" VmRSS)
                reset_peak "$GW_PID"
                phase_cpu=$(cpu_ticks "$GW_PID")
                last_accepts=$accepts
                echo "# $tag: ready; the gateway's RSS $BASE_RSS KiB"
                ;;
            hold)
                cpu0=$(cpu_ticks "$GW_PID")
                sleep "$HOLD_S"
                cpu1=$(cpu_ticks "$GW_PID")
                HOLD_CPU[$key]=$(ticks_s $((cpu1 - cpu0)))
                HOLD_RSS[$key]=$(status_kib "$GW_PID" VmRSS)
                FDS[$key]=$(fd_count "$GW_PID")
                ;;
            closed)
                touch "$D/ctl/release-$(mval "$text" tag)"
                ;;
            end)
                PEAK[$key]=$(( $(status_kib "$GW_PID" VmHWM) - BASE_RSS ))
                cpu1=$(cpu_ticks "$GW_PID")
                CPU[$key]=$(ticks_s $((cpu1 - phase_cpu)))
                TEXT[$key]=$text
                ALIVE[$key]=$(pid_alive "$GW_PID"; echo $?)
                VM_ACCEPTS[$key]=$((accepts - last_accepts))
                REFUSED_LINES[$key]=$(refusals "$D/$tag.err")
                [ -n "${FDS[$key]:-}" ] || FDS[$key]=$(fd_count "$GW_PID")
                echo "# $tag: $text"
                reset_peak "$GW_PID"
                phase_cpu=$(cpu_ticks "$GW_PID")
                last_accepts=$accepts
                ;;
        esac
        touch "$D/ctl/go-$seq"
        [ "$word $phase" = "end all" ] && return 0
    done
}

jl() { # jl PYTHON-EXPRESSION: R is the list of records; end(vm) that VM's end records
    python3 -c '
import json, sys
R = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
def ends(vm):
    return [r for r in R if r.get("event") == "end" and r.get("vm") == vm]
def end(vm):
    e = ends(vm)
    return e[-1] if e else {}
def ch(vm, name, field):
    return end(vm).get("channels", {}).get(name, {}).get(field, 0)
print(eval(sys.argv[2]))' "$LOG" "$1"
}

# server_sum FIELD CHANNEL-TYPE [TAG [BEHAVIOUR]]: the server's FIELD (read,
# wrote) over the current session's connections
server_sum() {
    tail -n "+$((SLOG_START + 1))" "$SLOG" |
        awk -v f="$1" -v c="channel=$2" -v t="${3:+tag=$3}" -v b="${4:+behaviour=$4}" '
            $1 == "done" && $4 == c && (t == "" || $5 == t) && (b == "" || $3 == b) {
                for (i = 6; i <= NF; i++) if (index($i, f "=") == 1) s += substr($i, length(f) + 2)
            }
            END { print s + 0 }'
}

# phase_common TAG PHASE: alive, memory under the bound
phase_common() {
    local key=$1:$2
    ok "${ALIVE[$key]:-1}" "$key: the gateway is alive at the end of the phase"
    ok "$([ -n "${PEAK[$key]:-}" ] && [ "${PEAK[$key]}" -le "$BOUND_KIB" ]; echo $?)" \
        "$key: peak memory ${PEAK[$key]:-?} KiB above the baseline, bound $BOUND_KIB KiB"
}

hold_checks() { # hold_checks TAG PHASE
    local key=$1:$2
    ok "$(le "${HOLD_CPU[$key]:-9}" "$HOLD_CPU_MAX"; echo $?)" \
        "$key: stalled, the gateway used ${HOLD_CPU[$key]:-?} s of CPU in ${HOLD_S} s (at most $HOLD_CPU_MAX: no spin)"
    ok "$([ "${FDS[$key]:-9999}" -le "$FDS_MAX" ]; echo $?)" \
        "$key: ${FDS[$key]:-?} open fds while stalled (at most $FDS_MAX)"
}

# end_record_checks TAG VM: one end record, reason, and the counters against
# what the client counted (its "end all" marker) and what the VM sent.
end_record_checks() {
    local tag=$1 vm=$2 all=${TEXT[$1:all]:-} name sent to from wrote injected_to injected_from
    ok "$([ "$(jl "len(ends('$vm'))")" = 1 ]; echo $?)" "$tag: one end record ($(jl "len(ends('$vm'))"))"
    ok "$([ "$(jl "end('$vm').get('reason')")" = viewer-exit ] &&
         [ "$(jl "end('$vm').get('viewer_exit')")" = 0 ]; echo $?)" \
        "$tag: the session ended with the client (reason $(jl "end('$vm').get('reason')"), client exit $(jl "end('$vm').get('viewer_exit')"))"
    ok "$([ "$(mval "$all" fails)" = 0 ]; echo $?)" \
        "$tag: the client saw the relay do what a bounded relay must (fails=$(mval "$all" fails))"
    ok "$([ "$(jl "end('$vm').get('rejected_connections')")" = "$(mval "$all" rejected)" ]; echo $?)" \
        "$tag: rejected_connections $(jl "end('$vm').get('rejected_connections')") = the connections the client had refused ($(mval "$all" rejected))"
    ok "$([ "$(jl "end('$vm').get('agent', {}).get('refused')")" = "$(mval "$all" agent_refused)" ]; echo $?)" \
        "$tag: agent.refused $(jl "end('$vm').get('agent', {}).get('refused')") = the main channels the filter had to close ($(mval "$all" agent_refused))"
    injected_to=$(jl "end('$vm').get('agent', {}).get('bytes_injected_to_vm', 0)")
    injected_from=$(jl "end('$vm').get('agent', {}).get('bytes_injected_from_vm', 0)")
    for name in main display inputs cursor playback record; do
        local type
        type=$(case $name in main) echo 1;; display) echo 2;; inputs) echo 3;; cursor) echo 4;;
                            playback) echo 5;; record) echo 6;; esac)
        ok "$([ "$(jl "ch('$vm', '$name', 'connections')")" = "$(mval0 "$all" "conn.$name")" ]; echo $?)" \
            "$tag: $name connections $(jl "ch('$vm', '$name', 'connections')") = the client's ($(mval0 "$all" "conn.$name"))"
        to=$(jl "ch('$vm', '$name', 'to_vm')")
        from=$(jl "ch('$vm', '$name', 'from_vm')")
        sent=$(mval0 "$all" "sent.$name")
        wrote=$(server_sum wrote "$type")
        if [ "$name" = main ]; then sent=$((sent + injected_to)); wrote=$((wrote + injected_from)); fi
        # inputs carries the markers, the last one after the client's count
        [ "$name" = inputs ] && continue
        ok "$([ "$to" -le "$sent" ] && [ "$from" -le "$wrote" ]; echo $?)" \
            "$tag: $name to_vm $to <= sent by the client $sent, from_vm $from <= sent by the VM $wrote"
    done
}

# hostile_session TAG VM PHASE...: open VM, answer its client's markers
# through its phases; the gateway must end after the client, status 0.
hostile_session() {
    local tag=$1 vm=$2 phase
    shift 2
    run_gateway "$tag" "$vm"
    drive "$tag"
    ok $? "$tag: the client went through every phase (markers answered)"
    BASE[$tag]=$BASE_RSS
    wait_gateway_exit 150
    ok "$([ "${GW_RC:-x}" = 0 ]; echo $?)" \
        "$tag: the gateway exited 0 after the client (status ${GW_RC:-still running})"
    grep -v 'refused a connection' "$D/$tag.err" | head -n 20 | sed "s/^/# $tag stderr: /"
    sleep 1 # the VM's threads log their last connections
    for phase in "$@"; do phase_common "$tag" "$phase"; done
}

# ---- 1. the hostile viewer ----
hostile_session v viewerside conns header stall trickle flood agent fill
ok "$([ "$(jl "[r for r in R if r.get('event') == 'start' and r.get('vm') == 'viewerside'][-1].get('file_transfer')")" = deny ]; echo $?)" \
    "v: the start record says file_transfer deny (the main channel goes through the agent filter)"

T=${TEXT[v:conns]:-}
ok "$([ "$(mval "$T" at_once)" -ge 36 ] 2>/dev/null &&
     [ $(( $(mval "$T" at_once) + $(mval "$T" at_deadline) )) = "$(mval "$T" opened)" ]; echo $?)" \
    "T1 conns: $(mval "$T" at_once) of $(mval "$T" opened) refused at once, $(mval "$T" at_deadline) held until the link deadline"
ok "$([ "$(grep -c "more than $MAX_CONNECTIONS connections at once refused" "$D/v.err")" = "$(mval "$T" at_once)" ]; echo $?)" \
    "T1 conns: the gateway says 'more than $MAX_CONNECTIONS connections at once refused' for each ($(grep -c "more than $MAX_CONNECTIONS connections at once" "$D/v.err"))"
ok "$([ "$(mval "$T" deadline_min_ms)" -ge 4900 ] && [ "$(mval "$T" deadline_max_ms)" -le 7500 ]; echo $?)" \
    "T1 conns: the held ones dropped after $(mval "$T" deadline_min_ms)..$(mval "$T" deadline_max_ms) ms (deadline 5000)"
ok "$([ "${VM_ACCEPTS[v:conns]}" = 1 ]; echo $?)" "T1 conns: the VM saw only the marker (${VM_ACCEPTS[v:conns]} connection)"

T=${TEXT[v:header]:-}
ok "$([ "$(mval "$T" cases)" = 18 ] && [ "$(mval "$T" max_ms)" -lt 2000 ]; echo $?)" \
    "T2 header: $(mval "$T" cases) malformed link messages refused, the slowest after $(mval "$T" max_ms) ms"
ok "$([ $(( ${REFUSED_LINES[v:header]} - ${REFUSED_LINES[v:conns]} )) = 18 ]; echo $?)" \
    "T2 header: the gateway named each refusal ($(( ${REFUSED_LINES[v:header]} - ${REFUSED_LINES[v:conns]} )) lines)"
for reason in 'no REDQ magic' 'major version 1' 'size 4294967295 out of range' 'size 4097' \
              'size 17' 'caps (at most' 'do not fit' 'usbredir' 'type 255' 'type 0 ' 'left before'; do
    ok "$(grep -q -- "$reason" "$D/v.err"; echo $?)" "T2 header: a refusal says '$reason'"
done
ok "$([ "${VM_ACCEPTS[v:header]}" = 1 ]; echo $?)" "T2 header: nothing reached the VM (${VM_ACCEPTS[v:header]} connection: the marker)"

T=${TEXT[v:stall]:-}
ok "$([ "$(mval "$T" closed)" = 24 ] && [ "$(mval "$T" min_ms)" -ge 4900 ] && [ "$(mval "$T" max_ms)" -le 7500 ]; echo $?)" \
    "T3 stall: $(mval "$T" closed) of 24 silent links dropped after $(mval "$T" min_ms)..$(mval "$T" max_ms) ms"
ok "$(le "${CPU[v:stall]}" "$SILENT_CPU_MAX"; echo $?)" \
    "T3 stall: the gateway used ${CPU[v:stall]} s of CPU over the phase (at most $SILENT_CPU_MAX)"
ok "$([ "${VM_ACCEPTS[v:stall]}" = 1 ]; echo $?)" "T3 stall: nothing reached the VM"

T=${TEXT[v:trickle]:-}
ok "$([ "$(mval "$T" slow_closed_ms)" -ge 4900 ] && [ "$(mval "$T" slow_closed_ms)" -le 7500 ]; echo $?)" \
    "T4 trickle: a 4 KiB link message at a byte per 2 ms dropped at the deadline ($(mval "$T" slow_closed_ms) ms, $(mval "$T" slow_sent) bytes)"
ok "$([ "$(mval "$T" fast_ok)" = 1 ] && [ "$(server_sum read 2 7)" = "$(mval "$T" fast_data)" ]; echo $?)" \
    "T4 trickle: a short one relayed, the VM read every trickled byte ($(server_sum read 2 7) of $(mval "$T" fast_data))"

T=${TEXT[v:flood]:-}
ok "$([ "$(mval "$T" stalled)" = 1 ]; echo $?)" \
    "T5 flood: $(mval "$T" conns) connections stalled (backpressure) after $(mval "$T" per_conn) bytes each"
hold_checks v flood

T=${TEXT[v:agent]:-}
ok "$([ "$(mval "$T" refused)" = 9 ] && [ "$(mval "$T" max_ms)" -lt 2000 ]; echo $?)" \
    "T6 agent: $(mval "$T" refused) main channels the filter cannot follow closed, the slowest after $(mval "$T" max_ms) ms"
ok "$([ "$(mval "$T" xfer_sent)" -ge $((16 * 1024 * 1024)) ]; echo $?)" \
    "T6 agent: the relay took the 16 MiB of a denied transfer ($(mval "$T" xfer_sent) bytes in $(mval "$T" xfer_ms) ms)"
ok "$([ "$(server_sum read 1 21 sink)" -le 128 ] 2>/dev/null; echo $?)" \
    "T6 agent: none of it reached the VM (it read $(server_sum read 1 21 sink) bytes after the link: the ticket)"
ok "$([ "$(jl "end('viewerside').get('agent', {}).get('file_transfer_dropped', 0)")" -ge 2 ] &&
     [ "$(jl "end('viewerside').get('agent', {}).get('bytes_dropped_to_vm', 0)")" -ge $((16 * 1024 * 1024)) ]; echo $?)" \
    "T6 agent: the end record counts it dropped ($(jl "end('viewerside')['agent']['file_transfer_dropped']") messages, $(jl "end('viewerside')['agent']['bytes_dropped_to_vm']") bytes)"
hold_checks v agent

T=${TEXT[v:fill]:-}
ok "$([ "$(mval "$T" conns)" = $((MAX_CONNECTIONS - 4)) ] && [ "$(mval "$T" stalled)" = 1 ]; echo $?)" \
    "T7 fill: $(mval "$T" conns) filtered main channels full both ways"
hold_checks v fill
end_record_checks v viewerside

# ---- 2. the hostile VM ----
hostile_session s vmside s-reply s-list s-trickle s-flood
T=${TEXT[s:s-reply]:-}
ok "$([ "$(mval "$T" refused)" = 5 ] && [ "$(mval "$T" max_ms)" -lt 2000 ]; echo $?)" \
    "T8 s-reply: $(mval "$T" refused) hostile link replies on the main channel closed, the slowest after $(mval "$T" max_ms) ms"
hold_checks s s-reply
T=${TEXT[s:s-list]:-}
ok "$([ "$(mval "$T" refused)" = 5 ] && [ "$(mval "$T" max_ms)" -lt 2000 ]; echo $?)" \
    "T9 s-list: $(mval "$T" refused) hostile messages from the VM closed their main channel, the slowest after $(mval "$T" max_ms) ms"
T=${TEXT[s:s-trickle]:-}
ok "$([ "$(mval "$T" ok)" = 1 ]; echo $?)" "T10 s-trickle: the VM's trickled reply and message arrived whole ($(mval "$T" ms) ms)"
ok "$(le "${CPU[s:s-trickle]}" "$SILENT_CPU_MAX"; echo $?)" \
    "T10 s-trickle: the gateway used ${CPU[s:s-trickle]} s of CPU meanwhile (at most $SILENT_CPU_MAX)"
hold_checks s s-flood
end_record_checks s vmside

# ---- 3. the VM closes everything ----
run_gateway c vmclose
wait_gateway_exit 200
ok "$([ "${GW_RC:-x}" = 0 ]; echo $?)" "T12 s-close: the gateway ended the session itself and exited 0 (status ${GW_RC:-still running})"
ok "$([ "$(jl "len(ends('vmclose'))")" = 1 ] && [ "$(jl "end('vmclose').get('reason')")" = vm-closed ]; echo $?)" \
    "T12 s-close: one end record, reason $(jl "end('vmclose').get('reason')")"
ok "$([ "$(grep -c '"event":"start"' "$LOG")" = "$(grep -c '"event":"end"' "$LOG")" ]; echo $?)" \
    "every start record has its end record"

# ---- 4. an honest session for comparison ----
if start_qemu honest "$D/honest.sock" && setfacl -m "u:$ALICE:rw" "$D/honest.sock"; then
    run_gateway h honest "$D/honest.conf"
    if wait_for_window "$XVFB_DISPLAY" '^honest console' 60; then
        H_START=$(status_kib "$GW_PID" VmHWM)
        H_BASE=$(status_kib "$GW_PID" VmRSS)
        reset_peak "$GW_PID"
        H_CPU0=$(cpu_ticks "$GW_PID")
        sleep "$HONEST_S"
        H_PEAK=$(( $(status_kib "$GW_PID" VmHWM) - H_BASE ))
        H_CPU=$(ticks_s $(( $(cpu_ticks "$GW_PID") - H_CPU0 )))
        H_FDS=$(fd_count "$GW_PID")
        ok 0 "honest: a real console ran ${HONEST_S} s (RSS $H_BASE KiB at its window, $H_START KiB peak through its start; then +$H_PEAK KiB, CPU $H_CPU s, $H_FDS fds)"
    else
        ok 1 "honest: remote-viewer's window appeared"; sed 's/^/# /' "$D/h.err"
    fi
    stop_pids -t 100 "$GW_PID"; GW_PID=""
else
    ok 1 "honest: QEMU started"
fi

# ---- what each costs ----
echo "# bound: $MAX_CONNECTIONS connections x 2 x $((BUFFER_BYTES / 1024)) KiB + $FIXED_KIB KiB fixed = $BOUND_KIB KiB above the baseline"
echo "# baselines (RSS when the client first spoke): viewer side ${BASE[v]:-?} KiB, VM side ${BASE[s]:-?} KiB; honest: ${H_BASE:-?} KiB at its window"
printf '# %-10s %11s %8s %13s %14s %5s\n' phase "peak(KiB)" "CPU(s)" "stalled CPU" "stalled RSS" fds
printf '# %-10s %11s %8s %13s %14s %5s\n' "honest" "+${H_PEAK:-?}" "${H_CPU:-?}" "-" "-" "${H_FDS:-?}"
for key in v:conns v:header v:stall v:trickle v:flood v:agent v:fill \
           s:s-reply s:s-list s:s-trickle s:s-flood; do
    printf '# %-10s %11s %8s %13s %14s %5s\n' "${key#*:}" "+${PEAK[$key]:-?}" "${CPU[$key]:-?}" \
        "${HOLD_CPU[$key]:--}" "${HOLD_RSS[$key]:--}" "${FDS[$key]:-?}"
done
[ "$VMC_T_FAILS" = 0 ] || { echo "# gateway stderr (v):"; grep -v 'refused a connection' "$D/v.err" | sed 's/^/#   /' | tail -n 20; }
finish
