/* test-session-deadline.c — when a session ends by policy and when the
 * person is warned: max-duration, idle-timeout, the certificate, on a clock
 * the test moves. */
#include <string.h>

#include "session-deadline.h"

#define S G_GINT64_CONSTANT(1000000)
#define MINUTE (60 * S)
#define T0 (1000 * S) /* the session's start on the monotonic clock */

static void
test_warnings(void)
{
    static const struct {
        gint64 span;
        guint n;
        gint64 offsets[VMC_DEADLINE_WARNINGS_MAX];
    } cases[] = {
        {8 * 60 * MINUTE, 2, {5 * MINUTE, MINUTE}},
        {10 * MINUTE, 2, {5 * MINUTE, MINUTE}},
        {10 * MINUTE - 1, 1, {MINUTE}},
        {2 * MINUTE, 1, {MINUTE}},
        {2 * MINUTE - 1, 1, {39 * S}},
        {90 * S, 1, {30 * S}},
        {3 * S, 1, {S}},
        {3 * S - 1, 0, {0}},
        {0, 0, {0}},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        gint64 offsets[VMC_DEADLINE_WARNINGS_MAX] = {0};
        guint n = vmc_deadline_warnings(cases[i].span, offsets);
        g_assert_cmpuint(n, ==, cases[i].n);
        for (guint k = 0; k < n; k++)
            g_assert_cmpint(offsets[k], ==, cases[i].offsets[k]);
    }
}

static VmcDeadlineStep
step(const VmcDeadlinePolicy *policy, gint64 input, gint64 now, VmcDeadlineWarned *warned)
{
    VmcDeadlineStep result;
    vmc_deadline_step(policy, input, now, warned, &result);
    return result;
}

/* No limit: nothing to wait for. */
static void
test_none(void)
{
    VmcDeadlinePolicy policy = {.start_us = T0};
    VmcDeadlineWarned warned = {0};
    VmcDeadlineStep s = step(&policy, 0, T0 + 100 * 3600 * S, &warned);
    g_assert_cmpint(s.action, ==, VMC_DEADLINE_WAIT);
    g_assert_cmpint(s.kind, ==, VMC_DEADLINE_NONE);
    g_assert_cmpint(s.wake_us, ==, 0);
}

/* max-duration 8h: wake at 5 min before, warn once there, wake at 1 min
 * before, warn, wake at the end, end; input changes nothing. */
static void
test_max_duration(void)
{
    const gint64 end = T0 + 8 * 3600 * S;
    VmcDeadlinePolicy policy = {.start_us = T0, .max_duration_us = 8 * 3600 * S};
    VmcDeadlineWarned warned = {0};
    VmcDeadlineStep s = step(&policy, 0, T0, &warned);
    g_assert_cmpint(s.action, ==, VMC_DEADLINE_WAIT);
    g_assert_cmpint(s.kind, ==, VMC_DEADLINE_MAX_DURATION);
    g_assert_cmpint(s.wake_us, ==, end - 5 * MINUTE);
    s = step(&policy, end - 6 * MINUTE, end - 5 * MINUTE, &warned);
    g_assert_cmpint(s.action, ==, VMC_DEADLINE_WARN);
    g_assert_cmpint(s.left_us, ==, 5 * MINUTE);
    s = step(&policy, 0, end - 5 * MINUTE, &warned);
    g_assert_cmpint(s.action, ==, VMC_DEADLINE_WAIT);
    g_assert_cmpint(s.wake_us, ==, end - MINUTE);
    s = step(&policy, 0, end - MINUTE + 5, &warned);
    g_assert_cmpint(s.action, ==, VMC_DEADLINE_WARN);
    g_assert_cmpint(s.left_us, ==, MINUTE - 5);
    s = step(&policy, 0, end - MINUTE + 5, &warned);
    g_assert_cmpint(s.action, ==, VMC_DEADLINE_WAIT);
    g_assert_cmpint(s.wake_us, ==, end);
    s = step(&policy, end - 1, end - 1, &warned);
    g_assert_cmpint(s.action, ==, VMC_DEADLINE_WAIT);
    s = step(&policy, end - 1, end, &warned);
    g_assert_cmpint(s.action, ==, VMC_DEADLINE_END);
    g_assert_cmpint(s.kind, ==, VMC_DEADLINE_MAX_DURATION);
}

