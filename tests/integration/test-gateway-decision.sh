#!/bin/bash
# The gateway's decision path with real users, groups, sockets and ACLs:
# list, open (denied / unknown / allowed), hostile requests, denied records,
# the fail-closed audit log, per-person accounts, SSH context in the record,
# and the fail-closed sandbox: without bubblewrap, with user namespaces off,
# or without vmconsole-confine an open is refused with exit 6, saying what to
# install or enable, and a denied record says why.
# Usage: test-gateway-decision.sh GATEWAY-BINARY
. "$(dirname "$0")/lib.sh"
need_root
GW=$(realpath "$1")

P=$(vmc_prefix g)
VMC_T_DIR=$(mktemp -d /tmp/vmc-gw-XXXXXX)
trap cleanup_common EXIT
chmod 0755 "$VMC_T_DIR"
D=$VMC_T_DIR
mkdir -p "$D/spicex" "$D/log" "$D/other"
chmod 0755 "$D/spicex" "$D/other"

add_group "${P}sx" && add_group "${P}st" &&
add_user "${P}al" "${P}sx" && add_user "${P}bo" "${P}st" && add_user "${P}ca" || exit 1
ALICE=${P}al BOB=${P}bo CAROL=${P}ca

for vm in debianx winx plain; do listen_socket "$D/spicex/$vm.sock" || exit 1; done
listen_socket "$D/other/elsewhere.sock" || exit 1
setfacl -m "g:${P}sx:rw" "$D/spicex/debianx.sock"
setfacl -m "u:$CAROL:rw,g:${P}sx:r" "$D/spicex/winx.sock"
setfacl -m "g:${P}sx:rw" "$D/other/elsewhere.sock"
: > "$D/spicex/notasocket.sock"

cat > "$D/gateway.conf" <<CONF
[gateway]
socket-pattern = $D/spicex/%s.sock
log = $D/log/sessions.jsonl

[vm elsewhere]
socket = $D/other/elsewhere.sock
title = Customer A desktop
CONF

gw() { # gw IDENTITY REQUEST -> sets OUT ERR RC
    OUT=$(env -u DISPLAY SSH_ORIGINAL_COMMAND="$2" "$GW" --config "$D/gateway.conf" \
          --identity "$1" 2>"$D/stderr"); RC=$?
    ERR=$(cat "$D/stderr")
}
records() { # records EVENT -> number of records of that event
    python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1], encoding="utf-8"):
    if json.loads(line)["event"] == sys.argv[2]: n += 1
print(n)' "$D/log/sessions.jsonl" "$1" 2>/dev/null || echo 0
}
last_record() { # last_record FIELD
    python3 -c '
import json, sys
line = open(sys.argv[1], encoding="utf-8").readlines()[-1]
print(json.loads(line).get(sys.argv[2], ""))' "$D/log/sessions.jsonl" "$1"
}
names() { echo "$OUT" | awk '{print $1}' | tr '\n' ' '; }

# --- --version: the admin's question on the command line, no config needed
OUT=$("$GW" --version --config /nonexistent 2>&1); RC=$?
check "--version exits 0 ($OUT)" [ "$RC" = 0 ]
check "--version prints the version as vmconsole-admin --version does" \
    grep -qE '^vmconsole-gateway [0-9]+\.[0-9]+\.[0-9]+$' <<<"$OUT"

# --- list: exactly the VMs whose ACL grants rw
gw "$ALICE" list
check "list for alice exits 0" [ "$RC" = 0 ]
check "list for alice is debianx and elsewhere" [ "$(names)" = "debianx elsewhere " ]
check "list shows running and the title" \
    grep -q "elsewhere.*running.*Customer A desktop" <<<"$OUT"
gw "$CAROL" list
check "list for carol is winx only (named user)" [ "$(names)" = "winx " ]
gw "$BOB" list
check "list for bob says none" grep -q "you may open no VM" <<<"$OUT"
check "list writes no record" [ "$(records denied)" = 0 ]

# --- open: denied, unknown, allowed
gw "$BOB" debianx
check "bob opening debianx: exit 3" [ "$RC" = 3 ]
BOB_MSG=$(head -1 <<<"$ERR" | sed "s/debianx/VM/")
check "bob is told it is not a VM he may open" grep -q "not a VM you may open" <<<"$ERR"
check "one denied record" [ "$(records denied)" = 1 ]
check "record names bob" [ "$(last_record identity)" = "$BOB" ]
check "record names the VM" [ "$(last_record vm)" = debianx ]
check "record reason in words" grep -q "may not open debianx" <<<"$(last_record reason)"
check "record exit 3" [ "$(last_record exit)" = 3 ]

