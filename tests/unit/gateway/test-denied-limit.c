/* The denied-record limiter: the rate at its bound and across windows, the
 * reserve, buckets per client address up to VMC_DENIED_CLIENTS_MAX and the
 * others' bucket, the state file's text (round trip, damage, bounds), the
 * summary record, and the run dir: a FIFO, a symlink or another owner's
 * file in the state file's place, and gateways in parallel whose records
 * and summaries add up to their requests. */
#include "denied-priv.h"
#include "log-priv.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define S(n) ((gint64)(n)*G_USEC_PER_SEC)
#define T0 S(1800000000)

/* The rate at its bound: per_minute written, the next suppressed; a window
 * later (exactly VMC_DENIED_WINDOW_S) written again; a clock gone back
 * starts a window too. */
static void
test_rate_bound(void)
{
    VmcDeniedBucket b = {.first_us = -1, .last_us = -1};
    for (guint i = 0; i < 3; i++)
        g_assert_true(vmc_denied_decide(&b, T0 + i, 3, FALSE, 3));
    g_assert_false(vmc_denied_decide(&b, T0 + 10, 3, FALSE, 3));
    g_assert_false(vmc_denied_decide(&b, T0 + S(VMC_DENIED_WINDOW_S) - 1, 3, FALSE, 2));
    g_assert_cmpuint(b.over_rate, ==, 2);
    g_assert_cmpuint(b.exits[3], ==, 1);
    g_assert_cmpuint(b.exits[2], ==, 1);
    g_assert_cmpint(b.first_us, ==, T0 + 10);
    g_assert_cmpint(b.last_us, ==, T0 + S(VMC_DENIED_WINDOW_S) - 1);
    g_assert_false(vmc_denied_bucket_due(&b, T0 + S(VMC_DENIED_WINDOW_S) - 1, FALSE));
    g_assert_true(vmc_denied_bucket_due(&b, T0 + S(VMC_DENIED_WINDOW_S) - 1, TRUE));
    g_assert_true(vmc_denied_bucket_due(&b, T0 + S(VMC_DENIED_WINDOW_S), FALSE));
    g_assert_true(vmc_denied_decide(&b, T0 + S(VMC_DENIED_WINDOW_S), 3, FALSE, 3));
    g_assert_cmpuint(b.written, ==, 1);
    g_assert_cmpuint(vmc_denied_bucket_pending(&b), ==, 2);       /* kept until summarised */
    g_assert_true(vmc_denied_decide(&b, T0 - S(1), 3, FALSE, 3)); /* clock went back */
    g_assert_cmpuint(b.written, ==, 1);
    /* an exit code beyond the counted ones is counted as 1 (internal) */
    g_assert_true(vmc_denied_decide(&b, T0 - S(1), 1, TRUE, 42) == FALSE);
    g_assert_cmpuint(b.exits[1], ==, 1);
}

/* Below the reserve nothing is written, whatever the rate; counted apart. */
static void
test_low_space(void)
{
    VmcDeniedBucket b = {.first_us = -1, .last_us = -1};
    for (guint i = 0; i < 5; i++)
        g_assert_false(vmc_denied_decide(&b, T0, 1000, TRUE, 3));
    g_assert_cmpuint(b.low_space, ==, 5);
    g_assert_cmpuint(b.over_rate, ==, 0);
    g_assert_cmpuint(b.written, ==, 0);
    g_assert_true(vmc_denied_decide(&b, T0, 1000, FALSE, 3));
    vmc_denied_count_unwritten(&b, T0, 3); /* the log refused it after all */
    g_assert_cmpuint(b.written, ==, 0);
    g_assert_cmpuint(b.low_space, ==, 6);
    vmc_denied_bucket_clear(&b);
    g_assert_cmpuint(vmc_denied_bucket_pending(&b), ==, 0);
    g_assert_cmpint(b.first_us, ==, -1);
    g_assert_cmpuint(b.exits[3], ==, 0);
}

/* VMC_DENIED_CLIENTS_MAX addresses get buckets of their own, the next ones
 * share the others' bucket; an idle bucket is taken over first. */
