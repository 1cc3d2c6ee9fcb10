/* fake-vdagent.c — a guest agent for spice-tone-server's "VM": a
 * libspice-server vdagent char device that says on stdout what reaches it
 * and plays the guest's part of the clipboard and file transfer.
 *
 * stdout, one line each: "agent got TYPE" for every agent message from the
 * client (TYPE: clipboard-grab, file-xfer-start, ...), "agent file done
 * BYTES" when a transfer completed. It announces its capabilities (clipboard
 * by demand) FAKE_VDAGENT_ANNOUNCE_MS after the client's agent starts, then
 * grabs the guest clipboard (UTF-8 text); it lets any transfer through
 * (CAN_SEND_DATA, then SUCCESS once the announced size arrived). */
#include "fake-vdagent.h"

#include <stdio.h>
#include <string.h>

#include <spice/vd_agent.h>

#define FAKE_VDAGENT_ANNOUNCE_MS 700
#define FAKE_VDAGENT_MESSAGE_MAX (1024 * 1024)

typedef struct {
    SpiceCharDeviceInstance sin;
    GByteArray *to_server;   /* VDIChunkHeader + message, waiting for read() */
    GByteArray *from_server; /* chunk stream as written, not yet whole */
    GByteArray *message;     /* the client's agent message being put together */
    guint announce;
    gboolean announced;
    guint64 file_size, file_got;
    guint32 file_id;
} FakeAgent;

static FakeAgent agent;

static const char *const type_names[] = {
    [VD_AGENT_MOUSE_STATE] = "mouse-state",
    [VD_AGENT_MONITORS_CONFIG] = "monitors-config",
    [VD_AGENT_REPLY] = "reply",
    [VD_AGENT_CLIPBOARD] = "clipboard",
    [VD_AGENT_DISPLAY_CONFIG] = "display-config",
    [VD_AGENT_ANNOUNCE_CAPABILITIES] = "announce-capabilities",
    [VD_AGENT_CLIPBOARD_GRAB] = "clipboard-grab",
    [VD_AGENT_CLIPBOARD_REQUEST] = "clipboard-request",
    [VD_AGENT_CLIPBOARD_RELEASE] = "clipboard-release",
    [VD_AGENT_FILE_XFER_START] = "file-xfer-start",
    [VD_AGENT_FILE_XFER_STATUS] = "file-xfer-status",
    [VD_AGENT_FILE_XFER_DATA] = "file-xfer-data",
    [VD_AGENT_CLIENT_DISCONNECTED] = "client-disconnected",
    [VD_AGENT_MAX_CLIPBOARD] = "max-clipboard",
    [VD_AGENT_AUDIO_VOLUME_SYNC] = "audio-volume-sync",
    [VD_AGENT_GRAPHICS_DEVICE_INFO] = "graphics-device-info",
};

static guint32
get32(const guint8 *p)
{
    guint32 v;
    memcpy(&v, p, 4);
    return GUINT32_FROM_LE(v);
}

static void
put32(GByteArray *a, guint32 v)
{
    guint32 le = GUINT32_TO_LE(v);
    g_byte_array_append(a, (const guint8 *)&le, 4);
}

/* One agent message to the client, in one chunk. */
static void
send_message(guint32 type, const guint8 *data, guint32 size)
{
    put32(agent.to_server, VDP_CLIENT_PORT);
    put32(agent.to_server, (guint32)sizeof(VDAgentMessage) + size);
    put32(agent.to_server, VD_AGENT_PROTOCOL);
    put32(agent.to_server, type);
    put32(agent.to_server, 0);
    put32(agent.to_server, 0);
    put32(agent.to_server, size);
    g_byte_array_append(agent.to_server, data, size);
    spice_server_char_device_wakeup(&agent.sin);
}

static void
send_status(guint32 id, guint32 result)
{
    guint32 status[2] = {GUINT32_TO_LE(id), GUINT32_TO_LE(result)};
    send_message(VD_AGENT_FILE_XFER_STATUS, (const guint8 *)status, sizeof status);
}

static gboolean
announce(gpointer data)
{
    guint32 caps[2] = {GUINT32_TO_LE(0), GUINT32_TO_LE(1u << VD_AGENT_CAP_MONITORS_CONFIG |
                                                       1u << VD_AGENT_CAP_CLIPBOARD_BY_DEMAND)};
    guint32 grab = GUINT32_TO_LE(VD_AGENT_CLIPBOARD_UTF8_TEXT);
    agent.announce = 0;
    agent.announced = TRUE;
    send_message(VD_AGENT_ANNOUNCE_CAPABILITIES, (const guint8 *)caps, sizeof caps);
    send_message(VD_AGENT_CLIPBOARD_GRAB, (const guint8 *)&grab, sizeof grab);
    return G_SOURCE_REMOVE;
}

