/* units.c — bytes, rates, durations and record times as people and records
 * read them; shared by the gateway's summary line and the admin's tables. Pure. */
#include "vmc-common.h"

static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

/* value scaled below 1024 (from 1024 B on), and the index of its unit. */
static double
scale(double value, guint *ret_unit)
{
    guint unit = 0;
    while (value >= 1024.0 && unit + 1 < G_N_ELEMENTS(units)) {
        value /= 1024.0;
        unit++;
    }
    *ret_unit = unit;
    return value;
}

char *
vmc_format_bytes(guint64 bytes)
{
    if (bytes < 1024)
        return g_strdup_printf("%" G_GUINT64_FORMAT " B", bytes);
    guint unit;
    double value = scale((double)bytes, &unit);
    /* Decide on the rounded value, so 1023.96 KiB does not print as "1024 KiB". */
    if (value < 9.95)
        return g_strdup_printf("%.1f %s", value, units[unit]);
    if (value < 1023.5 || unit + 1 == G_N_ELEMENTS(units))
        return g_strdup_printf("%.0f %s", value, units[unit]);
    return g_strdup_printf("1.0 %s", units[unit + 1]);
}

char *
vmc_format_duration(gint64 seconds)
{
    if (seconds < 0)
        seconds = 0;
    if (seconds < 60)
        return g_strdup_printf("%" G_GINT64_FORMAT "s", seconds);
    if (seconds < 3600)
        return g_strdup_printf("%" G_GINT64_FORMAT "m%02" G_GINT64_FORMAT "s", seconds / 60,
                               seconds % 60);
    return g_strdup_printf("%" G_GINT64_FORMAT "h%02" G_GINT64_FORMAT "m", seconds / 3600,
                           (seconds % 3600) / 60);
}

char *
vmc_format_rate(double bytes_per_second)
{
    if (!(bytes_per_second >= 1.0)) /* also NaN */
        return g_strdup("0 B/s");
    if (bytes_per_second < 1024.0)
        return g_strdup_printf("%.0f B/s", bytes_per_second);
    guint unit;
    double value = scale(bytes_per_second, &unit);
    return g_strdup_printf("%.1f %s/s", value, units[unit]);
}

char *
vmc_format_time_us(gint64 real_time_us)
{
    g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc(real_time_us / G_USEC_PER_SEC);
    if (time == NULL)
        return g_strdup("1970-01-01T00:00:00.000Z");
    g_autofree char *seconds = g_date_time_format(time, "%Y-%m-%dT%H:%M:%S");
    return g_strdup_printf("%s.%03dZ", seconds, (int)((real_time_us % G_USEC_PER_SEC) / 1000));
}
