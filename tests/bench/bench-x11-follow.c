/* bench-x11-follow.c — what following an X11 stream for the person's input
 * costs, side by side in one run: the same X11 traffic through a plain
 * relay stream and through an X11 stream (vmc_relay_add_x11_stream: each
 * read peeked and fed to x11/'s follower). Up: large PutImage-sized requests
 * (the viewer drawing); down: 32-byte MotionNotify events (the densest
 * packets the follower parses). Throughput and the relay thread's CPU
 * seconds per GiB, medians of interleaved runs; and the follower alone on
 * the same bytes in memory.
 *
 *   bench-x11-follow [--mib N] [--events-mib N] [--runs N]
 *
 * A benchmark, not a test: it prints figures, and exits 0 unless something
 * failed to run or the follower stopped or miscounted. */
#include "vmc-spice.h"
#include "vmc-x11.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define REQUEST_UNITS 65535 /* the longest request without BIG-REQUESTS */
#define REQUEST_SIZE (4 * REQUEST_UNITS)
#define EVENT_SIZE 32
#define EVENTS_PER_WRITE 2048
#define MAX_RUNS 16

static guint64 opt_mib = 512;
static guint64 opt_events_mib = 64;
static guint opt_runs = 3;

static G_GNUC_NORETURN G_GNUC_PRINTF(1, 2) void die(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
    exit(1);
}

static void
write_all(int fd, const guint8 *data, gsize length)
{
    while (length > 0) {
        ssize_t n = write(fd, data, length);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            die("write: %s", g_strerror(errno));
        data += n;
        length -= (gsize)n;
    }
}

/* Reads exactly length bytes (NULL data: discards them). */
static void
read_exact(int fd, guint8 *data, gsize length)
{
    guint8 sink[64 * 1024];
    while (length > 0) {
        ssize_t n =
            read(fd, data != NULL ? data : sink, data != NULL ? length : MIN(length, sizeof sink));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            die("read: %s", n == 0 ? "early end" : g_strerror(errno));
        if (data != NULL)
            data += n;
        length -= (gsize)n;
    }
}

static void
fill_address(struct sockaddr_un *address, const char *path)
{
    memset(address, 0, sizeof *address);
    address->sun_family = AF_UNIX;
    g_strlcpy(address->sun_path, path, sizeof address->sun_path);
}

static int
listen_at(const char *path, int flags)
{
    struct sockaddr_un address;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);
    fill_address(&address, path);
    if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof address) != 0 || listen(fd, 16) != 0)
        die("listen %s: %s", path, g_strerror(errno));
    return fd;
}

/* The X11 traffic both ways, in memory. */
static guint8 client_setup[12] = {'l', 0, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0};
static guint8 server_setup[8] = {1, 0, 11, 0, 0, 0, 0, 0};
static guint8 *request;
static guint8 *events;

static void
make_traffic(void)
{
    request = g_malloc(REQUEST_SIZE);
    memset(request, 0x5a, REQUEST_SIZE);
    request[0] = 72; /* PutImage */
    request[1] = 2;
    request[2] = REQUEST_UNITS & 0xff;
    request[3] = REQUEST_UNITS >> 8;
    events = g_malloc0(EVENTS_PER_WRITE * EVENT_SIZE);
    for (guint i = 0; i < EVENTS_PER_WRITE; i++)
        events[i * EVENT_SIZE] = 6; /* MotionNotify, sequence 0 */
}

static guint64
n_requests(void)
{
    return opt_mib * 1024 * 1024 / REQUEST_SIZE;
}

static guint64
n_event_writes(void)
{
    return opt_events_mib * 1024 * 1024 / (EVENTS_PER_WRITE * EVENT_SIZE);
}

typedef struct {
    int listen_fd;
    const char *path;
    gint64 up_us; /* first request byte sent to the last one read */
    gint64 down_us;
    gint done;
} Run;

