/* denied-limit.c — the denied-record limiter's decisions and its state file's
 * text. Pure; denied-file.c does the I/O.
 *
 * State file (text, written only by the gateway account):
 *   vmconsole-denied 1
 *   identity HEX
 *   CLIENT WINDOW_START_US WRITTEN OVER_RATE LOW_SPACE FIRST_US LAST_US E0 .. E9
 *   ...one line per bucket
 */
#include "denied-priv.h"

#include <stdio.h>
#include <string.h>

#define STATE_MAGIC "vmconsole-denied 1"

static void count_suppressed(VmcDeniedBucket *bucket, gint64 now_us, gboolean low_space,
                             int exit_code);
#define BUCKET_FIELDS (7 + VMC_DENIED_EXITS)

VmcDeniedState *
vmc_denied_state_new(const char *identity)
{
    g_return_val_if_fail(identity != NULL, NULL);
    VmcDeniedState *state = g_new0(VmcDeniedState, 1);
    state->identity = g_strdup(identity);
    state->buckets = g_array_new(FALSE, TRUE, sizeof(VmcDeniedBucket));
    return state;
}

void
vmc_denied_state_free(VmcDeniedState *state)
{
    if (state == NULL)
        return;
    g_free(state->identity);
    g_array_unref(state->buckets);
    g_free(state);
}

char *
vmc_denied_state_format(const VmcDeniedState *state)
{
    g_return_val_if_fail(state != NULL, NULL);
    GString *out = g_string_new(STATE_MAGIC "\nidentity ");
    for (const char *p = state->identity; *p != '\0'; p++)
        g_string_append_printf(out, "%02x", (guchar)*p);
    g_string_append_c(out, '\n');
    for (guint i = 0; i < state->buckets->len; i++) {
        const VmcDeniedBucket *b = &g_array_index(state->buckets, VmcDeniedBucket, i);
        g_string_append_printf(out,
                               "%s %" G_GINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
                               " %" G_GUINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT,
                               b->client, b->window_start_us, b->written, b->over_rate,
                               b->low_space, b->first_us, b->last_us);
        for (guint e = 0; e < VMC_DENIED_EXITS; e++)
            g_string_append_printf(out, " %" G_GUINT64_FORMAT, b->exits[e]);
        g_string_append_c(out, '\n');
    }
    return g_string_free(out, FALSE);
}

/* A client field: printable ASCII without spaces, 1..VMC_DENIED_CLIENT_MAX bytes. */
static gboolean
is_client_text(const char *text)
{
    gsize length = strlen(text);
    if (length == 0 || length > VMC_DENIED_CLIENT_MAX)
        return FALSE;
    for (gsize i = 0; i < length; i++)
        if (!g_ascii_isgraph(text[i]))
            return FALSE;
    return TRUE;
}

static gboolean
parse_number(const char *text, gint64 min, gint64 *ret)
{
    gint64 value;
    if (!g_ascii_string_to_signed(text, 10, min, G_MAXINT64, &value, NULL))
        return FALSE;
    *ret = value;
    return TRUE;
}

static gboolean
parse_bucket(const char *line, VmcDeniedBucket *ret)
{
    g_auto(GStrv) fields = g_strsplit(line, " ", BUCKET_FIELDS + 1);
    if (g_strv_length(fields) != BUCKET_FIELDS || !is_client_text(fields[0]))
        return FALSE;
    VmcDeniedBucket b = {0};
    g_strlcpy(b.client, fields[0], sizeof b.client);
    gint64 n[BUCKET_FIELDS - 1];
    for (guint i = 1; i < BUCKET_FIELDS; i++)
        if (!parse_number(fields[i], i == 5 || i == 6 ? -1 : 0, &n[i - 1]))
            return FALSE;
    b.window_start_us = n[0];
    b.written = (guint64)n[1];
    b.over_rate = (guint64)n[2];
    b.low_space = (guint64)n[3];
    b.first_us = n[4];
    b.last_us = n[5];
    for (guint e = 0; e < VMC_DENIED_EXITS; e++)
        b.exits[e] = (guint64)n[6 + e];
    *ret = b;
    return TRUE;
}

