/* record.c — the session record: a JSON object built from sanitized values and
 * turned into one bounded line of JSON, or into a short human summary. */
#include "vmc-sessionlog.h"
#include "record-priv.h"

#include "vmc-common.h"

#include <math.h>
#include <string.h>

struct _VmcRecord {
    JsonNode *root; /* always an object node */
};

/* Members kept when a record is too long even without its "series". */
static const char *const truncated_keep[] = {"v",       "event",    "time", "host",
                                             "session", "identity", "vm"};

/* Members shown by vmc_record_summary(), in this order. */
static const char *const summary_keys[] = {
    "session", "identity", "account",    "vm",          "client",
    "reason",  "exit",     "duration_s", "bytes_total", "suppressed",
};

char *
vmc_record_format_time(GDateTime *time)
{
    g_return_val_if_fail(time != NULL, NULL);

    g_autoptr(GDateTime) utc = g_date_time_to_utc(time);
    g_autofree char *seconds = g_date_time_format(utc, "%Y-%m-%dT%H:%M:%S");
    return g_strdup_printf("%s.%03dZ", seconds, g_date_time_get_microsecond(utc) / 1000);
}

VmcRecord *
vmc_record_new(const char *event)
{
    g_return_val_if_fail(event != NULL, NULL);

    VmcRecord *record = g_new0(VmcRecord, 1);
    record->root = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(record->root, json_object_new());

    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *time = vmc_record_format_time(now);
    vmc_record_set_int(record, "v", VMC_RECORD_VERSION);
    vmc_record_set_string(record, "event", event);
    vmc_record_set_string(record, "time", time);
    vmc_record_set_string(record, "host", vmc_record_host_name());
    return record;
}

const char *
vmc_record_host_name(void)
{
    return g_get_host_name();
}

JsonObject *
vmc_record_get_object(const VmcRecord *record)
{
    g_return_val_if_fail(record != NULL, NULL);
    return json_node_get_object(record->root);
}

/* The one place members are set: checks the arguments, takes node. */
static void
set_member(VmcRecord *record, const char *key, JsonNode *node)
{
    g_autoptr(JsonNode) owned = node;
    g_return_if_fail(record != NULL);
    g_return_if_fail(key != NULL && g_utf8_validate(key, -1, NULL));
    json_object_set_member(json_node_get_object(record->root), key, g_steal_pointer(&owned));
}

void
vmc_record_set_string(VmcRecord *record, const char *key, const char *value)
{
    if (value == NULL)
        return;
    g_autofree char *safe = vmc_text_to_utf8(value, -1, VMC_RECORD_MAX_STRING);
    set_member(record, key, json_node_init_string(json_node_alloc(), safe));
}

void
vmc_record_set_int(VmcRecord *record, const char *key, gint64 value)
{
    set_member(record, key, json_node_init_int(json_node_alloc(), value));
}

void
vmc_record_set_double(VmcRecord *record, const char *key, double value)
{
    /* json-glib would print "nan" or "inf.0", which is not JSON. */
    JsonNode *node = json_node_alloc();
    if (isfinite(value))
        json_node_init_double(node, value);
    else
        json_node_init_null(node);
    set_member(record, key, node);
}

void
vmc_record_set_bool(VmcRecord *record, const char *key, gboolean value)
{
    set_member(record, key, json_node_init_boolean(json_node_alloc(), value));
}

/* A deep copy of a node built elsewhere with the record's rules applied:
 * strings made valid UTF-8 and capped, non-finite numbers as null. A copy,
 * because the caller's nodes may be shared or sealed. */
static JsonNode *
sanitized_copy(JsonNode *node)
{
    switch (json_node_get_node_type(node)) {
    case JSON_NODE_OBJECT: {
        JsonObject *copy = json_object_new();
        JsonObjectIter iter;
        const char *name;
        JsonNode *member;
        json_object_iter_init(&iter, json_node_get_object(node));
        while (json_object_iter_next(&iter, &name, &member)) {
            g_autofree char *safe_name = vmc_text_to_utf8(name, -1, VMC_RECORD_MAX_STRING);
            json_object_set_member(copy, safe_name, sanitized_copy(member));
        }
        JsonNode *object_copy = json_node_new(JSON_NODE_OBJECT);
        json_node_take_object(object_copy, copy);
        return object_copy;
    }
    case JSON_NODE_ARRAY: {
        JsonArray *array = json_node_get_array(node);
        JsonArray *copy = json_array_sized_new(json_array_get_length(array));
        for (guint i = 0; i < json_array_get_length(array); i++)
            json_array_add_element(copy, sanitized_copy(json_array_get_element(array, i)));
        JsonNode *array_copy = json_node_new(JSON_NODE_ARRAY);
        json_node_take_array(array_copy, copy);
        return array_copy;
    }
    case JSON_NODE_VALUE:
        if (json_node_get_value_type(node) == G_TYPE_STRING) {
            const char *s = json_node_get_string(node);
            if (s == NULL)
                break;
            g_autofree char *safe = vmc_text_to_utf8(s, -1, VMC_RECORD_MAX_STRING);
            return json_node_init_string(json_node_alloc(), safe);
        }
        if (json_node_get_value_type(node) == G_TYPE_DOUBLE &&
            !isfinite(json_node_get_double(node)))
            return json_node_init_null(json_node_alloc());
        return json_node_copy(node);
    case JSON_NODE_NULL:
        break;
    }
    return json_node_init_null(json_node_alloc());
}

