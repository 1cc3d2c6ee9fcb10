/* test-native-protocol.c — the guard's view of the native protocol: frames
 * at and past their bounds, command and tag, the policy (what passes, what
 * is refused, streams owned by index, the microphone), the error reply. */
#include <glib.h>
#include <string.h>

#include "pulse-priv.h"

#define INVALID 0xffffffffu

/* A growing packet or frame in the protocol's byte order. */
static void
put_u32(GByteArray *b, guint32 v)
{
    guint8 raw[4] = {v >> 24, v >> 16, v >> 8, v};
    g_byte_array_append(b, raw, 4);
}

static void
tag_u32(GByteArray *b, guint32 v)
{
    g_byte_array_append(b, (const guint8 *)"L", 1);
    put_u32(b, v);
}

static void
tag_string(GByteArray *b, const char *s)
{
    if (s == NULL) {
        g_byte_array_append(b, (const guint8 *)"N", 1);
        return;
    }
    g_byte_array_append(b, (const guint8 *)"t", 1);
    g_byte_array_append(b, (const guint8 *)s, (guint)strlen(s) + 1);
}

static void
tag_raw(GByteArray *b, const char *bytes, gsize n)
{
    g_byte_array_append(b, (const guint8 *)bytes, (guint)n);
}

static GByteArray *
command(guint32 cmd, guint32 tag)
{
    GByteArray *b = g_byte_array_new();
    tag_u32(b, cmd);
    tag_u32(b, tag);
    return b;
}

static GByteArray *
frame(guint32 length, guint32 channel, guint32 flags)
{
    GByteArray *b = g_byte_array_new();
    put_u32(b, length);
    put_u32(b, channel);
    put_u32(b, 0);
    put_u32(b, 0);
    put_u32(b, flags);
    return b;
}

static void
test_frames(void)
{
    static const struct {
        guint32 length, channel, flags;
        gsize have; /* payload bytes present */
        VmcPulseFrameVerdict want;
    } cases[] = {
        {10, INVALID, 0, 10, VMC_PULSE_FRAME_OK},
        {10, INVALID, 0, 9, VMC_PULSE_FRAME_MORE},
        {0, INVALID, 0, 0, VMC_PULSE_FRAME_BAD}, /* empty */
        {VMC_PULSE_CLIENT_FRAME_MAX, 0, 0, VMC_PULSE_CLIENT_FRAME_MAX, VMC_PULSE_FRAME_OK},
        {VMC_PULSE_CLIENT_FRAME_MAX + 1, 0, 0, 0, VMC_PULSE_FRAME_BAD}, /* past the bound */
        {0xffffffffu, 0, 0, 0, VMC_PULSE_FRAME_BAD},
        {10, INVALID, 1, 10, VMC_PULSE_FRAME_BAD},     /* a packet with flags */
        {16, 0, 0x80000000u, 16, VMC_PULSE_FRAME_BAD}, /* shared memory */
        {0, 0, 0x40000000u, 0, VMC_PULSE_FRAME_BAD},   /* shm release */
        {16, 0, 0x20000000u, 16, VMC_PULSE_FRAME_BAD}, /* memfd */
        {16, 0, 3, 16, VMC_PULSE_FRAME_OK},            /* seek: relative end */
        {16, 0, 4, 16, VMC_PULSE_FRAME_BAD},           /* no such seek mode */
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GByteArray) b = frame(cases[i].length, cases[i].channel, cases[i].flags);
        g_byte_array_set_size(b, VMC_PULSE_FRAME_HEADER + cases[i].have);
        VmcPulseFrame f;
        VmcPulseFrameVerdict v =
            vmc_pulse_frame_parse(b->data, b->len, VMC_PULSE_CLIENT_FRAME_MAX, &f);
        if (v != cases[i].want)
            g_error("case %zu: verdict %d, wanted %d", i, v, cases[i].want);
        if (v == VMC_PULSE_FRAME_OK)
            g_assert_cmpuint(f.size, ==, VMC_PULSE_FRAME_HEADER + cases[i].length);
    }
    /* less than a descriptor: more */
    guint8 few[VMC_PULSE_FRAME_HEADER - 1] = {0};
    VmcPulseFrame f;
    g_assert_cmpint(vmc_pulse_frame_parse(few, sizeof few, 64, &f), ==, VMC_PULSE_FRAME_MORE);
}

static VmcPulseVerdict
judge(VmcPulsePolicy *policy, GByteArray *packet, guint32 *ret_command)
{
    guint32 command = 0, tag = 0;
    VmcPulseVerdict v =
        vmc_pulse_policy_client_packet(policy, packet->data, packet->len, &command, &tag);
    if (ret_command != NULL)
        *ret_command = command;
    return v;
}

