/* audit-logs.c — the logs report, show, sessions and plot read: every --log
 * (or the config's log), a pattern expanded here (no shell: '*' and '?' in
 * the file name), rotated and gzip'd files (the reader inflates them),
 * read one after the other from the one whose first record is oldest, and
 * a record found in more than one file (copies of one log, overlapping
 * collections) given once. The I/O half of the pure helpers in
 * audit-session.c. */
#include "audit-priv.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "admin-priv.h"

typedef struct {
    char *path;
    gint64 first_us; /* the first record's time; G_MAXINT64: none */
    guint order;     /* as given, for ties */
} LogFile;

/* A set of 64-bit record keys (open addressing; key 0 is "empty"), each
 * with the index + 1 of the file it was first seen in. */
typedef struct {
    guint64 *keys;
    guint32 *files;
    gsize size; /* a power of two */
    gsize used;
} KeySet;

struct _VmcAuditLogs {
    GPtrArray *files; /* of LogFile*, in reading order */
    guint current;
    VmcLogReader *reader;
    guint64 n_damaged;
    GArray *damaged_lines; /* the only file's; empty when there are several */
    KeySet seen;           /* only when there are several files */
    gboolean seen_full;
    guint64 n_duplicates;
    gboolean failed;
    gboolean finished;
};

static void
log_file_free(LogFile *file)
{
    g_free(file->path);
    g_free(file);
}

/* ---- the set of records seen ---- */

static gsize
key_slot(const KeySet *set, guint64 key)
{
    return (gsize)(key ^ (key >> 29)) & (set->size - 1);
}

static void
key_set_grow(KeySet *set)
{
    KeySet bigger = {.size = set->size ? set->size * 2 : 4096};
    bigger.keys = g_new0(guint64, bigger.size);
    bigger.files = g_new0(guint32, bigger.size);
    for (gsize i = 0; i < set->size; i++) {
        if (set->keys[i] == 0)
            continue;
        gsize slot = key_slot(&bigger, set->keys[i]);
        while (bigger.keys[slot] != 0)
            slot = (slot + 1) & (bigger.size - 1);
        bigger.keys[slot] = set->keys[i];
        bigger.files[slot] = set->files[i];
        bigger.used++;
    }
    g_free(set->keys);
    g_free(set->files);
    *set = bigger;
}

/* TRUE when key was seen in another file than file; else it is added. */
static gboolean
key_set_seen_elsewhere(KeySet *set, guint64 key, guint32 file)
{
    if (key == 0)
        key = 1;
    if (set->size == 0 || (set->used + 1) * 2 > set->size)
        key_set_grow(set);
    gsize slot = key_slot(set, key);
    while (set->keys[slot] != 0) {
        if (set->keys[slot] == key)
            return set->files[slot] != file + 1;
        slot = (slot + 1) & (set->size - 1);
    }
    set->keys[slot] = key;
    set->files[slot] = file + 1;
    set->used++;
    return FALSE;
}

/* ---- expanding the patterns ---- */

static gboolean
has_wildcard(const char *text)
{
    return strpbrk(text, "*?") != NULL;
}

