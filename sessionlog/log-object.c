/* log-object.c — a log line parsed by json-glib for the readers that need
 * the whole record (show, plot), refused where the strict scanner
 * (log-entry.c) calls the line damaged for its shape: a repeated member name
 * (json-glib silently keeps the last), U+0000 in a string (json-glib cuts the
 * string there), nesting json-glib would recurse through. Pure. */
#include "vmc-sessionlog.h"

#include <string.h>

/* FALSE when brackets outside strings nest deeper than max (json-glib's
 * parser recurses: a line of 200 000 '[' must not reach it), or when a
 * string holds the escape \u0000. */
static gboolean
line_is_plain(const char *line, gsize length, guint max)
{
    guint depth = 0;
    gboolean in_string = FALSE;
    for (gsize i = 0; i < length; i++) {
        char c = line[i];
        if (in_string) {
            if (c == '\\') {
                if (i + 5 < length && line[i + 1] == 'u' && memcmp(line + i + 2, "0000", 4) == 0)
                    return FALSE;
                i++;
            } else if (c == '"') {
                in_string = FALSE;
            }
        } else if (c == '"') {
            in_string = TRUE;
        } else if (c == '[' || c == '{') {
            if (++depth > max)
                return FALSE;
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return TRUE;
}

/* Members parsed per open object (innermost last): json-glib replaces a
 * repeated member, so an object that ends with fewer members than were
 * parsed into it had a repeat. */
typedef struct {
    GArray *counts; /* of guint */
    gboolean repeated;
} MemberCount;

static void
on_object_start(JsonParser *parser, gpointer data)
{
    MemberCount *count = data;
    guint zero = 0;
    g_array_append_val(count->counts, zero);
}

static void
on_object_member(JsonParser *parser, JsonObject *object, const char *name, gpointer data)
{
    MemberCount *count = data;
    if (count->counts->len > 0)
        g_array_index(count->counts, guint, count->counts->len - 1)++;
}

static void
on_object_end(JsonParser *parser, JsonObject *object, gpointer data)
{
    MemberCount *count = data;
    if (count->counts->len == 0)
        return;
    guint parsed = g_array_index(count->counts, guint, count->counts->len - 1);
    g_array_set_size(count->counts, count->counts->len - 1);
    if (parsed != json_object_get_size(object))
        count->repeated = TRUE;
}

JsonObject *
vmc_log_parse_object(const char *line, gsize length, guint max_depth)
{
    g_return_val_if_fail(line != NULL || length == 0, NULL);
    if (length > G_MAXSSIZE || !line_is_plain(line, length, max_depth))
        return NULL;
    g_autoptr(JsonParser) parser = json_parser_new_immutable();
    g_autoptr(GArray) counts = g_array_new(FALSE, FALSE, sizeof(guint));
    MemberCount count = {counts, FALSE};
    g_signal_connect(parser, "object-start", G_CALLBACK(on_object_start), &count);
    g_signal_connect(parser, "object-member", G_CALLBACK(on_object_member), &count);
    g_signal_connect(parser, "object-end", G_CALLBACK(on_object_end), &count);
    if (!json_parser_load_from_data(parser, line, (gssize)length, NULL) || count.repeated)
        return NULL;
    JsonNode *root = json_parser_get_root(parser);
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
        return NULL;
    return json_object_ref(json_node_get_object(root));
}
