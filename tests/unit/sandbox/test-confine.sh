#!/bin/bash
# vmconsole-confine on real programs: confine-probe makes one attempt and prints
# "ok" or the errno's name, under vmconsole-confine and without it (the
# baseline: each refused attempt works unconfined, so the refusal is the
# feature's). Where this kernel's Landlock ABI lacks a level, the output says
# so and the degraded outcome is asserted; --landlock-abi-max exercises the
# degraded paths on a kernel that has them all.
#
#   a. Landlock, filesystem: --read, --exec, --write, --device; truncate (ABI 3),
#      ioctl on devices (ABI 5), renames between directories (REFER, ABI 2)
#   b. Landlock, TCP bind/connect (ABI 4), abstract sockets and signals (ABI 6)
#   c. seccomp and no_new_privs
#   d. the report line, inherited fds, stdio
#   e. argv: missing paths, --require-landlock, usage, exit codes
#
# Usage: test-confine.sh VMCONSOLE-CONFINE CONFINE-PROBE      (TAP; no root needed)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../../integration/lib.sh"
CONFINE=$(realpath "$1")
PROBE_BUILT=$(realpath "$2")

VMC_T_DIR=$(mktemp -d /tmp/vmc-confine-XXXXXX)
T=$VMC_T_DIR
trap cleanup_common EXIT
trap 'exit 1' INT TERM HUP

# LeakSanitizer (sanitizer builds) stops the world with ptrace: denied here.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

mkdir -p "$T/bin" "$T/ro" "$T/rw/sub" "$T/out"
cp "$PROBE_BUILT" "$T/bin/probe"
cp "$PROBE_BUILT" "$T/out/probe"
cp "$PROBE_BUILT" "$T/rw/probe"
P=$T/bin/probe
echo data >"$T/ro/file"
echo data >"$T/out/file"

KERNEL_ABI=$("$P" landlock-abi)
ABI=$((KERNEL_ABI < 7 ? KERNEL_ABI : 7))
echo "# this kernel: Landlock ABI $KERNEL_ABI; vmconsole-confine uses ABI $ABI"

# The program, its libraries and /proc (sanitizer runtimes read maps) run;
# $T/ro is read-only, $T/rw the private tree, /dev/null the one device.
BASE=(--exec /usr --read /proc --exec "$T/bin" --read "$T/ro" --write "$T/rw"
      --device /dev/null)

# confined [OPTION...] -- ACTION [ARG...]: the probe's output under
# vmconsole-confine with BASE and OPTIONs; its exit code in RC, stderr in $T/err
confined() {
    local opts=()
    while [ "$1" != -- ]; do opts+=("$1"); shift; done
    shift
    "$CONFINE" "${BASE[@]}" "${opts[@]}" -- "$P" "$@" 2>"$T/err"
}
free() { "$P" "$@"; } # the same attempt, unconfined

is() { # is DESCRIPTION EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then ok 0 "$1"; else
        ok 1 "$1"
        echo "#   expected '$2', got '$3'"
        [ -s "$T/err" ] && sed 's/^/#   stderr: /' "$T/err"
    fi
}

# at_abi LEVEL WHAT: true when ABI >= LEVEL, else says what is not enforced
at_abi() {
    [ "$ABI" -ge "$1" ] && return 0
    echo "# Landlock ABI $ABI < $1: $2 not restricted on this kernel; asserting that"
    return 1
}

# ---- a. Landlock, filesystem ----
if at_abi 1 "the filesystem"; then DENY=EACCES; else DENY=ok; fi
is "a: reading beneath --read works" ok "$(confined -- read "$T/ro/file")"
is "a: listing a --read dir works" ok "$(confined -- list "$T/ro")"
is "a: writing beneath --read is refused" "$DENY" "$(confined -- write "$T/ro/new")"
is "a: reading outside every PATH is refused" "$DENY" "$(confined -- read "$T/out/file")"
is "a: listing outside every PATH is refused" "$DENY" "$(confined -- list "$T/out")"
is "a: (unconfined, that read works)" ok "$(free read "$T/out/file")"
is "a: writing outside --write is refused" "$DENY" "$(confined -- write "$T/out/new")"
is "a: (unconfined, that write works)" ok "$(free write "$T/out/new")"
is "a: creating a file beneath --write works" ok "$(confined -- write "$T/rw/created")"
is "a: making a dir beneath --write works" ok "$(confined -- mkdir "$T/rw/dir")"
is "a: rename in one dir beneath --write works (g_file_set_contents)" ok \
    "$(confined -- rename "$T/rw/created" "$T/rw/renamed")"
