/* The relay on real Unix sockets in a temp dir: a "VM" listener pinned by
 * an O_PATH fd, clients and the VM side driven from threads with blocking
 * I/O while the test's main loop runs the relay. Plus the rate series (pure)
 * with synthetic times. */
#include "relay-priv.h"
#include "vmc-assert.h"

#include <spice/enums.h>
#include <spice/protocol.h>
#include <spice/vd_agent.h>

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define WAIT_MAX_S 30
#define IO_TIMEOUT_S 20

typedef struct {
    char *dir;
    char *vm_path;
    char *relay_path;
    int vm_listen_fd;
    int pinned_fd;
    VmcRelay *relay;
    guint vm_closed;
    guint rejected;
    char *last_detail;
} Fixture;

/* ---- sockets ---- */

static void
fill_address(struct sockaddr_un *address, const char *path)
{
    memset(address, 0, sizeof *address);
    address->sun_family = AF_UNIX;
    g_assert_cmpuint(strlen(path), <, sizeof address->sun_path);
    strcpy(address->sun_path, path);
}

static int
listen_at(const char *path, int flags)
{
    struct sockaddr_un address;
    fill_address(&address, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&address, sizeof address), ==, 0);
    g_assert_cmpint(listen(fd, 128), ==, 0);
    return fd;
}

