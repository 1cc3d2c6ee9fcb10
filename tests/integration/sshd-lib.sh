# sshd-lib.sh — a throwaway OpenSSH sshd on loopback, a gateway account and
# one key per person whose authorized_keys line forces a command. Source it
# after lib.sh (bash). Everything lives under $VMC_T_DIR (which must exist,
# be root-owned and mode 0755) and is removed by sshd_cleanup (call it from
# the EXIT trap before cleanup_common).
#
#   sshd_add_account NAME          gateway account, home $VMC_T_DIR/home/NAME
#   gateway_prepare_dirs           $VMC_T_DIR/run (the account's, 0700) and
#                                  $VMC_T_DIR/log/sessions.jsonl (root's dir,
#                                  the account's file, 0640)
#   sshd_start                     sets VMC_SSHD_PORT, VMC_SSHD_PID, VMC_SSHD_LOG
#                                  (UnusedConnectionTimeout: $VMC_T_UNUSED_TIMEOUT,
#                                  default 10s, as data/sshd_config.vmconsole;
#                                  $VMC_T_SSHD_APPEND, a file, is appended)
#   sshd_add_key PERSON COMMAND    key pair + forced-command line for PERSON
#   ssh_as PERSON [SSH-OPTION...] -- REQUEST
#                                  the laptop side: ssh -X (unless -x given)
#   ssh_bg_end PID                 end the ssh client of a backgrounded
#                                  ssh_as (PID of the "&" job), wait for it
#   sshd_log_tail [N]              the last N lines of sshd's log (diagnostics)
#   sshd_cleanup                   end the account's processes and sshd
#
# VMC_T_SSH_DEBUG=DIR (diagnostics, off by default): sshd and every laptop ssh
# log at DEBUG3, the client's log to a file instead of stderr, and
# sshd_cleanup copies both logs and the account's ~/.Xauthority into DIR.

VMC_SSHD_PID=""
VMC_SSHD_PORT=""
VMC_SSHD_ACCOUNT=""
VMC_SSHD_DIR=""
VMC_SSHD_LOG=""

