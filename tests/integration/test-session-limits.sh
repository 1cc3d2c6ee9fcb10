#!/bin/bash
# Sessions that end by policy, end to end: a real sshd with the gateway as
# forced command, `ssh -X` from a "laptop" Xvfb, QEMU's Spice server and
# remote-viewer started by the gateway (as test-session.sh).
#
#   m. max-duration = 3s: the session ends by itself, reason max-duration;
#      the person was warned on ssh's stderr before; the start record
#      carries max_duration_s
#   t. max-duration = 12s: the viewer's window title (what remote-viewer
#      makes of the guest name the relay sends in place of QEMU's -name)
#      is the VM's title, then at the warning the title and what is left
#      ("TITLE — ends in 4s"); never QEMU's own name
#   i. idle-timeout = 3s and no input: reason idle, warned before
#   k. idle-timeout = 3s with the person typing (XTEST key events on the
#      laptop's display, into the viewer's window): the session outlives
#      the timeout several times over; once the typing stops it ends, idle;
#      the inputs channel carried the keys
#   y. idle-timeout = 6s with the person moving the pointer over the
#      viewer's menu bar (XTEST motion: X11 input the viewer gets, outside
#      the Spice display, so nothing on the inputs channel): the session
#      outlives the timeout three times over (the gateway follows the
#      sandboxed viewer's X11 connection); once the pointer rests it ends,
#      idle; the inputs channel carried no more than without any input
#   z. idle-timeout = 6s and another X client on the laptop sending the
#      same motion as fake MotionNotify events to the viewer's window
#      (XSendEvent): not the person's input, the session ends idle while
#      the fakes go on
#   c. an OpenSSH certificate (TrustedUserCAKeys, an AuthorizedPrincipalsFile
#      line with the forced command) valid for a few seconds more: the
#      session opens and ends when the certificate does, reason
#      certificate-expired, warned before; the start record names the
#      certificate (key id, serial, CA fingerprint, valid_before) and the
#      certified key's fingerprint
#   x. an expired certificate: sshd refuses it, no session starts
#   e. a plain key whose line `vmconsole-admin authorize --expires` wrote
#      (expiry-time for sshd, --expires for the gateway) 8 s ahead: the
#      session ends then, reason key-expired, warned before; the start
#      record carries key_expires
#   p. the principals line is the one `vmconsole-admin authorize IDENTITY
#      --principal NAME` writes (its gateway path replaced by the test's
#      copy); `check` reports the CA and principals setup, and a
#      TrustedUserCAKeys without AuthorizedPrincipalsFile as a problem
#
# Usage: test-session-limits.sh GATEWAY-BINARY ADMIN-BINARY   (TAP; needs root, else exit 77)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/sshd-lib.sh"
need_root
GW=$(realpath "$1")
ADMIN=$(realpath "$2")

for prog in qemu-system-x86_64 remote-viewer Xvfb /usr/sbin/sshd ssh ssh-keygen xauth \
            setfacl python3 xwininfo; do
    if ! command -v "$prog" >/dev/null; then
        echo "1..0 # SKIP $prog is not installed (scripts/install-deps installs it)"
        exit 77
    fi
done

P=$(vmc_prefix l)
VMC_T_DIR=$(mktemp -d /tmp/vmc-limits-XXXXXX)
chmod 0755 "$VMC_T_DIR"
D=$VMC_T_DIR
SSH_PIDS="" TYPIST=""

cleanup() {
    local p
    [ -n "$TYPIST" ] && kill "$TYPIST" 2>/dev/null
    for p in $SSH_PIDS; do kill "$p" 2>/dev/null; done
    sshd_cleanup
    stop_all_qemu 2>/dev/null
    stop_all_xvfb 2>/dev/null
    for p in $SSH_PIDS; do wait "$p" 2>/dev/null; done
    cleanup_common
}
trap cleanup EXIT

