#!/bin/bash
# Threat: a key that may open a sound tunnel holds loopback ports on the host
# without ever running the gateway (issue 10, "Sound").
#
# The launcher's reverse forward is on a port sshd picks (-R 0:...), which
# OpenSSH 9.2 allows only with permitlisten="localhost:*": any loopback port
# >= 1024, the X11 displays 6010-6999 included ("localhost:0" is no valid
# key option: sshd then refuses the whole key). A forward lives as long as
# its connection, and `ssh -N -R ...` opens no session: the forced command
# never runs, nothing is recorded. What closes such a connection is sshd's
# UnusedConnectionTimeout (OpenSSH 9.2), set for the account in the project's
# data/sshd_config.vmconsole.in; this test runs that very snippet.
#
# Through a real sshd with the snippet and a key line printed by
# `vmconsole-admin authorize --audio`:
#   a. the key line is what authorize prints: restrict, the gateway as forced
#      command, port-forwarding, permitlisten="localhost:*"
#   b. ssh -N -R 0:... (no session, no gateway): the listener exists, and sshd
#      closes the connection within the snippet's timeout (+5 s); the port is
#      free again
#   c. ssh -N -R on a port in the X11 display range: the same
#   d. a ControlMaster connection whose gateway ran and ended ('help'): its
#      forward is gone within the timeout too
#   e. nothing ran: no session record
#   f. vmconsole-admin check finds no problem with unusedconnectiontimeout
#      under the snippet; with the snippet's line taken out it does
#
# Usage: test-tunnel-only.sh GATEWAY ADMIN SNIPPET   (TAP; root, else exit 77)
# (SNIPPET: the build's sshd_config.vmconsole, configured from data/'s .in)
HERE=$(cd "$(dirname "$0")" && pwd)
INTEGRATION=$HERE/../integration
. "$INTEGRATION/lib.sh"
. "$INTEGRATION/sshd-lib.sh"
need_root
GW=$(realpath "$1")
ADMIN=$(realpath "$2")
SNIPPET=$(realpath "$3")
for prog in /usr/sbin/sshd ssh ssh-keygen python3; do
    command -v "$prog" >/dev/null || { echo "1..0 # SKIP $prog is not installed"; exit 77; }
done

