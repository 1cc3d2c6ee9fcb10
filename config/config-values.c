/* config-values.c — what a good value of each config key looks like. Pure. */
#include "vmc-config-priv.h"

#include <string.h>

#include "vmc-common.h"

#define QUOTE_MAX 80

static const char *const known_channels[] = {
    "main",   "display",   "inputs",   "cursor", "playback", "record",
    "tunnel", "smartcard", "usbredir", "port",   "webdav",
};

static gboolean fail(char **ret_why, const char *format, ...) G_GNUC_PRINTF(2, 3);

static gboolean
fail(char **ret_why, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    *ret_why = g_strdup_vprintf(format, args);
    va_end(args);
    return FALSE;
}

char *
vmc_config_quote(const char *s)
{
    return vmc_text_escape_with(s, -1, QUOTE_MAX, VMC_ESCAPE_HEX_ONLY | VMC_ESCAPE_QUOTES);
}

gboolean
vmc_vm_name_is_valid(const char *name)
{
    g_return_val_if_fail(name != NULL, FALSE);
    if (!g_ascii_isalnum(name[0]))
        return FALSE;
    gsize i;
    for (i = 1; name[i] != '\0'; i++) {
        char c = name[i];
        if (i >= VMC_VM_NAME_MAX)
            return FALSE;
        if (!g_ascii_isalnum(c) && c != '.' && c != '_' && c != '-')
            return FALSE;
    }
    return TRUE;
}

gboolean
vmc_config_channel_is_known(const char *name)
{
    g_return_val_if_fail(name != NULL, FALSE);
    for (gsize i = 0; i < G_N_ELEMENTS(known_channels); i++)
        if (strcmp(name, known_channels[i]) == 0)
            return TRUE;
    return FALSE;
}

/* Printable: valid UTF-8, no control, format (bidi overrides…), unassigned
 * or surrogate code points. */
static gboolean
text_is_printable(const char *s)
{
    if (!g_utf8_validate(s, -1, NULL))
        return FALSE;
    for (const char *p = s; *p != '\0'; p = g_utf8_next_char(p))
        if (!g_unichar_isprint(g_utf8_get_char(p)))
            return FALSE;
    return TRUE;
}

gboolean
vmc_config_check_path(const char *value, char **ret_why)
{
    g_return_val_if_fail(value != NULL && ret_why != NULL, FALSE);
    if (value[0] != '/')
        return fail(ret_why, "must be an absolute path (starting with /)");
    if (strlen(value) > VMC_CONFIG_PATH_MAX)
        return fail(ret_why, "path longer than %d bytes", VMC_CONFIG_PATH_MAX);
    if (!text_is_printable(value))
        return fail(ret_why, "path contains control or non-printable characters");
    g_auto(GStrv) parts = g_strsplit(value, "/", -1);
    for (gsize i = 0; parts[i] != NULL; i++)
        if (strcmp(parts[i], "..") == 0)
            return fail(ret_why, "path must not contain a '..' component");
    return TRUE;
}

gboolean
vmc_config_check_socket_pattern(const char *value, char **ret_why)
{
    g_return_val_if_fail(value != NULL && ret_why != NULL, FALSE);
    if (!vmc_config_check_path(value, ret_why))
        return FALSE;
    const char *mark = strstr(value, "%s");
    const char *percent = strchr(value, '%');
    if (mark == NULL)
        return fail(ret_why, "must contain %%s where the VM name goes, e.g. /var/spicex/%%s.sock");
    if (percent != mark || strchr(mark + 1, '%') != NULL)
        return fail(ret_why, "must contain exactly one %%s and no other %%");
    if (strchr(mark, '/') != NULL)
        return fail(ret_why, "%%s must be in the final path component (the socket's file name)");
    return TRUE;
}

