/* test-ssh-stderr.c — reading ssh's stderr: lines in any chunking, the
 * "Allocated port" line of OpenSSH (and nothing that merely resembles it),
 * text made safe for a terminal. */
#include <glib.h>
#include <string.h>

#include "vmc-launcher.h"

static void
collect(const char *line, gsize length, gpointer data)
{
    g_ptr_array_add(data, g_strndup(line, length));
}

static GPtrArray *
split(const char *data, gsize length, gsize chunk)
{
    VmcLauncherLines lines = {0};
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    for (gsize at = 0; at < length; at += chunk)
        vmc_launcher_lines_feed(&lines, data + at, MIN(chunk, length - at), collect, out);
    vmc_launcher_lines_flush(&lines, collect, out);
    return out;
}

static void
test_lines(void)
{
    const char *text = "Warning: Permanently added '[127.0.0.1]:2222' (ED25519)\r\n"
                       "Allocated port 41234 for remote forward to 127.0.0.1:40001\r\n"
                       "\n"
                       "vmconsole: opening debianx for alice...\n"
                       "no newline at the end";
    const char *want[] = {"Warning: Permanently added '[127.0.0.1]:2222' (ED25519)",
                          "Allocated port 41234 for remote forward to 127.0.0.1:40001", "",
                          "vmconsole: opening debianx for alice...", "no newline at the end"};
    /* the same lines whatever the read sizes */
    for (gsize chunk = 1; chunk <= strlen(text); chunk += (chunk < 8 ? 1 : 17)) {
        g_autoptr(GPtrArray) got = split(text, strlen(text), chunk);
        g_assert_cmpuint(got->len, ==, G_N_ELEMENTS(want));
        for (guint i = 0; i < got->len; i++)
            g_assert_cmpstr(got->pdata[i], ==, want[i]);
    }
}

static void
test_long_line(void)
{
    gsize n = 2 * VMC_LAUNCHER_LINE_MAX + 10;
    g_autofree char *text = g_strnfill(n + 1, 'x');
    text[n] = '\n';
    g_autoptr(GPtrArray) got = split(text, n + 1, 1000);
    g_assert_cmpuint(got->len, ==, 3);
    g_assert_cmpuint(strlen(got->pdata[0]), ==, VMC_LAUNCHER_LINE_MAX);
    g_assert_cmpuint(strlen(got->pdata[1]), ==, VMC_LAUNCHER_LINE_MAX);
    g_assert_cmpuint(strlen(got->pdata[2]), ==, 10);
    g_autoptr(GPtrArray) none = split("", 0, 1);
    g_assert_cmpuint(none->len, ==, 0);
}

