/* audit-format.c — sessions as text for people, JSON and CSV for machines. Pure.
 *
 * Every string here came from the log: escaped (vmc_text_escape) before it
 * reaches a terminal, made valid UTF-8 and capped before it goes into JSON.
 */
#include "audit-priv.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "admin-priv.h"
#include "vmc-sessionlog.h"

char *
vmc_audit_format_time(gint64 time_us, GTimeZone *tz)
{
    if (time_us < 0)
        return g_strdup("-");
    g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(time_us / G_USEC_PER_SEC);
    g_autoptr(GDateTime) local = utc != NULL ? g_date_time_to_timezone(utc, tz) : NULL;
    if (local == NULL)
        return g_strdup("-");
    return g_date_time_format(local, "%Y-%m-%d %H:%M:%S");
}

const char *
vmc_audit_state_word(VmcAuditState state)
{
    switch (state) {
    case VMC_AUDIT_STATE_ENDED:
        return "ended";
    case VMC_AUDIT_STATE_LIVE:
        return "live";
    case VMC_AUDIT_STATE_UNTERMINATED:
        break;
    }
    return "UNTERMINATED (the gateway died?)";
}

const char *
vmc_audit_state_name(VmcAuditState state)
{
    static const char *const names[] = {"ended", "live", "unterminated"};
    return (guint)state < G_N_ELEMENTS(names) ? names[state] : "unterminated";
}

/* ---- show ---- */

/* "label       value" with value escaped; nothing for a NULL value. */
static void
add_field(GString *out, const char *label, const char *value)
{
    if (value == NULL)
        return;
    g_autofree char *escaped = vmc_text_escape(value, -1, VMC_AUDIT_VALUE_MAX);
    g_string_append_printf(out, "%-11s %s\n", label, escaped);
}

static char *
bytes_or_dash(gint64 bytes)
{
    return bytes >= 0 ? vmc_format_bytes((guint64)bytes) : g_strdup("-");
}

static char *
count_or_dash(gint64 count)
{
    return count >= 0 ? g_strdup_printf("%" G_GINT64_FORMAT, count) : g_strdup("-");
}

/* "on: user-ns, mount-ns, ..." from the start record; "off" is a warning:
 * the viewer, a large GTK program, ran on the host unconfined. Nothing for
 * records older than the sandbox. */
static void
add_sandbox_field(GString *out, const VmcAuditSession *s)
{
    if (g_strcmp0(s->sandbox, VMC_RECORD_SANDBOX_OFF) == 0) {
        add_field(out, "sandbox",
                  "OFF (!): the viewer ran on the host without its sandbox "
                  "(sandbox = off in the config)");
        return;
    }
    if (s->sandbox == NULL && s->protections == NULL)
        return;
    g_autofree char *list =
        s->protections != NULL ? g_strjoinv(", ", s->protections) : g_strdup("");
    g_autofree char *value = g_strdup_printf("%s%s%s", s->sandbox != NULL ? s->sandbox : "-",
                                             list[0] != '\0' ? ": " : "", list);
    add_field(out, "sandbox", value);
}

/* "max-duration 8h00m, idle-timeout 30m00s"; nothing without limits. */
static void
add_limits_field(GString *out, const VmcAuditSession *s)
{
    g_autoptr(GString) value = g_string_new(NULL);
    if (s->max_duration_s >= 0) {
        g_autofree char *max = vmc_format_duration(s->max_duration_s);
        g_string_append_printf(value, "max-duration %s", max);
    }
    if (s->idle_timeout_s >= 0) {
        g_autofree char *idle = vmc_format_duration(s->idle_timeout_s);
        g_string_append_printf(value, "%sidle-timeout %s", value->len > 0 ? ", " : "", idle);
    }
    if (value->len > 0)
        add_field(out, "limits", value->str);
}

