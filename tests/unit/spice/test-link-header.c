/* vmc_spice_link_check: a table of link messages (every rule, the bounds on
 * both sides, 32-bit overflows), every incomplete prefix of good ones, and
 * the channel name table. */
#include "vmc-spice.h"

#include <string.h>

#define LINK_BUFFER (VMC_SPICE_LINK_HEADER_SIZE + VMC_SPICE_LINK_MESS_MAX + 64)

typedef struct {
    const char *name;
    const char *magic;
    guint32 major;
    guint32 size;
    guint8 type;
    guint32 n_common;
    guint32 n_channel;
    guint32 caps_offset;
    int expect; /* -1: valid; else a VmcSpiceError */
} LinkCase;

static void
put_le32(guint8 *at, guint32 value)
{
    value = GUINT32_TO_LE(value);
    memcpy(at, &value, sizeof value);
}

/* Write the link message of `c` into buf; returns how many bytes it has
 * (16 + size, cut at the buffer). */
static gsize
make_link(guint8 *buf, const LinkCase *c)
{
    memset(buf, 0xee, LINK_BUFFER);
    memcpy(buf, c->magic, 4);
    put_le32(buf + 4, c->major);
    put_le32(buf + 8, 2);
    put_le32(buf + 12, c->size);
    put_le32(buf + 16, 0x12345678);
    buf[20] = c->type;
    buf[21] = 3;
    put_le32(buf + 22, c->n_common);
    put_le32(buf + 26, c->n_channel);
    put_le32(buf + 30, c->caps_offset);
    return MIN((gsize)VMC_SPICE_LINK_HEADER_SIZE + c->size, (gsize)LINK_BUFFER);
}

static void
default_allowed(gboolean *allowed)
{
    memset(allowed, 0, sizeof(gboolean) * (VMC_SPICE_CHANNEL_MAX + 1));
    for (guint t = VMC_SPICE_CHANNEL_MAIN; t <= VMC_SPICE_CHANNEL_RECORD; t++)
        allowed[t] = TRUE;
}

#define OK -1
#define CAPS_SIZE(n1, n2) (18 + 4 * ((n1) + (n2)))

