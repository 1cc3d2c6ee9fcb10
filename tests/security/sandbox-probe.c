/* sandbox-probe — stands in for remote-viewer as the gateway's viewer and
 * tries, from exactly where the gateway runs its viewer, what a viewer taken
 * over through the person's hostile X server would try (DESIGN.md, security
 * model; TEST-STACK.md "The person's X server is hostile"). Not installed;
 * tests/security/test-viewer-probe.sh configures it as `viewer =`.
 *
 * The gateway runs it as
 *
 *   PROBE --spice-disable-usbredir [--spice-disable-audio] spice+unix:///S
 *
 * and the VM's title reaches it as remote-viewer's does: as the guest name
 * (SPICE_MSG_MAIN_NAME) the relay sends on a main channel (a --title
 * TITLE in argv is taken first).
 *
 * with DISPLAY, XAUTHORITY and (with sound) PULSE_SERVER, PULSE_COOKIE and
 * PULSE_CLIENTCONFIG in its environment. Once sandboxed it cannot read any
 * file of the test, so everything it attacks comes from the title (the VM's
 * `title =` in the config: the admin's, so legitimate input):
 *
 *   vmc-probe d=DIR a=ACCOUNT ssh=PORT tcp=PORT snd=PORT
 *
 * and from this fixed layout under DIR (the test's temp dir):
 *
 *   DIR/log/sessions.jsonl       the session log (the account's file)
 *   DIR/log/                     the log dir (root's)
 *   DIR/run/                     the gateway's run dir (session-* dirs, locks)
 *   DIR/home/ACCOUNT/.Xauthority the account's cookies for every session
 *   DIR/spicex/target.sock       this session's VM (QEMU), reached only through the relay
 *   DIR/spicex/other.sock        another VM (QEMU, in another person's session)
 *   DIR/spicex/decoy.sock        a listener standing in for a VM, the account granted rw
 *   DIR/pub/                     a world-writable dir (1777)
 *   DIR/pub/listen.sock          a listener anyone may connect to
 *
 * ssh= is sshd's port, tcp= a listener of the test on 127.0.0.1, snd= the
 * session's sound tunnel port (0: none); sshd's X11 forwards are tried on
 * X11_PORT_FIRST..X11_PORT_LAST. Files and the process it leaves carry the
 * mark "vmcprobe-" + basename(DIR) so the test can look for them on the host.
 *
 * Each attempt runs in a child (a sandbox may kill it: that counts as denied;
 * ATTEMPT_TIMEOUT_MS bounds it) and gives one line of the report:
 *
 *   deny NAME ERRNO            the attack failed (what a sandboxed viewer must say)
 *   ALLOW NAME DETAIL          the attack worked
 *   made NAME DETAIL           a file or process was made; only the host can
 *                              tell whether it is visible outside (the test checks)
 *   UNKNOWN NAME timeout       neither (the test counts it as a failure)
 *   ok NAME DETAIL / FAIL NAME ERRNO DETAIL
 *                              what the viewer must be able to do: its X display,
 *                              its Spice socket (a main-channel link answered
 *                              with REDQ), its sound server (a PulseAudio
 *                              native-protocol AUTH with its cookie, answered
 *                              with REPLY)
 *
 * The report leaves the sandbox the only way a viewer's output may: over its
 * X11 display, as the root-window property VMC_PROBE_REPORT (type STRING, one
 * line per attempt, first line "vmc-sandbox-probe 1 mark=…", last line
 * "end N"); it is also written to stderr (the session's viewer log). Then the
 * probe exits 0, which ends the session with reason viewer-exit. Exit 2: bad
 * arguments; 3: the report could not be published over X11.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <spice-client.h>

#include <X11/Xatom.h>
#include <X11/Xlib.h>

#define PROBE_TITLE_PREFIX "vmc-probe"
#define PROBE_MARK_PREFIX "vmcprobe-"
#define REPORT_PROPERTY "VMC_PROBE_REPORT"
#define REPORT_MAX 16384        /* bytes of the whole report */
#define DETAIL_MAX 512          /* bytes of one attempt's detail */
#define ATTEMPT_TIMEOUT_MS 5000 /* per attempt (a child); then SIGKILL */
#define REPLY_TIMEOUT_MS 5000   /* for the Spice and PulseAudio answers */
#define X11_PORT_FIRST 6010     /* sshd's X11UseLocalhost forwards: display 10 … */
#define X11_PORT_LAST 6020      /* … to display 20 */
#define X11_DISPLAY_FIRST 10
#define X11_DISPLAY_LAST 20
#define LINGER_SECONDS "120" /* the process left behind ends by itself after this */
#define PULSE_COOKIE_SIZE 256
#define PULSE_FRAME_HEADER 20
#define PULSE_PROTOCOL_VERSION 32
#define PULSE_COMMAND_ERROR 0u
#define PULSE_COMMAND_REPLY 2u
#define PULSE_COMMAND_AUTH 8u

