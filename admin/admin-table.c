/* admin-table.c — aligned text tables of untrusted cells, for people. Pure. */
#include "admin-priv.h"

#include <string.h>

#include "vmc-sessionlog.h"

struct _VmcAdminTable {
    guint n_columns;
    GStrv headers;
    gsize *caps;     /* per column, bytes of an escaped cell */
    gsize *widths;   /* per column, widest cell or header */
    GPtrArray *rows; /* of GStrv (escaped cells, n_columns each) */
};

VmcAdminTable *
vmc_admin_table_new(guint n_columns, const char *const *headers)
{
    g_return_val_if_fail(n_columns > 0 && headers != NULL, NULL);

    VmcAdminTable *table = g_new0(VmcAdminTable, 1);
    table->n_columns = n_columns;
    table->headers = g_new0(char *, n_columns + 1);
    table->caps = g_new0(gsize, n_columns);
    table->widths = g_new0(gsize, n_columns);
    table->rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
    for (guint i = 0; i < n_columns; i++) {
        table->headers[i] = g_strdup(headers[i]);
        table->caps[i] = VMC_ADMIN_NAME_MAX;
        table->widths[i] = strlen(headers[i]);
    }
    return table;
}

void
vmc_admin_table_set_cap(VmcAdminTable *table, guint column, gsize max_bytes)
{
    g_return_if_fail(table != NULL && column < table->n_columns);
    table->caps[column] = max_bytes;
}

void
vmc_admin_table_add_row(VmcAdminTable *table, const char *const *cells)
{
    g_return_if_fail(table != NULL && cells != NULL);

    char **row = g_new0(char *, table->n_columns + 1);
    for (guint i = 0; i < table->n_columns; i++) {
        row[i] = cells[i] != NULL ? vmc_text_escape(cells[i], -1, table->caps[i]) : g_strdup("-");
        table->widths[i] = MAX(table->widths[i], strlen(row[i]));
    }
    g_ptr_array_add(table->rows, row);
}

guint
vmc_admin_table_get_n_rows(const VmcAdminTable *table)
{
    g_return_val_if_fail(table != NULL, 0);
    return table->rows->len;
}

static void
append_line(const VmcAdminTable *table, GString *out, const char *const *cells)
{
    for (guint i = 0; i < table->n_columns; i++) {
        g_string_append(out, cells[i]);
        if (i + 1 == table->n_columns)
            break;
        /* Pad to the column's width: the last column is never padded. */
        for (gsize n = strlen(cells[i]); n < table->widths[i]; n++)
            g_string_append_c(out, ' ');
        g_string_append(out, VMC_ADMIN_TABLE_GAP);
    }
    /* An empty last cell must not leave the padding before it behind. */
    while (out->len > 0 && out->str[out->len - 1] == ' ')
        g_string_truncate(out, out->len - 1);
    g_string_append_c(out, '\n');
}

char *
vmc_admin_table_format(const VmcAdminTable *table)
{
    g_return_val_if_fail(table != NULL, NULL);

    GString *out = g_string_new(NULL);
    append_line(table, out, (const char *const *)table->headers);
    for (guint r = 0; r < table->rows->len; r++)
        append_line(table, out, table->rows->pdata[r]);
    return g_string_free(out, FALSE);
}

void
vmc_admin_table_free(VmcAdminTable *table)
{
    if (table == NULL)
        return;
    g_strfreev(table->headers);
    g_free(table->caps);
    g_free(table->widths);
    g_ptr_array_unref(table->rows);
    g_free(table);
}
