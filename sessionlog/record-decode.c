/* record-decode.c — a log line read back as a typed record, by its schema:
 * the one reader of whole records (vmconsole-admin's show and plot; the
 * streaming scanner in log-entry.c keeps a few members of every line).
 * Pure. A member of another kind than its field's is absent; a member the
 * schema does not have is skipped (and named, for the tests that hold
 * writer and reader together). */
#include "record-priv.h"

#include <math.h>
#include <string.h>

static void read_fields(JsonObject *object, const VmcRecordSchema *schema, gpointer base);

static const char *
string_of(JsonNode *node)
{
    if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
        json_node_get_value_type(node) != G_TYPE_STRING)
        return NULL;
    return json_node_get_string(node);
}

/* A non-negative integer, else -1. */
static gint64
count_of(JsonNode *node)
{
    if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
        json_node_get_value_type(node) != G_TYPE_INT64 || json_node_get_int(node) < 0)
        return -1;
    return json_node_get_int(node);
}

/* A finite non-negative number, else NAN. */
static double
rate_of(JsonNode *node)
{
    if (node == NULL || !JSON_NODE_HOLDS_VALUE(node))
        return NAN;
    GType type = json_node_get_value_type(node);
    double value = type == G_TYPE_INT64    ? (double)json_node_get_int(node)
                   : type == G_TYPE_DOUBLE ? json_node_get_double(node)
                                           : NAN;
    return isfinite(value) && value >= 0 ? value : NAN;
}

static JsonObject *
object_of(JsonNode *node)
{
    return node != NULL && JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
}

/* The strings of an array (other elements skipped), or NULL. */
static char **
strings_of(JsonNode *node)
{
    if (node == NULL || !JSON_NODE_HOLDS_ARRAY(node))
        return NULL;
    JsonArray *array = json_node_get_array(node);
    g_autoptr(GStrvBuilder) strings = g_strv_builder_new();
    for (guint i = 0; i < json_array_get_length(array); i++) {
        const char *s = string_of(json_array_get_element(array, i));
        if (s != NULL)
            g_strv_builder_add(strings, s);
    }
    return g_strv_builder_end(strings);
}

/* An array of non-negative integers, or NULL (any other element). */
static GArray *
samples_of(JsonNode *node)
{
    if (node == NULL || !JSON_NODE_HOLDS_ARRAY(node))
        return NULL;
    JsonArray *array = json_node_get_array(node);
    guint n = json_array_get_length(array);
    g_autoptr(GArray) samples = g_array_sized_new(FALSE, FALSE, sizeof(gint64), n);
    for (guint i = 0; i < n; i++) {
        gint64 value = count_of(json_array_get_element(array, i));
        if (value < 0)
            return NULL;
        g_array_append_val(samples, value);
    }
    return g_steal_pointer(&samples);
}

/* The members of {name: value} whose value is of the field's kind, in order. */
static GPtrArray *
named_of(JsonNode *node, const VmcRecordField *field)
{
    JsonObject *object = object_of(node);
    if (object == NULL)
        return NULL;
    GPtrArray *named = vmc_record_named_new();
    g_autoptr(GList) names = json_object_get_members(object);
    for (GList *l = names; l != NULL; l = l->next) {
        JsonNode *value = json_object_get_member(object, l->data);
        if (field->kind == VMC_RECORD_KIND_NAMED && object_of(value) != NULL) {
            gpointer member = vmc_record_named_add(named, field->sub, field->sub->size, l->data);
            read_fields(object_of(value), field->sub, member);
        } else if (field->kind == VMC_RECORD_KIND_NAMED_SAMPLES) {
            g_autoptr(GArray) samples = samples_of(value);
            if (samples != NULL)
                g_array_append_vals(vmc_record_samples_add(named, l->data), samples->data,
                                    samples->len);
        } else if (field->kind == VMC_RECORD_KIND_NAMED_COUNTS && count_of(value) >= 0) {
            vmc_record_counts_add(named, l->data, count_of(value));
        }
    }
    return named;
}

