/* pulse-priv.h — inside pulse/: limits, the pure helpers the unit tests
 * reach, the cookie files and private directories, and one libpulse
 * connection run on its own pa_mainloop with a deadline. */
#pragma once

#include "vmc-pulse.h"

#include <stdint.h>

#define VMC_PULSE_SERVER_MAX 256       /* bytes of a server string we pass on */
#define VMC_PULSE_INFO_MAX 128         /* bytes kept of the server's name / version */
#define VMC_PULSE_DESCRIBE_PART_MAX 64 /* bytes of each name / version in a describe() line */
/* so a describe() line is at most: three parts, each with "...", plus the words */
#define VMC_PULSE_DESCRIBE_MAX (3 * (VMC_PULSE_DESCRIBE_PART_MAX + 3) + 32)
#define VMC_PULSE_PATH_MAX 200 /* bytes of a cookie path in a module argument */
#define VMC_PULSE_PORT_TRIES 4 /* free ports tried when the module load fails */
#define VMC_PULSE_MODULE "module-native-protocol-tcp"
#define VMC_PULSE_COOKIE_NAME "cookie"
#define VMC_PULSE_CLIENT_CONF_NAME "client.conf"

/* ---- pure (pulse-util.c) ---- */

/* TRUE when path can go into a module argument unquoted: absolute, at most
 * VMC_PULSE_PATH_MAX bytes, only [A-Za-z0-9/._-], no "..". */
gboolean vmc_pulse_path_is_safe(const char *path);

/* The module-native-protocol-tcp argument for port; cookie_path NULL: the
 * anonymous form (PipeWire reads nothing else). cookie_path must be safe. */
char *vmc_pulse_module_argument(guint16 port, const char *cookie_path);

/* The pulse server's own version out of "PulseAudio (on PipeWire x)": "x",
 * or NULL when name is not of that form. */
char *vmc_pulse_pipewire_version(const char *name);

/* ---- files (cookie-file.c) ---- */

/* VMC_PULSE_COOKIE_SIZE bytes from getrandom(2). */
gboolean vmc_pulse_cookie_generate(guint8 *ret_cookie, GError **error);

/* Read exactly VMC_PULSE_COOKIE_SIZE bytes from a regular file (no symlink). */
gboolean vmc_pulse_cookie_read(const char *path, guint8 *ret_cookie, GError **error);

/* A fresh 0700 directory "vmc-pulse-XXXXXX" under base (NULL:
 * g_get_tmp_dir()); its path must be safe (see above). */
char *vmc_pulse_private_dir_make(const char *base, GError **error);

/* Remove the regular files in dir (no recursion) and dir itself; quiet. */
void vmc_pulse_private_dir_remove(const char *dir);

/* ---- one connection (pulse-conn.c) ---- */

typedef struct _VmcPulseConn VmcPulseConn;

/* Connect to server (NULL: libpulse's default) without autospawn and wait
 * until ready, all before now + timeout_ms. When cookie_file is set, libpulse
 * is made to present that cookie and to read client_conf instead of the
 * user's client.conf (by setting PULSE_COOKIE / PULSE_CLIENTCONFIG while the
 * context is made: see pulse-conn.c). hint ends the "no server" message. */
VmcPulseConn *vmc_pulse_conn_open(const char *server, guint timeout_ms, const char *hint,
                                  const char *cookie_file, const char *client_conf, GError **error);
void vmc_pulse_conn_free(VmcPulseConn *conn);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcPulseConn, vmc_pulse_conn_free)

VmcPulseServerInfo *vmc_pulse_conn_server_info(VmcPulseConn *conn, GError **error);

/* The new module's index; FALSE with VMC_PULSE_ERROR_MODULE when refused. */
gboolean vmc_pulse_conn_load_module(VmcPulseConn *conn, const char *name, const char *argument,
                                    guint32 *ret_index, GError **error);

/* ret_found: whether module index exists as name with exactly argument. */
gboolean vmc_pulse_conn_module_matches(VmcPulseConn *conn, guint32 index, const char *name,
                                       const char *argument, gboolean *ret_found, GError **error);

gboolean vmc_pulse_conn_unload_module(VmcPulseConn *conn, guint32 index, GError **error);

/* ---- what an endpoint leaves behind (pulse-util.c: pure) ----
 * Each endpoint's private dir holds an "owner" file naming the process that
 * opened it (pid and its start time, so a reused pid is not taken for it),
 * the module index and the module argument. A later run that finds the owner
 * dead unloads that module (only if index, name and argument still match)
 * and removes the dir: what a SIGKILLed launcher leaves behind. */
#define VMC_PULSE_OWNER_NAME "owner"
#define VMC_PULSE_OWNER_MAX 1024 /* bytes of an owner file */
#define VMC_PULSE_SWEEP_MAX 64   /* endpoint dirs looked at in one sweep */
#define VMC_PULSE_STAT_MAX 4096  /* bytes of /proc/PID/stat read */

typedef struct {
    guint32 pid;
    guint64 start;   /* the process's start time, clock ticks after boot */
    guint32 module;  /* the module index */
    char *argument;  /* the module argument */
} VmcPulseOwner;

/* The owner file's text; argument must be printable ASCII. */
char *vmc_pulse_owner_format(const VmcPulseOwner *owner);
/* Strict: exactly the format above, at most VMC_PULSE_OWNER_MAX bytes, pid
 * > 0, decimal numbers without sign or leading zeros, a printable ASCII
 * argument. FALSE (and ret_owner untouched) on anything else. */
gboolean vmc_pulse_owner_parse(const char *text, gsize length, VmcPulseOwner *ret_owner);
void vmc_pulse_owner_clear(VmcPulseOwner *owner);

/* The start time (field 22) out of the text of /proc/PID/stat (the command
 * name in parentheses may hold anything, so fields count from the last ')'). */
gboolean vmc_pulse_stat_start_time(const char *text, gsize length, guint64 *ret_start);
