/* admin-priv.h — vmconsole-admin's parts: pure helpers (tables, name sets, the
 * access matrix rows) and the commands built on them.
 *
 * The pure parts (admin-table.c, access-matrix.c) are a static library of
 * their own that the unit tests link alone; access.c and main.c do the I/O.
 */
#pragma once

#include <glib.h>

#include "vmc-acl.h"
#include "vmc-config.h"
#include "vmc-gateway.h"

G_BEGIN_DECLS

/* Exit codes of vmconsole-admin. */
typedef enum {
    VMC_ADMIN_EXIT_OK = 0,
    VMC_ADMIN_EXIT_ERROR = 1, /* something could not be done (config, unknown identity, ...) */
    VMC_ADMIN_EXIT_USAGE = 2, /* bad command line */
} VmcAdminExit;

#define VMC_ADMIN_NAME_MAX 200    /* bytes of an escaped name (VM, identity) in a table */
#define VMC_ADMIN_REASON_MAX 1000 /* bytes of an escaped reason in a table */
#define VMC_ADMIN_JSON_STRING_MAX 1024 /* bytes of a string in --json output */
#define VMC_ADMIN_TABLE_GAP "  "  /* between two columns */

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

/* Add the subjects an ACL names to the sets (of GUINT_TO_POINTER ids): the
 * owner and every named user to uids; the owning group and every named group
 * to gids. The mask and other entries name nobody. */
void vmc_admin_acl_add_subjects(const VmcAcl *acl, GHashTable *uids, GHashTable *gids);

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

/* ---- the command line (main.c) ---- */

/* Every option of every command; main.c parses them all at once (options may
 * come before or after the command) and each command refuses the ones it does
 * not take (vmc_admin_args_only()). Strings are the admin's argv. */
typedef struct {
    char *config_path;  /* -c, --config FILE (NULL: VMC_DEFAULT_CONFIG) */
    char *log_path;     /* --log FILE: overrides the config's log */
    char **identities;  /* -i, --identity NAME, repeatable */
    char **vms;         /* --vm NAME, repeatable */
    gboolean json;      /* --json */
    gboolean csv;       /* --csv */
    char *by;           /* report --by identity|vm|day|month */
    char *since;        /* --since DATE (YYYY-MM-DD or RFC 3339) */
    char *until;        /* --until DATE */
    char *output;       /* plot -o FILE.png|svg */
    char *append;       /* authorize --append FILE */
    gboolean audio;     /* authorize --audio */
    char *audio_port;   /* authorize --audio-port PORT (a fixed port instead of localhost:*) */
    char *from;         /* authorize --from CIDR[,CIDR...] */
    char *expires;      /* authorize --expires DATE */
    gboolean no_probe;  /* check --no-probe: do not connect to the VMs' Spice servers */
    gboolean version;
    gboolean help;
    char **words;       /* the command and its arguments, in order */
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
    VMC_ADMIN_OPT_AUTHORIZE = 1 << 7, /* --append --audio --audio-port --from --expires */
    VMC_ADMIN_OPT_LOG = 1 << 8,
    VMC_ADMIN_OPT_NO_PROBE = 1 << 9,
} VmcAdminOpt;

/* FALSE (after printing "vmconsole-admin: COMMAND does not take --X" and the
 * usage to stderr) when args holds an option outside `allowed`. */
gboolean vmc_admin_args_only(const VmcAdminArgs *args, const char *command, guint allowed);

/* Load the config of args (--config or the default); on failure print the
 * error once (escaped) and return NULL. */
VmcConfig *vmc_admin_load_config(const VmcAdminArgs *args);

/* The session log to read: --log, else the config's log. */
const char *vmc_admin_log_path(const VmcAdminArgs *args, const VmcConfig *config);

/* One line on stderr, "vmconsole-admin: " + the text escaped and capped:
 * text from logs, NSS and sockets may hold anything. */
void vmc_admin_complain(const char *format, ...) G_GNUC_PRINTF(1, 2);

/* ---- commands: each is `VmcAdminExit vmc_admin_cmd_NAME(const VmcAdminArgs *args)`,
 * args->words[0] is the command, args->words[1..] its arguments. ---- */

VmcAdminExit vmc_admin_cmd_access(const VmcAdminArgs *args);    /* access.c */
VmcAdminExit vmc_admin_cmd_authorize(const VmcAdminArgs *args); /* authorize.c */
VmcAdminExit vmc_admin_cmd_acl(const VmcAdminArgs *args);       /* acl-apply.c: `acl apply [VM...]` */
VmcAdminExit vmc_admin_cmd_check(const VmcAdminArgs *args);     /* check.c */
VmcAdminExit vmc_admin_cmd_sessions(const VmcAdminArgs *args);  /* sessions.c */
VmcAdminExit vmc_admin_cmd_report(const VmcAdminArgs *args);    /* report.c */
VmcAdminExit vmc_admin_cmd_show(const VmcAdminArgs *args);      /* show.c */
VmcAdminExit vmc_admin_cmd_plot(const VmcAdminArgs *args);      /* plot.c */

/* ---- commands (access.c: NSS, sockets, output) ---- */

/* `access`: the decision for every (VM, identity), printed to stdout as a
 * table or JSON. vms / identities: NULL-terminated, or NULL for "all" (every
 * VM of the config; every user the VMs' ACLs name, directly or through a
 * group). Problems go to stderr once each; returns the exit code. */
VmcAdminExit vmc_admin_access(const VmcConfig *config, const char *const *vms,
                              const char *const *identities, gboolean json);

G_END_DECLS
