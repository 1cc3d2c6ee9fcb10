/* record-schema.c — the records' schema: the member names, one table of
 * fields per struct (made from the X-macro lists of vmc-sessionlog.h, so a
 * struct and its table cannot differ), the events, and what a typed record
 * owns. The writer (record-encode.c) and the reader (record-decode.c) walk
 * these tables; nothing else names a member. */
#include "record-priv.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#define VMC_RECORD_NAME_TEXT_(name) .name = #name,
const VmcRecordNames vmc_record_names = {VMC_RECORD_NAMES(VMC_RECORD_NAME_TEXT_)};

static const char *const event_names[VMC_LOG_N_EVENTS] = {
    [VMC_LOG_EVENT_START] = "start",
    [VMC_LOG_EVENT_END] = "end",
    [VMC_LOG_EVENT_DENIED] = "denied",
    [VMC_LOG_EVENT_DENIED_SUMMARY] = "denied-summary",
};

const char *
vmc_record_event_name(VmcLogEvent event)
{
    g_return_val_if_fail((guint)event < VMC_LOG_N_EVENTS, NULL);
    return event_names[event];
}

gboolean
vmc_record_event_from_name(const char *name, VmcLogEvent *ret_event)
{
    g_return_val_if_fail(ret_event != NULL, FALSE);
    for (guint i = 0; name != NULL && i < VMC_LOG_N_EVENTS; i++) {
        if (strcmp(name, event_names[i]) == 0) {
            *ret_event = (VmcLogEvent)i;
            return TRUE;
        }
    }
    return FALSE;
}

/* ---- the tables ---- */

/* A field of the struct STRUCT (defined around each table): its wire name
 * from vmc_record_names (none for INLINE), kind, place and sub-schema. */
