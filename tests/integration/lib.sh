# lib.sh — shared helpers for the integration tests (bash). Source it.
# Every test makes its resources under one temp dir and with one name prefix,
# and removes all of them on every exit path (trap on EXIT).

set -u
VMC_T_FAILS=0
VMC_T_COUNT=0
VMC_T_USERS=""
VMC_T_GROUPS=""

need_root() {
    if [ "$(id -u)" != 0 ]; then
        echo "1..0 # SKIP needs root (creates users, groups and ACLs)"
        exit 77
    fi
}

# A prefix unique to this run, short enough for 32-byte user names.
vmc_prefix() {
    printf 'vt%s%s' "$1" "$(printf '%05d' $(( $$ % 100000 )))"
}

add_group() { # add_group NAME
    groupadd "$1" && VMC_T_GROUPS="$VMC_T_GROUPS $1"
}

add_user() { # add_user NAME [GROUP,...]
    if [ -n "${2:-}" ]; then
        useradd --no-create-home --shell /usr/sbin/nologin -G "$2" "$1"
    else
        useradd --no-create-home --shell /usr/sbin/nologin "$1"
    fi && VMC_T_USERS="$VMC_T_USERS $1"
}

# A real listening Unix socket at PATH, held by a background python process.
listen_socket() { # listen_socket PATH
    python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); s.listen(16)
open(sys.argv[1] + ".ready", "w").close()
while True:
    c, _ = s.accept(); c.close()
' "$1" &
    VMC_T_PIDS="${VMC_T_PIDS:-} $!"
    for _ in $(seq 50); do [ -e "$1.ready" ] && return 0; sleep 0.1; done
    echo "listen_socket: $1 did not appear" >&2
    return 1
}

# install_gateway SRC DIR: a copy of the gateway in DIR (the account may not
# reach the build dir) with vmconsole-confine and vmconsole-tunnel-check
# (setcap cap_sys_ptrace+ep) beside it, where the gateway looks first. The confine binary is $VMC_T_CONFINE, else the one the
# build tree holds next to the gateway's dir. Prints the copy's path.
install_gateway() {
    local src=$1 dir=$2 confine=${VMC_T_CONFINE:-}
    [ -n "$confine" ] || confine=$(dirname "$(realpath "$src")")/../sandbox/vmconsole-confine
    if [ ! -x "$confine" ]; then
        echo "install_gateway: no vmconsole-confine at $confine (set VMC_T_CONFINE)" >&2
        return 1
    fi
    local check
    check=$(dirname "$(realpath "$src")")/vmconsole-tunnel-check
    install -m 0755 "$src" "$dir/vmconsole-gateway" &&
        install -m 0755 "$confine" "$dir/vmconsole-confine" || return 1
    # the sound port's owner check, with the one capability it needs
    if [ -x "$check" ]; then
        install -m 0755 "$check" "$dir/vmconsole-tunnel-check" &&
            setcap cap_sys_ptrace+ep "$dir/vmconsole-tunnel-check" || return 1
    fi
    echo "$dir/vmconsole-gateway"
}

cleanup_common() {
    for p in ${VMC_T_PIDS:-}; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    [ -z "${VMC_T_QEMU_PIDS:-}" ] || stop_pids ${VMC_T_QEMU_PIDS}   # QEMU: daemonized, not our child
    for u in $VMC_T_USERS; do userdel "$u" 2>/dev/null; done
    for g in $VMC_T_GROUPS; do groupdel "$g" 2>/dev/null; done
    [ -n "${VMC_T_DIR:-}" ] && rm -rf "$VMC_T_DIR"
}

# TAP output
ok() { # ok CONDITION-EXIT-STATUS DESCRIPTION
    VMC_T_COUNT=$((VMC_T_COUNT + 1))
    if [ "$1" = 0 ]; then
        echo "ok $VMC_T_COUNT - $2"
    else
        echo "not ok $VMC_T_COUNT - $2"
        VMC_T_FAILS=$((VMC_T_FAILS + 1))
    fi
}

