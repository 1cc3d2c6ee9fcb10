# shellcheck shell=bash
# log-host-lib.sh — a throwaway host for the audit-log attacks: the gateway's
# log on a small tmpfs of its own. Source it after ../integration/lib.sh
# (bash), as root.
#
#   log_host TAG SIZE   Makes VMC_T_DIR (D) with spicex/, run/ and logfs/ (a
#                       tmpfs of SIZE, e.g. 64k, 2m, unmounted on exit);
#                       ALICE (group ${P}sx, granted rw on the VM debianx,
#                       whose socket listens) and STRANGER (no grant); LOG
#                       is logfs/sessions.jsonl (empty). Returns non-zero
#                       after saying why.
#   log_host_avail_k    KiB free on the log's tmpfs

log_host_cleanup() {
    umount "$D/logfs" 2>/dev/null
    cleanup_common
}

log_host() { # log_host TAG SIZE
    P=$(vmc_prefix "$1")
    VMC_T_DIR=$(mktemp -d "/tmp/vmc-$1-XXXXXX")
    D=$VMC_T_DIR
    trap log_host_cleanup EXIT
    chmod 0755 "$D"
    mkdir -p "$D/spicex" "$D/run" "$D/logfs"
    add_group "${P}sx" && add_user "${P}al" "${P}sx" && add_user "${P}st" || return 1
    ALICE=${P}al STRANGER=${P}st
    listen_socket "$D/spicex/debianx.sock" || return 1
    setfacl -m "g:${P}sx:rw" "$D/spicex/debianx.sock"
    mount -t tmpfs -o "size=$2,mode=0755" "${P}logfs" "$D/logfs" || return 1
    LOG=$D/logfs/sessions.jsonl
    : > "$LOG"
}

log_host_avail_k() { df -k --output=avail "$D/logfs" | tail -1 | tr -d ' '; }