ACCOUNT=${P}gw ALICE=${P}al SPICEX=${P}sx
TITLE="Limits test VM"
CONF=$D/gateway.conf
LOG=$D/log/sessions.jsonl
RUN=$D/run

# ---- helpers ----

diag() { # diag TAG: what the person saw, what sshd said, the last records
    {
        echo "--- $1: ssh stderr (the gateway's messages)"
        cat "$D/$1.err" 2>/dev/null
        echo "--- sshd log (tail)"
        sshd_log_tail 10
        echo "--- last records"
        tail -n 2 "$LOG" 2>/dev/null
    } | sed 's/^/# /'
}
checkd() { # checkd TAG DESCRIPTION COMMAND... (diagnostics on failure)
    local tag=$1 desc=$2; shift 2
    if "$@"; then ok 0 "$desc"; else ok 1 "$desc"; diag "$tag"; fi
}
jl() { # jl PYTHON-EXPRESSION over R, the records
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
last_start() { jl "[r['session'] for r in R if r['event']=='start'][-1]"; }
field() { jl "get(rec('$1', '$2'), '$3')"; } # field EVENT SESSION PATH

open_bg() { # open_bg TAG REQUEST [PERSON]: ssh -X in the background, $D/TAG.{out,err,rc}
    local tag=$1 request=$2 person=${3:-alice}
    rm -f "$D/$tag.rc"
    ( DISPLAY=$LAPTOP XAUTHORITY=$D/laptop.xauth \
        ssh_as "$person" -- "$request" </dev/null >"$D/$tag.out" 2>"$D/$tag.err"
      echo $? > "$D/$tag.rc" ) &
    eval "PID_$tag=$!"
    SSH_PIDS="$SSH_PIDS $!"
}
ssh_done() { [ -e "$D/$1.rc" ]; }
wait_until() { # wait_until TENTHS COMMAND...
    local n=$1; shift
    for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
    "$@"
}
set_limits() { # set_limits KEY=VALUE... : the [vm] section's limits, nothing else
    sed -i '/^max-duration = /d; /^idle-timeout = /d' "$CONF"
    local kv
    for kv in "$@"; do
        sed -i "s/^\[vm debianx\]\$/[vm debianx]\n${kv%%=*} = ${kv#*=}/" "$CONF"
    done
}

# The person at the laptop: focus the viewer's window, point into it and
# press and release Shift every 0.3 s, through XTEST (libXtst by ctypes).
cat > "$D/typist.py" <<'PY'
import ctypes, sys, time
x11, xtst = ctypes.CDLL("libX11.so.6"), ctypes.CDLL("libXtst.so.6")
x11.XOpenDisplay.restype = ctypes.c_void_p
x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
x11.XKeysymToKeycode.restype = ctypes.c_ubyte
x11.XSetInputFocus.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_ulong]
x11.XWarpPointer.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong] + [ctypes.c_int] * 2 \
    + [ctypes.c_uint] * 2 + [ctypes.c_int] * 2
x11.XFlush.argtypes = [ctypes.c_void_p]
xtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
display = x11.XOpenDisplay(sys.argv[1].encode())
if not display:
    sys.exit("typist: cannot open display " + sys.argv[1])
window = int(sys.argv[2], 16)
shift = x11.XKeysymToKeycode(display, 0xffe1)  # Shift_L
x11.XWarpPointer(display, 0, window, 0, 0, 0, 0, 200, 200)
x11.XSetInputFocus(display, window, 2, 0)  # RevertToParent, CurrentTime
x11.XFlush(display)
while True:
    xtst.XTestFakeKeyEvent(display, shift, 1, 0)
    xtst.XTestFakeKeyEvent(display, shift, 0, 0)
    x11.XFlush(display)
    time.sleep(0.3)
PY

