# audit-lib.sh — a REAL session log written by the real gateway, for the
# audit commands' integration tests (report, show, plot, sessions). Source it
# after lib.sh and sshd-lib.sh (bash), with VMC_T_DIR set (root-owned, 0755),
# as root. Call audit_cleanup from the EXIT trap before cleanup_common.
#
#   audit_make_log DIR GATEWAY-BINARY
#       Sets up everything test-session.sh does (people, a gateway account, a
#       throwaway sshd with the gateway as the keys' forced command, two QEMU
#       Spice VMs, an Xvfb "laptop") and runs real sessions through `ssh -X`.
#       Leaves:
#         DIR/gateway.conf    log = DIR/sessions.jsonl, run-dir = $VMC_T_DIR/run
#         DIR/sessions.jsonl  the records, in this order:
#           1. start+end  AUDIT_ALICE on debianx, ~3 s, laptop ssh killed
#                         (reason ssh-closed)
#           2. start+end  AUDIT_ALICE on debianx, ~2 s, viewer window killed
#                         (reason viewer-exit)
#           3. start+end  AUDIT_CAROL on winxp, ~2 s, laptop ssh killed
#           4. denied     AUDIT_BOB on debianx (no grant: exit 3)
#           5. denied     AUDIT_ALICE, a bad request "debianx --bogus" (exit 2, vm null)
#           6. denied     AUDIT_ALICE, a request with ESC/BEL/UTF-8 bytes
#                         (exit 2; "request" holds them escaped)
#           7. denied     AUDIT_ALICE, an unknown VM "no-such.vm_1" (exit 3)
#           8. denied     the hostile identity AUDIT_EVIL (ESC sequences, a
#                         space, a quote, BEL and DEL in the key line's
#                         --identity; no such user, so exit 1) on debianx, then winxp
#                         (no UTF-8 there: the gateway's option parser refuses
#                         non-ASCII argv in the C locale, exit 1 without a record)
#           9. start      AUDIT_CAROL on winxp, gateway SIGKILLed mid-session:
#                         no end record, lock not held (UNTERMINATED);
#                         its id is in AUDIT_UNTERMINATED_SESSION
#         and sets AUDIT_ALICE, AUDIT_BOB, AUDIT_CAROL, AUDIT_EVIL (raw bytes),
#         AUDIT_RUN (the run dir), AUDIT_LOG, AUDIT_CONF, AUDIT_LAPTOP (display).
#       Both VMs and the laptop keep running, sshd too: a test may open more
#       sessions with audit_open TAG PERSON REQUEST / audit_close TAG.
#       Returns non-zero (after saying why on stderr) when a step failed.
#   audit_sandbox_off_session TAG PERSON VM TITLE
#       One more session (~2 s, ended by ssh) with the admin's sandbox = off
#       in the config (put back after it): its start record says "sandbox":
#       "off" and its end has no X11 stream. Sets AUDIT_SANDBOX_OFF_SESSION.
#   audit_cleanup       ends sessions, sshd, QEMU and Xvfb started here
#
# No record is faked: every line comes from the gateway. (Names the config
# grammar refuses cannot be VM names; hostile bytes reach the log through
# the request and the identity only, so they are in denied records.)

AUDIT_SSH_PIDS=""

# ssh in the background from the laptop; output in $AUDIT_DIR/TAG.{out,err}.
audit_open() { # audit_open TAG PERSON REQUEST [SSH-OPTION...]
    local tag=$1 person=$2 request=$3; shift 3
    ( DISPLAY=$AUDIT_LAPTOP XAUTHORITY=$AUDIT_DIR/laptop.xauth \
        ssh_as "$person" "$@" -- "$request" </dev/null >"$AUDIT_DIR/$tag.out" \
        2>"$AUDIT_DIR/$tag.err"
      echo $? > "$AUDIT_DIR/$tag.rc" ) &
    eval "AUDIT_PID_$tag=$!"
    AUDIT_SSH_PIDS="$AUDIT_SSH_PIDS $!"
}

# ssh in the foreground (ended after 30 s); sets AUDIT_RC.
audit_run() { # audit_run TAG PERSON REQUEST
    local pid
    DISPLAY=$AUDIT_LAPTOP XAUTHORITY=$AUDIT_DIR/laptop.xauth \
        ssh_as "$2" -- "$3" </dev/null >"$AUDIT_DIR/$1.out" 2>"$AUDIT_DIR/$1.err" &
    pid=$!
    audit_wait 300 audit_gone "$pid" || kill "$pid" 2>/dev/null
    wait "$pid"
    AUDIT_RC=$?
    echo "$AUDIT_RC" > "$AUDIT_DIR/$1.rc"
}

