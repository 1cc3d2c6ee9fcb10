/* test-confine-args.c — vmconsole-confine's argv parser against tables of good
 * and bad command lines, its bounds at the bound, and the Landlock rights each
 * option grants at each ABI (numbers written out from the kernel's UAPI). */
#include <glib.h>
#include <linux/landlock.h>
#include <string.h>

#include "confine-priv.h"
#include "vmc-assert.h"

#define MAX_ARGS 8

/* ---- good command lines ---- */

typedef struct {
    const char *argv[MAX_ARGS];
    size_t n_rules;
    int report_fd;
    gboolean require_landlock;
    gboolean debug;
    int abi_max;
    const char *program;
    int program_argc;
} GoodCase;

static const GoodCase good_cases[] = {
    {{"--", "/usr/bin/remote-viewer"}, 0, -1, FALSE, FALSE, -1, "/usr/bin/remote-viewer", 1},
    {{"--read", "/etc", "--", "/p", "a", "--read"}, 1, -1, FALSE, FALSE, -1, "/p", 3},
    {{"--exec", "/usr", "--write", "/tmp", "--device", "/dev/null", "--", "/p"},
     3,
     -1,
     FALSE,
     FALSE,
     -1,
     "/p",
     1},
    {{"--report-fd", "3", "--", "/p"}, 0, 3, FALSE, FALSE, -1, "/p", 1},
    {{"--report-fd", "2147483647", "--", "/p"}, 0, G_MAXINT, FALSE, FALSE, -1, "/p", 1},
    {{"--require-landlock", "--debug", "--", "/p"}, 0, -1, TRUE, TRUE, -1, "/p", 1},
    {{"--landlock-abi-max", "0", "--", "/p"}, 0, -1, FALSE, FALSE, 0, "/p", 1},
    {{"--landlock-abi-max", "7", "--", "/p"}, 0, -1, FALSE, FALSE, 7, "/p", 1},
    /* a path is only checked for shape: whether it exists is for later */
    {{"--read", "/no/such/path", "--", "/p"}, 1, -1, FALSE, FALSE, -1, "/p", 1},
    /* after '--', everything is the program's */
    {{"--", "/p", "--read", "relative", "--"}, 0, -1, FALSE, FALSE, -1, "/p", 4},
};

static int
argv_of(const char *const *args, char **ret_argv)
{
    int argc = 0;

    ret_argv[argc++] = (char *)"vmconsole-confine";
    for (int i = 0; i < MAX_ARGS && args[i] != NULL; i++)
        ret_argv[argc++] = (char *)args[i];
    ret_argv[argc] = NULL;
    return argc;
}

static void
test_good(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(good_cases); i++) {
        const GoodCase *c = &good_cases[i];
        char *argv[MAX_ARGS + 2];
        int argc = argv_of(c->argv, argv);
        VmcConfineOptions opts;
        VmcConfineError error = {{0}};

        g_test_message("good case %zu", i);
        g_assert_cmpint(vmc_confine_parse_args(argc, argv, &opts, &error), ==, 0);
        g_assert_cmpstr(error.message, ==, "");
        g_assert_cmpuint(opts.n_rules, ==, c->n_rules);
        g_assert_cmpint(opts.report_fd, ==, c->report_fd);
        g_assert_cmpint(opts.require_landlock, ==, c->require_landlock);
        g_assert_cmpint(opts.debug, ==, c->debug);
        g_assert_cmpint(opts.landlock_abi_max, ==, c->abi_max);
        g_assert_cmpstr(opts.program_argv[0], ==, c->program);
        g_assert_cmpuint(g_strv_length(opts.program_argv), ==, c->program_argc);
    }
}

