/* `report`'s aggregation: sums per identity, VM, local day and month; the
 * filters; open sessions classified live or unterminated; the open-set cap;
 * the X11 and sound streams' bytes and the sessions without the sandbox;
 * and the three outputs (no control byte in the table, JSON that parses
 * back, CSV that a spreadsheet cannot run). */
#include "admin-priv.h"
#include "audit-priv.h"
#include "vmc-assert.h"

#include <math.h>
#include <string.h>

#define HOUR_US (3600 * G_USEC_PER_SEC)
#define T(s) vmc_log_parse_time(s)

static VmcLogEntry
entry(VmcLogEvent event, const char *session, const char *identity, const char *vm,
      const char *time)
{
    VmcLogEntry e;
    memset(&e, 0, sizeof(e));
    e.event = event;
    e.session = session;
    e.identity = identity;
    e.vm = vm;
    e.time_us = T(time);
    e.start_us = e.rate_peak_time_us = -1;
    e.duration_s = e.bytes_total = e.viewer_exit = e.exit_code = -1;
    e.rate_mean = e.rate_peak = NAN;
    e.suppressed = e.first_us = -1;
    e.x11_stream.to_laptop = e.x11_stream.from_laptop = -1;
    e.audio_stream.to_laptop = e.audio_stream.from_laptop = -1;
    return e;
}

/* A start and its end: duration_s seconds, bytes, peak rate. */
static void
add_session(VmcReport *r, const char *id, const char *identity, const char *vm, const char *start,
            gint64 duration_s, gint64 bytes, double peak)
{
    VmcLogEntry s = entry(VMC_LOG_EVENT_START, id, identity, vm, start);
    vmc_report_add(r, &s);
    VmcLogEntry e = entry(VMC_LOG_EVENT_END, id, identity, vm, start);
    e.start_us = T(start);
    e.time_us = e.start_us + duration_s * G_USEC_PER_SEC;
    e.duration_s = duration_s;
    e.bytes_total = bytes;
    e.rate_peak = peak;
    e.rate_peak_time_us = e.start_us + 1;
    vmc_report_add(r, &e);
}

static void
add_start(VmcReport *r, const char *id, const char *identity, const char *vm, const char *time)
{
    VmcLogEntry s = entry(VMC_LOG_EVENT_START, id, identity, vm, time);
    vmc_report_add(r, &s);
}

static void
add_denied(VmcReport *r, const char *identity, const char *vm, const char *time)
{
    VmcLogEntry d = entry(VMC_LOG_EVENT_DENIED, NULL, identity, vm, time);
    vmc_report_add(r, &d);
}

/* A denied-summary record counting suppressed requests from first on. */
static void
add_summary(VmcReport *r, const char *identity, const char *first, const char *time,
            gint64 suppressed)
{
    VmcLogEntry d = entry(VMC_LOG_EVENT_DENIED_SUMMARY, NULL, identity, NULL, time);
    d.first_us = T(first);
    d.suppressed = suppressed;
    vmc_report_add(r, &d);
}

static gboolean
live_if_named(const char *host, const char *session, gpointer name)
{
    return strcmp(session, name) == 0;
}

static VmcReport *
sample_report(VmcReportBy by, GTimeZone *tz)
{
    VmcReportQuery q = {.by = by, .since_us = -1, .until_us = -1, .tz = tz};
    VmcReport *r = vmc_report_new(&q);
    add_session(r, "s1", "alice", "debianx", "2026-11-29T09:00:00.000Z", 3600, 1000, 50.0);
    add_session(r, "s2", "alice", "winxp", "2026-11-29T23:30:00.000Z", 1800, 2000, 80.0);
    add_session(r, "s3", "bob", "debianx", "2026-12-01T08:00:00.000Z", 7200, 4000, 20.0);
    add_start(r, "s4", "bob", "winxp", "2026-12-02T10:00:00.000Z");     /* the gateway died */
    add_start(r, "s5", "alice", "debianx", "2026-12-03T10:00:00.000Z"); /* still open */
    add_denied(r, "mallory", "debianx", "2026-11-29T12:00:00.000Z");
    add_denied(r, NULL, NULL, "2026-11-30T12:00:00.000Z");
    vmc_report_finish(r, live_if_named, (gpointer) "s5");
    return r;
}

static const VmcReportRow *
row(const VmcReport *r, guint i)
{
    const GPtrArray *rows = vmc_report_get_rows(r);
    g_assert_cmpuint(i, <, rows->len);
    return rows->pdata[i];
}

/* DENIED counts the requests a denied-summary counted, on the day of its
 * first one (it may be written days later); a summary without a count (-1,
 * a hostile record) counts nothing. */
