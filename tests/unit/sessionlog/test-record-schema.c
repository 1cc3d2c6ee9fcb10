/* test-record-schema.c — the record schema holds writer and readers together:
 * every record type with every field set, written and read back by the
 * typed reader (field by field, no member it does not know, none it
 * misses) and by the streaming scanner (each member it keeps); the member
 * names each used and once per object; the wire as the gateway wrote it
 * before (golden-records.h, and the real logs of the fuzz corpus) read
 * whole and written again byte for byte; members of another kind absent. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "golden-records.h"
#include "record-fill.h"

#define DEPTH_MAX 32

static const VmcLogEvent all_events[] = {VMC_LOG_EVENT_START, VMC_LOG_EVENT_END,
                                         VMC_LOG_EVENT_DENIED, VMC_LOG_EVENT_DENIED_SUMMARY};

/* ---- the names ---- */

#define NAME_TEXT(name) vmc_record_names.name,
static const char *const every_name[] = {VMC_RECORD_NAMES(NAME_TEXT)};

/* Each wire name of schema (and of what it holds) into used; FALSE when one
 * object would hold a name twice. */
static gboolean
collect_names(const VmcRecordSchema *schema, GHashTable *used, GHashTable *object)
{
    for (guint i = 0; i < schema->n_fields; i++) {
        const VmcRecordField *field = &schema->fields[i];
        if (field->kind == VMC_RECORD_KIND_INLINE) {
            if (!collect_names(field->sub, used, object))
                return FALSE;
            continue;
        }
        if (!g_hash_table_add(object, (gpointer)field->name))
            return FALSE;
        g_hash_table_add(used, (gpointer)field->name);
        if (field->sub != NULL) {
            g_autoptr(GHashTable) inner = g_hash_table_new(g_str_hash, g_str_equal);
            if (!collect_names(field->sub, used, inner))
                return FALSE;
        }
    }
    return TRUE;
}

/* Every name of VMC_RECORD_NAMES is a member of some record (none stale), no
 * object has a name twice, and the text of each is its identifier. */
static void
test_names(void)
{
    g_autoptr(GHashTable) used = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint e = 0; e < G_N_ELEMENTS(all_events); e++) {
        g_autoptr(GHashTable) object = g_hash_table_new(g_str_hash, g_str_equal);
        g_assert_true(collect_names(vmc_record_schema(all_events[e]), used, object));
        g_assert_false(g_hash_table_contains(object, vmc_record_names.v));
        g_assert_false(g_hash_table_contains(object, vmc_record_names.event));
    }
    g_hash_table_add(used, (gpointer)vmc_record_names.v);
    g_hash_table_add(used, (gpointer)vmc_record_names.event);
    for (guint i = 0; i < G_N_ELEMENTS(every_name); i++) {
        if (!g_hash_table_contains(used, every_name[i]))
            g_error("the member name '%s' is in no record's schema", every_name[i]);
    }
    g_assert_cmpuint(g_hash_table_size(used), ==, G_N_ELEMENTS(every_name));
    g_assert_cmpstr(vmc_record_names.viewer_exit, ==, "viewer_exit");
    g_assert_cmpstr(vmc_record_event_name(VMC_LOG_EVENT_DENIED_SUMMARY), ==, "denied-summary");
    for (guint e = 0; e < G_N_ELEMENTS(all_events); e++) {
        VmcLogEvent back;
        g_assert_true(vmc_record_event_from_name(vmc_record_event_name(all_events[e]), &back));
        g_assert_cmpint(back, ==, all_events[e]);
    }
}

