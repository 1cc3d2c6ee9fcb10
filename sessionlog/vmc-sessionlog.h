/* vmc-sessionlog.h — the session record: build, append to the log, mirror to syslog, read back.
 *
 * The record schema lives here alone, for the writer and the readers.
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
#define VMC_RECORD_MAX_STRING 1024 /* longer strings are cut, marked with "..." */
#define VMC_RECORD_MAX_LINE (256 * 1024)
#define VMC_RECORD_MAX_SUMMARY 1000      /* bytes of vmc_record_summary() */
#define VMC_RECORD_SUMMARY_VALUE_MAX 200 /* bytes of one escaped summary value */

/* ---- the record schema (record-schema.c) ----
 *
 * Every member of every record is declared here, once. VMC_RECORD_NAMES
 * lists each member name (top-level and nested) as a C identifier that is
 * also its text on the wire; code names a member as vmc_record_names.NAME,
 * so a name not in the list does not compile. Each record is a struct whose
 * fields are declared by an X-macro list F(KIND, name, sub) (the name from
 * VMC_RECORD_NAMES, the order the order on the wire); from the same lists
 * come the schema tables (vmc_record_schema()) that the writer
 * (vmc_record_new_from_fields) and the readers (vmc_record_fields_parse, the
 * streaming scanner below, vmconsole-admin) all go by. Renaming a member is
 * a compile error; changing its text fails the tests that hold the wire
 * (tests/unit/sessionlog/golden-records.h, as the gateway wrote it). */

/* clang-format off */
#define VMC_RECORD_NAMES(N)                                                                  \
    /* every record */                                                                       \
    N(v) N(event) N(time) N(host) N(truncated)                                               \
    /* start and end: who, and the sound */                                                  \
    N(session) N(identity) N(account) N(key) N(client) N(vm)                                 \
    N(audio) N(audio_authenticated) N(audio_server) N(audio_error)                           \
    /* start */                                                                              \
    N(key_type) N(socket) N(mode) N(file_transfer) N(clipboard) N(microphone) N(usb)         \
    N(viewer) N(sandbox) N(protections) N(takeover_of) N(stale_session) N(swept_sessions)    \
    N(max_duration_s) N(idle_timeout_s) N(certificate) N(key_expires)                        \
    /* start: the certificate */                                                             \
    N(key_id) N(serial) N(ca) N(valid_after) N(valid_before)                                 \
    /* end */                                                                                \
    N(start) N(duration_s) N(reason) N(reason_text) N(taken_over_by) N(viewer_exit)          \
    N(viewer_signal) N(viewer_log) N(channels) N(bytes_total) N(rate_mean) N(rate_peak)      \
    N(rate_peak_time) N(series) N(rejected_connections) N(streams) N(agent)                  \
    /* end: a channel, a stream, the series, the agent policy's counters */                  \
    N(to_vm) N(from_vm) N(connections) N(to_laptop) N(from_laptop) N(failed) N(step_s)       \
    N(bytes) N(file_transfer_dropped) N(clipboard_to_vm_dropped)                             \
    N(clipboard_from_vm_dropped) N(bytes_dropped_to_vm) N(bytes_dropped_from_vm)             \
    N(bytes_injected_to_vm) N(bytes_injected_from_vm) N(refused)                             \
    /* denied */                                                                             \
    N(request) N(exit)                                                                       \
    /* denied-summary */                                                                     \
    N(other_clients) N(suppressed) N(over_rate) N(low_space) N(exits) N(first) N(last)       \
    N(window_s) N(limit)
/* clang-format on */

#define VMC_RECORD_NAME_MEMBER_(name) char name[sizeof(#name)];
typedef struct {
    VMC_RECORD_NAMES(VMC_RECORD_NAME_MEMBER_)
} VmcRecordNames;

/* The member names: vmc_record_names.viewer_exit is "viewer_exit". */
extern const VmcRecordNames vmc_record_names;

/* Values the readers look for. */
#define VMC_RECORD_SANDBOX_ON "on"
#define VMC_RECORD_SANDBOX_OFF "off"    /* the admin's sandbox = off */
#define VMC_RECORD_STREAM_X11 "x11"     /* the viewer's X11 drawing, across the SSH connection */
#define VMC_RECORD_STREAM_AUDIO "audio" /* the sound, through the tunnel to the laptop */
/* End reasons of the sessions that end by policy ("max_duration_s" and
 * "idle_timeout_s" of the start record give the limits; "certificate" the
 * certificate's valid_before). */
