/* record-fill.h — typed records for the tests, by the schema: every field
 * set (so a field added to the schema is in every round trip at once),
 * compared field by field, and one field at a time made absent again; and
 * what the streaming scanner keeps of one (the tests and fuzz-log-reader). */
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

/* The fields of VmcLogEntry the scanner fills, as array initializers, and
 * their names for messages. */
#define RECORD_ENTRY_STRINGS(e)                                                                    \
    {                                                                                              \
        (e)->session, (e)->identity, (e)->account, (e)->key, (e)->client, (e)->vm, (e)->reason,    \
            (e)->audio, (e)->takeover_of, (e)->taken_over_by, (e)->sandbox, (e)->host              \
    }
#define RECORD_ENTRY_NUMBERS(e)                                                                    \
    {                                                                                              \
        (e)->time_us, (e)->start_us, (e)->duration_s, (e)->bytes_total, (e)->viewer_exit,          \
            (e)->exit_code, (e)->rate_peak_time_us, (e)->x11_stream.to_laptop,                     \
            (e)->x11_stream.from_laptop, (e)->audio_stream.to_laptop,                              \
            (e)->audio_stream.from_laptop, (e)->suppressed, (e)->first_us                          \
    }
#define RECORD_ENTRY_RATES(e)                                                                      \
    {                                                                                              \
        (e)->rate_mean, (e)->rate_peak                                                             \
    }
#define RECORD_ENTRY_N_STRINGS 12
#define RECORD_ENTRY_N_NUMBERS 13
extern const char *const record_entry_string_names[RECORD_ENTRY_N_STRINGS];
extern const char *const record_entry_number_names[RECORD_ENTRY_N_NUMBERS];

/* An entry with nothing kept (as the scanner starts each line). */
void record_entry_absent(VmcLogEntry *entry);

/* The entry the streaming scanner must make of fields' line: what it keeps
 * of the members fields' event has. */
void record_expected_entry(const VmcRecordFields *fields, VmcLogEntry *ret_entry);

G_END_DECLS