static void
assert_entry(const VmcLogEntry *got, const VmcLogEntry *want)
{
    g_assert_cmpint(got->event, ==, want->event);
    const char *const got_strings[] = RECORD_ENTRY_STRINGS(got);
    const char *const want_strings[] = RECORD_ENTRY_STRINGS(want);
    const gint64 got_numbers[] = RECORD_ENTRY_NUMBERS(got),
                 want_numbers[] = RECORD_ENTRY_NUMBERS(want);
    const double got_rates[] = RECORD_ENTRY_RATES(got), want_rates[] = RECORD_ENTRY_RATES(want);
    G_STATIC_ASSERT(G_N_ELEMENTS(got_strings) == G_N_ELEMENTS(record_entry_string_names));
    G_STATIC_ASSERT(G_N_ELEMENTS(got_numbers) == G_N_ELEMENTS(record_entry_number_names));
    for (guint i = 0; i < G_N_ELEMENTS(got_strings); i++)
        if (g_strcmp0(got_strings[i], want_strings[i]) != 0)
            g_error("entry %s: '%s', not '%s'", record_entry_string_names[i], got_strings[i],
                    want_strings[i]);
    for (guint i = 0; i < G_N_ELEMENTS(got_numbers); i++)
        if (got_numbers[i] != want_numbers[i])
            g_error("entry %s: %" G_GINT64_FORMAT ", not %" G_GINT64_FORMAT,
                    record_entry_number_names[i], got_numbers[i], want_numbers[i]);
    for (guint i = 0; i < G_N_ELEMENTS(got_rates); i++)
        g_assert_true(got_rates[i] == want_rates[i] ||
                      (isnan(got_rates[i]) && isnan(want_rates[i])));
}

/* ---- round trips ---- */

static char *
line_of(const VmcRecordFields *fields)
{
    g_autoptr(VmcRecord) record = vmc_record_new_from_fields(fields);
    gsize length;
    char *line = vmc_record_to_line(record, &length);
    g_assert_cmpuint(length, >, 1);
    g_assert_cmpint(line[length - 1], ==, '\n');
    line[length - 1] = '\0';
    return line;
}

/* fields' line read back by the typed reader: the same, field by field;
 * nothing written that it does not read, nothing it reads unwritten. */
static void
assert_typed_round_trip(const VmcRecordFields *fields, const char *line)
{
    g_auto(VmcRecordFields) back = {0};
    g_autoptr(GPtrArray) unknown = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GString) where = g_string_new(NULL);
    g_assert_true(vmc_record_fields_parse(line, strlen(line), DEPTH_MAX, &back, unknown));
    if (unknown->len > 0)
        g_error("written but not read: %s", (const char *)unknown->pdata[0]);
    if (!record_equal(fields, &back, where))
        g_error("%s: read back other than written: %s", line, where->str);
}

/* Every field set, written, read back by each reader. */
static void
test_round_trip(gconstpointer data)
{
    VmcLogEvent event = GPOINTER_TO_UINT(data);
    g_auto(VmcRecordFields) fields = {0};
    g_autoptr(GString) where = g_string_new(NULL);
    record_fill(&fields, event, 0);
    if (!record_all_set(&fields, where))
        g_error("the fill left %s absent", where->str);
    g_autofree char *line = line_of(&fields);
    assert_typed_round_trip(&fields, line);

    g_autoptr(GString) scratch = g_string_new(NULL);
    VmcLogEntry got, want;
    g_assert_true(vmc_log_entry_parse(line, strlen(line), scratch, &got));
    record_expected_entry(&fields, &want);
    assert_entry(&got, &want);
}

/* Each member the scanner keeps is written by some record: with every
 * field of every record set, none of its entry's fields stays absent in
 * all of them (a member read but never written would). */
static void
test_scanner_reads_written(void)
{
    gboolean strings_fed[G_N_ELEMENTS(record_entry_string_names)] = {FALSE};
    gboolean numbers_fed[G_N_ELEMENTS(record_entry_number_names)] = {FALSE};
    gboolean rates_fed = TRUE;
    g_autoptr(GString) scratch = g_string_new(NULL);
    for (guint e = 0; e < G_N_ELEMENTS(all_events); e++) {
        g_auto(VmcRecordFields) fields = {0};
        record_fill(&fields, all_events[e], e * 1000);
        g_autofree char *line = line_of(&fields);
        VmcLogEntry got;
        g_assert_true(vmc_log_entry_parse(line, strlen(line), scratch, &got));
        const char *const strings[] = RECORD_ENTRY_STRINGS(&got);
        const gint64 numbers[] = RECORD_ENTRY_NUMBERS(&got);
        for (guint i = 0; i < G_N_ELEMENTS(strings); i++)
            strings_fed[i] |= strings[i] != NULL;
        for (guint i = 0; i < G_N_ELEMENTS(numbers); i++)
            numbers_fed[i] |= numbers[i] >= 0;
        if (all_events[e] == VMC_LOG_EVENT_END)
            rates_fed = !isnan(got.rate_mean) && !isnan(got.rate_peak);
    }
    for (guint i = 0; i < G_N_ELEMENTS(strings_fed); i++)
        if (!strings_fed[i])
            g_error("the scanner keeps %s, which no record writes", record_entry_string_names[i]);
    for (guint i = 0; i < G_N_ELEMENTS(numbers_fed); i++)
        if (!numbers_fed[i])
            g_error("the scanner keeps %s, which no record writes", record_entry_number_names[i]);
    g_assert_true(rates_fed);
}

