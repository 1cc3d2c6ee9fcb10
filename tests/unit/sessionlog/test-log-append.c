/* Appending to the session log: lines, refusals (symlink, directory, FIFO,
 * missing directory), a short write, many writers at once, and the journal
 * entry (its native protocol, parsed back from a real datagram socket). */
#include "vmc-sessionlog.h"
#include "log-priv.h"
#include "record-priv.h"
#include "vmc-assert.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#define WRITERS 8
#define RECORDS_PER_WRITER 200

typedef struct {
    char *dir;
    char *path; /* dir/sessions.jsonl, not created */
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    f->dir = g_dir_make_tmp("vmc-sessionlog-XXXXXX", &error);
    g_assert_no_error(error);
    f->path = g_build_filename(f->dir, "sessions.jsonl", NULL);
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
    g_free(f->path);
    g_free(f->dir);
}

static VmcSessionLog *
open_ok(const char *path)
{
    g_autoptr(GError) error = NULL;
    VmcSessionLog *log = vmc_sessionlog_open(path, &error);
    g_assert_no_error(error);
    g_assert_nonnull(log);
    vmc_sessionlog_set_mirror(log, NULL, NULL); /* no syslog from tests */
    return log;
}

static void
append_ok(VmcSessionLog *log, const VmcRecord *record)
{
    g_autoptr(GError) error = NULL;
    g_assert_true(vmc_sessionlog_append(log, record, &error));
    g_assert_no_error(error);
}

/* The file's lines (without their '\n'); asserts it ends in '\n'. */
static GStrv
read_lines(const char *path)
{
    g_autofree char *contents = NULL;
    gsize len = 0;
    g_autoptr(GError) error = NULL;
    g_assert_true(g_file_get_contents(path, &contents, &len, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(len, >, 0);
    g_assert_cmpint(contents[len - 1], ==, '\n');
    contents[len - 1] = '\0';
    return g_strsplit(contents, "\n", -1);
}

static JsonObject *
parse_object(JsonParser *parser, const char *line)
{
    g_autoptr(GError) error = NULL;
    if (!json_parser_load_from_data(parser, line, -1, &error))
        g_error("unparseable line '%.200s': %s", line, error->message);
    g_assert_true(JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)));
    return json_node_get_object(json_parser_get_root(parser));
}

static void
test_three_records(Fixture *f, gconstpointer data)
{
    static const char *const events[] = {"start", "end", "denied"};
    g_autoptr(VmcSessionLog) log = open_ok(f->path);
    for (gsize i = 0; i < G_N_ELEMENTS(events); i++) {
        g_autoptr(VmcRecord) record = vmc_record_new(events[i]);
        vmc_record_set_string(record, "identity", "bob\nx\x1b\xff");
        append_ok(log, record);
    }

    struct stat st;
    g_assert_cmpint(stat(f->path, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 07777, ==, 0640);

    g_auto(GStrv) lines = read_lines(f->path);
    g_assert_cmpuint(g_strv_length(lines), ==, G_N_ELEMENTS(events));
    for (gsize i = 0; i < G_N_ELEMENTS(events); i++) {
        g_autoptr(JsonParser) parser = json_parser_new();
        JsonObject *object = parse_object(parser, lines[i]);
        g_assert_cmpstr(json_object_get_string_member(object, "event"), ==, events[i]);
        g_assert_cmpstr(json_object_get_string_member(object, "identity"), ==, "bob\nx\x1b\\xff");
    }
}

/* Appends go to the end of what is there, and the file's mode is kept. */
static void
test_existing_file(Fixture *f, gconstpointer data)
{
    g_assert_true(g_file_set_contents(f->path, "{\"v\":1}\n", -1, NULL));
    g_assert_cmpint(chmod(f->path, 0600), ==, 0);
    {
        g_autoptr(VmcSessionLog) log = open_ok(f->path);
        g_autoptr(VmcRecord) record = vmc_record_new("end");
        append_ok(log, record);
    }
    g_auto(GStrv) lines = read_lines(f->path);
    g_assert_cmpuint(g_strv_length(lines), ==, 2);
    g_assert_cmpstr(lines[0], ==, "{\"v\":1}");
    struct stat st;
    g_assert_cmpint(stat(f->path, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 07777, ==, 0600);
}

static void
assert_open_fails(const char *path, const char *cause)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcSessionLog) log = vmc_sessionlog_open(path, &error);
    g_assert_null(log);
    g_assert_error(error, VMC_SESSIONLOG_ERROR, VMC_SESSIONLOG_ERROR_OPEN);
    g_test_message("%s", error->message);
    vmc_assert_contains(error->message, path);
    vmc_assert_contains(error->message, cause);
    vmc_assert_contains(error->message, "vmconsole-admin check");
}

