/* relay.c — the byte-counting Spice relay: accept from an admitted peer,
 * check the link message before a byte is forwarded, connect to the pinned VM
 * socket, then move bytes both ways through two bounded buffers per
 * connection, counting per channel type and per second. Plain streams (the
 * session's X11 and sound) use the same machinery without the link phase,
 * each with its own listener and target.
 *
 * Each connection is one GSource holding its two fds; what it polls for
 * follows the buffers (no input watched while the buffer toward the other
 * side is full: backpressure), and an fd with nothing to wait for is not
 * polled at all, so a hung-up peer can't make the loop spin. The link
 * deadline and connect retries use the same source's ready time. The hot
 * path reads and sends straight through the buffers: no allocation, no
 * logging.
 *
 * Under an agent policy that denies something, main-channel connections are
 * not spliced: each direction is read into a bounded buffer, fed to the agent
 * filter (agent-filter.c) and sent from the filter's bounded output, the
 * same polling rules giving backpressure. The main channel carries little.
 *
 * An X11 stream's connections are still spliced, but each read is peeked
 * first (MSG_PEEK into one relay-wide buffer) and exactly the bytes the
 * splice then moved are fed to an X11 input follower (x11/): the person's
 * key, button and motion events give the stream its last-input time. */
#include "relay-priv.h"
#include "agent-filter-priv.h"
#include "vmc-x11.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define ACCEPTS_PER_DISPATCH 16
/* Reads per direction per dispatch, so that one busy connection can't starve
 * the others (16 x 64 KiB). */
#define READS_PER_DISPATCH 16
/* A full VM backlog (EAGAIN on an AF_UNIX connect) is retried briefly. */
#define CONNECT_TRIES 20
#define CONNECT_RETRY_US (5 * 1000)

typedef enum {
    CONN_LINK,       /* reading the client's link message */
    CONN_CONNECTING, /* connecting to the target (retrying a full backlog, or a TCP handshake) */
    CONN_RELAY,
} ConnState;

/* A listening socket and where its connections go: the Spice listener
 * (stream -1) to the pinned VM socket, a stream's to its target. */
typedef struct {
    VmcRelay *relay;
    int fd;
    GSource *source;
    int stream; /* index into VmcRelay.streams, or -1 for Spice */
    struct sockaddr_storage target;
    socklen_t target_length;
} Listener;

typedef struct {
    char name[VMC_RELAY_STREAM_NAME_MAX];
    guint64 bytes_to_target;
    guint64 bytes_from_target;
    guint connections;
    guint failed;
    VmcRelayRate rate;
    gboolean x11_input; /* follow its connections for the person's input */
    guint64 input_events;
    guint unfollowed;
} Stream;

/* The link message, plus whatever came with it, read before relaying. */
#define LINK_READ_MAX (VMC_SPICE_LINK_HEADER_SIZE + VMC_SPICE_LINK_MESS_MAX)
/* Bytes read and not yet taken by the agent filter, per direction. */
#define FILTER_INPUT_SIZE (16 * 1024)
/* Rounds of both directions per dispatch, so that what one direction's
 * filter injects into the other goes out at once. */
#define FILTER_ROUNDS 4

/* A filtered main channel: what was read, by VmcAgentDirection. */
typedef struct {
    VmcAgentFilter *filter;
    guint8 input[2][FILTER_INPUT_SIZE];
    gsize input_start[2];
    gsize input_end[2];
} AgentPath;

/* One direction: the link bytes first (from Conn.link, up only), then bytes
 * spliced socket -> pipe -> socket, the pipe being the bounded buffer. */
typedef struct {
    gsize start; /* link bytes still to send are link[start..end) */
    gsize end;
    int fds[2]; /* the pipe; -1 until relaying */
    gsize in_pipe;
    gboolean full; /* the pipe took no more though input waits (slots) */
    gboolean eof;  /* no more input: the reading side ended (or the output died) */
    gboolean done; /* output shut down (or dead): this direction is finished */
} Pipe;

typedef struct {
    VmcRelay *relay;
    Listener *listener;
    GSource *source;
    /* The client's side: one socket (client_in == client_out), or two fds
     * such as an SSH channel's stdin and stdout pipes (vmc_relay_add_client). */
    int client_in;
    int client_out;
    gboolean client_out_socket; /* send()/shutdown() work on client_out */
    int vm_fd;
    gpointer client_tag; /* client_in (and client_out when the same) */
    gpointer client_out_tag;
    gpointer vm_tag;
    GIOCondition client_events;
    GIOCondition client_out_events;
    GIOCondition vm_events;
    VmcRelayClosedFunc closed; /* told once when the connection closes */
    gpointer closed_data;
    ConnState state;
    guint type; /* Spice channel type; 0 for a stream */
    guint connect_tries;
    gboolean connect_pending; /* a TCP connect in progress */
    gint64 deadline_us;
    gboolean client_ended; /* the client's input ended before the VM's */
    gboolean vm_ended;
    Pipe up;          /* client -> VM */
    Pipe down;        /* VM -> client */
    AgentPath *agent; /* a filtered main channel; NULL when spliced */
    VmcX11Input *x11; /* an X11 stream's follower; NULL for everything else */
    gsize link_total; /* bytes of the link message in link[] */
    guint8 link[LINK_READ_MAX];
} Conn;

typedef struct {
    GSource source;
    Conn *conn;
} ConnSource;

struct _VmcRelay {
    GMainContext *context;
    Listener *listeners[1 + VMC_RELAY_STREAMS_MAX]; /* [0]: Spice */
    guint n_listeners;
    int vm_pinned_fd;
    gboolean allowed[VMC_SPICE_CHANNEL_MAX + 1];
    pid_t peer_pid;
    VmcRelayPeerCheck peer_check;
    gpointer peer_check_data;
    VmcRelayCallback callback;
    gpointer user_data;
    GPtrArray *conns; /* of Conn, owned */
    guint link_timeout_ms;
    gboolean vm_closed_sent;
    gboolean freeing;        /* vmc_relay_free: no closed callbacks */
    gboolean sigpipe_raised; /* splice to a closed socket raised SIGPIPE */
    VmcRelayChannelStats channels[VMC_SPICE_CHANNEL_MAX + 1];
    guint rejected;
    VmcRelayRate rate;
    VmcRelayRate channel_rate[VMC_SPICE_CHANNEL_MAX + 1]; /* [0]: before the link header */
    gint64 last_to_vm_us[VMC_SPICE_CHANNEL_MAX + 1];      /* monotonic; 0: no byte yet */
    Stream streams[VMC_RELAY_STREAMS_MAX];
    guint n_streams;
    gsize buffered_peak;
    VmcAgentPolicy agent_policy;
    gboolean agent_filtering;   /* the policy denies something */
    VmcAgentStats agent_closed; /* of the filtered connections closed so far */
    char *main_name;            /* the guest name given to clients; NULL: the VM's */
    gint64 last_x11_input_us;   /* monotonic; 0: no input event seen yet */
    guint8 *peek;               /* VMC_RELAY_BUFFER_SIZE bytes once an X11 stream exists */
};