static void
test_rule_order(void)
{
    char *argv[] = {"x",    "--device", "/dev/null", "--write", "/tmp", "--read",
                    "/etc", "--exec",   "/usr",      "--",      "/p",   NULL};
    VmcConfineOptions opts;

    g_assert_cmpint(vmc_confine_parse_args(G_N_ELEMENTS(argv) - 1, argv, &opts, NULL), ==, 0);
    g_assert_cmpuint(opts.n_rules, ==, 4);
    g_assert_cmpint(opts.rules[0].access, ==, VMC_CONFINE_DEVICE);
    g_assert_cmpstr(opts.rules[0].path, ==, "/dev/null");
    g_assert_cmpint(opts.rules[1].access, ==, VMC_CONFINE_WRITE);
    g_assert_cmpint(opts.rules[2].access, ==, VMC_CONFINE_READ);
    g_assert_cmpint(opts.rules[3].access, ==, VMC_CONFINE_EXEC);
    g_assert_cmpstr(opts.rules[3].path, ==, "/usr");
}

/* ---- bad command lines: refused, with words saying why ---- */

typedef struct {
    const char *argv[MAX_ARGS];
    const char *message_part;
} BadCase;

static const BadCase bad_cases[] = {
    {{NULL}, "missing '--'"},
    {{"/p"}, "unexpected '/p'"},
    {{"--read", "/etc", "/p"}, "unexpected '/p'"},
    {{"--"}, "missing PROGRAM"},
    {{"--", "remote-viewer"}, "PROGRAM 'remote-viewer': not an absolute path"},
    {{"--", ""}, "not an absolute path"},
    {{"--read"}, "--read: missing its value"},
    {{"--read", "--", "/p"}, "--read '--': not an absolute path"},
    {{"--read", "etc", "--", "/p"}, "--read 'etc': not an absolute path"},
    {{"--write", "", "--", "/p"}, "--write '': not an absolute path"},
    {{"--exec", "./usr", "--", "/p"}, "not an absolute path"},
    {{"--device", "dev/null", "--", "/p"}, "not an absolute path"},
    {{"--read=/etc", "/etc", "--", "/p"}, "unknown option '--read=/etc'"},
    {{"--bogus", "x", "--", "/p"}, "unknown option '--bogus'"},
    {{"--bogus"}, "unknown option '--bogus'"},
    {{"--report-fd"}, "--report-fd: missing its value"},
    {{"-r", "/etc", "--", "/p"}, "unexpected '-r'"},
    {{"--help", "--", "/p"}, "unknown option '--help'"},
    {{"--report-fd", "2", "--", "/p"}, "--report-fd '2'"},
    {{"--report-fd", "0", "--", "/p"}, "3 or more"},
    {{"--report-fd", "-3", "--", "/p"}, "3 or more"},
    {{"--report-fd", "+3", "--", "/p"}, "3 or more"},
    {{"--report-fd", "03", "--", "/p"}, "3 or more"},
    {{"--report-fd", " 3", "--", "/p"}, "3 or more"},
    {{"--report-fd", "3x", "--", "/p"}, "3 or more"},
    {{"--report-fd", "", "--", "/p"}, "3 or more"},
    {{"--report-fd", "2147483648", "--", "/p"}, "3 or more"},
    {{"--report-fd", "99999999999999999999", "--", "/p"}, "3 or more"},
    {{"--report-fd", "3", "--report-fd", "4", "--", "/p"}, "--report-fd '4'"},
    {{"--landlock-abi-max", "8", "--", "/p"}, "give one number 0-7"},
    {{"--landlock-abi-max", "-1", "--", "/p"}, "0-7"},
    {{"--landlock-abi-max", "1", "--landlock-abi-max", "1", "--", "/p"}, "0-7"},
};

static void
test_bad(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
        const BadCase *c = &bad_cases[i];
        char *argv[MAX_ARGS + 2];
        int argc = argv_of(c->argv, argv);
        VmcConfineOptions opts;
        VmcConfineError error = {{0}};

        memset(&opts, 0xa5, sizeof(opts));
        g_test_message("bad case %zu: expecting '%s'", i, c->message_part);
        g_assert_cmpint(vmc_confine_parse_args(argc, argv, &opts, &error), ==, -1);
        vmc_assert_contains(error.message, c->message_part);
        g_assert_cmpint(opts.report_fd, ==, (int)0xa5a5a5a5); /* untouched */
    }
}

