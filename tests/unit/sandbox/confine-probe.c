/* confine-probe.c — makes one named attempt and prints its outcome: "ok", or
 * the errno's name ("EACCES"). test-confine.sh runs it under
 * vmconsole-confine and without it, and compares exact outcomes.
 *
 *   confine-probe ACTION [ARG...]     (see vmc_probe_actions below)
 *
 * Exit 0 when the attempt was made (whatever its outcome), 2 on bad usage. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define VMC_PROBE_DONE 1       /* the action printed its own outcome */
#define VMC_PROBE_FD_SCAN 1024 /* fds looked at by "fds" */

extern char **environ;

static const char *
errno_name(int errnum)
{
    const char *name = strerrorname_np(errnum);
    return name != NULL ? name : "E?";
}

static int
check_status(pid_t pid)
{
    int status;

    if (waitpid(pid, &status, 0) < 0)
        return -1;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    errno = ECHILD; /* "it ran but failed" */
    return -1;
}

/* ---- files ---- */

static int
do_read(char **a)
{
    char c;
    int fd = open(a[0], O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, &c, 1);
    close(fd);
    return n < 0 ? -1 : 0;
}

static int
do_list(char **a)
{
    DIR *dir = opendir(a[0]);
    if (dir == NULL)
        return -1;
    errno = 0;
    struct dirent *entry = readdir(dir);
    int errnum = errno;
    closedir(dir);
    errno = errnum;
    return entry == NULL && errnum != 0 ? -1 : 0;
}

static int
do_write(char **a)
{
    int fd = open(a[0], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, "x\n", 2);
    close(fd);
    return n < 0 ? -1 : 0;
}

static int
do_mkdir(char **a)
{
    return mkdir(a[0], 0700);
}

static int
do_unlink(char **a)
{
    return unlink(a[0]);
}

static int
do_rename(char **a)
{
    return rename(a[0], a[1]);
}

static int
do_truncate(char **a)
{
    return truncate(a[0], 0);
}

static int
do_exec(char **a)
{
    return execv(a[0], a);
}

/* ---- network, other processes ---- */

static int
do_tcp(int port, bool do_connect)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int r, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (do_connect)
        r = connect(fd, (struct sockaddr *)&addr, sizeof(addr));
    else
        r = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
    int errnum = errno;
    close(fd);
    errno = errnum;
    return r;
}

static int
do_tcp_connect(char **a)
{
    return do_tcp(atoi(a[0]), true);
}

static int
do_tcp_bind(char **a)
{
    return do_tcp(0, false);
}

static socklen_t
abstract_address(const char *name, struct sockaddr_un *ret_addr)
{
    size_t len = strnlen(name, sizeof(ret_addr->sun_path) - 1);

    memset(ret_addr, 0, sizeof(*ret_addr));
    ret_addr->sun_family = AF_UNIX;
    memcpy(ret_addr->sun_path + 1, name, len); /* sun_path[0] = 0: abstract */
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len);
}

static int
do_abstract_connect(char **a)
{
    struct sockaddr_un addr;
    socklen_t len = abstract_address(a[0], &addr);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    int r = connect(fd, (struct sockaddr *)&addr, len);
    int errnum = errno;
    close(fd);
    errno = errnum;
    return r;
}

static int
do_kill(char **a)
{
    return kill((pid_t)atoi(a[0]), 0);
}

static int
do_ptrace_child(char **a)
{
    pid_t child = fork();
    int r, errnum, status;

    if (child < 0)
        return -1;
    if (child == 0) {
        pause();
        _exit(0);
    }
    r = (int)ptrace(PTRACE_ATTACH, child, NULL, NULL);
    errnum = errno;
    if (r == 0 && waitpid(child, &status, 0) == child)
        ptrace(PTRACE_DETACH, child, NULL, NULL);
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
    errno = errnum;
    return r;
}

/* ---- namespaces, clone ---- */

static int
do_unshare_user(char **a)
{
    return unshare(CLONE_NEWUSER);
}

/* clone FLAGS: a child made with clone(FLAGS | SIGCHLD), e.g. 0x10000000 */
static int
do_clone(char **a)
{
    unsigned long flags = strtoul(a[0], NULL, 0) | SIGCHLD;
    long pid = syscall(SYS_clone, flags, NULL, NULL, NULL, 0);

    if (pid == 0)
        _exit(0);
    return pid < 0 ? -1 : check_status((pid_t)pid);
}

