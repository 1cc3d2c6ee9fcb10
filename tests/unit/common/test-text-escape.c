/* test-text-escape.c — tables for vmc_text_escape() and vmc_text_to_utf8(),
 * plus properties over random bytes. */
#include "vmc-common.h"

#include <string.h>

typedef struct {
    const char *name;
    const char *input;
    gssize length;
    gsize max_bytes;
    const char *expected;
} TextCase;

static const TextCase escape_cases[] = {
    {"plain", "hello world ~!", -1, 100, "hello world ~!"},
    {"backslash", "a\\b", -1, 100, "a\\\\b"},
    {"newline", "a\nb", -1, 100, "a\\nb"},
    {"tab-cr", "\t\r", -1, 100, "\\t\\r"},
    {"esc", "\x1b[31mred", -1, 100, "\\e[31mred"},
    {"del", "\x7f", -1, 100, "\\x7f"},
    {"control", "\x01\x1f", -1, 100, "\\x01\\x1f"},
    {"byte-0x80", "\x80", -1, 100, "\\x80"},
    {"byte-0xff", "\xff", -1, 100, "\\xff"},
    {"utf8-e-acute", "caf\xc3\xa9", -1, 100, "caf\\xc3\\xa9"},
    {"quote-kept", "say \"hi\"", -1, 100, "say \"hi\""},
    {"empty", "", -1, 100, ""},
    {"empty-cap-0", "", -1, 0, ""},
    {"cap-exact-fit", "abcdef", -1, 6, "abcdef"},
    {"cap-cut", "abcdef", -1, 4, "abcd..."},
    {"cap-0", "a", -1, 0, "..."},
    {"cap-not-splitting-xNN", "ab\x01", -1, 5, "ab..."},
    {"cap-xNN-fits", "ab\x01", -1, 6, "ab\\x01"},
    {"cap-not-splitting-backslash", "abc\\", -1, 4, "abc..."},
    {"cap-not-splitting-e", "abc\x1b", -1, 4, "abc..."},
    {"length-minus-1-stops-at-nul", "a\0b", -1, 100, "a"},
    {"length-given-embedded-nul", "a\0b", 3, 100, "a\\x00b"},
    {"length-given-shorter", "abcdef", 3, 100, "abc"},
};

