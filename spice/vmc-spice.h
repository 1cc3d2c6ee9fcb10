/* vmc-spice.h — Spice on the wire: the link-header check, the byte-counting
 * relay, and a headless probe.
 *
 * The relay knows nothing of ACLs or sessions: it is given a listening socket,
 * the pinned VM socket, the channel types it may let through and who may
 * connect; it validates each connection's link header before a byte is
 * forwarded, then moves bytes both ways with bounded buffers, counting per
 * channel type and per second. The same relay can carry plain streams
 * (a session's X11 and sound connections): no link header, counted per
 * stream on the same clock, so every per-second series lines up.
 */
#pragma once

#include <glib.h>
#include <spice/enums.h>
#include <sys/socket.h>
#include <sys/types.h>

G_BEGIN_DECLS

#define VMC_SPICE_ERROR (vmc_spice_error_quark())
GQuark vmc_spice_error_quark(void);

typedef enum {
    VMC_SPICE_ERROR_INCOMPLETE, /* more bytes needed (not an error of the peer yet) */
    VMC_SPICE_ERROR_MAGIC,
    VMC_SPICE_ERROR_VERSION,
    VMC_SPICE_ERROR_SIZE,
    VMC_SPICE_ERROR_CHANNEL, /* channel type not on the allowlist */
    VMC_SPICE_ERROR_CAPS,
    VMC_SPICE_ERROR_IO,
    VMC_SPICE_ERROR_TIMEOUT,
    VMC_SPICE_ERROR_PROBE,
    VMC_SPICE_ERROR_AGENT, /* the agent filter cannot follow a main channel: refused */
} VmcSpiceError;

/* Spice channel types, spice-protocol's (spice/enums.h). */
typedef enum {
    VMC_SPICE_CHANNEL_MAIN = SPICE_CHANNEL_MAIN,
    VMC_SPICE_CHANNEL_DISPLAY = SPICE_CHANNEL_DISPLAY,
    VMC_SPICE_CHANNEL_INPUTS = SPICE_CHANNEL_INPUTS,
    VMC_SPICE_CHANNEL_CURSOR = SPICE_CHANNEL_CURSOR,
    VMC_SPICE_CHANNEL_PLAYBACK = SPICE_CHANNEL_PLAYBACK,
    VMC_SPICE_CHANNEL_RECORD = SPICE_CHANNEL_RECORD,
    VMC_SPICE_CHANNEL_TUNNEL = SPICE_CHANNEL_TUNNEL,
    VMC_SPICE_CHANNEL_SMARTCARD = SPICE_CHANNEL_SMARTCARD,
    VMC_SPICE_CHANNEL_USBREDIR = SPICE_CHANNEL_USBREDIR,
    VMC_SPICE_CHANNEL_PORT = SPICE_CHANNEL_PORT,
    VMC_SPICE_CHANNEL_WEBDAV = SPICE_CHANNEL_WEBDAV,
} VmcSpiceChannel;

/* highest known type; arrays are indexed 0..MAX */
#define VMC_SPICE_CHANNEL_MAX (SPICE_END_CHANNEL - 1)
G_STATIC_ASSERT(VMC_SPICE_CHANNEL_MAX == VMC_SPICE_CHANNEL_WEBDAV);

/* "main", "display", … for a known type; NULL otherwise. */
const char *vmc_spice_channel_name(guint type);
/* The type of a channel name, or 0 when unknown. */
guint vmc_spice_channel_from_name(const char *name);

/* The link phase (client to server): 16-byte SpiceLinkHeader (magic "REDQ",
 * major, minor, size; little endian) followed by a SpiceLinkMess of `size`
 * bytes (connection_id u32, channel_type u8, channel_id u8, num_common_caps
 * u32, num_channel_caps u32, caps_offset u32, then the caps). */
#define VMC_SPICE_LINK_HEADER_SIZE 16
#define VMC_SPICE_LINK_MESS_MIN 18
#define VMC_SPICE_LINK_MESS_MAX 4096
#define VMC_SPICE_LINK_CAPS_MAX 1024

