/* access-matrix.c, the pure parts of `vmconsole-admin access`: name sets
 * (union, dedupe, order), the subjects an ACL names, row order, the access
 * table (escaping of hostile names) and the JSON output. */
#include "admin-priv.h"
#include "vmc-assert.h"

#include <json-glib/json-glib.h>
#include <string.h>

/* ---- name sets ---- */

static VmcAdminNameSet *
name_set_of(const char *const *names)
{
    VmcAdminNameSet *set = vmc_admin_name_set_new();
    for (guint i = 0; names[i] != NULL; i++)
        vmc_admin_name_set_add(set, names[i]);
    return set;
}

static void
assert_sorted_names(const VmcAdminNameSet *set, const char *const *expected)
{
    g_autoptr(GPtrArray) sorted = vmc_admin_name_set_to_sorted(set);
    g_assert_cmpuint(sorted->len, ==, g_strv_length((char **)expected));
    for (guint i = 0; i < sorted->len; i++)
        g_assert_cmpstr(sorted->pdata[i], ==, expected[i]);
}

static void
test_name_set_dedupe(void)
{
    g_autoptr(VmcAdminNameSet) set = vmc_admin_name_set_new();
    g_assert_true(vmc_admin_name_set_add(set, "carol"));
    g_assert_true(vmc_admin_name_set_add(set, "alice"));
    g_assert_false(vmc_admin_name_set_add(set, "alice"));
    g_assert_true(vmc_admin_name_set_add(set, "Alice")); /* names are case-sensitive */
    g_assert_true(vmc_admin_name_set_add(set, ""));
    g_assert_cmpuint(vmc_admin_name_set_size(set), ==, 4);
    g_assert_true(vmc_admin_name_set_contains(set, "carol"));
    g_assert_false(vmc_admin_name_set_contains(set, "bob"));
    assert_sorted_names(set, (const char *const[]){"", "Alice", "alice", "carol", NULL});
}

static void
test_name_set_union(void)
{
    g_autoptr(VmcAdminNameSet) a = name_set_of((const char *const[]){"bob", "alice", NULL});
    g_autoptr(VmcAdminNameSet) b =
        name_set_of((const char *const[]){"dave", "alice", "caf\xc3\xa9", "carol", NULL});
    g_autoptr(VmcAdminNameSet) empty = vmc_admin_name_set_new();

    vmc_admin_name_set_add_all(a, b);
    vmc_admin_name_set_add_all(a, empty);
    vmc_admin_name_set_add_all(a, a); /* with itself: no change */
    /* strcmp order, bytewise: "caf\xc3\xa9" < "carol" ('f' < 'r') */
    assert_sorted_names(
        a, (const char *const[]){"alice", "bob", "caf\xc3\xa9", "carol", "dave", NULL});
    /* b is untouched */
    assert_sorted_names(b, (const char *const[]){"alice", "caf\xc3\xa9", "carol", "dave", NULL});
    vmc_admin_name_set_add_all(empty, b);
    g_assert_cmpuint(vmc_admin_name_set_size(empty), ==, 4);
}

static gboolean
is_printable_lines(const char *text)
{
    for (const char *p = text; *p != '\0'; p++)
        if (*p != '\n' && !g_ascii_isprint(*p))
            return FALSE;
    return TRUE;
}

/* ---- the access rows ---- */

static GPtrArray *
sample_rows(void)
{
    GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify)vmc_admin_access_row_free);
    g_ptr_array_add(rows, vmc_admin_access_row_new("winx", "carol", VMC_ACCESS_GRANTED,
                                                   "carol may open winx: user carol has rw"));
    g_ptr_array_add(rows, vmc_admin_access_row_new("debianx", "bob", VMC_ACCESS_DENIED,
                                                   "bob may not open debianx: other has ---"));
    g_ptr_array_add(rows, vmc_admin_access_row_new("gone", NULL, VMC_ACCESS_GRANTED,
                                                   "no socket (VM never started?): x"));
    g_ptr_array_add(rows, vmc_admin_access_row_new("debianx", "alice", VMC_ACCESS_GRANTED,
                                                   "alice may open debianx: group spicex has rw"));
    g_ptr_array_add(rows, vmc_admin_access_row_new("winx", "alice", VMC_ACCESS_NO_VM,
                                                   "no such VM: gone meanwhile"));
    return rows;
}

static void
test_rows_sort(void)
{
    g_autoptr(GPtrArray) rows = sample_rows();
    vmc_admin_access_rows_sort(rows);
    static const char *const expected[][2] = {
        {"debianx", "alice"}, {"debianx", "bob"}, {"gone", NULL},
        {"winx", "alice"},    {"winx", "carol"},
    };
    g_assert_cmpuint(rows->len, ==, G_N_ELEMENTS(expected));
    for (guint i = 0; i < rows->len; i++) {
        const VmcAdminAccessRow *row = rows->pdata[i];
        g_assert_cmpstr(row->vm, ==, expected[i][0]);
        g_assert_cmpstr(row->identity, ==, expected[i][1]);
    }

    /* A VM-only row sorts before that VM's identities. */
    g_ptr_array_add(rows, vmc_admin_access_row_new("winx", NULL, VMC_ACCESS_NO_VM, "r"));
    vmc_admin_access_rows_sort(rows);
    g_assert_null(((VmcAdminAccessRow *)rows->pdata[3])->identity);
}

