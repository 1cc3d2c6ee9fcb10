/* guard.c — the cookie check PipeWire's pulse server does not do, done in
 * front of it: a loopback listener that admits a connection only when its
 * first packet is an AUTH with our cookie, then relays it to the server's
 * anonymous endpoint (see pulse-priv.h). Plain read/write with bounded
 * buffers: sound is a few hundred KiB/s. */
#include "pulse-priv.h"

#include <errno.h>
#include <glib-unix.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

typedef struct {
    guint8 *data;
    gsize start, end;   /* bytes waiting: data[start, end) */
    gboolean eof;       /* the source side ended */
    gboolean shut;      /* ... and that was passed on */
} Buffer;

typedef struct {
    VmcPulseGuard *guard;
    int fd[2];          /* 0: the tunnel's side, 1: the sound server */
    guint watch[2];
    GIOCondition watching[2];
    Buffer toward[2];   /* toward[i]: bytes to write to fd[i] */
    gboolean admitted;
    guint deadline;
} Conn;

struct _VmcPulseGuard {
    int listen_fd;
    guint listen_watch;
    guint16 port, target_port;
    char *target_path; /* the server's Unix socket, or NULL: 127.0.0.1:target_port */
    guint8 cookie[VMC_PULSE_COOKIE_SIZE];
    GPtrArray *conns;
    guint refused;
};

static void conn_update(Conn *conn);

static void
conn_close(Conn *conn)
{
    for (int i = 0; i < 2; i++) {
        if (conn->watch[i] != 0)
            g_source_remove(conn->watch[i]);
        if (conn->fd[i] >= 0)
            close(conn->fd[i]);
        g_free(conn->toward[i].data);
    }
    if (conn->deadline != 0)
        g_source_remove(conn->deadline);
    g_ptr_array_remove_fast(conn->guard->conns, conn);
    g_free(conn);
}

static void
refuse(Conn *conn, const guint8 *reply, gsize length)
{
    conn->guard->refused++;
    if (reply != NULL) /* best effort: the socket is fresh, its buffer empty */
        (void)!send(conn->fd[0], reply, length, MSG_DONTWAIT | MSG_NOSIGNAL);
    conn_close(conn);
}

static gboolean
on_deadline(gpointer data)
{
    Conn *conn = data;
    conn->deadline = 0;
    refuse(conn, NULL, 0);
    return G_SOURCE_REMOVE;
}

