#!/bin/bash
# The VM's sound on the laptop's speakers, end to end: the laptop launcher
# `vmconsole` (a private cookie endpoint on the laptop's PulseAudio, ssh -X
# with a dynamic reverse forward, port and cookie over ssh's stdin), a real
# sshd with the gateway as the key's forced command, remote-viewer on the
# "host", and a Spice "VM" that plays a 440 Hz tone (spice-tone-server). The
# laptop is an Xvfb and a throwaway PulseAudio with a null sink whose monitor
# we record.
#
#   0. --help, --version, usage errors (exit 2), no DISPLAY with --x11 (exit 7)
#   1. vmconsole opens the VM: the tone recorded on the laptop is ~440 Hz and
#      not silent; the start record names the endpoint and says authenticated;
#      the person sees the progress lines, not ssh's "Allocated port" line;
#      the X11 forward is untrusted (ssh runs with ForwardX11Trusted=no) and
#      the window still appears
#   2. meanwhile a process of another user on the host connecting to the
#      tunnelled port without the cookie is refused (with it: served)
#   3. Ctrl-C (SIGINT) to vmconsole: exit 130, the laptop's server has no extra
#      module, the cookie dir is gone, no child left, the session ends
#   4. the gateway refuses (VM not permitted): its message is shown, exit 3,
#      the laptop is clean
#   5. no sound server on the laptop: "no sound: ...", the console still opens
#   6. the plain-ssh way (ssh -X -R PORT:localhost:LP ... 'VM --pulse=tcp:PORT'
#      with an anonymous TCP module on the laptop): the tone arrives
#   7. --remote-port N (a key with a fixed permitlisten): the tone arrives; the
#      person's ControlMaster options do not multiplex the session; it ends
#      when the viewer window closes: exit 0, the laptop is clean
#   8. a key without permitlisten: ssh refuses the forward, vmconsole says why,
#      exit 255, the laptop is clean
#   9. ssh killed under vmconsole: exit 255, "ssh failed", the laptop is clean;
#      that run asks for --trusted-x11: its ssh runs with ForwardX11Trusted=yes
#  10. --list: the VMs, no sound endpoint
#  10b. --microphone (the VM allows it): the VM's record channel comes up and
#      gets the laptop's sound; without it (case 1) the channel never did
#  11. the laptop runs PipeWire: sound works, the person is told that
#      vmconsole checks the cookie in front of it, nothing is left afterwards
#
# Usage: test-sound.sh GATEWAY VMCONSOLE SPICE-TONE-SERVER  (TAP; root, else exit 77)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/sshd-lib.sh"
. "$HERE/sound-lib.sh"
need_root
GW=$(realpath "$1")
VMC=$(realpath "$2")
TONE=$(realpath "$3")

for prog in remote-viewer Xvfb /usr/sbin/sshd ssh ssh-keygen xauth setfacl python3 xwininfo \
            xkill pulseaudio pactl parec sox runuser; do
    if ! command -v "$prog" >/dev/null; then
        echo "1..0 # SKIP $prog is not installed (scripts/install-deps installs it)"
        exit 77
    fi
done

P=$(vmc_prefix a)
VMC_T_DIR=$(mktemp -d /tmp/vmc-sound-XXXXXX)
chmod 0755 "$VMC_T_DIR"
D=$VMC_T_DIR
BG_PIDS=""

