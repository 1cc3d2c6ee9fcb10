/* session.c — one console session from lock to end record (DESIGN.md, step by step).
 *
 * Every way a session ends (viewer exit, SSH gone, VM gone, signal, takeover)
 * goes through session_end(): the viewer and its group are ended (with the
 * sandbox: bubblewrap, whose PID namespace dies with it), the relay closed,
 * the end record written once, the session dir removed and the lock
 * released.
 */
#include "session-priv.h"
#include "session-deadline.h"
#include "vmc-build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <dirent.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

typedef enum {
    END_NONE,
    END_VIEWER_EXIT,
    END_SSH_CLOSED,
    END_VM_CLOSED,
    END_SIGNAL,
    END_TAKEOVER,
    END_FAILED,
    END_MAX_DURATION, /* the ends by policy: session-deadline.h */
    END_IDLE,
    END_CERTIFICATE,
    END_KEY,
} EndReason;

static const char *const end_reason_names[] = {
    [END_NONE] = "none",
    [END_VIEWER_EXIT] = "viewer-exit",
    [END_SSH_CLOSED] = "ssh-closed",
    [END_VM_CLOSED] = "vm-closed",
    [END_SIGNAL] = "signal",
    [END_TAKEOVER] = "takeover",
    [END_FAILED] = "start-failed",
    [END_MAX_DURATION] = VMC_RECORD_REASON_MAX_DURATION,
    [END_IDLE] = VMC_RECORD_REASON_IDLE,
    [END_CERTIFICATE] = VMC_RECORD_REASON_CERTIFICATE,
    [END_KEY] = VMC_RECORD_REASON_KEY,
};

typedef struct {
    const VmcGateway *gateway;
    const VmcRequest *request;
    const VmcIdentity *identity;
    VmcAccessDecision *decision;
    VmcSessionLog *log;

    char *id;
    char *dir;
    char *takeover_of; /* the session this one took over */
    VmcSound sound;
    gint64 start_real_us;
    gint64 start_mono_us;

    VmcIdentitySlot *slot; /* one of the identity's max-sessions-per-identity */
    VmcConsoleLock *lock;
    VmcLockInfo lock_info;   /* what the lock file says (strings borrowed) */
    VmcSessionDir *dir_lock; /* session->dir, flock'ed while the session lives */
    GPtrArray *swept;        /* ids of stale session dirs this start removed */
    VmcRelay *relay;
    VmcSandboxSupport *sandbox; /* NULL with sandbox = off */
    gboolean sandbox_failed;    /* the sandbox did not come up: exit 6 */
    char *refusal;              /* why the session was refused, when more than the code says */
    VmcViewer *viewer;
    VmcNativeServer *native; /* native mode: the attaches it serves */
    GPid viewer_pid;         /* 0 when not running (bubblewrap's pid with the sandbox) */
    int viewer_status;       /* wait status once it exited */
    gboolean viewer_exited;

    GMainLoop *loop;
    EndReason end_reason;
    char *end_detail;
    char *taken_over_by;
    guint sources[8];
    guint n_sources;
    VmcDeadlinePolicy limits;
    VmcDeadlineTimer *deadline; /* NULL: no limit */
} Session;

static void
session_finish(Session *session, EndReason reason, char *detail)
{
    if (session->end_reason == END_NONE) {
        session->end_reason = reason;
        session->end_detail = detail;
    } else {
        g_free(detail);
    }
    g_main_loop_quit(session->loop);
}

/* ---- the events that end a session ---- */

static void
on_viewer_exit(GPid pid, gint status, gpointer data)
{
    Session *session = data;
    session->viewer_exited = TRUE;
    session->viewer_status = status;
    g_spawn_close_pid(pid);
    session_finish(session, END_VIEWER_EXIT, g_strdup("the viewer exited"));
}

static gboolean
on_stdout_gone(gint fd, GIOCondition condition, gpointer data)
{
    session_finish(data, END_SSH_CLOSED, g_strdup("the SSH connection went away"));
    return G_SOURCE_REMOVE;
}

/* Native mode: the session's own channel ended (EOF on its stdin). What
 * comes before that is read and dropped. */
static gboolean
on_native_stdin(gint fd, GIOCondition condition, gpointer data)
{
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
        return G_SOURCE_CONTINUE;
    session_finish(data, END_SSH_CLOSED, g_strdup("the session's channel closed"));
    return G_SOURCE_REMOVE;
}

