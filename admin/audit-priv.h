/* audit-priv.h — the audit commands' pure parts (sessions, show, plot):
 * sessions rebuilt from log records, their text and JSON for people and
 * machines, the terminal sparkline, and the plot's maths (scales, ticks,
 * downsampling). audit-session.c, audit-format.c, sparkline.c and
 * plot-scale.c are in vmcadmin, the library the unit tests and the fuzz
 * target link; sessions.c, show.c, plot.c (log, locks, files) and plot-draw.c
 * (cairo) do the I/O.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "vmc-common.h"
#include "vmc-sessionlog.h"

G_BEGIN_DECLS

#define VMC_AUDIT_MAX_CHANNELS 32             /* channels of one record kept (more: ignored) */
#define VMC_AUDIT_MAX_STREAMS 8               /* streams of one record kept (the gateway: <= 2) */
#define VMC_AUDIT_MAX_PROTECTIONS 32          /* sandbox protections of a start record kept */
#define VMC_AUDIT_MAX_SAMPLES (64 * 1024)     /* samples of one series kept (the gateway: <= 900) */
#define VMC_AUDIT_MAX_STEP_S (24 * 3600)      /* a larger series step_s is not believed */
#define VMC_AUDIT_ID_MAX 64                   /* bytes of a session id taken from a record */
#define VMC_AUDIT_PREFIX_MIN 4                /* hex digits of a session prefix, at least */
#define VMC_AUDIT_MAX_MATCHES 1000            /* sessions one `show` query may match */
#define VMC_AUDIT_MAX_OPEN 10000              /* starts without an end remembered while reading */
#define VMC_AUDIT_MAX_LOGS 1000               /* log files one command reads (--log, patterns) */
#define VMC_AUDIT_MAX_DEDUP (4 * 1024 * 1024) /* records whose keys are kept to find duplicates */
#define VMC_AUDIT_PLOT_MAX_SESSIONS 2000      /* sessions on one plot */
#define VMC_AUDIT_SPARKLINE_WIDTH 60          /* columns of `show`'s sparkline */
#define VMC_AUDIT_VALUE_MAX 300               /* bytes of an escaped value in `show` */
#define VMC_AUDIT_CELL_MAX 200                /* bytes of an escaped CSV or title field */

/* ---- a session from its records (audit-session.c) ---- */

typedef enum {
    VMC_AUDIT_STATE_ENDED,        /* an end record */
    VMC_AUDIT_STATE_LIVE,         /* a start, no end, and a console lock names it */
    VMC_AUDIT_STATE_UNTERMINATED, /* a start, no end, no live lock: the gateway died? */
} VmcAuditState;

typedef struct {
    char *name;
    gint64 to_vm; /* bytes; -1 unknown */
    gint64 from_vm;
    gint64 connections;
    GArray *series; /* of double, bytes per step (the session's step_s), or NULL */
} VmcAuditChannel;

/* A stream the gateway relayed besides Spice ("x11": the viewer's drawing
 * across the SSH connection; "audio": the sound through the tunnel to the
 * laptop). Counts -1 and rates NAN when the record does not say. */
typedef struct {
    char *name; /* as the record names it (untrusted: escape) */
    gint64 to_laptop;
    gint64 from_laptop;
    gint64 connections;
    gint64 failed;
    double rate_mean, rate_peak; /* bytes/s */
    gint64 rate_peak_time_us;
    GArray *series; /* of double, bytes per step (the session's step_s), or NULL */
} VmcAuditStream;

/* Strings are as the record holds them (valid UTF-8, may hold control
 * characters: escape before printing), NULL when absent. Numbers: -1 (NAN
 * for rates) when absent. */