/* ---- events ---- */

static void
emit(VmcRelay *relay, VmcRelayEvent event, const char *detail)
{
    if (relay->callback != NULL)
        relay->callback(relay, event, detail, relay->user_data);
}

G_GNUC_PRINTF(2, 3)
static void
reject(VmcRelay *relay, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    g_autofree char *detail = g_strdup_vprintf(format, args);
    va_end(args);
    relay->rejected++;
    emit(relay, VMC_RELAY_EVENT_REJECTED, detail);
}

/* The VM side of a connection ended. For the main channel, when the client
 * had not ended first, the VM went away: say so, once per relay. */
static void
note_vm_ended(Conn *conn, const char *detail)
{
    VmcRelay *relay = conn->relay;
    if (conn->vm_ended)
        return;
    conn->vm_ended = TRUE;
    if (conn->type != VMC_SPICE_CHANNEL_MAIN || conn->client_ended || relay->vm_closed_sent)
        return;
    relay->vm_closed_sent = TRUE;
    emit(relay, VMC_RELAY_EVENT_VM_CLOSED, detail);
}

/* ---- connections ---- */

static void
agent_stats_add(VmcAgentStats *total, const VmcAgentStats *add)
{
    total->file_transfer_dropped += add->file_transfer_dropped;
    total->clipboard_to_vm_dropped += add->clipboard_to_vm_dropped;
    total->clipboard_from_vm_dropped += add->clipboard_from_vm_dropped;
    total->bytes_dropped_to_vm += add->bytes_dropped_to_vm;
    total->bytes_dropped_from_vm += add->bytes_dropped_from_vm;
    total->bytes_injected_to_vm += add->bytes_injected_to_vm;
    total->bytes_injected_from_vm += add->bytes_injected_from_vm;
    total->refused += add->refused;
}

static void
conn_close(Conn *conn)
{
    if (conn->agent != NULL) {
        agent_stats_add(&conn->relay->agent_closed,
                        vmc_agent_filter_get_stats(conn->agent->filter));
        vmc_agent_filter_free(conn->agent->filter);
        g_free(conn->agent);
    }
    if (conn->x11 != NULL) {
        if (vmc_x11_input_stopped(conn->x11) != NULL)
            conn->relay->streams[conn->listener->stream].unfollowed++;
        vmc_x11_input_free(conn->x11);
    }
    g_ptr_array_remove_fast(conn->relay->conns, conn);
    g_source_destroy(conn->source);
    g_source_unref(conn->source);
    if (conn->client_out >= 0 && conn->client_out != conn->client_in)
        close(conn->client_out);
    if (conn->client_in >= 0)
        close(conn->client_in);
    if (conn->vm_fd >= 0)
        close(conn->vm_fd);
    Pipe *pipes[] = {&conn->up, &conn->down};
    for (guint i = 0; i < G_N_ELEMENTS(pipes); i++)
        for (guint j = 0; j < 2; j++)
            if (pipes[i]->fds[j] >= 0)
                close(pipes[i]->fds[j]);
    if (conn->closed != NULL && !conn->relay->freeing)
        conn->closed(conn->closed_data);
    g_free(conn);
}

static void
set_watch(Conn *conn, gpointer *tag, GIOCondition *current, int fd, GIOCondition events)
{
    if (*tag == NULL ? events == 0 : events == *current)
        return;
    if (events == 0) {
        g_source_remove_unix_fd(conn->source, *tag);
        *tag = NULL;
    } else if (*tag == NULL) {
        *tag = g_source_add_unix_fd(conn->source, fd, events);
    } else {
        g_source_modify_unix_fd(conn->source, *tag, events);
    }
    *current = events;
}

/* Poll for input only where the buffer toward the other side has room, for
 * output only where bytes wait; not at all for an fd with neither. */
static gboolean
pipe_has_room(const Pipe *pipe)
{
    return !pipe->eof && !pipe->full && pipe->start == pipe->end &&
           pipe->in_pipe < VMC_RELAY_BUFFER_SIZE;
}

static gboolean
pipe_has_output(const Pipe *pipe)
{
    return pipe->start < pipe->end || pipe->in_pipe > 0;
}

static gboolean
agent_has_output(Conn *conn, VmcAgentDirection dir)
{
    const Pipe *pipe = dir == VMC_AGENT_TO_VM ? &conn->up : &conn->down;
    gsize pending = 0;
    vmc_agent_filter_output(conn->agent->filter, dir, &pending);
    return !pipe->done && (pending > 0 || pipe->start < pipe->end);
}

static gboolean
agent_input_empty(const Conn *conn, VmcAgentDirection dir)
{
    return conn->agent->input_start[dir] == conn->agent->input_end[dir];
}

/* Read only what the filter has taken all of the last read. */
static gboolean
agent_has_room(const Conn *conn, VmcAgentDirection dir)
{
    const Pipe *pipe = dir == VMC_AGENT_TO_VM ? &conn->up : &conn->down;
    return !pipe->eof && !pipe->done && agent_input_empty(conn, dir);
}

static void
conn_update_watches(Conn *conn)
{
    GIOCondition client = 0, vm = 0;
    if (conn->agent != NULL) {
        client = (agent_has_room(conn, VMC_AGENT_TO_VM) ? G_IO_IN : 0) |
                 (agent_has_output(conn, VMC_AGENT_FROM_VM) ? G_IO_OUT : 0);
        vm = (agent_has_room(conn, VMC_AGENT_FROM_VM) ? G_IO_IN : 0) |
             (agent_has_output(conn, VMC_AGENT_TO_VM) ? G_IO_OUT : 0);
    } else {
        if (pipe_has_room(&conn->up))
            client |= G_IO_IN;
        if (pipe_has_output(&conn->down))
            client |= G_IO_OUT;
        if (pipe_has_room(&conn->down))
            vm |= G_IO_IN;
        if (pipe_has_output(&conn->up))
            vm |= G_IO_OUT;
    }
    if (conn->client_out == conn->client_in) {
        set_watch(conn, &conn->client_tag, &conn->client_events, conn->client_in, client);
    } else {
        set_watch(conn, &conn->client_tag, &conn->client_events, conn->client_in, client & G_IO_IN);
        if (conn->client_out >= 0)
            set_watch(conn, &conn->client_out_tag, &conn->client_out_events, conn->client_out,
                      client & G_IO_OUT);
    }
    if (conn->vm_fd >= 0)
        set_watch(conn, &conn->vm_tag, &conn->vm_events, conn->vm_fd, vm);
}