gboolean
vmc_config_check_title(const char *value, char **ret_why)
{
    g_return_val_if_fail(value != NULL && ret_why != NULL, FALSE);
    if (strlen(value) > VMC_CONFIG_TITLE_MAX)
        return fail(ret_why, "title longer than %d bytes", VMC_CONFIG_TITLE_MAX);
    if (!text_is_printable(value))
        return fail(ret_why, "title contains control or non-printable characters");
    return TRUE;
}

/* A user or group name ([a-z_][a-z0-9_.-]{0,31}) or a numeric id. */
static gboolean
acl_name_is_valid(const char *name)
{
    gsize len = strlen(name);
    if (len == 0 || len > 32)
        return FALSE;
    if (strspn(name, "0123456789") == len) {
        guint64 id = 0;
        /* (uid_t)-1 is "no id" to the kernel: refuse it */
        return len <= 10 && g_ascii_string_to_unsigned(name, 10, 0, G_MAXUINT32 - 1, &id, NULL);
    }
    if (!(g_ascii_islower(name[0]) || name[0] == '_'))
        return FALSE;
    return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_.-") == len;
}

gboolean
vmc_config_check_account(const char *value, char **ret_why)
{
    if (strspn(value, "0123456789") == strlen(value) || !acl_name_is_valid(value))
        return fail(ret_why, "not a user name: 1 to %d of a-z 0-9 _ . -, starting with a-z or _",
                    VMC_CONFIG_ACCOUNT_MAX);
    return TRUE;
}

/* "rw-" style, or a subset of "rwx" in order; *ret is the "rw-" form. */
static gboolean
acl_perms_normalise(const char *perms, char ret[4])
{
    static const char letters[] = "rwx";
    gsize len = strlen(perms);
    if (len == 3 && strspn(perms, "rwx-") == 3) {
        for (int i = 0; i < 3; i++)
            if (perms[i] != letters[i] && perms[i] != '-')
                return FALSE;
        memcpy(ret, perms, 4);
        return TRUE;
    }
    if (len == 0 || len > 3)
        return FALSE;
    char out[4] = "---";
    const char *p = perms;
    for (int i = 0; i < 3; i++)
        if (*p == letters[i])
            out[i] = *p++;
    if (*p != '\0')
        return FALSE;
    memcpy(ret, out, 4);
    return TRUE;
}

/* One entry into "kind:name:perms"; NULL (and *ret_why) when it is bad. */
static char *
acl_entry_normalise(const char *entry, char **ret_why)
{
    g_auto(GStrv) parts = g_strsplit(entry, ":", 4);
    g_autofree char *quoted = vmc_config_quote(entry);
    if (g_strv_length(parts) != 3) {
        fail(ret_why, "ACL entry '%s' is not KIND:NAME:PERMS (e.g. group:spicex:rw)", quoted);
        return NULL;
    }
    const char *kind;
    if (strcmp(parts[0], "user") == 0 || strcmp(parts[0], "u") == 0)
        kind = "user";
    else if (strcmp(parts[0], "group") == 0 || strcmp(parts[0], "g") == 0)
        kind = "group";
    else {
        fail(ret_why, "ACL entry '%s': kind must be user, u, group or g", quoted);
        return NULL;
    }
    if (!acl_name_is_valid(parts[1])) {
        fail(ret_why, "ACL entry '%s': not a valid user or group name", quoted);
        return NULL;
    }
    char perms[4];
    if (!acl_perms_normalise(parts[2], perms)) {
        fail(ret_why, "ACL entry '%s': permissions must be like rw, r, rwx or rw-", quoted);
        return NULL;
    }
    return g_strdup_printf("%s:%s:%s", kind, parts[1], perms);
}