/* "identity HEX" back to the identity; NULL when it is not that. */
static char *
parse_identity(const char *line)
{
    if (!g_str_has_prefix(line, "identity "))
        return NULL;
    const char *hex = line + strlen("identity ");
    gsize length = strlen(hex);
    if (length == 0 || length % 2 != 0 || length > 2 * VMC_DENIED_IDENTITY_MAX)
        return NULL;
    GString *identity = g_string_sized_new(length / 2);
    for (gsize i = 0; i < length; i += 2) {
        int high = g_ascii_xdigit_value(hex[i]), low = g_ascii_xdigit_value(hex[i + 1]);
        if (high < 0 || low < 0 || (high == 0 && low == 0)) {
            g_string_free(identity, TRUE);
            return NULL;
        }
        g_string_append_c(identity, (char)(high << 4 | low));
    }
    return g_string_free(identity, FALSE);
}

VmcDeniedState *
vmc_denied_state_parse(const char *text, gsize length)
{
    g_return_val_if_fail(text != NULL || length == 0, NULL);
    if (length == 0 || length > VMC_DENIED_STATE_MAX || memchr(text, '\0', length) != NULL ||
        text[length - 1] != '\n')
        return NULL;
    g_autofree char *copy = g_strndup(text, length - 1);
    g_auto(GStrv) lines = g_strsplit(copy, "\n", VMC_DENIED_CLIENTS_MAX + 4);
    guint n = g_strv_length(lines);
    if (n < 2 || n > VMC_DENIED_CLIENTS_MAX + 3 || strcmp(lines[0], STATE_MAGIC) != 0)
        return NULL;
    g_autofree char *identity = parse_identity(lines[1]);
    if (identity == NULL)
        return NULL;
    g_autoptr(VmcDeniedState) state = vmc_denied_state_new(identity);
    for (guint i = 2; i < n; i++) {
        VmcDeniedBucket b;
        if (!parse_bucket(lines[i], &b))
            return NULL;
        for (guint j = 0; j < state->buckets->len; j++)
            if (strcmp(g_array_index(state->buckets, VmcDeniedBucket, j).client, b.client) == 0)
                return NULL; /* a client twice */
        g_array_append_val(state->buckets, b);
    }
    return g_steal_pointer(&state);
}

char *
vmc_denied_client_address(const char *client)
{
    if (client == NULL)
        return g_strdup(VMC_DENIED_NO_CLIENT);
    g_autofree char *address = g_strndup(client, strcspn(client, " "));
    if (!is_client_text(address) || strcmp(address, VMC_DENIED_OTHERS) == 0 ||
        strcmp(address, VMC_DENIED_NO_CLIENT) == 0)
        return g_strdup(VMC_DENIED_NO_CLIENT);
    return g_steal_pointer(&address);
}

guint64
vmc_denied_bucket_pending(const VmcDeniedBucket *bucket)
{
    g_return_val_if_fail(bucket != NULL, 0);
    return bucket->over_rate + bucket->low_space;
}

static gboolean
window_over(const VmcDeniedBucket *bucket, gint64 now_us)
{
    /* a clock that went back also ends the window */
    return now_us < bucket->window_start_us ||
           now_us - bucket->window_start_us >= VMC_DENIED_WINDOW_S * G_USEC_PER_SEC;
}

gboolean
vmc_denied_bucket_due(const VmcDeniedBucket *bucket, gint64 now_us, gboolean force)
{
    g_return_val_if_fail(bucket != NULL, FALSE);
    return vmc_denied_bucket_pending(bucket) > 0 && (force || window_over(bucket, now_us));
}

static VmcDeniedBucket *
find_bucket(VmcDeniedState *state, const char *client)
{
    for (guint i = 0; i < state->buckets->len; i++) {
        VmcDeniedBucket *b = &g_array_index(state->buckets, VmcDeniedBucket, i);
        if (strcmp(b->client, client) == 0)
            return b;
    }
    return NULL;
}

static void
bucket_init(VmcDeniedBucket *bucket, const char *client)
{
    memset(bucket, 0, sizeof(*bucket));
    g_strlcpy(bucket->client, client, sizeof bucket->client);
    bucket->first_us = bucket->last_us = -1;
}

