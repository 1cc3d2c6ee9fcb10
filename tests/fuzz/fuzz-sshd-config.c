/* fuzz-sshd-config.c — libFuzzer target for the `sshd -T` output review.
 *
 * From the input it builds a good config (every setting the gateway account
 * needs, in an order, letter case and spacing the input picks, then the
 * input's own lines as noise — sshd -T keeps the first value of a keyword,
 * so noise after the settings cannot change them; AcceptEnv noise is
 * dropped) and expects no finding; then the same config with one mistake
 * the input picks (a wrong value, the setting missing, an AcceptEnv line)
 * and expects exactly that finding. The raw input is reviewed as well (no
 * crash, every finding printable), and the AuthorizedKeysFile values are
 * expanded and compared with a reference expansion written here. */
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

/* What the account needs (sshd-config.c's rules), with allowed values and a
 * wrong one for each. */
static const struct {
    const char *keyword;
    const char *good[2];
    const char *bad[2];
} settings[] = {
    {"allowstreamlocalforwarding", {"no", "no"}, {"yes", "all"}},
    {"allowtcpforwarding", {"remote", "no"}, {"yes", "local"}},
    {"permitopen", {"none", "none"}, {"any", "localhost:22"}},
    {"permittty", {"no", "no"}, {"yes", "yes"}},
    {"permituserrc", {"no", "no"}, {"yes", "yes"}},
    {"allowagentforwarding", {"no", "no"}, {"yes", "yes"}},
    {"permituserenvironment", {"no", "no"}, {"yes", "LANG"}},
    {"x11forwarding", {"yes", "yes"}, {"no", "no"}},
    {"exposeauthinfo", {"yes", "yes"}, {"no", "no"}},
    {"unusedconnectiontimeout", {"10", "60"}, {"none", "61"}},
    {"maxsessions", {"10", "8"}, {"7", "1"}},
};
#define N_SETTINGS G_N_ELEMENTS(settings)

typedef struct {
    const uint8_t *p;
    size_t left;
} Input;

static guint8
take(Input *in)
{
    if (in->left == 0)
        return 0;
    in->left--;
    return *in->p++;
}

/* word in a case the input picks (sshd -T prints lower case; case must not matter) */
static void
append_cased(GString *out, const char *word, guint8 bits)
{
    for (guint i = 0; word[i] != '\0'; i++)
        g_string_append_c(out, (bits >> (i % 8)) & 1 ? g_ascii_toupper(word[i]) : word[i]);
}

/* keyword is the first word of line, in any case */
static gboolean
line_sets(const char *line, const char *keyword)
{
    g_autofree char *copy = g_strstrip(g_strdup(line));
    gsize k = strcspn(copy, " \t");
    return k == strlen(keyword) && g_ascii_strncasecmp(copy, keyword, k) == 0;
}

/* The input's remaining bytes as noise lines: no NUL (it would end the
 * text), no AcceptEnv and no left_out keyword, within the review's bounds. */
static void
append_noise(GString *out, Input *in, const char *left_out)
{
    g_autofree char *text = g_strndup((const char *)in->p, MIN(in->left, (size_t)65536));
    g_auto(GStrv) lines = g_strsplit(text, "\n", 1000);
    for (guint i = 0; lines[i] != NULL; i++)
        if (!line_sets(lines[i], "acceptenv") &&
            (left_out == NULL || !line_sets(lines[i], left_out)))
            g_string_append_printf(out, "%s\n", lines[i]);
}

/* planted: -1 none; 0..N-1 a wrong value; N..2N-1 that setting left out;
 * 2N an AcceptEnv line. */
