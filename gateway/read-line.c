/* read-line.c — one line from an fd, bounded in length and in time: the
 * sound lines on stdin, the sandbox's status and report. */
#include "session-priv.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

static GQuark vmc_read_line_error_quark(void);
/* the GError domain "vmc-read-line-error-quark" */
GQuark
vmc_read_line_error_quark(void)
{
    return g_quark_from_static_string("vmc-read-line-error-quark");
}

gboolean
vmc_read_line(int fd, const char *what, gint64 deadline_us, char *buf, gsize size,
              gsize *ret_length, GError **error)
{
    g_return_val_if_fail(buf != NULL && size > 0 && ret_length != NULL, FALSE);
    gsize length = 0;
    for (;;) {
        gint64 left_ms = (deadline_us - g_get_monotonic_time()) / 1000;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int n = left_ms > 0 ? poll(&pfd, 1, (int)left_ms) : 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0) {
            g_set_error(error, vmc_read_line_error_quark(), 0, "nothing came on %s in time", what);
            return FALSE;
        }
        char c;
        ssize_t got = n < 0 ? -1 : read(fd, &c, 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            g_set_error(error, vmc_read_line_error_quark(), 0, "%s ended before the line", what);
            return FALSE;
        }
        if (c == '\n')
            break;
        if (length + 1 >= size) {
            g_set_error(error, vmc_read_line_error_quark(), 0,
                        "the line on %s is longer than %" G_GSIZE_FORMAT " bytes", what, size - 1);
            return FALSE;
        }
        buf[length++] = c;
    }
    if (length > 0 && buf[length - 1] == '\r')
        length--;
    buf[length] = '\0';
    *ret_length = length;
    return TRUE;
}
