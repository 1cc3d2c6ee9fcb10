#!/bin/bash
# Identities that open everything: the socket ACL decides who may open a
# VM, but two identities pass every ACL — root (uid 0: QEMU's sockets are
# root's) and the gateway account itself (u:ACCOUNT:rw on every socket, so
# that the gateway can relay). A key line naming either, or one without
# --identity in shared-account mode (the identity is then the account
# running the gateway: the shared account), opens every VM. Performed for
# real: those key lines in a real sshd's authorized_keys with the gateway as
# forced command, `ssh -X` from a "laptop" Xvfb, a QEMU Spice server whose
# socket grants only the account and alice's group.
#
# Threats                                   Assertions
# ---------------------------------------   ------------------------------------------------
# I1 --identity root                        for each of I1-I4, through sshd:
# I2 --identity ALIAS, another name of        open: exit 3 within the watchdog (no console
#    uid 0 (useradd -o -u 0)                   opens), the person is told the key may open
# I3 --identity ACCOUNT (the gateway's own    no console; no start record, no viewer, no
#    account, which the config's account =    session dir; a denied record naming the
#    names)                                   identity, saying why
# I4 no --identity in shared-account mode   list: exit 3, no VM named; a denied record
#                                           control: the key of alice (in the socket's group) still
#                                           lists debianx, and a per-person gateway (run
#                                           as alice herself, no --identity) still may
# I5 the admin writes such a line           `authorize` refuses root, the uid-0 alias and
#                                             the account (exit 2, saying why), and still
#                                             writes alice's line
# I6 such lines already in the key file     `check` names each (line number and why): root,
#                                             the alias, the account, no --identity
#
# Usage: test-identity.sh GATEWAY-BINARY ADMIN-BINARY    (TAP; needs root, else exit 77)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../integration/lib.sh"
. "$HERE/../integration/sshd-lib.sh"
. "$HERE/security-lib.sh"
need_root
GW=$(realpath "$1") ADMIN=$(realpath "$2")

for prog in qemu-system-x86_64 remote-viewer Xvfb /usr/sbin/sshd ssh ssh-keygen xauth \
            setfacl setpriv python3 useradd; do
    if ! command -v "$prog" >/dev/null; then
        echo "1..0 # SKIP $prog is not installed (scripts/install-deps installs it)"
        exit 77
    fi
done

P=$(vmc_prefix i)
VMC_T_DIR=$(mktemp -d /tmp/vmc-identity-XXXXXX)
chmod 0755 "$VMC_T_DIR"
D=$VMC_T_DIR
ROOT_ALIAS=${P}r0
SSH_PIDS=""

cleanup() {
    local p
    for p in $SSH_PIDS; do kill "$p" 2>/dev/null; done
    sshd_cleanup
    stop_all_qemu 2>/dev/null
    stop_all_xvfb 2>/dev/null
    for p in $SSH_PIDS; do wait "$p" 2>/dev/null; done
    # a second name for uid 0: userdel refuses without -f (uid 0 runs processes)
    getent passwd "$ROOT_ALIAS" >/dev/null && userdel -f "$ROOT_ALIAS" 2>/dev/null
    cleanup_common
}
trap cleanup EXIT

ACCOUNT=${P}gw ALICE=${P}al SPICEX=${P}sx
CONF=$D/gateway.conf
LOG=$D/log/sessions.jsonl
RUN=$D/run

add_group "$SPICEX" && add_user "$ALICE" "$SPICEX" || exit 1
useradd -o -u 0 -g 0 -M -N -d "$D/nohome" -s /usr/sbin/nologin "$ROOT_ALIAS" || exit 1
sshd_add_account "$ACCOUNT" && gateway_prepare_dirs || exit 1
install -d -m 0755 "$D/spicex"
cat > "$CONF" <<EOF
[gateway]
socket-pattern = $D/spicex/%s.sock
log = $LOG
run-dir = $RUN
account = $ACCOUNT