static gsize
agent_buffered(const AgentPath *agent)
{
    gsize buffered = 0;
    for (guint dir = 0; dir < 2; dir++) {
        gsize pending = 0;
        vmc_agent_filter_output(agent->filter, dir, &pending);
        buffered += agent->input_end[dir] - agent->input_start[dir] + pending +
                    vmc_agent_filter_held(agent->filter, dir);
    }
    return buffered;
}

static void
note_buffered(Conn *conn)
{
    gsize buffered = (conn->up.end - conn->up.start) + conn->up.in_pipe + conn->down.in_pipe;
    if (conn->agent != NULL)
        buffered += agent_buffered(conn->agent);
    if (buffered > conn->relay->buffered_peak)
        conn->relay->buffered_peak = buffered;
}

static void
count_bytes(Conn *conn, gboolean to_vm, gsize n, gint64 now_us)
{
    if (conn->listener->stream >= 0) {
        Stream *stream = &conn->relay->streams[conn->listener->stream];
        if (to_vm)
            stream->bytes_to_target += n;
        else
            stream->bytes_from_target += n;
        vmc_relay_rate_add(&stream->rate, now_us, n);
        return;
    }
    VmcRelayChannelStats *channel = &conn->relay->channels[conn->type];
    if (to_vm) {
        channel->bytes_to_vm += n;
        conn->relay->last_to_vm_us[conn->type] = now_us;
    } else {
        channel->bytes_from_vm += n;
    }
    vmc_relay_rate_add(&conn->relay->rate, now_us, n);
    vmc_relay_rate_add(&conn->relay->channel_rate[conn->type], now_us, n);
}

/* ---- relaying ---- */

/* Send to fd: a socket without SIGPIPE, a pipe by write(2) (the SIGPIPE it
 * raises is taken back by the dispatch's guard). */
static ssize_t
conn_send(Conn *conn, int fd, const void *bytes, gsize length)
{
    if (fd != conn->client_out || conn->client_out_socket)
        return send(fd, bytes, length, MSG_NOSIGNAL | MSG_DONTWAIT);
    ssize_t n = write(fd, bytes, length);
    if (n < 0 && errno == EPIPE)
        conn->relay->sigpipe_raised = TRUE;
    return n;
}

/* The end of one direction's input is passed on: a socket is half-closed, a
 * client's output pipe closed. */
static void
conn_shut_output(Conn *conn, int fd)
{
    if (fd != conn->client_out || conn->client_out_socket) {
        shutdown(fd, SHUT_WR);
        return;
    }
    set_watch(conn, &conn->client_out_tag, &conn->client_out_events, fd, 0);
    close(fd);
    conn->client_out = -1;
}

/* Send what is pending while the output takes it; at the end of the input,
 * once all is sent, shut the output down (half-close). FALSE when the output
 * died: the direction is abandoned. */
static gboolean
pipe_flush(Conn *conn, Pipe *pipe, int to, gboolean to_vm, gboolean *can_write, gint64 now_us)
{
    while (*can_write && pipe_has_output(pipe)) {
        gboolean link = pipe->start < pipe->end;
        ssize_t n = link ? conn_send(conn, to, conn->link + pipe->start, pipe->end - pipe->start)
                         : splice(pipe->fds[0], NULL, to, NULL, pipe->in_pipe,
                                  SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n > 0) {
            if (link)
                pipe->start += (gsize)n;
            else
                pipe->in_pipe -= (gsize)n;
            count_bytes(conn, to_vm, (gsize)n, now_us);
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            *can_write = FALSE;
        } else if (n != 0 || errno != EINTR) {
            if (n < 0 && errno == EPIPE)
                conn->relay->sigpipe_raised = TRUE;
            if (to_vm)
                note_vm_ended(conn, "the VM's Spice socket stopped taking data");
            else
                conn->client_ended = conn->client_ended || !conn->vm_ended;
            pipe->start = pipe->end = pipe->in_pipe = 0;
            pipe->eof = pipe->done = TRUE;
            return FALSE;
        }
    }
    if (pipe->in_pipe == 0)
        pipe->full = FALSE;
    if (!pipe_has_output(pipe) && pipe->eof && !pipe->done) {
        conn_shut_output(conn, to);
        pipe->done = TRUE;
    }
    return TRUE;
}

/* An X11 connection still followed: look at what a read would take, so that
 * exactly what the splice moves can be fed to the follower. Returns what
 * recv returned (0 at the end, -1 with errno). */
static ssize_t
x11_peek(Conn *conn, int from, gsize length)
{
    return recv(from, conn->relay->peek, length, MSG_PEEK | MSG_DONTWAIT);
}

static void
x11_follow(Conn *conn, gboolean to_target, gsize moved, gint64 now_us)
{
    guint events = vmc_x11_input_feed(
        conn->x11, to_target ? VMC_X11_FROM_CLIENT : VMC_X11_FROM_SERVER, conn->relay->peek, moved);
    if (events > 0) {
        conn->relay->streams[conn->listener->stream].input_events += events;
        conn->relay->last_x11_input_us = now_us;
    }
}

static gboolean
x11_followed(const Conn *conn)
{
    return conn->x11 != NULL && vmc_x11_input_stopped(conn->x11) == NULL;
}

/* EAGAIN from splice is either side: input waiting means the pipe is full. */
static gboolean
input_waiting(int fd)
{
    int available = 0;
    return ioctl(fd, FIONREAD, &available) == 0 && available > 0;
}

static void
pipe_move(Conn *conn, Pipe *pipe, int from, int to, gboolean to_vm, gboolean can_read,
          gboolean can_write, gint64 now_us)
{
    for (guint round = 0;; round++) {
        if (!pipe_flush(conn, pipe, to, to_vm, &can_write, now_us))
            return;
        if (!can_read || !pipe_has_room(pipe) || round == READS_PER_DISPATCH)
            return;
        gsize room = VMC_RELAY_BUFFER_SIZE - pipe->in_pipe;
        /* followed: nothing moves that was not peeked (bytes that arrive
         * between the two calls wait for the next read) */
        gboolean followed = x11_followed(conn);
        ssize_t n = followed ? x11_peek(conn, from, room) : 1;
        if (n > 0)
            n = splice(from, NULL, pipe->fds[1], NULL, followed ? (gsize)n : room,
                       SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n > 0) {
            if (followed)
                x11_follow(conn, to_vm, (gsize)n, now_us);
            pipe->in_pipe += (gsize)n;
            can_write = TRUE; /* try at once: the output usually takes it */
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (input_waiting(from))
                pipe->full = TRUE;
            else
                can_read = FALSE;
        } else if (n == 0 || errno != EINTR) {
            pipe->eof = TRUE;
            if (to_vm)
                conn->client_ended = conn->client_ended || !conn->vm_ended;
            else
                note_vm_ended(conn, "the VM's Spice server closed the main channel");
        }
    }
}

