/* Tables for the pure parts of pulse/: cookie hex text, server kinds and
 * descriptions, module arguments and the paths allowed in them. */
#include "pulse-priv.h"
#include "vmc-assert.h"

#include <string.h>

/* ---- cookie hex ---- */

static void
fill_pattern(guint8 *cookie, guint seed)
{
    for (gsize i = 0; i < VMC_PULSE_COOKIE_SIZE; i++)
        cookie[i] = (guint8)(i * 7 + seed);
}

static void
test_hex_round_trip(void)
{
    guint8 cookie[VMC_PULSE_COOKIE_SIZE], back[VMC_PULSE_COOKIE_SIZE];
    for (guint seed = 0; seed < 4; seed++) {
        fill_pattern(cookie, seed * 61);
        g_autofree char *hex = vmc_pulse_cookie_to_hex(cookie);
        g_assert_cmpuint(strlen(hex), ==, VMC_PULSE_COOKIE_HEX);
        for (const char *p = hex; *p != '\0'; p++)
            g_assert_true(g_ascii_isdigit(*p) || (*p >= 'a' && *p <= 'f'));
        g_autoptr(GError) error = NULL;
        g_assert_true(vmc_pulse_cookie_from_hex(hex, strlen(hex), back, &error));
        g_assert_no_error(error);
        g_assert_cmpmem(cookie, sizeof(cookie), back, sizeof(back));
    }
}

static void
test_hex_known(void)
{
    guint8 cookie[VMC_PULSE_COOKIE_SIZE] = {0x00, 0x0f, 0xa5, 0xff};
    g_autofree char *hex = vmc_pulse_cookie_to_hex(cookie);
    g_assert_true(g_str_has_prefix(hex, "000fa5ff0000"));
}

typedef struct {
    const char *name;
    gssize change_at; /* -1: no change */
    char change_to;
    gssize length; /* -1: VMC_PULSE_COOKIE_HEX */
    const char *message_part;
} HexCase;

static const HexCase hex_rejects[] = {
    {"empty", -1, 0, 0, "got 0 bytes"},
    {"one-short", -1, 0, VMC_PULSE_COOKIE_HEX - 1, "got 511 bytes"},
    {"one-long", -1, 0, VMC_PULSE_COOKIE_HEX + 1, "got 513 bytes"},
    {"half", -1, 0, VMC_PULSE_COOKIE_SIZE, "got 256 bytes"},
    {"uppercase-first", 0, 'A', -1, "character 1 is not"},
    {"uppercase-last", VMC_PULSE_COOKIE_HEX - 1, 'F', -1, "character 512 is not"},
    {"g", 10, 'g', -1, "character 11 is not"},
    {"space", 5, ' ', -1, "character 6 is not"},
    {"newline-last", VMC_PULSE_COOKIE_HEX - 1, '\n', -1, "character 512"},
    {"nul-inside", 100, '\0', -1, "character 101"},
    {"high-byte", 7, '\xc3', -1, "character 8"},
    {"minus", 2, '-', -1, "character 3"},
};

static void
test_hex_rejects(gconstpointer data)
{
    const HexCase *c = data;
    char text[VMC_PULSE_COOKIE_HEX + 2];
    guint8 out[VMC_PULSE_COOKIE_SIZE];
    memset(text, 'a', sizeof(text));
    memset(out, 0x5a, sizeof(out));
    if (c->change_at >= 0)
        text[c->change_at] = c->change_to;
    gsize length = c->length >= 0 ? (gsize)c->length : VMC_PULSE_COOKIE_HEX;
    g_autoptr(GError) error = NULL;
    g_assert_false(vmc_pulse_cookie_from_hex(text, length, out, &error));
    g_assert_error(error, VMC_PULSE_ERROR, VMC_PULSE_ERROR_INVALID);
    vmc_assert_contains(error->message, c->message_part);
    vmc_assert_lacks(error->message, "aaaa"); /* the secret is never echoed */
    for (gsize i = 0; i < sizeof(out); i++)
        g_assert_cmpuint(out[i], ==, 0x5a); /* untouched on failure */
}

/* ---- server kinds and descriptions ---- */

typedef struct {
    const char *name;
    VmcPulseServerKind kind;
} KindCase;

