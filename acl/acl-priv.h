/* acl-priv.h — internals of the acl module, shared by its files and its tests. */
#pragma once

#include "vmc-acl.h"
#include "vmc-common.h"

#include <sys/acl.h>

G_BEGIN_DECLS

/* Names longer than this are not quoted in messages. */
#define VMC_ACL_NAME_QUOTE_MAX 64

/* libacl objects: acl_free() releases whatever libacl handed out. */
static inline void
vmc_acl_libacl_free(acl_t acl)
{
    acl_free(acl);
}
G_DEFINE_AUTO_CLEANUP_FREE_FUNC(acl_t, vmc_acl_libacl_free, NULL)

/* Converts a libacl ACL into ours (validated, entries in canonical order). */
VmcAcl *vmc_acl_from_libacl(acl_t libacl, uid_t owner, gid_t group, GError **error);

/* An ACL from acl(5) text (numeric or known qualifiers), parsed by libacl;
 * bad text or an invalid ACL: VMC_ACL_ERROR_INVALID. */
VmcAcl *vmc_acl_from_text(const char *text, uid_t owner, gid_t group, GError **error);

/* s itself when it is printable ASCII of at most VMC_ACL_NAME_QUOTE_MAX bytes,
 * else NULL: untrusted names are printed whole or not at all. */
const char *vmc_acl_printable_name(const char *s);

/* vmc_acl_explain() with the name look-ups given, so tests need no NSS. */
char *vmc_acl_explain_with(const VmcAcl *acl, const VmcAclVerdict *verdict,
                           const VmcIdentity *identity, const char *object,
                           VmcAclNameFunc user_name, VmcAclNameFunc group_name);

G_END_DECLS
