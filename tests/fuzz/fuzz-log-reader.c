/* fuzz-log-reader.c — libFuzzer target for the session-log reader. The input
 * is a whole log: every line goes through the strict scanner, and the whole
 * through the streaming reader (a memfd).
 *
 * What the scanner accepts must be a JSON object that json-glib accepts too,
 * with no repeated member (vmc_log_parse_object(), what show and plot read),
 * and every member the scanner keeps must read the same in both: the event,
 * every string, every time, every count (the streams' too) and the rates. A
 * line json-glib parses but vmc_log_parse_object() refuses for a repeat must
 * be damaged for the scanner. The reader must see each non-empty line as
 * exactly one good or damaged record — good exactly where the scanner said
 * so (and the line is complete and not too long) — numbered as the lines
 * are. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmc-sessionlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DEPTH_MAX 80 /* deeper than the scanner's 64: the scanner decides */
#define COUNT_MAX G_GINT64_CONSTANT(999999999999999999)

typedef enum { LINE_EMPTY, LINE_GOOD, LINE_DAMAGED } LineState;

static void
check(gboolean ok)
{
    if (!ok)
        abort();
}

static JsonNode *
member(JsonObject *object, const char *name)
{
    return object != NULL ? json_object_get_member(object, name) : NULL;
}

static GType
value_type(JsonNode *node)
{
    return node != NULL && JSON_NODE_HOLDS_VALUE(node) ? json_node_get_value_type(node)
                                                       : G_TYPE_INVALID;
}

/* A kept string: json-glib's string, or NULL when it is not one. */
static void
same_string(JsonObject *object, const char *name, const char *kept)
{
    JsonNode *node = member(object, name);
    const char *expected = value_type(node) == G_TYPE_STRING ? json_node_get_string(node) : NULL;
    check(g_strcmp0(kept, expected) == 0);
    check(kept == NULL || g_utf8_validate(kept, -1, NULL));
}

/* A kept time: json-glib's string as vmc_log_parse_time() reads it, else -1. */
static void
same_time(JsonObject *object, const char *name, gint64 kept)
{
    JsonNode *node = member(object, name);
    gint64 expected =
        value_type(node) == G_TYPE_STRING ? vmc_log_parse_time(json_node_get_string(node)) : -1;
    check(kept == expected);
}

/* A kept count: json-glib's integer when it is 0..10^18-1, else -1. */
static void
same_count(JsonObject *object, const char *name, gint64 kept)
{
    JsonNode *node = member(object, name);
    gint64 expected = -1;
    if (value_type(node) == G_TYPE_INT64 && json_node_get_int(node) >= 0 &&
        json_node_get_int(node) <= COUNT_MAX)
        expected = json_node_get_int(node);
    check(kept == expected);
}

/* A kept rate: json-glib's number (integer or not), else NAN. */
static void
same_rate(JsonObject *object, const char *name, double kept)
{
    JsonNode *node = member(object, name);
    GType type = value_type(node);
    if (type != G_TYPE_INT64 && type != G_TYPE_DOUBLE) {
        check(isnan(kept));
        return;
    }
    double expected = type == G_TYPE_INT64 ? (double)json_node_get_int(node)
                                           : json_node_get_double(node);
    check(kept == expected || (isnan(kept) && isnan(expected)) ||
          fabs(kept - expected) <= 1e-12 * fabs(expected));
}

static JsonObject *
object_member(JsonObject *object, const char *name)
{
    JsonNode *node = member(object, name);
    return node != NULL && JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
}

static void
same_streams(JsonObject *object, const VmcLogEntry *e)
{
    JsonObject *streams = object_member(object, VMC_RECORD_STREAMS);
    JsonObject *x11 = object_member(streams, VMC_RECORD_STREAM_X11);
    JsonObject *audio = object_member(streams, VMC_RECORD_STREAM_AUDIO);
    same_count(x11, VMC_RECORD_TO_LAPTOP, e->x11_stream.to_laptop);
    same_count(x11, VMC_RECORD_FROM_LAPTOP, e->x11_stream.from_laptop);
    same_count(audio, VMC_RECORD_TO_LAPTOP, e->audio_stream.to_laptop);
    same_count(audio, VMC_RECORD_FROM_LAPTOP, e->audio_stream.from_laptop);
}

