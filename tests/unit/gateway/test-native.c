/* test-native.c — native mode's token and attach description (native.h):
 * the token's shape, the constant-time comparison, the strict text, and
 * which attach may join which session. */
#include <string.h>

#include "native.h"
#include "vmc-assert.h"

#define HASH_A "8a2f3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708"
#define HASH_B "9a2f3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708"

static VmcNativePeer
peer(const char *hash, const char *connection, const char *key, const char *identity)
{
    return (VmcNativePeer){(char *)hash, (char *)connection, (char *)key, (char *)identity,
                           (char *)"debianx"};
}

static void
test_token(void)
{
    g_autofree char *a = vmc_native_token_new(NULL);
    g_autofree char *b = vmc_native_token_new(NULL);
    g_assert_cmpuint(strlen(a), ==, 2 * VMC_NATIVE_TOKEN_BYTES);
    for (const char *p = a; *p != '\0'; p++)
        g_assert_true(g_ascii_isdigit(*p) || (*p >= 'a' && *p <= 'f'));
    g_assert_cmpstr(a, !=, b);
    g_autofree char *hash = vmc_native_token_sha256("abc");
    g_assert_cmpstr(hash, ==, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void
test_equal(void)
{
    g_assert_true(vmc_native_equal(HASH_A, HASH_A));
    g_assert_false(vmc_native_equal(HASH_A, HASH_B));
    g_assert_false(vmc_native_equal(HASH_A, HASH_A "0"));
    g_assert_false(vmc_native_equal(HASH_A, ""));
    g_assert_false(vmc_native_equal(NULL, HASH_A));
    g_assert_false(vmc_native_equal(HASH_A, NULL));
    g_assert_true(vmc_native_equal("", ""));
}

static void
test_text_round_trip(void)
{
    VmcNativePeer in = peer(HASH_A, "10.0.0.2 50000 10.0.0.1 22", "SHA256:k", "alice");
    g_autofree char *text = vmc_native_peer_format(&in);
    VmcNativePeer out = {0};
    g_assert_true(vmc_native_peer_parse(text, strlen(text), &out, NULL));
    g_assert_cmpstr(out.token_sha256, ==, HASH_A);
    g_assert_cmpstr(out.connection, ==, "10.0.0.2 50000 10.0.0.1 22");
    g_assert_cmpstr(out.key, ==, "SHA256:k");
    g_assert_cmpstr(out.identity, ==, "alice");
    g_assert_cmpstr(out.vm, ==, "debianx");
    vmc_native_peer_clear(&out);
}

static void
test_text_hostile(void)
{
    VmcNativePeer in = peer(HASH_A, "c", "k", "i");
    g_autofree char *good = vmc_native_peer_format(&in);
    g_autofree char *long_value = g_strnfill(VMC_NATIVE_VALUE_MAX + 1, 'x');
    g_autofree char *at_bound = g_strnfill(VMC_NATIVE_VALUE_MAX, 'x');
    VmcNativePeer long_in = peer(HASH_A, long_value, "k", "i");
    VmcNativePeer bound_in = peer(HASH_A, at_bound, "k", "i");
    g_autofree char *too_long = vmc_native_peer_format(&long_in);
    g_autofree char *bound = vmc_native_peer_format(&bound_in);
    g_autofree char *upper = g_ascii_strup(good, -1);
    g_autofree char *extra = g_strconcat(good, "x=y\n", NULL);
    g_autofree char *cut = g_strndup(good, strlen(good) - 1);
    g_autofree char *control = g_strdup(good);
    *strstr(control, "=c") = '\t';
    const char *bad[] = {too_long, upper, extra, cut, control, "", "vmconsole-attach 1\n"};
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        VmcNativePeer out = {0};
        g_assert_false(vmc_native_peer_parse(bad[i], strlen(bad[i]), &out, NULL));
        g_assert_null(out.token_sha256);
    }
    VmcNativePeer out = {0};
    g_assert_true(vmc_native_peer_parse(bound, strlen(bound), &out, NULL));
    vmc_native_peer_clear(&out);
    /* a NUL inside is refused (length, not NUL, ends the text) */
    g_autofree char *nul = g_strdup(good);
    nul[strlen(good) - 3] = '\0';
    g_assert_false(vmc_native_peer_parse(nul, strlen(good), &out, NULL));
}

static void
test_mismatch(void)
{
    VmcNativePeer session = peer(HASH_A, "c 1 s 22", "SHA256:k", "alice");
    const struct {
        VmcNativePeer attach;
        const char *reason; /* NULL: may attach */
    } cases[] = {
        {peer(HASH_A, "c 1 s 22", "SHA256:k", "alice"), NULL},
        {peer(HASH_B, "c 1 s 22", "SHA256:k", "alice"), "wrong token"},
        {peer(HASH_B, "c 2 s 22", "SHA256:x", "bob"), "wrong token"},
        {peer(HASH_A, "c 2 s 22", "SHA256:k", "alice"), "another SSH connection"},
        {peer(HASH_A, NULL, "SHA256:k", "alice"), "SSH connection is unknown"},
        {peer(HASH_A, "c 1 s 22", "SHA256:x", "alice"), "another key"},
        {peer(HASH_A, "c 1 s 22", NULL, "alice"), "ExposeAuthInfo"},
        {peer(HASH_A, "c 1 s 22", "SHA256:k", "bob"), "another identity"},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        const char *why = vmc_native_mismatch(&session, &cases[i].attach);
        if (cases[i].reason == NULL)
            g_assert_null(why);
        else
            vmc_assert_contains(why, cases[i].reason);
    }
    /* a session without a key matches nobody, not even another keyless attach */
    VmcNativePeer keyless = peer(HASH_A, "c 1 s 22", NULL, "alice");
    g_assert_nonnull(vmc_native_mismatch(&keyless, &keyless));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/native/token", test_token);
    g_test_add_func("/native/equal", test_equal);
    g_test_add_func("/native/text/round-trip", test_text_round_trip);
    g_test_add_func("/native/text/hostile", test_text_hostile);
    g_test_add_func("/native/mismatch", test_mismatch);
    return g_test_run();
}
