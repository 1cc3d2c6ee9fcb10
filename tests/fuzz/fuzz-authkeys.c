/* fuzz-authkeys.c — libFuzzer target for the authorized_keys parser: any
 * bytes as one line (vmc_authkey_parse) and as a whole file (the review of
 * `check`, the duplicate search of `authorize --append`). A parsed key must
 * have a known type and a blob; the locked-down line built from it must parse
 * back to the same key with the same identity; every finding is printable.
 * The same bytes as an AuthorizedPrincipalsFile line and file: a parsed line
 * has a principal within bounds; a valid principal's locked-down line parses
 * back to it with the identity. */
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

static void
round_trip(const VmcAuthKey *key)
{
    check(key->type != NULL && key->blob != NULL && key->blob[0] != '\0');
    VmcAuthorizeSpec spec = {
        "/usr/bin/vmconsole-gateway", "alice", TRUE, 0, "192.0.2.0/24", "20300101000000"};
    g_autofree char *line = vmc_authkey_format_line(&spec, key);
    g_autoptr(VmcAuthKey) back = vmc_authkey_parse(line, NULL);
    check(back != NULL && strcmp(back->blob, key->blob) == 0 && strcmp(back->type, key->type) == 0);
    const VmcAuthKeyOption *command = vmc_authkey_find_option(back, "command");
    check(command != NULL && command->value != NULL);
    g_autofree char *identity = vmc_authkey_gateway_identity(command->value);
    check(g_strcmp0(identity, "alice") == 0);
    check(vmc_admin_keys_find_blob(line, strlen(line), key->blob) == 1);
}

static void
review_file(const char *text, gsize length)
{
    g_autoptr(GPtrArray) findings =
        g_ptr_array_new_with_free_func((GDestroyNotify)vmc_admin_finding_free);
    vmc_admin_keys_review(text, length, "fuzz", NULL, NULL, findings);
    for (guint i = 0; i < findings->len; i++) {
        g_autofree char *line = vmc_admin_finding_format(g_ptr_array_index(findings, i));
        for (const char *p = line; *p != '\0'; p++)
            check(g_ascii_isprint(*p));
    }
    (void)vmc_admin_keys_find_blob(text, length, "AAAA");
}

static void
principal_line(const char *text)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcAuthKey) line = vmc_authkey_parse_principal(text, &error);
    check((line == NULL) == (error != NULL));
    if (line == NULL)
        return;
    check(line->principal != NULL && line->principal[0] != '\0' &&
          strlen(line->principal) <= VMC_AUTHKEYS_PRINCIPAL_MAX && line->blob == NULL);
    if (!vmc_authkey_principal_is_valid(line->principal))
        return;
    VmcAuthorizeSpec spec = {"/usr/bin/vmconsole-gateway", "alice", FALSE, 0, NULL, NULL};
    g_autofree char *formatted = vmc_authkey_format_principal_line(&spec, line->principal);
    g_autoptr(VmcAuthKey) back = vmc_authkey_parse_principal(formatted, NULL);
    check(back != NULL && strcmp(back->principal, line->principal) == 0);
    check(vmc_admin_principals_find(formatted, strlen(formatted), line->principal) == 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = g_strndup((const char *)data, size);
    review_file(text, size);
    if (memchr(data, '\n', size) == NULL) {
        g_autoptr(GError) error = NULL;
        g_autoptr(VmcAuthKey) key = vmc_authkey_parse(text, &error);
        check((key == NULL) == (error != NULL));
        if (key != NULL)
            round_trip(key);
        principal_line(text);
    }
    g_autoptr(GPtrArray) findings =
        g_ptr_array_new_with_free_func((GDestroyNotify)vmc_admin_finding_free);
    vmc_admin_principals_review(text, size, "fuzz", NULL, NULL, findings);
    return 0;
}
