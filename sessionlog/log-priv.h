/* log-priv.h — the session log's hooks for tests: where the syslog mirror's
 * lines go, and a reader on an fd. The programs use neither. */
#pragma once

#include "vmc-sessionlog.h"

G_BEGIN_DECLS

/* Where the summaries go: func(priority, line, user_data) for each append
 * (priority as syslog(3)'s, line printable ASCII). NULL: no mirror. The
 * default, from vmc_sessionlog_open(), is syslog. */
typedef void (*VmcSessionLogMirrorFunc)(int priority, const char *line, gpointer user_data);
void vmc_sessionlog_set_mirror(VmcSessionLog *log, VmcSessionLogMirrorFunc func,
                               gpointer user_data);

/* Read from an fd the caller keeps owning. */
VmcLogReader *vmc_log_reader_new_for_fd(int fd);

G_END_DECLS
