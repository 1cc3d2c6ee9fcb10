# sound-lib.sh — sound for the integration tests: a throwaway "laptop"
# PulseAudio with a null sink, recording its monitor, measuring a tone, and
# spice-tone-server (a Spice "VM" that plays a sine tone). Source it after
# lib.sh (bash; uses pid_alive and stop_pids). Call sound_cleanup from the
# test's EXIT trap, before cleanup_common removes $VMC_T_DIR.
#
# Every wait is bounded; on failure a function says what failed on stderr and
# returns 1. Paths must be short (Unix socket paths: < 108 bytes) and free of
# spaces; keep them under $VMC_T_DIR (mktemp -d /tmp/vmc-...).
#
#   sound_start_pulse DIR          a PulseAudio daemon for a "laptop" in DIR
#                                  (created; its HOME and XDG_RUNTIME_DIR).
#                                  Sets SOUND_PULSE_PID, SOUND_PULSE_SERVER
#                                  ("unix:DIR/native", anonymous access),
#                                  SOUND_PULSE_CLIENTCONF (a client.conf with
#                                  shm, memfd and autospawn off) and
#                                  SOUND_PULSE_DIR. Its default sink is the null
#                                  sink "nullsink"; record "nullsink.monitor".
#   sound_start_pipewire DIR       the same with PipeWire's pulse server
#                                  (pipewire, wireplumber, pipewire-pulse
#                                  under dbus-run-session); sets the same
#                                  variables (SOUND_PULSE_PID: dbus-run-session).
#                                  Its default sink is "auto_null". FALSE (and
#                                  the reason on stderr) when it cannot run here.
#   sound_env                      prints the NAME=VALUE words a client of that
#                                  daemon needs (PULSE_SERVER, PULSE_CLIENTCONFIG,
#                                  PULSE_COOKIE in DIR): `env $(sound_env) prog`
#   sound_pactl ARG...             pactl against that daemon (bounded: 20 s)
#   sound_wait_stream [TENTHS]     wait until the daemon has a playback stream
#                                  (a sink input), default 10 s
#   sound_record SECONDS WAV       record nullsink.monitor for SECONDS into WAV
#                                  (48000 Hz, stereo, s16le)
#   sound_measure WAV              prints "FREQ RMS" (sox on the left channel:
#                                  rough frequency in Hz, RMS amplitude 0..1);
#                                  a 0.5-amplitude 440 Hz sine reads ~440 0.35
#   sound_tone_ok WAV [HZ] [MIN-RMS]
#                                  TRUE when WAV holds a tone of HZ (default
#                                  440, within 5%) with RMS >= MIN-RMS (default
#                                  0.1); prints "# tone: FREQ Hz, RMS R" always
#   sound_silent WAV [MAX-RMS]     TRUE when WAV's RMS <= MAX-RMS (default 0.01)
#   sound_stop_pulse               SIGTERM the daemon, wait until it is gone
#   sound_start_tone TONE-EXE SOCKET [--freq HZ]
#                                  spice-tone-server on SOCKET; waits until it
#                                  listens. Sets SOUND_TONE_PID and
#                                  SOUND_TONE_OUT (its stdout: "channel NAME
#                                  connected", "playback: N frames",
#                                  "record: N frames" lines)
#   sound_tone_frames KIND         prints the last running total of KIND
#                                  ("playback" or "record") frames (0 if none)
#   sound_tone_channel NAME        TRUE when channel NAME has connected to the
#                                  tone server (e.g. "record")
#   sound_stop_tone                SIGTERM it; FALSE unless it exits and its
#                                  socket is gone
#   sound_cleanup                  stop everything started here

SOUND_PULSE_PID=""
SOUND_PULSE_SERVER=""
SOUND_PULSE_CLIENTCONF=""
SOUND_PULSE_DIR=""
SOUND_PULSE_KIND=""
SOUND_TONE_PID=""
SOUND_TONE_OUT=""
SOUND_TONE_SOCKET=""

sound_start_pulse() { # sound_start_pulse DIR
    local d=$1
    if [ -n "$SOUND_PULSE_PID" ] && pid_alive "$SOUND_PULSE_PID"; then
        echo "sound_start_pulse: a daemon is already running (pid $SOUND_PULSE_PID)" >&2
        return 1
    fi
    mkdir -p "$d/run" && chmod 0700 "$d" "$d/run" || return 1
    d=$(cd "$d" && pwd)
    cat > "$d/custom.pa" <<EOF
load-module module-null-sink sink_name=nullsink rate=48000
set-default-sink nullsink
set-default-source nullsink.monitor
load-module module-native-protocol-unix socket=$d/native auth-anonymous=1
EOF
    printf 'enable-shm = no\nenable-memfd = no\nautospawn = no\n' > "$d/client.conf"
    rm -f "$d/native"
    HOME=$d XDG_RUNTIME_DIR=$d/run PULSE_CLIENTCONFIG=$d/client.conf \
        pulseaudio --daemonize=no --exit-idle-time=-1 --use-pid-file=no -n -F "$d/custom.pa" \
        </dev/null >"$d/pulseaudio.log" 2>&1 &
    sound_wait_server pulseaudio "$d" "$d/native" "$d/pulseaudio.log"
}

