/* test-acl-explain.c — verdicts in words, with fixed names instead of NSS. */
#include "acl-priv.h"

#define OWNER 1000
#define GROUP 50

static char *
user_name(guint32 uid)
{
    switch (uid) {
    case 1000:
        return g_strdup("olga");
    case 1001:
        return g_strdup("carol");
    case 1002:
        return g_strdup("bob");
    case 1003:
        return g_strdup("alice");
    case 1004:
        return g_strdup("evil\nname");
    default:
        return NULL;
    }
}

static char *
group_name(guint32 gid)
{
    switch (gid) {
    case 50:
        return g_strdup("vmadmins");
    case 100:
        return g_strdup("staff");
    case 200:
        return g_strdup("spicex");
    case 300:
        return g_strdup("bob");
    default:
        return NULL;
    }
}

typedef struct {
    const char *name;
    const char *acl;
    const char *who;
    uid_t uid;
    gid_t gid;
    gid_t groups[3];
    guint n_groups;
    const char *object;
    const char *expected;
} ExplainCase;

/* clang-format off */
static const ExplainCase explain_cases[] = {
    {"named-group-grants", "u::rw-,g::---,g:200:rw-,m::rw-,o::---", "alice", 1003, 301, {200}, 1,
     "debianx",
     "alice may open debianx: group spicex has rw (ACL entry group:spicex:rw-, mask rw-)"},
    {"other-denies", "u::rw-,g::---,g:200:rw-,m::rw-,o::---", "bob", 1002, 300, {100}, 1,
     "debianx",
     "bob may not open debianx: they are not the owner, not named, and their groups (staff, bob) "
     "match no entry; other has ---"},
    {"other-grants", "u::rw-,g::---,o::rw-", "bob", 1002, 300, {0}, 0, "debianx",
     "bob may open debianx: they are not the owner, not named, and their groups (bob) match no "
     "entry; other has rw-"},
    {"named-user-masked", "u::rw-,u:1001:rw-,g::r--,m::r--,o::---", "carol", 1001, 301, {0}, 0,
     "debianx",
     "carol may not open debianx: they are named in user:carol:rw- but the mask r-- takes w away"},
    {"named-user-grants", "u::rw-,u:1001:rw-,g::r--,m::rw-,o::---", "carol", 1001, 301, {0}, 0,
     "winx", "carol may open winx: they are named in user:carol:rw- (mask rw-)"},
    {"named-user-lacks", "u::rw-,u:1001:r--,g::rw-,m::rw-,o::rw-", "carol", 1001, GROUP, {0}, 0,
     "debianx",
     "carol may not open debianx: they are named in user:carol:r--, which lacks w (a named-user "
     "entry decides; their groups do not count)"},
    {"owner-grants", "u::rw-,g::---,o::---", "olga", OWNER, GROUP, {0}, 0, "debianx",
     "olga may open debianx: they own it and the owner entry user::rw- grants rw"},
    {"owner-lacks", "u::r--,g::rw-,o::rw-", "olga", OWNER, GROUP, {0}, 0, "debianx",
     "olga may not open debianx: they own it and the owner entry user::r-- lacks w (for the owner "
     "no other entry counts)"},
    {"matching-group-lacks", "u::rw-,g::---,g:100:r--,m::rw-,o::rw-", "bob", 1002, 300, {100}, 1,
     "debianx",
     "bob may not open debianx: they are in group staff, whose entry group:staff:r-- lacks w; a "
     "matching group that does not grant denies, other is not consulted"},
    {"several-groups-lack", "u::rw-,g::r--,g:100:-w-,m::rw-,o::rw-", "bob", 1002, GROUP, {100}, 1,
     "debianx",
     "bob may not open debianx: 2 group entries match them (the first: group::r--) and none "
     "grants rw; other is not consulted"},
    {"owning-group-no-mask", "u::rw-,g::rw-,o::---", "bob", 1002, 300, {GROUP}, 1, "debianx",
     "bob may open debianx: the owning group vmadmins has rw (ACL entry group::rw-, no mask)"},
    {"owning-group-masked", "u::rw-,g::rw-,m::r--,o::---", "bob", 1002, GROUP, {0}, 0, "debianx",
     "bob may not open debianx: the owning group vmadmins has rw (ACL entry group::rw-) but the "
     "mask r-- takes w away"},
    {"unknown-ids-as-numbers", "u::rw-,u:4242:rw-,g::---,g:4343:rw-,m::rw-,o::---", "x", 4242, 9,
     {4343}, 1, "vm", "x may open vm: they are named in user:4242:rw- (mask rw-)"},
    {"unknown-group-as-number", "u::rw-,g::---,g:4343:rw-,m::rw-,o::---", "x", 4241, 9, {4343}, 1,
     "vm", "x may open vm: group 4343 has rw (ACL entry group:4343:rw-, mask rw-)"},
    {"unprintable-nss-name-as-number", "u::rw-,u:1004:r--,g::---,m::rw-,o::---", "x", 1004, 9,
     {0}, 0, "vm",
     "x may not open vm: they are named in user:1004:r--, which lacks w (a named-user entry "
     "decides; their groups do not count)"},
    {"empty-mask", "u::rw-,u:1001:rw-,g::rw-,m::---,o::rw-", "carol", 1001, 301, {0}, 0, "winx",
     "carol may open winx: the mask is ---, so the kernel ignores the named entries that match "
     "them; other has rw-"},
    {"unprintable-subject-and-object", "u::rw-,g::---,o::---", "a\x1b[2Jb", 1002, 300, {0}, 0,
     "vm\x01",
     "(unprintable user name) may not open (unprintable name): they are not the owner, not "
     "named, and their groups (bob) match no entry; other has ---"},
};
/* clang-format on */

