/* fuzz-ssh-cert.c — libFuzzer target for the OpenSSH certificate parser:
 * any bytes. A certificate that parses keeps the parser's promises (a known
 * type, bounded fields, valid-after <= valid-before, "SHA256:" fingerprints)
 * and is exact: the same bytes one shorter, or one longer, are refused.
 * The same bytes as an ExposeAuthInfo line's key (base64) give that very
 * certificate, or none when they do not parse. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmc-gateway.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(gboolean ok)
{
    if (!ok)
        abort();
}

static void
check_cert(const VmcSshCert *cert)
{
    check(vmc_ssh_cert_type_is_known(cert->type));
    check(cert->valid_after <= cert->valid_before);
    check(strlen(cert->key_id) <= VMC_SSH_CERT_KEY_ID_MAX);
    check(g_strv_length(cert->principals) <= VMC_SSH_CERT_PRINCIPALS_MAX);
    check(g_str_has_prefix(cert->key_fingerprint, "SHA256:"));
    check(g_str_has_prefix(cert->ca_fingerprint, "SHA256:"));
    check(cert->ca_type[0] != '\0');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > VMC_SSH_CERT_MAX + 16)
        return 0;
    g_autoptr(VmcSshCert) cert = vmc_ssh_cert_parse(data, size, NULL);
    if (cert != NULL) {
        check_cert(cert);
        g_autoptr(VmcSshCert) shorter = vmc_ssh_cert_parse(data, size - 1, NULL);
        check(shorter == NULL);
        g_autofree guint8 *longer = g_malloc(size + 1);
        memcpy(longer, data, size);
        longer[size] = 0;
        g_autoptr(VmcSshCert) padded = vmc_ssh_cert_parse(longer, size + 1, NULL);
        check(padded == NULL);
    }
    if (size == 0)
        return 0;
    g_autofree char *base64 = g_base64_encode(data, size);
    const char *type = cert != NULL ? cert->type : "ssh-ed25519-cert-v01@openssh.com";
    g_autofree char *line = g_strdup_printf("publickey %s %s\n", type, base64);
    g_autofree char *fingerprint = NULL, *key_type = NULL, *why = NULL;
    g_autoptr(VmcSshCert) exposed = NULL;
    if (vmc_ssh_parse_user_auth(line, strlen(line), &fingerprint, &key_type, &exposed, &why)) {
        check((exposed != NULL) == (cert != NULL) && (exposed == NULL) == (why != NULL));
        if (exposed != NULL)
            check(strcmp(exposed->key_fingerprint, fingerprint) == 0 &&
                  strcmp(exposed->ca_fingerprint, cert->ca_fingerprint) == 0);
    }
    return 0;
}
