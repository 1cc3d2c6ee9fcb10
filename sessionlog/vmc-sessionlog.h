/* vmc-sessionlog.h — the session record: build, append to the log, mirror to syslog, read back.
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
    VMC_SESSIONLOG_ERROR_READ,  /* reading the log back failed */
} VmcSessionlogError;

#define VMC_RECORD_VERSION 1
#define VMC_RECORD_MAX_STRING 1024   /* longer strings are cut, marked with "..." */
#define VMC_RECORD_MAX_LINE (256 * 1024)
#define VMC_RECORD_MAX_SUMMARY 1000      /* bytes of vmc_record_summary() */
#define VMC_RECORD_SUMMARY_VALUE_MAX 200 /* bytes of one escaped summary value */

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
/* (A NaN or infinite double is stored as null: JSON has no such numbers.) */
/* Takes ownership of node (an object or array built by the caller). */
/* A sanitized deep copy is stored: every string in it (member names too)
 * gets the rules above, non-finite doubles become null. Keys must be valid
 * UTF-8 (g_return). */
void vmc_record_take_node(VmcRecord *record, const char *key, JsonNode *node);

/* The underlying object (for tests and readers). */
/* Members set on it directly bypass the sanitizing above. */
JsonObject *vmc_record_get_object(const VmcRecord *record);

/* The record as one line of JSON ending in '\n'; never contains another '\n'. */
/* No raw control byte either: json-glib escapes U+0000..U+001F and U+007F, and
 * C1 controls (U+0080..U+009F), U+2028 and U+2029 are written as \uXXXX too.
 * The line, '\n' included, is at most VMC_RECORD_MAX_LINE bytes: a longer
 * record (a caller's bug: downsample the series) loses its "series" member;
 * if still too long, the line holds only the scalar members v, event, time,
 * session, identity and vm plus "truncated": true. NULL only on a bug
 * (g_return). *ret_length, when given, is the line's length. */
char *vmc_record_to_line(const VmcRecord *record, gsize *ret_length);

/* A one-line human summary for syslog, e.g.
 * "denied identity=bob vm=debianx reason=..." (strings escaped, capped). */
/* "EVENT key=value ..." for session, identity, account, vm, client, reason,
 * exit, duration_s, bytes_total, suppressed when present. Strings go through
 * vmc_text_escape() capped at VMC_RECORD_SUMMARY_VALUE_MAX and are put in
 * double quotes (inner quotes as \") when they hold a space or a quote or are
 * empty. At most VMC_RECORD_MAX_SUMMARY bytes; fields that do not fit are
 * left out whole and " ..." ends the summary. */
char *vmc_record_summary(const VmcRecord *record);

/* json-glib's output made safe to store and print: C1 controls
 * (U+0080..U+009F), U+2028 and U+2029 written as \uXXXX escapes; and the
 * doubles json-glib 1.6 writes as "1e+40.0" (not JSON: a ".0" after an
 * exponent) written as "1e+40". Strings are left as they are. */
GString *vmc_json_text_finish(const char *json, gsize len);

/* time as RFC 3339 UTC with milliseconds, e.g. "2026-11-29T10:02:03.123Z"
 * (the format of "time" and of any other time member a caller sets). */
char *vmc_record_format_time(GDateTime *time);

void vmc_record_free(VmcRecord *record);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcRecord, vmc_record_free)

typedef struct _VmcSessionLog VmcSessionLog;

/* Open the log for appending (O_WRONLY|O_APPEND|O_CREAT|O_NOFOLLOW|O_CLOEXEC,
 * mode 0640). Fails with VMC_SESSIONLOG_ERROR_OPEN naming the path and what
 * to do. */
VmcSessionLog *vmc_sessionlog_open(const char *path, GError **error);

/* Append one record: a single write(2) of the whole line, then fsync; then
 * mirror the summary (syslog, LOG_AUTHPRIV, by default) — also when the
 * write or fsync failed (a full disk): the mirror line then ends with
 * VMC_SESSIONLOG_MIRROR_NOT_IN_FILE and the error, at LOG_WARNING, and the
 * error is returned as before. */
/* A short write is VMC_SESSIONLOG_ERROR_WRITE and is never completed by a
 * second write (which could interleave with another process's record); the
 * next append on this handle then starts with '\n' so the fragment stays on
 * its own (damaged) line. The mirror gets LOG_NOTICE for "denied" and
 * "denied-summary", else LOG_INFO; syslog's ident is "vmconsole"
 * (openlog() on first use). */
