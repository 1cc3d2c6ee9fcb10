/* test-session-record.c — units, durations and the counters in a record;
 * the gateway's records on the wire as before the record schema. */
#include <glib.h>
#include <string.h>

#include "../sessionlog/golden-records.h"
#include "denied-priv.h"
#include "session-priv.h"
#include "vmc-assert.h"

static VmcRelayStats *
sample_stats(void)
{
    VmcRelayStats *stats = g_new0(VmcRelayStats, 1);
    stats->channels[VMC_SPICE_CHANNEL_MAIN] = (VmcRelayChannelStats){100, 2000, 1};
    stats->channels[VMC_SPICE_CHANNEL_DISPLAY] =
        (VmcRelayChannelStats){500, (guint64)(1.2 * 1073741824.0), 1};
    stats->channels[VMC_SPICE_CHANNEL_PLAYBACK] = (VmcRelayChannelStats){0, 43 * 1048576ull, 1};
    stats->bytes_total = 100 + 2000 + 500 + (guint64)(1.2 * 1073741824.0) + 43 * 1048576ull;
    stats->peak_rate = 85.3 * 1048576.0;
    stats->peak_time_us = 1764410523000000;
    stats->mean_rate = 1000.0;
    stats->series = g_array_new(FALSE, FALSE, sizeof(guint64));
    guint64 values[] = {1, 2, 3};
    g_array_append_vals(stats->series, values, 3);
    stats->series_step_s = 1;
    return stats;
}

/* An end record with stats' counters, as written. */
static VmcRecord *
end_record(const VmcRelayStats *stats)
{
    g_auto(VmcRecordFields) fields = {0};
    vmc_record_fields_init(&fields, VMC_LOG_EVENT_END);
    vmc_session_record_stats(&fields.end, stats);
    return vmc_record_new_from_fields(&fields);
}

static void
test_summary(void)
{
    g_autoptr(VmcRelayStats) stats = sample_stats();
    g_autofree char *summary = vmc_session_summary(stats, 3720);
    g_assert_cmpstr(summary, ==, "session 1h02m, display 1.2 GiB, audio 43 MiB, peak 85.3 MiB/s");
}

static void
test_record(void)
{
    g_autoptr(VmcRelayStats) stats = sample_stats();
    g_autoptr(VmcRecord) record = end_record(stats);
    JsonObject *object = vmc_record_get_object(record);
    JsonObject *channels = json_object_get_object_member(object, "channels");
    g_assert_true(json_object_has_member(channels, "main"));
    g_assert_true(json_object_has_member(channels, "display"));
    g_assert_false(json_object_has_member(channels, "inputs")); /* never used: left out */
    JsonObject *main_channel = json_object_get_object_member(channels, "main");
    g_assert_cmpint(json_object_get_int_member(main_channel, "from_vm"), ==, 2000);
    g_assert_cmpint(json_object_get_int_member(main_channel, "to_vm"), ==, 100);
    g_assert_cmpint(json_object_get_int_member(object, "bytes_total"), ==, stats->bytes_total);
    g_assert_cmpstr(json_object_get_string_member(object, "rate_peak_time"), ==,
                    "2025-11-29T10:02:03.000Z");
    JsonArray *series =
        json_object_get_array_member(json_object_get_object_member(object, "series"), "bytes");
    g_assert_cmpuint(json_array_get_length(series), ==, 3);
    gsize length;
    g_autofree char *line = vmc_record_to_line(record, &length);
    vmc_assert_contains(line, "\"channels\"");
}

static guint64
array_sum(JsonArray *array)
{
    guint64 sum = 0;
    for (guint i = 0; i < json_array_get_length(array); i++)
        sum += (guint64)json_array_get_int_element(array, i);
    return sum;
}

/* Per-channel series ride along; a long session is merged to a bounded
 * number of samples with the sums kept. */
