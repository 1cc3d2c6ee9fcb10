/* admin-priv.h — vmconsole-admin's parts: pure helpers (tables, name sets, the
 * access matrix rows) and the commands built on them.
 *
 * The pure parts (admin-table.c, access-matrix.c, …) are in the module's
 * static library, vmcadmin, that the unit tests link; access.c and main.c
 * do the I/O.
 */
#pragma once

#include <glib.h>

#include "vmc-acl.h"
#include "vmc-common.h"
#include "vmc-config.h"
#include "vmc-console.h"
#include "vmc-sessionlog.h"

G_BEGIN_DECLS

/* Exit codes of vmconsole-admin. */
typedef enum {
    VMC_ADMIN_EXIT_OK = 0,
    VMC_ADMIN_EXIT_ERROR = 1,    /* something could not be done (config, unknown identity, ...) */
    VMC_ADMIN_EXIT_USAGE = 2,    /* bad command line */
    VMC_ADMIN_EXIT_PROBLEMS = 3, /* check: problems found (see its output) */
} VmcAdminExit;

#define VMC_ADMIN_NAME_MAX 200         /* bytes of an escaped name (VM, identity) in a table */
#define VMC_ADMIN_REASON_MAX 1000      /* bytes of an escaped reason in a table */
#define VMC_ADMIN_JSON_STRING_MAX 1024 /* bytes of a string in --json output */
#define VMC_ADMIN_TABLE_GAP "  "       /* between two columns */

/* ---- a text table for people (admin-table.c, pure) ---- */

typedef struct _VmcAdminTable VmcAdminTable;

/* A table with n_columns columns and these (trusted, printable) headers. */
VmcAdminTable *vmc_admin_table_new(guint n_columns, const char *const *headers);

/* Cap escaped cells of column at max_bytes (default VMC_ADMIN_NAME_MAX). */
void vmc_admin_table_set_cap(VmcAdminTable *table, guint column, gsize max_bytes);

/* Add a row of n_columns untrusted cells: each is copied through
 * vmc_text_escape() with its column's cap; a NULL cell shows as "-". */
void vmc_admin_table_add_row(VmcAdminTable *table, const char *const *cells);

guint vmc_admin_table_get_n_rows(const VmcAdminTable *table);

/* The table as text: a header line, then one line per row, columns padded to
 * their widest cell and separated by VMC_ADMIN_TABLE_GAP, no trailing blanks.
 * Every byte is printable ASCII or '\n'. */
char *vmc_admin_table_format(const VmcAdminTable *table);

void vmc_admin_table_free(VmcAdminTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcAdminTable, vmc_admin_table_free)

/* ---- a set of names (access-matrix.c, pure) ---- */

typedef struct _VmcAdminNameSet VmcAdminNameSet;

VmcAdminNameSet *vmc_admin_name_set_new(void);

/* Add a copy of name; TRUE when it was not in the set yet. */
gboolean vmc_admin_name_set_add(VmcAdminNameSet *set, const char *name);

/* Add every name of other (the union, into set). */
void vmc_admin_name_set_add_all(VmcAdminNameSet *set, const VmcAdminNameSet *other);

gboolean vmc_admin_name_set_contains(const VmcAdminNameSet *set, const char *name);
guint vmc_admin_name_set_size(const VmcAdminNameSet *set);

/* The names in strcmp() order, as new strings (free the array). */
GPtrArray *vmc_admin_name_set_to_sorted(const VmcAdminNameSet *set);

void vmc_admin_name_set_free(VmcAdminNameSet *set);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcAdminNameSet, vmc_admin_name_set_free)

/* ---- the access matrix (access-matrix.c, pure) ---- */

/* One row of `vmconsole-admin access`. */
typedef struct {
    char *vm;
    char *identity;         /* NULL: the row is about the VM alone (e.g. no socket) */
    VmcAccessResult result; /* GRANTED and DENIED only with an identity */
    char *reason;           /* in words */
} VmcAdminAccessRow;

VmcAdminAccessRow *vmc_admin_access_row_new(const char *vm, const char *identity,
                                            VmcAccessResult result, const char *reason);
