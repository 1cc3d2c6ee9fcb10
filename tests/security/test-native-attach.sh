#!/bin/bash
# Native mode through a real sshd with the gateway as forced command, using
# OpenSSH's own multiplexing so that several exec channels share one
# connection (what the laptop launcher does with libssh): channel 1 runs
# "VM --native" and prints the token; each Spice connection of a headless
# client (the spice probe, through a local socat bridge) is one more channel
# "attach TOKEN". A real QEMU Spice server on a Unix socket.
#
# Threats                                     Assertions
# -----------------------------------------   -----------------------------------------------
# N1 (function) the viewer on the laptop      the probe gets the VM's display (720x400) through
#                                                attach channels; start record mode "native",
#                                                no viewer; end record per-channel bytes
#    and remote-viewer on a "laptop" Xvfb shows
#    the VM's window (title from the line)
# N2 a guessed or wrong token                 exit 4, the one refusal text, a denied record
#                                                "wrong token"-like reason, no token in the log
# N3 a stolen token used from another SSH     exit 4, same text; denied record names "another
#    connection (same key, second master)        SSH connection"
# N4 a usbredir channel under usb = deny      the relay closes it before a byte reaches the VM
#                                                (nothing on the channel's stdout); counted in
#                                                rejected_connections; with usb = allow the same
#                                                bytes reach the VM (its link reply comes back)
# N5 channel 1 closes while attaches live     every attach ends (their ssh exit), the end
#                                                record is written (reason ssh-closed), no
#                                                gateway process and nothing in the run dir
# N6 the token after the session ended        exit 4, same text, denied record
# N8 a process of the account (or root)       attach.sock answers "n" to a description
#    talks to attach.sock itself: no fds, one     without exactly two fds, to a mismatching one,
#    fd, three, a wrong connection, garbage       to garbage and to another uid; the session
#                                                 lives on and still serves the real client
# N7 the SSH connection drops (the master      the session ends (one end record), its attach
#    ends) with an attach live                   processes with it; nothing left
#
# Usage: test-native-attach.sh GATEWAY-BINARY PROBE-TOOL  (TAP; needs root, else exit 77)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../integration/lib.sh"
. "$HERE/../integration/sshd-lib.sh"
. "$HERE/security-lib.sh"
need_root
GW=$(realpath "$1") PROBE=$(realpath "$2")

for prog in qemu-system-x86_64 /usr/sbin/sshd ssh ssh-keygen setfacl python3 socat; do
    if ! command -v "$prog" >/dev/null; then
        echo "1..0 # SKIP $prog is not installed (scripts/install-deps installs it)"
        exit 77
    fi
done

P=$(vmc_prefix n)
VMC_T_DIR=$(mktemp -d /tmp/vmc-native-XXXXXX)
chmod 0755 "$VMC_T_DIR"
D=$VMC_T_DIR
BG_PIDS=""
cleanup() {
    local p
    for p in $BG_PIDS; do kill "$p" 2>/dev/null; done
    for c in "$D/ctl1" "$D/ctl2" "$D/ctl3"; do
        [ -S "$c" ] && ssh -F /dev/null -o ControlPath="$c" -O exit x 2>/dev/null
    done
    sshd_cleanup
    stop_all_qemu 2>/dev/null
    stop_all_xvfb 2>/dev/null
    for p in $BG_PIDS; do wait "$p" 2>/dev/null; done
    cleanup_common
}
trap cleanup EXIT

ACCOUNT=${P}gw ALICE=${P}al
CONF=$D/gateway.conf
LOG=$D/log/sessions.jsonl
RUN=$D/run

add_user "$ALICE" || exit 1
sshd_add_account "$ACCOUNT" && gateway_prepare_dirs || exit 1
install -d -m 0755 "$D/spicex"
write_conf() { # write_conf USB
    cat > "$CONF" <<EOF
[gateway]
socket-pattern = $D/spicex/%s.sock
log = $LOG
run-dir = $RUN
account = $ACCOUNT

[vm vmn]
title = Native test VM
channels = main display inputs cursor playback record usbredir
usb = $1
microphone = allow
EOF
    chmod 0644 "$CONF"
}
write_conf deny
start_qemu vmn "$D/spicex" && setfacl -m "u:$ACCOUNT:rw,u:$ALICE:rw" "$D/spicex/vmn.sock" || exit 1
sshd_start || exit 1
GW=$(install_gateway "$GW" "$D") || exit 1
sshd_add_key alice "$GW --config $CONF --identity $ALICE" || exit 1
echo "# sshd on 127.0.0.1:$VMC_SSHD_PORT, account $ACCOUNT"