# The person's pointer over the viewer's menu bar (outside the Spice
# display): XTEST motion between two points 10 px below the window's top
# edge every 0.3 s ("move"). Another client's fakes of the same motion
# ("fake"): MotionNotify sent to the window with XSendEvent (send_event
# set), which the X server delivers to the viewer, the window's owner.
# Before either, "park": keyboard focus to nobody (with no window manager
# Xvfb's focus follows the pointer, and a viewer that gets the focus syncs
# the keyboard's modifiers to the VM on the inputs channel) and the pointer
# to a corner.
cat > "$D/pointer.py" <<'PY'
import ctypes, sys, time
x11, xtst = ctypes.CDLL("libX11.so.6"), ctypes.CDLL("libXtst.so.6")
x11.XOpenDisplay.restype = ctypes.c_void_p
x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
x11.XDefaultRootWindow.restype = ctypes.c_ulong
x11.XTranslateCoordinates.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong,
    ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int),
    ctypes.POINTER(ctypes.c_ulong)]
x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
x11.XKeysymToKeycode.restype = ctypes.c_ubyte
x11.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long,
    ctypes.c_void_p]
x11.XFlush.argtypes = [ctypes.c_void_p]
xtst.XTestFakeMotionEvent.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
    ctypes.c_int, ctypes.c_ulong]
class KeyEvent(ctypes.Structure):  # XKeyEvent and XButtonEvent share this layout
    _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong), ("send_event", ctypes.c_int),
                ("display", ctypes.c_void_p), ("window", ctypes.c_ulong),
                ("root", ctypes.c_ulong), ("subwindow", ctypes.c_ulong), ("time", ctypes.c_ulong),
                ("x", ctypes.c_int), ("y", ctypes.c_int), ("x_root", ctypes.c_int),
                ("y_root", ctypes.c_int), ("state", ctypes.c_uint), ("keycode", ctypes.c_uint),
                ("same_screen", ctypes.c_int), ("pad", ctypes.c_long * 16)]
display = x11.XOpenDisplay(sys.argv[2].encode())
if not display:
    sys.exit("pointer: cannot open display " + sys.argv[2])
root = x11.XDefaultRootWindow(display)
x11.XSetInputFocus.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_ulong]
if sys.argv[1] == "park":  # keyboard focus to nobody, the pointer to the screen's corner
    x11.XSetInputFocus(display, 0, 0, 0)  # None, RevertToNone, CurrentTime
    xtst.XTestFakeMotionEvent(display, -1, 1023, 767, 0)
    x11.XFlush(display)
    sys.exit(0)
window = int(sys.argv[3], 16)
x, y, child = ctypes.c_int(), ctypes.c_int(), ctypes.c_ulong()
x11.XTranslateCoordinates(display, window, root, 0, 0, ctypes.byref(x), ctypes.byref(y),
                          ctypes.byref(child))
step = 0
while True:
    if sys.argv[1] == "move":
        xtst.XTestFakeMotionEvent(display, -1, x.value + 20 + 40 * (step % 2), y.value + 10, 0)
    else:  # fake: the same motion as a MotionNotify (6) with send_event
        ev = KeyEvent(type=6, send_event=1, display=display, window=window, root=root,
                      x=20 + 40 * (step % 2), y=10, x_root=x.value + 20 + 40 * (step % 2),
                      y_root=y.value + 10, same_screen=1)
        # no propagation, empty mask: to the client that made the window (the
        # viewer), whatever it selected
        x11.XSendEvent(display, window, 0, 0, ctypes.byref(ev))
    x11.XFlush(display)
    step += 1
    time.sleep(0.3)
PY

# ---- setup ----

add_group "$SPICEX" && add_user "$ALICE" "$SPICEX" || exit 1
sshd_add_account "$ACCOUNT" || exit 1
gateway_prepare_dirs || exit 1
install -d -m 0755 "$D/spicex"
cat > "$CONF" <<EOF
[gateway]
socket-pattern = $D/spicex/%s.sock
viewer = /usr/bin/remote-viewer
log = $LOG
run-dir = $RUN