static char *
build_config(Input in, int planted)
{
    guint order[N_SETTINGS];
    for (guint i = 0; i < N_SETTINGS; i++)
        order[i] = i;
    for (guint i = N_SETTINGS - 1; i > 0; i--) {
        guint j = take(&in) % (i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    GString *out = g_string_new(take(&in) & 1 ? "port 22\n" : "");
    for (guint k = 0; k < N_SETTINGS; k++) {
        guint i = order[k];
        guint8 how = take(&in);
        if (planted == (int)(N_SETTINGS + i))
            continue;
        const char *value =
            planted == (int)i ? settings[i].bad[how & 1] : settings[i].good[how & 1];
        append_cased(out, settings[i].keyword, take(&in));
        g_string_append(out, how & 2 ? "\t " : " ");
        append_cased(out, value, take(&in));
        g_string_append(out, how & 4 ? " \r\n" : "\n");
    }
    if (planted == 2 * N_SETTINGS)
        g_string_append(out, "AcceptEnv LANG LC_*\n");
    gboolean omitted = planted >= (int)N_SETTINGS && planted < (int)(2 * N_SETTINGS);
    append_noise(out, &in, omitted ? settings[planted - N_SETTINGS].keyword : NULL);
    return g_string_free(out, FALSE);
}

static GPtrArray *
review(const char *text)
{
    GPtrArray *findings = g_ptr_array_new_with_free_func((GDestroyNotify)vmc_admin_finding_free);
    vmc_admin_sshd_review(text, strlen(text), "fuzz", findings);
    for (guint i = 0; i < findings->len; i++) {
        g_autofree char *line = vmc_admin_finding_format(g_ptr_array_index(findings, i));
        for (const char *p = line; *p != '\0'; p++)
            check(g_ascii_isprint(*p));
    }
    return findings;
}

static void
check_good_and_planted(const uint8_t *data, size_t size)
{
    Input in = {data, size};
    int planted = take(&in) % (2 * N_SETTINGS + 1);
    g_autofree char *good = build_config(in, -1);
    g_autoptr(GPtrArray) none = review(good);
    check(none->len == 0);

    g_autofree char *bad = build_config(in, planted);
    g_autoptr(GPtrArray) one = review(bad);
    check(one->len == 1);
    const VmcAdminFinding *finding = g_ptr_array_index(one, 0);
    const char *keyword =
        planted == 2 * N_SETTINGS ? "acceptenv" : settings[planted % N_SETTINGS].keyword;
    g_autofree char *place = g_strdup_printf("fuzz (%s)", keyword);
    check(strcmp(finding->area, "sshd") == 0 && strcmp(finding->where, place) == 0);
}

/* AuthorizedKeysFile expansion as sshd does it (the reference). */
static char *
expand_reference(const char *pattern)
{
    g_autoptr(GString) out = g_string_new(NULL);
    for (gsize i = 0; pattern[i] != '\0'; i++) {
        if (pattern[i] != '%') {
            g_string_append_c(out, pattern[i]);
            continue;
        }
        const char *by = pattern[i + 1] == '%'   ? "%"
                         : pattern[i + 1] == 'h' ? "/home/v"
                         : pattern[i + 1] == 'u' ? "v"
                         : pattern[i + 1] == 'U' ? "7"
                                                 : NULL;
        if (by == NULL)
            return NULL;
        g_string_append(out, by);
        i++;
    }
    if (out->len == 0 || out->len > 4095)
        return NULL;
    if (out->str[0] != '/')
        g_string_prepend(out, "/home/v/");
    return g_string_free(g_steal_pointer(&out), FALSE);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = g_strndup((const char *)data, size);
    g_autoptr(GPtrArray) findings = review(text);
    g_auto(GStrv) files = vmc_admin_sshd_values(text, size, "authorizedkeysfile");
    for (guint i = 0; files[i] != NULL; i++) {
        g_autofree char *path = vmc_admin_sshd_expand_keys_path(files[i], "/home/v", "v", 7);
        g_autofree char *expected = expand_reference(files[i]);
        check(g_strcmp0(path, expected) == 0);
    }
    check_good_and_planted(data, size);
    return 0;
}
