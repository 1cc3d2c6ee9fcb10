/* sessions.c — `vmconsole-admin sessions`: who is on which VM now.
 *
 * Live sessions come from the console locks in the run dir (held with flock
 * by a running gateway: who, since when, from where, bytes so far). The log
 * adds the sessions that started and never ended while no lock names them:
 * a gateway that died (SIGKILL, a crash, a reboot) — flagged UNTERMINATED.
 * The start records say which of them run their viewer without its sandbox
 * (sandbox = off): listed below the table, and a field in JSON and CSV.
 */
#include "audit-priv.h"

#include <stdio.h>
#include <string.h>

#include "admin-priv.h"
#include "vmc-sessionlog.h"
#include "vmc-console.h"

typedef struct {
    char *vm, *identity, *client, *session;
    char *host;    /* the records' (unterminated rows; NULL: this host's lock, or older) */
    char *sandbox; /* the start record's "on" / "off" (NULL: not said, or no start seen) */
    gint64 since_us;
    gint64 bytes; /* -1: unknown */
    gint pid;     /* 0: none */
    VmcAuditState state;
} SessionRow;

static void
session_row_free(SessionRow *row)
{
    g_free(row->vm);
    g_free(row->identity);
    g_free(row->client);
    g_free(row->session);
    g_free(row->host);
    g_free(row->sandbox);
    g_free(row);
}

static gboolean
sandbox_is_off(const SessionRow *row)
{
    return g_strcmp0(row->sandbox, VMC_RECORD_SANDBOX_OFF) == 0;
}

static gboolean
wanted(const VmcAdminArgs *args, const char *vm, const char *identity)
{
    if (args->vms != NULL && (vm == NULL || !g_strv_contains((const char *const *)args->vms, vm)))
        return FALSE;
    if (args->identities != NULL &&
        (identity == NULL || !g_strv_contains((const char *const *)args->identities, identity)))
        return FALSE;
    return TRUE;
}

/* The live sessions into rows; FALSE when a lock file could not be read
 * (each named on stderr: a FIFO or link in its place, another owner, ...). */
static gboolean
add_live_rows(const VmcAdminArgs *args, const VmcConfig *config, GPtrArray *rows,
              GHashTable *live_ids)
{
    g_autoptr(GPtrArray) vms = NULL;
    g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) held = vmc_console_locks_held(config->run_dir, &vms, problems);
    for (guint i = 0; i < problems->len; i++)
        vmc_admin_complain("%s (its session, if any, is not shown)",
                           (const char *)problems->pdata[i]);
    for (guint i = 0; i < held->len; i++) {
        const VmcLockInfo *info = held->pdata[i];
        g_hash_table_insert(live_ids, g_strdup(info->session), NULL);
        if (!wanted(args, vms->pdata[i], info->identity))
            continue;
        SessionRow *row = g_new0(SessionRow, 1);
        row->vm = g_strdup(vms->pdata[i]);
        row->identity = g_strdup(info->identity);
        row->client = g_strdup(info->client);
        row->session = g_strdup(info->session);
        row->since_us = info->since_us;
        row->bytes = info->bytes;
        row->pid = info->pid;
        row->state = VMC_AUDIT_STATE_LIVE;
        g_ptr_array_add(rows, row);
        g_hash_table_insert(live_ids, g_strdup(info->session), row);
    }
    return problems->len == 0;
}

/* Sessions with a start and no end yet, by host and id (bounded). */
static void
track_entry(GHashTable *open, const VmcLogEntry *entry, gboolean *more)
{
    if (entry->session == NULL || strlen(entry->session) > VMC_AUDIT_ID_MAX)
        return;
    g_autofree char *key = vmc_audit_session_key(entry->host, entry->session);
    if (entry->event == VMC_LOG_EVENT_END) {
        g_hash_table_remove(open, key);
        return;
    }
    if (entry->event != VMC_LOG_EVENT_START || g_hash_table_contains(open, key))
        return;
    if (g_hash_table_size(open) >= VMC_AUDIT_MAX_OPEN) {
        *more = TRUE;
        return;
    }
    SessionRow *row = g_new0(SessionRow, 1);
    row->vm = g_strdup(entry->vm);
    row->identity = g_strdup(entry->identity);
    row->client = g_strdup(entry->client);
    row->session = g_strdup(entry->session);
    row->host = g_strdup(entry->host);
    row->sandbox = g_strdup(entry->sandbox);
    row->since_us = entry->time_us;
    row->bytes = -1;
    row->state = VMC_AUDIT_STATE_UNTERMINATED;
    g_hash_table_insert(open, g_steal_pointer(&key), row);
}

