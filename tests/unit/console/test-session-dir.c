/* test-session-dir.c — session dirs and the sweep: removal never follows a
 * link and stops at its bounds (depth, entries, dirs per sweep: each tested
 * at the bound); a sweep removes a dir only when its gateway is gone. */
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmc-console.h"
#include "vmc-assert.h"

typedef struct {
    char *dir; /* the run dir */
    int dir_fd;
    GPtrArray *removed;  /* ids the sweep told of as removed */
    GPtrArray *problems; /* "id: problem" */
} Fixture;

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
    /* a tmpfs where there is one, as /run is (the entries bound makes 200,000 files) */
    f->dir = g_strdup("/dev/shm/vmc-run-XXXXXX");
    if (g_mkdtemp(f->dir) == NULL) {
        g_autoptr(GError) error = NULL;
        g_free(f->dir);
        f->dir = g_dir_make_tmp("vmc-run-XXXXXX", &error);
        g_assert_no_error(error);
    }
    f->dir_fd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    f->removed = g_ptr_array_new_with_free_func(g_free);
    f->problems = g_ptr_array_new_with_free_func(g_free);
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
    close(f->dir_fd);
    /* rm, not the code under test: some tests leave trees beyond its bounds */
    const char *argv[] = {"rm", "-rf", "--", f->dir, NULL};
    gint status = -1;
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
                               NULL, &status, NULL));
    g_assert_cmpint(status, ==, 0);
    g_free(f->dir);
    g_ptr_array_unref(f->removed);
    g_ptr_array_unref(f->problems);
}