void
vmc_record_take_node(VmcRecord *record, const char *key, JsonNode *node)
{
    g_return_if_fail(node != NULL);

    set_member(record, key, sanitized_copy(node));
    json_node_unref(node);
}

/* A number token at json[i] (outside strings): copied, and json-glib 1.6's
 * "1e+40.0" (it appends ".0" to every double it printed without a '.',
 * exponent forms too: not JSON) written "1e+40". Returns the token's end. */
static gsize
copy_number(GString *out, const char *json, gsize len, gsize i)
{
    gsize end = i;
    while (end < len && strchr("+-.0123456789eE", json[end]) != NULL)
        end++;
    gsize n = end - i;
    const char *exponent =
        memchr(json + i, 'e', n) ? memchr(json + i, 'e', n) : memchr(json + i, 'E', n);
    if (exponent != NULL && n >= 2 && json[end - 2] == '.' && json[end - 1] == '0' &&
        memchr(json + i, '.', n - 2) == NULL)
        n -= 2;
    g_string_append_len(out, json + i, (gssize)n);
    return end;
}

GString *
vmc_json_text_finish(const char *json, gsize len)
{
    g_return_val_if_fail(json != NULL || len == 0, NULL);
    GString *out = g_string_sized_new(len + 2);
    const guchar *p = (const guchar *)json;
    gboolean in_string = FALSE;
    for (gsize i = 0; i < len; i++) {
        if (!in_string && (p[i] == '-' || g_ascii_isdigit(p[i]))) {
            i = copy_number(out, json, len, i) - 1;
        } else if (in_string && (p[i] < 0x20 || p[i] == 0x7f)) {
            /* json-glib 1.6 leaves U+001F raw: not JSON, and a terminal's */
            g_string_append_printf(out, "\\u%04x", p[i]);
        } else if (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f) {
            /* C1 controls (U+0080..U+009F) can drive a terminal that cats the log */
            g_string_append_printf(out, "\\u%04x", p[i + 1]);
            i += 1;
        } else if (p[i] == 0xe2 && i + 2 < len && p[i + 1] == 0x80 &&
                   (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
            /* U+2028/U+2029 end a line for JavaScript and some editors */
            g_string_append_printf(out, "\\u%04x", p[i + 2] == 0xa8 ? 0x2028u : 0x2029u);
            i += 2;
        } else {
            if (in_string && p[i] == '\\' && i + 1 < len)
                g_string_append_c(out, (char)p[i++]);
            else if (p[i] == '"')
                in_string = !in_string;
            g_string_append_c(out, (char)p[i]);
        }
    }
    return out;
}

/* object as one line of JSON ending in '\n', or NULL if json-glib produced a
 * control byte (it must not: that would be a bug here or there). */
static GString *
generate_line(JsonObject *object)
{
    g_autoptr(JsonNode) root = json_node_init_object(json_node_alloc(), object);
    g_autoptr(JsonGenerator) generator = json_generator_new();
    gsize len = 0;

    json_generator_set_pretty(generator, FALSE);
    json_generator_set_root(generator, root);
    g_autofree char *json = json_generator_to_data(generator, &len);

    GString *line = vmc_json_text_finish(json, len);
    for (gsize i = 0; i < line->len; i++) {
        if ((guchar)line->str[i] < 0x20 || line->str[i] == 0x7f) {
            g_string_free(line, TRUE);
            g_return_val_if_reached(NULL);
        }
    }
    g_string_append_c(line, '\n');
    return line;
}

/* A shallow copy of object without the member drop. */
static JsonObject *
object_without(JsonObject *object, const char *drop)
{
    JsonObject *copy = json_object_new();
    JsonObjectIter iter;
    const char *name;
    JsonNode *member;

    json_object_iter_init(&iter, object);
    while (json_object_iter_next(&iter, &name, &member)) {
        if (strcmp(name, drop) != 0)
            json_object_set_member(copy, name, json_node_copy(member));
    }
    return copy;
}

/* The identifying members of object (scalars only, sanitized again so the
 * result is bounded whatever the caller did) plus "truncated": true. */
static JsonObject *
object_truncated(JsonObject *object)
{
    JsonObject *copy = json_object_new();

    for (gsize i = 0; i < G_N_ELEMENTS(truncated_keep); i++) {
        JsonNode *member = json_object_get_member(object, truncated_keep[i]);
        if (member != NULL && JSON_NODE_HOLDS_VALUE(member))
            json_object_set_member(copy, truncated_keep[i], sanitized_copy(member));
    }
    json_object_set_boolean_member(copy, "truncated", TRUE);
    return copy;
}

char *
vmc_record_to_line(const VmcRecord *record, gsize *ret_length)
{
    g_return_val_if_fail(record != NULL, NULL);

    JsonObject *object = vmc_record_get_object(record);
    g_autoptr(GString) line = generate_line(object);

    if (line != NULL && line->len > VMC_RECORD_MAX_LINE &&
        json_object_has_member(object, "series")) {
        g_autoptr(JsonObject) rest = object_without(object, "series");
        g_string_free(line, TRUE);
        line = generate_line(rest);
    }
    if (line != NULL && line->len > VMC_RECORD_MAX_LINE) {
        g_autoptr(JsonObject) rest = object_truncated(object);
        g_string_free(line, TRUE);
        line = generate_line(rest);
    }
    if (line == NULL)
        return NULL;
    g_return_val_if_fail(line->len <= VMC_RECORD_MAX_LINE, NULL);

    if (ret_length != NULL)
        *ret_length = line->len;
    return g_string_free(g_steal_pointer(&line), FALSE);
}

/* One value for the summary: escaped, capped, in quotes when it has a space or
 * a quote or is empty (quotes inside escaped as \", unambiguous because
 * vmc_text_escape() doubled every backslash). NULL for non-scalars. */
static char *
summary_value(JsonNode *node)
{
    if (node == NULL || !JSON_NODE_HOLDS_VALUE(node))
        return NULL;

    GType type = json_node_get_value_type(node);
    if (type == G_TYPE_INT64)
        return g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(node));
    if (type == G_TYPE_BOOLEAN)
        return g_strdup(json_node_get_boolean(node) ? "true" : "false");
    if (type == G_TYPE_DOUBLE) {
        char buf[G_ASCII_DTOSTR_BUF_SIZE];
        return g_strdup(g_ascii_formatd(buf, sizeof(buf), "%.3f", json_node_get_double(node)));
    }
    if (type != G_TYPE_STRING || json_node_get_string(node) == NULL)
        return NULL;

    g_autofree char *escaped =
        vmc_text_escape(json_node_get_string(node), -1, VMC_RECORD_SUMMARY_VALUE_MAX);
    if (escaped[0] != '\0' && strpbrk(escaped, " \"") == NULL)
        return g_steal_pointer(&escaped);

    GString *quoted = g_string_new("\"");
    for (const char *c = escaped; *c != '\0'; c++) {
        if (*c == '"')
            g_string_append_c(quoted, '\\');
        g_string_append_c(quoted, *c);
    }
    g_string_append_c(quoted, '"');
    return g_string_free(quoted, FALSE);
}

char *
vmc_record_summary(const VmcRecord *record)
{
    g_return_val_if_fail(record != NULL, NULL);

    JsonObject *object = vmc_record_get_object(record);
    g_autofree char *event = summary_value(json_object_get_member(object, "event"));
    GString *out = g_string_new(event != NULL ? event : "record");

    for (gsize i = 0; i < G_N_ELEMENTS(summary_keys); i++) {
        g_autofree char *value = summary_value(json_object_get_member(object, summary_keys[i]));
        if (value == NULL)
            continue;
        g_autofree char *field = g_strdup_printf(" %s=%s", summary_keys[i], value);
        /* Whole fields only; leave room for the " ..." that says some are missing. */
        if (out->len + strlen(field) > VMC_RECORD_MAX_SUMMARY - 4) {
            g_string_append(out, " ...");
            break;
        }
        g_string_append(out, field);
    }
    return g_string_free(out, FALSE);
}

void
vmc_record_free(VmcRecord *record)
{
    if (record == NULL)
        return;
    json_node_unref(record->root);
    g_free(record);
}