/* The server's reply to a create with tag: channel, then the stream's index. */
static void
reply_created(VmcPulsePolicy *policy, guint32 tag, guint32 channel, guint32 index)
{
    g_autoptr(GByteArray) r = command(VMC_PULSE_COMMAND_REPLY, tag);
    tag_u32(r, channel);
    tag_u32(r, index);
    tag_u32(r, 65536);
    vmc_pulse_policy_server_packet(policy, r->data, r->len);
}

static void
test_policy_refuses(void)
{
    VmcPulsePolicy policy = {.record = TRUE}; /* even with the microphone */
    static const guint32 refused[] = {51, 52, 44, 45, 48, 49, 50, 67,  68,      36,  38,
                                      39, 40, 70, 87, 90, 96, 97, 101, 103,     104, 22,
                                      26, 28, 30, 7,  8,  18, 15, 105, 0xffffu, 2,   0};
    for (gsize i = 0; i < G_N_ELEMENTS(refused); i++) {
        g_autoptr(GByteArray) p = command(refused[i], (guint32)i);
        tag_string(p, "module-null-sink");
        guint32 c;
        if (judge(&policy, p, &c) != VMC_PULSE_REFUSE)
            g_error("command %u (%s) was not refused", refused[i], vmc_pulse_command_name(c));
    }
    g_assert_cmpstr(vmc_pulse_command_name(51), ==, "load-module");
    g_assert_cmpstr(vmc_pulse_command_name(44), ==, "set-default-sink");
    g_assert_cmpstr(vmc_pulse_command_name(48), ==, "kill-client");
    g_assert_cmpstr(vmc_pulse_command_name(VMC_PULSE_COMMAND_MAX), ==, "unknown-command");
    /* not a command at all: drop */
    g_autoptr(GByteArray) junk = g_byte_array_new();
    tag_string(junk, "x");
    g_assert_cmpint(judge(&policy, junk, NULL), ==, VMC_PULSE_DROP);
}

static void
test_policy_playback(void)
{
    VmcPulsePolicy policy = {0};
    static const guint32 passed[] = {9, 20, 21, 10, 13, 35, 41, 42, 43, 46, 60, 72, 74, 81, 82};
    for (gsize i = 0; i < G_N_ELEMENTS(passed); i++) {
        g_autoptr(GByteArray) p = command(passed[i], 1);
        tag_u32(p, 0);
        g_assert_cmpint(judge(&policy, p, NULL), ==, VMC_PULSE_PASS);
    }
    /* another client's sink input 3: no; ours (7, after the server said so): yes */
    g_autoptr(GByteArray) create = command(3, 40);
    g_assert_cmpint(judge(&policy, create, NULL), ==, VMC_PULSE_PASS);
    g_autoptr(GByteArray) theirs = command(37, 41);
    tag_u32(theirs, 3);
    g_assert_cmpint(judge(&policy, theirs, NULL), ==, VMC_PULSE_REFUSE);
    reply_created(&policy, 40, 0, 7);
    g_autoptr(GByteArray) ours = command(37, 42);
    tag_u32(ours, 7);
    g_assert_cmpint(judge(&policy, ours, NULL), ==, VMC_PULSE_PASS);
    g_assert_cmpint(judge(&policy, theirs, NULL), ==, VMC_PULSE_REFUSE);
    /* deleted (by its channel 0): no longer ours */
    g_autoptr(GByteArray) del = command(4, 43);
    tag_u32(del, 0);
    g_assert_cmpint(judge(&policy, del, NULL), ==, VMC_PULSE_PASS);
    g_assert_cmpint(judge(&policy, ours, NULL), ==, VMC_PULSE_REFUSE);
    g_assert_cmpuint(policy.n_streams, ==, 0);
}

static void
test_policy_streams_bound(void)
{
    VmcPulsePolicy policy = {0};
    for (guint i = 0; i < VMC_PULSE_STREAMS_MAX; i++) {
        g_autoptr(GByteArray) create = command(3, 100 + i);
        g_assert_cmpint(judge(&policy, create, NULL), ==, VMC_PULSE_PASS);
        reply_created(&policy, 100 + i, i, 1000 + i);
    }
    g_autoptr(GByteArray) one_more = command(3, 999);
    g_assert_cmpint(judge(&policy, one_more, NULL), ==, VMC_PULSE_REFUSE);
    g_autoptr(GByteArray) del = command(4, 1);
    tag_u32(del, 5);
    g_assert_cmpint(judge(&policy, del, NULL), ==, VMC_PULSE_PASS);
    g_assert_cmpint(judge(&policy, one_more, NULL), ==, VMC_PULSE_PASS);
    /* an error reply to a create forgets it */
    g_autoptr(GByteArray) error = command(VMC_PULSE_COMMAND_ERROR, 999);
    tag_u32(error, 5);
    vmc_pulse_policy_server_packet(&policy, error->data, error->len);
    g_assert_cmpuint(policy.n_streams, ==, VMC_PULSE_STREAMS_MAX - 1);
}