static void
test_allocated(void)
{
    const struct {
        const char *line;
        gboolean ok;
        guint16 port;
    } cases[] = {
        {"Allocated port 41234 for remote forward to 127.0.0.1:40001", TRUE, 41234},
        {"Allocated port 41234 for remote forward to 127.0.0.1:40001\r", TRUE, 41234},
        {"Allocated port 1 for remote forward to 127.0.0.1:40001", TRUE, 1},
        {"Allocated port 65535 for remote forward to 127.0.0.1:40001", TRUE, 65535},
        {"Allocated port 65536 for remote forward to 127.0.0.1:40001", FALSE, 0},
        {"Allocated port 0 for remote forward to 127.0.0.1:40001", FALSE, 0},
        {"Allocated port 041234 for remote forward to 127.0.0.1:40001", FALSE, 0},
        {"Allocated port -1 for remote forward to 127.0.0.1:40001", FALSE, 0},
        {"Allocated port +4 for remote forward to 127.0.0.1:40001", FALSE, 0},
        {"Allocated port 99999999999 for remote forward to 127.0.0.1:40001", FALSE, 0},
        {"Allocated port  41234 for remote forward to 127.0.0.1:40001", FALSE, 0},
        {"Allocated port for remote forward to 127.0.0.1:40001", FALSE, 0},
        {"Allocated port 41234 for remote forward to 127.0.0.1:40002", FALSE, 0}, /* not ours */
        {"Allocated port 41234 for remote forward to localhost:40001", FALSE, 0},
        {"Allocated port 41234 for remote forward to 127.0.0.1:400011", FALSE, 0},
        {"Allocated port 41234 for remote forward to 127.0.0.1:40001 ", FALSE, 0},
        {"Allocated port 41234 for remote forward to 127.0.0.1:", FALSE, 0},
        {"vmconsole: Allocated port 41234 for remote forward to 127.0.0.1:40001", FALSE, 0},
        {"allocated port 41234 for remote forward to 127.0.0.1:40001", FALSE, 0},
        {"Allocated port 41234", FALSE, 0},
        {"Allocated port ", FALSE, 0},
        {"", FALSE, 0},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        guint16 port = 7;
        gboolean ok =
            vmc_launcher_parse_allocated_port(cases[i].line, strlen(cases[i].line), 40001, &port);
        if (ok != cases[i].ok)
            g_error("'%s': %s", cases[i].line, ok ? "accepted" : "refused");
        g_assert_cmpuint(port, ==, ok ? cases[i].port : 7); /* untouched when refused */
    }
    /* length is honoured: a NUL-free prefix of a good line is not a good line */
    const char *good = "Allocated port 41234 for remote forward to 127.0.0.1:40001";
    guint16 port = 7;
    g_assert_false(vmc_launcher_parse_allocated_port(good, strlen(good) - 1, 40001, &port));
    g_assert_true(vmc_launcher_parse_allocated_port(good, strlen(good), 40001, &port));
    g_assert_false(vmc_launcher_parse_allocated_port(NULL, 0, 40001, &port));
}

static void
test_terminal_text(void)
{
    const struct {
        const char *in;
        const char *want;
    } cases[] = {
        {"plain text", "plain text"},
        {"tab\there", "tab\there"},
        {"back\\slash", "back\\slash"},
        {"ESC \x1b[2J clear", "ESC \\x1b[2J clear"},
        {"bell\a", "bell\\x07"},
        {"cr\rlf", "cr\\x0dlf"},
        {"del\x7f", "del\\x7f"},
        {"caf\xc3\xa9 \xe2\x80\x94 ok", "caf\xc3\xa9 \xe2\x80\x94 ok"}, /* valid UTF-8 */
        {"bad \xff\xfe", "bad \\xff\\xfe"},
        {"cut \xe2\x80", "cut \\xe2\\x80"}, /* truncated sequence */
        {"overlong \xc0\xaf", "overlong \\xc0\\xaf"},
        {"C1 \xc2\x9b", "C1 \\xc2\\x9b"},              /* CSI as a C1 control */
        {"bidi \xe2\x80\xae", "bidi \\xe2\\x80\\xae"}, /* U+202E */
        {"sep \xe2\x80\xa8", "sep \\xe2\\x80\\xa8"},   /* U+2028 */
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *out = vmc_launcher_terminal_text(cases[i].in, strlen(cases[i].in));
        g_assert_cmpstr(out, ==, cases[i].want);
    }
    g_autofree char *nul = vmc_launcher_terminal_text("a\0b", 3);
    g_assert_cmpstr(nul, ==, "a\\x00b");
    /* bounded: the worst case is 4 bytes out per byte in, at most LINE_MAX in */
    g_autofree char *worst = g_strnfill(VMC_LAUNCHER_LINE_MAX + 100, '\x1b');
    g_autofree char *out = vmc_launcher_terminal_text(worst, strlen(worst));
    g_assert_cmpuint(strlen(out), ==, 4 * VMC_LAUNCHER_LINE_MAX);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ssh-stderr/lines", test_lines);
    g_test_add_func("/ssh-stderr/long-line", test_long_line);
    g_test_add_func("/ssh-stderr/allocated", test_allocated);
    g_test_add_func("/ssh-stderr/terminal-text", test_terminal_text);
    return g_test_run();
}
