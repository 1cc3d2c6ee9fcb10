#!/bin/bash
# One console session end to end, the way a person uses it: a real sshd on
# loopback with the gateway as the key's forced command, `ssh -X` from a
# "laptop" X server (Xvfb), QEMU's Spice server (TCG, no disk) and
# remote-viewer started by the gateway on the "host".
#
#   a. alice opens debianx: the window appears on the laptop with the VM's
#      SeaBIOS screen; killing ssh ends the session (reason ssh-closed)
#   b. bob may not (exit 3, a denied record); list differs for alice and bob
#   c. a VM that is not running: exit 4, no viewer left
#   d. busy (exit 5, names the holder); takeover where the config allows it
#   e. QEMU killed mid-session: reason vm-closed
#   f. another process connecting to the relay's socket is refused
#   g. ssh without -X: exit 7, told to use ssh -X
#   v. the person closes the viewer window: reason viewer-exit, the person
#      sees the summary; no GLib warnings or criticals on any session's stderr
#   a, u, y: the viewer runs in its sandbox (own PID and network namespaces,
#      no_new_privs, seccomp) and its X11 goes through the gateway: the end
#      record counts x11 bytes both ways, with -X (Debian's ssh makes it
#      trusted), untrusted (-X -o ForwardX11Trusted=no) and -Y forwarding
#   o. sandbox = off: the console still opens; the start record says so
#   h. nothing left behind; every start record has exactly one end record
#
# Usage: test-session.sh GATEWAY-BINARY      (TAP; needs root, else exit 77)
# VMC_SESSION_SHOTS=DIR keeps the screenshots there.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/sshd-lib.sh"
need_root
GW=$(realpath "$1")

for prog in qemu-system-x86_64 remote-viewer Xvfb /usr/sbin/sshd ssh ssh-keygen xauth \
            setfacl python3 xwininfo; do
    if ! command -v "$prog" >/dev/null; then
        echo "1..0 # SKIP $prog is not installed (scripts/install-deps installs it)"
        exit 77
    fi
done

P=$(vmc_prefix s)
VMC_T_DIR=$(mktemp -d /tmp/vmc-session-XXXXXX)
chmod 0755 "$VMC_T_DIR"
D=$VMC_T_DIR
SSH_PIDS=""

cleanup() {
    local p
    for p in $SSH_PIDS; do kill "$p" 2>/dev/null; done
    sshd_cleanup
    stop_all_qemu 2>/dev/null
    stop_all_xvfb 2>/dev/null
    for p in $SSH_PIDS; do wait "$p" 2>/dev/null; done
    cleanup_common
}
trap cleanup EXIT

ACCOUNT=${P}gw ALICE=${P}al BOB=${P}bo SPICEX=${P}sx
TITLE="Debian X test VM"
CONF=$D/gateway.conf
LOG=$D/log/sessions.jsonl
RUN=$D/run

# ---- helpers ----

T_CASE="" T_START=0
case_begin() { T_CASE=$1; T_START=$(date +%s.%N); echo "# case $1: $2"; }
case_end() { echo "# case $T_CASE took $(since "$T_START") s"; }
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# Copies of the session's viewer log while the session dir still exists.
snap_viewer_log() { # snap_viewer_log TAG
    local f
    for f in "$RUN"/session-*/viewer.log; do
        [ -e "$f" ] && cp "$f" "$D/$1.viewer.log"
    done
}

diag() { # diag TAG: what the person saw, what sshd said, what the viewer said
    {
        echo "--- $1: ssh stderr (the gateway's messages)"
        cat "$D/$1.err" 2>/dev/null
        echo "--- $1: ssh exit: $(cat "$D/$1.rc" 2>/dev/null)"
        echo "--- sshd log (tail)"
        sshd_log_tail 15
        if [ -e "$D/$1.viewer.log" ]; then
            echo "--- $1: viewer log"
            tail -n 20 "$D/$1.viewer.log"
        fi
        echo "--- last records"
        tail -n 3 "$LOG" 2>/dev/null
    } | sed 's/^/# /'
}

