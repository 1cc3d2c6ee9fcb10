/* fuzz-log-reader.c — libFuzzer target for the session-log reader. The input
 * is a whole log: every line goes through the strict scanner, and the whole
 * through the streaming reader (a memfd). What the scanner accepts must be a
 * JSON object json-glib also accepts, with the same identity, session, vm and
 * sandbox strings and the same stream byte counts; the reader must see each
 * non-empty line as exactly one good or damaged record, numbered as the lines
 * are. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmc-sessionlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
same_string(JsonObject *object, const char *name, const char *kept)
{
    JsonNode *node = json_object_get_member(object, name);
    const char *expected = node != NULL && JSON_NODE_HOLDS_VALUE(node) &&
                                   json_node_get_value_type(node) == G_TYPE_STRING
                               ? json_node_get_string(node)
                               : NULL;
    /* (kept NULL with a string there: it held U+0000, dropped on purpose) */
    if (kept != NULL && (expected == NULL || strcmp(kept, expected) != 0))
        abort();
}

/* The member at path (object names, NULL-terminated) when every step is an
 * object; json-glib keeps the last of repeated members. */
static JsonNode *
member_at(JsonObject *object, const char *const *path)
{
    JsonNode *node = NULL;
    for (guint i = 0; path[i] != NULL; i++) {
        if (object == NULL)
            return NULL;
        node = json_object_get_member(object, path[i]);
        object = node != NULL && JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
    }
    return node;
}

/* A kept stream count is -1 or 0..10^18-1; and where json-glib reads a
 * count the scanner keeps (a non-negative integer of at most 18 digits), the
 * scanner read the same. (That holds with repeated members too: json-glib's
 * value is the scanner's last one. "-0" is json-glib's 0, the scanner's -1.
 * A member name holding U+0000 is no name the scanner keeps, while json-glib
 * cuts it there: not compared when the line holds one.) */
static void
same_count(JsonObject *object, const char *line, gsize length, const char *stream, const char *name,
           gint64 kept)
{
    if (kept < -1 || kept > G_GINT64_CONSTANT(999999999999999999))
        abort();
    if (memmem(line, length, "\\u0000", 6) != NULL)
        return;
    const char *const path[] = {VMC_RECORD_STREAMS, stream, name, NULL};
    JsonNode *node = member_at(object, path);
    if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
        json_node_get_value_type(node) != G_TYPE_INT64)
        return;
    gint64 expected = json_node_get_int(node);
    if (expected < 0 || expected > G_GINT64_CONSTANT(999999999999999999) ||
        (expected == 0 && kept == -1))
        return;
    if (kept != expected)
        abort();
}

static void
check_line(const char *line, gsize length, GString *scratch)
{
    VmcLogEntry entry;
    if (!vmc_log_entry_parse(line, length, scratch, &entry))
        return;
    if (entry.time_us < 0 || entry.line != line || entry.line_length != length)
        abort();
    g_autoptr(JsonParser) parser = json_parser_new();
    if (!json_parser_load_from_data(parser, line, (gssize)length, NULL))
        abort();
    JsonNode *root = json_parser_get_root(parser);
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
        abort();
    JsonObject *object = json_node_get_object(root);
    same_string(object, "identity", entry.identity);
    same_string(object, "session", entry.session);
    same_string(object, "vm", entry.vm);
    same_string(object, VMC_RECORD_SANDBOX, entry.sandbox);
    const struct {
        const char *stream, *name;
        gint64 kept;
    } counts[] = {
        {VMC_RECORD_STREAM_X11, VMC_RECORD_TO_LAPTOP, entry.x11_stream.to_laptop},
        {VMC_RECORD_STREAM_X11, VMC_RECORD_FROM_LAPTOP, entry.x11_stream.from_laptop},
        {VMC_RECORD_STREAM_AUDIO, VMC_RECORD_TO_LAPTOP, entry.audio_stream.to_laptop},
        {VMC_RECORD_STREAM_AUDIO, VMC_RECORD_FROM_LAPTOP, entry.audio_stream.from_laptop},
    };
    for (guint i = 0; i < G_N_ELEMENTS(counts); i++)
        same_count(object, line, length, counts[i].stream, counts[i].name, counts[i].kept);
    if (entry.identity != NULL && !g_utf8_validate(entry.identity, -1, NULL))
        abort();
}

static void
check_stream(const uint8_t *data, size_t size, guint64 n_lines)
{
    int fd = memfd_create("log", MFD_CLOEXEC);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0)
        abort();
    g_autoptr(VmcLogReader) reader = vmc_log_reader_new_for_fd(fd);
    const VmcLogEntry *entry;
    guint64 good = 0, last = 0;
    while ((entry = vmc_log_reader_next(reader, NULL)) != NULL) {
        if (entry->line_number <= last || entry->line_number > n_lines)
            abort();
        last = entry->line_number;
        good++;
    }
    if (good + vmc_log_reader_get_n_damaged(reader) > n_lines)
        abort();
    close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GString) scratch = g_string_new(NULL);
    const char *text = (const char *)data;
    guint64 n_lines = 0;
    size_t start = 0;
    while (start < size) {
        const char *newline = memchr(text + start, '\n', size - start);
        size_t end = newline != NULL ? (size_t)(newline - text) : size;
        check_line(text + start, end - start, scratch);
        n_lines++;
        start = end + 1;
    }
    check_stream(data, size, n_lines);
    return 0;
}