static void
test_buckets(void)
{
    g_autoptr(VmcDeniedState) state = vmc_denied_state_new("mallory");
    for (guint i = 0; i < VMC_DENIED_CLIENTS_MAX; i++) {
        g_autofree char *address = g_strdup_printf("192.0.2.%u", i);
        VmcDeniedBucket *b = vmc_denied_state_bucket(state, address, T0);
        g_assert_cmpstr(b->client, ==, address);
        g_assert_true(vmc_denied_decide(b, T0, 1, FALSE, 3));  /* written */
        g_assert_false(vmc_denied_decide(b, T0, 1, FALSE, 3)); /* suppressed */
    }
    VmcDeniedBucket *other = vmc_denied_state_bucket(state, "198.51.100.1", T0);
    g_assert_cmpstr(other->client, ==, VMC_DENIED_OTHERS);
    g_assert_true(vmc_denied_state_bucket(state, "198.51.100.2", T0) == other);
    g_assert_cmpuint(state->buckets->len, ==, VMC_DENIED_CLIENTS_MAX + 1);
    /* a window later, one address's counts summarised: its bucket is idle */
    VmcDeniedBucket *first = vmc_denied_state_bucket(state, "192.0.2.0", T0);
    vmc_denied_bucket_clear(first);
    VmcDeniedBucket *reused = vmc_denied_state_bucket(state, "203.0.113.9", T0 + S(61));
    g_assert_cmpstr(reused->client, ==, "203.0.113.9");
    g_assert_cmpuint(reused->written, ==, 0);
    g_assert_cmpuint(state->buckets->len, ==, VMC_DENIED_CLIENTS_MAX + 1);
}

static void
test_client_address(void)
{
    const char *cases[][2] = {
        {"192.0.2.7 50123", "192.0.2.7"},  {"2001:db8::1 22", "2001:db8::1"},
        {NULL, VMC_DENIED_NO_CLIENT},      {"", VMC_DENIED_NO_CLIENT},
        {"* 1", VMC_DENIED_NO_CLIENT},     {"- 1", VMC_DENIED_NO_CLIENT},
        {"a\x1b b", VMC_DENIED_NO_CLIENT},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *address = vmc_denied_client_address(cases[i][0]);
        g_assert_cmpstr(address, ==, cases[i][1]);
    }
    g_autofree char *long_one = g_strnfill(VMC_DENIED_CLIENT_MAX, 'a');
    g_autofree char *at_bound = vmc_denied_client_address(long_one);
    g_assert_cmpstr(at_bound, ==, long_one);
    g_autofree char *longer = g_strnfill(VMC_DENIED_CLIENT_MAX + 1, 'a');
    g_autofree char *past = vmc_denied_client_address(longer);
    g_assert_cmpstr(past, ==, VMC_DENIED_NO_CLIENT);
}

/* Text and back, with a hostile identity; damage of each kind refused; the
 * bucket count at its bound. */
