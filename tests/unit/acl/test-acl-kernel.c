/* test-acl-kernel.c — the proof: vmc_acl_check() agrees with the kernel.
 *
 * Random owners, modes and ACLs on real files; random (uid, gid, groups)
 * subjects, each in a child that took those credentials and asks the kernel
 * with faccessat(). Every answer must match vmc_acl_check(). Runs as root;
 * VMC_ACL_SEED=N replays a run.
 */
#include "acl-priv.h"

#include <acl/libacl.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define N_FILES 1000
#define N_SUBJECTS 120
#define MIN_CASES 100000
#define POOL 6
#define UID_BASE 10001u
#define GID_BASE 20001u
#define UID_OUTSIDE 10099u
#define GID_OUTSIDE 20099u
#define MAX_NAMED 4
#define MAX_REPORTED 10

/* Kernel answers per file, as bits. */
#define KERNEL_RW 1u
#define KERNEL_R 2u
#define KERNEL_ERROR 0x80u

typedef struct {
    char name[16];
    char *text;       /* the ACL set, or the mode for a file without one */
    VmcAcl *expected; /* what was set */
    VmcAcl *acl;      /* read back through vmc_acl_read_pinned() */
} TestFile;

typedef struct {
    uid_t uid;
    gid_t gid;
    gid_t groups[POOL];
    guint n_groups;
} Subject;

typedef struct {
    GRand *rand;
    char *dir;
    int dirfd;
    TestFile files[N_FILES];
    guint cases;
    guint disagreements;
} Run;

/* k distinct ids out of base..base+POOL-1, appended to text and entries. */
static void
add_named(Run *run, GString *text, GArray *entries, VmcAclTag tag, guint32 base)
{
    guint32 pool[POOL];
    for (guint i = 0; i < POOL; i++)
        pool[i] = base + i;
    guint k = g_rand_int_range(run->rand, 0, MAX_NAMED + 1);
    for (guint i = 0; i < k; i++) {
        guint j = g_rand_int_range(run->rand, i, POOL);
        guint32 id = pool[j];
        pool[j] = pool[i];
        VmcAclEntry e = {tag, id, g_rand_int_range(run->rand, 0, 8)};
        g_array_append_val(entries, e);
        g_string_append_printf(text, ",%c:%u:%s", tag == VMC_ACL_TAG_USER ? 'u' : 'g', id,
                               vmc_acl_perm_to_string(e.perm));
    }
}

static void
add_obj(Run *run, GString *text, GArray *entries, VmcAclTag tag, const char *word)
{
    VmcAclEntry e = {tag, 0, g_rand_int_range(run->rand, 0, 8)};
    g_array_append_val(entries, e);
    g_string_append_printf(text, "%s%s::%s", text->len > 0 ? "," : "", word,
                           vmc_acl_perm_to_string(e.perm));
}

/* A random valid extended ACL, set on path with libacl; returns its text. */
static char *
set_random_acl(Run *run, const char *path, uid_t owner, gid_t group, VmcAcl **ret_expected)
{
    GString *text = g_string_new(NULL);
    g_autoptr(GArray) entries = g_array_new(FALSE, TRUE, sizeof(VmcAclEntry));
    add_obj(run, text, entries, VMC_ACL_TAG_USER_OBJ, "u");
    add_named(run, text, entries, VMC_ACL_TAG_USER, UID_BASE);
    add_obj(run, text, entries, VMC_ACL_TAG_GROUP_OBJ, "g");
    add_named(run, text, entries, VMC_ACL_TAG_GROUP, GID_BASE);
    add_obj(run, text, entries, VMC_ACL_TAG_MASK, "m");
    add_obj(run, text, entries, VMC_ACL_TAG_OTHER, "o");

    g_auto(acl_t) libacl = acl_from_text(text->str);
    if (libacl == NULL || acl_valid(libacl) != 0 || acl_set_file(path, ACL_TYPE_ACCESS, libacl) < 0)
        g_error("cannot set ACL %s on %s: %s", text->str, path, g_strerror(errno));
    g_autoptr(GError) error = NULL;
    *ret_expected =
        vmc_acl_new(owner, group, (VmcAclEntry *)(void *)entries->data, entries->len, &error);
    g_assert_no_error(error);
    return g_string_free(text, FALSE);
}

