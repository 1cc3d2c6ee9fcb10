/* native-session.c — native mode's loop: channel 1 (the session) on one
 * libssh connection, a private Unix socket for the local remote-viewer, one
 * "attach" exec channel per connection the viewer makes, bytes pumped both
 * ways, and every end (the viewer closes, Ctrl-C/SIGTERM/SIGHUP, the host
 * ends the session, the connection drops) cleaned up the same way. When the
 * viewer goes, channel 1 gets EOF and its end is awaited (bounded), so that
 * the host's last words are shown: its summary, or why it ended the session
 * first (a takeover, the VM gone, a limit) — which the viewer, seeing its
 * connections close, may notice before channel 1 says so.
 *
 * One thread, one libssh event loop (ssh_event_dopoll). libssh's connectors
 * are not used: they spin at EOF (TEST-STACK.md). Our fd callbacks only note
 * readiness; all I/O happens after ssh_event_dopoll returns, channels are
 * opened there too (nonblocking: SSH_AGAIN until done). Backpressure: a
 * connection reads from the viewer only while its buffer has room and the
 * channel's window is open, and reads from the channel (which lets libssh
 * grow the window) only while its buffer towards the viewer has room.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libssh/callbacks.h>

#include "native-ssh-priv.h"
#include "vmc-common.h"

#define SHOWN_MAX 300
#define POLL_IDLE_MS 1000   /* the loop's longest sleep (all waits are fd events) */
#define VIEWER_TERM_MS 3000 /* after SIGTERM to the viewer: then SIGKILL */
#define VIEWER_TERM_STEP_MS 20
#define CLOSE_WAIT_MS 10000     /* after the viewer: for the host to end the session */
#define SWEEP_MIN_AGE_S 10      /* a socket dir younger than this is never swept */
#define STDOUT_DISCARD_MAX 4096 /* channel 1's stdout after the greeting: read, dropped */
#define DOTS(format) (g_get_charset(NULL) ? format "\u2026" : format "...")

typedef struct {
    guint8 data[VMC_NATIVE_BUFFER];
    gsize start, length;
} Buffer;

static gsize
buffer_room(const Buffer *b)
{
    return VMC_NATIVE_BUFFER - b->start - b->length;
}

static void
buffer_consume(Buffer *b, gsize n)
{
    b->start += n;
    b->length -= n;
    if (b->length == 0)
        b->start = 0;
    else if (b->start > VMC_NATIVE_BUFFER / 2) {
        memmove(b->data, b->data + b->start, b->length);
        b->start = 0;
    }
}

typedef enum { CONN_OPENING, CONN_EXEC, CONN_OPEN } ConnState;

typedef struct Native Native;

typedef struct {
    Native *native;
    int fd;
    ssh_channel channel;
    ConnState state;
    Buffer to_host, to_viewer;
    gboolean local_eof, eof_sent, host_eof, shut_wr, dead;
    short events; /* registered with the event; 0: not registered */
    int type;     /* the Spice channel type, -1 while not known */
    guint8 head[24];
    gsize head_length;
    guint64 down; /* bytes from the host */
    VmcLauncherLines err_lines;
} Conn;

struct Native {
    const VmcLauncherArgs *args;
    ssh_session session;
    ssh_event event;
    ssh_channel main;
    struct ssh_channel_callbacks_struct main_callbacks;
    VmcLauncherLines main_out, main_err;
    VmcNativeGreeting greeting;
    gboolean greeted;
    gsize discarded;
    int exit_status; /* channel 1's, -1 while not known */
    gboolean main_eof_sent;
    gboolean host_closed_main; /* the host closed the viewer's main connection */
    gboolean closing;          /* the viewer is gone: awaiting channel 1's end */
    int close_status;          /* then our exit status; -1: the host's */
    gint64 close_deadline;     /* monotonic, µs */
    const char *viewer;
    int signal_fd, listen_fd;
    pid_t viewer_pid;
    gboolean signal_ready, listen_ready;
    char *dir, *socket_path;
    GPtrArray *conns;
    guint connections; /* accepted so far */
    gboolean window_up;
    gboolean done;
    int status;
};

