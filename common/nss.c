/* nss.c — users and groups through NSS, the one way: the re-entrant calls
 * (getpwnam_r, getpwuid_r, getgrnam_r, getgrgid_r, getpwent_r) with a buffer
 * that grows on ERANGE up to VMC_NSS_BUFFER_MAX, the answer copied out of
 * it. "Not found" is told apart from NSS failing (an sssd that is down must
 * not read as "no such user"). */
#include "nss-priv.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>

/* ---- the bounded call ---- */

int
vmc_nss_call_bounded(VmcNssCall call, gconstpointer key, gpointer entry, char **ret_buf,
                     gpointer *ret_found)
{
    char *buf = NULL;
    int err = ERANGE;
    for (gsize size = VMC_NSS_BUFFER_START; size <= VMC_NSS_BUFFER_MAX && err == ERANGE;
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
not_found(int err)
{
    return err == 0 || err == ENOENT || err == ESRCH || err == EBADF || err == EPERM;
}

/* call's answer: 0 with *ret_found (NULL: not found), or NSS's errno. */
static int
lookup(VmcNssCall call, gconstpointer key, gpointer entry, char **ret_buf, gpointer *ret_found)
{
    int err = vmc_nss_call_bounded(call, key, entry, ret_buf, ret_found);
    if (err == 0 && *ret_found != NULL)
        return 0;
    *ret_found = NULL;
    return not_found(err) ? 0 : err;
}

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
call_getgrnam(gconstpointer key, gpointer entry, char *buf, size_t size, gpointer *ret_found)
{
    return getgrnam_r(key, entry, buf, size, (struct group **)ret_found);
}

static int
call_getgrgid(gconstpointer key, gpointer entry, char *buf, size_t size, gpointer *ret_found)
{
    return getgrgid_r(*(const gid_t *)key, entry, buf, size, (struct group **)ret_found);
}

/* ---- users ---- */

static VmcNssUser *
user_copy(const struct passwd *pw)
{
    VmcNssUser *user = g_new0(VmcNssUser, 1);
    user->name = g_strdup(pw->pw_name);
    user->uid = pw->pw_uid;
    user->gid = pw->pw_gid;
    user->home = g_strdup(pw->pw_dir);
    return user;
}

static int
get_user(VmcNssCall call, gconstpointer key, VmcNssUser **ret_user)
{
    struct passwd pw;
    gpointer found = NULL;
    g_autofree char *buf = NULL;
    int err = lookup(call, key, &pw, &buf, &found);
    if (err == 0)
        *ret_user = found != NULL ? user_copy(found) : NULL;
    return err;
}

int
vmc_nss_get_user_by_name(const char *name, VmcNssUser **ret_user)
{
    g_return_val_if_fail(name != NULL && ret_user != NULL, EINVAL);
    if (name[0] == '\0') { /* no user has it; some NSS modules would list one */
        *ret_user = NULL;
        return 0;
    }
    return get_user(call_getpwnam, name, ret_user);
}

int
vmc_nss_get_user_by_uid(uid_t uid, VmcNssUser **ret_user)
{
    g_return_val_if_fail(ret_user != NULL, EINVAL);
    return get_user(call_getpwuid, &uid, ret_user);
}

void
vmc_nss_user_free(VmcNssUser *user)
{
    if (user == NULL)
        return;
    g_free(user->name);
    g_free(user->home);
    g_free(user);
}

/* ---- groups ---- */

static VmcNssGroup *
group_copy(const struct group *gr)
{
    VmcNssGroup *group = g_new0(VmcNssGroup, 1);
    group->name = g_strdup(gr->gr_name);
    group->gid = gr->gr_gid;
    group->members = g_strdupv(gr->gr_mem);
    return group;
}

static int
get_group(VmcNssCall call, gconstpointer key, VmcNssGroup **ret_group)
{
    struct group gr;
    gpointer found = NULL;
    g_autofree char *buf = NULL;
    int err = lookup(call, key, &gr, &buf, &found);
    if (err == 0)
        *ret_group = found != NULL ? group_copy(found) : NULL;
    return err;
}

int
vmc_nss_get_group_by_name(const char *name, VmcNssGroup **ret_group)
{
    g_return_val_if_fail(name != NULL && ret_group != NULL, EINVAL);
    if (name[0] == '\0') {
        *ret_group = NULL;
        return 0;
    }
    return get_group(call_getgrnam, name, ret_group);
}

int
vmc_nss_get_group_by_gid(gid_t gid, VmcNssGroup **ret_group)
{
    g_return_val_if_fail(ret_group != NULL, EINVAL);
    return get_group(call_getgrgid, &gid, ret_group);
}

void
vmc_nss_group_free(VmcNssGroup *group)
{
    if (group == NULL)
        return;
    g_free(group->name);
    g_strfreev(group->members);
    g_free(group);
}

/* ---- the short answers ---- */

char *
vmc_nss_user_name(guint32 uid)
{
    g_autoptr(VmcNssUser) user = NULL;
    if (vmc_nss_get_user_by_uid(uid, &user) != 0 || user == NULL)
        return NULL;
    return g_steal_pointer(&user->name);
}

char *
vmc_nss_group_name(guint32 gid)
{
    g_autoptr(VmcNssGroup) group = NULL;
    if (vmc_nss_get_group_by_gid(gid, &group) != 0 || group == NULL)
        return NULL;
    return g_steal_pointer(&group->name);
}

gint64
vmc_nss_uid_of(const char *name)
{
    g_return_val_if_fail(name != NULL, -1);
    g_autoptr(VmcNssUser) user = NULL;
    if (vmc_nss_get_user_by_name(name, &user) != 0 || user == NULL)
        return -1;
    return (gint64)user->uid;
}

gint64
vmc_nss_gid_of(const char *name)
{
    g_return_val_if_fail(name != NULL, -1);
    g_autoptr(VmcNssGroup) group = NULL;
    if (vmc_nss_get_group_by_name(name, &group) != 0 || group == NULL)
        return -1;
    return (gint64)group->gid;
}

/* ---- every user ---- */

guint
vmc_nss_foreach_user(VmcNssUserFunc func, gpointer data, guint max)
{
    g_return_val_if_fail(func != NULL, 0);
    gsize size = VMC_NSS_BUFFER_START;
    g_autofree char *buf = g_malloc(size);
    guint seen = 0;

    setpwent();
    while (seen < max) {
        struct passwd pw, *found = NULL;
        int err = getpwent_r(&pw, buf, size, &found);
        if (err == ERANGE && size < VMC_NSS_BUFFER_MAX) {
            size *= 2; /* the same entry again, with room for it */
            buf = g_realloc(buf, size);
            continue;
        }
        if (err != 0 || found == NULL)
            break;
        seen++;
        g_autoptr(VmcNssUser) user = user_copy(found);
        func(user, data);
    }
    endpwent();
    return seen;
}
