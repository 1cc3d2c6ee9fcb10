/* agent-filter.c — the agent policy on a main channel, as a pure filter.
 *
 * Each direction is parsed the way its receiver parses it: the client's
 * bytes as spice-server reads them, the server's as spice-gtk reads them.
 * Inside AGENT_DATA messages the filter follows the VDAgentMessage stream
 * across message boundaries (one agent message may span several Spice
 * messages, and a hostile peer may put the tail of one agent message and the
 * head of the next in one Spice message). A denied agent message is removed
 * byte for byte wherever it lies; an AGENT_DATA message is held whole until
 * its new size is known; a message left empty is removed.
 *
 * What the filter relies on, by spice-protocol header:
 *
 * protocol.h
 *   SpiceLinkHeader (magic "REDQ", major, minor, size) and SpiceLinkReply
 *     (error, pub_key[SPICE_TICKET_PUBKEY_BYTES], num_common_caps,
 *     num_channel_caps, caps_offset from the reply's start): the server's
 *     first bytes. The client's caps are in its SpiceLinkMess.
 *   SPICE_COMMON_CAP_PROTOCOL_AUTH_SELECTION: the client sends a
 *     SpiceLinkAuthMechanism (u32) before its SpiceLinkEncryptedTicket (128
 *     bytes); SPICE_COMMON_CAP_AUTH_SPICE says a ticket follows,
 *     SPICE_COMMON_CAP_AUTH_SASL a SASL exchange (not followed: refused).
 *     The server then sends its link result (u32, SPICE_LINK_ERR_OK).
 *   SPICE_COMMON_CAP_MINI_HEADER: messages start with SpiceMiniDataHeader
 *     (type u16, size u32) instead of SpiceDataHeader (serial u64, type u16,
 *     size u32, sub_list u32).
 * enums.h
 *   SPICE_MSG_LIST: sub-messages that spice-gtk dispatches (refused).
 *   SPICE_MSGC_MAIN_AGENT_START (u32 num_tokens the client grants).
 *   SPICE_MSGC_MAIN_AGENT_DATA, SPICE_MSG_MAIN_AGENT_DATA: raw agent stream.
 *   SPICE_MSGC_MAIN_AGENT_TOKEN, SPICE_MSG_MAIN_AGENT_TOKEN (u32 num_tokens).
 *   SPICE_MSG_MAIN_AGENT_DISCONNECTED: spice-gtk drops a half-read agent
 *     message (spice_main_channel_reset_agent), so the filter does too.
 * vd_agent.h
 *   VDAgentMessage (protocol = VD_AGENT_PROTOCOL, type, opaque u64, size).
 *   VD_AGENT_CLIPBOARD_GRAB, VD_AGENT_CLIPBOARD, VD_AGENT_CLIPBOARD_RELEASE
 *     travel the way the clipboard data goes; VD_AGENT_CLIPBOARD_REQUEST the
 *     other way.
 *   VD_AGENT_FILE_XFER_START (VDAgentFileXferStartMessage: id first),
 *     VD_AGENT_FILE_XFER_DATA, VD_AGENT_FILE_XFER_STATUS
 *     (VDAgentFileXferStatusMessage {id, result}); the refusal sent back is
 *     VD_AGENT_FILE_XFER_STATUS_DISABLED.
 *   VD_AGENT_ANNOUNCE_CAPABILITIES (request u32, caps[]): on its way to the
 *     client VD_AGENT_CAP_FILE_XFER_DISABLED is set and, with no clipboard
 *     at all, VD_AGENT_CAP_CLIPBOARD{,_BY_DEMAND,_SELECTION} cleared, as
 *     spice-server does for its own settings (reds_adjust_agent_capabilities).
 *
 * Flow control, as read in spice-server 0.15 (server/reds.cpp,
 * char-device.cpp, main-channel.cpp) and spice-gtk 0.42 (src/channel-main.c):
 * - Client -> VM: the server grants the client REDS_AGENT_WINDOW_SIZE (10)
 *   tokens in SPICE_MSG_MAIN_INIT.agent_tokens (or
 *   SPICE_MSG_MAIN_AGENT_CONNECTED_TOKENS). spice-gtk spends one per
 *   AGENT_DATA message (agent_send_msg_queue) and waits when it has none;
 *   the server takes one per message (RedCharDevice::write_buffer_get_client,
 *   "token violation" disconnects a client without) and returns them in
 *   SPICE_MSG_MAIN_AGENT_TOKEN once the agent consumed them
 *   (red_char_device_client_tokens_add, in batches of REDS_TOKENS_TO_SEND).
 *   A message the relay removes would never come back: after ten the
 *   viewer's agent traffic would stop for good. So each removed message
 *   gives the client one token (spice-gtk adds num_tokens:
 *   main_handle_agent_token); the server's count of the client's tokens
 *   stays right, as it never saw the message.
 * - VM -> client: the client grants the server tokens in AGENT_START and
 *   returns them with SPICE_MSGC_MAIN_AGENT_TOKEN. spice-gtk grants ~0 and
 *   never returns any; spice-server keeps the count in 64 bits. For a
 *   removed message the filter gives the server one token, but only after
 *   AGENT_START (before it reds_on_main_agent_tokens finds no client and
 *   spice_error()s) and only when the client granted a finite number.
 * - The main channel is created without HandleAcks (main-channel.cpp), so
 *   removed or added messages do not disturb SET_ACK/ACK counting.
 * - Removing or adding a message needs the mini header: with the full header
 *   serials would have to be rewritten (spice-gtk tolerates gaps, but the
 *   filter does not rely on that): then the connection is refused.
 *
 * The guest name (vmc_agent_filter_set_name), as read in spice-server 0.15
 * (main-channel-client.cpp: main_channel_client_push_name, sent after
 * SPICE_MSG_MAIN_INIT when the client has SPICE_MAIN_CAP_NAME_AND_UUID;
 * QEMU always sets one, its -name or "QEMU <version>") and spice-gtk
 * (channel-main.c: main_handle_name sets the session's "name" each time
 * one comes): SPICE_MSG_MAIN_NAME is SpiceMsgMainName {name_len u32,
 * name[name_len]} with the NUL counted. While a name is set the VM's own
 * are removed and the set one is sent after MAIN_INIT, and again at the
 * next message boundary whenever it changes. Only with the mini header
 * toward the client; without it the VM's names pass untouched. */
