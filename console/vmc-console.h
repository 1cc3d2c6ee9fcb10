/* vmc-console.h — the host-side state of the consoles, for
 * vmconsole-gateway and vmconsole-admin alike: who may open which VM's
 * console (the socket's ACL, and the identities refused before it), the
 * per-VM console locks and the identity's session slots in the run dir,
 * and the sessions' private dirs with the sweep of those killed gateways
 * left behind.
 *
 * Uses acl/ (the decision), config/ and common/ (NSS, the file reader);
 * knows nothing of Spice, sound, the viewer or the session log.
 */
#pragma once

#include <glib.h>
#include <sys/types.h>

#include "vmc-acl.h"
#include "vmc-common.h"
#include "vmc-config.h"

G_BEGIN_DECLS

/* ---- the access decision (access.c) ---- */

typedef enum {
    VMC_ACCESS_GRANTED,
    VMC_ACCESS_DENIED, /* the socket's ACL does not grant rw */
    VMC_ACCESS_NO_VM,  /* no such VM, or no socket to evaluate */
} VmcAccessResult;

/* One access decision: may identity open VM name? */
typedef struct {
    VmcAccessResult result;
    char *socket_path; /* where the socket was looked for */
    int pinned_fd;     /* O_PATH fd of the socket when GRANTED or DENIED, else -1 */
    char *reason;      /* the decision in words, for the admin (the log) */
} VmcAccessDecision;

/* Decide by the VM socket's ACL, evaluated for identity asking read+write.
 * Pins the socket first so that check and later use hit the same inode. */
VmcAccessDecision *vmc_console_decide(const VmcConfig *config, const VmcIdentity *identity,
                                      const char *vm);
void vmc_console_decision_free(VmcAccessDecision *decision);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcAccessDecision, vmc_console_decision_free)

/* Connect to the pinned socket now: 0 when it accepts (the VM is running;
 * a full backlog counts), else connect(2)'s errno — ECONNREFUSED: a socket
 * file that nothing listens on (a VM stopped on purpose leaves it). */
int vmc_console_socket_connect(int pinned_fd);
/* TRUE when the pinned socket accepts a connection now (the VM is running). */
gboolean vmc_console_socket_answers(int pinned_fd);

/* Names of the VMs identity may open (sorted), from the config and the
 * socket-pattern directory. */
GPtrArray *vmc_console_list_permitted(const VmcConfig *config, const VmcIdentity *identity);

/* Why an identity may open no console whatever the ACLs say, for the
 * gateway, `authorize` and `check` alike: uid 0 (root owns the VM sockets),
 * or the gateway account itself (the config's account =, which has rw on
 * every socket so that the gateway can relay) — by uid, so that other names
 * of the same uid count too. A uid of -1: the name does not resolve. */
typedef struct {
    const char *name;    /* the identity */
    gint64 uid;          /* its uid, or -1 */
    const char *account; /* the config's account = (the shared account) */
    gint64 account_uid;  /* its uid, or -1 */
    gboolean named;      /* FALSE: the key line has no --identity (the identity is the
                          * account running the gateway) */
} VmcIdentityCandidate;

/* Pure: the refusal in words ("identity NAME is uid 0 (root), which owns
 * the VM sockets: it would open every VM"), or NULL for an ordinary one. */
char *vmc_console_identity_refusal(const VmcIdentityCandidate *candidate);

/* ---- files in the run dir and the account's home ---- */

/* The end of the error for a file there that is not a private file of ours
 * (vmc_file_open's remedy): the gateway makes its files anew. */
#define VMC_RUN_FILE_REMEDY "remove it (vmconsole only uses regular files of its own there)"

/* ---- the per-VM console lock (lock.c: flock in the run dir) ---- */

#define VMC_LOCK_INFO_MAX 4096 /* bytes of a lock file read at most */

/* Who holds a console: the content of run-dir/VM.lock while a session runs. */
typedef struct {
    char *session; /* session id (hex) */
    char *identity;
    char *client;    /* "ADDR PORT" or NULL */
    gint64 since_us; /* wall-clock start (g_get_real_time) */
    gint pid;        /* the gateway holding it */
    gint64 bytes;    /* relayed so far (the gateway updates it every
                      * VMC_LOCK_UPDATE_S); -1 when the file does not say */
} VmcLockInfo;

#define VMC_LOCK_UPDATE_S 5 /* how often a session refreshes bytes in its lock file */

/* Pure: the text stored in a lock file ("key=value" lines), and back. Parsing
 * returns NULL for anything that is not a complete, well-formed lock text. */
char *vmc_console_lock_info_format(const VmcLockInfo *info);
VmcLockInfo *vmc_console_lock_info_parse(const char *text, gsize length);
void vmc_console_lock_info_free(VmcLockInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcLockInfo, vmc_console_lock_info_free)

typedef struct _VmcConsoleLock VmcConsoleLock;

/* Take run_dir/VM.lock with flock(LOCK_EX|LOCK_NB) and write mine into it.
 * Busy: returns NULL with *ret_holder set (error stays unset). An I/O problem:
 * NULL with error. On success, *ret_stale is set when the file still named a
 * holder that is gone (a gateway that died without ending its session). */
