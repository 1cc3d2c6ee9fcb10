/* test-launcher-args.c — vmconsole's command line: what it accepts, what it
 * refuses and why (a host that ssh would read as an option, a VM name the
 * gateway would refuse, bounds on every length and count). */
#include <glib.h>
#include <string.h>

#include "vmc-assert.h"
#include "vmc-common.h"
#include "vmc-launcher.h"

#define MAX_WORDS 0 /* no limit */

/* Parse a space-separated command line ("vmconsole" is added as argv[0]). */
static gboolean
parse(const char *line, VmcLauncherArgs *args, GError **error)
{
    g_autofree char *full = g_strconcat("vmconsole", *line != '\0' ? " " : "", line, NULL);
    g_auto(GStrv) argv = g_strsplit(full, " ", MAX_WORDS);
    return vmc_launcher_parse_args((int)g_strv_length(argv), argv, args, error);
}

static void
test_open(void)
{
    g_autoptr(GError) error = NULL;
    VmcLauncherArgs args;
    g_assert_true(parse("kvmhost debianx", &args, &error));
    g_assert_no_error(error);
    g_assert_cmpint(args.action, ==, VMC_LAUNCHER_ACTION_OPEN);
    g_assert_cmpstr(args.destination, ==, "kvmhost");
    g_assert_cmpstr(args.vm, ==, "debianx");
    g_assert_false(args.compress || args.no_audio || args.takeover || args.verbose);
    g_assert_false(args.trusted_x11); /* untrusted X11 unless asked for */
    g_assert_null(args.identity_file);
    g_assert_cmpuint(args.ssh_port, ==, 0);
    g_assert_cmpuint(args.remote_port, ==, 0);
    g_assert_nonnull(args.ssh_options);
    g_assert_null(args.ssh_options[0]);
    vmc_launcher_args_clear(&args);
}

static void
test_options(void)
{
    g_autoptr(GError) error = NULL;
    VmcLauncherArgs args;
    /* options before, between and after the positionals */
    g_assert_true(parse("-C -i /home/a/.ssh/id_ed25519 alice@kvmhost -p 2222 -o ProxyJump=gw "
                        "debianx -o ServerAliveInterval=10 --takeover -v --remote-port 47113",
                        &args, &error));
    g_assert_no_error(error);
    g_assert_cmpstr(args.destination, ==, "alice@kvmhost");
    g_assert_cmpstr(args.vm, ==, "debianx");
    g_assert_true(args.compress && args.takeover && args.verbose && !args.no_audio);
    g_assert_cmpstr(args.identity_file, ==, "/home/a/.ssh/id_ed25519");
    g_assert_cmpuint(args.ssh_port, ==, 2222);
    g_assert_cmpuint(args.remote_port, ==, 47113);
    const char *want[] = {"ProxyJump=gw", "ServerAliveInterval=10", NULL};
    g_assert_cmpstrv(args.ssh_options, want);
    vmc_launcher_args_clear(&args);

    g_assert_true(parse("kvmhost --trusted-x11 debianx", &args, NULL));
    g_assert_true(args.trusted_x11);
    vmc_launcher_args_clear(&args);

    g_assert_cmpint(args.mode, ==, VMC_LAUNCHER_MODE_AUTO);
    vmc_launcher_args_clear(&args);
    g_assert_true(
        parse("--native -C -i k -p 22 --microphone --takeover kvmhost debianx", &args, NULL));
    g_assert_cmpint(args.mode, ==, VMC_LAUNCHER_MODE_NATIVE);
    vmc_launcher_args_clear(&args);
    g_assert_true(parse("kvmhost debianx --x11", &args, NULL));
    g_assert_cmpint(args.mode, ==, VMC_LAUNCHER_MODE_X11);
    vmc_launcher_args_clear(&args);

    g_assert_true(parse("kvmhost --no-audio debianx", &args, NULL));
    g_assert_true(args.no_audio);
    vmc_launcher_args_clear(&args);
    g_assert_true(parse("kvmhost --list", &args, NULL));
    g_assert_cmpint(args.action, ==, VMC_LAUNCHER_ACTION_LIST);
    g_assert_null(args.vm);
    vmc_launcher_args_clear(&args);
    g_assert_true(parse("-l kvmhost", &args, NULL));
    g_assert_cmpint(args.action, ==, VMC_LAUNCHER_ACTION_LIST);
    vmc_launcher_args_clear(&args);
    /* after "--" a word is a positional even if it looks like an option */
    g_assert_true(parse("kvmhost -- debianx", &args, NULL));
    g_assert_cmpstr(args.vm, ==, "debianx");
    vmc_launcher_args_clear(&args);
}