/* struct clone_args, version 0 (64 bytes) */
typedef struct {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
} ProbeCloneArgs;

static int
do_clone3(char **a)
{
    ProbeCloneArgs args = {.exit_signal = SIGCHLD};
    long pid = syscall(SYS_clone3, &args, sizeof(args));

    if (pid == 0)
        _exit(0);
    return pid < 0 ? -1 : check_status((pid_t)pid);
}

static void *
thread_main(void *data)
{
    return data;
}

/* glibc tries clone3 first and must fall back to clone on ENOSYS. */
static int
do_thread(char **a)
{
    pthread_t thread;
    int r = pthread_create(&thread, NULL, thread_main, NULL);

    if (r != 0) {
        errno = r;
        return -1;
    }
    return pthread_join(thread, NULL) == 0 ? 0 : -1;
}

static int
do_spawn(char **a)
{
    pid_t pid;
    int r = posix_spawn(&pid, a[0], NULL, NULL, a, environ);

    if (r != 0) {
        errno = r;
        return -1;
    }
    return check_status(pid);
}

/* ---- ioctl, personality, sockets, foreign syscalls ---- */

/* A fresh pty, made the controlling terminal of a new session: TIOCSTI
 * without CAP_SYS_ADMIN works only there. */
static int
open_pty_slave(void)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    int slave;

    if (master < 0)
        return -1;
    if (grantpt(master) < 0 || unlockpt(master) < 0 || ptsname(master) == NULL)
        return -1;
    setsid(); /* fails only for a group leader, which then keeps its tty */
    slave = open(ptsname(master), O_RDWR | O_CLOEXEC);
    if (slave >= 0)
        ioctl(slave, TIOCSCTTY, 0);
    return slave;
}

/* TIOCSTI on it; "high" sets bit 32 of cmd, which the kernel drops. */
static int
do_tiocsti(char **a)
{
    char c = '\n';
    unsigned long cmd = TIOCSTI;
    int fd = open_pty_slave();

    if (fd < 0)
        return -1;
    if (a[0] != NULL && strcmp(a[0], "high") == 0)
        cmd |= 1UL << 32;
    return (int)syscall(SYS_ioctl, fd, cmd, &c);
}

static int
do_ioctl_ptmx(char **a)
{
    unsigned int n;
    int fd = open("/dev/ptmx", O_RDONLY | O_NOCTTY | O_CLOEXEC);

    if (fd < 0)
        return -1;
    return ioctl(fd, TIOCGPTN, &n);
}

static int
do_personality(char **a)
{
    return personality(strtoul(a[0], NULL, 0));
}

static int
do_socket(char **a)
{
    int fd = socket(atoi(a[0]), SOCK_DGRAM | SOCK_CLOEXEC, 0);

    if (fd >= 0)
        close(fd);
    return fd < 0 ? -1 : 0;
}

static int
do_x32(char **a)
{
    return (int)syscall(0x40000000 | SYS_getpid);
}

static int
do_i386(char **a)
{
#if defined(__x86_64__)
    long ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) /* i386 getpid */ : "memory");
    if (ret < 0 && ret > -4096) {
        errno = (int)-ret;
        return -1;
    }
    return 0;
#else
    errno = ENOSYS;
    return -1;
#endif
}

/* Dangerous syscalls with harmless arguments (nothing is loaded, mounted
 * or changed when they are let through): "NAME=OUTCOME" for each. Under
 * vmconsole-confine every one must be EPERM. */
typedef struct {
    const char *name;
    long nr;
    long args[6];
} ProbeSyscall;

