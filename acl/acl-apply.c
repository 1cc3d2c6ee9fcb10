/* acl-apply.c — a stored ACL policy made real: its names resolved through
 * NSS, the ACL a socket should have built from it, and that ACL written to
 * a pinned socket through /proc/self/fd/N (libacl), so no symlink is ever
 * followed. */
#include "acl-priv.h"

#include <acl/libacl.h>
#include <errno.h>
#include <string.h>

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
    g_set_error(error, VMC_ACL_ERROR, VMC_ACL_ERROR_INVALID,
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
            g_set_error(error, VMC_ACL_ERROR, VMC_ACL_ERROR_INVALID, "bad stored ACL entry '%.80s'",
                        words[i]);
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
vmc_acl_for_policy(const char *policy, uid_t account_uid, const VmcAcl *current, GError **error)
{
    g_return_val_if_fail(policy != NULL && current != NULL, NULL);
    g_autoptr(GArray) entries = policy_entries(policy, error);
    if (entries == NULL)
        return NULL;
    VmcAclEntry account = {VMC_ACL_TAG_USER, account_uid, VMC_ACL_RW};
    g_array_append_val(entries, account);
    return vmc_acl_desired(current, (VmcAclEntry *)(void *)entries->data, entries->len, error);
}

GPtrArray *
vmc_acl_named_words(const VmcAcl *acl)
{
    return vmc_acl_words(acl, vmc_nss_user_name, vmc_nss_group_name);
}

gboolean
vmc_acl_write_pinned(int pinned_fd, const VmcAcl *acl, const char *shown, GError **error)
{
    g_return_val_if_fail(pinned_fd >= 0 && acl != NULL && shown != NULL, FALSE);
    g_autofree char *text = vmc_acl_to_text(acl);
    g_auto(acl_t) libacl = acl_from_text(text);
    if (libacl == NULL || acl_valid(libacl) != 0) {
        g_set_error(error, VMC_ACL_ERROR, VMC_ACL_ERROR_INVALID, "libacl refuses the ACL %s for %s",
                    text, shown);
        return FALSE;
    }
    char proc[64];
    g_snprintf(proc, sizeof proc, "/proc/self/fd/%d", pinned_fd);
    if (acl_set_file(proc, ACL_TYPE_ACCESS, libacl) != 0) {
        int err = errno;
        g_set_error(error, VMC_ACL_ERROR, VMC_ACL_ERROR_IO,
                    "cannot set the ACL of %s: %s (run as root, on a file system with ACLs)", shown,
                    g_strerror(err));
        return FALSE;
    }
    return TRUE;
}