void vmc_admin_access_row_free(VmcAdminAccessRow *row);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcAdminAccessRow, vmc_admin_access_row_free)

/* "yes", "no" or "-" (no identity, or no VM to decide on). */
const char *vmc_admin_access_word(const VmcAdminAccessRow *row);

/* Sort rows (of VmcAdminAccessRow*) by VM, then identity (rows without one first). */
void vmc_admin_access_rows_sort(GPtrArray *rows);

/* The rows as a table for people: VM, IDENTITY, ACCESS, WHY (escaped, capped). */
char *vmc_admin_access_format_table(const GPtrArray *rows);

/* The rows as a JSON array of {vm, identity (or null), allowed, reason},
 * strings made valid UTF-8 and capped at VMC_ADMIN_JSON_STRING_MAX, ending in '\n'. */
char *vmc_admin_access_format_json(const GPtrArray *rows);

/* JSON text (valid UTF-8) with C1 controls and U+2028/U+2029 written as
 * \uXXXX too (json-glib escapes only C0 and DEL) and json-glib's "1e+40.0"
 * as "1e+40" (vmc_json_text_finish), plus a final '\n'. */
char *vmc_admin_json_escape_controls(const char *text);

/* A string member of an object being built: value made valid UTF-8 and capped
 * at VMC_ADMIN_JSON_STRING_MAX; NULL gives null. */
void vmc_admin_json_add_string(JsonBuilder *builder, const char *member, const char *value);
/* A time (UTC, as vmc_format_time_us writes it) or null when time_us < 0. */
void vmc_admin_json_add_time(JsonBuilder *builder, const char *member, gint64 time_us);
/* A rate (bytes/s) or null when it is not a finite number. */
void vmc_admin_json_add_rate(JsonBuilder *builder, const char *member, double value);

/* ---- the command line (main.c) ---- */

/* Every option of every command; main.c parses them all at once (options may
 * come before or after the command) and each command refuses the ones it does
 * not take (vmc_admin_args_only()). Strings are the admin's argv. */
typedef struct {
    char *config_path; /* -c, --config FILE (NULL: VMC_DEFAULT_CONFIG) */
    char **log_paths;  /* --log FILE|PATTERN, repeatable: override the config's log */
    char **identities; /* -i, --identity NAME, repeatable */
    char **vms;        /* --vm NAME, repeatable */
    gboolean json;     /* --json */
    gboolean csv;      /* --csv */
    char *by;          /* report --by identity|vm|day|month */
    char *since;       /* --since DATE (YYYY-MM-DD or RFC 3339) */
    char *until;       /* --until DATE */
    char *output;      /* plot -o FILE.png|svg */
    char *append;      /* authorize --append FILE */
    gboolean audio;    /* authorize --audio */
    char *audio_port;  /* authorize --audio-port PORT (a fixed port instead of localhost:*) */
    char *from;        /* authorize --from CIDR[,CIDR...] */
    char *principal;   /* authorize --principal NAME: a principals file line */
    char *expires;     /* authorize --expires DATE */
    gboolean no_probe; /* check --no-probe: do not connect to the VMs' Spice servers */
    char *sshd_config; /* check --sshd-config FILE: sshd -T -f FILE (default: sshd's own) */
    char *gateway;     /* check --gateway FILE: the gateway whose sandbox to check */
    gboolean version;
    gboolean help;
    char **words; /* the command and its arguments, in order */
} VmcAdminArgs;

/* Options a command may take, as a bit set checked by vmc_admin_args_only(). */
typedef enum {
    VMC_ADMIN_OPT_IDENTITY = 1 << 0,
    VMC_ADMIN_OPT_VM = 1 << 1,
    VMC_ADMIN_OPT_JSON = 1 << 2,
    VMC_ADMIN_OPT_CSV = 1 << 3,
    VMC_ADMIN_OPT_BY = 1 << 4,
    VMC_ADMIN_OPT_SINCE_UNTIL = 1 << 5,
    VMC_ADMIN_OPT_OUTPUT = 1 << 6,
    VMC_ADMIN_OPT_AUTHORIZE = 1 << 7, /* --append --audio --audio-port --from --expires
                                       * --principal */
    VMC_ADMIN_OPT_LOG = 1 << 8,
    VMC_ADMIN_OPT_NO_PROBE = 1 << 9,
    VMC_ADMIN_OPT_SSHD_CONFIG = 1 << 10,
    VMC_ADMIN_OPT_GATEWAY = 1 << 11,
} VmcAdminOpt;

