/* landlock.c — Landlock at the best ABI the kernel offers.
 *
 * Every right the ABI knows is handled, so a path gets only what a rule
 * grants; TCP and scopes are handled with no rule at all, so they are simply
 * denied. Debian 12's linux-libc-dev (6.1) describes ABI 2 only: the later
 * bits and the longer ruleset struct are the kernel's stable UAPI
 * (include/uapi/linux/landlock.h), spelled out here under our own names. */
#include "confine-priv.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define VMC_LL_FS_TRUNCATE (1ULL << 14)               /* ABI 3 */
#define VMC_LL_FS_IOCTL_DEV (1ULL << 15)              /* ABI 5 */
#define VMC_LL_NET_BIND_TCP (1ULL << 0)               /* ABI 4 */
#define VMC_LL_NET_CONNECT_TCP (1ULL << 1)            /* ABI 4 */
#define VMC_LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0) /* ABI 6 */
#define VMC_LL_SCOPE_SIGNAL (1ULL << 1)               /* ABI 6 */

/* ABI 1: execute, write, read, read dir, remove dir/file, make char, dir,
 * reg, sock, fifo, block, sym — bits 0 to 12. */
#define VMC_LL_FS_ABI1 ((LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1)

/* The only rights Landlock takes on a rule for a single file. */
#define VMC_LL_FS_PER_FILE                                                                         \
    (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |   \
     VMC_LL_FS_TRUNCATE | VMC_LL_FS_IOCTL_DEV)

#define VMC_LL_FS_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)

/* struct landlock_ruleset_attr as of ABI 6; older kernels take a prefix. */
typedef struct {
    uint64_t handled_access_fs;  /* ABI 1 */
    uint64_t handled_access_net; /* ABI 4 */
    uint64_t scoped;             /* ABI 6 */
} VmcLandlockRulesetAttr;

/* What each option grants, and why no more (indexed by VmcConfineAccess). */
static const uint64_t vmc_landlock_grants[] = {
    /* --read: open files for reading, list directories. */
    [VMC_CONFINE_READ] = VMC_LL_FS_READ,
    /* --exec: also execve() (libraries are mmap()ed after a read open,
     * which Landlock does not tell apart). */
    [VMC_CONFINE_EXEC] = VMC_LL_FS_READ | LANDLOCK_ACCESS_FS_EXECUTE,
    /* --write: a private HOME or /tmp. Files, dirs, sockets (GLib, dconf),
     * fifos and symlinks made and removed; O_TRUNC/ftruncate (ABI 3); REFER
     * (ABI 2) lets a file move between directories of the tree — a rename
     * within one directory, as g_file_set_contents() does, needs only
     * MAKE_REG and REMOVE_FILE. Never EXECUTE: what the sandbox writes does
     * not run. Never MAKE_CHAR/MAKE_BLOCK: no device nodes are made. */
    [VMC_CONFINE_WRITE] = VMC_LL_FS_READ | LANDLOCK_ACCESS_FS_WRITE_FILE | VMC_LL_FS_TRUNCATE |
                          LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_DIR |
                          LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
                          LANDLOCK_ACCESS_FS_MAKE_SYM | LANDLOCK_ACCESS_FS_REMOVE_FILE |
                          LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REFER,
    /* --device: open for reading and writing, ioctl() (ABI 5: tty modes,
     * DRM), and list a device directory such as /dev/dri to find its nodes.
     * No TRUNCATE: O_TRUNC on a device node never truncates anything. */
    [VMC_CONFINE_DEVICE] = VMC_LL_FS_READ | LANDLOCK_ACCESS_FS_WRITE_FILE | VMC_LL_FS_IOCTL_DEV,
};

uint64_t
vmc_landlock_fs_handled(int abi)
{
    uint64_t handled = 0;

    if (abi >= 1)
        handled |= VMC_LL_FS_ABI1;
    if (abi >= 2)
        handled |= LANDLOCK_ACCESS_FS_REFER;
    if (abi >= 3)
        handled |= VMC_LL_FS_TRUNCATE;
    if (abi >= 5)
        handled |= VMC_LL_FS_IOCTL_DEV;
    return handled;
}

uint64_t
vmc_landlock_fs_rights(VmcConfineAccess access, int abi, bool is_dir)
{
    uint64_t rights = vmc_landlock_grants[access] & vmc_landlock_fs_handled(abi);

    return is_dir ? rights : rights & VMC_LL_FS_PER_FILE;
}

int
vmc_landlock_kernel_abi(void)
{
#ifdef SYS_landlock_create_ruleset
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

    return abi > 0 && abi <= INT_MAX ? (int)abi : 0;
#else
    return 0;
#endif
}

int
vmc_landlock_abi(void)
{
    int abi = vmc_landlock_kernel_abi();

    return abi < VMC_LANDLOCK_ABI_KNOWN ? abi : VMC_LANDLOCK_ABI_KNOWN;
}

#ifdef SYS_landlock_create_ruleset

