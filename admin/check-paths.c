/* check-paths.c — `check`'s questions about files: may the gateway account
 * do X to this path (the acl(5) check on every component, as the kernel
 * would decide), and is this path safe from everyone but root. */
#include "admin-priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The ACL of one path component, pinned without following a symlink. */
static VmcAcl *
read_component_acl(const char *path, GError **error)
{
    int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        g_set_error(error, VMC_ADMIN_ERROR, VMC_ADMIN_ERROR_IO, "cannot open %s: %s", path,
                    g_strerror(errno));
        return NULL;
    }
    VmcAcl *acl = vmc_acl_read_pinned(fd, error);
    close(fd);
    return acl;
}

gboolean
vmc_admin_account_may(const VmcIdentity *account, const char *path, guint want, char **ret_why)
{
    char *real = realpath(path, NULL);
    if (real == NULL) {
        *ret_why = g_strdup_printf("cannot resolve %s: %s", path, g_strerror(errno));
        return FALSE;
    }
    g_autofree char *canonical = real;
    /* every directory on the way needs search (x), the last component want */
    g_autoptr(GString) prefix = g_string_new("/");
    g_auto(GStrv) parts = g_strsplit(canonical + 1, "/", -1);
    guint n = canonical[1] == '\0' ? 0 : g_strv_length(parts);
    for (guint i = 0; i <= n; i++) {
        gboolean last = i == n;
        guint need = last ? want : VMC_ACL_EXECUTE;
        g_autoptr(GError) error = NULL;
        g_autoptr(VmcAcl) acl = read_component_acl(prefix->str, &error);
        if (acl == NULL) {
            *ret_why = g_strdup(error->message);
            return FALSE;
        }
        VmcAclVerdict verdict = vmc_acl_check(acl, account, need);
        if (!verdict.granted) {
            *ret_why = g_strdup_printf("%s lacks %s on %s", account->name,
                                       vmc_acl_perm_to_string(need), prefix->str);
            return FALSE;
        }
        if (!last) {
            if (prefix->len > 1)
                g_string_append_c(prefix, '/');
            g_string_append(prefix, parts[i]);
        }
    }
    *ret_why = NULL;
    return TRUE;
}

/* Why st (of path) is not safe from others than root, or NULL. A sticky
 * directory (like /tmp) is safe for root's entries in it. */
static char *
unsafe_reason(const char *path, const struct stat *st, gboolean sticky_ok)
{
    if (S_ISLNK(st->st_mode))
        return g_strdup_printf("%s is a symbolic link", path);
    if (st->st_uid != 0)
        return g_strdup_printf("%s is owned by uid %u, not root", path, st->st_uid);
    if ((st->st_mode & 022) != 0 &&
        !(sticky_ok && S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX) != 0))
        return g_strdup_printf("%s is writable by %s", path,
                               (st->st_mode & 002) != 0 ? "everyone" : "its group");
    return NULL;
}

char *
vmc_admin_path_unsafe(const char *path)
{
    /* the directories through their real path (a root-owned /var/run -> /run
     * link is fine), the final component as it is */
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *base = g_path_get_basename(path);
    char *real_dir = realpath(dir, NULL);
    if (real_dir == NULL)
        return g_strdup_printf("cannot resolve %s: %s", dir, g_strerror(errno));
    g_autofree char *current = g_build_filename(real_dir, base, NULL);
    free(real_dir);
    gboolean first = TRUE;
    for (;;) {
        struct stat st;
        if (lstat(current, &st) != 0)
            return g_strdup_printf("cannot stat %s: %s", current, g_strerror(errno));
        char *why = unsafe_reason(current, &st, !first);
        if (why != NULL)
            return why;
        if (strcmp(current, "/") == 0)
            return NULL;
        char *parent = g_path_get_dirname(current);
        g_free(current);
        current = parent;
        first = FALSE;
    }
}
