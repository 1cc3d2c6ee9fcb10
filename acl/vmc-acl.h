/* vmc-acl.h — who may open a console: identities, socket ACLs, the acl(5)
 * access check, and the stored policy that `acl apply` puts on a socket.
 *
 * Pure decision code (vmc_acl_check, vmc_acl_explain, vmc_acl_desired) is
 * kept apart from the I/O (NSS look-ups through common/, reading and
 * writing an ACL through a pinned socket), so that the decision can be
 * tested with tables and proven against the kernel. Knows nothing of
 * Spice, the config or the programs.
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
    char *name; /* user name (for messages); never NULL */
    uid_t uid;
    gid_t gid;     /* primary group */
    gid_t *groups; /* all groups, including the primary one, no duplicates */
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
    VmcAclTag deciding_tag; /* the class that decided: USER_OBJ, USER, GROUP(_OBJ) or OTHER */
    guint32 qualifier;      /* uid/gid of the deciding named entry, or owner/group */
    guint entry_perm;       /* permissions of the deciding entry */
    gboolean has_mask;
    guint mask_perm;         /* meaningful when has_mask */
    guint n_matching_groups; /* group-class entries that matched the subject */
    guint want;              /* the permissions asked for (masked to rwx) */
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
char *vmc_acl_explain(const VmcAcl *acl, const VmcAclVerdict *verdict, const VmcIdentity *identity,
                      const char *object);

/* "rw-" style text for permission bits. Returns a static string. */
const char *vmc_acl_perm_to_string(guint perm);

/* One entry as acl(5) text: "user::rw-", "user:NAME:rw-", "group:1001:r--",
 * "mask::rw-", "other::---". name names a named entry's qualifier (the
 * caller's choice of name, escaped or not); NULL: the number. */
char *vmc_acl_entry_to_text(const VmcAclEntry *entry, const char *name);

/* ---- a stored policy: building and applying it (acl-policy.c: pure;
 * acl-apply.c: NSS and libacl) ---- */

/* The name of a user or group, or NULL when there is none (newly
 * allocated): vmc_nss_user_name() and vmc_nss_group_name(), or a test's. */
typedef char *(*VmcAclNameFunc)(guint32 id);

/* The ACL a socket should have: current's owner, owning group and other
 * entries, the named entries (only user: and group:; the same qualifier
 * twice merges its permissions), and a mask that is the union of the group
 * class, so no named entry is cut. Else VMC_ACL_ERROR_INVALID. */
VmcAcl *vmc_acl_desired(const VmcAcl *current, const VmcAclEntry *named, guint n_named,
                        GError **error);

/* TRUE when a and b have the same entries (they are in canonical order). */
gboolean vmc_acl_equal(const VmcAcl *a, const VmcAcl *b);

/* acl(5) long text with numeric qualifiers ("user::rw-,user:1001:rw-,...")
 * for acl_from_text(3). */
char *vmc_acl_to_text(const VmcAcl *acl);

/* The entries as acl(5) words, named ones through the functions (NULL, or
 * no name: the number); vmc_acl_named_words() names them through NSS. */
GPtrArray *vmc_acl_words(const VmcAcl *acl, VmcAclNameFunc user_name, VmcAclNameFunc group_name);
GPtrArray *vmc_acl_named_words(const VmcAcl *acl);

/* "added A, B; removed C" between two word lists, or NULL when equal. */
char *vmc_acl_words_diff(const GPtrArray *before, const GPtrArray *after);

/* Add the subjects an ACL names to the sets (of GUINT_TO_POINTER ids): the
 * owner and every named user to uids; the owning group and every named group
 * to gids. The mask and other entries name nobody. */
void vmc_acl_add_subjects(const VmcAcl *acl, GHashTable *uids, GHashTable *gids);

/* The ACL a VM socket with ACL current should have under a stored policy
 * ("user:alice:rw-,group:spicex:rw-", as the config keeps it; names through
 * NSS, numbers as they are) plus u:ACCOUNT:rw for the gateway account. An
 * unknown name or bad entry: VMC_ACL_ERROR_INVALID saying what to fix. */
VmcAcl *vmc_acl_for_policy(const char *policy, uid_t account_uid, const VmcAcl *current,
                           GError **error);

/* Write acl as the access ACL of the pinned socket (vmc_acl_pin_socket),
 * through /proc/self/fd/N: no symlink is followed. shown names the socket
 * in errors: VMC_ACL_ERROR_INVALID (libacl refuses the ACL) or
 * VMC_ACL_ERROR_IO (saying to run as root, on a file system with ACLs). */
gboolean vmc_acl_write_pinned(int pinned_fd, const VmcAcl *acl, const char *shown, GError **error);

G_END_DECLS
