#!/bin/bash
# The laptop launcher's native mode (vmconsole --native) against real sshds:
# its SSH layer (libssh) and its pump, with a stand-in gateway as the key's
# forced command (it speaks the native protocol: the greeting line on
# channel 1, "attach TOKEN" channels relayed to a real QEMU Spice socket by
# socat). The launcher runs as a throwaway laptop person whose ~/.ssh holds
# known_hosts, config and keys (libssh, like OpenSSH, takes ~ from the
# passwd entry, not from HOME); the laptop is an Xvfb with remote-viewer.
#
#   0. --native/--x11 usage errors; --help names both modes; the default mode
#      (native where remote-viewer is installed, else X11); --native without it
#   1. unknown host key, no terminal: refused (exit 255), the fingerprint
#      shown, nothing added to known_hosts
#   2. unknown host key, a terminal that answers "yes": added to
#      known_hosts, connected
#   3. changed host key: refused loudly (exit 255), the known_hosts line named
#   4. -i KEY (no agent): authenticated; the request is "VM --native"
#   5. ssh-agent only (started here; no key file in ~/.ssh): authenticated
#   6. a ~/.ssh/config Host alias with HostName, User, Port, IdentityFile
#   7. ProxyJump through a second sshd (the config names it)
#   8. the whole path with the stand-in gateway: the window on the laptop shows
#      the VM (screenshot vs QEMU's screendump), one SSH connection carries
#      every channel, compressed by default (its bytes: a fraction of the
#      screen's raw bitmap; "Compression no" in ~/.ssh/config: at least that
#      bitmap), the progress lines; the viewer closed: exit 0, the
#      socket dir is gone, channel 1 ended on the host
#   9. SIGTERM to the launcher: the viewer is gone, the socket dir removed,
#      nothing left on the host; exit 143
#  10. the host ends the session (the stand-in gateway exits 0): viewer gone
#      10b. the window closed, but the host does not end the session on
#      channel 1's EOF (the stand-in's reader stopped): the launcher waits
#      its bound (10 s), says so, exits 0, nothing left on the laptop
#  11. the connection drops (the sshd serving it killed): exit 255, clean
#  12. a Wayland laptop with no X server (Weston's headless backend, pixman
#      renderer): remote-viewer with GDK_BACKEND=wayland shows the VM (Weston's
#      screenshot holds QEMU's screendump); closed by SIGTERM, clean
#
# Usage: test-native-launcher.sh VMCONSOLE  (TAP; root, else exit 77)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/sshd-lib.sh"
. "$HERE/native-lib.sh"
need_root
VMC=$(realpath "$1")

for prog in remote-viewer Xvfb /usr/sbin/sshd ssh ssh-keygen ssh-agent ssh-add socat python3 \
            xwininfo import compare qemu-system-x86_64 runuser setfacl xxd as ld ss; do
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
ACCOUNT=${P}gw LAPTOP_USER=${P}lp
VM=${P}vm
STATE=$D/state          # the stand-in gateway's (the account's)
LHOME=$D/laptop         # the laptop person's home
LRUN=$D/lrun            # their XDG_RUNTIME_DIR
AGENT_PID=""
SSHD2_PID=""

