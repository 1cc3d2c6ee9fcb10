/* acl-read.c — pinning a socket and reading its ACL through the pinned fd (libacl). */
#include "acl-priv.h"

#include <acl/libacl.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static void
set_symlink_error(const char *path, GError **error)
{
    g_set_error(error, VMC_ACL_ERROR, VMC_ACL_ERROR_NOT_SOCKET,
                "%s is a symbolic link; symlinks are refused, configure the socket's real path",
                path);
}

int
vmc_acl_pin_socket(const char *path, GError **error)
{
    g_return_val_if_fail(path != NULL, -1);
    g_return_val_if_fail(error == NULL || *error == NULL, -1);

    int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        if (err == ELOOP)
            set_symlink_error(path, error);
        else
            g_set_error(error, VMC_ACL_ERROR,
                        err == ENOENT || err == ENOTDIR ? VMC_ACL_ERROR_NOT_FOUND
                                                        : VMC_ACL_ERROR_IO,
                        "cannot open %s: %s", path, g_strerror(err));
        return -1;
    }

    struct stat st;
    if (fstat(fd, &st) < 0) {
        int err = errno;
        close(fd);
        g_set_error(error, VMC_ACL_ERROR, VMC_ACL_ERROR_IO, "cannot stat %s: %s", path,
                    g_strerror(err));
        return -1;
    }
    /* O_PATH|O_NOFOLLOW opens a final symlink itself rather than failing. */
    if (!S_ISSOCK(st.st_mode)) {
        close(fd);
        if (S_ISLNK(st.st_mode))
            set_symlink_error(path, error);
        else
            g_set_error(error, VMC_ACL_ERROR, VMC_ACL_ERROR_NOT_SOCKET, "%s is %s, not a socket",
                        path, vmc_file_kind(st.st_mode));
        return -1;
    }
    return fd;
}

static gboolean
convert_tag(acl_tag_t tag, VmcAclTag *ret_tag)
{
    switch (tag) {
    case ACL_USER_OBJ:
        *ret_tag = VMC_ACL_TAG_USER_OBJ;
        return TRUE;
    case ACL_USER:
        *ret_tag = VMC_ACL_TAG_USER;
        return TRUE;
    case ACL_GROUP_OBJ:
        *ret_tag = VMC_ACL_TAG_GROUP_OBJ;
        return TRUE;
    case ACL_GROUP:
        *ret_tag = VMC_ACL_TAG_GROUP;
        return TRUE;
    case ACL_MASK:
        *ret_tag = VMC_ACL_TAG_MASK;
        return TRUE;
    case ACL_OTHER:
        *ret_tag = VMC_ACL_TAG_OTHER;
        return TRUE;
    default:
        return FALSE;
    }
}

/* One libacl entry as ours; FALSE when libacl fails or the tag is unknown. */
static gboolean
convert_entry(acl_entry_t entry, VmcAclEntry *ret)
{
    acl_tag_t tag;
    acl_permset_t permset;
    if (acl_get_tag_type(entry, &tag) < 0 || !convert_tag(tag, &ret->tag) ||
        acl_get_permset(entry, &permset) < 0)
        return FALSE;
    ret->qualifier = 0;
    if (ret->tag == VMC_ACL_TAG_USER || ret->tag == VMC_ACL_TAG_GROUP) {
        /* uid_t and gid_t are both 32-bit unsigned on Linux. */
        G_STATIC_ASSERT(sizeof(uid_t) == sizeof(guint32) && sizeof(gid_t) == sizeof(guint32));
        guint32 *id = acl_get_qualifier(entry);
        if (id == NULL)
            return FALSE;
        ret->qualifier = *id;
        acl_free(id);
    }
    ret->perm = (acl_get_perm(permset, ACL_READ) == 1 ? VMC_ACL_READ : 0) |
                (acl_get_perm(permset, ACL_WRITE) == 1 ? VMC_ACL_WRITE : 0) |
                (acl_get_perm(permset, ACL_EXECUTE) == 1 ? VMC_ACL_EXECUTE : 0);
    return TRUE;
}

VmcAcl *
vmc_acl_from_libacl(acl_t libacl, uid_t owner, gid_t group, GError **error)
{
    g_return_val_if_fail(libacl != NULL, NULL);
    g_autoptr(GArray) entries = g_array_new(FALSE, TRUE, sizeof(VmcAclEntry));
    acl_entry_t entry;
    int r = acl_get_entry(libacl, ACL_FIRST_ENTRY, &entry);
    for (; r == 1; r = acl_get_entry(libacl, ACL_NEXT_ENTRY, &entry)) {
        VmcAclEntry converted;
        if (entries->len >= VMC_ACL_MAX_ENTRIES) {
            g_set_error(error, VMC_ACL_ERROR, VMC_ACL_ERROR_INVALID,
                        "invalid ACL: more than %d entries", VMC_ACL_MAX_ENTRIES);
            return NULL;
        }
        if (!convert_entry(entry, &converted)) {
            g_set_error(error, VMC_ACL_ERROR, VMC_ACL_ERROR_INVALID,
                        "invalid ACL: an entry libacl cannot read or of an unknown kind");
            return NULL;
        }
        g_array_append_val(entries, converted);
    }
    if (r < 0) {
        g_set_error(error, VMC_ACL_ERROR, VMC_ACL_ERROR_INVALID, "invalid ACL: %s",
                    g_strerror(errno));
        return NULL;
    }
    return vmc_acl_new(owner, group, (VmcAclEntry *)(void *)entries->data, entries->len, error);
}

VmcAcl *
vmc_acl_from_text(const char *text, uid_t owner, gid_t group, GError **error)
{
    g_return_val_if_fail(text != NULL, NULL);
    g_auto(acl_t) libacl = acl_from_text(text);
    if (libacl == NULL) {
        g_set_error(error, VMC_ACL_ERROR, VMC_ACL_ERROR_INVALID, "bad ACL text '%.200s'", text);
        return NULL;
    }
    return vmc_acl_from_libacl(libacl, owner, group, error);
}

VmcAcl *
vmc_acl_read_pinned(int pinned_fd, GError **error)
{
    g_return_val_if_fail(pinned_fd >= 0, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    struct stat st;
    if (fstat(pinned_fd, &st) < 0) {
        g_set_error(error, VMC_ACL_ERROR, VMC_ACL_ERROR_IO, "cannot stat fd %d: %s", pinned_fd,
                    g_strerror(errno));
        return NULL;
    }
    /* getxattr() on the magic link reaches the pinned inode, even for O_PATH fds. */
    char path[64];
    g_snprintf(path, sizeof path, "/proc/self/fd/%d", pinned_fd);
    g_auto(acl_t) libacl = acl_get_file(path, ACL_TYPE_ACCESS);
    if (libacl == NULL) {
        int err = errno;
        if (err == ENOTSUP || err == ENODATA)
            return vmc_acl_new_from_mode(st.st_uid, st.st_gid, st.st_mode);
        g_set_error(error, VMC_ACL_ERROR, VMC_ACL_ERROR_IO, "cannot read the ACL of %s: %s", path,
                    g_strerror(err));
        return NULL;
    }
    return vmc_acl_from_libacl(libacl, st.st_uid, st.st_gid, error);
}