/* CREATE_RECORD_STREAM as libpulse 16 sends it, source and direct_on_input given. */
static GByteArray *
create_record(guint32 tag, guint32 source, const char *name, guint32 direct)
{
    GByteArray *p = command(5, tag);
    tag_raw(p, "a\x03\x02\x00\x00\xbb\x80", 7); /* s16le, 2 channels, 48000 */
    tag_raw(p, "m\x02\x01\x02", 4);
    tag_u32(p, source);
    tag_string(p, name);
    tag_u32(p, INVALID);
    tag_raw(p, "0", 1);
    tag_u32(p, INVALID);
    tag_raw(p, "000000000", 9); /* seven flags, peak detect, adjust latency */
    tag_raw(p, "Pt", 2);        /* a proplist of one entry */
    tag_raw(p, "media.name\0", 11);
    tag_u32(p, 4);
    tag_raw(p, "x\x00\x00\x00\x04rec\0", 9);
    tag_raw(p, "N", 1);
    tag_u32(p, direct);
    tag_raw(p, "0", 1);
    return p;
}

static void
test_policy_record(void)
{
    VmcPulsePolicy off = {0}, on = {.record = TRUE};
    g_autoptr(GByteArray) plain = create_record(1, INVALID, NULL, INVALID);
    g_assert_cmpint(judge(&off, plain, NULL), ==, VMC_PULSE_REFUSE);
    g_assert_cmpint(judge(&on, plain, NULL), ==, VMC_PULSE_PASS);
    g_autoptr(GByteArray) monitor = create_record(2, INVALID, "nullsink.monitor", INVALID);
    g_assert_cmpint(judge(&on, monitor, NULL), ==, VMC_PULSE_REFUSE);
    g_autoptr(GByteArray) by_index = create_record(3, 1, NULL, INVALID);
    g_assert_cmpint(judge(&on, by_index, NULL), ==, VMC_PULSE_REFUSE);
    g_autoptr(GByteArray) direct = create_record(4, INVALID, NULL, 5);
    g_assert_cmpint(judge(&on, direct, NULL), ==, VMC_PULSE_REFUSE);
    /* cut inside a value (the proplist, direct_on_input): not well-formed, refused;
     * an older client's packet that simply ends after a value is judged as it is */
    for (guint cut = plain->len - 20; cut < plain->len - 1; cut++)
        if (cut != plain->len - 7 && cut != plain->len - 1 - 5 - 1)
            g_assert_false(vmc_pulse_record_source_is_default(plain->data, cut));
    g_autoptr(GByteArray) cork = command(58, 9);
    tag_u32(cork, 0);
    g_assert_cmpint(judge(&off, cork, NULL), ==, VMC_PULSE_REFUSE);
    g_assert_cmpint(judge(&on, cork, NULL), ==, VMC_PULSE_PASS);
}

static void
test_error_reply(void)
{
    guint8 reply[VMC_PULSE_REFUSAL_SIZE];
    vmc_pulse_error_reply(0x01020304, VMC_PULSE_ERROR_ACCESS, reply);
    VmcPulseFrame f;
    g_assert_cmpint(vmc_pulse_frame_parse(reply, sizeof reply, 64, &f), ==, VMC_PULSE_FRAME_OK);
    g_assert_true(f.is_packet);
    guint32 c, t, e;
    g_assert_true(vmc_pulse_packet_command(f.payload, f.payload_length, &c, &t));
    g_assert_cmpuint(c, ==, VMC_PULSE_COMMAND_ERROR);
    g_assert_cmpuint(t, ==, 0x01020304);
    g_assert_true(vmc_pulse_packet_first_index(f.payload, f.payload_length, &e));
    g_assert_cmpuint(e, ==, VMC_PULSE_ERROR_ACCESS);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pulse/native/frames", test_frames);
    g_test_add_func("/pulse/native/policy-refuses", test_policy_refuses);
    g_test_add_func("/pulse/native/policy-playback", test_policy_playback);
    g_test_add_func("/pulse/native/policy-streams-bound", test_policy_streams_bound);
    g_test_add_func("/pulse/native/policy-record", test_policy_record);
    g_test_add_func("/pulse/native/error-reply", test_error_reply);
    return g_test_run();
}