gw "$BOB" nosuchvm
check "unknown VM: exit 3" [ "$RC" = 3 ]
check "unknown VM: same message as not permitted" \
    [ "$(head -1 <<<"$ERR" | sed "s/nosuchvm/VM/")" = "$BOB_MSG" ]
check "unknown VM: reason says no such VM" grep -q "no such VM" <<<"$(last_record reason)"

gw "$ALICE" nosuchvm
check "alice refused: the VMs she may open follow" grep -q "VMs you may open: debianx, elsewhere" <<<"$ERR"

gw "$CAROL" notasocket
check "a regular file is no VM: exit 3" [ "$RC" = 3 ]

gw "$ALICE" winx
check "alice has only r on winx: exit 3" [ "$RC" = 3 ]
check "reason names the group entry" grep -q "${P}sx" <<<"$(last_record reason)"

gw "$ALICE" debianx
check "alice may open debianx; without an X11 forward: exit 7" [ "$RC" = 7 ]
check "she is told to use ssh -X" grep -q "ssh -X" <<<"$ERR"
check "the refusal is recorded with exit 7" [ "$(last_record exit)" = 7 ]

# --- hostile requests: exit 2, one denied record each, escaped
before=$(records denied)
hostile=('debianx; id' '../etc/passwd' '/var/spicex/debianx' '-debianx' '.debianx'
         $'debianx\x1b[2J' $'debianx\ttab' $'deb\x7fian' 'débian' 'debianx --takeover --takeover'
         'debianx --pulse=tcp:0' 'debianx --pulse=tcp:65536' 'debianx --pulse=tcp:0123'
         'debianx --evil' '$(reboot)' 'debianx  --takeover' "$(printf 'a%.0s' $(seq 1025))")
for h in "${hostile[@]}"; do
    gw "$ALICE" "$h"
    check "hostile request refused with exit 2: $(printf '%q' "${h:0:40}")" [ "$RC" = 2 ]