static void
test_series_downsampled(void)
{
    g_autoptr(VmcRelayStats) stats = sample_stats();
    const guint n = 3 * VMC_SESSION_SERIES_MAX + 7;
    g_array_set_size(stats->series, 0);
    stats->channel_series[VMC_SPICE_CHANNEL_DISPLAY] = g_array_new(FALSE, FALSE, sizeof(guint64));
    guint64 total = 0;
    for (guint i = 0; i < n; i++) {
        guint64 v = i % 5, d = i % 3;
        g_array_append_val(stats->series, v);
        g_array_append_val(stats->channel_series[VMC_SPICE_CHANNEL_DISPLAY], d);
        total += v;
    }
    g_autoptr(VmcRecord) record = end_record(stats);
    JsonObject *series = json_object_get_object_member(vmc_record_get_object(record), "series");
    JsonArray *bytes = json_object_get_array_member(series, "bytes");
    JsonArray *display =
        json_object_get_array_member(json_object_get_object_member(series, "channels"), "display");
    g_assert_cmpuint(json_array_get_length(bytes), <=, VMC_SESSION_SERIES_MAX);
    g_assert_cmpuint(json_array_get_length(bytes), ==, json_array_get_length(display));
    g_assert_cmpint(json_object_get_int_member(series, "step_s"), ==, 4);
    g_assert_cmpuint(array_sum(bytes), ==, total);
    g_assert_false(
        json_object_has_member(json_object_get_object_member(series, "channels"), "main"));
}

static void
test_agent_policy_record(void)
{
    static const struct {
        VmcAgentPolicy policy;
        const char *file_transfer, *clipboard;
    } cases[] = {
        {{FALSE, TRUE, TRUE}, "deny", "both"},
        {{TRUE, TRUE, FALSE}, "allow", "to-vm"},
        {{FALSE, FALSE, TRUE}, "deny", "from-vm"},
        {{TRUE, FALSE, FALSE}, "allow", "none"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_auto(VmcRecordFields) fields = {0};
        vmc_record_fields_init(&fields, VMC_LOG_EVENT_START);
        vmc_session_record_agent_policy(&fields.start, &cases[i].policy);
        g_autoptr(VmcRecord) record = vmc_record_new_from_fields(&fields);
        JsonObject *object = vmc_record_get_object(record);
        g_assert_cmpstr(json_object_get_string_member(object, "file_transfer"), ==,
                        cases[i].file_transfer);
        g_assert_cmpstr(json_object_get_string_member(object, "clipboard"), ==, cases[i].clipboard);
    }
}

static void
test_agent_record(void)
{
    g_autoptr(VmcRelayStats) stats = sample_stats();
    stats->agent.file_transfer_dropped = 3;
    stats->agent.clipboard_to_vm_dropped = 4;
    stats->agent.clipboard_from_vm_dropped = 5;
    stats->agent.bytes_dropped_to_vm = 600;
    stats->agent.bytes_injected_from_vm = 70;
    stats->agent.refused = 1;
    g_autoptr(VmcRecord) record = end_record(stats);
    JsonObject *agent = json_object_get_object_member(vmc_record_get_object(record), "agent");
    g_assert_nonnull(agent);
    g_assert_cmpint(json_object_get_int_member(agent, "file_transfer_dropped"), ==, 3);
    g_assert_cmpint(json_object_get_int_member(agent, "clipboard_to_vm_dropped"), ==, 4);
    g_assert_cmpint(json_object_get_int_member(agent, "clipboard_from_vm_dropped"), ==, 5);
    g_assert_cmpint(json_object_get_int_member(agent, "bytes_dropped_to_vm"), ==, 600);
    g_assert_cmpint(json_object_get_int_member(agent, "bytes_dropped_from_vm"), ==, 0);
    g_assert_cmpint(json_object_get_int_member(agent, "bytes_injected_from_vm"), ==, 70);
    g_assert_cmpint(json_object_get_int_member(agent, "refused"), ==, 1);
}

/* The config's words become the relay's policy: the VM's keys, else
 * [gateway]'s, for listed and unlisted VMs alike. */
static void
test_agent_policy_from_config(void)
{
    static const char text[] = "[gateway]\nclipboard = from-vm\n"
                               "[vm a]\nfile-transfer = allow\nclipboard = to-vm\n";
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcConfig) config = vmc_config_load_data(text, sizeof text - 1, "t", &error);
    g_assert_no_error(error);
    VmcAgentPolicy policy;
    vmc_session_agent_policy(config, "a", &policy);
    g_assert_true(policy.file_transfer && policy.clipboard_to_vm && !policy.clipboard_from_vm);
    vmc_session_agent_policy(config, "unlisted", &policy);
    g_assert_true(!policy.file_transfer && !policy.clipboard_to_vm && policy.clipboard_from_vm);
    g_auto(VmcRecordFields) fields = {0};
    vmc_record_fields_init(&fields, VMC_LOG_EVENT_START);
    vmc_session_record_vm_agent_policy(&fields.start, config, "a");
    g_autoptr(VmcRecord) record = vmc_record_new_from_fields(&fields);
    JsonObject *object = vmc_record_get_object(record);
    g_assert_cmpstr(json_object_get_string_member(object, "file_transfer"), ==, "allow");
    g_assert_cmpstr(json_object_get_string_member(object, "clipboard"), ==, "to-vm");
    g_autoptr(VmcConfig) defaults = vmc_config_new_default();
    vmc_session_agent_policy(defaults, "x", &policy);
    g_assert_true(!policy.file_transfer && policy.clipboard_to_vm && policy.clipboard_from_vm);
}