/* Add the logs' unterminated sessions to rows; FALSE when a log cannot be read. */
static gboolean
add_unterminated_rows(const VmcAdminArgs *args, const VmcConfig *config, GPtrArray *rows,
                      GHashTable *live_ids)
{
    const char *one[2];
    g_autoptr(VmcAuditLogs) logs = vmc_audit_logs_open(vmc_admin_log_patterns(args, config, one));
    if (logs == NULL) {
        vmc_admin_complain("unterminated sessions are not shown");
        return FALSE;
    }
    g_autoptr(GHashTable) open =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)session_row_free);
    gboolean more = FALSE;
    const VmcLogEntry *entry;
    while ((entry = vmc_audit_logs_next(logs)) != NULL)
        track_entry(open, entry, &more);
    GHashTableIter iter;
    gpointer value;
    g_hash_table_iter_init(&iter, open);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        SessionRow *row = value;
        SessionRow *live_row = NULL;
        /* a lock here says the session of this host is running */
        if (vmc_audit_host_is_here(row->host) &&
            g_hash_table_lookup_extended(live_ids, row->session, NULL, (gpointer *)&live_row)) {
            /* running: the lock says the rest, its start record the sandbox */
            if (live_row != NULL) {
                g_free(live_row->sandbox);
                live_row->sandbox = g_strdup(row->sandbox);
            }
            continue;
        }
        if (!wanted(args, row->vm, row->identity))
            continue;
        g_hash_table_iter_steal(&iter);
        g_ptr_array_add(rows, row);
    }
    if (more)
        vmc_admin_complain("more than %d sessions without an end; only the first are shown",
                           VMC_AUDIT_MAX_OPEN);
    return !vmc_audit_logs_failed(logs);
}

static gint
compare_rows(gconstpointer a, gconstpointer b)
{
    const SessionRow *x = *(SessionRow *const *)a, *y = *(SessionRow *const *)b;
    if (x->state != y->state)
        return x->state == VMC_AUDIT_STATE_LIVE ? -1 : 1;
    if (x->since_us != y->since_us)
        return x->since_us < y->since_us ? -1 : 1;
    return g_strcmp0(x->session, y->session);
}

/* ---- output ---- */

static char *
bytes_text(gint64 bytes)
{
    return bytes >= 0 ? vmc_format_bytes((guint64)bytes) : NULL;
}

/* Below the table, the sessions whose viewer runs (or ran) unconfined. */
static void
append_sandbox_off(GString *out, const GPtrArray *rows)
{
    gboolean first = TRUE;
    for (guint i = 0; i < rows->len; i++) {
        const SessionRow *r = rows->pdata[i];
        if (!sandbox_is_off(r))
            continue;
        if (first)
            g_string_append(out, "\nSANDBOX OFF (!): these sessions' viewers were started on the "
                                 "host without their sandbox (sandbox = off in the config):\n");
        first = FALSE;
        g_autofree char *session = vmc_text_escape(r->session, -1, VMC_AUDIT_ID_MAX);
        g_autofree char *vm = vmc_text_escape(r->vm != NULL ? r->vm : "-", -1, VMC_ADMIN_NAME_MAX);
        g_string_append_printf(out, "  %s  %s  %s\n", session, vm, vmc_audit_state_word(r->state));
    }
}

static char *
format_table(const GPtrArray *rows, GTimeZone *tz)
{
    static const char *const headers[] = {"VM",   "IDENTITY", "SINCE",   "FOR",
                                          "FROM", "BYTES",    "SESSION", "STATE"};
    g_autoptr(VmcAdminTable) table = vmc_admin_table_new(G_N_ELEMENTS(headers), headers);
    gint64 now = g_get_real_time();
    for (guint i = 0; i < rows->len; i++) {
        const SessionRow *r = rows->pdata[i];
        g_autofree char *since = vmc_audit_format_time(r->since_us, tz);
        g_autofree char *duration = r->since_us >= 0 && r->state == VMC_AUDIT_STATE_LIVE
                                        ? vmc_format_duration((now - r->since_us) / G_USEC_PER_SEC)
                                        : NULL;
        g_autofree char *bytes = bytes_text(r->bytes);
        const char *cells[] = {r->vm,     r->identity, since,      duration,
                               r->client, bytes,       r->session, vmc_audit_state_word(r->state)};
        vmc_admin_table_add_row(table, cells);
    }
    g_autofree char *text = vmc_admin_table_format(table);
    g_autoptr(GString) out = g_string_new(text);
    append_sandbox_off(out, rows);
    return g_string_free(g_steal_pointer(&out), FALSE);
}