static void
read_field(JsonObject *object, const VmcRecordField *field, gpointer at)
{
    JsonNode *node = field->name != NULL ? json_object_get_member(object, field->name) : NULL;
    const char *text = string_of(node);
    switch (field->kind) {
    case VMC_RECORD_KIND_STRING:
        *(char **)at = g_strdup(text);
        break;
    case VMC_RECORD_KIND_TIME:
        *(gint64 *)at = text != NULL ? vmc_log_parse_time(text) : -1;
        break;
    case VMC_RECORD_KIND_COUNT:
        *(gint64 *)at = count_of(node);
        break;
    case VMC_RECORD_KIND_RATE:
        *(double *)at = rate_of(node);
        break;
    case VMC_RECORD_KIND_FLAG:
        if (node != NULL && JSON_NODE_HOLDS_VALUE(node) &&
            json_node_get_value_type(node) == G_TYPE_BOOLEAN)
            *(VmcRecordFlag *)at =
                json_node_get_boolean(node) ? VMC_RECORD_FLAG_TRUE : VMC_RECORD_FLAG_FALSE;
        break;
    case VMC_RECORD_KIND_STRINGS:
        *(char ***)at = strings_of(node);
        break;
    case VMC_RECORD_KIND_SAMPLES:
        *(GArray **)at = samples_of(node);
        break;
    case VMC_RECORD_KIND_OBJECT:
        if (object_of(node) != NULL)
            read_fields(object_of(node), field->sub, at);
        break;
    case VMC_RECORD_KIND_INLINE:
        read_fields(object, field->sub, at);
        break;
    case VMC_RECORD_KIND_NAMED:
    case VMC_RECORD_KIND_NAMED_SAMPLES:
    case VMC_RECORD_KIND_NAMED_COUNTS:
        *(GPtrArray **)at = named_of(node, field);
        break;
    }
}

/* The struct at base (every field absent) from object. */
static void
read_fields(JsonObject *object, const VmcRecordSchema *schema, gpointer base)
{
    for (guint i = 0; i < schema->n_fields; i++)
        read_field(object, &schema->fields[i], G_STRUCT_MEMBER_P(base, schema->fields[i].offset));
}

/* The field called name (an INLINE's fields too), or NULL. */
static const VmcRecordField *
find_field(const VmcRecordSchema *schema, const char *name)
{
    for (guint i = 0; i < schema->n_fields; i++) {
        const VmcRecordField *field = &schema->fields[i];
        const VmcRecordField *found = field->kind == VMC_RECORD_KIND_INLINE
                                          ? find_field(field->sub, name)
                                          : (strcmp(field->name, name) == 0 ? field : NULL);
        if (found != NULL)
            return found;
    }
    return NULL;
}

static void note_unknown(JsonObject *object, const VmcRecordSchema *schema, const char *path,
                         GPtrArray *unknown);

/* The same for each member's object of a NAMED field ("channels.*."). */
static void
note_unknown_named(JsonObject *named, const VmcRecordSchema *sub, const char *path,
                   GPtrArray *unknown)
{
    g_autofree char *inner = g_strdup_printf("%s*.", path);
    g_autoptr(GList) names = json_object_get_members(named);
    for (GList *l = names; l != NULL; l = l->next) {
        JsonObject *value = object_of(json_object_get_member(named, l->data));
        if (value != NULL)
            note_unknown(value, sub, inner, unknown);
    }
}

/* "v" and "event": every record's, in no schema (the struct is the event's). */
static gboolean
is_header(const char *name)
{
    return strcmp(name, vmc_record_names.v) == 0 || strcmp(name, vmc_record_names.event) == 0;
}

/* The members of object (at path, "" or "series.") that schema does not
 * have, into unknown; nested objects the schema describes, too. */
static void
note_unknown(JsonObject *object, const VmcRecordSchema *schema, const char *path,
             GPtrArray *unknown)
{
    g_autoptr(GList) names = json_object_get_members(object);
    for (GList *l = names; l != NULL; l = l->next) {
        const VmcRecordField *field = find_field(schema, l->data);
        if (field == NULL && path[0] == '\0' && is_header(l->data))
            continue;
        JsonObject *value = object_of(json_object_get_member(object, l->data));
        g_autofree char *inner = g_strdup_printf("%s%s.", path, (const char *)l->data);
        if (field == NULL)
            g_ptr_array_add(unknown, g_strdup_printf("%s%s", path, (const char *)l->data));
        else if (field->kind == VMC_RECORD_KIND_OBJECT && value != NULL)
            note_unknown(value, field->sub, inner, unknown);
        else if (field->kind == VMC_RECORD_KIND_NAMED && value != NULL)
            note_unknown_named(value, field->sub, inner, unknown);
    }
}

gboolean
vmc_record_fields_parse(const char *line, gsize length, guint max_depth,
                        VmcRecordFields *ret_fields, GPtrArray *unknown)
{
    g_return_val_if_fail(ret_fields != NULL, FALSE);
    g_autoptr(JsonObject) object = vmc_log_parse_object(line, length, max_depth);
    VmcLogEvent event;
    if (object == NULL ||
        !vmc_record_event_from_name(
            string_of(json_object_get_member(object, vmc_record_names.event)), &event))
        return FALSE;
    vmc_record_fields_clear(ret_fields);
    vmc_record_fields_init(ret_fields, event);
    read_fields(object, vmc_record_schema(event), &ret_fields->start);
    if (unknown != NULL)
        note_unknown(object, vmc_record_schema(event), "", unknown);
    return TRUE;
}
