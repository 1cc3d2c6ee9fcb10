/* fuzz-xauth.c — libFuzzer target for the X authority reader: any bytes, for
 * a few displays. What is selected must be exactly the input's whole
 * entries, in order, whose display number is the display's and whose family
 * is local with this host's name or wild — checked against a reading of the
 * format written here (up to the first damaged entry, at most
 * VMC_XAUTH_ENTRIES_MAX looked at) — and nothing for a display of another
 * host or one that is not a display. Retargeting keeps every entry's name
 * and data and gives each the new number, family wild. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session-priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAMILY_LOCAL 256
#define FAMILY_WILD 65535
#define HOSTNAME "h"

typedef struct {
    guint family;
    GBytes *fields[4]; /* address, number, name, data */
    GBytes *whole;
} Entry;

static void
check(gboolean ok)
{
    if (!ok)
        abort();
}

static void
entry_clear(gpointer data)
{
    Entry *e = data;
    for (guint i = 0; i < 4; i++)
        g_bytes_unref(e->fields[i]);
    g_bytes_unref(e->whole);
}

/* The entries of bytes up to the first damaged one (the reference reading). */
static GArray *
read_entries(const guint8 *bytes, gsize length, guint max)
{
    GArray *entries = g_array_new(FALSE, TRUE, sizeof(Entry));
    g_array_set_clear_func(entries, entry_clear);
    gsize at = 0;
    while (at < length && entries->len < max) {
        Entry e = {0};
        gsize p = at;
        if (length - p < 2)
            break;
        e.family = (guint)bytes[p] << 8 | bytes[p + 1];
        p += 2;
        guint n = 0;
        for (; n < 4; n++) {
            if (length - p < 2)
                break;
            gsize field = (gsize)bytes[p] << 8 | bytes[p + 1];
            if (length - p - 2 < field)
                break;
            e.fields[n] = g_bytes_new(bytes + p + 2, field);
            p += 2 + field;
        }
        if (n < 4) {
            for (guint i = 0; i < n; i++)
                g_bytes_unref(e.fields[i]);
            break;
        }
        e.whole = g_bytes_new(bytes + at, p - at);
        g_array_append_val(entries, e);
        at = p;
    }
    return entries;
}

static gboolean
bytes_are(GBytes *bytes, const char *text)
{
    gsize length;
    const void *data = g_bytes_get_data(bytes, &length);
    return length == strlen(text) && (length == 0 || memcmp(data, text, length) == 0);
}

static gboolean
entry_is_for(const Entry *e, const char *number)
{
    return bytes_are(e->fields[1], number) &&
           (e->family == FAMILY_WILD ||
            (e->family == FAMILY_LOCAL && bytes_are(e->fields[0], HOSTNAME)));
}

static void
check_selected(const guint8 *data, size_t size, const char *display, const char *number)
{
    g_autoptr(GBytes) got = vmc_xauth_select(data, size, display, HOSTNAME);
    g_autoptr(GArray) input = read_entries(data, size, VMC_XAUTH_ENTRIES_MAX);
    g_autoptr(GByteArray) expected = g_byte_array_new();
    for (guint i = 0; number != NULL && i < input->len; i++) {
        const Entry *e = &g_array_index(input, Entry, i);
        if (entry_is_for(e, number))
            g_byte_array_append(expected, g_bytes_get_data(e->whole, NULL),
                                (guint)g_bytes_get_size(e->whole));
    }
    if (expected->len == 0) {
        check(got == NULL);
        return;
    }
    check(got != NULL && g_bytes_get_size(got) == expected->len &&
          memcmp(g_bytes_get_data(got, NULL), expected->data, expected->len) == 0);

    g_autoptr(GBytes) moved = vmc_xauth_retarget(got, "42");
    g_autoptr(GArray) chosen =
        read_entries(g_bytes_get_data(got, NULL), g_bytes_get_size(got), G_MAXUINT);
    g_autoptr(GArray) after =
        read_entries(g_bytes_get_data(moved, NULL), g_bytes_get_size(moved), G_MAXUINT);
    check(after->len == chosen->len);
    for (guint i = 0; i < after->len; i++) {
        const Entry *a = &g_array_index(after, Entry, i), *c = &g_array_index(chosen, Entry, i);
        check(a->family == FAMILY_WILD && bytes_are(a->fields[0], "") &&
              bytes_are(a->fields[1], "42") && g_bytes_equal(a->fields[2], c->fields[2]) &&
              g_bytes_equal(a->fields[3], c->fields[3]));
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > VMC_XAUTH_FILE_MAX)
        return 0;
    /* display, and the number its entries must have (NULL: none may be chosen) */
    static const char *const displays[][2] = {
        {"localhost:10.0", "10"}, {":0", "0"},     {"unix:1", "1"},
        {"h:10", "10"},           {":0.1", "0"},   {"x:y", NULL},
        {"other:10", NULL},       {"unix:", NULL}, {":123456", NULL},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(displays); i++)
        check_selected(data, size, displays[i][0], displays[i][1]);
    return 0;
}
