/* authkeys.c: authorized_keys lines parsed as sshd does, the authorize line,
 * identities, dates, --from lists, gateway commands. */
#include "admin-priv.h"
#include "vmc-assert.h"

#include <string.h>

#define ED_BLOB "AAAAC3NzaC1lZDI1NTE5AAAAIIJL+NG7BXBfnrLS4BYMxmPQ+kDpAWWC3Bply+K8Zct7"
#define RSA_BLOB "AAAAB3NzaC1yc2E=" /* just the type string: all the parser looks at */
#define GW "/usr/bin/vmconsole-gateway"

static void
test_parse_good(void)
{
    static const struct {
        const char *line;
        guint n_options;
        const char *type, *comment, *command;
    } cases[] = {
        {"ssh-ed25519 " ED_BLOB, 0, "ssh-ed25519", NULL, NULL},
        {"ssh-ed25519 " ED_BLOB " alice@laptop", 0, "ssh-ed25519", "alice@laptop", NULL},
        {"  ssh-ed25519\t" ED_BLOB "  two words  ", 0, "ssh-ed25519", "two words", NULL},
        {"ssh-rsa " RSA_BLOB, 0, "ssh-rsa", NULL, NULL},
        {"restrict,command=\"" GW " --identity alice\",X11-forwarding ssh-ed25519 " ED_BLOB " c", 3,
         "ssh-ed25519", "c", GW " --identity alice"},
        {"command=\"a, b \\\"q\\\" \\x\" ssh-ed25519 " ED_BLOB, 1, "ssh-ed25519", NULL,
         "a, b \"q\" \\x"},
        {"RESTRICT,Command=\"x\" ssh-ed25519 " ED_BLOB, 2, "ssh-ed25519", NULL, "x"},
        {"from=\"1.2.3.4,5.6.7.8\",restrict ssh-ed25519 " ED_BLOB, 2, "ssh-ed25519", NULL, NULL},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(VmcAuthKey) key = vmc_authkey_parse(cases[i].line, &error);
        g_assert_no_error(error);
        g_assert_nonnull(key);
        g_assert_cmpuint(key->options->len, ==, cases[i].n_options);
        g_assert_cmpstr(key->type, ==, cases[i].type);
        g_assert_cmpstr(key->comment, ==, cases[i].comment);
        const VmcAuthKeyOption *command = vmc_authkey_find_option(key, "command");
        g_assert_cmpstr(command != NULL ? command->value : NULL, ==, cases[i].command);
    }
}

static void
test_parse_bad(void)
{
    static const struct {
        const char *line, *why;
    } cases[] = {
        {"", "no key"},
        {"# comment", "no key"},
        {"ssh-ed25519", "not base64"},
        {"ssh-ed25519 AAAA", "not a ssh-ed25519 key"},
        {"ssh-ed25519 " RSA_BLOB, "not a ssh-ed25519 key"},
        {"ssh-ed25519 AAAAC3Nz!", "not base64"},
        {"ssh-dss " ED_BLOB, "not a known key type"},
        {"restrict", "without a key"},
        {"restrict ", "not a known key type"},
        {"command=x ssh-ed25519 " ED_BLOB, "not in double quotes"},
        {"command=\"x ssh-ed25519 " ED_BLOB, "no closing quote"},
        {"restrict,,pty ssh-ed25519 " ED_BLOB, "bad key option"},
        {"restrict;pty ssh-ed25519 " ED_BLOB, "unexpected ';' after key option restrict"},
        {"ssh-ed25519 " ED_BLOB " a\x01z", "control character 0x01"},
        {"ssh-ed25519 " ED_BLOB " a\rb", "control character 0x0d"},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(VmcAuthKey) key = vmc_authkey_parse(cases[i].line, &error);
        g_assert_null(key);
        g_assert_error(error, VMC_ADMIN_ERROR, VMC_ADMIN_ERROR_INVALID);
        if (strstr(error->message, cases[i].why) == NULL)
            g_error("case %u: '%s' lacks '%s'", i, error->message, cases[i].why);
    }
}

