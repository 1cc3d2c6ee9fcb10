/* acl-policy.c — the ACL a VM socket should carry: its stored policy plus the
 * gateway account, on top of the socket's owner, group and other entries;
 * comparing it with what the socket has, saying the difference, and whom
 * an ACL names. Pure. */
#include "acl-priv.h"

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
vmc_acl_desired(const VmcAcl *current, const VmcAclEntry *named, guint n_named, GError **error)
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
            g_set_error(error, VMC_ACL_ERROR, VMC_ACL_ERROR_INVALID,
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
vmc_acl_equal(const VmcAcl *a, const VmcAcl *b)
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

/* One entry as acl(5) text, the qualifier named through the functions
 * (NULL, or no name: the number). */
static char *
entry_words(const VmcAclEntry *e, VmcAclNameFunc user_name, VmcAclNameFunc group_name)
{
    VmcAclNameFunc lookup = e->tag == VMC_ACL_TAG_USER    ? user_name
                            : e->tag == VMC_ACL_TAG_GROUP ? group_name
                                                          : NULL;
    g_autofree char *name = lookup != NULL ? lookup(e->qualifier) : NULL;
    return vmc_acl_entry_to_text(e, name);
}

char *
vmc_acl_to_text(const VmcAcl *acl)
{
    g_return_val_if_fail(acl != NULL, NULL);
    g_autoptr(GPtrArray) words = vmc_acl_words(acl, NULL, NULL);
    g_ptr_array_add(words, NULL);
    return g_strjoinv(",", (char **)words->pdata);
}

GPtrArray *
vmc_acl_words(const VmcAcl *acl, VmcAclNameFunc user_name, VmcAclNameFunc group_name)
{
    g_return_val_if_fail(acl != NULL, NULL);
    GPtrArray *words = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < acl->n_entries; i++)
        g_ptr_array_add(words, entry_words(&acl->entries[i], user_name, group_name));
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
vmc_acl_words_diff(const GPtrArray *before, const GPtrArray *after)
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

void
vmc_acl_add_subjects(const VmcAcl *acl, GHashTable *uids, GHashTable *gids)
{
    g_return_if_fail(acl != NULL && uids != NULL && gids != NULL);

    g_hash_table_add(uids, GUINT_TO_POINTER(acl->owner));
    g_hash_table_add(gids, GUINT_TO_POINTER(acl->group));
    for (guint i = 0; i < acl->n_entries; i++) {
        const VmcAclEntry *entry = &acl->entries[i];
        if (entry->tag == VMC_ACL_TAG_USER)
            g_hash_table_add(uids, GUINT_TO_POINTER(entry->qualifier));
        else if (entry->tag == VMC_ACL_TAG_GROUP)
            g_hash_table_add(gids, GUINT_TO_POINTER(entry->qualifier));
    }
}
