/* audit-session.c — a session rebuilt from its start and end records. Pure.
 *
 * The log reader has already checked each line as strict JSON; this reads
 * the whole record by the record schema (vmc_record_fields_parse: channels,
 * streams, series; a member of another kind than the schema's is absent)
 * and keeps what is within bounds. Anything else in a record is ignored.
 */
#include "audit-priv.h"

#include <math.h>
#include <string.h>

#define VMC_AUDIT_MAX_DEPTH 32 /* nesting of a record parsed (the gateway writes 4) */

static void
audit_channel_free(VmcAuditChannel *channel)
{
    if (channel == NULL)
        return;
    g_free(channel->name);
    g_clear_pointer(&channel->series, g_array_unref);
    g_free(channel);
}

static void
audit_stream_free(VmcAuditStream *stream)
{
    if (stream == NULL)
        return;
    g_free(stream->name);
    g_clear_pointer(&stream->series, g_array_unref);
    g_free(stream);
}

VmcAuditSession *
vmc_audit_session_new(const char *id)
{
    g_return_val_if_fail(id != NULL, NULL);
    VmcAuditSession *session = g_new0(VmcAuditSession, 1);
    session->session = g_strdup(id);
    session->start_us = session->end_us = -1;
    session->duration_s = session->bytes_total = session->viewer_exit = session->rejected = -1;
    session->rate_mean = session->rate_peak = NAN;
    session->rate_peak_time_us = -1;
    session->max_duration_s = session->idle_timeout_s = session->key_expires_us = -1;
    session->cert_valid_after_us = session->cert_valid_before_us = -1;
    session->channels = g_ptr_array_new_with_free_func((GDestroyNotify)audit_channel_free);
    session->streams = g_ptr_array_new_with_free_func((GDestroyNotify)audit_stream_free);
    session->state = VMC_AUDIT_STATE_UNTERMINATED;
    return session;
}

void
vmc_audit_session_free(VmcAuditSession *session)
{
    if (session == NULL)
        return;
    char **strings[] = {&session->session,     &session->identity,
                        &session->account,     &session->key,
                        &session->key_type,    &session->client,
                        &session->vm,          &session->host,
                        &session->socket,      &session->mode,
                        &session->audio,       &session->reason,
                        &session->reason_text, &session->taken_over_by,
                        &session->takeover_of, &session->viewer_signal,
                        &session->sandbox,     &session->cert_key_id,
                        &session->cert_serial, &session->cert_ca};
    for (guint i = 0; i < G_N_ELEMENTS(strings); i++)
        g_free(*strings[i]);
    g_clear_pointer(&session->total, g_array_unref);
    g_ptr_array_unref(session->channels);
    g_ptr_array_unref(session->streams);
    g_strfreev(session->protections);
    g_free(session);
}

/* The line as a typed record (the record schema's reader), FALSE when it is
 * none: also for a line the log reader calls damaged for its shape (a
 * repeated member, U+0000), so that show and plot never read another
 * record than report does. */
static gboolean
parse_record(const char *line, gsize length, VmcRecordFields *ret_record)
{
    return vmc_record_fields_parse(line, length, VMC_AUDIT_MAX_DEPTH, ret_record, NULL);
}

/* The who of a start or end record; NULL for the other events. */
static const VmcRecordWho *
record_who(const VmcRecordFields *record)
{
    if (record->event == VMC_LOG_EVENT_START)
        return &record->start.who;
    if (record->event == VMC_LOG_EVENT_END)
        return &record->end.who;
    return NULL;
}

char *
vmc_audit_line_session_id(const char *line, gsize length)
{
    g_auto(VmcRecordFields) record = {0};
    if (!parse_record(line, length, &record) || record_who(&record) == NULL)
        return NULL;
    const char *id = record_who(&record)->session;
    if (id == NULL || id[0] == '\0' || strlen(id) > VMC_AUDIT_ID_MAX)
        return NULL;
    return g_strdup(id);
}

