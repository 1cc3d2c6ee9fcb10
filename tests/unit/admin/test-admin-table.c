/* admin-table.c: aligned tables of untrusted cells (widths, caps, escaping). */
#include "admin-priv.h"

#include <string.h>

static void
test_table_widths(void)
{
    static const char *const headers[] = {"A", "LONGHEADER", "C"};
    g_autoptr(VmcAdminTable) table = vmc_admin_table_new(3, headers);
    vmc_admin_table_add_row(table, (const char *const[]){"wide cell", "x", "last"});
    vmc_admin_table_add_row(table, (const char *const[]){"", NULL, "the end"});
    vmc_admin_table_add_row(table, (const char *const[]){"b", "y", ""});
    g_assert_cmpuint(vmc_admin_table_get_n_rows(table), ==, 3);

    g_autofree char *text = vmc_admin_table_format(table);
    g_assert_cmpstr(text, ==,
                    "A          LONGHEADER  C\n"
                    "wide cell  x           last\n"
                    "           -           the end\n"
                    "b          y\n");
}

static void
test_table_header_only(void)
{
    static const char *const headers[] = {"VM", "WHY"};
    g_autoptr(VmcAdminTable) table = vmc_admin_table_new(2, headers);
    g_autofree char *text = vmc_admin_table_format(table);
    g_assert_cmpstr(text, ==, "VM  WHY\n");
}

static gboolean
is_printable_lines(const char *text)
{
    for (const char *p = text; *p != '\0'; p++)
        if (*p != '\n' && !g_ascii_isprint(*p))
            return FALSE;
    return TRUE;
}

static void
test_table_hostile(void)
{
    static const char *const headers[] = {"NAME", "NOTE"};
    g_autoptr(VmcAdminTable) table = vmc_admin_table_new(2, headers);
    vmc_admin_table_set_cap(table, 1, 10);
    /* ESC sequence and a newline that would forge a second row */
    vmc_admin_table_add_row(table, (const char *const[]){"ev\x1b[2Jil\nroot  yes", "ok\r\x9b"
                                                                                   "1m"});
    vmc_admin_table_add_row(table, (const char *const[]){"a", "0123456789abc"});

    g_autofree char *text = vmc_admin_table_format(table);
    g_assert_cmpstr(text, ==,
                    "NAME                  NOTE\n"
                    "ev\\e[2Jil\\nroot  yes  ok\\r\\x9b1m\n"
                    "a                     0123456789...\n");
    g_assert_true(is_printable_lines(text));

    /* The default cap (VMC_ADMIN_NAME_MAX) bounds every cell. */
    g_autofree char *huge = g_strnfill(5000, '\x01');
    vmc_admin_table_add_row(table, (const char *const[]){huge, "z"});
    g_autofree char *text2 = vmc_admin_table_format(table);
    g_auto(GStrv) lines = g_strsplit(text2, "\n", -1);
    g_assert_cmpuint(g_strv_length(lines), ==, 5); /* 4 lines and the empty tail */
    g_assert_cmpuint(strlen(lines[3]), <=, VMC_ADMIN_NAME_MAX + 3 + 2 + 1);
    g_assert_true(is_printable_lines(text2));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/admin/table/widths", test_table_widths);
    g_test_add_func("/admin/table/header-only", test_table_header_only);
    g_test_add_func("/admin/table/hostile", test_table_hostile);
    return g_test_run();
}
