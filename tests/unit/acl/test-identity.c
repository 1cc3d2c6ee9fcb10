/* test-identity.c — identities resolved through NSS, and group sets. */
#include "acl-priv.h"
#include "vmc-assert.h"

#include <string.h>

static void
test_resolve_root(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcIdentity) root = vmc_identity_resolve("root", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(root->name, ==, "root");
    g_assert_cmpuint(root->uid, ==, 0);
    g_assert_cmpuint(root->gid, ==, 0);
    g_assert_true(vmc_identity_in_group(root, 0));
    g_assert_cmpuint(root->n_groups, >=, 1);
}

static void
test_resolve_unknown(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcIdentity) nobody = vmc_identity_resolve("vmc-no-such-user-x7q", &error);
    g_assert_null(nobody);
    g_assert_error(error, VMC_ACL_ERROR, VMC_ACL_ERROR_UNKNOWN_IDENTITY);
    g_assert_cmpstr(error->message, ==, "no such user 'vmc-no-such-user-x7q' on this host");
}

static void
test_resolve_unprintable(void)
{
    const char *names[] = {"bad\x01name", "tab\tname", "caf\xc3\xa9", "",
                           "a-name-longer-than-sixty-four-characters-is-not-printed-in-full-ok"};
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(VmcIdentity) nobody = vmc_identity_resolve(names[i], &error);
        g_assert_null(nobody);
        g_assert_error(error, VMC_ACL_ERROR, VMC_ACL_ERROR_UNKNOWN_IDENTITY);
        vmc_assert_contains(error->message, "not printable");
        g_assert_null(strchr(error->message, '\''));
    }
}

static void
test_printable_name_bound(void)
{
    char name[VMC_ACL_NAME_QUOTE_MAX + 2];
    memset(name, 'a', sizeof name);
    name[VMC_ACL_NAME_QUOTE_MAX] = '\0';
    g_assert_true(vmc_acl_printable_name(name) == name);
    name[VMC_ACL_NAME_QUOTE_MAX] = 'a';
    name[VMC_ACL_NAME_QUOTE_MAX + 1] = '\0';
    g_assert_null(vmc_acl_printable_name(name));
}

static void
test_new_dedupes(void)
{
    const gid_t groups[] = {5, 3, 5, 7, 3, 9};
    g_autoptr(VmcIdentity) who = vmc_identity_new("someone", 42, 9, groups, G_N_ELEMENTS(groups));
    g_assert_cmpstr(who->name, ==, "someone");
    g_assert_cmpuint(who->uid, ==, 42);
    g_assert_cmpuint(who->gid, ==, 9);
    g_assert_cmpuint(who->n_groups, ==, 4);
    const gid_t expected[] = {3, 5, 7, 9};
    for (guint i = 0; i < who->n_groups; i++)
        g_assert_cmpuint(who->groups[i], ==, expected[i]);
    g_assert_true(vmc_identity_in_group(who, 7));
    g_assert_false(vmc_identity_in_group(who, 4));
    g_assert_false(vmc_identity_in_group(who, 42));
}

static void
test_new_includes_primary(void)
{
    g_autoptr(VmcIdentity) alone = vmc_identity_new("alone", 1, 77, NULL, 0);
    g_assert_cmpuint(alone->n_groups, ==, 1);
    g_assert_cmpuint(alone->groups[0], ==, 77);
    g_assert_true(vmc_identity_in_group(alone, 77));

    const gid_t groups[] = {1, 2};
    g_autoptr(VmcIdentity) more = vmc_identity_new("more", 1, 77, groups, 2);
    g_assert_cmpuint(more->n_groups, ==, 3);
    g_assert_true(vmc_identity_in_group(more, 77));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/identity/resolve/root", test_resolve_root);
    g_test_add_func("/identity/resolve/unknown", test_resolve_unknown);
    g_test_add_func("/identity/resolve/unprintable", test_resolve_unprintable);
    g_test_add_func("/identity/printable-name-bound", test_printable_name_bound);
    g_test_add_func("/identity/new/dedupes", test_new_dedupes);
    g_test_add_func("/identity/new/includes-primary", test_new_includes_primary);
    return g_test_run();
}
