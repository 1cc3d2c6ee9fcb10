/* check-findings.c: findings as lines, and the review of authorized_keys files. */
#include "admin-priv.h"
#include "vmc-assert.h"

#include <string.h>

#define ED_BLOB "AAAAC3NzaC1lZDI1NTE5AAAAIIJL+NG7BXBfnrLS4BYMxmPQ+kDpAWWC3Bply+K8Zct7"
#define RSA_BLOB "AAAAB3NzaC1yc2E="
#define ED_BLOB2 "AAAAC3NzaC1lZDI1NTE5AAAAIJGSxr2IbPocylsSAs7CA1plzNesa6WSSitBvVj3Fkku"
#define GOOD(identity, blob)                                                                       \
    "restrict,command=\"/usr/bin/vmconsole-gateway --identity " identity "\",X11-forwarding "      \
    "ssh-ed25519 " blob " c\n"

static char *
identity_problem(const char *name, gpointer user_data)
{
    (void)user_data;
    if (strcmp(name, "ghost") == 0)
        return g_strdup_printf("--identity %s is not a known user", name);
    if (strcmp(name, "root") == 0)
        return g_strdup("identity root is uid 0 (root)");
    return NULL;
}

/* The findings of text, formatted, one per line. */
static char *
review(const char *text)
{
    g_autoptr(GPtrArray) findings =
        g_ptr_array_new_with_free_func((GDestroyNotify)vmc_admin_finding_free);
    vmc_admin_keys_review(text, strlen(text), "/k", identity_problem, NULL, findings);
    GString *out = g_string_new(NULL);
    for (guint i = 0; i < findings->len; i++) {
        g_autofree char *line = vmc_admin_finding_format(g_ptr_array_index(findings, i));
        g_string_append_printf(out, "%s\n", line);
    }
    return g_string_free(out, FALSE);
}

/* An AuthorizedPrincipalsFile: the same rules per line, a principal twice,
 * a line without the gateway; and finding a principal's line. */
static void
test_principals(void)
{
    static const char text[] =
        "# certificates\n"
        "restrict,command=\"/usr/bin/vmconsole-gateway --identity alice\",X11-forwarding alice\n"
        "restrict,command=\"/usr/bin/vmconsole-gateway --identity bob\",X11-forwarding bob\n"
        "restrict,command=\"/usr/bin/vmconsole-gateway --identity ghost\",X11-forwarding alice\n"
        "carol\n";
    g_autoptr(GPtrArray) findings =
        g_ptr_array_new_with_free_func((GDestroyNotify)vmc_admin_finding_free);
    vmc_admin_principals_review(text, strlen(text), "/p", identity_problem, NULL, findings);
    GString *out = g_string_new(NULL);
    for (guint i = 0; i < findings->len; i++) {
        g_autofree char *line = vmc_admin_finding_format(g_ptr_array_index(findings, i));
        g_string_append_printf(out, "%s\n", line);
    }
    g_autofree char *said = g_string_free(out, FALSE);
    vmc_assert_contains(said, "/p line 4");
    vmc_assert_contains(said, "--identity ghost is not a known user");
    vmc_assert_contains(said, "the same principal as on line 2");
    vmc_assert_contains(said, "/p line 5");
    vmc_assert_contains(said, "without command=");
    vmc_assert_lacks(said, "line 3");
    g_assert_cmpuint(vmc_admin_principals_find(text, strlen(text), "bob"), ==, 3);
    g_assert_cmpuint(vmc_admin_principals_find(text, strlen(text), "dave"), ==, 0);
}

static void
test_keys_clean(void)
{
    g_autofree char *out = review("# the people\n\n" GOOD(
        "alice", ED_BLOB) "restrict,command=\"/usr/bin/vmconsole-gateway --identity "
                          "bob\",X11-forwarding,port-forwarding,permitlisten="
                          "\"localhost:*\" ssh-rsa " RSA_BLOB "\r\n");
    g_assert_cmpstr(out, ==, "");
}

static void
test_keys_each_mistake(void)
{
    static const struct {
        const char *text, *says;
    } cases[] = {
        {"command=\"/usr/bin/vmconsole-gateway --identity alice\",X11-forwarding "
         "ssh-ed25519 " ED_BLOB,
         "keys: problem: key without restrict (forwarding, pty and user rc stay allowed) on /k "
         "line 1"},
        {"restrict ssh-ed25519 " ED_BLOB,
         "key without command= (it could run anything) on /k line 1"},
        {"restrict,command=\"/bin/bash\" ssh-ed25519 " ED_BLOB,
         "command= is not the gateway with --identity NAME on /k line 1"},
        {"restrict,command=\"/usr/bin/vmconsole-gateway\" ssh-ed25519 " ED_BLOB,
         "command= runs the gateway with no --identity: the identity is then the account "
         "itself"},
        {"restrict,command=\"/usr/bin/vmconsole-gateway --config /etc/v.conf\" "
         "ssh-ed25519 " ED_BLOB,
         "with no --identity"},
        {"restrict,command=\"/usr/bin/vmconsole-gateway --config rel\" ssh-ed25519 " ED_BLOB,
         "command= is not the gateway with --identity NAME"},
        {GOOD("ghost", ED_BLOB), "--identity ghost is not a known user on /k line 1"},
        {GOOD("root", ED_BLOB), "identity root is uid 0 (root) on /k line 1"},
        {"\n" GOOD("alice", ED_BLOB) GOOD("bob", ED_BLOB),
         "the same key as on line 2 (sshd uses only the first) on /k line 3"},
        {"restrict,pty,command=\"/usr/bin/vmconsole-gateway --identity a\" ssh-ed25519 " ED_BLOB,
         "key option pty undoes part of restrict"},
        {"restrict,command=\"/usr/bin/vmconsole-gateway --identity a\",permitopen=\"x:1\" "
         "ssh-ed25519 " ED_BLOB,
         "key option permitopen undoes"},
        {"ssh-ed25519 garbage!", "a line sshd may not read as a key: the key is not base64"},
    };
    /* each mistake is the one finding: said once, and nothing else is said */
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *out = review(cases[i].text);
        g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
        if (g_strv_length(lines) != 2 || strstr(lines[0], cases[i].says) == NULL)
            g_error("case %u: want only a finding with '%s', got:\n%s", i, cases[i].says, out);
    }
    /* a key without restrict nor command: both said, and only those */
    g_autofree char *bare = review("ssh-ed25519 " ED_BLOB "\n");
    g_auto(GStrv) lines = g_strsplit(bare, "\n", -1);
    g_assert_cmpuint(g_strv_length(lines), ==, 3);
    vmc_assert_contains(lines[0], "without restrict");
    vmc_assert_contains(lines[1], "without command=");
}