/* The certificate the person logged in with, and a key's expiry-time. */
static void
add_access_fields(GString *out, const VmcAuditSession *s, GTimeZone *tz)
{
    g_autofree char *expires =
        s->key_expires_us >= 0 ? vmc_audit_format_time(s->key_expires_us, tz) : NULL;
    add_field(out, "key expires", expires);
    if (s->cert_key_id == NULL && s->cert_serial == NULL && s->cert_ca == NULL &&
        s->cert_valid_before_us < 0 && s->cert_valid_after_us < 0)
        return;
    g_autofree char *after = s->cert_valid_after_us >= 0
                                 ? vmc_audit_format_time(s->cert_valid_after_us, tz)
                                 : g_strdup("-");
    g_autofree char *before = s->cert_valid_before_us >= 0
                                  ? vmc_audit_format_time(s->cert_valid_before_us, tz)
                                  : g_strdup("forever");
    g_autofree char *value = g_strdup_printf(
        "id \"%s\", serial %s, CA %s, valid %s to %s", s->cert_key_id ? s->cert_key_id : "-",
        s->cert_serial ? s->cert_serial : "-", s->cert_ca ? s->cert_ca : "-", after, before);
    add_field(out, "certificate", value);
}

static void
add_identity_fields(GString *out, const VmcAuditSession *s)
{
    add_field(out, "session", s->session);
    add_field(out, "state", vmc_audit_state_word(s->state));
    add_field(out, "host", s->host);
    add_field(out, "vm", s->vm);
    add_field(out, "identity", s->identity);
    add_field(out, "account", s->account);
    add_field(out, "key", s->key);
    add_field(out, "key type", s->key_type);
    add_field(out, "client", s->client);
    add_field(out, "socket", s->socket);
    add_field(out, "mode", s->mode);
    add_field(out, "audio", s->audio);
    add_sandbox_field(out, s);
    add_field(out, "takeover of", s->takeover_of);
}

static void
add_time_fields(GString *out, const VmcAuditSession *s, GTimeZone *tz)
{
    g_autofree char *start = vmc_audit_format_time(s->start_us, tz);
    g_autofree char *end = s->end_line != 0 ? vmc_audit_format_time(s->end_us, tz) : NULL;
    g_autofree char *duration = s->duration_s >= 0 ? vmc_format_duration(s->duration_s) : NULL;
    add_field(out, "start", start);
    add_field(out, "end", end);
    add_field(out, "duration", duration);
    g_autofree char *reason =
        s->reason_text != NULL
            ? g_strdup_printf("%s: %s", s->reason ? s->reason : "-", s->reason_text)
            : g_strdup(s->reason);
    add_field(out, "reason", reason);
    add_field(out, "taken over", s->taken_over_by);
    g_autofree char *viewer = NULL;
    if (s->viewer_signal != NULL)
        viewer = g_strdup_printf("killed by signal %s", s->viewer_signal);
    else if (s->viewer_exit >= 0)
        viewer = g_strdup_printf("exit %" G_GINT64_FORMAT, s->viewer_exit);
    add_field(out, "viewer", viewer);
    add_limits_field(out, s);
    add_access_fields(out, s, tz);
}

static void
add_traffic_fields(GString *out, const VmcAuditSession *s, GTimeZone *tz)
{
    g_autofree char *bytes = s->bytes_total >= 0 ? vmc_format_bytes((guint64)s->bytes_total) : NULL;
    add_field(out, "bytes", bytes);
    if (!isnan(s->rate_mean) || !isnan(s->rate_peak)) {
        g_autofree char *mean = vmc_format_rate(s->rate_mean);
        g_autofree char *peak = vmc_format_rate(s->rate_peak);
        g_autofree char *at = vmc_audit_format_time(s->rate_peak_time_us, tz);
        g_autofree char *rate = g_strdup_printf("mean %s, peak %s at %s", mean, peak, at);
        add_field(out, "rate", rate);
    }
    g_autofree char *rejected =
        s->rejected >= 0 ? g_strdup_printf("%" G_GINT64_FORMAT " connection(s)", s->rejected)
                         : NULL;
    add_field(out, "rejected", rejected);
    g_autofree char *start_line = g_strdup_printf("%" G_GUINT64_FORMAT, s->start_line);
    g_autofree char *end_line = g_strdup_printf("%" G_GUINT64_FORMAT, s->end_line);
    g_autofree char *log =
        g_strdup_printf("start record %s, end record %s", s->start_line ? start_line : "none",
                        s->end_line ? end_line : "none");
    add_field(out, "log lines", log);
}

