/* sound.c — a session's sound through the SSH tunnel (DESIGN.md step 7).
 *
 * With --pulse the viewer plays into the laptop's sound server through the
 * reverse-forwarded port on the host's loopback. The port (with
 * --pulse=tcp:stdin) and the cookie (with --pulse-cookie=stdin) come as lines
 * on stdin, read with a bound and a deadline. The cookie goes into the
 * session dir (0600) and the endpoint is probed before the viewer starts; a
 * failure is never fatal: the person is told and the console opens without
 * sound.
 */
#include "session-priv.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vmc-build-config.h"
#include "vmc-pulse.h"
#include "tunnel-owner.h"

#define CLIENT_CONFIG_TEXT "autospawn = no\nenable-shm = no\nenable-memfd = no\n"

static GQuark vmc_sound_error_quark(void);
/* the GError domain "vmc-sound-error-quark" */
GQuark
vmc_sound_error_quark(void)
{
    return g_quark_from_static_string("vmc-sound-error-quark");
}

#define TUNNEL_CHECK_NAME "vmconsole-tunnel-check"

/* Where vmconsole-tunnel-check is: beside the gateway's own binary (a build
 * or test tree), else where meson installs it. */
static char *
tunnel_check_path(void)
{
    g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
    g_autofree char *self_dir = self != NULL ? g_path_get_dirname(self) : NULL;
    g_autofree char *beside =
        self_dir != NULL ? g_build_filename(self_dir, TUNNEL_CHECK_NAME, NULL) : NULL;
    if (beside != NULL && g_file_test(beside, G_FILE_TEST_IS_EXECUTABLE))
        return g_steal_pointer(&beside);
    return g_build_filename(VMC_LIBEXECDIR, TUNNEL_CHECK_NAME, NULL);
}

/* Is port a reverse forward of this SSH connection (held by the sshd
 * process this gateway descends from)? Checked before a byte goes to it,
 * with one answer for another connection's tunnel, an unrelated listener
 * and nothing at all, so that the port says nothing about what is there. */
static gboolean
tunnel_is_ours(guint16 port, GError **error)
{
    g_autofree char *helper = tunnel_check_path();
    g_autofree char *port_text = g_strdup_printf("%u", (guint)port);
    char *argv[] = {helper, port_text, NULL};
    char *envp[] = {NULL};
    g_autofree char *err = NULL;
    gint status = 0;
    g_autoptr(GError) local = NULL;
    if (!g_spawn_sync("/", argv, envp, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err, &status,
                      &local)) {
        g_set_error(error, vmc_sound_error_quark(), 0,
                    "the host cannot check that port %u is this connection's tunnel (%s); "
                    "tell the host's admin",
                    (guint)port, local->message);
        return FALSE;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == VMC_TUNNEL_OURS)
        return TRUE;
    if (WIFEXITED(status) && WEXITSTATUS(status) == VMC_TUNNEL_NOT_OURS) {
        g_set_error(error, vmc_sound_error_quark(), 0,
                    "port %u is not a reverse forward of this SSH connection: give the port "
                    "of your own ssh -R (the vmconsole launcher does it for you)",
                    (guint)port);
        return FALSE;
    }
    vmc_print_escaped(stderr, "vmconsole-gateway: %s\n", err != NULL ? g_strchomp(err) : "");
    g_set_error(error, vmc_sound_error_quark(), 0,
                "the host cannot check that port %u is this connection's tunnel; tell the "
                "host's admin (vmconsole-admin check)",
                (guint)port);
    return FALSE;
}

/* The port and cookie lines the request announced. */
static gboolean
read_stdin(VmcSound *sound, const VmcRequest *request, guint8 *cookie, GError **error)
{
    gint64 deadline = g_get_monotonic_time() + VMC_SOUND_STDIN_TIMEOUT_MS * 1000;
    char line[VMC_SOUND_LINE_MAX + 1];
    gsize length = 0;
    if (request->pulse_port_stdin) {
        if (!vmc_read_line(STDIN_FILENO, "stdin", deadline, line, sizeof line, &length, error))
            return FALSE;
        if (!vmc_request_parse_port(line, length, &sound->port)) {
            g_set_error(error, vmc_sound_error_quark(), 0,
                        "the port line on stdin is not a port (1 to 65535)");
            return FALSE;
        }
    }
    if (request->pulse_cookie_stdin) {
        if (!vmc_read_line(STDIN_FILENO, "stdin", deadline, line, sizeof line, &length, error))
            return FALSE;
        if (!vmc_pulse_cookie_from_hex(line, length, cookie, error))
            return FALSE;
    }
    return TRUE;
}

