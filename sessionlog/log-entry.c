/* log-entry.c — the pure half of the log reader: one line of the session log
 * checked as strict JSON (RFC 8259) by a small allocation-light scanner that
 * keeps only the members VmcLogEntry has (top-level ones, and the byte counts
 * of "streams"; named by the record schema), and RFC 3339 times.
 *
 * No tree is built: a report over a million records must not allocate per
 * line. Kept strings are decoded into one scratch GString as offsets and
 * resolved into pointers only at the end (appending may move the buffer).
 *
 * A line that says two things is damaged: a member name repeated in any
 * object of it (json-glib and jq keep the last, a reader that stopped at the
 * first would keep another), or U+0000 in any string (json-glib cuts the
 * string there). Every object's member names are checked when it closes:
 * sorted by hash, so a hostile object with 50,000 members costs n log n. */
#include "vmc-sessionlog.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#define VMC_LOG_JSON_DEPTH_MAX 64 /* nesting of arrays/objects in one line */
#define VMC_LOG_NUMBER_MAX 64     /* bytes of a number converted on the stack */
#define VMC_LOG_MAX_KEPT 32       /* kept string members of one line (more: damaged) */
/* objects of up to this many members: names compared pairwise */
#define VMC_LOG_NAMES_PAIRWISE 16

typedef enum {
    KEEP_STRING,
    KEEP_INT,
    KEEP_RATE,
    KEEP_TIME,
    KEEP_OBJECT, /* an object some of whose members are kept (other values: skipped) */
} KeepKind;

typedef struct KeptMember {
    const char *name; /* a member name of the schema (or a stream's name) */
    gsize name_length;
    KeepKind kind;
    gsize offset;                     /* in VmcLogEntry */
    const struct KeptMember *members; /* KEEP_OBJECT: what is kept inside it */
    gsize n_members;
} KeptMember;

/* The member called vmc_record_names.n (or the stream named n) and its length. */
#define NAME(n) vmc_record_names.n, sizeof(vmc_record_names.n) - 1
#define STREAM(n) n, sizeof(n) - 1
#define OBJECT(name, members)                                                                      \
    {                                                                                              \
        name, KEEP_OBJECT, 0, members, G_N_ELEMENTS(members)                                       \
    }
#define KEEP(n, kind, field)                                                                       \
    {                                                                                              \
        NAME(n), kind, offsetof(VmcLogEntry, field)                                                \
    }

static const KeptMember x11_stream_members[] = {
    KEEP(to_laptop, KEEP_INT, x11_stream.to_laptop),
    KEEP(from_laptop, KEEP_INT, x11_stream.from_laptop),
};
static const KeptMember audio_stream_members[] = {
    KEEP(to_laptop, KEEP_INT, audio_stream.to_laptop),
    KEEP(from_laptop, KEEP_INT, audio_stream.from_laptop),
};
static const KeptMember stream_members[] = {
    OBJECT(STREAM(VMC_RECORD_STREAM_X11), x11_stream_members),
    OBJECT(STREAM(VMC_RECORD_STREAM_AUDIO), audio_stream_members),
};

static const KeptMember kept_members[] = {
    KEEP(session, KEEP_STRING, session),
    KEEP(host, KEEP_STRING, host),
    KEEP(identity, KEEP_STRING, identity),
    KEEP(account, KEEP_STRING, account),
    KEEP(key, KEEP_STRING, key),
    KEEP(client, KEEP_STRING, client),
    KEEP(vm, KEEP_STRING, vm),
    KEEP(reason, KEEP_STRING, reason),
    KEEP(audio, KEEP_STRING, audio),
    KEEP(takeover_of, KEEP_STRING, takeover_of),
    KEEP(taken_over_by, KEEP_STRING, taken_over_by),
    KEEP(sandbox, KEEP_STRING, sandbox),
    KEEP(mode, KEEP_STRING, mode),
    {NAME(event), KEEP_STRING, G_MAXSIZE}, /* resolved to entry->event */
    KEEP(time, KEEP_TIME, time_us),
    KEEP(start, KEEP_TIME, start_us),
    KEEP(rate_peak_time, KEEP_TIME, rate_peak_time_us),
    {NAME(v), KEEP_INT, G_MAXSIZE}, /* checked to be 1 */
    KEEP(duration_s, KEEP_INT, duration_s),
    KEEP(bytes_total, KEEP_INT, bytes_total),
    KEEP(viewer_exit, KEEP_INT, viewer_exit),
    KEEP(exit, KEEP_INT, exit_code),
    KEEP(suppressed, KEEP_INT, suppressed),
    KEEP(first, KEEP_TIME, first_us),
    KEEP(rate_mean, KEEP_RATE, rate_mean),
    KEEP(rate_peak, KEEP_RATE, rate_peak),
    OBJECT(NAME(streams), stream_members),
};
#undef KEEP
#undef OBJECT
#undef STREAM
#undef NAME

