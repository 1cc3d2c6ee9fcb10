/* ssh-cert.h — an OpenSSH certificate (PROTOCOL.certkeys) as sshd exposes
 * it to the forced command (ExposeAuthInfo: "publickey TYPE BASE64"), read
 * by a strict, bounded parser. Pure. sshd verified the signature at login;
 * the gateway reads what it needs: who the CA is, the key id and serial for
 * the record, and when the certificate stops being valid.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VMC_SSH_CERT_ERROR (vmc_ssh_cert_error_quark())
GQuark vmc_ssh_cert_error_quark(void);

typedef enum {
    VMC_SSH_CERT_ERROR_INVALID, /* not a well-formed certificate of a known type */
    VMC_SSH_CERT_ERROR_LIMIT,   /* a field over the parser's bounds */
} VmcSshCertError;

#define VMC_SSH_CERT_MAX 16384           /* bytes of a certificate blob */
#define VMC_SSH_CERT_FIELD_MAX 4096      /* bytes of one key, signature or option field */
#define VMC_SSH_CERT_NONCE_MAX 256       /* bytes of the nonce */
#define VMC_SSH_CERT_KEY_ID_MAX 1024     /* bytes of the key id */
#define VMC_SSH_CERT_PRINCIPALS_MAX 256  /* principals listed */
#define VMC_SSH_CERT_NAME_MAX 256        /* bytes of a principal or an option's name */
#define VMC_SSH_CERT_OPTIONS_MAX 64      /* critical options, and extensions */
#define VMC_SSH_CERT_TYPE_USER 1         /* SSH2_CERT_TYPE_USER */
#define VMC_SSH_CERT_FOREVER G_MAXUINT64 /* valid-before of a certificate that never expires */

typedef struct {
    char *type;            /* "ssh-ed25519-cert-v01@openssh.com" */
    char *key_type;        /* the certified key's: "ssh-ed25519" */
    char *key_fingerprint; /* "SHA256:..." of the certified key (as sshd logs it) */
    guint64 serial;
    char *key_id;         /* no NUL; may hold any other byte: escape it to show it */
    char **principals;    /* empty: valid for any principal */
    guint64 valid_after;  /* seconds since the epoch */
    guint64 valid_before; /* seconds since the epoch; VMC_SSH_CERT_FOREVER: no end */
    char *ca_type;        /* the signing CA key's type, e.g. "ssh-ed25519" */
    char *ca_fingerprint; /* "SHA256:..." of the CA key, as ssh-keygen -l prints it */
} VmcSshCert;

/* TRUE for a certificate key type name ("...-cert-v01@openssh.com") of a
 * key type the parser knows. */
gboolean vmc_ssh_cert_type_is_known(const char *type);

/* Parse a certificate blob (the base64-decoded key of "publickey TYPE
 * BASE64"): every field read with its length checked against what is left
 * and the bounds above, a user certificate (type 1) of a known key type,
 * valid_after <= valid_before, options and extensions well-formed name/data
 * pairs, the CA key a string starting with its type name, and nothing after
 * the signature. NULL and error otherwise. */
VmcSshCert *vmc_ssh_cert_parse(const guint8 *blob, gsize length, GError **error);

void vmc_ssh_cert_free(VmcSshCert *cert);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcSshCert, vmc_ssh_cert_free)

/* "SHA256:" and the unpadded base64 of the SHA-256 of data: a key's
 * fingerprint as ssh-keygen -l prints it. */
char *vmc_ssh_fingerprint(const guint8 *data, gsize length);

G_END_DECLS
