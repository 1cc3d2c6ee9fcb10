/* sparkline.c — a series as one line of block characters for the terminal. Pure. */
#include "audit-priv.h"

#include <math.h>
#include <string.h>

#define VMC_SPARKLINE_LEVELS 8

/* U+2581 LOWER ONE EIGHTH BLOCK .. U+2588 FULL BLOCK, in UTF-8 */
static const char *const blocks[VMC_SPARKLINE_LEVELS] = {
    "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84",
    "\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88",
};
static const char ascii_ramp[VMC_SPARKLINE_LEVELS + 1] = "_.-:=+*#";

/* The largest value of the samples column `column` of `columns` covers. */
static double
column_peak(const GArray *values, guint column, guint columns)
{
    guint64 n = values->len;
    guint first = (guint)(n * column / columns);
    guint last = (guint)(n * (column + 1) / columns); /* exclusive */
    double peak = 0;
    for (guint i = first; i < MAX(last, first + 1) && i < n; i++) {
        double v = g_array_index(values, double, i);
        if (isfinite(v) && v > peak)
            peak = v;
    }
    return peak;
}

char *
vmc_audit_sparkline(const GArray *values, guint width, gboolean unicode)
{
    g_return_val_if_fail(values != NULL, NULL);
    guint columns = MIN(values->len, width);
    if (columns == 0)
        return g_strdup("");
    g_autofree double *peaks = g_new(double, columns);
    double top = 0;
    for (guint c = 0; c < columns; c++) {
        peaks[c] = column_peak(values, c, columns);
        top = MAX(top, peaks[c]);
    }
    GString *out = g_string_sized_new(columns * 3);
    for (guint c = 0; c < columns; c++) {
        if (peaks[c] <= 0 || top <= 0) {
            g_string_append_c(out, ' ');
            continue;
        }
        /* 1..8: any traffic at all shows as the lowest block */
        int level = (int)ceil(peaks[c] / top * VMC_SPARKLINE_LEVELS);
        level = CLAMP(level, 1, VMC_SPARKLINE_LEVELS);
        if (unicode)
            g_string_append(out, blocks[level - 1]);
        else
            g_string_append_c(out, ascii_ramp[level - 1]);
    }
    return g_string_free(out, FALSE);
}

static gboolean
names_utf8(const char *locale)
{
    g_autofree char *lower = g_ascii_strdown(locale, -1);
    return strstr(lower, "utf-8") != NULL || strstr(lower, "utf8") != NULL;
}

gboolean
vmc_audit_locale_is_utf8(const char *lc_all, const char *lc_ctype, const char *lang)
{
    const char *const settings[] = {lc_all, lc_ctype, lang};
    for (guint i = 0; i < G_N_ELEMENTS(settings); i++) {
        if (settings[i] != NULL && settings[i][0] != '\0')
            return names_utf8(settings[i]);
    }
    return FALSE;
}
