#!/bin/bash
# What a killed gateway leaves behind. A gateway that gets SIGKILL (the OOM
# killer, an admin's kill -9, a crash) cannot remove its session dir: the
# X cookie file (Xauthority: a live key to the person's display while the
# forward lasts), the sound cookie, the relay sockets stay in the run dir for
# good, one dir per killed session. The next open and `vmconsole-admin
# check` sweep them — but only dirs whose gateway is gone: a live session's
# dir is never touched, and nothing is followed out of the run dir. Through
# a real sshd with the gateway as forced command, `ssh -X` from a "laptop"
# Xvfb, QEMU's Spice servers, remote-viewer in its sandbox.
#
# Threats                                     Assertions
# -----------------------------------------   -----------------------------------------------
# S1 alice's gateway SIGKILLed: its session   her session dir stays after the kill (the
#    dir (cookies, sockets) stays for good       threat is real)
# S2 the next open sweeps                     the next open (alice, again) removes it, and a
#                                                planted stale dir with a symlink out of the run
#                                                dir and a deep tree; the link's target and a
#                                                session-* symlink's target are untouched; the
#                                                start record lists the swept sessions
# S3 a sweep that takes a live session        bob's session (another VM) runs all along: its
#                                                dir keeps every file, his viewer and gateway
#                                                live, and it ends normally (reason
#                                                ssh-closed)
# S4 check sweeps too                         after a second SIGKILL, `check` removes that dir
#                                                and says so; bob's dir is untouched
#
# Usage: test-stale-sessions.sh GATEWAY-BINARY ADMIN-BINARY  (TAP; needs root, else exit 77)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../integration/lib.sh"
. "$HERE/../integration/sshd-lib.sh"
. "$HERE/security-lib.sh"
need_root
GW=$(realpath "$1") ADMIN=$(realpath "$2")

for prog in qemu-system-x86_64 remote-viewer Xvfb /usr/sbin/sshd ssh ssh-keygen xauth \
            setfacl python3 xwininfo; do
    if ! command -v "$prog" >/dev/null; then
        echo "1..0 # SKIP $prog is not installed (scripts/install-deps installs it)"
        exit 77
    fi
done

P=$(vmc_prefix k)
VMC_T_DIR=$(mktemp -d /tmp/vmc-stale-XXXXXX)
chmod 0755 "$VMC_T_DIR"
D=$VMC_T_DIR
SSH_PIDS=""
cleanup() {
    local p
    for p in $SSH_PIDS; do kill "$p" 2>/dev/null; done
    sshd_cleanup
    stop_all_qemu 2>/dev/null
    stop_all_xvfb 2>/dev/null
    for p in $SSH_PIDS; do wait "$p" 2>/dev/null; done
    cleanup_common
}
trap cleanup EXIT

ACCOUNT=${P}gw ALICE=${P}al BOB=${P}bo
CONF=$D/gateway.conf
LOG=$D/log/sessions.jsonl
RUN=$D/run

add_user "$ALICE" && add_user "$BOB" || exit 1
sshd_add_account "$ACCOUNT" && gateway_prepare_dirs || exit 1
install -d -m 0755 "$D/spicex"
cat > "$CONF" <<EOF
[gateway]
socket-pattern = $D/spicex/%s.sock
log = $LOG
run-dir = $RUN
account = $ACCOUNT

[vm vma]
title = Alice stale test VM

[vm vmb]
title = Bob stale test VM
EOF
chmod 0644 "$CONF"
start_qemu vma "$D/spicex" && setfacl -m "u:$ACCOUNT:rw,u:$ALICE:rw" "$D/spicex/vma.sock" &&
start_qemu vmb "$D/spicex" && setfacl -m "u:$ACCOUNT:rw,u:$BOB:rw" "$D/spicex/vmb.sock" || exit 1
start_xvfb laptop || exit 1
LAPTOP=$XVFB_DISPLAY
: > "$D/laptop.xauth"
sshd_start || exit 1
GW=$(install_gateway "$GW" "$D") || exit 1
sshd_add_key alice "$GW --config $CONF --identity $ALICE" &&
sshd_add_key bob "$GW --config $CONF --identity $BOB" || exit 1
echo "# sshd on 127.0.0.1:$VMC_SSHD_PORT, account $ACCOUNT, laptop display $LAPTOP"

open_bg() { # open_bg TAG PERSON REQUEST -> PID_TAG
    local tag=$1 person=$2 request=$3
    ( DISPLAY=$LAPTOP XAUTHORITY=$D/laptop.xauth \
        ssh_as "$person" -- "$request" </dev/null >"$D/$tag.out" 2>"$D/$tag.err" ) &
    eval "PID_$tag=$!"
    SSH_PIDS="$SSH_PIDS $!"
}
ssh_done() { local pid; eval "pid=\$PID_$1"; ! kill -0 "$pid" 2>/dev/null; }
gateway_pid() { sed -n 's/^pid=//p' "$RUN/$1.lock" 2>/dev/null; }
session_of() { sed -n 's/^session=//p' "$RUN/$1.lock" 2>/dev/null; }
gone() { ! pid_alive "$1"; }
jl() { # jl PYTHON-EXPRESSION over R, the records
    python3 -c '
import json, sys
R = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
def rec(event, session):
    m = [r for r in R if r.get("event") == event and r.get("session") == session]
    return m[-1] if m else {}
print(eval(sys.argv[2]))' "$LOG" "$1"
}
listing() { (cd "$1" 2>/dev/null && find . | sort | tr '\n' ' '); } # listing DIR
diag() { # diag TAG
    { echo "--- $1: ssh stderr"; cat "$D/$1.err" 2>/dev/null
      echo "--- run dir"; ls -la "$RUN"; echo "--- sshd log"; sshd_log_tail 10; } | sed 's/^/# /'
}
window_up() { # window_up TAG TITLE
    if wait_for_window "$LAPTOP" "$2" 30; then ok 0 "$1: the window '$2' appears"
    else ok 1 "$1: the window '$2' appears"; diag "$1"; return 1; fi
}
viewer_of() { # viewer_of GATEWAY-PID: its bubblewrap child, alive
    local p
    for p in $(pgrep -P "$1" 2>/dev/null); do pid_alive "$p" && echo "$p"; done
}