static const char *const vmc_access_options[] = {
    [VMC_CONFINE_READ] = "--read",
    [VMC_CONFINE_EXEC] = "--exec",
    [VMC_CONFINE_WRITE] = "--write",
    [VMC_CONFINE_DEVICE] = "--device",
};

/* One rule: the tree (or file) at rule->path gets what its option grants.
 * A path that is not there is skipped: bwrap layouts differ per host. */
static int
add_path_rule(int ruleset_fd, const VmcConfineRule *rule, int abi, bool debug,
              VmcConfineError *error)
{
    const char *option = vmc_access_options[rule->access];
    struct landlock_path_beneath_attr beneath = {0};
    struct stat st;
    int ret = -1;
    int fd = open(rule->path, O_PATH | O_CLOEXEC);

    if (fd < 0 && (errno == ENOENT || errno == ENOTDIR)) {
        vmc_confine_debug(debug, "%s %.300s: not there, skipped", option, rule->path);
        return 0;
    }
    if (fd < 0) {
        vmc_confine_error_set(error, errno, "Landlock: %s %.300s", option, rule->path);
        return -1;
    }
    if (fstat(fd, &st) < 0) {
        vmc_confine_error_set(error, errno, "Landlock: %s %.300s: fstat", option, rule->path);
        goto out;
    }
    beneath.parent_fd = fd;
    beneath.allowed_access = vmc_landlock_fs_rights(rule->access, abi, S_ISDIR(st.st_mode));
    if (syscall(SYS_landlock_add_rule, ruleset_fd, LANDLOCK_RULE_PATH_BENEATH, &beneath, 0) < 0) {
        vmc_confine_error_set(error, errno, "Landlock: %s %.300s: adding the rule", option,
                              rule->path);
        goto out;
    }
    vmc_confine_debug(debug, "%s %.300s: rights 0x%llx", option, rule->path,
                      (unsigned long long)beneath.allowed_access);
    ret = 0;
out:
    close(fd);
    return ret;
}

/* The ruleset for @abi: all its fs rights, TCP (ABI 4) and scopes (ABI 6).
 * Returns the size of the struct prefix that ABI knows. */
static size_t
ruleset_attr_for(int abi, VmcLandlockRulesetAttr *ret_attr)
{
    VmcLandlockRulesetAttr attr = {.handled_access_fs = vmc_landlock_fs_handled(abi)};
    size_t size = offsetof(VmcLandlockRulesetAttr, handled_access_net);

    if (abi >= 4) {
        /* No viewer talks TCP (bwrap leaves only a down lo): handled with no
         * rule, every bind() and connect() is denied. */
        attr.handled_access_net = VMC_LL_NET_BIND_TCP | VMC_LL_NET_CONNECT_TCP;
        size = offsetof(VmcLandlockRulesetAttr, scoped);
    }
    if (abi >= 6) {
        /* No abstract Unix socket (libxcb tries @/tmp/.X11-unix/XN first) and
         * no signal may reach a process outside this sandbox. */
        attr.scoped = VMC_LL_SCOPE_ABSTRACT_UNIX_SOCKET | VMC_LL_SCOPE_SIGNAL;
        size = sizeof(attr);
    }
    *ret_attr = attr;
    return size;
}

int
vmc_landlock_apply(const VmcConfineOptions *opts, int abi, VmcConfineError *error)
{
    VmcLandlockRulesetAttr attr;
    size_t size;
    int ruleset_fd;
    int ret = -1;

    if (abi < 1 || abi > VMC_LANDLOCK_ABI_KNOWN) {
        vmc_confine_error_set(error, 0, "Landlock: no ABI %d here", abi);
        return -1;
    }
    size = ruleset_attr_for(abi, &attr);
    ruleset_fd = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
    if (ruleset_fd < 0) {
        vmc_confine_error_set(error, errno, "Landlock: creating an ABI %d ruleset", abi);
        return -1;
    }
    for (size_t i = 0; i < opts->n_rules; i++)
        if (add_path_rule(ruleset_fd, &opts->rules[i], abi, opts->debug, error) < 0)
            goto out;
    if (syscall(SYS_landlock_restrict_self, ruleset_fd, 0) < 0) {
        vmc_confine_error_set(error, errno, "Landlock: restricting this process");
        goto out;
    }
    vmc_confine_debug(opts->debug, "Landlock ABI %d: fs 0x%llx, net 0x%llx, scoped 0x%llx", abi,
                      (unsigned long long)attr.handled_access_fs,
                      (unsigned long long)attr.handled_access_net, (unsigned long long)attr.scoped);
    ret = 0;
out:
    close(ruleset_fd);
    return ret;
}

#else /* the C library's headers know no Landlock syscalls */

int
vmc_landlock_apply(const VmcConfineOptions *opts, int abi, VmcConfineError *error)
{
    vmc_confine_error_set(error, ENOSYS, "Landlock: built without it");
    return -1;
}

#endif
