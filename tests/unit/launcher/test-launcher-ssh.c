/* test-launcher-ssh.c — the ssh command vmconsole runs: argv for each mode,
 * the gateway request, what goes on ssh's stdin, the environment whitelist,
 * exit hints. */
#include <glib.h>
#include <string.h>

#include "vmc-launcher.h"
#include "vmc-assert.h"

#define HEX "00112233"

static VmcLauncherArgs
open_args(void)
{
    static char *no_options[] = {NULL};
    VmcLauncherArgs args = {
        .action = VMC_LAUNCHER_ACTION_OPEN,
        .destination = (char *)"alice@kvmhost",
        .vm = (char *)"debianx",
        .ssh_options = no_options,
    };
    return args;
}

static void
test_request(void)
{
    VmcLauncherArgs args = open_args();
    const struct {
        gboolean takeover;
        guint16 remote_port;
        VmcLauncherSound sound;
        const char *want;
    } cases[] = {
        {FALSE, 0, VMC_LAUNCHER_SOUND_NONE, "debianx"},
        {TRUE, 0, VMC_LAUNCHER_SOUND_NONE, "debianx --takeover"},
        {FALSE, 0, VMC_LAUNCHER_SOUND_COOKIE, "debianx --pulse=tcp:stdin --pulse-cookie=stdin"},
        {TRUE, 0, VMC_LAUNCHER_SOUND_COOKIE,
         "debianx --takeover --pulse=tcp:stdin --pulse-cookie=stdin"},
        {FALSE, 0, VMC_LAUNCHER_SOUND_OPEN, "debianx --pulse=tcp:stdin"},
        {FALSE, 47113, VMC_LAUNCHER_SOUND_COOKIE, "debianx --pulse=tcp:47113 --pulse-cookie=stdin"},
        {FALSE, 47113, VMC_LAUNCHER_SOUND_OPEN, "debianx --pulse=tcp:47113"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        args.takeover = cases[i].takeover;
        args.remote_port = cases[i].remote_port;
        g_autofree char *request = vmc_launcher_request(&args, cases[i].sound);
        g_assert_cmpstr(request, ==, cases[i].want);
    }
    args.action = VMC_LAUNCHER_ACTION_LIST;
    g_autofree char *list = vmc_launcher_request(&args, VMC_LAUNCHER_SOUND_NONE);
    g_assert_cmpstr(list, ==, "list");
}

static void
test_argv_dynamic(void)
{
    VmcLauncherArgs args = open_args();
    g_auto(GStrv) argv =
        vmc_launcher_ssh_argv("/usr/bin/ssh", &args, VMC_LAUNCHER_SOUND_COOKIE, 40001);
    const char *want[] = {"/usr/bin/ssh",
                          "-X",
                          "-o",
                          "ForwardX11Trusted=no",
                          "-o",
                          "ExitOnForwardFailure=yes",
                          "-o",
                          "LogLevel=INFO",
                          "-o",
                          "ControlPath=none",
                          "-R",
                          "0:127.0.0.1:40001",
                          "--",
                          "alice@kvmhost",
                          "debianx --pulse=tcp:stdin --pulse-cookie=stdin",
                          NULL};
    g_assert_cmpstrv(argv, want);
    /* the cookie never on the command line */
    for (gsize i = 0; argv[i] != NULL; i++)
        vmc_assert_lacks(argv[i], HEX);
}

static void
test_argv_options(void)
{
    VmcLauncherArgs args = open_args();
    char *options[] = {(char *)"ProxyJump=gw", (char *)"LogLevel=QUIET", NULL};
    args.ssh_options = options;
    args.compress = args.verbose = args.takeover = TRUE;
    args.identity_file = (char *)"/k/id";
    args.ssh_port = 2222;
    args.remote_port = 47113;
    g_auto(GStrv) argv = vmc_launcher_ssh_argv("ssh", &args, VMC_LAUNCHER_SOUND_COOKIE, 40001);
    /* ours first (ssh keeps the first value): the person's LogLevel cannot hide
     * the "Allocated port" line, -v comes before our LogLevel so it still counts */
    const char *want[] = {"ssh",
                          "-v",
                          "-X",
                          "-o",
                          "ForwardX11Trusted=no",
                          "-o",
                          "ExitOnForwardFailure=yes",
                          "-o",
                          "LogLevel=INFO",
                          "-o",
                          "ControlPath=none",
                          "-C",
                          "-i",
                          "/k/id",
                          "-p",
                          "2222",
                          "-o",
                          "ProxyJump=gw",
                          "-o",
                          "LogLevel=QUIET",
                          "-R",
                          "47113:127.0.0.1:40001",
                          "--",
                          "alice@kvmhost",
                          "debianx --takeover --pulse=tcp:47113 --pulse-cookie=stdin",
                          NULL};
    g_assert_cmpstrv(argv, want);
}

static void
test_argv_no_sound_and_list(void)
{
    VmcLauncherArgs args = open_args();
    g_auto(GStrv) argv = vmc_launcher_ssh_argv("ssh", &args, VMC_LAUNCHER_SOUND_NONE, 40001);
    const char *want[] = {"ssh",     "-X",
                          "-o",      "ForwardX11Trusted=no",
                          "-o",      "ExitOnForwardFailure=yes",
                          "-o",      "LogLevel=INFO",
                          "-o",      "ControlPath=none",
                          "--",      "alice@kvmhost",
                          "debianx", NULL};
    g_assert_cmpstrv(argv, want);

    args.action = VMC_LAUNCHER_ACTION_LIST;
    args.vm = NULL;
    args.compress = TRUE;
    g_auto(GStrv) list = vmc_launcher_ssh_argv("ssh", &args, VMC_LAUNCHER_SOUND_COOKIE, 40001);
    const char *want_list[] = {"ssh", "-x", "-C", "--", "alice@kvmhost", "list", NULL};
    g_assert_cmpstrv(list, want_list);
}

/* Untrusted by default, whatever the person's -o says (ours comes first and
 * ssh keeps the first value); trusted only with --trusted-x11. */
static void
test_argv_x11_trust(void)
{
    VmcLauncherArgs args = open_args();
    char *options[] = {(char *)"ForwardX11Trusted=yes", NULL};
    args.ssh_options = options;
    g_auto(GStrv) untrusted = vmc_launcher_ssh_argv("ssh", &args, VMC_LAUNCHER_SOUND_NONE, 0);
    const char *want[] = {"ssh",     "-X",
                          "-o",      "ForwardX11Trusted=no",
                          "-o",      "ExitOnForwardFailure=yes",
                          "-o",      "LogLevel=INFO",
                          "-o",      "ControlPath=none",
                          "-o",      "ForwardX11Trusted=yes",
                          "--",      "alice@kvmhost",
                          "debianx", NULL};
    g_assert_cmpstrv(untrusted, want);
    args.trusted_x11 = TRUE;
    args.ssh_options = (char *[]){NULL};
    g_auto(GStrv) trusted = vmc_launcher_ssh_argv("ssh", &args, VMC_LAUNCHER_SOUND_NONE, 0);
    g_assert_cmpstr(trusted[1], ==, "-X");
    g_assert_cmpstr(trusted[2], ==, "-o");
    g_assert_cmpstr(trusted[3], ==, "ForwardX11Trusted=yes");
    for (gsize i = 0; trusted[i] != NULL; i++)
        g_assert_cmpstr(trusted[i], !=, "-Y");
}

static void
test_stdin(void)
{
    VmcLauncherArgs args = open_args();
    g_assert_true(vmc_launcher_wants_allocated_port(&args, VMC_LAUNCHER_SOUND_COOKIE));
    g_assert_true(vmc_launcher_wants_allocated_port(&args, VMC_LAUNCHER_SOUND_OPEN));
    g_assert_false(vmc_launcher_wants_allocated_port(&args, VMC_LAUNCHER_SOUND_NONE));

    g_autofree char *both = vmc_launcher_stdin_text(&args, VMC_LAUNCHER_SOUND_COOKIE, 41234, HEX);
    g_assert_cmpstr(both, ==, "41234\n" HEX "\n");
    g_autofree char *port = vmc_launcher_stdin_text(&args, VMC_LAUNCHER_SOUND_OPEN, 41234, HEX);
    g_assert_cmpstr(port, ==, "41234\n");
    g_assert_null(vmc_launcher_stdin_text(&args, VMC_LAUNCHER_SOUND_NONE, 41234, HEX));
    g_assert_false(vmc_launcher_wants_stdin(&args, VMC_LAUNCHER_SOUND_NONE));

    args.remote_port = 47113; /* fixed: the gateway knows the port from the request */
    g_assert_false(vmc_launcher_wants_allocated_port(&args, VMC_LAUNCHER_SOUND_COOKIE));
    g_autofree char *cookie = vmc_launcher_stdin_text(&args, VMC_LAUNCHER_SOUND_COOKIE, 0, HEX);
    g_assert_cmpstr(cookie, ==, HEX "\n");
    g_assert_null(vmc_launcher_stdin_text(&args, VMC_LAUNCHER_SOUND_OPEN, 0, HEX));
    g_assert_false(vmc_launcher_wants_stdin(&args, VMC_LAUNCHER_SOUND_OPEN));
    g_assert_true(vmc_launcher_wants_stdin(&args, VMC_LAUNCHER_SOUND_COOKIE));

    args.action = VMC_LAUNCHER_ACTION_LIST;
    g_assert_null(vmc_launcher_stdin_text(&args, VMC_LAUNCHER_SOUND_COOKIE, 41234, HEX));
}

static void
test_env(void)
{
    const char *parent[] = {
        "HOME=/home/alice",
        "PULSE_SERVER=tcp:evil:4713",
        "DISPLAY=:0",
        "LD_PRELOAD=/tmp/e.so",
        "SSH_AUTH_SOCK=/run/user/1000/ssh",
        "LC_ALL=de_DE.UTF-8",
        "LC_=x",
        "LC_lower=x",
        "LANG=C.UTF-8",
        "PATH=/usr/bin:/bin",
        "HOMEX=/x",
        "XAUTHORITY=/home/alice/.Xauthority",
        "SSH_ASKPASS_REQUIRE=prefer",
        "GTK_MODULES=evil",
        "=x",
        "NOEQUALS",
        "PULSE_COOKIE=/c",
        NULL,
    };
    g_auto(GStrv) env = vmc_launcher_ssh_env(parent);
    const char *want[] = {"HOME=/home/alice",
                          "DISPLAY=:0",
                          "SSH_AUTH_SOCK=/run/user/1000/ssh",
                          "LC_ALL=de_DE.UTF-8",
                          "LANG=C.UTF-8",
                          "PATH=/usr/bin:/bin",
                          "XAUTHORITY=/home/alice/.Xauthority",
                          "SSH_ASKPASS_REQUIRE=prefer",
                          NULL};
    g_assert_cmpstrv(env, want);
    g_auto(GStrv) empty = vmc_launcher_ssh_env(NULL);
    g_assert_cmpuint(g_strv_length(empty), ==, 0);
}

static void
test_exit_hints(void)
{
    vmc_assert_contains(vmc_launcher_exit_hint(255, VMC_LAUNCHER_SOUND_COOKIE, TRUE),
                        "permitlisten=\"localhost:*\"");
    vmc_assert_contains(vmc_launcher_exit_hint(255, VMC_LAUNCHER_SOUND_COOKIE, FALSE),
                        "--remote-port");
    vmc_assert_lacks(vmc_launcher_exit_hint(255, VMC_LAUNCHER_SOUND_NONE, FALSE), "forwarding");
    vmc_assert_contains(vmc_launcher_exit_hint(5, VMC_LAUNCHER_SOUND_NONE, FALSE), "--takeover");
    g_assert_nonnull(vmc_launcher_exit_hint(7, VMC_LAUNCHER_SOUND_NONE, FALSE));
    g_assert_null(vmc_launcher_exit_hint(0, VMC_LAUNCHER_SOUND_NONE, FALSE));
    g_assert_null(vmc_launcher_exit_hint(3, VMC_LAUNCHER_SOUND_COOKIE, TRUE)); /* said enough */
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/launcher-ssh/request", test_request);
    g_test_add_func("/launcher-ssh/argv-dynamic", test_argv_dynamic);
    g_test_add_func("/launcher-ssh/argv-options", test_argv_options);
    g_test_add_func("/launcher-ssh/argv-x11-trust", test_argv_x11_trust);
    g_test_add_func("/launcher-ssh/argv-no-sound-and-list", test_argv_no_sound_and_list);
    g_test_add_func("/launcher-ssh/stdin", test_stdin);
    g_test_add_func("/launcher-ssh/env", test_env);
    g_test_add_func("/launcher-ssh/exit-hints", test_exit_hints);
    return g_test_run();
}
