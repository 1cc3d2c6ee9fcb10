/* test-ssh-cert.c — the OpenSSH certificate parser on certificates made by
 * ssh-keygen -s (the fields as ssh-keygen -L and -l print them), and on
 * every way one can be cut short, padded or bent. */
#include <string.h>

#include "vmc-gateway.h"

/* ssh-keygen -s ca -I "alice@laptop key" -n alice,vmconsole
 *   -z 18446744073709551615 -V 20261201000000Z:20261231235959Z
 *   -O force-command=/bin/true alice.pub (an ed25519 CA and key) */
#define ALICE_CERT                                                                                 \
    "AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAAIG5/SlOBXCWLosP/7I7qCpmNEcVJzqGgRxbdJT/"  \
    "5PlLRAAAAIER+9LDl6wNxkt1ASqwG2jrDtMcdnGV4rF9o5X//rzK3//////////"                              \
    "8AAAABAAAAEGFsaWNlQGxhcHRvcCBrZXkAAAAWAAAABWFsaWNlAAAACXZtY29uc29sZQAAAABrDg4AAAAAAGs27H8AAA" \
    "AiAAAADWZvcmNlLWNvbW1hbmQAAAANAAAACS9iaW4vdHJ1ZQAAAIIAAAAVcGVybWl0LVgxMS1mb3J3YXJkaW5nAAAAAA" \
    "AAABdwZXJtaXQtYWdlbnQtZm9yd2FyZGluZwAAAAAAAAAWcGVybWl0LXBvcnQtZm9yd2FyZGluZwAAAAAAAAAKcGVybW" \
    "l0LXB0eQAAAAAAAAAOcGVybWl0LXVzZXItcmMAAAAAAAAAAAAAADMAAAALc3NoLWVkMjU1MTkAAAAggWDWqbP8U+"     \
    "dgLZZqZaxW+R7SfNyg5QNA0f1/NbxpKgAAAABTAAAAC3NzaC1lZDI1NTE5AAAAQB0O0fPtHou6rdmzjNTeMhA/"       \
    "QaJ4tVvqff5j1H4BTgMxM2/uY5UoyGbt0Z3VOpnfRKw9s7zwhwn8ys8X6xLGgAU="
#define ALICE_KEY_FP "SHA256:5axevuDPFKotWHZbv9Xe1eglMnzC8IzZmitvv4d8AQk"
#define ALICE_CA_FP "SHA256:pTzeeuvLQQMkftDQPn2x8v24SxwE8B8RvFzzqCzT//0"
#define ALICE_TYPE_OFFSET 116 /* the certificate type (u32) in the blob */

/* ssh-keygen -s ca2 -I bob -z 7 -V always:forever bob.pub (an ECDSA P-256
 * CA, an RSA 1024 key) */
#define BOB_CERT                                                                                   \
    "AAAAHHNzaC1yc2EtY2VydC12MDFAb3BlbnNzaC5jb20AAAAgDpjafPzUur5TrPqD+L+tEZ+"                      \
    "uCtwt73oi2IAqOgnohqUAAAADAQABAAAAgQDwDTMT0umBxmB1GCWf2m/"                                     \
    "s3zRrNsYWgoenMudDASOC3FFVfPd0Izcc54zZ2yyPSsgbhaSkHo7tIdTd4y6qkX0uv9GFQ3taQeLO9VHO5621ehj279/" \
    "QavZOGXZLc2seDOhqz2/"                                                                         \
    "PtvQwpB0GT8UOf6+ysIpxbskTYzKdI5FXicpOxwAAAAAAAAAHAAAAAQAAAANib2IAAAAAAAAAAAAAAAD//////////"   \
    "wAAAAAAAACCAAAAFXBlcm1pdC1YMTEtZm9yd2FyZGluZwAAAAAAAAAXcGVybWl0LWFnZW50LWZvcndhcmRpbmcAAAAAA" \
    "AAAFnBlcm1pdC1wb3J0LWZvcndhcmRpbmcAAAAAAAAACnBlcm1pdC1wdHkAAAAAAAAADnBlcm1pdC11c2VyLXJjAAAAA" \
    "AAAAAAAAABoAAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBGOpTd8isBSlGslhJaSRCLHhT44oJ" \
    "em6lLueBazEakyDlMzhQ6tRe0Bz814XzhvF7XIWGXVG56eqNrq5N+"                                        \
    "efZjcAAABkAAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAABJAAAAIC+6j4xKv4bjgZvZEYJLYQYZkU5/"               \
    "drNnWErpCY2495nkAAAAIQCxWstP3cuMRA3cOO+YOe3S/nySApnNSamp8VzKi/3skQ=="
