/* session-native.c — the session's side of native mode: attach processes
 * (further exec channels of the same SSH connection) connect to
 * VMC_NATIVE_SOCKET in the session dir, describe themselves (native.h) and
 * hand over their stdin and stdout with SCM_RIGHTS; each one that matches
 * the session becomes a client of the session's relay, so the link check,
 * the counting and the policies are the relay's as for any viewer. The
 * control connection stays open as long as that relay connection: its end
 * tells the attach process to exit (it must live as long as its channel).
 * Handing over rather than relaying in the attach process: measured by
 * tests/bench/bench-attach.c (half the CPU, more throughput). */
#include "session-priv.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

typedef struct _Attach Attach;

struct _VmcNativeServer {
    VmcNativePeer peer; /* who may attach */
    VmcRelay *relay;
    int listen_fd;
    guint listen_source;
    GPtrArray *attaches; /* of Attach, owned */
};

struct _Attach {
    VmcNativeServer *server;
    int fd;         /* the control connection; -1 once closed */
    guint source;   /* its handshake (or hang-up) watch */
    guint timeout;  /* the handshake's deadline */
    gboolean added; /* its fds are a relay connection */
};

static void
attach_close_control(Attach *attach)
{
    if (attach->source != 0)
        g_source_remove(attach->source);
    if (attach->timeout != 0)
        g_source_remove(attach->timeout);
    attach->source = attach->timeout = 0;
    if (attach->fd >= 0)
        close(attach->fd);
    attach->fd = -1;
}

/* Done with an attach: its control connection closed, forgotten. */
static void
attach_drop(Attach *attach)
{
    attach_close_control(attach);
    g_ptr_array_remove_fast(attach->server->attaches, attach);
    g_free(attach);
}

/* The relay connection ended: the attach process may exit now. */
static void
on_attach_closed(gpointer data)
{
    attach_drop(data);
}

static gboolean
on_attach_hangup(gint fd, GIOCondition condition, gpointer data)
{
    Attach *attach = data;
    attach->source = 0;
    /* the attach process is gone; its channel's fds are the relay's until they end */
    attach_close_control(attach);
    return G_SOURCE_REMOVE;
}

static void
answer(Attach *attach, const char *text)
{
    (void)send(attach->fd, text, strlen(text), MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* Read the one message: the description and exactly two fds. The fds come
 * back in ret_fds (-1 when absent); FALSE when the message is malformed. */
static gboolean
receive_message(int fd, char *text, gsize size, gsize *ret_length, int *ret_fds)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * 2)];
        struct cmsghdr align;
    } control;
    struct iovec iov = {text, size};
    struct msghdr msg = {.msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = control.buf,
                         .msg_controllen = sizeof control.buf};
    ret_fds[0] = ret_fds[1] = -1;
    ssize_t n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (n <= 0)
        return FALSE;
    guint got = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        gsize count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (gsize i = 0; i < count; i++) {
            int passed;
            memcpy(&passed, CMSG_DATA(c) + i * sizeof(int), sizeof passed);
            if (got < 2)
                ret_fds[got] = passed;
            else
                close(passed);
            got++;
        }
    }
    *ret_length = (gsize)n;
    return got == 2 && (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) == 0;
}

/* The attach's message: check it against the session, then hand its fds to
 * the relay; answer "y", or "n" and why (for the attach's denied record). */
static gboolean
on_attach_message(gint fd, GIOCondition condition, gpointer data)
{
    Attach *attach = data;
    VmcNativeServer *server = attach->server;
    char text[VMC_NATIVE_TEXT_MAX + 1];
    gsize length = 0;
    int fds[2];
    gboolean ok = receive_message(fd, text, sizeof text, &length, fds);
    VmcNativePeer peer = {0};
    const char *why = !ok ? "a malformed attach message"
                      : !vmc_native_peer_parse(text, length, &peer, NULL)
                          ? "a malformed attach description"
                          : vmc_native_mismatch(&server->peer, &peer);
    vmc_native_peer_clear(&peer);
    attach->source = 0;
    g_source_remove(attach->timeout);
    attach->timeout = 0;
    if (why != NULL) {
        for (guint i = 0; i < 2; i++)
            if (fds[i] >= 0)
                close(fds[i]);
        g_autofree char *no = g_strdup_printf("n%s", why);
        answer(attach, no);
        attach_drop(attach);
        return G_SOURCE_REMOVE;
    }
    g_autoptr(GError) error = NULL;
    if (!vmc_relay_add_client(server->relay, fds[0], fds[1], on_attach_closed, attach, &error)) {
        g_autofree char *no = g_strdup_printf("n%s", error->message);
        answer(attach, no);
        attach_drop(attach);
        return G_SOURCE_REMOVE;
    }
    attach->added = TRUE;
    answer(attach, "y");
    attach->source = g_unix_fd_add(fd, G_IO_HUP | G_IO_ERR, on_attach_hangup, attach);
    return G_SOURCE_REMOVE;
}

