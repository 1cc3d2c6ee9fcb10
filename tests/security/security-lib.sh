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

# ---- the gateway run as sshd runs it, without sshd ----
# For the tests of the run dir and the session limit: the gateway account
# (no sshd), its run dir and log, a fake viewer that just waits (so a
# session stays open until its gateway ends), VM sockets that accept, and
# an X cookie for a display nobody serves (with sandbox = off the gateway
# only copies the cookie; no X11 relay is started).
#
#   sec_direct_setup ACCOUNT GW    useradd ACCOUNT (home $VMC_T_DIR/home/ACCOUNT);
#                                  a copy of the gateway GW it may run (SEC_GW);
#                                  $VMC_T_DIR/run (0700, the account's),
#                                  $VMC_T_DIR/log/sessions.jsonl, the fake viewer
#                                  $VMC_T_DIR/fake-viewer, $VMC_T_DIR/xauth for :77;
#                                  sets SEC_ACCOUNT SEC_RUN SEC_LOG
#   sec_vm_sockets NAME...         listeners $VMC_T_DIR/spicex/NAME.sock (one
#                                  process), rw for the account by ACL
#   sec_grant USER NAME...         setfacl u:USER:rw on those sockets
#   sec_direct_config [LINE...]    $VMC_T_DIR/gateway.conf: socket-pattern in
#                                  spicex, the fake viewer, sandbox = off, the
#                                  log and run dir, account = ACCOUNT, and LINEs
#                                  in [gateway]; sets SEC_CONF
#   sec_gateway_bg TAG IDENTITY REQUEST [ENV=VALUE...]
#                                  start the gateway as the account, as sshd
#                                  would (env -i, SSH_ORIGINAL_COMMAND,
#                                  SSH_CONNECTION, DISPLAY=:77, XAUTHORITY), in
#                                  the background: stdout/stderr in
#                                  $VMC_T_DIR/TAG.{out,err}; sets SEC_PID (the
#                                  gateway's own pid, a child of this shell)
#                                  With SEC_BARRIER=FILE set, it waits for
#                                  sec_barrier_release before it starts
#   sec_barrier_hold / sec_barrier_release
#                                  hold the gateways started meanwhile at the
#                                  start line, then let them all go at once
#   sec_gateway_rc PID             its exit code once it has ended (wait)
#   sec_records EVENT [PY-COND]    how many records of EVENT (where the Python
#                                  condition on r holds) the log has

sec_direct_setup() { # sec_direct_setup ACCOUNT GATEWAY
    SEC_ACCOUNT=$1
    SEC_GW=$(install_gateway "$2" "$VMC_T_DIR") || return 1
    SEC_RUN=$VMC_T_DIR/run
    SEC_LOG=$VMC_T_DIR/log/sessions.jsonl
    mkdir -p "$VMC_T_DIR/home" && chmod 0755 "$VMC_T_DIR/home" || return 1
    useradd --create-home --home-dir "$VMC_T_DIR/home/$1" --shell /usr/sbin/nologin \
        --user-group "$1" || return 1
    VMC_T_USERS="$VMC_T_USERS $1"
    install -d -m 0700 -o "$1" -g "$1" "$SEC_RUN" &&
    install -d -m 0755 -o root -g root "$VMC_T_DIR/log" &&
    install -m 0640 -o "$1" -g root /dev/null "$SEC_LOG" &&
    install -d -m 0755 "$VMC_T_DIR/spicex" || return 1
    printf '#!/bin/sh\nexec sleep 600\n' > "$VMC_T_DIR/fake-viewer"
    chmod 0755 "$VMC_T_DIR/fake-viewer"
    : > "$VMC_T_DIR/xauth"
    xauth -q -f "$VMC_T_DIR/xauth" add :77 MIT-MAGIC-COOKIE-1 \
        "$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')" &&
    chown "$1" "$VMC_T_DIR/xauth"
}

sec_vm_sockets() { # sec_vm_sockets NAME...
    local ready=$VMC_T_DIR/spicex/.ready.$$ name
    rm -f "$ready"
    python3 -c '
import os, select, socket, sys
ready, paths = sys.argv[1], sys.argv[2:]
ss = []
for p in paths:
    s = socket.socket(socket.AF_UNIX)
    s.bind(p); s.listen(64); ss.append(s)
open(ready, "w").close()
while True:
    for s in select.select(ss, [], [])[0]:
        c, _ = s.accept(); c.close()
' "$ready" $(for name in "$@"; do echo "$VMC_T_DIR/spicex/$name.sock"; done) \
        </dev/null >/dev/null 2>&1 &
    VMC_T_PIDS="${VMC_T_PIDS:-} $!"
    for _ in $(seq 50); do [ -e "$ready" ] && break; sleep 0.1; done
    [ -e "$ready" ] || { echo "sec_vm_sockets: the listeners did not start" >&2; return 1; }
    rm -f "$ready"
    sec_grant "$SEC_ACCOUNT" "$@"
}

sec_grant() { # sec_grant USER NAME...
    local user=$1 name; shift
    for name in "$@"; do setfacl -m "u:$user:rw" "$VMC_T_DIR/spicex/$name.sock" || return 1; done
}

sec_direct_config() { # sec_direct_config [GATEWAY-LINE...]
    SEC_CONF=$VMC_T_DIR/gateway.conf
    {
        echo "[gateway]"
        echo "socket-pattern = $VMC_T_DIR/spicex/%s.sock"
        echo "viewer = $VMC_T_DIR/fake-viewer"
        echo "log = $SEC_LOG"
        echo "run-dir = $SEC_RUN"
        echo "account = $SEC_ACCOUNT"
        echo "sandbox = off"
        printf '%s\n' "$@"
    } > "$SEC_CONF"
    chmod 0644 "$SEC_CONF"
}

sec_gateway_bg() { # sec_gateway_bg TAG IDENTITY REQUEST [ENV=VALUE...]
    local tag=$1 identity=$2 request=$3; shift 3
    ( exec 9>&-
      [ -z "${SEC_BARRIER:-}" ] || flock -s "$SEC_BARRIER" true
      cd / && exec env -i PATH=/usr/bin:/bin HOME="$VMC_T_DIR/home/$SEC_ACCOUNT" DISPLAY=:77 \
        XAUTHORITY="$VMC_T_DIR/xauth" SSH_ORIGINAL_COMMAND="$request" \
        SSH_CONNECTION="192.0.2.7 50000 127.0.0.1 22" "$@" \
        setpriv --reuid="$SEC_ACCOUNT" --regid="$SEC_ACCOUNT" --init-groups \
        "$SEC_GW" --config "$SEC_CONF" --identity "$identity" \
        </dev/null >"$VMC_T_DIR/$tag.out" 2>"$VMC_T_DIR/$tag.err" ) &
    SEC_PID=$!
}

sec_barrier_hold() {
    SEC_BARRIER=$VMC_T_DIR/start-line
    exec 9>"$SEC_BARRIER" && flock -x 9
}
sec_barrier_release() {
    exec 9>&-
    SEC_BARRIER=""
}

sec_gateway_rc() { wait "$1" 2>/dev/null; } # sec_gateway_rc PID

sec_records() { # sec_records EVENT [PYTHON-CONDITION-ON-r]
    python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1], encoding="utf-8"):
    if not line.strip():
        continue
    r = json.loads(line)
    if r.get("event") == sys.argv[2] and eval(sys.argv[3]):
        n += 1
print(n)' "$SEC_LOG" "$1" "${2:-True}"
}
