/* launcher-args.c — the launcher's command line (pure).
 *
 *   vmconsole [options] [user@]host VM
 *   vmconsole [options] [user@]host --list
 *   vmconsole --help | --version
 *
 * Everything given here ends up in ssh's argv as separate words (never a
 * shell), but a destination starting with '-' would still be read by ssh as
 * an option, and the request must be one the gateway's grammar accepts: both
 * are checked here, with bounds on every length and count.
 */
#include "vmc-launcher.h"

#include <string.h>

#include "vmc-common.h"

/* the GError domain "vmc-launcher-error-quark" */
GQuark
vmc_launcher_error_quark(void)
{
    return g_quark_from_static_string("vmc-launcher-error-quark");
}

#define QUOTE_MAX 80        /* user text quoted in an error message */
#define PORT_UNSET G_MININT /* -p / --remote-port not given */

static gboolean usage_error(GError **error, const char *format, ...) G_GNUC_PRINTF(2, 3);

static gboolean
usage_error(GError **error, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    g_autofree char *message = g_strdup_vprintf(format, ap);
    va_end(ap);
    g_set_error_literal(error, VMC_LAUNCHER_ERROR, VMC_LAUNCHER_ERROR_USAGE, message);
    return FALSE;
}

gboolean
vmc_launcher_vm_name_is_valid(const char *vm)
{
    if (vm == NULL || !g_ascii_isalnum(vm[0]))
        return FALSE;
    gsize n = strlen(vm);
    if (n > VMC_LAUNCHER_VM_MAX)
        return FALSE;
    for (gsize i = 1; i < n; i++)
        if (!g_ascii_isalnum(vm[i]) && vm[i] != '.' && vm[i] != '_' && vm[i] != '-')
            return FALSE;
    return TRUE;
}

/* Printable ASCII without spaces, 1..max bytes. */
static gboolean
is_word(const char *s, gsize max)
{
    gsize n = strlen(s);
    if (n == 0 || n > max)
        return FALSE;
    for (gsize i = 0; i < n; i++)
        if (s[i] <= 0x20 || s[i] >= 0x7f)
            return FALSE;
    return TRUE;
}

static gboolean
check_destination(const char *destination, GError **error)
{
    g_autofree char *shown = vmc_text_for_message(destination, -1, QUOTE_MAX);
    if (destination[0] == '-')
        return usage_error(error, "'%s' is not a host: a host does not start with '-'", shown);
    if (!is_word(destination, VMC_LAUNCHER_DESTINATION_MAX))
        return usage_error(error,
                           "'%s' is not a host: [user@]host is 1 to %d printable "
                           "characters without spaces",
                           shown, VMC_LAUNCHER_DESTINATION_MAX);
    return TRUE;
}

static gboolean
check_ssh_options(char **options, const char *identity_file, GError **error)
{
    guint n = options != NULL ? g_strv_length(options) : 0;
    if (n > VMC_LAUNCHER_SSH_OPTIONS_MAX)
        return usage_error(error, "too many -o options (%u; at most %d)", n,
                           VMC_LAUNCHER_SSH_OPTIONS_MAX);
    for (guint i = 0; i < n; i++) {
        gsize length = strlen(options[i]);
        gboolean printable = TRUE;
        for (gsize j = 0; j < length; j++)
            if ((guchar)options[i][j] < 0x20 || options[i][j] == 0x7f)
                printable = FALSE;
        if (length == 0 || length > VMC_LAUNCHER_SSH_OPTION_MAX || !printable) {
            g_autofree char *shown = vmc_text_for_message(options[i], -1, QUOTE_MAX);
            return usage_error(error,
                               "-o '%s': an ssh option is 1 to %d characters without "
                               "control characters",
                               shown, VMC_LAUNCHER_SSH_OPTION_MAX);
        }
    }
    if (identity_file != NULL &&
        (identity_file[0] == '\0' || strlen(identity_file) > VMC_LAUNCHER_PATH_MAX))
        return usage_error(error, "-i: the key file's name is empty or longer than %d bytes",
                           VMC_LAUNCHER_PATH_MAX);
    return TRUE;
}

static gboolean
check_port(const char *what, gint value, guint16 *ret_port, GError **error)
{
    if (value < 1 || value > 65535)
        return usage_error(error, "%s %d: a port is 1 to 65535", what, value);
    *ret_port = (guint16)value;
    return TRUE;
}

typedef struct {
    gboolean compress, no_audio, takeover, verbose, list, help, version, trusted_x11, microphone;
    gboolean native, x11;
    char *identity_file;
    gint ssh_port, remote_port;
    char **ssh_options;
} RawArgs;

