/* test-ssh-context.c — what the gateway keeps of SSH_CONNECTION and SSH_USER_AUTH. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "vmc-gateway.h"

typedef struct {
    const char *value;
    const char *want; /* NULL: refused */
} ConnectionCase;

static const ConnectionCase connection_cases[] = {
    {"192.0.2.7 50123 192.0.2.1 22", "192.0.2.7 50123"},
    {"2001:db8::7 50123 2001:db8::1 22", "2001:db8::7 50123"},
    {"fe80::1%eth0 1 fe80::2%eth0 22", "fe80::1%eth0 1"},
    {"192.0.2.7 50123 192.0.2.1", NULL},      /* 3 words */
    {"192.0.2.7 50123 192.0.2.1 22 x", NULL}, /* 5 words */
    {"192.0.2.7  50123 192.0.2.1 22", NULL},  /* empty word */
    {"192.0.2.7 5o123 192.0.2.1 22", NULL},   /* port not digits */
    {"192.0.2.7\n 1 2 3", NULL},              /* newline */
    {"\x1b[2J 1 2 3", NULL},                  /* escape */
    {"a;b 1 2 3", NULL},
    {"", NULL},
    {NULL, NULL},
};

static void
test_connection(void)
{
    for (guint i = 0; i < G_N_ELEMENTS(connection_cases); i++) {
        const ConnectionCase *c = &connection_cases[i];
        g_autofree char *got = vmc_ssh_parse_connection(c->value);
        g_test_message("case %u: %s", i, c->value ? c->value : "(null)");
        g_assert_cmpstr(got, ==, c->want);
    }
}

static void
test_connection_long(void)
{
    g_autofree char *addr = g_strnfill(200, 'a');
    g_autofree char *value = g_strdup_printf("%s 1 2 3", addr);
    g_autofree char *got = vmc_ssh_parse_connection(value);
    g_assert_null(got);
}

/* `ssh-keygen -l` (OpenSSH 9.2) of this public key prints KEY_FINGERPRINT. */
#define KEY_BLOB "AAAAC3NzaC1lZDI1NTE5AAAAIJ9gFg9AA2aCJu/uDRs7eKnbdwcAqDpfHOFwTKpiWEE9"
#define KEY_FINGERPRINT "SHA256:bUyXwdcEUruYcpEhtwEiazEhqUJ8lemZfNzutominYI"

static void
test_user_auth(void)
{
    const char *text = "password\npublickey ssh-ed25519 " KEY_BLOB "\n";
    g_autofree char *fingerprint = NULL;
    g_autofree char *type = NULL;
    g_assert_true(vmc_ssh_parse_user_auth(text, strlen(text), &fingerprint, &type, NULL, NULL));
    g_assert_cmpstr(type, ==, "ssh-ed25519");
    g_assert_cmpstr(fingerprint, ==, KEY_FINGERPRINT);
}

static void
test_user_auth_refused(void)
{
    const char *bad[] = {
        "",
        "password\n",
        "publickey ssh-ed25519\n",
        "publickey ssh-ed25519 !!!notbase64\n",
        "publickey \x1b[2J " KEY_BLOB "\n",
        "publickeyssh-ed25519 " KEY_BLOB "\n",
    };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        char *fingerprint = (char *)"untouched";
        char *type = (char *)"untouched";
        g_test_message("case %u", i);
        g_assert_false(
            vmc_ssh_parse_user_auth(bad[i], strlen(bad[i]), &fingerprint, &type, NULL, NULL));
        g_assert_cmpstr(fingerprint, ==, "untouched");
        g_assert_cmpstr(type, ==, "untouched");
    }
}

