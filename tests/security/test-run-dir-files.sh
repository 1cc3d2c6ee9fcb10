#!/bin/bash
# Files the gateway and vmconsole-admin open in the run dir and the
# account's home, replaced by something that is not a regular file of the
# account: a FIFO (an open(2) or read(2) of it waits for a writer forever), a
# symbolic link to another file, a directory, a file of another owner, a hard
# link to another file of the account's (the session log is one: a lock
# file's truncation would empty it). Who
# can plant them: whatever runs as the account (a viewer without its
# sandbox, sandbox = off), root by mistake, anyone where the run dir's mode
# is wrong. Each must give a prompt error that names the file, never a hang
# and never a file read or written through a link. Real gateway processes,
# started as sshd starts them (the account, env -i, SSH_ORIGINAL_COMMAND), a
# fake viewer that waits (sandbox = off), VM sockets that accept; a watchdog
# on every run, so that a hang is a failure and not a stuck test.
#
# Threats (for fifo, symlink, dir, owner, hardlink) Assertions
# -----------------------------------------------   ---------------------------------------------
# F1 RUN/VM.lock: every open of that VM (and,       the open of VM returns within the watchdog,
#    through the session count, of every VM)           exit 1, the person's stderr and the denied
#    hangs; `vmconsole-admin sessions` and `check`      record name the file and what it is; an
#    hang                                               open of another VM still runs;
#                                                       `sessions` and `check --no-probe` return,
#                                                       naming the file; a link's target is untouched
# F2 RUN/VM.takeover: a session that gets SIGTERM   the session ends within the watchdog and
#    reads the takeover note and hangs (no end          writes its end record (reason signal)
#    record, the console held)
# F3 RUN/identity-UID.slot-0 (the session-limit     the open returns within the watchdog, exit 1,
#    slots)                                             naming the file
# F4 HOME/.Xauthority (the account's X cookies,     the open returns within the watchdog, exit 1,
#    read at every open)                                naming the file; a link's target is untouched
#
# Usage: test-run-dir-files.sh GATEWAY-BINARY ADMIN-BINARY  (TAP; needs root, else exit 77)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../integration/lib.sh"
. "$HERE/security-lib.sh"
need_root
ADMIN=$(realpath "$2")
for prog in setpriv setfacl xauth python3 mkfifo timeout; do
    if ! command -v "$prog" >/dev/null; then
        echo "1..0 # SKIP $prog is not installed (scripts/install-deps installs it)"
        exit 77
    fi
done

P=$(vmc_prefix f)
VMC_T_DIR=$(mktemp -d /tmp/vmc-rundir-XXXXXX)
chmod 0755 "$VMC_T_DIR"
D=$VMC_T_DIR
RUNNING=""
cleanup() {
    # shellcheck disable=SC2086 # the pids are split on purpose
    [ -z "$RUNNING" ] || stop_pids -t 50 $RUNNING
    cleanup_common
}
trap cleanup EXIT

WATCH=10
ALICE=${P}al
add_user "$ALICE" || exit 1
sec_direct_setup "${P}gw" "$1" || exit 1
ACCOUNT=$SEC_ACCOUNT HOME_ACC=$D/home/$SEC_ACCOUNT
sec_vm_sockets vma vmb && sec_grant "$ALICE" vma vmb || exit 1
sec_direct_config
install -d -m 0755 "$D/other"
printf 'session=feedfacefeedfacefeedfacefeedface\nidentity=%s\nclient=-\nsince=1\npid=1\nbytes=0\n' \
    "$ALICE" > "$D/other/victim"
chown "$ACCOUNT" "$D/other/victim"
VICTIM_SUM=$(sha256sum < "$D/other/victim")
ALICE_UID=$(id -u "$ALICE")

