/* test-config-values.c — the value checks of config/config-values.c, by table. */
#include "vmc-config-priv.h"
#include "vmc-assert.h"

#include <string.h>

typedef struct {
    const char *value;
    const char *expect; /* normalised output, or NULL when the value is bad */
} Case;

/* A string of n copies of c (n < 8192). */
static char *
repeat(char c, gsize n)
{
    char *s = g_malloc(n + 1);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

static void
test_vm_name(void)
{
    static const Case cases[] = {
        {"debianx", "y"},   {"a", "y"},     {"0", "y"},    {"A.b_c-d", "y"},
        {"win10.pro", "y"}, {"", NULL},     {"-x", NULL},  {".x", NULL},
        {"_x", NULL},       {"../x", NULL}, {"a b", NULL}, {"a/b", NULL},
        {"a%s", NULL},      {"é", NULL},    {"a\n", NULL}, {"a:b", NULL},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
        g_assert_cmpint(vmc_vm_name_is_valid(cases[i].value), ==, cases[i].expect != NULL);

    g_autofree char *max = repeat('a', VMC_VM_NAME_MAX);
    g_autofree char *over = repeat('a', VMC_VM_NAME_MAX + 1);
    g_assert_true(vmc_vm_name_is_valid(max));
    g_assert_false(vmc_vm_name_is_valid(over));
}

static void
test_channel_known(void)
{
    static const char *const known[] = {"main",     "display", "inputs", "cursor",
                                        "playback", "record",  "tunnel", "smartcard",
                                        "usbredir", "port",    "webdav"};
    for (gsize i = 0; i < G_N_ELEMENTS(known); i++)
        g_assert_true(vmc_config_channel_is_known(known[i]));
    g_assert_false(vmc_config_channel_is_known(""));
    g_assert_false(vmc_config_channel_is_known("Main"));
    g_assert_false(vmc_config_channel_is_known("audio"));
}

static void
run_string_check(const Case *cases, gsize n, gboolean (*check)(const char *, char **))
{
    for (gsize i = 0; i < n; i++) {
        g_autofree char *why = NULL;
        gboolean ok = check(cases[i].value, &why);
        if (ok != (cases[i].expect != NULL))
            g_error("case %zu '%s': expected %s, got %s (%s)", i, cases[i].value,
                    cases[i].expect ? "ok" : "error", ok ? "ok" : "error", why ? why : "");
        g_assert_true(ok == (why == NULL));
    }
}

static void
test_path(void)
{
    static const Case cases[] = {
        {"/usr/bin/remote-viewer", "y"},
        {"/", "y"},
        {"/a b/c", "y"},
        {"/a/./b", "y"},
        {"/a/..b/c..", "y"},
        {"/é/ü", "y"},
        {"", NULL},
        {"relative/path", NULL},
        {"./x", NULL},
        {"/a/../b", NULL},
        {"/..", NULL},
        {"/a/..", NULL},
        {"/a\tb", NULL},
        {"/a\nb", NULL},
        {"/a\x7f", NULL},
        {"/a\xc2\x85", NULL},     /* U+0085 NEL, a C1 control */
        {"/a\xe2\x80\xae", NULL}, /* U+202E RIGHT-TO-LEFT OVERRIDE */
        {"/a\xff", NULL},
    };
    run_string_check(cases, G_N_ELEMENTS(cases), vmc_config_check_path);

    g_autofree char *max = repeat('a', VMC_CONFIG_PATH_MAX);
    g_autofree char *over = repeat('a', VMC_CONFIG_PATH_MAX + 1);
    max[0] = over[0] = '/';
    g_autofree char *why = NULL;
    g_assert_true(vmc_config_check_path(max, &why));
    g_assert_false(vmc_config_check_path(over, &why));
}

static void
test_socket_pattern(void)
{
    static const Case cases[] = {
        {"/var/spicex/%s.sock", "y"},   {"/var/spicex/%s", "y"},
        {"/run/vm-%s-spice.sock", "y"}, {"/var/spicex/debianx.sock", NULL},
        {"/var/%s/spice.sock", NULL},   {"/var/%s/%s.sock", NULL},
        {"/var/spicex/%s%s", NULL},     {"/var/spicex/%s.%d", NULL},
        {"/var/100%/%s", NULL},         {"/var/spicex/%%s", NULL},
        {"var/spicex/%s", NULL},        {"/var/../spicex/%s", NULL},
        {"/var/spicex/%", NULL},
    };
    run_string_check(cases, G_N_ELEMENTS(cases), vmc_config_check_socket_pattern);
}

static void
test_title(void)
{
    static const Case cases[] = {
        {"Customer A desktop", "y"},
        {"Build #3; test", "y"},
        {"Kundé ünd 日本", "y"},
        {"a\tb", NULL},
        {"a\nb", NULL},
        {"a\x1b[31m", NULL},
        {"\xe2\x80\xae", NULL},
        {"\xc3", NULL},
    };
    run_string_check(cases, G_N_ELEMENTS(cases), vmc_config_check_title);

    g_autofree char *max = repeat('t', VMC_CONFIG_TITLE_MAX);
    g_autofree char *over = repeat('t', VMC_CONFIG_TITLE_MAX + 1);
    g_autofree char *why = NULL;
    g_assert_true(vmc_config_check_title(max, &why));
    g_assert_false(vmc_config_check_title(over, &why));
}

static void
test_acl(void)
{
    static const Case cases[] = {
        {"group:spicex:rw", "group:spicex:rw-"},
        {"g:spicex:rw-", "group:spicex:rw-"},
        {"user:bob:r,group:ops:rwx", "user:bob:r--,group:ops:rwx"},
        {"u:bob:r group:ops:---", "user:bob:r--,group:ops:---"},
        {"u:bob:rw,  g:ops:x ,", "user:bob:rw-,group:ops:--x"},
        {"u:1000:rx", "user:1000:r-x"},
        {"u:_svc.a-b:w", "user:_svc.a-b:-w-"},
        {"user:bob:rw,group:bob:r", "user:bob:rw-,group:bob:r--"},
        {"", NULL},
        {",", NULL},
        {"group:spicex", NULL},
        {"other::rw", NULL},
        {"mask::rw", NULL},
        {"group::rw", NULL},
        {"group:Spicex:rw", NULL},
        {"group:-x:rw", NULL},
        {"group:spicex:wr", NULL},
        {"group:spicex:rwxx", NULL},
        {"group:spicex:", NULL},
        {"group:spicex:-", NULL},
        {"group:spicex:r-w", NULL},
        {"group:spicex:rw:x", NULL},
        {"user:bob:rw,u:bob:r", NULL},
        {"u:4294967295:r", NULL},
        {"u:99999999999:r", NULL},
        {"u:abcdefghijabcdefghijabcdefghijabc:r", NULL},
        {"group:spicex:rw;comment", NULL},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *acl = NULL;
        g_autofree char *why = NULL;
        gboolean ok = vmc_config_normalise_acl(cases[i].value, &acl, &why);
        if (ok != (cases[i].expect != NULL))
            g_error("case %zu '%s': %s", i, cases[i].value, why ? why : "unexpectedly ok");
        g_assert_cmpstr(acl, ==, cases[i].expect);
    }
}

static void
test_acl_max_entries(void)
{
    g_autoptr(GString) text = g_string_new(NULL);
    for (int i = 0; i < VMC_CONFIG_ACL_MAX_ENTRIES; i++)
        g_string_append_printf(text, "u:%d:rw,", 1000 + i);
    g_autofree char *acl = NULL;
    g_autofree char *why = NULL;
    g_assert_true(vmc_config_normalise_acl(text->str, &acl, &why));
    g_string_append(text, "u:5000:r");
    g_autofree char *acl2 = NULL;
    g_assert_false(vmc_config_normalise_acl(text->str, &acl2, &why));
    vmc_assert_contains(why, "more than 64");
    g_assert_null(acl2);
}

static void
test_channels(void)
{
    static const Case cases[] = {
        {"main", "main"},
        {"main display inputs cursor playback record",
         "main display inputs cursor playback record"},
        {"display  main\tusbredir", "display main usbredir"},
        {"", NULL},
        {"display inputs", NULL},
        {"main main", NULL},
        {"main audio", NULL},
        {"main,display", NULL},
        {"MAIN", NULL},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_auto(GStrv) channels = NULL;
        g_autofree char *why = NULL;
        gboolean ok = vmc_config_parse_channels(cases[i].value, &channels, &why);
        if (ok != (cases[i].expect != NULL))
            g_error("case %zu '%s': %s", i, cases[i].value, why ? why : "unexpectedly ok");
        if (ok) {
            g_autofree char *joined = g_strjoinv(" ", channels);
            g_assert_cmpstr(joined, ==, cases[i].expect);
        }
    }
    g_auto(GStrv) channels = NULL;
    g_autofree char *why = NULL;
    g_assert_false(vmc_config_parse_channels("display", &channels, &why));
    vmc_assert_contains(why, "main");
    vmc_assert_contains(why, "no Spice session");
}

static void
test_takeover(void)
{
    VmcTakeover takeover = VMC_TAKEOVER_DENY;
    g_autofree char *why = NULL;
    g_assert_true(vmc_config_parse_takeover("allow", &takeover, &why));
    g_assert_cmpint(takeover, ==, VMC_TAKEOVER_ALLOW);
    g_assert_true(vmc_config_parse_takeover("deny", &takeover, &why));
    g_assert_cmpint(takeover, ==, VMC_TAKEOVER_DENY);
    static const char *const bad[] = {"", "yes", "Allow", "deny | allow", "1"};
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_clear_pointer(&why, g_free);
        g_assert_false(vmc_config_parse_takeover(bad[i], &takeover, &why));
        g_assert_nonnull(why);
        g_assert_cmpint(takeover, ==, VMC_TAKEOVER_DENY);
    }
}

static void
test_sandbox(void)
{
    VmcSandboxMode sandbox = VMC_SANDBOX_ON;
    g_autofree char *why = NULL;
    g_assert_true(vmc_config_parse_sandbox("off", &sandbox, &why));
    g_assert_cmpint(sandbox, ==, VMC_SANDBOX_OFF);
    g_assert_true(vmc_config_parse_sandbox("on", &sandbox, &why));
    g_assert_cmpint(sandbox, ==, VMC_SANDBOX_ON);
    static const char *const bad[] = {"", "yes", "Off", "false", "0", "on off"};
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_clear_pointer(&why, g_free);
        g_assert_false(vmc_config_parse_sandbox(bad[i], &sandbox, &why));
        g_assert_nonnull(why);
        g_assert_cmpint(sandbox, ==, VMC_SANDBOX_ON);
    }
}

