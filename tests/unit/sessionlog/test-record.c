/* VmcRecord: fields, hostile strings through to_line and back, the line cap,
 * and the syslog summary. */
#include "vmc-sessionlog.h"
#include "record-priv.h"

#include "vmc-common.h"
#include "vmc-assert.h"

#include <math.h>
#include <string.h>

#define TIME_PATTERN "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$"

/* The line's shape: ends in its only '\n', no other control character, valid
 * UTF-8, bounded. Returns the parsed object (owned by the returned parser). */
static JsonParser *
parse_line(const char *line, gsize len)
{
    g_assert_cmpuint(len, ==, strlen(line));
    g_assert_cmpuint(len, >=, 2);
    g_assert_cmpuint(len, <=, VMC_RECORD_MAX_LINE);
    g_assert_cmpint(line[len - 1], ==, '\n');
    g_assert_true(g_utf8_validate(line, (gssize)len, NULL));
    /* No raw C0 control, DEL or C1 control (U+0080..U+009F)... */
    for (gsize i = 0; i + 1 < len; i++) {
        guchar c = (guchar)line[i];
        g_assert_cmpuint(c, >=, 0x20);
        g_assert_cmpuint(c, !=, 0x7f);
        if (c == 0xc2)
            g_assert_cmpuint((guchar)line[i + 1], >, 0x9f);
    }
    /* ...nor a raw U+2028 or U+2029. */
    vmc_assert_lacks(line, "\xe2\x80\xa8");
    vmc_assert_lacks(line, "\xe2\x80\xa9");

    JsonParser *parser = json_parser_new();
    g_autoptr(GError) error = NULL;
    g_assert_true(json_parser_load_from_data(parser, line, (gssize)len, &error));
    g_assert_no_error(error);
    g_assert_true(JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)));
    return parser;
}

static JsonParser *
parse_record(const VmcRecord *record)
{
    gsize len = 0;
    g_autofree char *line = vmc_record_to_line(record, &len);
    g_assert_nonnull(line);
    return parse_line(line, len);
}

static JsonObject *
root_object(JsonParser *parser)
{
    return json_node_get_object(json_parser_get_root(parser));
}

static void
test_new(void)
{
    g_autoptr(VmcRecord) record = vmc_record_new("start");
    g_autoptr(JsonParser) parser = parse_record(record);
    JsonObject *object = root_object(parser);

    g_assert_cmpint(json_object_get_int_member(object, "v"), ==, VMC_RECORD_VERSION);
    g_assert_cmpint(json_object_get_int_member(object, "v"), ==, 1);
    g_assert_cmpstr(json_object_get_string_member(object, "event"), ==, "start");
    g_assert_true(
        g_regex_match_simple(TIME_PATTERN, json_object_get_string_member(object, "time"), 0, 0));
    /* every record names the host it was written on */
    g_assert_cmpstr(json_object_get_string_member(object, "host"), ==, g_get_host_name());
    g_assert_cmpuint(json_object_get_size(object), ==, 4);
}

static void
test_format_time(void)
{
    g_autoptr(GDateTime) utc = g_date_time_new_utc(2026, 11, 29, 10, 2, 3.123456);
    g_autofree char *a = vmc_record_format_time(utc);
    g_assert_cmpstr(a, ==, "2026-11-29T10:02:03.123Z");

    g_autoptr(GTimeZone) tz = g_time_zone_new_offset(2 * 3600);
    g_autoptr(GDateTime) local = g_date_time_new(tz, 2026, 1, 1, 1, 0, 0.0);
    g_autofree char *b = vmc_record_format_time(local);
    g_assert_cmpstr(b, ==, "2025-12-31T23:00:00.000Z");
}

typedef struct {
    const char *name;
    const char *value;
} HostileCase;

