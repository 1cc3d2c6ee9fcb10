/* config-parse.c — config text to VmcConfig. Pure.
 *
 * GKeyFile reads the values (escapes, UTF-8), but it gives no line numbers,
 * silently merges repeated sections and keeps the last of repeated keys. So a
 * line scanner runs first: it checks the structure (known sections and keys,
 * VM names, no repeats) and remembers the line of every key for messages.
 */
#include "vmc-config-priv.h"

#include <stddef.h>
#include <string.h>

#define VM_GROUP_PREFIX "vm "

typedef enum {
    VALUE_PATH,
    VALUE_SOCKET_PATTERN,
    VALUE_TITLE,
    VALUE_ACL,
    VALUE_CHANNELS,
    VALUE_TAKEOVER,
    VALUE_SANDBOX,
    VALUE_TUNNEL_CHECK,
    VALUE_MAX_SESSIONS,
    VALUE_MICROPHONE,
    VALUE_USB,
    VALUE_RECORD_RENAMED,
    VALUE_ACCOUNT,
    VALUE_FILE_TRANSFER,
    VALUE_CLIPBOARD,
    VALUE_DENIED_RATE,
    VALUE_SIZE,
    VALUE_DURATION,
} ValueKind;

typedef struct {
    const char *name;
    ValueKind kind;
    size_t offset; /* of the field in VmcConfig or VmcVmConfig */
} KeySpec;

static const KeySpec gateway_keys[] = {
    {"socket-pattern", VALUE_SOCKET_PATTERN, offsetof(VmcConfig, socket_pattern)},
    {"viewer", VALUE_PATH, offsetof(VmcConfig, viewer)},
    {"log", VALUE_PATH, offsetof(VmcConfig, log)},
    {"run-dir", VALUE_PATH, offsetof(VmcConfig, run_dir)},
    {"account", VALUE_ACCOUNT, offsetof(VmcConfig, account)},
    {"takeover", VALUE_TAKEOVER, offsetof(VmcConfig, takeover)},
    {"sandbox", VALUE_SANDBOX, offsetof(VmcConfig, sandbox)},
    {"microphone", VALUE_MICROPHONE, offsetof(VmcConfig, microphone)},
    {"usb", VALUE_USB, offsetof(VmcConfig, usb)},
    {"tunnel-check", VALUE_TUNNEL_CHECK, offsetof(VmcConfig, tunnel_check)},
    {"max-sessions-per-identity", VALUE_MAX_SESSIONS,
     offsetof(VmcConfig, max_sessions_per_identity)},
    {"file-transfer", VALUE_FILE_TRANSFER, offsetof(VmcConfig, file_transfer)},
    {"clipboard", VALUE_CLIPBOARD, offsetof(VmcConfig, clipboard)},
    {"denied-records-per-minute", VALUE_DENIED_RATE, offsetof(VmcConfig, denied_per_minute)},
    {"log-reserve", VALUE_SIZE, offsetof(VmcConfig, log_reserve)},
    {"max-duration", VALUE_DURATION, offsetof(VmcConfig, max_duration_s)},
    {"idle-timeout", VALUE_DURATION, offsetof(VmcConfig, idle_timeout_s)},
    {NULL, 0, 0},
};

static const KeySpec vm_keys[] = {
    {"socket", VALUE_PATH, offsetof(VmcVmConfig, socket)},
    {"title", VALUE_TITLE, offsetof(VmcVmConfig, title)},
    {"acl", VALUE_ACL, offsetof(VmcVmConfig, acl)},
    {"channels", VALUE_CHANNELS, offsetof(VmcVmConfig, channels)},
    {"microphone", VALUE_MICROPHONE, offsetof(VmcVmConfig, microphone)},
    {"usb", VALUE_USB, offsetof(VmcVmConfig, usb)},
    /* renamed: its default was allow, microphone's is deny — no silent alias */
    {"record", VALUE_RECORD_RENAMED, 0},
    {"file-transfer", VALUE_FILE_TRANSFER, offsetof(VmcVmConfig, file_transfer)},
    {"clipboard", VALUE_CLIPBOARD, offsetof(VmcVmConfig, clipboard)},
    {"max-duration", VALUE_DURATION, offsetof(VmcVmConfig, max_duration_s)},
    {"idle-timeout", VALUE_DURATION, offsetof(VmcVmConfig, idle_timeout_s)},
    {NULL, 0, 0},
};

