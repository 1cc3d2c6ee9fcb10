/* fuzz-log-reader.c — libFuzzer target for the session-log reader. The input
 * is a whole log: every line goes through the strict scanner, and the whole
 * through the streaming reader (a memfd). What the scanner accepts must be a
 * JSON object json-glib also accepts, with the same identity, session and vm
 * strings; the reader must see each non-empty line as exactly one good or
 * damaged record, numbered as the lines are. */
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
