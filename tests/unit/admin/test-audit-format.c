/* audit-format.c: `show` text (escaped, flagged; the sandbox and the streams
 * shown, older records exactly as before), JSON (controls escaped; sandbox,
 * streams and their series), CSV (quoting, formula cells), dates of
 * --since/--until. */
#include "audit-priv.h"

#include <string.h>

#include "audit-test-data.h"
#include "vmc-assert.h"

static VmcAuditSession *
session_of(const char *id, const char *const *lines)
{
    VmcAuditSession *s = vmc_audit_session_new(id);
    for (guint i = 0; lines[i] != NULL; i++)
        g_assert_true(vmc_audit_session_add_line(s, lines[i], strlen(lines[i]), i + 1));
    return s;
}

static gboolean
is_printable_text(const char *text)
{
    for (const char *p = text; *p != '\0'; p++)
        if (*p != '\n' && !g_ascii_isprint(*p))
            return FALSE;
    return TRUE;
}

static void
test_show_ended(void)
{
    g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
    g_autoptr(VmcAuditSession) s =
        session_of(SESSION_ID, (const char *const[]){START_LINE, END_LINE, NULL});
    g_autofree char *text = vmc_audit_show_format(s, utc, FALSE);
    g_assert_true(is_printable_text(text));
    vmc_assert_contains(text, "session     " SESSION_ID "\n");
    vmc_assert_contains(text, "state       ended\n");
    vmc_assert_contains(text, "identity    alice\n");
    vmc_assert_contains(text, "start       2026-11-29 10:00:00\n");
    vmc_assert_contains(text, "end         2026-11-29 10:00:04\n");
    vmc_assert_contains(text, "duration    4s\n");
    vmc_assert_contains(text, "bytes       3.0 MiB\n");
    vmc_assert_contains(text, "rate        mean 768.5 KiB/s, peak 2.9 MiB/s at "
                              "2026-11-29 10:00:01\n");
    vmc_assert_contains(text, "CHANNEL  TO VM  FROM VM  CONNECTIONS\n");
    vmc_assert_contains(text, "display  10 B   3.0 MiB  1\n");
    /* 4 samples, peak 3000000: levels 1, 8, 1, 3 */
    vmc_assert_contains(text, "\n|_#_-|\n");

    /* a time zone moves the times, not the durations */
    g_autoptr(GTimeZone) plus2 = g_time_zone_new_identifier("+02:00");
    g_autofree char *shifted = vmc_audit_show_format(s, plus2, TRUE);
    vmc_assert_contains(shifted, "start       2026-11-29 12:00:00\n");
    vmc_assert_contains(shifted, "|\xe2\x96\x81\xe2\x96\x88\xe2\x96\x81\xe2\x96\x83|");
}

/* The ends by policy: the limits, the certificate (a hostile key id
 * escaped), a key's expiry-time; in JSON too. */
static void
test_show_policy(void)
{
    static const char start[] =
        "{\"v\":1,\"event\":\"start\",\"time\":\"2026-11-29T10:00:00.000Z\","
        "\"session\":\"" SESSION_ID "\",\"identity\":\"alice\",\"vm\":\"debianx\","
        "\"max_duration_s\":28800,\"idle_timeout_s\":1800,"
        "\"certificate\":{\"key_id\":\"alice\\u001b[2J\",\"serial\":\"42\","
        "\"ca\":\"SHA256:abc\",\"valid_after\":\"2026-11-29T00:00:00.000Z\","
        "\"valid_before\":\"2026-11-29T18:00:00.000Z\"},"
        "\"key_expires\":\"2026-12-31T00:00:00.000Z\"}";
    g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
    g_autoptr(VmcAuditSession) s = session_of(SESSION_ID, (const char *const[]){start, NULL});
    g_autofree char *text = vmc_audit_show_format(s, utc, FALSE);
    g_assert_true(is_printable_text(text));
    vmc_assert_contains(text, "limits      max-duration 8h00m, idle-timeout 30m00s\n");
    vmc_assert_contains(text, "key expires 2026-12-31 00:00:00\n");
    vmc_assert_contains(text, "certificate id \"alice\\e[2J\", serial 42, CA SHA256:abc, "
                              "valid 2026-11-29 00:00:00 to 2026-11-29 18:00:00\n");
    g_autofree char *json = vmc_audit_session_to_json(s);
    g_autoptr(JsonParser) parser = json_parser_new();
    g_assert_true(json_parser_load_from_data(parser, json, -1, NULL));
    JsonObject *o = json_node_get_object(json_parser_get_root(parser));
    g_assert_cmpint(json_object_get_int_member(o, "idle_timeout_s"), ==, 1800);
    JsonObject *cert = json_object_get_object_member(o, "certificate");
    g_assert_cmpstr(json_object_get_string_member(cert, "serial"), ==, "42");
    g_assert_cmpstr(json_object_get_string_member(o, "key_expires"), ==,
                    "2026-12-31T00:00:00.000Z");
}