typedef struct {
    const KeySpec *spec;
    guint line;
} ScanKey;

typedef struct {
    char *name; /* as in the file: "gateway" or "vm NAME" */
    guint line;
    const KeySpec *specs; /* gateway_keys or vm_keys */
    ScanKey keys[32];     /* each known key at most once */
    guint n_keys;
} ScanGroup;

typedef struct {
    const char *source;
    GError **error;
    GPtrArray *groups; /* of ScanGroup* */
    GHashTable *seen;  /* group name -> ScanGroup* (borrowed) */
    guint n_vms;
} Scan;

static gboolean scan_fail(Scan *scan, int code, guint line, const char *format, ...)
    G_GNUC_PRINTF(4, 5);

static gboolean
scan_fail(Scan *scan, int code, guint line, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    g_autofree char *what = g_strdup_vprintf(format, args);
    va_end(args);
    g_set_error(scan->error, VMC_CONFIG_ERROR, code, "%s:%u: %s", scan->source, line, what);
    return FALSE;
}

static void
scan_group_free(ScanGroup *group)
{
    g_free(group->name);
    g_free(group);
}

static char *
known_keys_text(const KeySpec *specs)
{
    GString *out = g_string_new(NULL);
    for (const KeySpec *s = specs; s->name != NULL; s++)
        if (s->kind != VALUE_RECORD_RENAMED)
            g_string_append_printf(out, "%s%s", out->len ? ", " : "", s->name);
    return g_string_free(out, FALSE);
}

/* Bytes, line by line: UTF-8, and no control characters but tab (and CR before LF). */
static gboolean
scan_check_bytes(Scan *scan, const char *data, gsize length)
{
    guint line = 1;
    for (gsize i = 0; i < length; i++) {
        guchar c = (guchar)data[i];
        if (c == '\n')
            line++;
        else if (c == '\r' && i + 1 < length && data[i + 1] == '\n')
            continue;
        else if ((c < 0x20 && c != '\t') || c == 0x7f)
            return scan_fail(scan, VMC_CONFIG_ERROR_SYNTAX, line,
                             "control character 0x%02x (a config is text: only tab is allowed)", c);
    }
    const char *end = NULL;
    if (!g_utf8_validate_len(data, length, &end)) {
        line = 1;
        for (const char *p = data; p < end; p++)
            line += *p == '\n';
        return scan_fail(scan, VMC_CONFIG_ERROR_SYNTAX, line, "not valid UTF-8");
    }
    return TRUE;
}

static gboolean
scan_group(Scan *scan, const char *name, guint line)
{
    g_autofree char *quoted = vmc_config_quote(name);
    const KeySpec *specs;
    if (strcmp(name, "gateway") == 0) {
        specs = gateway_keys;
    } else if (g_str_has_prefix(name, VM_GROUP_PREFIX)) {
        const char *vm = name + strlen(VM_GROUP_PREFIX);
        if (!vmc_vm_name_is_valid(vm))
            return scan_fail(scan, VMC_CONFIG_ERROR_VALUE, line,
                             "[%s] invalid VM name: 1 to %d of A-Z a-z 0-9 . _ -, "
                             "starting with a letter or digit",
                             quoted, VMC_VM_NAME_MAX);
        if (++scan->n_vms > VMC_CONFIG_MAX_VMS)
            return scan_fail(scan, VMC_CONFIG_ERROR_VALUE, line, "more than %d [vm] sections",
                             VMC_CONFIG_MAX_VMS);
        specs = vm_keys;
    } else {
        return scan_fail(scan, VMC_CONFIG_ERROR_UNKNOWN, line,
                         "unknown section [%s] (known: [gateway], [vm NAME])", quoted);
    }
    ScanGroup *first = g_hash_table_lookup(scan->seen, name);
    if (first != NULL)
        return scan_fail(scan, VMC_CONFIG_ERROR_SYNTAX, line,
                         "duplicate section [%s] (first at line %u): merge them into one", quoted,
                         first->line);
    ScanGroup *group = g_new0(ScanGroup, 1);
    group->name = g_strdup(name);
    group->line = line;
    group->specs = specs;
    g_ptr_array_add(scan->groups, group);
    g_hash_table_insert(scan->seen, group->name, group);
    return TRUE;
}