typedef struct {
    guint32 major;
    guint32 minor;
    guint32 size; /* bytes of SpiceLinkMess after the 16-byte header */
    guint32 connection_id;
    guint8 channel_type;
    guint8 channel_id;
    guint32 num_common_caps;
    guint32 num_channel_caps;
    guint32 caps_offset;
} VmcSpiceLink;

/* Validate the first `length` bytes a client sent. Returns TRUE with the
 * parsed link and *ret_total = 16 + size when the whole link message is there
 * and valid. FALSE with VMC_SPICE_ERROR_INCOMPLETE when more bytes are needed
 * (what is there is valid so far), or another code when the bytes can never
 * become valid: magic REDQ, major 2, 18 <= size <= 4096, channel type allowed
 * (allowed[type] TRUE, array of VMC_SPICE_CHANNEL_MAX + 1), each caps count
 * <= 1024, caps_offset >= 18 and caps_offset + 4*(n1+n2) <= size without
 * overflow. Pure; never allocates. */
gboolean vmc_spice_link_check(const guint8 *bytes, gsize length, const gboolean *allowed,
                              VmcSpiceLink *ret_link, gsize *ret_total, GError **error);

/* ---- the agent policy (enforced on the main channel) ---- */

/* What the Spice agent may carry between the laptop (the viewer) and the VM. */
typedef struct {
    gboolean file_transfer;     /* files may go to the VM */
    gboolean clipboard_to_vm;   /* the laptop's clipboard data may reach the VM */
    gboolean clipboard_from_vm; /* the VM's clipboard data may reach the laptop */
} VmcAgentPolicy;

/* TRUE when policy lets everything through (the main channel needs no filter). */
gboolean vmc_agent_policy_allows_all(const VmcAgentPolicy *policy);

/* What the agent filter did. "Dropped" messages are whole agent messages
 * removed, counted by the clipboard data flow they belong to (a request for
 * the VM's clipboard is part of the from-VM flow though it travels to the
 * VM). Bytes are those removed from, or added to, each direction of the main
 * channel (added: flow-control tokens, file-transfer refusals and the
 * relay's guest names; removed: also the VM's guest names it replaced). */
typedef struct {
    guint64 file_transfer_dropped;
    guint64 clipboard_to_vm_dropped;
    guint64 clipboard_from_vm_dropped;
    guint64 bytes_dropped_to_vm;
    guint64 bytes_dropped_from_vm;
    guint64 bytes_injected_to_vm;
    guint64 bytes_injected_from_vm;
    guint refused; /* main channels closed: the filter could not follow them */
} VmcAgentStats;

/* ---- the relay ---- */

#define VMC_RELAY_BUFFER_SIZE (64 * 1024) /* per direction per connection */
#define VMC_RELAY_MAX_CONNECTIONS 64      /* at once */
#define VMC_RELAY_LINK_TIMEOUT_MS 5000    /* to complete the link header */
#define VMC_RELAY_SERIES_MAX 3600         /* per-second samples kept (then downsampled) */
#define VMC_RELAY_STREAMS_MAX 4           /* plain streams besides Spice */
#define VMC_RELAY_STREAM_NAME_MAX 16      /* bytes of a stream's name, with the NUL */

typedef struct {
    guint64 bytes_to_vm;   /* client -> VM */
    guint64 bytes_from_vm; /* VM -> client */
    guint connections;
} VmcRelayChannelStats;

/* A plain stream's counters: "to target" is what the listener's clients
 * sent toward the target (e.g. viewer -> the laptop's X server). */
typedef struct {
    char name[VMC_RELAY_STREAM_NAME_MAX];
    guint64 bytes_to_target;
    guint64 bytes_from_target;
    guint connections;    /* that reached the target */
    guint failed;         /* that could not be connected to the target */
    guint64 input_events; /* an X11 stream's: the person's input events seen */
    guint unfollowed;     /* an X11 stream's connections its follower gave up on */
    double peak_rate;     /* bytes/s (both ways) over its busiest whole second */
    gint64 peak_time_us;  /* wall-clock start of that second; 0 if none */
    double mean_rate;
    GArray *series; /* of guint64: same step and length as VmcRelayStats.series */
} VmcRelayStreamStats;

