/* vmc_x11_input: X11 conversations built to the protocol (both byte
 * orders), fed whole, one byte at a time and in random chunks; what counts
 * as the person's input, what does not (SendEvent, other extensions' events,
 * bytes inside replies and requests), and every rule that makes it stop. */
#include "vmc-x11.h"

#include <string.h>

#define XI_OPCODE 131
#define BIGREQ_OPCODE 133
#define OTHER_OPCODE 140

/* One conversation: each step a direction and its bytes, in the order they
 * went through. */
typedef struct {
    gboolean big_endian;
    GArray *dirs;     /* of VmcX11Direction */
    GPtrArray *steps; /* of GByteArray */
    guint16 sequence; /* the client's requests so far (low 16 bits) */
} Talk;

static Talk *
talk_new(gboolean big_endian)
{
    Talk *t = g_new0(Talk, 1);
    t->big_endian = big_endian;
    t->dirs = g_array_new(FALSE, FALSE, sizeof(VmcX11Direction));
    t->steps = g_ptr_array_new_with_free_func((GDestroyNotify)g_byte_array_unref);
    return t;
}

static void
talk_free(Talk *t)
{
    g_array_unref(t->dirs);
    g_ptr_array_unref(t->steps);
    g_free(t);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Talk, talk_free)

static GByteArray *
step(Talk *t, VmcX11Direction dir)
{
    GByteArray *bytes = g_byte_array_new();
    g_array_append_val(t->dirs, dir);
    g_ptr_array_add(t->steps, bytes);
    return bytes;
}

static void
put8(GByteArray *b, guint8 v)
{
    g_byte_array_append(b, &v, 1);
}

static void
put16(Talk *t, GByteArray *b, guint16 v)
{
    guint8 bytes[2] = {v & 0xff, v >> 8};
    if (t->big_endian)
        bytes[0] = v >> 8, bytes[1] = v & 0xff;
    g_byte_array_append(b, bytes, 2);
}

static void
put32(Talk *t, GByteArray *b, guint32 v)
{
    if (t->big_endian) {
        put16(t, b, v >> 16);
        put16(t, b, v & 0xffff);
    } else {
        put16(t, b, v & 0xffff);
        put16(t, b, v >> 16);
    }
}

static void
fill(GByteArray *b, gsize n, guint8 v)
{
    for (gsize i = 0; i < n; i++)
        put8(b, v);
}

/* The client's setup request with an MIT-MAGIC-COOKIE-1 of 16 bytes. */
static void
client_setup(Talk *t)
{
    GByteArray *b = step(t, VMC_X11_FROM_CLIENT);
    put8(b, t->big_endian ? 'B' : 'l');
    put8(b, 0);
    put16(t, b, 11);
    put16(t, b, 0);
    put16(t, b, 18);
    put16(t, b, 16);
    put16(t, b, 0);
    g_byte_array_append(b, (const guint8 *)"MIT-MAGIC-COOKIE-1\0\0", 20);
    fill(b, 16, 0x02); /* the cookie: bytes that look like KeyPress */
}

/* The server's Success with extra 4-byte units of setup data. */
static void
server_setup(Talk *t, guint8 status, guint16 units)
{
    GByteArray *b = step(t, VMC_X11_FROM_SERVER);
    put8(b, status);
    put8(b, 0);
    put16(t, b, 11);
    put16(t, b, 0);
    put16(t, b, units);
    fill(b, 4 * (gsize)units, 0x06); /* looks like MotionNotify: must be skipped */
}

/* A request of opcode with n body bytes (a multiple of 4) after the header. */
static void
request(Talk *t, guint8 opcode, guint8 data, gsize n)
{
    GByteArray *b = step(t, VMC_X11_FROM_CLIENT);
    put8(b, opcode);
    put8(b, data);
    put16(t, b, (guint16)(1 + n / 4));
    fill(b, n, 0x04);
    t->sequence++;
}

/* The same in the BIG-REQUESTS form: length 0, then a 32-bit length. */
static void
big_request(Talk *t, guint8 opcode, gsize n)
{
    GByteArray *b = step(t, VMC_X11_FROM_CLIENT);
    put8(b, opcode);
    put8(b, 0);
    put16(t, b, 0);
    put32(t, b, (guint32)(2 + n / 4));
    fill(b, n, 0x05);
    t->sequence++;
}

