/* test-print.c — the escaping printf: %s and %c escaped and capped (at the
 * bound and one past it), text escaped once passing unchanged, width and
 * precision as printf's, every other conversion exactly as printf prints it,
 * the trusted format as it is. */
#include <glib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "vmc-common.h"

typedef struct {
    const char *name;
    const char *got;
    const char *want;
} Case;

static void
test_strings(void)
{
    g_autofree char *control = vmc_strdup_printf_escaped("<%s>", "a\x1b[31mb\n\t\x7f\xc3\xa9");
    g_assert_cmpstr(control, ==, "<a\\e[31mb\\n\\t\\x7f\xc3\xa9>");
    /* GLib's own messages quote with U+201C/U+201D: kept readable; a C1
     * control and an invalid byte escaped */
    g_autofree char *glib = vmc_strdup_printf_escaped(
        "%s", "Unknown option \xe2\x80\x9c--x\xe2\x80\x9d \xc2\x9b \xe2\x80");
    g_assert_cmpstr(glib, ==, "Unknown option \xe2\x80\x9c--x\xe2\x80\x9d \\xc2\\x9b \\xe2\\x80");
    /* escaped by vmc_text_for_message() first: passes unchanged (once, not twice) */
    g_autofree char *pre = vmc_text_for_message("de$b\\ian \xe2\x80\x9c\x01", -1, 100);
    g_autofree char *twice = vmc_strdup_printf_escaped("%s", pre);
    g_assert_cmpstr(twice, ==, "de$b\\ian \xe2\x80\x9c\\x01");
    /* escaped once already (a table cell, a quoted request word): unchanged */
    g_autofree char *once = vmc_strdup_printf_escaped("%s", "bad byte '\\x1b' in a\\\\b");
    g_assert_cmpstr(once, ==, "bad byte '\\x1b' in a\\\\b");
    g_autofree char *null = vmc_strdup_printf_escaped("[%s]", (const char *)NULL);
    g_assert_cmpstr(null, ==, "[(null)]");
    g_autofree char *empty = vmc_strdup_printf_escaped("[%s]", "");
    g_assert_cmpstr(empty, ==, "[]");
    /* the format itself is trusted: its newline and escapes stay */
    g_autofree char *format = vmc_strdup_printf_escaped("line\n\tnext %s\n", "x\ny");
    g_assert_cmpstr(format, ==, "line\n\tnext x\\ny\n");
    g_autofree char *chars = vmc_strdup_printf_escaped("%c%c%c", 'a', '\x1b', '\0');
    g_assert_cmpstr(chars, ==, "a\\e\\x00");
    g_autofree char *percent = vmc_strdup_printf_escaped("100%% of %s%%", "it");
    g_assert_cmpstr(percent, ==, "100% of it%");
}

static void
test_width_precision(void)
{
    g_autofree char *left = vmc_strdup_printf_escaped("%-6s|", "ab");
    g_autofree char *right = vmc_strdup_printf_escaped("%6s|", "ab");
    g_autofree char *star = vmc_strdup_printf_escaped("%*s|%-*s|", 4, "a", 3, "b");
    g_autofree char *negative = vmc_strdup_printf_escaped("%*s|", -3, "c");
    g_autofree char *escaped_width = vmc_strdup_printf_escaped("%-4s|", "\x01");
    g_assert_cmpstr(left, ==, "ab    |");
    g_assert_cmpstr(right, ==, "    ab|");
    g_assert_cmpstr(star, ==, "   a|b  |");
    g_assert_cmpstr(negative, ==, "c  |");
    g_assert_cmpstr(escaped_width, ==, "\\x01|"); /* the width pads the escaped text */

    /* a precision caps the escaped text, never in the middle of an escape */
    g_autofree char *cut = vmc_strdup_printf_escaped("%.5s", "abcdefgh");
    g_autofree char *fits = vmc_strdup_printf_escaped("%.8s", "abcdefgh");
    g_autofree char *star_cut = vmc_strdup_printf_escaped("%.*s", 3, "abcdef");
    g_autofree char *no_split = vmc_strdup_printf_escaped("%.4s", "ab\x1b");
    g_assert_cmpstr(cut, ==, "abcde...");
    g_assert_cmpstr(fits, ==, "abcdefgh");
    g_assert_cmpstr(star_cut, ==, "abc...");
    g_assert_cmpstr(no_split, ==, "ab\\e");
    g_autofree char *no_split2 = vmc_strdup_printf_escaped("%.3s", "ab\x1b");
    g_assert_cmpstr(no_split2, ==, "ab...");
}