typedef struct {
    char dir[256];               /* d= (a title has at most 200 bytes) */
    char account[64];            /* a= */
    int ssh_port;                /* ssh= */
    int tcp_port;                /* tcp= */
    int sound_port;              /* snd= (0: none) */
    char mark[300];              /* vmcprobe-BASENAME(DIR) */
    char spice_socket[PATH_MAX]; /* from the argv URI */
    char session_dir[PATH_MAX];  /* its dirname: this session's dir */
} Probe;

typedef enum {
    KIND_ATTACK, /* success is "ALLOW" */
    KIND_EFFECT, /* success is "made": the host tells whether it escaped */
} Kind;

/* What an attempt is aimed at: a path or a port, with a label. */
typedef struct {
    const char *path;
    int port;
} Target;

/* Returns 0 when the attempt succeeded, else an errno value; *detail says more. */
typedef int (*AttemptFn)(const Probe *probe, const Target *target, char *detail, size_t size);

static char report[REPORT_MAX];
static size_t report_length;
static unsigned report_lines;

static void
say(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int n = vsnprintf(report + report_length, sizeof report - report_length, format, args);
    va_end(args);
    if (n < 0 || (size_t)n >= sizeof report - report_length - 1) {
        report_length = sizeof report - 1; /* full: the missing "end" line tells */
        return;
    }
    report_length += (size_t)n;
    report[report_length++] = '\n';
    report[report_length] = '\0';
    report_lines++;
}

static const char *
errno_name(int error)
{
    const char *name = strerrorname_np(error);
    return name != NULL ? name : "EUNKNOWN";
}

/* ---- reading the title and argv ---- */

static int
parse_port(const char *text)
{
    char *end;
    long value = strtol(text, &end, 10);
    return *end == '\0' && value >= 0 && value <= 65535 ? (int)value : -1;
}

static int
copy_value(char *dest, size_t size, const char *value)
{
    if (strlen(value) >= size)
        return -1;
    strcpy(dest, value);
    return 0;
}

/* "vmc-probe d=DIR a=ACCOUNT ssh=PORT tcp=PORT snd=PORT" into probe. */
static int
parse_title(Probe *probe, const char *title)
{
    char copy[1024];
    if (copy_value(copy, sizeof copy, title) != 0)
        return -1;
    char *save = NULL;
    char *word = strtok_r(copy, " ", &save);
    if (word == NULL || strcmp(word, PROBE_TITLE_PREFIX) != 0)
        return -1;
    while ((word = strtok_r(NULL, " ", &save)) != NULL) {
        int rc = 0;
        if (strncmp(word, "d=", 2) == 0)
            rc = copy_value(probe->dir, sizeof probe->dir, word + 2);
        else if (strncmp(word, "a=", 2) == 0)
            rc = copy_value(probe->account, sizeof probe->account, word + 2);
        else if (strncmp(word, "ssh=", 4) == 0)
            rc = (probe->ssh_port = parse_port(word + 4)) < 0 ? -1 : 0;
        else if (strncmp(word, "tcp=", 4) == 0)
            rc = (probe->tcp_port = parse_port(word + 4)) < 0 ? -1 : 0;
        else if (strncmp(word, "snd=", 4) == 0)
            rc = (probe->sound_port = parse_port(word + 4)) < 0 ? -1 : 0;
        if (rc != 0)
            return -1;
    }
    if (probe->dir[0] != '/' || probe->account[0] == '\0')
        return -1;
    const char *base = strrchr(probe->dir, '/') + 1;
    snprintf(probe->mark, sizeof probe->mark, "%s%s", PROBE_MARK_PREFIX, base);
    return 0;
}

