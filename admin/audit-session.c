/* audit-session.c — a session rebuilt from its start and end records. Pure.
 *
 * The log reader has already checked each line as strict JSON; this parses
 * the whole record with json-glib (channels, series) and keeps what is of the
 * expected shape and within bounds. Anything else in a record is ignored.
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
    char **strings[] = {&session->session,
                        &session->identity,
                        &session->account,
                        &session->key,
                        &session->key_type,
                        &session->client,
                        &session->vm,
                        &session->socket,
                        &session->mode,
                        &session->audio,
                        &session->reason,
                        &session->reason_text,
                        &session->taken_over_by,
                        &session->takeover_of,
                        &session->viewer_signal,
                        &session->sandbox};
    for (guint i = 0; i < G_N_ELEMENTS(strings); i++)
        g_free(*strings[i]);
    g_clear_pointer(&session->total, g_array_unref);
    g_ptr_array_unref(session->channels);
    g_ptr_array_unref(session->streams);
    g_strfreev(session->protections);
    g_free(session);
}

/* The line as a JSON object (a new reference), or NULL: also for a line
 * the log reader calls damaged for its shape (a repeated member, U+0000),
 * so that show and plot never read another record than report does. */
static JsonObject *
parse_object(const char *line, gsize length)
{
    return vmc_log_parse_object(line, length, VMC_AUDIT_MAX_DEPTH);
}

static const char *
get_string(JsonObject *object, const char *name)
{
    JsonNode *node = json_object_get_member(object, name);
    if (node == NULL || json_node_get_value_type(node) != G_TYPE_STRING)
        return NULL;
    return json_node_get_string(node);
}

static gboolean
get_int(JsonObject *object, const char *name, gint64 *ret)
{
    JsonNode *node = json_object_get_member(object, name);
    if (node == NULL || json_node_get_value_type(node) != G_TYPE_INT64)
        return FALSE;
    *ret = json_node_get_int(node);
    return TRUE;
}

/* A count (a non-negative integer) into *field; anything else leaves it. */
static void
take_count(JsonObject *object, const char *name, gint64 *field)
{
    gint64 value;
    if (get_int(object, name, &value) && value >= 0)
        *field = value;
}

static gboolean
get_number(JsonObject *object, const char *name, double *ret)
{
    JsonNode *node = json_object_get_member(object, name);
    if (node == NULL)
        return FALSE;
    GType type = json_node_get_value_type(node);
    if (type == G_TYPE_INT64)
        *ret = (double)json_node_get_int(node);
    else if (type == G_TYPE_DOUBLE)
        *ret = json_node_get_double(node);
    else
        return FALSE;
    return isfinite(*ret);
}

/* An RFC 3339 time to microseconds since the epoch, or -1. */
static gint64
parse_time(const char *text)
{
    if (text == NULL || strlen(text) > 64)
        return -1;
    g_autoptr(GDateTime) time = g_date_time_new_from_iso8601(text, NULL);
    if (time == NULL)
        return -1;
    gint64 seconds = g_date_time_to_unix(time);
    if (seconds < 0 || seconds > G_MAXINT64 / G_USEC_PER_SEC - 1)
        return -1;
    return seconds * G_USEC_PER_SEC + g_date_time_get_microsecond(time);
}

/* A rate (finite, >= 0) into *field; anything else leaves it. */
static void
take_rate(JsonObject *object, const char *name, double *field)
{
    double rate;
    if (get_number(object, name, &rate) && rate >= 0)
        *field = rate;
}

/* An RFC 3339 time into *field (microseconds); anything else leaves it. */
static void
take_time(JsonObject *object, const char *name, gint64 *field)
{
    gint64 time_us = parse_time(get_string(object, name));
    if (time_us >= 0)
        *field = time_us;
}

char *
vmc_audit_line_session_id(const char *line, gsize length)
{
    g_autoptr(JsonObject) record = parse_object(line, length);
    if (record == NULL)
        return NULL;
    const char *event = get_string(record, "event");
    const char *id = get_string(record, "session");
    if (g_strcmp0(event, "start") != 0 && g_strcmp0(event, "end") != 0)
        return NULL;
    if (id == NULL || id[0] == '\0' || strlen(id) > VMC_AUDIT_ID_MAX)
        return NULL;
    return g_strdup(id);
}

