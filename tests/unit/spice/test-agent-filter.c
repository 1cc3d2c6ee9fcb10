/* The agent filter (spice/agent-filter.c) on crafted byte streams: link
 * phases, policies, every split of a denied message across Spice messages
 * and agent-message boundaries, tokens and refusals injected, the
 * fail-closed cases and the bounds. */
#include "agent-filter-priv.h"
#include "vmc-assert.h"

#include <string.h>

#include <spice/enums.h>
#include <spice/protocol.h>
#include <spice/vd_agent.h>

#define CAPS_DEFAULT                                                                               \
    ((1u << SPICE_COMMON_CAP_PROTOCOL_AUTH_SELECTION) | (1u << SPICE_COMMON_CAP_AUTH_SPICE) |      \
     (1u << SPICE_COMMON_CAP_MINI_HEADER))
#define CAPS_NO_MINI (CAPS_DEFAULT & ~(1u << SPICE_COMMON_CAP_MINI_HEADER))
#define TICKET_SIZE 128

static const VmcAgentPolicy allow_all = {TRUE, TRUE, TRUE};
static const VmcAgentPolicy deny_files = {FALSE, TRUE, TRUE};

/* ---- building streams ---- */

static void
add32(GByteArray *a, guint32 v)
{
    guint8 b[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24};
    g_byte_array_append(a, b, 4);
}

static void
add16(GByteArray *a, guint16 v)
{
    guint8 b[2] = {v & 0xff, v >> 8};
    g_byte_array_append(a, b, 2);
}

static void
add_zeros(GByteArray *a, gsize n)
{
    for (gsize i = 0; i < n; i++)
        g_byte_array_append(a, (const guint8 *)"", 1);
}

/* The client's SpiceLinkHeader + SpiceLinkMess for main with one caps word. */
static GByteArray *
client_link(guint32 caps)
{
    GByteArray *a = g_byte_array_new();
    g_byte_array_append(a, (const guint8 *)"REDQ", 4);
    add32(a, 2);
    add32(a, 2);
    add32(a, 18 + 4);
    add32(a, 0);
    guint8 type_id[2] = {SPICE_CHANNEL_MAIN, 0};
    g_byte_array_append(a, type_id, 2);
    add32(a, 1);
    add32(a, 0);
    add32(a, 18);
    add32(a, caps);
    return a;
}

static void
add_server_reply(GByteArray *a, guint32 caps, guint32 error)
{
    g_byte_array_append(a, (const guint8 *)"REDQ", 4);
    add32(a, 2);
    add32(a, 2);
    add32(a, sizeof(SpiceLinkReply) + 4);
    add32(a, error);
    add_zeros(a, SPICE_TICKET_PUBKEY_BYTES);
    add32(a, 1);
    add32(a, 0);
    add32(a, sizeof(SpiceLinkReply));
    add32(a, caps);
}

static void
add_message(GByteArray *a, gboolean mini, guint16 type, const guint8 *body, gsize size)
{
    if (!mini) {
        add32(a, 77);
        add32(a, 0); /* serial 77 */
    }
    add16(a, type);
    add32(a, (guint32)size);
    if (!mini)
        add32(a, 0);
    g_byte_array_append(a, body, (guint)size);
}

/* A VDAgentMessage of type with `size` data bytes (first the u32 `first`). */
static void
add_agent(GByteArray *a, guint32 type, guint32 size, guint32 first)
{
    add32(a, VD_AGENT_PROTOCOL);
    add32(a, type);
    add32(a, 0x11111111);
    add32(a, 0x22222222);
    add32(a, size);
    for (guint32 i = 0; i < size; i++) {
        guint8 b = i < 4 ? (guint8)(first >> (8 * i)) : (guint8)(0x40 + i);
        g_byte_array_append(a, &b, 1);
    }
}

/* ---- running a filter ---- */

typedef struct {
    VmcAgentFilter *filter;
    GByteArray *out[2];
    gsize taken[2];
    GError *error;
} Run;

static void
run_drain(Run *run, VmcAgentDirection dir)
{
    gsize length;
    const guint8 *bytes = vmc_agent_filter_output(run->filter, dir, &length);
    g_byte_array_append(run->out[dir], bytes, (guint)length);
    vmc_agent_filter_output_sent(run->filter, dir, length);
}

static void
assert_balance(Run *run)
{
    const VmcAgentStats *s = vmc_agent_filter_get_stats(run->filter);
    guint64 dropped[2] = {s->bytes_dropped_to_vm, s->bytes_dropped_from_vm};
    guint64 injected[2] = {s->bytes_injected_to_vm, s->bytes_injected_from_vm};
    for (guint dir = 0; dir < 2; dir++)
        g_assert_cmpuint(run->taken[dir] + injected[dir], ==,
                         run->out[dir]->len + dropped[dir] +
                             vmc_agent_filter_held(run->filter, dir));
}

/* Feed bytes in pieces of `chunk`, draining as it goes (and the other
 * direction, for what was injected there). FALSE once the filter refused. */
static gboolean
run_feed(Run *run, VmcAgentDirection dir, const guint8 *bytes, gsize length, gsize chunk)
{
    gsize at = 0;
    do {
        gsize n = MIN(chunk, length - at), taken = 0;
        if (!vmc_agent_filter_feed(run->filter, dir, bytes + at, n, &taken, &run->error)) {
            g_assert_error(run->error, VMC_SPICE_ERROR, VMC_SPICE_ERROR_AGENT);
            return FALSE;
        }
        at += taken;
        run->taken[dir] += taken;
        run_drain(run, dir);
        g_assert_true(vmc_agent_filter_feed(run->filter, !dir, NULL, 0, &taken, NULL));
        run_drain(run, !dir);
        assert_balance(run);
    } while (at < length);
    return TRUE;
}

static void
run_init(Run *run, const VmcAgentPolicy *policy, guint32 client_caps)
{
    g_autoptr(GByteArray) link = client_link(client_caps);
    run->filter = vmc_agent_filter_new(policy, link->data, link->len);
    g_assert_nonnull(run->filter);
    run->out[0] = g_byte_array_new();
    run->out[1] = g_byte_array_new();
    run->taken[0] = run->taken[1] = 0;
    run->error = NULL;
}

static void
run_clear(Run *run)
{
    g_clear_pointer(&run->filter, vmc_agent_filter_free);
    g_byte_array_unref(run->out[0]);
    g_byte_array_unref(run->out[1]);
    g_clear_error(&run->error);
}

static gsize
client_preamble_size(guint32 client_caps)
{
    return (client_caps & (1u << SPICE_COMMON_CAP_PROTOCOL_AUTH_SELECTION) ? 4 : 0) + TICKET_SIZE;
}