static void
test_find_blob(void)
{
    const char text[] = "# x\nbroken line\n" GOOD("a", ED_BLOB2) GOOD("b", ED_BLOB);
    g_assert_cmpuint(vmc_admin_keys_find_blob(text, strlen(text), ED_BLOB), ==, 4);
    g_assert_cmpuint(vmc_admin_keys_find_blob(text, strlen(text), ED_BLOB2), ==, 3);
    g_assert_cmpuint(vmc_admin_keys_find_blob(text, strlen(text), "AAAA"), ==, 0);
    g_assert_cmpuint(vmc_admin_keys_find_blob("", 0, ED_BLOB), ==, 0);
}

static void
test_finding_format(void)
{
    g_autoptr(GPtrArray) findings =
        g_ptr_array_new_with_free_func((GDestroyNotify)vmc_admin_finding_free);
    vmc_admin_finding_add(findings, "log", "/var/log/\x1b[31mx", "do \n it", "bad %d", 7);
    g_autofree char *line = vmc_admin_finding_format(g_ptr_array_index(findings, 0));
    g_assert_cmpstr(line, ==, "log: problem: bad 7 on /var/log/\\e[31mx -- do: do \\n it");

    /* a message that names the place already is not followed by "on PLACE" again */
    vmc_admin_finding_add(findings, "sockets", "/run/x.sock", "start it",
                          "cannot connect to %s: refused", "/run/x.sock");
    g_autofree char *named = vmc_admin_finding_format(g_ptr_array_index(findings, 1));
    g_assert_cmpstr(named, ==,
                    "sockets: problem: cannot connect to /run/x.sock: refused -- do: start it");
}

/* security.capability values as setcap writes them (revision 2: 20 bytes). */
static void
test_caps_ptrace(void)
{
    /* magic 0x02000001 (revision 2, effective), permitted bit 19 */
    const guint8 ptrace[20] = {0x01, 0, 0, 0x02, 0, 0, 0x08, 0};
    g_assert_true(vmc_admin_caps_have_ptrace(ptrace, sizeof ptrace));
    /* not effective (cap_sys_ptrace+p only) */
    const guint8 not_effective[20] = {0x00, 0, 0, 0x02, 0, 0, 0x08, 0};
    g_assert_false(vmc_admin_caps_have_ptrace(not_effective, sizeof not_effective));
    /* another capability (cap_net_raw, bit 13) */
    const guint8 other[20] = {0x01, 0, 0, 0x02, 0, 0x20, 0, 0};
    g_assert_false(vmc_admin_caps_have_ptrace(other, sizeof other));
    /* revision 3 (24 bytes, with a root uid), revision 1 (12 bytes) */
    const guint8 rev3[24] = {0x01, 0, 0, 0x03, 0, 0, 0x08, 0};
    g_assert_true(vmc_admin_caps_have_ptrace(rev3, sizeof rev3));
    const guint8 rev1[12] = {0x01, 0, 0, 0x01, 0, 0, 0x08, 0};
    g_assert_true(vmc_admin_caps_have_ptrace(rev1, sizeof rev1));
    /* lengths that do not fit the revision, and garbage */
    g_assert_false(vmc_admin_caps_have_ptrace(rev3, 20));
    g_assert_false(vmc_admin_caps_have_ptrace(ptrace, 19));
    g_assert_false(vmc_admin_caps_have_ptrace(NULL, 0));
    const guint8 junk[20] = {0x01, 0, 0, 0x07, 0, 0, 0x08, 0};
    g_assert_false(vmc_admin_caps_have_ptrace(junk, sizeof junk));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/admin/check/keys-clean", test_keys_clean);
    g_test_add_func("/admin/check/keys-each-mistake", test_keys_each_mistake);
    g_test_add_func("/admin/check/find-blob", test_find_blob);
    g_test_add_func("/admin/check/principals", test_principals);
    g_test_add_func("/admin/check/finding-format", test_finding_format);
    g_test_add_func("/check-findings/caps-ptrace", test_caps_ptrace);
    return g_test_run();
}