static void
test_denied_summary(void)
{
    g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
    VmcReportQuery q = {.by = VMC_REPORT_BY_DAY, .since_us = -1, .until_us = -1, .tz = utc};
    g_autoptr(VmcReport) r = vmc_report_new(&q);
    for (guint i = 0; i < 10; i++)
        add_denied(r, "mallory", NULL, "2026-11-29T12:00:00.000Z");
    add_summary(r, "mallory", "2026-11-29T12:00:01.000Z", "2026-12-01T08:00:00.000Z", 9990);
    add_summary(r, "mallory", "2026-11-30T12:00:01.000Z", "2026-12-01T08:00:00.000Z", -1);
    vmc_report_finish(r, NULL, NULL);
    g_assert_cmpuint(vmc_report_get_rows(r)->len, ==, 1);
    g_assert_cmpstr(row(r, 0)->key, ==, "2026-11-29");
    g_assert_cmpuint(row(r, 0)->denied, ==, 10000);
    g_assert_cmpuint(vmc_report_get_total(r)->denied, ==, 10000);

    VmcReportQuery since = {.by = VMC_REPORT_BY_IDENTITY,
                            .since_us = T("2026-11-30T00:00:00Z"),
                            .until_us = -1,
                            .tz = utc};
    g_autoptr(VmcReport) later = vmc_report_new(&since);
    add_summary(later, "mallory", "2026-11-29T12:00:01.000Z", "2026-12-01T08:00:00.000Z", 9990);
    vmc_report_finish(later, NULL, NULL);
    g_assert_cmpuint(vmc_report_get_total(later)->denied, ==, 0);
}

static void
test_by_identity(void)
{
    g_autoptr(GTimeZone) tz = g_time_zone_new_utc();
    g_autoptr(VmcReport) r = sample_report(VMC_REPORT_BY_IDENTITY, tz);
    g_assert_cmpuint(vmc_report_get_rows(r)->len, ==, 4); /* "", alice, bob, mallory */
    g_assert_cmpstr(row(r, 0)->key, ==, "");
    g_assert_cmpuint(row(r, 0)->denied, ==, 1);
    const VmcReportRow *alice = row(r, 1);
    g_assert_cmpstr(alice->key, ==, "alice");
    g_assert_cmpuint(alice->sessions, ==, 3);
    g_assert_cmpuint(alice->ended, ==, 2);
    g_assert_cmpint(alice->seconds, ==, 5400);
    g_assert_cmpint(alice->bytes, ==, 3000);
    g_assert_cmpfloat(alice->rate_peak, ==, 80.0);
    g_assert_cmpint(alice->rate_peak_time_us, ==, T("2026-11-29T23:30:00.000Z") + 1);
    g_assert_cmpuint(alice->live, ==, 1);
    g_assert_cmpuint(alice->unterminated, ==, 0);
    const VmcReportRow *bob = row(r, 2);
    g_assert_cmpuint(bob->sessions, ==, 2);
    g_assert_cmpuint(bob->unterminated, ==, 1);
    g_assert_cmpuint(row(r, 3)->denied, ==, 1);
    const VmcReportRow *total = vmc_report_get_total(r);
    g_assert_cmpuint(total->sessions, ==, 5);
    g_assert_cmpint(total->seconds, ==, 12600);
    g_assert_cmpint(total->bytes, ==, 7000);
    g_assert_cmpuint(total->denied, ==, 2);
    g_assert_cmpuint(total->unterminated, ==, 1);
    g_assert_cmpuint(total->live, ==, 1);
    const GPtrArray *open = vmc_report_get_open(r);
    g_assert_cmpuint(open->len, ==, 2);
    g_assert_cmpstr(((VmcReportOpen *)open->pdata[0])->session, ==, "s4");
    g_assert_false(((VmcReportOpen *)open->pdata[0])->live);
    g_assert_true(((VmcReportOpen *)open->pdata[1])->live);
}

/* Days and months are the local ones where the session started: 23:30 UTC
 * is the next day at UTC+1. */
static void
test_by_day_month_local(void)
{
    g_autoptr(GTimeZone) plus1 = g_time_zone_new_offset(3600);
    g_autoptr(VmcReport) days = sample_report(VMC_REPORT_BY_DAY, plus1);
    const char *keys[] = {"2026-11-29", "2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03"};
    g_assert_cmpuint(vmc_report_get_rows(days)->len, ==, G_N_ELEMENTS(keys));
    for (guint i = 0; i < G_N_ELEMENTS(keys); i++)
        g_assert_cmpstr(row(days, i)->key, ==, keys[i]);
    g_assert_cmpint(row(days, 0)->seconds, ==, 3600);
    g_assert_cmpuint(row(days, 0)->denied, ==, 1);
    g_assert_cmpint(row(days, 1)->seconds, ==, 1800); /* s2, local Nov 30 */
    g_assert_cmpuint(row(days, 1)->denied, ==, 1);

    g_autoptr(VmcReport) months = sample_report(VMC_REPORT_BY_MONTH, plus1);
    g_assert_cmpuint(vmc_report_get_rows(months)->len, ==, 2);
    g_assert_cmpstr(row(months, 0)->key, ==, "2026-11");
    g_assert_cmpint(row(months, 0)->seconds, ==, 5400);
    g_assert_cmpstr(row(months, 1)->key, ==, "2026-12");
    g_assert_cmpuint(row(months, 1)->unterminated, ==, 1);

    g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
    g_autoptr(VmcReport) utc_days = sample_report(VMC_REPORT_BY_DAY, utc);
    g_assert_cmpint(row(utc_days, 0)->seconds, ==, 5400); /* both on Nov 29 in UTC */
}

