/* pulse-conn.c — one libpulse connection on its own pa_mainloop: every wait
 * is bounded by one deadline, every failure becomes a message in words.
 * Never touches GLib's main context, never autospawns a server. */
#include "pulse-priv.h"

#include <pulse/pulseaudio.h>
#include <string.h>

struct _VmcPulseConn {
    pa_mainloop *loop;
    pa_context *context;
    gint64 deadline; /* monotonic, us */
    guint timeout_ms;
    char *label; /* the server, escaped, for messages */
    const char *hint;
};

void
vmc_pulse_conn_free(VmcPulseConn *conn)
{
    if (conn == NULL)
        return;
    if (conn->context != NULL) {
        pa_context_disconnect(conn->context);
        pa_context_unref(conn->context);
    }
    if (conn->loop != NULL)
        pa_mainloop_free(conn->loop);
    g_free(conn->label);
    g_free(conn);
}

static void
set_context_error(VmcPulseConn *conn, GError **error)
{
    int code = pa_context_errno(conn->context);
    switch (code) {
    case PA_ERR_ACCESS:
        g_set_error(error, VMC_PULSE_ERROR, VMC_PULSE_ERROR_CONNECT,
                    "the sound server on %s: access denied (wrong or missing cookie)", conn->label);
        break;
    case PA_ERR_CONNECTIONREFUSED:
        g_set_error(error, VMC_PULSE_ERROR, VMC_PULSE_ERROR_CONNECT,
                    "no sound server answers on %s (%s)", conn->label, conn->hint);
        break;
    case PA_ERR_CONNECTIONTERMINATED:
        g_set_error(error, VMC_PULSE_ERROR, VMC_PULSE_ERROR_CONNECT,
                    "the sound server on %s closed the connection (%s)", conn->label, conn->hint);
        break;
    default:
        g_set_error(error, VMC_PULSE_ERROR, VMC_PULSE_ERROR_CONNECT,
                    "cannot talk to the sound server on %s: %s (%s)", conn->label,
                    pa_strerror(code), conn->hint);
        break;
    }
}

/* One round of the main loop, waiting at most until the deadline. */
static gboolean
conn_iterate(VmcPulseConn *conn, GError **error)
{
    gint64 left = conn->deadline - g_get_monotonic_time();
    if (left <= 0) {
        g_set_error(error, VMC_PULSE_ERROR, VMC_PULSE_ERROR_CONNECT,
                    "the sound server on %s did not answer: timed out after %u ms (%s)",
                    conn->label, conn->timeout_ms, conn->hint);
        return FALSE;
    }
    if (pa_mainloop_prepare(conn->loop, (int)MIN(left, G_MAXINT)) < 0 ||
        pa_mainloop_poll(conn->loop) < 0 || pa_mainloop_dispatch(conn->loop) < 0) {
        g_set_error(error, VMC_PULSE_ERROR, VMC_PULSE_ERROR_CONNECT,
                    "the sound client's main loop failed while talking to %s", conn->label);
        return FALSE;
    }
    return TRUE;
}

/* Run the loop until op is done (unref'd here; cancelled when not done). */
static gboolean
conn_wait(VmcPulseConn *conn, pa_operation *op, GError **error)
{
    if (op == NULL) {
        set_context_error(conn, error);
        return FALSE;
    }
    gboolean ok = TRUE;
    while (ok && pa_operation_get_state(op) == PA_OPERATION_RUNNING)
        ok = conn_iterate(conn, error);
    if (ok && pa_operation_get_state(op) != PA_OPERATION_DONE) {
        set_context_error(conn, error);
        ok = FALSE;
    }
    if (pa_operation_get_state(op) == PA_OPERATION_RUNNING)
        pa_operation_cancel(op); /* its callback must not run on a stale frame */
    pa_operation_unref(op);
    return ok;
}

/* libpulse reads PULSE_COOKIE and PULSE_CLIENTCONFIG once, in pa_context_new.
 * PULSE_COOKIE is the first cookie source it tries, ahead of the X11 root
 * window's PULSE_COOKIE (a laptop may publish its own there, seen through the
 * forwarded display) and of pa_context_load_cookie_from_file(); client.conf
 * turns shm, memfd and autospawn off and keeps the user's client.conf out.
 * So both are set around the call and put back at once. Not thread-safe:
 * setenv races getenv() in other threads; probe before starting threads. */
static pa_context *
context_new_with_env(pa_mainloop_api *api, const char *cookie_file, const char *client_conf)
{
    static const char *const names[] = {"PULSE_COOKIE", "PULSE_CLIENTCONFIG"};
    const char *values[] = {cookie_file, client_conf};
    char *saved[G_N_ELEMENTS(names)];
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        saved[i] = g_strdup(g_getenv(names[i]));
        g_setenv(names[i], values[i], TRUE);
    }
    pa_context *context = pa_context_new(api, "vmconsole");
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        if (saved[i] != NULL)
            g_setenv(names[i], saved[i], TRUE);
        else
            g_unsetenv(names[i]);
        g_free(saved[i]);
    }
    return context;
}

static gboolean
conn_connect(VmcPulseConn *conn, const char *server, GError **error)
{
    if (pa_context_connect(conn->context, server, PA_CONTEXT_NOAUTOSPAWN, NULL) < 0) {
        set_context_error(conn, error);
        return FALSE;
    }
    for (;;) {
        pa_context_state_t state = pa_context_get_state(conn->context);
        if (state == PA_CONTEXT_READY)
            return TRUE;
        if (!PA_CONTEXT_IS_GOOD(state)) {
            set_context_error(conn, error);
            return FALSE;
        }
        if (!conn_iterate(conn, error))
            return FALSE;
    }
}