/* Through both link phases; the outputs are emptied afterwards. */
static void
run_link(Run *run, guint32 client_caps, guint32 server_caps)
{
    g_autoptr(GByteArray) server = g_byte_array_new();
    g_autoptr(GByteArray) client = g_byte_array_new();
    add_server_reply(server, server_caps, SPICE_LINK_ERR_OK);
    if (client_caps & (1u << SPICE_COMMON_CAP_PROTOCOL_AUTH_SELECTION))
        add32(client, SPICE_COMMON_CAP_AUTH_SPICE);
    for (guint i = 0; i < TICKET_SIZE; i++)
        g_byte_array_append(client, (const guint8 *)"t", 1);
    g_assert_true(run_feed(run, VMC_AGENT_FROM_VM, server->data, server->len, 3));
    g_assert_true(run_feed(run, VMC_AGENT_TO_VM, client->data, client->len, 5));
    add32(server, SPICE_LINK_ERR_OK);
    g_assert_true(run_feed(run, VMC_AGENT_FROM_VM, server->data + server->len - 4, 4, 1));
    g_assert_cmpmem(run->out[VMC_AGENT_FROM_VM]->data, run->out[VMC_AGENT_FROM_VM]->len,
                    server->data, server->len);
    g_assert_cmpmem(run->out[VMC_AGENT_TO_VM]->data, run->out[VMC_AGENT_TO_VM]->len, client->data,
                    client->len);
    g_byte_array_set_size(run->out[0], 0);
    g_byte_array_set_size(run->out[1], 0);
    run->taken[0] = run->taken[1] = 0;
    g_assert_cmpuint(client_preamble_size(client_caps), ==, client->len);
}

/* ---- reading the output back ---- */

typedef struct {
    guint n_agent_data; /* AGENT_DATA messages */
    guint32 tokens;     /* num_tokens of AGENT_TOKEN messages */
    guint n_other;      /* other messages */
    GByteArray *agent;  /* the agent stream: AGENT_DATA bodies, concatenated */
} Parsed;

static void
parse_messages(const GByteArray *a, gboolean mini, VmcAgentDirection dir, Parsed *ret)
{
    gsize hsize = mini ? 6 : 18, off = mini ? 0 : 8;
    guint16 data_type =
        dir == VMC_AGENT_TO_VM ? SPICE_MSGC_MAIN_AGENT_DATA : SPICE_MSG_MAIN_AGENT_DATA;
    guint16 token_type =
        dir == VMC_AGENT_TO_VM ? SPICE_MSGC_MAIN_AGENT_TOKEN : SPICE_MSG_MAIN_AGENT_TOKEN;
    memset(ret, 0, sizeof *ret);
    ret->agent = g_byte_array_new();
    for (gsize i = 0; i < a->len;) {
        g_assert_cmpuint(i + hsize, <=, a->len);
        guint16 type = (guint16)(a->data[i + off] | a->data[i + off + 1] << 8);
        guint32 size;
        memcpy(&size, a->data + i + off + 2, 4);
        size = GUINT32_FROM_LE(size);
        g_assert_cmpuint(i + hsize + size, <=, a->len);
        if (type == data_type) {
            ret->n_agent_data++;
            g_assert_cmpuint(size, >, 0);
            g_byte_array_append(ret->agent, a->data + i + hsize, size);
        } else if (type == token_type) {
            guint32 tokens;
            g_assert_cmpuint(size, ==, 4);
            memcpy(&tokens, a->data + i + hsize, 4);
            ret->tokens += GUINT32_FROM_LE(tokens);
        } else {
            ret->n_other++;
        }
        i += hsize + size;
    }
}

static void
parsed_clear(Parsed *p)
{
    g_byte_array_unref(p->agent);
}

/* Agent messages of a stream: their types, in order; and the file-transfer
 * refusals (VD_AGENT_FILE_XFER_STATUS) with their task ids. */
static GArray *
agent_types(const GByteArray *stream, guint32 *ret_refused_id)
{
    GArray *types = g_array_new(FALSE, FALSE, sizeof(guint32));
    for (gsize i = 0; i < stream->len;) {
        g_assert_cmpuint(i + 20, <=, stream->len);
        guint32 type, size;
        memcpy(&type, stream->data + i + 4, 4);
        memcpy(&size, stream->data + i + 16, 4);
        g_assert_cmpuint(i + 20 + size, <=, stream->len);
        g_array_append_val(types, type);
        if (type == VD_AGENT_FILE_XFER_STATUS && ret_refused_id != NULL) {
            guint32 result;
            memcpy(ret_refused_id, stream->data + i + 20, 4);
            memcpy(&result, stream->data + i + 24, 4);
            g_assert_cmpuint(result, ==, VD_AGENT_FILE_XFER_STATUS_DISABLED);
        }
        i += 20 + size;
    }
    return types;
}

/* ---- tests ---- */

/* With everything allowed the filter changes no byte, however it is fed. */
static void
test_allow_all_untouched(void)
{
    static const gsize chunks[] = {1, 2, 5, 7, 4096};
    for (gsize c = 0; c < G_N_ELEMENTS(chunks); c++) {
        Run run;
        run_init(&run, &allow_all, CAPS_DEFAULT);
        run_link(&run, CAPS_DEFAULT, CAPS_DEFAULT);
        g_autoptr(GByteArray) agent = g_byte_array_new();
        add_agent(agent, VD_AGENT_FILE_XFER_START, 30, 9);
        add_agent(agent, VD_AGENT_CLIPBOARD, 5, 1);
        add_agent(agent, VD_AGENT_ANNOUNCE_CAPABILITIES, 8, 0);
        g_autoptr(GByteArray) in = g_byte_array_new();
        add_message(in, TRUE, SPICE_MSGC_MAIN_AGENT_START, (const guint8 *)"\xff\xff\xff\xff", 4);
        add_message(in, TRUE, SPICE_MSGC_MAIN_AGENT_DATA, agent->data, 41);
        add_message(in, TRUE, SPICE_MSGC_MAIN_AGENT_DATA, agent->data + 41, agent->len - 41);
        add_message(in, TRUE, SPICE_MSGC_MAIN_CLIENT_INFO, (const guint8 *)"12345678", 8);
        g_assert_true(run_feed(&run, VMC_AGENT_TO_VM, in->data, in->len, chunks[c]));
        g_assert_cmpmem(run.out[0]->data, run.out[0]->len, in->data, in->len);
        /* the same bytes as the VM's: types and sizes fit both ways */
        g_autoptr(GByteArray) down = g_byte_array_new();
        add_message(down, TRUE, SPICE_MSG_MAIN_AGENT_DATA, agent->data, agent->len);
        add_message(down, TRUE, SPICE_MSG_MAIN_NAME, (const guint8 *)"\x03\0\0\0vm\0", 7);
        g_assert_true(run_feed(&run, VMC_AGENT_FROM_VM, down->data, down->len, chunks[c]));
        g_assert_cmpmem(run.out[1]->data, run.out[1]->len, down->data, down->len);
        const VmcAgentStats *s = vmc_agent_filter_get_stats(run.filter);
        g_assert_cmpuint(
            s->file_transfer_dropped + s->bytes_dropped_to_vm + s->bytes_injected_from_vm, ==, 0);
        run_clear(&run);
    }
}

/* Split an agent stream into AGENT_DATA messages at cut positions. */
static GByteArray *
split_into_messages(const GByteArray *agent, const gsize *cuts, guint n_cuts, guint16 type)
{
    GByteArray *in = g_byte_array_new();
    gsize from = 0;
    for (guint i = 0; i <= n_cuts; i++) {
        gsize to = i < n_cuts ? cuts[i] : agent->len;
        add_message(in, TRUE, type, agent->data + from, to - from);
        from = to;
    }
    return in;
}

