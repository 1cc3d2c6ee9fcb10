/* session-limits.c — a session's limits from what the gateway knows at its
 * start (the config, the certificate, the key's --expires), and what the
 * start record says of them. Pure. */
#include "session-deadline.h"

/* Seconds since the epoch as microseconds; -1 past gint64's range. */
static gint64
seconds_to_us(guint64 seconds)
{
    return seconds <= (guint64)(G_MAXINT64 / G_USEC_PER_SEC) ? (gint64)seconds * G_USEC_PER_SEC
                                                             : -1;
}

/* A wall-clock time (us; <= 0: none) on the monotonic clock (0: none), by
 * the clocks at the session's start; a time already past is 1 (ends at once). */
static gint64
wall_to_mono(gint64 real_us, gint64 start_mono_us, gint64 start_real_us)
{
    return real_us > 0 ? MAX(1, start_mono_us + (real_us - start_real_us)) : 0;
}

void
vmc_deadline_policy_for(VmcDeadlinePolicy *ret_policy, const VmcConfig *config, const char *vm,
                        const VmcSshCert *cert, gint64 key_expires_us, gint64 start_mono_us,
                        gint64 start_real_us)
{
    g_return_if_fail(ret_policy != NULL && config != NULL && vm != NULL);
    guint max_s = 0, idle_s = 0;
    vmc_config_session_limits(config, vm, &max_s, &idle_s);
    gint64 before_us = cert != NULL && cert->valid_before != VMC_SSH_CERT_FOREVER
                           ? seconds_to_us(cert->valid_before)
                           : -1;
    *ret_policy = (VmcDeadlinePolicy){
        .start_us = start_mono_us,
        .max_duration_us = (gint64)max_s * G_USEC_PER_SEC,
        .idle_timeout_us = (gint64)idle_s * G_USEC_PER_SEC,
        .expires_us = wall_to_mono(before_us, start_mono_us, start_real_us),
        .key_expires_us = wall_to_mono(key_expires_us, start_mono_us, start_real_us),
    };
}

void
vmc_deadline_record_start(VmcRecordStart *start, const VmcDeadlinePolicy *policy,
                          const VmcSshCert *cert, gint64 key_expires_us)
{
    g_return_if_fail(start != NULL && policy != NULL);
    if (policy->max_duration_us > 0)
        start->max_duration_s = policy->max_duration_us / G_USEC_PER_SEC;
    if (policy->idle_timeout_us > 0)
        start->idle_timeout_s = policy->idle_timeout_us / G_USEC_PER_SEC;
    if (key_expires_us > 0)
        start->key_expires = key_expires_us;
    if (cert == NULL)
        return;
    VmcRecordCertificate *record = &start->certificate;
    record->key_id = g_strdup(cert->key_id);
    record->serial = g_strdup_printf("%" G_GUINT64_FORMAT, cert->serial);
    record->ca = g_strdup(cert->ca_fingerprint);
    record->valid_after = seconds_to_us(cert->valid_after);
    if (cert->valid_before != VMC_SSH_CERT_FOREVER)
        record->valid_before = seconds_to_us(cert->valid_before);
}
