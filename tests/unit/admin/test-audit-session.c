/* audit-session.c: sessions rebuilt from start and end records (fields,
 * channels, the sandbox, the streams, series, bounds, hostile shapes),
 * session ids and prefixes. */
#include "audit-priv.h"

#include <math.h>
#include <string.h>

#include "audit-test-data.h"

static VmcAuditSession *
session_of(const char *id, const char *const *lines)
{
    VmcAuditSession *s = vmc_audit_session_new(id);
    for (guint i = 0; lines[i] != NULL; i++)
        g_assert_true(vmc_audit_session_add_line(s, lines[i], strlen(lines[i]), i + 1));
    return s;
}

static void
test_start_and_end(void)
{
    g_autoptr(VmcAuditSession) s =
        session_of(SESSION_ID, (const char *const[]){START_LINE, END_LINE, NULL});
    g_assert_cmpint(s->state, ==, VMC_AUDIT_STATE_ENDED);
    g_assert_cmpstr(s->identity, ==, "alice");
    g_assert_cmpstr(s->account, ==, "vmconsole");
    g_assert_cmpstr(s->client, ==, "127.0.0.1 50000");
    g_assert_cmpstr(s->vm, ==, "debianx");
    g_assert_cmpstr(s->reason, ==, "ssh-closed");
    g_assert_cmpint(s->start_us, ==, G_GINT64_CONSTANT(1795946400) * G_USEC_PER_SEC);
    g_assert_cmpint(s->end_us - s->start_us, ==, 4 * G_USEC_PER_SEC);
    g_assert_cmpint(s->duration_s, ==, 4);
    g_assert_cmpint(s->bytes_total, ==, 3147886);
    g_assert_cmpint(s->viewer_exit, ==, 0);
    g_assert_cmpint(s->rejected, ==, 1);
    g_assert_cmpfloat(s->rate_peak, ==, 3000000);
    g_assert_cmpuint(s->start_line, ==, 1);
    g_assert_cmpuint(s->end_line, ==, 2);
    g_assert_cmpint(s->step_s, ==, 1);
    g_assert_cmpuint(s->total->len, ==, 4);
    g_assert_cmpfloat(g_array_index(s->total, double, 1), ==, 3000000);
    g_assert_cmpuint(s->channels->len, ==, 2);
    const VmcAuditChannel *main_channel = s->channels->pdata[0];
    const VmcAuditChannel *display = s->channels->pdata[1];
    g_assert_cmpstr(main_channel->name, ==, "main");
    g_assert_cmpint(main_channel->from_vm, ==, 2048);
    g_assert_cmpstr(display->name, ==, "display");
    g_assert_cmpint(display->from_vm, ==, 3145728);
    g_assert_cmpuint(display->series->len, ==, 4);
    g_assert_cmpfloat(g_array_index(display->series, double, 3), ==, 1000000);
}

static void
test_start_only(void)
{
    g_autoptr(VmcAuditSession) s = session_of(SESSION_ID, (const char *const[]){START_LINE, NULL});
    /* without an end, unterminated until a lock says otherwise */
    g_assert_cmpint(s->state, ==, VMC_AUDIT_STATE_UNTERMINATED);
    g_assert_cmpuint(s->end_line, ==, 0);
    g_assert_cmpint(s->end_us, ==, -1);
    g_assert_cmpint(s->bytes_total, ==, -1);
    g_assert_true(isnan(s->rate_mean));
    g_assert_null(s->total);
}

static void
test_old_record_without_channel_series(void)
{
    g_autoptr(VmcAuditSession) s =
        session_of("fedcba9876543210fedcba9876543210", (const char *const[]){OLD_END_LINE, NULL});
    /* no start record: the start comes from the end's "start" */
    g_assert_cmpint(s->end_us - s->start_us, ==, 10 * G_USEC_PER_SEC);
    g_assert_cmpint(s->step_s, ==, 5);
    g_assert_cmpuint(s->total->len, ==, 2);
    g_assert_cmpuint(s->channels->len, ==, 0);
}

static const VmcAuditStream *
find_stream(const VmcAuditSession *s, const char *name)
{
    for (guint i = 0; i < s->streams->len; i++) {
        const VmcAuditStream *stream = s->streams->pdata[i];
        if (strcmp(stream->name, name) == 0)
            return stream;
    }
    return NULL;
}

static const VmcAuditStream *
stream_named(const VmcAuditSession *s, const char *name)
{
    const VmcAuditStream *stream = find_stream(s, name);
    if (stream == NULL)
        g_error("no stream '%s'", name);
    return stream;
}