SSH_BASE=(ssh -F /dev/null -i "$D/keys/alice" -o BatchMode=yes -o StrictHostKeyChecking=no
          -o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes -o LogLevel=ERROR -x
          -p "$VMC_SSHD_PORT")
HOST=$ACCOUNT@127.0.0.1
master() { # master CTL: one SSH connection, no session of its own
    "${SSH_BASE[@]}" -o ControlMaster=yes -o ControlPath="$1" -N -f "$HOST"
}
over() { # over CTL REQUEST...: one more exec channel of CTL's connection
    local ctl=$1; shift
    "${SSH_BASE[@]}" -o ControlMaster=no -o ControlPath="$ctl" "$HOST" "$*"
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
denied_count() { jl 'len([r for r in R if r.get("event") == "denied"])'; }
# the account's gateway processes (not sshd's own per-connection processes)
account_pids() {
    local p
    for p in $(pgrep -u "$ACCOUNT" -f "^$GW " 2>/dev/null); do pid_alive "$p" && printf '%s ' "$p"; done
}
# refused TAG CTL TOKEN REASON-SUBSTRING: exit 4, the one text, a denied record
refused() {
    local tag=$1 ctl=$2 token=$3 reason=$4 before rc
    before=$(denied_count)
    over "$ctl" attach "$token" </dev/null >"$D/$tag.out" 2>"$D/$tag.err"
    rc=$?
    ok "$([ "$rc" = 4 ]; echo $?)" "$tag: exit 4 (got $rc)"
    ok "$([ "$(cat "$D/$tag.err")" = "vmconsole: no such console session" ] &&
          [ ! -s "$D/$tag.out" ]; echo $?)" "$tag: only 'vmconsole: no such console session' on stderr"
    ok "$([ "$(denied_count)" -gt "$before" ] &&
          jl 'last("denied")["reason"]' | grep -q -- "$reason"; echo $?)" \
        "$tag: a denied record names the reason ($(jl 'last("denied").get("reason")'))"
    ok "$(! grep -q "$token" "$LOG"; echo $?)" "$tag: the token is not in the log"
}

# ---- N1: channel 1 and the viewer's connections as attach channels ----
master "$D/ctl1" || { echo "Bail out! no ControlMaster"; exit 1; }
mkfifo "$D/ch1.in"
# (--microphone: the probe gives up when a channel the VM offers is refused)
( over "$D/ctl1" vmn --native --microphone <"$D/ch1.in" >"$D/ch1.out" 2>"$D/ch1.err"; echo $? >"$D/ch1.rc" ) &
CH1=$!
BG_PIDS="$BG_PIDS $CH1"
sleep 600 >"$D/ch1.in" & # channel 1's stdin stays open until this ends
HOLD1=$!
BG_PIDS="$BG_PIDS $HOLD1"
sec_wait_until 100 grep -q '^vmconsole-native 1 ' "$D/ch1.out"
LINE=$(head -n 1 "$D/ch1.out")
TOKEN=$(sed -n 's/^vmconsole-native 1 token=\([0-9a-f]*\) title=.*/\1/p' <<<"$LINE")
ok "$([ ${#TOKEN} = 64 ] && [ "$(wc -l <"$D/ch1.out")" = 1 ]; echo $?)" \
    "N1: channel 1 prints one line with a 64-hex token"
ok "$([ "${LINE##* title=}" = "Native test VM" ]; echo $?)" "N1: ... and the VM's title"
SESSION=$(jl 'last("start", vm="vmn").get("session")')
ok "$([ "$(jl 'last("start", vm="vmn").get("mode")')" = native ] &&
      [ "$(jl '"viewer" in last("start", vm="vmn")')" = False ]; echo $?)" \
    "N1: the start record says mode native and names no viewer"

