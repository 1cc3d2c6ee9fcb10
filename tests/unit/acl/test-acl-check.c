/* test-acl-check.c — the access check, case by case, and ACL validity. */
#include "acl-priv.h"
#include "vmc-assert.h"

#include <string.h>

#define OWNER 1000
#define GROUP 100
#define RW VMC_ACL_RW
#define R VMC_ACL_READ

typedef struct {
    const char *name;
    const char *acl; /* acl(5) short text, numeric qualifiers */
    uid_t uid;
    gid_t gid;
    gid_t groups[4]; /* supplementary, n_groups of them */
    guint n_groups;
    guint want;
    gboolean granted;
    VmcAclTag tag; /* the deciding class */
    guint32 qualifier;
} CheckCase;

#define U_OBJ VMC_ACL_TAG_USER_OBJ
#define U VMC_ACL_TAG_USER
#define G_OBJ VMC_ACL_TAG_GROUP_OBJ
#define G VMC_ACL_TAG_GROUP
#define O VMC_ACL_TAG_OTHER

/* clang-format off */
static const CheckCase check_cases[] = {
    /* The owner: the owner entry alone. */
    {"owner-rw", "u::rw-,g::---,o::---", OWNER, 300, {0}, 0, RW, TRUE, U_OBJ, OWNER},
    {"owner-r-denied-though-group-grants", "u::r--,g::rw-,o::rw-", OWNER, GROUP, {0}, 0, RW,
     FALSE, U_OBJ, OWNER},
    {"owner-wins-over-own-named-entry", "u::---,u:1000:rw-,g::rw-,m::rw-,o::rw-", OWNER, GROUP,
     {0}, 0, RW, FALSE, U_OBJ, OWNER},
    {"owner-not-masked", "u::rw-,g::r--,m::r--,o::---", OWNER, GROUP, {0}, 0, RW, TRUE, U_OBJ,
     OWNER},
    {"owner-wins-over-named-group-grant", "u::---,g::---,g:200:rw-,m::rw-,o::---", OWNER, 300,
     {200}, 1, RW, FALSE, U_OBJ, OWNER},
    {"owner-no-root-bypass", "u::rw-,g::---,o::---", 0, 0, {0}, 0, RW, FALSE, O, 0},
    /* Named users: masked, and the groups no longer count. */
    {"named-user-granted", "u::---,u:1001:rw-,g::---,m::rw-,o::---", 1001, 300, {0}, 0, RW, TRUE,
     U, 1001},
    {"named-user-masked", "u::rw-,u:1001:rw-,g::r--,m::r--,o::rw-", 1001, 300, {0}, 0, RW, FALSE,
     U, 1001},
    {"named-user-lacks-w-groups-dont-count", "u::rw-,u:1001:r--,g::rw-,m::rw-,o::rw-", 1001,
     GROUP, {0}, 0, RW, FALSE, U, 1001},
    {"named-user-grants-though-groups-deny", "u::---,u:1001:rw-,g::---,g:200:---,m::rw-,o::---",
     1001, GROUP, {200}, 1, RW, TRUE, U, 1001},
    {"named-user-other-uid-gets-other", "u::---,u:1001:rw-,g::---,m::rw-,o::rw-", 1002, 300, {0},
     0, RW, TRUE, O, 0},
    {"named-user-read-only-mask-irrelevant", "u::---,u:1001:rw-,g::---,m::r--,o::---", 1001, 300,
     {0}, 0, R, TRUE, U, 1001},
    /* The group class. */
    {"group-obj-primary", "u::---,g::rw-,o::---", 1002, GROUP, {0}, 0, RW, TRUE, G_OBJ, GROUP},
    {"group-obj-supplementary", "u::---,g::rw-,o::---", 1002, 300, {GROUP}, 1, RW, TRUE, G_OBJ,
     GROUP},
    {"group-obj-masked", "u::---,g::rw-,m::r--,o::rw-", 1002, GROUP, {0}, 0, RW, FALSE, G_OBJ,
     GROUP},
    {"named-group-grants", "u::---,g::---,g:200:rw-,m::rw-,o::---", 1002, 300, {200}, 1, RW, TRUE,
     G, 200},
    {"named-group-primary-gid", "u::---,g::---,g:200:rw-,m::rw-,o::---", 1002, 200, {0}, 0, RW,
     TRUE, G, 200},
    {"named-group-masked", "u::---,g::---,g:200:rw-,m::r--,o::rw-", 1002, 300, {200}, 1, RW,
     FALSE, G, 200},
    {"matching-group-without-grant-denies", "u::---,g::---,g:200:r--,m::rw-,o::rw-", 1002, 300,
     {200}, 1, RW, FALSE, G, 200},
    {"group-obj-without-grant-denies", "u::---,g::r--,o::rw-", 1002, GROUP, {0}, 0, RW, FALSE,
     G_OBJ, GROUP},
    {"several-match-one-grants", "u::---,g::r--,g:200:---,g:201:rw-,m::rw-,o::---", 1002, GROUP,
     {200, 201}, 2, RW, TRUE, G, 201},
    {"several-match-none-grants", "u::---,g::r--,g:200:-w-,m::rw-,o::rw-", 1002, GROUP, {200}, 1,
     RW, FALSE, G_OBJ, GROUP},
    {"named-group-not-owning-group", "u::---,g::rw-,g:200:r--,m::rw-,o::---", 1002, 300, {200}, 1,
     RW, FALSE, G, 200},
    {"group-obj-first-of-two-grants", "u::---,g::rw-,g:200:rw-,m::rw-,o::---", 1002, GROUP, {200},
     1, RW, TRUE, G_OBJ, GROUP},
    {"group-read-only-want-read", "u::---,g::r--,o::---", 1002, GROUP, {0}, 0, R, TRUE, G_OBJ,
     GROUP},
    /* Other. */
    {"no-match-other-grants", "u::---,g::---,g:200:rw-,m::rw-,o::rw-", 1002, 300, {201}, 1, RW,
     TRUE, O, 0},
    {"no-match-other-denies", "u::rw-,g::rw-,o::r--", 1002, 300, {0}, 0, RW, FALSE, O, 0},
    {"other-not-masked", "u::---,u:1001:---,g::---,m::r--,o::rw-", 1002, 300, {0}, 0, RW, TRUE, O,
     0},
    /* An empty group class: the kernel skips the ACL (acl_permission_check). */
    {"empty-mask-named-user-gets-other", "u::---,u:1001:rw-,g::rw-,m::---,o::rw-", 1001, 300, {0},
     0, RW, TRUE, O, 0},
    {"empty-mask-named-group-gets-other", "u::---,g::---,g:200:rw-,m::---,o::r--", 1002, 300,
     {200}, 1, R, TRUE, O, 0},
    {"empty-mask-owning-group-denied", "u::---,g::rw-,m::---,o::rw-", 1002, GROUP, {0}, 0, RW,
     FALSE, G_OBJ, GROUP},
    {"empty-group-obj-owning-group-denied", "u::---,g::---,o::rw-", 1002, GROUP, {0}, 0, RW, FALSE,
     G_OBJ, GROUP},
    /* What is asked for. */
    {"want-rwx-of-rw", "u::rw-,g::---,o::---", OWNER, GROUP, {0}, 0, VMC_ACL_READ | RW | 1, FALSE,
     U_OBJ, OWNER},
    {"want-nothing", "u::---,g::---,o::---", 1002, 300, {0}, 0, 0, TRUE, O, 0},
};
/* clang-format on */