static void
add_channel_table(GString *out, const VmcAuditSession *s)
{
    if (s->channels->len == 0)
        return;
    static const char *const headers[] = {"CHANNEL", "TO VM", "FROM VM", "CONNECTIONS"};
    g_autoptr(VmcAdminTable) table = vmc_admin_table_new(4, headers);
    for (guint i = 0; i < s->channels->len; i++) {
        const VmcAuditChannel *c = s->channels->pdata[i];
        g_autofree char *to_vm = bytes_or_dash(c->to_vm);
        g_autofree char *from_vm = bytes_or_dash(c->from_vm);
        g_autofree char *connections = count_or_dash(c->connections);
        vmc_admin_table_add_row(table, (const char *const[]){c->name, to_vm, from_vm, connections});
    }
    g_autofree char *text = vmc_admin_table_format(table);
    g_string_append_c(out, '\n');
    g_string_append(out, text);
}

/* The streams besides Spice: bytes each way, connections (and failed ones),
 * the busiest second's rate and when. */
static void
add_stream_table(GString *out, const VmcAuditSession *s, GTimeZone *tz)
{
    if (s->streams->len == 0)
        return;
    static const char *const headers[] = {"STREAM", "TO LAPTOP", "FROM LAPTOP", "CONNECTIONS",
                                          "FAILED", "PEAK RATE", "PEAK AT"};
    g_autoptr(VmcAdminTable) table = vmc_admin_table_new(G_N_ELEMENTS(headers), headers);
    for (guint i = 0; i < s->streams->len; i++) {
        const VmcAuditStream *st = s->streams->pdata[i];
        g_autofree char *to_laptop = bytes_or_dash(st->to_laptop);
        g_autofree char *from_laptop = bytes_or_dash(st->from_laptop);
        g_autofree char *connections = count_or_dash(st->connections);
        g_autofree char *failed = count_or_dash(st->failed);
        g_autofree char *peak = !isnan(st->rate_peak) ? vmc_format_rate(st->rate_peak) : NULL;
        g_autofree char *at =
            st->rate_peak_time_us >= 0 ? vmc_audit_format_time(st->rate_peak_time_us, tz) : NULL;
        const char *cells[] = {st->name, to_laptop, from_laptop, connections, failed, peak, at};
        vmc_admin_table_add_row(table, cells);
    }
    g_autofree char *text = vmc_admin_table_format(table);
    g_string_append_c(out, '\n');
    g_string_append(out, text);
}

/* "LABEL  N samples of S s, peak RATE[ NOTE]" and the sparkline of samples
 * (the session's step) below it, each column the peak of its samples. */
static void
add_one_sparkline(GString *out, const char *label, const GArray *samples, gint64 step_s,
                  const char *note, gboolean unicode)
{
    double peak = 0;
    for (guint i = 0; i < samples->len; i++)
        peak = MAX(peak, g_array_index(samples, double, i));
    g_autofree char *peak_rate = vmc_format_rate(peak / (double)step_s);
    g_autofree char *line = vmc_audit_sparkline(samples, VMC_AUDIT_SPARKLINE_WIDTH, unicode);
    g_string_append_printf(out, "%s  %u samples of %" G_GINT64_FORMAT " s, peak %s%s\n", label,
                           samples->len, step_s, peak_rate, note);
    g_string_append_printf(out, "|%s|\n", line);
}

/* The Spice throughput, then each stream's own (its own scale). */
static void
add_sparklines(GString *out, const VmcAuditSession *s, gboolean unicode)
{
    if (s->total == NULL || s->total->len == 0)
        return;
    g_string_append_c(out, '\n');
    add_one_sparkline(out, "throughput", s->total, s->step_s,
                      " (each column the peak of its samples)", unicode);
    for (guint i = 0; i < s->streams->len; i++) {
        const VmcAuditStream *st = s->streams->pdata[i];
        if (st->series == NULL)
            continue;
        g_autofree char *name = vmc_text_escape(st->name, -1, VMC_AUDIT_CELL_MAX);
        g_autofree char *label = g_strdup_printf("%s stream", name);
        add_one_sparkline(out, label, st->series, s->step_s, "", unicode);
    }
}

