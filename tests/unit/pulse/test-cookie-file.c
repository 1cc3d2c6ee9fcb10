/* Cookie files and private directories: modes, refusals (existing file,
 * symlink, wrong size), random cookies, removal. In a temp dir of its own. */
#include "pulse-priv.h"
#include "vmc-assert.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

typedef struct {
    char *dir;
} Fixture;

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
    f->dir = g_dir_make_tmp("vmc-test-cookie-XXXXXX", NULL);
    g_assert_nonnull(f->dir);
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
    vmc_pulse_private_dir_remove(f->dir);
    g_assert_false(g_file_test(f->dir, G_FILE_TEST_EXISTS));
    g_free(f->dir);
}

static char *
path_in(Fixture *f, const char *name)
{
    return g_build_filename(f->dir, name, NULL);
}

static void
test_write_read(Fixture *f, gconstpointer data)
{
    guint8 cookie[VMC_PULSE_COOKIE_SIZE], back[VMC_PULSE_COOKIE_SIZE];
    g_autofree char *path = path_in(f, "cookie");
    g_autoptr(GError) error = NULL;
    struct stat st;
    g_assert_true(vmc_pulse_cookie_generate(cookie, &error));
    g_assert_true(vmc_pulse_cookie_write(path, cookie, &error));
    g_assert_no_error(error);
    g_assert_cmpint(lstat(path, &st), ==, 0);
    g_assert_cmpuint(st.st_mode & 07777, ==, 0600);
    g_assert_cmpint(st.st_size, ==, VMC_PULSE_COOKIE_SIZE);
    g_assert_true(vmc_pulse_cookie_read(path, back, &error));
    g_assert_cmpmem(cookie, sizeof(cookie), back, sizeof(back));
}

static void
assert_file_holds(const char *path, const char *text)
{
    g_autofree char *contents = NULL;
    gsize length = 0;
    g_assert_true(g_file_get_contents(path, &contents, &length, NULL));
    g_assert_cmpmem(contents, length, text, strlen(text));
}

static void
test_write_refuses_existing(Fixture *f, gconstpointer data)
{
    guint8 cookie[VMC_PULSE_COOKIE_SIZE] = {1};
    g_autofree char *path = path_in(f, "cookie");
    g_autofree char *target = path_in(f, "target");
    g_autofree char *link = path_in(f, "link");
    g_autoptr(GError) error = NULL;
    g_assert_true(g_file_set_contents(path, "old", -1, NULL));
    g_assert_false(vmc_pulse_cookie_write(path, cookie, &error));
    g_assert_error(error, VMC_PULSE_ERROR, VMC_PULSE_ERROR_COOKIE);
    vmc_assert_contains(error->message, path);
    g_clear_error(&error);
    /* the file that was there is left as it was: not removed, not rewritten */
    assert_file_holds(path, "old");
    /* a symlink, even to a file that does not exist, is not followed */
    g_assert_cmpint(symlink(target, link), ==, 0);
    g_assert_false(vmc_pulse_cookie_write(link, cookie, &error));
    g_assert_false(g_file_test(target, G_FILE_TEST_EXISTS));
    g_assert_true(g_file_test(link, G_FILE_TEST_IS_SYMLINK));
    g_clear_error(&error);
    /* nor one to a file that exists: the target keeps its bytes */
    g_assert_true(g_file_set_contents(target, "target's", -1, NULL));
    g_assert_false(vmc_pulse_cookie_write(link, cookie, &error));
    assert_file_holds(target, "target's");
    g_assert_true(g_file_test(link, G_FILE_TEST_IS_SYMLINK));
}

typedef struct {
    const char *name;
    gssize size; /* -1: a symlink to a good file; -2: a directory; -3: missing */
} ReadCase;

static const ReadCase read_rejects[] = {
    {"empty", 0},
    {"one-short", VMC_PULSE_COOKIE_SIZE - 1},
    {"one-long", VMC_PULSE_COOKIE_SIZE + 1},
    {"symlink", -1},
    {"directory", -2},
    {"missing", -3},
};