static void
test_filters(void)
{
    g_autoptr(GTimeZone) tz = g_time_zone_new_utc();
    const char *alice[] = {"alice", NULL};
    const char *debianx[] = {"debianx", NULL};
    VmcReportQuery q = {.by = VMC_REPORT_BY_VM,
                        .since_us = T("2026-11-29T10:00:00Z"),
                        .until_us = T("2026-12-03T10:00:00Z"),
                        .tz = tz};
    g_autoptr(VmcReport) r = vmc_report_new(&q);
    add_session(r, "s1", "alice", "debianx", "2026-11-29T09:59:59.999Z", 60, 1, 1.0);
    add_session(r, "s2", "alice", "debianx", "2026-11-29T10:00:00.000Z", 60, 2, 1.0);
    add_session(r, "s3", "alice", "debianx", "2026-12-03T09:59:59.999Z", 60, 4, 1.0);
    add_session(r, "s4", "alice", "debianx", "2026-12-03T10:00:00.000Z", 60, 8, 1.0);
    vmc_report_finish(r, NULL, NULL);
    g_assert_cmpint(vmc_report_get_total(r)->bytes, ==, 6);

    q.since_us = q.until_us = -1;
    q.identities = alice;
    q.vms = debianx;
    g_autoptr(VmcReport) f = vmc_report_new(&q);
    add_session(f, "a", "alice", "debianx", "2026-11-29T10:00:00Z", 60, 1, 1.0);
    add_session(f, "b", "alice", "winxp", "2026-11-29T10:00:00Z", 60, 2, 1.0);
    add_session(f, "c", "bob", "debianx", "2026-11-29T10:00:00Z", 60, 4, 1.0);
    add_start(f, "d", "bob", "debianx", "2026-11-29T10:00:00Z");
    add_denied(f, "alice", NULL, "2026-11-29T10:00:00Z");
    add_denied(f, "alice", "debianx", "2026-11-29T10:00:00Z");
    vmc_report_finish(f, NULL, NULL);
    g_assert_cmpint(vmc_report_get_total(f)->bytes, ==, 1);
    g_assert_cmpuint(vmc_report_get_total(f)->unterminated, ==, 0);
    g_assert_cmpuint(vmc_report_get_total(f)->denied, ==, 1);
}

/* An end without a start (the log was rotated) counts; an end removes its
 * start from the open set even when the start was in another key. */
static void
test_end_without_start(void)
{
    g_autoptr(GTimeZone) tz = g_time_zone_new_utc();
    VmcReportQuery q = {.by = VMC_REPORT_BY_IDENTITY, .since_us = -1, .until_us = -1, .tz = tz};
    g_autoptr(VmcReport) r = vmc_report_new(&q);
    VmcLogEntry e = entry(VMC_LOG_EVENT_END, "x", "alice", "debianx", "2026-11-29T10:00:00Z");
    e.duration_s = 10;
    vmc_report_add(r, &e);
    vmc_report_finish(r, NULL, NULL);
    g_assert_cmpuint(vmc_report_get_total(r)->ended, ==, 1);
    g_assert_cmpint(vmc_report_get_total(r)->seconds, ==, 10);
    g_assert_cmpint(vmc_report_get_total(r)->bytes, ==, 0);
    g_assert_true(isnan(vmc_report_get_total(r)->rate_peak));
}

static void
test_open_cap(void)
{
    g_autoptr(GTimeZone) tz = g_time_zone_new_utc();
    VmcReportQuery q = {.by = VMC_REPORT_BY_VM, .since_us = -1, .until_us = -1, .tz = tz};
    g_autoptr(VmcReport) r = vmc_report_new(&q);
    for (guint i = 0; i < VMC_REPORT_MAX_OPEN + 5; i++) {
        char id[32];
        g_snprintf(id, sizeof(id), "s%u", i);
        add_start(r, id, "alice", "debianx", "2026-11-29T10:00:00Z");
    }
    vmc_report_finish(r, NULL, NULL);
    g_assert_cmpuint(vmc_report_get_n_untracked(r), ==, 5);
    g_assert_cmpuint(vmc_report_get_total(r)->unterminated, ==, VMC_REPORT_MAX_OPEN);
    g_assert_cmpuint(vmc_report_get_open(r)->len, ==, VMC_REPORT_MAX_LISTED);
    g_autofree char *table = vmc_report_format_table(r, tz);
    vmc_assert_contains(table, "5 starts were not tracked");
}

/* At the row cap, the records of later keys are in the total only, and the
 * table and the JSON say how many. */
