/* log-append.c — the thin I/O part: append records to the session log with one
 * write(2) each on an O_APPEND fd, fsync, and mirror a summary to syslog —
 * whether or not the file took the record: on a full disk the mirror is
 * where the record survives, and it says that the file write failed. */
#include "log-priv.h"

#include "vmc-common.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/statvfs.h>
#include <syslog.h>
#include <unistd.h>

/* Paths in messages are the admin's, but escaped and capped all the same. */
#define PATH_MAX_SHOWN 512
#define MIRROR_ERROR_MAX 300 /* bytes of a write error in the mirror line */

struct _VmcSessionLog {
    int fd;
    char *path;                     /* escaped, for messages */
    VmcSessionLogMirrorFunc mirror; /* NULL: no mirror */
    gpointer mirror_data;
    gboolean after_partial; /* a short write left a line without its '\n' */
    char *journal_socket;   /* NULL: no journal (the default mirror uses syslog alone) */
    int journal_fd;         /* a datagram socket, made at the first send; -1 */
};

static void mirror_to_syslog(int priority, const char *line, gpointer user_data);

/* the GError domain "vmc-sessionlog-error-quark" */
GQuark
vmc_sessionlog_error_quark(void)
{
    return g_quark_from_static_string("vmc-sessionlog-error-quark");
}

static void
set_open_error(GError **error, const char *path, const char *cause)
{
    g_set_error(error, VMC_SESSIONLOG_ERROR, VMC_SESSIONLOG_ERROR_OPEN,
                "cannot open the session log %s for appending: %s; the audit trail is "
                "required: ask the admin to run `vmconsole-admin check`",
                path, cause);
}

VmcSessionLog *
vmc_sessionlog_open(const char *path, GError **error)
{
    g_return_val_if_fail(path != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    g_autofree char *shown = vmc_text_escape(path, -1, PATH_MAX_SHOWN);
    /* O_NONBLOCK: a FIFO put in the log's place must not block the open. */
    int flags = O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY;
    int fd = open(path, flags | O_NONBLOCK, 0640);
    if (fd < 0) {
        int saved = errno;
        /* O_NOFOLLOW reports a symlink as ELOOP, O_NONBLOCK a FIFO without a
         * reader as ENXIO: say those in plain words. */
        const char *cause = saved == ELOOP   ? "it is a symbolic link"
                            : saved == ENXIO ? "it is not a regular file (a FIFO or device?)"
                                             : g_strerror(saved);
        set_open_error(error, shown, cause);
        return NULL;
    }

    struct stat st;
    const char *cause = NULL;
    if (fstat(fd, &st) < 0)
        cause = g_strerror(errno);
    else if (!S_ISREG(st.st_mode))
        cause = "it is not a regular file";
    else if (fcntl(fd, F_SETFL, O_APPEND) < 0)
        cause = g_strerror(errno);
    if (cause != NULL) {
        set_open_error(error, shown, cause);
        close(fd);
        return NULL;
    }

    VmcSessionLog *log = g_new0(VmcSessionLog, 1);
    log->fd = fd;
    log->path = g_steal_pointer(&shown);
    log->journal_socket = g_strdup(VMC_JOURNAL_SOCKET);
    log->journal_fd = -1;
    log->mirror = mirror_to_syslog;
    return log;
}

void
vmc_sessionlog_set_mirror(VmcSessionLog *log, VmcSessionLogMirrorFunc func, gpointer user_data)
{
    g_return_if_fail(log != NULL);
    log->mirror = func;
    log->mirror_data = user_data;
}

void
vmc_sessionlog_set_journal_socket(VmcSessionLog *log, const char *path)
{
    g_return_if_fail(log != NULL);
    g_free(log->journal_socket);
    log->journal_socket = g_strdup(path);
}

/* The record's journal entry to the journal's socket, without blocking:
 * TRUE when the journal took it whole. */
static gboolean
send_to_journal(VmcSessionLog *log, const VmcRecord *record, int priority, const char *line)
{
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    gsize path_length = strlen(log->journal_socket);
    if (path_length >= sizeof address.sun_path)
        return FALSE;
    memcpy(address.sun_path, log->journal_socket, path_length);
    if (log->journal_fd < 0)
        log->journal_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (log->journal_fd < 0)
        return FALSE;
    g_autoptr(GBytes) entry = vmc_journal_entry_new(record, priority, line);
    gsize length = 0;
    const void *data = g_bytes_get_data(entry, &length);
    ssize_t n;
    do {
        n = sendto(log->journal_fd, data, length, MSG_DONTWAIT | MSG_NOSIGNAL,
                   (const struct sockaddr *)&address,
                   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + path_length + 1));
    } while (n < 0 && errno == EINTR);
    return n >= 0 && (gsize)n == length;
}