/* ---- messages from the host ---- */

static void
on_host_line(const char *line, gsize length, gpointer data)
{
    /* the host's words, made safe for this terminal (UTF-8 kept): written whole */
    g_autofree char *text = vmc_launcher_terminal_text(line, length);
    fputs(text, stderr);
    fputc('\n', stderr);
}

/* Read what libssh holds of a channel's stderr, show it by lines. */
static void
drain_stderr(ssh_channel channel, VmcLauncherLines *lines)
{
    char chunk[4096];
    int n;
    while ((n = ssh_channel_read_nonblocking(channel, chunk, sizeof chunk, 1)) > 0)
        vmc_launcher_lines_feed(lines, chunk, (gsize)n, on_host_line, NULL);
}

/* ---- the end ---- */

static void
finish(Native *native, int status)
{
    if (!native->done) {
        native->done = TRUE;
        native->status = status;
    }
}

static void
stop_viewer(Native *native)
{
    if (native->viewer_pid <= 0)
        return;
    kill(native->viewer_pid, SIGTERM);
    for (int waited = 0; waited < VIEWER_TERM_MS; waited += VIEWER_TERM_STEP_MS) {
        if (waitpid(native->viewer_pid, NULL, WNOHANG) == native->viewer_pid) {
            native->viewer_pid = -1;
            return;
        }
        g_usleep(VIEWER_TERM_STEP_MS * 1000);
    }
    kill(native->viewer_pid, SIGKILL);
    while (waitpid(native->viewer_pid, NULL, 0) < 0 && errno == EINTR)
        ;
    native->viewer_pid = -1;
}

/* ---- the viewer's connections ---- */

static int
on_conn_fd(socket_t fd, int revents, void *data)
{
    return 0; /* noted by the loop's pass over every connection */
}

static void
conn_set_events(Conn *conn, short events)
{
    if (events == conn->events)
        return;
    if (conn->events != 0)
        ssh_event_remove_fd(conn->native->event, conn->fd);
    if (events != 0)
        ssh_event_add_fd(conn->native->event, conn->fd, events, on_conn_fd, conn);
    conn->events = events;
}

static void
conn_free(Conn *conn)
{
    conn_set_events(conn, 0);
    if (conn->fd >= 0)
        close(conn->fd);
    if (conn->channel != NULL) {
        drain_stderr(conn->channel, &conn->err_lines);
        vmc_launcher_lines_flush(&conn->err_lines, on_host_line, NULL);
        ssh_channel_free(conn->channel); /* closes it; libssh frees it once the host closed too */
    }
    g_free(conn);
}

/* The connection's Spice channel type from the first bytes the viewer sent. */
static void
conn_note_head(Conn *conn, const guint8 *data, gsize n)
{
    gsize take = MIN(n, sizeof conn->head - conn->head_length);
    memcpy(conn->head + conn->head_length, data, take);
    conn->head_length += take;
    if (conn->type < 0)
        conn->type = vmc_native_link_channel_type(conn->head, conn->head_length);
}

/* Viewer -> host. */
static gboolean
conn_pump_up(Conn *conn)
{
    gboolean progress = FALSE;
    while (!conn->local_eof && buffer_room(&conn->to_host) > 0) {
        Buffer *b = &conn->to_host;
        ssize_t n = read(conn->fd, b->data + b->start + b->length, buffer_room(b));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break;
        if (n <= 0) {
            conn->local_eof = TRUE; /* the viewer closed (or reset) its side */
            progress = TRUE;
            break;
        }
        if (conn->head_length < sizeof conn->head)
            conn_note_head(conn, b->data + b->start + b->length, (gsize)n);
        b->length += (gsize)n;
        progress = TRUE;
    }
    while (conn->to_host.length > 0) {
        guint32 window = ssh_channel_window_size(conn->channel);
        if (window == 0)
            break;
        Buffer *b = &conn->to_host;
        int w = ssh_channel_write(conn->channel, b->data + b->start, MIN(b->length, window));
        if (w < 0) {
            conn->dead = TRUE;
            return TRUE;
        }
        if (w == 0)
            break;
        buffer_consume(b, (gsize)w);
        progress = TRUE;
    }
    if (conn->local_eof && conn->to_host.length == 0 && !conn->eof_sent) {
        ssh_channel_send_eof(conn->channel);
        conn->eof_sent = TRUE;
        progress = TRUE;
    }
    return progress;
}

