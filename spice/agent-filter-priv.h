/* agent-filter-priv.h — the agent filter of one main-channel connection:
 * pure (no I/O), fed the bytes of each direction as they come, it gives back
 * what may be sent on, with the agent messages the policy denies removed.
 * The relay uses it; its tests and fuzz target reach it here. */
#pragma once

#include "vmc-spice.h"

G_BEGIN_DECLS

/* Bounds; a peer that goes past one is refused (the filter fails closed). */
#define VMC_AGENT_FILTER_LINK_REPLY_MAX 4096     /* bytes of the server's SpiceLinkReply */
#define VMC_AGENT_FILTER_MESSAGE_MAX (64 * 1024) /* bytes of a Spice message's body */
/* bytes of one AGENT_DATA message's body (held whole: its size may change);
 * spice-server sends and accepts at most VD_AGENT_MAX_DATA_SIZE (2048) */
#define VMC_AGENT_FILTER_AGENT_DATA_MAX 4096
/* bytes of one agent message's data (followed, never held; spice-gtk
 * allocates it whole and caps the clipboard at 100 MiB by default) */
#define VMC_AGENT_FILTER_AGENT_MESSAGE_MAX (256u * 1024 * 1024)
#define VMC_AGENT_FILTER_ANSWERS_MAX 16         /* file-transfer refusals waiting to go */
#define VMC_AGENT_FILTER_OUTPUT_MAX (16 * 1024) /* bytes waiting to be sent, per direction */
#define VMC_AGENT_FILTER_NAME_MAX 1024          /* bytes of a guest name given to the client */

typedef enum {
    VMC_AGENT_TO_VM,   /* client -> server */
    VMC_AGENT_FROM_VM, /* server -> client */
} VmcAgentDirection;

typedef struct _VmcAgentFilter VmcAgentFilter;

/* A filter for one main channel whose client sent link (its SpiceLinkHeader
 * and SpiceLinkMess, link_length bytes, already accepted by
 * vmc_spice_link_check). The TO_VM direction is fed from the first byte after
 * that link message, the FROM_VM direction from the server's first byte.
 * Allocates its bounded buffers once. */
VmcAgentFilter *vmc_agent_filter_new(const VmcAgentPolicy *policy, const guint8 *link,
                                     gsize link_length);
void vmc_agent_filter_free(VmcAgentFilter *filter);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcAgentFilter, vmc_agent_filter_free)

/* Take bytes of direction dir: *ret_taken of the length given (fewer when
 * that direction's output is full: send some, then feed the rest again). A
 * length of 0 only moves injected messages (tokens, refusals) into the output
 * where they can go now. FALSE with VMC_SPICE_ERROR_AGENT when the stream
 * cannot be followed (or breaks a bound): the connection must be closed; the
 * filter then refuses every further call with the same message. */
gboolean vmc_agent_filter_feed(VmcAgentFilter *filter, VmcAgentDirection dir, const guint8 *bytes,
                               gsize length, gsize *ret_taken, GError **error);

/* The bytes ready to be sent in direction dir (*ret_length may be 0). */
const guint8 *vmc_agent_filter_output(VmcAgentFilter *filter, VmcAgentDirection dir,
                                      gsize *ret_length);
/* n of those bytes were sent. */
void vmc_agent_filter_output_sent(VmcAgentFilter *filter, VmcAgentDirection dir, gsize n);

/* Bytes of direction dir taken but neither output nor dropped yet (a partial
 * header, an AGENT_DATA body being gathered, the link reply). For every
 * direction: taken + injected == output + dropped + held. */
gsize vmc_agent_filter_held(const VmcAgentFilter *filter, VmcAgentDirection dir);

/* TRUE for a name vmc_agent_filter_set_name takes: valid UTF-8 without
 * control characters, at most VMC_AGENT_FILTER_NAME_MAX bytes. Pure. */
gboolean vmc_agent_filter_name_is_valid(const char *name);

/* The guest name the client is given (the viewer's window title without
 * --title): while set, the VM's SPICE_MSG_MAIN_NAME messages are removed and
 * this one is sent after the VM's MAIN_INIT, and again at the next message
 * boundary toward the client each time it changes (a feed of 0 bytes
 * places it). NULL stops replacing (what was sent stays). Needs the mini
 * header toward the client; without it nothing is replaced. */
void vmc_agent_filter_set_name(VmcAgentFilter *filter, const char *name);

/* Counters so far (refused stays 0: the relay counts refusals). */
const VmcAgentStats *vmc_agent_filter_get_stats(const VmcAgentFilter *filter);

G_END_DECLS
