#!/bin/bash
# The README's "Setup on a real host", walked step by step on this machine,
# as a newcomer admin would: the test takes the fenced blocks of that section
# from README.md, in order, and runs them —
#   sh setup                 as written (only the build dir is the test's own)
#   sh setup-without-systemd where systemd-sysusers is missing (instead of
#                            the systemd block before it)
#   sh setup-service         its own way, without systemd: "restart libvirtd"
#                            starts virtlogd and libvirtd (-d), "reload ssh"
#                            starts an sshd with the system's sshd_config on a
#                            loopback port
#   xml setup-devices        put into the <devices> of a disk-less VM
#                            `debianx` it defines (the "virsh edit" of the step)
# — on a throwaway copy of this machine: the test runs in a private mount
# namespace where /etc, /usr, /var, /run and /dev are overlays whose upper
# dirs are its temp dir (the install, the accounts, the domain, the sshd
# config never reach the host), with a test syslog on /dev/log. A block that
# fails (set -e) fails its step; a step missing or wrong shows further on.
# Then, with the real libvirtd 9.0 and QEMU: the hook applied the stored
# policy when the VM started (getfacl, and its line in syslog), again after a
# restart of the VM, and after a libvirtd restart (reconnect); `check` is
# clean; alice logs in with `ssh -X` through the sshd and sees the VM's window
# on her "laptop" Xvfb, without xauth's "does not exist" on her first login;
# a VM stopped on purpose is no problem for `check`.
# Without libvirtd here (it does not start) the VM is QEMU and the hook is
# called as libvirt calls it.
# Usage: test-setup-walk.sh SOURCE-DIR   (TAP; root; skips without overlayfs)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/sshd-lib.sh"
need_root
SRC=$(realpath "$1")
README=$SRC/README.md
if [ "${VMC_WALK_IN_NS:-}" != 1 ]; then
    grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null
    if ! grep -qw overlay /proc/filesystems; then
        echo "1..0 # SKIP no overlayfs: the walk needs a throwaway copy of /etc, /usr, /var"
        exit 77
    fi
    exec env VMC_WALK_IN_NS=1 unshare --mount --propagation private "$0" "$@"
fi

VMC_T_DIR=$(mktemp -d /tmp/vmc-walk-XXXXXX)
chmod 0755 "$VMC_T_DIR"
W=$VMC_T_DIR
WORK=$W/work          # where the blocks run (alice.pub is there)
mkdir -p "$WORK" "$W/olddev"
OVERLAID=""
SYSLOG_PID="" LIBVIRTD_PID="" VIRTLOGD_PID="" SSHD_PID="" SSH_BG=""