static void
test_read_rejects(Fixture *f, gconstpointer data)
{
    const ReadCase *c = data;
    g_autofree char *good = path_in(f, "good");
    g_autofree char *path = path_in(f, "candidate");
    g_autofree char *bytes = g_strnfill(VMC_PULSE_COOKIE_SIZE + 1, 'x');
    guint8 out[VMC_PULSE_COOKIE_SIZE];
    g_autoptr(GError) error = NULL;
    g_assert_true(g_file_set_contents(good, bytes, VMC_PULSE_COOKIE_SIZE, NULL));
    if (c->size >= 0)
        g_assert_true(g_file_set_contents(path, bytes, c->size, NULL));
    else if (c->size == -1)
        g_assert_cmpint(symlink(good, path), ==, 0);
    else if (c->size == -2)
        g_assert_cmpint(g_mkdir(path, 0700), ==, 0);
    memset(out, 0x5a, sizeof(out));
    g_assert_false(vmc_pulse_cookie_read(path, out, &error));
    g_assert_error(error, VMC_PULSE_ERROR, VMC_PULSE_ERROR_COOKIE);
    g_assert_cmpuint(out[0], ==, 0x5a);
    if (c->size == -2)
        g_rmdir(path);
}

static void
test_generate_differs(void)
{
    guint8 a[VMC_PULSE_COOKIE_SIZE], b[VMC_PULSE_COOKIE_SIZE];
    g_assert_true(vmc_pulse_cookie_generate(a, NULL));
    g_assert_true(vmc_pulse_cookie_generate(b, NULL));
    g_assert_true(memcmp(a, b, sizeof(a)) != 0);
}

static void
test_private_dir(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    struct stat st;
    g_autofree char *dir = vmc_pulse_private_dir_make(f->dir, &error);
    g_assert_no_error(error);
    g_assert_true(g_str_has_prefix(dir, f->dir));
    g_assert_cmpint(lstat(dir, &st), ==, 0);
    g_assert_true(S_ISDIR(st.st_mode));
    g_assert_cmpuint(st.st_mode & 07777, ==, 0700);
    g_autofree char *inside = g_build_filename(dir, "cookie", NULL);
    g_assert_true(g_file_set_contents(inside, "x", -1, NULL));
    vmc_pulse_private_dir_remove(dir);
    g_assert_false(g_file_test(dir, G_FILE_TEST_EXISTS));
}

static void
test_private_dir_unsafe_base(Fixture *f, gconstpointer data)
{
    g_autofree char *base = path_in(f, "with space");
    g_autoptr(GError) error = NULL;
    g_assert_cmpint(g_mkdir(base, 0700), ==, 0);
    g_assert_null(vmc_pulse_private_dir_make(base, &error));
    g_assert_error(error, VMC_PULSE_ERROR, VMC_PULSE_ERROR_COOKIE);
    vmc_assert_contains(error->message, "XDG_RUNTIME_DIR");
    g_rmdir(base);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
    ADD("/pulse/cookie-file/write-read", test_write_read);
    ADD("/pulse/cookie-file/write-refuses-existing", test_write_refuses_existing);
    ADD("/pulse/cookie-file/private-dir", test_private_dir);
    ADD("/pulse/cookie-file/private-dir-unsafe-base", test_private_dir_unsafe_base);
#undef ADD
    for (gsize i = 0; i < G_N_ELEMENTS(read_rejects); i++) {
        g_autofree char *path =
            g_strdup_printf("/pulse/cookie-file/read-rejects/%s", read_rejects[i].name);
        g_test_add(path, Fixture, &read_rejects[i], fixture_set_up, test_read_rejects,
                   fixture_tear_down);
    }
    g_test_add_func("/pulse/cookie-file/generate-differs", test_generate_differs);
    return g_test_run();
}