/* The gateway's argv: the Spice URI last (a title after --title, if any). */
static int
parse_argv(Probe *probe, int argc, char **argv, const char **ret_title)
{
    const char *uri = NULL;
    *ret_title = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--title") == 0 && i + 1 < argc)
            *ret_title = argv[++i];
        else if (strncmp(argv[i], "spice+unix://", 13) == 0)
            uri = argv[i] + 13;
    }
    if (uri == NULL || copy_value(probe->spice_socket, sizeof probe->spice_socket, uri) != 0 ||
        copy_value(probe->session_dir, sizeof probe->session_dir, uri) != 0)
        return -1;
    char *slash = strrchr(probe->session_dir, '/');
    if (slash == NULL || slash == probe->session_dir)
        return -1;
    *slash = '\0';
    return 0;
}

static void
path_in(char *out, size_t size, const Probe *probe, const char *relative)
{
    snprintf(out, size, "%s/%s", probe->dir, relative);
}

/* ---- running one attempt in a child ---- */

/* Read what the child writes until EOF or the deadline; -1 on timeout. */
static ssize_t
read_until_eof(int fd, char *buf, size_t size, int timeout_ms)
{
    size_t length = 0;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long spent = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (spent >= timeout_ms)
            return -1;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int n = poll(&pfd, 1, (int)(timeout_ms - spent));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        ssize_t got = read(fd, buf + length, size - 1 - length);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0 || (length += (size_t)got) >= size - 1)
            break;
    }
    buf[length] = '\0';
    return (ssize_t)length;
}

static void
say_verdict(Kind kind, const char *name, int rc, const char *detail)
{
    if (rc == 0)
        say("%s %s %s", kind == KIND_ATTACK ? "ALLOW" : "made", name, detail);
    else
        say("deny %s %s%s%s", name, errno_name(rc), *detail ? " " : "", detail);
}

static void
attempt(const Probe *probe, Kind kind, const char *name, AttemptFn fn, const Target *target)
{
    char detail[DETAIL_MAX] = "";
    int fds[2];
    pid_t pid = pipe2(fds, O_CLOEXEC) == 0 ? fork() : -1;
    if (pid < 0) { /* no child to be had: try it here */
        int rc = fn(probe, target, detail, sizeof detail);
        say_verdict(kind, name, rc, detail);
        return;
    }
    if (pid == 0) {
        close(fds[0]);
        int rc = fn(probe, target, detail, sizeof detail);
        dprintf(fds[1], "%d %s", rc, detail);
        _exit(0);
    }
    close(fds[1]);
    char buf[DETAIL_MAX + 32];
    ssize_t got = read_until_eof(fds[0], buf, sizeof buf, ATTEMPT_TIMEOUT_MS);
    close(fds[0]);
    if (got < 0)
        kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    int rc, offset = 0;
    if (got < 0) {
        say("UNKNOWN %s timeout after %d ms", name, ATTEMPT_TIMEOUT_MS);
    } else if (got > 0 && sscanf(buf, "%d %n", &rc, &offset) == 1) {
        say_verdict(kind, name, rc, buf + offset);
    } else if (WIFSIGNALED(status)) {
        say("deny %s killed-by-SIG%s", name, sigabbrev_np(WTERMSIG(status)));
    } else {
        say("UNKNOWN %s the child said nothing (status %d)", name, status);
    }
}

/* ---- the attacks (each returns 0 when it worked, else errno) ---- */

static int
result_of(int ok, int fd)
{
    int error = ok ? 0 : errno;
    if (fd >= 0)
        close(fd);
    return error;
}