static void
query_extension(Talk *t, const char *name)
{
    GByteArray *b = step(t, VMC_X11_FROM_CLIENT);
    gsize n = strlen(name), padded = (n + 3) & ~(gsize)3;
    put8(b, 98);
    put8(b, 0);
    put16(t, b, (guint16)(2 + padded / 4));
    put16(t, b, (guint16)n);
    put16(t, b, 0);
    g_byte_array_append(b, (const guint8 *)name, (guint)n);
    fill(b, padded - n, 0);
    t->sequence++;
}

/* A reply to the request of sequence with extra 4-byte units after 32. */
static void
reply(Talk *t, guint16 sequence, guint8 byte1, guint8 byte8, guint8 byte9, guint32 units)
{
    GByteArray *b = step(t, VMC_X11_FROM_SERVER);
    put8(b, 1);
    put8(b, byte1);
    put16(t, b, sequence);
    put32(t, b, units);
    put8(b, byte8);
    put8(b, byte9);
    fill(b, 22, 0);
    fill(b, 4 * (gsize)units, 0x02); /* KeyPress-looking data inside the reply */
}

static void
query_reply(Talk *t, gboolean present, guint8 opcode)
{
    reply(t, t->sequence, 0, present, opcode, 0);
}

static void
error(Talk *t, guint16 sequence)
{
    GByteArray *b = step(t, VMC_X11_FROM_SERVER);
    put8(b, 0);
    put8(b, 2);
    put16(t, b, sequence);
    fill(b, 28, 0);
}

/* A 32-byte event of type (send-event bit included). */
static void
event(Talk *t, guint8 type)
{
    GByteArray *b = step(t, VMC_X11_FROM_SERVER);
    put8(b, type);
    put8(b, 38);
    put16(t, b, t->sequence);
    fill(b, 28, 0x01);
}

static void
generic_event(Talk *t, guint8 type, guint8 extension, guint16 evtype, guint32 units)
{
    GByteArray *b = step(t, VMC_X11_FROM_SERVER);
    put8(b, type);
    put8(b, extension);
    put16(t, b, t->sequence);
    put32(t, b, units);
    put16(t, b, evtype);
    fill(b, 22 + 4 * (gsize)units, 0x02);
}

static void
xi2(Talk *t, guint16 evtype)
{
    generic_event(t, 35, XI_OPCODE, evtype, 12);
}

/* A connection up to the point where XInput is known. */
static Talk *
talk_started(gboolean big_endian)
{
    Talk *t = talk_new(big_endian);
    client_setup(t);
    server_setup(t, 1, 9);
    query_extension(t, "XInputExtension");
    query_reply(t, TRUE, XI_OPCODE);
    return t;
}

typedef struct {
    guint counted;
    const char *stopped;
    VmcX11InputStats stats;
} Outcome;

/* Feed in chunks of at most max bytes (0: each step whole; G_MAXSIZE
 * would be the same; random when rand is set). */
static Outcome
run(const Talk *t, gsize max, GRand *rand)
{
    g_autoptr(VmcX11Input) input = vmc_x11_input_new();
    Outcome out = {0};
    for (guint i = 0; i < t->steps->len; i++) {
        const GByteArray *b = g_ptr_array_index(t->steps, i);
        VmcX11Direction dir = g_array_index(t->dirs, VmcX11Direction, i);
        for (gsize at = 0; at < b->len;) {
            gsize n = b->len - at;
            if (rand != NULL) {
                gsize r = (gsize)g_rand_int_range(rand, 1, 40); /* MIN() evaluates twice */
                n = MIN(n, r);
            } else if (max > 0)
                n = MIN(n, max);
            out.counted += vmc_x11_input_feed(input, dir, b->data + at, n);
            at += n;
        }
    }
    out.stopped = vmc_x11_input_stopped(input);
    vmc_x11_input_get_stats(input, &out.stats);
    return out;
}