static const KindCase kind_cases[] = {
    {"pulseaudio", VMC_PULSE_SERVER_PULSEAUDIO},
    {"PulseAudio (on PipeWire 0.3.65)", VMC_PULSE_SERVER_PIPEWIRE},
    {"PulseAudio (on PipeWire 1.2.7)", VMC_PULSE_SERVER_PIPEWIRE},
    {"PulseAudio (on PipeWire )", VMC_PULSE_SERVER_OTHER},
    {"PulseAudio (on PipeWire 0.3.65", VMC_PULSE_SERVER_OTHER},
    {"PulseAudio (on PipeWire (x))", VMC_PULSE_SERVER_OTHER},
    {"PulseAudio", VMC_PULSE_SERVER_OTHER},
    {"pulseaudio ", VMC_PULSE_SERVER_OTHER},
    {"Pulseaudio", VMC_PULSE_SERVER_OTHER},
    {"", VMC_PULSE_SERVER_OTHER},
    {"pipewire", VMC_PULSE_SERVER_OTHER},
    {NULL, VMC_PULSE_SERVER_OTHER},
};

static void
test_server_kind(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(kind_cases); i++) {
        g_test_message("kind of '%s'", kind_cases[i].name ? kind_cases[i].name : "(null)");
        g_assert_cmpint(vmc_pulse_server_kind(kind_cases[i].name), ==, kind_cases[i].kind);
    }
}

typedef struct {
    const char *name;
    const char *version;
    const char *expected;
} DescribeCase;

static const DescribeCase describe_cases[] = {
    {"pulseaudio", "16.1", "PulseAudio 16.1"},
    {"PulseAudio (on PipeWire 0.3.65)", "15.0.0", "PipeWire 0.3.65 (pulse server 15.0.0)"},
    {"other-server", "1.0", "other-server 1.0"},
    {"evil\x1b[2J", "1\n2", "evil\\e[2J 1\\n2"},
    {"PulseAudio (on PipeWire \x7f)", "\xc3\xa9", "PipeWire \\x7f (pulse server \\xc3\\xa9)"},
    {"", "", "? ?"},
    {NULL, NULL, "? ?"},
    {"pulseaudio", NULL, "PulseAudio ?"},
};

static void
test_describe(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(describe_cases); i++) {
        const DescribeCase *c = &describe_cases[i];
        VmcPulseServerInfo info = {vmc_pulse_server_kind(c->name), (char *)c->name,
                                   (char *)c->version};
        g_autofree char *text = vmc_pulse_server_describe(&info);
        g_assert_cmpstr(text, ==, c->expected);
    }
}

static void
test_describe_capped(void)
{
    g_autofree char *longname = g_strnfill(1000, 'n');
    g_autofree char *longversion = g_strnfill(1000, '\x01');
    VmcPulseServerInfo info = {VMC_PULSE_SERVER_OTHER, longname, longversion};
    g_autofree char *text = vmc_pulse_server_describe(&info);
    g_assert_cmpuint(strlen(text), <=, VMC_PULSE_DESCRIBE_MAX);
    for (const char *p = text; *p != '\0'; p++)
        g_assert_true(*p >= 0x20 && *p <= 0x7e);
}

/* ---- module arguments ---- */

typedef struct {
    const char *path;
    gboolean safe;
} PathCase;

static const PathCase path_cases[] = {
    {"/run/user/1000/vmc-pulse-Ab12_x/cookie", TRUE},
    {"/tmp/vmc-pulse-abc.def/cookie", TRUE},
    {"relative/cookie", FALSE},
    {"", FALSE},
    {NULL, FALSE},
    {"/tmp/with space/cookie", FALSE},
    {"/tmp/a=b", FALSE},
    {"/tmp/quote\"", FALSE},
    {"/tmp/quote'", FALSE},
    {"/tmp/tab\t", FALSE},
    {"/tmp/../etc/shadow", FALSE},
    {"/tmp/caf\xc3\xa9", FALSE},
    {"/tmp/semi;colon", FALSE},
};

static void
test_path_is_safe(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(path_cases); i++) {
        g_test_message("path '%s'", path_cases[i].path ? path_cases[i].path : "(null)");
        g_assert_cmpint(vmc_pulse_path_is_safe(path_cases[i].path), ==, path_cases[i].safe);
    }
}

static void
test_path_bound(void)
{
    g_autofree char *a = g_strnfill(VMC_PULSE_PATH_MAX, 'a');
    g_autofree char *longer = g_strdup_printf("/%s", a);
    g_autofree char *fits = g_strndup(longer, VMC_PULSE_PATH_MAX);
    g_assert_true(vmc_pulse_path_is_safe(fits));
    g_assert_false(vmc_pulse_path_is_safe(longer));
}

