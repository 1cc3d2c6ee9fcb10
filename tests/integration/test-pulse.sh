#!/bin/bash
# pulse/ against real sound servers: the laptop's endpoint (a guard with a
# fresh cookie in front of the server; a private module-native-protocol-tcp
# behind it where the server is reached over TCP, as here for PulseAudio so
# that the module's life is tested: the server's own Unix socket, which needs
# no module, is test-sound-guard's and test-sound's) and the host's probe.
#
#   a. PulseAudio: the endpoint loads with cookie auth (never auth-ip-acl), its
#      cookie is a 0600 file in a 0700 dir under XDG_RUNTIME_DIR
#   b. a client with the cookie plays (the tone arrives); without it or with a
#      wrong one it is refused
#   c. the probe: server and version with the cookie; "access denied" without
#      or with a wrong one; nothing written to HOME or to the cookie given;
#      no server; a server that never answers (timeout)
#   d. close on stdin EOF and on SIGTERM: the module is gone, the cookie dir too;
#      the server gone while open: close fails in words, the dir is still removed
#   e. no server, an unusable XDG_RUNTIME_DIR: refused in words, nothing left
#   f. PipeWire's pulse server: detected, the endpoint says unauthenticated
#
#   g. end to end: remote-viewer (on Xvfb) plays spice-tone-server's 440 Hz tone
#      into the endpoint with the cookie; it reaches the null sink
#
# Usage: test-pulse.sh VMC-PULSE-TOOL SPICE-TONE-SERVER      (TAP; no root needed)
# shellcheck disable=SC2016 # the bash -c checks take their values as arguments
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/sound-lib.sh"
TOOL=$(realpath "$1")
TONE=$(realpath "$2")

for prog in pulseaudio pactl paplay parec sox xxd python3 timeout Xvfb remote-viewer; do
    if ! command -v "$prog" >/dev/null; then
        echo "1..0 # SKIP $prog is not installed (scripts/install-deps installs it)"
        exit 77
    fi
done

VMC_T_DIR=$(mktemp -d /tmp/vmc-pulse-XXXXXX)
D=$VMC_T_DIR
OPEN_PID=""
HANG_PID=""