static void
set_io_timeout(int fd)
{
    struct timeval tv = {.tv_sec = IO_TIMEOUT_S};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static int
connect_to(const char *path)
{
    struct sockaddr_un address;
    fill_address(&address, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(connect(fd, (struct sockaddr *)&address, sizeof address), ==, 0);
    set_io_timeout(fd);
    return fd;
}

static int
accept_vm(Fixture *f)
{
    int fd = accept4(f->vm_listen_fd, NULL, NULL, SOCK_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);
    set_io_timeout(fd);
    return fd;
}

static void
write_all(int fd, const guint8 *data, gsize length)
{
    while (length > 0) {
        ssize_t n = send(fd, data, length, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        g_assert_cmpint(n, >, 0);
        data += n;
        length -= (gsize)n;
    }
}

static void
read_exact(int fd, guint8 *data, gsize length)
{
    while (length > 0) {
        ssize_t n = read(fd, data, length);
        if (n < 0 && errno == EINTR)
            continue;
        g_assert_cmpint(n, >, 0);
        data += n;
        length -= (gsize)n;
    }
}

/* Reads until EOF (or a reset); returns how many bytes came. */
static gsize
read_to_end(int fd)
{
    guint8 buf[4096];
    gsize total = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            g_assert_cmpint(errno, ==, ECONNRESET);
        if (n <= 0)
            return total;
        total += (gsize)n;
    }
}

static gsize
make_link(guint8 *buf, guint8 type)
{
    static const guint8 link[] = {
        'R',  'E', 'D', 'Q', 2,    0, 0, 0, 2,  0, 0, 0, 26, 0, 0, 0, /* header, size 26 */
        0,    0,   0,   0,   0,    0,                                 /* connection, type, id */
        1,    0,   0,   0,   1,    0, 0, 0, 18, 0, 0, 0,              /* 1 + 1 caps at 18 */
        0x0b, 0,   0,   0,   0x09, 0, 0, 0,                           /* the caps */
    };
    memcpy(buf, link, sizeof link);
    buf[20] = type;
    return sizeof link;
}

static void
fill_pattern(guint8 *data, gsize length, guint seed)
{
    for (gsize i = 0; i < length; i++)
        data[i] = (guint8)((i * 7 + seed + i / 251) & 0xff);
}

/* ---- the fixture ---- */

static void
on_event(VmcRelay *relay, VmcRelayEvent event, const char *detail, gpointer user_data)
{
    Fixture *f = user_data;
    g_assert_nonnull(detail);
    if (event == VMC_RELAY_EVENT_VM_CLOSED)
        f->vm_closed++;
    else
        f->rejected++;
    g_free(f->last_detail);
    f->last_detail = g_strdup(detail);
}

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    gboolean allowed[VMC_SPICE_CHANNEL_MAX + 1] = {FALSE};
    for (guint t = VMC_SPICE_CHANNEL_MAIN; t <= VMC_SPICE_CHANNEL_RECORD; t++)
        allowed[t] = TRUE;

    f->dir = g_dir_make_tmp("vmc-relay-XXXXXX", &error);
    g_assert_no_error(error);
    f->vm_path = g_build_filename(f->dir, "vm.sock", NULL);
    f->relay_path = g_build_filename(f->dir, "relay.sock", NULL);
    f->vm_listen_fd = listen_at(f->vm_path, 0);
    f->pinned_fd = open(f->vm_path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    g_assert_cmpint(f->pinned_fd, >=, 0);
    f->relay = vmc_relay_new(listen_at(f->relay_path, SOCK_NONBLOCK), f->pinned_fd, allowed, 0,
                             on_event, f);
    g_assert_nonnull(f->relay);
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
    g_clear_pointer(&f->relay, vmc_relay_free);
    close(f->pinned_fd);
    close(f->vm_listen_fd);
    g_unlink(f->vm_path);
    g_unlink(f->relay_path);
    g_rmdir(f->dir);
    g_free(f->vm_path);
    g_free(f->relay_path);
    g_free(f->dir);
    g_free(f->last_detail);
}

/* ---- running the loop while threads do the blocking side ---- */

typedef gboolean (*Condition)(Fixture *f, gpointer data);

static gboolean
on_tick(gpointer data)
{
    return G_SOURCE_CONTINUE;
}

static void
run_until(Fixture *f, Condition condition, gpointer data)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_MAX_S * G_USEC_PER_SEC;
    guint tick = g_timeout_add(10, on_tick, NULL);
    while (!condition(f, data)) {
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_main_context_iteration(NULL, TRUE);
    }
    g_source_remove(tick);
}

static gboolean
is_done(Fixture *f, gpointer data)
{
    return g_atomic_int_get((gint *)data) != 0;
}

static gboolean
no_connections(Fixture *f, gpointer data)
{
    return vmc_relay_get_n_connections(f->relay) == 0;
}

static gboolean
has_connections(Fixture *f, gpointer data)
{
    return vmc_relay_get_n_connections(f->relay) == GPOINTER_TO_UINT(data);
}

static gboolean
rejected_reaches(Fixture *f, gpointer data)
{
    return f->rejected >= GPOINTER_TO_UINT(data);
}

static gboolean
vm_closed_seen(Fixture *f, gpointer data)
{
    return f->vm_closed > 0;
}

static gboolean
fd_readable(Fixture *f, gpointer data)
{
    struct pollfd p = {.fd = GPOINTER_TO_INT(data), .events = POLLIN | POLLRDHUP};
    return poll(&p, 1, 0) == 1;
}

/* Blocking calls in the test's own thread must wait for the relay's loop. */
static int
accept_vm_iterating(Fixture *f)
{
    run_until(f, fd_readable, GINT_TO_POINTER(f->vm_listen_fd));
    return accept_vm(f);
}

static gboolean
fd_hung_up(Fixture *f, gpointer data)
{
    struct pollfd p = {.fd = GPOINTER_TO_INT(data), .events = POLLRDHUP};
    return poll(&p, 1, 0) == 1;
}

static void
run_for_ms(Fixture *f, guint ms)
{
    gint64 end = g_get_monotonic_time() + ms * 1000;
    guint tick = g_timeout_add(10, on_tick, NULL);
    while (g_get_monotonic_time() < end)
        g_main_context_iteration(NULL, TRUE);
    g_source_remove(tick);
}

typedef struct {
    Fixture *f;
    guint8 type;
    gsize up_bytes;
    gsize down_bytes;
    guint delay_ms; /* the VM side waits this long before reading */
    gint done;
} Exchange;

/* The client: link + up_bytes, read down_bytes, shut down, read EOF. */
static gpointer
client_thread(gpointer data)
{
    Exchange *x = data;
    gsize link_length;
    g_autofree guint8 *out = g_malloc(x->up_bytes + 64);
    g_autofree guint8 *in = g_malloc(x->down_bytes + 1);
    g_autofree guint8 *expect = g_malloc(x->down_bytes + 1);

    link_length = make_link(out, x->type);
    fill_pattern(out + link_length, x->up_bytes, 1);
    fill_pattern(expect, x->down_bytes, 2);
    int fd = connect_to(x->f->relay_path);
    write_all(fd, out, link_length + x->up_bytes);
    read_exact(fd, in, x->down_bytes);
    g_assert_true(memcmp(in, expect, x->down_bytes) == 0);
    shutdown(fd, SHUT_WR);
    g_assert_cmpuint(read_to_end(fd), ==, 0);
    close(fd);
    return NULL;
}

/* The VM side: exactly what the client sent, byte for byte, link included. */
static gpointer
vm_thread(gpointer data)
{
    Exchange *x = data;
    g_autofree guint8 *expect = g_malloc(x->up_bytes + 64);
    gsize link_length = make_link(expect, x->type);
    gsize length = link_length + x->up_bytes;
    g_autofree guint8 *in = g_malloc(length);
    g_autofree guint8 *out = g_malloc(x->down_bytes + 1);

    fill_pattern(expect + link_length, x->up_bytes, 1);
    fill_pattern(out, x->down_bytes, 2);
    int fd = accept_vm(x->f);
    if (x->delay_ms > 0)
        g_usleep(x->delay_ms * 1000);
    read_exact(fd, in, length);
    g_assert_true(memcmp(in, expect, length) == 0);
    write_all(fd, out, x->down_bytes);
    g_assert_cmpuint(read_to_end(fd), ==, 0); /* the client's half-close came through */
    close(fd);
    return NULL;
}

static gpointer
exchange_thread(gpointer data)
{
    Exchange *x = data;
    GThread *vm = g_thread_new("vm", vm_thread, x);
    GThread *client = g_thread_new("client", client_thread, x);
    g_thread_join(client);
    g_thread_join(vm);
    g_atomic_int_set(&x->done, 1);
    g_main_context_wakeup(NULL);
    return NULL;
}

static void
run_exchange(Fixture *f, Exchange *x)
{
    x->f = f;
    GThread *thread = g_thread_new("exchange", exchange_thread, x);
    run_until(f, is_done, &x->done);
    g_thread_join(thread);
    run_until(f, no_connections, NULL);
}

/* ---- tests ---- */

static void
test_forward(Fixture *f, gconstpointer data)
{
    Exchange main_x = {.type = VMC_SPICE_CHANNEL_MAIN, .up_bytes = 100000, .down_bytes = 200000};
    Exchange display_x = {.type = VMC_SPICE_CHANNEL_DISPLAY, .up_bytes = 5, .down_bytes = 3000000};
    Exchange empty_x = {.type = VMC_SPICE_CHANNEL_PLAYBACK};
    guint8 link[64];
    gsize link_length = make_link(link, VMC_SPICE_CHANNEL_MAIN);

    run_exchange(f, &main_x);
    run_exchange(f, &display_x);
    run_exchange(f, &empty_x);

    g_autoptr(VmcRelayStats) stats = vmc_relay_get_stats(f->relay);
    const VmcRelayChannelStats *ch = stats->channels;
    g_assert_cmpuint(ch[VMC_SPICE_CHANNEL_MAIN].bytes_to_vm, ==, link_length + 100000);
    g_assert_cmpuint(ch[VMC_SPICE_CHANNEL_MAIN].bytes_from_vm, ==, 200000);
    g_assert_cmpuint(ch[VMC_SPICE_CHANNEL_MAIN].connections, ==, 1);
    g_assert_cmpuint(ch[VMC_SPICE_CHANNEL_DISPLAY].bytes_to_vm, ==, link_length + 5);
    g_assert_cmpuint(ch[VMC_SPICE_CHANNEL_DISPLAY].bytes_from_vm, ==, 3000000);
    g_assert_cmpuint(ch[VMC_SPICE_CHANNEL_DISPLAY].connections, ==, 1);
    g_assert_cmpuint(ch[VMC_SPICE_CHANNEL_PLAYBACK].bytes_to_vm, ==, link_length);
    g_assert_cmpuint(ch[VMC_SPICE_CHANNEL_PLAYBACK].bytes_from_vm, ==, 0);
    g_assert_cmpuint(ch[VMC_SPICE_CHANNEL_PLAYBACK].connections, ==, 1);
    g_assert_cmpuint(ch[VMC_SPICE_CHANNEL_INPUTS].connections, ==, 0);
    g_assert_cmpuint(stats->bytes_total, ==, 3 * link_length + 100000 + 200000 + 5 + 3000000);
    g_assert_cmpuint(stats->rejected, ==, 0);
    /* the clients ended first: that is no VM going away */
    g_assert_cmpuint(f->vm_closed, ==, 0);
    g_assert_cmpuint(vmc_relay_get_buffered_peak(f->relay), <=, 2 * VMC_RELAY_BUFFER_SIZE);
}

/* The last byte to the VM per channel type: 0 until a client sent one on
 * that type; other channels' traffic does not move it. */
static void
test_last_to_vm(Fixture *f, gconstpointer data)
{
    Exchange display_x = {.type = VMC_SPICE_CHANNEL_DISPLAY, .up_bytes = 5, .down_bytes = 3000};
    Exchange inputs_x = {.type = VMC_SPICE_CHANNEL_INPUTS, .up_bytes = 10, .down_bytes = 10};

    g_assert_cmpint(vmc_relay_get_last_to_vm(f->relay, VMC_SPICE_CHANNEL_INPUTS), ==, 0);
    gint64 before_display = g_get_monotonic_time();
    run_exchange(f, &display_x);
    g_assert_cmpint(vmc_relay_get_last_to_vm(f->relay, VMC_SPICE_CHANNEL_INPUTS), ==, 0);
    g_assert_cmpint(vmc_relay_get_last_to_vm(f->relay, VMC_SPICE_CHANNEL_DISPLAY), >=,
                    before_display);
    gint64 before_inputs = g_get_monotonic_time();
    run_exchange(f, &inputs_x);
    gint64 inputs = vmc_relay_get_last_to_vm(f->relay, VMC_SPICE_CHANNEL_INPUTS);
    g_assert_cmpint(inputs, >=, before_inputs);
    g_assert_cmpint(inputs, <=, g_get_monotonic_time());
    g_assert_cmpint(vmc_relay_get_last_to_vm(f->relay, VMC_SPICE_CHANNEL_DISPLAY), <,
                    before_inputs);
    g_assert_cmpint(vmc_relay_get_last_to_vm(f->relay, VMC_SPICE_CHANNEL_MAX + 1), ==, 0);
}

/* Connect, send `bytes`, expect the relay to hang up without a word. */
static void
expect_refused_full(Fixture *f, const guint8 *bytes, gsize length, gboolean hang_up,
                    guint rejected_before)
{
    int fd = connect_to(f->relay_path);
    if (length > 0)
        write_all(fd, bytes, length);
    if (hang_up)
        shutdown(fd, SHUT_WR);
    run_until(f, rejected_reaches, GUINT_TO_POINTER(rejected_before + 1));
    g_assert_cmpuint(read_to_end(fd), ==, 0);
    close(fd);
    run_until(f, no_connections, NULL);
}

static void
expect_refused(Fixture *f, const guint8 *bytes, gsize length, guint rejected_before)
{
    expect_refused_full(f, bytes, length, FALSE, rejected_before);
}

static void
assert_vm_saw_nothing(Fixture *f)
{
    struct pollfd p = {.fd = f->vm_listen_fd, .events = POLLIN};
    g_assert_cmpint(poll(&p, 1, 0), ==, 0);
}

static void
test_bad_headers(Fixture *f, gconstpointer data)
{
    guint8 link[64];
    gsize length = make_link(link, VMC_SPICE_CHANNEL_USBREDIR);
    static const guint8 known_bad[] = {'R', 'E', 'D', 'Q', 2,    0,    0,    0,
                                       2,   0,   0,   0,   0xaa, 0xaa, 0xaa, 0xaa};

    expect_refused(f, link, length, 0);
    vmc_assert_contains(f->last_detail, "usbredir");
    expect_refused(f, known_bad, sizeof known_bad, 1);
    vmc_assert_contains(f->last_detail, "size");
    expect_refused(f, (const guint8 *)"GET / HTTP/1.0\r\n\r\n", 18, 2);
    vmc_assert_contains(f->last_detail, "REDQ");
    /* a bad header with a good one after it is still bad */
    guint8 two[128];
    gsize bad = make_link(two, 0);
    gsize good = make_link(two + bad, VMC_SPICE_CHANNEL_MAIN);
    expect_refused(f, two, bad + good, 3);
    /* gone before the header was complete */
    expect_refused_full(f, link, 10, TRUE, 4);
    vmc_assert_contains(f->last_detail, "left");

    assert_vm_saw_nothing(f);
    g_autoptr(VmcRelayStats) stats = vmc_relay_get_stats(f->relay);
    g_assert_cmpuint(stats->rejected, ==, 5);
    g_assert_cmpuint(stats->bytes_total, ==, 0);
}

static gpointer
trickle_thread(gpointer data)
{
    int fd = GPOINTER_TO_INT(data);
    guint8 link[64];
    gsize length = make_link(link, VMC_SPICE_CHANNEL_MAIN);
    /* a byte every 40 ms: each one valid, the whole never in time */
    for (gsize i = 0; i + 1 < length; i++) {
        if (send(fd, link + i, 1, MSG_NOSIGNAL) != 1)
            break;
        g_usleep(40 * 1000);
    }
    return NULL;
}

static void
test_link_deadline(Fixture *f, gconstpointer data)
{
    guint8 link[64];
    gsize length = make_link(link, VMC_SPICE_CHANNEL_MAIN);
    vmc_relay_set_link_timeout_ms(f->relay, 300);

    gint64 start = g_get_monotonic_time();
    expect_refused(f, link, length - 1, 0); /* stalls one byte short */
    vmc_assert_contains(f->last_detail, "300 ms");
    g_assert_cmpint(g_get_monotonic_time() - start, >=, 280 * 1000);

    int fd = connect_to(f->relay_path);
    GThread *thread = g_thread_new("trickle", trickle_thread, GINT_TO_POINTER(fd));
    run_until(f, rejected_reaches, GUINT_TO_POINTER(2));
    g_thread_join(thread);
    g_assert_cmpuint(read_to_end(fd), ==, 0);
    close(fd);
    run_until(f, no_connections, NULL);

    expect_refused(f, NULL, 0, 2); /* silent */
    assert_vm_saw_nothing(f);
}

static void
test_wrong_pid(Fixture *f, gconstpointer data)
{
    guint8 link[64];
    gsize length = make_link(link, VMC_SPICE_CHANNEL_MAIN);
    g_autofree char *expect = g_strdup_printf("connection from pid %d refused", (int)getpid());

    vmc_relay_set_peer_pid(f->relay, getpid() + 1);
    expect_refused(f, link, length, 0);
    g_assert_cmpstr(f->last_detail, ==, expect);
    vmc_relay_set_peer_pid(f->relay, -1); /* nobody yet */
    expect_refused(f, link, length, 1);
    g_assert_cmpstr(f->last_detail, ==, expect);
    assert_vm_saw_nothing(f);

    vmc_relay_set_peer_pid(f->relay, getpid());
    Exchange x = {.type = VMC_SPICE_CHANNEL_MAIN, .up_bytes = 10, .down_bytes = 10};
    run_exchange(f, &x);
    g_autoptr(VmcRelayStats) stats = vmc_relay_get_stats(f->relay);
    g_assert_cmpuint(stats->rejected, ==, 2);
    g_assert_cmpuint(stats->channels[VMC_SPICE_CHANNEL_MAIN].connections, ==, 1);
}

/* The VM side does not read for a while; the client pushes 10 MiB. */
static void
test_backpressure(Fixture *f, gconstpointer data)
{
    Exchange x = {.type = VMC_SPICE_CHANNEL_DISPLAY,
                  .up_bytes = 10 * 1024 * 1024,
                  .down_bytes = 10 * 1024 * 1024,
                  .delay_ms = 700};
    run_exchange(f, &x);
    g_autoptr(VmcRelayStats) stats = vmc_relay_get_stats(f->relay);
    g_assert_cmpuint(stats->channels[VMC_SPICE_CHANNEL_DISPLAY].bytes_from_vm, ==,
                     10 * 1024 * 1024);
    /* the buffer toward the VM filled up, and went no further */
    g_assert_cmpuint(vmc_relay_get_buffered_peak(f->relay), >=, VMC_RELAY_BUFFER_SIZE);
    g_assert_cmpuint(vmc_relay_get_buffered_peak(f->relay), <=, 2 * VMC_RELAY_BUFFER_SIZE);
}

/* Main-loop iterations in ms: a relay with nothing to do wakes only for
 * the 10 ms tick; one that polls a ready fd it will not serve spins. */
static guint
iterations_in_ms(Fixture *f, guint ms)
{
    gint64 end = g_get_monotonic_time() + ms * 1000;
    guint tick = g_timeout_add(10, on_tick, NULL);
    guint n = 0;
    while (g_get_monotonic_time() < end) {
        g_main_context_iteration(NULL, TRUE);
        n++;
    }
    g_source_remove(tick);
    return n;
}

#define IDLE_MS 300
#define IDLE_ITERATIONS_MAX 100 /* ~30 ticks; a spin makes thousands */

/* Send from fd (non-blocking) while the relay takes it; TRUE once nothing
 * went for 200 ms: the buffer toward the peer that does not read is full. */
static gboolean
flood_until_stalled(Fixture *f, int fd)
{
    g_autofree guint8 *chunk = g_malloc0(VMC_RELAY_BUFFER_SIZE);
    gint64 quiet_since = g_get_monotonic_time();
    for (gint64 end = quiet_since + WAIT_MAX_S * G_USEC_PER_SEC; g_get_monotonic_time() < end;) {
        if (send(fd, chunk, VMC_RELAY_BUFFER_SIZE, MSG_NOSIGNAL | MSG_DONTWAIT) > 0)
            quiet_since = g_get_monotonic_time();
        else if (g_get_monotonic_time() - quiet_since > 200 * 1000)
            return TRUE;
        run_for_ms(f, 5);
    }
    return FALSE;
}

/* A connection whose peers stopped (neither reads, or the client half-closed
 * toward a silent VM) costs nothing: the relay sleeps until a peer moves. */
static void
test_stalled_no_spin(Fixture *f, gconstpointer data)
{
    guint8 link[64];
    gsize length = make_link(link, VMC_SPICE_CHANNEL_DISPLAY);

    /* the client floods, the VM does not read: the client's input waits */
    int client = connect_to(f->relay_path);
    write_all(client, link, length);
    int vm = accept_vm_iterating(f);
    g_assert_true(flood_until_stalled(f, client));
    g_assert_cmpuint(vmc_relay_get_buffered_peak(f->relay), >=, VMC_RELAY_BUFFER_SIZE);
    g_assert_cmpuint(iterations_in_ms(f, IDLE_MS), <, IDLE_ITERATIONS_MAX);
    /* ... and the other way: the VM floods, the client does not read */
    g_assert_true(flood_until_stalled(f, vm));
    g_assert_cmpuint(iterations_in_ms(f, IDLE_MS), <, IDLE_ITERATIONS_MAX);
    close(client);
    close(vm);
    run_until(f, no_connections, NULL);

    /* the client half-closes, the VM stays silent: its EOF is read once */
    client = connect_to(f->relay_path);
    write_all(client, link, length);
    shutdown(client, SHUT_WR);
    vm = accept_vm_iterating(f);
    read_exact(vm, link, length);
    run_until(f, fd_hung_up, GINT_TO_POINTER(vm)); /* the half-close came through */
    g_assert_cmpuint(iterations_in_ms(f, IDLE_MS), <, IDLE_ITERATIONS_MAX);
    close(vm);
    run_until(f, fd_hung_up, GINT_TO_POINTER(client));
    g_assert_cmpuint(read_to_end(client), ==, 0);
    close(client);
    run_until(f, no_connections, NULL);
    g_assert_cmpuint(f->rejected, ==, 0);
}

static void
test_vm_closed(Fixture *f, gconstpointer data)
{
    guint8 link[64];
    gsize length = make_link(link, VMC_SPICE_CHANNEL_DISPLAY);

    /* a display channel closed by the VM: no event */
    int client = connect_to(f->relay_path);
    write_all(client, link, length);
    int vm = accept_vm_iterating(f);
    read_exact(vm, link, length);
    write_all(vm, (const guint8 *)"bye", 3);
    close(vm);
    run_until(f, fd_hung_up, GINT_TO_POINTER(client));
    g_assert_cmpuint(read_to_end(client), ==, 3);
    close(client);
    run_until(f, no_connections, NULL);
    g_assert_cmpuint(f->vm_closed, ==, 0);

    /* the main channel closed by the VM: VM_CLOSED, once */
    for (guint i = 0; i < 2; i++) {
        length = make_link(link, VMC_SPICE_CHANNEL_MAIN);
        client = connect_to(f->relay_path);
        write_all(client, link, length);
        vm = accept_vm_iterating(f);
        read_exact(vm, link, length);
        close(vm);
        run_until(f, vm_closed_seen, NULL);
        run_until(f, fd_hung_up, GINT_TO_POINTER(client));
        g_assert_cmpuint(read_to_end(client), ==, 0);
        close(client);
        run_until(f, no_connections, NULL);
    }
    g_assert_cmpuint(f->vm_closed, ==, 1);
    g_assert_cmpuint(f->rejected, ==, 0);
}

/* The client goes away while the VM sends: the relay's splice to the dead
 * socket must not kill the process (SIGPIPE) nor count as the VM closing. */
static void
test_client_gone(Fixture *f, gconstpointer data)
{
    guint8 link[64];
    gsize length = make_link(link, VMC_SPICE_CHANNEL_MAIN);
    g_autofree guint8 *chunk = g_malloc0(VMC_RELAY_BUFFER_SIZE);

    int client = connect_to(f->relay_path);
    write_all(client, link, length);
    int vm = accept_vm_iterating(f);
    read_exact(vm, link, length);
    close(client);
    for (guint i = 0; i < 64 && vmc_relay_get_n_connections(f->relay) > 0; i++) {
        ssize_t n = send(vm, chunk, VMC_RELAY_BUFFER_SIZE, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno != EAGAIN)
            break;
        run_for_ms(f, 5);
    }
    run_until(f, no_connections, NULL);
    close(vm);
    g_assert_cmpuint(f->vm_closed, ==, 0);
    g_assert_cmpuint(f->rejected, ==, 0);
}

static void
test_vm_gone(Fixture *f, gconstpointer data)
{
    guint8 link[64];
    gsize length = make_link(link, VMC_SPICE_CHANNEL_MAIN);

    close(f->vm_listen_fd); /* the VM stopped: connecting fails */
    f->vm_listen_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int client = connect_to(f->relay_path);
    write_all(client, link, length);
    run_until(f, vm_closed_seen, NULL);
    vmc_assert_contains(f->last_detail, "cannot connect");
    run_until(f, fd_hung_up, GINT_TO_POINTER(client));
    g_assert_cmpuint(read_to_end(client), ==, 0);
    close(client);
    run_until(f, no_connections, NULL);
}

static void
test_max_connections(Fixture *f, gconstpointer data)
{
    int fds[VMC_RELAY_MAX_CONNECTIONS];
    for (guint i = 0; i < VMC_RELAY_MAX_CONNECTIONS; i++)
        fds[i] = connect_to(f->relay_path);
    run_until(f, has_connections, GUINT_TO_POINTER(VMC_RELAY_MAX_CONNECTIONS));
    g_assert_cmpuint(f->rejected, ==, 0);
    int extra = connect_to(f->relay_path);
    run_until(f, rejected_reaches, GUINT_TO_POINTER(1));
    vmc_assert_contains(f->last_detail, "connections at once");
    g_assert_cmpuint(read_to_end(extra), ==, 0);
    close(extra);
    g_assert_cmpuint(vmc_relay_get_n_connections(f->relay), ==, VMC_RELAY_MAX_CONNECTIONS);
    /* freeing the relay closes them all */
    g_clear_pointer(&f->relay, vmc_relay_free);
    for (guint i = 0; i < VMC_RELAY_MAX_CONNECTIONS; i++) {
        g_assert_cmpuint(read_to_end(fds[i]), ==, 0);
        close(fds[i]);
    }
}

static guint64
series_sum(const VmcRelayStats *stats)
{
    guint64 sum = 0;
    for (guint i = 0; i < stats->series->len; i++)
        sum += g_array_index(stats->series, guint64, i);
    return sum;
}

static void
test_series(Fixture *f, gconstpointer data)
{
    gint64 before = g_get_real_time();
    for (guint i = 0; i < 3; i++) {
        Exchange x = {.type = VMC_SPICE_CHANNEL_MAIN,
                      .up_bytes = 1000 * (i + 1),
                      .down_bytes = 500000 * (i + 1)};
        run_exchange(f, &x);
        run_for_ms(f, 700);
    }
    /* a second boundary between the calls would move bytes: retry then */
    for (guint attempt = 0;; attempt++) {
        g_autoptr(VmcRelayStats) stats = vmc_relay_get_stats(f->relay);
        guint64 current = vmc_relay_get_current_second_bytes(f->relay);
        g_autoptr(VmcRelayStats) again = vmc_relay_get_stats(f->relay);
        if (again->series->len != stats->series->len && attempt < 3)
            continue;
        g_assert_cmpuint(stats->series_step_s, ==, 1);
        g_assert_cmpuint(stats->series->len, >=, 2);
        g_assert_cmpuint(series_sum(stats) + current, ==, stats->bytes_total);
        guint64 max = 0;
        for (guint i = 0; i < stats->series->len; i++)
            max = MAX(max, g_array_index(stats->series, guint64, i));
        g_assert_cmpfloat(stats->peak_rate, ==, (double)max);
        g_assert_cmpint(stats->peak_time_us, >=, stats->started_us);
        g_assert_cmpint(stats->started_us, <=, before);
        g_assert_cmpint(stats->peak_time_us, <=, g_get_real_time());
        g_assert_cmpfloat(stats->mean_rate, >, 0);
        g_assert_cmpfloat(stats->mean_rate, <=, (double)stats->bytes_total);
        /* all of it went over main: its series is the total's, others absent */
        GArray *main_series = stats->channel_series[VMC_SPICE_CHANNEL_MAIN];
        g_assert_nonnull(main_series);
        g_assert_cmpuint(main_series->len, ==, stats->series->len);
        for (guint i = 0; i < main_series->len; i++)
            g_assert_cmpuint(g_array_index(main_series, guint64, i), ==,
                             g_array_index(stats->series, guint64, i));
        g_assert_null(stats->channel_series[VMC_SPICE_CHANNEL_DISPLAY]);
        break;
    }
}

/* ---- the rate series, pure ---- */

#define S(x) ((gint64)((double)(x)*G_USEC_PER_SEC))

static guint64
rate_sample(VmcRelayStats *stats, guint i)
{
    return g_array_index(stats->series, guint64, i);
}

static void
test_rate_basic(void)
{
    VmcRelayRate rate;
    VmcRelayStats stats = {0};
    gint64 t0 = 1000 * G_USEC_PER_SEC;

    vmc_relay_rate_init(&rate, t0, 5 * G_USEC_PER_SEC);
    vmc_relay_rate_add(&rate, t0 + S(0.5), 100);
    vmc_relay_rate_add(&rate, t0 + S(0.999999), 1);
    vmc_relay_rate_add(&rate, t0 + S(1.0), 300);
    vmc_relay_rate_add(&rate, t0 + S(1.2), 5);
    vmc_relay_rate_add(&rate, t0 + S(4.5), 7);
    vmc_relay_rate_fill_stats(&rate, t0 + S(4.9), &stats);

    g_assert_cmpuint(stats.series->len, ==, 4);
    g_assert_cmpuint(rate_sample(&stats, 0), ==, 101);
    g_assert_cmpuint(rate_sample(&stats, 1), ==, 305);
    g_assert_cmpuint(rate_sample(&stats, 2), ==, 0);
    g_assert_cmpuint(rate_sample(&stats, 3), ==, 0);
    g_assert_cmpuint(rate.second_bytes, ==, 7);
    g_assert_cmpuint(stats.series_step_s, ==, 1);
    g_assert_cmpfloat(stats.peak_rate, ==, 305.0);
    g_assert_cmpint(stats.peak_time_us, ==, 6 * G_USEC_PER_SEC);
    g_assert_cmpint(stats.started_us, ==, 5 * G_USEC_PER_SEC);
    g_assert_cmpfloat_with_epsilon(stats.mean_rate, 413 / 4.9, 1e-9);
    g_clear_pointer(&stats.series, g_array_unref);

    /* nothing at all */
    vmc_relay_rate_clear(&rate);
    vmc_relay_rate_init(&rate, t0, 0);
    vmc_relay_rate_fill_stats(&rate, t0, &stats);
    g_assert_cmpuint(stats.series->len, ==, 0);
    g_assert_cmpfloat(stats.peak_rate, ==, 0);
    g_assert_cmpint(stats.peak_time_us, ==, 0);
    g_assert_cmpfloat(stats.mean_rate, ==, 0);
    g_clear_pointer(&stats.series, g_array_unref);
    vmc_relay_rate_clear(&rate);
}

/* Past VMC_RELAY_SERIES_MAX seconds the series halves and the step doubles;
 * the sum stays the total and the peak stays per second. */
static void
test_rate_downsample(void)
{
    VmcRelayRate rate;
    gint64 t0 = 0;
    guint64 total = 0;
    guint seconds = 4 * VMC_RELAY_SERIES_MAX + 123;

    vmc_relay_rate_init(&rate, t0, 0);
    for (guint s = 0; s < seconds; s++) {
        guint64 bytes = s == 5000 ? 1000000 : s % 10;
        vmc_relay_rate_add(&rate, t0 + S(s) + 10, bytes);
        total += bytes;
        VmcRelayStats stats = {0};
        if (s == VMC_RELAY_SERIES_MAX - 1 || s == VMC_RELAY_SERIES_MAX || s == seconds - 1) {
            vmc_relay_rate_fill_stats(&rate, t0 + S(s + 1), &stats);
            guint64 sum = 0;
            for (guint i = 0; i < stats.series->len; i++)
                sum += rate_sample(&stats, i);
            g_assert_cmpuint(sum, ==, total);
            g_assert_cmpuint(stats.series->len, <=, VMC_RELAY_SERIES_MAX);
            if (s == VMC_RELAY_SERIES_MAX - 1) {
                g_assert_cmpuint(stats.series_step_s, ==, 2);
                g_assert_cmpuint(stats.series->len, ==, VMC_RELAY_SERIES_MAX / 2);
            }
            if (s == seconds - 1) {
                g_assert_cmpuint(stats.series_step_s, ==, 8);
                g_assert_cmpfloat(stats.peak_rate, ==, 1000000.0);
                g_assert_cmpint(stats.peak_time_us, ==, S(5000));
            }
            g_clear_pointer(&stats.series, g_array_unref);
        }
    }
    /* a long idle gap is filled with zeros and stays bounded */
    VmcRelayStats stats = {0};
    vmc_relay_rate_fill_stats(&rate, t0 + S(seconds + 100000), &stats);
    g_assert_cmpuint(stats.series->len, <=, VMC_RELAY_SERIES_MAX);
    g_assert_cmpuint(stats.series_step_s, ==, 32);
    guint64 sum = 0;
    for (guint i = 0; i < stats.series->len; i++)
        sum += rate_sample(&stats, i);
    g_assert_cmpuint(sum, ==, total);
    g_clear_pointer(&stats.series, g_array_unref);
    vmc_relay_rate_clear(&rate);
}

/* ---- plain streams (X11, sound): no link phase, own counters ---- */

typedef struct {
    int listen_fd; /* the stream's target (Unix or TCP), blocking */
    gsize up_bytes;
    gsize down_bytes;
    gint done;
} StreamPeer;

/* The target: reads up_bytes (the pattern), answers down_bytes, reads EOF. */
static gpointer
stream_target_thread(gpointer data)
{
    StreamPeer *peer = data;
    g_autofree guint8 *in = g_malloc(peer->up_bytes + 1);
    g_autofree guint8 *expect = g_malloc(peer->up_bytes + 1);
    g_autofree guint8 *out = g_malloc(peer->down_bytes + 1);
    fill_pattern(expect, peer->up_bytes, 3);
    fill_pattern(out, peer->down_bytes, 4);
    int fd = accept4(peer->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);
    set_io_timeout(fd);
    read_exact(fd, in, peer->up_bytes);
    g_assert_true(memcmp(in, expect, peer->up_bytes) == 0);
    write_all(fd, out, peer->down_bytes);
    shutdown(fd, SHUT_WR);
    g_assert_cmpuint(read_to_end(fd), ==, 0);
    close(fd);
    g_atomic_int_set(&peer->done, 1);
    return NULL;
}

typedef struct {
    const char *path;
    gsize up_bytes;
    gsize down_bytes;
    gint done;
} StreamClient;

static gpointer
stream_client_thread(gpointer data)
{
    StreamClient *client = data;
    g_autofree guint8 *out = g_malloc(client->up_bytes + 1);
    g_autofree guint8 *in = g_malloc(client->down_bytes + 1);
    g_autofree guint8 *expect = g_malloc(client->down_bytes + 1);
    fill_pattern(out, client->up_bytes, 3);
    fill_pattern(expect, client->down_bytes, 4);
    int fd = connect_to(client->path);
    write_all(fd, out, client->up_bytes);
    read_exact(fd, in, client->down_bytes);
    g_assert_true(memcmp(in, expect, client->down_bytes) == 0);
    shutdown(fd, SHUT_WR);
    g_assert_cmpuint(read_to_end(fd), ==, 0);
    close(fd);
    g_atomic_int_set(&client->done, 1);
    return NULL;
}

static int
listen_tcp(struct sockaddr_in *ret_address)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof address;
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&address, sizeof address), ==, 0);
    g_assert_cmpint(listen(fd, 16), ==, 0);
    g_assert_cmpint(getsockname(fd, (struct sockaddr *)&address, &length), ==, 0);
    *ret_address = address;
    return fd;
}