cleanup() {
    local p
    for p in $BG_PIDS; do pid_alive "$p" && kill -TERM "$p" 2>/dev/null; done
    for p in $BG_PIDS; do wait "$p" 2>/dev/null; done
    sshd_cleanup
    sound_cleanup
    stop_all_xvfb 2>/dev/null
    cleanup_common
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

ACCOUNT=${P}gw ALICE=${P}al BOB=${P}bo SPICEX=${P}sx
TITLE="Tone test VM"
# The viewer's window. remote-viewer titles it with the guest name, which the
# gateway's relay sets to the VM's title; but with no display channel (the
# stand-in VM plays sound only) remote-viewer never applies a guest name and
# keeps its fallback, the URI (checked by hand: the same without the relay).
# The title itself is tested with QEMU (test-session-limits.sh case t).
WINDOW="^($TITLE|spice\\+unix:///run/vmconsole/spice\\.sock)"
CONF=$D/gateway.conf
LOG=$D/log/sessions.jsonl
RUN=$D/run
LRUN=$D/lrun          # the laptop person's XDG_RUNTIME_DIR (the endpoint's cookie dir goes here)

# ---- helpers ----

diag() { # diag TAG
    {
        echo "--- $1: vmconsole's stderr"
        cat "$D/$1.err" 2>/dev/null
        echo "--- $1: exit $(cat "$D/$1.rc" 2>/dev/null)"
        echo "--- sshd log (tail)"
        sshd_log_tail 10
        for f in "$RUN"/session-*/viewer.log; do [ -e "$f" ] && tail -n 10 "$f"; done
        echo "--- laptop modules"
        sound_pactl list modules short 2>&1
        echo "--- the tone server (pid $SOUND_TONE_PID): $(pid_alive "$SOUND_TONE_PID" &&
              echo running || echo gone)"
        tail -n 5 "$SOUND_TONE_SOCKET.err" "$SOUND_TONE_OUT" 2>/dev/null
        echo "--- last records"
        tail -n 2 "$LOG" 2>/dev/null
    } | sed 's/^/# /'
}
checkd() { # checkd TAG DESCRIPTION COMMAND...
    local tag=$1 desc=$2; shift 2
    if "$@"; then ok 0 "$desc"; else ok 1 "$desc"; diag "$tag"; fi
}
wait_until() { # wait_until TENTHS COMMAND...
    local n=$1; shift
    for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
    "$@"
}
gone() { ! pid_alive "$1"; }

# JSON Lines queries on the session log.
jl() { # jl PYTHON-EXPRESSION
    python3 -c '
import json, sys
R = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
def rec(event, session):
    m = [r for r in R if r.get("event") == event and r.get("session") == session]
    return m[-1] if m else {}
print(eval(sys.argv[2]))' "$LOG" "$1"
}
last_start() { jl "([r['session'] for r in R if r['event']=='start'] or [''])[-1]"; }
field() { jl "rec('$1', '$2').get('$3', '')"; } # field EVENT SESSION KEY
has_end() { [ -n "$(field end "$1" reason)" ]; }

# The laptop's modules, without the index column.
modules() { sound_pactl list modules short | cut -f2- | sort; }
laptop_clean() { # the server's modules are the baseline, no cookie dir is left
    [ "$(modules)" = "$BASELINE" ] && [ -z "$(ls -A "$LRUN")" ]
}
# The live processes whose command line mentions WORD (a key path).
procs_with() { # procs_with WORD
    local p
    for p in $(pgrep -f -- "$1"); do pid_alive "$p" && echo "$p"; done
}

# TRUE when the text on stdin is in some process's command line (the text
# comes on stdin so that this check's own command line does not hold it).
in_some_cmdline() {
    python3 -c '
import glob, sys
text = sys.stdin.read().strip().encode()
for f in glob.glob("/proc/[0-9]*/cmdline"):
    try:
        if text in open(f, "rb").read():
            sys.exit(0)
    except OSError:
        pass
sys.exit(1)'
}