/* A denied FILE_XFER_START between two allowed messages, the stream cut into
 * two and three AGENT_DATA messages at every position: what reaches the VM
 * is exactly the allowed messages; every message that disappeared gave its
 * token back; the client is told the transfer is disabled. */
static void
check_split(const GByteArray *agent, const GByteArray *expect, const gsize *cuts, guint n_cuts,
            gsize chunk)
{
    Run run;
    run_init(&run, &deny_files, CAPS_DEFAULT);
    run_link(&run, CAPS_DEFAULT, CAPS_DEFAULT);
    g_autoptr(GByteArray) in = split_into_messages(agent, cuts, n_cuts, SPICE_MSGC_MAIN_AGENT_DATA);
    g_assert_true(run_feed(&run, VMC_AGENT_TO_VM, in->data, in->len, chunk));

    Parsed up, down;
    parse_messages(run.out[VMC_AGENT_TO_VM], TRUE, VMC_AGENT_TO_VM, &up);
    parse_messages(run.out[VMC_AGENT_FROM_VM], TRUE, VMC_AGENT_FROM_VM, &down);
    g_assert_cmpmem(up.agent->data, up.agent->len, expect->data, expect->len);
    g_assert_cmpuint(up.n_agent_data + down.tokens, ==, n_cuts + 1);
    guint32 refused = 0;
    g_autoptr(GArray) answers = agent_types(down.agent, &refused);
    g_assert_cmpuint(answers->len, ==, 1);
    g_assert_cmpuint(refused, ==, 0x5eed);
    const VmcAgentStats *s = vmc_agent_filter_get_stats(run.filter);
    g_assert_cmpuint(s->file_transfer_dropped, ==, 1);
    g_assert_cmpuint(s->clipboard_to_vm_dropped + s->clipboard_from_vm_dropped, ==, 0);
    g_assert_cmpuint(vmc_agent_filter_held(run.filter, VMC_AGENT_TO_VM), ==, 0);
    parsed_clear(&up);
    parsed_clear(&down);
    run_clear(&run);
}

static void
test_split_everywhere(void)
{
    g_autoptr(GByteArray) agent = g_byte_array_new();
    g_autoptr(GByteArray) expect = g_byte_array_new();
    add_agent(agent, VD_AGENT_MONITORS_CONFIG, 6, 1);
    add_agent(agent, VD_AGENT_FILE_XFER_START, 9, 0x5eed);
    add_agent(agent, VD_AGENT_CLIPBOARD_GRAB, 4, 1);
    add_agent(expect, VD_AGENT_MONITORS_CONFIG, 6, 1);
    add_agent(expect, VD_AGENT_CLIPBOARD_GRAB, 4, 1);

    check_split(agent, expect, NULL, 0, 1);
    for (gsize a = 1; a < agent->len; a++) {
        gsize one[1] = {a};
        check_split(agent, expect, one, 1, a % 2 ? 3 : 4096);
        for (gsize b = a + 1; b < agent->len; b++) {
            gsize two[2] = {a, b};
            check_split(agent, expect, two, 2, 4096);
        }
    }
}

/* The same with the data of the denied transfer spread over many messages,
 * and a denied message alone in its messages. */
static void
test_split_data(void)
{
    g_autoptr(GByteArray) agent = g_byte_array_new();
    g_autoptr(GByteArray) expect = g_byte_array_new();
    add_agent(agent, VD_AGENT_FILE_XFER_START, 40, 0x5eed);
    add_agent(agent, VD_AGENT_FILE_XFER_DATA, 100, 0x5eed);
    add_agent(agent, VD_AGENT_MONITORS_CONFIG, 3, 0);
    add_agent(expect, VD_AGENT_MONITORS_CONFIG, 3, 0);
    /* all in the denied messages, the last one ends 10 bytes into the
     * allowed message's header */
    gsize cuts[] = {20, 60, 70, 80, 140, 150, 170, 190};
    Run run;
    run_init(&run, &deny_files, CAPS_DEFAULT);
    run_link(&run, CAPS_DEFAULT, CAPS_DEFAULT);
    g_autoptr(GByteArray) in =
        split_into_messages(agent, cuts, G_N_ELEMENTS(cuts), SPICE_MSGC_MAIN_AGENT_DATA);
    g_assert_true(run_feed(&run, VMC_AGENT_TO_VM, in->data, in->len, 11));
    Parsed up, down;
    parse_messages(run.out[VMC_AGENT_TO_VM], TRUE, VMC_AGENT_TO_VM, &up);
    parse_messages(run.out[VMC_AGENT_FROM_VM], TRUE, VMC_AGENT_FROM_VM, &down);
    g_assert_cmpmem(up.agent->data, up.agent->len, expect->data, expect->len);
    g_assert_cmpuint(up.n_agent_data, ==, 1);
    g_assert_cmpuint(down.tokens, ==, 8);
    g_assert_cmpuint(vmc_agent_filter_get_stats(run.filter)->file_transfer_dropped, ==, 2);
    g_assert_cmpuint(vmc_agent_filter_get_stats(run.filter)->bytes_dropped_to_vm, ==,
                     20 + 40 + 20 + 100 + 8 * 6);
    parsed_clear(&up);
    parsed_clear(&down);
    run_clear(&run);
}

typedef struct {
    const char *name;
    VmcAgentPolicy policy;
    guint32 up_expect_types[8];   /* what reaches the VM (0-terminated) */
    guint32 down_expect_types[8]; /* what reaches the client */
    guint64 to_vm_dropped, from_vm_dropped;
} ClipboardCase;

/* Both ways: grab, data, release and a request for the other side's data. */
static const guint32 clipboard_traffic[] = {
    VD_AGENT_CLIPBOARD_GRAB,    VD_AGENT_CLIPBOARD_REQUEST, VD_AGENT_CLIPBOARD,
    VD_AGENT_CLIPBOARD_RELEASE, VD_AGENT_MONITORS_CONFIG,
};

static const ClipboardCase clipboard_cases[] = {
    {"both",
     {TRUE, TRUE, TRUE},
     {VD_AGENT_CLIPBOARD_GRAB, VD_AGENT_CLIPBOARD_REQUEST, VD_AGENT_CLIPBOARD,
      VD_AGENT_CLIPBOARD_RELEASE, VD_AGENT_MONITORS_CONFIG},
     {VD_AGENT_CLIPBOARD_GRAB, VD_AGENT_CLIPBOARD_REQUEST, VD_AGENT_CLIPBOARD,
      VD_AGENT_CLIPBOARD_RELEASE, VD_AGENT_MONITORS_CONFIG},
     0,
     0},
    {"to-vm",
     {TRUE, TRUE, FALSE},
     {VD_AGENT_CLIPBOARD_GRAB, VD_AGENT_CLIPBOARD, VD_AGENT_CLIPBOARD_RELEASE,
      VD_AGENT_MONITORS_CONFIG},
     {VD_AGENT_CLIPBOARD_REQUEST, VD_AGENT_MONITORS_CONFIG},
     0,
     4},
    {"from-vm",
     {TRUE, FALSE, TRUE},
     {VD_AGENT_CLIPBOARD_REQUEST, VD_AGENT_MONITORS_CONFIG},
     {VD_AGENT_CLIPBOARD_GRAB, VD_AGENT_CLIPBOARD, VD_AGENT_CLIPBOARD_RELEASE,
      VD_AGENT_MONITORS_CONFIG},
     4,
     0},
    {"none", {TRUE, FALSE, FALSE}, {VD_AGENT_MONITORS_CONFIG}, {VD_AGENT_MONITORS_CONFIG}, 4, 4},
};

