/* record-fill.c — typed records for the tests, by the schema. */
#include "record-fill.h"

#include <math.h>
#include <string.h>

#define FILL_TIME_BASE G_GINT64_CONSTANT(1795946400000000) /* 2026-11-29T10:00:00Z */

static const char *const member_names[] = {VMC_RECORD_STREAM_X11, VMC_RECORD_STREAM_AUDIO};

static void fill_struct(const VmcRecordSchema *schema, gpointer base, guint *n);

/* A string with what JSON must escape, and UTF-8. */
static char *
fill_string(const char *name, guint n)
{
    return g_strdup_printf("%s-%u \"é\"\\\t", name, n);
}

static GArray *
fill_samples(guint n)
{
    GArray *samples = g_array_new(FALSE, FALSE, sizeof(gint64));
    for (gint64 i = 0; i < 3; i++) {
        gint64 value = n + i;
        g_array_append_val(samples, value);
    }
    return samples;
}

static GPtrArray *
fill_named(const VmcRecordField *field, guint *n)
{
    GPtrArray *named = vmc_record_named_new();
    for (guint i = 0; i < G_N_ELEMENTS(member_names); i++) {
        if (field->kind == VMC_RECORD_KIND_NAMED) {
            fill_struct(field->sub,
                        vmc_record_named_add(named, field->sub, field->sub->size, member_names[i]),
                        n);
        } else if (field->kind == VMC_RECORD_KIND_NAMED_SAMPLES) {
            g_autoptr(GArray) samples = fill_samples((*n)++);
            g_array_append_vals(vmc_record_samples_add(named, member_names[i]), samples->data,
                                samples->len);
        } else {
            vmc_record_counts_add(named, member_names[i], (*n)++);
        }
    }
    return named;
}

static void
fill_field(const VmcRecordField *field, gpointer at, guint *n)
{
    guint v = (*n)++;
    switch (field->kind) {
    case VMC_RECORD_KIND_STRING:
        *(char **)at = fill_string(field->name, v);
        break;
    case VMC_RECORD_KIND_TIME:
        *(gint64 *)at = FILL_TIME_BASE + (gint64)v * 1001000; /* whole ms */
        break;
    case VMC_RECORD_KIND_COUNT:
        *(gint64 *)at = v;
        break;
    case VMC_RECORD_KIND_RATE:
        *(double *)at = v + 0.25;
        break;
    case VMC_RECORD_KIND_FLAG:
        *(VmcRecordFlag *)at = v % 2 ? VMC_RECORD_FLAG_TRUE : VMC_RECORD_FLAG_FALSE;
        break;
    case VMC_RECORD_KIND_STRINGS: {
        char *strings[] = {fill_string(field->name, v), fill_string(field->name, v + 100), NULL};
        *(char ***)at = g_strdupv(strings);
        g_free(strings[0]);
        g_free(strings[1]);
        break;
    }
    case VMC_RECORD_KIND_SAMPLES:
        *(GArray **)at = fill_samples(v);
        break;
    case VMC_RECORD_KIND_OBJECT:
    case VMC_RECORD_KIND_INLINE:
        fill_struct(field->sub, at, n);
        break;
    case VMC_RECORD_KIND_NAMED:
    case VMC_RECORD_KIND_NAMED_SAMPLES:
    case VMC_RECORD_KIND_NAMED_COUNTS:
        *(GPtrArray **)at = fill_named(field, n);
        break;
    }
}

static void
fill_struct(const VmcRecordSchema *schema, gpointer base, guint *n)
{
    for (guint i = 0; i < schema->n_fields; i++)
        fill_field(&schema->fields[i], G_STRUCT_MEMBER_P(base, schema->fields[i].offset), n);
}

void
record_fill(VmcRecordFields *fields, VmcLogEvent event, guint salt)
{
    vmc_record_fields_init(fields, event);
    guint n = 1 + salt;
    fill_struct(vmc_record_schema(event), &fields->start, &n);
}

/* ---- walking two structs at once ---- */

static const char *
field_label(const VmcRecordField *field, const VmcRecordSchema *schema)
{
    return field->name != NULL ? field->name : schema->type_name;
}

static gboolean samples_equal(const GArray *a, const GArray *b);
static gboolean struct_equal(const VmcRecordSchema *schema, gconstpointer a, gconstpointer b,
                             GString *where);

