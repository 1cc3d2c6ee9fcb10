/* Reading the session log back: a table of good and damaged lines for the
 * strict scanner, RFC 3339 times, streaming over a file with damaged and
 * truncated lines (their numbers reported), a line longer than the limit,
 * the sandbox and the streams' byte counts (hostile shapes and values too),
 * records written by vmc_record_to_line() read back equal, and gzip'd logs
 * (several members, cut short, corrupt, a bomb: memory stays bounded). */
#include "vmc-sessionlog.h"
#include "log-priv.h"
#include "record-priv.h"
#include "vmc-assert.h"

#include <gio/gio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define T0 "\"v\":1,\"event\":\"start\",\"time\":\"2026-11-29T10:02:03.123Z\""

typedef struct {
    const char *line;
    gboolean good;
} LineCase;

static const LineCase line_cases[] = {
    {"{" T0 "}", TRUE},
    {"  {" T0 "}  \r", TRUE},
    {"{" T0 ",\"x\":[1,-2.5e+3,0.0,true,false,null,{\"a\":[]},\"\\u00e9\\ud83d\\ude00\"]}", TRUE},
    {"{" T0 ",\"identity\":\"a\\u001b[31mb\"}", TRUE},
    {"{" T0 ",\"event\":\"denied\"}", FALSE}, /* a repeated member: says two things */
    {"{" T0 ",\"s\":\"caf\xc3\xa9\"}", TRUE},
    {"", FALSE},
    {"{}", FALSE},
    {"[]", FALSE},
    {"{" T0, FALSE},
    {"{" T0 "}}", FALSE},
    {"{" T0 "} x", FALSE},
    {"{" T0 ",}", FALSE},
    {"{" T0 ",\"x\":01}", FALSE},
    {"{" T0 ",\"x\":1.}", FALSE},
    {"{" T0 ",\"x\":.5}", FALSE},
    {"{" T0 ",\"x\":1e}", FALSE},
    {"{" T0 ",\"x\":-}", FALSE},
    {"{" T0 ",\"x\":+1}", FALSE},
    {"{" T0 ",\"x\":NaN}", FALSE},
    {"{" T0 ",\"x\":tru}", FALSE},
    {"{" T0 ",\"x\":'a'}", FALSE},
    {"{" T0 ",\"x\":\"a\tb\"}", FALSE},    /* raw control character */
    {"{" T0 ",\"x\":\"\\x41\"}", FALSE},   /* no such escape */
    {"{" T0 ",\"x\":\"\\ud83d\"}", FALSE}, /* lone high surrogate */
    {"{" T0 ",\"x\":\"\\ude00\"}", FALSE}, /* lone low surrogate */
    {"{" T0 ",\"x\":\"\\ud83d\\u0041\"}", FALSE},
    {"{" T0 ",\"x\":\"\\u12g4\"}", FALSE},
    {"{" T0 ",\"x\":\"\xc3\"}", FALSE},         /* invalid UTF-8 */
    {"{" T0 ",\"x\":\"\xed\xa0\x80\"}", FALSE}, /* an encoded surrogate */
    {"{" T0 ",\"x\":\"\xc0\xaf\"}", FALSE},     /* overlong */
    {"{" T0 ",\"x\" 1}", FALSE},
    {"{" T0 ",x:1}", FALSE},
    {"{" T0 ",\"x\":[1,]}", FALSE},
    {"{" T0 ",\"x\":[1 2]}", FALSE},
    {"{" T0 ",\"x\":{\"a\"}}", FALSE},
    {"{\"v\":2,\"event\":\"start\",\"time\":\"2026-11-29T10:02:03.123Z\"}", FALSE},
    {"{\"v\":1.0,\"event\":\"start\",\"time\":\"2026-11-29T10:02:03.123Z\"}", FALSE},
    {"{\"v\":\"1\",\"event\":\"start\",\"time\":\"2026-11-29T10:02:03.123Z\"}", FALSE},
    {"{\"event\":\"start\",\"time\":\"2026-11-29T10:02:03.123Z\"}", FALSE},
    {"{\"v\":1,\"event\":\"begin\",\"time\":\"2026-11-29T10:02:03.123Z\"}", FALSE},
    {"{\"v\":1,\"event\":1,\"time\":\"2026-11-29T10:02:03.123Z\"}", FALSE},
    {"{\"v\":1,\"event\":\"start\",\"time\":\"yesterday\"}", FALSE},
    {"{\"v\":1,\"event\":\"start\"}", FALSE},
    {"{\"v\":1,\"event\":\"start\",\"time\":\"2026-11-29T10:02:03.123Z\"", FALSE},
};

static void
test_line_table(void)
{
    g_autoptr(GString) scratch = g_string_new(NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(line_cases); i++) {
        VmcLogEntry entry;
        gboolean good =
            vmc_log_entry_parse(line_cases[i].line, strlen(line_cases[i].line), scratch, &entry);
        if (good != line_cases[i].good)
            g_error("case %" G_GSIZE_FORMAT " (%s): expected %s", i, line_cases[i].line,
                    line_cases[i].good ? "good" : "damaged");
    }
}

/* A rate written with more digits than the scanner converts on the stack is
 * read as json-glib (and so `show`) reads it, not as absent. */
static void
test_long_number(void)
{
    g_autoptr(GString) scratch = g_string_new(NULL);
    g_autofree char *nines = g_strnfill(80, '9');
    g_autofree char *line =
        g_strdup_printf("{\"v\":1,\"event\":\"end\",\"time\":\"2026-11-29T10:02:03.123Z\","
                        "\"rate_mean\":2427.8112%s,\"rate_peak\":8661.0}",
                        nines);
    VmcLogEntry entry;
    g_assert_true(vmc_log_entry_parse(line, strlen(line), scratch, &entry));
    g_assert_cmpfloat_with_epsilon(entry.rate_mean, 2427.8113, 1e-9);
    g_assert_cmpfloat(entry.rate_peak, ==, 8661.0);
}

/* A line that says two things to two readers is damaged: a member repeated
 * (in any object, escaped or not, whatever its type) or U+0000 in a string.
 * The same name in different objects is no repeat. */
