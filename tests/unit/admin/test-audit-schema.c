/* test-audit-schema.c — show and plot read the records by the record
 * schema: a start and an end record with every field set, written by the
 * schema's writer, come back in the session field by field; and every field
 * a start or end record has either changes what `show` prints (text or
 * JSON) or is on the list of those it does not show — so a field added to
 * the records is shown or consciously left out, never silently dropped. */
#include <math.h>
#include <string.h>

#include "audit-priv.h"
#include "record-fill.h"

#define ID "0123456789abcdef0123456789abcdef"

/* Written for the record only: show prints none of them (the log keeps
 * them for people and jq). A path is "EVENT.FIELD" as record_blank() names
 * the field. */
static const char *const not_shown[] = {
    "start.file_transfer",
    "start.clipboard",
    "start.audio_authenticated",
    "start.audio_server",
    "start.audio_error",
    "start.microphone",
    "start.usb",
    "start.viewer",
    "start.stale_session",
    "start.swept_sessions",
    "start.truncated",
    "end.viewer_log",
    "end.audio_authenticated",
    "end.audio_server",
    "end.audio_error",
    "end.agent.file_transfer_dropped",
    "end.agent.clipboard_to_vm_dropped",
    "end.agent.clipboard_from_vm_dropped",
    "end.agent.bytes_dropped_to_vm",
    "end.agent.bytes_dropped_from_vm",
    "end.agent.bytes_injected_to_vm",
    "end.agent.bytes_injected_from_vm",
    "end.agent.refused",
    "end.truncated",
    "end.rate_mean", /* the gateway's own; readers show vmc_log_mean_rate() */
};

/* A record of event with every field set, of the session ID. */
static void
full_record(VmcRecordFields *fields, VmcLogEvent event)
{
    record_fill(fields, event, event == VMC_LOG_EVENT_START ? 0 : 500);
    VmcRecordWho *who = event == VMC_LOG_EVENT_START ? &fields->start.who : &fields->end.who;
    g_free(who->session);
    who->session = g_strdup(ID);
}

static char *
line_of(const VmcRecordFields *fields)
{
    g_autoptr(VmcRecord) record = vmc_record_new_from_fields(fields);
    gsize length;
    char *line = vmc_record_to_line(record, &length);
    line[length - 1] = '\0';
    return line;
}

static VmcAuditSession *
session_of(const VmcRecordFields *const *records, guint n)
{
    VmcAuditSession *session = vmc_audit_session_new(ID);
    for (guint i = 0; i < n; i++) {
        g_autofree char *line = line_of(records[i]);
        g_assert_true(vmc_audit_session_add_line(session, line, strlen(line), i + 1));
    }
    return session;
}

static void
assert_samples(const GArray *shown, const GArray *samples)
{
    g_assert_nonnull(shown);
    g_assert_cmpuint(shown->len, ==, samples->len);
    for (guint i = 0; i < samples->len; i++)
        g_assert_cmpfloat(g_array_index(shown, double, i), ==,
                          (double)g_array_index(samples, gint64, i));
}

/* The named series of named (VmcRecordSamples) called name. */
static const GArray *
samples_named(const GPtrArray *named, const char *name)
{
    for (guint i = 0; i < named->len; i++) {
        const VmcRecordSamples *series = named->pdata[i];
        if (strcmp(series->name, name) == 0)
            return series->samples;
    }
    g_error("no series '%s'", name);
}

static void
assert_channels(const VmcAuditSession *s, const VmcRecordEnd *end)
{
    g_assert_cmpuint(s->channels->len, ==, end->channels->len);
    for (guint i = 0; i < end->channels->len; i++) {
        const VmcRecordChannel *c = end->channels->pdata[i];
        const VmcAuditChannel *shown = s->channels->pdata[i];
        g_assert_cmpstr(shown->name, ==, c->name);
        g_assert_cmpint(shown->to_vm, ==, c->to_vm);
        g_assert_cmpint(shown->from_vm, ==, c->from_vm);
        g_assert_cmpint(shown->connections, ==, c->connections);
        assert_samples(shown->series, samples_named(end->series.channels, c->name));
    }
}

static void
assert_streams(const VmcAuditSession *s, const VmcRecordEnd *end)
{
    g_assert_cmpuint(s->streams->len, ==, end->streams->len);
    for (guint i = 0; i < end->streams->len; i++) {
        const VmcRecordStream *t = end->streams->pdata[i];
        const VmcAuditStream *shown = s->streams->pdata[i];
        g_assert_cmpstr(shown->name, ==, t->name);
        g_assert_cmpint(shown->to_laptop, ==, t->to_laptop);
        g_assert_cmpint(shown->from_laptop, ==, t->from_laptop);
        g_assert_cmpint(shown->connections, ==, t->connections);
        g_assert_cmpint(shown->failed, ==, t->failed);
        g_assert_cmpfloat(shown->rate_mean, ==, t->rate_mean);
        g_assert_cmpfloat(shown->rate_peak, ==, t->rate_peak);
        g_assert_cmpint(shown->rate_peak_time_us, ==, t->rate_peak_time);
        assert_samples(shown->series, samples_named(end->series.streams, t->name));
    }
}

