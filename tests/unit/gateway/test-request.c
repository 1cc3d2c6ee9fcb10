/* test-request.c — the request grammar against tables of good and hostile
 * requests (DESIGN.md "Request grammar"). */
#include <string.h>

#include "request.h"
#include "vmc-assert.h"

#define MESSAGE_MAX 200 /* an error message is at most this many bytes */

typedef struct {
    const char *input;
    VmcRequestKind kind;
    const char *vm;
    gboolean takeover;
    gboolean audio_off;
    guint16 pulse_port;
    gboolean pulse_cookie_stdin;
    const char *canonical;
    gboolean pulse_port_stdin; /* last: the older rows leave it FALSE */
    gboolean microphone;
    gboolean native;
    const char *token;
} GoodCase;

#define TOKEN "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const GoodCase good_cases[] = {
    {"", VMC_REQUEST_HELP, "", FALSE, FALSE, 0, FALSE, "help"},
    {"help", VMC_REQUEST_HELP, "", FALSE, FALSE, 0, FALSE, "help"},
    {"list", VMC_REQUEST_LIST, "", FALSE, FALSE, 0, FALSE, "list"},
    {"version", VMC_REQUEST_VERSION, "", FALSE, FALSE, 0, FALSE, "version"},
    {"debian", VMC_REQUEST_OPEN, "debian", FALSE, FALSE, 0, FALSE, "debian"},
    {"a", VMC_REQUEST_OPEN, "a", FALSE, FALSE, 0, FALSE, "a"},
    {"7", VMC_REQUEST_OPEN, "7", FALSE, FALSE, 0, FALSE, "7"},
    {"Win-11_pro.2", VMC_REQUEST_OPEN, "Win-11_pro.2", FALSE, FALSE, 0, FALSE, "Win-11_pro.2"},
    {"a..b", VMC_REQUEST_OPEN, "a..b", FALSE, FALSE, 0, FALSE, "a..b"},
    {"a.", VMC_REQUEST_OPEN, "a.", FALSE, FALSE, 0, FALSE, "a."},
    {"Help", VMC_REQUEST_OPEN, "Help", FALSE, FALSE, 0, FALSE, "Help"},
    {"lists", VMC_REQUEST_OPEN, "lists", FALSE, FALSE, 0, FALSE, "lists"},
    {"vm --takeover", VMC_REQUEST_OPEN, "vm", TRUE, FALSE, 0, FALSE, "vm --takeover"},
    {"vm --audio=off", VMC_REQUEST_OPEN, "vm", FALSE, TRUE, 0, FALSE, "vm --audio=off"},
    {"vm --pulse=tcp:4713", VMC_REQUEST_OPEN, "vm", FALSE, FALSE, 4713, FALSE,
     "vm --pulse=tcp:4713"},
    {"vm --pulse=tcp:1", VMC_REQUEST_OPEN, "vm", FALSE, FALSE, 1, FALSE, "vm --pulse=tcp:1"},
    {"vm --pulse=tcp:65535", VMC_REQUEST_OPEN, "vm", FALSE, FALSE, 65535, FALSE,
     "vm --pulse=tcp:65535"},
    {"vm --pulse=tcp:10000", VMC_REQUEST_OPEN, "vm", FALSE, FALSE, 10000, FALSE,
     "vm --pulse=tcp:10000"},
    {"vm --pulse=tcp:stdin --pulse-cookie=stdin", VMC_REQUEST_OPEN, "vm", FALSE, FALSE, 0, TRUE,
     "vm --pulse=tcp:stdin --pulse-cookie=stdin", TRUE},
    {"vm --pulse-cookie=stdin --takeover --pulse=tcp:stdin", VMC_REQUEST_OPEN, "vm", TRUE, FALSE, 0,
     TRUE, "vm --takeover --pulse=tcp:stdin --pulse-cookie=stdin", TRUE},
    {"vm --pulse=tcp:stdin", VMC_REQUEST_OPEN, "vm", FALSE, FALSE, 0, FALSE, "vm --pulse=tcp:stdin",
     TRUE},
    {"vm --pulse=tcp:4713 --pulse-cookie=stdin", VMC_REQUEST_OPEN, "vm", FALSE, FALSE, 4713, TRUE,
     "vm --pulse=tcp:4713 --pulse-cookie=stdin"},
    {"vm --pulse-cookie=stdin --pulse=tcp:4713", VMC_REQUEST_OPEN, "vm", FALSE, FALSE, 4713, TRUE,
     "vm --pulse=tcp:4713 --pulse-cookie=stdin"},
    {"vm --audio=off --takeover", VMC_REQUEST_OPEN, "vm", TRUE, TRUE, 0, FALSE,
     "vm --takeover --audio=off"},
    {"vm --pulse-cookie=stdin --takeover --pulse=tcp:34567", VMC_REQUEST_OPEN, "vm", TRUE, FALSE,
     34567, TRUE, "vm --takeover --pulse=tcp:34567 --pulse-cookie=stdin"},
    {"vm --pulse=tcp:stdin --pulse-cookie=stdin --microphone", VMC_REQUEST_OPEN, "vm", FALSE, FALSE,
     0, TRUE, "vm --pulse=tcp:stdin --pulse-cookie=stdin --microphone", TRUE, TRUE},
    {"vm --microphone --pulse=tcp:4713", VMC_REQUEST_OPEN, "vm", FALSE, FALSE, 4713, FALSE,
     "vm --pulse=tcp:4713 --microphone", FALSE, TRUE},
    /* native mode */
    {"vm --native", VMC_REQUEST_OPEN, "vm", FALSE, FALSE, 0, FALSE, "vm --native", FALSE, FALSE,
     TRUE},
    {"vm --native --microphone --takeover", VMC_REQUEST_OPEN, "vm", TRUE, FALSE, 0, FALSE,
     "vm --takeover --microphone --native", FALSE, TRUE, TRUE},
    {"vm --native --audio=off", VMC_REQUEST_OPEN, "vm", FALSE, TRUE, 0, FALSE,
     "vm --audio=off --native", FALSE, FALSE, TRUE},
    {"attach " TOKEN, VMC_REQUEST_ATTACH, "", FALSE, FALSE, 0, FALSE, "attach " TOKEN, FALSE, FALSE,
     FALSE, TOKEN},
    {"attach ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", VMC_REQUEST_ATTACH,
     "", FALSE, FALSE, 0, FALSE,
     "attach ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", FALSE, FALSE, FALSE,
     "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"},
    /* 64 characters: the longest name */
    {"a123456789012345678901234567890123456789012345678901234567890123", VMC_REQUEST_OPEN,
     "a123456789012345678901234567890123456789012345678901234567890123", FALSE, FALSE, 0, FALSE,
     "a123456789012345678901234567890123456789012345678901234567890123"},
};