/* Without a precision an argument is capped at VMC_PRINT_ARG_MAX bytes. */
static void
test_argument_bound(void)
{
    g_autofree char *at = g_strnfill(VMC_PRINT_ARG_MAX, 'a');
    g_autofree char *over = g_strnfill(VMC_PRINT_ARG_MAX + 1, 'a');
    g_autofree char *got_at = vmc_strdup_printf_escaped("%s|", at);
    g_autofree char *got_over = vmc_strdup_printf_escaped("%s|", over);
    g_autofree char *want_at = g_strconcat(at, "|", NULL);
    g_autofree char *want_over = g_strconcat(at, "...|", NULL);
    g_assert_cmpstr(got_at, ==, want_at);
    g_assert_cmpstr(got_over, ==, want_over);
}

/* Everything but %s and %c comes out as printf's own. */
static void
test_like_printf(void)
{
    gint64 big = G_MININT64;
    gsize size = G_MAXSIZE;
    int stack = 0;
#define SAME(...)                                                                                  \
    {#__VA_ARGS__, vmc_strdup_printf_escaped(__VA_ARGS__), g_strdup_printf(__VA_ARGS__)}
    Case cases[] = {
        SAME("%d %i %u %x %X %o", -42, 7, 42u, 255u, 255u, 8u),
        SAME("%5d|%-5d|%05d|%+d|% d", 42, 42, 42, 42, 42),
        SAME("%ld %lu %lld %llu", -1L, 1UL, -2LL, 18446744073709551615ULL),
        SAME("%" G_GINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GSIZE_FORMAT, big,
             (guint64)G_MAXUINT64, size),
        SAME("%zu %zd %jd %ju %td", (size_t)3, (ssize_t)-3, (intmax_t)-9, (uintmax_t)9,
             (ptrdiff_t)-1),
        SAME("%hhu %hd %#x %#o", (unsigned char)200, (short)-7000, 255u, 8u),
        SAME("%.3f %8.2f %-8.1e| %g %G %a", 3.14159, 2.5, 12345.678, 0.0001, 1e40, 1.0),
        SAME("%Lf", (long double)1.5),
        SAME("%*d|%-*d|%.*f", 6, 1, 6, 2, 2, 3.14159),
        SAME("%p", (void *)&stack),
        SAME("no conversion at all"),
    };
#undef SAME
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_test_message("%s", cases[i].name);
        g_assert_cmpstr(cases[i].got, ==, cases[i].want);
        g_free((char *)cases[i].got);
        g_free((char *)cases[i].want);
    }
}

static void
test_print_to_file(void)
{
    FILE *out = tmpfile();
    g_assert_nonnull(out);
    vmc_print_escaped(out, "vmconsole: %s is not a VM you may open on %s.\n", "deb\x1b[2J", "host");
    rewind(out);
    char line[128] = "";
    g_assert_nonnull(fgets(line, sizeof line, out));
    g_assert_cmpstr(line, ==, "vmconsole: deb\\e[2J is not a VM you may open on host.\n");
    fclose(out);
}

/* Formats the compiler would refuse are reached through the va_list form
 * (this helper is no format function, so nothing checks them). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static char *
unchecked(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    char *text = vmc_strdup_vprintf_escaped(format, args);
    va_end(args);
    return text;
}
#pragma GCC diagnostic pop

static void
test_refused(void)
{
    if (g_test_subprocess()) {
        int n = 0;
        g_free(unchecked("before %n after", &n));
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*conversion '%n' is not supported*");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/print/strings", test_strings);
    g_test_add_func("/print/width-precision", test_width_precision);
    g_test_add_func("/print/argument-bound", test_argument_bound);
    g_test_add_func("/print/like-printf", test_like_printf);
    g_test_add_func("/print/to-file", test_print_to_file);
    g_test_add_func("/print/refused", test_refused);
    return g_test_run();
}
