/* test-acl-read.c — pinning real sockets and reading their ACLs through the pinned fd. */
#include "acl-priv.h"

#include <acl/libacl.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

typedef struct {
    char *dir;
    char *socket_path;
    int listener;
} Fixture;

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    f->dir = g_dir_make_tmp("vmc-acl-read-XXXXXX", &error);
    g_assert_no_error(error);
    f->socket_path = g_build_filename(f->dir, "console.sock", NULL);

    struct sockaddr_un address = {.sun_family = AF_UNIX};
    g_assert_cmpuint(strlen(f->socket_path), <, sizeof address.sun_path);
    strcpy(address.sun_path, f->socket_path);
    f->listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(f->listener, >=, 0);
    g_assert_cmpint(bind(f->listener, (struct sockaddr *)&address, sizeof address), ==, 0);
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
    close(f->listener);
    g_autoptr(GDir) dir = g_dir_open(f->dir, 0, NULL);
    const char *name;
    while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *path = g_build_filename(f->dir, name, NULL);
        g_unlink(path);
    }
    g_rmdir(f->dir);
    g_free(f->socket_path);
    g_free(f->dir);
}

static void
set_acl(const char *path, const char *text)
{
    g_auto(acl_t) libacl = acl_from_text(text);
    g_assert_nonnull(libacl);
    if (acl_set_file(path, ACL_TYPE_ACCESS, libacl) < 0)
        g_error("acl_set_file %s: %s", path, g_strerror(errno));
}

static VmcAcl *
pin_and_read(const char *path)
{
    g_autoptr(GError) error = NULL;
    int fd = vmc_acl_pin_socket(path, &error);
    g_assert_no_error(error);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(fcntl(fd, F_GETFD) & FD_CLOEXEC, ==, FD_CLOEXEC);
    VmcAcl *acl = vmc_acl_read_pinned(fd, &error);
    g_assert_no_error(error);
    close(fd);
    return acl;
}

static void
assert_entry(const VmcAcl *acl, guint i, VmcAclTag tag, guint32 qualifier, guint perm)
{
    g_assert_cmpuint(i, <, acl->n_entries);
    g_assert_cmpint(acl->entries[i].tag, ==, tag);
    if (tag == VMC_ACL_TAG_USER || tag == VMC_ACL_TAG_GROUP)
        g_assert_cmpuint(acl->entries[i].qualifier, ==, qualifier);
    g_assert_cmpuint(acl->entries[i].perm, ==, perm);
}

static void
test_read_extended(Fixture *f, gconstpointer data)
{
    set_acl(f->socket_path, "u::rw-,u:23456:r--,g::---,g:12345:rw-,m::rw-,o::---");
    g_autoptr(VmcAcl) acl = pin_and_read(f->socket_path);
    g_assert_cmpuint(acl->owner, ==, geteuid());
    g_assert_cmpuint(acl->group, ==, getegid());
    g_assert_cmpuint(acl->n_entries, ==, 6);
    assert_entry(acl, 0, VMC_ACL_TAG_USER_OBJ, 0, VMC_ACL_RW);
    assert_entry(acl, 1, VMC_ACL_TAG_USER, 23456, VMC_ACL_READ);
    assert_entry(acl, 2, VMC_ACL_TAG_GROUP_OBJ, 0, 0);
    assert_entry(acl, 3, VMC_ACL_TAG_GROUP, 12345, VMC_ACL_RW);
    assert_entry(acl, 4, VMC_ACL_TAG_MASK, 0, VMC_ACL_RW);
    assert_entry(acl, 5, VMC_ACL_TAG_OTHER, 0, 0);

    const gid_t groups[] = {12345};
    g_autoptr(VmcIdentity) member = vmc_identity_new("member", 34567, 34567, groups, 1);
    g_assert_true(vmc_acl_check(acl, member, VMC_ACL_RW).granted);
}