char *
vmc_audit_show_format(const VmcAuditSession *session, GTimeZone *tz, gboolean unicode)
{
    g_return_val_if_fail(session != NULL && tz != NULL, NULL);
    GString *out = g_string_new(NULL);
    add_identity_fields(out, session);
    add_time_fields(out, session, tz);
    add_traffic_fields(out, session, tz);
    add_channel_table(out, session);
    add_stream_table(out, session, tz);
    add_sparklines(out, session, unicode);
    return g_string_free(out, FALSE);
}

/* ---- JSON ---- */

static void json_int(JsonBuilder *builder, const char *member, gint64 value);

/* "certificate": {key_id, serial, ca, valid_after, valid_before}, or null. */
static void
json_certificate(JsonBuilder *builder, const VmcAuditSession *s)
{
    const VmcRecordNames *n = &vmc_record_names;
    json_builder_set_member_name(builder, n->certificate);
    if (s->cert_key_id == NULL && s->cert_serial == NULL && s->cert_ca == NULL &&
        s->cert_valid_before_us < 0 && s->cert_valid_after_us < 0) {
        json_builder_add_null_value(builder);
        return;
    }
    json_builder_begin_object(builder);
    vmc_admin_json_add_string(builder, n->key_id, s->cert_key_id);
    vmc_admin_json_add_string(builder, n->serial, s->cert_serial);
    vmc_admin_json_add_string(builder, n->ca, s->cert_ca);
    vmc_admin_json_add_time(builder, n->valid_after, s->cert_valid_after_us);
    vmc_admin_json_add_time(builder, n->valid_before, s->cert_valid_before_us);
    json_builder_end_object(builder);
}

/* An integer member, null when negative (absent). */
static void
json_int(JsonBuilder *builder, const char *member, gint64 value)
{
    json_builder_set_member_name(builder, member);
    if (value < 0)
        json_builder_add_null_value(builder);
    else
        json_builder_add_int_value(builder, value);
}

/* An array of strings (each as vmc_admin_json_add_string makes it), or null. */
static void
json_strv(JsonBuilder *builder, const char *member, const char *const *strings)
{
    json_builder_set_member_name(builder, member);
    if (strings == NULL) {
        json_builder_add_null_value(builder);
        return;
    }
    json_builder_begin_array(builder);
    for (guint i = 0; strings[i] != NULL; i++) {
        g_autofree char *text = vmc_text_to_utf8(strings[i], -1, VMC_ADMIN_JSON_STRING_MAX);
        json_builder_add_string_value(builder, text);
    }
    json_builder_end_array(builder);
}

static void
json_samples(JsonBuilder *builder, const char *member, const GArray *samples)
{
    json_builder_set_member_name(builder, member);
    json_builder_begin_array(builder);
    for (guint i = 0; i < samples->len; i++)
        json_builder_add_int_value(builder, (gint64)g_array_index(samples, double, i));
    json_builder_end_array(builder);
}

/* "streams": {name: {"to_laptop", "from_laptop", "connections", "failed",
 * "rate_mean", "rate_peak", "rate_peak_time"}} (null for what is unknown) */
static void
json_streams(JsonBuilder *builder, const VmcAuditSession *s)
{
    json_builder_set_member_name(builder, vmc_record_names.streams);
    json_builder_begin_object(builder);
    for (guint i = 0; i < s->streams->len; i++) {
        const VmcAuditStream *st = s->streams->pdata[i];
        g_autofree char *name = vmc_text_to_utf8(st->name, -1, VMC_ADMIN_JSON_STRING_MAX);
        json_builder_set_member_name(builder, name);
        json_builder_begin_object(builder);
        json_int(builder, vmc_record_names.to_laptop, st->to_laptop);
        json_int(builder, vmc_record_names.from_laptop, st->from_laptop);
        json_int(builder, vmc_record_names.connections, st->connections);
        json_int(builder, vmc_record_names.failed, st->failed);
        vmc_admin_json_add_rate(builder, vmc_record_names.rate_mean, st->rate_mean);
        vmc_admin_json_add_rate(builder, vmc_record_names.rate_peak, st->rate_peak);
        vmc_admin_json_add_time(builder, vmc_record_names.rate_peak_time, st->rate_peak_time_us);
        json_builder_end_object(builder);
    }
    json_builder_end_object(builder);
}