/* FALSE (after printing "vmconsole-admin: COMMAND does not take --X" and the
 * usage to stderr) when args holds an option outside `allowed`. */
gboolean vmc_admin_args_only(const VmcAdminArgs *args, const char *command, guint allowed);

/* Load the config of args (--config or the default); on failure print the
 * error once (escaped) and return NULL. */
VmcConfig *vmc_admin_load_config(const VmcAdminArgs *args);

/* The session log: the first --log, else the config's log (check). */
const char *vmc_admin_log_path(const VmcAdminArgs *args, const VmcConfig *config);

/* The logs the audit commands read (vmc_audit_logs_open()): every --log,
 * else the config's log alone. Points into args or config. */
const char *const *vmc_admin_log_patterns(const VmcAdminArgs *args, const VmcConfig *config,
                                          const char *ret_one[2]);

/* One line on stderr, "vmconsole-admin: " and the message through
 * vmc_print_escaped() (every %s escaped and capped): text from logs, NSS
 * and sockets may hold anything. Every complaint goes through here. */
void vmc_admin_complain(const char *format, ...) G_GNUC_PRINTF(1, 2);

/* ---- commands: each is `VmcAdminExit vmc_admin_cmd_NAME(const VmcAdminArgs *args)`,
 * args->words[0] is the command, args->words[1..] its arguments. ---- */

VmcAdminExit vmc_admin_cmd_access(const VmcAdminArgs *args);    /* access.c */
VmcAdminExit vmc_admin_cmd_authorize(const VmcAdminArgs *args); /* authorize.c */
VmcAdminExit vmc_admin_cmd_acl(const VmcAdminArgs *args);   /* acl-apply.c: `acl apply [VM...]` */
VmcAdminExit vmc_admin_cmd_check(const VmcAdminArgs *args); /* check.c */
VmcAdminExit vmc_admin_cmd_sessions(const VmcAdminArgs *args); /* sessions.c */
VmcAdminExit vmc_admin_cmd_report(const VmcAdminArgs *args);   /* report.c */
VmcAdminExit vmc_admin_cmd_show(const VmcAdminArgs *args);     /* show.c */
VmcAdminExit vmc_admin_cmd_plot(const VmcAdminArgs *args);     /* plot.c */

/* ---- commands (access.c: NSS, sockets, output) ---- */

/* `access`: the decision for every (VM, identity), printed to stdout as a
 * table or JSON. vms / identities: NULL-terminated, or NULL for "all" (every
 * VM of the config; every user the VMs' ACLs name, directly or through a
 * group). Problems go to stderr once each; returns the exit code. */
VmcAdminExit vmc_admin_access(const VmcConfig *config, const char *const *vms,
                              const char *const *identities, gboolean json);

/* ==== authorize, acl apply, check (authkeys.c, sshd-config.c,
 * check-findings.c: pure; authorize.c, acl-apply.c, check*.c: I/O; the ACL
 * policy itself is acl/'s) ==== */

#define VMC_ADMIN_ERROR (vmc_admin_error_quark())
GQuark vmc_admin_error_quark(void);

typedef enum {
    VMC_ADMIN_ERROR_INVALID,   /* bad input: a key, a date, an address, a policy */
    VMC_ADMIN_ERROR_DUPLICATE, /* the key is already in the file */
    VMC_ADMIN_ERROR_IO,        /* a system call failed */
} VmcAdminError;

#define VMC_AUTHKEYS_LINE_MAX 16384             /* bytes of one authorized_keys line */
#define VMC_AUTHKEYS_FILE_MAX (4 * 1024 * 1024) /* bytes of an authorized_keys file read */
#define VMC_AUTHKEYS_MAX_OPTIONS 64             /* options on one key line */
#define VMC_AUTHKEYS_IDENTITY_MAX 32            /* bytes of an --identity name */
#define VMC_AUTHKEYS_MAX_FROM 32                /* patterns in --from */
#define VMC_AUTHKEYS_COMMENT_MAX 256            /* bytes of a key comment kept */