checkd() { # checkd TAG DESCRIPTION COMMAND... (diagnostics on failure)
    local tag=$1 desc=$2; shift 2
    if "$@"; then ok 0 "$desc"; else ok 1 "$desc"; diag "$tag"; fi
}

# JSON Lines queries: R is the list of records, print(expression).
jl() { # jl PYTHON-EXPRESSION
    python3 -c '
import json, sys
R = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
def rec(event, session):
    m = [r for r in R if r.get("event") == event and r.get("session") == session]
    return m[-1] if m else {}
def get(r, path):
    for k in path.split("."):
        r = r.get(k, {}) if isinstance(r, dict) else {}
    return "" if r == {} else r
print(eval(sys.argv[2]))' "$LOG" "$1"
}
last_start_of() { jl "[r['session'] for r in R if r['event']=='start' and r['identity']=='$1'][-1]"; }
field() { jl "get(rec('$1', '$2'), '$3')"; } # field EVENT SESSION PATH

# ssh in the background: stdout/stderr/exit code in $D/TAG.{out,err,rc}.
open_bg() { # open_bg TAG PERSON REQUEST [SSH-OPTION...]
    local tag=$1 person=$2 request=$3; shift 3
    rm -f "$D/$tag.rc"
    ( DISPLAY=$LAPTOP XAUTHORITY=$D/laptop.xauth \
        ssh_as "$person" "$@" -- "$request" </dev/null >"$D/$tag.out" 2>"$D/$tag.err"
      echo $? > "$D/$tag.rc" ) &
    eval "PID_$tag=$!"
    SSH_PIDS="$SSH_PIDS $!"
}
# ssh in the foreground: sets RC, and the output in $D/TAG.{out,err}.
run_fg() { # run_fg TAG PERSON REQUEST [SSH-OPTION...]
    local tag=$1 person=$2 request=$3; shift 3
    local pid watchdog
    DISPLAY=$LAPTOP XAUTHORITY=$D/laptop.xauth \
        ssh_as "$person" "$@" -- "$request" </dev/null >"$D/$tag.out" 2>"$D/$tag.err" &
    pid=$!
    ( trap 'kill $s 2>/dev/null; exit 0' TERM
      sleep 30 & s=$!; wait $s; pkill -P "$pid" 2>/dev/null; kill "$pid" 2>/dev/null ) &
    watchdog=$!
    wait "$pid"
    RC=$?
    kill "$watchdog" 2>/dev/null; wait "$watchdog" 2>/dev/null
    echo "$RC" > "$D/$tag.rc"
}
# The ssh client of TAG: end it (the laptop closes the connection).
kill_ssh() { # kill_ssh TAG
    local pid
    eval "pid=\$PID_$1"
    ssh_bg_end "$pid"
}
ssh_done() { local pid; eval "pid=\$PID_$1"; ! kill -0 "$pid" 2>/dev/null; }

viewer_pids() { # the account's live remote-viewer processes
    local p
    for p in $(pgrep -u "$ACCOUNT" -x remote-viewer 2>/dev/null); do
        pid_alive "$p" && echo "$p"
    done
}
no_viewer() { [ -z "$(viewer_pids)" ]; }
no_session_dir() { [ -z "$(ls -d "$RUN"/session-* 2>/dev/null)" ]; }
lock_empty() { [ ! -s "$RUN/debianx.lock" ]; }
gateway_pid() { sed -n 's/^pid=//p' "$RUN/$1.lock" 2>/dev/null; }

wait_until() { # wait_until TENTHS COMMAND...: TRUE once COMMAND succeeds
    local n=$1; shift
    for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
    "$@"
}
gone() { ! pid_alive "$1"; }
has_end() { [ -n "$(jl "rec('end', '$1').get('reason', '')")" ]; }

set_takeover() { # set_takeover deny|allow
    sed -i "s/^takeover = .*/takeover = $1/" "$CONF"
}

