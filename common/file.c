/* file.c — the one way vmconsole opens and reads a small file that someone
 * else may have put in its place: never through a symlink (unless the
 * caller says the path is the admin's own), never waiting on a FIFO or a
 * device (looked at before it is opened, opened O_NONBLOCK), only a regular
 * file of the expected owner with one link, of bounded size, checked again
 * with fstat after the open. A refused file is an error that names it and
 * says what it is instead. */
#include "vmc-common.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_CREATE_MODE 0600

const char *
vmc_file_kind(mode_t mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG:
        return "a regular file";
    case S_IFDIR:
        return "a directory";
    case S_IFLNK:
        return "a symbolic link";
    case S_IFIFO:
        return "a FIFO";
    case S_IFSOCK:
        return "a socket";
    case S_IFCHR:
        return "a character device";
    case S_IFBLK:
        return "a block device";
    default:
        return "of an unknown kind";
    }
}

/* The refusal: errno err (what the file is instead, for callers that word
 * it themselves), and the error naming the file, then the rules' remedy. */
static gboolean G_GNUC_PRINTF(5, 6) refuse(GError **error, int err, const char *shown,
                                           const VmcFileRules *rules, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    g_autofree char *why = g_strdup_vprintf(format, args);
    va_end(args);
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err), "%s %s%s%s", shown, why,
                rules->remedy != NULL ? ": " : "", rules->remedy != NULL ? rules->remedy : "");
    errno = err;
    return FALSE;
}

static void
set_errno_error(GError **error, int err, const char *what, const char *shown)
{
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err), "cannot %s %s: %s", what, shown,
                g_strerror(err));
    errno = err;
}

/* What st says is wrong with the file under rules, as an error; TRUE when nothing. */
static gboolean
check_stat(const struct stat *st, const char *shown, const VmcFileRules *rules, GError **error)
{
    if (!S_ISREG(st->st_mode))
        return refuse(error,
                      S_ISDIR(st->st_mode)   ? EISDIR
                      : S_ISLNK(st->st_mode) ? ELOOP
                                             : EINVAL,
                      shown, rules, "is %s, not a regular file", vmc_file_kind(st->st_mode));
    if (rules->owner != VMC_FILE_OWNER_ANY && st->st_uid != rules->owner)
        return refuse(error, EPERM, shown, rules, "belongs to uid %u, not to uid %u",
                      (guint)st->st_uid, (guint)rules->owner);
    if ((rules->flags & VMC_FILE_ANY_LINKS) == 0 && st->st_nlink != 1)
        return refuse(error, EMLINK, shown, rules,
                      "has %u hard links (another name for another file)", (guint)st->st_nlink);
    if (rules->max_size >= 0 && st->st_size > rules->max_size)
        return refuse(error, EFBIG, shown, rules, "is larger than %" G_GOFFSET_FORMAT " bytes",
                      rules->max_size);
    return TRUE;
}

int
vmc_file_open(int dir_fd, const char *name, const char *shown, int open_flags,
              const VmcFileRules *rules, GError **error)
{
    g_return_val_if_fail(name != NULL && shown != NULL && rules != NULL, -1);
    g_return_val_if_fail((open_flags & ~(O_ACCMODE | O_CREAT | O_APPEND)) == 0, -1);
    gboolean follow = (rules->flags & VMC_FILE_FOLLOW) != 0;
    struct stat st;
    /* Look first, so that a FIFO or a device is never opened at all. */
    if (fstatat(dir_fd, name, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW) == 0) {
        if (!check_stat(&st, shown, rules, error))
            return -1;
    } else if (errno != ENOENT || (open_flags & O_CREAT) == 0) {
        set_errno_error(error, errno, "look at", shown);
        return -1;
    }
    /* ... and check again what was opened: it may have been replaced. */
    int flags = open_flags | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | (follow ? 0 : O_NOFOLLOW);
    int fd = openat(dir_fd, name, flags,
                    rules->create_mode != 0 ? rules->create_mode : DEFAULT_CREATE_MODE);
    if (fd < 0) {
        int err = errno;
        if (err == ELOOP && !follow)
            refuse(error, ELOOP, shown, rules, "is a symbolic link, not a regular file");
        else
            set_errno_error(error, err, "open", shown);
        return -1;
    }
    if (fstat(fd, &st) != 0 || !check_stat(&st, shown, rules, error)) {
        int err = errno;
        if (error != NULL && *error == NULL)
            set_errno_error(error, err, "look at", shown);
        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

char *
vmc_file_read_fd(int fd, const char *shown, gsize max_size, gsize *ret_length, GError **error)
{
    g_return_val_if_fail(fd >= 0 && shown != NULL && ret_length != NULL, NULL);
    g_autofree char *buffer = g_malloc(max_size + 1);
    gsize length = 0;
    /* One byte more than allowed tells "too large" even when the file grew. */
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
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(EFBIG),
                    "%s is larger than %" G_GSIZE_FORMAT " bytes", shown, max_size);
        errno = EFBIG;
        return NULL;
    }
    buffer[length] = '\0';
    *ret_length = length;
    return g_steal_pointer(&buffer);
}

char *
vmc_file_read(int dir_fd, const char *name, const char *shown, const VmcFileRules *rules,
              gsize *ret_length, GError **error)
{
    g_return_val_if_fail(rules != NULL && rules->max_size >= 0, NULL);
    int fd = vmc_file_open(dir_fd, name, shown, O_RDONLY, rules, error);
    if (fd < 0)
        return NULL;
    char *text = vmc_file_read_fd(fd, shown, (gsize)rules->max_size, ret_length, error);
    int err = errno;
    close(fd);
    errno = err;
    return text;
}