static char *
read_takeover_note(Session *session)
{
    const char *run_dir = session->gateway->config->run_dir;
    g_autofree char *name = g_strdup_printf("%s.takeover", session->request->vm);
    g_autofree char *path = g_build_filename(run_dir, name, NULL);
    g_autoptr(GError) error = NULL;
    g_autofree char *text = NULL;
    gsize length = 0;
    int dir_fd = vmc_console_run_dir_open(run_dir, &error);
    if (dir_fd >= 0) {
        const VmcFileRules rules = {
            .owner = geteuid(), .max_size = VMC_LOCK_INFO_MAX, .remedy = VMC_RUN_FILE_REMEDY};
        text = vmc_file_read(dir_fd, name, path, &rules, &length, &error);
        close(dir_fd);
    }
    if (text == NULL) {
        if (!g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            vmc_print_escaped(stderr, "vmconsole-gateway: no takeover note read: %s\n",
                              error->message);
        return NULL;
    }
    g_autoptr(VmcLockInfo) taker = vmc_console_lock_info_parse(text, length);
    if (taker == NULL || g_strcmp0(taker->session, session->id) == 0)
        return NULL;
    return g_strdup_printf("%s|%s", taker->session, taker->identity);
}

static gboolean
on_terminate(gpointer data)
{
    Session *session = data;
    g_autofree char *taker = read_takeover_note(session);
    if (taker != NULL) {
        char *bar = strchr(taker, '|');
        *bar = '\0';
        session->taken_over_by = g_strdup(taker);
        session_finish(session, END_TAKEOVER,
                       g_strdup_printf("taken over by %s (session %s)", bar + 1, taker));
    } else {
        session_finish(session, END_SIGNAL, g_strdup("ended by a signal"));
    }
    return G_SOURCE_CONTINUE;
}

static gboolean
on_hangup(gpointer data)
{
    session_finish(data, END_SSH_CLOSED, g_strdup("the SSH connection hung up (SIGHUP)"));
    return G_SOURCE_CONTINUE;
}

static void
on_relay_event(VmcRelay *relay, VmcRelayEvent event, const char *detail, gpointer data)
{
    Session *session = data;
    if (event == VMC_RELAY_EVENT_VM_CLOSED)
        session_finish(session, END_VM_CLOSED, g_strdup("the VM side closed"));
    else
        vmc_print_escaped(stderr, "vmconsole: refused a connection to the console relay: %s\n",
                          detail);
}

/* ---- the ends by policy (session-deadline.h) ---- */

/* The person's last input: on the Spice inputs channel, or (with the
 * sandbox, where the viewer's X11 connection goes through the relay) an
 * input event their X server reported to the viewer, e.g. over its menus. */
static gint64
last_input(gpointer data)
{
    Session *session = data;
    if (session->relay == NULL)
        return 0;
    return MAX(vmc_relay_get_last_to_vm(session->relay, VMC_SPICE_CHANNEL_INPUTS),
               vmc_relay_get_last_x11_input(session->relay));
}

static void
on_deadline(VmcDeadlineKind kind, gpointer data)
{
    Session *session = data;
    EndReason reason = kind == VMC_DEADLINE_MAX_DURATION ? END_MAX_DURATION
                       : kind == VMC_DEADLINE_IDLE       ? END_IDLE
                       : kind == VMC_DEADLINE_KEY        ? END_KEY
                                                         : END_CERTIFICATE;
    session_finish(session, reason, vmc_deadline_end_text(&session->limits, kind));
}

static void
session_limits(Session *session)
{
    const VmcGateway *gateway = session->gateway;
    vmc_deadline_policy_for(&session->limits, gateway->config, session->request->vm,
                            gateway->ssh->certificate, gateway->key_expires_us,
                            session->start_mono_us, session->start_real_us);
}

/* ---- setting up ---- */

int
vmc_session_listen(const char *path, int type, GError **error)
{
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof address.sun_path) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FILENAME_TOO_LONG,
                    "the socket path %s is too long: choose a shorter run-dir", path);
        return -1;
    }
    strcpy(address.sun_path, path);
    int fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof address) != 0 ||
        listen(fd, 16) != 0) {
        int saved = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved), "cannot listen on %s: %s",
                    path, g_strerror(saved));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static gboolean
allowed_channels(const VmcConfig *config, const char *vm, gboolean microphone, gboolean *allowed)
{
    const VmcVmConfig *vm_config = vmc_config_find_vm(config, vm);
    g_auto(GStrv) defaults = g_strsplit(VMC_CONFIG_DEFAULT_CHANNELS, " ", 0);
    char **names = vm_config != NULL ? vm_config->channels : defaults;
    memset(allowed, 0, sizeof(gboolean) * (VMC_SPICE_CHANNEL_MAX + 1));
    for (guint i = 0; names[i] != NULL; i++) {
        guint type = vmc_spice_channel_from_name(names[i]);
        if (type != 0)
            allowed[type] = TRUE;
    }
    /* the microphone: where the config allows it and the person asked for it */
    if (!microphone || !vmc_config_microphone_allowed(config, vm))
        allowed[VMC_SPICE_CHANNEL_RECORD] = FALSE;
    /* USB redirection: only where the config allows it (whatever channels lists) */
    allowed[VMC_SPICE_CHANNEL_USBREDIR] = vmc_config_usb_allowed(config, vm);
    return allowed[VMC_SPICE_CHANNEL_MAIN];
}

/* The VM's title, as the viewer shows it. */
static const char *
vm_title(const Session *session)
{
    const VmcVmConfig *vm_config =
        vmc_config_find_vm(session->gateway->config, session->request->vm);
    return vm_config != NULL && vm_config->title != NULL ? vm_config->title : session->request->vm;
}

/* The viewer's title: the VM's, or with a warning in force what is left. */
static void
set_viewer_title(Session *session, VmcDeadlineKind kind, gint64 left_us)
{
    const char *title = vm_title(session);
    g_autofree char *text =
        kind == VMC_DEADLINE_NONE ? g_strdup(title) : vmc_deadline_title_text(title, kind, left_us);
    g_autoptr(GError) error = NULL;
    if (!vmc_relay_set_main_name(session->relay, text, &error) &&
        !vmc_relay_set_main_name(session->relay, session->request->vm, NULL))
        vmc_print_escaped(stderr, "vmconsole: the viewer's title cannot be set: %s\n",
                          error->message);
}

static void
on_deadline_warning(VmcDeadlineKind kind, gint64 left_us, gpointer data)
{
    Session *session = data;
    /* native mode: the launcher titles the laptop's viewer and shows the
     * warning on the person's terminal; the relay leaves the name alone */
    if (!session->request->native)
        set_viewer_title(session, kind, left_us);
}

/* The viewer's Spice, X11 and sound sockets, as it sees them. */
static const char *
viewer_dir(const Session *session)
{
    return session->sandbox != NULL ? VMC_SANDBOX_SESSION_DIR : session->dir;
}