# vmconsole in the background as the laptop person, against the laptop's
# sound server (SERVER given: that instead). Sets LPID (vmconsole's own pid).
no_account_procs() { [ -z "$(live_pids_of "$ACCOUNT")" ]; }
launch() { # launch TAG KEY REQUEST-WORDS...
    local tag=$1 key=$2; shift 2
    rm -f "$D/$tag.rc"
    # One session at a time: the previous connection's gateway and viewer
    # are gone before the next starts (its checks count the account's processes).
    wait_until 100 no_account_procs || echo "# processes of $ACCOUNT still running"
    # shellcheck disable=SC2046 # sound_env's words are split on purpose
    env -i PATH="$PATH" HOME="$D/lhome" USER=root LOGNAME=root LANG=C.UTF-8 \
        DISPLAY="$LAPTOP" XAUTHORITY="$D/laptop.xauth" XDG_RUNTIME_DIR="$LRUN" \
        $(sound_env) ${SERVER:+PULSE_SERVER=$SERVER} \
        "$VMC" -i "$D/keys/$key" -p "$VMC_SSHD_PORT" -o BatchMode=yes \
        -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes \
        "$@" </dev/null >"$D/$tag.out" 2>"$D/$tag.err" &
    LPID=$!
    BG_PIDS="$BG_PIDS $LPID"
}
# Wait for vmconsole LPID to end (bounded); its exit status in $D/TAG.rc and RC.
reap() { # reap TAG [TENTHS]
    local i st
    RC=""
    for i in $(seq "${2:-300}"); do gone "$LPID" && break; sleep 0.1; done
    if pid_alive "$LPID"; then
        RC=timeout
        kill -KILL "$LPID" 2>/dev/null
    fi
    wait "$LPID" 2>/dev/null
    st=$?
    [ "$RC" = timeout ] || RC=$st
    echo "$RC" > "$D/$1.rc"
    BG_PIDS=$(vmc_words_without "$LPID" "$BG_PIDS")
}
# vmconsole's children (ssh), one pid a line.
children_of() { cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | sed '/^$/d'; }
# TRUE when the command line of vmconsole LPID's ssh child holds WORDS (space
# separated, consecutive, "-o" words left out), e.g. "-X ForwardX11Trusted=no".
ssh_cmdline_has() { # ssh_cmdline_has LPID WORDS
    local k
    for k in $(children_of "$1"); do
        tr '\0' '\n' < "/proc/$k/cmdline" 2>/dev/null | grep -vx -- -o | tr '\n' ' ' |
            grep -qF -- " $2 " && return 0
    done
    return 1
}

record_tone() { # record_tone TAG: the tone arrives on the laptop's null sink
    sound_wait_stream 300 && sleep 1 && sound_record 3 "$D/$1.wav" && sound_tone_ok "$D/$1.wav"
}
gateway_pid() { sed -n 's/^pid=//p' "$RUN/debianx.lock" 2>/dev/null; }

# ---- setup: people, account, the "VM", the laptop (X, PulseAudio), sshd ----

add_group "$SPICEX" && add_user "$ALICE" "$SPICEX" && add_user "$BOB" || exit 1
sshd_add_account "$ACCOUNT" && gateway_prepare_dirs || exit 1
install -d -m 0755 "$D/spicex"
install -d -m 0700 "$D/lhome" "$LRUN"

cat > "$CONF" <<EOF
[gateway]
socket-pattern = $D/spicex/%s.sock
viewer = /usr/bin/remote-viewer
log = $LOG
run-dir = $RUN

[vm debianx]
title = $TITLE
acl = group:$SPICEX:rw
microphone = allow
EOF
chmod 0644 "$CONF"

# libspice-server writes to client sockets without MSG_NOSIGNAL: like QEMU, its
# process must ignore SIGPIPE, else a viewer that goes away abruptly (case 3)
# kills the "VM". Ignored signals are inherited.
trap '' PIPE
sound_start_tone "$TONE" "$D/spicex/debianx.sock" --freq 440 || exit 1
trap - PIPE
setfacl -m "u:$ACCOUNT:rw,g:$SPICEX:rw" "$D/spicex/debianx.sock" || exit 1