/* A record from before the sandbox and the streams shows exactly as it did:
 * no sandbox line, no stream table, no extra sparkline, no empty line. */
static const char old_show[] =
    "session     0123456789abcdef0123456789abcdef\n"
    "state       ended\n"
    "vm          debianx\n"
    "identity    alice\n"
    "account     vmconsole\n"
    "client      127.0.0.1 50000\n"
    "audio       off\n"
    "start       2026-11-29 10:00:00\n"
    "end         2026-11-29 10:00:04\n"
    "duration    4s\n"
    "reason      ssh-closed\n"
    "viewer      exit 0\n"
    "bytes       3.0 MiB\n"
    "rate        mean 768.5 KiB/s, peak 2.9 MiB/s at 2026-11-29 10:00:01\n"
    "rejected    1 connection(s)\n"
    "log lines   start record 1, end record 2\n"
    "\n"
    "CHANNEL  TO VM  FROM VM  CONNECTIONS\n"
    "main     100 B  2.0 KiB  1\n"
    "display  10 B   3.0 MiB  1\n"
    "\n"
    "throughput  4 samples of 1 s, peak 2.9 MiB/s (each column the peak of its samples)\n"
    "|_#_-|\n";

static void
test_show_streams(void)
{
    g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
    g_autoptr(VmcAuditSession) old =
        session_of(SESSION_ID, (const char *const[]){START_LINE, END_LINE, NULL});
    g_autofree char *old_text = vmc_audit_show_format(old, utc, FALSE);
    g_assert_cmpstr(old_text, ==, old_show);

    g_autoptr(VmcAuditSession) s =
        session_of(STREAMS_ID, (const char *const[]){STREAMS_START_LINE, STREAMS_END_LINE, NULL});
    g_autofree char *text = vmc_audit_show_format(s, utc, FALSE);
    g_assert_true(is_printable_text(text));
    vmc_assert_contains(text, "audio       tcp:47113\n"
                              "sandbox     on: user-ns, mount-ns, pid-ns, net-ns, ipc-ns, "
                              "uts-ns, dies-with-gateway, no-new-privs, seccomp, "
                              "landlock-abi-4\n"
                              "start       ");
    vmc_assert_contains(text, "\n\nCHANNEL  TO VM  FROM VM  CONNECTIONS\n"
                              "display  10 B   3.0 MiB  1\n"
                              "\n"
                              "STREAM  TO LAPTOP  FROM LAPTOP  CONNECTIONS  FAILED  PEAK RATE"
                              "    PEAK AT\n"
                              "x11     31 MiB     1000 B       1            0       19.1 MiB/s"
                              "   2026-11-29 10:00:01\n"
                              "audio   517 KiB    0 B          2            1       "
                              "172.3 KiB/s  2026-11-29 10:00:00\n");
    /* each with its own scale: x11 peaks at the second sample, Spice too */
    g_assert_true(g_str_has_suffix(
        text, "\nthroughput  4 samples of 1 s, peak 2.9 MiB/s (each column the peak of its "
              "samples)\n"
              "| #_ |\n"
              "x11 stream  4 samples of 1 s, peak 19.1 MiB/s\n"
              "|_#.:|\n"
              "audio stream  4 samples of 1 s, peak 172.3 KiB/s\n"
              "|### |\n"));
    vmc_assert_lacks(text, "\n\n\n");
}