static void
test_refuse_symlink(Fixture *f, gconstpointer data)
{
    g_autofree char *target = g_build_filename(f->dir, "target", NULL);
    g_assert_true(g_file_set_contents(target, "", 0, NULL));
    g_assert_cmpint(symlink(target, f->path), ==, 0);
    assert_open_fails(f->path, "symbolic link");

    /* A dangling symlink must not create its target either. */
    g_assert_cmpint(remove(target), ==, 0);
    assert_open_fails(f->path, "symbolic link");
    g_assert_false(g_file_test(target, G_FILE_TEST_EXISTS));
}

static void
test_refuse_directory(Fixture *f, gconstpointer data)
{
    g_assert_cmpint(mkdir(f->path, 0700), ==, 0);
    assert_open_fails(f->path, g_strerror(EISDIR));
}

static void
test_refuse_fifo(Fixture *f, gconstpointer data)
{
    /* Without a reader, a blocking open would hang here. */
    g_assert_cmpint(mkfifo(f->path, 0600), ==, 0);
    assert_open_fails(f->path, "not a regular file");
}

static void
test_refuse_missing_dir(Fixture *f, gconstpointer data)
{
    g_autofree char *path = g_build_filename(f->dir, "missing", "sessions.jsonl", NULL);
    assert_open_fails(path, g_strerror(ENOENT));
}

/* A short write (file size limit) is an error, is not completed, and the next
 * record starts on a line of its own. In a child: it changes RLIMIT_FSIZE. */
static void
short_write_child(const char *path)
{
    g_autoptr(VmcSessionLog) log = open_ok(path);
    g_autoptr(VmcRecord) record = vmc_record_new("end");
    vmc_record_set_string(record, "reason", "0123456789012345678901234567890123456789");
    append_ok(log, record);

    struct stat st;
    g_assert_cmpint(stat(path, &st), ==, 0);
    struct rlimit old;
    g_assert_cmpint(getrlimit(RLIMIT_FSIZE, &old), ==, 0);
    struct rlimit small = {.rlim_cur = (rlim_t)st.st_size + 10, .rlim_max = old.rlim_max};
    signal(SIGXFSZ, SIG_IGN);
    g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &small), ==, 0);

    g_autoptr(GError) error = NULL;
    g_assert_false(vmc_sessionlog_append(log, record, &error));
    g_assert_error(error, VMC_SESSIONLOG_ERROR, VMC_SESSIONLOG_ERROR_WRITE);
    vmc_assert_contains(error->message, "short write");

    g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &old), ==, 0);
    append_ok(log, record);
}

static void
test_short_write(Fixture *f, gconstpointer data)
{
    pid_t pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        short_write_child(f->path);
        _exit(0);
    }
    int status = 0;
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    g_auto(GStrv) lines = read_lines(f->path);
    g_assert_cmpuint(g_strv_length(lines), ==, 3);
    /* The fragment: the first 10 bytes of the record, alone on its line. */
    g_assert_cmpuint(strlen(lines[1]), ==, 10);
    g_assert_true(g_str_has_prefix(lines[0], lines[1]));
    for (int i = 0; i < 3; i += 2) {
        g_autoptr(JsonParser) parser = json_parser_new();
        JsonObject *object = parse_object(parser, lines[i]);
        g_assert_cmpstr(json_object_get_string_member(object, "event"), ==, "end");
    }
}