# The laptop closes the connection of TAG; wait for its gateway to end.
audit_close() { # audit_close TAG
    local pid
    eval "pid=\$AUDIT_PID_$1"
    ssh_bg_end "$pid"
}

audit_gateway_pid() { sed -n 's/^pid=//p' "$AUDIT_RUN/$1.lock" 2>/dev/null; }
audit_lock_session() { sed -n 's/^session=//p' "$AUDIT_RUN/$1.lock" 2>/dev/null; }

audit_wait() { # audit_wait TENTHS COMMAND...
    local n=$1; shift
    for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
    "$@"
}
audit_gone() { ! pid_alive "$1"; }
audit_no_viewer() { [ -z "$(pgrep -u "$VMC_SSHD_ACCOUNT" -x remote-viewer 2>/dev/null)" ]; }
audit_has() { grep -q "$1" "$AUDIT_LOG"; }
audit_lock_free() { [ ! -s "$AUDIT_RUN/$1.lock" ]; }

# One session on VM by PERSON that the laptop ends after SECONDS.
audit_session() { # audit_session TAG PERSON VM TITLE SECONDS END(ssh|viewer)
    local tag=$1 person=$2 vm=$3 title=$4 seconds=$5 how=$6 gw
    audit_open "$tag" "$person" "$vm"
    if ! wait_for_window "$AUDIT_LAPTOP" "$title" 60; then
        # say why: the person's side, and what the gateway recorded
        # (viewer_log holds the viewer's last words when it quit at once)
        { echo "audit_session $tag: no window; ssh said:"; cat "$AUDIT_DIR/$tag.err"
          echo "last record:"; tail -n 1 "$AUDIT_LOG"; } 2>/dev/null | cut -c1-2000 >&2
        return 1
    fi
    gw=$(audit_gateway_pid "$vm")
    sleep "$seconds"
    if [ "$how" = viewer ]; then
        DISPLAY=$AUDIT_LAPTOP XAUTHORITY=$AUDIT_DIR/laptop.xauth \
            xkill -id "$(window_id "$AUDIT_LAPTOP" "$title")" >/dev/null
        audit_wait 100 audit_gone "$gw" || return 1
        audit_close "$tag"
    else
        audit_close "$tag"
        audit_wait 100 audit_gone "$gw" || return 1
    fi
    audit_wait 50 audit_lock_free "$vm" && audit_wait 50 audit_no_viewer
}

