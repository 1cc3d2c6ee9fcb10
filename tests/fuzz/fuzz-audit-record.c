/* fuzz-audit-record.c — libFuzzer target for the audit commands' record
 * parser (the record schema's typed reader): any bytes as a log line,
 * merged into a session (within its bounds: channels, streams,
 * protections; every stream series as long as the total), then shown as
 * text (which must be printable: ASCII, or the sparkline's UTF-8 blocks),
 * JSON (which must parse again, with the same streams), and turned into
 * plot series; and what the reader takes, the schema's writer writes back
 * alike. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit-priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DEPTH_MAX 32 /* nesting of a record read (the gateway writes 4) */

static void
check_printable(const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        if (*p == '\n' || (*p >= 0x20 && *p < 0x7f))
            continue;
        if (*p == 0xe2 && p[1] == 0x96 && p[2] >= 0x81 && p[2] <= 0x88) { /* U+2581..2588 */
            p += 2;
            continue;
        }
        abort();
    }
}

/* The bounds and shapes audit-session.c promises. */
static void
check_session(const VmcAuditSession *session)
{
    if (session->channels->len > VMC_AUDIT_MAX_CHANNELS ||
        session->streams->len > VMC_AUDIT_MAX_STREAMS)
        abort();
    if (session->protections != NULL &&
        g_strv_length(session->protections) > VMC_AUDIT_MAX_PROTECTIONS)
        abort();
    for (guint i = 0; i < session->streams->len; i++) {
        const VmcAuditStream *stream = session->streams->pdata[i];
        if (stream->to_laptop < -1 || stream->from_laptop < -1 || stream->connections < -1 ||
            stream->failed < -1 || stream->rate_peak < 0 || stream->rate_mean < 0)
            abort();
        if (stream->series != NULL &&
            (session->total == NULL || stream->series->len != session->total->len))
            abort();
    }
}

/* The JSON's "streams" names the session's streams, no more, no fewer. */
static void
check_json_streams(JsonParser *parser, const VmcAuditSession *session)
{
    JsonObject *root = json_node_get_object(json_parser_get_root(parser));
    JsonNode *streams = json_object_get_member(root, vmc_record_names.streams);
    if (streams == NULL || !JSON_NODE_HOLDS_OBJECT(streams))
        abort();
    /* (names made valid UTF-8 and capped may collide: at most as many) */
    if (json_object_get_size(json_node_get_object(streams)) > session->streams->len ||
        (session->streams->len > 0 && json_object_get_size(json_node_get_object(streams)) == 0))
        abort();
}

/* A line the record schema's reader takes is one its writer writes back
 * alike: written, read and written again, the same JSON (the members of a
 * nested object may come in another order: json-glib writes them in its
 * hash table's). At most VMC_RECORD_MAX_STRING bytes: a longer line may
 * hold a string the writer cuts, and cutting is not done twice alike. */
static void
check_written_alike(const char *line, size_t size)
{
    g_auto(VmcRecordFields) first = {0};
    if (size > VMC_RECORD_MAX_STRING ||
        !vmc_record_fields_parse(line, size, DEPTH_MAX, &first, NULL))
        return;
    g_autoptr(VmcRecord) record = vmc_record_new_from_fields(&first);
    gsize length;
    g_autofree char *written = vmc_record_to_line(record, &length);
    g_auto(VmcRecordFields) second = {0};
    if (!vmc_record_fields_parse(written, length - 1, DEPTH_MAX, &second, NULL))
        abort();
    g_autoptr(VmcRecord) again = vmc_record_new_from_fields(&second);
    g_autofree char *rewritten = vmc_record_to_line(again, NULL);
    g_autoptr(JsonNode) a = json_from_string(written, NULL);
    g_autoptr(JsonNode) b = json_from_string(rewritten, NULL);
    if (a == NULL || b == NULL || !json_node_equal(a, b))
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *line = (const char *)data;
    check_written_alike(line, size);
    g_autofree char *id = vmc_audit_line_session_id(line, size);
    g_autoptr(VmcAuditSession) session = vmc_audit_session_new(id != NULL ? id : "abcd");
    if (!vmc_audit_session_add_line(session, line, size, 1))
        return 0;
    if (id == NULL)
        abort();                                        /* a record of a session has an id */
    vmc_audit_session_add_line(session, line, size, 2); /* a second record merges */
    check_session(session);

    g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
    g_autofree char *text = vmc_audit_show_format(session, utc, TRUE);
    check_printable(text);
    g_autofree char *json = vmc_audit_session_to_json(session);
    g_autoptr(JsonParser) parser = json_parser_new();
    if (!json_parser_load_from_data(parser, json, -1, NULL))
        abort();
    check_json_streams(parser, session);

    g_autoptr(GPtrArray) sessions = g_ptr_array_new();
    g_ptr_array_add(sessions, session);
    g_autoptr(VmcPlotData) plot = vmc_plot_data_new(sessions);
    if (plot != NULL) {
        for (guint i = 0; i < plot->series->len; i++) {
            const VmcPlotSeries *series = plot->series->pdata[i];
            for (guint s = 0; s < series->segments->len; s++) {
                g_autoptr(GArray) drawn =
                    vmc_plot_downsample(series->segments->pdata[s], plot->x_min, plot->x_max, 50);
                if (drawn->len > 50 && drawn->len > ((GArray *)series->segments->pdata[s])->len)
                    abort();
            }
        }
    }
    return 0;
}
