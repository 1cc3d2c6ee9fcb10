/* native-priv.h — the launcher's native mode: the viewer runs on this laptop
 * and its Spice connections go over one SSH connection made with libssh
 * (/work/notes/native-protocol.md, the gateway's `--native` and `attach`):
 *
 *   channel 1: exec "VM --native [--takeover] [--microphone]"; the gateway
 *              answers one line "vmconsole-native 1 token=HEX64 title=TITLE"
 *              and serves the session until this channel ends;
 *   channel n: exec "attach HEX64", one per connection the local viewer
 *              makes to the launcher's private Unix socket; bytes both ways.
 *
 * The pure parts (this header's first half) are in the launcher's static
 * library, unit-tested and fuzzed; the libssh session (native-ssh.c) and
 * the loop that pumps the bytes (native-session.c) are the program's.
 */
#pragma once

#include <glib.h>

#include "vmc-launcher.h"

G_BEGIN_DECLS

#define VMC_NATIVE_TOKEN_HEX 64       /* the session's secret, lower-case hex */
#define VMC_NATIVE_LINE_MAX 4096      /* the greeting line, '\n' excluded */
#define VMC_NATIVE_TITLE_MAX 1024     /* the title as it comes (escaped) */
#define VMC_NATIVE_CONNECTIONS_MAX 16 /* viewer connections at once (a viewer makes 4-7) */
#define VMC_NATIVE_BUFFER 65536       /* bytes buffered per connection and direction */
#define VMC_NATIVE_EXIT_SSH 255       /* connection, host key or login failed; as ssh */
#define VMC_NATIVE_EXIT_LOCAL 1       /* this laptop: no viewer, no socket */

/* What the gateway's first line says. */
typedef struct {
    char token[VMC_NATIVE_TOKEN_HEX + 1];
    char *title; /* for the window: unescaped when that gives clean UTF-8, else as sent */
} VmcNativeGreeting;

/* Parse the gateway's greeting (length bytes, no '\n'): exactly
 * "vmconsole-native 1 token=" 64 lower-case hex " title=" then 0 to
 * VMC_NATIVE_TITLE_MAX printable ASCII bytes. The title is unescaped
 * (\\, \n, \t, \r, \e, \xNN as vmc_text_escape writes them); when the result
 * is not valid UTF-8 or holds a control or format character (a bidirectional
 * override) the escaped text is kept;
 * an empty title becomes vm. Anything else: FALSE, ret untouched. */
gboolean vmc_native_parse_greeting(const char *line, gsize length, const char *vm,
                                   VmcNativeGreeting *ret);
void vmc_native_greeting_clear(VmcNativeGreeting *greeting);

/* Channel 1's request: "VM --native[ --takeover][ --microphone]". */
char *vmc_native_request(const VmcLauncherArgs *args);

/* An attach channel's request: "attach TOKEN". */
char *vmc_native_attach_request(const char *token);

/* remote-viewer's argv: VIEWER --title=TITLE [--spice-disable-audio]
 * spice+unix://SOCKET (the title as one word after '=': never read as an
 * option, whatever it starts with). */
char **vmc_native_viewer_argv(const char *viewer, const char *title, const char *socket_path,
                              gboolean no_audio);

/* The viewer's environment: only the person's display (DISPLAY, XAUTHORITY,
 * WAYLAND_DISPLAY, GDK_BACKEND), HOME, PATH, XDG_RUNTIME_DIR, the locale
 * (LANG, LANGUAGE, LC_*) and PULSE_* of parent, in parent's order. */
char **vmc_native_viewer_env(const char *const *parent);

/* The Spice channel type a viewer's connection opens, read from the first
 * bytes it sends (the link message: "REDQ", version, size, then
 * connection id and the type at byte 20): the type (1..255), or -1 while
 * fewer than 21 bytes are there or they are no link message. Used for the
 * progress line only; the gateway validates the link header. */
int vmc_native_link_channel_type(const guint8 *data, gsize length);

#define VMC_NATIVE_SPICE_MAIN 1    /* SPICE_CHANNEL_MAIN */
#define VMC_NATIVE_SPICE_DISPLAY 2 /* SPICE_CHANNEL_DISPLAY */

/* ---- the program's side (native-session.c, native-ssh.c) ---- */

/* Open args->vm on args->destination in native mode and run until the
 * session ends; returns the exit status (vmconsole(1)). */
int vmc_native_run(const VmcLauncherArgs *args, const char *viewer);

G_END_DECLS