static int
do_syscalls(char **a)
{
    const long none = (long)"/vmc-confine-none";
    const ProbeSyscall calls[] = {
        {"ptrace", SYS_ptrace, {PTRACE_PEEKDATA, 0, 0, 0}},
        {"process_vm_readv", SYS_process_vm_readv, {getpid(), 0, 0, 0, 0, 0}},
        {"process_vm_writev", SYS_process_vm_writev, {getpid(), 0, 0, 0, 0, 0}},
        {"pidfd_getfd", SYS_pidfd_getfd, {-1, 0, 0}},
        {"kexec_load", SYS_kexec_load, {0, 0, 0, -1 /* bad flags: EINVAL */}},
        {"kexec_file_load", SYS_kexec_file_load, {-1, -1, 0, 0, -1}},
        {"init_module", SYS_init_module, {0, 0, (long)""}},
        {"finit_module", SYS_finit_module, {-1, (long)"", 0}},
        {"delete_module", SYS_delete_module, {(long)"vmc_confine_none", O_NONBLOCK}},
        {"bpf", SYS_bpf, {-1, 0, 0}},
        {"perf_event_open", SYS_perf_event_open, {0, 0, -1, -1, 0}},
        {"userfaultfd", SYS_userfaultfd, {-1}},
        {"io_uring_setup", SYS_io_uring_setup, {0, 0}},
        {"io_uring_enter", SYS_io_uring_enter, {-1, 0, 0, 0, 0, 0}},
        {"io_uring_register", SYS_io_uring_register, {-1, 0, 0, 0}},
        {"add_key", SYS_add_key, {0, 0, 0, 0, 0}},
        {"keyctl", SYS_keyctl, {-1, 0, 0, 0, 0}},
        {"request_key", SYS_request_key, {0, 0, 0, 0}},
        {"mount", SYS_mount, {0, 0, 0, 0, 0}},
        {"umount2", SYS_umount2, {none, 0}},
        {"pivot_root", SYS_pivot_root, {none, none}},
        {"chroot", SYS_chroot, {none}},
        {"fsopen", SYS_fsopen, {0, 0}},
        {"fsconfig", SYS_fsconfig, {-1, 0, 0, 0, 0}},
        {"fsmount", SYS_fsmount, {-1, 0, 0}},
        {"fspick", SYS_fspick, {-1, 0, -1}},
        {"move_mount", SYS_move_mount, {-1, 0, -1, 0, -1}},
        {"open_tree", SYS_open_tree, {-1, 0, -1}},
        {"mount_setattr", SYS_mount_setattr, {-1, 0, -1, 0, 0}},
        {"unshare", SYS_unshare, {0}},
        {"setns", SYS_setns, {-1, 0}},
        {"open_by_handle_at", SYS_open_by_handle_at, {-1, 0, 0}},
        {"name_to_handle_at", SYS_name_to_handle_at, {AT_FDCWD, (long)"/", 0, 0, 0}},
        {"acct", SYS_acct, {none}},
        {"swapon", SYS_swapon, {none, 0}},
        {"swapoff", SYS_swapoff, {none}},
        {"reboot", SYS_reboot, {0, 0, 0, 0} /* bad magic: EINVAL */},
        {"quotactl", SYS_quotactl, {0, 0, 0, 0}},
        {"quotactl_fd", SYS_quotactl_fd, {-1, 0, 0, 0}},
        {"syslog", SYS_syslog, {10 /* SIZE_BUFFER */, 0, 0}},
#ifdef SYS_iopl
        {"iopl", SYS_iopl, {4}},
        {"ioperm", SYS_ioperm, {0, 0, 0}},
        {"modify_ldt", SYS_modify_ldt, {0, 0, 0}},
#endif
        {"lookup_dcookie", SYS_lookup_dcookie, {0, 0, 0}},
        {"uselib", SYS_uselib, {0}},
        {"move_pages", SYS_move_pages, {0, 0, 0, 0, 0, 0}},
        {"migrate_pages", SYS_migrate_pages, {0, 0, 0, 0}},
        {"mbind", SYS_mbind, {0, 0, 0, 0, 0, 0}},
        {"set_mempolicy", SYS_set_mempolicy, {0, 0, 0}},
        {"get_mempolicy", SYS_get_mempolicy, {0, 0, 0, 0, 0}},
    };

    for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
        const long *v = calls[i].args;
        errno = 0;
        long r = syscall(calls[i].nr, v[0], v[1], v[2], v[3], v[4], v[5]);
        printf("%s=%s\n", calls[i].name, r < 0 ? errno_name(errno) : "ok");
    }
    return VMC_PROBE_DONE;
}

/* ---- what is in force ---- */