/* Nothing set: "v", "event", "time" and this host alone; read back, all
 * absent but the host. */
static void
test_nothing_set(void)
{
    for (guint e = 0; e < G_N_ELEMENTS(all_events); e++) {
        g_auto(VmcRecordFields) fields = {0};
        vmc_record_fields_init(&fields, all_events[e]);
        fields.start.time = G_GINT64_CONSTANT(1795946404500000);
        g_autofree char *line = line_of(&fields);
        g_autofree char *golden =
            g_strdup_printf("{\"v\":1,\"event\":\"%s\",\"time\":\"%s\"," GOLDEN_HOST_MEMBER "}",
                            vmc_record_event_name(all_events[e]), GOLDEN_TIME);
        g_autofree char *want = golden_on_this_host(golden);
        g_assert_cmpstr(line, ==, want);
        fields.start.host = g_strdup(g_get_host_name()); /* the writer's own */
        assert_typed_round_trip(&fields, line);
    }
}

/* A line the gateway wrote: read whole (no member unknown) and written
 * again byte for byte. */
static void
assert_rewritten_alike(const char *line, gsize length)
{
    g_auto(VmcRecordFields) fields = {0};
    g_autoptr(GPtrArray) unknown = g_ptr_array_new_with_free_func(g_free);
    if (!vmc_record_fields_parse(line, length, DEPTH_MAX, &fields, unknown))
        g_error("not read: %.*s", (int)length, line);
    if (unknown->len > 0)
        g_error("not read: member %s of %.*s", (const char *)unknown->pdata[0], (int)length, line);
    gboolean had_host = fields.start.host != NULL; /* the union's members start alike */
    g_autoptr(VmcRecord) record = vmc_record_new_from_fields(&fields);
    g_autofree char *again = vmc_record_to_line(record, NULL);
    g_autofree char *want = g_strdup_printf("%.*s\n", (int)length, line);
    if (!had_host) {
        /* a record from before "host": written again, it gains this host's
         * right after "time" (and nothing else changes) */
        const char *time_end = strstr(want, "Z\",");
        g_assert_nonnull(time_end);
        gsize at = (gsize)(time_end - want) + 3;
        g_autofree char *with_host =
            g_strdup_printf("%.*s" GOLDEN_HOST_MEMBER ",%s", (int)at, want, want + at);
        g_free(want);
        want = golden_on_this_host(with_host);
    }
    g_assert_cmpstr(again, ==, want);
}

static void
test_golden(void)
{
    const char *const lines[] = {GOLDEN_START, GOLDEN_END, GOLDEN_DENIED, GOLDEN_DENIED_SUMMARY,
                                 GOLDEN_DENIED_SUMMARY_OTHERS};
    for (guint i = 0; i < G_N_ELEMENTS(lines); i++)
        assert_rewritten_alike(lines[i], strlen(lines[i]));
}

/* The records of the real logs in the fuzz corpus (written by the gateway
 * through sshd before the schema): every good line. */
static void
test_old_logs(void)
{
    g_autofree char *dir_path =
        g_test_build_filename(G_TEST_DIST, "fuzz", "corpus", "log-reader", NULL);
    g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
    g_assert_nonnull(dir);
    g_autoptr(GString) scratch = g_string_new(NULL);
    guint n_records = 0;
    const char *name;
    while ((name = g_dir_read_name(dir)) != NULL) {
        if (!g_str_has_prefix(name, "real-"))
            continue;
        g_autofree char *path = g_build_filename(dir_path, name, NULL);
        g_autofree char *text = NULL;
        g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        for (guint i = 0; lines[i] != NULL; i++) {
            VmcLogEntry entry;
            if (!vmc_log_entry_parse(lines[i], strlen(lines[i]), scratch, &entry))
                continue; /* empty, or cut off at the end of the file */
            assert_rewritten_alike(lines[i], strlen(lines[i]));
            n_records++;
        }
    }
    g_assert_cmpuint(n_records, >=, 20);
}

