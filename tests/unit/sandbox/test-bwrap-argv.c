/* test-bwrap-argv.c — the viewer's sandbox layout as bubblewrap's argv:
 * namespaces, read-only system dirs, hidden paths, private dirs, the
 * session's binds, confine's rules, the viewer's argv last; and every spec
 * that cannot be built safely refused. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "vmc-sandbox.h"

static const VmcSandboxSupport support = {
    .bwrap = (char *)"/usr/bin/bwrap",
    .confine = (char *)"/usr/libexec/vmconsole/vmconsole-confine",
    .landlock_abi = 3,
};

static char *viewer_argv[] = {(char *)"/usr/bin/remote-viewer", (char *)"--title", (char *)"A VM",
                              (char *)"spice+unix:///run/vmconsole/spice.sock", NULL};

static const VmcSandboxBind binds[] = {
    {"/run/vmconsole/session-1/spice.sock", VMC_SANDBOX_SESSION_DIR "/spice.sock"},
    {"/run/vmconsole/session-1/X0", VMC_SANDBOX_X11_DIR "/X0"},
};

static VmcSandboxSpec
base_spec(void)
{
    return (VmcSandboxSpec){
        .support = &support,
        .viewer = "/usr/bin/remote-viewer",
        .binds = binds,
        .n_binds = G_N_ELEMENTS(binds),
        .viewer_argv = viewer_argv,
        .status_fd = 3,
        .report_fd = 4,
    };
}

/* Index of the first occurrence of the n consecutive args, or -1. */
static int
find_seq(char **argv, const char *const *seq, guint n)
{
    for (int i = 0; argv[i] != NULL; i++) {
        guint k = 0;
        while (k < n && argv[i + k] != NULL && strcmp(argv[i + k], seq[k]) == 0)
            k++;
        if (k == n)
            return i;
    }
    return -1;
}

#define HAS(argv, ...)                                                                             \
    find_seq(argv, (const char *const[]){__VA_ARGS__},                                             \
             G_N_ELEMENTS(((const char *const[]){__VA_ARGS__})))

static void
assert_has(char **argv, int index, const char *what)
{
    if (index < 0) {
        g_autofree char *joined = g_strjoinv(" ", argv);
        g_error("argv lacks %s: %s", what, joined);
    }
}

static void
test_layout(void)
{
    VmcSandboxSpec spec = base_spec();
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) argv = vmc_sandbox_argv(&spec, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(argv[0], ==, "/usr/bin/bwrap");

    static const char *const flags[] = {"--unshare-user",    "--disable-userns", "--unshare-ipc",
                                        "--unshare-pid",     "--unshare-net",    "--unshare-uts",
                                        "--die-with-parent", "--new-session"};
    for (guint i = 0; i < G_N_ELEMENTS(flags); i++)
        assert_has(argv, HAS(argv, flags[i]), flags[i]);
    assert_has(argv, HAS(argv, "--json-status-fd", "3"), "the status fd");
    assert_has(argv, HAS(argv, "--cap-drop", "ALL"), "no capabilities");
    assert_has(argv, HAS(argv, "--ro-bind", "/usr", "/usr"), "/usr read-only");
    assert_has(argv, HAS(argv, "--ro-bind", "/etc", "/etc"), "/etc read-only");
    assert_has(argv, HAS(argv, "--proc", "/proc"), "its own /proc");
    assert_has(argv, HAS(argv, "--dev", "/dev"), "its own /dev");
    g_autofree char *home_size = g_strdup_printf("%d", VMC_SANDBOX_HOME_SIZE);
    assert_has(argv, HAS(argv, "--size", home_size, "--perms", "0700", "--tmpfs", VMC_SANDBOX_HOME),
               "a size-capped private home");
    assert_has(argv, HAS(argv, "--tmpfs", "/tmp"), "a private /tmp");
    assert_has(argv, HAS(argv, "--ro-bind", binds[0].source, binds[0].target), "the Spice socket");
    assert_has(argv, HAS(argv, "--ro-bind", binds[1].source, binds[1].target), "the X11 socket");
    assert_has(argv, HAS(argv, "--ro-bind", support.confine, VMC_SANDBOX_CONFINE), "confine");

    /* the root is read-only once everything is mounted, before the command */
    int remount = HAS(argv, "--remount-ro", "/");
    int command = HAS(argv, "--", VMC_SANDBOX_CONFINE);
    assert_has(argv, remount, "--remount-ro /");
    assert_has(argv, command, "confine as the command");
    g_assert_cmpint(remount, <, command);
    assert_has(argv, HAS(argv, "--report-fd", "4", "--"), "confine's report fd");
    assert_has(argv, HAS(argv, "--exec", "/usr"), "exec only under /usr");
    assert_has(argv, HAS(argv, "--read", "/etc"), "/etc readable");
    assert_has(argv, HAS(argv, "--write", VMC_SANDBOX_HOME), "the home writable");
    /* nothing of the host outside the private dirs is writable */
    for (int i = command; argv[i] != NULL; i++)
        if (strcmp(argv[i], "--write") == 0)
            g_assert_true(strcmp(argv[i + 1], VMC_SANDBOX_HOME) == 0 ||
                          strcmp(argv[i + 1], "/tmp") == 0 ||
                          strcmp(argv[i + 1], VMC_SANDBOX_RUNTIME_DIR) == 0);
    /* the viewer's argv comes last, unchanged */
    guint n = g_strv_length(argv);
    for (guint i = 0; i < 4; i++)
        g_assert_cmpstr(argv[n - 4 + i], ==, viewer_argv[i]);
    /* a viewer under /usr is not bound again */
    g_assert_cmpint(HAS(argv, "--ro-bind", spec.viewer, spec.viewer), <, 0);
}