/* A string the record has into *field; an absent one leaves it. */
static void
take_string(char **field, const char *value)
{
    if (value == NULL)
        return;
    g_free(*field);
    *field = g_strdup(value);
}

/* A count, time or rate the record has into *field; an absent one leaves it. */
static void
take_number(gint64 *field, gint64 value)
{
    if (value >= 0)
        *field = value;
}

static void
take_rate(double *field, double value)
{
    if (!isnan(value))
        *field = value;
}

static void
take_common(VmcAuditSession *session, const VmcRecordWho *who, const VmcRecordSound *sound)
{
    take_string(&session->identity, who->identity);
    take_string(&session->account, who->account);
    take_string(&session->key, who->key);
    take_string(&session->client, who->client);
    take_string(&session->vm, who->vm);
    take_string(&session->audio, sound->audio);
}

/* The start record's own: the key type, socket, mode, a takeover, the
 * sandbox and its protections (at most VMC_AUDIT_MAX_PROTECTIONS). */
static void
take_start(VmcAuditSession *session, const VmcRecordStart *start)
{
    take_common(session, &start->who, &start->sound);
    take_string(&session->host, start->host);
    take_string(&session->key_type, start->key_type);
    take_string(&session->socket, start->socket);
    take_string(&session->mode, start->mode);
    take_string(&session->takeover_of, start->takeover_of);
    take_string(&session->sandbox, start->sandbox);
    take_number(&session->max_duration_s, start->max_duration_s);
    take_number(&session->idle_timeout_s, start->idle_timeout_s);
    take_number(&session->key_expires_us, start->key_expires);
    take_string(&session->cert_key_id, start->certificate.key_id);
    take_string(&session->cert_serial, start->certificate.serial);
    take_string(&session->cert_ca, start->certificate.ca);
    take_number(&session->cert_valid_after_us, start->certificate.valid_after);
    take_number(&session->cert_valid_before_us, start->certificate.valid_before);
    if (start->protections == NULL)
        return;
    g_strfreev(session->protections);
    guint n = MIN(g_strv_length(start->protections), VMC_AUDIT_MAX_PROTECTIONS);
    session->protections = g_new0(char *, n + 1);
    for (guint i = 0; i < n; i++)
        session->protections[i] = g_strdup(start->protections[i]);
}

/* A record's samples as the doubles show and plot draw; NULL when there are
 * more than VMC_AUDIT_MAX_SAMPLES. */
static GArray *
samples_of(const GArray *samples)
{
    if (samples->len > VMC_AUDIT_MAX_SAMPLES)
        return NULL;
    GArray *values = g_array_sized_new(FALSE, FALSE, sizeof(double), samples->len);
    for (guint i = 0; i < samples->len; i++) {
        double value = (double)g_array_index(samples, gint64, i);
        g_array_append_val(values, value);
    }
    return values;
}

/* The item of items called name: channels and streams both start with their name. */
static gpointer
find_named(const GPtrArray *items, const char *name)
{
    for (guint i = 0; i < items->len; i++) {
        char *const *item_name = items->pdata[i];
        if (strcmp(*item_name, name) == 0)
            return items->pdata[i];
    }
    return NULL;
}

/* The channel called name, new when needed; NULL past VMC_AUDIT_MAX_CHANNELS. */
static VmcAuditChannel *
find_channel(VmcAuditSession *session, const char *name)
{
    VmcAuditChannel *channel = find_named(session->channels, name);
    if (channel != NULL || session->channels->len >= VMC_AUDIT_MAX_CHANNELS)
        return channel;
    channel = g_new0(VmcAuditChannel, 1);
    channel->name = g_strdup(name);
    channel->to_vm = channel->from_vm = channel->connections = -1;
    g_ptr_array_add(session->channels, channel);
    return channel;
}