static void
check_types(const GByteArray *stream, const guint32 *expect)
{
    g_autoptr(GArray) types = agent_types(stream, NULL);
    guint n = 0;
    while (n < 8 && expect[n] != 0)
        n++;
    g_assert_cmpuint(types->len, ==, n);
    for (guint i = 0; i < n; i++)
        g_assert_cmpuint(g_array_index(types, guint32, i), ==, expect[i]);
}

static void
test_clipboard(gconstpointer data)
{
    const ClipboardCase *c = data;
    Run run;
    run_init(&run, &c->policy, CAPS_DEFAULT);
    run_link(&run, CAPS_DEFAULT, CAPS_DEFAULT);
    for (guint dir = 0; dir < 2; dir++) {
        guint16 type =
            dir == VMC_AGENT_TO_VM ? SPICE_MSGC_MAIN_AGENT_DATA : SPICE_MSG_MAIN_AGENT_DATA;
        g_autoptr(GByteArray) in = g_byte_array_new();
        for (gsize i = 0; i < G_N_ELEMENTS(clipboard_traffic); i++) {
            g_autoptr(GByteArray) one = g_byte_array_new();
            add_agent(one, clipboard_traffic[i], 4 + (guint32)i, 1);
            add_message(in, TRUE, type, one->data, one->len);
        }
        g_assert_true(run_feed(&run, dir, in->data, in->len, 13));
    }
    Parsed up, down;
    parse_messages(run.out[VMC_AGENT_TO_VM], TRUE, VMC_AGENT_TO_VM, &up);
    parse_messages(run.out[VMC_AGENT_FROM_VM], TRUE, VMC_AGENT_FROM_VM, &down);
    check_types(up.agent, c->up_expect_types);
    check_types(down.agent, c->down_expect_types);
    const VmcAgentStats *s = vmc_agent_filter_get_stats(run.filter);
    g_assert_cmpuint(s->clipboard_to_vm_dropped, ==, c->to_vm_dropped);
    g_assert_cmpuint(s->clipboard_from_vm_dropped, ==, c->from_vm_dropped);
    g_assert_cmpuint(s->file_transfer_dropped, ==, 0);
    /* removed client messages came back as tokens; the VM's do not (no
     * AGENT_START seen) */
    g_assert_cmpuint(up.n_agent_data + down.tokens, ==, G_N_ELEMENTS(clipboard_traffic));
    g_assert_cmpuint(up.tokens, ==, 0);
    parsed_clear(&up);
    parsed_clear(&down);
    run_clear(&run);
}

/* A removed message of the VM gives the server a token when the client
 * granted a finite number in AGENT_START, none when it granted ~0 (spice-gtk). */
static void
test_tokens_to_server(void)
{
    static const VmcAgentPolicy no_clipboard = {TRUE, FALSE, FALSE};
    static const guint32 grants[] = {10, G_MAXUINT32};
    for (gsize g = 0; g < G_N_ELEMENTS(grants); g++) {
        Run run;
        run_init(&run, &no_clipboard, CAPS_DEFAULT);
        run_link(&run, CAPS_DEFAULT, CAPS_DEFAULT);
        guint8 grant[4];
        guint32 le = GUINT32_TO_LE(grants[g]);
        memcpy(grant, &le, 4);
        g_autoptr(GByteArray) up = g_byte_array_new();
        add_message(up, TRUE, SPICE_MSGC_MAIN_AGENT_START, grant, 4);
        g_assert_true(run_feed(&run, VMC_AGENT_TO_VM, up->data, up->len, 3));
        g_autoptr(GByteArray) one = g_byte_array_new();
        g_autoptr(GByteArray) down = g_byte_array_new();
        add_agent(one, VD_AGENT_CLIPBOARD_GRAB, 4, 1);
        add_message(down, TRUE, SPICE_MSG_MAIN_AGENT_DATA, one->data, one->len);
        add_message(down, TRUE, SPICE_MSG_MAIN_AGENT_DATA, one->data, one->len);
        g_assert_true(run_feed(&run, VMC_AGENT_FROM_VM, down->data, down->len, 4096));
        Parsed parsed;
        parse_messages(run.out[VMC_AGENT_TO_VM], TRUE, VMC_AGENT_TO_VM, &parsed);
        g_assert_cmpuint(parsed.tokens, ==, grants[g] == G_MAXUINT32 ? 0 : 2);
        g_assert_cmpuint(run.out[VMC_AGENT_FROM_VM]->len, ==, 0);
        parsed_clear(&parsed);
        run_clear(&run);
    }
}

/* On its way to the client the agent's capabilities say what is off. */
static void
test_capabilities(void)
{
    static const VmcAgentPolicy nothing = {FALSE, FALSE, FALSE};
    const guint32 clipboard = 1u << VD_AGENT_CAP_CLIPBOARD |
                              1u << VD_AGENT_CAP_CLIPBOARD_BY_DEMAND |
                              1u << VD_AGENT_CAP_CLIPBOARD_SELECTION;
    const guint32 disabled = 1u << VD_AGENT_CAP_FILE_XFER_DISABLED;
    G_STATIC_ASSERT(VD_AGENT_CAP_FILE_XFER_DISABLED < 32);
    Run run;
    run_init(&run, &nothing, CAPS_DEFAULT);
    run_link(&run, CAPS_DEFAULT, CAPS_DEFAULT);
    g_autoptr(GByteArray) agent = g_byte_array_new();
    add32(agent, VD_AGENT_PROTOCOL);
    add32(agent, VD_AGENT_ANNOUNCE_CAPABILITIES);
    add_zeros(agent, 8);
    add32(agent, 12);
    add32(agent, 1);                      /* request */
    add32(agent, 0xffffffff & ~disabled); /* every other cap of word 0 */
    add32(agent, 0x5);
    g_autoptr(GByteArray) down = g_byte_array_new();
    /* cut inside the caps word: the edit follows the bytes */
    add_message(down, TRUE, SPICE_MSG_MAIN_AGENT_DATA, agent->data, 25);
    add_message(down, TRUE, SPICE_MSG_MAIN_AGENT_DATA, agent->data + 25, agent->len - 25);
    g_assert_true(run_feed(&run, VMC_AGENT_FROM_VM, down->data, down->len, 1));
    Parsed parsed;
    parse_messages(run.out[VMC_AGENT_FROM_VM], TRUE, VMC_AGENT_FROM_VM, &parsed);
    g_assert_cmpuint(parsed.agent->len, ==, agent->len);
    guint32 caps[2];
    memcpy(caps, parsed.agent->data + 24, 8);
    g_assert_cmphex(GUINT32_FROM_LE(caps[0]), ==, 0xffffffff & ~clipboard);
    g_assert_cmphex(GUINT32_FROM_LE(caps[1]), ==, 0x5);
    g_assert_cmpmem(parsed.agent->data, 24, agent->data, 24);
    parsed_clear(&parsed);
    run_clear(&run);
}