static void
test_module_argument(void)
{
    g_autofree char *cookie = vmc_pulse_module_argument(47113, "/run/user/1/vmc-pulse-x/cookie");
    g_autofree char *anon = vmc_pulse_module_argument(1, NULL);
    g_assert_cmpstr(cookie, ==,
                    "listen=127.0.0.1 port=47113 auth-anonymous=0 auth-cookie-enabled=1 "
                    "auth-cookie=/run/user/1/vmc-pulse-x/cookie");
    g_assert_cmpstr(anon, ==, "listen=127.0.0.1 port=1 auth-anonymous=1");
    vmc_assert_lacks(cookie, "ip-acl");
}

/* ---- the owner file of an endpoint ---- */

static void
test_owner_roundtrip(void)
{
    VmcPulseOwner owner = {.pid = 4242,
                           .start = 1234567890123ULL,
                           .module = 27,
                           .argument = (char *)"listen=127.0.0.1 port=40000 auth-anonymous=1"};
    g_autofree char *text = vmc_pulse_owner_format(&owner);
    g_assert_cmpstr(text, ==,
                    "vmconsole-pulse-endpoint 1\npid=4242\nstart=1234567890123\nmodule=27\n"
                    "argument=listen=127.0.0.1 port=40000 auth-anonymous=1\n");
    VmcPulseOwner back = {0};
    g_assert_true(vmc_pulse_owner_parse(text, strlen(text), &back));
    g_assert_cmpuint(back.pid, ==, 4242);
    g_assert_cmpuint(back.start, ==, 1234567890123ULL);
    g_assert_cmpuint(back.module, ==, 27);
    g_assert_cmpstr(back.argument, ==, owner.argument);
    vmc_pulse_owner_clear(&back);
    g_assert_null(back.argument);
}

static void
test_owner_rejects(void)
{
    static const char *const bad[] = {
        "",
        "vmconsole-pulse-endpoint 2\npid=1\nstart=1\nmodule=1\nargument=a\n",
        "vmconsole-pulse-endpoint 1\npid=0\nstart=1\nmodule=1\nargument=a\n",  /* pid 0 */
        "vmconsole-pulse-endpoint 1\npid=01\nstart=1\nmodule=1\nargument=a\n", /* leading 0 */
        "vmconsole-pulse-endpoint 1\npid=-1\nstart=1\nmodule=1\nargument=a\n",
        "vmconsole-pulse-endpoint 1\npid=+1\nstart=1\nmodule=1\nargument=a\n",
        "vmconsole-pulse-endpoint 1\npid=2147483648\nstart=1\nmodule=1\nargument=a\n",
        "vmconsole-pulse-endpoint 1\npid=1\nstart=18446744073709551616\nmodule=1\nargument=a\n",
        "vmconsole-pulse-endpoint 1\npid=1\nstart=1\nmodule=4294967296\nargument=a\n",
        "vmconsole-pulse-endpoint 1\npid=1\nmodule=1\nstart=1\nargument=a\n",  /* order */
        "vmconsole-pulse-endpoint 1\npid=1\nstart=1\nmodule=1\nargument=\n",   /* empty */
        "vmconsole-pulse-endpoint 1\npid=1\nstart=1\nmodule=1\nargument=a",    /* no \n */
        "vmconsole-pulse-endpoint 1\npid=1\nstart=1\nmodule=1\nargument=a\nx", /* trailing */
        "vmconsole-pulse-endpoint 1\npid=1\nstart=1\nmodule=1\nargument=a\tb\n",
        "vmconsole-pulse-endpoint 1\npid=1\nstart=1\nmodule=1\nargument=a\x1b[31m\n",
        "vmconsole-pulse-endpoint 1\npid=1\nstart=\nmodule=1\nargument=a\n",
        "vmconsole-pulse-endpoint 1\npid=1 \nstart=1\nmodule=1\nargument=a\n",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        VmcPulseOwner owner = {0};
        g_test_message("bad %zu", i);
        g_assert_false(vmc_pulse_owner_parse(bad[i], strlen(bad[i]), &owner));
        g_assert_null(owner.argument);
    }
    /* a NUL inside is not printable */
    static const char nul[] =
        "vmconsole-pulse-endpoint 1\npid=1\nstart=1\nmodule=1\nargument=a\0b\n";
    VmcPulseOwner owner = {0};
    g_assert_false(vmc_pulse_owner_parse(nul, sizeof nul - 1, &owner));
    /* longer than VMC_PULSE_OWNER_MAX */
    g_autofree char *filler = g_strnfill(VMC_PULSE_OWNER_MAX, 'a');
    g_autofree char *big = g_strdup_printf(
        "vmconsole-pulse-endpoint 1\npid=1\nstart=1\nmodule=1\nargument=%s\n", filler);
    g_assert_false(vmc_pulse_owner_parse(big, strlen(big), &owner));
}

