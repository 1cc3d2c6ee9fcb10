/* pulse-util.c — the pure parts of pulse/: the error domain, server kinds
 * and descriptions, cookie hex text, module arguments. No I/O. */
#include "pulse-priv.h"

#include <string.h>

#define PIPEWIRE_PREFIX "PulseAudio (on PipeWire "

/* the GError domain "vmc-pulse-error-quark" */
GQuark
vmc_pulse_error_quark(void)
{
    return g_quark_from_static_string("vmc-pulse-error-quark");
}

void
vmc_pulse_server_info_free(VmcPulseServerInfo *info)
{
    if (info == NULL)
        return;
    g_free(info->name);
    g_free(info->version);
    g_free(info);
}

VmcPulseServerKind
vmc_pulse_server_kind(const char *name)
{
    if (name == NULL)
        return VMC_PULSE_SERVER_OTHER;
    if (strcmp(name, "pulseaudio") == 0)
        return VMC_PULSE_SERVER_PULSEAUDIO;
    g_autofree char *version = vmc_pulse_pipewire_version(name);
    return version != NULL ? VMC_PULSE_SERVER_PIPEWIRE : VMC_PULSE_SERVER_OTHER;
}

char *
vmc_pulse_pipewire_version(const char *name)
{
    gsize prefix = strlen(PIPEWIRE_PREFIX), length;
    if (name == NULL || !g_str_has_prefix(name, PIPEWIRE_PREFIX))
        return NULL;
    length = strlen(name);
    if (length <= prefix + 1 || name[length - 1] != ')')
        return NULL;
    g_autofree char *version = g_strndup(name + prefix, length - prefix - 1);
    if (strpbrk(version, "()") != NULL) /* one version, nothing nested */
        return NULL;
    return g_steal_pointer(&version);
}

/* s escaped for a progress line; "?" for NULL or empty. */
static char *
describe_part(const char *s)
{
    if (s == NULL || *s == '\0')
        return g_strdup("?");
    return vmc_text_escape(s, -1, VMC_PULSE_DESCRIBE_PART_MAX);
}

char *
vmc_pulse_server_describe(const VmcPulseServerInfo *info)
{
    g_return_val_if_fail(info != NULL, NULL);
    g_autofree char *version = describe_part(info->version);
    g_autofree char *text = NULL;
    g_autofree char *pipewire = vmc_pulse_pipewire_version(info->name);

    if (info->kind == VMC_PULSE_SERVER_PULSEAUDIO) {
        text = g_strdup_printf("PulseAudio %s", version);
    } else if (info->kind == VMC_PULSE_SERVER_PIPEWIRE && pipewire != NULL) {
        g_autofree char *pw = describe_part(pipewire);
        text = g_strdup_printf("PipeWire %s (pulse server %s)", pw, version);
    } else {
        g_autofree char *name = describe_part(info->name);
        text = g_strdup_printf("%s %s", name, version);
    }
    return g_steal_pointer(&text);
}

char *
vmc_pulse_cookie_to_hex(const guint8 *cookie)
{
    static const char digits[] = "0123456789abcdef";
    g_return_val_if_fail(cookie != NULL, NULL);
    char *hex = g_malloc(VMC_PULSE_COOKIE_HEX + 1);
    for (gsize i = 0; i < VMC_PULSE_COOKIE_SIZE; i++) {
        hex[2 * i] = digits[cookie[i] >> 4];
        hex[2 * i + 1] = digits[cookie[i] & 0xf];
    }
    hex[VMC_PULSE_COOKIE_HEX] = '\0';
    return hex;
}

static int
hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

gboolean
vmc_pulse_cookie_from_hex(const char *hex, gsize length, guint8 *ret_cookie, GError **error)
{
    guint8 cookie[VMC_PULSE_COOKIE_SIZE];
    g_return_val_if_fail(hex != NULL || length == 0, FALSE);
    g_return_val_if_fail(ret_cookie != NULL, FALSE);

    /* the text is a secret: say what is wrong with it, never what it holds */
    if (length != VMC_PULSE_COOKIE_HEX) {
        g_set_error(error, VMC_PULSE_ERROR, VMC_PULSE_ERROR_INVALID,
                    "the sound cookie must be %d lowercase hex characters, got %" G_GSIZE_FORMAT
                    " bytes: send the cookie the launcher printed",
                    VMC_PULSE_COOKIE_HEX, length);
        return FALSE;
    }
    for (gsize i = 0; i < VMC_PULSE_COOKIE_SIZE; i++) {
        int high = hex_value(hex[2 * i]), low = hex_value(hex[2 * i + 1]);
        if (high < 0 || low < 0) {
            g_set_error(error, VMC_PULSE_ERROR, VMC_PULSE_ERROR_INVALID,
                        "the sound cookie must be lowercase hex: character %" G_GSIZE_FORMAT
                        " is not [0-9a-f]",
                        2 * i + (high < 0 ? 1 : 2));
            return FALSE;
        }
        cookie[i] = (guint8)(high << 4 | low);
    }
    memcpy(ret_cookie, cookie, sizeof(cookie));
    return TRUE;
}

gboolean
vmc_pulse_path_is_safe(const char *path)
{
    if (path == NULL || path[0] != '/' || strlen(path) > VMC_PULSE_PATH_MAX)
        return FALSE;
    if (strstr(path, "..") != NULL)
        return FALSE;
    for (const char *p = path; *p != '\0'; p++) {
        if (!g_ascii_isalnum(*p) && strchr("/._-", *p) == NULL)
            return FALSE;
    }
    return TRUE;
}