static int
try_read(const Probe *probe, const Target *target, char *detail, size_t size)
{
    char buf[64];
    int fd = open(target->path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    ssize_t got = read(fd, buf, sizeof buf);
    snprintf(detail, size, "read %zd bytes of %s", got, target->path);
    return result_of(got >= 0, fd);
}

/* Append a record-like line carrying the mark (the test looks for it). */
static int
try_append_log(const Probe *probe, const Target *target, char *detail, size_t size)
{
    char line[PATH_MAX + 128];
    int n =
        snprintf(line, sizeof line, "{\"v\":1,\"event\":\"forged\",\"by\":\"%s\"}\n", probe->mark);
    int fd = open(target->path, O_WRONLY | O_APPEND | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    ssize_t put = write(fd, line, (size_t)n);
    snprintf(detail, size, "appended %zd bytes to %s", put, target->path);
    return result_of(put == n, fd);
}

/* Truncating to the size it has: the permission is proven, nothing is lost. */
static int
try_truncate(const Probe *probe, const Target *target, char *detail, size_t size)
{
    struct stat st;
    int fd = open(target->path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    int ok = fstat(fd, &st) == 0 && ftruncate(fd, st.st_size) == 0;
    snprintf(detail, size, "ftruncate(%s, %lld) allowed", target->path, (long long)st.st_size);
    return result_of(ok, fd);
}

static int
try_list_dir(const Probe *probe, const Target *target, char *detail, size_t size)
{
    DIR *dir = opendir(target->path);
    if (dir == NULL)
        return errno;
    int entries = 0;
    size_t used = (size_t)snprintf(detail, size, "%s lists", target->path);
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] == '.')
            continue;
        entries++;
        if (used < size)
            used += (size_t)snprintf(detail + used, size - used, " %s", entry->d_name);
    }
    closedir(dir);
    if (entries == 0 && used < size)
        snprintf(detail + used, size - used, " nothing");
    return 0;
}

/* Another session's dir in the run dir, and its private X authority file. */
static int
try_other_session(const Probe *probe, const Target *target, char *detail, size_t size)
{
    const char *own = strrchr(probe->session_dir, '/') + 1;
    DIR *dir = opendir(target->path);
    if (dir == NULL)
        return errno;
    struct dirent *entry;
    int error = ENOENT;
    snprintf(detail, size, "(no other session dir visible)");
    while ((entry = readdir(dir)) != NULL) {
        if (strncmp(entry->d_name, "session-", 8) != 0 || strcmp(entry->d_name, own) == 0)
            continue;
        char path[PATH_MAX];
        if (snprintf(path, sizeof path, "%s/%s/Xauthority", target->path, entry->d_name) >=
            (int)sizeof path)
            continue;
        Target file = {.path = path};
        error = try_read(probe, &file, detail, size);
        if (error == 0)
            break;
        snprintf(detail, size, "%s", path);
    }
    closedir(dir);
    return error;
}

static int
try_connect_unix(const Probe *probe, const Target *target, char *detail, size_t size)
{
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strlen(target->path) >= sizeof address.sun_path)
        return ENAMETOOLONG;
    strcpy(address.sun_path, target->path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errno;
    int connected = connect(fd, (struct sockaddr *)&address, sizeof address) == 0;
    snprintf(detail, size, "%s %s", connected ? "connected to" : "on", target->path);
    return result_of(connected, fd);
}

static int
connect_tcp(int port)
{
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        int error = errno;
        close(fd);
        errno = error;
        return -1;
    }
    return fd;
}

static int
try_connect_tcp(const Probe *probe, const Target *target, char *detail, size_t size)
{
    int fd = connect_tcp(target->port);
    snprintf(detail, size, "%s 127.0.0.1:%d", fd >= 0 ? "connected to" : "on", target->port);
    return result_of(fd >= 0, fd);
}

/* The display number of "localhost:N[.S]" (sshd's X11 forward), else -1. */
static int
tcp_display_number(const char *display)
{
    const char *colon = display != NULL ? strchr(display, ':') : NULL;
    if (colon == NULL || colon == display)
        return -1;
    return atoi(colon + 1);
}

/* Other sessions' X displays through sshd's forwards, with the cookies in the
 * account's ~/.Xauthority: the other person's laptop screen and keyboard. */
static int
try_other_displays(const Probe *probe, const Target *target, char *detail, size_t size)
{
    int own = tcp_display_number(getenv("DISPLAY"));
    int error = ECONNREFUSED, opened = 0;
    size_t used = (size_t)snprintf(detail, size, "opened");
    setenv("XAUTHORITY", target->path, 1);
    for (int n = X11_DISPLAY_FIRST; n <= X11_DISPLAY_LAST; n++) {
        if (n == own)
            continue;
        char name[32];
        snprintf(name, sizeof name, "localhost:%d", n);
        errno = 0;
        Display *display = XOpenDisplay(name);
        if (display == NULL) {
            if (errno != 0)
                error = errno;
            continue;
        }
        opened++;
        if (used < size)
            used += (size_t)snprintf(detail + used, size - used, " %s", name);
        XCloseDisplay(display);
    }
    if (opened > 0)
        return 0;
    snprintf(detail, size, "no display localhost:%d..%d opened (own: %d)", X11_DISPLAY_FIRST,
             X11_DISPLAY_LAST, own);
    return error;
}

