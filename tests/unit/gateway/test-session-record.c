/* test-session-record.c — the summary line and the counters in a record. */
#include <glib.h>
#include <string.h>

#include "session-priv.h"

static VmcRelayStats *
sample_stats(void)
{
    VmcRelayStats *stats = g_new0(VmcRelayStats, 1);
    stats->channels[VMC_SPICE_CHANNEL_MAIN] = (VmcRelayChannelStats){100, 2000, 1};
    stats->channels[VMC_SPICE_CHANNEL_DISPLAY] = (VmcRelayChannelStats){500, (guint64)(1.2 * 1073741824.0), 1};
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
    g_autoptr(VmcRecord) record = vmc_record_new("end");
    vmc_session_record_stats(record, stats);
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
    JsonArray *series = json_object_get_array_member(
        json_object_get_object_member(object, "series"), "bytes");
    g_assert_cmpuint(json_array_get_length(series), ==, 3);
    gsize length;
    g_autofree char *line = vmc_record_to_line(record, &length);
    g_assert_nonnull(strstr(line, "\"channels\""));
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
    g_autoptr(VmcRecord) record = vmc_record_new("end");
    vmc_session_record_stats(record, stats);
    JsonObject *series = json_object_get_object_member(vmc_record_get_object(record), "series");
    JsonArray *bytes = json_object_get_array_member(series, "bytes");
    JsonArray *display = json_object_get_array_member(
        json_object_get_object_member(series, "channels"), "display");
    g_assert_cmpuint(json_array_get_length(bytes), <=, VMC_SESSION_SERIES_MAX);
    g_assert_cmpuint(json_array_get_length(bytes), ==, json_array_get_length(display));
    g_assert_cmpint(json_object_get_int_member(series, "step_s"), ==, 4);
    g_assert_cmpuint(array_sum(bytes), ==, total);
    g_assert_false(json_object_has_member(json_object_get_object_member(series, "channels"),
                                          "main"));
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
        g_autoptr(VmcRecord) record = vmc_record_new("start");
        vmc_session_record_agent_policy(record, &cases[i].policy);
        JsonObject *object = vmc_record_get_object(record);
        g_assert_cmpstr(json_object_get_string_member(object, "file_transfer"), ==,
                        cases[i].file_transfer);
        g_assert_cmpstr(json_object_get_string_member(object, "clipboard"), ==,
                        cases[i].clipboard);
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
    g_autoptr(VmcRecord) record = vmc_record_new("end");
    vmc_session_record_stats(record, stats);
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
    g_autoptr(VmcRecord) record = vmc_record_new("start");
    vmc_session_record_vm_agent_policy(record, config, "a");
    JsonObject *object = vmc_record_get_object(record);
    g_assert_cmpstr(json_object_get_string_member(object, "file_transfer"), ==, "allow");
    g_assert_cmpstr(json_object_get_string_member(object, "clipboard"), ==, "to-vm");
    g_autoptr(VmcConfig) defaults = vmc_config_new_default();
    vmc_session_agent_policy(defaults, "x", &policy);
    g_assert_true(!policy.file_transfer && policy.clipboard_to_vm && policy.clipboard_from_vm);
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
    return g_test_run();
}