/* series["streams"]: {name: [bytes per step]} of the streams that have one */
static void
json_stream_series(JsonBuilder *builder, const VmcAuditSession *s)
{
    json_builder_set_member_name(builder, vmc_record_names.streams);
    json_builder_begin_object(builder);
    for (guint i = 0; i < s->streams->len; i++) {
        const VmcAuditStream *st = s->streams->pdata[i];
        if (st->series == NULL)
            continue;
        g_autofree char *name = vmc_text_to_utf8(st->name, -1, VMC_ADMIN_JSON_STRING_MAX);
        json_samples(builder, name, st->series);
    }
    json_builder_end_object(builder);
}

static void
json_channels(JsonBuilder *builder, const VmcAuditSession *s)
{
    json_builder_set_member_name(builder, vmc_record_names.channels);
    json_builder_begin_object(builder);
    for (guint i = 0; i < s->channels->len; i++) {
        const VmcAuditChannel *c = s->channels->pdata[i];
        g_autofree char *name = vmc_text_to_utf8(c->name, -1, VMC_ADMIN_JSON_STRING_MAX);
        json_builder_set_member_name(builder, name);
        json_builder_begin_object(builder);
        json_int(builder, vmc_record_names.to_vm, c->to_vm);
        json_int(builder, vmc_record_names.from_vm, c->from_vm);
        json_int(builder, vmc_record_names.connections, c->connections);
        json_builder_end_object(builder);
    }
    json_builder_end_object(builder);
    json_streams(builder, s);

    json_builder_set_member_name(builder, vmc_record_names.series);
    if (s->total == NULL) {
        json_builder_add_null_value(builder);
        return;
    }
    json_builder_begin_object(builder);
    json_int(builder, vmc_record_names.step_s, s->step_s);
    json_samples(builder, vmc_record_names.bytes, s->total);
    json_builder_set_member_name(builder, vmc_record_names.channels);
    json_builder_begin_object(builder);
    for (guint i = 0; i < s->channels->len; i++) {
        const VmcAuditChannel *c = s->channels->pdata[i];
        if (c->series == NULL)
            continue;
        g_autofree char *name = vmc_text_to_utf8(c->name, -1, VMC_ADMIN_JSON_STRING_MAX);
        json_samples(builder, name, c->series);
    }
    json_builder_end_object(builder);
    json_stream_series(builder, s);
    json_builder_end_object(builder);
}