/* sandbox = off is a warning line; a stream without a series has no
 * sparkline; unknown values are "-"; names and protections from the log
 * are escaped. */
static void
test_show_sandbox_off_hostile(void)
{
    g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
    g_autoptr(VmcAuditSession) off =
        session_of(SANDBOX_OFF_ID, (const char *const[]){SANDBOX_OFF_START_LINE, NULL});
    g_autofree char *text = vmc_audit_show_format(off, utc, TRUE);
    vmc_assert_contains(text, "\nsandbox     OFF (!): the viewer ran on the host without its "
                              "sandbox (sandbox = off in the config)\n");
    vmc_assert_lacks(text, "STREAM");

    /* (the sandbox in its start record, the streams in its end record) */
    const char *hostile_start =
        "{\"v\":1,\"event\":\"start\",\"time\":\"2026-11-29T10:00:00.000Z\","
        "\"session\":\"abcdabcd\","
        "\"sandbox\":\"m\\u001b[2Jaybe\",\"protections\":[\"user-ns\",\"\\u009b31mx\\n\"]}";
    const char *hostile_end =
        "{\"v\":1,\"event\":\"end\",\"time\":\"2026-11-29T10:00:04.000Z\",\"session\":\"abcdabcd\","
        "\"streams\":{\"x\\u001b]0;t\\u0007\":{\"to_laptop\":5,\"rate_peak\":\"x\"}},"
        "\"series\":{\"step_s\":2,\"bytes\":[0,0],\"streams\":{\"x\\u001b]0;t\\u0007\":[0,8]}}}";
    g_autoptr(VmcAuditSession) h =
        session_of("abcdabcd", (const char *const[]){hostile_start, hostile_end, NULL});
    g_autofree char *shown = vmc_audit_show_format(h, utc, FALSE);
    g_assert_true(is_printable_text(shown));
    vmc_assert_contains(shown, "\nsandbox     m\\e[2Jaybe: user-ns, \\xc2\\x9b31mx\\n\n");
    vmc_assert_contains(shown, "\nx\\e]0;t\\x07  5 B        -            -            -       -"
                               "          -\n");
    vmc_assert_contains(shown, "\nx\\e]0;t\\x07 stream  2 samples of 2 s, peak 4 B/s\n"
                               "| #|\n");

    g_autofree char *json = vmc_audit_session_to_json(h);
    g_autoptr(JsonParser) parser = json_parser_new();
    g_assert_true(json_parser_load_from_data(parser, json, -1, NULL));
    JsonObject *o = json_node_get_object(json_parser_get_root(parser));
    g_assert_cmpstr(json_object_get_string_member(o, "sandbox"), ==, "m\033[2Jaybe");
    JsonObject *stream =
        json_object_get_object_member(json_object_get_object_member(o, "streams"), "x\033]0;t\007");
    g_assert_cmpint(json_object_get_int_member(stream, "to_laptop"), ==, 5);
    g_assert_true(json_object_get_null_member(stream, "from_laptop"));
    g_assert_true(json_object_get_null_member(stream, "rate_peak"));
}

static void
test_show_unterminated_hostile(void)
{
    g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
    const char *hostile =
        "{\"v\":1,\"event\":\"start\",\"time\":\"2026-11-29T10:00:00.000Z\",\"session\":"
        "\"abcdabcd\",\"identity\":\"ev\\u001b[2Jil\\nroot\",\"vm\":\"x\\u009b1m\","
        "\"client\":\"\\r\\u0007\"}";
    g_autoptr(VmcAuditSession) s = session_of("abcdabcd", (const char *const[]){hostile, NULL});
    g_autofree char *text = vmc_audit_show_format(s, utc, TRUE);
    g_assert_true(is_printable_text(text));
    vmc_assert_contains(text, "state       UNTERMINATED (the gateway died?)\n");
    vmc_assert_contains(text, "identity    ev\\e[2Jil\\nroot\n");
    vmc_assert_contains(text, "vm          x\\xc2\\x9b1m\n");
    vmc_assert_contains(text, "client      \\r\\x07\n");
    vmc_assert_lacks(text, "\nend ");

    g_autofree char *json = vmc_audit_session_to_json(s);
    g_assert_true(is_printable_text(json));
    vmc_assert_contains(json, "\"identity\" : \"ev\\u001b[2Jil\\nroot\"");
    vmc_assert_contains(json, "\"vm\" : \"x\\u009b1m\"");
    vmc_assert_contains(json, "\"unterminated\" : true");
    vmc_assert_contains(json, "\"end\" : null");
    g_autoptr(JsonParser) parser = json_parser_new();
    g_assert_true(json_parser_load_from_data(parser, json, -1, NULL));
}

