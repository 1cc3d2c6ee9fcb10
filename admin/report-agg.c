/* report-agg.c — `vmconsole-admin report`'s pure part: sessions, hours,
 * bytes, rates, denials, the X11 and sound streams' bytes and the sessions
 * without the sandbox per identity, VM, day or month, folded in one
 * record at a time (the log is never held), and the results as a table for
 * people, JSON and CSV for machines. */
#include "admin-priv.h"

#include <math.h>
#include <string.h>

#include "audit-priv.h"
#include "vmc-sessionlog.h"

/* A started session not ended yet. */
typedef struct {
    char *session;
    char *host;
    char *identity;
    char *vm;
    gint64 start_us;
    gboolean sandbox_off; /* its start record says "sandbox": "off" */
    char *mode;           /* its start record's "mode" (NULL: x11) */
} OpenStart;

/* The local day or month of the last time asked for, and its bounds. */
typedef struct {
    gint64 from_us; /* -1: nothing cached */
    gint64 to_us;
    char key[16];
} KeyCache;

struct _VmcReport {
    VmcReportQuery query;
    GHashTable *rows;  /* key -> VmcReportRow* */
    GPtrArray *sorted; /* after finish */
    VmcReportRow total;
    GHashTable *open;     /* vmc_audit_session_key() -> OpenStart* */
    GPtrArray *open_list; /* after finish: VmcReportOpen* */
    guint64 n_untracked;
    guint64 n_unrowed;
    KeyCache cache;
};

static const char *const by_names[] = {"identity", "vm", "day", "month", "host", "mode"};

gboolean
vmc_report_by_parse(const char *text, VmcReportBy *ret_by)
{
    g_return_val_if_fail(ret_by != NULL, FALSE);
    for (guint i = 0; i < G_N_ELEMENTS(by_names); i++) {
        if (text == NULL || strcmp(text, by_names[i]) == 0) {
            *ret_by = (VmcReportBy)i;
            return TRUE;
        }
    }
    return FALSE;
}

static void
row_init(VmcReportRow *row)
{
    row->rate_peak = NAN;
    row->rate_peak_time_us = -1;
    row->x11_bytes = row->audio_bytes = -1;
}

static void
row_free(VmcReportRow *row)
{
    g_free(row->key);
    g_free(row);
}

static void
open_start_free(OpenStart *start)
{
    g_free(start->session);
    g_free(start->host);
    g_free(start->identity);
    g_free(start->vm);
    g_free(start->mode);
    g_free(start);
}

static void
report_open_free(VmcReportOpen *open)
{
    g_free(open->session);
    g_free(open->host);
    g_free(open->identity);
    g_free(open->vm);
    g_free(open);
}

VmcReport *
vmc_report_new(const VmcReportQuery *query)
{
    g_return_val_if_fail(query != NULL && query->tz != NULL, NULL);
    VmcReport *report = g_new0(VmcReport, 1);
    report->query = *query;
    report->query.tz = g_time_zone_ref(query->tz);
    report->rows = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)row_free);
    report->open =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)open_start_free);
    row_init(&report->total);
    report->cache.from_us = -1;
    return report;
}

void
vmc_report_free(VmcReport *report)
{
    if (report == NULL)
        return;
    g_time_zone_unref(report->query.tz);
    g_hash_table_unref(report->rows);
    g_hash_table_unref(report->open);
    if (report->sorted != NULL)
        g_ptr_array_unref(report->sorted);
    if (report->open_list != NULL)
        g_ptr_array_unref(report->open_list);
    g_free(report);
}

static gboolean
in_list(const char *const *list, const char *name)
{
    if (list == NULL)
        return TRUE;
    return name != NULL && g_strv_contains(list, name);
}