typedef struct {
    char *session;
    char *identity, *account, *key, *key_type, *client, *vm, *socket, *mode, *audio;
    char *reason, *reason_text, *taken_over_by, *takeover_of, *viewer_signal;
    char *host;      /* the records' "host"; NULL in records older than it */
    gint64 start_us; /* the start record's time, else the end's "start" */
    gint64 end_us;   /* the end record's time */
    gint64 duration_s;
    gint64 bytes_total;
    gint64 viewer_exit;
    gint64 rejected;
    double rate_mean; /* vmc_log_mean_rate() of the end record, as report has it */
    double rate_peak;
    gint64 rate_peak_time_us;
    gint64 step_s;       /* of the series; 0: none */
    GArray *total;       /* of double, bytes per step, or NULL */
    GPtrArray *channels; /* of VmcAuditChannel*, in record order */
    GPtrArray *streams;  /* of VmcAuditStream*, in record order (none in older records) */
    char *sandbox;       /* the start record's "on" / "off"; NULL in older records */
    GStrv protections;   /* the start record's, or NULL (at most VMC_AUDIT_MAX_PROTECTIONS) */
    /* The ends by policy (start record): the limits, the key's expiry-time,
     * the certificate's fields (strings NULL, numbers -1 when absent). */
    gint64 max_duration_s, idle_timeout_s, key_expires_us;
    char *cert_key_id, *cert_serial, *cert_ca;
    gint64 cert_valid_after_us, cert_valid_before_us;
    guint64 start_line; /* line numbers in the log (0: no such record) */
    guint64 end_line;
    VmcAuditState state; /* ENDED when end_line; else set by the caller (locks) */
} VmcAuditSession;

VmcAuditSession *vmc_audit_session_new(const char *id);
void vmc_audit_session_free(VmcAuditSession *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcAuditSession, vmc_audit_session_free)

/* The id of a log line's "session" member (the line parsed as a JSON object;
 * "start" and "end" records only), newly allocated, or NULL. */
char *vmc_audit_line_session_id(const char *line, gsize length);

/* Merge one "start" or "end" record line into session: strings, numbers,
 * times, the sandbox and its protections, channels, streams and series
 * (bounded by the limits above; a series of the wrong shape is dropped, a
 * channel's or stream's series of another length than "bytes" too). FALSE
 * (session untouched) when the line is not such a record of this session.
 * The fuzz target's entry point. */
gboolean vmc_audit_session_add_line(VmcAuditSession *session, const char *line, gsize length,
                                    guint64 line_number);

/* Pure: the key a record is known by across logs: a 64-bit digest
 * (SHA-256) of its host, session, event, time, identity and client. Two
 * copies of one record have the same key; two records differ in it but
 * for a 2^-64 chance. */
guint64 vmc_audit_entry_key(const VmcLogEntry *entry);

/* Pure: a session's key in logs of several hosts ("HOST\x1fID"; an older
 * record without a host: "\x1fID"), newly allocated: a session id is
 * unique per host. */
char *vmc_audit_session_key(const char *host, const char *session);

/* Pure: TRUE when records of host were written here (or name no host, as
 * older ones): only then can a console lock here say a session is live. */
gboolean vmc_audit_host_is_here(const char *host);

/* TRUE for a `show` query: VMC_AUDIT_PREFIX_MIN to VMC_AUDIT_ID_MAX hex digits. */
gboolean vmc_audit_query_is_valid(const char *query);

/* TRUE when id is query or starts with it (hex compared case-insensitively). */
gboolean vmc_audit_id_matches(const char *id, const char *query);

/* ---- text for people, JSON and CSV for machines (audit-format.c) ---- */

/* "2026-11-29 10:02:03" in tz; "-" for a negative time. */
char *vmc_audit_format_time(gint64 time_us, GTimeZone *tz);

/* "ended", "live", "UNTERMINATED (the gateway died?)" */
const char *vmc_audit_state_word(VmcAuditState state);

/* For machines (JSON, CSV): "ended", "live", "unterminated". */
const char *vmc_audit_state_name(VmcAuditState state);

/* `show`: the session in full, "label  value" lines, every value escaped and
 * capped (printable ASCII, or the sparkline's UTF-8 blocks when unicode),
 * the sandbox (off as a warning line), then the channels and the streams as
 * tables and the sparklines of the Spice throughput and of each stream. A
 * session whose records have no sandbox or streams shows no line for them. */
char *vmc_audit_show_format(const VmcAuditSession *session, GTimeZone *tz, gboolean unicode);

/* `show --json`: one pretty-printed object (session fields, "state",
 * "unterminated", "sandbox", "protections", "channels", "streams", "series"
 * with "streams" in it), strings valid UTF-8 and capped, control characters
 * as \uXXXX; ends in '\n'. */
char *vmc_audit_session_to_json(const VmcAuditSession *session);

/* A node for the session's scalar fields, "sandbox" among them (also each
 * row of `sessions --json`); with_series adds "protections", the channels,
 * the streams and the series. */
JsonNode *vmc_audit_session_summary_node(const VmcAuditSession *session, gboolean with_series);

/* Any JSON text with C1 controls and U+2028/2029 written as \uXXXX, plus '\n'. */
char *vmc_audit_json_finish(JsonNode *root);