static void
test_state_text(void)
{
    g_autoptr(VmcDeniedState) state = vmc_denied_state_new("m\x1b \"q\xff");
    for (guint i = 0; i <= VMC_DENIED_CLIENTS_MAX; i++) {
        g_autofree char *address = g_strdup_printf("192.0.2.%u", i);
        VmcDeniedBucket *b = vmc_denied_state_bucket(state, address, T0);
        vmc_denied_decide(b, T0, 0, FALSE, (int)i % VMC_DENIED_EXITS);
    }
    g_assert_cmpuint(state->buckets->len, ==, VMC_DENIED_CLIENTS_MAX + 1);
    g_autofree char *text = vmc_denied_state_format(state);
    g_assert_cmpuint(strlen(text), <=, VMC_DENIED_STATE_MAX);
    g_autoptr(VmcDeniedState) back = vmc_denied_state_parse(text, strlen(text));
    g_assert_nonnull(back);
    g_assert_cmpstr(back->identity, ==, state->identity);
    g_assert_cmpuint(back->buckets->len, ==, state->buckets->len);
    g_assert_cmpmem(back->buckets->data, back->buckets->len * sizeof(VmcDeniedBucket),
                    state->buckets->data, state->buckets->len * sizeof(VmcDeniedBucket));
    /* one bucket more than a file may hold */
    g_autofree char *more =
        g_strconcat(text, "198.51.100.1 0 0 0 0 -1 -1 0 0 0 0 0 0 0 0 0 0\n", NULL);
    g_assert_null(vmc_denied_state_parse(more, strlen(more)));

    const char *damaged[] = {
        "",
        "vmconsole-denied 1\n",
        "vmconsole-denied 2\nidentity 61\n",
        "vmconsole-denied 1\nidentity 61",
        "vmconsole-denied 1\nidentity 6\n",
        "vmconsole-denied 1\nidentity 6100\n",
        "vmconsole-denied 1\nidentity zz\n",
        "vmconsole-denied 1\nidentity 61\na 0 0 0 0 -1 -1 0 0 0 0 0 0 0 0 0\n",
        "vmconsole-denied 1\nidentity 61\na 0 0 -1 0 -1 -1 0 0 0 0 0 0 0 0 0 0\n",
        "vmconsole-denied 1\nidentity 61\na 0 0 0 0 -2 -1 0 0 0 0 0 0 0 0 0 0\n",
        "vmconsole-denied 1\nidentity 61\na 0 0 0 0 -1 -1 0 0 0 0 0 0 0 0 0 0 0\n",
        "vmconsole-denied 1\nidentity 61\na 0 0 x 0 -1 -1 0 0 0 0 0 0 0 0 0 0\n",
        "vmconsole-denied 1\nidentity 61\na 0 0 0 0 -1 -1 0 0 0 0 0 0 0 0 0 0\n"
        "a 0 0 0 0 -1 -1 0 0 0 0 0 0 0 0 0 0\n",
        "vmconsole-denied 1\nidentity 61\n\n",
        "vmconsole-denied 1\nidentity 61\n 0 0 0 0 -1 -1 0 0 0 0 0 0 0 0 0 0\n",
    };
    for (guint i = 0; i < G_N_ELEMENTS(damaged); i++)
        if (vmc_denied_state_parse(damaged[i], strlen(damaged[i])) != NULL)
            g_error("damaged state %u was read: %s", i, damaged[i]);
    g_autofree char *big = g_strnfill(VMC_DENIED_STATE_MAX + 1, '\n');
    g_assert_null(vmc_denied_state_parse(big, strlen(big)));
}

static void
test_summary_record(void)
{
    VmcDeniedBucket b = {.client = "192.0.2.7", .first_us = -1, .last_us = -1};
    vmc_denied_decide(&b, T0, 0, FALSE, 2);
    vmc_denied_decide(&b, T0 + S(5), 0, TRUE, 3);
    vmc_denied_decide(&b, T0 + S(9), 0, FALSE, 3);
    g_autoptr(VmcRecord) record = vmc_denied_summary_record("mallory", &b, "vmconsole", 30);
    g_autofree char *line = vmc_record_to_line(record, NULL);
    g_autoptr(GString) scratch = g_string_new(NULL);
    VmcLogEntry e;
    g_assert_true(vmc_log_entry_parse(line, strlen(line) - 1, scratch, &e));
    g_assert_cmpint(e.event, ==, VMC_LOG_EVENT_DENIED_SUMMARY);
    g_assert_cmpstr(e.identity, ==, "mallory");
    g_assert_cmpstr(e.client, ==, "192.0.2.7");
    g_assert_cmpint(e.suppressed, ==, 3);
    g_assert_cmpint(e.first_us, ==, T0);
    JsonObject *o = vmc_record_get_object(record);
    g_assert_cmpint(json_object_get_int_member(o, vmc_record_names.over_rate), ==, 2);
    g_assert_cmpint(json_object_get_int_member(o, vmc_record_names.low_space), ==, 1);
    JsonObject *exits = json_object_get_object_member(o, vmc_record_names.exits);
    g_assert_cmpint(json_object_get_int_member(exits, "2"), ==, 1);
    g_assert_cmpint(json_object_get_int_member(exits, "3"), ==, 2);
    g_assert_cmpuint(json_object_get_size(exits), ==, 2);
    g_assert_cmpstr(json_object_get_string_member(o, vmc_record_names.last), ==,
                    "2027-01-15T08:00:09.000Z");
    g_assert_cmpint(json_object_get_int_member(o, "window_s"), ==, VMC_DENIED_WINDOW_S);
    g_assert_cmpint(json_object_get_int_member(o, "limit"), ==, 30);
    g_autofree char *summary = vmc_record_summary(record);
    g_assert_true(g_str_has_prefix(summary, "denied-summary identity=mallory account=vmconsole "
                                            "client=192.0.2.7 suppressed=3"));
}