static void
mirror_to_syslog(int priority, const char *line, gpointer user_data)
{
    static gsize opened = 0;
    if (g_once_init_enter(&opened)) {
        openlog("vmconsole", LOG_PID, LOG_AUTHPRIV);
        g_once_init_leave(&opened, 1);
    }
    syslog(LOG_AUTHPRIV | priority, "%s", line);
}

/* The record's summary to the mirror; with failure (the file did not take
 * the record) at LOG_WARNING and saying so. */
static void
mirror_record(VmcSessionLog *log, const VmcRecord *record, const GError *failure)
{
    if (log->mirror == NULL)
        return;
    const char *event =
        json_object_get_string_member_with_default(vmc_record_get_object(record), "event", "");
    int priority = g_str_has_prefix(event, "denied") ? LOG_NOTICE : LOG_INFO;
    g_autofree char *line = vmc_record_summary(record);
    if (failure != NULL) {
        g_autofree char *why = vmc_text_escape(failure->message, -1, MIRROR_ERROR_MAX);
        g_autofree char *summary = g_steal_pointer(&line);
        line = g_strdup_printf("%s " VMC_SESSIONLOG_MIRROR_NOT_IN_FILE " (%s)", summary, why);
        priority = LOG_WARNING;
    }
    /* the default mirror: the journal, with the record's fields; syslog
     * where there is no journal (or it did not take the entry) */
    if (log->mirror == mirror_to_syslog && log->journal_socket != NULL &&
        send_to_journal(log, record, priority, line))
        return;
    log->mirror(priority, line, log->mirror_data);
}

/* All of data with one write(2), or an error: a short write is not completed,
 * since a second write could land after another process's record. */
static gboolean
write_once(VmcSessionLog *log, const char *data, gsize len, GError **error)
{
    ssize_t n;
    do {
        n = write(log->fd, data, len);
    } while (n < 0 && errno == EINTR);

    if (n < 0) {
        int saved = errno;
        g_set_error(error, VMC_SESSIONLOG_ERROR, VMC_SESSIONLOG_ERROR_WRITE,
                    "cannot write to the session log %s: %s", log->path, g_strerror(saved));
        return FALSE;
    }
    if ((gsize)n != len) {
        log->after_partial = n > 0;
        g_set_error(error, VMC_SESSIONLOG_ERROR, VMC_SESSIONLOG_ERROR_WRITE,
                    "short write to the session log %s (%zd of %zu bytes): is the disk full?",
                    log->path, n, len);
        return FALSE;
    }
    log->after_partial = FALSE;
    return TRUE;
}

static gboolean
flush(VmcSessionLog *log, GError **error)
{
    int r;
    do {
        r = fsync(log->fd);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        int saved = errno;
        g_set_error(error, VMC_SESSIONLOG_ERROR, VMC_SESSIONLOG_ERROR_WRITE,
                    "cannot flush the session log %s to disk: %s", log->path, g_strerror(saved));
        return FALSE;
    }
    return TRUE;
}

gboolean
vmc_sessionlog_append(VmcSessionLog *log, const VmcRecord *record, GError **error)
{
    g_return_val_if_fail(log != NULL, FALSE);
    g_return_val_if_fail(record != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    gsize len = 0;
    g_autofree char *line = vmc_record_to_line(record, &len);
    if (line == NULL) {
        g_set_error(error, VMC_SESSIONLOG_ERROR, VMC_SESSIONLOG_ERROR_WRITE,
                    "cannot format the record for the session log %s (a bug)", log->path);
        return FALSE;
    }
    if (log->after_partial) {
        g_autofree char *old = g_steal_pointer(&line);
        line = g_strconcat("\n", old, NULL);
        len += 1;
    }

    g_autoptr(GError) failure = NULL;
    if (write_once(log, line, len, &failure))
        flush(log, &failure);
    mirror_record(log, record, failure);
    if (failure != NULL) {
        g_propagate_error(error, g_steal_pointer(&failure));
        return FALSE;
    }
    return TRUE;
}

gboolean
vmc_sessionlog_space_low(VmcSessionLog *log, guint64 reserve)
{
    g_return_val_if_fail(log != NULL, FALSE);
    struct statvfs st;
    if (reserve == 0 || fstatvfs(log->fd, &st) < 0)
        return FALSE;
    /* f_bavail: what an unprivileged writer (the gateway account) may use */
    guint64 available = (guint64)st.f_bavail * (guint64)(st.f_frsize ? st.f_frsize : st.f_bsize);
    return available < reserve;
}

void
vmc_sessionlog_close(VmcSessionLog *log)
{
    if (log == NULL)
        return;
    close(log->fd);
    if (log->journal_fd >= 0)
        close(log->journal_fd);
    g_free(log->journal_socket);
    g_free(log->path);
    g_free(log);
}