#include "agent-filter-priv.h"

#include <string.h>

#include <spice/enums.h>
#include <spice/protocol.h>
#include <spice/vd_agent.h>

/* The layouts the code below depends on. */
G_STATIC_ASSERT(sizeof(SpiceLinkHeader) == VMC_SPICE_LINK_HEADER_SIZE);
G_STATIC_ASSERT(sizeof(SpiceLinkReply) == 178);
G_STATIC_ASSERT(G_STRUCT_OFFSET(SpiceLinkReply, num_common_caps) == 166);
G_STATIC_ASSERT(G_STRUCT_OFFSET(SpiceLinkReply, caps_offset) == 174);
G_STATIC_ASSERT(sizeof(SpiceLinkAuthMechanism) == 4);
G_STATIC_ASSERT(sizeof(SpiceLinkEncryptedTicket) == 128);
G_STATIC_ASSERT(sizeof(SpiceMiniDataHeader) == 6);
G_STATIC_ASSERT(sizeof(SpiceDataHeader) == 18);
G_STATIC_ASSERT(G_STRUCT_OFFSET(SpiceDataHeader, type) == 8);
G_STATIC_ASSERT(G_STRUCT_OFFSET(SpiceDataHeader, sub_list) == 14);
G_STATIC_ASSERT(sizeof(VDAgentMessage) == 20);
G_STATIC_ASSERT(G_STRUCT_OFFSET(VDAgentMessage, type) == 4);
G_STATIC_ASSERT(G_STRUCT_OFFSET(VDAgentMessage, size) == 16);
G_STATIC_ASSERT(sizeof(VDAgentFileXferStatusMessage) == 8);
G_STATIC_ASSERT(sizeof(VDAgentFileXferStartMessage) == 4);
G_STATIC_ASSERT(sizeof(VDAgentAnnounceCapabilities) == 4);
G_STATIC_ASSERT((int)SPICE_CHANNEL_MAIN == (int)VMC_SPICE_CHANNEL_MAIN);

#define LINK_REPLY_MIN ((gsize)sizeof(SpiceLinkReply))
#define AGENT_HEADER_SIZE ((gsize)sizeof(VDAgentMessage))
#define HEADER_MAX ((gsize)sizeof(SpiceDataHeader))
/* the most one step adds to the output: an AGENT_DATA message with a held
 * agent header in front, or the link header and reply */
#define UNIT_MAX                                                                                   \
    MAX(HEADER_MAX + VMC_AGENT_FILTER_AGENT_DATA_MAX + AGENT_HEADER_SIZE,                          \
        VMC_SPICE_LINK_HEADER_SIZE + VMC_AGENT_FILTER_LINK_REPLY_MAX)
G_STATIC_ASSERT(VMC_AGENT_FILTER_OUTPUT_MAX >= 2 * UNIT_MAX);
G_STATIC_ASSERT(VMC_AGENT_FILTER_LINK_REPLY_MAX <= VMC_SPICE_LINK_MESS_MAX);
/* the refusal: a mini header, an agent header, a status */
#define ANSWER_SIZE                                                                                \
    (sizeof(SpiceMiniDataHeader) + AGENT_HEADER_SIZE + sizeof(VDAgentFileXferStatusMessage))
#define TOKEN_SIZE (sizeof(SpiceMiniDataHeader) + 4)
#define UNLIMITED_TOKENS G_MAXUINT32 /* what spice-gtk grants in AGENT_START */
/* a MAIN_NAME message: mini header, name_len, the name and its NUL */
#define NAME_MESSAGE_MAX (sizeof(SpiceMiniDataHeader) + 4 + VMC_AGENT_FILTER_NAME_MAX + 1)
G_STATIC_ASSERT(VMC_AGENT_FILTER_OUTPUT_MAX >= 2 * UNIT_MAX + NAME_MESSAGE_MAX);

typedef enum {
    PHASE_LINK_REPLY,     /* server: SpiceLinkHeader + SpiceLinkReply */
    PHASE_LINK_RESULT,    /* server: u32 */
    PHASE_WAIT_REPLY,     /* client: nothing may come before the server's reply */
    PHASE_AUTH_MECHANISM, /* client: u32 */
    PHASE_TICKET,         /* client: 128 bytes */
    PHASE_MESSAGES,
    PHASE_ENDED, /* the link was refused: nothing may follow */
} Phase;

typedef enum {
    MESSAGE_HEADER, /* gathering a message header (nothing of it sent yet) */
    MESSAGE_PASS,   /* sending a body through */
    MESSAGE_AGENT,  /* gathering an AGENT_DATA body */
    MESSAGE_DROP,   /* removing a body (the VM's MAIN_NAME while a name is set) */
} MessageState;

typedef enum {
    KIND_NONE,
    KIND_FILE_TRANSFER,
    KIND_CLIPBOARD_TO_VM,
    KIND_CLIPBOARD_FROM_VM,
} DropKind;

