/* test-viewer.c — the viewer gets a fixed argv and only the whitelisted environment. */
#include <glib.h>
#include <string.h>

#include "session-priv.h"

static void
test_display(void)
{
    g_assert_true(vmc_viewer_display_is_valid("localhost:10.0"));
    g_assert_true(vmc_viewer_display_is_valid(":0"));
    g_assert_false(vmc_viewer_display_is_valid(NULL));
    g_assert_false(vmc_viewer_display_is_valid(""));
    g_assert_false(vmc_viewer_display_is_valid("localhost"));        /* no display number */
    g_assert_false(vmc_viewer_display_is_valid("/tmp/.X11-unix/X0")); /* a path */
    g_assert_false(vmc_viewer_display_is_valid("a:1;id"));
    g_assert_false(vmc_viewer_display_is_valid("a:1\n"));
    g_autofree char *longer = g_strnfill(VMC_DISPLAY_MAX + 1, 'a');
    longer[0] = ':';
    g_assert_false(vmc_viewer_display_is_valid(longer));
}

static void
test_argv(void)
{
    g_auto(GStrv) argv = vmc_viewer_argv("/usr/bin/remote-viewer", "Customer A", "/run/s/spice.sock",
                                         FALSE);
    const char *want[] = {"/usr/bin/remote-viewer", "--title", "Customer A",
                          "--spice-disable-usbredir", "--spice-disable-audio",
                          "spice+unix:///run/s/spice.sock", NULL};
    g_assert_cmpstrv(argv, want);
    g_auto(GStrv) with_audio = vmc_viewer_argv("/v", "t", "/s", TRUE);
    g_assert_false(g_strv_contains((const char *const *)with_audio, "--spice-disable-audio"));
    /* Shared folders stay off: nothing in argv turns them on. */
    for (guint i = 0; argv[i] != NULL; i++)
        g_assert_null(strstr(argv[i], "shared-dir"));
}

static void
test_env(void)
{
    char **parent = g_environ_setenv(NULL, "DISPLAY", "localhost:10.0", TRUE);
    parent = g_environ_setenv(parent, "LANG", "de_DE.UTF-8", TRUE);
    parent = g_environ_setenv(parent, "LD_PRELOAD", "/tmp/evil.so", TRUE);
    parent = g_environ_setenv(parent, "SSH_ORIGINAL_COMMAND", "debianx", TRUE);
    parent = g_environ_setenv(parent, "GTK_MODULES", "evil", TRUE);
    parent = g_environ_setenv(parent, "PATH", "/tmp/evil:/usr/bin", TRUE);
    g_auto(GStrv) env = vmc_viewer_env(parent, "/run/vmconsole/session-1", "/run/x/Xauthority", NULL);
    g_strfreev(parent);

    const char *want[] = {"DISPLAY=localhost:10.0", "XAUTHORITY=/run/x/Xauthority",
                          "HOME=/run/vmconsole/session-1",
                          "XDG_RUNTIME_DIR=/run/vmconsole/session-1",
                          "PATH=/usr/local/bin:/usr/bin:/bin", "LANG=de_DE.UTF-8", NULL};
    g_assert_cmpstrv(env, want);

    char **hostile = g_environ_setenv(NULL, "LANG", "C;rm -rf /", TRUE);
    hostile = g_environ_setenv(hostile, "DISPLAY", "x:1\nLD_PRELOAD=/e", TRUE);
    g_auto(GStrv) env2 = vmc_viewer_env(hostile, "/s", "/x", NULL);
    g_strfreev(hostile);
    g_assert_null(g_environ_getenv(env2, "LANG"));
    g_assert_null(g_environ_getenv(env2, "DISPLAY"));
    g_assert_null(g_environ_getenv(env2, "LD_PRELOAD"));

    /* The sound variables come only from the gateway, never from the parent. */
    char **parent3 = g_environ_setenv(NULL, "PULSE_SERVER", "tcp:evil:1", TRUE);
    parent3 = g_environ_setenv(parent3, "PULSE_COOKIE", "/tmp/stolen", TRUE);
    g_auto(GStrv) env3 = vmc_viewer_env(parent3, "/s", "/x", NULL);
    g_assert_null(g_environ_getenv(env3, "PULSE_SERVER"));
    g_assert_null(g_environ_getenv(env3, "PULSE_COOKIE"));
    g_autoptr(GPtrArray) extra = g_ptr_array_new();
    g_ptr_array_add(extra, (char *)"PULSE_SERVER=tcp:127.0.0.1:40000");
    g_ptr_array_add(extra, (char *)"PULSE_COOKIE=/s/pulse-cookie");
    g_auto(GStrv) env4 = vmc_viewer_env(parent3, "/s", "/x", extra);
    g_strfreev(parent3);
    g_assert_cmpstr(g_environ_getenv(env4, "PULSE_SERVER"), ==, "tcp:127.0.0.1:40000");
    g_assert_cmpstr(g_environ_getenv(env4, "PULSE_COOKIE"), ==, "/s/pulse-cookie");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/viewer/display", test_display);
    g_test_add_func("/viewer/argv", test_argv);
    g_test_add_func("/viewer/env", test_env);
    return g_test_run();
}
