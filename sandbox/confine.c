/* confine.c — vmconsole-confine, the last step inside the viewer's bubblewrap
 * sandbox: no_new_privs, Landlock, a seccomp filter, no stray fds, one report
 * line of what is in force, then exec of PROGRAM. Any protection that should
 * apply and does not is a refusal: PROGRAM does not run unprotected. */
#include "confine-priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static const char vmc_confine_usage[] =
    "usage: vmconsole-confine [--read PATH]... [--exec PATH]... [--write PATH]...\n"
    "                         [--device PATH]... [--report-fd N] [--require-landlock]\n"
    "                         [--debug] -- PROGRAM [ARG...]\n"
    "  --read PATH       read files and list directories beneath PATH\n"
    "  --exec PATH       as --read, and execute beneath PATH\n"
    "  --write PATH      read, write, create, rename and remove beneath PATH\n"
    "  --device PATH     read, write and ioctl the device node(s) at PATH\n"
    "  --report-fd N     before the exec, write 'landlock=ABI seccomp=on no_new_privs=on'\n"
    "                    to fd N (3 or more) and close it\n"
    "  --require-landlock  refuse to run PROGRAM when the kernel has no Landlock\n"
    "  --debug           say on stderr what is applied and which PATHs are skipped\n"
    "A PATH that does not exist is skipped. PROGRAM is an absolute path.\n"
    "Exit: 2 bad usage, 126 a protection failed or PROGRAM cannot run, 127 no PROGRAM.\n";

/* 0, 1 and 2 open (on /dev/null if need be), so that no file the program
 * opens becomes its stdout by accident. Done before Landlock, which may not
 * grant /dev/null. */
static int
ensure_stdio(VmcConfineError *error)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
            continue;
        int null_fd = open("/dev/null", O_RDWR);
        if (null_fd != fd) {
            vmc_confine_error_set(error, null_fd < 0 ? errno : 0, "opening /dev/null as fd %d", fd);
            return -1;
        }
    }
    return 0;
}

/* Whatever bwrap or its parent left open (>= 3) must not reach the viewer. */
static int
close_other_fds(int keep_fd, VmcConfineError *error)
{
    int r = 0;

    if (keep_fd < 0) {
        r = close_range(3, ~0U, 0);
    } else {
        if (keep_fd > 3)
            r = close_range(3, (unsigned int)keep_fd - 1, 0);
        if (r == 0)
            r = close_range((unsigned int)keep_fd + 1, ~0U, 0);
    }
    if (r < 0) {
        vmc_confine_error_set(error, errno, "closing inherited file descriptors");
        return -1;
    }
    return 0;
}

static int
write_report(int fd, int abi, VmcConfineError *error)
{
    char line[64];
    int len = snprintf(line, sizeof(line), "landlock=%d seccomp=on no_new_privs=on\n", abi);

    for (int done = 0; done < len;) {
        ssize_t n = write(fd, line + done, (size_t)(len - done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            vmc_confine_error_set(error, n < 0 ? errno : EIO, "writing the report to fd %d", fd);
            return -1;
        }
        done += (int)n;
    }
    close(fd);
    return 0;
}

/* Landlock's ABI to use: the best offered, or none, capped for the tests. */
static int
choose_landlock_abi(const VmcConfineOptions *opts, VmcConfineError *error)
{
    int abi = vmc_landlock_abi();

    vmc_confine_debug(opts->debug, "kernel Landlock ABI %d", vmc_landlock_kernel_abi());
    if (opts->landlock_abi_max >= 0 && abi > opts->landlock_abi_max)
        abi = opts->landlock_abi_max;
    if (abi == 0 && opts->require_landlock) {
        vmc_confine_error_set(error, 0, "Landlock is not available and --require-landlock is set");
        return -1;
    }
    return abi;
}

static int
confine(const VmcConfineOptions *opts, VmcConfineError *error)
{
    int abi;

    /* Landlock and unprivileged seccomp need it; setuid binaries stay plain. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        vmc_confine_error_set(error, errno, "setting no_new_privs");
        return -1;
    }
    abi = choose_landlock_abi(opts, error);
    if (abi < 0)
        return -1;
    if (abi > 0 && vmc_landlock_apply(opts, abi, error) < 0)
        return -1;
    if (vmc_seccomp_apply(error) < 0)
        return -1;
    if (close_other_fds(opts->report_fd, error) < 0)
        return -1;
    if (opts->report_fd >= 0 && write_report(opts->report_fd, abi, error) < 0)
        return -1;
    return 0;
}

int
main(int argc, char **argv)
{
    VmcConfineOptions opts;
    VmcConfineError error = {{0}};
    int errnum;

    if (ensure_stdio(&error) < 0) {
        fprintf(stderr, "vmconsole-confine: %s\n", error.message);
        return VMC_CONFINE_EXIT_REFUSED;
    }
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(vmc_confine_usage, stdout);
        return 0;
    }
    if (vmc_confine_parse_args(argc, argv, &opts, &error) < 0) {
        fprintf(stderr, "vmconsole-confine: %s\n%s", error.message, vmc_confine_usage);
        return VMC_CONFINE_EXIT_USAGE;
    }
    if (opts.report_fd >= 0 && fcntl(opts.report_fd, F_GETFD) < 0) {
        fprintf(stderr, "vmconsole-confine: --report-fd %d: not an open file descriptor\n%s",
                opts.report_fd, vmc_confine_usage);
        return VMC_CONFINE_EXIT_USAGE;
    }
    if (confine(&opts, &error) < 0) {
        fprintf(stderr, "vmconsole-confine: not running %.300s: %s\n", opts.program_argv[0],
                error.message);
        return VMC_CONFINE_EXIT_REFUSED;
    }
    execv(opts.program_argv[0], opts.program_argv);
    errnum = errno;
    fprintf(stderr, "vmconsole-confine: cannot execute %.300s: %s\n", opts.program_argv[0],
            strerror(errnum));
    return errnum == ENOENT ? VMC_CONFINE_EXIT_NOT_FOUND : VMC_CONFINE_EXIT_REFUSED;
}
