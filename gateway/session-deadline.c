/* session-deadline.c — the end of a session by policy and the warnings
 * before it, as functions of the limits and the clock. Pure. */
#include "session-deadline.h"

#include "vmc-common.h"

#define WARN_EARLY_US (5 * 60 * G_USEC_PER_SEC)
#define WARN_LATE_US (60 * G_USEC_PER_SEC)
#define WARN_MIN_US G_USEC_PER_SEC /* a warning less than this before the end is none */

guint
vmc_deadline_warnings(gint64 span_us, gint64 ret_offsets[VMC_DEADLINE_WARNINGS_MAX])
{
    static const gint64 fixed[VMC_DEADLINE_WARNINGS_MAX] = {WARN_EARLY_US, WARN_LATE_US};
    guint n = 0;
    for (guint i = 0; i < G_N_ELEMENTS(fixed); i++)
        if (fixed[i] <= span_us / 2)
            ret_offsets[n++] = fixed[i];
    /* too short for either: one warning, a third of it before the end */
    if (n == 0 && span_us / 3 >= WARN_MIN_US)
        ret_offsets[n++] = span_us / 3 / G_USEC_PER_SEC * G_USEC_PER_SEC;
    return n;
}

/* The earliest deadline of policy; FALSE when there is none. */
static gboolean
earliest(const VmcDeadlinePolicy *policy, gint64 last_input_us, VmcDeadlineKind *ret_kind,
         gint64 *ret_end_us, gint64 *ret_span_us)
{
    gint64 input_us = MAX(last_input_us, policy->start_us);
    const struct {
        VmcDeadlineKind kind;
        gboolean set;
        gint64 end_us;
        gint64 span_us;
    } limits[] = {
        /* in the order that wins a tie */
        {VMC_DEADLINE_CERTIFICATE, policy->expires_us != 0, policy->expires_us,
         policy->expires_us - policy->start_us},
        {VMC_DEADLINE_KEY, policy->key_expires_us != 0, policy->key_expires_us,
         policy->key_expires_us - policy->start_us},
        {VMC_DEADLINE_MAX_DURATION, policy->max_duration_us > 0,
         policy->start_us + policy->max_duration_us, policy->max_duration_us},
        {VMC_DEADLINE_IDLE, policy->idle_timeout_us > 0, input_us + policy->idle_timeout_us,
         policy->idle_timeout_us},
    };
    gboolean found = FALSE;
    for (guint i = 0; i < G_N_ELEMENTS(limits); i++) {
        if (!limits[i].set || (found && limits[i].end_us >= *ret_end_us))
            continue;
        found = TRUE;
        *ret_kind = limits[i].kind;
        *ret_end_us = limits[i].end_us;
        *ret_span_us = limits[i].span_us;
    }
    return found;
}

void
vmc_deadline_step(const VmcDeadlinePolicy *policy, gint64 last_input_us, gint64 now_us,
                  VmcDeadlineWarned *warned, VmcDeadlineStep *ret_step)
{
    g_return_if_fail(policy != NULL && warned != NULL && ret_step != NULL);
    VmcDeadlineStep step = {VMC_DEADLINE_WAIT, VMC_DEADLINE_NONE, 0, 0, 0};
    gint64 span_us = 0;
    if (!earliest(policy, last_input_us, &step.kind, &step.end_us, &span_us)) {
        *ret_step = step;
        return;
    }
    if (warned->kind != step.kind || warned->end_us != step.end_us)
        *warned = (VmcDeadlineWarned){step.kind, step.end_us, 0};
    gint64 left_us = step.end_us - now_us;
    if (left_us <= 0) {
        step.action = VMC_DEADLINE_END;
        *ret_step = step;
        return;
    }
    gint64 offsets[VMC_DEADLINE_WARNINGS_MAX];
    guint n = vmc_deadline_warnings(span_us, offsets);
    gint64 due_us = 0, next_us = 0;
    /* largest first: those passed come first, then those still ahead */
    for (guint i = 0; i < n; i++) {
        if (warned->warned_left_us != 0 && offsets[i] >= warned->warned_left_us)
            continue; /* said already, or skipped for a later one */
        if (left_us <= offsets[i])
            due_us = offsets[i];
        else if (next_us == 0)
            next_us = offsets[i];
    }
    if (due_us != 0) {
        warned->warned_left_us = due_us;
        step.action = VMC_DEADLINE_WARN;
        step.left_us = left_us;
    } else {
        step.wake_us = step.end_us - next_us;
    }
    *ret_step = step;
}

/* Whole seconds, rounded up: "ends in 1s" until the very end. */
static char *
format_us(gint64 us)
{
    return vmc_format_duration((us + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
}

char *
vmc_deadline_warning_text(const VmcDeadlinePolicy *policy, VmcDeadlineKind kind, gint64 left_us)
{
    g_return_val_if_fail(policy != NULL, NULL);
    g_autofree char *left = format_us(left_us);
    g_autofree char *max = format_us(policy->max_duration_us);
    g_autofree char *idle = format_us(policy->idle_timeout_us);
    switch (kind) {
    case VMC_DEADLINE_MAX_DURATION:
        return g_strdup_printf("this console session ends in %s: the host's max-duration is %s",
                               left, max);
    case VMC_DEADLINE_IDLE:
        return g_strdup_printf("this console session ends in %s without input from you (the "
                               "host's idle-timeout is %s): a key or the mouse in the console "
                               "keeps it open",
                               left, idle);
    case VMC_DEADLINE_CERTIFICATE:
        return g_strdup_printf("your SSH certificate expires in %s: this console session ends "
                               "then",
                               left);
    case VMC_DEADLINE_KEY:
        return g_strdup_printf("your SSH key's access expires in %s: this console session ends "
                               "then",
                               left);
    case VMC_DEADLINE_NONE:
        break;
    }
    g_return_val_if_reached(NULL);
}

char *
vmc_deadline_title_text(const char *title, VmcDeadlineKind kind, gint64 left_us)
{
    g_return_val_if_fail(title != NULL && kind != VMC_DEADLINE_NONE, NULL);
    g_autofree char *left = format_us(left_us);
    return g_strdup_printf("%s \u2014 ends in %s%s", title, left,
                           kind == VMC_DEADLINE_IDLE ? " without input" : "");
}

char *
vmc_deadline_end_text(const VmcDeadlinePolicy *policy, VmcDeadlineKind kind)
{
    g_return_val_if_fail(policy != NULL, NULL);
    g_autofree char *max = format_us(policy->max_duration_us);
    g_autofree char *idle = format_us(policy->idle_timeout_us);
    switch (kind) {
    case VMC_DEADLINE_MAX_DURATION:
        return g_strdup_printf("the session reached the host's max-duration (%s)", max);
    case VMC_DEADLINE_IDLE:
        return g_strdup_printf("no input for %s (the host's idle-timeout)", idle);
    case VMC_DEADLINE_CERTIFICATE:
        return g_strdup("the SSH certificate's validity ended");
    case VMC_DEADLINE_KEY:
        return g_strdup("the SSH key's access expired (its expiry-time)");
    case VMC_DEADLINE_NONE:
        break;
    }
    g_return_val_if_reached(NULL);
}
