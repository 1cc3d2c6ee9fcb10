/* native-line.c — the pure parts of native mode: the gateway's greeting,
 * the requests, the viewer's argv and environment, the channel type of a
 * viewer's connection. The greeting comes from the host: hostile input,
 * parsed strictly with bounds (and fuzzed).
 */
#include "native-priv.h"

#include <string.h>

#define GREETING_HEAD "vmconsole-native 1 token="
#define GREETING_TITLE " title="

static gboolean
is_lower_hex(const char *s, gsize n)
{
    for (gsize i = 0; i < n; i++)
        if (!g_ascii_isdigit(s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
            return FALSE;
    return TRUE;
}

/* The value of the hex digit c (0..15), or -1. */
static int
hex_value(char c)
{
    return g_ascii_xdigit_value(c);
}

/* The byte an escape at s (after the backslash, n bytes left) stands for;
 * sets *ret_used to the bytes it took. -1: not an escape vmc_text_escape writes. */
static int
unescape_one(const char *s, gsize n, gsize *ret_used)
{
    static const char shorts[] = {'\\', '\\', 'n', '\n', 't', '\t', 'r', '\r', 'e', 0x1b};
    for (gsize i = 0; n > 0 && i < sizeof shorts; i += 2)
        if (s[0] == shorts[i]) {
            *ret_used = 1;
            return (guchar)shorts[i + 1];
        }
    if (n >= 3 && s[0] == 'x' && hex_value(s[1]) >= 0 && hex_value(s[2]) >= 0) {
        *ret_used = 3;
        return hex_value(s[1]) * 16 + hex_value(s[2]);
    }
    return -1;
}

/* The title unescaped, or NULL when that is not clean UTF-8 (a control or
 * format character, an invalid sequence, a lone backslash). */
static char *
title_unescaped(const char *s, gsize n)
{
    g_autoptr(GString) out = g_string_sized_new(n);
    for (gsize i = 0; i < n; i++) {
        if (s[i] != '\\') {
            g_string_append_c(out, s[i]);
            continue;
        }
        gsize used = 0;
        int c = unescape_one(s + i + 1, n - i - 1, &used);
        if (c < 0)
            return NULL;
        g_string_append_c(out, (char)c);
        i += used;
    }
    if (!g_utf8_validate_len(out->str, out->len, NULL))
        return NULL;
    for (const char *p = out->str; *p != '\0'; p = g_utf8_next_char(p)) {
        GUnicodeType type = g_unichar_type(g_utf8_get_char(p));
        if (type == G_UNICODE_CONTROL || type == G_UNICODE_FORMAT ||
            type == G_UNICODE_LINE_SEPARATOR || type == G_UNICODE_PARAGRAPH_SEPARATOR)
            return NULL; /* controls, bidirectional overrides, line breaks */
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}

gboolean
vmc_native_parse_greeting(const char *line, gsize length, const char *vm, VmcNativeGreeting *ret)
{
    g_return_val_if_fail(line != NULL && vm != NULL && ret != NULL, FALSE);
    const gsize head = strlen(GREETING_HEAD), sep = strlen(GREETING_TITLE);
    if (length > VMC_NATIVE_LINE_MAX || length < head + VMC_NATIVE_TOKEN_HEX + sep)
        return FALSE;
    if (memcmp(line, GREETING_HEAD, head) != 0 ||
        !is_lower_hex(line + head, VMC_NATIVE_TOKEN_HEX) ||
        memcmp(line + head + VMC_NATIVE_TOKEN_HEX, GREETING_TITLE, sep) != 0)
        return FALSE;
    const char *title = line + head + VMC_NATIVE_TOKEN_HEX + sep;
    gsize title_length = length - (gsize)(title - line);
    if (title_length > VMC_NATIVE_TITLE_MAX)
        return FALSE;
    for (gsize i = 0; i < title_length; i++)
        if (title[i] < 0x20 || title[i] > 0x7e)
            return FALSE;

    VmcNativeGreeting greeting = {{0}};
    memcpy(greeting.token, line + head, VMC_NATIVE_TOKEN_HEX);
    if (title_length == 0)
        greeting.title = g_strdup(vm);
    else if ((greeting.title = title_unescaped(title, title_length)) == NULL)
        greeting.title = g_strndup(title, title_length);
    *ret = greeting;
    return TRUE;
}

void
vmc_native_greeting_clear(VmcNativeGreeting *greeting)
{
    if (greeting == NULL)
        return;
    memset(greeting->token, 0, sizeof greeting->token);
    g_clear_pointer(&greeting->title, g_free);
}

char *
vmc_native_request(const VmcLauncherArgs *args)
{
    g_return_val_if_fail(args != NULL && args->vm != NULL, NULL);
    return g_strconcat(args->vm, " --native", args->takeover ? " --takeover" : "",
                       args->microphone ? " --microphone" : "", NULL);
}

char *
vmc_native_attach_request(const char *token)
{
    g_return_val_if_fail(token != NULL, NULL);
    return g_strconcat("attach ", token, NULL);
}

char **
vmc_native_viewer_argv(const char *viewer, const char *title, const char *socket_path,
                       gboolean no_audio)
{
    g_return_val_if_fail(viewer != NULL && title != NULL && socket_path != NULL, NULL);
    GPtrArray *argv = g_ptr_array_new();
    g_ptr_array_add(argv, g_strdup(viewer));
    g_ptr_array_add(argv, g_strconcat("--title=", title, NULL));
    if (no_audio)
        g_ptr_array_add(argv, g_strdup("--spice-disable-audio"));
    g_ptr_array_add(argv, g_strconcat("spice+unix://", socket_path, NULL));
    g_ptr_array_add(argv, NULL);
    return (char **)g_ptr_array_free(argv, FALSE);
}

static const char *const viewer_env_names[] = {
    "DISPLAY",         "XAUTHORITY", "WAYLAND_DISPLAY", "GDK_BACKEND", "HOME", "PATH",
    "XDG_RUNTIME_DIR", "LANG",       "LANGUAGE",
};

static gboolean
viewer_env_allowed(const char *entry)
{
    const char *eq = strchr(entry, '=');
    if (eq == NULL || eq == entry)
        return FALSE;
    gsize n = (gsize)(eq - entry);
    if ((n > 3 && strncmp(entry, "LC_", 3) == 0) || (n > 6 && strncmp(entry, "PULSE_", 6) == 0)) {
        for (gsize i = 0; i < n; i++)
            if (!g_ascii_isupper(entry[i]) && entry[i] != '_')
                return FALSE;
        return TRUE;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(viewer_env_names); i++)
        if (strlen(viewer_env_names[i]) == n && strncmp(entry, viewer_env_names[i], n) == 0)
            return TRUE;
    return FALSE;
}

char **
vmc_native_viewer_env(const char *const *parent)
{
    GPtrArray *env = g_ptr_array_new();
    for (gsize i = 0; parent != NULL && parent[i] != NULL; i++)
        if (viewer_env_allowed(parent[i]))
            g_ptr_array_add(env, g_strdup(parent[i]));
    g_ptr_array_add(env, NULL);
    return (char **)g_ptr_array_free(env, FALSE);
}

#define LINK_TYPE_OFFSET 20 /* magic 4, major 4, minor 4, size 4, connection id 4 */

int
vmc_native_link_channel_type(const guint8 *data, gsize length)
{
    if (data == NULL || length <= LINK_TYPE_OFFSET || memcmp(data, "REDQ", 4) != 0)
        return -1;
    return data[LINK_TYPE_OFFSET] != 0 ? data[LINK_TYPE_OFFSET] : -1;
}
