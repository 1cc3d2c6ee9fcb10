/* fuzz-agent-filter.c — libFuzzer target for the agent filter.
 *
 * Input: one byte of settings (policy, caps, raw link phases), then records
 * [flags, length, bytes...]: flags bit 0 the direction (1: from the VM), bit
 * 1 wraps the bytes in one AGENT_DATA message, bit 2 holds the output back
 * (backpressure), bit 3 sets the guest name instead (bit 4: none; else
 * "vm-N" for the record's place) before its bytes are fed. Settings bit 7
 * sets a guest name before the first byte. Unless the settings ask for raw link phases, the harness
 * sends a valid server reply, link result, auth mechanism and ticket first.
 *
 * Checked after every call: bytes taken + injected == output + dropped +
 * held; what is held and waiting stays within the bounds. At the end, with
 * the link phases known, each output is read back the way its receiver reads
 * it (spice-server for the client's bytes, spice-gtk for the VM's): no agent
 * message the policy denies may be in it, and every AGENT_DATA message that
 * went in either came out or gave its token back. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spice/enums.h>
#include <spice/protocol.h>
#include <spice/vd_agent.h>

#include "agent-filter-priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HELD_MAX                                                                                   \
    (VMC_SPICE_LINK_HEADER_SIZE + VMC_AGENT_FILTER_LINK_REPLY_MAX + 18 +                           \
     VMC_AGENT_FILTER_AGENT_DATA_MAX + 20)

/* A broken promise: say which (a crash input is read by its line) and abort. */
static void
check_at(gboolean ok, int line)
{
    if (!ok) {
        fprintf(stderr, "fuzz-agent-filter: the check at line %d failed\n", line);
        abort();
    }
}
#define check(ok) check_at((ok), __LINE__)

static void
add32(GByteArray *a, guint32 v)
{
    guint32 le = GUINT32_TO_LE(v);
    g_byte_array_append(a, (const guint8 *)&le, 4);
}

static guint32
get32(const guint8 *p)
{
    guint32 v;
    memcpy(&v, p, 4);
    return GUINT32_FROM_LE(v);
}

typedef struct {
    VmcAgentFilter *filter;
    GByteArray *in[2]; /* what was taken */
    GByteArray *out[2];
    gboolean failed;
} Harness;

static void
check_balance(Harness *h)
{
    const VmcAgentStats *s = vmc_agent_filter_get_stats(h->filter);
    guint64 dropped[2] = {s->bytes_dropped_to_vm, s->bytes_dropped_from_vm};
    guint64 injected[2] = {s->bytes_injected_to_vm, s->bytes_injected_from_vm};
    for (guint dir = 0; dir < 2; dir++) {
        gsize pending = 0, held = vmc_agent_filter_held(h->filter, dir);
        vmc_agent_filter_output(h->filter, dir, &pending);
        check(h->in[dir]->len + injected[dir] == h->out[dir]->len + pending + dropped[dir] + held);
        check(held <= HELD_MAX && pending <= VMC_AGENT_FILTER_OUTPUT_MAX);
    }
}

static void
drain(Harness *h, VmcAgentDirection dir)
{
    gsize length = 0;
    const guint8 *bytes = vmc_agent_filter_output(h->filter, dir, &length);
    g_byte_array_append(h->out[dir], bytes, (guint)length);
    vmc_agent_filter_output_sent(h->filter, dir, length);
}

/* Feed everything (draining when the filter stops taking), unless refused. */
static void
feed(Harness *h, VmcAgentDirection dir, const guint8 *bytes, gsize length, gboolean hold)
{
    gsize at = 0;
    guint stalls = 0;
    while (!h->failed) {
        gsize taken = 0;
        g_autoptr(GError) error = NULL;
        if (!vmc_agent_filter_feed(h->filter, dir, bytes + at, length - at, &taken, &error)) {
            check(taken == 0 && g_error_matches(error, VMC_SPICE_ERROR, VMC_SPICE_ERROR_AGENT));
            h->failed = TRUE;
            return;
        }
        g_byte_array_append(h->in[dir], bytes + at, (guint)taken);
        at += taken;
        check_balance(h);
        if (at == length && hold)
            return;
        drain(h, dir);
        if (at == length)
            break;
        /* with the output just drained, the filter must take something */
        stalls = taken > 0 ? 0 : stalls + 1;
        check(stalls < 2);
    }
    gsize taken = 0;
    if (vmc_agent_filter_feed(h->filter, !dir, NULL, 0, &taken, NULL))
        drain(h, !dir);
    else
        h->failed = TRUE;
}