static void
note_window(Conn *conn)
{
    Native *native = conn->native;
    if (!native->window_up && conn->type == VMC_NATIVE_SPICE_DISPLAY && conn->down > 0) {
        native->window_up = TRUE;
        vmc_launcher_say("window up: the VM's display is on its way");
    }
}

/* Host -> viewer. */
static gboolean
conn_pump_down(Conn *conn)
{
    gboolean progress = FALSE;
    Buffer *b = &conn->to_viewer;
    while (!conn->host_eof && buffer_room(b) > 0) {
        int n = ssh_channel_read_nonblocking(conn->channel, b->data + b->start + b->length,
                                             (guint32)buffer_room(b), 0);
        if (n == SSH_EOF) {
            conn->host_eof = TRUE;
            progress = TRUE;
        } else if (n < 0) {
            conn->dead = TRUE;
            return TRUE;
        } else if (n == 0) {
            conn->host_eof =
                ssh_channel_is_eof(conn->channel) || ssh_channel_is_closed(conn->channel);
            break;
        } else {
            b->length += (gsize)n;
            conn->down += (guint64)n;
            progress = TRUE;
        }
    }
    drain_stderr(conn->channel, &conn->err_lines);
    while (b->length > 0) {
        ssize_t n = send(conn->fd, b->data + b->start, b->length, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break;
        if (n <= 0) {
            conn->dead = TRUE; /* the viewer is gone from this connection */
            return TRUE;
        }
        buffer_consume(b, (gsize)n);
        progress = TRUE;
    }
    if (conn->host_eof && b->length == 0 && !conn->shut_wr) {
        shutdown(conn->fd, SHUT_WR);
        conn->shut_wr = TRUE;
        progress = TRUE;
    }
    if (conn->host_eof && conn->type == VMC_NATIVE_SPICE_MAIN)
        conn->native->host_closed_main = TRUE; /* the session is ending there */
    note_window(conn);
    return progress;
}

/* Advance one connection; FALSE when it is over (free it). */
static gboolean
conn_step(Conn *conn, gboolean *progress)
{
    int rc = SSH_OK;
    if (conn->state == CONN_OPENING) {
        rc = ssh_channel_open_session(conn->channel);
        if (rc == SSH_OK) {
            conn->state = CONN_EXEC;
            *progress = TRUE;
        }
    }
    if (conn->state == CONN_EXEC) {
        g_autofree char *request = vmc_native_attach_request(conn->native->greeting.token);
        rc = ssh_channel_request_exec(conn->channel, request);
        memset(request, 0, strlen(request));
        if (rc == SSH_OK) {
            conn->state = CONN_OPEN;
            *progress = TRUE;
        }
    }
    if (rc == SSH_ERROR) {
        vmc_launcher_say("the host refused a channel for the viewer: %.*s", SHOWN_MAX,
                         ssh_get_error(conn->native->session));
        return FALSE;
    }
    if (conn->state != CONN_OPEN)
        return TRUE;
    if (conn_pump_up(conn))
        *progress = TRUE;
    if (conn_pump_down(conn))
        *progress = TRUE;
    if (conn->dead || (conn->eof_sent && conn->shut_wr) ||
        (ssh_channel_is_closed(conn->channel) && conn->to_viewer.length == 0))
        return FALSE;
    short events = 0;
    if (!conn->local_eof && buffer_room(&conn->to_host) > 0)
        events |= POLLIN;
    if (conn->to_viewer.length > 0)
        events |= POLLOUT;
    conn_set_events(conn, events);
    return TRUE;
}

static void
accept_viewer(Native *native)
{
    for (;;) {
        int fd = accept4(native->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0)
            return;
        struct ucred peer;
        socklen_t length = sizeof peer;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0 || peer.uid != getuid() ||
            native->conns->len >= VMC_NATIVE_CONNECTIONS_MAX) {
            close(fd);
            continue;
        }
        Conn *conn = g_new0(Conn, 1);
        conn->native = native;
        conn->fd = fd;
        conn->type = -1;
        conn->channel = ssh_channel_new(native->session);
        if (conn->channel == NULL) {
            conn_free(conn);
            continue;
        }
        g_ptr_array_add(native->conns, conn);
        native->connections++;
    }
}

