# shellcheck shell=bash
# security-lib.sh — what the security tests share: listeners that record who
# connects, and finding what an attack left on the host (files and processes
# carrying a mark). Source it after ../integration/lib.sh (bash; uses
# VMC_T_DIR, VMC_T_PIDS, pid_alive, stop_pids).
#
#   sec_listen_tcp TAG             a listener on 127.0.0.1 (a free port) that
#                                  records every connection in
#                                  $VMC_T_DIR/TAG.connections; sets SEC_PORT
#   sec_listen_unix TAG PATH       the same on a Unix socket at PATH (mode 0777
#                                  unless changed afterwards)
#   sec_connections TAG            the number of connections recorded so far
#   sec_connection_lines TAG       the recorded lines (diagnostics)
#   sec_marked_files MARK          files (any kind) whose name contains MARK,
#                                  under $VMC_T_DIR and directly in /tmp,
#                                  /var/tmp and /dev/shm, one path a line
#   sec_marked_pids MARK           live processes whose command line contains
#                                  MARK, one pid a line
#   sec_remove_marked MARK         SIGKILL those processes and remove those
#                                  files outside $VMC_T_DIR (cleanup_common
#                                  removes $VMC_T_DIR)
#   sec_wait_until TENTHS CMD...   TRUE once CMD succeeds (bounded)
#
# Every wait is bounded. The shared dirs are searched one level deep only,
# and only for names that contain MARK, so nothing else there is touched.

SEC_SHARED_DIRS="/tmp /var/tmp /dev/shm"

# A Python listener: accepts, reads what comes within 1 s (at most 256 bytes),
# writes one line "peer=… data=…" per connection, flushed at once.
sec_listener() { # sec_listener KIND ADDRESS LOG READY
    python3 -c '
import socket, struct, sys
kind, address, log, ready = sys.argv[1:5]
if kind == "tcp":
    s = socket.socket(socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    where = str(s.getsockname()[1])
else:
    s = socket.socket(socket.AF_UNIX)
    s.bind(address)
    where = address
s.listen(16)
out = open(log, "a", buffering=1)
open(ready, "w").write(where + "\n")
while True:
    c, peer = s.accept()
    if kind == "unix":
        pid, uid, gid = struct.unpack("3i", c.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
        peer = "pid %d uid %d" % (pid, uid)
    c.settimeout(1)
    try:
        data = c.recv(256)
    except OSError:
        data = b""
    out.write("peer=%s data=%r\n" % (peer, data))
    c.close()
' "$@" </dev/null >/dev/null 2>&1 &
    VMC_T_PIDS="${VMC_T_PIDS:-} $!"
    for _ in $(seq 50); do [ -s "$4" ] && return 0; sleep 0.1; done
    echo "sec_listener: the $1 listener for $3 did not start" >&2
    return 1
}

sec_listen_tcp() { # sec_listen_tcp TAG
    local log=$VMC_T_DIR/$1.connections
    : > "$log"
    sec_listener tcp - "$log" "$log.ready" || return 1
    # shellcheck disable=SC2034 # for the test that sources this
    SEC_PORT=$(cat "$log.ready")
}

sec_listen_unix() { # sec_listen_unix TAG PATH
    local log=$VMC_T_DIR/$1.connections
    : > "$log"
    sec_listener unix "$2" "$log" "$log.ready" && chmod 0777 "$2"
}

sec_connections() { wc -l < "$VMC_T_DIR/$1.connections"; } # sec_connections TAG
sec_connection_lines() { cat "$VMC_T_DIR/$1.connections"; } # sec_connection_lines TAG

sec_marked_files() { # sec_marked_files MARK
    [ -n "$1" ] || return 1
    find "$VMC_T_DIR" -name "*$1*" 2>/dev/null
    # shellcheck disable=SC2086 # the dirs are split on purpose
    find $SEC_SHARED_DIRS -mindepth 1 -maxdepth 1 -name "*$1*" 2>/dev/null
}

sec_marked_pids() { # sec_marked_pids MARK
    local dir pid
    [ -n "$1" ] || return 1
    for dir in /proc/[0-9]*; do
        pid=${dir#/proc/}
        [ "$pid" = $$ ] || [ "$pid" = "$BASHPID" ] && continue
        if tr '\0' ' ' 2>/dev/null < "$dir/cmdline" | grep -qF -- "$1"; then
            pid_alive "$pid" && echo "$pid"
        fi
    done
}

sec_remove_marked() { # sec_remove_marked MARK
    local p
    [ -n "$1" ] || return 1
    for p in $(sec_marked_pids "$1"); do kill -KILL "$p" 2>/dev/null; done
    # shellcheck disable=SC2086
    find $SEC_SHARED_DIRS -mindepth 1 -maxdepth 1 -name "*$1*" -exec rm -rf -- {} + 2>/dev/null
}

sec_wait_until() { # sec_wait_until TENTHS COMMAND...
    local n=$1; shift
    for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
    "$@"
}
