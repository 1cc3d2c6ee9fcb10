#!/bin/bash
# The gateway's side of sound, run the way sshd runs it (forced command with
# SSH_ORIGINAL_COMMAND, the cookie and port lines on stdin, stdout held open
# like the SSH channel) but without sshd in between: the laptop's PulseAudio
# is reached on a loopback TCP port, as the reverse forward would offer it.
# A Spice "VM" that plays a 440 Hz tone (spice-tone-server on
# libspice-server), remote-viewer on an Xvfb, a real PulseAudio with a null
# sink as the laptop's sound server.
#
#   a. --pulse=tcp:PORT --pulse-cookie=stdin: the tone reaches the laptop's
#      null sink; records: audio endpoint, authenticated, the server found
#   b. --pulse=tcp:stdin: the port comes on stdin too; the tone plays
#   c. microphone = deny for the VM, though the request asks for it: the
#      relay refuses the record channel (the Spice server never sees it),
#      playback still plays; c2. microphone = allow but not asked for: the
#      same (a's request asks and gets it)
#   d. a wrong cookie: "no sound: ... access denied", the console still opens,
#      nothing plays, the record says why
#   e. no cookie, an anonymous endpoint: plays, and the person is warned that
#      the tunnel is unauthenticated; the record says not authenticated
#   f. a bad cookie line: "no sound", the session goes on
#   g. a viewer that fails at once: its last output lands in the end record
#
# Usage: test-gateway-sound.sh GATEWAY TONE-SERVER   (TAP; needs root, else 77)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/sound-lib.sh"
need_root
GW=$(realpath "$1")
TONE=$(realpath "$2")

for prog in remote-viewer Xvfb xauth pulseaudio pactl parec sox setfacl python3; do
    if ! command -v "$prog" >/dev/null; then
        echo "1..0 # SKIP $prog is not installed (scripts/install-deps installs it)"
        exit 77
    fi
done

P=$(vmc_prefix g)
VMC_T_DIR=$(mktemp -d /tmp/vmc-gwsound-XXXXXX)
chmod 0755 "$VMC_T_DIR"
D=$VMC_T_DIR
GW_PID=""

cleanup() {
    [ -n "${VMC_KEEP:-}" ] && cp -r "$D" "$VMC_KEEP"
    [ -n "$GW_PID" ] && stop_pids -t 50 "$GW_PID"
    sound_cleanup 2>/dev/null
    stop_all_xvfb 2>/dev/null
    cleanup_common
}
trap cleanup EXIT
GW=$(install_gateway "$GW" "$D") || exit 1

ALICE=${P}al
add_user "$ALICE"
mkdir -p "$D/log" "$D/run"
LOG=$D/log/sessions.jsonl
cat > "$D/gateway.conf" <<EOF
[gateway]
socket-pattern = $D/%s.sock
log = $LOG
run-dir = $D/run
# no sshd here: the port stands for a tunnel no sshd holds (test-tunnel-owner
# checks that through a real sshd)
tunnel-check = off

[vm tone]
socket = $D/tone.sock
microphone = allow

[vm tonedeny]
socket = $D/tone.sock
microphone = deny
EOF

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---- the laptop: Xvfb with a cookie, PulseAudio with a null sink ----
start_xvfb laptop || exit 1
XAUTH=$D/Xauthority
xauth -q -f "$XAUTH" add "$XVFB_DISPLAY" MIT-MAGIC-COOKIE-1 "$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
sound_start_pulse "$D/laptop" || exit 1
head -c 256 /dev/urandom > "$D/laptop/tunnel-cookie"
COOKIE_HEX=$(od -An -tx1 -v "$D/laptop/tunnel-cookie" | tr -d ' \n')
WRONG_HEX=$(head -c 256 /dev/urandom | od -An -tx1 -v | tr -d ' \n')
PORT=$(free_port)
sound_pactl load-module module-native-protocol-tcp listen=127.0.0.1 port="$PORT" \
    auth-anonymous=0 auth-cookie-enabled=1 auth-cookie="$D/laptop/tunnel-cookie" >/dev/null
APORT=$(free_port)
sound_pactl load-module module-native-protocol-tcp listen=127.0.0.1 port="$APORT" \
    auth-anonymous=1 >/dev/null

# ---- the "VM" ----
sound_start_tone "$TONE" "$D/tone.sock" || exit 1
setfacl -m "u:$ALICE:rw" "$D/tone.sock"