static void
same_members(JsonObject *object, const VmcLogEntry *e)
{
    static const char *const events[] = {"start", "end", "denied", VMC_RECORD_DENIED_SUMMARY};
    check((guint)e->event < G_N_ELEMENTS(events));
    same_string(object, "event", events[e->event]);
    const struct {
        const char *name, *kept;
    } strings[] = {
        {"session", e->session},         {"identity", e->identity}, {"account", e->account},
        {"key", e->key},                 {"client", e->client},     {"vm", e->vm},
        {"reason", e->reason},           {"audio", e->audio},       {"takeover_of", e->takeover_of},
        {"taken_over_by", e->taken_over_by}, {VMC_RECORD_SANDBOX, e->sandbox},
    };
    for (guint i = 0; i < G_N_ELEMENTS(strings); i++)
        same_string(object, strings[i].name, strings[i].kept);
    same_time(object, "time", e->time_us);
    same_time(object, "start", e->start_us);
    same_time(object, "rate_peak_time", e->rate_peak_time_us);
    same_time(object, VMC_RECORD_FIRST, e->first_us);
    same_count(object, "v", 1);
    same_count(object, "duration_s", e->duration_s);
    same_count(object, "bytes_total", e->bytes_total);
    same_count(object, "viewer_exit", e->viewer_exit);
    same_count(object, "exit", e->exit_code);
    same_count(object, VMC_RECORD_SUPPRESSED, e->suppressed);
    same_rate(object, "rate_mean", e->rate_mean);
    same_rate(object, "rate_peak", e->rate_peak);
    same_streams(object, e);
}

static gboolean
check_line(const char *line, gsize length, GString *scratch)
{
    VmcLogEntry entry;
    gboolean good = vmc_log_entry_parse(line, length, scratch, &entry);
    g_autoptr(JsonObject) object = vmc_log_parse_object(line, length, DEPTH_MAX);
    if (!good)
        return FALSE;
    /* a good line is one json-glib reads without a repeat: no other reading */
    check(entry.time_us >= 0 && entry.line == line && entry.line_length == length);
    check(object != NULL);
    same_members(object, &entry);
    return TRUE;
}

static void
check_stream(const uint8_t *data, size_t size, const GArray *states)
{
    int fd = memfd_create("log", MFD_CLOEXEC);
    check(fd >= 0 && write(fd, data, size) == (ssize_t)size && lseek(fd, 0, SEEK_SET) == 0);
    g_autoptr(VmcLogReader) reader = vmc_log_reader_new_for_fd(fd);
    const VmcLogEntry *entry;
    guint64 good = 0, last = 0, expected_good = 0, expected_damaged = 0;
    while ((entry = vmc_log_reader_next(reader, NULL)) != NULL) {
        check(entry->line_number > last && entry->line_number <= states->len);
        check(g_array_index(states, guint8, entry->line_number - 1) == LINE_GOOD);
        last = entry->line_number;
        good++;
    }
    for (guint i = 0; i < states->len; i++) {
        guint8 state = g_array_index(states, guint8, i);
        expected_good += state == LINE_GOOD;
        expected_damaged += state == LINE_DAMAGED;
    }
    check(good == expected_good && vmc_log_reader_get_n_damaged(reader) == expected_damaged);
    close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GString) scratch = g_string_new(NULL);
    g_autoptr(GArray) states = g_array_new(FALSE, FALSE, sizeof(guint8));
    const char *text = (const char *)data;
    size_t start = 0;
    while (start < size) {
        const char *newline = memchr(text + start, '\n', size - start);
        size_t end = newline != NULL ? (size_t)(newline - text) : size;
        gsize length = end - start;
        gboolean good = check_line(text + start, length, scratch);
        /* the reader: a line without its '\n' (truncated) or too long is damaged */
        guint8 state = length == 0 ? LINE_EMPTY
                       : good && newline != NULL && length + 1 <= VMC_RECORD_MAX_LINE
                           ? LINE_GOOD
                           : LINE_DAMAGED;
        g_array_append_val(states, state);
        start = end + 1;
    }
    check_stream(data, size, states);
    return 0;
}