check() { # check DESCRIPTION COMMAND...
    desc=$1; shift
    if "$@"; then ok 0 "$desc"; else ok 1 "$desc"; fi
}

finish() {
    echo "1..$VMC_T_COUNT"
    [ "$VMC_T_FAILS" = 0 ]
}

# ---- processes, QEMU's Spice server, Xvfb, windows ----
# Quiet on success; on failure they say what failed on stderr and return 1.
# Every wait is bounded.
#
#   pid_alive PID                  running (a zombie counts as gone: PID 1
#                                  here may be slow to reap orphans)
#   stop_pids [-t TENTHS] PID...   SIGTERM, wait (default 5 s), then SIGKILL
#   start_qemu NAME SOCK|DIR [QEMU-ARG...]
#                                  a disk-less VM (TCG, SeaBIOS) with its Spice
#                                  server on the Unix socket SOCK (or DIR/NAME.sock)
#                                  and sound devices; sets VMC_T_QEMU_PID
#   stop_qemu NAME [SOCK|DIR]      SIGTERM, wait until gone (5 s), then SIGKILL;
#                                  the socket file stays behind and refuses
#   kill_qemu NAME                 SIGKILL (a VM that dies), wait until gone
#   stop_all_qemu
#   qemu_pid NAME
#   start_xvfb [TAG]               an X server on a free display; sets
#                                  VMC_T_DISPLAY and XVFB_DISPLAY (":N")
#   stop_xvfb [DISPLAY]            stop_all_xvfb
#   wait_for_window DISPLAY TITLE-REGEX TIMEOUT-S
#   screenshot DISPLAY FILE [TITLE-REGEX]
#                                  a PNG of the window whose title matches
#                                  (else of the whole screen)

VMC_T_QEMU_PIDS=""
VMC_T_QEMU_NAMES=""     # "NAME:PID ..."
VMC_T_XVFB=""           # "N:PID ..." (display :N)
VMC_T_QEMU_VGA=${VMC_T_QEMU_VGA:-qxl}