static void
test_parse_limits(void)
{
    /* options: exactly the limit parses, one more does not */
    GString *line = g_string_new(NULL);
    for (guint i = 0; i < VMC_AUTHKEYS_MAX_OPTIONS; i++)
        g_string_append_printf(line, "%sno-pty", i ? "," : "");
    g_string_append(line, " ssh-ed25519 " ED_BLOB);
    g_autoptr(VmcAuthKey) key = vmc_authkey_parse(line->str, NULL);
    g_assert_nonnull(key);
    g_string_prepend(line, "restrict,");
    g_autoptr(GError) error = NULL;
    g_assert_null(vmc_authkey_parse(line->str, &error));
    vmc_assert_contains(error->message, "more than");
    g_clear_error(&error);
    g_string_free(line, TRUE);

    /* line length */
    g_autofree char *pad = g_strnfill(VMC_AUTHKEYS_LINE_MAX, 'c');
    g_autofree char *long_line = g_strconcat("ssh-ed25519 " ED_BLOB " ", pad, NULL);
    g_assert_null(vmc_authkey_parse(long_line, &error));
    vmc_assert_contains(error->message, "longer than");
    long_line[VMC_AUTHKEYS_LINE_MAX] = '\0';
    g_autoptr(VmcAuthKey) at_limit = vmc_authkey_parse(long_line, NULL);
    g_assert_nonnull(at_limit);
}

static void
test_blank(void)
{
    g_assert_true(vmc_authkey_line_is_blank(""));
    g_assert_true(vmc_authkey_line_is_blank(" \t "));
    g_assert_true(vmc_authkey_line_is_blank("  # x"));
    g_assert_false(vmc_authkey_line_is_blank("ssh-ed25519 x"));
}

static void
test_identity(void)
{
    static const char *const good[] = {"alice", "Bob_2", "a.b-c", "_x", "0day"};
    static const char *const bad[] = {
        "", "-x", ".x", "a b", "a\"b", "a\\b", "a,b", "a\tb", "abcdefghijklmnopqrstuvwxyz0123456",
        "ä"};
    for (guint i = 0; i < G_N_ELEMENTS(good); i++)
        g_assert_true(vmc_authkey_identity_is_valid(good[i]));
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++)
        g_assert_false(vmc_authkey_identity_is_valid(bad[i]));
}

static void
test_gateway_identity(void)
{
    static const struct {
        const char *command, *identity;
    } cases[] = {
        {GW " --identity alice", "alice"},
        {"/opt/x/vmconsole-gateway --config /etc/v.conf --identity bob", "bob"},
        {GW " --identity alice --config /etc/v.conf", "alice"},
        {GW, NULL},
        {GW " --identity", NULL},
        {GW " --identity a\"b", NULL},
        {GW " --identity alice --identity bob", NULL},
        {GW " --identity alice --takeover x", NULL},
        {GW " --config rel.conf --identity alice", NULL},
        {"vmconsole-gateway --identity alice", NULL},
        {"/bin/sh -c x --identity alice", NULL},
        {"/usr/bin/vmconsole-gateway-evil --identity alice", NULL},
        {GW "  --identity alice", NULL},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *identity = vmc_authkey_gateway_identity(cases[i].command);
        if (g_strcmp0(identity, cases[i].identity) != 0)
            g_error("case %u (%s): got %s", i, cases[i].command, identity ? identity : "NULL");
    }
}

static void
test_gateway_without_identity(void)
{
    static const struct {
        const char *command;
        gboolean without;
    } cases[] = {
        {GW, TRUE},
        {GW " --config /etc/v.conf", TRUE},
        {GW " --config /etc/v.conf --identity alice", FALSE},
        {GW " --identity alice", FALSE},
        {GW " --config rel.conf", FALSE},
        {GW " --config /a --config /b", FALSE},
        {GW " --takeover x", FALSE},
        {GW " --config", FALSE},
        {"/bin/sh", FALSE},
        {"vmconsole-gateway", FALSE},
        {"/usr/bin/vmconsole-gateway-evil", FALSE},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
        if (vmc_authkey_gateway_without_identity(cases[i].command) != cases[i].without)
            g_error("case %u (%s): not %d", i, cases[i].command, cases[i].without);
}

static void
test_expiry(void)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"2030-01-02", "20300102000000"},
        {"2030-01-02T03:04", "20300102030400"},
        {"2030-01-02 03:04:05", "20300102030405"},
        {"20300102", "20300102000000"},
        {"203001020304", "20300102030400"},
        {"20300102030405", "20300102030405"},
        {"2024-02-29", "20240229000000"},
        {"2023-02-29", NULL},
        {"2030-13-01", NULL},
        {"2030-01-02T24:00", NULL},
        {"2030-01-02T03", NULL},
        {"2030-1-2", NULL},
        {"2030010", NULL},
        {"tomorrow", NULL},
        {"1969-12-31", NULL},
        {"2030-01-02T03:04:05Z", NULL},
        {"", NULL},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *got = NULL;
        g_autoptr(GError) error = NULL;
        gboolean ok = vmc_authkey_parse_expiry(cases[i].text, &got, &error);
        if (ok != (cases[i].want != NULL) || g_strcmp0(got, cases[i].want) != 0)
            g_error("case %u (%s): got %s", i, cases[i].text, got ? got : "error");
        if (!ok)
            g_assert_error(error, VMC_ADMIN_ERROR, VMC_ADMIN_ERROR_INVALID);
    }
}