# ---- the throwaway machine ----
overlay() { # overlay DIR: DIR's changes go to $W/ov/DIR
    local t=${1#/}
    mkdir -p "$W/ov/$t/u" "$W/ov/$t/w" &&
        mount -t overlay "vmcwalk-$t" -o "lowerdir=/$t,upperdir=$W/ov/$t/u,workdir=$W/ov/$t/w" "/$t" &&
        OVERLAID="/$t $OVERLAID"
}
make_machine() {
    # /dev first, for a /dev/log of our own. Its submounts (stacked ones
    # too) are moved aside and back onto the overlay, in their order: a
    # submount left shadowed under it would make libvirt's QEMU namespace
    # setup fail ("Unable to move /dev/pts mount").
    local m n
    for m in pts shm mqueue hugepages; do
        n=0
        while mountpoint -q "/dev/$m"; do
            n=$((n + 1))
            mkdir -p "$W/olddev/$m.$n" && mount --move "/dev/$m" "$W/olddev/$m.$n" || return 1
        done
        echo "$n" > "$W/olddev/$m.count"
    done
    overlay /dev || return 1
    for m in pts shm mqueue hugepages; do
        n=$(cat "$W/olddev/$m.count")
        while [ "$n" -gt 0 ]; do
            mount --move "$W/olddev/$m.$n" "/dev/$m" || return 1
            n=$((n - 1))
        done
    done
    overlay /etc && overlay /usr && overlay /var && overlay /run || return 1
    mkdir -p /run/libvirt /run/sshd && mount -t tmpfs -o mode=0755 vmcwalk-libvirt /run/libvirt &&
        OVERLAID="/run/libvirt $OVERLAID"
}
start_syslog() {
    rm -f /dev/log
    python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
out = open(sys.argv[1], "a", buffering=1)
open(sys.argv[1] + ".ready", "w").close()
while True:
    out.write(s.recv(8192).decode("utf-8", "replace").replace("\n", " ") + "\n")
' "$W/syslog" </dev/null >/dev/null 2>&1 &
    SYSLOG_PID=$!
    for _ in $(seq 50); do [ -e "$W/syslog.ready" ] && return 0; sleep 0.1; done
    return 1
}

# Every process this test started, and what they started, by pid.
descendants() { # descendants PID: its descendants, one a line
    local p
    for p in $(ps -o pid= --ppid "$1" 2>/dev/null); do echo "$p"; descendants "$p"; done
}
cleanup() {
    local p pids
    for p in $SSH_BG; do kill "$p" 2>/dev/null; done
    [ -n "$LIBVIRTD_PID" ] && virsh -q destroy debianx >/dev/null 2>&1
    [ -n "$SSHD_PID" ] && pids="$(descendants "$SSHD_PID") $SSHD_PID"
    for p in ${pids:-}; do kill -TERM "$p" 2>/dev/null; done
    for p in $LIBVIRTD_PID $VIRTLOGD_PID; do pid_alive "$p" && kill -TERM "$p"; done
    wait_gone 50 ${pids:-} $LIBVIRTD_PID $VIRTLOGD_PID
    stop_all_qemu 2>/dev/null
    stop_all_xvfb 2>/dev/null
    [ -n "$SYSLOG_PID" ] && kill "$SYSLOG_PID" 2>/dev/null
    for p in $OVERLAID; do umount -l "$p" 2>/dev/null; done
    # anything still mounted under $W (a /dev submount moved aside) stays put
    findmnt -rn -o TARGET | grep "^$W/" | sort -r | xargs -r umount -l 2>/dev/null
    rm -rf --one-file-system "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

make_machine || { echo "1..0 # SKIP cannot overlay /etc, /usr, /var, /run, /dev here"; exit 77; }
start_syslog || { echo "Bail out! no test syslog"; exit 1; }
echo "# throwaway machine: $OVERLAID overlaid in $W/ov"

# ---- what the README presumes: the person, her laptop's key ----
useradd --create-home --shell /bin/bash alice || exit 1
ssh-keygen -q -t ed25519 -N '' -C alice@laptop -f "$WORK/alice" || exit 1
cp "$WORK/alice.pub" "$WORK/alice.pub.orig"

# ---- the README's blocks: "TAG<TAB>first line" index, bodies in files ----
awk -v dir="$W/blocks" '
    /^## Setup on a real host/ { in_section = 1; next }
    in_section && /^## / { in_section = 0 }
    !in_section { next }
    /^```/ && !in_block {
        tag = substr($0, 4); if (tag !~ /setup/) next
        n++; file = sprintf("%s/%02d", dir, n); in_block = 1
        printf "" > file; print tag > (file ".tag"); next
    }
    /^```/ && in_block { in_block = 0; close(file); next }
    in_block { print >> file }
' < <(mkdir -p "$W/blocks"; cat "$README")
BLOCKS=$(ls "$W/blocks" | grep -v '\.tag$')
echo "# README's setup blocks: $(for b in $BLOCKS; do printf '%s ' "$(cat "$W/blocks/$b.tag")"; done)"
check "the README's setup section has its blocks" test "$(echo $BLOCKS | wc -w)" -ge 10

HAVE_SYSTEMD_TOOLS=""
command -v systemd-sysusers >/dev/null && command -v systemd-tmpfiles >/dev/null && HAVE_SYSTEMD_TOOLS=1
USE_LIBVIRT=1
XML=""

start_libvirtd() {
    if [ -z "$VIRTLOGD_PID" ]; then
        virtlogd -d && VIRTLOGD_PID=$(cat /run/virtlogd.pid) || return 1
    fi
    libvirtd -d && LIBVIRTD_PID=$(cat /run/libvirtd.pid) || return 1
    for _ in $(seq 100); do
        virsh -q uri >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}
stop_libvirtd() {
    kill -TERM "$LIBVIRTD_PID" && wait_gone 100 "$LIBVIRTD_PID" && LIBVIRTD_PID=""
}
start_sshd() {
    local port
    port=$(free_port) || return 1
    /usr/sbin/sshd -D -e -o "ListenAddress=127.0.0.1:$port" -o "PidFile=$W/sshd.pid" \
        2>>"$W/sshd.log" &
    SSHD_PID=$!
    VMC_SSHD_PORT=$port
    wait_for_port "$port" 50 && pid_alive "$SSHD_PID"
}
# the step's own way for a service block
service_block() { # service_block FILE
    case $(cat "$1") in
    *libvirtd*)
        if [ -n "$LIBVIRTD_PID" ]; then stop_libvirtd || return 1; fi
        start_libvirtd || {
            echo "# libvirtd does not start here: QEMU instead, the hook called as libvirt calls it"
            USE_LIBVIRT=""
        } ;;
    *ssh*) start_sshd ;;
    *) echo "# unknown service step: $(cat "$1")"; return 1 ;;
    esac
}
# the disk-less VM of the README's <devices>: the "virsh edit debianx"
define_vm() { # define_vm XML-FILE
    cat > "$W/debianx.xml" <<XML
<domain type='qemu'>
  <name>debianx</name>
  <memory unit='MiB'>128</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
$(cat "$1")
    <video><model type='qxl'/></video>
  </devices>
</domain>
XML
    if [ -n "$USE_LIBVIRT" ]; then virsh -q define "$W/debianx.xml" >/dev/null; fi
}
# without libvirt: QEMU as libvirt-qemu (as libvirt runs it), then the hook as libvirt calls it
start_vm_by_hand() {
    setpriv --reuid=libvirt-qemu --regid=libvirt-qemu --init-groups \
        bash -c ". '$HERE/lib.sh'; start_qemu debianx /var/spicex/debianx.sock && echo \$VMC_T_QEMU_PID" \
        > "$W/qemu.pid" || return 1
    VMC_T_QEMU_NAMES="debianx:$(cat "$W/qemu.pid")" VMC_T_QEMU_PIDS=$(cat "$W/qemu.pid")
    /etc/libvirt/hooks/qemu.d/vmconsole debianx started begin - < "$W/debianx.xml"
}