static gboolean
ready(GIOCondition revents, GIOCondition wanted)
{
    return (revents & (wanted | G_IO_HUP | G_IO_ERR)) != 0;
}

/* ---- relaying a filtered main channel ---- */

/* The output of a direction died: abandon it (as pipe_flush does). */
static void
agent_output_died(Conn *conn, VmcAgentDirection dir)
{
    Pipe *pipe = dir == VMC_AGENT_TO_VM ? &conn->up : &conn->down;
    if (dir == VMC_AGENT_TO_VM)
        note_vm_ended(conn, "the VM's Spice socket stopped taking data");
    else
        conn->client_ended = conn->client_ended || !conn->vm_ended;
    pipe->start = pipe->end = 0;
    pipe->eof = pipe->done = TRUE;
    conn->agent->input_start[dir] = conn->agent->input_end[dir] = 0;
}

/* Send the link bytes, then the filter's output, while the socket takes
 * them. FALSE when the output died. */
static gboolean
agent_flush(Conn *conn, VmcAgentDirection dir, int to, gint64 now_us)
{
    Pipe *pipe = dir == VMC_AGENT_TO_VM ? &conn->up : &conn->down;
    for (;;) {
        gboolean link = pipe->start < pipe->end;
        gsize length = pipe->end - pipe->start;
        const guint8 *bytes = link ? conn->link + pipe->start
                                   : vmc_agent_filter_output(conn->agent->filter, dir, &length);
        if (length == 0)
            return TRUE;
        ssize_t n = conn_send(conn, to, bytes, length);
        if (n > 0) {
            if (link)
                pipe->start += (gsize)n;
            else
                vmc_agent_filter_output_sent(conn->agent->filter, dir, (gsize)n);
            count_bytes(conn, dir == VMC_AGENT_TO_VM, (gsize)n, now_us);
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return TRUE;
        } else if (n != 0 || errno != EINTR) {
            agent_output_died(conn, dir);
            return FALSE;
        }
    }
}

/* Give the filter what was read; it also places what it injects. When it
 * cannot follow the stream the connection is closed and counted: FALSE. */
static gboolean
agent_take(Conn *conn, VmcAgentDirection dir)
{
    AgentPath *agent = conn->agent;
    g_autoptr(GError) error = NULL;
    gsize taken = 0;
    if (!vmc_agent_filter_feed(agent->filter, dir, agent->input[dir] + agent->input_start[dir],
                               agent->input_end[dir] - agent->input_start[dir], &taken, &error)) {
        VmcRelay *relay = conn->relay;
        g_autofree char *detail = g_strdup_printf(
            "main channel closed: it cannot be followed to enforce the agent policy (%s)",
            error->message);
        relay->agent_closed.refused++;
        conn_close(conn);
        reject(relay, "%s", detail);
        return FALSE;
    }
    agent->input_start[dir] += taken;
    if (agent_input_empty(conn, dir))
        agent->input_start[dir] = agent->input_end[dir] = 0;
    return TRUE;
}

/* One direction: feed, send, read while things move. FALSE when the
 * connection was closed. */
static gboolean
agent_move(Conn *conn, VmcAgentDirection dir, gboolean can_read, gint64 now_us)
{
    gboolean to_vm = dir == VMC_AGENT_TO_VM;
    Pipe *pipe = to_vm ? &conn->up : &conn->down;
    int from = to_vm ? conn->client_in : conn->vm_fd;
    int to = to_vm ? conn->vm_fd : conn->client_out;
    AgentPath *agent = conn->agent;

    for (guint reads = 0; !pipe->done;) {
        if (!agent_take(conn, dir))
            return FALSE;
        if (!agent_flush(conn, dir, to, now_us))
            return TRUE;
        if (!agent_input_empty(conn, dir)) {
            if (agent_has_output(conn, dir))
                break; /* the output is full and the socket takes no more */
            continue;
        }
        if (!can_read || pipe->eof || reads++ == READS_PER_DISPATCH)
            break;
        ssize_t n = read(from, agent->input[dir], FILTER_INPUT_SIZE);
        if (n > 0) {
            agent->input_end[dir] = (gsize)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            can_read = FALSE;
        } else if (n == 0 || errno != EINTR) {
            pipe->eof = TRUE;
            if (to_vm)
                conn->client_ended = conn->client_ended || !conn->vm_ended;
            else
                note_vm_ended(conn, "the VM's Spice server closed the main channel");
        }
    }
    /* the input ended and all of it went: half-close (what the filter still
     * holds is an incomplete message, never sent) */
    if (pipe->eof && !pipe->done && agent_input_empty(conn, dir) && !agent_has_output(conn, dir)) {
        conn_shut_output(conn, to);
        pipe->done = TRUE;
    }
    return TRUE;
}

static void
conn_agent_step(Conn *conn, GIOCondition client_revents, GIOCondition vm_revents)
{
    gint64 now_us = g_source_get_time(conn->source);
    gboolean client_in = ready(client_revents, G_IO_IN);
    gboolean vm_in = ready(vm_revents, G_IO_IN);
    /* later rounds move what one direction injected into the other */
    for (guint round = 0; round < FILTER_ROUNDS; round++)
        if (!agent_move(conn, VMC_AGENT_TO_VM, client_in && round == 0, now_us) ||
            !agent_move(conn, VMC_AGENT_FROM_VM, vm_in && round == 0, now_us))
            return;
    note_buffered(conn);
    if (conn->up.done && conn->down.done) {
        conn_close(conn);
        return;
    }
    conn_update_watches(conn);
}

static void
conn_relay_step(Conn *conn, GIOCondition client_revents, GIOCondition vm_revents)
{
    if (conn->agent != NULL) {
        conn_agent_step(conn, client_revents, vm_revents);
        return;
    }
    gint64 now_us = g_source_get_time(conn->source);
    /* Without pending output, sending is tried at once rather than polled for. */
    gboolean up_can_write = conn->up.start == conn->up.end || ready(vm_revents, G_IO_OUT);
    gboolean down_can_write = conn->down.start == conn->down.end || ready(client_revents, G_IO_OUT);

    pipe_move(conn, &conn->up, conn->client_in, conn->vm_fd, TRUE, ready(client_revents, G_IO_IN),
              up_can_write, now_us);
    pipe_move(conn, &conn->down, conn->vm_fd, conn->client_out, FALSE, ready(vm_revents, G_IO_IN),
              down_can_write, now_us);
    note_buffered(conn);
    if (conn->up.done && conn->down.done) {
        conn_close(conn);
        return;
    }
    conn_update_watches(conn);
}