static VmcAcl *
parse_acl(const char *text)
{
    g_autoptr(GError) error = NULL;
    VmcAcl *acl = vmc_acl_from_text(text, OWNER, GROUP, &error);
    g_assert_no_error(error);
    return acl;
}

static void
test_explain_case(gconstpointer data)
{
    const ExplainCase *c = data;
    g_autoptr(VmcAcl) acl = parse_acl(c->acl);
    g_autoptr(VmcIdentity) who = vmc_identity_new(c->who, c->uid, c->gid, c->groups, c->n_groups);
    VmcAclVerdict verdict = vmc_acl_check(acl, who, VMC_ACL_RW);
    g_autofree char *text =
        vmc_acl_explain_with(acl, &verdict, who, c->object, user_name, group_name);
    g_assert_cmpstr(text, ==, c->expected);
}

static void
test_explain_many_groups(void)
{
    g_autoptr(VmcAcl) acl = parse_acl("u::rw-,g::---,o::---");
    const gid_t groups[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    g_autoptr(VmcIdentity) who = vmc_identity_new("many", 1002, 12, groups, G_N_ELEMENTS(groups));
    VmcAclVerdict verdict = vmc_acl_check(acl, who, VMC_ACL_RW);
    g_autofree char *text = vmc_acl_explain_with(acl, &verdict, who, "vm", user_name, group_name);
    g_assert_cmpstr(text, ==,
                    "many may not open vm: they are not the owner, not named, and their groups "
                    "(1, 2, 3, 4, 5, 6, 7, 8, and 4 more) match no entry; other has ---");
}

static void
test_explain_nss(void)
{
    g_autoptr(VmcAcl) acl = vmc_acl_new_from_mode(0, 0, 0600);
    g_autoptr(VmcIdentity) root = vmc_identity_new("root", 0, 0, NULL, 0);
    VmcAclVerdict verdict = vmc_acl_check(acl, root, VMC_ACL_RW);
    g_autofree char *text = vmc_acl_explain(acl, &verdict, root, "vm");
    g_assert_cmpstr(text, ==,
                    "root may open vm: they own it and the owner entry user::rw- grants rw");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(explain_cases); i++) {
        g_autofree char *path = g_strdup_printf("/acl/explain/%s", explain_cases[i].name);
        g_test_add_data_func(path, &explain_cases[i], test_explain_case);
    }
    g_test_add_func("/acl/explain/many-groups", test_explain_many_groups);
    g_test_add_func("/acl/explain/nss", test_explain_nss);
    return g_test_run();
}