typedef struct {
    VmcRelayChannelStats channels[VMC_SPICE_CHANNEL_MAX + 1]; /* by type; [0] unused */
    guint rejected; /* connections refused: wrong peer, bad header, timeout */
    guint64 bytes_total;
    double peak_rate;    /* bytes/s over the busiest whole second */
    gint64 peak_time_us; /* wall-clock (g_get_real_time) start of that second */
    double mean_rate;    /* bytes_total / seconds since the relay started */
    gint64 started_us;
    /* Per-second totals (both directions), oldest first. When more than
     * VMC_RELAY_SERIES_MAX seconds passed, adjacent samples are merged and
     * series_step_s doubles, so the series stays bounded. It covers every
     * completed second (the last sample may span fewer than series_step_s);
     * the second in progress is in bytes_total only. */
    GArray *series; /* of guint64 */
    guint series_step_s;
    /* The same per channel type (both directions), same step and length;
     * NULL for a channel that moved no byte. */
    GArray *channel_series[VMC_SPICE_CHANNEL_MAX + 1];
    /* The plain streams, in the order they were added; not in the totals
     * above, which are Spice's alone. */
    VmcRelayStreamStats streams[VMC_RELAY_STREAMS_MAX];
    guint n_streams;
    /* The agent policy in force and what it removed (all zero while every
     * main channel was spliced untouched). */
    VmcAgentPolicy agent_policy;
    VmcAgentStats agent;
} VmcRelayStats;

typedef struct _VmcRelay VmcRelay;

typedef enum {
    /* the VM side of a main channel closed (EOF, error, or it could not be
     * connected) while the client was still there; once per relay */
    VMC_RELAY_EVENT_VM_CLOSED,
    VMC_RELAY_EVENT_REJECTED, /* a connection was refused (detail says why) */
} VmcRelayEvent;

/* Called from the relay's sources; must not free the relay. */
typedef void (*VmcRelayCallback)(VmcRelay *relay, VmcRelayEvent event, const char *detail,
                                 gpointer user_data);

/* Decides whether the peer of an accepted connection (its SO_PEERCRED, pid
 * in the relay's PID namespace) may be served; FALSE refuses it. */
typedef gboolean (*VmcRelayPeerCheck)(pid_t pid, uid_t uid, gpointer user_data);

/* A relay accepting on listen_fd (a listening SOCK_STREAM Unix socket, taken
 * over; -1: none, clients come only by vmc_relay_add_client) and connecting each accepted
 * connection to the socket pinned as vm_pinned_fd (an O_PATH fd, not taken over) through
 * /proc/self/fd/N. Only connections whose SO_PEERCRED pid is peer_pid are served (0: any, for
 * tests; negative: none yet). Runs on the thread-default main context of the
 * caller. Bytes move by splice(2); the SIGPIPE a closed peer raises is
 * blocked and consumed, so the program's SIGPIPE handling does not matter. */
VmcRelay *vmc_relay_new(int listen_fd, int vm_pinned_fd, const gboolean *allowed, pid_t peer_pid,
                        VmcRelayCallback callback, gpointer user_data);

/* Let check decide who may connect, to Spice and to every stream, instead
 * of a pid (e.g. "any process in the viewer's sandbox"); connections already
 * accepted are kept. */
void vmc_relay_set_peer_check(VmcRelay *relay, VmcRelayPeerCheck check, gpointer user_data);

/* Enforce policy on the main channel: main-channel connections whose
 * relaying starts after this call go through the agent filter (read, filter,
 * write with bounded buffers) unless policy allows everything, in which case
 * they are spliced untouched like every other channel. A connection the
 * filter cannot follow is closed and counted as rejected (and in
 * VmcAgentStats.refused). The default allows everything. */
void vmc_relay_set_agent_policy(VmcRelay *relay, const VmcAgentPolicy *policy);

/* The guest name main-channel clients are given (SPICE_MSG_MAIN_NAME:
 * remote-viewer without --title shows it as its window title), in place of
 * the VM's own: main-channel connections go through the agent filter while
 * one is set (as under a policy that denies something), the VM's names are
 * removed and this one is sent after the VM's MAIN_INIT; set again, it goes
 * to the clients already there at their next message boundary. NULL: new
 * connections get the VM's names (those filtered already keep the last one
 * sent). FALSE when name is not UTF-8, has control characters or is longer
 * than 1024 bytes. Needs the Spice mini header (every spice-gtk and
 * spice-server uses it); without it the VM's name passes. */