/* A file to read, unless it is one already listed (the same inode). */
static void
add_file(GPtrArray *files, GArray *inodes, const char *path, const struct stat *st)
{
    for (guint i = 0; i < inodes->len; i += 2)
        if (g_array_index(inodes, guint64, i) == (guint64)st->st_dev &&
            g_array_index(inodes, guint64, i + 1) == (guint64)st->st_ino)
            return;
    guint64 ids[] = {(guint64)st->st_dev, (guint64)st->st_ino};
    g_array_append_vals(inodes, ids, 2);
    LogFile *file = g_new0(LogFile, 1);
    file->path = g_strdup(path);
    file->order = files->len;
    g_ptr_array_add(files, file);
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The regular files pattern names ('*' and '?' in its last component only);
 * FALSE after saying why. */
static gboolean
expand(const char *pattern, GPtrArray *files, GArray *inodes)
{
    if (!has_wildcard(pattern)) {
        struct stat st;
        if (stat(pattern, &st) < 0) {
            vmc_admin_complain("cannot read the session log %s: %s", pattern, g_strerror(errno));
            return FALSE;
        }
        add_file(files, inodes, pattern, &st);
        return TRUE;
    }
    g_autofree char *dir = g_path_get_dirname(pattern);
    g_autofree char *name = g_path_get_basename(pattern);
    if (has_wildcard(dir)) {
        vmc_admin_complain("--log %s: only the file name may hold * or ?", pattern);
        return FALSE;
    }
    g_autoptr(GError) error = NULL;
    g_autoptr(GDir) listing = g_dir_open(dir, 0, &error);
    if (listing == NULL) {
        vmc_admin_complain("--log %s: %s", pattern, error->message);
        return FALSE;
    }
    g_autoptr(GPatternSpec) spec = g_pattern_spec_new(name);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *entry;
    while ((entry = g_dir_read_name(listing)) != NULL)
        if (g_pattern_spec_match_string(spec, entry) && (entry[0] != '.' || name[0] == '.'))
            g_ptr_array_add(names, g_strdup(entry));
    g_ptr_array_sort(names, compare_names);
    guint found = 0;
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *path = g_build_filename(dir, names->pdata[i], NULL);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            add_file(files, inodes, path, &st);
            found++;
        }
    }
    if (found == 0) {
        vmc_admin_complain("--log %s: no file matches", pattern);
        return FALSE;
    }
    return TRUE;
}

/* The first record's time of each file (oldest first is the reading
 * order: a rotated set then reads log.2.gz, log.1, log). */
static gboolean
read_first_times(GPtrArray *files)
{
    for (guint i = 0; i < files->len; i++) {
        LogFile *file = files->pdata[i];
        g_autoptr(GError) error = NULL;
        g_autoptr(VmcLogReader) reader = vmc_log_reader_open(file->path, &error);
        if (reader == NULL) {
            vmc_admin_complain("%s", error->message);
            return FALSE;
        }
        const VmcLogEntry *entry = vmc_log_reader_next(reader, NULL);
        file->first_us = entry != NULL ? entry->time_us : G_MAXINT64;
    }
    return TRUE;
}