/* One CSV field: escaped (printable ASCII) and capped at VMC_AUDIT_CELL_MAX,
 * quoted when it holds a comma, quote or space, a leading = + - @ made
 * inert with a quote ('), NULL as empty. Appended to out. */
void vmc_audit_csv_append(GString *out, const char *field);

/* A --since/--until date: YYYY-MM-DD (midnight in tz) or RFC 3339 (without
 * an offset: in tz), as microseconds since the epoch; FALSE for anything else. */
gboolean vmc_audit_parse_date(const char *text, GTimeZone *tz, gint64 *ret_us);

/* ---- the sparkline (sparkline.c) ---- */

/* values (doubles >= 0) squeezed into at most width columns (each the
 * largest value of its samples), drawn with the block characters U+2581..
 * U+2588 when unicode, else with the ASCII ramp "_.-:=+*#"; a column of
 * zeros is a space. Empty for no values. */
char *vmc_audit_sparkline(const GArray *values, guint width, gboolean unicode);

/* TRUE when the locale the person runs in (the first set of LC_ALL,
 * LC_CTYPE, LANG) names UTF-8. */
gboolean vmc_audit_locale_is_utf8(const char *lc_all, const char *lc_ctype, const char *lang);

/* ---- the plot's maths (plot-scale.c) ---- */

typedef struct {
    double x; /* seconds since the epoch */
    double y; /* bytes per second */
} VmcPlotPoint;

typedef enum {
    VMC_PLOT_TOTAL,   /* the Spice total */
    VMC_PLOT_CHANNEL, /* a Spice channel */
    VMC_PLOT_STREAM,  /* a stream besides Spice (X11, sound) */
} VmcPlotKind;

typedef struct {
    char *name; /* "total", a channel's or a stream's name (untrusted: escape) */
    VmcPlotKind kind;
    GPtrArray *segments; /* of GArray of VmcPlotPoint: one per session, drawn apart */
} VmcPlotSeries;

typedef struct {
    GPtrArray *series;   /* of VmcPlotSeries*: the total, channels by name, streams by name */
    double x_min, x_max; /* seconds since the epoch; x_max > x_min */
    double y_max;        /* bytes per second, > 0 */
    guint n_sessions;
} VmcPlotData;

/* The throughput of sessions (of VmcAuditSession*, with series) as rates per
 * channel, in total, and per stream, on one time axis. Sessions without a
 * series are skipped. NULL when no session has one. */
VmcPlotData *vmc_plot_data_new(const GPtrArray *sessions);
void vmc_plot_data_free(VmcPlotData *data);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcPlotData, vmc_plot_data_free)

/* A "nice" tick step (1, 2 or 5 times a power of ten) so that span needs at
 * most max_ticks steps. span > 0, max_ticks >= 1. */
double vmc_plot_nice_step(double span, guint max_ticks);

/* The unit for rates up to max_rate: "B/s", "KiB/s", "MiB/s", "GiB/s" and
 * its divisor (1, 1024, ...). */
const char *vmc_plot_rate_unit(double max_rate, double *ret_divisor);

/* A tick label: value (in the unit) with as many decimals as step needs, and
 * the unit: "0 MiB/s", "2.5 MiB/s". */
char *vmc_plot_tick_label(double value, double step, const char *unit);

/* A time tick step in seconds from 1 s, 2, 5, 10, 15, 30 s, 1, 2, 5, 10, 15,
 * 30 min, 1, 2, 3, 6, 12 h, 1, 2, 7 days, ... so that span needs at most
 * max_ticks steps; and the strftime format for its labels. */
double vmc_plot_time_step(double span_s, guint max_ticks);
const char *vmc_plot_time_format(double step_s);

/* Squeeze points (sorted by x) into at most columns points: each column of
 * [x_min, x_max] keeps the largest y of its points, at their mean x. A new
 * array; points alone when they already fit. */
GArray *vmc_plot_downsample(const GArray *points, double x_min, double x_max, guint columns);

/* ---- drawing (plot-draw.c, cairo) ---- */

typedef enum {
    VMC_PLOT_PNG,
    VMC_PLOT_SVG,
} VmcPlotFormat;

#define VMC_PLOT_WIDTH 1200 /* pixels (PNG) or points (SVG) */
#define VMC_PLOT_HEIGHT 600

/* The format an output file name asks for (.png or .svg, any case); FALSE
 * for anything else. */
gboolean vmc_plot_format_from_name(const char *path, VmcPlotFormat *ret_format);