/* One connection through stream `name` (listening at path) to the target
 * listening on peer->listen_fd. */
static void
run_stream(Fixture *f, const char *path, StreamPeer *peer)
{
    StreamClient client = {
        .path = path, .up_bytes = peer->up_bytes, .down_bytes = peer->down_bytes};
    GThread *target = g_thread_new("stream-target", stream_target_thread, peer);
    GThread *thread = g_thread_new("stream-client", stream_client_thread, &client);
    /* the loop runs until both ends saw the other's end */
    run_until(f, is_done, &client.done);
    run_until(f, is_done, &peer->done);
    g_thread_join(thread);
    g_thread_join(target);
    run_until(f, no_connections, NULL);
}

static void
assert_stream(const VmcRelayStats *stats, guint index, const char *name, guint64 to_target,
              guint64 from_target)
{
    g_assert_cmpuint(stats->n_streams, >, index);
    const VmcRelayStreamStats *stream = &stats->streams[index];
    g_assert_cmpstr(stream->name, ==, name);
    g_assert_cmpuint(stream->bytes_to_target, ==, to_target);
    g_assert_cmpuint(stream->bytes_from_target, ==, from_target);
    g_assert_cmpuint(stream->connections, ==, 1);
    g_assert_cmpuint(stream->failed, ==, 0);
    g_assert_cmpfloat(stream->mean_rate, >, 0);
    /* the Spice relay's clock: same samples as the totals' series */
    g_assert_nonnull(stream->series);
    g_assert_cmpuint(stream->series->len, ==, stats->series->len);
}