JsonNode *
vmc_audit_session_summary_node(const VmcAuditSession *s, gboolean with_series)
{
    g_return_val_if_fail(s != NULL, NULL);
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    vmc_admin_json_add_string(builder, vmc_record_names.session, s->session);
    vmc_admin_json_add_string(builder, "state", vmc_audit_state_name(s->state));
    json_builder_set_member_name(builder, "unterminated");
    json_builder_add_boolean_value(builder, s->state == VMC_AUDIT_STATE_UNTERMINATED);
    const VmcRecordNames *n = &vmc_record_names; /* where show mirrors the record */
    const struct {
        const char *name;
        const char *value;
    } strings[] = {
        {n->vm, s->vm},
        {n->identity, s->identity},
        {n->account, s->account},
        {n->key, s->key},
        {n->key_type, s->key_type},
        {n->client, s->client},
        {n->socket, s->socket},
        {n->mode, s->mode},
        {n->audio, s->audio},
        {n->reason, s->reason},
        {n->reason_text, s->reason_text},
        {n->takeover_of, s->takeover_of},
        {n->taken_over_by, s->taken_over_by},
        {n->viewer_signal, s->viewer_signal},
        {n->host, s->host},
    };
    for (guint i = 0; i < G_N_ELEMENTS(strings); i++)
        vmc_admin_json_add_string(builder, strings[i].name, strings[i].value);
    vmc_admin_json_add_time(builder, n->start, s->start_us);
    vmc_admin_json_add_time(builder, "end", s->end_line != 0 ? s->end_us : -1);
    json_int(builder, n->duration_s, s->duration_s);
    json_int(builder, n->bytes_total, s->bytes_total);
    vmc_admin_json_add_rate(builder, n->rate_mean, s->rate_mean);
    vmc_admin_json_add_rate(builder, n->rate_peak, s->rate_peak);
    vmc_admin_json_add_time(builder, n->rate_peak_time, s->rate_peak_time_us);
    json_int(builder, n->viewer_exit, s->viewer_exit);
    json_int(builder, n->rejected_connections, s->rejected);
    vmc_admin_json_add_string(builder, n->sandbox, s->sandbox);
    json_int(builder, n->max_duration_s, s->max_duration_s);
    json_int(builder, n->idle_timeout_s, s->idle_timeout_s);
    vmc_admin_json_add_time(builder, n->key_expires, s->key_expires_us);
    json_certificate(builder, s);
    json_int(builder, "start_line", s->start_line > 0 ? (gint64)s->start_line : -1);
    json_int(builder, "end_line", s->end_line > 0 ? (gint64)s->end_line : -1);
    if (with_series) {
        json_strv(builder, n->protections, (const char *const *)s->protections);
        json_channels(builder, s);
    }
    json_builder_end_object(builder);
    return json_builder_get_root(builder);
}

char *
vmc_audit_json_finish(JsonNode *root)
{
    g_return_val_if_fail(root != NULL, NULL);
    g_autoptr(JsonGenerator) generator = json_generator_new();
    json_generator_set_pretty(generator, TRUE);
    json_generator_set_root(generator, root);
    g_autofree char *text = json_generator_to_data(generator, NULL);
    return vmc_admin_json_escape_controls(text);
}

char *
vmc_audit_session_to_json(const VmcAuditSession *session)
{
    g_autoptr(JsonNode) root = vmc_audit_session_summary_node(session, TRUE);
    return vmc_audit_json_finish(root);
}

/* ---- CSV ---- */

void
vmc_audit_csv_append(GString *out, const char *field)
{
    if (field == NULL)
        return;
    g_autofree char *escaped = vmc_text_escape(field, -1, VMC_AUDIT_CELL_MAX);
    /* A spreadsheet runs a cell starting with = + - @ as a formula. */
    gboolean inert = strchr("=+-@", escaped[0]) != NULL && escaped[0] != '\0';
    gboolean quote = inert || strpbrk(escaped, ",\" ") != NULL;
    if (quote)
        g_string_append_c(out, '"');
    if (inert)
        g_string_append_c(out, '\'');
    for (const char *p = escaped; *p != '\0'; p++) {
        if (*p == '"')
            g_string_append_c(out, '"');
        g_string_append_c(out, *p);
    }
    if (quote)
        g_string_append_c(out, '"');
}

/* ---- dates of --since/--until ---- */

gboolean
vmc_audit_parse_date(const char *text, GTimeZone *tz, gint64 *ret_us)
{
    g_return_val_if_fail(text != NULL && tz != NULL && ret_us != NULL, FALSE);
    if (strlen(text) > 64)
        return FALSE;
    g_autoptr(GDateTime) time = NULL;
    int year, month, day, end = 0;
    if (sscanf(text, "%4d-%2d-%2d%n", &year, &month, &day, &end) == 3 && end == 10 &&
        text[end] == '\0')
        time = g_date_time_new(tz, year, month, day, 0, 0, 0);
    else
        time = g_date_time_new_from_iso8601(text, tz);
    if (time == NULL)
        return FALSE;
    *ret_us = g_date_time_to_unix(time) * G_USEC_PER_SEC + g_date_time_get_microsecond(time);
    return TRUE;
}