/* spice-gtk forgets a half-read agent message when the agent disconnects:
 * what follows is a new message and is judged as one. */
static void
test_agent_disconnected(void)
{
    static const VmcAgentPolicy no_from_vm = {TRUE, TRUE, FALSE};
    Run run;
    run_init(&run, &no_from_vm, CAPS_DEFAULT);
    run_link(&run, CAPS_DEFAULT, CAPS_DEFAULT);
    g_autoptr(GByteArray) partial = g_byte_array_new();
    add_agent(partial, VD_AGENT_MONITORS_CONFIG, 200, 0);
    g_autoptr(GByteArray) grab = g_byte_array_new();
    add_agent(grab, VD_AGENT_CLIPBOARD_GRAB, 4, 1);
    g_autoptr(GByteArray) down = g_byte_array_new();
    add_message(down, TRUE, SPICE_MSG_MAIN_AGENT_DATA, partial->data, 30);
    add_message(down, TRUE, SPICE_MSG_MAIN_AGENT_DISCONNECTED, (const guint8 *)"\0\0\0\0", 4);
    add_message(down, TRUE, SPICE_MSG_MAIN_AGENT_CONNECTED, NULL, 0);
    add_message(down, TRUE, SPICE_MSG_MAIN_AGENT_DATA, grab->data, grab->len);
    g_assert_true(run_feed(&run, VMC_AGENT_FROM_VM, down->data, down->len, 7));
    Parsed parsed;
    parse_messages(run.out[VMC_AGENT_FROM_VM], TRUE, VMC_AGENT_FROM_VM, &parsed);
    g_assert_cmpuint(parsed.agent->len, ==, 30); /* the partial message only */
    g_assert_cmpuint(vmc_agent_filter_get_stats(run.filter)->clipboard_from_vm_dropped, ==, 1);
    parsed_clear(&parsed);
    run_clear(&run);
}

/* Without the mini header a message may shrink but not disappear. */
static void
test_full_header(void)
{
    Run run;
    run_init(&run, &deny_files, CAPS_NO_MINI);
    run_link(&run, CAPS_NO_MINI, CAPS_NO_MINI);
    g_autoptr(GByteArray) agent = g_byte_array_new();
    add_agent(agent, VD_AGENT_MONITORS_CONFIG, 5, 0);
    add_agent(agent, VD_AGENT_FILE_XFER_START, 5, 3);
    g_autoptr(GByteArray) in = g_byte_array_new();
    add_message(in, FALSE, SPICE_MSGC_MAIN_AGENT_DATA, agent->data, agent->len);
    g_assert_true(run_feed(&run, VMC_AGENT_TO_VM, in->data, in->len, 5));
    g_assert_cmpuint(run.out[0]->len, ==, 18 + 25);
    g_assert_cmpmem(run.out[0]->data, 8, in->data, 8); /* the serial is kept */
    Parsed parsed;
    parse_messages(run.out[0], FALSE, VMC_AGENT_TO_VM, &parsed);
    g_assert_cmpmem(parsed.agent->data, parsed.agent->len, agent->data, 25);
    parsed_clear(&parsed);

    g_byte_array_set_size(in, 0);
    g_byte_array_set_size(agent, 0);
    add_agent(agent, VD_AGENT_FILE_XFER_DATA, 5, 3);
    add_message(in, FALSE, SPICE_MSGC_MAIN_AGENT_DATA, agent->data, agent->len);
    g_assert_false(run_feed(&run, VMC_AGENT_TO_VM, in->data, in->len, 4096));
    vmc_assert_contains(run.error->message, "without the Spice mini header");
    run_clear(&run);
}

typedef struct {
    const char *name;
    guint32 client_caps;
    guint32 server_caps;
    VmcAgentDirection dir; /* of the offending bytes, after both link phases */
    const char *expect;    /* in the message */
} FailCase;

static GByteArray *
fail_case_bytes(const char *name)
{
    GByteArray *a = g_byte_array_new();
    g_autoptr(GByteArray) agent = g_byte_array_new();
    guint8 big[VMC_AGENT_FILTER_AGENT_DATA_MAX + 1] = {0};
    if (g_str_equal(name, "message-list")) {
        add_message(a, TRUE, SPICE_MSG_LIST, (const guint8 *)"\0\0", 2);
    } else if (g_str_equal(name, "message-too-big")) {
        add16(a, SPICE_MSG_MAIN_NAME);
        add32(a, VMC_AGENT_FILTER_MESSAGE_MAX + 1);
    } else if (g_str_equal(name, "agent-data-too-big")) {
        add_message(a, TRUE, SPICE_MSGC_MAIN_AGENT_DATA, big, sizeof big);
    } else if (g_str_equal(name, "agent-message-too-big")) {
        add_agent(agent, VD_AGENT_CLIPBOARD, 0, 0);
        guint32 size = GUINT32_TO_LE(VMC_AGENT_FILTER_AGENT_MESSAGE_MAX + 1);
        memcpy(agent->data + 16, &size, 4);
        add_message(a, TRUE, SPICE_MSGC_MAIN_AGENT_DATA, agent->data, agent->len);
    } else if (g_str_equal(name, "agent-protocol")) {
        add_agent(agent, VD_AGENT_CLIPBOARD, 0, 0);
        agent->data[0] = 2;
        add_message(a, TRUE, SPICE_MSG_MAIN_AGENT_DATA, agent->data, agent->len);
    } else if (g_str_equal(name, "sub-list")) {
        add32(a, 1);
        add32(a, 0);
        add16(a, SPICE_MSG_MAIN_NAME);
        add32(a, 8);
        add32(a, 4);
        add_zeros(a, 8);
    }
    return a;
}

static const FailCase fail_cases[] = {
    {"message-list", CAPS_DEFAULT, CAPS_DEFAULT, VMC_AGENT_FROM_VM, "message list"},
    {"message-too-big", CAPS_DEFAULT, CAPS_DEFAULT, VMC_AGENT_FROM_VM, "at most 65536"},
    {"agent-data-too-big", CAPS_DEFAULT, CAPS_DEFAULT, VMC_AGENT_TO_VM, "at most 4096"},
    {"agent-message-too-big", CAPS_DEFAULT, CAPS_DEFAULT, VMC_AGENT_TO_VM, "at most 268435456"},
    {"agent-protocol", CAPS_DEFAULT, CAPS_DEFAULT, VMC_AGENT_FROM_VM, "of protocol 2"},
    {"sub-list", CAPS_NO_MINI, CAPS_NO_MINI, VMC_AGENT_FROM_VM, "sub-messages"},
};