static gboolean
scan_key(Scan *scan, const char *key, guint line)
{
    g_autofree char *quoted = vmc_config_quote(key);
    if (scan->groups->len == 0)
        return scan_fail(scan, VMC_CONFIG_ERROR_SYNTAX, line,
                         "key '%s' before any section: start with [gateway] or [vm NAME]", quoted);
    ScanGroup *group = g_ptr_array_index(scan->groups, scan->groups->len - 1);
    g_autofree char *group_quoted = vmc_config_quote(group->name);
    const KeySpec *spec = group->specs;
    while (spec->name != NULL && strcmp(spec->name, key) != 0)
        spec++;
    if (spec->name == NULL) {
        g_autofree char *known = known_keys_text(group->specs);
        return scan_fail(scan, VMC_CONFIG_ERROR_UNKNOWN, line, "[%s] unknown key '%s' (known: %s)",
                         group_quoted, quoted, known);
    }
    for (guint i = 0; i < group->n_keys; i++)
        if (group->keys[i].spec == spec)
            return scan_fail(scan, VMC_CONFIG_ERROR_SYNTAX, line,
                             "[%s] duplicate key '%s' (first at line %u): keep one", group_quoted,
                             quoted, group->keys[i].line);
    g_assert(group->n_keys < G_N_ELEMENTS(group->keys));
    group->keys[group->n_keys++] = (ScanKey){spec, line};
    return TRUE;
}

/* One line, the way GKeyFile reads it: blank or # comment, [group], key=value. */
static gboolean
scan_line(Scan *scan, char *text, guint line)
{
    g_strstrip(text);
    if (text[0] == '\0' || text[0] == '#')
        return TRUE;
    gsize len = strlen(text);
    if (text[0] == '[') {
        if (text[len - 1] != ']' || len < 3)
            return scan_fail(scan, VMC_CONFIG_ERROR_SYNTAX, line,
                             "a section header is [gateway] or [vm NAME]");
        text[len - 1] = '\0';
        return scan_group(scan, text + 1, line);
    }
    char *equals = strchr(text, '=');
    if (equals == NULL || equals == text) {
        const char *hint = text[0] == ';' ? "comments start with #, not ;"
                                          : "expected KEY = VALUE, [SECTION] or # comment";
        return scan_fail(scan, VMC_CONFIG_ERROR_SYNTAX, line, "%s", hint);
    }
    *equals = '\0';
    return scan_key(scan, g_strchomp(text), line);
}

static gboolean
scan_text(Scan *scan, const char *text)
{
    guint line = 1;
    const char *start = text;
    while (*start != '\0') {
        const char *end = strchrnul(start, '\n');
        g_autofree char *copy = g_strndup(start, (gsize)(end - start));
        if (!scan_line(scan, copy, line))
            return FALSE;
        if (*end == '\0')
            break;
        start = end + 1;
        line++;
    }
    return TRUE;
}

