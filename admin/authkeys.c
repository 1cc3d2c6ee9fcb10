/* authkeys.c — authorized_keys lines: parse them as sshd does, check the
 * parts `authorize` takes from the admin, and build the locked-down line.
 * Pure. */
#include "admin-priv.h"

#include <gio/gio.h>
#include <string.h>

/* the GError domain "vmc-admin-error-quark" */
GQuark
vmc_admin_error_quark(void)
{
    return g_quark_from_static_string("vmc-admin-error-quark");
}

#define GATEWAY_BASENAME "vmconsole-gateway"
#define KEY_BLOB_MAX 8192 /* base64 bytes of a key: a 16384-bit RSA key is ~2.8 KB */

static const char *const known_types[] = {
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    NULL,
};

static gboolean G_GNUC_PRINTF(2, 3) invalid(GError **error, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    g_autofree char *message = g_strdup_vprintf(format, args);
    va_end(args);
    g_set_error_literal(error, VMC_ADMIN_ERROR, VMC_ADMIN_ERROR_INVALID, message);
    return FALSE;
}

static gboolean
type_is_known(const char *type, gsize length)
{
    for (guint i = 0; known_types[i] != NULL; i++)
        if (strlen(known_types[i]) == length && strncmp(known_types[i], type, length) == 0)
            return TRUE;
    return FALSE;
}

static void
option_free(VmcAuthKeyOption *option)
{
    g_free(option->name);
    g_free(option->value);
    g_free(option);
}

void
vmc_authkey_free(VmcAuthKey *key)
{
    if (key == NULL)
        return;
    g_ptr_array_unref(key->options);
    g_free(key->type);
    g_free(key->blob);
    g_free(key->comment);
    g_free(key->principal);
    g_free(key);
}

gboolean
vmc_authkey_line_is_blank(const char *line)
{
    line += strspn(line, " \t");
    return *line == '\0' || *line == '#';
}

/* A double-quoted value starting at *p (on the quote); sshd's rule: \" is a
 * quote, any other backslash stays. Moves *p past the closing quote. */
static char *
parse_quoted(const char **p, GError **error)
{
    const char *s = *p + 1;
    GString *value = g_string_new(NULL);
    while (*s != '\0' && *s != '"') {
        if (s[0] == '\\' && s[1] == '"')
            s++;
        g_string_append_c(value, *s++);
    }
    if (*s != '"') {
        g_string_free(value, TRUE);
        invalid(error, "an option value has no closing quote");
        return NULL;
    }
    *p = s + 1;
    return g_string_free(value, FALSE);
}

/* One option at *p: NAME or NAME="VALUE". */
static VmcAuthKeyOption *
parse_option(const char **p, GError **error)
{
    const char *s = *p;
    gsize n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");
    if (n == 0) {
        invalid(error, "bad key option at '%.20s' (options are NAME or NAME=\"VALUE\")", s);
        return NULL;
    }
    g_autofree char *value = NULL;
    if (s[n] == '=') {
        const char *q = s + n + 1;
        if (*q != '"') {
            invalid(error, "the value of option %.*s is not in double quotes", (int)n, s);
            return NULL;
        }
        value = parse_quoted(&q, error);
        if (value == NULL)
            return NULL;
        *p = q;
    } else {
        *p = s + n;
    }
    VmcAuthKeyOption *option = g_new0(VmcAuthKeyOption, 1);
    option->name = g_ascii_strdown(s, (gssize)n);
    option->value = g_steal_pointer(&value);
    return option;
}

static gboolean
parse_options(const char **p, GPtrArray *options, GError **error)
{
    for (;;) {
        if (options->len == VMC_AUTHKEYS_MAX_OPTIONS)
            return invalid(error, "more than %d key options", VMC_AUTHKEYS_MAX_OPTIONS);
        VmcAuthKeyOption *option = parse_option(p, error);
        if (option == NULL)
            return FALSE;
        g_ptr_array_add(options, option);
        if (**p == ',') {
            (*p)++;
            continue;
        }
        if (**p == ' ' || **p == '\t')
            return TRUE;
        if (**p == '\0')
            return invalid(error, "key options end without a key after them");
        return invalid(error, "unexpected '%c' after key option %s", **p,
                       ((VmcAuthKeyOption *)g_ptr_array_index(options, options->len - 1))->name);
    }
}

static guint32
read_be32(const guchar *b)
{
    return ((guint32)b[0] << 24) | ((guint32)b[1] << 16) | ((guint32)b[2] << 8) | b[3];
}

