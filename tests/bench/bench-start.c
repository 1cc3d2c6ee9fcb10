/* bench-start.c — how long the gateway takes from exec to a running viewer.
 *
 * Side by side in one run, N rounds each:
 *   direct   posix_spawn of the stand-in viewer (bench-fake-viewer) on the VM
 *            socket: the floor any launcher pays;
 *   gateway  posix_spawn of vmconsole-gateway as sshd would run it (request in
 *            SSH_ORIGINAL_COMMAND, a DISPLAY with a cookie in XAUTHORITY): config,
 *            ACL decision, lock, start record (fsync), session dir, relay,
 *            xauth, then the stand-in viewer, whose link message reaches the
 *            VM socket through the relay.
 * The stand-in viewer stamps its start time into the link message, so both
 * "exec to viewer started" and "exec to first byte at the VM" are measured.
 * Prints medians and the gateway's overhead; target: exec to viewer started,
 * median <= 20 ms.
 *
 * Usage: bench-start GATEWAY FAKE_VIEWER [ROUNDS]
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <pwd.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS_DEFAULT 30
#define ACCEPT_TIMEOUT_MS 10000
#define TARGET_MS 20.0

typedef struct {
    char *dir;
    char *vm_socket;
    char *config;
    char *xauthority;
    int listen_fd;
} Bench;

static gint64
now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (gint64)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
listen_on(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    g_strlcpy(addr.sun_path, path, sizeof addr.sun_path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 16) != 0)
        g_error("cannot listen on %s: %s", path, g_strerror(errno));
    chmod(path, 0600);
    return fd;
}

static void
bench_setup(Bench *b, const char *fake_viewer)
{
    b->dir = g_dir_make_tmp("vmc-bench-start-XXXXXX", NULL);
    g_assert(b->dir != NULL);
    chmod(b->dir, 0755);
    b->vm_socket = g_build_filename(b->dir, "benchvm.sock", NULL);
    b->listen_fd = listen_on(b->vm_socket);
    g_autofree char *run = g_build_filename(b->dir, "run", NULL);
    g_mkdir(run, 0755);
    b->config = g_build_filename(b->dir, "gateway.conf", NULL);
    g_autofree char *text = g_strdup_printf("[gateway]\n"
                                            "socket-pattern = %s/%%s.sock\n"
                                            "viewer = %s\n"
                                            "log = %s/sessions.jsonl\n"
                                            "run-dir = %s\n",
                                            b->dir, fake_viewer, b->dir, run);
    g_assert(g_file_set_contents(b->config, text, -1, NULL));
    b->xauthority = g_build_filename(b->dir, "Xauthority", NULL);
    const char *argv[] = {"xauth", "-f", b->xauthority, "add", ":99", "MIT-MAGIC-COOKIE-1",
                          "00112233445566778899aabbccddeeff", NULL};
    int status = 0;
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                      &status, NULL) || !g_spawn_check_wait_status(status, NULL))
        g_error("xauth failed: is it installed?");
}

/* Read the 34-byte link message; FALSE when the peer closed first (the
 * gateway's own "is the VM running?" probe connects and closes at once). */
static gboolean
read_link(int fd, guint8 *link, gsize size)
{
    gsize got = 0;
    while (got < size) {
        ssize_t n = read(fd, link + got, size - got);
        if (n <= 0)
            return FALSE;
        got += (gsize)n;
    }
    return TRUE;
}

/* Accept connections on the VM socket until one brings a link message:
 * returns it with its arrival time and the viewer's start time (from
 * connection_id). */
