/* main.c — vmconsole-gateway: the OpenSSH forced command.
 *
 * argv and the config are the admin's; SSH_ORIGINAL_COMMAND, stdin and the
 * rest of the environment come from outside and are treated as hostile.
 */
#include "gateway-priv.h"

#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "vmc-build-config.h"

typedef struct {
    char *config_path;
    char *identity;
    char *expires;
    gboolean version;
} GatewayArgs;

static gboolean
parse_args(int argc, char **argv, GatewayArgs *args, GError **error)
{
    GOptionEntry entries[] = {
        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &args->config_path,
         "Configuration file (default " VMC_DEFAULT_CONFIG ")", "FILE"},
        {"identity", 'i', 0, G_OPTION_ARG_FILENAME, &args->identity,
         "The person behind this key (default: the account running the gateway)", "NAME"},
        {"expires", 0, 0, G_OPTION_ARG_STRING, &args->expires,
         "The key's expiry-time (its line's, as vmconsole-admin authorize --expires writes "
         "both): a session ends then",
         "YYYYMMDD[HHMM[SS]]"},
        {"version", 0, 0, G_OPTION_ARG_NONE, &args->version, "Print the version and exit", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    g_autoptr(GOptionContext) context = g_option_context_new("");
    g_option_context_set_summary(context,
                                 "OpenSSH forced command: opens a VM's Spice console for the "
                                 "person behind the key.\nThe request comes from "
                                 "SSH_ORIGINAL_COMMAND; see vmconsole-gateway(8).");
    g_option_context_add_main_entries(context, entries, NULL);
    if (!g_option_context_parse(context, &argc, &argv, error))
        return FALSE;
    if (argc > 1) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "unexpected argument '%s': the request comes from SSH_ORIGINAL_COMMAND",
                    argv[1]);
        return FALSE;
    }
    if (args->identity != NULL && args->identity[0] == '\0') {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--identity is empty");
        return FALSE;
    }
    return TRUE;
}

static VmcExit
dispatch(const VmcGateway *gateway)
{
    g_autoptr(GError) error = NULL;
    VmcRequest request;
    const char *raw = gateway->raw_request != NULL ? gateway->raw_request : "";
    gsize length = gateway->raw_request != NULL ? gateway->raw_length : 0;

    if (!vmc_request_parse(raw, length, &request, &error))
        return vmc_gateway_refuse_request(gateway, error);

    switch (request.kind) {
    case VMC_REQUEST_HELP:
        return vmc_gateway_help(gateway);
    case VMC_REQUEST_VERSION:
        return vmc_gateway_version(gateway);
    case VMC_REQUEST_LIST:
        return vmc_gateway_list(gateway);
    case VMC_REQUEST_OPEN:
        return vmc_gateway_open(gateway, &request);
    case VMC_REQUEST_ATTACH:
        return vmc_gateway_attach(gateway, &request);
    }
    return VMC_EXIT_INTERNAL;
}

int
main(int argc, char **argv)
{
    GatewayArgs args = {NULL, NULL, NULL, FALSE};
    g_autoptr(GError) error = NULL;

    setlocale(LC_ALL, "C");
    umask(077);
    signal(SIGPIPE, SIG_IGN); /* a closed SSH connection is seen by poll, not by dying */

    if (!parse_args(argc, argv, &args, &error)) {
        vmc_print_escaped(stderr, "vmconsole-gateway: %s\n", error->message);
        return VMC_EXIT_INTERNAL;
    }
    if (args.version) { /* the admin's question, not a request: no config needed */
        fputs("vmconsole-gateway " VMC_VERSION "\n", stdout);
        g_free(args.config_path);
        g_free(args.identity);
        g_free(args.expires);
        return VMC_EXIT_OK;
    }
    g_autofree char *expires = args.expires;
    gint64 key_expires_us = 0;
    g_autoptr(GTimeZone) local = g_time_zone_new_local();
    if (expires != NULL && !vmc_ssh_parse_expiry_time(expires, local, &key_expires_us)) {
        vmc_print_escaped(stderr,
                          "vmconsole-gateway: --expires %s is not YYYYMMDD[HHMM[SS]]\n"
                          "vmconsole-gateway: the gateway is misconfigured; tell the host's "
                          "admin\n",
                          expires);
        g_free(args.config_path);
        g_free(args.identity);
        return VMC_EXIT_INTERNAL;
    }
    g_autofree char *config_path =
        args.config_path ? args.config_path : g_strdup(VMC_DEFAULT_CONFIG);
    g_autofree char *identity = args.identity;

    g_autoptr(VmcConfig) config = vmc_config_load(config_path, &error);
    if (config == NULL) {
        vmc_print_escaped(
            stderr,
            "vmconsole-gateway: %s\n"
            "vmconsole-gateway: the gateway is misconfigured; tell the host's admin\n",
            error->message);
        return VMC_EXIT_INTERNAL;
    }

    g_auto(GStrv) env = g_get_environ();
    g_autoptr(VmcSshContext) ssh = vmc_ssh_context_from_env(env);
    const char *raw = g_environ_getenv(env, "SSH_ORIGINAL_COMMAND");

    VmcGateway gateway = {
        .config = config,
        .identity_name = identity != NULL ? identity : g_get_user_name(),
        .identity_named = identity != NULL,
        .account = g_get_user_name(),
        .host = g_get_host_name(),
        .ssh = ssh,
        .raw_request = raw,
        .raw_length = raw != NULL ? strlen(raw) : 0,
        .key_expires_us = key_expires_us,
    };
    int code = dispatch(&gateway);
    fflush(stdout);
    return code;
}
