/* test-viewer-process.c — the viewer's process: its output kept as a bounded
 * tail, a sandbox that does not come up (or comes up with less than
 * promised) is no viewer and says why, and the peer check knows who is
 * inside a real bubblewrap PID namespace. */
#include <errno.h>
#include <glib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "session-priv.h"
#include "vmc-assert.h"

#define WAIT_MAX_S 30

static int exit_status;
static gboolean exited;

static void
on_child_exit(GPid pid, gint status, gpointer data)
{
    exit_status = status;
    exited = TRUE;
    g_spawn_close_pid(pid);
}

static void
wait_exit(GPid pid)
{
    exited = FALSE;
    g_child_watch_add(pid, on_child_exit, NULL);
    gint64 deadline = g_get_monotonic_time() + WAIT_MAX_S * G_USEC_PER_SEC;
    while (!exited) {
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_main_context_iteration(NULL, TRUE);
    }
}

static VmcViewer *
start_sh(const char *script, gboolean sandbox, const char *expected, GError **error)
{
    char *argv[] = {(char *)"/bin/sh", (char *)"-c", (char *)script, NULL};
    char *envp[] = {(char *)"PATH=/usr/bin:/bin", NULL};
    VmcViewerLaunch launch = {argv, envp, "/", sandbox, expected};
    return vmc_viewer_start(&launch, error);
}

/* stdout and stderr both reach the tail; the viewer's own pid is its peer. */
static void
test_output(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcViewer) viewer =
        start_sh("echo to-stdout; echo to-stderr >&2; exit 3", FALSE, NULL, &error);
    g_assert_no_error(error);
    GPid pid = vmc_viewer_get_pid(viewer);
    g_assert_true(vmc_viewer_peer_check(pid, getuid(), viewer));
    g_assert_false(vmc_viewer_peer_check(getpid(), getuid(), viewer));
    wait_exit(pid);
    g_assert_true(WIFEXITED(exit_status));
    g_assert_cmpint(WEXITSTATUS(exit_status), ==, 3);
    g_autofree char *tail = vmc_viewer_output_tail(viewer);
    g_assert_cmpstr(tail, ==, "to-stdout\nto-stderr\n");
}

/* A viewer that floods its output: only the last VMC_VIEWER_OUTPUT_KEEP
 * bytes are kept, and they are the last ones it wrote. */
static void
test_output_bounded(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcViewer) viewer = start_sh(
        "i=0; while [ $i -lt 20000 ]; do echo line-$i-of-chatter; i=$((i+1)); done; echo LAST",
        FALSE, NULL, &error);
    g_assert_no_error(error);
    wait_exit(vmc_viewer_get_pid(viewer));
    g_autofree char *tail = vmc_viewer_output_tail(viewer);
    g_assert_cmpuint(strlen(tail), ==, VMC_VIEWER_OUTPUT_KEEP);
    g_assert_true(g_str_has_suffix(tail, "line-19999-of-chatter\nLAST\n"));
}

/* bubblewrap gave no status (it failed): no viewer, and what it said is in
 * the error; the process is gone. */
static void
test_sandbox_failed(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcViewer) viewer =
        start_sh("echo 'bwrap: No permissions to creating new namespace' >&2; exit 1", TRUE,
                 "landlock=0 seccomp=on no_new_privs=on", &error);
    g_assert_null(viewer);
    g_assert_nonnull(error);
    g_test_message("%s", error->message);
    vmc_assert_contains(error->message, "the viewer's sandbox did not come up");
    vmc_assert_contains(error->message, "No permissions to creating new namespace");
}

/* confine reported less than promised (here: no Landlock): refused. */
static void
test_sandbox_weaker(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcViewer) viewer =
        start_sh("echo '{ \"child-pid\": 99999, \"pid-namespace\": 4026531836 }' >&3; "
                 "echo 'landlock=0 seccomp=on no_new_privs=on' >&4; sleep 30",
                 TRUE, "landlock=3 seccomp=on no_new_privs=on", &error);
    g_assert_null(viewer);
    g_test_message("%s", error->message);
    g_assert_error(error, VMC_SANDBOX_ERROR, VMC_SANDBOX_ERROR_FAILED);
    vmc_assert_contains(error->message, "landlock=0");
}

/* A status with no PID namespace in it is refused too. */
static void
test_sandbox_bad_status(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcViewer) viewer =
        start_sh("echo '{ \"child-pid\": \"x\" }' >&3; sleep 30", TRUE, "x", &error);
    g_assert_null(viewer);
    g_assert_error(error, VMC_SANDBOX_ERROR, VMC_SANDBOX_ERROR_FAILED);
}

/* Real bubblewrap: the status names its PID namespace, and the peer check
 * admits a process in it and nobody outside it. */
static void
test_real_bwrap(void)
{
    if (access(VMC_SANDBOX_BWRAP, X_OK) != 0) {
        g_test_skip("bubblewrap is not installed (scripts/install-deps installs it)");
        return;
    }
    char *argv[] = {(char *)VMC_SANDBOX_BWRAP,
                    (char *)"--unshare-pid",
                    (char *)"--unshare-user",
                    (char *)"--die-with-parent",
                    (char *)"--ro-bind",
                    (char *)"/",
                    (char *)"/",
                    (char *)"--json-status-fd",
                    (char *)"3",
                    (char *)"--",
                    (char *)"/bin/sh",
                    (char *)"-c",
                    (char *)"echo 'landlock=0 seccomp=on no_new_privs=on' >&4; exec sleep 30",
                    NULL};
    char *envp[] = {(char *)"PATH=/usr/bin:/bin", NULL};
    VmcViewerLaunch launch = {argv, envp, "/", TRUE, "landlock=0 seccomp=on no_new_privs=on"};
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcViewer) viewer = vmc_viewer_start(&launch, &error);
    g_assert_no_error(error);
    GPid pid = vmc_viewer_get_pid(viewer);
    /* the sandbox's processes are bubblewrap's descendants */
    g_autofree char *children_path = g_strdup_printf("/proc/%d/task/%d/children", pid, pid);
    g_autofree char *children = NULL;
    g_assert_true(g_file_get_contents(children_path, &children, NULL, NULL));
    int inside = atoi(children);
    g_assert_cmpint(inside, >, 0);
    g_assert_true(vmc_viewer_peer_check(inside, getuid(), viewer));
    g_assert_false(vmc_viewer_peer_check(inside, getuid() + 1, viewer));
    g_assert_false(vmc_viewer_peer_check(pid, getuid(), viewer));      /* bwrap itself: outside */
    g_assert_false(vmc_viewer_peer_check(getpid(), getuid(), viewer)); /* the gateway */
    g_assert_false(vmc_viewer_peer_check(1, getuid(), viewer));
    kill(-pid, SIGKILL);
    wait_exit(pid);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/viewer-process/output", test_output);
    g_test_add_func("/viewer-process/output-bounded", test_output_bounded);
    g_test_add_func("/viewer-process/sandbox-failed", test_sandbox_failed);
    g_test_add_func("/viewer-process/sandbox-weaker", test_sandbox_weaker);
    g_test_add_func("/viewer-process/sandbox-bad-status", test_sandbox_bad_status);
    g_test_add_func("/viewer-process/real-bwrap", test_real_bwrap);
    return g_test_run();
}
