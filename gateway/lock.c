/* lock.c — one console per VM: an flock'ed file in the run dir naming the holder. */
#include "vmc-gateway.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

struct _VmcConsoleLock {
    int fd;
};

static gboolean
is_lock_value(const char *value)
{
    if (*value == '\0' || strlen(value) > 256)
        return FALSE;
    for (const char *p = value; *p != '\0'; p++)
        if (!g_ascii_isprint(*p))
            return FALSE;
    return TRUE;
}

char *
vmc_lock_info_format(const VmcLockInfo *info)
{
    return g_strdup_printf("session=%s\nidentity=%s\nclient=%s\nsince=%" G_GINT64_FORMAT
                           "\npid=%d\nbytes=%" G_GINT64_FORMAT "\n",
                           info->session, info->identity, info->client ? info->client : "-",
                           info->since_us, info->pid, MAX(info->bytes, 0));
}

static gboolean
parse_int64(const char *text, gint64 min, gint64 max, gint64 *ret)
{
    guint64 value;
    if (!g_ascii_string_to_unsigned(text, 10, (guint64)min, (guint64)max, &value, NULL))
        return FALSE;
    *ret = (gint64)value;
    return TRUE;
}

VmcLockInfo *
vmc_lock_info_parse(const char *text, gsize length)
{
    if (length > VMC_LOCK_INFO_MAX || memchr(text, '\0', length) != NULL)
        return NULL;
    g_autofree char *copy = g_strndup(text, length);
    g_auto(GStrv) lines = g_strsplit(copy, "\n", 8);
    g_autoptr(VmcLockInfo) info = g_new0(VmcLockInfo, 1);
    info->bytes = -1;
    gint64 pid = 0;
    gboolean have_since = FALSE;

    for (guint i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++) {
        char *eq = strchr(lines[i], '=');
        if (eq == NULL || !is_lock_value(eq + 1))
            return NULL;
        *eq = '\0';
        const char *key = lines[i], *value = eq + 1;
        if (strcmp(key, "session") == 0 && info->session == NULL)
            info->session = g_strdup(value);
        else if (strcmp(key, "identity") == 0 && info->identity == NULL)
            info->identity = g_strdup(value);
        else if (strcmp(key, "client") == 0 && info->client == NULL)
            info->client = strcmp(value, "-") == 0 ? NULL : g_strdup(value);
        else if (strcmp(key, "since") == 0 && !have_since)
            have_since = parse_int64(value, 0, G_MAXINT64, &info->since_us);
        else if (strcmp(key, "pid") == 0 && pid == 0 && parse_int64(value, 1, G_MAXINT, &pid))
            info->pid = (gint)pid;
        else if (strcmp(key, "bytes") == 0 && info->bytes < 0 &&
                 parse_int64(value, 0, G_MAXINT64, &info->bytes))
            continue;
        else
            return NULL;
    }
    if (info->session == NULL || info->identity == NULL || !have_since || info->pid == 0)
        return NULL;
    return g_steal_pointer(&info);
}

void
vmc_lock_info_free(VmcLockInfo *info)
{
    if (info == NULL)
        return;
    g_free(info->session);
    g_free(info->identity);
    g_free(info->client);
    g_free(info);
}

static VmcLockInfo *
read_lock_info(int fd)
{
    char buffer[VMC_LOCK_INFO_MAX];
    ssize_t n = pread(fd, buffer, sizeof buffer, 0);
    if (n <= 0)
        return NULL;
    return vmc_lock_info_parse(buffer, (gsize)n);
}

static int
open_lock_file(const char *run_dir, const char *vm, GError **error)
{
    g_autofree char *path = g_strdup_printf("%s/%s.lock", run_dir, vm);
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0) {
        int saved = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
                    "cannot open the console lock %s: %s (the run dir must exist and belong "
                    "to the gateway account; see vmconsole-gateway(8))",
                    path, g_strerror(saved));
    }
    return fd;
}