cleanup() {
    local p
        for p in $BG_PIDS; do pid_alive "$p" && kill -TERM "$p" 2>/dev/null; done
    for p in $BG_PIDS; do wait "$p" 2>/dev/null; done
    [ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null
    [ -n "$SSHD2_PID" ] && { kill "$SSHD2_PID" 2>/dev/null; wait "$SSHD2_PID" 2>/dev/null; }
    pkill -u "$LAPTOP_USER" 2>/dev/null
    sshd_cleanup
    stop_all_qemu 2>/dev/null
    stop_all_xvfb 2>/dev/null
    cleanup_common
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

diag() { # diag TAG
    {
        echo "--- $1: vmconsole's stderr"
        cat "$D/$1.err" 2>/dev/null
        [ -s "$D/$1.out" ] && { echo "--- $1: stdout"; tail -n 30 "$D/$1.out"; }
        echo "--- $1: exit $(cat "$D/$1.rc" 2>/dev/null)"
        echo "--- sshd log (tail)"
        sshd_log_tail 10
        echo "--- stand-in gateway log"
        tail -n 10 "$STATE/log" 2>/dev/null
    } | sed 's/^/# /'
}
checkd() { # checkd TAG DESCRIPTION COMMAND...
    local tag=$1 desc=$2; shift 2
    if "$@"; then ok 0 "$desc"; else ok 1 "$desc"; diag "$tag"; fi
}


# ---- the laptop person, the host, the stand-in gateway ----

native_add_person || exit 1
sshd_add_account "$ACCOUNT" || exit 1
install -d -m 0700 -o "$ACCOUNT" "$STATE"

start_xvfb laptop || exit 1
LAPTOP=$VMC_T_DISPLAY
# the VM: a boot sector's still picture (pattern-boot.S), every pixel drawn
as --32 -o "$D/pattern.o" "$HERE/pattern-boot.S" &&
    ld -m elf_i386 -Ttext 0x7c00 --oformat binary -o "$D/pattern.img" "$D/pattern.o" || exit 1
VM_DISK=(-drive "file=$D/pattern.img,format=raw,if=ide,snapshot=on")
start_qemu "$VM" "$D" -qmp "unix:$D/qmp.sock,server=on,wait=off" "${VM_DISK[@]}" || exit 1
setfacl -m "u:$ACCOUNT:rw" "$D/$VM.sock"

# The stand-in gateway: the native protocol of /work/notes/native-protocol.md
# with no access decision, so that the launcher's side is tested alone.
cat > "$D/fake-gateway" <<EOF
#!/bin/bash
req=\$SSH_ORIGINAL_COMMAND
echo "\$(date +%T) \$\$ \$req (\$SSH_CONNECTION)" >> $STATE/log
case "\$req" in
    "probe --native")
        echo "stand-in gateway: request '\$req' as \$USER" >&2
        exit 3 ;;
    "$VM --native")
        token=\$(head -c 32 /dev/urandom | xxd -p -c 64)
        echo "\$token" > $STATE/token
        echo "\$SSH_CONNECTION" > $STATE/connection
        echo \$\$ > $STATE/session.pid
        echo "vmconsole-native 1 token=\$token title=Native \\\\xc3\\\\xa9 test"
        cat > /dev/null
        rm -f $STATE/token $STATE/session.pid
        echo "\$(date +%T) \$\$ ended" >> $STATE/log
        exit 0 ;;
    attach\ *)
        if [ ! -f $STATE/token ] || [ "\${req#attach }" != "\$(cat $STATE/token)" ] ||
           [ "\$SSH_CONNECTION" != "\$(cat $STATE/connection)" ]; then
            echo "vmconsole: no such console session" >&2
            exit 4
        fi
        echo "\$SSH_CONNECTION" >> $STATE/attaches
        exec socat - UNIX-CONNECT:$D/$VM.sock ;;
esac
echo "stand-in gateway: bad request" >&2
exit 2
EOF
chmod 0755 "$D/fake-gateway"

sshd_start || exit 1
HOSTKEY_PUB=$(cut -d' ' -f1,2 "$VMC_SSHD_DIR/host_ed25519.pub")
# the laptop person's key (its line forces the stand-in gateway)
ssh-keygen -q -t ed25519 -N '' -C laptop -f "$D/lkey" || exit 1
chown "$LAPTOP_USER" "$D/lkey" "$D/lkey.pub"
printf 'restrict,command="%s" %s\n' "$D/fake-gateway" "$(cat "$D/lkey.pub")" \
    >> "$VMC_SSHD_DIR/authorized_keys"