/* The agent stream inside one direction's AGENT_DATA messages. */
typedef struct {
    guint8 header[sizeof(VDAgentMessage)];
    gsize header_length; /* bytes of the next header held (not sent yet) */
    gboolean in_message; /* a header was read; data follows */
    gboolean drop;
    guint32 type;
    guint32 data_pos;  /* offset in the message's data of the next byte */
    guint32 remaining; /* data bytes still to come */
    guint8 id[4];      /* a dropped FILE_XFER_START's task id */
} AgentStream;

typedef struct {
    VmcAgentDirection dir;
    Phase phase;
    gboolean mini;
    /* the fixed-size link pieces and message headers are gathered here */
    guint8 fixed[VMC_SPICE_LINK_HEADER_SIZE + VMC_AGENT_FILTER_LINK_REPLY_MAX];
    gsize fixed_length;
    gsize ticket_left;
    MessageState state;
    guint16 type;
    guint32 body_left; /* MESSAGE_PASS: body bytes still to send */
    guint32 body_size; /* MESSAGE_AGENT: the body's size */
    guint8 capture[4]; /* the first body bytes of AGENT_START */
    gsize capture_length;
    guint8 body[VMC_AGENT_FILTER_AGENT_DATA_MAX];
    gsize body_length;
    AgentStream agent;
    guint8 out[VMC_AGENT_FILTER_OUTPUT_MAX];
    gsize out_start;
    gsize out_end;
} Side;

struct _VmcAgentFilter {
    VmcAgentPolicy policy;
    guint32 client_caps; /* common caps, first word */
    guint32 server_caps;
    Side sides[2];
    guint32 tokens_to_client;
    guint32 tokens_to_server;
    guint32 answers[VMC_AGENT_FILTER_ANSWERS_MAX]; /* task ids to refuse */
    guint n_answers;
    gboolean agent_started;
    guint32 client_grant; /* AGENT_START's num_tokens */
    char *name;           /* the guest name the client is given; NULL: the VM's */
    gboolean name_due;    /* name is to be sent (set or changed since) */
    gboolean init_passed; /* the VM's MAIN_INIT went to the client */
    VmcAgentStats stats;
    char *failure;
};

static inline guint32
le32(const guint8 *p)
{
    return (guint32)p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 | (guint32)p[3] << 24;
}

static inline void
put_le32(guint8 *p, guint32 value)
{
    for (guint i = 0; i < 4; i++)
        p[i] = (guint8)(value >> (8 * i));
}

static inline void
put_le16(guint8 *p, guint16 value)
{
    p[0] = (guint8)value;
    p[1] = (guint8)(value >> 8);
}

static inline gboolean
has_cap(guint32 caps, guint cap)
{
    return cap < 32 && (caps & (1u << cap)) != 0;
}

gboolean
vmc_agent_policy_allows_all(const VmcAgentPolicy *policy)
{
    g_return_val_if_fail(policy != NULL, TRUE);
    return policy->file_transfer && policy->clipboard_to_vm && policy->clipboard_from_vm;
}

/* ---- failing closed ---- */

G_GNUC_PRINTF(2, 3)
static gboolean
fail(VmcAgentFilter *filter, const char *format, ...)
{
    if (filter->failure == NULL) {
        va_list args;
        va_start(args, format);
        filter->failure = g_strdup_vprintf(format, args);
        va_end(args);
    }
    return FALSE;
}

static const char *
dir_name(VmcAgentDirection dir)
{
    return dir == VMC_AGENT_TO_VM ? "from the client" : "from the VM";
}

/* ---- output ---- */

static gsize
out_room(const Side *side)
{
    return VMC_AGENT_FILTER_OUTPUT_MAX - side->out_end;
}

static guint8 *
out_reserve(Side *side, gsize n)
{
    g_assert(n <= out_room(side));
    guint8 *at = side->out + side->out_end;
    side->out_end += n;
    return at;
}

static void
out_append(Side *side, const guint8 *bytes, gsize n)
{
    memcpy(out_reserve(side, n), bytes, n);
}

static void
out_compact(Side *side)
{
    if (side->out_start == 0)
        return;
    memmove(side->out, side->out + side->out_start, side->out_end - side->out_start);
    side->out_end -= side->out_start;
    side->out_start = 0;
}

static void
count_dropped(VmcAgentFilter *filter, VmcAgentDirection dir, gsize n)
{
    if (dir == VMC_AGENT_TO_VM)
        filter->stats.bytes_dropped_to_vm += n;
    else
        filter->stats.bytes_dropped_from_vm += n;
}

/* A message header of side's framing for an injected message. */
static void
out_mini_header(Side *side, guint16 type, guint32 size)
{
    guint8 *header = out_reserve(side, sizeof(SpiceMiniDataHeader));
    put_le16(header, type);
    put_le32(header + 2, size);
}

/* ---- what is injected, where it may go ---- */

/* The client's agent stream, as the client sees it, is between messages:
 * nothing of a passing agent message has been sent without its end. */
static gboolean
agent_at_boundary(const AgentStream *agent)
{
    return !agent->in_message || agent->drop;
}

static void
inject_tokens(VmcAgentFilter *filter, Side *side, guint32 *tokens, guint16 type)
{
    if (*tokens == 0 || out_room(side) < TOKEN_SIZE)
        return;
    out_mini_header(side, type, 4);
    put_le32(out_reserve(side, 4), *tokens);
    *tokens = 0;
    if (side->dir == VMC_AGENT_TO_VM)
        filter->stats.bytes_injected_to_vm += TOKEN_SIZE;
    else
        filter->stats.bytes_injected_from_vm += TOKEN_SIZE;
}

