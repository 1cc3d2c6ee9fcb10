/* vmc-acl.h — who may open a console: identities, socket ACLs, the acl(5) access check.
 *
 * Pure decision code (vmc_acl_check, vmc_acl_explain) is kept apart from the
 * I/O (NSS look-ups, reading an ACL from a pinned socket), so that the
 * decision can be tested with tables and proven against the kernel.
 */
#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

#define VMC_ACL_ERROR (vmc_acl_error_quark())
GQuark vmc_acl_error_quark(void);

typedef enum {
    VMC_ACL_ERROR_UNKNOWN_IDENTITY, /* no such user in NSS */
    VMC_ACL_ERROR_LOOKUP,           /* NSS failed (not "not found") */
    VMC_ACL_ERROR_NOT_FOUND,        /* socket path does not exist */
    VMC_ACL_ERROR_NOT_SOCKET,       /* path exists but is no socket (or is a symlink) */
    VMC_ACL_ERROR_IO,               /* any other system call failure */
    VMC_ACL_ERROR_INVALID,          /* an ACL that is not valid, or bad ACL text */
} VmcAclError;

/* Permission bits, as in acl(5). */
#define VMC_ACL_READ 4u
#define VMC_ACL_WRITE 2u
#define VMC_ACL_EXECUTE 1u
#define VMC_ACL_RW (VMC_ACL_READ | VMC_ACL_WRITE)

/* Upper bounds on what input can make us hold. */
#define VMC_ACL_MAX_GROUPS 65536 /* NGROUPS_MAX on Linux */
#define VMC_ACL_MAX_ENTRIES 1024

/* A subject of the access check: a name and the credentials the kernel would see. */
typedef struct {
    char *name;      /* user name (for messages); never NULL */
    uid_t uid;
    gid_t gid;       /* primary group */
    gid_t *groups;   /* all groups, including the primary one, no duplicates */
    guint n_groups;
} VmcIdentity;

/* Resolve a user name through NSS (getpwnam_r, getgrouplist) to uid, primary
 * gid and all group ids. Unknown user: VMC_ACL_ERROR_UNKNOWN_IDENTITY with a
 * message naming it. */
VmcIdentity *vmc_identity_resolve(const char *name, GError **error);

/* Build an identity from given credentials (no NSS). groups may be NULL when
 * n_groups is 0; the primary gid is always added to the group set. */
VmcIdentity *vmc_identity_new(const char *name, uid_t uid, gid_t gid, const gid_t *groups,
                              guint n_groups);

/* TRUE when the identity is a member of gid (primary or supplementary). */
gboolean vmc_identity_in_group(const VmcIdentity *identity, gid_t gid);

void vmc_identity_free(VmcIdentity *identity);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcIdentity, vmc_identity_free)

typedef enum {
    VMC_ACL_TAG_USER_OBJ,
    VMC_ACL_TAG_USER,
    VMC_ACL_TAG_GROUP_OBJ,
    VMC_ACL_TAG_GROUP,
    VMC_ACL_TAG_MASK,
    VMC_ACL_TAG_OTHER,
} VmcAclTag;

typedef struct {
    VmcAclTag tag;
    guint32 qualifier; /* uid for USER, gid for GROUP; unused otherwise */
    guint perm;        /* VMC_ACL_READ | VMC_ACL_WRITE | VMC_ACL_EXECUTE */
} VmcAclEntry;

/* An access ACL together with the owner and owning group of its file. */
typedef struct {
    uid_t owner;
    gid_t group;
    VmcAclEntry *entries;
    guint n_entries;
} VmcAcl;

/* The minimal ACL equivalent to the mode bits of a file with owner/group. */
VmcAcl *vmc_acl_new_from_mode(uid_t owner, gid_t group, mode_t mode);

/* An ACL from entries (copied). Checks it is valid in the sense of acl_valid(3):
 * exactly one USER_OBJ, GROUP_OBJ and OTHER, a MASK when there are named
 * entries, no duplicate qualifiers; else VMC_ACL_ERROR_INVALID. */
VmcAcl *vmc_acl_new(uid_t owner, gid_t group, const VmcAclEntry *entries, guint n_entries,
                    GError **error);

void vmc_acl_free(VmcAcl *acl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcAcl, vmc_acl_free)

/* Pin a socket: open(O_PATH|O_NOFOLLOW|O_CLOEXEC) its final component and check
 * with fstat that it is a socket. Returns the fd (>= 0) or -1 with
 * VMC_ACL_ERROR_NOT_FOUND / _NOT_SOCKET / _IO. Checks and uses of the socket go
 * through this fd (/proc/self/fd/N), so they hit the same inode. */
int vmc_acl_pin_socket(const char *path, GError **error);

/* Read the access ACL and owner/group of a pinned fd through /proc/self/fd/N.
 * A file without an extended ACL gives its mode bits as a minimal ACL. */
VmcAcl *vmc_acl_read_pinned(int pinned_fd, GError **error);

/* The outcome of the access check, with what decided it. */
typedef struct {
    gboolean granted;
    VmcAclTag deciding_tag;   /* the class that decided: USER_OBJ, USER, GROUP(_OBJ) or OTHER */
    guint32 qualifier;        /* uid/gid of the deciding named entry, or owner/group */
    guint entry_perm;         /* permissions of the deciding entry */
    gboolean has_mask;
    guint mask_perm;          /* meaningful when has_mask */
    guint n_matching_groups;  /* group-class entries that matched the subject */
    guint want;               /* the permissions asked for (masked to rwx) */
} VmcAclVerdict;

/* The acl(5) ACCESS CHECK ALGORITHM for the permissions in want, exactly as the
 * Linux kernel evaluates it for a process with the identity's credentials:
 * owner, then named users (masked), then the owning group and named groups
 * (masked; a match that does not grant denies), then other. No root bypass and
 * no capabilities. Pure. Like the kernel (acl_permission_check), an empty group
 * class (mask ---, or group::--- without a mask) skips the named entries: the
 * owning group then gets ---, everyone else other. */
VmcAclVerdict vmc_acl_check(const VmcAcl *acl, const VmcIdentity *identity, guint want);

/* The verdict in words, naming the deciding entry, e.g.
 * "alice may open debianx: group spicex has rw (ACL entry group:spicex:rw, mask rw)".
 * Users and groups are named through NSS where possible, else by number. */
char *vmc_acl_explain(const VmcAcl *acl, const VmcAclVerdict *verdict,
                      const VmcIdentity *identity, const char *object);

/* "rw-" style text for permission bits. Returns a static string. */
const char *vmc_acl_perm_to_string(guint perm);

G_END_DECLS
