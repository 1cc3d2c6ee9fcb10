/* session-deadline.h — when a session ends by policy (max-duration,
 * idle-timeout, the certificate's valid-before) and when the person is
 * warned before: pure decisions (session-deadline.c) and the timer that
 * carries them out on the main loop (deadline-timer.c).
 */
#pragma once

#include <glib.h>

#include "ssh-cert.h"
#include "vmc-config.h"
#include "vmc-sessionlog.h"

G_BEGIN_DECLS

typedef enum {
    VMC_DEADLINE_NONE,
    VMC_DEADLINE_MAX_DURATION,
    VMC_DEADLINE_IDLE,
    VMC_DEADLINE_CERTIFICATE,
    VMC_DEADLINE_KEY, /* the key line's expiry-time (the gateway's --expires) */
} VmcDeadlineKind;

/* Warnings: 5 and 1 minutes before the end, those of them that are at most
 * half of the limit; a limit too short for either gets one warning a third
 * of it before the end (none under 3 s). */
#define VMC_DEADLINE_WARNINGS_MAX 2

/* The limits of one session, on the monotonic clock (0: no such limit). */
typedef struct {
    gint64 start_us;        /* when the session began */
    gint64 max_duration_us; /* max-duration */
    gint64 idle_timeout_us; /* idle-timeout: this long after the last input */
    gint64 expires_us;      /* the certificate's valid-before; 0: none */
    gint64 key_expires_us;  /* the key's expiry-time; 0: none */
} VmcDeadlinePolicy;

/* What has been said of the deadline in force (keep it between steps;
 * zero-initialised at first). */
typedef struct {
    VmcDeadlineKind kind;
    gint64 end_us;
    gint64 warned_left_us; /* the last warning's offset; 0: none yet */
} VmcDeadlineWarned;

typedef enum {
    VMC_DEADLINE_WAIT, /* nothing now: step again at wake_us (0: never) */
    VMC_DEADLINE_WARN, /* tell the person: left_us to the end of kind */
    VMC_DEADLINE_END,  /* end the session now, by kind */
} VmcDeadlineAction;

typedef struct {
    VmcDeadlineAction action;
    VmcDeadlineKind kind; /* the earliest deadline (NONE: no limit at all) */
    gint64 end_us;
    gint64 left_us; /* WARN */
    gint64 wake_us; /* WAIT */
} VmcDeadlineStep;

/* The offsets before the end (us, largest first) at which a limit of span_us
 * warns; returns how many (0..VMC_DEADLINE_WARNINGS_MAX). Pure. */
guint vmc_deadline_warnings(gint64 span_us, gint64 ret_offsets[VMC_DEADLINE_WARNINGS_MAX]);

/* Pure: what to do at now_us, the person's last input having been at
 * last_input_us (at most now; the session's start when there was none). The
 * earliest deadline is in force (on a tie: certificate, key, max-duration, idle);
 * a WARN is given once per offset of that deadline (warned remembers it; a
 * later input moves the idle deadline and starts its warnings afresh), the
 * smallest offset passed when several are. */
void vmc_deadline_step(const VmcDeadlinePolicy *policy, gint64 last_input_us, gint64 now_us,
                       VmcDeadlineWarned *warned, VmcDeadlineStep *ret_step);

/* Pure: the warning the person reads on stderr, e.g. "this console session
 * ends in 5m00s: the host's max-duration is 8h00m" (no prefix, no newline). */
char *vmc_deadline_warning_text(const VmcDeadlinePolicy *policy, VmcDeadlineKind kind,
                                gint64 left_us);

/* Pure: the end's words for the person and the record's reason_text, e.g.
 * "no input for 30m00s (the host's idle-timeout)". */
char *vmc_deadline_end_text(const VmcDeadlinePolicy *policy, VmcDeadlineKind kind);

/* ---- a session's limits (session-limits.c, pure) ---- */

/* The limits of a session of vm that began at start_mono_us (monotonic) and
 * start_real_us (wall clock): the config's max-duration and idle-timeout
 * (the VM's, else [gateway]'s), cert's valid-before (NULL: none) and the
 * key's expiry-time key_expires_us (us since the epoch, 0: none), these two
 * moved to the monotonic clock by the clocks at the start. */
void vmc_deadline_policy_for(VmcDeadlinePolicy *ret_policy, const VmcConfig *config, const char *vm,
                             const VmcSshCert *cert, gint64 key_expires_us, gint64 start_mono_us,
                             gint64 start_real_us);

/* What the start record says of them: "max_duration_s", "idle_timeout_s"
 * (when set), "key_expires", and "certificate" (key_id, serial as decimal
 * text, ca, valid_after, valid_before unless it never expires). */
void vmc_deadline_record_start(VmcRecordStart *start, const VmcDeadlinePolicy *policy,
                               const VmcSshCert *cert, gint64 key_expires_us);

/* ---- the timer (deadline-timer.c) ---- */

typedef struct _VmcDeadlineTimer VmcDeadlineTimer;

/* The person's last input (monotonic us; 0: none yet). */
typedef gint64 (*VmcDeadlineInputFunc)(gpointer user_data);
/* The session must end now, by kind. Called once. */
typedef void (*VmcDeadlineEndFunc)(VmcDeadlineKind kind, gpointer user_data);

/* Pure: the viewer's title at a warning, title and how long is left, e.g.
 * "Debian VM — ends in 5m00s" ("… without input" for the idle deadline). */
char *vmc_deadline_title_text(const char *title, VmcDeadlineKind kind, gint64 left_us);

/* Follow policy on the default main context: warnings go to stderr
 * ("vmconsole: " and the text), and on_end is called when a deadline is
 * reached. NULL when the policy has no limit. */
VmcDeadlineTimer *vmc_deadline_timer_start(const VmcDeadlinePolicy *policy,
                                           VmcDeadlineInputFunc last_input,
                                           VmcDeadlineEndFunc on_end, gpointer user_data);
/* Also told of each warning (after stderr), e.g. to retitle the viewer;
 * kind VMC_DEADLINE_NONE when the last one no longer holds (an input moved
 * the idle deadline: seen when the timer next fires). */
typedef void (*VmcDeadlineWarnFunc)(VmcDeadlineKind kind, gint64 left_us, gpointer user_data);
void vmc_deadline_timer_set_warn_func(VmcDeadlineTimer *timer, VmcDeadlineWarnFunc on_warn);
void vmc_deadline_timer_free(VmcDeadlineTimer *timer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcDeadlineTimer, vmc_deadline_timer_free)

G_END_DECLS