static int
accept_link(Bench *b, gint64 *ret_arrival, gint64 *ret_viewer_start)
{
    guint8 link[34];
    for (;;) {
        struct pollfd pfd = {.fd = b->listen_fd, .events = POLLIN};
        if (poll(&pfd, 1, ACCEPT_TIMEOUT_MS) != 1)
            g_error("no link message reached the VM socket in %d ms", ACCEPT_TIMEOUT_MS);
        int fd = accept4(b->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            g_error("accept: %s", g_strerror(errno));
        if (!read_link(fd, link, sizeof link)) {
            close(fd);
            continue;
        }
        gint64 arrival = now_us();
        guint32 stamp = (guint32)link[16] | (guint32)link[17] << 8 | (guint32)link[18] << 16 |
                        (guint32)link[19] << 24;
        guint32 delta = (guint32)arrival - stamp; /* modulo 2^32 */
        *ret_arrival = arrival;
        *ret_viewer_start = arrival - delta;
        return fd;
    }
}

static pid_t
spawn(char **argv, char **envp, int stdout_fd)
{
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (stdout_fd >= 0)
        posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
    if (getenv("BENCH_VERBOSE") == NULL)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    if (posix_spawn(&pid, argv[0], &actions, NULL, argv, envp) != 0)
        g_error("cannot start %s", argv[0]);
    posix_spawn_file_actions_destroy(&actions);
    return pid;
}

/* One round: spawn, wait for the link message, close, reap. */
static void
round_once(Bench *b, char **argv, char **envp, int stdout_fd, double *ret_start_ms,
           double *ret_vm_ms)
{
    gint64 t0 = now_us(), arrival, viewer_start;
    pid_t pid = spawn(argv, envp, stdout_fd);
    int fd = accept_link(b, &arrival, &viewer_start);
    *ret_start_ms = (viewer_start - t0) / 1000.0;
    *ret_vm_ms = (arrival - t0) / 1000.0;
    close(fd); /* the VM side closes: the session ends */
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        g_error("%s ended badly (status 0x%x)", argv[0], status);
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double
median(double *v, guint n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int
main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench-start GATEWAY FAKE_VIEWER [ROUNDS]\n");
        return 2;
    }
    guint rounds = argc > 3 ? (guint)atoi(argv[3]) : ROUNDS_DEFAULT;
    Bench b = {0};
    bench_setup(&b, argv[2]);
    struct passwd *me = getpwuid(getuid());
    g_autofree char *uri = g_strconcat("spice+unix://", b.vm_socket, NULL);
    char *direct_argv[] = {argv[2], uri, NULL};
    char *gateway_argv[] = {argv[1], "--config", b.config, "--identity", me->pw_name, NULL};
    g_autofree char *home = g_strconcat("HOME=", b.dir, NULL);
    g_autofree char *xauth = g_strconcat("XAUTHORITY=", b.xauthority, NULL);
    char *envp[] = {"PATH=/usr/local/bin:/usr/bin:/bin", home, xauth, "DISPLAY=:99",
                    "SSH_ORIGINAL_COMMAND=benchvm",
                    "SSH_CONNECTION=127.0.0.1 40000 127.0.0.1 22", NULL};
    int out[2];
    /* the gateway's stdout: "the SSH connection" (sshd gives a socketpair) */
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, out) != 0)
        g_error("socketpair: %s", g_strerror(errno));

    double *direct_start = g_new(double, rounds), *direct_vm = g_new(double, rounds);
    double *gw_start = g_new(double, rounds), *gw_vm = g_new(double, rounds);
    /* one warm-up each, then interleaved so that noise hits both alike */
    double ignore1, ignore2;
    round_once(&b, direct_argv, envp, -1, &ignore1, &ignore2);
    round_once(&b, gateway_argv, envp, out[1], &ignore1, &ignore2);
    for (guint i = 0; i < rounds; i++) {
        round_once(&b, direct_argv, envp, -1, &direct_start[i], &direct_vm[i]);
        round_once(&b, gateway_argv, envp, out[1], &gw_start[i], &gw_vm[i]);
    }
    double ds = median(direct_start, rounds), dv = median(direct_vm, rounds);
    double gs = median(gw_start, rounds), gv = median(gw_vm, rounds);
    printf("gateway start overhead, %u rounds each (medians)\n", rounds);
    printf("  %-34s %10s %14s\n", "", "viewer runs", "first byte at VM");
    printf("  %-34s %8.2f ms %11.2f ms\n", "direct (spawn the viewer)", ds, dv);
    printf("  %-34s %8.2f ms %11.2f ms\n", "through vmconsole-gateway", gs, gv);
    printf("  gateway overhead: %.2f ms to the viewer, %.2f ms to the VM\n", gs - ds, gv - dv);
    printf("  target: exec to viewer started, median <= %.0f ms: %s\n", TARGET_MS,
           gs <= TARGET_MS ? "met" : "MISSED");

    g_autofree char *log = g_build_filename(b.dir, "sessions.jsonl", NULL);
    g_autofree char *run = g_build_filename(b.dir, "run", NULL);
    g_autofree char *lock = g_build_filename(run, "benchvm.lock", NULL);
    g_unlink(log);
    g_unlink(lock);
    g_rmdir(run);
    g_unlink(b.vm_socket);
    g_unlink(b.config);
    g_unlink(b.xauthority);
    g_rmdir(b.dir);
    return 0;
}
