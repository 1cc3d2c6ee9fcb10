/* sshd-config.c: the review of `sshd -T` output, its values, and the
 * expansion of AuthorizedKeysFile entries. */
#include "admin-priv.h"
#include "vmc-assert.h"

#include <string.h>

/* What a locked-down account's `sshd -T` says (the parts that matter, plus noise). */
static const char good[] = "port 22\n"
                           "allowstreamlocalforwarding no\n"
                           "allowtcpforwarding remote\n"
                           "permitopen none\n"
                           "permittty no\n"
                           "permituserrc no\n"
                           "allowagentforwarding no\n"
                           "permituserenvironment no\n"
                           "x11forwarding yes\n"
                           "exposeauthinfo yes\n"
                           "unusedconnectiontimeout 10\n"
                           "maxsessions 10\n"
                           "authorizedkeysfile .ssh/authorized_keys /etc/keys/%u\n"
                           "subsystem sftp /usr/lib/openssh/sftp-server\n";

static GPtrArray *
review(const char *text)
{
    GPtrArray *findings = g_ptr_array_new_with_free_func((GDestroyNotify)vmc_admin_finding_free);
    vmc_admin_sshd_review(text, strlen(text), "sshd -T", findings);
    return findings;
}

/* good with the line for keyword replaced (NULL: removed). */
static char *
with_line(const char *keyword, const char *line)
{
    GString *out = g_string_new(NULL);
    g_auto(GStrv) lines = g_strsplit(good, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++) {
        if (lines[i][0] == '\0')
            continue;
        gboolean match = g_str_has_prefix(lines[i], keyword) && lines[i][strlen(keyword)] == ' ';
        if (!match)
            g_string_append_printf(out, "%s\n", lines[i]);
        else if (line != NULL)
            g_string_append_printf(out, "%s\n", line);
    }
    return g_string_free(out, FALSE);
}

static void
test_good(void)
{
    g_autoptr(GPtrArray) findings = review(good);
    g_assert_cmpuint(findings->len, ==, 0);
    /* "no" for TCP forwarding is fine too; keywords are case-insensitive */
    g_autofree char *no_tcp = with_line("allowtcpforwarding", "AllowTcpForwarding no");
    g_autoptr(GPtrArray) findings2 = review(no_tcp);
    g_assert_cmpuint(findings2->len, ==, 0);
    /* the bound itself is fine */
    g_autofree char *at_max = with_line("unusedconnectiontimeout", "unusedconnectiontimeout 60");
    g_autoptr(GPtrArray) findings3 = review(at_max);
    g_assert_cmpuint(findings3->len, ==, 0);
    /* native mode's bound itself is fine */
    g_autofree char *eight = with_line("maxsessions", "maxsessions 8");
    g_autoptr(GPtrArray) findings4 = review(eight);
    g_assert_cmpuint(findings4->len, ==, 0);
}

static void
test_each_mistake(void)
{
    static const struct {
        const char *keyword, *line, *says;
    } cases[] = {
        {"allowstreamlocalforwarding", "allowstreamlocalforwarding yes", "Unix-socket"},
        {"allowstreamlocalforwarding", "allowstreamlocalforwarding local", "Unix-socket"},
        {"allowtcpforwarding", "allowtcpforwarding yes", "local TCP forwarding"},
        {"allowtcpforwarding", "allowtcpforwarding local", "local TCP forwarding"},
        {"permitopen", "permitopen any", "PermitOpen"},
        {"permittty", "permittty yes", "a TTY"},
        {"permituserrc", "permituserrc yes", "rc runs"},
        {"allowagentforwarding", "allowagentforwarding yes", "agent forwarding"},
        {"permituserenvironment", "permituserenvironment yes", "environment"},
        {"x11forwarding", "x11forwarding no", "X11 forwarding is off"},
        {"exposeauthinfo", "exposeauthinfo no", "fingerprint"},
        {"permittty", NULL, "does not report permittty"},
        {"unusedconnectiontimeout", "unusedconnectiontimeout none", "for as long as it likes"},
        {"unusedconnectiontimeout", "unusedconnectiontimeout 61", "longer than a minute"},
        {"unusedconnectiontimeout", "unusedconnectiontimeout 0", "'0'"},
        {"unusedconnectiontimeout", "unusedconnectiontimeout 10s", "'10s'"},
        {"unusedconnectiontimeout", NULL, "older than 9.2"},
        {"maxsessions", "maxsessions 7", "maxsessions is '7': native mode"},
        {"maxsessions", "maxsessions 1", "MaxSessions 8"},
        {"maxsessions", "maxsessions 0", "native mode"},
        {"maxsessions", "maxsessions 10x", "'10x'"},
        {"maxsessions", NULL, "does not report maxsessions"},
        {"port", "acceptenv LANG LC_*\nacceptenv XMODIFIERS", "AcceptEnv LANG LC_* XMODIFIERS"},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *text = with_line(cases[i].keyword, cases[i].line);
        g_autoptr(GPtrArray) findings = review(text);
        if (findings->len != 1)
            g_error("case %u: %u findings", i, findings->len);
        g_autofree char *line = vmc_admin_finding_format(g_ptr_array_index(findings, 0));
        if (strstr(line, cases[i].says) == NULL || !g_str_has_prefix(line, "sshd: problem: ") ||
            strstr(line, " -- do: ") == NULL)
            g_error("case %u: '%s' lacks '%s'", i, line, cases[i].says);
    }
}