static VmcAcl *
parse_acl(const char *text, uid_t owner, gid_t group)
{
    g_autoptr(GError) error = NULL;
    VmcAcl *acl = vmc_acl_from_text(text, owner, group, &error);
    g_assert_no_error(error);
    return acl;
}

static void
test_check_case(gconstpointer data)
{
    const CheckCase *c = data;
    g_autoptr(VmcAcl) acl = parse_acl(c->acl, OWNER, GROUP);
    g_autoptr(VmcIdentity) who =
        vmc_identity_new("subject", c->uid, c->gid, c->groups, c->n_groups);
    VmcAclVerdict v = vmc_acl_check(acl, who, c->want);
    g_assert_cmpint(v.granted, ==, c->granted);
    g_assert_cmpint(v.deciding_tag, ==, c->tag);
    g_assert_cmpuint(v.qualifier, ==, c->qualifier);
    g_assert_cmpuint(v.want, ==, c->want & 7u);
}

static void
test_check_verdict_fields(void)
{
    g_autoptr(VmcAcl) acl =
        parse_acl("u::---,g::r--,g:200:-w-,g:201:rw-,m::r--,o::---", OWNER, GROUP);
    const gid_t groups[] = {200, 201};
    g_autoptr(VmcIdentity) who = vmc_identity_new("subject", 1002, GROUP, groups, 2);
    VmcAclVerdict v = vmc_acl_check(acl, who, RW);
    g_assert_false(v.granted);
    g_assert_cmpint(v.deciding_tag, ==, VMC_ACL_TAG_GROUP);
    g_assert_cmpuint(v.qualifier, ==, 201);
    g_assert_cmpuint(v.entry_perm, ==, RW);
    g_assert_true(v.has_mask);
    g_assert_cmpuint(v.mask_perm, ==, R);
    g_assert_cmpuint(v.n_matching_groups, ==, 3);
}