static const HostileCase hostile_cases[] = {
    {"newline", "bob\n{\"v\":1,\"event\":\"start\"}"},
    {"carriage-return", "bob\rmallory"},
    {"crlf", "a\r\nb"},
    {"esc", "\x1b[2J\x1b]0;title\x07"},
    {"del", "a\x7f"
            "b"},
    {"c1-csi", "a\xc2\x9b"
               "31m"},
    {"line-separators", "a\xe2\x80\xa8"
                        "b\xe2\x80\xa9"
                        "c"},
    {"invalid-utf8", "\xff\xfe\xc0\xaf\xed\xa0\x80"},
    {"quote-backslash", "q\"uo\\te\\\""},
    {"long", NULL}, /* 5000 bytes, filled in by the test */
};

static void
test_hostile(gconstpointer data)
{
    const HostileCase *c = data;
    g_autofree char *long_value = NULL;
    const char *value = c->value;
    if (value == NULL)
        value = long_value = g_strnfill(5000, 'A');

    g_autoptr(VmcRecord) record = vmc_record_new("denied");
    vmc_record_set_string(record, "identity", value);
    vmc_record_set_string(record, "reason", value);

    g_autoptr(JsonParser) parser = parse_record(record);
    JsonObject *object = root_object(parser);

    g_autofree char *expected = vmc_text_to_utf8(value, -1, VMC_RECORD_MAX_STRING);
    g_assert_cmpstr(json_object_get_string_member(object, "reason"), ==, expected);
    g_assert_cmpstr(json_object_get_string_member(object, "identity"), ==, expected);
    g_assert_cmpint(json_object_get_int_member(object, "v"), ==, 1);
    g_assert_true(
        g_regex_match_simple(TIME_PATTERN, json_object_get_string_member(object, "time"), 0, 0));
    g_assert_cmpuint(strlen(expected), <=, VMC_RECORD_MAX_STRING + 3);
}

static void
test_setters(void)
{
    g_autoptr(VmcRecord) record = vmc_record_new("end");
    vmc_record_set_string(record, "vm", "first");
    vmc_record_set_string(record, "vm", "debianx");
    vmc_record_set_string(record, "client", NULL);
    vmc_record_set_int(record, "bytes_total", G_GINT64_CONSTANT(9007199254740993));
    vmc_record_set_double(record, "duration_s", 12.5);
    vmc_record_set_double(record, "rate_nan", NAN);
    vmc_record_set_double(record, "rate_inf", INFINITY);
    vmc_record_set_bool(record, "audio", TRUE);

    g_autoptr(JsonParser) parser = parse_record(record);
    JsonObject *object = root_object(parser);

    g_assert_cmpstr(json_object_get_string_member(object, "vm"), ==, "debianx");
    g_assert_false(json_object_has_member(object, "client"));
    g_assert_cmpint(json_object_get_int_member(object, "bytes_total"), ==,
                    G_GINT64_CONSTANT(9007199254740993));
    g_assert_cmpfloat(json_object_get_double_member(object, "duration_s"), ==, 12.5);
    g_assert_true(json_object_get_null_member(object, "rate_nan"));
    g_assert_true(json_object_get_null_member(object, "rate_inf"));
    g_assert_true(json_object_get_boolean_member(object, "audio"));
}

