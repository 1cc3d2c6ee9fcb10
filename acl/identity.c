/* identity.c — who a user is: NSS look-ups (passwd, groups) and group sets. */
#include "acl-priv.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

/* One reentrant NSS call: fills *entry from buf, sets *ret_found or leaves it NULL. */
typedef int (*NssCall)(gconstpointer key, gpointer entry, char *buf, size_t size,
                       gpointer *ret_found);

static int
call_getpwnam(gconstpointer key, gpointer entry, char *buf, size_t size, gpointer *ret_found)
{
    return getpwnam_r(key, entry, buf, size, (struct passwd **)ret_found);
}

static int
call_getpwuid(gconstpointer key, gpointer entry, char *buf, size_t size, gpointer *ret_found)
{
    return getpwuid_r(*(const uid_t *)key, entry, buf, size, (struct passwd **)ret_found);
}

static int
call_getgrgid(gconstpointer key, gpointer entry, char *buf, size_t size, gpointer *ret_found)
{
    return getgrgid_r(*(const gid_t *)key, entry, buf, size, (struct group **)ret_found);
}

/* Runs call with a buffer that grows on ERANGE up to VMC_ACL_NSS_BUFFER_MAX.
 * Returns 0 or an errno; *ret_buf (which *entry points into) is the caller's. */
static int
nss_lookup(NssCall call, gconstpointer key, gpointer entry, char **ret_buf, gpointer *ret_found)
{
    char *buf = NULL;
    int err = ERANGE;
    for (gsize size = VMC_ACL_NSS_BUFFER_START; size <= VMC_ACL_NSS_BUFFER_MAX && err == ERANGE;
         size *= 2) {
        buf = g_realloc(buf, size);
        *ret_found = NULL;
        err = call(key, entry, buf, size, ret_found);
    }
    *ret_buf = buf;
    return err;
}

/* Not found is 0 with no entry, or one of the errnos NSS modules use for it. */
static gboolean
nss_not_found(int err)
{
    return err == 0 || err == ENOENT || err == ESRCH || err == EBADF || err == EPERM;
}

static const char *
passwd_name(gconstpointer entry)
{
    return ((const struct passwd *)entry)->pw_name;
}

static const char *
group_name(gconstpointer entry)
{
    return ((const struct group *)entry)->gr_name;
}

/* The name NSS has for id, through call; name_of picks it out of the entry. */
static char *
nss_name(NssCall call, guint32 id, const char *(*name_of)(gconstpointer entry))
{
    G_STATIC_ASSERT(sizeof(uid_t) == sizeof(guint32) && sizeof(gid_t) == sizeof(guint32));
    union {
        struct passwd pw;
        struct group gr;
    } entry;
    gpointer found = NULL;
    g_autofree char *buf = NULL;
    if (nss_lookup(call, &id, &entry, &buf, &found) != 0 || found == NULL)
        return NULL;
    return g_strdup(name_of(found));
}

char *
vmc_nss_user_name(guint32 uid)
{
    return nss_name(call_getpwuid, uid, passwd_name);
}

char *
vmc_nss_group_name(guint32 gid)
{
    return nss_name(call_getgrgid, gid, group_name);
}

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
    if (err != 0 && !nss_not_found(err)) {
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

    struct passwd pw;
    gpointer found = NULL;
    g_autofree char *buf = NULL;
    int err = name[0] == '\0' ? 0 : nss_lookup(call_getpwnam, name, &pw, &buf, &found);
    if (err != 0 || found == NULL) {
        set_unknown_user_error(name, err, error);
        return NULL;
    }

    int n = 0;
    /* pw_name, not name: NSS may have matched another spelling. */
    g_autofree gid_t *groups = list_groups(pw.pw_name, pw.pw_gid, &n, error);
    if (groups == NULL)
        return NULL;
    return vmc_identity_new(pw.pw_name, pw.pw_uid, pw.pw_gid, groups, (guint)n);
}
