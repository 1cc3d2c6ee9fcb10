/* acl-policy.c — the ACL a VM socket should carry: its stored policy plus the
 * gateway account, on top of the socket's owner, group and other entries;
 * comparing it with what the socket has, and saying the difference. Pure. */
#include "admin-priv.h"

#include <string.h>

/* Add entry to array, merging permissions with an entry of the same tag and
 * qualifier already there. */
static void
add_merged(GArray *entries, const VmcAclEntry *entry)
{
    for (guint i = 0; i < entries->len; i++) {
        VmcAclEntry *have = &g_array_index(entries, VmcAclEntry, i);
        if (have->tag == entry->tag && have->qualifier == entry->qualifier) {
            have->perm |= entry->perm;
            return;
        }
    }
    g_array_append_val(entries, *entry);
}

VmcAcl *
vmc_admin_acl_desired(const VmcAcl *current, const VmcAclEntry *named, guint n_named,
                      GError **error)
{
    g_return_val_if_fail(current != NULL && (named != NULL || n_named == 0), NULL);
    g_autoptr(GArray) entries = g_array_new(FALSE, TRUE, sizeof(VmcAclEntry));
    guint group_class = 0;
    for (guint i = 0; i < current->n_entries; i++) {
        const VmcAclEntry *e = &current->entries[i];
        if (e->tag == VMC_ACL_TAG_USER_OBJ || e->tag == VMC_ACL_TAG_GROUP_OBJ ||
            e->tag == VMC_ACL_TAG_OTHER)
            g_array_append_val(entries, *e);
        if (e->tag == VMC_ACL_TAG_GROUP_OBJ)
            group_class |= e->perm;
    }
    for (guint i = 0; i < n_named; i++) {
        if (named[i].tag != VMC_ACL_TAG_USER && named[i].tag != VMC_ACL_TAG_GROUP) {
            g_set_error(error, VMC_ADMIN_ERROR, VMC_ADMIN_ERROR_INVALID,
                        "a stored ACL policy holds only user: and group: entries");
            return NULL;
        }
        add_merged(entries, &named[i]);
        group_class |= named[i].perm;
    }
    if (n_named > 0) {
        VmcAclEntry mask = {VMC_ACL_TAG_MASK, 0, group_class};
        g_array_append_val(entries, mask);
    }
    return vmc_acl_new(current->owner, current->group, (VmcAclEntry *)(void *)entries->data,
                       entries->len, error);
}

gboolean
vmc_admin_acl_equal(const VmcAcl *a, const VmcAcl *b)
{
    g_return_val_if_fail(a != NULL && b != NULL, FALSE);
    if (a->n_entries != b->n_entries)
        return FALSE;
    for (guint i = 0; i < a->n_entries; i++) {
        const VmcAclEntry *x = &a->entries[i], *y = &b->entries[i];
        gboolean named = x->tag == VMC_ACL_TAG_USER || x->tag == VMC_ACL_TAG_GROUP;
        if (x->tag != y->tag || x->perm != y->perm || (named && x->qualifier != y->qualifier))
            return FALSE;
    }
    return TRUE;
}

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

/* One entry as acl(5) text; the qualifier through name() (NULL: numeric). */
static char *
entry_text(const VmcAclEntry *e, VmcAdminIdNameFunc user_name, VmcAdminIdNameFunc group_name)
{
    g_autofree char *who = NULL;
    if (e->tag == VMC_ACL_TAG_USER || e->tag == VMC_ACL_TAG_GROUP) {
        VmcAdminIdNameFunc name = e->tag == VMC_ACL_TAG_USER ? user_name : group_name;
        who = name != NULL ? name(e->qualifier) : NULL;
        if (who == NULL)
            who = g_strdup_printf("%u", e->qualifier);
    }
    return g_strdup_printf("%s:%s:%s", tag_word(e->tag), who != NULL ? who : "",
                           vmc_acl_perm_to_string(e->perm));
}

char *
vmc_admin_acl_to_text(const VmcAcl *acl)
{
    g_return_val_if_fail(acl != NULL, NULL);
    g_autoptr(GPtrArray) words = vmc_admin_acl_words(acl, NULL, NULL);
    g_ptr_array_add(words, NULL);
    return g_strjoinv(",", (char **)words->pdata);
}

GPtrArray *
vmc_admin_acl_words(const VmcAcl *acl, VmcAdminIdNameFunc user_name, VmcAdminIdNameFunc group_name)
{
    g_return_val_if_fail(acl != NULL, NULL);
    GPtrArray *words = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < acl->n_entries; i++)
        g_ptr_array_add(words, entry_text(&acl->entries[i], user_name, group_name));
    return words;
}

static gboolean
words_contain(const GPtrArray *words, const char *word)
{
    for (guint i = 0; i < words->len; i++)
        if (strcmp(g_ptr_array_index(words, i), word) == 0)
            return TRUE;
    return FALSE;
}

/* The words of a that b lacks, comma-separated into out after label. */
static void
append_missing(GString *out, const char *label, const GPtrArray *a, const GPtrArray *b)
{
    gboolean first = TRUE;
    for (guint i = 0; i < a->len; i++) {
        const char *word = g_ptr_array_index(a, i);
        if (words_contain(b, word))
            continue;
        g_string_append_printf(out, "%s%s", first ? (out->len > 0 ? "; " : "") : ", ",
                               first ? label : "");
        g_string_append(out, word);
        first = FALSE;
    }
}

char *
vmc_admin_words_diff(const GPtrArray *before, const GPtrArray *after)
{
    g_return_val_if_fail(before != NULL && after != NULL, NULL);
    GString *out = g_string_new(NULL);
    append_missing(out, "added ", after, before);
    append_missing(out, "removed ", before, after);
    if (out->len == 0) {
        g_string_free(out, TRUE);
        return NULL;
    }
    return g_string_free(out, FALSE);
}
