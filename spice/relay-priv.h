/* relay-priv.h — the relay's internals that its unit tests reach: the
 * per-second rate series (pure) and a few test hooks. */
#pragma once

#include "vmc-spice.h"

G_BEGIN_DECLS

/* Change the pid allowed to connect; connections already accepted are kept.
 * Replaces a peer check (the gateway sets a check: vmc_relay_set_peer_check). */
void vmc_relay_set_peer_pid(VmcRelay *relay, pid_t peer_pid);

/* Bytes per second since a start time: a running bucket for the second in
 * progress, completed seconds pushed into a bounded series (samples of
 * step_s seconds, merged pairwise when the series is full). */
typedef struct {
    gint64 start_us;      /* monotonic */
    gint64 start_real_us; /* wall clock at start_us */
    gint64 second;        /* index of the second in progress */
    gint64 second_end_us; /* monotonic end of the second in progress */
    guint64 second_bytes;
    GArray *series; /* of guint64: whole samples of step_s seconds */
    guint step_s;
    guint64 group_bytes; /* completed seconds not yet a whole sample */
    guint group_seconds;
    guint64 peak_bytes;
    gint64 peak_second; /* -1 while no second carried a byte */
    guint64 total;
} VmcRelayRate;

void vmc_relay_rate_init(VmcRelayRate *rate, gint64 now_us, gint64 now_real_us);
void vmc_relay_rate_clear(VmcRelayRate *rate);
/* Complete every second that ended at or before now_us (empty ones as 0). */
void vmc_relay_rate_advance(VmcRelayRate *rate, gint64 now_us);
/* Fill the rate fields of stats (series copy, step, peak, mean) as of now_us.
 * The series holds every completed second (the last sample may cover fewer
 * than step_s of them); the second in progress is not in it. */
void vmc_relay_rate_fill_stats(VmcRelayRate *rate, gint64 now_us, VmcRelayStats *stats);
/* Peak (bytes/s of the busiest completed second, and its wall-clock start;
 * 0 when none carried a byte) and mean rate as of now_us. */
void vmc_relay_rate_fill(VmcRelayRate *rate, gint64 now_us, double *ret_peak_rate,
                         gint64 *ret_peak_time_us, double *ret_mean_rate);
/* The series as of now_us (a new array, the partial last sample included).
 * Rates started at the same time and advanced to the same now_us have
 * series of the same length and step. */
GArray *vmc_relay_rate_copy_series(VmcRelayRate *rate, gint64 now_us);

/* Count bytes at now_us (monotonic, never earlier than a previous call). */
static inline void
vmc_relay_rate_add(VmcRelayRate *rate, gint64 now_us, guint64 bytes)
{
    if (G_UNLIKELY(now_us >= rate->second_end_us))
        vmc_relay_rate_advance(rate, now_us);
    rate->second_bytes += bytes;
    rate->total += bytes;
}

/* Test hooks. */
void vmc_relay_set_link_timeout_ms(VmcRelay *relay, guint timeout_ms);
/* The most bytes one connection ever held in its two buffers. */
gsize vmc_relay_get_buffered_peak(VmcRelay *relay);
guint vmc_relay_get_n_connections(VmcRelay *relay);
/* Bytes counted in the second in progress. */
guint64 vmc_relay_get_current_second_bytes(VmcRelay *relay);

G_END_DECLS