[vm debianx]
title = $TITLE
acl = group:$SPICEX:rw
EOF
chmod 0644 "$CONF"
start_qemu debianx "$D/spicex/debianx.sock" &&
    setfacl -m "u:$ACCOUNT:rw,g:$SPICEX:rw" "$D/spicex/debianx.sock" || exit 1
start_xvfb laptop || exit 1
LAPTOP=$XVFB_DISPLAY
: > "$D/laptop.xauth"
# a test CA: sshd trusts it, and its principals file names carol's principal
ssh-keygen -q -t ed25519 -N '' -C vmc-test-ca -f "$D/ca" || exit 1
CA_FP=$(ssh-keygen -lf "$D/ca.pub" | awk '{print $2}')
printf 'TrustedUserCAKeys %s\nAuthorizedPrincipalsFile %s\n' "$D/ca.pub" "$D/principals" \
    > "$D/sshd-ca.conf"
VMC_T_SSHD_APPEND=$D/sshd-ca.conf sshd_start || exit 1
GW=$(install_gateway "$GW" "$D") || exit 1
sshd_add_key alice "$GW --config $CONF --identity $ALICE" || exit 1
"$ADMIN" --config "$CONF" authorize "$ALICE" --principal carol-principal > "$D/principals.line" ||
    exit 1
sed "s|command=\"[^ ]* --identity |command=\"$GW --config $CONF --identity |" "$D/principals.line" \
    > "$D/principals"
chmod 0644 "$D/principals"
# carol's key is known to sshd only through certificates
ssh-keygen -q -t ed25519 -N '' -C carol@laptop -f "$D/keys/carol" || exit 1
CAROL_FP=$(ssh-keygen -lf "$D/keys/carol.pub" | awk '{print $2}')
sign_carol() { # sign_carol VALIDITY: carol's certificate, serial 42
    rm -f "$D/keys/carol-cert.pub"
    ssh-keygen -q -s "$D/ca" -I "carol's test cert" -n carol-principal -z 42 -V "$1" \
        "$D/keys/carol.pub"
}

# ---- m. max-duration ----
echo "# case m: max-duration = 3s"
set_limits max-duration=3s
open_bg m debianx
checkd m "m: the session ends by itself (ssh returns)" wait_until 300 ssh_done m
SM=$(last_start)
checkd m "m: end record reason max-duration (is '$(field end "$SM" reason)')" \
    [ "$(field end "$SM" reason)" = max-duration ]
checkd m "m: the start record carries max_duration_s 3" [ "$(field start "$SM" max_duration_s)" = 3 ]
checkd m "m: ssh exit 0" [ "$(cat "$D/m.rc")" = 0 ]
"$ADMIN" --config "$CONF" show "$SM" > "$D/m.show" 2>&1
checkd m "m: vmconsole-admin show gives the limit and the reason" \
    eval 'grep -q "^limits      max-duration 3s$" "$D/m.show" && grep -q "^reason      max-duration" "$D/m.show"'
checkd m "m: the person was warned on stderr before the end" \
    grep -q "^vmconsole: this console session ends in 1s: the host's max-duration is 3s$" "$D/m.err"
checkd m "m: ... and told why it ended" grep -q "the session reached the host's max-duration (3s)" "$D/m.err"

# ---- t. the viewer's title ----
echo "# case t: max-duration = 12s, the viewer's title"
viewer_titles() { # the display window's title: "NAME (1)" (xwininfo: UTF-8)
    window_titles "$LAPTOP" | grep -E " \(1\)$"
}
set_limits max-duration=12s
open_bg t debianx
: > "$D/t.titles"
for _ in $(seq 600); do
    ssh_done t && break
    viewer_titles >> "$D/t.titles"
    sleep 0.1