/* The X server: setup reply, read every request, then send the events. */
static gpointer
server_thread(gpointer data)
{
    Run *run = data;
    guint8 setup[12];
    int fd = accept4(run->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        die("accept: %s", g_strerror(errno));
    read_exact(fd, setup, sizeof setup);
    write_all(fd, server_setup, sizeof server_setup);
    read_exact(fd, NULL, n_requests() * REQUEST_SIZE);
    for (guint64 i = 0; i < n_event_writes(); i++)
        write_all(fd, events, EVENTS_PER_WRITE * EVENT_SIZE);
    close(fd);
    return NULL;
}

/* The X client: setup, the requests, then read the events to the end. */
static gpointer
client_thread(gpointer data)
{
    Run *run = data;
    struct sockaddr_un address;
    guint8 reply[8];
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    fill_address(&address, run->path);
    if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) != 0)
        die("connect %s: %s", run->path, g_strerror(errno));
    write_all(fd, client_setup, sizeof client_setup);
    read_exact(fd, reply, sizeof reply);
    gint64 start = g_get_monotonic_time();
    for (guint64 i = 0; i < n_requests(); i++)
        write_all(fd, request, REQUEST_SIZE);
    /* the first event arrives once the server read every request */
    guint8 first[EVENT_SIZE];
    read_exact(fd, first, sizeof first);
    gint64 middle = g_get_monotonic_time();
    read_exact(fd, NULL, n_event_writes() * EVENTS_PER_WRITE * EVENT_SIZE - EVENT_SIZE);
    run->up_us = middle - start;
    run->down_us = g_get_monotonic_time() - middle;
    close(fd);
    g_atomic_int_set(&run->done, 1);
    g_main_context_wakeup(NULL); /* the relay's loop may be asleep by now */
    return NULL;
}

static double
thread_cpu_s(void)
{
    struct rusage usage;
    getrusage(RUSAGE_THREAD, &usage);
    return (double)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           (double)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / G_USEC_PER_SEC;
}

typedef struct {
    double up_mib_s;
    double down_mib_s;
    double cpu_s_per_gib;
} Sample;

/* One run through a stream of the relay; the relay runs in this thread. */
static Sample
measure(const char *path, int target_fd)
{
    Run run = {.listen_fd = target_fd, .path = path};
    GThread *server = g_thread_new("x-server", server_thread, &run);
    double cpu = thread_cpu_s();
    GThread *client = g_thread_new("x-client", client_thread, &run);
    while (!g_atomic_int_get(&run.done))
        g_main_context_iteration(NULL, TRUE);
    cpu = thread_cpu_s() - cpu;
    g_thread_join(client);
    g_thread_join(server);
    double up = (double)(n_requests() * REQUEST_SIZE), down = (double)opt_events_mib * 1024 * 1024;
    return (Sample){up / (1024 * 1024) / ((double)run.up_us / G_USEC_PER_SEC),
                    down / (1024 * 1024) / ((double)run.down_us / G_USEC_PER_SEC),
                    cpu / ((up + down) / (1024.0 * 1024 * 1024))};
}

/* The follower alone over the same bytes in memory: MiB/s. */
static double
follower_alone(void)
{
    g_autoptr(VmcX11Input) input = vmc_x11_input_new();
    guint64 counted = 0;
    gint64 start = g_get_monotonic_time();
    vmc_x11_input_feed(input, VMC_X11_FROM_CLIENT, client_setup, sizeof client_setup);
    vmc_x11_input_feed(input, VMC_X11_FROM_SERVER, server_setup, sizeof server_setup);
    for (guint64 i = 0; i < n_requests(); i++)
        vmc_x11_input_feed(input, VMC_X11_FROM_CLIENT, request, REQUEST_SIZE);
    for (guint64 i = 0; i < n_event_writes(); i++)
        counted +=
            vmc_x11_input_feed(input, VMC_X11_FROM_SERVER, events, EVENTS_PER_WRITE * EVENT_SIZE);
    gint64 elapsed = g_get_monotonic_time() - start;
    if (vmc_x11_input_stopped(input) != NULL || counted != n_event_writes() * EVENTS_PER_WRITE)
        die("the follower stopped or miscounted (%s)", vmc_x11_input_stopped(input));
    double bytes = (double)(n_requests() * REQUEST_SIZE) + (double)opt_events_mib * 1024 * 1024;
    return bytes / (1024 * 1024) / ((double)elapsed / G_USEC_PER_SEC);
}