static void
test_json_full(void)
{
    g_autoptr(VmcAuditSession) s =
        session_of(SESSION_ID, (const char *const[]){START_LINE, END_LINE, NULL});
    g_autofree char *json = vmc_audit_session_to_json(s);
    g_autoptr(JsonParser) parser = json_parser_new();
    g_assert_true(json_parser_load_from_data(parser, json, -1, NULL));
    JsonObject *o = json_node_get_object(json_parser_get_root(parser));
    g_assert_cmpstr(json_object_get_string_member(o, "state"), ==, "ended");
    g_assert_false(json_object_get_boolean_member(o, "unterminated"));
    g_assert_cmpstr(json_object_get_string_member(o, "start"), ==, "2026-11-29T10:00:00.000Z");
    g_assert_cmpint(json_object_get_int_member(o, "bytes_total"), ==, 3147886);
    JsonObject *series = json_object_get_object_member(o, "series");
    g_assert_cmpint(json_object_get_int_member(series, "step_s"), ==, 1);
    JsonArray *display =
        json_object_get_array_member(json_object_get_object_member(series, "channels"), "display");
    g_assert_cmpint(json_array_get_int_element(display, 1), ==, 3000000);
    /* older records: no sandbox (null), no streams ({}) */
    g_assert_true(json_object_get_null_member(o, "sandbox"));
    g_assert_true(json_object_get_null_member(o, "protections"));
    g_assert_cmpuint(json_object_get_size(json_object_get_object_member(o, "streams")), ==, 0);
    g_assert_cmpuint(json_object_get_size(json_object_get_object_member(series, "streams")), ==, 0);
}

static void
test_json_streams(void)
{
    g_autoptr(VmcAuditSession) s =
        session_of(STREAMS_ID, (const char *const[]){STREAMS_START_LINE, STREAMS_END_LINE, NULL});
    g_autofree char *json = vmc_audit_session_to_json(s);
    g_autoptr(JsonParser) parser = json_parser_new();
    g_assert_true(json_parser_load_from_data(parser, json, -1, NULL));
    JsonObject *o = json_node_get_object(json_parser_get_root(parser));
    g_assert_cmpstr(json_object_get_string_member(o, "sandbox"), ==, "on");
    JsonArray *protections = json_object_get_array_member(o, "protections");
    g_assert_cmpuint(json_array_get_length(protections), ==, 10);
    g_assert_cmpstr(json_array_get_string_element(protections, 9), ==, "landlock-abi-4");
    JsonObject *streams = json_object_get_object_member(o, "streams");
    JsonObject *x11 = json_object_get_object_member(streams, "x11");
    g_assert_cmpint(json_object_get_int_member(x11, "to_laptop"), ==, 33000000);
    g_assert_cmpint(json_object_get_int_member(x11, "from_laptop"), ==, 1000);
    g_assert_cmpint(json_object_get_int_member(x11, "connections"), ==, 1);
    g_assert_cmpint(json_object_get_int_member(x11, "failed"), ==, 0);
    g_assert_cmpfloat(json_object_get_double_member(x11, "rate_peak"), ==, 20000000.0);
    g_assert_cmpstr(json_object_get_string_member(x11, "rate_peak_time"), ==,
                    "2026-11-29T10:00:01.000Z");
    JsonObject *audio = json_object_get_object_member(streams, "audio");
    g_assert_cmpint(json_object_get_int_member(audio, "failed"), ==, 1);
    JsonObject *series = json_object_get_object_member(o, "series");
    JsonObject *stream_series = json_object_get_object_member(series, "streams");
    JsonArray *x11_series = json_object_get_array_member(stream_series, "x11");
    g_assert_cmpuint(json_array_get_length(x11_series), ==, 4);
    g_assert_cmpint(json_array_get_int_element(x11_series, 1), ==, 20000000);
    g_assert_cmpint(
        json_array_get_int_element(json_object_get_array_member(stream_series, "audio"), 0), ==,
        176400);
    /* the Spice series is Spice's alone */
    g_assert_cmpint(json_array_get_int_element(json_object_get_array_member(series, "bytes"), 1),
                    ==, 3000000);

    /* `sessions --json` rows (no series) carry the sandbox too */
    g_autoptr(JsonNode) row = vmc_audit_session_summary_node(s, FALSE);
    JsonObject *r = json_node_get_object(row);
    g_assert_cmpstr(json_object_get_string_member(r, "sandbox"), ==, "on");
    g_assert_false(json_object_has_member(r, "streams"));
}

