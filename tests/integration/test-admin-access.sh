#!/bin/bash
# `vmconsole-admin access` with real users, groups, sockets and ACLs: the
# whole matrix (named group, primary group, named user, owner, no socket),
# one VM and one identity, unknown identities, --json, the command line.
# Usage: test-admin-access.sh ADMIN-BINARY
. "$(dirname "$0")/lib.sh"
need_root
ADMIN=$1

P=$(vmc_prefix a)
VMC_T_DIR=$(mktemp -d /tmp/vmc-admin-XXXXXX)
trap cleanup_common EXIT
D=$VMC_T_DIR
mkdir -p "$D/spicex"

add_group "${P}sx" && add_group "${P}st" &&
add_user "${P}al" "${P}sx" && add_user "${P}bo" "${P}st" && add_user "${P}ca" || exit 1
# dave is in spicex through his primary group only (no /etc/group member line)
useradd --no-create-home --shell /usr/sbin/nologin -g "${P}sx" "${P}da" &&
VMC_T_USERS="$VMC_T_USERS ${P}da" || exit 1
ALICE=${P}al BOB=${P}bo CAROL=${P}ca DAVE=${P}da

bind_socket() { # bind_socket PATH: a real Unix socket (nobody needs to listen)
    python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$1"
}
for vm in debianx winx; do bind_socket "$D/spicex/$vm.sock" || exit 1; done
chmod 0600 "$D/spicex/debianx.sock" "$D/spicex/winx.sock"
setfacl -m "g:${P}sx:rw" "$D/spicex/debianx.sock" &&
setfacl -m "u:$CAROL:rw,g:${P}st:r" "$D/spicex/winx.sock" || exit 1

cat > "$D/gateway.conf" <<CONF
[gateway]
socket-pattern = $D/spicex/%s.sock
log = $D/sessions.jsonl

[vm gone]
socket = $D/spicex/gone-for-good.sock
CONF

admin() { # admin ARGS... -> sets OUT ERR RC
    OUT=$("$ADMIN" "$@" 2>"$D/stderr"); RC=$?
    ERR=$(cat "$D/stderr")
}
field() { # field VM IDENTITY N -> the Nth column of that row
    awk -v vm="$1" -v id="$2" -v n="$3" '$1 == vm && $2 == id { print $n }' <<<"$OUT"
}
row() { # row VM IDENTITY -> the whole line
    awk -v vm="$1" -v id="$2" '$1 == vm && $2 == id' <<<"$OUT"
}
# Every line has its 2nd, 3rd and 4th column starting where the header's do.
aligned() {
    python3 -c '
import sys
lines = sys.stdin.read().splitlines()
head = lines[0]
cols = [head.index(h) for h in ("IDENTITY", "ACCESS", "WHY")]
for line in lines[1:]:
    for c in cols:
        if line[c - 2:c] != "  " or line[c] == " ":
            sys.exit("misaligned: " + line)
' <<<"$OUT"
}

# --- the whole matrix
admin --config "$D/gateway.conf" access
check "access exits 0" [ "$RC" = 0 ]
check "header first" grep -q "^VM  *IDENTITY  *ACCESS  *WHY$" <<<"$(head -1 <<<"$OUT")"
check "alice may open debianx (named group)" [ "$(field debianx "$ALICE" 3)" = yes ]
check "why names the group entry" grep -q "group:${P}sx:rw" <<<"$(row debianx "$ALICE")"
check "dave may open debianx (primary group)" [ "$(field debianx "$DAVE" 3)" = yes ]
check "bob may not open debianx" [ "$(field debianx "$BOB" 3)" = no ]
check "carol may not open debianx" [ "$(field debianx "$CAROL" 3)" = no ]
check "carol may open winx (named user)" [ "$(field winx "$CAROL" 3)" = yes ]
check "why names the user entry" grep -q "user:$CAROL:rw" <<<"$(row winx "$CAROL")"
check "bob may not open winx (his group has r only)" [ "$(field winx "$BOB" 3)" = no ]
check "alice may not open winx" [ "$(field winx "$ALICE" 3)" = no ]
check "the owner (root) is shown" [ -n "$(field debianx root 3)" ]
check "a VM without socket: one row" [ "$(grep -c '^gone ' <<<"$OUT")" = 1 ]
check "... saying so" grep -q "^gone  *-  *-  *no socket (VM never started?)" <<<"$OUT"
check "columns aligned" aligned
check "sorted by VM, then identity" [ "$(tail -n +2 <<<"$OUT" | awk '{print $1 " " $2}')" = \
    "$(tail -n +2 <<<"$OUT" | awk '{print $1 " " $2}' | LC_ALL=C sort)" ]
