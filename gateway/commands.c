/* commands.c — what each request does and what the person sees. */
#include "gateway-priv.h"

#include <stdio.h>
#include <string.h>

#include "denied-priv.h"
#include "vmc-build-config.h"
#include "session-priv.h"
#include "vmc-sessionlog.h"

#define VMC_LOGGED_REQUEST_MAX 256 /* bytes of a refused request kept in the record */

VmcExit
vmc_gateway_help(const VmcGateway *gateway)
{
    const char *a = gateway->account;
    const char *h = gateway->host;
    vmc_print_escaped(
        stdout,
        "vmconsole on %s: the graphical console of a VM, through SSH.\n"
        "\n"
        "  ssh -X %s@%s VM          open VM's console (remote-viewer, on your screen)\n"
        "  ssh %s@%s list           the VMs you may open, and which are running\n"
        "  ssh %s@%s help           this text\n"
        "  ssh %s@%s version        the gateway's version\n"
        "\n"
        "Options after the VM name:\n"
        "  --takeover            take over the console from whoever has it open\n"
        "                        (only where the admin allows it)\n"
        "  --audio=off           no sound\n"
        "  --pulse=tcp:PORT      play the VM's sound on your PulseAudio, reached\n"
        "                        through the reverse tunnel on PORT (ssh -R)\n"
        "  --pulse=tcp:stdin     the same, the port being the first line on stdin\n"
        "  --pulse-cookie=stdin  the PulseAudio cookie for that tunnel comes on stdin\n"
        "  --microphone          let the VM hear your microphone (where allowed)\n"
        "  --native              the viewer runs on your laptop: the gateway prints\n"
        "                        a token; each Spice connection of your viewer comes\n"
        "                        as 'attach TOKEN' over the same SSH connection\n"
        "                        (the laptop launcher does this: vmconsole --native)\n"
        "\n"
        "Example, with sound through your laptop's PulseAudio:\n"
        "  ssh -X -R 4713:localhost:4713 %s@%s 'debianx --pulse=tcp:4713'\n"
        "The laptop launcher sets all of this up for you: vmconsole %s VM\n",
        h, a, h, a, h, a, h, a, h, a, h, h);
    return VMC_EXIT_OK;
}

VmcExit
vmc_gateway_version(const VmcGateway *gateway)
{
    vmc_print_escaped(stdout, "vmconsole-gateway %s\n", VMC_VERSION);
    return VMC_EXIT_OK;
}

VmcExit
vmc_gateway_refuse(VmcExit code, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vmc_vprint_line(stderr, "vmconsole: ", format, args);
    va_end(args);
    return code;
}

/* The identity of this request into *ret_identity, or the refusal (it is the
 * admin's error), with error set. */
static VmcExit
resolve_identity(const VmcGateway *gateway, VmcIdentity **ret_identity, GError **error)
{
    *ret_identity = vmc_identity_resolve(gateway->identity_name, error);
    if (*ret_identity != NULL)
        return VMC_EXIT_OK;
    return vmc_gateway_refuse(VMC_EXIT_INTERNAL,
                              "this key's identity is not usable on %s: %s\n"
                              "vmconsole: tell the host's admin (the authorized_keys line is "
                              "wrong)",
                              gateway->host, (*error)->message);
}

/* An identity that would open every VM (uid 0, the gateway account): say so
 * and write a denied record. VMC_EXIT_OK when it was not refused. */
static VmcExit
refuse_identity(const VmcGateway *gateway, VmcSessionLog *log, const VmcIdentity *identity,
                const char *vm)
{
    VmcIdentityCandidate candidate = {
        .name = identity->name,
        .uid = (gint64)identity->uid,
        .account = gateway->config->account,
        .account_uid = vmc_nss_uid_of(gateway->config->account),
        .named = gateway->identity_named,
    };
    g_autofree char *reason = vmc_console_identity_refusal(&candidate);
    if (reason == NULL)
        return VMC_EXIT_OK;
    VmcExit code = vmc_gateway_refuse(VMC_EXIT_NOT_PERMITTED,
                                      "this key may open no console on %s: %s\n"
                                      "vmconsole: tell the host's admin: the key's line needs "
                                      "the person's own --identity",
                                      gateway->host, reason);
    g_autoptr(GError) error = NULL;
    if (!vmc_gateway_record_denied(gateway, log, vm, reason, code, &error))
        vmc_print_escaped(stderr,
                          "vmconsole-gateway: the denied record could not be written: "
                          "%s\n",
                          error->message);
    return code;
}

/* "VMs you may open: a, b" or that there are none, for the person. */
static char *
permitted_text(const GPtrArray *names)
{
    if (names->len == 0)
        return g_strdup("you may open no VM here; ask the host's admin for access.");
    GString *text = g_string_new("VMs you may open:");
    for (guint i = 0; i < names->len; i++)
        g_string_append_printf(text, "%s %s", i == 0 ? "" : ",", (const char *)names->pdata[i]);
    return g_string_free(text, FALSE);
}

