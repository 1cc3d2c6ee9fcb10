/* plot.c — `vmconsole-admin plot SESSION -o FILE` or `plot --vm VM
 * [--since DATE] [--until DATE] -o FILE`: throughput over time per Spice
 * channel, as PNG or SVG (cairo: plot-draw.c). */
#include "audit-priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "admin-priv.h"

typedef struct {
    const char *vm;
    gint64 since_us; /* -1: open */
    gint64 until_us;
} VmFilter;

/* A record of the VM whose session started in [since, until). */
static gboolean
matches_vm(const VmcLogEntry *entry, gpointer user_data)
{
    const VmFilter *filter = user_data;
    if (g_strcmp0(entry->vm, filter->vm) != 0)
        return FALSE;
    gint64 start = entry->event == VMC_LOG_EVENT_END && entry->start_us >= 0 ? entry->start_us
                                                                             : entry->time_us;
    return (filter->since_us < 0 || start >= filter->since_us) &&
           (filter->until_us < 0 || start < filter->until_us);
}

static gboolean
parse_window(const VmcAdminArgs *args, GTimeZone *tz, VmFilter *filter)
{
    filter->since_us = filter->until_us = -1;
    const char *texts[] = {args->since, args->until};
    gint64 *values[] = {&filter->since_us, &filter->until_us};
    for (guint i = 0; i < G_N_ELEMENTS(texts); i++) {
        if (texts[i] != NULL && !vmc_audit_parse_date(texts[i], tz, values[i])) {
            vmc_admin_complain("'%s' is not a date: give YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS",
                               texts[i]);
            return FALSE;
        }
    }
    if (filter->since_us >= 0 && filter->until_us >= 0 && filter->until_us <= filter->since_us) {
        vmc_admin_complain("--until must be after --since");
        return FALSE;
    }
    return TRUE;
}

static GPtrArray *
collect_vm(const VmcAdminArgs *args, const VmcConfig *config, VmFilter *filter)
{
    gboolean more = FALSE;
    const char *one[2];
    GPtrArray *sessions =
        vmc_audit_collect(vmc_admin_log_patterns(args, config, one), config->run_dir, matches_vm,
                          filter, VMC_AUDIT_PLOT_MAX_SESSIONS, &more);
    if (sessions != NULL && more)
        vmc_admin_complain("more than %d sessions of %s: only the first are drawn; narrow the "
                           "time with --since and --until",
                           VMC_AUDIT_PLOT_MAX_SESSIONS, filter->vm);
    return sessions;
}

/* "VM debianx, alice, 2026-11-29" / "VM debianx, 12 sessions, 2026-11-28 to 2026-11-29" */
static char *
make_title(const GPtrArray *sessions, const VmcPlotData *data, GTimeZone *tz)
{
    const VmcAuditSession *first = sessions->pdata[0];
    g_autoptr(GDateTime) from = g_date_time_new_from_unix_utc((gint64)data->x_min);
    g_autoptr(GDateTime) to = g_date_time_new_from_unix_utc((gint64)data->x_max);
    g_autoptr(GDateTime) from_tz = from ? g_date_time_to_timezone(from, tz) : NULL;
    g_autoptr(GDateTime) to_tz = to ? g_date_time_to_timezone(to, tz) : NULL;
    g_autofree char *day1 = from_tz ? g_date_time_format(from_tz, "%Y-%m-%d") : g_strdup("?");
    g_autofree char *day2 = to_tz ? g_date_time_format(to_tz, "%Y-%m-%d") : g_strdup("?");
    g_autofree char *days =
        strcmp(day1, day2) == 0 ? g_strdup(day1) : g_strdup_printf("%s to %s", day1, day2);
    if (sessions->len == 1)
        return g_strdup_printf("VM %s, %s, %s", first->vm ? first->vm : "?",
                               first->identity ? first->identity : "?", days);
    return g_strdup_printf("VM %s, %u sessions, %s", first->vm ? first->vm : "?", data->n_sessions,
                           days);
}

static gboolean
write_plot(const char *path, const VmcPlotData *data, const char *title, const char *subtitle,
           GTimeZone *tz, VmcPlotFormat format)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
    if (fd < 0) {
        vmc_admin_complain("cannot write %s: %s (check the directory exists and is writable)", path,
                           g_strerror(errno));
        return FALSE;
    }
    g_autoptr(GError) error = NULL;
    gboolean ok = vmc_plot_draw(data, title, subtitle, tz, format, fd, &error);
    if (close(fd) != 0 && ok) {
        g_set_error(&error, G_FILE_ERROR, g_file_error_from_errno(errno), "closing: %s",
                    g_strerror(errno));
        ok = FALSE;
    }
    if (!ok) {
        vmc_admin_complain("cannot draw %s: %s", path, error->message);
        unlink(path);
    }
    return ok;
}