check "no warnings" [ -z "$ERR" ]

# --- one VM, one identity; options after the command
admin access debianx --identity "$BOB" --config "$D/gateway.conf"
check "access debianx --identity bob exits 0" [ "$RC" = 0 ]
check "exactly the header and one row" [ "$(wc -l <<<"$OUT")" = 2 ]
check "... bob, no" [ "$(field debianx "$BOB" 3)" = no ]
check "... with the reason" grep -q "$BOB may not open debianx" <<<"$OUT"

admin -c "$D/gateway.conf" access winx gone -i "$CAROL" -i "$ALICE" -i "$CAROL"
check "two VMs, two identities (one given twice): 3 rows" [ "$(wc -l <<<"$OUT")" = 4 ]

# --- unknown identity: said, the others still shown, exit 1
admin --config "$D/gateway.conf" access debianx --identity "${P}nobody" --identity "$ALICE"
check "unknown identity: exit 1" [ "$RC" = 1 ]
check "... named in the error" grep -q "${P}nobody" <<<"$ERR"
check "... alice still shown" [ "$(field debianx "$ALICE" 3)" = yes ]
admin --config "$D/gateway.conf" access --identity "${P}nobody"
check "only unknown identities: exit 1, no table" [ "$RC" = 1 -a -z "$OUT" ]
admin --config "$D/gateway.conf" access 'bad/name'
check "a bad VM name: exit 1" [ "$RC" = 1 ]

# --- JSON
admin --config "$D/gateway.conf" access --json
check "--json exits 0" [ "$RC" = 0 ]
is_json() { python3 -m json.tool >/dev/null <<<"$OUT"; }
check "--json is JSON" is_json
check "--json rows" python3 -c '
import json, sys
rows = json.loads(sys.stdin.read())
by = {(r["vm"], r["identity"]): r for r in rows}
alice, bob, carol = sys.argv[1:4]
assert by[("debianx", alice)]["allowed"] is True
assert by[("debianx", bob)]["allowed"] is False
assert by[("winx", carol)]["allowed"] is True
assert by[("gone", None)]["allowed"] is False
assert "no socket" in by[("gone", None)]["reason"]
assert all(set(r) == {"vm", "identity", "allowed", "reason"} for r in rows)
' "$ALICE" "$BOB" "$CAROL" <<<"$OUT"

# --- the command line
admin --config "$D/gateway.conf" frobnicate
check "unknown command: exit 2" [ "$RC" = 2 ]
check "... with usage" grep -q "^Usage: vmconsole-admin" <<<"$ERR"
admin --config "$D/gateway.conf" access --by vm
check "an option the command does not take: exit 2" [ "$RC" = 2 ]
check "... named" grep -q "access does not take --by" <<<"$ERR"
admin
check "no command: exit 2" [ "$RC" = 2 ]
admin --bogus access
check "unknown option: exit 2" [ "$RC" = 2 ]
admin help
check "help: exit 0" [ "$RC" = 0 ]
check "... usage on stdout" grep -q "access \[VM...\]" <<<"$OUT"
admin --version
check "--version" grep -q "^vmconsole-admin [0-9]" <<<"$OUT"
admin --config "$D/missing.conf" access
check "missing config: exit 1" [ "$RC" = 1 ]
check "... naming the file" grep -q missing.conf <<<"$ERR"

finish