static void
test_csv(void)
{
    GString *out = g_string_new(NULL);
    const char *fields[] = {"plain", "a,b",       "say \"hi\"", "=cmd|' /C calc'!A0",
                            "-1",    "\x1b[2J\n", NULL};
    for (guint i = 0; i < G_N_ELEMENTS(fields); i++) {
        vmc_audit_csv_append(out, fields[i]);
        g_string_append_c(out, ';');
    }
    g_assert_cmpstr(out->str, ==,
                    "plain;\"a,b\";\"say \"\"hi\"\"\";\"'=cmd|' /C calc'!A0\";\"'-1\";"
                    "\\e[2J\\n;;");
    g_string_free(out, TRUE);
}

static void
test_dates(void)
{
    g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
    g_autoptr(GTimeZone) plus2 = g_time_zone_new_identifier("+02:00");
    gint64 us = 0;
    g_assert_true(vmc_audit_parse_date("2026-11-29", utc, &us));
    g_assert_cmpint(us, ==, G_GINT64_CONSTANT(1795910400) * G_USEC_PER_SEC);
    g_assert_true(vmc_audit_parse_date("2026-11-29", plus2, &us));
    g_assert_cmpint(us, ==, (G_GINT64_CONSTANT(1795910400) - 7200) * G_USEC_PER_SEC);
    g_assert_true(vmc_audit_parse_date("2026-11-29T10:00:00Z", plus2, &us));
    g_assert_cmpint(us, ==, G_GINT64_CONSTANT(1795946400) * G_USEC_PER_SEC);
    g_assert_true(vmc_audit_parse_date("2026-11-29T10:00:00", utc, &us));
    g_assert_cmpint(us, ==, G_GINT64_CONSTANT(1795946400) * G_USEC_PER_SEC);
    const char *bad[] = {"", "yesterday", "2026-13-01", "2026-11-29x", "2026-11-31", "29.11.2026"};
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++)
        g_assert_false(vmc_audit_parse_date(bad[i], utc, &us));

    g_autofree char *t = vmc_audit_format_time(G_GINT64_CONSTANT(1795946400) * G_USEC_PER_SEC, utc);
    g_assert_cmpstr(t, ==, "2026-11-29 10:00:00");
    g_autofree char *none = vmc_audit_format_time(-1, utc);
    g_assert_cmpstr(none, ==, "-");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/audit/format/show-ended", test_show_ended);
    g_test_add_func("/audit/format/show-streams", test_show_streams);
    g_test_add_func("/audit/format/show-sandbox-off-hostile", test_show_sandbox_off_hostile);
    g_test_add_func("/audit/format/show-unterminated-hostile", test_show_unterminated_hostile);
    g_test_add_func("/audit/format/show-policy", test_show_policy);
    g_test_add_func("/audit/format/json", test_json_full);
    g_test_add_func("/audit/format/json-streams", test_json_streams);
    g_test_add_func("/audit/format/csv", test_csv);
    g_test_add_func("/audit/format/dates", test_dates);
    return g_test_run();
}
