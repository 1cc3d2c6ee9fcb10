/* pulse-priv.h — inside pulse/: limits, the pure helpers the unit tests
 * reach, the cookie files and private directories, and one libpulse
 * connection run on its own pa_mainloop with a deadline. */
#pragma once

#include "vmc-common.h"
#include "vmc-pulse.h"

#include <stdint.h>

/* TRUE when the endpoint's cookie is checked by this process's guard
 * (vmc_pulse_endpoint_is_authenticated): for the tests that look. */
gboolean vmc_pulse_endpoint_is_guarded(const VmcPulseEndpoint *endpoint);

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
/* The server the connection reached, as libpulse names it ("/run/user/1000/
 * pulse/native", "unix:/…", "tcp:host:port"); NULL when unknown. */
const char *vmc_pulse_conn_get_server(VmcPulseConn *conn);

/* The Unix socket path out of a server name that is one ("/path" or
 * "unix:/path", short enough for sun_path, no "{machine-id}" prefix); NULL
 * for anything else (tcp:, a host name, a list). */
char *vmc_pulse_server_unix_path(const char *server);

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
#define VMC_PULSE_OWNER_MAX 1024        /* bytes of an owner file */
#define VMC_PULSE_SWEEP_MAX 64          /* endpoint dirs looked at in one sweep */
#define VMC_PULSE_NO_MODULE G_MAXUINT32 /* an owner file's module: none (a guard alone) */
#define VMC_PULSE_STAT_MAX 4096         /* bytes of /proc/PID/stat read */

