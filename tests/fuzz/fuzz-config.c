/* fuzz-config.c — libFuzzer target for the config parser
 * (vmc_config_load_data). Any input must either fail with a VMC_CONFIG_ERROR
 * message naming the source, or give a config whose invariants hold. */
#include "vmc-config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SOURCE "fuzz.conf"

static void
check(gboolean ok)
{
    if (!ok)
        abort();
}

static gboolean
path_is_absolute(const char *path)
{
    return path != NULL && path[0] == '/' && strstr(path, "/../") == NULL &&
           !g_str_has_suffix(path, "/..");
}

static void
check_vm(const VmcConfig *config, const VmcVmConfig *vm)
{
    check(vm->name != NULL && vmc_vm_name_is_valid(vm->name));
    check(vmc_config_find_vm(config, vm->name) == vm); /* names are unique */
    check(vm->socket == NULL || path_is_absolute(vm->socket));
    check(vm->title == NULL ||
          (strlen(vm->title) <= VMC_CONFIG_TITLE_MAX && g_utf8_validate(vm->title, -1, NULL)));
    check(vm->channels != NULL && vm->channels[0] != NULL);
    gboolean has_main = FALSE;
    for (char **c = vm->channels; *c != NULL; c++) {
        check(vmc_config_channel_is_known(*c));
        has_main = has_main || strcmp(*c, "main") == 0;
    }
    check(has_main);
    check(vmc_config_file_transfer_name(vm->file_transfer) != NULL);
    check(vmc_config_clipboard_name(vm->clipboard) != NULL);

    g_autofree char *socket = vmc_config_socket_path(config, vm->name);
    check(path_is_absolute(socket));
}

static void
check_config(const VmcConfig *config)
{
    check(strcmp(config->path, SOURCE) == 0);
    check(path_is_absolute(config->viewer) && path_is_absolute(config->log) &&
          path_is_absolute(config->run_dir) && path_is_absolute(config->socket_pattern));
    const char *mark = strstr(config->socket_pattern, "%s");
    check(mark != NULL && strchr(mark + 1, '%') == NULL && strchr(mark, '/') == NULL);
    check(config->max_sessions_per_identity >= 1 &&
          config->max_sessions_per_identity <= VMC_CONFIG_MAX_SESSIONS);
    check(config->takeover == VMC_TAKEOVER_DENY || config->takeover == VMC_TAKEOVER_ALLOW);
    check(config->file_transfer == VMC_FILE_TRANSFER_DENY ||
          config->file_transfer == VMC_FILE_TRANSFER_ALLOW);
    check(vmc_config_clipboard_name(config->clipboard) != NULL);
    check(config->vms != NULL && config->vms->len <= VMC_CONFIG_MAX_VMS);
    for (guint i = 0; i < config->vms->len; i++)
        check_vm(config, g_ptr_array_index(config->vms, i));

    g_autofree char *other = vmc_config_socket_path(config, "fuzz-probe.vm");
    check(path_is_absolute(other));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcConfig) config = vmc_config_load_data((const char *)data, size, SOURCE, &error);
    if (config == NULL) {
        check(error != NULL && error->domain == VMC_CONFIG_ERROR);
        check(g_str_has_prefix(error->message, SOURCE ":"));
        check(g_utf8_validate(error->message, -1, NULL));
        return 0;
    }
    check(error == NULL);
    check_config(config);
    return 0;
}