VmcExit
vmc_gateway_list(const VmcGateway *gateway)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcIdentity) identity = NULL;
    VmcExit code = resolve_identity(gateway, &identity, &error);
    if (code == VMC_EXIT_OK)
        code = refuse_identity(gateway, NULL, identity, NULL);
    if (code != VMC_EXIT_OK)
        return code;

    g_autoptr(GPtrArray) names = vmc_console_list_permitted(gateway->config, identity);
    if (names->len == 0) {
        g_autofree char *none = permitted_text(names);
        vmc_print_escaped(stdout, "%s\n", none);
        return VMC_EXIT_OK;
    }
    for (guint i = 0; i < names->len; i++) {
        const char *name = names->pdata[i];
        const VmcVmConfig *vm = vmc_config_find_vm(gateway->config, name);
        g_autoptr(VmcAccessDecision) decision = vmc_console_decide(gateway->config, identity, name);
        gboolean running =
            decision->pinned_fd >= 0 && vmc_console_socket_answers(decision->pinned_fd);
        vmc_print_escaped(stdout, "%-24s %-11s %s\n", name, running ? "running" : "not running",
                          vm != NULL && vm->title != NULL ? vm->title : "");
    }
    return VMC_EXIT_OK;
}

gboolean
vmc_gateway_record_denied(const VmcGateway *gateway, VmcSessionLog *log, const char *vm,
                          const char *reason, VmcExit code, GError **error)
{
    g_autoptr(VmcSessionLog) own_log = NULL;
    if (log == NULL) {
        log = own_log = vmc_sessionlog_open(gateway->config->log, error);
        if (log == NULL)
            return FALSE;
    }

    g_auto(VmcRecordFields) fields = {0};
    vmc_record_fields_init(&fields, VMC_LOG_EVENT_DENIED);
    VmcRecordDenied *denied = &fields.denied;
    denied->identity = g_strdup(gateway->identity_name);
    denied->account = g_strdup(gateway->account);
    denied->key = g_strdup(gateway->ssh->key_fingerprint);
    denied->key_type = g_strdup(gateway->ssh->key_type);
    denied->client = g_strdup(gateway->ssh->client);
    if (gateway->raw_request != NULL)
        denied->request = vmc_text_escape(gateway->raw_request, (gssize)gateway->raw_length,
                                          VMC_LOGGED_REQUEST_MAX);
    denied->vm = g_strdup(vm);
    denied->reason = g_strdup(reason);
    denied->exit = code;
    g_autoptr(VmcRecord) record = vmc_record_new_from_fields(&fields);
    VmcDeniedContext context = {gateway->config, gateway->identity_name, gateway->account,
                                gateway->ssh->client};
    return vmc_denied_append(&context, log, record, code, error);
}

VmcExit
vmc_gateway_refuse_request(const VmcGateway *gateway, const GError *parse_error)
{
    VmcExit code = vmc_gateway_refuse(VMC_EXIT_BAD_REQUEST, "%s\nvmconsole: try 'ssh %s@%s help'",
                                      parse_error->message, gateway->account, gateway->host);
    g_autoptr(GError) error = NULL;
    if (!vmc_gateway_record_denied(gateway, NULL, NULL, parse_error->message, code, &error))
        vmc_print_escaped(stderr, "vmconsole: (the audit log could not be written either: tell "
                                  "the host's admin)\n");
    return code;
}

VmcExit
vmc_gateway_refuse_no_log(void)
{
    return vmc_gateway_refuse(VMC_EXIT_NO_AUDIT_LOG,
                              "the audit log cannot be written, so no "
                              "console can be opened; tell the host's admin");
}

static VmcExit
refuse_open(const VmcGateway *gateway, VmcSessionLog *log, const VmcIdentity *identity,
            const char *vm, const char *reason)
{
    g_autoptr(GError) error = NULL;
    if (!vmc_gateway_record_denied(gateway, log, vm, reason, VMC_EXIT_NOT_PERMITTED, &error))
        return vmc_gateway_refuse_no_log();
    /* One answer for "no such VM" and "not permitted": no enumeration. */
    g_autoptr(GPtrArray) names = vmc_console_list_permitted(gateway->config, identity);
    g_autofree char *permitted = permitted_text(names);
    /* valid VM names only: the whole list, however long */
    return vmc_gateway_refuse(VMC_EXIT_NOT_PERMITTED,
                              "%s is not a VM you may open on %s.\nvmconsole: %.*s", vm,
                              gateway->host, (int)strlen(permitted), permitted);
}

VmcExit
vmc_gateway_open(const VmcGateway *gateway, const VmcRequest *request)
{
    g_autoptr(GError) error = NULL;

    /* The audit trail fails closed: no log, no console. */
    g_autoptr(VmcSessionLog) log = vmc_sessionlog_open(gateway->config->log, &error);
    if (log == NULL) {
        VmcExit code = vmc_gateway_refuse_no_log();
        vmc_print_escaped(stderr, "vmconsole-gateway: %s\n", error->message);
        return code;
    }

    g_autoptr(VmcIdentity) identity = NULL;
    VmcExit code = resolve_identity(gateway, &identity, &error);
    if (code != VMC_EXIT_OK) {
        g_autoptr(GError) log_error = NULL;
        vmc_gateway_record_denied(gateway, log, request->vm, error->message, code, &log_error);
        return code;
    }
    code = refuse_identity(gateway, log, identity, request->vm);
    if (code != VMC_EXIT_OK)
        return code;

    g_autoptr(VmcAccessDecision) decision =
        vmc_console_decide(gateway->config, identity, request->vm);
    if (decision->result != VMC_ACCESS_GRANTED)
        return refuse_open(gateway, log, identity, request->vm, decision->reason);

    /* Someone may open a console: the counts of suppressed denied requests
     * (anyone's) go into the log now rather than whenever their key holder
     * comes back. */
    VmcDeniedContext context = {gateway->config, gateway->identity_name, gateway->account,
                                gateway->ssh->client};
    vmc_denied_sweep(&context, log);

    return vmc_session_run(gateway, log, identity, decision, request);
}
