/* vmc-pulse-tool — pulse/ from the command line, for test-pulse.sh.
 *
 *   vmc-pulse-tool open [--record] [SERVER]   open an endpoint (SERVER:
 *       libpulse's default when absent; --record: its guard lets recording
 *       through); print "port P", "cookie HEX", "module N",
 *       "authenticated yes|no", "guarded yes|no", "server DESCRIPTION",
 *       "ready"; then wait for EOF on stdin or SIGTERM/SIGINT, print
 *       "refused-connections N" and "refused-commands TEXT|none", close,
 *       print "closed".
 *       Exit 0, or 1 with the error on stderr.
 *   vmc-pulse-tool sweep [SERVER]       remove what endpoints of dead
 *       processes left; print each line of vmc_pulse_endpoint_sweep and
 *       "swept N"; exit 0, or 1 with the error on stderr.
 *   vmc-pulse-tool probe SERVER [COOKIEFILE] [TIMEOUT-MS]
 *       print "server DESCRIPTION" and "kind pulseaudio|pipewire|other";
 *       exit 0, or 1 with the error on stderr.
 */
#include "pulse-priv.h"

#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *
kind_name(VmcPulseServerKind kind)
{
    switch (kind) {
    case VMC_PULSE_SERVER_PULSEAUDIO:
        return "pulseaudio";
    case VMC_PULSE_SERVER_PIPEWIRE:
        return "pipewire";
    default:
        return "other";
    }
}

static gboolean
on_quit(gpointer data)
{
    g_main_loop_quit(data);
    return G_SOURCE_REMOVE;
}

static gboolean
on_stdin(int fd, GIOCondition condition, gpointer data)
{
    char buf[256];
    if (read(fd, buf, sizeof(buf)) > 0)
        return G_SOURCE_CONTINUE;
    g_main_loop_quit(data); /* EOF or error */
    return G_SOURCE_REMOVE;
}

/* Wait for EOF on stdin, SIGTERM or SIGINT. */
static void
wait_for_end(void)
{
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    guint sources[] = {
        g_unix_signal_add(SIGTERM, on_quit, loop),
        g_unix_signal_add(SIGINT, on_quit, loop),
        g_unix_fd_add(0, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, loop),
    };
    g_main_loop_run(loop);
    for (gsize i = 0; i < G_N_ELEMENTS(sources); i++) {
        GSource *s = g_main_context_find_source_by_id(NULL, sources[i]);
        if (s != NULL)
            g_source_destroy(s);
    }
}

static int
run_open(const char *server, gboolean record)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcPulseEndpoint) endpoint =
        vmc_pulse_endpoint_open(server, VMC_PULSE_TIMEOUT_MS, record, &error);
    if (endpoint == NULL) {
        fprintf(stderr, "vmc-pulse-tool: %s\n", error->message);
        return 1;
    }
    g_autofree char *describe = vmc_pulse_server_describe(vmc_pulse_endpoint_get_server(endpoint));
    printf("port %u\n", vmc_pulse_endpoint_get_port(endpoint));
    printf("cookie %s\n", vmc_pulse_endpoint_get_cookie_hex(endpoint));
    printf("module %u\n", vmc_pulse_endpoint_get_module_index(endpoint));
    printf("authenticated %s\n", vmc_pulse_endpoint_is_authenticated(endpoint) ? "yes" : "no");
    printf("guarded %s\n", vmc_pulse_endpoint_is_guarded(endpoint) ? "yes" : "no");
    printf("server %s\n", describe);
    printf("ready\n");
    fflush(stdout);
    wait_for_end();
    g_autofree char *commands = vmc_pulse_endpoint_get_refused_commands(endpoint);
    printf("refused-connections %u\n", vmc_pulse_endpoint_get_refused(endpoint));
    printf("refused-commands %s\n", commands != NULL ? commands : "none");
    fflush(stdout);
    if (!vmc_pulse_endpoint_close(endpoint, &error)) {
        fprintf(stderr, "vmc-pulse-tool: %s\n", error->message);
        return 1;
    }
    printf("closed\n");
    return 0;
}

static int
run_sweep(const char *server)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) lines = vmc_pulse_endpoint_sweep(server, VMC_PULSE_TIMEOUT_MS, &error);
    if (lines == NULL) {
        fprintf(stderr, "vmc-pulse-tool: %s\n", error->message);
        return 1;
    }
    for (guint i = 0; i < lines->len; i++)
        printf("%s\n", (const char *)g_ptr_array_index(lines, i));
    printf("swept %u\n", lines->len);
    return 0;
}

static int
run_probe(const char *server, const char *cookie_file, guint timeout_ms)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcPulseServerInfo) info = vmc_pulse_probe(server, cookie_file, timeout_ms, &error);
    if (info == NULL) {
        fprintf(stderr, "vmc-pulse-tool: %s\n", error->message);
        return 1;
    }
    g_autofree char *describe = vmc_pulse_server_describe(info);
    printf("server %s\nkind %s\n", describe, kind_name(info->kind));
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc >= 2 && argc <= 4 && strcmp(argv[1], "open") == 0) {
        gboolean record = argc >= 3 && strcmp(argv[2], "--record") == 0;
        int server = record ? 3 : 2;
        if (argc <= server + 1)
            return run_open(argc == server + 1 ? argv[server] : NULL, record);
    }
    if (argc >= 2 && argc <= 3 && strcmp(argv[1], "sweep") == 0)
        return run_sweep(argc == 3 ? argv[2] : NULL);
    if (argc >= 3 && argc <= 5 && strcmp(argv[1], "probe") == 0) {
        const char *cookie = argc >= 4 && argv[3][0] != '\0' ? argv[3] : NULL;
        guint timeout = argc == 5 ? (guint)strtoul(argv[4], NULL, 10) : VMC_PULSE_TIMEOUT_MS;
        return run_probe(argv[2], cookie, timeout);
    }
    fprintf(stderr, "usage: vmc-pulse-tool open [--record] [SERVER]\n"
                    "       vmc-pulse-tool sweep [SERVER]\n"
                    "       vmc-pulse-tool probe SERVER [COOKIEFILE] [TIMEOUT-MS]\n");
    return 2;
}