static gboolean
strings_equal(char *const *a, char *const *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return g_strv_equal((const char *const *)a, (const char *const *)b);
}

static gboolean
samples_equal(const GArray *a, const GArray *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return a->len == b->len && memcmp(a->data, b->data, a->len * sizeof(gint64)) == 0;
}

static gboolean
named_equal(const VmcRecordField *field, const GPtrArray *a, const GPtrArray *b, GString *where)
{
    if (a == NULL || b == NULL || a->len != b->len)
        return a == b;
    for (guint i = 0; i < a->len; i++) {
        gconstpointer x = a->pdata[i], y = b->pdata[i];
        if (strcmp(*(char *const *)x, *(char *const *)y) != 0)
            return FALSE;
        g_string_append_printf(where, "%s.", *(char *const *)x);
        if (field->kind == VMC_RECORD_KIND_NAMED && !struct_equal(field->sub, x, y, where))
            return FALSE;
        if (field->kind == VMC_RECORD_KIND_NAMED_SAMPLES &&
            !samples_equal(((const VmcRecordSamples *)x)->samples,
                           ((const VmcRecordSamples *)y)->samples))
            return FALSE;
        if (field->kind == VMC_RECORD_KIND_NAMED_COUNTS &&
            ((const VmcRecordCount *)x)->count != ((const VmcRecordCount *)y)->count)
            return FALSE;
        g_string_truncate(where, where->len - strlen(*(char *const *)x) - 1);
    }
    return TRUE;
}

static gboolean
field_equal(const VmcRecordField *field, gconstpointer a, gconstpointer b, GString *where)
{
    switch (field->kind) {
    case VMC_RECORD_KIND_STRING:
        return g_strcmp0(*(char *const *)a, *(char *const *)b) == 0;
    case VMC_RECORD_KIND_TIME:
    case VMC_RECORD_KIND_COUNT:
        return *(const gint64 *)a == *(const gint64 *)b;
    case VMC_RECORD_KIND_RATE:
        return *(const double *)a == *(const double *)b ||
               (isnan(*(const double *)a) && isnan(*(const double *)b));
    case VMC_RECORD_KIND_FLAG:
        return *(const VmcRecordFlag *)a == *(const VmcRecordFlag *)b;
    case VMC_RECORD_KIND_STRINGS:
        return strings_equal(*(char **const *)a, *(char **const *)b);
    case VMC_RECORD_KIND_SAMPLES:
        return samples_equal(*(GArray *const *)a, *(GArray *const *)b);
    case VMC_RECORD_KIND_OBJECT:
    case VMC_RECORD_KIND_INLINE:
        return struct_equal(field->sub, a, b, where);
    default:
        return named_equal(field, *(GPtrArray *const *)a, *(GPtrArray *const *)b, where);
    }
}

static gboolean
struct_equal(const VmcRecordSchema *schema, gconstpointer a, gconstpointer b, GString *where)
{
    for (guint i = 0; i < schema->n_fields; i++) {
        const VmcRecordField *field = &schema->fields[i];
        gsize at = where->len;
        g_string_append_printf(where, "%s.", field_label(field, schema));
        if (!field_equal(field, G_STRUCT_MEMBER_P(a, field->offset),
                         G_STRUCT_MEMBER_P(b, field->offset), where))
            return FALSE;
        g_string_truncate(where, at);
    }
    return TRUE;
}

gboolean
record_equal(const VmcRecordFields *a, const VmcRecordFields *b, GString *where)
{
    g_string_truncate(where, 0);
    if (a->event != b->event) {
        g_string_append(where, "event");
        return FALSE;
    }
    return struct_equal(vmc_record_schema(a->event), &a->start, &b->start, where);
}

/* ---- every field set ---- */

static gboolean struct_all_set(const VmcRecordSchema *schema, gconstpointer base, GString *where);