static void
test_context_from_env(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("vmc-ssh-XXXXXX", &error);
    g_assert_no_error(error);
    g_autofree char *file = g_build_filename(dir, "auth", NULL);
    g_autofree char *link = g_build_filename(dir, "link", NULL);
    g_assert_true(g_file_set_contents(file, "publickey ssh-ed25519 " KEY_BLOB "\n", -1, NULL));
    g_assert_cmpint(symlink(file, link), ==, 0);

    char **env = g_environ_setenv(NULL, "SSH_CONNECTION", "192.0.2.7 4 192.0.2.1 22", TRUE);
    env = g_environ_setenv(env, "SSH_USER_AUTH", file, TRUE);
    VmcSshContext *context = vmc_ssh_context_from_env(env);
    g_assert_cmpstr(context->client, ==, "192.0.2.7 4");
    g_assert_cmpstr(context->key_fingerprint, ==, KEY_FINGERPRINT);
    vmc_ssh_context_free(context);

    /* A symlink is not followed; a relative path is not read. */
    env = g_environ_setenv(env, "SSH_USER_AUTH", link, TRUE);
    context = vmc_ssh_context_from_env(env);
    g_assert_null(context->key_fingerprint);
    vmc_ssh_context_free(context);
    /* "auth" names the good file from where we stand: only the rule refuses it. */
    g_autofree char *cwd = g_get_current_dir();
    g_assert_cmpint(chdir(dir), ==, 0);
    g_assert_true(g_file_test("auth", G_FILE_TEST_IS_REGULAR));
    env = g_environ_setenv(env, "SSH_USER_AUTH", "auth", TRUE);
    context = vmc_ssh_context_from_env(env);
    g_assert_cmpint(chdir(cwd), ==, 0);
    g_assert_null(context->key_fingerprint);
    vmc_ssh_context_free(context);
    g_strfreev(env);

    g_unlink(link);
    g_unlink(file);
    g_rmdir(dir);
}

/* The whole SSH_CONNECTION, native mode's identity of one connection. */
static void
test_connection_full(void)
{
    static const struct {
        const char *value;
        const char *expected;
    } cases[] = {
        {"10.0.0.2 50000 10.0.0.1 22", "10.0.0.2 50000 10.0.0.1 22"},
        {"::1 40000 ::1 2222", "::1 40000 ::1 2222"},
        {"10.0.0.2 50000 10.0.0.1 2x", NULL},
        {"10.0.0.2 50000 10.0.0.1;id 22", NULL},
        {"10.0.0.2 50000 10.0.0.1", NULL},
        {"10.0.0.2 50000 10.0.0.1 22 x", NULL},
        {"10.0.0.2 50000  22", NULL},
        {NULL, NULL},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *got = vmc_ssh_parse_connection_full(cases[i].value);
        g_assert_cmpstr(got, ==, cases[i].expected);
    }
}

/* The gateway's --expires: OpenSSH's expiry-time forms, in the given zone. */
static void
test_expiry_time(void)
{
    g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
    g_autoptr(GTimeZone) plus2 = g_time_zone_new_identifier("+02:00");
    gint64 us = 0;
    g_assert_true(vmc_ssh_parse_expiry_time("20261231235959", utc, &us));
    g_assert_cmpint(us, ==, G_GINT64_CONSTANT(1798761599) * G_USEC_PER_SEC);
    g_assert_true(vmc_ssh_parse_expiry_time("202612312359", utc, &us));
    g_assert_cmpint(us, ==, G_GINT64_CONSTANT(1798761540) * G_USEC_PER_SEC);
    g_assert_true(vmc_ssh_parse_expiry_time("20261231", utc, &us));
    g_assert_cmpint(us, ==, G_GINT64_CONSTANT(1798675200) * G_USEC_PER_SEC);
    g_assert_true(vmc_ssh_parse_expiry_time("20261231", plus2, &us));
    g_assert_cmpint(us, ==, G_GINT64_CONSTANT(1798668000) * G_USEC_PER_SEC);
    static const char *const bad[] = {"",         "2026123",         "2026123123595",
                                      "20261332", "20261231246000",  "2026-12-31",
                                      "20260230", "202612312359590", "2026123123595x"};
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        us = 77;
        if (vmc_ssh_parse_expiry_time(bad[i], utc, &us))
            g_error("'%s' accepted", bad[i]);
        g_assert_cmpint(us, ==, 77);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ssh-context/connection", test_connection);
    g_test_add_func("/ssh-context/connection-long", test_connection_long);
    g_test_add_func("/ssh-context/connection-full", test_connection_full);
    g_test_add_func("/ssh-context/user-auth", test_user_auth);
    g_test_add_func("/ssh-context/user-auth-refused", test_user_auth_refused);
    g_test_add_func("/ssh-context/from-env", test_context_from_env);
    g_test_add_func("/ssh-context/expiry-time", test_expiry_time);
    return g_test_run();
}
