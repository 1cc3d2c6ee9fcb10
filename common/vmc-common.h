/* vmc-common.h — the bottom of vmconsole: what every other module and
 * program would otherwise write again for itself.
 *
 * Text from outside made safe for terminals, logs and JSON, and the one
 * printf for messages that hold such text; units for people; users and
 * groups through NSS; small files read without being fooled by what stands
 * in their place. GLib only; nothing here knows of ACLs, Spice, sound, the
 * config or the record format (DESIGN.md's modules all sit above this one).
 */
#pragma once

#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/types.h>

G_BEGIN_DECLS

/* ---- untrusted text (text-escape.c, pure) ---- */

/* Text from outside made safe to print on a terminal or in a log line:
 * printable ASCII passes (backslash doubled), everything else becomes \n, \t,
 * \e or \xNN; the result is at most max_bytes long (plus "..." when cut).
 * length -1: s is NUL-terminated. */
/* \r is escaped as \r too; bytes >= 0x80 (so all UTF-8) as \xNN. An escape
 * is never cut in half. The result is printable ASCII. */
char *vmc_text_escape(const char *s, gssize length, gsize max_bytes);

typedef enum {
    VMC_ESCAPE_DEFAULT = 0,
    VMC_ESCAPE_HEX_ONLY = 1 << 0,       /* every byte outside printable ASCII as \xNN (no
                                         * \n, \t, \r, \e): a byte quoted exactly */
    VMC_ESCAPE_KEEP_BACKSLASH = 1 << 1, /* a backslash passes as it is, so text escaped once
                                         * passes unchanged: for messages on a terminal (as
                                         * OpenSSH's VIS_NOSLASH), never for logs */
    VMC_ESCAPE_QUOTES = 1 << 2,         /* ' and \ as \xNN too: text shown between quotes */
    VMC_ESCAPE_UTF8 = 1 << 3,           /* valid UTF-8 passes whole (GLib's own messages quote
                                         * with U+201C/U+201D): only control characters (C0,
                                         * DEL, C1), line separators, bidirectional overrides
                                         * and invalid or cut-short sequences are escaped, byte
                                         * by byte; a character is never cut in half */
} VmcEscapeFlags;

/* vmc_text_escape() with flags. */
char *vmc_text_escape_with(const char *s, gssize length, gsize max_bytes, VmcEscapeFlags flags);

/* Text for a message a program prints (VMC_ESCAPE_KEEP_BACKSLASH |
 * VMC_ESCAPE_UTF8): what vmc_print_escaped() makes of a %s argument, so
 * text escaped with it passes vmc_print_escaped() unchanged — escaped once,
 * never twice. */
#define VMC_ESCAPE_MESSAGE (VMC_ESCAPE_KEEP_BACKSLASH | VMC_ESCAPE_UTF8)
char *vmc_text_for_message(const char *s, gssize length, gsize max_bytes);

/* A line from another host (the gateway's words relayed by ssh) made safe
 * for the person's own terminal, which takes UTF-8: valid UTF-8 without
 * control characters passes (tabs too); invalid bytes, controls, line
 * separators and bidirectional overrides become "\xNN" (a backslash stays
 * a backslash). At most 4 * length bytes come out. */
char *vmc_text_for_terminal(const char *s, gsize length);

/* s made valid UTF-8: invalid bytes become "\xNN" text; cut at max_bytes on a
 * character boundary (plus "..."). length -1: NUL-terminated. */
/* Invalid: bytes that do not start a complete, shortest-form encoding of a
 * Unicode scalar value (so overlong forms, surrogates, > U+10FFFF), and NUL
 * bytes inside a length-given s (as "\x00"). Lossy: a backslash is kept, so
 * an input that already holds the text "\x41" reads the same as byte 0x41
 * made invalid would; fine for an audit record, not reversible. */
char *vmc_text_to_utf8(const char *s, gssize length, gsize max_bytes);

/* ---- messages that hold untrusted text (print.c) ---- */