static void
test_row_cap(void)
{
    g_autoptr(GTimeZone) tz = g_time_zone_new_utc();
    VmcReportQuery q = {.by = VMC_REPORT_BY_IDENTITY, .since_us = -1, .until_us = -1, .tz = tz};
    g_autoptr(VmcReport) r = vmc_report_new(&q);
    for (guint i = 0; i < VMC_REPORT_MAX_ROWS + 3; i++) {
        char identity[32];
        g_snprintf(identity, sizeof(identity), "u%u", i);
        add_denied(r, identity, "debianx", "2026-11-29T10:00:00Z");
    }
    add_denied(r, "u0", "debianx", "2026-11-29T10:00:01Z"); /* a key with a row still counts */
    vmc_report_finish(r, NULL, NULL);
    g_assert_cmpuint(vmc_report_get_rows(r)->len, ==, VMC_REPORT_MAX_ROWS);
    g_assert_cmpuint(vmc_report_get_total(r)->denied, ==, VMC_REPORT_MAX_ROWS + 4);
    g_autofree char *table = vmc_report_format_table(r, tz);
    vmc_assert_contains(table, "(3 records are in the total only: more than 100000 keys)");
    g_autofree char *json = vmc_report_format_json(r, 0, NULL);
    g_autoptr(JsonParser) parser = json_parser_new();
    g_assert_true(json_parser_load_from_data(parser, json, -1, NULL));
    JsonObject *root = json_node_get_object(json_parser_get_root(parser));
    g_assert_cmpint(json_object_get_int_member(root, "records_not_in_a_row"), ==, 3);
    g_assert_cmpuint(json_array_get_length(json_object_get_array_member(root, "rows")), ==,
                     VMC_REPORT_MAX_ROWS);
}

/* By mode: the start record's "mode" decides the row of its end and of an
 * open session; a start without one (older records) and denials are x11. */
static void
test_by_mode(void)
{
    g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
    VmcReportQuery q = {.by = VMC_REPORT_BY_MODE, .since_us = -1, .until_us = -1, .tz = utc};
    g_autoptr(VmcReport) r = vmc_report_new(&q);
    const struct {
        const char *id;
        const char *mode;
        gint64 bytes;
    } sessions[] = {
        {"n1", "native", 100}, {"n2", "native", 200}, {"x1", "x11", 1000}, {"o1", NULL, 5000}};
    for (guint i = 0; i < G_N_ELEMENTS(sessions); i++) {
        VmcLogEntry s = entry(VMC_LOG_EVENT_START, sessions[i].id, "alice", "debianx",
                              "2026-11-29T09:00:00.000Z");
        s.mode = sessions[i].mode;
        vmc_report_add(r, &s);
        VmcLogEntry e = entry(VMC_LOG_EVENT_END, sessions[i].id, "alice", "debianx",
                              "2026-11-29T10:00:00.000Z");
        e.duration_s = 3600;
        e.bytes_total = sessions[i].bytes;
        vmc_report_add(r, &e);
    }
    VmcLogEntry open = entry(VMC_LOG_EVENT_START, "n3", "bob", "winxp", "2026-11-30T09:00:00.000Z");
    open.mode = "native";
    vmc_report_add(r, &open);
    add_denied(r, "mallory", "debianx", "2026-11-29T12:00:00.000Z");
    vmc_report_finish(r, NULL, NULL);
    g_assert_cmpuint(vmc_report_get_rows(r)->len, ==, 2);
    g_assert_cmpstr(row(r, 0)->key, ==, "native");
    g_assert_cmpuint(row(r, 0)->sessions, ==, 3);
    g_assert_cmpuint(row(r, 0)->ended, ==, 2);
    g_assert_cmpint(row(r, 0)->bytes, ==, 300);
    g_assert_cmpuint(row(r, 0)->unterminated, ==, 1);
    g_assert_cmpuint(row(r, 0)->denied, ==, 0);
    g_assert_cmpstr(row(r, 1)->key, ==, "x11");
    g_assert_cmpuint(row(r, 1)->sessions, ==, 2);
    g_assert_cmpint(row(r, 1)->bytes, ==, 6000);
    g_assert_cmpuint(row(r, 1)->denied, ==, 1);
}

static void
test_by_parse(void)
{
    VmcReportBy by;
    g_assert_true(vmc_report_by_parse(NULL, &by) && by == VMC_REPORT_BY_IDENTITY);
    g_assert_true(vmc_report_by_parse("month", &by) && by == VMC_REPORT_BY_MONTH);
    g_assert_true(vmc_report_by_parse("vm", &by) && by == VMC_REPORT_BY_VM);
    g_assert_true(vmc_report_by_parse("mode", &by) && by == VMC_REPORT_BY_MODE);
    g_assert_false(vmc_report_by_parse("Mode", &by));
    g_assert_false(vmc_report_by_parse("week", &by));
    g_assert_false(vmc_report_by_parse("", &by));
}

/* ---- outputs ---- */

static VmcReport *
hostile_report(GTimeZone *tz)
{
    VmcReportQuery q = {.by = VMC_REPORT_BY_IDENTITY, .since_us = -1, .until_us = -1, .tz = tz};
    VmcReport *r = vmc_report_new(&q);
    add_session(r, "s1", "ev\033[2J\033]0;x\007il\xc2\x9b", "debianx", "2026-11-29T10:00:00Z", 4000,
                G_GINT64_CONSTANT(1288490189), 2e6);
    add_start(r, "s2\033[31m", "=cmd|' /C calc'!A0", "debianx", "2026-11-29T11:00:00Z");
    vmc_report_finish(r, NULL, NULL);
    return r;
}

