/* private-file.c — opening the small files the gateway and the admin keep in
 * the run dir and read from the account's home, as files that whoever can
 * write there may have replaced: never through a symlink, never waiting on a
 * FIFO or a device, only a regular file of the expected owner with one link,
 * and of bounded size. A bad one is an error that names it, so that the
 * admin can remove it. */
#include "vmc-gateway.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


static const char *
kind_of(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISLNK(mode))
        return "a symbolic link";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    return "not a regular file";
}

static gboolean G_GNUC_PRINTF(4, 5)
refuse(GError **error, gint code, const char *shown, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    g_autofree char *why = g_strdup_vprintf(format, args);
    va_end(args);
    g_set_error(error, G_FILE_ERROR, code, "%s %s: remove it (vmconsole only uses regular files "
                "of its own there)", shown, why);
    return FALSE;
}

/* What st says is wrong with the file for us, as an error; TRUE when nothing. */
static gboolean
check_stat(const struct stat *st, const char *shown, uid_t owner, goffset max_size,
           GError **error)
{
    if (!S_ISREG(st->st_mode))
        return refuse(error, G_FILE_ERROR_INVAL, shown, "is %s, not a regular file",
                      kind_of(st->st_mode));
    if (owner != VMC_OWNER_ANY && st->st_uid != owner)
        return refuse(error, G_FILE_ERROR_PERM, shown, "belongs to uid %u, not to uid %u",
                      (guint)st->st_uid, (guint)owner);
    if (st->st_nlink != 1)
        return refuse(error, G_FILE_ERROR_INVAL, shown,
                      "has %u hard links (another name for another file)", (guint)st->st_nlink);
    if (max_size >= 0 && st->st_size > max_size)
        return refuse(error, G_FILE_ERROR_INVAL, shown, "is larger than %" G_GOFFSET_FORMAT
                      " bytes", max_size);
    return TRUE;
}

static void
set_errno_error(GError **error, int err, const char *what, const char *shown)
{
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err), "cannot %s %s: %s", what,
                shown, g_strerror(err));
}

int
vmc_private_file_open(int dir_fd, const char *name, const char *shown, int flags, uid_t owner,
                      goffset max_size, GError **error)
{
    g_return_val_if_fail(name != NULL && shown != NULL, -1);
    g_return_val_if_fail((flags & ~(O_ACCMODE | O_CREAT)) == 0, -1);
    struct stat st;
    /* Look first, so that a FIFO or a device is never opened at all. */
    if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (!check_stat(&st, shown, owner, max_size, error))
            return -1;
    } else if (errno != ENOENT || (flags & O_CREAT) == 0) {
        set_errno_error(error, errno, "look at", shown);
        return -1;
    }
    /* ... and check again what was opened: it may have been replaced. */
    int fd = openat(dir_fd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0) {
        int err = errno;
        if (err == ELOOP)
            refuse(error, G_FILE_ERROR_INVAL, shown, "is a symbolic link, not a regular file");
        else
            set_errno_error(error, err, "open", shown);
        return -1;
    }
    if (fstat(fd, &st) != 0 || !check_stat(&st, shown, owner, max_size, error)) {
        if (error != NULL && *error == NULL)
            set_errno_error(error, errno, "look at", shown);
        close(fd);
        return -1;
    }
    return fd;
}

char *
vmc_file_read_bounded(int fd, const char *shown, gsize max_size, gsize *ret_length,
                      GError **error)
{
    g_autofree char *buffer = g_malloc(max_size + 1);
    gsize length = 0;
    while (length <= max_size) {
        ssize_t n = pread(fd, buffer + length, max_size + 1 - length, (off_t)length);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            set_errno_error(error, errno, "read", shown);
            return NULL;
        }
        if (n == 0)
            break;
        length += (gsize)n;
    }
    if (length > max_size) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%s is larger than %" G_GSIZE_FORMAT " bytes", shown, max_size);
        return NULL;
    }
    buffer[length] = '\0';
    *ret_length = length;
    return g_steal_pointer(&buffer);
}

char *
vmc_private_file_read(int dir_fd, const char *name, const char *shown, uid_t owner,
                      gsize max_size, gsize *ret_length, GError **error)
{
    int fd = vmc_private_file_open(dir_fd, name, shown, O_RDONLY, owner, (goffset)max_size,
                                   error);
    if (fd < 0)
        return NULL;
    char *text = vmc_file_read_bounded(fd, shown, max_size, ret_length, error);
    close(fd);
    return text;
}