static const TextCase utf8_cases[] = {
    {"plain", "hello", -1, 100, "hello"},
    {"multibyte-kept", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", -1, 100,
     "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
    {"max-scalar-kept", "\xf4\x8f\xbf\xbf", -1, 100, "\xf4\x8f\xbf\xbf"},
    {"controls-kept", "a\nb\x1b\x7f", -1, 100, "a\nb\x1b\x7f"},
    {"lone-0xff",
     "a\xff"
     "b",
     -1, 100,
     "a\\xff"
     "b"},
    {"lone-continuation", "\x80", -1, 100, "\\x80"},
    {"truncated-at-end", "a\xe2\x82", -1, 100, "a\\xe2\\x82"},
    {"truncated-in-middle",
     "\xe2\x82"
     "a",
     -1, 100,
     "\\xe2\\x82"
     "a"},
    {"truncated-at-length", "\xc3\xa9", 1, 100, "\\xc3"},
    {"overlong-2", "\xc0\xaf", -1, 100, "\\xc0\\xaf"},
    {"overlong-3", "\xe0\x80\xaf", -1, 100, "\\xe0\\x80\\xaf"},
    {"overlong-nul", "\xc0\x80", -1, 100, "\\xc0\\x80"},
    {"surrogate-high", "\xed\xa0\x80", -1, 100, "\\xed\\xa0\\x80"},
    {"surrogate-low", "\xed\xbf\xbf", -1, 100, "\\xed\\xbf\\xbf"},
    {"above-10ffff", "\xf4\x90\x80\x80", -1, 100, "\\xf4\\x90\\x80\\x80"},
    {"backslash-kept-lossy", "a\\x41", -1, 100, "a\\x41"},
    {"embedded-nul", "a\0b", 3, 100, "a\\x00b"},
    {"empty", "", -1, 100, ""},
    {"cap-on-char-boundary", "\xc3\xa9\xc3\xa9", -1, 3, "\xc3\xa9..."},
    {"cap-exact-fit", "\xc3\xa9\xc3\xa9", -1, 4, "\xc3\xa9\xc3\xa9"},
    {"cap-4-byte-char", "a\xf0\x9f\x98\x80", -1, 4, "a..."},
    {"cap-not-splitting-xNN", "a\xff", -1, 4, "a..."},
    {"cap-xNN-fits", "a\xff", -1, 5, "a\\xff"},
};

static void
test_escape_case(gconstpointer data)
{
    const TextCase *c = data;
    g_autofree char *got = vmc_text_escape(c->input, c->length, c->max_bytes);
    g_assert_cmpstr(got, ==, c->expected);
}

static void
test_utf8_case(gconstpointer data)
{
    const TextCase *c = data;
    g_autofree char *got = vmc_text_to_utf8(c->input, c->length, c->max_bytes);
    g_assert_cmpstr(got, ==, c->expected);
    g_assert_true(g_utf8_validate(got, -1, NULL));
}

static void
test_escape_null_empty(void)
{
    g_autofree char *a = vmc_text_escape(NULL, 0, 10);
    g_autofree char *b = vmc_text_to_utf8(NULL, 0, 10);
    g_assert_cmpstr(a, ==, "");
    g_assert_cmpstr(b, ==, "");
}

/* The variants: a byte quoted exactly (\xNN only), and text escaped once
 * passing unchanged (the backslash kept); caps as before. */
static void
test_escape_flags(void)
{
    static const struct {
        const char *input;
        VmcEscapeFlags flags;
        gsize max_bytes;
        const char *expected;
    } cases[] = {
        {"a\n\t\r\x1b\\", VMC_ESCAPE_HEX_ONLY, 100, "a\\x0a\\x09\\x0d\\x1b\\\\"},
        {"a\x1b\\b", VMC_ESCAPE_KEEP_BACKSLASH, 100, "a\\e\\b"},
        {"a\\x1b", VMC_ESCAPE_KEEP_BACKSLASH, 100, "a\\x1b"},
        {"a\n\\", VMC_ESCAPE_HEX_ONLY | VMC_ESCAPE_KEEP_BACKSLASH, 100, "a\\x0a\\"},
        {"ab\n", VMC_ESCAPE_HEX_ONLY, 5, "ab..."},
        {"ab\n", VMC_ESCAPE_HEX_ONLY, 6, "ab\\x0a"},
        {"ab\\", VMC_ESCAPE_KEEP_BACKSLASH, 3, "ab\\"},
        {"abc\\", VMC_ESCAPE_KEEP_BACKSLASH, 3, "abc..."},
        {"\xff", VMC_ESCAPE_DEFAULT, 4, "\\xff"},
        {"a'b\\", VMC_ESCAPE_QUOTES, 100, "a\\x27b\\x5c"},
        {"a'\\\n", VMC_ESCAPE_HEX_ONLY | VMC_ESCAPE_QUOTES, 100, "a\\x27\\x5c\\x0a"},
        {"ab'", VMC_ESCAPE_QUOTES, 5, "ab..."},
        {"ab'", VMC_ESCAPE_QUOTES, 6, "ab\\x27"},
        /* UTF-8: GLib's quotes and accents pass, controls and bad bytes do not */
        {"Unknown \xe2\x80\x9cx\xe2\x80\x9d caf\xc3\xa9", VMC_ESCAPE_UTF8, 100,
         "Unknown \xe2\x80\x9cx\xe2\x80\x9d caf\xc3\xa9"},
        {"a\xc2\x9b[2J\x1b\x7f", VMC_ESCAPE_UTF8, 100, "a\\xc2\\x9b[2J\\e\\x7f"}, /* C1 CSI */
        {"rtl \xe2\x80\xae sep \xe2\x80\xa8", VMC_ESCAPE_UTF8, 100,
         "rtl \\xe2\\x80\\xae sep \\xe2\\x80\\xa8"},
        {"cut \xe2\x80", VMC_ESCAPE_UTF8, 100, "cut \\xe2\\x80"},
        {"over \xc0\xaf \xff", VMC_ESCAPE_UTF8, 100, "over \\xc0\\xaf \\xff"},
        {"a\\b", VMC_ESCAPE_UTF8, 100, "a\\\\b"},
        {"a\\b\xc3\xa9", VMC_ESCAPE_MESSAGE, 100, "a\\b\xc3\xa9"},
        /* a character is never cut in half */
        {"ab\xe2\x82\xac", VMC_ESCAPE_UTF8, 4, "ab..."},
        {"ab\xe2\x82\xac", VMC_ESCAPE_UTF8, 5, "ab\xe2\x82\xac"},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *got =
            vmc_text_escape_with(cases[i].input, -1, cases[i].max_bytes, cases[i].flags);
        g_assert_cmpstr(got, ==, cases[i].expected);
    }
}

/* For the person's own UTF-8 terminal: printable UTF-8 and tabs pass,
 * everything that could steer the terminal or the layout is \xNN. */
static void
test_for_terminal(void)
{
    static const struct {
        const char *input;
        const char *expected;
    } cases[] = {
        {"plain text", "plain text"},
        {"caf\xc3\xa9 \xe2\x80\xa6 \xf0\x9f\x98\x80\tok",
         "caf\xc3\xa9 \xe2\x80\xa6 \xf0\x9f\x98\x80\tok"},
        {"a\x1b[2Jb", "a\\x1b[2Jb"},
        {"back\\slash", "back\\slash"},
        {"cr\rlf\n", "cr\\x0dlf\\x0a"},
        {"c1 \xc2\x9b"
         "31m",
         "c1 \\xc2\\x9b31m"},
        {"rtl \xe2\x80\xae evil", "rtl \\xe2\\x80\\xae evil"},
        {"isolate \xe2\x81\xa6"
         "x",
         "isolate \\xe2\\x81\\xa6x"},
        {"sep \xe2\x80\xa8", "sep \\xe2\\x80\\xa8"},
        {"bad \xff\xc3", "bad \\xff\\xc3"},
        {"a\xe2\x80", "a\\xe2\\x80"}, /* cut short at the end */
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *got = vmc_text_for_terminal(cases[i].input, strlen(cases[i].input));
        g_assert_cmpstr(got, ==, cases[i].expected);
    }
    g_autofree char *nul = vmc_text_for_terminal("a\0b", 3);
    g_assert_cmpstr(nul, ==, "a\\x00b");
    g_autofree char *empty = vmc_text_for_terminal(NULL, 0);
    g_assert_cmpstr(empty, ==, "");
}

/* Every byte value, alone: printable ASCII out, and the documented form. */
static void
test_escape_all_bytes(void)
{
    for (int b = 0; b < 256; b++) {
        char in = (char)b;
        g_autofree char *got = vmc_text_escape(&in, 1, 16);
        for (const char *p = got; *p != '\0'; p++)
            g_assert_true(*p >= 0x20 && *p <= 0x7e);
        if (b >= 0x20 && b <= 0x7e && b != '\\')
            g_assert_cmpuint(strlen(got), ==, 1);
        else
            g_assert_true(got[0] == '\\' && (strlen(got) == 2 || strlen(got) == 4));
    }
}

/* Random bytes: escape gives printable ASCII, to_utf8 valid UTF-8, both bounded. */
static void
test_random_bytes(void)
{
    for (int round = 0; round < 2000; round++) {
        guint8 buf[64];
        gsize len = (gsize)g_test_rand_int_range(0, sizeof(buf) + 1);
        gsize max = (gsize)g_test_rand_int_range(0, 200);
        for (gsize i = 0; i < len; i++)
            buf[i] = (guint8)g_test_rand_int_range(0, 256);

        g_autofree char *esc = vmc_text_escape((const char *)buf, (gssize)len, max);
        g_autofree char *utf = vmc_text_to_utf8((const char *)buf, (gssize)len, max);
        g_assert_cmpuint(strlen(esc), <=, max + 3);
        g_assert_cmpuint(strlen(utf), <=, max + 3);
        for (const char *p = esc; *p != '\0'; p++)
            g_assert_true(*p >= 0x20 && *p <= 0x7e);
        g_assert_true(g_utf8_validate(utf, -1, NULL));
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    for (gsize i = 0; i < G_N_ELEMENTS(escape_cases); i++) {
        g_autofree char *path = g_strdup_printf("/text-escape/escape/%s", escape_cases[i].name);
        g_test_add_data_func(path, &escape_cases[i], test_escape_case);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(utf8_cases); i++) {
        g_autofree char *path = g_strdup_printf("/text-escape/to-utf8/%s", utf8_cases[i].name);
        g_test_add_data_func(path, &utf8_cases[i], test_utf8_case);
    }
    g_test_add_func("/text-escape/null-with-length-0", test_escape_null_empty);
    g_test_add_func("/text-escape/escape/all-bytes", test_escape_all_bytes);
    g_test_add_func("/text-escape/escape/flags", test_escape_flags);
    g_test_add_func("/text-escape/for-terminal", test_for_terminal);
    g_test_add_func("/text-escape/random-bytes", test_random_bytes);
    return g_test_run();
}