/* Paths that must stay out of reach are covered where a system dir shows them. */
static void
test_hidden(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("vmc-bwrap-XXXXXX", &error);
    g_assert_no_error(error);
    g_autofree char *conf_dir = g_build_filename(dir, "vmconsole", NULL);
    g_autofree char *log = g_build_filename(dir, "sessions.jsonl", NULL);
    g_autofree char *viewer = g_build_filename(dir, "viewer", NULL);
    g_assert_cmpint(g_mkdir(conf_dir, 0700), ==, 0);
    g_assert_true(g_file_set_contents(log, "", 0, NULL));
    const char *system_dirs[] = {"/usr", dir, NULL};
    const char *hide[] = {conf_dir, log, "/var/spicex", "/nonexistent/x", NULL};
    VmcSandboxSpec spec = base_spec();
    spec.system_dirs = system_dirs;
    spec.hide = hide;
    spec.viewer = viewer;
    g_auto(GStrv) argv = vmc_sandbox_argv(&spec, &error);
    g_assert_no_error(error);
    assert_has(argv, HAS(argv, "--ro-bind", dir, dir), "the test's system dir");
    assert_has(argv, HAS(argv, "--perms", "0000", "--tmpfs", conf_dir), "the config dir hidden");
    assert_has(argv, HAS(argv, "--ro-bind", "/dev/null", log), "the log hidden");
    /* not under a bound dir: nothing to hide, nothing mentioned */
    g_assert_cmpint(HAS(argv, "/var/spicex"), <, 0);
    g_assert_cmpint(HAS(argv, "/nonexistent/x"), <, 0);
    /* a viewer outside the system dirs: bound and executable at its path */
    const char *system2[] = {"/usr", NULL};
    spec.system_dirs = system2;
    g_auto(GStrv) argv2 = vmc_sandbox_argv(&spec, &error);
    g_assert_no_error(error);
    assert_has(argv2, HAS(argv2, "--ro-bind", viewer, viewer), "the viewer bound");
    assert_has(argv2, HAS(argv2, "--exec", viewer), "the viewer executable");
    g_unlink(log);
    g_rmdir(conf_dir);
    g_rmdir(dir);
}

typedef void (*Spoil)(VmcSandboxSpec *spec);

