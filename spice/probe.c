/* probe.c — a headless Spice client (spice-client-glib) that connects to a
 * Spice server, waits for the display's primary surface and reports its
 * size, the channels that came up and the bytes read. No X server, no audio
 * backend, no USB redirection.
 *
 * spice-client-glib attaches its sources (socket waits, idles, timers) to the
 * GLOBAL default main context (g_source_attach(src, NULL)), not to the
 * thread-default one, so the probe runs a nested loop on that context. Call
 * it from the thread that owns the default context; sources of the caller's
 * own on that context are dispatched while the probe runs.
 *
 * Audio channels are enabled (so the report says whether the VM has sound)
 * but no SpiceAudio is ever created: nothing plays, nothing talks to
 * PulseAudio or GStreamer.
 */
#include "spice/vmc-spice.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <spice-client.h>

/* After the first primary surface, how long to wait for a replacement (the
 * SeaBIOS 640x480 surface is replaced by 720x400 ~1.6 s after QEMU starts). */
#define PROBE_SETTLE_MS 1500
/* After disconnecting, how long to let spice-client-glib tear channels down. */
#define PROBE_DRAIN_MS 500
#define PROBE_DRAIN_ITERATIONS 100
#define PROBE_URI_LOG_MAX 200
#define PROBE_URI_PREFIX "spice+unix:///"

typedef struct {
    SpiceChannel *channel;
    gboolean opened;
    gboolean ended; /* closed, failed or destroyed */
} ProbeChannel;

typedef struct {
    GMainLoop *loop;
    SpiceSession *session;
    const char *uri;
    GArray *channels; /* of ProbeChannel, channels hold a reference */
    int width;
    int height;
    int first_width;
    int first_height;
    guint surfaces;
    gboolean settled;  /* the surface to report is known */
    gboolean finished; /* result or error decided; events are ignored after */
    guint settle_id;
    guint timeout_id;
    guint timeout_ms;
    GError *error;
} Probe;

static ProbeChannel *
probe_find(Probe *probe, SpiceChannel *channel)
{
    for (guint i = 0; i < probe->channels->len; i++) {
        ProbeChannel *pc = &g_array_index(probe->channels, ProbeChannel, i);
        if (pc->channel == channel)
            return pc;
    }
    return NULL;
}

static int
channel_type_of(SpiceChannel *channel)
{
    int type = 0;
    g_object_get(channel, "channel-type", &type, NULL);
    return type;
}

static const char *
channel_label(SpiceChannel *channel)
{
    const char *name = vmc_spice_channel_name((guint)channel_type_of(channel));
    return name ? name : "unknown";
}

static void
probe_finish(Probe *probe)
{
    probe->finished = TRUE;
    g_main_loop_quit(probe->loop);
}

static void
probe_fail(Probe *probe, GError *error)
{
    if (probe->finished) {
        g_error_free(error);
        return;
    }
    probe->error = error;
    probe_finish(probe);
}

/* Done when the surface is settled and no channel is still linking. */
static void
probe_maybe_finish(Probe *probe)
{
    if (probe->finished || !probe->settled)
        return;
    for (guint i = 0; i < probe->channels->len; i++) {
        ProbeChannel *pc = &g_array_index(probe->channels, ProbeChannel, i);
        if (!pc->opened && !pc->ended)
            return;
    }
    probe_finish(probe);
}

static gboolean
on_settle_timeout(gpointer user_data)
{
    Probe *probe = user_data;
    probe->settle_id = 0;
    probe->settled = TRUE;
    probe_maybe_finish(probe);
    return G_SOURCE_REMOVE;
}

static void
on_primary_create(SpiceChannel *channel, gint format, gint width, gint height, gint stride,
                  gint shmid, gpointer imgdata, gpointer user_data)
{
    Probe *probe = user_data;

    probe->width = width;
    probe->height = height;
    if (probe->surfaces++ == 0) {
        probe->first_width = width;
        probe->first_height = height;
        probe->settle_id = g_timeout_add(PROBE_SETTLE_MS, on_settle_timeout, probe);
    } else if (width != probe->first_width || height != probe->first_height) {
        probe->settled = TRUE;
    }
    probe_maybe_finish(probe);
}

/* Why connecting to the spice+unix:// socket failed, in words (from our own
 * attempt: spice-client-glib's error says little). NULL if unknown. */
static char *
unix_socket_cause(const char *uri)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    const char *path = uri + strlen(PROBE_URI_PREFIX) - 1;
    struct stat st;
    int fd, saved;

    if (strlen(path) >= sizeof(sa.sun_path))
        return g_strdup("the socket path is too long");
    if (lstat(path, &st) < 0)
        return g_strdup(g_strerror(errno));
    if (!S_ISSOCK(st.st_mode))
        return g_strdup("not a socket");
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return NULL;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    saved = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? errno : 0;
    close(fd);
    return saved ? g_strdup(g_strerror(saved)) : NULL;
}