known_hosts() { # known_hosts LINE...: the laptop person's known_hosts
    printf '%s\n' "$@" > "$LHOME/.ssh/known_hosts"
    chown "$LAPTOP_USER" "$LHOME/.ssh/known_hosts"
}
ssh_config() { # ssh_config TEXT: the laptop person's ~/.ssh/config
    printf '%s\n' "$1" > "$LHOME/.ssh/config"
    chown "$LAPTOP_USER" "$LHOME/.ssh/config"
    chmod 0600 "$LHOME/.ssh/config"
}
TRUSTED="[127.0.0.1]:$VMC_SSHD_PORT $HOSTKEY_PUB"

run_sync() { # run_sync TAG ARGS...: vmconsole to its end
    local tag=$1; shift
    launch "$tag" "$@"
    reap "$tag"
}
viewer_procs() { pgrep -u "$LAPTOP_USER" -x remote-viewer; }
socket_dirs() { ls -A "$LRUN"; }
no_session_on_host() { [ ! -e "$STATE/session.pid" ] && [ -z "$(live_pids_of "$ACCOUNT")" ]; }

# ---- 0. the command line ----
"$VMC" --native --x11 h vm 2>"$D/u1.err"; rc=$?
checkd u1 "--native with --x11: usage error (exit 2)" \
    test "$rc" = 2 -a -n "$(grep -F -- '--native and --x11' "$D/u1.err")"
"$VMC" --native -o Foo=bar h vm 2>"$D/u2.err"; rc=$?
checkd u2 "--native with -o: usage error naming ~/.ssh/config" \
    test "$rc" = 2 -a -n "$(grep -F 'ssh/config' "$D/u2.err")"
"$VMC" --help >"$D/help.out"
checkd help "--help names both modes and the default" \
    grep -q 'default is native when remote-viewer is installed' "$D/help.out"

# the mode chosen: native where remote-viewer is on PATH, else X11 (told
# apart by what each says without a display)
mkdir -p "$D/bin-ssh-only" && ln -sf "$(command -v ssh)" "$D/bin-ssh-only/ssh"
env -i PATH="$D/bin-ssh-only" "$VMC" h vm >/dev/null 2>"$D/m1.err"; rc=$?
checkd m1 "no remote-viewer on PATH: X11 mode by default (no DISPLAY: exit 7, the X11 words)" \
    test "$rc" = 7 -a -n "$(grep -F 'DISPLAY is not set' "$D/m1.err")"
env -i PATH="$PATH" "$VMC" h vm >/dev/null 2>"$D/m2.err"; rc=$?
checkd m2 "remote-viewer on PATH: native mode by default (no display: exit 7, the native words)" \
    test "$rc" = 7 -a -n "$(grep -F 'neither DISPLAY nor WAYLAND_DISPLAY' "$D/m2.err")"
env -i PATH="$D/bin-ssh-only" DISPLAY=:99 "$VMC" --native h vm >/dev/null 2>"$D/m3.err"; rc=$?
checkd m3 "--native without remote-viewer: exit 1, told to install it or use --x11" \
    test "$rc" = 1 -a -n "$(grep -F 'needs remote-viewer' "$D/m3.err")"

# ---- 1. unknown host key, no terminal ----
known_hosts "# empty"
run_sync unknown --native -i "$D/lkey" -p "$VMC_SSHD_PORT" "$ACCOUNT@127.0.0.1" probe
fp=$(ssh-keygen -lf "$VMC_SSHD_DIR/host_ed25519.pub" | cut -d' ' -f2)
checkd unknown "unknown host key without a terminal: refused (exit 255), fingerprint shown" \
    test "$RC" = 255 -a -n "$(grep -F "$fp" "$D/unknown.err")"
checkd unknown "... nothing added to known_hosts, no login on the host" \
    test "$(cat "$LHOME/.ssh/known_hosts")" = "# empty" -a ! -e "$STATE/log"

# ---- 2. unknown host key, the person answers yes on a terminal ----
# a pty for the launcher (python's pty module), "yes" typed when asked
cat > "$D/answer-yes.py" <<'EOF'
import os, pty, sys, select, time
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = b""
deadline = time.time() + 30
answered = False
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.5)
    if fd in r:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
        if not answered and b"(yes/no/[fingerprint])?" in out:
            os.write(fd, b"yes\n")
            answered = True