/* ---- the private socket and the viewer ---- */

/* XDG_RUNTIME_DIR when it is ours and private, else NULL. */
static const char *
private_runtime_dir(void)
{
    const char *runtime = g_getenv("XDG_RUNTIME_DIR");
    struct stat st;
    if (runtime != NULL && runtime[0] == '/' && stat(runtime, &st) == 0 && S_ISDIR(st.st_mode) &&
        st.st_uid == getuid() && (st.st_mode & 0077) == 0)
        return runtime;
    return NULL;
}

/* A launcher killed outright (SIGKILL) leaves its socket dir behind: remove
 * ours whose socket nobody listens on any more (connect refused). Only
 * directories named vmconsole-XXXXXX, ours, not links, holding nothing but
 * spice.sock; returns how many went. */
static guint
sweep_stale_dirs(const char *parent)
{
    guint swept = 0;
    g_autoptr(GDir) dir = g_dir_open(parent, 0, NULL);
    const char *name;
    while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
        if (!g_str_has_prefix(name, "vmconsole-") || strlen(name) != strlen("vmconsole-XXXXXX"))
            continue;
        g_autofree char *path = g_build_filename(parent, name, NULL);
        g_autofree char *sock = g_build_filename(path, "spice.sock", NULL);
        struct stat st;
        /* a young dir may be another launcher's, between mkdtemp and bind */
        if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
            st.st_mtime > time(NULL) - SWEEP_MIN_AGE_S)
            continue;
        struct sockaddr_un address = {.sun_family = AF_UNIX};
        if (g_strlcpy(address.sun_path, sock, sizeof address.sun_path) >= sizeof address.sun_path)
            continue;
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int rc = fd < 0 ? 0 : connect(fd, (struct sockaddr *)&address, sizeof address);
        int err = errno;
        if (fd >= 0)
            close(fd);
        if (rc == 0 || (err != ECONNREFUSED && err != ENOENT))
            continue; /* alive, or not ours to judge */
        unlink(sock);
        if (rmdir(path) == 0)
            swept++;
    }
    return swept;
}

/* A private dir (0700) under XDG_RUNTIME_DIR when that is ours and private,
 * else under the temporary directory; what killed launchers left there is
 * removed first. */
static char *
make_private_dir(void)
{
    const char *parent = private_runtime_dir();
    if (parent == NULL)
        parent = g_get_tmp_dir();
    guint swept = sweep_stale_dirs(parent);
    if (swept > 0)
        vmc_launcher_say("removed %u socket director%s left by a vmconsole killed earlier", swept,
                         swept == 1 ? "y" : "ies");
    g_autofree char *template = g_build_filename(parent, "vmconsole-XXXXXX", NULL);
    if (g_mkdtemp_full(template, 0700) != NULL)
        return g_steal_pointer(&template);
    return NULL;
}

