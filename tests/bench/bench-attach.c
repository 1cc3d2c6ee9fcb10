/* bench-attach.c — how an attach channel's bytes should reach the session's
 * relay, measured side by side in one run (issue 12):
 *
 *   handoff: the attach process hands its stdin and stdout (pipes, as sshd
 *            gives them) to the session (SCM_RIGHTS); the relay reads and
 *            writes the pipes itself (vmc_relay_add_client with two fds);
 *   pump:    the attach process keeps them and pumps both ways (poll and
 *            splice, 64 KiB) into a socketpair whose other end the relay
 *            serves.
 *
 * A fake VM sends N MiB down a display channel after the link message; the
 * bench plays sshd (writes the link message into the channel's stdin, reads
 * its stdout). Every party is a child process, so the relay side's CPU time
 * (session + attach process) is measured by wait4. Runs alternate; medians.
 *
 *   bench-attach [--mib N] [--runs N]
 *
 * A benchmark, not a test: it prints figures; exit 0 unless something failed. */
#include "vmc-spice.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHUNK (64 * 1024)

typedef enum { MODE_HANDOFF, MODE_PUMP, N_MODES } Mode;
static const char *const mode_names[N_MODES] = {"handoff (SCM_RIGHTS, relay reads the pipes)",
                                                "pump in the attach process"};

static const guint8 link_message[] = {
    'R', 'E', 'D', 'Q', 2, 0, 0, 0, 2,  0, 0, 0, 26,   0, 0, 0, 0,    0, 0, 0, 2, 0, /* display */
    1,   0,   0,   0,   1, 0, 0, 0, 18, 0, 0, 0, 0x0b, 0, 0, 0, 0x09, 0, 0, 0,
};

static void
die(const char *what)
{
    fprintf(stderr, "bench-attach: %s: %s\n", what, g_strerror(errno));
    exit(2);
}

static void
read_exact(int fd, guint8 *buf, gsize length)
{
    while (length > 0) {
        ssize_t n = read(fd, buf, length);
        if (n <= 0)
            die("short read");
        buf += n;
        length -= (gsize)n;
    }
}

/* The VM: the link message, then mib MiB, then close. */
static void
vm_child(int listen_fd, guint mib)
{
    int fd = accept(listen_fd, NULL, NULL);
    if (fd < 0)
        die("accept");
    guint8 link[sizeof link_message];
    read_exact(fd, link, sizeof link);
    static guint8 chunk[CHUNK];
    memset(chunk, 0x5a, sizeof chunk);
    for (guint64 left = (guint64)mib << 20; left > 0;) {
        ssize_t n = write(fd, chunk, MIN(left, sizeof chunk));
        if (n <= 0)
            die("vm write");
        left -= (guint64)n;
    }
    close(fd);
    _exit(0);
}

static void
on_closed(gpointer data)
{
    g_main_loop_quit(data);
}

/* The session: one relay, one client (in_fd/out_fd), until it closes. */
static void
session_child(int pinned_fd, int in_fd, int out_fd)
{
    gboolean allowed[VMC_SPICE_CHANNEL_MAX + 1] = {FALSE, TRUE, TRUE, TRUE, TRUE};
    GMainLoop *loop = g_main_loop_new(NULL, FALSE);
    VmcRelay *relay = vmc_relay_new(-1, pinned_fd, allowed, 0, NULL, NULL);
    if (!vmc_relay_add_client(relay, in_fd, out_fd, on_closed, loop, NULL))
        _exit(3);
    g_main_loop_run(loop);
    vmc_relay_free(relay);
    _exit(0);
}

/* One direction of the pump: splice what is there, FALSE at its end. */
static gboolean
pump_step(int from, int to)
{
    ssize_t n = splice(from, NULL, to, NULL, CHUNK, SPLICE_F_MOVE);
    if (n > 0)
        return TRUE;
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return TRUE;
    return FALSE;
}

/* The attach process relaying itself: channel stdin -> socket, socket ->
 * channel stdout, blocking splices driven by poll, until both ends. */
static void
pump_child(int in_fd, int out_fd, int sock)
{
    gboolean up = TRUE, down = TRUE;
    while (up || down) {
        struct pollfd p[2] = {{.fd = up ? in_fd : -1, .events = POLLIN},
                              {.fd = down ? sock : -1, .events = POLLIN}};
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            die("poll");
        if (up && (p[0].revents & (POLLIN | POLLHUP | POLLERR)) && !pump_step(in_fd, sock)) {
            up = FALSE;
            shutdown(sock, SHUT_WR);
        }
        if (down && (p[1].revents & (POLLIN | POLLHUP | POLLERR)) && !pump_step(sock, out_fd)) {
            down = FALSE;
            close(out_fd);
        }
    }
    _exit(0);
}

static double
cpu_seconds(const struct rusage *usage)
{
    return (double)usage->ru_utime.tv_sec + usage->ru_utime.tv_usec / 1e6 +
           (double)usage->ru_stime.tv_sec + usage->ru_stime.tv_usec / 1e6;
}

