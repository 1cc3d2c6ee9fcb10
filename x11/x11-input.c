/* x11-input.c — the person's input events in an X11 connection, followed
 * from the outside (vmc-x11.h).
 *
 * Each direction is a framer: collect a packet's header into a small
 * buffer, decide from it how long the packet is, skip the rest. The client
 * side gives the byte order, the sequence numbers and the QueryExtension
 * requests; the server side the replies to them and the events. Framing
 * follows libxcb's reading of the server's packets: type 1 is a reply of
 * 32 + 4 * length bytes, (type & 0x7f) == 35 a GenericEvent of the same
 * shape, everything else 32 bytes.
 *
 * Checks that stop it: a first byte that is no byte order, server bytes
 * before the client's first, a length-0 request without BIG-REQUESTS
 * enabled, a big request shorter than its header, a setup reply that is
 * not Success, and a server packet whose sequence number is ahead of the
 * requests the client sent (what a desynchronised reading would show). */
#include "vmc-x11.h"

#include <string.h>

#define HEAD_MAX 32 /* bytes of a packet kept: a server packet's fixed part */
#define SETUP_REQUEST_HEAD 12
#define SETUP_REPLY_HEAD 8
#define REQUEST_HEAD 4
#define BIG_REQUEST_HEAD 8
#define NAME_MAX_WATCHED 16 /* longest extension name looked at */

#define X_REPLY 1
#define X_ERROR 0
#define X_KEY_PRESS 2
#define X_MOTION_NOTIFY 6
#define X_KEYMAP_NOTIFY 11
#define X_GENERIC_EVENT 35
#define X_SEND_EVENT_BIT 0x80
#define X_QUERY_EXTENSION 98
#define X_SETUP_SUCCESS 1

/* XInput2 event types that are the person's input (XI2.h). */
#define XI_KEY_PRESS 2
#define XI_MOTION 6
#define XI_TOUCH_BEGIN 18
#define XI_TOUCH_END 20
/* length (in 4-byte units past 32) of an xXIDeviceEvent: 80 bytes */
#define XI_DEVICE_EVENT_LENGTH 12

typedef enum {
    EXT_XINPUT,
    EXT_BIG_REQUESTS,
    EXT_WATCHED,
} Extension;

static const char *const extension_names[EXT_WATCHED] = {
    [EXT_XINPUT] = VMC_X11_XINPUT_NAME,
    [EXT_BIG_REQUESTS] = VMC_X11_BIG_REQUESTS_NAME,
};

typedef struct {
    guint8 head[HEAD_MAX];
    gsize have;   /* bytes in head */
    gsize want;   /* head bytes to collect before the packet is looked at */
    guint64 skip; /* bytes of the current packet still to pass over */
    gboolean setup_done;
} Framer;

struct _VmcX11Input {
    Framer client;
    Framer server;
    gboolean byte_order_known;
    gboolean big_endian;
    const char *stopped;
    guint64 last_server_sequence;        /* 64-bit, extended as libxcb does */
    guint64 query_sequence[EXT_WATCHED]; /* a QueryExtension awaiting its reply; 0: none */
    guint8 opcode[EXT_WATCHED];          /* learned major opcodes; 0: unknown */
    VmcX11InputStats stats;
};

VmcX11Input *
vmc_x11_input_new(void)
{
    VmcX11Input *input = g_new0(VmcX11Input, 1);
    input->client.want = SETUP_REQUEST_HEAD;
    input->server.want = SETUP_REPLY_HEAD;
    return input;
}

void
vmc_x11_input_free(VmcX11Input *input)
{
    g_free(input);
}

static void
stop(VmcX11Input *input, const char *why)
{
    if (input->stopped == NULL)
        input->stopped = why;
}

static guint16
read16(const VmcX11Input *input, const guint8 *at)
{
    return input->big_endian ? (guint16)(at[0] << 8 | at[1]) : (guint16)(at[1] << 8 | at[0]);
}

static guint32
read32(const VmcX11Input *input, const guint8 *at)
{
    const guint8 *b = at;
    return input->big_endian
               ? (guint32)b[0] << 24 | (guint32)b[1] << 16 | (guint32)b[2] << 8 | b[3]
               : (guint32)b[3] << 24 | (guint32)b[2] << 16 | (guint32)b[1] << 8 | b[0];
}

