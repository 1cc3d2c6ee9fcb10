#!/bin/bash
# Threat: `--pulse=tcp:PORT` names any loopback port of the host: a key
# holder aims the gateway's probe and the viewer's sound at another person's
# tunnel (their laptop's sound server), or scans the host's loopback ports
# through the "no sound: ..." messages (issue 10, "Sound").
#
# The gateway accepts a port only when every listener on it is held by the
# sshd process it descends from (its own SSH connection's "sshd:
# ACCOUNT@notty"), checked by vmconsole-tunnel-check (CAP_SYS_PTRACE) before
# a byte goes to the port. Through a real sshd, a real gateway, QEMU-less
# (spice-tone-server as the VM), the laptop an Xvfb; each "laptop end" of a
# tunnel is a listener that records who connects:
#   a. alice's own ssh -R: accepted — the probe comes through her tunnel
#   b. bob's tunnel (another connection, ssh -N -R): refused, nothing reaches
#      bob's laptop end
#   c. an unrelated local listener on the host: refused, not connected to
#   d. a port nobody listens on: refused
#   e. b, c and d say the very same words (the port number aside): the
#      message tells nothing about what is on a port
#
# Usage: test-tunnel-owner.sh GATEWAY TONE-SERVER   (TAP; root, else exit 77)
HERE=$(cd "$(dirname "$0")" && pwd)
INTEGRATION=$HERE/../integration
. "$INTEGRATION/lib.sh"
. "$INTEGRATION/sshd-lib.sh"
. "$INTEGRATION/sound-lib.sh"
. "$HERE/security-lib.sh"
need_root
GW=$(realpath "$1")
TONE=$(realpath "$2")
for prog in remote-viewer Xvfb /usr/sbin/sshd ssh xauth setfacl setcap python3 bwrap; do
    command -v "$prog" >/dev/null || { echo "1..0 # SKIP $prog is not installed"; exit 77; }
done