gboolean
vmc_config_normalise_acl(const char *value, char **ret_acl, char **ret_why)
{
    g_return_val_if_fail(value != NULL && ret_acl != NULL && ret_why != NULL, FALSE);
    g_auto(GStrv) entries = g_strsplit_set(value, ", \t", -1);
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
    for (gsize i = 0; entries[i] != NULL; i++) {
        if (entries[i][0] == '\0')
            continue;
        if (out->len == VMC_CONFIG_ACL_MAX_ENTRIES)
            return fail(ret_why, "more than %d ACL entries", VMC_CONFIG_ACL_MAX_ENTRIES);
        char *entry = acl_entry_normalise(entries[i], ret_why);
        if (entry == NULL)
            return FALSE;
        g_ptr_array_add(out, entry);
        /* the same kind:name twice is a contradiction or a typo */
        gsize prefix = strlen(entry) - 3;
        for (guint j = 0; j + 1 < out->len; j++) {
            if (strncmp(out->pdata[j], entry, prefix) == 0) {
                g_autofree char *quoted = vmc_config_quote(entries[i]);
                return fail(ret_why, "ACL entry '%s' names the same %.*s twice", quoted,
                            (int)(prefix - 1), entry);
            }
        }
    }
    if (out->len == 0)
        return fail(ret_why, "empty ACL; remove the key if the VM has no stored policy");
    g_ptr_array_add(out, NULL);
    *ret_acl = g_strjoinv(",", (char **)out->pdata);
    return TRUE;
}

gboolean
vmc_config_parse_channels(const char *value, char ***ret_channels, char **ret_why)
{
    g_return_val_if_fail(value != NULL && ret_channels != NULL && ret_why != NULL, FALSE);
    g_auto(GStrv) words = g_strsplit_set(value, " \t", -1);
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
    gboolean has_main = FALSE;
    for (gsize i = 0; words[i] != NULL; i++) {
        const char *word = words[i];
        if (word[0] == '\0')
            continue;
        g_autofree char *quoted = vmc_config_quote(word);
        if (!vmc_config_channel_is_known(word))
            return fail(ret_why,
                        "unknown channel '%s' (known: main, display, inputs, cursor, playback, "
                        "record, tunnel, smartcard, usbredir, port, webdav)",
                        quoted);
        for (guint j = 0; j < out->len; j++)
            if (strcmp(out->pdata[j], word) == 0)
                return fail(ret_why, "channel '%s' is listed twice", quoted);
        has_main = has_main || strcmp(word, "main") == 0;
        g_ptr_array_add(out, g_strdup(word));
    }
    if (!has_main)
        return fail(ret_why, "channels must include main: without the main channel no Spice "
                             "session can start");
    g_ptr_array_add(out, NULL);
    *ret_channels = (char **)g_ptr_array_free(g_steal_pointer(&out), FALSE);
    return TRUE;
}

gboolean
vmc_config_parse_takeover(const char *value, VmcTakeover *ret_takeover, char **ret_why)
{
    g_return_val_if_fail(value != NULL && ret_takeover != NULL && ret_why != NULL, FALSE);
    if (strcmp(value, "deny") == 0)
        *ret_takeover = VMC_TAKEOVER_DENY;
    else if (strcmp(value, "allow") == 0)
        *ret_takeover = VMC_TAKEOVER_ALLOW;
    else
        return fail(ret_why, "must be deny or allow");
    return TRUE;
}

/* "on" or "off"; off_means says what off does, for the message. */
static gboolean
parse_on_off(const char *value, VmcSandboxMode *ret_mode, const char *off_means, char **ret_why)
{
    if (strcmp(value, "on") == 0)
        *ret_mode = VMC_SANDBOX_ON;
    else if (strcmp(value, "off") == 0)
        *ret_mode = VMC_SANDBOX_OFF;
    else
        return fail(ret_why, "must be on or off (off %s: vmconsole-admin check says so)",
                    off_means);
    return TRUE;
}

gboolean
vmc_config_parse_sandbox(const char *value, VmcSandboxMode *ret_sandbox, char **ret_why)
{
    g_return_val_if_fail(value != NULL && ret_sandbox != NULL && ret_why != NULL, FALSE);
    return parse_on_off(value, ret_sandbox,
                        "runs the viewer without its sandbox: every record says so too", ret_why);
}