done
check "one denied record per hostile request" \
    [ "$(records denied)" = $(( before + ${#hostile[@]} )) ]
check "the log has one complete JSON object per line" python3 -c '
import json, sys
for line in open(sys.argv[1], encoding="utf-8"): json.loads(line)' "$D/log/sessions.jsonl"
check "no raw ESC byte reached the log" bash -c "! grep -q \$'\\x1b' '$D/log/sessions.jsonl'"

# --- the audit trail fails closed
sed -i "s|^log = .*|log = $D/missing-dir/sessions.jsonl|" "$D/gateway.conf"
gw "$ALICE" debianx
check "open with an unwritable log: exit 8" [ "$RC" = 8 ]
gw "$ALICE" list
check "list still works without the log" [ "$RC" = 0 ]
gw "$ALICE" help
check "help still works without the log" [ "$RC" = 0 ]
check "help shows an example" grep -q "ssh -X" <<<"$OUT"
sed -i "s|^log = .*|log = $D/log/sessions.jsonl|" "$D/gateway.conf"

# --- a broken config names file, line and key
cp "$D/gateway.conf" "$D/broken.conf"; echo "sokcet = /x" >> "$D/broken.conf"
OUT=$(SSH_ORIGINAL_COMMAND=list "$GW" --config "$D/broken.conf" --identity "$ALICE" 2>&1); RC=$?
check "broken config: exit 1" [ "$RC" = 1 ]
check "broken config: message names file, line and key" \
    grep -q "broken.conf:[0-9]*:.*sokcet" <<<"$OUT"

# --- unknown identity
gw "${P}nobody" debianx
check "unknown identity: exit 1" [ "$RC" = 1 ]
check "unknown identity: said so" grep -q "not usable" <<<"$ERR"

# --- SSH context in the record
ssh-keygen -q -t ed25519 -N '' -f "$D/key" >/dev/null
printf 'publickey %s\n' "$(cut -d' ' -f1,2 "$D/key.pub")" > "$D/auth-info"
want_fp=$(ssh-keygen -l -f "$D/key.pub" | awk '{print $2}')
OUT=$(SSH_ORIGINAL_COMMAND=debianx SSH_USER_AUTH=$D/auth-info \
      SSH_CONNECTION="192.0.2.7 50123 192.0.2.1 22" \
      "$GW" --config "$D/gateway.conf" --identity "$BOB" 2>/dev/null)
check "record has the key's SHA256 fingerprint" [ "$(last_record key)" = "$want_fp" ]
check "record has the client address" [ "$(last_record client)" = "192.0.2.7 50123" ]
ln -s "$D/auth-info" "$D/auth-link"
SSH_ORIGINAL_COMMAND=debianx SSH_USER_AUTH=$D/auth-link \
    "$GW" --config "$D/gateway.conf" --identity "$BOB" 2>/dev/null
check "a symlinked SSH_USER_AUTH is not read" [ -z "$(last_record key)" ]

# --- per-person accounts: no --identity, the running account decides
# (a copy of the binary: the build dir may not be reachable for other users)
chmod 0666 "$D/log/sessions.jsonl"; chmod 0755 "$D/log"
install_gateway "$GW" "$D" >/dev/null; chmod 0644 "$D/gateway.conf"
OUT=$(cd / && SSH_ORIGINAL_COMMAND=list setpriv --reuid="$ALICE" --regid="${P}sx" \
      --init-groups "$D/vmconsole-gateway" --config "$D/gateway.conf" 2>"$D/stderr"); RC=$?
check "per-person account: list as alice herself" [ "$RC" = 0 ]
check "per-person account: alice's VMs" [ "$(names)" = "debianx elsewhere " ]

# --- the viewer's sandbox is missing: refused before anything starts (exit 6).
# Each case runs the gateway copy (vmconsole-confine beside it) in a private
# mount namespace where one thing the sandbox needs is taken away.
chmod 0640 "$D/log/sessions.jsonl"
mkdir -m 0700 "$D/run"
sed -i "s|^log = .*|&\nrun-dir = $D/run|" "$D/gateway.conf"
open_without() { # open_without SETUP-SHELL-CODE -> OUT ERR RC (alice opens debianx)
    OUT=$(SSH_ORIGINAL_COMMAND=debianx DISPLAY=:99 unshare --mount --propagation private \
          sh -c "$1"' && exec "$0" "$@"' "$D/vmconsole-gateway" --config "$D/gateway.conf" \
          --identity "$ALICE" 2>"$D/stderr"); RC=$?
    ERR=$(cat "$D/stderr")
}
sandbox_refused() { # sandbox_refused WHAT NEEDLE
    local code reason
    code=$(last_record exit) reason=$(last_record reason)
    check "no $1: exit 6 (got $RC)" [ "$RC" = 6 ]
    check "no $1: the person is told what is missing" grep -qF -- "$2" <<<"$ERR"
    check "no $1: a denied record with exit 6 and the reason (exit $code: $reason)" \
        eval '[ "$code" = 6 ] && grep -qF -- "'"$2"'" <<<"$reason"'
}
open_without 'mount --bind /dev/null /usr/bin/bwrap'
sandbox_refused bubblewrap "install the package bubblewrap"
echo 0 > "$D/zero"
open_without "mount --bind $D/zero /proc/sys/user/max_user_namespaces"
sandbox_refused "user namespaces" "user namespaces are switched off"
# (where vmconsole is installed system-wide, its libexecdir copy would be found)
mv "$D/vmconsole-confine" "$D/confine.away"
open_without true
sandbox_refused vmconsole-confine "vmconsole-confine is not installed"
mv "$D/confine.away" "$D/vmconsole-confine"
check "none of them got as far as a lock or a session dir ($(ls -A "$D/run" | tr '\n' ' '))" \
    eval '[ -z "$(ls -A "$D/run" | grep -E "\.lock$|^session-|\.slot-")" ]'

# --- the run dir missing (no systemd-tmpfiles --create after a reboot), or
# not the account's: the person and the record name it; no "internal error"
mv "$D/run" "$D/run.away"
open_without true
check "no run dir: exit 1 (got $RC)" [ "$RC" = 1 ]
check "no run dir: the person is told which dir is missing" \
    grep -qF "no console on this host now: the gateway's run dir $D/run does not exist; tell the host's admin" <<<"$ERR"
check "no run dir: not called an internal error" eval '! grep -q "internal error" <<<"$ERR"'
check "no run dir: the denied record names it" \
    eval '[ "$(last_record exit)" = 1 ] && grep -qF "run dir $D/run does not exist" <<<"$(last_record reason)"'
mv "$D/run.away" "$D/run"
# alice's own account (per person, as above) and a run dir that is root's
chmod 0755 "$D/run"; chmod 0666 "$D/log/sessions.jsonl"
OUT=$(cd / && SSH_ORIGINAL_COMMAND=debianx DISPLAY=:99 setpriv --reuid="$ALICE" --regid="${P}sx" \
      --init-groups "$D/vmconsole-gateway" --config "$D/gateway.conf" 2>"$D/stderr"); RC=$?
ERR=$(cat "$D/stderr")
check "a run dir of root's: exit 1 (got $RC)" [ "$RC" = 1 ]
check "a run dir of root's: named with its owner and mode ($(head -1 <<<"$ERR"))" \
    grep -qF "the gateway's run dir $D/run is not the gateway account's (owner uid 0, mode 0755)" <<<"$ERR"
chmod 0700 "$D/run"; chmod 0640 "$D/log/sessions.jsonl"

finish