/* One option of a key line: name lower-cased, value unquoted (NULL: none). */
typedef struct {
    char *name;
    char *value;
} VmcAuthKeyOption;

/* One parsed authorized_keys line. */
typedef struct {
    GPtrArray *options; /* of VmcAuthKeyOption*, in line order */
    char *type;         /* a known key type, e.g. "ssh-ed25519" */
    char *blob;         /* base64, checked: it decodes and names `type` */
    char *comment;      /* or NULL */
    char *principal;    /* an AuthorizedPrincipalsFile line's (type and blob NULL) */
} VmcAuthKey;

#define VMC_AUTHKEYS_PRINCIPAL_MAX 256 /* bytes of a certificate principal */

/* TRUE for a line with nothing to parse: empty, blanks, or a # comment. */
gboolean vmc_authkey_line_is_blank(const char *line);

/* Parse one line (no newline) as sshd does: [OPTIONS] TYPE BLOB [COMMENT].
 * Options are NAME or NAME="VALUE" (\" inside quotes), comma-separated.
 * Anything else, control characters, or more than VMC_AUTHKEYS_LINE_MAX
 * bytes: NULL with VMC_ADMIN_ERROR_INVALID saying what is wrong. */
VmcAuthKey *vmc_authkey_parse(const char *line, GError **error);
void vmc_authkey_free(VmcAuthKey *key);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcAuthKey, vmc_authkey_free)

/* Parse one AuthorizedPrincipalsFile line as sshd does: [OPTIONS] PRINCIPAL,
 * the principal after the last blank, the options (as above) before it. A
 * principal is 1 to VMC_AUTHKEYS_PRINCIPAL_MAX printable ASCII bytes. NULL
 * with VMC_ADMIN_ERROR_INVALID otherwise. */
VmcAuthKey *vmc_authkey_parse_principal(const char *line, GError **error);

/* TRUE for a principal authorize writes: [A-Za-z0-9_@.+=:-], at most
 * VMC_AUTHKEYS_PRINCIPAL_MAX bytes, not starting with '-'. */
gboolean vmc_authkey_principal_is_valid(const char *principal);

/* The option called name (case-insensitive), or NULL. */
const VmcAuthKeyOption *vmc_authkey_find_option(const VmcAuthKey *key, const char *name);

/* TRUE for an identity that may go into command="... --identity NAME":
 * [A-Za-z0-9_][A-Za-z0-9_.-]*, at most VMC_AUTHKEYS_IDENTITY_MAX bytes. */
gboolean vmc_authkey_identity_is_valid(const char *identity);

/* The identity of a gateway command ("/ABS/vmconsole-gateway [--config FILE]
 * --identity NAME"), newly allocated; NULL when command is anything else. */
char *vmc_authkey_gateway_identity(const char *command);

/* TRUE for the gateway without --identity ("/ABS/vmconsole-gateway
 * [--config FILE]"): its identity is the account running it. */
gboolean vmc_authkey_gateway_without_identity(const char *command);

/* An expiry date (YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS], or OpenSSH's
 * YYYYMMDD[HHMM[SS]]) as OpenSSH's expiry-time text (local time). */
gboolean vmc_authkey_parse_expiry(const char *text, char **ret_expiry, GError **error);

/* A --from list: comma-separated addresses or CIDR blocks. */
gboolean vmc_authkey_check_from(const char *text, GError **error);

/* What an authorize line grants. */
typedef struct {
    const char *gateway_path; /* absolute */
    const char *identity;     /* valid (vmc_authkey_identity_is_valid) */
    gboolean audio;           /* allow the reverse forward for sound */
    guint audio_port;         /* 0: any port (localhost:*), else that one */
    const char *from;         /* checked, or NULL */
    const char *expiry;       /* OpenSSH form, or NULL */
} VmcAuthorizeSpec;

/* The locked-down authorized_keys line for key, without its old options:
 * restrict,command="GATEWAY --identity NAME[ --expires EXPIRY]",X11-forwarding[,port-forwarding,
 * permitlisten="localhost:PORT|*"][,from="..."][,expiry-time="..."] TYPE BLOB
 * [COMMENT] (the comment only when printable ASCII). No newline. */