typedef struct {
    const char *bytes;
    gssize length;        /* -1: strlen(bytes) */
    const char *contains; /* expected in the message, or NULL */
} HostileCase;

#define H(s)                                                                                       \
    {                                                                                              \
        s, -1, NULL                                                                                \
    }
#define HM(s, m)                                                                                   \
    {                                                                                              \
        s, -1, m                                                                                   \
    }
#define HN(s)                                                                                      \
    {                                                                                              \
        s, sizeof(s) - 1, NULL                                                                     \
    }

static const HostileCase hostile_cases[] = {
    /* shell metacharacters, in the name and as options */
    HM("vm;id", "not a VM name"),
    H("vm;"),
    H("vm|id"),
    H("vm&"),
    H("vm&&id"),
    H("$(id)"),
    H("vm$HOME"),
    H("`id`"),
    H("vm>x"),
    H("vm<x"),
    H("(vm)"),
    H("vm*"),
    H("vm?"),
    H("vm!"),
    H("~root"),
    H("{a,b}"),
    H("[a]"),
    H("'vm'"),
    H("\"vm\""),
    H("vm\\"),
    H("vm#x"),
    H("vm ;id"),
    HM("vm --takeover;id", "unknown option"),
    H("vm --takeover |id"),
    H("vm --pulse=tcp:4713;id"),
    H("vm --audio=off&"),
    /* paths and dots */
    H("."),
    H(".."),
    H("../etc"),
    H("/etc/passwd"),
    H("a/b"),
    H(".vm"),
    H("vm/.."),
    /* leading dash */
    H("-x"),
    HM("--help", "not a VM name"),
    H("--takeover"),
    H("-"),
    H("_vm"),
    /* bytes outside printable ASCII */
    HM("vm\x01", "not printable ASCII"),
    H("vm\x1b[31m"),
    H("vm\r"),
    H("vm\n"),
    H("vm\n--takeover"),
    HN("vm\0--takeover"),
    HN("\0"),
    H("vm\x7f"),
    H("d\xc3\xa9"
      "bian"),
    H("vm\t--takeover"),
    H("\xff"),
    /* names */
    HM("a1234567890123456789012345678901234567890123456789012345678901234", "not a VM name"),
    /* options */
    HM("vm --takeover --takeover", "given twice"),
    HM("vm --audio=off --audio=off", "given twice"),
    HM("vm --pulse=tcp:1 --pulse=tcp:2", "twice"),
    HM("vm --pulse=tcp:4713 --pulse=tcp:4713", "twice"),
    HM("vm --pulse=tcp:1 --pulse-cookie=stdin --pulse-cookie=stdin", "given twice"),
    HM("vm --audio=on", "unknown option"),
    HM("vm --pulse=unix:/x", "unknown option"),
    HM("vm --pulse=tcp:stdin --pulse=tcp:stdin", "twice"),
    HM("vm --pulse=tcp:stdin --pulse=tcp:4713", "twice"),
    HM("vm --pulse=tcp:4713 --pulse=tcp:stdin", "twice"),
    HM("vm --audio=off --pulse=tcp:stdin", "conflicts"),
    H("vm --pulse=tcp:STDIN"),
    H("vm --pulse=tcp:stdin2"),
    H("vm --pulse=stdin"),
    H("vm --Takeover"),
    H("vm --takeover=yes"),
    H("vm -t"),
    H("vm takeover"),
    H("vm --"),
    H("vm vm"),
    H("vm --pulse"),
    H("vm --pulse-cookie=file"),
    H("vm --pulse-cookie"),
    /* ports */
    HM("vm --pulse=tcp:0", "bad port"),
    H("vm --pulse=tcp:65536"),
    H("vm --pulse=tcp:99999"),
    H("vm --pulse=tcp:100000"),
    H("vm --pulse=tcp:4294967297"),
    H("vm --pulse=tcp:abc"),
    H("vm --pulse=tcp:0123"),
    H("vm --pulse=tcp:00"),
    H("vm --pulse=tcp:+80"),
    H("vm --pulse=tcp:-1"),
    H("vm --pulse=tcp:"),
    H("vm --pulse=tcp:80x"),
    H("vm --pulse=tcp:0x50"),
    H("vm --pulse=tcp:localhost:80"),
    /* combinations */
    HM("vm --pulse-cookie=stdin", "needs --pulse"),
    HM("vm --microphone", "--microphone needs the sound tunnel"),
    HM("vm --takeover --microphone", "--microphone needs the sound tunnel"),
    HM("vm --pulse=tcp:1 --microphone --microphone", "given twice"),
    HM("vm --pulse=tcp:1 --microphone=yes", "unknown option"),
    HM("vm --pulse=tcp:1 --Microphone", "unknown option"),
    HM("vm --audio=off --microphone", "--microphone needs the sound tunnel"),
    HM("list --microphone", "takes no arguments"),
    HM("vm --audio=off --pulse=tcp:4713", "conflicts"),
    HM("vm --pulse=tcp:4713 --audio=off", "conflicts"),
    HM("vm --audio=off --pulse-cookie=stdin", "conflicts"),
    /* spaces */
    HM("vm  --takeover", "empty word"),
    HM(" vm", "empty word"),
    HM("vm ", "empty word"),
    HM(" ", "empty word"),
    H("  "),
    H("help "),
    /* reserved words */
    HM("list extra", "takes no arguments"),
    HM("help me", "takes no arguments"),
    HM("version 2", "takes no arguments"),
    HM("list --takeover", "cannot be VM names"),
    H("help --audio=off"),
    /* native mode */
    HM("vm --native --native", "given twice"),
    HM("vm --native --pulse=tcp:4713", "--native conflicts"),
    HM("vm --pulse=tcp:stdin --native", "--native conflicts"),
    HM("vm --native --pulse-cookie=stdin", "--native conflicts"),
    HM("vm --native --audio=off --microphone", "conflicts with --audio=off"),
    HM("vm --Native", "unknown option"),
    HM("vm --native=yes", "unknown option"),
    HM("vm native", "unknown option"),
    /* attach: exactly one token of 64 lower-case hex */
    HM("attach", "one token"),
    HM("attach ", "empty word"),
    HM("attach  " TOKEN, "empty word"),
    HM("attach " TOKEN " ", "empty word"),
    HM("attach " TOKEN " --native", "one token"),
    HM("attach " TOKEN " " TOKEN, "one token"),
    HM("attach 0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", "one token"),
    HM("attach 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde", "one token"),
    HM("attach 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0", "one token"),
    HM("attach 0123456789abcdeg0123456789abcdef0123456789abcdef0123456789abcdef", "one token"),
    HM("attach 0x23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "one token"),
    HM("attach --takeover", "one token"),
    HM("attach ../../session-x/token", "one token"),
    HM("attach " TOKEN ";id", "one token"),
    HM("attach\t" TOKEN, "not printable"),
    HN("attach " TOKEN "\0"),
    HM("Attach " TOKEN, "unknown option"),
    HM("attach --native", "one token"),
    HM("list " TOKEN, "takes no arguments"),
};

static gboolean
message_is_safe(const char *message)
{
    for (const char *p = message; *p != '\0'; p++)
        if ((guchar)*p < 0x20 || (guchar)*p >= 0x7f)
            return FALSE;
    return strlen(message) <= MESSAGE_MAX;
}

/* Parse and expect a refusal that leaves the output alone; returns the message. */
static char *
assert_refused(const char *bytes, gsize length)
{
    g_autoptr(GError) error = NULL;
    VmcRequest request, sentinel;
    memset(&request, 0xa5, sizeof request);
    memset(&sentinel, 0xa5, sizeof sentinel);

    g_assert_false(vmc_request_parse(bytes, length, &request, &error));
    g_assert_error(error, VMC_REQUEST_ERROR, VMC_REQUEST_ERROR_INVALID);
    g_assert_cmpmem(&request, sizeof request, &sentinel, sizeof sentinel);
    if (!message_is_safe(error->message))
        g_error("unsafe message for case of %" G_GSIZE_FORMAT " bytes: %zu bytes", length,
                strlen(error->message));
    g_test_message("refused: %s", error->message);
    return g_strdup(error->message);
}

static void
assert_same_request(const VmcRequest *a, const VmcRequest *b)
{
    g_assert_cmpint(a->kind, ==, b->kind);
    g_assert_cmpstr(a->vm, ==, b->vm);
    g_assert_cmpint(a->takeover, ==, b->takeover);
    g_assert_cmpint(a->audio_off, ==, b->audio_off);
    g_assert_cmpuint(a->pulse_port, ==, b->pulse_port);
    g_assert_cmpint(a->pulse_cookie_stdin, ==, b->pulse_cookie_stdin);
    g_assert_cmpint(a->pulse_port_stdin, ==, b->pulse_port_stdin);
    g_assert_cmpint(a->microphone, ==, b->microphone);
    g_assert_cmpint(a->native, ==, b->native);
    g_assert_cmpstr(a->token, ==, b->token);
}

static void
test_good(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(good_cases); i++) {
        const GoodCase *c = &good_cases[i];
        g_autoptr(GError) error = NULL;
        VmcRequest request, again;
        VmcRequest expected = {.kind = c->kind,
                               .takeover = c->takeover,
                               .audio_off = c->audio_off,
                               .pulse_port = c->pulse_port,
                               .pulse_cookie_stdin = c->pulse_cookie_stdin,
                               .pulse_port_stdin = c->pulse_port_stdin,
                               .microphone = c->microphone,
                               .native = c->native};
        g_strlcpy(expected.vm, c->vm, sizeof expected.vm);
        g_strlcpy(expected.token, c->token != NULL ? c->token : "", sizeof expected.token);

        g_test_message("good: '%s'", c->input);
        g_assert_true(vmc_request_parse(c->input, strlen(c->input), &request, &error));
        g_assert_no_error(error);
        assert_same_request(&request, &expected);

        g_autofree char *text = vmc_request_to_string(&request);
        g_assert_cmpstr(text, ==, c->canonical);
        g_assert_true(vmc_request_parse(text, strlen(text), &again, &error));
        g_assert_no_error(error);
        assert_same_request(&again, &expected);
    }
}