static gboolean
open_socket(Native *native)
{
    native->dir = make_private_dir();
    if (native->dir == NULL) {
        vmc_launcher_say("cannot make a private directory for the viewer's socket: %s",
                         g_strerror(errno));
        return FALSE;
    }
    native->socket_path = g_build_filename(native->dir, "spice.sock", NULL);
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strlen(native->socket_path) >= sizeof address.sun_path) {
        vmc_launcher_say("the viewer's socket path is too long: %s", native->socket_path);
        return FALSE;
    }
    g_strlcpy(address.sun_path, native->socket_path, sizeof address.sun_path);
    native->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    mode_t old = umask(0177);
    int rc = native->listen_fd < 0
                 ? -1
                 : bind(native->listen_fd, (struct sockaddr *)&address, sizeof address);
    umask(old);
    if (rc != 0 || chmod(native->socket_path, 0600) != 0 ||
        listen(native->listen_fd, VMC_NATIVE_CONNECTIONS_MAX) != 0) {
        vmc_launcher_say("cannot listen on %s: %s", native->socket_path, g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

static void
remove_socket(Native *native)
{
    if (native->listen_fd >= 0) {
        ssh_event_remove_fd(native->event, native->listen_fd);
        close(native->listen_fd);
        native->listen_fd = -1;
    }
    if (native->socket_path != NULL)
        unlink(native->socket_path);
    if (native->dir != NULL)
        rmdir(native->dir);
    g_clear_pointer(&native->socket_path, g_free);
    g_clear_pointer(&native->dir, g_free);
}

/* In the child before exec: the signals this process blocks, unblocked;
 * SIGTERM when the launcher dies (SIGKILL, a crash), so no viewer outlives it. */
static void
viewer_child_setup(gpointer data)
{
    pid_t launcher = *(pid_t *)data;
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != launcher)
        _exit(127);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    static const int reset[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE};
    for (gsize i = 0; i < G_N_ELEMENTS(reset); i++)
        signal(reset[i], SIG_DFL);
}

static int
on_ready_flag(socket_t fd, int revents, void *data)
{
    *(gboolean *)data = TRUE;
    return 0;
}

static gboolean
start_viewer(Native *native)
{
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) argv = vmc_native_viewer_argv(native->viewer, native->greeting.title,
                                                native->socket_path, native->args->no_audio);
    g_auto(GStrv) parent = g_get_environ();
    g_auto(GStrv) env = vmc_native_viewer_env((const char *const *)parent);
    GPid pid;
    pid_t self = getpid();
    if (!g_spawn_async(NULL, argv, env, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL,
                       viewer_child_setup, &self, &pid, &error)) {
        vmc_launcher_say("cannot start the viewer %s: %.*s", native->viewer, SHOWN_MAX,
                         error->message);
        return FALSE;
    }
    native->viewer_pid = pid; /* its end comes as SIGCHLD on the signalfd */
    return TRUE;
}

/* ---- channel 1 ---- */

static void
on_greeting_line(const char *line, gsize length, gpointer data)
{
    Native *native = data;
    if (native->greeted)
        return;
    if (vmc_native_parse_greeting(line, length, native->args->vm, &native->greeting)) {
        native->greeted = TRUE;
        return;
    }
    on_host_line(line, length, NULL); /* not the greeting: the host's words, shown */
}

static void
on_main_exit_status(ssh_session session, ssh_channel channel, int status, void *data)
{
    ((Native *)data)->exit_status = status;
}

static gboolean
open_main(Native *native)
{
    g_autofree char *request = vmc_native_request(native->args);
    native->main = ssh_channel_new(native->session);
    if (native->main == NULL || ssh_channel_open_session(native->main) != SSH_OK ||
        ssh_channel_request_exec(native->main, request) != SSH_OK) {
        vmc_launcher_say("ssh failed: the host refused the session channel: %.*s", SHOWN_MAX,
                         ssh_get_error(native->session));
        return FALSE;
    }
    native->main_callbacks = (struct ssh_channel_callbacks_struct){
        .userdata = native,
        .channel_exit_status_function = on_main_exit_status,
    };
    ssh_callbacks_init(&native->main_callbacks);
    ssh_set_channel_callbacks(native->main, &native->main_callbacks);
    vmc_launcher_say(DOTS("opening %s"), native->args->vm);
    return TRUE;
}