pid_alive() { # pid_alive PID
    local state
    kill -0 "$1" 2>/dev/null || return 1
    state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
    [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# wait_gone TENTHS PID...: TRUE once none of them is alive.
wait_gone() {
    local n=$1 i p alive; shift
    for i in $(seq "$n"); do
        alive=""
        for p in "$@"; do pid_alive "$p" && alive=1; done
        [ -z "$alive" ] && return 0
        sleep 0.1
    done
    for p in "$@"; do pid_alive "$p" && return 1; done
    return 0
}

stop_pids() { # stop_pids [-t TENTHS] PID...
    local tenths=50 p left=""
    if [ "${1:-}" = -t ]; then tenths=$2; shift 2; fi
    [ $# -gt 0 ] || return 0
    for p in "$@"; do kill -TERM "$p" 2>/dev/null; done
    if ! wait_gone "$tenths" "$@"; then
        for p in "$@"; do pid_alive "$p" && { left="$left $p"; kill -KILL "$p" 2>/dev/null; }; done
        echo "stop_pids: SIGKILL for$left (still running $((tenths / 10)) s after SIGTERM)" >&2
        if ! wait_gone 30 $left; then
            echo "stop_pids: still running after SIGKILL:$left" >&2
            return 1
        fi
    fi
    # reap those that are our children (quietly: the others are not)
    for p in "$@"; do wait "$p" 2>/dev/null; done
    return 0
}

# "A B C" minus WORD
vmc_words_without() { # vmc_words_without WORD WORDS...
    local w=$1 x out=""; shift
    # shellcheck disable=SC2048,SC2086 # the words are split on purpose
    for x in $*; do [ "$x" = "$w" ] || out="$out $x"; done
    echo "${out# }"
}

# The value of KEY in "KEY:VALUE ..." (the first one).
vmc_lookup() { # vmc_lookup KEY PAIRS
    local pair
    for pair in $2; do
        [ "${pair%%:*}" = "$1" ] && { echo "${pair#*:}"; return 0; }
    done
    return 1
}

qemu_pid() { vmc_lookup "$1" "$VMC_T_QEMU_NAMES"; } # qemu_pid NAME

start_qemu() { # start_qemu NAME SOCK|DIR [QEMU-ARG...]
    local name=$1 sock=$2 dir pid i err
    shift 2
    if [ -d "$sock" ]; then dir=$sock; sock=$dir/$name.sock; else dir=$(dirname "$sock"); fi
    if qemu_pid "$name" >/dev/null; then
        echo "start_qemu: $name is already running (pid $(qemu_pid "$name"))" >&2
        return 1
    fi
    # a socket left behind by a stopped VM: QEMU would fail to bind
    if [ -S "$sock" ]; then rm -f "$sock"; fi
    rm -f "$dir/$name.pid"
    err=$dir/$name.qemu.err
    # QEMU is the VM, not our code: the tests' G_DEBUG=fatal-warnings (meson's
    # test_env) would make spice-server's own warnings — e.g. when a client
    # goes during the display's first surfaces — kill it (a SPICE Worker
    # "trap int3" in dmesg), which showed up as a refused second connection.
    if ! timeout 30 env -u G_DEBUG qemu-system-x86_64 -name "$name" -machine pc -accel tcg -m 128 \
            -display none -nodefaults -vga "$VMC_T_QEMU_VGA" \
            -spice "unix=on,addr=$sock,disable-ticketing=on" \
            -audiodev spice,id=snd0 -device intel-hda -device hda-duplex,audiodev=snd0 \
            -monitor none -serial none -pidfile "$dir/$name.pid" -daemonize "$@" \
            </dev/null >"$err" 2>&1; then
        echo "start_qemu: qemu-system-x86_64 for $name failed:" >&2
        sed 's/^/  /' "$err" >&2
        return 1
    fi
    pid=$(cat "$dir/$name.pid" 2>/dev/null)
    if [ -z "$pid" ] || ! pid_alive "$pid"; then
        echo "start_qemu: $name: no running QEMU after -daemonize (pidfile '$pid')" >&2
        sed 's/^/  /' "$err" >&2
        return 1
    fi
    VMC_T_QEMU_PIDS="$VMC_T_QEMU_PIDS $pid"
    VMC_T_QEMU_NAMES="$VMC_T_QEMU_NAMES $name:$pid"
    VMC_T_QEMU_PID=$pid
    for i in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
    if [ ! -S "$sock" ]; then
        echo "start_qemu: $name (pid $pid) has no Spice socket at $sock after 5 s" >&2
        return 1
    fi
    rm -f "$err"
}

vmc_qemu_end() { # vmc_qemu_end NAME SIGNAL
    local pid rc=0
    if ! pid=$(qemu_pid "$1"); then
        echo "stop_qemu: no QEMU named $1 was started here" >&2
        return 1
    fi
    if [ "$2" = KILL ]; then
        kill -KILL "$pid" 2>/dev/null
        wait_gone 50 "$pid" || { echo "kill_qemu: $1 (pid $pid) survives SIGKILL" >&2; rc=1; }
    else
        stop_pids "$pid" || rc=1
    fi
    VMC_T_QEMU_PIDS=$(vmc_words_without "$pid" "$VMC_T_QEMU_PIDS")
    VMC_T_QEMU_NAMES=$(vmc_words_without "$1:$pid" "$VMC_T_QEMU_NAMES")
    return $rc
}
stop_qemu() { vmc_qemu_end "$1" TERM; } # stop_qemu NAME [SOCK|DIR]
kill_qemu() { vmc_qemu_end "$1" KILL; } # kill_qemu NAME

stop_all_qemu() {
    local pair rc=0
    for pair in $VMC_T_QEMU_NAMES; do stop_qemu "${pair%%:*}" || rc=1; done
    return $rc
}

start_xvfb() { # start_xvfb [TAG]
    local tag=${1:-xvfb} base pid i n=""
    base=$(mktemp "${VMC_T_DIR:-${TMPDIR:-/tmp}}/$tag.XXXXXX") || return 1
    # -noreset: an X server resets when its last client leaves, and drops a
    # client that connects during the reset. The tests poll with short-lived
    # clients (xwininfo) while a viewer connects through ssh -X; without it
    # about 1 in 10 first connections got "cannot open display" (a laptop's
    # X server with a desktop session never resets like that).
    Xvfb -displayfd 3 -screen 0 1024x768x24 -nolisten tcp -noreset 3>"$base" </dev/null \
        >"$base.log" 2>&1 &
    pid=$!
    VMC_T_PIDS="${VMC_T_PIDS:-} $pid"
    # Xvfb writes the display number and a newline once it accepts clients
    for i in $(seq 100); do
        n=$(sed -n '1{/^[0-9][0-9]*$/p}' "$base" 2>/dev/null)
        [ -n "$n" ] && [ "$(wc -l <"$base")" -ge 1 ] && break
        pid_alive "$pid" || break
        n=""
        sleep 0.1
    done
    if [ -z "$n" ]; then
        echo "start_xvfb: Xvfb ($tag, pid $pid) gave no display number within 10 s:" >&2
        sed 's/^/  /' "$base.log" >&2
        stop_pids -t 20 "$pid"
        return 1
    fi
    VMC_T_XVFB="$VMC_T_XVFB $n:$pid"
    VMC_T_DISPLAY=":$n"
    XVFB_DISPLAY=":$n"
    rm -f "$base" "$base.log"
}

stop_xvfb() { # stop_xvfb [DISPLAY]
    local n pid
    n=${1:-${VMC_T_DISPLAY:-}}; n=${n#:}
    if ! pid=$(vmc_lookup "$n" "$VMC_T_XVFB"); then
        echo "stop_xvfb: no Xvfb on :$n was started here" >&2
        return 1
    fi
    stop_pids -t 30 "$pid" || return 1
    VMC_T_PIDS=$(vmc_words_without "$pid" "${VMC_T_PIDS:-}")
    VMC_T_XVFB=$(vmc_words_without "$n:$pid" "$VMC_T_XVFB")
}

stop_all_xvfb() {
    local entry rc=0
    for entry in $VMC_T_XVFB; do stop_xvfb ":${entry%%:*}" || rc=1; done
    return $rc
}

# The titles of the windows on DISPLAY, one a line.
window_titles() { # window_titles DISPLAY
    timeout 10 xwininfo -display "$1" -root -tree 2>/dev/null |
        sed -n 's/^ *0x[0-9a-f]* "\(.*\)": .*/\1/p'
}

# The id of the first window whose title matches TITLE-REGEX (extended).
window_id() { # window_id DISPLAY TITLE-REGEX
    local id title
    while read -r id title; do
        title=${title#\"}; title=${title%%\": *}
        if printf '%s\n' "$title" | grep -qE -- "$2"; then echo "$id"; return 0; fi
    done < <(timeout 10 xwininfo -display "$1" -root -tree 2>/dev/null |
             grep -E '^ *0x[0-9a-f]+ "')
    return 1
}

wait_for_window() { # wait_for_window DISPLAY TITLE-REGEX TIMEOUT-S
    local tenths
    tenths=$(awk -v s="$3" 'BEGIN { printf "%d", s * 10 }')
    for _ in $(seq "$tenths"); do
        window_id "$1" "$2" >/dev/null && return 0
        sleep 0.1
    done
    window_id "$1" "$2" >/dev/null && return 0
    echo "wait_for_window: no window titled like '$2' on $1 after $3 s; windows:" >&2
    window_titles "$1" | sed 's/^/  /' >&2
    return 1
}

screenshot() { # screenshot DISPLAY FILE [TITLE-REGEX]
    local target=root
    if [ -n "${3:-}" ] && ! target=$(window_id "$1" "$3"); then
        echo "screenshot: no window titled like '$3' on $1" >&2
        return 1
    fi
    if ! DISPLAY=$1 timeout 20 import -silent -window "$target" "$2" 2>"$2.err"; then
        echo "screenshot: import of window $target on $1 failed:" >&2
        sed 's/^/  /' "$2.err" >&2
        rm -f "$2.err"
        return 1
    fi
    rm -f "$2.err"
}

# ---- what the VM shows, and whether a window shows it ----
#
#   qemu_screendump QMP-SOCKET FILE
#                                  QEMU's own picture of its screen (QMP
#                                  screendump, a PPM); start_qemu with
#                                  -qmp unix:QMP-SOCKET,server=on,wait=off
#   qemu_send_key QMP-SOCKET QCODE a key press for the VM (QMP send-key)
#   picture_in_window DUMP SHOT    TRUE when DUMP appears in SHOT (a screenshot
#                                  of a window or a whole screen) nearly
#                                  unchanged: found at a quarter of the size,
#                                  then compared pixel by pixel around there
#                                  (normalized RMSE < 0.02, printed)

# qemu_qmp QMP-SOCKET COMMAND ARGS-JSON: one QMP command; fails on its error.
qemu_qmp() {
    timeout 20 python3 - "$1" "$2" "$3" <<'PYEOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rw")
def call(cmd, args):
    f.write(json.dumps({"execute": cmd, "arguments": args}) + "\n"); f.flush()
    while True:
        r = json.loads(f.readline())
        if "return" in r or "error" in r:
            return r
json.loads(f.readline())  # the greeting
call("qmp_capabilities", {})
sys.exit("error" in call(sys.argv[2], json.loads(sys.argv[3])))
PYEOF
}

qemu_screendump() { # qemu_screendump QMP-SOCKET FILE
    qemu_qmp "$1" screendump "$(jq -cn --arg f "$2" '{filename: $f}')"
}

qemu_send_key() { # qemu_send_key QMP-SOCKET QCODE (e.g. spc, ret)
    qemu_qmp "$1" send-key "$(jq -cn --arg k "$2" '{keys: [{type: "qcode", data: $k}]}')"
}

picture_in_window() { # picture_in_window DUMP SHOT
    local dump=$1 shot=$2 tmp at x y w h err
    tmp=$(mktemp -d "${VMC_T_DIR:-/tmp}/pic.XXXXXX") || return 1
    convert "$shot" -scale 25% "$tmp/shot4.ppm" && convert "$dump" -scale 25% "$tmp/dump4.ppm" &&
        convert "$shot" "$tmp/shot.ppm" || { rm -rf "$tmp"; return 1; }
    at=$(compare -metric RMSE -subimage-search "$tmp/shot4.ppm" "$tmp/dump4.ppm" null: 2>&1 |
         sed -n 's/.* @ \([0-9]*\),\([0-9]*\).*/\1 \2/p')
    if [ -z "$at" ]; then
        echo "# picture_in_window: $(basename "$dump") not found in $(basename "$shot")"
        rm -rf "$tmp"; return 1
    fi
    x=$(( ${at% *} * 4 - 6 )); y=$(( ${at#* } * 4 - 6 ))
    [ "$x" -ge 0 ] || x=0; [ "$y" -ge 0 ] || y=0
    w=$(identify -format '%w' "$dump"); h=$(identify -format '%h' "$dump")
    convert "$tmp/shot.ppm" -crop "$((w + 12))x$((h + 12))+$x+$y" +repage "$tmp/near.ppm"
    err=$(compare -metric RMSE -subimage-search "$tmp/near.ppm" "$dump" null: 2>&1 |
          sed -n 's/.*(\([0-9.e-]*\)).*/\1/p')
    rm -rf "$tmp"
    echo "# screenshot vs screendump: normalized RMSE ${err:-?}"
    [ -n "$err" ] && awk -v e="$err" 'BEGIN { exit !(e < 0.02) }'
}