static void
test_repeated_members(void)
{
    const LineCase cases[] = {
        {"{" T0 ",\"vm\":\"a\",\"vm\":0}", FALSE},
        {"{" T0 ",\"vm\":0,\"vm\":\"a\"}", FALSE},
        {"{" T0 ",\"vm\":\"a\",\"v\\u006d\":\"b\"}", FALSE},
        {"{" T0 ",\"identity\":\"a\",\"identity\":\"a\"}", FALSE}, /* even the same value */
        {"{" T0 ",\"session\":\"s\",\"x\":1,\"session\":\"t\"}", FALSE},
        {"{" T0 ",\"duration_s\":1,\"duration_s\":2}", FALSE},
        {"{" T0 ",\"rate_mean\":1.5,\"rate_mean\":2}", FALSE},
        {"{" T0 ",\"time\":\"2026-11-29T10:02:04.000Z\"}", FALSE},
        {"{" T0 ",\"v\":1}", FALSE},
        {"{" T0 ",\"unknown\":1,\"unknown\":[]}", FALSE},
        {"{" T0 ",\"streams\":{\"x11\":{\"to_laptop\":1,\"to_laptop\":2}}}", FALSE},
        {"{" T0 ",\"streams\":{\"x11\":{},\"x11\":{\"to_laptop\":2}}}", FALSE},
        {"{" T0 ",\"channels\":{\"main\":{\"to_vm\":1},\"main\":{\"to_vm\":2}}}", FALSE},
        {"{" T0 ",\"series\":{\"step_s\":1,\"bytes\":[1],\"bytes\":[2]}}", FALSE},
        {"{" T0 ",\"x\":[{\"a\":1,\"b\":2,\"a\":3}]}", FALSE},
        {"{" T0 ",\"vm\":\"a\\u0000b\"}", FALSE},
        {"{" T0 ",\"vm\\u0000x\":\"b\"}", FALSE},
        {"{" T0 ",\"x\":[\"\\u0000\"]}", FALSE},
        {"{" T0 ",\"vm\":\"a\\\\u0000\"}", TRUE}, /* the text \u0000, no NUL */
        {"{" T0 ",\"a\":{\"vm\":1},\"b\":{\"vm\":2},\"vm\":\"c\"}", TRUE},
        {"{" T0 ",\"streams\":{\"x11\":{\"to_laptop\":1},\"audio\":{\"to_laptop\":2}}}", TRUE},
        {"{" T0 ",\"vm\":\"a\",\"VM\":\"b\",\"vm \":\"c\"}", TRUE},
    };
    g_autoptr(GString) scratch = g_string_new(NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        VmcLogEntry entry;
        gboolean good = vmc_log_entry_parse(cases[i].line, strlen(cases[i].line), scratch, &entry);
        if (good != cases[i].good)
            g_error("case %" G_GSIZE_FORMAT " (%s): expected %s", i, cases[i].line,
                    cases[i].good ? "good" : "damaged");
        g_autoptr(JsonObject) object =
            vmc_log_parse_object(cases[i].line, strlen(cases[i].line), 32);
        if ((object != NULL) != cases[i].good)
            g_error("case %" G_GSIZE_FORMAT " (%s): json-glib's reading %s", i, cases[i].line,
                    object != NULL ? "accepted it" : "refused it");
    }
}

/* The kept strings' bound (VMC_LOG_MAX_KEPT) is never what decides: one
 * member is good, its 32nd and 33rd repeats are damage like the second. */
static void
test_repeats_at_kept_bound(void)
{
    g_autoptr(GString) scratch = g_string_new(NULL);
    for (guint n = 1; n <= 34; n++) {
        g_autoptr(GString) line = g_string_new("{" T0);
        for (guint i = 0; i < n; i++)
            g_string_append_printf(line, ",\"vm\":\"vm%u\"", i);
        g_string_append_c(line, '}');
        VmcLogEntry entry;
        gboolean good = vmc_log_entry_parse(line->str, line->len, scratch, &entry);
        g_assert_cmpint(good, ==, n == 1);
        if (good)
            g_assert_cmpstr(entry.vm, ==, "vm0");
    }
}

/* Objects of up to 16 members have their names compared pairwise, larger
 * ones sorted: either way, at the bound and past it, a repeat (first and
 * last name the same) is found and all-different names are good. */
static void
test_repeats_at_pairwise_bound(void)
{
    g_autoptr(GString) scratch = g_string_new(NULL);
    for (guint n = 14; n <= 18; n++) {
        for (guint repeat = 0; repeat <= 1; repeat++) {
            g_autoptr(GString) line = g_string_new("{" T0 ",\"x\":{");
            for (guint i = 0; i < n; i++)
                g_string_append_printf(line, "%s\"m%u\":%u", i > 0 ? "," : "",
                                       repeat && i == n - 1 ? 0 : i, i);
            g_string_append(line, "}}");
            VmcLogEntry entry;
            gboolean good = vmc_log_entry_parse(line->str, line->len, scratch, &entry);
            if (good != !repeat)
                g_error("%u members%s: %s", n, repeat ? " (a repeat)" : "",
                        good ? "good" : "damaged");
        }
    }
}

/* A hostile object of 40,000 members, all different and then one repeated
 * at the end: read in time (n log n), and the repeat is found. */
static void
test_repeats_many_members(void)
{
    g_autoptr(GString) scratch = g_string_new(NULL);
    for (guint repeat = 0; repeat <= 1; repeat++) {
        g_autoptr(GString) line = g_string_new("{" T0 ",\"x\":{");
        for (guint i = 0; i < 40000; i++)
            g_string_append_printf(line, "%s\"%u\":0", i > 0 ? "," : "", i);
        if (repeat)
            g_string_append(line, ",\"17\":1");
        g_string_append(line, "}}");
        gint64 t0 = g_get_monotonic_time();
        VmcLogEntry entry;
        gboolean good = vmc_log_entry_parse(line->str, line->len, scratch, &entry);
        g_assert_cmpint(good, ==, !repeat);
        g_assert_cmpint(g_get_monotonic_time() - t0, <, 2 * G_USEC_PER_SEC);
    }
}