static void
inject_answers(VmcAgentFilter *filter, Side *side)
{
    guint sent = 0;
    while (sent < filter->n_answers && out_room(side) >= ANSWER_SIZE) {
        out_mini_header(side, SPICE_MSG_MAIN_AGENT_DATA, ANSWER_SIZE - 6);
        guint8 *message = out_reserve(side, ANSWER_SIZE - 6);
        memset(message, 0, ANSWER_SIZE - 6);
        put_le32(message, VD_AGENT_PROTOCOL);
        put_le32(message + 4, VD_AGENT_FILE_XFER_STATUS);
        put_le32(message + 16, sizeof(VDAgentFileXferStatusMessage));
        put_le32(message + 20, filter->answers[sent]);
        put_le32(message + 24, VD_AGENT_FILE_XFER_STATUS_DISABLED);
        filter->stats.bytes_injected_from_vm += ANSWER_SIZE;
        sent++;
    }
    filter->n_answers -= sent;
    memmove(filter->answers, filter->answers + sent, filter->n_answers * sizeof(guint32));
}

/* The set name, once the client had MAIN_INIT (as spice-server orders
 * them). */
static void
inject_name(VmcAgentFilter *filter, Side *side)
{
    if (!filter->name_due || filter->name == NULL || !filter->init_passed || !side->mini)
        return;
    gsize length = strlen(filter->name) + 1;
    gsize size = 4 + length;
    if (out_room(side) < sizeof(SpiceMiniDataHeader) + size)
        return;
    out_mini_header(side, SPICE_MSG_MAIN_NAME, (guint32)size);
    put_le32(out_reserve(side, 4), (guint32)length);
    out_append(side, (const guint8 *)filter->name, length);
    filter->stats.bytes_injected_from_vm += sizeof(SpiceMiniDataHeader) + size;
    filter->name_due = FALSE;
}

/* Injected messages go between two messages of the direction, once it is
 * past its link phase; a refusal also between two agent messages. */
static void
inject(VmcAgentFilter *filter, Side *side)
{
    if (side->phase != PHASE_MESSAGES || side->state != MESSAGE_HEADER)
        return;
    if (side->dir == VMC_AGENT_FROM_VM) {
        inject_name(filter, side);
        inject_tokens(filter, side, &filter->tokens_to_client, SPICE_MSG_MAIN_AGENT_TOKEN);
        if (agent_at_boundary(&side->agent))
            inject_answers(filter, side);
    } else {
        inject_tokens(filter, side, &filter->tokens_to_server, SPICE_MSGC_MAIN_AGENT_TOKEN);
    }
}

/* A whole AGENT_DATA message of side's direction was removed: give its
 * token back to the sender. */
static gboolean
removed_agent_data(VmcAgentFilter *filter, Side *side)
{
    if (!side->mini)
        return fail(filter,
                    "an agent message %s would have to be removed from a main channel "
                    "without the Spice mini header",
                    dir_name(side->dir));
    if (side->dir == VMC_AGENT_TO_VM) {
        if (!filter->sides[VMC_AGENT_FROM_VM].mini)
            return fail(filter, "the client's flow-control token cannot be given back on a main "
                                "channel without the Spice mini header");
        filter->tokens_to_client++;
    } else if (filter->agent_started && filter->client_grant != UNLIMITED_TOKENS) {
        if (!filter->sides[VMC_AGENT_TO_VM].mini)
            return fail(filter, "the server's flow-control token cannot be given back on a main "
                                "channel without the Spice mini header");
        filter->tokens_to_server++;
    }
    return TRUE;
}

/* ---- the agent stream ---- */

static DropKind
denied_kind(const VmcAgentPolicy *policy, VmcAgentDirection dir, guint32 type)
{
    gboolean to_vm = dir == VMC_AGENT_TO_VM;
    switch (type) {
    case VD_AGENT_FILE_XFER_START:
    case VD_AGENT_FILE_XFER_DATA:
    case VD_AGENT_FILE_XFER_STATUS:
        return to_vm && !policy->file_transfer ? KIND_FILE_TRANSFER : KIND_NONE;
    case VD_AGENT_CLIPBOARD_GRAB:
    case VD_AGENT_CLIPBOARD:
    case VD_AGENT_CLIPBOARD_RELEASE:
        if (to_vm)
            return policy->clipboard_to_vm ? KIND_NONE : KIND_CLIPBOARD_TO_VM;
        return policy->clipboard_from_vm ? KIND_NONE : KIND_CLIPBOARD_FROM_VM;
    case VD_AGENT_CLIPBOARD_REQUEST:
        if (to_vm)
            return policy->clipboard_from_vm ? KIND_NONE : KIND_CLIPBOARD_FROM_VM;
        return policy->clipboard_to_vm ? KIND_NONE : KIND_CLIPBOARD_TO_VM;
    default:
        return KIND_NONE;
    }
}

static void
count_drop(VmcAgentFilter *filter, DropKind kind)
{
    switch (kind) {
    case KIND_FILE_TRANSFER:
        filter->stats.file_transfer_dropped++;
        break;
    case KIND_CLIPBOARD_TO_VM:
        filter->stats.clipboard_to_vm_dropped++;
        break;
    case KIND_CLIPBOARD_FROM_VM:
        filter->stats.clipboard_from_vm_dropped++;
        break;
    case KIND_NONE:
        break;
    }
}

/* The capability edits on the way to the client: byte `pos` of an
 * ANNOUNCE_CAPABILITIES message's data. */