static void
test_max_sessions(void)
{
    static const struct {
        const char *value;
        guint expect; /* 0: bad */
    } cases[] = {
        {"1", 1},   {"4", 4},    {"1000", 1000}, {"0004", 4},
        {"0", 0},   {"1001", 0}, {"-1", 0},      {"+4", 0},
        {"", 0},    {"4x", 0},   {"0x10", 0},    {"99999999999999999999", 0},
        {"4 5", 0},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        guint max = 77;
        g_autofree char *why = NULL;
        gboolean ok = vmc_config_parse_max_sessions(cases[i].value, &max, &why);
        g_assert_cmpint(ok, ==, cases[i].expect != 0);
        g_assert_cmpuint(max, ==, ok ? cases[i].expect : 77);
    }
}

/* denied-records-per-minute: 1..1000, at both bounds and past them. */
static void
test_denied_rate(void)
{
    static const struct {
        const char *value;
        guint expect; /* 0: bad */
    } cases[] = {
        {"1", 1}, {"30", 30}, {"1000", 1000}, {"0", 0}, {"1001", 0}, {"-1", 0}, {"", 0}, {"3 0", 0},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        guint rate = 77;
        g_autofree char *why = NULL;
        gboolean ok = vmc_config_parse_denied_rate(cases[i].value, &rate, &why);
        g_assert_cmpint(ok, ==, cases[i].expect != 0);
        g_assert_cmpuint(rate, ==, ok ? cases[i].expect : 77);
        g_assert_true(ok || strstr(why, "per minute") != NULL);
    }
}