# run_gateway TAG REQUEST [STDIN-LINE...]: start the gateway as sshd would; its
# stderr goes to $D/TAG.err. Sets GW_PID.
run_gateway() {
    local tag=$1 request=$2
    shift 2
    mkfifo "$D/$tag.out"
    cat "$D/$tag.out" > /dev/null &
    printf '%s\n' "$@" | env -i PATH=/usr/bin:/bin HOME="$D" DISPLAY="$XVFB_DISPLAY" \
        XAUTHORITY="$XAUTH" SSH_ORIGINAL_COMMAND="$request" \
        SSH_CONNECTION="192.0.2.7 50000 127.0.0.1 22" \
        "$GW" --config "${CONF:-$D/gateway.conf}" --identity "$ALICE" \
        > "$D/$tag.out" 2> "$D/$tag.err" &
    GW_PID=$!
}

# end_gateway: SIGTERM (as when the person's ssh goes), wait for it and for
# the Spice server to see its client go (it takes one client at a time).
end_gateway() {
    stop_pids -t 100 "$GW_PID"
    wait "$GW_PID" 2>/dev/null
    GW_PID=""
    for _ in $(seq 50); do
        [ "$(grep -c '^channel main connected$' "$SOUND_TONE_OUT")" = \
          "$(grep -c '^channel main disconnected$' "$SOUND_TONE_OUT")" ] && return 0
        sleep 0.1
    done
    echo "# the Spice server still has a client" >&2
}

# last_record EVENT: the last record of that event, as JSON.
last_record() {
    grep "\"event\":\"$1\"" "$LOG" | tail -n 1
}

# record_field EVENT PYTHON-EXPR: evaluate on the last EVENT record as r.
record_field() {
    last_record "$1" | python3 -c "import json, sys; r = json.load(sys.stdin); print($2)"
}

wait_stream_or_say() {
    if ! sound_wait_stream 150; then
        echo "# no playback stream reached the laptop; gateway said:"
        sed 's/^/#   /' "$D/$1.err"
        return 1
    fi
}

# ---- a. cookie on stdin ----
run_gateway a "tone --pulse=tcp:$PORT --pulse-cookie=stdin --microphone" "$COOKIE_HEX"
wait_stream_or_say a; ok $? "a. a playback stream reaches the laptop's sound server"
sound_record 3 "$D/a.wav"
check "a. the laptop's null sink carries the 440 Hz tone" sound_tone_ok "$D/a.wav"
check "a. the person is told where the sound goes" \
    grep -q "sound: PulseAudio .* through the tunnel on port $PORT" "$D/a.err"
check "a. the record channel went through" sound_tone_channel record
end_gateway
check "a. start record: audio endpoint" \
    [ "$(record_field start 'r["audio"]')" = "tcp:127.0.0.1:$PORT" ]
check "a. start record: authenticated" [ "$(record_field start 'r["audio_authenticated"]')" = True ]
check "a. start record: the microphone (asked for, allowed)" \
    [ "$(record_field start 'r["microphone"]')" = True ]
check "a. start record: the server the probe found" \
    grep -q '^PulseAudio 16' <<<"$(record_field start 'r["audio_server"]')"
check "a. end record: playback bytes from the VM" \
    [ "$(record_field end 'r["channels"]["playback"]["from_vm"]')" -gt 10000 ]
check "a. end record: a per-second playback series" \
    [ "$(record_field end 'sum(r["series"]["channels"]["playback"])')" -gt 10000 ]
check "a. the cookie is gone with the session dir" \
    [ -z "$(find "$D/run" -name 'pulse-cookie' 2>/dev/null)" ]

# ---- b. port on stdin ----
run_gateway b "tone --pulse=tcp:stdin --pulse-cookie=stdin" "$PORT" "$COOKIE_HEX"
wait_stream_or_say b; ok $? "b. --pulse=tcp:stdin: a playback stream reaches the laptop"
sound_record 2 "$D/b.wav"
check "b. the tone plays" sound_tone_ok "$D/b.wav"
end_gateway
check "b. start record: the port from stdin" \
    [ "$(record_field start 'r["audio"]')" = "tcp:127.0.0.1:$PORT" ]

