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
    const VmcRelayStreamStats *x11 = find_stream(stats, VMC_RECORD_STREAM_X11);
    g_autofree char *x11_bytes =
        x11 != NULL ? vmc_format_bytes(x11->bytes_to_target + x11->bytes_from_target) : NULL;
    return g_strdup_printf("session %s, display %s, audio %s, peak %s%s%s", duration, display,
                           audio, peak, x11 != NULL ? ", X11 to your screen " : "",
                           x11 != NULL ? x11_bytes : "");
}

/* "channels": {name: {"to_vm", "from_vm", "connections"}} of the channels used. */
static GPtrArray *
record_channels(const VmcRelayStats *stats)
{
    GPtrArray *channels = vmc_record_named_new();
    for (guint type = 1; type <= VMC_SPICE_CHANNEL_MAX; type++) {
        const VmcRelayChannelStats *c = &stats->channels[type];
        if (c->connections == 0 && c->bytes_to_vm == 0 && c->bytes_from_vm == 0)
            continue;
        VmcRecordChannel *channel = vmc_record_channels_add(channels, vmc_spice_channel_name(type));
        channel->to_vm = (gint64)c->bytes_to_vm;
        channel->from_vm = (gint64)c->bytes_from_vm;
        channel->connections = c->connections;
    }
    return channels;
}

/* A series summing each `factor` adjacent samples, into samples. */
static void
add_series(GArray *samples, const GArray *series, guint factor)
{
    for (guint i = 0; series != NULL && i < series->len; i += factor) {
        guint64 sum = 0;
        for (guint j = i; j < i + factor && j < series->len; j++)
            sum += g_array_index(series, guint64, j);
        gint64 value = (gint64)sum;
        g_array_append_val(samples, value);
    }
}

/* "series": {"step_s", "bytes": [totals], "channels": {name: [bytes]},
 * "streams": {name: [bytes]}}, downsampled to at most VMC_SESSION_SERIES_MAX
 * samples so that a record stays bounded. */
static void
record_series(VmcRecordSeries *series, const VmcRelayStats *stats)
{
    guint len = stats->series != NULL ? stats->series->len : 0;
    guint factor = len > VMC_SESSION_SERIES_MAX
                       ? (len + VMC_SESSION_SERIES_MAX - 1) / VMC_SESSION_SERIES_MAX
                       : 1;
    series->step_s = (gint64)stats->series_step_s * factor;
    series->bytes = g_array_new(FALSE, FALSE, sizeof(gint64));
    add_series(series->bytes, stats->series, factor);
    series->channels = vmc_record_named_new();
    for (guint type = 1; type <= VMC_SPICE_CHANNEL_MAX; type++) {
        if (stats->channel_series[type] != NULL)
            add_series(vmc_record_samples_add(series->channels, vmc_spice_channel_name(type)),
                       stats->channel_series[type], factor);
    }
    if (stats->n_streams == 0)
        return;
    series->streams = vmc_record_named_new();
    for (guint i = 0; i < stats->n_streams; i++)
        add_series(vmc_record_samples_add(series->streams, stats->streams[i].name),
                   stats->streams[i].series, factor);
}

/* "streams": {"x11": {...}, "audio": {...}}: the bytes that crossed the SSH
 * connection besides Spice. */
static GPtrArray *
record_streams(const VmcRelayStats *stats)
{
    GPtrArray *streams = vmc_record_named_new();
    for (guint i = 0; i < stats->n_streams; i++) {
        const VmcRelayStreamStats *s = &stats->streams[i];
        VmcRecordStream *stream = vmc_record_streams_add(streams, s->name);
        stream->to_laptop = (gint64)s->bytes_to_target;
        stream->from_laptop = (gint64)s->bytes_from_target;
        stream->connections = s->connections;
        stream->failed = s->failed;
        stream->rate_mean = s->mean_rate;
        stream->rate_peak = s->peak_rate;
        stream->rate_peak_time = s->peak_rate > 0 ? s->peak_time_us : -1;
    }
    return streams;
}

void
vmc_session_record_sandbox(VmcRecordStart *start, gboolean on, const char *const *protections)
{
    start->sandbox = g_strdup(on ? VMC_RECORD_SANDBOX_ON : VMC_RECORD_SANDBOX_OFF);
    start->protections = protections != NULL ? g_strdupv((char **)protections) : g_new0(char *, 1);
}

void
vmc_session_record_stats(VmcRecordEnd *end, const VmcRelayStats *stats)
{
    end->channels = record_channels(stats);
    end->bytes_total = (gint64)stats->bytes_total;
    end->rate_mean = stats->mean_rate;
    end->rate_peak = stats->peak_rate;
    end->rate_peak_time = stats->peak_rate > 0 ? stats->peak_time_us : -1;
    record_series(&end->series, stats);
    end->rejected_connections = stats->rejected;
    if (stats->n_streams > 0)
        end->streams = record_streams(stats);
    vmc_session_record_agent(&end->agent, &stats->agent);
}

void
vmc_session_record_agent_policy(VmcRecordStart *start, const VmcAgentPolicy *policy)
{
    VmcClipboardPolicy clipboard =
        policy->clipboard_to_vm
            ? (policy->clipboard_from_vm ? VMC_CLIPBOARD_BOTH : VMC_CLIPBOARD_TO_VM)
            : (policy->clipboard_from_vm ? VMC_CLIPBOARD_FROM_VM : VMC_CLIPBOARD_NONE);
    start->file_transfer = g_strdup(vmc_config_file_transfer_name(
        policy->file_transfer ? VMC_FILE_TRANSFER_ALLOW : VMC_FILE_TRANSFER_DENY));
    start->clipboard = g_strdup(vmc_config_clipboard_name(clipboard));
}

void
vmc_session_record_agent(VmcRecordAgent *agent, const VmcAgentStats *stats)
{
    agent->file_transfer_dropped = (gint64)stats->file_transfer_dropped;
    agent->clipboard_to_vm_dropped = (gint64)stats->clipboard_to_vm_dropped;
    agent->clipboard_from_vm_dropped = (gint64)stats->clipboard_from_vm_dropped;
    agent->bytes_dropped_to_vm = (gint64)stats->bytes_dropped_to_vm;
    agent->bytes_dropped_from_vm = (gint64)stats->bytes_dropped_from_vm;
    agent->bytes_injected_to_vm = (gint64)stats->bytes_injected_to_vm;
    agent->bytes_injected_from_vm = (gint64)stats->bytes_injected_from_vm;
    agent->refused = stats->refused;
}