static void
test_take_node_sanitized(void)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "main");
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "name\n");
    json_builder_add_string_value(builder, "x\xff\n");
    json_builder_set_member_name(builder, "k\xff");
    json_builder_add_int_value(builder, 1);
    json_builder_set_member_name(builder, "peak");
    json_builder_add_double_value(builder, INFINITY);
    json_builder_set_member_name(builder, "list");
    json_builder_begin_array(builder);
    json_builder_add_int_value(builder, 7);
    json_builder_add_string_value(builder, "\xc0\xaf");
    json_builder_add_null_value(builder);
    json_builder_end_array(builder);
    json_builder_end_object(builder);
    json_builder_end_object(builder);

    g_autoptr(VmcRecord) record = vmc_record_new("end");
    vmc_record_take_node(record, "channels", json_builder_get_root(builder));

    g_autoptr(JsonParser) parser = parse_record(record);
    JsonObject *channels = json_object_get_object_member(root_object(parser), "channels");
    JsonObject *main_ = json_object_get_object_member(channels, "main");
    g_assert_cmpstr(json_object_get_string_member(main_, "name\n"), ==, "x\\xff\n");
    g_assert_true(json_object_get_null_member(main_, "peak"));
    g_assert_cmpint(json_object_get_int_member(main_, "k\\xff"), ==, 1);
    JsonArray *list = json_object_get_array_member(main_, "list");
    g_assert_cmpint(json_array_get_int_element(list, 0), ==, 7);
    g_assert_cmpstr(json_array_get_string_element(list, 1), ==, "\\xc0\\xaf");
    g_assert_true(json_array_get_null_element(list, 2));
}

static JsonNode *
big_int_array(guint count)
{
    JsonArray *array = json_array_sized_new(count);
    for (guint i = 0; i < count; i++)
        json_array_add_int_element(array, 1000000 + i);
    return json_node_init_array(json_node_alloc(), array);
}

/* Over the cap with a series: the series goes, everything else stays. */
static void
test_cap_drops_series(void)
{
    g_autoptr(VmcRecord) record = vmc_record_new("end");
    vmc_record_set_string(record, "session", "s1");
    vmc_record_set_string(record, "account", "vmconsole");
    vmc_record_take_node(record, "series", big_int_array(60000)); /* ~480 KiB */

    g_autoptr(JsonParser) parser = parse_record(record);
    JsonObject *object = root_object(parser);
    g_assert_false(json_object_has_member(object, "series"));
    g_assert_false(json_object_has_member(object, "truncated"));
    g_assert_cmpstr(json_object_get_string_member(object, "account"), ==, "vmconsole");
    /* The record itself is untouched. */
    g_assert_true(json_object_has_member(vmc_record_get_object(record), "series"));
}

/* Over the cap without help from dropping the series: identification only. */
static void
test_cap_truncates(void)
{
    g_autoptr(VmcRecord) record = vmc_record_new("end");
    vmc_record_set_string(record, "session", "s1");
    vmc_record_set_string(record, "identity", "alice");
    vmc_record_set_string(record, "vm", "debianx");
    vmc_record_set_string(record, "account", "vmconsole");
    vmc_record_take_node(record, "series", big_int_array(10));
    vmc_record_take_node(record, "channels", big_int_array(60000));

    g_autoptr(JsonParser) parser = parse_record(record);
    JsonObject *object = root_object(parser);
    g_assert_true(json_object_get_boolean_member(object, "truncated"));
    g_assert_cmpint(json_object_get_int_member(object, "v"), ==, 1);
    g_assert_cmpstr(json_object_get_string_member(object, "event"), ==, "end");
    g_assert_cmpstr(json_object_get_string_member(object, "session"), ==, "s1");
    g_assert_cmpstr(json_object_get_string_member(object, "identity"), ==, "alice");
    g_assert_cmpstr(json_object_get_string_member(object, "vm"), ==, "debianx");
    g_assert_true(json_object_has_member(object, "time"));
    g_assert_cmpstr(json_object_get_string_member(object, "host"), ==, g_get_host_name());
    g_assert_cmpuint(json_object_get_size(object), ==, 8);
}

typedef struct {
    const char *name;
    const char *key;
    const char *value;
    const char *expected_field; /* must appear in the summary */
} SummaryCase;

static const SummaryCase summary_cases[] = {
    {"plain", "identity", "bob", " identity=bob"},
    {"space-quoted", "reason", "no access", " reason=\"no access\""},
    {"quote-escaped", "reason", "say \"hi\"", " reason=\"say \\\"hi\\\"\""},
    {"empty-quoted", "vm", "", " vm=\"\""},
    {"newline-escaped", "identity", "bob\nroot", " identity=bob\\nroot"},
    {"esc-escaped", "vm", "\x1b[2J", " vm=\\e[2J"},
    {"backslash-doubled", "client", "a\\b", " client=a\\\\b"},
    {"utf8-escaped", "account", "\xc3\xa9", " account=\\xc3\\xa9"},
};