[vm debianx]
title = Identity test VM
acl = group:$SPICEX:rw
EOF
chmod 0644 "$CONF"
start_qemu debianx "$D/spicex" || exit 1
setfacl -m "u:$ACCOUNT:rw,g:$SPICEX:rw" "$D/spicex/debianx.sock"
start_xvfb laptop || exit 1
LAPTOP=$XVFB_DISPLAY
: > "$D/laptop.xauth"
sshd_start || exit 1
GW=$(install_gateway "$GW" "$D") || exit 1
sshd_add_key alice "$GW --config $CONF --identity $ALICE" &&
sshd_add_key root "$GW --config $CONF --identity root" &&
sshd_add_key alias "$GW --config $CONF --identity $ROOT_ALIAS" &&
sshd_add_key account "$GW --config $CONF --identity $ACCOUNT" &&
sshd_add_key noid "$GW --config $CONF" || exit 1
echo "# sshd on 127.0.0.1:$VMC_SSHD_PORT, account $ACCOUNT, laptop display $LAPTOP"

# ssh in the foreground with a watchdog: a console that opens keeps ssh
# running, and the watchdog ends it after WATCH s. Sets RC, VIEWER_SEEN and
# DIR_SEEN (a viewer of the account, a session dir existed meanwhile); output in $D/TAG.{out,err}.
WATCH=20
run_watched() { # run_watched TAG PERSON REQUEST [SSH-OPTION...]
    local tag=$1 person=$2 request=$3 pid; shift 3
    DISPLAY=$LAPTOP XAUTHORITY=$D/laptop.xauth \
        ssh_as "$person" "$@" -- "$request" </dev/null >"$D/$tag.out" 2>"$D/$tag.err" &
    pid=$!
    SSH_PIDS="$SSH_PIDS $pid"
    VIEWER_SEEN=0 DIR_SEEN=0
    for _ in $(seq $((WATCH * 5))); do
        pid_alive "$pid" || break
        [ -n "$(viewer_pids)" ] && VIEWER_SEEN=1
        [ -n "$(ls -d "$RUN"/session-* 2>/dev/null)" ] && DIR_SEEN=1
        sleep 0.2
    done
    if pid_alive "$pid"; then
        echo "watchdog: ended after $WATCH s (the console had opened)" >> "$D/$tag.err"
        pkill -P "$pid" 2>/dev/null; kill "$pid" 2>/dev/null
    fi
    wait "$pid"
    RC=$?
    SSH_PIDS=$(vmc_words_without "$pid" "$SSH_PIDS")
}
viewer_pids() {
    local p
    for p in $(pgrep -u "$ACCOUNT" -x remote-viewer 2>/dev/null) \
             $(pgrep -u "$ACCOUNT" -x bwrap 2>/dev/null); do
        pid_alive "$p" && echo "$p"
    done
}
records() { # records EVENT PYTHON-CONDITION-ON-r
    python3 -c '
import json, sys
print(sum(1 for l in open(sys.argv[1], encoding="utf-8") if l.strip()
          for r in [json.loads(l)] if r.get("event") == sys.argv[2] and eval(sys.argv[3])))' \
        "$LOG" "$1" "$2"
}
last_denied_reason() { # last_denied_reason IDENTITY
    python3 -c '
import json, sys
m = [r for l in open(sys.argv[1], encoding="utf-8") if l.strip()
     for r in [json.loads(l)] if r.get("event") == "denied" and r.get("identity") == sys.argv[2]]
print(m[-1].get("reason", "") if m else "")' "$LOG" "$1"
}
has() { grep -qF -- "$2" <<<"$1"; } # has TEXT NEEDLE

