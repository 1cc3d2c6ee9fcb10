/* vmc-launcher.h — the pure parts of the laptop launcher `vmconsole`: its
 * command line, the ssh command it runs (argv, request, environment, what it
 * writes on ssh's stdin), and reading ssh's stderr (lines, the "Allocated
 * port" line of a dynamic reverse forward, text made safe for a terminal).
 *
 * The protocol with the gateway (DESIGN.md, gateway/request.h):
 *   dynamic port (default): ssh -R 0:127.0.0.1:LPORT … 'VM --pulse=tcp:stdin
 *     --pulse-cookie=stdin'; ssh prints "Allocated port N for remote forward
 *     to 127.0.0.1:LPORT" on stderr; the launcher writes "N\n" and the cookie
 *     hex "\n" on ssh's stdin and closes it.
 *   fixed port (--remote-port N): -R N:127.0.0.1:LPORT … 'VM --pulse=tcp:N
 *     --pulse-cookie=stdin'; stdin gets the cookie line only.
 *   no sound: no -R, 'VM'; stdin is /dev/null.
 * A server that cannot check cookies (PipeWire) gets the same without
 * --pulse-cookie=stdin and without the cookie line.
 *
 * Everything here is a function of its inputs (no I/O), unit-tested and fuzzed.
 */
#pragma once

#include <glib.h>

#include "vmc-common.h"

G_BEGIN_DECLS

#define VMC_LAUNCHER_ERROR (vmc_launcher_error_quark())
GQuark vmc_launcher_error_quark(void);

typedef enum {
    VMC_LAUNCHER_ERROR_USAGE, /* a bad command line: exit 2 */
} VmcLauncherError;

#define VMC_LAUNCHER_DESTINATION_MAX 255 /* [user@]host as typed */
#define VMC_LAUNCHER_VM_MAX 64           /* the gateway's grammar */
#define VMC_LAUNCHER_SSH_OPTION_MAX 1024 /* one -o value */
#define VMC_LAUNCHER_SSH_OPTIONS_MAX 64  /* how many -o */
#define VMC_LAUNCHER_PATH_MAX 4096       /* -i KEY */
#define VMC_LAUNCHER_LINE_MAX 4096       /* one line of ssh's stderr; longer comes in pieces */
#define VMC_LAUNCHER_EXIT_USAGE 2        /* as the gateway's "bad request" */

/* Where the reverse forward ends on the laptop: the endpoint listens there only. */
#define VMC_LAUNCHER_CONNECT_HOST "127.0.0.1"

typedef enum {
    VMC_LAUNCHER_ACTION_OPEN,
    VMC_LAUNCHER_ACTION_LIST,
    VMC_LAUNCHER_ACTION_HELP,
    VMC_LAUNCHER_ACTION_VERSION,
} VmcLauncherAction;

/* How the console reaches the laptop (--native, --x11, or chosen: native
 * when remote-viewer is installed here, else X11). */
typedef enum {
    VMC_LAUNCHER_MODE_AUTO,   /* not given on the command line */
    VMC_LAUNCHER_MODE_NATIVE, /* the viewer here, Spice over one libssh connection */
    VMC_LAUNCHER_MODE_X11,    /* the viewer on the host, drawn here through ssh -X */
} VmcLauncherMode;

typedef struct {
    VmcLauncherAction action;
    VmcLauncherMode mode; /* --native / --x11; AUTO when neither */
    char *destination;    /* [user@]host; OPEN and LIST */
    char *vm;             /* OPEN */
    gboolean compress;    /* -C */
    gboolean no_audio;    /* --no-audio */
    gboolean takeover;    /* --takeover */
    gboolean verbose;     /* -v: say more, and ssh -v */
    gboolean trusted_x11; /* --trusted-x11: ssh -X with ForwardX11Trusted=yes */
    gboolean microphone;  /* --microphone: the VM may record (the request says so too) */
    char *identity_file;  /* -i KEY or NULL */
    guint16 ssh_port;     /* -p PORT, 0: not given */
    char **ssh_options;   /* -o OPTION..., NULL-terminated, never NULL after parsing */
    guint16 remote_port;  /* --remote-port N, 0: sshd allocates one */
} VmcLauncherArgs;

/* Parse the launcher's argv (argv[0] is the program). On success fills
 * ret_args (free with vmc_launcher_args_clear); on a bad command line returns
 * FALSE with VMC_LAUNCHER_ERROR_USAGE saying what is wrong (user text escaped
 * and capped) and leaves ret_args untouched. --help and --version win over
 * everything else that parses. */
gboolean vmc_launcher_parse_args(int argc, char **argv, VmcLauncherArgs *ret_args, GError **error);
void vmc_launcher_args_clear(VmcLauncherArgs *args);

/* The mode an OPEN runs in: the one asked for (args->mode), else X11 when
 * an option only ssh -X has was given (-o, --trusted-x11, --remote-port),
 * else native when a viewer (remote-viewer) is installed on this laptop,
 * else X11. */
VmcLauncherMode vmc_launcher_choose_mode(const VmcLauncherArgs *args, gboolean viewer_installed);

/* TRUE for a VM name of the gateway's grammar: [A-Za-z0-9][A-Za-z0-9._-]{0,63}. */
gboolean vmc_launcher_vm_name_is_valid(const char *vm);

