/* main.c — vmconsole-admin: the admin's view of vmconsole.
 *
 *   vmconsole-admin [--config FILE] COMMAND [ARGS]
 *
 * Options may come before or after the command. argv and the config are the
 * admin's; names from NSS, sockets and the log are still escaped wherever
 * printed.
 */
#include "admin-priv.h"

#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vmc-build-config.h"
#include "vmc-sessionlog.h"

typedef struct {
    const char *name;
    VmcAdminExit (*run)(const VmcAdminArgs *args);
} AdminCommand;

/* The commands, in the order of the usage text. */
static const AdminCommand commands[] = {
    {"access", vmc_admin_cmd_access},     {"authorize", vmc_admin_cmd_authorize},
    {"acl", vmc_admin_cmd_acl},           {"check", vmc_admin_cmd_check},
    {"sessions", vmc_admin_cmd_sessions}, {"report", vmc_admin_cmd_report},
    {"show", vmc_admin_cmd_show},         {"plot", vmc_admin_cmd_plot},
};

static void
admin_args_clear(VmcAdminArgs *args)
{
    g_clear_pointer(&args->config_path, g_free);
    g_clear_pointer(&args->log_paths, g_strfreev);
    g_clear_pointer(&args->identities, g_strfreev);
    g_clear_pointer(&args->vms, g_strfreev);
    g_clear_pointer(&args->by, g_free);
    g_clear_pointer(&args->since, g_free);
    g_clear_pointer(&args->until, g_free);
    g_clear_pointer(&args->output, g_free);
    g_clear_pointer(&args->append, g_free);
    g_clear_pointer(&args->audio_port, g_free);
    g_clear_pointer(&args->from, g_free);
    g_clear_pointer(&args->expires, g_free);
    g_clear_pointer(&args->principal, g_free);
    g_clear_pointer(&args->sshd_config, g_free);
    g_clear_pointer(&args->gateway, g_free);
    g_clear_pointer(&args->words, g_strfreev);
}

static void
print_usage(FILE *out)
{
    vmc_print_escaped(
        out,
        "Usage: vmconsole-admin [--config FILE] COMMAND [ARGS]\n"
        "\n"
        "Commands:\n"
        "  access [VM...] [--identity NAME]... [--json]\n"
        "                 who may open which VM's console, and why: each VM socket's\n"
        "                 ACL evaluated for each person, as the gateway decides\n"
        "  authorize IDENTITY KEYFILE [--audio [--audio-port PORT]] [--from CIDR[,CIDR]]\n"
        "            [--expires DATE] [--append FILE]\n"
        "                 the locked-down authorized_keys line for a person's key\n"
        "  authorize IDENTITY --principal NAME [same options]\n"
        "                 the AuthorizedPrincipalsFile line: OpenSSH certificates\n"
        "                 naming principal NAME open consoles as IDENTITY\n"
        "  acl apply [VM...]\n"
        "                 put each VM's stored ACL policy (config acl =) and the\n"
        "                 gateway account's entry on its socket (after each VM start)\n"
        "  check [--no-probe] [--sshd-config FILE] [--gateway FILE]\n"
        "                 find setup mistakes, each with what to do (exit 3: found)\n"
        "  sessions [--vm VM]... [--identity NAME]... [--json|--csv]\n"
        "                 who is on which VM now (console locks), since when, from\n"
        "                 where, bytes so far; sessions the log never ended: UNTERMINATED\n"
        "  report [--by identity|vm|day|month|host|mode] [--since DATE] [--until DATE]\n"
        "         [--identity NAME]... [--vm VM]... [--json|--csv]\n"
        "                 sessions, hours, bytes, mean and peak rate, denials per\n"
        "                 person, VM, day, month (local time) or host: what to bill from;\n"
        "                 sessions the log never ended are flagged UNTERMINATED\n"
        "  show SESSION [--json|--csv]\n"
        "                 one session in full (an id or a unique prefix of 4+ hex\n"
        "                 digits), with a sparkline of its throughput\n"
        "  plot SESSION -o FILE.png|FILE.svg\n"
        "  plot --vm VM [--since DATE] [--until DATE] -o FILE.png|FILE.svg\n"
        "                 throughput over time per Spice channel, drawn as an image\n"
        "  help           this text\n"
        "\n"
        "Options (before or after the command):\n"
        "  -c, --config FILE     configuration file (default %s)\n"
        "      --log FILE        a session log to read (default: the config's log);\n"
        "                        repeatable; '*' and '?' in the file name match\n"
        "                        (sessions.jsonl*: the rotated and gzip'd ones too)\n"
        "  -i, --identity NAME   only this person (repeatable)\n"
        "      --vm NAME         only this VM (repeatable)\n"
        "      --json            JSON instead of a table\n"
        "      --csv             CSV instead of a table\n"
        "      --since DATE      sessions that started then or later (YYYY-MM-DD or\n"
        "                        YYYY-MM-DDTHH:MM:SS, local time unless it has an offset)\n"
        "      --until DATE      sessions that started before then\n"
        "  -o, --output FILE     plot: the image to write (.png or .svg)\n"
        "      --version         the version\n"
        "  -h, --help            this text\n"
        "\n"
        "See vmconsole-admin(8).\n",
        VMC_DEFAULT_CONFIG);
}