cat > "$D/attach.sh" <<EOF
#!/bin/bash
exec ${SSH_BASE[*]} -o ControlMaster=no -o ControlPath=$D/ctl1 $HOST attach $TOKEN
EOF
chmod 0755 "$D/attach.sh"
socat UNIX-LISTEN:"$D/laptop.sock",fork,mode=0600 EXEC:"$D/attach.sh" 2>"$D/socat.err" &
BG_PIDS="$BG_PIDS $!"
sec_wait_until 50 test -S "$D/laptop.sock"
"$PROBE" --timeout-ms 20000 "spice+unix://$D/laptop.sock" >"$D/probe.out" 2>"$D/probe.err"
PROBE_RC=$?
[ -n "${VMC_T_PAUSE:-}" ] && { cp -r "$D" /tmp/native-debug; sleep "$VMC_T_PAUSE"; }
echo "# probe (exit $PROBE_RC): $(cat "$D/probe.out" "$D/probe.err")"
[ "$PROBE_RC" = 0 ] || { echo "# socat: $(cat "$D/socat.err")"; echo "# channel 1: $(cat "$D/ch1.err")"; sshd_log_tail 10 | sed 's/^/# /'; }
ok "$([ "$PROBE_RC" = 0 ] && grep -q '^720x400 ' "$D/probe.out"; echo $?)" \
    "N1: a Spice client through attach channels gets the VM's display (720x400)"
ok "$(grep -q 'channels=.*main.*display' "$D/probe.out"; echo $?)" "N1: main and display channels came up"

if command -v remote-viewer >/dev/null && command -v Xvfb >/dev/null &&
   command -v xwininfo >/dev/null && start_xvfb laptop; then
    DISPLAY=$XVFB_DISPLAY remote-viewer --title "${LINE##* title=}" \
        "spice+unix://$D/laptop.sock" >"$D/viewer.log" 2>&1 &
    VIEWER=$!
    BG_PIDS="$BG_PIDS $VIEWER"
    if wait_for_window "$XVFB_DISPLAY" "Native test VM" 30; then W=0; else W=1; fi
    ok $W "N1: remote-viewer on the laptop's display shows the window 'Native test VM'"
    # QEMU 7.2's spice-server (0.15) can segfault when a client goes while the
    # display's first surfaces are set up ("SPICE Worker ... segfault" in
    # dmesg): let the display settle before the viewer goes
    sleep 2
    kill "$VIEWER" 2>/dev/null
    wait "$VIEWER" 2>/dev/null
    sec_wait_until 50 test "$(pgrep -u "$ACCOUNT" -fc "^$GW .*")" -le 1
else
    echo "# remote-viewer, Xvfb or xwininfo missing: the probe alone stands for the viewer"
fi

# ---- N2, N3: wrong token; the right token from another connection ----
WRONG=$(printf '%s' "$TOKEN" | tr '0-9a-f' '1-9a-f0')
refused N2 "$D/ctl1" "$WRONG" "wrong token\|no live native session"
master "$D/ctl2" || exit 1
refused N3 "$D/ctl2" "$TOKEN" "another SSH connection"

# ---- N8: attach.sock spoken to directly ----
SDIR=$RUN/session-$SESSION
cat > "$D/spoof.py" <<'PYEOF'
import os, socket, sys
sdir, case = sys.argv[1], sys.argv[2]
text = open(os.path.join(sdir, "native")).read()
if case == "wrong-connection":
    text = "\n".join("connection=10.9.9.9 1 127.0.0.1 22" if l.startswith("connection=") else l
                     for l in text.split("\n"))
if case == "garbage":
    text = "GET / HTTP/1.0\r\n\r\n"
fds = {"no-fds": [], "one-fd": [0], "three-fds": [0, 1, 2]}.get(case, [0, 1])
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(os.path.join(sdir, "attach.sock"))
s.settimeout(10)
try:
    socket.send_fds(s, [text.encode()], fds)
except OSError as e:  # refused before the message: the connection is closed at once
    print("n(closed before the message: %s)" % e.strerror)
    sys.exit(0)
try:
    print(s.recv(256).decode(errors="replace"))
except OSError as e:  # refused as the message arrived: closed with it unread (ECONNRESET)
    print("n(closed at the message: %s)" % e.strerror)
PYEOF
GW_PID=$(pgrep -u "$ACCOUNT" -f "^$GW " | head -n 1)
for c in no-fds one-fd three-fds wrong-connection garbage; do
    ANSWER=$(runuser -u "$ACCOUNT" -- python3 "$D/spoof.py" "$SDIR" "$c" </dev/null 2>&1)
    ok "$([ "${ANSWER:0:1}" = n ]; echo $?)" "N8: $c: refused ($ANSWER)"