/* Depth: at the limit still good, one deeper damaged (without recursing
 * through the whole line). */
static void
test_nesting_limit(void)
{
    g_autoptr(GString) scratch = g_string_new(NULL);
    VmcLogEntry entry;
    for (guint depth = 60; depth <= 70; depth++) {
        g_autoptr(GString) line = g_string_new("{" T0 ",\"x\":");
        for (guint i = 0; i < depth; i++)
            g_string_append_c(line, '[');
        for (guint i = 0; i < depth; i++)
            g_string_append_c(line, ']');
        g_string_append_c(line, '}');
        gboolean good = vmc_log_entry_parse(line->str, line->len, scratch, &entry);
        g_assert_cmpint(good, ==, depth <= 64);
    }
    /* a million opening brackets: refused quickly, no stack overflow */
    g_autofree char *brackets = g_strnfill(1000000, '[');
    g_autofree char *deep = g_strconcat("{" T0 ",\"x\":", brackets, NULL);
    g_assert_false(vmc_log_entry_parse(deep, strlen(deep), scratch, &entry));
}

static void
test_fields(void)
{
    const char *line =
        "{\"v\":1,\"event\":\"end\",\"time\":\"2026-11-29T10:02:05.500Z\",\"session\":\"ab12\","
        "\"identity\":\"al\\u001bice\",\"vm\":\"debianx\",\"start\":\"2026-11-29T10:02:03.000Z\","
        "\"duration_s\":2,\"reason\":\"ssh-closed\",\"channels\":{\"display\":{\"to_vm\":1,"
        "\"from_vm\":99}},\"bytes_total\":12345678901,\"rate_mean\":6172.5,\"rate_peak\":1e4,"
        "\"rate_peak_time\":\"2026-11-29T11:02:04+01:00\",\"series\":{\"step_s\":1,\"bytes\":"
        "[1,2]},\"viewer_exit\":\"x\",\"audio\":null,\"key\":\"k\\\"q\"}";
    g_autoptr(GString) scratch = g_string_new(NULL);
    VmcLogEntry e;
    g_assert_true(vmc_log_entry_parse(line, strlen(line), scratch, &e));
    g_assert_cmpint(e.event, ==, VMC_LOG_EVENT_END);
    g_assert_cmpstr(e.session, ==, "ab12");
    g_assert_cmpstr(e.identity, ==, "al\033ice");
    g_assert_cmpstr(e.vm, ==, "debianx");
    g_assert_cmpstr(e.reason, ==, "ssh-closed");
    g_assert_cmpstr(e.key, ==, "k\"q");
    g_assert_null(e.audio);
    g_assert_null(e.account);
    g_assert_cmpint(e.time_us, ==, 1795946525500000);
    g_assert_cmpint(e.start_us, ==, 1795946523000000);
    g_assert_cmpint(e.rate_peak_time_us, ==, 1795946524000000);
    g_assert_cmpint(e.duration_s, ==, 2);
    g_assert_cmpint(e.bytes_total, ==, 12345678901);
    g_assert_cmpint(e.viewer_exit, ==, -1); /* a string: wrong type */
    g_assert_cmpint(e.exit_code, ==, -1);
    g_assert_cmpfloat(e.rate_mean, ==, 6172.5);
    g_assert_cmpfloat(e.rate_peak, ==, 1e4);
    g_assert_true(e.line == line && e.line_length == strlen(line));
}

/* ---- the sandbox (start) and the streams (end) ---- */

/* As the gateway writes them (session-record.c): a start with the sandbox on,
 * an end with the X11 and sound streams beside the Spice channels, and the
 * streams' series inside "series" (which must not be read as the totals). */
#define SANDBOX_START                                                                              \
    "{\"v\":1,\"event\":\"start\",\"time\":\"2026-12-02T13:31:29.168Z\",\"session\":\"d3b5\","     \
    "\"audio\":\"tcp:47113\",\"sandbox\":\"on\",\"protections\":[\"user-ns\",\"mount-ns\","        \
    "\"pid-ns\",\"net-ns\",\"ipc-ns\",\"uts-ns\",\"dies-with-gateway\",\"no-new-privs\","          \
    "\"seccomp\",\"landlock-abi-7\"]}"
#define STREAMS_END                                                                                \
    "{\"v\":1,\"event\":\"end\",\"time\":\"2026-12-02T13:31:32.666Z\",\"session\":\"d3b5\","       \
    "\"bytes_total\":10513,\"series\":{\"channels\":{\"display\":[7618,513,684]},\"streams\":"     \
    "{\"x11\":[2593692,1204,1408],\"audio\":[1,2,3]},\"step_s\":1,\"bytes\":[8966,513,692]},"      \
    "\"rejected_connections\":0,\"streams\":{\"x11\":{\"connections\":1,\"to_laptop\":2193948,"    \
    "\"rate_peak\":2593692.0,\"from_laptop\":403060,\"rate_mean\":742951.14045652596,"             \
    "\"rate_peak_time\":\"2026-12-02T13:31:29.170Z\",\"failed\":0},\"audio\":{\"connections\":2,"  \
    "\"to_laptop\":176400,\"from_laptop\":512,\"rate_mean\":58800.0,\"rate_peak\":88200.0,"        \
    "\"rate_peak_time\":\"2026-12-02T13:31:30.170Z\",\"failed\":1}}}"

static void
assert_stream(const VmcLogStreamBytes *stream, gint64 to_laptop, gint64 from_laptop)
{
    g_assert_cmpint(stream->to_laptop, ==, to_laptop);
    g_assert_cmpint(stream->from_laptop, ==, from_laptop);
}

