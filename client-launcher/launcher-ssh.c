/* launcher-ssh.c — the ssh command the launcher runs (pure): argv, the
 * gateway request, the lines for ssh's stdin, the whitelisted environment,
 * and hints for exit statuses.
 */
#include "vmc-launcher.h"

#include <string.h>

/* Variables ssh needs to work for a person: config and keys (HOME, USER,
 * LOGNAME), ProxyCommand (PATH, SHELL), X11 (DISPLAY, XAUTHORITY), agent and
 * askpass (SSH_AUTH_SOCK, SSH_ASKPASS*, WAYLAND_DISPLAY), security keys
 * (SSH_SK_PROVIDER), Kerberos (KRB5*), ${XDG_RUNTIME_DIR} in ssh_config,
 * messages and SendEnv (TERM, LANG, LANGUAGE, LC_*), TMPDIR, TZ. */
static const char *const env_names[] = {
    "HOME",
    "USER",
    "LOGNAME",
    "PATH",
    "SHELL",
    "DISPLAY",
    "XAUTHORITY",
    "WAYLAND_DISPLAY",
    "SSH_AUTH_SOCK",
    "SSH_ASKPASS",
    "SSH_ASKPASS_REQUIRE",
    "SSH_SK_PROVIDER",
    "TERM",
    "LANG",
    "LANGUAGE",
    "KRB5CCNAME",
    "KRB5_CONFIG",
    "XDG_RUNTIME_DIR",
    "TMPDIR",
    "TZ",
};

static gboolean
env_name_allowed(const char *entry)
{
    const char *eq = strchr(entry, '=');
    if (eq == NULL || eq == entry)
        return FALSE;
    gsize n = (gsize)(eq - entry);
    if (n > 3 && strncmp(entry, "LC_", 3) == 0) {
        for (gsize i = 3; i < n; i++)
            if (!g_ascii_isupper(entry[i]) && entry[i] != '_')
                return FALSE;
        return TRUE;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(env_names); i++)
        if (strlen(env_names[i]) == n && strncmp(entry, env_names[i], n) == 0)
            return TRUE;
    return FALSE;
}

char **
vmc_launcher_ssh_env(const char *const *parent)
{
    GPtrArray *env = g_ptr_array_new();
    for (gsize i = 0; parent != NULL && parent[i] != NULL; i++)
        if (env_name_allowed(parent[i]))
            g_ptr_array_add(env, g_strdup(parent[i]));
    g_ptr_array_add(env, NULL);
    return (char **)g_ptr_array_free(env, FALSE);
}

char *
vmc_launcher_request(const VmcLauncherArgs *args, VmcLauncherSound sound)
{
    g_return_val_if_fail(args != NULL, NULL);
    if (args->action == VMC_LAUNCHER_ACTION_LIST)
        return g_strdup("list");
    g_return_val_if_fail(args->action == VMC_LAUNCHER_ACTION_OPEN && args->vm != NULL, NULL);
    GString *request = g_string_new(args->vm);
    if (args->takeover)
        g_string_append(request, " --takeover");
    if (sound != VMC_LAUNCHER_SOUND_NONE) {
        if (args->remote_port != 0)
            g_string_append_printf(request, " --pulse=tcp:%u", args->remote_port);
        else
            g_string_append(request, " --pulse=tcp:stdin");
    }
    if (sound == VMC_LAUNCHER_SOUND_COOKIE)
        g_string_append(request, " --pulse-cookie=stdin");
    if (sound != VMC_LAUNCHER_SOUND_NONE && args->microphone)
        g_string_append(request, " --microphone");
    return g_string_free(request, FALSE);
}

static void
add(GPtrArray *argv, const char *word)
{
    g_ptr_array_add(argv, g_strdup(word));
}

static void
add_pair(GPtrArray *argv, const char *option, const char *value)
{
    add(argv, option);
    add(argv, value);
}