sys.stdout.buffer.write(out)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
EOF
runuser -u "$LAPTOP_USER" -- env -i PATH="$PATH" HOME="$LHOME" LANG=C.UTF-8 DISPLAY="$LAPTOP" \
    XDG_RUNTIME_DIR="$LRUN" python3 "$D/answer-yes.py" "$VMC" --native -i "$D/lkey" \
    -p "$VMC_SSHD_PORT" "$ACCOUNT@127.0.0.1" probe >"$D/ask.err" 2>&1
rc=$?
checkd ask "unknown host key, 'yes' on the terminal: asked with the fingerprint, connected" \
    test "$rc" = 3 -a -n "$(grep -F "$fp" "$D/ask.err")" \
    -a -n "$(grep -F "stand-in gateway: request 'probe --native'" "$D/ask.err")"
checkd ask "... the key is in known_hosts now" \
    grep -qF "$(cut -d' ' -f2 "$VMC_SSHD_DIR/host_ed25519.pub")" "$LHOME/.ssh/known_hosts"

# ---- 3. changed host key ----
ssh-keygen -q -t ed25519 -N '' -f "$D/otherhost" || exit 1
known_hosts "# line 1" "127.0.0.2 $(cut -d' ' -f1,2 "$D/otherhost.pub")" \
    "[127.0.0.1]:$VMC_SSHD_PORT $(cut -d' ' -f1,2 "$D/otherhost.pub")"
: > "$STATE/log"
run_sync changed --native -i "$D/lkey" -p "$VMC_SSHD_PORT" "$ACCOUNT@127.0.0.1" probe
checkd changed "changed host key: refused (exit 255), loudly, naming known_hosts line 3" \
    test "$RC" = 255 -a -n "$(grep -F 'HAS CHANGED' "$D/changed.err")" \
    -a -n "$(grep -F "$LHOME/.ssh/known_hosts:3" "$D/changed.err")"
checkd changed "... the request never reached the host" test ! -s "$STATE/log"

# ---- 4. -i KEY ----
known_hosts "$TRUSTED"
run_sync ikey --native -i "$D/lkey" -p "$VMC_SSHD_PORT" "$ACCOUNT@127.0.0.1" probe
checkd ikey "-i KEY: authenticated, the host got 'probe --native', its exit 3 passed on" \
    test "$RC" = 3 -a -n "$(grep -F "stand-in gateway: request 'probe --native' as $ACCOUNT" \
    "$D/ikey.err")"
checkd ikey "... progress: connecting, authenticated" \
    eval "has ikey 'connecting to [127.0.0.1]:$VMC_SSHD_PORT' && has ikey 'authenticated as $ACCOUNT@'"

# ---- 5. the agent ----
install -d -m 0700 -o "$LAPTOP_USER" "$D/agent"
eval "$(runuser -u "$LAPTOP_USER" -- ssh-agent -s -a "$D/agent/agent.sock")" >/dev/null
AGENT_PID=$SSH_AGENT_PID
runuser -u "$LAPTOP_USER" -- env SSH_AUTH_SOCK="$D/agent/agent.sock" ssh-add -q "$D/lkey" 2>/dev/null
EXTRA_ENV="SSH_AUTH_SOCK=$D/agent/agent.sock" run_sync agent --native -p "$VMC_SSHD_PORT" \
    "$ACCOUNT@127.0.0.1" probe
checkd agent "the key in ssh-agent only: authenticated" \
    test "$RC" = 3 -a -n "$(grep -F "request 'probe --native'" "$D/agent.err")"
run_sync noagent --native -p "$VMC_SSHD_PORT" "$ACCOUNT@127.0.0.1" probe
checkd noagent "... without the agent (no key file in ~/.ssh): refused, exit 255" \
    test "$RC" = 255 -a -n "$(grep -F 'refused every key' "$D/noagent.err")"

