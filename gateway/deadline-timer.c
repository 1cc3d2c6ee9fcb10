/* deadline-timer.c — session-deadline.c's decisions on the main loop: one
 * timeout at a time, set for the next warning or end; an input that moved
 * the idle deadline is seen when it fires (it only ever moves later). */
#include "session-deadline.h"

#include <stdio.h>

#include "vmc-common.h"

struct _VmcDeadlineTimer {
    VmcDeadlinePolicy policy;
    VmcDeadlineWarned warned;
    VmcDeadlineInputFunc last_input;
    VmcDeadlineEndFunc on_end;
    VmcDeadlineWarnFunc on_warn;
    gboolean warning_shown; /* on_warn was told of a warning still in force */
    gpointer user_data;
    guint source;
};

static gboolean on_timeout(gpointer data);

static void
timer_step(VmcDeadlineTimer *timer)
{
    for (;;) {
        gint64 now_us = g_get_monotonic_time();
        VmcDeadlineStep step;
        vmc_deadline_step(&timer->policy, timer->last_input(timer->user_data), now_us,
                          &timer->warned, &step);
        if (step.action == VMC_DEADLINE_END) {
            timer->on_end(step.kind, timer->user_data);
            return;
        }
        if (step.action == VMC_DEADLINE_WAIT) {
            /* an input moved the idle deadline: its warning no longer holds */
            if (timer->warning_shown && timer->warned.warned_left_us == 0) {
                timer->warning_shown = FALSE;
                timer->on_warn(VMC_DEADLINE_NONE, 0, timer->user_data);
            }
            if (step.wake_us != 0) {
                /* rounded up, so that the deadline has passed when it fires */
                guint ms = (guint)MIN((step.wake_us - now_us + 999) / 1000, G_MAXINT);
                timer->source = g_timeout_add(MAX(ms, 1), on_timeout, timer);
            }
            return;
        }
        g_autofree char *text = vmc_deadline_warning_text(&timer->policy, step.kind, step.left_us);
        vmc_print_escaped(stderr, "vmconsole: %s\n", text);
        if (timer->on_warn != NULL) {
            timer->warning_shown = TRUE;
            timer->on_warn(step.kind, step.left_us, timer->user_data);
        }
    }
}

static gboolean
on_timeout(gpointer data)
{
    VmcDeadlineTimer *timer = data;
    timer->source = 0;
    timer_step(timer);
    return G_SOURCE_REMOVE;
}

VmcDeadlineTimer *
vmc_deadline_timer_start(const VmcDeadlinePolicy *policy, VmcDeadlineInputFunc last_input,
                         VmcDeadlineEndFunc on_end, gpointer user_data)
{
    g_return_val_if_fail(policy != NULL && last_input != NULL && on_end != NULL, NULL);
    if (policy->max_duration_us <= 0 && policy->idle_timeout_us <= 0 && policy->expires_us == 0 &&
        policy->key_expires_us == 0)
        return NULL;
    VmcDeadlineTimer *timer = g_new0(VmcDeadlineTimer, 1);
    timer->policy = *policy;
    timer->last_input = last_input;
    timer->on_end = on_end;
    timer->user_data = user_data;
    /* the first step on the loop: on_end never runs before the loop does */
    timer->source = g_idle_add(on_timeout, timer);
    return timer;
}

void
vmc_deadline_timer_set_warn_func(VmcDeadlineTimer *timer, VmcDeadlineWarnFunc on_warn)
{
    g_return_if_fail(timer != NULL);
    timer->on_warn = on_warn;
}

void
vmc_deadline_timer_free(VmcDeadlineTimer *timer)
{
    if (timer == NULL)
        return;
    if (timer->source != 0)
        g_source_remove(timer->source);
    g_free(timer);
}