#define VMC_RECORD_REASON_MAX_DURATION "max-duration"
#define VMC_RECORD_REASON_IDLE "idle"
#define VMC_RECORD_REASON_CERTIFICATE "certificate-expired"
#define VMC_RECORD_REASON_KEY "key-expired" /* "key_expires": the key line's expiry-time */

/* The records' events ("event": "start", "end", "denied", "denied-summary"). */
typedef enum {
    VMC_LOG_EVENT_START,
    VMC_LOG_EVENT_END,
    VMC_LOG_EVENT_DENIED,
    VMC_LOG_EVENT_DENIED_SUMMARY, /* denied requests counted instead of written one by one */
} VmcLogEvent;

#define VMC_LOG_N_EVENTS (VMC_LOG_EVENT_DENIED_SUMMARY + 1)

/* "start", "end", "denied", "denied-summary"; and back (FALSE: none of them). */
const char *vmc_record_event_name(VmcLogEvent event);
gboolean vmc_record_event_from_name(const char *name, VmcLogEvent *ret_event);

/* What a member holds, its C type, and how it is absent (never written;
 * also what a reader makes of a member of another kind). */
typedef enum {
    VMC_RECORD_KIND_STRING,        /* char *, a string; NULL */
    VMC_RECORD_KIND_TIME,          /* gint64 us since the epoch, RFC 3339 UTC with ms; < 0 */
    VMC_RECORD_KIND_COUNT,         /* gint64 >= 0, an integer; < 0 */
    VMC_RECORD_KIND_RATE,          /* double >= 0 (bytes/s), a number; NAN */
    VMC_RECORD_KIND_FLAG,          /* VmcRecordFlag, true or false; VMC_RECORD_FLAG_UNSET */
    VMC_RECORD_KIND_STRINGS,       /* char ** (NULL-terminated), [strings]; NULL */
    VMC_RECORD_KIND_SAMPLES,       /* GArray of gint64 >= 0, [integers]; NULL */
    VMC_RECORD_KIND_OBJECT,        /* a struct (sub), {its fields}; when none of them is set */
    VMC_RECORD_KIND_INLINE,        /* a struct (sub) whose fields are members of this object */
    VMC_RECORD_KIND_NAMED,         /* GPtrArray of sub *, {name: {its fields}}; NULL */
    VMC_RECORD_KIND_NAMED_SAMPLES, /* GPtrArray of VmcRecordSamples *, {name: [...]}; NULL */
    VMC_RECORD_KIND_NAMED_COUNTS,  /* GPtrArray of VmcRecordCount *, {name: count}; NULL */
} VmcRecordKind;

typedef enum {
    VMC_RECORD_FLAG_UNSET,
    VMC_RECORD_FLAG_FALSE,
    VMC_RECORD_FLAG_TRUE,
} VmcRecordFlag;

static inline VmcRecordFlag
vmc_record_flag(gboolean value)
{
    return value ? VMC_RECORD_FLAG_TRUE : VMC_RECORD_FLAG_FALSE;
}

#define VMC_RECORD_CTYPE_STRING(sub) char *
#define VMC_RECORD_CTYPE_TIME(sub) gint64
#define VMC_RECORD_CTYPE_COUNT(sub) gint64
#define VMC_RECORD_CTYPE_RATE(sub) double
#define VMC_RECORD_CTYPE_FLAG(sub) VmcRecordFlag
#define VMC_RECORD_CTYPE_STRINGS(sub) char **
#define VMC_RECORD_CTYPE_SAMPLES(sub) GArray *
#define VMC_RECORD_CTYPE_OBJECT(sub) sub
#define VMC_RECORD_CTYPE_INLINE(sub) sub
#define VMC_RECORD_CTYPE_NAMED(sub) GPtrArray *
#define VMC_RECORD_CTYPE_NAMED_SAMPLES(sub) GPtrArray *
#define VMC_RECORD_CTYPE_NAMED_COUNTS(sub) GPtrArray *
#define VMC_RECORD_DECLARE_(kind, name, sub) VMC_RECORD_CTYPE_##kind(sub) name;

