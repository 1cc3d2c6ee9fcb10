#!/bin/bash
# vmconsole-admin authorize, acl apply and check against the real thing:
# real users and groups, a QEMU Spice socket, a real sshd (its -T output and
# its logins), the libvirt hook script. `check` must name each classic
# mistake planted one at a time, and be clean (exit 0) on a clean setup.
# Usage: test-admin-setup.sh ADMIN-BINARY GATEWAY-BINARY LIBVIRT-HOOK
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sshd-lib.sh"
need_root
ADMIN=$(realpath "$1") GATEWAY=$(realpath "$2") HOOK=$(realpath "$3")

P=$(vmc_prefix s)
VMC_T_DIR=$(mktemp -d /tmp/vmc-setup-XXXXXX)
chmod 0755 "$VMC_T_DIR"
trap 'sshd_cleanup; cleanup_common' EXIT
D=$VMC_T_DIR
# the account runs the gateway: a build dir under /root is not reachable for it
GATEWAY=$(install_gateway "$GATEWAY" "$D") || exit 1

add_group "${P}sx" && add_user "${P}al" "${P}sx" && add_user "${P}bo" && add_user "${P}ca" ||
    exit 1
ALICE=${P}al BOB=${P}bo CAROL=${P}ca ACC=${P}gw
sshd_add_account "$ACC" && gateway_prepare_dirs || exit 1
install -d -m 0755 "$D/spicex"
start_qemu debianx "$D/spicex" || exit 1
SOCK=$D/spicex/debianx.sock

write_config() { # write_config [EXTRA-GATEWAY-LINE] [EXTRA-SECTIONS]
    cat > "$D/gateway.conf" <<CONF
[gateway]
socket-pattern = $D/spicex/%s.sock
log = $D/log/sessions.jsonl
run-dir = $D/run
account = ${1:-$ACC}

[vm debianx]
acl = group:${P}sx:rw
${2:-}
CONF
}
write_config
sshd_start || exit 1
SSHD_CONF=$VMC_SSHD_DIR/sshd_config
KEYS=$VMC_SSHD_DIR/authorized_keys

admin() { # admin ARGS... -> OUT ERR RC
    OUT=$("$ADMIN" --config "$D/gateway.conf" "$@" 2>"$D/stderr"); RC=$?
    ERR=$(cat "$D/stderr")
}
has() { grep -qF -- "$2" <<<"$1"; } # has TEXT NEEDLE
# connect to a socket as USER (real credentials, all groups); the system
# python, which every user may run
connect_as() { # connect_as USER SOCKET
    setpriv --reuid="$1" --regid="$(id -g "$1")" --init-groups /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])' "$2" 2>/dev/null
}

# ---- acl apply ----
check "before acl apply, $ALICE cannot connect" eval '! connect_as "$ALICE" "$SOCK"'
admin acl apply debianx
ok $RC "acl apply exits 0 ($ERR)"
check "acl apply reports what it added" has "$OUT" "added user:$ACC:rw-"
check "... the stored group entry too" has "$OUT" "group:${P}sx:rw-"
FACL=$(getfacl -cp "$SOCK" 2>/dev/null)
check "getfacl shows the policy group" has "$FACL" "group:${P}sx:rw-"
check "getfacl shows the gateway account" has "$FACL" "user:$ACC:rw-"
check "getfacl: the mask cuts nothing (named rw effective)" eval \
    '! grep -q "#effective" <<<"$FACL"'
check "$ALICE (group ${P}sx) can connect after acl apply" connect_as "$ALICE" "$SOCK"
check "the gateway account can connect" connect_as "$ACC" "$SOCK"
check "$BOB (not granted) still cannot" eval '! connect_as "$BOB" "$SOCK"'
admin acl apply
ok $RC "acl apply without VMs (all with a policy) exits 0"
check "a second apply changes nothing" has "$OUT" "debianx: $SOCK: unchanged"