static void
test_hostile(void)
{
    /* nothing at all: every rule says it cannot tell */
    g_autoptr(GPtrArray) empty = review("");
    g_assert_cmpuint(empty->len, ==, 11);
    /* one binary line longer than the bound sets nothing: the same findings as
     * no output at all, word for word */
    g_autofree char *junk = g_strnfill(VMC_SSHD_OUTPUT_MAX + 10, '\x01');
    g_autoptr(GPtrArray) findings = review(junk);
    g_assert_cmpuint(findings->len, ==, empty->len);
    for (guint i = 0; i < empty->len; i++) {
        g_autofree char *want = vmc_admin_finding_format(g_ptr_array_index(empty, i));
        g_autofree char *got = vmc_admin_finding_format(g_ptr_array_index(findings, i));
        g_assert_cmpstr(got, ==, want);
    }
    g_autofree char *tricky = with_line("permittty", "permittty no\x1b[2J");
    g_autoptr(GPtrArray) f2 = review(tricky);
    g_assert_cmpuint(f2->len, ==, 1);
    g_autofree char *line = vmc_admin_finding_format(g_ptr_array_index(f2, 0));
    for (const char *p = line; *p != '\0'; p++)
        g_assert_true(g_ascii_isprint(*p));
}

/* good, a comment line of padding, then tail: the tail's last byte at
 * VMC_SSHD_OUTPUT_MAX - 1 + shift. */
static char *
padded(const char *tail, gsize shift)
{
    gsize fixed = strlen(good) + strlen("#\n") + strlen(tail);
    g_assert_cmpuint(fixed, <, VMC_SSHD_OUTPUT_MAX);
    g_autofree char *pad = g_strnfill(VMC_SSHD_OUTPUT_MAX - fixed + shift, 'x');
    char *text = g_strconcat(good, "#", pad, "\n", tail, NULL);
    g_assert_cmpuint(strlen(text), ==, VMC_SSHD_OUTPUT_MAX + shift);
    return text;
}

/* Output past VMC_SSHD_OUTPUT_MAX bytes is not read: a setting that ends at
 * the bound counts, the same setting starting at it does not. */
static void
test_output_bound(void)
{
    g_autofree char *within = padded("acceptenv X", 0);
    g_autoptr(GPtrArray) found = review(within);
    g_assert_cmpuint(found->len, ==, 1);
    g_autofree char *line = vmc_admin_finding_format(g_ptr_array_index(found, 0));
    vmc_assert_contains(line, "AcceptEnv X:");

    g_autofree char *beyond = padded("acceptenv X", strlen("acceptenv X"));
    g_autoptr(GPtrArray) none = review(beyond);
    g_assert_cmpuint(none->len, ==, 0);
}

static void
test_values(void)
{
    g_auto(GStrv) files = vmc_admin_sshd_values(good, strlen(good), "authorizedkeysfile");
    g_assert_cmpuint(g_strv_length(files), ==, 2);
    g_assert_cmpstr(files[0], ==, ".ssh/authorized_keys");
    g_assert_cmpstr(files[1], ==, "/etc/keys/%u");
    g_auto(GStrv) none = vmc_admin_sshd_values(good, strlen(good), "acceptenv");
    g_assert_cmpuint(g_strv_length(none), ==, 0);
}

static void
test_expand(void)
{
    static const struct {
        const char *pattern, *want;
    } cases[] = {
        {".ssh/authorized_keys", "/home/vmc/.ssh/authorized_keys"},
        {"%h/.ssh/k", "/home/vmc/.ssh/k"},
        {"/etc/keys/%u", "/etc/keys/vmc"},
        {"/etc/keys/%U.%%", "/etc/keys/998.%"},
        {"/etc/keys/%x", NULL},
        {"/etc/keys/%", NULL},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *got =
            vmc_admin_sshd_expand_keys_path(cases[i].pattern, "/home/vmc", "vmc", 998);
        g_assert_cmpstr(got, ==, cases[i].want);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/admin/sshd/good", test_good);
    g_test_add_func("/admin/sshd/each-mistake", test_each_mistake);
    g_test_add_func("/admin/sshd/hostile", test_hostile);
    g_test_add_func("/admin/sshd/output-bound", test_output_bound);
    g_test_add_func("/admin/sshd/values", test_values);
    g_test_add_func("/admin/sshd/expand", test_expand);
    return g_test_run();
}