# The live viewer is confined: its own PID and network namespaces (not the
# gateway's), no_new_privs and a seccomp filter; the start record says so.
check_confined() { # check_confined TAG (a session of debianx is up)
    local tag=$1 v gw session
    v=$(viewer_pids | head -1)
    gw=$(gateway_pid debianx)
    session=$(last_start_of "$ALICE")
    checkd "$tag" "$tag: the viewer is in its own PID namespace" \
        eval '[ -n "$v" ] && [ "$(readlink /proc/$v/ns/pid)" != "$(readlink /proc/$gw/ns/pid)" ]'
    checkd "$tag" "$tag: the viewer is in its own network namespace" \
        eval '[ "$(readlink /proc/$v/ns/net)" != "$(readlink /proc/$gw/ns/net)" ]'
    checkd "$tag" "$tag: the viewer has no_new_privs and a seccomp filter" \
        eval 'grep -q "^NoNewPrivs:[[:space:]]*1" /proc/$v/status &&
              grep -q "^Seccomp:[[:space:]]*2" /proc/$v/status'
    checkd "$tag" "$tag: the start record says sandbox on with its protections" \
        [ "$(jl "get(rec('start', '$session'), 'sandbox') + ' ' + ' '.join(get(rec('start', '$session'), 'protections'))" |
             grep -c 'on .*pid-ns.*net-ns.*seccomp')" = 1 ]
}

# The end record counts the X11 stream both ways (the viewer's only way to
# the person's display goes through the gateway).
check_x11_counted() { # check_x11_counted TAG SESSION
    local to from
    to=$(field end "$2" streams.x11.to_laptop)
    from=$(field end "$2" streams.x11.from_laptop)
    checkd "$1" "$1: x11 bytes counted both ways (to laptop $to, from laptop $from)" \
        eval '[ "${to:-0}" -gt 0 ] && [ "${from:-0}" -gt 0 ]'
    checkd "$1" "$1: x11 per-second series in the record" \
        [ "$(jl "len(get(rec('end', '$2'), 'series.streams.x11')) > 0")" = True ]
}

set_sandbox() { # set_sandbox on|off
    sed -i '/^sandbox = /d' "$CONF"
    [ "$1" = off ] && sed -i 's/^\[gateway\]$/[gateway]\nsandbox = off/' "$CONF"
    return 0
}

# The viewer window's picture is not one flat colour (more than 2 colours,
# std dev > 0), and neither is the VM's screen in it (below the ~50 px header
# bar, inside the border): SeaBIOS's text on black.
picture_has_content() { # picture_has_content PNG
    local colours sd vm_sd
    colours=$(/usr/bin/identify -format '%k' "$1" 2>/dev/null)
    sd=$(/usr/bin/convert "$1" -colorspace Gray -format '%[fx:standard_deviation]' info: \
         2>/dev/null)
    vm_sd=$(/usr/bin/convert "$1" -shave 8x8 -gravity North -chop 0x50 -colorspace Gray \
            -format '%[fx:standard_deviation]' info: 2>/dev/null)
    echo "# picture $(basename "$1"): $colours colours, std dev $sd; VM screen std dev $vm_sd"
    [ "${colours:-0}" -gt 2 ] && awk -v sd="${sd:-0}" -v vm="${vm_sd:-0}" \
        'BEGIN { exit !(sd > 0.01 && vm > 0.01) }'
}

# ---- setup: people, account, dirs, config, VMs, the laptop, sshd ----

add_group "$SPICEX" && add_user "$ALICE" "$SPICEX" && add_user "$BOB" || exit 1
sshd_add_account "$ACCOUNT" || exit 1

gateway_prepare_dirs || exit 1
install -d -m 0755 "$D/spicex"

cat > "$CONF" <<EOF
[gateway]
socket-pattern = $D/spicex/%s.sock
viewer = /usr/bin/remote-viewer
log = $LOG
run-dir = $RUN
takeover = deny

[vm debianx]
title = $TITLE
acl = group:$SPICEX:rw

[vm deadvm]
acl = group:$SPICEX:rw
EOF
chmod 0644 "$CONF"

