/* request.h — the gateway's request grammar (SSH_ORIGINAL_COMMAND), DESIGN.md.
 *
 *   request  = "" | "help" | "list" | "version" | attach | open
 *   attach   = "attach " token            ; token = 64 of [0-9a-f]
 *   open     = vm *( " " option )
 *   option   = "--takeover" | "--audio=off" | "--pulse=tcp:" ( port | "stdin" )
 *            | "--pulse-cookie=stdin" | "--microphone" | "--native"
 *
 * "--native": the viewer runs on the laptop; the session prints a token and
 * serves the Spice connections that further exec channels of the same SSH
 * connection bring with "attach TOKEN" (docs/native-protocol in
 * vmconsole-gateway(8)). It excludes --pulse=... and --pulse-cookie=stdin:
 * the sound goes to the laptop's own viewer. "attach" is therefore no VM name.
 *
 * "--microphone": the person asks for the VM's record channel (the laptop's
 * microphone); it passes only where the config's microphone = allow, and
 * only with --pulse.
 *
 * "--pulse=tcp:stdin" (an extension of DESIGN.md's grammar): the port comes
 * as the first line on stdin, because a launcher that lets sshd allocate the
 * reverse forward's port (-R 0:...) learns it only after the command is sent.
 *   vm       = [A-Za-z0-9][A-Za-z0-9._-]{0,63}
 *
 * Pure: a function of its input bytes, tested with tables and fuzzed.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VMC_REQUEST_ERROR (vmc_request_error_quark())
GQuark vmc_request_error_quark(void);

typedef enum {
    VMC_REQUEST_ERROR_INVALID,
} VmcRequestError;

#define VMC_REQUEST_MAX_BYTES 1024

typedef enum {
    VMC_REQUEST_HELP,
    VMC_REQUEST_LIST,
    VMC_REQUEST_VERSION,
    VMC_REQUEST_OPEN,
    VMC_REQUEST_ATTACH,
} VmcRequestKind;

#define VMC_REQUEST_TOKEN_LENGTH 64 /* lower-case hex characters of an attach token */

typedef struct {
    VmcRequestKind kind;
    char vm[64 + 1];             /* OPEN only */
    gboolean takeover;           /* --takeover */
    gboolean audio_off;          /* --audio=off */
    guint16 pulse_port;          /* --pulse=tcp:PORT (1..65535); 0 = not given */
    gboolean pulse_port_stdin;   /* --pulse=tcp:stdin: the port is the first stdin line */
    gboolean pulse_cookie_stdin; /* --pulse-cookie=stdin */
    gboolean microphone;         /* --microphone */
    gboolean native;             /* --native */
    char token[VMC_REQUEST_TOKEN_LENGTH + 1]; /* ATTACH only: the session's token */
} VmcRequest;

/* Parse length bytes (not NUL-terminated; a NUL byte is refused). On success
 * fills ret_request; on failure returns FALSE with VMC_REQUEST_ERROR_INVALID
 * and a message that says what is wrong (quoting input only escaped and capped)
 * and leaves ret_request untouched. Refused: more than VMC_REQUEST_MAX_BYTES,
 * any byte outside printable ASCII, empty words (double or edge spaces),
 * unknown or repeated options, a port outside 1..65535 or with a leading zero,
 * --audio=off with --pulse*, --pulse-cookie=stdin without --pulse,
 * --microphone without --pulse or --native (or with --audio=off), --native
 * with --pulse*, --pulse given twice in either form, and "attach" without
 * exactly one token of 64 lower-case hex characters. */
gboolean vmc_request_parse(const char *bytes, gsize length, VmcRequest *ret_request,
                           GError **error);

/* A TCP port as the grammar spells it: 1..65535 in decimal, no sign, no
 * leading zero, exactly length bytes. Pure; *ret_port untouched on FALSE. */
gboolean vmc_request_parse_port(const char *text, gsize length, guint16 *ret_port);

/* The canonical text of a request (options in grammar order); parsing it gives
 * the same request back. */
char *vmc_request_to_string(const VmcRequest *request);

G_END_DECLS