static const LinkCase link_cases[] = {
    {"main", "REDQ", 2, CAPS_SIZE(1, 1), 1, 1, 1, 18, OK},
    {"display", "REDQ", 2, CAPS_SIZE(1, 1), 2, 1, 1, 18, OK},
    {"inputs", "REDQ", 2, CAPS_SIZE(1, 0), 3, 1, 0, 18, OK},
    {"cursor", "REDQ", 2, CAPS_SIZE(0, 1), 4, 0, 1, 18, OK},
    {"playback", "REDQ", 2, CAPS_SIZE(1, 1), 5, 1, 1, 18, OK},
    {"record", "REDQ", 2, CAPS_SIZE(1, 1), 6, 1, 1, 18, OK},
    {"no-caps", "REDQ", 2, 18, 1, 0, 0, 18, OK},
    /* channels not on the (default) allowlist */
    {"type-0", "REDQ", 2, 18, 0, 0, 0, 18, VMC_SPICE_ERROR_CHANNEL},
    {"tunnel", "REDQ", 2, 18, 7, 0, 0, 18, VMC_SPICE_ERROR_CHANNEL},
    {"smartcard", "REDQ", 2, 18, 8, 0, 0, 18, VMC_SPICE_ERROR_CHANNEL},
    {"usbredir", "REDQ", 2, 18, 9, 0, 0, 18, VMC_SPICE_ERROR_CHANNEL},
    {"port", "REDQ", 2, 18, 10, 0, 0, 18, VMC_SPICE_ERROR_CHANNEL},
    {"webdav", "REDQ", 2, 18, 11, 0, 0, 18, VMC_SPICE_ERROR_CHANNEL},
    {"type-12", "REDQ", 2, 18, 12, 0, 0, 18, VMC_SPICE_ERROR_CHANNEL},
    {"type-255", "REDQ", 2, 18, 255, 0, 0, 18, VMC_SPICE_ERROR_CHANNEL},
    /* magic and version */
    {"magic-redx", "REDX", 2, 18, 1, 0, 0, 18, VMC_SPICE_ERROR_MAGIC},
    {"magic-lower", "redq", 2, 18, 1, 0, 0, 18, VMC_SPICE_ERROR_MAGIC},
    {"magic-nul", "\0EDQ", 2, 18, 1, 0, 0, 18, VMC_SPICE_ERROR_MAGIC},
    {"major-1", "REDQ", 1, 18, 1, 0, 0, 18, VMC_SPICE_ERROR_VERSION},
    {"major-3", "REDQ", 3, 18, 1, 0, 0, 18, VMC_SPICE_ERROR_VERSION},
    {"major-0x102", "REDQ", 0x102, 18, 1, 0, 0, 18, VMC_SPICE_ERROR_VERSION},
    {"major-0x2000002", "REDQ", 0x2000002, 18, 1, 0, 0, 18, VMC_SPICE_ERROR_VERSION},
    /* size bounds */
    {"size-0", "REDQ", 2, 0, 1, 0, 0, 18, VMC_SPICE_ERROR_SIZE},
    {"size-17", "REDQ", 2, 17, 1, 0, 0, 18, VMC_SPICE_ERROR_SIZE},
    {"size-18", "REDQ", 2, 18, 1, 0, 0, 18, OK},
    {"size-4096", "REDQ", 2, 4096, 1, 0, 0, 18, OK},
    {"size-4097", "REDQ", 2, 4097, 1, 0, 0, 18, VMC_SPICE_ERROR_SIZE},
    {"size-0xaaaaaaaa", "REDQ", 2, 0xaaaaaaaa, 1, 0, 0, 18, VMC_SPICE_ERROR_SIZE},
    {"size-max", "REDQ", 2, 0xffffffff, 1, 0, 0, 18, VMC_SPICE_ERROR_SIZE},
    /* caps counts */
    {"caps-1019-fits", "REDQ", 2, CAPS_SIZE(1019, 0), 1, 1019, 0, 18, OK},
    {"caps-common-1024", "REDQ", 2, 4096, 1, 1024, 0, 18, VMC_SPICE_ERROR_CAPS},
    {"caps-common-1025", "REDQ", 2, 4096, 1, 1025, 0, 18, VMC_SPICE_ERROR_CAPS},
    {"caps-channel-1024", "REDQ", 2, 4096, 1, 0, 1024, 18, VMC_SPICE_ERROR_CAPS},
    {"caps-channel-1025", "REDQ", 2, 4096, 1, 0, 1025, 18, VMC_SPICE_ERROR_CAPS},
    {"caps-split-fits", "REDQ", 2, 4096, 1, 512, 507, 18, OK},
    {"caps-split-over", "REDQ", 2, 4096, 1, 512, 508, 18, VMC_SPICE_ERROR_CAPS},
    /* caps offset */
    {"offset-17", "REDQ", 2, 18, 1, 0, 0, 17, VMC_SPICE_ERROR_CAPS},
    {"offset-0", "REDQ", 2, 18, 1, 0, 0, 0, VMC_SPICE_ERROR_CAPS},
    {"offset-18", "REDQ", 2, 22, 1, 1, 0, 18, OK},
    {"offset-exact-end", "REDQ", 2, 100, 1, 2, 3, 80, OK},
    {"offset-end-plus-1", "REDQ", 2, 100, 1, 2, 3, 81, VMC_SPICE_ERROR_CAPS},
    {"offset-at-size", "REDQ", 2, 100, 1, 0, 0, 100, OK},
    {"offset-past-size", "REDQ", 2, 100, 1, 0, 0, 101, VMC_SPICE_ERROR_CAPS},
    /* what 32-bit arithmetic would let through */
    {"overflow-counts", "REDQ", 2, 4096, 1, 0xffffffff, 0xffffffff, 18, VMC_SPICE_ERROR_CAPS},
    {"overflow-count-wrap", "REDQ", 2, 4096, 1, 0x40000000, 0x40000000, 18, VMC_SPICE_ERROR_CAPS},
    {"overflow-offset", "REDQ", 2, 4096, 1, 4, 0, 0xfffffff0, VMC_SPICE_ERROR_CAPS},
    {"overflow-offset-max", "REDQ", 2, 4096, 1, 0, 0, 0xffffffff, VMC_SPICE_ERROR_CAPS},
};