static void
assert_printable(const char *text)
{
    for (const char *p = text; *p != '\0'; p++)
        if (*p != '\n' && ((guchar)*p < 0x20 || (guchar)*p >= 0x7f))
            g_error("byte 0x%02x at %d in:\n%s", (guchar)*p, (int)(p - text), text);
}

static void
test_table(void)
{
    g_autoptr(GTimeZone) tz = g_time_zone_new_utc();
    g_autoptr(VmcReport) r = hostile_report(tz);
    g_autofree char *table = vmc_report_format_table(r, tz);
    assert_printable(table);
    vmc_assert_contains(table, "ev\\e[2J\\e]0;x\\x07il");
    vmc_assert_contains(table, "1.2 GiB");
    vmc_assert_contains(table, "1.11"); /* hours */
    vmc_assert_contains(table, "1 (!)");
    vmc_assert_contains(table, "UNTERMINATED (!): 1 session(s)");
    vmc_assert_contains(table, "s2\\e[31m");
    vmc_assert_contains(table, "2026-11-29 11:00:00");
    vmc_assert_contains(table, "(total)");
}

static void
test_json(void)
{
    g_autoptr(GTimeZone) tz = g_time_zone_new_utc();
    g_autoptr(VmcReport) r = hostile_report(tz);
    g_autoptr(GArray) damaged = g_array_new(FALSE, FALSE, sizeof(guint64));
    guint64 three = 3;
    g_array_append_val(damaged, three);
    g_autofree char *text = vmc_report_format_json(r, 1, damaged);
    assert_printable(text); /* C0, C1 and DEL as \uXXXX; other UTF-8 would be fine */
    g_autoptr(JsonParser) parser = json_parser_new();
    g_assert_true(json_parser_load_from_data(parser, text, -1, NULL));
    JsonObject *root = json_node_get_object(json_parser_get_root(parser));
    JsonArray *rows = json_object_get_array_member(root, "rows");
    g_assert_cmpuint(json_array_get_length(rows), ==, 2);
    JsonObject *evil = json_array_get_object_element(rows, 1);
    g_assert_cmpstr(json_object_get_string_member(evil, "key"), ==,
                    "ev\033[2J\033]0;x\007il\xc2\x9b");
    g_assert_cmpint(json_object_get_int_member(evil, "bytes"), ==, 1288490189);
    g_assert_cmpint(json_object_get_int_member(evil, "seconds"), ==, 4000);
    g_assert_cmpstr(json_object_get_string_member(evil, "rate_peak_time"), ==,
                    "2026-11-29T10:00:00.000Z");
    JsonObject *open =
        json_array_get_object_element(json_object_get_array_member(root, "open_sessions"), 0);
    g_assert_true(json_object_get_boolean_member(open, "unterminated"));
    g_assert_cmpstr(json_object_get_string_member(open, "start"), ==, "2026-11-29T11:00:00.000Z");
    g_assert_cmpint(json_object_get_int_member(root, "damaged_lines"), ==, 1);
    g_assert_true(json_object_get_null_member(root, "since"));
}

static void
test_csv(void)
{
    g_autoptr(GTimeZone) tz = g_time_zone_new_utc();
    g_autoptr(VmcReport) r = hostile_report(tz);
    g_autofree char *csv = vmc_report_format_csv(r);
    assert_printable(csv);
    g_auto(GStrv) lines = g_strsplit(csv, "\n", -1);
    g_assert_cmpuint(g_strv_length(lines), ==, 4); /* header, 2 rows, "" */
    g_assert_true(g_str_has_prefix(lines[0], "identity,sessions,ended,seconds,hours,bytes,"));
    g_assert_true(g_str_has_prefix(lines[1], "\"'=cmd|' /C calc'!A0\",1,0,0,0.0000,0,,,,0,1,0"));
    g_assert_true(g_str_has_prefix(lines[2], "ev\\e[2J\\e]0;x\\x07il\\xc2\\x9b,1,1,4000,1.1111,"
                                             "1288490189,322122.5,2000000.0,"));
}

/* ---- the streams and the sandbox ---- */

/* A session whose start says sandbox (NULL: an older record) and whose end
 * counts the X11 and sound streams (-1: the record lacks that count). */
static void
add_stream_session(VmcReport *r, const char *id, const char *identity, const char *sandbox,
                   gint64 x11_to, gint64 x11_from, gint64 audio_to, gint64 audio_from)
{
    VmcLogEntry s = entry(VMC_LOG_EVENT_START, id, identity, "debianx", "2026-11-29T10:00:00Z");
    s.sandbox = sandbox;
    vmc_report_add(r, &s);
    VmcLogEntry e = entry(VMC_LOG_EVENT_END, id, identity, "debianx", "2026-11-29T10:01:00Z");
    e.duration_s = 60;
    e.bytes_total = 100;
    e.x11_stream = (VmcLogStreamBytes){x11_to, x11_from};
    e.audio_stream = (VmcLogStreamBytes){audio_to, audio_from};
    vmc_report_add(r, &e);
}