static guint8
edit_caps_byte(const VmcAgentPolicy *policy, guint32 pos, guint8 byte)
{
    static const guint clipboard_caps[] = {
        VD_AGENT_CAP_CLIPBOARD,
        VD_AGENT_CAP_CLIPBOARD_BY_DEMAND,
        VD_AGENT_CAP_CLIPBOARD_SELECTION,
    };
    if (pos < sizeof(VDAgentAnnounceCapabilities))
        return byte;
    guint first = (pos - (guint)sizeof(VDAgentAnnounceCapabilities)) * 8; /* its first cap */
    if (!policy->file_transfer && VD_AGENT_CAP_FILE_XFER_DISABLED / 8 * 8 == first)
        byte |= 1u << (VD_AGENT_CAP_FILE_XFER_DISABLED % 8);
    if (!policy->clipboard_to_vm && !policy->clipboard_from_vm)
        for (gsize i = 0; i < G_N_ELEMENTS(clipboard_caps); i++)
            if (clipboard_caps[i] / 8 * 8 == first)
                byte &= (guint8) ~(1u << (clipboard_caps[i] % 8));
    return byte;
}

static void
agent_message_done(VmcAgentFilter *filter, Side *side)
{
    AgentStream *agent = &side->agent;
    /* the refusal needs a mini header toward the client; beyond the bound
     * (a client starting transfers it was told are disabled) none is sent */
    if (agent->drop && agent->type == VD_AGENT_FILE_XFER_START &&
        agent->data_pos >= sizeof(agent->id) && filter->sides[VMC_AGENT_FROM_VM].mini &&
        filter->n_answers < VMC_AGENT_FILTER_ANSWERS_MAX)
        filter->answers[filter->n_answers++] = le32(agent->id);
    agent->in_message = FALSE;
}

/* A complete agent header: decide, and send it on unless it is dropped. */
static gboolean
agent_header_done(VmcAgentFilter *filter, Side *side)
{
    AgentStream *agent = &side->agent;
    guint32 protocol = le32(agent->header);
    guint32 size = le32(agent->header + G_STRUCT_OFFSET(VDAgentMessage, size));

    agent->header_length = 0;
    if (protocol != VD_AGENT_PROTOCOL)
        return fail(filter, "an agent message %s of protocol %u (not %u)", dir_name(side->dir),
                    protocol, VD_AGENT_PROTOCOL);
    if (size > VMC_AGENT_FILTER_AGENT_MESSAGE_MAX)
        return fail(filter, "an agent message %s of %u bytes (at most %u)", dir_name(side->dir),
                    size, VMC_AGENT_FILTER_AGENT_MESSAGE_MAX);
    agent->type = le32(agent->header + G_STRUCT_OFFSET(VDAgentMessage, type));
    DropKind kind = denied_kind(&filter->policy, side->dir, agent->type);
    agent->drop = kind != KIND_NONE;
    agent->in_message = TRUE;
    agent->data_pos = 0;
    agent->remaining = size;
    count_drop(filter, kind);
    if (agent->drop)
        count_dropped(filter, side->dir, AGENT_HEADER_SIZE);
    else
        out_append(side, agent->header, AGENT_HEADER_SIZE);
    if (size == 0)
        agent_message_done(filter, side);
    return TRUE;
}

static void
agent_data(VmcAgentFilter *filter, Side *side, const guint8 *bytes, gsize n)
{
    AgentStream *agent = &side->agent;
    if (agent->drop) {
        for (gsize i = 0; i < n && agent->data_pos + i < sizeof(agent->id); i++)
            agent->id[agent->data_pos + i] = bytes[i];
        count_dropped(filter, side->dir, n);
    } else if (side->dir == VMC_AGENT_FROM_VM && agent->type == VD_AGENT_ANNOUNCE_CAPABILITIES) {
        guint8 *out = out_reserve(side, n);
        for (gsize i = 0; i < n; i++)
            out[i] = edit_caps_byte(&filter->policy, agent->data_pos + (guint32)i, bytes[i]);
    } else {
        out_append(side, bytes, n);
    }
    agent->data_pos += (guint32)n;
    agent->remaining -= (guint32)n;
    if (agent->remaining == 0)
        agent_message_done(filter, side);
}

/* The body of one AGENT_DATA message through the agent stream; what passes
 * is appended to the output. */
static gboolean
agent_stream_feed(VmcAgentFilter *filter, Side *side, const guint8 *bytes, gsize length)
{
    AgentStream *agent = &side->agent;
    gsize i = 0;
    while (i < length) {
        if (agent->in_message) {
            gsize n = MIN(length - i, agent->remaining);
            agent_data(filter, side, bytes + i, n);
            i += n;
            continue;
        }
        gsize n = MIN(length - i, AGENT_HEADER_SIZE - agent->header_length);
        memcpy(agent->header + agent->header_length, bytes + i, n);
        agent->header_length += n;
        i += n;
        if (agent->header_length == AGENT_HEADER_SIZE && !agent_header_done(filter, side))
            return FALSE;
    }
    return TRUE;
}

/* spice-gtk forgets a half-read agent message when the agent goes away,
 * and its file transfers with it: refusals still waiting would name tasks
 * it no longer knows. */
static void
agent_stream_reset(VmcAgentFilter *filter, Side *side)
{
    AgentStream *agent = &side->agent;
    count_dropped(filter, side->dir, agent->header_length);
    memset(agent, 0, sizeof *agent);
    filter->n_answers = 0;
}

/* ---- Spice messages ---- */

static gsize
header_size(const Side *side)
{
    return side->mini ? sizeof(SpiceMiniDataHeader) : sizeof(SpiceDataHeader);
}

static guint16
agent_data_type(VmcAgentDirection dir)
{
    return dir == VMC_AGENT_TO_VM ? SPICE_MSGC_MAIN_AGENT_DATA : SPICE_MSG_MAIN_AGENT_DATA;
}