static VmcViewerPlaces
viewer_places(const Session *session, const char *display, const char *xauthority)
{
    if (session->sandbox == NULL)
        return (VmcViewerPlaces){display, xauthority, session->dir, session->dir};
    return (VmcViewerPlaces){":" G_STRINGIFY(VMC_SANDBOX_DISPLAY_NUMBER),
                             VMC_SANDBOX_SESSION_DIR "/Xauthority", VMC_SANDBOX_HOME,
                             VMC_SANDBOX_RUNTIME_DIR};
}

/* What must stay out of the viewer's reach even where it lies under a
 * system dir the sandbox shows (/etc, /usr). */
static GStrv
hidden_paths(const Session *session)
{
    const VmcConfig *config = session->gateway->config;
    g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
    g_autofree char *config_dir = config->path ? g_path_get_dirname(config->path) : NULL;
    g_autofree char *log_dir = g_path_get_dirname(config->log);
    g_autofree char *socket_dir = g_path_get_dirname(session->decision->socket_path);
    g_autofree char *pattern_dir = g_path_get_dirname(config->socket_pattern);
    const char *paths[] = {config_dir, log_dir,     config->run_dir,
                           socket_dir, pattern_dir, g_get_home_dir()};
    for (guint i = 0; i < G_N_ELEMENTS(paths); i++)
        if (paths[i] != NULL && g_path_is_absolute(paths[i]) && strcmp(paths[i], "/") != 0)
            g_strv_builder_add(builder, paths[i]);
    return g_strv_builder_end(builder);
}

/* bubblewrap's argv around viewer_argv: the session's files bound in. */
static GStrv
sandbox_argv(const Session *session, char **viewer_argv, GError **error)
{
    g_autofree char *spice = g_build_filename(session->dir, "spice.sock", NULL);
    g_autofree char *xauth = g_build_filename(session->dir, "Xauthority", NULL);
    g_autofree char *x11 = g_build_filename(session->dir, "X0", NULL);
    g_autofree char *pulse = g_build_filename(session->dir, VMC_SOUND_SOCKET, NULL);
    g_autofree char *config = g_build_filename(session->dir, VMC_SOUND_CLIENT_CONFIG, NULL);
    VmcSandboxBind binds[6] = {
        {spice, VMC_SANDBOX_SESSION_DIR "/spice.sock"},
        {xauth, VMC_SANDBOX_SESSION_DIR "/Xauthority"},
        {x11, VMC_SANDBOX_X11_DIR "/X" G_STRINGIFY(VMC_SANDBOX_DISPLAY_NUMBER)},
    };
    guint n = 3;
    if (vmc_sound_is_on(&session->sound)) {
        binds[n++] = (VmcSandboxBind){pulse, VMC_SANDBOX_SESSION_DIR "/" VMC_SOUND_SOCKET};
        binds[n++] = (VmcSandboxBind){config, VMC_SANDBOX_SESSION_DIR "/" VMC_SOUND_CLIENT_CONFIG};
        if (session->sound.cookie_path != NULL)
            binds[n++] = (VmcSandboxBind){session->sound.cookie_path,
                                          VMC_SANDBOX_SESSION_DIR "/" VMC_SOUND_COOKIE};
    }
    g_auto(GStrv) hide = hidden_paths(session);
    VmcSandboxSpec spec = {
        .support = session->sandbox,
        .viewer = session->gateway->config->viewer,
        .binds = binds,
        .n_binds = n,
        .hide = (const char *const *)hide,
        .viewer_argv = viewer_argv,
        .status_fd = VMC_VIEWER_STATUS_FD,
        .report_fd = VMC_VIEWER_REPORT_FD,
    };
    return vmc_sandbox_argv(&spec, error);
}

static gboolean
start_viewer(Session *session, GError **error)
{
    const VmcConfig *config = session->gateway->config;
    g_auto(GStrv) env = g_get_environ();
    const char *display = g_environ_getenv(env, "DISPLAY");
    g_autofree char *xauthority = g_build_filename(session->dir, "Xauthority", NULL);
    g_autofree char *socket_path = g_build_filename(viewer_dir(session), "spice.sock", NULL);
    gboolean sandbox = session->sandbox != NULL;

    if (!vmc_viewer_write_xauthority(env, display, xauthority,
                                     sandbox ? G_STRINGIFY(VMC_SANDBOX_DISPLAY_NUMBER) : NULL,
                                     error))
        return FALSE;
    g_autoptr(GPtrArray) extra = g_ptr_array_new_with_free_func(g_free);
    vmc_sound_env(&session->sound, viewer_dir(session), extra);
    VmcViewerPlaces places = viewer_places(session, display, xauthority);
    g_auto(GStrv) viewer_argv =
        vmc_viewer_argv(config->viewer, socket_path, vmc_sound_is_on(&session->sound));
    g_auto(GStrv) viewer_env = vmc_viewer_env(env, &places, extra);
    g_auto(GStrv) argv =
        sandbox ? sandbox_argv(session, viewer_argv, error) : g_strdupv(viewer_argv);
    g_autofree char *expected = sandbox ? vmc_sandbox_expected_report(session->sandbox) : NULL;
    if (argv == NULL)
        return FALSE;
    VmcViewerLaunch launch = {argv, viewer_env, sandbox ? "/" : session->dir, sandbox, expected};
    session->viewer = vmc_viewer_start(&launch, error);
    if (session->viewer == NULL) {
        session->sandbox_failed = sandbox;
        return FALSE;
    }
    session->viewer_pid = vmc_viewer_get_pid(session->viewer);
    vmc_relay_set_peer_check(session->relay, vmc_viewer_peer_check, session->viewer);
    session->sources[session->n_sources++] =
        g_child_watch_add(session->viewer_pid, on_viewer_exit, session);
    return TRUE;
}

/* A plain stream of the relay: a socket NAME in the session dir, relayed
 * to target; an X11 one also followed for the person's input. */