#define VMC_PRINT_ARG_MAX 1000 /* bytes of one escaped %s argument (its precision: fewer) */

/* printf for every message a program prints that may hold untrusted text
 * (one output path per program). The format is trusted: a literal, checked
 * by the compiler, printed as it is, newlines and all. Every %s and %c
 * argument is escaped on its way in (vmc_text_for_message(): printable
 * ASCII and valid UTF-8 without control characters reach the terminal,
 * everything else as \xNN; text a producer escaped already passes
 * unchanged) and capped at its
 * precision ("%.80s": 80 bytes, then "...") or VMC_PRINT_ARG_MAX bytes; a
 * width pads the escaped text. The other conversions (d i o u x X f F e E
 * g G a A p %, with flags, width, precision, '*', and hh h l ll z j t L)
 * are printf's; %n and wide strings are refused (g_critical). */
char *vmc_strdup_printf_escaped(const char *format, ...) G_GNUC_PRINTF(1, 2);
char *vmc_strdup_vprintf_escaped(const char *format, va_list args) G_GNUC_PRINTF(1, 0);
void vmc_print_escaped(FILE *out, const char *format, ...) G_GNUC_PRINTF(2, 3);
void vmc_vprint_escaped(FILE *out, const char *format, va_list args) G_GNUC_PRINTF(2, 0);

/* One line: prefix (trusted, e.g. "vmconsole: "), the message as
 * vmc_print_escaped() makes it, '\n'; a program's complaints and refusals. */
void vmc_vprint_line(FILE *out, const char *prefix, const char *format, va_list args)
    G_GNUC_PRINTF(3, 0);

/* A program's private header ends with this, after its includes: its own
 * code then cannot print through stdio's or GLib's printf (a compile error),
 * only through vmc_print_escaped(). Text that a formatter built escaped
 * (tables, JSON, CSV) is written whole with fputs(). */
#define VMC_PRINTF_POISON _Pragma("GCC poison printf fprintf vprintf vfprintf g_print g_printerr")

/* ---- units for people (units.c, pure) ---- */

/* "512 B", "9.9 KiB", "43 MiB", "1.2 GiB": one decimal below 10, none above. */
char *vmc_format_bytes(guint64 bytes);
/* "42s", "5m03s", "1h02m" */
char *vmc_format_duration(gint64 seconds);
/* "85.3 MiB/s" */
char *vmc_format_rate(double bytes_per_second);
/* RFC 3339, UTC, milliseconds: "2026-11-29T10:02:03.123Z" */
char *vmc_format_time_us(gint64 real_time_us);

/* ---- users and groups (nss.c) ---- */

/* NSS answers may be large (groups with many members): the buffer of one
 * look-up grows up to this, a larger entry is a failure (ERANGE). */
#define VMC_NSS_BUFFER_MAX (4 * 1024 * 1024)

/* A passwd entry, copied out of NSS's buffer. */
typedef struct {
    char *name; /* as NSS spells it (may differ from the name asked for) */
    uid_t uid;
    gid_t gid; /* primary group */
    char *home;
} VmcNssUser;

/* A group entry, copied out of NSS's buffer. */
typedef struct {
    char *name;
    gid_t gid;
    char **members; /* the listed members (gr_mem; never NULL) */
} VmcNssGroup;

/* Look a user up by name or uid, a group by name or gid (the re-entrant
 * calls, the buffer bounded by VMC_NSS_BUFFER_MAX). Returns 0 when NSS
 * answered: *ret_user / *ret_group is the entry, or NULL when there is
 * none (also for an empty name, and for the errnos NSS modules use to say
 * "not found"); else the errno of NSS's failure, the output untouched. */
int vmc_nss_get_user_by_name(const char *name, VmcNssUser **ret_user);
int vmc_nss_get_user_by_uid(uid_t uid, VmcNssUser **ret_user);
int vmc_nss_get_group_by_name(const char *name, VmcNssGroup **ret_group);
int vmc_nss_get_group_by_gid(gid_t gid, VmcNssGroup **ret_group);