static void
test_sandbox_and_streams(void)
{
    g_autoptr(GString) scratch = g_string_new(NULL);
    VmcLogEntry e;
    g_assert_true(vmc_log_entry_parse(SANDBOX_START, strlen(SANDBOX_START), scratch, &e));
    g_assert_cmpstr(e.sandbox, ==, "on");
    g_assert_cmpstr(e.audio, ==, "tcp:47113"); /* the start's "audio" is not the stream */
    assert_stream(&e.x11_stream, -1, -1);
    assert_stream(&e.audio_stream, -1, -1);

    g_assert_true(vmc_log_entry_parse(STREAMS_END, strlen(STREAMS_END), scratch, &e));
    g_assert_cmpint(e.event, ==, VMC_LOG_EVENT_END);
    g_assert_cmpstr(e.session, ==, "d3b5");
    g_assert_cmpint(e.bytes_total, ==, 10513);
    g_assert_null(e.sandbox);
    assert_stream(&e.x11_stream, 2193948, 403060);
    assert_stream(&e.audio_stream, 176400, 512);
    g_assert_true(isnan(e.rate_peak)); /* the streams' rates are not the record's */

    /* an older end record, and a session with the sandbox off and no sound */
    const char *old = "{" T0 ",\"bytes_total\":5,\"series\":{\"step_s\":1,\"bytes\":[5]}}";
    g_assert_true(vmc_log_entry_parse(old, strlen(old), scratch, &e));
    g_assert_null(e.sandbox);
    assert_stream(&e.x11_stream, -1, -1);
    assert_stream(&e.audio_stream, -1, -1);
    const char *off = "{" T0 ",\"sandbox\":\"off\",\"protections\":[]}";
    g_assert_true(vmc_log_entry_parse(off, strlen(off), scratch, &e));
    g_assert_cmpstr(e.sandbox, ==, "off");
    const char *x11_only = "{" T0 ",\"streams\":{\"x11\":{\"to_laptop\":7,\"from_laptop\":0}}}";
    g_assert_true(vmc_log_entry_parse(x11_only, strlen(x11_only), scratch, &e));
    assert_stream(&e.x11_stream, 7, 0);
    assert_stream(&e.audio_stream, -1, -1);
}

/* Values of the wrong type or range are unknown (-1 / NULL), never a wrong
 * number; shapes other than the gateway's are skipped, and a stream count
 * anywhere but "streams"."x11"|"audio" at the top is not one. */
static void
test_streams_hostile(void)
{
    const struct {
        const char *members; /* after T0 */
        gint64 x11_to, x11_from, audio_to;
    } cases[] = {
        {"\"streams\":{\"x11\":{\"to_laptop\":-5,\"from_laptop\":-0}}", -1, 0, -1},
        {"\"streams\":{\"x11\":{\"to_laptop\":999999999999999999,"
         "\"from_laptop\":1000000000000000000}}",
         999999999999999999, -1, -1},
        {"\"streams\":{\"x11\":{\"to_laptop\":1e3,\"from_laptop\":5.0}}", -1, -1, -1},
        {"\"streams\":{\"x11\":{\"to_laptop\":\"123\",\"from_laptop\":null}}", -1, -1, -1},
        {"\"streams\":{\"x11\":{\"to_laptop\":[1],\"from_laptop\":{\"n\":2}}}", -1, -1, -1},
        {"\"streams\":{\"x11\":\"a lot\",\"audio\":[{\"to_laptop\":3}]}", -1, -1, -1},
        {"\"streams\":[{\"x11\":{\"to_laptop\":3}}]", -1, -1, -1},
        {"\"streams\":12345", -1, -1, -1},
        {"\"streams\":\"x11\"", -1, -1, -1},
        {"\"streams\":null", -1, -1, -1},
        {"\"streams\":{}", -1, -1, -1},
        {"\"streams\":{\"x12\":{\"to_laptop\":3},\"X11\":{\"to_laptop\":4}}", -1, -1, -1},
        {"\"series\":{\"streams\":{\"x11\":{\"to_laptop\":3}}}", -1, -1, -1},
        {"\"channels\":{\"streams\":{\"x11\":{\"to_laptop\":3}}}", -1, -1, -1},
        {"\"to_laptop\":3,\"from_laptop\":4,\"x11\":{\"to_laptop\":5}", -1, -1, -1},
        {"\"streams\":{\"x11\":{\"audio\":{\"to_laptop\":3}}}", -1, -1, -1},
        {"\"streams\":{\"audio\":{\"to_laptop\":3,\"x11\":{\"to_laptop\":4}}}", -1, -1, 3},
        /* escaped member names are the same names */
        {"\"str\\u0065ams\":{\"\\u0078\\u0031\\u0031\":{\"to_\\u006captop\":8}}", 8, -1, -1},
    };
    g_autoptr(GString) scratch = g_string_new(NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *line = g_strdup_printf("{" T0 ",%s}", cases[i].members);
        VmcLogEntry e;
        if (!vmc_log_entry_parse(line, strlen(line), scratch, &e))
            g_error("case %" G_GSIZE_FORMAT " (%s): damaged", i, line);
        if (e.x11_stream.to_laptop != cases[i].x11_to ||
            e.x11_stream.from_laptop != cases[i].x11_from ||
            e.audio_stream.to_laptop != cases[i].audio_to || e.audio_stream.from_laptop != -1)
            g_error("case %" G_GSIZE_FORMAT " (%s): x11 %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT
                    ", audio %" G_GINT64_FORMAT,
                    i, line, e.x11_stream.to_laptop, e.x11_stream.from_laptop,
                    e.audio_stream.to_laptop);
    }

    /* a "sandbox" that is not a string is unknown */
    const char *not_string[] = {"1", "true", "[\"off\"]", "{\"off\":1}"};
    for (gsize i = 0; i < G_N_ELEMENTS(not_string); i++) {
        g_autofree char *line = g_strdup_printf("{" T0 ",\"sandbox\":%s}", not_string[i]);
        VmcLogEntry e;
        g_assert_true(vmc_log_entry_parse(line, strlen(line), scratch, &e));
        g_assert_null(e.sandbox);
    }

    /* bad JSON inside "streams" damages the line like anywhere else */
    const char *damaged[] = {
        "{" T0 ",\"streams\":{\"x11\":{\"to_laptop\":01}}}",
        "{" T0 ",\"streams\":{\"x11\":{\"to_laptop\":1,}}}",
        "{" T0 ",\"streams\":{\"x11\":{\"to_laptop\" 1}}}",
        "{" T0 ",\"streams\":{\"x11\":{to_laptop:1}}}",
        "{" T0 ",\"streams\":{\"x11\":{\"to_laptop\":1}}",
        "{" T0 ",\"streams\":{\"x11\":{\"to_laptop\":1}]}",
        "{" T0 ",\"streams\":{\"x11\":{\"\xc3\":1}}}",
        /* a member name holding U+0000: json-glib would read "streams" */
        "{" T0 ",\"streams\\u0000\":{\"x11\":{\"to_laptop\":3}}}",
        "{" T0 ",\"sandbox\":\"of\\u0000f\"}",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(damaged); i++) {
        VmcLogEntry e;
        if (vmc_log_entry_parse(damaged[i], strlen(damaged[i]), scratch, &e))
            g_error("'%s' was read as a record", damaged[i]);
    }
}