is "a: removing a file beneath --write works" ok "$(confined -- unlink "$T/rw/renamed")"
is "a: exec beneath --exec works" ok "$(confined -- exec "$P" noop)"
is "a: exec outside --exec is refused" "$DENY" "$(confined -- exec "$T/out/probe" noop)"
is "a: (unconfined, that exec works)" ok "$(free exec "$T/out/probe" noop)"
is "a: exec of a file beneath --write is refused (what it writes never runs)" "$DENY" \
    "$(confined -- exec "$T/rw/probe" noop)"
is "a: writing to --device /dev/null (O_TRUNC) works" ok "$(confined -- write /dev/null)"
is "a: writing to /dev/zero (no --device) is refused" "$DENY" "$(confined -- write /dev/zero)"

if at_abi 3 "truncate"; then DENY=EACCES; else DENY=ok; fi
is "a: truncate beneath --read is refused (ABI 3)" "$DENY" "$(confined -- truncate "$T/ro/file")"
is "a: degraded at ABI 2: truncate beneath --read goes through" ok \
    "$(confined --landlock-abi-max 2 -- truncate "$T/ro/file")"
echo data >"$T/ro/file"

if at_abi 5 "ioctl on devices"; then DENY=EACCES; else DENY=ok; fi
is "a: ioctl on a device granted by --read only is refused (ABI 5)" "$DENY" \
    "$(confined --read /dev/ptmx -- ioctl-ptmx)"
is "a: ioctl on --device works" ok "$(confined --device /dev/ptmx -- ioctl-ptmx)"
is "a: degraded at ABI 4: ioctl with --read only goes through" ok \
    "$(confined --read /dev/ptmx --landlock-abi-max 4 -- ioctl-ptmx)"

: >"$T/rw/moving"
if at_abi 2 "renames between directories"; then MOVE=ok; else MOVE=EXDEV; fi
is "a: moving a file between dirs beneath --write works (REFER, ABI 2)" "$MOVE" \
    "$(confined -- rename "$T/rw/moving" "$T/rw/sub/moved")"
: >"$T/rw/moving"
is "a: degraded at ABI 1: that move is refused (EXDEV), a same-dir rename still works" \
    "EXDEV ok" "$(confined --landlock-abi-max 1 -- rename "$T/rw/moving" "$T/rw/sub/m2") $(
        confined --landlock-abi-max 1 -- rename "$T/rw/moving" "$T/rw/m2")"

# ---- b. Landlock, TCP and scopes: a listener outside the sandbox ----
"$P" serve "$T/port" "vmc-confine-$$" &
SERVE=$!
VMC_T_PIDS="$SERVE"
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
PORT=$(cat "$T/port" 2>/dev/null)
check "b: a TCP and an abstract-socket listener outside are up (port ${PORT:-none})" \
    test -n "$PORT"

if at_abi 4 "TCP"; then DENY=EACCES; else DENY=ok; fi
is "b: (unconfined, TCP connect to 127.0.0.1 works)" ok "$(free tcp-connect "$PORT")"
is "b: TCP connect to 127.0.0.1 is refused (ABI 4)" "$DENY" "$(confined -- tcp-connect "$PORT")"
is "b: TCP bind is refused (ABI 4)" "$DENY" "$(confined -- tcp-bind)"
is "b: degraded at ABI 3: TCP connect goes through" ok \
    "$(confined --landlock-abi-max 3 -- tcp-connect "$PORT")"

if at_abi 6 "abstract sockets and signals"; then DENY=EPERM; else DENY=ok; fi
is "b: (unconfined, abstract-socket connect and kill work)" "ok ok" \
    "$(free abstract-connect "vmc-confine-$$") $(free kill "$SERVE")"
is "b: connect to an abstract socket outside is refused (ABI 6)" "$DENY" \
    "$(confined -- abstract-connect "vmc-confine-$$")"
