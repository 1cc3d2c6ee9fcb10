/* spice-tone-server — a small Spice server for the sound tests: it plays a
 * continuous sine tone on the playback channel whenever a client is connected
 * and counts what arrives on the record channel.
 *
 *   spice-tone-server SOCKET [--freq HZ] [--pidfile FILE] [--agent]
 *
 * With --agent the "VM" also has a guest agent (fake-vdagent.c) whose lines
 * ("agent got TYPE", ...) go to stdout with the others.
 * Listens on the Unix socket SOCKET (noauth; a stale socket file there is
 * replaced), 48000 Hz S16 stereo, amplitude 0.5. stdout, one line each,
 * flushed: "listening on SOCKET" once ready; "channel NAME connected" /
 * "channel NAME disconnected"; at most once a second while they change
 * "playback: N frames" and "record: N frames" (running totals); the totals
 * again at exit. SIGTERM/SIGINT/SIGHUP: exit 0, socket and pidfile removed.
 * libspice-server offers no main loop: the SpiceCoreInterface below maps its
 * timers and fd watches onto GLib's default main context.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib-unix.h>
#include <signal.h>
#include <spice.h>

#include "fake-vdagent.h"

#define TONE_RATE 48000
#define TONE_AMPLITUDE 0.5
#define TONE_TICK_MS 5
#define TONE_MAX_BEHIND (TONE_RATE / 10) /* frames; more: a (re)connect, restart the clock */
#define TONE_RECORD_CHUNK 4800           /* frames read per record_get_samples call */

/* ---- SpiceCoreInterface on GLib ---- */

struct SpiceTimer {
    SpiceTimerFunc func;
    void *opaque;
    guint source;
};

struct SpiceWatch {
    int fd;
    SpiceWatchFunc func;
    void *opaque;
    guint source;
};

static SpiceTimer *
core_timer_add(SpiceTimerFunc func, void *opaque)
{
    SpiceTimer *timer = g_new0(SpiceTimer, 1);
    timer->func = func;
    timer->opaque = opaque;
    return timer;
}

static gboolean
core_timer_fire(gpointer data)
{
    SpiceTimer *timer = data;
    timer->source = 0; /* one-shot; func may start it again */
    timer->func(timer->opaque);
    return G_SOURCE_REMOVE;
}

static void
core_timer_cancel(SpiceTimer *timer)
{
    if (timer->source != 0) {
        g_source_remove(timer->source);
        timer->source = 0;
    }
}

static void
core_timer_start(SpiceTimer *timer, uint32_t ms)
{
    core_timer_cancel(timer);
    timer->source = g_timeout_add(ms, core_timer_fire, timer);
}

static void
core_timer_remove(SpiceTimer *timer)
{
    core_timer_cancel(timer);
    g_free(timer);
}

static gboolean
core_watch_fire(int fd, GIOCondition condition, gpointer data)
{
    SpiceWatch *watch = data;
    int events = 0;
    if (condition & (G_IO_IN | G_IO_HUP | G_IO_ERR))
        events |= SPICE_WATCH_EVENT_READ;
    if (condition & G_IO_OUT)
        events |= SPICE_WATCH_EVENT_WRITE;
    /* func may remove (free) the watch: do not touch it afterwards */
    watch->func(fd, events, watch->opaque);
    return G_SOURCE_CONTINUE;
}

static void
core_watch_update_mask(SpiceWatch *watch, int event_mask)
{
    GIOCondition condition = 0;
    if (watch->source != 0) {
        g_source_remove(watch->source);
        watch->source = 0;
    }
    if (event_mask & SPICE_WATCH_EVENT_READ)
        condition |= G_IO_IN;
    if (event_mask & SPICE_WATCH_EVENT_WRITE)
        condition |= G_IO_OUT;
    if (condition != 0) /* an empty mask polls nothing (no spinning on HUP) */
        watch->source = g_unix_fd_add(watch->fd, condition, core_watch_fire, watch);
}

static SpiceWatch *
core_watch_add(int fd, int event_mask, SpiceWatchFunc func, void *opaque)
{
    SpiceWatch *watch = g_new0(SpiceWatch, 1);
    watch->fd = fd;
    watch->func = func;
    watch->opaque = opaque;
    core_watch_update_mask(watch, event_mask);
    return watch;
}

static void
core_watch_remove(SpiceWatch *watch)
{
    core_watch_update_mask(watch, 0);
    g_free(watch);
}

