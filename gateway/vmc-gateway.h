/* vmc-gateway.h — the gateway program's library: exit codes and the SSH
 * context. Linked by vmconsole-gateway, its tests and fuzzers (never by
 * vmconsole-admin: what both need is console/'s). The request grammar is in
 * request.h.
 */
#pragma once

#include <glib.h>

#include "request.h"
#include "ssh-cert.h"
#include "vmc-acl.h"
#include "vmc-common.h"
#include "vmc-config.h"
#include "vmc-console.h"

G_BEGIN_DECLS

/* Exit codes of the gateway (DESIGN.md). */
typedef enum {
    VMC_EXIT_OK = 0,
    VMC_EXIT_INTERNAL = 1,
    VMC_EXIT_BAD_REQUEST = 2,
    VMC_EXIT_NOT_PERMITTED = 3, /* no such VM or not permitted: one answer for both */
    VMC_EXIT_NOT_RUNNING = 4,
    VMC_EXIT_BUSY = 5,
    VMC_EXIT_NO_SANDBOX = 6, /* the viewer's sandbox is not available (sandbox = on) */
    VMC_EXIT_NO_X11 = 7,
    VMC_EXIT_NO_AUDIT_LOG = 8,
} VmcExit;

#define VMC_SSH_USER_AUTH_MAX (64 * 1024) /* bytes read from $SSH_USER_AUTH at most */
#define VMC_SSH_CLIENT_MAX 128            /* bytes kept of the client address */

/* What sshd tells the forced command about the connection (untrusted text,
 * kept only after validation). */
typedef struct {
    char *client;            /* "ADDR PORT" from SSH_CONNECTION, or NULL */
    char *connection;        /* all of SSH_CONNECTION (both ends), when each word is sane */
    char *key_fingerprint;   /* "SHA256:..." of the key that logged in, or NULL */
    char *key_type;          /* e.g. "ssh-ed25519", or NULL */
    VmcSshCert *certificate; /* when the key was an OpenSSH certificate, or NULL */
    char *certificate_error; /* a certificate that could not be read: why (raw) */
} VmcSshContext;

/* Read SSH_CONNECTION and SSH_USER_AUTH from env (a g_get_environ() style
 * array). The SSH_USER_AUTH file is opened O_NOFOLLOW, must be a regular file
 * owned by the running uid and at most VMC_SSH_USER_AUTH_MAX bytes; anything
 * else leaves the fingerprint unset. Never fails. */
VmcSshContext *vmc_ssh_context_from_env(char **env);

/* Pure: the client address of an SSH_CONNECTION value
 * ("CLIENT_IP CLIENT_PORT SERVER_IP SERVER_PORT") as "IP PORT", or NULL when
 * it does not have that shape. */
char *vmc_ssh_parse_connection(const char *value);

/* Pure: the whole SSH_CONNECTION value when it has that shape (addresses of
 * address characters, ports of digits, at most 4 * VMC_SSH_CLIENT_MAX
 * bytes), else NULL: what identifies one SSH connection to every channel's
 * process (native mode's attach). */
char *vmc_ssh_parse_connection_full(const char *value);

/* Pure: the SHA256 fingerprint ("SHA256:base64-without-padding") and type of
 * the first "publickey TYPE BASE64" line of an ExposeAuthInfo file. When
 * TYPE is a certificate type (ssh-cert.h) the blob is parsed as one: the
 * fingerprint is then the certified key's (as sshd logs it), the
 * certificate goes to *ret_cert, or why it could not be read to
 * *ret_cert_error (both may be NULL when not wanted). */
gboolean vmc_ssh_parse_user_auth(const char *text, gsize length, char **ret_fingerprint,
                                 char **ret_type, VmcSshCert **ret_cert, char **ret_cert_error);

/* Pure: an OpenSSH expiry-time ("YYYYMMDD[HHMM[SS]]", as authorized_keys
 * and authorize --expires write it) in tz, as microseconds since the epoch;
 * FALSE when it is not one. */
gboolean vmc_ssh_parse_expiry_time(const char *text, GTimeZone *tz, gint64 *ret_us);

void vmc_ssh_context_free(VmcSshContext *context);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcSshContext, vmc_ssh_context_free)

G_END_DECLS