/* Every field of both records, as show and plot have them: the end
 * record's say over the start's where both have one. */
static void
test_every_field(void)
{
    g_auto(VmcRecordFields) start = {0}, end = {0};
    full_record(&start, VMC_LOG_EVENT_START);
    full_record(&end, VMC_LOG_EVENT_END);
    g_autoptr(VmcAuditSession) s = session_of((const VmcRecordFields *const[]){&start, &end}, 2);
    const VmcRecordStart *a = &start.start;
    const VmcRecordEnd *e = &end.end;
    const char *const shown[] = {s->identity,    s->account,       s->key,          s->client,
                                 s->vm,          s->audio,         s->key_type,     s->socket,
                                 s->mode,        s->takeover_of,   s->sandbox,      s->reason,
                                 s->reason_text, s->taken_over_by, s->viewer_signal};
    const char *const written[] = {
        e->who.identity, e->who.account, e->who.key,     e->who.client,    e->who.vm,
        e->sound.audio,  a->key_type,    a->socket,      a->mode,          a->takeover_of,
        a->sandbox,      e->reason,      e->reason_text, e->taken_over_by, e->viewer_signal};
    for (guint i = 0; i < G_N_ELEMENTS(shown); i++)
        g_assert_cmpstr(shown[i], ==, written[i]);
    g_assert_true(
        g_strv_equal((const char *const *)s->protections, (const char *const *)a->protections));
    const gint64 numbers[] = {s->start_us,    s->end_us,   s->duration_s,        s->bytes_total,
                              s->viewer_exit, s->rejected, s->rate_peak_time_us, s->step_s};
    const gint64 numbers_written[] = {a->time,           e->time,         e->duration_s,
                                      e->bytes_total,    e->viewer_exit,  e->rejected_connections,
                                      e->rate_peak_time, e->series.step_s};
    for (guint i = 0; i < G_N_ELEMENTS(numbers); i++)
        g_assert_cmpint(numbers[i], ==, numbers_written[i]);
    /* the mean rate is the readers' one definition, not the record's member */
    g_assert_cmpfloat(s->rate_mean, ==,
                      vmc_log_mean_rate(e->bytes_total, vmc_log_session_length_us(e->start, e->time,
                                                                                  e->duration_s)));
    g_assert_cmpfloat(s->rate_peak, ==, e->rate_peak);
    assert_samples(s->total, e->series.bytes);
    assert_channels(s, e);
    assert_streams(s, e);
    g_assert_cmpuint(s->start_line, ==, 1);
    g_assert_cmpuint(s->end_line, ==, 2);
    g_assert_cmpint(s->state, ==, VMC_AUDIT_STATE_ENDED);
}

/* What show prints of a session made of record alone: text and JSON. */
static char *
shown_of(const VmcRecordFields *record)
{
    g_autoptr(VmcAuditSession) s = session_of((const VmcRecordFields *const[]){record}, 1);
    g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
    g_autofree char *text = vmc_audit_show_format(s, utc, TRUE);
    g_autofree char *json = vmc_audit_session_to_json(s);
    return g_strconcat(text, json, NULL);
}

/* Each field of event's record made absent in turn: its path when show
 * prints the same as with every field set, into not_read. */
static void
collect_not_shown(VmcLogEvent event, GPtrArray *not_read)
{
    g_auto(VmcRecordFields) full = {0};
    full_record(&full, event);
    g_autofree char *everything = shown_of(&full);
    for (guint i = 0;; i++) {
        g_auto(VmcRecordFields) record = {0};
        full_record(&record, event);
        g_autofree char *path = record_blank(&record, i);
        if (path == NULL)
            break;
        if (strcmp(path, vmc_record_names.session) == 0)
            continue; /* then it is not this session's record at all */
        g_autofree char *shown = shown_of(&record);
        if (strcmp(shown, everything) == 0)
            g_ptr_array_add(not_read, g_strdup_printf("%s.%s", vmc_record_event_name(event), path));
    }
}

/* Written but not shown: exactly the fields on not_shown. A field added to
 * the start or end record and not shown fails here until it is listed; a
 * listed field that show starts to print fails until it is taken off. */
static void
test_not_shown(void)
{
    g_autoptr(GPtrArray) not_read = g_ptr_array_new_with_free_func(g_free);
    collect_not_shown(VMC_LOG_EVENT_START, not_read);
    collect_not_shown(VMC_LOG_EVENT_END, not_read);
    for (guint i = 0; i < not_read->len; i++)
        if (!g_strv_contains(not_shown, not_read->pdata[i]))
            g_error("written but not shown, and not listed as such: %s",
                    (const char *)not_read->pdata[i]);
    for (guint i = 0; i < G_N_ELEMENTS(not_shown); i++) {
        gboolean found = FALSE;
        for (guint j = 0; j < not_read->len && !found; j++)
            found = strcmp(not_read->pdata[j], not_shown[i]) == 0;
        if (!found)
            g_error("listed as not shown, but shown (or no such field): %s", not_shown[i]);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/audit/schema/every-field", test_every_field);
    g_test_add_func("/audit/schema/not-shown", test_not_shown);
    return g_test_run();
}