static gboolean
write_files(VmcSound *sound, const char *session_dir, const guint8 *cookie, gboolean has_cookie,
            GError **error)
{
    sound->client_config = g_build_filename(session_dir, VMC_SOUND_CLIENT_CONFIG, NULL);
    if (!g_file_set_contents_full(sound->client_config, CLIENT_CONFIG_TEXT, -1,
                                  G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
        return FALSE;
    if (!has_cookie)
        return TRUE;
    sound->cookie_path = g_build_filename(session_dir, VMC_SOUND_COOKIE, NULL);
    if (!vmc_pulse_cookie_write(sound->cookie_path, cookie, error))
        return FALSE;
    /* libpulse opens a cookie file read-write first and falls back to
     * read-only only on EACCES; bound read-only into the sandbox it would
     * get EROFS and give up. Read-only permissions give it EACCES. */
    if (chmod(sound->cookie_path, 0400) != 0) {
        g_set_error(error, vmc_sound_error_quark(), 0, "cannot make %s read-only: %s",
                    sound->cookie_path, g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

void
vmc_sound_setup(VmcSound *sound, const VmcRequest *request, const char *session_dir,
                gboolean check_tunnel)
{
    g_autoptr(GError) error = NULL;
    guint8 cookie[VMC_PULSE_COOKIE_SIZE];

    memset(sound, 0, sizeof *sound);
    if (request->pulse_port == 0 && !request->pulse_port_stdin)
        return;
    sound->requested = TRUE;
    sound->port = request->pulse_port;
    sound->authenticated = request->pulse_cookie_stdin;
    gboolean ok = read_stdin(sound, request, cookie, &error) &&
                  (!check_tunnel || tunnel_is_ours(sound->port, &error)) &&
                  write_files(sound, session_dir, cookie, request->pulse_cookie_stdin, &error);
    memset(cookie, 0, sizeof cookie);
    if (ok) {
        sound->endpoint = g_strdup_printf("tcp:127.0.0.1:%u", (guint)sound->port);
        g_autoptr(VmcPulseServerInfo) info = vmc_pulse_probe(sound->endpoint, sound->cookie_path,
                                                             VMC_SOUND_PROBE_TIMEOUT_MS, &error);
        if (info != NULL)
            sound->server = vmc_pulse_server_describe(info);
        ok = info != NULL;
    }
    if (!ok)
        sound->problem = g_strdup(error->message);
}

gboolean
vmc_sound_is_on(const VmcSound *sound)
{
    return sound->requested && sound->problem == NULL;
}

void
vmc_sound_tell(const VmcSound *sound)
{
    if (!sound->requested)
        return;
    if (sound->problem != NULL) {
        vmc_print_escaped(stderr, "vmconsole: no sound: %.*s; the console opens without sound\n",
                          VMC_SOUND_PROBLEM_MAX, sound->problem);
        return;
    }
    vmc_print_escaped(stderr, "vmconsole: sound: %s through the tunnel on port %u\n", sound->server,
                      (guint)sound->port);
    if (!sound->authenticated)
        vmc_print_escaped(stderr, "vmconsole: warning: the sound tunnel has no cookie: while the "
                                  "session runs any process on this host can play into or record "
                                  "from your sound server; the vmconsole launcher sets up a "
                                  "cookie for you\n");
}

void
vmc_sound_env(const VmcSound *sound, const char *dir, GPtrArray *pairs)
{
    if (!vmc_sound_is_on(sound))
        return;
    g_ptr_array_add(pairs, g_strconcat("PULSE_SERVER=unix:", dir, "/" VMC_SOUND_SOCKET, NULL));
    g_ptr_array_add(pairs,
                    g_strconcat("PULSE_CLIENTCONFIG=", dir, "/" VMC_SOUND_CLIENT_CONFIG, NULL));
    if (sound->cookie_path != NULL)
        g_ptr_array_add(pairs, g_strconcat("PULSE_COOKIE=", dir, "/" VMC_SOUND_COOKIE, NULL));
}

gboolean
vmc_sound_target(const VmcSound *sound, struct sockaddr_storage *ret_address, socklen_t *ret_length)
{
    if (!vmc_sound_is_on(sound))
        return FALSE;
    struct sockaddr_in *in = (struct sockaddr_in *)ret_address;
    memset(ret_address, 0, sizeof *ret_address);
    in->sin_family = AF_INET;
    in->sin_port = htons(sound->port);
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    *ret_length = sizeof *in;
    return TRUE;
}

void
vmc_sound_record(const VmcSound *sound, VmcRecordSound *record)
{
    if (!sound->requested) {
        record->audio = g_strdup("off");
        return;
    }
    record->audio = sound->port != 0 ? g_strdup_printf("tcp:127.0.0.1:%u", (guint)sound->port)
                                     : g_strdup("tcp:?");
    record->audio_authenticated = vmc_record_flag(sound->authenticated);
    record->audio_server = g_strdup(sound->server);
    record->audio_error =
        sound->problem != NULL ? vmc_text_escape(sound->problem, -1, VMC_SOUND_PROBLEM_MAX) : NULL;
}

void
vmc_sound_clear(VmcSound *sound)
{
    g_clear_pointer(&sound->endpoint, g_free);
    g_clear_pointer(&sound->cookie_path, g_free);
    g_clear_pointer(&sound->client_config, g_free);
    g_clear_pointer(&sound->server, g_free);
    g_clear_pointer(&sound->problem, g_free);
}