static gboolean
on_attach_timeout(gpointer data)
{
    Attach *attach = data;
    attach->timeout = 0;
    attach_drop(attach);
    return G_SOURCE_REMOVE;
}

/* Only the account's own processes (the gateway's attach processes) reach
 * the socket in the 0700 session dir; checked again here. */
static gboolean
peer_is_ours(int fd)
{
    struct ucred credentials;
    socklen_t length = sizeof credentials;
    return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0 &&
           credentials.uid == geteuid();
}

static gboolean
on_attach_connect(gint listen_fd, GIOCondition condition, gpointer data)
{
    VmcNativeServer *server = data;
    int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0)
        return G_SOURCE_CONTINUE;
    if (server->attaches->len >= VMC_NATIVE_ATTACH_MAX || !peer_is_ours(fd)) {
        const char *no = "ntoo many attached channels, or not the gateway's account";
        (void)send(fd, no, strlen(no), MSG_NOSIGNAL | MSG_DONTWAIT);
        close(fd);
        return G_SOURCE_CONTINUE;
    }
    Attach *attach = g_new0(Attach, 1);
    attach->server = server;
    attach->fd = fd;
    attach->source = g_unix_fd_add(fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_attach_message, attach);
    attach->timeout = g_timeout_add(VMC_NATIVE_HANDSHAKE_TIMEOUT_MS, on_attach_timeout, attach);
    g_ptr_array_add(server->attaches, attach);
    return G_SOURCE_CONTINUE;
}

VmcNativeServer *
vmc_native_server_start(const char *dir, const VmcNativePeer *peer, VmcRelay *relay, GError **error)
{
    g_autofree char *info_path = g_build_filename(dir, VMC_NATIVE_INFO_FILE, NULL);
    g_autofree char *socket_path = g_build_filename(dir, VMC_NATIVE_SOCKET, NULL);
    g_autofree char *text = vmc_native_peer_format(peer);
    /* the socket first: an attach that finds the description finds it listening */
    int fd = vmc_session_listen(socket_path, SOCK_SEQPACKET, error);
    if (fd < 0)
        return NULL;
    if (!g_file_set_contents_full(info_path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                  error)) {
        close(fd);
        return NULL;
    }
    VmcNativeServer *server = g_new0(VmcNativeServer, 1);
    server->peer =
        (VmcNativePeer){g_strdup(peer->token_sha256), g_strdup(peer->connection),
                        g_strdup(peer->key), g_strdup(peer->identity), g_strdup(peer->vm)};
    server->relay = relay;
    server->listen_fd = fd;
    server->listen_source = g_unix_fd_add(fd, G_IO_IN, on_attach_connect, server);
    server->attaches = g_ptr_array_new();
    return server;
}

guint
vmc_native_server_n_attached(const VmcNativeServer *server)
{
    guint n = 0;
    for (guint i = 0; i < server->attaches->len; i++)
        n += ((const Attach *)server->attaches->pdata[i])->added;
    return n;
}

void
vmc_native_server_free(VmcNativeServer *server)
{
    if (server == NULL)
        return;
    g_source_remove(server->listen_source);
    close(server->listen_fd);
    while (server->attaches->len > 0)
        attach_drop(server->attaches->pdata[server->attaches->len - 1]);
    g_ptr_array_unref(server->attaches);
    vmc_native_peer_clear(&server->peer);
    g_free(server);
}
