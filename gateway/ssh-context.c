/* ssh-context.c — what sshd tells the forced command: client address and key. */
#include "vmc-gateway.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define VMC_SSH_KEY_BLOB_MAX 16384 /* base64 text of one public key, at most */

static gboolean
is_address_char(char c)
{
    return g_ascii_isxdigit(c) || c == '.' || c == ':' || c == '%' || g_ascii_isalnum(c);
}

static gboolean
is_all(const char *s, gboolean (*ok)(char))
{
    if (*s == '\0')
        return FALSE;
    for (; *s != '\0'; s++)
        if (!ok(*s))
            return FALSE;
    return TRUE;
}

static gboolean
is_digit(char c)
{
    return g_ascii_isdigit(c);
}

static gboolean
is_graph(char c)
{
    return g_ascii_isgraph(c);
}

char *
vmc_ssh_parse_connection(const char *value)
{
    if (value == NULL || strlen(value) > 4 * VMC_SSH_CLIENT_MAX)
        return NULL;
    g_auto(GStrv) words = g_strsplit(value, " ", 0);
    if (g_strv_length(words) != 4)
        return NULL;
    if (!is_all(words[0], is_address_char) || !is_all(words[1], is_digit) ||
        strlen(words[0]) + strlen(words[1]) + 1 > VMC_SSH_CLIENT_MAX)
        return NULL;
    return g_strdup_printf("%s %s", words[0], words[1]);
}

char *
vmc_ssh_parse_connection_full(const char *value)
{
    g_autofree char *client = vmc_ssh_parse_connection(value);
    if (client == NULL)
        return NULL;
    g_auto(GStrv) words = g_strsplit(value, " ", 0);
    if (!is_all(words[2], is_address_char) || !is_all(words[3], is_digit))
        return NULL;
    return g_strdup(value);
}

static gboolean
is_base64(const char *text)
{
    for (const char *p = text; *p != '\0'; p++)
        if (!g_ascii_isalnum(*p) && *p != '+' && *p != '/' && *p != '=')
            return FALSE;
    return TRUE;
}

/* The key of one "publickey TYPE BASE64" line: its fingerprint, and for a
 * certificate the certificate (or why not). */
static char *
key_of_line(const char *type, const char *base64, VmcSshCert **ret_cert, char **ret_cert_error)
{
    gsize blob_length = 0;
    if (strlen(base64) > VMC_SSH_KEY_BLOB_MAX || !is_base64(base64))
        return NULL;
    g_autofree guchar *blob = g_base64_decode(base64, &blob_length);
    if (blob == NULL || blob_length == 0)
        return NULL;
    if (!g_str_has_suffix(type, "-cert-v01@openssh.com"))
        return vmc_ssh_fingerprint(blob, blob_length);
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcSshCert) cert = vmc_ssh_cert_parse(blob, blob_length, &error);
    if (cert != NULL && strcmp(cert->type, type) != 0)
        g_set_error(&error, VMC_SSH_CERT_ERROR, VMC_SSH_CERT_ERROR_INVALID,
                    "the certificate's type is not the one sshd named");
    if (error != NULL) {
        if (ret_cert_error != NULL)
            *ret_cert_error = g_strdup(error->message);
        return vmc_ssh_fingerprint(blob, blob_length);
    }
    char *fingerprint = g_strdup(cert->key_fingerprint);
    if (ret_cert != NULL)
        *ret_cert = g_steal_pointer(&cert);
    return fingerprint;
}

gboolean
vmc_ssh_parse_user_auth(const char *text, gsize length, char **ret_fingerprint, char **ret_type,
                        VmcSshCert **ret_cert, char **ret_cert_error)
{
    g_autofree char *copy = g_strndup(text, length);
    g_auto(GStrv) lines = g_strsplit(copy, "\n", 0);

    for (guint i = 0; lines[i] != NULL; i++) {
        g_auto(GStrv) words = g_strsplit(lines[i], " ", 4);
        if (g_strv_length(words) < 3 || strcmp(words[0], "publickey") != 0)
            continue;
        if (strlen(words[1]) > 64 || !is_all(words[1], is_graph))
            continue;
        char *fingerprint = key_of_line(words[1], words[2], ret_cert, ret_cert_error);
        if (fingerprint == NULL)
            continue;
        *ret_fingerprint = fingerprint;
        *ret_type = g_strdup(words[1]);
        return TRUE;
    }
    return FALSE;
}

VmcSshContext *
vmc_ssh_context_from_env(char **env)
{
    VmcSshContext *context = g_new0(VmcSshContext, 1);
    context->client = vmc_ssh_parse_connection(g_environ_getenv(env, "SSH_CONNECTION"));
    context->connection = vmc_ssh_parse_connection_full(g_environ_getenv(env, "SSH_CONNECTION"));

    const char *auth_path = g_environ_getenv(env, "SSH_USER_AUTH");
    if (auth_path != NULL && g_path_is_absolute(auth_path)) {
        /* sshd's file (ExposeAuthInfo): no symlink, a regular file of ours, bounded */
        const VmcFileRules rules = {
            .owner = geteuid(), .max_size = VMC_SSH_USER_AUTH_MAX, .flags = VMC_FILE_ANY_LINKS};
        gsize length = 0;
        g_autofree char *text =
            vmc_file_read(AT_FDCWD, auth_path, auth_path, &rules, &length, NULL);
        if (text != NULL)
            vmc_ssh_parse_user_auth(text, length, &context->key_fingerprint, &context->key_type,
                                    &context->certificate, &context->certificate_error);
    }
    return context;
}

gboolean
vmc_ssh_parse_expiry_time(const char *text, GTimeZone *tz, gint64 *ret_us)
{
    g_return_val_if_fail(text != NULL && tz != NULL && ret_us != NULL, FALSE);
    gsize length = strlen(text);
    if ((length != 8 && length != 12 && length != 14) || strspn(text, "0123456789") != length)
        return FALSE;
    int f[6] = {0, 0, 0, 0, 0, 0};
    static const int width[6] = {4, 2, 2, 2, 2, 2};
    for (gsize i = 0, at = 0; at < length; at += width[i], i++)
        for (int k = 0; k < width[i]; k++)
            f[i] = f[i] * 10 + (text[at + k] - '0');
    g_autoptr(GDateTime) time = g_date_time_new(tz, f[0], f[1], f[2], f[3], f[4], f[5]);
    if (time == NULL || f[3] > 23)
        return FALSE;
    *ret_us = g_date_time_to_unix(time) * G_USEC_PER_SEC;
    return TRUE;
}

void
vmc_ssh_context_free(VmcSshContext *context)
{
    if (context == NULL)
        return;
    g_free(context->client);
    g_free(context->connection);
    g_free(context->key_fingerprint);
    g_free(context->key_type);
    vmc_ssh_cert_free(context->certificate);
    g_free(context->certificate_error);
    g_free(context);
}