static gboolean
add_stream(Session *session, const char *name, const char *file,
           const struct sockaddr_storage *target, socklen_t length, gboolean x11, GError **error)
{
    g_autofree char *path = g_build_filename(session->dir, file, NULL);
    int fd = vmc_session_listen(path, SOCK_STREAM, error);
    if (fd < 0)
        return FALSE;
    return x11 ? vmc_relay_add_x11_stream(session->relay, name, fd, (const struct sockaddr *)target,
                                          length, error)
               : vmc_relay_add_stream(session->relay, name, fd, (const struct sockaddr *)target,
                                      length, error);
}

/* The X11 connection (with the sandbox: the viewer's only way to the
 * person's display) and the sound: through the relay, counted. */
static gboolean
start_streams(Session *session, GError **error)
{
    struct sockaddr_storage target;
    socklen_t length = 0;
    if (session->sandbox != NULL &&
        (!vmc_viewer_x11_target(g_getenv("DISPLAY"), &target, &length, error) ||
         !add_stream(session, VMC_RECORD_STREAM_X11, "X" G_STRINGIFY(VMC_SANDBOX_DISPLAY_NUMBER),
                     &target, length, TRUE, error)))
        return FALSE;
    if (vmc_sound_target(&session->sound, &target, &length) &&
        !add_stream(session, VMC_RECORD_STREAM_AUDIO, VMC_SOUND_SOCKET, &target, length, FALSE,
                    error))
        return FALSE;
    return TRUE;
}

static gboolean
start_relay(Session *session, GError **error)
{
    gboolean allowed[VMC_SPICE_CHANNEL_MAX + 1];
    if (!allowed_channels(session->gateway->config, session->request->vm,
                          session->request->microphone, allowed)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "the config lets no main channel through for %s", session->request->vm);
        return FALSE;
    }
    if (session->request->native && session->request->audio_off)
        allowed[VMC_SPICE_CHANNEL_PLAYBACK] = allowed[VMC_SPICE_CHANNEL_RECORD] = FALSE;
    /* native mode: no listener, the attaches bring the clients */
    g_autofree char *path = g_build_filename(session->dir, "spice.sock", NULL);
    int fd = session->request->native ? -1 : vmc_session_listen(path, SOCK_STREAM, error);
    if (fd < 0 && !session->request->native)
        return FALSE;
    /* Until the viewer exists nobody may connect (pid -1). */
    session->relay =
        vmc_relay_new(fd, session->decision->pinned_fd, allowed, -1, on_relay_event, session);
    vmc_session_apply_agent_policy(session->relay, session->gateway->config, session->request->vm);
    if (!session->request->native)
        set_viewer_title(session, VMC_DEADLINE_NONE, 0);
    return session->request->native || start_streams(session, error);
}

/* Native mode: serve attaches, then tell the launcher the token and title
 * (the one line on stdout), and end with the session's own channel. */
static gboolean
start_native(Session *session, GError **error)
{
    const VmcGateway *gateway = session->gateway;
    g_autofree char *token = vmc_native_token_new(error);
    if (token == NULL)
        return FALSE;
    g_autofree char *hash = vmc_native_token_sha256(token);
    VmcNativePeer peer = {hash, gateway->ssh->connection, gateway->ssh->key_fingerprint,
                          (char *)gateway->identity_name, (char *)session->request->vm};
    session->native = vmc_native_server_start(session->dir, &peer, session->relay, error);
    if (session->native == NULL)
        return FALSE;
    vmc_print_escaped(stdout, "vmconsole-native 1 token=%s title=%s\n", token, vm_title(session));
    fflush(stdout);
    memset(token, 0, strlen(token));
    g_unix_set_fd_nonblocking(STDIN_FILENO, TRUE, NULL);
    session->sources[session->n_sources++] =
        g_unix_fd_add(STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR, on_native_stdin, session);
    return TRUE;
}

/* Every VMC_LOCK_UPDATE_S: the bytes so far into the lock file, for
 * `vmconsole-admin sessions`. */
static gboolean
on_lock_update(gpointer data)
{
    Session *session = data;
    if (session->relay != NULL && session->lock != NULL) {
        g_autoptr(VmcRelayStats) stats = vmc_relay_get_stats(session->relay);
        session->lock_info.bytes = (gint64)stats->bytes_total;
        vmc_console_lock_update(session->lock, &session->lock_info);
    }
    return G_SOURCE_CONTINUE;
}

static void
watch_for_the_end(Session *session)
{
    session->sources[session->n_sources++] =
        g_timeout_add_seconds(VMC_LOCK_UPDATE_S, on_lock_update, session);
    session->sources[session->n_sources++] = g_unix_signal_add(SIGTERM, on_terminate, session);
    session->sources[session->n_sources++] = g_unix_signal_add(SIGINT, on_terminate, session);
    session->sources[session->n_sources++] = g_unix_signal_add(SIGHUP, on_hangup, session);
    /* The SSH connection is gone when stdout reports an error or hang-up (not
     * at stdin EOF, which `ssh -n` gives at once). */
    session->sources[session->n_sources++] =
        g_unix_fd_add(STDOUT_FILENO, G_IO_HUP | G_IO_ERR, on_stdout_gone, session);
}

/* ---- ending ---- */

static gboolean
on_stop_timeout(gpointer data)
{
    *(gboolean *)data = TRUE;
    return G_SOURCE_REMOVE;
}

