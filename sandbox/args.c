/* args.c — vmconsole-confine's argv, checked strictly. argv is the admin's (the
 * gateway builds it), but a slip must not widen the sandbox or run something
 * else: paths are absolute, numbers are plain decimal, '--' is required. */
#include "confine-priv.h"

#include <string.h>

static const struct {
    const char *name;
    VmcConfineAccess access;
} vmc_rule_options[] = {
    {"--read", VMC_CONFINE_READ},
    {"--exec", VMC_CONFINE_EXEC},
    {"--write", VMC_CONFINE_WRITE},
    {"--device", VMC_CONFINE_DEVICE},
};

/* Plain decimal from 0 to @max: no sign, no spaces, no leading zeros. */
static int
parse_number(const char *text, int max, int *ret_value)
{
    long value = 0;

    if (*text == '\0' || (text[0] == '0' && text[1] != '\0'))
        return -1;
    for (const char *p = text; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        value = value * 10 + (*p - '0');
        if (value > max)
            return -1;
    }
    *ret_value = (int)value;
    return 0;
}

static int
check_path(const char *what, const char *path, VmcConfineError *error)
{
    if (path[0] != '/') {
        vmc_confine_error_set(error, 0, "%s '%.300s': not an absolute path", what, path);
        return -1;
    }
    if (strlen(path) > VMC_CONFINE_PATH_MAX) {
        vmc_confine_error_set(error, 0, "%s '%.300s...': longer than %d bytes", what, path,
                              VMC_CONFINE_PATH_MAX);
        return -1;
    }
    return 0;
}

static int
add_rule(VmcConfineOptions *opts, const char *option, VmcConfineAccess access, const char *path,
         VmcConfineError *error)
{
    if (check_path(option, path, error) < 0)
        return -1;
    if (opts->n_rules == VMC_CONFINE_MAX_RULES) {
        vmc_confine_error_set(error, 0, "more than %d paths given", VMC_CONFINE_MAX_RULES);
        return -1;
    }
    opts->rules[opts->n_rules].access = access;
    opts->rules[opts->n_rules].path = path;
    opts->n_rules++;
    return 0;
}

static int
rule_option(const char *option)
{
    for (size_t i = 0; i < sizeof(vmc_rule_options) / sizeof(vmc_rule_options[0]); i++)
        if (strcmp(option, vmc_rule_options[i].name) == 0)
            return (int)i;
    return -1;
}

/* An option that takes a value: --read/--exec/--write/--device PATH,
 * --report-fd N, --landlock-abi-max N (tests: use at most ABI N). @value is
 * NULL when argv ends after @option. */
static int
parse_valued(VmcConfineOptions *opts, const char *option, const char *value, VmcConfineError *error)
{
    int rule = rule_option(option);

    if (rule < 0 && strcmp(option, "--report-fd") != 0 &&
        strcmp(option, "--landlock-abi-max") != 0) {
        vmc_confine_error_set(error, 0, "unknown option '%.100s'", option);
        return -1;
    }
    if (value == NULL) {
        vmc_confine_error_set(error, 0, "%s: missing its value", option);
        return -1;
    }
    if (rule >= 0)
        return add_rule(opts, option, vmc_rule_options[rule].access, value, error);
    if (strcmp(option, "--report-fd") == 0) {
        /* 0-2 are the program's stdio: a report there would be closed under it. */
        if (opts->report_fd != -1 || parse_number(value, INT_MAX, &opts->report_fd) < 0 ||
            opts->report_fd < 3) {
            vmc_confine_error_set(error, 0, "--report-fd '%.30s': give one number of 3 or more",
                                  value);
            return -1;
        }
        return 0;
    }
    if (opts->landlock_abi_max != -1 ||
        parse_number(value, VMC_LANDLOCK_ABI_KNOWN, &opts->landlock_abi_max) < 0) {
        vmc_confine_error_set(error, 0, "--landlock-abi-max '%.30s': give one number 0-%d", value,
                              VMC_LANDLOCK_ABI_KNOWN);
        return -1;
    }
    return 0;
}

static int
parse_option(VmcConfineOptions *opts, int argc, char **argv, int *index, VmcConfineError *error)
{
    const char *option = argv[*index];
    const char *value = NULL;

    if (strcmp(option, "--require-landlock") == 0) {
        opts->require_landlock = true;
        return 0;
    }
    if (strcmp(option, "--debug") == 0) {
        opts->debug = true;
        return 0;
    }
    if (strncmp(option, "--", 2) != 0 || option[2] == '\0') {
        vmc_confine_error_set(error, 0, "unexpected '%.100s' (options, then '--' PROGRAM)", option);
        return -1;
    }
    if (*index + 1 < argc) {
        *index += 1;
        value = argv[*index];
    }
    return parse_valued(opts, option, value, error);
}

int
vmc_confine_parse_args(int argc, char **argv, VmcConfineOptions *ret_opts, VmcConfineError *error)
{
    VmcConfineOptions opts = {.report_fd = -1, .landlock_abi_max = -1};
    int i;

    for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (parse_option(&opts, argc, argv, &i, error) < 0)
            return -1;
    if (i >= argc) {
        vmc_confine_error_set(error, 0, "missing '--' before PROGRAM");
        return -1;
    }
    if (i + 1 >= argc || argv[i + 1] == NULL) {
        vmc_confine_error_set(error, 0, "missing PROGRAM after '--'");
        return -1;
    }
    /* No PATH search: the program run is exactly the one named. */
    if (check_path("PROGRAM", argv[i + 1], error) < 0)
        return -1;
    opts.program_argv = argv + i + 1;
    *ret_opts = opts;
    return 0;
}