static gboolean
wanted(const VmcReport *report, const char *identity, const char *vm, gint64 time_us)
{
    const VmcReportQuery *q = &report->query;
    if (q->since_us >= 0 && time_us < q->since_us)
        return FALSE;
    if (q->until_us >= 0 && time_us >= q->until_us)
        return FALSE;
    return in_list(q->identities, identity) && in_list(q->vms, vm);
}

/* The local day ("2026-11-29") or month ("2026-11") of time_us; cached per
 * day, since a log is (mostly) in time order. */
static const char *
time_key(VmcReport *report, gint64 time_us)
{
    KeyCache *c = &report->cache;
    if (c->from_us >= 0 && time_us >= c->from_us && time_us < c->to_us)
        return c->key;
    g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(MAX(time_us, 0) / G_USEC_PER_SEC);
    g_autoptr(GDateTime) local = g_date_time_to_timezone(utc, report->query.tz);
    int y, m, d;
    g_date_time_get_ymd(local, &y, &m, &d);
    gboolean month = report->query.by == VMC_REPORT_BY_MONTH;
    g_autoptr(GDateTime) from = g_date_time_new(report->query.tz, y, m, month ? 1 : d, 0, 0, 0);
    g_autoptr(GDateTime) to = from == NULL ? NULL
                              : month      ? g_date_time_add_months(from, 1)
                                           : g_date_time_add_days(from, 1);
    /* no local midnight that day (a DST jump at 00:00): key right, not cached */
    c->from_us = to != NULL ? g_date_time_to_unix(from) * G_USEC_PER_SEC : -1;
    c->to_us = to != NULL ? g_date_time_to_unix(to) * G_USEC_PER_SEC : -1;
    if (month)
        g_snprintf(c->key, sizeof(c->key), "%04d-%02d", y, m);
    else
        g_snprintf(c->key, sizeof(c->key), "%04d-%02d-%02d", y, m, d);
    return c->key;
}

static const char *
key_of(VmcReport *report, const char *host, const char *identity, const char *vm, const char *mode,
       gint64 time_us)
{
    switch (report->query.by) {
    case VMC_REPORT_BY_HOST:
        return host != NULL ? host : "";
    case VMC_REPORT_BY_MODE: /* records from before native mode are X11 sessions */
        return mode != NULL ? mode : VMC_REPORT_MODE_DEFAULT;
    case VMC_REPORT_BY_IDENTITY:
        return identity != NULL ? identity : "";
    case VMC_REPORT_BY_VM:
        return vm != NULL ? vm : "";
    case VMC_REPORT_BY_DAY:
    case VMC_REPORT_BY_MONTH:
        break;
    }
    return time_key(report, time_us);
}

/* The row for key, new if needed; NULL when the row cap is reached. */
static VmcReportRow *
row_for(VmcReport *report, const char *key)
{
    VmcReportRow *row = g_hash_table_lookup(report->rows, key);
    if (row != NULL)
        return row;
    if (g_hash_table_size(report->rows) >= VMC_REPORT_MAX_ROWS) {
        report->n_unrowed++;
        return NULL;
    }
    row = g_new0(VmcReportRow, 1);
    row->key = g_strdup(key);
    row_init(row);
    g_hash_table_insert(report->rows, row->key, row);
    return row;
}

/* a + b for a, b >= 0, G_MAXINT64 when it would not fit */
static gint64
add_saturating(gint64 a, gint64 b)
{
    return a > G_MAXINT64 - b ? G_MAXINT64 : a + b;
}

/* A stream's bytes (both ways) into *sum; a stream the record lacks (both
 * counts unknown) leaves it as it is (-1 until one is seen). */
static void
add_stream_bytes(gint64 *sum, const VmcLogStreamBytes *stream)
{
    if (stream->to_laptop < 0 && stream->from_laptop < 0)
        return;
    gint64 bytes = add_saturating(MAX(stream->to_laptop, 0), MAX(stream->from_laptop, 0));
    *sum = add_saturating(MAX(*sum, 0), bytes);
}