start_xvfb laptop || exit 1
LAPTOP=$XVFB_DISPLAY
: > "$D/laptop.xauth"
sound_start_pulse "$D/lpulse" || exit 1
BASELINE=$(modules)
PA_VERSION=$(sound_pactl info | sed -n 's/^Server Version: //p')

sshd_start || exit 1
GW=$(install_gateway "$GW" "$D") || exit 1
DYN='port-forwarding,permitlisten="localhost:*"'
FIXED_PORT=$(free_port)
sshd_add_key alice "$GW --config $CONF --identity $ALICE" "$DYN" &&
sshd_add_key bob "$GW --config $CONF --identity $BOB" "$DYN" &&
sshd_add_key fixed "$GW --config $CONF --identity $ALICE" \
    "port-forwarding,permitlisten=\"localhost:$FIXED_PORT\"" &&
sshd_add_key nofwd "$GW --config $CONF --identity $ALICE" || exit 1
echo "# sshd on 127.0.0.1:$VMC_SSHD_PORT, laptop display $LAPTOP, laptop PulseAudio $PA_VERSION"

# ---- 0. the command line ----
echo "# case 0: help, version, usage errors, no X display"
"$VMC" --help >"$D/c0.out" 2>&1
rc=$?
checkd c0 "0: --help exits 0 (got $rc) with the usage" \
    eval '[ $rc = 0 ] && grep -q "^Usage: vmconsole" "$D/c0.out"'
checkd c0 "0: --version" eval '"$VMC" --version | grep -q "^vmconsole [0-9]"'
"$VMC" -- -oProxyCommand=x debianx >"$D/c0.out" 2>"$D/c0.err"
rc=$?
checkd c0 "0: a host that ssh would take for an option: exit 2 (got $rc), said why" \
    eval '[ $rc = 2 ] && grep -q "does not start with" "$D/c0.err"'
# shellcheck disable=SC2046 # sound_env's words are split on purpose
env -u DISPLAY $(sound_env) XDG_RUNTIME_DIR="$LRUN" "$VMC" --x11 "$ACCOUNT@127.0.0.1" debianx \
    >"$D/c0.out" 2>"$D/c0.err"
rc=$?
checkd c0 "0: no DISPLAY: exit 7 (got $rc), told so, no endpoint loaded" \
    eval '[ $rc = 7 ] && grep -q "DISPLAY is not set" "$D/c0.err" && laptop_clean'

# ---- 1. vmconsole opens the VM, the tone arrives ----
echo "# case 1: vmconsole opens debianx with sound"
launch c1 alice "$ACCOUNT@127.0.0.1" debianx
checkd c1 "1: the viewer window appears on the laptop" wait_for_window "$LAPTOP" "$WINDOW" 60
checkd c1 "1: the launcher's ssh forwards X11 untrusted (-X -o ForwardX11Trusted=no)" \
    eval 'ssh_cmdline_has "$LPID" "-X ForwardX11Trusted=no"'