typedef struct {
    const KeptMember *member;
    gsize offset; /* in scratch */
} KeptString;

/* A member name of an object being scanned: where its bytes are (in the
 * line when it has no escape, else decoded in scratch) and their hash. */
typedef struct {
    gsize offset;
    guint32 length;
    guint32 hash;
    gboolean decoded;
} MemberName;

typedef struct {
    const char *line;
    const char *p;
    const char *end;
    GString *scratch;
    guint depth;
    KeptString kept[VMC_LOG_MAX_KEPT];
    guint n_kept;
    GArray *names; /* of MemberName: the open objects' names, innermost last */
    gint64 version;
    VmcLogEntry *entry;
} Scanner;

static gboolean scan_value(Scanner *s, const KeptMember *member);
static gboolean scan_object(Scanner *s, const KeptMember *members, gsize n_members);

static void
skip_ws(Scanner *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\r' || *s->p == '\n'))
        s->p++;
}

/* Four hex digits after "\u". */
static gboolean
scan_hex4(Scanner *s, gunichar *ret)
{
    if (s->end - s->p < 4)
        return FALSE;
    gunichar c = 0;
    for (int i = 0; i < 4; i++) {
        int h = g_ascii_xdigit_value(s->p[i]);
        if (h < 0)
            return FALSE;
        c = (c << 4) | (gunichar)h;
    }
    s->p += 4;
    *ret = c;
    return TRUE;
}

/* \uXXXX (s->p after the 'u'), a surrogate pair as one character. */
static gboolean
scan_unicode_escape(Scanner *s, gunichar *ret)
{
    gunichar c;
    if (!scan_hex4(s, &c))
        return FALSE;
    if (c >= 0xdc00 && c <= 0xdfff)
        return FALSE; /* a low surrogate alone */
    if (c >= 0xd800 && c <= 0xdbff) {
        gunichar low;
        if (s->end - s->p < 2 || s->p[0] != '\\' || s->p[1] != 'u')
            return FALSE;
        s->p += 2;
        if (!scan_hex4(s, &low) || low < 0xdc00 || low > 0xdfff)
            return FALSE;
        c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
    }
    *ret = c;
    return TRUE;
}

/* One escape (s->p after the backslash), appended to out when given.
 * \u0000 is refused: json-glib would cut the string there. */
static gboolean
scan_escape(Scanner *s, GString *out)
{
    if (s->p >= s->end)
        return FALSE;
    static const char names[] = "\"\\/bfnrt";
    static const char decoded[] = "\"\\/\b\f\n\r\t";
    char c = *s->p++;
    const char *simple = c != '\0' ? strchr(names, c) : NULL;
    if (simple != NULL) {
        if (out != NULL)
            g_string_append_c(out, decoded[simple - names]);
        return TRUE;
    }
    gunichar u;
    if (c != 'u' || !scan_unicode_escape(s, &u) || u == 0)
        return FALSE;
    if (out != NULL)
        g_string_append_unichar(out, u);
    return TRUE;
}

/* A string (s->p at the opening quote). Decoded into scratch when out is
 * given (*ret_offset: where it starts, NUL-terminated). Raw bytes must be
 * valid UTF-8 and not control characters. */
