/* plot-draw.c — the throughput plot drawn with cairo, as PNG or SVG.
 *
 * The maths (ticks, units, downsampling) is plot-scale.c's; this only turns
 * it into lines and text. Names from the log (title, channel and stream
 * names) are escaped to printable ASCII before they are drawn.
 */
#include "audit-priv.h"

#include <cairo-svg.h>
#include <cairo.h>
#include <errno.h>
#include <fontconfig/fontconfig.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#define PLOT_MARGIN_LEFT 100
#define PLOT_MARGIN_RIGHT 190 /* the legend */
#define PLOT_MARGIN_TOP 70
#define PLOT_MARGIN_BOTTOM 60
#define PLOT_Y_TICKS 6
#define PLOT_X_TICKS 8
#define PLOT_LEGEND_NAME_MAX 24 /* bytes of an escaped channel name in the legend */
#define PLOT_FONT "DejaVu Sans"

typedef struct {
    double left, top, width, height; /* the plot area */
    double x_min, x_max;             /* seconds since the epoch */
    double y_top;                    /* bytes per second at the top edge */
} Frame;

static const double palette[][3] = {
    {0.12, 0.47, 0.71}, {1.00, 0.50, 0.05}, {0.17, 0.63, 0.17}, {0.84, 0.15, 0.16},
    {0.58, 0.40, 0.74}, {0.55, 0.34, 0.29}, {0.89, 0.47, 0.76}, {0.74, 0.74, 0.13},
    {0.09, 0.75, 0.81}, {0.50, 0.50, 0.50},
};

gboolean
vmc_plot_format_from_name(const char *path, VmcPlotFormat *ret_format)
{
    g_return_val_if_fail(path != NULL && ret_format != NULL, FALSE);
    g_autofree char *lower = g_ascii_strdown(path, -1);
    if (g_str_has_suffix(lower, ".png") && strlen(lower) > 4)
        *ret_format = VMC_PLOT_PNG;
    else if (g_str_has_suffix(lower, ".svg") && strlen(lower) > 4)
        *ret_format = VMC_PLOT_SVG;
    else
        return FALSE;
    return TRUE;
}

static double
x_of(const Frame *f, double x)
{
    return f->left + (x - f->x_min) / (f->x_max - f->x_min) * f->width;
}

static double
y_of(const Frame *f, double y)
{
    return f->top + f->height - y / f->y_top * f->height;
}

static void
show_text(cairo_t *cr, double x, double y, const char *text, double size, double align)
{
    cairo_set_font_size(cr, size);
    cairo_text_extents_t extents;
    cairo_text_extents(cr, text, &extents);
    cairo_move_to(cr, x - align * extents.x_advance, y);
    cairo_show_text(cr, text);
}

