/* access-matrix.c — the pure parts of `access`: name sets, the subjects an ACL
 * names, the rows of the matrix and their two outputs (table, JSON). */
#include "admin-priv.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "vmc-sessionlog.h"

/* ---- name sets ---- */

struct _VmcAdminNameSet {
    GHashTable *names; /* owned keys, no values */
};

VmcAdminNameSet *
vmc_admin_name_set_new(void)
{
    VmcAdminNameSet *set = g_new0(VmcAdminNameSet, 1);
    set->names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return set;
}

gboolean
vmc_admin_name_set_add(VmcAdminNameSet *set, const char *name)
{
    g_return_val_if_fail(set != NULL && name != NULL, FALSE);
    if (g_hash_table_contains(set->names, name))
        return FALSE;
    return g_hash_table_add(set->names, g_strdup(name));
}

void
vmc_admin_name_set_add_all(VmcAdminNameSet *set, const VmcAdminNameSet *other)
{
    g_return_if_fail(set != NULL && other != NULL);
    GHashTableIter iter;
    gpointer name;
    g_hash_table_iter_init(&iter, other->names);
    while (g_hash_table_iter_next(&iter, &name, NULL))
        vmc_admin_name_set_add(set, name);
}

gboolean
vmc_admin_name_set_contains(const VmcAdminNameSet *set, const char *name)
{
    g_return_val_if_fail(set != NULL && name != NULL, FALSE);
    return g_hash_table_contains(set->names, name);
}

guint
vmc_admin_name_set_size(const VmcAdminNameSet *set)
{
    g_return_val_if_fail(set != NULL, 0);
    return g_hash_table_size(set->names);
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

GPtrArray *
vmc_admin_name_set_to_sorted(const VmcAdminNameSet *set)
{
    g_return_val_if_fail(set != NULL, NULL);
    GPtrArray *sorted = g_ptr_array_new_full(g_hash_table_size(set->names), g_free);
    GHashTableIter iter;
    gpointer name;
    g_hash_table_iter_init(&iter, set->names);
    while (g_hash_table_iter_next(&iter, &name, NULL))
        g_ptr_array_add(sorted, g_strdup(name));
    g_ptr_array_sort(sorted, compare_names);
    return sorted;
}

void
vmc_admin_name_set_free(VmcAdminNameSet *set)
{
    if (set == NULL)
        return;
    g_hash_table_unref(set->names);
    g_free(set);
}

/* ---- rows ---- */

VmcAdminAccessRow *
vmc_admin_access_row_new(const char *vm, const char *identity, VmcAccessResult result,
                         const char *reason)
{
    g_return_val_if_fail(vm != NULL && reason != NULL, NULL);
    VmcAdminAccessRow *row = g_new0(VmcAdminAccessRow, 1);
    row->vm = g_strdup(vm);
    row->identity = g_strdup(identity);
    row->result = identity != NULL ? result : VMC_ACCESS_NO_VM;
    row->reason = g_strdup(reason);
    return row;
}

void
vmc_admin_access_row_free(VmcAdminAccessRow *row)
{
    if (row == NULL)
        return;
    g_free(row->vm);
    g_free(row->identity);
    g_free(row->reason);
    g_free(row);
}

const char *
vmc_admin_access_word(const VmcAdminAccessRow *row)
{
    g_return_val_if_fail(row != NULL, "-");
    switch (row->result) {
    case VMC_ACCESS_GRANTED:
        return "yes";
    case VMC_ACCESS_DENIED:
        return "no";
    case VMC_ACCESS_NO_VM:
        break;
    }
    return "-";
}

static gint
compare_rows(gconstpointer a, gconstpointer b)
{
    const VmcAdminAccessRow *x = *(const VmcAdminAccessRow *const *)a;
    const VmcAdminAccessRow *y = *(const VmcAdminAccessRow *const *)b;
    int by_vm = strcmp(x->vm, y->vm);
    if (by_vm != 0)
        return by_vm;
    if (x->identity == NULL || y->identity == NULL)
        return (x->identity != NULL) - (y->identity != NULL);
    return strcmp(x->identity, y->identity);
}

void
vmc_admin_access_rows_sort(GPtrArray *rows)
{
    g_return_if_fail(rows != NULL);
    g_ptr_array_sort(rows, compare_rows);
}

char *
vmc_admin_access_format_table(const GPtrArray *rows)
{
    g_return_val_if_fail(rows != NULL, NULL);
    static const char *const headers[] = {"VM", "IDENTITY", "ACCESS", "WHY"};
    g_autoptr(VmcAdminTable) table = vmc_admin_table_new(G_N_ELEMENTS(headers), headers);
    vmc_admin_table_set_cap(table, 3, VMC_ADMIN_REASON_MAX);

    for (guint i = 0; i < rows->len; i++) {
        const VmcAdminAccessRow *row = rows->pdata[i];
        const char *cells[] = {row->vm, row->identity, vmc_admin_access_word(row), row->reason};
        vmc_admin_table_add_row(table, cells);
    }
    return vmc_admin_table_format(table);
}

/* json-glib escapes C0 controls and DEL but passes C1 controls (a terminal may
 * take U+009B for CSI) and the JS line separators: write those as \uXXXX too
 * (valid UTF-8 text, where they can only be inside strings). Ends in '\n'. */
void
vmc_admin_json_add_string(JsonBuilder *builder, const char *member, const char *value)
{
    json_builder_set_member_name(builder, member);
    if (value == NULL) {
        json_builder_add_null_value(builder);
        return;
    }
    g_autofree char *text = vmc_text_to_utf8(value, -1, VMC_ADMIN_JSON_STRING_MAX);
    json_builder_add_string_value(builder, text);
}

void
vmc_admin_json_add_time(JsonBuilder *builder, const char *member, gint64 time_us)
{
    g_autofree char *text = time_us >= 0 ? vmc_format_time_us(time_us) : NULL;
    vmc_admin_json_add_string(builder, member, text);
}

void
vmc_admin_json_add_rate(JsonBuilder *builder, const char *member, double value)
{
    json_builder_set_member_name(builder, member);
    if (isnan(value) || isinf(value))
        json_builder_add_null_value(builder);
    else
        json_builder_add_double_value(builder, value);
}

char *
vmc_admin_json_escape_controls(const char *text)
{
    GString *out = vmc_json_text_finish(text, strlen(text));
    g_string_append_c(out, '\n');
    return g_string_free(out, FALSE);
}

char *
vmc_admin_access_format_json(const GPtrArray *rows)
{
    g_return_val_if_fail(rows != NULL, NULL);
    g_autoptr(JsonBuilder) builder = json_builder_new();

    json_builder_begin_array(builder);
    for (guint i = 0; i < rows->len; i++) {
        const VmcAdminAccessRow *row = rows->pdata[i];
        json_builder_begin_object(builder);
        vmc_admin_json_add_string(builder, "vm", row->vm);
        vmc_admin_json_add_string(builder, "identity", row->identity);
        json_builder_set_member_name(builder, "allowed");
        json_builder_add_boolean_value(builder, row->result == VMC_ACCESS_GRANTED);
        vmc_admin_json_add_string(builder, "reason", row->reason);
        json_builder_end_object(builder);
    }
    json_builder_end_array(builder);

    g_autoptr(JsonNode) root = json_builder_get_root(builder);
    g_autoptr(JsonGenerator) generator = json_generator_new();
    json_generator_set_pretty(generator, TRUE);
    json_generator_set_root(generator, root);
    g_autofree char *text = json_generator_to_data(generator, NULL);
    return vmc_admin_json_escape_controls(text);
}