/* ---- connecting to the VM ---- */

static gboolean
pipe_open(Pipe *pipe)
{
    if (pipe2(pipe->fds, O_CLOEXEC | O_NONBLOCK) != 0)
        return FALSE;
    /* the default; set in case the system's differs */
    fcntl(pipe->fds[1], F_SETPIPE_SZ, VMC_RELAY_BUFFER_SIZE);
    return TRUE;
}

/* The target could not be reached (or relaying could not start): for Spice
 * the VM's side ended, for a stream one failed connection. */
static void
conn_connect_failed(Conn *conn, const char *what, int error_number)
{
    if (conn->listener->stream >= 0) {
        conn->relay->streams[conn->listener->stream].failed++;
    } else {
        g_autofree char *detail = g_strdup_printf("%s: %s", what, g_strerror(error_number));
        note_vm_ended(conn, detail);
    }
    conn_close(conn);
}

/* A main channel under a policy that denies something goes through the
 * filter: the link message as it came, then what followed it into the
 * filter. */
static void
agent_path_start(Conn *conn)
{
    AgentPath *agent = g_new0(AgentPath, 1);
    agent->filter = vmc_agent_filter_new(&conn->relay->agent_policy, conn->link, conn->link_total);
    vmc_agent_filter_set_name(agent->filter, conn->relay->main_name);
    gsize extra = conn->up.end - conn->link_total;
    memcpy(agent->input[VMC_AGENT_TO_VM], conn->link + conn->link_total, extra);
    agent->input_end[VMC_AGENT_TO_VM] = extra;
    conn->up.end = conn->link_total;
    conn->agent = agent;
}

static gboolean
conn_is_filtered(const Conn *conn)
{
    return conn->listener->stream < 0 && conn->type == VMC_SPICE_CHANNEL_MAIN &&
           (conn->relay->agent_filtering || conn->relay->main_name != NULL);
}

static void
conn_start_relaying(Conn *conn)
{
    if (conn_is_filtered(conn)) {
        agent_path_start(conn);
    } else if (!pipe_open(&conn->up) || !pipe_open(&conn->down)) {
        conn_connect_failed(conn, "cannot relay", errno);
        return;
    }
    conn->state = CONN_RELAY;
    if (conn->listener->stream >= 0 && conn->relay->streams[conn->listener->stream].x11_input)
        conn->x11 = vmc_x11_input_new();
    if (conn->listener->stream >= 0)
        conn->relay->streams[conn->listener->stream].connections++;
    else
        conn->relay->channels[conn->type].connections++;
    g_source_set_ready_time(conn->source, -1);
    /* The validated bytes go out first, exactly as received. */
    conn_relay_step(conn, G_IO_IN, G_IO_IN | G_IO_OUT);
}

/* A TCP connect in progress: done when the socket is writable (SO_ERROR
 * tells how it went), failed at the deadline. */
static void
conn_connect_wait(Conn *conn, GIOCondition vm_revents)
{
    int error_number = 0;
    socklen_t length = sizeof error_number;
    if ((vm_revents & (G_IO_OUT | G_IO_ERR | G_IO_HUP)) != 0) {
        if (getsockopt(conn->vm_fd, SOL_SOCKET, SO_ERROR, &error_number, &length) != 0)
            error_number = errno;
        conn->connect_pending = FALSE;
        if (error_number == 0)
            conn_start_relaying(conn);
        else
            conn_connect_failed(conn, "cannot connect", error_number);
    } else if (g_source_get_time(conn->source) >= conn->deadline_us) {
        conn_connect_failed(conn, "cannot connect", ETIMEDOUT);
    }
}

static void
conn_connect_step(Conn *conn, GIOCondition vm_revents)
{
    const Listener *listener = conn->listener;
    if (conn->connect_pending) {
        conn_connect_wait(conn, vm_revents);
        return;
    }
    if (conn->vm_fd < 0)
        conn->vm_fd =
            socket(listener->target.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int saved = EMFILE;
    if (conn->vm_fd >= 0) {
        if (connect(conn->vm_fd, (const struct sockaddr *)&listener->target,
                    listener->target_length) == 0 ||
            errno == EISCONN) {
            conn_start_relaying(conn);
            return;
        }
        saved = errno;
    }
    if (saved == EINPROGRESS && listener->target.ss_family != AF_UNIX) {
        conn->connect_pending = TRUE;
        set_watch(conn, &conn->vm_tag, &conn->vm_events, conn->vm_fd, G_IO_OUT);
        g_source_set_ready_time(conn->source, conn->deadline_us);
        return;
    }
    /* AF_UNIX connects at once or fails; EAGAIN means the backlog is full. */
    if ((saved == EAGAIN || saved == EINPROGRESS || saved == EALREADY) &&
        ++conn->connect_tries < CONNECT_TRIES) {
        g_source_set_ready_time(conn->source, g_get_monotonic_time() + CONNECT_RETRY_US);
        return;
    }
    conn_connect_failed(conn, "cannot connect to the VM's Spice socket", saved);
}

/* ---- the link phase ---- */

static void
conn_link_drop(Conn *conn, const char *detail)
{
    VmcRelay *relay = conn->relay;
    conn_close(conn);
    reject(relay, "%s", detail);
}

/* Read what the client sent; nothing goes anywhere before the check passes. */
static void
conn_link_step(Conn *conn, GIOCondition client_revents)
{
    VmcRelay *relay = conn->relay;
    Pipe *up = &conn->up;

    if (ready(client_revents, G_IO_IN)) {
        ssize_t n = read(conn->client_in, conn->link + up->end, LINK_READ_MAX - up->end);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            conn_link_drop(conn, "the client left before its Spice link message was complete");
            return;
        }
        if (n > 0)
            up->end += (gsize)n;
        note_buffered(conn);

        g_autoptr(GError) error = NULL;
        VmcSpiceLink link;
        if (vmc_spice_link_check(conn->link, up->end, relay->allowed, &link, &conn->link_total,
                                 &error)) {
            conn->type = link.channel_type;
            conn->state = CONN_CONNECTING;
            set_watch(conn, &conn->client_tag, &conn->client_events, conn->client_in, 0);
            g_source_set_ready_time(conn->source, -1);
            conn->deadline_us =
                g_source_get_time(conn->source) + (gint64)relay->link_timeout_ms * 1000;
            conn_connect_step(conn, 0);
            return;
        }
        if (!g_error_matches(error, VMC_SPICE_ERROR, VMC_SPICE_ERROR_INCOMPLETE)) {
            conn_link_drop(conn, error->message);
            return;
        }
    }
    if (g_source_get_time(conn->source) >= conn->deadline_us) {
        g_autofree char *detail =
            g_strdup_printf("no complete Spice link message within %u ms", relay->link_timeout_ms);
        conn_link_drop(conn, detail);
    }
}

