/* fuzz-sshd-config.c — libFuzzer target for the `sshd -T` output review:
 * any bytes give findings (never a crash), every finding printable, and the
 * AuthorizedKeysFile values expand to absolute paths or NULL. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "admin-priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(gboolean ok)
{
    if (!ok)
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = g_strndup((const char *)data, size);
    g_autoptr(GPtrArray) findings =
        g_ptr_array_new_with_free_func((GDestroyNotify)vmc_admin_finding_free);
    vmc_admin_sshd_review(text, size, "fuzz", findings);
    for (guint i = 0; i < findings->len; i++) {
        g_autofree char *line = vmc_admin_finding_format(g_ptr_array_index(findings, i));
        for (const char *p = line; *p != '\0'; p++)
            check(g_ascii_isprint(*p));
    }
    g_auto(GStrv) files = vmc_admin_sshd_values(text, size, "authorizedkeysfile");
    for (guint i = 0; files[i] != NULL; i++) {
        g_autofree char *path = vmc_admin_sshd_expand_keys_path(files[i], "/home/v", "v", 7);
        check(path == NULL || path[0] == '/');
    }
    return 0;
}