static void
add_end_to(VmcReportRow *row, const VmcLogEntry *e, gboolean sandbox_off)
{
    row->sessions++;
    row->ended++;
    row->seconds += MAX(e->duration_s, 0);
    row->length_us = add_saturating(
        row->length_us, MAX(vmc_log_session_length_us(e->start_us, e->time_us, e->duration_s), 0));
    row->bytes += MAX(e->bytes_total, 0);
    if (!isnan(e->rate_peak) && (isnan(row->rate_peak) || e->rate_peak > row->rate_peak)) {
        row->rate_peak = e->rate_peak;
        row->rate_peak_time_us = e->rate_peak_time_us;
    }
    add_stream_bytes(&row->x11_bytes, &e->x11_stream);
    add_stream_bytes(&row->audio_bytes, &e->audio_stream);
    row->sandbox_off += sandbox_off;
}

static void
add_start(VmcReport *report, const VmcLogEntry *e)
{
    /* tracked whether wanted or not: its end is judged by this start's time */
    if (e->session == NULL)
        return;
    g_autofree char *key = vmc_audit_session_key(e->host, e->session);
    if (g_hash_table_size(report->open) >= VMC_REPORT_MAX_OPEN &&
        !g_hash_table_contains(report->open, key)) {
        report->n_untracked++;
        return;
    }
    OpenStart *start = g_new0(OpenStart, 1);
    start->session = g_strdup(e->session);
    start->host = g_strdup(e->host);
    start->identity = g_strdup(e->identity);
    start->vm = g_strdup(e->vm);
    start->start_us = e->time_us;
    start->sandbox_off = g_strcmp0(e->sandbox, VMC_RECORD_SANDBOX_OFF) == 0;
    start->mode = g_strdup(e->mode);
    g_hash_table_replace(report->open, g_steal_pointer(&key), start);
}

void
vmc_report_add(VmcReport *report, const VmcLogEntry *e)
{
    g_return_if_fail(report != NULL && e != NULL);
    if (e->event == VMC_LOG_EVENT_START) {
        add_start(report, e);
        return;
    }
    if (e->event == VMC_LOG_EVENT_END) {
        /* a session belongs where it started: its start record's time (the
         * end's "start" can differ by a few ms), else the end's "start",
         * else (neither) the end's own time */
        g_autofree char *key =
            e->session != NULL ? vmc_audit_session_key(e->host, e->session) : NULL;
        const OpenStart *start = key != NULL ? g_hash_table_lookup(report->open, key) : NULL;
        gint64 start_us = start != NULL      ? start->start_us
                          : e->start_us >= 0 ? e->start_us
                                             : e->time_us;
        gboolean sandbox_off = start != NULL && start->sandbox_off;
        g_autofree char *mode = start != NULL ? g_strdup(start->mode) : NULL;
        if (key != NULL)
            g_hash_table_remove(report->open, key);
        if (!wanted(report, e->identity, e->vm, start_us))
            return;
        VmcReportRow *row =
            row_for(report, key_of(report, e->host, e->identity, e->vm, mode, start_us));
        if (row != NULL)
            add_end_to(row, e, sandbox_off);
        add_end_to(&report->total, e, sandbox_off);
        return;
    }
    /* denied, or a denied-summary: the requests it counted (from its first) */
    gboolean summary = e->event == VMC_LOG_EVENT_DENIED_SUMMARY;
    guint64 n = summary ? (guint64)MAX(e->suppressed, 0) : 1;
    gint64 time_us = summary && e->first_us >= 0 ? e->first_us : e->time_us;
    if (n == 0 || !wanted(report, e->identity, e->vm, time_us))
        return;
    VmcReportRow *row = row_for(report, key_of(report, e->host, e->identity, e->vm, NULL, time_us));
    if (row != NULL)
        row->denied += n;
    report->total.denied += n;
}

