/* test-config-files.c — config/config.c: reading the file, socket paths,
 * listing VMs from a socket directory. Works in a private temp dir. */
#include "vmc-config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

typedef struct {
    char *dir;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    f->dir = g_dir_make_tmp("vmc-config-test-XXXXXX", &error);
    g_assert_no_error(error);
}

static void
remove_tree(const char *path)
{
    GDir *dir = g_dir_open(path, 0, NULL);
    if (dir != NULL) {
        const char *name;
        while ((name = g_dir_read_name(dir)) != NULL) {
            g_autofree char *child = g_build_filename(path, name, NULL);
            remove_tree(child);
        }
        g_dir_close(dir);
        g_rmdir(path);
    } else {
        g_unlink(path);
    }
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
    remove_tree(f->dir);
    g_free(f->dir);
}

static char *
write_file(const Fixture *f, const char *name, const char *text, gssize length)
{
    char *path = g_build_filename(f->dir, name, NULL);
    g_autoptr(GError) error = NULL;
    g_file_set_contents(path, text, length, &error);
    g_assert_no_error(error);
    return path;
}

static void
make_socket(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    g_assert_cmpuint(strlen(path), <, sizeof(addr.sun_path));
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), ==, 0);
    close(fd);
}

static void
assert_load_fails(const char *path, const char *detail)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcConfig) config = vmc_config_load(path, &error);
    g_assert_null(config);
    g_assert_error(error, VMC_CONFIG_ERROR, VMC_CONFIG_ERROR_IO);
    g_autofree char *start = g_strdup_printf("cannot read config %s: %s", path, detail);
    if (!g_str_has_prefix(error->message, start) ||
        strstr(error->message, "pass --config FILE or create it") == NULL)
        g_error("message '%s' does not start with '%s' or lacks the hint", error->message, start);
}

static void
test_load_good(Fixture *f, gconstpointer data)
{
    g_autofree char *path =
        write_file(f, "gateway.conf", "[gateway]\ntakeover = allow\n[vm debianx]\n", -1);
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcConfig) config = vmc_config_load(path, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(config->path, ==, path);
    g_assert_cmpint(config->takeover, ==, VMC_TAKEOVER_ALLOW);
    g_assert_nonnull(vmc_config_find_vm(config, "debianx"));
}

static void
test_load_bad_text(Fixture *f, gconstpointer data)
{
    g_autofree char *path = write_file(f, "gateway.conf", "[gateway]\n\nsokcet = /x\n", -1);
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcConfig) config = vmc_config_load(path, &error);
    g_assert_null(config);
    g_assert_error(error, VMC_CONFIG_ERROR, VMC_CONFIG_ERROR_UNKNOWN);
    g_autofree char *start = g_strdup_printf("%s:3: [gateway] unknown key 'sokcet'", path);
    g_assert_true(g_str_has_prefix(error->message, start));
}

/* The documented example must stay a valid config. */
static void
test_load_example(Fixture *f, gconstpointer data)
{
    g_autofree char *path =
        g_test_build_filename(G_TEST_DIST, "..", "data", "gateway.conf.example", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcConfig) config = vmc_config_load(path, &error);
    g_assert_no_error(error);
    g_assert_nonnull(vmc_config_find_vm(config, "debianx"));
    guint max = 0, idle = 0;
    vmc_config_session_limits(config, "debianx", &max, &idle);
    g_assert_cmpuint(max, ==, 0);
    g_assert_cmpuint(idle, ==, 15 * 60);
    vmc_config_session_limits(config, "win10", &max, &idle);
    g_assert_cmpuint(max, ==, 8 * 3600);
    g_assert_cmpuint(idle, ==, 30 * 60);
}

static void
test_load_missing(Fixture *f, gconstpointer data)
{
    g_autofree char *path = g_build_filename(f->dir, "nope.conf", NULL);
    assert_load_fails(path, "No such file or directory");
}

static void
test_load_directory(Fixture *f, gconstpointer data)
{
    assert_load_fails(f->dir, "Is a directory");
}

static void
test_load_fifo(Fixture *f, gconstpointer data)
{
    g_autofree char *path = g_build_filename(f->dir, "fifo", NULL);
    g_assert_cmpint(mkfifo(path, 0600), ==, 0);
    assert_load_fails(path, "Invalid argument");
}

static void
test_load_too_large(Fixture *f, gconstpointer data)
{
    gsize length = VMC_CONFIG_MAX_BYTES + 1;
    g_autofree char *text = g_malloc(length);
    memset(text, '#', length);
    g_autofree char *path = write_file(f, "big.conf", text, (gssize)length);
    assert_load_fails(path, "File too large");

    /* at the bound: read */
    text[0] = '\n';
    g_autofree char *at_bound = write_file(f, "bound.conf", text, (gssize)length - 1);
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcConfig) config = vmc_config_load(at_bound, &error);
    g_assert_no_error(error);
    g_assert_nonnull(config);
}