checkd c1 "1: the 440 Hz tone arrives on the laptop's null sink, not silent" record_tone c1
S1=$(last_start)
AUDIO=$(field start "$S1" audio)
PORT=${AUDIO##*:}
checkd c1 "1: the start record names the tunnel endpoint ($AUDIO)" \
    eval '[[ "$AUDIO" =~ ^tcp:127\.0\.0\.1:[0-9]+$ ]]'
checkd c1 "1: the start record says authenticated ($(field start "$S1" audio_authenticated))" \
    [ "$(field start "$S1" audio_authenticated)" = True ]
checkd c1 "1: the start record names the laptop's server" \
    grep -q "PulseAudio" <<<"$(field start "$S1" audio_server)"
checkd c1 "1: progress: connecting" \
    grep -q "^vmconsole: connecting to $ACCOUNT@127.0.0.1" "$D/c1.err"
checkd c1 "1: progress: sound via the laptop's PulseAudio $PA_VERSION" \
    grep -q "^vmconsole: sound: laptop PulseAudio $PA_VERSION via tunnel$" "$D/c1.err"
checkd c1 "1: progress: opening debianx" grep -q "^vmconsole: opening debianx" "$D/c1.err"
checkd c1 "1: ssh's 'Allocated port' line is not shown" \
    eval '! grep -q "Allocated port" "$D/c1.err"'
checkd c1 "1: no module loaded on the laptop: the guard relays to the server's own socket" \
    eval '[ "$(modules)" = "$BASELINE" ]'

# ---- 2. another user on the host, without the cookie ----
echo "# case 2: a foreign process on the host connects to the tunnelled port $PORT"
FOREIGN_HOME=$(mktemp -d "$D/foreign.XXXXXX")
chown "$BOB" "$FOREIGN_HOME"
# bob's pactl on the tunnelled port without the cookie, then the session's
# cookie on the same port (so the refusal is the cookie's). Sets COOKIE.
stranger_checks() { # stranger_checks TAG PREFIX PORT
    local tag=$1 prefix=$2 port=$3 out rc
    out=$(runuser -u "$BOB" -- env -i HOME="$FOREIGN_HOME" PATH=/usr/bin:/bin \
          PULSE_SERVER="tcp:127.0.0.1:$port" timeout 20 pactl info 2>&1)
    rc=$?
    echo "# foreign pactl on port $port: exit $rc: $(head -c 200 <<<"$out" | tr '\n' ' ')"
    checkd "$tag" "$prefix: another user on the host without the cookie is refused (access denied)" \
        eval '[ "$rc" != 0 ] && grep -qi "access denied" <<<"$out"'
    COOKIE=$(ls "$RUN"/session-*/pulse-cookie 2>/dev/null | head -1)
    checkd "$tag" "$prefix: with the session's cookie the same port serves" \
        eval 'env -i HOME="$FOREIGN_HOME" PATH=/usr/bin:/bin PULSE_SERVER="tcp:127.0.0.1:$port" \
              PULSE_COOKIE="$COOKIE" timeout 20 pactl info >/dev/null 2>&1'
}
stranger_checks c1 2 "$PORT"

HEX=$(od -An -tx1 -v "$COOKIE" 2>/dev/null | tr -d ' \n')
checkd c1 "2: the gateway got the cookie (${#HEX} hex digits), and no command line holds it" \
    eval '[ "${#HEX}" = 512 ] && in_some_cmdline <<<"$VMC_SSHD_DIR/sshd_config" &&
          ! in_some_cmdline <<<"$HEX"'

# ---- 3. Ctrl-C ----
echo "# case 3: SIGINT to vmconsole"
KIDS=$(children_of "$LPID")
GWPID=$(gateway_pid)
echo "# vmconsole $LPID, its children: $KIDS; gateway $GWPID"
checkd c1 "3: vmconsole has its ssh child" [ -n "$KIDS" ]
kill -INT "$LPID"
reap c1
checkd c1 "3: vmconsole exits 130 after SIGINT (got $RC)" [ "$RC" = 130 ]
checkd c1 "3: the laptop's server has no extra module, the cookie dir is gone" laptop_clean
left=""
for k in $KIDS; do pid_alive "$k" && left="$left $k"; done
checkd c1 "3: no child of vmconsole left${left:+ (left:$left)}" [ -z "$left" ]
checkd c1 "3: the session on the host ends" wait_until 200 gone "$GWPID"
checkd c1 "3: the end record is written" wait_until 100 has_end "$S1"
checkd c1 "3: the person is told it stopped" grep -q "^vmconsole: stopped by signal 2" "$D/c1.err"

# ---- 4. the gateway refuses ----
echo "# case 4: bob may not open debianx"
launch c4 bob "$ACCOUNT@127.0.0.1" debianx
reap c4
checkd c4 "4: exit 3 (got $RC)" [ "$RC" = 3 ]
checkd c4 "4: the gateway's message is shown" grep -q "not a VM you may open" "$D/c4.err"
checkd c4 "4: vmconsole says the gateway ended with exit 3" \
    grep -q "^vmconsole: the host's gateway ended with exit status 3" "$D/c4.err"
checkd c4 "4: the laptop's server has no extra module, the cookie dir is gone" laptop_clean
checkd c4 "4: no ssh left" eval '[ -z "$(procs_with "$D/keys/bob")" ]'

# ---- 5. no sound server on the laptop ----
echo "# case 5: no sound server on the laptop"
SERVER=unix:$D/no-such-server launch c5 alice "$ACCOUNT@127.0.0.1" debianx
checkd c5 "5: the viewer window appears anyway" wait_for_window "$LAPTOP" "$WINDOW" 60
checkd c5 "5: the person is told: no sound" grep -q "^vmconsole: no sound: " "$D/c5.err"
S5=$(last_start)
checkd c5 "5: the start record says audio off ($(field start "$S5" audio))" \
    [ "$(field start "$S5" audio)" = off ]
GWPID=$(gateway_pid)
kill -TERM "$LPID"
reap c5
checkd c5 "5: vmconsole exits 143 after SIGTERM (got $RC)" [ "$RC" = 143 ]
checkd c5 "5: the session on the host ends" wait_until 200 gone "$GWPID"
checkd c5 "5: the laptop is clean" laptop_clean

# ---- 6. the plain-ssh way ----
echo "# case 6: ssh -X -R PORT:localhost:LP with an anonymous TCP module on the laptop"
LP=$(free_port)
HP=$(free_port)
MOD=$(sound_pactl load-module module-native-protocol-tcp listen=127.0.0.1 port="$LP" \
      auth-anonymous=1)
( DISPLAY=$LAPTOP XAUTHORITY=$D/laptop.xauth ssh_as alice -o ExitOnForwardFailure=yes \
      -R "$HP:localhost:$LP" -- "debianx --pulse=tcp:$HP" </dev/null >"$D/c6.out" 2>"$D/c6.err"
  echo $? > "$D/c6.rc" ) &
C6=$!
BG_PIDS="$BG_PIDS $C6"
checkd c6 "6: the viewer window appears" wait_for_window "$LAPTOP" "$WINDOW" 60
checkd c6 "6: the 440 Hz tone arrives through the plain ssh tunnel" record_tone c6
S6=$(last_start)
checkd c6 "6: the start record: tcp:127.0.0.1:$HP, not authenticated" \
    eval '[ "$(field start "$S6" audio)" = "tcp:127.0.0.1:$HP" ] &&
          [ "$(field start "$S6" audio_authenticated)" = False ]'
GWPID=$(gateway_pid)
ssh_bg_end "$C6"
BG_PIDS=$(vmc_words_without "$C6" "$BG_PIDS")
checkd c6 "6: the session ends when ssh goes" wait_until 200 gone "$GWPID"
sound_pactl unload-module "$MOD"

# ---- 7. --remote-port, and a session that ends by itself ----
echo "# case 7: --remote-port $FIXED_PORT with a key limited to it; the window is closed"
# the person's own ControlMaster options pass through, but the session keeps a
# connection of its own (vmconsole's ControlPath=none comes first and wins)
launch c7 fixed --remote-port "$FIXED_PORT" -o ControlMaster=auto -o "ControlPath=$D/cm-%C" \
    -o ControlPersist=60 "$ACCOUNT@127.0.0.1" debianx
checkd c7 "7: the viewer window appears" wait_for_window "$LAPTOP" "$WINDOW" 60
checkd c7 "7: the tone arrives" record_tone c7
S7=$(last_start)
checkd c7 "7: the start record: tcp:127.0.0.1:$FIXED_PORT, authenticated" \
    eval '[ "$(field start "$S7" audio)" = "tcp:127.0.0.1:$FIXED_PORT" ] &&
          [ "$(field start "$S7" audio_authenticated)" = True ]'
DISPLAY=$LAPTOP XAUTHORITY=$D/laptop.xauth xkill -id "$(window_id "$LAPTOP" "$WINDOW")" >/dev/null
reap c7
checkd c7 "7: vmconsole exits 0 when the viewer is closed (got $RC)" [ "$RC" = 0 ]
checkd c7 "7: the laptop is clean" laptop_clean
checkd c7 "7: no ControlMaster socket was made" eval '[ -z "$(ls "$D"/cm-* 2>/dev/null)" ]'
checkd c7 "7: the end record: viewer-exit ($(field end "$S7" reason))" \
    [ "$(field end "$S7" reason)" = viewer-exit ]

# ---- 8. a key that allows no forward ----
echo "# case 8: a key without port-forwarding"
launch c8 nofwd "$ACCOUNT@127.0.0.1" debianx
reap c8
checkd c8 "8: exit 255 (got $RC)" [ "$RC" = 255 ]
checkd c8 "8: ssh failed, and why" \
    eval 'grep -q "^vmconsole: ssh failed (exit status 255)" "$D/c8.err" &&
          grep -q "permitlisten=\"localhost:\*\"" "$D/c8.err"'
checkd c8 "8: the laptop is clean" laptop_clean
checkd c8 "8: no ssh left" eval '[ -z "$(procs_with "$D/keys/nofwd")" ]'

# ---- 9. ssh dies ----
echo "# case 9: vmconsole's ssh is killed"
launch c9 alice --trusted-x11 "$ACCOUNT@127.0.0.1" debianx
checkd c9 "9: the viewer window appears" wait_for_window "$LAPTOP" "$WINDOW" 60
checkd c9 "9: --trusted-x11: ssh forwards X11 trusted (-X -o ForwardX11Trusted=yes)" \
    eval 'ssh_cmdline_has "$LPID" "-X ForwardX11Trusted=yes"'
KIDS=$(children_of "$LPID")
GWPID=$(gateway_pid)
kill -KILL $KIDS
reap c9
checkd c9 "9: exit 255 when ssh is killed (got $RC)" [ "$RC" = 255 ]
checkd c9 "9: told ssh failed" grep -q "^vmconsole: ssh failed: killed by signal 9" "$D/c9.err"
checkd c9 "9: the laptop is clean" laptop_clean
checkd c9 "9: the session on the host ends" wait_until 200 gone "$GWPID"

# ---- 9b. vmconsole itself is killed outright: the next run cleans up ----
echo "# case 9b: vmconsole is killed with SIGKILL"
launch c9b alice "$ACCOUNT@127.0.0.1" debianx
checkd c9b "9b: the viewer window appears" wait_for_window "$LAPTOP" "$WINDOW" 60
KILLED=$LPID
KIDS=$(children_of "$KILLED")
GWPID=$(gateway_pid)
kill -KILL "$KILLED"; wait "$KILLED" 2>/dev/null
# its ssh lives on, orphaned: end it as the person would (closing the terminal)
for k in $KIDS; do kill -TERM "$k" 2>/dev/null; done
checkd c9b "9b: the session on the host ends" wait_until 200 gone "$GWPID"
checkd c9b "9b: SIGKILL leaves the endpoint's cookie dir on the laptop (nothing in-process can help)" \
    eval '! laptop_clean'
launch c9c bob "$ACCOUNT@127.0.0.1" debianx   # the next run, whatever it is
reap c9c
sed 's/^/# /' "$D/c9c.err"
checkd c9c "9b: the next run removes what the killed one left, and says so" \
    grep -q "^vmconsole: sound: removed the cookie of a sound endpoint left by an earlier run (pid $KILLED, gone)" "$D/c9c.err"
checkd c9c "9b: after it the laptop is clean" laptop_clean

# ---- 10. --list ----
echo "# case 10: vmconsole HOST --list"
launch c10 alice "$ACCOUNT@127.0.0.1" --list
reap c10
checkd c10 "10: --list exits 0 (got $RC) and shows debianx" \
    eval '[ "$RC" = 0 ] && grep -q "^debianx" "$D/c10.out"'
checkd c10 "10: --list opens no sound endpoint" laptop_clean

# ---- 10b. the microphone, asked for ----
echo "# case 10b: vmconsole --microphone"
check "1: without --microphone the VM never got a record channel (case 1 and the others)" \
    eval '! sound_tone_channel record'
MARK=$(wc -l < "$SOUND_TONE_OUT")
record_frames_since_mark() {
    tail -n "+$((MARK + 1))" "$SOUND_TONE_OUT" | grep -q '^channel record connected$' &&
        [ "$(sound_tone_frames record)" -gt 0 ]
}
launch c10b alice --microphone "$ACCOUNT@127.0.0.1" debianx
checkd c10b "10b: the viewer window appears" wait_for_window "$LAPTOP" "$WINDOW" 60
checkd c10b "10b: the person is told the microphone is on" \
    grep -q "^vmconsole: sound: laptop PulseAudio .* via tunnel, with the microphone$" "$D/c10b.err"
checkd c10b "10b: the VM's record channel comes up and gets the laptop's sound" \
    wait_until 200 record_frames_since_mark
S10=$(last_start)
checkd c10b "10b: the start record says microphone ($(field start "$S10" microphone))" \
    [ "$(field start "$S10" microphone)" = True ]
GWPID=$(gateway_pid)
kill -TERM "$LPID"
reap c10b
checkd c10b "10b: the session ends, the laptop is clean" \
    eval 'wait_until 200 gone "$GWPID" && laptop_clean'

# ---- 11. PipeWire's pulse server: works; vmconsole checks the cookie in front of it ----
echo "# case 11: the laptop runs PipeWire"
sound_stop_pulse
if sound_start_pipewire "$D/lpw"; then
    BASELINE=$(modules)
    launch c11 alice "$ACCOUNT@127.0.0.1" debianx
    checkd c11 "11: the viewer window appears" wait_for_window "$LAPTOP" "$WINDOW" 60
    checkd c11 "11: the person is told vmconsole checks the cookie PipeWire cannot" \
        grep -q "^vmconsole: sound: laptop PipeWire .* via tunnel (it cannot check a cookie: vmconsole checks it" \
        "$D/c11.err"
    checkd c11 "11: no warning about an unauthenticated tunnel" \
        eval '! grep -qi "not authenticated\|no cookie" "$D/c11.err"'
    S11=$(last_start)
    checkd c11 "11: the record says authenticated" \
        eval '[ "$(field start "$S11" audio_authenticated)" = True ] &&
              [[ "$(field start "$S11" audio)" =~ ^tcp:127\.0\.0\.1:[0-9]+$ ]]'
    checkd c11 "11: the playback stream reaches PipeWire" sound_wait_stream 300
    checkd c11 "11: no module was loaded into PipeWire (the guard uses its socket)" \
        eval '[ "$(modules)" = "$BASELINE" ]'
    PORT11=$(field start "$S11" audio); PORT11=${PORT11##*:}
    stranger_checks c11 11 "$PORT11"
    kill -TERM "$LPID"
    reap c11
    checkd c11 "11: exit 143 after SIGTERM (got $RC)" [ "$RC" = 143 ]
    checkd c11 "11: at the end the person is told the guard refused the stranger" \
        grep -q "^vmconsole: sound: refused [1-9][0-9]* connections\? to the tunnel without the session's cookie" \
        "$D/c11.err"
    checkd c11 "11: PipeWire has no extra module, the cookie dir is gone" laptop_clean
else
    ok 1 "11: PipeWire's pulse server starts (see above)"
fi

finish
