/* vmc-agent-client — a headless Spice client (spice-client-glib) that uses
 * the agent the way remote-viewer does, for the agent-policy test.
 *
 *   vmc-agent-client URI FILE [TIMEOUT_S]
 *
 * As soon as the agent is connected it copies FILE to the guest
 * (spice_main_channel_file_copy_async, before the agent announced its
 * capabilities, so that the request really goes out); once the agent
 * announced clipboard support it grabs the clipboard (UTF-8 text). stdout,
 * one line each: "client grabbed", "client has no clipboard capability",
 * "client saw the guest grab", "file-copy: ok" or "file-copy: error: MSG",
 * "file-transfer disabled capability: yes|no". Ends 2 s after the copy
 * finished (exit 0), or at the timeout (exit 1). */
#include <stdio.h>
#include <stdlib.h>

#include <gio/gio.h>
#include <spice-client.h>
#include <spice/vd_agent.h>

typedef struct {
    GMainLoop *loop;
    GFile *file;
    SpiceMainChannel *main;
    gboolean copy_started;
    gboolean grabbed;
    int status;
} Client;

static gboolean
quit(gpointer data)
{
    Client *client = data;
    g_main_loop_quit(client->loop);
    return G_SOURCE_REMOVE;
}

static gboolean
on_timeout(gpointer data)
{
    Client *client = data;
    printf("timeout\n");
    client->status = 1;
    return quit(client);
}

static void
on_copied(GObject *source, GAsyncResult *result, gpointer data)
{
    Client *client = data;
    g_autoptr(GError) error = NULL;
    if (spice_main_channel_file_copy_finish(SPICE_MAIN_CHANNEL(source), result, &error))
        printf("file-copy: ok\n");
    else
        printf("file-copy: error: %s\n", error->message);
    fflush(stdout);
    g_timeout_add_seconds(2, quit, client);
}

static void
start_copy(Client *client)
{
    GFile *files[] = {client->file, NULL};
    client->copy_started = TRUE;
    spice_main_channel_file_copy_async(client->main, files, G_FILE_COPY_NONE, NULL, NULL, NULL,
                                       on_copied, client);
}

static void
on_agent_connected(GObject *object, GParamSpec *pspec, gpointer data)
{
    Client *client = data;
    gboolean connected = FALSE;
    g_object_get(object, "agent-connected", &connected, NULL);
    if (connected && !client->copy_started)
        start_copy(client);
}

static void
on_agent_update(SpiceMainChannel *main, gpointer data)
{
    Client *client = data;
    static const guint32 types[] = {VD_AGENT_CLIPBOARD_UTF8_TEXT};
    int caps = 0; /* 0 until the agent announced its (the fake one has some always) */
    g_object_get(main, "agent-caps-0", &caps, NULL);
    if (client->grabbed || caps == 0)
        return;
    client->grabbed = TRUE;
    printf("file-transfer disabled capability: %s\n",
           spice_main_channel_agent_test_capability(main, VD_AGENT_CAP_FILE_XFER_DISABLED) ? "yes"
                                                                                           : "no");
    if (spice_main_channel_agent_test_capability(main, VD_AGENT_CAP_CLIPBOARD_BY_DEMAND)) {
        spice_main_channel_clipboard_selection_grab(main, VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD,
                                                    (guint32 *)types, 1);
        printf("client grabbed\n");
    } else {
        printf("client has no clipboard capability\n");
    }
    fflush(stdout);
}

static gboolean
on_guest_grab(SpiceMainChannel *main, guint selection, gpointer types, guint ntypes, gpointer data)
{
    printf("client saw the guest grab\n");
    fflush(stdout);
    return TRUE;
}

static void
on_channel_new(SpiceSession *session, SpiceChannel *channel, gpointer data)
{
    Client *client = data;
    if (SPICE_IS_MAIN_CHANNEL(channel)) {
        client->main = SPICE_MAIN_CHANNEL(channel);
        g_signal_connect(channel, "notify::agent-connected", G_CALLBACK(on_agent_connected),
                         client);
        g_signal_connect(channel, "main-agent-update", G_CALLBACK(on_agent_update), client);
        g_signal_connect(channel, "main-clipboard-selection-grab", G_CALLBACK(on_guest_grab),
                         client);
    }
    spice_channel_connect(channel);
}

int
main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: vmc-agent-client URI FILE [TIMEOUT_S]\n");
        return 2;
    }
    Client client = {.loop = g_main_loop_new(NULL, FALSE), .file = g_file_new_for_path(argv[2])};
    SpiceSession *session = spice_session_new();
    g_object_set(session, "uri", argv[1], "enable-audio", FALSE, NULL);
    g_signal_connect(session, "channel-new", G_CALLBACK(on_channel_new), &client);
    if (!spice_session_connect(session)) {
        fprintf(stderr, "vmc-agent-client: cannot connect to %s\n", argv[1]);
        return 1;
    }
    g_timeout_add_seconds(argc > 3 ? (guint)atoi(argv[3]) : 20, on_timeout, &client);
    g_main_loop_run(client.loop);
    spice_session_disconnect(session);
    g_object_unref(session);
    g_object_unref(client.file);
    g_main_loop_unref(client.loop);
    return client.status;
}
