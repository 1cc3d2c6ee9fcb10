/* test-viewer.c — the viewer gets a fixed argv and only the whitelisted environment. */
#include <arpa/inet.h>
#include <gio/gio.h>
#include <glib.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

#include "session-priv.h"
#include "vmc-assert.h"

static void
test_display(void)
{
    g_assert_true(vmc_viewer_display_is_valid("localhost:10.0"));
    g_assert_true(vmc_viewer_display_is_valid(":0"));
    g_assert_false(vmc_viewer_display_is_valid(NULL));
    g_assert_false(vmc_viewer_display_is_valid(""));
    g_assert_false(vmc_viewer_display_is_valid("localhost"));         /* no display number */
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
    g_auto(GStrv) argv = vmc_viewer_argv("/usr/bin/remote-viewer", "/run/s/spice.sock", FALSE);
    /* no --title: it would hide the guest name the relay sends (the title
     * that changes at a warning) */
    const char *want[] = {"/usr/bin/remote-viewer", "--spice-disable-usbredir",
                          "--spice-disable-audio", "spice+unix:///run/s/spice.sock", NULL};
    g_assert_cmpstrv(argv, want);
    g_auto(GStrv) with_audio = vmc_viewer_argv("/v", "/s", TRUE);
    g_assert_false(g_strv_contains((const char *const *)with_audio, "--spice-disable-audio"));
    /* Shared folders stay off: nothing in argv turns them on. */
    for (guint i = 0; argv[i] != NULL; i++)
        vmc_assert_lacks(argv[i], "shared-dir");
}

static const VmcViewerPlaces host_places = {"localhost:10.0", "/run/x/Xauthority",
                                            "/run/vmconsole/session-1", "/run/vmconsole/session-1"};

static void
test_env(void)
{
    char **parent = g_environ_setenv(NULL, "DISPLAY", "localhost:99.0", TRUE);
    parent = g_environ_setenv(parent, "LANG", "de_DE.UTF-8", TRUE);
    parent = g_environ_setenv(parent, "LD_PRELOAD", "/tmp/evil.so", TRUE);
    parent = g_environ_setenv(parent, "SSH_ORIGINAL_COMMAND", "debianx", TRUE);
    parent = g_environ_setenv(parent, "GTK_MODULES", "evil", TRUE);
    parent = g_environ_setenv(parent, "PATH", "/tmp/evil:/usr/bin", TRUE);
    parent = g_environ_setenv(parent, "DBUS_SESSION_BUS_ADDRESS", "unixexec:path=/bin/sh", TRUE);
    parent = g_environ_setenv(parent, "XDG_DATA_DIRS", "/tmp/evil-themes", TRUE);
    g_auto(GStrv) env = vmc_viewer_env(parent, &host_places, NULL);
    g_strfreev(parent);

    /* the places given, not the parent's DISPLAY */
    const char *want[] = {
        "DISPLAY=localhost:10.0", "XAUTHORITY=/run/x/Xauthority", "HOME=/run/vmconsole/session-1",
        "XDG_RUNTIME_DIR=/run/vmconsole/session-1",
        "XDG_CONFIG_HOME=/run/vmconsole/session-1/.config",
        "XDG_CACHE_HOME=/run/vmconsole/session-1/.cache",
        "XDG_DATA_HOME=/run/vmconsole/session-1/.local/share",
        "XDG_STATE_HOME=/run/vmconsole/session-1/.local/state", "PATH=/usr/local/bin:/usr/bin:/bin",
        "LANG=de_DE.UTF-8",
        /* the hardening: fixed, whatever the parent had */
        "NO_AT_BRIDGE=1", "GTK_A11Y=none",
        "DBUS_SESSION_BUS_ADDRESS=unix:path=/dev/null/no-session-bus",
        "DBUS_SYSTEM_BUS_ADDRESS=unix:path=/dev/null/no-system-bus", "GSETTINGS_BACKEND=memory",
        "GIO_USE_VFS=local", "GIO_USE_VOLUME_MONITOR=unix",
        "GIO_MODULE_DIR=/dev/null/no-gio-modules", "GTK_USE_PORTAL=0", "GDK_BACKEND=x11",
        "GTK_IM_MODULE=gtk-im-context-simple", "XDG_DATA_DIRS=/usr/local/share:/usr/share",
        "XDG_CONFIG_DIRS=/etc/xdg", NULL};
    g_assert_cmpstrv(env, want);

    char **hostile = g_environ_setenv(NULL, "LANG", "C;rm -rf /", TRUE);
    VmcViewerPlaces bad_display = host_places;
    bad_display.display = "x:1\nLD_PRELOAD=/e";
    g_auto(GStrv) env2 = vmc_viewer_env(hostile, &bad_display, NULL);
    g_strfreev(hostile);
    g_assert_null(g_environ_getenv(env2, "LANG"));
    g_assert_null(g_environ_getenv(env2, "DISPLAY"));
    g_assert_null(g_environ_getenv(env2, "LD_PRELOAD"));

    /* The sound variables come only from the gateway, never from the parent. */
    char **parent3 = g_environ_setenv(NULL, "PULSE_SERVER", "tcp:evil:1", TRUE);
    parent3 = g_environ_setenv(parent3, "PULSE_COOKIE", "/tmp/stolen", TRUE);
    g_auto(GStrv) env3 = vmc_viewer_env(parent3, &host_places, NULL);
    g_assert_null(g_environ_getenv(env3, "PULSE_SERVER"));
    g_assert_null(g_environ_getenv(env3, "PULSE_COOKIE"));
    g_autoptr(GPtrArray) extra = g_ptr_array_new();
    g_ptr_array_add(extra, (char *)"PULSE_SERVER=unix:/run/vmconsole/pulse.sock");
    g_ptr_array_add(extra, (char *)"PULSE_COOKIE=/run/vmconsole/pulse-cookie");
    g_auto(GStrv) env4 = vmc_viewer_env(parent3, &host_places, extra);
    g_strfreev(parent3);
    g_assert_cmpstr(g_environ_getenv(env4, "PULSE_SERVER"), ==, "unix:/run/vmconsole/pulse.sock");
    g_assert_cmpstr(g_environ_getenv(env4, "PULSE_COOKIE"), ==, "/run/vmconsole/pulse-cookie");
}

