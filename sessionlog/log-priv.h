/* log-priv.h — the session log's hooks for tests: where the journal/syslog
 * mirror's lines go, and a reader on an fd. The programs use neither. */
#pragma once

#include "vmc-sessionlog.h"

G_BEGIN_DECLS

/* The journal's socket for this log (tests: a socket of their own); NULL:
 * no journal, syslog only. VMC_JOURNAL_SOCKET by default. Only the default
 * mirror uses it (vmc_sessionlog_set_mirror() replaces both). */
void vmc_sessionlog_set_journal_socket(VmcSessionLog *log, const char *path);

/* Where the summaries go: func(priority, line, user_data) for each append
 * (priority as syslog(3)'s, line printable ASCII), instead of the journal
 * and syslog. NULL: no mirror. The default, from vmc_sessionlog_open(), is
 * the journal, else syslog. */
typedef void (*VmcSessionLogMirrorFunc)(int priority, const char *line, gpointer user_data);
void vmc_sessionlog_set_mirror(VmcSessionLog *log, VmcSessionLogMirrorFunc func,
                               gpointer user_data);

/* Read from an fd the caller keeps owning. */
VmcLogReader *vmc_log_reader_new_for_fd(int fd);

G_END_DECLS
