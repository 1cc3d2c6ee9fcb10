/* test-acl-policy.c — the ACL a socket should have, equality, text,
 * differences, whom an ACL names, and one entry as text. */
#include "vmc-acl.h"

#include <string.h>

static VmcAcl *
acl(const VmcAclEntry *entries, guint n)
{
    g_autoptr(GError) error = NULL;
    VmcAcl *a = vmc_acl_new(0, 100, entries, n, &error);
    g_assert_no_error(error);
    return a;
}

#define U(id, p)                                                                                   \
    {                                                                                              \
        VMC_ACL_TAG_USER, id, p                                                                    \
    }
#define G(id, p)                                                                                   \
    {                                                                                              \
        VMC_ACL_TAG_GROUP, id, p                                                                   \
    }

static void
test_desired_from_mode(void)
{
    /* QEMU's socket: srwxr-x--- */
    g_autoptr(VmcAcl) current = vmc_acl_new_from_mode(0, 100, 0750);
    const VmcAclEntry named[] = {G(200, VMC_ACL_RW), U(998, VMC_ACL_RW)};
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcAcl) desired = vmc_acl_desired(current, named, 2, &error);
    g_assert_no_error(error);
    g_autofree char *text = vmc_acl_to_text(desired);
    /* the mask covers group::r-x and the named rw: nothing is cut */
    g_assert_cmpstr(text, ==,
                    "user::rwx,user:998:rw-,group::r-x,group:200:rw-,mask::rwx,other::---");
    g_assert_false(vmc_acl_equal(current, desired));

    /* applying again changes nothing */
    g_autoptr(VmcAcl) again = vmc_acl_desired(desired, named, 2, &error);
    g_assert_true(vmc_acl_equal(desired, again));
}

static void
test_desired_replaces_named(void)
{
    const VmcAclEntry have[] = {
        {VMC_ACL_TAG_USER_OBJ, 0, VMC_ACL_RW},
        U(500, VMC_ACL_RW),
        U(998, VMC_ACL_READ),
        {VMC_ACL_TAG_GROUP_OBJ, 0, 0},
        {VMC_ACL_TAG_MASK, 0, VMC_ACL_READ},
        {VMC_ACL_TAG_OTHER, 0, 0},
    };
    g_autoptr(VmcAcl) current = acl(have, G_N_ELEMENTS(have));
    /* policy: u:998:r (merged with the account's rw), g:200:r */
    const VmcAclEntry named[] = {U(998, VMC_ACL_READ), G(200, VMC_ACL_READ), U(998, VMC_ACL_RW)};
    g_autoptr(VmcAcl) desired = vmc_acl_desired(current, named, 3, NULL);
    g_autofree char *text = vmc_acl_to_text(desired);
    g_assert_cmpstr(text, ==,
                    "user::rw-,user:998:rw-,group::---,group:200:r--,mask::rw-,other::---");

    g_autoptr(GPtrArray) before = vmc_acl_words(current, NULL, NULL);
    g_autoptr(GPtrArray) after = vmc_acl_words(desired, NULL, NULL);
    g_autofree char *diff = vmc_acl_words_diff(before, after);
    g_assert_cmpstr(diff, ==,
                    "added user:998:rw-, group:200:r--, mask::rw-; removed user:500:rw-, "
                    "user:998:r--, mask::r--");
    g_assert_null(vmc_acl_words_diff(after, after));
}

static void
test_desired_refuses(void)
{
    g_autoptr(VmcAcl) current = vmc_acl_new_from_mode(0, 100, 0600);
    const VmcAclEntry bad[] = {{VMC_ACL_TAG_MASK, 0, VMC_ACL_RW}};
    g_autoptr(GError) error = NULL;
    g_assert_null(vmc_acl_desired(current, bad, 1, &error));
    g_assert_error(error, VMC_ACL_ERROR, VMC_ACL_ERROR_INVALID);
}

static char *
fake_user(guint32 id)
{
    return id == 998 ? g_strdup("vmconsole") : NULL;
}

static char *
fake_group(guint32 id)
{
    return id == 200 ? g_strdup("spicex") : NULL;
}

static void
test_words_named(void)
{
    const VmcAclEntry have[] = {
        {VMC_ACL_TAG_USER_OBJ, 0, VMC_ACL_RW},
        U(998, VMC_ACL_RW),
        U(7, VMC_ACL_RW),
        {VMC_ACL_TAG_GROUP_OBJ, 0, 0},
        G(200, VMC_ACL_RW),
        {VMC_ACL_TAG_MASK, 0, VMC_ACL_RW},
        {VMC_ACL_TAG_OTHER, 0, 0},
    };
    g_autoptr(VmcAcl) a = acl(have, G_N_ELEMENTS(have));
    g_autoptr(GPtrArray) words = vmc_acl_words(a, fake_user, fake_group);
    g_ptr_array_add(words, NULL);
    g_autofree char *joined = g_strjoinv(",", (char **)words->pdata);
    g_assert_cmpstr(joined, ==,
                    "user::rw-,user:7:rw-,user:vmconsole:rw-,group::---,group:spicex:rw-,"
                    "mask::rw-,other::---");
}

