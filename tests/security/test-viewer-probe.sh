#!/bin/bash
# What a viewer taken over through the person's hostile X server can reach,
# tried from exactly where the gateway runs its viewer: sandbox-probe is the
# gateway's `viewer =`, so the gateway starts it through its own viewer code
# path (argv, environment, X cookie, sound, sandbox) in a real session: a
# real sshd with the gateway as forced command, `ssh -X` from a "laptop"
# Xvfb with `-R` to the laptop's PulseAudio (cookie on stdin), QEMU. Another
# person's session (bob: another VM, another laptop, a real remote-viewer)
# runs meanwhile, so there is something of someone else's to reach.
#
# The probe learns what to attack from its VM's `title =` (the admin's config,
# so legitimate input; it can read no file of the test once sandboxed), which
# reaches it as it reaches remote-viewer: the guest name the relay sends on
# the Spice main channel:
#
#   title = vmc-probe d=DIR a=ACCOUNT ssh=SSHD-PORT tcp=LISTENER-PORT snd=TUNNEL-PORT
#
# with the layout under DIR that sandbox-probe.c's header fixes (VMs named
# target, other and decoy; DIR/pub 1777; …). It reports each attempt on its
# own X display as the root-window property VMC_PROBE_REPORT, which the test
# reads from the laptop with xprop; then it exits 0 and the session ends.
#
# Threats (what the probe tries)                  Assertions
# ---------------------------------------------   ------------------------------------------------
#                                                 P0 the report arrives over X11, complete, from
#                                                    the probe the title describes
# A1 read the audit log (everyone's records)      read-log: denied
# A2 forge records in it                          append-log: denied; no forged line in it
# A3 truncate it (tried at its own size)          truncate-log: denied
# A4 list the gateway's run dir (locks, sessions) list-run-dir: denied
# A5 another session's dir and its X cookie       read-other-session: denied
# A6 the account's ~/.Xauthority (every session's read-account-xauthority: denied
#    cookie)
# A7 the VM sockets straight, past the relay:     connect-unix:own-vm, :other-vm, :decoy-vm:
#    its own VM, another person's VM, a decoy        denied; the decoy recorded no connection
# A8 a Unix listener in a world-accessible dir    connect-unix:pub-listener: denied; none recorded
# A9 local TCP services: sshd, a listener,        connect-tcp:sshd, :listener, :sound-tunnel,
#    the session's own sound tunnel (the cookie      :x11-6010 … :x11-6020: denied; the
#    check is the gateway's to do), sshd's X11       listener recorded no connection
#    forwards (its own: bypassing the relay)
# A10 another person's X display through sshd's   x11-other-display: denied
#    forward, with the account's cookies
# A11 signal the gateways (end a session without  signal-gateway: denied
#    an end record)
# A12 files where they outlive the session or     create:test-pub, :account-home, :run-dir,
#    reach others: 1777 dir, home, run dir, log     :log-dir, :tmp, :var-tmp, :dev-shm: no file
#    dir, /tmp, /var/tmp, /dev/shm                  with the mark at that path on the host (a
#                                                    private /tmp inside a sandbox is fine)
# A13 a process that outlives the session         leave-process: none with the mark alive once
#    (double fork, setsid)                           the session has ended
#                                                 P1 its own Spice socket (argv URI): a main-
#                                                    channel link answered with REDQ, and counted
#                                                    by the relay in the end record
#                                                 P2 its own sound (PULSE_SERVER, PULSE_COOKIE):
#                                                    the native-protocol AUTH is accepted
#                                                 P3 its own X display (DISPLAY, XAUTHORITY): the
#                                                    report itself
#                                                 P4 the session ends as it should: reason
#                                                    viewer-exit, exit status 0
#                                                 P5 bob's session is undisturbed, and ends cleanly
#
# Usage: test-viewer-probe.sh GATEWAY-BINARY SANDBOX-PROBE   (TAP; needs root, else exit 77)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../integration/lib.sh"
. "$HERE/../integration/sshd-lib.sh"
. "$HERE/../integration/sound-lib.sh"
. "$HERE/security-lib.sh"
need_root
GW=$(realpath "$1")
PROBE=$(realpath "$2")