static gboolean
exists(const Fixture *f, const char *name)
{
    struct stat st;
    return fstatat(f->dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* name/d1/d2/.../dN with a file at the bottom. */
static void
make_chain(const Fixture *f, const char *name, guint levels)
{
    g_autoptr(GString) path = g_string_new(f->dir);
    g_string_append_printf(path, "/%s", name);
    for (guint i = 1; i <= levels; i++)
        g_string_append_printf(path, "/d%u", i);
    g_assert_cmpint(g_mkdir_with_parents(path->str, 0700), ==, 0);
    g_string_append(path, "/leaf");
    g_assert_true(g_file_set_contents(path->str, "x", -1, NULL));
}

static void
test_depth_bound(Fixture *f, gconstpointer data)
{
    /* the top dir is level 0: dirs down to level MAX - 1 are removed */
    make_chain(f, "at", VMC_REMOVE_TREE_DEPTH_MAX - 1);
    g_assert_true(vmc_console_remove_tree_at(f->dir_fd, "at", geteuid()));
    g_assert_false(exists(f, "at"));
    make_chain(f, "over", VMC_REMOVE_TREE_DEPTH_MAX);
    g_assert_false(vmc_console_remove_tree_at(f->dir_fd, "over", geteuid()));
    g_assert_true(exists(f, "over"));
}

static void
make_files(const Fixture *f, const char *name, guint n)
{
    g_autofree char *path = g_build_filename(f->dir, name, NULL);
    g_assert_cmpint(g_mkdir(path, 0700), ==, 0);
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    for (guint i = 0; i < n; i++) {
        char file[16];
        g_snprintf(file, sizeof file, "%u", i);
        int out = openat(fd, file, O_WRONLY | O_CREAT | O_EXCL, 0600);
        g_assert_cmpint(out, >=, 0);
        close(out);
    }
    close(fd);
}

static void
test_entries_bound(Fixture *f, gconstpointer data)
{
    /* the dir itself counts as one entry */
    make_files(f, "at", VMC_REMOVE_TREE_ENTRIES_MAX - 1);
    g_assert_true(vmc_console_remove_tree_at(f->dir_fd, "at", geteuid()));
    g_assert_false(exists(f, "at"));
    make_files(f, "over", VMC_REMOVE_TREE_ENTRIES_MAX);
    g_assert_false(vmc_console_remove_tree_at(f->dir_fd, "over", geteuid()));
    g_assert_true(exists(f, "over"));
}

static void
test_links_not_followed(Fixture *f, gconstpointer data)
{
    g_autofree char *outside = g_build_filename(f->dir, "outside", NULL);
    g_autofree char *canary = g_build_filename(outside, "canary", NULL);
    g_assert_cmpint(g_mkdir(outside, 0700), ==, 0);
    g_assert_true(g_file_set_contents(canary, "keep", -1, NULL));
    make_chain(f, "tree", 2);
    g_autofree char *link_dir = g_build_filename(f->dir, "tree", "d1", "to-dir", NULL);
    g_autofree char *link_file = g_build_filename(f->dir, "tree", "to-file", NULL);
    g_assert_cmpint(symlink(outside, link_dir), ==, 0);
    g_assert_cmpint(symlink(canary, link_file), ==, 0);
    g_assert_true(vmc_console_remove_tree_at(f->dir_fd, "tree", geteuid()));
    g_assert_false(exists(f, "tree"));
    g_assert_true(g_file_test(canary, G_FILE_TEST_IS_REGULAR));
}

static void
test_other_owner_stays(Fixture *f, gconstpointer data)
{
    if (geteuid() != 0) {
        g_test_skip("needs root to give a file to another owner");
        return;
    }
    make_chain(f, "tree", 1);
    g_autofree char *leaf = g_build_filename(f->dir, "tree", "d1", "leaf", NULL);
    g_assert_cmpint(chown(leaf, 65534, 65534), ==, 0);
    g_assert_false(vmc_console_remove_tree_at(f->dir_fd, "tree", 0));
    g_assert_true(g_file_test(leaf, G_FILE_TEST_EXISTS));
}

static void
on_swept(const char *path, const char *id, gboolean removed, const char *problem, gpointer data)
{
    Fixture *f = data;
    if (removed)
        g_ptr_array_add(f->removed, g_strdup(id));
    else
        g_ptr_array_add(f->problems, g_strdup_printf("%s: %s", id, problem));
}

static gboolean
told(GPtrArray *list, const char *prefix)
{
    for (guint i = 0; i < list->len; i++)
        if (g_str_has_prefix(list->pdata[i], prefix))
            return TRUE;
    return FALSE;
}

static void
test_sweep(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    /* a live session: its dir held */
    g_autoptr(VmcSessionDir) live = vmc_console_session_dir_create(f->dir, "live", &error);
    g_assert_no_error(error);
    g_assert_true(g_str_has_suffix(vmc_console_session_dir_get_path(live), "/session-live"));
    struct stat st;
    g_assert_cmpint(stat(vmc_console_session_dir_get_path(live), &st), ==, 0);
    g_assert_cmpint(st.st_mode & 07777, ==, 0700);
    /* an older gateway's session: no dir lock, but its console lock names it */
    make_chain(f, "session-named", 1);
    VmcLockInfo mine = {
        .session = (char *)"named", .identity = (char *)"alice", .since_us = 1, .pid = getpid()};
    VmcLockInfo *holder = NULL, *stale = NULL;
    g_autoptr(VmcConsoleLock) lock =
        vmc_console_lock_acquire(f->dir, "vm", &mine, &holder, &stale, &error);
    g_assert_no_error(error);
    /* a killed gateway's, and things that are no session dir */
    make_chain(f, "session-dead", 3);
    g_assert_cmpint(symlinkat(f->dir, f->dir_fd, "session-link"), ==, 0);
    g_autofree char *file = g_build_filename(f->dir, "session-file", NULL);
    g_assert_true(g_file_set_contents(file, "", 0, NULL));

    g_assert_cmpuint(vmc_console_session_dirs_sweep(f->dir, on_swept, f), ==, 1);
    g_assert_cmpuint(f->removed->len, ==, 1);
    g_assert_cmpstr(f->removed->pdata[0], ==, "dead");
    g_assert_false(exists(f, "session-dead"));
    g_assert_true(exists(f, "session-live") && exists(f, "session-named"));
    g_assert_true(told(f->problems, "link: it is not a directory"));
    g_assert_true(told(f->problems, "file: it is not a directory"));
    g_assert_true(exists(f, "session-link") && exists(f, "session-file"));

    /* gone: the dir can be made again only as a new one */
    g_assert_true(vmc_console_session_dir_remove(live));
    g_autoptr(VmcSessionDir) again = vmc_console_session_dir_create(f->dir, "named", &error);
    g_assert_null(again);
    vmc_assert_contains(error->message, "session-named");
}

static void
test_sweep_bound(Fixture *f, gconstpointer data)
{
    for (guint i = 0; i <= VMC_SWEEP_DIRS_MAX; i++) {
        g_autofree char *name = g_strdup_printf("session-%u", i);
        make_chain(f, name, 1);
    }
    g_assert_cmpuint(vmc_console_session_dirs_sweep(f->dir, NULL, NULL), ==, VMC_SWEEP_DIRS_MAX);
    g_assert_cmpuint(vmc_console_session_dirs_sweep(f->dir, NULL, NULL), ==, 1);
    g_assert_cmpuint(vmc_console_session_dirs_sweep(f->dir, NULL, NULL), ==, 0);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
    ADD("/session-dir/depth-bound", test_depth_bound);
    ADD("/session-dir/entries-bound", test_entries_bound);
    ADD("/session-dir/links-not-followed", test_links_not_followed);
    ADD("/session-dir/other-owner-stays", test_other_owner_stays);
    ADD("/session-dir/sweep", test_sweep);
    ADD("/session-dir/sweep-bound", test_sweep_bound);
    return g_test_run();
}