static void
test_stream_unix(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *target_path = g_build_filename(f->dir, "x11-target.sock", NULL);
    g_autofree char *stream_path = g_build_filename(f->dir, "x11.sock", NULL);
    StreamPeer peer = {.listen_fd = listen_at(target_path, 0),
                       .up_bytes = 300 * 1024,
                       .down_bytes = 2 * 1024 * 1024};
    struct sockaddr_un target;
    fill_address(&target, target_path);

    g_assert_true(vmc_relay_add_stream(f->relay, "x11", listen_at(stream_path, SOCK_NONBLOCK),
                                       (struct sockaddr *)&target, sizeof target, &error));
    g_assert_no_error(error);
    run_stream(f, stream_path, &peer);
    /* a Spice exchange beside it: the streams stay out of Spice's totals */
    Exchange x = {.type = VMC_SPICE_CHANNEL_MAIN, .up_bytes = 10, .down_bytes = 20};
    run_exchange(f, &x);

    g_autoptr(VmcRelayStats) stats = vmc_relay_get_stats(f->relay);
    assert_stream(stats, 0, "x11", peer.up_bytes, peer.down_bytes);
    g_assert_cmpuint(stats->bytes_total, ==, 26 + 16 + 10 + 20);
    close(peer.listen_fd);
    g_unlink(target_path);
    g_unlink(stream_path);
}

