/* viewer.c — remote-viewer: fixed argv, a fixed minimal environment, a
 * private X cookie. The process itself (sandboxed or not) is viewer-process.c. */
#include "session-priv.h"

#include <gio/gio.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

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
vmc_viewer_argv(const char *viewer, const char *spice_socket, gboolean audio)
{
    g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
    /* no --title: it would win over the guest name the relay gives the
     * viewer, which is how the title changes at a warning */
    g_strv_builder_add_many(builder, viewer, "--spice-disable-usbredir", NULL);
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

/* What GTK 3, GLib/GIO, D-Bus, at-spi and GStreamer would otherwise take
 * from the environment or — worse — from the person's X server. Set
 * whatever the parent had; the sandbox is the fence, these keep the viewer
 * from even trying.
 *   NO_AT_BRIDGE=1        GTK 3 starts no accessibility bridge: the bridge
 *                         reads the bus address from the X root window
 *                         (AT_SPI_BUS) and libdbus runs `unixexec:` ones
 *   GTK_A11Y=none         the same for GTK 4 (harmless for GTK 3)
 *   DBUS_SESSION_BUS_ADDRESS, DBUS_SYSTEM_BUS_ADDRESS
 *                         an address that fails at once: unset, GLib and
 *                         libdbus would "autolaunch" a bus found through
 *                         the X server (dbus-launch --autolaunch)
 *   GSETTINGS_BACKEND=memory  no dconf (which needs the session bus)
 *   GIO_USE_VFS=local, GIO_USE_VOLUME_MONITOR=unix, GIO_MODULE_DIR
 *                         no GIO modules at all (gvfs, dconf, proxies):
 *                         only GLib's built-in local file system
 *   GTK_USE_PORTAL=0      GTK's file chooser (screenshot dialog) uses no
 *                         desktop portal
 *   GDK_BACKEND=x11       only the X display we relay
 *   GTK_IM_MODULE=gtk-im-context-simple
 *                         the built-in input method, whatever the X
 *                         server's XSETTINGS Gtk/IMModule names
 *   XDG_*                 config, cache, data and runtime under the
 *                         private home; system data and config dirs fixed
 *                         (no theme or icon dirs from outside)
 * XSETTINGS "Gtk/Modules" cannot be switched off from the environment (GTK
 * dlopens what it names, absolute paths included): the sandbox hides the
 * GTK module dirs and bounds what any library loaded that way can reach. */
static const char *const hardening_env[] = {
    "NO_AT_BRIDGE=1",
    "GTK_A11Y=none",
    "DBUS_SESSION_BUS_ADDRESS=unix:path=/dev/null/no-session-bus",
    "DBUS_SYSTEM_BUS_ADDRESS=unix:path=/dev/null/no-system-bus",
    "GSETTINGS_BACKEND=memory",
    "GIO_USE_VFS=local",
    "GIO_USE_VOLUME_MONITOR=unix",
    "GIO_MODULE_DIR=/dev/null/no-gio-modules",
    "GTK_USE_PORTAL=0",
    "GDK_BACKEND=x11",
    "GTK_IM_MODULE=gtk-im-context-simple",
    "XDG_DATA_DIRS=/usr/local/share:/usr/share",
    "XDG_CONFIG_DIRS=/etc/xdg",
};

GStrv
vmc_viewer_env(char **parent_env, const VmcViewerPlaces *places, const GPtrArray *extra)
{
    g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
    const char *lang = g_environ_getenv(parent_env, "LANG");

    if (vmc_viewer_display_is_valid(places->display))
        add_pair(builder, "DISPLAY", places->display);
    add_pair(builder, "XAUTHORITY", places->xauthority);
    add_pair(builder, "HOME", places->home);
    add_pair(builder, "XDG_RUNTIME_DIR", places->runtime_dir);
    g_autofree char *config = g_build_filename(places->home, ".config", NULL);
    g_autofree char *cache = g_build_filename(places->home, ".cache", NULL);
    g_autofree char *data = g_build_filename(places->home, ".local", "share", NULL);
    g_autofree char *state = g_build_filename(places->home, ".local", "state", NULL);
    add_pair(builder, "XDG_CONFIG_HOME", config);
    add_pair(builder, "XDG_CACHE_HOME", cache);
    add_pair(builder, "XDG_DATA_HOME", data);
    add_pair(builder, "XDG_STATE_HOME", state);
    g_strv_builder_add(builder, "PATH=" VMC_VIEWER_PATH);
    if (lang_is_sane(lang))
        add_pair(builder, "LANG", lang);
    for (guint i = 0; i < G_N_ELEMENTS(hardening_env); i++)
        g_strv_builder_add(builder, hardening_env[i]);
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
                            const char *as_number, GError **error)
{
    g_autofree char *source = account_xauthority(parent_env);
    return vmc_xauth_copy_for_display(source, display, path, as_number, error);
}

/* getaddrinfo for host and port, IPv4 first (sshd's X11UseLocalhost binds
 * 127.0.0.1 for sure, ::1 only where IPv6 works). */
static gboolean
resolve_tcp(const char *host, guint port, struct sockaddr_storage *ret_address,
            socklen_t *ret_length)
{
    static const int families[] = {AF_INET, AF_UNSPEC};
    g_autofree char *service = g_strdup_printf("%u", port);
    for (guint i = 0; i < G_N_ELEMENTS(families); i++) {
        struct addrinfo hints = {
            .ai_family = families[i], .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
        struct addrinfo *found = NULL;
        if (getaddrinfo(host, service, &hints, &found) != 0 || found == NULL)
            continue;
        gboolean ok = found->ai_addrlen <= sizeof *ret_address;
        if (ok) {
            memcpy(ret_address, found->ai_addr, found->ai_addrlen);
            *ret_length = found->ai_addrlen;
        }
        freeaddrinfo(found);
        if (ok)
            return TRUE;
    }
    return FALSE;
}

gboolean
vmc_viewer_x11_target(const char *display, struct sockaddr_storage *ret_address,
                      socklen_t *ret_length, GError **error)
{
    g_autofree char *host = NULL, *number = NULL;
    if (!vmc_viewer_display_is_valid(display) ||
        !vmc_xauth_parse_display(display, &host, &number)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "DISPLAY is not an X11 display this gateway can relay");
        return FALSE;
    }
    guint64 n = g_ascii_strtoull(number, NULL, 10);
    if (host[0] == '\0' || strcmp(host, "unix") == 0) {
        struct sockaddr_un *un = (struct sockaddr_un *)ret_address;
        memset(ret_address, 0, sizeof *ret_address);
        un->sun_family = AF_UNIX;
        g_snprintf(un->sun_path, sizeof un->sun_path, "/tmp/.X11-unix/X%" G_GUINT64_FORMAT, n);
        *ret_length = sizeof *un;
        return TRUE;
    }
    if (n > 65535 - VMC_X11_TCP_PORT_BASE ||
        !resolve_tcp(host, (guint)(VMC_X11_TCP_PORT_BASE + n), ret_address, ret_length)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                    "cannot find the address of the X11 display %s", display);
        return FALSE;
    }
    return TRUE;
}