/* Woken late, past both warnings: one warning (the last one's), not two. */
static void
test_late_wake(void)
{
    const gint64 end = T0 + 3600 * S;
    VmcDeadlinePolicy policy = {.start_us = T0, .max_duration_us = 3600 * S};
    VmcDeadlineWarned warned = {0};
    VmcDeadlineStep s = step(&policy, 0, end - 30 * S, &warned);
    g_assert_cmpint(s.action, ==, VMC_DEADLINE_WARN);
    g_assert_cmpint(s.left_us, ==, 30 * S);
    s = step(&policy, 0, end - 30 * S, &warned);
    g_assert_cmpint(s.action, ==, VMC_DEADLINE_WAIT);
    g_assert_cmpint(s.wake_us, ==, end);
}

/* idle-timeout 3s: the deadline follows the last input; a warning 1 s
 * before; input after the warning moves the end and warns afresh. */
static void
test_idle(void)
{
    VmcDeadlinePolicy policy = {.start_us = T0, .idle_timeout_us = 3 * S};
    VmcDeadlineWarned warned = {0};
    /* no input yet: counted from the start */
    VmcDeadlineStep s = step(&policy, 0, T0, &warned);
    g_assert_cmpint(s.kind, ==, VMC_DEADLINE_IDLE);
    g_assert_cmpint(s.end_us, ==, T0 + 3 * S);
    g_assert_cmpint(s.wake_us, ==, T0 + 2 * S);
    s = step(&policy, 0, T0 + 2 * S, &warned);
    g_assert_cmpint(s.action, ==, VMC_DEADLINE_WARN);
    /* input: the end moves, nothing now, the warning is due again later */
    s = step(&policy, T0 + 2500000, T0 + 2600000, &warned);
    g_assert_cmpint(s.action, ==, VMC_DEADLINE_WAIT);
    g_assert_cmpint(s.end_us, ==, T0 + 5500000);
    g_assert_cmpint(s.wake_us, ==, T0 + 4500000);
    s = step(&policy, T0 + 2500000, T0 + 4500000, &warned);
    g_assert_cmpint(s.action, ==, VMC_DEADLINE_WARN);
    s = step(&policy, T0 + 2500000, T0 + 5500000, &warned);
    g_assert_cmpint(s.action, ==, VMC_DEADLINE_END);
    g_assert_cmpint(s.kind, ==, VMC_DEADLINE_IDLE);
}

/* The earliest deadline is in force; a tie goes to the certificate, then
 * max-duration. */
static void
test_earliest(void)
{
    VmcDeadlinePolicy policy = {.start_us = T0,
                                .max_duration_us = 60 * MINUTE,
                                .idle_timeout_us = 30 * MINUTE,
                                .expires_us = T0 + 45 * MINUTE};
    VmcDeadlineWarned warned = {0};
    VmcDeadlineStep s = step(&policy, T0, T0, &warned);
    g_assert_cmpint(s.kind, ==, VMC_DEADLINE_IDLE);
    s = step(&policy, T0 + 20 * MINUTE, T0 + 20 * MINUTE, &warned);
    g_assert_cmpint(s.kind, ==, VMC_DEADLINE_CERTIFICATE);
    g_assert_cmpint(s.end_us, ==, T0 + 45 * MINUTE);
    policy.expires_us = T0 + 60 * MINUTE;
    s = step(&policy, T0 + 40 * MINUTE, T0 + 40 * MINUTE, &warned);
    g_assert_cmpint(s.kind, ==, VMC_DEADLINE_CERTIFICATE);
    policy.expires_us = 0;
    s = step(&policy, T0 + 30 * MINUTE, T0 + 40 * MINUTE, &warned);
    g_assert_cmpint(s.kind, ==, VMC_DEADLINE_MAX_DURATION);
    /* the key's expiry-time: after a certificate, before max-duration on a tie */
    policy.key_expires_us = T0 + 60 * MINUTE;
    s = step(&policy, T0 + 30 * MINUTE, T0 + 40 * MINUTE, &warned);
    g_assert_cmpint(s.kind, ==, VMC_DEADLINE_KEY);
    policy.expires_us = T0 + 60 * MINUTE;
    s = step(&policy, T0 + 30 * MINUTE, T0 + 40 * MINUTE, &warned);
    g_assert_cmpint(s.kind, ==, VMC_DEADLINE_CERTIFICATE);
    s = step(&policy, T0 + 30 * MINUTE, T0 + 60 * MINUTE, &warned);
    g_assert_cmpint(s.action, ==, VMC_DEADLINE_END);
}

