/* record-fill.h — typed records for the tests, by the schema: every field
 * set (so a field added to the schema is in every round trip at once),
 * compared field by field, and one field at a time made absent again. */
#pragma once

#include "record-priv.h"

G_BEGIN_DECLS

/* Every field of event's record set to a value of its own (salt varies
 * them); the named members are called VMC_RECORD_STREAM_X11 and _AUDIO. */
void record_fill(VmcRecordFields *fields, VmcLogEvent event, guint salt);

/* TRUE when every field of fields is set (the named members' too);
 * otherwise the first absent one's path goes into where. */
gboolean record_all_set(const VmcRecordFields *fields, GString *where);

/* TRUE when a and b hold the same; otherwise the first difference's path. */
gboolean record_equal(const VmcRecordFields *a, const VmcRecordFields *b, GString *where);

/* The index-th field of fields' schema, depth first ("channels",
 * "channels.*.to_vm" in every member, "series.step_s"; an INLINE's fields
 * by their own names), made absent; its path, or NULL past the last one. */
char *record_blank(VmcRecordFields *fields, guint index);

G_END_DECLS