static void
make_file(Run *run, TestFile *file, guint i)
{
    g_snprintf(file->name, sizeof file->name, "f%04u", i);
    g_autofree char *path = g_build_filename(run->dir, file->name, NULL);
    int fd = openat(run->dirfd, file->name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    g_assert_cmpint(fd, >=, 0);
    uid_t owner = UID_BASE + g_rand_int_range(run->rand, 0, POOL);
    gid_t group = GID_BASE + g_rand_int_range(run->rand, 0, POOL);
    mode_t mode = g_rand_int_range(run->rand, 0, 01000);
    g_assert_cmpint(fchown(fd, owner, group), ==, 0);
    g_assert_cmpint(fchmod(fd, mode), ==, 0);
    close(fd);
    if (g_rand_double(run->rand) < 0.8) {
        file->text = set_random_acl(run, path, owner, group, &file->expected);
    } else {
        file->text = g_strdup_printf("mode %03o", (guint)mode);
        file->expected = vmc_acl_new_from_mode(owner, group, mode);
    }

    /* Read back with the module's reader, through an O_PATH fd as for sockets. */
    g_autoptr(GError) error = NULL;
    int pinned = openat(run->dirfd, file->name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    g_assert_cmpint(pinned, >=, 0);
    file->acl = vmc_acl_read_pinned(pinned, &error);
    g_assert_no_error(error);
    close(pinned);
}

/* The text of what was read, as acl(5) would print it, to compare with what was set. */
static char *
acl_text(const VmcAcl *acl)
{
    static const char *const words[] = {"u:", "u:", "g:", "g:", "m:", "o:"};
    GString *out = g_string_new(NULL);
    for (guint i = 0; i < acl->n_entries; i++) {
        const VmcAclEntry *e = &acl->entries[i];
        gboolean named = e->tag == VMC_ACL_TAG_USER || e->tag == VMC_ACL_TAG_GROUP;
        g_string_append_printf(out, "%s%s", i > 0 ? "," : "", words[e->tag]);
        if (named)
            g_string_append_printf(out, "%u", e->qualifier);
        g_string_append_printf(out, ":%s", vmc_acl_perm_to_string(e->perm));
    }
    return g_string_free(out, FALSE);
}

static void
check_read_back(const TestFile *file)
{
    g_autofree char *want = acl_text(file->expected), *got = acl_text(file->acl);
    g_assert_cmpstr(got, ==, want);
    g_assert_cmpuint(file->acl->owner, ==, file->expected->owner);
    g_assert_cmpuint(file->acl->group, ==, file->expected->group);
}

static void
random_subject(Run *run, Subject *s)
{
    gboolean outside = g_rand_double(run->rand) < 0.15;
    s->uid = outside ? UID_OUTSIDE : UID_BASE + g_rand_int_range(run->rand, 0, POOL);
    outside = g_rand_double(run->rand) < 0.15;
    s->gid = outside ? GID_OUTSIDE : GID_BASE + g_rand_int_range(run->rand, 0, POOL);
    s->n_groups = 0;
    for (guint i = 0; i < POOL; i++) {
        if (g_rand_double(run->rand) < 0.3)
            s->groups[s->n_groups++] = GID_BASE + i;
    }
}

static gboolean
write_all(int fd, const guint8 *buf, gsize n)
{
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return FALSE;
        buf += w;
        n -= (gsize)w;
    }
    return TRUE;
}

static guint8
kernel_answer(int dirfd, const char *name, int mode)
{
    if (faccessat(dirfd, name, mode, 0) == 0)
        return 1;
    return errno == EACCES ? 0 : KERNEL_ERROR;
}

/* In the child: become the subject, ask the kernel about every file, write the answers. */
G_GNUC_NORETURN static void
child_ask_kernel(const Run *run, const Subject *s, guint8 *answers, int out)
{
    if (setgroups(s->n_groups, s->groups) < 0 || setresgid(s->gid, s->gid, s->gid) < 0 ||
        setresuid(s->uid, s->uid, s->uid) < 0)
        _exit(2);
    for (guint i = 0; i < N_FILES; i++) {
        const char *name = run->files[i].name;
        guint8 rw = kernel_answer(run->dirfd, name, R_OK | W_OK);
        guint8 r = kernel_answer(run->dirfd, name, R_OK);
        answers[i] = (guint8)((rw & KERNEL_ERROR) | (r & KERNEL_ERROR) | (rw & 1) | ((r & 1) << 1));
    }
    _exit(write_all(out, answers, N_FILES) ? 0 : 3);
}

/* Forks a child for s; fills answers[N_FILES] with what the kernel said. */
static void
ask_kernel(const Run *run, const Subject *s, guint8 *answers)
{
    int fds[2];
    g_assert_cmpint(pipe2(fds, O_CLOEXEC), ==, 0);
    pid_t pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        close(fds[0]);
        child_ask_kernel(run, s, answers, fds[1]);
    }
    close(fds[1]);
    gsize got = 0;
    while (got < N_FILES) {
        ssize_t r = read(fds[0], answers + got, N_FILES - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (gsize)r;
    }
    close(fds[0]);
    int status;
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || got != N_FILES)
        g_error("the child for uid %u could not take its credentials or answer (status %d)", s->uid,
                status);
}