grant() { setfacl -m "u:$ACCOUNT:rw,g:$SPICEX:rw" "$D/spicex/$1.sock"; }
start_qemu debianx "$D/spicex/debianx.sock" && grant debianx || exit 1
# deadvm: started, granted, stopped: its socket stays behind and refuses.
start_qemu deadvm "$D/spicex/deadvm.sock" && grant deadvm && stop_qemu deadvm || exit 1

start_xvfb laptop || exit 1
LAPTOP=$XVFB_DISPLAY
: > "$D/laptop.xauth"   # an empty authority file: Xvfb without -auth lets local clients in

sshd_start || exit 1
# The account runs a copy: the build dir may not be reachable for other users.
GW=$(install_gateway "$GW" "$D") || exit 1
sshd_add_key alice "$GW --config $CONF --identity $ALICE" &&
sshd_add_key bob "$GW --config $CONF --identity $BOB" || exit 1
echo "# sshd on 127.0.0.1:$VMC_SSHD_PORT, account $ACCOUNT, laptop display $LAPTOP"

# ---- a. alice opens debianx ----
case_begin a "alice opens debianx through ssh -X"
open_bg a alice debianx
t0=$(date +%s.%N)
if wait_for_window "$LAPTOP" "$TITLE" 20; then
    ok 0 "a: the window '$TITLE' appears on the laptop ($(since "$t0") s)"
else
    ok 1 "a: the window '$TITLE' appears on the laptop within 20 s"
    snap_viewer_log a; diag a
fi
snap_viewer_log a
checkd a "a: the viewer runs as the account" [ -n "$(viewer_pids)" ]
checkd a "a: a private session dir with spice.sock" test -S "$(ls -d "$RUN"/session-* | head -1)/spice.sock"
checkd a "a: the lock names alice" grep -q "^identity=$ALICE\$" "$RUN/debianx.lock"
GWPID=$(gateway_pid debianx)
SA=$(last_start_of "$ALICE")
check_confined a
# The first paint takes ~1 s through X11 forwarding; SeaBIOS needs ~1.6 s.
shot_ok=1
for _ in $(seq 10); do
    sleep 1
    screenshot "$LAPTOP" "$D/a.png" "$TITLE" 2>/dev/null || continue
    if picture_has_content "$D/a.png" >/dev/null; then shot_ok=0; break; fi
done
picture_has_content "$D/a.png"
ok $shot_ok "a: the window shows the VM's screen (not one flat colour)"
[ -n "${VMC_SESSION_SHOTS:-}" ] && cp "$D/a.png" "$VMC_SESSION_SHOTS/session-a.png"
snap_viewer_log a
kill_ssh a
t0=$(date +%s.%N)
if wait_until 50 gone "$GWPID"; then
    ok 0 "a: the gateway ends after ssh is gone ($(since "$t0") s)"
else
    ok 1 "a: the gateway (pid $GWPID) ends within 5 s after ssh is gone"; diag a
fi
checkd a "a: no viewer left" wait_until 20 no_viewer
checkd a "a: no session dir left" no_session_dir
checkd a "a: the lock file is empty" lock_empty
checkd a "a: end record reason ssh-closed (is '$(field end "$SA" reason)')" \
    [ "$(field end "$SA" reason)" = ssh-closed ]
checkd a "a: display bytes from the VM counted ($(field end "$SA" channels.display.from_vm))" \
    [ "$(field end "$SA" channels.display.from_vm)" -gt 0 ]
checkd a "a: main bytes from the VM counted ($(field end "$SA" channels.main.from_vm))" \
    [ "$(field end "$SA" channels.main.from_vm)" -gt 0 ]
checkd a "a: the person saw the opening line" grep -q "opening debianx for $ALICE" "$D/a.err"
check_x11_counted a "$SA"
# (the closing summary line cannot reach a client that is gone: see case e)
case_end

# ---- b. bob may not ----
case_begin b "bob opens debianx: not permitted"
denied_before=$(jl "len([r for r in R if r['event']=='denied' and r.get('identity')=='$BOB'])")
run_fg b bob debianx
checkd b "b: bob gets exit 3 (got $RC)" [ "$RC" = 3 ]
checkd b "b: bob is told debianx is not a VM he may open" grep -q "not a VM you may open" "$D/b.err"
checkd b "b: one denied record naming bob" \
    [ "$(jl "len([r for r in R if r['event']=='denied' and r.get('identity')=='$BOB'])")" = $((denied_before + 1)) ]
