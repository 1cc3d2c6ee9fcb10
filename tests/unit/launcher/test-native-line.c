/* test-native-line.c — native mode's pure parts: the gateway's greeting
 * (strict, bounded, the title unescaped only when that gives clean UTF-8),
 * the requests, the viewer's argv and environment, the mode chosen, the
 * Spice channel type of a viewer's connection. */
#include <glib.h>
#include <string.h>

#include "native-priv.h"

#define TOKEN "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HEAD "vmconsole-native 1 token=" TOKEN " title="

static gboolean
parse(const char *line, VmcNativeGreeting *greeting)
{
    return vmc_native_parse_greeting(line, strlen(line), "vm1", greeting);
}

static void
test_greeting_good(void)
{
    VmcNativeGreeting g;
    g_assert_true(parse(HEAD "Customer A desktop", &g));
    g_assert_cmpstr(g.token, ==, TOKEN);
    g_assert_cmpstr(g.title, ==, "Customer A desktop");
    vmc_native_greeting_clear(&g);
    g_assert_null(g.title);
    g_assert_cmpstr(g.token, ==, "");

    g_assert_true(parse(HEAD, &g)); /* empty title: the VM's name */
    g_assert_cmpstr(g.title, ==, "vm1");
    vmc_native_greeting_clear(&g);

    g_assert_true(parse(HEAD "caf\\xc3\\xa9 \\\\ 1", &g)); /* UTF-8 and a backslash */
    g_assert_cmpstr(g.title, ==, "caf\xc3\xa9 \\ 1");
    vmc_native_greeting_clear(&g);

    g_assert_true(parse(HEAD "-x --kiosk", &g)); /* an option-like title is just text */
    g_assert_cmpstr(g.title, ==, "-x --kiosk");
    vmc_native_greeting_clear(&g);
}

static void
test_greeting_title_kept_escaped(void)
{
    /* escapes that would give a control character or invalid UTF-8 stay as sent */
    static const char *const kept[] = {
        "a\\nb",  "bell\\x07", "esc\\e[31m",          "bad\\xff", "half\\xc3", "lone\\",
        "odd\\q", "\\x9b",     "bidi\\xe2\\x80\\xae", /* U+202E, a bidirectional override */
    };
    for (gsize i = 0; i < G_N_ELEMENTS(kept); i++) {
        g_autofree char *line = g_strconcat(HEAD, kept[i], NULL);
        VmcNativeGreeting g;
        g_assert_true(parse(line, &g));
        g_assert_cmpstr(g.title, ==, kept[i]);
        vmc_native_greeting_clear(&g);
    }
}

static void
test_greeting_bad(void)
{
    static const char *const bad[] = {
        "",
        "vmconsole-native 1 token=" TOKEN,             /* no title= */
        "vmconsole-native 2 token=" TOKEN " title=x",  /* version */
        "vmconsole-native 1 token=" TOKEN "0 title=x", /* 65 digits */
        "vmconsole-native 1 token=0123 title=x",       /* short */
        "vmconsole-native 1 token="
        "0123456789ABCDEF0123456789abcdef" /* upper case */
        "0123456789abcdef0123456789abcdef title=x",
        "vmconsole-native 1 token="
        "g123456789abcdef0123456789abcdef" /* not hex */
        "0123456789abcdef0123456789abcdef title=x",
        " vmconsole-native 1 token=" TOKEN " title=x", /* leading space */
        "vmconsole-native  1 token=" TOKEN " title=x",
        "vmconsole-native 1 token=" TOKEN "  title=x",
        HEAD "tab\there", /* control */
        HEAD "cr\r",
        HEAD "\xc3\xa9", /* raw UTF-8: not escaped */
        "Welcome to the host!",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        VmcNativeGreeting g = {.title = (char *)"untouched"};
        g_assert_false(parse(bad[i], &g));
        g_assert_cmpstr(g.title, ==, "untouched");
    }
    /* a NUL inside the given length */
    VmcNativeGreeting g = {0};
    g_assert_false(vmc_native_parse_greeting(HEAD "a\0b", strlen(HEAD) + 3, "vm1", &g));
}

static void
test_greeting_bounds(void)
{
    VmcNativeGreeting g;
    g_autofree char *max = g_strnfill(VMC_NATIVE_TITLE_MAX, 't');
    g_autofree char *line = g_strconcat(HEAD, max, NULL);
    g_assert_true(parse(line, &g));
    g_assert_cmpuint(strlen(g.title), ==, VMC_NATIVE_TITLE_MAX);
    vmc_native_greeting_clear(&g);
    g_autofree char *over = g_strconcat(line, "t", NULL);
    g_assert_false(parse(over, &g));
    g_autofree char *huge = g_strnfill(VMC_NATIVE_LINE_MAX + 1, 'x');
    g_assert_false(parse(huge, &g));
}

static void
test_requests(void)
{
    VmcLauncherArgs args = {.action = VMC_LAUNCHER_ACTION_OPEN, .vm = (char *)"debianx"};
    g_autofree char *plain = vmc_native_request(&args);
    g_assert_cmpstr(plain, ==, "debianx --native");
    args.takeover = args.microphone = TRUE;
    g_autofree char *all = vmc_native_request(&args);
    g_assert_cmpstr(all, ==, "debianx --native --takeover --microphone");
    g_autofree char *attach = vmc_native_attach_request(TOKEN);
    g_assert_cmpstr(attach, ==, "attach " TOKEN);
}

