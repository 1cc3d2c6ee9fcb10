/* fuzz-launcher-stderr.c — libFuzzer target for what vmconsole reads from
 * ssh's stderr: the bytes are split into lines (in chunks whose sizes come
 * from the input too), each line goes through the "Allocated port" parser and
 * the terminal-text filter. Invariants: lines are bounded and hold no '\n';
 * an accepted line prints back exactly as OpenSSH's message with that port;
 * terminal text is bounded, valid UTF-8, without control characters but tab. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmc-launcher.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LOCAL_PORT 40001

static void
check_line(const char *line, gsize length, gpointer user_data)
{
    if (length > VMC_LAUNCHER_LINE_MAX || memchr(line, '\n', length) != NULL)
        abort();
    guint16 port = 0;
    if (vmc_launcher_parse_allocated_port(line, length, LOCAL_PORT, &port)) {
        char again[128];
        int n = snprintf(again, sizeof again, "Allocated port %u for remote forward to %s:%u", port,
                         VMC_LAUNCHER_CONNECT_HOST, LOCAL_PORT);
        gsize body = length > 0 && line[length - 1] == '\r' ? length - 1 : length;
        if (port == 0 || n < 0 || (gsize)n != body || memcmp(again, line, body) != 0)
            abort();
    }
    g_autofree char *text = vmc_launcher_terminal_text(line, length);
    gsize out = strlen(text);
    if (out > 4 * (gsize)VMC_LAUNCHER_LINE_MAX || !g_utf8_validate(text, -1, NULL))
        abort();
    for (const char *p = text; *p != '\0'; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (g_unichar_iscntrl(c) && c != '\t')
            abort();
    }
    (*(guint *)user_data)++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    VmcLauncherLines lines = {0};
    guint count = 0;
    gsize chunk = size > 0 ? (gsize)data[0] + 1 : 1; /* read sizes vary with the input */
    for (gsize at = 0; at < size; at += chunk)
        vmc_launcher_lines_feed(&lines, (const char *)data + at, MIN(chunk, size - at), check_line,
                                &count);
    vmc_launcher_lines_flush(&lines, check_line, &count);
    /* as many lines as newlines, plus a last unterminated one, plus pieces of long lines */
    gsize newlines = 0;
    for (gsize i = 0; i < size; i++)
        newlines += data[i] == '\n';
    if (count < newlines || count > newlines + 1 + size / VMC_LAUNCHER_LINE_MAX)
        abort();
    return 0;
}