ln -s "$SOCK" "$D/spicex/linky.sock"
write_config "" "[vm linky]
socket = $D/spicex/linky.sock
acl = user:$BOB:rw"
admin acl apply linky
check "acl apply refuses a symlinked socket" test "$RC" = 1
check "... and says so" has "$ERR" "symbolic link"
check "... and did not touch the target" eval '! getfacl -cp "$SOCK" | grep -q "user:$BOB"'
rm -f "$D/spicex/linky.sock"
admin acl apply nosuchvm
check "acl apply of a VM without a stored policy fails, naming it" \
    eval '[ "$RC" = 1 ] && has "$ERR" "nosuchvm has no stored ACL policy"'
write_config

# ---- the libvirt hook: QEMU recreates the socket at each start ----
stop_qemu debianx && start_qemu debianx "$D/spicex" || exit 1
check "after a VM restart the ACL is gone" eval '! connect_as "$ALICE" "$SOCK"'
VMCONSOLE_ADMIN=$ADMIN VMCONSOLE_CONFIG=$D/gateway.conf sh "$HOOK" debianx stopped end - \
    </dev/null >/dev/null 2>&1
check "the hook ignores other operations" eval '! connect_as "$ALICE" "$SOCK"'
VMCONSOLE_ADMIN=$ADMIN VMCONSOLE_CONFIG=$D/gateway.conf sh "$HOOK" 'x;touch '"$D"'/pwned' \
    started begin - </dev/null >/dev/null 2>&1
check "the hook ignores a hostile VM name" test ! -e "$D/pwned"
VMCONSOLE_ADMIN=$ADMIN VMCONSOLE_CONFIG=$D/gateway.conf sh "$HOOK" debianx started begin - \
    </dev/null >/dev/null 2>&1
ok $? "the hook exits 0"
check "the libvirt hook (started) re-applies the policy" connect_as "$ALICE" "$SOCK"

# ---- authorize ----
mkdir -p "$D/keys" && chmod 0700 "$D/keys"
for person in "$ALICE" "$BOB" "$CAROL"; do
    ssh-keygen -q -t ed25519 -N '' -C "$person@laptop" -f "$D/keys/$person" || exit 1
done
admin authorize "$ALICE" "$D/keys/$ALICE.pub"
ok $RC "authorize prints a line"
LINE=$OUT
GW_IN_LINE=$(sed -n 's/^restrict,command="\([^ ]*\) --identity .*/\1/p' <<<"$LINE")
check "the line starts restrict,command=\"/ABS/vmconsole-gateway --identity NAME\"" \
    eval 'case $GW_IN_LINE in /*/vmconsole-gateway) true ;; *) false ;; esac'
check "... with X11 forwarding, the key and its comment" \
    has "$LINE" "--identity $ALICE\",X11-forwarding $(cut -d' ' -f1,2 "$D/keys/$ALICE.pub") $ALICE@laptop"
# the real sshd must accept it: log in and see the gateway answer `list`
for_sshd() { # the line with the build's gateway and the test config
    sed "s|command=\"$GW_IN_LINE |command=\"$GATEWAY --config $D/gateway.conf |" <<<"$1"
}
for_sshd "$LINE" >> "$KEYS"
LIST=$(ssh_as "$ALICE" -x -- list 2>&1); RC=$?
ok $RC "sshd accepts the authorize line and runs the gateway ($LIST)"
check "... which lists debianx for $ALICE" has "$LIST" debianx

admin authorize "$CAROL" "$D/keys/$CAROL.pub" --audio --from 127.0.0.1,::1
check "authorize --audio: a dynamic reverse port" \
    has "$OUT" ',port-forwarding,permitlisten="localhost:*",from="127.0.0.1,::1"'
for_sshd "$OUT" >> "$KEYS"
ssh_as "$CAROL" -x -o ExitOnForwardFailure=yes -R 0:localhost:4713 -- list >/dev/null 2>&1
ok $? "sshd accepts the --audio --from line, with a reverse forward"