/* Parse all of argv at once: GOption takes options wherever they are and
 * leaves the command and its arguments, in order. */
static gboolean
parse_args(int argc, char **argv, VmcAdminArgs *args, GError **error)
{
    GOptionEntry entries[] = {
        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &args->config_path, NULL, NULL},
        {"log", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args->log_paths, NULL, NULL},
        {"identity", 'i', 0, G_OPTION_ARG_FILENAME_ARRAY, &args->identities, NULL, NULL},
        {"vm", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args->vms, NULL, NULL},
        {"json", 0, 0, G_OPTION_ARG_NONE, &args->json, NULL, NULL},
        {"csv", 0, 0, G_OPTION_ARG_NONE, &args->csv, NULL, NULL},
        {"by", 0, 0, G_OPTION_ARG_STRING, &args->by, NULL, NULL},
        {"since", 0, 0, G_OPTION_ARG_STRING, &args->since, NULL, NULL},
        {"until", 0, 0, G_OPTION_ARG_STRING, &args->until, NULL, NULL},
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &args->output, NULL, NULL},
        {"append", 0, 0, G_OPTION_ARG_FILENAME, &args->append, NULL, NULL},
        {"audio", 0, 0, G_OPTION_ARG_NONE, &args->audio, NULL, NULL},
        {"audio-port", 0, 0, G_OPTION_ARG_STRING, &args->audio_port, NULL, NULL},
        {"from", 0, 0, G_OPTION_ARG_STRING, &args->from, NULL, NULL},
        {"expires", 0, 0, G_OPTION_ARG_STRING, &args->expires, NULL, NULL},
        {"principal", 0, 0, G_OPTION_ARG_STRING, &args->principal, NULL, NULL},
        {"no-probe", 0, 0, G_OPTION_ARG_NONE, &args->no_probe, NULL, NULL},
        {"sshd-config", 0, 0, G_OPTION_ARG_FILENAME, &args->sshd_config, NULL, NULL},
        {"gateway", 0, 0, G_OPTION_ARG_FILENAME, &args->gateway, NULL, NULL},
        {"version", 0, 0, G_OPTION_ARG_NONE, &args->version, NULL, NULL},
        {"help", 'h', 0, G_OPTION_ARG_NONE, &args->help, NULL, NULL},
        {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args->words, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    g_autoptr(GOptionContext) context = g_option_context_new(NULL);
    g_option_context_set_help_enabled(context, FALSE); /* ours: print_usage() */
    g_option_context_add_main_entries(context, entries, NULL);
    if (!g_option_context_parse(context, &argc, &argv, error))
        return FALSE;
    char **lists[] = {args->identities, args->vms};
    const char *names[] = {"--identity", "--vm"};
    for (guint l = 0; l < G_N_ELEMENTS(lists); l++) {
        for (guint i = 0; lists[l] != NULL && lists[l][i] != NULL; i++) {
            if (lists[l][i][0] == '\0') {
                g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s is empty",
                            names[l]);
                return FALSE;
            }
        }
    }
    return TRUE;
}

/* Say what is wrong with the command line, then how to use it; exit 2. */
static int G_GNUC_PRINTF(1, 2) usage_error(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vmc_vprint_line(stderr, "vmconsole-admin: ", format, args);
    va_end(args);
    fputc('\n', stderr);
    print_usage(stderr);
    return VMC_ADMIN_EXIT_USAGE;
}

