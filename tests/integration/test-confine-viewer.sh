#!/bin/bash
# remote-viewer still works under vmconsole-confine, inside bubblewrap, run
# unprivileged by a throwaway user: the TEST-STACK.md recipe (no network, own
# PID/IPC/UTS namespaces, read-only /usr and /etc, private HOME and /tmp, only
# the X11 and Spice sockets bound in), then vmconsole-confine with the paths a
# viewer needs, against QEMU's Spice server on Xvfb.
#
#   a. the viewer's window appears and shows the VM's picture
#   b. the report line names the protections in force (this kernel's ABI)
#   c. the viewer runs as the throwaway user, in its own PID namespace, with
#      no_new_privs and a seccomp filter
#   d. it ends with the sandbox (bwrap --die-with-parent)
#
# Usage: test-confine-viewer.sh VMCONSOLE-CONFINE CONFINE-PROBE   (TAP; root: useradd)
# VMC_CONFINE_SHOTS=DIR keeps the screenshot there.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
need_root
CONFINE=$(realpath "$1")
PROBE=$(realpath "$2")

for prog in bwrap setpriv setfacl qemu-system-x86_64 Xvfb remote-viewer xwininfo import \
    /usr/bin/convert; do
    if ! command -v "$prog" >/dev/null; then
        echo "1..0 # SKIP $prog is not installed (scripts/install-deps installs it)"
        exit 77
    fi
done

VMC_T_DIR=$(mktemp -d /tmp/vmc-confine-viewer-XXXXXX)
D=$VMC_T_DIR
NAME=vmcconfine$$
VIEWER=$(vmc_prefix cv)
BWRAP_PID=""

cleanup() {
    [ -n "$BWRAP_PID" ] && stop_pids -t 30 "$BWRAP_PID"
    stop_all_xvfb
    stop_all_qemu
    cleanup_common
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# The throwaway user reaches the temp dir, the program and the VM's socket
# (QEMU makes it srwxr-x--- for root: an ACL entry grants connect).
add_user "$VIEWER" || exit 1
chmod 755 "$D"
mkdir "$D/bin"
cp "$CONFINE" "$D/bin/vmconsole-confine"
chmod 755 "$D/bin" "$D/bin/vmconsole-confine"
as_viewer() { setpriv --reuid="$VIEWER" --regid="$(id -g "$VIEWER")" --init-groups "$@"; }

if ! err=$(as_viewer bwrap --unshare-all --ro-bind /usr /usr --symlink usr/lib /lib \
        --symlink usr/lib64 /lib64 \
        -- /usr/bin/true 2>&1); then
    echo "1..0 # SKIP bwrap cannot make namespaces for $VIEWER here: $err"
    exit 77
fi

start_xvfb confine || exit 1
start_qemu "$NAME" "$D" || exit 1
SOCK=$D/$NAME.sock
setfacl -m "u:$VIEWER:rw" "$SOCK" || exit 1
N=${VMC_T_DISPLAY#:}

# bwrap's part (the gateway will build the same), then vmconsole-confine's.
SANDBOX=(--unshare-user --unshare-net --unshare-pid --unshare-ipc --unshare-uts
    --die-with-parent --new-session --clearenv
    --ro-bind /usr /usr --ro-bind /etc /etc
    --symlink usr/lib /lib --symlink usr/lib64 /lib64 --symlink usr/bin /bin
    --symlink usr/sbin /sbin
    --proc /proc --dev /dev --tmpfs /tmp --tmpfs /home/viewer
    --ro-bind-try /var/cache/fontconfig /var/cache/fontconfig
    --bind "/tmp/.X11-unix/X$N" "/tmp/.X11-unix/X$N"
    --bind "$SOCK" /run/vmc/spice.sock
    --ro-bind "$D/bin/vmconsole-confine" /run/vmc/vmconsole-confine
    --setenv HOME /home/viewer --setenv XDG_RUNTIME_DIR /home/viewer
    --setenv DISPLAY ":$N" --setenv PATH /usr/bin:/bin --setenv LANG C.UTF-8
    --setenv NO_AT_BRIDGE 1 --chdir /home/viewer)
CONFINED=(/run/vmc/vmconsole-confine --exec /usr --read /etc --read /var/cache/fontconfig
    --write /home/viewer --write /tmp --device /dev/null --device /dev/urandom
    --report-fd 3)

as_viewer bwrap "${SANDBOX[@]}" -- "${CONFINED[@]}" -- /usr/bin/remote-viewer \
    --title "$NAME" --spice-disable-usbredir --spice-disable-audio \
    spice+unix:///run/vmc/spice.sock 3>"$D/report" </dev/null >"$D/viewer.log" 2>&1 &
BWRAP_PID=$!
VMC_T_PIDS="$BWRAP_PID"

# ---- a. the window, with the VM's picture ----
if wait_for_window "$VMC_T_DISPLAY" "^$NAME" 60; then
    ok 0 "a: the confined viewer's window for $NAME appears"
else
    ok 1 "a: the confined viewer's window for $NAME appears within 60 s"
fi
sd=0
for _ in $(seq 20); do
    sleep 0.5
    screenshot "$VMC_T_DISPLAY" "$D/shot.png" "^$NAME" || continue
    sd=$(/usr/bin/convert "$D/shot.png" -colorspace Gray -format '%[fx:standard_deviation]' info:)
    awk -v sd="$sd" 'BEGIN { exit !(sd > 0.01) }' && break
done
check "a: the window shows the VM's picture (grey std dev $sd)" \
    awk -v sd="$sd" 'BEGIN { exit !(sd > 0.01) }'
[ -n "${VMC_CONFINE_SHOTS:-}" ] && cp "$D/shot.png" "$VMC_CONFINE_SHOTS/confine-viewer.png"

# ---- b. the report ----
KERNEL_ABI=$("$PROBE" landlock-abi)
ABI=$((KERNEL_ABI < 7 ? KERNEL_ABI : 7))
echo "# this kernel: Landlock ABI $KERNEL_ABI; report: $(cat "$D/report")"
check "b: the report is 'landlock=$ABI seccomp=on no_new_privs=on'" \
    test "$(cat "$D/report")" = "landlock=$ABI seccomp=on no_new_privs=on"

# ---- c. the viewer's process ----
RV=$(pgrep -u "$VIEWER" -x remote-viewer | head -1)
status() { sed -n "s/^$1:[[:space:]]*//p" "/proc/$RV/status" 2>/dev/null | tr '\t' ' '; }
check "c: remote-viewer runs as $VIEWER (pid ${RV:-none})" test -n "$RV"
check "c: ... with no_new_privs" test "$(status NoNewPrivs)" = 1
check "c: ... under a seccomp filter" test "$(status Seccomp)" = 2
check "c: ... in its own PID namespace (NSpid $(status NSpid))" \
    test "$(status NSpid | wc -w)" -ge 2
interfaces=$(awk -F: 'NR > 2 { gsub(/ /, "", $1); print $1 }' "/proc/$RV/net/dev" 2>/dev/null)
check "c: ... in a network namespace with only lo ($(echo $interfaces))" test "$interfaces" = lo
sed 's/^/# viewer: /' "$D/viewer.log"

# ---- d. it ends with the sandbox ----
check "d: bwrap ends when told to" stop_pids -t 30 "$BWRAP_PID"
BWRAP_PID=""
check "d: the viewer is gone with it" wait_gone 50 "$RV"

finish