/* End the viewer's process group: SIGTERM, then SIGKILL after the timeout. */
static void
stop_viewer(Session *session)
{
    if (session->viewer_pid == 0)
        return;
    GMainContext *context = g_main_context_default();
    for (int sig = SIGTERM; !session->viewer_exited; sig = SIGKILL) {
        kill(-session->viewer_pid, sig);
        gboolean timed_out = FALSE;
        guint timer = g_timeout_add(sig == SIGTERM ? VMC_VIEWER_STOP_TIMEOUT_MS : 5000,
                                    on_stop_timeout, &timed_out);
        while (!session->viewer_exited && !timed_out)
            g_main_context_iteration(context, TRUE);
        if (!timed_out)
            g_source_remove(timer);
        if (sig == SIGKILL)
            break;
    }
    kill(-session->viewer_pid, SIGKILL); /* whatever the viewer left in its group */
}

/* ---- records ---- */

static void
record_who(const Session *session, VmcRecordWho *who)
{
    const VmcGateway *gateway = session->gateway;
    who->session = g_strdup(session->id);
    who->identity = g_strdup(session->identity->name);
    who->account = g_strdup(gateway->account);
    who->key = g_strdup(gateway->ssh->key_fingerprint);
    who->client = g_strdup(gateway->ssh->client);
    who->vm = g_strdup(session->request->vm);
}

static gboolean
append_record(const Session *session, const VmcRecordFields *fields, GError **error)
{
    g_autoptr(VmcRecord) record = vmc_record_new_from_fields(fields);
    return vmc_sessionlog_append(session->log, record, error);
}

static gboolean
write_start_record(const Session *session, const VmcLockInfo *stale, GError **error)
{
    g_auto(VmcRecordFields) fields = {0};
    vmc_record_fields_init(&fields, VMC_LOG_EVENT_START);
    VmcRecordStart *start = &fields.start;
    record_who(session, &start->who);
    start->key_type = g_strdup(session->gateway->ssh->key_type);
    start->socket = g_strdup(session->decision->socket_path);
    start->mode = g_strdup(session->request->native ? "native" : "x11");
    vmc_session_record_vm_agent_policy(start, session->gateway->config, session->request->vm);
    vmc_sound_record(&session->sound, &start->sound);
    /* the record channel passes only when asked for and allowed */
    start->microphone = vmc_record_flag(
        session->request->microphone &&
        vmc_config_microphone_allowed(session->gateway->config, session->request->vm));
    start->usb = g_strdup(
        vmc_config_usb_allowed(session->gateway->config, session->request->vm) ? "allow" : "deny");
    if (!session->request->native) { /* native mode runs no viewer on the host */
        start->viewer = g_strdup(session->gateway->config->viewer);
        g_auto(GStrv) protections =
            session->sandbox != NULL ? vmc_sandbox_protections(session->sandbox) : NULL;
        vmc_session_record_sandbox(start, session->sandbox != NULL,
                                   (const char *const *)protections);
    }
    start->takeover_of = g_strdup(session->takeover_of);
    vmc_deadline_record_start(start, &session->limits, session->gateway->ssh->certificate,
                              session->gateway->key_expires_us);
    if (stale != NULL)
        start->stale_session = g_strdup(stale->session);
    if (session->swept != NULL && session->swept->len > 0) {
        g_autoptr(GStrvBuilder) swept = g_strv_builder_new();
        for (guint i = 0; i < session->swept->len; i++)
            g_strv_builder_add(swept, session->swept->pdata[i]);
        start->swept_sessions = g_strv_builder_end(swept);
    }
    return append_record(session, &fields, error);
}

/* The last bytes the viewer wrote (a bounded tail kept in memory), for a
 * viewer that failed or quit at once: the admin's only clue why. */
static void
record_viewer_log(VmcRecordEnd *end, const Session *session, gint64 duration_s)
{
    int status = session->viewer_status;
    gboolean failed = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    if (session->viewer == NULL || (!failed && duration_s >= VMC_VIEWER_QUICK_EXIT_S))
        return;
    g_autofree char *output = vmc_viewer_output_tail(session->viewer);
    gsize length = strlen(output);
    const char *tail =
        length > VMC_VIEWER_LOG_TAIL ? output + length - VMC_VIEWER_LOG_TAIL : output;
    g_autofree char *text = g_strdup(tail);
    if (*g_strstrip(text) != '\0')
        end->viewer_log = g_steal_pointer(&text);
}

static void
record_viewer_status(VmcRecordEnd *end, const Session *session, gint64 duration_s)
{
    if (!session->viewer_exited)
        return;
    int status = session->viewer_status;
    if (WIFEXITED(status))
        end->viewer_exit = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        end->viewer_signal = g_strdup(g_strsignal(WTERMSIG(status)));
    record_viewer_log(end, session, duration_s);
}

static gboolean
write_end_record(const Session *session, const VmcRelayStats *stats, gint64 duration_s,
                 GError **error)
{
    g_auto(VmcRecordFields) fields = {0};
    vmc_record_fields_init(&fields, VMC_LOG_EVENT_END);
    VmcRecordEnd *end = &fields.end;
    record_who(session, &end->who);
    end->start = session->start_real_us;
    end->duration_s = duration_s;
    end->reason = g_strdup(end_reason_names[session->end_reason]);
    end->reason_text = g_strdup(session->end_detail);
    end->taken_over_by = g_strdup(session->taken_over_by);
    record_viewer_status(end, session, duration_s);
    vmc_sound_record(&session->sound, &end->sound);
    vmc_session_record_stats(end, stats);
    return append_record(session, &fields, error);
}

/* ---- the console lock, busy and takeover ---- */

static char *
describe_holder(const char *vm, const VmcLockInfo *holder)
{
    if (holder->session == NULL)
        return g_strdup_printf("%s is being opened by someone else right now", vm);
    g_autoptr(GDateTime) since = g_date_time_new_from_unix_local(holder->since_us / G_USEC_PER_SEC);
    g_autofree char *when = since ? g_date_time_format(since, "%Y-%m-%d %H:%M") : g_strdup("?");
    g_autofree char *identity = vmc_text_escape(holder->identity, -1, 64);
    g_autofree char *client = holder->client
                                  ? g_strndup(holder->client, strcspn(holder->client, " "))
                                  : g_strdup("an unknown address");
    g_autofree char *escaped_client = vmc_text_escape(client, -1, 64);
    return g_strdup_printf("%s is in use by %s since %s from %s (session %.8s...)", vm, identity,
                           when, escaped_client, holder->session);
}