/* The stream called name, new when needed; NULL past VMC_AUDIT_MAX_STREAMS. */
static VmcAuditStream *
find_stream(VmcAuditSession *session, const char *name)
{
    VmcAuditStream *stream = find_named(session->streams, name);
    if (stream != NULL || session->streams->len >= VMC_AUDIT_MAX_STREAMS)
        return stream;
    stream = g_new0(VmcAuditStream, 1);
    stream->name = g_strdup(name);
    stream->to_laptop = stream->from_laptop = stream->connections = stream->failed = -1;
    stream->rate_mean = stream->rate_peak = NAN;
    stream->rate_peak_time_us = -1;
    g_ptr_array_add(session->streams, stream);
    return stream;
}

static void
take_channels(VmcAuditSession *session, const GPtrArray *channels)
{
    for (guint i = 0; channels != NULL && i < channels->len; i++) {
        const VmcRecordChannel *c = channels->pdata[i];
        VmcAuditChannel *channel = find_channel(session, c->name);
        if (channel == NULL)
            break;
        take_number(&channel->to_vm, c->to_vm);
        take_number(&channel->from_vm, c->from_vm);
        take_number(&channel->connections, c->connections);
    }
}

static void
take_streams(VmcAuditSession *session, const GPtrArray *streams)
{
    for (guint i = 0; streams != NULL && i < streams->len; i++) {
        const VmcRecordStream *s = streams->pdata[i];
        VmcAuditStream *stream = find_stream(session, s->name);
        if (stream == NULL)
            break;
        take_number(&stream->to_laptop, s->to_laptop);
        take_number(&stream->from_laptop, s->from_laptop);
        take_number(&stream->connections, s->connections);
        take_number(&stream->failed, s->failed);
        take_rate(&stream->rate_mean, s->rate_mean);
        take_rate(&stream->rate_peak, s->rate_peak);
        take_number(&stream->rate_peak_time_us, s->rate_peak_time);
    }
}

/* Where the series of the channel or stream called name goes (NULL: no room). */
typedef GArray **(*SeriesSlotFunc)(VmcAuditSession *session, const char *name);

static GArray **
channel_series_slot(VmcAuditSession *session, const char *name)
{
    VmcAuditChannel *channel = find_channel(session, name);
    return channel != NULL ? &channel->series : NULL;
}

static GArray **
stream_series_slot(VmcAuditSession *session, const char *name)
{
    VmcAuditStream *stream = find_stream(session, name);
    return stream != NULL ? &stream->series : NULL;
}

/* Each named series (VmcRecordSamples) kept when it has length samples. */
static void
take_named_series(VmcAuditSession *session, const GPtrArray *named, guint length,
                  SeriesSlotFunc slot)
{
    for (guint i = 0; named != NULL && i < named->len; i++) {
        const VmcRecordSamples *series = named->pdata[i];
        if (series->samples->len != length)
            continue;
        GArray **where = slot(session, series->name);
        if (where == NULL)
            break;
        g_clear_pointer(where, g_array_unref);
        *where = samples_of(series->samples);
    }
}

/* The series: a step of at most VMC_AUDIT_MAX_STEP_S, the total, and the
 * per-channel and per-stream series (absent in older records) of its length. */
static void
take_series(VmcAuditSession *session, const VmcRecordSeries *series)
{
    if (series->step_s < 1 || series->step_s > VMC_AUDIT_MAX_STEP_S || series->bytes == NULL)
        return;
    GArray *total = samples_of(series->bytes);
    if (total == NULL)
        return;
    g_clear_pointer(&session->total, g_array_unref);
    session->total = total;
    session->step_s = series->step_s;
    take_named_series(session, series->channels, total->len, channel_series_slot);
    take_named_series(session, series->streams, total->len, stream_series_slot);
}

/* The end record's own: the end, why, the viewer, the counters, channels,
 * streams and series (bounded by the limits of audit-priv.h). */