typedef enum {
    VMC_LAUNCHER_SOUND_NONE,   /* no tunnel */
    VMC_LAUNCHER_SOUND_COOKIE, /* tunnel to an endpoint that checks the cookie */
    VMC_LAUNCHER_SOUND_OPEN,   /* tunnel to an endpoint anyone on the host can use */
} VmcLauncherSound;

/* The request the gateway gets (ssh's remote command), e.g.
 * "debianx --takeover --pulse=tcp:stdin --pulse-cookie=stdin [--microphone]";
 * "list" for LIST. --microphone only with sound. */
char *vmc_launcher_request(const VmcLauncherArgs *args, VmcLauncherSound sound);

/* ssh's full argv: ssh [-v] -X -o ForwardX11Trusted=no|yes
 * -o ExitOnForwardFailure=yes -o LogLevel=INFO -o ControlPath=none [-C]
 * [-i KEY] [-p PORT] [-o OPT]... [-R SPEC] -- DESTINATION REQUEST.
 * Untrusted X11 forwarding unless args->trusted_x11: Debian's ssh_config makes
 * plain -X trusted, which lets whatever reaches the host side of the forward
 * read this display's keystrokes and drive it.
 * LIST: -x, no -R, no forced options. local_port: the endpoint's port
 * (ignored for SOUND_NONE). The launcher's own -o come before the person's:
 * ssh keeps the first value it gets for an option. */
char **vmc_launcher_ssh_argv(const char *ssh, const VmcLauncherArgs *args, VmcLauncherSound sound,
                             guint16 local_port);

/* TRUE when the launcher must wait for ssh's "Allocated port" line before it
 * can write the gateway's stdin (sound with a dynamic port). */
gboolean vmc_launcher_wants_allocated_port(const VmcLauncherArgs *args, VmcLauncherSound sound);

/* TRUE when ssh's stdin is a pipe the launcher writes lines to (else /dev/null). */
gboolean vmc_launcher_wants_stdin(const VmcLauncherArgs *args, VmcLauncherSound sound);

/* What goes on ssh's stdin (then it is closed): the port line (dynamic port;
 * allocated_port must then be 1..65535) and the cookie line (SOUND_COOKIE).
 * NULL when nothing goes (stdin is then /dev/null). */
char *vmc_launcher_stdin_text(const VmcLauncherArgs *args, VmcLauncherSound sound,
                              guint16 allocated_port, const char *cookie_hex);

/* ssh's environment: only the whitelisted variables of parent (HOME, USER,
 * LOGNAME, PATH, SHELL, DISPLAY, XAUTHORITY, WAYLAND_DISPLAY, SSH_AUTH_SOCK,
 * SSH_ASKPASS, SSH_ASKPASS_REQUIRE, SSH_SK_PROVIDER, TERM, LANG, LANGUAGE,
 * LC_*, KRB5CCNAME, KRB5_CONFIG, XDG_RUNTIME_DIR, TMPDIR, TZ), in parent's
 * order. Everything else (PULSE_*, LD_*, …) stays behind. */
char **vmc_launcher_ssh_env(const char *const *parent);

/* ---- ssh's stderr ---- */

/* Splits a byte stream into lines: without the '\n' and a '\r' before it;
 * a line longer than VMC_LAUNCHER_LINE_MAX comes in pieces of that size. */
typedef struct {
    char buffer[VMC_LAUNCHER_LINE_MAX];
    gsize used;
} VmcLauncherLines;

typedef void (*VmcLauncherLineFunc)(const char *line, gsize length, gpointer user_data);

void vmc_launcher_lines_feed(VmcLauncherLines *lines, const char *data, gsize length,
                             VmcLauncherLineFunc func, gpointer user_data);
/* At the stream's end: the last line if it had no '\n'. */
void vmc_launcher_lines_flush(VmcLauncherLines *lines, VmcLauncherLineFunc func,
                              gpointer user_data);

/* TRUE when line (length bytes, no '\n') is exactly OpenSSH's
 * "Allocated port N for remote forward to HOST:LOCAL_PORT" (N 1..65535 in
 * plain decimal, HOST VMC_LAUNCHER_CONNECT_HOST, a trailing '\r' allowed);
 * sets *ret_port. Anything else: FALSE, *ret_port untouched. */
gboolean vmc_launcher_parse_allocated_port(const char *line, gsize length, guint16 local_port,
                                           guint16 *ret_port);

/* A line from ssh or the host made safe for the person's terminal: valid
 * UTF-8 without control characters passes (tabs too); every other byte
 * becomes "\xNN" (a backslash stays a backslash). At most
 * 4 * VMC_LAUNCHER_LINE_MAX bytes come out. */
char *vmc_launcher_terminal_text(const char *line, gsize length);

/* A short hint for the gateway's or ssh's exit status (DESIGN.md's codes),
 * or NULL where the gateway's own message says enough. sound: what the
 * launcher asked for (a failed forward is a likely 255). */
const char *vmc_launcher_exit_hint(int status, VmcLauncherSound sound, gboolean dynamic_port);

G_END_DECLS

/* Everything the launcher prints goes through vmc_print_escaped(). */
VMC_PRINTF_POISON