static void
test_stream_tcp(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *stream_path = g_build_filename(f->dir, "pulse.sock", NULL);
    struct sockaddr_in target;
    StreamPeer peer = {.listen_fd = listen_tcp(&target), .up_bytes = 5000, .down_bytes = 70000};

    g_assert_true(vmc_relay_add_stream(f->relay, "audio", listen_at(stream_path, SOCK_NONBLOCK),
                                       (struct sockaddr *)&target, sizeof target, &error));
    run_stream(f, stream_path, &peer);
    g_autoptr(VmcRelayStats) stats = vmc_relay_get_stats(f->relay);
    assert_stream(stats, 0, "audio", peer.up_bytes, peer.down_bytes);
    g_assert_cmpuint(stats->bytes_total, ==, 0);
    close(peer.listen_fd);
    g_unlink(stream_path);
}

/* ---- an X11 stream: its connections followed for the person's input ---- */

typedef struct {
    int client;
    int server;
} X11Pair;

typedef struct {
    int fd;
    gsize length;
} Waiting;

static gboolean
bytes_waiting(Fixture *f, gpointer data)
{
    const Waiting *w = data;
    int available = 0;
    return ioctl(w->fd, FIONREAD, &available) == 0 && (gsize)available >= w->length;
}

/* Bytes from one end to the other through the relay, arriving unchanged. */
static void
x11_pass(Fixture *f, int from, int to, const guint8 *bytes, gsize length)
{
    guint8 in[256];
    g_assert_cmpuint(length, <=, sizeof in);
    write_all(from, bytes, length);
    Waiting w = {to, length};
    run_until(f, bytes_waiting, &w);
    read_exact(to, in, length);
    g_assert_true(memcmp(in, bytes, length) == 0);
}

static X11Pair
x11_connect(Fixture *f, const char *stream_path, int target_fd, guint n_connections)
{
    X11Pair pair = {.client = connect_to(stream_path)};
    run_until(f, has_connections, GUINT_TO_POINTER(n_connections));
    pair.server = accept4(target_fd, NULL, NULL, SOCK_CLOEXEC);
    g_assert_cmpint(pair.server, >=, 0);
    return pair;
}

/* 32 bytes of a server packet (LSB first): type, byte 1, sequence, the
 * 32-bit length, then bytes 8 and 9. */
static void
x11_packet(guint8 *out, guint8 type, guint8 byte1, guint16 sequence, guint32 length, guint8 byte8,
           guint8 byte9)
{
    memset(out, 0, 32);
    out[0] = type;
    out[1] = byte1;
    out[2] = sequence & 0xff;
    out[3] = sequence >> 8;
    memcpy(out + 4, &length, 4); /* the test machine is LSB first, as the client */
    out[8] = byte8;
    out[9] = byte9;
}

