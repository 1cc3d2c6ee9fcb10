/* denied-priv.h — the denied-record limiter: a key holder's denied requests
 * cannot fill the log's disk, and none goes uncounted.
 *
 * Denied records are written at most denied-records-per-minute per identity
 * and client address (a window of VMC_DENIED_WINDOW_S), and not at all
 * while the log's filesystem has less than log-reserve bytes free (start and
 * end records still go in: the reserve is theirs). The requests not written
 * are counted in a small state file per identity in the run dir
 * (flock'ed: gateways run in parallel) and written as one "denied-summary"
 * record (vmc-sessionlog.h names its members) by the next gateway of that
 * identity once the bucket's window is over, or by any open that passed the
 * access check (vmc_denied_sweep). Summaries may use the reserve.
 */
#pragma once

#include <glib.h>

#include "vmc-common.h"
#include "vmc-config.h"
#include "vmc-sessionlog.h"

G_BEGIN_DECLS

#define VMC_DENIED_WINDOW_S 60       /* the rate's window */
#define VMC_DENIED_CLIENTS_MAX 16    /* client addresses counted apart per identity */
#define VMC_DENIED_OTHERS "*"        /* the bucket of every further address */
#define VMC_DENIED_NO_CLIENT "-"     /* the bucket of requests without SSH_CONNECTION */
#define VMC_DENIED_CLIENT_MAX 64     /* bytes of a client address */
#define VMC_DENIED_IDENTITY_MAX 256  /* bytes of an identity limited (longer: not limited) */
#define VMC_DENIED_EXITS 10          /* exit codes counted apart: 0..9 */
#define VMC_DENIED_STATE_MAX 8192    /* bytes of a state file */
#define VMC_DENIED_LOCK_WAIT_MS 2000 /* waiting for another gateway's state file lock */
#define VMC_DENIED_SWEEP_MAX 256     /* state files one sweep looks at */

/* One identity and client address: this window's written records, and what
 * was suppressed since the last summary. */
typedef struct {
    char client[VMC_DENIED_CLIENT_MAX + 1]; /* an address, VMC_DENIED_OTHERS or _NO_CLIENT */
    gint64 window_start_us;                 /* wall clock */
    guint64 written;                        /* records written in the window */
    guint64 over_rate;                      /* suppressed: over the rate */
    guint64 low_space;                      /* suppressed: below the reserve */
    gint64 first_us, last_us;               /* of the suppressed ones; -1: none */
    guint64 exits[VMC_DENIED_EXITS];        /* suppressed, by exit code */
} VmcDeniedBucket;

typedef struct {
    char *identity;
    GArray *buckets; /* of VmcDeniedBucket, at most VMC_DENIED_CLIENTS_MAX + 1 */
} VmcDeniedState;

/* ---- pure ---- */

VmcDeniedState *vmc_denied_state_new(const char *identity);
void vmc_denied_state_free(VmcDeniedState *state);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcDeniedState, vmc_denied_state_free)

/* The state as the file holds it, and back: NULL for anything but a
 * complete, well-formed state of at most VMC_DENIED_STATE_MAX bytes. */
char *vmc_denied_state_format(const VmcDeniedState *state);
VmcDeniedState *vmc_denied_state_parse(const char *text, gsize length);

/* The address part of a client ("ADDR PORT", as VmcSshContext has it), or
 * VMC_DENIED_NO_CLIENT for NULL or anything that is not printable ASCII of
 * at most VMC_DENIED_CLIENT_MAX bytes. Newly allocated. */
char *vmc_denied_client_address(const char *client);

/* The bucket of client address in state: its own, else a new one, else one
 * idle (nothing pending, window over) taken over, else VMC_DENIED_OTHERS. */
VmcDeniedBucket *vmc_denied_state_bucket(VmcDeniedState *state, const char *address, gint64 now_us);

/* One denied request with exit code at now_us: TRUE when its record is to
 * be written (counted in the window), FALSE when it is counted as
 * suppressed (low_space: the log is below its reserve; or over the rate). */
gboolean vmc_denied_decide(VmcDeniedBucket *bucket, gint64 now_us, guint per_minute,
                           gboolean low_space, int exit_code);

/* A request whose record the log did not take (a full disk) counted as
 * suppressed below the reserve instead of written. */
void vmc_denied_count_unwritten(VmcDeniedBucket *bucket, gint64 now_us, int exit_code);

/* Suppressed requests counted and not yet summarised; and whether their
 * summary is due (the window is over, or force). */
guint64 vmc_denied_bucket_pending(const VmcDeniedBucket *bucket);
gboolean vmc_denied_bucket_due(const VmcDeniedBucket *bucket, gint64 now_us, gboolean force);

/* The denied-summary record of bucket's pending counts. */
VmcRecord *vmc_denied_summary_record(const char *identity, const VmcDeniedBucket *bucket,
                                     const char *account, guint per_minute);

/* Forget the pending counts (after their summary was written). */
void vmc_denied_bucket_clear(VmcDeniedBucket *bucket);

/* ---- the run dir ---- */

/* What one gateway run knows for its denied records. */
typedef struct {
    const VmcConfig *config;
    const char *identity;
    const char *account;
    const char *client; /* "ADDR PORT" or NULL */
} VmcDeniedContext;

/* Append a denied record with exit code through the limiter: written, or
 * counted (TRUE as well: it is accounted for). Due summaries of the
 * identity go first. Without a usable state file (the run dir, a lock held
 * too long) the record is written all the same, after a warning on stderr.
 * FALSE (error set) when the log did not take a record it had to. */
gboolean vmc_denied_append(const VmcDeniedContext *context, VmcSessionLog *log,
                           const VmcRecord *record, int exit_code, GError **error);

/* Write every identity's pending summaries now (at most
 * VMC_DENIED_SWEEP_MAX state files; one another gateway holds is left for
 * it). Best effort: problems are warned about on stderr. */
void vmc_denied_sweep(const VmcDeniedContext *context, VmcSessionLog *log);

G_END_DECLS

/* Everything the gateway prints goes through vmc_print_escaped(). */
VMC_PRINTF_POISON