/* log-reserve: bytes, K, M, G; 0 is allowed (no reserve); at most 1024G. */
static void
test_size(void)
{
    static const struct {
        const char *value;
        guint64 expect; /* G_MAXUINT64: bad */
    } cases[] = {
        {"0", 0},
        {"512", 512},
        {"64K", 64 << 10},
        {"64M", G_GUINT64_CONSTANT(64) << 20},
        {"1024G", G_GUINT64_CONSTANT(1024) << 30},
        {"1099511627776", G_GUINT64_CONSTANT(1) << 40},
        {"1025G", G_MAXUINT64},
        {"1099511627777", G_MAXUINT64},
        {"1048577M", G_MAXUINT64},
        {"99999999999999", G_MAXUINT64},
        {"", G_MAXUINT64},
        {"M", G_MAXUINT64},
        {"64m", G_MAXUINT64},
        {"64MB", G_MAXUINT64},
        {"64 M", G_MAXUINT64},
        {"-1", G_MAXUINT64},
        {"1.5G", G_MAXUINT64},
        {"64T", G_MAXUINT64},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        guint64 bytes = 77;
        g_autofree char *why = NULL;
        gboolean ok = vmc_config_parse_size(cases[i].value, &bytes, &why);
        if (ok != (cases[i].expect != G_MAXUINT64))
            g_error("'%s': %s", cases[i].value, ok ? "accepted" : why);
        g_assert_cmpuint(bytes, ==, ok ? cases[i].expect : 77);
    }
}

