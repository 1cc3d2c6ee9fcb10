/* sshd-config.c — the effective sshd config for the gateway account
 * (`sshd -T -C user=...` output): what it must and must not allow, and the
 * key files it names. Pure. */
#include "admin-priv.h"

#include <string.h>

#define SSHD_TODO_PREFIX "set in sshd_config (or a Match User block for the account): "

/* A keyword and the values it may have; the first is the one to set. */
typedef struct {
    const char *keyword;
    const char *allowed[3];
    const char *why; /* what a wrong value allows */
    const char *setting;
} SshdRule;

static const SshdRule rules[] = {
    {"allowstreamlocalforwarding",
     {"no", NULL},
     "Unix-socket forwarding is allowed (reaches every socket the account can, "
     "the VM sockets too)",
     "AllowStreamLocalForwarding no"},
    {"allowtcpforwarding",
     {"remote", "no", NULL},
     "local TCP forwarding is allowed (-L reaches the host's loopback)",
     "AllowTcpForwarding remote"},
    {"permitopen", {"none", NULL}, "PermitOpen lets forwards open connections", "PermitOpen none"},
    {"permittty", {"no", NULL}, "a TTY is allowed", "PermitTTY no"},
    {"permituserrc", {"no", NULL}, "~/.ssh/rc runs at login", "PermitUserRC no"},
    {"allowagentforwarding",
     {"no", NULL},
     "agent forwarding is allowed",
     "AllowAgentForwarding no"},
    {"permituserenvironment",
     {"no", NULL},
     "~/.ssh/environment is read",
     "PermitUserEnvironment no"},
    {"x11forwarding",
     {"yes", NULL},
     "X11 forwarding is off: no console can be shown",
     "X11Forwarding yes"},
    {"exposeauthinfo",
     {"yes", NULL},
     "the audit records get no key fingerprint",
     "ExposeAuthInfo yes"},
};

/* Each line "keyword value..." once: calls func(keyword, value, data). */
typedef void (*SshdLineFunc)(const char *keyword, const char *value, gpointer data);

static void
for_each_setting(const char *text, gsize length, SshdLineFunc func, gpointer data)
{
    length = strnlen(text, MIN(length, (gsize)VMC_SSHD_OUTPUT_MAX));
    g_autofree char *copy = g_strndup(text, length);
    g_auto(GStrv) lines = g_strsplit(copy, "\n", VMC_SSHD_MAX_LINES + 1);
    for (guint i = 0; lines[i] != NULL && i < VMC_SSHD_MAX_LINES; i++) {
        char *line = g_strstrip(lines[i]);
        gsize k = strcspn(line, " \t");
        if (k == 0)
            continue;
        char *value = line + k;
        if (*value != '\0')
            *value++ = '\0';
        value += strspn(value, " \t");
        g_autofree char *keyword = g_ascii_strdown(line, -1);
        func(keyword, value, data);
    }
}

typedef struct {
    GHashTable *first;    /* keyword -> first value (owned copies) */
    GPtrArray *acceptenv; /* every AcceptEnv value */
} SshdSettings;

static void
collect_setting(const char *keyword, const char *value, gpointer data)
{
    SshdSettings *settings = data;
    if (strcmp(keyword, "acceptenv") == 0 && value[0] != '\0')
        g_ptr_array_add(settings->acceptenv, g_strdup(value));
    if (!g_hash_table_contains(settings->first, keyword))
        g_hash_table_insert(settings->first, g_strdup(keyword), g_strdup(value));
}

static gboolean
value_allowed(const SshdRule *rule, const char *value)
{
    for (guint i = 0; rule->allowed[i] != NULL; i++)
        if (g_ascii_strcasecmp(rule->allowed[i], value) == 0)
            return TRUE;
    return FALSE;
}

static void
review_rule(const SshdRule *rule, const SshdSettings *settings, const char *where,
            GPtrArray *findings)
{
    const char *value = g_hash_table_lookup(settings->first, rule->keyword);
    g_autofree char *todo = g_strconcat(SSHD_TODO_PREFIX, rule->setting, NULL);
    g_autofree char *place = g_strdup_printf("%s (%s)", where, rule->keyword);
    if (value == NULL)
        vmc_admin_finding_add(findings, "sshd", place, todo,
                              "sshd -T does not report %s, so it cannot be checked", rule->keyword);
    else if (!value_allowed(rule, value))
        vmc_admin_finding_add(findings, "sshd", place, todo, "%s is '%s': %s", rule->keyword, value,
                              rule->why);
}

/* sshd -T prints UnusedConnectionTimeout as "none" or whole seconds. The
 * keys must allow a reverse forward on any port (the launcher's -R 0:…,
 * permitlisten="localhost:*" — OpenSSH has no narrower form that still
 * allows it), and a forward lives as long as its connection: without this
 * timeout a connection that never runs the gateway (ssh -N -R …) holds
 * loopback ports for good, unrecorded. */
