/* denied-file.c — the denied-record limiter's I/O: one state file per
 * identity in the run dir (run-dir/denied-HASH.state), opened without
 * following links and without blocking, checked to be a regular file of
 * this account, flock'ed while it is read, decided on and written back. */
#include "denied-priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define STATE_PREFIX "denied-"
#define STATE_SUFFIX ".state"
#define STATE_HASH_HEX 32 /* hex digits of SHA-256(identity) in the name */

typedef struct {
    int fd;
    char *path;
    VmcDeniedState *state;
} StateFile;

static void
state_file_close(StateFile *file)
{
    if (file->fd >= 0)
        close(file->fd); /* releases the flock */
    g_free(file->path);
    vmc_denied_state_free(file->state);
}

static char *
state_name(const char *identity)
{
    g_autofree char *hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, identity, -1);
    return g_strdup_printf(STATE_PREFIX "%.*s" STATE_SUFFIX, STATE_HASH_HEX, hash);
}

/* flock, waiting at most VMC_DENIED_LOCK_WAIT_MS when wait (else one try). */
static gboolean
lock_file(int fd, gboolean wait)
{
    gint64 deadline = g_get_monotonic_time() + VMC_DENIED_LOCK_WAIT_MS * 1000;
    for (;;) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return TRUE;
        if ((errno != EWOULDBLOCK && errno != EINTR) || !wait || g_get_monotonic_time() >= deadline)
            return FALSE;
        g_usleep(2000);
    }
}

/* The state file's fd: no link followed, no FIFO waited on, a regular file
 * of this account with one name; NULL with error. create: O_CREAT. */
static int
open_state(const char *path, gboolean create, GError **error)
{
    const VmcFileRules rules = {.owner = geteuid(),
                                .max_size = -1,
                                .remedy = "the run dir must belong to the gateway account alone "
                                          "(see vmconsole-gateway(8))"};
    g_autoptr(GError) local = NULL;
    int fd = vmc_file_open(AT_FDCWD, path, path, O_RDWR | (create ? O_CREAT : 0), &rules, &local);
    if (fd < 0)
        g_propagate_prefixed_error(error, g_steal_pointer(&local),
                                   "cannot use the denied-request counts: ");
    return fd;
}

/* Read the locked file's state (a new one when empty; damaged: fresh, said). */
static VmcDeniedState *
read_state(int fd, const char *path, const char *identity)
{
    gsize length = 0;
    g_autofree char *text = vmc_file_read_fd(fd, path, VMC_DENIED_STATE_MAX, &length, NULL);
    gboolean too_long = text == NULL && errno == EFBIG;
    if (!too_long && (text == NULL || length == 0))
        return identity != NULL ? vmc_denied_state_new(identity) : NULL;
    VmcDeniedState *state = text != NULL ? vmc_denied_state_parse(text, length) : NULL;
    if (state != NULL && (identity == NULL || strcmp(state->identity, identity) == 0))
        return state;
    vmc_denied_state_free(state);
    vmc_print_escaped(stderr,
                      "vmconsole-gateway: %s is damaged or not this identity's: its counts start "
                      "anew\n",
                      path);
    return identity != NULL ? vmc_denied_state_new(identity) : NULL;
}

/* Open, lock and read path; FALSE with error (or FALSE quietly when !wait
 * and another gateway holds it). identity NULL: whoever the file names. */
static gboolean
state_file_open(StateFile *file, const char *path, const char *identity, gboolean wait,
                GError **error)
{
    file->fd = open_state(path, identity != NULL, error);
    file->path = g_strdup(path);
    if (file->fd < 0)
        return FALSE;
    if (!lock_file(file->fd, wait)) {
        if (wait)
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_AGAIN,
                        "the denied-request counts %s stayed locked for %d ms", path,
                        VMC_DENIED_LOCK_WAIT_MS);
        return FALSE;
    }
    file->state = read_state(file->fd, path, identity);
    return file->state != NULL;
}

static gboolean
state_file_save(StateFile *file, GError **error)
{
    g_autofree char *text = vmc_denied_state_format(file->state);
    gsize length = strlen(text);
    if (pwrite(file->fd, text, length, 0) != (ssize_t)length || ftruncate(file->fd, length) != 0) {
        int saved = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
                    "cannot write the denied-request counts %s: %s", file->path, g_strerror(saved));
        return FALSE;
    }
    return TRUE;
}

/* The summaries of file's buckets that are due, each cleared once the log
 * took it; FALSE (error set) at the first the log did not take. */
