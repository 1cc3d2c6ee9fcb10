/* test-lock.c — the console lock: its text, busy, stale, release, listing. */
#include <glib.h>
#include <glib/gstdio.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmc-console.h"
#include "vmc-assert.h"

static VmcLockInfo
sample(const char *session, const char *identity)
{
    return (VmcLockInfo){.session = (char *)session,
                         .identity = (char *)identity,
                         .client = (char *)"192.0.2.7 50123",
                         .since_us = 1764400000000000,
                         .pid = getpid()};
}

static void
test_format_parse(void)
{
    VmcLockInfo info = sample("3f2a", "alice");
    g_autofree char *text = vmc_console_lock_info_format(&info);
    g_autoptr(VmcLockInfo) back = vmc_console_lock_info_parse(text, strlen(text));
    g_assert_nonnull(back);
    g_assert_cmpstr(back->session, ==, "3f2a");
    g_assert_cmpstr(back->identity, ==, "alice");
    g_assert_cmpstr(back->client, ==, "192.0.2.7 50123");
    g_assert_cmpint(back->since_us, ==, info.since_us);
    g_assert_cmpint(back->pid, ==, getpid());
    g_assert_cmpint(back->bytes, ==, 0);

    info.bytes = 1234567890123;
    g_autofree char *with_bytes = vmc_console_lock_info_format(&info);
    g_autoptr(VmcLockInfo) back3 = vmc_console_lock_info_parse(with_bytes, strlen(with_bytes));
    g_assert_cmpint(back3->bytes, ==, 1234567890123);
    const char *older = "session=a\nidentity=b\nsince=1\npid=2\n"; /* before bytes existed */
    g_autoptr(VmcLockInfo) back4 = vmc_console_lock_info_parse(older, strlen(older));
    g_assert_nonnull(back4);
    g_assert_cmpint(back4->bytes, ==, -1);

    info.client = NULL;
    g_autofree char *no_client = vmc_console_lock_info_format(&info);
    g_autoptr(VmcLockInfo) back2 = vmc_console_lock_info_parse(no_client, strlen(no_client));
    g_assert_null(back2->client);
}

static void
test_parse_refuses(void)
{
    const char *bad[] = {
        "",
        "session=a\nidentity=b\nsince=1\n",                          /* no pid */
        "session=a\nidentity=b\nsince=1\npid=0\n",                   /* pid 0 */
        "session=a\nidentity=b\nsince=-1\npid=2\n",                  /* negative time */
        "session=a\nidentity=b\nsince=1\npid=2\nextra=1\n",          /* unknown key */
        "session=a\nsession=c\nidentity=b\nsince=1\npid=2\n",        /* repeated key */
        "session=a\x1b\nidentity=b\nsince=1\npid=2\n",               /* control byte */
        "session=\nidentity=b\nsince=1\npid=2\n",                    /* empty value */
        "session=a\nidentity=b\nsince=1\npid=2\nbytes=-5\n",         /* negative bytes */
        "session=a\nidentity=b\nsince=1\npid=2\nbytes=1\nbytes=2\n", /* repeated */
        "session=a\nidentity=b\nsince=1\npid=2\nbytes=x\n",          /* not a number */
        "garbage",
    };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_test_message("case %u", i);
        g_assert_null(vmc_console_lock_info_parse(bad[i], strlen(bad[i])));
    }
    const char with_nul[] = "session=a\0\nidentity=b\nsince=1\npid=2\n";
    g_assert_null(vmc_console_lock_info_parse(with_nul, sizeof with_nul - 1));
}