/* Signal 0 to every vmconsole-gateway process it can see (its own included):
 * a viewer that can signal its gateway can end it without an end record. */
static int
try_signal_gateways(const Probe *probe, const Target *target, char *detail, size_t size)
{
    DIR *proc = opendir("/proc");
    if (proc == NULL)
        return errno;
    int signalled = 0, error = ESRCH;
    size_t used = (size_t)snprintf(detail, size, "kill(pid, 0) allowed for");
    struct dirent *entry;
    while ((entry = readdir(proc)) != NULL) {
        char path[PATH_MAX], comm[64] = "";
        pid_t pid = (pid_t)atoi(entry->d_name);
        if (pid <= 0 || pid == getpid())
            continue;
        snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
        FILE *file = fopen(path, "re");
        if (file == NULL)
            continue;
        int got = fgets(comm, sizeof comm, file) != NULL;
        fclose(file);
        if (!got || strncmp(comm, "vmconsole-gatew", 15) != 0)
            continue;
        if (kill(pid, 0) != 0) {
            error = errno;
            continue;
        }
        signalled++;
        if (used < size)
            used += (size_t)snprintf(detail + used, size - used, " %d", (int)pid);
    }
    closedir(proc);
    if (signalled == 0)
        snprintf(detail, size, "(no gateway process could be signalled)");
    return signalled > 0 ? 0 : error;
}

static int
try_create(const Probe *probe, const Target *target, char *detail, size_t size)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", target->path, probe->mark) >= (int)sizeof path)
        return ENAMETOOLONG;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0644);
    if (fd < 0)
        return errno;
    ssize_t put = write(fd, probe->mark, strlen(probe->mark));
    snprintf(detail, size, "%s", path);
    return result_of(put >= 0, fd);
}

/* Double fork, setsid, and a sleep whose argv[0] carries the mark: a process
 * that outlives the session unless the sandbox's end ends it. */
static int
try_leave_process(const Probe *probe, const Target *target, char *detail, size_t size)
{
    char name[sizeof probe->mark + 16];
    snprintf(name, sizeof name, "%s-linger", probe->mark);
    pid_t child = fork();
    if (child < 0)
        return errno;
    if (child == 0) {
        if (setsid() < 0)
            _exit(1);
        pid_t grandchild = fork();
        if (grandchild != 0)
            _exit(grandchild < 0 ? 1 : 0);
        int null = open("/dev/null", O_RDWR);
        for (int fd = 0; fd < 3; fd++)
            dup2(null, fd);
        char *argv[] = {name, LINGER_SECONDS, NULL};
        execv("/bin/sleep", argv);
        _exit(127);
    }
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    snprintf(detail, size, "%s (setsid, double fork)", name);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : EPERM;
}

