/* endpoint.c — the laptop side: the guard (guard.c) on 127.0.0.1 with a
 * fresh cookie in front of the person's own sound server, relaying to its
 * Unix socket; where the server is not reached through one, a private
 * module-native-protocol-tcp behind the guard, loaded and unloaded again.
 * The connection is not kept open in between: close connects anew and
 * unloads the module only if it still is ours (same index, name and
 * argument), so a restarted server's other module is never hit. */
#include "pulse-priv.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define HINT_LAPTOP "is PulseAudio or PipeWire running?"

struct _VmcPulseEndpoint {
    char *server; /* NULL: libpulse's default */
    guint timeout_ms;
    VmcPulseServerInfo *info;
    char *dir; /* private 0700 dir holding the cookie file */
    char *cookie_path;
    char *cookie_hex;
    char *argument; /* the module argument, to recognise our module */
    guint16 port;
    guint32 module_index;
    guint8 cookie[VMC_PULSE_COOKIE_SIZE];
    VmcPulseGuard *guard; /* checks the cookie where the server cannot (PipeWire) */
    gboolean authenticated;
    gboolean loaded; /* module loaded and not yet unloaded */
};

guint16
vmc_pulse_endpoint_get_port(const VmcPulseEndpoint *endpoint)
{
    return endpoint->guard != NULL ? vmc_pulse_guard_get_port(endpoint->guard) : endpoint->port;
}

gboolean
vmc_pulse_endpoint_is_guarded(const VmcPulseEndpoint *endpoint)
{
    return endpoint->guard != NULL;
}

guint
vmc_pulse_endpoint_get_refused(const VmcPulseEndpoint *endpoint)
{
    return endpoint->guard != NULL ? vmc_pulse_guard_get_refused(endpoint->guard) : 0;
}

const char *
vmc_pulse_endpoint_get_cookie_hex(const VmcPulseEndpoint *endpoint)
{
    return endpoint->cookie_hex;
}

gboolean
vmc_pulse_endpoint_is_authenticated(const VmcPulseEndpoint *endpoint)
{
    return endpoint->authenticated;
}

const VmcPulseServerInfo *
vmc_pulse_endpoint_get_server(const VmcPulseEndpoint *endpoint)
{
    return endpoint->info;
}

guint32
vmc_pulse_endpoint_get_module_index(const VmcPulseEndpoint *endpoint)
{
    return endpoint->module_index;
}

/* A loopback TCP port that is free right now (the kernel's choice). */
static gboolean
pick_free_port(guint16 *ret_port, GError **error)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof(addr);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    gboolean ok = fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 &&
                  getsockname(fd, (struct sockaddr *)&addr, &length) == 0;
    int saved = errno;
    if (fd >= 0)
        close(fd);
    if (!ok) {
        g_set_error(error, VMC_PULSE_ERROR, VMC_PULSE_ERROR_MODULE,
                    "cannot find a free TCP port on 127.0.0.1: %s", g_strerror(saved));
        return FALSE;
    }
    *ret_port = ntohs(addr.sin_port);
    return TRUE;
}

/* Where the private dirs go: $XDG_RUNTIME_DIR, else NULL (the tmp dir). */
static const char *
private_base(void)
{
    const char *runtime = g_getenv("XDG_RUNTIME_DIR");
    return runtime != NULL && g_path_is_absolute(runtime) ? runtime : NULL;
}

/* A fresh cookie in a fresh private dir under $XDG_RUNTIME_DIR (else tmp). */
static gboolean
make_cookie(VmcPulseEndpoint *endpoint, GError **error)
{
    endpoint->dir = vmc_pulse_private_dir_make(private_base(), error);
    if (endpoint->dir == NULL || !vmc_pulse_cookie_generate(endpoint->cookie, error))
        return FALSE;
    endpoint->cookie_path = g_build_filename(endpoint->dir, VMC_PULSE_COOKIE_NAME, NULL);
    gboolean ok = vmc_pulse_cookie_write(endpoint->cookie_path, endpoint->cookie, error);
    if (ok)
        endpoint->cookie_hex = vmc_pulse_cookie_to_hex(endpoint->cookie);
    return ok;
}

/* At most max bytes of a regular file (no symlink; /proc files are regular
 * too), NUL-terminated; NULL when it cannot be read or is bigger. */
static char *
read_small_file(const char *path, gsize max, gsize *ret_length)
{
    const VmcFileRules rules = {
        .owner = VMC_FILE_OWNER_ANY, .max_size = (goffset)max, .flags = VMC_FILE_ANY_LINKS};
    return vmc_file_read(AT_FDCWD, path, path, &rules, ret_length, NULL);
}

/* The start time of process pid (clock ticks after boot); FALSE when it is gone. */
static gboolean
process_start_time(guint32 pid, guint64 *ret_start)
{
    char path[32];
    gsize length = 0;
    g_snprintf(path, sizeof path, "/proc/%" G_GUINT32_FORMAT "/stat", pid);
    g_autofree char *text = read_small_file(path, VMC_PULSE_STAT_MAX, &length);
    return text != NULL && vmc_pulse_stat_start_time(text, length, ret_start);
}