/* The mirror seam: every summary line and its priority. */
typedef struct {
    GPtrArray *lines;
    GArray *priorities;
} Mirror;

static void
capture_mirror(int priority, const char *line, gpointer user_data)
{
    Mirror *m = user_data;
    g_ptr_array_add(m->lines, g_strdup(line));
    g_array_append_val(m->priorities, priority);
}

/* The mirror gets every record, also the one the file refused (no room
 * left: RLIMIT_FSIZE stands for a full disk here, a full tmpfs in
 * tests/security/test-log-full.sh), and says so. In a child: it changes
 * RLIMIT_FSIZE. */
static void
mirror_child(const char *path)
{
    Mirror m = {g_ptr_array_new_with_free_func(g_free), g_array_new(FALSE, FALSE, sizeof(int))};
    g_autoptr(VmcSessionLog) log = open_ok(path);
    vmc_sessionlog_set_mirror(log, capture_mirror, &m);
    g_autoptr(VmcRecord) denied = vmc_record_new("denied");
    vmc_record_set_string(denied, "identity", "mallory");
    append_ok(log, denied);
    g_assert_cmpuint(m.lines->len, ==, 1);
    g_assert_cmpint(g_array_index(m.priorities, int, 0), ==, LOG_NOTICE);
    g_assert_true(g_str_has_prefix(m.lines->pdata[0], "denied identity=mallory"));
    vmc_assert_lacks(m.lines->pdata[0], VMC_SESSIONLOG_MIRROR_NOT_IN_FILE);

    struct stat st;
    g_assert_cmpint(stat(path, &st), ==, 0);
    struct rlimit full = {.rlim_cur = (rlim_t)st.st_size, .rlim_max = RLIM_INFINITY};
    signal(SIGXFSZ, SIG_IGN);
    g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &full), ==, 0);
    g_autoptr(VmcRecord) start = vmc_record_new("start");
    vmc_record_set_string(start, "session", "0123abcd");
    vmc_record_set_string(start, "identity", "alice");
    g_autoptr(GError) error = NULL;
    g_assert_false(vmc_sessionlog_append(log, start, &error));
    g_assert_error(error, VMC_SESSIONLOG_ERROR, VMC_SESSIONLOG_ERROR_WRITE);
    g_assert_cmpuint(m.lines->len, ==, 2);
    const char *line = m.lines->pdata[1];
    g_test_message("mirror: %s", line);
    g_assert_cmpint(g_array_index(m.priorities, int, 1), ==, LOG_WARNING);
    g_assert_true(g_str_has_prefix(line, "start session=0123abcd identity=alice"));
    vmc_assert_contains(line, VMC_SESSIONLOG_MIRROR_NOT_IN_FILE " (cannot write to the "
                                                                "session log");
    vmc_assert_contains(line, g_strerror(EFBIG));
    g_ptr_array_unref(m.lines);
    g_array_unref(m.priorities);
}

static void
test_mirror_when_write_fails(Fixture *f, gconstpointer data)
{
    pid_t pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        mirror_child(f->path);
        _exit(0);
    }
    int status = 0;
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ---- the journal ---- */

/* A native-protocol datagram parsed back: KEY=value lines and the binary
 * form (KEY\n, le64 length, value, \n); NULL when it is not well formed
 * (a key repeated too). */