cleanup() {
    [ -n "$OPEN_PID" ] && stop_pids -t 50 "$OPEN_PID"
    [ -n "$HANG_PID" ] && stop_pids -t 20 "$HANG_PID"
    exec 7>&- 2>/dev/null
    sound_cleanup
    stop_all_xvfb
    cleanup_common
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

PATH_SAFE=/usr/local/bin:/usr/bin:/bin

# open_endpoint TAG [--record]: the tool's "open" against the current daemon, stdin on a
# fifo held by fd 7; waits for "ready" (or its exit). Sets OPEN_PID, PORT,
# COOKIE_HEX, MODULE, COOKIE_FILE (from the module's argument).
open_endpoint() {
    local tag=$1
    rm -f "$D/$tag.in"
    mkfifo "$D/$tag.in"
    # shellcheck disable=SC2046
    env $(sound_env) XDG_RUNTIME_DIR="$RUNTIME" HOME="$D/home-$tag" \
        "$TOOL" open "${@:2}" ${LAPTOP_SERVER:-} <"$D/$tag.in" >"$D/$tag.out" 2>"$D/$tag.err" &
    OPEN_PID=$!
    exec 7>"$D/$tag.in"
    for _ in $(seq 100); do
        grep -q '^ready$' "$D/$tag.out" && break
        pid_alive "$OPEN_PID" || break
        sleep 0.1
    done
    PORT=$(sed -n 's/^port //p' "$D/$tag.out")
    COOKIE_HEX=$(sed -n 's/^cookie //p' "$D/$tag.out")
    MODULE=$(sed -n 's/^module //p' "$D/$tag.out")
    COOKIE_FILE=$(module_line "$MODULE" | sed -n 's/.*auth-cookie=\([^[:space:]]*\).*/\1/p')
    grep -q '^ready$' "$D/$tag.out"
}

# end_endpoint: EOF on its stdin; waits for the tool, sets OPEN_RC.
end_endpoint() {
    exec 7>&-
    wait_gone 100 "$OPEN_PID"
    wait "$OPEN_PID"
    OPEN_RC=$?
    OPEN_PID=""
}

# sweep TAG: the tool's sweep against the current daemon; output in
# $D/TAG.{out,err}, SWEEP_RC.
sweep() {
    # shellcheck disable=SC2046
    env $(sound_env) XDG_RUNTIME_DIR="$RUNTIME" HOME="$D/home-$1" \
        "$TOOL" sweep >"$D/$1.out" 2>"$D/$1.err"
    SWEEP_RC=$?
}

module_line() { # module_line INDEX: the module's line in `pactl list modules short`
    [ -n "$1" ] || return 1
    sound_pactl list modules short 2>/dev/null | awk -F'\t' -v i="$1" '$1 == i'
}

module_gone() { [ -z "$(module_line "$1")" ]; }
module_present() { [ -n "$(module_line "$1")" ]; }

no_tcp_module() { # none of ours (the test's own anonymous one does not count)
    local list
    list=$(sound_pactl list modules short) && ! grep -q "native-protocol-tcp.*auth-cookie" <<<"$list"
}

# probe TAG SERVER [COOKIE] [TIMEOUT-MS]: output in $D/TAG.{out,err}, PROBE_RC.
# A fresh HOME and only PATH in the environment.
probe() {
    local tag=$1; shift
    mkdir -p "$D/home-$tag"
    env -i PATH="$PATH_SAFE" HOME="$D/home-$tag" timeout 30 "$TOOL" probe "$@" \
        >"$D/$tag.out" 2>"$D/$tag.err"
    PROBE_RC=$?
    echo "# probe $tag: exit $PROBE_RC: $(cat "$D/$tag.out" "$D/$tag.err" | tr '\n' ' ')"
}

# play TAG [COOKIE]: paplay an 8 s tone to the endpoint (fresh HOME, env -i).
play() {
    local tag=$1 cookie=${2:-}
    mkdir -p "$D/home-$tag"
    env -i PATH="$PATH_SAFE" HOME="$D/home-$tag" PULSE_SERVER="tcp:127.0.0.1:$PORT" \
        ${cookie:+PULSE_COOKIE=$cookie} timeout 30 paplay "$D/tone.wav" >"$D/$tag.out" 2>"$D/$tag.err"
}

sox -n -r 48000 -c 2 "$D/tone.wav" synth 8 sine 440 vol 0.5 || exit 1
head -c 256 /dev/urandom > "$D/wrong-cookie"
head -c 100 /dev/urandom > "$D/short-cookie"

# ---- a. the endpoint on PulseAudio ----
# the laptop's server reached over TCP (an anonymous module of the test's):
# the endpoint then loads its own cookie module behind the guard
laptop_over_tcp() {
    local anon
    anon=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    sound_pactl load-module module-native-protocol-tcp listen=127.0.0.1 port="$anon" \
        auth-anonymous=1 >/dev/null && LAPTOP_SERVER=tcp:127.0.0.1:$anon
}
sound_start_pulse "$D/laptop" && laptop_over_tcp || exit 1
RUNTIME=$D/laptop/run
check "open: an endpoint on a real PulseAudio" open_endpoint a
sed 's/^cookie .*/cookie (hidden)/; s/^/# /' "$D/a.out" "$D/a.err"
check "open: the server is PulseAudio 16.1" \
    grep -qx 'server PulseAudio 16.1' "$D/a.out"
check "open: says authenticated" grep -qx 'authenticated yes' "$D/a.out"
LINE=$(module_line "$MODULE")
echo "# module: $LINE"
check "module: listed as module-native-protocol-tcp on 127.0.0.1, behind the guard's port $PORT" \
    eval 'grep -q "module-native-protocol-tcp.*listen=127.0.0.1 port=[0-9]* " <<<"$LINE" &&
          ! grep -q "port=$PORT " <<<"$LINE" && grep -qx "guarded yes" "$D/a.out"'
check "module: auth-anonymous=0 and a cookie, no auth-ip-acl" \
    bash -c '[[ $1 == *auth-anonymous=0* && $1 == *auth-cookie-enabled=1* && $1 == *auth-cookie=/* && $1 != *ip-acl* ]]' \
    _ "$LINE"
check "cookie: a 0600 file in a 0700 dir under XDG_RUNTIME_DIR" \
    bash -c '[ "$(stat -c %a "$1")" = 600 ] && [ "$(stat -c %a "$(dirname "$1")")" = 700 ] &&
             [ "$(dirname "$(dirname "$1")")" = "$2" ]' _ "$COOKIE_FILE" "$RUNTIME"
check "cookie: 256 bytes, the hex the tool printed" \
    bash -c '[ "$(xxd -p -c 256 "$1")" = "$2" ] && [ "${#2}" = 512 ]' _ "$COOKIE_FILE" "$COOKIE_HEX"
printf '%s' "$COOKIE_HEX" | xxd -r -p > "$D/cookie"

# ---- b. clients of the endpoint ----
play play-ok "$D/cookie" &
PLAY_PID=$!
VMC_T_PIDS="${VMC_T_PIDS:-} $PLAY_PID"
if sound_wait_stream 100 && sound_record 2 "$D/rec.wav"; then
    check "a client with the cookie plays: the tone arrives" sound_tone_ok "$D/rec.wav" 440
else
    ok 1 "a client with the cookie plays: the tone arrives"
fi
wait "$PLAY_PID"
ok $? "a client with the cookie: paplay exits 0"
play play-none
RC=$?
check "a client without a cookie is refused (exit $RC)" grep -q 'Access denied' "$D/play-none.err"
play play-wrong "$D/wrong-cookie"
RC=$?
check "a client with a wrong cookie is refused (exit $RC)" grep -q 'Access denied' "$D/play-wrong.err"

# ---- c. the probe ----
probe p-ok "tcp:127.0.0.1:$PORT" "$D/cookie"
check "probe with the cookie: PulseAudio 16.1" \
    bash -c '[ "$1" = 0 ] && grep -qx "server PulseAudio 16.1" "$2" && grep -qx "kind pulseaudio" "$2"' \
    _ "$PROBE_RC" "$D/p-ok.out"
check "probe: wrote nothing to HOME" bash -c '[ -z "$(ls -A "$1")" ]' _ "$D/home-p-ok"
probe p-none "tcp:127.0.0.1:$PORT"
check "probe without a cookie: access denied, in words" \
    bash -c '[ "$1" = 1 ] && grep -q "access denied (wrong or missing cookie)" "$2"' \
    _ "$PROBE_RC" "$D/p-none.err"
check "probe without a cookie: no ~/.config/pulse/cookie made" \
    bash -c '[ -z "$(ls -A "$1")" ]' _ "$D/home-p-none"
SUM=$(sha256sum < "$D/wrong-cookie")
probe p-wrong "tcp:127.0.0.1:$PORT" "$D/wrong-cookie"
check "probe with a wrong cookie: access denied" \
    bash -c '[ "$1" = 1 ] && grep -q "access denied" "$2"' _ "$PROBE_RC" "$D/p-wrong.err"
check "probe: the cookie file given is left as it was" \
    bash -c '[ "$(sha256sum < "$1")" = "$2" ]' _ "$D/wrong-cookie" "$SUM"
SUM=$(sha256sum < "$D/short-cookie")
probe p-short "tcp:127.0.0.1:$PORT" "$D/short-cookie"
check "probe with a 100-byte cookie file: refused, the file left as it was" \
    bash -c '[ "$1" = 1 ] && grep -q "exactly 256 bytes" "$2" && [ "$(sha256sum < "$3")" = "$4" ]' \
    _ "$PROBE_RC" "$D/p-short.err" "$D/short-cookie" "$SUM"
probe p-missing "tcp:127.0.0.1:$PORT" "$D/no-such-cookie"
check "probe with a missing cookie file: refused, not created" \
    bash -c '[ "$1" = 1 ] && [ ! -e "$2" ]' _ "$PROBE_RC" "$D/no-such-cookie"
# a PULSE_COOKIE in the caller's environment does not override the one given
mkdir -p "$D/home-p-env"
env -i PATH="$PATH_SAFE" HOME="$D/home-p-env" PULSE_COOKIE="$D/wrong-cookie" timeout 30 \
    "$TOOL" probe "tcp:127.0.0.1:$PORT" "$D/cookie" >"$D/p-env.out" 2>"$D/p-env.err"
check "probe: the caller's PULSE_COOKIE does not override the cookie given" \
    grep -qx "kind pulseaudio" "$D/p-env.out"
FREE=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
probe p-noserver "tcp:127.0.0.1:$FREE"
check "probe with nothing listening: no sound server answers (is the tunnel up?)" \
    grep -q "no sound server answers on tcp:127.0.0.1:$FREE (is the tunnel up?)" "$D/p-noserver.err"
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(4)
print(s.getsockname()[1], flush=True)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
' > "$D/hang.port" &
HANG_PID=$!
for _ in $(seq 50); do [ -s "$D/hang.port" ] && break; sleep 0.1; done
probe p-hang "tcp:127.0.0.1:$(cat "$D/hang.port")" "$D/cookie" 1000
check "probe of a server that never answers: timed out after 1000 ms" \
    bash -c '[ "$1" = 1 ] && grep -q "timed out after 1000 ms" "$2"' _ "$PROBE_RC" "$D/p-hang.err"
stop_pids -t 20 "$HANG_PID"; HANG_PID=""

# ---- d. closing ----
end_endpoint
check "close on stdin EOF: exit 0, says closed" \
    bash -c '[ "$1" = 0 ] && grep -qx closed "$2"' _ "$OPEN_RC" "$D/a.out"
check "close: module $MODULE is gone" module_gone "$MODULE"
check "close: the cookie and its dir are gone" bash -c '[ ! -e "$(dirname "$1")" ]' _ "$COOKIE_FILE"
probe p-closed "tcp:127.0.0.1:$PORT" "$D/cookie"
check "close: nothing answers on the port any more" grep -q "no sound server answers" "$D/p-closed.err"

check "open again (for SIGTERM)" open_endpoint t
kill -TERM "$OPEN_PID"
wait_gone 100 "$OPEN_PID"; wait "$OPEN_PID"; RC=$?; OPEN_PID=""
exec 7>&-
check "SIGTERM: exit 0, module $MODULE gone, cookie dir gone" \
    bash -c '[ "$1" = 0 ] && [ ! -e "$(dirname "$2")" ]' _ "$RC" "$COOKIE_FILE"
check "SIGTERM: module gone" module_gone "$MODULE"

# ---- d2. an endpoint whose process was killed outright (SIGKILL) ----
check "open again (for SIGKILL)" open_endpoint k
K_DIR=$(dirname "$COOKIE_FILE"); K_PID=$OPEN_PID; K_MODULE=$MODULE
check "the endpoint's dir names its owner (pid $K_PID, module $K_MODULE)" \
    bash -c 'grep -qx "pid=$1" "$3/owner" && grep -qx "module=$2" "$3/owner"' _ "$K_PID" "$K_MODULE" "$K_DIR"
sweep s-live
check "sweep while the owner runs: nothing removed" \
    bash -c '[ "$1" = 0 ] && grep -qx "swept 0" "$2"' _ "$SWEEP_RC" "$D/s-live.out"
check "sweep while the owner runs: the module stays" module_present "$K_MODULE"
kill -KILL "$K_PID"; wait "$K_PID" 2>/dev/null; OPEN_PID=""
exec 7>&-
check "SIGKILL: the module is left behind" module_present "$K_MODULE"
check "SIGKILL: the cookie dir is left behind" test -d "$K_DIR"
# a symlink named like an endpoint dir (here to a copy of the stale one) is not followed
mkdir -p "$D/elsewhere" && cp -a "$K_DIR" "$D/elsewhere/copy" &&
    ln -s "$D/elsewhere/copy" "$RUNTIME/vmc-pulse-SYMLNK"
sweep s-dead
sed 's/^/# /' "$D/s-dead.out" "$D/s-dead.err"
check "sweep after SIGKILL: exit 0, one endpoint removed, named" \
    bash -c '[ "$1" = 0 ] && grep -qx "swept 1" "$2" &&
             grep -q "removed the sound endpoint (module $3) left by an earlier run (pid $4, gone)" "$2"' \
    _ "$SWEEP_RC" "$D/s-dead.out" "$K_MODULE" "$K_PID"
check "sweep after SIGKILL: the module is gone" module_gone "$K_MODULE"
check "sweep after SIGKILL: the cookie dir is gone" test ! -e "$K_DIR"
check "sweep: the symlinked look-alike and its target are untouched" \
    bash -c 'test -L "$1" && test -f "$2/owner"' _ "$RUNTIME/vmc-pulse-SYMLNK" "$D/elsewhere/copy"
rm -f "$RUNTIME/vmc-pulse-SYMLNK"
sweep s-again
check "a second sweep finds nothing" grep -qx "swept 0" "$D/s-again.out"

check "open again (server goes away)" open_endpoint g
sound_stop_pulse
end_endpoint
sed 's/^/# /' "$D/g.err"
check "server gone: close fails in words (exit $OPEN_RC)" \
    bash -c '[ "$1" = 1 ] && grep -q "cannot remove the sound endpoint (module $2, port [0-9]*): no sound server answers" "$3"' \
    _ "$OPEN_RC" "$MODULE" "$D/g.err"
check "server gone: the cookie dir is removed all the same" \
    bash -c '[ ! -e "$(dirname "$1")" ]' _ "$COOKIE_FILE"

# ---- e. refusals ----
LAPTOP_SERVER="" open_endpoint n
end_endpoint
check "no server: refused in words" \
    bash -c '[ "$1" = 1 ] && grep -q "no sound server answers on unix:.*(is PulseAudio or PipeWire running?)" "$2"' \
    _ "$OPEN_RC" "$D/n.err"
check "no server: nothing left in XDG_RUNTIME_DIR" \
    bash -c '! ls "$1" | grep -q vmc-pulse' _ "$RUNTIME"
# with no PULSE_SERVER and an empty runtime dir libpulse would autospawn
# pulseaudio (installed here) unless told not to
mkdir -p "$D/home-as/run"
chmod 0700 "$D/home-as/run"
env -i PATH="$PATH_SAFE" HOME="$D/home-as" XDG_RUNTIME_DIR="$D/home-as/run" timeout 30 \
    "$TOOL" open </dev/null >"$D/as.out" 2>"$D/as.err"
RC=$?
AS_PID=$(cat "$D/home-as/run/pulse/pid" 2>/dev/null)
[ -n "$AS_PID" ] && stop_pids "$AS_PID"
check "no server and no PULSE_SERVER: refused, no server autospawned (exit $RC)" \
    bash -c '[ "$1" = 1 ] && grep -q "no sound server answers on the default server" "$2" &&
             [ ! -e "$3/pulse/native" ] && [ -z "$4" ]' _ "$RC" "$D/as.err" "$D/home-as/run" "$AS_PID"
sed 's/^/# /' "$D/as.err"
sound_start_pulse "$D/laptop" && laptop_over_tcp || exit 1
mkdir -p "$D/bad dir"
RUNTIME_SAVED=$RUNTIME
RUNTIME="$D/bad dir"
open_endpoint s
end_endpoint
RUNTIME=$RUNTIME_SAVED
check "XDG_RUNTIME_DIR with a space: refused, names the fix" \
    bash -c '[ "$1" = 1 ] && grep -q "set XDG_RUNTIME_DIR or TMPDIR" "$2"' _ "$OPEN_RC" "$D/s.err"
check "XDG_RUNTIME_DIR with a space: no module loaded" no_tcp_module

# ---- g. end to end: spice-tone-server -> remote-viewer -> endpoint -> null sink ----
start_xvfb laptop || exit 1
sound_start_tone "$TONE" "$D/tone.sock" || exit 1
# --record: the guard lets the viewer's recording through (the launcher's --microphone)
check "open an endpoint for the viewer, with recording" open_endpoint v --record
printf '%s' "$COOKIE_HEX" | xxd -r -p > "$D/cookie-v"
mkdir -p "$D/home-rv"
env -i PATH="$PATH_SAFE" HOME="$D/home-rv" XDG_RUNTIME_DIR="$D/home-rv" DISPLAY="$VMC_T_DISPLAY" \
    PULSE_SERVER="tcp:127.0.0.1:$PORT" PULSE_COOKIE="$D/cookie-v" \
    remote-viewer "spice+unix://$D/tone.sock" >"$D/rv.log" 2>&1 &
RV_PID=$!
VMC_T_PIDS="${VMC_T_PIDS:-} $RV_PID"
if sound_wait_stream 150 && sound_record 2 "$D/rec-rv.wav"; then
    check "remote-viewer plays the tone server's 440 Hz through the endpoint" \
        sound_tone_ok "$D/rec-rv.wav" 440
else
    ok 1 "remote-viewer plays the tone server's 440 Hz through the endpoint"
    sed 's/^/# rv: /' "$D/rv.log"
fi
record_arrives() {
    for _ in $(seq 100); do
        sound_tone_channel record && [ "$(sound_tone_frames record)" -gt 0 ] && return 0
        sleep 0.1
    done
    return 1
}
check "the tone server's record channel is up and gets data" record_arrives
stop_pids -t 30 "$RV_PID"
end_endpoint
check "the endpoint closes after the viewer" bash -c '[ "$1" = 0 ]' _ "$OPEN_RC"
echo "# the guard, after the viewer: $(grep '^refused-' "$D/v.out" | tr '\n' ' ')"
check "the viewer (GStreamer pulsesink and pulsesrc) needed nothing the guard refuses" \
    grep -qx "refused-commands none" "$D/v.out"
check "spice-tone-server ends on SIGTERM and removes its socket" sound_stop_tone
stop_all_xvfb
sound_stop_pulse

# ---- f. PipeWire's pulse server ----
if sound_start_pipewire "$D/pw" 2>"$D/pw.err"; then
    RUNTIME=$D/pw/run
    LAPTOP_SERVER=""
    check "PipeWire: an endpoint opens" open_endpoint w
    check "PipeWire: detected as PipeWire 0.3.x" \
        grep -q '^server PipeWire 0\.3\.[0-9]* (pulse server ' "$D/w.out"
    check "PipeWire: the endpoint is authenticated by its guard" \
        bash -c 'grep -qx "authenticated yes" "$1" && grep -qx "guarded yes" "$1"' _ "$D/w.out"
    echo "# the guard's port: $PORT; modules: $(sound_pactl list modules short | cut -f2 | tr '\n' ' ')"
    check "PipeWire: no module is loaded: the guard relays to the server's own socket" \
        eval 'grep -qx "module 4294967295" "$D/w.out" && no_tcp_module'
    W_DIR=$(ls -d "$RUNTIME"/vmc-pulse-* 2>/dev/null | head -1)
    check "PipeWire: the cookie dir names its owner, with no module" \
        bash -c 'grep -qx "module=4294967295" "$1/owner" && grep -qx "argument=-" "$1/owner"' _ "$W_DIR"
    printf '%s' "$COOKIE_HEX" | xxd -r -p > "$D/pw-cookie"
    probe p-pw "tcp:127.0.0.1:$PORT" "$D/pw-cookie"
    check "PipeWire: with the cookie, the probe through the guard says kind pipewire" \
        grep -qx "kind pipewire" "$D/p-pw.out"
    head -c 256 /dev/urandom > "$D/pw-wrong"
    probe p-pw-wrong "tcp:127.0.0.1:$PORT" "$D/pw-wrong"
    check "PipeWire: a wrong cookie is refused by the guard (access denied)" \
        bash -c '[ "$1" != 0 ] && grep -qi "access denied" "$2"' _ "$PROBE_RC" "$D/p-pw-wrong.err"
    probe p-pw-none "tcp:127.0.0.1:$PORT"
    check "PipeWire: no cookie is refused too" \
        bash -c '[ "$1" != 0 ] && grep -qi "access denied" "$2"' _ "$PROBE_RC" "$D/p-pw-none.err"
    # not the native protocol at all: the guard closes without relaying a byte
    GARBAGE=$(python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"GET / HTTP/1.0\r\n\r\n" + b"x" * 2000)
data = b""
try:
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
except ConnectionResetError:
    pass  # closed with our bytes unread: a reset
print(len(data))' "$PORT" 2>&1)
    check "PipeWire: garbage is closed with no answer (got '$GARBAGE' bytes)" [ "$GARBAGE" = 0 ]
    end_endpoint
    check "PipeWire: close: exit 0, the cookie dir is gone, no module" \
        eval '[ "$OPEN_RC" = 0 ] && [ ! -e "$W_DIR" ] && no_tcp_module'
    probe p-pw-closed "tcp:127.0.0.1:$PORT" "$D/pw-cookie"
    check "PipeWire: close: nothing answers on the guard's port any more" \
        grep -q "no sound server answers" "$D/p-pw-closed.err"
    check "PipeWire: open again (for SIGKILL)" open_endpoint wk
    W_PID=$OPEN_PID
    W_DIR=$(ls -d "$RUNTIME"/vmc-pulse-* 2>/dev/null | head -1)
    kill -KILL "$W_PID"; wait "$W_PID" 2>/dev/null; OPEN_PID=""
    exec 7>&-
    check "PipeWire: SIGKILL leaves only the cookie dir (the guard died with it)" \
        eval 'test -d "$W_DIR" && no_tcp_module'
    sweep s-pw
    check "PipeWire: the sweep removes the dir (pid $W_PID)" \
        bash -c '[ "$1" = 0 ] && grep -qx "swept 1" "$2" &&
                 grep -q "removed the cookie of a sound endpoint left by an earlier run (pid $3, gone)" "$2"' \
        _ "$SWEEP_RC" "$D/s-pw.out" "$W_PID"
    check "PipeWire: the dir is gone after the sweep" test ! -e "$W_DIR"
else
    ok 0 "PipeWire's pulse server # SKIP it cannot run here: $(head -c 200 "$D/pw.err" | tr '\n' ' ')"
fi
sound_stop_pulse

finish
