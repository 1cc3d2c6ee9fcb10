/* ssh-cert.c — the OpenSSH certificate format (PROTOCOL.certkeys), read
 * strictly: each length checked against what is left before anything is
 * taken, every field bounded, nothing left over. Pure. */
#include "ssh-cert.h"

#include <string.h>

/* the known certificate types: the certified key's type and how many
 * string fields (mpints are strings on the wire) its public part has */
static const struct {
    const char *cert;
    const char *plain;
    guint n_key_fields;
} cert_types[] = {
    {"ssh-ed25519-cert-v01@openssh.com", "ssh-ed25519", 1},
    {"sk-ssh-ed25519-cert-v01@openssh.com", "sk-ssh-ed25519@openssh.com", 2},
    {"ssh-rsa-cert-v01@openssh.com", "ssh-rsa", 2},
    {"ssh-dss-cert-v01@openssh.com", "ssh-dss", 4},
    {"ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp256", 2},
    {"ecdsa-sha2-nistp384-cert-v01@openssh.com", "ecdsa-sha2-nistp384", 2},
    {"ecdsa-sha2-nistp521-cert-v01@openssh.com", "ecdsa-sha2-nistp521", 2},
    {"sk-ecdsa-sha2-nistp256-cert-v01@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com", 3},
};

/* the GError domain "vmc-ssh-cert-error-quark" */
GQuark
vmc_ssh_cert_error_quark(void)
{
    return g_quark_from_static_string("vmc-ssh-cert-error-quark");
}

typedef struct {
    const guint8 *p;
    gsize left;
    GError **error;
} Reader;

static gboolean reader_fail(Reader *r, int code, const char *format, ...) G_GNUC_PRINTF(3, 4);

static gboolean
reader_fail(Reader *r, int code, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    g_autofree char *what = g_strdup_vprintf(format, args);
    va_end(args);
    g_set_error(r->error, VMC_SSH_CERT_ERROR, code, "not a usable OpenSSH certificate: %s", what);
    return FALSE;
}

static gboolean
read_u32(Reader *r, const char *what, guint32 *ret)
{
    if (r->left < 4)
        return reader_fail(r, VMC_SSH_CERT_ERROR_INVALID, "it ends inside %s", what);
    *ret = (guint32)r->p[0] << 24 | (guint32)r->p[1] << 16 | (guint32)r->p[2] << 8 | r->p[3];
    r->p += 4;
    r->left -= 4;
    return TRUE;
}

static gboolean
read_u64(Reader *r, const char *what, guint64 *ret)
{
    guint32 high = 0, low = 0;
    if (!read_u32(r, what, &high) || !read_u32(r, what, &low))
        return FALSE;
    *ret = (guint64)high << 32 | low;
    return TRUE;
}

/* A string of at most max bytes: its bytes in *ret (pointing into the blob). */
static gboolean
read_string(Reader *r, const char *what, gsize max, const guint8 **ret, gsize *ret_length)
{
    guint32 length = 0;
    if (!read_u32(r, what, &length))
        return FALSE;
    if (length > r->left)
        return reader_fail(r, VMC_SSH_CERT_ERROR_INVALID, "%s is longer than what is left", what);
    if (length > max)
        return reader_fail(r, VMC_SSH_CERT_ERROR_LIMIT, "%s is longer than %zu bytes", what, max);
    *ret = r->p;
    *ret_length = length;
    r->p += length;
    r->left -= length;
    return TRUE;
}

/* A string that must be text: no NUL, and printable ASCII when asked. */
static gboolean
read_text(Reader *r, const char *what, gsize max, gboolean printable, char **ret)
{
    const guint8 *data = NULL;
    gsize length = 0;
    if (!read_string(r, what, max, &data, &length))
        return FALSE;
    for (gsize i = 0; i < length; i++)
        if (data[i] == 0 || (printable && !g_ascii_isgraph(data[i])))
            return reader_fail(r, VMC_SSH_CERT_ERROR_INVALID, "%s holds a byte 0x%02x", what,
                               data[i]);
    *ret = g_strndup((const char *)data, length);
    return TRUE;
}