static gint
compare_rows(gconstpointer a, gconstpointer b)
{
    return strcmp((*(VmcReportRow *const *)a)->key, (*(VmcReportRow *const *)b)->key);
}

static gint
compare_open(gconstpointer a, gconstpointer b)
{
    const VmcReportOpen *x = *(VmcReportOpen *const *)a, *y = *(VmcReportOpen *const *)b;
    if (x->start_us != y->start_us)
        return x->start_us < y->start_us ? -1 : 1;
    return strcmp(x->session, y->session);
}

static void
count_open(VmcReport *report, const OpenStart *start, gboolean live)
{
    VmcReportRow *row = row_for(report, key_of(report, start->host, start->identity, start->vm,
                                               start->mode, start->start_us));
    VmcReportRow *rows[] = {row, &report->total};
    for (guint i = 0; i < G_N_ELEMENTS(rows); i++) {
        if (rows[i] == NULL)
            continue;
        rows[i]->sessions++;
        rows[i]->sandbox_off += start->sandbox_off;
        if (live)
            rows[i]->live++;
        else
            rows[i]->unterminated++;
    }
    VmcReportOpen *open = g_new0(VmcReportOpen, 1);
    open->session = g_strdup(start->session);
    open->host = g_strdup(start->host);
    open->identity = g_strdup(start->identity);
    open->vm = g_strdup(start->vm);
    open->start_us = start->start_us;
    open->live = live;
    g_ptr_array_add(report->open_list, open);
}

void
vmc_report_finish(VmcReport *report, VmcReportLiveFunc is_live, gpointer user_data)
{
    g_return_if_fail(report != NULL && report->sorted == NULL);
    report->open_list = g_ptr_array_new_with_free_func((GDestroyNotify)report_open_free);
    GHashTableIter iter;
    gpointer value;
    g_hash_table_iter_init(&iter, report->open);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        const OpenStart *start = value;
        if (wanted(report, start->identity, start->vm, start->start_us))
            count_open(report, start,
                       is_live != NULL && is_live(start->host, start->session, user_data));
    }
    g_ptr_array_sort(report->open_list, compare_open);
    if (report->open_list->len > VMC_REPORT_MAX_LISTED)
        g_ptr_array_set_size(report->open_list, VMC_REPORT_MAX_LISTED);
    report->sorted = g_ptr_array_new();
    g_hash_table_iter_init(&iter, report->rows);
    while (g_hash_table_iter_next(&iter, NULL, &value))
        g_ptr_array_add(report->sorted, value);
    g_ptr_array_sort(report->sorted, compare_rows);
}

const GPtrArray *
vmc_report_get_rows(const VmcReport *report)
{
    g_return_val_if_fail(report != NULL && report->sorted != NULL, NULL);
    return report->sorted;
}

const VmcReportRow *
vmc_report_get_total(const VmcReport *report)
{
    g_return_val_if_fail(report != NULL, NULL);
    return &report->total;
}

const GPtrArray *
vmc_report_get_open(const VmcReport *report)
{
    g_return_val_if_fail(report != NULL && report->open_list != NULL, NULL);
    return report->open_list;
}

guint64
vmc_report_get_n_untracked(const VmcReport *report)
{
    g_return_val_if_fail(report != NULL, 0);
    return report->n_untracked;
}

/* ---- for people ---- */

static const char *const key_headers[] = {"IDENTITY", "VM", "DAY", "MONTH", "HOST"};

/* Mean rate over the sessions' time, as show gives it for one session
 * (vmc_log_mean_rate); NAN without time. */
static double
mean_rate(const VmcReportRow *row)
{
    return vmc_log_mean_rate(row->bytes, row->length_us);
}

/* "0", or "N (!)": flagged, not just counted */
static char *
flagged_count(guint64 n)
{
    return n > 0 ? g_strdup_printf("%" G_GUINT64_FORMAT " (!)", n) : g_strdup("0");
}