is "b: kill() of a process outside is refused (ABI 6)" "$DENY" "$(confined -- kill "$SERVE")"
is "b: degraded at ABI 5: both go through" "ok ok" \
    "$(confined --landlock-abi-max 5 -- abstract-connect "vmc-confine-$$") $(
        confined --landlock-abi-max 5 -- kill "$SERVE")"

# ---- c. seccomp, no_new_privs ----
is "c: no_new_privs and a seccomp filter are in force" "no_new_privs=1 seccomp=2" \
    "$(confined -- status)"
is "c: (unconfined: neither)" "no_new_privs=0 seccomp=0" "$(free status)"
NEWUSER=0x10000000
is "c: (unconfined, unshare/clone of a user ns, clone3, ptrace work)" "ok ok ok ok" \
    "$(free unshare-user) $(free clone $NEWUSER) $(free clone3) $(free ptrace-child)"
is "c: unshare(CLONE_NEWUSER) is refused" EPERM "$(confined -- unshare-user)"
is "c: clone(CLONE_NEWUSER) is refused" EPERM "$(confined -- clone $NEWUSER)"
# CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWPID, NEWNET (unconfined, all but
# CLONE_NEWUSER need root: as root, each refusal below is the filter's)
NEW_FLAGS="0x00020000 0x02000000 0x04000000 0x08000000 0x20000000 0x40000000"
free_out="" confined_out=""
for f in $NEW_FLAGS; do
    free_out="$free_out $(free clone "$f")"
    confined_out="$confined_out $(confined -- clone "$f")"
done
echo "# unconfined clone($NEW_FLAGS):$free_out"
is "c: clone() with any other CLONE_NEW* flag is refused" \
    " EPERM EPERM EPERM EPERM EPERM EPERM" "$confined_out"
is "c: a plain fork (clone without CLONE_NEW*) works" ok "$(confined -- clone 0)"
is "c: clone3 says ENOSYS" ENOSYS "$(confined -- clone3)"
is "c: threads and posix_spawn still work (glibc falls back to clone)" "ok ok" \
    "$(confined -- thread) $(confined -- spawn /usr/bin/true)"
is "c: ptrace of its own child is refused" EPERM "$(confined -- ptrace-child)"
PTY=(--device /dev/ptmx --device /dev/pts)
out="$(free tiocsti) $(free tiocsti high)"
if [ "$(id -u)" = 0 ] || [ "$(cat /proc/sys/dev/tty/legacy_tiocsti 2>/dev/null)" != 0 ]; then
    is "c: (unconfined, TIOCSTI works, with high bits too)" "ok ok" "$out"
else
    echo "# unconfined TIOCSTI: $out (dev.tty.legacy_tiocsti = 0 and not root)"
fi
is "c: TIOCSTI is refused, with high bits set too" "EPERM EPERM" \
    "$(confined "${PTY[@]}" -- tiocsti) $(confined "${PTY[@]}" -- tiocsti high)"
is "c: (unconfined, personality(ADDR_NO_RANDOMIZE) works)" ok "$(free personality 0x0040000)"
is "c: personality(ADDR_NO_RANDOMIZE) is refused, PER_LINUX allowed" "EPERM ok" \
    "$(confined -- personality 0x0040000) $(confined -- personality 0)"
echo "# unconfined: AF_PACKET socket: $(free socket 17), AF_VSOCK: $(free socket 40)"
is "c: AF_PACKET and AF_VSOCK sockets say EAFNOSUPPORT, AF_UNIX works" \
    "EAFNOSUPPORT EAFNOSUPPORT ok" \
    "$(confined -- socket 17) $(confined -- socket 40) $(confined -- socket 1)"
echo "# unconfined: x32 getpid: $(free x32), i386 getpid: $(free i386)"
is "c: x32 and i386 syscalls are refused" "EPERM EPERM" \
    "$(confined -- x32) $(confined -- i386)"