char *vmc_authkey_format_line(const VmcAuthorizeSpec *spec, const VmcAuthKey *key);

/* The same options for an AuthorizedPrincipalsFile line: a certificate
 * naming principal (valid) opens consoles as spec's identity. No newline. */
char *vmc_authkey_format_principal_line(const VmcAuthorizeSpec *spec, const char *principal);

/* ---- findings of `check` (check-findings.c, pure) ---- */

typedef struct {
    char *area;  /* "sshd", "keys", "log", "sockets", ... */
    char *what;  /* the problem */
    char *where; /* the file, VM or setting */
    char *todo;  /* what to do about it */
} VmcAdminFinding;

/* Add a new finding to findings (of VmcAdminFinding*); strings are copied. */
void vmc_admin_finding_add(GPtrArray *findings, const char *area, const char *where,
                           const char *todo, const char *what_format, ...) G_GNUC_PRINTF(5, 6);
void vmc_admin_finding_free(VmcAdminFinding *finding);

/* "AREA: problem: WHAT on WHERE -- do: TODO", escaped and capped. */
char *vmc_admin_finding_format(const VmcAdminFinding *finding);

/* Review the lines of an authorized_keys file of the shared account (text,
 * where names it): lines that do not parse, without restrict, without the
 * gateway as command= with --identity (without it the identity is the
 * account itself, which opens every VM), an identity identity_problem()
 * objects to, options that undo the restriction, and keys that appear twice.
 * identity_problem returns what is wrong with a --identity (a new string:
 * an unknown user, uid 0, the account; vmc_console_identity_refusal), or NULL. */
typedef char *(*VmcAdminIdentityProblemFunc)(const char *identity, gpointer user_data);
void vmc_admin_keys_review(const char *text, gsize length, const char *where,
                           VmcAdminIdentityProblemFunc identity_problem, gpointer user_data,
                           GPtrArray *findings);

/* The line number (1-based) of the first line of text whose key blob is
 * blob, or 0. Lines that do not parse are skipped. */
guint vmc_admin_keys_find_blob(const char *text, gsize length, const char *blob);

/* The same review of an AuthorizedPrincipalsFile (each line [OPTIONS]
 * PRINCIPAL; a principal listed twice instead of a key), and the line of a
 * principal in one (0: none). */
void vmc_admin_principals_review(const char *text, gsize length, const char *where,
                                 VmcAdminIdentityProblemFunc identity_problem, gpointer user_data,
                                 GPtrArray *findings);
guint vmc_admin_principals_find(const char *text, gsize length, const char *principal);

/* ---- the effective sshd config (sshd-config.c, pure) ---- */

#define VMC_SSHD_OUTPUT_MAX (1024 * 1024) /* bytes of `sshd -T` output read */
#define VMC_SSHD_MAX_LINES 4096
/* The longest UnusedConnectionTimeout check accepts: a connection with no
 * session (ssh -N -R …, or one whose gateway has ended) keeps its reverse
 * forwards at most this long without a record. */
#define VMC_SSHD_UNUSED_TIMEOUT_MAX_S 60
#define VMC_SSHD_MAX_SESSIONS_NATIVE 8 /* native mode: the session's channel + a viewer's */
#define VMC_SSHD_UNUSED_TIMEOUT_SETTING "UnusedConnectionTimeout 10s"

/* Review `sshd -T` output (keyword value lines) for the gateway account:
 * local or Unix-socket forwarding, a TTY, user rc, agent forwarding,
 * AcceptEnv of anything, user environment, PermitOpen other than none,
 * X11 forwarding off, ExposeAuthInfo off, UnusedConnectionTimeout none or
 * above VMC_SSHD_UNUSED_TIMEOUT_MAX_S. where names the config. */
void vmc_admin_sshd_review(const char *text, gsize length, const char *where, GPtrArray *findings);

/* The values of keyword (lower case) in `sshd -T` output: every
 * space-separated word of every line with that keyword, in order. */
GStrv vmc_admin_sshd_values(const char *text, gsize length, const char *keyword);