static void
test_sandbox_and_streams(void)
{
    g_autoptr(VmcAuditSession) s =
        session_of(STREAMS_ID, (const char *const[]){STREAMS_START_LINE, STREAMS_END_LINE, NULL});
    g_assert_cmpstr(s->sandbox, ==, "on");
    g_assert_nonnull(s->protections);
    g_assert_cmpuint(g_strv_length(s->protections), ==, 10);
    g_assert_cmpstr(s->protections[0], ==, "user-ns");
    g_assert_cmpstr(s->protections[9], ==, "landlock-abi-4");
    g_assert_cmpstr(s->audio, ==, "tcp:47113"); /* the start's audio endpoint, not the stream */
    g_assert_cmpuint(s->channels->len, ==, 1);  /* streams are not channels */
    g_assert_cmpuint(s->streams->len, ==, 2);
    const VmcAuditStream *x11 = s->streams->pdata[0]; /* in record order */
    g_assert_cmpstr(x11->name, ==, "x11");
    g_assert_cmpint(x11->to_laptop, ==, 33000000);
    g_assert_cmpint(x11->from_laptop, ==, 1000);
    g_assert_cmpint(x11->connections, ==, 1);
    g_assert_cmpint(x11->failed, ==, 0);
    g_assert_cmpfloat(x11->rate_mean, ==, 8250250.0);
    g_assert_cmpfloat(x11->rate_peak, ==, 20000000.0);
    g_assert_cmpint(x11->rate_peak_time_us, ==, G_GINT64_CONSTANT(1795946401) * G_USEC_PER_SEC);
    g_assert_cmpuint(x11->series->len, ==, s->total->len);
    g_assert_cmpfloat(g_array_index(x11->series, double, 1), ==, 20000000);
    const VmcAuditStream *audio = s->streams->pdata[1];
    g_assert_cmpstr(audio->name, ==, "audio");
    g_assert_cmpint(audio->to_laptop, ==, 529200);
    g_assert_cmpint(audio->from_laptop, ==, 0);
    g_assert_cmpint(audio->connections, ==, 2);
    g_assert_cmpint(audio->failed, ==, 1);
    g_assert_cmpfloat(g_array_index(audio->series, double, 0), ==, 176400);
    /* Spice's own numbers are unchanged by the streams beside them */
    g_assert_cmpint(s->bytes_total, ==, 3145738);
    g_assert_cmpfloat(g_array_index(s->total, double, 1), ==, 3000000);

    /* older records: no sandbox, no protections, no streams */
    g_autoptr(VmcAuditSession) old =
        session_of(SESSION_ID, (const char *const[]){START_LINE, END_LINE, NULL});
    g_assert_null(old->sandbox);
    g_assert_null(old->protections);
    g_assert_cmpuint(old->streams->len, ==, 0);

    /* the sandbox off: an empty list, and no X11 stream at the end */
    g_autoptr(VmcAuditSession) off =
        session_of(SANDBOX_OFF_ID, (const char *const[]){SANDBOX_OFF_START_LINE, NULL});
    g_assert_cmpstr(off->sandbox, ==, "off");
    g_assert_nonnull(off->protections);
    g_assert_cmpuint(g_strv_length(off->protections), ==, 0);
}

/* Counts that are not non-negative integers, rates that are not finite
 * non-negative numbers, times that are not times: unknown. Values that are
 * not objects, series of the wrong shape: dropped. Names: as they come (a
 * stream called like a channel stays a stream), at most
 * VMC_AUDIT_MAX_STREAMS; protections: strings only, at most
 * VMC_AUDIT_MAX_PROTECTIONS. */