/* A whole AGENT_DATA body: filter it into a message of its new size. */
static gboolean
agent_message_end(VmcAgentFilter *filter, Side *side)
{
    gsize hsize = header_size(side);
    gsize at = side->out_end;
    out_append(side, side->fixed, hsize);
    if (!agent_stream_feed(filter, side, side->body, side->body_length))
        return FALSE;
    gsize size = side->out_end - at - hsize;
    side->state = MESSAGE_HEADER;
    side->fixed_length = 0;
    if (size == side->body_length)
        return TRUE;
    if (size == 0 && side->body_length > 0) {
        side->out_end = at;
        count_dropped(filter, side->dir, hsize);
        return removed_agent_data(filter, side);
    }
    /* shrunk (the removed bytes are counted already), or grown by an agent
     * header held back from an earlier message */
    put_le32(side->out + at + (side->mini ? 2 : 10), (guint32)size);
    return TRUE;
}

static gboolean
message_header_done(VmcAgentFilter *filter, Side *side)
{
    const guint8 *h = side->fixed;
    gsize off = side->mini ? 0 : 8;
    side->type = (guint16)(h[off] | h[off + 1] << 8);
    guint32 size = le32(h + off + 2);

    if (side->dir == VMC_AGENT_FROM_VM && side->type == SPICE_MSG_LIST)
        return fail(filter, "a Spice message list on the main channel (not followed)");
    if (side->dir == VMC_AGENT_FROM_VM && !side->mini && le32(h + 14) != 0)
        return fail(filter, "a Spice message with sub-messages on the main channel (not followed)");
    if (size > VMC_AGENT_FILTER_MESSAGE_MAX)
        return fail(filter, "a Spice message %s of %u bytes on the main channel (at most %u)",
                    dir_name(side->dir), size, VMC_AGENT_FILTER_MESSAGE_MAX);
    if (side->type == agent_data_type(side->dir)) {
        if (size > VMC_AGENT_FILTER_AGENT_DATA_MAX)
            return fail(filter, "an agent data message %s of %u bytes (at most %u)",
                        dir_name(side->dir), size, VMC_AGENT_FILTER_AGENT_DATA_MAX);
        side->state = MESSAGE_AGENT;
        side->body_size = size;
        side->body_length = 0;
        if (size == 0) /* nothing to filter: sent as it came */
            return agent_message_end(filter, side);
        return TRUE;
    }
    if (side->dir == VMC_AGENT_FROM_VM && side->type == SPICE_MSG_MAIN_NAME &&
        filter->name != NULL && side->mini) {
        /* the VM's name: removed (the client has, or is about to get, the
         * set one) */
        count_dropped(filter, side->dir, header_size(side));
        side->fixed_length = 0;
        side->body_left = size;
        side->state = size > 0 ? MESSAGE_DROP : MESSAGE_HEADER;
        return TRUE;
    }
    if (side->dir == VMC_AGENT_FROM_VM && side->type == SPICE_MSG_MAIN_AGENT_DISCONNECTED)
        agent_stream_reset(filter, side);
    if (side->dir == VMC_AGENT_FROM_VM && side->type == SPICE_MSG_MAIN_INIT)
        filter->init_passed = TRUE; /* its body goes before anything injected */
    out_append(side, side->fixed, header_size(side));
    side->fixed_length = 0;
    side->capture_length = 0;
    side->body_left = size;
    side->state = size > 0 ? MESSAGE_PASS : MESSAGE_HEADER;
    return TRUE;
}

/* AGENT_START's num_tokens, once its first four body bytes went by. */
static void
capture_body(VmcAgentFilter *filter, Side *side, const guint8 *bytes, gsize n)
{
    if (side->dir != VMC_AGENT_TO_VM || side->type != SPICE_MSGC_MAIN_AGENT_START)
        return;
    for (gsize i = 0; i < n && side->capture_length < sizeof(side->capture); i++)
        side->capture[side->capture_length++] = bytes[i];
    if (side->capture_length == sizeof(side->capture)) {
        filter->agent_started = TRUE;
        filter->client_grant = le32(side->capture);
        side->capture_length++; /* taken: the loop above and this test stay off */
    }
}

static gsize
messages_step(VmcAgentFilter *filter, Side *side, const guint8 *bytes, gsize length)
{
    gsize n;
    switch (side->state) {
    case MESSAGE_HEADER:
        n = MIN(length, header_size(side) - side->fixed_length);
        memcpy(side->fixed + side->fixed_length, bytes, n);
        side->fixed_length += n;
        if (side->fixed_length == header_size(side) && !message_header_done(filter, side))
            return 0;
        return n;
    case MESSAGE_PASS:
        n = MIN(MIN(length, side->body_left), out_room(side));
        out_append(side, bytes, n);
        capture_body(filter, side, bytes, n);
        side->body_left -= (guint32)n;
        if (side->body_left == 0)
            side->state = MESSAGE_HEADER;
        return n;
    case MESSAGE_DROP:
        n = MIN(length, side->body_left);
        count_dropped(filter, side->dir, n);
        side->body_left -= (guint32)n;
        if (side->body_left == 0)
            side->state = MESSAGE_HEADER;
        return n;
    case MESSAGE_AGENT:
        n = MIN(length, side->body_size - side->body_length);
        memcpy(side->body + side->body_length, bytes, n);
        side->body_length += n;
        if (side->body_length == side->body_size && !agent_message_end(filter, side))
            return 0;
        return n;
    }
    g_assert_not_reached();
}

/* ---- the link phase ---- */

/* The server's SpiceLinkHeader + SpiceLinkReply, checked like the client's
 * link message. Returns the reply's total length, 0 while incomplete. */