/* A certificate that has expired already (the clock said so at start): the
 * end at once, no warning first. */
static void
test_expired_certificate(void)
{
    VmcDeadlinePolicy policy = {.start_us = T0, .expires_us = T0 - S};
    VmcDeadlineWarned warned = {0};
    VmcDeadlineStep s = step(&policy, 0, T0, &warned);
    g_assert_cmpint(s.action, ==, VMC_DEADLINE_END);
    g_assert_cmpint(s.kind, ==, VMC_DEADLINE_CERTIFICATE);
}

static void
test_texts(void)
{
    VmcDeadlinePolicy policy = {
        .start_us = T0, .max_duration_us = 8 * 3600 * S, .idle_timeout_us = 30 * MINUTE};
    g_autofree char *max =
        vmc_deadline_warning_text(&policy, VMC_DEADLINE_MAX_DURATION, 5 * MINUTE);
    g_assert_cmpstr(max, ==,
                    "this console session ends in 5m00s: the host's max-duration is 8h00m");
    g_autofree char *idle = vmc_deadline_warning_text(&policy, VMC_DEADLINE_IDLE, MINUTE - 1);
    g_assert_true(g_str_has_prefix(idle, "this console session ends in 1m00s without input from "
                                         "you (the host's idle-timeout is 30m00s)"));
    g_autofree char *cert = vmc_deadline_warning_text(&policy, VMC_DEADLINE_CERTIFICATE, 1);
    g_assert_cmpstr(cert, ==, "your SSH certificate expires in 1s: this console session ends then");
    g_autofree char *end = vmc_deadline_end_text(&policy, VMC_DEADLINE_IDLE);
    g_assert_cmpstr(end, ==, "no input for 30m00s (the host's idle-timeout)");
    g_autofree char *key = vmc_deadline_warning_text(&policy, VMC_DEADLINE_KEY, 5 * MINUTE);
    g_assert_cmpstr(key, ==,
                    "your SSH key's access expires in 5m00s: this console session ends then");
    g_autofree char *end_max = vmc_deadline_end_text(&policy, VMC_DEADLINE_MAX_DURATION);
    g_assert_cmpstr(end_max, ==, "the session reached the host's max-duration (8h00m)");
}

/* The viewer's title at a warning: the VM's title and what is left. */
static void
test_title_texts(void)
{
    g_autofree char *max =
        vmc_deadline_title_text("Debian VM", VMC_DEADLINE_MAX_DURATION, 5 * MINUTE);
    g_assert_cmpstr(max, ==, "Debian VM \u2014 ends in 5m00s");
    g_autofree char *idle = vmc_deadline_title_text("Debian VM", VMC_DEADLINE_IDLE, MINUTE - 1);
    g_assert_cmpstr(idle, ==, "Debian VM \u2014 ends in 1m00s without input");
    g_autofree char *key = vmc_deadline_title_text("A", VMC_DEADLINE_KEY, 1);
    g_assert_cmpstr(key, ==, "A \u2014 ends in 1s");
}