static gboolean
same_program(gint pid)
{
    g_autofree char *link = g_strdup_printf("/proc/%d/exe", pid);
    g_autofree char *theirs = g_file_read_link(link, NULL);
    g_autofree char *ours = g_file_read_link("/proc/self/exe", NULL);
    return theirs != NULL && ours != NULL && strcmp(theirs, ours) == 0;
}

/* Ask the holder to end (it writes its own end record naming us), then take
 * the lock. */
static VmcConsoleLock *
take_over(Session *session, const VmcLockInfo *mine, const VmcLockInfo *holder,
          VmcLockInfo **ret_stale, GError **error)
{
    const char *run_dir = session->gateway->config->run_dir;
    const char *vm = session->request->vm;
    g_autofree char *note_path = g_strdup_printf("%s/%s.takeover", run_dir, vm);
    g_autofree char *note = vmc_console_lock_info_format(mine);

    if (holder->session == NULL || !same_program(holder->pid) ||
        !g_file_set_contents_full(note_path, note, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                  error) ||
        kill(holder->pid, SIGTERM) != 0) {
        if (error != NULL && *error == NULL)
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                        "the holder's gateway (pid %d) cannot be asked to end", holder->pid);
        g_unlink(note_path);
        return NULL;
    }
    VmcConsoleLock *lock = NULL;
    for (guint waited = 0; lock == NULL && waited < VMC_TAKEOVER_TIMEOUT_MS; waited += 50) {
        g_autoptr(VmcLockInfo) still = NULL;
        lock = vmc_console_lock_acquire(run_dir, vm, mine, &still, ret_stale, error);
        if (lock == NULL && still == NULL)
            break; /* an I/O error */
        if (lock == NULL)
            g_usleep(50 * 1000);
    }
    g_unlink(note_path);
    if (lock == NULL && error != NULL && *error == NULL)
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                    "the holder did not let go within %d s", VMC_TAKEOVER_TIMEOUT_MS / 1000);
    if (lock != NULL)
        session->takeover_of = g_strdup(holder->session);
    return lock;
}

/* An internal error before the session started: said to the person and the
 * admin, and kept for the denied record. */
static VmcExit
start_failed(Session *session, const char *message)
{
    VmcExit code = vmc_gateway_refuse(VMC_EXIT_INTERNAL, "internal error; tell the host's admin");
    vmc_print_escaped(stderr, "vmconsole-gateway: %s\n", message);
    g_free(session->refusal);
    session->refusal = g_strdup(message);
    return code;
}

/* The run dir, before anything is taken in it: missing (no `systemd-tmpfiles
 * --create` after a reboot, a host without systemd) or not the account's is
 * the host's setup, said as such to the person and in the record, not as an
 * internal error. The exit stays 1. */
static VmcExit
check_run_dir(Session *session)
{
    const char *run_dir = session->gateway->config->run_dir;
    g_autofree char *problem = NULL;
    struct stat st;
    int fd = open(run_dir, O_PATH | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        problem = g_strdup_printf("the gateway's run dir %s does not exist", run_dir);
    else if (fd < 0)
        problem = g_strdup_printf("the gateway's run dir %s cannot be opened: %s", run_dir,
                                  g_strerror(errno));
    else if (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode))
        problem = g_strdup_printf("the gateway's run dir %s is not a directory", run_dir);
    else if (faccessat(AT_FDCWD, run_dir, W_OK | X_OK, AT_EACCESS) != 0)
        problem = g_strdup_printf("the gateway's run dir %s is not the gateway account's "
                                  "(owner uid %u, mode %04o)",
                                  run_dir, (guint)st.st_uid, (guint)(st.st_mode & 07777));
    if (fd >= 0)
        close(fd);
    if (problem == NULL)
        return VMC_EXIT_OK;
    VmcExit code = vmc_gateway_refuse(VMC_EXIT_INTERNAL,
                                      "no console on this host now: %s; tell the host's admin "
                                      "(vmconsole-admin check says how to fix it)",
                                      problem);
    session->refusal = g_steal_pointer(&problem);
    return code;
}

/* One of the identity's max-sessions-per-identity slots, or why not. */
static VmcExit
take_slot(Session *session)
{
    const VmcConfig *config = session->gateway->config;
    guint max = config->max_sessions_per_identity;
    g_autoptr(GError) error = NULL;
    session->slot = vmc_console_slot_acquire(config->run_dir, session->identity->uid, max, &error);
    if (session->slot != NULL)
        return VMC_EXIT_OK;
    if (error != NULL)
        return start_failed(session, error->message);
    session->refusal = g_strdup_printf("the identity's session limit (%u) is reached", max);
    return vmc_gateway_refuse(VMC_EXIT_BUSY,
                              "you have %u console%s open already (the limit is "
                              "%u); close one first",
                              max, max == 1 ? "" : "s", max);
}