static void
add_table_row(VmcAdminTable *table, const char *key, const VmcReportRow *row)
{
    g_autofree char *sessions = g_strdup_printf("%" G_GUINT64_FORMAT, row->sessions);
    g_autofree char *hours = g_strdup_printf("%.2f", (double)row->seconds / 3600.0);
    g_autofree char *bytes = vmc_format_bytes((guint64)row->bytes);
    g_autofree char *mean =
        !isnan(mean_rate(row)) ? vmc_format_rate(mean_rate(row)) : g_strdup("-");
    g_autofree char *peak =
        !isnan(row->rate_peak) ? vmc_format_rate(row->rate_peak) : g_strdup("-");
    g_autofree char *denied = g_strdup_printf("%" G_GUINT64_FORMAT, row->denied);
    /* flagged, not just counted: a session with no end is a billing question */
    g_autofree char *unterminated = flagged_count(row->unterminated);
    g_autofree char *x11 = row->x11_bytes >= 0 ? vmc_format_bytes((guint64)row->x11_bytes) : NULL;
    g_autofree char *audio =
        row->audio_bytes >= 0 ? vmc_format_bytes((guint64)row->audio_bytes) : NULL;
    /* flagged too: the viewer ran on the host unconfined */
    g_autofree char *sandbox_off = flagged_count(row->sandbox_off);
    const char *cells[] = {key[0] != '\0' ? key : NULL,
                           sessions,
                           hours,
                           bytes,
                           mean,
                           peak,
                           denied,
                           unterminated,
                           x11,
                           audio,
                           sandbox_off};
    vmc_admin_table_add_row(table, cells);
}

static void
append_heading(GString *out, const VmcReport *report, GTimeZone *tz)
{
    const VmcReportQuery *q = &report->query;
    g_string_append_printf(out, "report by %s", by_names[q->by]);
    if (q->since_us >= 0 || q->until_us >= 0) {
        g_autofree char *since = vmc_audit_format_time(q->since_us, tz);
        g_autofree char *until = vmc_audit_format_time(q->until_us, tz);
        g_string_append_printf(out, ", sessions started from %s until %s", since, until);
    }
    g_string_append(out, " (local time; HOURS of ended sessions; MEAN RATE = BYTES / time; "
                         "BYTES are Spice's, X11 and AUDIO BYTES the streams beside it)\n\n");
}

static void
append_open_list(GString *out, const VmcReport *report, GTimeZone *tz, gboolean live)
{
    const VmcReportRow *t = &report->total;
    guint64 n = live ? t->live : t->unterminated;
    if (n == 0)
        return;
    g_string_append_printf(out,
                           live ? "\nLIVE: %" G_GUINT64_FORMAT " session(s) still open "
                                  "(counted; no hours yet):\n"
                                : "\nUNTERMINATED (!): %" G_GUINT64_FORMAT " session(s) "
                                  "started and never ended, and no console lock holds them "
                                  "(the gateway died?); their hours and bytes are unknown:\n",
                           n);
    static const char *const headers[] = {"SESSION", "IDENTITY", "VM", "STARTED"};
    g_autoptr(VmcAdminTable) table = vmc_admin_table_new(4, headers);
    for (guint i = 0; i < report->open_list->len; i++) {
        const VmcReportOpen *o = report->open_list->pdata[i];
        if (o->live != live)
            continue;
        g_autofree char *start = vmc_audit_format_time(o->start_us, tz);
        const char *cells[] = {o->session, o->identity, o->vm, start};
        vmc_admin_table_add_row(table, cells);
    }
    g_autofree char *text = vmc_admin_table_format(table);
    g_string_append(out, text);
}