static gboolean
scan_string(Scanner *s, GString *out, gsize *ret_offset)
{
    s->p++;
    if (out != NULL)
        *ret_offset = out->len;
    for (;;) {
        const char *run = s->p;
        while (s->p < s->end && *s->p != '"' && *s->p != '\\' && (guchar)*s->p >= 0x20)
            s->p++;
        if (s->p > run) {
            if (!g_utf8_validate(run, s->p - run, NULL))
                return FALSE;
            if (out != NULL)
                g_string_append_len(out, run, s->p - run);
        }
        if (s->p >= s->end || (guchar)*s->p < 0x20)
            return FALSE;
        if (*s->p == '"')
            break;
        s->p++;
        if (!scan_escape(s, out))
            return FALSE;
    }
    s->p++;
    if (out != NULL)
        g_string_append_c(out, '\0');
    return TRUE;
}

/* Digits from p on; NULL when there is none. (Local pointers: the hot loop
 * of a log full of per-second series.) */
static const char *
skip_digits(const char *p, const char *end)
{
    const char *start = p;
    while (p < end && (guchar)(*p - '0') <= 9)
        p++;
    return p > start ? p : NULL;
}

/* A number by RFC 8259's grammar; *ret_integer: no fraction or exponent. */
static gboolean
scan_number(Scanner *s, gboolean *ret_integer)
{
    const char *p = s->p, *end = s->end;
    if (p < end && *p == '-')
        p++;
    if (p < end && *p == '0')
        p++;
    else if (p >= end || *p < '1' || *p > '9' || (p = skip_digits(p, end)) == NULL)
        return FALSE;
    *ret_integer = TRUE;
    if (p < end && *p == '.') {
        *ret_integer = FALSE;
        if ((p = skip_digits(p + 1, end)) == NULL)
            return FALSE;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        *ret_integer = FALSE;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if ((p = skip_digits(p, end)) == NULL)
            return FALSE;
    }
    s->p = p;
    return TRUE;
}

/* text[0..length) (a checked JSON number) as a gint64; -1 when it is not an
 * integer in range or is negative (no kept integer member may be). "-0" is
 * 0, as json-glib reads it. */
static gint64
number_to_int(const char *text, gsize length, gboolean integer)
{
    if (integer && length == 2 && text[0] == '-' && text[1] == '0')
        return 0;
    if (!integer || text[0] == '-' || length > 18)
        return -1;
    gint64 value = 0;
    for (gsize i = 0; i < length; i++)
        value = value * 10 + (text[i] - '0');
    return value;
}

static double
number_to_double(const char *text, gsize length)
{
    char copy[VMC_LOG_NUMBER_MAX + 1];
    if (length > VMC_LOG_NUMBER_MAX) {
        /* as long as JSON allows (the line's cap bounds it): json-glib, and
         * so `show`, reads "2427.8112999…9" of any length too */
        g_autofree char *long_copy = g_strndup(text, length);
        return g_ascii_strtod(long_copy, NULL);
    }
    memcpy(copy, text, length);
    copy[length] = '\0';
    return g_ascii_strtod(copy, NULL);
}

static void
store_number(Scanner *s, const KeptMember *member, const char *text, gsize length, gboolean integer)
{
    if (member->kind == KEEP_INT) {
        gint64 value = number_to_int(text, length, integer);
        if (member->offset == G_MAXSIZE)
            s->version = value;
        else
            G_STRUCT_MEMBER(gint64, s->entry, member->offset) = value;
    } else if (member->kind == KEEP_RATE) {
        G_STRUCT_MEMBER(double, s->entry, member->offset) = number_to_double(text, length);
    }
}

static gboolean
scan_literal(Scanner *s, const char *word)
{
    gsize n = strlen(word);
    if ((gsize)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return FALSE;
    s->p += n;
    return TRUE;
}

/* An array (s->p at its '['); nothing in it is kept. */
static gboolean
scan_array(Scanner *s)
{
    if (++s->depth > VMC_LOG_JSON_DEPTH_MAX)
        return FALSE;
    s->p++;
    skip_ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        s->depth--;
        return TRUE;
    }
    for (;;) {
        skip_ws(s);
        if (!scan_value(s, NULL))
            return FALSE;
        skip_ws(s);
        if (s->p >= s->end)
            return FALSE;
        char c = *s->p++;
        if (c == ']')
            break;
        if (c != ',')
            return FALSE;
    }
    s->depth--;
    return TRUE;
}