char *
vmc_ssh_fingerprint(const guint8 *data, gsize length)
{
    guint8 digest[32];
    gsize digest_length = sizeof digest;
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    g_checksum_update(sum, data, length);
    g_checksum_get_digest(sum, digest, &digest_length);
    g_autofree char *encoded = g_base64_encode(digest, digest_length);
    char *end = encoded + strlen(encoded);
    while (end > encoded && end[-1] == '=')
        *--end = '\0';
    return g_strconcat("SHA256:", encoded, NULL);
}

gboolean
vmc_ssh_cert_type_is_known(const char *type)
{
    for (gsize i = 0; i < G_N_ELEMENTS(cert_types); i++)
        if (strcmp(type, cert_types[i].cert) == 0)
            return TRUE;
    return FALSE;
}

/* The certified key's fields; its fingerprint is that of the plain key
 * blob: the plain type name, then the same fields. */
static gboolean
read_key(Reader *r, guint type_index, VmcSshCert *cert)
{
    const guint8 *start = r->p;
    for (guint i = 0; i < cert_types[type_index].n_key_fields; i++) {
        const guint8 *field = NULL;
        gsize length = 0;
        if (!read_string(r, "the certified key", VMC_SSH_CERT_FIELD_MAX, &field, &length))
            return FALSE;
    }
    const char *plain = cert_types[type_index].plain;
    gsize name_length = strlen(plain), fields_length = (gsize)(r->p - start);
    g_autofree guint8 *blob = g_malloc(4 + name_length + fields_length);
    blob[0] = blob[1] = 0;
    blob[2] = (guint8)(name_length >> 8);
    blob[3] = (guint8)name_length;
    memcpy(blob + 4, plain, name_length);
    memcpy(blob + 4 + name_length, start, fields_length);
    cert->key_type = g_strdup(plain);
    cert->key_fingerprint = vmc_ssh_fingerprint(blob, 4 + name_length + fields_length);
    return TRUE;
}

static gboolean
read_principals(Reader *r, VmcSshCert *cert)
{
    const guint8 *data = NULL;
    gsize length = 0;
    if (!read_string(r, "the principals", VMC_SSH_CERT_FIELD_MAX, &data, &length))
        return FALSE;
    Reader inner = {data, length, r->error};
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    while (inner.left > 0) {
        char *name = NULL;
        if (names->len == VMC_SSH_CERT_PRINCIPALS_MAX)
            return reader_fail(r, VMC_SSH_CERT_ERROR_LIMIT, "more than %d principals",
                               VMC_SSH_CERT_PRINCIPALS_MAX);
        if (!read_text(&inner, "a principal", VMC_SSH_CERT_NAME_MAX, FALSE, &name))
            return FALSE;
        g_ptr_array_add(names, name);
    }
    g_ptr_array_add(names, NULL);
    cert->principals = (char **)g_ptr_array_free(g_steal_pointer(&names), FALSE);
    return TRUE;
}

/* Critical options or extensions: name/data pairs filling the string. */
static gboolean
read_options(Reader *r, const char *what)
{
    const guint8 *data = NULL;
    gsize length = 0;
    if (!read_string(r, what, VMC_SSH_CERT_FIELD_MAX, &data, &length))
        return FALSE;
    Reader inner = {data, length, r->error};
    for (guint n = 0; inner.left > 0; n++) {
        g_autofree char *name = NULL;
        const guint8 *value = NULL;
        gsize value_length = 0;
        if (n == VMC_SSH_CERT_OPTIONS_MAX)
            return reader_fail(r, VMC_SSH_CERT_ERROR_LIMIT, "more than %d %s",
                               VMC_SSH_CERT_OPTIONS_MAX, what);
        if (!read_text(&inner, what, VMC_SSH_CERT_NAME_MAX, TRUE, &name) ||
            !read_string(&inner, what, VMC_SSH_CERT_FIELD_MAX, &value, &value_length))
            return FALSE;
        if (name[0] == '\0')
            return reader_fail(r, VMC_SSH_CERT_ERROR_INVALID, "an empty name in %s", what);
    }
    return TRUE;
}