VmcConsoleLock *vmc_console_lock_acquire(const char *run_dir, const char *vm,
                                         const VmcLockInfo *mine, VmcLockInfo **ret_holder,
                                         VmcLockInfo **ret_stale, GError **error);

/* Rewrite the held lock's text with info (e.g. new bytes): one pwrite at
 * offset 0 (the text only grows, so no truncation a reader could catch). */
gboolean vmc_console_lock_update(VmcConsoleLock *lock, const VmcLockInfo *info);

/* Empty the lock file and release the lock (the file stays: unlinking a
 * flock'ed file races with the next taker). */
void vmc_console_lock_release(VmcConsoleLock *lock);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcConsoleLock, vmc_console_lock_release)

#define VMC_RUN_DIR_ENTRIES_MAX 100000 /* entries of the run dir looked at, at most */

/* The run dir, opened (O_DIRECTORY) for the *at() calls; the error says
 * what to do. */
int vmc_console_run_dir_open(const char *run_dir, GError **error);

/* The locks currently held in run_dir, as (vm name, holder) pairs: a
 * GPtrArray of VmcLockInfo whose session field is set, with the VM name in
 * ret_vms at the same index. A lock file that is not a private file of the
 * run dir's owner (vmc_file_open) is skipped, and what is wrong with
 * it added to problems (strings; may be NULL). */
GPtrArray *vmc_console_locks_held(const char *run_dir, GPtrArray **ret_vms, GPtrArray *problems);

/* ---- the identity's sessions: max-sessions-per-identity slots (lock.c) ---- */

/* run_dir/identity-UID.slot-N, N < max-sessions-per-identity: a session
 * holds one (flock) for its whole life; the kernel lets go when its gateway
 * dies, however it dies. */
#define VMC_SLOT_NAME_FORMAT "identity-%u.slot-%u"

typedef struct _VmcIdentitySlot VmcIdentitySlot;

/* Take the first free slot of uid among max (flock LOCK_EX|LOCK_NB on each
 * in turn: atomic, so that parallel opens never exceed max). All held: NULL
 * with error unset. A slot file that is not a private file of ours: NULL
 * with the error naming it. */
VmcIdentitySlot *vmc_console_slot_acquire(const char *run_dir, uid_t uid, guint max,
                                          GError **error);
void vmc_console_slot_release(VmcIdentitySlot *slot);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcIdentitySlot, vmc_console_slot_release)

/* ---- session dirs (session-dir.c) ---- */

#define VMC_SESSION_DIR_PREFIX "session-"  /* RUN/session-ID */
#define VMC_REMOVE_TREE_DEPTH_MAX 32       /* levels below a removed dir */
#define VMC_REMOVE_TREE_ENTRIES_MAX 100000 /* entries one removal (or one sweep) removes */
#define VMC_SWEEP_DIRS_MAX 64              /* stale session dirs one sweep removes */
#define VMC_SWEEP_CANDIDATES_MAX 4096      /* session-* entries one sweep looks at */

/* Remove parent_fd/name and all below it: never following a symlink (a link
 * is removed, not what it points to), only entries of owner (VMC_FILE_OWNER_ANY:
 * any), at most VMC_REMOVE_TREE_DEPTH_MAX levels and
 * VMC_REMOVE_TREE_ENTRIES_MAX entries. FALSE when something stays. */
gboolean vmc_console_remove_tree_at(int parent_fd, const char *name, uid_t owner);

typedef struct _VmcSessionDir VmcSessionDir;

/* Make run_dir/session-ID (0700, new) and hold an flock on it for the
 * session's life: that is what tells a sweep the session is live. */
VmcSessionDir *vmc_console_session_dir_create(const char *run_dir, const char *id, GError **error);
const char *vmc_console_session_dir_get_path(const VmcSessionDir *dir);
/* Remove its tree (vmc_console_remove_tree_at); the flock stays until it is freed. */
gboolean vmc_console_session_dir_remove(VmcSessionDir *dir);
void vmc_console_session_dir_free(VmcSessionDir *dir);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcSessionDir, vmc_console_session_dir_free)

/* What a sweep did with one RUN/session-* entry: removed (problem NULL), or
 * left with the problem in words (not a directory, another owner, could not
 * be removed entirely). path is RUN/NAME, id the part after the prefix. */
typedef void (*VmcSweepFunc)(const char *path, const char *id, gboolean removed,
                             const char *problem, gpointer data);

/* Remove the session dirs whose gateway is gone: a RUN/session-ID that is a
 * directory of the run dir's owner, whose flock is free (this sweep takes it
 * while it removes the dir), and that no held console lock names (read
 * after the dir was listed). At most VMC_SWEEP_CANDIDATES_MAX entries looked
 * at, VMC_SWEEP_DIRS_MAX dirs and VMC_REMOVE_TREE_ENTRIES_MAX entries
 * removed in all; the rest at the next sweep. func (may be NULL) hears of
 * each; returns how many were removed. */
guint vmc_console_session_dirs_sweep(const char *run_dir, VmcSweepFunc func, gpointer data);

/* A new random session id: 32 hex characters. */
char *vmc_console_session_id_new(void);

G_END_DECLS