static guint64
pad4(guint64 n)
{
    return (n + 3) & ~(guint64)3;
}

/* The next packet of a direction: collect want bytes of it. */
static void
next_packet(Framer *framer, gsize want, guint64 skip)
{
    framer->have = 0;
    framer->want = want;
    framer->skip = skip;
}

/* ---- the client's side ---- */

static void
client_setup(VmcX11Input *input)
{
    Framer *f = &input->client;
    if (f->head[0] != 'B' && f->head[0] != 'l') {
        stop(input, "the client's first byte names no byte order");
        return;
    }
    input->byte_order_known = TRUE;
    input->big_endian = f->head[0] == 'B';
    guint64 auth = pad4(read16(input, f->head + 6)) + pad4(read16(input, f->head + 8));
    f->setup_done = TRUE;
    next_packet(f, REQUEST_HEAD, auth);
}

/* A QueryExtension whose name is one watched: its reply is awaited. body is
 * the request past its length field(s), body_length its declared length. */
static void
note_query(VmcX11Input *input, const guint8 *body, gsize have, guint64 body_length)
{
    if (have < 4)
        return;
    guint16 n = read16(input, body);
    if (n > NAME_MAX_WATCHED || 4 + (guint64)n > body_length || 4 + (gsize)n > have)
        return; /* not a name watched (or a request the server refuses: BadLength) */
    for (guint e = 0; e < EXT_WATCHED; e++)
        if (input->opcode[e] == 0 && strlen(extension_names[e]) == n &&
            memcmp(body + 4, extension_names[e], n) == 0)
            input->query_sequence[e] = input->stats.requests;
}

static void
client_request(VmcX11Input *input)
{
    Framer *f = &input->client;
    guint16 length16 = read16(input, f->head + 2);
    gsize head = length16 == 0 ? BIG_REQUEST_HEAD : REQUEST_HEAD;
    if (f->have < head) {
        if (!input->stats.big_requests) {
            stop(input, "a request of length 0 without BIG-REQUESTS enabled");
            return;
        }
        f->want = head;
        return;
    }
    guint64 total = 4 * (guint64)(length16 != 0 ? length16 : read32(input, f->head + 4));
    if (total < head) {
        stop(input, "a big request shorter than its own header");
        return;
    }
    guint8 opcode = f->head[0];
    if (opcode == X_QUERY_EXTENSION) {
        gsize look = (gsize)MIN(total, (guint64)head + 4 + NAME_MAX_WATCHED);
        if (f->have < look) {
            f->want = look;
            return;
        }
    }
    input->stats.requests++;
    if (opcode == X_QUERY_EXTENSION)
        note_query(input, f->head + head, f->have - head, total - head);
    else if (input->opcode[EXT_BIG_REQUESTS] != 0 && opcode == input->opcode[EXT_BIG_REQUESTS])
        input->stats.big_requests = TRUE; /* BigReqEnable: later requests may be big */
    next_packet(f, REQUEST_HEAD, total - f->have);
}

static void
client_packet(VmcX11Input *input)
{
    if (!input->client.setup_done)
        client_setup(input);
    else
        client_request(input);
}

/* ---- the server's side ---- */

static void
server_setup(VmcX11Input *input)
{
    Framer *f = &input->server;
    if (f->head[0] != X_SETUP_SUCCESS) {
        stop(input, "the server did not accept the client (setup failed or needs more "
                    "authentication)");
        return;
    }
    f->setup_done = TRUE;
    next_packet(f, HEAD_MAX, 4 * (guint64)read16(input, f->head + 6));
}

/* The 64-bit sequence number of a server packet, from its low 16 bits: the
 * smallest one not before the last (libxcb's way). It can never be ahead of
 * the requests the client sent. */
static gboolean
server_sequence(VmcX11Input *input, guint16 low, guint64 *ret_sequence)
{
    guint64 last = input->last_server_sequence;
    guint64 sequence = (last & ~(guint64)0xffff) | low;
    if (sequence < last)
        sequence += 0x10000;
    if (sequence > input->stats.requests) {
        stop(input, "a server packet answers a request the client never sent");
        return FALSE;
    }
    input->last_server_sequence = sequence;
    *ret_sequence = sequence;
    return TRUE;
}