/* ---- the records as the gateway wrote them before the schema ---- */

#define GOLDEN_TIME_US G_GINT64_CONSTANT(1795946404500000) /* GOLDEN_TIME */

static GArray *
three_samples(guint64 a, guint64 b, guint64 c)
{
    GArray *samples = g_array_new(FALSE, FALSE, sizeof(guint64));
    guint64 values[] = {a, b, c};
    g_array_append_vals(samples, values, 3);
    return samples;
}

/* The counters golden-records.h's end record was made from. */
static VmcRelayStats *
golden_stats(void)
{
    VmcRelayStats *stats = g_new0(VmcRelayStats, 1);
    stats->channels[VMC_SPICE_CHANNEL_MAIN] = (VmcRelayChannelStats){180, 363, 1};
    stats->channels[VMC_SPICE_CHANNEL_DISPLAY] = (VmcRelayChannelStats){204, 8953, 2};
    stats->channels[VMC_SPICE_CHANNEL_PLAYBACK] = (VmcRelayChannelStats){0, 176400, 1};
    stats->rejected = 3;
    stats->bytes_total = 180 + 363 + 204 + 8953 + 176400;
    stats->peak_rate = 8966.0;
    stats->peak_time_us = G_GINT64_CONSTANT(1795946401170000);
    stats->mean_rate = 3007.5553635643237;
    stats->series = three_samples(8966, 513, 692);
    stats->series_step_s = 1;
    stats->channel_series[VMC_SPICE_CHANNEL_MAIN] = three_samples(543, 0, 0);
    stats->channel_series[VMC_SPICE_CHANNEL_DISPLAY] = three_samples(7618, 513, 684);
    stats->channel_series[VMC_SPICE_CHANNEL_PLAYBACK] = three_samples(805, 0, 8);
    stats->streams[0] = (VmcRelayStreamStats){.name = VMC_RECORD_STREAM_X11,
                                              .bytes_to_target = 2193948,
                                              .bytes_from_target = 403060,
                                              .connections = 1,
                                              .peak_rate = 2593692.0,
                                              .peak_time_us = stats->peak_time_us,
                                              .mean_rate = 742951.14045652596,
                                              .series = three_samples(2593692, 1204, 1408)};
    stats->streams[1] = (VmcRelayStreamStats){.name = VMC_RECORD_STREAM_AUDIO,
                                              .bytes_to_target = 529200,
                                              .bytes_from_target = 12,
                                              .connections = 2,
                                              .failed = 1,
                                              .peak_rate = 176400.0,
                                              .peak_time_us = G_GINT64_CONSTANT(1795946400000000),
                                              .mean_rate = 132300.5,
                                              .series = three_samples(176400, 176400, 0)};
    stats->n_streams = 2;
    stats->agent = (VmcAgentStats){1, 2, 3, 4096, 5, 6, 7, 8};
    return stats;
}