/* splice(2) to a socket has no MSG_NOSIGNAL: a peer gone raises SIGPIPE.
 * Block it while relaying and take back the one a splice raised, so that
 * the relay needs nothing of the program's signal handling. */
typedef struct {
    sigset_t sigpipe;
    sigset_t old_mask;
} SigpipeGuard;

static void
sigpipe_guard_enter(SigpipeGuard *guard)
{
    sigemptyset(&guard->sigpipe);
    sigaddset(&guard->sigpipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &guard->sigpipe, &guard->old_mask);
}

static void
sigpipe_guard_leave(SigpipeGuard *guard, VmcRelay *relay)
{
    /* with SIGPIPE unblocked before, none could be pending but ours */
    if (relay->sigpipe_raised && !sigismember(&guard->old_mask, SIGPIPE)) {
        struct timespec zero = {0, 0};
        while (sigtimedwait(&guard->sigpipe, NULL, &zero) < 0 && errno == EINTR)
            ;
    }
    relay->sigpipe_raised = FALSE;
    pthread_sigmask(SIG_SETMASK, &guard->old_mask, NULL);
}

static gboolean
conn_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
    Conn *conn = ((ConnSource *)source)->conn;
    VmcRelay *relay = conn->relay;
    SigpipeGuard guard;
    GIOCondition client =
        conn->client_tag != NULL ? g_source_query_unix_fd(source, conn->client_tag) : 0;
    if (conn->client_out_tag != NULL)
        client |= g_source_query_unix_fd(source, conn->client_out_tag);
    GIOCondition vm = conn->vm_tag != NULL ? g_source_query_unix_fd(source, conn->vm_tag) : 0;

    sigpipe_guard_enter(&guard);
    switch (conn->state) {
    case CONN_LINK:
        conn_link_step(conn, client);
        break;
    case CONN_CONNECTING:
        conn_connect_step(conn, vm);
        break;
    case CONN_RELAY:
        conn_relay_step(conn, client, vm);
        break;
    }
    sigpipe_guard_leave(&guard, relay);
    return G_SOURCE_CONTINUE; /* a closed connection destroyed its source already */
}

static GSourceFuncs conn_source_funcs = {
    .dispatch = conn_dispatch,
};

/* A Spice connection starts with its link phase; a stream's connects to
 * its target at once (what the client sends meanwhile waits in its socket). */
static void
conn_new(Listener *listener, int client_in, int client_out, VmcRelayClosedFunc closed,
         gpointer closed_data)
{
    VmcRelay *relay = listener->relay;
    Conn *conn = g_malloc0(sizeof *conn);
    conn->relay = relay;
    conn->listener = listener;
    conn->client_in = client_in;
    conn->client_out = client_out;
    conn->client_out_socket = client_in == client_out;
    conn->closed = closed;
    conn->closed_data = closed_data;
    conn->vm_fd = -1;
    conn->up.fds[0] = conn->up.fds[1] = conn->down.fds[0] = conn->down.fds[1] = -1;
    conn->state = listener->stream >= 0 ? CONN_CONNECTING : CONN_LINK;
    conn->deadline_us = g_get_monotonic_time() + (gint64)relay->link_timeout_ms * 1000;
    conn->source = g_source_new(&conn_source_funcs, sizeof(ConnSource));
    ((ConnSource *)conn->source)->conn = conn;
    g_source_set_static_name(conn->source, "vmc-relay-connection");
    if (conn->state == CONN_LINK) {
        set_watch(conn, &conn->client_tag, &conn->client_events, client_in, G_IO_IN);
        g_source_set_ready_time(conn->source, conn->deadline_us);
    }
    g_ptr_array_add(relay->conns, conn);
    g_source_attach(conn->source, relay->context);
    if (conn->state == CONN_CONNECTING) {
        SigpipeGuard guard;
        sigpipe_guard_enter(&guard);
        conn_connect_step(conn, 0);
        sigpipe_guard_leave(&guard, relay);
    }
}

/* ---- accepting ---- */

static gboolean
peer_admitted(VmcRelay *relay, const struct ucred *credentials)
{
    if (relay->peer_check != NULL)
        return relay->peer_check(credentials->pid, credentials->uid, relay->peer_check_data);
    return relay->peer_pid == 0 || credentials->pid == relay->peer_pid;
}

static void
admit(Listener *listener, int fd)
{
    VmcRelay *relay = listener->relay;
    struct ucred credentials;
    socklen_t length = sizeof credentials;

    if (relay->conns->len >= VMC_RELAY_MAX_CONNECTIONS) {
        close(fd);
        reject(relay, "more than %u connections at once refused", VMC_RELAY_MAX_CONNECTIONS);
    } else if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) {
        int saved = errno;
        close(fd);
        reject(relay, "connection refused: no peer credentials (%s)", g_strerror(saved));
    } else if (!peer_admitted(relay, &credentials)) {
        close(fd);
        reject(relay, "connection from pid %d refused", (int)credentials.pid);
    } else {
        conn_new(listener, fd, fd, NULL, NULL);
    }
}

static gboolean
on_listen_ready(gint listen_fd, GIOCondition condition, gpointer user_data)
{
    Listener *listener = user_data;
    for (guint i = 0; i < ACCEPTS_PER_DISPATCH; i++) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd >= 0)
            admit(listener, fd);
        else if (errno != EINTR && errno != ECONNABORTED)
            break;
    }
    return G_SOURCE_CONTINUE;
}

static Listener *
listener_new(VmcRelay *relay, int fd, int stream, const struct sockaddr *target,
             socklen_t target_length)
{
    Listener *listener = g_new0(Listener, 1);
    listener->relay = relay;
    listener->fd = fd;
    listener->stream = stream;
    memcpy(&listener->target, target, target_length);
    listener->target_length = target_length;
    relay->listeners[relay->n_listeners++] = listener;
    if (fd < 0) /* Spice without a listener: only vmc_relay_add_client brings clients */
        return listener;
    g_unix_set_fd_nonblocking(fd, TRUE, NULL);
    listener->source = g_unix_fd_source_new(fd, G_IO_IN);
    g_source_set_callback(listener->source, G_SOURCE_FUNC(on_listen_ready), listener, NULL);
    g_source_set_static_name(listener->source, "vmc-relay-listener");
    g_source_attach(listener->source, relay->context);
    return listener;
}