static gboolean
write_summaries(const VmcDeniedContext *context, VmcSessionLog *log, StateFile *file,
                gboolean force, GError **error)
{
    gint64 now_us = g_get_real_time();
    for (guint i = 0; i < file->state->buckets->len; i++) {
        VmcDeniedBucket *b = &g_array_index(file->state->buckets, VmcDeniedBucket, i);
        if (!vmc_denied_bucket_due(b, now_us, force))
            continue;
        g_autoptr(VmcRecord) summary = vmc_denied_summary_record(
            file->state->identity, b, context->account, context->config->denied_per_minute);
        if (!vmc_sessionlog_append(log, summary, error))
            return FALSE; /* the counts stay: written next time */
        vmc_denied_bucket_clear(b);
    }
    return TRUE;
}

/* The record written without the limiter (its state could not be used). */
static gboolean
append_unlimited(VmcSessionLog *log, const VmcRecord *record, const GError *why, GError **error)
{
    if (why != NULL)
        vmc_print_escaped(stderr, "vmconsole-gateway: %s; the denied record is written unlimited\n",
                          why->message);
    return vmc_sessionlog_append(log, record, error);
}

gboolean
vmc_denied_append(const VmcDeniedContext *context, VmcSessionLog *log, const VmcRecord *record,
                  int exit_code, GError **error)
{
    g_return_val_if_fail(context != NULL && log != NULL && record != NULL, FALSE);
    if (strlen(context->identity) > VMC_DENIED_IDENTITY_MAX)
        return append_unlimited(log, record, NULL, error);
    g_autofree char *name = state_name(context->identity);
    g_autofree char *path = g_build_filename(context->config->run_dir, name, NULL);
    g_autoptr(GError) state_error = NULL;
    StateFile file = {-1, NULL, NULL};
    if (!state_file_open(&file, path, context->identity, TRUE, &state_error)) {
        state_file_close(&file);
        return append_unlimited(log, record, state_error, error);
    }
    /* a summary the log did not take stays counted; the request is decided all the same */
    if (!write_summaries(context, log, &file, FALSE, &state_error))
        g_clear_error(&state_error);
    g_autofree char *address = vmc_denied_client_address(context->client);
    gint64 now_us = g_get_real_time();
    VmcDeniedBucket *bucket = vmc_denied_state_bucket(file.state, address, now_us);
    gboolean low = vmc_sessionlog_space_low(log, context->config->log_reserve);
    gboolean ok = TRUE;
    if (vmc_denied_decide(bucket, now_us, context->config->denied_per_minute, low, exit_code) &&
        !vmc_sessionlog_append(log, record, error)) {
        vmc_denied_count_unwritten(bucket, now_us, exit_code); /* the file must add up */
        ok = FALSE;
    }
    if (!state_file_save(&file, &state_error))
        vmc_print_escaped(stderr, "vmconsole-gateway: %s\n", state_error->message);
    state_file_close(&file);
    return ok;
}

/* One state file of the sweep: its pending summaries, if no one holds it. */
static void
sweep_one(const VmcDeniedContext *context, VmcSessionLog *log, const char *path)
{
    g_autoptr(GError) error = NULL;
    StateFile file = {-1, NULL, NULL};
    if (state_file_open(&file, path, NULL, FALSE, &error)) {
        const char *base = strrchr(path, '/');
        g_autofree char *name = state_name(file.state->identity);
        if (base != NULL && strcmp(base + 1, name) == 0 &&
            write_summaries(context, log, &file, TRUE, &error))
            state_file_save(&file, &error);
    }
    if (error != NULL)
        vmc_print_escaped(stderr, "vmconsole-gateway: %s\n", error->message);
    state_file_close(&file);
}

void
vmc_denied_sweep(const VmcDeniedContext *context, VmcSessionLog *log)
{
    g_return_if_fail(context != NULL && log != NULL);
    g_autoptr(GDir) dir = g_dir_open(context->config->run_dir, 0, NULL);
    const char *name;
    guint seen = 0;
    while (dir != NULL && (name = g_dir_read_name(dir)) != NULL && seen < VMC_DENIED_SWEEP_MAX) {
        if (!g_str_has_prefix(name, STATE_PREFIX) || !g_str_has_suffix(name, STATE_SUFFIX))
            continue;
        seen++;
        g_autofree char *path = g_build_filename(context->config->run_dir, name, NULL);
        sweep_one(context, log, path);
    }
}