# ---- 6. a Host alias in ~/.ssh/config ----
cp "$D/lkey" "$LHOME/.ssh/gwkey" && chown "$LAPTOP_USER" "$LHOME/.ssh/gwkey"
ssh_config "Host kvm-alias
    HostName 127.0.0.1
    User $ACCOUNT
    Port $VMC_SSHD_PORT
    IdentityFile ~/.ssh/gwkey"
run_sync alias --native kvm-alias probe
checkd alias "~/.ssh/config Host alias with HostName, User, Port, IdentityFile" \
    test "$RC" = 3 -a -n "$(grep -F "request 'probe --native' as $ACCOUNT" "$D/alias.err")"

# ---- 7. ProxyJump through a second sshd ----
# The jump host: another sshd on loopback that lets the laptop person's
# jump key forward to the first one (and nothing else).
J=$D/jump
mkdir -p "$J" && chmod 0755 "$J"
ssh-keygen -q -t ed25519 -N '' -f "$J/host_ed25519" && ssh-keygen -q -t ed25519 -N '' -f "$D/jkey"
cp "$D/jkey" "$LHOME/.ssh/jkey" && chown "$LAPTOP_USER" "$LHOME/.ssh/jkey"
printf 'restrict,port-forwarding,permitopen="127.0.0.1:%s",command="/bin/false" %s\n' \
    "$VMC_SSHD_PORT" "$(cat "$D/jkey.pub")" > "$J/authorized_keys"
JPORT=$(free_port)
cat > "$J/sshd_config" <<EOF
ListenAddress 127.0.0.1
HostKey $J/host_ed25519
PidFile $J/sshd.pid
AuthorizedKeysFile $J/authorized_keys
AllowUsers $ACCOUNT
UsePAM no
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
AllowTcpForwarding local
PermitTTY no
LogLevel VERBOSE
EOF
/usr/sbin/sshd -D -e -f "$J/sshd_config" -p "$JPORT" 2>"$J/sshd.log" &
SSHD2_PID=$!
wait_for_port "$JPORT" 50 || echo "# the jump sshd did not start"
known_hosts "$TRUSTED" "[127.0.0.1]:$JPORT $(cut -d' ' -f1,2 "$J/host_ed25519.pub")"
ssh_config "Host kvm-behind-jump
    HostName 127.0.0.1
    User $ACCOUNT
    Port $VMC_SSHD_PORT
    IdentityFile ~/.ssh/gwkey
    ProxyJump jumphost
Host jumphost
    HostName 127.0.0.1
    User $ACCOUNT
    Port $JPORT
    IdentityFile ~/.ssh/jkey
    BatchMode yes"
run_sync jump --native kvm-behind-jump probe
checkd jump "ProxyJump through a second sshd: the request reached the gateway" \
    test "$RC" = 3 -a -n "$(grep -F "request 'probe --native' as $ACCOUNT" "$D/jump.err")"
checkd jump "... through the jump host (the person's jump key logged in there)" \
    grep -q "Accepted publickey for $ACCOUNT .* ED25519 $(ssh-keygen -lf "$D/jkey.pub" | cut -d' ' -f2)" \
    "$J/sshd.log"
kill "$SSHD2_PID" 2>/dev/null; wait "$SSHD2_PID" 2>/dev/null; SSHD2_PID=""
ssh_config "# none"
known_hosts "$TRUSTED"

# the bytes of the laptop's SSH connection(s) to the sshd, both ways (ss)
wire_bytes() {
    ss -tniH state established "( sport = :$VMC_SSHD_PORT )" |
        awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^bytes_(sent|received):/) { split($i, a, ":"); s += a[2] } }
             END { print s + 0 }'
}

# ---- 8. the whole path with the stand-in gateway ----
: > "$STATE/log"; rm -f "$STATE/attaches"
launch full --native -i "$D/lkey" -p "$VMC_SSHD_PORT" "$ACCOUNT@127.0.0.1" "$VM"
checkd full "the viewer's window appears on the laptop, titled as the greeting says" \
    wait_for_window "$LAPTOP" "^Native é test" 30