static void
assert_golden(const VmcRecordFields *fields, const char *golden)
{
    g_autoptr(VmcRecord) record = vmc_record_new_from_fields(fields);
    g_autofree char *line = vmc_record_to_line(record, NULL);
    /* the gateway leaves "host" to the writer: this host's name */
    g_autofree char *here = golden_on_this_host(golden);
    g_autofree char *want = g_strdup_printf("%s\n", here);
    g_assert_cmpstr(line, ==, want);
}

static void
golden_who(VmcRecordWho *who)
{
    who->session = g_strdup("0123456789abcdef0123456789abcdef");
    who->identity = g_strdup("alice");
    who->account = g_strdup("vmconsole");
    who->key = g_strdup("SHA256:Ufz+YC+PQJOMGRzzapILWj28f2FYQYqSGzkJj1eamvA");
    who->client = g_strdup("192.0.2.7 33854");
    who->vm = g_strdup("debianx");
}

/* A start record as session.c and sound.c fill it, with every field set. */
static void
test_golden_start(void)
{
    g_auto(VmcRecordFields) fields = {0};
    vmc_record_fields_init(&fields, VMC_LOG_EVENT_START);
    VmcRecordStart *start = &fields.start;
    start->time = GOLDEN_TIME_US;
    golden_who(&start->who);
    start->key_type = g_strdup("ssh-ed25519");
    start->socket = g_strdup("/var/spicex/debianx.sock");
    start->mode = g_strdup("x11");
    vmc_session_record_agent_policy(start, &(VmcAgentPolicy){FALSE, TRUE, FALSE});
    start->sound = (VmcRecordSound){g_strdup("tcp:127.0.0.1:47113"), VMC_RECORD_FLAG_TRUE,
                                    g_strdup("PulseAudio 16.1"),
                                    g_strdup("no sound: \"the probe\" timed out")};
    start->microphone = VMC_RECORD_FLAG_FALSE;
    start->viewer = g_strdup("/usr/bin/remote-viewer");
    const char *const protections[] = {"user-ns", "mount-ns", "seccomp", "landlock-abi-4", NULL};
    vmc_session_record_sandbox(start, TRUE, protections);
    start->takeover_of = g_strdup("fedcba9876543210fedcba9876543210");
    start->stale_session = g_strdup("00112233445566778899aabbccddeeff");
    start->swept_sessions = g_strsplit("aaaa0000 bbbb1111", " ", -1);
    start->max_duration_s = 28800;
    start->idle_timeout_s = 1800;
    start->certificate =
        (VmcRecordCertificate){g_strdup("alice@laptop key"), g_strdup("18446744073709551615"),
                               g_strdup("SHA256:pTzeeuvLQQMkftDQPn2x8v24SxwE8B8RvFzzqCzT//0"),
                               G_GINT64_CONSTANT(1796083200) * G_USEC_PER_SEC,
                               G_GINT64_CONSTANT(1798761599) * G_USEC_PER_SEC};
    start->key_expires = G_GINT64_CONSTANT(1893542400) * G_USEC_PER_SEC;
    assert_golden(&fields, GOLDEN_START);
}