/* Replies to the QueryExtensions awaited; an error or a later packet ends
 * the wait (replies come in request order). */
static void
note_answers(VmcX11Input *input, guint8 type, guint64 sequence)
{
    const guint8 *head = input->server.head;
    for (guint e = 0; e < EXT_WATCHED; e++) {
        guint64 awaited = input->query_sequence[e];
        if (awaited == 0 || sequence < awaited)
            continue;
        if (sequence == awaited && type == X_REPLY) {
            if (head[8] != 0) /* present */
                input->opcode[e] = head[9];
            if (e == EXT_XINPUT)
                input->stats.xinput_opcode = input->opcode[e];
        }
        if (sequence > awaited || type == X_REPLY || type == X_ERROR)
            input->query_sequence[e] = 0;
    }
}

static gboolean
is_xi2_input(VmcX11Input *input, const guint8 *head, guint32 length)
{
    guint16 evtype = read16(input, head + 8);
    return input->opcode[EXT_XINPUT] != 0 && head[1] == input->opcode[EXT_XINPUT] &&
           ((evtype >= XI_KEY_PRESS && evtype <= XI_MOTION) ||
            (evtype >= XI_TOUCH_BEGIN && evtype <= XI_TOUCH_END)) &&
           length >= XI_DEVICE_EVENT_LENGTH;
}

/* A whole packet's fixed part: how long it is, and whether it is input. */
static guint
server_packet_seen(VmcX11Input *input)
{
    const guint8 *head = input->server.head;
    guint8 type = head[0], kind = type & ~X_SEND_EVENT_BIT;
    guint64 sequence = 0;
    input->stats.packets++;
    if (kind != X_KEYMAP_NOTIFY) {
        if (!server_sequence(input, read16(input, head + 2), &sequence))
            return 0;
        note_answers(input, type, sequence);
    }
    guint32 length = read32(input, head + 4);
    guint64 extra = type == X_REPLY || kind == X_GENERIC_EVENT ? 4 * (guint64)length : 0;
    next_packet(&input->server, HEAD_MAX, extra);
    if (kind >= X_KEY_PRESS && kind <= X_MOTION_NOTIFY) {
        if (type == kind) {
            input->stats.core_input++;
            return 1;
        }
        input->stats.sent_events++;
    } else if (type == X_GENERIC_EVENT && is_xi2_input(input, head, length)) {
        input->stats.xi2_input++;
        return 1;
    }
    return 0;
}

static guint
server_packet(VmcX11Input *input)
{
    if (!input->byte_order_known) {
        stop(input, "the server spoke before the client");
        return 0;
    }
    if (!input->server.setup_done) {
        server_setup(input);
        return 0;
    }
    return server_packet_seen(input);
}

/* ---- feeding ---- */

guint
vmc_x11_input_feed(VmcX11Input *input, VmcX11Direction dir, const guint8 *bytes, gsize length)
{
    g_return_val_if_fail(input != NULL, 0);
    g_return_val_if_fail(bytes != NULL || length == 0, 0);
    Framer *f = dir == VMC_X11_FROM_CLIENT ? &input->client : &input->server;
    guint counted = 0;

    while (length > 0 && input->stopped == NULL) {
        if (f->skip > 0) {
            gsize n = (gsize)MIN(f->skip, (guint64)length);
            f->skip -= n;
            bytes += n;
            length -= n;
            continue;
        }
        gsize n = MIN(f->want - f->have, length);
        memcpy(f->head + f->have, bytes, n);
        f->have += n;
        bytes += n;
        length -= n;
        if (f->have < f->want)
            break;
        if (dir == VMC_X11_FROM_CLIENT)
            client_packet(input);
        else
            counted += server_packet(input);
    }
    return input->stopped == NULL ? counted : 0;
}

const char *
vmc_x11_input_stopped(const VmcX11Input *input)
{
    g_return_val_if_fail(input != NULL, NULL);
    return input->stopped;
}

void
vmc_x11_input_get_stats(const VmcX11Input *input, VmcX11InputStats *ret_stats)
{
    g_return_if_fail(input != NULL && ret_stats != NULL);
    *ret_stats = input->stats;
}