checkd b "b: no viewer started" no_viewer
run_fg b-list-alice alice list
checkd b-list-alice "b: list for alice has debianx" grep -q "^debianx *running" "$D/b-list-alice.out"
run_fg b-list-bob bob list
checkd b-list-bob "b: list for bob has none" grep -q "you may open no VM" "$D/b-list-bob.out"
checkd b-list-bob "b: list differs for alice and bob" \
    eval '! cmp -s "$D/b-list-alice.out" "$D/b-list-bob.out"'
case_end

# ---- c. a VM that is not running ----
case_begin c "a configured VM whose QEMU stopped"
run_fg c alice deadvm
checkd c "c: exit 4 (got $RC)" [ "$RC" = 4 ]
checkd c "c: told the VM is not running" grep -q "not running" "$D/c.err"
sleep 0.5
checkd c "c: no viewer process" no_viewer
checkd c "c: no session dir" no_session_dir
case_end

# ---- g. no X11 forward ----
case_begin g "ssh without -X"
run_fg g alice debianx -x
checkd g "g: exit 7 (got $RC)" [ "$RC" = 7 ]
checkd g "g: told to use ssh -X" grep -q "ssh -X" "$D/g.err"
checkd g "g: no viewer process" no_viewer
case_end

# ---- d. busy, then takeover ----
case_begin d "the console is busy; takeover where allowed"
open_bg d1 alice debianx
checkd d1 "d: the first session's window appears" wait_for_window "$LAPTOP" "$TITLE" 20
snap_viewer_log d1
S1=$(last_start_of "$ALICE")
run_fg d2 alice debianx
checkd d2 "d: the second gets exit 5 (got $RC)" [ "$RC" = 5 ]
checkd d2 "d: the message says in use and names alice" grep -q "in use by $ALICE" "$D/d2.err"
run_fg d2deny alice "debianx --takeover"
checkd d2deny "d: --takeover while the config denies it: exit 5 (got $RC)" [ "$RC" = 5 ]
checkd d2deny "d: told taking over is not allowed" grep -q "not allowed" "$D/d2deny.err"
checkd d1 "d: the first session goes on" pid_alive "$(gateway_pid debianx)"
set_takeover allow
open_bg d3 alice "debianx --takeover"
t0=$(date +%s.%N)
if wait_until 100 ssh_done d1; then
    ok 0 "d: the first ssh session ends on takeover ($(since "$t0") s)"
else
    ok 1 "d: the first ssh session ends on takeover within 10 s"; diag d1; diag d3
fi
wait_until 50 has_end "$S1"
S3=$(last_start_of "$ALICE")
checkd d1 "d: the first's end record: reason takeover (is '$(field end "$S1" reason)')" \
    [ "$(field end "$S1" reason)" = takeover ]
checkd d1 "d: taken_over_by is the second's session" \
    [ -n "$S3" ] && [ "$S3" != "$S1" ] && [ "$(field end "$S1" taken_over_by)" = "$S3" ]
checkd d3 "d: the second's start record: takeover_of is the first's session" \
    [ "$(field start "$S3" takeover_of)" = "$S1" ]
checkd d3 "d: the second's window appears" wait_for_window "$LAPTOP" "$TITLE" 20
snap_viewer_log d3
checkd d3 "d: the lock names the second session" grep -q "^session=$S3\$" "$RUN/debianx.lock"
set_takeover deny
GWPID=$(gateway_pid debianx)
kill_ssh d3
checkd d3 "d: the second ends cleanly when its ssh goes" wait_until 50 gone "$GWPID"
wait_until 20 has_end "$S3"
checkd d3 "d: the second's end record: reason ssh-closed (is '$(field end "$S3" reason)')" \
    [ "$(field end "$S3" reason)" = ssh-closed ]
checkd d3 "d: no viewer, no session dir, empty lock" \
    eval 'wait_until 20 no_viewer && no_session_dir && lock_empty'