static gboolean
link_reply_check(VmcAgentFilter *filter, const guint8 *reply, gsize length, gsize *ret_total)
{
    *ret_total = 0;
    if (length < VMC_SPICE_LINK_HEADER_SIZE)
        return TRUE;
    guint32 size = le32(reply + 12);
    if (le32(reply) != SPICE_MAGIC || le32(reply + 4) != SPICE_VERSION_MAJOR)
        return fail(filter, "the server's link reply is not Spice %u", SPICE_VERSION_MAJOR);
    if (size < LINK_REPLY_MIN || size > VMC_AGENT_FILTER_LINK_REPLY_MAX)
        return fail(filter, "the server's link reply of %u bytes (%u to %u)", size,
                    (guint)LINK_REPLY_MIN, VMC_AGENT_FILTER_LINK_REPLY_MAX);
    if (length < VMC_SPICE_LINK_HEADER_SIZE + size)
        return TRUE;
    const guint8 *r = reply + VMC_SPICE_LINK_HEADER_SIZE;
    guint32 n_common = le32(r + G_STRUCT_OFFSET(SpiceLinkReply, num_common_caps));
    guint32 n_channel = le32(r + G_STRUCT_OFFSET(SpiceLinkReply, num_channel_caps));
    guint32 offset = le32(r + G_STRUCT_OFFSET(SpiceLinkReply, caps_offset));
    if (le32(r) == SPICE_LINK_ERR_OK &&
        (n_common > VMC_SPICE_LINK_CAPS_MAX || n_channel > VMC_SPICE_LINK_CAPS_MAX ||
         offset < LINK_REPLY_MIN || (guint64)offset + 4 * ((guint64)n_common + n_channel) > size))
        return fail(filter, "the server's link reply has caps (%u + %u at %u) outside its %u bytes",
                    n_common, n_channel, offset, size);
    filter->server_caps = le32(r) == SPICE_LINK_ERR_OK && n_common > 0 ? le32(r + offset) : 0;
    *ret_total = VMC_SPICE_LINK_HEADER_SIZE + size;
    return TRUE;
}

/* The reply is in: each direction now knows its framing, the client what
 * comes before its ticket. */
static void
link_reply_done(VmcAgentFilter *filter, Side *side)
{
    Side *client = &filter->sides[VMC_AGENT_TO_VM];
    guint32 error = le32(side->fixed + VMC_SPICE_LINK_HEADER_SIZE);
    side->phase = error == SPICE_LINK_ERR_OK ? PHASE_LINK_RESULT : PHASE_ENDED;
    client->phase = error != SPICE_LINK_ERR_OK ? PHASE_ENDED
                    : has_cap(filter->client_caps, SPICE_COMMON_CAP_PROTOCOL_AUTH_SELECTION)
                        ? PHASE_AUTH_MECHANISM
                        : PHASE_TICKET;
    client->ticket_left = sizeof(SpiceLinkEncryptedTicket);
    /* as each receiver decides: spice-server by the client's caps,
     * spice-gtk by the server's */
    client->mini = has_cap(filter->client_caps, SPICE_COMMON_CAP_MINI_HEADER);
    side->mini = has_cap(filter->server_caps, SPICE_COMMON_CAP_MINI_HEADER);
    side->fixed_length = 0;
}

/* A fixed-size piece: gather `need` bytes; TRUE in *ret_done once all are in
 * (they are sent on as they were). */
static gsize
gather(Side *side, const guint8 *bytes, gsize length, gsize need, gboolean *ret_done)
{
    gsize n = MIN(length, need - side->fixed_length);
    memcpy(side->fixed + side->fixed_length, bytes, n);
    side->fixed_length += n;
    *ret_done = side->fixed_length == need;
    if (*ret_done) {
        out_append(side, side->fixed, need);
        side->fixed_length = 0;
    }
    return n;
}

static gsize
link_reply_step(VmcAgentFilter *filter, Side *side, const guint8 *bytes, gsize length)
{
    gsize total;
    gsize n = MIN(length, sizeof side->fixed - side->fixed_length);
    /* take only what belongs to the reply: check as bytes come */
    if (side->fixed_length < VMC_SPICE_LINK_HEADER_SIZE)
        n = MIN(n, VMC_SPICE_LINK_HEADER_SIZE - side->fixed_length);
    else
        n = MIN(n, VMC_SPICE_LINK_HEADER_SIZE + le32(side->fixed + 12) - side->fixed_length);
    memcpy(side->fixed + side->fixed_length, bytes, n);
    side->fixed_length += n;
    if (!link_reply_check(filter, side->fixed, side->fixed_length, &total))
        return 0;
    if (total > 0) {
        out_append(side, side->fixed, total);
        link_reply_done(filter, side);
    }
    return n;
}

static gsize
link_step(VmcAgentFilter *filter, Side *side, const guint8 *bytes, gsize length)
{
    gboolean done = FALSE;
    gsize n;
    switch (side->phase) {
    case PHASE_LINK_REPLY:
        return link_reply_step(filter, side, bytes, length);
    case PHASE_LINK_RESULT:
        n = gather(side, bytes, length, 4, &done);
        if (done)
            side->phase = le32(side->out + side->out_end - 4) == SPICE_LINK_ERR_OK ? PHASE_MESSAGES
                                                                                   : PHASE_ENDED;
        return n;
    case PHASE_WAIT_REPLY:
        fail(filter, "the client sent data before the server's link reply");
        return 0;
    case PHASE_AUTH_MECHANISM:
        n = gather(side, bytes, length, sizeof(SpiceLinkAuthMechanism), &done);
        if (done) {
            guint32 mechanism = le32(side->out + side->out_end - 4);
            if (mechanism == SPICE_COMMON_CAP_AUTH_SASL) {
                fail(filter, "SASL authentication on the main channel (not followed)");
                return 0;
            }
            if (mechanism != SPICE_COMMON_CAP_AUTH_SPICE) {
                fail(filter, "unknown Spice authentication mechanism %u", mechanism);
                return 0;
            }
            side->phase = PHASE_TICKET;
        }
        return n;
    case PHASE_TICKET:
        n = MIN(MIN(length, side->ticket_left), out_room(side));
        out_append(side, bytes, n);
        side->ticket_left -= n;
        if (side->ticket_left == 0)
            side->phase = PHASE_MESSAGES;
        return n;
    case PHASE_ENDED:
        fail(filter, "bytes %s after the link was refused", dir_name(side->dir));
        return 0;
    case PHASE_MESSAGES:
        break;
    }
    g_assert_not_reached();
}

