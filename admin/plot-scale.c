/* plot-scale.c — the plot's maths: rates on a time axis, nice ticks, units,
 * downsampling to the pixels there are. Pure. */
#include "audit-priv.h"

#include <math.h>
#include <string.h>

static void
plot_series_free(VmcPlotSeries *series)
{
    if (series == NULL)
        return;
    g_free(series->name);
    g_ptr_array_unref(series->segments);
    g_free(series);
}

void
vmc_plot_data_free(VmcPlotData *data)
{
    if (data == NULL)
        return;
    g_ptr_array_unref(data->series);
    g_free(data);
}

/* The series of that kind and name (a stream and a channel of one name stay apart). */
static VmcPlotSeries *
series_for(VmcPlotData *data, VmcPlotKind kind, const char *name)
{
    for (guint i = 0; i < data->series->len; i++) {
        VmcPlotSeries *series = data->series->pdata[i];
        if (series->kind == kind && strcmp(series->name, name) == 0)
            return series;
    }
    VmcPlotSeries *series = g_new0(VmcPlotSeries, 1);
    series->name = g_strdup(name);
    series->kind = kind;
    series->segments = g_ptr_array_new_with_free_func((GDestroyNotify)g_array_unref);
    g_ptr_array_add(data->series, series);
    return series;
}

/* samples (bytes per step) as rates at the middle of each step. */
static void
add_segment(VmcPlotData *data, VmcPlotKind kind, const char *name, const GArray *samples,
            double start_s, double step_s)
{
    GArray *points = g_array_sized_new(FALSE, FALSE, sizeof(VmcPlotPoint), samples->len);
    for (guint i = 0; i < samples->len; i++) {
        VmcPlotPoint point = {start_s + (i + 0.5) * step_s,
                              g_array_index(samples, double, i) / step_s};
        g_array_append_val(points, point);
        data->y_max = MAX(data->y_max, point.y);
    }
    data->x_min = MIN(data->x_min, start_s);
    data->x_max = MAX(data->x_max, start_s + samples->len * step_s);
    g_ptr_array_add(series_for(data, kind, name)->segments, points);
}

static gint
compare_series(gconstpointer a, gconstpointer b)
{
    const VmcPlotSeries *x = *(VmcPlotSeries *const *)a;
    const VmcPlotSeries *y = *(VmcPlotSeries *const *)b;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    return strcmp(x->name, y->name);
}

VmcPlotData *
vmc_plot_data_new(const GPtrArray *sessions)
{
    g_return_val_if_fail(sessions != NULL, NULL);
    g_autoptr(VmcPlotData) data = g_new0(VmcPlotData, 1);
    data->series = g_ptr_array_new_with_free_func((GDestroyNotify)plot_series_free);
    data->x_min = INFINITY;
    data->x_max = -INFINITY;
    for (guint i = 0; i < sessions->len; i++) {
        const VmcAuditSession *s = sessions->pdata[i];
        if (s->total == NULL || s->total->len == 0 || s->step_s <= 0 || s->start_us < 0)
            continue;
        double start = (double)s->start_us / G_USEC_PER_SEC;
        add_segment(data, VMC_PLOT_TOTAL, "total", s->total, start, (double)s->step_s);
        for (guint c = 0; c < s->channels->len; c++) {
            const VmcAuditChannel *channel = s->channels->pdata[c];
            /* "total" is ours: a channel of that name would read as the total */
            if (channel->series != NULL && strcmp(channel->name, "total") != 0)
                add_segment(data, VMC_PLOT_CHANNEL, channel->name, channel->series, start,
                            (double)s->step_s);
        }
        for (guint t = 0; t < s->streams->len; t++) {
            const VmcAuditStream *stream = s->streams->pdata[t];
            if (stream->series != NULL)
                add_segment(data, VMC_PLOT_STREAM, stream->name, stream->series, start,
                            (double)s->step_s);
        }
        data->n_sessions++;
    }
    if (data->n_sessions == 0)
        return NULL;
    if (!(data->y_max > 0))
        data->y_max = 1;
    if (!(data->x_max > data->x_min))
        data->x_max = data->x_min + 1;
    g_ptr_array_sort(data->series, compare_series);
    return g_steal_pointer(&data);
}

