/* ssh-stderr.c — reading ssh's stderr (pure): lines, the "Allocated port"
 * line of a dynamic reverse forward, and text made safe for a terminal.
 *
 * Everything on that stream is hostile: ssh's own messages quote the host's
 * banner, and the gateway's messages come from the host.
 */
#include "vmc-launcher.h"

#include <string.h>

#define ALLOCATED_PREFIX "Allocated port "
#define ALLOCATED_MIDDLE " for remote forward to " VMC_LAUNCHER_CONNECT_HOST ":"

static void
emit(VmcLauncherLines *lines, VmcLauncherLineFunc func, gpointer user_data)
{
    gsize n = lines->used;
    if (n > 0 && lines->buffer[n - 1] == '\r')
        n--;
    func(lines->buffer, n, user_data);
    lines->used = 0;
}

void
vmc_launcher_lines_feed(VmcLauncherLines *lines, const char *data, gsize length,
                        VmcLauncherLineFunc func, gpointer user_data)
{
    g_return_if_fail(lines != NULL && func != NULL && (data != NULL || length == 0));
    for (gsize i = 0; i < length; i++) {
        if (data[i] == '\n') {
            emit(lines, func, user_data);
            continue;
        }
        lines->buffer[lines->used++] = data[i];
        if (lines->used == VMC_LAUNCHER_LINE_MAX)
            emit(lines, func, user_data);
    }
}

void
vmc_launcher_lines_flush(VmcLauncherLines *lines, VmcLauncherLineFunc func, gpointer user_data)
{
    g_return_if_fail(lines != NULL && func != NULL);
    if (lines->used > 0)
        emit(lines, func, user_data);
}

/* A port in plain decimal (1..65535, no sign, no leading zero) of exactly
 * length bytes. */
static gboolean
parse_port(const char *text, gsize length, guint16 *ret_port)
{
    if (length == 0 || length > 5 || text[0] == '0')
        return FALSE;
    guint value = 0;
    for (gsize i = 0; i < length; i++) {
        if (!g_ascii_isdigit(text[i]))
            return FALSE;
        value = value * 10 + (guint)(text[i] - '0');
    }
    if (value > 65535)
        return FALSE;
    *ret_port = (guint16)value;
    return TRUE;
}

gboolean
vmc_launcher_parse_allocated_port(const char *line, gsize length, guint16 local_port,
                                  guint16 *ret_port)
{
    g_return_val_if_fail(line != NULL || length == 0, FALSE);
    if (length > 0 && line[length - 1] == '\r')
        length--;
    const gsize prefix = strlen(ALLOCATED_PREFIX), middle = strlen(ALLOCATED_MIDDLE);
    if (length < prefix || memcmp(line, ALLOCATED_PREFIX, prefix) != 0)
        return FALSE;
    const char *number = line + prefix;
    const char *end = line + length;
    const char *space = memchr(number, ' ', (gsize)(end - number));
    if (space == NULL || (gsize)(end - space) < middle ||
        memcmp(space, ALLOCATED_MIDDLE, middle) != 0)
        return FALSE;
    guint16 port, connect_port;
    const char *tail = space + middle;
    if (!parse_port(number, (gsize)(space - number), &port) ||
        !parse_port(tail, (gsize)(end - tail), &connect_port) || connect_port != local_port)
        return FALSE;
    *ret_port = port;
    return TRUE;
}

char *
vmc_launcher_terminal_text(const char *line, gsize length)
{
    g_return_val_if_fail(line != NULL || length == 0, NULL);
    return vmc_text_for_terminal(line, MIN(length, (gsize)VMC_LAUNCHER_LINE_MAX));
}