static int
compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double
median(double *values, guint n)
{
    qsort(values, n, sizeof *values, compare_doubles);
    return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

static void
parse_args(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--mib") == 0)
            opt_mib = g_ascii_strtoull(argv[++i], NULL, 10);
        else if (i + 1 < argc && strcmp(argv[i], "--events-mib") == 0)
            opt_events_mib = g_ascii_strtoull(argv[++i], NULL, 10);
        else if (i + 1 < argc && strcmp(argv[i], "--runs") == 0)
            opt_runs = (guint)g_ascii_strtoull(argv[++i], NULL, 10);
        else
            die("usage: bench-x11-follow [--mib N] [--events-mib N] [--runs N]");
    }
    if (opt_mib == 0 || opt_events_mib == 0 || opt_runs == 0 || opt_runs > MAX_RUNS)
        die("--mib and --events-mib > 0, 1 <= --runs <= %d", MAX_RUNS);
}

int
main(int argc, char **argv)
{
    parse_args(argc, argv);
    make_traffic();
    g_autofree char *dir = g_dir_make_tmp("vmc-bench-x11-XXXXXX", NULL);
    g_autofree char *target_path = g_build_filename(dir, "target.sock", NULL);
    char *paths[2] = {g_build_filename(dir, "plain.sock", NULL),
                      g_build_filename(dir, "x11.sock", NULL)};
    const char *names[2] = {"plain stream", "X11 stream, followed"};
    int target_fd = listen_at(target_path, 0);
    int pinned = open(dir, O_PATH | O_CLOEXEC);
    gboolean allowed[VMC_SPICE_CHANNEL_MAX + 1] = {FALSE};
    VmcRelay *relay = vmc_relay_new(-1, pinned, allowed, 0, NULL, NULL);
    struct sockaddr_un target;
    fill_address(&target, target_path);
    g_autoptr(GError) error = NULL;
    if (!vmc_relay_add_stream(relay, "plain", listen_at(paths[0], SOCK_NONBLOCK),
                              (struct sockaddr *)&target, sizeof target, &error) ||
        !vmc_relay_add_x11_stream(relay, "x11", listen_at(paths[1], SOCK_NONBLOCK),
                                  (struct sockaddr *)&target, sizeof target, &error))
        die("%s", error->message);

    double up[2][MAX_RUNS], down[2][MAX_RUNS], cpu[2][MAX_RUNS], alone[MAX_RUNS];
    for (guint r = 0; r < opt_runs; r++) {
        for (guint k = 0; k < 2; k++) {
            Sample s = measure(paths[k], target_fd);
            up[k][r] = s.up_mib_s, down[k][r] = s.down_mib_s, cpu[k][r] = s.cpu_s_per_gib;
        }
        alone[r] = follower_alone();
    }
    g_autoptr(VmcRelayStats) stats = vmc_relay_get_stats(relay);
    guint64 expected = opt_runs * n_event_writes() * EVENTS_PER_WRITE;
    if (stats->streams[1].input_events != expected || stats->streams[1].unfollowed != 0)
        die("the X11 stream counted %" G_GUINT64_FORMAT " events of %" G_GUINT64_FORMAT
            " (%u unfollowed)",
            stats->streams[1].input_events, expected, stats->streams[1].unfollowed);
    printf("%" G_GUINT64_FORMAT " MiB of PutImage up, %" G_GUINT64_FORMAT
           " MiB of MotionNotify down, %u runs (medians)\n",
           n_requests() * REQUEST_SIZE / (1024 * 1024), opt_events_mib, opt_runs);
    printf("%-24s %12s %14s %16s\n", "path", "up MiB/s", "down MiB/s", "relay CPU s/GiB");
    for (guint k = 0; k < 2; k++)
        printf("%-24s %12.0f %14.0f %16.3f\n", names[k], median(up[k], opt_runs),
               median(down[k], opt_runs), median(cpu[k], opt_runs));
    printf("%-24s %12.0f MiB/s (both directions, in memory)\n", "follower alone",
           median(alone, opt_runs));
    vmc_relay_free(relay);
    close(pinned);
    for (guint k = 0; k < 2; k++) {
        g_unlink(paths[k]);
        g_free(paths[k]);
    }
    g_unlink(target_path);
    g_rmdir(dir);
    return 0;
}