static int
connect_target(const VmcPulseGuard *guard)
{
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(guard->target_port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    struct sockaddr *addr = (struct sockaddr *)&in;
    socklen_t length = sizeof in;
    if (guard->target_path != NULL) {
        g_strlcpy(un.sun_path, guard->target_path, sizeof un.sun_path);
        addr = (struct sockaddr *)&un;
        length = sizeof un;
    }
    int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    /* a local server: the connect completes at once or fails at once */
    if (fd < 0 || connect(fd, addr, length) != 0 ||
        !g_unix_set_fd_nonblocking(fd, TRUE, NULL)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* Before admission: the first packet so far is in toward[1]. FALSE: closed. */
static gboolean
judge(Conn *conn)
{
    Buffer *in = &conn->toward[1];
    gsize packet = 0;
    guint32 tag = 0;
    gboolean tag_known = FALSE;
    switch (vmc_pulse_auth_judge(in->data, in->end, conn->guard->cookie, &packet, &tag,
                                 &tag_known)) {
    case VMC_PULSE_AUTH_MORE:
        if (!in->eof && in->end < VMC_PULSE_AUTH_MAX)
            return TRUE;
        refuse(conn, NULL, 0);
        return FALSE;
    case VMC_PULSE_AUTH_BAD:
        if (tag_known) {
            guint8 reply[VMC_PULSE_REFUSAL_SIZE];
            vmc_pulse_auth_refusal(tag, reply);
            refuse(conn, reply, sizeof reply);
        } else {
            refuse(conn, NULL, 0);
        }
        return FALSE;
    case VMC_PULSE_AUTH_OK:
        break;
    }
    conn->fd[1] = connect_target(conn->guard);
    if (conn->fd[1] < 0) {
        conn_close(conn);
        return FALSE;
    }
    conn->admitted = TRUE;
    g_source_remove(conn->deadline);
    conn->deadline = 0;
    return TRUE; /* the packet and whatever followed it go on as they are */
}

/* Move what can be moved now. FALSE: the connection is over (closed). */
static gboolean
pump(Conn *conn)
{
    gboolean progress = TRUE;
    while (progress) {
        progress = FALSE;
        for (int to = 0; to < 2; to++) {
            int from = 1 - to;
            Buffer *b = &conn->toward[to];
            /* write what waits */
            if (conn->admitted || to == 0) {
                while (b->start < b->end && conn->fd[to] >= 0) {
                    ssize_t n = send(conn->fd[to], b->data + b->start, b->end - b->start,
                                     MSG_DONTWAIT | MSG_NOSIGNAL);
                    if (n > 0) {
                        b->start += (gsize)n;
                        progress = TRUE;
                    } else if (n < 0 && errno == EINTR) {
                        continue;
                    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                        break;
                    } else {
                        conn_close(conn);
                        return FALSE;
                    }
                }
                if (b->start == b->end) {
                    b->start = b->end = 0;
                    if (b->eof && !b->shut && conn->fd[to] >= 0) {
                        shutdown(conn->fd[to], SHUT_WR);
                        b->shut = TRUE;
                    }
                }
            }
            /* read while there is room (before admission, only the first packet's bound) */
            gsize room_end = conn->admitted ? VMC_PULSE_GUARD_BUFFER : VMC_PULSE_AUTH_MAX;
            if (b->eof || conn->fd[from] < 0 || b->end >= room_end)
                continue;
            ssize_t n = recv(conn->fd[from], b->data + b->end, room_end - b->end, MSG_DONTWAIT);
            if (n > 0) {
                b->end += (gsize)n;
                progress = TRUE;
            } else if (n == 0) {
                b->eof = TRUE;
                progress = TRUE;
            } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                conn_close(conn);
                return FALSE;
            }
            if (!conn->admitted && to == 1 && (n > 0 || b->eof) && !judge(conn))
                return FALSE;
        }
    }
    if (conn->toward[0].shut && conn->toward[1].shut) {
        conn_close(conn);
        return FALSE;
    }
    return TRUE;
}

static gboolean
on_ready(gint fd, GIOCondition condition, gpointer data)
{
    (void)fd;
    (void)condition;
    Conn *conn = data;
    if (pump(conn))
        conn_update(conn);
    return G_SOURCE_CONTINUE;
}

/* Watch for input where there is room, for output where bytes wait. */
static void
conn_update(Conn *conn)
{
    for (int i = 0; i < 2; i++) {
        GIOCondition want = 0;
        Buffer *out = &conn->toward[i], *in = &conn->toward[1 - i];
        gsize room_end = conn->admitted ? VMC_PULSE_GUARD_BUFFER : VMC_PULSE_AUTH_MAX;
        if (conn->fd[i] < 0)
            continue;
        if (!in->eof && in->end < room_end)
            want |= G_IO_IN;
        if (out->start < out->end)
            want |= G_IO_OUT;
        if (want == conn->watching[i] && (want == 0) == (conn->watch[i] == 0))
            continue;
        if (conn->watch[i] != 0) {
            /* g_source_remove from inside the source's own callback is allowed */
            g_source_remove(conn->watch[i]);
            conn->watch[i] = 0;
        }
        conn->watching[i] = want;
        if (want != 0)
            conn->watch[i] = g_unix_fd_add(conn->fd[i], want, on_ready, conn);
    }
}

static gboolean
on_accept(gint fd, GIOCondition condition, gpointer data)
{
    (void)condition;
    VmcPulseGuard *guard = data;
    int client = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (client < 0)
        return G_SOURCE_CONTINUE;
    if (guard->conns->len >= VMC_PULSE_GUARD_CONNS_MAX) {
        guard->refused++;
        close(client);
        return G_SOURCE_CONTINUE;
    }
    Conn *conn = g_new0(Conn, 1);
    conn->guard = guard;
    conn->fd[0] = client;
    conn->fd[1] = -1;
    for (int i = 0; i < 2; i++)
        conn->toward[i].data = g_malloc(VMC_PULSE_GUARD_BUFFER);
    conn->deadline = g_timeout_add(VMC_PULSE_GUARD_AUTH_MS, on_deadline, conn);
    g_ptr_array_add(guard->conns, conn);
    conn_update(conn);
    return G_SOURCE_CONTINUE;
}

VmcPulseGuard *
vmc_pulse_guard_new(const char *target_path, guint16 target_port, const guint8 *cookie,
                    GError **error)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof addr;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(fd, 16) != 0 || getsockname(fd, (struct sockaddr *)&addr, &length) != 0) {
        int saved = errno;
        if (fd >= 0)
            close(fd);
        g_set_error(error, VMC_PULSE_ERROR, VMC_PULSE_ERROR_MODULE,
                    "cannot listen on 127.0.0.1 for the sound tunnel: %s", g_strerror(saved));
        return NULL;
    }
    VmcPulseGuard *guard = g_new0(VmcPulseGuard, 1);
    guard->listen_fd = fd;
    guard->port = ntohs(addr.sin_port);
    guard->target_port = target_port;
    guard->target_path = g_strdup(target_path);
    memcpy(guard->cookie, cookie, sizeof guard->cookie);
    guard->conns = g_ptr_array_new();
    guard->listen_watch = g_unix_fd_add(fd, G_IO_IN, on_accept, guard);
    return guard;
}

guint16
vmc_pulse_guard_get_port(const VmcPulseGuard *guard)
{
    return guard->port;
}

guint
vmc_pulse_guard_get_refused(const VmcPulseGuard *guard)
{
    return guard->refused;
}

void
vmc_pulse_guard_free(VmcPulseGuard *guard)
{
    if (guard == NULL)
        return;
    while (guard->conns->len > 0)
        conn_close(g_ptr_array_index(guard->conns, guard->conns->len - 1));
    g_ptr_array_unref(guard->conns);
    g_source_remove(guard->listen_watch);
    close(guard->listen_fd);
    memset(guard->cookie, 0, sizeof guard->cookie);
    g_free(guard->target_path);
    g_free(guard);
}
