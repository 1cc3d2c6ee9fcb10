/* config.c — the VmcConfig object: defaults, reading the file, and what the
 * gateway asks of it (a VM's socket, the list of VMs). */
#include "vmc-config-priv.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "vmc-common.h"

/* the GError domain "vmc-config-error-quark" */
GQuark
vmc_config_error_quark(void)
{
    return g_quark_from_static_string("vmc-config-error-quark");
}

#define LOAD_HINT "pass --config FILE or create it (see data/gateway.conf.example)"

void
vmc_vm_config_free(VmcVmConfig *vm)
{
    if (vm == NULL)
        return;
    g_free(vm->name);
    g_free(vm->socket);
    g_free(vm->title);
    g_free(vm->acl);
    g_strfreev(vm->channels);
    g_free(vm);
}

VmcConfig *
vmc_config_new_default(void)
{
    VmcConfig *config = g_new0(VmcConfig, 1);
    config->path = g_strdup("(built-in defaults)");
    config->socket_pattern = g_strdup(VMC_CONFIG_DEFAULT_SOCKET_PATTERN);
    config->viewer = g_strdup(VMC_CONFIG_DEFAULT_VIEWER);
    config->log = g_strdup(VMC_CONFIG_DEFAULT_LOG);
    config->run_dir = g_strdup(VMC_CONFIG_DEFAULT_RUN_DIR);
    config->account = g_strdup(VMC_CONFIG_DEFAULT_ACCOUNT);
    config->takeover = VMC_TAKEOVER_DENY;
    config->sandbox = VMC_SANDBOX_ON;
    config->microphone = VMC_MICROPHONE_DENY;
    config->usb = VMC_USB_DENY;
    config->tunnel_check = VMC_SANDBOX_ON;
    config->max_sessions_per_identity = VMC_CONFIG_DEFAULT_MAX_SESSIONS;
    config->file_transfer = VMC_CONFIG_DEFAULT_FILE_TRANSFER;
    config->clipboard = VMC_CONFIG_DEFAULT_CLIPBOARD;
    config->denied_per_minute = VMC_CONFIG_DEFAULT_DENIED_RATE;
    config->log_reserve = VMC_CONFIG_DEFAULT_LOG_RESERVE;
    config->vms = g_ptr_array_new_with_free_func((GDestroyNotify)vmc_vm_config_free);
    return config;
}

void
vmc_config_free(VmcConfig *config)
{
    if (config == NULL)
        return;
    g_free(config->path);
    g_free(config->socket_pattern);
    g_free(config->viewer);
    g_free(config->log);
    g_free(config->run_dir);
    g_free(config->account);
    g_ptr_array_unref(config->vms);
    g_free(config);
}

static VmcConfig *
load_fail(GError **error, const char *path, int errsv)
{
    g_set_error(error, VMC_CONFIG_ERROR, VMC_CONFIG_ERROR_IO, "cannot read config %s: %s; %s", path,
                g_strerror(errsv), LOAD_HINT);
    return NULL;
}