/* ---- reading a stream back as its receiver does ---- */

typedef struct {
    guint n_agent_data; /* complete AGENT_DATA messages with a body */
    guint64 tokens;     /* num_tokens of the AGENT_TOKEN messages */
} Count;

static gboolean
denied(const VmcAgentPolicy *p, VmcAgentDirection dir, guint32 type)
{
    gboolean to_vm = dir == VMC_AGENT_TO_VM;
    switch (type) {
    case VD_AGENT_FILE_XFER_START:
    case VD_AGENT_FILE_XFER_DATA:
    case VD_AGENT_FILE_XFER_STATUS:
        return to_vm && !p->file_transfer;
    case VD_AGENT_CLIPBOARD_GRAB:
    case VD_AGENT_CLIPBOARD:
    case VD_AGENT_CLIPBOARD_RELEASE:
        return to_vm ? !p->clipboard_to_vm : !p->clipboard_from_vm;
    case VD_AGENT_CLIPBOARD_REQUEST:
        return to_vm ? !p->clipboard_from_vm : !p->clipboard_to_vm;
    default:
        return FALSE;
    }
}

/* Messages from `start`; the agent stream of AGENT_DATA bodies reassembled
 * as spice-gtk (VM -> client: reset on AGENT_DISCONNECTED) or spice-server
 * (client -> VM) does; with check_policy, abort on a denied agent message. */
static Count
read_back(const GByteArray *a, gsize start, gboolean mini, VmcAgentDirection dir,
          const VmcAgentPolicy *policy, gboolean check_policy)
{
    Count count = {0, 0};
    gsize hsize = mini ? 6 : 18, off = mini ? 0 : 8;
    guint8 header[20];
    gsize header_length = 0;
    guint64 remaining = 0;
    for (gsize i = start; i + hsize <= a->len;) {
        guint16 type = (guint16)(a->data[i + off] | a->data[i + off + 1] << 8);
        guint32 size = get32(a->data + i + off + 2);
        if (size > a->len - i - hsize)
            break;
        const guint8 *body = a->data + i + hsize;
        i += hsize + size;
        if (dir == VMC_AGENT_FROM_VM && type == SPICE_MSG_MAIN_AGENT_DISCONNECTED)
            header_length = remaining = 0;
        if (type == (dir == VMC_AGENT_TO_VM ? SPICE_MSGC_MAIN_AGENT_TOKEN
                                            : SPICE_MSG_MAIN_AGENT_TOKEN) &&
            size >= 4)
            count.tokens += get32(body);
        if (type !=
            (dir == VMC_AGENT_TO_VM ? SPICE_MSGC_MAIN_AGENT_DATA : SPICE_MSG_MAIN_AGENT_DATA))
            continue;
        count.n_agent_data += size > 0;
        for (gsize j = 0; j < size;) {
            if (remaining > 0) {
                gsize n = MIN(remaining, size - j);
                remaining -= n;
                j += n;
                continue;
            }
            header[header_length++] = body[j++];
            if (header_length < sizeof header)
                continue;
            header_length = 0;
            check(!check_policy || !denied(policy, dir, get32(header + 4)));
            remaining = get32(header + 16);
        }
    }
    return count;
}

/* ---- the run ---- */

static void
link_phases(Harness *h, guint32 client_caps, guint32 server_caps)
{
    g_autoptr(GByteArray) server = g_byte_array_new();
    g_byte_array_append(server, (const guint8 *)"REDQ", 4);
    add32(server, 2);
    add32(server, 2);
    add32(server, sizeof(SpiceLinkReply) + 4);
    add32(server, SPICE_LINK_ERR_OK);
    for (guint i = 0; i < SPICE_TICKET_PUBKEY_BYTES; i++)
        g_byte_array_append(server, (const guint8 *)"k", 1);
    add32(server, 1);
    add32(server, 0);
    add32(server, sizeof(SpiceLinkReply));
    add32(server, server_caps);
    add32(server, SPICE_LINK_ERR_OK);
    feed(h, VMC_AGENT_FROM_VM, server->data, server->len, FALSE);

    g_autoptr(GByteArray) client = g_byte_array_new();
    if (client_caps & (1u << SPICE_COMMON_CAP_PROTOCOL_AUTH_SELECTION))
        add32(client, SPICE_COMMON_CAP_AUTH_SPICE);
    for (guint i = 0; i < sizeof(SpiceLinkEncryptedTicket); i++)
        g_byte_array_append(client, (const guint8 *)"t", 1);
    feed(h, VMC_AGENT_TO_VM, client->data, client->len, FALSE);
    check(!h->failed);
}