static void
listener_free(Listener *listener)
{
    if (listener->source != NULL) {
        g_source_destroy(listener->source);
        g_source_unref(listener->source);
    }
    if (listener->fd >= 0)
        close(listener->fd);
    g_free(listener);
}

/* ---- public ---- */

VmcRelay *
vmc_relay_new(int listen_fd, int vm_pinned_fd, const gboolean *allowed, pid_t peer_pid,
              VmcRelayCallback callback, gpointer user_data)
{
    g_return_val_if_fail(listen_fd >= -1, NULL);
    g_return_val_if_fail(vm_pinned_fd >= 0, NULL);
    g_return_val_if_fail(allowed != NULL, NULL);

    VmcRelay *relay = g_new0(VmcRelay, 1);
    relay->context = g_main_context_ref_thread_default();
    relay->vm_pinned_fd = vm_pinned_fd;
    memcpy(relay->allowed, allowed, sizeof relay->allowed);
    relay->allowed[0] = FALSE;
    relay->peer_pid = peer_pid;
    relay->callback = callback;
    relay->user_data = user_data;
    relay->conns = g_ptr_array_new();
    relay->link_timeout_ms = VMC_RELAY_LINK_TIMEOUT_MS;
    relay->agent_policy = (VmcAgentPolicy){TRUE, TRUE, TRUE};
    gint64 now_us = g_get_monotonic_time(), now_real_us = g_get_real_time();
    vmc_relay_rate_init(&relay->rate, now_us, now_real_us);
    for (guint type = 0; type <= VMC_SPICE_CHANNEL_MAX; type++)
        vmc_relay_rate_init(&relay->channel_rate[type], now_us, now_real_us);

    /* Connecting through /proc/self/fd/N reaches the pinned inode. */
    struct sockaddr_un vm = {.sun_family = AF_UNIX};
    snprintf(vm.sun_path, sizeof vm.sun_path, "/proc/self/fd/%d", vm_pinned_fd);
    listener_new(relay, listen_fd, -1, (struct sockaddr *)&vm, sizeof vm);
    return relay;
}

void
vmc_relay_set_peer_pid(VmcRelay *relay, pid_t peer_pid)
{
    g_return_if_fail(relay != NULL);
    relay->peer_pid = peer_pid;
    relay->peer_check = NULL;
    relay->peer_check_data = NULL;
}

void
vmc_relay_set_peer_check(VmcRelay *relay, VmcRelayPeerCheck check, gpointer user_data)
{
    g_return_if_fail(relay != NULL);
    relay->peer_check = check;
    relay->peer_check_data = user_data;
}

void
vmc_relay_set_agent_policy(VmcRelay *relay, const VmcAgentPolicy *policy)
{
    g_return_if_fail(relay != NULL && policy != NULL);
    relay->agent_policy = *policy;
    relay->agent_filtering = !vmc_agent_policy_allows_all(policy);
}

gboolean
vmc_relay_set_main_name(VmcRelay *relay, const char *name, GError **error)
{
    g_return_val_if_fail(relay != NULL, FALSE);
    if (name != NULL && !vmc_agent_filter_name_is_valid(name)) {
        g_set_error(error, VMC_SPICE_ERROR, VMC_SPICE_ERROR_SIZE,
                    "a guest name must be UTF-8 without control characters, at most %d bytes",
                    VMC_AGENT_FILTER_NAME_MAX);
        return FALSE;
    }
    g_free(relay->main_name);
    relay->main_name = g_strdup(name);
    /* filtered main channels take it now; a step places and sends it (and
     * may close the connection: walk a copy) */
    g_autoptr(GPtrArray) conns = g_ptr_array_new();
    for (guint i = 0; i < relay->conns->len; i++) {
        Conn *conn = g_ptr_array_index(relay->conns, i);
        if (conn->state == CONN_RELAY && conn->agent != NULL)
            g_ptr_array_add(conns, conn);
    }
    for (guint i = 0; i < conns->len; i++) {
        Conn *conn = g_ptr_array_index(conns, i);
        if (!g_ptr_array_find(relay->conns, conn, NULL))
            continue;
        vmc_agent_filter_set_name(conn->agent->filter, name);
        conn_agent_step(conn, 0, 0);
    }
    return TRUE;
}

gboolean
vmc_relay_add_client(VmcRelay *relay, int in_fd, int out_fd, VmcRelayClosedFunc closed,
                     gpointer user_data, GError **error)
{
    g_return_val_if_fail(relay != NULL, FALSE);
    g_return_val_if_fail(in_fd >= 0 && out_fd >= 0, FALSE);

    struct stat st;
    const char *problem = NULL;
    if (relay->conns->len >= VMC_RELAY_MAX_CONNECTIONS)
        problem = "the relay serves no more connections at once";
    else if (!g_unix_set_fd_nonblocking(in_fd, TRUE, NULL) ||
             !g_unix_set_fd_nonblocking(out_fd, TRUE, NULL) || fstat(out_fd, &st) != 0)
        problem = "its fds are not usable";
    if (problem != NULL) {
        if (out_fd != in_fd)
            close(out_fd);
        close(in_fd);
        reject(relay, "connection refused: %s", problem);
        g_set_error(error, VMC_SPICE_ERROR, VMC_SPICE_ERROR_IO, "connection refused: %s", problem);
        return FALSE;
    }
    SigpipeGuard guard;
    sigpipe_guard_enter(&guard);
    conn_new(relay->listeners[0], in_fd, out_fd, closed, user_data);
    Conn *conn = g_ptr_array_index(relay->conns, relay->conns->len - 1);
    conn->client_out_socket = in_fd == out_fd || S_ISSOCK(st.st_mode);
    sigpipe_guard_leave(&guard, relay);
    return TRUE;
}

static gboolean
target_is_usable(const struct sockaddr *target, socklen_t length)
{
    if (target == NULL || length > sizeof(struct sockaddr_storage))
        return FALSE;
    switch (target->sa_family) {
    case AF_UNIX:
        return length > offsetof(struct sockaddr_un, sun_path);
    case AF_INET:
        return length >= sizeof(struct sockaddr_in);
    case AF_INET6:
        return length >= sizeof(struct sockaddr_in6);
    default:
        return FALSE;
    }
}