/* An AuthorizedKeysFile entry made absolute for user: %h home, %u user,
 * %U uid, %% a percent; a relative path is under home. NULL for an unknown
 * token. */
char *vmc_admin_sshd_expand_keys_path(const char *pattern, const char *home, const char *user,
                                      guint32 uid);

/* ---- check's file questions (check-paths.c) ---- */

/* TRUE when the account may do want (VMC_ACL_* bits) to path: search on
 * every directory of its real path and want on the file, each by its ACL as
 * the kernel decides. FALSE: *ret_why says which component refused. */
gboolean vmc_admin_account_may(const VmcIdentity *account, const char *path, guint want,
                               char **ret_why);

/* NULL when path and every directory above it are root-owned and writable
 * by nobody else (sticky directories allowed above the file); else why not. */
char *vmc_admin_path_unsafe(const char *path);

/* ---- one run of `check` (check.c, check-sshd.c) ---- */

typedef struct {
    const VmcAdminArgs *args;
    const VmcConfig *config;
    VmcIdentity *account; /* the gateway account, or NULL when it does not exist: every
                           * area still checks what it can without it */
    GPtrArray *findings;  /* of VmcAdminFinding* */
    guint printed;        /* findings printed so far */
} VmcAdminCheck;

/* The gateway account's name: the resolved one, else the configuration's. */
const char *vmc_admin_check_account_name(const VmcAdminCheck *check);

/* Print the findings not printed yet, then "AREA: ok: TEXT" (escaped). */
void vmc_admin_check_ok(VmcAdminCheck *check, const char *area, const char *format, ...)
    G_GNUC_PRINTF(3, 4);

/* Print the findings not printed yet, one line each. */
void vmc_admin_check_flush(VmcAdminCheck *check);

/* The sshd config for the account and its key files. */
void vmc_admin_check_sshd(VmcAdminCheck *check);

/* The sound tunnel's owner check: vmconsole-tunnel-check and its capability,
 * or tunnel-check = off (check-sound.c). */
void vmc_admin_check_sound(VmcAdminCheck *check);
/* Pure: TRUE when a security.capability xattr value (struct vfs_cap_data,
 * revision 1 to 3) has CAP_SYS_PTRACE permitted and the effective flag. */
gboolean vmc_admin_caps_have_ptrace(const guint8 *data, gsize length);
/* The run dir (check-run-dir.c): the account's alone, its lock, takeover and
 * slot files private files of the account; the session dirs of killed
 * gateways removed (vmc_console_session_dirs_sweep), each said as an ok line, what
 * cannot be removed as a problem. */
void vmc_admin_check_run_dir(VmcAdminCheck *check);

/* ==== report (report-agg.c: pure aggregation and formats; report.c: I/O) ==== */

#define VMC_REPORT_MAX_OPEN 100000  /* started, not (yet) ended sessions tracked while reading */
#define VMC_REPORT_MAX_ROWS 100000  /* keys of one report; records of later keys: total only */
#define VMC_REPORT_MAX_LISTED 1000  /* open sessions listed one by one */
#define VMC_REPORT_DAMAGED_SHOWN 20 /* damaged line numbers named on stderr */

typedef enum {
    VMC_REPORT_BY_IDENTITY,
    VMC_REPORT_BY_VM,
    VMC_REPORT_BY_DAY,   /* local date the session started (YYYY-MM-DD) */
    VMC_REPORT_BY_MONTH, /* local month the session started (YYYY-MM) */
    VMC_REPORT_BY_HOST,  /* the records' "host" ("" in records older than it) */
    VMC_REPORT_BY_MODE,  /* the start record's "mode" ("x11" without one; denials too) */
} VmcReportBy;

#define VMC_REPORT_MODE_DEFAULT "x11" /* the mode of a start record without one */
/* "identity", "vm", "day", "month", "host", "mode" (NULL: identity); FALSE for anything else. */
gboolean vmc_report_by_parse(const char *text, VmcReportBy *ret_by);

/* What goes into a report. A session counts when its start time is in
 * [since_us, until_us) (-1: open end) and its identity / VM is one of
 * identities / vms (NULL-terminated; NULL: any); a denial by its time. */