static void
run_attacks(const Probe *probe)
{
    char log[PATH_MAX], run[PATH_MAX], xauthority[PATH_MAX], path[PATH_MAX];
    path_in(log, sizeof log, probe, "log/sessions.jsonl");
    path_in(run, sizeof run, probe, "run");
    snprintf(xauthority, sizeof xauthority, "%s/home/%s/.Xauthority", probe->dir, probe->account);

    attempt(probe, KIND_ATTACK, "read-log", try_read, &(Target){.path = log});
    attempt(probe, KIND_ATTACK, "append-log", try_append_log, &(Target){.path = log});
    attempt(probe, KIND_ATTACK, "truncate-log", try_truncate, &(Target){.path = log});
    attempt(probe, KIND_ATTACK, "list-run-dir", try_list_dir, &(Target){.path = run});
    attempt(probe, KIND_ATTACK, "read-other-session", try_other_session, &(Target){.path = run});
    attempt(probe, KIND_ATTACK, "read-account-xauthority", try_read, &(Target){.path = xauthority});

    static const char *const sockets[][2] = {
        {"connect-unix:own-vm", "spicex/target.sock"},
        {"connect-unix:other-vm", "spicex/other.sock"},
        {"connect-unix:decoy-vm", "spicex/decoy.sock"},
        {"connect-unix:pub-listener", "pub/listen.sock"},
    };
    for (size_t i = 0; i < sizeof sockets / sizeof sockets[0]; i++) {
        path_in(path, sizeof path, probe, sockets[i][1]);
        attempt(probe, KIND_ATTACK, sockets[i][0], try_connect_unix, &(Target){.path = path});
    }

    attempt(probe, KIND_ATTACK, "connect-tcp:sshd", try_connect_tcp,
            &(Target){.port = probe->ssh_port});
    attempt(probe, KIND_ATTACK, "connect-tcp:listener", try_connect_tcp,
            &(Target){.port = probe->tcp_port});
    if (probe->sound_port > 0)
        attempt(probe, KIND_ATTACK, "connect-tcp:sound-tunnel", try_connect_tcp,
                &(Target){.port = probe->sound_port});
    for (int port = X11_PORT_FIRST; port <= X11_PORT_LAST; port++) {
        char name[64];
        snprintf(name, sizeof name, "connect-tcp:x11-%d", port);
        attempt(probe, KIND_ATTACK, name, try_connect_tcp, &(Target){.port = port});
    }
    attempt(probe, KIND_ATTACK, "x11-other-display", try_other_displays,
            &(Target){.path = xauthority});
    attempt(probe, KIND_ATTACK, "signal-gateway", try_signal_gateways, &(Target){0});

    char home[PATH_MAX], pub[PATH_MAX], logdir[PATH_MAX];
    snprintf(home, sizeof home, "%s/home/%s", probe->dir, probe->account);
    path_in(pub, sizeof pub, probe, "pub");
    path_in(logdir, sizeof logdir, probe, "log");
    const char *const dirs[][2] = {
        {"create:test-pub", pub},       {"create:account-home", home},
        {"create:run-dir", run},        {"create:log-dir", logdir},
        {"create:tmp", "/tmp"},         {"create:var-tmp", "/var/tmp"},
        {"create:dev-shm", "/dev/shm"},
    };
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        attempt(probe, KIND_EFFECT, dirs[i][0], try_create, &(Target){.path = dirs[i][1]});
    attempt(probe, KIND_EFFECT, "leave-process", try_leave_process, &(Target){0});
}

/* ---- what the viewer must be able to do ---- */

/* Read exactly size bytes before REPLY_TIMEOUT_MS; 0 or an errno value. */
static int
read_exactly(int fd, uint8_t *buf, size_t size)
{
    size_t length = 0;
    while (length < size) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int n = poll(&pfd, 1, REPLY_TIMEOUT_MS);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            return ETIMEDOUT;
        ssize_t got = n < 0 ? -1 : read(fd, buf + length, size - length);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return errno;
        if (got == 0)
            return ECONNRESET;
        length += (size_t)got;
    }
    return 0;
}

static int
write_all(int fd, const uint8_t *buf, size_t size)
{
    while (size > 0) {
        ssize_t put = write(fd, buf, size);
        if (put < 0 && errno == EINTR)
            continue;
        if (put < 0)
            return errno;
        buf += put;
        size -= (size_t)put;
    }
    return 0;
}

static void
put_le32(uint8_t *p, uint32_t value)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(value >> (8 * i));
}

static void
put_be32(uint8_t *p, uint32_t value)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(value >> (8 * (3 - i)));
}

static uint32_t
get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The guest name, as remote-viewer gets it: a spice-client-glib session
 * (the ticket is RSA-encrypted with the server's key even without
 * ticketing: not worth doing by hand) and its "name" once the server sent
 * SPICE_MSG_MAIN_NAME. 0 or an errno value. */
typedef struct {
    GMainLoop *loop;
    char *name;
    guint timer; /* 0 once it fired */
} NameWait;

static void
on_spice_name(GObject *session, GParamSpec *pspec, gpointer data)
{
    NameWait *wait = data;
    g_free(wait->name);
    g_object_get(session, "name", &wait->name, NULL);
    if (wait->name != NULL)
        g_main_loop_quit(wait->loop);
}

static gboolean
on_spice_timeout(gpointer data)
{
    NameWait *wait = data;
    wait->timer = 0;
    g_main_loop_quit(wait->loop);
    return G_SOURCE_REMOVE;
}