static void
test_help_version(void)
{
    VmcLauncherArgs args;
    const struct {
        const char *line;
        VmcLauncherAction action;
    } cases[] = {
        {"--help", VMC_LAUNCHER_ACTION_HELP},
        {"-h", VMC_LAUNCHER_ACTION_HELP},
        {"--version", VMC_LAUNCHER_ACTION_VERSION},
        {"-V", VMC_LAUNCHER_ACTION_VERSION},
        {"kvmhost debianx --help", VMC_LAUNCHER_ACTION_HELP},
        {"--help --version", VMC_LAUNCHER_ACTION_HELP},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_assert_true(parse(cases[i].line, &args, NULL));
        g_assert_cmpint(args.action, ==, cases[i].action);
        vmc_launcher_args_clear(&args);
    }
}

/* Each bad command line is refused with a message containing the fragment. */
static void
test_refused(void)
{
    g_autofree char *long_host = g_strnfill(VMC_LAUNCHER_DESTINATION_MAX + 1, 'h');
    g_autofree char *max_host = g_strnfill(VMC_LAUNCHER_DESTINATION_MAX, 'h');
    g_autofree char *long_vm = g_strnfill(VMC_LAUNCHER_VM_MAX + 1, 'v');
    g_autofree char *long_option = g_strnfill(VMC_LAUNCHER_SSH_OPTION_MAX + 1, 'o');
    g_autofree char *cases_long_host = g_strdup_printf("%s debianx", long_host);
    g_autofree char *cases_long_vm = g_strdup_printf("kvmhost %s", long_vm);
    g_autofree char *cases_long_option = g_strdup_printf("-o %s kvmhost debianx", long_option);
    GString *many = g_string_new(NULL);
    for (int i = 0; i <= VMC_LAUNCHER_SSH_OPTIONS_MAX; i++)
        g_string_append(many, "-o A=b ");
    g_string_append(many, "kvmhost debianx");
    const struct {
        const char *line;
        const char *fragment;
    } cases[] = {
        {"", "which host"},
        {"kvmhost", "which VM"},
        {"kvmhost debianx extra", "unexpected 'extra'"},
        {"kvmhost debianx --list", "unexpected 'debianx' (--list takes only the host)"},
        {"-- -oProxyCommand=sh debianx", "does not start with '-'"},
        {cases_long_host, "1 to 255 printable"},
        {"kvmhost ../etc", "is not a VM name"},
        {"kvmhost -- -debianx", "is not a VM name"},
        {"kvmhost .hidden", "is not a VM name"},
        {cases_long_vm, "is not a VM name"},
        {"kvmhost debian;x", "is not a VM name"},
        {"--frobnicate kvmhost debianx", "Unknown option --frobnicate"},
        {"-p 0 kvmhost debianx", "-p 0: a port is 1 to 65535"},
        {"-p 65536 kvmhost debianx", "-p 65536"},
        {"-p ssh kvmhost debianx", "-p"},
        {"--remote-port 0 kvmhost debianx", "--remote-port 0"},
        {"--remote-port 70000 kvmhost debianx", "--remote-port 70000"},
        {"--no-audio --remote-port 4713 kvmhost debianx", "not with --no-audio"},
        {"--list --takeover kvmhost", "--list cannot be combined"},
        {"--list --trusted-x11 kvmhost", "--list cannot be combined"},
        {"--native --x11 kvmhost debianx", "--native and --x11 exclude each other"},
        {"--native --list kvmhost", "--list cannot be combined with --native"},
        {"--native --trusted-x11 kvmhost debianx", "--trusted-x11 is for --x11"},
        {"--native --remote-port 4713 kvmhost debianx", "--remote-port is for --x11"},
        {"--native -o ProxyJump=gw kvmhost debianx", "native mode reads ~/.ssh/config"},
        {cases_long_option, "an ssh option is 1 to 1024"},
        {many->str, "too many -o options"},
        {"-i  kvmhost debianx", "-i: the key file's name is empty"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        VmcLauncherArgs args = {.action = 99};
        if (parse(cases[i].line, &args, &error))
            g_error("accepted: '%.60s'", cases[i].line);
        g_assert_error(error, VMC_LAUNCHER_ERROR, VMC_LAUNCHER_ERROR_USAGE);
        if (strstr(error->message, cases[i].fragment) == NULL)
            g_error("'%.60s': message '%s' lacks '%s'", cases[i].line, error->message,
                    cases[i].fragment);
        g_assert_cmpint(args.action, ==, 99); /* untouched */
        g_assert_null(args.destination);
    }
    g_string_free(many, TRUE);

    /* at the bounds: accepted */
    g_autofree char *max_vm = g_strnfill(VMC_LAUNCHER_VM_MAX, 'v');
    g_autofree char *at_bounds = g_strdup_printf("%s %s", max_host, max_vm);
    VmcLauncherArgs args;
    g_assert_true(parse(at_bounds, &args, NULL));
    vmc_launcher_args_clear(&args);
}

/* A bad VM name and GOption's own words are quoted once: a backslash as
 * typed, GLib's UTF-8 quotes readable, a control byte escaped. */
static void
test_refused_quoted_once(void)
{
    const char *const bad_vm[] = {"vmconsole", "kvmhost", "de$b\\ian\x01", NULL};
    g_autoptr(GError) error = NULL;
    VmcLauncherArgs args;
    g_assert_false(vmc_launcher_parse_args(3, (char **)bad_vm, &args, &error));
    vmc_assert_contains(error->message, "'de$b\\ian\\x01' is not a VM name");
    g_autofree char *printed = vmc_strdup_printf_escaped("%s", error->message);
    g_assert_cmpstr(printed, ==, error->message);

    const char *const bad_port[] = {"vmconsole", "-p", "x\xc3\xa9", "kvmhost", "debianx", NULL};
    g_clear_error(&error);
    g_assert_false(vmc_launcher_parse_args(5, (char **)bad_port, &args, &error));
    vmc_assert_lacks(error->message, "\\xe2");
    vmc_assert_lacks(error->message, "\\xc3");
}

static void
test_refused_control_chars(void)
{
    /* words with a newline, an escape, a space: built by hand (parse() splits on spaces) */
    const char *const bad[][4] = {
        {"vmconsole", "kvm\nhost", "debianx", NULL},
        {"vmconsole", "kvm host", "debianx", NULL},
        {"vmconsole", "kvmhost", "debian\x1b[2Jx", NULL},
        {"vmconsole", "-oUser=x\n", "kvmhost", NULL},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        VmcLauncherArgs args;
        g_assert_false(vmc_launcher_parse_args(3, (char **)bad[i], &args, &error));
        g_assert_error(error, VMC_LAUNCHER_ERROR, VMC_LAUNCHER_ERROR_USAGE);
        /* the message quotes the input escaped: no control characters */
        for (const char *p = error->message; *p != '\0'; p++)
            if ((guchar)*p < 0x20)
                g_error("case %" G_GSIZE_FORMAT ": '%s'", i, error->message);
    }
}

static void
test_vm_names(void)
{
    g_assert_true(vmc_launcher_vm_name_is_valid("debianx"));
    g_assert_true(vmc_launcher_vm_name_is_valid("a"));
    g_assert_true(vmc_launcher_vm_name_is_valid("9-x_y.z"));
    g_assert_false(vmc_launcher_vm_name_is_valid(NULL));
    g_assert_false(vmc_launcher_vm_name_is_valid(""));
    g_assert_false(vmc_launcher_vm_name_is_valid("-x"));
    g_assert_false(vmc_launcher_vm_name_is_valid("_x"));
    g_assert_false(vmc_launcher_vm_name_is_valid("a/b"));
    g_assert_false(vmc_launcher_vm_name_is_valid("a b"));
    g_assert_false(vmc_launcher_vm_name_is_valid("list "));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/launcher-args/open", test_open);
    g_test_add_func("/launcher-args/options", test_options);
    g_test_add_func("/launcher-args/help-version", test_help_version);
    g_test_add_func("/launcher-args/refused", test_refused);
    g_test_add_func("/launcher-args/refused-control-chars", test_refused_control_chars);
    g_test_add_func("/launcher-args/refused-quoted-once", test_refused_quoted_once);
    g_test_add_func("/launcher-args/vm-names", test_vm_names);
    return g_test_run();
}