# ---- bob's session runs all along (another VM) ----
open_bg b bob vmb
window_up "S3" "Bob stale test VM" || exit 1
BOB_GW=$(gateway_pid vmb)
BOB_DIR=$RUN/session-$(session_of vmb)
BOB_FILES=$(listing "$BOB_DIR")
echo "# bob's session dir $BOB_DIR: $BOB_FILES"

# ---- S1: alice's gateway is SIGKILLed ----
open_bg a1 alice vma
window_up "S1" "Alice stale test VM" || exit 1
A1_GW=$(gateway_pid vma) A1_ID=$(session_of vma)
A1_DIR=$RUN/session-$A1_ID
kill -KILL "$A1_GW"
check "S1: alice's gateway is gone after SIGKILL" wait_gone 50 "$A1_GW"
sec_wait_until 100 ssh_done a1
check "S1: its session dir stays behind ($(listing "$A1_DIR"))" test -d "$A1_DIR"
check "S1: ... with the X cookie file in it" test -f "$A1_DIR/Xauthority"

# a stale dir of a gateway killed long ago, planted: a link out of the run
# dir, a deep tree; and a session-* name that is a link to a dir outside
PLANTED_ID=0123456789abcdef0123456789abcdef
PLANTED=$RUN/session-$PLANTED_ID
install -d -m 0755 "$D/outside" && echo keep > "$D/outside/canary"
mkdir -p "$PLANTED/home/.cache"
deep=$PLANTED/home; for i in $(seq 20); do deep=$deep/d$i; done
mkdir -p "$deep" && echo x > "$deep/leaf"
ln -s "$D/outside" "$PLANTED/escape"
ln -s "$D/outside/canary" "$PLANTED/home/canary-link"
echo cookie > "$PLANTED/Xauthority"
chown -R "$ACCOUNT:$ACCOUNT" "$PLANTED"
ln -s "$D/outside" "$RUN/session-link"
chown -h "$ACCOUNT:$ACCOUNT" "$RUN/session-link"

# ---- S2: the next open sweeps ----
open_bg a2 alice vma
window_up "S2" "Alice stale test VM" || exit 1
A2_GW=$(gateway_pid vma) A2_ID=$(session_of vma)
check "S2: the killed session's dir is gone after the next open" test ! -e "$A1_DIR"
check "S2: the planted stale dir is gone, deep tree and all" test ! -e "$PLANTED"
check "S2: the targets of the links out of the run dir are untouched" \
    eval '[ "$(cat "$D/outside/canary" 2>/dev/null)" = keep ]'
check "S2: a session-* symlink is left alone (not followed)" \
    eval '[ -L "$RUN/session-link" ] && [ -e "$D/outside/canary" ]'
swept=$(jl "' '.join(sorted(rec('start', '$A2_ID').get('swept_sessions', [])))")
check "S2: the start record lists the swept sessions ($swept)" \
    eval '[ "$swept" = "$(printf "%s\n" "$A1_ID" "$PLANTED_ID" | sort | tr "\n" " " | sed "s/ $//")" ]'
check "S3: bob's session dir keeps every file" \
    eval '[ "$(listing "$BOB_DIR")" = "$BOB_FILES" ]'
check "S3: bob's gateway and viewer live on" \
    eval 'pid_alive "$BOB_GW" && [ -n "$(viewer_of "$BOB_GW")" ]'

# ---- S4: check sweeps too ----
kill -KILL "$A2_GW"
wait_gone 50 "$A2_GW"
sec_wait_until 100 ssh_done a2
A2_DIR=$RUN/session-$A2_ID
check "S4: the second killed session's dir stays behind" test -d "$A2_DIR"
OUT=$(timeout 60 "$ADMIN" --config "$CONF" check --no-probe --gateway "$GW" \
      --sshd-config "$VMC_SSHD_DIR/sshd_config" 2>&1)
grep -E "^run-dir" <<<"$OUT" | sed 's/^/# /'
check "S4: check removed it" test ! -e "$A2_DIR"
check "S4: check says it removed it" \
    eval 'grep "^run-dir" <<<"$OUT" | grep -F "$A2_DIR" | grep -q "removed"'
check "S4: bob's session dir keeps every file" eval '[ "$(listing "$BOB_DIR")" = "$BOB_FILES" ]'
check "S4: check does not name bob's live session dir as stale" \
    eval '! grep -F "$BOB_DIR" <<<"$OUT" | grep -q "removed"'

# ---- S3: bob's session ends normally ----
BOB_ID=$(session_of vmb)
ssh_bg_end "$PID_b"
check "S3: bob's gateway ends when his ssh goes" sec_wait_until 50 gone "$BOB_GW"
sec_wait_until 30 eval '[ -n "$(jl "rec('"'end'"', '"'$BOB_ID'"').get('"'reason'"', '"''"')")" ]'
check "S3: bob's end record: reason ssh-closed ($(jl "rec('end', '$BOB_ID').get('reason')"))" \
    [ "$(jl "rec('end', '$BOB_ID').get('reason')")" = ssh-closed ]
check "S3: bob's session dir is gone with his session" test ! -e "$BOB_DIR"

finish
