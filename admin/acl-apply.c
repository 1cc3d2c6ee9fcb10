/* acl-apply.c — `vmconsole-admin acl apply [VM...]`: put each VM's stored ACL
 * policy (config `acl =`) plus u:ACCOUNT:rw on its socket. QEMU recreates
 * the socket at every start, so this runs after each start (libvirt hook,
 * systemd path unit). The socket is pinned (O_PATH|O_NOFOLLOW, a socket)
 * and the ACL written through /proc/self/fd/N (acl/: vmc_acl_for_policy,
 * vmc_acl_write_pinned): no symlink is followed. */
#include "admin-priv.h"

#include <stdio.h>
#include <unistd.h>

/* Apply one VM's policy; prints what changed. FALSE: a problem (printed). */
static gboolean
apply_vm(const VmcConfig *config, const VmcVmConfig *vm, const VmcIdentity *account)
{
    g_autofree char *path = vmc_config_socket_path(config, vm->name);
    g_autoptr(GError) error = NULL;
    int fd = vmc_acl_pin_socket(path, &error);
    if (fd < 0) {
        vmc_admin_complain("%s: %s (is the VM running?)", vm->name, error->message);
        return FALSE;
    }
    g_autoptr(VmcAcl) current = vmc_acl_read_pinned(fd, &error);
    g_autoptr(VmcAcl) desired =
        current != NULL ? vmc_acl_for_policy(vm->acl, account->uid, current, &error) : NULL;
    gboolean same = desired != NULL && vmc_acl_equal(current, desired);
    gboolean ok = desired != NULL && (same || vmc_acl_write_pinned(fd, desired, path, &error));
    close(fd);
    if (!ok) {
        vmc_admin_complain("%s: %s", vm->name, error->message);
        return FALSE;
    }
    g_autoptr(GPtrArray) before = vmc_acl_named_words(current);
    g_autoptr(GPtrArray) after = vmc_acl_named_words(desired);
    g_autofree char *diff = vmc_acl_words_diff(before, after);
    vmc_print_escaped(stdout, "%s: %s: %s\n", vm->name, path,
                      diff != NULL ? diff : "unchanged (already as stored)");
    return TRUE;
}

/* The VMs to apply: the named ones (each must have a stored policy), else
 * every [vm] with one. NULL (after complaining) on a bad name. */
static GPtrArray *
vms_to_apply(const VmcConfig *config, char **names)
{
    g_autoptr(GPtrArray) vms = g_ptr_array_new();
    for (guint i = 0; names != NULL && names[i] != NULL; i++) {
        const VmcVmConfig *vm = vmc_config_find_vm(config, names[i]);
        if (vm == NULL || vm->acl == NULL) {
            vmc_admin_complain("%s has no stored ACL policy: add acl = ... to its [vm %s] "
                               "section in %s",
                               names[i], names[i], config->path);
            return NULL;
        }
        g_ptr_array_add(vms, (gpointer)vm);
    }
    for (guint i = 0; (names == NULL || names[0] == NULL) && i < config->vms->len; i++) {
        const VmcVmConfig *vm = g_ptr_array_index(config->vms, i);
        if (vm->acl != NULL)
            g_ptr_array_add(vms, (gpointer)vm);
    }
    return g_steal_pointer(&vms);
}

VmcAdminExit
vmc_admin_cmd_acl(const VmcAdminArgs *args)
{
    if (!vmc_admin_args_only(args, "acl", 0))
        return VMC_ADMIN_EXIT_USAGE;
    if (g_strcmp0(args->words[1], "apply") != 0) {
        vmc_admin_complain("acl: the only subcommand is `acl apply [VM...]`");
        return VMC_ADMIN_EXIT_USAGE;
    }
    g_autoptr(VmcConfig) config = vmc_admin_load_config(args);
    if (config == NULL)
        return VMC_ADMIN_EXIT_ERROR;
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcIdentity) account = vmc_identity_resolve(config->account, &error);
    if (account == NULL) {
        vmc_admin_complain("the gateway account: %s (create it, or set account = in %s)",
                           error->message, config->path);
        return VMC_ADMIN_EXIT_ERROR;
    }
    g_autoptr(GPtrArray) vms = vms_to_apply(config, args->words + 2);
    if (vms == NULL)
        return VMC_ADMIN_EXIT_ERROR;
    if (vms->len == 0)
        vmc_print_escaped(stdout,
                          "no VM in %s has a stored ACL policy (acl = ...): nothing to "
                          "do\n",
                          config->path);
    gboolean ok = TRUE;
    for (guint i = 0; i < vms->len; i++)
        ok &= apply_vm(config, g_ptr_array_index(vms, i), account);
    return ok ? VMC_ADMIN_EXIT_OK : VMC_ADMIN_EXIT_ERROR;
}