# plant KIND PATH: something that is not a regular file of the account at PATH
plant() {
    rm -rf "$2"
    case $1 in
    fifo) mkfifo -m 0600 "$2" && chown "$ACCOUNT" "$2" ;;
    symlink) ln -s "$D/other/victim" "$2" ;;
    dir) mkdir -m 0700 "$2" && chown "$ACCOUNT" "$2" ;;
    owner) cp "$D/other/victim" "$2" && chown "$ALICE" "$2" && chmod 0666 "$2" ;;
    hardlink) ln "$D/other/victim" "$2" ;;
    esac
}
needle() { # what the message must say about KIND
    case $1 in
    fifo) echo "FIFO" ;;
    symlink) echo "symbolic link" ;;
    dir) echo "directory" ;;
    owner) echo "belongs to uid $ALICE_UID" ;;
    hardlink) echo "has 2 hard links" ;;
    esac
}
# the gateway in the foreground under the watchdog: sets RC (124: it hung)
gateway_fg() { # gateway_fg TAG REQUEST [ENV=VALUE...]
    local tag=$1 request=$2; shift 2
    sec_gateway_bg "$tag" "$ALICE" "$request" "$@"
    local pid=$SEC_PID
    for _ in $(seq $((WATCH * 10))); do pid_alive "$pid" || break; sleep 0.1; done
    if pid_alive "$pid"; then
        echo "watchdog: still running after $WATCH s" >> "$D/$tag.err"
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        RC=124
    else
        sec_gateway_rc "$pid"; RC=$?
    fi
}
admin_fg() { # admin_fg TAG ARGS...: vmconsole-admin under the watchdog; sets RC
    local tag=$1; shift
    timeout -k 2 "$WATCH" "$ADMIN" --config "$SEC_CONF" "$@" >"$D/$tag.out" 2>"$D/$tag.err"
    RC=$?
}
# A session that runs: wait until its gateway holds the lock (or has ended).
session_bg() { # session_bg TAG VM -> SESSION_PID
    sec_gateway_bg "$1" "$ALICE" "$2"
    SESSION_PID=$SEC_PID
    local held=1
    for _ in $(seq $((WATCH * 10))); do
        grep -qs "^pid=$SESSION_PID\$" "$SEC_RUN/$2.lock" && { held=0; break; }
        pid_alive "$SESSION_PID" || break
        sleep 0.1
    done
    pid_alive "$SESSION_PID" && RUNNING="$RUNNING $SESSION_PID"
    [ "$held" = 0 ] && return 0
    echo "# session $1 did not start within $WATCH s: $(tr '\n' ' ' < "$D/$1.err")"
    return 1
}
end_session() { # end_session PID
    stop_pids -t 50 "$1"
    RUNNING=$(vmc_words_without "$1" "$RUNNING")
}
last_denied_reason() {
    python3 -c '
import json, sys
m = [r for l in open(sys.argv[1], encoding="utf-8") if l.strip()
     for r in [json.loads(l)] if r.get("event") == "denied"]
print(m[-1].get("reason", "") if m else "")' "$SEC_LOG"
}
said() { grep -qF -- "$2" "$D/$1.err"; } # said TAG TEXT: TAG's stderr has TEXT
# An open of vma that FILE's KIND must end at once: exit 1, naming it.
open_refused() { # open_refused LABEL TAG FILE KIND [ENV=VALUE...]
    local label=$1 tag=$2 f=$3 want; want=$(needle "$4"); shift 4
    gateway_fg "$tag" vma "$@"
    echo "# $label: exit $RC: $(head -2 "$D/$tag.err" | tr '\n' ' ')"
    check "$label: the open of vma returns within $WATCH s with exit 1 (got $RC)" [ "$RC" = 1 ]
    check "$label: the message names $f and says '$want'" \
        eval 'said "$tag" "$f" && said "$tag" "$want"'
}
victim_untouched() { [ "$(sha256sum < "$D/other/victim")" = "$VICTIM_SUM" ]; }

for kind in fifo symlink dir owner hardlink; do
    want=$(needle "$kind")
    # ---- F1: RUN/vma.lock ----
    f=$SEC_RUN/vma.lock
    plant "$kind" "$f"
    open_refused "F1 $kind" "f1-$kind" "$f" "$kind"
    reason=$(last_denied_reason)
    check "F1 $kind: the denied record says so ($reason)" \
        eval 'grep -qF -- "$f" <<<"$reason" && grep -qF -- "$want" <<<"$reason"'
    if session_bg "f1-$kind-other" vmb; then
        ok 0 "F1 $kind: an open of another VM still runs"
        end_session "$SESSION_PID"
    else
        ok 1 "F1 $kind: an open of another VM still runs"
    fi
    admin_fg "f1-$kind-sessions" sessions
    check "F1 $kind: sessions returns within $WATCH s (exit $RC, not 124)" \
        eval '[ "$RC" != 124 ] && [ "$RC" != 137 ]'
    check "F1 $kind: sessions names $f" \
        eval 'said "f1-$kind-sessions" "$f" && said "f1-$kind-sessions" "$want"'
    admin_fg "f1-$kind-check" check --no-probe --gateway "$SEC_GW" --log "$SEC_LOG"
    check "F1 $kind: check returns within $WATCH s (exit $RC, not 124)" \
        eval '[ "$RC" != 124 ] && [ "$RC" != 137 ]'
    check "F1 $kind: check names $f" grep -qF -- "$f" "$D/f1-$kind-check.out"
    check "F1 $kind: the link's target is untouched" victim_untouched
    rm -rf "$f"

    # ---- F2: RUN/vma.takeover while a session runs ----
    f=$SEC_RUN/vma.takeover
    if session_bg "f2-$kind" vma; then
        ends_before=$(sec_records end "r.get('reason') == 'signal'")
        plant "$kind" "$f"
        kill -TERM "$SESSION_PID"
        wait_gone $((WATCH * 10)) "$SESSION_PID"
        gone=$?
        echo "# F2 $kind: $(tail -2 "$D/f2-$kind.err" | tr '\n' ' ')"
        check "F2 $kind: the session ends within $WATCH s of SIGTERM" [ "$gone" = 0 ]
        end_session "$SESSION_PID"
        check "F2 $kind: its end record says reason signal" \
            [ "$(sec_records end "r.get('reason') == 'signal'")" = $((ends_before + 1)) ]
        check "F2 $kind: the link's target is untouched" victim_untouched
    else
        ok 1 "F2 $kind: a session of vma to end"
    fi
    rm -rf "$f"

    # ---- F3: the identity's first session slot ----
    f=$SEC_RUN/identity-$ALICE_UID.slot-0
    plant "$kind" "$f"
    open_refused "F3 $kind" "f3-$kind" "$f" "$kind"
    rm -rf "$f"

    # ---- F4: the account's ~/.Xauthority ----
    f=$HOME_ACC/.Xauthority
    plant "$kind" "$f"
    [ "$kind" = owner ] && cp "$D/xauth" "$f" && chown "$ALICE" "$f" && chmod 0644 "$f"
    open_refused "F4 $kind" "f4-$kind" "$f" "$kind" XAUTHORITY=
    check "F4 $kind: the link's target is untouched" victim_untouched
    rm -rf "$f"
    # whatever of the account's the watchdog left (a hung gateway's session)
    # shellcheck disable=SC2046 # the pids are split on purpose
    stop_pids -t 30 $(pgrep -u "$ACCOUNT" 2>/dev/null) 2>/dev/null
done

finish