# the next picture: every pixel changes while the viewer watches (a drawing
# update: spice-server sends it to a Unix-socket client as a raw bitmap)
checkd full "... a key for the VM (QMP send-key): it draws its next picture" \
    qemu_send_key "$D/qmp.sock" spc
sleep 3   # the picture settles
screenshot "$LAPTOP" "$D/full.png" "^Native é test"
qemu_screendump "$D/qmp.sock" "$D/dump.ppm"
[ -n "${VMC_T_KEEP_SHOTS:-}" ] && cp "$D/full.png" "$D/dump.ppm" "$VMC_T_KEEP_SHOTS/"
checkd full "... the window shows the VM's screen (QEMU's screendump found in the screenshot)" \
    picture_in_window "$D/dump.ppm" "$D/full.png"
# spice-server sends a client on a Unix socket its drawing as raw bitmaps;
# the launcher compresses the SSH connection by default, so the VM's two
# pictures (the second one alone a raw bitmap of 1024000 bytes) take a
# fraction of that on the wire
wire=$(wire_bytes)
checkd full "... compressed by default: the connection carried less than a quarter of one raw picture ($wire bytes)" \
    test "$wire" -gt 0 -a "$wire" -lt 256000
checkd full "... progress: opened, window up" \
    eval "has full '$VM opened: \"Native é test\"' && has full 'window up'"
n_conn=$(sort -u "$STATE/attaches" 2>/dev/null | wc -l)
n_att=$(wc -l < "$STATE/attaches" 2>/dev/null)
checkd full "... every attach came over the one SSH connection of channel 1 ($n_att attaches)" \
    test "$n_conn" = 1 -a "$n_att" -ge 3 -a "$(sort -u "$STATE/attaches")" = "$(cat "$STATE/connection")"
sockdir=$(socket_dirs)
checkd full "... the viewer's socket: 0600 in a 0700 dir under XDG_RUNTIME_DIR" \
    test "$(stat -c %a "$LRUN/$sockdir")" = 700 -a "$(stat -c %a "$LRUN/$sockdir/spice.sock")" = 600
FULL_LPID=$LPID
DISPLAY=$LAPTOP timeout 10 xkill -id "$(window_id "$LAPTOP" "^Native é test")" >/dev/null 2>&1
reap full 100
checkd full "the viewer closed: exit 0, the socket dir removed, no viewer left" \
    test "$RC" = 0 -a -z "$(socket_dirs)" -a -z "$(viewer_procs)"
checkd full "... channel 1 ended on the host (the session's process is gone)" \
    wait_until 50 no_session_on_host

# A session up to its window (the stand-in gateway); sets LPID.
# QEMU 7.2's spice-server (0.15) can segfault when a client goes away while
# the display's first surfaces are set up (dmesg: "SPICE Worker ... segfault
# ... libspice-server"): the VM, not the launcher. A VM that died so is
# started again, and said.
ensure_vm() {
    pid_alive "$(qemu_pid "$VM")" && return 0
    echo "# the VM's QEMU died (spice-server: $(dmesg 2>/dev/null | grep -c 'SPICE Worker.*segfault') segfaults in dmesg); starting it again"
    kill_qemu "$VM" 2>/dev/null
    start_qemu "$VM" "$D" -qmp "unix:$D/qmp.sock,server=on,wait=off" "${VM_DISK[@]}" &&
        setfacl -m "u:$ACCOUNT:rw" "$D/$VM.sock"
}
open_window() { # open_window TAG
    ensure_vm || return 1
    : > "$STATE/log"
    launch "$1" --native -i "$D/lkey" -p "$VMC_SSHD_PORT" "$ACCOUNT@127.0.0.1" "$VM"
    wait_for_window "$LAPTOP" "^Native é test" 30 && wait_until 50 has "$1" 'window up' &&
        sleep 2 # the display settled (see ensure_vm)
}
all_clean() { no_viewer && no_socket_dir && wait_until 50 no_session_on_host; }

