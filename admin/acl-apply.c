/* acl-apply.c — `vmconsole-admin acl apply [VM...]`: put each VM's stored ACL
 * policy (config `acl =`) plus u:ACCOUNT:rw on its socket. QEMU recreates
 * the socket at every start, so this runs after each start (libvirt hook,
 * systemd path unit). The socket is pinned (O_PATH|O_NOFOLLOW, a socket)
 * and the ACL written through /proc/self/fd/N: no symlink is followed. */
#include "admin-priv.h"

#include <acl/libacl.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/acl.h>
#include <unistd.h>

#include "vmc-sessionlog.h"

static void
libacl_free(acl_t acl)
{
    acl_free(acl);
}
G_DEFINE_AUTO_CLEANUP_FREE_FUNC(acl_t, libacl_free, NULL)

GPtrArray *
vmc_admin_acl_named_words(const VmcAcl *acl)
{
    return vmc_admin_acl_words(acl, vmc_nss_user_name, vmc_nss_group_name);
}

/* A policy name (user or group, or a number) to its id through NSS. */
static gboolean
resolve_qualifier(gboolean is_user, const char *name, guint32 *ret_id, GError **error)
{
    guint64 id = 0;
    if (g_ascii_string_to_unsigned(name, 10, 0, G_MAXUINT32 - 1, &id, NULL)) {
        *ret_id = (guint32)id;
        return TRUE;
    }
    gint64 found = is_user ? vmc_nss_uid_of(name) : vmc_nss_gid_of(name);
    if (found >= 0) {
        *ret_id = (guint32)found;
        return TRUE;
    }
    g_set_error(error, VMC_ADMIN_ERROR, VMC_ADMIN_ERROR_INVALID,
                "the stored ACL names %s %s, which does not exist; create it or fix the "
                "VM's acl = in the config",
                is_user ? "user" : "group", name);
    return FALSE;
}

/* The normalised policy ("user:alice:rw-,group:spicex:rw-") as entries. */
static GArray *
policy_entries(const char *policy, GError **error)
{
    g_autoptr(GArray) entries = g_array_new(FALSE, TRUE, sizeof(VmcAclEntry));
    g_auto(GStrv) words = g_strsplit(policy, ",", -1);
    for (guint i = 0; words[i] != NULL; i++) {
        g_auto(GStrv) parts = g_strsplit(words[i], ":", 3);
        if (g_strv_length(parts) != 3 || strlen(parts[2]) != 3) {
            g_set_error(error, VMC_ADMIN_ERROR, VMC_ADMIN_ERROR_INVALID,
                        "bad stored ACL entry '%.80s'", words[i]);
            return NULL;
        }
        gboolean is_user = strcmp(parts[0], "user") == 0;
        VmcAclEntry entry = {is_user ? VMC_ACL_TAG_USER : VMC_ACL_TAG_GROUP, 0, 0};
        if (!resolve_qualifier(is_user, parts[1], &entry.qualifier, error))
            return NULL;
        entry.perm = (parts[2][0] == 'r' ? VMC_ACL_READ : 0) |
                     (parts[2][1] == 'w' ? VMC_ACL_WRITE : 0) |
                     (parts[2][2] == 'x' ? VMC_ACL_EXECUTE : 0);
        g_array_append_val(entries, entry);
    }
    return g_steal_pointer(&entries);
}

VmcAcl *
vmc_admin_acl_for_vm(const VmcVmConfig *vm, const VmcIdentity *account, const VmcAcl *current,
                     GError **error)
{
    g_return_val_if_fail(vm != NULL && vm->acl != NULL && account != NULL, NULL);
    g_autoptr(GArray) entries = policy_entries(vm->acl, error);
    if (entries == NULL)
        return NULL;
    VmcAclEntry mine = {VMC_ACL_TAG_USER, account->uid, VMC_ACL_RW};
    g_array_append_val(entries, mine);
    return vmc_admin_acl_desired(current, (VmcAclEntry *)(void *)entries->data, entries->len,
                                 error);
}

static gboolean
write_pinned(int fd, const VmcAcl *acl, const char *path, GError **error)
{
    g_autofree char *text = vmc_admin_acl_to_text(acl);
    g_auto(acl_t) libacl = acl_from_text(text);
    if (libacl == NULL || acl_valid(libacl) != 0) {
        g_set_error(error, VMC_ADMIN_ERROR, VMC_ADMIN_ERROR_INVALID,
                    "libacl refuses the ACL %s for %s", text, path);
        return FALSE;
    }
    char proc[64];
    g_snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    if (acl_set_file(proc, ACL_TYPE_ACCESS, libacl) != 0) {
        int err = errno;
        g_set_error(error, VMC_ADMIN_ERROR, VMC_ADMIN_ERROR_IO,
                    "cannot set the ACL of %s: %s (run as root, on a file system with ACLs)", path,
                    g_strerror(err));
        return FALSE;
    }
    return TRUE;
}

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
        current != NULL ? vmc_admin_acl_for_vm(vm, account, current, &error) : NULL;
    gboolean same = desired != NULL && vmc_admin_acl_equal(current, desired);
    gboolean ok = desired != NULL && (same || write_pinned(fd, desired, path, &error));
    close(fd);
    if (!ok) {
        vmc_admin_complain("%s: %s", vm->name, error->message);
        return FALSE;
    }
    g_autoptr(GPtrArray) before = vmc_admin_acl_named_words(current);
    g_autoptr(GPtrArray) after = vmc_admin_acl_named_words(desired);
    g_autofree char *diff = vmc_admin_words_diff(before, after);
    g_autofree char *line = g_strdup_printf("%s: %s: %s", vm->name, path,
                                            diff != NULL ? diff : "unchanged (already as stored)");
    g_autofree char *escaped = vmc_text_escape(line, -1, VMC_ADMIN_REASON_MAX);
    printf("%s\n", escaped);
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
        printf("no VM in %s has a stored ACL policy (acl = ...): nothing to do\n", config->path);
    gboolean ok = TRUE;
    for (guint i = 0; i < vms->len; i++)
        ok &= apply_vm(config, g_ptr_array_index(vms, i), account);
    return ok ? VMC_ADMIN_EXIT_OK : VMC_ADMIN_EXIT_ERROR;
}
