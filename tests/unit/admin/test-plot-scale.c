/* plot-scale.c: nice ticks, rate units and labels, time steps, downsampling
 * that keeps peaks, and the plot's series built from sessions (the streams
 * as series of their own). */
#include "audit-priv.h"

#include <string.h>

#include "audit-test-data.h"

static void
test_nice_step(void)
{
    const struct {
        double span;
        guint ticks;
        double step;
    } cases[] = {
        {10, 5, 2},     {10, 10, 1}, {10, 4, 5}, {7, 6, 2},     {85.3, 6, 20}, {0.9, 6, 0.2},
        {1000, 6, 200}, {1, 1, 1},   {3, 1, 5},  {950, 6, 200}, {1e9, 5, 2e8}, {1.1e9, 5, 5e8},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        double step = vmc_plot_nice_step(cases[i].span, cases[i].ticks);
        g_assert_cmpfloat_with_epsilon(step, cases[i].step, cases[i].step * 1e-9);
        g_assert_cmpfloat(cases[i].span / step, <=, cases[i].ticks + 1e-9);
    }
}

static void
test_units_and_labels(void)
{
    double divisor;
    g_assert_cmpstr(vmc_plot_rate_unit(500, &divisor), ==, "B/s");
    g_assert_cmpfloat(divisor, ==, 1);
    g_assert_cmpstr(vmc_plot_rate_unit(600 * 1024, &divisor), ==, "KiB/s");
    g_assert_cmpfloat(divisor, ==, 1024);
    g_assert_cmpstr(vmc_plot_rate_unit(85.3 * 1048576, &divisor), ==, "MiB/s");
    g_assert_cmpstr(vmc_plot_rate_unit(3.0 * 1073741824, &divisor), ==, "GiB/s");
    g_assert_cmpstr(vmc_plot_rate_unit(0, &divisor), ==, "B/s");

    const struct {
        double value, step;
        const char *label;
    } cases[] = {
        {0, 20, "0 MiB/s"},      {40, 20, "40 MiB/s"},      {2.5, 0.5, "2.5 MiB/s"},
        {0.4, 0.2, "0.4 MiB/s"}, {1e-12, 0.2, "0.0 MiB/s"}, {0.05, 0.05, "0.05 MiB/s"},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *label = vmc_plot_tick_label(cases[i].value, cases[i].step, "MiB/s");
        g_assert_cmpstr(label, ==, cases[i].label);
    }
}

static void
test_time_steps(void)
{
    g_assert_cmpfloat(vmc_plot_time_step(4, 8), ==, 1);
    g_assert_cmpfloat(vmc_plot_time_step(60, 8), ==, 10);
    g_assert_cmpfloat(vmc_plot_time_step(3600, 8), ==, 600);
    g_assert_cmpfloat(vmc_plot_time_step(86400, 8), ==, 10800);
    g_assert_cmpfloat(vmc_plot_time_step(30 * 86400, 8), ==, 604800);
    g_assert_cmpstr(vmc_plot_time_format(10), ==, "%H:%M:%S");
    g_assert_cmpstr(vmc_plot_time_format(600), ==, "%H:%M");
    g_assert_cmpstr(vmc_plot_time_format(604800), ==, "%Y-%m-%d");
}

static void
test_downsample(void)
{
    g_autoptr(GArray) points = g_array_new(FALSE, FALSE, sizeof(VmcPlotPoint));
    for (guint i = 0; i < 1000; i++) {
        VmcPlotPoint p = {i, i == 567 ? 1000 : 1};
        g_array_append_val(points, p);
    }
    g_autoptr(GArray) out = vmc_plot_downsample(points, 0, 1000, 100);
    g_assert_cmpuint(out->len, ==, 100);
    double peak = 0;
    for (guint i = 0; i < out->len; i++) {
        VmcPlotPoint *p = &g_array_index(out, VmcPlotPoint, i);
        peak = MAX(peak, p->y);
        if (p->y == 1000)
            g_assert_cmpfloat(p->x, ==, 564.5); /* the mean x of 560..569 */
    }
    g_assert_cmpfloat(peak, ==, 1000); /* the spike survives */

    /* already fits: unchanged */
    g_autoptr(GArray) same = vmc_plot_downsample(points, 0, 1000, 2000);
    g_assert_cmpuint(same->len, ==, 1000);
}

