/* acl-explain.c — a verdict in words, naming the entry that decided it. Pure but for NSS names. */
#include "acl-priv.h"

/* At most this many of a subject's groups are named in a message. */
#define EXPLAIN_GROUPS_MAX 8

typedef struct {
    const VmcAcl *acl;
    const VmcAclVerdict *v;
    const VmcIdentity *identity;
    VmcAclNameFunc user_name;
    VmcAclNameFunc group_name;
    const char *head; /* "alice may open debianx" */
} Explain;

/* "rw", "r", "x": permission letters without dashes. */
static const char *
letters(guint perm)
{
    static const char *const strings[] = {"nothing", "x", "w", "wx", "r", "rx", "rw", "rwx"};
    return strings[perm & 7u];
}

/* A name from NSS when it is printable, else the number. */
static char *
id_word(VmcAclNameFunc lookup, guint32 id)
{
    g_autofree char *name = lookup(id);
    if (name != NULL && vmc_acl_printable_name(name) != NULL)
        return g_steal_pointer(&name);
    return g_strdup_printf("%u", id);
}

/* The deciding entry as acl(5) text, a named entry's qualifier by its
 * printable name or number. */
static char *
entry_text(const Explain *x, VmcAclTag tag, guint32 qualifier, guint perm)
{
    const VmcAclEntry entry = {tag, qualifier, perm};
    g_autofree char *name = tag == VMC_ACL_TAG_USER    ? id_word(x->user_name, qualifier)
                            : tag == VMC_ACL_TAG_GROUP ? id_word(x->group_name, qualifier)
                                                       : NULL;
    return vmc_acl_entry_to_text(&entry, name);
}

static char *
explain_owner(const Explain *x)
{
    const VmcAclVerdict *v = x->v;
    if (v->granted)
        return g_strdup_printf("%s: they own it and the owner entry user::%s grants %s", x->head,
                               vmc_acl_perm_to_string(v->entry_perm), letters(v->want));
    return g_strdup_printf("%s: they own it and the owner entry user::%s lacks %s "
                           "(for the owner no other entry counts)",
                           x->head, vmc_acl_perm_to_string(v->entry_perm),
                           letters(v->want & ~v->entry_perm));
}

static char *
explain_named_user(const Explain *x)
{
    const VmcAclVerdict *v = x->v;
    g_autofree char *entry = entry_text(x, VMC_ACL_TAG_USER, v->qualifier, v->entry_perm);
    const char *mask = vmc_acl_perm_to_string(v->mask_perm);
    if (v->granted)
        return g_strdup_printf("%s: they are named in %s (mask %s)", x->head, entry, mask);
    if ((v->entry_perm & v->want) != v->want)
        return g_strdup_printf("%s: they are named in %s, which lacks %s "
                               "(a named-user entry decides; their groups do not count)",
                               x->head, entry, letters(v->want & ~v->entry_perm));
    return g_strdup_printf("%s: they are named in %s but the mask %s takes %s away", x->head, entry,
                           mask, letters(v->want & ~v->mask_perm));
}

static char *
explain_group(const Explain *x)
{
    const VmcAclVerdict *v = x->v;
    g_autofree char *entry = entry_text(x, v->deciding_tag, v->qualifier, v->entry_perm);
    g_autofree char *name = id_word(x->group_name, v->qualifier);
    g_autofree char *group = g_strdup_printf(
        "%s %s", v->deciding_tag == VMC_ACL_TAG_GROUP_OBJ ? "the owning group" : "group", name);
    g_autofree char *mask = v->has_mask
                                ? g_strdup_printf("mask %s", vmc_acl_perm_to_string(v->mask_perm))
                                : g_strdup("no mask");
    if (v->granted)
        return g_strdup_printf("%s: %s has %s (ACL entry %s, %s)", x->head, group,
                               letters(v->entry_perm), entry, mask);
    if ((v->entry_perm & v->want) == v->want)
        return g_strdup_printf("%s: %s has %s (ACL entry %s) but the %s takes %s away", x->head,
                               group, letters(v->entry_perm), entry, mask,
                               letters(v->want & ~v->mask_perm));
    if (v->n_matching_groups <= 1)
        return g_strdup_printf("%s: they are in %s, whose entry %s lacks %s; a matching group "
                               "that does not grant denies, other is not consulted",
                               x->head, group, entry, letters(v->want & ~v->entry_perm));
    return g_strdup_printf("%s: %u group entries match them (the first: %s) and none grants %s; "
                           "other is not consulted",
                           x->head, v->n_matching_groups, entry, letters(v->want));
}