#define BOB_KEY_FP "SHA256:Pc+E3d+Hkb4TI+F8TJXqmS1vJgMU+fw30B/279iWaEY"
#define BOB_CA_FP "SHA256:I0VlIgvmns7g0bEsxYnOJ3L4D+LxUAKnRXMD/FZHDpg"

static guint8 *
decode(const char *base64, gsize *ret_length)
{
    return g_base64_decode(base64, ret_length);
}

static void
test_ed25519(void)
{
    gsize length = 0;
    g_autofree guint8 *blob = decode(ALICE_CERT, &length);
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcSshCert) cert = vmc_ssh_cert_parse(blob, length, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(cert->type, ==, "ssh-ed25519-cert-v01@openssh.com");
    g_assert_cmpstr(cert->key_type, ==, "ssh-ed25519");
    g_assert_cmpstr(cert->key_fingerprint, ==, ALICE_KEY_FP);
    g_assert_cmpuint(cert->serial, ==, G_MAXUINT64);
    g_assert_cmpstr(cert->key_id, ==, "alice@laptop key");
    g_assert_cmpuint(g_strv_length(cert->principals), ==, 2);
    g_assert_cmpstr(cert->principals[0], ==, "alice");
    g_assert_cmpstr(cert->principals[1], ==, "vmconsole");
    g_assert_cmpuint(cert->valid_after, ==, 1796083200);
    g_assert_cmpuint(cert->valid_before, ==, 1798761599);
    g_assert_cmpstr(cert->ca_type, ==, "ssh-ed25519");
    g_assert_cmpstr(cert->ca_fingerprint, ==, ALICE_CA_FP);
    g_assert_true(vmc_ssh_cert_type_is_known(cert->type));
    g_assert_false(vmc_ssh_cert_type_is_known("ssh-ed25519"));
}

static void
test_rsa_forever(void)
{
    gsize length = 0;
    g_autofree guint8 *blob = decode(BOB_CERT, &length);
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcSshCert) cert = vmc_ssh_cert_parse(blob, length, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(cert->key_type, ==, "ssh-rsa");
    g_assert_cmpstr(cert->key_fingerprint, ==, BOB_KEY_FP);
    g_assert_cmpuint(cert->serial, ==, 7);
    g_assert_cmpstr(cert->key_id, ==, "bob");
    g_assert_cmpuint(g_strv_length(cert->principals), ==, 0);
    g_assert_cmpuint(cert->valid_after, ==, 0);
    g_assert_cmpuint(cert->valid_before, ==, VMC_SSH_CERT_FOREVER);
    g_assert_cmpstr(cert->ca_type, ==, "ecdsa-sha2-nistp256");
    g_assert_cmpstr(cert->ca_fingerprint, ==, BOB_CA_FP);
}

static void
assert_refused(const guint8 *blob, gsize length, int code)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcSshCert) cert = vmc_ssh_cert_parse(blob, length, &error);
    g_assert_null(cert);
    g_assert_error(error, VMC_SSH_CERT_ERROR, code);
    g_assert_true(g_str_has_prefix(error->message, "not a usable OpenSSH certificate: "));
}

/* Every prefix of a good certificate is refused, and so is one more byte. */
static void
test_truncated_and_padded(void)
{
    const char *const certs[] = {ALICE_CERT, BOB_CERT};
    for (guint c = 0; c < G_N_ELEMENTS(certs); c++) {
        gsize length = 0;
        g_autofree guint8 *blob = decode(certs[c], &length);
        for (gsize n = 0; n < length; n++)
            assert_refused(blob, n, VMC_SSH_CERT_ERROR_INVALID);
        g_autofree guint8 *longer = g_malloc(length + 1);
        memcpy(longer, blob, length);
        longer[length] = 0;
        assert_refused(longer, length + 1, VMC_SSH_CERT_ERROR_INVALID);
    }
}