static void
assert_invalid(const VmcAclEntry *entries, guint n, const char *fragment)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcAcl) acl = vmc_acl_new(OWNER, GROUP, entries, n, &error);
    g_assert_null(acl);
    g_assert_error(error, VMC_ACL_ERROR, VMC_ACL_ERROR_INVALID);
    vmc_assert_contains(error->message, fragment);
}

static void
test_valid_rejects(void)
{
    const VmcAclEntry no_user_obj[] = {{G_OBJ, 0, 6}, {O, 0, 0}};
    assert_invalid(no_user_obj, G_N_ELEMENTS(no_user_obj), "exactly one");
    const VmcAclEntry two_group_obj[] = {{U_OBJ, 0, 6}, {G_OBJ, 0, 6}, {G_OBJ, 0, 4}, {O, 0, 0}};
    assert_invalid(two_group_obj, G_N_ELEMENTS(two_group_obj), "exactly one");
    const VmcAclEntry no_mask[] = {{U_OBJ, 0, 6}, {U, 5, 6}, {G_OBJ, 0, 6}, {O, 0, 0}};
    assert_invalid(no_mask, G_N_ELEMENTS(no_mask), "without a mask");
    const VmcAclEntry two_masks[] = {{U_OBJ, 0, 6},
                                     {G_OBJ, 0, 6},
                                     {VMC_ACL_TAG_MASK, 0, 6},
                                     {VMC_ACL_TAG_MASK, 0, 4},
                                     {O, 0, 0}};
    assert_invalid(two_masks, G_N_ELEMENTS(two_masks), "more than one mask");
    const VmcAclEntry dup_user[] = {
        {U, 5, 4}, {U_OBJ, 0, 6}, {U, 5, 6}, {G_OBJ, 0, 6}, {VMC_ACL_TAG_MASK, 0, 6}, {O, 0, 0}};
    assert_invalid(dup_user, G_N_ELEMENTS(dup_user), "two entries user:5");
    const VmcAclEntry dup_group[] = {
        {U_OBJ, 0, 6}, {G, 9, 6}, {G_OBJ, 0, 6}, {G, 9, 6}, {VMC_ACL_TAG_MASK, 0, 6}, {O, 0, 0}};
    assert_invalid(dup_group, G_N_ELEMENTS(dup_group), "two entries group:9");
    const VmcAclEntry big_perm[] = {{U_OBJ, 0, 8}, {G_OBJ, 0, 6}, {O, 0, 0}};
    assert_invalid(big_perm, G_N_ELEMENTS(big_perm), "beyond rwx");
    const VmcAclEntry bad_tag[] = {{U_OBJ, 0, 6}, {G_OBJ, 0, 6}, {O, 0, 0}, {(VmcAclTag)42, 0, 0}};
    assert_invalid(bad_tag, G_N_ELEMENTS(bad_tag), "unknown entry tag");
    assert_invalid(NULL, 0, "exactly one");
}

/* user::, group::, mask::, other:: and n named users. */
static VmcAclEntry *
entries_with_named_users(guint n_named, guint *ret_n)
{
    guint n = n_named + 4;
    VmcAclEntry *entries = g_new0(VmcAclEntry, n);
    entries[0] = (VmcAclEntry){U_OBJ, 0, 6};
    entries[1] = (VmcAclEntry){G_OBJ, 0, 4};
    entries[2] = (VmcAclEntry){VMC_ACL_TAG_MASK, 0, 6};
    entries[3] = (VmcAclEntry){O, 0, 0};
    for (guint i = 0; i < n_named; i++)
        entries[4 + i] = (VmcAclEntry){U, 5000 + i, 6};
    *ret_n = n;
    return entries;
}

static void
test_valid_entry_bound(void)
{
    guint n;
    g_autofree VmcAclEntry *at_bound = entries_with_named_users(VMC_ACL_MAX_ENTRIES - 4, &n);
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcAcl) acl = vmc_acl_new(OWNER, GROUP, at_bound, n, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(acl->n_entries, ==, VMC_ACL_MAX_ENTRIES);

    g_autofree VmcAclEntry *over = entries_with_named_users(VMC_ACL_MAX_ENTRIES - 3, &n);
    assert_invalid(over, n, "more than the 1024 allowed");
}

