/* vmc-x11.h — following an X11 connection from the outside to see the
 * person's input in it.
 *
 * The gateway relays the viewer's X11 connection to the person's X server
 * (with the sandbox: its only way there). Fed both directions of one
 * connection in any chunks, this says how many of the server's events were
 * the person's keyboard, mouse or touch input: core KeyPress, KeyRelease,
 * ButtonPress, ButtonRelease, MotionNotify, and XInput2 device and touch
 * events (GenericEvent of the XInput extension, whose major opcode it learns
 * from the client's QueryExtension("XInputExtension") and the reply of the
 * same sequence number). Events another client sent with SendEvent are not
 * input. Nothing it is fed is trusted: it frames packets by their lengths
 * (BIG-REQUESTS included) and checks what must hold; on anything it cannot
 * follow it stops for good and counts nothing more, never guessing. Memory
 * is bounded (one packet header per direction), whatever the lengths say.
 * Pure: no I/O, no clock, no logging; GLib only.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
    VMC_X11_FROM_CLIENT, /* the X client's requests (the viewer's side) */
    VMC_X11_FROM_SERVER, /* the X server's replies, errors and events */
} VmcX11Direction;

/* The names of the extensions it watches for, as QueryExtension asks. */
#define VMC_X11_XINPUT_NAME "XInputExtension"
#define VMC_X11_BIG_REQUESTS_NAME "BIG-REQUESTS"

typedef struct {
    guint64 requests;      /* the client's, counted (the last sequence number) */
    guint64 packets;       /* the server's after its setup reply */
    guint64 core_input;    /* core key, button and motion events counted */
    guint64 xi2_input;     /* XInput2 device and touch events counted */
    guint64 sent_events;   /* events of those kinds sent by a client: not counted */
    int xinput_opcode;     /* the XInput extension's major opcode; 0: not (yet) known */
    gboolean big_requests; /* the client enabled BIG-REQUESTS */
} VmcX11InputStats;

typedef struct _VmcX11Input VmcX11Input;

/* A follower for one new connection: nothing seen yet. */
VmcX11Input *vmc_x11_input_new(void);
void vmc_x11_input_free(VmcX11Input *input);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcX11Input, vmc_x11_input_free)

/* Take the next length bytes of direction dir, exactly as they went through
 * (chunks may split anything). Returns how many of the person's input events
 * were completed in them; 0 once it stopped, and 0 when it stopped within
 * them (what came before a broken rule is not trusted either). The bytes
 * are not kept. */
guint vmc_x11_input_feed(VmcX11Input *input, VmcX11Direction dir, const guint8 *bytes,
                         gsize length);

/* NULL while it follows the connection; else why it stopped, in words (a
 * static string): the connection broke a rule it checks, did something it
 * does not follow, or the server refused the client. */
const char *vmc_x11_input_stopped(const VmcX11Input *input);

/* What it saw so far. */
void vmc_x11_input_get_stats(const VmcX11Input *input, VmcX11InputStats *ret_stats);

G_END_DECLS
