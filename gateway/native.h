/* native.h — native mode's pure parts (the viewer on the laptop): the
 * session's token, and the description of "who may attach" that the
 * session writes into its dir and an attach process sends it.
 *
 * The text, one "key=value" line each, in this order, nothing else:
 *
 *   vmconsole-attach 1
 *   token-sha256=<64 hex>     SHA-256 of the token (the token itself never rests in a file)
 *   connection=<SSH_CONNECTION>
 *   key=<SHA256:... fingerprint of the key that logged in>
 *   identity=<the --identity name>
 *   vm=<VM name>
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VMC_NATIVE_TOKEN_BYTES 32                    /* random bytes of a token (64 hex) */
#define VMC_NATIVE_INFO_FILE "native"                /* in the session dir: who may attach */
#define VMC_NATIVE_SOCKET "attach.sock"              /* in the session dir: SOCK_SEQPACKET */
#define VMC_NATIVE_TEXT_MAX 2048                     /* bytes of the text above */
#define VMC_NATIVE_VALUE_MAX 512                     /* bytes of one value */
#define VMC_NATIVE_HANDSHAKE_TIMEOUT_MS 5000         /* for an attach's message, and its answer */
#define VMC_NATIVE_ATTACH_MAX 48                     /* attached channels of one session at once */
#define VMC_NATIVE_REFUSAL "no such console session" /* every refused attach reads this */

typedef struct {
    char *token_sha256;
    char *connection;
    char *key;
    char *identity;
    char *vm;
} VmcNativePeer;

/* A new token: VMC_NATIVE_TOKEN_BYTES from getrandom(2), in lower-case hex. */
char *vmc_native_token_new(GError **error);

/* The SHA-256 of a token, lower-case hex. */
char *vmc_native_token_sha256(const char *token);

/* TRUE when a and b are equal; the time taken depends on their lengths only. */
gboolean vmc_native_equal(const char *a, const char *b);

/* The text of peer (every field set). */
char *vmc_native_peer_format(const VmcNativePeer *peer);

/* Parse length bytes strictly (the layout above, printable ASCII values of at
 * most VMC_NATIVE_VALUE_MAX bytes, a hash of 64 lower-case hex); FALSE with
 * a message otherwise, ret_peer untouched. Pure. */
gboolean vmc_native_peer_parse(const char *text, gsize length, VmcNativePeer *ret_peer,
                               GError **error);

void vmc_native_peer_clear(VmcNativePeer *peer);

/* Why the attach described by attach may not join the session described by
 * session (for the admin's denied record), or NULL when it may: the token
 * (compared in constant time), the SSH connection, the key, the identity.
 * A field missing on either side never matches. Pure. */
const char *vmc_native_mismatch(const VmcNativePeer *session, const VmcNativePeer *attach);

G_END_DECLS
