/* main.c — vmconsole-admin: the admin's view of vmconsole.
 *
 *   vmconsole-admin [--config FILE] COMMAND [ARGS]
 *
 * Options may come before or after the command. argv and the config are the
 * admin's; names from NSS and sockets are still escaped wherever printed.
 */
#include "admin-priv.h"

#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vmc-build-config.h"
#include "vmc-sessionlog.h"

typedef struct {
    char *config_path;
    char **identities; /* --identity, repeatable */
    gboolean json;
    gboolean version;
    gboolean help;
    char **words;      /* the command and its arguments */
} AdminArgs;

static void
admin_args_clear(AdminArgs *args)
{
    g_clear_pointer(&args->config_path, g_free);
    g_clear_pointer(&args->identities, g_strfreev);
    g_clear_pointer(&args->words, g_strfreev);
}

/* Commands of DESIGN.md that this version does not have yet. */
static const char *const planned_commands[] = {
    "check", "authorize", "acl", "sessions", "report", "show", "plot", NULL,
};

static void
print_usage(FILE *out)
{
    fprintf(out,
            "Usage: vmconsole-admin [--config FILE] COMMAND [ARGS]\n"
            "\n"
            "Commands:\n"
            "  access [VM...] [--identity NAME]... [--json]\n"
            "                 who may open which VM's console, and why: each VM socket's\n"
            "                 ACL evaluated for each person, as the gateway decides\n"
            "  help           this text\n"
            "\n"
            "Options (before or after the command):\n"
            "  -c, --config FILE     configuration file (default %s)\n"
            "  -i, --identity NAME   access: only this person (repeatable)\n"
            "      --json            access: a JSON array instead of a table\n"
            "      --version         the version\n"
            "  -h, --help            this text\n"
            "\n"
            "Planned, not in this version yet: check, authorize, acl apply, sessions,\n"
            "report, show, plot. See vmconsole-admin(8).\n",
            VMC_DEFAULT_CONFIG);
}

/* Parse all of argv at once: GOption takes options wherever they are and
 * leaves the command and its arguments, in order. */
static gboolean
parse_args(int argc, char **argv, AdminArgs *args, GError **error)
{
    GOptionEntry entries[] = {
        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &args->config_path, NULL, NULL},
        {"identity", 'i', 0, G_OPTION_ARG_FILENAME_ARRAY, &args->identities, NULL, NULL},
        {"json", 0, 0, G_OPTION_ARG_NONE, &args->json, NULL, NULL},
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
    if (args->identities != NULL) {
        for (guint i = 0; args->identities[i] != NULL; i++) {
            if (args->identities[i][0] == '\0') {
                g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                            "--identity is empty");
                return FALSE;
            }
        }
    }
    return TRUE;
}

/* Say what is wrong with the command line, then how to use it; exit 2. */
static int G_GNUC_PRINTF(1, 2)
usage_error(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    g_autofree char *message = g_strdup_vprintf(format, args);
    va_end(args);
    g_printerr("vmconsole-admin: %s\n\n", message);
    print_usage(stderr);
    return VMC_ADMIN_EXIT_USAGE;
}

static int
run_access(const AdminArgs *args)
{
    const char *path = args->config_path != NULL ? args->config_path : VMC_DEFAULT_CONFIG;
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcConfig) config = vmc_config_load(path, &error);
    if (config == NULL) {
        g_autofree char *message = vmc_text_escape(error->message, -1, 1000);
        g_printerr("vmconsole-admin: %s\n", message);
        return VMC_ADMIN_EXIT_ERROR;
    }
    return vmc_admin_access(config, (const char *const *)&args->words[1],
                            (const char *const *)args->identities, args->json);
}

static int
dispatch(const AdminArgs *args)
{
    const char *command = args->words != NULL ? args->words[0] : NULL;

    if (args->help || g_strcmp0(command, "help") == 0) {
        print_usage(stdout);
        return VMC_ADMIN_EXIT_OK;
    }
    if (args->version) {
        printf("vmconsole-admin %s\n", VMC_VERSION);
        return VMC_ADMIN_EXIT_OK;
    }
    if (command == NULL)
        return usage_error("no command given");
    if (strcmp(command, "access") == 0)
        return run_access(args);
    g_autofree char *escaped = vmc_text_escape(command, -1, VMC_ADMIN_NAME_MAX);
    if (g_strv_contains(planned_commands, command))
        return usage_error("'%s' is planned but not in this version yet", escaped);
    return usage_error("unknown command '%s'", escaped);
}

int
main(int argc, char **argv)
{
    AdminArgs args = {0};
    g_autoptr(GError) error = NULL;

    setlocale(LC_ALL, "C");
    if (!parse_args(argc, argv, &args, &error)) {
        g_autofree char *message = vmc_text_escape(error->message, -1, VMC_ADMIN_REASON_MAX);
        int code = usage_error("%s", message);
        admin_args_clear(&args);
        return code;
    }
    const char *command = args.words != NULL ? args.words[0] : NULL;
    if ((args.identities != NULL || args.json) && g_strcmp0(command, "access") != 0 &&
        !args.help && !args.version) {
        admin_args_clear(&args);
        return usage_error("--identity and --json belong to the access command");
    }
    int code = dispatch(&args);
    admin_args_clear(&args);
    fflush(stdout);
    return code;
}