gboolean
vmc_config_parse_tunnel_check(const char *value, VmcSandboxMode *ret_check, char **ret_why)
{
    g_return_val_if_fail(value != NULL && ret_check != NULL && ret_why != NULL, FALSE);
    return parse_on_off(value, ret_check,
                        "accepts any loopback port as a sound tunnel, another person's too",
                        ret_why);
}

gboolean
vmc_config_parse_microphone(const char *value, VmcMicrophonePolicy *ret_microphone, char **ret_why)
{
    g_return_val_if_fail(value != NULL && ret_microphone != NULL && ret_why != NULL, FALSE);
    if (strcmp(value, "allow") == 0)
        *ret_microphone = VMC_MICROPHONE_ALLOW;
    else if (strcmp(value, "deny") == 0)
        *ret_microphone = VMC_MICROPHONE_DENY;
    else
        return fail(ret_why, "must be allow or deny (the microphone: the Spice record channel, "
                             "let through only when the person also asks for it)");
    return TRUE;
}

gboolean
vmc_config_parse_usb(const char *value, VmcUsbPolicy *ret_usb, char **ret_why)
{
    g_return_val_if_fail(value != NULL && ret_usb != NULL && ret_why != NULL, FALSE);
    if (strcmp(value, "allow") == 0)
        *ret_usb = VMC_USB_ALLOW;
    else if (strcmp(value, "deny") == 0)
        *ret_usb = VMC_USB_DENY;
    else
        return fail(ret_why, "must be allow or deny (USB redirection: the Spice usbredir "
                             "channels of a viewer on the laptop)");
    return TRUE;
}

static const char *const file_transfer_names[] = {
    [VMC_FILE_TRANSFER_DENY] = "deny",
    [VMC_FILE_TRANSFER_ALLOW] = "allow",
};

static const char *const clipboard_names[] = {
    [VMC_CLIPBOARD_BOTH] = "both",
    [VMC_CLIPBOARD_TO_VM] = "to-vm",
    [VMC_CLIPBOARD_FROM_VM] = "from-vm",
    [VMC_CLIPBOARD_NONE] = "none",
};

const char *
vmc_config_file_transfer_name(VmcFileTransferPolicy policy)
{
    g_return_val_if_fail((guint)policy < G_N_ELEMENTS(file_transfer_names), NULL);
    return file_transfer_names[policy];
}

const char *
vmc_config_clipboard_name(VmcClipboardPolicy policy)
{
    g_return_val_if_fail((guint)policy < G_N_ELEMENTS(clipboard_names), NULL);
    return clipboard_names[policy];
}

/* The index of value in names, or -1. */
static int
name_index(const char *const *names, gsize n_names, const char *value)
{
    for (gsize i = 0; i < n_names; i++)
        if (strcmp(names[i], value) == 0)
            return (int)i;
    return -1;
}

gboolean
vmc_config_parse_file_transfer(const char *value, VmcFileTransferPolicy *ret_policy, char **ret_why)
{
    g_return_val_if_fail(value != NULL && ret_policy != NULL && ret_why != NULL, FALSE);
    int i = name_index(file_transfer_names, G_N_ELEMENTS(file_transfer_names), value);
    if (i < 0)
        return fail(ret_why, "must be deny or allow (files from the laptop into the VM)");
    *ret_policy = (VmcFileTransferPolicy)i;
    return TRUE;
}

gboolean
vmc_config_parse_clipboard(const char *value, VmcClipboardPolicy *ret_policy, char **ret_why)
{
    g_return_val_if_fail(value != NULL && ret_policy != NULL && ret_why != NULL, FALSE);
    int i = name_index(clipboard_names, G_N_ELEMENTS(clipboard_names), value);
    if (i < 0)
        return fail(ret_why, "must be both, to-vm, from-vm or none (which way clipboard data "
                             "may cross)");
    *ret_policy = (VmcClipboardPolicy)i;
    return TRUE;
}