typedef struct {
    guint32 pid;
    guint64 start;  /* the process's start time, clock ticks after boot */
    guint32 module; /* the module index */
    char *argument; /* the module argument */
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

/* ---- the first packet of a native-protocol client (auth-packet.c: pure) ----
 * Every libpulse client begins with a command packet: a 20-byte descriptor
 * (payload length, channel 0xffffffff, offset 0, 0, flags 0; big-endian)
 * and a tagstruct 'L' AUTH(8), 'L' tag, 'L' version, 'x' 256 + the cookie.
 * PipeWire's pulse server ignores the cookie; the guard (guard.c) checks it
 * in front of that server instead. */
#define VMC_PULSE_FRAME_HEADER 20
#define VMC_PULSE_AUTH_MAX 1024 /* bytes the first packet may have */
#define VMC_PULSE_REFUSAL_SIZE (VMC_PULSE_FRAME_HEADER + 15)

typedef enum {
    VMC_PULSE_AUTH_MORE, /* not all of the first packet yet */
    VMC_PULSE_AUTH_OK,   /* an AUTH with exactly our cookie */
    VMC_PULSE_AUTH_BAD,  /* anything else: malformed, another command, wrong cookie */
} VmcPulseAuthVerdict;

/* Judge what a client sent so far (data, length). OK: *ret_packet is the
 * first packet's size (<= length). BAD with *ret_tag_known: a well-formed
 * AUTH with another cookie, whose tag is in *ret_tag (for the refusal). The
 * cookie is compared in constant time. */
VmcPulseAuthVerdict vmc_pulse_auth_judge(const guint8 *data, gsize length, const guint8 *cookie,
                                         gsize *ret_packet, guint32 *ret_tag,
                                         gboolean *ret_tag_known);

/* The server's reply "error ACCESS" to the command with tag: libpulse then
 * says "Access denied", as a cookie-checking server would make it say. */
void vmc_pulse_auth_refusal(guint32 tag, guint8 *out /* VMC_PULSE_REFUSAL_SIZE */);

/* ---- the native protocol past the first packet (native-protocol.c,
 * native-policy.c: pure) ----
 * Every frame is the 20-byte descriptor and a payload: a packet (channel
 * 0xffffffff, flags 0) holding a tagstruct — 'L' command, 'L' tag, the
 * arguments — or audio for a stream's channel (flags: the seek mode). The
 * top byte of the flags refers to shared memory: never through a tunnel. */
#define VMC_PULSE_CLIENT_FRAME_MAX                                                                 \
    (64 * 1024)                                 /* payload bytes of a client's frame               \
                                                 * (libpulse sends at most 64 KiB) */
#define VMC_PULSE_SERVER_FRAME_MAX (256 * 1024) /* ... of the server's */
#define VMC_PULSE_STREAMS_MAX 32                /* streams one connection may hold */
#define VMC_PULSE_COMMAND_MAX 105               /* PulseAudio 16's commands: 0..104 */
#define VMC_PULSE_COMMAND_ERROR 0u
#define VMC_PULSE_COMMAND_REPLY 2u
#define VMC_PULSE_COMMAND_DELETE_RECORD_STREAM 6u
#define VMC_PULSE_COMMAND_AUTH 8u
#define VMC_PULSE_ERROR_ACCESS 1u /* PA_ERR_ACCESS: "Access denied" */
/* the AUTH version's flags: the client can use shared memory / memfd */
#define VMC_PULSE_VERSION_FLAGS_MASK 0xc0000000u

typedef enum {
    VMC_PULSE_FRAME_MORE, /* not all of the frame yet */
    VMC_PULSE_FRAME_OK,
    VMC_PULSE_FRAME_BAD, /* length 0 or over max, shared memory, bad flags */
} VmcPulseFrameVerdict;

typedef struct {
    gsize size; /* descriptor and payload */
    guint32 channel;
    gboolean is_packet;
    const guint8 *payload; /* points into the data given */
    gsize payload_length;
} VmcPulseFrame;

/* The frame at the start of data (length bytes so far), its payload at most
 * max_payload bytes. OK fills *ret_frame. */
VmcPulseFrameVerdict vmc_pulse_frame_parse(const guint8 *data, gsize length, gsize max_payload,
                                           VmcPulseFrame *ret_frame);
/* A packet's command and tag (its first two values, both 'L'). */
gboolean vmc_pulse_packet_command(const guint8 *payload, gsize length, guint32 *ret_command,
                                  guint32 *ret_tag);
/* The first / second 'L' argument after command and tag. */
gboolean vmc_pulse_packet_first_index(const guint8 *payload, gsize length, guint32 *ret_index);
gboolean vmc_pulse_packet_second_index(const guint8 *payload, gsize length, guint32 *ret_index);
/* TRUE for a CREATE_RECORD_STREAM packet that records the default source:
 * no source index, no source name (so no monitor of a sink), no
 * direct_on_input (another stream's output); every value well-formed. */
gboolean vmc_pulse_record_source_is_default(const guint8 *payload, gsize length);
/* The server's "error" reply to the command with tag (VMC_PULSE_REFUSAL_SIZE
 * bytes): libpulse reports error ACCESS as "Access denied". */
void vmc_pulse_error_reply(guint32 tag, guint32 error, guint8 *out);

typedef enum {
    VMC_PULSE_PASS,   /* to the server as it is */
    VMC_PULSE_REFUSE, /* answer "access denied" to its tag instead */
    VMC_PULSE_DROP,   /* not a command: end the connection */
} VmcPulseVerdict;

typedef struct {
    gboolean pending; /* created, the server's reply not seen yet: tag is set */
    gboolean record;
    guint32 tag, channel, index;
} VmcPulseStream;

/* One connection's policy: record as the person chose; zero the rest. */
typedef struct {
    gboolean record;
    VmcPulseStream streams[VMC_PULSE_STREAMS_MAX];
    guint n_streams;
} VmcPulsePolicy;

/* Judge a client's packet (after AUTH); *ret_command and *ret_tag are set
 * unless DROP. */
VmcPulseVerdict vmc_pulse_policy_client_packet(VmcPulsePolicy *policy, const guint8 *payload,
                                               gsize length, guint32 *ret_command,
                                               guint32 *ret_tag);
/* Learn from a server's packet (the indices of the streams it created). */
void vmc_pulse_policy_server_packet(VmcPulsePolicy *policy, const guint8 *payload, gsize length);
/* "load-module", "set-default-sink", …: for the summary of refusals. */
const char *vmc_pulse_command_name(guint32 command);

/* ---- the guard (guard.c) ----
 * A listener on 127.0.0.1 (a free port) in front of the sound server: a
 * connection whose first packet is an AUTH with our cookie is connected to
 * the server, the AUTH passed on without its shared-memory flags, and then
 * only what the policy above allows goes through, frame by frame (bounded
 * buffers, backpressure); refused commands get "access denied" and are
 * counted. Any other first packet gets "access denied" or is closed; one
 * that sends nothing for VMC_PULSE_GUARD_AUTH_MS is closed. Runs on GLib's
 * global default main context, which the caller runs. */
#define VMC_PULSE_GUARD_AUTH_MS 5000
#define VMC_PULSE_GUARD_CONNS_MAX 32

typedef struct _VmcPulseGuard VmcPulseGuard;
/* The target: the server's Unix socket (target_path) or else
 * 127.0.0.1:target_port. record: recording is allowed (the person asked for
 * the microphone). */
VmcPulseGuard *vmc_pulse_guard_new(const char *target_path, guint16 target_port,
                                   const guint8 *cookie, gboolean record, GError **error);
guint16 vmc_pulse_guard_get_port(const VmcPulseGuard *guard);
/* Connections turned away (no or a wrong cookie, not the protocol, too many). */
guint vmc_pulse_guard_get_refused(const VmcPulseGuard *guard);
/* "3 commands (load-module 1, set-default-sink 2)", or NULL when none was refused. */
char *vmc_pulse_guard_refused_commands(const VmcPulseGuard *guard);
void vmc_pulse_guard_free(VmcPulseGuard *guard);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcPulseGuard, vmc_pulse_guard_free)