/* The owner file beside the cookie, for a later run's sweep should this
 * process die without closing. Best effort: without it, only the sweep
 * cannot help. */
static void
write_owner(const VmcPulseEndpoint *endpoint)
{
    VmcPulseOwner owner = {.pid = (guint32)getpid(),
                           .module = endpoint->module_index,
                           .argument = endpoint->argument != NULL ? endpoint->argument : "-"};
    if (!process_start_time(owner.pid, &owner.start))
        return;
    g_autofree char *text = vmc_pulse_owner_format(&owner);
    g_autofree char *path = g_build_filename(endpoint->dir, VMC_PULSE_OWNER_NAME, NULL);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    gsize length = strlen(text);
    if (write(fd, text, length) != (ssize_t)length)
        unlink(path); /* a torn owner file would only be skipped, but leave none */
    close(fd);
}

/* Load the module on a free port; another port when the load fails (the
 * port may have been taken between our check and the server's bind). */
static gboolean
load_endpoint(VmcPulseEndpoint *endpoint, VmcPulseConn *conn, GError **error)
{
    g_autoptr(GError) last = NULL;
    for (int attempt = 0; attempt < VMC_PULSE_PORT_TRIES; attempt++) {
        g_clear_error(&last);
        if (!pick_free_port(&endpoint->port, error))
            return FALSE;
        g_free(endpoint->argument);
        endpoint->argument = vmc_pulse_module_argument(
            endpoint->port, endpoint->authenticated ? endpoint->cookie_path : NULL);
        if (vmc_pulse_conn_load_module(conn, VMC_PULSE_MODULE, endpoint->argument,
                                       &endpoint->module_index, &last)) {
            endpoint->loaded = TRUE;
            return TRUE;
        }
        if (!g_error_matches(last, VMC_PULSE_ERROR, VMC_PULSE_ERROR_MODULE))
            break; /* the connection failed: another port will not help */
    }
    g_propagate_error(error, g_steal_pointer(&last));
    return FALSE;
}

VmcPulseEndpoint *
vmc_pulse_endpoint_open(const char *server, guint timeout_ms, gboolean record, GError **error)
{
    g_autoptr(VmcPulseEndpoint) endpoint = g_new0(VmcPulseEndpoint, 1);
    endpoint->server = g_strdup(server);
    endpoint->timeout_ms = timeout_ms;
    g_autoptr(VmcPulseConn) conn =
        vmc_pulse_conn_open(server, timeout_ms, HINT_LAPTOP, NULL, NULL, error);
    if (conn == NULL)
        return NULL;
    endpoint->info = vmc_pulse_conn_server_info(conn, error);
    if (endpoint->info == NULL)
        return NULL;
    /* The guard sits in front of every server: it checks the cookie (which
     * PipeWire's pulse server cannot) and lets through only what playing (and
     * recording, when asked for) needs. It relays to the server's own Unix
     * socket, so that no module is loaded at all; only a server reached
     * otherwise gets a module behind the guard, with the cookie where the
     * server can check it (PulseAudio), anonymous where it cannot. */
    g_autofree char *path = vmc_pulse_server_unix_path(vmc_pulse_conn_get_server(conn));
    endpoint->authenticated = endpoint->info->kind != VMC_PULSE_SERVER_PIPEWIRE;
    endpoint->module_index = VMC_PULSE_NO_MODULE;
    if (!make_cookie(endpoint, error) || (path == NULL && !load_endpoint(endpoint, conn, error)))
        return NULL; /* the free below removes the cookie and its dir */
    write_owner(endpoint);
    endpoint->guard = vmc_pulse_guard_new(path, endpoint->port, endpoint->cookie, record, error);
    if (endpoint->guard == NULL)
        return NULL; /* the free below unloads the module */
    endpoint->authenticated = TRUE;
    memset(endpoint->cookie, 0, sizeof endpoint->cookie); /* the guard keeps its copy */
    return g_steal_pointer(&endpoint);
}

char *
vmc_pulse_endpoint_get_refused_commands(const VmcPulseEndpoint *endpoint)
{
    return endpoint->guard != NULL ? vmc_pulse_guard_refused_commands(endpoint->guard) : NULL;
}

static gboolean
unload_endpoint(VmcPulseEndpoint *endpoint, GError **error)
{
    gboolean found = FALSE;
    g_autoptr(VmcPulseConn) conn =
        vmc_pulse_conn_open(endpoint->server, endpoint->timeout_ms, HINT_LAPTOP, NULL, NULL, error);
    if (conn == NULL ||
        !vmc_pulse_conn_module_matches(conn, endpoint->module_index, VMC_PULSE_MODULE,
                                       endpoint->argument, &found, error))
        return FALSE;
    if (found && !vmc_pulse_conn_unload_module(conn, endpoint->module_index, error))
        return FALSE;
    return TRUE; /* unloaded, or gone already (e.g. the server restarted) */
}