static void
raw_args_clear(RawArgs *raw)
{
    g_free(raw->identity_file);
    g_strfreev(raw->ssh_options);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(RawArgs, raw_args_clear)

static gboolean
parse_options(char ***words, RawArgs *raw, GError **error)
{
    GOptionEntry entries[] = {
        {"compress", 'C', 0, G_OPTION_ARG_NONE, &raw->compress, NULL, NULL},
        {"no-audio", 0, 0, G_OPTION_ARG_NONE, &raw->no_audio, NULL, NULL},
        {"takeover", 0, 0, G_OPTION_ARG_NONE, &raw->takeover, NULL, NULL},
        {"verbose", 'v', 0, G_OPTION_ARG_NONE, &raw->verbose, NULL, NULL},
        {"trusted-x11", 0, 0, G_OPTION_ARG_NONE, &raw->trusted_x11, NULL, NULL},
        {"microphone", 0, 0, G_OPTION_ARG_NONE, &raw->microphone, NULL, NULL},
        {"native", 0, 0, G_OPTION_ARG_NONE, &raw->native, NULL, NULL},
        {"x11", 0, 0, G_OPTION_ARG_NONE, &raw->x11, NULL, NULL},
        {"list", 'l', 0, G_OPTION_ARG_NONE, &raw->list, NULL, NULL},
        {"help", 'h', 0, G_OPTION_ARG_NONE, &raw->help, NULL, NULL},
        {"version", 'V', 0, G_OPTION_ARG_NONE, &raw->version, NULL, NULL},
        {"identity", 'i', 0, G_OPTION_ARG_FILENAME, &raw->identity_file, NULL, NULL},
        {"port", 'p', 0, G_OPTION_ARG_INT, &raw->ssh_port, NULL, NULL},
        {"option", 'o', 0, G_OPTION_ARG_STRING_ARRAY, &raw->ssh_options, NULL, NULL},
        {"remote-port", 0, 0, G_OPTION_ARG_INT, &raw->remote_port, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    g_autoptr(GOptionContext) context = g_option_context_new(NULL);
    g_option_context_set_help_enabled(context, FALSE);
    g_option_context_add_main_entries(context, entries, NULL);
    g_autoptr(GError) local = NULL;
    if (!g_option_context_parse_strv(context, words, &local)) {
        /* GOption quotes the word as given */
        g_autofree char *message = vmc_text_for_message(local->message, -1, 2 * QUOTE_MAX);
        return usage_error(error, "%s", message);
    }
    /* GOption keeps a "--" that precedes a word starting with '-' */
    for (char **w = *words + 1; *w != NULL; w++) {
        if (strcmp(*w, "--") == 0) {
            g_free(*w);
            memmove(w, w + 1, sizeof *w * g_strv_length(w + 1) + sizeof *w);
            break;
        }
    }
    return TRUE;
}

/* The words after the options: [user@]host and VM (or just host with --list). */
static gboolean
check_positionals(char **words, const RawArgs *raw, GError **error)
{
    guint n = g_strv_length(words); /* words[0] is the program */
    guint want = raw->list ? 2 : 3;
    if (n < 2)
        return usage_error(error, "which host? usage: vmconsole [options] [user@]host VM");
    if (n > want) {
        g_autofree char *shown = vmc_text_for_message(words[want], -1, QUOTE_MAX);
        return usage_error(error, "unexpected '%s'%s", shown,
                           raw->list ? " (--list takes only the host)" : "");
    }
    if (!check_destination(words[1], error))
        return FALSE;
    if (raw->list)
        return TRUE;
    if (n < 3)
        return usage_error(error, "which VM? usage: vmconsole [options] [user@]host VM "
                                  "(vmconsole HOST --list shows the VMs you may open)");
    if (!vmc_launcher_vm_name_is_valid(words[2])) {
        g_autofree char *shown = vmc_text_for_message(words[2], -1, QUOTE_MAX);
        return usage_error(error,
                           "'%s' is not a VM name: 1 to %d letters, digits, '.', '_' "
                           "or '-', starting with a letter or digit",
                           shown, VMC_LAUNCHER_VM_MAX);
    }
    return TRUE;
}

/* What only the X11 mode (OpenSSH's ssh) has: refused with --native. */
static gboolean
check_native(const RawArgs *raw, GError **error)
{
    if (raw->native && raw->x11)
        return usage_error(error, "--native and --x11 exclude each other");
    if (raw->native && raw->list)
        return usage_error(error, "--list cannot be combined with --native");
    if (!raw->native)
        return TRUE;
    if (raw->trusted_x11)
        return usage_error(error, "--trusted-x11 is for --x11: native mode has no X11 forward");
    if (raw->remote_port != PORT_UNSET)
        return usage_error(error, "--remote-port is for --x11: native mode needs no sound tunnel");
    if (raw->ssh_options != NULL && raw->ssh_options[0] != NULL)
        return usage_error(error, "-o is for --x11 (OpenSSH's ssh): native mode reads "
                                  "~/.ssh/config; put the option there");
    return TRUE;
}

static gboolean
check_combination(const RawArgs *raw, VmcLauncherArgs *out, GError **error)
{
    gboolean remote = raw->remote_port != PORT_UNSET;
    if (!check_native(raw, error))
        return FALSE;
    if (raw->list &&
        (raw->takeover || raw->no_audio || remote || raw->trusted_x11 || raw->microphone))
        return usage_error(error, "--list cannot be combined with --takeover, --no-audio, "
                                  "--remote-port, --trusted-x11 or --microphone");
    if (raw->no_audio && raw->microphone)
        return usage_error(error, "--microphone needs the sound tunnel: not with --no-audio");
    if (raw->no_audio && remote)
        return usage_error(error, "--remote-port names the sound tunnel's port: not with "
                                  "--no-audio");
    if (raw->ssh_port != PORT_UNSET && !check_port("-p", raw->ssh_port, &out->ssh_port, error))
        return FALSE;
    if (remote && !check_port("--remote-port", raw->remote_port, &out->remote_port, error))
        return FALSE;
    return check_ssh_options(raw->ssh_options, raw->identity_file, error);
}

gboolean
vmc_launcher_parse_args(int argc, char **argv, VmcLauncherArgs *ret_args, GError **error)
{
    g_return_val_if_fail(argc >= 1 && argv != NULL && ret_args != NULL, FALSE);
    g_auto(GStrv) words = g_new0(char *, argc + 1);
    for (int i = 0; i < argc; i++)
        words[i] = g_strdup(argv[i]);
    g_auto(RawArgs) raw = {0};
    raw.ssh_port = raw.remote_port = PORT_UNSET;
    if (!parse_options(&words, &raw, error))
        return FALSE;

    VmcLauncherArgs args = {0};
    if (raw.help || raw.version) {
        args.action = raw.help ? VMC_LAUNCHER_ACTION_HELP : VMC_LAUNCHER_ACTION_VERSION;
        args.ssh_options = g_new0(char *, 1);
        *ret_args = args;
        return TRUE;
    }
    if (!check_positionals(words, &raw, error) || !check_combination(&raw, &args, error))
        return FALSE;
    args.action = raw.list ? VMC_LAUNCHER_ACTION_LIST : VMC_LAUNCHER_ACTION_OPEN;
    args.mode = raw.native ? VMC_LAUNCHER_MODE_NATIVE
                : raw.x11  ? VMC_LAUNCHER_MODE_X11
                           : VMC_LAUNCHER_MODE_AUTO;
    args.destination = g_strdup(words[1]);
    args.vm = raw.list ? NULL : g_strdup(words[2]);
    args.compress = raw.compress;
    args.no_audio = raw.no_audio;
    args.takeover = raw.takeover;
    args.verbose = raw.verbose;
    args.trusted_x11 = raw.trusted_x11;
    args.microphone = raw.microphone;
    args.identity_file = g_steal_pointer(&raw.identity_file);
    args.ssh_options =
        raw.ssh_options != NULL ? g_steal_pointer(&raw.ssh_options) : g_new0(char *, 1);
    *ret_args = args;
    return TRUE;
}

VmcLauncherMode
vmc_launcher_choose_mode(const VmcLauncherArgs *args, gboolean viewer_installed)
{
    g_return_val_if_fail(args != NULL, VMC_LAUNCHER_MODE_X11);
    if (args->mode != VMC_LAUNCHER_MODE_AUTO)
        return args->mode;
    gboolean ssh_only = args->trusted_x11 || args->remote_port != 0 ||
                        (args->ssh_options != NULL && args->ssh_options[0] != NULL);
    return viewer_installed && !ssh_only ? VMC_LAUNCHER_MODE_NATIVE : VMC_LAUNCHER_MODE_X11;
}

void
vmc_launcher_args_clear(VmcLauncherArgs *args)
{
    if (args == NULL)
        return;
    g_clear_pointer(&args->destination, g_free);
    g_clear_pointer(&args->vm, g_free);
    g_clear_pointer(&args->identity_file, g_free);
    g_clear_pointer(&args->ssh_options, g_strfreev);
}
