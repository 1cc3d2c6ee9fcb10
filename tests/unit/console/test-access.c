/* test-access.c — identities that pass every ACL (uid 0, the gateway
 * account) are refused, by uid as well as by name; ordinary ones are not. */
#include <glib.h>
#include <string.h>

#include "vmc-console.h"
#include "vmc-assert.h"

static void
test_identity_refusal(void)
{
    static const struct {
        const char *name;
        gint64 uid;
        const char *account;
        gint64 account_uid;
        gboolean named;
        const char *says; /* NULL: not refused */
    } cases[] = {
        {"alice", 1000, "vmconsole", 999, TRUE, NULL},
        {"root", 0, "vmconsole", 999, TRUE, "identity root is uid 0 (root)"},
        {"toor", 0, "vmconsole", 999, TRUE, "identity toor is uid 0 (root)"},
        {"root", 0, "root", 0, FALSE, "is uid 0"}, /* a gateway run as root, no --identity */
        {"vmconsole", 999, "vmconsole", 999, TRUE, "is the gateway account vmconsole itself"},
        {"vmc2", 999, "vmconsole", 999, TRUE, "identity vmc2 is the gateway account vmconsole"},
        {"vmconsole", -1, "vmconsole", -1, TRUE, "is the gateway account vmconsole"},
        {"vmconsole", 999, "vmconsole", 999, FALSE, "the key line has no --identity"},
        {"alice", 1000, "vmconsole", 999, FALSE, NULL}, /* per-person: alice's own account */
        {"alice", -1, "vmconsole", -1, TRUE, NULL},     /* unknown is not "the same uid" */
        {"alice", 1000, "vmconsole", -1, TRUE, NULL},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        VmcIdentityCandidate candidate = {cases[i].name, cases[i].uid, cases[i].account,
                                          cases[i].account_uid, cases[i].named};
        g_autofree char *why = vmc_console_identity_refusal(&candidate);
        g_test_message("case %u: %s", i, why ? why : "(usable)");
        if (cases[i].says == NULL)
            g_assert_null(why);
        else
            vmc_assert_contains(why, cases[i].says);
        if (why != NULL)
            vmc_assert_contains(why, "every VM");
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/access/identity-refusal", test_identity_refusal);
    return g_test_run();
}