static const char *
channel_name(int type)
{
    static const char *const names[] = {
        "?",      "main",   "display",   "inputs",   "cursor", "playback",
        "record", "tunnel", "smartcard", "usbredir", "port",   "webdav",
    };
    return type > 0 && (gsize)type < G_N_ELEMENTS(names) ? names[type] : "?";
}

static void
core_channel_event(int event, SpiceChannelEventInfo *info)
{
    if (event == SPICE_CHANNEL_EVENT_INITIALIZED)
        printf("channel %s connected\n", channel_name(info->type));
    else if (event == SPICE_CHANNEL_EVENT_DISCONNECTED)
        printf("channel %s disconnected\n", channel_name(info->type));
    fflush(stdout);
}

static SpiceCoreInterface core = {
    .base =
        {
            .type = SPICE_INTERFACE_CORE,
            .description = "spice-tone-server core",
            .major_version = SPICE_INTERFACE_CORE_MAJOR,
            .minor_version = SPICE_INTERFACE_CORE_MINOR,
        },
    .timer_add = core_timer_add,
    .timer_start = core_timer_start,
    .timer_cancel = core_timer_cancel,
    .timer_remove = core_timer_remove,
    .watch_add = core_watch_add,
    .watch_update_mask = core_watch_update_mask,
    .watch_remove = core_watch_remove,
    .channel_event = core_channel_event,
};

/* ---- the tone and the record counter ---- */

static const SpicePlaybackInterface playback_sif = {
    .base =
        {
            .type = SPICE_INTERFACE_PLAYBACK,
            .description = "tone",
            .major_version = SPICE_INTERFACE_PLAYBACK_MAJOR,
            .minor_version = SPICE_INTERFACE_PLAYBACK_MINOR,
        },
};

static const SpiceRecordInterface record_sif = {
    .base =
        {
            .type = SPICE_INTERFACE_RECORD,
            .description = "record counter",
            .major_version = SPICE_INTERFACE_RECORD_MAJOR,
            .minor_version = SPICE_INTERFACE_RECORD_MINOR,
        },
};

typedef struct {
    SpicePlaybackInstance playback;
    SpiceRecordInstance record;
    double freq;
    double phase;         /* radians, kept in [0, 2 pi) */
    gint64 clock_start;   /* monotonic us when frames_clock was 0 */
    guint64 frames_clock; /* frames sent since clock_start */
    guint64 played, recorded, played_shown, recorded_shown;
    gint64 last_report;
} Tone;

static void
tone_fill(Tone *tone, uint32_t *frames, uint32_t n)
{
    double step = 2.0 * G_PI * tone->freq / TONE_RATE;
    for (uint32_t i = 0; i < n; i++) {
        gint16 v = (gint16)lrint(TONE_AMPLITUDE * 32767.0 * sin(tone->phase));
        uint32_t s = (uint16_t)v;
        frames[i] = s | (s << 16); /* S16LE: left | right << 16 */
        tone->phase = fmod(tone->phase + step, 2.0 * G_PI);
    }
}

static void
tone_play(Tone *tone, gint64 now)
{
    guint64 due = (guint64)(now - tone->clock_start) * TONE_RATE / G_USEC_PER_SEC;
    if (due > tone->frames_clock + TONE_MAX_BEHIND) { /* idle, new client or stall */
        tone->clock_start = now;
        tone->frames_clock = 0;
        due = 1; /* send one buffer now */
    }
    while (tone->frames_clock < due) {
        uint32_t *frames = NULL, n = 0;
        spice_server_playback_get_buffer(&tone->playback, &frames, &n);
        if (frames == NULL || n == 0) /* no client, or its buffers are full */
            break;
        tone_fill(tone, frames, n);
        spice_server_playback_put_samples(&tone->playback, frames);
        tone->frames_clock += n;
        tone->played += n;
    }
}

static void
tone_record(Tone *tone)
{
    uint32_t buf[TONE_RECORD_CHUNK];
    uint32_t n;
    while ((n = spice_server_record_get_samples(&tone->record, buf, TONE_RECORD_CHUNK)) > 0)
        tone->recorded += n;
}

static void
tone_report(Tone *tone, gboolean always)
{
    if (always || tone->played != tone->played_shown)
        printf("playback: %" G_GUINT64_FORMAT " frames\n", tone->played);
    if (always || tone->recorded != tone->recorded_shown)
        printf("record: %" G_GUINT64_FORMAT " frames\n", tone->recorded);
    tone->played_shown = tone->played;
    tone->recorded_shown = tone->recorded;
    fflush(stdout);
}

