/* record-priv.h — inside sessionlog: the schema's walks over one struct,
 * shared by the tables (record-schema.c), the writer (record-encode.c) and
 * the reader (record-decode.c). */
#pragma once

#include "vmc-sessionlog.h"

G_BEGIN_DECLS

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