static void
test_plot_data(void)
{
    g_autoptr(GPtrArray) sessions =
        g_ptr_array_new_with_free_func((GDestroyNotify)vmc_audit_session_free);
    g_autoptr(VmcPlotData) none = vmc_plot_data_new(sessions);
    g_assert_null(none);

    VmcAuditSession *a = vmc_audit_session_new(SESSION_ID);
    g_assert_true(vmc_audit_session_add_line(a, END_LINE, strlen(END_LINE), 1));
    g_ptr_array_add(sessions, a);
    VmcAuditSession *b = vmc_audit_session_new("fedcba9876543210fedcba9876543210");
    g_assert_true(vmc_audit_session_add_line(b, OLD_END_LINE, strlen(OLD_END_LINE), 2));
    g_ptr_array_add(sessions, b);
    VmcAuditSession *c = vmc_audit_session_new("aaaa"); /* no series: skipped */
    g_ptr_array_add(sessions, c);

    g_autoptr(VmcPlotData) data = vmc_plot_data_new(sessions);
    g_assert_nonnull(data);
    g_assert_cmpuint(data->n_sessions, ==, 2);
    g_assert_cmpuint(data->series->len, ==, 3);
    const VmcPlotSeries *total = data->series->pdata[0];
    const VmcPlotSeries *display = data->series->pdata[1];
    const VmcPlotSeries *main_channel = data->series->pdata[2];
    g_assert_cmpstr(total->name, ==, "total");
    g_assert_cmpuint(total->segments->len, ==, 2); /* both sessions */
    g_assert_cmpstr(display->name, ==, "display");
    g_assert_cmpuint(display->segments->len, ==, 1); /* the old record has no channels */
    g_assert_cmpstr(main_channel->name, ==, "main");
    g_assert_cmpfloat(data->x_min, ==, 1795946400.0);
    g_assert_cmpfloat(data->x_max, ==, 1795946400.0 + 3600 + 10);
    g_assert_cmpfloat(data->y_max, ==, 3000000);
    /* the old record's 5 s steps are rates: 10000 bytes in 5 s = 2000 B/s */
    const GArray *old = total->segments->pdata[1];
    g_assert_cmpfloat(g_array_index(old, VmcPlotPoint, 1).y, ==, 2000);
    g_assert_cmpfloat(g_array_index(old, VmcPlotPoint, 1).x, ==, 1795950000.0 + 7.5);
}

/* The streams are series of their own kind, after the total and the
 * channels, on the same time axis and rate scale; a stream never merges
 * with a channel of the same name. */
static void
test_plot_streams(void)
{
    g_autoptr(GPtrArray) sessions =
        g_ptr_array_new_with_free_func((GDestroyNotify)vmc_audit_session_free);
    VmcAuditSession *a = vmc_audit_session_new(STREAMS_ID);
    g_assert_true(vmc_audit_session_add_line(a, STREAMS_END_LINE, strlen(STREAMS_END_LINE), 1));
    g_ptr_array_add(sessions, a);
    const char *named_like_a_channel =
        "{\"event\":\"end\",\"session\":\"abcd\",\"start\":\"2026-11-29T11:00:00Z\","
        "\"series\":{\"step_s\":2,\"bytes\":[4,4],\"channels\":{\"display\":[4,4]},"
        "\"streams\":{\"display\":[6,8],\"total\":[2,2]}}}";
    VmcAuditSession *b = vmc_audit_session_new("abcd");
    g_assert_true(
        vmc_audit_session_add_line(b, named_like_a_channel, strlen(named_like_a_channel), 2));
    g_ptr_array_add(sessions, b);

    g_autoptr(VmcPlotData) data = vmc_plot_data_new(sessions);
    g_assert_nonnull(data);
    const struct {
        VmcPlotKind kind;
        const char *name;
        guint segments;
    } expected[] = {
        {VMC_PLOT_TOTAL, "total", 2},  {VMC_PLOT_CHANNEL, "display", 2},
        {VMC_PLOT_STREAM, "audio", 1}, {VMC_PLOT_STREAM, "display", 1},
        {VMC_PLOT_STREAM, "total", 1}, {VMC_PLOT_STREAM, "x11", 1},
    };
    g_assert_cmpuint(data->series->len, ==, G_N_ELEMENTS(expected));
    for (guint i = 0; i < G_N_ELEMENTS(expected); i++) {
        const VmcPlotSeries *series = data->series->pdata[i];
        g_assert_cmpint(series->kind, ==, expected[i].kind);
        g_assert_cmpstr(series->name, ==, expected[i].name);
        g_assert_cmpuint(series->segments->len, ==, expected[i].segments);
    }
    /* the X11 stream's 20 MB second sets the scale; its points are rates at
     * the middle of each step, like the channels' */
    g_assert_cmpfloat(data->y_max, ==, 20000000);
    const GArray *x11 = ((const VmcPlotSeries *)data->series->pdata[5])->segments->pdata[0];
    g_assert_cmpuint(x11->len, ==, 4);
    g_assert_cmpfloat(g_array_index(x11, VmcPlotPoint, 1).x, ==, 1795946400.0 + 1.5);
    g_assert_cmpfloat(g_array_index(x11, VmcPlotPoint, 1).y, ==, 20000000);
    const GArray *display = ((const VmcPlotSeries *)data->series->pdata[3])->segments->pdata[0];
    g_assert_cmpfloat(g_array_index(display, VmcPlotPoint, 1).y, ==, 4); /* 8 bytes in 2 s */
    g_assert_cmpfloat(data->x_max, ==, 1795950000.0 + 4);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/audit/plot/nice-step", test_nice_step);
    g_test_add_func("/audit/plot/units-and-labels", test_units_and_labels);
    g_test_add_func("/audit/plot/time-steps", test_time_steps);
    g_test_add_func("/audit/plot/downsample", test_downsample);
    g_test_add_func("/audit/plot/data", test_plot_data);
    g_test_add_func("/audit/plot/streams", test_plot_streams);
    return g_test_run();
}