static void
test_busy_stale_release(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("vmc-lock-XXXXXX", &error);
    g_assert_no_error(error);
    VmcLockInfo mine = sample("aaaa", "alice");
    VmcLockInfo theirs = sample("bbbb", "bob");

    /* A child takes the lock and holds it until told to go. */
    int go[2];
    int ready[2];
    g_assert_cmpint(pipe(go), ==, 0);
    g_assert_cmpint(pipe(ready), ==, 0);
    pid_t child = fork();
    if (child == 0) {
        VmcLockInfo *holder = NULL, *stale = NULL;
        theirs.pid = getpid();
        VmcConsoleLock *lock =
            vmc_console_lock_acquire(dir, "debianx", &theirs, &holder, &stale, NULL);
        char c = lock != NULL ? 'y' : 'n';
        if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
            _exit(2);
        if (c == 'k')
            _exit(0); /* die holding it: leaves a stale text */
        vmc_console_lock_release(lock);
        _exit(0);
    }
    char c;
    g_assert_cmpint(read(ready[0], &c, 1), ==, 1);
    g_assert_cmpint(c, ==, 'y');

    VmcLockInfo *holder = NULL, *stale = NULL;
    VmcConsoleLock *lock = vmc_console_lock_acquire(dir, "debianx", &mine, &holder, &stale, &error);
    g_assert_no_error(error);
    g_assert_null(lock);
    g_assert_nonnull(holder);
    g_assert_cmpstr(holder->identity, ==, "bob");
    g_assert_cmpint(holder->pid, ==, child);
    vmc_console_lock_info_free(holder);

    g_autoptr(GPtrArray) vms = NULL;
    g_autoptr(GPtrArray) held = vmc_console_locks_held(dir, &vms, NULL);
    g_assert_cmpuint(held->len, ==, 1);
    g_assert_cmpstr(vms->pdata[0], ==, "debianx");

    /* The holder dies without releasing: the next taker sees a stale holder. */
    c = 'k';
    g_assert_cmpint(write(go[1], &c, 1), ==, 1);
    int status;
    g_assert_cmpint(waitpid(child, &status, 0), ==, child);
    holder = NULL;
    lock = vmc_console_lock_acquire(dir, "debianx", &mine, &holder, &stale, &error);
    g_assert_no_error(error);
    g_assert_nonnull(lock);
    g_assert_nonnull(stale);
    g_assert_cmpstr(stale->session, ==, "bbbb");
    vmc_console_lock_info_free(stale);

    /* The holder refreshes its byte count; a reader sees it. */
    mine.bytes = 987654321;
    g_assert_true(vmc_console_lock_update(lock, &mine));
    g_autoptr(GPtrArray) vms_upd = NULL;
    g_autoptr(GPtrArray) held_upd = vmc_console_locks_held(dir, &vms_upd, NULL);
    g_assert_cmpuint(held_upd->len, ==, 1);
    g_assert_cmpint(((VmcLockInfo *)held_upd->pdata[0])->bytes, ==, 987654321);
    vmc_console_lock_release(lock);

    /* Released cleanly: no stale holder, nothing held. */
    stale = NULL;
    lock = vmc_console_lock_acquire(dir, "debianx", &mine, &holder, &stale, &error);
    g_assert_nonnull(lock);
    g_assert_null(stale);
    vmc_console_lock_release(lock);
    g_autoptr(GPtrArray) vms2 = NULL;
    g_autoptr(GPtrArray) held2 = vmc_console_locks_held(dir, &vms2, NULL);
    g_assert_cmpuint(held2->len, ==, 0);

    g_autofree char *path = g_build_filename(dir, "debianx.lock", NULL);
    g_unlink(path);
    g_rmdir(dir);
}

static void
test_missing_run_dir(void)
{
    g_autoptr(GError) error = NULL;
    VmcLockInfo mine = sample("aaaa", "alice");
    VmcLockInfo *holder = NULL, *stale = NULL;
    VmcConsoleLock *lock =
        vmc_console_lock_acquire("/nonexistent/run", "debianx", &mine, &holder, &stale, &error);
    g_assert_null(lock);
    g_assert_null(holder);
    g_assert_nonnull(error);
    vmc_assert_contains(error->message, "the run dir /nonexistent/run");
}

/* max-sessions-per-identity: exactly max slots, each freed by a release
 * or by its holder's death; another uid has its own. */