/* Whole, byte by byte, and random chunks agree; the first is returned. */
static Outcome
run_every_way(const Talk *t)
{
    Outcome whole = run(t, 0, NULL);
    Outcome bytes = run(t, 1, NULL);
    g_autoptr(GRand) rand = g_rand_new_with_seed(13);
    Outcome chunks = run(t, 0, rand);
    g_assert_cmpuint(bytes.counted, ==, whole.counted);
    g_assert_cmpuint(chunks.counted, ==, whole.counted);
    g_assert_cmpstr(bytes.stopped, ==, whole.stopped);
    g_assert_cmpstr(chunks.stopped, ==, whole.stopped);
    g_assert_cmpmem(&bytes.stats, sizeof bytes.stats, &whole.stats, sizeof whole.stats);
    return whole;
}

static void
test_input_counted(gconstpointer data)
{
    g_autoptr(Talk) t = talk_started(GPOINTER_TO_INT(data));
    for (guint8 type = 2; type <= 6; type++) /* Key/Button Press/Release, Motion */
        event(t, type);
    for (guint16 evtype = 2; evtype <= 6; evtype++)
        xi2(t, evtype);
    for (guint16 evtype = 18; evtype <= 20; evtype++) /* touch */
        xi2(t, evtype);
    request(t, 127, 0, 0);
    event(t, 6);
    Outcome out = run_every_way(t);
    g_assert_null(out.stopped);
    g_assert_cmpuint(out.counted, ==, 14);
    g_assert_cmpuint(out.stats.core_input, ==, 6);
    g_assert_cmpuint(out.stats.xi2_input, ==, 8);
    g_assert_cmpint(out.stats.xinput_opcode, ==, XI_OPCODE);
    g_assert_cmpuint(out.stats.requests, ==, 2);
}

static void
test_not_input(gconstpointer data)
{
    g_autoptr(Talk) t = talk_started(GPOINTER_TO_INT(data));
    for (guint8 type = 2; type <= 6; type++)
        event(t, type | 0x80); /* SendEvent from another client */
    for (guint8 type = 7; type <= 34; type++)
        event(t, type);                            /* Enter, Focus, Expose, ... */
    event(t, 64);                                  /* an extension's event */
    xi2(t, 7);                                     /* XI_Enter */
    xi2(t, 9);                                     /* XI_FocusIn */
    xi2(t, 13);                                    /* XI_RawKeyPress */
    xi2(t, 17);                                    /* XI_RawMotion */
    generic_event(t, 35, OTHER_OPCODE, 2, 12);     /* another extension's evtype 2 */
    generic_event(t, 35 | 0x80, XI_OPCODE, 2, 12); /* never input, framed by its length */
    generic_event(t, 35, XI_OPCODE, 2, 3);         /* too short for a device event */
    reply(t, t->sequence, 0, 0, 0, 64);            /* KeyPress-looking bytes inside */
    request(t, 72, 2, 4096);                       /* a PutImage full of them */
    error(t, t->sequence);
    Outcome out = run_every_way(t);
    g_assert_null(out.stopped);
    g_assert_cmpuint(out.counted, ==, 0);
    g_assert_cmpuint(out.stats.sent_events, ==, 5);
    /* still in step: the next real one counts */
    event(t, 2);
    out = run_every_way(t);
    g_assert_null(out.stopped);
    g_assert_cmpuint(out.counted, ==, 1);
}

/* Without XInput learned, XI2 events are not counted: absent, an error
 * instead of the reply, or a reply to another request. */