/* Nesting inside a kept object counts like any other: at the limit good,
 * one deeper damaged. */
static void
test_streams_nesting_limit(void)
{
    g_autoptr(GString) scratch = g_string_new(NULL);
    VmcLogEntry entry;
    for (guint depth = 62; depth <= 65; depth++) {
        /* "streams" (1) and "x11" (2) are objects; then depth - 2 arrays */
        g_autoptr(GString) line = g_string_new("{" T0 ",\"streams\":{\"x11\":{\"failed\":");
        for (guint i = 0; i < depth - 2; i++)
            g_string_append_c(line, '[');
        for (guint i = 0; i < depth - 2; i++)
            g_string_append_c(line, ']');
        g_string_append(line, ",\"to_laptop\":9}}}");
        gboolean good = vmc_log_entry_parse(line->str, line->len, scratch, &entry);
        g_assert_cmpint(good, ==, depth <= 64);
        if (good)
            g_assert_cmpint(entry.x11_stream.to_laptop, ==, 9);
    }
}

/* The scanner's memory stays bounded whatever "streams" holds: member names
 * it does not keep are decoded and dropped, so scratch does not grow with
 * them; and the streams' counts stay numbers in the entry, not strings. */
static void
test_streams_memory_bound(void)
{
    g_autoptr(GString) line = g_string_new("{" T0 ",\"streams\":{");
    for (guint i = 0; i < 20000; i++)
        g_string_append_printf(line, "%s\"stream-with-a-long-name-%05u\":{\"to_laptop\":%u}",
                               i > 0 ? "," : "", i, i);
    g_string_append(line, ",\"x11\":{\"to_laptop\":42}}}");
    g_assert_cmpuint(line->len, >, 100000);
    g_autoptr(GString) scratch = g_string_new(NULL);
    VmcLogEntry e;
    g_assert_true(vmc_log_entry_parse(line->str, line->len, scratch, &e));
    g_assert_cmpint(e.x11_stream.to_laptop, ==, 42);
    g_assert_cmpuint(scratch->allocated_len, <=, 4096);
}

static void
test_times(void)
{
    g_assert_cmpint(vmc_log_parse_time("1970-01-01T00:00:00Z"), ==, 0);
    g_assert_cmpint(vmc_log_parse_time("2026-11-29T10:02:03.123Z"), ==, 1795946523123000);
    g_assert_cmpint(vmc_log_parse_time("2026-11-29T10:02:03.1234567Z"), ==, 1795946523123456);
    g_assert_cmpint(vmc_log_parse_time("2026-11-29T11:02:03+01:00"), ==, 1795946523000000);
    g_assert_cmpint(vmc_log_parse_time("2026-11-29t05:02:03-05:00"), ==, 1795946523000000);
    g_assert_cmpint(vmc_log_parse_time("2024-02-29T00:00:00Z"), ==, 1709164800000000);
    const char *bad[] = {"",
                         "2026-11-29",
                         "2026-11-29T10:02:03",
                         "2026-11-29T10:02:03.Z",
                         "2026-13-01T00:00:00Z",
                         "2025-02-29T00:00:00Z",
                         "2026-11-29T24:00:00Z",
                         "2026-11-29T10:60:00Z",
                         "2026-11-29T10:02:03Zx",
                         "1969-12-31T23:59:59Z",
                         "2026-11-29T10:02:03+1:00",
                         "2026-11-29 10:02:03Z",
                         "2026-1-29T10:02:03Z"};
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
        if (vmc_log_parse_time(bad[i]) != -1)
            g_error("'%s' parsed as a time", bad[i]);
}

/* ---- streaming over a file ---- */

static int
temp_log(const char *content, gsize length)
{
    char name[] = "/tmp/vmc-log-read-XXXXXX";
    int fd = g_mkstemp(name);
    g_assert_cmpint(fd, >=, 0);
    unlink(name);
    g_assert_cmpint(write(fd, content, length), ==, (gssize)length);
    g_assert_cmpint(lseek(fd, 0, SEEK_SET), ==, 0);
    return fd;
}

#define GOOD(ev) "{\"v\":1,\"event\":\"" ev "\",\"time\":\"2026-11-29T10:02:03.123Z\"}\n"