static void
test_hostile(void)
{
    g_assert_cmpuint(G_N_ELEMENTS(hostile_cases), >=, 50);
    for (gsize i = 0; i < G_N_ELEMENTS(hostile_cases); i++) {
        const HostileCase *c = &hostile_cases[i];
        gsize length = c->length < 0 ? strlen(c->bytes) : (gsize)c->length;
        g_autofree char *message = assert_refused(c->bytes, length);
        if (c->contains != NULL && strstr(message, c->contains) == NULL)
            g_error("case %" G_GSIZE_FORMAT ": '%s' does not say '%s'", i, message, c->contains);
    }
}

/* More than VMC_REQUEST_MAX_BYTES is refused as too long; exactly that many
 * bytes is checked on its merits (no valid request is that long). */
static void
test_length_bound(void)
{
    g_autofree char *long_name = g_strnfill(VMC_REQUEST_MAX_BYTES + 1, 'a');
    g_autofree char *too_long = assert_refused(long_name, VMC_REQUEST_MAX_BYTES + 1);
    vmc_assert_contains(too_long, "too long");

    /* "vm --takeover --takeover ..." filled to exactly the bound */
    g_autofree char *junk = g_malloc(VMC_REQUEST_MAX_BYTES);
    memset(junk, ' ', VMC_REQUEST_MAX_BYTES);
    memcpy(junk, "vm --takeover --takeover", strlen("vm --takeover --takeover"));
    g_autofree char *at_bound = assert_refused(junk, VMC_REQUEST_MAX_BYTES);
    vmc_assert_lacks(at_bound, "too long");
    vmc_assert_contains(at_bound, "given twice");

    g_autofree char *all_a = assert_refused(long_name, VMC_REQUEST_MAX_BYTES);
    vmc_assert_lacks(all_a, "too long");
    vmc_assert_contains(all_a, "not a VM name");

    /* the bound is checked before any byte is looked at */
    long_name[VMC_REQUEST_MAX_BYTES] = '\x01';
    g_autofree char *binary = assert_refused(long_name, VMC_REQUEST_MAX_BYTES + 1);
    vmc_assert_contains(binary, "too long");
}