static void
run_records(Harness *h, const uint8_t *data, size_t size)
{
    for (size_t i = 0; i + 2 <= size && !h->failed;) {
        guint flags = data[i];
        gsize length = MIN((gsize)data[i + 1], size - i - 2);
        const guint8 *bytes = data + i + 2;
        i += 2 + length;
        VmcAgentDirection dir = flags & 1 ? VMC_AGENT_FROM_VM : VMC_AGENT_TO_VM;
        if (flags & 8) {
            g_autofree char *name = flags & 16 ? NULL : g_strdup_printf("vm-%zu", i);
            vmc_agent_filter_set_name(h->filter, name);
        }
        if (flags & 2) {
            g_autoptr(GByteArray) message = g_byte_array_new();
            guint16 type =
                dir == VMC_AGENT_TO_VM ? SPICE_MSGC_MAIN_AGENT_DATA : SPICE_MSG_MAIN_AGENT_DATA;
            guint16 le = GUINT16_TO_LE(type);
            g_byte_array_append(message, (const guint8 *)&le, 2);
            add32(message, (guint32)length);
            g_byte_array_append(message, bytes, (guint)length);
            feed(h, dir, message->data, message->len, flags & 4);
        } else {
            feed(h, dir, bytes, length, flags & 4);
        }
    }
    static const guint8 none[1]; /* no bytes: the filter's end-of-input drain */
    for (guint dir = 0; dir < 2 && !h->failed; dir++)
        feed(h, dir, none, 0, FALSE);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    guint settings = data[0];
    VmcAgentPolicy policy = {settings & 1, (settings >> 1) & 1, (settings >> 2) & 1};
    guint32 client_caps = 0xf, server_caps = 0xb;
    if (settings & 8)
        client_caps &= ~(1u << SPICE_COMMON_CAP_MINI_HEADER);
    if (settings & 16)
        server_caps &= ~(1u << SPICE_COMMON_CAP_MINI_HEADER);
    if (settings & 32)
        client_caps &= ~(1u << SPICE_COMMON_CAP_PROTOCOL_AUTH_SELECTION);
    gboolean raw = (settings & 64) != 0;

    const guint8 link[] = {
        'R', 'E', 'D', 'Q', 2, 0,  0,
        0,   2,   0,   0,   0, 22, 0,
        0,   0,   0,   0,   0, 0,  SPICE_CHANNEL_MAIN,
        0,   1,   0,   0,   0, 0,  0,
        0,   0,   18,  0,   0, 0,  client_caps,
        0,   0,   0,
    };
    Harness h = {vmc_agent_filter_new(&policy, link, sizeof link),
                 {g_byte_array_new(), g_byte_array_new()},
                 {g_byte_array_new(), g_byte_array_new()},
                 FALSE};
    check(h.filter != NULL);
    if (settings & 128)
        vmc_agent_filter_set_name(h.filter, "Debian VM \u2014 ends in 5m00s");
    if (!raw)
        link_phases(&h, client_caps, server_caps);
    gsize out_start[2] = {h.out[0]->len, h.out[1]->len};
    gsize in_start[2] = {h.in[0]->len, h.in[1]->len};
    run_records(&h, data + 1, size - 1);

    if (!raw) {
        /* as the receivers read them: spice-server by the client's caps,
         * spice-gtk by the server's */
        gboolean mini[2] = {(client_caps >> SPICE_COMMON_CAP_MINI_HEADER) & 1,
                            (server_caps >> SPICE_COMMON_CAP_MINI_HEADER) & 1};
        Count out[2], in[2];
        for (guint dir = 0; dir < 2; dir++) {
            out[dir] = read_back(h.out[dir], out_start[dir], mini[dir], dir, &policy, TRUE);
            in[dir] = read_back(h.in[dir], in_start[dir], mini[dir], dir, &policy, FALSE);
        }
        /* every client message that went in came out or came back as a token
         * (tokens may still wait for a boundary); the server's own token
         * messages pass as they are. Not after a refusal: the relay closes
         * the connection then, and output held back is never sent. */
        if (!h.failed) {
            check(out[1].tokens >= in[1].tokens);
            check(in[0].n_agent_data >= out[0].n_agent_data + (out[1].tokens - in[1].tokens));
        }
    }
    vmc_agent_filter_free(h.filter);
    for (guint dir = 0; dir < 2; dir++) {
        g_byte_array_unref(h.in[dir]);
        g_byte_array_unref(h.out[dir]);
    }
    return 0;
}