static gboolean
field_set(const VmcRecordField *field, gconstpointer at, GString *where)
{
    switch (field->kind) {
    case VMC_RECORD_KIND_STRING:
    case VMC_RECORD_KIND_STRINGS:
    case VMC_RECORD_KIND_SAMPLES:
        return *(gconstpointer const *)at != NULL;
    case VMC_RECORD_KIND_TIME:
    case VMC_RECORD_KIND_COUNT:
        return *(const gint64 *)at >= 0;
    case VMC_RECORD_KIND_RATE:
        return !isnan(*(const double *)at);
    case VMC_RECORD_KIND_FLAG:
        return *(const VmcRecordFlag *)at != VMC_RECORD_FLAG_UNSET;
    case VMC_RECORD_KIND_OBJECT:
    case VMC_RECORD_KIND_INLINE:
        return struct_all_set(field->sub, at, where);
    default: {
        const GPtrArray *named = *(GPtrArray *const *)at;
        if (named == NULL || named->len == 0)
            return FALSE;
        for (guint i = 0; field->kind == VMC_RECORD_KIND_NAMED && i < named->len; i++)
            if (!struct_all_set(field->sub, named->pdata[i], where))
                return FALSE;
        return TRUE;
    }
    }
}

static gboolean
struct_all_set(const VmcRecordSchema *schema, gconstpointer base, GString *where)
{
    for (guint i = 0; i < schema->n_fields; i++) {
        const VmcRecordField *field = &schema->fields[i];
        gsize at = where->len;
        g_string_append_printf(where, "%s.", field_label(field, schema));
        if (!field_set(field, G_STRUCT_MEMBER_P(base, field->offset), where))
            return FALSE;
        g_string_truncate(where, at);
    }
    return TRUE;
}

gboolean
record_all_set(const VmcRecordFields *fields, GString *where)
{
    g_string_truncate(where, 0);
    return struct_all_set(vmc_record_schema(fields->event), &fields->start, where);
}

/* ---- one field made absent ---- */

typedef struct {
    guint target;
    guint seen;
    char *path;
} Blank;

/* Make field absent in each of bases (when it is the target); then look
 * into its own fields. */
static void blank_struct(const VmcRecordSchema *schema, GPtrArray *bases, const char *prefix,
                         Blank *blank);

static void
blank_field(const VmcRecordField *field, GPtrArray *bases, const char *prefix, Blank *blank)
{
    g_autoptr(GPtrArray) inner = g_ptr_array_new();
    for (guint i = 0; i < bases->len; i++)
        g_ptr_array_add(inner, G_STRUCT_MEMBER_P(bases->pdata[i], field->offset));
    if (field->kind == VMC_RECORD_KIND_INLINE) {
        blank_struct(field->sub, inner, prefix, blank);
        return;
    }
    g_autofree char *path = g_strdup_printf("%s%s", prefix, field->name);
    if (field->kind != VMC_RECORD_KIND_OBJECT && blank->seen++ == blank->target) {
        VmcRecordSchema one = {"", 0, field, 1}; /* this field alone, at offset in each base */
        for (guint i = 0; i < bases->len; i++)
            vmc_record_struct_clear(&one, bases->pdata[i]);
        blank->path = g_steal_pointer(&path);
        return;
    }
    if (field->kind == VMC_RECORD_KIND_OBJECT) {
        g_autofree char *below = g_strdup_printf("%s.", path);
        blank_struct(field->sub, inner, below, blank);
    } else if (field->kind == VMC_RECORD_KIND_NAMED) {
        g_autofree char *below = g_strdup_printf("%s.*.", path);
        g_autoptr(GPtrArray) members = g_ptr_array_new();
        for (guint i = 0; i < inner->len; i++) {
            GPtrArray *named = *(GPtrArray **)inner->pdata[i];
            for (guint m = 0; named != NULL && m < named->len; m++)
                g_ptr_array_add(members, named->pdata[m]);
        }
        blank_struct(field->sub, members, below, blank);
    }
}

static void
blank_struct(const VmcRecordSchema *schema, GPtrArray *bases, const char *prefix, Blank *blank)
{
    for (guint i = 0; i < schema->n_fields && blank->path == NULL; i++)
        blank_field(&schema->fields[i], bases, prefix, blank);
}

char *
record_blank(VmcRecordFields *fields, guint index)
{
    Blank blank = {index, 0, NULL};
    g_autoptr(GPtrArray) bases = g_ptr_array_new();
    g_ptr_array_add(bases, &fields->start);
    blank_struct(vmc_record_schema(fields->event), bases, "", &blank);
    return blank.path;
}