static void
test_from(void)
{
    static const char *const good[] = {"192.0.2.1", "192.0.2.0/24", "2001:db8::/32",
                                       "10.0.0.0/8,192.0.2.7"};
    static const char *const bad[] = {"",          "192.0.2.0/33", "host.example", "1.2.3.4,", "*",
                                      "1.2.3.4\"", "!1.2.3.4",     "1.2.3.4 5",    "1.2.3/8"};
    for (guint i = 0; i < G_N_ELEMENTS(good); i++)
        g_assert_true(vmc_authkey_check_from(good[i], NULL));
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        if (vmc_authkey_check_from(bad[i], &error))
            g_error("'%s' accepted", bad[i]);
    }
    GString *many = g_string_new("1.1.1.1");
    for (guint i = 1; i < VMC_AUTHKEYS_MAX_FROM; i++)
        g_string_append(many, ",1.1.1.1");
    g_assert_true(vmc_authkey_check_from(many->str, NULL));
    g_string_append(many, ",1.1.1.1");
    g_assert_false(vmc_authkey_check_from(many->str, NULL));
    g_string_free(many, TRUE);
}

static void
test_format_line(void)
{
    g_autoptr(VmcAuthKey) key =
        vmc_authkey_parse("pty,command=\"/bin/sh\" ssh-ed25519 " ED_BLOB " alice@lap", NULL);
    g_assert_nonnull(key);
    VmcAuthorizeSpec spec = {GW, "alice", FALSE, 0, NULL, NULL};
    g_autofree char *plain = vmc_authkey_format_line(&spec, key);
    g_assert_cmpstr(plain, ==,
                    "restrict,command=\"" GW
                    " --identity alice\",X11-forwarding ssh-ed25519 " ED_BLOB " alice@lap");

    spec.audio = TRUE;
    spec.from = "192.0.2.0/24";
    spec.expiry = "20300102000000";
    g_autofree char *audio = vmc_authkey_format_line(&spec, key);
    g_assert_cmpstr(audio, ==,
                    "restrict,command=\"" GW
                    " --identity alice --expires 20300102000000\",X11-forwarding,port-forwarding,"
                    "permitlisten=\"localhost:*\",from=\"192.0.2.0/24\","
                    "expiry-time=\"20300102000000\" ssh-ed25519 " ED_BLOB " alice@lap");

    spec.audio_port = 4713;
    spec.from = spec.expiry = NULL;
    g_autofree char *fixed = vmc_authkey_format_line(&spec, key);
    vmc_assert_contains(fixed, ",port-forwarding,permitlisten=\"localhost:4713\" ");

    /* The line parses back to the same key with the gateway's identity. */
    g_autoptr(VmcAuthKey) back = vmc_authkey_parse(fixed, NULL);
    g_assert_nonnull(back);
    g_assert_cmpstr(back->blob, ==, key->blob);
    g_autofree char *identity =
        vmc_authkey_gateway_identity(vmc_authkey_find_option(back, "command")->value);
    g_assert_cmpstr(identity, ==, "alice");
    g_assert_null(vmc_authkey_find_option(back, "pty"));

    /* a comment that is not printable ASCII is dropped */
    g_free(key->comment);
    key->comment = g_strdup("b\xc3\xa4r");
    spec.audio = FALSE;
    g_autofree char *nocomment = vmc_authkey_format_line(&spec, key);
    g_assert_true(g_str_has_suffix(nocomment, ED_BLOB));
}

/* AuthorizedPrincipalsFile lines: [OPTIONS] PRINCIPAL, the principal after
 * the last blank (as sshd reads them). */