/* Who opened the session: the first members of its start and end records. */
/* clang-format off */
#define VMC_RECORD_WHO_FIELDS(F)                                                             \
    F(STRING, session, ) F(STRING, identity, ) F(STRING, account, ) F(STRING, key, )         \
    F(STRING, client, ) F(STRING, vm, )
/* clang-format on */
typedef struct {
    VMC_RECORD_WHO_FIELDS(VMC_RECORD_DECLARE_)
} VmcRecordWho;

/* The sound, in start and end records: "audio" is "off", "tcp:127.0.0.1:PORT"
 * or "tcp:?"; the others only when sound was asked for. */
/* clang-format off */
#define VMC_RECORD_SOUND_FIELDS(F)                                                           \
    F(STRING, audio, ) F(FLAG, audio_authenticated, ) F(STRING, audio_server, )              \
    F(STRING, audio_error, )
/* clang-format on */
typedef struct {
    VMC_RECORD_SOUND_FIELDS(VMC_RECORD_DECLARE_)
} VmcRecordSound;

/* The OpenSSH certificate the person logged in with: its key id, serial
 * (decimal text: it is an unsigned 64-bit number), the CA key's fingerprint
 * ("SHA256:...", as ssh-keygen -l prints it) and the validity (valid_before
 * absent: it never expires). */
/* clang-format off */
#define VMC_RECORD_CERTIFICATE_FIELDS(F)                                                     \
    F(STRING, key_id, ) F(STRING, serial, ) F(STRING, ca, ) F(TIME, valid_after, )           \
    F(TIME, valid_before, )
/* clang-format on */
typedef struct {
    VMC_RECORD_CERTIFICATE_FIELDS(VMC_RECORD_DECLARE_)
} VmcRecordCertificate;

/* "truncated": true only in what vmc_record_to_line() keeps of a record too long.
 * "host": in every record, after "time": the host the gateway ran on (its
 * own when the fields leave it NULL, see vmc_record_new_from_fields): a
 * session id is unique per host, so readers of several hosts' logs key
 * sessions by host and id. */
/* clang-format off */
#define VMC_RECORD_START_FIELDS(F)                                                           \
    F(TIME, time, ) F(STRING, host, ) F(INLINE, who, VmcRecordWho) F(STRING, key_type, )     \
    F(STRING, socket, ) F(STRING, mode, ) F(STRING, file_transfer, ) F(STRING, clipboard, )  \
    F(INLINE, sound, VmcRecordSound) F(FLAG, microphone, ) F(STRING, usb, )                  \
    F(STRING, viewer, )                                                                      \
    F(STRING, sandbox, ) F(STRINGS, protections, ) F(STRING, takeover_of, )                  \
    F(STRING, stale_session, ) F(STRINGS, swept_sessions, ) F(COUNT, max_duration_s, )      \
    F(COUNT, idle_timeout_s, ) F(OBJECT, certificate, VmcRecordCertificate)                  \
    F(TIME, key_expires, ) F(FLAG, truncated, )
/* clang-format on */
typedef struct {
    VMC_RECORD_START_FIELDS(VMC_RECORD_DECLARE_)
} VmcRecordStart;

/* A Spice channel of an end record's "channels": bytes each way, connections. */
/* clang-format off */
#define VMC_RECORD_CHANNEL_FIELDS(F)                                                         \
    F(COUNT, to_vm, ) F(COUNT, from_vm, ) F(COUNT, connections, )
/* clang-format on */
typedef struct {
    char *name; /* "main", "display", ... */
    VMC_RECORD_CHANNEL_FIELDS(VMC_RECORD_DECLARE_)
} VmcRecordChannel;

/* A stream besides Spice (VMC_RECORD_STREAM_X11, _AUDIO) of "streams". */
/* clang-format off */
#define VMC_RECORD_STREAM_FIELDS(F)                                                          \
    F(COUNT, to_laptop, ) F(COUNT, from_laptop, ) F(COUNT, connections, )                    \
    F(COUNT, failed, ) F(RATE, rate_mean, ) F(RATE, rate_peak, ) F(TIME, rate_peak_time, )
/* clang-format on */
typedef struct {
    char *name;
    VMC_RECORD_STREAM_FIELDS(VMC_RECORD_DECLARE_)
} VmcRecordStream;

/* One member of a NAMED_SAMPLES or NAMED_COUNTS member. */
typedef struct {
    char *name;
    GArray *samples; /* of gint64 */
} VmcRecordSamples;