gboolean vmc_sessionlog_append(VmcSessionLog *log, const VmcRecord *record, GError **error);

#define VMC_SESSIONLOG_MIRROR_NOT_IN_FILE "log_write=failed"

/* Where the summaries go: func(priority, line, user_data) for each append
 * (priority as syslog(3)'s, line printable ASCII). NULL: no mirror. The
 * default is syslog; tests capture it here. */
typedef void (*VmcSessionLogMirrorFunc)(int priority, const char *line, gpointer user_data);
void vmc_sessionlog_set_mirror(VmcSessionLog *log, VmcSessionLogMirrorFunc func,
                               gpointer user_data);

/* Mirror records to syslog (TRUE, the default) or not at all. */
/* The environment variable VMC_NO_SYSLOG=1, read by vmc_sessionlog_open(),
 * turns it off too: for tests only; programs must not pass it on from
 * untrusted environments. */
void vmc_sessionlog_set_syslog(VmcSessionLog *log, gboolean enabled);

/* TRUE when the log's filesystem has less than reserve bytes available to
 * the account (statvfs f_bavail); FALSE when reserve is 0 or it cannot
 * be told. */
gboolean vmc_sessionlog_space_low(VmcSessionLog *log, guint64 reserve);

void vmc_sessionlog_close(VmcSessionLog *log);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcSessionLog, vmc_sessionlog_close)

/* ---- reading the log back (log-read.c; streaming, tolerant) ----
 *
 * The reader streams: it holds one line at a time (at most
 * VMC_RECORD_MAX_LINE bytes; a longer line is damaged and skipped without
 * being held), so memory does not grow with the log. Each line is checked
 * as strict JSON (RFC 8259) by a small scanner that keeps only the members
 * listed in VmcLogEntry (top-level scalars, and the two streams' byte counts
 * inside "streams") and skips everything else (arrays, other nested objects)
 * without building a tree; a caller that needs the whole record (show, plot)
 * parses entry->line with json-glib (vmc_log_parse_object()).
 *
 * A line that could say two things to two readers is damaged: a member name
 * repeated in any object of it (json-glib and jq keep the last one), or
 * U+0000 in any string (json-glib cuts the string there). */

#define VMC_LOG_DAMAGED_LINES_MAX 100 /* line numbers of damaged lines remembered */

/* Member names of the sandbox and stream fields, for the readers (this
 * scanner, the admin's show/report/plot); gateway/session-record.c writes
 * them. start: "sandbox": "on"|"off", "protections": [names]; end:
 * "streams": {"x11"|"audio": {"to_laptop", "from_laptop", "connections",
 * "failed", "rate_mean", "rate_peak", "rate_peak_time"}}, and "series"
 * holds "streams": {"x11"|"audio": [bytes per step]}. */
#define VMC_RECORD_SANDBOX "sandbox"
#define VMC_RECORD_SANDBOX_OFF "off"
#define VMC_RECORD_PROTECTIONS "protections"
#define VMC_RECORD_STREAMS "streams"
#define VMC_RECORD_STREAM_X11 "x11"     /* the viewer's X11 drawing, across the SSH connection */
#define VMC_RECORD_STREAM_AUDIO "audio" /* the sound, through the tunnel to the laptop */
#define VMC_RECORD_TO_LAPTOP "to_laptop"
#define VMC_RECORD_FROM_LAPTOP "from_laptop"
#define VMC_RECORD_FAILED "failed"

/* The summary of denied requests that were counted instead of written one
 * by one (gateway/denied-limit.c writes it): "identity", "account",
 * "client" (the address, without the port), "suppressed" (requests not
 * written; = "over_rate" + "low_space": over the rate allowed per identity
 * and client, or while the log's filesystem was below its reserve), "exits"
 * ({"2": n, "3": n, ...}: the suppressed requests by exit code), "first" and
 * "last" (times of the first and last suppressed request), "window_s" and
 * "limit" (the rate: records per window). */
#define VMC_RECORD_DENIED_SUMMARY "denied-summary"
#define VMC_RECORD_SUPPRESSED "suppressed"
#define VMC_RECORD_OVER_RATE "over_rate"
#define VMC_RECORD_LOW_SPACE "low_space"
#define VMC_RECORD_EXITS "exits"
#define VMC_RECORD_FIRST "first"
#define VMC_RECORD_LAST "last"

