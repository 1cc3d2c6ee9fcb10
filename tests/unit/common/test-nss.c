/* test-nss.c — users and groups through NSS: real look-ups of root and of
 * names nobody has, the buffer bound at the bound and one past it, and the
 * bound of the passwd scan. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>

#include "nss-priv.h"

static void
test_root(void)
{
    g_autoptr(VmcNssUser) by_name = NULL, by_uid = NULL;
    g_autoptr(VmcNssGroup) group = NULL, group_by_name = NULL;
    g_assert_cmpint(vmc_nss_get_user_by_name("root", &by_name), ==, 0);
    g_assert_nonnull(by_name);
    g_assert_cmpstr(by_name->name, ==, "root");
    g_assert_cmpuint(by_name->uid, ==, 0);
    g_assert_cmpuint(by_name->gid, ==, 0);
    g_assert_cmpstr(by_name->home, ==, "/root");
    g_assert_cmpint(vmc_nss_get_user_by_uid(0, &by_uid), ==, 0);
    g_assert_cmpstr(by_uid->name, ==, "root");
    g_assert_cmpint(vmc_nss_get_group_by_gid(0, &group), ==, 0);
    g_assert_cmpstr(group->name, ==, "root");
    g_assert_nonnull(group->members);
    g_assert_cmpint(vmc_nss_get_group_by_name("root", &group_by_name), ==, 0);
    g_assert_cmpuint(group_by_name->gid, ==, 0);

    g_autofree char *root = vmc_nss_user_name(0);
    g_autofree char *root_group = vmc_nss_group_name(0);
    g_assert_cmpstr(root, ==, "root");
    g_assert_cmpstr(root_group, ==, "root");
    g_assert_cmpint(vmc_nss_uid_of("root"), ==, 0);
    g_assert_cmpint(vmc_nss_gid_of("root"), ==, 0);
}

static void
test_unknown(void)
{
    const char *names[] = {"vmc-no-such-user-x7q", ""};
    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        VmcNssUser *user = (VmcNssUser *)&user; /* must be set to NULL */
        VmcNssGroup *group = (VmcNssGroup *)&group;
        g_assert_cmpint(vmc_nss_get_user_by_name(names[i], &user), ==, 0);
        g_assert_null(user);
        g_assert_cmpint(vmc_nss_get_group_by_name(names[i], &group), ==, 0);
        g_assert_null(group);
        g_assert_cmpint(vmc_nss_uid_of(names[i]), ==, -1);
        g_assert_cmpint(vmc_nss_gid_of(names[i]), ==, -1);
    }
    g_autofree char *none = vmc_nss_user_name(4000000000u);
    g_autofree char *no_group = vmc_nss_group_name(4000000000u);
    g_assert_null(none);
    g_assert_null(no_group);
}

/* A look-up whose entry needs *key bytes of buffer: ERANGE below that. */
static int
call_needing(gconstpointer key, gpointer entry, char *buf, size_t size, gpointer *ret_found)
{
    gsize needed = *(const gsize *)key;
    if (size < needed)
        return ERANGE;
    buf[needed - 1] = 'x'; /* the whole buffer is ours to use */
    *ret_found = entry;
    return 0;
}

static void
test_buffer_bound(void)
{
    const gsize fits[] = {1, VMC_NSS_BUFFER_START, VMC_NSS_BUFFER_START + 1, VMC_NSS_BUFFER_MAX};
    for (guint i = 0; i < G_N_ELEMENTS(fits); i++) {
        int entry = 0;
        gpointer found = NULL;
        g_autofree char *buf = NULL;
        g_assert_cmpint(vmc_nss_call_bounded(call_needing, &fits[i], &entry, &buf, &found), ==, 0);
        g_assert_true(found == &entry);
    }
    gsize too_big = VMC_NSS_BUFFER_MAX + 1;
    int entry = 0;
    gpointer found = NULL;
    g_autofree char *buf = NULL;
    g_assert_cmpint(vmc_nss_call_bounded(call_needing, &too_big, &entry, &buf, &found), ==, ERANGE);
    g_assert_null(found);
}

static void
count_user(const VmcNssUser *user, gpointer data)
{
    GPtrArray *names = data;
    g_assert_nonnull(user->name);
    g_ptr_array_add(names, g_strdup(user->name));
}

static void
test_foreach_bound(void)
{
    g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func(g_free);
    guint seen = vmc_nss_foreach_user(count_user, all, G_MAXUINT);
    g_assert_cmpuint(seen, ==, all->len);
    g_assert_cmpuint(seen, >=, 2); /* root and at least one system account */
    g_assert_true(g_ptr_array_find_with_equal_func(all, "root", g_str_equal, NULL));

    /* at the bound: exactly max entries, and the count says the scan stopped */
    g_autoptr(GPtrArray) one = g_ptr_array_new_with_free_func(g_free);
    g_assert_cmpuint(vmc_nss_foreach_user(count_user, one, 1), ==, 1);
    g_assert_cmpuint(one->len, ==, 1);
    g_autoptr(GPtrArray) none = g_ptr_array_new_with_free_func(g_free);
    g_assert_cmpuint(vmc_nss_foreach_user(count_user, none, 0), ==, 0);
    g_assert_cmpuint(none->len, ==, 0);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/nss/root", test_root);
    g_test_add_func("/nss/unknown", test_unknown);
    g_test_add_func("/nss/buffer-bound", test_buffer_bound);
    g_test_add_func("/nss/foreach-bound", test_foreach_bound);
    return g_test_run();
}