static void
test_identity_slots(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("vmc-slot-XXXXXX", &error);
    const guint max = 3;
    VmcIdentitySlot *slots[3];
    for (guint i = 0; i < max; i++) {
        slots[i] = vmc_console_slot_acquire(dir, 1000, max, &error);
        g_assert_no_error(error);
        g_assert_nonnull(slots[i]);
    }
    g_assert_null(vmc_console_slot_acquire(dir, 1000, max, &error));
    g_assert_no_error(error); /* full, not an error */
    g_autoptr(VmcIdentitySlot) other = vmc_console_slot_acquire(dir, 1001, max, &error);
    g_assert_nonnull(other);

    vmc_console_slot_release(slots[1]);
    slots[1] = vmc_console_slot_acquire(dir, 1000, max, &error);
    g_assert_nonnull(slots[1]);
    g_assert_null(vmc_console_slot_acquire(dir, 1000, max, &error));

    /* a holder that dies (SIGKILL, a crash) leaves no slot taken */
    vmc_console_slot_release(slots[2]);
    int ready[2];
    g_assert_cmpint(pipe(ready), ==, 0);
    pid_t child = fork();
    if (child == 0) {
        VmcIdentitySlot *slot = vmc_console_slot_acquire(dir, 1000, max, NULL);
        char c = slot != NULL ? 'y' : 'n';
        if (write(ready[1], &c, 1) != 1)
            _exit(2);
        pause();
        _exit(0);
    }
    char c;
    g_assert_cmpint(read(ready[0], &c, 1), ==, 1);
    g_assert_cmpint(c, ==, 'y');
    g_assert_null(vmc_console_slot_acquire(dir, 1000, max, &error));
    kill(child, SIGKILL);
    int status;
    g_assert_cmpint(waitpid(child, &status, 0), ==, child);
    slots[2] = vmc_console_slot_acquire(dir, 1000, max, &error);
    g_assert_nonnull(slots[2]);
    for (guint i = 0; i < max; i++)
        vmc_console_slot_release(slots[i]);

    /* a slot file that is no private file: named, at once */
    g_autofree char *fifo = g_build_filename(dir, "identity-1002.slot-0", NULL);
    g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
    g_assert_null(vmc_console_slot_acquire(dir, 1002, max, &error));
    g_assert_nonnull(error);
    vmc_assert_contains(error->message, "identity-1002.slot-0 is a FIFO");
    g_clear_error(&error);

    /* and a lock file that is none is a problem of the listing, not a hang */
    g_autofree char *lock_fifo = g_build_filename(dir, "vm.lock", NULL);
    g_assert_cmpint(mkfifo(lock_fifo, 0600), ==, 0);
    g_autoptr(GPtrArray) vms = NULL;
    g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) held = vmc_console_locks_held(dir, &vms, problems);
    g_assert_cmpuint(held->len, ==, 0);
    g_assert_cmpuint(problems->len, ==, 1);
    vmc_assert_contains(problems->pdata[0], "vm.lock is a FIFO");
    g_assert_true(vmc_console_remove_tree_at(AT_FDCWD, dir, VMC_FILE_OWNER_ANY));
}

static void
test_session_id(void)
{
    g_autofree char *a = vmc_console_session_id_new();
    g_autofree char *b = vmc_console_session_id_new();
    g_assert_cmpuint(strlen(a), ==, 32);
    g_assert_cmpstr(a, !=, b);
    for (const char *p = a; *p; p++)
        g_assert_true(g_ascii_isxdigit(*p) && !g_ascii_isupper(*p));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/lock/format-parse", test_format_parse);
    g_test_add_func("/lock/parse-refuses", test_parse_refuses);
    g_test_add_func("/lock/busy-stale-release", test_busy_stale_release);
    g_test_add_func("/lock/missing-run-dir", test_missing_run_dir);
    g_test_add_func("/lock/identity-slots", test_identity_slots);
    g_test_add_func("/lock/session-id", test_session_id);
    return g_test_run();
}