double
vmc_plot_nice_step(double span, guint max_ticks)
{
    g_return_val_if_fail(span > 0 && max_ticks >= 1, 1);
    double raw = span / max_ticks;
    double power = pow(10, floor(log10(raw)));
    static const double factors[] = {1, 2, 5, 10};
    for (guint i = 0; i < G_N_ELEMENTS(factors); i++) {
        /* a little slack so 10/5 gives 2, not 5, despite rounding */
        if (factors[i] * power >= raw * (1 - 1e-9))
            return factors[i] * power;
    }
    return 10 * power;
}

const char *
vmc_plot_rate_unit(double max_rate, double *ret_divisor)
{
    static const char *const units[] = {"B/s", "KiB/s", "MiB/s", "GiB/s", "TiB/s"};
    double divisor = 1;
    guint unit = 0;
    while (max_rate / divisor >= 1024 && unit + 1 < G_N_ELEMENTS(units)) {
        divisor *= 1024;
        unit++;
    }
    *ret_divisor = divisor;
    return units[unit];
}

char *
vmc_plot_tick_label(double value, double step, const char *unit)
{
    int decimals = 0;
    while (decimals < 6 && fabs(step * pow(10, decimals) - round(step * pow(10, decimals))) >
                               1e-6 * pow(10, decimals))
        decimals++;
    if (fabs(value) < step * 1e-9)
        value = 0; /* no "-0" */
    return g_strdup_printf("%.*f %s", decimals, value, unit);
}

static const double time_steps[] = {
    1,        2,      5,      10,      15,      30,      /* seconds */
    60,       120,    300,    600,     900,     1800,    /* minutes */
    3600,     7200,   10800,  21600,   43200,            /* hours */
    86400,    172800, 604800, 1209600, 2592000, 7776000, /* days */
    31536000,
};

double
vmc_plot_time_step(double span_s, guint max_ticks)
{
    g_return_val_if_fail(max_ticks >= 1, 1);
    for (guint i = 0; i < G_N_ELEMENTS(time_steps); i++) {
        if (span_s / time_steps[i] <= max_ticks)
            return time_steps[i];
    }
    return vmc_plot_nice_step(span_s, max_ticks);
}

const char *
vmc_plot_time_format(double step_s)
{
    if (step_s < 60)
        return "%H:%M:%S";
    if (step_s < 86400)
        return "%H:%M";
    return "%Y-%m-%d";
}

GArray *
vmc_plot_downsample(const GArray *points, double x_min, double x_max, guint columns)
{
    g_return_val_if_fail(points != NULL && columns > 0 && x_max > x_min, NULL);
    GArray *out = g_array_new(FALSE, FALSE, sizeof(VmcPlotPoint));
    if (points->len <= columns) {
        g_array_append_vals(out, points->data, points->len);
        return out;
    }
    double width = (x_max - x_min) / columns;
    gint64 current = -1;
    double sum_x = 0, peak = 0;
    guint n = 0;
    for (guint i = 0; i <= points->len; i++) {
        const VmcPlotPoint *p = i < points->len ? &g_array_index(points, VmcPlotPoint, i) : NULL;
        gint64 column =
            p != NULL ? (gint64)CLAMP(floor((p->x - x_min) / width), 0, columns - 1) : -2;
        if (column != current && n > 0) {
            VmcPlotPoint merged = {sum_x / n, peak};
            g_array_append_val(out, merged);
            sum_x = 0, peak = 0, n = 0;
        }
        if (p == NULL)
            break;
        current = column;
        sum_x += p->x;
        peak = n == 0 ? p->y : MAX(peak, p->y);
        n++;
    }
    return out;
}