static char *
format_json(const GPtrArray *rows)
{
    g_autoptr(JsonArray) array = json_array_new();
    for (guint i = 0; i < rows->len; i++) {
        const SessionRow *r = rows->pdata[i];
        g_autoptr(VmcAuditSession) s = vmc_audit_session_new(r->session);
        s->vm = g_strdup(r->vm);
        s->identity = g_strdup(r->identity);
        s->client = g_strdup(r->client);
        s->start_us = r->since_us;
        s->bytes_total = r->bytes;
        s->sandbox = g_strdup(r->sandbox);
        s->host = g_strdup(r->host);
        s->state = r->state;
        JsonNode *node = vmc_audit_session_summary_node(s, FALSE);
        json_object_set_int_member(json_node_get_object(node), "pid", r->pid);
        json_array_add_element(array, node);
    }
    g_autoptr(JsonNode) root = json_node_new(JSON_NODE_ARRAY);
    json_node_set_array(root, array);
    return vmc_audit_json_finish(root);
}

static char *
format_csv(const GPtrArray *rows)
{
    GString *out = g_string_new("vm,identity,since,client,bytes,session,state,pid,sandbox\n");
    for (guint i = 0; i < rows->len; i++) {
        const SessionRow *r = rows->pdata[i];
        g_autofree char *since = r->since_us >= 0 ? vmc_format_time_us(r->since_us) : NULL;
        g_autofree char *bytes =
            r->bytes >= 0 ? g_strdup_printf("%" G_GINT64_FORMAT, r->bytes) : NULL;
        g_autofree char *pid = r->pid > 0 ? g_strdup_printf("%d", r->pid) : NULL;
        const char *state = vmc_audit_state_name(r->state);
        const char *fields[] = {r->vm,      r->identity, since, r->client, bytes,
                                r->session, state,       pid,   r->sandbox};
        for (guint f = 0; f < G_N_ELEMENTS(fields); f++) {
            if (f > 0)
                g_string_append_c(out, ',');
            vmc_audit_csv_append(out, fields[f]);
        }
        g_string_append_c(out, '\n');
    }
    return g_string_free(out, FALSE);
}

VmcAdminExit
vmc_admin_cmd_sessions(const VmcAdminArgs *args)
{
    if (!vmc_admin_args_only(args, "sessions",
                             VMC_ADMIN_OPT_VM | VMC_ADMIN_OPT_IDENTITY | VMC_ADMIN_OPT_JSON |
                                 VMC_ADMIN_OPT_CSV | VMC_ADMIN_OPT_LOG))
        return VMC_ADMIN_EXIT_USAGE;
    if (args->words[1] != NULL) {
        vmc_admin_complain("sessions takes no arguments (filter with --vm and --identity)");
        return VMC_ADMIN_EXIT_USAGE;
    }
    g_autoptr(VmcConfig) config = vmc_admin_load_config(args);
    if (config == NULL)
        return VMC_ADMIN_EXIT_ERROR;

    g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)session_row_free);
    g_autoptr(GHashTable) live_ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    gboolean locks_ok = add_live_rows(args, config, rows, live_ids);
    gboolean log_ok = add_unterminated_rows(args, config, rows, live_ids);
    g_ptr_array_sort(rows, compare_rows);

    g_autoptr(GTimeZone) tz = vmc_audit_local_tz();
    g_autofree char *text = args->json  ? format_json(rows)
                            : args->csv ? format_csv(rows)
                                        : format_table(rows, tz);
    fputs(text, stdout);
    return log_ok && locks_ok ? VMC_ADMIN_EXIT_OK : VMC_ADMIN_EXIT_ERROR;
}
