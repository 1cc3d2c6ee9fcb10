/* record-priv.h — inside sessionlog: the record as a JSON object with
 * members set by name (record.c; only the schema's writer, record-encode.c,
 * names them — and the tests of the JSON machinery), and the schema's walks
 * over one struct, shared by the tables (record-schema.c), the writer and
 * the reader (record-decode.c). */
#pragma once

#include "vmc-sessionlog.h"

G_BEGIN_DECLS

/* A new record for event ("start", "end", "denied") with "v" and "time" (now,
 * RFC 3339 UTC with milliseconds) set. */
VmcRecord *vmc_record_new(const char *event);

/* Set fields. Strings are made valid UTF-8 (invalid bytes as "\xNN") and capped
 * at VMC_RECORD_MAX_STRING; a NULL value sets nothing. Setting a key twice
 * replaces the value. */
void vmc_record_set_string(VmcRecord *record, const char *key, const char *value);
void vmc_record_set_int(VmcRecord *record, const char *key, gint64 value);
void vmc_record_set_double(VmcRecord *record, const char *key, double value);
void vmc_record_set_bool(VmcRecord *record, const char *key, gboolean value);
/* (A NaN or infinite double is stored as null: JSON has no such numbers.) */
/* Takes ownership of node (an object or array built by the caller). */
/* A sanitized deep copy is stored: every string in it (member names too)
 * gets the rules above, non-finite doubles become null. Keys must be valid
 * UTF-8 (g_return). */
void vmc_record_take_node(VmcRecord *record, const char *key, JsonNode *node);

/* Every field of the struct at base (as schema describes it) absent; a
 * named member's name (before its fields) is left alone. */
void vmc_record_struct_init(const VmcRecordSchema *schema, gpointer base);

/* Free what the fields at base own, then every field absent. */
void vmc_record_struct_clear(const VmcRecordSchema *schema, gpointer base);

/* A new member called name at the end of a NAMED* field's array: size
 * bytes (a NAMED field's: sub->size), its fields absent (sub, when given). */
gpointer vmc_record_named_add(GPtrArray *named, const VmcRecordSchema *sub, gsize size,
                              const char *name);

G_END_DECLS