audit_setup() { # audit_setup DIR GATEWAY
    local p
    AUDIT_DIR=$1
    AUDIT_HERE=${AUDIT_HERE:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
    p=$(vmc_prefix a)
    AUDIT_ALICE=${p}al AUDIT_BOB=${p}bo AUDIT_CAROL=${p}ca
    AUDIT_EVIL=$'mal \e]0;pwned\a\e[31;1m"zoe\x7f\e[0m'
    AUDIT_CONF=$AUDIT_DIR/gateway.conf AUDIT_LOG=$AUDIT_DIR/sessions.jsonl
    AUDIT_RUN=$VMC_T_DIR/run
    add_group "${p}sx" && add_user "$AUDIT_ALICE" "${p}sx" && add_user "$AUDIT_BOB" &&
        add_user "$AUDIT_CAROL" "${p}sx" || return 1
    sshd_add_account "${p}gw" && gateway_prepare_dirs || return 1
    install -d -m 0755 "$AUDIT_DIR" "$VMC_T_DIR/spicex" &&
        install -m 0640 -o "${p}gw" -g root /dev/null "$AUDIT_LOG" || return 1
    cat > "$AUDIT_CONF" <<EOF
[gateway]
socket-pattern = $VMC_T_DIR/spicex/%s.sock
viewer = /usr/bin/remote-viewer
log = $AUDIT_LOG
run-dir = $AUDIT_RUN
takeover = deny

[vm debianx]
title = Audit Debian VM
acl = group:${p}sx:rw

[vm winxp]
title = Audit Windows VM
acl = group:${p}sx:rw
EOF
    chmod 0644 "$AUDIT_CONF"
    for p in debianx winxp; do
        start_qemu "$p" "$VMC_T_DIR/spicex/$p.sock" &&
            setfacl -m "u:$VMC_SSHD_ACCOUNT:rw,g:$(vmc_prefix a)sx:rw" \
                "$VMC_T_DIR/spicex/$p.sock" || return 1
    done
    start_xvfb laptop || return 1
    AUDIT_LAPTOP=$XVFB_DISPLAY
    : > "$AUDIT_DIR/laptop.xauth"
    sshd_start || return 1
    install_gateway "$2" "$VMC_T_DIR" >/dev/null || return 1
    local gw=$VMC_T_DIR/vmconsole-gateway
    sshd_add_key alice "$gw --config $AUDIT_CONF --identity $AUDIT_ALICE" &&
        sshd_add_key bob "$gw --config $AUDIT_CONF --identity $AUDIT_BOB" &&
        sshd_add_key carol "$gw --config $AUDIT_CONF --identity $AUDIT_CAROL" &&
        sshd_add_key evil "$gw --config $AUDIT_CONF --identity '${AUDIT_EVIL//\"/\\\"}'"
}

# Step 9: a session whose gateway is SIGKILLed (no end record).
audit_unterminated() {
    local gw
    audit_open kill carol winxp
    wait_for_window "$AUDIT_LAPTOP" "Audit Windows VM" 20 || return 1
    sleep 1
    gw=$(audit_gateway_pid winxp)
    AUDIT_UNTERMINATED_SESSION=$(audit_lock_session winxp)
    [ -n "$gw" ] && [ -n "$AUDIT_UNTERMINATED_SESSION" ] || return 1
    kill -KILL "$gw"
    audit_wait 50 audit_gone "$gw" || return 1
    # its viewer and the laptop's ssh outlive it: end them
    pkill -KILL -u "$VMC_SSHD_ACCOUNT" -x remote-viewer 2>/dev/null
    audit_close kill
    audit_wait 50 audit_no_viewer
}

audit_make_log() { # audit_make_log DIR GATEWAY-BINARY
    audit_setup "$1" "$2" || { echo "audit_make_log: setup failed" >&2; return 1; }
    audit_session s1 alice debianx "Audit Debian VM" 3 ssh ||
        { echo "audit_make_log: session 1 failed" >&2; return 1; }
    audit_session s2 alice debianx "Audit Debian VM" 2 viewer ||
        { echo "audit_make_log: session 2 failed" >&2; return 1; }
    audit_session s3 carol winxp "Audit Windows VM" 2 ssh ||
        { echo "audit_make_log: session 3 failed" >&2; return 1; }
    audit_run d1 bob debianx
    audit_run d2 alice "debianx --bogus"
    audit_run d3 alice $'deb\e[2J\e[31mianx\a\xc3\xa9'
    audit_run d4 alice no-such.vm_1
    audit_run d5 evil debianx
    audit_run d6 evil winxp
    audit_unterminated || { echo "audit_make_log: the SIGKILLed session failed" >&2; return 1; }
    local n
    n=$(grep -c '"event":"denied"' "$AUDIT_LOG")
    [ "$n" = 6 ] || { echo "audit_make_log: $n denied records, not 6" >&2; return 1; }
}

audit_sandbox_off_session() { # audit_sandbox_off_session TAG PERSON VM TITLE
    local rc
    sed -i 's/^\[gateway\]$/[gateway]\nsandbox = off/' "$AUDIT_CONF"
    audit_session "$1" "$2" "$3" "$4" 2 ssh
    rc=$?
    sed -i '/^sandbox = off$/d' "$AUDIT_CONF"
    AUDIT_SANDBOX_OFF_SESSION=$(python3 -c '
import json, sys
R = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
print([r["session"] for r in R if r["event"] == "start" and r.get("sandbox") == "off"][-1])' \
        "$AUDIT_LOG" 2>/dev/null)
    [ "$rc" = 0 ] && [ -n "$AUDIT_SANDBOX_OFF_SESSION" ]
}

audit_cleanup() {
    local p
    for p in $AUDIT_SSH_PIDS; do pkill -P "$p" -x ssh 2>/dev/null; kill "$p" 2>/dev/null; done
    sshd_cleanup
    stop_all_qemu 2>/dev/null
    stop_all_xvfb 2>/dev/null
    for p in $AUDIT_SSH_PIDS; do wait "$p" 2>/dev/null; done
}
