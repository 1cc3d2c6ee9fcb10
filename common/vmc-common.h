/* vmc-common.h — the bottom of vmconsole: what every other module and
 * program would otherwise write again for itself.
 *
 * Text from outside made safe for terminals, logs and JSON; units for
 * people; users and groups through NSS. GLib only; nothing here knows of
 * ACLs, Spice, sound, the config or the record format (DESIGN.md's modules
 * all sit above this one).
 */
#pragma once

#include <glib.h>
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

/* s made valid UTF-8: invalid bytes become "\xNN" text; cut at max_bytes on a
 * character boundary (plus "..."). length -1: NUL-terminated. */
/* Invalid: bytes that do not start a complete, shortest-form encoding of a
 * Unicode scalar value (so overlong forms, surrogates, > U+10FFFF), and NUL
 * bytes inside a length-given s (as "\x00"). Lossy: a backslash is kept, so
 * an input that already holds the text "\x41" reads the same as byte 0x41
 * made invalid would; fine for an audit record, not reversible. */
char *vmc_text_to_utf8(const char *s, gssize length, gsize max_bytes);

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
    gid_t gid;  /* primary group */
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

G_END_DECLS