/* A decimal number of at most 4 digits from 1 to max (<= 9999). */
static gboolean
parse_small_number(const char *value, guint max, guint *ret_number)
{
    guint64 number = 0;
    gsize len = strlen(value);
    if (len == 0 || len > 4 || strspn(value, "0123456789") != len ||
        !g_ascii_string_to_unsigned(value, 10, 1, max, &number, NULL))
        return FALSE;
    *ret_number = (guint)number;
    return TRUE;
}

gboolean
vmc_config_parse_max_sessions(const char *value, guint *ret_max, char **ret_why)
{
    g_return_val_if_fail(value != NULL && ret_max != NULL && ret_why != NULL, FALSE);
    if (!parse_small_number(value, VMC_CONFIG_MAX_SESSIONS, ret_max))
        return fail(ret_why, "must be a number from 1 to %d", VMC_CONFIG_MAX_SESSIONS);
    return TRUE;
}

gboolean
vmc_config_parse_denied_rate(const char *value, guint *ret_rate, char **ret_why)
{
    g_return_val_if_fail(value != NULL && ret_rate != NULL && ret_why != NULL, FALSE);
    if (!parse_small_number(value, VMC_CONFIG_DENIED_RATE_MAX, ret_rate))
        return fail(ret_why,
                    "must be a number from 1 to %d (denied records written per "
                    "identity and client address per minute)",
                    VMC_CONFIG_DENIED_RATE_MAX);
    return TRUE;
}

gboolean
vmc_config_parse_size(const char *value, guint64 *ret_bytes, char **ret_why)
{
    g_return_val_if_fail(value != NULL && ret_bytes != NULL && ret_why != NULL, FALSE);
    static const char units[] = "KMG";
    gsize digits = strspn(value, "0123456789");
    const char *unit = digits > 0 && value[digits] != '\0' ? strchr(units, value[digits]) : NULL;
    guint shift = unit != NULL ? 10 * (guint)(unit - units + 1) : 0;
    gsize len = strlen(value);
    char text[14] = "";
    guint64 number = 0;
    if (digits > 0 && digits < sizeof(text))
        memcpy(text, value, digits);
    if (digits == 0 || digits >= sizeof(text) || len != digits + (unit != NULL) ||
        !g_ascii_string_to_unsigned(text, 10, 0, VMC_CONFIG_SIZE_MAX >> shift, &number, NULL))
        return fail(ret_why, "must be a size in bytes, optionally with K, M or G (e.g. 64M), "
                             "of at most 1024G");
    *ret_bytes = number << shift;
    return TRUE;
}

gboolean
vmc_config_parse_duration(const char *value, guint *ret_seconds, char **ret_why)
{
    g_return_val_if_fail(value != NULL && ret_seconds != NULL && ret_why != NULL, FALSE);
    static const char units[] = "smhd";
    static const guint unit_seconds[] = {1, 60, 3600, 86400};
    if (strcmp(value, "off") == 0) {
        *ret_seconds = 0;
        return TRUE;
    }
    gsize digits = strspn(value, "0123456789");
    const char *unit = digits > 0 && value[digits] != '\0' ? strchr(units, value[digits]) : NULL;
    char text[9] = "";
    guint64 number = 0;
    if (digits > 0 && digits < sizeof(text))
        memcpy(text, value, digits);
    if (unit == NULL || digits >= sizeof(text) || strlen(value) != digits + 1 ||
        !g_ascii_string_to_unsigned(text, 10, 1, G_MAXUINT32, &number, NULL) ||
        number > VMC_CONFIG_DURATION_MAX / unit_seconds[unit - units])
        return fail(ret_why,
                    "must be off or a duration with its unit: s, m, h or d (e.g. 90s, 30m, 8h), "
                    "from 1s to 366d");
    *ret_seconds = (guint)number * unit_seconds[unit - units];
    return TRUE;
}
