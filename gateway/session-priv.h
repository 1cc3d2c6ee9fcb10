/* session-priv.h — the console session: records, the viewer, the lifecycle. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <sys/socket.h>

#include "gateway-priv.h"
#include "native.h"
#include "vmc-sandbox.h"
#include "vmc-sessionlog.h"
#include "vmc-spice.h"

G_BEGIN_DECLS

#define VMC_VIEWER_STOP_TIMEOUT_MS 2000 /* SIGTERM, then SIGKILL after this */
#define VMC_TAKEOVER_TIMEOUT_MS 5000    /* wait for the holder to let go */
#define VMC_DISPLAY_MAX 64              /* bytes of $DISPLAY accepted */
#define VMC_VIEWER_QUICK_EXIT_S 5       /* a viewer gone sooner: its log tail goes in the record */
#define VMC_VIEWER_LOG_TAIL 600         /* bytes of that tail */
#define VMC_VIEWER_OUTPUT_KEEP 4096     /* bytes of the viewer's output kept (a ring) */
#define VMC_VIEWER_START_TIMEOUT_MS 10000 /* for the sandbox to come up */
#define VMC_X11_TCP_PORT_BASE 6000        /* display N listens on TCP 6000 + N */
#define VMC_SWEPT_ID_MAX 64               /* bytes of a swept session's id in a record */

/* ---- pure formatting (session-record.c) ---- */

/* The line the person sees at the end: "session 1h02m, display 1.2 GiB,
 * audio 43 MiB, peak 85.3 MiB/s[, X11 to your screen 230 MiB]". (The
 * session's plain streams are called VMC_RECORD_STREAM_X11 and _AUDIO in
 * the relay and the records.) */
char *vmc_session_summary(const VmcRelayStats *stats, gint64 duration_s);

/* "sandbox": "on"|"off" and "protections" (NULL: none) of a start record. */
void vmc_session_record_sandbox(VmcRecordStart *start, gboolean on, const char *const *protections);

#define VMC_SESSION_SERIES_MAX 900 /* samples per series in a record (then merged) */

/* The counters of an end record: "channels" (those used), "bytes_total",
 * "rate_mean", "rate_peak", "rate_peak_time" (when there was a peak),
 * "series" (the total, per channel and per stream, merged to at most
 * VMC_SESSION_SERIES_MAX samples), "rejected_connections", "streams" (the
 * X11 and sound streams, when there are any) and "agent". */
void vmc_session_record_stats(VmcRecordEnd *end, const VmcRelayStats *stats);

/* The agent policy in force, for the start record: "file_transfer" ("deny"
 * or "allow") and "clipboard" ("both", "to-vm", "from-vm" or "none"). */
void vmc_session_record_agent_policy(VmcRecordStart *start, const VmcAgentPolicy *policy);

/* What the agent policy removed, for the end record (vmc_session_record_stats
 * adds it): agent messages, bytes dropped and injected each way, and the
 * main channels closed because they could not be followed. */
void vmc_session_record_agent(VmcRecordAgent *agent, const VmcAgentStats *stats);

/* ---- the agent policy (session-agent.c) ---- */

/* The policy the config sets for vm ([vm] keys, else [gateway] ones). Pure. */
void vmc_session_agent_policy(const VmcConfig *config, const char *vm, VmcAgentPolicy *ret_policy);

/* Give relay the policy of vm; call it right after vmc_relay_new, before
 * the viewer can connect. */
void vmc_session_apply_agent_policy(VmcRelay *relay, const VmcConfig *config, const char *vm);

/* vmc_session_record_agent_policy with the policy the config sets for vm,
 * for the start record (written before the relay exists). */
void vmc_session_record_vm_agent_policy(VmcRecordStart *start, const VmcConfig *config,
                                        const char *vm);

/* ---- the viewer (viewer.c) ---- */

/* TRUE for a DISPLAY value we pass on: printable, no '/', at most VMC_DISPLAY_MAX. */
gboolean vmc_viewer_display_is_valid(const char *display);

/* The viewer's fixed argv: viewer --spice-disable-usbredir
 * [--spice-disable-audio] spice+unix://SOCKET. No --title: remote-viewer
 * then titles its window with the guest name the relay sends
 * (vmc_relay_set_main_name), "TITLE (1)" (remote-viewer 11). */
GStrv vmc_viewer_argv(const char *viewer, const char *spice_socket, gboolean audio);

/* Where the viewer finds things, as the viewer sees them (inside the
 * sandbox, or host paths without it). */
typedef struct {
    const char *display; /* DISPLAY (dropped when not valid) */
    const char *xauthority;
    const char *home;        /* HOME; XDG_CONFIG/CACHE/DATA/STATE_HOME beneath it */
    const char *runtime_dir; /* XDG_RUNTIME_DIR */
} VmcViewerPlaces;

