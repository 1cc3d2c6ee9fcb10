/* session-record.c — what a session's records and its closing line say. Pure. */
#include "session-priv.h"

#include <string.h>


static guint64
channel_bytes(const VmcRelayStats *stats, guint type)
{
    return stats->channels[type].bytes_to_vm + stats->channels[type].bytes_from_vm;
}

static const VmcRelayStreamStats *
find_stream(const VmcRelayStats *stats, const char *name)
{
    for (guint i = 0; i < stats->n_streams; i++)
        if (strcmp(stats->streams[i].name, name) == 0)
            return &stats->streams[i];
    return NULL;
}

char *
vmc_session_summary(const VmcRelayStats *stats, gint64 duration_s)
{
    g_autofree char *duration = vmc_format_duration(duration_s);
    g_autofree char *display = vmc_format_bytes(channel_bytes(stats, VMC_SPICE_CHANNEL_DISPLAY));
    g_autofree char *audio = vmc_format_bytes(channel_bytes(stats, VMC_SPICE_CHANNEL_PLAYBACK) +
                                              channel_bytes(stats, VMC_SPICE_CHANNEL_RECORD));
    g_autofree char *peak = vmc_format_rate(stats->peak_rate);
    const VmcRelayStreamStats *x11 = find_stream(stats, VMC_SESSION_STREAM_X11);
    g_autofree char *x11_bytes =
        x11 != NULL ? vmc_format_bytes(x11->bytes_to_target + x11->bytes_from_target) : NULL;
    return g_strdup_printf("session %s, display %s, audio %s, peak %s%s%s", duration, display,
                           audio, peak, x11 != NULL ? ", X11 to your screen " : "",
                           x11 != NULL ? x11_bytes : "");
}

static JsonNode *
channels_node(const VmcRelayStats *stats)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    for (guint type = 1; type <= VMC_SPICE_CHANNEL_MAX; type++) {
        const VmcRelayChannelStats *c = &stats->channels[type];
        if (c->connections == 0 && c->bytes_to_vm == 0 && c->bytes_from_vm == 0)
            continue;
        json_builder_set_member_name(builder, vmc_spice_channel_name(type));
        json_builder_begin_object(builder);
        json_builder_set_member_name(builder, "to_vm");
        json_builder_add_int_value(builder, (gint64)c->bytes_to_vm);
        json_builder_set_member_name(builder, "from_vm");
        json_builder_add_int_value(builder, (gint64)c->bytes_from_vm);
        json_builder_set_member_name(builder, "connections");
        json_builder_add_int_value(builder, c->connections);
        json_builder_end_object(builder);
    }
    json_builder_end_object(builder);
    return json_builder_get_root(builder);
}

/* Add a series as a JSON array, summing each `factor` adjacent samples. */
static void
add_series(JsonBuilder *builder, const GArray *series, guint factor)
{
    json_builder_begin_array(builder);
    for (guint i = 0; series != NULL && i < series->len; i += factor) {
        guint64 sum = 0;
        for (guint j = i; j < i + factor && j < series->len; j++)
            sum += g_array_index(series, guint64, j);
        json_builder_add_int_value(builder, (gint64)sum);
    }
    json_builder_end_array(builder);
}

/* {"step_s", "bytes": [totals], "channels": {name: [bytes]}}, downsampled to
 * at most VMC_SESSION_SERIES_MAX samples so that a record stays bounded. */
static JsonNode *
series_node(const VmcRelayStats *stats)
{
    guint len = stats->series != NULL ? stats->series->len : 0;
    guint factor = len > VMC_SESSION_SERIES_MAX ? (len + VMC_SESSION_SERIES_MAX - 1) /
                                                       VMC_SESSION_SERIES_MAX
                                                 : 1;
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "step_s");
    json_builder_add_int_value(builder, (gint64)stats->series_step_s * factor);
    json_builder_set_member_name(builder, "bytes");
    add_series(builder, stats->series, factor);
    json_builder_set_member_name(builder, "channels");
    json_builder_begin_object(builder);
    for (guint type = 1; type <= VMC_SPICE_CHANNEL_MAX; type++) {
        if (stats->channel_series[type] == NULL)
            continue;
        json_builder_set_member_name(builder, vmc_spice_channel_name(type));
        add_series(builder, stats->channel_series[type], factor);
    }
    json_builder_end_object(builder);
    if (stats->n_streams > 0) {
        json_builder_set_member_name(builder, "streams");
        json_builder_begin_object(builder);
        for (guint i = 0; i < stats->n_streams; i++) {
            json_builder_set_member_name(builder, stats->streams[i].name);
            add_series(builder, stats->streams[i].series, factor);
        }
        json_builder_end_object(builder);
    }
    json_builder_end_object(builder);
    return json_builder_get_root(builder);
}

static void
add_int_member(JsonBuilder *builder, const char *name, gint64 value)
{
    json_builder_set_member_name(builder, name);
    json_builder_add_int_value(builder, value);
}

