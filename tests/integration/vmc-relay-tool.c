/* vmc-relay-tool — the gateway's Spice relay alone, with an agent policy,
 * for the agent-policy test (the gateway itself needs sshd and X11).
 *
 *   vmc-relay-tool LISTEN VM_SOCKET FILE_TRANSFER CLIPBOARD
 *
 * FILE_TRANSFER: deny|allow; CLIPBOARD: both|to-vm|from-vm|none. Relays
 * every channel from the Unix socket LISTEN (created) to VM_SOCKET until
 * SIGTERM, then prints the counters as "NAME VALUE" lines: "main_to_vm",
 * "main_from_vm", "rejected", and the VmcAgentStats fields. */
#include <fcntl.h>
#include <glib-unix.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmc-spice.h"

static void
on_event(VmcRelay *relay, VmcRelayEvent event, const char *detail, gpointer data)
{
    fprintf(stderr, "vmc-relay-tool: %s: %s\n",
            event == VMC_RELAY_EVENT_REJECTED ? "rejected" : "vm closed", detail);
}

static gboolean
on_signal(gpointer data)
{
    g_main_loop_quit(data);
    return G_SOURCE_REMOVE;
}

static gboolean
parse_policy(const char *file_transfer, const char *clipboard, VmcAgentPolicy *ret)
{
    gboolean both = strcmp(clipboard, "both") == 0;
    if (strcmp(file_transfer, "deny") != 0 && strcmp(file_transfer, "allow") != 0)
        return FALSE;
    if (!both && strcmp(clipboard, "to-vm") != 0 && strcmp(clipboard, "from-vm") != 0 &&
        strcmp(clipboard, "none") != 0)
        return FALSE;
    ret->file_transfer = strcmp(file_transfer, "allow") == 0;
    ret->clipboard_to_vm = both || strcmp(clipboard, "to-vm") == 0;
    ret->clipboard_from_vm = both || strcmp(clipboard, "from-vm") == 0;
    return TRUE;
}

static void
print_stats(const VmcRelayStats *stats)
{
    const VmcRelayChannelStats *main_stats = &stats->channels[VMC_SPICE_CHANNEL_MAIN];
    const VmcAgentStats *a = &stats->agent;
    printf("main_to_vm %" G_GUINT64_FORMAT "\nmain_from_vm %" G_GUINT64_FORMAT "\n",
           main_stats->bytes_to_vm, main_stats->bytes_from_vm);
    printf("rejected %u\nrefused %u\n", stats->rejected, a->refused);
    printf("file_transfer_dropped %" G_GUINT64_FORMAT "\n", a->file_transfer_dropped);
    printf("clipboard_to_vm_dropped %" G_GUINT64_FORMAT "\n", a->clipboard_to_vm_dropped);
    printf("clipboard_from_vm_dropped %" G_GUINT64_FORMAT "\n", a->clipboard_from_vm_dropped);
    printf("bytes_dropped_to_vm %" G_GUINT64_FORMAT "\n", a->bytes_dropped_to_vm);
    printf("bytes_dropped_from_vm %" G_GUINT64_FORMAT "\n", a->bytes_dropped_from_vm);
    printf("bytes_injected_to_vm %" G_GUINT64_FORMAT "\n", a->bytes_injected_to_vm);
    printf("bytes_injected_from_vm %" G_GUINT64_FORMAT "\n", a->bytes_injected_from_vm);
}

int
main(int argc, char **argv)
{
    VmcAgentPolicy policy;
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (argc != 5 || !parse_policy(argv[3], argv[4], &policy) ||
        strlen(argv[1]) >= sizeof address.sun_path) {
        fprintf(stderr, "usage: vmc-relay-tool LISTEN VM_SOCKET deny|allow "
                        "both|to-vm|from-vm|none\n");
        return 2;
    }
    strcpy(address.sun_path, argv[1]);
    int listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int pinned = open(argv[2], O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (listen_fd < 0 || pinned < 0 ||
        bind(listen_fd, (struct sockaddr *)&address, sizeof address) != 0 ||
        listen(listen_fd, 16) != 0) {
        perror("vmc-relay-tool");
        return 1;
    }
    gboolean allowed[VMC_SPICE_CHANNEL_MAX + 1];
    for (guint type = 0; type <= VMC_SPICE_CHANNEL_MAX; type++)
        allowed[type] = TRUE;
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    VmcRelay *relay = vmc_relay_new(listen_fd, pinned, allowed, 0, on_event, NULL);
    vmc_relay_set_agent_policy(relay, &policy);
    g_unix_signal_add(SIGTERM, on_signal, loop);
    g_unix_signal_add(SIGINT, on_signal, loop);
    printf("relaying %s\n", argv[1]);
    fflush(stdout);
    g_main_loop_run(loop);
    g_autoptr(VmcRelayStats) stats = vmc_relay_get_stats(relay);
    print_stats(stats);
    vmc_relay_free(relay);
    close(pinned);
    unlink(argv[1]);
    return 0;
}