static void
test_table(void)
{
    gboolean allowed[VMC_SPICE_CHANNEL_MAX + 1];
    guint8 buf[LINK_BUFFER];
    default_allowed(allowed);

    for (gsize i = 0; i < G_N_ELEMENTS(link_cases); i++) {
        const LinkCase *c = &link_cases[i];
        g_autoptr(GError) error = NULL;
        VmcSpiceLink link;
        gsize total = 0;
        gsize length = make_link(buf, c);
        g_test_message("case %s", c->name);

        gboolean ok = vmc_spice_link_check(buf, length, allowed, &link, &total, &error);
        if (c->expect == OK) {
            g_assert_no_error(error);
            g_assert_true(ok);
            g_assert_cmpuint(total, ==, VMC_SPICE_LINK_HEADER_SIZE + c->size);
            g_assert_cmpuint(link.major, ==, 2);
            g_assert_cmpuint(link.minor, ==, 2);
            g_assert_cmpuint(link.size, ==, c->size);
            g_assert_cmpuint(link.connection_id, ==, 0x12345678);
            g_assert_cmpuint(link.channel_type, ==, c->type);
            g_assert_cmpuint(link.channel_id, ==, 3);
            g_assert_cmpuint(link.num_common_caps, ==, c->n_common);
            g_assert_cmpuint(link.num_channel_caps, ==, c->n_channel);
            g_assert_cmpuint(link.caps_offset, ==, c->caps_offset);
        } else {
            g_assert_false(ok);
            g_assert_error(error, VMC_SPICE_ERROR, c->expect);
            g_assert_cmpuint(total, ==, 0); /* untouched */
        }
    }
}

/* Every prefix of a good message is INCOMPLETE; every prefix of a bad one
 * is INCOMPLETE or the same error, and the error comes as soon as the field
 * that breaks the rule can no longer be valid. */
static void
test_prefixes(void)
{
    gboolean allowed[VMC_SPICE_CHANNEL_MAX + 1];
    guint8 buf[LINK_BUFFER];
    default_allowed(allowed);

    for (gsize i = 0; i < G_N_ELEMENTS(link_cases); i++) {
        const LinkCase *c = &link_cases[i];
        gsize length = make_link(buf, c);
        gboolean failed = FALSE;
        for (gsize n = 0; n < length; n++) {
            g_autoptr(GError) error = NULL;
            VmcSpiceLink link = {.major = 77};
            gsize total = 99;
            g_assert_false(vmc_spice_link_check(buf, n, allowed, &link, &total, &error));
            g_assert_cmpuint(link.major, ==, 77);
            g_assert_cmpuint(total, ==, 99);
            if (c->expect == OK || !failed) {
                if (g_error_matches(error, VMC_SPICE_ERROR, VMC_SPICE_ERROR_INCOMPLETE))
                    continue;
                g_assert_cmpint(c->expect, !=, OK);
            }
            g_assert_error(error, VMC_SPICE_ERROR, c->expect);
            failed = TRUE;
        }
        if (c->expect != OK) {
            /* a bad field is seen before the whole (claimed) message is in */
            g_assert_true(failed || length <= 34);
        }
    }
}

static void
test_early_errors(void)
{
    gboolean allowed[VMC_SPICE_CHANNEL_MAX + 1];
    default_allowed(allowed);
    static const struct {
        const char *bytes;
        gsize length;
        int expect;
    } cases[] = {
        {"X", 1, VMC_SPICE_ERROR_MAGIC},
        {"RE", 2, -2},
        {"RED", 3, -2},
        {"REDZ", 4, VMC_SPICE_ERROR_MAGIC},
        {"REDQ\x03", 5, VMC_SPICE_ERROR_VERSION},
        {"REDQ\x02\x00\x01", 7, VMC_SPICE_ERROR_VERSION},
        {"REDQ\x02\x00\x00\x00\x02\x00\x00\x00\x01\x20", 14, VMC_SPICE_ERROR_SIZE},
        {"REDQ\x02\x00\x00\x00\x02\x00\x00\x00\x00\x10", 14, -2},
        {"REDQ\x02\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x01", 16, VMC_SPICE_ERROR_SIZE},
        /* the known bad one: REDQ, 2, 2, 0xaaaaaaaa */
        {"REDQ\x02\x00\x00\x00\x02\x00\x00\x00\xaa\xaa\xaa\xaa", 16, VMC_SPICE_ERROR_SIZE},
        {"REDQ\x02\x00\x00\x00\x02\x00\x00\x00\xaa", 13, -2},
        {"REDQ\x02\x00\x00\x00\x02\x00\x00\x00\xaa\xaa", 14, VMC_SPICE_ERROR_SIZE},
        /* channel known at byte 21, before the rest of the message */
        {"REDQ\x02\x00\x00\x00\x02\x00\x00\x00\x20\x00\x00\x00\x00\x00\x00\x00\x09", 21,
         VMC_SPICE_ERROR_CHANNEL},
        /* a caps count over 1024 known from its second byte */
        {"REDQ\x02\x00\x00\x00\x02\x00\x00\x00\x20\x00\x00\x00\x00\x00\x00\x00\x01\x00"
         "\x00\x08",
         24, VMC_SPICE_ERROR_CAPS},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        g_assert_false(vmc_spice_link_check((const guint8 *)cases[i].bytes, cases[i].length,
                                            allowed, NULL, NULL, &error));
        int expect = cases[i].expect == -2 ? (int)VMC_SPICE_ERROR_INCOMPLETE : cases[i].expect;
        g_assert_error(error, VMC_SPICE_ERROR, expect);
    }
    g_autoptr(GError) error = NULL;
    g_assert_false(vmc_spice_link_check(NULL, 0, allowed, NULL, NULL, &error));
    g_assert_error(error, VMC_SPICE_ERROR, VMC_SPICE_ERROR_INCOMPLETE);
}