/* The greeting has come: the socket, the viewer. */
static void
on_greeted(Native *native)
{
    vmc_launcher_say("%s opened: \"%s\"", native->args->vm, native->greeting.title);
    if (!open_socket(native) || !start_viewer(native)) {
        finish(native, VMC_NATIVE_EXIT_LOCAL);
        return;
    }
    ssh_event_add_fd(native->event, native->listen_fd, POLLIN, on_ready_flag,
                     &native->listen_ready);
}

static void
step_main(Native *native)
{
    char chunk[4096];
    int n;
    drain_stderr(native->main, &native->main_err);
    while ((n = ssh_channel_read_nonblocking(native->main, chunk, sizeof chunk, 0)) > 0) {
        if (native->greeted) {
            native->discarded += (gsize)n; /* nothing more is said there */
            continue;
        }
        vmc_launcher_lines_feed(&native->main_out, chunk, (gsize)n, on_greeting_line, native);
        if (native->greeted)
            on_greeted(native);
    }
    if (native->done || !(ssh_channel_is_closed(native->main) || ssh_channel_is_eof(native->main)))
        return;
    if (!ssh_channel_is_closed(native->main))
        return; /* EOF: the exit status comes before the close */
    drain_stderr(native->main, &native->main_err);
    vmc_launcher_lines_flush(&native->main_err, on_host_line, NULL);
    int status = native->exit_status >= 0 ? native->exit_status : VMC_NATIVE_EXIT_SSH;
    if (native->closing && native->close_status >= 0) {
        finish(native, native->close_status); /* the viewer closed: our end */
        return;
    }
    if (!native->greeted) {
        if (native->exit_status < 0)
            vmc_launcher_say("the host's gateway ended without an exit status");
        else if (status == 0)
            status = VMC_NATIVE_EXIT_LOCAL; /* it ended without opening anything */
        if (native->exit_status == 0)
            vmc_launcher_say("the host's gateway did not open a native session (is it older "
                             "than native mode? try --x11)");
        else if (native->exit_status > 0)
            vmc_launcher_say("the host's gateway ended with exit status %d", status);
    } else {
        vmc_launcher_say("the host ended the session (exit status %d)", status);
    }
    finish(native, status);
}

/* ---- signals and the loop ---- */

static gboolean
block_signals(Native *native)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGCHLD); /* the viewer's end (waitpid for its pid only) */
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
        return FALSE;
    native->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (native->signal_fd < 0)
        return FALSE;
    ssh_event_add_fd(native->event, native->signal_fd, POLLIN, on_ready_flag,
                     &native->signal_ready);
    return TRUE;
}

static void
send_main_eof(Native *native)
{
    if (!native->main_eof_sent && ssh_is_connected(native->session))
        ssh_channel_send_eof(native->main);
    native->main_eof_sent = TRUE;
}

/* The viewer is gone: channel 1's EOF ends the session on the host; the
 * loop goes on until channel 1 closes (step_main) or the wait is over. */
static void
close_main(Native *native, int status)
{
    native->closing = TRUE;
    native->close_status = status;
    native->close_deadline = g_get_monotonic_time() + CLOSE_WAIT_MS * 1000;
    send_main_eof(native);
}

static void
check_closing(Native *native)
{
    if (!native->closing || native->done || g_get_monotonic_time() < native->close_deadline)
        return;
    vmc_launcher_say("the host did not end the session within %d s: closing the connection",
                     CLOSE_WAIT_MS / 1000);
    finish(native, native->close_status >= 0 ? native->close_status : VMC_NATIVE_EXIT_SSH);
}