/* Draw data as format onto fd (owned by the caller): a line per series with
 * a legend (the total dashed, the streams dotted and named "NAME stream"),
 * rate axis with nice ticks, time axis in tz, and the (untrusted, escaped
 * here) title and subtitle. Ends by dropping cairo's and
 * fontconfig's caches (drawing is the program's last act). */
gboolean vmc_plot_draw(const VmcPlotData *data, const char *title, const char *subtitle,
                       GTimeZone *tz, VmcPlotFormat format, int fd, GError **error);

/* ---- the logs to read (audit-logs.c, I/O) ----
 *
 * Every --log of the command line, else the config's log: a path, or a
 * pattern with '*' and '?' in its file name, expanded here (no shell) to the
 * regular files that match, sorted (an inode named twice is read once; at
 * most VMC_AUDIT_MAX_LOGS files). gzip'd files are read inflated (the
 * reader). With several files, they are read from the one whose first
 * record is oldest (a rotated set: log.2.gz, log.1, log), and a record
 * found in more than one of them (same vmc_audit_entry_key()) is given
 * once, at its first file (the keys of at most VMC_AUDIT_MAX_DEDUP records
 * are kept). Damaged lines are said on stderr per file as they are met. */
typedef struct _VmcAuditLogs VmcAuditLogs;

/* NULL, after saying why on stderr, when a path cannot be read or a pattern
 * matches nothing. */
VmcAuditLogs *vmc_audit_logs_open(const char *const *patterns);

/* The next record of the logs; NULL at the end (then the duplicates skipped
 * are said on stderr) or when a log could not be read (said;
 * vmc_audit_logs_failed()). Valid until the next call. */
const VmcLogEntry *vmc_audit_logs_next(VmcAuditLogs *logs);
gboolean vmc_audit_logs_failed(const VmcAuditLogs *logs);

/* The file being read (or the last one), for messages. */
const char *vmc_audit_logs_path(const VmcAuditLogs *logs);
guint vmc_audit_logs_get_n_files(const VmcAuditLogs *logs);
/* Damaged lines of the files read so far, and their line numbers when
 * there is one file (else empty: each file's are said on stderr). */
guint64 vmc_audit_logs_get_n_damaged(const VmcAuditLogs *logs);
const GArray *vmc_audit_logs_get_damaged_lines(const VmcAuditLogs *logs);
guint64 vmc_audit_logs_get_n_duplicates(const VmcAuditLogs *logs);

void vmc_audit_logs_free(VmcAuditLogs *logs);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcAuditLogs, vmc_audit_logs_free)

/* ---- reading the log for the audit commands (audit-log.c, I/O) ---- */

/* Which records a collection keeps: return TRUE for an entry (a start or end
 * record) whose session belongs in it. */
typedef gboolean (*VmcAuditFilterFunc)(const VmcLogEntry *entry, gpointer user_data);

/* The sessions of the logs (patterns: see vmc_audit_logs_open(); of
 * VmcAuditSession*, by first record; a session is its host's and id's)
 * whose records filter accepts (NULL: all), at most max; *ret_more is set
 * when more matched. Sessions without an end are LIVE when a console lock
 * in run_dir names them (records of this host only), else UNTERMINATED.
 * Damaged lines are reported on stderr (count and line numbers). NULL,
 * after saying why on stderr, when a log cannot be read. */
GPtrArray *vmc_audit_collect(const char *const *patterns, const char *run_dir,
                             VmcAuditFilterFunc filter, gpointer user_data, guint max,
                             gboolean *ret_more);

/* The one session of the logs whose id is query or starts with it; NULL
 * after saying on stderr that there is none, or listing the ids when there
 * are several (the same id on two hosts too). query:
 * vmc_audit_query_is_valid(). */
VmcAuditSession *vmc_audit_find_session(const char *const *patterns, const char *run_dir,
                                        const char *query);

/* On stderr: "LOG: skipped N damaged line(s) ... at line 3, 17, ..." (none: nothing). */
void vmc_audit_report_damaged(const VmcLogReader *reader, const char *log_path);

/* The local time zone ($TZ, else the system's). */
GTimeZone *vmc_audit_local_tz(void);

/* TRUE when stdout may take the sparkline's UTF-8 blocks (the locale names UTF-8). */
gboolean vmc_audit_unicode_wanted(void);

G_END_DECLS

/* Everything vmconsole-admin prints goes through vmc_print_escaped(). */
VMC_PRINTF_POISON