# ---- c. microphone = deny, c2. not asked for ----
no_record_channel() { # no_record_channel TAG REQUEST: the session sees no record channel
    local tag=$1
    MARK=$(wc -l < "$SOUND_TONE_OUT")
    run_gateway "$tag" "$2" "$COOKIE_HEX"
    wait_stream_or_say "$tag"; ok $? "$tag. playback still reaches the laptop"
    sound_record 2 "$D/$tag.wav"
    check "$tag. the tone plays" sound_tone_ok "$D/$tag.wav"
    check "$tag. the Spice server never saw a record channel" \
        bash -c "! grep -q '^channel record connected$' <<<\"\$(tail -n +$((MARK + 1)) '$SOUND_TONE_OUT')\""
    end_gateway
    check "$tag. start record: no microphone" [ "$(record_field start 'r["microphone"]')" = False ]
    check "$tag. end record: the refused connection is counted" \
        [ "$(record_field end 'r["rejected_connections"]')" -ge 1 ]
}
no_record_channel c2 "tone --pulse=tcp:$PORT --pulse-cookie=stdin"
MARK=$(wc -l < "$SOUND_TONE_OUT")
run_gateway c "tonedeny --pulse=tcp:$PORT --pulse-cookie=stdin --microphone" "$COOKIE_HEX"
wait_stream_or_say c; ok $? "c. microphone = deny: playback still reaches the laptop"
sound_record 2 "$D/c.wav"
check "c. the tone plays" sound_tone_ok "$D/c.wav"
since_mark() { tail -n "+$((MARK + 1))" "$SOUND_TONE_OUT"; }
check "c. the Spice server never saw a record channel" \
    bash -c "! grep -q '^channel record connected$' <<<\"\$(tail -n +$((MARK + 1)) '$SOUND_TONE_OUT')\""
check "c. but it saw playback" grep -q '^channel playback connected$' <<<"$(since_mark)"
end_gateway
check "c. end record: no record channel bytes" \
    [ "$(record_field end '"record" in r["channels"]')" = False ]
check "c. end record: the refused connection is counted" \
    [ "$(record_field end 'r["rejected_connections"]')" -ge 1 ]

# ---- d. wrong cookie ----
run_gateway d "tone --pulse=tcp:$PORT --pulse-cookie=stdin" "$WRONG_HEX"
for _ in $(seq 100); do grep -q 'opening tone' "$D/d.err" && break; sleep 0.1; done
sleep 2
check "d. wrong cookie: the person reads why there is no sound" \
    grep -q 'no sound: .*access denied' "$D/d.err"
check "d. ... and the console still opens" pid_alive "$GW_PID"
check "d. nothing plays on the laptop" bash -c "! env $(sound_env) pactl list short sink-inputs | grep -q ."
end_gateway
check "d. start record: audio_error says access denied" \
    grep -q 'access denied' <<<"$(record_field start 'r.get("audio_error", "")')"

# ---- e. no cookie, anonymous endpoint ----
run_gateway e "tone --pulse=tcp:$APORT"
wait_stream_or_say e; ok $? "e. without a cookie: the tone still plays"
check "e. the person is warned the tunnel is unauthenticated" grep -q 'has no cookie' "$D/e.err"
end_gateway
check "e. start record: not authenticated" \
    [ "$(record_field start 'r["audio_authenticated"]')" = False ]

# ---- f. a bad cookie line ----
run_gateway f "tone --pulse=tcp:$PORT --pulse-cookie=stdin" "not-hex"
for _ in $(seq 100); do grep -q 'opening tone' "$D/f.err" && break; sleep 0.1; done
sleep 1
check "f. a bad cookie line: no sound, said" grep -q 'no sound:' "$D/f.err"
check "f. ... the session goes on" pid_alive "$GW_PID"
end_gateway

# ---- g. a viewer that fails at once ----
printf '#!/bin/sh\necho "cannot open display: it broke" >&2\nexit 3\n' > "$D/broken-viewer"
chmod 0755 "$D/broken-viewer"
sed "s|^log = |viewer = $D/broken-viewer\nlog = |" "$D/gateway.conf" > "$D/broken.conf"
CONF=$D/broken.conf run_gateway g "tone"
for _ in $(seq 100); do pid_alive "$GW_PID" || break; sleep 0.1; done
check "g. the gateway ends when the viewer fails" bash -c "! kill -0 $GW_PID 2>/dev/null"
GW_PID=""
check "g. end record: the viewer's exit status" [ "$(record_field end 'r["viewer_exit"]')" = 3 ]
check "g. end record: the viewer's last output" \
    grep -q 'cannot open display: it broke' <<<"$(record_field end 'r.get("viewer_log", "")')"

check "every start has an end" \
    [ "$(grep -c '"event":"start"' "$LOG")" = "$(grep -c '"event":"end"' "$LOG")" ]
finish