/* A host certificate, a length past the end, an unknown type, a NUL in the
 * key id, valid-after after valid-before, a blob over the bound. */
static void
test_bent(void)
{
    gsize length = 0;
    g_autofree guint8 *blob = decode(ALICE_CERT, &length);
    g_autofree guint8 *copy = g_memdup2(blob, length);

    copy[ALICE_TYPE_OFFSET + 3] = 2;
    assert_refused(copy, length, VMC_SSH_CERT_ERROR_INVALID);
    memcpy(copy, blob, length);
    copy[3] = 0xff; /* the type name's length: in the blob, over the name's bound */
    assert_refused(copy, length, VMC_SSH_CERT_ERROR_LIMIT);
    memcpy(copy, blob, length);
    copy[4 + 4] = 'X'; /* "ssh-X25519-cert-..." */
    assert_refused(copy, length, VMC_SSH_CERT_ERROR_INVALID);
    memcpy(copy, blob, length);
    copy[ALICE_TYPE_OFFSET + 4 + 4 + 5] = 0; /* "alice\0laptop key" */
    assert_refused(copy, length, VMC_SSH_CERT_ERROR_INVALID);
    memcpy(copy, blob, length);
    copy[ALICE_TYPE_OFFSET + 4] = 0x7f; /* the key id's length, far past the end */
    assert_refused(copy, length, VMC_SSH_CERT_ERROR_INVALID);

    /* valid-after (8 bytes after the key id and the principals) > valid-before */
    gsize after = ALICE_TYPE_OFFSET + 4 + 4 + 16 + 4 + 22;
    memcpy(copy, blob, length);
    memset(copy + after, 0xff, 8);
    assert_refused(copy, length, VMC_SSH_CERT_ERROR_INVALID);

    g_autofree guint8 *huge = g_malloc0(VMC_SSH_CERT_MAX + 1);
    assert_refused(huge, VMC_SSH_CERT_MAX + 1, VMC_SSH_CERT_ERROR_LIMIT);
}

/* sshd's ExposeAuthInfo line for a certificate: the certified key's
 * fingerprint (as sshd logs it), the certificate kept; a certificate that
 * does not parse keeps the blob's fingerprint and says why. */
static void
test_user_auth(void)
{
    const char *text = "publickey ssh-ed25519-cert-v01@openssh.com " ALICE_CERT "\n";
    g_autofree char *fingerprint = NULL, *type = NULL, *why = NULL;
    g_autoptr(VmcSshCert) cert = NULL;
    g_assert_true(vmc_ssh_parse_user_auth(text, strlen(text), &fingerprint, &type, &cert, &why));
    g_assert_cmpstr(fingerprint, ==, ALICE_KEY_FP);
    g_assert_cmpstr(type, ==, "ssh-ed25519-cert-v01@openssh.com");
    g_assert_nonnull(cert);
    g_assert_null(why);
    g_assert_cmpstr(cert->ca_fingerprint, ==, ALICE_CA_FP);

    const char *lying = "publickey ssh-rsa-cert-v01@openssh.com " ALICE_CERT "\n";
    g_autofree char *fingerprint2 = NULL, *type2 = NULL, *why2 = NULL;
    g_autoptr(VmcSshCert) cert2 = NULL;
    g_assert_true(
        vmc_ssh_parse_user_auth(lying, strlen(lying), &fingerprint2, &type2, &cert2, &why2));
    g_assert_null(cert2);
    g_assert_nonnull(why2);
    g_assert_cmpstr(fingerprint2, !=, ALICE_KEY_FP);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/gateway/ssh-cert/ed25519", test_ed25519);
    g_test_add_func("/gateway/ssh-cert/rsa-forever", test_rsa_forever);
    g_test_add_func("/gateway/ssh-cert/truncated-and-padded", test_truncated_and_padded);
    g_test_add_func("/gateway/ssh-cert/bent", test_bent);
    g_test_add_func("/gateway/ssh-cert/user-auth", test_user_auth);
    return g_test_run();
}