static gboolean
tone_tick(gpointer data)
{
    Tone *tone = data;
    gint64 now = g_get_monotonic_time();
    tone_play(tone, now);
    tone_record(tone);
    if (now - tone->last_report >= G_USEC_PER_SEC) {
        tone_report(tone, FALSE);
        tone->last_report = now;
    }
    return G_SOURCE_CONTINUE;
}

/* ---- program ---- */

static gboolean
on_signal(gpointer data)
{
    g_main_loop_quit(data);
    return G_SOURCE_CONTINUE;
}

static void
remove_socket(const char *path)
{
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path);
}

static gboolean
write_pidfile(const char *path, GError **error)
{
    g_autofree char *text = g_strdup_printf("%d\n", (int)getpid());
    return g_file_set_contents(path, text, -1, error);
}

static SpiceServer *
start_server(const char *socket_path, Tone *tone)
{
    SpiceServer *server = spice_server_new();
    spice_server_set_addr(server, socket_path, SPICE_ADDR_FLAG_UNIX_ONLY);
    spice_server_set_noauth(server);
    spice_server_set_name(server, "spice-tone-server");
    if (spice_server_init(server, &core) != 0) {
        spice_server_destroy(server);
        return NULL;
    }
    tone->playback.base.sif = &playback_sif.base;
    tone->record.base.sif = &record_sif.base;
    spice_server_add_interface(server, &tone->playback.base);
    spice_server_add_interface(server, &tone->record.base);
    spice_server_set_playback_rate(&tone->playback, TONE_RATE);
    spice_server_set_record_rate(&tone->record, TONE_RATE);
    spice_server_playback_start(&tone->playback);
    spice_server_record_start(&tone->record);
    return server;
}

int
main(int argc, char **argv)
{
    double freq = 440.0;
    g_autofree char *pidfile = NULL;
    gboolean with_agent = FALSE;
    GOptionEntry entries[] = {
        {"agent", 0, 0, G_OPTION_ARG_NONE, &with_agent, "add a fake guest agent", NULL},
        {"freq", 0, 0, G_OPTION_ARG_DOUBLE, &freq, "tone frequency (default 440)", "HZ"},
        {"pidfile", 0, 0, G_OPTION_ARG_FILENAME, &pidfile, "write the pid here", "FILE"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    /* spice-server warns when a client goes away ("Connection reset by
     * peer"): normal for a test server, so never fatal (the tests run with
     * G_DEBUG=fatal-warnings) */
    g_log_set_always_fatal(G_LOG_FATAL_MASK);
    g_autoptr(GOptionContext) options = g_option_context_new("SOCKET");
    g_autoptr(GError) error = NULL;
    g_option_context_add_main_entries(options, entries, NULL);
    if (!g_option_context_parse(options, &argc, &argv, &error) || argc != 2) {
        fprintf(stderr,
                "usage: spice-tone-server SOCKET [--freq HZ] [--pidfile FILE] [--agent]%s%s\n",
                error ? ": " : "", error ? error->message : "");
        return 2;
    }
    if (!(freq > 0 && freq < TONE_RATE / 2)) {
        fprintf(stderr, "spice-tone-server: --freq must be between 0 and %d Hz\n", TONE_RATE / 2);
        return 2;
    }
    const char *socket_path = argv[1];
    Tone tone = {.freq = freq, .clock_start = g_get_monotonic_time()};
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);

    remove_socket(socket_path); /* stale one from an earlier run */
    SpiceServer *server = start_server(socket_path, &tone);
    if (server == NULL) {
        fprintf(stderr, "spice-tone-server: cannot listen on %s\n", socket_path);
        return 1;
    }
    if (with_agent)
        fake_vdagent_add(server);
    if (pidfile != NULL && !write_pidfile(pidfile, &error)) {
        fprintf(stderr, "spice-tone-server: pidfile: %s\n", error->message);
        spice_server_destroy(server);
        remove_socket(socket_path);
        return 1;
    }
    /* libspice-server writes without MSG_NOSIGNAL: a viewer that goes away
     * abruptly must not kill the "VM" (QEMU ignores SIGPIPE too). */
    signal(SIGPIPE, SIG_IGN);
    g_unix_signal_add(SIGTERM, on_signal, loop);
    g_unix_signal_add(SIGINT, on_signal, loop);
    g_unix_signal_add(SIGHUP, on_signal, loop);
    guint tick = g_timeout_add(TONE_TICK_MS, tone_tick, &tone);
    printf("listening on %s\n", socket_path);
    fflush(stdout);

    g_main_loop_run(loop);

    g_source_remove(tick);
    tone_report(&tone, TRUE);
    spice_server_destroy(server);
    remove_socket(socket_path);
    if (pidfile != NULL)
        unlink(pidfile);
    return 0;
}