for prog in qemu-system-x86_64 remote-viewer Xvfb /usr/sbin/sshd ssh ssh-keygen xauth \
            setfacl python3 xwininfo xprop pulseaudio pactl; do
    if ! command -v "$prog" >/dev/null; then
        echo "1..0 # SKIP $prog is not installed (scripts/install-deps installs it)"
        exit 77
    fi
done

P=$(vmc_prefix p)
VMC_T_DIR=$(mktemp -d /tmp/vmc-sec-XXXXXX)
chmod 0755 "$VMC_T_DIR"
D=$VMC_T_DIR
MARK=vmcprobe-${D##*/}        # sandbox-probe.c: "vmcprobe-" + basename(DIR)
SSH_PIDS=""

cleanup() {
    local p
    for p in $SSH_PIDS; do kill "$p" 2>/dev/null; done
    sshd_cleanup
    sec_remove_marked "$MARK"
    sound_cleanup 2>/dev/null
    stop_all_qemu 2>/dev/null
    stop_all_xvfb 2>/dev/null
    for p in $SSH_PIDS; do wait "$p" 2>/dev/null; done
    cleanup_common
}
trap cleanup EXIT

ACCOUNT=${P}gw ALICE=${P}al BOB=${P}bo SXA=${P}sa SXB=${P}sb
CONF=$D/gateway.conf
BOB_CONF=$D/gateway-bob.conf
LOG=$D/log/sessions.jsonl
RUN=$D/run
OTHER_TITLE="Other person VM"
REPORT=$D/probe-report.txt

# ---- helpers ----

lx() { DISPLAY=$LAPTOP XAUTHORITY=$D/laptop.xauth "$@"; }  # a client of alice's laptop

jl() { # jl PYTHON-EXPRESSION: R is the list of records (damaged lines skipped)
    python3 -c '
import json, sys
R = []
for l in open(sys.argv[1], encoding="utf-8"):
    try:
        R.append(json.loads(l))
    except ValueError:
        pass
def end(session):
    m = [r for r in R if r.get("event") == "end" and r.get("session") == session]
    return m[-1] if m else {}
print(eval(sys.argv[2]))' "$LOG" "$1"
}
last_start_of() { jl "([r['session'] for r in R if r.get('event')=='start' and r.get('identity')=='$1'] or [''])[-1]"; }
end_field() { jl "end('$1').get('$2', '')"; }           # end_field SESSION FIELD
has_end() { [ -n "$(end_field "$1" reason)" ]; }
gateway_pid() { sed -n 's/^pid=//p' "$RUN/$1.lock" 2>/dev/null; } # gateway_pid VM
gone() { ! pid_alive "$1"; }

diag() { # diag TAG
    {
        echo "--- $1: ssh stderr"; cat "$D/$1.err" 2>/dev/null
        echo "--- sshd log (tail)"; sshd_log_tail 10
        echo "--- last records"; tail -n 2 "$LOG" 2>/dev/null
    } | sed 's/^/# /'
}

# The probe's report from the laptop's root window, decoded (xprop prints
# the STRING with C escapes), into $REPORT; TRUE once its "end" line is there.
fetch_report() {
    lx xprop -root VMC_PROBE_REPORT 2>/dev/null | python3 -c '
import codecs, sys
text = sys.stdin.read()
start = text.find("= \"")
if start < 0:
    sys.exit(1)
body = text[start + 3:].rstrip("\n")
body = body[:-1] if body.endswith("\"") else body
sys.stdout.write(codecs.decode(body, "unicode_escape"))' > "$REPORT" 2>/dev/null &&
        grep -q '^end [0-9]*$' "$REPORT"
}

report_line() { grep -m 1 -E "^[A-Za-z]+ $1( |\$)" "$REPORT"; } # report_line NAME

# An attack: its line must say "deny".
expect_denied() { # expect_denied THREAT NAME
    local line
    line=$(report_line "$2")
    ok "$([ "${line%% *}" = deny ]; echo $?)" "$1 $2: denied (probe: ${line:-no line})"
}

# A file the probe may have made: it must not be at that path on the host.
expect_no_file() { # expect_no_file NAME HOST-DIR
    local line path=$2/$MARK
    line=$(report_line "$1")
    ok "$([ -n "$line" ] && [ ! -e "$path" ] && [ ! -L "$path" ]; echo $?)" \
        "A12 $1: no $path on the host (probe: ${line:-no line})"
}

# A positive check: its line must say "ok".
expect_ok() { # expect_ok CHECK NAME
    local line
    line=$(report_line "$2")
    ok "$([ "${line%% *}" = ok ]; echo $?)" "$1 $2 works (probe: ${line:-no line})"
}

# ---- setup: people, account, dirs, VMs, listeners, laptops, sound, sshd ----

add_group "$SXA" && add_group "$SXB" && add_user "$ALICE" "$SXA" && add_user "$BOB" "$SXB" ||
    exit 1
sshd_add_account "$ACCOUNT" || exit 1
gateway_prepare_dirs || exit 1
install -d -m 0755 "$D/spicex" "$D/bin"
install -d -m 1777 "$D/pub"
# The account runs a copy: the build dir may not be reachable for other users.
GW=$(install_gateway "$GW" "$D") || exit 1
install -m 0755 "$PROBE" "$D/bin/sandbox-probe" && PROBE=$D/bin/sandbox-probe || exit 1

start_qemu target "$D/spicex/target.sock" &&
    setfacl -m "u:$ACCOUNT:rw,g:$SXA:rw" "$D/spicex/target.sock" || exit 1
start_qemu other "$D/spicex/other.sock" &&
    setfacl -m "u:$ACCOUNT:rw,g:$SXB:rw" "$D/spicex/other.sock" || exit 1
sec_listen_unix decoy "$D/spicex/decoy.sock" && chmod 0700 "$D/spicex/decoy.sock" &&
    setfacl -m "u:$ACCOUNT:rw" "$D/spicex/decoy.sock" || exit 1
sec_listen_unix pub "$D/pub/listen.sock" || exit 1
sec_listen_tcp tcp && TCP_PORT=$SEC_PORT || exit 1

start_xvfb bob-laptop || exit 1
BOBTOP=$XVFB_DISPLAY
start_xvfb laptop || exit 1
LAPTOP=$XVFB_DISPLAY
: > "$D/laptop.xauth"

# alice's laptop sound: PulseAudio with a cookie-only TCP endpoint; the cookie
# goes to the gateway on ssh's stdin, the port through ssh -R
sound_start_pulse "$D/lpulse" || exit 1
head -c 256 /dev/urandom > "$D/lpulse/tunnel-cookie"
LPORT=$(free_port)
sound_pactl load-module module-native-protocol-tcp listen=127.0.0.1 port="$LPORT" \
    auth-anonymous=0 auth-cookie-enabled=1 auth-cookie="$D/lpulse/tunnel-cookie" >/dev/null ||
    exit 1
od -An -tx1 -v "$D/lpulse/tunnel-cookie" | tr -d ' \n' > "$D/cookie.line"
echo >> "$D/cookie.line"
SPORT=$(free_port)

sshd_start || exit 1
PROBE_TITLE="vmc-probe d=$D a=$ACCOUNT ssh=$VMC_SSHD_PORT tcp=$TCP_PORT snd=$SPORT"
cat > "$CONF" <<EOF
[gateway]
socket-pattern = $D/spicex/%s.sock
viewer = $PROBE
log = $LOG
run-dir = $RUN

[vm target]
title = $PROBE_TITLE
acl = group:$SXA:rw
EOF
# bob's sessions run the real viewer: same log, run dir and sockets
sed -e "s|^viewer = .*|viewer = /usr/bin/remote-viewer|" -e '/^\[vm target\]/,$d' "$CONF" \
    > "$BOB_CONF"
printf '[vm other]\ntitle = %s\nacl = group:%s:rw\n' "$OTHER_TITLE" "$SXB" >> "$BOB_CONF"
chmod 0644 "$CONF" "$BOB_CONF"
sshd_add_key alice "$GW --config $CONF --identity $ALICE" \
    "port-forwarding,permitlisten=\"localhost:$SPORT\"" &&
    sshd_add_key bob "$GW --config $BOB_CONF --identity $BOB" || exit 1
echo "# sshd :$VMC_SSHD_PORT, account $ACCOUNT, laptops $LAPTOP (alice) $BOBTOP (bob)," \
     "listener :$TCP_PORT, tunnel :$SPORT -> laptop PulseAudio :$LPORT"
echo "# title: $PROBE_TITLE"

# ---- bob's session: someone else's, running while the probe runs ----
( DISPLAY=$BOBTOP ssh_as bob -- other </dev/null >"$D/bob.out" 2>"$D/bob.err" ) &
BOB_SSH=$!
SSH_PIDS="$SSH_PIDS $BOB_SSH"
if ! wait_for_window "$BOBTOP" "^$OTHER_TITLE" 30; then
    echo "Bail out! bob's session (the other person's) did not open"
    diag bob
    exit 1
fi
BOB_GW=$(gateway_pid other)
SB=$(last_start_of "$BOB")

# ---- alice's session: the probe as the viewer ----
C_TCP=$(sec_connections tcp) C_PUB=$(sec_connections pub) C_DECOY=$(sec_connections decoy)
lx xprop -root -remove VMC_PROBE_REPORT 2>/dev/null
( lx ssh_as alice -R "$SPORT:127.0.0.1:$LPORT" -o ExitOnForwardFailure=yes \
      -- "target --pulse=tcp:$SPORT --pulse-cookie=stdin" \
      <"$D/cookie.line" >"$D/alice.out" 2>"$D/alice.err"; echo $? > "$D/alice.rc" ) &
ALICE_SSH=$!
SSH_PIDS="$SSH_PIDS $ALICE_SSH"

# every attempt is bounded (5 s) in the probe; 60 s is far beyond a normal run
if sec_wait_until 600 fetch_report; then
    ok 0 "P0 the probe's report arrived over X11 (VMC_PROBE_REPORT on the laptop's root window)"
else
    ok 1 "P0 the probe's report arrived over X11 within 60 s"; diag alice
fi
sed 's/^/# probe: /' "$REPORT" 2>/dev/null
SA=$(last_start_of "$ALICE")
sec_wait_until 300 eval '! kill -0 $ALICE_SSH 2>/dev/null' ||
    echo "# alice's ssh is still running 30 s after the report"
sec_wait_until 50 has_end "$SA"
ok "$(grep -q "^vmc-sandbox-probe 1 mark=$MARK " "$REPORT"; echo $?)" \
    "P0 the report comes from the probe the title describes (mark $MARK)"
ok "$([ "$(sed -n 's/^end //p' "$REPORT")" = "$(wc -l < "$REPORT")" ]; echo $?)" \
    "P0 the report is complete (its end line counts its lines)"

# ---- the attacks: each must have been denied ----
expect_denied A1 read-log
expect_denied A2 append-log
# the line the probe appends (sandbox-probe.c, try_append_log), exactly
FORGED=$(grep -cF "{\"v\":1,\"event\":\"forged\",\"by\":\"$MARK\"}" "$LOG")
ok "$([ "$FORGED" = 0 ]; echo $?)" "A2 the session log has no forged line (found $FORGED)"
expect_denied A3 truncate-log
expect_denied A4 list-run-dir
expect_denied A5 read-other-session
expect_denied A6 read-account-xauthority
expect_denied A7 connect-unix:own-vm
expect_denied A7 connect-unix:other-vm
expect_denied A7 connect-unix:decoy-vm
ok "$([ "$(sec_connections decoy)" = "$C_DECOY" ]; echo $?)" \
    "A7 the decoy VM socket recorded no connection ($(( $(sec_connections decoy) - C_DECOY )))"
expect_denied A8 connect-unix:pub-listener
ok "$([ "$(sec_connections pub)" = "$C_PUB" ]; echo $?)" \
    "A8 the world-accessible listener recorded no connection ($(( $(sec_connections pub) - C_PUB )))"
expect_denied A9 connect-tcp:sshd
expect_denied A9 connect-tcp:listener
ok "$([ "$(sec_connections tcp)" = "$C_TCP" ]; echo $?)" \
    "A9 the TCP listener recorded no connection ($(( $(sec_connections tcp) - C_TCP )))"
expect_denied A9 connect-tcp:sound-tunnel
for port in $(seq 6010 6020); do expect_denied A9 "connect-tcp:x11-$port"; done
expect_denied A10 x11-other-display
expect_denied A11 signal-gateway

expect_no_file create:test-pub "$D/pub"
expect_no_file create:account-home "$D/home/$ACCOUNT"
expect_no_file create:run-dir "$RUN"
expect_no_file create:log-dir "$D/log"
expect_no_file create:tmp /tmp
expect_no_file create:var-tmp /var/tmp
expect_no_file create:dev-shm /dev/shm
# the sandbox's end may take a moment to reach every process in it: bounded
sec_wait_until 50 eval '[ -z "$(sec_marked_pids "$MARK-linger")" ]'
LEFT=$(sec_marked_pids "$MARK-linger")
ok "$([ -n "$(report_line leave-process)" ] && [ -z "$LEFT" ]; echo $?)" \
    "A13 leave-process: nothing with '$MARK-linger' in its argv alive after the session (alive: ${LEFT:-none}; probe: $(report_line leave-process))"

# ---- what the viewer must still be able to do ----
expect_ok P1 spice
MAIN=$(jl "end('$SA').get('channels', {}).get('main', {}).get('from_vm', 0)")
ok "$([ "${MAIN:-0}" -gt 0 ]; echo $?)" \
    "P1 the relay counted the probe's main channel (from_vm $MAIN bytes in the end record)"
expect_ok P2 sound
expect_ok P3 x11
ok "$([ "$(end_field "$SA" reason)" = viewer-exit ] && [ "$(end_field "$SA" viewer_exit)" = 0 ]; echo $?)" \
    "P4 the session ended: reason viewer-exit, exit 0 (is '$(end_field "$SA" reason)', '$(end_field "$SA" viewer_exit)')"

# ---- bob's session: undisturbed, then ended ----
ok "$(pid_alive "$BOB_GW" && window_id "$BOBTOP" "^$OTHER_TITLE" >/dev/null; echo $?)" \
    "P5 bob's session still runs (gateway $BOB_GW, window on his laptop)"
ssh_bg_end "$BOB_SSH"
SSH_PIDS=$(vmc_words_without "$BOB_SSH" "$SSH_PIDS")
sec_wait_until 100 gone "$BOB_GW"
sec_wait_until 50 has_end "$SB"
ok "$([ "$(end_field "$SB" reason)" = ssh-closed ]; echo $?)" \
    "P5 bob's session ends when his ssh goes (reason '$(end_field "$SB" reason)')"
sec_wait_until 30 eval '[ -z "$(live_pids_of "$ACCOUNT")" ]'
LEFT=$(live_pids_of "$ACCOUNT")
ok "$([ -z "$LEFT" ]; echo $?)" \
    "no process of the account is left${LEFT:+ (left: $(ps -o pid=,args= -p "$(echo $LEFT | tr ' ' ,)" | tr '\n' ';'))}"

finish