static void
test_xinput_not_learned(void)
{
    g_autoptr(Talk) absent = talk_new(FALSE);
    client_setup(absent);
    server_setup(absent, 1, 0);
    query_extension(absent, "XInputExtension");
    query_reply(absent, FALSE, XI_OPCODE);
    xi2(absent, 2);

    g_autoptr(Talk) refused = talk_new(FALSE);
    client_setup(refused);
    server_setup(refused, 1, 0);
    query_extension(refused, "XInputExtension");
    error(refused, refused->sequence);
    reply(refused, refused->sequence, 0, 1, XI_OPCODE, 0); /* a late "reply": ignored */
    xi2(refused, 2);

    g_autoptr(Talk) other = talk_new(FALSE);
    client_setup(other);
    server_setup(other, 1, 0);
    query_extension(other, "XInputExtensio"); /* not the name */
    query_reply(other, TRUE, XI_OPCODE);
    query_extension(other, "XInputExtension");
    request(other, 127, 0, 0);
    reply(other, other->sequence, 0, 1, XI_OPCODE, 0); /* answers the later request */
    xi2(other, 2);

    const Talk *talks[] = {absent, refused, other};
    for (guint i = 0; i < G_N_ELEMENTS(talks); i++) {
        Outcome out = run_every_way(talks[i]);
        g_assert_null(out.stopped);
        g_assert_cmpuint(out.counted, ==, 0);
        g_assert_cmpint(out.stats.xinput_opcode, ==, 0);
    }
}

/* BIG-REQUESTS: learned, enabled, then length-0 requests are followed. */
static void
test_big_requests(gconstpointer data)
{
    g_autoptr(Talk) t = talk_new(GPOINTER_TO_INT(data));
    client_setup(t);
    server_setup(t, 1, 2);
    query_extension(t, "BIG-REQUESTS");
    query_reply(t, TRUE, BIGREQ_OPCODE);
    request(t, BIGREQ_OPCODE, 0, 0); /* BigReqEnable */
    reply(t, t->sequence, 0, 0xff, 0xff, 0);
    big_request(t, 72, 300000); /* a PutImage past 256 KiB */
    big_request(t, 127, 0);
    query_extension(t, "XInputExtension");
    query_reply(t, TRUE, XI_OPCODE);
    xi2(t, 4);
    Outcome out = run_every_way(t);
    g_assert_null(out.stopped);
    g_assert_true(out.stats.big_requests);
    g_assert_cmpuint(out.stats.requests, ==, 5);
    g_assert_cmpuint(out.counted, ==, 1);
}

/* Sequence numbers past 16 bits: extended, never mistaken for ahead. */
static void
test_sequence_wrap(void)
{
    g_autoptr(Talk) t = talk_started(FALSE);
    for (guint i = 0; i < 70000; i++) {
        request(t, 127, 0, 0);
        if (i % 1000 == 0)
            event(t, 6);
    }
    Outcome out = run(t, 0, NULL);
    g_assert_null(out.stopped);
    g_assert_cmpuint(out.counted, ==, 70);
    g_assert_cmpuint(out.stats.requests, ==, 70001);
}

typedef void (*BreakFunc)(Talk *t);

static void
break_byte_order(Talk *t)
{
    GByteArray *b = step(t, VMC_X11_FROM_CLIENT);
    fill(b, 12, 'L');
}

static void
break_server_first(Talk *t)
{
    server_setup(t, 1, 0);
}

static void
break_setup_failed(Talk *t)
{
    client_setup(t);
    server_setup(t, 0, 2);
}

static void
break_setup_authenticate(Talk *t)
{
    client_setup(t);
    server_setup(t, 2, 2);
}

static void
break_length_0(Talk *t)
{
    client_setup(t);
    server_setup(t, 1, 0);
    big_request(t, 72, 64); /* BIG-REQUESTS never enabled */
}

static void
break_big_too_short(Talk *t)
{
    client_setup(t);
    server_setup(t, 1, 0);
    query_extension(t, "BIG-REQUESTS");
    query_reply(t, TRUE, BIGREQ_OPCODE);
    request(t, BIGREQ_OPCODE, 0, 0);
    GByteArray *b = step(t, VMC_X11_FROM_CLIENT);
    put8(b, 127);
    put8(b, 0);
    put16(t, b, 0);
    put32(t, b, 1); /* 4 bytes: shorter than its own 8-byte header */
}

static void
break_sequence_ahead(Talk *t)
{
    client_setup(t);
    server_setup(t, 1, 0);
    request(t, 127, 0, 0);
    t->sequence = 2; /* an event answering a request never sent */
    event(t, 2);
}