void vmc_nss_user_free(VmcNssUser *user);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcNssUser, vmc_nss_user_free)
void vmc_nss_group_free(VmcNssGroup *group);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcNssGroup, vmc_nss_group_free)

/* The name of a uid or gid (newly allocated), or NULL when NSS has none
 * or fails. Untrusted text: escape it before printing. */
char *vmc_nss_user_name(guint32 uid);
char *vmc_nss_group_name(guint32 gid);

/* The uid of a user name, the gid of a group name, or -1 when NSS has none
 * or fails. */
gint64 vmc_nss_uid_of(const char *name);
gint64 vmc_nss_gid_of(const char *name);

/* Call func for every passwd entry (setpwent/getpwent_r/endpwent), at most
 * max of them; the entry is valid during the call only. Returns how many
 * were seen: max means the scan stopped there. */
typedef void (*VmcNssUserFunc)(const VmcNssUser *user, gpointer data);
guint vmc_nss_foreach_user(VmcNssUserFunc func, gpointer data, guint max);

/* ---- small files others may have replaced (file.c) ---- */

#define VMC_FILE_OWNER_ANY ((uid_t)-1) /* a file of any owner */

typedef enum {
    VMC_FILE_FOLLOW = 1 << 0,    /* the last component may be a symlink: a path the admin gave
                                  * (the config, a key file on the command line) */
    VMC_FILE_ANY_LINKS = 1 << 1, /* any number of hard links: a file another program keeps */
} VmcFileFlags;

/* What a file must be to be opened. */
typedef struct {
    uid_t owner;        /* its owner, or VMC_FILE_OWNER_ANY */
    goffset max_size;   /* bytes at most; -1: any (vmc_file_open only) */
    VmcFileFlags flags; /* 0: no symlink, exactly one link */
    mode_t create_mode; /* a file made by O_CREAT; 0: 0600 */
    const char *remedy; /* what to do, ending the error of a refused file; NULL: none */
} VmcFileRules;

/* Open name (in dir_fd, or a path with AT_FDCWD) as a regular file that
 * keeps rules: looked at with fstatat first (a FIFO or device is never
 * opened), opened O_NONBLOCK|O_CLOEXEC|O_NOCTTY and, without
 * VMC_FILE_FOLLOW, O_NOFOLLOW; fstat'ed again once open. open_flags:
 * O_RDONLY, O_RDWR or O_WRONLY, with O_CREAT and O_APPEND. shown names the
 * file in errors (trusted text), which say what is there instead. Returns
 * the fd, or -1 with error (G_FILE_ERROR; a missing file is
 * G_FILE_ERROR_NOENT) and errno set: EISDIR, ELOOP (a symlink), EINVAL (any
 * other kind), EPERM (another owner), EMLINK (more links), EFBIG (larger),
 * or the failed call's. */
int vmc_file_open(int dir_fd, const char *name, const char *shown, int open_flags,
                  const VmcFileRules *rules, GError **error);

/* All of an open file from its start (pread), NUL-terminated (it may hold
 * other NULs: *ret_length says how long it is): at most max_size bytes; a
 * longer one, however it grew, is an error (errno EFBIG). */
char *vmc_file_read_fd(int fd, const char *shown, gsize max_size, gsize *ret_length,
                       GError **error);

/* What a file of this mode is, in words: "a regular file", "a directory",
 * "a symbolic link", "a FIFO", "a socket", "a character device", "a block
 * device", or "of an unknown kind". A static string. */
const char *vmc_file_kind(mode_t mode);

/* vmc_file_open(O_RDONLY) and vmc_file_read_fd() with rules->max_size
 * (which must be >= 0): the file's content, or NULL with error and errno. */
char *vmc_file_read(int dir_fd, const char *name, const char *shown, const VmcFileRules *rules,
                    gsize *ret_length, GError **error);

G_END_DECLS