P=$(vmc_prefix o)
VMC_T_DIR=$(mktemp -d /tmp/vmc-towner-XXXXXX)
chmod 0755 "$VMC_T_DIR"
D=$VMC_T_DIR
BG=""
cleanup() {
    local p
    for p in $BG; do ssh_bg_end "$p"; done
    sshd_cleanup
    sound_cleanup
    stop_all_xvfb 2>/dev/null
    cleanup_common
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

ACCOUNT=${P}gw ALICE=${P}al BOB=${P}bo
add_user "$ALICE" && add_user "$BOB" || exit 1
sshd_add_account "$ACCOUNT" && gateway_prepare_dirs || exit 1
install -d -m 0755 "$D/spicex"
LOG=$D/log/sessions.jsonl
cat > "$D/gateway.conf" <<EOF
[gateway]
socket-pattern = $D/spicex/%s.sock
log = $LOG
run-dir = $D/run
EOF
chmod 0644 "$D/gateway.conf"
trap '' PIPE
sound_start_tone "$TONE" "$D/spicex/debianx.sock" || exit 1
trap - PIPE
setfacl -m "u:$ACCOUNT:rw,u:$ALICE:rw" "$D/spicex/debianx.sock" || exit 1
start_xvfb laptop || exit 1
LAPTOP=$XVFB_DISPLAY
: > "$D/laptop.xauth"
# bob's tunnel-only connection must outlive this test's cases
VMC_T_UNUSED_TIMEOUT=300s sshd_start || exit 1
GW=$(install_gateway "$GW" "$D") || exit 1
KEYOPT='port-forwarding,permitlisten="localhost:*"'
sshd_add_key alice "$GW --config $D/gateway.conf --identity $ALICE" "$KEYOPT" &&
    sshd_add_key bob "$GW --config $D/gateway.conf --identity $BOB" "$KEYOPT" || exit 1

NOT_OURS="is not a reverse forward of this SSH connection"
# open_with_port TAG PORT [SSH-OPTION...]: alice opens debianx with the sound
# port PORT; waits until the gateway has said what became of the sound, ends
# the session. Its stderr in $D/TAG.err.
open_with_port() {
    local tag=$1 port=$2 pid; shift 2
    ( DISPLAY=$LAPTOP XAUTHORITY=$D/laptop.xauth ssh_as alice "$@" -- "debianx --pulse=tcp:$port" \
          </dev/null >"$D/$tag.out" 2>"$D/$tag.err" ) &
    pid=$!
    sec_wait_until 300 grep -q "sound\|opening debianx for" "$D/$tag.err"
    sec_wait_until 100 grep -q "sound" "$D/$tag.err"
    ssh_bg_end "$pid"
    sec_wait_until 100 eval '[ -z "$(live_pids_of "$ACCOUNT" | xargs -r ps -o args= -p | grep -v "sshd\|ps -o")" ]'
    sed 's/^/# /' "$D/$tag.err"
}
# the gateway's words about the sound, with the port number taken out
sound_words() { grep -o "no sound: .*\|sound: .*" "$1" | head -1 | sed "s/port $2/port PORT/g"; }

# ---- a. alice's own tunnel ----
sec_listen_tcp alice-end || exit 1
ALICE_END=$SEC_PORT
HP=$(free_port)
open_with_port a "$HP" -o ExitOnForwardFailure=yes -R "$HP:127.0.0.1:$ALICE_END"
check "a. alice's own -R: not refused as another's ($(sound_words "$D/a.err" "$HP"))" \
    eval '! grep -q "$NOT_OURS" "$D/a.err"'
check "a. ... the gateway's probe came through her tunnel ($(sec_connections alice-end) connection(s))" \
    [ "$(sec_connections alice-end)" -ge 1 ]

# ---- b. bob's tunnel, another connection ----
sec_listen_tcp bob-end || exit 1
BP=$(free_port)
( ssh_as bob -x -N -o ExitOnForwardFailure=yes -R "$BP:127.0.0.1:$SEC_PORT" -- </dev/null \
      >/dev/null 2>"$D/bob.err" ) &
BOB_PID=$!
BG="$BG $BOB_PID"
check "b. bob's tunnel is up on port $BP" wait_for_port "$BP" 100
# that check's own connection came through to bob's end: count from after it
sec_wait_until 50 eval '[ "$(sec_connections bob-end)" -ge 1 ]'
BEFORE=$(sec_connections bob-end)
open_with_port b "$BP"
check "b. bob's tunnel (another connection) is refused" grep -q "no sound: port $BP $NOT_OURS" "$D/b.err"
check "b. nothing reached bob's laptop end ($(( $(sec_connections bob-end) - BEFORE )) new)" \
    [ "$(sec_connections bob-end)" = "$BEFORE" ]
ssh_bg_end "$BOB_PID"; BG=""

# ---- c. an unrelated listener on the host ----
sec_listen_tcp local-service || exit 1
UP=$SEC_PORT
open_with_port c "$UP"
check "c. an unrelated local listener is refused" grep -q "no sound: port $UP $NOT_OURS" "$D/c.err"
check "c. ... and not connected to ($(sec_connections local-service))" [ "$(sec_connections local-service)" = 0 ]

# ---- d. nothing there ----
NP=$(free_port)
open_with_port d "$NP"
check "d. a port nobody listens on is refused" grep -q "no sound: port $NP $NOT_OURS" "$D/d.err"

# ---- e. one answer for all ----
WB=$(sound_words "$D/b.err" "$BP") WC=$(sound_words "$D/c.err" "$UP") WD=$(sound_words "$D/d.err" "$NP")
echo "# b: $WB"; echo "# c: $WC"; echo "# d: $WD"
check "e. another's tunnel, a local service and nothing get the same words" \
    eval '[ -n "$WB" ] && [ "$WB" = "$WC" ] && [ "$WC" = "$WD" ]'
finish