static char *
subject_text(const Subject *s)
{
    GString *out = g_string_new(NULL);
    g_string_append_printf(out, "uid %u gid %u groups (", s->uid, s->gid);
    for (guint i = 0; i < s->n_groups; i++)
        g_string_append_printf(out, "%s%u", i > 0 ? " " : "", s->groups[i]);
    g_string_append(out, ")");
    return g_string_free(out, FALSE);
}

static void
report(Run *run, const TestFile *file, const Subject *s, guint want, gboolean kernel,
       const VmcAclVerdict *v)
{
    if (++run->disagreements > MAX_REPORTED)
        return;
    g_autofree char *who = subject_text(s), *read = acl_text(file->acl);
    g_autofree char *msg = g_strdup_printf(
        "DISAGREEMENT on %s (owner %u group %u, set: %s; read: %s) for %s asking %s: "
        "kernel %s, vmc_acl_check %s (deciding tag %d, qualifier %u)",
        file->name, file->acl->owner, file->acl->group, file->text, read, who,
        vmc_acl_perm_to_string(want), kernel ? "grants" : "denies",
        v->granted ? "grants" : "denies", v->deciding_tag, v->qualifier);
    g_test_message("%s", msg);
    g_printerr("%s\n", msg);
}

static void
compare_subject(Run *run, const Subject *s, const guint8 *answers)
{
    g_autoptr(VmcIdentity) identity =
        vmc_identity_new("subject", s->uid, s->gid, s->groups, s->n_groups);
    for (guint i = 0; i < N_FILES; i++) {
        const TestFile *file = &run->files[i];
        if (answers[i] & KERNEL_ERROR)
            g_error("faccessat on %s failed other than with EACCES", file->name);
        static const guint wants[] = {VMC_ACL_RW, VMC_ACL_READ};
        for (guint w = 0; w < G_N_ELEMENTS(wants); w++) {
            gboolean kernel = (answers[i] >> w) & 1;
            VmcAclVerdict v = vmc_acl_check(file->acl, identity, wants[w]);
            run->cases++;
            if (v.granted != kernel)
                report(run, file, s, wants[w], kernel, &v);
        }
    }
}

static guint32
pick_seed(void)
{
    const char *env = g_getenv("VMC_ACL_SEED");
    if (env != NULL && *env != '\0')
        return (guint32)g_ascii_strtoull(env, NULL, 10);
    return (guint32)(g_get_real_time() ^ ((gint64)getpid() << 16));
}

static void
remove_files(Run *run)
{
    for (guint i = 0; i < N_FILES; i++) {
        if (run->files[i].name[0] != '\0')
            unlinkat(run->dirfd, run->files[i].name, 0);
        g_free(run->files[i].text);
        vmc_acl_free(run->files[i].expected);
        vmc_acl_free(run->files[i].acl);
    }
    close(run->dirfd);
    g_rmdir(run->dir);
    g_free(run->dir);
}

static void
test_kernel_agreement(void)
{
    if (geteuid() != 0) {
        g_test_skip("needs root: files get random owners and children take random credentials "
                    "(CI runs this as root)");
        return;
    }
    guint32 seed = pick_seed();
    g_test_message("seed %u (replay with VMC_ACL_SEED=%u)", seed, seed);
    printf("# acl-kernel-agreement seed %u (replay with VMC_ACL_SEED=%u)\n", seed, seed);

    g_autoptr(GError) error = NULL;
    Run *run = g_new0(Run, 1);
    run->rand = g_rand_new_with_seed(seed);
    run->dir = g_dir_make_tmp("vmc-acl-kernel-XXXXXX", &error);
    g_assert_no_error(error);
    /* The subjects must reach the files, not list them. */
    g_assert_cmpint(chmod(run->dir, 0711), ==, 0);
    run->dirfd = open(run->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    g_assert_cmpint(run->dirfd, >=, 0);

    for (guint i = 0; i < N_FILES; i++) {
        make_file(run, &run->files[i], i);
        check_read_back(&run->files[i]);
    }
    g_autofree guint8 *answers = g_new0(guint8, N_FILES);
    for (guint n = 0; n < N_SUBJECTS; n++) {
        Subject s;
        random_subject(run, &s);
        ask_kernel(run, &s, answers);
        compare_subject(run, &s, answers);
    }

    guint cases = run->cases, disagreements = run->disagreements;
    remove_files(run);
    g_rand_free(run->rand);
    g_free(run);
    g_test_message("%u cases (%u files x %u subjects x {rw, r}), %u disagreements, seed %u", cases,
                   N_FILES, N_SUBJECTS, disagreements, seed);
    printf("# acl-kernel-agreement: %u cases, %u disagreements, seed %u\n", cases, disagreements,
           seed);
    g_assert_cmpuint(disagreements, ==, 0);
    g_assert_cmpuint(cases, >=, MIN_CASES);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/acl/kernel/agreement", test_kernel_agreement);
    return g_test_run();
}
