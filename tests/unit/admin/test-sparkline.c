/* sparkline.c: levels, squeezing into columns (peaks kept), ASCII and UTF-8, locales. */
#include "audit-priv.h"

#include <string.h>

static GArray *
values_of(const double *values, guint n)
{
    GArray *array = g_array_new(FALSE, FALSE, sizeof(double));
    g_array_append_vals(array, values, n);
    return array;
}

static void
test_levels(void)
{
    static const double values[] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
    g_autoptr(GArray) array = values_of(values, G_N_ELEMENTS(values));
    g_autofree char *ascii = vmc_audit_sparkline(array, 60, FALSE);
    g_assert_cmpstr(ascii, ==, " _.-:=+*#");
    g_autofree char *blocks = vmc_audit_sparkline(array, 60, TRUE);
    g_assert_cmpstr(blocks, ==,
                    " \xe2\x96\x81\xe2\x96\x82\xe2\x96\x83\xe2\x96\x84\xe2\x96\x85"
                    "\xe2\x96\x86\xe2\x96\x87\xe2\x96\x88");
    /* any traffic at all is visible: the smallest level, not a blank */
    static const double tiny[] = {1, 1e9};
    g_autoptr(GArray) tiny_array = values_of(tiny, 2);
    g_autofree char *t = vmc_audit_sparkline(tiny_array, 10, FALSE);
    g_assert_cmpstr(t, ==, "_#");
}

static void
test_squeeze(void)
{
    /* 100 samples into 10 columns: each column the peak of its 10 */
    g_autoptr(GArray) array = g_array_new(FALSE, TRUE, sizeof(double));
    g_array_set_size(array, 100);
    g_array_index(array, double, 35) = 8; /* column 3 */
    g_array_index(array, double, 99) = 4; /* column 9 */
    g_autofree char *line = vmc_audit_sparkline(array, 10, FALSE);
    g_assert_cmpstr(line, ==, "   #     :");
    g_assert_cmpuint(strlen(line), ==, 10);

    /* all zeros, and nothing */
    g_array_set_size(array, 0);
    g_array_set_size(array, 5);
    g_autofree char *zeros = vmc_audit_sparkline(array, 10, TRUE);
    g_assert_cmpstr(zeros, ==, "     ");
    g_array_set_size(array, 0);
    g_autofree char *empty = vmc_audit_sparkline(array, 10, TRUE);
    g_assert_cmpstr(empty, ==, "");
}

static void
test_locale(void)
{
    g_assert_true(vmc_audit_locale_is_utf8(NULL, NULL, "en_US.UTF-8"));
    g_assert_true(vmc_audit_locale_is_utf8("", "C.utf8", "C"));
    g_assert_false(vmc_audit_locale_is_utf8("C", NULL, "en_US.UTF-8")); /* LC_ALL wins */
    g_assert_false(vmc_audit_locale_is_utf8(NULL, NULL, NULL));
    g_assert_false(vmc_audit_locale_is_utf8(NULL, NULL, "POSIX"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/audit/sparkline/levels", test_levels);
    g_test_add_func("/audit/sparkline/squeeze", test_squeeze);
    g_test_add_func("/audit/sparkline/locale", test_locale);
    return g_test_run();
}
