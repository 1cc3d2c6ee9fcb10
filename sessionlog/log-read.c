/* log-read.c — the thin I/O half of the log reader: read(2) into one big
 * buffer, split lines, hand each to vmc_log_entry_parse(), count the
 * damaged ones. Memory stays at the buffer plus one line's decoded strings,
 * whatever the size of the log. */
#include "log-priv.h"

#include "vmc-common.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define VMC_LOG_READ_BUFFER (1024 * 1024) /* bytes read at once; > VMC_RECORD_MAX_LINE */
#define VMC_LOG_PATH_SHOWN 512            /* bytes of the log's path in messages */

G_STATIC_ASSERT(VMC_LOG_READ_BUFFER > VMC_RECORD_MAX_LINE);

struct _VmcLogReader {
    int fd;
    gboolean own_fd;
    char *path; /* escaped, for messages */
    char *buffer;
    gsize start; /* the unread part is buffer[start..end) */
    gsize end;
    gboolean eof;
    gboolean skipping; /* inside a line already known to be too long */
    guint64 line_number;
    guint64 n_damaged;
    GArray *damaged_lines; /* of guint64, the first VMC_LOG_DAMAGED_LINES_MAX */
    GString *scratch;
    VmcLogEntry entry;
};

static VmcLogReader *
reader_new(int fd, gboolean own_fd, const char *path)
{
    VmcLogReader *reader = g_new0(VmcLogReader, 1);
    reader->fd = fd;
    reader->own_fd = own_fd;
    reader->path = vmc_text_escape(path, -1, VMC_LOG_PATH_SHOWN);
    reader->buffer = g_malloc(VMC_LOG_READ_BUFFER);
    reader->damaged_lines = g_array_new(FALSE, FALSE, sizeof(guint64));
    reader->scratch = g_string_sized_new(4096);
    return reader;
}

VmcLogReader *
vmc_log_reader_open(const char *path, GError **error)
{
    g_return_val_if_fail(path != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    /* O_NONBLOCK: a FIFO in the log's place must not hang the open. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int saved = errno;
        g_autofree char *shown = vmc_text_escape(path, -1, VMC_LOG_PATH_SHOWN);
        g_set_error(error, VMC_SESSIONLOG_ERROR, VMC_SESSIONLOG_ERROR_OPEN,
                    "cannot open the session log %s for reading: %s; check the path (--log, "
                    "or log = in the config) and that you may read it (root or the log's group)",
                    shown, g_strerror(saved));
        return NULL;
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0)
        (void)fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    return reader_new(fd, TRUE, path);
}

VmcLogReader *
vmc_log_reader_new_for_fd(int fd)
{
    g_return_val_if_fail(fd >= 0, NULL);
    return reader_new(fd, FALSE, "(fd)");
}

static void
note_damaged(VmcLogReader *reader)
{
    reader->n_damaged++;
    if (reader->damaged_lines->len < VMC_LOG_DAMAGED_LINES_MAX)
        g_array_append_val(reader->damaged_lines, reader->line_number);
}

/* More bytes after the unread part; FALSE on a read error (set). */
static gboolean
fill(VmcLogReader *reader, GError **error)
{
    if (reader->start > 0) {
        memmove(reader->buffer, reader->buffer + reader->start, reader->end - reader->start);
        reader->end -= reader->start;
        reader->start = 0;
    }
    for (;;) {
        ssize_t n =
            read(reader->fd, reader->buffer + reader->end, VMC_LOG_READ_BUFFER - reader->end);
        if (n > 0) {
            reader->end += (gsize)n;
            return TRUE;
        }
        if (n == 0) {
            reader->eof = TRUE;
            return TRUE;
        }
        if (errno != EINTR && errno != EAGAIN) {
            int saved = errno;
            g_set_error(error, VMC_SESSIONLOG_ERROR, VMC_SESSIONLOG_ERROR_READ,
                        "cannot read the session log %s after line %" G_GUINT64_FORMAT ": %s",
                        reader->path, reader->line_number, g_strerror(saved));
            return FALSE;
        }
    }
}

/* One complete line buffer[start..newline): a record, or damaged/empty. */
static const VmcLogEntry *
take_line(VmcLogReader *reader, const char *newline)
{
    const char *line = reader->buffer + reader->start;
    gsize length = (gsize)(newline - line);
    reader->start += length + 1;
    reader->line_number++;
    if (reader->skipping) {
        reader->skipping = FALSE;
        note_damaged(reader);
        return NULL;
    }
    if (length == 0)
        return NULL;
    if (length + 1 > VMC_RECORD_MAX_LINE ||
        !vmc_log_entry_parse(line, length, reader->scratch, &reader->entry)) {
        note_damaged(reader);
        return NULL;
    }
    reader->entry.line_number = reader->line_number;
    return &reader->entry;
}

/* At the end: a last line without '\n' (truncated) is damaged. */
static void
take_last(VmcLogReader *reader)
{
    if (reader->start < reader->end || reader->skipping) {
        reader->line_number++;
        note_damaged(reader);
    }
    reader->start = reader->end;
    reader->skipping = FALSE;
}

const VmcLogEntry *
vmc_log_reader_next(VmcLogReader *reader, GError **error)
{
    g_return_val_if_fail(reader != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    for (;;) {
        const char *from = reader->buffer + reader->start;
        const char *newline = memchr(from, '\n', reader->end - reader->start);
        if (newline != NULL) {
            const VmcLogEntry *entry = take_line(reader, newline);
            if (entry != NULL)
                return entry;
            continue;
        }
        if (reader->end - reader->start >= VMC_RECORD_MAX_LINE) {
            /* too long to be a record: drop what we have, find its end */
            reader->skipping = TRUE;
            reader->start = reader->end = 0;
        }
        if (reader->eof) {
            take_last(reader);
            return NULL;
        }
        if (!fill(reader, error))
            return NULL;
    }
}

guint64
vmc_log_reader_get_n_damaged(const VmcLogReader *reader)
{
    g_return_val_if_fail(reader != NULL, 0);
    return reader->n_damaged;
}

const GArray *
vmc_log_reader_get_damaged_lines(const VmcLogReader *reader)
{
    g_return_val_if_fail(reader != NULL, NULL);
    return reader->damaged_lines;
}

void
vmc_log_reader_free(VmcLogReader *reader)
{
    if (reader == NULL)
        return;
    if (reader->own_fd)
        close(reader->fd);
    g_free(reader->path);
    g_free(reader->buffer);
    g_array_unref(reader->damaged_lines);
    g_string_free(reader->scratch, TRUE);
    g_free(reader);
}