typedef struct {
    VmcReportBy by;
    gint64 since_us;
    gint64 until_us;
    const char *const *identities;
    const char *const *vms;
    GTimeZone *tz; /* for day and month keys (a reference is taken) */
} VmcReportQuery;

/* One row (or the total). Sessions = ended + open (live or unterminated);
 * seconds and bytes (Spice's) add up ended sessions, length_us their exact
 * lengths (the mean rate is vmc_log_mean_rate(bytes, length_us), the one
 * definition show uses for one session); rate_peak: NAN when
 * none. x11_bytes and audio_bytes add up the ended sessions' streams of that
 * name (both ways; saturating at G_MAXINT64), -1 when no ended session of
 * the row recorded one. sandbox_off counts the sessions (ended or open)
 * whose start record says "sandbox": "off". */
typedef struct {
    char *key; /* "" when the records had none */
    guint64 sessions;
    guint64 ended;
    gint64 seconds;
    gint64 length_us; /* sum of vmc_log_session_length_us(): the mean rate's time */
    gint64 bytes;
    double rate_peak;
    gint64 rate_peak_time_us;
    guint64 denied;
    guint64 unterminated;
    guint64 live;
    gint64 x11_bytes;
    gint64 audio_bytes;
    guint64 sandbox_off;
} VmcReportRow;

/* A start without an end: live when a console lock holds it now, else
 * unterminated (the gateway died). Strings as in the log (escape them). */
typedef struct {
    char *session;
    char *host; /* NULL in records older than "host" */
    char *identity;
    char *vm;
    gint64 start_us;
    gboolean live;
} VmcReportOpen;

typedef struct _VmcReport VmcReport;

VmcReport *vmc_report_new(const VmcReportQuery *query);

/* Fold one record in, streaming: per-key sums, and the set of open sessions
 * (at most VMC_REPORT_MAX_OPEN; starts beyond are counted as untracked). */
void vmc_report_add(VmcReport *report, const VmcLogEntry *entry);

/* After the last record: classify the open sessions (is_live: held by a
 * console lock now; NULL: none is) and count them in their rows. A session
 * is its host's and id's (the same id on two hosts: two sessions). */
typedef gboolean (*VmcReportLiveFunc)(const char *host, const char *session, gpointer user_data);
void vmc_report_finish(VmcReport *report, VmcReportLiveFunc is_live, gpointer user_data);

/* After finish: rows (of VmcReportRow*) sorted by key, the total, the open
 * sessions (of VmcReportOpen*, by start, at most VMC_REPORT_MAX_LISTED) and
 * the starts not tracked (open set full). Records not in a row (row cap)
 * are said in the table and the JSON. */
const GPtrArray *vmc_report_get_rows(const VmcReport *report);
const VmcReportRow *vmc_report_get_total(const VmcReport *report);
const GPtrArray *vmc_report_get_open(const VmcReport *report);
guint64 vmc_report_get_n_untracked(const VmcReport *report);

void vmc_report_free(VmcReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcReport, vmc_report_free)

/* For people: a heading, the aligned table (KEY, SESSIONS, HOURS, BYTES,
 * MEAN RATE, PEAK RATE, DENIED, UNTERMINATED, X11 BYTES, AUDIO BYTES,
 * SANDBOX OFF) with a total line, then the unterminated and live sessions
 * listed (local times in tz). Printable ASCII and '\n' only. */
char *vmc_report_format_table(const VmcReport *report, GTimeZone *tz);

/* For machines: every field, bytes as integers, times RFC 3339 UTC; the
 * damaged lines (count and the first numbers) go into the JSON too. Fields
 * added later come after the older ones (x11_bytes, audio_bytes,
 * sandbox_off), so consumers of the older ones keep working. */
char *vmc_report_format_json(const VmcReport *report, guint64 n_damaged,
                             const GArray *damaged_lines);
char *vmc_report_format_csv(const VmcReport *report);

G_END_DECLS

/* Everything vmconsole-admin prints goes through vmc_print_escaped(), or is
 * a table, JSON or CSV text that its formatter escaped, written whole. */
VMC_PRINTF_POISON
