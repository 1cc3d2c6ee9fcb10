/* session-dir.c — a session's private dir in the run dir (RUN/session-ID:
 * the X cookie, the sound cookie, the relay sockets), and the sweep of those
 * that a killed gateway left behind.
 *
 * A live session holds an flock on its dir for its whole life; the kernel
 * lets go when the gateway dies, however it dies (a pid in a file would
 * prove nothing: pids are reused). The sweep removes a dir only when it can
 * take that flock itself and no held console lock names the session (the
 * console lock is taken, naming the session, before the dir exists, and
 * released after it is gone: so a dir made but not yet locked, and the dirs
 * of gateways older than the flock, count as live too). Nothing is followed: every step is an *at()
 * call on a directory fd opened O_NOFOLLOW, only entries of the run dir's owner are removed, and
 * the recursion and the work are bounded.
 */
#include "vmc-console.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOCK_TRIES 100     /* flock attempts on a new session dir ... */
#define LOCK_WAIT_US 10000 /* ... this far apart (a sweep holds it briefly) */
#define CREATE_TRIES 3     /* a new dir swept before we locked it: made again */

/* ---- removing a tree ---- */

static gboolean remove_at(int parent_fd, const char *name, uid_t owner, guint depth, guint *budget);

/* Everything inside the directory open as fd. */
static gboolean
empty_dir(int fd, uid_t owner, guint depth, guint *budget)
{
    int copy = dup(fd);
    DIR *dir = copy >= 0 ? fdopendir(copy) : NULL;
    if (dir == NULL) {
        if (copy >= 0)
            close(copy);
        return FALSE;
    }
    gboolean ok = TRUE;
    struct dirent *entry;
    while (ok && (entry = readdir(dir)) != NULL)
        if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0)
            ok = remove_at(fd, entry->d_name, owner, depth + 1, budget);
    closedir(dir);
    return ok;
}

static gboolean
remove_at(int parent_fd, const char *name, uid_t owner, guint depth, guint *budget)
{
    struct stat st;
    if (fstatat(parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT;
    if ((owner != VMC_FILE_OWNER_ANY && st.st_uid != owner) || *budget == 0)
        return FALSE;
    (*budget)--;
    if (!S_ISDIR(st.st_mode)) /* a symlink goes, never what it points to */
        return unlinkat(parent_fd, name, 0) == 0 || errno == ENOENT;
    if (depth >= VMC_REMOVE_TREE_DEPTH_MAX)
        return FALSE;
    int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return FALSE;
    gboolean ok = empty_dir(fd, owner, depth, budget);
    close(fd);
    return ok && (unlinkat(parent_fd, name, AT_REMOVEDIR) == 0 || errno == ENOENT);
}

gboolean
vmc_console_remove_tree_at(int parent_fd, const char *name, uid_t owner)
{
    guint budget = VMC_REMOVE_TREE_ENTRIES_MAX;
    return remove_at(parent_fd, name, owner, 0, &budget);
}

/* ---- a session's own dir ---- */

struct _VmcSessionDir {
    char *path;
    int run_fd;
    char *name;
    int fd; /* the dir, flock'ed */
};

/* mkdir name (new: an existing one is not ours), open it and lock it; FALSE
 * with *ret_gone when a sweep removed it before the lock was ours. */
static gboolean
make_locked(VmcSessionDir *dir, gboolean *ret_gone, GError **error)
{
    *ret_gone = FALSE;
    if (mkdirat(dir->run_fd, dir->name, 0700) != 0) {
        int saved = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "cannot create %s: %s",
                    dir->path, g_strerror(saved));
        return FALSE;
    }
    dir->fd = openat(dir->run_fd, dir->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir->fd < 0 && errno == ENOENT) {
        *ret_gone = TRUE; /* removed by a sweep between mkdir and open */
        return FALSE;
    }
    gboolean locked = FALSE;
    for (guint i = 0; dir->fd >= 0 && !locked && i < LOCK_TRIES; i++) {
        locked = flock(dir->fd, LOCK_EX | LOCK_NB) == 0;
        if (!locked)
            g_usleep(LOCK_WAIT_US);
    }
    struct stat st;
    if (locked && fstat(dir->fd, &st) == 0) {
        *ret_gone = st.st_nlink == 0; /* removed by a sweep between mkdir and flock */
        if (!*ret_gone)
            return TRUE;
    } else {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot lock the new session dir %s",
                    dir->path);
    }
    if (dir->fd >= 0)
        close(dir->fd);
    dir->fd = -1;
    return FALSE;
}

VmcSessionDir *
vmc_console_session_dir_create(const char *run_dir, const char *id, GError **error)
{
    g_autoptr(VmcSessionDir) dir = g_new0(VmcSessionDir, 1);
    dir->name = g_strconcat(VMC_SESSION_DIR_PREFIX, id, NULL);
    dir->path = g_build_filename(run_dir, dir->name, NULL);
    dir->fd = -1;
    dir->run_fd = vmc_console_run_dir_open(run_dir, error);
    if (dir->run_fd < 0)
        return NULL;
    for (guint i = 0; i < CREATE_TRIES; i++) {
        gboolean gone = FALSE;
        if (make_locked(dir, &gone, error))
            return g_steal_pointer(&dir);
        if (!gone)
            return NULL;
    }
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                "%s was removed %d times while it was being made", dir->path, CREATE_TRIES);
    return NULL;
}

