/* viewer-process.c — the viewer's process: started (in its sandbox, or
 * not), its output kept as a bounded tail, and the question the relay asks
 * of every connection: is this peer the viewer?
 *
 * With the sandbox, argv is bubblewrap's. bubblewrap reports on fd 3 (its
 * --json-status-fd) the sandbox's first pid and PID namespace once the
 * namespaces exist; vmconsole-confine reports on fd 4 what it applied just
 * before it execs the viewer. The start waits for both (bounded): a sandbox
 * that did not come up, or came up with less than promised, is no viewer.
 * Both pipes' fds are closed in the viewer (confine closes every fd >= 3).
 */
#include "session-priv.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define REPORT_LINE_MAX 256
#define STATUS_LINE_MAX 1024
#define PIDNS_LINK_MAX 64

struct _VmcViewer {
    GPid pid;
    gboolean sandbox;
    char pidns[PIDNS_LINK_MAX]; /* "pid:[N]" of the sandbox */
    int output_fd;              /* read end of the viewer's stdout+stderr */
    guint output_source;
    int status_fd; /* bwrap's status: kept open so bwrap never gets SIGPIPE */
    char ring[VMC_VIEWER_OUTPUT_KEEP];
    gsize ring_length;
};

/* ---- the output: a bounded tail ---- */

static void
ring_add(VmcViewer *viewer, const char *bytes, gsize n)
{
    if (n >= sizeof viewer->ring) {
        memcpy(viewer->ring, bytes + n - sizeof viewer->ring, sizeof viewer->ring);
        viewer->ring_length = sizeof viewer->ring;
        return;
    }
    gsize keep = MIN(viewer->ring_length, sizeof viewer->ring - n);
    memmove(viewer->ring, viewer->ring + viewer->ring_length - keep, keep);
    memcpy(viewer->ring + keep, bytes, n);
    viewer->ring_length = keep + n;
}

/* Read what is there; FALSE at the end of the output. */
static gboolean
drain_output(VmcViewer *viewer)
{
    char buf[4096];
    for (;;) {
        ssize_t n = read(viewer->output_fd, buf, sizeof buf);
        if (n > 0)
            ring_add(viewer, buf, (gsize)n);
        else if (n < 0 && errno == EINTR)
            continue;
        else
            return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
}

static gboolean
on_output(gint fd, GIOCondition condition, gpointer data)
{
    VmcViewer *viewer = data;
    if (drain_output(viewer))
        return G_SOURCE_CONTINUE;
    viewer->output_source = 0;
    return G_SOURCE_REMOVE;
}

/* ---- starting ---- */

/* Runs in the child between fork and exec: async-signal-safe calls only. */
static void
viewer_child_setup(gpointer data)
{
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
}

typedef struct {
    int output[2];
    int status[2];
    int report[2];
    int null_fd;
} Pipes;

static void
close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static void
pipes_close(Pipes *pipes)
{
    for (guint i = 0; i < 2; i++) {
        close_fd(&pipes->output[i]);
        close_fd(&pipes->status[i]);
        close_fd(&pipes->report[i]);
    }
    close_fd(&pipes->null_fd);
}

static gboolean
pipes_open(Pipes *pipes, gboolean sandbox, GError **error)
{
    *pipes = (Pipes){{-1, -1}, {-1, -1}, {-1, -1}, -1};
    pipes->null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (pipes->null_fd < 0 || !g_unix_open_pipe(pipes->output, FD_CLOEXEC, error) ||
        (sandbox && (!g_unix_open_pipe(pipes->status, FD_CLOEXEC, error) ||
                     !g_unix_open_pipe(pipes->report, FD_CLOEXEC, error)))) {
        if (error != NULL && *error == NULL)
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                        "cannot prepare the viewer's stdin/stdout: %s", g_strerror(errno));
        pipes_close(pipes);
        return FALSE;
    }
    return TRUE;
}

static gboolean
spawn(const VmcViewerLaunch *launch, Pipes *pipes, GPid *ret_pid, GError **error)
{
    int source_fds[2] = {pipes->status[1], pipes->report[1]};
    int target_fds[2] = {VMC_VIEWER_STATUS_FD, VMC_VIEWER_REPORT_FD};
    return g_spawn_async_with_pipes_and_fds(
        launch->cwd, (const char *const *)launch->argv, (const char *const *)launch->envp,
        G_SPAWN_DO_NOT_REAP_CHILD, viewer_child_setup, NULL, pipes->null_fd, pipes->output[1],
        pipes->output[1], launch->sandbox ? source_fds : NULL, launch->sandbox ? target_fds : NULL,
        launch->sandbox ? 2 : 0, ret_pid, NULL, NULL, NULL, error);
}

/* bubblewrap's first status document: { "child-pid": N, …, "pid-namespace": N }. */
static gboolean
parse_status(const char *line, char *pidns, gsize size)
{
    g_autoptr(JsonNode) node = json_from_string(line, NULL);
    JsonObject *object =
        node != NULL && JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
    if (object == NULL || !json_object_has_member(object, "pid-namespace") ||
        !json_object_has_member(object, "child-pid"))
        return FALSE;
    gint64 ns = json_object_get_int_member(object, "pid-namespace");
    if (ns <= 0)
        return FALSE;
    g_snprintf(pidns, size, "pid:[%" G_GINT64_FORMAT "]", ns);
    return TRUE;
}