/* ---- bounds, at the bound and one past it ---- */

static int
parse_with_paths(size_t n_paths, const char *path, VmcConfineError *error)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    VmcConfineOptions opts;

    g_ptr_array_add(argv, "vmconsole-confine");
    for (size_t i = 0; i < n_paths; i++) {
        g_ptr_array_add(argv, i % 2 ? "--read" : "--write");
        g_ptr_array_add(argv, (char *)path);
    }
    g_ptr_array_add(argv, "--");
    g_ptr_array_add(argv, "/p");
    g_ptr_array_add(argv, NULL);
    return vmc_confine_parse_args((int)argv->len - 1, (char **)argv->pdata, &opts, error);
}

static void
test_max_rules(void)
{
    VmcConfineError error = {{0}};

    g_assert_cmpint(parse_with_paths(VMC_CONFINE_MAX_RULES, "/tmp", &error), ==, 0);
    g_assert_cmpint(parse_with_paths(VMC_CONFINE_MAX_RULES + 1, "/tmp", &error), ==, -1);
    g_assert_cmpstr(error.message, ==, "more than 64 paths given");
}

static void
test_path_max(void)
{
    g_autofree char *longest = g_strnfill(VMC_CONFINE_PATH_MAX, 'a');
    g_autofree char *too_long = g_strnfill(VMC_CONFINE_PATH_MAX + 1, 'a');
    VmcConfineError error = {{0}};

    longest[0] = too_long[0] = '/';
    g_assert_cmpint(VMC_CONFINE_PATH_MAX, ==, 4095);
    g_assert_cmpint(parse_with_paths(1, longest, &error), ==, 0);
    g_assert_cmpint(parse_with_paths(1, too_long, &error), ==, -1);
    vmc_assert_contains(error.message, "longer than 4095 bytes");
    /* the message is capped, not the size of the path */
    g_assert_cmpuint(strlen(error.message), <, 400);
}

/* ---- Landlock rights ---- */

#define R LANDLOCK_ACCESS_FS_READ_FILE
#define D LANDLOCK_ACCESS_FS_READ_DIR
#define X LANDLOCK_ACCESS_FS_EXECUTE
#define W LANDLOCK_ACCESS_FS_WRITE_FILE
#define T (1ULL << 14) /* TRUNCATE, ABI 3 */
#define I (1ULL << 15) /* IOCTL_DEV, ABI 5 */
#define MAKE                                                                                       \
    (LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_SOCK |    \
     LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_SYM)
#define REMOVE (LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR)
#define REFER LANDLOCK_ACCESS_FS_REFER

typedef struct {
    VmcConfineAccess access;
    int abi;
    gboolean is_dir;
    guint64 rights;
} RightsCase;

static const RightsCase rights_cases[] = {
    {VMC_CONFINE_READ, 1, TRUE, R | D},
    {VMC_CONFINE_READ, 7, TRUE, R | D},
    {VMC_CONFINE_READ, 7, FALSE, R},
    {VMC_CONFINE_EXEC, 1, TRUE, R | D | X},
    {VMC_CONFINE_EXEC, 7, FALSE, R | X},
    {VMC_CONFINE_WRITE, 1, TRUE, R | D | W | MAKE | REMOVE},
    {VMC_CONFINE_WRITE, 2, TRUE, R | D | W | MAKE | REMOVE | REFER},
    {VMC_CONFINE_WRITE, 3, TRUE, R | D | W | MAKE | REMOVE | REFER | T},
    {VMC_CONFINE_WRITE, 7, TRUE, R | D | W | MAKE | REMOVE | REFER | T},
    {VMC_CONFINE_WRITE, 7, FALSE, R | W | T},
    {VMC_CONFINE_DEVICE, 4, FALSE, R | W},
    {VMC_CONFINE_DEVICE, 5, FALSE, R | W | I},
    {VMC_CONFINE_DEVICE, 7, TRUE, R | D | W | I},
    {VMC_CONFINE_READ, 0, TRUE, 0},
};

