/* report.c — `vmconsole-admin report`: the table a freelancer bills from.
 *
 * Streams the session log once through report-agg.c (memory does not grow
 * with the log), asks the console locks which open sessions are live, and
 * prints a table, JSON or CSV. Damaged lines are named on stderr and the
 * report is still printed (exit 0); a log that cannot be read is exit 1.
 */
#include "admin-priv.h"

#include <stdio.h>

#include "audit-priv.h"
#include "vmc-console.h"

/* --since / --until to microseconds; FALSE after saying what is wrong. */
static gboolean
parse_range(const VmcAdminArgs *args, GTimeZone *tz, gint64 *ret_since, gint64 *ret_until)
{
    *ret_since = *ret_until = -1;
    const char *texts[] = {args->since, args->until};
    gint64 *values[] = {ret_since, ret_until};
    const char *names[] = {"--since", "--until"};
    for (guint i = 0; i < G_N_ELEMENTS(texts); i++) {
        if (texts[i] != NULL && !vmc_audit_parse_date(texts[i], tz, values[i])) {
            vmc_admin_complain("%s '%s' is not a date: give YYYY-MM-DD (local midnight) or "
                               "RFC 3339 (2026-11-29T10:00:00+01:00)",
                               names[i], texts[i]);
            return FALSE;
        }
    }
    if (*ret_since >= 0 && *ret_until >= 0 && *ret_until <= *ret_since) {
        vmc_admin_complain("--until must be after --since");
        return FALSE;
    }
    return TRUE;
}

static gboolean
session_is_live(const char *host, const char *session, gpointer live_ids)
{
    /* the locks are this host's: a session of another host is never live here */
    return vmc_audit_host_is_here(host) && g_hash_table_contains(live_ids, session);
}

/* The ids of the sessions whose console lock is held now. */
static GHashTable *
live_session_ids(const VmcConfig *config)
{
    GHashTable *ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GPtrArray) vms = NULL;
    g_autoptr(GPtrArray) held = vmc_console_locks_held(config->run_dir, &vms, NULL);
    for (guint i = 0; held != NULL && i < held->len; i++) {
        const VmcLockInfo *info = held->pdata[i];
        if (info->session != NULL)
            g_hash_table_add(ids, g_strdup(info->session));
    }
    return ids;
}

/* Read every log into report; FALSE (said on stderr) when one cannot be read. */
static gboolean
read_logs(const char *const *patterns, VmcReport *report, guint64 *ret_n_damaged,
          GArray **ret_damaged)
{
    g_autoptr(VmcAuditLogs) logs = vmc_audit_logs_open(patterns);
    if (logs == NULL)
        return FALSE;
    const VmcLogEntry *entry;
    while ((entry = vmc_audit_logs_next(logs)) != NULL)
        vmc_report_add(report, entry);
    if (vmc_audit_logs_failed(logs))
        return FALSE;
    *ret_n_damaged = vmc_audit_logs_get_n_damaged(logs);
    *ret_damaged = g_array_copy((GArray *)vmc_audit_logs_get_damaged_lines(logs));
    return TRUE;
}

static void
print_report(const VmcAdminArgs *args, const VmcReport *report, GTimeZone *tz, guint64 n_damaged,
             const GArray *damaged)
{
    g_autofree char *text = args->json  ? vmc_report_format_json(report, n_damaged, damaged)
                            : args->csv ? vmc_report_format_csv(report)
                                        : vmc_report_format_table(report, tz);
    fputs(text, stdout);
    fflush(stdout);
}

VmcAdminExit
vmc_admin_cmd_report(const VmcAdminArgs *args)
{
    guint allowed = VMC_ADMIN_OPT_BY | VMC_ADMIN_OPT_SINCE_UNTIL | VMC_ADMIN_OPT_IDENTITY |
                    VMC_ADMIN_OPT_VM | VMC_ADMIN_OPT_JSON | VMC_ADMIN_OPT_CSV | VMC_ADMIN_OPT_LOG;
    if (!vmc_admin_args_only(args, "report", allowed))
        return VMC_ADMIN_EXIT_USAGE;
    if (g_strv_length(args->words) > 1 || (args->json && args->csv)) {
        vmc_admin_complain("usage: report [--by identity|vm|day|month|host|mode] [--since DATE] "
                           "[--until DATE] [--identity NAME]... [--vm VM]... [--json|--csv]");
        return VMC_ADMIN_EXIT_USAGE;
    }
    VmcReportQuery query = {.identities = (const char *const *)args->identities,
                            .vms = (const char *const *)args->vms};
    if (!vmc_report_by_parse(args->by, &query.by)) {
        vmc_admin_complain("--by '%s': give identity, vm, day, month, host or mode", args->by);
        return VMC_ADMIN_EXIT_USAGE;
    }
    g_autoptr(GTimeZone) tz = vmc_audit_local_tz();
    if (!parse_range(args, tz, &query.since_us, &query.until_us))
        return VMC_ADMIN_EXIT_USAGE;
    query.tz = tz;
    g_autoptr(VmcConfig) config = vmc_admin_load_config(args);
    if (config == NULL)
        return VMC_ADMIN_EXIT_ERROR;

    g_autoptr(VmcReport) report = vmc_report_new(&query);
    guint64 n_damaged = 0;
    g_autoptr(GArray) damaged = NULL;
    const char *one[2];
    if (!read_logs(vmc_admin_log_patterns(args, config, one), report, &n_damaged, &damaged))
        return VMC_ADMIN_EXIT_ERROR;
    g_autoptr(GHashTable) live = live_session_ids(config);
    vmc_report_finish(report, session_is_live, live);
    print_report(args, report, tz, n_damaged, damaged);
    return VMC_ADMIN_EXIT_OK;
}
