/* test-units.c — bytes, durations, rates and times for people, with each
 * rounding bound tested at the bound and one past it. */
#include <glib.h>

#include "vmc-common.h"

static void
test_bytes(void)
{
    static const struct {
        guint64 bytes;
        const char *want;
    } cases[] = {
        {0, "0 B"},
        {1023, "1023 B"},
        {1024, "1.0 KiB"},
        {1536, "1.5 KiB"},
        {10188, "9.9 KiB"}, /* 9.949 KiB: one decimal below 9.95 */
        {10189, "10 KiB"},  /* 9.950 KiB: rounds to 10, so no decimal */
        {10 * 1024, "10 KiB"},
        {1048063, "1023 KiB"}, /* 1023.499 KiB */
        {1048064, "1.0 MiB"},  /* 1023.5 KiB would print as "1024 KiB" */
        {1048575, "1.0 MiB"},
        {43 * 1048576ull, "43 MiB"},
        {(guint64)(1.2 * 1073741824.0), "1.2 GiB"},
        {G_MAXUINT64, "16 EiB"}, /* the last unit: no "1.0" of a next one */
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *got = vmc_format_bytes(cases[i].bytes);
        g_assert_cmpstr(got, ==, cases[i].want);
    }
}

static void
test_duration(void)
{
    static const struct {
        gint64 seconds;
        const char *want;
    } cases[] = {
        {-5, "0s"},       {0, "0s"},       {59, "59s"},     {60, "1m00s"},     {303, "5m03s"},
        {3599, "59m59s"}, {3600, "1h00m"}, {3720, "1h02m"}, {90000, "25h00m"},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *got = vmc_format_duration(cases[i].seconds);
        g_assert_cmpstr(got, ==, cases[i].want);
    }
}

static void
test_rate(void)
{
    static const struct {
        double rate;
        const char *want;
    } cases[] = {
        {0.0, "0 B/s"},
        {0.99, "0 B/s"},
        {-1.0, "0 B/s"},
        {1.0, "1 B/s"},
        {600.0, "600 B/s"},
        {1023.0, "1023 B/s"},
        {1024.0, "1.0 KiB/s"},
        {600.0 * 1024, "600.0 KiB/s"},
        {85.3 * 1048576.0, "85.3 MiB/s"},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *got = vmc_format_rate(cases[i].rate);
        g_assert_cmpstr(got, ==, cases[i].want);
    }
    g_autofree char *nan = vmc_format_rate(0.0 / 0.0);
    g_assert_cmpstr(nan, ==, "0 B/s");
}

static void
test_time(void)
{
    g_autofree char *t = vmc_format_time_us(1764410523123456);
    g_autofree char *epoch = vmc_format_time_us(0);
    g_autofree char *last_ms = vmc_format_time_us(999999);
    g_assert_cmpstr(t, ==, "2025-11-29T10:02:03.123Z");
    g_assert_cmpstr(epoch, ==, "1970-01-01T00:00:00.000Z");
    g_assert_cmpstr(last_ms, ==, "1970-01-01T00:00:00.999Z");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/units/bytes", test_bytes);
    g_test_add_func("/units/duration", test_duration);
    g_test_add_func("/units/rate", test_rate);
    g_test_add_func("/units/time", test_time);
    return g_test_run();
}