done
uniq "$D/t.titles" | sed 's/^/# title seen: /'
window_titles "$LAPTOP" | sed 's/^/# window now: /'
checkd t "t: the session ends by itself, reason max-duration" \
    eval 'ssh_done t && [ "$(field end "$(last_start)" reason)" = max-duration ]'
checkd t "t: the viewer's title was the VM's title" \
    grep -qxF "$TITLE (1)" "$D/t.titles"
checkd t "t: at the warning it says when the session ends" \
    grep -qxE "$TITLE — ends in [0-9]+s \(1\)" "$D/t.titles"
checkd t "t: ... after the VM's title, not before" \
    eval '[ "$(grep -nxF "$TITLE (1)" "$D/t.titles" | head -n 1 | cut -d: -f1)" -lt \
            "$(grep -nE "— ends in" "$D/t.titles" | head -n 1 | cut -d: -f1)" ]'
checkd t "t: the VM's own name (QEMU's -name) never showed" eval '! grep -q debianx "$D/t.titles"'
checkd t "t: the warning went to stderr as well" \
    grep -q "^vmconsole: this console session ends in [0-9]*s: the host's max-duration is 12s$" \
    "$D/t.err"

# ---- i. idle-timeout, no input ----
echo "# case i: idle-timeout = 3s, nobody at the laptop"
set_limits idle-timeout=3s
open_bg i debianx
checkd i "i: the session ends by itself (ssh returns)" wait_until 300 ssh_done i
SI=$(last_start)
checkd i "i: end record reason idle (is '$(field end "$SI" reason)')" [ "$(field end "$SI" reason)" = idle ]
checkd i "i: the start record carries idle_timeout_s 3 and no max_duration_s" \
    [ "$(field start "$SI" idle_timeout_s)/$(field start "$SI" max_duration_s)" = 3/ ]
checkd i "i: the person was warned on stderr before the end" \
    grep -q "^vmconsole: this console session ends in 1s without input from you" "$D/i.err"

# ---- k. idle-timeout, the person types ----
echo "# case k: idle-timeout = 3s, the person types"
open_bg k debianx
if wait_for_window "$LAPTOP" "$TITLE" 30; then
    WIN=$(window_id "$LAPTOP" "$TITLE")
    python3 "$D/typist.py" "$LAPTOP" "$WIN" 2>"$D/typist.err" &
    TYPIST=$!
    ok 0 "k: the window appears; typing into it"
else
    ok 1 "k: the window appears"; diag k
fi
sleep 12 # 4 times the idle timeout
checkd k "k: the session is still open after 12 s of typing (idle-timeout 3s)" eval '! ssh_done k'
kill "$TYPIST" 2>/dev/null; wait "$TYPIST" 2>/dev/null; TYPIST=""
checkd k "k: the typing stops: the session ends by itself" wait_until 300 ssh_done k
SK=$(last_start)
checkd k "k: end record reason idle (is '$(field end "$SK" reason)')" [ "$(field end "$SK" reason)" = idle ]
checkd k "k: it lasted over 12 s (duration_s $(field end "$SK" duration_s))" \
    [ "$(field end "$SK" duration_s)" -ge 12 ]
IN_K=$(field end "$SK" channels.inputs.to_vm) IN_I=$(field end "$SI" channels.inputs.to_vm)
checkd k "k: the keys went to the VM on the inputs channel ($IN_K bytes; $IN_I without typing)" \
    [ "${IN_K:-0}" -gt $(( ${IN_I:-0} + 100 )) ]