const char *
vmc_console_session_dir_get_path(const VmcSessionDir *dir)
{
    return dir->path;
}

gboolean
vmc_console_session_dir_remove(VmcSessionDir *dir)
{
    return vmc_console_remove_tree_at(dir->run_fd, dir->name, geteuid());
}

void
vmc_console_session_dir_free(VmcSessionDir *dir)
{
    if (dir == NULL)
        return;
    if (dir->fd >= 0)
        close(dir->fd); /* releases the flock */
    if (dir->run_fd >= 0)
        close(dir->run_fd);
    g_free(dir->name);
    g_free(dir->path);
    g_free(dir);
}

/* ---- the sweep ---- */

typedef struct {
    int run_fd;
    const char *run_dir;
    uid_t owner;
    guint budget; /* entries the whole sweep may remove */
    VmcSweepFunc func;
    gpointer data;
} Sweep;

static void
tell(const Sweep *sweep, const char *name, gboolean removed, const char *problem)
{
    if (sweep->func == NULL)
        return;
    g_autofree char *path = g_build_filename(sweep->run_dir, name, NULL);
    sweep->func(path, name + strlen(VMC_SESSION_DIR_PREFIX), removed, problem, sweep->data);
}

/* One RUN/session-* entry whose session no held console lock names: TRUE
 * when it was removed. */
static gboolean
sweep_one(Sweep *sweep, const char *name)
{
    struct stat st;
    if (fstatat(sweep->run_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return FALSE;
    if (!S_ISDIR(st.st_mode) || st.st_uid != sweep->owner) {
        g_autofree char *why =
            !S_ISDIR(st.st_mode)
                ? g_strdup("it is not a directory: no gateway made it")
                : g_strdup_printf("it belongs to uid %u, not to the run dir's owner: no gateway "
                                  "made it",
                                  (guint)st.st_uid);
        tell(sweep, name, FALSE, why);
        return FALSE;
    }
    int fd = openat(sweep->run_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return FALSE;
    gboolean removed = FALSE;
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) { /* its gateway is gone */
        removed = remove_at(sweep->run_fd, name, sweep->owner, 0, &sweep->budget);
        if (!removed)
            tell(sweep, name, FALSE,
                 "its gateway is gone but it could not be removed entirely (deeper "
                 "than " G_STRINGIFY(
                     VMC_REMOVE_TREE_DEPTH_MAX) " levels, too many entries, or entries "
                                                "of another owner)");
    }
    close(fd);
    if (removed)
        tell(sweep, name, TRUE, NULL);
    return removed;
}

static GHashTable *
live_sessions(const char *run_dir)
{
    g_autoptr(GPtrArray) vms = NULL;
    g_autoptr(GPtrArray) held = vmc_console_locks_held(run_dir, &vms, NULL);
    GHashTable *live = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; i < held->len; i++)
        g_hash_table_add(live, g_strdup(((VmcLockInfo *)held->pdata[i])->session));
    return live;
}

/* The names of the RUN/session-* entries, at most VMC_SWEEP_CANDIDATES_MAX. */
static GPtrArray *
candidates(int run_fd)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    int copy = dup(run_fd);
    DIR *dir = copy >= 0 ? fdopendir(copy) : NULL;
    if (dir == NULL) {
        if (copy >= 0)
            close(copy);
        return names;
    }
    struct dirent *entry;
    for (guint seen = 0; (entry = readdir(dir)) != NULL && seen < VMC_RUN_DIR_ENTRIES_MAX &&
                         names->len < VMC_SWEEP_CANDIDATES_MAX;
         seen++)
        if (g_str_has_prefix(entry->d_name, VMC_SESSION_DIR_PREFIX))
            g_ptr_array_add(names, g_strdup(entry->d_name));
    closedir(dir);
    return names;
}

guint
vmc_console_session_dirs_sweep(const char *run_dir, VmcSweepFunc func, gpointer data)
{
    struct stat st;
    Sweep sweep = {vmc_console_run_dir_open(run_dir, NULL),
                   run_dir,
                   0,
                   VMC_REMOVE_TREE_ENTRIES_MAX,
                   func,
                   data};
    if (sweep.run_fd < 0)
        return 0;
    if (fstat(sweep.run_fd, &st) != 0) {
        close(sweep.run_fd);
        return 0;
    }
    sweep.owner = st.st_uid;
    /* The held console locks are read after the dirs are listed: a live
     * session's lock names it before its dir exists, so every dir listed
     * whose session is live is named here. */
    g_autoptr(GPtrArray) names = candidates(sweep.run_fd);
    g_autoptr(GHashTable) live = live_sessions(run_dir);
    guint removed = 0;
    for (guint i = 0; i < names->len && removed < VMC_SWEEP_DIRS_MAX && sweep.budget > 0; i++) {
        const char *name = names->pdata[i];
        if (!g_hash_table_contains(live, name + strlen(VMC_SESSION_DIR_PREFIX)))
            removed += sweep_one(&sweep, name);
    }
    close(sweep.run_fd);
    return removed;
}
