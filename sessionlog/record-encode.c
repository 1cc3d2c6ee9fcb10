/* record-encode.c — a typed record written as the JSON object of a record,
 * by its schema: the one writer of every record the gateway logs. Pure.
 *
 * Nested values are built as nodes and stored with vmc_record_take_node(),
 * which sanitizes them (strings, member names) as every record's are. */
#include "record-priv.h"

#include "vmc-common.h"

#include <math.h>

static JsonObject *object_of(const VmcRecordSchema *schema, gconstpointer base);

/* Nodes that take the array or object built for them (json_node_init_*
 * would add a reference). */
static JsonNode *
array_node(JsonArray *array)
{
    JsonNode *node = json_node_new(JSON_NODE_ARRAY);
    json_node_take_array(node, array);
    return node;
}

static JsonNode *
object_node(JsonObject *object)
{
    JsonNode *node = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(node, object);
    return node;
}

static JsonNode *
strings_node(char *const *strings)
{
    JsonArray *array = json_array_new();
    for (guint i = 0; strings[i] != NULL; i++)
        json_array_add_string_element(array, strings[i]);
    return array_node(array);
}

static JsonNode *
samples_node(const GArray *samples)
{
    JsonArray *array = json_array_sized_new(samples->len);
    for (guint i = 0; i < samples->len; i++)
        json_array_add_int_element(array, g_array_index(samples, gint64, i));
    return array_node(array);
}

/* {name: value} of a NAMED* field, in the order of its members. */
static JsonNode *
named_node(const GPtrArray *named, const VmcRecordField *field)
{
    JsonObject *object = json_object_new();
    for (guint i = 0; i < named->len; i++) {
        gconstpointer member = named->pdata[i];
        const char *name = *(char *const *)member;
        if (field->kind == VMC_RECORD_KIND_NAMED)
            json_object_set_object_member(object, name, object_of(field->sub, member));
        else if (field->kind == VMC_RECORD_KIND_NAMED_SAMPLES)
            json_object_set_member(object, name,
                                   samples_node(((const VmcRecordSamples *)member)->samples));
        else
            json_object_set_int_member(object, name, ((const VmcRecordCount *)member)->count);
    }
    return object_node(object);
}

/* A scalar field as a node; NULL when it is absent. */
static JsonNode *
scalar_node(const VmcRecordField *field, gconstpointer at)
{
    switch (field->kind) {
    case VMC_RECORD_KIND_STRING:
        if (*(char *const *)at == NULL)
            return NULL;
        return json_node_init_string(json_node_alloc(), *(char *const *)at);
    case VMC_RECORD_KIND_TIME: {
        if (*(const gint64 *)at < 0)
            return NULL;
        g_autofree char *time = vmc_format_time_us(*(const gint64 *)at);
        return json_node_init_string(json_node_alloc(), time);
    }
    case VMC_RECORD_KIND_COUNT:
        if (*(const gint64 *)at < 0)
            return NULL;
        return json_node_init_int(json_node_alloc(), *(const gint64 *)at);
    case VMC_RECORD_KIND_RATE:
        if (isnan(*(const double *)at))
            return NULL;
        if (!isfinite(*(const double *)at)) /* JSON has no such number */
            return json_node_init_null(json_node_alloc());
        return json_node_init_double(json_node_alloc(), *(const double *)at);
    case VMC_RECORD_KIND_FLAG:
        if (*(const VmcRecordFlag *)at == VMC_RECORD_FLAG_UNSET)
            return NULL;
        return json_node_init_boolean(json_node_alloc(),
                                      *(const VmcRecordFlag *)at == VMC_RECORD_FLAG_TRUE);
    default:
        g_return_val_if_reached(NULL);
    }
}

/* A field as a node; NULL when it is absent (INLINE: never called). */
static JsonNode *
field_node(const VmcRecordField *field, gconstpointer at)
{
    switch (field->kind) {
    case VMC_RECORD_KIND_STRINGS:
        return *(char **const *)at != NULL ? strings_node(*(char **const *)at) : NULL;
    case VMC_RECORD_KIND_SAMPLES:
        return *(GArray *const *)at != NULL ? samples_node(*(GArray *const *)at) : NULL;
    case VMC_RECORD_KIND_OBJECT: {
        JsonObject *object = object_of(field->sub, at);
        if (json_object_get_size(object) == 0) {
            json_object_unref(object);
            return NULL;
        }
        return object_node(object);
    }
    case VMC_RECORD_KIND_NAMED:
    case VMC_RECORD_KIND_NAMED_SAMPLES:
    case VMC_RECORD_KIND_NAMED_COUNTS:
        return *(GPtrArray *const *)at != NULL ? named_node(*(GPtrArray *const *)at, field) : NULL;
    default:
        return scalar_node(field, at);
    }
}

/* The fields of the struct at base that are set, into object (in order). */
static void
add_fields(JsonObject *object, const VmcRecordSchema *schema, gconstpointer base)
{
    for (guint i = 0; i < schema->n_fields; i++) {
        const VmcRecordField *field = &schema->fields[i];
        gconstpointer at = G_STRUCT_MEMBER_P(base, field->offset);
        if (field->kind == VMC_RECORD_KIND_INLINE) {
            add_fields(object, field->sub, at);
            continue;
        }
        JsonNode *node = field_node(field, at);
        if (node != NULL)
            json_object_set_member(object, field->name, node);
    }
}

static JsonObject *
object_of(const VmcRecordSchema *schema, gconstpointer base)
{
    JsonObject *object = json_object_new();
    add_fields(object, schema, base);
    return object;
}

VmcRecord *
vmc_record_new_from_fields(const VmcRecordFields *fields)
{
    g_return_val_if_fail(fields != NULL && (guint)fields->event < VMC_LOG_N_EVENTS, NULL);

    VmcRecord *record = vmc_record_new(vmc_record_event_name(fields->event));
    g_autoptr(JsonObject) members = object_of(vmc_record_schema(fields->event), &fields->start);
    JsonObjectIter iter;
    const char *name;
    JsonNode *node;
    json_object_iter_init_ordered(&iter, members);
    while (json_object_iter_next_ordered(&iter, &name, &node))
        vmc_record_take_node(record, name, json_node_ref(node));
    return record;
}