/* ---- what the streaming scanner keeps of a typed record ---- */

const char *const record_entry_string_names[RECORD_ENTRY_N_STRINGS] = {
    "session", "identity", "account",     "key",           "client",  "vm",
    "reason",  "audio",    "takeover_of", "taken_over_by", "sandbox", "host"};
const char *const record_entry_number_names[RECORD_ENTRY_N_NUMBERS] = {"time_us",
                                                                       "start_us",
                                                                       "duration_s",
                                                                       "bytes_total",
                                                                       "viewer_exit",
                                                                       "exit_code",
                                                                       "rate_peak_time_us",
                                                                       "x11_stream.to_laptop",
                                                                       "x11_stream.from_laptop",
                                                                       "audio_stream.to_laptop",
                                                                       "audio_stream.from_laptop",
                                                                       "suppressed",
                                                                       "first_us"};

static const VmcRecordStream *
stream_named(const GPtrArray *streams, const char *name)
{
    for (guint i = 0; streams != NULL && i < streams->len; i++) {
        const VmcRecordStream *stream = streams->pdata[i];
        if (strcmp(stream->name, name) == 0)
            return stream;
    }
    return NULL;
}

static VmcLogStreamBytes
stream_bytes(const GPtrArray *streams, const char *name)
{
    const VmcRecordStream *stream = stream_named(streams, name);
    return stream != NULL ? (VmcLogStreamBytes){stream->to_laptop, stream->from_laptop}
                          : (VmcLogStreamBytes){-1, -1};
}

void
record_entry_absent(VmcLogEntry *e)
{
    memset(e, 0, sizeof(*e));
    e->time_us = e->start_us = e->rate_peak_time_us = e->first_us = -1;
    e->duration_s = e->bytes_total = e->viewer_exit = e->exit_code = e->suppressed = -1;
    e->rate_mean = e->rate_peak = NAN;
    e->x11_stream = e->audio_stream = (VmcLogStreamBytes){-1, -1};
}

static void
expected_end(const VmcRecordEnd *end, VmcLogEntry *e)
{
    e->start_us = end->start;
    e->reason = end->reason;
    e->taken_over_by = end->taken_over_by;
    e->duration_s = end->duration_s;
    e->bytes_total = end->bytes_total;
    e->viewer_exit = end->viewer_exit;
    e->rate_mean = end->rate_mean;
    e->rate_peak = end->rate_peak;
    e->rate_peak_time_us = end->rate_peak_time;
    e->x11_stream = stream_bytes(end->streams, VMC_RECORD_STREAM_X11);
    e->audio_stream = stream_bytes(end->streams, VMC_RECORD_STREAM_AUDIO);
}

static void
expected_who(const VmcRecordWho *who, const VmcRecordSound *sound, VmcLogEntry *e)
{
    e->session = who->session;
    e->identity = who->identity;
    e->account = who->account;
    e->key = who->key;
    e->client = who->client;
    e->vm = who->vm;
    e->audio = sound->audio;
}

void
record_expected_entry(const VmcRecordFields *f, VmcLogEntry *e)
{
    record_entry_absent(e);
    e->event = f->event;
    e->host = f->start.host; /* every record's, at the same place */
    if (f->event == VMC_LOG_EVENT_START) {
        e->time_us = f->start.time;
        expected_who(&f->start.who, &f->start.sound, e);
        e->takeover_of = f->start.takeover_of;
        e->sandbox = f->start.sandbox;
    } else if (f->event == VMC_LOG_EVENT_END) {
        e->time_us = f->end.time;
        expected_who(&f->end.who, &f->end.sound, e);
        expected_end(&f->end, e);
    } else if (f->event == VMC_LOG_EVENT_DENIED) {
        const VmcRecordDenied *d = &f->denied;
        e->time_us = d->time;
        e->identity = d->identity;
        e->account = d->account;
        e->key = d->key;
        e->client = d->client;
        e->vm = d->vm;
        e->reason = d->reason;
        e->exit_code = d->exit;
    } else {
        const VmcRecordDeniedSummary *s = &f->denied_summary;
        e->time_us = s->time;
        e->identity = s->identity;
        e->account = s->account;
        e->client = s->client;
        e->suppressed = s->suppressed;
        e->first_us = s->first;
    }
}
