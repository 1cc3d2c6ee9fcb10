/* guard.c — what reaches the laptop's sound server through the tunnel goes
 * through here first (see pulse-priv.h): a loopback listener that admits a
 * connection only when its first packet is an AUTH with our cookie (with
 * the shared-memory flags taken out), then passes on, frame by frame, only
 * the commands native-policy.c allows; every other command is answered
 * "access denied" in the server's place and counted. The server's frames
 * come back whole, so a refusal never lands inside one. Plain read/write
 * with bounded buffers: sound is a few hundred KiB/s. */
#include "pulse-priv.h"

#include <errno.h>
#include <glib-unix.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

enum { TUNNEL, SERVER };

#define IN_CAP_TUNNEL (VMC_PULSE_FRAME_HEADER + VMC_PULSE_CLIENT_FRAME_MAX)
#define IN_CAP_SERVER (VMC_PULSE_FRAME_HEADER + VMC_PULSE_SERVER_FRAME_MAX)

typedef struct {
    guint8 *data;
    gsize length, cap; /* bytes waiting: data[0, length) */
} Buffer;

typedef struct {
    VmcPulseGuard *guard;
    int fd[2]; /* TUNNEL: the client's side, SERVER: the sound server */
    guint watch[2];
    GIOCondition watching[2];
    Buffer in[2];  /* in[i]: read from fd[i], not judged yet */
    Buffer out[2]; /* out[i]: to be written to fd[i] */
    gboolean eof[2], shut[2];
    gboolean admitted;
    guint deadline;
    VmcPulsePolicy policy;
} Conn;

struct _VmcPulseGuard {
    int listen_fd;
    guint listen_watch;
    guint16 port, target_port;
    char *target_path; /* the server's Unix socket, or NULL: 127.0.0.1:target_port */
    guint8 cookie[VMC_PULSE_COOKIE_SIZE];
    gboolean record;
    GPtrArray *conns;
    guint refused;
    guint refused_commands[VMC_PULSE_COMMAND_MAX + 1]; /* the last: unknown numbers */
};

static void conn_update(Conn *conn);

static void
buffer_init(Buffer *b, gsize cap)
{
    b->data = g_realloc(b->data, cap);
    b->cap = cap;
}

/* Append n bytes if they fit. */
static gboolean
buffer_put(Buffer *b, const void *data, gsize n)
{
    if (b->cap - b->length < n)
        return FALSE;
    memcpy(b->data + b->length, data, n);
    b->length += n;
    return TRUE;
}

static void
buffer_drop(Buffer *b, gsize n)
{
    memmove(b->data, b->data + n, b->length - n);
    b->length -= n;
}

