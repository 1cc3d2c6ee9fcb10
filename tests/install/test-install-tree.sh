#!/bin/bash
# `meson install --destdir` of this build, and the tree it leaves: every file
# where the host's own tools look for it, with its mode; the texts that name
# installed paths carry this build's paths (no @PLACEHOLDER@ left, no
# /usr/bin/vmconsole-gateway); the libvirt hook executable in libvirt's
# qemu.d; nothing executable under the doc dir; the sshd snippet's
# AuthorizedKeysFile inside its Match block (sshd -T agrees); the sysusers.d
# and tmpfiles.d entries applied to the tree (systemd-sysusers and
# systemd-tmpfiles --root) make the account, its home and ~/.Xauthority, the
# run dir and the log with the right owners and modes.
# Usage: test-install-tree.sh BUILD-DIR   (TAP; the paths come from the
# environment: VMC_PREFIX VMC_BINDIR VMC_LIBEXECDIR VMC_SYSCONFDIR VMC_DATADIR
# VMC_MANDIR VMC_HOOKS_DIR VMC_LOGROTATE_DIR VMC_VERSION, as meson configured them)
. "$(dirname "$0")/../integration/lib.sh"
BUILD=$(realpath "$1")
need_root   # owners, the file capability
VMC_T_DIR=$(mktemp -d /tmp/vmc-install-XXXXXX)
trap cleanup_common EXIT
chmod 0755 "$VMC_T_DIR"
R=$VMC_T_DIR/root