/* {"x11": {"to_laptop", "from_laptop", "connections", "failed", "rate_mean",
 * "rate_peak", "rate_peak_time"}, "audio": {…}}: the bytes that crossed the
 * SSH connection besides Spice. */
static JsonNode *
streams_node(const VmcRelayStats *stats)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    for (guint i = 0; i < stats->n_streams; i++) {
        const VmcRelayStreamStats *s = &stats->streams[i];
        json_builder_set_member_name(builder, s->name);
        json_builder_begin_object(builder);
        add_int_member(builder, "to_laptop", (gint64)s->bytes_to_target);
        add_int_member(builder, "from_laptop", (gint64)s->bytes_from_target);
        add_int_member(builder, "connections", s->connections);
        add_int_member(builder, "failed", s->failed);
        json_builder_set_member_name(builder, "rate_mean");
        json_builder_add_double_value(builder, s->mean_rate);
        json_builder_set_member_name(builder, "rate_peak");
        json_builder_add_double_value(builder, s->peak_rate);
        if (s->peak_rate > 0) {
            g_autofree char *peak_time = vmc_format_time_us(s->peak_time_us);
            json_builder_set_member_name(builder, "rate_peak_time");
            json_builder_add_string_value(builder, peak_time);
        }
        json_builder_end_object(builder);
    }
    json_builder_end_object(builder);
    return json_builder_get_root(builder);
}

void
vmc_session_record_strings(VmcRecord *record, const char *key, const char *const *strings,
                           gssize n)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_array(builder);
    for (gsize i = 0; strings != NULL && (n < 0 ? strings[i] != NULL : i < (gsize)n); i++)
        json_builder_add_string_value(builder, strings[i]);
    json_builder_end_array(builder);
    vmc_record_take_node(record, key, json_builder_get_root(builder));
}

void
vmc_session_record_sandbox(VmcRecord *record, gboolean on, const char *const *protections)
{
    vmc_record_set_string(record, "sandbox", on ? "on" : "off");
    vmc_session_record_strings(record, "protections", protections, -1);
}

void
vmc_session_record_stats(VmcRecord *record, const VmcRelayStats *stats)
{
    vmc_record_take_node(record, "channels", channels_node(stats));
    vmc_record_set_int(record, "bytes_total", (gint64)stats->bytes_total);
    vmc_record_set_double(record, "rate_mean", stats->mean_rate);
    vmc_record_set_double(record, "rate_peak", stats->peak_rate);
    if (stats->peak_rate > 0) {
        g_autofree char *peak_time = vmc_format_time_us(stats->peak_time_us);
        vmc_record_set_string(record, "rate_peak_time", peak_time);
    }
    vmc_record_take_node(record, "series", series_node(stats));
    vmc_record_set_int(record, "rejected_connections", stats->rejected);
    if (stats->n_streams > 0)
        vmc_record_take_node(record, "streams", streams_node(stats));
    vmc_session_record_agent(record, stats);
}

void
vmc_session_record_agent_policy(VmcRecord *record, const VmcAgentPolicy *policy)
{
    VmcClipboardPolicy clipboard = policy->clipboard_to_vm
                                       ? (policy->clipboard_from_vm ? VMC_CLIPBOARD_BOTH
                                                                    : VMC_CLIPBOARD_TO_VM)
                                       : (policy->clipboard_from_vm ? VMC_CLIPBOARD_FROM_VM
                                                                    : VMC_CLIPBOARD_NONE);
    vmc_record_set_string(record, "file_transfer",
                          vmc_config_file_transfer_name(policy->file_transfer
                                                            ? VMC_FILE_TRANSFER_ALLOW
                                                            : VMC_FILE_TRANSFER_DENY));
    vmc_record_set_string(record, "clipboard", vmc_config_clipboard_name(clipboard));
}

void
vmc_session_record_agent(VmcRecord *record, const VmcRelayStats *stats)
{
    const VmcAgentStats *agent = &stats->agent;
    const struct {
        const char *name;
        guint64 value;
    } members[] = {
        {"file_transfer_dropped", agent->file_transfer_dropped},
        {"clipboard_to_vm_dropped", agent->clipboard_to_vm_dropped},
        {"clipboard_from_vm_dropped", agent->clipboard_from_vm_dropped},
        {"bytes_dropped_to_vm", agent->bytes_dropped_to_vm},
        {"bytes_dropped_from_vm", agent->bytes_dropped_from_vm},
        {"bytes_injected_to_vm", agent->bytes_injected_to_vm},
        {"bytes_injected_from_vm", agent->bytes_injected_from_vm},
        {"refused", agent->refused},
    };
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    for (gsize i = 0; i < G_N_ELEMENTS(members); i++) {
        json_builder_set_member_name(builder, members[i].name);
        json_builder_add_int_value(builder, (gint64)members[i].value);
    }
    json_builder_end_object(builder);
    vmc_record_take_node(record, "agent", json_builder_get_root(builder));
}