/* Wait for the sandbox's status and confine's report (one deadline). */
static gboolean
wait_for_sandbox(VmcViewer *viewer, const char *expected, int report_fd, GError **error)
{
    gint64 deadline = g_get_monotonic_time() + VMC_VIEWER_START_TIMEOUT_MS * 1000;
    char status[STATUS_LINE_MAX], report[REPORT_LINE_MAX];
    gsize length = 0;
    if (!vmc_read_line(viewer->status_fd, "bubblewrap's status", deadline, status, sizeof status,
                       &length, error))
        return FALSE;
    if (!parse_status(status, viewer->pidns, sizeof viewer->pidns)) {
        g_set_error(error, VMC_SANDBOX_ERROR, VMC_SANDBOX_ERROR_FAILED,
                    "bubblewrap's status names no PID namespace");
        return FALSE;
    }
    if (!vmc_read_line(report_fd, "vmconsole-confine's report", deadline, report, sizeof report,
                       &length, error))
        return FALSE;
    if (strcmp(report, expected) != 0) {
        g_autofree char *quoted = vmc_text_escape(report, -1, REPORT_LINE_MAX);
        g_set_error(error, VMC_SANDBOX_ERROR, VMC_SANDBOX_ERROR_FAILED,
                    "vmconsole-confine applied \"%s\", not \"%s\"", quoted, expected);
        return FALSE;
    }
    return TRUE;
}

/* A sandbox that did not come up: what bubblewrap or confine said is the
 * admin's clue; the process is ended and reaped here. */
static void
abandon(VmcViewer *viewer, GError **error)
{
    kill(-viewer->pid, SIGKILL);
    int status;
    while (waitpid(viewer->pid, &status, 0) < 0 && errno == EINTR)
        ;
    g_spawn_close_pid(viewer->pid);
    drain_output(viewer);
    g_autofree char *said = vmc_viewer_output_tail(viewer);
    g_autofree char *quoted = vmc_text_escape(g_strstrip(said), -1, VMC_VIEWER_LOG_TAIL);
    g_prefix_error(error, "the viewer's sandbox did not come up: ");
    if (quoted[0] != '\0' && error != NULL && *error != NULL) {
        char *message = g_strdup_printf("%s (it said: %s)", (*error)->message, quoted);
        g_free((*error)->message);
        (*error)->message = message;
    }
}

VmcViewer *
vmc_viewer_start(const VmcViewerLaunch *launch, GError **error)
{
    g_return_val_if_fail(launch != NULL && launch->argv != NULL, NULL);
    Pipes pipes;
    if (!pipes_open(&pipes, launch->sandbox, error))
        return NULL;
    g_autoptr(VmcViewer) viewer = g_new0(VmcViewer, 1);
    viewer->output_fd = viewer->status_fd = -1;
    viewer->sandbox = launch->sandbox;
    if (!spawn(launch, &pipes, &viewer->pid, error)) {
        pipes_close(&pipes);
        return NULL;
    }
    close_fd(&pipes.output[1]);
    close_fd(&pipes.status[1]);
    close_fd(&pipes.report[1]);
    viewer->output_fd = pipes.output[0];
    viewer->status_fd = pipes.status[0];
    pipes.output[0] = pipes.status[0] = -1;
    g_unix_set_fd_nonblocking(viewer->output_fd, TRUE, NULL);
    gboolean up = !launch->sandbox ||
                  wait_for_sandbox(viewer, launch->expected_report, pipes.report[0], error);
    pipes_close(&pipes);
    if (!up) {
        abandon(viewer, error);
        return NULL;
    }
    viewer->output_source =
        g_unix_fd_add(viewer->output_fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_output, viewer);
    return g_steal_pointer(&viewer);
}

GPid
vmc_viewer_get_pid(const VmcViewer *viewer)
{
    return viewer->pid;
}

gboolean
vmc_viewer_peer_check(pid_t pid, uid_t uid, gpointer data)
{
    const VmcViewer *viewer = data;
    if (!viewer->sandbox)
        return pid == viewer->pid;
    if (uid != getuid() || pid <= 0)
        return FALSE;
    char path[64], link[PIDNS_LINK_MAX];
    g_snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)pid);
    ssize_t n = readlink(path, link, sizeof link - 1);
    if (n <= 0)
        return FALSE;
    link[n] = '\0';
    return strcmp(link, viewer->pidns) == 0;
}

char *
vmc_viewer_output_tail(VmcViewer *viewer)
{
    if (viewer->output_fd >= 0)
        drain_output(viewer);
    return g_strndup(viewer->ring, viewer->ring_length);
}

void
vmc_viewer_free(VmcViewer *viewer)
{
    if (viewer == NULL)
        return;
    if (viewer->output_source != 0)
        g_source_remove(viewer->output_source);
    close_fd(&viewer->output_fd);
    close_fd(&viewer->status_fd);
    g_free(viewer);
}