char *
vmc_report_format_table(const VmcReport *report, GTimeZone *tz)
{
    g_return_val_if_fail(report != NULL && report->sorted != NULL && tz != NULL, NULL);
    GString *out = g_string_new(NULL);
    append_heading(out, report, tz);
    const char *headers[] = {key_headers[report->query.by],
                             "SESSIONS",
                             "HOURS",
                             "BYTES",
                             "MEAN RATE",
                             "PEAK RATE",
                             "DENIED",
                             "UNTERMINATED",
                             "X11 BYTES",
                             "AUDIO BYTES",
                             "SANDBOX OFF"};
    g_autoptr(VmcAdminTable) table = vmc_admin_table_new(G_N_ELEMENTS(headers), headers);
    for (guint i = 0; i < report->sorted->len; i++) {
        const VmcReportRow *row = report->sorted->pdata[i];
        add_table_row(table, row->key, row);
    }
    add_table_row(table, "(total)", &report->total);
    g_autofree char *text = vmc_admin_table_format(table);
    g_string_append(out, text);
    append_open_list(out, report, tz, FALSE);
    append_open_list(out, report, tz, TRUE);
    if (report->n_untracked > 0)
        g_string_append_printf(out,
                               "\n(%" G_GUINT64_FORMAT " starts were not tracked: more than "
                               "%d sessions open at once; they may be unterminated)\n",
                               report->n_untracked, VMC_REPORT_MAX_OPEN);
    if (report->n_unrowed > 0)
        g_string_append_printf(out,
                               "\n(%" G_GUINT64_FORMAT " records are in the total only: "
                               "more than %d keys)\n",
                               report->n_unrowed, VMC_REPORT_MAX_ROWS);
    return g_string_free(out, FALSE);
}

/* ---- for machines ---- */

static void
json_add_int(JsonBuilder *b, const char *name, gint64 value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, value);
}

/* A count, null when unknown (negative). */
static void
json_add_count(JsonBuilder *b, const char *name, gint64 value)
{
    if (value >= 0) {
        json_add_int(b, name, value);
        return;
    }
    json_builder_set_member_name(b, name);
    json_builder_add_null_value(b);
}

static void
json_add_row(JsonBuilder *b, const VmcReportRow *row, gboolean with_key)
{
    json_builder_begin_object(b);
    if (with_key)
        vmc_admin_json_add_string(b, "key", row->key[0] != '\0' ? row->key : NULL);
    json_add_int(b, "sessions", (gint64)row->sessions);
    json_add_int(b, "ended", (gint64)row->ended);
    json_add_int(b, "seconds", row->seconds);
    vmc_admin_json_add_rate(b, "hours", (double)row->seconds / 3600.0);
    json_add_int(b, "bytes", row->bytes);
    vmc_admin_json_add_rate(b, "rate_mean", mean_rate(row));
    vmc_admin_json_add_rate(b, "rate_peak", row->rate_peak);
    vmc_admin_json_add_time(b, "rate_peak_time", row->rate_peak_time_us);
    json_add_int(b, "denied", (gint64)row->denied);
    json_add_int(b, "unterminated", (gint64)row->unterminated);
    json_add_int(b, "live", (gint64)row->live);
    json_add_count(b, "x11_bytes", row->x11_bytes);
    json_add_count(b, "audio_bytes", row->audio_bytes);
    json_add_int(b, "sandbox_off", (gint64)row->sandbox_off);
    json_builder_end_object(b);
}