# ---- 8b. "Compression no" in ~/.ssh/config: the raw bitmaps on the wire ----
ssh_config "Host 127.0.0.1
    Compression no"
checkd raw "Compression no case: the window is up first" open_window raw
checkd raw "... a key for the VM: its next picture" qemu_send_key "$D/qmp.sock" spc
sleep 3
wire=$(wire_bytes)
checkd raw "... uncompressed: the connection carried at least one raw picture ($wire bytes)" \
    test "$wire" -ge 1024000
pkill -TERM -u "$LAPTOP_USER" -x vmconsole
reap raw 100
checkd raw "... SIGTERM: ended, nothing left" all_clean
ssh_config "# none"

# ---- 9. SIGTERM (and SIGINT) to the launcher ----
for sig in TERM INT; do
    tag=sig$sig
    checkd "$tag" "SIG$sig case: the window is up first" open_window "$tag"
    kill -"$sig" "$LPID"   # setsid's child is runuser: the launcher is its child
    pkill -"$sig" -u "$LAPTOP_USER" -x vmconsole
    reap "$tag" 100
    want=$((128 + $(kill -l "$sig")))
    checkd "$tag" "SIG$sig: exit $want, says so" \
        test "$RC" = "$want" -a -n "$(grep -F "stopped by signal" "$D/$tag.err")"
    checkd "$tag" "... the viewer is gone, the socket dir removed, nothing left on the host" all_clean
done

# ---- 9b. SIGKILL: the launcher cannot clean up ----
checkd sigKILL "SIGKILL case: the window is up first" open_window sigKILL
pkill -KILL -u "$LAPTOP_USER" -x vmconsole
reap sigKILL 100
checkd sigKILL "SIGKILL: the viewer dies with the launcher (parent-death signal)" \
    wait_until 50 no_viewer
checkd sigKILL "... the session ends on the host (the connection closed)" \
    wait_until 50 no_session_on_host
stale=$(socket_dirs)
checkd sigKILL "... its socket dir stays behind (nothing could remove it)" test -n "$stale"
touch -d '-1 min' "$LRUN/$stale"    # older than a launcher between mkdtemp and bind
checkd sweep "the next run removes it and says so" open_window sweep
checkd sweep "... (the message)" has sweep "removed 1 socket directory left by a vmconsole killed earlier"
checkd sweep "... only its own dir is left" \
    eval '[ "$(socket_dirs | wc -l)" = 1 ] && [ "$(socket_dirs)" != "$stale" ]'
pkill -TERM -u "$LAPTOP_USER" -x vmconsole
reap sweep 100

# ---- 10. the host ends the session ----
checkd hostend "host-end case: the window is up first" open_window hostend
pkill -TERM -u "$ACCOUNT" -x cat    # the stand-in gateway's channel 1 then exits 0
reap hostend 100
checkd hostend "the host ends the session: the launcher ends (exit 0), says so" \
    test "$RC" = 0 -a -n "$(grep -F "the host ended the session" "$D/hostend.err")"
checkd hostend "... the viewer is gone, the socket dir removed" all_clean

# ---- 10b. the window closed; the host does not end the session ----
checkd stuck "stuck-host case: the window is up first" open_window stuck
pkill -STOP -u "$ACCOUNT" -x cat    # channel 1's EOF is never read
DISPLAY=$LAPTOP timeout 10 xkill -id "$(window_id "$LAPTOP" "^Native é test")" >/dev/null 2>&1
reap stuck 300
checkd stuck "the host does not end the session: the launcher gives up after its wait (exit $RC), says so" \
    test "$RC" = 0 -a -n "$(grep -F "the host did not end the session within 10 s" "$D/stuck.err")"
checkd stuck "... the viewer is gone, the socket dir removed" eval "no_viewer && no_socket_dir"
pkill -CONT -u "$ACCOUNT" -x cat
checkd stuck "... and the host's side ends with the connection" all_clean