/* The blob is canonical base64 whose first string is the key type. */
static gboolean
check_blob(const char *blob, gsize length, const char *type, GError **error)
{
    gsize data_len = length;
    while (data_len > 0 && length - data_len < 2 && blob[data_len - 1] == '=')
        data_len--;
    if (length == 0 || length % 4 != 0 || length > KEY_BLOB_MAX ||
        strspn(blob, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") < data_len)
        return invalid(error, "the key is not base64");
    g_autofree char *copy = g_strndup(blob, length);
    gsize n = 0;
    g_autofree guchar *raw = g_base64_decode(copy, &n);
    gsize type_len = strlen(type);
    if (n < 4 || read_be32(raw) != type_len || n - 4 < type_len ||
        memcmp(raw + 4, type, type_len) != 0)
        return invalid(error, "the key data is not a %s key", type);
    return TRUE;
}

static gboolean
line_is_printable(const char *line, GError **error)
{
    gsize length = strlen(line);
    if (length > VMC_AUTHKEYS_LINE_MAX)
        return invalid(error, "line longer than %d bytes", VMC_AUTHKEYS_LINE_MAX);
    for (const guchar *p = (const guchar *)line; *p != '\0'; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            return invalid(error, "control character 0x%02x in the line", *p);
    return TRUE;
}

/* TYPE BLOB [COMMENT] at p into key. */
static gboolean
parse_key_part(const char *p, VmcAuthKey *key, GError **error)
{
    gsize type_len = strcspn(p, " \t");
    if (!type_is_known(p, type_len))
        return invalid(error,
                       "'%.*s' is not a known key type (ssh-ed25519, ssh-rsa, "
                       "ecdsa-sha2-*, sk-*)",
                       (int)MIN(type_len, 40), p);
    key->type = g_strndup(p, type_len);
    p += type_len;
    p += strspn(p, " \t");
    gsize blob_len = strcspn(p, " \t");
    if (!check_blob(p, blob_len, key->type, error))
        return FALSE;
    key->blob = g_strndup(p, blob_len);
    p += blob_len;
    p += strspn(p, " \t");
    g_autofree char *comment = g_strdup(p);
    g_strchomp(comment);
    if (comment[0] != '\0')
        key->comment = g_steal_pointer(&comment);
    return TRUE;
}

VmcAuthKey *
vmc_authkey_parse(const char *line, GError **error)
{
    g_return_val_if_fail(line != NULL, NULL);
    if (!line_is_printable(line, error))
        return NULL;
    g_autoptr(VmcAuthKey) key = g_new0(VmcAuthKey, 1);
    key->options = g_ptr_array_new_with_free_func((GDestroyNotify)option_free);
    const char *p = line + strspn(line, " \t");
    if (*p == '\0' || *p == '#') {
        invalid(error, "no key on the line");
        return NULL;
    }
    if (!type_is_known(p, strcspn(p, " \t"))) {
        if (!parse_options(&p, key->options, error))
            return NULL;
        p += strspn(p, " \t");
    }
    if (!parse_key_part(p, key, error))
        return NULL;
    return g_steal_pointer(&key);
}

gboolean
vmc_authkey_principal_is_valid(const char *principal)
{
    gsize length = strlen(principal);
    return length > 0 && length <= VMC_AUTHKEYS_PRINCIPAL_MAX && principal[0] != '-' &&
           strspn(principal, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                             "_@.+=:-") == length;
}

VmcAuthKey *
vmc_authkey_parse_principal(const char *line, GError **error)
{
    g_return_val_if_fail(line != NULL, NULL);
    if (!line_is_printable(line, error))
        return NULL;
    g_autoptr(VmcAuthKey) key = g_new0(VmcAuthKey, 1);
    key->options = g_ptr_array_new_with_free_func((GDestroyNotify)option_free);
    g_autofree char *copy = g_strstrip(g_strdup(line));
    if (copy[0] == '\0' || copy[0] == '#') {
        invalid(error, "no principal on the line");
        return NULL;
    }
    /* sshd: the principal is after the last blank, the options before it */
    char *last = MAX(strrchr(copy, ' '), strrchr(copy, '\t'));
    const char *principal = last != NULL ? last + 1 : copy;
    if (last != NULL) {
        *last = '\0';
        g_strchomp(copy);
        g_autofree char *options = g_strconcat(copy, " ", NULL);
        const char *p = options;
        if (!parse_options(&p, key->options, error))
            return NULL;
        if (*(p + strspn(p, " \t")) != '\0') {
            invalid(error, "more than one word after the options (OPTIONS PRINCIPAL)");
            return NULL;
        }
    }
    if (strlen(principal) > VMC_AUTHKEYS_PRINCIPAL_MAX) {
        invalid(error, "principal longer than %d bytes", VMC_AUTHKEYS_PRINCIPAL_MAX);
        return NULL;
    }
    key->principal = g_strdup(principal);
    return g_steal_pointer(&key);
}

const VmcAuthKeyOption *
vmc_authkey_find_option(const VmcAuthKey *key, const char *name)
{
    for (guint i = 0; i < key->options->len; i++) {
        const VmcAuthKeyOption *option = g_ptr_array_index(key->options, i);
        if (g_ascii_strcasecmp(option->name, name) == 0)
            return option;
    }
    return NULL;
}

gboolean
vmc_authkey_identity_is_valid(const char *identity)
{
    gsize length = strlen(identity);
    if (length == 0 || length > VMC_AUTHKEYS_IDENTITY_MAX)
        return FALSE;
    if (identity[0] == '-' || identity[0] == '.')
        return FALSE;
    return strspn(identity, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
           length;
}

/* The gateway's argv as the key's command= gives it: TRUE when it is the
 * gateway with only --config FILE, --identity NAME and --expires DIGITS
 * (each at most once); *ret_identity points into words (NULL without
 * --identity). */
static gboolean
split_gateway_command(char **words, const char **ret_identity)
{
    guint n = g_strv_length(words);
    *ret_identity = NULL;
    if (n < 1 || !g_path_is_absolute(words[0]) ||
        strcmp(strrchr(words[0], '/') + 1, GATEWAY_BASENAME) != 0)
        return FALSE;
    gboolean config = FALSE, expires = FALSE;
    for (guint i = 1; i < n; i += 2) {
        if (i + 1 >= n)
            return FALSE;
        if (strcmp(words[i], "--identity") == 0 && *ret_identity == NULL)
            *ret_identity = words[i + 1];
        else if (strcmp(words[i], "--config") == 0 && !config && g_path_is_absolute(words[i + 1]))
            config = TRUE;
        else if (strcmp(words[i], "--expires") == 0 && !expires && words[i + 1][0] != '\0' &&
                 strspn(words[i + 1], "0123456789") == strlen(words[i + 1]))
            expires = TRUE;
        else
            return FALSE;
    }
    return TRUE;
}

char *
vmc_authkey_gateway_identity(const char *command)
{
    g_auto(GStrv) words = g_strsplit(command, " ", -1);
    const char *identity = NULL;
    if (!split_gateway_command(words, &identity) || identity == NULL ||
        !vmc_authkey_identity_is_valid(identity))
        return NULL;
    return g_strdup(identity);
}

gboolean
vmc_authkey_gateway_without_identity(const char *command)
{
    g_auto(GStrv) words = g_strsplit(command, " ", -1);
    const char *identity = NULL;
    return split_gateway_command(words, &identity) && identity == NULL;
}

/* Digits only, exactly n of them, as a number. */
static gboolean
take_digits(const char **p, guint n, guint *ret)
{
    guint value = 0;
    for (guint i = 0; i < n; i++) {
        if (!g_ascii_isdigit((*p)[i]))
            return FALSE;
        value = value * 10 + (guint)((*p)[i] - '0');
    }
    *p += n;
    *ret = value;
    return TRUE;
}

/* Year, month, day, hour, minute, second from one of the accepted forms. */
static gboolean
split_date(const char *text, guint f[6])
{
    const char *p = text;
    gboolean dashed = strlen(text) >= 10 && text[4] == '-';
    if (!take_digits(&p, 4, &f[0]) || (dashed && *p++ != '-') || !take_digits(&p, 2, &f[1]) ||
        (dashed && *p++ != '-') || !take_digits(&p, 2, &f[2]))
        return FALSE;
    f[3] = f[4] = f[5] = 0;
    if (*p == '\0')
        return TRUE;
    if (dashed && *p != 'T' && *p != ' ')
        return FALSE;
    p += dashed;
    if (!take_digits(&p, 2, &f[3]) || (dashed && *p++ != ':') || !take_digits(&p, 2, &f[4]))
        return FALSE;
    if (*p == '\0')
        return TRUE;
    if ((dashed && *p++ != ':') || !take_digits(&p, 2, &f[5]))
        return FALSE;
    return *p == '\0';
}

gboolean
vmc_authkey_parse_expiry(const char *text, char **ret_expiry, GError **error)
{
    guint f[6];
    if (strlen(text) > 32 || !split_date(text, f))
        return invalid(error,
                       "'%.40s' is not a date: use YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] "
                       "or YYYYMMDD[HHMM[SS]]",
                       text);
    if (f[0] < 1970 || f[0] > 9999 ||
        !g_date_valid_dmy((GDateDay)f[2], (GDateMonth)f[1], (GDateYear)f[0]) || f[3] > 23 ||
        f[4] > 59 || f[5] > 59)
        return invalid(error, "'%.40s' is not a valid date and time", text);
    *ret_expiry = g_strdup_printf("%04u%02u%02u%02u%02u%02u", f[0], f[1], f[2], f[3], f[4], f[5]);
    return TRUE;
}

gboolean
vmc_authkey_check_from(const char *text, GError **error)
{
    g_auto(GStrv) patterns = g_strsplit(text, ",", -1);
    guint n = g_strv_length(patterns);
    if (n == 0 || n > VMC_AUTHKEYS_MAX_FROM)
        return invalid(error, "--from needs 1 to %d addresses or CIDR blocks",
                       VMC_AUTHKEYS_MAX_FROM);
    for (guint i = 0; i < n; i++) {
        const char *p = patterns[i];
        gsize length = strlen(p);
        g_autoptr(GInetAddressMask) mask = NULL;
        if (length > 0 && length <= 64 && strspn(p, "0123456789abcdefABCDEF.:/") == length)
            mask = g_inet_address_mask_new_from_string(p, NULL);
        if (mask == NULL)
            return invalid(error,
                           "--from: '%.64s' is not an address or CIDR block "
                           "(e.g. 192.0.2.0/24 or 2001:db8::/32)",
                           p);
    }
    return TRUE;
}

static gboolean
comment_is_printable(const char *comment)
{
    gsize length = strlen(comment);
    if (length > VMC_AUTHKEYS_COMMENT_MAX)
        return FALSE;
    for (gsize i = 0; i < length; i++)
        if (!g_ascii_isprint(comment[i]))
            return FALSE;
    return TRUE;
}

static void append_options(GString *line, const VmcAuthorizeSpec *spec);

char *
vmc_authkey_format_line(const VmcAuthorizeSpec *spec, const VmcAuthKey *key)
{
    g_return_val_if_fail(spec != NULL && key != NULL, NULL);
    g_return_val_if_fail(vmc_authkey_identity_is_valid(spec->identity), NULL);
    /* the path lands inside command="...": the build's absolute bindir path */
    g_return_val_if_fail(g_path_is_absolute(spec->gateway_path) &&
                             strpbrk(spec->gateway_path, "\"\\ \t") == NULL,
                         NULL);
    GString *line = g_string_new(NULL);
    append_options(line, spec);
    g_string_append_printf(line, " %s %s", key->type, key->blob);
    if (key->comment != NULL && comment_is_printable(key->comment))
        g_string_append_printf(line, " %s", key->comment);
    return g_string_free(line, FALSE);
}

char *
vmc_authkey_format_principal_line(const VmcAuthorizeSpec *spec, const char *principal)
{
    g_return_val_if_fail(spec != NULL && principal != NULL, NULL);
    g_return_val_if_fail(vmc_authkey_identity_is_valid(spec->identity), NULL);
    g_return_val_if_fail(vmc_authkey_principal_is_valid(principal), NULL);
    g_return_val_if_fail(g_path_is_absolute(spec->gateway_path) &&
                             strpbrk(spec->gateway_path, "\"\\ \t") == NULL,
                         NULL);
    GString *line = g_string_new(NULL);
    append_options(line, spec);
    g_string_append_printf(line, " %s", principal);
    return g_string_free(line, FALSE);
}

/* restrict,command="GATEWAY --identity NAME",X11-forwarding and what spec adds */
static void
append_options(GString *line, const VmcAuthorizeSpec *spec)
{
    /* the expiry goes to the gateway too: sshd's only stops new logins */
    g_string_append_printf(line, "restrict,command=\"%s --identity %s%s%s\",X11-forwarding",
                           spec->gateway_path, spec->identity,
                           spec->expiry != NULL ? " --expires " : "",
                           spec->expiry != NULL ? spec->expiry : "");
    if (spec->audio && spec->audio_port == 0)
        g_string_append(line, ",port-forwarding,permitlisten=\"localhost:*\"");
    else if (spec->audio)
        g_string_append_printf(line, ",port-forwarding,permitlisten=\"localhost:%u\"",
                               spec->audio_port);
    if (spec->from != NULL)
        g_string_append_printf(line, ",from=\"%s\"", spec->from);
    if (spec->expiry != NULL)
        g_string_append_printf(line, ",expiry-time=\"%s\"", spec->expiry);
}