static void
take_strings(VmcAuditSession *session, JsonObject *record)
{
    const struct {
        const char *name;
        char **field;
    } strings[] = {
        {"identity", &session->identity},
        {"account", &session->account},
        {"key", &session->key},
        {"key_type", &session->key_type},
        {"client", &session->client},
        {"vm", &session->vm},
        {"socket", &session->socket},
        {"mode", &session->mode},
        {"audio", &session->audio},
        {"reason", &session->reason},
        {"reason_text", &session->reason_text},
        {"taken_over_by", &session->taken_over_by},
        {"takeover_of", &session->takeover_of},
        {"viewer_signal", &session->viewer_signal},
    };
    for (guint i = 0; i < G_N_ELEMENTS(strings); i++) {
        const char *value = get_string(record, strings[i].name);
        if (value == NULL)
            continue;
        g_free(*strings[i].field);
        *strings[i].field = g_strdup(value);
    }
}

static void
take_numbers(VmcAuditSession *session, JsonObject *record)
{
    gint64 value;
    take_count(record, "duration_s", &session->duration_s);
    take_count(record, "bytes_total", &session->bytes_total);
    if (get_int(record, "viewer_exit", &value))
        session->viewer_exit = value;
    if (get_int(record, "viewer_signal", &value)) {
        g_free(session->viewer_signal);
        session->viewer_signal = g_strdup_printf("%" G_GINT64_FORMAT, value);
    }
    take_count(record, "rejected_connections", &session->rejected);
    take_rate(record, "rate_mean", &session->rate_mean);
    take_rate(record, "rate_peak", &session->rate_peak);
    take_time(record, "rate_peak_time", &session->rate_peak_time_us);
}

/* "sandbox": "on"|"off" and "protections": [names] (strings only, at most
 * VMC_AUDIT_MAX_PROTECTIONS) of a start record. */
static void
take_sandbox(VmcAuditSession *session, JsonObject *record)
{
    const char *sandbox = get_string(record, VMC_RECORD_SANDBOX);
    if (sandbox != NULL) {
        g_free(session->sandbox);
        session->sandbox = g_strdup(sandbox);
    }
    JsonNode *node = json_object_get_member(record, VMC_RECORD_PROTECTIONS);
    if (node == NULL || !JSON_NODE_HOLDS_ARRAY(node))
        return;
    JsonArray *array = json_node_get_array(node);
    g_autoptr(GStrvBuilder) names = g_strv_builder_new();
    guint n = 0;
    for (guint i = 0; i < json_array_get_length(array) && n < VMC_AUDIT_MAX_PROTECTIONS; i++) {
        JsonNode *element = json_array_get_element(array, i);
        if (json_node_get_value_type(element) == G_TYPE_STRING) {
            g_strv_builder_add(names, json_node_get_string(element));
            n++;
        }
    }
    g_strfreev(session->protections);
    session->protections = g_strv_builder_end(names);
}

/* A JSON array of non-negative integers as doubles, or NULL (wrong shape,
 * too long). */
static GArray *
parse_samples(JsonNode *node)
{
    if (node == NULL || !JSON_NODE_HOLDS_ARRAY(node))
        return NULL;
    JsonArray *array = json_node_get_array(node);
    guint n = json_array_get_length(array);
    if (n > VMC_AUDIT_MAX_SAMPLES)
        return NULL;
    g_autoptr(GArray) samples = g_array_sized_new(FALSE, FALSE, sizeof(double), n);
    for (guint i = 0; i < n; i++) {
        JsonNode *element = json_array_get_element(array, i);
        if (json_node_get_value_type(element) != G_TYPE_INT64 || json_node_get_int(element) < 0)
            return NULL;
        double value = (double)json_node_get_int(element);
        g_array_append_val(samples, value);
    }
    return g_steal_pointer(&samples);
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

/* Takes one named object's values; FALSE when there is no room for it. */
typedef gboolean (*TakeNamedFunc)(VmcAuditSession *session, const char *name, JsonObject *values);

/* take for each member of object[member] {name: {...}} whose value is an object. */
static void
take_each_named(VmcAuditSession *session, JsonObject *object, const char *member,
                TakeNamedFunc take)
{
    JsonNode *node = json_object_get_member(object, member);
    if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node))
        return;
    JsonObject *named = json_node_get_object(node);
    g_autoptr(GList) names = json_object_get_members(named);
    for (GList *l = names; l != NULL; l = l->next) {
        JsonNode *values = json_object_get_member(named, l->data);
        if (JSON_NODE_HOLDS_OBJECT(values) && !take(session, l->data, json_node_get_object(values)))
            break;
    }
}