typedef struct {
    char *name;
    gint64 count;
} VmcRecordCount;

/* "series": bytes per step_s seconds, in total ("bytes", Spice's) and per
 * channel and stream (the same length). */
/* clang-format off */
#define VMC_RECORD_SERIES_FIELDS(F)                                                          \
    F(COUNT, step_s, ) F(SAMPLES, bytes, ) F(NAMED_SAMPLES, channels, )                      \
    F(NAMED_SAMPLES, streams, )
/* clang-format on */
typedef struct {
    VMC_RECORD_SERIES_FIELDS(VMC_RECORD_DECLARE_)
} VmcRecordSeries;

/* "agent": what the agent policy removed (agent messages, bytes) and added,
 * and the main channels closed because they could not be followed. */
/* clang-format off */
#define VMC_RECORD_AGENT_FIELDS(F)                                                           \
    F(COUNT, file_transfer_dropped, ) F(COUNT, clipboard_to_vm_dropped, )                    \
    F(COUNT, clipboard_from_vm_dropped, ) F(COUNT, bytes_dropped_to_vm, )                    \
    F(COUNT, bytes_dropped_from_vm, ) F(COUNT, bytes_injected_to_vm, )                       \
    F(COUNT, bytes_injected_from_vm, ) F(COUNT, refused, )
/* clang-format on */
typedef struct {
    VMC_RECORD_AGENT_FIELDS(VMC_RECORD_DECLARE_)
} VmcRecordAgent;

/* clang-format off */
#define VMC_RECORD_END_FIELDS(F)                                                             \
    F(TIME, time, ) F(STRING, host, ) F(INLINE, who, VmcRecordWho) F(TIME, start, )          \
    F(COUNT, duration_s, ) F(STRING, reason, ) F(STRING, reason_text, )                      \
    F(STRING, taken_over_by, ) F(COUNT, viewer_exit, ) F(STRING, viewer_signal, )            \
    F(STRING, viewer_log, ) F(INLINE, sound, VmcRecordSound)                                 \
    F(NAMED, channels, VmcRecordChannel) F(COUNT, bytes_total, ) F(RATE, rate_mean, )        \
    F(RATE, rate_peak, ) F(TIME, rate_peak_time, ) F(OBJECT, series, VmcRecordSeries)        \
    F(COUNT, rejected_connections, ) F(NAMED, streams, VmcRecordStream)                      \
    F(OBJECT, agent, VmcRecordAgent) F(FLAG, truncated, )
/* clang-format on */
typedef struct {
    VMC_RECORD_END_FIELDS(VMC_RECORD_DECLARE_)
} VmcRecordEnd;

/* clang-format off */
#define VMC_RECORD_DENIED_FIELDS(F)                                                          \
    F(TIME, time, ) F(STRING, host, ) F(STRING, identity, ) F(STRING, account, )             \
    F(STRING, key, ) F(STRING, key_type, ) F(STRING, client, ) F(STRING, request, )          \
    F(STRING, vm, ) F(STRING, reason, ) F(COUNT, exit, ) F(FLAG, truncated, )
/* clang-format on */
typedef struct {
    VMC_RECORD_DENIED_FIELDS(VMC_RECORD_DECLARE_)
} VmcRecordDenied;

/* Denied requests counted instead of written (gateway/denied-limit.c):
 * "client" the address without the port (or "other_clients": true),
 * "suppressed" = "over_rate" + "low_space" (over the rate per identity and
 * client, or below the log's reserve), "exits" {"CODE": n}, "first" and
 * "last" of them, the rate: "limit" records per "window_s". */
/* clang-format off */
#define VMC_RECORD_DENIED_SUMMARY_FIELDS(F)                                                  \
    F(TIME, time, ) F(STRING, host, ) F(STRING, identity, ) F(STRING, account, )             \
    F(STRING, client, ) F(FLAG, other_clients, ) F(COUNT, suppressed, )                      \
    F(COUNT, over_rate, ) F(COUNT, low_space, ) F(NAMED_COUNTS, exits, ) F(TIME, first, )    \
    F(TIME, last, ) F(COUNT, window_s, ) F(COUNT, limit, ) F(FLAG, truncated, )
/* clang-format on */
typedef struct {
    VMC_RECORD_DENIED_SUMMARY_FIELDS(VMC_RECORD_DECLARE_)
} VmcRecordDeniedSummary;

