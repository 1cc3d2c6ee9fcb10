/* hostile-spice — a hostile Spice peer on either side of the gateway's relay
 * (issue 10, "Hostile peers and parsers"). Not installed;
 * tests/security/test-hostile-peers.sh runs both roles.
 *
 * Client role: the gateway's `viewer =`. The gateway starts it through its
 * own viewer code path, in the viewer's sandbox, as
 *
 *   hostile-spice [--title "vmc-hostile PHASE,PHASE,..."] [--spice-...] spice+unix:///S
 *
 * (without --title, as the gateway runs it now, the title is read from the
 * X display's root window property VMC_HOSTILE_TITLE, which the test sets)
 *
 * and it attacks the relay on S, one phase after the other (phases[] below
 * says what each does and what it expects).
 *
 * Server role: the VM, listening where the gateway's config puts the VM's
 * socket:
 *
 *   hostile-spice server SOCKET LOG CONTROL-DIR [close]
 *
 * Each connection's link message tells the server how to treat it: the
 * connection id is HOSTILE_ID | behaviour, the channel id a tag. So one
 * client run drives the server-side attacks too (a link reply that is huge,
 * malformed or trickled, floods toward a viewer that does not read, message
 * lists, 4 GiB agent messages). With `close` every connection is closed at
 * once, unread.
 *
 * Talking to the test. The client can write nothing outside its sandbox: at
 * each step it opens one more connection (an inputs channel whose connection
 * id says "marker") and sends one text line after its link message, e.g.
 * "end conns at_once=36 at_deadline=64". The server appends
 *
 *   marker SEQ accepts=N TEXT
 *
 * to LOG and answers that connection (a link reply) only once
 * CONTROL-DIR/go-SEQ exists, so the test measures the gateway while the
 * client waits. CONTROL-DIR/release-TAG ends the server's stalled
 * connections of that tag (the test creates it after the client's "closed"
 * marker). The server also logs
 *
 *   accept N
 *   conn N behaviour=NAME channel=TYPE tag=T
 *   done N behaviour=NAME channel=TYPE tag=T read=BYTES wrote=BYTES
 *
 * counting every byte after the client's link message.
 *
 * Exit status of the client: 0 when everything the relay did matched what
 * a bounded relay must do (each failure is printed, and counted in the last
 * marker as fails=N); 1 otherwise; 2 bad arguments. The server runs until
 * it is killed.
 */
#include "agent-filter-priv.h"
#include "vmc-spice.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <spice/enums.h>
#include <spice/protocol.h>
#include <spice/vd_agent.h>

#include <X11/Xatom.h>
#include <X11/Xlib.h>

#define TITLE_PREFIX "vmc-hostile "
#define HOSTILE_ID 0x564d4300u /* "VMC" in the connection id: a behaviour follows */
#define IO_TIMEOUT_S 20        /* a blocking read or write of a handshake */
#define MARKER_TIMEOUT_S 600   /* the test answers a marker within this */
#define PROMPT_MS 2000         /* a refusal for what was sent: long before the link deadline */
#define LATE_MS 2500           /* how late after the link deadline a stalled link may end */
#define STALL_QUIET_MS 1000    /* a flood is stalled after this long without progress */
#define FLOOD_MAX_MS 60000     /* a flood that never stalls is a failure */
#define FLOOD_TYPE 0x7f00      /* a message type nobody knows: passed as it is */
#define FLOOD_BODY VMC_AGENT_FILTER_MESSAGE_MAX /* the largest message the filter passes */
#define XFER_BYTES (16u * 1024 * 1024)          /* a denied file transfer's data, sent in one go */
#define AGENT_CHUNK 2048                        /* VD_AGENT_MAX_DATA_SIZE: an AGENT_DATA body */
#define LINE_MAX_BYTES 512                      /* a marker's text */
#define SERVER_LIFE_MS (15 * 60 * 1000)         /* a stalled server connection ends by itself */
#define TRICKLE_SLOW_US 2000                    /* the slow trickle: 4112 bytes would take 8 s */
#define TRICKLE_FAST_LINK_US 40000              /* the fast one: its 38-byte link in 1.5 s */
#define TRICKLE_FAST_US 5000
#define TRICKLE_FAST_DATA 200
#define SERVER_TRICKLE_US 20000 /* the server's trickled link reply: ~4 s */
#define FAILED_MAX 1024

/* The channel ids the client uses as tags (what the test releases). */
enum {
    TAG_NONE = 0,
    TAG_FAST = 7,
    TAG_FLOOD = 20,
    TAG_AGENT = 21,
    TAG_FILL = 22,
    TAG_SREPLY = 23,
    TAG_SFLOOD = 24,
};

typedef enum {
    B_SINK = 1,         /* handshake, then read everything until EOF */
    B_STALL,            /* handshake, then never read; flood the client */
    B_MARKER,           /* a line for the test; answered after go-SEQ */
    B_SILENT,           /* handshake, then neither read nor write */
    B_REPLY_HUGE,       /* a link reply claiming 4 GiB, then a flood of zeros */
    B_REPLY_BAD_MAGIC,  /* a link reply that is not REDQ */
    B_REPLY_BAD_CAPS,   /* a link reply whose caps lie outside it */
    B_REPLY_ERROR_DATA, /* a refused link, then bytes anyway */
    B_REPLY_SHORT,      /* a link reply shorter than SpiceLinkReply */
    B_REPLY_TRICKLE,    /* a valid reply, result and message, a byte at a time */
    B_LIST,             /* handshake, then a SPICE_MSG_LIST */
    B_BIG_MESSAGE,      /* handshake, then a message claiming 2 GiB */
    B_AGENT_4GIB,       /* handshake, then an agent message claiming 4 GiB */
    B_AGENT_DATA_BIG,   /* handshake, then an AGENT_DATA message over the filter's bound */
    B_SUBLIST,          /* no mini header: a full header with sub-messages */
    B_MAX,
} Behaviour;

static const char *const behaviour_names[B_MAX] = {
    [B_SINK] = "sink",
    [B_STALL] = "stall",
    [B_MARKER] = "marker",
    [B_SILENT] = "silent",
    [B_REPLY_HUGE] = "reply-huge",
    [B_REPLY_BAD_MAGIC] = "reply-bad-magic",
    [B_REPLY_BAD_CAPS] = "reply-bad-caps",
    [B_REPLY_ERROR_DATA] = "reply-error-data",
    [B_REPLY_SHORT] = "reply-short",
    [B_REPLY_TRICKLE] = "reply-trickle",
    [B_LIST] = "list",
    [B_BIG_MESSAGE] = "big-message",
    [B_AGENT_4GIB] = "agent-4gib",
    [B_AGENT_DATA_BIG] = "agent-data-big",
    [B_SUBLIST] = "sublist",
};

/* Offsets in a client's link message (SpiceLinkHeader + SpiceLinkMess). */
enum {
    OFF_MAGIC = 0,
    OFF_MAJOR = 4,
    OFF_SIZE = 12,
    OFF_CONNECTION_ID = 16,
    OFF_TYPE = 20,
    OFF_TAG = 21,
    OFF_N_COMMON = 22,
    OFF_N_CHANNEL = 26,
    OFF_CAPS_OFFSET = 30,
    LINK_LENGTH = 38, /* with one common caps word */
};

#define CAP(bit) (1u << (bit))
#define CLIENT_CAPS CAP(SPICE_COMMON_CAP_MINI_HEADER)
#define REPLY_SIZE (sizeof(SpiceLinkReply) + 4) /* one caps word */
#define TICKET_SIZE sizeof(SpiceLinkEncryptedTicket)
#define MINI_SIZE sizeof(SpiceMiniDataHeader)

/* ---- common ---- */

static gint64
now_ms(void)
{
    return g_get_monotonic_time() / 1000;
}

static void
put_le16(guint8 *p, guint16 value)
{
    p[0] = (guint8)value;
    p[1] = (guint8)(value >> 8);
}

static void
put_le32(guint8 *p, guint32 value)
{
    for (guint i = 0; i < 4; i++)
        p[i] = (guint8)(value >> (8 * i));
}

static guint32
le32(const guint8 *p)
{
    return (guint32)p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 | (guint32)p[3] << 24;
}