static void
json_add_open(JsonBuilder *b, const GPtrArray *open)
{
    json_builder_set_member_name(b, "open_sessions");
    json_builder_begin_array(b);
    for (guint i = 0; i < open->len; i++) {
        const VmcReportOpen *o = open->pdata[i];
        json_builder_begin_object(b);
        vmc_admin_json_add_string(b, "session", o->session);
        vmc_admin_json_add_string(b, "identity", o->identity);
        vmc_admin_json_add_string(b, "vm", o->vm);
        vmc_admin_json_add_time(b, "start", o->start_us);
        vmc_admin_json_add_string(b, "state", o->live ? "live" : "unterminated");
        json_builder_set_member_name(b, "unterminated");
        json_builder_add_boolean_value(b, !o->live);
        vmc_admin_json_add_string(b, "host", o->host); /* after the older members */
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

char *
vmc_report_format_json(const VmcReport *report, guint64 n_damaged, const GArray *damaged_lines)
{
    g_return_val_if_fail(report != NULL && report->sorted != NULL, NULL);
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    vmc_admin_json_add_string(b, "by", by_names[report->query.by]);
    vmc_admin_json_add_time(b, "since", report->query.since_us);
    vmc_admin_json_add_time(b, "until", report->query.until_us);
    json_builder_set_member_name(b, "rows");
    json_builder_begin_array(b);
    for (guint i = 0; i < report->sorted->len; i++)
        json_add_row(b, report->sorted->pdata[i], TRUE);
    json_builder_end_array(b);
    json_builder_set_member_name(b, "total");
    json_add_row(b, &report->total, FALSE);
    json_add_open(b, report->open_list);
    json_add_int(b, "untracked_starts", (gint64)report->n_untracked);
    json_add_int(b, "records_not_in_a_row", (gint64)report->n_unrowed);
    json_add_int(b, "damaged_lines", (gint64)n_damaged);
    json_builder_set_member_name(b, "damaged_line_numbers");
    json_builder_begin_array(b);
    for (guint i = 0; damaged_lines != NULL && i < damaged_lines->len; i++)
        json_builder_add_int_value(b, (gint64)g_array_index(damaged_lines, guint64, i));
    json_builder_end_array(b);
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    return vmc_audit_json_finish(root);
}

/* ",N" with a '.' whatever the locale; ",": none. */
static void
csv_add_double(GString *out, double value, const char *format)
{
    char text[G_ASCII_DTOSTR_BUF_SIZE];
    g_string_append_c(out, ',');
    if (!isnan(value) && !isinf(value))
        g_string_append(out, g_ascii_formatd(text, sizeof(text), format, value));
}

/* ",N"; ",": unknown (negative). */
static void
csv_add_count(GString *out, gint64 value)
{
    g_string_append_c(out, ',');
    if (value >= 0)
        g_string_append_printf(out, "%" G_GINT64_FORMAT, value);
}

char *
vmc_report_format_csv(const VmcReport *report)
{
    g_return_val_if_fail(report != NULL && report->sorted != NULL, NULL);
    GString *out = g_string_new(NULL);
    g_string_append_printf(out,
                           "%s,sessions,ended,seconds,hours,bytes,rate_mean,rate_peak,"
                           "rate_peak_time,denied,unterminated,live,x11_bytes,audio_bytes,"
                           "sandbox_off\n",
                           by_names[report->query.by]);
    for (guint i = 0; i < report->sorted->len; i++) {
        const VmcReportRow *row = report->sorted->pdata[i];
        vmc_audit_csv_append(out, row->key);
        g_string_append_printf(out,
                               ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT ",%" G_GINT64_FORMAT,
                               row->sessions, row->ended, row->seconds);
        csv_add_double(out, (double)row->seconds / 3600.0, "%.4f");
        g_string_append_printf(out, ",%" G_GINT64_FORMAT, row->bytes);
        csv_add_double(out, mean_rate(row), "%.1f");
        csv_add_double(out, row->rate_peak, "%.1f");
        g_autofree char *peak_time =
            row->rate_peak_time_us >= 0 ? vmc_format_time_us(row->rate_peak_time_us) : NULL;
        g_string_append_printf(
            out, ",%s,%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT,
            peak_time != NULL ? peak_time : "", row->denied, row->unterminated, row->live);
        csv_add_count(out, row->x11_bytes);
        csv_add_count(out, row->audio_bytes);
        g_string_append_printf(out, ",%" G_GUINT64_FORMAT "\n", row->sandbox_off);
    }
    return g_string_free(out, FALSE);
}