gboolean
vmc_pulse_endpoint_close(VmcPulseEndpoint *endpoint, GError **error)
{
    g_return_val_if_fail(endpoint != NULL, FALSE);
    gboolean ok = TRUE;
    g_clear_pointer(&endpoint->guard, vmc_pulse_guard_free);
    if (endpoint->loaded) {
        g_autoptr(GError) local = NULL;
        ok = unload_endpoint(endpoint, &local);
        if (ok) {
            endpoint->loaded = FALSE;
        } else {
            g_propagate_prefixed_error(error, g_steal_pointer(&local),
                                       "cannot remove the sound endpoint (module %u, port %u): ",
                                       endpoint->module_index, endpoint->port);
        }
    }
    if (endpoint->dir != NULL) {
        vmc_pulse_private_dir_remove(endpoint->dir);
        g_clear_pointer(&endpoint->dir, g_free);
    }
    return ok;
}

void
vmc_pulse_endpoint_free(VmcPulseEndpoint *endpoint)
{
    if (endpoint == NULL)
        return;
    vmc_pulse_endpoint_close(endpoint, NULL);
    vmc_pulse_server_info_free(endpoint->info);
    g_free(endpoint->server);
    g_free(endpoint->cookie_path);
    if (endpoint->cookie_hex != NULL)
        memset(endpoint->cookie_hex, 0, strlen(endpoint->cookie_hex));
    g_free(endpoint->cookie_hex);
    g_free(endpoint->argument);
    memset(endpoint->cookie, 0, sizeof endpoint->cookie);
    g_free(endpoint);
}

/* ---- what earlier endpoints left behind ---- */

/* dir is one of ours: a real 0700 directory of this uid named vmc-pulse-XXXXXX. */
static gboolean
is_own_private_dir(const char *name, const char *path)
{
    struct stat st;
    return g_str_has_prefix(name, "vmc-pulse-") && strlen(name) == strlen("vmc-pulse-XXXXXX") &&
           lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == getuid() &&
           (st.st_mode & 07777) == 0700;
}

GPtrArray *
vmc_pulse_endpoint_sweep(const char *server, guint timeout_ms, GError **error)
{
    g_autoptr(GPtrArray) removed = g_ptr_array_new_with_free_func(g_free);
    const char *base = private_base();
    g_autoptr(GDir) listing = g_dir_open(base != NULL ? base : g_get_tmp_dir(), 0, NULL);
    g_autoptr(VmcPulseConn) conn = NULL;
    const char *name;
    guint looked = 0;
    while (listing != NULL && (name = g_dir_read_name(listing)) != NULL &&
           looked < VMC_PULSE_SWEEP_MAX) {
        g_autofree char *dir = g_build_filename(base != NULL ? base : g_get_tmp_dir(), name, NULL);
        if (!is_own_private_dir(name, dir))
            continue;
        looked++;
        g_autofree char *owner_path = g_build_filename(dir, VMC_PULSE_OWNER_NAME, NULL);
        gsize length = 0;
        g_autofree char *text = read_small_file(owner_path, VMC_PULSE_OWNER_MAX, &length);
        VmcPulseOwner owner = {0};
        if (text == NULL || !vmc_pulse_owner_parse(text, length, &owner))
            continue; /* being made right now, or not ours to judge */
        guint64 start = 0;
        gboolean alive = process_start_time(owner.pid, &start) && start == owner.start;
        if (alive) {
            vmc_pulse_owner_clear(&owner);
            continue;
        }
        gboolean found = FALSE;
        if (owner.module == VMC_PULSE_NO_MODULE) {
            /* a guard alone (PipeWire through its socket): it died with its process */
            vmc_pulse_private_dir_remove(dir);
            g_ptr_array_add(removed,
                            g_strdup_printf("removed the cookie of a sound endpoint left "
                                            "by an earlier run (pid %" G_GUINT32_FORMAT ", gone)",
                                            owner.pid));
            vmc_pulse_owner_clear(&owner);
            continue;
        }
        if (conn == NULL)
            conn = vmc_pulse_conn_open(server, timeout_ms, HINT_LAPTOP, NULL, NULL, error);
        if (conn == NULL ||
            !vmc_pulse_conn_module_matches(conn, owner.module, VMC_PULSE_MODULE, owner.argument,
                                           &found, error) ||
            (found && !vmc_pulse_conn_unload_module(conn, owner.module, error))) {
            vmc_pulse_owner_clear(&owner);
            return NULL; /* the dir stays: a later run tries again */
        }
        vmc_pulse_private_dir_remove(dir);
        g_ptr_array_add(
            removed,
            found ? g_strdup_printf("removed the sound endpoint (module %" G_GUINT32_FORMAT
                                    ") left by an earlier run (pid %" G_GUINT32_FORMAT ", gone)",
                                    owner.module, owner.pid)
                  : g_strdup_printf("removed the cookie of a sound endpoint left by an "
                                    "earlier run (pid %" G_GUINT32_FORMAT
                                    ", gone; its module was gone already)",
                                    owner.pid));
        vmc_pulse_owner_clear(&owner);
    }
    return g_steal_pointer(&removed);
}