done
ANSWER=$(python3 "$D/spoof.py" "$SDIR" right </dev/null 2>&1)
ok "$([ "${ANSWER:0:1}" = n ]; echo $?)" "N8: another uid (root) with the right description: refused ($ANSWER)"
ok "$(pid_alive "$GW_PID"; echo $?)" "N8: the session lives on"

# ---- N4: usbredir under usb = deny ----
usb_link() { # the client's link message for a usbredir channel (type 9)
    python3 -c '
import struct, sys
mess = struct.pack("<IBBIII", 0, 9, 0, 1, 0, 18) + struct.pack("<I", 0x0b)
sys.stdout.buffer.write(b"REDQ" + struct.pack("<III", 2, 2, len(mess)) + mess)'
}
# usb_try TAG TOKEN: the link message on an attach channel whose input
# stays open, until the channel ends or something comes back
usb_try() {
    rm -f "$D/$1.in"; mkfifo "$D/$1.in"
    ( usb_link; exec sleep 600 ) >"$D/$1.in" &
    local feed=$!
    over "$D/ctl1" attach "$2" <"$D/$1.in" >"$D/$1.out" 2>"$D/$1.err" &
    local ssh=$!
    sec_wait_until 100 eval "[ -s '$D/$1.out' ] || ! kill -0 $ssh 2>/dev/null"
    kill "$feed" "$ssh" 2>/dev/null
    wait "$feed" "$ssh" 2>/dev/null
}
usb_try usb-deny "$TOKEN"
ok "$([ ! -s "$D/usb-deny.out" ]; echo $?)" \
    "N4: usbredir under usb = deny: nothing comes back"

# ---- N5: a live attach, then channel 1 closes ----
# the VM, not the gateway, if spice-server died anyway (see N1): started
# again, and said
if ! pid_alive "$(qemu_pid vmn)"; then
    echo "# the VM's QEMU died (spice-server: $(dmesg 2>/dev/null | grep -c 'SPICE Worker.*segfault') segfaults in dmesg); starting it again"
    kill_qemu vmn 2>/dev/null
    start_qemu vmn "$D/spicex" && setfacl -m "u:$ACCOUNT:rw,u:$ALICE:rw" "$D/spicex/vmn.sock" || exit 1
