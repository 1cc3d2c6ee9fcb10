/* test-xauth.c — the viewer's private X authority file: the entries chosen
 * must be the ones xauth(1) itself extracts for the display, byte for byte
 * (checked against the real xauth), and hostile files must not hurt. */
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "session-priv.h"
#include "vmc-assert.h"

#define COOKIE_A "00112233445566778899aabbccddeeff"
#define COOKIE_B "ffeeddccbbaa99887766554433221100"

static char *
hostname_now(void)
{
    char name[256] = "";
    gethostname(name, sizeof name - 1);
    return g_strdup(name);
}

static void
xauth(const char *file, const char *const *args, const char *input, char **ret_out)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_ptr_array_add(argv, (char *)"xauth");
    g_ptr_array_add(argv, (char *)"-q");
    g_ptr_array_add(argv, (char *)"-f");
    g_ptr_array_add(argv, (char *)file);
    for (guint i = 0; args[i] != NULL; i++)
        g_ptr_array_add(argv, (char *)args[i]);
    g_ptr_array_add(argv, NULL);
    g_autoptr(GSubprocess) p =
        g_subprocess_newv((const char *const *)argv->pdata,
                          G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                              G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                          NULL);
    g_assert_nonnull(p);
    g_assert_true(g_subprocess_communicate_utf8(p, input, NULL, ret_out, NULL, NULL));
    g_assert_true(g_subprocess_get_successful(p));
}

static GBytes *
read_file(const char *path)
{
    char *data = NULL;
    gsize length = 0;
    g_assert_true(g_file_get_contents(path, &data, &length, NULL));
    return g_bytes_new_take(data, length);
}

/* A file as sshd leaves it after several sessions, plus entries for other
 * displays and hosts. */
static void
test_matches_real_xauth(void)
{
    g_autofree char *dir = g_dir_make_tmp("vmc-xauth-XXXXXX", NULL);
    g_autofree char *src = g_build_filename(dir, "src", NULL);
    g_autofree char *host = hostname_now();
    g_autofree char *local10 = g_strconcat(host, "/unix:10", NULL);
    g_autofree char *local11 = g_strconcat(host, "/unix:11", NULL);
    const char *add1[] = {"add", local11, "MIT-MAGIC-COOKIE-1", COOKIE_B, NULL};
    const char *add2[] = {"add", local10, "MIT-MAGIC-COOKIE-1", COOKIE_A, NULL};
    const char *add3[] = {"add", "otherhost/unix:10", "MIT-MAGIC-COOKIE-1", COOKIE_B, NULL};
    const char *add4[] = {"add", local10, "XDM-AUTHORIZATION-1", COOKIE_B COOKIE_B, NULL};
    xauth(src, add1, NULL, NULL);
    xauth(src, add2, NULL, NULL);
    xauth(src, add3, NULL, NULL);
    xauth(src, add4, NULL, NULL);

    g_autoptr(GBytes) all = read_file(src);
    gsize length;
    const guint8 *data = g_bytes_get_data(all, &length);
    for (guint i = 0; i < 3; i++) {
        const char *display = (const char *[]){"localhost:10.0", ":10", "unix:10"}[i];
        g_autoptr(GBytes) ours = vmc_xauth_select(data, length, display, host);
        g_assert_nonnull(ours);
        /* what the gateway used to do: xauth nextract | xauth nmerge */
        g_autofree char *theirs_path = g_build_filename(dir, "theirs", NULL);
        g_unlink(theirs_path);
        g_autofree char *extracted = NULL;
        const char *nextract[] = {"nextract", "-", display, NULL};
        xauth(src, nextract, NULL, &extracted);
        const char *nmerge[] = {"nmerge", "-", NULL};
        xauth(theirs_path, nmerge, extracted, NULL);
        g_autoptr(GBytes) theirs = read_file(theirs_path);
        g_test_message("display %s: %zu bytes", display, g_bytes_get_size(ours));
        g_assert_true(g_bytes_equal(ours, theirs));
        /* and a client finds the cookie in the file we write */
        g_autofree char *written = g_build_filename(dir, "written", NULL);
        g_unlink(written);
        g_autoptr(GError) error = NULL;
        g_assert_true(vmc_xauth_copy_for_display(src, display, written, NULL, &error));
        g_assert_no_error(error);
        g_autofree char *listed = NULL;
        const char *list[] = {"list", NULL};
        xauth(written, list, NULL, &listed);
        vmc_assert_contains(listed, COOKIE_A);
        vmc_assert_lacks(listed, "unix:11");
        vmc_assert_lacks(listed, "otherhost");
        GStatBuf st;
        g_assert_cmpint(g_stat(written, &st), ==, 0);
        g_assert_cmpint(st.st_mode & 0777, ==, 0600);
        /* never over an existing file */
        g_assert_false(vmc_xauth_copy_for_display(src, display, written, NULL, NULL));

        /* retargeted for the sandbox's :0: any host, display 0, same cookies */
        g_autofree char *sandboxed = g_build_filename(dir, "sandboxed", NULL);
        g_unlink(sandboxed);
        g_assert_true(vmc_xauth_copy_for_display(src, display, sandboxed, "0", &error));
        g_autofree char *found = NULL;
        const char *list0[] = {"list", ":0", NULL};
        xauth(sandboxed, list0, NULL, &found);
        g_test_message("sandbox entries: %s", found);
        vmc_assert_contains(found, "#ffff#");
        vmc_assert_contains(found, "MIT-MAGIC-COOKIE-1  " COOKIE_A);
        vmc_assert_contains(found, "XDM-AUTHORIZATION-1");
        vmc_assert_lacks(found, "MIT-MAGIC-COOKIE-1  " COOKIE_B);
        g_autofree char *all_entries = NULL;
        xauth(sandboxed, list, NULL, &all_entries);
        g_assert_cmpstr(found, ==, all_entries); /* nothing for another display */
        g_unlink(sandboxed);
    }
    g_autoptr(GBytes) none = vmc_xauth_select(data, length, "localhost:12.0", host);
    g_assert_null(none);
    g_autoptr(GBytes) remote = vmc_xauth_select(data, length, "otherhost:10.0", host);
    g_assert_null(remote);
    g_autoptr(GError) error = NULL;
    g_autofree char *out = g_build_filename(dir, "out", NULL);
    g_assert_false(vmc_xauth_copy_for_display(src, "localhost:12.0", out, NULL, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
    g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));

    const char *rm[] = {"src", "theirs", "written", NULL};
    for (guint i = 0; rm[i] != NULL; i++) {
        g_autofree char *p = g_build_filename(dir, rm[i], NULL);
        g_unlink(p);
    }
    g_rmdir(dir);
}

