/* viewer.c — remote-viewer: fixed argv, whitelisted environment, private X cookie. */
#include "session-priv.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define VMC_VIEWER_PATH "/usr/local/bin:/usr/bin:/bin"
#define VMC_LANG_MAX 64

gboolean
vmc_viewer_display_is_valid(const char *display)
{
    if (display == NULL || *display == '\0' || strlen(display) > VMC_DISPLAY_MAX)
        return FALSE;
    for (const char *p = display; *p != '\0'; p++)
        if (!g_ascii_isalnum(*p) && strchr(":.-_", *p) == NULL)
            return FALSE;
    return strchr(display, ':') != NULL;
}

GStrv
vmc_viewer_argv(const char *viewer, const char *title, const char *spice_socket, gboolean audio)
{
    g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
    g_strv_builder_add_many(builder, viewer, "--title", title, "--spice-disable-usbredir", NULL);
    if (!audio)
        g_strv_builder_add(builder, "--spice-disable-audio");
    g_autofree char *uri = g_strconcat("spice+unix://", spice_socket, NULL);
    g_strv_builder_add(builder, uri);
    return g_strv_builder_end(builder);
}

static gboolean
lang_is_sane(const char *lang)
{
    if (lang == NULL || *lang == '\0' || strlen(lang) > VMC_LANG_MAX)
        return FALSE;
    for (const char *p = lang; *p != '\0'; p++)
        if (!g_ascii_isalnum(*p) && strchr("_.@-", *p) == NULL)
            return FALSE;
    return TRUE;
}

/* g_strv_builder_take() is GLib 2.80; we stay on 2.74. */
static void
add_pair(GStrvBuilder *builder, const char *name, const char *value)
{
    g_autofree char *pair = g_strconcat(name, "=", value, NULL);
    g_strv_builder_add(builder, pair);
}

GStrv
vmc_viewer_env(char **parent_env, const char *session_dir, const char *xauthority,
               const GPtrArray *extra)
{
    g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
    const char *display = g_environ_getenv(parent_env, "DISPLAY");
    const char *lang = g_environ_getenv(parent_env, "LANG");

    if (vmc_viewer_display_is_valid(display))
        add_pair(builder, "DISPLAY", display);
    add_pair(builder, "XAUTHORITY", xauthority);
    add_pair(builder, "HOME", session_dir);
    add_pair(builder, "XDG_RUNTIME_DIR", session_dir);
    g_strv_builder_add(builder, "PATH=" VMC_VIEWER_PATH);
    if (lang_is_sane(lang))
        add_pair(builder, "LANG", lang);
    for (guint i = 0; extra != NULL && i < extra->len; i++)
        g_strv_builder_add(builder, g_ptr_array_index(extra, i));
    return g_strv_builder_end(builder);
}

/* The account's authority file: $XAUTHORITY when absolute, else ~/.Xauthority. */
static char *
account_xauthority(char **parent_env)
{
    const char *path = g_environ_getenv(parent_env, "XAUTHORITY");
    if (path != NULL && g_path_is_absolute(path))
        return g_strdup(path);
    return g_build_filename(g_get_home_dir(), ".Xauthority", NULL);
}

gboolean
vmc_viewer_write_xauthority(char **parent_env, const char *display, const char *path,
                            GError **error)
{
    g_autofree char *source = account_xauthority(parent_env);
    return vmc_xauth_copy_for_display(source, display, path, error);
}

/* Runs in the child between fork and exec: async-signal-safe calls only. */
static void
viewer_child_setup(gpointer data)
{
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
}

gboolean
vmc_viewer_spawn(GStrv argv, GStrv envp, const char *cwd, const char *log_path, GPid *ret_pid,
                 GError **error)
{
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    gboolean ok = FALSE;

    if (null_fd < 0 || log_fd < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot prepare the viewer's stdin/stdout: %s", g_strerror(errno));
    } else {
        ok = g_spawn_async_with_fds(cwd, argv, envp, G_SPAWN_DO_NOT_REAP_CHILD,
                                    viewer_child_setup, NULL, ret_pid, null_fd, log_fd, log_fd,
                                    error);
    }
    if (null_fd >= 0)
        close(null_fd);
    if (log_fd >= 0)
        close(log_fd);
    return ok;
}
