/* native.c — native mode's token and attach description (native.h). Pure
 * but for the random bytes. */
#include "native.h"

#include <errno.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/random.h>

#define NATIVE_HEADER "vmconsole-attach 1"

static const char *const keys[] = {"token-sha256", "connection", "key", "identity", "vm"};

char *
vmc_native_token_new(GError **error)
{
    guint8 bytes[VMC_NATIVE_TOKEN_BYTES];
    gsize got = 0;
    while (got < sizeof bytes) {
        ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved),
                        "no random bytes for the session's token: %s", g_strerror(saved));
            return NULL;
        }
        got += (gsize)n;
    }
    char *hex = g_malloc(2 * sizeof bytes + 1);
    for (gsize i = 0; i < sizeof bytes; i++)
        g_snprintf(hex + 2 * i, 3, "%02x", bytes[i]);
    memset(bytes, 0, sizeof bytes);
    return hex;
}

char *
vmc_native_token_sha256(const char *token)
{
    g_return_val_if_fail(token != NULL, NULL);
    return g_compute_checksum_for_string(G_CHECKSUM_SHA256, token, -1);
}

gboolean
vmc_native_equal(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return FALSE;
    gsize length = strlen(a);
    if (length != strlen(b))
        return FALSE;
    volatile guint8 diff = 0;
    for (gsize i = 0; i < length; i++)
        diff |= (guint8)(a[i] ^ b[i]);
    return diff == 0;
}

char *
vmc_native_peer_format(const VmcNativePeer *peer)
{
    g_return_val_if_fail(peer != NULL, NULL);
    const char *values[] = {peer->token_sha256, peer->connection, peer->key, peer->identity,
                            peer->vm};
    GString *text = g_string_new(NATIVE_HEADER "\n");
    for (guint i = 0; i < G_N_ELEMENTS(keys); i++)
        g_string_append_printf(text, "%s=%s\n", keys[i], values[i] != NULL ? values[i] : "");
    return g_string_free(text, FALSE);
}

static gboolean
value_is_valid(guint index, const char *value, gsize length)
{
    if (length == 0 || length > VMC_NATIVE_VALUE_MAX)
        return FALSE;
    for (gsize i = 0; i < length; i++)
        if ((guchar)value[i] < 0x20 || (guchar)value[i] >= 0x7f)
            return FALSE;
    if (index != 0)
        return TRUE;
    if (length != 64)
        return FALSE;
    for (gsize i = 0; i < length; i++)
        if (!g_ascii_isdigit(value[i]) && !(value[i] >= 'a' && value[i] <= 'f'))
            return FALSE;
    return TRUE;
}

gboolean
vmc_native_peer_parse(const char *text, gsize length, VmcNativePeer *ret_peer, GError **error)
{
    g_return_val_if_fail(text != NULL && ret_peer != NULL, FALSE);
    char *values[G_N_ELEMENTS(keys)] = {NULL};
    const char *p = text, *end = text + length;
    gboolean ok = length <= VMC_NATIVE_TEXT_MAX && length > strlen(NATIVE_HEADER) &&
                  memcmp(p, NATIVE_HEADER "\n", strlen(NATIVE_HEADER) + 1) == 0;
    if (ok)
        p += strlen(NATIVE_HEADER) + 1;
    for (guint i = 0; ok && i < G_N_ELEMENTS(keys); i++) {
        const char *newline = memchr(p, '\n', (gsize)(end - p));
        gsize key_length = strlen(keys[i]);
        ok = newline != NULL && (gsize)(newline - p) > key_length &&
             memcmp(p, keys[i], key_length) == 0 && p[key_length] == '=' &&
             value_is_valid(i, p + key_length + 1, (gsize)(newline - p) - key_length - 1);
        if (ok) {
            values[i] = g_strndup(p + key_length + 1, (gsize)(newline - p) - key_length - 1);
            p = newline + 1;
        }
    }
    if (!ok || p != end) {
        for (guint i = 0; i < G_N_ELEMENTS(keys); i++)
            g_free(values[i]);
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                            "not a native session's attach description");
        return FALSE;
    }
    *ret_peer = (VmcNativePeer){values[0], values[1], values[2], values[3], values[4]};
    return TRUE;
}

void
vmc_native_peer_clear(VmcNativePeer *peer)
{
    if (peer == NULL)
        return;
    g_clear_pointer(&peer->token_sha256, g_free);
    g_clear_pointer(&peer->connection, g_free);
    g_clear_pointer(&peer->key, g_free);
    g_clear_pointer(&peer->identity, g_free);
    g_clear_pointer(&peer->vm, g_free);
}

const char *
vmc_native_mismatch(const VmcNativePeer *session, const VmcNativePeer *attach)
{
    g_return_val_if_fail(session != NULL && attach != NULL, "internal error");
    /* the token first and always: its comparison takes the same time either way */
    if (!vmc_native_equal(session->token_sha256, attach->token_sha256))
        return "wrong token";
    if (session->connection == NULL || attach->connection == NULL)
        return "the SSH connection is unknown (no SSH_CONNECTION)";
    if (strcmp(session->connection, attach->connection) != 0)
        return "the token is another SSH connection's";
    if (session->key == NULL || attach->key == NULL)
        return "the key is unknown (sshd's ExposeAuthInfo is off)";
    if (strcmp(session->key, attach->key) != 0)
        return "the token is another key's";
    if (g_strcmp0(session->identity, attach->identity) != 0)
        return "the token is another identity's";
    return NULL;
}