static void
conn_close(Conn *conn)
{
    for (int i = 0; i < 2; i++) {
        if (conn->watch[i] != 0)
            g_source_remove(conn->watch[i]);
        if (conn->fd[i] >= 0)
            close(conn->fd[i]);
        g_free(conn->in[i].data);
        g_free(conn->out[i].data);
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
        (void)!send(conn->fd[TUNNEL], reply, length, MSG_DONTWAIT | MSG_NOSIGNAL);
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
    struct sockaddr_in in = {.sin_family = AF_INET,
                             .sin_port = htons(guard->target_port),
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
    if (fd < 0 || connect(fd, addr, length) != 0 || !g_unix_set_fd_nonblocking(fd, TRUE, NULL)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* The AUTH packet, judged: pass it on without the shared-memory flags of
 * its version (a client through a tunnel cannot share memory, and a server
 * that believed it could would take block references from it). */
static gboolean
admit(Conn *conn, gsize packet)
{
    /* 'L' AUTH, 'L' tag, 'L' version: the version's u32 starts at byte 11 */
    conn->in[TUNNEL].data[VMC_PULSE_FRAME_HEADER + 11] &=
        (guint8) ~(VMC_PULSE_VERSION_FLAGS_MASK >> 24);
    conn->fd[SERVER] = connect_target(conn->guard);
    if (conn->fd[SERVER] < 0)
        return FALSE;
    buffer_init(&conn->in[TUNNEL], IN_CAP_TUNNEL);
    buffer_init(&conn->out[SERVER], IN_CAP_TUNNEL);
    buffer_init(&conn->in[SERVER], IN_CAP_SERVER);
    buffer_init(&conn->out[TUNNEL], IN_CAP_SERVER + VMC_PULSE_REFUSAL_SIZE);
    buffer_put(&conn->out[SERVER], conn->in[TUNNEL].data, packet);
    buffer_drop(&conn->in[TUNNEL], packet);
    conn->policy.record = conn->guard->record;
    conn->admitted = TRUE;
    g_source_remove(conn->deadline);
    conn->deadline = 0;
    return TRUE;
}

/* Before admission: the first packet so far is in in[TUNNEL]. FALSE: closed. */
static gboolean
judge(Conn *conn)
{
    Buffer *in = &conn->in[TUNNEL];
    gsize packet = 0;
    guint32 tag = 0;
    gboolean tag_known = FALSE;
    switch (vmc_pulse_auth_judge(in->data, in->length, conn->guard->cookie, &packet, &tag,
                                 &tag_known)) {
    case VMC_PULSE_AUTH_MORE:
        if (!conn->eof[TUNNEL] && in->length < VMC_PULSE_AUTH_MAX)
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
    if (admit(conn, packet))
        return TRUE;
    conn_close(conn);
    return FALSE;
}

/* The client's complete frames, judged, into out[SERVER] (or a refusal into
 * out[TUNNEL]) while there is room. FALSE: the client broke the protocol. */
static gboolean
take_client_frames(Conn *conn)
{
    Buffer *in = &conn->in[TUNNEL];
    VmcPulseFrame frame;
    for (;;) {
        VmcPulseFrameVerdict v =
            vmc_pulse_frame_parse(in->data, in->length, VMC_PULSE_CLIENT_FRAME_MAX, &frame);
        if (v == VMC_PULSE_FRAME_MORE)
            return TRUE;
        if (v == VMC_PULSE_FRAME_BAD)
            return FALSE;
        guint32 command = 0, tag = 0;
        VmcPulseVerdict verdict = VMC_PULSE_PASS;
        if (frame.is_packet) {
            VmcPulsePolicy before = conn->policy;
            verdict = vmc_pulse_policy_client_packet(&conn->policy, frame.payload,
                                                     frame.payload_length, &command, &tag);
            if (verdict != VMC_PULSE_DROP &&
                conn->out[verdict == VMC_PULSE_PASS ? SERVER : TUNNEL].cap -
                        conn->out[verdict == VMC_PULSE_PASS ? SERVER : TUNNEL].length <
                    (verdict == VMC_PULSE_PASS ? frame.size : VMC_PULSE_REFUSAL_SIZE)) {
                conn->policy = before; /* no room yet: judged again later */
                return TRUE;
            }
        }
        if (verdict == VMC_PULSE_DROP)
            return FALSE;
        if (verdict == VMC_PULSE_REFUSE) {
            guint8 reply[VMC_PULSE_REFUSAL_SIZE];
            vmc_pulse_error_reply(tag, VMC_PULSE_ERROR_ACCESS, reply);
            buffer_put(&conn->out[TUNNEL], reply, sizeof reply);
            conn->guard->refused_commands[MIN(command, (guint32)VMC_PULSE_COMMAND_MAX)]++;
        } else if (!buffer_put(&conn->out[SERVER], in->data, frame.size)) {
            return TRUE; /* audio: no room yet */
        }
        buffer_drop(in, frame.size);
    }
}

/* The server's complete frames into out[TUNNEL], learning from its replies. */
static gboolean
take_server_frames(Conn *conn)
{
    Buffer *in = &conn->in[SERVER];
    VmcPulseFrame frame;
    for (;;) {
        VmcPulseFrameVerdict v =
            vmc_pulse_frame_parse(in->data, in->length, VMC_PULSE_SERVER_FRAME_MAX, &frame);
        if (v == VMC_PULSE_FRAME_MORE)
            return TRUE;
        if (v == VMC_PULSE_FRAME_BAD)
            return FALSE;
        if (!buffer_put(&conn->out[TUNNEL], in->data, frame.size))
            return TRUE;
        if (frame.is_packet)
            vmc_pulse_policy_server_packet(&conn->policy, frame.payload, frame.payload_length);
        buffer_drop(in, frame.size);
    }
}

/* Read from fd[i] while there is room. FALSE: an error (closed). */
static gboolean
read_side(Conn *conn, int i, gboolean *progress)
{
    Buffer *b = &conn->in[i];
    gsize cap = conn->admitted ? b->cap : VMC_PULSE_AUTH_MAX;
    while (!conn->eof[i] && conn->fd[i] >= 0 && b->length < cap) {
        ssize_t n = recv(conn->fd[i], b->data + b->length, cap - b->length, MSG_DONTWAIT);
        if (n > 0) {
            b->length += (gsize)n;
            *progress = TRUE;
        } else if (n == 0) {
            conn->eof[i] = TRUE;
            *progress = TRUE;
        } else if (errno == EINTR) {
            continue;
        } else {
            return errno == EAGAIN || errno == EWOULDBLOCK;
        }
    }
    return TRUE;
}

/* Write out[i] to fd[i]; pass an EOF on once nothing more can come. */
static gboolean
write_side(Conn *conn, int i, gboolean *progress)
{
    Buffer *b = &conn->out[i];
    while (b->length > 0) {
        ssize_t n = send(conn->fd[i], b->data, b->length, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            buffer_drop(b, (gsize)n);
            *progress = TRUE;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
        }
    }
    int from = 1 - i;
    VmcPulseFrame frame;
    gsize max = from == TUNNEL ? VMC_PULSE_CLIENT_FRAME_MAX : VMC_PULSE_SERVER_FRAME_MAX;
    /* nothing whole left to pass on (a partial frame left behind is dropped) */
    if (conn->eof[from] && !conn->shut[i] &&
        vmc_pulse_frame_parse(conn->in[from].data, conn->in[from].length, max, &frame) !=
            VMC_PULSE_FRAME_OK) {
        shutdown(conn->fd[i], SHUT_WR);
        conn->shut[i] = TRUE;
        *progress = TRUE;
    }
    return TRUE;
}

/* Move what can be moved now. FALSE: the connection is over (closed). */
static gboolean
pump(Conn *conn)
{
    gboolean progress = TRUE;
    while (progress) {
        progress = FALSE;
        if (!read_side(conn, TUNNEL, &progress) ||
            (conn->admitted && !read_side(conn, SERVER, &progress))) {
            conn_close(conn);
            return FALSE;
        }
        if (!conn->admitted) {
            if (!judge(conn))
                return FALSE;
            if (!conn->admitted)
                return TRUE;
            progress = TRUE;
        }
        if (!take_client_frames(conn) || !take_server_frames(conn) ||
            !write_side(conn, SERVER, &progress) || !write_side(conn, TUNNEL, &progress)) {
            conn_close(conn);
            return FALSE;
        }
    }
    if (conn->shut[TUNNEL] && conn->shut[SERVER]) {
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
        gsize cap = conn->admitted ? conn->in[i].cap : VMC_PULSE_AUTH_MAX;
        if (conn->fd[i] < 0)
            continue;
        if (!conn->eof[i] && conn->in[i].length < cap)
            want |= G_IO_IN;
        if (conn->out[i].length > 0)
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
    conn->fd[TUNNEL] = client;
    conn->fd[SERVER] = -1;
    buffer_init(&conn->in[TUNNEL], VMC_PULSE_AUTH_MAX);
    conn->deadline = g_timeout_add(VMC_PULSE_GUARD_AUTH_MS, on_deadline, conn);
    g_ptr_array_add(guard->conns, conn);
    conn_update(conn);
    return G_SOURCE_CONTINUE;
}

VmcPulseGuard *
vmc_pulse_guard_new(const char *target_path, guint16 target_port, const guint8 *cookie,
                    gboolean record, GError **error)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof addr;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &length) != 0) {
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
    guard->record = record;
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

char *
vmc_pulse_guard_refused_commands(const VmcPulseGuard *guard)
{
    g_autoptr(GString) text = g_string_new(NULL);
    guint total = 0;
    for (guint32 c = 0; c <= VMC_PULSE_COMMAND_MAX; c++) {
        guint n = guard->refused_commands[c];
        if (n == 0)
            continue;
        total += n;
        g_string_append_printf(text, "%s%s %u", text->len > 0 ? ", " : "",
                               vmc_pulse_command_name(c), n);
    }
    if (total == 0)
        return NULL;
    return g_strdup_printf("%u command%s (%s)", total, total == 1 ? "" : "s", text->str);
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