static void
test_access_table(void)
{
    g_autoptr(GPtrArray) rows = sample_rows();
    vmc_admin_access_rows_sort(rows);
    g_autofree char *text = vmc_admin_access_format_table(rows);
    g_assert_cmpstr(text, ==,
                    "VM       IDENTITY  ACCESS  WHY\n"
                    "debianx  alice     yes     alice may open debianx: group spicex has rw\n"
                    "debianx  bob       no      bob may not open debianx: other has ---\n"
                    "gone     -         -       no socket (VM never started?): x\n"
                    "winx     alice     -       no such VM: gone meanwhile\n"
                    "winx     carol     yes     carol may open winx: user carol has rw\n");
}

static void
test_access_table_hostile(void)
{
    g_autoptr(GPtrArray) rows =
        g_ptr_array_new_with_free_func((GDestroyNotify)vmc_admin_access_row_free);
    g_ptr_array_add(rows, vmc_admin_access_row_new("vm1", "ma\x1b]0;pwn\x07l\nvm1  root  yes",
                                                   VMC_ACCESS_DENIED, "why\x1b[1m\n"));
    g_autofree char *text = vmc_admin_access_format_table(rows);
    g_assert_cmpstr(text, ==,
                    "VM   IDENTITY                         ACCESS  WHY\n"
                    "vm1  ma\\e]0;pwn\\x07l\\nvm1  root  yes  no      why\\e[1m\\n\n");
    g_assert_true(is_printable_lines(text));
}

static void
test_access_json(void)
{
    g_autoptr(GPtrArray) rows = sample_rows();
    g_ptr_array_add(rows, vmc_admin_access_row_new("zz", "h\x1b\xc2\x9b\xe2\x80\xa8\xff",
                                                   VMC_ACCESS_DENIED, "r\n"));
    vmc_admin_access_rows_sort(rows);
    g_autofree char *text = vmc_admin_access_format_json(rows);

    g_assert_true(g_str_has_suffix(text, "]\n"));
    /* ESC, C1 CSI and U+2028 stay inside strings as \u escapes, never raw */
    g_assert_null(strchr(text, '\x1b'));
    vmc_assert_lacks(text, "\xc2\x9b");
    vmc_assert_lacks(text, "\xe2\x80\xa8");
    g_assert_true(g_utf8_validate(text, -1, NULL));

    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) error = NULL;
    g_assert_true(json_parser_load_from_data(parser, text, -1, &error));
    g_assert_no_error(error);
    JsonArray *array = json_node_get_array(json_parser_get_root(parser));
    g_assert_cmpuint(json_array_get_length(array), ==, 6);

    JsonObject *first = json_array_get_object_element(array, 0);
    g_assert_cmpstr(json_object_get_string_member(first, "vm"), ==, "debianx");
    g_assert_cmpstr(json_object_get_string_member(first, "identity"), ==, "alice");
    g_assert_true(json_object_get_boolean_member(first, "allowed"));
    g_assert_cmpstr(json_object_get_string_member(first, "reason"), ==,
                    "alice may open debianx: group spicex has rw");

    JsonObject *bob = json_array_get_object_element(array, 1);
    g_assert_false(json_object_get_boolean_member(bob, "allowed"));

    JsonObject *gone = json_array_get_object_element(array, 2);
    g_assert_true(json_object_get_null_member(gone, "identity"));
    g_assert_false(json_object_get_boolean_member(gone, "allowed"));

    JsonObject *winx_alice = json_array_get_object_element(array, 3);
    g_assert_false(json_object_get_boolean_member(winx_alice, "allowed")); /* NO_VM */

    JsonObject *hostile = json_array_get_object_element(array, 5);
    g_assert_cmpstr(json_object_get_string_member(hostile, "identity"), ==,
                    "h\x1b\xc2\x9b\xe2\x80\xa8\\xff"); /* invalid byte as text */
    g_assert_cmpstr(json_object_get_string_member(hostile, "reason"), ==, "r\n");
}

static void
test_access_json_empty(void)
{
    g_autoptr(GPtrArray) rows = g_ptr_array_new();
    g_autofree char *text = vmc_admin_access_format_json(rows);
    g_assert_cmpstr(text, ==, "[]\n");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/admin/name-set/dedupe", test_name_set_dedupe);
    g_test_add_func("/admin/name-set/union", test_name_set_union);
    g_test_add_func("/admin/access/sort", test_rows_sort);
    g_test_add_func("/admin/access/table", test_access_table);
    g_test_add_func("/admin/access/table-hostile", test_access_table_hostile);
    g_test_add_func("/admin/access/json", test_access_json);
    g_test_add_func("/admin/access/json-empty", test_access_json_empty);
    return g_test_run();
}