static void
test_stream_damaged(void)
{
    const char *content = GOOD("start")   /* 1 */
        "not json\n"                      /* 2 */
        "\n"                              /* 3: empty, silent */
        GOOD("end")                       /* 4 */
        "{\"v\":1,\"event\":\"end\",\"ti" /* 5: cut, then a record */
        GOOD("denied")                    /* 5 (same line) */
        GOOD("denied")                    /* 6 */
        "{\"v\":1,\"event\":\"start\"";   /* 7: truncated, no '\n' */
    int fd = temp_log(content, strlen(content));
    g_autoptr(VmcLogReader) reader = vmc_log_reader_new_for_fd(fd);
    g_autoptr(GError) error = NULL;
    const VmcLogEntry *e;
    guint64 lines[8];
    VmcLogEvent events[8];
    guint n = 0;
    while ((e = vmc_log_reader_next(reader, &error)) != NULL && n < 8) {
        lines[n] = e->line_number;
        events[n++] = e->event;
    }
    g_assert_no_error(error);
    g_assert_cmpuint(n, ==, 3);
    g_assert_cmpuint(lines[0], ==, 1);
    g_assert_cmpint(events[0], ==, VMC_LOG_EVENT_START);
    g_assert_cmpuint(lines[1], ==, 4);
    g_assert_cmpuint(lines[2], ==, 6);
    g_assert_cmpint(events[2], ==, VMC_LOG_EVENT_DENIED);
    g_assert_cmpuint(vmc_log_reader_get_n_damaged(reader), ==, 3);
    const GArray *damaged = vmc_log_reader_get_damaged_lines(reader);
    g_assert_cmpuint(damaged->len, ==, 3);
    g_assert_cmpuint(g_array_index(damaged, guint64, 0), ==, 2);
    g_assert_cmpuint(g_array_index(damaged, guint64, 1), ==, 5);
    g_assert_cmpuint(g_array_index(damaged, guint64, 2), ==, 7);
    g_assert_null(vmc_log_reader_next(reader, &error)); /* stays at the end */
    g_assert_cmpuint(vmc_log_reader_get_n_damaged(reader), ==, 3);
    close(fd);
}

/* A line of exactly VMC_RECORD_MAX_LINE bytes ('\n' included) is read; one
 * byte more is damaged; lines of several MiB are skipped without being held;
 * more damaged lines than VMC_LOG_DAMAGED_LINES_MAX are counted. */
static void
test_stream_long_lines(void)
{
    g_autoptr(GString) content = g_string_new(NULL);
    const char *head =
        "{\"v\":1,\"event\":\"start\",\"time\":\"2026-11-29T10:02:03.123Z\",\"p\":\"";
    for (guint extra = 0; extra < 2; extra++) {
        gsize pad = VMC_RECORD_MAX_LINE - strlen(head) - 3 + extra;
        g_string_append(content, head);
        for (gsize i = 0; i < pad; i++)
            g_string_append_c(content, 'x');
        g_string_append(content, "\"}\n");
    }
    for (gsize i = 0; i < 3 * 1024 * 1024; i++)
        g_string_append_c(content, 'y');
    g_string_append_c(content, '\n');
    for (guint i = 0; i < VMC_LOG_DAMAGED_LINES_MAX + 10; i++)
        g_string_append(content, "{\n");
    g_string_append(content, GOOD("end"));
    int fd = temp_log(content->str, content->len);
    g_autoptr(VmcLogReader) reader = vmc_log_reader_new_for_fd(fd);
    g_autoptr(GError) error = NULL;
    const VmcLogEntry *e = vmc_log_reader_next(reader, &error);
    g_assert_nonnull(e);
    g_assert_cmpuint(e->line_number, ==, 1);
    g_assert_cmpuint(e->line_length + 1, ==, VMC_RECORD_MAX_LINE);
    e = vmc_log_reader_next(reader, &error);
    g_assert_nonnull(e);
    g_assert_cmpuint(e->line_number, ==, 4 + VMC_LOG_DAMAGED_LINES_MAX + 10);
    g_assert_null(vmc_log_reader_next(reader, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(vmc_log_reader_get_n_damaged(reader), ==, 2 + VMC_LOG_DAMAGED_LINES_MAX + 10);
    const GArray *damaged = vmc_log_reader_get_damaged_lines(reader);
    g_assert_cmpuint(damaged->len, ==, VMC_LOG_DAMAGED_LINES_MAX);
    g_assert_cmpuint(g_array_index(damaged, guint64, 0), ==, 2);
    g_assert_cmpuint(g_array_index(damaged, guint64, 1), ==, 3);
    close(fd);
}

static void
test_open_missing(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcLogReader) reader = vmc_log_reader_open("/nonexistent/\033[31mlog", &error);
    g_assert_null(reader);
    g_assert_error(error, VMC_SESSIONLOG_ERROR, VMC_SESSIONLOG_ERROR_OPEN);
    vmc_assert_contains(error->message, "\\e[31mlog");
    g_assert_null(strchr(error->message, '\033'));
}

/* ---- round trip through the writer ---- */

static VmcRecord *
hostile_end_record(void)
{
    VmcRecord *r = vmc_record_new("end");
    vmc_record_set_string(r, "session", "0123456789abcdef0123456789abcdef");
    vmc_record_set_string(r, "identity", "mal\033]0;x\007\"\\ \xff\xc3\xa9\xe2\x80\xa8");
    vmc_record_set_string(r, "vm", "debianx");
    vmc_record_set_string(r, "account", "vmconsole");
    vmc_record_set_string(r, "client", "192.0.2.1 5555");
    vmc_record_set_string(r, "reason", "ssh-closed");
    vmc_record_set_string(r, "start", "2026-11-29T10:00:00.250Z");
    vmc_record_set_int(r, "duration_s", 3600);
    vmc_record_set_int(r, "bytes_total", G_GINT64_CONSTANT(5000000000));
    vmc_record_set_double(r, "rate_mean", 1388888.875);
    vmc_record_set_double(r, "rate_peak", NAN); /* stored as null */
    vmc_record_set_int(r, "viewer_exit", 0);
    JsonArray *bytes = json_array_new();
    for (int i = 0; i < 900; i++)
        json_array_add_int_element(bytes, i * 1000);
    JsonObject *series = json_object_new();
    json_object_set_int_member(series, "step_s", 4);
    json_object_set_array_member(series, "bytes", bytes);
    vmc_record_take_node(r, "series", json_node_init_object(json_node_alloc(), series));
    JsonObject *x11 = json_object_new();
    json_object_set_int_member(x11, "to_laptop", G_GINT64_CONSTANT(9000000000));
    json_object_set_int_member(x11, "from_laptop", 1);
    json_object_set_double_member(x11, "rate_mean", NAN); /* stored as null */
    JsonObject *audio = json_object_new();
    json_object_set_int_member(audio, "to_laptop", 0);
    json_object_set_int_member(audio, "from_laptop", 2);
    JsonObject *streams = json_object_new();
    json_object_set_object_member(streams, VMC_RECORD_STREAM_X11, x11);
    json_object_set_object_member(streams, VMC_RECORD_STREAM_AUDIO, audio);
    vmc_record_take_node(r, "streams", json_node_init_object(json_node_alloc(), streams));
    return r;
}

static void
test_round_trip(void)
{
    g_autoptr(VmcRecord) r = hostile_end_record();
    gsize length;
    g_autofree char *line = vmc_record_to_line(r, &length);
    int fd = temp_log(line, length);
    g_autoptr(VmcLogReader) reader = vmc_log_reader_new_for_fd(fd);
    const VmcLogEntry *e = vmc_log_reader_next(reader, NULL);
    g_assert_nonnull(e);
    JsonObject *o = vmc_record_get_object(r);
    g_assert_cmpint(e->event, ==, VMC_LOG_EVENT_END);
    g_assert_cmpint(e->time_us, ==, vmc_log_parse_time(json_object_get_string_member(o, "time")));
    g_assert_cmpstr(e->identity, ==, json_object_get_string_member(o, "identity"));
    g_assert_cmpstr(e->session, ==, json_object_get_string_member(o, "session"));
    g_assert_cmpstr(e->client, ==, "192.0.2.1 5555");
    g_assert_cmpstr(e->account, ==, "vmconsole");
    g_assert_cmpint(e->start_us, ==, 1795946400250000);
    g_assert_cmpint(e->duration_s, ==, 3600);
    g_assert_cmpint(e->bytes_total, ==, G_GINT64_CONSTANT(5000000000));
    g_assert_cmpfloat(e->rate_mean, ==, 1388888.875);
    g_assert_true(isnan(e->rate_peak));
    g_assert_cmpint(e->viewer_exit, ==, 0);
    g_assert_cmpint(e->x11_stream.to_laptop, ==, G_GINT64_CONSTANT(9000000000));
    g_assert_cmpint(e->x11_stream.from_laptop, ==, 1);
    g_assert_cmpint(e->audio_stream.to_laptop, ==, 0);
    g_assert_cmpint(e->audio_stream.from_laptop, ==, 2);
    g_assert_cmpuint(e->line_length + 1, ==, length);
    g_assert_null(vmc_log_reader_next(reader, NULL));
    g_assert_cmpuint(vmc_log_reader_get_n_damaged(reader), ==, 0);
    close(fd);
}

/* ---- gzip'd logs ---- */

/* Compress into fd: count chunks of length bytes of chunk (one gzip member). */
static void
gzip_append(int fd, const char *chunk, gsize length, guint count)
{
    g_autoptr(GConverter) gz = G_CONVERTER(g_zlib_compressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP, 6));
    static char out[65536];
    for (guint i = 0; i <= count; i++) {
        gboolean last = i == count;
        const char *in = last ? "" : chunk;
        gsize left = last ? 0 : length;
        for (;;) {
            gsize used = 0, made = 0;
            g_autoptr(GError) error = NULL;
            GConverterResult r = g_converter_convert(
                gz, in, left, out, sizeof out,
                last ? G_CONVERTER_INPUT_AT_END : G_CONVERTER_NO_FLAGS, &used, &made, &error);
            g_assert_no_error(error);
            g_assert_cmpint(write(fd, out, made), ==, (gssize)made);
            in += used;
            left -= used;
            if (r == G_CONVERTER_FINISHED || (!last && left == 0))
                break;
        }
    }
}