/* The signing CA's key: a string that starts with the key's type name. */
static gboolean
read_ca(Reader *r, VmcSshCert *cert)
{
    const guint8 *data = NULL;
    gsize length = 0;
    if (!read_string(r, "the CA key", VMC_SSH_CERT_FIELD_MAX, &data, &length))
        return FALSE;
    Reader inner = {data, length, r->error};
    if (!read_text(&inner, "the CA key's type", 64, TRUE, &cert->ca_type))
        return FALSE;
    if (cert->ca_type[0] == '\0' || inner.left == 0)
        return reader_fail(r, VMC_SSH_CERT_ERROR_INVALID, "the CA key has no type or no key");
    cert->ca_fingerprint = vmc_ssh_fingerprint(data, length);
    return TRUE;
}

static gboolean
read_body(Reader *r, guint type_index, VmcSshCert *cert)
{
    const guint8 *skip = NULL;
    gsize skip_length = 0;
    guint32 kind = 0;
    if (!read_string(r, "the nonce", VMC_SSH_CERT_NONCE_MAX, &skip, &skip_length) ||
        !read_key(r, type_index, cert) || !read_u64(r, "the serial", &cert->serial) ||
        !read_u32(r, "the certificate type", &kind))
        return FALSE;
    if (kind != VMC_SSH_CERT_TYPE_USER)
        return reader_fail(r, VMC_SSH_CERT_ERROR_INVALID, "not a user certificate (type %u)", kind);
    if (!read_text(r, "the key id", VMC_SSH_CERT_KEY_ID_MAX, FALSE, &cert->key_id) ||
        !read_principals(r, cert) || !read_u64(r, "valid-after", &cert->valid_after) ||
        !read_u64(r, "valid-before", &cert->valid_before))
        return FALSE;
    if (cert->valid_after > cert->valid_before)
        return reader_fail(r, VMC_SSH_CERT_ERROR_INVALID, "valid-after is after valid-before");
    if (!read_options(r, "the critical options") || !read_options(r, "the extensions") ||
        !read_string(r, "the reserved field", VMC_SSH_CERT_FIELD_MAX, &skip, &skip_length) ||
        !read_ca(r, cert) ||
        !read_string(r, "the signature", VMC_SSH_CERT_FIELD_MAX, &skip, &skip_length))
        return FALSE;
    if (r->left != 0)
        return reader_fail(r, VMC_SSH_CERT_ERROR_INVALID, "%zu bytes after the signature", r->left);
    return TRUE;
}

VmcSshCert *
vmc_ssh_cert_parse(const guint8 *blob, gsize length, GError **error)
{
    g_return_val_if_fail(blob != NULL || length == 0, NULL);
    Reader r = {blob, length, error};
    if (length > VMC_SSH_CERT_MAX) {
        reader_fail(&r, VMC_SSH_CERT_ERROR_LIMIT, "longer than %d bytes", VMC_SSH_CERT_MAX);
        return NULL;
    }
    g_autoptr(VmcSshCert) cert = g_new0(VmcSshCert, 1);
    if (!read_text(&r, "the key type", 64, TRUE, &cert->type))
        return NULL;
    guint type_index = 0;
    while (type_index < G_N_ELEMENTS(cert_types) &&
           strcmp(cert->type, cert_types[type_index].cert) != 0)
        type_index++;
    if (type_index == G_N_ELEMENTS(cert_types)) {
        reader_fail(&r, VMC_SSH_CERT_ERROR_INVALID, "an unknown certificate type");
        return NULL;
    }
    if (!read_body(&r, type_index, cert))
        return NULL;
    return g_steal_pointer(&cert);
}

void
vmc_ssh_cert_free(VmcSshCert *cert)
{
    if (cert == NULL)
        return;
    g_free(cert->type);
    g_free(cert->key_type);
    g_free(cert->key_fingerprint);
    g_free(cert->key_id);
    g_strfreev(cert->principals);
    g_free(cert->ca_type);
    g_free(cert->ca_fingerprint);
    g_free(cert);
}