static void
test_read_minimal(Fixture *f, gconstpointer data)
{
    g_assert_cmpint(chmod(f->socket_path, 0640), ==, 0);
    g_autoptr(VmcAcl) acl = pin_and_read(f->socket_path);
    g_assert_cmpuint(acl->n_entries, ==, 3);
    assert_entry(acl, 0, VMC_ACL_TAG_USER_OBJ, 0, VMC_ACL_RW);
    assert_entry(acl, 1, VMC_ACL_TAG_GROUP_OBJ, 0, VMC_ACL_READ);
    assert_entry(acl, 2, VMC_ACL_TAG_OTHER, 0, 0);
}

/* The ACL read is the pinned inode's, even once the path names another one. */
static void
test_read_follows_pin(Fixture *f, gconstpointer data)
{
    set_acl(f->socket_path, "u::rw-,g::---,g:12345:rw-,m::rw-,o::---");
    g_autoptr(GError) error = NULL;
    int fd = vmc_acl_pin_socket(f->socket_path, &error);
    g_assert_no_error(error);
    g_assert_cmpint(g_unlink(f->socket_path), ==, 0);
    g_assert_true(g_file_set_contents(f->socket_path, "", 0, NULL));
    g_autoptr(VmcAcl) acl = vmc_acl_read_pinned(fd, &error);
    g_assert_no_error(error);
    close(fd);
    g_assert_cmpuint(acl->n_entries, ==, 5);
    assert_entry(acl, 2, VMC_ACL_TAG_GROUP, 12345, VMC_ACL_RW);
}

static void
assert_pin_fails(const char *path, int code, const char *fragment)
{
    g_autoptr(GError) error = NULL;
    int fd = vmc_acl_pin_socket(path, &error);
    g_assert_cmpint(fd, ==, -1);
    g_assert_error(error, VMC_ACL_ERROR, code);
    if (strstr(error->message, fragment) == NULL)
        g_error("'%s' lacks '%s'", error->message, fragment);
}

static void
test_pin_rejects(Fixture *f, gconstpointer data)
{
    g_autofree char *link = g_build_filename(f->dir, "link.sock", NULL);
    g_autofree char *file = g_build_filename(f->dir, "regular", NULL);
    g_autofree char *missing = g_build_filename(f->dir, "missing.sock", NULL);
    g_autofree char *under_file = g_build_filename(file, "x.sock", NULL);
    g_assert_cmpint(symlink(f->socket_path, link), ==, 0);
    g_assert_true(g_file_set_contents(file, "", 0, NULL));

    assert_pin_fails(link, VMC_ACL_ERROR_NOT_SOCKET, "symlinks are refused");
    assert_pin_fails(file, VMC_ACL_ERROR_NOT_SOCKET, "is a regular file, not a socket");
    assert_pin_fails(f->dir, VMC_ACL_ERROR_NOT_SOCKET, "is a directory, not a socket");
    assert_pin_fails(missing, VMC_ACL_ERROR_NOT_FOUND, "No such file");
    assert_pin_fails(under_file, VMC_ACL_ERROR_NOT_FOUND, "cannot open");
}

static void
test_read_bad_fd(void)
{
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);
    close(fd);
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcAcl) acl = vmc_acl_read_pinned(fd, &error);
    g_assert_null(acl);
    g_assert_error(error, VMC_ACL_ERROR, VMC_ACL_ERROR_IO);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/acl/read/extended", Fixture, NULL, fixture_set_up, test_read_extended,
               fixture_tear_down);
    g_test_add("/acl/read/minimal", Fixture, NULL, fixture_set_up, test_read_minimal,
               fixture_tear_down);
    g_test_add("/acl/read/follows-pin", Fixture, NULL, fixture_set_up, test_read_follows_pin,
               fixture_tear_down);
    g_test_add("/acl/pin/rejects", Fixture, NULL, fixture_set_up, test_pin_rejects,
               fixture_tear_down);
    g_test_add_func("/acl/read/bad-fd", test_read_bad_fd);
    return g_test_run();
}