# sound_wait_server KIND DIR SOCKET LOG: set the variables, wait for an answer.
sound_wait_server() {
    local d=$2
    SOUND_PULSE_PID=$!
    SOUND_PULSE_KIND=$1
    SOUND_PULSE_DIR=$d
    SOUND_PULSE_SERVER=unix:$3
    SOUND_PULSE_CLIENTCONF=$d/client.conf
    for _ in $(seq 100); do
        [ -S "$3" ] && sound_pactl info >/dev/null 2>&1 && return 0
        pid_alive "$SOUND_PULSE_PID" || break
        sleep 0.1
    done
    echo "sound_start_$1: the server (pid $SOUND_PULSE_PID) did not answer on $3:" >&2
    sed 's/^/  /' "$4" >&2
    return 1
}

sound_start_pipewire() { # sound_start_pipewire DIR
    local d=$1 prog
    for prog in dbus-run-session pipewire wireplumber pipewire-pulse; do
        command -v "$prog" >/dev/null ||
            { echo "sound_start_pipewire: $prog is not installed" >&2; return 1; }
    done
    if [ -n "$SOUND_PULSE_PID" ] && pid_alive "$SOUND_PULSE_PID"; then
        echo "sound_start_pipewire: a daemon is already running (pid $SOUND_PULSE_PID)" >&2
        return 1
    fi
    mkdir -p "$d/run" && chmod 0700 "$d" "$d/run" || return 1
    d=$(cd "$d" && pwd)
    printf 'enable-shm = no\nenable-memfd = no\nautospawn = no\n' > "$d/client.conf"
    # the inner shell ends the three daemons on SIGTERM; dbus-run-session
    # then ends its bus and exits
    # shellcheck disable=SC2016 # expanded by the inner shell
    HOME=$d XDG_RUNTIME_DIR=$d/run dbus-run-session -- bash -c '
        pipewire & a=$!; sleep 0.3
        wireplumber & b=$!; pipewire-pulse & c=$!
        echo $$ > "$1/pipewire.shell"
        trap "kill $a $b $c 2>/dev/null; wait; exit 0" TERM INT
        wait' sh "$d" </dev/null >"$d/pipewire.log" 2>&1 &
    sound_wait_server pipewire "$d" "$d/run/pulse/native" "$d/pipewire.log"
}

sound_env() {
    printf 'PULSE_SERVER=%s PULSE_CLIENTCONFIG=%s PULSE_COOKIE=%s\n' \
        "$SOUND_PULSE_SERVER" "$SOUND_PULSE_CLIENTCONF" "$SOUND_PULSE_DIR/client-cookie"
}

sound_pactl() { # sound_pactl ARG...
    # shellcheck disable=SC2046 # sound_env's words are split on purpose
    timeout 20 env $(sound_env) pactl "$@"
}

sound_wait_stream() { # sound_wait_stream [TENTHS]
    for _ in $(seq "${1:-100}"); do
        [ -n "$(sound_pactl list short sink-inputs 2>/dev/null)" ] && return 0
        sleep 0.1
    done
    echo "sound_wait_stream: no playback stream on $SOUND_PULSE_SERVER" >&2
    return 1
}

sound_record() { # sound_record SECONDS WAV
    local rc attempt samples
    # parec ends cleanly on SIGINT and finishes the WAV header. On a loaded
    # machine parec itself may take most of SECONDS to connect and capture
    # nothing (seen once in CI): a capture of under 0.5 s is taken again, up
    # to 3 times. What is captured is judged as it is (silence stays silence).
    for attempt in 1 2 3; do
        # shellcheck disable=SC2046
        timeout -s INT "$1" env $(sound_env) parec -d nullsink.monitor --rate=48000 \
            --channels=2 --format=s16le --file-format=wav "$2" 2>"$2.err"
        rc=$?
        if [ "$rc" != 0 ] && [ "$rc" != 124 ] || [ ! -s "$2" ]; then
            echo "sound_record: parec into $2 failed (exit $rc):" >&2
            sed 's/^/  /' "$2.err" >&2
            return 1
        fi
        samples=$(soxi -s "$2" 2>/dev/null || echo 0)
        [ "$samples" -ge 24000 ] && break
        echo "# sound_record: attempt $attempt captured only $samples samples; again" >&2
    done
    rm -f "$2.err"
}