/* Any value at s->p; member: a kept member to store it in (or look into). */
static gboolean
scan_value(Scanner *s, const KeptMember *member)
{
    if (s->p >= s->end)
        return FALSE;
    char c = *s->p;
    if (c == '{') {
        gboolean kept = member != NULL && member->kind == KEEP_OBJECT;
        if (++s->depth > VMC_LOG_JSON_DEPTH_MAX ||
            !scan_object(s, kept ? member->members : NULL, kept ? member->n_members : 0))
            return FALSE;
        s->depth--;
        return TRUE;
    }
    if (c == '[')
        return scan_array(s);
    if (c == '"') {
        gboolean keep =
            member != NULL && (member->kind == KEEP_STRING || member->kind == KEEP_TIME);
        gsize offset = 0;
        if (!scan_string(s, keep ? s->scratch : NULL, &offset))
            return FALSE;
        if (keep) {
            if (s->n_kept >= VMC_LOG_MAX_KEPT)
                return FALSE; /* only a line with repeated members gets here */
            s->kept[s->n_kept++] = (KeptString){member, offset};
        }
        return TRUE;
    }
    if (c == '-' || g_ascii_isdigit(c)) {
        const char *start = s->p;
        gboolean integer;
        if (!scan_number(s, &integer))
            return FALSE;
        if (member != NULL)
            store_number(s, member, start, s->p - start, integer);
        return TRUE;
    }
    return scan_literal(s, "true") || scan_literal(s, "false") || scan_literal(s, "null");
}

static const KeptMember *
find_kept(const KeptMember *members, gsize n_members, const char *name, gsize length)
{
    for (gsize i = 0; i < n_members; i++)
        if (members[i].name_length == length && memcmp(members[i].name, name, length) == 0)
            return &members[i];
    return NULL;
}

static const char *
name_bytes(const Scanner *s, const MemberName *name)
{
    return name->decoded ? s->scratch->str + name->offset : s->line + name->offset;
}

/* FNV-1a */
static guint32
name_hash(const char *bytes, gsize length)
{
    guint32 hash = 2166136261u;
    for (gsize i = 0; i < length; i++)
        hash = (hash ^ (guchar)bytes[i]) * 16777619u;
    return hash;
}

/* A member name (s->p at its opening quote): checked, remembered for its
 * object's repeat check (decoded into scratch only when it has an escape:
 * "v\u006d" is "vm"), and looked up in members (NULL: nothing kept). */
static gboolean
scan_name(Scanner *s, const KeptMember *members, gsize n_members, const KeptMember **ret_member)
{
    if (s->p >= s->end || *s->p != '"')
        return FALSE;
    const char *start = s->p + 1;
    if (!scan_string(s, NULL, NULL))
        return FALSE;
    MemberName name = {(gsize)(start - s->line), (gsize)(s->p - 1 - start), 0, FALSE};
    if (memchr(start, '\\', name.length) != NULL) {
        const char *after = s->p;
        s->p = start - 1;
        if (!scan_string(s, s->scratch, &name.offset)) /* cannot fail: checked above */
            return FALSE;
        s->p = after;
        name.length = s->scratch->len - 1 - name.offset;
        name.decoded = TRUE;
    }
    const char *bytes = name_bytes(s, &name);
    name.hash = name_hash(bytes, name.length);
    g_array_append_val(s->names, name);
    *ret_member = members != NULL ? find_kept(members, n_members, bytes, name.length) : NULL;
    return TRUE;
}

static gint
compare_names(gconstpointer a, gconstpointer b, gpointer scanner)
{
    const MemberName *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    if (x->length != y->length)
        return x->length < y->length ? -1 : 1;
    return memcmp(name_bytes(scanner, x), name_bytes(scanner, y), x->length);
}

/* The names of the object that just closed (s->names from first on) are
 * all different; they are dropped, and so are their decoded bytes when the
 * object kept no string (scratch stays small). */