N_SETUP=0
for b in $BLOCKS; do
    file=$W/blocks/$b tag=$(cat "$W/blocks/$b.tag") first=$(head -1 "$W/blocks/$b")
    case $tag in
    "sh setup" | "sh setup-without-systemd")
        if [ "$tag" = "sh setup-without-systemd" ] && [ -n "$HAVE_SYSTEMD_TOOLS" ]; then
            echo "# (skipped: $tag, systemd's tools are here)"; continue
        fi
        if [ "$tag" = "sh setup" ] && [ -z "$HAVE_SYSTEMD_TOOLS" ] && grep -q systemd- "$file"; then
            echo "# (skipped: $first — no systemd tools here)"; continue
        fi
        N_SETUP=$((N_SETUP + 1))
        dir=$WORK
        if grep -q 'meson setup build' "$file"; then
            # the build step: in the clone, with the test's own build dir
            # (VMC_T_WALK_BUILD: an existing --prefix=/usr build dir to reuse,
            # to save the build while working on this test)
            if [ -n "${VMC_T_WALK_BUILD:-}" ]; then
                sed -i -e "s|^meson setup build .*|true|" -e "s| build\$| $VMC_T_WALK_BUILD|" "$file"
            fi
            sed -i -e "s| build | $W/build |g" -e "s| build\$| $W/build|" "$file"
            dir=$SRC
        fi
        if [ -z "$USE_LIBVIRT" ] && grep -q '^virsh start' "$file"; then
            start_vm_by_hand >"$W/step.out" 2>&1
        else
            (cd "$dir" && bash -e "$file") >"$W/step.out" 2>&1
        fi
        rc=$?
        ok $rc "README step: $first"
        [ $rc = 0 ] || sed 's/^/#   /' "$W/step.out" | tail -25 ;;
    "sh setup-service")
        service_block "$file" >"$W/step.out" 2>&1
        rc=$?
        ok $rc "README service step, done here without systemd: $first"
        [ $rc = 0 ] || sed 's/^/#   /' "$W/step.out" | tail -25 ;;
    "xml setup-devices")
        define_vm "$file"
        ok $? "the README's <devices> lines: a disk-less VM debianx defined with them" ;;
    *) ok 1 "an unknown block in the README's setup section: $tag" ;;
    esac
    # the check step is the last the admin runs: print what it said
    if grep -q '^vmconsole-admin check' "$file"; then sed 's/^/#   /' "$W/step.out"; fi
done

# ---- what the walk left: the hook and libvirt ----
SOCK=/var/spicex/debianx.sock
acl_applied() { getfacl -cp "$SOCK" 2>/dev/null | grep -qx 'user:vmconsole:rw-' &&
                getfacl -cp "$SOCK" 2>/dev/null | grep -qx 'group:spicex:rw-'; }