/* ---- the run dir ---- */

typedef struct {
    char *dir;
    VmcConfig *config;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
    f->dir = g_dir_make_tmp("vmc-denied-XXXXXX", NULL);
    g_assert_nonnull(f->dir);
    f->config = vmc_config_new_default();
    g_free(f->config->run_dir);
    f->config->run_dir = g_strdup(f->dir);
    g_free(f->config->log);
    f->config->log = g_build_filename(f->dir, "sessions.jsonl", NULL);
    f->config->denied_per_minute = 5;
    f->config->log_reserve = 0;
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
    g_autoptr(GDir) dir = g_dir_open(f->dir, 0, NULL);
    const char *name;
    while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *p = g_build_filename(f->dir, name, NULL);
        g_assert_cmpint(remove(p), ==, 0);
    }
    g_assert_cmpint(rmdir(f->dir), ==, 0);
    vmc_config_free(f->config);
    g_free(f->dir);
}

/* n denied requests of identity from client; returns how many the limiter
 * reported as accounted for (all, unless the log failed). */
static guint
deny_n(Fixture *f, const char *identity, const char *client, guint n)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcSessionLog) log = vmc_sessionlog_open(f->config->log, &error);
    g_assert_no_error(error);
    vmc_sessionlog_set_mirror(log, NULL, NULL);
    VmcDeniedContext context = {f->config, identity, "vmconsole", client};
    guint ok = 0;
    for (guint i = 0; i < n; i++) {
        g_auto(VmcRecordFields) denied = {0};
        vmc_record_fields_init(&denied, VMC_LOG_EVENT_DENIED);
        denied.denied.identity = g_strdup(identity);
        denied.denied.exit = 3;
        g_autoptr(VmcRecord) record = vmc_record_new_from_fields(&denied);
        ok += vmc_denied_append(&context, log, record, 3, NULL);
    }
    return ok;
}

static void
sweep(Fixture *f)
{
    g_autoptr(VmcSessionLog) log = vmc_sessionlog_open(f->config->log, NULL);
    vmc_sessionlog_set_mirror(log, NULL, NULL);
    VmcDeniedContext context = {f->config, "alice", "vmconsole", NULL};
    vmc_denied_sweep(&context, log);
}

/* Denied records plus the summaries' suppressed counts of identity. */
static void
count_log(Fixture *f, const char *identity, guint64 *ret_records, guint64 *ret_suppressed)
{
    g_autoptr(VmcLogReader) reader = vmc_log_reader_open(f->config->log, NULL);
    const VmcLogEntry *e;
    *ret_records = *ret_suppressed = 0;
    while (reader != NULL && (e = vmc_log_reader_next(reader, NULL)) != NULL) {
        if (g_strcmp0(e->identity, identity) != 0)
            continue;
        *ret_records += e->event == VMC_LOG_EVENT_DENIED;
        if (e->event == VMC_LOG_EVENT_DENIED_SUMMARY)
            *ret_suppressed += (guint64)e->suppressed;
    }
    g_assert_nonnull(reader);
    g_assert_cmpuint(vmc_log_reader_get_n_damaged(reader), ==, 0);
}

static void
test_counts_add_up(Fixture *f, gconstpointer data)
{
    g_assert_cmpuint(deny_n(f, "mallory", "192.0.2.7 4000", 23), ==, 23);
    guint64 records, suppressed;
    count_log(f, "mallory", &records, &suppressed);
    g_assert_cmpuint(records, ==, 5);
    g_assert_cmpuint(suppressed, ==, 0); /* pending: the window is not over */
    sweep(f);
    count_log(f, "mallory", &records, &suppressed);
    g_assert_cmpuint(records + suppressed, ==, 23);
    sweep(f); /* nothing pending: nothing more */
    count_log(f, "mallory", &records, &suppressed);
    g_assert_cmpuint(records + suppressed, ==, 23);
}