gboolean
vmc_admin_args_only(const VmcAdminArgs *args, const char *command, guint allowed)
{
    const struct {
        gboolean given;
        guint opt;
        const char *name;
    } options[] = {
        {args->identities != NULL, VMC_ADMIN_OPT_IDENTITY, "--identity"},
        {args->vms != NULL, VMC_ADMIN_OPT_VM, "--vm"},
        {args->json, VMC_ADMIN_OPT_JSON, "--json"},
        {args->csv, VMC_ADMIN_OPT_CSV, "--csv"},
        {args->by != NULL, VMC_ADMIN_OPT_BY, "--by"},
        {args->since != NULL, VMC_ADMIN_OPT_SINCE_UNTIL, "--since"},
        {args->until != NULL, VMC_ADMIN_OPT_SINCE_UNTIL, "--until"},
        {args->output != NULL, VMC_ADMIN_OPT_OUTPUT, "--output"},
        {args->append != NULL, VMC_ADMIN_OPT_AUTHORIZE, "--append"},
        {args->audio, VMC_ADMIN_OPT_AUTHORIZE, "--audio"},
        {args->audio_port != NULL, VMC_ADMIN_OPT_AUTHORIZE, "--audio-port"},
        {args->from != NULL, VMC_ADMIN_OPT_AUTHORIZE, "--from"},
        {args->expires != NULL, VMC_ADMIN_OPT_AUTHORIZE, "--expires"},
        {args->principal != NULL, VMC_ADMIN_OPT_AUTHORIZE, "--principal"},
        {args->log_paths != NULL, VMC_ADMIN_OPT_LOG, "--log"},
        {args->no_probe, VMC_ADMIN_OPT_NO_PROBE, "--no-probe"},
        {args->sshd_config != NULL, VMC_ADMIN_OPT_SSHD_CONFIG, "--sshd-config"},
        {args->gateway != NULL, VMC_ADMIN_OPT_GATEWAY, "--gateway"},
    };
    for (guint i = 0; i < G_N_ELEMENTS(options); i++) {
        if (options[i].given && (allowed & options[i].opt) == 0) {
            usage_error("%s does not take %s", command, options[i].name);
            return FALSE;
        }
    }
    if (args->json && args->csv) {
        usage_error("--json and --csv exclude each other");
        return FALSE;
    }
    return TRUE;
}

VmcConfig *
vmc_admin_load_config(const VmcAdminArgs *args)
{
    const char *path = args->config_path != NULL ? args->config_path : VMC_DEFAULT_CONFIG;
    g_autoptr(GError) error = NULL;
    VmcConfig *config = vmc_config_load(path, &error);
    if (config == NULL)
        vmc_admin_complain("%s", error->message);
    return config;
}

const char *
vmc_admin_log_path(const VmcAdminArgs *args, const VmcConfig *config)
{
    if (args->log_paths != NULL)
        return args->log_paths[0];
    return config != NULL ? config->log : NULL;
}

const char *const *
vmc_admin_log_patterns(const VmcAdminArgs *args, const VmcConfig *config, const char *ret_one[2])
{
    if (args->log_paths != NULL)
        return (const char *const *)args->log_paths;
    ret_one[0] = config != NULL ? config->log : NULL;
    ret_one[1] = NULL;
    return ret_one;
}

void
vmc_admin_complain(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vmc_vprint_line(stderr, "vmconsole-admin: ", format, args);
    va_end(args);
}

static int
dispatch(const VmcAdminArgs *args)
{
    const char *command = args->words != NULL ? args->words[0] : NULL;

    if (args->help || g_strcmp0(command, "help") == 0) {
        print_usage(stdout);
        return VMC_ADMIN_EXIT_OK;
    }
    if (args->version) {
        vmc_print_escaped(stdout, "vmconsole-admin %s\n", VMC_VERSION);
        return VMC_ADMIN_EXIT_OK;
    }
    if (command == NULL)
        return usage_error("no command given");
    for (guint i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (strcmp(command, commands[i].name) == 0)
            return commands[i].run(args);
    }
    return usage_error("unknown command '%.*s'", VMC_ADMIN_NAME_MAX, command);
}

int
main(int argc, char **argv)
{
    VmcAdminArgs args = {0};
    g_autoptr(GError) error = NULL;

    setlocale(LC_ALL, "C");
    if (!parse_args(argc, argv, &args, &error)) {
        int code = usage_error("%s", error->message);
        admin_args_clear(&args);
        return code;
    }
    int code = dispatch(&args);
    admin_args_clear(&args);
    fflush(stdout);
    return code;
}