# ---- y. idle-timeout, the person's pointer over the menu bar ----
open_with_pointer() { # open_with_pointer TAG MODE WHAT: park, open, then pointer.py MODE
    python3 "$D/pointer.py" park "$LAPTOP"
    open_bg "$1" debianx
    if wait_for_window "$LAPTOP" "$TITLE" 30; then
        python3 "$D/pointer.py" "$2" "$LAPTOP" "$(window_id "$LAPTOP" "$TITLE")" \
            2>"$D/$1.pointer.err" &
        TYPIST=$!
        ok 0 "$1: the window appears; $3"
    else
        ok 1 "$1: the window appears"; diag "$1"
    fi
}
inputs_flat() { # inputs_flat TAG SESSION: its inputs channel carried no more than case i's
    local bytes
    bytes=$(field end "$2" channels.inputs.to_vm)
    checkd "$1" "$1: the inputs channel carried no more than without input ($bytes bytes; $IN_I in case i)" \
        [ "${bytes:-0}" -le "${IN_I:-0}" ]
}
echo "# case y: idle-timeout = 6s, the pointer moves over the viewer's menu bar"
set_limits idle-timeout=6s
open_with_pointer y move "the pointer moves over its menu bar"
sleep 18 # 3 times the idle timeout
checkd y "y: the session is still open after 18 s of pointer motion (idle-timeout 6s)" \
    eval '! ssh_done y'
kill "$TYPIST" 2>/dev/null; wait "$TYPIST" 2>/dev/null; TYPIST=""
checkd y "y: the pointer rests: the session ends by itself" wait_until 300 ssh_done y
SY=$(last_start)
checkd y "y: end record reason idle (is '$(field end "$SY" reason)')" [ "$(field end "$SY" reason)" = idle ]
checkd y "y: it lasted over 18 s (duration_s $(field end "$SY" duration_s))" \
    [ "$(field end "$SY" duration_s)" -ge 18 ]
inputs_flat y "$SY"

# ---- z. idle-timeout, another client's SendEvent fakes ----
echo "# case z: idle-timeout = 6s, XSendEvent fakes to the viewer's window"
open_with_pointer z fake "fake motion events sent to it"
checkd z "z: the session ends by itself while the fakes go on" wait_until 300 ssh_done z
checkd z "z: ... the faker was still running then" kill -0 "$TYPIST"
kill "$TYPIST" 2>/dev/null; wait "$TYPIST" 2>/dev/null; TYPIST=""
SZ=$(last_start)
checkd z "z: end record reason idle (is '$(field end "$SZ" reason)')" [ "$(field end "$SZ" reason)" = idle ]
inputs_flat z "$SZ"

# ---- c. a certificate that expires during the session ----
echo "# case c: a certificate valid for 8 s more"
set_limits
sign_carol -1m:+8s || exit 1
open_bg c debianx carol
checkd c "c: the session ends by itself (ssh returns)" wait_until 300 ssh_done c
SC=$(last_start)
checkd c "c: carol's session started (the start record's key is her key: $CAROL_FP)" \
    [ "$(field start "$SC" key)" = "$CAROL_FP" ]
checkd c "c: end record reason certificate-expired (is '$(field end "$SC" reason)')" \
    [ "$(field end "$SC" reason)" = certificate-expired ]
CERT=$(field start "$SC" certificate.key_id)\|$(field start "$SC" certificate.serial)\|$(field start "$SC" certificate.ca)
checkd c "c: the start record names the certificate: key id, serial, CA ($CERT)" \
    [ "$CERT" = "carol's test cert|42|$CA_FP" ]
VB=$(ssh-keygen -Lf "$D/keys/carol-cert.pub" | sed -n 's/.* to \([0-9T:-]*\)$/\1/p')
checkd c "c: ... and its valid_before ($VB, local time)" \
    [ "$(date -d "$(field start "$SC" certificate.valid_before)" +%Y-%m-%dT%H:%M:%S)" = "$VB" ]
"$ADMIN" --config "$CONF" show "$SC" > "$D/c.show" 2>&1
checkd c "c: vmconsole-admin show names the certificate" \
    grep -q "^certificate id \"carol's test cert\", serial 42, CA $CA_FP, valid " "$D/c.show"
checkd c "c: the person was warned on stderr before the end" \
    grep -q "^vmconsole: your SSH certificate expires in [0-9]s: this console session ends then$" "$D/c.err"