/* "bob, staff, and 3 more" */
static char *
group_list(const Explain *x)
{
    GString *out = g_string_new(NULL);
    guint shown = MIN(x->identity->n_groups, EXPLAIN_GROUPS_MAX);
    for (guint i = 0; i < shown; i++) {
        g_autofree char *name = id_word(x->group_name, x->identity->groups[i]);
        g_string_append_printf(out, "%s%s", i > 0 ? ", " : "", name);
    }
    if (x->identity->n_groups > shown)
        g_string_append_printf(out, ", and %u more", x->identity->n_groups - shown);
    return g_string_free(out, FALSE);
}

/* TRUE when the subject is named in a user entry or in a named group's entry. */
static gboolean
named_somewhere(const Explain *x)
{
    for (guint i = 0; i < x->acl->n_entries; i++) {
        const VmcAclEntry *e = &x->acl->entries[i];
        if ((e->tag == VMC_ACL_TAG_USER && e->qualifier == x->identity->uid) ||
            (e->tag == VMC_ACL_TAG_GROUP && vmc_identity_in_group(x->identity, e->qualifier)))
            return TRUE;
    }
    return FALSE;
}

static char *
explain_other(const Explain *x)
{
    const VmcAclVerdict *v = x->v;
    const char *other = vmc_acl_perm_to_string(v->entry_perm);
    if (v->has_mask && v->mask_perm == 0 && named_somewhere(x))
        return g_strdup_printf("%s: the mask is ---, so the kernel ignores the named entries "
                               "that match them; other has %s",
                               x->head, other);
    g_autofree char *groups = group_list(x);
    return g_strdup_printf("%s: they are not the owner, not named, and their groups (%s) match "
                           "no entry; other has %s",
                           x->head, groups, other);
}

char *
vmc_acl_explain_with(const VmcAcl *acl, const VmcAclVerdict *verdict, const VmcIdentity *identity,
                     const char *object, VmcAclNameFunc user_name, VmcAclNameFunc group_name)
{
    g_return_val_if_fail(acl != NULL && verdict != NULL && identity != NULL, NULL);
    g_return_val_if_fail(object != NULL && user_name != NULL && group_name != NULL, NULL);
    const char *who = vmc_acl_printable_name(identity->name);
    const char *what = vmc_acl_printable_name(object);
    g_autofree char *head = g_strdup_printf("%s %s %s", who ? who : "(unprintable user name)",
                                            verdict->granted ? "may open" : "may not open",
                                            what ? what : "(unprintable name)");
    Explain x = {acl, verdict, identity, user_name, group_name, head};
    switch (verdict->deciding_tag) {
    case VMC_ACL_TAG_USER_OBJ:
        return explain_owner(&x);
    case VMC_ACL_TAG_USER:
        return explain_named_user(&x);
    case VMC_ACL_TAG_GROUP_OBJ:
    case VMC_ACL_TAG_GROUP:
        return explain_group(&x);
    default:
        return explain_other(&x);
    }
}

char *
vmc_acl_explain(const VmcAcl *acl, const VmcAclVerdict *verdict, const VmcIdentity *identity,
                const char *object)
{
    return vmc_acl_explain_with(acl, verdict, identity, object, vmc_nss_user_name,
                                vmc_nss_group_name);
}