static void
assert_bad_text(const char *text, const char *fragment)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcAcl) acl = vmc_acl_from_text(text, OWNER, GROUP, &error);
    g_assert_null(acl);
    g_assert_error(error, VMC_ACL_ERROR, VMC_ACL_ERROR_INVALID);
    vmc_assert_contains(error->message, fragment);
}

static void
test_valid_text(void)
{
    assert_bad_text("nonsense", "bad ACL text 'nonsense'");
    assert_bad_text("u::rw-,u:5:rw-,g::r--,o::---", "without a mask");
    assert_bad_text("u::rw-,o::---", "exactly one");

    /* libacl itself holds more than we take: the reader stops at the bound. */
    GString *text = g_string_new("u::rw-,g::r--,m::rw-,o::---");
    for (guint i = 0; i < VMC_ACL_MAX_ENTRIES - 3; i++)
        g_string_append_printf(text, ",u:%u:r--", 5000 + i);
    assert_bad_text(text->str, "more than 1024 entries");
    g_string_free(text, TRUE);
}

static void
test_valid_canonical_order(void)
{
    const VmcAclEntry shuffled[] = {
        {O, 0, 1},  {G, 30, 2},    {U, 20, 3},    {VMC_ACL_TAG_MASK, 0, 7},
        {G, 10, 4}, {U_OBJ, 0, 5}, {G_OBJ, 0, 6}, {U, 2, 7}};
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcAcl) acl = vmc_acl_new(OWNER, GROUP, shuffled, G_N_ELEMENTS(shuffled), &error);
    g_assert_no_error(error);
    const VmcAclTag tags[] = {U_OBJ, U, U, G_OBJ, G, G, VMC_ACL_TAG_MASK, O};
    const guint32 qualifiers[] = {0, 2, 20, 0, 10, 30, 0, 0};
    g_assert_cmpuint(acl->n_entries, ==, G_N_ELEMENTS(tags));
    for (guint i = 0; i < acl->n_entries; i++) {
        g_assert_cmpint(acl->entries[i].tag, ==, tags[i]);
        g_assert_cmpuint(acl->entries[i].qualifier, ==, qualifiers[i]);
    }
    g_assert_cmpuint(acl->owner, ==, OWNER);
    g_assert_cmpuint(acl->group, ==, GROUP);
}

static void
test_valid_mask_without_named(void)
{
    g_autoptr(VmcAcl) acl = parse_acl("u::rw-,g::rw-,m::r--,o::---", OWNER, GROUP);
    g_assert_cmpuint(acl->n_entries, ==, 4);
}

static void
test_from_mode(void)
{
    g_autoptr(VmcAcl) acl = vmc_acl_new_from_mode(7, 8, 0100751);
    g_assert_cmpuint(acl->n_entries, ==, 3);
    g_assert_cmpuint(acl->owner, ==, 7);
    g_assert_cmpuint(acl->group, ==, 8);
    g_assert_cmpint(acl->entries[0].tag, ==, U_OBJ);
    g_assert_cmpuint(acl->entries[0].perm, ==, 7);
    g_assert_cmpint(acl->entries[1].tag, ==, G_OBJ);
    g_assert_cmpuint(acl->entries[1].perm, ==, 5);
    g_assert_cmpint(acl->entries[2].tag, ==, O);
    g_assert_cmpuint(acl->entries[2].perm, ==, 1);
}

static void
test_perm_to_string(void)
{
    g_assert_cmpstr(vmc_acl_perm_to_string(0), ==, "---");
    g_assert_cmpstr(vmc_acl_perm_to_string(VMC_ACL_RW), ==, "rw-");
    g_assert_cmpstr(vmc_acl_perm_to_string(5), ==, "r-x");
    g_assert_cmpstr(vmc_acl_perm_to_string(7), ==, "rwx");
    g_assert_cmpstr(vmc_acl_perm_to_string(0x2f), ==, "rwx");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(check_cases); i++) {
        g_autofree char *path = g_strdup_printf("/acl/check/%s", check_cases[i].name);
        g_test_add_data_func(path, &check_cases[i], test_check_case);
    }
    g_test_add_func("/acl/check/verdict-fields", test_check_verdict_fields);
    g_test_add_func("/acl/valid/rejects", test_valid_rejects);
    g_test_add_func("/acl/valid/entry-bound", test_valid_entry_bound);
    g_test_add_func("/acl/valid/text", test_valid_text);
    g_test_add_func("/acl/valid/canonical-order", test_valid_canonical_order);
    g_test_add_func("/acl/valid/mask-without-named", test_valid_mask_without_named);
    g_test_add_func("/acl/valid/from-mode", test_from_mode);
    g_test_add_func("/acl/perm-to-string", test_perm_to_string);
    return g_test_run();
}
