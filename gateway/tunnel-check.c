/* vmconsole-tunnel-check PORT — exit 0 when every TCP listener on PORT is
 * held by the sshd process the caller descends from (its SSH connection's
 * session process, "sshd: ACCOUNT@notty"), 1 when not, 2 on usage, 3 when
 * it cannot look. See tunnel-owner.h for why it needs CAP_SYS_PTRACE.
 *
 * Installed with that one file capability (setcap cap_sys_ptrace+ep). Plain
 * libc, no GLib, no environment read, no input but the port: it reads /proc
 * and duplicates the sshd's fds only to fstat them. Messages go to stderr
 * for the gateway's log; the person sees the gateway's own words.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tunnel-owner.h"

#define STATUS_MAX 16384

/* At most max bytes of a /proc file into a new buffer; NULL on error. */
static char *
read_proc(const char *path, size_t max, size_t *ret_length)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return NULL;
    char *buffer = malloc(max + 1);
    size_t length = 0;
    ssize_t n = 0;
    while (buffer != NULL && length < max && (n = read(fd, buffer + length, max - length)) > 0)
        length += (size_t)n;
    close(fd);
    if (buffer == NULL || n < 0 || length >= max) {
        free(buffer);
        return NULL;
    }
    buffer[length] = '\0';
    *ret_length = length;
    return buffer;
}

static long
proc_number(long pid, const char *file, const char *key)
{
    char path[64];
    size_t length = 0;
    snprintf(path, sizeof path, "/proc/%ld/%s", pid, file);
    char *text = read_proc(path, STATUS_MAX, &length);
    long value = -1;
    if (text != NULL)
        value = key != NULL ? vmc_tunnel_status_field(text, length, key)
                            : vmc_tunnel_stat_ppid(text, length);
    free(text);
    return value;
}

/* The caller's nearest ancestor that is an sshd of our real uid, or 0 when
 * there is none; -1 when an ancestor cannot be looked at (no capability). */
static long
find_sshd(void)
{
    long pid = getppid();
    for (int i = 0; i < VMC_TUNNEL_ANCESTORS_MAX && pid > 1; i++) {
        char path[64], exe[256];
        snprintf(path, sizeof path, "/proc/%ld/exe", pid);
        ssize_t n = readlink(path, exe, sizeof exe - 1);
        long uid = proc_number(pid, "status", "Uid");
        if (n < 0 && errno == EACCES && uid == (long)getuid())
            return -1; /* a non-dumpable process of ours: sshd, but we may not look */
        if (n > 0) {
            exe[n] = '\0';
            if (vmc_tunnel_is_sshd(exe) && uid == (long)getuid())
                return pid;
        }
        pid = proc_number(pid, "stat", NULL);
    }
    return 0;
}

/* The listeners on port as the sshd's network namespace has them. */
static int
port_listeners(long sshd, unsigned port, unsigned long *inodes, size_t *n)
{
    static const char *const files[] = {"net/tcp", "net/tcp6"};
    for (size_t i = 0; i < 2; i++) {
        char path[64];
        size_t length = 0;
        snprintf(path, sizeof path, "/proc/%ld/%s", sshd, files[i]);
        char *text = read_proc(path, VMC_TUNNEL_PROC_FILE_MAX, &length);
        if (text == NULL && i == 1)
            continue; /* no IPv6 */
        int r = text != NULL
                    ? vmc_tunnel_listeners(text, length, port, inodes, VMC_TUNNEL_LISTENERS_MAX, n)
                    : -1;
        free(text);
        if (r != 0)
            return -1;
    }
    return 0;
}

/* 1 when the sshd (pidfd) holds a socket with this inode, 0 when not, -1
 * when its fds cannot be taken. */
static int
holds_inode(int pidfd, long fd_size, unsigned long inode)
{
    for (long fd = 0; fd < fd_size && fd < VMC_TUNNEL_FDS_MAX; fd++) {
        int copy = (int)syscall(SYS_pidfd_getfd, pidfd, (int)fd, 0);
        if (copy < 0) {
            if (errno == EPERM || errno == EACCES)
                return -1;
            continue; /* EBADF: no such fd */
        }
        struct stat st;
        int found = fstat(copy, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_ino == inode;
        close(copy);
        if (found)
            return 1;
    }
    return 0;
}

static int
same_netns(long pid)
{
    char path[64];
    struct stat mine, theirs;
    snprintf(path, sizeof path, "/proc/%ld/ns/net", pid);
    return stat("/proc/self/ns/net", &mine) == 0 && stat(path, &theirs) == 0 &&
           mine.st_ino == theirs.st_ino && mine.st_dev == theirs.st_dev;
}

static int
check(unsigned port)
{
    long sshd = find_sshd();
    if (sshd < 0) {
        fprintf(stderr, "vmconsole-tunnel-check: cannot look at the sshd process: no "
                        "CAP_SYS_PTRACE (install it with setcap cap_sys_ptrace+ep)\n");
        return VMC_TUNNEL_CANNOT;
    }
    if (sshd == 0) {
        fprintf(stderr, "vmconsole-tunnel-check: no sshd of this user above the caller\n");
        return VMC_TUNNEL_NOT_OURS;
    }
    int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)sshd, 0);
    unsigned long inodes[VMC_TUNNEL_LISTENERS_MAX];
    size_t n = 0;
    long fd_size = proc_number(sshd, "status", "FDSize");
    int result = VMC_TUNNEL_NOT_OURS;
    if (pidfd < 0 || fd_size < 0 || !same_netns(sshd) ||
        port_listeners(sshd, port, inodes, &n) != 0) {
        fprintf(stderr, "vmconsole-tunnel-check: cannot read the sshd process %ld\n", sshd);
        result = pidfd < 0 ? VMC_TUNNEL_CANNOT : VMC_TUNNEL_NOT_OURS;
    } else if (n > 0) {
        result = VMC_TUNNEL_OURS;
        for (size_t i = 0; i < n && result == VMC_TUNNEL_OURS; i++) {
            int held = holds_inode(pidfd, fd_size, inodes[i]);
            result = held > 0   ? VMC_TUNNEL_OURS
                     : held < 0 ? VMC_TUNNEL_CANNOT
                                : VMC_TUNNEL_NOT_OURS;
        }
    }
    /* the sshd still the same process (a pid reused meanwhile would fail here) */
    if (pidfd >= 0 && syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) != 0)
        result = VMC_TUNNEL_NOT_OURS;
    if (pidfd >= 0)
        close(pidfd);
    if (result == VMC_TUNNEL_CANNOT)
        fprintf(stderr, "vmconsole-tunnel-check: cannot take the sshd process's fds: no "
                        "CAP_SYS_PTRACE (install it with setcap cap_sys_ptrace+ep)\n");
    return result;
}

int
main(int argc, char **argv)
{
    long port = argc == 2 ? vmc_tunnel_parse_port(argv[1]) : -1;
    if (port < 0) {
        fprintf(stderr, "usage: vmconsole-tunnel-check PORT (1 to 65535)\n");
        return VMC_TUNNEL_USAGE;
    }
    return check((unsigned)port);
}
