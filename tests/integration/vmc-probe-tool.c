/* vmc-probe-tool — probe a Spice server once, for the integration tests.
 *
 *   vmc-probe-tool [--timeout-ms N] URI
 *
 * Prints "WIDTHxHEIGHT channels=main,display,... bytes=N" and exits 0, or
 * prints the error on stderr and exits 1 (2 for a usage error).
 */
#include <stdio.h>
#include <stdlib.h>

#include <glib.h>

#include "spice/vmc-spice.h"

#define PROBE_TOOL_DEFAULT_TIMEOUT_MS 10000
#define PROBE_TOOL_MAX_TIMEOUT_MS 600000

int
main(int argc, char **argv)
{
    gint timeout_ms = PROBE_TOOL_DEFAULT_TIMEOUT_MS;
    GOptionEntry entries[] = {
        {"timeout-ms", 't', 0, G_OPTION_ARG_INT, &timeout_ms,
         "give up after this many milliseconds (default 10000)", "N"},
        {NULL},
    };
    g_autoptr(GOptionContext) options = g_option_context_new("URI");
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcSpiceProbeResult) result = NULL;
    g_autofree char *channels = NULL;

    g_option_context_add_main_entries(options, entries, NULL);
    g_option_context_set_summary(options, "Probe a Spice server (spice+unix:///path) once.");
    if (!g_option_context_parse(options, &argc, &argv, &error)) {
        fprintf(stderr, "vmc-probe-tool: %s\n", error->message);
        return 2;
    }
    if (argc != 2 || timeout_ms <= 0 || timeout_ms > PROBE_TOOL_MAX_TIMEOUT_MS) {
        fprintf(stderr, "usage: vmc-probe-tool [--timeout-ms 1..%d] URI\n",
                PROBE_TOOL_MAX_TIMEOUT_MS);
        return 2;
    }

    result = vmc_spice_probe(argv[1], (guint)timeout_ms, &error);
    if (result == NULL) {
        fprintf(stderr, "vmc-probe-tool: %s\n", error->message);
        return 1;
    }
    channels = g_strjoinv(",", result->channels);
    printf("%dx%d channels=%s bytes=%" G_GUINT64_FORMAT "\n", result->width, result->height,
           channels, result->bytes_read);
    return 0;
}