static void
test_rights(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(rights_cases); i++) {
        const RightsCase *c = &rights_cases[i];

        g_test_message("rights case %zu", i);
        g_assert_cmphex(vmc_landlock_fs_rights(c->access, c->abi, c->is_dir), ==, c->rights);
    }
}

/* Whatever the ABI: only --exec executes, nothing makes device nodes, and a
 * rule never grants what its ABI does not handle (the kernel refuses that). */
static void
test_rights_never(void)
{
    const guint64 make_dev = LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_BLOCK;

    for (int abi = 0; abi <= VMC_LANDLOCK_ABI_KNOWN; abi++)
        for (int access = VMC_CONFINE_READ; access <= VMC_CONFINE_DEVICE; access++)
            for (int is_dir = 0; is_dir <= 1; is_dir++) {
                guint64 rights = vmc_landlock_fs_rights(access, abi, is_dir);

                g_assert_cmphex(rights & make_dev, ==, 0);
                g_assert_cmphex(rights & ~vmc_landlock_fs_handled(abi), ==, 0);
                if (access != VMC_CONFINE_EXEC)
                    g_assert_cmphex(rights & X, ==, 0);
            }
}

static void
test_handled(void)
{
    static const guint64 handled[] = {0, 0x1fff, 0x3fff, 0x7fff, 0x7fff, 0xffff, 0xffff, 0xffff};

    G_STATIC_ASSERT(G_N_ELEMENTS(handled) == VMC_LANDLOCK_ABI_KNOWN + 1);
    for (int abi = 0; abi <= VMC_LANDLOCK_ABI_KNOWN; abi++)
        g_assert_cmphex(vmc_landlock_fs_handled(abi), ==, handled[abi]);
}

static void
test_abi_probe(void)
{
    int kernel = vmc_landlock_kernel_abi();
    int abi = vmc_landlock_abi();

    g_test_message("this kernel: Landlock ABI %d, used: %d", kernel, abi);
    g_assert_cmpint(kernel, >=, 0);
    g_assert_cmpint(abi, ==, MIN(kernel, VMC_LANDLOCK_ABI_KNOWN));
}

/* ---- error messages ---- */

static void
test_error_message(void)
{
    VmcConfineError error = {{0}};
    g_autofree char *huge = g_strnfill(2 * VMC_CONFINE_MESSAGE_MAX, 'x');

    vmc_confine_error_set(&error, ENOENT, "opening %s", "/x");
    g_assert_cmpstr(error.message, ==, "opening /x: No such file or directory");
    vmc_confine_error_set(&error, 0, "plain");
    g_assert_cmpstr(error.message, ==, "plain");
    vmc_confine_error_set(&error, EACCES, "%s", huge);
    g_assert_cmpuint(strlen(error.message), ==, VMC_CONFINE_MESSAGE_MAX - 1);
    vmc_confine_error_set(NULL, EACCES, "nowhere"); /* allowed */
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/confine/args/good", test_good);
    g_test_add_func("/confine/args/rule-order", test_rule_order);
    g_test_add_func("/confine/args/bad", test_bad);
    g_test_add_func("/confine/args/max-rules", test_max_rules);
    g_test_add_func("/confine/args/path-max", test_path_max);
    g_test_add_func("/confine/landlock/rights", test_rights);
    g_test_add_func("/confine/landlock/rights-never", test_rights_never);
    g_test_add_func("/confine/landlock/handled", test_handled);
    g_test_add_func("/confine/landlock/abi-probe", test_abi_probe);
    g_test_add_func("/confine/error/message", test_error_message);
    return g_test_run();
}