static double
reap(pid_t pid)
{
    int status = 0;
    struct rusage usage;
    if (pid <= 0)
        return 0;
    if (wait4(pid, &status, 0, &usage) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die("a child failed");
    return cpu_seconds(&usage);
}

typedef struct {
    double mib_s;
    double cpu_s_per_gib; /* session + attach process */
} Figures;

static int
listen_vm(const char *path)
{
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    g_strlcpy(address.sun_path, path, sizeof address.sun_path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof address) != 0 || listen(fd, 4) != 0)
        die("vm socket");
    return fd;
}

static Figures
measure(Mode mode, guint mib, const char *dir)
{
    g_autofree char *vm_path = g_build_filename(dir, "vm.sock", NULL);
    g_unlink(vm_path);
    int listen_fd = listen_vm(vm_path);
    int pinned = open(vm_path, O_PATH | O_CLOEXEC);
    int in_pipe[2], out_pipe[2], pair[2] = {-1, -1};
    if (pinned < 0 || pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0)
        die("setup");
    if (mode == MODE_PUMP && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
        die("socketpair");

    pid_t vm = fork();
    if (vm == 0)
        vm_child(listen_fd, mib);
    close(listen_fd);
    pid_t attach = 0;
    if (mode == MODE_PUMP) {
        attach = fork();
        if (attach == 0) {
            close(in_pipe[1]), close(out_pipe[0]), close(pair[0]);
            pump_child(in_pipe[0], out_pipe[1], pair[1]);
        }
    }
    pid_t session = fork();
    if (session == 0) {
        close(in_pipe[1]), close(out_pipe[0]);
        if (mode == MODE_PUMP) {
            close(in_pipe[0]), close(out_pipe[1]), close(pair[1]);
            session_child(pinned, pair[0], pair[0]);
        }
        session_child(pinned, in_pipe[0], out_pipe[1]);
    }
    close(pinned), close(in_pipe[0]), close(out_pipe[1]);
    if (pair[0] >= 0)
        close(pair[0]), close(pair[1]);

    gint64 start = g_get_monotonic_time();
    if (write(in_pipe[1], link_message, sizeof link_message) != sizeof link_message)
        die("link");
    static guint8 buf[CHUNK];
    guint64 got = 0;
    for (ssize_t n; (n = read(out_pipe[0], buf, sizeof buf)) != 0;) {
        if (n < 0)
            die("read");
        got += (guint64)n;
    }
    gint64 end = g_get_monotonic_time();
    close(in_pipe[1]);
    close(out_pipe[0]);
    double cpu = reap(session) + reap(attach);
    reap(vm);
    if (got != (guint64)mib << 20) {
        fprintf(stderr, "bench-attach: %" G_GUINT64_FORMAT " bytes instead of %u MiB\n", got, mib);
        exit(2);
    }
    Figures figures = {
        .mib_s = mib / ((end - start) / 1e6),
        .cpu_s_per_gib = cpu * 1024.0 / mib,
    };
    return figures;
}

static int
compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double
median(double *values, guint n)
{
    qsort(values, n, sizeof *values, compare_double);
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

int
main(int argc, char **argv)
{
    gint mib = 200, runs = 5;
    GOptionEntry entries[] = {
        {"mib", 0, 0, G_OPTION_ARG_INT, &mib, "MiB through each path per run (200)", "N"},
        {"runs", 0, 0, G_OPTION_ARG_INT, &runs, "runs of each path (5)", "N"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    g_autoptr(GOptionContext) context = g_option_context_new("");
    g_option_context_add_main_entries(context, entries, NULL);
    if (!g_option_context_parse(context, &argc, &argv, NULL) || mib < 1 || runs < 1 || runs > 50)
        return 2;
    signal(SIGPIPE, SIG_IGN);
    g_autofree char *dir = g_dir_make_tmp("bench-attach-XXXXXX", NULL);
    double rate[N_MODES][50], cpu[N_MODES][50];
    for (gint run = 0; run < runs; run++) {
        for (guint i = 0; i < N_MODES; i++) {
            Mode mode = (Mode)((run + i) % N_MODES); /* alternate which goes first */
            Figures f = measure(mode, (guint)mib, dir);
            rate[mode][run] = f.mib_s;
            cpu[mode][run] = f.cpu_s_per_gib;
            printf("run %d %-45s %8.0f MiB/s %6.3f CPU s/GiB\n", run + 1, mode_names[mode], f.mib_s,
                   f.cpu_s_per_gib);
        }
    }
    g_autofree char *vm_path = g_build_filename(dir, "vm.sock", NULL);
    g_unlink(vm_path);
    g_rmdir(dir);
    printf("\nmedians of %d runs, %d MiB each (VM -> viewer through one attach channel):\n", runs,
           mib);
    double m_rate[N_MODES], m_cpu[N_MODES];
    for (guint mode = 0; mode < N_MODES; mode++) {
        m_rate[mode] = median(rate[mode], (guint)runs);
        m_cpu[mode] = median(cpu[mode], (guint)runs);
        printf("  %-45s %8.0f MiB/s %6.3f CPU s/GiB (session + attach process)\n", mode_names[mode],
               m_rate[mode], m_cpu[mode]);
    }
    printf("  pump / handoff: throughput %.2fx, CPU %.2fx\n", m_rate[MODE_PUMP] / m_rate[0],
           m_cpu[MODE_PUMP] / m_cpu[0]);
    return 0;
}