char *
vmc_pulse_module_argument(guint16 port, const char *cookie_path)
{
    g_return_val_if_fail(port != 0, NULL);
    if (cookie_path == NULL)
        return g_strdup_printf("listen=127.0.0.1 port=%u auth-anonymous=1", port);
    g_return_val_if_fail(vmc_pulse_path_is_safe(cookie_path), NULL);
    /* never auth-ip-acl: through the tunnel every host-side client is 127.0.0.1 */
    return g_strdup_printf("listen=127.0.0.1 port=%u auth-anonymous=0 auth-cookie-enabled=1 "
                           "auth-cookie=%s",
                           port, cookie_path);
}

/* ---- the owner file ---- */

#define OWNER_MAGIC "vmconsole-pulse-endpoint 1\n"

static gboolean
printable_ascii(const char *text, gsize length)
{
    for (gsize i = 0; i < length; i++) {
        if (text[i] < 0x20 || text[i] > 0x7e)
            return FALSE;
    }
    return TRUE;
}

char *
vmc_pulse_owner_format(const VmcPulseOwner *owner)
{
    g_return_val_if_fail(owner != NULL && owner->argument != NULL, NULL);
    g_return_val_if_fail(printable_ascii(owner->argument, strlen(owner->argument)), NULL);
    return g_strdup_printf(OWNER_MAGIC "pid=%" G_GUINT32_FORMAT "\nstart=%" G_GUINT64_FORMAT
                                       "\nmodule=%" G_GUINT32_FORMAT "\nargument=%s\n",
                           owner->pid, owner->start, owner->module, owner->argument);
}

/* "KEY=DIGITS\n" at *p (at most max as a number); advances *p. */
static gboolean
take_number(const char **p, const char *end, const char *key, guint64 max, guint64 *ret)
{
    gsize key_length = strlen(key);
    if ((gsize)(end - *p) < key_length + 2 || memcmp(*p, key, key_length) != 0 ||
        (*p)[key_length] != '=')
        return FALSE;
    const char *q = *p + key_length + 1;
    const char *digits = q;
    guint64 value = 0;
    while (q < end && g_ascii_isdigit(*q)) {
        guint digit = (guint)(*q - '0');
        if (value > (max - digit) / 10)
            return FALSE;
        value = value * 10 + digit;
        q++;
    }
    gsize count = (gsize)(q - digits);
    if (count == 0 || (count > 1 && digits[0] == '0') || q >= end || *q != '\n')
        return FALSE;
    *p = q + 1;
    *ret = value;
    return TRUE;
}

gboolean
vmc_pulse_owner_parse(const char *text, gsize length, VmcPulseOwner *ret_owner)
{
    g_return_val_if_fail(ret_owner != NULL, FALSE);
    if (text == NULL || length > VMC_PULSE_OWNER_MAX || length < strlen(OWNER_MAGIC) ||
        memcmp(text, OWNER_MAGIC, strlen(OWNER_MAGIC)) != 0)
        return FALSE;
    const char *p = text + strlen(OWNER_MAGIC), *end = text + length;
    guint64 pid, start, module;
    if (!take_number(&p, end, "pid", G_MAXINT32, &pid) || pid == 0 ||
        !take_number(&p, end, "start", G_MAXUINT64, &start) ||
        !take_number(&p, end, "module", G_MAXUINT32, &module))
        return FALSE;
    static const char key[] = "argument=";
    if ((gsize)(end - p) < sizeof key || memcmp(p, key, sizeof key - 1) != 0)
        return FALSE;
    p += sizeof key - 1;
    const char *newline = memchr(p, '\n', (gsize)(end - p));
    if (newline == NULL || newline + 1 != end || newline == p ||
        !printable_ascii(p, (gsize)(newline - p)))
        return FALSE;
    ret_owner->pid = (guint32)pid;
    ret_owner->start = start;
    ret_owner->module = (guint32)module;
    ret_owner->argument = g_strndup(p, (gsize)(newline - p));
    return TRUE;
}

void
vmc_pulse_owner_clear(VmcPulseOwner *owner)
{
    if (owner != NULL)
        g_clear_pointer(&owner->argument, g_free);
}

gboolean
vmc_pulse_stat_start_time(const char *text, gsize length, guint64 *ret_start)
{
    if (text == NULL || length == 0 || length > VMC_PULSE_STAT_MAX)
        return FALSE;
    const char *end = text + length, *paren = NULL;
    for (const char *p = text; p < end; p++) {
        if (*p == ')')
            paren = p;
    }
    if (paren == NULL)
        return FALSE;
    /* after "(comm)": " state ppid ..." — field 3 is the first; 22 is starttime */
    const char *p = paren + 1;
    for (int field = 3; field <= 22; field++) {
        if (p >= end || *p != ' ')
            return FALSE;
        p++;
        const char *word = p;
        while (p < end && *p != ' ' && *p != '\n')
            p++;
        if (p == word)
            return FALSE;
        if (field == 22) {
            guint64 value = 0;
            for (const char *d = word; d < p; d++) {
                if (!g_ascii_isdigit(*d) || value > (G_MAXUINT64 - (guint64)(*d - '0')) / 10)
                    return FALSE;
                value = value * 10 + (guint64)(*d - '0');
            }
            *ret_start = value;
            return TRUE;
        }
    }
    return FALSE;
}

char *
vmc_pulse_server_unix_path(const char *server)
{
    if (server == NULL)
        return NULL;
    const char *path = g_str_has_prefix(server, "unix:") ? server + strlen("unix:") : server;
    /* 108: sizeof(sockaddr_un.sun_path), with room for the NUL */
    if (path[0] != '/' || strlen(path) >= 108 || strpbrk(path, " \t\n{}") != NULL)
        return NULL;
    return g_strdup(path);
}
