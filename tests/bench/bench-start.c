/* bench-start.c — how long the gateway takes from exec to a running viewer.
 *
 * Side by side in one run, N rounds each, interleaved:
 *   direct   posix_spawn of the stand-in viewer (bench-fake-viewer) on the VM
 *            socket: the floor any launcher pays;
 *   gateway  posix_spawn of vmconsole-gateway as sshd would run it (request in
 *            SSH_ORIGINAL_COMMAND, a DISPLAY with a cookie in XAUTHORITY): config,
 *            ACL decision, lock, start record (fsync), session dir, relay,
 *            xauth, then the stand-in viewer, whose link message reaches the
 *            VM socket through the relay — once with sandbox = off and once
 *            with the sandbox (bubblewrap + vmconsole-confine around the
 *            stand-in viewer).
 * The stand-in viewer stamps its start time into the link message, so both
 * "exec to viewer started" and "exec to first byte at the VM" are measured.
 * Prints medians and the gateway's overhead; target: exec to viewer started,
 * median <= 20 ms (without the sandbox; the sandbox's own cost is shown).
 *
 * Usage: bench-start GATEWAY CONFINE FAKE_VIEWER [ROUNDS]
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
    char *config;     /* sandbox on (the default) */
    char *config_off; /* sandbox = off */
    char *xauthority;
    char *gateway; /* the copy in dir, with vmconsole-confine beside it */
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
copy_program(const char *from, const char *to)
{
    g_autofree char *data = NULL;
    gsize length = 0;
    if (!g_file_get_contents(from, &data, &length, NULL) ||
        !g_file_set_contents(to, data, (gssize)length, NULL) || chmod(to, 0755) != 0)
        g_error("cannot copy %s to %s", from, to);
}

static char *
write_config(Bench *b, const char *name, const char *fake_viewer, const char *extra)
{
    g_autofree char *run = g_build_filename(b->dir, "run", NULL);
    char *path = g_build_filename(b->dir, name, NULL);
    g_autofree char *text = g_strdup_printf("[gateway]\n"
                                            "socket-pattern = %s/%%s.sock\n"
                                            "viewer = %s\n"
                                            "log = %s/sessions.jsonl\n"
                                            "run-dir = %s\n%s",
                                            b->dir, fake_viewer, b->dir, run, extra);
    g_assert(g_file_set_contents(path, text, -1, NULL));
    return path;
}

static void
bench_setup(Bench *b, const char *gateway, const char *confine, const char *fake_viewer)
{
    b->dir = g_dir_make_tmp("vmc-bench-start-XXXXXX", NULL);
    g_assert(b->dir != NULL);
    chmod(b->dir, 0755);
    b->vm_socket = g_build_filename(b->dir, "benchvm.sock", NULL);
    b->listen_fd = listen_on(b->vm_socket);
    g_autofree char *run = g_build_filename(b->dir, "run", NULL);
    g_mkdir(run, 0755);
    b->config = write_config(b, "gateway.conf", fake_viewer, "");
    b->config_off = write_config(b, "gateway-off.conf", fake_viewer, "sandbox = off\n");
    b->gateway = g_build_filename(b->dir, "vmconsole-gateway", NULL);
    g_autofree char *confine_copy = g_build_filename(b->dir, "vmconsole-confine", NULL);
    copy_program(gateway, b->gateway);
    copy_program(confine, confine_copy);
    b->xauthority = g_build_filename(b->dir, "Xauthority", NULL);
    const char *argv[] = {"xauth",
                          "-f",
                          b->xauthority,
                          "add",
                          ":99",
                          "MIT-MAGIC-COOKIE-1",
                          "00112233445566778899aabbccddeeff",
                          NULL};
    int status = 0;
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                      &status, NULL) ||
        !g_spawn_check_wait_status(status, NULL))
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

static void
report_row(const char *what, double start_ms, double vm_ms)
{
    printf("  %-40s %8.2f ms %11.2f ms\n", what, start_ms, vm_ms);
}

static void
bench_cleanup(Bench *b)
{
    static const char *const names[] = {"sessions.jsonl", "run/benchvm.lock",  "run",
                                        "benchvm.sock",   "gateway.conf",      "gateway-off.conf",
                                        "Xauthority",     "vmconsole-gateway", "vmconsole-confine"};
    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *path = g_build_filename(b->dir, names[i], NULL);
        if (g_remove(path) != 0 && errno != ENOENT)
            g_printerr("bench-start: cannot remove %s: %s\n", path, g_strerror(errno));
    }
    g_rmdir(b->dir);
}

