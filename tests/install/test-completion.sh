#!/bin/bash
# The bash completions of vmconsole-admin and vmconsole, sourced as
# bash-completion sources them, asked to complete a few command lines.
# Usage: test-completion.sh ADMIN-COMPLETION LAUNCHER-COMPLETION   (TAP; no root)
ADMIN_COMPLETION=$(realpath "$1") LAUNCHER_COMPLETION=$(realpath "$2")
BASH_COMPLETION=/usr/share/bash-completion/bash_completion
if [ ! -r "$BASH_COMPLETION" ]; then
    echo "1..0 # SKIP bash-completion is not installed"
    exit 77
fi
D=$(mktemp -d /tmp/vmc-completion-XXXXXX)
trap 'rm -rf "$D"' EXIT
N=0 FAILS=0
ok() { N=$((N + 1)); if [ "$1" = 0 ]; then echo "ok $N - $2"; else echo "not ok $N - $2"; FAILS=$((FAILS + 1)); fi; }

# A config with two [vm] sections and a socket dir holding two sockets (one a
# VM of the pattern, one a file that is no socket).
mkdir "$D/spicex" "$D/home"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$D/spicex/winx.sock"
: > "$D/spicex/notsock.sock"
cat > "$D/gateway.conf" <<CONF
[gateway]
socket-pattern = $D/spicex/%s.sock

[vm debianx]
title = A

[vm win10]
CONF
ssh-keygen -q -t ed25519 -N '' -f "$D/alice" >/dev/null 2>&1
mkdir -m 0700 "$D/home/.ssh"
printf 'Host kvmhost\n    HostName 192.0.2.1\n' > "$D/home/.ssh/config"

# complete FILE LINE: the completions bash offers at the end of LINE, sorted,
# on one line (the function the file registers for the line's first word).
complete_line() {
    env -i HOME="$D/home" PATH=/usr/bin:/bin TERM=dumb bash --norc --noprofile -c '
        . "$1"; . "$2"
        line=$3
        read -r -a COMP_WORDS <<<"$line"
        [[ $line == *" " ]] && COMP_WORDS+=("")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMP_LINE=$line COMP_POINT=${#line}
        func=$(complete -p "${COMP_WORDS[0]}" | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
        "$func" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
        printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' \
        sh "$BASH_COMPLETION" "$1" "$2" 2>&1 | sed 's/ $//'
}
expect() { # expect FILE LINE WANTED
    local got
    got=$(cd "$D" && complete_line "$1" "$2")
    if [ "$got" = "$3" ]; then ok 0 "'$2' completes to '$3'"; else ok 1 "'$2' completes to '$3' (got '$got')"; fi
}
A=$ADMIN_COMPLETION C="--config $D/gateway.conf"
expect "$A" "vmconsole-admin " "access acl authorize check help plot report sessions show"
expect "$A" "vmconsole-admin ch" "check"
expect "$A" "vmconsole-admin --v" "--version"
expect "$A" "vmconsole-admin check --" "--config --gateway --log --no-probe --sshd-config"
expect "$A" "vmconsole-admin report --by " "day host identity mode month vm"
expect "$A" "vmconsole-admin report --by m" "mode month"
expect "$A" "vmconsole-admin $C access " "debianx win10 winx"
expect "$A" "vmconsole-admin $C acl " "apply"
expect "$A" "vmconsole-admin $C acl apply d" "debianx"
expect "$A" "vmconsole-admin $C sessions --vm w" "win10 winx"
expect "$A" "vmconsole-admin authorize roo" "root"
expect "$A" "vmconsole-admin authorize root al" "alice.pub"
expect "$A" "vmconsole-admin authorize root alice.pub --a" "--append --audio --audio-port"
expect "$A" "vmconsole-admin show --j" "--json"
L=$LAUNCHER_COMPLETION
expect "$L" "vmconsole --no" "--no-audio"
expect "$L" "vmconsole --mi" "--microphone"
expect "$L" "vmconsole -i al" "alice alice.pub"
expect "$L" "vmconsole kvm" "kvmhost"
expect "$L" "vmconsole alice@kvm" "alice@kvmhost"
expect "$L" "vmconsole kvmhost deb" ""
echo "1..$N"
[ "$FAILS" = 0 ]
