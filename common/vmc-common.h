/* vmc-common.h — the bottom of vmconsole: what every other module and
 * program would otherwise write again for itself.
 *
 * Text from outside made safe for terminals, logs and JSON; units for
 * people. GLib only; nothing here knows of ACLs, Spice, sound, the config or
 * the record format (DESIGN.md's modules all sit above this one).
 */
#pragma once

#include <glib.h>

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

G_END_DECLS
