/* acl.c — the ACL value: construction, validity (acl_valid(3)) and canonical order. Pure. */
#include "acl-priv.h"

#include <stdlib.h>
#include <string.h>

/* the GError domain "vmc-acl-error-quark" */
GQuark
vmc_acl_error_quark(void)
{
    return g_quark_from_static_string("vmc-acl-error-quark");
}

const char *
vmc_acl_perm_to_string(guint perm)
{
    static const char *const strings[] = {"---", "--x", "-w-", "-wx", "r--", "r-x", "rw-", "rwx"};
    return strings[perm & 7u];
}

/* The tag's word in acl(5) text. */
static const char *
tag_word(VmcAclTag tag)
{
    switch (tag) {
    case VMC_ACL_TAG_USER_OBJ:
    case VMC_ACL_TAG_USER:
        return "user";
    case VMC_ACL_TAG_GROUP_OBJ:
    case VMC_ACL_TAG_GROUP:
        return "group";
    case VMC_ACL_TAG_MASK:
        return "mask";
    case VMC_ACL_TAG_OTHER:
        return "other";
    }
    return "?";
}

char *
vmc_acl_entry_to_text(const VmcAclEntry *entry, const char *name)
{
    g_return_val_if_fail(entry != NULL, NULL);
    gboolean named = entry->tag == VMC_ACL_TAG_USER || entry->tag == VMC_ACL_TAG_GROUP;
    g_autofree char *number =
        named && name == NULL ? g_strdup_printf("%u", entry->qualifier) : NULL;
    return g_strdup_printf("%s:%s:%s", tag_word(entry->tag),
                           named ? (name != NULL ? name : number) : "",
                           vmc_acl_perm_to_string(entry->perm));
}

/* Canonical order, as the kernel stores it: by tag, then by qualifier. */
static int
compare_entries(gconstpointer a, gconstpointer b)
{
    const VmcAclEntry *x = a, *y = b;
    if (x->tag != y->tag)
        return x->tag < y->tag ? -1 : 1;
    return (x->qualifier > y->qualifier) - (x->qualifier < y->qualifier);
}

static gboolean
invalid(GError **error, const char *what)
{
    g_set_error(error, VMC_ACL_ERROR, VMC_ACL_ERROR_INVALID, "invalid ACL: %s", what);
    return FALSE;
}

/* entries sorted canonically; checks them as acl_valid(3) does. */
static gboolean
check_sorted_entries(const VmcAclEntry *entries, guint n, GError **error)
{
    guint count[VMC_ACL_TAG_OTHER + 1] = {0};
    for (guint i = 0; i < n; i++) {
        const VmcAclEntry *e = &entries[i];
        if (e->perm > 7u)
            return invalid(error, "permission bits beyond rwx");
        count[e->tag]++;
        gboolean named = e->tag == VMC_ACL_TAG_USER || e->tag == VMC_ACL_TAG_GROUP;
        if (named && i > 0 && entries[i - 1].tag == e->tag &&
            entries[i - 1].qualifier == e->qualifier) {
            g_set_error(error, VMC_ACL_ERROR, VMC_ACL_ERROR_INVALID,
                        "invalid ACL: two entries %s:%u", tag_word(e->tag), e->qualifier);
            return FALSE;
        }
    }
    if (count[VMC_ACL_TAG_USER_OBJ] != 1 || count[VMC_ACL_TAG_GROUP_OBJ] != 1 ||
        count[VMC_ACL_TAG_OTHER] != 1)
        return invalid(error, "it needs exactly one user::, group:: and other:: entry");
    if (count[VMC_ACL_TAG_MASK] > 1)
        return invalid(error, "more than one mask:: entry");
    if (count[VMC_ACL_TAG_MASK] == 0 && count[VMC_ACL_TAG_USER] + count[VMC_ACL_TAG_GROUP] > 0)
        return invalid(error, "named user or group entries without a mask:: entry");
    return TRUE;
}

VmcAcl *
vmc_acl_new(uid_t owner, gid_t group, const VmcAclEntry *entries, guint n_entries, GError **error)
{
    g_return_val_if_fail(entries != NULL || n_entries == 0, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    if (n_entries > VMC_ACL_MAX_ENTRIES) {
        g_set_error(error, VMC_ACL_ERROR, VMC_ACL_ERROR_INVALID,
                    "invalid ACL: %u entries, more than the %d allowed", n_entries,
                    VMC_ACL_MAX_ENTRIES);
        return NULL;
    }
    for (guint i = 0; i < n_entries; i++) {
        if ((guint)entries[i].tag > VMC_ACL_TAG_OTHER) {
            invalid(error, "unknown entry tag");
            return NULL;
        }
    }
    g_autofree VmcAclEntry *sorted = g_memdup2(entries, n_entries * sizeof *entries);
    if (n_entries > 0)
        qsort(sorted, n_entries, sizeof *sorted, compare_entries);
    if (!check_sorted_entries(sorted, n_entries, error))
        return NULL;

    VmcAcl *acl = g_new0(VmcAcl, 1);
    acl->owner = owner;
    acl->group = group;
    acl->entries = g_steal_pointer(&sorted);
    acl->n_entries = n_entries;
    return acl;
}

VmcAcl *
vmc_acl_new_from_mode(uid_t owner, gid_t group, mode_t mode)
{
    const VmcAclEntry entries[] = {
        {VMC_ACL_TAG_USER_OBJ, 0, (mode >> 6) & 7u},
        {VMC_ACL_TAG_GROUP_OBJ, 0, (mode >> 3) & 7u},
        {VMC_ACL_TAG_OTHER, 0, mode & 7u},
    };
    VmcAcl *acl = vmc_acl_new(owner, group, entries, G_N_ELEMENTS(entries), NULL);
    g_assert(acl != NULL);
    return acl;
}

void
vmc_acl_free(VmcAcl *acl)
{
    if (acl == NULL)
        return;
    g_free(acl->entries);
    g_free(acl);
}