# A loopback TCP port that is free right now.
free_port() {
    python3 -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# Wait until 127.0.0.1:PORT accepts a TCP connection (or TIMEOUT tenths of s).
wait_for_port() { # wait_for_port PORT [TENTHS]
    for _ in $(seq "${2:-100}"); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    return 1
}

# The gateway account: its own group, a home under the temp dir, shell
# /bin/sh (sshd runs the forced command with it), password '*' so that key
# logins work with UsePAM no.
sshd_add_account() { # sshd_add_account NAME
    local name=$1
    mkdir -p "$VMC_T_DIR/home"
    chmod 0755 "$VMC_T_DIR/home"
    useradd --create-home --home-dir "$VMC_T_DIR/home/$name" --shell /bin/sh \
        --user-group "$name" || return 1
    VMC_T_USERS="$VMC_T_USERS $name"
    usermod -p '*' "$name" || return 1
    # sshd's xauth adds the session's cookie here; an empty file spares the
    # person xauth's "file does not exist" on the first login
    install -m 0600 -o "$name" -g "$name" /dev/null "$VMC_T_DIR/home/$name/.Xauthority" || return 1
    VMC_SSHD_ACCOUNT=$name
}

# What the gateway account needs besides its home: its run dir and the log.
gateway_prepare_dirs() {
    [ -n "$VMC_SSHD_ACCOUNT" ] || { echo "gateway_prepare_dirs: sshd_add_account first" >&2; return 1; }
    install -d -m 0700 -o "$VMC_SSHD_ACCOUNT" -g "$VMC_SSHD_ACCOUNT" "$VMC_T_DIR/run" &&
    install -d -m 0755 -o root -g root "$VMC_T_DIR/log" &&
    install -m 0640 -o "$VMC_SSHD_ACCOUNT" -g root /dev/null "$VMC_T_DIR/log/sessions.jsonl"
}

sshd_start() {
    [ -n "$VMC_SSHD_ACCOUNT" ] || { echo "sshd_start: sshd_add_account first" >&2; return 1; }
    VMC_SSHD_DIR=$VMC_T_DIR/sshd
    mkdir -p "$VMC_SSHD_DIR" /run/sshd
    chmod 0755 "$VMC_SSHD_DIR"
    VMC_SSHD_LOG=$VMC_SSHD_DIR/sshd.log
    if [ ! -e "$VMC_SSHD_DIR/host_ed25519" ]; then
        ssh-keygen -q -t ed25519 -N '' -C vmc-test-host -f "$VMC_SSHD_DIR/host_ed25519" || return 1
    fi
    : > "$VMC_SSHD_DIR/authorized_keys"
    chmod 0644 "$VMC_SSHD_DIR/authorized_keys"
    local level=VERBOSE
    [ -n "${VMC_T_SSH_DEBUG:-}" ] && level=DEBUG3
    cat > "$VMC_SSHD_DIR/sshd_config" <<EOF
ListenAddress 127.0.0.1
HostKey $VMC_SSHD_DIR/host_ed25519
PidFile $VMC_SSHD_DIR/sshd.pid
AuthorizedKeysFile $VMC_SSHD_DIR/authorized_keys
AllowUsers $VMC_SSHD_ACCOUNT
PermitRootLogin no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
X11Forwarding yes
X11UseLocalhost yes
XAuthLocation /usr/bin/xauth
AllowTcpForwarding remote
AllowStreamLocalForwarding no
AllowAgentForwarding no
PermitOpen none
PermitTTY no
PermitUserRC no
PermitUserEnvironment no
ExposeAuthInfo yes
UnusedConnectionTimeout ${VMC_T_UNUSED_TIMEOUT:-10s}
PrintMotd no
PrintLastLog no
LogLevel $level
EOF
    # a test that runs the project's own sshd_config snippet appends it here
    # (Match blocks last)
    if [ -n "${VMC_T_SSHD_APPEND:-}" ]; then
        cat "$VMC_T_SSHD_APPEND" >> "$VMC_SSHD_DIR/sshd_config" || return 1
    fi

    for _ in 1 2 3 4 5; do
        VMC_SSHD_PORT=$(free_port) || return 1
        /usr/sbin/sshd -D -e -f "$VMC_SSHD_DIR/sshd_config" -p "$VMC_SSHD_PORT" \
            2>>"$VMC_SSHD_LOG" &
        VMC_SSHD_PID=$!
        if wait_for_port "$VMC_SSHD_PORT" 50 && kill -0 "$VMC_SSHD_PID" 2>/dev/null; then
            return 0
        fi
        kill "$VMC_SSHD_PID" 2>/dev/null; wait "$VMC_SSHD_PID" 2>/dev/null
        VMC_SSHD_PID=""
    done
    echo "sshd_start: sshd did not start; its log:" >&2
    tail -n 20 "$VMC_SSHD_LOG" >&2
    return 1
}

# A key pair for PERSON and its authorized_keys line with the forced COMMAND
# (the gateway's argv: trusted, the admin's).
sshd_add_key() { # sshd_add_key PERSON COMMAND [EXTRA-KEY-OPTIONS]
    local person=$1 command=$2 extra=${3:-}
    mkdir -p "$VMC_T_DIR/keys"
    chmod 0700 "$VMC_T_DIR/keys"
    rm -f "$VMC_T_DIR/keys/$person" "$VMC_T_DIR/keys/$person.pub"
    ssh-keygen -q -t ed25519 -N '' -C "$person@laptop" -f "$VMC_T_DIR/keys/$person" || return 1
    printf 'restrict,command="%s",X11-forwarding%s %s\n' "$command" "${extra:+,$extra}" \
        "$(cat "$VMC_T_DIR/keys/$person.pub")" >> "$VMC_T_DIR/sshd/authorized_keys"
}

# The laptop side. Options before "--" go to ssh (e.g. -x for no X11); the
# request after it. DISPLAY must be the laptop's X server.
ssh_as() { # ssh_as PERSON [SSH-OPTION...] -- REQUEST
    local person=$1; shift
    local opts=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
    [ "${1:-}" = -- ] && shift
    local x11=-X
    for o in "${opts[@]}"; do [ "$o" = -x ] && x11=""; done
    local log=(-o LogLevel=ERROR)
    [ -n "${VMC_T_SSH_DEBUG:-}" ] && log=(-o LogLevel=DEBUG3 -E "$VMC_T_DIR/ssh-client.log")
    ssh -F /dev/null -i "$VMC_T_DIR/keys/$person" -o BatchMode=yes \
        -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -o IdentitiesOnly=yes "${log[@]}" ${x11:+"$x11"} "${opts[@]}" \
        -p "$VMC_SSHD_PORT" "$VMC_SSHD_ACCOUNT@127.0.0.1" "$*"
}

# `ssh_as … &` is a subshell running ssh: end the ssh client in it (the
# laptop closes the connection), then the subshell.
ssh_bg_end() { # ssh_bg_end PID
    pkill -TERM -P "$1" -x ssh 2>/dev/null
    wait "$1" 2>/dev/null
}

sshd_log_tail() { # sshd_log_tail [N]
    [ -n "$VMC_SSHD_LOG" ] && [ -e "$VMC_SSHD_LOG" ] && tail -n "${1:-15}" "$VMC_SSHD_LOG"
}

# The live (non-zombie) processes of USER, one pid a line (pid_alive: lib.sh).
live_pids_of() { # live_pids_of USER
    local p
    for p in $(pgrep -u "$1" 2>/dev/null); do
        pid_alive "$p" && echo "$p"
    done
}

sshd_cleanup() {
    local p
    if [ -n "$VMC_SSHD_ACCOUNT" ] && id "$VMC_SSHD_ACCOUNT" >/dev/null 2>&1; then
        # The account's processes: gateways, viewers, anything they left.
        for p in $(live_pids_of "$VMC_SSHD_ACCOUNT"); do kill -TERM "$p" 2>/dev/null; done
        for _ in $(seq 30); do
            [ -z "$(live_pids_of "$VMC_SSHD_ACCOUNT")" ] && break
            sleep 0.1
        done
        for p in $(live_pids_of "$VMC_SSHD_ACCOUNT"); do kill -KILL "$p" 2>/dev/null; done
    fi
    if [ -n "${VMC_T_SSH_DEBUG:-}" ]; then
        mkdir -p "$VMC_T_SSH_DEBUG"
        cp "$VMC_SSHD_LOG" "$VMC_T_DIR/ssh-client.log" "$VMC_T_SSH_DEBUG/" 2>/dev/null
        [ -n "$VMC_SSHD_ACCOUNT" ] &&
            cp "$VMC_T_DIR/home/$VMC_SSHD_ACCOUNT/.Xauthority" "$VMC_T_SSH_DEBUG/Xauthority" 2>/dev/null
    fi
    if [ -n "$VMC_SSHD_PID" ]; then
        kill "$VMC_SSHD_PID" 2>/dev/null
        wait "$VMC_SSHD_PID" 2>/dev/null
        VMC_SSHD_PID=""
    fi
}