/* ---- public ---- */

VmcAgentFilter *
vmc_agent_filter_new(const VmcAgentPolicy *policy, const guint8 *link, gsize link_length)
{
    gboolean allowed[VMC_SPICE_CHANNEL_MAX + 1] = {FALSE};
    VmcSpiceLink parsed;
    gsize total = 0;

    g_return_val_if_fail(policy != NULL && link != NULL, NULL);
    allowed[VMC_SPICE_CHANNEL_MAIN] = TRUE;
    gboolean valid = vmc_spice_link_check(link, link_length, allowed, &parsed, &total, NULL);
    g_return_val_if_fail(valid && total == link_length, NULL);

    VmcAgentFilter *filter = g_new0(VmcAgentFilter, 1);
    filter->policy = *policy;
    if (parsed.num_common_caps > 0)
        filter->client_caps = le32(link + VMC_SPICE_LINK_HEADER_SIZE + parsed.caps_offset);
    filter->sides[VMC_AGENT_TO_VM].dir = VMC_AGENT_TO_VM;
    filter->sides[VMC_AGENT_TO_VM].phase = PHASE_WAIT_REPLY;
    filter->sides[VMC_AGENT_FROM_VM].dir = VMC_AGENT_FROM_VM;
    filter->sides[VMC_AGENT_FROM_VM].phase = PHASE_LINK_REPLY;
    return filter;
}

void
vmc_agent_filter_free(VmcAgentFilter *filter)
{
    if (filter == NULL)
        return;
    g_free(filter->failure);
    g_free(filter->name);
    g_free(filter);
}

gboolean
vmc_agent_filter_name_is_valid(const char *name)
{
    if (name == NULL || strlen(name) > VMC_AGENT_FILTER_NAME_MAX ||
        !g_utf8_validate(name, -1, NULL))
        return FALSE;
    for (const char *p = name; *p != '\0'; p = g_utf8_next_char(p))
        if (g_unichar_iscntrl(g_utf8_get_char(p)))
            return FALSE;
    return TRUE;
}

void
vmc_agent_filter_set_name(VmcAgentFilter *filter, const char *name)
{
    g_return_if_fail(filter != NULL);
    g_return_if_fail(name == NULL || vmc_agent_filter_name_is_valid(name));
    if (g_strcmp0(filter->name, name) == 0)
        return;
    g_free(filter->name);
    filter->name = g_strdup(name);
    filter->name_due = name != NULL;
}

static gboolean
refuse(const VmcAgentFilter *filter, GError **error)
{
    g_set_error(error, VMC_SPICE_ERROR, VMC_SPICE_ERROR_AGENT, "%s", filter->failure);
    return FALSE;
}

gboolean
vmc_agent_filter_feed(VmcAgentFilter *filter, VmcAgentDirection dir, const guint8 *bytes,
                      gsize length, gsize *ret_taken, GError **error)
{
    g_return_val_if_fail(filter != NULL && (dir == VMC_AGENT_TO_VM || dir == VMC_AGENT_FROM_VM),
                         FALSE);
    g_return_val_if_fail(bytes != NULL || length == 0, FALSE);
    g_return_val_if_fail(ret_taken != NULL, FALSE);

    Side *side = &filter->sides[dir];
    gsize taken = 0;
    *ret_taken = 0;
    if (filter->failure != NULL)
        return refuse(filter, error);
    out_compact(side);
    inject(filter, side);
    while (taken < length && out_room(side) >= UNIT_MAX) {
        gsize n = side->phase == PHASE_MESSAGES
                      ? messages_step(filter, side, bytes + taken, length - taken)
                      : link_step(filter, side, bytes + taken, length - taken);
        if (filter->failure != NULL)
            return refuse(filter, error);
        taken += n;
        inject(filter, side);
    }
    *ret_taken = taken;
    return TRUE;
}

const guint8 *
vmc_agent_filter_output(VmcAgentFilter *filter, VmcAgentDirection dir, gsize *ret_length)
{
    g_return_val_if_fail(filter != NULL && ret_length != NULL, NULL);
    Side *side = &filter->sides[dir];
    *ret_length = side->out_end - side->out_start;
    return side->out + side->out_start;
}

void
vmc_agent_filter_output_sent(VmcAgentFilter *filter, VmcAgentDirection dir, gsize n)
{
    g_return_if_fail(filter != NULL);
    Side *side = &filter->sides[dir];
    g_return_if_fail(n <= side->out_end - side->out_start);
    side->out_start += n;
    if (side->out_start == side->out_end)
        side->out_start = side->out_end = 0;
}

gsize
vmc_agent_filter_held(const VmcAgentFilter *filter, VmcAgentDirection dir)
{
    g_return_val_if_fail(filter != NULL, 0);
    const Side *side = &filter->sides[dir];
    gsize held = side->fixed_length + side->agent.header_length;
    if (side->phase == PHASE_MESSAGES && side->state == MESSAGE_AGENT)
        held += side->body_length;
    return held;
}

const VmcAgentStats *
vmc_agent_filter_get_stats(const VmcAgentFilter *filter)
{
    g_return_val_if_fail(filter != NULL, NULL);
    return &filter->stats;
}