static GHashTable *
parse_journal(const char *data, gsize length)
{
    g_autoptr(GHashTable) fields = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    gsize i = 0;
    while (i < length) {
        const char *end = memchr(data + i, '\n', length - i);
        if (end == NULL)
            return NULL;
        const char *eq = memchr(data + i, '=', (gsize)(end - (data + i)));
        char *key, *value;
        if (eq != NULL) {
            key = g_strndup(data + i, (gsize)(eq - (data + i)));
            value = g_strndup(eq + 1, (gsize)(end - eq - 1));
            i = (gsize)(end - data) + 1;
        } else {
            key = g_strndup(data + i, (gsize)(end - (data + i)));
            i = (gsize)(end - data) + 1;
            guint64 le;
            if (length - i < sizeof le) {
                g_free(key);
                return NULL;
            }
            memcpy(&le, data + i, sizeof le);
            guint64 n = GUINT64_FROM_LE(le);
            i += sizeof le;
            if (n > length - i || length - i - n < 1 || data[i + n] != '\n') {
                g_free(key);
                return NULL;
            }
            value = g_strndup(data + i, (gsize)n);
            i += (gsize)n + 1;
        }
        for (const char *k = key; *k != '\0'; k++)
            g_assert_true(g_ascii_isupper(*k) || g_ascii_isdigit(*k) || *k == '_');
        if (g_hash_table_contains(fields, key)) {
            g_free(key);
            g_free(value);
            return NULL;
        }
        g_hash_table_insert(fields, key, value);
    }
    return g_steal_pointer(&fields);
}

static VmcRecord *
journal_test_record(void)
{
    VmcRecord *end = vmc_record_new("end");
    vmc_record_set_string(end, "session", "0123abcd");
    vmc_record_set_string(end, "identity", "mal\nPRIORITY=0\nzoe");
    vmc_record_set_string(end, "vm", "debianx");
    vmc_record_set_string(end, "reason", "viewer-exit");
    vmc_record_set_int(end, "bytes_total", 186100);
    vmc_record_set_int(end, "duration_s", 4);
    return end;
}

/* The entry's fields; a newline in a value cannot add a field. */
static void
test_journal_entry(void)
{
    g_autoptr(VmcRecord) end = journal_test_record();
    g_autoptr(GBytes) entry = vmc_journal_entry_new(end, LOG_INFO, "end session=0123abcd");
    gsize length = 0;
    const char *data = g_bytes_get_data(entry, &length);
    g_autoptr(GHashTable) fields = parse_journal(data, length);
    g_assert_nonnull(fields);
    const char *const want[][2] = {
        {"MESSAGE", "end session=0123abcd"}, {"PRIORITY", "6"},
        {"SYSLOG_FACILITY", "10"},           {"SYSLOG_IDENTIFIER", "vmconsole"},
        {"VMCONSOLE_EVENT", "end"},          {"VMCONSOLE_HOST", g_get_host_name()},
        {"VMCONSOLE_SESSION", "0123abcd"},   {"VMCONSOLE_IDENTITY", "mal\nPRIORITY=0\nzoe"},
        {"VMCONSOLE_VM", "debianx"},         {"VMCONSOLE_REASON", "viewer-exit"},
        {"VMCONSOLE_BYTES", "186100"},
    };
    for (guint i = 0; i < G_N_ELEMENTS(want); i++)
        g_assert_cmpstr(g_hash_table_lookup(fields, want[i][0]), ==, want[i][1]);
    g_assert_cmpuint(g_hash_table_size(fields), ==, G_N_ELEMENTS(want));
    /* the identity went in the binary form: "VMCONSOLE_IDENTITY\n" + length */
    static const char binary[] = "\nVMCONSOLE_IDENTITY\n\x12\0\0\0\0\0\0\0mal\nPRIORITY=0\nzoe\n";
    g_assert_nonnull(memmem(data, length, binary, sizeof binary - 1));

    /* a denied record: no session, no bytes */
    g_autoptr(VmcRecord) denied = vmc_record_new("denied");
    vmc_record_set_string(denied, "identity", "bob");
    vmc_record_set_string(denied, "reason", "not permitted");
    g_autoptr(GBytes) denied_entry = vmc_journal_entry_new(denied, LOG_NOTICE, "denied");
    data = g_bytes_get_data(denied_entry, &length);
    g_autoptr(GHashTable) denied_fields = parse_journal(data, length);
    g_assert_nonnull(denied_fields);
    g_assert_cmpstr(g_hash_table_lookup(denied_fields, "PRIORITY"), ==, "5");
    g_assert_cmpstr(g_hash_table_lookup(denied_fields, "VMCONSOLE_EVENT"), ==, "denied");
    g_assert_false(g_hash_table_contains(denied_fields, "VMCONSOLE_SESSION"));
    g_assert_false(g_hash_table_contains(denied_fields, "VMCONSOLE_BYTES"));
}