static gboolean
write_lock_info(int fd, const VmcLockInfo *info, GError **error)
{
    g_autofree char *text = vmc_lock_info_format(info);
    gsize length = strlen(text);
    if (ftruncate(fd, 0) != 0 || pwrite(fd, text, length, 0) != (ssize_t)length) {
        int saved = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
                    "cannot write the console lock: %s", g_strerror(saved));
        return FALSE;
    }
    return TRUE;
}

gboolean
vmc_console_lock_update(VmcConsoleLock *lock, const VmcLockInfo *info)
{
    g_return_val_if_fail(lock != NULL && info != NULL, FALSE);
    g_autofree char *text = vmc_lock_info_format(info);
    gsize length = strlen(text);
    return pwrite(lock->fd, text, length, 0) == (ssize_t)length;
}

VmcConsoleLock *
vmc_console_lock_acquire(const char *run_dir, const char *vm, const VmcLockInfo *mine,
                         VmcLockInfo **ret_holder, VmcLockInfo **ret_stale, GError **error)
{
    int fd = open_lock_file(run_dir, vm, error);
    if (fd < 0)
        return NULL;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int saved = errno;
        if (saved == EWOULDBLOCK) {
            *ret_holder = read_lock_info(fd);
            if (*ret_holder == NULL) /* held, but not written yet: a session is starting */
                *ret_holder = g_new0(VmcLockInfo, 1);
        } else {
            g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
                        "cannot lock the console of %s: %s", vm, g_strerror(saved));
        }
        close(fd);
        return NULL;
    }
    *ret_stale = read_lock_info(fd);
    if (!write_lock_info(fd, mine, error)) {
        close(fd);
        return NULL;
    }
    VmcConsoleLock *lock = g_new0(VmcConsoleLock, 1);
    lock->fd = fd;
    return lock;
}

void
vmc_console_lock_release(VmcConsoleLock *lock)
{
    if (lock == NULL)
        return;
    if (ftruncate(lock->fd, 0) != 0) {
        /* Nothing to do about it: the next taker reads a holder that is gone
         * and reports it as stale. */
    }
    close(lock->fd); /* releases the flock */
    g_free(lock);
}

static gboolean
is_held(int fd)
{
    if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
        flock(fd, LOCK_UN);
        return FALSE;
    }
    return errno == EWOULDBLOCK;
}

GPtrArray *
vmc_console_locks_held(const char *run_dir, GPtrArray **ret_vms)
{
    GPtrArray *held = g_ptr_array_new_with_free_func((GDestroyNotify)vmc_lock_info_free);
    GPtrArray *vms = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GDir) dir = g_dir_open(run_dir, 0, NULL);
    const char *name;

    while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
        if (!g_str_has_suffix(name, ".lock"))
            continue;
        g_autofree char *vm = g_strndup(name, strlen(name) - strlen(".lock"));
        if (!vmc_vm_name_is_valid(vm))
            continue;
        g_autofree char *path = g_build_filename(run_dir, name, NULL);
        int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
            continue;
        VmcLockInfo *info = is_held(fd) ? read_lock_info(fd) : NULL;
        close(fd);
        if (info == NULL)
            continue;
        g_ptr_array_add(held, info);
        g_ptr_array_add(vms, g_steal_pointer(&vm));
    }
    *ret_vms = vms;
    return held;
}

char *
vmc_session_id_new(void)
{
    guint8 bytes[16];
    gsize got = 0;
    while (got < sizeof bytes) {
        ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        g_assert(n > 0); /* getrandom(2) without GRND_NONBLOCK does not fail otherwise */
        got += (gsize)n;
    }
    GString *id = g_string_sized_new(2 * sizeof bytes);
    for (gsize i = 0; i < sizeof bytes; i++)
        g_string_append_printf(id, "%02x", bytes[i]);
    return g_string_free(id, FALSE);
}
