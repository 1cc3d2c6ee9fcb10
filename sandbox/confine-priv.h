/* confine-priv.h — vmconsole-confine's parts: the argv parser, Landlock, seccomp.
 *
 * Plain C and libc (plus libseccomp in seccomp.c): the program runs inside
 * bubblewrap, just before the viewer, where nothing else is wanted (it is
 * linked from these objects of vmcsandbox alone). The gateway learns the
 * Landlock ABI from vmc_landlock_abi(). */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit codes of vmconsole-confine (as env(1) and shells use them). */
#define VMC_CONFINE_EXIT_USAGE 2       /* bad argv */
#define VMC_CONFINE_EXIT_REFUSED 126   /* a protection failed, or PROGRAM could not run */
#define VMC_CONFINE_EXIT_NOT_FOUND 127 /* PROGRAM does not exist */

/* Bounds on what argv may ask for (DESIGN.md: every input has a named bound). */
#define VMC_CONFINE_MAX_RULES 64            /* --read/--exec/--write/--device in total */
#define VMC_CONFINE_PATH_MAX (PATH_MAX - 1) /* bytes of a PATH, as the kernel takes it */
#define VMC_CONFINE_MESSAGE_MAX 512         /* bytes of an error message, with its NUL */

/* The newest Landlock ABI this program knows how to use (Linux 6.15: ABI 7
 * added only audit-log flags, so 7 handles the same rights as 6). */
#define VMC_LANDLOCK_ABI_KNOWN 7

typedef enum {
    VMC_CONFINE_READ,   /* --read: read files, list directories */
    VMC_CONFINE_EXEC,   /* --exec: as --read, and execute */
    VMC_CONFINE_WRITE,  /* --write: a private tree: read, create, change, remove */
    VMC_CONFINE_DEVICE, /* --device: read, write (and ioctl) device nodes */
} VmcConfineAccess;

typedef struct {
    VmcConfineAccess access;
    const char *path; /* absolute; points into argv */
} VmcConfineRule;

typedef struct {
    VmcConfineRule rules[VMC_CONFINE_MAX_RULES];
    size_t n_rules;
    int report_fd;         /* -1: no report */
    bool require_landlock; /* no Landlock = refuse */
    bool debug;            /* say on stderr what was skipped and applied */
    int landlock_abi_max;  /* tests only: use at most this ABI; -1: no cap */
    char **program_argv;   /* PROGRAM [ARG...], NULL-terminated; points into argv */
} VmcConfineOptions;

typedef struct {
    char message[VMC_CONFINE_MESSAGE_MAX];
} VmcConfineError;

/* Fills @error (when not NULL) with the formatted message, followed by
 * ": strerror(errnum)" when @errnum is not 0. Messages longer than
 * VMC_CONFINE_MESSAGE_MAX - 1 bytes are cut. */
void vmc_confine_error_set(VmcConfineError *error, int errnum, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes "vmconsole-confine: debug: MESSAGE" to stderr when @debug is set. */
void vmc_confine_debug(bool debug, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* Parses vmconsole-confine's argv (see confine.c's usage) into @ret_opts.
 * Pure: touches no file. Returns 0, or -1 with @error set and @ret_opts
 * untouched on bad usage. "--help" is not handled here. */
int vmc_confine_parse_args(int argc, char **argv, VmcConfineOptions *ret_opts,
                           VmcConfineError *error);

/* The Landlock ABI version the running kernel offers; 0 when Landlock is
 * absent, disabled at boot, or the syscall is filtered. */
int vmc_landlock_kernel_abi(void);

/* The Landlock ABI vmconsole-confine puts in force on this kernel: the
 * kernel's version capped at VMC_LANDLOCK_ABI_KNOWN; 0 when unavailable.
 * This is the number in the report line "landlock=N". */
int vmc_landlock_abi(void);

/* The filesystem rights Landlock ABI @abi knows (all of them are handled,
 * so anything not granted by a rule is denied). 0 for @abi < 1. */
uint64_t vmc_landlock_fs_handled(int abi);

/* The filesystem rights a rule of kind @access grants under ABI @abi, on a
 * directory (@is_dir) or on a single file (only per-file rights then). */
uint64_t vmc_landlock_fs_rights(VmcConfineAccess access, int abi, bool is_dir);

/* Restricts this process (and what it execs) with Landlock ABI @abi
 * (1 ≤ @abi ≤ VMC_LANDLOCK_ABI_KNOWN): the filesystem as @opts' rules
 * allow, no TCP bind/connect (ABI ≥ 4), no abstract Unix sockets or signals
 * outside the sandbox (ABI ≥ 6). A rule whose path does not exist is
 * skipped. Needs no_new_privs. Returns 0, or -1 with @error set. */
int vmc_landlock_apply(const VmcConfineOptions *opts, int abi, VmcConfineError *error);

/* Loads the seccomp filter (seccomp.c's table says what it denies and why).
 * Needs no_new_privs. Returns 0, or -1 with @error set. */
int vmc_seccomp_apply(VmcConfineError *error);