static gboolean
apply_value(const KeySpec *spec, void *target, const char *value, char **ret_why)
{
    void *field = (char *)target + spec->offset;
    char *copy = NULL;
    switch (spec->kind) {
    case VALUE_PATH:
        if (!vmc_config_check_path(value, ret_why))
            return FALSE;
        copy = g_strdup(value);
        break;
    case VALUE_SOCKET_PATTERN:
        if (!vmc_config_check_socket_pattern(value, ret_why))
            return FALSE;
        copy = g_strdup(value);
        break;
    case VALUE_ACCOUNT:
        if (!vmc_config_check_account(value, ret_why))
            return FALSE;
        copy = g_strdup(value);
        break;
    case VALUE_TITLE:
        if (!vmc_config_check_title(value, ret_why))
            return FALSE;
        copy = g_strdup(value);
        break;
    case VALUE_ACL:
        if (!vmc_config_normalise_acl(value, &copy, ret_why))
            return FALSE;
        break;
    case VALUE_CHANNELS: {
        char **channels = NULL;
        if (!vmc_config_parse_channels(value, &channels, ret_why))
            return FALSE;
        g_strfreev(*(char ***)field);
        *(char ***)field = channels;
        return TRUE;
    }
    case VALUE_TAKEOVER:
        return vmc_config_parse_takeover(value, field, ret_why);
    case VALUE_SANDBOX:
        return vmc_config_parse_sandbox(value, field, ret_why);
    case VALUE_TUNNEL_CHECK:
        return vmc_config_parse_tunnel_check(value, field, ret_why);
    case VALUE_MAX_SESSIONS:
        return vmc_config_parse_max_sessions(value, field, ret_why);
    case VALUE_MICROPHONE:
        return vmc_config_parse_microphone(value, field, ret_why);
    case VALUE_USB:
        return vmc_config_parse_usb(value, field, ret_why);
    case VALUE_RECORD_RENAMED:
        *ret_why = g_strdup("'record' is now 'microphone' (allow or deny; the default is deny, "
                            "and it can be set for every VM in [gateway]): rename the key");
        return FALSE;
    case VALUE_FILE_TRANSFER:
        return vmc_config_parse_file_transfer(value, field, ret_why);
    case VALUE_CLIPBOARD:
        return vmc_config_parse_clipboard(value, field, ret_why);
    case VALUE_DENIED_RATE:
        return vmc_config_parse_denied_rate(value, field, ret_why);
    case VALUE_SIZE:
        return vmc_config_parse_size(value, field, ret_why);
    case VALUE_DURATION:
        return vmc_config_parse_duration(value, field, ret_why);
    }
    g_free(*(char **)field);
    *(char **)field = copy;
    return TRUE;
}

/* Read one key's value from GKeyFile, check it and store it in target. */
static gboolean
load_value(Scan *scan, GKeyFile *keyfile, const ScanGroup *group, const ScanKey *key, void *target)
{
    g_autofree char *group_quoted = vmc_config_quote(group->name);
    g_autoptr(GError) local = NULL;
    g_autofree char *value = g_key_file_get_string(keyfile, group->name, key->spec->name, &local);
    g_autofree char *why = NULL;
    /* on a bad escape GKeyFile sets the error but still returns a value */
    if (local != NULL)
        why = g_strdup(local->message);
    else if (value == NULL)
        why = g_strdup("no value");
    else if (g_strstrip(value)[0] == '\0')
        why = g_strdup("empty value: remove the line to use the default");
    else if (key->spec->kind != VALUE_TITLE && strpbrk(value, ";#") != NULL)
        why = g_strdup("inline comments are not supported: put the comment on its own line "
                       "starting with #");
    if (why == NULL && apply_value(key->spec, target, value, &why))
        return TRUE;
    g_autofree char *value_quoted = vmc_config_quote(value != NULL ? value : "");
    return scan_fail(scan, VMC_CONFIG_ERROR_VALUE, key->line, "[%s] %s = '%s': %s", group_quoted,
                     key->spec->name, value_quoted, why);
}

static VmcVmConfig *
vm_config_new(const char *name)
{
    VmcVmConfig *vm = g_new0(VmcVmConfig, 1);
    vm->name = g_strdup(name);
    vm->channels = g_strsplit(VMC_CONFIG_DEFAULT_CHANNELS, " ", -1);
    vm->file_transfer = VMC_CONFIG_DEFAULT_FILE_TRANSFER;
    vm->clipboard = VMC_CONFIG_DEFAULT_CLIPBOARD;
    return vm;
}

/* GKeyFile must have seen what the scanner saw: the same groups in order, each with
 * the same number of keys. Anything else is a parser disagreement: refuse. */
static gboolean
keyfile_matches_scan(GKeyFile *keyfile, const Scan *scan)
{
    gsize n_groups = 0;
    g_auto(GStrv) groups = g_key_file_get_groups(keyfile, &n_groups);
    if (n_groups != scan->groups->len)
        return FALSE;
    for (guint i = 0; i < scan->groups->len; i++) {
        const ScanGroup *group = g_ptr_array_index(scan->groups, i);
        if (strcmp(groups[i], group->name) != 0)
            return FALSE;
        gsize n_keys = 0;
        g_auto(GStrv) keys = g_key_file_get_keys(keyfile, group->name, &n_keys, NULL);
        if (keys == NULL || n_keys != group->n_keys)
            return FALSE;
    }
    return TRUE;
}