static void
file_start(const guint8 *data, guint32 size)
{
    if (size < 4)
        return;
    g_autofree char *text = g_strndup((const char *)data + 4, size - 4);
    const char *at = strstr(text, "size=");
    agent.file_id = get32(data);
    agent.file_size = at != NULL ? g_ascii_strtoull(at + 5, NULL, 10) : 0;
    agent.file_got = 0;
    send_status(agent.file_id, VD_AGENT_FILE_XFER_STATUS_CAN_SEND_DATA);
}

static void
file_data(const guint8 *data, guint32 size)
{
    if (size < 12 || get32(data) != agent.file_id)
        return;
    agent.file_got += size - 12;
    if (agent.file_got >= agent.file_size) {
        printf("agent file done %" G_GUINT64_FORMAT "\n", agent.file_got);
        send_status(agent.file_id, VD_AGENT_FILE_XFER_STATUS_SUCCESS);
    }
}

static void
handle_message(const guint8 *message, guint32 size)
{
    guint32 type = get32(message + 4);
    const guint8 *data = message + sizeof(VDAgentMessage);
    printf("agent got %s\n",
           type < G_N_ELEMENTS(type_names) && type_names[type] ? type_names[type] : "unknown");
    fflush(stdout);
    if (type == VD_AGENT_ANNOUNCE_CAPABILITIES && !agent.announced && agent.announce == 0)
        agent.announce = g_timeout_add(FAKE_VDAGENT_ANNOUNCE_MS, announce, NULL);
    else if (type == VD_AGENT_FILE_XFER_START)
        file_start(data, size);
    else if (type == VD_AGENT_FILE_XFER_DATA)
        file_data(data, size);
}

/* The client's chunks put together into agent messages (the server's own
 * chunks, VDP_SERVER_PORT, are skipped). */
static void
take_chunks(void)
{
    GByteArray *in = agent.from_server;
    while (in->len >= sizeof(VDIChunkHeader)) {
        guint32 port = get32(in->data), size = get32(in->data + 4);
        if (in->len < sizeof(VDIChunkHeader) + size)
            return;
        if (port == VDP_CLIENT_PORT)
            g_byte_array_append(agent.message, in->data + sizeof(VDIChunkHeader), size);
        g_byte_array_remove_range(in, 0, (guint)sizeof(VDIChunkHeader) + size);
        while (agent.message->len >= sizeof(VDAgentMessage)) {
            guint32 data_size = get32(agent.message->data + 16);
            if (data_size > FAKE_VDAGENT_MESSAGE_MAX) {
                printf("agent got an oversized message\n");
                g_byte_array_set_size(agent.message, 0);
                break;
            }
            if (agent.message->len < sizeof(VDAgentMessage) + data_size)
                break;
            handle_message(agent.message->data, data_size);
            g_byte_array_remove_range(agent.message, 0, (guint)sizeof(VDAgentMessage) + data_size);
        }
    }
}

static int
agent_write(SpiceCharDeviceInstance *sin, const uint8_t *buf, int len)
{
    g_byte_array_append(agent.from_server, buf, (guint)len);
    take_chunks();
    return len;
}

static int
agent_read(SpiceCharDeviceInstance *sin, uint8_t *buf, int len)
{
    int n = MIN(len, (int)agent.to_server->len);
    memcpy(buf, agent.to_server->data, (gsize)n);
    g_byte_array_remove_range(agent.to_server, 0, (guint)n);
    return n;
}

static void
agent_state(SpiceCharDeviceInstance *sin, int connected)
{
}

static SpiceCharDeviceInterface agent_sif = {
    .base =
        {
            .type = SPICE_INTERFACE_CHAR_DEVICE,
            .description = "fake vdagent",
            .major_version = SPICE_INTERFACE_CHAR_DEVICE_MAJOR,
            .minor_version = SPICE_INTERFACE_CHAR_DEVICE_MINOR,
        },
    .state = agent_state,
    .write = agent_write,
    .read = agent_read,
};

void
fake_vdagent_add(SpiceServer *server)
{
    agent.to_server = g_byte_array_new();
    agent.from_server = g_byte_array_new();
    agent.message = g_byte_array_new();
    agent.sin.base.sif = &agent_sif.base;
    agent.sin.subtype = "vdagent";
    spice_server_add_interface(server, &agent.sin.base);
}