/* sshd's X11 forward: where the gateway's X11 relay connects. */
static void
test_x11_target(void)
{
    struct sockaddr_storage address;
    socklen_t length = 0;
    g_autoptr(GError) error = NULL;

    g_assert_true(vmc_viewer_x11_target("localhost:10.0", &address, &length, &error));
    g_assert_no_error(error);
    g_assert_cmpint(address.ss_family, ==, AF_INET);
    const struct sockaddr_in *in = (const struct sockaddr_in *)&address;
    g_assert_cmpuint(ntohs(in->sin_port), ==, 6010);
    g_assert_cmpuint(ntohl(in->sin_addr.s_addr), ==, INADDR_LOOPBACK);

    g_assert_true(vmc_viewer_x11_target("127.0.0.1:12", &address, &length, &error));
    g_assert_cmpuint(ntohs(((const struct sockaddr_in *)&address)->sin_port), ==, 6012);

    g_assert_true(vmc_viewer_x11_target(":3", &address, &length, &error));
    g_assert_cmpint(address.ss_family, ==, AF_UNIX);
    g_assert_cmpstr(((const struct sockaddr_un *)&address)->sun_path, ==, "/tmp/.X11-unix/X3");
    g_assert_true(vmc_viewer_x11_target("unix:4.0", &address, &length, &error));
    g_assert_cmpstr(((const struct sockaddr_un *)&address)->sun_path, ==, "/tmp/.X11-unix/X4");

    /* not a display, a port beyond TCP's, a name that does not resolve */
    const char *bad[] = {"localhost", "", "localhost:99999", "no-such-host.invalid:10", NULL};
    for (guint i = 0; bad[i] != NULL; i++) {
        g_clear_error(&error);
        g_assert_false(vmc_viewer_x11_target(bad[i], &address, &length, &error));
        int code = i < 2 ? G_IO_ERROR_INVALID_ARGUMENT : G_IO_ERROR_NOT_FOUND;
        g_assert_error(error, G_IO_ERROR, code);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/viewer/display", test_display);
    g_test_add_func("/viewer/argv", test_argv);
    g_test_add_func("/viewer/env", test_env);
    g_test_add_func("/viewer/x11-target", test_x11_target);
    return g_test_run();
}