static void
test_parse_principal(void)
{
    g_autoptr(VmcAuthKey) line = vmc_authkey_parse_principal(
        "restrict,command=\"" GW " --identity alice\",X11-forwarding  alice@corp ", NULL);
    g_assert_nonnull(line);
    g_assert_cmpstr(line->principal, ==, "alice@corp");
    g_assert_null(line->blob);
    g_assert_nonnull(vmc_authkey_find_option(line, "restrict"));
    g_autofree char *identity =
        vmc_authkey_gateway_identity(vmc_authkey_find_option(line, "command")->value);
    g_assert_cmpstr(identity, ==, "alice");

    g_autoptr(VmcAuthKey) bare = vmc_authkey_parse_principal("alice", NULL);
    g_assert_nonnull(bare);
    g_assert_cmpstr(bare->principal, ==, "alice");
    g_assert_cmpuint(bare->options->len, ==, 0);

    static const char *const bad[] = {
        "",
        "   ",
        "# alice",
        "restrict,command=\"x alice",
        "restrict bob alice",
        "restrict,\x01 alice",
        "restrict,command=\"/x\"junk alice",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(VmcAuthKey) refused = vmc_authkey_parse_principal(bad[i], &error);
        if (refused != NULL)
            g_error("'%s' parsed", bad[i]);
        g_assert_error(error, VMC_ADMIN_ERROR, VMC_ADMIN_ERROR_INVALID);
    }
    g_autofree char *long_name = g_strnfill(VMC_AUTHKEYS_PRINCIPAL_MAX + 1, 'p');
    g_autoptr(VmcAuthKey) too_long = vmc_authkey_parse_principal(long_name, NULL);
    g_assert_null(too_long);
    g_autofree char *max_name = g_strnfill(VMC_AUTHKEYS_PRINCIPAL_MAX, 'p');
    g_autoptr(VmcAuthKey) at_max = vmc_authkey_parse_principal(max_name, NULL);
    g_assert_nonnull(at_max);

    g_assert_true(vmc_authkey_principal_is_valid("alice@corp.example"));
    g_assert_false(vmc_authkey_principal_is_valid("-alice"));
    g_assert_false(vmc_authkey_principal_is_valid("alice bob"));
    g_assert_false(vmc_authkey_principal_is_valid(""));
    g_assert_false(vmc_authkey_principal_is_valid("al\"ice"));
}

/* authorize --principal's line: the key line's options, then the principal;
 * it parses back to the same principal and identity. */
static void
test_format_principal_line(void)
{
    VmcAuthorizeSpec spec = {GW, "alice", TRUE, 4713, NULL, "20300102000000"};
    g_autofree char *line = vmc_authkey_format_principal_line(&spec, "alice@corp");
    g_assert_cmpstr(line, ==,
                    "restrict,command=\"" GW
                    " --identity alice --expires 20300102000000\",X11-forwarding,port-forwarding,"
                    "permitlisten=\"localhost:4713\",expiry-time=\"20300102000000\" alice@corp");
    g_autoptr(VmcAuthKey) back = vmc_authkey_parse_principal(line, NULL);
    g_assert_nonnull(back);
    g_assert_cmpstr(back->principal, ==, "alice@corp");
    g_autofree char *identity =
        vmc_authkey_gateway_identity(vmc_authkey_find_option(back, "command")->value);
    g_assert_cmpstr(identity, ==, "alice");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/admin/authkeys/parse-good", test_parse_good);
    g_test_add_func("/admin/authkeys/parse-bad", test_parse_bad);
    g_test_add_func("/admin/authkeys/parse-limits", test_parse_limits);
    g_test_add_func("/admin/authkeys/blank", test_blank);
    g_test_add_func("/admin/authkeys/identity", test_identity);
    g_test_add_func("/admin/authkeys/gateway-identity", test_gateway_identity);
    g_test_add_func("/admin/authkeys/gateway-without-identity", test_gateway_without_identity);
    g_test_add_func("/admin/authkeys/expiry", test_expiry);
    g_test_add_func("/admin/authkeys/from", test_from);
    g_test_add_func("/admin/authkeys/format-line", test_format_line);
    g_test_add_func("/admin/authkeys/parse-principal", test_parse_principal);
    g_test_add_func("/admin/authkeys/format-principal-line", test_format_principal_line);
    return g_test_run();
}