static void
test_streams_hostile(void)
{
    g_autoptr(VmcAuditSession) s = vmc_audit_session_new("abcd");
    const char *odd =
        "{\"event\":\"end\",\"session\":\"abcd\",\"streams\":{\"x11\":{\"to_laptop\":-5,"
        "\"from_laptop\":\"7\",\"connections\":1.5,\"failed\":99999999999999999999,"
        "\"rate_mean\":-1,\"rate_peak\":\"fast\",\"rate_peak_time\":\"yesterday\"},"
        "\"audio\":3,\"bogus\":[1],\"display\":{\"to_laptop\":9223372036854775807}},"
        "\"channels\":{\"display\":{\"to_vm\":1}},"
        "\"series\":{\"step_s\":1,\"bytes\":[1,2,3],\"streams\":{\"x11\":[1,2],"
        "\"display\":[1,-2,3],\"audio\":[\"1\",\"2\",\"3\"],\"late\":[0,0,7]}},"
        "\"sandbox\":5,\"protections\":\"user-ns\"}";
    g_assert_true(vmc_audit_session_add_line(s, odd, strlen(odd), 1));
    g_assert_null(s->sandbox);
    g_assert_null(s->protections);
    g_assert_cmpuint(s->streams->len, ==, 3); /* x11, display, late */
    const VmcAuditStream *x11 = stream_named(s, "x11");
    g_assert_cmpint(x11->to_laptop, ==, -1);
    g_assert_cmpint(x11->from_laptop, ==, -1);
    g_assert_cmpint(x11->connections, ==, -1);
    g_assert_cmpint(x11->failed, ==, -1);
    g_assert_true(isnan(x11->rate_mean));
    g_assert_true(isnan(x11->rate_peak));
    g_assert_cmpint(x11->rate_peak_time_us, ==, -1);
    g_assert_null(x11->series); /* 2 samples for 3 */
    g_assert_null(find_stream(s, "audio"));
    g_assert_null(find_stream(s, "bogus"));
    const VmcAuditStream *display = stream_named(s, "display");
    g_assert_cmpint(display->to_laptop, ==, G_MAXINT64);
    g_assert_null(display->series); /* a negative sample */
    g_assert_cmpuint(s->channels->len, ==, 1);
    g_assert_cmpint(((VmcAuditChannel *)s->channels->pdata[0])->to_vm, ==, 1);
    const VmcAuditStream *late = stream_named(s, "late"); /* a series, no totals */
    g_assert_cmpint(late->to_laptop, ==, -1);
    g_assert_cmpfloat(g_array_index(late->series, double, 2), ==, 7);

    /* bounds (the streams in an end record, the protections in a start record) */
    GString *many = g_string_new("{\"event\":\"end\",\"session\":\"abcd\",\"streams\":{");
    for (int i = 0; i < VMC_AUDIT_MAX_STREAMS + 10; i++)
        g_string_append_printf(many, "%s\"s%d\":{\"to_laptop\":1}", i ? "," : "", i);
    g_string_append(many, "}}");
    g_autoptr(VmcAuditSession) t = vmc_audit_session_new("abcd");
    g_assert_true(vmc_audit_session_add_line(t, many->str, many->len, 1));
    g_string_assign(many, "{\"event\":\"start\",\"session\":\"abcd\",\"sandbox\":\"on\","
                          "\"protections\":[1,null,\"user-ns\"");
    for (int i = 0; i < VMC_AUDIT_MAX_PROTECTIONS + 10; i++)
        g_string_append_printf(many, ",\"p%d\"", i);
    g_string_append(many, "]}");
    g_assert_true(vmc_audit_session_add_line(t, many->str, many->len, 2));
    g_string_free(many, TRUE);
    g_assert_cmpuint(t->streams->len, ==, VMC_AUDIT_MAX_STREAMS);
    g_assert_cmpuint(g_strv_length(t->protections), ==, VMC_AUDIT_MAX_PROTECTIONS);
    g_assert_cmpstr(t->protections[0], ==, "user-ns");
    g_assert_cmpstr(t->sandbox, ==, "on");
}

static void
test_wrong_shapes(void)
{
    g_autoptr(VmcAuditSession) s = vmc_audit_session_new("abcd");
    const char *const rejected[] = {
        "",
        "[]",
        "{\"event\":\"end\",\"session\":\"abce\"}", /* another session */
        "{\"event\":\"denied\",\"session\":\"abcd\"}",
        "{\"event\":\"end\",\"session\":7}",
        "not json",
    };
    for (guint i = 0; i < G_N_ELEMENTS(rejected); i++)
        g_assert_false(vmc_audit_session_add_line(s, rejected[i], strlen(rejected[i]), 1));
    g_assert_cmpuint(s->end_line, ==, 0);

    /* Accepted, but the odd parts dropped: a channel series of another
     * length, negative samples, a huge step, counts of the wrong type. */
    const char *odd =
        "{\"event\":\"end\",\"session\":\"abcd\",\"time\":\"yesterday\",\"bytes_total\":\"9\","
        "\"channels\":{\"main\":{\"to_vm\":-5,\"from_vm\":\"x\"},\"bad\":3},"
        "\"series\":{\"step_s\":1,\"bytes\":[1,2,3],\"channels\":{\"main\":[1,2],"
        "\"display\":[1,-2,3],\"inputs\":[0,0,1]}}}";
    g_assert_true(vmc_audit_session_add_line(s, odd, strlen(odd), 5));
    g_assert_cmpint(s->end_us, ==, -1);
    g_assert_cmpint(s->bytes_total, ==, -1);
    g_assert_cmpuint(s->total->len, ==, 3);
    g_assert_cmpuint(s->channels->len, ==, 2); /* main (counts, no series), inputs */
    const VmcAuditChannel *main_channel = s->channels->pdata[0];
    g_assert_cmpint(main_channel->to_vm, ==, -1);
    g_assert_null(main_channel->series);
    const VmcAuditChannel *inputs = s->channels->pdata[1];
    g_assert_cmpstr(inputs->name, ==, "inputs");
    g_assert_cmpuint(inputs->series->len, ==, 3);

    const char *big_step = "{\"event\":\"end\",\"session\":\"abcd\",\"series\":{\"step_s\":"
                           "999999999,\"bytes\":[1]}}";
    g_autoptr(VmcAuditSession) t = vmc_audit_session_new("abcd");
    g_assert_true(vmc_audit_session_add_line(t, big_step, strlen(big_step), 1));
    g_assert_null(t->total);
}

