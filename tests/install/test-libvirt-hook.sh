#!/bin/bash
# The installed libvirt hook, called as libvirtd calls it (qemu.d/vmconsole
# VM OPERATION SUB-OPERATION EXTRA, the domain XML on stdin), in a private
# mount namespace whose /dev/log is a test syslog: it always exits 0 (libvirt
# stops a VM whose started/reconnect hook fails), applies the stored policy
# on started and reconnect, and says what it did or what went wrong in syslog
# (facility daemon, tag vmconsole-libvirt-hook): info when applied, notice
# for a VM without a policy or a name vmconsole cannot use, warning when the
# policy could not be applied (config, socket, vmconsole-admin missing, the
# unsubstituted template copied from the source tree).
# Usage: test-libvirt-hook.sh HOOK ADMIN HOOK-TEMPLATE   (TAP; root)
. "$(dirname "$0")/../integration/lib.sh"
need_root
HOOK=$(realpath "$1") ADMIN=$(realpath "$2") TEMPLATE=$(realpath "$3")
P=$(vmc_prefix h)
VMC_T_DIR=$(mktemp -d /tmp/vmc-hook-XXXXXX)
trap cleanup_common EXIT
chmod 0755 "$VMC_T_DIR"
D=$VMC_T_DIR
mkdir -p "$D/spicex"
add_group "${P}sx" && add_user "${P}gw" && add_user "${P}al" "${P}sx" || exit 1
listen_socket "$D/spicex/debianx.sock" && listen_socket "$D/spicex/nopolicy.sock" || exit 1
cat > "$D/gateway.conf" <<CONF
[gateway]
socket-pattern = $D/spicex/%s.sock
account = ${P}gw

[vm debianx]
acl = group:${P}sx:rw
CONF
XML="<domain type='qemu'><name>debianx</name></domain>"
# as meson installs it (the build's copy is not executable)
install -m 0755 "$HOOK" "$D/vmconsole" && HOOK=$D/vmconsole || exit 1

# hook SCRIPT CONFIG ADMIN ARGS...: run it as libvirtd does, in a namespace
# whose /dev/log is a test syslog; sets RC, ERR and LOG (what syslog got)
hook() {
    local script=$1 config=$2 admin=$3
    shift 3
    : > "$D/syslog"
    rm -f "$D/syslog.ready"
    printf '%s' "$XML" | VMCONSOLE_CONFIG=$config VMCONSOLE_ADMIN=$admin \
        unshare --mount --propagation private sh -c '
        d=$1; shift
        mkdir -p "$d/olddev" && mount --rbind /dev "$d/olddev" &&
        mount -t tmpfs -o size=1m,mode=0755 devtest /dev || exit 90
        for n in null zero full random urandom tty; do
            touch "/dev/$n" && mount --bind "$d/olddev/$n" "/dev/$n" || exit 91
        done
        python3 -c "
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(\"/dev/log\")
out = open(sys.argv[1], \"a\", buffering=1)
open(sys.argv[1] + \".ready\", \"w\").close()
while True:
    out.write(s.recv(4096).decode(\"utf-8\", \"replace\") + \"\n\")
" "$d/syslog" </dev/null &
        listener=$!
        for _ in $(seq 50); do [ -e "$d/syslog.ready" ] && break; sleep 0.1; done
        "$@"; rc=$?
        sleep 0.3; kill $listener
        exit $rc' sh "$D" "$script" "$@" 2>"$D/stderr"
    RC=$?
    ERR=$(cat "$D/stderr") LOG=$(cat "$D/syslog")
}
# syslog priority <PRI>: facility daemon (3) * 8 + severity
said_at() { # said_at SEVERITY-NUMBER TEXT
    grep -F -- "vmconsole-libvirt-hook: $2" <<<"$LOG" | grep -q "^<$((24 + $1))>"
}
connect_as() { # connect_as USER SOCKET
    setpriv --reuid="$1" --regid="$(id -g "$1")" --init-groups /usr/bin/python3 -c '
import socket, sys
socket.socket(socket.AF_UNIX).connect(sys.argv[1])' "$2" 2>/dev/null
}

check "before the hook, ${P}al cannot connect" eval '! connect_as "${P}al" "$D/spicex/debianx.sock"'
hook "$HOOK" "$D/gateway.conf" "$ADMIN" debianx prepare begin -
check "prepare: exit 0, nothing done, nothing said" eval '[ "$RC" = 0 ] && [ -z "$LOG" ]'
hook "$HOOK" "$D/gateway.conf" "$ADMIN" debianx started begin -
ok $RC "started: exit 0"
check "started: the policy is on the socket (${P}al connects)" connect_as "${P}al" "$D/spicex/debianx.sock"
check "started: what was applied, in syslog at info ($LOG)" said_at 6 "debianx: $D/spicex/debianx.sock: added"
check "... and on stderr" grep -qF "vmconsole-libvirt-hook: debianx: $D/spicex/debianx.sock: added" <<<"$ERR"
setfacl -b "$D/spicex/debianx.sock"
hook "$HOOK" "$D/gateway.conf" "$ADMIN" debianx reconnect begin -
check "reconnect: exit 0, the policy applied again" \
    eval '[ "$RC" = 0 ] && connect_as "${P}al" "$D/spicex/debianx.sock"'

hook "$HOOK" "$D/gateway.conf" "$ADMIN" nopolicy started begin -
check "a VM without a stored policy: exit 0, said at notice ($LOG)" \
    eval '[ "$RC" = 0 ] && said_at 5 "VM nopolicy has no stored ACL policy in $D/gateway.conf"'
hook "$HOOK" "$D/missing.conf" "$ADMIN" debianx started begin -
check "a config that is not there: exit 0, a warning naming the VM and the error ($LOG)" \
    eval '[ "$RC" = 0 ] && said_at 4 "VM debianx: its ACL policy could not be applied (vmconsole-admin acl apply, exit 1)" &&
          grep -qF "missing.conf" <<<"$LOG"'
rm -f "$D/spicex/debianx.sock"
hook "$HOOK" "$D/gateway.conf" "$ADMIN" debianx started begin -
check "a socket that is not there: exit 0, a warning ($LOG)" \
    eval '[ "$RC" = 0 ] && said_at 4 "VM debianx: its ACL policy could not be applied"'
hook "$HOOK" "$D/gateway.conf" "$D/no-such-admin" debianx started begin -
check "vmconsole-admin missing: exit 0, a warning naming it ($LOG)" \
    eval '[ "$RC" = 0 ] && said_at 4 "VM debianx: its ACL policy could not be applied: $D/no-such-admin is missing"'
hook "$HOOK" "$D/gateway.conf" "$ADMIN" 'x;touch '"$D"'/pwned' started begin -
check "a name vmconsole cannot use: exit 0, nothing run, a notice ($LOG)" \
    eval '[ "$RC" = 0 ] && [ ! -e "$D/pwned" ] && said_at 5 "VM x?touch?"'
# the newcomer's mistake: data/libvirt-hook-qemu.in copied as it is
cp "$TEMPLATE" "$D/template-hook" && chmod 0755 "$D/template-hook"
hook "$D/template-hook" "" "" debianx started begin -
check "the unsubstituted template: exit 0, and it says so at warning ($LOG)" \
    eval '[ "$RC" = 0 ] && said_at 4 "VM debianx: nothing applied: this hook is the unsubstituted template"'
finish