static void
check_viewer(Native *native)
{
    int status = 0;
    if (native->viewer_pid <= 0 ||
        waitpid(native->viewer_pid, &status, WNOHANG) != native->viewer_pid)
        return;
    native->viewer_pid = -1;
    if (native->host_closed_main) {
        close_main(native, -1); /* the host ended it first: its words and status follow */
        return;
    }
    /* closed by the person, however it ended (xkill, an X error at the end);
     * a viewer that failed before any connection is a failure */
    gboolean clean = (WIFEXITED(status) && WEXITSTATUS(status) == 0) || native->connections > 0;
    if (clean)
        vmc_launcher_say("the viewer closed: ending the session");
    else
        vmc_launcher_say("the viewer failed (%s %d) before it connected",
                         WIFEXITED(status) ? "exit status" : "signal",
                         WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    close_main(native, clean ? 0 : VMC_NATIVE_EXIT_LOCAL);
}

static void
handle_events(Native *native)
{
    if (native->signal_ready) {
        native->signal_ready = FALSE;
        struct signalfd_siginfo info;
        while (read(native->signal_fd, &info, sizeof info) == sizeof info) {
            if (info.ssi_signo == SIGCHLD)
                check_viewer(native);
            else if (!native->done) {
                vmc_launcher_say("stopped by signal %u (%s): closing the session", info.ssi_signo,
                                 g_strsignal((int)info.ssi_signo));
                finish(native, 128 + (int)info.ssi_signo);
            }
        }
    }
    if (native->listen_ready) {
        native->listen_ready = FALSE;
        accept_viewer(native);
    }
}

static gboolean
step_conns(Native *native)
{
    gboolean progress = FALSE;
    for (guint i = 0; i < native->conns->len;) {
        Conn *conn = g_ptr_array_index(native->conns, i);
        if (conn_step(conn, &progress)) {
            i++;
            continue;
        }
        g_ptr_array_remove_index_fast(native->conns, i); /* frees it (conn_free) */
        progress = TRUE;
    }
    return progress;
}

static void
loop(Native *native)
{
    gboolean progress = TRUE;
    while (!native->done) {
        int rc = ssh_event_dopoll(native->event, progress ? 0 : POLL_IDLE_MS);
        if (rc == SSH_ERROR || !ssh_is_connected(native->session)) {
            g_autofree char *who = vmc_native_ssh_describe(native->session);
            vmc_launcher_say("the connection to %s was lost: %.*s", who, SHOWN_MAX,
                             ssh_get_error(native->session));
            /* the viewer closed already: that end stands */
            finish(native, native->closing && native->close_status >= 0 ? native->close_status
                                                                        : VMC_NATIVE_EXIT_SSH);
            break;
        }
        handle_events(native);
        if (native->done)
            break;
        step_main(native);
        check_closing(native);
        if (native->done)
            break;
        progress = step_conns(native);
    }
}

static void
native_close(Native *native)
{
    stop_viewer(native);
    if (native->conns != NULL)
        g_ptr_array_free(native->conns, TRUE);
    native->conns = NULL;
    remove_socket(native);
    if (native->main != NULL) {
        send_main_eof(native);
        ssh_channel_free(native->main);
    }
    if (native->signal_fd >= 0) {
        ssh_event_remove_fd(native->event, native->signal_fd);
        close(native->signal_fd);
    }
    ssh_event_remove_session(native->event, native->session);
    ssh_event_free(native->event);
    ssh_disconnect(native->session);
    ssh_free(native->session);
    vmc_native_greeting_clear(&native->greeting);
}

int
vmc_native_run(const VmcLauncherArgs *args, const char *viewer)
{
    Native native = {
        .args = args,
        .viewer = viewer,
        .exit_status = -1,
        .signal_fd = -1,
        .listen_fd = -1,
        .viewer_pid = -1,
    };
    native.session = vmc_native_ssh_open(args);
    if (native.session == NULL)
        return VMC_NATIVE_EXIT_SSH;
    native.event = ssh_event_new();
    native.conns = g_ptr_array_new_with_free_func((GDestroyNotify)conn_free);
    if (native.event == NULL || !block_signals(&native)) {
        vmc_launcher_say("cannot set up the event loop: %s", g_strerror(errno));
        finish(&native, VMC_NATIVE_EXIT_LOCAL);
    } else if (open_main(&native)) {
        ssh_set_blocking(native.session, 0);
        ssh_event_add_session(native.event, native.session);
        loop(&native);
    } else {
        finish(&native, VMC_NATIVE_EXIT_SSH);
    }
    ssh_set_blocking(native.session, 1);
    native_close(&native);
    return native.status;
}
