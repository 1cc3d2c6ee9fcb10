/* vmc-pulse.h — sound through the SSH tunnel: the laptop's private endpoint
 * and the host's probe of it (libpulse).
 *
 * Laptop side: a guard in this process listens on 127.0.0.1 on a free port
 * with a fresh random cookie, in front of the person's own sound server
 * (PulseAudio or PipeWire's pulse server alike): it admits a client only
 * with the cookie, and then lets through only the native-protocol commands
 * that playing a stream needs (recording too only when asked for);
 * everything else is answered "access denied" and counted. It relays to the
 * server's own Unix socket; only a server not reached through one gets a
 * module-native-protocol-tcp behind the guard, unloaded again on every exit
 * path.
 *
 * Host side: connect to a tunnelled endpoint with a given cookie within a
 * bounded time and report the server's name and version, or why not.
 *
 * Both run their own pa_mainloop with a deadline: they never touch GLib's
 * default main context and never autospawn a server.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VMC_PULSE_ERROR (vmc_pulse_error_quark())
GQuark vmc_pulse_error_quark(void);

typedef enum {
    VMC_PULSE_ERROR_CONNECT, /* no server, refused, access denied, timeout */
    VMC_PULSE_ERROR_MODULE,  /* loading the endpoint module failed */
    VMC_PULSE_ERROR_COOKIE,  /* a cookie could not be made, written or read */
    VMC_PULSE_ERROR_INVALID, /* bad argument (e.g. cookie text not hex) */
} VmcPulseError;

#define VMC_PULSE_COOKIE_SIZE 256                        /* bytes, as PulseAudio's own */
#define VMC_PULSE_COOKIE_HEX (2 * VMC_PULSE_COOKIE_SIZE) /* its hex text, no '\n' */
#define VMC_PULSE_TIMEOUT_MS 5000                        /* default deadline */

typedef enum {
    VMC_PULSE_SERVER_PULSEAUDIO, /* "pulseaudio" */
    VMC_PULSE_SERVER_PIPEWIRE,   /* "PulseAudio (on PipeWire x.y.z)" */
    VMC_PULSE_SERVER_OTHER,
} VmcPulseServerKind;

typedef struct {
    VmcPulseServerKind kind;
    char *name; /* as the server says (untrusted text: escape to print) */
    char *version;
} VmcPulseServerInfo;

void vmc_pulse_server_info_free(VmcPulseServerInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcPulseServerInfo, vmc_pulse_server_info_free)

/* Pure: the kind for a server name as pa_server_info reports it. */
VmcPulseServerKind vmc_pulse_server_kind(const char *name);

/* "PulseAudio 16.1" / "PipeWire 0.3.65 (pulse server 15.0.0)" / "NAME VERSION":
 * for progress lines; escaped, printable ASCII. */
char *vmc_pulse_server_describe(const VmcPulseServerInfo *info);

/* Pure: cookie bytes <-> hex text (lowercase, exactly VMC_PULSE_COOKIE_HEX
 * characters; anything else is VMC_PULSE_ERROR_INVALID). */
char *vmc_pulse_cookie_to_hex(const guint8 *cookie);
gboolean vmc_pulse_cookie_from_hex(const char *hex, gsize length, guint8 *ret_cookie,
                                   GError **error);

/* Write cookie to path (O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, mode 0600). */
gboolean vmc_pulse_cookie_write(const char *path, const guint8 *cookie, GError **error);

/* ---- laptop side ---- */

typedef struct _VmcPulseEndpoint VmcPulseEndpoint;

/* Open a private endpoint on the person's server (server NULL: libpulse's
 * default, i.e. $PULSE_SERVER or the user's runtime socket). The cookie is
 * fresh random bytes, kept in a 0600 file in a new 0700 directory under
 * $XDG_RUNTIME_DIR (else g_get_tmp_dir()). The endpoint (its guard) listens
 * on 127.0.0.1:port, a free port chosen here, while the caller runs GLib's
 * default main context. record: clients may record (the microphone). */
VmcPulseEndpoint *vmc_pulse_endpoint_open(const char *server, guint timeout_ms, gboolean record,
                                          GError **error);

guint16 vmc_pulse_endpoint_get_port(const VmcPulseEndpoint *endpoint);
/* The cookie as hex text (VMC_PULSE_COOKIE_HEX chars), for the gateway's stdin. */
const char *vmc_pulse_endpoint_get_cookie_hex(const VmcPulseEndpoint *endpoint);
/* TRUE: a client must present the cookie. Where the server cannot check it
 * (PipeWire's pulse server), the endpoint's port is a guard in this process
 * that checks the cookie in the client's first packet and relays only then
 * to the server: it works while the caller runs GLib's default main context. */
gboolean vmc_pulse_endpoint_is_authenticated(const VmcPulseEndpoint *endpoint);
/* Connections the guard turned away so far (0 without a guard). */
guint vmc_pulse_endpoint_get_refused(const VmcPulseEndpoint *endpoint);
/* The commands it refused so far, "N commands (load-module 1, …)"; NULL: none. */
char *vmc_pulse_endpoint_get_refused_commands(const VmcPulseEndpoint *endpoint);
const VmcPulseServerInfo *vmc_pulse_endpoint_get_server(const VmcPulseEndpoint *endpoint);
/* The module index the server gave the endpoint (tests check it is gone);
 * G_MAXUINT32 when none was loaded (PipeWire reached through its socket). */
guint32 vmc_pulse_endpoint_get_module_index(const VmcPulseEndpoint *endpoint);

/* Unload the module (reconnecting if the connection was lost), remove the
 * cookie file and its directory. Safe to call more than once; FALSE with
 * error when the module could not be unloaded (the caller says so). */
gboolean vmc_pulse_endpoint_close(VmcPulseEndpoint *endpoint, GError **error);

/* Close (ignoring errors) and free. */
void vmc_pulse_endpoint_free(VmcPulseEndpoint *endpoint);

/* What endpoints of earlier runs left when their process died without
 * closing (SIGKILL, a crash): in each private dir of this user under
 * $XDG_RUNTIME_DIR (else the tmp dir) whose owner process is gone, the
 * module is unloaded if it still is the same (index, name and argument) and
 * the dir is removed. Endpoints of running processes are left alone. The
 * lines say what was removed (empty: nothing was); NULL with error when the
 * server could not be asked (the dirs stay for a later run). */
GPtrArray *vmc_pulse_endpoint_sweep(const char *server, guint timeout_ms, GError **error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcPulseEndpoint, vmc_pulse_endpoint_free)

/* ---- host side ---- */

/* Connect to server (e.g. "tcp:127.0.0.1:47113") presenting the cookie in
 * cookie_path (NULL: no cookie — an anonymous endpoint), ask for the server
 * info and disconnect, all within timeout_ms. A refusal by cookie says
 * "access denied (wrong or missing cookie)". */
VmcPulseServerInfo *vmc_pulse_probe(const char *server, const char *cookie_path, guint timeout_ms,
                                    GError **error);

G_END_DECLS
