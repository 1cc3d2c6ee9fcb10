/* log-read.c — the thin I/O half of the log reader: read(2) into one big
 * buffer (through GIO's GZlibDecompressor when the file is gzip'd), split
 * lines, hand each to vmc_log_entry_parse(), count the damaged ones. Memory
 * stays at the buffers plus one line's decoded strings, whatever the size
 * of the log or of what a compressed one inflates to. */
#include "log-priv.h"

#include "vmc-common.h"

#include <gio/gio.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define VMC_LOG_READ_BUFFER (1024 * 1024) /* bytes read at once; > VMC_RECORD_MAX_LINE */
#define VMC_LOG_PATH_SHOWN 512            /* bytes of the log's path in messages */
#define VMC_LOG_GZIP_INPUT (64 * 1024)    /* compressed bytes read at once */

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
    /* a gzip'd log (it starts with gzip's magic): its bytes read into input,
     * inflated into buffer */
    GConverter *gunzip;
    guint8 *input;
    gsize input_start, input_end;
    gboolean input_eof;
    gboolean sniffed;           /* the first bytes were looked at */
    gboolean compressed_damage; /* the compressed data ended early or was corrupt */
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

static void
set_read_error(VmcLogReader *reader, int saved, GError **error)
{
    g_set_error(error, VMC_SESSIONLOG_ERROR, VMC_SESSIONLOG_ERROR_READ,
                "cannot read the session log %s after line %" G_GUINT64_FORMAT ": %s", reader->path,
                reader->line_number, g_strerror(saved));
}

/* read(2) into to (at most size bytes): the count, 0 at the end, -1 on an
 * error (set). */
static gssize
read_some(VmcLogReader *reader, void *to, gsize size, GError **error)
{
    for (;;) {
        ssize_t n = read(reader->fd, to, size);
        if (n >= 0)
            return n;
        if (errno != EINTR && errno != EAGAIN) {
            set_read_error(reader, errno, error);
            return -1;
        }
    }
}

/* More compressed input; FALSE on a read error (set). */
static gboolean
fill_input(VmcLogReader *reader, GError **error)
{
    if (reader->input_start > 0) {
        memmove(reader->input, reader->input + reader->input_start,
                reader->input_end - reader->input_start);
        reader->input_end -= reader->input_start;
        reader->input_start = 0;
    }
    gssize n = read_some(reader, reader->input + reader->input_end,
                         VMC_LOG_GZIP_INPUT - reader->input_end, error);
    if (n < 0)
        return FALSE;
    reader->input_end += (gsize)n;
    reader->input_eof = n == 0;
    return TRUE;
}

/* The first bytes: gzip's magic (1f 8b) makes this a compressed log. */
static gboolean
sniff(VmcLogReader *reader, GError **error)
{
    reader->sniffed = TRUE;
    reader->input = g_malloc(VMC_LOG_GZIP_INPUT);
    while (reader->input_end < 2 && !reader->input_eof)
        if (!fill_input(reader, error))
            return FALSE;
    if (reader->input_end >= 2 && reader->input[0] == 0x1f && reader->input[1] == 0x8b) {
        reader->gunzip = G_CONVERTER(g_zlib_decompressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP));
        return TRUE;
    }
    /* plain: what was read is the first text */
    memcpy(reader->buffer, reader->input, reader->input_end);
    reader->end = reader->input_end;
    reader->eof = reader->input_eof;
    g_clear_pointer(&reader->input, g_free);
    return TRUE;
}

/* Inflate into buffer[end..): at least one byte, or the end (eof). Data
 * that ends early or is not gzip is the end of the log, one line damaged. */
static gboolean
fill_gunzip(VmcLogReader *reader, GError **error)
{
    for (;;) {
        if (reader->input_start == reader->input_end && !reader->input_eof &&
            !fill_input(reader, error))
            return FALSE;
        gsize used = 0, made = 0;
        g_autoptr(GError) local = NULL;
        GConverterFlags flags = reader->input_eof ? G_CONVERTER_INPUT_AT_END : G_CONVERTER_NO_FLAGS;
        GConverterResult result = g_converter_convert(
            reader->gunzip, reader->input + reader->input_start,
            reader->input_end - reader->input_start, reader->buffer + reader->end,
            VMC_LOG_READ_BUFFER - reader->end, flags, &used, &made, &local);
        reader->input_start += used;
        reader->end += made;
        if (result == G_CONVERTER_ERROR) {
            if (g_error_matches(local, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT) && !reader->input_eof)
                continue; /* more input needed */
            /* cut short (G_IO_ERROR_PARTIAL_INPUT at the end) or corrupt */
            reader->compressed_damage = TRUE;
            reader->eof = TRUE;
            return TRUE;
        }
        if (result == G_CONVERTER_FINISHED) {
            /* the end of one gzip member: another may follow (cat a.gz b.gz) */
            if (reader->input_start == reader->input_end && !reader->input_eof &&
                !fill_input(reader, error))
                return FALSE;
            if (reader->input_start == reader->input_end) {
                reader->eof = TRUE;
                return TRUE;
            }
            g_converter_reset(reader->gunzip);
        }
        if (made > 0)
            return TRUE;
    }
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
    if (!reader->sniffed) {
        if (!sniff(reader, error))
            return FALSE;
        if (reader->gunzip == NULL)
            return TRUE;
    }
    if (reader->gunzip != NULL)
        return fill_gunzip(reader, error);
    gssize n =
        read_some(reader, reader->buffer + reader->end, VMC_LOG_READ_BUFFER - reader->end, error);
    if (n < 0)
        return FALSE;
    reader->end += (gsize)n;
    reader->eof = n == 0;
    return TRUE;
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
    if (reader->start < reader->end || reader->skipping || reader->compressed_damage) {
        reader->line_number++;
        note_damaged(reader);
    }
    reader->compressed_damage = FALSE;
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
    g_free(reader->input);
    g_clear_object(&reader->gunzip);
    g_array_unref(reader->damaged_lines);
    g_string_free(reader->scratch, TRUE);
    g_free(reader);
}