static VmcReport *
streams_report(GTimeZone *tz)
{
    VmcReportQuery q = {.by = VMC_REPORT_BY_IDENTITY, .since_us = -1, .until_us = -1, .tz = tz};
    VmcReport *r = vmc_report_new(&q);
    /* alice: the sandbox on, X11 always, sound once (one way known only) */
    add_stream_session(r, "a1", "alice", "on", 5000, 300, -1, -1);
    add_stream_session(r, "a2", "alice", "on", 7000, 700, 4000, -1);
    /* bob: the sandbox off (no X11 stream), sound; an older record; and
     * an open session with the sandbox off */
    add_stream_session(r, "b1", "bob", "off", -1, -1, 1000, 24);
    add_stream_session(r, "b2", "bob", NULL, -1, -1, -1, -1);
    VmcLogEntry open = entry(VMC_LOG_EVENT_START, "b3", "bob", "winxp", "2026-11-29T11:00:00Z");
    open.sandbox = "off";
    vmc_report_add(r, &open);
    /* carol: an end without its start (the sandbox unknown), and a value
     * no reader gives (a "sandbox" that is neither on nor off) */
    VmcLogEntry lone = entry(VMC_LOG_EVENT_END, "c1", "carol", "debianx", "2026-11-29T10:00:00Z");
    lone.x11_stream = (VmcLogStreamBytes){-1, 9};
    vmc_report_add(r, &lone);
    add_stream_session(r, "c2", "carol", "OFF", 1, 1, -1, -1);
    vmc_report_finish(r, NULL, NULL);
    return r;
}

static void
test_streams_and_sandbox(void)
{
    g_autoptr(GTimeZone) tz = g_time_zone_new_utc();
    g_autoptr(VmcReport) r = streams_report(tz);
    const VmcReportRow *alice = row(r, 0), *bob = row(r, 1), *carol = row(r, 2);
    g_assert_cmpstr(alice->key, ==, "alice");
    g_assert_cmpint(alice->x11_bytes, ==, 13000);
    g_assert_cmpint(alice->audio_bytes, ==, 4000);
    g_assert_cmpuint(alice->sandbox_off, ==, 0);
    g_assert_cmpint(alice->bytes, ==, 200); /* Spice's bytes are Spice's alone */
    g_assert_cmpint(bob->x11_bytes, ==, -1);
    g_assert_cmpint(bob->audio_bytes, ==, 1024);
    g_assert_cmpuint(bob->sandbox_off, ==, 2); /* b1 ended, b3 open */
    g_assert_cmpuint(bob->unterminated, ==, 1);
    g_assert_cmpint(carol->x11_bytes, ==, 11);
    g_assert_cmpint(carol->audio_bytes, ==, -1);
    g_assert_cmpuint(carol->sandbox_off, ==, 0);
    const VmcReportRow *total = vmc_report_get_total(r);
    g_assert_cmpint(total->x11_bytes, ==, 13011);
    g_assert_cmpint(total->audio_bytes, ==, 5024);
    g_assert_cmpuint(total->sandbox_off, ==, 2);

    /* an older log: nothing known */
    g_autoptr(VmcReport) old = sample_report(VMC_REPORT_BY_IDENTITY, tz);
    g_assert_cmpint(vmc_report_get_total(old)->x11_bytes, ==, -1);
    g_assert_cmpint(vmc_report_get_total(old)->audio_bytes, ==, -1);
    g_assert_cmpuint(vmc_report_get_total(old)->sandbox_off, ==, 0);
}

/* Sums of the largest counts the reader passes (18 digits) stop at
 * G_MAXINT64 instead of wrapping around. */
static void
test_streams_saturate(void)
{
    g_autoptr(GTimeZone) tz = g_time_zone_new_utc();
    VmcReportQuery q = {.by = VMC_REPORT_BY_VM, .since_us = -1, .until_us = -1, .tz = tz};
    g_autoptr(VmcReport) r = vmc_report_new(&q);
    const gint64 big = G_GINT64_CONSTANT(999999999999999999);
    for (guint i = 0; i < 20; i++) {
        char id[16];
        g_snprintf(id, sizeof(id), "s%u", i);
        add_stream_session(r, id, "alice", "on", big, big, big, 0);
    }
    vmc_report_finish(r, NULL, NULL);
    const VmcReportRow *total = vmc_report_get_total(r);
    g_assert_cmpint(total->x11_bytes, ==, G_MAXINT64);
    g_assert_cmpint(total->audio_bytes, ==, G_MAXINT64);
    g_assert_cmpint(row(r, 0)->x11_bytes, ==, G_MAXINT64);
    g_autofree char *table = vmc_report_format_table(r, tz);
    vmc_assert_contains(table, "8.0 EiB");
}