static gboolean
add_stream(VmcRelay *relay, const char *name, int listen_fd, const struct sockaddr *target,
           socklen_t target_length, gboolean x11_input, GError **error)
{
    g_return_val_if_fail(relay != NULL, FALSE);
    g_return_val_if_fail(name != NULL && strlen(name) < VMC_RELAY_STREAM_NAME_MAX, FALSE);
    g_return_val_if_fail(listen_fd >= 0, FALSE);

    if (relay->n_streams >= VMC_RELAY_STREAMS_MAX) {
        close(listen_fd);
        g_set_error(error, VMC_SPICE_ERROR, VMC_SPICE_ERROR_IO,
                    "cannot add stream %s: the relay carries at most %u streams", name,
                    VMC_RELAY_STREAMS_MAX);
        return FALSE;
    }
    if (!target_is_usable(target, target_length)) {
        close(listen_fd);
        g_set_error(error, VMC_SPICE_ERROR, VMC_SPICE_ERROR_IO,
                    "cannot add stream %s: its target is not a Unix or IP address", name);
        return FALSE;
    }
    Stream *stream = &relay->streams[relay->n_streams];
    g_strlcpy(stream->name, name, sizeof stream->name);
    stream->x11_input = x11_input;
    if (x11_input && relay->peek == NULL)
        relay->peek = g_malloc(VMC_RELAY_BUFFER_SIZE);
    /* the Spice relay's clock: every series has the same seconds */
    vmc_relay_rate_init(&stream->rate, relay->rate.start_us, relay->rate.start_real_us);
    listener_new(relay, listen_fd, (int)relay->n_streams, target, target_length);
    relay->n_streams++;
    return TRUE;
}

gboolean
vmc_relay_add_stream(VmcRelay *relay, const char *name, int listen_fd,
                     const struct sockaddr *target, socklen_t target_length, GError **error)
{
    return add_stream(relay, name, listen_fd, target, target_length, FALSE, error);
}

gboolean
vmc_relay_add_x11_stream(VmcRelay *relay, const char *name, int listen_fd,
                         const struct sockaddr *target, socklen_t target_length, GError **error)
{
    return add_stream(relay, name, listen_fd, target, target_length, TRUE, error);
}

VmcRelayStats *
vmc_relay_get_stats(VmcRelay *relay)
{
    g_return_val_if_fail(relay != NULL, NULL);

    VmcRelayStats *stats = g_new0(VmcRelayStats, 1);
    memcpy(stats->channels, relay->channels, sizeof stats->channels);
    stats->rejected = relay->rejected;
    stats->bytes_total = relay->rate.total;
    gint64 now_us = g_get_monotonic_time();
    vmc_relay_rate_fill_stats(&relay->rate, now_us, stats);
    for (guint type = 1; type <= VMC_SPICE_CHANNEL_MAX; type++) {
        if (relay->channel_rate[type].total > 0)
            stats->channel_series[type] =
                vmc_relay_rate_copy_series(&relay->channel_rate[type], now_us);
    }
    for (guint i = 0; i < relay->n_streams; i++) {
        Stream *stream = &relay->streams[i];
        VmcRelayStreamStats *out = &stats->streams[i];
        memcpy(out->name, stream->name, sizeof out->name);
        out->bytes_to_target = stream->bytes_to_target;
        out->bytes_from_target = stream->bytes_from_target;
        out->connections = stream->connections;
        out->failed = stream->failed;
        out->input_events = stream->input_events;
        out->unfollowed = stream->unfollowed;
        for (guint c = 0; c < relay->conns->len; c++) {
            const Conn *conn = g_ptr_array_index(relay->conns, c);
            if (conn->listener->stream == (int)i && conn->x11 != NULL &&
                vmc_x11_input_stopped(conn->x11) != NULL)
                out->unfollowed++;
        }
        vmc_relay_rate_fill(&stream->rate, now_us, &out->peak_rate, &out->peak_time_us,
                            &out->mean_rate);
        out->series = vmc_relay_rate_copy_series(&stream->rate, now_us);
    }
    stats->n_streams = relay->n_streams;
    stats->agent_policy = relay->agent_policy;
    stats->agent = relay->agent_closed;
    for (guint i = 0; i < relay->conns->len; i++) {
        const Conn *conn = g_ptr_array_index(relay->conns, i);
        if (conn->agent != NULL)
            agent_stats_add(&stats->agent, vmc_agent_filter_get_stats(conn->agent->filter));
    }
    return stats;
}

gint64
vmc_relay_get_last_to_vm(VmcRelay *relay, guint type)
{
    g_return_val_if_fail(relay != NULL, 0);
    return type <= VMC_SPICE_CHANNEL_MAX ? relay->last_to_vm_us[type] : 0;
}

gint64
vmc_relay_get_last_x11_input(VmcRelay *relay)
{
    g_return_val_if_fail(relay != NULL, 0);
    return relay->last_x11_input_us;
}

void
vmc_relay_stats_free(VmcRelayStats *stats)
{
    if (stats == NULL)
        return;
    g_clear_pointer(&stats->series, g_array_unref);
    for (guint type = 0; type <= VMC_SPICE_CHANNEL_MAX; type++)
        g_clear_pointer(&stats->channel_series[type], g_array_unref);
    for (guint i = 0; i < stats->n_streams; i++)
        g_clear_pointer(&stats->streams[i].series, g_array_unref);
    g_free(stats);
}

void
vmc_relay_free(VmcRelay *relay)
{
    if (relay == NULL)
        return;
    relay->freeing = TRUE;
    while (relay->conns->len > 0)
        conn_close(g_ptr_array_index(relay->conns, relay->conns->len - 1));
    g_ptr_array_unref(relay->conns);
    for (guint i = 0; i < relay->n_listeners; i++)
        listener_free(relay->listeners[i]);
    for (guint i = 0; i < relay->n_streams; i++)
        vmc_relay_rate_clear(&relay->streams[i].rate);
    vmc_relay_rate_clear(&relay->rate);
    for (guint type = 0; type <= VMC_SPICE_CHANNEL_MAX; type++)
        vmc_relay_rate_clear(&relay->channel_rate[type]);
    g_main_context_unref(relay->context);
    g_free(relay->main_name);
    g_free(relay->peek);
    g_free(relay);
}

/* ---- test hooks (relay-priv.h) ---- */

void
vmc_relay_set_link_timeout_ms(VmcRelay *relay, guint timeout_ms)
{
    relay->link_timeout_ms = timeout_ms;
}

gsize
vmc_relay_get_buffered_peak(VmcRelay *relay)
{
    return relay->buffered_peak;
}

guint
vmc_relay_get_n_connections(VmcRelay *relay)
{
    return relay->conns->len;
}

guint64
vmc_relay_get_current_second_bytes(VmcRelay *relay)
{
    vmc_relay_rate_advance(&relay->rate, g_get_monotonic_time());
    return relay->rate.second_bytes;
}
