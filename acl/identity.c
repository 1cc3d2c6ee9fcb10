/* identity.c — who a user is: the passwd entry (NSS, through common/), all
 * of its groups, and group sets. */
#include "acl-priv.h"

#include <grp.h>
#include <stdlib.h>
#include <string.h>

const char *
vmc_acl_printable_name(const char *s)
{
    gsize i;
    for (i = 0; s[i] != '\0'; i++) {
        if (i >= VMC_ACL_NAME_QUOTE_MAX || s[i] <= 0x20 || s[i] >= 0x7f)
            return NULL;
    }
    return i > 0 ? s : NULL;
}

static int
compare_gid(gconstpointer a, gconstpointer b)
{
    gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;
    return (x > y) - (x < y);
}

VmcIdentity *
vmc_identity_new(const char *name, uid_t uid, gid_t gid, const gid_t *groups, guint n_groups)
{
    g_return_val_if_fail(name != NULL, NULL);
    g_return_val_if_fail(groups != NULL || n_groups == 0, NULL);
    g_return_val_if_fail(n_groups <= VMC_ACL_MAX_GROUPS, NULL);

    VmcIdentity *identity = g_new0(VmcIdentity, 1);
    identity->name = g_strdup(name);
    identity->uid = uid;
    identity->gid = gid;
    identity->groups = g_new(gid_t, n_groups + 1);
    identity->groups[0] = gid;
    if (n_groups > 0)
        memcpy(identity->groups + 1, groups, n_groups * sizeof(gid_t));

    /* Sorted and unique. */
    qsort(identity->groups, n_groups + 1, sizeof(gid_t), compare_gid);
    guint n = 1;
    for (guint i = 1; i < n_groups + 1; i++) {
        if (identity->groups[i] != identity->groups[n - 1])
            identity->groups[n++] = identity->groups[i];
    }
    identity->n_groups = n;
    return identity;
}

gboolean
vmc_identity_in_group(const VmcIdentity *identity, gid_t gid)
{
    g_return_val_if_fail(identity != NULL, FALSE);
    /* Linear: identities may be built by hand, sorted or not. */
    for (guint i = 0; i < identity->n_groups; i++) {
        if (identity->groups[i] == gid)
            return TRUE;
    }
    return FALSE;
}

void
vmc_identity_free(VmcIdentity *identity)
{
    if (identity == NULL)
        return;
    g_free(identity->name);
    g_free(identity->groups);
    g_free(identity);
}

/* All groups of name (primary gid included), growing the array up to VMC_ACL_MAX_GROUPS. */
static gid_t *
list_groups(const char *name, gid_t gid, int *ret_n, GError **error)
{
    int capacity = 64;
    gid_t *groups = NULL;
    for (;;) {
        groups = g_renew(gid_t, groups, capacity);
        int n = capacity;
        if (getgrouplist(name, gid, groups, &n) >= 0) {
            *ret_n = n;
            return groups;
        }
        /* glibc reports the size needed in n; others may not, so at least double. */
        int wanted = MAX(n, capacity * 2);
        if (capacity >= VMC_ACL_MAX_GROUPS) {
            g_free(groups);
            g_set_error(error, VMC_ACL_ERROR, VMC_ACL_ERROR_LOOKUP,
                        "user '%s' is in more than %d groups; refusing to use it", name,
                        VMC_ACL_MAX_GROUPS);
            return NULL;
        }
        capacity = MIN(wanted, VMC_ACL_MAX_GROUPS);
    }
}

static void
set_unknown_user_error(const char *name, int err, GError **error)
{
    const char *printable = vmc_acl_printable_name(name);
    if (err != 0) {
        g_set_error(error, VMC_ACL_ERROR, VMC_ACL_ERROR_LOOKUP,
                    "cannot look up user %s%s%s: %s; check NSS (nsswitch.conf, sssd, ...)",
                    printable ? "'" : "", printable ? printable : "(name not printable)",
                    printable ? "'" : "", g_strerror(err));
    } else if (printable != NULL) {
        g_set_error(error, VMC_ACL_ERROR, VMC_ACL_ERROR_UNKNOWN_IDENTITY,
                    "no such user '%s' on this host", printable);
    } else {
        g_set_error(error, VMC_ACL_ERROR, VMC_ACL_ERROR_UNKNOWN_IDENTITY,
                    "no such user on this host (the name is empty, longer than %d characters "
                    "or not printable ASCII, so it is not shown)",
                    VMC_ACL_NAME_QUOTE_MAX);
    }
}

VmcIdentity *
vmc_identity_resolve(const char *name, GError **error)
{
    g_return_val_if_fail(name != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    g_autoptr(VmcNssUser) user = NULL;
    int err = vmc_nss_get_user_by_name(name, &user);
    if (err != 0 || user == NULL) {
        set_unknown_user_error(name, err, error);
        return NULL;
    }

    int n = 0;
    /* NSS's name, not name: NSS may have matched another spelling. */
    g_autofree gid_t *groups = list_groups(user->name, user->gid, &n, error);
    if (groups == NULL)
        return NULL;
    return vmc_identity_new(user->name, user->uid, user->gid, groups, (guint)n);
}