static void
test_bounds(void)
{
    /* nesting deeper than json-glib should ever see */
    GString *deep = g_string_new("{\"event\":\"end\",\"session\":\"abcd\",\"x\":");
    for (int i = 0; i < 100000; i++)
        g_string_append_c(deep, '[');
    g_autoptr(VmcAuditSession) s = vmc_audit_session_new("abcd");
    g_assert_false(vmc_audit_session_add_line(s, deep->str, deep->len, 1));
    g_string_free(deep, TRUE);

    /* more channels than VMC_AUDIT_MAX_CHANNELS: the rest ignored */
    GString *many = g_string_new("{\"event\":\"end\",\"session\":\"abcd\",\"channels\":{");
    for (int i = 0; i < VMC_AUDIT_MAX_CHANNELS + 10; i++)
        g_string_append_printf(many, "%s\"c%d\":{\"to_vm\":1}", i ? "," : "", i);
    g_string_append(many, "}}");
    g_assert_true(vmc_audit_session_add_line(s, many->str, many->len, 2));
    g_assert_cmpuint(s->channels->len, ==, VMC_AUDIT_MAX_CHANNELS);
    g_string_free(many, TRUE);

    /* a series longer than VMC_AUDIT_MAX_SAMPLES is not kept */
    GString *longer = g_string_new("{\"event\":\"end\",\"session\":\"abcd\",\"series\":"
                                   "{\"step_s\":1,\"bytes\":[0");
    for (int i = 0; i < VMC_AUDIT_MAX_SAMPLES; i++)
        g_string_append(longer, ",1");
    g_string_append(longer, "]}}");
    g_autoptr(VmcAuditSession) t = vmc_audit_session_new("abcd");
    g_assert_true(vmc_audit_session_add_line(t, longer->str, longer->len, 1));
    g_assert_null(t->total);
    g_string_free(longer, TRUE);
}

static void
test_ids(void)
{
    g_autofree char *id = vmc_audit_line_session_id(END_LINE, strlen(END_LINE));
    g_assert_cmpstr(id, ==, SESSION_ID);
    const char *denied = "{\"event\":\"denied\",\"session\":\"abcd\"}";
    g_assert_null(vmc_audit_line_session_id(denied, strlen(denied)));
    g_assert_null(vmc_audit_line_session_id("{", 1));

    g_assert_true(vmc_audit_query_is_valid("0123"));
    g_assert_true(vmc_audit_query_is_valid("ABCDEF0123"));
    g_assert_true(vmc_audit_query_is_valid(SESSION_ID));
    g_assert_false(vmc_audit_query_is_valid("012"));
    g_assert_false(vmc_audit_query_is_valid("01g3"));
    g_assert_false(vmc_audit_query_is_valid("0123 "));
    g_assert_false(vmc_audit_query_is_valid(""));
    g_assert_false(vmc_audit_query_is_valid(NULL));

    g_assert_true(vmc_audit_id_matches(SESSION_ID, "0123"));
    g_assert_true(vmc_audit_id_matches(SESSION_ID, "0123456789ABCDEF"));
    g_assert_true(vmc_audit_id_matches(SESSION_ID, SESSION_ID));
    g_assert_false(vmc_audit_id_matches(SESSION_ID, "1234"));
    g_assert_false(vmc_audit_id_matches("0123", "01234"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/audit/session/start-and-end", test_start_and_end);
    g_test_add_func("/audit/session/start-only", test_start_only);
    g_test_add_func("/audit/session/old-record", test_old_record_without_channel_series);
    g_test_add_func("/audit/session/sandbox-and-streams", test_sandbox_and_streams);
    g_test_add_func("/audit/session/streams-hostile", test_streams_hostile);
    g_test_add_func("/audit/session/wrong-shapes", test_wrong_shapes);
    g_test_add_func("/audit/session/bounds", test_bounds);
    g_test_add_func("/audit/session/ids", test_ids);
    return g_test_run();
}