static gboolean
group_has_key(const ScanGroup *group, ValueKind kind)
{
    for (guint k = 0; k < group->n_keys; k++)
        if (group->keys[k].spec->kind == kind)
            return TRUE;
    return FALSE;
}

static gboolean
group_has_spec(const ScanGroup *group, const char *name)
{
    for (guint k = 0; k < group->n_keys; k++)
        if (strcmp(group->keys[k].spec->name, name) == 0)
            return TRUE;
    return FALSE;
}

/* A [vm] section without its own agent keys or session limits takes the [gateway] ones,
 * wherever [gateway] stands in the file. */
static void
inherit_gateway_keys(const Scan *scan, VmcConfig *config)
{
    guint vm_index = 0;
    for (guint i = 0; i < scan->groups->len; i++) {
        const ScanGroup *group = g_ptr_array_index(scan->groups, i);
        if (group->specs != vm_keys)
            continue;
        VmcVmConfig *vm = g_ptr_array_index(config->vms, vm_index++);
        if (!group_has_key(group, VALUE_FILE_TRANSFER))
            vm->file_transfer = config->file_transfer;
        if (!group_has_key(group, VALUE_CLIPBOARD))
            vm->clipboard = config->clipboard;
        if (!group_has_spec(group, "max-duration"))
            vm->max_duration_s = config->max_duration_s;
        if (!group_has_spec(group, "idle-timeout"))
            vm->idle_timeout_s = config->idle_timeout_s;
    }
}

static gboolean
load_groups(Scan *scan, GKeyFile *keyfile, VmcConfig *config)
{
    for (guint i = 0; i < scan->groups->len; i++) {
        const ScanGroup *group = g_ptr_array_index(scan->groups, i);
        void *target = config;
        if (group->specs == vm_keys) {
            VmcVmConfig *vm = vm_config_new(group->name + strlen(VM_GROUP_PREFIX));
            g_ptr_array_add(config->vms, vm);
            target = vm;
        }
        for (guint k = 0; k < group->n_keys; k++)
            if (!load_value(scan, keyfile, group, &group->keys[k], target))
                return FALSE;
    }
    inherit_gateway_keys(scan, config);
    return TRUE;
}

VmcConfig *
vmc_config_load_data(const char *data, gsize length, const char *source, GError **error)
{
    g_return_val_if_fail(data != NULL || length == 0, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    if (source == NULL)
        source = "(config)";
    if (length > VMC_CONFIG_MAX_BYTES) {
        g_set_error(error, VMC_CONFIG_ERROR, VMC_CONFIG_ERROR_SYNTAX,
                    "%s: larger than %d bytes: this is not a gateway config", source,
                    VMC_CONFIG_MAX_BYTES);
        return NULL;
    }
    g_autoptr(GPtrArray) groups = g_ptr_array_new_with_free_func((GDestroyNotify)scan_group_free);
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    Scan scan = {source, error, groups, seen, 0};
    if (!scan_check_bytes(&scan, data, length))
        return NULL;
    g_autofree char *text = g_strndup(data != NULL ? data : "", length);
    if (!scan_text(&scan, text))
        return NULL;

    g_autoptr(GKeyFile) keyfile = g_key_file_new();
    g_autoptr(GError) local = NULL;
    if (!g_key_file_load_from_data(keyfile, text, length, G_KEY_FILE_KEEP_TRANSLATIONS, &local)) {
        g_set_error(error, VMC_CONFIG_ERROR, VMC_CONFIG_ERROR_SYNTAX, "%s: %s", source,
                    local->message);
        return NULL;
    }
    if (!keyfile_matches_scan(keyfile, &scan)) {
        g_set_error(error, VMC_CONFIG_ERROR, VMC_CONFIG_ERROR_SYNTAX,
                    "%s: cannot be read unambiguously as a key file", source);
        return NULL;
    }
    g_autoptr(VmcConfig) config = vmc_config_new_default();
    g_free(config->path);
    config->path = g_strdup(source);
    if (!load_groups(&scan, keyfile, config))
        return NULL;
    return g_steal_pointer(&config);
}