static int
temp_gz(const char *content, gsize length)
{
    int fd = temp_log("", 0);
    gzip_append(fd, content, length, 1);
    g_assert_cmpint(lseek(fd, 0, SEEK_SET), ==, 0);
    return fd;
}

/* The entries' line numbers (at most max), the count in *ret_n. */
static void
read_all(int fd, guint64 *lines, guint max, guint *ret_n, VmcLogReader **ret_reader)
{
    VmcLogReader *reader = vmc_log_reader_new_for_fd(fd);
    g_autoptr(GError) error = NULL;
    const VmcLogEntry *e;
    guint n = 0;
    while ((e = vmc_log_reader_next(reader, &error)) != NULL) {
        if (n < max)
            lines[n] = e->line_number;
        n++;
    }
    g_assert_no_error(error);
    *ret_n = n;
    *ret_reader = reader;
}

#define DAMAGED_CONTENT                                                                            \
    GOOD("start")                                                                                  \
    "not json\n"                                                                                   \
    "\n" GOOD("end") "{\"v\":1,\"event\":\"end\",\"ti" GOOD("denied")                              \
        GOOD("denied") "{\"v\":1,\"event\":\"start\""

/* A gzip'd log reads as the plain one: the same records and damaged lines;
 * two gzip members one after the other (cat a.gz b.gz) read as one log. */
static void
test_gzip(void)
{
    const char *content = DAMAGED_CONTENT;
    int fd = temp_gz(content, strlen(content));
    guint64 lines[8];
    guint n = 0;
    g_autoptr(VmcLogReader) reader = NULL;
    read_all(fd, lines, 8, &n, &reader);
    g_assert_cmpuint(n, ==, 3);
    g_assert_cmpuint(lines[0], ==, 1);
    g_assert_cmpuint(lines[1], ==, 4);
    g_assert_cmpuint(lines[2], ==, 6);
    g_assert_cmpuint(vmc_log_reader_get_n_damaged(reader), ==, 3);
    close(fd);

    int two = temp_log("", 0);
    gzip_append(two, GOOD("start"), strlen(GOOD("start")), 1);
    gzip_append(two, GOOD("end"), strlen(GOOD("end")), 2);
    g_assert_cmpint(lseek(two, 0, SEEK_SET), ==, 0);
    g_autoptr(VmcLogReader) reader2 = NULL;
    read_all(two, lines, 8, &n, &reader2);
    g_assert_cmpuint(n, ==, 3);
    g_assert_cmpuint(lines[2], ==, 3);
    g_assert_cmpuint(vmc_log_reader_get_n_damaged(reader2), ==, 0);
    close(two);
}

