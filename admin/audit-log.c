/* audit-log.c — the session log and the console locks, read for sessions,
 * show and plot. The I/O half of audit-session.c. */
#include "audit-priv.h"

#include <stdlib.h>
#include <string.h>

#include "admin-priv.h"
#include "vmc-console.h"

#define VMC_AUDIT_DAMAGED_SHOWN 20  /* line numbers of damaged lines named on stderr */
#define VMC_AUDIT_MATCHES_LISTED 20 /* matches named when a prefix is ambiguous */

/* "LOG: skipped N damaged line(s) (not a complete record): 3, 17, ..." */
void
vmc_audit_report_damaged(const VmcLogReader *reader, const char *log_path)
{
    guint64 n = vmc_log_reader_get_n_damaged(reader);
    if (n == 0)
        return;
    const GArray *lines = vmc_log_reader_get_damaged_lines(reader);
    GString *numbers = g_string_new(NULL);
    for (guint i = 0; lines != NULL && i < lines->len && i < VMC_AUDIT_DAMAGED_SHOWN; i++)
        g_string_append_printf(numbers, "%s%" G_GUINT64_FORMAT, i ? ", " : "",
                               g_array_index(lines, guint64, i));
    if (n > VMC_AUDIT_DAMAGED_SHOWN)
        g_string_append(numbers, ", ...");
    vmc_admin_complain("%s: skipped %" G_GUINT64_FORMAT
                       " damaged line(s) (not a complete record) at line %s",
                       log_path, n, numbers->str);
    g_string_free(numbers, TRUE);
}

/* Mark sessions without an end LIVE when a held console lock names them
 * (sessions of this host: the locks are this host's). */
static void
mark_live(GPtrArray *sessions, const char *run_dir)
{
    g_autoptr(GPtrArray) vms = NULL;
    g_autoptr(GPtrArray) held = vmc_console_locks_held(run_dir, &vms, NULL);
    for (guint i = 0; i < sessions->len; i++) {
        VmcAuditSession *s = sessions->pdata[i];
        if (s->end_line != 0 || !vmc_audit_host_is_here(s->host))
            continue;
        for (guint l = 0; l < held->len; l++) {
            const VmcLockInfo *info = held->pdata[l];
            if (g_strcmp0(info->session, s->session) == 0)
                s->state = VMC_AUDIT_STATE_LIVE;
        }
    }
}

typedef struct {
    GHashTable *by_key; /* vmc_audit_session_key() -> VmcAuditSession* (owned by list) */
    GPtrArray *list;
    guint max;
    gboolean more;
} Collection;

static void
collect_entry(Collection *c, const VmcLogEntry *entry)
{
    if (entry->session == NULL || strlen(entry->session) > VMC_AUDIT_ID_MAX)
        return;
    g_autofree char *key = vmc_audit_session_key(entry->host, entry->session);
    VmcAuditSession *session = g_hash_table_lookup(c->by_key, key);
    if (session == NULL) {
        if (c->list->len >= c->max) {
            c->more = TRUE;
            return;
        }
        session = vmc_audit_session_new(entry->session);
        g_ptr_array_add(c->list, session);
        g_hash_table_insert(c->by_key, g_steal_pointer(&key), session);
    }
    vmc_audit_session_add_line(session, entry->line, entry->line_length, entry->line_number);
}

GPtrArray *
vmc_audit_collect(const char *const *patterns, const char *run_dir, VmcAuditFilterFunc filter,
                  gpointer user_data, guint max, gboolean *ret_more)
{
    g_autoptr(VmcAuditLogs) logs = vmc_audit_logs_open(patterns);
    if (logs == NULL)
        return NULL;
    Collection c = {
        .by_key = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
        .list = g_ptr_array_new_with_free_func((GDestroyNotify)vmc_audit_session_free),
        .max = max,
    };
    const VmcLogEntry *entry;
    while ((entry = vmc_audit_logs_next(logs)) != NULL) {
        if (entry->event == VMC_LOG_EVENT_DENIED || entry->event == VMC_LOG_EVENT_DENIED_SUMMARY)
            continue;
        if (filter == NULL || filter(entry, user_data))
            collect_entry(&c, entry);
    }
    g_hash_table_unref(c.by_key);
    if (vmc_audit_logs_failed(logs)) {
        g_ptr_array_unref(c.list);
        return NULL;
    }
    if (run_dir != NULL)
        mark_live(c.list, run_dir);
    if (ret_more != NULL)
        *ret_more = c.more;
    return c.list;
}

GTimeZone *
vmc_audit_local_tz(void)
{
    return g_time_zone_new_local();
}

gboolean
vmc_audit_unicode_wanted(void)
{
    return vmc_audit_locale_is_utf8(g_getenv("LC_ALL"), g_getenv("LC_CTYPE"), g_getenv("LANG"));
}

static gboolean
matches_query(const VmcLogEntry *entry, gpointer query)
{
    return entry->session != NULL && vmc_audit_id_matches(entry->session, query);
}

static void
complain_ambiguous(const char *query, const GPtrArray *sessions, gboolean more)
{
    g_autoptr(GTimeZone) tz = vmc_audit_local_tz();
    vmc_admin_complain("%s%u sessions start with '%s'; give more of the id:", more ? "over " : "",
                       sessions->len, query);
    for (guint i = 0; i < sessions->len && i < VMC_AUDIT_MATCHES_LISTED; i++) {
        const VmcAuditSession *s = sessions->pdata[i];
        g_autofree char *start = vmc_audit_format_time(s->start_us, tz);
        vmc_print_escaped(stderr, "  %s  %s  %s  %s  %s\n", s->session, s->host ? s->host : "-",
                          s->vm ? s->vm : "-", s->identity ? s->identity : "-", start);
    }
}

VmcAuditSession *
vmc_audit_find_session(const char *const *patterns, const char *run_dir, const char *query)
{
    gboolean more = FALSE;
    g_autoptr(GPtrArray) sessions = vmc_audit_collect(
        patterns, run_dir, matches_query, (gpointer)query, VMC_AUDIT_MAX_MATCHES, &more);
    if (sessions == NULL)
        return NULL;
    if (sessions->len == 0) {
        g_autofree char *where = g_strjoinv(", ", (char **)patterns);
        vmc_admin_complain("no session '%s' in %s (see `vmconsole-admin report`)", query, where);
        return NULL;
    }
    if (sessions->len > 1) {
        complain_ambiguous(query, sessions, more);
        return NULL;
    }
    return g_ptr_array_steal_index(sessions, 0);
}