static gint
compare_files(gconstpointer a, gconstpointer b)
{
    const LogFile *x = *(LogFile *const *)a, *y = *(LogFile *const *)b;
    if (x->first_us != y->first_us)
        return x->first_us < y->first_us ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

VmcAuditLogs *
vmc_audit_logs_open(const char *const *patterns)
{
    g_return_val_if_fail(patterns != NULL && patterns[0] != NULL, NULL);
    g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func((GDestroyNotify)log_file_free);
    g_autoptr(GArray) inodes = g_array_new(FALSE, FALSE, sizeof(guint64));
    for (guint i = 0; patterns[i] != NULL; i++) {
        if (files->len >= VMC_AUDIT_MAX_LOGS) {
            vmc_admin_complain("more than %d logs: read them in parts", VMC_AUDIT_MAX_LOGS);
            return NULL;
        }
        if (!expand(patterns[i], files, inodes))
            return NULL;
    }
    if (files->len > VMC_AUDIT_MAX_LOGS) {
        vmc_admin_complain("more than %d logs: read them in parts", VMC_AUDIT_MAX_LOGS);
        return NULL;
    }
    if (files->len > 1) {
        if (!read_first_times(files))
            return NULL;
        g_ptr_array_sort(files, compare_files);
    }
    VmcAuditLogs *logs = g_new0(VmcAuditLogs, 1);
    logs->files = g_steal_pointer(&files);
    logs->damaged_lines = g_array_new(FALSE, FALSE, sizeof(guint64));
    return logs;
}

/* The end of the current file: its damaged lines said and counted. */
static void
close_current(VmcAuditLogs *logs)
{
    const LogFile *file = logs->files->pdata[logs->current];
    vmc_audit_report_damaged(logs->reader, file->path);
    logs->n_damaged += vmc_log_reader_get_n_damaged(logs->reader);
    if (logs->files->len == 1) {
        const GArray *lines = vmc_log_reader_get_damaged_lines(logs->reader);
        g_array_append_vals(logs->damaged_lines, lines->data, lines->len);
    }
    g_clear_pointer(&logs->reader, vmc_log_reader_free);
    logs->current++;
}

static void
finish(VmcAuditLogs *logs)
{
    logs->finished = TRUE;
    if (logs->n_duplicates > 0)
        vmc_admin_complain("%" G_GUINT64_FORMAT " record(s) found in more than one of the %u "
                           "logs (same host, session, event and time) were read once",
                           logs->n_duplicates, logs->files->len);
    if (logs->seen_full)
        vmc_admin_complain("more than %d records: duplicates across the logs beyond them may "
                           "count twice",
                           VMC_AUDIT_MAX_DEDUP);
}

const VmcLogEntry *
vmc_audit_logs_next(VmcAuditLogs *logs)
{
    g_return_val_if_fail(logs != NULL, NULL);
    while (!logs->finished && !logs->failed) {
        if (logs->current >= logs->files->len) {
            finish(logs);
            return NULL;
        }
        const LogFile *file = logs->files->pdata[logs->current];
        g_autoptr(GError) error = NULL;
        if (logs->reader == NULL) {
            logs->reader = vmc_log_reader_open(file->path, &error);
            if (logs->reader == NULL) {
                vmc_admin_complain("%s", error->message);
                logs->failed = TRUE;
                return NULL;
            }
        }
        const VmcLogEntry *entry = vmc_log_reader_next(logs->reader, &error);
        if (error != NULL) {
            vmc_admin_complain("%s", error->message);
            logs->failed = TRUE;
            return NULL;
        }
        if (entry == NULL) {
            close_current(logs);
            continue;
        }
        if (logs->files->len > 1 && !logs->seen_full) {
            if (logs->seen.used >= VMC_AUDIT_MAX_DEDUP) {
                logs->seen_full = TRUE;
            } else if (key_set_seen_elsewhere(&logs->seen, vmc_audit_entry_key(entry),
                                              logs->current)) {
                logs->n_duplicates++;
                continue;
            }
        }
        return entry;
    }
    return NULL;
}

gboolean
vmc_audit_logs_failed(const VmcAuditLogs *logs)
{
    g_return_val_if_fail(logs != NULL, TRUE);
    return logs->failed;
}

const char *
vmc_audit_logs_path(const VmcAuditLogs *logs)
{
    g_return_val_if_fail(logs != NULL, NULL);
    guint i = MIN(logs->current, logs->files->len - 1);
    return ((const LogFile *)logs->files->pdata[i])->path;
}

guint
vmc_audit_logs_get_n_files(const VmcAuditLogs *logs)
{
    g_return_val_if_fail(logs != NULL, 0);
    return logs->files->len;
}

guint64
vmc_audit_logs_get_n_damaged(const VmcAuditLogs *logs)
{
    g_return_val_if_fail(logs != NULL, 0);
    return logs->n_damaged;
}

const GArray *
vmc_audit_logs_get_damaged_lines(const VmcAuditLogs *logs)
{
    g_return_val_if_fail(logs != NULL, NULL);
    return logs->damaged_lines;
}

guint64
vmc_audit_logs_get_n_duplicates(const VmcAuditLogs *logs)
{
    g_return_val_if_fail(logs != NULL, 0);
    return logs->n_duplicates;
}

void
vmc_audit_logs_free(VmcAuditLogs *logs)
{
    if (logs == NULL)
        return;
    g_ptr_array_unref(logs->files);
    if (logs->reader != NULL)
        vmc_log_reader_free(logs->reader);
    g_array_unref(logs->damaged_lines);
    g_free(logs->seen.keys);
    g_free(logs->seen.files);
    g_free(logs);
}