static int
do_status(char **a)
{
    printf("no_new_privs=%d seccomp=%d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0),
           prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
    return VMC_PROBE_DONE;
}

static int
do_fds(char **a)
{
    const char *sep = "";

    for (int fd = 0; fd < VMC_PROBE_FD_SCAN; fd++)
        if (fcntl(fd, F_GETFD) >= 0) {
            printf("%s%d", sep, fd);
            sep = " ";
        }
    putchar('\n');
    return VMC_PROBE_DONE;
}

static int
do_landlock_abi(char **a)
{
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, 1UL /* _VERSION */);
    printf("%ld\n", abi < 0 ? 0 : abi);
    return VMC_PROBE_DONE;
}

static int
do_noop(char **a)
{
    return 0;
}

/* ---- a listener outside the sandbox: TCP on 127.0.0.1 and an abstract
 * Unix socket; its pid is the target of "kill" ---- */

static int
listen_tcp(int *ret_port)
{
    struct sockaddr_in addr = {.sin_family = AF_INET};
    socklen_t len = sizeof(addr);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 16) < 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) < 0)
        return -1;
    *ret_port = ntohs(addr.sin_port);
    return fd;
}

static int
listen_abstract(const char *name)
{
    struct sockaddr_un addr;
    socklen_t len = abstract_address(name, &addr);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, len) < 0 || listen(fd, 16) < 0)
        return -1;
    return fd;
}

/* serve PORTFILE NAME: the port appears in PORTFILE once both listen. */
static int
do_serve(char **a)
{
    char tmp[4096];
    int port = 0;
    struct pollfd fds[2] = {{.fd = listen_tcp(&port), .events = POLLIN},
                            {.fd = listen_abstract(a[1]), .events = POLLIN}};
    FILE *file;

    snprintf(tmp, sizeof(tmp), "%s.tmp", a[0]);
    if (fds[0].fd < 0 || fds[1].fd < 0 || (file = fopen(tmp, "w")) == NULL)
        return -1;
    fprintf(file, "%d\n", port);
    if (fclose(file) != 0 || rename(tmp, a[0]) < 0)
        return -1;
    for (;;) {
        if (poll(fds, 2, -1) < 0 && errno != EINTR)
            return -1;
        for (int i = 0; i < 2; i++)
            if (fds[i].revents & POLLIN) {
                int c = accept(fds[i].fd, NULL, NULL);
                if (c >= 0)
                    close(c);
            }
    }
}

static const struct {
    const char *name;
    int n_args; /* at least */
    int (*run)(char **args);
} vmc_probe_actions[] = {
    {"read", 1, do_read},
    {"list", 1, do_list},
    {"write", 1, do_write},
    {"mkdir", 1, do_mkdir},
    {"unlink", 1, do_unlink},
    {"rename", 2, do_rename},
    {"truncate", 1, do_truncate},
    {"exec", 1, do_exec},
    {"tcp-connect", 1, do_tcp_connect},
    {"tcp-bind", 0, do_tcp_bind},
    {"abstract-connect", 1, do_abstract_connect},
    {"kill", 1, do_kill},
    {"ptrace-child", 0, do_ptrace_child},
    {"unshare-user", 0, do_unshare_user},
    {"clone", 1, do_clone},
    {"clone3", 0, do_clone3},
    {"thread", 0, do_thread},
    {"spawn", 1, do_spawn},
    {"tiocsti", 0, do_tiocsti},
    {"ioctl-ptmx", 0, do_ioctl_ptmx},
    {"personality", 1, do_personality},
    {"socket", 1, do_socket},
    {"x32", 0, do_x32},
    {"i386", 0, do_i386},
    {"syscalls", 0, do_syscalls},
    {"status", 0, do_status},
    {"fds", 0, do_fds},
    {"landlock-abi", 0, do_landlock_abi},
    {"noop", 0, do_noop},
    {"serve", 2, do_serve},
};

int
main(int argc, char **argv)
{
    for (size_t i = 0; argc >= 2 && i < sizeof(vmc_probe_actions) / sizeof(vmc_probe_actions[0]);
         i++) {
        if (strcmp(argv[1], vmc_probe_actions[i].name) != 0)
            continue;
        if (argc - 2 < vmc_probe_actions[i].n_args)
            break;
        int r = vmc_probe_actions[i].run(argv + 2);
        if (r != VMC_PROBE_DONE)
            puts(r < 0 ? errno_name(errno) : "ok");
        return 0;
    }
    fprintf(stderr, "usage: confine-probe ACTION [ARG...] (see confine-probe.c)\n");
    return 2;
}
