/* seccomp.c — a deny-list seccomp filter for a GUI viewer, modelled on
 * flatpak's default filter: allow everything, except what a viewer never needs
 * and an attacker who got code running in it loves.
 *
 * Built with libseccomp rather than a hand-written BPF program: it resolves
 * syscall numbers per architecture, treats x32 numbers on x86_64 (bit 30) as
 * a foreign architecture, and compares 64-bit arguments correctly — the
 * places where hand-written filters have gone wrong. flatpak and systemd use
 * it; Debian ships it (libseccomp2). */
#include "confine-priv.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/socket.h>

/* clone()'s flags are its first argument, except on these two. */
#if defined(__s390__) || defined(__CRIS__)
#define VMC_CLONE_FLAGS_ARG 1
#else
#define VMC_CLONE_FLAGS_ARG 0
#endif

typedef struct {
    int nr;     /* SCMP_SYS(): negative when not a syscall of this architecture */
    int errnum; /* what the call returns instead */
} VmcSeccompDeny;

static const VmcSeccompDeny vmc_seccomp_denied[] = {
    /* Reading or steering another process (ptrace-like access). */
    {SCMP_SYS(ptrace), EPERM},
    {SCMP_SYS(process_vm_readv), EPERM},
    {SCMP_SYS(process_vm_writev), EPERM},
    {SCMP_SYS(pidfd_getfd), EPERM},
    /* Loading kernel code. */
    {SCMP_SYS(kexec_load), EPERM},
    {SCMP_SYS(kexec_file_load), EPERM},
    {SCMP_SYS(init_module), EPERM},
    {SCMP_SYS(finit_module), EPERM},
    {SCMP_SYS(delete_module), EPERM},
    /* Large kernel attack surfaces with a long CVE record; userfaultfd is the
     * classic tool for winning kernel races. */
    {SCMP_SYS(bpf), EPERM},
    {SCMP_SYS(perf_event_open), EPERM},
    {SCMP_SYS(userfaultfd), EPERM},
    {SCMP_SYS(io_uring_setup), EPERM},
    {SCMP_SYS(io_uring_enter), EPERM},
    {SCMP_SYS(io_uring_register), EPERM},
    /* The kernel keyring: per-user keyrings are shared with the account's
     * other processes. */
    {SCMP_SYS(add_key), EPERM},
    {SCMP_SYS(keyctl), EPERM},
    {SCMP_SYS(request_key), EPERM},
    /* Changing the filesystem layout bwrap built, old and new mount APIs. */
    {SCMP_SYS(mount), EPERM},
    {SCMP_SYS(umount), EPERM},
    {SCMP_SYS(umount2), EPERM},
    {SCMP_SYS(pivot_root), EPERM},
    {SCMP_SYS(chroot), EPERM},
    {SCMP_SYS(fsopen), EPERM},
    {SCMP_SYS(fsconfig), EPERM},
    {SCMP_SYS(fsmount), EPERM},
    {SCMP_SYS(fspick), EPERM},
    {SCMP_SYS(move_mount), EPERM},
    {SCMP_SYS(open_tree), EPERM},
    {SCMP_SYS(mount_setattr), EPERM},
    /* New namespaces (user namespaces open much kernel code) or joining others. */
    {SCMP_SYS(unshare), EPERM},
    {SCMP_SYS(setns), EPERM},
    /* seccomp cannot read clone3()'s flags (they are in memory): ENOSYS makes
     * glibc fall back to clone(), whose flags the rules below see. */
    {SCMP_SYS(clone3), ENOSYS},
    /* File handles open any inode of a mount, past path-based confinement. */
    {SCMP_SYS(open_by_handle_at), EPERM},
    {SCMP_SYS(name_to_handle_at), EPERM},
    /* The host's administration. */
    {SCMP_SYS(acct), EPERM},
    {SCMP_SYS(swapon), EPERM},
    {SCMP_SYS(swapoff), EPERM},
    {SCMP_SYS(reboot), EPERM},
    {SCMP_SYS(quotactl), EPERM},
    {SCMP_SYS(quotactl_fd), EPERM},
    {SCMP_SYS(syslog), EPERM},
    /* Port I/O and 16-bit segments (modify_ldt: a history of leaks). */
    {SCMP_SYS(iopl), EPERM},
    {SCMP_SYS(ioperm), EPERM},
    {SCMP_SYS(modify_ldt), EPERM},
    /* Obsolete. */
    {SCMP_SYS(lookup_dcookie), EPERM},
    {SCMP_SYS(uselib), EPERM},
    /* NUMA placement; move_pages and migrate_pages act on other processes. */
    {SCMP_SYS(move_pages), EPERM},
    {SCMP_SYS(migrate_pages), EPERM},
    {SCMP_SYS(mbind), EPERM},
    {SCMP_SYS(set_mempolicy), EPERM},
    {SCMP_SYS(get_mempolicy), EPERM},
};

typedef struct {
    int nr;
    int errnum;
    unsigned int arg;
    enum scmp_compare op;
    uint64_t a; /* the mask for SCMP_CMP_MASKED_EQ, else the value */
    uint64_t b; /* the value for SCMP_CMP_MASKED_EQ */
} VmcSeccompDenyIf;