/* The fixed environment: DISPLAY, XAUTHORITY, HOME, the XDG dirs, PATH,
 * LANG (from parent_env, when sane), the hardening variables (viewer.c says
 * why each), and the extra "NAME=VALUE" pairs (the gateway's own, e.g.
 * PULSE_SERVER; may be NULL); nothing else. */
GStrv vmc_viewer_env(char **parent_env, const VmcViewerPlaces *places, const GPtrArray *extra);

/* Write a private authority file holding only display's cookie, taken from
 * the account's ($XAUTHORITY or ~/.Xauthority); with as_number the entries
 * are rewritten for that display number on any host (the sandbox's :0);
 * see xauth.c. */
gboolean vmc_viewer_write_xauthority(char **parent_env, const char *display, const char *path,
                                     const char *as_number, GError **error);

/* The address sshd's X11 forward listens on for display ("localhost:10.0"
 * -> TCP 127.0.0.1:6010; ":N"/"unix:N" -> /tmp/.X11-unix/XN). */
gboolean vmc_viewer_x11_target(const char *display, struct sockaddr_storage *ret_address,
                               socklen_t *ret_length, GError **error);

/* ---- X authority entries (xauth.c) ---- */

#define VMC_XAUTH_FILE_MAX (1024 * 1024) /* bytes of an authority file read at most */
#define VMC_XAUTH_ENTRIES_MAX 10000      /* entries looked at */

/* Pure: "HOST:NUMBER[.SCREEN]" into its host ("" for ":0") and number. */
gboolean vmc_xauth_parse_display(const char *display, char **ret_host, char **ret_number);

/* Pure: the entries of an authority file (Xau format) for display, as
 * `xauth nextract - DISPLAY` picks them: the display's number, family local
 * with our hostname or wild, any auth name; copied verbatim. NULL when there is
 * none, the display is not on this host, or data is longer than
 * VMC_XAUTH_FILE_MAX. A damaged tail is ignored. */
GBytes *vmc_xauth_select(const guint8 *data, gsize length, const char *display,
                         const char *hostname);

/* Pure: entries (as vmc_xauth_select gives them) rewritten to family wild
 * (any host), no address, display number `number`; names and data kept. */
GBytes *vmc_xauth_retarget(GBytes *entries, const char *number);

/* Read source (bounded, O_NOFOLLOW), write the selected entries to path
 * (created 0600, O_EXCL), retargeted to as_number when it is not NULL. */
gboolean vmc_xauth_copy_for_display(const char *source, const char *display, const char *path,
                                    const char *as_number, GError **error);

/* ---- the viewer's process (viewer-process.c) ---- */

typedef struct _VmcViewer VmcViewer;

/* How to start it: argv and envp as built above; with sandbox set, argv is
 * bubblewrap's (vmc_sandbox_argv with status fd 3 and report fd 4) and the
 * start waits until the sandbox is up and vmconsole-confine reported
 * exactly expected_report. */
typedef struct {
    char **argv;
    char **envp;
    const char *cwd;
    gboolean sandbox;
    const char *expected_report;
} VmcViewerLaunch;

#define VMC_VIEWER_STATUS_FD 3 /* bwrap --json-status-fd, in the child */
#define VMC_VIEWER_REPORT_FD 4 /* vmconsole-confine --report-fd, in the child */

/* Start it in its own process group, stdin from /dev/null, stdout and
 * stderr into a bounded ring the gateway reads (VMC_VIEWER_OUTPUT_KEEP),
 * dying with the gateway (PR_SET_PDEATHSIG). With a sandbox, FALSE when it
 * did not come up within VMC_VIEWER_START_TIMEOUT_MS (the error quotes what
 * bubblewrap or confine said). */
VmcViewer *vmc_viewer_start(const VmcViewerLaunch *launch, GError **error);
/* The process to watch and signal: bubblewrap, or the viewer itself. */
GPid vmc_viewer_get_pid(const VmcViewer *viewer);
/* Relay peer check: TRUE for a process of this viewer — in its sandbox's
 * PID namespace (and of our uid), or the viewer's own pid without one. */
gboolean vmc_viewer_peer_check(pid_t pid, uid_t uid, gpointer viewer);
/* The last bytes of the viewer's output (at most VMC_VIEWER_OUTPUT_KEEP),
 * what is still in the pipe included; "" when it said nothing. */
char *vmc_viewer_output_tail(VmcViewer *viewer);
/* Close the pipes (the process is the caller's to end and reap). */
void vmc_viewer_free(VmcViewer *viewer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcViewer, vmc_viewer_free)

/* ---- sound through the tunnel (sound.c) ---- */