static void
draw_titles(cairo_t *cr, const char *title, const char *subtitle)
{
    g_autofree char *safe_title = vmc_text_escape(title, -1, VMC_AUDIT_CELL_MAX);
    g_autofree char *safe_subtitle = vmc_text_escape(subtitle, -1, VMC_AUDIT_CELL_MAX);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_select_font_face(cr, PLOT_FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    show_text(cr, PLOT_MARGIN_LEFT, 30, safe_title, 18, 0);
    cairo_select_font_face(cr, PLOT_FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
    show_text(cr, PLOT_MARGIN_LEFT, 52, safe_subtitle, 12, 0);
}

/* Horizontal grid lines and rate labels; sets f->y_top to a whole tick. */
static void
draw_y_axis(cairo_t *cr, Frame *f, double y_max)
{
    double divisor;
    const char *unit = vmc_plot_rate_unit(y_max, &divisor);
    double step = vmc_plot_nice_step(y_max / divisor, PLOT_Y_TICKS);
    double n_steps = MAX(1, ceil(y_max / divisor / step - 1e-9));
    f->y_top = n_steps * step * divisor;
    cairo_set_font_size(cr, 11);
    for (double i = 0; i <= n_steps; i++) {
        double y = round(y_of(f, i * step * divisor)) + 0.5;
        cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
        cairo_set_line_width(cr, 1);
        cairo_move_to(cr, f->left, y);
        cairo_line_to(cr, f->left + f->width, y);
        cairo_stroke(cr);
        g_autofree char *label = vmc_plot_tick_label(i * step, step, unit);
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        show_text(cr, f->left - 8, y + 4, label, 11, 1);
    }
}

/* Vertical ticks at whole local-time steps, labelled in tz. */
static void
draw_x_axis(cairo_t *cr, const Frame *f, GTimeZone *tz)
{
    double span = f->x_max - f->x_min;
    double step = vmc_plot_time_step(span, PLOT_X_TICKS);
    const char *format = vmc_plot_time_format(step);
    gint interval = g_time_zone_find_interval(tz, G_TIME_TYPE_UNIVERSAL, (gint64)f->x_min);
    double offset = interval >= 0 ? g_time_zone_get_offset(tz, interval) : 0;
    for (double t = ceil((f->x_min + offset) / step) * step - offset; t <= f->x_max; t += step) {
        double x = round(x_of(f, t)) + 0.5;
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        cairo_set_line_width(cr, 1);
        cairo_move_to(cr, x, f->top + f->height);
        cairo_line_to(cr, x, f->top + f->height + 5);
        cairo_stroke(cr);
        g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc((gint64)floor(t));
        g_autoptr(GDateTime) local = utc ? g_date_time_to_timezone(utc, tz) : NULL;
        g_autofree char *label = local ? g_date_time_format(local, format) : NULL;
        if (label != NULL)
            show_text(cr, x, f->top + f->height + 20, label, 11, 0.5);
    }
    const char *zone = interval >= 0 ? g_time_zone_get_abbreviation(tz, interval) : NULL;
    g_autofree char *caption = g_strdup_printf("time (%s)", zone != NULL ? zone : "local");
    g_autofree char *safe = vmc_text_escape(caption, -1, 40);
    show_text(cr, f->left + f->width / 2, f->top + f->height + 44, safe, 12, 0.5);
    /* the axes themselves */
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_move_to(cr, f->left + 0.5, f->top);
    cairo_line_to(cr, f->left + 0.5, f->top + f->height + 0.5);
    cairo_line_to(cr, f->left + f->width, f->top + f->height + 0.5);
    cairo_stroke(cr);
}

/* The streams' own colours, none of them in palette[]. */
static const double stream_palette[][3] = {
    {0.00, 0.00, 0.55},
    {0.60, 0.00, 0.40},
    {0.00, 0.45, 0.35},
    {0.45, 0.25, 0.00},
};

static void
set_series_style(cairo_t *cr, guint index, VmcPlotKind kind)
{
    static const double dash[] = {6, 3};
    static const double dots[] = {1.5, 3};
    const double *rgb;
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    switch (kind) {
    case VMC_PLOT_TOTAL: /* dashed on top: a channel that carries it all stays visible */
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        cairo_set_line_width(cr, 1.5);
        cairo_set_dash(cr, dash, G_N_ELEMENTS(dash), 0);
        return;
    case VMC_PLOT_STREAM: /* not Spice: dotted, thicker, colours of their own */
        rgb = stream_palette[index % G_N_ELEMENTS(stream_palette)];
        cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
        cairo_set_line_width(cr, 2.5);
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
        cairo_set_dash(cr, dots, G_N_ELEMENTS(dots), 0);
        return;
    case VMC_PLOT_CHANNEL:
        break;
    }
    cairo_set_dash(cr, NULL, 0, 0);
    rgb = palette[index % G_N_ELEMENTS(palette)];
    cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
    cairo_set_line_width(cr, 1.5);
}

static void
draw_segment(cairo_t *cr, const Frame *f, const GArray *points)
{
    double span = f->x_max - f->x_min;
    const VmcPlotPoint *first = &g_array_index(points, VmcPlotPoint, 0);
    const VmcPlotPoint *last = &g_array_index(points, VmcPlotPoint, points->len - 1);
    double seg_min = first->x, seg_max = MAX(last->x, first->x + 1e-3);
    guint columns = (guint)CLAMP(ceil(f->width * (seg_max - seg_min) / span), 1, f->width);
    g_autoptr(GArray) drawn = vmc_plot_downsample(points, seg_min, seg_max, columns);
    for (guint i = 0; i < drawn->len; i++) {
        const VmcPlotPoint *p = &g_array_index(drawn, VmcPlotPoint, i);
        double x = x_of(f, p->x), y = y_of(f, MIN(p->y, f->y_top));
        if (i == 0)
            cairo_move_to(cr, x, y);
        else
            cairo_line_to(cr, x, y);
    }
    if (drawn->len == 1) /* one sample: a short mark */
        cairo_rel_line_to(cr, 2, 0);
    cairo_stroke(cr);
}

static void
draw_series(cairo_t *cr, const Frame *f, const VmcPlotData *data)
{
    cairo_save(cr);
    cairo_rectangle(cr, f->left, f->top - 2, f->width + 2, f->height + 4);
    cairo_clip(cr);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    /* channels and streams first, the total on top */
    for (guint pass = 0; pass < 2; pass++) {
        for (guint i = 0; i < data->series->len; i++) {
            const VmcPlotSeries *series = data->series->pdata[i];
            gboolean total = series->kind == VMC_PLOT_TOTAL;
            if (total != (pass == 1))
                continue;
            set_series_style(cr, i, series->kind);
            for (guint s = 0; s < series->segments->len; s++)
                draw_segment(cr, f, series->segments->pdata[s]);
        }
    }
    cairo_restore(cr);
}

/* The legend's text for a series: streams say so, and beside them the
 * total says it is Spice's alone. */
static char *
legend_label(const VmcPlotSeries *series, gboolean with_streams)
{
    g_autofree char *name = vmc_text_escape(series->name, -1, PLOT_LEGEND_NAME_MAX);
    if (series->kind == VMC_PLOT_STREAM)
        return g_strdup_printf("%s stream", name);
    if (series->kind == VMC_PLOT_TOTAL && with_streams)
        return g_strdup_printf("Spice %s", name);
    return g_steal_pointer(&name);
}

static void
draw_legend(cairo_t *cr, const Frame *f, const VmcPlotData *data)
{
    double x = f->left + f->width + 20, y = f->top + 10;
    gboolean with_streams = FALSE;
    for (guint i = 0; i < data->series->len; i++)
        with_streams |= ((const VmcPlotSeries *)data->series->pdata[i])->kind == VMC_PLOT_STREAM;
    cairo_select_font_face(cr, PLOT_FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    for (guint i = 0; i < data->series->len; i++, y += 20) {
        const VmcPlotSeries *series = data->series->pdata[i];
        set_series_style(cr, i, series->kind);
        cairo_move_to(cr, x, y);
        cairo_line_to(cr, x + 24, y);
        cairo_stroke(cr);
        g_autofree char *label = legend_label(series, with_streams);
        cairo_set_source_rgb(cr, 0, 0, 0);
        show_text(cr, x + 32, y + 4, label, 12, 0);
    }
}

static void
draw_all(cairo_t *cr, const VmcPlotData *data, const char *title, const char *subtitle,
         GTimeZone *tz)
{
    Frame f = {
        .left = PLOT_MARGIN_LEFT,
        .top = PLOT_MARGIN_TOP,
        .width = VMC_PLOT_WIDTH - PLOT_MARGIN_LEFT - PLOT_MARGIN_RIGHT,
        .height = VMC_PLOT_HEIGHT - PLOT_MARGIN_TOP - PLOT_MARGIN_BOTTOM,
        .x_min = data->x_min,
        .x_max = data->x_max,
    };
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    draw_titles(cr, title, subtitle);
    draw_y_axis(cr, &f, data->y_max);
    draw_x_axis(cr, &f, tz);
    draw_series(cr, &f, data);
    draw_legend(cr, &f, data);
}

typedef struct {
    int fd;
    int saved_errno;
} Sink;

static cairo_status_t
write_to_fd(void *closure, const unsigned char *bytes, unsigned int length)
{
    Sink *sink = closure;
    while (length > 0) {
        ssize_t n = write(sink->fd, bytes, length);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            sink->saved_errno = n < 0 ? errno : EIO;
            return CAIRO_STATUS_WRITE_ERROR;
        }
        bytes += n;
        length -= (unsigned int)n;
    }
    return CAIRO_STATUS_SUCCESS;
}

gboolean
vmc_plot_draw(const VmcPlotData *data, const char *title, const char *subtitle, GTimeZone *tz,
              VmcPlotFormat format, int fd, GError **error)
{
    g_return_val_if_fail(data != NULL && title != NULL && subtitle != NULL && tz != NULL, FALSE);
    Sink sink = {fd, 0};
    cairo_surface_t *surface =
        format == VMC_PLOT_SVG
            ? cairo_svg_surface_create_for_stream(write_to_fd, &sink, VMC_PLOT_WIDTH,
                                                  VMC_PLOT_HEIGHT)
            : cairo_image_surface_create(CAIRO_FORMAT_RGB24, VMC_PLOT_WIDTH, VMC_PLOT_HEIGHT);
    cairo_t *cr = cairo_create(surface);
    draw_all(cr, data, title, subtitle, tz);
    cairo_status_t status = cairo_status(cr);
    cairo_destroy(cr);
    if (status == CAIRO_STATUS_SUCCESS && format == VMC_PLOT_PNG)
        status = cairo_surface_write_to_png_stream(surface, write_to_fd, &sink);
    cairo_surface_finish(surface);
    if (status == CAIRO_STATUS_SUCCESS)
        status = cairo_surface_status(surface);
    cairo_surface_destroy(surface);
    /* Drop cairo's font caches and fontconfig's config: plotting is the last
     * thing vmconsole-admin does, and leak checkers would report them. */
    cairo_debug_reset_static_data();
    FcFini();
    if (status != CAIRO_STATUS_SUCCESS) {
        g_set_error(
            error, G_FILE_ERROR,
            sink.saved_errno ? g_file_error_from_errno(sink.saved_errno) : G_FILE_ERROR_FAILED,
            "%s", sink.saved_errno ? g_strerror(sink.saved_errno) : cairo_status_to_string(status));
        return FALSE;
    }
    return TRUE;
}