hook_lines() { grep -c 'vmconsole-libvirt-hook: debianx: /var/spicex/debianx.sock: ' "$W/syslog"; }
check "the hook put the stored policy on the VM's socket ($(getfacl -cp "$SOCK" 2>/dev/null | tr '\n' ' '))" \
    acl_applied
check "... and said so in syslog, at info ($(grep vmconsole-libvirt-hook "$W/syslog" | head -1))" \
    eval 'grep "vmconsole-libvirt-hook: debianx: /var/spicex/debianx.sock: added user:vmconsole:rw-" "$W/syslog" | grep -q "^<30>"'
if [ -n "$USE_LIBVIRT" ]; then
    echo "# libvirt $(libvirtd --version | awk '{print $NF}'), QEMU $(qemu-system-x86_64 --version | head -1 | awk '{print $4}')"
    check "libvirt ran the hook from /etc/libvirt/hooks/qemu.d/ (there is no hooks/qemu)" \
        eval '[ ! -e /etc/libvirt/hooks/qemu ] && [ -x /etc/libvirt/hooks/qemu.d/vmconsole ]'
    check "libvirt kept the README's socket in the domain" \
        eval 'virsh dumpxml debianx | grep -q "<listen type=.socket. socket=./var/spicex/debianx.sock./>"'
fi

# ---- alice opens the console from her "laptop" ----
start_xvfb laptop || exit 1
open_console() { # open_console TAG: ssh -X in the background, window or not
    DISPLAY=$VMC_T_DISPLAY ssh -F /dev/null -i "$WORK/alice" -o BatchMode=yes -o IdentitiesOnly=yes \
        -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -X \
        -p "$VMC_SSHD_PORT" vmconsole@127.0.0.1 debianx </dev/null >"$W/$1.out" 2>"$W/$1.err" &
    SSH_BG="$SSH_BG $!"
    LAST_SSH=$!
    wait_for_window "$VMC_T_DISPLAY" 'Debian desktop|debianx' 40
}
end_console() {
    kill "$LAST_SSH" 2>/dev/null; wait "$LAST_SSH" 2>/dev/null
    SSH_BG=$(vmc_words_without "$LAST_SSH" "$SSH_BG")
    wait_for_gone_window
}
wait_for_gone_window() {
    for _ in $(seq 100); do
        window_id "$VMC_T_DISPLAY" 'Debian desktop|debianx' >/dev/null || return 0
        sleep 0.1
    done
    return 1
}
if [ -n "$SSHD_PID" ]; then
    open_console first
    ok $? "alice's ssh -X opens the console: the VM's window is on her display ($(head -c 300 "$W/first.err"))"
    check "her first login says nothing of xauth ($(grep -i xauth "$W/first.err" | head -1))" \
        eval '! grep -qi "xauth" "$W/first.err"'
    end_console
    check "... the session ended when she left; start and end records in the log" \
        eval '[ "$(grep -c "\"event\":\"start\"" /var/log/vmconsole/sessions.jsonl)" = 1 ] &&
              [ "$(grep -c "\"event\":\"end\"" /var/log/vmconsole/sessions.jsonl)" = 1 ]'
else
    ok 1 "no sshd from the README's steps: no console"
fi

# ---- restart and reconnect ----
if [ -n "$USE_LIBVIRT" ]; then
    before=$(hook_lines)
    virsh -q destroy debianx >/dev/null && virsh -q start debianx >/dev/null
    ok $? "virsh destroy + start: the VM restarts"
    check "after the restart the policy is on the new socket again (hook, started)" acl_applied
    check "... said in syslog once more" test "$(hook_lines)" -gt "$before"
    setfacl -b "$SOCK"
    before=$(hook_lines)
    stop_libvirtd && start_libvirtd
    ok $? "libvirtd restarted while the VM runs"
    for _ in $(seq 150); do acl_applied && break; sleep 0.1; done
    check "libvirtd's reconnect ran the hook: the policy is back" acl_applied
    check "... said in syslog" test "$(hook_lines)" -gt "$before"
    open_console again
    ok $? "alice opens the console again after the restarts"
    end_console
fi

# ---- a VM stopped on purpose is no problem ----
if [ -n "$USE_LIBVIRT" ]; then virsh -q destroy debianx >/dev/null; else stop_all_qemu; fi
OUT=$(vmconsole-admin check 2>&1); RC=$?
check "with debianx stopped (its socket left: $(test -S "$SOCK" && echo yes || echo no)), check exits 0 ($(grep problem <<<"$OUT" | head -2))" \
    test "$RC" = 0
check "... and says it is not running" grep -q "^sockets: ok: debianx is not running" <<<"$OUT"
finish