static GError *
channel_event_error(Probe *probe, SpiceChannel *channel, SpiceChannelEvent event)
{
    const GError *spice_error = spice_channel_get_error(channel);
    const char *detail = spice_error ? spice_error->message : "no detail";
    const char *name = channel_label(channel);
    g_autofree char *cause = NULL;

    switch (event) {
    case SPICE_CHANNEL_ERROR_CONNECT:
        cause = unix_socket_cause(probe->uri);
        return g_error_new(VMC_SPICE_ERROR, VMC_SPICE_ERROR_PROBE,
                           "cannot connect to %.*s: %s (is the VM running?)", PROBE_URI_LOG_MAX,
                           probe->uri, cause ? cause : detail);
    case SPICE_CHANNEL_ERROR_LINK:
        return g_error_new(VMC_SPICE_ERROR, VMC_SPICE_ERROR_PROBE,
                           "the Spice link of the %s channel to %.*s failed: %s "
                           "(not a Spice server, or it refused the channel)",
                           name, PROBE_URI_LOG_MAX, probe->uri, detail);
    case SPICE_CHANNEL_ERROR_AUTH:
        return g_error_new(VMC_SPICE_ERROR, VMC_SPICE_ERROR_PROBE,
                           "%.*s refused authentication: %s (a Spice password is set?)",
                           PROBE_URI_LOG_MAX, probe->uri, detail);
    case SPICE_CHANNEL_ERROR_TLS:
        return g_error_new(VMC_SPICE_ERROR, VMC_SPICE_ERROR_PROBE, "TLS error with %.*s: %s",
                           PROBE_URI_LOG_MAX, probe->uri, detail);
    case SPICE_CHANNEL_ERROR_IO:
        return g_error_new(VMC_SPICE_ERROR, VMC_SPICE_ERROR_PROBE,
                           "I/O error on the %s channel of %.*s: %s", name, PROBE_URI_LOG_MAX,
                           probe->uri, detail);
    default:
        return g_error_new(VMC_SPICE_ERROR, VMC_SPICE_ERROR_PROBE,
                           "%.*s closed the %s channel before the display was up "
                           "(another client took the console?)",
                           PROBE_URI_LOG_MAX, probe->uri, name);
    }
}

static void
on_channel_event(SpiceChannel *channel, SpiceChannelEvent event, gpointer user_data)
{
    Probe *probe = user_data;
    ProbeChannel *pc = probe_find(probe, channel);

    if (pc == NULL || probe->finished)
        return;
    if (event == SPICE_CHANNEL_OPENED) {
        pc->opened = TRUE;
        probe_maybe_finish(probe);
        return;
    }
    if (event == SPICE_CHANNEL_NONE || event == SPICE_CHANNEL_SWITCHING)
        return;
    pc->ended = TRUE;
    probe_fail(probe, channel_event_error(probe, channel, event));
}

static void
on_channel_new(SpiceSession *session, SpiceChannel *channel, gpointer user_data)
{
    Probe *probe = user_data;
    ProbeChannel pc = {.channel = g_object_ref(channel)};

    g_array_append_val(probe->channels, pc);
    g_signal_connect(channel, "channel-event", G_CALLBACK(on_channel_event), probe);
    if (SPICE_IS_DISPLAY_CHANNEL(channel))
        g_signal_connect(channel, "display-primary-create", G_CALLBACK(on_primary_create), probe);
    spice_channel_connect(channel);
}

static void
on_channel_destroy(SpiceSession *session, SpiceChannel *channel, gpointer user_data)
{
    ProbeChannel *pc = probe_find(user_data, channel);

    if (pc != NULL)
        pc->ended = TRUE;
}

static guint
channels_opened(Probe *probe)
{
    guint n = 0;

    for (guint i = 0; i < probe->channels->len; i++)
        n += g_array_index(probe->channels, ProbeChannel, i).opened ? 1 : 0;
    return n;
}

static gboolean
on_probe_timeout(gpointer user_data)
{
    Probe *probe = user_data;

    probe->timeout_id = 0;
    if (probe->surfaces > 0) {
        /* the surface did not change within the time given: report it */
        probe->settled = TRUE;
        probe_finish(probe);
    } else if (channels_opened(probe) == 0) {
        probe_fail(probe, g_error_new(VMC_SPICE_ERROR, VMC_SPICE_ERROR_TIMEOUT,
                                      "no Spice answer from %.*s within %u ms "
                                      "(is it a Spice server?)",
                                      PROBE_URI_LOG_MAX, probe->uri, probe->timeout_ms));
    } else {
        probe_fail(probe, g_error_new(VMC_SPICE_ERROR, VMC_SPICE_ERROR_TIMEOUT,
                                      "no display from %.*s within %u ms "
                                      "(%u channels up; does the VM have a display?)",
                                      PROBE_URI_LOG_MAX, probe->uri, probe->timeout_ms,
                                      channels_opened(probe)));
    }
    return G_SOURCE_REMOVE;
}

