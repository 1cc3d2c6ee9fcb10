#!/bin/bash
# The agent policy end to end with the real libraries: spice-tone-server with
# its fake guest agent (libspice-server) as the VM, the relay with a policy
# (vmc-relay-tool), and a spice-client-glib client (vmc-agent-client) that
# copies a 300 KB file into the guest and grabs the clipboard, while the
# guest grabs its own. For each policy: what reached the guest agent, what
# reached the client, the file copy's outcome and the relay's counters.
#
#   a. file-transfer deny, clipboard to-vm: the copy fails at once (the start
#      was removed, the client answered "disabled"), the guest never sees a
#      transfer; the client's grab reaches the guest, the guest's does not
#      reach the client
#   b. file-transfer allow, clipboard from-vm: the whole file crosses the
#      filtered main channel (flow-control tokens and all); the guest's grab
#      reaches the client, the client's does not reach the guest
#   c. file-transfer deny, clipboard none: the client is told the guest has
#      no clipboard and file transfer is disabled
#   d. everything allowed: spliced untouched, everything crosses
#
# Usage: test-agent-policy.sh TONE-SERVER RELAY-TOOL AGENT-CLIENT   (TAP; no root)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
SERVER=$(realpath "$1")
RELAY=$(realpath "$2")
CLIENT=$(realpath "$3")
VMC_T_COUNT=0
VMC_T_FAILS=0

VMC_T_DIR=$(mktemp -d /tmp/vmc-agent-XXXXXX)
D=$VMC_T_DIR
SERVER_PID=""
RELAY_PID=""
cleanup() {
    stop_pids $RELAY_PID $SERVER_PID
    cleanup_common
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

head -c 300000 /dev/urandom >"$D/file.bin"

wait_for_line() { # wait_for_line FILE TEXT
    for _ in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
    echo "no '$2' in $1:" >&2
    sed 's/^/  /' "$1" >&2
    return 1
}

# run_case TAG FILE-TRANSFER CLIPBOARD: leaves $D/TAG.{vm,relay,client}
run_case() {
    local tag=$1
    rm -f "$D/vm.sock" "$D/relay.sock"
    "$SERVER" "$D/vm.sock" --agent >"$D/$tag.vm" 2>"$D/$tag.vm.err" &
    SERVER_PID=$!
    wait_for_line "$D/$tag.vm" "listening on" || return 1
    "$RELAY" "$D/relay.sock" "$D/vm.sock" "$2" "$3" >"$D/$tag.relay" 2>"$D/$tag.relay.err" &
    RELAY_PID=$!
    wait_for_line "$D/$tag.relay" "relaying" || return 1
    timeout 60 "$CLIENT" "spice+unix://$D/relay.sock" "$D/file.bin" 30 \
        >"$D/$tag.client" 2>"$D/$tag.client.err"
    echo "exit $?" >>"$D/$tag.client"
    stop_pids "$RELAY_PID"
    stop_pids "$SERVER_PID"
    RELAY_PID="" SERVER_PID=""
    for f in vm relay client; do sed "s/^/# $tag.$f: /" "$D/$tag.$f"; done
}

has() { grep -q -- "$2" "$D/$1"; }
hasnt() { ! grep -q -- "$2" "$D/$1"; }
counter() { awk -v k="$2" '$1 == k {print $2}' "$D/$1.relay"; }

# a
run_case a deny to-vm
check "a: the client ran to its end" has a.client "exit 0"
# spice-gtk names only the count of failed files; it failed on the relay's
# answer (before the guest's capabilities came), not at the client's timeout
check "a: the copy failed" has a.client "file-copy: error"
check "a: then the client learnt file transfer is disabled" \
    has a.client "file-transfer disabled capability: yes"
check "a: the guest saw no file transfer" hasnt a.vm "agent got file-xfer"
check "a: the client's clipboard grab reached the guest" has a.vm "agent got clipboard-grab"
check "a: the guest's grab did not reach the client" hasnt a.client "client saw the guest grab"
check "a: the relay removed the start" test "$(counter a file_transfer_dropped)" -ge 1
check "a: and the guest's grab" test "$(counter a clipboard_from_vm_dropped)" -ge 1
check "a: the main channel was not refused" test "$(counter a refused)" = 0

# b
run_case b allow from-vm
check "b: the client ran to its end" has b.client "exit 0"
check "b: the copy succeeded" has b.client "file-copy: ok"
check "b: the guest got the whole file" has b.vm "agent file done 300000"
check "b: the guest's grab reached the client" has b.client "client saw the guest grab"
check "b: the client's grab did not reach the guest" hasnt b.vm "agent got clipboard-grab"
check "b: the relay removed the client's grab" test "$(counter b clipboard_to_vm_dropped)" -ge 1
check "b: nothing of the transfer was removed" test "$(counter b file_transfer_dropped)" = 0
check "b: more than the file crossed to the VM" test "$(counter b main_to_vm)" -gt 300000

# c
run_case c deny none
check "c: the client ran to its end" has c.client "exit 0"
check "c: the client was told file transfer is disabled" \
    has c.client "file-transfer disabled capability: yes"
check "c: the client was told the guest has no clipboard" \
    has c.client "client has no clipboard capability"
check "c: the guest saw no clipboard and no transfer" \
    test -z "$(grep -E 'agent got (clipboard|file-xfer)' "$D/c.vm")"
check "c: the guest's grab did not reach the client" hasnt c.client "client saw the guest grab"

# d
run_case d allow both
check "d: the copy succeeded" has d.client "file-copy: ok"
check "d: the guest got the whole file" has d.vm "agent file done 300000"
check "d: both grabs crossed" \
    eval 'has d.vm "agent got clipboard-grab" && has d.client "client saw the guest grab"'
check "d: nothing was removed" \
    test "$(counter d bytes_dropped_to_vm)$(counter d bytes_dropped_from_vm)" = 00

finish