/* The identity the gateway decides for: the running user, but not root,
 * which the gateway refuses (uid 0 would open every VM): under root, nobody,
 * whom the bench's VM socket then lets in (0666). */
static const char *
bench_identity(const Bench *b)
{
    if (getuid() != 0)
        return getpwuid(getuid())->pw_name;
    if (chmod(b->vm_socket, 0666) != 0)
        g_error("cannot chmod %s: %s", b->vm_socket, g_strerror(errno));
    return "nobody";
}

int
main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench-start GATEWAY CONFINE FAKE_VIEWER [ROUNDS]\n");
        return 2;
    }
    guint rounds = argc > 4 ? (guint)atoi(argv[4]) : ROUNDS_DEFAULT;
    Bench b = {0};
    bench_setup(&b, argv[1], argv[2], argv[3]);
    char *identity = (char *)bench_identity(&b);
    g_autofree char *uri = g_strconcat("spice+unix://", b.vm_socket, NULL);
    char *direct_argv[] = {argv[3], uri, NULL};
    char *off_argv[] = {b.gateway, "--config", b.config_off, "--identity", identity, NULL};
    char *on_argv[] = {b.gateway, "--config", b.config, "--identity", identity, NULL};
    g_autofree char *home = g_strconcat("HOME=", b.dir, NULL);
    g_autofree char *xauth = g_strconcat("XAUTHORITY=", b.xauthority, NULL);
    char *envp[] = {"PATH=/usr/local/bin:/usr/bin:/bin",
                    home,
                    xauth,
                    "DISPLAY=:99",
                    "SSH_ORIGINAL_COMMAND=benchvm",
                    "SSH_CONNECTION=127.0.0.1 40000 127.0.0.1 22",
                    NULL};
    int out[2];
    /* the gateway's stdout: "the SSH connection" (sshd gives a socketpair) */
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, out) != 0)
        g_error("socketpair: %s", g_strerror(errno));

    double *d_start = g_new(double, rounds), *d_vm = g_new(double, rounds);
    double *off_start = g_new(double, rounds), *off_vm = g_new(double, rounds);
    double *on_start = g_new(double, rounds), *on_vm = g_new(double, rounds);
    /* one warm-up each, then interleaved so that noise hits all alike */
    double ignore1, ignore2;
    round_once(&b, direct_argv, envp, -1, &ignore1, &ignore2);
    round_once(&b, off_argv, envp, out[1], &ignore1, &ignore2);
    round_once(&b, on_argv, envp, out[1], &ignore1, &ignore2);
    for (guint i = 0; i < rounds; i++) {
        round_once(&b, direct_argv, envp, -1, &d_start[i], &d_vm[i]);
        round_once(&b, off_argv, envp, out[1], &off_start[i], &off_vm[i]);
        round_once(&b, on_argv, envp, out[1], &on_start[i], &on_vm[i]);
    }
    double ds = median(d_start, rounds), dv = median(d_vm, rounds);
    double fs = median(off_start, rounds), fv = median(off_vm, rounds);
    double ns = median(on_start, rounds), nv = median(on_vm, rounds);
    printf("gateway start overhead, %u rounds each (medians)\n", rounds);
    printf("  %-40s %10s %14s\n", "", "viewer runs", "first byte at VM");
    report_row("direct (spawn the viewer)", ds, dv);
    report_row("through vmconsole-gateway, sandbox = off", fs, fv);
    report_row("through vmconsole-gateway, sandboxed", ns, nv);
    printf("  gateway overhead without the sandbox: %.2f ms to the viewer, %.2f ms to the VM\n",
           fs - ds, fv - dv);
    printf("  the sandbox adds: %.2f ms to the viewer (%.1fx the unsandboxed start), "
           "%.2f ms to the VM\n",
           ns - fs, fs > 0 ? ns / fs : 0.0, nv - fv);
    printf("  target: exec to viewer started without the sandbox, median <= %.0f ms: %s\n",
           TARGET_MS, fs <= TARGET_MS ? "met" : "MISSED");
    bench_cleanup(&b);
    return 0;
}