char **
vmc_launcher_ssh_argv(const char *ssh, const VmcLauncherArgs *args, VmcLauncherSound sound,
                      guint16 local_port)
{
    g_return_val_if_fail(ssh != NULL && args != NULL && args->destination != NULL, NULL);
    gboolean open = args->action == VMC_LAUNCHER_ACTION_OPEN;
    GPtrArray *argv = g_ptr_array_new();
    add(argv, ssh);
    if (args->verbose)
        add(argv, "-v");
    if (open) {
        add(argv, "-X");
        /* explicit either way: Debian's ssh_config says ForwardX11Trusted yes,
         * and ours comes before the person's -o (ssh keeps the first value) */
        add_pair(argv, "-o", args->trusted_x11 ? "ForwardX11Trusted=yes" : "ForwardX11Trusted=no");
        add_pair(argv, "-o", "ExitOnForwardFailure=yes");
        /* "Allocated port" is an INFO message: a config's LogLevel must not hide it */
        add_pair(argv, "-o", "LogLevel=INFO");
        /* a connection of our own: through a ControlMaster the forward would be the
         * master's (outliving the session) and its port reported only at VERBOSE */
        add_pair(argv, "-o", "ControlPath=none");
    } else {
        add(argv, "-x");
    }
    if (args->compress)
        add(argv, "-C");
    if (args->identity_file != NULL)
        add_pair(argv, "-i", args->identity_file);
    if (args->ssh_port != 0) {
        g_autofree char *port = g_strdup_printf("%u", args->ssh_port);
        add_pair(argv, "-p", port);
    }
    for (gsize i = 0; args->ssh_options != NULL && args->ssh_options[i] != NULL; i++)
        add_pair(argv, "-o", args->ssh_options[i]);
    if (open && sound != VMC_LAUNCHER_SOUND_NONE) {
        g_autofree char *spec =
            g_strdup_printf("%u:%s:%u", args->remote_port, VMC_LAUNCHER_CONNECT_HOST, local_port);
        add_pair(argv, "-R", spec);
    }
    add(argv, "--");
    add(argv, args->destination);
    g_ptr_array_add(argv, vmc_launcher_request(args, sound));
    g_ptr_array_add(argv, NULL);
    return (char **)g_ptr_array_free(argv, FALSE);
}

gboolean
vmc_launcher_wants_allocated_port(const VmcLauncherArgs *args, VmcLauncherSound sound)
{
    return args->action == VMC_LAUNCHER_ACTION_OPEN && sound != VMC_LAUNCHER_SOUND_NONE &&
           args->remote_port == 0;
}

gboolean
vmc_launcher_wants_stdin(const VmcLauncherArgs *args, VmcLauncherSound sound)
{
    return vmc_launcher_wants_allocated_port(args, sound) ||
           (args->action == VMC_LAUNCHER_ACTION_OPEN && sound == VMC_LAUNCHER_SOUND_COOKIE);
}

char *
vmc_launcher_stdin_text(const VmcLauncherArgs *args, VmcLauncherSound sound, guint16 allocated_port,
                        const char *cookie_hex)
{
    g_return_val_if_fail(args != NULL, NULL);
    if (!vmc_launcher_wants_stdin(args, sound))
        return NULL;
    gboolean port_line = vmc_launcher_wants_allocated_port(args, sound);
    gboolean cookie_line = sound == VMC_LAUNCHER_SOUND_COOKIE;
    g_return_val_if_fail(!port_line || allocated_port != 0, NULL);
    g_return_val_if_fail(!cookie_line || cookie_hex != NULL, NULL);
    GString *text = g_string_new(NULL);
    if (port_line)
        g_string_append_printf(text, "%u\n", allocated_port);
    if (cookie_line)
        g_string_append_printf(text, "%s\n", cookie_hex);
    return g_string_free(text, FALSE);
}

const char *
vmc_launcher_exit_hint(int status, VmcLauncherSound sound, gboolean dynamic_port)
{
    switch (status) {
    case 255:
        if (sound != VMC_LAUNCHER_SOUND_NONE && dynamic_port)
            return "if ssh said \"remote port forwarding failed\", the key does not allow a "
                   "sound tunnel on a free port (permitlisten=\"localhost:*\"): ask the host's "
                   "admin, use --remote-port PORT for a key with a fixed port, or --no-audio";
        if (sound != VMC_LAUNCHER_SOUND_NONE)
            return "if ssh said \"remote port forwarding failed\", the key does not allow this "
                   "--remote-port (or the port is taken): ask the host's admin, or --no-audio";
        return "check the host name, your key (-i) and ssh's message above";
    case 2:
        return "the host's gateway refused the request as malformed: if it is older than this "
               "launcher, try --no-audio";
    case 5:
        return "--takeover takes the console over where the host allows it";
    case 7:
        return "the X11 forward did not come up: is DISPLAY set here, and xauth installed on "
               "the host?";
    default:
        return NULL;
    }
}