static gboolean
on_drain_timeout(gpointer user_data)
{
    *(gboolean *)user_data = TRUE;
    return G_SOURCE_REMOVE;
}

static gboolean
all_channels_ended(Probe *probe)
{
    for (guint i = 0; i < probe->channels->len; i++)
        if (!g_array_index(probe->channels, ProbeChannel, i).ended)
            return FALSE;
    return TRUE;
}

/* Names of the channels that opened, in the order they did, and their bytes. */
static VmcSpiceProbeResult *
probe_result(Probe *probe)
{
    VmcSpiceProbeResult *result = g_new0(VmcSpiceProbeResult, 1);
    g_autoptr(GStrvBuilder) names = g_strv_builder_new();

    result->width = probe->width;
    result->height = probe->height;
    for (guint i = 0; i < probe->channels->len; i++) {
        ProbeChannel *pc = &g_array_index(probe->channels, ProbeChannel, i);
        gulong bytes = 0;

        g_object_get(pc->channel, "total-read-bytes", &bytes, NULL);
        result->bytes_read += bytes;
        if (pc->opened)
            g_strv_builder_add(names, channel_label(pc->channel));
    }
    result->channels = g_strv_builder_end(names);
    return result;
}

/* Disconnect, let spice-client-glib destroy the channels (bounded), drop
 * every reference and handler. */
static void
probe_teardown(Probe *probe)
{
    gboolean expired = FALSE;
    guint drain_id;

    g_clear_handle_id(&probe->settle_id, g_source_remove);
    g_clear_handle_id(&probe->timeout_id, g_source_remove);
    spice_session_disconnect(probe->session);
    drain_id = g_timeout_add(PROBE_DRAIN_MS, on_drain_timeout, &expired);
    while (!expired && !all_channels_ended(probe))
        g_main_context_iteration(NULL, TRUE);
    if (!expired)
        g_source_remove(drain_id);

    for (guint i = 0; i < probe->channels->len; i++) {
        ProbeChannel *pc = &g_array_index(probe->channels, ProbeChannel, i);
        g_signal_handlers_disconnect_by_data(pc->channel, probe);
        g_object_unref(pc->channel);
    }
    g_array_set_size(probe->channels, 0);
    g_signal_handlers_disconnect_by_data(probe->session, probe);
    g_clear_object(&probe->session);
    /* the idles spice-client-glib queued while tearing down (bounded: the
     * caller may have sources of its own that are always ready) */
    for (guint i = 0; i < PROBE_DRAIN_ITERATIONS && g_main_context_iteration(NULL, FALSE); i++)
        ;
}

VmcSpiceProbeResult *
vmc_spice_probe(const char *uri, guint timeout_ms, GError **error)
{
    Probe probe = {.uri = uri, .timeout_ms = timeout_ms};
    VmcSpiceProbeResult *result = NULL;

    g_return_val_if_fail(uri != NULL, NULL);
    g_return_val_if_fail(timeout_ms > 0, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    /* spice-client-glib only warns about a URI it cannot parse */
    if (!g_str_has_prefix(uri, PROBE_URI_PREFIX)) {
        g_set_error(error, VMC_SPICE_ERROR, VMC_SPICE_ERROR_PROBE,
                    "not a Spice URI: '%.*s' (expected " PROBE_URI_PREFIX "path/to/socket)",
                    PROBE_URI_LOG_MAX, uri);
        return NULL;
    }

    probe.loop = g_main_loop_new(NULL, FALSE);
    probe.channels = g_array_new(FALSE, TRUE, sizeof(ProbeChannel));
    probe.session = spice_session_new();
    g_object_set(probe.session, "uri", uri, "enable-audio", TRUE, "enable-usbredir", FALSE,
                 "enable-smartcard", FALSE, NULL);
    g_signal_connect(probe.session, "channel-new", G_CALLBACK(on_channel_new), &probe);
    g_signal_connect(probe.session, "channel-destroy", G_CALLBACK(on_channel_destroy), &probe);

    probe.timeout_id = g_timeout_add(timeout_ms, on_probe_timeout, &probe);
    if (!spice_session_connect(probe.session))
        probe.error = g_error_new(VMC_SPICE_ERROR, VMC_SPICE_ERROR_PROBE,
                                  "cannot connect to %.*s: spice-client-glib refused the URI",
                                  PROBE_URI_LOG_MAX, uri);
    else
        g_main_loop_run(probe.loop);

    if (probe.error == NULL)
        result = probe_result(&probe);
    probe_teardown(&probe);
    g_array_unref(probe.channels);
    g_main_loop_unref(probe.loop);
    if (probe.error != NULL)
        g_propagate_error(error, probe.error);
    return result;
}

void
vmc_spice_probe_result_free(VmcSpiceProbeResult *result)
{
    if (result == NULL)
        return;
    g_strfreev(result->channels);
    g_free(result);
}