/* max-duration, idle-timeout: off, or a number with s, m, h or d, 1s..366d. */
static void
test_duration(void)
{
    static const struct {
        const char *value;
        gint64 expect; /* -1: bad */
    } cases[] = {
        {"off", 0},
        {"1s", 1},
        {"90s", 90},
        {"30m", 1800},
        {"8h", 28800},
        {"366d", 366 * 86400},
        {"31622400s", 31622400},
        {"31622401s", -1},
        {"367d", -1},
        {"8784h", 8784 * 3600},
        {"8785h", -1},
        {"99999999h", -1},
        {"123456789s", -1},
        {"4294967296s", -1},
        {"0s", -1},
        {"0", -1},
        {"90", -1},
        {"", -1},
        {"s", -1},
        {"8H", -1},
        {"8 h", -1},
        {"1h30m", -1},
        {"-5m", -1},
        {"1.5h", -1},
        {"Off", -1},
        {"5w", -1},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        guint seconds = 77;
        g_autofree char *why = NULL;
        gboolean ok = vmc_config_parse_duration(cases[i].value, &seconds, &why);
        if (ok != (cases[i].expect >= 0))
            g_error("'%s': %s", cases[i].value, ok ? "accepted" : why);
        g_assert_cmpint(seconds, ==, ok ? cases[i].expect : 77);
    }
}

static void
test_agent_keys(void)
{
    static const struct {
        const char *value;
        int expect; /* -1: bad */
    } file_transfer_cases[] =
        {
            {"deny", VMC_FILE_TRANSFER_DENY},
            {"allow", VMC_FILE_TRANSFER_ALLOW},
            {"", -1},
            {"Deny", -1},
            {"yes", -1},
            {"allow ", -1},
            {"allowed", -1},
        },
      clipboard_cases[] = {
          {"both", VMC_CLIPBOARD_BOTH},
          {"to-vm", VMC_CLIPBOARD_TO_VM},
          {"from-vm", VMC_CLIPBOARD_FROM_VM},
          {"none", VMC_CLIPBOARD_NONE},
          {"", -1},
          {"to_vm", -1},
          {"tovm", -1},
          {"off", -1},
          {"BOTH", -1},
          {"none\n", -1},
      };
    for (gsize i = 0; i < G_N_ELEMENTS(file_transfer_cases); i++) {
        VmcFileTransferPolicy policy = 77;
        g_autofree char *why = NULL;
        gboolean ok = vmc_config_parse_file_transfer(file_transfer_cases[i].value, &policy, &why);
        g_assert_cmpint(ok, ==, file_transfer_cases[i].expect >= 0);
        g_assert_cmpint(policy, ==, ok ? file_transfer_cases[i].expect : 77);
        g_assert_true(ok == (why == NULL));
        if (ok)
            g_assert_cmpstr(vmc_config_file_transfer_name(policy), ==,
                            file_transfer_cases[i].value);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(clipboard_cases); i++) {
        VmcClipboardPolicy policy = 77;
        g_autofree char *why = NULL;
        gboolean ok = vmc_config_parse_clipboard(clipboard_cases[i].value, &policy, &why);
        g_assert_cmpint(ok, ==, clipboard_cases[i].expect >= 0);
        g_assert_cmpint(policy, ==, ok ? clipboard_cases[i].expect : 77);
        g_assert_true(ok == (why == NULL));
        if (ok)
            g_assert_cmpstr(vmc_config_clipboard_name(policy), ==, clipboard_cases[i].value);
    }
}

static void
test_quote(void)
{
    g_autofree char *plain = vmc_config_quote("sokcet");
    g_autofree char *ctl = vmc_config_quote("a\x1b[0m'\\");
    g_autofree char *long_text = repeat('x', 200);
    g_autofree char *capped = vmc_config_quote(long_text);
    g_assert_cmpstr(plain, ==, "sokcet");
    g_assert_cmpstr(ctl, ==, "a\\x1b[0m\\x27\\x5c");
    g_assert_cmpuint(strlen(capped), ==, 83);
    g_assert_true(g_str_has_suffix(capped, "..."));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/config/values/vm-name", test_vm_name);
    g_test_add_func("/config/values/channel-known", test_channel_known);
    g_test_add_func("/config/values/path", test_path);
    g_test_add_func("/config/values/socket-pattern", test_socket_pattern);
    g_test_add_func("/config/values/title", test_title);
    g_test_add_func("/config/values/acl", test_acl);
    g_test_add_func("/config/values/acl-max-entries", test_acl_max_entries);
    g_test_add_func("/config/values/channels", test_channels);
    g_test_add_func("/config/values/takeover", test_takeover);
    g_test_add_func("/config/values/sandbox", test_sandbox);
    g_test_add_func("/config/values/max-sessions", test_max_sessions);
    g_test_add_func("/config/values/denied-rate", test_denied_rate);
    g_test_add_func("/config/values/size", test_size);
    g_test_add_func("/config/values/duration", test_duration);
    g_test_add_func("/config/values/agent-keys", test_agent_keys);
    g_test_add_func("/config/values/quote", test_quote);
    return g_test_run();
}