static int
read_spice_name(const char *socket_path, char *name, size_t size)
{
    SpiceSession *session = spice_session_new();
    char *uri = g_strconcat("spice+unix://", socket_path, NULL);
    g_object_set(session, "uri", uri, "enable-audio", FALSE, "enable-usbredir", FALSE, NULL);
    g_free(uri);
    NameWait wait = {g_main_loop_new(NULL, FALSE), NULL, 0};
    g_signal_connect(session, "notify::name", G_CALLBACK(on_spice_name), &wait);
    wait.timer = g_timeout_add(REPLY_TIMEOUT_MS, on_spice_timeout, &wait);
    int error = spice_session_connect(session) ? 0 : ECONNREFUSED;
    if (error == 0)
        g_main_loop_run(wait.loop);
    if (wait.name == NULL || strlen(wait.name) >= size)
        error = error != 0 ? error : wait.name == NULL ? ETIMEDOUT : ENAMETOOLONG;
    else
        strcpy(name, wait.name);
    if (wait.timer != 0)
        g_source_remove(wait.timer);
    spice_session_disconnect(session);
    g_object_unref(session);
    g_free(wait.name);
    g_main_loop_unref(wait.loop);
    return error;
}

/* A main-channel SpiceLinkHeader + SpiceLinkMess (spice/vmc-spice.h) on its
 * own socket, from this process (the relay admits only the viewer's pid). */
static void
check_spice(const Probe *probe)
{
    uint8_t link[16 + 18] = {'R', 'E', 'D', 'Q'}, reply[4];
    put_le32(link + 4, 2);        /* major */
    put_le32(link + 8, 2);        /* minor */
    put_le32(link + 12, 18);      /* size of the SpiceLinkMess */
    link[16 + 4] = 1;             /* channel type main; connection id, channel id 0 */
    put_le32(link + 16 + 14, 18); /* caps_offset; no caps */
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    size_t length = strlen(probe->spice_socket);
    int fd = length < sizeof address.sun_path ? socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0) : -1;
    int error = length >= sizeof address.sun_path ? ENAMETOOLONG : fd < 0 ? errno : 0;
    if (error == 0)
        memcpy(address.sun_path, probe->spice_socket, length + 1);
    if (error == 0 && connect(fd, (struct sockaddr *)&address, sizeof address) != 0)
        error = errno;
    if (error == 0)
        error = write_all(fd, link, sizeof link);
    if (error == 0)
        error = read_exactly(fd, reply, sizeof reply);
    if (fd >= 0)
        close(fd);
    if (error == 0 && memcmp(reply, "REDQ", 4) != 0)
        error = EPROTO;
    if (error == 0)
        say("ok spice main-channel link on %s answered REDQ", probe->spice_socket);
    else
        say("FAIL spice %s on %s", errno_name(error), probe->spice_socket);
}

/* PULSE_SERVER "unix:PATH" or "tcp:HOST:PORT" (HOST 127.0.0.1/localhost). */
static int
connect_pulse(const char *server)
{
    if (strncmp(server, "unix:", 5) == 0) {
        struct sockaddr_un address = {.sun_family = AF_UNIX};
        if (strlen(server + 5) >= sizeof address.sun_path)
            return errno = ENAMETOOLONG, -1;
        strcpy(address.sun_path, server + 5);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
            int error = errno;
            close(fd);
            return errno = error, -1;
        }
        return fd;
    }
    const char *colon = strncmp(server, "tcp:", 4) == 0 ? strrchr(server, ':') : NULL;
    if (colon == NULL || colon == server + 3)
        return errno = EINVAL, -1;
    return connect_tcp(atoi(colon + 1));
}

/* The native protocol's first packet: AUTH with the cookie; REPLY means in. */
static int
pulse_auth(int fd, const uint8_t *cookie, uint32_t *ret_command)
{
    uint8_t packet[PULSE_FRAME_HEADER + 15 + 5 + PULSE_COOKIE_SIZE] = {0};
    uint8_t *p = packet + PULSE_FRAME_HEADER;
    put_be32(packet, sizeof packet - PULSE_FRAME_HEADER);
    put_be32(packet + 4, 0xffffffffu); /* the command channel */
    const uint32_t fields[] = {PULSE_COMMAND_AUTH, 1 /* tag */, PULSE_PROTOCOL_VERSION};
    for (size_t i = 0; i < 3; i++, p += 5) {
        p[0] = 'L';
        put_be32(p + 1, fields[i]);
    }
    p[0] = 'x';
    put_be32(p + 1, PULSE_COOKIE_SIZE);
    memcpy(p + 5, cookie, PULSE_COOKIE_SIZE);
    uint8_t header[PULSE_FRAME_HEADER], body[5];
    int error = write_all(fd, packet, sizeof packet);
    if (error == 0)
        error = read_exactly(fd, header, sizeof header);
    if (error == 0 && get_be32(header) < sizeof body)
        error = EPROTO;
    if (error == 0)
        error = read_exactly(fd, body, sizeof body);
    if (error == 0 && body[0] != 'L')
        error = EPROTO;
    if (error == 0)
        *ret_command = get_be32(body + 1);
    return error;
}