static void
assert_summary_clean(const char *summary)
{
    g_assert_cmpuint(strlen(summary), <=, VMC_RECORD_MAX_SUMMARY);
    for (const char *p = summary; *p != '\0'; p++)
        g_assert_true(*p >= 0x20 && *p <= 0x7e);
}

static void
test_summary_case(gconstpointer data)
{
    const SummaryCase *c = data;
    g_autoptr(VmcRecord) record = vmc_record_new("denied");
    vmc_record_set_string(record, c->key, c->value);
    g_autofree char *summary = vmc_record_summary(record);

    assert_summary_clean(summary);
    g_assert_true(g_str_has_prefix(summary, "denied "));
    if (strstr(summary, c->expected_field) == NULL)
        g_error("summary '%s' lacks '%s'", summary, c->expected_field);
}

static void
test_summary_fields(void)
{
    g_autoptr(VmcRecord) record = vmc_record_new("end");
    vmc_record_set_string(record, "session", "s1");
    vmc_record_set_string(record, "identity", "alice");
    vmc_record_set_string(record, "vm", "debianx");
    vmc_record_set_int(record, "exit", 0);
    vmc_record_set_double(record, "duration_s", 61.25);
    vmc_record_set_int(record, "bytes_total", 123456789);
    vmc_record_set_string(record, "socket", "/var/spicex/debianx.sock"); /* not summarized */
    g_autofree char *summary = vmc_record_summary(record);

    g_assert_cmpstr(summary, ==,
                    "end session=s1 identity=alice vm=debianx exit=0 duration_s=61.250 "
                    "bytes_total=123456789");
}

/* Every summarized field long and hostile: bounded, whole fields, marked. */
static void
test_summary_bounded(void)
{
    static const char *const keys[] = {"session", "identity", "account", "vm", "client", "reason"};
    g_autoptr(VmcRecord) record = vmc_record_new("denied");
    g_autofree char *hostile = g_strnfill(900, '\x1b');
    for (gsize i = 0; i < G_N_ELEMENTS(keys); i++)
        vmc_record_set_string(record, keys[i], hostile);
    g_autofree char *summary = vmc_record_summary(record);

    assert_summary_clean(summary);
    g_assert_true(g_str_has_suffix(summary, " ..."));
    vmc_assert_contains(summary, " session=\\e\\e");
    /* A value is capped at VMC_RECORD_SUMMARY_VALUE_MAX (plus "..."). */
    g_autofree char *capped = vmc_text_escape(hostile, -1, VMC_RECORD_SUMMARY_VALUE_MAX);
    g_autofree char *field = g_strdup_printf("denied session=%s ", capped);
    g_assert_true(g_str_has_prefix(summary, field));
}

/* json-glib 1.6 writes a double it prints in exponent form without a '.'
 * as "1e+40.0" — not JSON: no reader (the log's, json-glib's own, jq) takes
 * the line. Found by fuzz-audit-record (show --json of a record with
 * "rate_mean": 1e40). Such numbers are written "1e+40"; strings holding the
 * same text are left alone. */