/* Cut short (a rotation caught mid-compression, a copy cut off) or
 * corrupt: the records before the damage are read, the rest is one
 * damaged line, and it is no read error. */
static void
test_gzip_hostile(void)
{
    g_autoptr(GString) content = g_string_new(NULL);
    for (guint i = 0; i < 2000; i++)
        g_string_append_printf(
            content,
            "{\"v\":1,\"event\":\"denied\",\"time\":\"2026-11-29T10:02:03.123Z\","
            "\"identity\":\"u%u\"}\n",
            i * 7919);
    int fd = temp_gz(content->str, content->len);
    off_t size = lseek(fd, 0, SEEK_END);
    guint64 lines[1];
    guint n = 0;
    for (guint cut = 0; cut < 4; cut++) {
        off_t keep = cut == 0 ? 5 : size * cut / 4; /* in the header, then in the data */
        g_autofree char *bytes = g_malloc((gsize)keep);
        g_assert_cmpint(pread(fd, bytes, (gsize)keep, 0), ==, keep);
        int cut_fd = temp_log(bytes, (gsize)keep);
        g_autoptr(VmcLogReader) reader = NULL;
        read_all(cut_fd, lines, 0, &n, &reader);
        g_test_message("cut at %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT ": %u records",
                       (gint64)keep, (gint64)size, n);
        g_assert_cmpuint(n, <, 2000);
        if (cut >= 2)
            g_assert_cmpuint(n, >, 0);
        g_assert_cmpuint(vmc_log_reader_get_n_damaged(reader), ==, 1);
        close(cut_fd);
    }
    /* corrupt: bytes in the middle overwritten */
    g_autofree char *bytes = g_malloc((gsize)size);
    g_assert_cmpint(pread(fd, bytes, (gsize)size, 0), ==, size);
    memset(bytes + size / 2, 0x55, 64);
    int bad_fd = temp_log(bytes, (gsize)size);
    g_autoptr(VmcLogReader) reader = NULL;
    read_all(bad_fd, lines, 0, &n, &reader);
    g_assert_cmpuint(n, <, 2000);
    g_assert_cmpuint(vmc_log_reader_get_n_damaged(reader), >=, 1);
    close(bad_fd);
    close(fd);
}

/* The process's peak resident set (VmHWM, KiB). */
static gint64
peak_rss_kib(void)
{
    g_autofree char *status = NULL;
    g_assert_true(g_file_get_contents("/proc/self/status", &status, NULL, NULL));
    const char *at = strstr(status, "VmHWM:");
    g_assert_nonnull(at);
    return g_ascii_strtoll(at + 6, NULL, 10);
}

/* A gzip bomb: 256 MiB of one line without a newline (~250 KiB on disk),
 * then a record. The line is skipped as too long, the record read, and the
 * reader's memory stays at its buffers (the peak RSS grows by far less than
 * what the bomb inflates to). */
static void
test_gzip_bomb(void)
{
    int fd = temp_log("", 0);
    g_autofree char *chunk = g_strnfill(1024 * 1024, 'y');
    gzip_append(fd, chunk, 1024 * 1024, 256);
    gzip_append(fd, "\n" GOOD("end"), strlen("\n" GOOD("end")), 1);
    g_test_message("bomb: %" G_GINT64_FORMAT " bytes on disk", (gint64)lseek(fd, 0, SEEK_END));
    g_assert_cmpint(lseek(fd, 0, SEEK_SET), ==, 0);
    g_clear_pointer(&chunk, g_free);
    /* reset the peak (clear_refs 5), then read */
    FILE *refs = fopen("/proc/self/clear_refs", "w");
    g_assert_nonnull(refs);
    g_assert_cmpint(fputs("5", refs), >=, 0);
    g_assert_cmpint(fclose(refs), ==, 0);
    gint64 before = peak_rss_kib();
    guint64 lines[2];
    guint n = 0;
    g_autoptr(VmcLogReader) reader = NULL;
    read_all(fd, lines, 2, &n, &reader);
    gint64 grown = peak_rss_kib() - before;
    g_test_message("peak RSS grew by %" G_GINT64_FORMAT " KiB", grown);
    g_assert_cmpuint(n, ==, 1);
    g_assert_cmpuint(lines[0], ==, 2);
    g_assert_cmpuint(vmc_log_reader_get_n_damaged(reader), ==, 1);
    g_assert_cmpint(grown, <, 16 * 1024);
    close(fd);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/log-read/line-table", test_line_table);
    g_test_add_func("/log-read/long-number", test_long_number);
    g_test_add_func("/log-read/nesting-limit", test_nesting_limit);
    g_test_add_func("/log-read/repeated-members", test_repeated_members);
    g_test_add_func("/log-read/repeats-at-kept-bound", test_repeats_at_kept_bound);
    g_test_add_func("/log-read/repeats-many-members", test_repeats_many_members);
    g_test_add_func("/log-read/repeats-at-pairwise-bound", test_repeats_at_pairwise_bound);
    g_test_add_func("/log-read/fields", test_fields);
    g_test_add_func("/log-read/sandbox-and-streams", test_sandbox_and_streams);
    g_test_add_func("/log-read/streams-hostile", test_streams_hostile);
    g_test_add_func("/log-read/streams-nesting-limit", test_streams_nesting_limit);
    g_test_add_func("/log-read/streams-memory-bound", test_streams_memory_bound);
    g_test_add_func("/log-read/times", test_times);
    g_test_add_func("/log-read/stream-damaged", test_stream_damaged);
    g_test_add_func("/log-read/stream-long-lines", test_stream_long_lines);
    g_test_add_func("/log-read/open-missing", test_open_missing);
    g_test_add_func("/log-read/round-trip", test_round_trip);
    g_test_add_func("/log-read/gzip", test_gzip);
    g_test_add_func("/log-read/gzip-hostile", test_gzip_hostile);
    g_test_add_func("/log-read/gzip-bomb", test_gzip_bomb);
    return g_test_run();
}