static const VmcSeccompDenyIf vmc_seccomp_denied_if[] = {
    /* clone() making any new namespace (one rule per flag: any of them).
     * CLONE_NEWTIME is not among them: its bit is part of clone()'s exit
     * signal; only unshare() and clone3() make time namespaces. */
    {SCMP_SYS(clone), EPERM, VMC_CLONE_FLAGS_ARG, SCMP_CMP_MASKED_EQ, CLONE_NEWNS, CLONE_NEWNS},
    {SCMP_SYS(clone), EPERM, VMC_CLONE_FLAGS_ARG, SCMP_CMP_MASKED_EQ, CLONE_NEWCGROUP,
     CLONE_NEWCGROUP},
    {SCMP_SYS(clone), EPERM, VMC_CLONE_FLAGS_ARG, SCMP_CMP_MASKED_EQ, CLONE_NEWUTS, CLONE_NEWUTS},
    {SCMP_SYS(clone), EPERM, VMC_CLONE_FLAGS_ARG, SCMP_CMP_MASKED_EQ, CLONE_NEWIPC, CLONE_NEWIPC},
    {SCMP_SYS(clone), EPERM, VMC_CLONE_FLAGS_ARG, SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER},
    {SCMP_SYS(clone), EPERM, VMC_CLONE_FLAGS_ARG, SCMP_CMP_MASKED_EQ, CLONE_NEWPID, CLONE_NEWPID},
    {SCMP_SYS(clone), EPERM, VMC_CLONE_FLAGS_ARG, SCMP_CMP_MASKED_EQ, CLONE_NEWNET, CLONE_NEWNET},
    /* Typing into the terminal (CVE-2017-5226) or the virtual console's
     * selection (CVE-2023-28100). The kernel reads cmd as 32 bits: compare
     * only those, so set high bits cannot slip past. */
    {SCMP_SYS(ioctl), EPERM, 1, SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI},
    {SCMP_SYS(ioctl), EPERM, 1, SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCLINUX},
    /* Only the default personality: ADDR_NO_RANDOMIZE would switch ASLR off
     * for what it execs, READ_IMPLIES_EXEC makes data executable. (A query,
     * 0xffffffff, is refused too, as in flatpak: nothing here asks.) */
    {SCMP_SYS(personality), EPERM, 0, SCMP_CMP_NE, PER_LINUX, 0},
};

/* Socket families a viewer uses: Unix (X11, Spice, sound), IP (denied by
 * Landlock and an empty network namespace, but libraries probe it), netlink
 * (GLib's network monitor). The others — packet, vsock, ALG, TIPC, RDS… —
 * are kernel code no viewer needs; they get EAFNOSUPPORT, as if absent.
 * In increasing order. */
static const int vmc_socket_families[] = {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK};

static int
deny_socket_families(scmp_filter_ctx ctx)
{
    const size_t n = sizeof(vmc_socket_families) / sizeof(vmc_socket_families[0]);
    int next = 0; /* the lowest family not yet ruled on */
    int r;

    for (size_t i = 0; i < n; i++) {
        for (int family = next; family < vmc_socket_families[i]; family++) {
            r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
                                 SCMP_A0(SCMP_CMP_EQ, (uint64_t)family));
            if (r < 0)
                return r;
        }
        next = vmc_socket_families[i] + 1;
    }
    return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
                            SCMP_A0(SCMP_CMP_GE, (uint64_t)next));
}

static int
add_rules(scmp_filter_ctx ctx, VmcConfineError *error)
{
    const size_t n_denied = sizeof(vmc_seccomp_denied) / sizeof(vmc_seccomp_denied[0]);
    const size_t n_denied_if = sizeof(vmc_seccomp_denied_if) / sizeof(vmc_seccomp_denied_if[0]);
    int r;

    for (size_t i = 0; i < n_denied; i++) {
        const VmcSeccompDeny *d = &vmc_seccomp_denied[i];

        if (d->nr < 0) /* e.g. umount or iopl: not a syscall here */
            continue;
        r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(d->errnum), d->nr, 0);
        if (r < 0)
            goto fail;
    }
    for (size_t i = 0; i < n_denied_if; i++) {
        const VmcSeccompDenyIf *d = &vmc_seccomp_denied_if[i];
        struct scmp_arg_cmp cmp = {.arg = d->arg, .op = d->op, .datum_a = d->a, .datum_b = d->b};

        r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(d->errnum), d->nr, 1, cmp);
        if (r < 0)
            goto fail;
    }
    r = deny_socket_families(ctx);
    if (r < 0)
        goto fail;
    return 0;
fail:
    vmc_confine_error_set(error, -r, "seccomp: adding a rule");
    return -1;
}

int
vmc_seccomp_apply(VmcConfineError *error)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    int r;
    int ret = -1;

    if (ctx == NULL) {
        vmc_confine_error_set(error, ENOMEM, "seccomp: seccomp_init");
        return -1;
    }
    /* A syscall of a foreign architecture (i386 through int $0x80, x32 on
     * x86_64) meets none of the rules above: deny it as a whole. */
    r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(EPERM));
    /* ... and have seccomp_load() return the kernel's errno. */
    if (r == 0)
        r = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
    if (r < 0) {
        vmc_confine_error_set(error, -r, "seccomp: setting filter attributes");
        goto out;
    }
    if (add_rules(ctx, error) < 0)
        goto out;
    r = seccomp_load(ctx);
    if (r < 0) {
        vmc_confine_error_set(error, -r, "seccomp: loading the filter");
        goto out;
    }
    ret = 0;
out:
    seccomp_release(ctx);
    return ret;
}