static void
test_acl_subjects(void)
{
    const VmcAclEntry entries[] = {
        {VMC_ACL_TAG_USER_OBJ, 0, VMC_ACL_RW},
        {VMC_ACL_TAG_USER, 1001, VMC_ACL_RW},
        {VMC_ACL_TAG_USER, 1002, VMC_ACL_READ},
        {VMC_ACL_TAG_GROUP_OBJ, 0, VMC_ACL_READ},
        {VMC_ACL_TAG_GROUP, 2001, VMC_ACL_RW},
        {VMC_ACL_TAG_MASK, 0, VMC_ACL_RW},
        {VMC_ACL_TAG_OTHER, 0, 0},
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcAcl) acl = vmc_acl_new(64055, 64056, entries, G_N_ELEMENTS(entries), &error);
    g_assert_no_error(error);
    g_autoptr(GHashTable) uids = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_autoptr(GHashTable) gids = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_hash_table_add(uids, GUINT_TO_POINTER(1001)); /* from another VM: kept once */

    vmc_acl_add_subjects(acl, uids, gids);
    g_assert_cmpuint(g_hash_table_size(uids), ==, 3);
    g_assert_true(g_hash_table_contains(uids, GUINT_TO_POINTER(64055))); /* the owner */
    g_assert_true(g_hash_table_contains(uids, GUINT_TO_POINTER(1001)));
    g_assert_true(g_hash_table_contains(uids, GUINT_TO_POINTER(1002)));
    g_assert_cmpuint(g_hash_table_size(gids), ==, 2);
    g_assert_true(g_hash_table_contains(gids, GUINT_TO_POINTER(64056))); /* owning group */
    g_assert_true(g_hash_table_contains(gids, GUINT_TO_POINTER(2001)));

    /* A minimal ACL (mode bits) still names its owner and group. */
    g_autoptr(VmcAcl) minimal = vmc_acl_new_from_mode(0, 0, 0600);
    g_autoptr(GHashTable) uids2 = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_autoptr(GHashTable) gids2 = g_hash_table_new(g_direct_hash, g_direct_equal);
    vmc_acl_add_subjects(minimal, uids2, gids2);
    g_assert_cmpuint(g_hash_table_size(uids2), ==, 1);
    g_assert_true(g_hash_table_contains(uids2, GUINT_TO_POINTER(0)));
    g_assert_cmpuint(g_hash_table_size(gids2), ==, 1);
}

static void
test_entry_to_text(void)
{
    static const struct {
        VmcAclEntry entry;
        const char *name;
        const char *text;
    } cases[] = {
        {{VMC_ACL_TAG_USER_OBJ, 0, VMC_ACL_RW | VMC_ACL_EXECUTE}, NULL, "user::rwx"},
        {{VMC_ACL_TAG_USER_OBJ, 5, VMC_ACL_RW}, "ignored", "user::rw-"},
        {{VMC_ACL_TAG_USER, 1001, VMC_ACL_RW}, NULL, "user:1001:rw-"},
        {{VMC_ACL_TAG_USER, 1001, VMC_ACL_READ}, "alice", "user:alice:r--"},
        {{VMC_ACL_TAG_GROUP_OBJ, 0, 0}, NULL, "group::---"},
        {{VMC_ACL_TAG_GROUP, 4294967294u, VMC_ACL_WRITE}, NULL, "group:4294967294:-w-"},
        {{VMC_ACL_TAG_GROUP, 200, VMC_ACL_RW}, "spicex", "group:spicex:rw-"},
        {{VMC_ACL_TAG_MASK, 0, VMC_ACL_RW}, NULL, "mask::rw-"},
        {{VMC_ACL_TAG_OTHER, 0, VMC_ACL_EXECUTE}, NULL, "other::--x"},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *text = vmc_acl_entry_to_text(&cases[i].entry, cases[i].name);
        g_assert_cmpstr(text, ==, cases[i].text);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/acl-policy/desired-from-mode", test_desired_from_mode);
    g_test_add_func("/acl-policy/desired-replaces-named", test_desired_replaces_named);
    g_test_add_func("/acl-policy/desired-refuses", test_desired_refuses);
    g_test_add_func("/acl-policy/words-named", test_words_named);
    g_test_add_func("/acl-policy/subjects", test_acl_subjects);
    g_test_add_func("/acl-policy/entry-to-text", test_entry_to_text);
    return g_test_run();
}