/* A record of any event, typed. It owns what it points to. */
typedef struct {
    VmcLogEvent event;
    union {
        VmcRecordStart start;
        VmcRecordEnd end;
        VmcRecordDenied denied;
        VmcRecordDeniedSummary denied_summary;
    };
} VmcRecordFields;

/* Every field of event's record absent (a zeroed VmcRecordFields is safe to
 * clear, but its counts and times read as set to 0). */
void vmc_record_fields_init(VmcRecordFields *fields, VmcLogEvent event);

/* Free what fields owns; every field absent again (the event stays). */
void vmc_record_fields_clear(VmcRecordFields *fields);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VmcRecordFields, vmc_record_fields_clear)

/* An empty NAMED, NAMED_SAMPLES or NAMED_COUNTS field (present: written as
 * {}), and a member added to one at its end (name copied; its fields
 * absent; the samples an empty array of gint64 to fill). The record frees
 * them all (vmc_record_fields_clear): the array has no free function. */
GPtrArray *vmc_record_named_new(void);
VmcRecordChannel *vmc_record_channels_add(GPtrArray *channels, const char *name);
VmcRecordStream *vmc_record_streams_add(GPtrArray *streams, const char *name);
GArray *vmc_record_samples_add(GPtrArray *named, const char *name);
void vmc_record_counts_add(GPtrArray *counts, const char *name, gint64 count);

/* The schema: each struct's fields as the lists above declare them. */
typedef struct _VmcRecordSchema VmcRecordSchema;

typedef struct {
    const char *name; /* on the wire; NULL for INLINE (its fields are this object's) */
    VmcRecordKind kind;
    gsize offset;               /* in the struct */
    const VmcRecordSchema *sub; /* OBJECT, INLINE, NAMED: the struct's own */
} VmcRecordField;

struct _VmcRecordSchema {
    const char *type_name; /* "VmcRecordEnd", for messages */
    gsize size;            /* of the struct (NAMED: of one member) */
    const VmcRecordField *fields;
    guint n_fields;
};

/* The schema of event's record (the VmcRecordFields union member). */
const VmcRecordSchema *vmc_record_schema(VmcLogEvent event);

/* Pure: one log line (without '\n') as a typed record: the line as
 * vmc_log_parse_object() takes it (max_depth), with a known "event"; each
 * member read by its kind (another kind: absent; see VmcRecordKind), members
 * the schema does not have skipped — and named in unknown (of char *,
 * "series.x"), when given. "v" and "time" are the caller's to check (the
 * streaming reader does). FALSE, *ret_fields untouched, when it is no
 * record; else ret_fields (cleared first) holds it. */
gboolean vmc_record_fields_parse(const char *line, gsize length, guint max_depth,
                                 VmcRecordFields *ret_fields, GPtrArray *unknown);

/* ---- the record as written (record.c, record-encode.c) ---- */

typedef struct _VmcRecord VmcRecord;

/* fields as the JSON object of a record: "v", "event", "time" (fields' own,
 * or now when it has none), "host" (fields' own, or this host's name,
 * vmc_record_host_name()), then each field that is set, in the schema's
 * order. Strings (member names in it too) are made valid UTF-8 (invalid
 * bytes as "\xNN") and capped at VMC_RECORD_MAX_STRING; a rate that is not
 * finite is written as null. */
VmcRecord *vmc_record_new_from_fields(const VmcRecordFields *fields);

/* This host's name (g_get_host_name(): gethostname(), "localhost" when it
 * has none), as records carry it in "host". */
const char *vmc_record_host_name(void);

/* The underlying object (for tests). */
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
 * (U+0080..U+009F), U+2028 and U+2029 written as \uXXXX escapes, and so is
 * a C0 control json-glib left raw in a string (1.6 leaves U+001F: not JSON);
 * and the doubles json-glib 1.6 writes as "1e+40.0" (not JSON: a ".0" after
 * an exponent) written as "1e+40". Strings are left as they are. */
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
 * mirror the summary (by default to the journal with the record's fields,
 * else to syslog, LOG_AUTHPRIV; see below) — also when the
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

/* ---- the journal (record-journal.c pure, log-append.c sends) ----
 *
 * By default each append mirrors the record to systemd's journal, through
 * its native protocol (one datagram to VMC_JOURNAL_SOCKET, sent without
 * blocking), with structured fields for central logging; where that socket
 * is not there (no systemd) or the journal does not take the datagram, the
 * summary goes to syslog as before. */