/* Quoted input is escaped and capped at 64 bytes plus "...". */
static void
test_quoting(void)
{
    g_autofree char *xs = g_strnfill(300, 'x');
    g_autofree char *long_option = g_strconcat("vm --", xs, NULL);
    g_autofree char *capped = assert_refused(long_option, strlen(long_option));
    g_autofree char *expected = g_strdup_printf("'--%.62s...'", xs);
    vmc_assert_contains(capped, expected);

    g_autofree char *backslash = assert_refused("vm --a\\b", strlen("vm --a\\b"));
    vmc_assert_contains(backslash, "'--a\\\\b'");

    g_autofree char *control = assert_refused("vm\x1b", 3);
    vmc_assert_contains(control, "byte '\\x1b' at offset 2");
    g_autofree char *nul = assert_refused("a\0b", 3);
    vmc_assert_contains(nul, "byte '\\x00' at offset 1");

    /* a token is a secret: a refused attach never quotes it back */
    const char *near = "attach 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeX";
    g_autofree char *attach = assert_refused(near, strlen(near));
    vmc_assert_lacks(attach, "0123456789abcdef");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/request/good", test_good);
    g_test_add_func("/request/hostile", test_hostile);
    g_test_add_func("/request/length-bound", test_length_bound);
    g_test_add_func("/request/quoting", test_quoting);
    return g_test_run();
}
