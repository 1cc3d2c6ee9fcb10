/* cookie-file.c — cookies: fresh random bytes, written 0600 and read back
 * strictly, in private 0700 directories that hold nothing else. */
#include "pulse-priv.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#define PATH_SHOWN_MAX 200 /* bytes of a path in an error message */

static void
set_errno_error(GError **error, int code, const char *what, const char *path, int saved)
{
    g_autofree char *shown = vmc_text_escape(path, -1, PATH_SHOWN_MAX);
    g_set_error(error, VMC_PULSE_ERROR, code, "%s %s: %s", what, shown, g_strerror(saved));
}

gboolean
vmc_pulse_cookie_generate(guint8 *ret_cookie, GError **error)
{
    guint8 cookie[VMC_PULSE_COOKIE_SIZE];
    gsize done = 0;
    while (done < sizeof(cookie)) {
        ssize_t n = getrandom(cookie + done, sizeof(cookie) - done, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int saved = errno;
            g_set_error(error, VMC_PULSE_ERROR, VMC_PULSE_ERROR_COOKIE,
                        "cannot get random bytes for the sound cookie (getrandom): %s",
                        g_strerror(saved));
            return FALSE;
        }
        done += (gsize)n;
    }
    memcpy(ret_cookie, cookie, sizeof(cookie));
    memset(cookie, 0, sizeof(cookie));
    return TRUE;
}

/* FALSE with errno set when not all of data could be written. */
static gboolean
write_all(int fd, const guint8 *data, gsize size)
{
    gsize done = 0;
    while (done < size) {
        ssize_t n = write(fd, data + done, size - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return FALSE;
        }
        done += (gsize)n;
    }
    return TRUE;
}

gboolean
vmc_pulse_cookie_write(const char *path, const guint8 *cookie, GError **error)
{
    g_return_val_if_fail(path != NULL && cookie != NULL, FALSE);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        set_errno_error(error, VMC_PULSE_ERROR_COOKIE, "cannot create the sound cookie", path,
                        errno);
        return FALSE;
    }
    gboolean ok = write_all(fd, cookie, VMC_PULSE_COOKIE_SIZE);
    int saved = errno;
    if (close(fd) != 0 && ok) {
        ok = FALSE;
        saved = errno;
    }
    if (ok)
        return TRUE;
    unlink(path);
    set_errno_error(error, VMC_PULSE_ERROR_COOKIE, "cannot write the sound cookie", path, saved);
    return FALSE;
}

gboolean
vmc_pulse_cookie_read(const char *path, guint8 *ret_cookie, GError **error)
{
    const VmcFileRules rules = {.owner = VMC_FILE_OWNER_ANY,
                                .max_size = VMC_PULSE_COOKIE_SIZE,
                                .flags = VMC_FILE_ANY_LINKS};
    gsize length = 0;
    g_autofree char *cookie = vmc_file_read(AT_FDCWD, path, path, &rules, &length, NULL);
    int saved = errno;
    if (cookie == NULL && saved != EISDIR && saved != EINVAL && saved != EFBIG) {
        set_errno_error(error, VMC_PULSE_ERROR_COOKIE, "cannot open the sound cookie", path, saved);
        return FALSE;
    }
    gboolean ok = cookie != NULL && length == VMC_PULSE_COOKIE_SIZE;
    if (ok)
        memcpy(ret_cookie, cookie, VMC_PULSE_COOKIE_SIZE);
    if (cookie != NULL)
        memset(cookie, 0, length);
    if (!ok) {
        g_autofree char *shown = vmc_text_escape(path, -1, PATH_SHOWN_MAX);
        g_set_error(error, VMC_PULSE_ERROR, VMC_PULSE_ERROR_COOKIE,
                    "the sound cookie %s is not a regular file of exactly %d bytes", shown,
                    VMC_PULSE_COOKIE_SIZE);
    }
    return ok;
}

char *
vmc_pulse_private_dir_make(const char *base, GError **error)
{
    g_autofree char *template =
        g_build_filename(base != NULL ? base : g_get_tmp_dir(), "vmc-pulse-XXXXXX", NULL);
    if (!vmc_pulse_path_is_safe(template)) {
        g_autofree char *shown = vmc_text_escape(template, -1, PATH_SHOWN_MAX);
        g_set_error(error, VMC_PULSE_ERROR, VMC_PULSE_ERROR_COOKIE,
                    "cannot keep the sound cookie under %s: the path must be absolute and "
                    "hold only letters, digits and /._- (set XDG_RUNTIME_DIR or TMPDIR)",
                    shown);
        return NULL;
    }
    if (g_mkdtemp_full(template, 0700) == NULL) {
        set_errno_error(error, VMC_PULSE_ERROR_COOKIE, "cannot make a private directory", template,
                        errno);
        return NULL;
    }
    return g_steal_pointer(&template);
}

void
vmc_pulse_private_dir_remove(const char *dir)
{
    if (dir == NULL)
        return;
    g_autoptr(GDir) listing = g_dir_open(dir, 0, NULL);
    const char *name;
    while (listing != NULL && (name = g_dir_read_name(listing)) != NULL) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        unlink(path); /* a directory inside (not ours) stays, and so does dir */
    }
    rmdir(dir);
}