static void
review_unused_timeout(const SshdSettings *settings, const char *where, GPtrArray *findings)
{
    const char *value = g_hash_table_lookup(settings->first, "unusedconnectiontimeout");
    g_autofree char *place = g_strdup_printf("%s (unusedconnectiontimeout)", where);
    const char *todo = SSHD_TODO_PREFIX VMC_SSHD_UNUSED_TIMEOUT_SETTING;
    guint64 seconds = 0;
    if (value == NULL) {
        vmc_admin_finding_add(findings, "sshd", place, todo,
                              "sshd -T does not report unusedconnectiontimeout (OpenSSH older "
                              "than 9.2?): a connection that never runs the gateway (ssh -N -R) "
                              "keeps its reverse forwards for good");
        return;
    }
    if (g_ascii_string_to_unsigned(value, 10, 1, VMC_SSHD_UNUSED_TIMEOUT_MAX_S, &seconds, NULL))
        return;
    vmc_admin_finding_add(
        findings, "sshd", place, todo,
        "unusedconnectiontimeout is '%s': a connection with no session "
        "(ssh -N -R ...) keeps reverse forwards on any loopback port >= 1024 "
        "(X11 displays 6010-6999 too) %s, without ever running the gateway: "
        "no record",
        value, strcmp(value, "none") == 0 ? "for as long as it likes" : "for longer than a minute");
}

/* Native mode: each Spice connection of the laptop's viewer is one more
 * exec channel of the connection (up to 6 for a VM with sound, plus
 * usbredir ones), besides the session's own channel; sshd -T prints
 * MaxSessions as a number. */
static void
review_max_sessions(const SshdSettings *settings, const char *where, GPtrArray *findings)
{
    const char *value = g_hash_table_lookup(settings->first, "maxsessions");
    g_autofree char *place = g_strdup_printf("%s (maxsessions)", where);
    g_autofree char *todo =
        g_strdup_printf(SSHD_TODO_PREFIX "MaxSessions %u (or more)", VMC_SSHD_MAX_SESSIONS_NATIVE);
    guint64 n = 0;
    if (value == NULL) {
        vmc_admin_finding_add(findings, "sshd", place, todo,
                              "sshd -T does not report maxsessions, so native mode's needs "
                              "cannot be checked");
        return;
    }
    if (g_ascii_string_to_unsigned(value, 10, VMC_SSHD_MAX_SESSIONS_NATIVE, G_MAXUINT32, &n, NULL))
        return;
    vmc_admin_finding_add(findings, "sshd", place, todo,
                          "maxsessions is '%s': native mode (vmconsole --native) needs one "
                          "channel for the session and one per Spice connection of the viewer "
                          "(%u in all), or the viewer's channels are refused",
                          value, VMC_SSHD_MAX_SESSIONS_NATIVE);
}

void
vmc_admin_sshd_review(const char *text, gsize length, const char *where, GPtrArray *findings)
{
    g_return_if_fail(text != NULL && where != NULL && findings != NULL);
    SshdSettings settings = {
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free),
        g_ptr_array_new_with_free_func(g_free),
    };
    for_each_setting(text, length, collect_setting, &settings);
    for (guint i = 0; i < G_N_ELEMENTS(rules); i++)
        review_rule(&rules[i], &settings, where, findings);
    review_unused_timeout(&settings, where, findings);
    review_max_sessions(&settings, where, findings);
    if (settings.acceptenv->len > 0) {
        g_ptr_array_add(settings.acceptenv, NULL);
        g_autofree char *names = g_strjoinv(" ", (char **)settings.acceptenv->pdata);
        g_autofree char *place = g_strdup_printf("%s (acceptenv)", where);
        vmc_admin_finding_add(findings, "sshd", place,
                              "remove every AcceptEnv line from sshd_config (a Match block "
                              "cannot remove a global one, e.g. Debian's AcceptEnv LANG LC_*)",
                              "AcceptEnv %s: the laptop can set these variables for the gateway",
                              names);
    }
    g_hash_table_unref(settings.first);
    g_ptr_array_unref(settings.acceptenv);
}

typedef struct {
    const char *keyword;
    GPtrArray *values;
} ValueSearch;

static void
collect_values(const char *keyword, const char *value, gpointer data)
{
    ValueSearch *search = data;
    if (strcmp(keyword, search->keyword) != 0)
        return;
    g_auto(GStrv) words = g_strsplit_set(value, " \t", -1);
    for (guint i = 0; words[i] != NULL; i++)
        if (words[i][0] != '\0' && search->values->len < VMC_SSHD_MAX_LINES)
            g_ptr_array_add(search->values, g_strdup(words[i]));
}

GStrv
vmc_admin_sshd_values(const char *text, gsize length, const char *keyword)
{
    g_return_val_if_fail(text != NULL && keyword != NULL, NULL);
    ValueSearch search = {keyword, g_ptr_array_new()};
    for_each_setting(text, length, collect_values, &search);
    g_ptr_array_add(search.values, NULL);
    return (GStrv)g_ptr_array_free(search.values, FALSE);
}

char *
vmc_admin_sshd_expand_keys_path(const char *pattern, const char *home, const char *user,
                                guint32 uid)
{
    g_return_val_if_fail(pattern != NULL && home != NULL && user != NULL, NULL);
    g_autoptr(GString) out = g_string_new(NULL);
    for (const char *p = pattern; *p != '\0'; p++) {
        if (*p != '%') {
            g_string_append_c(out, *p);
            continue;
        }
        switch (*++p) {
        case '%':
            g_string_append_c(out, '%');
            break;
        case 'h':
            g_string_append(out, home);
            break;
        case 'u':
            g_string_append(out, user);
            break;
        case 'U':
            g_string_append_printf(out, "%u", uid);
            break;
        default:
            return NULL; /* also a '%' at the end */
        }
    }
    if (out->len == 0 || out->len > 4095)
        return NULL;
    if (out->str[0] != '/')
        g_string_prepend(g_string_prepend_c(out, '/'), home);
    return g_string_free(g_steal_pointer(&out), FALSE);
}
