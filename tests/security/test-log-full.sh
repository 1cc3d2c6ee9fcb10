#!/bin/bash
# Threat: a full disk under the session log (filled by anyone who can write
# there, or by the log itself) made records vanish from both the file and
# syslog: the syslog mirror was written only after the file took the record.
# Protection: sessionlog/log-append.c mirrors every record whether or not the
# file took it, and the mirror line then says "log_write=failed (why)" at
# LOG_WARNING. The gateway still refuses the console (exit 8): the audit
# trail fails closed.
# Test: the log on a 64 KiB tmpfs filled to the last block; the real gateway
# runs in a private mount namespace whose /dev/log is a test syslog (a
# datagram socket; the host's syslog is not touched) and without a journal
# socket (test-journal.sh tests the journal). A denied open, a bad
# request and a granted open (its start record) each reach the test syslog,
# saying the file write failed; with room again the records reach both.
# Usage: test-log-full.sh GATEWAY-BINARY
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/log-host-lib.sh"
need_root
GW=$(realpath "$1")
log_host logfull 64k || exit 1
BOB=$STRANGER
cat > "$D/gateway.conf" <<CONF
[gateway]
socket-pattern = $D/spicex/%s.sock
log = $LOG
run-dir = $D/run
sandbox = off
log-reserve = 0
CONF
fill() { : > "$LOG"; dd if=/dev/zero of="$D/logfs/fill" bs=4096 2>/dev/null; sync; }

# gw TAG IDENTITY REQUEST: the gateway as sshd starts it, in a mount
# namespace whose /dev is a small tmpfs with the devices it needs and a test
# syslog on /dev/log writing what it receives to $D/TAG.syslog. Sets RC.
gw() {
    local tag=$1
    : > "$D/$tag.syslog"
    env -i PATH=/usr/bin:/bin HOME="$D" DISPLAY=:99 SSH_ORIGINAL_COMMAND="$3" \
        SSH_CONNECTION="192.0.2.7 50000 127.0.0.1 22" \
        unshare --mount --propagation private sh -c '
        d=$1 tag=$2; shift 2
        # no journal here (a host with systemd has one): the syslog path
        if [ -d /run/systemd ]; then
            mount -t tmpfs -o size=1m,mode=0755 vmcnojournal /run/systemd || exit 89
        fi
        mkdir -p "$d/olddev" && mount --rbind /dev "$d/olddev" &&
        mount -t tmpfs -o size=1m,mode=0755 devtest /dev || exit 90
        for n in null zero full random urandom tty; do
            touch "/dev/$n" && mount --bind "$d/olddev/$n" "/dev/$n" || exit 91
        done
        ln -s /proc/self/fd /dev/fd
        python3 -c "
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(\"/dev/log\")
out = open(sys.argv[1], \"a\", buffering=1)
open(sys.argv[1] + \".ready\", \"w\").close()
while True:
    out.write(s.recv(4096).decode(\"utf-8\", \"replace\") + \"\n\")
" "$d/$tag.syslog" &
        listener=$!
        for _ in $(seq 50); do [ -e "$d/$tag.syslog.ready" ] && break; sleep 0.1; done
        "$@"; rc=$?
        sleep 0.3; kill $listener
        exit $rc' sh "$D" "$tag" "$GW" --config "$D/gateway.conf" --identity "$2" \
        >/dev/null 2>"$D/$tag.err"
    RC=$?
}
in_syslog() { # in_syslog TAG REGEX
    grep -qE -- "$2" "$D/$1.syslog"
}
said() { # said TAG: the test syslog's first line, cut for a TAP description
    head -n 1 "$D/$1.syslog" | cut -c 1-200
}

fill
gw denied "$BOB" debianx
check "full disk, bob's denied open: exit 8 (got $RC)" [ "$RC" = 8 ]
check "full disk: the log file took nothing" [ ! -s "$LOG" ]
check "full disk: the denied record reached syslog, saying the file write failed: $(said denied)" \
    in_syslog denied "vmconsole\[[0-9]+\]: denied identity=$BOB .*vm=debianx .*log_write=failed \(cannot write to the session log .*No space left on device\)"

gw bad "$ALICE" "debianx --bogus"
check "full disk, a bad request: exit 2 (got $RC)" [ "$RC" = 2 ]
check "full disk: the bad request's record reached syslog: $(said bad)" \
    in_syslog bad "denied identity=$ALICE .*exit=2 .*log_write=failed"

gw start "$ALICE" debianx
check "full disk, alice's granted open: refused with exit 8 (got $RC)" [ "$RC" = 8 ]
check "full disk: alice is told the audit log cannot be written" \
    grep -q "audit log cannot be written" "$D/start.err"
check "full disk: the start record reached syslog" \
    in_syslog start "start session=[0-9a-f]{32} identity=$ALICE .*vm=debianx .*log_write=failed \(.*No space left on device\)"

rm -f "$D/logfs/fill"
gw room "$BOB" debianx
check "room again: exit 3 (got $RC)" [ "$RC" = 3 ]
check "room again: the denied record is in the file" grep -q "\"identity\":\"$BOB\"" "$LOG"
check "room again: and in syslog, without a failure" \
    eval 'in_syslog room "denied identity=$BOB" && ! in_syslog room log_write=failed'
finish