static const struct {
    const char *name;
    BreakFunc make;
    const char *why;
} break_cases[] = {
    {"byte-order", break_byte_order, "byte order"},
    {"server-first", break_server_first, "before the client"},
    {"setup-failed", break_setup_failed, "did not accept"},
    {"setup-authenticate", break_setup_authenticate, "did not accept"},
    {"length-0", break_length_0, "BIG-REQUESTS"},
    {"big-too-short", break_big_too_short, "shorter than its own header"},
    {"sequence-ahead", break_sequence_ahead, "never sent"},
};

/* Each broken rule stops it, and nothing after counts. */
static void
test_stops(gconstpointer data)
{
    guint i = GPOINTER_TO_UINT(data);
    for (int big_endian = 0; big_endian <= 1; big_endian++) {
        g_autoptr(Talk) t = talk_new(big_endian);
        break_cases[i].make(t);
        event(t, 2);
        xi2(t, 2);
        Outcome out = run_every_way(t);
        g_assert_nonnull(out.stopped);
        g_assert_nonnull(strstr(out.stopped, break_cases[i].why));
        g_assert_cmpuint(out.counted, ==, 0);
    }
}

/* A chunk in which it stops counts nothing, even events before the break. */
static void
test_stop_within_chunk(void)
{
    g_autoptr(Talk) t = talk_started(FALSE);
    event(t, 2);
    t->sequence += 5;
    event(t, 2);
    g_autoptr(VmcX11Input) input = vmc_x11_input_new();
    guint counted = 0;
    for (guint i = 0; i + 2 < t->steps->len; i++) {
        const GByteArray *b = g_ptr_array_index(t->steps, i);
        counted +=
            vmc_x11_input_feed(input, g_array_index(t->dirs, VmcX11Direction, i), b->data, b->len);
    }
    g_assert_cmpuint(counted, ==, 0);
    GByteArray *last = g_byte_array_new();
    for (guint i = t->steps->len - 2; i < t->steps->len; i++) {
        const GByteArray *b = g_ptr_array_index(t->steps, i);
        g_byte_array_append(last, b->data, b->len);
    }
    g_assert_cmpuint(vmc_x11_input_feed(input, VMC_X11_FROM_SERVER, last->data, last->len), ==, 0);
    g_assert_nonnull(vmc_x11_input_stopped(input));
    g_byte_array_unref(last);
}

/* A reply that says it is 16 GiB long: skipped by counting, no memory. */
static void
test_huge_reply(void)
{
    g_autoptr(Talk) t = talk_started(FALSE);
    reply(t, t->sequence, 0, 0, 0, 0);
    GByteArray *b = g_ptr_array_index(t->steps, t->steps->len - 1);
    guint32 huge = 0xffffffff;
    memcpy(b->data + 4, &huge, 4);
    event(t, 2); /* inside the reply's body */
    Outcome out = run_every_way(t);
    g_assert_null(out.stopped);
    g_assert_cmpuint(out.counted, ==, 0);
    g_assert_cmpuint(out.stats.packets, ==, 2);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (int big = 0; big <= 1; big++) {
        const char *order = big ? "msb" : "lsb";
        g_autofree char *counted = g_strdup_printf("/x11-input/counted/%s", order);
        g_autofree char *not_input = g_strdup_printf("/x11-input/not-input/%s", order);
        g_autofree char *big_req = g_strdup_printf("/x11-input/big-requests/%s", order);
        g_test_add_data_func(counted, GINT_TO_POINTER(big), test_input_counted);
        g_test_add_data_func(not_input, GINT_TO_POINTER(big), test_not_input);
        g_test_add_data_func(big_req, GINT_TO_POINTER(big), test_big_requests);
    }
    g_test_add_func("/x11-input/xinput-not-learned", test_xinput_not_learned);
    g_test_add_func("/x11-input/sequence-wrap", test_sequence_wrap);
    g_test_add_func("/x11-input/stop-within-chunk", test_stop_within_chunk);
    g_test_add_func("/x11-input/huge-reply", test_huge_reply);
    for (guint i = 0; i < G_N_ELEMENTS(break_cases); i++) {
        g_autofree char *path = g_strdup_printf("/x11-input/stops/%s", break_cases[i].name);
        g_test_add_data_func(path, GUINT_TO_POINTER(i), test_stops);
    }
    return g_test_run();
}