static void
test_big_doubles(void)
{
    const double values[] = {1e40, 1e17, 2e17, 1e300, -1e20, 1e16, 123.5, 0.0};
    for (gsize i = 0; i < G_N_ELEMENTS(values); i++) {
        g_autoptr(VmcRecord) record = vmc_record_new("end");
        vmc_record_set_double(record, "rate_mean", values[i]);
        vmc_record_set_string(record, "reason", "1e+40.0 \"2e+17.0\"");
        gsize length = 0;
        g_autofree char *line = vmc_record_to_line(record, &length);
        g_autoptr(GString) scratch = g_string_new(NULL);
        VmcLogEntry e;
        if (!vmc_log_entry_parse(line, length - 1, scratch, &e))
            g_error("%g: not a record: %s", values[i], line);
        g_assert_cmpfloat(e.rate_mean, ==, values[i]);
        g_assert_cmpstr(e.reason, ==, "1e+40.0 \"2e+17.0\"");
        g_autoptr(JsonParser) parser = json_parser_new();
        g_assert_true(json_parser_load_from_data(parser, line, -1, NULL));
    }
    const char *cases[][2] = {
        {"[1e+40.0,1E-7.0,1.5e+40,-2e+17.0,10.0]", "[1e+40,1E-7,1.5e+40,-2e+17,10.0]"},
        {"{\"a\\\"1e+40.0\":1e+40.0}", "{\"a\\\"1e+40.0\":1e+40}"},
        {"\"\xc2\x9b\xe2\x80\xa8\"", "\"\\u009b\\u2028\""},
        {"{\"a\x1f\":\"\x01\x1f\x7f\"}", "{\"a\\u001f\":\"\\u0001\\u001f\\u007f\"}"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GString) out = vmc_json_text_finish(cases[i][0], strlen(cases[i][0]));
        g_assert_cmpstr(out->str, ==, cases[i][1]);
    }
}

/* json-glib 1.6 escapes every C0 control in a string but U+001F, which it
 * writes raw: the record's line failed its own check and was not written at
 * all (vmc_sessionlog_append: "cannot format the record ... (a bug)") —
 * from any string a record takes, the viewer's output in "viewer_log" among
 * them. Found by fuzz-audit-record (a record read and written back). */
static void
test_control_characters(void)
{
    for (int c = 0x01; c <= 0x7f; c = c == 0x1f ? 0x7f : c + 1) {
        g_autoptr(VmcRecord) record = vmc_record_new("end");
        char value[] = {'a', (char)c, 'b', '\0'};
        vmc_record_set_string(record, "viewer_log", value);
        gsize length = 0;
        g_autofree char *line = vmc_record_to_line(record, &length);
        if (line == NULL)
            g_error("0x%02x: no line", c);
        g_autoptr(GString) scratch = g_string_new(NULL);
        VmcLogEntry e;
        g_assert_true(vmc_log_entry_parse(line, length - 1, scratch, &e));
        g_autofree char *escape = g_strdup_printf("\"a\\u%04x", c);
        gboolean short_escape = strchr("\b\f\n\r\t", c) != NULL; /* json-glib's \n etc. */
        if (!short_escape && strstr(line, escape) == NULL)
            g_error("0x%02x: not escaped as \\u%04x: %s", c, c, line);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/record/new", test_new);
    g_test_add_func("/record/format-time", test_format_time);
    g_test_add_func("/record/setters", test_setters);
    g_test_add_func("/record/take-node-sanitized", test_take_node_sanitized);
    for (gsize i = 0; i < G_N_ELEMENTS(hostile_cases); i++) {
        g_autofree char *path = g_strdup_printf("/record/hostile/%s", hostile_cases[i].name);
        g_test_add_data_func(path, &hostile_cases[i], test_hostile);
    }
    g_test_add_func("/record/cap/drops-series", test_cap_drops_series);
    g_test_add_func("/record/cap/truncates", test_cap_truncates);
    for (gsize i = 0; i < G_N_ELEMENTS(summary_cases); i++) {
        g_autofree char *path = g_strdup_printf("/record/summary/%s", summary_cases[i].name);
        g_test_add_data_func(path, &summary_cases[i], test_summary_case);
    }
    g_test_add_func("/record/summary/fields", test_summary_fields);
    g_test_add_func("/record/summary/bounded", test_summary_bounded);
    g_test_add_func("/record/big-doubles", test_big_doubles);
    g_test_add_func("/record/control-characters", test_control_characters);
    return g_test_run();
}