/* A datagram socket standing for the journal's, at dir/journal.sock. */
static int
bind_journal(const char *dir, char **ret_path)
{
    *ret_path = g_build_filename(dir, "journal.sock", NULL);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(fd, >=, 0);
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    g_assert_cmpuint(strlen(*ret_path), <, sizeof address.sun_path);
    strcpy(address.sun_path, *ret_path);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&address, sizeof address), ==, 0);
    return fd;
}

/* The next datagram on fd (waiting at most 5 s), parsed; NULL: none. */
static GHashTable *
receive_journal(int fd)
{
    struct timeval wait = {.tv_sec = 5};
    g_assert_cmpint(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait), ==, 0);
    static char buffer[65536];
    ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    return n > 0 ? parse_journal(buffer, (gsize)n) : NULL;
}

/* In a child (RLIMIT_FSIZE): the default mirror sends each record to the
 * journal's socket, also the one the file refused (PRIORITY 4, and the
 * MESSAGE says so), and nothing goes to the file's absence unnoticed. */
static void
journal_child(const char *dir, const char *path)
{
    g_autofree char *socket_path = NULL;
    int fd = bind_journal(dir, &socket_path);
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcSessionLog) log = vmc_sessionlog_open(path, &error);
    g_assert_no_error(error);
    vmc_sessionlog_set_journal_socket(log, socket_path);

    g_autoptr(VmcRecord) end = journal_test_record();
    append_ok(log, end);
    g_autoptr(GHashTable) fields = receive_journal(fd);
    g_assert_nonnull(fields);
    g_assert_cmpstr(g_hash_table_lookup(fields, "VMCONSOLE_SESSION"), ==, "0123abcd");
    g_assert_cmpstr(g_hash_table_lookup(fields, "PRIORITY"), ==, "6");
    g_assert_true(g_str_has_prefix(g_hash_table_lookup(fields, "MESSAGE"), "end session=0123abcd"));

    struct stat st;
    g_assert_cmpint(stat(path, &st), ==, 0);
    struct rlimit full = {.rlim_cur = (rlim_t)st.st_size, .rlim_max = RLIM_INFINITY};
    signal(SIGXFSZ, SIG_IGN);
    g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &full), ==, 0);
    g_autoptr(VmcRecord) denied = vmc_record_new("denied");
    vmc_record_set_string(denied, "identity", "mallory");
    g_assert_false(vmc_sessionlog_append(log, denied, &error));
    g_autoptr(GHashTable) failed = receive_journal(fd);
    g_assert_nonnull(failed);
    g_assert_cmpstr(g_hash_table_lookup(failed, "VMCONSOLE_IDENTITY"), ==, "mallory");
    g_assert_cmpstr(g_hash_table_lookup(failed, "PRIORITY"), ==, "4");
    g_assert_nonnull(
        strstr(g_hash_table_lookup(failed, "MESSAGE"), VMC_SESSIONLOG_MIRROR_NOT_IN_FILE " ("));
    close(fd);
    g_assert_cmpint(unlink(socket_path), ==, 0);
}