admin authorize "$BOB" "$D/keys/$BOB.pub" --expires 2001-02-03
check "authorize --expires in the past warns" has "$ERR" "already past"
check "... and writes OpenSSH's expiry-time" has "$OUT" 'expiry-time="20010203000000"'
for_sshd "$OUT" >> "$KEYS"
ssh_as "$BOB" -x -- list >/dev/null 2>&1
check "sshd refuses the expired key" test $? = 255
admin authorize "$BOB" "$D/keys/$BOB.pub" --expires 2099-12-31T23:59
check "authorize --expires in the future does not warn" test -z "$ERR"
sed -i '/expiry-time="20010203000000"/d' "$KEYS"
for_sshd "$OUT" >> "$KEYS"
ssh_as "$BOB" -x -- list >/dev/null 2>&1
ok $? "... the same key with a future expiry logs in (it was the date)"

admin authorize "$ALICE" "$D/keys/$ALICE.pub" --expires tomorrow
check "authorize refuses a bad date" eval '[ "$RC" = 2 ] && has "$ERR" "not a date"'
admin authorize 'al"ice' "$D/keys/$ALICE.pub"
check "authorize refuses an identity with a quote" test "$RC" = 2
admin authorize "$ALICE" "$D/keys/$ALICE"
check "authorize refuses a private key file" eval '[ "$RC" = 1 ] && has "$ERR" "is a private key"'

install -m 0644 /dev/null "$D/ak"
admin authorize "$ALICE" "$D/keys/$ALICE.pub" --append "$D/ak"
ok $RC "authorize --append adds the line"
admin authorize "$ALICE" "$D/keys/$ALICE.pub" --append "$D/ak" --audio
check "authorize --append refuses the same key again" \
    eval '[ "$RC" = 1 ] && has "$ERR" "already holds this key (line 1)"'
check "... and the file still has one line" test "$(wc -l < "$D/ak")" = 1
check "... mode kept" test "$(stat -c %a "$D/ak")" = 644
ln -s "$D/ak" "$D/ak-link"
admin authorize "$BOB" "$D/keys/$BOB.pub" --append "$D/ak-link"
check "authorize --append refuses a symlink" eval '[ "$RC" = 1 ] && has "$ERR" "symbolic link"'

# ---- check: clean ----
admin check --gateway "$GATEWAY" --sshd-config "$SSHD_CONF"
ok $RC "check on a clean setup exits 0 ($(grep problem <<<"$OUT" | head -3))"
check "check says so" has "$OUT" "no problems found"
check "check probes the VM and says it answers" has "$OUT" "debianx answers (display "
check "check says the sandbox is there and what it protects with" \
    eval 'grep -q "^sandbox: ok: .*vmconsole-confine: .*net-ns.*seccomp" <<<"$OUT"' 
check "check says where USB redirection (native mode) is allowed: nowhere by default" \
    eval 'grep -q "^usb: ok: USB redirection (native mode) is denied by default$" <<<"$OUT"'

# Plant MISTAKE with the shell code SETUP, expect check to exit 3 with a
# problem line holding NEEDLE, then run UNDO.
planted() { # planted DESCRIPTION NEEDLE SETUP UNDO [CHECK-ARGS...]
    local desc=$1 needle=$2 setup=$3 undo=$4
    shift 4
    eval "$setup"
    admin check --gateway "$GATEWAY" --no-probe --sshd-config "$SSHD_CONF" "$@"
    local line
    line=$(grep -F -- "problem: " <<<"$OUT" | grep -F -- "$needle" | head -1)
    if [ "$RC" = 3 ] && [ -n "$line" ] && has "$line" " -- do: "; then
        ok 0 "check finds: $desc"
    else
        ok 1 "check finds: $desc (exit $RC; wanted '$needle'; got: $(grep problem <<<"$OUT"))"
    fi
    eval "$undo"
}

# sockets
planted "a socket ACL that differs from the stored policy" "differs from its stored policy" \
    'setfacl -x "g:${P}sx" "$SOCK"' '"$ADMIN" --config "$D/gateway.conf" acl apply >/dev/null'
planted "a socket the gateway account cannot connect to" "cannot connect to VM debianx" \
    'setfacl -m "u:$ACC:r" "$SOCK"' '"$ADMIN" --config "$D/gateway.conf" acl apply >/dev/null'
