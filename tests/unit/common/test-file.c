/* test-file.c — the bounded reader of small files: each thing that may
 * stand in a regular file's place is refused at once with what it is (and
 * errno saying it), the rules' relaxations (a symlink, more links, any
 * owner) do only what they say, and the size bound holds at the bound. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmc-common.h"
#include "vmc-assert.h"

#define REMEDY "remove it"

typedef struct {
    char *dir;
    int dir_fd;
} Fixture;

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    f->dir = g_dir_make_tmp("vmc-file-XXXXXX", &error);
    g_assert_no_error(error);
    f->dir_fd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    g_assert_cmpint(f->dir_fd, >=, 0);
}

/* The tests make a flat dir: files, links, FIFOs, sockets, empty dirs. */
static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
    DIR *dir = fdopendir(f->dir_fd);
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        if (unlinkat(dirfd(dir), entry->d_name, 0) != 0)
            g_assert_cmpint(unlinkat(dirfd(dir), entry->d_name, AT_REMOVEDIR), ==, 0);
    }
    closedir(dir);
    g_assert_cmpint(rmdir(f->dir), ==, 0);
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

/* The private-file rules: ours, one link, at most 100 bytes. */
static VmcFileRules
private_rules(void)
{
    return (VmcFileRules){.owner = geteuid(), .max_size = 100, .remedy = REMEDY};
}

/* Open name under rules; it must be refused with errno err, and the message
 * must name the file, say want, and end in the remedy. */
static void
assert_refused_by(const Fixture *f, const char *name, int flags, const VmcFileRules *rules, int err,
                  const char *want)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *path = path_in(f, name);
    errno = 0;
    int fd = vmc_file_open(f->dir_fd, name, path, flags, rules, &error);
    int got = errno;
    g_assert_cmpint(fd, ==, -1);
    g_assert_nonnull(error);
    g_test_message("%s: %s", name, error->message);
    g_assert_cmpint(got, ==, err);
    g_assert_true(g_error_matches(error, G_FILE_ERROR, g_file_error_from_errno(err)));
    vmc_assert_contains(error->message, path);
    vmc_assert_contains(error->message, want);
    if (rules->remedy != NULL)
        g_assert_true(g_str_has_suffix(error->message, ": " REMEDY));
}

static void
assert_refused(const Fixture *f, const char *name, int flags, int err, const char *want)
{
    VmcFileRules rules = private_rules();
    assert_refused_by(f, name, flags, &rules, err, want);
}