#define WIRE_NAME_STRING(name) vmc_record_names.name
#define WIRE_NAME_TIME(name) vmc_record_names.name
#define WIRE_NAME_COUNT(name) vmc_record_names.name
#define WIRE_NAME_RATE(name) vmc_record_names.name
#define WIRE_NAME_FLAG(name) vmc_record_names.name
#define WIRE_NAME_STRINGS(name) vmc_record_names.name
#define WIRE_NAME_SAMPLES(name) vmc_record_names.name
#define WIRE_NAME_OBJECT(name) vmc_record_names.name
#define WIRE_NAME_INLINE(name) NULL
#define WIRE_NAME_NAMED(name) vmc_record_names.name
#define WIRE_NAME_NAMED_SAMPLES(name) vmc_record_names.name
#define WIRE_NAME_NAMED_COUNTS(name) vmc_record_names.name
#define SUB_STRING(sub) NULL
#define SUB_TIME(sub) NULL
#define SUB_COUNT(sub) NULL
#define SUB_RATE(sub) NULL
#define SUB_FLAG(sub) NULL
#define SUB_STRINGS(sub) NULL
#define SUB_SAMPLES(sub) NULL
#define SUB_OBJECT(sub) &schema_of_##sub
#define SUB_INLINE(sub) &schema_of_##sub
#define SUB_NAMED(sub) &schema_of_##sub
#define SUB_NAMED_SAMPLES(sub) NULL
#define SUB_NAMED_COUNTS(sub) NULL
#define FIELD(kind, name, sub)                                                                     \
    {WIRE_NAME_##kind(name), VMC_RECORD_KIND_##kind, offsetof(STRUCT, name), SUB_##kind(sub)},
#define SCHEMA(type, list)                                                                         \
    static const VmcRecordField fields_of_##type[] = {list(FIELD)};                                \
    static const VmcRecordSchema schema_of_##type = {#type, sizeof(type), fields_of_##type,        \
                                                     G_N_ELEMENTS(fields_of_##type)};

#define STRUCT VmcRecordWho
SCHEMA(VmcRecordWho, VMC_RECORD_WHO_FIELDS)
#undef STRUCT
#define STRUCT VmcRecordSound
SCHEMA(VmcRecordSound, VMC_RECORD_SOUND_FIELDS)
#undef STRUCT
#define STRUCT VmcRecordCertificate
SCHEMA(VmcRecordCertificate, VMC_RECORD_CERTIFICATE_FIELDS)
#undef STRUCT
#define STRUCT VmcRecordStart
SCHEMA(VmcRecordStart, VMC_RECORD_START_FIELDS)
#undef STRUCT
#define STRUCT VmcRecordChannel
SCHEMA(VmcRecordChannel, VMC_RECORD_CHANNEL_FIELDS)
#undef STRUCT
#define STRUCT VmcRecordStream
SCHEMA(VmcRecordStream, VMC_RECORD_STREAM_FIELDS)
#undef STRUCT
#define STRUCT VmcRecordSeries
SCHEMA(VmcRecordSeries, VMC_RECORD_SERIES_FIELDS)
#undef STRUCT
#define STRUCT VmcRecordAgent
SCHEMA(VmcRecordAgent, VMC_RECORD_AGENT_FIELDS)
#undef STRUCT
#define STRUCT VmcRecordEnd
SCHEMA(VmcRecordEnd, VMC_RECORD_END_FIELDS)
#undef STRUCT
#define STRUCT VmcRecordDenied
SCHEMA(VmcRecordDenied, VMC_RECORD_DENIED_FIELDS)
#undef STRUCT
#define STRUCT VmcRecordDeniedSummary
SCHEMA(VmcRecordDeniedSummary, VMC_RECORD_DENIED_SUMMARY_FIELDS)
#undef STRUCT

/* The named members' structs start with their name. */
G_STATIC_ASSERT(offsetof(VmcRecordChannel, name) == 0);
G_STATIC_ASSERT(offsetof(VmcRecordStream, name) == 0);
G_STATIC_ASSERT(offsetof(VmcRecordSamples, name) == 0);
G_STATIC_ASSERT(offsetof(VmcRecordCount, name) == 0);

static const VmcRecordSchema *const schemas[VMC_LOG_N_EVENTS] = {
    [VMC_LOG_EVENT_START] = &schema_of_VmcRecordStart,
    [VMC_LOG_EVENT_END] = &schema_of_VmcRecordEnd,
    [VMC_LOG_EVENT_DENIED] = &schema_of_VmcRecordDenied,
    [VMC_LOG_EVENT_DENIED_SUMMARY] = &schema_of_VmcRecordDeniedSummary,
};

const VmcRecordSchema *
vmc_record_schema(VmcLogEvent event)
{
    g_return_val_if_fail((guint)event < VMC_LOG_N_EVENTS, NULL);
    return schemas[event];
}

/* ---- what a typed record owns ---- */

void
vmc_record_struct_init(const VmcRecordSchema *schema, gpointer base)
{
    for (guint i = 0; i < schema->n_fields; i++) {
        const VmcRecordField *field = &schema->fields[i];
        gpointer at = G_STRUCT_MEMBER_P(base, field->offset);
        switch (field->kind) {
        case VMC_RECORD_KIND_TIME:
        case VMC_RECORD_KIND_COUNT:
            *(gint64 *)at = -1;
            break;
        case VMC_RECORD_KIND_RATE:
            *(double *)at = NAN;
            break;
        case VMC_RECORD_KIND_FLAG:
            *(VmcRecordFlag *)at = VMC_RECORD_FLAG_UNSET;
            break;
        case VMC_RECORD_KIND_OBJECT:
        case VMC_RECORD_KIND_INLINE:
            vmc_record_struct_init(field->sub, at);
            break;
        default: /* the pointers */
            *(gpointer *)at = NULL;
            break;
        }
    }
}

/* Each member of a NAMED* field, and the array. */
static void
free_named(GPtrArray *named, VmcRecordKind kind, const VmcRecordSchema *sub)
{
    for (guint i = 0; named != NULL && i < named->len; i++) {
        gpointer member = named->pdata[i];
        if (kind == VMC_RECORD_KIND_NAMED)
            vmc_record_struct_clear(sub, member);
        else if (kind == VMC_RECORD_KIND_NAMED_SAMPLES)
            g_clear_pointer(&((VmcRecordSamples *)member)->samples, g_array_unref);
        g_free(*(char **)member);
        g_free(member);
    }
    if (named != NULL)
        g_ptr_array_unref(named);
}

void
vmc_record_struct_clear(const VmcRecordSchema *schema, gpointer base)
{
    for (guint i = 0; i < schema->n_fields; i++) {
        const VmcRecordField *field = &schema->fields[i];
        gpointer at = G_STRUCT_MEMBER_P(base, field->offset);
        switch (field->kind) {
        case VMC_RECORD_KIND_STRING:
            g_free(*(char **)at);
            break;
        case VMC_RECORD_KIND_STRINGS:
            g_strfreev(*(char ***)at);
            break;
        case VMC_RECORD_KIND_SAMPLES:
            if (*(GArray **)at != NULL)
                g_array_unref(*(GArray **)at);
            break;
        case VMC_RECORD_KIND_OBJECT:
        case VMC_RECORD_KIND_INLINE:
            vmc_record_struct_clear(field->sub, at);
            break;
        case VMC_RECORD_KIND_NAMED:
        case VMC_RECORD_KIND_NAMED_SAMPLES:
        case VMC_RECORD_KIND_NAMED_COUNTS:
            free_named(*(GPtrArray **)at, field->kind, field->sub);
            break;
        default:
            break;
        }
    }
    vmc_record_struct_init(schema, base);
}

void
vmc_record_fields_init(VmcRecordFields *fields, VmcLogEvent event)
{
    g_return_if_fail(fields != NULL && (guint)event < VMC_LOG_N_EVENTS);
    fields->event = event;
    vmc_record_struct_init(schemas[event], &fields->start);
}

void
vmc_record_fields_clear(VmcRecordFields *fields)
{
    g_return_if_fail(fields != NULL && (guint)fields->event < VMC_LOG_N_EVENTS);
    vmc_record_struct_clear(schemas[fields->event], &fields->start);
}

/* ---- named members ---- */

GPtrArray *
vmc_record_named_new(void)
{
    return g_ptr_array_new();
}

gpointer
vmc_record_named_add(GPtrArray *named, const VmcRecordSchema *sub, gsize size, const char *name)
{
    g_return_val_if_fail(named != NULL && name != NULL, NULL);
    gpointer member = g_malloc0(size); /* pointers NULL, counts 0 */
    if (sub != NULL)
        vmc_record_struct_init(sub, member);
    *(char **)member = g_strdup(name);
    g_ptr_array_add(named, member);
    return member;
}

VmcRecordChannel *
vmc_record_channels_add(GPtrArray *channels, const char *name)
{
    return vmc_record_named_add(channels, &schema_of_VmcRecordChannel, sizeof(VmcRecordChannel),
                                name);
}

VmcRecordStream *
vmc_record_streams_add(GPtrArray *streams, const char *name)
{
    return vmc_record_named_add(streams, &schema_of_VmcRecordStream, sizeof(VmcRecordStream), name);
}

GArray *
vmc_record_samples_add(GPtrArray *named, const char *name)
{
    VmcRecordSamples *member = vmc_record_named_add(named, NULL, sizeof(VmcRecordSamples), name);
    g_return_val_if_fail(member != NULL, NULL);
    member->samples = g_array_new(FALSE, FALSE, sizeof(gint64));
    return member->samples;
}

void
vmc_record_counts_add(GPtrArray *counts, const char *name, gint64 count)
{
    VmcRecordCount *member = vmc_record_named_add(counts, NULL, sizeof(VmcRecordCount), name);
    if (member != NULL)
        member->count = count;
}

/* Every record starts with "time" and "host", at the same place in each
 * member of VmcRecordFields' union. */
G_STATIC_ASSERT(offsetof(VmcRecordStart, host) == offsetof(VmcRecordEnd, host));
G_STATIC_ASSERT(offsetof(VmcRecordStart, host) == offsetof(VmcRecordDenied, host));
G_STATIC_ASSERT(offsetof(VmcRecordStart, host) == offsetof(VmcRecordDeniedSummary, host));
