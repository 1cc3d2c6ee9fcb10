/* gateway-priv.h — the gateway program's commands (not part of the library). */
#pragma once

#include "vmc-common.h"
#include "vmc-gateway.h"

G_BEGIN_DECLS

/* Everything one gateway run knows: the admin's argv and config, and what
 * came from outside (request, SSH context). */
typedef struct {
    const VmcConfig *config;
    const char *identity_name; /* --identity, else the running account */
    gboolean identity_named;   /* --identity was given */
    const char *account;       /* the account the gateway runs as */
    const char *host;          /* this host's name, for messages */
    const VmcSshContext *ssh;
    const char *raw_request; /* SSH_ORIGINAL_COMMAND as received (may be NULL) */
    gsize raw_length;
    gint64 key_expires_us; /* --expires: the key line's expiry-time (us since the epoch), or 0 */
} VmcGateway;

/* Tell the person why their request is refused — "vmconsole: " and the
 * message on stderr, through vmc_print_escaped() (the format is trusted,
 * every %s escaped) — and return code, the exit code that says so. Every
 * refusal the person sees goes through here. */
VmcExit vmc_gateway_refuse(VmcExit code, const char *format, ...) G_GNUC_PRINTF(2, 3);

/* The refusal when the audit log cannot take a record: VMC_EXIT_NO_AUDIT_LOG. */
VmcExit vmc_gateway_refuse_no_log(void);

/* Each command prints what the person sees and returns the exit code. */
VmcExit vmc_gateway_help(const VmcGateway *gateway);
VmcExit vmc_gateway_version(const VmcGateway *gateway);
VmcExit vmc_gateway_list(const VmcGateway *gateway);
VmcExit vmc_gateway_open(const VmcGateway *gateway, const VmcRequest *request);
/* "attach TOKEN": hand this exec channel to the live native session whose
 * token it is (attach.c); every refusal reads the same. */
VmcExit vmc_gateway_attach(const VmcGateway *gateway, const VmcRequest *request);

/* Append a denied record to log (opened here when NULL) through the
 * denied-record limiter (denied-priv.h: written, or counted for a
 * denied-summary); FALSE when the audit log cannot take it. */
struct _VmcSessionLog;
gboolean vmc_gateway_record_denied(const VmcGateway *gateway, struct _VmcSessionLog *log,
                                   const char *vm, const char *reason, VmcExit code,
                                   GError **error);

/* Refuse a request that did not parse: tell the person, write a denied record. */
VmcExit vmc_gateway_refuse_request(const VmcGateway *gateway, const GError *parse_error);

G_END_DECLS

/* Everything the gateway prints goes through vmc_print_escaped(). */
VMC_PRINTF_POISON
