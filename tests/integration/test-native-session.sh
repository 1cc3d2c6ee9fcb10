#!/bin/bash
# Native mode end to end: the laptop launcher `vmconsole --native` (libssh)
# against a real sshd whose key line forces the real gateway, QEMU's Spice
# server on the host, remote-viewer on the laptop's Xvfb. The launcher runs as
# a throwaway laptop person (libssh reads ~/.ssh from the passwd entry).
#
#   a. the window on the laptop shows the VM (QEMU's screendump found in the
#      screenshot); the progress lines; one start record, "mode": "native",
#      identity alice; every attach a channel of the one SSH connection
#   b. the person closes the window: exit 0; the host's summary shown; one
#      end record with per-channel bytes (main and display from the VM);
#      nothing left on either side
#   c. SIGTERM to the launcher: exit 143; the end record; nothing left
#   d. SIGKILL to the launcher: the viewer dies with it, the gateway ends
#      (the connection closed), the end record is written; nothing left on the
#      host, and the socket dir it could not remove goes with the next run
#   e. a VM alice may not open: the gateway's refusal shown, exit 3, no viewer
#   f. the gateway's refusal of a busy console: exit 5, its message shown
#   t. takeover: --takeover where takeover = deny: exit 5, "not allowed";
#      with takeover = allow a second launcher's --takeover ends the first
#      session: the first launcher shows the host's "taken over by" and
#      exits with the gateway's status (0, as in X11 mode), its viewer, its
#      socket dir and every gateway process of its session (the session's
#      and each attach channel's) are gone, also when the host ends slowly
#      (its end record's fsync delayed with strace) and the viewer notices
#      first; its end record says reason
#      takeover, taken_over_by the second session, whose start record says
#      takeover_of the first; the second window shows the VM; an `attach`
#      with the first session's token (read from an attach process's
#      SSH_ORIGINAL_COMMAND) is refused: exit 4, the one refusal text, a
#      denied record "no live native session"
#   x. mixed: an X11-mode session (vmconsole --x11, the viewer on the host)
#      taken over by a native one: the X11 launcher ends (its ssh exits 0),
#      the host's viewer is gone, end record reason takeover; the native
#      window shows the VM
#   s. sound: a Spice "VM" playing 440 Hz (spice-tone-server): the tone
#      reaches the laptop's own PulseAudio (the viewer's PULSE_* from the
#      launcher's environment), no tunnel; the playback channel counted
#   l. a VM with max-duration = 6s: the gateway's warning reaches the
#      person's terminal through the launcher, the session ends by itself
#      (reason max-duration), the launcher ends with it, nothing left
#   g. every start record has exactly one end record
#
# Usage: test-native-session.sh GATEWAY VMCONSOLE SPICE-TONE-SERVER
#        (TAP; root, else exit 77)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/sshd-lib.sh"
. "$HERE/native-lib.sh"
. "$HERE/sound-lib.sh"
need_root
GW=$(realpath "$1")
VMC=$(realpath "$2")
TONE=$(realpath "$3")

for prog in qemu-system-x86_64 remote-viewer Xvfb /usr/sbin/sshd ssh ssh-keygen xauth setfacl python3 \
            xwininfo xkill import compare runuser pulseaudio pactl parec sox strace; do
    if ! command -v "$prog" >/dev/null; then
        echo "1..0 # SKIP $prog is not installed (scripts/install-deps installs it)"
        exit 77
    fi
done

P=$(vmc_prefix m)
VMC_T_DIR=$(mktemp -d /tmp/vmc-nsession-XXXXXX)
chmod 0755 "$VMC_T_DIR"
D=$VMC_T_DIR
BG_PIDS=""
ACCOUNT=${P}gw ALICE=${P}al LAPTOP_USER=${P}lp
TITLE="Native session VM"
CONF=$D/gateway.conf
LOG=$D/log/sessions.jsonl
RUN=$D/run
LHOME=$D/laptop LRUN=$D/lrun