VmcDeniedBucket *
vmc_denied_state_bucket(VmcDeniedState *state, const char *address, gint64 now_us)
{
    g_return_val_if_fail(state != NULL && address != NULL, NULL);
    VmcDeniedBucket *bucket = find_bucket(state, address);
    if (bucket != NULL)
        return bucket;
    guint own = 0; /* buckets of one address (not the others' bucket) */
    for (guint i = 0; i < state->buckets->len; i++) {
        VmcDeniedBucket *b = &g_array_index(state->buckets, VmcDeniedBucket, i);
        if (strcmp(b->client, VMC_DENIED_OTHERS) == 0)
            continue;
        own++;
        if (vmc_denied_bucket_pending(b) == 0 && window_over(b, now_us)) {
            bucket_init(b, address); /* idle: nothing of it is lost */
            return b;
        }
    }
    if (own >= VMC_DENIED_CLIENTS_MAX)
        address = VMC_DENIED_OTHERS;
    bucket = find_bucket(state, address);
    if (bucket != NULL)
        return bucket;
    VmcDeniedBucket b;
    bucket_init(&b, address);
    g_array_append_val(state->buckets, b);
    return &g_array_index(state->buckets, VmcDeniedBucket, state->buckets->len - 1);
}

gboolean
vmc_denied_decide(VmcDeniedBucket *bucket, gint64 now_us, guint per_minute, gboolean low_space,
                  int exit_code)
{
    g_return_val_if_fail(bucket != NULL, TRUE);
    if (window_over(bucket, now_us)) {
        bucket->window_start_us = now_us;
        bucket->written = 0;
    }
    if (!low_space && bucket->written < per_minute) {
        bucket->written++;
        return TRUE;
    }
    count_suppressed(bucket, now_us, low_space, exit_code);
    return FALSE;
}

static void
count_suppressed(VmcDeniedBucket *bucket, gint64 now_us, gboolean low_space, int exit_code)
{
    if (low_space)
        bucket->low_space++;
    else
        bucket->over_rate++;
    if (bucket->first_us < 0)
        bucket->first_us = now_us;
    bucket->last_us = now_us;
    bucket->exits[exit_code >= 0 && exit_code < VMC_DENIED_EXITS ? exit_code : 1]++;
}

void
vmc_denied_count_unwritten(VmcDeniedBucket *bucket, gint64 now_us, int exit_code)
{
    g_return_if_fail(bucket != NULL);
    if (bucket->written > 0)
        bucket->written--;
    count_suppressed(bucket, now_us, TRUE, exit_code);
}

VmcRecord *
vmc_denied_summary_record(const char *identity, const VmcDeniedBucket *bucket, const char *account,
                          guint per_minute)
{
    g_return_val_if_fail(identity != NULL && bucket != NULL, NULL);
    g_auto(VmcRecordFields) fields = {0};
    vmc_record_fields_init(&fields, VMC_LOG_EVENT_DENIED_SUMMARY);
    VmcRecordDeniedSummary *summary = &fields.denied_summary;
    summary->identity = g_strdup(identity);
    summary->account = g_strdup(account);
    gboolean one_address = strcmp(bucket->client, VMC_DENIED_OTHERS) != 0 &&
                           strcmp(bucket->client, VMC_DENIED_NO_CLIENT) != 0;
    summary->client = one_address ? g_strdup(bucket->client) : NULL;
    if (strcmp(bucket->client, VMC_DENIED_OTHERS) == 0)
        summary->other_clients = VMC_RECORD_FLAG_TRUE;
    summary->suppressed = (gint64)vmc_denied_bucket_pending(bucket);
    summary->over_rate = (gint64)bucket->over_rate;
    summary->low_space = (gint64)bucket->low_space;
    summary->exits = vmc_record_named_new();
    for (guint e = 0; e < VMC_DENIED_EXITS; e++) {
        char code[4];
        g_snprintf(code, sizeof code, "%u", e);
        if (bucket->exits[e] > 0)
            vmc_record_counts_add(summary->exits, code, (gint64)bucket->exits[e]);
    }
    summary->first = bucket->first_us;
    summary->last = bucket->last_us;
    summary->window_s = VMC_DENIED_WINDOW_S;
    summary->limit = per_minute;
    return vmc_record_new_from_fields(&fields);
}

void
vmc_denied_bucket_clear(VmcDeniedBucket *bucket)
{
    g_return_if_fail(bucket != NULL);
    bucket->over_rate = bucket->low_space = 0;
    bucket->first_us = bucket->last_us = -1;
    memset(bucket->exits, 0, sizeof bucket->exits);
}