#define VMC_SOUND_STDIN_TIMEOUT_MS 10000 /* for the port and cookie lines on stdin */
#define VMC_SOUND_LINE_MAX 1024          /* bytes of one stdin line */
#define VMC_SOUND_PROBE_TIMEOUT_MS 3000  /* to reach the laptop's sound server */
#define VMC_SOUND_PROBLEM_MAX 300        /* bytes of the escaped reason for no sound */
#define VMC_SOUND_SOCKET "pulse.sock"    /* the session's sound socket, relayed to the tunnel */
#define VMC_SOUND_COOKIE "pulse-cookie"
#define VMC_SOUND_CLIENT_CONFIG "pulse-client.conf"

typedef struct {
    gboolean requested;     /* --pulse=... was given */
    guint16 port;           /* the tunnel's port on the host's loopback (0: not known) */
    gboolean authenticated; /* a cookie was given */
    char *endpoint;         /* "tcp:127.0.0.1:PORT" */
    char *cookie_path;      /* in the session dir, 0600; NULL without a cookie */
    char *client_config;    /* libpulse client.conf: no shm/memfd, no autospawn */
    char *server;           /* what the probe found, e.g. "PulseAudio 16.1" */
    char *problem;          /* why there is no sound though it was asked for (raw: escaped
                             * where it is printed or recorded) */
} VmcSound;

/* Set sound up as the request asks: the stdin lines, the check that the port
 * is this SSH connection's own reverse forward (vmconsole-tunnel-check;
 * unless check_tunnel is FALSE: the admin's tunnel-check = off), the cookie
 * and client config files in session_dir, the probe. Never fails:
 * sound->problem says why there is no sound. */
void vmc_sound_setup(VmcSound *sound, const VmcRequest *request, const char *session_dir,
                     gboolean check_tunnel);
gboolean vmc_sound_is_on(const VmcSound *sound);
/* Tell the person (stderr) what became of the sound. */
void vmc_sound_tell(const VmcSound *sound);
/* Add the viewer's PULSE_* "NAME=VALUE" pairs (new strings) to pairs: the
 * server is the session's sound socket, VMC_SOUND_SOCKET in dir, and the
 * cookie and client config are in dir too — dir as the viewer sees the
 * session's files. */
void vmc_sound_env(const VmcSound *sound, const char *dir, GPtrArray *pairs);
/* The tunnel's address on the host's loopback, which the session's sound
 * socket is relayed to; FALSE when sound is off. */
gboolean vmc_sound_target(const VmcSound *sound, struct sockaddr_storage *ret_address,
                          socklen_t *ret_length);
/* "audio", "audio_authenticated", "audio_server", "audio_error" of a start
 * or end record. */
void vmc_sound_record(const VmcSound *sound, VmcRecordSound *record);
void vmc_sound_clear(VmcSound *sound);

/* ---- reading a line with a deadline (read-line.c) ---- */

/* Read one line (without '\n', trailing '\r' dropped) of at most size - 1
 * bytes from fd before the monotonic deadline; byte by byte, so nothing after
 * it is consumed. what names fd in messages ("stdin"). */
gboolean vmc_read_line(int fd, const char *what, gint64 deadline_us, char *buf, gsize size,
                       gsize *ret_length, GError **error);

/* ---- native mode: serving attaches (session-native.c) ---- */

typedef struct _VmcNativeServer VmcNativeServer;

/* Listen on VMC_NATIVE_SOCKET in dir and write VMC_NATIVE_INFO_FILE there
 * (0600: peer's text, for attach processes to find the session). Each
 * attach whose description vmc_native_mismatch accepts against peer has its
 * two fds added to relay (vmc_relay_add_client); its control connection is
 * closed when that relay connection ends. At most VMC_NATIVE_ATTACH_MAX at
 * once. */
VmcNativeServer *vmc_native_server_start(const char *dir, const VmcNativePeer *peer,
                                         VmcRelay *relay, GError **error);
/* Attaches whose fds are relay connections now. */
guint vmc_native_server_n_attached(const VmcNativeServer *server);
/* Close every control connection (the attach processes exit); free the
 * relay first, so that its connections are closed without callbacks. */
void vmc_native_server_free(VmcNativeServer *server);

/* ---- the lifecycle (session.c) ---- */

/* Run an allowed open to its end and return the exit code. log is open,
 * decision is GRANTED. */
VmcExit vmc_session_run(const VmcGateway *gateway, VmcSessionLog *log, const VmcIdentity *identity,
                        VmcAccessDecision *decision, const VmcRequest *request);

/* A Unix socket of type (SOCK_STREAM, SOCK_SEQPACKET) listening at path,
 * close-on-exec and non-blocking; -1 with error set. */
int vmc_session_listen(const char *path, int type, GError **error);

G_END_DECLS