static void
test_regular(Fixture *f, gconstpointer data)
{
    put(f, "a.lock", "text");
    VmcFileRules rules = private_rules();
    gsize length = 0;
    g_autoptr(GError) error = NULL;
    g_autofree char *text = vmc_file_read(f->dir_fd, "a.lock", "a.lock", &rules, &length, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(text, ==, "text");
    g_assert_cmpuint(length, ==, 4);
}

static void
test_missing_and_create(Fixture *f, gconstpointer data)
{
    VmcFileRules rules = private_rules();
    g_autoptr(GError) error = NULL;
    int fd = vmc_file_open(f->dir_fd, "new.lock", "new.lock", O_RDWR, &rules, &error);
    g_assert_cmpint(fd, ==, -1);
    g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    g_assert_cmpint(errno, ==, ENOENT);
    g_clear_error(&error);
    fd = vmc_file_open(f->dir_fd, "new.lock", "new.lock", O_RDWR | O_CREAT, &rules, &error);
    g_assert_no_error(error);
    struct stat st;
    g_assert_cmpint(fstat(fd, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 07777, ==, 0600);
    g_assert_cmpint(fcntl(fd, F_GETFD) & FD_CLOEXEC, ==, FD_CLOEXEC);
    close(fd);

    /* another mode when the rules say so; O_APPEND passes through */
    rules.create_mode = 0644;
    fd = vmc_file_open(f->dir_fd, "keys", "keys", O_RDWR | O_APPEND | O_CREAT, &rules, &error);
    g_assert_no_error(error);
    g_assert_cmpint(fstat(fd, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0644 & ~umask(umask(0)));
    g_assert_cmpint(fcntl(fd, F_GETFL) & O_APPEND, ==, O_APPEND);
    close(fd);
}

static void
test_not_regular(Fixture *f, gconstpointer data)
{
    g_autofree char *fifo = path_in(f, "fifo.lock");
    g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
    assert_refused(f, "fifo.lock", O_RDONLY, EINVAL, "is a FIFO"); /* would block otherwise */
    assert_refused(f, "fifo.lock", O_RDWR | O_CREAT, EINVAL, "is a FIFO");

    put(f, "target", "x");
    g_autofree char *symlink_path = path_in(f, "link.lock");
    g_assert_cmpint(symlink("target", symlink_path), ==, 0);
    assert_refused(f, "link.lock", O_RDONLY, ELOOP, "is a symbolic link");
    assert_refused(f, "link.lock", O_RDWR | O_CREAT, ELOOP, "is a symbolic link");

    g_autofree char *dir = path_in(f, "dir.lock");
    g_assert_cmpint(g_mkdir(dir, 0700), ==, 0);
    assert_refused(f, "dir.lock", O_RDWR | O_CREAT, EISDIR, "is a directory");

    g_autofree char *target = path_in(f, "target");
    g_autofree char *hard = path_in(f, "hard.lock");
    g_assert_cmpint(link(target, hard), ==, 0);
    assert_refused(f, "hard.lock", O_RDWR, EMLINK, "has 2 hard links");

    g_autofree char *sock = path_in(f, "sock.lock");
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    g_strlcpy(address.sun_path, sock, sizeof address.sun_path);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    g_assert_cmpint(bind(s, (struct sockaddr *)&address, sizeof address), ==, 0);
    close(s);
    assert_refused(f, "sock.lock", O_RDONLY, EINVAL, "is a socket");
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
    assert_refused(f, "theirs.lock", O_RDONLY, EPERM, "belongs to uid 65534, not to uid 0");
    /* VMC_FILE_OWNER_ANY takes it */
    VmcFileRules rules = private_rules();
    rules.owner = VMC_FILE_OWNER_ANY;
    int fd = vmc_file_open(f->dir_fd, "theirs.lock", path, O_RDONLY, &rules, NULL);
    g_assert_cmpint(fd, >=, 0);
    close(fd);
}

/* VMC_FILE_FOLLOW lets a symlink name a regular file, not anything else;
 * VMC_FILE_ANY_LINKS takes a hard-linked file; neither more. */
static void
test_relaxed(Fixture *f, gconstpointer data)
{
    put(f, "target", "text");
    g_autofree char *target = path_in(f, "target");
    g_autofree char *link_path = path_in(f, "link");
    g_assert_cmpint(symlink("target", link_path), ==, 0);
    g_autofree char *fifo = path_in(f, "fifo");
    g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
    g_autofree char *fifo_link = path_in(f, "fifo-link");
    g_assert_cmpint(symlink("fifo", fifo_link), ==, 0);
    g_autofree char *hard = path_in(f, "hard");
    g_assert_cmpint(link(target, hard), ==, 0);

    VmcFileRules follow = private_rules();
    follow.flags = VMC_FILE_FOLLOW | VMC_FILE_ANY_LINKS;
    gsize length = 0;
    g_autofree char *through = vmc_file_read(f->dir_fd, "link", "link", &follow, &length, NULL);
    g_assert_cmpstr(through, ==, "text");
    assert_refused_by(f, "fifo-link", O_RDONLY, &follow, EINVAL, "is a FIFO");

    VmcFileRules links = private_rules();
    links.flags = VMC_FILE_ANY_LINKS;
    g_autofree char *linked = vmc_file_read(f->dir_fd, "hard", "hard", &links, &length, NULL);
    g_assert_cmpstr(linked, ==, "text");
    assert_refused_by(f, "link", O_RDONLY, &links, ELOOP, "is a symbolic link");

    /* no remedy: the message ends with what the file is */
    VmcFileRules plain = private_rules();
    plain.remedy = NULL;
    assert_refused_by(f, "fifo", O_RDONLY, &plain, EINVAL, "is a FIFO, not a regular file");
}

static void
test_size_bound(Fixture *f, gconstpointer data)
{
    g_autofree char *at = g_strnfill(100, 'a');
    g_autofree char *over = g_strnfill(101, 'a');
    put(f, "at.lock", at);
    put(f, "over.lock", over);
    VmcFileRules rules = private_rules();
    gsize length = 0;
    g_autofree char *text = vmc_file_read(f->dir_fd, "at.lock", "at.lock", &rules, &length, NULL);
    g_assert_nonnull(text);
    g_assert_cmpuint(length, ==, 100);
    assert_refused(f, "over.lock", O_RDONLY, EFBIG, "is larger than 100 bytes");

    /* an fd already open: at the bound, and a file that grew past it */
    int fd = vmc_file_open(f->dir_fd, "at.lock", "at.lock", O_RDWR, &rules, NULL);
    g_assert_cmpint(fd, >=, 0);
    g_autofree char *read = vmc_file_read_fd(fd, "at.lock", 100, &length, NULL);
    g_assert_nonnull(read);
    g_assert_cmpuint(length, ==, 100);
    g_assert_cmpint(pwrite(fd, "b", 1, 100), ==, 1);
    g_autoptr(GError) error = NULL;
    gsize untouched = 7;
    g_autofree char *grown = vmc_file_read_fd(fd, "at.lock", 100, &untouched, &error);
    g_assert_null(grown);
    g_assert_cmpint(errno, ==, EFBIG);
    g_assert_cmpuint(untouched, ==, 7);
    vmc_assert_contains(error->message, "at.lock is larger than 100 bytes");
    close(fd);

    /* an empty file, and one holding NULs: all of it, its length said */
    put(f, "empty", "");
    g_autofree char *empty = vmc_file_read(f->dir_fd, "empty", "empty", &rules, &length, NULL);
    g_assert_cmpstr(empty, ==, "");
    g_assert_cmpuint(length, ==, 0);
}

static void
test_kind(void)
{
    static const struct {
        mode_t mode;
        const char *words;
    } cases[] = {
        {S_IFREG | 0644, "a regular file"},  {S_IFDIR | 0755, "a directory"},
        {S_IFLNK | 0777, "a symbolic link"}, {S_IFIFO | 0600, "a FIFO"},
        {S_IFSOCK | 0600, "a socket"},       {S_IFCHR | 0600, "a character device"},
        {S_IFBLK | 0600, "a block device"},  {0, "of an unknown kind"},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
        g_assert_cmpstr(vmc_file_kind(cases[i].mode), ==, cases[i].words);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
    ADD("/file/regular", test_regular);
    ADD("/file/missing-and-create", test_missing_and_create);
    ADD("/file/not-regular", test_not_regular);
    ADD("/file/other-owner", test_other_owner);
    ADD("/file/relaxed", test_relaxed);
    ADD("/file/size-bound", test_size_bound);
    g_test_add_func("/file/kind", test_kind);
    return g_test_run();
}