#define VMC_JOURNAL_SOCKET "/run/systemd/journal/socket"
#define VMC_JOURNAL_IDENTIFIER "vmconsole" /* SYSLOG_IDENTIFIER, syslog's ident */

/* Pure: the journal entry of a record, as the datagram of the native
 * protocol: MESSAGE (message: the summary, printable ASCII), PRIORITY
 * (priority, 0..7), SYSLOG_FACILITY=10 (authpriv), SYSLOG_IDENTIFIER,
 * then those of VMCONSOLE_EVENT, _HOST, _SESSION, _IDENTITY, _VM,
 * _REASON (the record's "event", "host", "session", "identity", "vm",
 * "reason", when it has them as strings: as stored, valid UTF-8, at most
 * VMC_RECORD_MAX_STRING bytes) and VMCONSOLE_BYTES ("bytes_total", end
 * records). A value holding a newline is sent in the protocol's binary
 * form (KEY\n, 64-bit little-endian length, value, \n), every other as
 * KEY=value\n. An entry is at most a few KiB (no memfd is needed). */
GBytes *vmc_journal_entry_new(const VmcRecord *record, int priority, const char *message);

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
    guint64 line_number; /* 1-based */
    const char *line;    /* the raw line, without '\n' */
    gsize line_length;
    VmcLogEvent event;
    gint64 time_us;   /* "time", microseconds since the epoch (UTC) */
    const char *host; /* "host"; NULL in records older than it */
    gint64 start_us;  /* end: "start"; -1 otherwise */
    const char *session;
    const char *identity;
    const char *account;
    const char *key;
    const char *client;
    const char *vm;
    const char *reason; /* end, denied */
    const char *audio;  /* start: "off", "tcp:PORT", ... */
    const char *takeover_of;
    const char *taken_over_by;
    gint64 duration_s;  /* end */
    gint64 bytes_total; /* end */
    gint64 viewer_exit; /* end */
    gint64 exit_code;   /* denied: "exit" */
    double rate_mean;   /* end, bytes/s */
    double rate_peak;   /* end, bytes/s */
    gint64 rate_peak_time_us;
    const char *sandbox;            /* start: "on", "off"; NULL in records older than the sandbox */
    const char *mode;               /* start: "x11", "native"; NULL in older records (x11) */
    VmcLogStreamBytes x11_stream;   /* end: "streams"."x11" (absent: sandbox off, older) */
    VmcLogStreamBytes audio_stream; /* end: "streams"."audio" (absent: no sound, older) */
    gint64 suppressed;              /* denied-summary: requests counted, not written */
    gint64 first_us;                /* denied-summary: the first of them */
} VmcLogEntry;

typedef struct _VmcLogReader VmcLogReader;

/* Open a log for reading (O_RDONLY|O_CLOEXEC). Fails naming the path and
 * what to do. A log (file or fd) that starts with gzip's magic (1f 8b) is
 * read through GIO's GZlibDecompressor (several members one after the
 * other too): the same records, the same bounds (what it inflates to goes
 * through the same fixed buffer, so a gzip bomb costs time, not memory).
 * Compressed data that ends early or is corrupt ends the log there, with
 * one damaged line (not a read error). */
VmcLogReader *vmc_log_reader_open(const char *path, GError **error);

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

/* Pure: the one definition of a session's mean rate, for every reader
 * (report, show, sessions, plot): its Spice bytes ("bytes_total") over its
 * length — the end record's "time" minus "start" (ms precision) when both
 * are known and in order, else "duration_s" whole seconds. The gateway's own
 * "rate_mean" (over the relay's lifetime) stays in the record, but readers
 * show this. Length in microseconds; -1 when neither is known. */
gint64 vmc_log_session_length_us(gint64 start_us, gint64 end_us, gint64 duration_s);
/* bytes / (length_us / 1e6) in bytes/s; NAN when bytes < 0 or length_us <= 0. */
double vmc_log_mean_rate(gint64 bytes, gint64 length_us);

/* Pure: an RFC 3339 time as written by vmc_record_format_time() (or with an
 * offset) to microseconds since the epoch; -1 when it is not one. */
gint64 vmc_log_parse_time(const char *text);

G_END_DECLS
