/* probe.c — the host side: connect to a tunnelled endpoint with a given
 * cookie and ask who answers, within a deadline. libpulse may write to the
 * cookie file it is given (a short or missing file is filled with random
 * bytes) and falls back to ~/.config/pulse/cookie: so it only ever sees a
 * copy in a private dir of ours, or a path there that does not exist (no
 * cookie: it makes a random one there). Nothing is written outside that dir. */
#include "pulse-priv.h"

#include <string.h>

#define HINT_TUNNEL "is the tunnel up?"
#define NO_COOKIE_NAME "no-cookie"

static const char client_conf[] = "enable-shm = no\n"
                                  "enable-memfd = no\n"
                                  "autospawn = no\n";

/* The files libpulse is given, in dir: the cookie (a copy) and client.conf. */
static gboolean
prepare_dir(const char *dir, const char *cookie_path, char **ret_cookie_file,
            char **ret_client_conf, GError **error)
{
    guint8 cookie[VMC_PULSE_COOKIE_SIZE];
    g_autofree char *conf = g_build_filename(dir, VMC_PULSE_CLIENT_CONF_NAME, NULL);
    g_autofree char *file =
        g_build_filename(dir, cookie_path != NULL ? VMC_PULSE_COOKIE_NAME : NO_COOKIE_NAME, NULL);
    if (!g_file_set_contents(conf, client_conf, -1, error))
        return FALSE;
    if (cookie_path != NULL) {
        gboolean ok = vmc_pulse_cookie_read(cookie_path, cookie, error) &&
                      vmc_pulse_cookie_write(file, cookie, error);
        memset(cookie, 0, sizeof(cookie));
        if (!ok)
            return FALSE;
    }
    *ret_cookie_file = g_steal_pointer(&file);
    *ret_client_conf = g_steal_pointer(&conf);
    return TRUE;
}

VmcPulseServerInfo *
vmc_pulse_probe(const char *server, const char *cookie_path, guint timeout_ms, GError **error)
{
    g_return_val_if_fail(server != NULL, NULL);
    g_autofree char *cookie_file = NULL, *conf = NULL;
    VmcPulseServerInfo *info = NULL;
    char *dir = vmc_pulse_private_dir_make(NULL, error);
    if (dir == NULL)
        return NULL;
    if (prepare_dir(dir, cookie_path, &cookie_file, &conf, error)) {
        g_autoptr(VmcPulseConn) conn =
            vmc_pulse_conn_open(server, timeout_ms, HINT_TUNNEL, cookie_file, conf, error);
        if (conn != NULL)
            info = vmc_pulse_conn_server_info(conn, error);
    }
    vmc_pulse_private_dir_remove(dir);
    g_free(dir);
    return info;
}