static gboolean
names_unique(Scanner *s, guint first, gsize scratch_at, guint kept_at)
{
    MemberName *names = &g_array_index(s->names, MemberName, first);
    guint n = s->names->len - first;
    gboolean unique = TRUE;
    if (n <= VMC_LOG_NAMES_PAIRWISE) {
        for (guint i = 1; i < n && unique; i++)
            for (guint j = 0; j < i && unique; j++)
                unique = names[i].hash != names[j].hash || compare_names(&names[i], &names[j], s);
    } else {
        g_qsort_with_data(names, (gint)n, sizeof(MemberName), compare_names, s);
        for (guint i = 1; i < n && unique; i++)
            unique = compare_names(&names[i - 1], &names[i], s) != 0;
    }
    g_array_set_size(s->names, first);
    if (s->n_kept == kept_at)
        g_string_truncate(s->scratch, scratch_at);
    return unique;
}

/* An object (s->p at its '{'; the caller counts its depth) whose members
 * are looked up in members (NULL: none kept): the top-level object, the
 * kept objects inside it, and any other. */
static gboolean
scan_object(Scanner *s, const KeptMember *members, gsize n_members)
{
    guint first = s->names->len, kept_at = s->n_kept;
    gsize scratch_at = s->scratch->len;
    s->p++;
    skip_ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return TRUE;
    }
    for (;;) {
        const KeptMember *member = NULL;
        skip_ws(s);
        if (!scan_name(s, members, n_members, &member))
            return FALSE;
        skip_ws(s);
        if (s->p >= s->end || *s->p++ != ':')
            return FALSE;
        skip_ws(s);
        if (!scan_value(s, member))
            return FALSE;
        skip_ws(s);
        if (s->p >= s->end)
            return FALSE;
        char c = *s->p++;
        if (c == '}')
            return names_unique(s, first, scratch_at, kept_at);
        if (c != ',')
            return FALSE;
    }
}

/* The top-level object. */
static gboolean
scan_top_object(Scanner *s)
{
    skip_ws(s);
    if (s->p >= s->end || *s->p != '{')
        return FALSE;
    return scan_object(s, kept_members, G_N_ELEMENTS(kept_members));
}

static void
entry_init(VmcLogEntry *entry, const char *line, gsize length)
{
    memset(entry, 0, sizeof(*entry));
    entry->line = line;
    entry->line_length = length;
    entry->time_us = entry->start_us = entry->rate_peak_time_us = entry->first_us = -1;
    entry->duration_s = entry->bytes_total = entry->viewer_exit = entry->exit_code = -1;
    entry->suppressed = -1;
    entry->rate_mean = entry->rate_peak = NAN;
    entry->x11_stream.to_laptop = entry->x11_stream.from_laptop = -1;
    entry->audio_stream.to_laptop = entry->audio_stream.from_laptop = -1;
}

/* Kept strings into the entry (now that scratch no longer moves; no member
 * is repeated). A member that is not a string stays NULL / -1. */
static gboolean
resolve_kept(Scanner *s)
{
    const char *event_name = NULL;
    for (guint i = 0; i < s->n_kept; i++) {
        const KeptString *k = &s->kept[i];
        const char *text = s->scratch->str + k->offset;
        if (k->member->offset == G_MAXSIZE)
            event_name = text;
        else if (k->member->kind == KEEP_TIME)
            G_STRUCT_MEMBER(gint64, s->entry, k->member->offset) = vmc_log_parse_time(text);
        else
            G_STRUCT_MEMBER(const char *, s->entry, k->member->offset) = text;
    }
    return vmc_record_event_from_name(event_name, &s->entry->event);
}