static void
test_journal_socket(Fixture *f, gconstpointer data)
{
    pid_t pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        journal_child(f->dir, f->path);
        _exit(0);
    }
    int status = 0;
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* A custom mirror replaces the journal: nothing is sent to its socket. */
static void
test_journal_not_with_custom_mirror(Fixture *f, gconstpointer data)
{
    g_autofree char *socket_path = NULL;
    int fd = bind_journal(f->dir, &socket_path);
    g_autoptr(VmcSessionLog) log = open_ok(f->path);
    vmc_sessionlog_set_journal_socket(log, socket_path);
    Mirror m = {g_ptr_array_new_with_free_func(g_free), g_array_new(FALSE, FALSE, sizeof(int))};
    vmc_sessionlog_set_mirror(log, capture_mirror, &m);
    g_autoptr(VmcRecord) end = journal_test_record();
    append_ok(log, end);
    g_assert_cmpuint(m.lines->len, ==, 1);
    char byte;
    g_assert_cmpint(recv(fd, &byte, 1, MSG_DONTWAIT), <, 0);
    g_assert_cmpint(errno, ==, EAGAIN);
    close(fd);
    g_ptr_array_unref(m.lines);
    g_array_unref(m.priorities);
}

static void
writer_child(const char *path, int writer)
{
    g_autoptr(VmcSessionLog) log = open_ok(path);
    for (int i = 0; i < RECORDS_PER_WRITER; i++) {
        g_autoptr(VmcRecord) record = vmc_record_new("end");
        vmc_record_set_int(record, "writer", writer);
        vmc_record_set_int(record, "seq", i);
        /* Sizes across page boundaries make torn writes likelier to show. */
        g_autofree char *pad = g_strnfill((gsize)(i * 37 % 1000), (char)('a' + writer));
        vmc_record_set_string(record, "pad", pad);
        append_ok(log, record);
    }
}

static void
test_concurrent(Fixture *f, gconstpointer data)
{
    pid_t pids[WRITERS];
    for (int w = 0; w < WRITERS; w++) {
        pids[w] = fork();
        g_assert_cmpint(pids[w], >=, 0);
        if (pids[w] == 0) {
            writer_child(f->path, w);
            _exit(0);
        }
    }
    for (int w = 0; w < WRITERS; w++) {
        int status = 0;
        g_assert_cmpint(waitpid(pids[w], &status, 0), ==, pids[w]);
        g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }

    g_auto(GStrv) lines = read_lines(f->path);
    g_assert_cmpuint(g_strv_length(lines), ==, WRITERS * RECORDS_PER_WRITER);
    int next_seq[WRITERS] = {0};
    for (char **line = lines; *line != NULL; line++) {
        g_autoptr(JsonParser) parser = json_parser_new();
        JsonObject *object = parse_object(parser, *line);
        gint64 w = json_object_get_int_member(object, "writer");
        gint64 seq = json_object_get_int_member(object, "seq");
        g_assert_cmpint(w, >=, 0);
        g_assert_cmpint(w, <, WRITERS);
        /* Each writer's records in its order, none lost or doubled. */
        g_assert_cmpint(seq, ==, next_seq[w]);
        next_seq[w]++;
        const char *pad = json_object_get_string_member(object, "pad");
        g_assert_cmpuint(strspn(pad, (char[]){(char)('a' + w), '\0'}), ==, strlen(pad));
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    umask(022);

#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("/log-append/three-records", test_three_records);
    ADD("/log-append/existing-file", test_existing_file);
    ADD("/log-append/refuse/symlink", test_refuse_symlink);
    ADD("/log-append/refuse/directory", test_refuse_directory);
    ADD("/log-append/refuse/fifo", test_refuse_fifo);
    ADD("/log-append/refuse/missing-dir", test_refuse_missing_dir);
    ADD("/log-append/short-write", test_short_write);
    ADD("/log-append/mirror-when-write-fails", test_mirror_when_write_fails);
    ADD("/log-append/concurrent", test_concurrent);
    ADD("/log-append/journal/socket", test_journal_socket);
    ADD("/log-append/journal/not-with-custom-mirror", test_journal_not_with_custom_mirror);
    g_test_add_func("/log-append/journal/entry", test_journal_entry);
#undef ADD
    return g_test_run();
}