/* Whatever is in the state file's place — a FIFO (a blocking open would
 * hang), a symlink, a directory — is not used: the record is written
 * unlimited, the gateway does not hang. */
static void
test_hostile_state_file(Fixture *f, gconstpointer data)
{
    g_autofree char *hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, "mallory", -1);
    g_autofree char *name = g_strdup_printf("denied-%.32s.state", hash);
    g_autofree char *path = g_build_filename(f->dir, name, NULL);
    g_autofree char *target = g_build_filename(f->dir, "target", NULL);
    for (guint kind = 0; kind < 3; kind++) {
        if (kind == 0)
            g_assert_cmpint(mkfifo(path, 0600), ==, 0);
        else if (kind == 1)
            g_assert_cmpint(symlink(target, path), ==, 0);
        else
            g_assert_cmpint(mkdir(path, 0700), ==, 0);
        alarm(10);
        g_assert_cmpuint(deny_n(f, "mallory", NULL, 8), ==, 8);
        alarm(0);
        g_assert_false(g_file_test(target, G_FILE_TEST_EXISTS));
        g_assert_cmpint(remove(path), ==, 0);
    }
    guint64 records, suppressed;
    count_log(f, "mallory", &records, &suppressed);
    g_assert_cmpuint(records, ==, 24); /* none limited, none lost */
}

/* A state file of another owner is not read or trusted (as root: chown). */
static void
test_foreign_state_file(Fixture *f, gconstpointer data)
{
    if (geteuid() != 0) {
        g_test_skip("needs root to make a file of another owner");
        return;
    }
    g_autofree char *hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, "mallory", -1);
    g_autofree char *name = g_strdup_printf("denied-%.32s.state", hash);
    g_autofree char *path = g_build_filename(f->dir, name, NULL);
    g_assert_true(g_file_set_contents(path,
                                      "vmconsole-denied 1\nidentity 6d616c6c6f7279\n"
                                      "- 9999999999999999 1000 0 0 -1 -1 0 0 0 0 0 0 0 0 0 0\n",
                                      -1, NULL));
    g_assert_cmpint(chown(path, 65534, 65534), ==, 0);
    g_assert_cmpuint(deny_n(f, "mallory", NULL, 7), ==, 7);
    guint64 records, suppressed;
    count_log(f, "mallory", &records, &suppressed);
    g_assert_cmpuint(records, ==, 7);
}

/* Gateways in parallel: the flock keeps the counts whole. */
static void
test_parallel(Fixture *f, gconstpointer data)
{
    pid_t pids[4];
    for (guint i = 0; i < G_N_ELEMENTS(pids); i++) {
        pids[i] = fork();
        g_assert_cmpint(pids[i], >=, 0);
        if (pids[i] == 0)
            _exit(deny_n(f, "mallory", i % 2 ? "192.0.2.1 1" : "192.0.2.2 2", 60) == 60 ? 0 : 1);
    }
    for (guint i = 0; i < G_N_ELEMENTS(pids); i++) {
        int status = 0;
        g_assert_cmpint(waitpid(pids[i], &status, 0), ==, pids[i]);
        g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    sweep(f);
    guint64 records, suppressed;
    count_log(f, "mallory", &records, &suppressed);
    g_assert_cmpuint(records, ==, 10); /* 5 a minute for each of the two addresses */
    g_assert_cmpuint(records + suppressed, ==, 240);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/denied-limit/rate-bound", test_rate_bound);
    g_test_add_func("/denied-limit/low-space", test_low_space);
    g_test_add_func("/denied-limit/buckets", test_buckets);
    g_test_add_func("/denied-limit/client-address", test_client_address);
    g_test_add_func("/denied-limit/state-text", test_state_text);
    g_test_add_func("/denied-limit/summary-record", test_summary_record);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("/denied-limit/counts-add-up", test_counts_add_up);
    ADD("/denied-limit/hostile-state-file", test_hostile_state_file);
    ADD("/denied-limit/foreign-state-file", test_foreign_state_file);
    ADD("/denied-limit/parallel", test_parallel);
#undef ADD
    return g_test_run();
}