static void
test_streams_outputs(void)
{
    g_autoptr(GTimeZone) tz = g_time_zone_new_utc();
    g_autoptr(VmcReport) r = streams_report(tz);
    g_autofree char *table = vmc_report_format_table(r, tz);
    assert_printable(table);
    vmc_assert_contains(table, "DENIED  UNTERMINATED  X11 BYTES  AUDIO BYTES  SANDBOX OFF\n");
    g_auto(GStrv) lines = g_strsplit(table, "\n", -1);
    const char *want[] = {
        "alice     2         0.03   200 B  2 B/s      -          0       0             13 KiB     "
        "3.9 KiB      0",
        "bob       3         0.03   200 B  2 B/s      -          0       1 (!)         -          "
        "1.0 KiB      2 (!)",
        "carol     2         0.02   100 B  2 B/s      -          0       0             11 B       -"
        "            0",
        "(total)   7         0.08   500 B  2 B/s      -          0       1 (!)         13 KiB     "
        "4.9 KiB      2 (!)",
    };
    for (guint i = 0; i < G_N_ELEMENTS(want); i++)
        if (!g_strv_contains((const char *const *)lines, want[i]))
            g_error("no line '%s' in:\n%s", want[i], table);

    g_autofree char *json = vmc_report_format_json(r, 0, NULL);
    g_autoptr(JsonParser) parser = json_parser_new();
    g_assert_true(json_parser_load_from_data(parser, json, -1, NULL));
    JsonObject *root = json_node_get_object(json_parser_get_root(parser));
    JsonArray *rows = json_object_get_array_member(root, "rows");
    JsonObject *bob = json_array_get_object_element(rows, 1);
    g_assert_true(json_object_get_null_member(bob, "x11_bytes"));
    g_assert_cmpint(json_object_get_int_member(bob, "audio_bytes"), ==, 1024);
    g_assert_cmpint(json_object_get_int_member(bob, "sandbox_off"), ==, 2);
    JsonObject *total = json_object_get_object_member(root, "total");
    g_assert_cmpint(json_object_get_int_member(total, "x11_bytes"), ==, 13011);
    g_assert_cmpint(json_object_get_int_member(total, "audio_bytes"), ==, 5024);
    /* the new members come after the older ones */
    g_autoptr(GList) members = json_object_get_members(bob);
    const char *const order[] = {
        "key",          "sessions",  "ended",     "seconds",        "hours",
        "bytes",        "rate_mean", "rate_peak", "rate_peak_time", "denied",
        "unterminated", "live",      "x11_bytes", "audio_bytes",    "sandbox_off"};
    g_assert_cmpuint(g_list_length(members), ==, G_N_ELEMENTS(order));
    guint i = 0;
    for (GList *l = members; l != NULL; l = l->next, i++)
        g_assert_cmpstr(l->data, ==, order[i]);

    g_autofree char *csv = vmc_report_format_csv(r);
    g_auto(GStrv) csv_lines = g_strsplit(csv, "\n", -1);
    g_assert_cmpstr(csv_lines[0], ==,
                    "identity,sessions,ended,seconds,hours,bytes,rate_mean,"
                    "rate_peak,rate_peak_time,denied,unterminated,live,"
                    "x11_bytes,audio_bytes,sandbox_off");
    g_assert_true(g_str_has_suffix(csv_lines[1], ",0,0,0,13000,4000,0")); /* alice */
    g_assert_true(g_str_has_suffix(csv_lines[2], ",0,1,0,,1024,2"));      /* bob */
    g_assert_true(g_str_has_suffix(csv_lines[3], ",0,0,0,11,,0"));        /* carol */
}

/* live for kvm1's s1 only */
static gboolean
live_if_kvm1_s1(const char *host, const char *session, gpointer data)
{
    return g_strcmp0(host, "kvm1") == 0 && strcmp(session, "s1") == 0;
}

/* Records of several hosts: a session is its host's and id's (the same id
 * on two hosts is two sessions, ended or open), --by host keys rows by the
 * record's "host" ("" for records older than it). */