sound_measure() { # sound_measure WAV
    local out freq rms
    if ! out=$(sox "$1" -n remix 1 stat 2>&1); then
        echo "sound_measure: sox cannot read $1:" >&2
        printf '%s\n' "$out" | sed 's/^/  /' >&2
        return 1
    fi
    freq=$(printf '%s\n' "$out" | sed -n 's/^Rough[[:space:]]*frequency:[[:space:]]*//p')
    rms=$(printf '%s\n' "$out" | sed -n 's/^RMS[[:space:]]*amplitude:[[:space:]]*//p')
    if [ -z "$freq" ] || [ -z "$rms" ]; then
        echo "sound_measure: no frequency/RMS in sox's output for $1" >&2
        return 1
    fi
    echo "$freq $rms"
}

sound_tone_ok() { # sound_tone_ok WAV [HZ] [MIN-RMS]
    local m
    m=$(sound_measure "$1") || return 1
    echo "# tone: ${m% *} Hz, RMS ${m#* }"
    awk -v f="${m% *}" -v r="${m#* }" -v hz="${2:-440}" -v min="${3:-0.1}" \
        'BEGIN { exit !(f >= hz * 0.95 && f <= hz * 1.05 && r >= min) }'
}

sound_silent() { # sound_silent WAV [MAX-RMS]
    local m
    m=$(sound_measure "$1") || return 1
    echo "# sound: ${m% *} Hz, RMS ${m#* }"
    awk -v r="${m#* }" -v max="${2:-0.01}" 'BEGIN { exit !(r <= max) }'
}

sound_stop_pulse() {
    local shell
    [ -n "$SOUND_PULSE_PID" ] || return 0
    if [ "$SOUND_PULSE_KIND" = pipewire ]; then
        # dbus-run-session ends its bus only when its child exits, not on
        # SIGTERM: end the child and let it finish
        shell=$(cat "$SOUND_PULSE_DIR/pipewire.shell" 2>/dev/null)
        [ -n "$shell" ] && kill -TERM "$shell" 2>/dev/null
        wait_gone 50 "$SOUND_PULSE_PID"
        rm -f "$SOUND_PULSE_DIR/pipewire.shell"
    fi
    stop_pids -t 50 "$SOUND_PULSE_PID" || return 1
    SOUND_PULSE_PID=""
}

sound_start_tone() { # sound_start_tone TONE-EXE SOCKET [--freq HZ]
    local exe=$1 sock=$2
    shift 2
    if [ -n "$SOUND_TONE_PID" ] && pid_alive "$SOUND_TONE_PID"; then
        echo "sound_start_tone: already running (pid $SOUND_TONE_PID)" >&2
        return 1
    fi
    SOUND_TONE_OUT=$sock.out
    SOUND_TONE_SOCKET=$sock
    "$exe" "$sock" "$@" </dev/null >"$SOUND_TONE_OUT" 2>"$sock.err" &
    SOUND_TONE_PID=$!
    for _ in $(seq 100); do
        grep -q '^listening on ' "$SOUND_TONE_OUT" 2>/dev/null && [ -S "$sock" ] && return 0
        pid_alive "$SOUND_TONE_PID" || break
        sleep 0.1
    done
    echo "sound_start_tone: $exe (pid $SOUND_TONE_PID) does not listen on $sock:" >&2
    sed 's/^/  /' "$sock.err" >&2
    return 1
}

sound_tone_frames() { # sound_tone_frames playback|record
    local n
    n=$(sed -n "s/^$1: \([0-9]*\) frames$/\1/p" "$SOUND_TONE_OUT" 2>/dev/null | tail -n 1)
    echo "${n:-0}"
}

sound_tone_channel() { # sound_tone_channel NAME
    grep -q "^channel $1 connected$" "$SOUND_TONE_OUT" 2>/dev/null
}

sound_stop_tone() {
    [ -n "$SOUND_TONE_PID" ] || return 0
    stop_pids -t 50 "$SOUND_TONE_PID" || return 1
    SOUND_TONE_PID=""
    if [ -e "$SOUND_TONE_SOCKET" ]; then
        echo "sound_stop_tone: $SOUND_TONE_SOCKET is still there" >&2
        return 1
    fi
}

sound_cleanup() {
    sound_stop_tone
    sound_stop_pulse
}
