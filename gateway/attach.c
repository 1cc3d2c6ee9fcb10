/* attach.c — "attach TOKEN": one Spice connection of a native session's
 * viewer, brought by a further exec channel of the session's SSH connection. */
#include "gateway-priv.h"

#include <string.h>

#include "vmc-sessionlog.h"

/* The one answer to every refused attach: nothing about why is revealed. */
#define ATTACH_REFUSAL "no such console session"

VmcExit
vmc_gateway_attach(const VmcGateway *gateway, const VmcRequest *request)
{
    /* the token is a secret: the record shows the request without it */
    VmcGateway redacted = *gateway;
    redacted.raw_request = "attach (token withheld)";
    redacted.raw_length = strlen(redacted.raw_request);
    VmcExit code = vmc_gateway_refuse(VMC_EXIT_NOT_RUNNING, ATTACH_REFUSAL);
    vmc_gateway_record_denied(&redacted, NULL, NULL, "attach: no live native session", code, NULL);
    return code;
}