P=$(vmc_prefix n)
VMC_T_DIR=$(mktemp -d /tmp/vmc-tunnel-XXXXXX)
chmod 0755 "$VMC_T_DIR"
D=$VMC_T_DIR
BG=""
cleanup() {
    local p
    for p in $BG; do kill "$p" 2>/dev/null; done
    for p in $BG; do wait "$p" 2>/dev/null; done
    [ -S "$D/ctl" ] && ssh -S "$D/ctl" -O exit x 2>/dev/null
    sshd_cleanup
    cleanup_common
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

ACCOUNT=${P}gw ALICE=${P}al
add_user "$ALICE" || exit 1
sshd_add_account "$ACCOUNT" && gateway_prepare_dirs || exit 1
GW=$(install_gateway "$GW" "$D") || exit 1
LOG=$D/log/sessions.jsonl
printf "[gateway]\naccount = %s\nlog = %s\nrun-dir = %s/run\nsocket-pattern = %s/%%s.sock\n" "$ACCOUNT" \
    "$LOG" "$D" "$D" > "$D/gateway.conf"
chmod 0644 "$D/gateway.conf"

# the project's snippet, for this account and its test key file; its timeout
# is what the test expects
sed -e "s/^Match User vmconsole$/Match User $ACCOUNT/" \
    -e "s|^\([[:space:]]*AuthorizedKeysFile\) .*|\1 $D/sshd/authorized_keys|" "$SNIPPET" > "$D/snippet"
TIMEOUT=$(sed -n 's/^[[:space:]]*UnusedConnectionTimeout[[:space:]]*\([0-9]*\)s\{0,1\}[[:space:]]*$/\1/p' \
    "$D/snippet")
echo "# the snippet's UnusedConnectionTimeout: ${TIMEOUT:-none}"
VMC_T_UNUSED_TIMEOUT=none VMC_T_SSHD_APPEND=$D/snippet sshd_start || exit 1
echo "# effective for $ACCOUNT: $(/usr/sbin/sshd -T -f "$VMC_SSHD_DIR/sshd_config" \
    -C "user=$ACCOUNT,host=localhost,addr=127.0.0.1" | grep -i unusedconnectiontimeout)"
# no timeout at all: do not wait an hour to see it fail
LIMIT=$(( ${TIMEOUT:-15} + 5 ))

# ---- a. the key line authorize prints ----
ssh-keygen -q -t ed25519 -N '' -C alice@laptop -f "$D/alice" || exit 1
LINE=$("$ADMIN" --config "$D/gateway.conf" authorize "$ALICE" "$D/alice.pub" --audio)
echo "# authorize: $LINE"
check "a. authorize --audio: restrict, forced gateway, permitlisten=\"localhost:*\"" \
    eval 'grep -q "^restrict,command=\"[^\"]*vmconsole-gateway --identity $ALICE\",X11-forwarding,port-forwarding,permitlisten=\"localhost:\*\" ssh-ed25519 " <<<"$LINE"'
# the same line, with the gateway where this test installed it
sed "s|command=\"[^ ]*vmconsole-gateway |command=\"$GW --config $D/gateway.conf |" <<<"$LINE" \
    > "$VMC_SSHD_DIR/authorized_keys"

listeners_of_account() { # the account's TCP listeners on IPv4: one port a line
    local uid
    uid=$(id -u "$ACCOUNT")
    while read -r _ local _ st _ _ _ owner _; do
        [ "$st" = 0A ] && [ "$owner" = "$uid" ] && echo $((16#${local#*:}))
    done < <(tail -n +2 /proc/net/tcp) | sort -u
}
ssh_alice() { # ssh_alice SSH-OPTION... [-- COMMAND]: ssh as alice with her key
    local opts=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
    [ "${1:-}" = -- ] && shift
    ssh -F /dev/null -i "$D/alice" -o BatchMode=yes -o StrictHostKeyChecking=no \
        -o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes -o LogLevel=ERROR -x \
        -p "$VMC_SSHD_PORT" "${opts[@]}" "$ACCOUNT@127.0.0.1" "$@"
}
gateway_running() { live_pids_of "$ACCOUNT" | xargs -r ps -o args= -p | grep -q vmconsole-gateway; }
# tunnel_only TAG PORT: ssh -N -R PORT:...; the listener appears; sshd closes
# the connection within LIMIT s and the port is free again
tunnel_only() {
    local tag=$1 port=$2 before start pid state="" waited
    before=$(listeners_of_account)
    start=$(date +%s)
    ssh_alice -N -o ExitOnForwardFailure=yes -R "$port:127.0.0.1:9" </dev/null 2>"$D/$tag.err" &
    pid=$!
    BG="$BG $pid"
    NEW=""
    for _ in $(seq 50); do
        NEW=$(comm -13 <(echo "$before") <(listeners_of_account) | head -1)
        [ -n "$NEW" ] && break
        sleep 0.1
    done
    check "$tag: ssh -N -R $port: the forward is up (port ${NEW:-none}) and no gateway runs" \
        eval '[ -n "$NEW" ] && ! gateway_running'
    for _ in $(seq $((LIMIT * 10))); do pid_alive "$pid" || break; sleep 0.1; done
    waited=$(( $(date +%s) - start ))
    if pid_alive "$pid"; then state=", still connected"; kill "$pid" 2>/dev/null; fi
    wait "$pid" 2>/dev/null
    BG=$(vmc_words_without "$pid" "$BG")
    check "$tag: sshd closes the tunnel-only connection within $LIMIT s (after $waited s$state)" \
        [ -z "$state" ]
    check "$tag: port ${NEW:-?} is free again" eval '[ -n "$NEW" ] && ! listeners_of_account | grep -qx "$NEW"'
}

# ---- b. ssh -N -R 0 ----
tunnel_only b 0

# ---- c. a port in the X11 display range ----
XPORT=""
for p in $(seq 6990 -1 6900); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then XPORT=$p; break; fi
done
tunnel_only c "$XPORT"

# ---- d. a ControlMaster whose gateway ran and ended ----
before=$(listeners_of_account)
ssh_alice -M -S "$D/ctl" -o ControlPersist=yes -R "0:127.0.0.1:9" -- help </dev/null \
    >"$D/d.out" 2>"$D/d.err"
RC=$?
sed 's/^/# d: /' "$D/d.err"
NEW=$(comm -13 <(echo "$before") <(listeners_of_account) | head -1)
check "d. the gateway ran and ended ('help', exit $RC); the master keeps the forward (${NEW:-none})" \
    eval '[ "$RC" = 0 ] && grep -qi vmconsole "$D/d.out" && [ -n "$NEW" ]'
for _ in $(seq $((LIMIT * 10))); do listeners_of_account | grep -qx "$NEW" || break; sleep 0.1; done
check "d. within $LIMIT s sshd closes that connection and its forward goes" \
    eval '[ -n "$NEW" ] && ! listeners_of_account | grep -qx "$NEW"'
ssh -S "$D/ctl" -O exit x 2>/dev/null

# ---- e. nothing recorded, because nothing ran ----
check "e. no session record: the gateway never ran for b and c" \
    eval '! grep -q "\"event\":\"start\"" "$LOG" 2>/dev/null'

# ---- f. check shows the setting ----
OUT=$("$ADMIN" --config "$D/gateway.conf" check --no-probe --sshd-config "$VMC_SSHD_DIR/sshd_config" 2>&1)
check "f. check: no problem with unusedconnectiontimeout under the snippet" \
    eval '! grep -q "problem: .*unusedconnectiontimeout" <<<"$OUT"'
grep -v "UnusedConnectionTimeout" "$VMC_SSHD_DIR/sshd_config" > "$D/sshd_config.without"
OUT=$("$ADMIN" --config "$D/gateway.conf" check --no-probe --sshd-config "$D/sshd_config.without" 2>&1)
check "f. check without it: a problem naming unusedconnectiontimeout and the fix" \
    eval 'grep -q "problem: unusedconnectiontimeout is .none.: .* -- do: .*UnusedConnectionTimeout 10s" <<<"$OUT"' ||
    grep -i "unused\|sshd" <<<"$OUT" | sed 's/^/# f: /'
finish