free syscalls >"$T/syscalls.free"
confined -- syscalls >"$T/syscalls.confined"
echo "# unconfined: $(tr '\n' ' ' <"$T/syscalls.free")"
N=$(wc -l <"$T/syscalls.free")
NOT_EPERM=$(grep -v '=EPERM$' "$T/syscalls.confined" | tr '\n' ' ')
check "c: all $N listed dangerous syscalls are refused with EPERM${NOT_EPERM:+ (not: $NOT_EPERM)}" \
    test "$N" -ge 40 -a "$(grep -c '=EPERM$' "$T/syscalls.confined")" = "$N"

# ---- d. report, fds, stdio ----
out=$(confined --report-fd 3 -- noop 3>"$T/report")
is "d: the report line is exact, and the program ran" \
    "landlock=$ABI seccomp=on no_new_privs=on|ok" "$(cat "$T/report")|$out"
confined --report-fd 3 --landlock-abi-max 0 -- noop 3>"$T/report" >/dev/null
is "d: without Landlock the report says landlock=0" "landlock=0 seccomp=on no_new_privs=on" \
    "$(cat "$T/report")"
confined --report-fd 7 --landlock-abi-max 1 -- noop 7>"$T/report" >/dev/null
is "d: with --landlock-abi-max 1 it says landlock=1" "landlock=1 seccomp=on no_new_privs=on" \
    "$(cat "$T/report")"
out=$(free fds 4</dev/null 5>"$T/x")
check "d: (unconfined, fds 4 and 5 are inherited: $out)" grep -q '^0 1 2 4 5' <<<"$out"
is "d: fds >= 3 are closed, the report fd too" "0 1 2" \
    "$(confined --report-fd 3 -- fds 3>"$T/report" 4</dev/null 5>"$T/x")"
is "d: a closed stdin and stderr are opened (on /dev/null)" "0 1 2" \
    "$("$CONFINE" "${BASE[@]}" -- "$P" fds <&- 2>&-)"
out=$(confined --report-fd 3 -- noop 3</dev/null)
RC=$?
is "d: a report that cannot be written is a refusal (126), the program does not run" \
    "126||1" "$RC|$out|$(grep -c 'writing the report to fd 3' "$T/err")"

# ---- e. argv and exit codes ----
out=$(confined --read "$T/none" --write "$T/ro/file/below" --exec /vmc-none -- noop)
is "e: PATHs that do not exist are skipped" ok "$out"
confined --debug --read "$T/none" -- noop >/dev/null
check "e: with --debug, a skipped PATH is named" grep -q -- "--read $T/none: not there, skipped" \
    "$T/err"
confined -- noop >/dev/null
check "e: without --debug, nothing on stderr" test ! -s "$T/err"

out=$(confined --require-landlock --landlock-abi-max 0 -- noop)
RC=$?
is "e: --require-landlock without Landlock: refused (126), nothing runs" "126|" "$RC|$out"
check "e: ... with one line naming Landlock on stderr" test "$(wc -l <"$T/err")" = 1 -a \
    "$(grep -c 'Landlock is not available' "$T/err")" = 1
if at_abi 1 "--require-landlock"; then WANT=ok; else WANT=""; fi
is "e: --require-landlock with Landlock runs the program" "$WANT" \
    "$(confined --require-landlock -- noop)"

usage_rc() { "$CONFINE" "$@" >/dev/null 2>"$T/err"; echo "$?:$(grep -c '^usage:' "$T/err")"; }
for args in "" "-- probe" "--read etc -- /bin/true" "--read" "--bogus -- /bin/true" \
    "--report-fd 2 -- /bin/true" "--report-fd 9 -- /bin/true" "/bin/true" \
    "--landlock-abi-max 8 -- /bin/true"; do
    # shellcheck disable=SC2086 # split on purpose
    is "e: bad usage '$args': exit 2 with usage" "2:1" "$(usage_rc $args)"
done
is "e: --help: exit 0" 0 "$("$CONFINE" --help >/dev/null; echo $?)"
"$CONFINE" "${BASE[@]}" -- /vmc-confine-none 2>"$T/err"
RC=$?
is "e: a PROGRAM that does not exist: 127" 127 "$RC"
"$CONFINE" "${BASE[@]}" -- "$T/out/probe" noop 2>"$T/err"
RC=$?
if at_abi 1 "exec"; then WANT=126; else WANT=0; fi
is "e: a PROGRAM outside --exec: 126" "$WANT" "$RC"

finish