/* Sessions without an end have no series: say so, and flag the dead ones. */
static void
note_not_drawn(const GPtrArray *sessions)
{
    guint live = 0, unterminated = 0;
    for (guint i = 0; i < sessions->len; i++) {
        const VmcAuditSession *s = sessions->pdata[i];
        live += s->state == VMC_AUDIT_STATE_LIVE;
        unterminated += s->state == VMC_AUDIT_STATE_UNTERMINATED;
    }
    if (live > 0)
        vmc_admin_complain("%u session(s) still running: not drawn (their series comes with "
                           "the end record)",
                           live);
    if (unterminated > 0)
        vmc_admin_complain("%u session(s) UNTERMINATED (the gateway died?): no end record, "
                           "not drawn (see `vmconsole-admin sessions`)",
                           unterminated);
}

static gboolean
check_plot_args(const VmcAdminArgs *args, VmcPlotFormat *ret_format)
{
    gboolean by_session = args->words[1] != NULL;
    if ((by_session && (args->words[2] != NULL || args->vms != NULL)) ||
        (!by_session && (args->vms == NULL || args->vms[1] != NULL))) {
        vmc_admin_complain("plot takes one session id, or one --vm VM");
        return FALSE;
    }
    if (by_session && (args->since != NULL || args->until != NULL)) {
        vmc_admin_complain("--since and --until go with --vm, not with a session");
        return FALSE;
    }
    if (by_session && !vmc_audit_query_is_valid(args->words[1])) {
        vmc_admin_complain("'%s' is not a session id: give %d to %d hex digits", args->words[1],
                           VMC_AUDIT_PREFIX_MIN, VMC_AUDIT_ID_MAX);
        return FALSE;
    }
    if (args->output == NULL || !vmc_plot_format_from_name(args->output, ret_format)) {
        vmc_admin_complain("plot needs -o FILE.png or -o FILE.svg");
        return FALSE;
    }
    return TRUE;
}

VmcAdminExit
vmc_admin_cmd_plot(const VmcAdminArgs *args)
{
    VmcPlotFormat format;
    if (!vmc_admin_args_only(args, "plot",
                             VMC_ADMIN_OPT_VM | VMC_ADMIN_OPT_SINCE_UNTIL | VMC_ADMIN_OPT_OUTPUT |
                                 VMC_ADMIN_OPT_LOG))
        return VMC_ADMIN_EXIT_USAGE;
    g_autoptr(GTimeZone) tz = vmc_audit_local_tz();
    VmFilter filter = {.vm = args->vms != NULL ? args->vms[0] : NULL};
    if (!check_plot_args(args, &format) || !parse_window(args, tz, &filter))
        return VMC_ADMIN_EXIT_USAGE;
    g_autoptr(VmcConfig) config = vmc_admin_load_config(args);
    if (config == NULL)
        return VMC_ADMIN_EXIT_ERROR;
    g_autoptr(GPtrArray) sessions = NULL;
    if (args->words[1] != NULL) {
        const char *log[2];
        VmcAuditSession *one = vmc_audit_find_session(vmc_admin_log_patterns(args, config, log),
                                                      config->run_dir, args->words[1]);
        if (one == NULL)
            return VMC_ADMIN_EXIT_ERROR;
        sessions = g_ptr_array_new_with_free_func((GDestroyNotify)vmc_audit_session_free);
        g_ptr_array_add(sessions, one);
    } else if ((sessions = collect_vm(args, config, &filter)) == NULL) {
        return VMC_ADMIN_EXIT_ERROR;
    }
    note_not_drawn(sessions);
    g_autoptr(VmcPlotData) data = vmc_plot_data_new(sessions);
    if (data == NULL) {
        vmc_admin_complain("nothing to plot: no session with a throughput series (%u found; "
                           "sessions that did not end have none)",
                           sessions->len);
        return VMC_ADMIN_EXIT_ERROR;
    }
    g_autofree char *title = make_title(sessions, data, tz);
    const VmcAuditSession *first = sessions->pdata[0];
    g_autofree char *subtitle =
        sessions->len == 1
            ? g_strdup_printf("session %s: bytes per second, both directions", first->session)
            : g_strdup("bytes per second, both directions, all sessions");
    if (!write_plot(args->output, data, title, subtitle, tz, format))
        return VMC_ADMIN_EXIT_ERROR;
    return VMC_ADMIN_EXIT_OK;
}