/* A session's limits from the config, the certificate and the key's
 * --expires: wall-clock ends moved to the monotonic clock by the clocks at
 * the start; and what the start record says. */
static void
test_policy_for(void)
{
    static const char text[] = "[gateway]\nmax-duration = 8h\n[vm a]\nidle-timeout = 90s\n";
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcConfig) config = vmc_config_load_data(text, strlen(text), "t", &error);
    g_assert_no_error(error);
    const gint64 real0 = G_GINT64_CONSTANT(1796083200) * S; /* 2026-12-01T00:00:00Z */
    VmcSshCert cert = {.key_id = (char *)"alice laptop",
                       .serial = G_MAXUINT64,
                       .ca_fingerprint = (char *)"SHA256:ca",
                       .valid_after = 1796083200 - 60,
                       .valid_before = 1796083200 + 600};
    VmcDeadlinePolicy policy;
    vmc_deadline_policy_for(&policy, config, "a", &cert, real0 + 300 * S, T0, real0);
    g_assert_cmpint(policy.start_us, ==, T0);
    g_assert_cmpint(policy.max_duration_us, ==, 8 * 3600 * S);
    g_assert_cmpint(policy.idle_timeout_us, ==, 90 * S);
    g_assert_cmpint(policy.expires_us, ==, T0 + 600 * S);
    g_assert_cmpint(policy.key_expires_us, ==, T0 + 300 * S);

    g_auto(VmcRecordFields) fields = {0};
    vmc_record_fields_init(&fields, VMC_LOG_EVENT_START);
    vmc_deadline_record_start(&fields.start, &policy, &cert, real0 + 300 * S);
    g_assert_cmpint(fields.start.max_duration_s, ==, 8 * 3600);
    g_assert_cmpint(fields.start.idle_timeout_s, ==, 90);
    g_assert_cmpint(fields.start.key_expires, ==, real0 + 300 * S);
    g_assert_cmpstr(fields.start.certificate.serial, ==, "18446744073709551615");
    g_assert_cmpstr(fields.start.certificate.key_id, ==, "alice laptop");
    g_assert_cmpint(fields.start.certificate.valid_before, ==, real0 + 600 * S);

    /* never expires, no key expiry, another VM: max-duration only */
    cert.valid_before = VMC_SSH_CERT_FOREVER;
    vmc_deadline_policy_for(&policy, config, "b", &cert, 0, T0, real0);
    g_assert_cmpint(policy.expires_us, ==, 0);
    g_assert_cmpint(policy.key_expires_us, ==, 0);
    g_assert_cmpint(policy.idle_timeout_us, ==, 0);
    g_auto(VmcRecordFields) forever = {0};
    vmc_record_fields_init(&forever, VMC_LOG_EVENT_START);
    vmc_deadline_record_start(&forever.start, &policy, &cert, 0);
    g_assert_cmpint(forever.start.certificate.valid_before, <, 0);
    g_assert_cmpint(forever.start.key_expires, <, 0);
    g_assert_cmpint(forever.start.idle_timeout_s, <, 0);

    /* past already (a clock that moved): the end is due at once */
    cert.valid_before = 1796083200 - 1;
    vmc_deadline_policy_for(&policy, config, "a", &cert, 0, 5, real0);
    g_assert_cmpint(policy.expires_us, ==, 1);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/gateway/deadline/warnings", test_warnings);
    g_test_add_func("/gateway/deadline/none", test_none);
    g_test_add_func("/gateway/deadline/max-duration", test_max_duration);
    g_test_add_func("/gateway/deadline/late-wake", test_late_wake);
    g_test_add_func("/gateway/deadline/idle", test_idle);
    g_test_add_func("/gateway/deadline/earliest", test_earliest);
    g_test_add_func("/gateway/deadline/expired-certificate", test_expired_certificate);
    g_test_add_func("/gateway/deadline/texts", test_texts);
    g_test_add_func("/gateway/deadline/title-texts", test_title_texts);
    g_test_add_func("/gateway/deadline/policy-for", test_policy_for);
    return g_test_run();
}