/* An end record as session.c fills it, the counters from the relay's stats. */
static void
test_golden_end(void)
{
    g_autoptr(VmcRelayStats) stats = golden_stats();
    g_auto(VmcRecordFields) fields = {0};
    vmc_record_fields_init(&fields, VMC_LOG_EVENT_END);
    VmcRecordEnd *end = &fields.end;
    end->time = GOLDEN_TIME_US;
    golden_who(&end->who);
    end->start = G_GINT64_CONSTANT(1795946400250000);
    end->duration_s = 4;
    end->reason = g_strdup("taken-over");
    end->reason_text = g_strdup("taken over by a --takeover open");
    end->taken_over_by = g_strdup("99999999999999999999999999999999");
    end->viewer_exit = 1;
    end->viewer_signal = g_strdup("Terminated");
    end->viewer_log = g_strdup("(remote-viewer:12): Gtk-WARNING **: cannot open display");
    end->sound = (VmcRecordSound){g_strdup("tcp:127.0.0.1:47113"), VMC_RECORD_FLAG_FALSE,
                                  g_strdup("PipeWire 0.3.65"), g_strdup("none")};
    vmc_session_record_stats(end, stats);
    assert_golden(&fields, GOLDEN_END);
}

/* A denied record as commands.c fills it. */
static void
test_golden_denied(void)
{
    g_auto(VmcRecordFields) fields = {0};
    vmc_record_fields_init(&fields, VMC_LOG_EVENT_DENIED);
    VmcRecordDenied *denied = &fields.denied;
    denied->time = GOLDEN_TIME_US;
    denied->identity = g_strdup("mal \033]0;pwned\007\"zoe\x7f");
    denied->account = g_strdup("vmconsole");
    denied->key = g_strdup("SHA256:hojOFmryc3LjFvJGg56biAmqC/SQPEHDK2QlbINbDp0");
    denied->key_type = g_strdup("ssh-rsa");
    denied->client = g_strdup("198.51.100.9 48158");
    denied->request = vmc_text_escape("deb\033[2J\033[31mianx\007\xc3\xa9", -1, 1024);
    denied->vm = g_strdup("debianx");
    denied->reason = g_strdup("bad request: byte '\\x1b' at offset 3 is not printable ASCII");
    denied->exit = 2;
    assert_golden(&fields, GOLDEN_DENIED);
}

/* denied-limit.c's summaries, of one address and of every further one. */
static void
test_golden_denied_summary(void)
{
    VmcDeniedBucket bucket = {.client = "192.0.2.7",
                              .over_rate = 9990,
                              .low_space = 7,
                              .first_us = G_GINT64_CONSTANT(1795946525000000),
                              .last_us = G_GINT64_CONSTANT(1795946579999000)};
    bucket.exits[2] = 9000;
    bucket.exits[3] = 997;
    const char *const golden[] = {GOLDEN_DENIED_SUMMARY, GOLDEN_DENIED_SUMMARY_OTHERS};
    for (guint i = 0; i < G_N_ELEMENTS(golden); i++) {
        if (i == 1)
            g_strlcpy(bucket.client, VMC_DENIED_OTHERS, sizeof bucket.client);
        g_autoptr(VmcRecord) record =
            vmc_denied_summary_record("mallory", &bucket, "vmconsole", 30);
        g_autofree char *line = vmc_record_to_line(record, NULL);
        /* the summary's own "time" is now: the rest must be as before */
        g_autofree char *want = g_strdup_printf("%s\n", strstr(golden[i], ",\"identity\""));
        g_assert_cmpstr(strstr(line, ",\"identity\""), ==, want);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/session-record/summary", test_summary);
    g_test_add_func("/session-record/record", test_record);
    g_test_add_func("/session-record/series-downsampled", test_series_downsampled);
    g_test_add_func("/session-record/agent-policy", test_agent_policy_record);
    g_test_add_func("/session-record/agent", test_agent_record);
    g_test_add_func("/session-record/agent-policy-from-config", test_agent_policy_from_config);
    g_test_add_func("/session-record/golden/start", test_golden_start);
    g_test_add_func("/session-record/golden/end", test_golden_end);
    g_test_add_func("/session-record/golden/denied", test_golden_denied);
    g_test_add_func("/session-record/golden/denied-summary", test_golden_denied_summary);
    return g_test_run();
}
