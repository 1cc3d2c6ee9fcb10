/* acl-check.c — the access check, as the Linux kernel does it. Pure, no I/O.
 *
 * Follows fs/namei.c:acl_permission_check() and fs/posix_acl.c:posix_acl_permission().
 */
#include "acl-priv.h"

static const VmcAclEntry *
find_entry(const VmcAcl *acl, VmcAclTag tag)
{
    for (guint i = 0; i < acl->n_entries; i++) {
        if (acl->entries[i].tag == tag)
            return &acl->entries[i];
    }
    return NULL;
}

static const VmcAclEntry *
find_named_user(const VmcAcl *acl, uid_t uid)
{
    for (guint i = 0; i < acl->n_entries; i++) {
        if (acl->entries[i].tag == VMC_ACL_TAG_USER && acl->entries[i].qualifier == uid)
            return &acl->entries[i];
    }
    return NULL;
}

/* The verdict when entry e decides; masked entries are limited by the mask. */
static VmcAclVerdict
decide(VmcAclVerdict v, const VmcAclEntry *e, guint32 qualifier, gboolean masked)
{
    guint effective = masked && v.has_mask ? e->perm & v.mask_perm : e->perm;
    v.deciding_tag = e->tag;
    v.qualifier = qualifier;
    v.entry_perm = e->perm;
    v.granted = (effective & v.want) == v.want;
    return v;
}

static guint32
group_of(const VmcAcl *acl, const VmcAclEntry *e)
{
    return e->tag == VMC_ACL_TAG_GROUP_OBJ ? acl->group : e->qualifier;
}

/* The group class: the first matching entry that grants want decides (then
 * masked); a match that grants nothing denies; no match at all leaves it to other. */
static VmcAclVerdict
check_groups(const VmcAcl *acl, const VmcIdentity *identity, VmcAclVerdict v,
             const VmcAclEntry *other)
{
    const VmcAclEntry *first_match = NULL, *granting = NULL;
    for (guint i = 0; i < acl->n_entries; i++) {
        const VmcAclEntry *e = &acl->entries[i];
        if (e->tag != VMC_ACL_TAG_GROUP_OBJ && e->tag != VMC_ACL_TAG_GROUP)
            continue;
        if (!vmc_identity_in_group(identity, group_of(acl, e)))
            continue;
        v.n_matching_groups++;
        if (first_match == NULL)
            first_match = e;
        if (granting == NULL && (e->perm & v.want) == v.want)
            granting = e;
    }
    if (granting != NULL)
        return decide(v, granting, group_of(acl, granting), TRUE);
    if (first_match != NULL)
        return decide(v, first_match, group_of(acl, first_match), TRUE);
    return decide(v, other, 0, FALSE);
}

VmcAclVerdict
vmc_acl_check(const VmcAcl *acl, const VmcIdentity *identity, guint want)
{
    VmcAclVerdict v = {.granted = FALSE, .deciding_tag = VMC_ACL_TAG_OTHER, .want = want & 7u};
    g_return_val_if_fail(acl != NULL && identity != NULL, v);
    const VmcAclEntry *user_obj = find_entry(acl, VMC_ACL_TAG_USER_OBJ);
    const VmcAclEntry *group_obj = find_entry(acl, VMC_ACL_TAG_GROUP_OBJ);
    const VmcAclEntry *mask = find_entry(acl, VMC_ACL_TAG_MASK);
    const VmcAclEntry *other = find_entry(acl, VMC_ACL_TAG_OTHER);
    g_return_val_if_fail(user_obj != NULL && group_obj != NULL && other != NULL, v);
    v.has_mask = mask != NULL;
    v.mask_perm = mask != NULL ? mask->perm : 0;

    /* The owner: the owner entry alone, never masked, whatever the groups say. */
    if (identity->uid == acl->owner)
        return decide(v, user_obj, acl->owner, FALSE);

    /* The kernel consults the ACL only when the mode's group bits (the mask, or
     * group:: without one) are not empty; else the owning group gets those
     * empty bits and everyone else other, named entries notwithstanding. */
    if ((mask != NULL ? mask->perm : group_obj->perm) == 0) {
        if (vmc_identity_in_group(identity, acl->group)) {
            v.n_matching_groups = 1;
            return decide(v, group_obj, acl->group, TRUE);
        }
        return decide(v, other, 0, FALSE);
    }

    const VmcAclEntry *named = find_named_user(acl, identity->uid);
    if (named != NULL)
        return decide(v, named, named->qualifier, TRUE);
    return check_groups(acl, identity, v, other);
}