case_end

# ---- f. another process connecting to the relay ----
case_begin f "a foreign connection to the relay's spice.sock"
open_bg f alice debianx
checkd f "f: the window appears" wait_for_window "$LAPTOP" "$TITLE" 20
snap_viewer_log f
SF=$(last_start_of "$ALICE")
GWPID=$(gateway_pid debianx)
SOCK=$(ls "$RUN"/session-*/spice.sock 2>/dev/null | head -1)
INTRUDER=$(python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print("connect-refused", e.errno); sys.exit()
# SpiceLinkHeader REDQ 2.2 size 18 + SpiceLinkMess for a main channel
mess = struct.pack("<IBBIII", 0, 1, 0, 0, 0, 18)
try:
    s.sendall(b"REDQ" + struct.pack("<III", 2, 2, len(mess)) + mess)
    data = s.recv(4096)
    print("closed" if data == b"" else "reply %d bytes" % len(data))
except socket.timeout:
    print("timeout: neither closed nor answered")
except (BrokenPipeError, ConnectionResetError):
    print("closed")
' "$SOCK")
echo "# intruder: $INTRUDER"
checkd f "f: the intruder is closed without a reply ($INTRUDER)" \
    eval '[ "$INTRUDER" = closed ] || [ "${INTRUDER%% *}" = connect-refused ]'
checkd f "f: the session goes on" eval 'pid_alive "$GWPID" && ! ssh_done f && [ -n "$(viewer_pids)" ]'
checkd f "f: the person was told of the refused connection" \
    grep -q "refused a connection to the console relay" "$D/f.err"
kill_ssh f
wait_until 50 gone "$GWPID"
wait_until 20 has_end "$SF"
checkd f "f: the end record counts the rejected connection ($(field end "$SF" rejected_connections))" \
    [ "$(field end "$SF" rejected_connections)" -ge 1 ]
checkd f "f: the viewer's own channels still counted" \
    [ "$(field end "$SF" channels.display.from_vm)" -gt 0 ]
case_end

# ---- e. QEMU killed mid-session ----
case_begin e "QEMU killed while the console is open"
open_bg e alice debianx
checkd e "e: the window appears" wait_for_window "$LAPTOP" "$TITLE" 20
snap_viewer_log e
SE=$(last_start_of "$ALICE")
GWPID=$(gateway_pid debianx)
sleep 1
kill_qemu debianx
t0=$(date +%s.%N)
if wait_until 50 gone "$GWPID"; then
    ok 0 "e: the session ends after QEMU died ($(since "$t0") s)"
else
    ok 1 "e: the session ends within 5 s after QEMU died"; diag e
fi
wait_until 20 has_end "$SE"
checkd e "e: end record reason vm-closed (is '$(field end "$SE" reason)')" \
    [ "$(field end "$SE" reason)" = vm-closed ]
checkd e "e: no viewer left" wait_until 20 no_viewer
checkd e "e: no session dir left" no_session_dir
checkd e "e: the ssh client returns" wait_until 50 ssh_done e
checkd e "e: the person is told the VM side closed" grep -q "VM side closed" "$D/e.err"
checkd e "e: the person sees the summary line" \
    grep -qE "^vmconsole: the VM side closed: session [0-9]+s, display [0-9.]+ [KMG]?i?B, audio .*, peak " "$D/e.err"
case_end

# ---- v. the person closes the viewer window ----
case_begin v "the person closes the viewer window"
checkd v "v: QEMU starts again (ACL re-applied)" eval 'start_qemu debianx "$D/spicex/debianx.sock" && grant debianx'
open_bg v alice debianx
checkd v "v: the window appears" wait_for_window "$LAPTOP" "$TITLE" 20
snap_viewer_log v
SV=$(last_start_of "$ALICE")
GWPID=$(gateway_pid debianx)
sleep 1
# what a window manager's close button ends up doing: the X client goes away
DISPLAY=$LAPTOP XAUTHORITY=$D/laptop.xauth xkill -id "$(window_id "$LAPTOP" "$TITLE")" >/dev/null
checkd v "v: the session ends" wait_until 50 gone "$GWPID"
wait_until 20 has_end "$SV"
checkd v "v: end record reason viewer-exit (is '$(field end "$SV" reason)')" \
    [ "$(field end "$SV" reason)" = viewer-exit ]
checkd v "v: the end record has the viewer's exit status ($(field end "$SV" viewer_exit))" \
    [ -n "$(field end "$SV" viewer_exit)" ]
checkd v "v: the ssh client returns 0" eval 'wait_until 50 ssh_done v && [ "$(cat "$D/v.rc")" = 0 ]'
checkd v "v: the person sees the summary line" \
    grep -qE "^vmconsole: the viewer exited: session [0-9]+s, display [0-9.]+ [KMG]?i?B, audio .*, peak " "$D/v.err"
checkd v "v: no session dir, empty lock" eval 'no_session_dir && lock_empty'
GLIBMSG=$(grep -hE "(GLib|GLib-GIO|GLib-GObject)?-?(CRITICAL|WARNING) \*\*" "$D"/*.err 2>/dev/null | sort -u | head -5)
checkd v "v: no GLib criticals or warnings on any session's stderr${GLIBMSG:+ (got: $GLIBMSG)}" \
    [ -z "$GLIBMSG" ]
case_end

# ---- u, y. untrusted forwarding, and -Y ----
for forwarding in "u:-oForwardX11Trusted=no" "y:-Y"; do
    tag=${forwarding%%:*} option=${forwarding#*:}
    case_begin "$tag" "ssh -X $option: X11 through the gateway's X11 relay"
    open_bg "$tag" alice debianx "$option"
    checkd "$tag" "$tag: the window appears" wait_for_window "$LAPTOP" "$TITLE" 20
    SX=$(last_start_of "$ALICE")
    GWPID=$(gateway_pid debianx)
    check_confined "$tag"
    sleep 1
    kill_ssh "$tag"
    wait_until 50 gone "$GWPID"
    wait_until 20 has_end "$SX"
    check_x11_counted "$tag" "$SX"
    case_end
done

# ---- o. sandbox = off ----
case_begin o "sandbox = off: the console opens, the record says so"
set_sandbox off
open_bg o alice debianx
checkd o "o: the window appears" wait_for_window "$LAPTOP" "$TITLE" 20
SO=$(last_start_of "$ALICE")
GWPID=$(gateway_pid debianx)
checkd o "o: the start record says sandbox off, no protections" \
    [ "$(jl "get(rec('start', '$SO'), 'sandbox') + str(len(get(rec('start', '$SO'), 'protections')))")" = off0 ]
kill_ssh o
wait_until 50 gone "$GWPID"
wait_until 20 has_end "$SO"
set_sandbox on
checkd o "o: no viewer left" wait_until 20 no_viewer
case_end

# ---- h. nothing left behind ----
case_begin h "nothing left behind"
left=$(wait_until 30 eval '[ -z "$(live_pids_of "$ACCOUNT")" ]'; live_pids_of "$ACCOUNT")
checkd h "h: no process of the account left${left:+ (left: $(ps -o pid=,comm= -p "$(echo $left | tr ' ' ,)" | tr '\n' ' '))}" \
    [ -z "$left" ]
checkd h "h: no session dir left" no_session_dir
UNPAIRED=$(jl '
"; ".join("%s: %d end records" % (s, n) for s, n in
          ((s, len([r for r in R if r["event"] == "end" and r["session"] == s]))
           for s in [r["session"] for r in R if r["event"] == "start"]) if n != 1)')
checkd h "h: every start record has exactly one end record${UNPAIRED:+ ($UNPAIRED)}" [ -z "$UNPAIRED" ]
checkd h "h: no end record without a start record" \
    [ "$(jl 'len({r["session"] for r in R if r["event"] == "end"} - {r["session"] for r in R if r["event"] == "start"})')" = 0 ]
echo "# $(jl 'len([r for r in R if r["event"]=="start"])') sessions, $(jl 'len([r for r in R if r["event"]=="denied"])') denied records"
case_end

finish