static void
set_timeouts(int fd, int seconds)
{
    struct timeval tv = {.tv_sec = seconds};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static void
set_nonblocking(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* Blocking: FALSE when the peer went away or the timeout passed. */
static gboolean
write_all(int fd, const void *data, gsize length, guint64 *counter)
{
    const guint8 *p = data;
    while (length > 0) {
        ssize_t n = send(fd, p, length, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return FALSE;
        if (counter != NULL)
            *counter += (guint64)n;
        p += n;
        length -= (gsize)n;
    }
    return TRUE;
}

static gboolean
read_exact(int fd, void *data, gsize length, guint64 *counter)
{
    guint8 *p = data;
    while (length > 0) {
        ssize_t n = read(fd, p, length);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return FALSE;
        if (counter != NULL)
            *counter += (guint64)n;
        p += n;
        length -= (gsize)n;
    }
    return TRUE;
}

/* A client link message for type with one common caps word. */
static gsize
put_link(guint8 *buf, guint8 type, guint32 connection_id, guint8 tag, guint32 caps)
{
    memset(buf, 0, LINK_LENGTH);
    put_le32(buf + OFF_MAGIC, SPICE_MAGIC);
    put_le32(buf + OFF_MAJOR, SPICE_VERSION_MAJOR);
    put_le32(buf + 8, SPICE_VERSION_MINOR);
    put_le32(buf + OFF_SIZE, LINK_LENGTH - VMC_SPICE_LINK_HEADER_SIZE);
    put_le32(buf + OFF_CONNECTION_ID, connection_id);
    buf[OFF_TYPE] = type;
    buf[OFF_TAG] = tag;
    put_le32(buf + OFF_N_COMMON, 1);
    put_le32(buf + OFF_CAPS_OFFSET, VMC_SPICE_LINK_MESS_MIN);
    put_le32(buf + LINK_LENGTH - 4, caps);
    return LINK_LENGTH;
}

/* A server's link reply: header, SpiceLinkReply, one common caps word. */
static gsize
put_reply(guint8 *buf, guint32 error, guint32 caps)
{
    memset(buf, 0, VMC_SPICE_LINK_HEADER_SIZE + REPLY_SIZE);
    put_le32(buf + OFF_MAGIC, SPICE_MAGIC);
    put_le32(buf + OFF_MAJOR, SPICE_VERSION_MAJOR);
    put_le32(buf + 8, SPICE_VERSION_MINOR);
    put_le32(buf + OFF_SIZE, REPLY_SIZE);
    guint8 *r = buf + VMC_SPICE_LINK_HEADER_SIZE;
    put_le32(r, error);
    put_le32(r + G_STRUCT_OFFSET(SpiceLinkReply, num_common_caps), 1);
    put_le32(r + G_STRUCT_OFFSET(SpiceLinkReply, caps_offset), sizeof(SpiceLinkReply));
    put_le32(r + sizeof(SpiceLinkReply), caps);
    return VMC_SPICE_LINK_HEADER_SIZE + REPLY_SIZE;
}

static gsize
put_mini(guint8 *buf, guint16 type, guint32 size)
{
    put_le16(buf, type);
    put_le32(buf + 2, size);
    return MINI_SIZE;
}

/* An agent message header (VDAgentMessage). */
static gsize
put_agent(guint8 *buf, guint32 protocol, guint32 type, guint32 size)
{
    memset(buf, 0, sizeof(VDAgentMessage));
    put_le32(buf, protocol);
    put_le32(buf + G_STRUCT_OFFSET(VDAgentMessage, type), type);
    put_le32(buf + G_STRUCT_OFFSET(VDAgentMessage, size), size);
    return sizeof(VDAgentMessage);
}

/* The flood both sides send on a stalled channel: messages of FLOOD_TYPE
 * with FLOOD_BODY bytes, as one stream (valid for the agent filter). `pos`
 * is where in that stream buf starts. */
static void
fill_flood(guint8 *buf, gsize length, guint64 pos)
{
    const guint64 unit = MINI_SIZE + FLOOD_BODY;
    for (gsize i = 0; i < length; i++) {
        guint64 at = (pos + i) % unit;
        guint8 header[MINI_SIZE];
        if (at < MINI_SIZE) {
            put_mini(header, FLOOD_TYPE, FLOOD_BODY);
            buf[i] = header[at];
        } else {
            buf[i] = (guint8)(at * 7);
        }
    }
}

/* ---- the server role ---- */

typedef struct {
    FILE *log;
    GMutex lock;
    char control[PATH_MAX];
    guint accepts;
    guint markers;
} Server;

static Server server;

typedef struct {
    int fd;
    guint id;
    Behaviour behaviour;
    guint type;
    guint tag;
    guint32 client_caps;
    guint64 read;
    guint64 wrote;
} ServerConn;

G_GNUC_PRINTF(1, 2)
static void
server_log(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    g_mutex_lock(&server.lock);
    vfprintf(server.log, format, args);
    fputc('\n', server.log);
    fflush(server.log);
    g_mutex_unlock(&server.lock);
    va_end(args);
}

static gboolean
control_file_exists(const char *what, guint n)
{
    char path[PATH_MAX + 32];
    g_snprintf(path, sizeof path, "%s/%s-%u", server.control, what, n);
    return access(path, F_OK) == 0;
}

/* The client's link message: which behaviour, channel and tag. */
static gboolean
server_read_link(ServerConn *c)
{
    guint8 link[VMC_SPICE_LINK_HEADER_SIZE + VMC_SPICE_LINK_MESS_MAX];
    if (!read_exact(c->fd, link, VMC_SPICE_LINK_HEADER_SIZE, NULL))
        return FALSE;
    guint32 size = le32(link + OFF_SIZE);
    if (le32(link) != SPICE_MAGIC || size < VMC_SPICE_LINK_MESS_MIN ||
        size > VMC_SPICE_LINK_MESS_MAX ||
        !read_exact(c->fd, link + VMC_SPICE_LINK_HEADER_SIZE, size, NULL))
        return FALSE;
    guint32 id = le32(link + OFF_CONNECTION_ID);
    guint behaviour = id & 0xff;
    c->behaviour = (id & ~0xffu) == HOSTILE_ID && behaviour > 0 && behaviour < B_MAX
                       ? (Behaviour)behaviour
                       : B_SINK;
    c->type = link[OFF_TYPE];
    c->tag = link[OFF_TAG];
    guint32 offset = le32(link + OFF_CAPS_OFFSET);
    if (le32(link + OFF_N_COMMON) > 0 && (guint64)offset + 4 <= size)
        c->client_caps = le32(link + VMC_SPICE_LINK_HEADER_SIZE + offset);
    return TRUE;
}

static gboolean
server_send(ServerConn *c, const void *data, gsize length)
{
    return write_all(c->fd, data, length, &c->wrote);
}

/* The rest of an honest link: the reply, the client's auth mechanism (when
 * it asked to choose one) and ticket, the result. */
static gboolean
server_handshake(ServerConn *c, guint32 server_caps)
{
    guint8 reply[VMC_SPICE_LINK_HEADER_SIZE + REPLY_SIZE];
    guint8 ticket[TICKET_SIZE + 4];
    guint8 result[4] = {0, 0, 0, 0};
    gsize reply_length = put_reply(reply, SPICE_LINK_ERR_OK, server_caps);
    gsize ticket_length = TICKET_SIZE;
    if (c->client_caps & CAP(SPICE_COMMON_CAP_PROTOCOL_AUTH_SELECTION))
        ticket_length += 4;
    return server_send(c, reply, reply_length) &&
           read_exact(c->fd, ticket, ticket_length, &c->read) &&
           server_send(c, result, sizeof result);
}

/* Never read again: send the flood (or nothing) while the socket takes it,
 * until the relay closes the connection, the test releases the tag, or the
 * connection's life is over. */
static void
server_stall(ServerConn *c, gboolean flood, gboolean zeros)
{
    static const guint8 zero[FLOOD_BODY];
    guint8 *chunk = g_malloc(FLOOD_BODY);
    guint64 flooded = 0; /* the flood's own position: its messages start at 0 */
    gint64 end = now_ms() + SERVER_LIFE_MS;
    set_nonblocking(c->fd);
    while (now_ms() < end && !control_file_exists("release", c->tag)) {
        struct pollfd p = {.fd = c->fd, .events = flood ? POLLOUT : 0};
        if (poll(&p, 1, 100) < 0 && errno != EINTR)
            break;
        if (p.revents & (POLLHUP | POLLERR | POLLNVAL))
            break;
        if (!(p.revents & POLLOUT))
            continue;
        if (!zeros)
            fill_flood(chunk, FLOOD_BODY, flooded);
        ssize_t n = send(c->fd, zeros ? zero : chunk, FLOOD_BODY, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            c->wrote += (guint64)n;
            flooded += (guint64)n;
        } else if (n < 0 && errno != EAGAIN && errno != EINTR)
            break;
    }
    g_free(chunk);
}

static void
server_sink(ServerConn *c)
{
    guint8 buf[16384];
    for (;;) {
        ssize_t n = read(c->fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            continue; /* the read timeout: a slow client, keep waiting */
        if (n <= 0)
            return;
        c->read += (guint64)n;
    }
}

/* A marker: log the client's line, wait for the test, answer. */
static void
server_marker(ServerConn *c)
{
    char line[LINE_MAX_BYTES];
    gsize length = 0;
    while (length + 1 < sizeof line) {
        if (!read_exact(c->fd, line + length, 1, &c->read) || line[length] == '\n')
            break;
        if ((guint8)line[length] < 0x20 || (guint8)line[length] > 0x7e)
            line[length] = '?';
        length++;
    }
    line[length] = '\0';
    g_mutex_lock(&server.lock);
    guint seq = ++server.markers;
    fprintf(server.log, "marker %u accepts=%u %s\n", seq, server.accepts, line);
    fflush(server.log);
    g_mutex_unlock(&server.lock);
    for (gint64 end = now_ms() + MARKER_TIMEOUT_S * 1000;
         now_ms() < end && !control_file_exists("go", seq);)
        g_usleep(20 * 1000);
    guint8 reply[VMC_SPICE_LINK_HEADER_SIZE + REPLY_SIZE];
    server_send(c, reply, put_reply(reply, SPICE_LINK_ERR_OK, 0));
}

/* Each byte on its own, SERVER_TRICKLE_US apart. */
static gboolean
server_trickle(ServerConn *c, const guint8 *bytes, gsize length)
{
    for (gsize i = 0; i < length; i++) {
        if (!server_send(c, bytes + i, 1))
            return FALSE;
        g_usleep(SERVER_TRICKLE_US);
    }
    return TRUE;
}

static void
server_reply_trickle(ServerConn *c)
{
    guint8 reply[VMC_SPICE_LINK_HEADER_SIZE + REPLY_SIZE];
    guint8 ticket[TICKET_SIZE];
    guint8 message[MINI_SIZE + 32];
    static const guint8 result[4] = {0, 0, 0, 0};
    gsize length = put_reply(reply, SPICE_LINK_ERR_OK, CAP(SPICE_COMMON_CAP_MINI_HEADER));
    put_mini(message, FLOOD_TYPE, 32);
    for (guint i = 0; i < 32; i++)
        message[MINI_SIZE + i] = (guint8)(0xa0 + i);
    if (server_trickle(c, reply, length) && read_exact(c->fd, ticket, sizeof ticket, &c->read) &&
        server_trickle(c, result, sizeof result) && server_trickle(c, message, sizeof message))
        server_sink(c);
}

/* A hostile link reply in place of the honest one; then the stall. */
static void
server_bad_reply(ServerConn *c)
{
    guint8 reply[VMC_SPICE_LINK_HEADER_SIZE + REPLY_SIZE + 64];
    gsize length = put_reply(reply, SPICE_LINK_ERR_OK, CAP(SPICE_COMMON_CAP_MINI_HEADER));
    guint8 *r = reply + VMC_SPICE_LINK_HEADER_SIZE;
    switch (c->behaviour) {
    case B_REPLY_HUGE:
        put_le32(reply + OFF_SIZE, G_MAXUINT32);
        length = VMC_SPICE_LINK_HEADER_SIZE;
        break;
    case B_REPLY_BAD_MAGIC:
        memcpy(reply, "REDX", 4);
        break;
    case B_REPLY_BAD_CAPS:
        put_le32(r + G_STRUCT_OFFSET(SpiceLinkReply, num_common_caps), G_MAXUINT32);
        break;
    case B_REPLY_ERROR_DATA:
        put_le32(r, SPICE_LINK_ERR_PERMISSION_DENIED);
        memset(reply + length, 0x55, 64);
        length += 64;
        break;
    case B_REPLY_SHORT:
        put_le32(reply + OFF_SIZE, 100);
        length = VMC_SPICE_LINK_HEADER_SIZE + 100;
        break;
    default:
        g_assert_not_reached();
    }
    if (server_send(c, reply, length))
        server_stall(c, c->behaviour == B_REPLY_HUGE, TRUE);
}

/* An honest handshake, then one message the filter must refuse; the relay
 * then closes the connection (the stall ends at once). */
static void
server_bad_message(ServerConn *c)
{
    guint8 message[MINI_SIZE + sizeof(VDAgentMessage) + 5000];
    gsize length = 0;
    gboolean mini = c->behaviour != B_SUBLIST;
    if (!server_handshake(c, mini ? CAP(SPICE_COMMON_CAP_MINI_HEADER) : 0))
        return;
    memset(message, 0x33, sizeof message);
    switch (c->behaviour) {
    case B_LIST:
        length = put_mini(message, SPICE_MSG_LIST, 20) + 20;
        break;
    case B_BIG_MESSAGE:
        length = put_mini(message, FLOOD_TYPE, G_MAXINT32) + 64;
        break;
    case B_AGENT_4GIB:
        length = put_mini(message, SPICE_MSG_MAIN_AGENT_DATA, sizeof(VDAgentMessage));
        length += put_agent(message + length, VD_AGENT_PROTOCOL, VD_AGENT_CLIPBOARD, G_MAXUINT32);
        break;
    case B_AGENT_DATA_BIG:
        length = put_mini(message, SPICE_MSG_MAIN_AGENT_DATA, 5000) + 5000;
        break;
    case B_SUBLIST: /* SpiceDataHeader: serial, type, size, sub_list */
        memset(message, 0, sizeof(SpiceDataHeader));
        message[0] = 1;
        put_le16(message + 8, FLOOD_TYPE);
        put_le32(message + 10, 16);
        put_le32(message + 14, 1);
        length = sizeof(SpiceDataHeader) + 16;
        break;
    default:
        g_assert_not_reached();
    }
    if (server_send(c, message, length))
        server_stall(c, FALSE, FALSE);
}

static gpointer
server_serve(gpointer data)
{
    ServerConn *c = data;
    set_timeouts(c->fd, IO_TIMEOUT_S);
    if (!server_read_link(c)) {
        server_log("done %u behaviour=nolink", c->id);
        close(c->fd);
        g_free(c);
        return NULL;
    }
    const char *name = behaviour_names[c->behaviour];
    server_log("conn %u behaviour=%s channel=%u tag=%u", c->id, name, c->type, c->tag);
    switch (c->behaviour) {
    case B_SINK:
        if (server_handshake(c, CAP(SPICE_COMMON_CAP_MINI_HEADER)))
            server_sink(c);
        break;
    case B_STALL:
    case B_SILENT:
        if (server_handshake(c, CAP(SPICE_COMMON_CAP_MINI_HEADER)))
            server_stall(c, c->behaviour == B_STALL, FALSE);
        break;
    case B_MARKER:
        server_marker(c);
        break;
    case B_REPLY_TRICKLE:
        server_reply_trickle(c);
        break;
    case B_REPLY_HUGE:
    case B_REPLY_BAD_MAGIC:
    case B_REPLY_BAD_CAPS:
    case B_REPLY_ERROR_DATA:
    case B_REPLY_SHORT:
        server_bad_reply(c);
        break;
    default:
        server_bad_message(c);
        break;
    }
    server_log("done %u behaviour=%s channel=%u tag=%u read=%" G_GUINT64_FORMAT
               " wrote=%" G_GUINT64_FORMAT,
               c->id, name, c->type, c->tag, c->read, c->wrote);
    close(c->fd);
    g_free(c);
    return NULL;
}

static int
server_main(int argc, char **argv)
{
    if (argc < 5 || argc > 6 || (argc == 6 && strcmp(argv[5], "close") != 0)) {
        fprintf(stderr, "usage: hostile-spice server SOCKET LOG CONTROL-DIR [close]\n");
        return 2;
    }
    gboolean close_all = argc == 6;
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strlen(argv[2]) >= sizeof address.sun_path) {
        fprintf(stderr, "hostile-spice: socket path too long\n");
        return 2;
    }
    strcpy(address.sun_path, argv[2]);
    g_strlcpy(server.control, argv[4], sizeof server.control);
    g_mutex_init(&server.lock);
    server.log = fopen(argv[3], "a");
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (server.log == NULL || fd < 0 ||
        bind(fd, (struct sockaddr *)&address, sizeof address) != 0 || listen(fd, 128) != 0) {
        fprintf(stderr, "hostile-spice: cannot listen on %s: %s\n", argv[2], g_strerror(errno));
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    for (;;) {
        int client_fd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
        if (client_fd < 0) {
            if (errno == EMFILE || errno == ENFILE)
                g_usleep(10 * 1000); /* out of fds: wait for connections to end */
            if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE)
                continue;
            fprintf(stderr, "hostile-spice: accept: %s\n", g_strerror(errno));
            return 1;
        }
        g_mutex_lock(&server.lock);
        guint id = ++server.accepts;
        g_mutex_unlock(&server.lock);
        server_log("accept %u", id);
        if (close_all) {
            close(client_fd);
            server_log("done %u behaviour=close", id);
            continue;
        }
        ServerConn *c = g_new0(ServerConn, 1);
        c->fd = client_fd;
        c->id = id;
        g_thread_unref(g_thread_new("conn", server_serve, c));
    }
}

/* ---- the client role ---- */

typedef struct {
    char path[sizeof(((struct sockaddr_un *)NULL)->sun_path)];
    guint connections[VMC_SPICE_CHANNEL_MAX + 1]; /* relayed, as the relay counts them */
    guint64 sent[VMC_SPICE_CHANNEL_MAX + 1];      /* bytes written, link messages included */
    guint rejected;                               /* connections the relay must have refused */
    guint agent_refused; /* ... of them main channels the agent filter could not follow */
    guint failures;
    GString *failed;
} Client;

static Client client;

G_GNUC_PRINTF(2, 3)
static gboolean
expect(gboolean ok, const char *format, ...)
{
    if (ok)
        return TRUE;
    va_list args;
    va_start(args, format);
    g_autofree char *what = g_strdup_vprintf(format, args);
    va_end(args);
    client.failures++;
    fprintf(stderr, "hostile-spice: FAIL %s\n", what);
    if (client.failed->len < FAILED_MAX)
        g_string_append_printf(client.failed, "%s%s", client.failed->len > 0 ? "; " : "", what);
    return FALSE;
}

/* A blocking connection to the relay (nothing sent). */
static int
client_connect(void)
{
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    memcpy(address.sun_path, client.path, sizeof address.sun_path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    set_timeouts(fd, IO_TIMEOUT_S);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static gboolean
client_send(int fd, guint type, const void *data, gsize length)
{
    return write_all(fd, data, length, &client.sent[type]);
}

/* The server's reply (any size up to the bound): TRUE when it is REDQ. */
static gboolean
client_read_reply(int fd, guint32 *ret_error)
{
    guint8 reply[VMC_SPICE_LINK_HEADER_SIZE + VMC_AGENT_FILTER_LINK_REPLY_MAX];
    if (!read_exact(fd, reply, VMC_SPICE_LINK_HEADER_SIZE, NULL) || le32(reply) != SPICE_MAGIC)
        return FALSE;
    guint32 size = le32(reply + OFF_SIZE);
    if (size < 4 || size > VMC_AGENT_FILTER_LINK_REPLY_MAX ||
        !read_exact(fd, reply + VMC_SPICE_LINK_HEADER_SIZE, size, NULL))
        return FALSE;
    *ret_error = le32(reply + VMC_SPICE_LINK_HEADER_SIZE);
    return TRUE;
}

/* Connect, link (the behaviour asked of the server, tag as channel id), read
 * the reply, send the ticket; with `result` also read the link result.
 * Counted as relayed on success. -1 when any of it failed. */
static int
client_open(guint type, Behaviour behaviour, guint tag, gboolean result)
{
    guint8 link[LINK_LENGTH];
    static const guint8 ticket[TICKET_SIZE];
    guint8 answer[4];
    guint32 error = 0;
    int fd = client_connect();
    if (fd < 0)
        return -1;
    put_link(link, (guint8)type, HOSTILE_ID | behaviour, (guint8)tag, CLIENT_CAPS);
    if (!client_send(fd, type, link, sizeof link) || !client_read_reply(fd, &error) ||
        error != SPICE_LINK_ERR_OK || !client_send(fd, type, ticket, sizeof ticket) ||
        (result && (!read_exact(fd, answer, sizeof answer, NULL) || le32(answer) != 0))) {
        close(fd);
        return -1;
    }
    client.connections[type]++;
    return fd;
}

/* Read (and drop) until EOF or a reset: ms from `since` to then, or -1 when
 * the connection is still open at since + timeout_ms. */
static gint64
client_wait_closed(int fd, gint64 since, gint64 timeout_ms)
{
    guint8 buf[16384];
    for (;;) {
        gint64 left = since + timeout_ms - now_ms();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0)
            return -1;
        int ready = poll(&p, 1, (int)MIN(left, 1000));
        if (ready < 0 && errno != EINTR)
            return -1;
        if (ready <= 0)
            continue;
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            return now_ms() - since;
    }
}

/* client_wait_closed for n connections at once: ret_ms[i] is when fds[i]
 * was closed after opened[i] (-1: still open at opened[i] + timeout_ms, or
 * never connected). */
static void
client_wait_all_closed(const int *fds, const gint64 *opened, guint n, gint64 timeout_ms,
                       gint64 *ret_ms)
{
    g_autofree struct pollfd *p = g_new0(struct pollfd, n);
    guint8 buf[4096];
    gint64 end = 0;
    for (guint i = 0; i < n; i++) {
        p[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
        ret_ms[i] = -1;
        end = MAX(end, opened[i] + timeout_ms);
    }
    for (guint left = n; left > 0 && now_ms() < end;) {
        if (poll(p, n, 100) < 0 && errno != EINTR)
            return;
        for (guint i = 0; i < n; i++) {
            if (p[i].fd < 0 || p[i].revents == 0)
                continue;
            ssize_t got = recv(p[i].fd, buf, sizeof buf, MSG_DONTWAIT);
            if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
                ret_ms[i] = now_ms() - opened[i];
                p[i].fd = -1; /* poll ignores it from now on */
                left--;
            }
        }
    }
}

/* One line to the test through the server; returns once the test let go. */
G_GNUC_PRINTF(1, 2)
static void
marker(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    g_autofree char *text = g_strdup_vprintf(format, args);
    va_end(args);
    g_autofree char *line = g_strconcat(text, "\n", NULL);
    guint8 link[LINK_LENGTH];
    guint8 reply[VMC_SPICE_LINK_HEADER_SIZE];
    int fd = client_connect();
    if (fd < 0) {
        fprintf(stderr, "hostile-spice: no marker connection for '%s'\n", text);
        exit(1);
    }
    set_timeouts(fd, MARKER_TIMEOUT_S);
    put_link(link, VMC_SPICE_CHANNEL_INPUTS, HOSTILE_ID | B_MARKER, 0, CLIENT_CAPS);
    client.connections[VMC_SPICE_CHANNEL_INPUTS]++;
    if (!client_send(fd, VMC_SPICE_CHANNEL_INPUTS, link, sizeof link) ||
        !client_send(fd, VMC_SPICE_CHANNEL_INPUTS, line, strlen(line)) ||
        !read_exact(fd, reply, sizeof reply, NULL)) {
        fprintf(stderr, "hostile-spice: the marker '%s' was not answered\n", text);
        exit(1);
    }
    client_wait_closed(fd, now_ms(), IO_TIMEOUT_S * 1000);
    close(fd);
    g_usleep(300 * 1000); /* the relay lets go of it before the next step */
}

/* ---- floods that must stall (backpressure) ---- */

typedef struct {
    int fd;
    guint type;
    guint64 pos; /* bytes of the flood sent */
} Flood;

/* Send the flood on every fd (non-blocking) until none of them has taken a
 * byte for STALL_QUIET_MS. FALSE when that never happened. */
static gboolean
flood_until_stalled(Flood *floods, guint n)
{
    guint8 *chunk = g_malloc(FLOOD_BODY);
    gint64 start = now_ms(), progress = start;
    for (guint i = 0; i < n; i++)
        set_nonblocking(floods[i].fd);
    while (now_ms() - progress < STALL_QUIET_MS && now_ms() - start < FLOOD_MAX_MS) {
        gboolean moved = FALSE;
        for (guint i = 0; i < n; i++) {
            fill_flood(chunk, FLOOD_BODY, floods[i].pos);
            ssize_t n_sent = send(floods[i].fd, chunk, FLOOD_BODY, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n_sent > 0) {
                floods[i].pos += (guint64)n_sent;
                client.sent[floods[i].type] += (guint64)n_sent;
                moved = TRUE;
            }
        }
        if (moved)
            progress = now_ms();
        else
            g_usleep(20 * 1000);
    }
    g_free(chunk);
    return now_ms() - progress >= STALL_QUIET_MS;
}

/* Open n channels of type with behaviour and tag into floods[at..]. */
static guint
open_many(Flood *floods, guint at, guint n, guint type, Behaviour behaviour, guint tag)
{
    guint opened = 0;
    for (guint i = 0; i < n; i++) {
        int fd = client_open(type, behaviour, tag, TRUE);
        if (fd < 0)
            continue;
        floods[at + opened++] = (Flood){fd, type, 0};
    }
    expect(opened == n, "%u of %u %s channels (%s) opened", opened, n, vmc_spice_channel_name(type),
           behaviour_names[behaviour]);
    return opened;
}

static guint64
flood_total(const Flood *floods, guint n)
{
    guint64 total = 0;
    for (guint i = 0; i < n; i++)
        total += floods[i].pos;
    return total;
}

/* Hold the stall for the test to measure, close our side, let the test
 * release the server's side, end the phase. */
static void
hold_and_close(const char *phase, guint tag, Flood *floods, guint n, const char *end_detail)
{
    marker("hold %s tag=%u conns=%u", phase, tag, n);
    for (guint i = 0; i < n; i++)
        close(floods[i].fd);
    marker("closed %s tag=%u", phase, tag);
    marker("end %s %s", phase, end_detail);
}

/* ---- the phases ---- */

/* More connections at once than the relay serves, all silent: those past
 * VMC_RELAY_MAX_CONNECTIONS are closed at once, the others at the link
 * deadline. */
static void
phase_conns(void)
{
    enum { N = VMC_RELAY_MAX_CONNECTIONS + 36 };
    int fds[N];
    gint64 opened[N], closed_ms[N];
    guint at_once = 0, at_deadline = 0, early = 0, open = 0;
    gint64 min_ms = G_MAXINT64, max_ms = 0;
    for (guint i = 0; i < N; i++) {
        fds[i] = client_connect();
        opened[i] = now_ms();
    }
    client_wait_all_closed(fds, opened, N, VMC_RELAY_LINK_TIMEOUT_MS + LATE_MS, closed_ms);
    for (guint i = 0; i < N; i++) {
        gint64 ms = closed_ms[i];
        if (ms < 0)
            open++;
        else if (ms < PROMPT_MS)
            at_once++;
        else if (ms < VMC_RELAY_LINK_TIMEOUT_MS - 100)
            early++;
        else
            at_deadline++;
        if (ms >= PROMPT_MS) {
            min_ms = MIN(min_ms, ms);
            max_ms = MAX(max_ms, ms);
        }
        if (fds[i] >= 0)
            close(fds[i]);
    }
    client.rejected += at_once + at_deadline + early;
    expect(at_once >= N - VMC_RELAY_MAX_CONNECTIONS,
           "conns: %u of %u connections refused at once (at least %u)", at_once, N,
           N - VMC_RELAY_MAX_CONNECTIONS);
    expect(at_deadline <= VMC_RELAY_MAX_CONNECTIONS && early == 0 && open == 0,
           "conns: %u dropped at the link deadline, %u before it, %u still open", at_deadline,
           early, open);
    marker("end conns opened=%u at_once=%u at_deadline=%u early=%u open=%u "
           "deadline_min_ms=%" G_GINT64_FORMAT " deadline_max_ms=%" G_GINT64_FORMAT,
           N, at_once, at_deadline, early, open, at_deadline > 0 ? min_ms : 0, max_ms);
}

typedef struct {
    const char *name;
    guint offset[2]; /* fields patched in a valid display link message (0: none) */
    guint32 value[2];
    guint width[2]; /* 4 or 1 */
} HeaderCase;

static const HeaderCase header_cases[] = {
    {"bad-magic", {OFF_MAGIC}, {0x58444552u /* "REDX" */}, {4}},
    {"major-1", {OFF_MAJOR}, {1}, {4}},
    {"size-4gib", {OFF_SIZE}, {G_MAXUINT32}, {4}},
    {"size-4097", {OFF_SIZE}, {VMC_SPICE_LINK_MESS_MAX + 1}, {4}},
    {"size-17", {OFF_SIZE}, {VMC_SPICE_LINK_MESS_MIN - 1}, {4}},
    {"caps-sum-wraps", {OFF_N_COMMON, OFF_N_CHANNEL}, {0x80000000u, 0x80000000u}, {4, 4}},
    {"caps-times-4-wraps", {OFF_N_COMMON}, {0x40000000u}, {4}},
    {"caps-1025", {OFF_N_CHANNEL}, {VMC_SPICE_LINK_CAPS_MAX + 1}, {4}},
    {"caps-over-size", {OFF_N_COMMON, OFF_N_CHANNEL}, {1024, 1024}, {4, 4}},
    {"caps-offset-outside", {OFF_CAPS_OFFSET}, {G_MAXUINT32}, {4}},
    {"caps-offset-wraps", {OFF_CAPS_OFFSET}, {0xfffffffcu}, {4}},
    {"caps-offset-in-header", {OFF_CAPS_OFFSET}, {4}, {4}},
    {"channel-0", {OFF_TYPE}, {0}, {1}},
    {"channel-usbredir", {OFF_TYPE}, {VMC_SPICE_CHANNEL_USBREDIR}, {1}},
    {"channel-255", {OFF_TYPE}, {255}, {1}},
};

/* Send bytes (then half-close with `shut`): the relay must hang up promptly,
 * having forwarded nothing. */
static void
expect_prompt_refusal(const char *name, const guint8 *bytes, gsize length, gboolean shut,
                      gint64 *max_ms)
{
    int fd = client_connect();
    if (!expect(fd >= 0, "header %s: no connection", name))
        return;
    gint64 start = now_ms();
    client_send(fd, VMC_SPICE_CHANNEL_DISPLAY, bytes, length);
    if (shut)
        shutdown(fd, SHUT_WR);
    gint64 ms = client_wait_closed(fd, start, PROMPT_MS);
    close(fd);
    client.rejected++;
    *max_ms = MAX(*max_ms, ms);
    expect(ms >= 0, "header %s: not refused within %d ms", name, PROMPT_MS);
}

static void
phase_header(void)
{
    guint8 buf[2 * LINK_LENGTH];
    gint64 max_ms = 0;
    guint n = 0;
    for (gsize i = 0; i < G_N_ELEMENTS(header_cases); i++, n++) {
        const HeaderCase *hc = &header_cases[i];
        put_link(buf, VMC_SPICE_CHANNEL_DISPLAY, HOSTILE_ID | B_SINK, 0, CLIENT_CAPS);
        for (guint f = 0; f < 2 && hc->width[f] > 0; f++) {
            if (hc->width[f] == 1)
                buf[hc->offset[f]] = (guint8)hc->value[f];
            else
                put_le32(buf + hc->offset[f], hc->value[f]);
        }
        expect_prompt_refusal(hc->name, buf, LINK_LENGTH, FALSE, &max_ms);
    }
    static const char http[] = "GET / HTTP/1.1\r\nHost: vm\r\n\r\n";
    expect_prompt_refusal("http", (const guint8 *)http, sizeof http - 1, FALSE, &max_ms);
    /* a bad link message followed by a good one in the same write */
    put_link(buf, 0, HOSTILE_ID | B_SINK, 0, CLIENT_CAPS);
    put_link(buf + LINK_LENGTH, VMC_SPICE_CHANNEL_DISPLAY, HOSTILE_ID | B_SINK, 0, CLIENT_CAPS);
    expect_prompt_refusal("bad-then-good", buf, sizeof buf, FALSE, &max_ms);
    /* gone half way through the header */
    put_link(buf, VMC_SPICE_CHANNEL_DISPLAY, HOSTILE_ID | B_SINK, 0, CLIENT_CAPS);
    expect_prompt_refusal("gone", buf, 10, TRUE, &max_ms);
    n += 3;
    marker("end header cases=%u max_ms=%" G_GINT64_FORMAT, n, max_ms);
}

/* Silence in the link phase: nothing, half a header, a header and part of
 * a 4 KiB link message. Each dropped at the deadline, not before. */
static void
phase_stall(void)
{
    enum { EACH = 8, N = 3 * EACH };
    int fds[N];
    gint64 opened[N];
    guint8 link[VMC_SPICE_LINK_HEADER_SIZE + 100];
    put_link(link, VMC_SPICE_CHANNEL_DISPLAY, HOSTILE_ID | B_SINK, 0, CLIENT_CAPS);
    put_le32(link + OFF_SIZE, VMC_SPICE_LINK_MESS_MAX);
    memset(link + LINK_LENGTH, 0, sizeof link - LINK_LENGTH);
    for (guint i = 0; i < N; i++) {
        fds[i] = client_connect();
        opened[i] = now_ms();
        gsize length = i < EACH ? 0 : i < 2 * EACH ? VMC_SPICE_LINK_HEADER_SIZE / 2 : sizeof link;
        if (fds[i] >= 0 && length > 0)
            client_send(fds[i], VMC_SPICE_CHANNEL_DISPLAY, link, length);
    }
    gint64 min_ms = G_MAXINT64, max_ms = 0, closed_ms[N];
    guint closed = 0;
    client_wait_all_closed(fds, opened, N, VMC_RELAY_LINK_TIMEOUT_MS + LATE_MS, closed_ms);
    for (guint i = 0; i < N; i++) {
        gint64 ms = closed_ms[i];
        if (ms >= 0) {
            closed++;
            min_ms = MIN(min_ms, ms);
            max_ms = MAX(max_ms, ms);
        }
        if (fds[i] >= 0)
            close(fds[i]);
    }
    client.rejected += closed;
    expect(closed == N && min_ms >= VMC_RELAY_LINK_TIMEOUT_MS - 100,
           "stall: %u of %u dropped, the first after %" G_GINT64_FORMAT " ms (deadline %d ms)",
           closed, N, closed > 0 ? min_ms : 0, VMC_RELAY_LINK_TIMEOUT_MS);
    marker("end stall conns=%u closed=%u min_ms=%" G_GINT64_FORMAT " max_ms=%" G_GINT64_FORMAT, N,
           closed, closed > 0 ? min_ms : 0, max_ms);
}

typedef struct {
    gint64 closed_ms; /* slow: when the relay hung up (-1: never) */
    gsize sent;       /* link bytes that went out */
    guint64 bytes;    /* every byte that went out (the threads' own count) */
    gboolean ok;      /* fast: relayed, answered, closed in order */
} Trickle;

/* A byte at a time; FALSE when the peer went away. */
static gboolean
trickle_send(Trickle *t, int fd, const guint8 *bytes, gsize length, gulong gap_us, gsize *ret_sent)
{
    for (gsize i = 0; i < length; i++) {
        if (!write_all(fd, bytes + i, 1, &t->bytes))
            return FALSE;
        if (ret_sent != NULL)
            (*ret_sent)++;
        g_usleep(gap_us);
    }
    return TRUE;
}

/* A whole 4 KiB link message one byte every 2 ms: past the deadline. */
static gpointer
trickle_slow(gpointer data)
{
    Trickle *t = data;
    guint8 link[VMC_SPICE_LINK_HEADER_SIZE + VMC_SPICE_LINK_MESS_MAX];
    memset(link, 0, sizeof link);
    put_link(link, VMC_SPICE_CHANNEL_DISPLAY, HOSTILE_ID | B_SINK, 0, CLIENT_CAPS);
    put_le32(link + OFF_SIZE, VMC_SPICE_LINK_MESS_MAX);
    t->closed_ms = -1;
    int fd = client_connect();
    if (fd < 0)
        return NULL;
    gint64 start = now_ms();
    if (!trickle_send(t, fd, link, sizeof link, TRICKLE_SLOW_US, &t->sent))
        t->closed_ms = now_ms() - start;
    else
        t->closed_ms = client_wait_closed(fd, start, VMC_RELAY_LINK_TIMEOUT_MS + LATE_MS);
    close(fd);
    return NULL;
}

/* A short link message, the ticket and some data, each byte on its own,
 * within the deadline: relayed like any other. */
static gpointer
trickle_fast(gpointer data)
{
    Trickle *t = data;
    guint8 link[LINK_LENGTH], bytes[TICKET_SIZE + TRICKLE_FAST_DATA], answer[4];
    guint32 error = 1;
    put_link(link, VMC_SPICE_CHANNEL_DISPLAY, HOSTILE_ID | B_SINK, TAG_FAST, CLIENT_CAPS);
    memset(bytes, 0x42, sizeof bytes);
    int fd = client_connect();
    if (fd < 0)
        return NULL;
    t->ok = trickle_send(t, fd, link, sizeof link, TRICKLE_FAST_LINK_US, NULL) &&
            client_read_reply(fd, &error) && error == SPICE_LINK_ERR_OK &&
            trickle_send(t, fd, bytes, TICKET_SIZE, TRICKLE_FAST_US, NULL) &&
            read_exact(fd, answer, sizeof answer, NULL) &&
            trickle_send(t, fd, bytes + TICKET_SIZE, TRICKLE_FAST_DATA, TRICKLE_FAST_US, NULL);
    if (t->ok) {
        shutdown(fd, SHUT_WR);
        t->ok = client_wait_closed(fd, now_ms(), IO_TIMEOUT_S * 1000) >= 0;
    }
    close(fd);
    return NULL;
}

static void
phase_trickle(void)
{
    Trickle slow = {0}, fast = {0};
    GThread *threads[] = {g_thread_new("slow", trickle_slow, &slow),
                          g_thread_new("fast", trickle_fast, &fast)};
    for (gsize i = 0; i < G_N_ELEMENTS(threads); i++)
        g_thread_join(threads[i]);
    client.sent[VMC_SPICE_CHANNEL_DISPLAY] += slow.bytes + fast.bytes;
    client.connections[VMC_SPICE_CHANNEL_DISPLAY] += fast.ok ? 1 : 0;
    client.rejected++;
    expect(slow.closed_ms >= VMC_RELAY_LINK_TIMEOUT_MS - 100 &&
               slow.closed_ms <= VMC_RELAY_LINK_TIMEOUT_MS + LATE_MS,
           "trickle: the slow link message ended after %" G_GINT64_FORMAT " ms (%" G_GSIZE_FORMAT
           " bytes)",
           slow.closed_ms, slow.sent);
    expect(fast.ok, "trickle: the fast link message was not relayed");
    marker("end trickle slow_closed_ms=%" G_GINT64_FORMAT " slow_sent=%" G_GSIZE_FORMAT
           " fast_ok=%d fast_data=%u",
           slow.closed_ms, slow.sent, fast.ok, (guint)(TICKET_SIZE + TRICKLE_FAST_DATA));
}

/* Backpressure on spliced channels: display channels flooded both ways,
 * neither side reading; cursor channels half-closed toward a silent VM. */
static void
phase_flood(void)
{
    enum { DISPLAY = 56, SILENT = 4 };
    Flood floods[DISPLAY + SILENT];
    guint n = open_many(floods, 0, DISPLAY, VMC_SPICE_CHANNEL_DISPLAY, B_STALL, TAG_FLOOD);
    guint n_silent = open_many(floods, n, SILENT, VMC_SPICE_CHANNEL_CURSOR, B_SILENT, TAG_FLOOD);
    for (guint i = n; i < n + n_silent; i++)
        shutdown(floods[i].fd, SHUT_WR);
    gboolean stalled = flood_until_stalled(floods, n);
    expect(stalled, "flood: the display floods never stalled");
    guint64 sent = flood_total(floods, n);
    g_autofree char *detail = g_strdup_printf("conns=%u sent=%" G_GUINT64_FORMAT
                                              " per_conn=%" G_GUINT64_FORMAT " stalled=%d",
                                              n + n_silent, sent, n > 0 ? sent / n : 0, stalled);
    hold_and_close("flood", TAG_FLOOD, floods, n + n_silent, detail);
}

/* A handshaken main channel (through the agent filter), with the hostile
 * bytes after it: the relay must close it promptly. */
static void
expect_agent_refusal(const char *name, const guint8 *bytes, gsize length, gint64 *max_ms)
{
    int fd = client_open(VMC_SPICE_CHANNEL_MAIN, B_SINK, 0, TRUE);
    if (!expect(fd >= 0, "agent %s: the main channel did not open", name))
        return;
    gint64 start = now_ms();
    client_send(fd, VMC_SPICE_CHANNEL_MAIN, bytes, length);
    gint64 ms = client_wait_closed(fd, start, PROMPT_MS);
    close(fd);
    client.rejected++;
    client.agent_refused++;
    *max_ms = MAX(*max_ms, ms);
    expect(ms >= 0, "agent %s: the main channel was not closed within %d ms", name, PROMPT_MS);
}

/* Client data before the server's reply, and an authentication the filter
 * cannot follow (SASL) or does not know. */
static void
agent_link_refusals(gint64 *max_ms)
{
    guint8 buf[LINK_LENGTH + 16];
    guint32 error = 0;
    put_link(buf, VMC_SPICE_CHANNEL_MAIN, HOSTILE_ID | B_SINK, 0, CLIENT_CAPS);
    memset(buf + LINK_LENGTH, 0x11, 16);
    int fd = client_connect();
    gint64 start = now_ms();
    if (expect(fd >= 0, "agent early: no connection")) {
        client_send(fd, VMC_SPICE_CHANNEL_MAIN, buf, sizeof buf);
        client.connections[VMC_SPICE_CHANNEL_MAIN]++; /* relaying starts, then the filter fails */
        gint64 ms = client_wait_closed(fd, start, PROMPT_MS);
        close(fd);
        client.rejected++;
        client.agent_refused++;
        *max_ms = MAX(*max_ms, ms);
        expect(ms >= 0, "agent early: not closed within %d ms", PROMPT_MS);
    }
    static const guint32 mechanisms[] = {SPICE_COMMON_CAP_AUTH_SASL, 99};
    for (gsize i = 0; i < G_N_ELEMENTS(mechanisms); i++) {
        guint8 mechanism[4];
        fd = client_connect();
        if (!expect(fd >= 0, "agent auth %u: no connection", mechanisms[i]))
            continue;
        put_link(buf, VMC_SPICE_CHANNEL_MAIN, HOSTILE_ID | B_SINK, 0,
                 CLIENT_CAPS | CAP(SPICE_COMMON_CAP_PROTOCOL_AUTH_SELECTION));
        put_le32(mechanism, mechanisms[i]);
        gboolean linked = client_send(fd, VMC_SPICE_CHANNEL_MAIN, buf, LINK_LENGTH) &&
                          client_read_reply(fd, &error);
        client.connections[VMC_SPICE_CHANNEL_MAIN]++;
        start = now_ms();
        client_send(fd, VMC_SPICE_CHANNEL_MAIN, mechanism, sizeof mechanism);
        gint64 ms = client_wait_closed(fd, start, PROMPT_MS);
        close(fd);
        client.rejected++;
        client.agent_refused++;
        *max_ms = MAX(*max_ms, ms);
        expect(linked && ms >= 0, "agent auth %u: linked %d, closed after %" G_GINT64_FORMAT " ms",
               mechanisms[i], linked, ms);
    }
}

/* Messages the filter must refuse to follow. */
static void
agent_message_refusals(gint64 *max_ms)
{
    guint8 m[MINI_SIZE + sizeof(VDAgentMessage) + 5000];
    memset(m, 0x22, sizeof m);
    put_mini(m, SPICE_MSGC_MAIN_AGENT_DATA, 5000);
    expect_agent_refusal("agent-data-5000", m, MINI_SIZE + 5000, max_ms);
    put_mini(m, FLOOD_TYPE, G_MAXUINT32);
    expect_agent_refusal("message-4gib", m, MINI_SIZE + 64, max_ms);
    put_mini(m, FLOOD_TYPE, VMC_AGENT_FILTER_MESSAGE_MAX + 1);
    expect_agent_refusal("message-64kib+1", m, MINI_SIZE + 64, max_ms);
    static const struct {
        const char *name;
        guint32 protocol;
        guint32 size;
    } agents[] = {
        {"agent-message-4gib", VD_AGENT_PROTOCOL, G_MAXUINT32},
        {"agent-message-256mib+1", VD_AGENT_PROTOCOL, VMC_AGENT_FILTER_AGENT_MESSAGE_MAX + 1},
        {"agent-protocol", 0xdead, 4},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(agents); i++) {
        gsize length = put_mini(m, SPICE_MSGC_MAIN_AGENT_DATA, sizeof(VDAgentMessage));
        length +=
            put_agent(m + length, agents[i].protocol, VD_AGENT_FILE_XFER_DATA, agents[i].size);
        expect_agent_refusal(agents[i].name, m, length, max_ms);
    }
}

/* A denied file transfer: its start, then one 256 MiB data message sent as
 * XFER_BYTES of AGENT_DATA messages, as fast as the relay takes them; the
 * client never reads (the tokens and the refusal pile up toward it). */
static gboolean
agent_xfer_flood(int fd, guint64 *ret_sent)
{
    enum { PER_BUFFER = 64 };
    guint8 start[MINI_SIZE + sizeof(VDAgentMessage) + 16];
    gsize unit = MINI_SIZE + AGENT_CHUNK;
    g_autofree guint8 *buf = g_malloc0(unit * PER_BUFFER);
    gsize length = put_mini(start, SPICE_MSGC_MAIN_AGENT_DATA, sizeof(VDAgentMessage) + 16);
    length += put_agent(start + length, VD_AGENT_PROTOCOL, VD_AGENT_FILE_XFER_START, 16);
    memset(start + length, 0, 16);
    put_le32(start + length, 7); /* the task id */
    length += 16;
    guint64 before = client.sent[VMC_SPICE_CHANNEL_MAIN];
    if (!client_send(fd, VMC_SPICE_CHANNEL_MAIN, start, length))
        return FALSE;
    for (guint i = 0; i < PER_BUFFER; i++) {
        put_mini(buf + i * unit, SPICE_MSGC_MAIN_AGENT_DATA, AGENT_CHUNK);
        memset(buf + i * unit + MINI_SIZE, 0x5a, AGENT_CHUNK);
    }
    /* the first AGENT_DATA body starts with the data message's header */
    put_agent(buf + MINI_SIZE, VD_AGENT_PROTOCOL, VD_AGENT_FILE_XFER_DATA,
              VMC_AGENT_FILTER_AGENT_MESSAGE_MAX);
    gboolean ok = TRUE;
    for (guint64 sent = 0; ok && sent < XFER_BYTES; sent += unit * PER_BUFFER) {
        ok = client_send(fd, VMC_SPICE_CHANNEL_MAIN, buf, unit * PER_BUFFER);
        memset(buf + MINI_SIZE, 0x5a, sizeof(VDAgentMessage)); /* later ones: data only */
    }
    *ret_sent = client.sent[VMC_SPICE_CHANNEL_MAIN] - before;
    return ok;
}

/* The agent filter under attack: what it must refuse, a denied transfer
 * flooded at it, and a main channel stalled both ways. */
static void
phase_agent(void)
{
    gint64 max_ms = 0;
    guint refused_before = client.agent_refused;
    agent_link_refusals(&max_ms);
    agent_message_refusals(&max_ms);
    guint refusals = client.agent_refused - refused_before;

    Flood floods[2];
    guint n = 0;
    guint64 xfer_sent = 0;
    gint64 xfer_start = now_ms();
    int fd = client_open(VMC_SPICE_CHANNEL_MAIN, B_SINK, TAG_AGENT, TRUE);
    gboolean xfer_ok = fd >= 0 && agent_xfer_flood(fd, &xfer_sent);
    gint64 xfer_ms = now_ms() - xfer_start;
    expect(xfer_ok,
           "agent: the relay stopped taking the denied transfer after %" G_GUINT64_FORMAT " bytes",
           xfer_sent);
    if (fd >= 0)
        floods[n++] = (Flood){fd, VMC_SPICE_CHANNEL_MAIN, 0};
    guint8 list[MINI_SIZE + 20];
    memset(list, 0, sizeof list);
    put_mini(list, SPICE_MSG_LIST, 20); /* from the client: passed, spice-server ignores it */
    fd = client_open(VMC_SPICE_CHANNEL_MAIN, B_STALL, TAG_AGENT, TRUE);
    if (expect(fd >= 0, "agent: the stalled main channel did not open") &&
        expect(client_send(fd, VMC_SPICE_CHANNEL_MAIN, list, sizeof list), "agent: list")) {
        floods[n++] = (Flood){fd, VMC_SPICE_CHANNEL_MAIN, 0};
        expect(flood_until_stalled(floods + n - 1, 1), "agent: the main flood never stalled");
    }
    g_autofree char *detail =
        g_strdup_printf("refused=%u max_ms=%" G_GINT64_FORMAT " xfer_sent=%" G_GUINT64_FORMAT
                        " xfer_ms=%" G_GINT64_FORMAT " flood_sent=%" G_GUINT64_FORMAT,
                        refusals, max_ms, xfer_sent, xfer_ms, n > 1 ? floods[1].pos : 0);
    hold_and_close("agent", TAG_AGENT, floods, n, detail);
}

/* The heap's worst case: as many filtered main channels as the relay
 * serves (one slot kept for the markers), each buffer full both ways. */
static void
phase_fill(void)
{
    enum { N = VMC_RELAY_MAX_CONNECTIONS - 4 };
    Flood floods[N];
    guint n = open_many(floods, 0, N, VMC_SPICE_CHANNEL_MAIN, B_STALL, TAG_FILL);
    gboolean stalled = flood_until_stalled(floods, n);
    expect(stalled, "fill: the main floods never stalled");
    guint64 sent = flood_total(floods, n);
    g_autofree char *detail =
        g_strdup_printf("conns=%u sent=%" G_GUINT64_FORMAT " stalled=%d", n, sent, stalled);
    hold_and_close("fill", TAG_FILL, floods, n, detail);
}

/* A link, the server's hostile answer: for a main channel the filter must
 * close it promptly; whatever came is read and dropped. */
static void
expect_server_refusal(Behaviour behaviour, gboolean handshake, gint64 *max_ms)
{
    guint8 link[LINK_LENGTH];
    static const guint8 ticket[TICKET_SIZE];
    guint32 error = 0;
    const char *name = behaviour_names[behaviour];
    int fd = client_connect();
    if (!expect(fd >= 0, "server %s: no connection", name))
        return;
    put_link(link, VMC_SPICE_CHANNEL_MAIN, HOSTILE_ID | behaviour, 0, CLIENT_CAPS);
    gint64 start = now_ms();
    gboolean sent = client_send(fd, VMC_SPICE_CHANNEL_MAIN, link, sizeof link);
    client.connections[VMC_SPICE_CHANNEL_MAIN]++;
    if (handshake) {
        sent = sent && client_read_reply(fd, &error) &&
               client_send(fd, VMC_SPICE_CHANNEL_MAIN, ticket, sizeof ticket);
        start = now_ms();
    }
    gint64 ms = client_wait_closed(fd, start, PROMPT_MS);
    close(fd);
    client.rejected++;
    client.agent_refused++;
    *max_ms = MAX(*max_ms, ms);
    expect(sent && ms >= 0, "server %s: sent %d, closed after %" G_GINT64_FORMAT " ms", name, sent,
           ms);
}

/* Hostile link replies: on a spliced channel the relay passes the bytes
 * (the viewer's problem, bounded by backpressure), on the main channel the
 * filter checks the reply like the client's link message. */
static void
phase_s_reply(void)
{
    static const Behaviour replies[] = {B_REPLY_HUGE, B_REPLY_BAD_MAGIC, B_REPLY_BAD_CAPS,
                                        B_REPLY_ERROR_DATA, B_REPLY_SHORT};
    gint64 max_ms = 0;
    Flood floods[1];
    guint n = 0;
    guint8 link[LINK_LENGTH];
    int fd = client_connect();
    if (expect(fd >= 0, "s-reply: no display connection")) {
        put_link(link, VMC_SPICE_CHANNEL_DISPLAY, HOSTILE_ID | B_REPLY_HUGE, TAG_SREPLY,
                 CLIENT_CAPS);
        client_send(fd, VMC_SPICE_CHANNEL_DISPLAY, link, sizeof link);
        client.connections[VMC_SPICE_CHANNEL_DISPLAY]++;
        floods[n++] = (Flood){fd, VMC_SPICE_CHANNEL_DISPLAY, 0};
    }
    for (gsize i = 0; i < G_N_ELEMENTS(replies); i++)
        expect_server_refusal(replies[i], FALSE, &max_ms);
    g_usleep(STALL_QUIET_MS * 1000); /* the display flood fills what it can */
    g_autofree char *detail = g_strdup_printf("refused=%u max_ms=%" G_GINT64_FORMAT,
                                              (guint)G_N_ELEMENTS(replies), max_ms);
    hold_and_close("s-reply", TAG_SREPLY, floods, n, detail);
}

/* What the server sends after an honest link that the filter must refuse. */
static void
phase_s_list(void)
{
    static const Behaviour messages[] = {B_LIST, B_BIG_MESSAGE, B_AGENT_4GIB, B_AGENT_DATA_BIG,
                                         B_SUBLIST};
    gint64 max_ms = 0;
    for (gsize i = 0; i < G_N_ELEMENTS(messages); i++)
        expect_server_refusal(messages[i], TRUE, &max_ms);
    marker("end s-list refused=%u max_ms=%" G_GINT64_FORMAT, (guint)G_N_ELEMENTS(messages), max_ms);
}

/* The server trickles its reply, result and a message a byte at a time:
 * they arrive whole and in order. */
static void
phase_s_trickle(void)
{
    guint8 message[MINI_SIZE + 32];
    gint64 start = now_ms();
    int fd = client_open(VMC_SPICE_CHANNEL_MAIN, B_REPLY_TRICKLE, 0, TRUE);
    gboolean ok = fd >= 0 && read_exact(fd, message, sizeof message, NULL) &&
                  message[0] == (FLOOD_TYPE & 0xff) && message[1] == FLOOD_TYPE >> 8 &&
                  le32(message + 2) == 32 && message[MINI_SIZE] == 0xa0 &&
                  message[sizeof message - 1] == 0xa0 + 31;
    expect(ok, "s-trickle: the trickled link reply and message did not arrive whole");
    if (fd >= 0)
        close(fd);
    marker("end s-trickle ok=%d ms=%" G_GINT64_FORMAT, ok, now_ms() - start);
}

/* Floods on every channel the relay lets through toward a viewer that does
 * not read (the record channel is refused: the microphone is off unless the
 * VM allows it and the person asks). */
static void
phase_s_flood(void)
{
    enum { EACH = 10 };
    static const guint types[] = {VMC_SPICE_CHANNEL_MAIN, VMC_SPICE_CHANNEL_DISPLAY,
                                  VMC_SPICE_CHANNEL_INPUTS, VMC_SPICE_CHANNEL_CURSOR,
                                  VMC_SPICE_CHANNEL_PLAYBACK};
    Flood floods[EACH * G_N_ELEMENTS(types)];
    guint n = 0;
    for (gsize i = 0; i < G_N_ELEMENTS(types); i++)
        n += open_many(floods, n, EACH, types[i], B_STALL, TAG_SFLOOD);
    g_usleep(2 * STALL_QUIET_MS * 1000); /* the floods fill what they can */
    g_autofree char *detail = g_strdup_printf("conns=%u", n);
    hold_and_close("s-flood", TAG_SFLOOD, floods, n, detail);
}

/* The server closes every connection at once (its `close` mode): the main
 * channel's end is the VM's end, the gateway ends the session. Waits to be
 * ended with it. Alone in its session: no marker can be answered there. */
static void
phase_s_close(void)
{
    guint8 link[LINK_LENGTH];
    int fd = client_connect();
    if (fd >= 0) {
        put_link(link, VMC_SPICE_CHANNEL_MAIN, HOSTILE_ID | B_SINK, 0, CLIENT_CAPS);
        client_send(fd, VMC_SPICE_CHANNEL_MAIN, link, sizeof link);
        client_wait_closed(fd, now_ms(), IO_TIMEOUT_S * 1000);
        close(fd);
    }
    g_usleep(60 * G_USEC_PER_SEC);
    fprintf(stderr, "hostile-spice: the gateway did not end the session when the VM closed\n");
    exit(1);
}

typedef struct {
    const char *name;
    void (*run)(void);
} Phase;

static const Phase phases[] = {
    {"conns", phase_conns},         {"header", phase_header},   {"stall", phase_stall},
    {"trickle", phase_trickle},     {"flood", phase_flood},     {"agent", phase_agent},
    {"fill", phase_fill},           {"s-reply", phase_s_reply}, {"s-list", phase_s_list},
    {"s-trickle", phase_s_trickle}, {"s-flood", phase_s_flood}, {"s-close", phase_s_close},
};

/* The last marker: what the relay's end record must say. */
static void
client_summary(void)
{
    g_autoptr(GString) text = g_string_new("end all");
    g_string_append_printf(text, " rejected=%u agent_refused=%u", client.rejected,
                           client.agent_refused);
    for (guint type = 1; type <= VMC_SPICE_CHANNEL_MAX; type++) {
        /* this marker is an inputs channel too (its bytes are not counted) */
        guint connections = client.connections[type] + (type == VMC_SPICE_CHANNEL_INPUTS);
        if (connections > 0 || client.sent[type] > 0)
            g_string_append_printf(text, " conn.%s=%u sent.%s=%" G_GUINT64_FORMAT,
                                   vmc_spice_channel_name(type), connections,
                                   vmc_spice_channel_name(type), client.sent[type]);
    }
    g_string_append_printf(text, " fails=%u", client.failures);
    marker("%s", text->str);
}

/* The title, when argv has none: the gateway gives remote-viewer its VM's
 * title as the Spice guest name, which a hostile VM side never sends; the
 * test puts the same title on the laptop's root window (VMC_HOSTILE_TITLE),
 * which the viewer reaches over X11 as any viewer does. */
static char *
title_from_x(void)
{
    Display *display = XOpenDisplay(NULL);
    if (display == NULL)
        return NULL;
    Atom property = XInternAtom(display, "VMC_HOSTILE_TITLE", True), type;
    int format;
    unsigned long n, after;
    unsigned char *value = NULL;
    char *title = NULL;
    if (property != None &&
        XGetWindowProperty(display, DefaultRootWindow(display), property, 0, 1024, False, XA_STRING,
                           &type, &format, &n, &after, &value) == Success &&
        value != NULL && format == 8)
        title = g_strndup((const char *)value, n);
    if (value != NULL)
        XFree(value);
    XCloseDisplay(display);
    return title;
}

static int
client_main(int argc, char **argv)
{
    g_autofree char *x_title = NULL;
    const char *title = NULL, *uri = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--title") == 0 && i + 1 < argc)
            title = argv[++i];
        else if (g_str_has_prefix(argv[i], "spice+unix://"))
            uri = argv[i] + strlen("spice+unix://");
    }
    if (title == NULL)
        title = x_title = title_from_x();
    if (title == NULL || uri == NULL || !g_str_has_prefix(title, TITLE_PREFIX) ||
        strlen(uri) >= sizeof client.path) {
        fprintf(stderr, "usage: hostile-spice --title '" TITLE_PREFIX "PHASE,...' "
                        "spice+unix:///PATH (as the gateway's viewer)\n");
        return 2;
    }
    g_strlcpy(client.path, uri, sizeof client.path);
    client.failed = g_string_new(NULL);
    signal(SIGPIPE, SIG_IGN);
    if (strcmp(title + strlen(TITLE_PREFIX), "s-close") == 0)
        phase_s_close();
    marker("ready");
    g_auto(GStrv) names = g_strsplit(title + strlen(TITLE_PREFIX), ",", 0);
    for (guint i = 0; names[i] != NULL; i++) {
        gsize p = 0;
        while (p < G_N_ELEMENTS(phases) && strcmp(phases[p].name, names[i]) != 0)
            p++;
        if (!expect(p < G_N_ELEMENTS(phases), "unknown phase %.40s", names[i]))
            continue;
        phases[p].run();
    }
    client_summary();
    if (client.failures > 0)
        fprintf(stderr, "hostile-spice: %u failures: %s\n", client.failures, client.failed->str);
    return client.failures > 0 ? 1 : 0;
}

int
main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "server") == 0)
        return server_main(argc, argv);
    return client_main(argc, argv);
}