/* "channels": {name: {"to_vm", "from_vm", "connections"}} */
static gboolean
take_channel(VmcAuditSession *session, const char *name, JsonObject *values)
{
    VmcAuditChannel *channel = find_channel(session, name);
    if (channel == NULL)
        return FALSE;
    take_count(values, "to_vm", &channel->to_vm);
    take_count(values, "from_vm", &channel->from_vm);
    take_count(values, "connections", &channel->connections);
    return TRUE;
}

/* "streams": {name: {"to_laptop", "from_laptop", "connections", "failed",
 * "rate_mean", "rate_peak", "rate_peak_time"}} */
static gboolean
take_stream(VmcAuditSession *session, const char *name, JsonObject *values)
{
    VmcAuditStream *stream = find_stream(session, name);
    if (stream == NULL)
        return FALSE;
    take_count(values, VMC_RECORD_TO_LAPTOP, &stream->to_laptop);
    take_count(values, VMC_RECORD_FROM_LAPTOP, &stream->from_laptop);
    take_count(values, "connections", &stream->connections);
    take_count(values, VMC_RECORD_FAILED, &stream->failed);
    take_rate(values, "rate_mean", &stream->rate_mean);
    take_rate(values, "rate_peak", &stream->rate_peak);
    take_time(values, "rate_peak_time", &stream->rate_peak_time_us);
    return TRUE;
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

/* series[member] = {name: [samples]}: each kept when it has length samples. */
static void
take_named_series(VmcAuditSession *session, JsonObject *series, const char *member, guint length,
                  SeriesSlotFunc slot)
{
    JsonNode *node = json_object_get_member(series, member);
    if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node))
        return;
    JsonObject *named = json_node_get_object(node);
    g_autoptr(GList) names = json_object_get_members(named);
    for (GList *l = names; l != NULL; l = l->next) {
        g_autoptr(GArray) samples = parse_samples(json_object_get_member(named, l->data));
        if (samples == NULL || samples->len != length)
            continue;
        GArray **where = slot(session, l->data);
        if (where == NULL)
            break;
        g_clear_pointer(where, g_array_unref);
        *where = g_steal_pointer(&samples);
    }
}

/* "series": {"step_s", "bytes": [], "channels": {name: []}, "streams":
 * {name: []}}; per-channel and per-stream series (absent in older records)
 * must have the length of "bytes". */
static void
take_series(VmcAuditSession *session, JsonObject *record)
{
    JsonNode *node = json_object_get_member(record, "series");
    if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node))
        return;
    JsonObject *series = json_node_get_object(node);
    gint64 step;
    if (!get_int(series, "step_s", &step) || step < 1 || step > VMC_AUDIT_MAX_STEP_S)
        return;
    GArray *total = parse_samples(json_object_get_member(series, "bytes"));
    if (total == NULL)
        return;
    g_clear_pointer(&session->total, g_array_unref);
    session->total = total;
    session->step_s = step;
    take_named_series(session, series, "channels", total->len, channel_series_slot);
    take_named_series(session, series, VMC_RECORD_STREAMS, total->len, stream_series_slot);
}

gboolean
vmc_audit_session_add_line(VmcAuditSession *session, const char *line, gsize length,
                           guint64 line_number)
{
    g_return_val_if_fail(session != NULL && line != NULL, FALSE);
    g_autoptr(JsonObject) record = parse_object(line, length);
    if (record == NULL || g_strcmp0(get_string(record, "session"), session->session) != 0)
        return FALSE;
    const char *event = get_string(record, "event");
    gint64 time_us = parse_time(get_string(record, "time"));
    if (g_strcmp0(event, "start") == 0) {
        session->start_line = line_number;
        if (time_us >= 0)
            session->start_us = time_us;
    } else if (g_strcmp0(event, "end") == 0) {
        session->end_line = line_number;
        session->state = VMC_AUDIT_STATE_ENDED;
        session->end_us = time_us;
        gint64 start_us = parse_time(get_string(record, "start"));
        if (session->start_line == 0 && start_us >= 0)
            session->start_us = start_us;
    } else {
        return FALSE;
    }
    take_strings(session, record);
    take_numbers(session, record);
    take_sandbox(session, record);
    take_each_named(session, record, "channels", take_channel);
    take_each_named(session, record, VMC_RECORD_STREAMS, take_stream);
    take_series(session, record);
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