gboolean
vmc_log_entry_parse(const char *line, gsize length, GString *scratch, VmcLogEntry *ret_entry)
{
    g_return_val_if_fail(line != NULL || length == 0, FALSE);
    g_return_val_if_fail(scratch != NULL && ret_entry != NULL, FALSE);

    g_string_truncate(scratch, 0);
    VmcLogEntry entry;
    entry_init(&entry, line, length);
    g_autoptr(GArray) names = g_array_sized_new(FALSE, FALSE, sizeof(MemberName), 64);
    Scanner s = {.line = line,
                 .p = line,
                 .end = line + length,
                 .scratch = scratch,
                 .names = names,
                 .version = -1,
                 .entry = &entry};
    if (!scan_top_object(&s))
        return FALSE;
    skip_ws(&s);
    if (s.p != s.end || s.version != VMC_RECORD_VERSION || !resolve_kept(&s) || entry.time_us < 0)
        return FALSE;
    *ret_entry = entry;
    return TRUE;
}

/* ---- RFC 3339 times ---- */

/* n digits at *p as a number, or -1. */
static int
take_digits(const char **p, int n)
{
    int value = 0;
    for (int i = 0; i < n; i++) {
        if (!g_ascii_isdigit((*p)[i]))
            return -1;
        value = value * 10 + ((*p)[i] - '0');
    }
    *p += n;
    return value;
}

static gboolean
take_char(const char **p, const char *allowed)
{
    if (**p == '\0' || strchr(allowed, **p) == NULL)
        return FALSE;
    (*p)++;
    return TRUE;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's method). */
static gint64
days_from_civil(gint64 y, int m, int d)
{
    y -= m <= 2;
    gint64 era = y / 400;
    gint64 yoe = y - era * 400;
    gint64 doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    gint64 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* ".123456" (any number of digits, at least one) as microseconds. */
static gint64
take_fraction(const char **p)
{
    gint64 us = 0;
    int n = 0;
    if (**p != '.')
        return 0;
    (*p)++;
    if (!g_ascii_isdigit(**p))
        return -1;
    for (; g_ascii_isdigit(**p); (*p)++, n++)
        if (n < 6)
            us = us * 10 + (**p - '0');
    for (; n < 6; n++)
        us *= 10;
    return us;
}

/* "Z" or "+HH:MM" / "-HH:MM" as seconds east of UTC; G_MININT when bad. */
static int
take_offset(const char **p)
{
    if (take_char(p, "Zz"))
        return 0;
    int sign = **p == '-' ? -1 : 1;
    if (!take_char(p, "+-"))
        return G_MININT;
    int hh = take_digits(p, 2);
    if (hh < 0 || hh > 23 || !take_char(p, ":"))
        return G_MININT;
    int mm = take_digits(p, 2);
    if (mm < 0 || mm > 59)
        return G_MININT;
    return sign * (hh * 3600 + mm * 60);
}

gint64
vmc_log_parse_time(const char *text)
{
    g_return_val_if_fail(text != NULL, -1);
    const char *p = text;
    int year = take_digits(&p, 4);
    int month = take_char(&p, "-") ? take_digits(&p, 2) : -1;
    int day = take_char(&p, "-") ? take_digits(&p, 2) : -1;
    int hour = take_char(&p, "Tt") ? take_digits(&p, 2) : -1;
    int minute = take_char(&p, ":") ? take_digits(&p, 2) : -1;
    int second = take_char(&p, ":") ? take_digits(&p, 2) : -1;
    if (year < 1970 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 ||
        minute > 59 || second < 0 || second > 60)
        return -1;
    if (day > g_date_get_days_in_month((GDateMonth)month, (GDateYear)year))
        return -1;
    gint64 us = take_fraction(&p);
    int offset = us < 0 ? G_MININT : take_offset(&p);
    if (offset == G_MININT || *p != '\0')
        return -1;
    gint64 seconds =
        days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
    return seconds < 0 ? -1 : seconds * G_USEC_PER_SEC + us;
}

gint64
vmc_log_session_length_us(gint64 start_us, gint64 end_us, gint64 duration_s)
{
    if (start_us >= 0 && end_us >= start_us)
        return end_us - start_us;
    if (duration_s >= 0 && duration_s <= G_MAXINT64 / G_USEC_PER_SEC)
        return duration_s * G_USEC_PER_SEC;
    return -1;
}

double
vmc_log_mean_rate(gint64 bytes, gint64 length_us)
{
    if (bytes < 0 || length_us <= 0)
        return NAN;
    return (double)bytes * (double)G_USEC_PER_SEC / (double)length_us;
}