typedef enum {
    VMC_LOG_EVENT_START,
    VMC_LOG_EVENT_END,
    VMC_LOG_EVENT_DENIED,
    VMC_LOG_EVENT_DENIED_SUMMARY, /* VMC_RECORD_DENIED_SUMMARY */
} VmcLogEvent;

/* A stream's byte counts in an end record: -1 each when absent or not a
 * non-negative integer (of at most 18 digits). */
typedef struct {
    gint64 to_laptop;
    gint64 from_laptop;
} VmcLogStreamBytes;

/* One good record. Strings are valid UTF-8 with JSON escapes decoded (so
 * they may hold control characters: escape them before printing), NULL when
 * the member is absent or not a string; numbers are -1 (or NAN for rates)
 * when absent or of the wrong type. Everything points into the reader and is
 * valid until the next vmc_log_reader_next() call. */
typedef struct {
    guint64 line_number;    /* 1-based */
    const char *line;       /* the raw line, without '\n' */
    gsize line_length;
    VmcLogEvent event;
    gint64 time_us;         /* "time", microseconds since the epoch (UTC) */
    gint64 start_us;        /* end: "start"; -1 otherwise */
    const char *session;
    const char *identity;
    const char *account;
    const char *key;
    const char *client;
    const char *vm;
    const char *reason;     /* end, denied */
    const char *audio;      /* start: "off", "tcp:PORT", ... */
    const char *takeover_of;
    const char *taken_over_by;
    gint64 duration_s;      /* end */
    gint64 bytes_total;     /* end */
    gint64 viewer_exit;     /* end */
    gint64 exit_code;       /* denied: "exit" */
    double rate_mean;       /* end, bytes/s */
    double rate_peak;       /* end, bytes/s */
    gint64 rate_peak_time_us;
    const char *sandbox;    /* start: "on", "off"; NULL in records older than the sandbox */
    VmcLogStreamBytes x11_stream;   /* end: "streams"."x11" (absent: sandbox off, older) */
    VmcLogStreamBytes audio_stream; /* end: "streams"."audio" (absent: no sound, older) */
    gint64 suppressed;      /* denied-summary: requests counted, not written */
    gint64 first_us;        /* denied-summary: the first of them */
} VmcLogEntry;

typedef struct _VmcLogReader VmcLogReader;

/* Open a log for reading (O_RDONLY|O_CLOEXEC). Fails naming the path and
 * what to do. */
VmcLogReader *vmc_log_reader_open(const char *path, GError **error);

/* Read from an fd the caller keeps owning (tests, stdin). */
VmcLogReader *vmc_log_reader_new_for_fd(int fd);

/* The next good record, or NULL at the end of the log (or on a read error,
 * then set in error). Damaged lines — not strict JSON, not an object, no
 * "v": 1, an unknown "event", no parseable "time", too long, invalid UTF-8,
 * a repeated member or U+0000, or a last line without '\n' (truncated) — are
 * skipped and counted. Empty lines are skipped silently. */
const VmcLogEntry *vmc_log_reader_next(VmcLogReader *reader, GError **error);

/* Damaged lines seen so far, and the first VMC_LOG_DAMAGED_LINES_MAX of
 * their line numbers (a GArray of guint64). */
guint64 vmc_log_reader_get_n_damaged(const VmcLogReader *reader);
const GArray *vmc_log_reader_get_damaged_lines(const VmcLogReader *reader);

void vmc_log_reader_free(VmcLogReader *reader);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcLogReader, vmc_log_reader_free)

/* Pure: parse one line (without '\n') into entry. FALSE when it is damaged.
 * Strings in *ret_entry point into scratch (reset by this call) or line. The
 * fuzz target's entry point. */
gboolean vmc_log_entry_parse(const char *line, gsize length, GString *scratch,
                             VmcLogEntry *ret_entry);

/* Pure: a log line parsed by json-glib for the readers that need the whole
 * record (show, plot), refused (NULL) where the scanner above would call it
 * damaged for its shape: nesting deeper than max_depth (json-glib recurses),
 * a member name repeated in any object, U+0000 in any string, or not an
 * object. (Whether it is a record — "v", "event", "time" — is the caller's
 * to check.) A new reference. */
JsonObject *vmc_log_parse_object(const char *line, gsize length, guint max_depth);

/* Pure: an RFC 3339 time as written by vmc_record_format_time() (or with an
 * offset) to microseconds since the epoch; -1 when it is not one. */
gint64 vmc_log_parse_time(const char *text);

G_END_DECLS
