/* relay-rate.c — per-second byte totals for the relay: a running bucket for
 * the second in progress, completed seconds in a bounded series, the peak
 * second and the mean. Pure: time comes in as arguments. */
#include "relay-priv.h"

void
vmc_relay_rate_init(VmcRelayRate *rate, gint64 now_us, gint64 now_real_us)
{
    *rate = (VmcRelayRate){
        .start_us = now_us,
        .start_real_us = now_real_us,
        .second_end_us = now_us + G_USEC_PER_SEC,
        .series = g_array_sized_new(FALSE, FALSE, sizeof(guint64), 64),
        .step_s = 1,
        .peak_second = -1,
    };
}

void
vmc_relay_rate_clear(VmcRelayRate *rate)
{
    g_clear_pointer(&rate->series, g_array_unref);
}

/* Merge adjacent samples: the series halves, each sample covers twice the
 * seconds. An odd last sample becomes the group in progress. */
static void
merge_series(VmcRelayRate *rate)
{
    GArray *series = rate->series;
    guint64 *samples = (guint64 *)(void *)series->data;
    guint pairs = series->len / 2;

    if (series->len % 2 != 0) {
        rate->group_bytes += samples[series->len - 1];
        rate->group_seconds += rate->step_s;
    }
    for (guint i = 0; i < pairs; i++)
        samples[i] = samples[2 * i] + samples[2 * i + 1];
    g_array_set_size(series, pairs);
    rate->step_s *= 2;
}

static void
complete_second(VmcRelayRate *rate)
{
    guint64 bytes = rate->second_bytes;

    if (bytes > rate->peak_bytes) {
        rate->peak_bytes = bytes;
        rate->peak_second = rate->second;
    }
    rate->group_bytes += bytes;
    rate->group_seconds++;
    if (rate->group_seconds >= rate->step_s) {
        g_array_append_val(rate->series, rate->group_bytes);
        rate->group_bytes = 0;
        rate->group_seconds = 0;
        if (rate->series->len >= VMC_RELAY_SERIES_MAX)
            merge_series(rate);
    }
    rate->second_bytes = 0;
    rate->second++;
    rate->second_end_us += G_USEC_PER_SEC;
}

void
vmc_relay_rate_advance(VmcRelayRate *rate, gint64 now_us)
{
    while (now_us >= rate->second_end_us)
        complete_second(rate);
}

GArray *
vmc_relay_rate_copy_series(VmcRelayRate *rate, gint64 now_us)
{
    vmc_relay_rate_advance(rate, now_us);
    GArray *series = g_array_sized_new(FALSE, FALSE, sizeof(guint64), rate->series->len + 1);
    g_array_append_vals(series, rate->series->data, rate->series->len);
    if (rate->group_seconds > 0)
        g_array_append_val(series, rate->group_bytes);
    return series;
}

void
vmc_relay_rate_fill(VmcRelayRate *rate, gint64 now_us, double *ret_peak_rate,
                    gint64 *ret_peak_time_us, double *ret_mean_rate)
{
    vmc_relay_rate_advance(rate, now_us);
    *ret_peak_rate = (double)rate->peak_bytes;
    *ret_peak_time_us =
        rate->peak_second >= 0 ? rate->start_real_us + rate->peak_second * G_USEC_PER_SEC : 0;
    gint64 elapsed_us = now_us - rate->start_us;
    *ret_mean_rate = elapsed_us > 0 ? (double)rate->total * G_USEC_PER_SEC / elapsed_us : 0.0;
}

void
vmc_relay_rate_fill_stats(VmcRelayRate *rate, gint64 now_us, VmcRelayStats *stats)
{
    stats->series = vmc_relay_rate_copy_series(rate, now_us);
    stats->series_step_s = rate->step_s;
    stats->started_us = rate->start_real_us;
    vmc_relay_rate_fill(rate, now_us, &stats->peak_rate, &stats->peak_time_us, &stats->mean_rate);
}
