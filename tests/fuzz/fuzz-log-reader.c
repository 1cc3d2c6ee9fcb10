/* fuzz-log-reader.c — libFuzzer target for the session-log reader. The input
 * is a whole log: every line goes through the strict scanner, and the whole
 * through the streaming reader (a memfd), as it is and gzip'd.
 *
 * What the scanner accepts must be a JSON object that json-glib accepts too,
 * with no repeated member (vmc_log_parse_object(), what show and plot read),
 * and every member the scanner keeps must read the same in both: the event,
 * every string, every time, every count (the streams' too) and the rates. A
 * line json-glib parses but vmc_log_parse_object() refuses for a repeat must
 * be damaged for the scanner. The member names are the record schema's, and
 * the schema's typed reader (vmc_record_fields_parse(), which show and plot
 * read by) must read each member both keep as the scanner does. The reader
 * must see each non-empty line as exactly one good or damaged record — good
 * exactly where the scanner said so (and the line is complete and not too
 * long) — numbered as the lines are. */
#include <gio/gio.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log-priv.h"
#include "record-fill.h"

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
    double expected =
        type == G_TYPE_INT64 ? (double)json_node_get_int(node) : json_node_get_double(node);
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
    JsonObject *streams = object_member(object, vmc_record_names.streams);
    JsonObject *x11 = object_member(streams, VMC_RECORD_STREAM_X11);
    JsonObject *audio = object_member(streams, VMC_RECORD_STREAM_AUDIO);
    same_count(x11, vmc_record_names.to_laptop, e->x11_stream.to_laptop);
    same_count(x11, vmc_record_names.from_laptop, e->x11_stream.from_laptop);
    same_count(audio, vmc_record_names.to_laptop, e->audio_stream.to_laptop);
    same_count(audio, vmc_record_names.from_laptop, e->audio_stream.from_laptop);
}

static void
same_members(JsonObject *object, const VmcLogEntry *e)
{
    const VmcRecordNames *n = &vmc_record_names;
    check((guint)e->event < VMC_LOG_N_EVENTS);
    same_string(object, n->event, vmc_record_event_name(e->event));
    const struct {
        const char *name, *kept;
    } strings[] = {
        {n->session, e->session},         {n->identity, e->identity},
        {n->account, e->account},         {n->key, e->key},
        {n->client, e->client},           {n->vm, e->vm},
        {n->reason, e->reason},           {n->audio, e->audio},
        {n->takeover_of, e->takeover_of}, {n->taken_over_by, e->taken_over_by},
        {n->sandbox, e->sandbox},
    };
    for (guint i = 0; i < G_N_ELEMENTS(strings); i++)
        same_string(object, strings[i].name, strings[i].kept);
    same_time(object, n->time, e->time_us);
    same_time(object, n->start, e->start_us);
    same_time(object, n->rate_peak_time, e->rate_peak_time_us);
    same_time(object, n->first, e->first_us);
    same_count(object, n->v, 1);
    same_count(object, n->duration_s, e->duration_s);
    same_count(object, n->bytes_total, e->bytes_total);
    same_count(object, n->viewer_exit, e->viewer_exit);
    same_count(object, n->exit, e->exit_code);
    same_count(object, n->suppressed, e->suppressed);
    same_rate(object, n->rate_mean, e->rate_mean);
    same_rate(object, n->rate_peak, e->rate_peak);
    same_streams(object, e);
}

/* The typed reader (the record schema, which show and plot read by) reads
 * the line as the scanner does, for every member both keep: the scanner's
 * counts stop at 18 digits, and it keeps a rate the schema calls absent
 * (negative, not finite). */