VmcPulseConn *
vmc_pulse_conn_open(const char *server, guint timeout_ms, const char *hint, const char *cookie_file,
                    const char *client_conf, GError **error)
{
    if (server != NULL && strlen(server) > VMC_PULSE_SERVER_MAX) {
        g_set_error(error, VMC_PULSE_ERROR, VMC_PULSE_ERROR_INVALID,
                    "the sound server name is longer than %d bytes", VMC_PULSE_SERVER_MAX);
        return NULL;
    }
    g_autoptr(VmcPulseConn) conn = g_new0(VmcPulseConn, 1);
    conn->timeout_ms = timeout_ms;
    conn->deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    conn->hint = hint;
    /* libpulse's default: $PULSE_SERVER when set, else its own search */
    const char *shown = server != NULL ? server : g_getenv("PULSE_SERVER");
    conn->label = shown != NULL ? vmc_text_escape(shown, -1, VMC_PULSE_SERVER_MAX)
                                : g_strdup("the default server");
    conn->loop = pa_mainloop_new();
    pa_mainloop_api *api = conn->loop != NULL ? pa_mainloop_get_api(conn->loop) : NULL;
    if (api != NULL)
        conn->context = cookie_file != NULL ? context_new_with_env(api, cookie_file, client_conf)
                                            : pa_context_new(api, "vmconsole");
    if (conn->context == NULL) {
        g_set_error(error, VMC_PULSE_ERROR, VMC_PULSE_ERROR_CONNECT,
                    "cannot set up a sound client (libpulse) for %s", conn->label);
        return NULL;
    }
    /* a second line behind PULSE_COOKIE, should the environment not be read */
    if (cookie_file != NULL)
        pa_context_load_cookie_from_file(conn->context, cookie_file);
    if (!conn_connect(conn, server, error))
        return NULL;
    return g_steal_pointer(&conn);
}

static void
on_server_info(pa_context *context, const pa_server_info *i, void *userdata)
{
    VmcPulseServerInfo **ret = userdata;
    if (i == NULL || *ret != NULL)
        return;
    VmcPulseServerInfo *info = g_new0(VmcPulseServerInfo, 1);
    info->name = g_strndup(i->server_name != NULL ? i->server_name : "", VMC_PULSE_INFO_MAX);
    info->version =
        g_strndup(i->server_version != NULL ? i->server_version : "", VMC_PULSE_INFO_MAX);
    info->kind = vmc_pulse_server_kind(info->name);
    *ret = info;
}

const char *
vmc_pulse_conn_get_server(VmcPulseConn *conn)
{
    return pa_context_get_server(conn->context);
}

VmcPulseServerInfo *
vmc_pulse_conn_server_info(VmcPulseConn *conn, GError **error)
{
    g_autoptr(VmcPulseServerInfo) info = NULL;
    if (!conn_wait(conn, pa_context_get_server_info(conn->context, on_server_info, &info), error))
        return NULL;
    if (info == NULL) {
        set_context_error(conn, error);
        return NULL;
    }
    return g_steal_pointer(&info);
}

static void
on_index(pa_context *context, uint32_t idx, void *userdata)
{
    *(uint32_t *)userdata = idx;
}

gboolean
vmc_pulse_conn_load_module(VmcPulseConn *conn, const char *name, const char *argument,
                           guint32 *ret_index, GError **error)
{
    uint32_t index = PA_INVALID_INDEX;
    if (!conn_wait(conn, pa_context_load_module(conn->context, name, argument, on_index, &index),
                   error))
        return FALSE;
    if (index == PA_INVALID_INDEX) {
        g_set_error(error, VMC_PULSE_ERROR, VMC_PULSE_ERROR_MODULE,
                    "the sound server on %s refused to load %s (%s): %s", conn->label, name,
                    argument, pa_strerror(pa_context_errno(conn->context)));
        return FALSE;
    }
    *ret_index = index;
    return TRUE;
}

typedef struct {
    const char *name, *argument;
    gboolean found;
} ModuleMatch;

static void
on_module_info(pa_context *context, const pa_module_info *i, int eol, void *userdata)
{
    ModuleMatch *match = userdata;
    if (eol == 0 && i != NULL && g_strcmp0(i->name, match->name) == 0 &&
        g_strcmp0(i->argument, match->argument) == 0)
        match->found = TRUE;
}

gboolean
vmc_pulse_conn_module_matches(VmcPulseConn *conn, guint32 index, const char *name,
                              const char *argument, gboolean *ret_found, GError **error)
{
    ModuleMatch match = {name, argument, FALSE};
    /* an unknown index ends the operation with an error: that is "not found" */
    if (!conn_wait(conn, pa_context_get_module_info(conn->context, index, on_module_info, &match),
                   error))
        return FALSE;
    *ret_found = match.found;
    return TRUE;
}

static void
on_success(pa_context *context, int success, void *userdata)
{
    *(int *)userdata = success;
}

gboolean
vmc_pulse_conn_unload_module(VmcPulseConn *conn, guint32 index, GError **error)
{
    int success = 0;
    if (!conn_wait(conn, pa_context_unload_module(conn->context, index, on_success, &success),
                   error))
        return FALSE;
    if (!success) {
        g_set_error(error, VMC_PULSE_ERROR, VMC_PULSE_ERROR_MODULE,
                    "the sound server on %s did not unload module %u: %s", conn->label, index,
                    pa_strerror(pa_context_errno(conn->context)));
        return FALSE;
    }
    return TRUE;
}