static void
test_viewer_argv(void)
{
    g_auto(GStrv) argv = vmc_native_viewer_argv("/usr/bin/remote-viewer", "--kiosk",
                                                "/run/user/1/d/spice.sock", FALSE);
    const char *want[] = {"/usr/bin/remote-viewer", "--title=--kiosk",
                          "spice+unix:///run/user/1/d/spice.sock", NULL};
    g_assert_cmpstrv(argv, want);
    g_auto(GStrv) quiet = vmc_native_viewer_argv("rv", "T", "/s", TRUE);
    const char *want_quiet[] = {"rv", "--title=T", "--spice-disable-audio", "spice+unix:///s",
                                NULL};
    g_assert_cmpstrv(quiet, want_quiet);
}

static void
test_viewer_env(void)
{
    const char *parent[] = {"DISPLAY=:1",
                            "LD_PRELOAD=/evil.so",
                            "HOME=/home/a",
                            "PULSE_SERVER=unix:/x",
                            "PULSE_=odd",
                            "PULSE_lower=x",
                            "SSH_AUTH_SOCK=/agent",
                            "LC_ALL=C.UTF-8",
                            "WAYLAND_DISPLAY=wayland-0",
                            "GDK_BACKEND=wayland",
                            "XAUTHORITY=/home/a/.Xauthority",
                            "G_DEBUG=fatal-warnings",
                            "PATH=/usr/bin",
                            "XDG_RUNTIME_DIR=/run/user/1",
                            "LANG=de_DE.UTF-8",
                            "DISPLAYX=1",
                            NULL};
    g_auto(GStrv) env = vmc_native_viewer_env(parent);
    const char *want[] = {"DISPLAY=:1",
                          "HOME=/home/a",
                          "PULSE_SERVER=unix:/x",
                          "LC_ALL=C.UTF-8",
                          "WAYLAND_DISPLAY=wayland-0",
                          "GDK_BACKEND=wayland",
                          "XAUTHORITY=/home/a/.Xauthority",
                          "PATH=/usr/bin",
                          "XDG_RUNTIME_DIR=/run/user/1",
                          "LANG=de_DE.UTF-8",
                          NULL};
    g_assert_cmpstrv(env, want);
}

static void
test_mode(void)
{
    VmcLauncherArgs args = {.action = VMC_LAUNCHER_ACTION_OPEN};
    char *none[] = {NULL};
    char *one[] = {(char *)"ProxyJump=gw", NULL};
    args.ssh_options = none;
    g_assert_cmpint(vmc_launcher_choose_mode(&args, TRUE), ==, VMC_LAUNCHER_MODE_NATIVE);
    g_assert_cmpint(vmc_launcher_choose_mode(&args, FALSE), ==, VMC_LAUNCHER_MODE_X11);
    args.ssh_options = one; /* an ssh -o: the person means OpenSSH's ssh */
    g_assert_cmpint(vmc_launcher_choose_mode(&args, TRUE), ==, VMC_LAUNCHER_MODE_X11);
    args.ssh_options = none;
    args.trusted_x11 = TRUE;
    g_assert_cmpint(vmc_launcher_choose_mode(&args, TRUE), ==, VMC_LAUNCHER_MODE_X11);
    args.trusted_x11 = FALSE;
    args.remote_port = 47113;
    g_assert_cmpint(vmc_launcher_choose_mode(&args, TRUE), ==, VMC_LAUNCHER_MODE_X11);
    args.mode = VMC_LAUNCHER_MODE_NATIVE; /* asked for: as asked (the args check the rest) */
    g_assert_cmpint(vmc_launcher_choose_mode(&args, FALSE), ==, VMC_LAUNCHER_MODE_NATIVE);
    args.mode = VMC_LAUNCHER_MODE_X11;
    g_assert_cmpint(vmc_launcher_choose_mode(&args, TRUE), ==, VMC_LAUNCHER_MODE_X11);
}

static void
test_link_type(void)
{
    guint8 link[24] = {'R', 'E', 'D', 'Q', 2, 0, 0, 0};
    link[20] = VMC_NATIVE_SPICE_DISPLAY;
    g_assert_cmpint(vmc_native_link_channel_type(link, sizeof link), ==, 2);
    g_assert_cmpint(vmc_native_link_channel_type(link, 21), ==, 2);
    g_assert_cmpint(vmc_native_link_channel_type(link, 20), ==, -1); /* not yet */
    g_assert_cmpint(vmc_native_link_channel_type(NULL, 0), ==, -1);
    link[0] = 'X';
    g_assert_cmpint(vmc_native_link_channel_type(link, sizeof link), ==, -1);
    link[0] = 'R';
    link[20] = 0;
    g_assert_cmpint(vmc_native_link_channel_type(link, sizeof link), ==, -1);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/native/greeting/good", test_greeting_good);
    g_test_add_func("/native/greeting/title-kept-escaped", test_greeting_title_kept_escaped);
    g_test_add_func("/native/greeting/bad", test_greeting_bad);
    g_test_add_func("/native/greeting/bounds", test_greeting_bounds);
    g_test_add_func("/native/requests", test_requests);
    g_test_add_func("/native/viewer-argv", test_viewer_argv);
    g_test_add_func("/native/viewer-env", test_viewer_env);
    g_test_add_func("/native/mode", test_mode);
    g_test_add_func("/native/link-type", test_link_type);
    return g_test_run();
}