static void
same_as_typed(const char *line, gsize length, const VmcLogEntry *e)
{
    g_auto(VmcRecordFields) typed = {0};
    check(vmc_record_fields_parse(line, length, DEPTH_MAX, &typed, NULL));
    VmcLogEntry want;
    record_expected_entry(&typed, &want);
    const char *const strings[] = RECORD_ENTRY_STRINGS(e);
    const char *const want_strings[] = RECORD_ENTRY_STRINGS(&want);
    for (guint i = 0; i < G_N_ELEMENTS(strings); i++)
        check(want_strings[i] == NULL || g_strcmp0(strings[i], want_strings[i]) == 0);
    const gint64 numbers[] = RECORD_ENTRY_NUMBERS(e);
    const gint64 want_numbers[] = RECORD_ENTRY_NUMBERS(&want);
    for (guint i = 0; i < G_N_ELEMENTS(numbers); i++)
        check(want_numbers[i] < 0 ||
              numbers[i] == (want_numbers[i] <= COUNT_MAX ? want_numbers[i] : -1));
    const double rates[] = RECORD_ENTRY_RATES(e), want_rates[] = RECORD_ENTRY_RATES(&want);
    for (guint i = 0; i < G_N_ELEMENTS(rates); i++)
        check(isnan(want_rates[i]) || rates[i] == want_rates[i] ||
              fabs(rates[i] - want_rates[i]) <= 1e-12 * want_rates[i]);
    check(typed.event == e->event);
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
    same_as_typed(line, length, &entry);
    return TRUE;
}

/* data as one gzip member. */
static GByteArray *
gzip_bytes(const uint8_t *data, size_t size)
{
    g_autoptr(GConverter) gz = G_CONVERTER(g_zlib_compressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP, 1));
    GByteArray *out = g_byte_array_new();
    guint8 buffer[65536];
    for (;;) {
        gsize used = 0, made = 0;
        GConverterResult r = g_converter_convert(gz, data, size, buffer, sizeof buffer,
                                                 G_CONVERTER_INPUT_AT_END, &used, &made, NULL);
        check(r != G_CONVERTER_ERROR);
        g_byte_array_append(out, buffer, (guint)made);
        data += used;
        size -= used;
        if (r == G_CONVERTER_FINISHED)
            return out;
    }
}

/* The streaming reader over data: the good lines (by number, ascending,
 * each LINE_GOOD in states when given), counted; the damaged count. */
static void
read_stream(const uint8_t *data, size_t size, const GArray *states, guint64 *ret_good,
            guint64 *ret_damaged)
{
    int fd = memfd_create("log", MFD_CLOEXEC);
    check(fd >= 0 && write(fd, data, size) == (ssize_t)size && lseek(fd, 0, SEEK_SET) == 0);
    g_autoptr(VmcLogReader) reader = vmc_log_reader_new_for_fd(fd);
    const VmcLogEntry *entry;
    guint64 good = 0, last = 0;
    while ((entry = vmc_log_reader_next(reader, NULL)) != NULL) {
        check(entry->line_number > last);
        if (states != NULL)
            check(entry->line_number <= states->len &&
                  g_array_index(states, guint8, entry->line_number - 1) == LINE_GOOD);
        last = entry->line_number;
        good++;
    }
    *ret_good = good;
    *ret_damaged = vmc_log_reader_get_n_damaged(reader);
    close(fd);
}

/* The reader over the input as it is and gzip'd gives what the lines say;
 * input that starts with gzip's magic is read as a (hostile) gzip'd log. */
static void
check_stream(const uint8_t *data, size_t size, const GArray *states)
{
    guint64 good = 0, damaged = 0, expected_good = 0, expected_damaged = 0;
    if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
        read_stream(data, size, NULL, &good, &damaged);
        return;
    }
    read_stream(data, size, states, &good, &damaged);
    for (guint i = 0; i < states->len; i++) {
        guint8 state = g_array_index(states, guint8, i);
        expected_good += state == LINE_GOOD;
        expected_damaged += state == LINE_DAMAGED;
    }
    check(good == expected_good && damaged == expected_damaged);
    g_autoptr(GByteArray) gz = gzip_bytes(data, size);
    read_stream(gz->data, gz->len, states, &good, &damaged);
    check(good == expected_good && damaged == expected_damaged);
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