planted "a configured VM whose socket is missing" "VM gone: cannot open" \
    'write_config "" "[vm gone]
socket = $D/spicex/gone.sock"' 'write_config'
# sshd: each setting that must not be (or must be) in the effective config
cp "$SSHD_CONF" "$D/sshd_config.good"
for change in "AllowStreamLocalForwarding yes:allowstreamlocalforwarding" \
        "AllowTcpForwarding yes:allowtcpforwarding" "PermitTTY yes:permittty" \
        "PermitUserRC yes:permituserrc" "AllowAgentForwarding yes:allowagentforwarding" \
        "AcceptEnv LANG LC_*:AcceptEnv LANG LC_*" "X11Forwarding no:x11forwarding" \
        "ExposeAuthInfo no:exposeauthinfo" "PermitOpen any:permitopen" \
        "PermitUserEnvironment yes:permituserenvironment" \
        "UnusedConnectionTimeout none:unusedconnectiontimeout"; do
    setting=${change%%:*} needle=${change#*:}
    planted "sshd: $setting" "$needle" \
        '{ grep -v "^${setting%% *} " "$D/sshd_config.good"; echo "$setting"; } > "$SSHD_CONF"' \
        'cp "$D/sshd_config.good" "$SSHD_CONF"'
done
# key lines
cp "$KEYS" "$D/keys.good"
KEY_A=$(cut -d' ' -f1,2 "$D/keys/$ALICE.pub")
planted "a key line without restrict" "key without restrict" \
    'echo "command=\"$GATEWAY --identity $ALICE\" $(cut -d" " -f1,2 "$D/keys/$BOB.pub")" >> "$KEYS"' \
    'cp "$D/keys.good" "$KEYS"'
planted "a key line without command=" "key without command=" \
    'echo "restrict $(cut -d" " -f1,2 "$D/keys/$BOB.pub")" >> "$KEYS"' 'cp "$D/keys.good" "$KEYS"'
planted "a key line with a wrong identity" "--identity ${P}zz is not a known user" \
    'echo "restrict,command=\"$GATEWAY --identity ${P}zz\" $(cut -d" " -f1,2 "$D/keys/$BOB.pub")" >> "$KEYS"' \
    'cp "$D/keys.good" "$KEYS"'
planted "a key line for root" "identity root is uid 0 (root)" \
    'echo "restrict,command=\"$GATEWAY --identity root\" $(cut -d" " -f1,2 "$D/keys/$BOB.pub")" >> "$KEYS"' \
    'cp "$D/keys.good" "$KEYS"'
planted "a key line for the gateway account" "identity $ACC is the gateway account $ACC itself" \
    'echo "restrict,command=\"$GATEWAY --identity $ACC\" $(cut -d" " -f1,2 "$D/keys/$BOB.pub")" >> "$KEYS"' \
    'cp "$D/keys.good" "$KEYS"'
planted "a key line without --identity" "runs the gateway with no --identity" \
    'echo "restrict,command=\"$GATEWAY --config $D/gateway.conf\" $(cut -d" " -f1,2 "$D/keys/$BOB.pub")" >> "$KEYS"' \
    'cp "$D/keys.good" "$KEYS"'
planted "a duplicate key" "the same key as on line 1" \
    'echo "restrict,command=\"$GATEWAY --identity $BOB\" $KEY_A" >> "$KEYS"' \
    'cp "$D/keys.good" "$KEYS"'
planted "a world-writable key file" "$KEYS is writable by everyone" \
    'chmod 0666 "$KEYS"' 'chmod 0644 "$KEYS"'
planted "a key file not owned by root" "$KEYS is owned by uid $(id -u "$ACC")" \
    'chown "$ACC" "$KEYS"' 'chown root "$KEYS"'
planted "a group-writable directory above the key file" "$VMC_SSHD_DIR is writable by its group" \
    'chmod 0775 "$VMC_SSHD_DIR"' 'chmod 0755 "$VMC_SSHD_DIR"'
HOME_ACC=$D/home/$ACC
planted "key file in the account's own (non-root) home" "$HOME_ACC is owned by uid" \
    'cp "$KEYS" "$HOME_ACC/authorized_keys"
     sed -i "s|^AuthorizedKeysFile .*|AuthorizedKeysFile %h/authorized_keys|" "$SSHD_CONF"' \
    'cp "$D/sshd_config.good" "$SSHD_CONF"; rm -f "$HOME_ACC/authorized_keys"'
# the log
planted "a log directory the account can write" "$ACC can write the log directory" \
    'setfacl -m "u:$ACC:rwx" "$D/log"' 'setfacl -b "$D/log"'
planted "a log directory not owned by root" "the log directory is not root's alone" \
    'chown "$ACC" "$D/log"' 'chown root "$D/log"'
planted "a missing log file" "the session log is missing" \
    'mv "$D/log/sessions.jsonl" "$D/log.moved"' 'mv "$D/log.moved" "$D/log/sessions.jsonl"'
planted "a log file the account cannot append to" "$ACC cannot append to the session log" \
    'chown root "$D/log/sessions.jsonl"' 'chown "$ACC" "$D/log/sessions.jsonl"'
# the run dir
planted "a run dir others can get into" "others than $ACC can get into the run dir" \
    'chmod 0755 "$D/run"' 'chmod 0700 "$D/run"'
planted "a run dir of another owner" "the run dir belongs to uid 0" \
    'chown root "$D/run"' 'chown "$ACC" "$D/run"'
planted "a missing run dir (after a reboot without systemd-tmpfiles)" "the run dir is missing" \
    'mv "$D/run" "$D/run.away"' 'mv "$D/run.away" "$D/run"'
check "... and the hint names systemd-tmpfiles and the manual way" \
    eval 'grep "the run dir is missing" <<<"$OUT" | grep -q "systemd-tmpfiles --create vmconsole.conf.*install -d -m 0700 -o $ACC -g $ACC $D/run"'
# the VMs' socket directory: missing (QEMU cannot bind), or not listable by the account
planted "a missing socket directory" "the VMs' socket directory $D/nodir does not exist" \
    'sed -i "s|^socket-pattern = .*|socket-pattern = $D/nodir/%s.sock|" "$D/gateway.conf"' 'write_config'
check "... the hint says how to make it for QEMU's account" \
    eval 'grep "socket directory" <<<"$OUT" | grep -qF "install -d -m 0750 -o libvirt-qemu -g libvirt-qemu $D/nodir && setfacl -m u:$ACC:rx $D/nodir"'
planted "a socket directory the account cannot list" "$ACC cannot list the VMs' socket directory" \
    'chmod 0700 "$D/spicex"' 'chmod 0755 "$D/spicex"'
planted "a FIFO in place of a console lock" "$D/run/debianx.lock is a FIFO" \
    'mkfifo "$D/run/debianx.lock" && chown "$ACC" "$D/run/debianx.lock"' 'rm -f "$D/run/debianx.lock"'
planted "a session dir that is no directory" "$D/run/session-x is no live session" \
    'ln -s / "$D/run/session-x"' 'rm -f "$D/run/session-x"'
# the viewer's sandbox
planted "sandbox = off" "the viewer runs without its sandbox" \
    'sed -i "s/^\\[gateway\\]\$/[gateway]\\nsandbox = off/" "$D/gateway.conf"' 'write_config'
planted "vmconsole-confine missing beside the gateway" "vmconsole-confine is not installed" \
    'mv "$D/vmconsole-confine" "$D/confine.moved"' 'mv "$D/confine.moved" "$D/vmconsole-confine"'
# the sound tunnel's owner check
planted "tunnel-check = off" "accepts any loopback port as a sound tunnel" \
    'sed -i "s/^\\[gateway\\]\$/[gateway]\\ntunnel-check = off/" "$D/gateway.conf"' 'write_config'
planted "vmconsole-tunnel-check without its capability" "has no cap_sys_ptrace capability" \
    'setcap -r "$D/vmconsole-tunnel-check"' 'setcap cap_sys_ptrace+ep "$D/vmconsole-tunnel-check"'
# the account
planted "a gateway account that does not exist" "the gateway account" \
    'write_config "${P}nobody"' 'write_config'
# ... and check goes on past it: everything it can still check is checked
write_config "${P}nobody" "[vm gone]
socket = $D/spicex/gone.sock"
admin check --gateway "$GATEWAY" --sshd-config "$SSHD_CONF"
check "no account: exit 3" test "$RC" = 3
check "no account: said, with the way to create it" \
    eval 'grep "^account: problem: " <<<"$OUT" | grep -q "systemd-sysusers vmconsole.conf"'
for area in sshd sandbox sound log run-dir; do
    check "no account: check goes on to $area" eval 'grep -q "^$area: " <<<"$OUT"'
done
check "no account: a missing socket is still reported" has "$OUT" "problem: VM gone: cannot open"
check "no account: ... with the libvirt XML and the QEMU flags for it" \
    has "$OUT" "<listen type='socket' socket='$D/spicex/gone.sock'/>"
check "no account: the running VM is still probed" has "$OUT" "debianx answers (display "
write_config

# a VM found by the socket pattern whose socket accepts connections but is no
# Spice server, and the account cannot reach it: both said, with the probe
listen_socket "$D/spicex/plain.sock" || exit 1
chmod 0600 "$D/spicex/plain.sock"
admin check --gateway "$GATEWAY" --sshd-config "$SSHD_CONF"
sed 's/^/# /' <<<"$OUT"
check "check: a socket that answers but is no Spice server" \
    has "$OUT" "VM plain accepts connections on its socket but no Spice client gets a display"
check "check: ... and the account cannot connect to it" has "$OUT" "cannot connect to VM plain"
check "check: ... while debianx still answers" has "$OUT" "debianx answers"
check "check: exit 3 when something is found" test "$RC" = 3
kill "${VMC_T_PIDS##* }" 2>/dev/null
rm -f "$D/spicex/plain.sock" "$D/spicex/plain.sock.ready"

# a VM stopped on purpose leaves its socket file, which refuses connections:
# information, not a problem (QEMU here; libvirt leaves it the same way)
stop_qemu debianx || exit 1
admin check --gateway "$GATEWAY" --sshd-config "$SSHD_CONF"
check "check: a stopped VM (its socket left) is no problem: exit 0 ($(grep problem <<<"$OUT" | head -3))" \
    test "$RC" = 0
check "check: ... it is said as an ok line" \
    eval 'grep -q "^sockets: ok: debianx is not running ($SOCK is left from its last run and refuses connections)" <<<"$OUT"'
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$D/spicex/plain.sock"
admin check --gateway "$GATEWAY" --sshd-config "$SSHD_CONF" --no-probe
check "check --no-probe: a socket nobody listens on is a VM that is not running, too" \
    eval '[ "$RC" = 0 ] && has "$OUT" "ok: plain is not running"'
rm -f "$D/spicex/plain.sock"
start_qemu debianx "$D/spicex" || exit 1
"$ADMIN" --config "$D/gateway.conf" acl apply >/dev/null

# a session dir that a killed gateway left: removed, and said, not a problem
install -d -m 0700 -o "$ACC" -g "$ACC" "$D/run/session-0123" "$D/run/session-0123/home"
install -m 0600 -o "$ACC" /dev/null "$D/run/session-0123/Xauthority"
admin check --gateway "$GATEWAY" --sshd-config "$SSHD_CONF" --no-probe
check "check removes a killed gateway's session dir" test ! -e "$D/run/session-0123"
check "... and says so" has "$OUT" "run-dir: ok: removed $D/run/session-0123, the session dir"

admin check --gateway "$GATEWAY" --sshd-config "$SSHD_CONF" --no-probe
ok $RC "check is clean again after every undo ($(grep problem <<<"$OUT" | head -3))"
admin check extra
check "check refuses arguments" test "$RC" = 2
admin acl apply --json
check "acl refuses options it does not take" test "$RC" = 2

finish
