/* pulse-util.c — the pure parts of pulse/: the error domain, server kinds
 * and descriptions, cookie hex text, module arguments. No I/O. */
#include "pulse-priv.h"

#include "vmc-sessionlog.h"

#include <string.h>

#define PIPEWIRE_PREFIX "PulseAudio (on PipeWire "

G_DEFINE_QUARK(vmc - pulse - error - quark, vmc_pulse_error)

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
