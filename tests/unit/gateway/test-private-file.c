/* test-private-file.c — files in the run dir and the home, opened as private
 * files: each thing that may stand in a regular file's place is refused at
 * once with what it is, and the size bound holds at the bound. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmc-gateway.h"

typedef struct {
    char *dir;
    int dir_fd;
} Fixture;

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    f->dir = g_dir_make_tmp("vmc-private-XXXXXX", &error);
    g_assert_no_error(error);
    f->dir_fd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    g_assert_cmpint(f->dir_fd, >=, 0);
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
    g_assert_true(vmc_remove_tree_at(AT_FDCWD, f->dir, VMC_OWNER_ANY));
    close(f->dir_fd);
    g_free(f->dir);
}

static char *
path_in(const Fixture *f, const char *name)
{
    return g_build_filename(f->dir, name, NULL);
}

static void
put(const Fixture *f, const char *name, const char *text)
{
    g_autofree char *path = path_in(f, name);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
}

/* Open name; on refusal, the message must name the file and say want. */
static void
assert_refused(const Fixture *f, const char *name, int flags, const char *want)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *path = path_in(f, name);
    int fd = vmc_private_file_open(f->dir_fd, name, path, flags, geteuid(), 100, &error);
    g_assert_cmpint(fd, ==, -1);
    g_assert_nonnull(error);
    g_test_message("%s: %s", name, error->message);
    g_assert_nonnull(strstr(error->message, path));
    g_assert_nonnull(strstr(error->message, want));
}

static void
test_regular(Fixture *f, gconstpointer data)
{
    put(f, "a.lock", "text");
    gsize length = 0;
    g_autoptr(GError) error = NULL;
    g_autofree char *text =
        vmc_private_file_read(f->dir_fd, "a.lock", "a.lock", geteuid(), 100, &length, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(text, ==, "text");
    g_assert_cmpuint(length, ==, 4);
}

static void
test_missing_and_create(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    int fd = vmc_private_file_open(f->dir_fd, "new.lock", "new.lock", O_RDWR, geteuid(), 100,
                                   &error);
    g_assert_cmpint(fd, ==, -1);
    g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    g_clear_error(&error);
    fd = vmc_private_file_open(f->dir_fd, "new.lock", "new.lock", O_RDWR | O_CREAT, geteuid(),
                               100, &error);
    g_assert_no_error(error);
    struct stat st;
    g_assert_cmpint(fstat(fd, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 07777, ==, 0600);
    close(fd);
}

static void
test_not_regular(Fixture *f, gconstpointer data)
{
    g_autofree char *fifo = path_in(f, "fifo.lock");
    g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
    assert_refused(f, "fifo.lock", O_RDONLY, "is a FIFO"); /* would block without O_NONBLOCK */
    assert_refused(f, "fifo.lock", O_RDWR | O_CREAT, "is a FIFO");

    put(f, "target", "x");
    g_autofree char *symlink_path = path_in(f, "link.lock");
    g_assert_cmpint(symlink("target", symlink_path), ==, 0);
    assert_refused(f, "link.lock", O_RDONLY, "is a symbolic link");
    assert_refused(f, "link.lock", O_RDWR | O_CREAT, "is a symbolic link");

    g_autofree char *dir = path_in(f, "dir.lock");
    g_assert_cmpint(g_mkdir(dir, 0700), ==, 0);
    assert_refused(f, "dir.lock", O_RDWR | O_CREAT, "is a directory");

    g_autofree char *target = path_in(f, "target");
    g_autofree char *hard = path_in(f, "hard.lock");
    g_assert_cmpint(link(target, hard), ==, 0);
    assert_refused(f, "hard.lock", O_RDWR, "has 2 hard links");

    g_autofree char *sock = path_in(f, "sock.lock");
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    g_strlcpy(address.sun_path, sock, sizeof address.sun_path);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    g_assert_cmpint(bind(s, (struct sockaddr *)&address, sizeof address), ==, 0);
    close(s);
    assert_refused(f, "sock.lock", O_RDONLY, "is a socket");
}

static void
test_other_owner(Fixture *f, gconstpointer data)
{
    if (geteuid() != 0) {
        g_test_skip("needs root to give a file to another owner");
        return;
    }
    put(f, "theirs.lock", "x");
    g_autofree char *path = path_in(f, "theirs.lock");
    g_assert_cmpint(chown(path, 65534, 65534), ==, 0);
    assert_refused(f, "theirs.lock", O_RDONLY, "belongs to uid 65534, not to uid 0");
    /* VMC_OWNER_ANY takes it */
    int fd = vmc_private_file_open(f->dir_fd, "theirs.lock", path, O_RDONLY, VMC_OWNER_ANY, 100,
                                   NULL);
    g_assert_cmpint(fd, >=, 0);
    close(fd);
}

static void
test_size_bound(Fixture *f, gconstpointer data)
{
    g_autofree char *at = g_strnfill(100, 'a');
    g_autofree char *over = g_strnfill(101, 'a');
    put(f, "at.lock", at);
    put(f, "over.lock", over);
    gsize length = 0;
    g_autofree char *text =
        vmc_private_file_read(f->dir_fd, "at.lock", "at.lock", geteuid(), 100, &length, NULL);
    g_assert_cmpuint(length, ==, 100);
    assert_refused(f, "over.lock", O_RDONLY, "is larger than 100 bytes");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, func) \
    g_test_add(path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
    ADD("/private-file/regular", test_regular);
    ADD("/private-file/missing-and-create", test_missing_and_create);
    ADD("/private-file/not-regular", test_not_regular);
    ADD("/private-file/other-owner", test_other_owner);
    ADD("/private-file/size-bound", test_size_bound);
    return g_test_run();
}