checkd c "c: the session lasted until the certificate's end (duration_s $(field end "$SC" duration_s))" \
    [ "$(field end "$SC" duration_s)" -ge 3 ]

# ---- x. an expired certificate ----
echo "# case x: an expired certificate"
sign_carol -2m:-1m || exit 1
N_BEFORE=$(wc -l < "$LOG")
DISPLAY=$LAPTOP XAUTHORITY=$D/laptop.xauth ssh_as carol -- debianx </dev/null >"$D/x.out" 2>"$D/x.err"
RC=$?
checkd x "x: sshd refuses it (ssh exit $RC)" [ "$RC" = 255 ]
checkd x "x: no record: the gateway never ran" [ "$(wc -l < "$LOG")" = "$N_BEFORE" ]

# ---- e. a plain key's expiry-time ----
echo "# case e: a key line whose expiry-time is 8 s ahead"
ssh-keygen -q -t ed25519 -N '' -C dave@laptop -f "$D/keys/dave" || exit 1
"$ADMIN" --config "$CONF" authorize "$ALICE" "$D/keys/dave.pub" \
    --expires "$(date -d '+8 seconds' +%Y-%m-%dT%H:%M:%S)" > "$D/dave.line" || exit 1
checkd e "e: authorize --expires gives the gateway --expires beside sshd's expiry-time" \
    grep -q -- '--expires [0-9]\{14\}",X11-forwarding,expiry-time="[0-9]\{14\}" ' "$D/dave.line"
sed "s|command=\"[^ ]* --identity |command=\"$GW --config $CONF --identity |" "$D/dave.line" \
    >> "$VMC_SSHD_DIR/authorized_keys"
open_bg e debianx dave
checkd e "e: the session ends by itself (ssh returns)" wait_until 300 ssh_done e
SE=$(last_start)
checkd e "e: end record reason key-expired (is '$(field end "$SE" reason)')" \
    [ "$(field end "$SE" reason)" = key-expired ]
checkd e "e: the start record carries key_expires" [ -n "$(field start "$SE" key_expires)" ]
checkd e "e: the person was warned on stderr before the end" \
    grep -q "^vmconsole: your SSH key's access expires in [0-9]s: this console session ends then$" "$D/e.err"

# ---- p. authorize --principal and check ----
echo "# case p: the principals line and check"
checkd p "p: authorize --principal wrote the line sshd used (restricted, forced command, principal)" \
    grep -q "^restrict,command=\".* --identity $ALICE\",X11-forwarding carol-principal\$" "$D/principals.line"
"$ADMIN" --config "$CONF" check --no-probe --gateway "$GW" \
    --sshd-config "$VMC_SSHD_DIR/sshd_config" > "$D/p.check" 2>&1
checkd p "p: check reports the certificates setup" \
    grep -q "certificates: CA keys $D/ca.pub, principals $D/principals" "$D/p.check"
checkd p "p: ... with no problem on the principals lines" eval '! grep -q "$D/principals line" "$D/p.check"'
grep -v '^AuthorizedPrincipalsFile' "$VMC_SSHD_DIR/sshd_config" > "$D/sshd-noprincipals.conf"
"$ADMIN" --config "$CONF" check --no-probe --gateway "$GW" \
    --sshd-config "$D/sshd-noprincipals.conf" > "$D/p2.check" 2>&1
checkd p "p: TrustedUserCAKeys without AuthorizedPrincipalsFile is a problem" \
    grep -q "has no AuthorizedPrincipalsFile" "$D/p2.check"
"$ADMIN" --config "$CONF" authorize "$ALICE" --principal carol-principal --append "$D/principals" \
    > "$D/p3.out" 2>&1
checkd p "p: authorize --append refuses a principal the file holds already" \
    grep -q "already holds this principal (line 1)" "$D/p3.out"

finish