static void
test_fail(gconstpointer data)
{
    const FailCase *c = data;
    Run run;
    run_init(&run, &deny_files, c->client_caps);
    run_link(&run, c->client_caps, c->server_caps);
    g_autoptr(GByteArray) bytes = fail_case_bytes(c->name);
    g_assert_false(run_feed(&run, c->dir, bytes->data, bytes->len, 4096));
    if (strstr(run.error->message, c->expect) == NULL)
        g_error("%s: '%s' lacks '%s'", c->name, run.error->message, c->expect);
    /* it stays refused, both ways */
    gsize taken = 1;
    g_autoptr(GError) again = NULL;
    g_assert_false(vmc_agent_filter_feed(run.filter, !c->dir, NULL, 0, &taken, &again));
    g_assert_cmpuint(taken, ==, 0);
    g_assert_error(again, VMC_SPICE_ERROR, VMC_SPICE_ERROR_AGENT);
    run_clear(&run);
}

/* The bounds themselves are fine. */
static void
test_at_bounds(void)
{
    Run run;
    run_init(&run, &deny_files, CAPS_DEFAULT);
    run_link(&run, CAPS_DEFAULT, CAPS_DEFAULT);
    g_autoptr(GByteArray) in = g_byte_array_new();
    g_autofree guint8 *body = g_malloc0(VMC_AGENT_FILTER_MESSAGE_MAX);
    add_message(in, TRUE, SPICE_MSG_MAIN_NAME, body, VMC_AGENT_FILTER_MESSAGE_MAX);
    g_autoptr(GByteArray) agent = g_byte_array_new();
    add_agent(agent, VD_AGENT_CLIPBOARD, VMC_AGENT_FILTER_AGENT_DATA_MAX - 20, 0);
    add_message(in, TRUE, SPICE_MSG_MAIN_AGENT_DATA, agent->data, agent->len);
    g_byte_array_set_size(agent, 0);
    add_agent(agent, VD_AGENT_CLIPBOARD, 0, 0);
    guint32 size = GUINT32_TO_LE(VMC_AGENT_FILTER_AGENT_MESSAGE_MAX);
    memcpy(agent->data + 16, &size, 4);
    add_message(in, TRUE, SPICE_MSG_MAIN_AGENT_DATA, agent->data, agent->len);
    /* fed whole: the output fills and the filter takes what fits */
    gsize taken = 0;
    g_assert_true(
        vmc_agent_filter_feed(run.filter, VMC_AGENT_FROM_VM, in->data, in->len, &taken, NULL));
    g_assert_cmpuint(taken, <, in->len);
    gsize pending = 0;
    vmc_agent_filter_output(run.filter, VMC_AGENT_FROM_VM, &pending);
    g_assert_cmpuint(pending, <=, VMC_AGENT_FILTER_OUTPUT_MAX);
    run.taken[VMC_AGENT_FROM_VM] = taken;
    g_assert_true(run_feed(&run, VMC_AGENT_FROM_VM, in->data + taken, in->len - taken, 1000));
    g_assert_cmpuint(run.out[VMC_AGENT_FROM_VM]->len, ==, in->len);
    run_clear(&run);
}

/* The link phases: what the client may send when, and refused links. */
static void
test_link(void)
{
    Run run;
    g_autoptr(GByteArray) server = g_byte_array_new();
    /* nothing from the client before the server's reply */
    run_init(&run, &deny_files, CAPS_DEFAULT);
    g_assert_false(run_feed(&run, VMC_AGENT_TO_VM, (const guint8 *)"x", 1, 1));
    vmc_assert_contains(run.error->message, "before the server's link reply");
    run_clear(&run);

    /* SASL is not followed */
    run_init(&run, &deny_files, CAPS_DEFAULT);
    add_server_reply(server, CAPS_DEFAULT | 1u << SPICE_COMMON_CAP_AUTH_SASL, SPICE_LINK_ERR_OK);
    g_assert_true(run_feed(&run, VMC_AGENT_FROM_VM, server->data, server->len, 100));
    g_assert_false(run_feed(&run, VMC_AGENT_TO_VM, (const guint8 *)"\2\0\0\0", 4, 1));
    vmc_assert_contains(run.error->message, "SASL");
    run_clear(&run);

    /* without auth selection the ticket comes at once (a 2 is ticket) */
    run_init(&run, &deny_files, CAPS_DEFAULT & ~1u);
    g_assert_true(run_feed(&run, VMC_AGENT_FROM_VM, server->data, server->len, 100));
    guint8 ticket[TICKET_SIZE];
    memset(ticket, 2, sizeof ticket);
    g_assert_true(run_feed(&run, VMC_AGENT_TO_VM, ticket, sizeof ticket, 128));
    g_assert_cmpuint(run.out[VMC_AGENT_TO_VM]->len, ==, TICKET_SIZE);
    run_clear(&run);

    /* a refused link: nothing may follow, either way */
    run_init(&run, &deny_files, CAPS_DEFAULT);
    g_byte_array_set_size(server, 0);
    add_server_reply(server, 0, SPICE_LINK_ERR_PERMISSION_DENIED);
    g_assert_true(run_feed(&run, VMC_AGENT_FROM_VM, server->data, server->len, 100));
    g_assert_cmpuint(run.out[VMC_AGENT_FROM_VM]->len, ==, server->len);
    g_assert_false(run_feed(&run, VMC_AGENT_FROM_VM, (const guint8 *)"x", 1, 1));
    run_clear(&run);

    /* a bad reply: caps outside it, or too long */
    run_init(&run, &deny_files, CAPS_DEFAULT);
    g_byte_array_set_size(server, 0);
    add_server_reply(server, CAPS_DEFAULT, SPICE_LINK_ERR_OK);
    server->data[16 + 166] = 2; /* two common caps: one too many */
    g_assert_false(run_feed(&run, VMC_AGENT_FROM_VM, server->data, server->len, 100));
    vmc_assert_contains(run.error->message, "caps");
    run_clear(&run);
    run_init(&run, &deny_files, CAPS_DEFAULT);
    server->data[12] = 0x01;
    server->data[13] = 0x10; /* 4097 */
    g_assert_false(run_feed(&run, VMC_AGENT_FROM_VM, server->data, 16, 100));
    vmc_assert_contains(run.error->message, "4097");
    run_clear(&run);

    /* a reply of VMC_AGENT_FILTER_LINK_REPLY_MAX bytes is fine */
    run_init(&run, &deny_files, CAPS_DEFAULT);
    g_byte_array_set_size(server, 0);
    add_server_reply(server, CAPS_DEFAULT, SPICE_LINK_ERR_OK);
    gsize pad = VMC_AGENT_FILTER_LINK_REPLY_MAX - (server->len - VMC_SPICE_LINK_HEADER_SIZE);
    add_zeros(server, pad);
    guint32 size = GUINT32_TO_LE(VMC_AGENT_FILTER_LINK_REPLY_MAX);
    memcpy(server->data + 12, &size, 4);
    g_assert_true(run_feed(&run, VMC_AGENT_FROM_VM, server->data, server->len, 1000));
    g_assert_cmpuint(run.out[VMC_AGENT_FROM_VM]->len, ==, server->len);
    run_clear(&run);

    /* a failed link result ends the channel too */
    run_init(&run, &deny_files, CAPS_DEFAULT);
    g_byte_array_set_size(server, 0);
    add_server_reply(server, CAPS_DEFAULT, SPICE_LINK_ERR_OK);
    add32(server, SPICE_LINK_ERR_PERMISSION_DENIED);
    add32(server, 0);
    g_assert_false(run_feed(&run, VMC_AGENT_FROM_VM, server->data, server->len, 1));
    vmc_assert_contains(run.error->message, "after the link was refused");
    run_clear(&run);
}