static void
test_stream_x11_input(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *target_path = g_build_filename(f->dir, "x11-target.sock", NULL);
    g_autofree char *stream_path = g_build_filename(f->dir, "x11.sock", NULL);
    int target_fd = listen_at(target_path, 0);
    struct sockaddr_un target;
    fill_address(&target, target_path);
    g_assert_true(vmc_relay_add_x11_stream(f->relay, "x11", listen_at(stream_path, SOCK_NONBLOCK),
                                           (struct sockaddr *)&target, sizeof target, &error));
    g_assert_no_error(error);
    X11Pair x = x11_connect(f, stream_path, target_fd, 1);
    static const guint8 setup[12] = {'l', 0, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    static const guint8 setup_reply[8] = {1, 0, 11, 0, 0, 0, 0, 0};
    static const guint8 query[24] = {98,  0,   6,   0,   15,  0,   0,   0,   'X', 'I', 'n', 'p',
                                     'u', 't', 'E', 'x', 't', 'e', 'n', 's', 'i', 'o', 'n', 0};
    guint8 packet[80];
    x11_pass(f, x.client, x.server, setup, sizeof setup);
    x11_pass(f, x.server, x.client, setup_reply, sizeof setup_reply);
    x11_pass(f, x.client, x.server, query, sizeof query);
    x11_packet(packet, 1, 0, 1, 0, 1, 131); /* XInput is major opcode 131 */
    x11_pass(f, x.server, x.client, packet, 32);
    x11_packet(packet, 2 | 0x80, 38, 1, 0, 0, 0); /* a KeyPress sent by another client */
    x11_pass(f, x.server, x.client, packet, 32);
    g_assert_cmpint(vmc_relay_get_last_x11_input(f->relay), ==, 0);

    gint64 before = g_get_monotonic_time();
    x11_packet(packet, 2, 38, 1, 0, 0, 0); /* a KeyPress of the person */
    x11_pass(f, x.server, x.client, packet, 32);
    g_assert_cmpint(vmc_relay_get_last_x11_input(f->relay), >=, before);
    x11_packet(packet, 35, 131, 1, 12, 6, 0); /* XI_Motion */
    memset(packet + 32, 0, 48);
    x11_pass(f, x.server, x.client, packet, 80);
    g_autoptr(VmcRelayStats) stats = vmc_relay_get_stats(f->relay);
    g_assert_cmpuint(stats->streams[0].input_events, ==, 2);
    g_assert_cmpuint(stats->streams[0].unfollowed, ==, 0);

    /* a connection it cannot follow is still relayed, no longer watched */
    X11Pair bad = x11_connect(f, stream_path, target_fd, 2);
    static const guint8 garbage[12] = {'X', 0, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    x11_pass(f, bad.client, bad.server, garbage, sizeof garbage);
    x11_packet(packet, 2, 38, 0, 0, 0, 0);
    gint64 last = vmc_relay_get_last_x11_input(f->relay);
    x11_pass(f, bad.server, bad.client, packet, 32);
    g_assert_cmpint(vmc_relay_get_last_x11_input(f->relay), ==, last);
    g_autoptr(VmcRelayStats) after = vmc_relay_get_stats(f->relay);
    g_assert_cmpuint(after->streams[0].input_events, ==, 2);
    g_assert_cmpuint(after->streams[0].unfollowed, ==, 1);
    g_assert_cmpuint(after->streams[0].connections, ==, 2);
    int fds[] = {x.client, x.server, bad.client, bad.server, target_fd};
    for (guint i = 0; i < G_N_ELEMENTS(fds); i++)
        close(fds[i]);
    run_until(f, no_connections, NULL);
    g_autoptr(VmcRelayStats) closed = vmc_relay_get_stats(f->relay);
    g_assert_cmpuint(closed->streams[0].unfollowed, ==, 1);
    g_unlink(target_path);
    g_unlink(stream_path);
}

/* A target that refuses: the client sees the end at once; counted as failed. */
static void
test_stream_refused(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *stream_path = g_build_filename(f->dir, "x11.sock", NULL);
    struct sockaddr_in target;
    close(listen_tcp(&target)); /* a port nobody listens on now */

    g_assert_true(vmc_relay_add_stream(f->relay, "x11", listen_at(stream_path, SOCK_NONBLOCK),
                                       (struct sockaddr *)&target, sizeof target, &error));
    int fd = connect_to(stream_path);
    run_until(f, fd_hung_up, GINT_TO_POINTER(fd));
    g_assert_cmpuint(read_to_end(fd), ==, 0);
    close(fd);
    run_until(f, no_connections, NULL);
    g_autoptr(VmcRelayStats) stats = vmc_relay_get_stats(f->relay);
    g_assert_cmpuint(stats->streams[0].failed, ==, 1);
    g_assert_cmpuint(stats->streams[0].connections, ==, 0);
    g_unlink(stream_path);
}

/* At most VMC_RELAY_STREAMS_MAX streams; a bad target is refused. */
static void
test_stream_bounds(Fixture *f, gconstpointer data)
{
    struct sockaddr_in target;
    close(listen_tcp(&target));
    for (guint i = 0; i <= VMC_RELAY_STREAMS_MAX; i++) {
        g_autoptr(GError) error = NULL;
        g_autofree char *path = g_strdup_printf("%s/s%u.sock", f->dir, i);
        g_autofree char *name = g_strdup_printf("s%u", i);
        gboolean added = vmc_relay_add_stream(f->relay, name, listen_at(path, SOCK_NONBLOCK),
                                              (struct sockaddr *)&target, sizeof target, &error);
        g_assert_cmpint(added, ==, i < VMC_RELAY_STREAMS_MAX);
        if (!added)
            g_assert_error(error, VMC_SPICE_ERROR, VMC_SPICE_ERROR_IO);
        g_unlink(path);
    }
    g_autoptr(GError) error = NULL;
    struct sockaddr bad = {.sa_family = AF_NETLINK};
    g_autofree char *path = g_build_filename(f->dir, "bad.sock", NULL);
    g_assert_false(vmc_relay_add_stream(f->relay, "bad", listen_at(path, SOCK_NONBLOCK), &bad,
                                        sizeof bad, &error));
    g_assert_error(error, VMC_SPICE_ERROR, VMC_SPICE_ERROR_IO);
    g_unlink(path);
    g_autoptr(VmcRelayStats) stats = vmc_relay_get_stats(f->relay);
    g_assert_cmpuint(stats->n_streams, ==, VMC_RELAY_STREAMS_MAX);
}

static gboolean
refuse_all(pid_t pid, uid_t uid, gpointer data)
{
    (*(guint *)data)++;
    return FALSE;
}

static gboolean
admit_own_uid(pid_t pid, uid_t uid, gpointer data)
{
    (*(guint *)data)++;
    return uid == getuid() && pid == getpid();
}

/* A peer check decides for Spice and for the streams alike. */
static void
test_peer_check(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *target_path = g_build_filename(f->dir, "target.sock", NULL);
    g_autofree char *stream_path = g_build_filename(f->dir, "x11.sock", NULL);
    StreamPeer peer = {.listen_fd = listen_at(target_path, 0), .up_bytes = 100, .down_bytes = 100};
    struct sockaddr_un target;
    guint asked = 0;
    guint8 link[64];
    gsize length = make_link(link, VMC_SPICE_CHANNEL_MAIN);
    fill_address(&target, target_path);
    g_assert_true(vmc_relay_add_stream(f->relay, "x11", listen_at(stream_path, SOCK_NONBLOCK),
                                       (struct sockaddr *)&target, sizeof target, &error));

    vmc_relay_set_peer_check(f->relay, refuse_all, &asked);
    expect_refused(f, link, length, 0);
    int fd = connect_to(stream_path);
    run_until(f, rejected_reaches, GUINT_TO_POINTER(2));
    g_assert_cmpuint(read_to_end(fd), ==, 0);
    close(fd);
    g_assert_cmpuint(asked, ==, 2);
    assert_vm_saw_nothing(f);

    vmc_relay_set_peer_check(f->relay, admit_own_uid, &asked);
    run_stream(f, stream_path, &peer);
    Exchange x = {.type = VMC_SPICE_CHANNEL_MAIN, .up_bytes = 10, .down_bytes = 10};
    run_exchange(f, &x);
    g_assert_cmpuint(asked, ==, 4);
    g_autoptr(VmcRelayStats) stats = vmc_relay_get_stats(f->relay);
    g_assert_cmpuint(stats->rejected, ==, 2);
    assert_stream(stats, 0, "x11", 100, 100);
    close(peer.listen_fd);
    g_unlink(target_path);
    g_unlink(stream_path);
}

/* ---- the agent policy on a main channel ---- */

static void
put32(GByteArray *a, guint32 v)
{
    guint32 le = GUINT32_TO_LE(v);
    g_byte_array_append(a, (const guint8 *)&le, 4);
}

/* A mini-header message holding one agent message of type (data: `id`
 * then `size` - 4 pattern bytes). */
static void
put_agent_message(GByteArray *a, guint16 spice_type, guint32 agent_type, guint32 size, guint32 id)
{
    guint16 le = GUINT16_TO_LE(spice_type);
    g_byte_array_append(a, (const guint8 *)&le, 2);
    put32(a, 20 + size);
    put32(a, VD_AGENT_PROTOCOL);
    put32(a, agent_type);
    put32(a, 0);
    put32(a, 0);
    put32(a, size);
    put32(a, id);
    for (guint32 i = 4; i < size; i++)
        g_byte_array_append(a, (const guint8 *)"z", 1);
}

static void
put_token(GByteArray *a, guint32 tokens)
{
    guint16 le = GUINT16_TO_LE(SPICE_MSG_MAIN_AGENT_TOKEN);
    g_byte_array_append(a, (const guint8 *)&le, 2);
    put32(a, 4);
    put32(a, tokens);
}

/* The server's link reply (its caps: auth selection, spice auth, mini header). */
static void
put_reply(GByteArray *a)
{
    g_byte_array_append(a, (const guint8 *)"REDQ", 4);
    put32(a, 2);
    put32(a, 2);
    put32(a, sizeof(SpiceLinkReply) + 4);
    put32(a, SPICE_LINK_ERR_OK);
    for (guint i = 0; i < SPICE_TICKET_PUBKEY_BYTES; i++)
        g_byte_array_append(a, (const guint8 *)"k", 1);
    put32(a, 1);
    put32(a, 0);
    put32(a, sizeof(SpiceLinkReply));
    put32(a, 0x0b);
}

/* A whole main channel: the client links, reads the reply, sends its auth
 * and agent traffic; the VM reads what the relay lets through, then sends
 * its link result and its own agent traffic. Each side reads exactly what
 * it expects, then the client half-closes. */
typedef struct {
    Fixture *f;
    GByteArray *client_sends;   /* after the auth and ticket */
    GByteArray *vm_sends;       /* after the link result */
    GByteArray *vm_expects;     /* after the link message, auth and ticket */
    GByteArray *client_expects; /* after the reply and link result */
    gint done;
} Scenario;

static void
read_expect(int fd, const GByteArray *expect)
{
    g_autofree guint8 *in = g_malloc(expect->len + 1);
    read_exact(fd, in, expect->len);
    g_assert_cmpmem(in, expect->len, expect->data, expect->len);
}

static gpointer
scenario_client(gpointer data)
{
    Scenario *sc = data;
    guint8 link[64];
    gsize link_length = make_link(link, VMC_SPICE_CHANNEL_MAIN);
    g_autoptr(GByteArray) reply = g_byte_array_new();
    g_autoptr(GByteArray) out = g_byte_array_new();
    put_reply(reply);
    put32(out, SPICE_COMMON_CAP_AUTH_SPICE);
    for (guint i = 0; i < sizeof(SpiceLinkEncryptedTicket); i++)
        g_byte_array_append(out, (const guint8 *)"t", 1);
    g_byte_array_append(out, sc->client_sends->data, sc->client_sends->len);

    int fd = connect_to(sc->f->relay_path);
    write_all(fd, link, link_length);
    read_expect(fd, reply);
    write_all(fd, out->data, out->len);
    g_autoptr(GByteArray) rest = g_byte_array_new();
    put32(rest, SPICE_LINK_ERR_OK);
    g_byte_array_append(rest, sc->client_expects->data, sc->client_expects->len);
    read_expect(fd, rest);
    shutdown(fd, SHUT_WR);
    g_assert_cmpuint(read_to_end(fd), ==, 0);
    close(fd);
    return NULL;
}

static gpointer
scenario_vm(gpointer data)
{
    Scenario *sc = data;
    guint8 link[64];
    gsize link_length = make_link(link, VMC_SPICE_CHANNEL_MAIN);
    g_autoptr(GByteArray) expect = g_byte_array_new();
    g_byte_array_append(expect, link, (guint)link_length);
    put32(expect, SPICE_COMMON_CAP_AUTH_SPICE);
    for (guint i = 0; i < sizeof(SpiceLinkEncryptedTicket); i++)
        g_byte_array_append(expect, (const guint8 *)"t", 1);
    g_byte_array_append(expect, sc->vm_expects->data, sc->vm_expects->len);
    g_autoptr(GByteArray) reply = g_byte_array_new();
    put_reply(reply);
    g_autoptr(GByteArray) rest = g_byte_array_new();
    put32(rest, SPICE_LINK_ERR_OK);
    g_byte_array_append(rest, sc->vm_sends->data, sc->vm_sends->len);

    int fd = accept_vm(sc->f);
    read_exact(fd, (guint8[64]){0}, link_length);
    write_all(fd, reply->data, reply->len);
    g_byte_array_remove_range(expect, 0, (guint)link_length);
    read_expect(fd, expect);
    write_all(fd, rest->data, rest->len);
    g_assert_cmpuint(read_to_end(fd), ==, 0);
    close(fd);
    return NULL;
}

static gpointer
scenario_thread(gpointer data)
{
    Scenario *sc = data;
    GThread *vm = g_thread_new("vm", scenario_vm, sc);
    GThread *client = g_thread_new("client", scenario_client, sc);
    g_thread_join(client);
    g_thread_join(vm);
    g_atomic_int_set(&sc->done, 1);
    g_main_context_wakeup(NULL);
    return NULL;
}

static void
run_scenario(Fixture *f, Scenario *sc)
{
    sc->f = f;
    GThread *thread = g_thread_new("scenario", scenario_thread, sc);
    run_until(f, is_done, &sc->done);
    g_thread_join(thread);
    run_until(f, no_connections, NULL);
    g_byte_array_unref(sc->client_sends);
    g_byte_array_unref(sc->vm_sends);
    g_byte_array_unref(sc->vm_expects);
    g_byte_array_unref(sc->client_expects);
}

static Scenario
scenario_new(void)
{
    return (Scenario){
        NULL, g_byte_array_new(), g_byte_array_new(), g_byte_array_new(), g_byte_array_new(), 0};
}

/* A file transfer's start: removed under deny (the client gets its token and
 * a "disabled" answer), passed under allow; counted bytes are what crossed. */
static void
test_agent_file_transfer(Fixture *f, gconstpointer data)
{
    const VmcAgentPolicy deny = {FALSE, TRUE, TRUE};
    const VmcAgentPolicy allow = {TRUE, TRUE, FALSE}; /* still filtered: clipboard */
    guint8 link[64];
    gsize link_length = make_link(link, VMC_SPICE_CHANNEL_MAIN);
    gsize preamble_up = link_length + 4 + sizeof(SpiceLinkEncryptedTicket);
    gsize preamble_down = VMC_SPICE_LINK_HEADER_SIZE + sizeof(SpiceLinkReply) + 4 + 4;

    vmc_relay_set_agent_policy(f->relay, &deny);
    Scenario sc = scenario_new();
    put_agent_message(sc.client_sends, SPICE_MSGC_MAIN_AGENT_DATA, VD_AGENT_FILE_XFER_START, 40,
                      0x77);
    put_agent_message(sc.client_sends, SPICE_MSGC_MAIN_AGENT_DATA, VD_AGENT_MONITORS_CONFIG, 8, 1);
    put_agent_message(sc.vm_expects, SPICE_MSGC_MAIN_AGENT_DATA, VD_AGENT_MONITORS_CONFIG, 8, 1);
    put_token(sc.client_expects, 1);
    g_autoptr(GByteArray) answer = g_byte_array_new();
    put_agent_message(answer, SPICE_MSG_MAIN_AGENT_DATA, VD_AGENT_FILE_XFER_STATUS, 8, 0x77);
    answer->data[6 + 20 + 4] = VD_AGENT_FILE_XFER_STATUS_DISABLED; /* the result, after the id */
    answer->data[6 + 20 + 5] = answer->data[6 + 20 + 6] = answer->data[6 + 20 + 7] = 0;
    g_byte_array_append(sc.client_expects, answer->data, answer->len);
    put_agent_message(sc.vm_sends, SPICE_MSG_MAIN_AGENT_DATA, VD_AGENT_REPLY, 8, 2);
    put_agent_message(sc.client_expects, SPICE_MSG_MAIN_AGENT_DATA, VD_AGENT_REPLY, 8, 2);
    gsize up_sent = sc.client_sends->len, down_sent = sc.vm_sends->len;
    gsize down_crossed = sc.client_expects->len;
    run_scenario(f, &sc);

    g_autoptr(VmcRelayStats) stats = vmc_relay_get_stats(f->relay);
    const VmcRelayChannelStats *main_stats = &stats->channels[VMC_SPICE_CHANNEL_MAIN];
    g_assert_cmpuint(stats->agent.file_transfer_dropped, ==, 1);
    g_assert_cmpuint(stats->agent.bytes_dropped_to_vm, ==, 6 + 20 + 40);
    g_assert_cmpuint(stats->agent.bytes_injected_from_vm, ==, 10 + answer->len);
    g_assert_cmpuint(main_stats->bytes_to_vm, ==, preamble_up + up_sent - (6 + 20 + 40));
    g_assert_cmpuint(main_stats->bytes_from_vm, ==, preamble_down + down_crossed);
    g_assert_cmpuint(main_stats->bytes_from_vm, ==,
                     preamble_down + down_sent + stats->agent.bytes_injected_from_vm);
    g_assert_true(stats->agent_policy.file_transfer == FALSE);
    g_assert_cmpuint(stats->rejected, ==, 0);

    vmc_relay_set_agent_policy(f->relay, &allow);
    sc = scenario_new();
    put_agent_message(sc.client_sends, SPICE_MSGC_MAIN_AGENT_DATA, VD_AGENT_FILE_XFER_START, 40,
                      0x78);
    g_byte_array_append(sc.vm_expects, sc.client_sends->data, sc.client_sends->len);
    run_scenario(f, &sc);
    g_autoptr(VmcRelayStats) after = vmc_relay_get_stats(f->relay);
    g_assert_cmpuint(after->agent.file_transfer_dropped, ==, 1); /* no more */
    g_assert_cmpuint(after->channels[VMC_SPICE_CHANNEL_MAIN].connections, ==, 2);
}

static void
put_mini(GByteArray *a, guint16 type, const guint8 *body, gsize size)
{
    guint16 le = GUINT16_TO_LE(type);
    g_byte_array_append(a, (const guint8 *)&le, 2);
    put32(a, (guint32)size);
    g_byte_array_append(a, body, (guint)size);
}

static void
put_name(GByteArray *a, const char *name)
{
    g_autoptr(GByteArray) body = g_byte_array_new();
    put32(body, (guint32)strlen(name) + 1);
    g_byte_array_append(body, (const guint8 *)name, (guint)strlen(name) + 1);
    put_mini(a, SPICE_MSG_MAIN_NAME, body->data, body->len);
}

/* A guest name set on the relay: under a policy that allows everything the
 * main channel is filtered all the same, the VM's MAIN_NAME is replaced by
 * the set one; a name the viewer could not show as a title is refused. */
static void
test_main_name(Fixture *f, gconstpointer data)
{
    static const guint8 init[32] = {1, 2, 3};
    static const guint8 uuid[16] = {0xaa};
    g_autoptr(GError) error = NULL;
    g_assert_false(vmc_relay_set_main_name(f->relay, "a\nb", &error));
    g_assert_error(error, VMC_SPICE_ERROR, VMC_SPICE_ERROR_SIZE);
    g_assert_true(vmc_relay_set_main_name(f->relay, "Debian VM \u2014 ends in 5m00s", NULL));

    Scenario sc = scenario_new();
    put_mini(sc.vm_sends, SPICE_MSG_MAIN_INIT, init, sizeof init);
    put_name(sc.vm_sends, "QEMU 7.2.0");
    put_mini(sc.vm_sends, SPICE_MSG_MAIN_UUID, uuid, sizeof uuid);
    put_mini(sc.client_expects, SPICE_MSG_MAIN_INIT, init, sizeof init);
    put_name(sc.client_expects, "Debian VM \u2014 ends in 5m00s");
    put_mini(sc.client_expects, SPICE_MSG_MAIN_UUID, uuid, sizeof uuid);
    run_scenario(f, &sc);
    g_autoptr(VmcRelayStats) stats = vmc_relay_get_stats(f->relay);
    g_assert_cmpuint(stats->agent.bytes_dropped_from_vm, ==, 6 + 4 + strlen("QEMU 7.2.0") + 1);
    g_assert_cmpuint(stats->agent.bytes_injected_from_vm, ==,
                     6 + 4 + strlen("Debian VM \u2014 ends in 5m00s") + 1);
    g_assert_cmpuint(stats->rejected, ==, 0);

    /* NULL: spliced again, the VM's name passes */
    g_assert_true(vmc_relay_set_main_name(f->relay, NULL, NULL));
    sc = scenario_new();
    put_mini(sc.vm_sends, SPICE_MSG_MAIN_INIT, init, sizeof init);
    put_name(sc.vm_sends, "QEMU 7.2.0");
    g_byte_array_append(sc.client_expects, sc.vm_sends->data, sc.vm_sends->len);
    run_scenario(f, &sc);
}

/* Clipboard to the VM only: the laptop's clipboard data reaches the VM, the
 * VM's does not reach the laptop (nor does a request for it reach the VM). */
static void
test_agent_clipboard(Fixture *f, gconstpointer data)
{
    const VmcAgentPolicy to_vm_only = {FALSE, TRUE, FALSE};
    vmc_relay_set_agent_policy(f->relay, &to_vm_only);
    Scenario sc = scenario_new();
    put_agent_message(sc.client_sends, SPICE_MSGC_MAIN_AGENT_DATA, VD_AGENT_CLIPBOARD, 12, 1);
    put_agent_message(sc.client_sends, SPICE_MSGC_MAIN_AGENT_DATA, VD_AGENT_CLIPBOARD_REQUEST, 4,
                      1);
    put_agent_message(sc.vm_expects, SPICE_MSGC_MAIN_AGENT_DATA, VD_AGENT_CLIPBOARD, 12, 1);
    put_token(sc.client_expects, 1);
    put_agent_message(sc.vm_sends, SPICE_MSG_MAIN_AGENT_DATA, VD_AGENT_CLIPBOARD_GRAB, 4, 1);
    put_agent_message(sc.vm_sends, SPICE_MSG_MAIN_AGENT_DATA, VD_AGENT_CLIPBOARD, 30, 1);
    put_agent_message(sc.vm_sends, SPICE_MSG_MAIN_AGENT_DATA, VD_AGENT_CLIPBOARD_REQUEST, 4, 1);
    put_agent_message(sc.client_expects, SPICE_MSG_MAIN_AGENT_DATA, VD_AGENT_CLIPBOARD_REQUEST, 4,
                      1);
    run_scenario(f, &sc);
    g_autoptr(VmcRelayStats) stats = vmc_relay_get_stats(f->relay);
    g_assert_cmpuint(stats->agent.clipboard_to_vm_dropped, ==, 0);
    g_assert_cmpuint(stats->agent.clipboard_from_vm_dropped, ==, 3);
    g_assert_cmpuint(stats->agent.bytes_dropped_from_vm, ==, 6 + 24 + 6 + 50);
}

/* A main channel the filter cannot follow is closed and counted; other
 * channels still splice. */
static void
test_agent_refused(Fixture *f, gconstpointer data)
{
    const VmcAgentPolicy deny = {FALSE, FALSE, FALSE};
    vmc_relay_set_agent_policy(f->relay, &deny);
    guint8 link[64];
    gsize link_length = make_link(link, VMC_SPICE_CHANNEL_MAIN);
    int fd = connect_to(f->relay_path);
    write_all(fd, link, link_length);
    int vm = accept_vm_iterating(f);
    /* the client speaks before the server's reply */
    write_all(fd, (const guint8 *)"early", 5);
    run_until(f, rejected_reaches, GUINT_TO_POINTER(1));
    vmc_assert_contains(f->last_detail, "agent policy");
    vmc_assert_contains(f->last_detail, "before the server's link reply");
    g_assert_cmpuint(read_to_end(fd), ==, 0);
    close(fd);
    close(vm);
    run_until(f, no_connections, NULL);
    g_autoptr(VmcRelayStats) stats = vmc_relay_get_stats(f->relay);
    g_assert_cmpuint(stats->agent.refused, ==, 1);
    g_assert_cmpuint(stats->rejected, ==, 1);
    g_assert_cmpuint(f->vm_closed, ==, 0);

    Exchange display_x = {.type = VMC_SPICE_CHANNEL_DISPLAY, .up_bytes = 10, .down_bytes = 100000};
    run_exchange(f, &display_x);
}

/* ---- clients added as fd pairs (an SSH channel's stdin and stdout) ---- */

typedef struct {
    Fixture *f;
    int client_write; /* the channel's input, toward the relay */
    int client_read;  /* the channel's output, from the relay */
    guint8 type;
    gsize up_bytes;
    gsize down_bytes;
    gsize client_got;
    gint done;
} PipeExchange;

static gpointer
pipe_client_thread(gpointer data)
{
    PipeExchange *x = data;
    guint8 link[64];
    gsize link_length = make_link(link, x->type);
    g_autofree guint8 *up = g_malloc(x->up_bytes + 1);
    fill_pattern(up, x->up_bytes, 3);
    g_assert_cmpint(write(x->client_write, link, link_length), ==, (gssize)link_length);
    for (gsize sent = 0; sent < x->up_bytes;) {
        ssize_t n = write(x->client_write, up + sent, x->up_bytes - sent);
        g_assert_cmpint(n, >, 0);
        sent += (gsize)n;
    }
    close(x->client_write); /* the channel's EOF */
    x->client_got = read_to_end(x->client_read);
    g_atomic_int_inc(&x->done);
    return NULL;
}

static gpointer
pipe_vm_thread(gpointer data)
{
    PipeExchange *x = data;
    int fd = accept_vm(x->f);
    guint8 link[64];
    gsize link_length = make_link(link, x->type);
    g_autofree guint8 *got = g_malloc(link_length + x->up_bytes);
    read_exact(fd, got, link_length + x->up_bytes);
    g_assert_cmpmem(got, link_length, link, link_length);
    g_assert_cmpuint(read_to_end(fd), ==, 0); /* the client's EOF arrives as a half-close */
    g_autofree guint8 *down = g_malloc(x->down_bytes + 1);
    fill_pattern(down, x->down_bytes, 5);
    write_all(fd, down, x->down_bytes);
    close(fd);
    g_atomic_int_inc(&x->done);
    return NULL;
}

static void
on_client_closed(gpointer data)
{
    (*(guint *)data)++;
}

static gboolean
both_done(Fixture *f, gpointer data)
{
    return g_atomic_int_get((gint *)data) == 2;
}

static void
open_pipes(int *in_pipe, int *out_pipe)
{
    g_assert_cmpint(pipe2(in_pipe, O_CLOEXEC), ==, 0);
    g_assert_cmpint(pipe2(out_pipe, O_CLOEXEC), ==, 0);
}

/* Bytes in by one pipe and out by another, with EOF both ways, counted as
 * the channel's; the closed callback once. */
static void
test_add_client_pipes(Fixture *f, gconstpointer data)
{
    int in_pipe[2], out_pipe[2];
    guint closed = 0;
    open_pipes(in_pipe, out_pipe);
    PipeExchange x = {.f = f,
                      .client_write = in_pipe[1],
                      .client_read = out_pipe[0],
                      .type = VMC_SPICE_CHANNEL_DISPLAY,
                      .up_bytes = 300000,
                      .down_bytes = 2000000};
    g_assert_true(
        vmc_relay_add_client(f->relay, in_pipe[0], out_pipe[1], on_client_closed, &closed, NULL));
    GThread *client = g_thread_new("pipe-client", pipe_client_thread, &x);
    GThread *vm = g_thread_new("pipe-vm", pipe_vm_thread, &x);
    run_until(f, both_done, &x.done);
    g_thread_join(client);
    g_thread_join(vm);
    run_until(f, no_connections, NULL);
    close(out_pipe[0]);

    g_assert_cmpuint(x.client_got, ==, 2000000);
    g_assert_cmpuint(closed, ==, 1);
    g_autoptr(VmcRelayStats) stats = vmc_relay_get_stats(f->relay);
    guint8 link[64];
    gsize link_length = make_link(link, VMC_SPICE_CHANNEL_DISPLAY);
    const VmcRelayChannelStats *display = &stats->channels[VMC_SPICE_CHANNEL_DISPLAY];
    g_assert_cmpuint(display->bytes_to_vm, ==, link_length + 300000);
    g_assert_cmpuint(display->bytes_from_vm, ==, 2000000);
    g_assert_cmpuint(display->connections, ==, 1);
    g_assert_cmpuint(stats->rejected, ==, 0);
}

/* A channel the allowlist refuses (usbredir here) is closed before a byte
 * reaches the VM, counted, and its closed callback told. */
static void
test_add_client_refused(Fixture *f, gconstpointer data)
{
    int in_pipe[2], out_pipe[2];
    guint closed = 0;
    guint8 link[64];
    gsize link_length = make_link(link, VMC_SPICE_CHANNEL_USBREDIR);
    open_pipes(in_pipe, out_pipe);
    g_assert_true(
        vmc_relay_add_client(f->relay, in_pipe[0], out_pipe[1], on_client_closed, &closed, NULL));
    g_assert_cmpint(write(in_pipe[1], link, link_length), ==, (gssize)link_length);
    run_until(f, rejected_reaches, GUINT_TO_POINTER(1));
    g_assert_cmpuint(closed, ==, 1);
    g_assert_cmpuint(read_to_end(out_pipe[0]), ==, 0);
    assert_vm_saw_nothing(f);
    vmc_assert_contains(f->last_detail, "usbredir");
    close(in_pipe[1]);
    close(out_pipe[0]);
}

/* At the connection bound an added client is refused at once. */
static void
test_add_client_bound(Fixture *f, gconstpointer data)
{
    int fds[VMC_RELAY_MAX_CONNECTIONS][2];
    for (guint i = 0; i < VMC_RELAY_MAX_CONNECTIONS; i++) {
        g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds[i]), ==, 0);
        g_assert_true(vmc_relay_add_client(f->relay, fds[i][0], fds[i][0], NULL, NULL, NULL));
    }
    int extra[2];
    g_autoptr(GError) error = NULL;
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, extra), ==, 0);
    g_assert_false(vmc_relay_add_client(f->relay, extra[0], extra[0], NULL, NULL, &error));
    g_assert_nonnull(error);
    g_assert_cmpuint(f->rejected, ==, 1);
    g_assert_cmpuint(read_to_end(extra[1]), ==, 0);
    close(extra[1]);
    for (guint i = 0; i < VMC_RELAY_MAX_CONNECTIONS; i++)
        close(fds[i][1]);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
    ADD("/spice/relay/forward", test_forward);
    ADD("/spice/relay/last-to-vm", test_last_to_vm);
    ADD("/spice/relay/bad-headers", test_bad_headers);
    ADD("/spice/relay/link-deadline", test_link_deadline);
    ADD("/spice/relay/wrong-pid", test_wrong_pid);
    ADD("/spice/relay/backpressure", test_backpressure);
    ADD("/spice/relay/stalled-no-spin", test_stalled_no_spin);
    ADD("/spice/relay/vm-closed", test_vm_closed);
    ADD("/spice/relay/vm-gone", test_vm_gone);
    ADD("/spice/relay/client-gone", test_client_gone);
    ADD("/spice/relay/max-connections", test_max_connections);
    ADD("/spice/relay/series", test_series);
    ADD("/spice/relay/stream/unix", test_stream_unix);
    ADD("/spice/relay/stream/tcp", test_stream_tcp);
    ADD("/spice/relay/stream/x11-input", test_stream_x11_input);
    ADD("/spice/relay/stream/refused", test_stream_refused);
    ADD("/spice/relay/stream/bounds", test_stream_bounds);
    ADD("/spice/relay/peer-check", test_peer_check);
    ADD("/spice/relay/agent/file-transfer", test_agent_file_transfer);
    ADD("/spice/relay/agent/clipboard", test_agent_clipboard);
    ADD("/spice/relay/agent/refused", test_agent_refused);
    ADD("/spice/relay/main-name", test_main_name);
    ADD("/spice/relay/add-client/pipes", test_add_client_pipes);
    ADD("/spice/relay/add-client/refused", test_add_client_refused);
    ADD("/spice/relay/add-client/bound", test_add_client_bound);
#undef ADD
    g_test_add_func("/spice/relay/rate/basic", test_rate_basic);
    g_test_add_func("/spice/relay/rate/downsample", test_rate_downsample);
    return g_test_run();
}