cleanup() {
    local p
    for p in $BG_PIDS; do pid_alive "$p" && kill -TERM "$p" 2>/dev/null; done
    for p in $BG_PIDS; do wait "$p" 2>/dev/null; done
    pkill -KILL -u "$LAPTOP_USER" 2>/dev/null
    sshd_cleanup
    sound_cleanup
    stop_all_qemu 2>/dev/null
    stop_all_xvfb 2>/dev/null
    cleanup_common
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

diag() { # diag TAG
    {
        echo "--- $1: vmconsole's stderr"
        cat "$D/$1.err" 2>/dev/null
        echo "--- $1: exit $(cat "$D/$1.rc" 2>/dev/null)"
        echo "--- sshd log (tail)"
        sshd_log_tail 10
        echo "--- last records"
        tail -n 2 "$LOG" 2>/dev/null | cut -c1-600
    } | sed 's/^/# /'
}
checkd() { # checkd TAG DESCRIPTION COMMAND...
    local tag=$1 desc=$2; shift 2
    if "$@"; then ok 0 "$desc"; else ok 1 "$desc"; diag "$tag"; fi
}

jl() { # jl PYTHON-EXPRESSION over R, the records
    python3 -c '
import json, sys
R = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
def last(event, **kw):
    m = [r for r in R if r.get("event") == event and all(r.get(k) == v for k, v in kw.items())]
    return m[-1] if m else {}
print(eval(sys.argv[2]))' "$LOG" "$1"
}
starts() { jl 'len([r for r in R if r.get("event") == "start"])'; }
ends() { jl 'len([r for r in R if r.get("event") == "end"])'; }


# ---- setup: alice, the account, the config, the VMs, the laptop person ----
add_user "$ALICE" || exit 1
sshd_add_account "$ACCOUNT" && gateway_prepare_dirs || exit 1
install -d -m 0755 "$D/spicex"
cat > "$CONF" <<EOF
[gateway]
socket-pattern = $D/spicex/%s.sock
log = $LOG
run-dir = $RUN
takeover = deny

[vm debianx]
title = $TITLE

[vm other]
title = Not alice's

[vm tonevm]
title = Tone VM

[vm limited]
title = Limited
socket = $D/spicex/debianx.sock
max-duration = 6s
EOF
chmod 0644 "$CONF"
start_qemu debianx "$D/spicex" -qmp "unix:$D/qmp.sock,server=on,wait=off" &&
    setfacl -m "u:$ACCOUNT:rw,u:$ALICE:rw" "$D/spicex/debianx.sock" || exit 1
start_qemu other "$D/spicex" && setfacl -m "u:$ACCOUNT:rw" "$D/spicex/other.sock" || exit 1

native_add_person || exit 1
start_xvfb laptop || exit 1
LAPTOP=$VMC_T_DISPLAY

sshd_start || exit 1
GW=$(install_gateway "$GW" "$D") || exit 1
runuser -u "$LAPTOP_USER" -- ssh-keygen -q -t ed25519 -N '' -C laptop -f "$LHOME/.ssh/id_ed25519" ||
    exit 1
# (X11-forwarding: for case x's X11-mode session)
printf 'restrict,X11-forwarding,command="%s --config %s --identity %s" %s\n' "$GW" "$CONF" "$ALICE" \
    "$(cat "$LHOME/.ssh/id_ed25519.pub")" >> "$VMC_SSHD_DIR/authorized_keys"
printf '[127.0.0.1]:%s %s\n' "$VMC_SSHD_PORT" "$(cut -d' ' -f1,2 "$VMC_SSHD_DIR/host_ed25519.pub")" \
    > "$LHOME/.ssh/known_hosts"
printf 'Host kvmhost\n    HostName 127.0.0.1\n    Port %s\n    User %s\n' "$VMC_SSHD_PORT" \
    "$ACCOUNT" > "$LHOME/.ssh/config"
chown "$LAPTOP_USER" "$LHOME/.ssh/known_hosts" "$LHOME/.ssh/config"
echo "# sshd on 127.0.0.1:$VMC_SSHD_PORT, account $ACCOUNT, laptop display $LAPTOP"

host_clean() { # no gateway process, no session dir, the lock free
    [ -z "$(live_pids_of "$ACCOUNT")" ] && [ -z "$(ls -d "$RUN"/session-* 2>/dev/null)" ]
}
all_clean() { no_viewer && no_socket_dir && wait_until 50 host_clean; }
open_window() { # open_window TAG: vmconsole kvmhost debianx up to its window
    launch "$1" kvmhost debianx
    wait_for_window "$LAPTOP" "^$TITLE" 30 && wait_until 50 has "$1" 'window up' &&
        sleep 2 # the display settles (spice-server dislikes clients that go at once)
}
session_of() { jl 'last("start", vm="debianx").get("session", "")'; }

# ---- a. the window ----
checkd a "a: vmconsole kvmhost debianx (native by default: remote-viewer is here) opens the window" \
    open_window a
screenshot "$LAPTOP" "$D/a.png" "^$TITLE"
qemu_screendump "$D/qmp.sock" "$D/a.ppm"
checkd a "a: the window shows the VM's screen (QEMU's screendump found in the screenshot)" \
    picture_in_window "$D/a.ppm" "$D/a.png"
checkd a "a: progress: connecting, authenticated, opened, window up" \
    eval "has a 'connecting to [127.0.0.1]:$VMC_SSHD_PORT' && has a 'authenticated as $ACCOUNT@' &&
          has a 'debianx opened: \"$TITLE\"' && has a 'window up'"
SA=$(session_of)
checkd a "a: one start record, mode native, identity alice" \
    eval '[ "$(starts)" = 1 ] && [ "$(jl "last(\"start\").get(\"mode\")")" = native ] &&
          [ "$(jl "last(\"start\").get(\"identity\")")" = "$ALICE" ]'
n_conn=$(grep -c "Starting session: forced-command" "$VMC_SSHD_LOG")
n_login=$(grep -c "Accepted publickey for $ACCOUNT" "$VMC_SSHD_LOG")
checkd a "a: one login, $n_conn channels on it (the session's and the viewer's)" \
    eval '[ "$n_login" = 1 ] && [ "$n_conn" -ge 4 ]'

# No busy loop while the session idles (libssh's connectors spin at EOF;
# the launcher must not): its CPU time over 3 s of a still screen.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }
LP=$(pgrep -u "$LAPTOP_USER" -x vmconsole | head -n 1)
t0=$(cpu_ticks "$LP"); sleep 3; t1=$(cpu_ticks "$LP")
checkd a "a: the launcher idles without spinning ($((t1 - t0)) ticks of CPU in 3 s, at most 30)" \
    test -n "$t0" -a -n "$t1" -a "$((t1 - t0))" -le 30

# ---- b. the person closes the window ----
DISPLAY=$LAPTOP timeout 10 xkill -id "$(window_id "$LAPTOP" "^$TITLE")" >/dev/null 2>&1
reap b 100
checkd b "b: the window closed: exit 0" test "$RC" = 0
checkd a "b: the host's summary reached the terminal ($(grep -m1 "channel closed" "$D/a.err"))" \
    has a "the session's channel closed: session "
checkd b "b: nothing left on either side (viewer, socket dir, gateway, session dir)" all_clean
E="last('end', session='$SA')"
checkd b "b: one end record with main and display bytes from the VM ($(jl "{k: v.get('from_vm') for k, v in $E.get('channels', {}).items()}"))" \
    eval '[ "$(jl "$E[\"channels\"][\"main\"][\"from_vm\"] > 0 and $E[\"channels\"][\"display\"][\"from_vm\"] > 0")" = True ]'

# ---- c. SIGTERM ----
checkd c "c: the window is up" open_window c
SC=$(session_of)
pkill -TERM -u "$LAPTOP_USER" -x vmconsole
reap c 100
checkd c "c: SIGTERM: exit 143" test "$RC" = 143
checkd c "c: nothing left on either side" all_clean
checkd c "c: the end record is written (reason $(jl "last('end', session='$SC').get('reason')"))" \
    test -n "$(jl "last('end', session='$SC').get('reason', '')")"

# ---- d. SIGKILL ----
checkd d "d: the window is up" open_window d
SD=$(session_of)
pkill -KILL -u "$LAPTOP_USER" -x vmconsole
reap d 100
checkd d "d: SIGKILL: the viewer dies with the launcher" wait_until 50 no_viewer
checkd d "d: the gateway ends (the connection closed), no session dir" wait_until 100 host_clean
checkd d "d: the end record is written (reason $(jl "last('end', session='$SD').get('reason')"))" \
    test -n "$(jl "last('end', session='$SD').get('reason', '')")"
stale=$(ls -A "$LRUN")
touch -d '-1 min' "$LRUN/$stale" 2>/dev/null
checkd d2 "d: the next run removes the socket dir the killed one left" open_window d2
checkd d2 "d: ... and says so" has d2 "removed 1 socket directory"
pkill -TERM -u "$LAPTOP_USER" -x vmconsole
reap d2 100

# ---- e. a VM alice may not open ----
launch e kvmhost other
reap e 300
checkd e "e: another VM: the gateway's refusal shown, exit 3, no viewer, nothing left" \
    eval '[ "$RC" = 3 ] && grep -q "other is not a VM you may open" "$D/e.err" &&
          no_viewer && no_socket_dir'

# ---- f. busy ----
checkd f "f: the window is up" open_window f
launch f2 kvmhost debianx
LPID_F2=$LPID
reap f2 300
checkd f2 "f: a second open while it is held: exit 5, the holder named" \
    eval '[ "$RC" = 5 ] && grep -qi "busy\|in use\|since" "$D/f2.err"'
pkill -TERM -u "$LAPTOP_USER" -x vmconsole
LPID=$(pgrep -u "$LAPTOP_USER" -x vmconsole | head -n 1)
wait_until 100 eval '[ -z "$(pgrep -u "$LAPTOP_USER" -x vmconsole)" ]'
checkd f "f: ... the first session ends cleanly" all_clean

# ---- t. takeover ----
set_takeover() { sed -i "s/^takeover = .*/takeover = $1/" "$CONF"; } # set_takeover deny|allow
gateway_pids() { # the account's gateway processes (not sshd's own)
    local p
    for p in $(pgrep -u "$ACCOUNT" -f "^$GW " 2>/dev/null); do pid_alive "$p" && printf '%s ' "$p"; done
}
request_of() { tr '\0' '\n' <"/proc/$1/environ" 2>/dev/null | sed -n 's/^SSH_ORIGINAL_COMMAND=//p'; }
attach_pids() { # those serving an attach channel
    local p
    for p in $(gateway_pids); do
        case "$(request_of "$p")" in attach\ *) printf '%s ' "$p" ;; esac
    done
}
checkd t "t: the first window is up" open_window t
LPID_A=$LPID
SA=$(session_of)
launch t0 --takeover kvmhost debianx
reap t0 300
checkd t0 "t: --takeover where takeover = deny: exit 5, told it is not allowed (exit $RC)" \
    eval '[ "$RC" = 5 ] && has t0 "taking over is not allowed"'
set_takeover allow
PIDS_A=$(gateway_pids)
ATTACH_A=$(attach_pids)
read -r first _ <<<"$ATTACH_A"
TOKEN_A=$(request_of "${first:-0}" | sed -n 's/^attach \([0-9a-f]\{64\}\)$/\1/p')
VIEWER_A=$(pgrep -u "$LAPTOP_USER" -x remote-viewer)
DIR_A=$(ls -A "$LRUN")
checkd t "t: the first session's viewer has attach channels ($(wc -w <<<"$ATTACH_A")), token known" \
    eval '[ "$(wc -w <<<"$ATTACH_A")" -ge 3 ] && [ ${#TOKEN_A} = 64 ] && [ -n "$VIEWER_A" ]'
# The host ends slowly (the first session's end record's fsync delayed
# 1.5 s, as on a busy disk): its viewer sees its connections close well
# before the host's last words come on channel 1, which must still be shown.
SESSION_PID_A=$(sed -n 's/^pid=//p' "$RUN/debianx.lock")
strace -qq -o /dev/null -p "$SESSION_PID_A" -e trace=fsync \
    -e inject=fsync:delay_enter=1500000 &
BG_PIDS="$BG_PIDS $!"
wait_until 50 grep -Eq '^TracerPid:[[:space:]]*[1-9]' "/proc/$SESSION_PID_A/status"
launch t2 --takeover kvmhost debianx
LPID_B=$LPID
LPID=$LPID_A
reap t 150
checkd t "t: the first launcher ends with the gateway's status 0, as in X11 mode (exit $RC)" \
    test "$RC" = 0
checkd t "t: ... and shows the host's words: taken over by $ALICE" \
    eval 'has t "taken over by $ALICE (session " && has t "the host ended the session"'
checkd t "t: its viewer and its socket dir are gone" \
    eval '! pid_alive "$VIEWER_A" && [ ! -e "$LRUN/$DIR_A" ]'
checkd t "t: every gateway process of the first session is gone (were: $PIDS_A; now: $(gateway_pids))" \
    wait_gone 50 $PIDS_A
LPID=$LPID_B
checkd t2 "t: the second window is up" \
    eval 'wait_for_window "$LAPTOP" "^$TITLE" 30 && wait_until 50 has t2 "window up" && sleep 2'
SB=$(session_of)
screenshot "$LAPTOP" "$D/t2.png" "^$TITLE"
qemu_screendump "$D/qmp.sock" "$D/t2.ppm"
checkd t2 "t: the second window shows the VM's screen" picture_in_window "$D/t2.ppm" "$D/t2.png"
checkd t2 "t: the second launcher said it took over" has t2 "took over debianx from session"
E="last('end', session='$SA')"
checkd t "t: the first's end record: reason takeover, taken over by the second ($(jl "$E.get('reason')"): $(jl "$E.get('reason_text')"))" \
    eval '[ "$(jl "$E.get(\"reason\")")" = takeover ] && [ -n "$SB" ] && [ "$SB" != "$SA" ] &&
          [ "$(jl "$E.get(\"taken_over_by\")")" = "$SB" ]'
checkd t2 "t: the second's start record: mode native, takeover_of the first" \
    eval '[ "$(jl "last(\"start\", session=\"$SB\").get(\"takeover_of\")")" = "$SA" ] &&
          [ "$(jl "last(\"start\", session=\"$SB\").get(\"mode\")")" = native ]'
n_denied=$(jl 'len([r for r in R if r.get("event") == "denied"])')
runuser -u "$LAPTOP_USER" -- env -i PATH="$PATH" HOME="$LHOME" \
    ssh -o BatchMode=yes kvmhost attach "${TOKEN_A:-none}" </dev/null >"$D/t3.out" 2>"$D/t3.err"
RC=$?
checkd t3 "t: a late attach with the first session's token: exit 4 (got $RC), the one refusal text" \
    eval '[ "$RC" = 4 ] && [ "$(cat "$D/t3.err")" = "vmconsole: no such console session" ] &&
          [ ! -s "$D/t3.out" ]'
checkd t3 "t: ... a denied record: $(jl 'last("denied").get("reason")')" \
    eval '[ "$(jl "len([r for r in R if r.get(\"event\") == \"denied\"])")" -gt "$n_denied" ] &&
          jl "last(\"denied\")[\"reason\"]" | grep -q "no live native session"'
checkd t2 "t: the second session goes on" pid_alive "$LPID_B"
pkill -TERM -u "$LAPTOP_USER" -x vmconsole
reap t2 100
checkd t2 "t: the second ends on SIGTERM (exit $RC); nothing left on either side" \
    eval '[ "$RC" = 143 ] && all_clean'

# ---- x. an X11-mode session taken over by a native one ----
launch x --x11 --no-audio kvmhost debianx
LPID_X=$LPID
checkd x "x: the X11-mode window is up, the viewer on the host" \
    eval 'wait_for_window "$LAPTOP" "^$TITLE" 30 && sleep 2 && # the display settles
          [ -n "$(pgrep -u "$ACCOUNT" -x remote-viewer)" ]'
SX=$(session_of)
checkd x "x: its start record says mode x11" \
    test "$(jl "last('start', session='$SX').get('mode')")" = x11
launch x2 --takeover kvmhost debianx
LPID_X2=$LPID
LPID=$LPID_X
reap x 150
checkd x "x: the X11 launcher ends with the gateway's status 0 (exit $RC), the host's words shown" \
    eval '[ "$RC" = 0 ] && has x "taken over by $ALICE (session "'
checkd x "x: the viewer on the host is gone" \
    wait_until 50 eval '[ -z "$(pgrep -u "$ACCOUNT" -x remote-viewer)" ]'
LPID=$LPID_X2
checkd x2 "x: the native window is up" \
    eval 'wait_for_window "$LAPTOP" "^$TITLE" 30 && wait_until 50 has x2 "window up" && sleep 2'
SX2=$(session_of)
screenshot "$LAPTOP" "$D/x2.png" "^$TITLE"
qemu_screendump "$D/qmp.sock" "$D/x2.ppm"
checkd x2 "x: the native window shows the VM's screen" picture_in_window "$D/x2.ppm" "$D/x2.png"
E="last('end', session='$SX')"
checkd x "x: the X11 session's end record: reason takeover, taken over by the native one ($(jl "$E.get('reason')"))" \
    eval '[ "$(jl "$E.get(\"reason\")")" = takeover ] && [ -n "$SX2" ] && [ "$SX2" != "$SX" ] &&
          [ "$(jl "$E.get(\"taken_over_by\")")" = "$SX2" ]'
checkd x2 "x: the native session's start record: mode native, takeover_of the X11 one" \
    eval '[ "$(jl "last(\"start\", session=\"$SX2\").get(\"takeover_of\")")" = "$SX" ] &&
          [ "$(jl "last(\"start\", session=\"$SX2\").get(\"mode\")")" = native ]'
pkill -TERM -u "$LAPTOP_USER" -x vmconsole
reap x2 100
checkd x2 "x: the native session ends on SIGTERM (exit $RC); nothing left on either side" \
    eval '[ "$RC" = 143 ] && all_clean'
set_takeover deny

# ---- s. sound on the laptop's own sound server ----
sound_start_pulse "$D/pulse" || exit 1
chmod 0755 "$D/pulse"                      # the laptop person's server too
head -c 256 /dev/urandom > "$D/pulse/client-cookie" && chmod 0644 "$D/pulse/client-cookie"
sound_start_tone "$TONE" "$D/spicex/tonevm.sock" || exit 1
setfacl -m "u:$ACCOUNT:rw,u:$ALICE:rw" "$D/spicex/tonevm.sock"
rm -f "$D/s.rc"
# shellcheck disable=SC2046 # sound_env's words are split on purpose
setsid runuser -u "$LAPTOP_USER" -- env -i PATH="$PATH" HOME="$LHOME" USER="$LAPTOP_USER" \
    LANG=C.UTF-8 DISPLAY="$LAPTOP" XDG_RUNTIME_DIR="$LRUN" $(sound_env) \
    "$VMC" kvmhost tonevm </dev/null >"$D/s.out" 2>"$D/s.err" &
LPID=$!
BG_PIDS="$BG_PIDS $LPID"
checkd s "s: the tone VM's window comes up" wait_for_window "$LAPTOP" "^Tone VM" 30
checkd s "s: the viewer plays on the laptop's sound server (a stream there)" sound_wait_stream 300
sleep 1
sound_record 3 "$D/s.wav"
checkd s "s: the VM's 440 Hz tone arrives on the laptop's null sink" sound_tone_ok "$D/s.wav"
ST=$(jl 'last("start", vm="tonevm").get("session", "")')
pkill -TERM -u "$LAPTOP_USER" -x vmconsole
reap s 100
checkd s "s: ... the end record counts playback bytes from the VM ($(jl "last('end', session='$ST').get('channels', {}).get('playback')"))" \
    test "$(jl "last('end', session='$ST').get('channels', {}).get('playback', {}).get('from_vm', 0) > 10000")" = True
checkd s "s: ... and no sound tunnel (audio $(jl "last('start', session='$ST').get('audio')"))" \
    test "$(jl "last('start', session='$ST').get('audio')")" = off
checkd s "s: nothing left on either side" all_clean

# ---- l. a session that ends by policy ----
launch l kvmhost limited
checkd l "l: the window is up" wait_for_window "$LAPTOP" "^Limited" 30
reap l 300
SL=$(jl 'last("start", vm="limited").get("session", "")')
checkd l "l: the launcher ended with the session (exit $RC)" test "$RC" = 0
checkd l "l: the gateway's warning reached the person's terminal ($(grep -m1 'ends in' "$D/l.err"))" \
    grep -q "this console session ends in .*: the host's max-duration is 6s" "$D/l.err"
checkd l "l: the end record says max-duration (is $(jl "last('end', session='$SL').get('reason')"))" \
    test "$(jl "last('end', session='$SL').get('reason')")" = max-duration
checkd l "l: nothing left on either side" all_clean

# ---- g. the records ----
checkd g "g: every start record has exactly one end record ($(starts) starts, $(ends) ends)" \
    test "$(jl 'all(len([e for e in R if e.get("event") == "end" and e.get("session") == s["session"]]) == 1 for s in R if s.get("event") == "start")')" = True

finish