/* More refused transfers than the bound: the first are answered, no more. */
static void
test_answers_bound(void)
{
    Run run;
    run_init(&run, &deny_files, CAPS_DEFAULT);
    run_link(&run, CAPS_DEFAULT, CAPS_DEFAULT);
    /* the VM's stream stays inside an agent message: answers must wait */
    g_autoptr(GByteArray) long_message = g_byte_array_new();
    add_agent(long_message, VD_AGENT_MONITORS_CONFIG, 100, 0);
    g_autoptr(GByteArray) down = g_byte_array_new();
    add_message(down, TRUE, SPICE_MSG_MAIN_AGENT_DATA, long_message->data, 50);
    g_assert_true(run_feed(&run, VMC_AGENT_FROM_VM, down->data, down->len, 4096));
    g_autoptr(GByteArray) up = g_byte_array_new();
    for (guint i = 0; i < VMC_AGENT_FILTER_ANSWERS_MAX + 5; i++) {
        g_autoptr(GByteArray) start = g_byte_array_new();
        add_agent(start, VD_AGENT_FILE_XFER_START, 4, i + 1);
        add_message(up, TRUE, SPICE_MSGC_MAIN_AGENT_DATA, start->data, start->len);
    }
    g_assert_true(run_feed(&run, VMC_AGENT_TO_VM, up->data, up->len, 4096));
    Parsed parsed;
    parse_messages(run.out[VMC_AGENT_FROM_VM], TRUE, VMC_AGENT_FROM_VM, &parsed);
    g_assert_cmpuint(parsed.n_agent_data, ==, 1); /* only the VM's piece so far */
    g_assert_cmpuint(parsed.tokens, ==, VMC_AGENT_FILTER_ANSWERS_MAX + 5);
    parsed_clear(&parsed);
    g_byte_array_set_size(down, 0);
    add_message(down, TRUE, SPICE_MSG_MAIN_AGENT_DATA, long_message->data + 50,
                long_message->len - 50);
    g_assert_true(run_feed(&run, VMC_AGENT_FROM_VM, down->data, down->len, 4096));
    parse_messages(run.out[VMC_AGENT_FROM_VM], TRUE, VMC_AGENT_FROM_VM, &parsed);
    g_autoptr(GArray) types = agent_types(parsed.agent, NULL);
    g_assert_cmpuint(types->len, ==, 1 + VMC_AGENT_FILTER_ANSWERS_MAX);
    parsed_clear(&parsed);
    run_clear(&run);
}

/* Refusals still waiting when the agent goes away are forgotten with the
 * transfers they answer. */
static void
test_answers_forgotten(void)
{
    Run run;
    run_init(&run, &deny_files, CAPS_DEFAULT);
    run_link(&run, CAPS_DEFAULT, CAPS_DEFAULT);
    g_autoptr(GByteArray) long_message = g_byte_array_new();
    add_agent(long_message, VD_AGENT_MONITORS_CONFIG, 100, 0);
    g_autoptr(GByteArray) down = g_byte_array_new();
    add_message(down, TRUE, SPICE_MSG_MAIN_AGENT_DATA, long_message->data, 50);
    g_assert_true(run_feed(&run, VMC_AGENT_FROM_VM, down->data, down->len, 4096));
    g_autoptr(GByteArray) up = g_byte_array_new();
    g_autoptr(GByteArray) start = g_byte_array_new();
    add_agent(start, VD_AGENT_FILE_XFER_START, 4, 9);
    add_message(up, TRUE, SPICE_MSGC_MAIN_AGENT_DATA, start->data, start->len);
    g_assert_true(run_feed(&run, VMC_AGENT_TO_VM, up->data, up->len, 4096));
    g_byte_array_set_size(down, 0);
    add_message(down, TRUE, SPICE_MSG_MAIN_AGENT_DISCONNECTED, (const guint8 *)"\0\0\0\0", 4);
    g_assert_true(run_feed(&run, VMC_AGENT_FROM_VM, down->data, down->len, 4096));
    Parsed parsed;
    parse_messages(run.out[VMC_AGENT_FROM_VM], TRUE, VMC_AGENT_FROM_VM, &parsed);
    g_assert_cmpuint(parsed.n_agent_data, ==, 1); /* the VM's piece, no refusal */
    g_assert_cmpuint(parsed.tokens, ==, 1);       /* the token still came back */
    g_assert_cmpuint(parsed.n_other, ==, 1);
    parsed_clear(&parsed);
    run_clear(&run);
}

/* ---- the guest name ---- */

static void
add_name(GByteArray *a, gboolean mini, const char *name)
{
    g_autoptr(GByteArray) body = g_byte_array_new();
    add32(body, (guint32)strlen(name) + 1);
    g_byte_array_append(body, (const guint8 *)name, (guint)strlen(name) + 1);
    add_message(a, mini, SPICE_MSG_MAIN_NAME, body->data, body->len);
}

/* What spice-server sends a new client: INIT, its name, its uuid. */
static void
add_server_start(GByteArray *a, gboolean mini, const char *name)
{
    static const guint8 init[32] = {1, 2, 3};
    static const guint8 uuid[16] = {0xaa, 0xbb};
    add_message(a, mini, SPICE_MSG_MAIN_INIT, init, sizeof init);
    if (name != NULL)
        add_name(a, mini, name);
    add_message(a, mini, SPICE_MSG_MAIN_UUID, uuid, sizeof uuid);
}

/* A name set before the client linked replaces the VM's, right after INIT,
 * however the VM's bytes are split. */
static void
test_name_replaced(void)
{
    static const gsize chunks[] = {1, 3, 7, 4096};
    for (guint c = 0; c < G_N_ELEMENTS(chunks); c++) {
        Run run;
        run_init(&run, &allow_all, CAPS_DEFAULT);
        vmc_agent_filter_set_name(run.filter, "Debian VM \u2014 ends in 5m00s");
        run_link(&run, CAPS_DEFAULT, CAPS_DEFAULT);
        g_autoptr(GByteArray) down = g_byte_array_new();
        add_server_start(down, TRUE, "QEMU 7.2.0");
        g_assert_true(run_feed(&run, VMC_AGENT_FROM_VM, down->data, down->len, chunks[c]));
        g_autoptr(GByteArray) want = g_byte_array_new();
        add_server_start(want, TRUE, "Debian VM \u2014 ends in 5m00s");
        g_assert_cmpmem(run.out[VMC_AGENT_FROM_VM]->data, run.out[VMC_AGENT_FROM_VM]->len,
                        want->data, want->len);
        const VmcAgentStats *stats = vmc_agent_filter_get_stats(run.filter);
        g_assert_cmpuint(stats->bytes_dropped_from_vm, ==, 6 + 4 + strlen("QEMU 7.2.0") + 1);
        g_assert_cmpuint(stats->bytes_injected_from_vm, ==,
                         6 + 4 + strlen("Debian VM \u2014 ends in 5m00s") + 1);
        g_assert_cmpuint(run.out[VMC_AGENT_TO_VM]->len, ==, 0);
        run_clear(&run);
    }
}

