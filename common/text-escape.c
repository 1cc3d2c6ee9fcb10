/* text-escape.c — outside text made safe: for terminals and log lines
 * (vmc_text_escape and its variants) and for JSON strings (vmc_text_to_utf8).
 * Pure functions. */
#include "vmc-common.h"

#include <string.h>

#define ELLIPSIS "..."

/* The short escape of a control byte (\n, \t, \r, \e), or NULL. */
static const char *
short_escape(guchar c)
{
    switch (c) {
    case '\n':
        return "\\n";
    case '\t':
        return "\\t";
    case '\r':
        return "\\r";
    case 0x1b:
        return "\\e";
    default:
        return NULL;
    }
}

/* The escaped form of one byte into buf (NUL-terminated); returns its length. */
static gsize
escape_byte(guchar c, char buf[5], VmcEscapeFlags flags)
{
    const char *brief = (flags & VMC_ESCAPE_HEX_ONLY) == 0 ? short_escape(c) : NULL;
    gboolean quoting = (flags & VMC_ESCAPE_QUOTES) != 0 && (c == '\'' || c == '\\');
    if (brief != NULL)
        return g_strlcpy(buf, brief, 5);
    if (c == '\\' && !quoting && (flags & VMC_ESCAPE_KEEP_BACKSLASH) == 0)
        return g_strlcpy(buf, "\\\\", 5);
    if (c >= 0x20 && c <= 0x7e && !quoting) {
        buf[0] = (char)c;
        buf[1] = '\0';
        return 1;
    }
    return (gsize)g_snprintf(buf, 5, "\\x%02x", c);
}

/* Append piece unless that would make out longer than max_bytes; in that case
 * append "..." instead and return FALSE (stop). */
static gboolean
append_capped(GString *out, const char *piece, gsize piece_len, gsize max_bytes)
{
    if (out->len + piece_len > max_bytes) {
        g_string_append(out, ELLIPSIS);
        return FALSE;
    }
    g_string_append_len(out, piece, (gssize)piece_len);
    return TRUE;
}

/* Line separators and the bidirectional overrides and isolates: they
 * rearrange what a terminal shows. */
static gboolean
is_layout_control(gunichar c)
{
    return c == 0x2028 || c == 0x2029 || (c >= 0x202a && c <= 0x202e) ||
           (c >= 0x2066 && c <= 0x2069);
}

/* The length of the non-ASCII character at p when it is valid UTF-8 and
 * no control character (C1), line separator or bidirectional control; else
 * 0 (the byte is escaped on its own). */
static gsize
printable_utf8_length(const char *p, gsize left)
{
    if ((guchar)*p < 0x80)
        return 0;
    gunichar c = g_utf8_get_char_validated(p, (gssize)left);
    if (c == (gunichar)-1 || c == (gunichar)-2 || g_unichar_iscntrl(c) || is_layout_control(c))
        return 0;
    return (gsize)(g_utf8_next_char(p) - p);
}

char *
vmc_text_escape_with(const char *s, gssize length, gsize max_bytes, VmcEscapeFlags flags)
{
    g_return_val_if_fail(s != NULL || length == 0, NULL);

    gsize len = length < 0 ? strlen(s) : (gsize)length;
    GString *out = g_string_sized_new(MIN(len, max_bytes) + sizeof(ELLIPSIS));

    for (gsize i = 0; i < len;) {
        gsize n = (flags & VMC_ESCAPE_UTF8) != 0 ? printable_utf8_length(s + i, len - i) : 0;
        if (n > 0) {
            if (!append_capped(out, s + i, n, max_bytes))
                break;
            i += n;
            continue;
        }
        char piece[5];
        gsize piece_len = escape_byte((guchar)s[i], piece, flags);
        if (!append_capped(out, piece, piece_len, max_bytes))
            break;
        i++;
    }
    return g_string_free(out, FALSE);
}

char *
vmc_text_for_message(const char *s, gssize length, gsize max_bytes)
{
    return vmc_text_escape_with(s, length, max_bytes, VMC_ESCAPE_MESSAGE);
}

char *
vmc_text_escape(const char *s, gssize length, gsize max_bytes)
{
    return vmc_text_escape_with(s, length, max_bytes, VMC_ESCAPE_DEFAULT);
}

/* Lossy by design: an invalid byte 0xNN and the valid text "\xNN" come out
 * the same, and a backslash in the input is kept as it is. The result is data
 * for a JSON string, not something to decode back to the original bytes. */
char *
vmc_text_to_utf8(const char *s, gssize length, gsize max_bytes)
{
    g_return_val_if_fail(s != NULL || length == 0, NULL);

    gsize len = length < 0 ? strlen(s) : (gsize)length;
    GString *out = g_string_sized_new(MIN(len, max_bytes) + sizeof(ELLIPSIS));
    gsize i = 0;

    while (i < len) {
        const char *p = s + i;
        gunichar c = g_utf8_get_char_validated(p, (gssize)(len - i));
        gboolean ok;

        /* g_utf8_get_char_validated() rejects overlong forms, surrogates and
         * code points above U+10FFFF, reports a NUL byte as -2 and a sequence
         * cut short by the end as -2: all of those are escaped byte by byte. */
        if (c == (gunichar)-1 || c == (gunichar)-2) {
            char piece[5];
            g_snprintf(piece, sizeof(piece), "\\x%02x", (guchar)*p);
            ok = append_capped(out, piece, 4, max_bytes);
            i += 1;
        } else {
            gsize n = (gsize)(g_utf8_next_char(p) - p);
            ok = append_capped(out, p, n, max_bytes);
            i += n;
        }
        if (!ok)
            break;
    }
    return g_string_free(out, FALSE);
}

char *
vmc_text_for_terminal(const char *s, gsize length)
{
    g_return_val_if_fail(s != NULL || length == 0, NULL);
    GString *out = g_string_sized_new(length + 1);
    const char *p = s, *end = s + length;
    while (p < end) {
        gunichar c = g_utf8_get_char_validated(p, (gssize)(end - p));
        if (c == (gunichar)-1 || c == (gunichar)-2 || (g_unichar_iscntrl(c) && c != '\t') ||
            is_layout_control(c)) {
            g_string_append_printf(out, "\\x%02x", (guchar)*p);
            p++;
            continue;
        }
        const char *next = g_utf8_next_char(p);
        g_string_append_len(out, p, next - p);
        p = next;
    }
    return g_string_free(out, FALSE);
}