static void
check_sound(void)
{
    const char *server = getenv("PULSE_SERVER"), *cookie_path = getenv("PULSE_COOKIE");
    if (server == NULL) {
        say("skip sound no PULSE_SERVER (a session without sound)");
        return;
    }
    uint8_t cookie[PULSE_COOKIE_SIZE];
    int error = ENOENT;
    int fd = cookie_path != NULL ? open(cookie_path, O_RDONLY | O_CLOEXEC) : -1;
    if (fd >= 0) {
        error = read_exactly(fd, cookie, sizeof cookie);
        close(fd);
    } else if (cookie_path != NULL) {
        error = errno;
    }
    if (error != 0) {
        say("FAIL sound %s reading PULSE_COOKIE %s", errno_name(error),
            cookie_path ? cookie_path : "(unset)");
        return;
    }
    uint32_t command = 0;
    fd = connect_pulse(server);
    error = fd < 0 ? errno : pulse_auth(fd, cookie, &command);
    if (fd >= 0)
        close(fd);
    if (error != 0)
        say("FAIL sound %s on %s", errno_name(error), server);
    else if (command != PULSE_COMMAND_REPLY)
        say("FAIL sound EACCES on %s: AUTH answered with command %u (%s)", server, command,
            command == PULSE_COMMAND_ERROR ? "ERROR" : "unexpected");
    else
        say("ok sound AUTH with PULSE_COOKIE accepted on %s", server);
}

/* ---- the report, over X11 ---- */

static int x_error_code;

static int
on_x_error(Display *display, XErrorEvent *event)
{
    x_error_code = event->error_code;
    return 0;
}

/* Open its own display (DISPLAY, XAUTHORITY as given) and put the report on
 * the root window. 0, or -1 when it could not. */
static int
publish_report(void)
{
    const char *name = getenv("DISPLAY");
    Display *display = XOpenDisplay(NULL);
    if (display == NULL) {
        say("FAIL x11 cannot open display %s", name ? name : "(unset)");
        say("end %u", report_lines + 1);
        return -1;
    }
    say("ok x11 opened %s", name);
    say("end %u", report_lines + 1);
    XSetErrorHandler(on_x_error);
    Atom property = XInternAtom(display, REPORT_PROPERTY, False);
    XChangeProperty(display, DefaultRootWindow(display), property, XA_STRING, 8, PropModeReplace,
                    (const unsigned char *)report, (int)report_length);
    XSync(display, False);
    XCloseDisplay(display);
    if (x_error_code != 0) {
        fprintf(stderr, "sandbox-probe: X error %d setting %s on the root window\n", x_error_code,
                REPORT_PROPERTY);
        return -1;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    static Probe probe;
    static char spice_name[1024];
    const char *title = NULL;
    if (parse_argv(&probe, argc, argv, &title) != 0) {
        fprintf(stderr, "usage: sandbox-probe [--title 'vmc-probe d=DIR a=ACCOUNT ssh=PORT "
                        "tcp=PORT snd=PORT'] ... spice+unix:///PATH\n");
        return 2;
    }
    if (title == NULL) {
        int error = read_spice_name(probe.spice_socket, spice_name, sizeof spice_name);
        if (error != 0) {
            fprintf(stderr, "sandbox-probe: no guest name on %s: %s\n", probe.spice_socket,
                    strerror(error));
            return 2;
        }
        title = spice_name;
    }
    if (parse_title(&probe, title) != 0) {
        fprintf(stderr, "sandbox-probe: not a probe title: %s\n", title);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    say("vmc-sandbox-probe 1 mark=%s pid=%d ppid=%d uid=%d display=%s pulse=%s", probe.mark,
        (int)getpid(), (int)getppid(), (int)getuid(), getenv("DISPLAY") ?: "-",
        getenv("PULSE_SERVER") ?: "-");
    run_attacks(&probe);
    check_spice(&probe);
    check_sound();
    int rc = publish_report();
    fputs(report, stderr);
    return rc == 0 ? 0 : 3;
}
