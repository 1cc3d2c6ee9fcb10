/* acl-policy.c: the ACL a socket should have, equality, text, differences. */
#include "admin-priv.h"

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
    g_autoptr(VmcAcl) desired = vmc_admin_acl_desired(current, named, 2, &error);
    g_assert_no_error(error);
    g_autofree char *text = vmc_admin_acl_to_text(desired);
    /* the mask covers group::r-x and the named rw: nothing is cut */
    g_assert_cmpstr(text, ==,
                    "user::rwx,user:998:rw-,group::r-x,group:200:rw-,mask::rwx,other::---");
    g_assert_false(vmc_admin_acl_equal(current, desired));

    /* applying again changes nothing */
    g_autoptr(VmcAcl) again = vmc_admin_acl_desired(desired, named, 2, &error);
    g_assert_true(vmc_admin_acl_equal(desired, again));
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
    g_autoptr(VmcAcl) desired = vmc_admin_acl_desired(current, named, 3, NULL);
    g_autofree char *text = vmc_admin_acl_to_text(desired);
    g_assert_cmpstr(text, ==,
                    "user::rw-,user:998:rw-,group::---,group:200:r--,mask::rw-,other::---");

    g_autoptr(GPtrArray) before = vmc_admin_acl_words(current, NULL, NULL);
    g_autoptr(GPtrArray) after = vmc_admin_acl_words(desired, NULL, NULL);
    g_autofree char *diff = vmc_admin_words_diff(before, after);
    g_assert_cmpstr(diff, ==,
                    "added user:998:rw-, group:200:r--, mask::rw-; removed user:500:rw-, "
                    "user:998:r--, mask::r--");
    g_assert_null(vmc_admin_words_diff(after, after));
}

static void
test_desired_refuses(void)
{
    g_autoptr(VmcAcl) current = vmc_acl_new_from_mode(0, 100, 0600);
    const VmcAclEntry bad[] = {{VMC_ACL_TAG_MASK, 0, VMC_ACL_RW}};
    g_autoptr(GError) error = NULL;
    g_assert_null(vmc_admin_acl_desired(current, bad, 1, &error));
    g_assert_error(error, VMC_ADMIN_ERROR, VMC_ADMIN_ERROR_INVALID);
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
    g_autoptr(GPtrArray) words = vmc_admin_acl_words(a, fake_user, fake_group);
    g_ptr_array_add(words, NULL);
    g_autofree char *joined = g_strjoinv(",", (char **)words->pdata);
    g_assert_cmpstr(joined, ==,
                    "user::rw-,user:7:rw-,user:vmconsole:rw-,group::---,group:spicex:rw-,"
                    "mask::rw-,other::---");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/admin/acl-policy/desired-from-mode", test_desired_from_mode);
    g_test_add_func("/admin/acl-policy/desired-replaces-named", test_desired_replaces_named);
    g_test_add_func("/admin/acl-policy/desired-refuses", test_desired_refuses);
    g_test_add_func("/admin/acl-policy/words-named", test_words_named);
    return g_test_run();
}