static void
spoil_relative_viewer(VmcSandboxSpec *s)
{
    s->viewer = "remote-viewer";
}
static void
spoil_dotdot(VmcSandboxSpec *s)
{
    static const VmcSandboxBind b[] = {{"/run/x/../../etc/shadow", VMC_SANDBOX_SESSION_DIR "/s"}};
    s->binds = b;
    s->n_binds = 1;
}
static void
spoil_target_outside(VmcSandboxSpec *s)
{
    static const VmcSandboxBind b[] = {{"/run/x/s", "/home/viewer/.bashrc"}};
    s->binds = b;
    s->n_binds = 1;
}
static void
spoil_target_confine(VmcSandboxSpec *s)
{
    static const VmcSandboxBind b[] = {{"/tmp/evil", VMC_SANDBOX_CONFINE}};
    s->binds = b;
    s->n_binds = 1;
}
static void
spoil_target_prefix(VmcSandboxSpec *s)
{
    static const VmcSandboxBind b[] = {{"/run/x/s", VMC_SANDBOX_SESSION_DIR "-evil/s"}};
    s->binds = b;
    s->n_binds = 1;
}
static void
spoil_too_many_binds(VmcSandboxSpec *s)
{
    s->n_binds = VMC_SANDBOX_BINDS_MAX + 1;
}
static void
spoil_too_many_hidden(VmcSandboxSpec *s)
{
    static const char *hide[VMC_SANDBOX_HIDE_MAX + 2];
    for (guint i = 0; i <= VMC_SANDBOX_HIDE_MAX; i++)
        hide[i] = "/etc/x";
    s->hide = hide;
}
static void
spoil_relative_hidden(VmcSandboxSpec *s)
{
    static const char *hide[] = {"etc/vmconsole", NULL};
    s->hide = hide;
}
static void
spoil_no_report_fd(VmcSandboxSpec *s)
{
    s->report_fd = -1;
}

static void
test_refused(void)
{
    static const Spoil spoils[] = {
        spoil_relative_viewer, spoil_dotdot,          spoil_target_outside,
        spoil_target_confine,  spoil_target_prefix,   spoil_too_many_binds,
        spoil_too_many_hidden, spoil_relative_hidden, spoil_no_report_fd};
    /* one more bind than allowed, all of them fine on their own */
    static VmcSandboxBind many[VMC_SANDBOX_BINDS_MAX + 1];
    for (guint i = 0; i < G_N_ELEMENTS(many); i++)
        many[i] = binds[0];
    for (guint i = 0; i < G_N_ELEMENTS(spoils); i++) {
        VmcSandboxSpec spec = base_spec();
        if (spoils[i] == spoil_too_many_binds)
            spec.binds = many;
        spoils[i](&spec);
        g_autoptr(GError) error = NULL;
        g_auto(GStrv) argv = vmc_sandbox_argv(&spec, &error);
        g_test_message("case %u: %s", i, error != NULL ? error->message : "(built)");
        g_assert_null(argv);
        g_assert_error(error, VMC_SANDBOX_ERROR, VMC_SANDBOX_ERROR_FAILED);
    }
    /* exactly VMC_SANDBOX_BINDS_MAX is fine */
    VmcSandboxSpec spec = base_spec();
    spec.binds = many;
    spec.n_binds = VMC_SANDBOX_BINDS_MAX;
    g_auto(GStrv) argv = vmc_sandbox_argv(&spec, NULL);
    g_assert_nonnull(argv);
}

static void
test_protections(void)
{
    g_auto(GStrv) with = vmc_sandbox_protections(&support);
    g_assert_true(g_strv_contains((const char *const *)with, "net-ns"));
    g_assert_true(g_strv_contains((const char *const *)with, "pid-ns"));
    g_assert_true(g_strv_contains((const char *const *)with, "seccomp"));
    g_assert_true(g_strv_contains((const char *const *)with, "landlock-abi-3"));
    VmcSandboxSupport none = support;
    none.landlock_abi = 0;
    g_auto(GStrv) without = vmc_sandbox_protections(&none);
    for (guint i = 0; without[i] != NULL; i++)
        g_assert_false(g_str_has_prefix(without[i], "landlock"));
    g_autofree char *report = vmc_sandbox_expected_report(&support);
    g_assert_cmpstr(report, ==, "landlock=3 seccomp=on no_new_privs=on");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sandbox/bwrap-argv/layout", test_layout);
    g_test_add_func("/sandbox/bwrap-argv/hidden", test_hidden);
    g_test_add_func("/sandbox/bwrap-argv/refused", test_refused);
    g_test_add_func("/sandbox/bwrap-argv/protections", test_protections);
    return g_test_run();
}