/* A member of another kind than its field's reads as absent, whatever the kind. */
static void
test_wrong_kinds(void)
{
    static const struct {
        const char *line;
        const char *member; /* what stays absent */
    } cases[] = {
        {"{\"event\":\"end\",\"reason\":7}", "reason"},
        {"{\"event\":\"end\",\"start\":\"yesterday\"}", "start"},
        {"{\"event\":\"end\",\"start\":1795946404}", "start"},
        {"{\"event\":\"end\",\"duration_s\":-1}", "duration_s"},
        {"{\"event\":\"end\",\"duration_s\":1.5}", "duration_s"},
        {"{\"event\":\"end\",\"duration_s\":\"4\"}", "duration_s"},
        {"{\"event\":\"end\",\"rate_mean\":-0.5}", "rate_mean"},
        {"{\"event\":\"end\",\"rate_mean\":null}", "rate_mean"},
        {"{\"event\":\"end\",\"rate_mean\":1e999}", "rate_mean"},
        {"{\"event\":\"start\",\"microphone\":1}", "microphone"},
        {"{\"event\":\"start\",\"protections\":\"user-ns\"}", "protections"},
        {"{\"event\":\"end\",\"series\":{\"bytes\":[1,-2]}}", "series.bytes"},
        {"{\"event\":\"end\",\"series\":{\"bytes\":[1,\"2\"]}}", "series.bytes"},
        {"{\"event\":\"end\",\"series\":[1]}", "series.step_s"},
        {"{\"event\":\"end\",\"channels\":[1]}", "channels"},
        {"{\"event\":\"end\",\"agent\":{\"refused\":true}}", "agent.refused"},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_auto(VmcRecordFields) fields = {0};
        g_autoptr(GString) where = g_string_new(NULL);
        g_assert_true(vmc_record_fields_parse(cases[i].line, strlen(cases[i].line), DEPTH_MAX,
                                              &fields, NULL));
        g_auto(VmcRecordFields) absent = {0};
        vmc_record_fields_init(&absent, fields.event);
        if (!record_equal(&fields, &absent, where))
            g_error("%s: %s is set (%s should be absent)", cases[i].line, where->str,
                    cases[i].member);
    }
    /* the members of a named field that are not of its kind are skipped, the rest kept */
    const char *mixed = "{\"event\":\"end\",\"channels\":{\"main\":3,\"display\":{\"to_vm\":1}},"
                        "\"series\":{\"channels\":{\"main\":[1,-1],\"display\":[2]}}}";
    g_auto(VmcRecordFields) fields = {0};
    g_assert_true(vmc_record_fields_parse(mixed, strlen(mixed), DEPTH_MAX, &fields, NULL));
    g_assert_cmpuint(fields.end.channels->len, ==, 1);
    g_assert_cmpstr(((VmcRecordChannel *)fields.end.channels->pdata[0])->name, ==, "display");
    g_assert_cmpint(((VmcRecordChannel *)fields.end.channels->pdata[0])->to_vm, ==, 1);
    g_assert_cmpuint(fields.end.series.channels->len, ==, 1);
    /* no record: not an object, an unknown event, a repeated member */
    const char *const no_record[] = {"[]", "{\"event\":\"stop\"}", "{\"vm\":\"a\"}",
                                     "{\"event\":\"end\",\"vm\":\"a\",\"vm\":\"b\"}"};
    for (guint i = 0; i < G_N_ELEMENTS(no_record); i++)
        g_assert_false(
            vmc_record_fields_parse(no_record[i], strlen(no_record[i]), DEPTH_MAX, &fields, NULL));
    g_assert_cmpuint(fields.end.channels->len, ==, 1); /* untouched */
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/record-schema/names", test_names);
    for (guint e = 0; e < G_N_ELEMENTS(all_events); e++) {
        g_autofree char *path =
            g_strdup_printf("/record-schema/round-trip/%s", vmc_record_event_name(all_events[e]));
        g_test_add_data_func(path, GUINT_TO_POINTER(all_events[e]), test_round_trip);
    }
    g_test_add_func("/record-schema/scanner-reads-written", test_scanner_reads_written);
    g_test_add_func("/record-schema/nothing-set", test_nothing_set);
    g_test_add_func("/record-schema/golden", test_golden);
    g_test_add_func("/record-schema/old-logs", test_old_logs);
    g_test_add_func("/record-schema/wrong-kinds", test_wrong_kinds);
    return g_test_run();
}