# ---- I1-I4 through sshd ----
# refused KEY IDENTITY TAG WHY-NEEDLE: the key's open and list are refused
refused() {
    local key=$1 identity=$2 tag=$3 why=$4 denied_before reason
    denied_before=$(records denied "r.get('identity') == '$identity'")
    run_watched "$tag-open" "$key" debianx
    echo "# $tag: open exit $RC; the person saw: $(head -3 "$D/$tag-open.err" | tr '\n' ' ')"
    check "$tag: the open is refused with exit 3, at once (got $RC)" [ "$RC" = 3 ]
    check "$tag: the person is told this key may open no console" \
        grep -q "may open no console" "$D/$tag-open.err"
    check "$tag: no start record for $identity" \
        [ "$(records start "r.get('identity') == '$identity'")" = 0 ]
    check "$tag: no viewer started, no session dir made" \
        eval '[ "$VIEWER_SEEN" = 0 ] && [ "$DIR_SEEN" = 0 ] && [ -z "$(viewer_pids)" ]'
    reason=$(last_denied_reason "$identity")
    check "$tag: a denied record for $identity saying why ($reason)" \
        eval '[ "$(records denied "r.get('"'identity'"') == '"'$identity'"'")" -gt "$denied_before" ] &&
              has "$reason" "$why"'
    run_watched "$tag-list" "$key" list -x
    check "$tag: list is refused with exit 3 (got $RC)" [ "$RC" = 3 ]
    check "$tag: list names no VM" eval '! grep -q debianx "$D/$tag-list.out" "$D/$tag-list.err"'
}
refused root root I1 "uid 0"
refused alias "$ROOT_ALIAS" I2 "uid 0"
refused account "$ACCOUNT" I3 "the gateway account $ACCOUNT"
refused noid "$ACCOUNT" I4 "no --identity"

run_watched alice-list alice list -x
check "control: alice's key still lists debianx (exit $RC)" \
    eval '[ "$RC" = 0 ] && grep -q "^debianx" "$D/alice-list.out"'
OUT=$(cd / && env -i PATH=/usr/bin:/bin SSH_ORIGINAL_COMMAND=list \
      setpriv --reuid="$ALICE" --regid="$SPICEX" --init-groups "$GW" --config "$CONF" 2>&1)
check "control: a per-person gateway (alice's own account, no --identity) lists debianx" \
    has "$OUT" debianx

# ---- I5: authorize refuses to write such a line ----
ssh-keygen -q -t ed25519 -N '' -C x@laptop -f "$D/newkey" || exit 1
admin() { # admin ARGS... -> OUT ERR RC
    OUT=$("$ADMIN" --config "$CONF" "$@" 2>"$D/admin.err"); RC=$?
    ERR=$(cat "$D/admin.err")
}
for who in "root:uid 0" "$ROOT_ALIAS:uid 0" "$ACCOUNT:the gateway account"; do
    name=${who%%:*} why=${who#*:}
    admin authorize "$name" "$D/newkey.pub" --append "$D/new_keys"
    check "I5: authorize $name is refused (exit $RC, wanted 2): $ERR" \
        eval '[ "$RC" = 2 ] && has "$ERR" "$why"'
done
check "I5: nothing was written" eval '[ ! -s "$D/new_keys" ]'
admin authorize "$ALICE" "$D/newkey.pub"
check "I5: authorize $ALICE still prints her line (exit $RC)" \
    eval '[ "$RC" = 0 ] && has "$OUT" "--identity $ALICE\""'

# ---- I6: check names each such line ----
admin check --no-probe --gateway "$GW" --sshd-config "$VMC_SSHD_DIR/sshd_config"
grep problem <<<"$OUT" | sed 's/^/# /'
keys=$VMC_SSHD_DIR/authorized_keys
line_of() { grep -n -- "$1" "$keys" | head -1 | cut -d: -f1; } # line_of TEXT
for c in "root:--identity root\":uid 0" "alias:--identity $ROOT_ALIAS\":uid 0" \
         "account:--identity $ACCOUNT\":the gateway account" \
         "no --identity:--config $CONF\":no --identity"; do
    what=${c%%:*} rest=${c#*:}; text=${rest%%:*} why=${rest#*:}
    n=$(line_of "$text")
    check "I6: check names the $what line ($keys line $n: $why)" \
        eval 'grep -F "problem: " <<<"$OUT" | grep -F "line $n" | grep -qF -- "$why"'
done
check "I6: check exits 3" [ "$RC" = 3 ]

finish