fi
mkfifo "$D/live.in"
( python3 -c '
import struct, sys
mess = struct.pack("<IBBIII", 0, 2, 0, 1, 0, 18) + struct.pack("<I", 0x0b)
sys.stdout.buffer.write(b"REDQ" + struct.pack("<III", 2, 2, len(mess)) + mess)' ; sleep 600 ) \
    >"$D/live.in" &
FEED=$!
BG_PIDS="$BG_PIDS $FEED"
( over "$D/ctl1" attach "$TOKEN" <"$D/live.in" >"$D/live.out" 2>"$D/live.err"; echo $? >"$D/live.rc" ) &
LIVE=$!
BG_PIDS="$BG_PIDS $LIVE"
sec_wait_until 100 test -s "$D/live.out"
ok "$([ "$(head -c 4 "$D/live.out")" = REDQ ]; echo $?)" \
    "N5: a display channel attached: the VM's link reply comes back"
ATTACHED_PIDS=$(account_pids)
kill "$HOLD1" # channel 1's EOF
sec_wait_until 100 test -e "$D/live.rc"
ok "$([ -e "$D/live.rc" ]; echo $?)" "N5: the live attach channel ended with the session"
sec_wait_until 100 test -e "$D/ch1.rc"
ok "$([ "$(cat "$D/ch1.rc" 2>/dev/null)" = 0 ]; echo $?)" "N5: channel 1 exits 0"
sec_wait_until 50 test -z "$(account_pids)"
ok "$([ -z "$(account_pids)" ]; echo $?)" \
    "N5: no gateway process is left (were: $ATTACHED_PIDS; now: $(account_pids))"
ok "$([ -z "$(ls "$RUN" | grep '^session-')" ]; echo $?)" "N5: no session dir is left in the run dir"
E='last("end", session="'$SESSION'")'
ok "$([ "$(jl "$E.get('reason')")" = ssh-closed ]; echo $?)" \
    "N5: one end record, reason ssh-closed ($(jl "$E.get('reason_text')"))"
ok "$([ "$(jl "$E['channels']['display']['from_vm'] > 0 and $E['channels']['main']['from_vm'] > 0")" = True ]; echo $?)" \
    "N5: the end record counts main and display bytes ($(jl "{k: v['from_vm'] for k, v in $E['channels'].items()}"))"
ok "$([ "$(jl "$E.get('rejected_connections', 0) >= 1")" = True ]; echo $?)" \
    "N4: the usbredir channel is counted as rejected ($(jl "$E.get('rejected_connections')"))"

# ---- N6: the token after the session ended ----
refused N6 "$D/ctl1" "$TOKEN" "no live native session"

# ---- N4': the same usbredir link under usb = allow reaches the VM ----
write_conf allow
mkfifo "$D/ch2.in"
( over "$D/ctl1" vmn --native <"$D/ch2.in" >"$D/ch2.out" 2>"$D/ch2.err"; echo $? >"$D/ch2.rc" ) &
BG_PIDS="$BG_PIDS $!"
sleep 600 >"$D/ch2.in" &
HOLD2=$!
BG_PIDS="$BG_PIDS $HOLD2"
sec_wait_until 100 grep -q '^vmconsole-native 1 ' "$D/ch2.out"
TOKEN2=$(sed -n 's/^vmconsole-native 1 token=\([0-9a-f]*\) .*/\1/p' "$D/ch2.out")
SESSION2=$(jl 'last("start", vm="vmn").get("session")')
usb_try usb-allow "$TOKEN2"
kill "$HOLD2"
sec_wait_until 100 test -e "$D/ch2.rc"
E2='last("end", session="'$SESSION2'")'
ok "$([ "$(jl "$E2['channels'].get('usbredir', {}).get('to_vm', 0) > 0 and $E2.get('rejected_connections', 0) == 0")" = True ]; echo $?)" \
    "N4: under usb = allow the same link goes on to the VM, counted as usbredir ($(jl "$E2['channels'].get('usbredir')"))"
ok "$([ "$(jl 'last("start", vm="vmn").get("usb")')" = allow ]; echo $?)" \
    "N4: the start record names the usb policy"
# ---- N7: the whole connection drops while an attach is live ----
master "$D/ctl3" || exit 1
mkfifo "$D/ch3.in"
( over "$D/ctl3" vmn --native --microphone <"$D/ch3.in" >"$D/ch3.out" 2>"$D/ch3.err" ) &
BG_PIDS="$BG_PIDS $!"
sleep 600 >"$D/ch3.in" &
BG_PIDS="$BG_PIDS $!"
sec_wait_until 100 grep -q '^vmconsole-native 1 ' "$D/ch3.out"
TOKEN3=$(sed -n 's/^vmconsole-native 1 token=\([0-9a-f]*\) .*/\1/p' "$D/ch3.out")
SESSION3=$(jl 'last("start", vm="vmn").get("session")')
mkfifo "$D/live3.in"
( python3 -c '
import struct, sys
mess = struct.pack("<IBBIII", 0, 2, 0, 1, 0, 18) + struct.pack("<I", 0x0b)
sys.stdout.buffer.write(b"REDQ" + struct.pack("<III", 2, 2, len(mess)) + mess)' ; exec sleep 600 ) \
    >"$D/live3.in" &
BG_PIDS="$BG_PIDS $!"
( over "$D/ctl3" attach "$TOKEN3" <"$D/live3.in" >"$D/live3.out" 2>"$D/live3.err" ) &
BG_PIDS="$BG_PIDS $!"
sec_wait_until 100 test -s "$D/live3.out"
ok "$([ "$(head -c 4 "$D/live3.out")" = REDQ ]; echo $?)" "N7: an attach is live"
"${SSH_BASE[@]}" -o ControlPath="$D/ctl3" -O exit "$HOST" 2>/dev/null
sec_wait_until 100 test -n "$(jl "last('end', session='$SESSION3').get('reason') or ''")"
ok "$([ "$(jl "last('end', session='$SESSION3').get('reason')")" = ssh-closed ]; echo $?)" \
    "N7: the connection dropped: one end record, reason ssh-closed"
sec_wait_until 50 test -z "$(account_pids)"
ok "$([ -z "$(account_pids)" ] && [ -z "$(ls "$RUN" | grep '^session-')" ]; echo $?)" \
    "N7: no gateway process and no session dir left ($(account_pids))"
finish
