/* vmc-gateway.h — the gateway's library: exit codes, the SSH context, the access decision.
 *
 * Linked by vmconsole-gateway, vmconsole-admin (the same access engine), the
 * tests and the fuzzers. The request grammar is in request.h.
 */
#pragma once

#include <glib.h>

#include "request.h"
#include "vmc-acl.h"
#include "vmc-config.h"

G_BEGIN_DECLS

/* Exit codes of the gateway (DESIGN.md). */
typedef enum {
    VMC_EXIT_OK = 0,
    VMC_EXIT_INTERNAL = 1,
    VMC_EXIT_BAD_REQUEST = 2,
    VMC_EXIT_NOT_PERMITTED = 3, /* no such VM or not permitted: one answer for both */
    VMC_EXIT_NOT_RUNNING = 4,
    VMC_EXIT_BUSY = 5,
    VMC_EXIT_NO_SANDBOX = 6,    /* the viewer's sandbox is not available (sandbox = on) */
    VMC_EXIT_NO_X11 = 7,
    VMC_EXIT_NO_AUDIT_LOG = 8,
} VmcExit;

#define VMC_SSH_USER_AUTH_MAX (64 * 1024) /* bytes read from $SSH_USER_AUTH at most */
#define VMC_SSH_CLIENT_MAX 128            /* bytes kept of the client address */

/* What sshd tells the forced command about the connection (untrusted text,
 * kept only after validation). */
typedef struct {
    char *client;          /* "ADDR PORT" from SSH_CONNECTION, or NULL */
    char *key_fingerprint; /* "SHA256:..." of the key that logged in, or NULL */
    char *key_type;        /* e.g. "ssh-ed25519", or NULL */
} VmcSshContext;

/* Read SSH_CONNECTION and SSH_USER_AUTH from env (a g_get_environ() style
 * array). The SSH_USER_AUTH file is opened O_NOFOLLOW, must be a regular file
 * owned by the running uid and at most VMC_SSH_USER_AUTH_MAX bytes; anything
 * else leaves the fingerprint unset. Never fails. */
VmcSshContext *vmc_ssh_context_from_env(char **env);

/* Pure: the client address of an SSH_CONNECTION value
 * ("CLIENT_IP CLIENT_PORT SERVER_IP SERVER_PORT") as "IP PORT", or NULL when
 * it does not have that shape. */
char *vmc_ssh_parse_connection(const char *value);

/* Pure: the SHA256 fingerprint ("SHA256:base64-without-padding") and type of
 * the first "publickey TYPE BASE64" line of an ExposeAuthInfo file. */
gboolean vmc_ssh_parse_user_auth(const char *text, gsize length, char **ret_fingerprint,
                                 char **ret_type);

void vmc_ssh_context_free(VmcSshContext *context);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcSshContext, vmc_ssh_context_free)

typedef enum {
    VMC_ACCESS_GRANTED,
    VMC_ACCESS_DENIED,  /* the socket's ACL does not grant rw */
    VMC_ACCESS_NO_VM,   /* no such VM, or no socket to evaluate */
} VmcAccessResult;

/* One access decision: may identity open VM name? */
typedef struct {
    VmcAccessResult result;
    char *socket_path;   /* where the socket was looked for */
    int pinned_fd;       /* O_PATH fd of the socket when GRANTED or DENIED, else -1 */
    char *reason;        /* the decision in words, for the admin (the log) */
} VmcAccessDecision;

/* Decide by the VM socket's ACL, evaluated for identity asking read+write.
 * Pins the socket first so that check and later use hit the same inode. */
VmcAccessDecision *vmc_access_decide(const VmcConfig *config, const VmcIdentity *identity,
                                     const char *vm);
void vmc_access_decision_free(VmcAccessDecision *decision);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcAccessDecision, vmc_access_decision_free)

/* TRUE when the pinned socket accepts a connection now (the VM is running). */
gboolean vmc_access_socket_answers(int pinned_fd);

/* Names of the VMs identity may open (sorted), from the config and the
 * socket-pattern directory. */
GPtrArray *vmc_access_list_permitted(const VmcConfig *config, const VmcIdentity *identity);

G_END_DECLS

G_BEGIN_DECLS

/* ---- the per-VM console lock (flock in the run dir) ---- */

#define VMC_LOCK_INFO_MAX 4096 /* bytes of a lock file read at most */

/* Who holds a console: the content of run-dir/VM.lock while a session runs. */
typedef struct {
    char *session;   /* session id (hex) */
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
char *vmc_lock_info_format(const VmcLockInfo *info);
VmcLockInfo *vmc_lock_info_parse(const char *text, gsize length);
void vmc_lock_info_free(VmcLockInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcLockInfo, vmc_lock_info_free)

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

/* The locks currently held in run_dir, as (vm name, holder) pairs: a
 * GPtrArray of VmcLockInfo whose session field is set, with the VM name in
 * ret_vms at the same index. */
GPtrArray *vmc_console_locks_held(const char *run_dir, GPtrArray **ret_vms);

/* A new random session id: 32 hex characters. */
char *vmc_session_id_new(void);

G_END_DECLS
