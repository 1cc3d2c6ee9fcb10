/* vmc-sessionlog.h — the session record: build, escape, append to the log, mirror to syslog.
 *
 * The record format lives here alone, for the writer and (later) the reader.
 * One JSON object per line ("v": 1), written with one write(2) on an O_APPEND
 * fd and fsync'd. Strings from outside survive as data: invalid UTF-8 becomes
 * "\xNN" text, and JSON escaping keeps newlines and ESC from breaking a line.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define VMC_SESSIONLOG_ERROR (vmc_sessionlog_error_quark())
GQuark vmc_sessionlog_error_quark(void);

typedef enum {
    VMC_SESSIONLOG_ERROR_OPEN,  /* the log cannot be opened for appending */
    VMC_SESSIONLOG_ERROR_WRITE, /* write or fsync failed, or a short write */
} VmcSessionlogError;

#define VMC_RECORD_VERSION 1
#define VMC_RECORD_MAX_STRING 1024   /* longer strings are cut, marked with "..." */
#define VMC_RECORD_MAX_LINE (256 * 1024)

typedef struct _VmcRecord VmcRecord;

/* A new record for event ("start", "end", "denied") with "v" and "time" (now,
 * RFC 3339 UTC with milliseconds) set. */
VmcRecord *vmc_record_new(const char *event);

/* Set fields. Strings are made valid UTF-8 (invalid bytes as "\xNN") and capped
 * at VMC_RECORD_MAX_STRING; a NULL value sets nothing. Setting a key twice
 * replaces the value. */
void vmc_record_set_string(VmcRecord *record, const char *key, const char *value);
void vmc_record_set_int(VmcRecord *record, const char *key, gint64 value);
void vmc_record_set_double(VmcRecord *record, const char *key, double value);
void vmc_record_set_bool(VmcRecord *record, const char *key, gboolean value);
/* Takes ownership of node (an object or array built by the caller). */
void vmc_record_take_node(VmcRecord *record, const char *key, JsonNode *node);

/* The underlying object (for tests and readers). */
JsonObject *vmc_record_get_object(const VmcRecord *record);

/* The record as one line of JSON ending in '\n'; never contains another '\n'. */
char *vmc_record_to_line(const VmcRecord *record, gsize *ret_length);

/* A one-line human summary for syslog, e.g.
 * "denied identity=bob vm=debianx reason=..." (strings escaped, capped). */
char *vmc_record_summary(const VmcRecord *record);

void vmc_record_free(VmcRecord *record);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcRecord, vmc_record_free)

typedef struct _VmcSessionLog VmcSessionLog;

/* Open the log for appending (O_WRONLY|O_APPEND|O_CREAT|O_NOFOLLOW|O_CLOEXEC,
 * mode 0640). Fails with VMC_SESSIONLOG_ERROR_OPEN naming the path and what
 * to do. */
VmcSessionLog *vmc_sessionlog_open(const char *path, GError **error);

/* Append one record: a single write(2) of the whole line, then fsync; then
 * mirror the summary to syslog (LOG_AUTHPRIV) when enabled. */
gboolean vmc_sessionlog_append(VmcSessionLog *log, const VmcRecord *record, GError **error);

/* Mirror records to syslog (default: on). */
void vmc_sessionlog_set_syslog(VmcSessionLog *log, gboolean enabled);

void vmc_sessionlog_close(VmcSessionLog *log);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcSessionLog, vmc_sessionlog_close)

/* Text from outside made safe to print on a terminal or in a log line:
 * printable ASCII passes (backslash doubled), everything else becomes \n, \t,
 * \e or \xNN; the result is at most max_bytes long (plus "..." when cut).
 * length -1: s is NUL-terminated. */
char *vmc_text_escape(const char *s, gssize length, gsize max_bytes);

/* s made valid UTF-8: invalid bytes become "\xNN" text; cut at max_bytes on a
 * character boundary (plus "..."). length -1: NUL-terminated. */
char *vmc_text_to_utf8(const char *s, gssize length, gsize max_bytes);

G_END_DECLS