/* Bytes after the link message (a client that does not wait) are no error. */
static void
test_trailing_bytes(void)
{
    gboolean allowed[VMC_SPICE_CHANNEL_MAX + 1];
    guint8 buf[LINK_BUFFER];
    default_allowed(allowed);
    gsize length = make_link(buf, &link_cases[0]);
    gsize total = 0;
    g_assert_true(vmc_spice_link_check(buf, length + 10, allowed, NULL, &total, NULL));
    g_assert_cmpuint(total, ==, length);
}

static void
test_allowlist(void)
{
    gboolean allowed[VMC_SPICE_CHANNEL_MAX + 1] = {FALSE};
    guint8 buf[LINK_BUFFER];
    allowed[VMC_SPICE_CHANNEL_MAIN] = TRUE;

    LinkCase c = link_cases[0];
    for (guint type = 0; type <= 255; type++) {
        g_autoptr(GError) error = NULL;
        c.type = (guint8)type;
        gsize length = make_link(buf, &c);
        gboolean ok = vmc_spice_link_check(buf, length, allowed, NULL, NULL, &error);
        g_assert_cmpint(ok, ==, type == VMC_SPICE_CHANNEL_MAIN);
        if (!ok)
            g_assert_error(error, VMC_SPICE_ERROR, VMC_SPICE_ERROR_CHANNEL);
    }
}

static void
test_channel_names(void)
{
    static const char *const names[] = {NULL,        "main",     "display", "inputs",
                                        "cursor",    "playback", "record",  "tunnel",
                                        "smartcard", "usbredir", "port",    "webdav"};
    G_STATIC_ASSERT(G_N_ELEMENTS(names) == VMC_SPICE_CHANNEL_MAX + 1);
    for (guint type = 1; type <= VMC_SPICE_CHANNEL_MAX; type++) {
        g_assert_cmpstr(vmc_spice_channel_name(type), ==, names[type]);
        g_assert_cmpuint(vmc_spice_channel_from_name(names[type]), ==, type);
    }
    g_assert_null(vmc_spice_channel_name(0));
    g_assert_null(vmc_spice_channel_name(VMC_SPICE_CHANNEL_MAX + 1));
    g_assert_null(vmc_spice_channel_name(G_MAXUINT));
    g_assert_cmpuint(vmc_spice_channel_from_name(NULL), ==, 0);
    g_assert_cmpuint(vmc_spice_channel_from_name(""), ==, 0);
    g_assert_cmpuint(vmc_spice_channel_from_name("Main"), ==, 0);
    g_assert_cmpuint(vmc_spice_channel_from_name("main "), ==, 0);
    g_assert_cmpuint(vmc_spice_channel_from_name("usb"), ==, 0);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/spice/link-header/table", test_table);
    g_test_add_func("/spice/link-header/prefixes", test_prefixes);
    g_test_add_func("/spice/link-header/early-errors", test_early_errors);
    g_test_add_func("/spice/link-header/trailing-bytes", test_trailing_bytes);
    g_test_add_func("/spice/link-header/allowlist", test_allowlist);
    g_test_add_func("/spice/channel-names", test_channel_names);
    return g_test_run();
}