static void
test_stat_start_time(void)
{
    guint64 start = 0;
    /* a command name with spaces and ')' in it: fields count from the last ')' */
    static const char stat[] =
        "4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 "
        "12345678 300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
    g_assert_true(vmc_pulse_stat_start_time(stat, strlen(stat), &start));
    g_assert_cmpuint(start, ==, 987654);
    static const char *const bad[] = {
        "",
        "4242 (x",
        "4242 (x) S 1 2 3",
        "4242 (x) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 "
        "20 0 1 0 98x7654 1\n",
        "4242 (x) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0  987654 1\n",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
        g_assert_false(vmc_pulse_stat_start_time(bad[i], strlen(bad[i]), &start));
    /* our own: the kernel's real text parses */
    g_autofree char *self = NULL;
    gsize length = 0;
    g_assert_true(g_file_get_contents("/proc/self/stat", &self, &length, NULL));
    g_assert_true(vmc_pulse_stat_start_time(self, length, &start));
    g_assert_cmpuint(start, >, 0);
}

/* ---- the first packet of a native-protocol client ---- */

/* What libpulse 16 sends first (captured): AUTH, tag 0, version 35 with a flag bit. */
static gsize
auth_packet(guint8 *out, guint8 cookie_byte, guint32 tag)
{
    static const guint8 head[] = {0x00, 0x00, 0x01, 0x14, 0xff, 0xff, 0xff, 0xff, 0, 0,
                                  0,    0,    0,    0,    0,    0,    0,    0,    0, 0,
                                  'L',  0,    0,    0,    8,    'L',  0,    0,    0, 0,
                                  'L',  0x40, 0,    0,    0x23, 'x',  0,    0,    1, 0};
    memcpy(out, head, sizeof head);
    out[26] = (guint8)(tag >> 24);
    out[27] = (guint8)(tag >> 16);
    out[28] = (guint8)(tag >> 8);
    out[29] = (guint8)tag;
    memset(out + sizeof head, cookie_byte, VMC_PULSE_COOKIE_SIZE);
    return sizeof head + VMC_PULSE_COOKIE_SIZE;
}

static void
test_auth_judge(void)
{
    guint8 cookie[VMC_PULSE_COOKIE_SIZE], packet[512 + 64];
    memset(cookie, 0xaa, sizeof cookie);
    gsize size = auth_packet(packet, 0xaa, 7), got = 0;
    guint32 tag = 0;
    gboolean known = FALSE;
    g_assert_cmpuint(size, ==, 296);
    g_assert_cmpint(vmc_pulse_auth_judge(packet, size, cookie, &got, &tag, &known), ==,
                    VMC_PULSE_AUTH_OK);
    g_assert_cmpuint(got, ==, size);
    /* every prefix is "more", never a verdict on half a packet */
    for (gsize n = 0; n < size; n++)
        g_assert_cmpint(vmc_pulse_auth_judge(packet, n, cookie, &got, &tag, &known), ==,
                        VMC_PULSE_AUTH_MORE);
    /* what follows the packet is not part of it */
    memset(packet + size, 'z', 40);
    g_assert_cmpint(vmc_pulse_auth_judge(packet, size + 40, cookie, &got, &tag, &known), ==,
                    VMC_PULSE_AUTH_OK);
    g_assert_cmpuint(got, ==, size);
    /* one byte of the cookie off: refused, with the tag for the answer */
    packet[40 + 255] ^= 1;
    g_assert_cmpint(vmc_pulse_auth_judge(packet, size, cookie, &got, &tag, &known), ==,
                    VMC_PULSE_AUTH_BAD);
    g_assert_true(known);
    g_assert_cmpuint(tag, ==, 7);
}

static void
test_auth_judge_malformed(void)
{
    guint8 cookie[VMC_PULSE_COOKIE_SIZE], packet[512];
    memset(cookie, 0xaa, sizeof cookie);
    gsize got = 0;
    guint32 tag = 0;
    gboolean known = TRUE;
    struct {
        gsize offset;
        guint8 value;
        const char *what;
    } edits[] = {
        {4, 0x00, "a data channel, not a command"},
        {11, 0x01, "an offset"},
        {19, 0x01, "flags"},
        {0, 0x01, "a payload over the bound"},
        {20, 'x', "not a u32 tag first"},
        {24, 9, "another command than AUTH"},
        {35, 'L', "the cookie not an arbitrary"},
        {38, 0x02, "a cookie of another size"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(edits); i++) {
        gsize size = auth_packet(packet, 0xaa, 3);
        packet[edits[i].offset] = edits[i].value;
        g_test_message("%s", edits[i].what);
        g_assert_cmpint(vmc_pulse_auth_judge(packet, size, cookie, &got, &tag, &known), ==,
                        VMC_PULSE_AUTH_BAD);
    }
    /* a payload too short for the cookie it announces */
    gsize size = auth_packet(packet, 0xaa, 3);
    packet[3] = 0x13; /* 275 instead of 276 */
    g_assert_cmpint(vmc_pulse_auth_judge(packet, size - 1, cookie, &got, &tag, &known), ==,
                    VMC_PULSE_AUTH_BAD);
    /* text is not the protocol */
    const char *http = "GET / HTTP/1.0\r\nHost: x\r\n\r\n";
    g_assert_cmpint(
        vmc_pulse_auth_judge((const guint8 *)http, strlen(http), cookie, &got, &tag, &known), ==,
        VMC_PULSE_AUTH_BAD);
    g_assert_false(known);
}

static void
test_auth_refusal(void)
{
    guint8 reply[VMC_PULSE_REFUSAL_SIZE];
    vmc_pulse_auth_refusal(0x01020304, reply);
    static const guint8 expected[VMC_PULSE_REFUSAL_SIZE] = {
        0, 0, 0,   15, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0,   0, 0, 0, 0, 0,
        0, 0, 'L', 0,  0,    0,    0,    'L',  1, 2, 3, 4, 'L', 0, 0, 0, 1};
    g_assert_cmpmem(reply, sizeof reply, expected, sizeof expected);
}

static void
test_server_unix_path(void)
{
    static const struct {
        const char *server, *path;
    } cases[] = {
        {"/run/user/1000/pulse/native", "/run/user/1000/pulse/native"},
        {"unix:/run/user/1000/pulse/native", "/run/user/1000/pulse/native"},
        {"tcp:127.0.0.1:4713", NULL},
        {"localhost", NULL},
        {"{0123abcd}unix:/run/user/1000/pulse/native", NULL},
        {"/a /b", NULL},
        {"unix:relative/native", NULL},
        {"", NULL},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path = vmc_pulse_server_unix_path(cases[i].server);
        g_assert_cmpstr(path, ==, cases[i].path);
    }
    g_autofree char *filler = g_strnfill(120, 'a');
    g_autofree char *long_server = g_strconcat("/", filler, NULL);
    g_assert_null(vmc_pulse_server_unix_path(long_server));
    g_assert_null(vmc_pulse_server_unix_path(NULL));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pulse/cookie-hex/round-trip", test_hex_round_trip);
    g_test_add_func("/pulse/cookie-hex/known", test_hex_known);
    for (gsize i = 0; i < G_N_ELEMENTS(hex_rejects); i++) {
        g_autofree char *path = g_strdup_printf("/pulse/cookie-hex/reject/%s", hex_rejects[i].name);
        g_test_add_data_func(path, &hex_rejects[i], test_hex_rejects);
    }
    g_test_add_func("/pulse/server/kind", test_server_kind);
    g_test_add_func("/pulse/server/describe", test_describe);
    g_test_add_func("/pulse/server/describe-capped", test_describe_capped);
    g_test_add_func("/pulse/module/path-is-safe", test_path_is_safe);
    g_test_add_func("/pulse/module/path-bound", test_path_bound);
    g_test_add_func("/pulse/module/argument", test_module_argument);
    g_test_add_func("/pulse/server/unix-path", test_server_unix_path);
    g_test_add_func("/pulse/auth/judge", test_auth_judge);
    g_test_add_func("/pulse/auth/judge-malformed", test_auth_judge_malformed);
    g_test_add_func("/pulse/auth/refusal", test_auth_refusal);
    g_test_add_func("/pulse/owner/roundtrip", test_owner_roundtrip);
    g_test_add_func("/pulse/owner/rejects", test_owner_rejects);
    g_test_add_func("/pulse/owner/stat-start-time", test_stat_start_time);
    return g_test_run();
}
