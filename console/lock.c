/* lock.c — one console per VM (an flock'ed file in the run dir naming the
 * holder), and the identity's session slots beside it. */
#include "vmc-console.h"

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
vmc_console_lock_info_format(const VmcLockInfo *info)
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
vmc_console_lock_info_parse(const char *text, gsize length)
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
vmc_console_lock_info_free(VmcLockInfo *info)
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
    gsize length = 0;
    g_autofree char *text =
        vmc_file_read_fd(fd, "the console lock", VMC_LOCK_INFO_MAX, &length, NULL);
    if (text == NULL || length == 0)
        return NULL;
    return vmc_console_lock_info_parse(text, length);
}

int
vmc_console_run_dir_open(const char *run_dir, GError **error)
{
    int fd = open(run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        int saved = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
                    "cannot open the run dir %s: %s (it must exist and belong to the gateway "
                    "account; see vmconsole-gateway(8))",
                    run_dir, g_strerror(saved));
    }
    return fd;
}

/* run_dir/name as a private file of ours (O_RDWR, created when missing). */
static int
open_run_file(const char *run_dir, const char *name, GError **error)
{
    int dir_fd = vmc_console_run_dir_open(run_dir, error);
    if (dir_fd < 0)
        return -1;
    g_autofree char *path = g_build_filename(run_dir, name, NULL);
    const VmcFileRules rules = {
        .owner = geteuid(), .max_size = VMC_LOCK_INFO_MAX, .remedy = VMC_RUN_FILE_REMEDY};
    int fd = vmc_file_open(dir_fd, name, path, O_RDWR | O_CREAT, &rules, error);
    close(dir_fd);
    return fd;
}

static int
open_lock_file(const char *run_dir, const char *vm, GError **error)
{
    g_autofree char *name = g_strdup_printf("%s.lock", vm);
    return open_run_file(run_dir, name, error);
}

static gboolean
write_lock_info(int fd, const VmcLockInfo *info, GError **error)
{
    g_autofree char *text = vmc_console_lock_info_format(info);
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
    g_autofree char *text = vmc_console_lock_info_format(info);
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

/* The holder named by run_dir/name when its lock is held, else NULL; a file
 * that is not a private file of owner: NULL and a problem. */
static VmcLockInfo *
held_lock_info(int dir_fd, const char *run_dir, const char *name, uid_t owner, GPtrArray *problems)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *path = g_build_filename(run_dir, name, NULL);
    const VmcFileRules rules = {
        .owner = owner, .max_size = VMC_LOCK_INFO_MAX, .remedy = VMC_RUN_FILE_REMEDY};
    int fd = vmc_file_open(dir_fd, name, path, O_RDONLY, &rules, &error);
    if (fd < 0) {
        if (problems != NULL && !g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            g_ptr_array_add(problems, g_strdup(error->message));
        return NULL;
    }
    VmcLockInfo *info = is_held(fd) ? read_lock_info(fd) : NULL;
    close(fd);
    return info;
}

GPtrArray *
vmc_console_locks_held(const char *run_dir, GPtrArray **ret_vms, GPtrArray *problems)
{
    GPtrArray *held = g_ptr_array_new_with_free_func((GDestroyNotify)vmc_console_lock_info_free);
    GPtrArray *vms = g_ptr_array_new_with_free_func(g_free);
    *ret_vms = vms;
    g_autoptr(GError) error = NULL;
    int dir_fd = vmc_console_run_dir_open(run_dir, &error);
    struct stat st;
    if (dir_fd < 0 || fstat(dir_fd, &st) != 0) {
        if (problems != NULL && error != NULL &&
            !g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            g_ptr_array_add(problems, g_strdup(error->message));
        if (dir_fd >= 0)
            close(dir_fd);
        return held;
    }
    g_autoptr(GDir) dir = g_dir_open(run_dir, 0, NULL);
    const char *name;
    for (guint n = 0;
         dir != NULL && (name = g_dir_read_name(dir)) != NULL && n < VMC_RUN_DIR_ENTRIES_MAX; n++) {
        if (!g_str_has_suffix(name, ".lock"))
            continue;
        g_autofree char *vm = g_strndup(name, strlen(name) - strlen(".lock"));
        if (!vmc_vm_name_is_valid(vm))
            continue;
        VmcLockInfo *info = held_lock_info(dir_fd, run_dir, name, st.st_uid, problems);
        if (info == NULL)
            continue;
        g_ptr_array_add(held, info);
        g_ptr_array_add(vms, g_steal_pointer(&vm));
    }
    close(dir_fd);
    return held;
}

/* ---- the identity's session slots ---- */

struct _VmcIdentitySlot {
    int fd;
};

VmcIdentitySlot *
vmc_console_slot_acquire(const char *run_dir, uid_t uid, guint max, GError **error)
{
    for (guint i = 0; i < max; i++) {
        g_autofree char *name = g_strdup_printf(VMC_SLOT_NAME_FORMAT, (guint)uid, i);
        int fd = open_run_file(run_dir, name, error);
        if (fd < 0)
            return NULL;
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
            VmcIdentitySlot *slot = g_new0(VmcIdentitySlot, 1);
            slot->fd = fd;
            return slot;
        }
        int saved = errno;
        close(fd);
        if (saved != EWOULDBLOCK) {
            g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
                        "cannot lock %s/%s: %s", run_dir, name, g_strerror(saved));
            return NULL;
        }
    }
    return NULL; /* every slot is held: max sessions run */
}

void
vmc_console_slot_release(VmcIdentitySlot *slot)
{
    if (slot == NULL)
        return;
    close(slot->fd); /* releases the flock */
    g_free(slot);
}

char *
vmc_console_session_id_new(void)
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
