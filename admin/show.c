/* show.c — `vmconsole-admin show SESSION`: one session in full, with
 * sparklines of its throughput and its streams (--json: the whole session;
 * --csv: its series, one row per step). SESSION is an id or a unique prefix
 * of one. */
#include "audit-priv.h"

#include <stdio.h>
#include <string.h>

#include "admin-priv.h"
#include "vmc-sessionlog.h"

/* time,total,CHANNEL...,STREAM_stream... per step: bytes in the step
 * starting at time (total and channels: Spice's; the streams besides). */
static char *
format_series_csv(const VmcAuditSession *s)
{
    GString *out = g_string_new("time,total");
    for (guint c = 0; c < s->channels->len; c++) {
        const VmcAuditChannel *channel = s->channels->pdata[c];
        if (channel->series == NULL)
            continue;
        g_string_append_c(out, ',');
        vmc_audit_csv_append(out, channel->name);
    }
    for (guint t = 0; t < s->streams->len; t++) {
        const VmcAuditStream *stream = s->streams->pdata[t];
        if (stream->series == NULL)
            continue;
        g_autofree char *name = g_strdup_printf("%s_stream", stream->name);
        g_string_append_c(out, ',');
        vmc_audit_csv_append(out, name);
    }
    g_string_append_c(out, '\n');
    for (guint i = 0; s->total != NULL && i < s->total->len; i++) {
        g_autofree char *time =
            s->start_us >= 0
                ? vmc_format_time_us(s->start_us + (gint64)i * s->step_s * G_USEC_PER_SEC)
                : g_strdup("");
        g_string_append_printf(out, "%s,%.0f", time, g_array_index(s->total, double, i));
        for (guint c = 0; c < s->channels->len; c++) {
            const VmcAuditChannel *channel = s->channels->pdata[c];
            if (channel->series != NULL)
                g_string_append_printf(out, ",%.0f", g_array_index(channel->series, double, i));
        }
        for (guint t = 0; t < s->streams->len; t++) {
            const VmcAuditStream *stream = s->streams->pdata[t];
            if (stream->series != NULL)
                g_string_append_printf(out, ",%.0f", g_array_index(stream->series, double, i));
        }
        g_string_append_c(out, '\n');
    }
    return g_string_free(out, FALSE);
}

VmcAdminExit
vmc_admin_cmd_show(const VmcAdminArgs *args)
{
    if (!vmc_admin_args_only(args, "show",
                             VMC_ADMIN_OPT_JSON | VMC_ADMIN_OPT_CSV | VMC_ADMIN_OPT_LOG))
        return VMC_ADMIN_EXIT_USAGE;
    const char *query = args->words[1];
    if (query == NULL || args->words[2] != NULL) {
        vmc_admin_complain("show takes one session id (or a prefix of at least %d hex digits)",
                           VMC_AUDIT_PREFIX_MIN);
        return VMC_ADMIN_EXIT_USAGE;
    }
    if (!vmc_audit_query_is_valid(query)) {
        vmc_admin_complain("'%s' is not a session id: give %d to %d hex digits", query,
                           VMC_AUDIT_PREFIX_MIN, VMC_AUDIT_ID_MAX);
        return VMC_ADMIN_EXIT_USAGE;
    }
    g_autoptr(VmcConfig) config = vmc_admin_load_config(args);
    if (config == NULL)
        return VMC_ADMIN_EXIT_ERROR;
    const char *one[2];
    g_autoptr(VmcAuditSession) session =
        vmc_audit_find_session(vmc_admin_log_patterns(args, config, one), config->run_dir, query);
    if (session == NULL)
        return VMC_ADMIN_EXIT_ERROR;
    g_autoptr(GTimeZone) tz = vmc_audit_local_tz();
    g_autofree char *text = args->json ? vmc_audit_session_to_json(session)
                            : args->csv
                                ? format_series_csv(session)
                                : vmc_audit_show_format(session, tz, vmc_audit_unicode_wanted());
    fputs(text, stdout);
    return VMC_ADMIN_EXIT_OK;
}