static void
test_socket_path(Fixture *f, gconstpointer data)
{
    static const char text[] = "[gateway]\nsocket-pattern = /var/spicex/vm-%s.sock\n"
                               "[vm debianx]\nsocket = /var/spicex/spice.socket\n"
                               "[vm win10]\ntitle = Windows\n";
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcConfig) config = vmc_config_load_data(text, strlen(text), "t", &error);
    g_assert_no_error(error);
    g_autofree char *listed = vmc_config_socket_path(config, "debianx");
    g_autofree char *listed_no_socket = vmc_config_socket_path(config, "win10");
    g_autofree char *unlisted = vmc_config_socket_path(config, "fedora.39");
    g_assert_cmpstr(listed, ==, "/var/spicex/spice.socket");
    g_assert_cmpstr(listed_no_socket, ==, "/var/spicex/vm-win10.sock");
    g_assert_cmpstr(unlisted, ==, "/var/spicex/vm-fedora.39.sock");

    g_autoptr(VmcConfig) def = vmc_config_new_default();
    g_autofree char *from_default = vmc_config_socket_path(def, "debianx");
    g_assert_cmpstr(from_default, ==, "/var/spicex/debianx.sock");
}

static void
test_socket_path_invalid_name(Fixture *f, gconstpointer data)
{
    if (g_test_subprocess()) {
        g_autoptr(VmcConfig) config = vmc_config_new_default();
        g_autofree char *path = vmc_config_socket_path(config, "../etc/x");
        g_assert_null(path);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*vmc_vm_name_is_valid*");
}

static char *
join_names(GPtrArray *names)
{
    g_ptr_array_add(names, NULL);
    char *joined = g_strjoinv(" ", (char **)names->pdata);
    g_ptr_array_remove_index(names, names->len - 1);
    return joined;
}

static void
test_list_names(Fixture *f, gconstpointer data)
{
    g_autofree char *sock_dir = g_build_filename(f->dir, "spicex", NULL);
    g_assert_cmpint(g_mkdir(sock_dir, 0700), ==, 0);
    static const char *const sockets[] = {"vm-debianx.sock", "vm-win10.sock", "vm-a.b.sock"};
    for (gsize i = 0; i < G_N_ELEMENTS(sockets); i++) {
        g_autofree char *path = g_build_filename(sock_dir, sockets[i], NULL);
        make_socket(path);
    }
    /* entries that do not fit: wrong prefix or suffix, empty or invalid name */
    static const char *const others[] = {"debianx.sock", "vm-x.sock.bak", "vm-.sock",
                                         "vm--x.sock",   "vm-a b.sock",   "vm-.hidden.sock",
                                         "README"};
    for (gsize i = 0; i < G_N_ELEMENTS(others); i++) {
        g_autofree char *path = write_file(f, "x", "", 0);
        g_autofree char *dest = g_build_filename(sock_dir, others[i], NULL);
        g_assert_cmpint(g_rename(path, dest), ==, 0);
    }
    /* a plain file that fits counts too: the ACL check decides later */
    g_autofree char *plain = g_build_filename(sock_dir, "vm-plain.sock", NULL);
    g_assert_true(g_file_set_contents(plain, "", 0, NULL));

    g_autofree char *text = g_strdup_printf("[gateway]\nsocket-pattern = %s/vm-%%s.sock\n"
                                            "[vm zeta]\nsocket = /elsewhere/z.sock\n"
                                            "[vm win10]\n",
                                            sock_dir);
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcConfig) config = vmc_config_load_data(text, strlen(text), "t", &error);
    g_assert_no_error(error);
    g_autoptr(GPtrArray) names = vmc_config_list_vm_names(config);
    g_autofree char *joined = join_names(names);
    g_assert_cmpstr(joined, ==, "a.b debianx plain win10 zeta");
}

static void
test_list_names_no_dir(Fixture *f, gconstpointer data)
{
    g_autofree char *text = g_strdup_printf("[gateway]\nsocket-pattern = %s/missing/%%s\n"
                                            "[vm b]\n[vm a]\n",
                                            f->dir);
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcConfig) config = vmc_config_load_data(text, strlen(text), "t", &error);
    g_assert_no_error(error);
    g_autoptr(GPtrArray) names = vmc_config_list_vm_names(config);
    g_autofree char *joined = join_names(names);
    g_assert_cmpstr(joined, ==, "a b");
}

static void
test_list_names_bounded(Fixture *f, gconstpointer data)
{
    /* more fitting entries than VMC_CONFIG_MAX_VMS: the list stops there */
    for (int i = 0; i < VMC_CONFIG_MAX_VMS + 10; i++) {
        g_autofree char *name = g_strdup_printf("vm%05d", i);
        g_autofree char *path = g_build_filename(f->dir, name, NULL);
        g_assert_true(g_file_set_contents(path, "", 0, NULL));
    }
    g_autofree char *text = g_strdup_printf("[gateway]\nsocket-pattern = %s/%%s\n", f->dir);
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcConfig) config = vmc_config_load_data(text, strlen(text), "t", &error);
    g_assert_no_error(error);
    g_autoptr(GPtrArray) names = vmc_config_list_vm_names(config);
    g_assert_cmpuint(names->len, ==, VMC_CONFIG_MAX_VMS);
}

#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    ADD("/config/files/load-good", test_load_good);
    ADD("/config/files/load-bad-text", test_load_bad_text);
    ADD("/config/files/load-example", test_load_example);
    ADD("/config/files/load-missing", test_load_missing);
    ADD("/config/files/load-directory", test_load_directory);
    ADD("/config/files/load-fifo", test_load_fifo);
    ADD("/config/files/load-too-large", test_load_too_large);
    ADD("/config/files/socket-path", test_socket_path);
    ADD("/config/files/socket-path-invalid-name", test_socket_path_invalid_name);
    ADD("/config/files/list-names", test_list_names);
    ADD("/config/files/list-names-no-dir", test_list_names_no_dir);
    ADD("/config/files/list-names-bounded", test_list_names_bounded);
    return g_test_run();
}