/* Nothing goes before the VM's INIT; a name set later goes at the next
 * message boundary, never inside a message; NULL lets the VM's through. */
static void
test_name_changed(void)
{
    Run run;
    run_init(&run, &allow_all, CAPS_DEFAULT);
    run_link(&run, CAPS_DEFAULT, CAPS_DEFAULT);
    vmc_agent_filter_set_name(run.filter, "A");
    g_assert_true(run_feed(&run, VMC_AGENT_FROM_VM, NULL, 0, 1));
    g_assert_cmpuint(run.out[VMC_AGENT_FROM_VM]->len, ==, 0); /* no INIT yet */

    g_autoptr(GByteArray) down = g_byte_array_new();
    add_server_start(down, TRUE, NULL); /* a VM that sends no name */
    static const guint8 ping[20] = {9};
    add_message(down, TRUE, SPICE_MSG_PING, ping, sizeof ping);
    g_assert_true(run_feed(&run, VMC_AGENT_FROM_VM, down->data, down->len - 10, 4096));
    /* half of the ping is out: the new name waits for its end */
    vmc_agent_filter_set_name(run.filter, "B");
    g_assert_true(run_feed(&run, VMC_AGENT_FROM_VM, NULL, 0, 1));
    g_assert_true(run_feed(&run, VMC_AGENT_FROM_VM, down->data + down->len - 10, 10, 4096));
    g_autoptr(GByteArray) want = g_byte_array_new();
    static const guint8 init[32] = {1, 2, 3};
    static const guint8 uuid[16] = {0xaa, 0xbb};
    add_message(want, TRUE, SPICE_MSG_MAIN_INIT, init, sizeof init);
    add_name(want, TRUE, "A");
    add_message(want, TRUE, SPICE_MSG_MAIN_UUID, uuid, sizeof uuid);
    add_message(want, TRUE, SPICE_MSG_PING, ping, sizeof ping);
    add_name(want, TRUE, "B");
    g_assert_cmpmem(run.out[VMC_AGENT_FROM_VM]->data, run.out[VMC_AGENT_FROM_VM]->len, want->data,
                    want->len);

    /* the same name again: nothing new; NULL: the VM's own pass */
    vmc_agent_filter_set_name(run.filter, "B");
    g_assert_true(run_feed(&run, VMC_AGENT_FROM_VM, NULL, 0, 1));
    g_assert_cmpuint(run.out[VMC_AGENT_FROM_VM]->len, ==, want->len);
    vmc_agent_filter_set_name(run.filter, NULL);
    g_autoptr(GByteArray) later = g_byte_array_new();
    add_name(later, TRUE, "vm-own");
    g_assert_true(run_feed(&run, VMC_AGENT_FROM_VM, later->data, later->len, 4096));
    g_byte_array_append(want, later->data, later->len);
    g_assert_cmpmem(run.out[VMC_AGENT_FROM_VM]->data, run.out[VMC_AGENT_FROM_VM]->len, want->data,
                    want->len);
    run_clear(&run);
}

/* Without the mini header nothing is replaced or added. */
static void
test_name_full_header(void)
{
    Run run;
    run_init(&run, &allow_all, CAPS_NO_MINI);
    vmc_agent_filter_set_name(run.filter, "A");
    run_link(&run, CAPS_NO_MINI, CAPS_NO_MINI);
    g_autoptr(GByteArray) down = g_byte_array_new();
    add_server_start(down, FALSE, "QEMU");
    g_assert_true(run_feed(&run, VMC_AGENT_FROM_VM, down->data, down->len, 5));
    g_assert_cmpmem(run.out[VMC_AGENT_FROM_VM]->data, run.out[VMC_AGENT_FROM_VM]->len, down->data,
                    down->len);
    run_clear(&run);
}

static void
test_name_valid(void)
{
    g_assert_true(vmc_agent_filter_name_is_valid(""));
    g_assert_true(vmc_agent_filter_name_is_valid("Customer A \u2014 ends in 1m00s"));
    g_assert_false(vmc_agent_filter_name_is_valid(NULL));
    g_assert_false(vmc_agent_filter_name_is_valid("a\nb"));
    g_assert_false(vmc_agent_filter_name_is_valid("a\x1b[2Jb"));
    g_assert_false(vmc_agent_filter_name_is_valid("a\xc2\x85"
                                                  "b")); /* U+0085 */
    g_assert_false(vmc_agent_filter_name_is_valid("\xff"));
    g_autofree char *longest = g_strnfill(VMC_AGENT_FILTER_NAME_MAX, 'x');
    g_assert_true(vmc_agent_filter_name_is_valid(longest));
    g_autofree char *longer = g_strnfill(VMC_AGENT_FILTER_NAME_MAX + 1, 'x');
    g_assert_false(vmc_agent_filter_name_is_valid(longer));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/spice/agent-filter/allow-all-untouched", test_allow_all_untouched);
    g_test_add_func("/spice/agent-filter/split-everywhere", test_split_everywhere);
    g_test_add_func("/spice/agent-filter/split-data", test_split_data);
    for (gsize i = 0; i < G_N_ELEMENTS(clipboard_cases); i++) {
        g_autofree char *path =
            g_strdup_printf("/spice/agent-filter/clipboard/%s", clipboard_cases[i].name);
        g_test_add_data_func(path, &clipboard_cases[i], test_clipboard);
    }
    g_test_add_func("/spice/agent-filter/tokens-to-server", test_tokens_to_server);
    g_test_add_func("/spice/agent-filter/capabilities", test_capabilities);
    g_test_add_func("/spice/agent-filter/agent-disconnected", test_agent_disconnected);
    g_test_add_func("/spice/agent-filter/full-header", test_full_header);
    for (gsize i = 0; i < G_N_ELEMENTS(fail_cases); i++) {
        g_autofree char *path = g_strdup_printf("/spice/agent-filter/fail/%s", fail_cases[i].name);
        g_test_add_data_func(path, &fail_cases[i], test_fail);
    }
    g_test_add_func("/spice/agent-filter/at-bounds", test_at_bounds);
    g_test_add_func("/spice/agent-filter/link", test_link);
    g_test_add_func("/spice/agent-filter/answers-bound", test_answers_bound);
    g_test_add_func("/spice/agent-filter/answers-forgotten", test_answers_forgotten);
    g_test_add_func("/spice/agent-filter/name-replaced", test_name_replaced);
    g_test_add_func("/spice/agent-filter/name-changed", test_name_changed);
    g_test_add_func("/spice/agent-filter/name-full-header", test_name_full_header);
    g_test_add_func("/spice/agent-filter/name-valid", test_name_valid);
    return g_test_run();
}