gboolean vmc_relay_set_main_name(VmcRelay *relay, const char *name, GError **error);

/* Add a plain stream named name (at most VMC_RELAY_STREAM_NAME_MAX - 1
 * bytes, e.g. "x11"): connections accepted on listen_fd (a listening
 * SOCK_STREAM Unix socket, taken over even on failure) from an admitted peer
 * are connected to target (AF_UNIX or AF_INET/AF_INET6; a TCP connect is
 * waited for up to the link timeout) and relayed without any check of the
 * bytes, counted as the stream's. FALSE when VMC_RELAY_STREAMS_MAX streams
 * exist already or the target address is not usable. */
gboolean vmc_relay_add_stream(VmcRelay *relay, const char *name, int listen_fd,
                              const struct sockaddr *target, socklen_t target_length,
                              GError **error);

/* The same for an X11 stream (clients are X clients, the target an X
 * server): its connections are also followed (x11/, vmc-x11.h) for the
 * person's input events, which vmc_relay_get_last_x11_input reports. A
 * connection the follower cannot follow is still relayed, no longer
 * watched (VmcRelayStreamStats.unfollowed). */
gboolean vmc_relay_add_x11_stream(VmcRelay *relay, const char *name, int listen_fd,
                                  const struct sockaddr *target, socklen_t target_length,
                                  GError **error);

/* Told once when a connection added by vmc_relay_add_client closes (never
 * from vmc_relay_free). */
typedef void (*VmcRelayClosedFunc)(gpointer user_data);

/* Serve a client that is already connected: its bytes are read from in_fd
 * and written to out_fd (the same fd for a socket; e.g. the stdin and stdout
 * pipes of an SSH channel), both taken over and made non-blocking. It goes
 * through the link phase, allowlist, counting and agent policy exactly as
 * an accepted connection; no peer check (the caller admitted it). At
 * VMC_RELAY_MAX_CONNECTIONS it is refused: fds closed, counted as rejected,
 * FALSE. closed (may be NULL) is called when the connection closes. */
gboolean vmc_relay_add_client(VmcRelay *relay, int in_fd, int out_fd, VmcRelayClosedFunc closed,
                              gpointer user_data, GError **error);

/* Counters so far (a copy; free with vmc_relay_stats_free). */
VmcRelayStats *vmc_relay_get_stats(VmcRelay *relay);
void vmc_relay_stats_free(VmcRelayStats *stats);

/* When a client last sent anything on a channel of type (e.g. the inputs
 * channel: the person's keyboard and mouse): the monotonic time
 * (g_get_monotonic_time) at which its last byte went to the VM, link
 * message included; 0 while none did. */
gint64 vmc_relay_get_last_to_vm(VmcRelay *relay, guint type);

/* When an X11 stream last carried an input event of the person (a key, a
 * button, pointer motion or touch the X server reported to the viewer; not
 * one another client sent): the monotonic time its bytes were relayed; 0
 * while none was. */
gint64 vmc_relay_get_last_x11_input(VmcRelay *relay);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcRelayStats, vmc_relay_stats_free)

/* Close every connection and the listener. */
void vmc_relay_free(VmcRelay *relay);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcRelay, vmc_relay_free)

/* ---- the headless probe (spice-client-glib) ---- */

typedef struct {
    int width; /* of the last primary surface */
    int height;
    char **channels;    /* names of the channels that came up */
    guint64 bytes_read; /* total over all channels */
} VmcSpiceProbeResult;

/* Connect to uri (spice+unix:///path), wait up to timeout_ms for the display's
 * primary surface (surviving the first 640x480 being replaced), and report.
 * Needs no X server. */
VmcSpiceProbeResult *vmc_spice_probe(const char *uri, guint timeout_ms, GError **error);
void vmc_spice_probe_result_free(VmcSpiceProbeResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcSpiceProbeResult, vmc_spice_probe_result_free)

G_END_DECLS