/* Take the console, or say why not. VMC_EXIT_OK when session->lock is held. */
static VmcExit
acquire_console(Session *session, VmcLockInfo **ret_stale)
{
    const VmcConfig *config = session->gateway->config;
    const char *vm = session->request->vm;
    VmcLockInfo mine = {
        .session = session->id,
        .identity = session->identity->name,
        .client = session->gateway->ssh->client,
        .since_us = session->start_real_us,
        .pid = getpid(),
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcLockInfo) holder = NULL;
    session->lock_info = mine;
    session->lock =
        vmc_console_lock_acquire(config->run_dir, vm, &mine, &holder, ret_stale, &error);
    if (session->lock != NULL)
        return VMC_EXIT_OK;
    if (holder == NULL)
        return start_failed(session, error->message);
    g_autofree char *busy = describe_holder(vm, holder);
    if (!session->request->takeover)
        return vmc_gateway_refuse(VMC_EXIT_BUSY, "%s", busy);
    if (config->takeover != VMC_TAKEOVER_ALLOW)
        return vmc_gateway_refuse(VMC_EXIT_BUSY, "%s; taking over is not allowed on this host",
                                  busy);
    session->lock = take_over(session, &mine, holder, ret_stale, &error);
    if (session->lock == NULL)
        return vmc_gateway_refuse(VMC_EXIT_BUSY, "%s; taking over failed: %s", busy,
                                  error->message);
    /* %.8s: the session id's first 8 characters, then "..." */
    vmc_print_escaped(stderr, "vmconsole: took over %s from session %.8s\n", vm, holder->session);
    return VMC_EXIT_OK;
}

/* The session dir removed, then (in this order, for the sweep) its flock,
 * the console lock and the identity's slot released. */
static void
release_session_files(Session *session)
{
    if (session->dir_lock != NULL && !vmc_console_session_dir_remove(session->dir_lock))
        vmc_print_escaped(stderr,
                          "vmconsole-gateway: could not remove the session dir %s entirely\n",
                          session->dir);
    g_clear_pointer(&session->dir_lock, vmc_console_session_dir_free);
    g_clear_pointer(&session->lock, vmc_console_lock_release);
    g_clear_pointer(&session->slot, vmc_console_slot_release);
}

static VmcExit
session_end(Session *session)
{
    g_clear_pointer(&session->deadline, vmc_deadline_timer_free);
    stop_viewer(session);
    /* The child watch and the stdout watch may be gone already (they fired). */
    for (guint i = 0; i < session->n_sources; i++) {
        GSource *source = g_main_context_find_source_by_id(NULL, session->sources[i]);
        if (source != NULL && !g_source_is_destroyed(source))
            g_source_destroy(source);
    }
    session->n_sources = 0;

    gint64 duration_s = (g_get_monotonic_time() - session->start_mono_us) / G_USEC_PER_SEC;
    g_autoptr(VmcRelayStats) stats = NULL;
    if (session->relay != NULL) {
        stats = vmc_relay_get_stats(session->relay);
        g_clear_pointer(&session->relay, vmc_relay_free);
    } else {
        stats = g_new0(VmcRelayStats, 1);
    }
    /* every attached channel's fds were the relay's: now its process may go */
    g_clear_pointer(&session->native, vmc_native_server_free);

    g_autoptr(GError) error = NULL;
    gboolean recorded = write_end_record(session, stats, duration_s, &error);
    if (!recorded)
        vmc_print_escaped(stderr, "vmconsole-gateway: the end record could not be written: %s\n",
                          error->message);
    release_session_files(session);

    g_autofree char *summary = vmc_session_summary(stats, duration_s);
    vmc_print_escaped(stderr, "vmconsole: %s: %s\n", session->end_detail, summary);
    if (!recorded)
        return VMC_EXIT_NO_AUDIT_LOG;
    if (session->end_reason == END_FAILED)
        return session->sandbox_failed ? VMC_EXIT_NO_SANDBOX : VMC_EXIT_INTERNAL;
    return VMC_EXIT_OK;
}

/* Where vmconsole-confine is: beside the gateway's own binary (a build or
 * test tree, or an admin's unusual install), else where meson installs it. */
static VmcSandboxSupport *
probe_sandbox(GError **error)
{
    g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
    g_autofree char *self_dir = self != NULL ? g_path_get_dirname(self) : NULL;
    const char *dirs[] = {self_dir != NULL ? self_dir : VMC_LIBEXECDIR, VMC_LIBEXECDIR, NULL};
    return vmc_sandbox_support_probe(dirs, error);
}

/* Native mode's attaches are matched by the SSH connection and the key. */
static VmcExit
check_native(Session *session)
{
    const VmcSshContext *ssh = session->gateway->ssh;
    if (!vmc_console_socket_answers(session->decision->pinned_fd))
        return vmc_gateway_refuse(VMC_EXIT_NOT_RUNNING,
                                  "%s is not running (its Spice socket "
                                  "does not answer); start the VM and try again",
                                  session->request->vm);
    if (ssh->connection != NULL && ssh->key_fingerprint != NULL)
        return VMC_EXIT_OK;
    session->refusal = g_strdup(ssh->connection == NULL
                                    ? "native mode: no SSH_CONNECTION"
                                    : "native mode: sshd does not expose the key (ExposeAuthInfo)");
    return vmc_gateway_refuse(VMC_EXIT_INTERNAL,
                              "no native console on this host now: sshd does not tell the gateway "
                              "the connection and key (ExposeAuthInfo yes); tell the host's admin");
}