static void
test_hosts(void)
{
    g_autoptr(GTimeZone) tz = g_time_zone_new_utc();
    VmcReportQuery q = {.by = VMC_REPORT_BY_HOST, .since_us = -1, .until_us = -1, .tz = tz};
    g_autoptr(VmcReport) r = vmc_report_new(&q);
    const char *hosts[] = {"kvm1", "kvm2"};
    for (guint h = 0; h < 2; h++) {
        VmcLogEntry s =
            entry(VMC_LOG_EVENT_START, "s1", "alice", "debianx", "2026-11-29T09:00:00.000Z");
        s.host = hosts[h];
        vmc_report_add(r, &s);
    }
    /* kvm2's s1 ends; kvm1's s1 stays open (live: its lock) */
    VmcLogEntry e = entry(VMC_LOG_EVENT_END, "s1", "alice", "debianx", "2026-11-29T10:00:00.000Z");
    e.host = "kvm2";
    e.start_us = T("2026-11-29T09:00:00.000Z");
    e.duration_s = 3600;
    e.bytes_total = 3600;
    vmc_report_add(r, &e);
    /* an older record without a host, and a denial on kvm3 */
    VmcLogEntry old = entry(VMC_LOG_EVENT_END, "s9", "bob", "winxp", "2026-11-28T10:00:00.000Z");
    old.duration_s = 10;
    old.bytes_total = 10;
    vmc_report_add(r, &old);
    VmcLogEntry denied =
        entry(VMC_LOG_EVENT_DENIED, NULL, "mallory", "debianx", "2026-11-29T11:00:00.000Z");
    denied.host = "kvm3";
    vmc_report_add(r, &denied);
    vmc_report_finish(r, live_if_kvm1_s1, NULL);

    const GPtrArray *rows = vmc_report_get_rows(r);
    g_assert_cmpuint(rows->len, ==, 4);
    const VmcReportRow *none = rows->pdata[0], *kvm1 = rows->pdata[1], *kvm2 = rows->pdata[2],
                       *kvm3 = rows->pdata[3];
    g_assert_cmpstr(none->key, ==, "");
    g_assert_cmpuint(none->ended, ==, 1);
    g_assert_cmpstr(kvm1->key, ==, "kvm1");
    g_assert_cmpuint(kvm1->sessions, ==, 1);
    g_assert_cmpuint(kvm1->ended, ==, 0);
    g_assert_cmpuint(kvm1->live, ==, 1);
    g_assert_cmpstr(kvm2->key, ==, "kvm2");
    g_assert_cmpuint(kvm2->sessions, ==, 1);
    g_assert_cmpuint(kvm2->ended, ==, 1);
    g_assert_cmpuint(kvm2->unterminated + kvm2->live, ==, 0);
    g_assert_cmpstr(kvm3->key, ==, "kvm3");
    g_assert_cmpuint(kvm3->denied, ==, 1);
    const GPtrArray *open = vmc_report_get_open(r);
    g_assert_cmpuint(open->len, ==, 1);
    g_assert_cmpstr(((const VmcReportOpen *)open->pdata[0])->host, ==, "kvm1");
    g_autofree char *json = vmc_report_format_json(r, 0, NULL);
    g_autoptr(JsonParser) parser = json_parser_new();
    g_assert_true(json_parser_load_from_data(parser, json, -1, NULL));
    JsonObject *root = json_node_get_object(json_parser_get_root(parser));
    JsonObject *first =
        json_array_get_object_element(json_object_get_array_member(root, "open_sessions"), 0);
    g_assert_cmpstr(json_object_get_string_member(first, "host"), ==, "kvm1");
    g_autofree char *table = vmc_report_format_table(r, tz);
    g_assert_true(g_str_has_prefix(table, "report by host"));
    vmc_assert_contains(table, "\nHOST ");
}

/* The key of a record across logs: copies alike, any field apart differs. */
static void
test_entry_key(void)
{
    VmcLogEntry a = entry(VMC_LOG_EVENT_END, "s1", "alice", "debianx", "2026-11-29T10:00:00.000Z");
    a.host = "kvm1";
    a.client = "192.0.2.7 50000";
    VmcLogEntry copy = a;
    copy.line_number = 99;
    copy.bytes_total = 5; /* not part of the key: a copy is the same record */
    g_assert_cmpuint(vmc_audit_entry_key(&a), ==, vmc_audit_entry_key(&copy));
    VmcLogEntry other[6];
    for (guint i = 0; i < G_N_ELEMENTS(other); i++)
        other[i] = a;
    other[0].host = "kvm2";
    other[1].session = "s2";
    other[2].event = VMC_LOG_EVENT_START;
    other[3].time_us += 1000;
    other[4].host = NULL;
    other[5].identity = "alicf";
    for (guint i = 0; i < G_N_ELEMENTS(other); i++)
        g_assert_cmpuint(vmc_audit_entry_key(&a), !=, vmc_audit_entry_key(&other[i]));
    /* parts do not run together: ("ab", "c") is not ("a", "bc") */
    VmcLogEntry x = a, y = a;
    x.host = "kvm1s";
    x.session = "1";
    y.host = "kvm1";
    y.session = "s1";
    g_assert_cmpuint(vmc_audit_entry_key(&x), !=, vmc_audit_entry_key(&y));
    g_autofree char *key = vmc_audit_session_key("kvm1", "s1");
    g_autofree char *no_host = vmc_audit_session_key(NULL, "s1");
    g_assert_cmpstr(key, ==, "kvm1\x1fs1");
    g_assert_cmpstr(no_host, ==, "\x1fs1");
    g_assert_true(vmc_audit_host_is_here(NULL));
    g_assert_true(vmc_audit_host_is_here(g_get_host_name()));
    g_assert_false(vmc_audit_host_is_here("another-host.example"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/report/by-identity", test_by_identity);
    g_test_add_func("/report/by-day-month-local", test_by_day_month_local);
    g_test_add_func("/report/filters", test_filters);
    g_test_add_func("/report/end-without-start", test_end_without_start);
    g_test_add_func("/report/open-cap", test_open_cap);
    g_test_add_func("/report/row-cap", test_row_cap);
    g_test_add_func("/report/by-parse", test_by_parse);
    g_test_add_func("/report/by-mode", test_by_mode);
    g_test_add_func("/report/denied-summary", test_denied_summary);
    g_test_add_func("/report/streams-and-sandbox", test_streams_and_sandbox);
    g_test_add_func("/report/streams-saturate", test_streams_saturate);
    g_test_add_func("/report/streams-outputs", test_streams_outputs);
    g_test_add_func("/report/table", test_table);
    g_test_add_func("/report/json", test_json);
    g_test_add_func("/report/csv", test_csv);
    g_test_add_func("/report/hosts", test_hosts);
    g_test_add_func("/report/entry-key", test_entry_key);
    return g_test_run();
}