# ---- 11. the connection drops ----
checkd drop "drop case: the window is up first" open_window drop
# the sshd process serving this connection (privsep: the user's child)
for p in $(pgrep -f "sshd: $ACCOUNT"); do kill -KILL "$p"; done
reap drop 100
checkd drop "the connection drops: exit 255, 'connection ... lost'" \
    test "$RC" = 255 -a -n "$(grep -F "was lost" "$D/drop.err")"
checkd drop "... the viewer is gone, the socket dir removed" eval "no_viewer && no_socket_dir"

# ---- 12. a Wayland display, no X server ----
# Weston runs as the laptop person (its socket in their XDG_RUNTIME_DIR);
# --debug lets weston-screenshooter take the output's picture.
if command -v weston >/dev/null && command -v weston-screenshooter >/dev/null; then
    WL=$D/wl
    install -d -m 0700 -o "$LAPTOP_USER" "$WL"
    (cd "$WL" && exec runuser -u "$LAPTOP_USER" -- env -i PATH="$PATH" HOME="$LHOME" \
        XDG_RUNTIME_DIR="$WL" weston --backend=headless-backend.so --use-pixman --debug \
        --socket=wayland-vmc --idle-time=0 --width=1024 --height=768 >"$WL/weston.log" 2>&1) &
    WESTON_PID=$!
    BG_PIDS="$BG_PIDS $WESTON_PID"
    wait_until 100 test -S "$WL/wayland-vmc"
    ensure_vm
    tag=wayland
    rm -f "$D/$tag.rc"
    setsid runuser -u "$LAPTOP_USER" -- env -i PATH="$PATH" HOME="$LHOME" USER="$LAPTOP_USER" \
        LANG=C.UTF-8 WAYLAND_DISPLAY=wayland-vmc GDK_BACKEND=wayland XDG_RUNTIME_DIR="$WL" \
        "$VMC" --native -i "$D/lkey" -p "$VMC_SSHD_PORT" "$ACCOUNT@127.0.0.1" "$VM" \
        </dev/null >"$D/$tag.out" 2>"$D/$tag.err" &
    LPID=$!
    BG_PIDS="$BG_PIDS $LPID"
    checkd "$tag" "Wayland, no DISPLAY: the launcher opens the session and the window comes up" \
        wait_until 300 has "$tag" 'window up'
    sleep 3
    shot() {
        rm -f "$WL"/wayland-screenshot*.png
        (cd "$WL" && runuser -u "$LAPTOP_USER" -- env -i PATH="$PATH" XDG_RUNTIME_DIR="$WL" \
            WAYLAND_DISPLAY=wayland-vmc timeout 20 weston-screenshooter) >/dev/null 2>&1
        ls "$WL"/wayland-screenshot*.png 2>/dev/null | head -n 1
    }
    png=$(shot)
    qemu_screendump "$D/qmp.sock" "$D/dump-wl.ppm"
    [ -n "${VMC_T_KEEP_SHOTS:-}" ] && [ -n "$png" ] && cp "$png" "$D/dump-wl.ppm" "$VMC_T_KEEP_SHOTS/"
    checkd "$tag" "... Weston's screenshot holds the VM's screen (QEMU's screendump)" \
        eval '[ -n "$png" ] && picture_in_window "$D/dump-wl.ppm" "$png"'
    pkill -TERM -u "$LAPTOP_USER" -x vmconsole
    reap "$tag" 100
    checkd "$tag" "... SIGTERM: exit 143, the viewer gone, the socket dir removed" \
        eval '[ "$RC" = 143 ] && no_viewer && [ -z "$(ls -A "$WL" | grep vmconsole-)" ]'
    stop_pids "$WESTON_PID"
    BG_PIDS=$(vmc_words_without "$WESTON_PID" "$BG_PIDS")
else
    echo "ok $((VMC_T_COUNT + 1)) # SKIP weston is not installed (scripts/install-deps installs it)"
    VMC_T_COUNT=$((VMC_T_COUNT + 1))
fi

finish