/* Checks that need no lock: the X11 forward, a running VM, the sandbox. */
static VmcExit
check_preconditions(Session *session)
{
    if (session->request->native)
        return check_native(session);
    const char *display = g_getenv("DISPLAY");
    /* a certificate whose validity cannot be read could outlive it */
    if (session->gateway->ssh->certificate_error != NULL) {
        session->refusal = g_strdup_printf("the SSH certificate cannot be read: %s",
                                           session->gateway->ssh->certificate_error);
        return vmc_gateway_refuse(VMC_EXIT_INTERNAL,
                                  "no console with this SSH certificate: the gateway cannot "
                                  "read it (%s); tell the host's admin",
                                  session->gateway->ssh->certificate_error);
    }
    if (!vmc_viewer_display_is_valid(display))
        return vmc_gateway_refuse(VMC_EXIT_NO_X11,
                                  "no X11 forward: connect with ssh -X (or -Y), "
                                  "e.g.\n  ssh -X %s@%s %s",
                                  session->gateway->account, session->gateway->host,
                                  session->request->vm);
    if (!vmc_console_socket_answers(session->decision->pinned_fd))
        return vmc_gateway_refuse(VMC_EXIT_NOT_RUNNING,
                                  "%s is not running (its Spice socket "
                                  "does not answer); start the VM and try again",
                                  session->request->vm);
    if (session->gateway->config->sandbox == VMC_SANDBOX_OFF)
        return VMC_EXIT_OK;
    g_autoptr(GError) error = NULL;
    session->sandbox = probe_sandbox(&error);
    if (session->sandbox == NULL) {
        session->refusal =
            g_strdup_printf("the viewer's sandbox is not available: %s", error->message);
        return vmc_gateway_refuse(VMC_EXIT_NO_SANDBOX,
                                  "no console on this host now: the "
                                  "viewer's sandbox is not available (%s); tell the host's admin",
                                  error->message);
    }
    return VMC_EXIT_OK;
}

static const char *
refusal_reason(VmcExit code)
{
    switch (code) {
    case VMC_EXIT_NO_X11:
        return "no X11 forward";
    case VMC_EXIT_NOT_RUNNING:
        return "the VM is not running";
    case VMC_EXIT_BUSY:
        return "the console is in use";
    default:
        return "internal error before the session started";
    }
}

static void
on_swept(const char *path, const char *id, gboolean removed, const char *problem, gpointer data)
{
    Session *session = data;
    if (removed)
        g_ptr_array_add(session->swept, vmc_text_escape(id, -1, VMC_SWEPT_ID_MAX));
}

/* Sweep what killed gateways left, then make this session's dir. */
static VmcExit
make_session_dir(Session *session)
{
    const char *run_dir = session->gateway->config->run_dir;
    session->swept = g_ptr_array_new_with_free_func(g_free);
    vmc_console_session_dirs_sweep(run_dir, on_swept, session);
    g_autoptr(GError) error = NULL;
    session->dir_lock = vmc_console_session_dir_create(run_dir, session->id, &error);
    if (session->dir_lock == NULL)
        return start_failed(session, error->message);
    session->dir = g_strdup(vmc_console_session_dir_get_path(session->dir_lock));
    return VMC_EXIT_OK;
}

/* Everything up to the running main loop; on failure the exit code. */
static VmcExit
session_start(Session *session)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcLockInfo) stale = NULL;
    VmcExit code = check_preconditions(session);
    if (code == VMC_EXIT_OK)
        code = check_run_dir(session);
    if (code == VMC_EXIT_OK)
        code = take_slot(session);
    if (code == VMC_EXIT_OK)
        code = acquire_console(session, &stale);
    if (code == VMC_EXIT_OK)
        code = make_session_dir(session);
    if (code != VMC_EXIT_OK) {
        vmc_gateway_record_denied(
            session->gateway, session->log, session->request->vm,
            session->refusal != NULL ? session->refusal : refusal_reason(code), code, NULL);
        release_session_files(session);
        return code;
    }
    if (stale != NULL) /* %.8s: the session id's first 8 characters, then "..." */
        vmc_print_escaped(stderr,
                          "vmconsole: note: the previous session %.8s on %s (%s) ended "
                          "without an end record: its gateway was killed\n",
                          stale->session, session->request->vm, stale->identity);
    vmc_sound_setup(&session->sound, session->request, session->dir,
                    session->gateway->config->tunnel_check == VMC_SANDBOX_ON);
    session_limits(session);
    if (!write_start_record(session, stale, &error)) {
        code = vmc_gateway_refuse_no_log();
        release_session_files(session);
        return code;
    }
    return VMC_EXIT_OK;
}

VmcExit
vmc_session_run(const VmcGateway *gateway, VmcSessionLog *log, const VmcIdentity *identity,
                VmcAccessDecision *decision, const VmcRequest *request)
{
    Session session = {
        .gateway = gateway,
        .request = request,
        .identity = identity,
        .decision = decision,
        .log = log,
        .id = vmc_console_session_id_new(),
        .start_real_us = g_get_real_time(),
        .start_mono_us = g_get_monotonic_time(),
    };
    VmcExit code = session_start(&session);
    if (code == VMC_EXIT_OK) {
        g_autoptr(GError) error = NULL;
        session.loop = g_main_loop_new(NULL, FALSE);
        vmc_print_escaped(stderr, "vmconsole: opening %s for %s...\n", request->vm, identity->name);
        vmc_sound_tell(&session.sound);
        watch_for_the_end(&session);
        if (start_relay(&session, &error) &&
            (request->native ? start_native(&session, &error) : start_viewer(&session, &error))) {
            session.deadline =
                vmc_deadline_timer_start(&session.limits, last_input, on_deadline, &session);
            if (session.deadline != NULL && !request->native)
                vmc_deadline_timer_set_warn_func(session.deadline, on_deadline_warning);
            g_main_loop_run(session.loop);
        } else
            session_finish(&session, END_FAILED,
                           g_strdup_printf("the console could not be started: %s", error->message));
        code = session_end(&session);
        g_main_loop_unref(session.loop);
    }
    g_clear_pointer(&session.viewer, vmc_viewer_free);
    g_clear_pointer(&session.sandbox, vmc_sandbox_support_free);
    g_free(session.id);
    g_free(session.dir);
    g_free(session.takeover_of);
    g_free(session.refusal);
    g_free(session.end_detail);
    vmc_sound_clear(&session.sound);
    g_free(session.taken_over_by);
    g_clear_pointer(&session.swept, g_ptr_array_unref);
    return code;
}