static void
test_display(void)
{
    static const struct {
        const char *display, *host, *number;
    } cases[] = {
        {"localhost:10.0", "localhost", "10"},
        {":0", "", "0"},
        {"unix:3", "unix", "3"},
        {"h:12345.7", "h", "12345"},
        {"x", NULL, NULL},
        {"h:", NULL, NULL},
        {"h:1x", NULL, NULL},
        {"h:123456", NULL, NULL},
        {"h:.0", NULL, NULL},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *host = NULL, *number = NULL;
        gboolean ok = vmc_xauth_parse_display(cases[i].display, &host, &number);
        g_assert_cmpint(ok, ==, cases[i].host != NULL);
        g_assert_cmpstr(host, ==, cases[i].host);
        g_assert_cmpstr(number, ==, cases[i].number);
    }
}

/* Truncated and hostile files: no crash, no read past the end, the whole
 * entries before the damage still count. */
static void
test_hostile(void)
{
    static const guint8 entry[] = {0x01, 0x00, 0,   1,   'h', 0,   2,   '1', '0', 0,    18,
                                   'M',  'I',  'T', '-', 'M', 'A', 'G', 'I', 'C', '-',  'C',
                                   'O',  'O',  'K', 'I', 'E', '-', '1', 0,   2,   0xab, 0xcd};
    for (gsize cut = 0; cut <= sizeof entry; cut++) {
        guint8 *copy = g_memdup2(entry, cut); /* exactly cut bytes: ASan sees overreads */
        g_autoptr(GBytes) got = vmc_xauth_select(copy, cut, ":10", "h");
        g_assert_cmpint(got != NULL, ==, cut == sizeof entry);
        g_free(copy);
    }
    guint8 twice[2 * sizeof entry + 3];
    memcpy(twice, entry, sizeof entry);
    memcpy(twice + sizeof entry, entry, sizeof entry);
    memcpy(twice + 2 * sizeof entry, "\x01\x00\xff", 3); /* damaged tail */
    g_autoptr(GBytes) both = vmc_xauth_select(twice, sizeof twice, "localhost:10", "h");
    g_assert_cmpuint(g_bytes_get_size(both), ==, 2 * sizeof entry);
    g_autoptr(GBytes) big = vmc_xauth_select(twice, VMC_XAUTH_FILE_MAX + 1, ":10", "h");
    g_assert_null(big); /* (length checked before a byte is read) */
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/xauth/display", test_display);
    g_test_add_func("/xauth/hostile", test_hostile);
    g_test_add_func("/xauth/matches-real-xauth", test_matches_real_xauth);
    return g_test_run();
}