VmcConfig *
vmc_config_load(const char *path, GError **error)
{
    g_return_val_if_fail(path != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    /* The admin's file, so a symlink or a second name is fine; a FIFO must
     * not hang the load, and the size is bounded. errno says why not. */
    const VmcFileRules rules = {.owner = VMC_FILE_OWNER_ANY,
                                .max_size = VMC_CONFIG_MAX_BYTES,
                                .flags = VMC_FILE_FOLLOW | VMC_FILE_ANY_LINKS};
    gsize length = 0;
    g_autofree char *data = vmc_file_read(AT_FDCWD, path, path, &rules, &length, NULL);
    if (data == NULL)
        return load_fail(error, path, errno);
    return vmc_config_load_data(data, length, path, error);
}

const VmcVmConfig *
vmc_config_find_vm(const VmcConfig *config, const char *name)
{
    g_return_val_if_fail(config != NULL && name != NULL, NULL);
    for (guint i = 0; i < config->vms->len; i++) {
        const VmcVmConfig *vm = g_ptr_array_index(config->vms, i);
        if (strcmp(vm->name, name) == 0)
            return vm;
    }
    return NULL;
}

void
vmc_config_agent_policy(const VmcConfig *config, const char *name,
                        VmcFileTransferPolicy *ret_file_transfer, VmcClipboardPolicy *ret_clipboard)
{
    g_return_if_fail(config != NULL && name != NULL);
    g_return_if_fail(ret_file_transfer != NULL && ret_clipboard != NULL);
    const VmcVmConfig *vm = vmc_config_find_vm(config, name);
    *ret_file_transfer = vm != NULL ? vm->file_transfer : config->file_transfer;
    *ret_clipboard = vm != NULL ? vm->clipboard : config->clipboard;
}

char *
vmc_config_socket_path(const VmcConfig *config, const char *name)
{
    g_return_val_if_fail(config != NULL && name != NULL, NULL);
    g_return_val_if_fail(vmc_vm_name_is_valid(name), NULL);
    const VmcVmConfig *vm = vmc_config_find_vm(config, name);
    if (vm != NULL && vm->socket != NULL)
        return g_strdup(vm->socket);
    const char *mark = strstr(config->socket_pattern, "%s");
    g_return_val_if_fail(mark != NULL, NULL);
    g_autofree char *prefix =
        g_strndup(config->socket_pattern, (gsize)(mark - config->socket_pattern));
    return g_strconcat(prefix, name, mark + 2, NULL);
}

/* Names of the entries of the pattern's directory that fit its final component. */
static void
add_names_from_pattern(const char *pattern, GPtrArray *names)
{
    g_autofree char *dir_path = g_path_get_dirname(pattern);
    g_autofree char *base = g_path_get_basename(pattern);
    const char *mark = strstr(base, "%s");
    if (mark == NULL)
        return;
    gsize prefix_len = (gsize)(mark - base);
    const char *suffix = mark + 2;
    gsize suffix_len = strlen(suffix);

    g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
    if (dir == NULL)
        return; /* no socket directory: only the listed VMs exist */
    const char *entry;
    guint seen = 0, found = 0;
    while ((entry = g_dir_read_name(dir)) != NULL && seen++ < VMC_CONFIG_MAX_DIR_ENTRIES &&
           found < VMC_CONFIG_MAX_VMS) {
        gsize len = strlen(entry);
        if (len <= prefix_len + suffix_len || strncmp(entry, base, prefix_len) != 0 ||
            strcmp(entry + len - suffix_len, suffix) != 0)
            continue;
        g_autofree char *name = g_strndup(entry + prefix_len, len - prefix_len - suffix_len);
        if (!vmc_vm_name_is_valid(name))
            continue;
        g_ptr_array_add(names, g_steal_pointer(&name));
        found++;
    }
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

GPtrArray *
vmc_config_list_vm_names(const VmcConfig *config)
{
    g_return_val_if_fail(config != NULL, NULL);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < config->vms->len; i++) {
        const VmcVmConfig *vm = g_ptr_array_index(config->vms, i);
        g_ptr_array_add(names, g_strdup(vm->name));
    }
    add_names_from_pattern(config->socket_pattern, names);
    g_ptr_array_sort(names, compare_names);

    GPtrArray *unique = g_ptr_array_new_with_free_func(g_free);
    gsize n = 0;
    g_autofree char **sorted = (char **)g_ptr_array_steal(names, &n);
    g_ptr_array_unref(names);
    for (gsize i = 0; i < n; i++) {
        if (unique->len > 0 && strcmp(g_ptr_array_index(unique, unique->len - 1), sorted[i]) == 0)
            g_free(sorted[i]);
        else
            g_ptr_array_add(unique, sorted[i]);
    }
    return unique;
}

void
vmc_config_session_limits(const VmcConfig *config, const char *name, guint *ret_max_duration_s,
                          guint *ret_idle_timeout_s)
{
    g_return_if_fail(config != NULL && name != NULL);
    g_return_if_fail(ret_max_duration_s != NULL && ret_idle_timeout_s != NULL);
    const VmcVmConfig *vm = vmc_config_find_vm(config, name);
    *ret_max_duration_s = vm != NULL ? vm->max_duration_s : config->max_duration_s;
    *ret_idle_timeout_s = vm != NULL ? vm->idle_timeout_s : config->idle_timeout_s;
}

gboolean
vmc_config_usb_allowed(const VmcConfig *config, const char *name)
{
    g_return_val_if_fail(config != NULL && name != NULL, FALSE);
    const VmcVmConfig *vm = vmc_config_find_vm(config, name);
    VmcUsbPolicy policy = vm != NULL && vm->usb != VMC_USB_UNSET ? vm->usb : config->usb;
    return policy == VMC_USB_ALLOW;
}

gboolean
vmc_config_microphone_allowed(const VmcConfig *config, const char *name)
{
    g_return_val_if_fail(config != NULL && name != NULL, FALSE);
    const VmcVmConfig *vm = vmc_config_find_vm(config, name);
    VmcMicrophonePolicy policy =
        vm != NULL && vm->microphone != VMC_MICROPHONE_UNSET ? vm->microphone : config->microphone;
    return policy == VMC_MICROPHONE_ALLOW;
}