abs() { case $1 in /*) echo "$1" ;; *) echo "$VMC_PREFIX/$1" ;; esac; } # meson's dirs
BINDIR=$(abs "$VMC_BINDIR") LIBEXEC=$(abs "$VMC_LIBEXECDIR")/vmconsole
SYSCONF=$(abs "$VMC_SYSCONFDIR") DATADIR=$(abs "$VMC_DATADIR") MANDIR=$(abs "$VMC_MANDIR")
DOCDIR=$DATADIR/doc/vmconsole HOOK=$VMC_HOOKS_DIR/qemu.d/vmconsole
GATEWAY=$LIBEXEC/vmconsole-gateway ADMIN=$BINDIR/vmconsole-admin
CONFIG=$SYSCONF/vmconsole/gateway.conf
echo "# prefix $VMC_PREFIX: gateway $GATEWAY, hook $HOOK"

OUT=$(meson install -C "$BUILD" --destdir "$R" --no-rebuild 2>&1); RC=$?
ok $RC "meson install --destdir exits 0 ($(tail -1 <<<"$OUT"))"

mode_is() { # mode_is PATH MODE [OWNER:GROUP]
    local got
    got=$(stat -c '%a %U:%G' "$R$1" 2>/dev/null)
    if [ "$got" = "$2 ${3:-root:root}" ]; then ok 0 "$1: $got"
    else ok 1 "$1: wanted $2 ${3:-root:root}, got '${got:-missing}'"; fi
}
# ---- where each file is, and its mode
mode_is "$ADMIN" 755
mode_is "$GATEWAY" 755
mode_is "$LIBEXEC/vmconsole-confine" 755
mode_is "$LIBEXEC/vmconsole-tunnel-check" 755
check "the gateway is no program people run: not in $BINDIR" test ! -e "$R$BINDIR/vmconsole-gateway"
check "vmconsole-tunnel-check has cap_sys_ptrace=ep (set at install, as root)" \
    eval 'getcap "$R$LIBEXEC/vmconsole-tunnel-check" | grep -q "cap_sys_ptrace=ep"'
mode_is "$HOOK" 755
mode_is "$SYSCONF/vmconsole/authorized_keys" 755
mode_is "$VMC_PREFIX/lib/sysusers.d/vmconsole.conf" 644
mode_is "$VMC_PREFIX/lib/tmpfiles.d/vmconsole.conf" 644
mode_is "$VMC_LOGROTATE_DIR/vmconsole" 644
mode_is "$DATADIR/bash-completion/completions/vmconsole-admin" 644
if [ -x "$BUILD/client-launcher/vmconsole" ]; then
    mode_is "$BINDIR/vmconsole" 755
    mode_is "$DATADIR/bash-completion/completions/vmconsole" 644
    mode_is "$MANDIR/man1/vmconsole.1" 644
fi
for page in vmconsole-gateway vmconsole-admin vmconsole-confine; do
    mode_is "$MANDIR/man8/$page.8" 644
done
mode_is "$DOCDIR/sshd_config.vmconsole" 644
mode_is "$DOCDIR/gateway.conf.example" 644
for f in rsyslog-vmconsole.conf fluentd-vmconsole.conf journal-upload-vmconsole.conf; do
    mode_is "$DOCDIR/central-logging/$f" 644
done
check "nothing executable under $DOCDIR ($(find "$R$DOCDIR" -type f -perm /111 | tr '\n' ' '))" \
    eval '[ -z "$(find "$R$DOCDIR" -type f -perm /111)" ]'
for unit in vmconsole-acl@.path vmconsole-acl@.service; do
    mode_is "$VMC_PREFIX/lib/systemd/system/$unit" 644
done

# ---- the texts: this build's paths, nothing left to substitute
TEXTS=$(cd "$R" && find . -type f ! -perm /111 | sed 's/^\.//')
LEFT=$(cd "$R" && grep -lE '@[A-Z_]+@' $HOOK $TEXTS 2>/dev/null | tr '\n' ' ')
check "no @PLACEHOLDER@ left in any installed text (${LEFT:-none})" test -z "$LEFT"
if [ "$GATEWAY" != /usr/bin/vmconsole-gateway ]; then
    STALE=$(cd "$R" && grep -l '/usr/bin/vmconsole-gateway' $HOOK $TEXTS 2>/dev/null | tr '\n' ' ')
    check "no installed text says /usr/bin/vmconsole-gateway (${STALE:-none})" test -z "$STALE"
fi
has_file() { grep -qF -- "$2" "$R$1"; } # has_file PATH TEXT
check "the hook runs the installed vmconsole-admin" has_file "$HOOK" "admin=\${VMCONSOLE_ADMIN:-$ADMIN}"
check "the hook reads the installed config" has_file "$HOOK" "config=\${VMCONSOLE_CONFIG:-$CONFIG}"
check "the hook is a shell script sh can read" sh -n "$R$HOOK"
check "gateway(8) names the installed gateway in its key line" \
    has_file "$MANDIR/man8/vmconsole-gateway.8" "command=\"$GATEWAY --identity alice\""
check "gateway(8) names the installed helpers' dir" \
    has_file "$MANDIR/man8/vmconsole-gateway.8" "$LIBEXEC/vmconsole-tunnel-check"
check "gateway(8) carries the version" \
    has_file "$MANDIR/man8/vmconsole-gateway.8" "\"vmconsole $VMC_VERSION\""
check "admin(8) names the installed config and the hook" eval \
    'has_file "$MANDIR/man8/vmconsole-admin.8" "$CONFIG" && has_file "$MANDIR/man8/vmconsole-admin.8" "$HOOK"'
check "the admin's completion defaults to the installed config" \
    has_file "$DATADIR/bash-completion/completions/vmconsole-admin" "config=$CONFIG "
SNIPPET=$R$DOCDIR/sshd_config.vmconsole
check "the snippet's key lines name the installed gateway" has_file "$DOCDIR/sshd_config.vmconsole" \
    "command=\"$GATEWAY --identity NAME\""
AKF_LINE=$(grep -n '^[[:space:]]*AuthorizedKeysFile' "$SNIPPET" | cut -d: -f1)
MATCH_LINE=$(grep -n '^Match User vmconsole$' "$SNIPPET" | cut -d: -f1)
check "the snippet's AuthorizedKeysFile is inside its Match block (line ${AKF_LINE:-none} > ${MATCH_LINE:-none})" \
    eval '[ -n "$AKF_LINE" ] && [ -n "$MATCH_LINE" ] && [ "$AKF_LINE" -gt "$MATCH_LINE" ]'
# sshd reads it so: for the account the installed key dir, for anyone else sshd's default
ssh-keygen -q -t ed25519 -N '' -f "$VMC_T_DIR/hostkey" || exit 1
printf 'HostKey %s\nInclude %s\n' "$VMC_T_DIR/hostkey" "$SNIPPET" > "$VMC_T_DIR/sshd_config"
akf() { /usr/sbin/sshd -T -f "$VMC_T_DIR/sshd_config" -C "user=$1,host=localhost,addr=127.0.0.1" |
        sed -n 's/^authorizedkeysfile //p'; }
check "sshd -T: the account's keys are in $SYSCONF/vmconsole/authorized_keys/%u ($(akf vmconsole))" \
    test "$(akf vmconsole)" = "$SYSCONF/vmconsole/authorized_keys/%u"
check "sshd -T: every other user keeps the default ($(akf root))" \
    test "$(akf root)" = ".ssh/authorized_keys .ssh/authorized_keys2"

# ---- the account, its home, the run dir and the log, as systemd makes them
if command -v systemd-sysusers >/dev/null && command -v systemd-tmpfiles >/dev/null; then
    SYSUSERS=$VMC_PREFIX/lib/sysusers.d/vmconsole.conf TMPFILES=$VMC_PREFIX/lib/tmpfiles.d/vmconsole.conf
    # systemd looks in /etc, /run, /usr/local/lib and /usr/lib: another prefix's
    # entries are linked into the tree's /etc for it (as an admin would do)
    case $VMC_PREFIX in /usr | /usr/local) ;; *)
        mkdir -p "$R/etc/sysusers.d" "$R/etc/tmpfiles.d"
        ln -s "$SYSUSERS" "$R/etc/sysusers.d/vmconsole.conf"
        ln -s "$TMPFILES" "$R/etc/tmpfiles.d/vmconsole.conf" ;;
    esac
    systemd-sysusers --root="$R" vmconsole.conf >/dev/null 2>&1
    ok $? "systemd-sysusers --root applies sysusers.d/vmconsole.conf"
    ENTRY=$(grep '^vmconsole:' "$R/etc/passwd")
    IFS=: read -r _ _ AUID AGID _ AHOME ASHELL <<<"$ENTRY"
    check "the account: a system uid ($AUID), home /var/lib/vmconsole, shell /bin/sh" \
        eval '[ "$AUID" -lt 1000 ] && [ "$AHOME" = /var/lib/vmconsole ] && [ "$ASHELL" = /bin/sh ]'
    systemd-tmpfiles --create --root="$R" vmconsole.conf >/dev/null 2>&1
    ok $? "systemd-tmpfiles --create --root applies tmpfiles.d/vmconsole.conf"
    ids_is() { # ids_is PATH MODE UID:GID
        local got
        got=$(stat -c '%a %u:%g' "$R$1" 2>/dev/null)
        if [ "$got" = "$2 $3" ]; then ok 0 "$1: $got"; else ok 1 "$1: wanted $2 $3, got '${got:-missing}'"; fi
    }
    ids_is /run/vmconsole 700 "$AUID:$AGID"
    ids_is /var/lib/vmconsole 700 "$AUID:$AGID"
    ids_is /var/lib/vmconsole/.Xauthority 600 "$AUID:$AGID"
    ids_is /var/log/vmconsole 755 0:0
    ids_is /var/log/vmconsole/sessions.jsonl 640 "$AUID:0"
else
    echo "# systemd-sysusers/systemd-tmpfiles not installed: the entries are not applied"
fi
finish