static void
take_end(VmcAuditSession *session, const VmcRecordEnd *end)
{
    take_common(session, &end->who, &end->sound);
    take_string(&session->host, end->host);
    take_string(&session->reason, end->reason);
    take_string(&session->reason_text, end->reason_text);
    take_string(&session->taken_over_by, end->taken_over_by);
    take_string(&session->viewer_signal, end->viewer_signal);
    take_number(&session->duration_s, end->duration_s);
    take_number(&session->bytes_total, end->bytes_total);
    take_number(&session->viewer_exit, end->viewer_exit);
    take_number(&session->rejected, end->rejected_connections);
    /* the one mean rate (report's too), not the gateway's own "rate_mean" */
    session->rate_mean = vmc_log_mean_rate(
        end->bytes_total, vmc_log_session_length_us(end->start, end->time, end->duration_s));
    take_rate(&session->rate_peak, end->rate_peak);
    take_number(&session->rate_peak_time_us, end->rate_peak_time);
    take_channels(session, end->channels);
    take_streams(session, end->streams);
    take_series(session, &end->series);
}

gboolean
vmc_audit_session_add_line(VmcAuditSession *session, const char *line, gsize length,
                           guint64 line_number)
{
    g_return_val_if_fail(session != NULL && line != NULL, FALSE);
    g_auto(VmcRecordFields) record = {0};
    if (!parse_record(line, length, &record) || record_who(&record) == NULL ||
        g_strcmp0(record_who(&record)->session, session->session) != 0)
        return FALSE;
    if (record.event == VMC_LOG_EVENT_START) {
        session->start_line = line_number;
        take_number(&session->start_us, record.start.time);
        take_start(session, &record.start);
    } else {
        session->end_line = line_number;
        session->state = VMC_AUDIT_STATE_ENDED;
        session->end_us = record.end.time;
        if (session->start_line == 0)
            take_number(&session->start_us, record.end.start);
        take_end(session, &record.end);
    }
    return TRUE;
}

gboolean
vmc_audit_query_is_valid(const char *query)
{
    gsize length = query != NULL ? strlen(query) : 0;
    if (length < VMC_AUDIT_PREFIX_MIN || length > VMC_AUDIT_ID_MAX)
        return FALSE;
    for (gsize i = 0; i < length; i++)
        if (!g_ascii_isxdigit(query[i]))
            return FALSE;
    return TRUE;
}

gboolean
vmc_audit_id_matches(const char *id, const char *query)
{
    g_return_val_if_fail(id != NULL && query != NULL, FALSE);
    gsize length = strlen(query);
    return strlen(id) >= length && g_ascii_strncasecmp(id, query, length) == 0;
}

guint64
vmc_audit_entry_key(const VmcLogEntry *entry)
{
    g_return_val_if_fail(entry != NULL, 0);
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    const char *parts[] = {entry->host, entry->session, vmc_record_event_name(entry->event),
                           entry->identity, entry->client};
    for (guint i = 0; i < G_N_ELEMENTS(parts); i++) {
        /* each part with its length first: no two lists of parts run together alike */
        gsize length = parts[i] != NULL ? strlen(parts[i]) + 1 : 0;
        guint64 le = GUINT64_TO_LE((guint64)length);
        g_checksum_update(sum, (const guchar *)&le, sizeof le);
        if (parts[i] != NULL)
            g_checksum_update(sum, (const guchar *)parts[i], (gssize)length);
    }
    guint64 time = GUINT64_TO_LE((guint64)entry->time_us);
    g_checksum_update(sum, (const guchar *)&time, sizeof time);
    guint8 digest[32];
    gsize digest_length = sizeof digest;
    g_checksum_get_digest(sum, digest, &digest_length);
    guint64 key;
    memcpy(&key, digest, sizeof key);
    return key;
}

char *
vmc_audit_session_key(const char *host, const char *session)
{
    return g_strconcat(host != NULL ? host : "", "\x1f", session != NULL ? session : "", NULL);
}

gboolean
vmc_audit_host_is_here(const char *host)
{
    return host == NULL || g_strcmp0(host, vmc_record_host_name()) == 0;
}
