/* record-journal.c — a record as an entry of systemd's journal, in its
 * native protocol (systemd.journal-fields(7), "Native Journal Protocol"):
 * one datagram of fields, each "KEY=value\n", or, for a value holding a
 * newline, "KEY\n", its length as 64-bit little endian, the value, "\n".
 * Pure: the bytes only; log-append.c sends them. */
#include "vmc-sessionlog.h"

#include <string.h>

/* One field, in the form its value needs. */
static void
add_field(GString *out, const char *key, const char *value)
{
    gsize length = strlen(value);
    if (memchr(value, '\n', length) == NULL) {
        g_string_append_printf(out, "%s=", key);
        g_string_append_len(out, value, (gssize)length);
        g_string_append_c(out, '\n');
        return;
    }
    g_string_append(out, key);
    g_string_append_c(out, '\n');
    guint64 le = GUINT64_TO_LE((guint64)length);
    g_string_append_len(out, (const char *)&le, sizeof le);
    g_string_append_len(out, value, (gssize)length);
    g_string_append_c(out, '\n');
}

/* The record's string member name as the field key, when it has one. */
static void
add_string_member(GString *out, JsonObject *object, const char *key, const char *member)
{
    JsonNode *node = json_object_get_member(object, member);
    if (node != NULL && JSON_NODE_HOLDS_VALUE(node) &&
        json_node_get_value_type(node) == G_TYPE_STRING)
        add_field(out, key, json_node_get_string(node));
}

GBytes *
vmc_journal_entry_new(const VmcRecord *record, int priority, const char *message)
{
    g_return_val_if_fail(record != NULL && message != NULL, NULL);
    g_return_val_if_fail(priority >= 0 && priority <= 7, NULL);

    JsonObject *object = vmc_record_get_object(record);
    const VmcRecordNames *n = &vmc_record_names;
    GString *out = g_string_sized_new(512);
    add_field(out, "MESSAGE", message);
    g_autofree char *level = g_strdup_printf("%d", priority);
    add_field(out, "PRIORITY", level);
    add_field(out, "SYSLOG_FACILITY", "10"); /* authpriv, as the syslog mirror */
    add_field(out, "SYSLOG_IDENTIFIER", VMC_JOURNAL_IDENTIFIER);
    add_string_member(out, object, "VMCONSOLE_EVENT", n->event);
    add_string_member(out, object, "VMCONSOLE_HOST", n->host);
    add_string_member(out, object, "VMCONSOLE_SESSION", n->session);
    add_string_member(out, object, "VMCONSOLE_IDENTITY", n->identity);
    add_string_member(out, object, "VMCONSOLE_VM", n->vm);
    add_string_member(out, object, "VMCONSOLE_REASON", n->reason);
    JsonNode *bytes = json_object_get_member(object, n->bytes_total);
    if (bytes != NULL && JSON_NODE_HOLDS_VALUE(bytes) &&
        json_node_get_value_type(bytes) == G_TYPE_INT64) {
        g_autofree char *text = g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(bytes));
        add_field(out, "VMCONSOLE_BYTES", text);
    }
    return g_string_free_to_bytes(out);
}
