/* main.c — vmconsole, the laptop launcher: a private sound endpoint on the
 * person's own sound server (pulse/), then the system's OpenSSH ssh with the
 * X11 forward, the reverse tunnel to that endpoint and the request; the port
 * and cookie go to the gateway over ssh's stdin. Every path closes the
 * endpoint and leaves no child: ssh's end is waited for, signals are passed
 * on to it (SIGKILL if it does not end in time).
 *
 * The pure parts (command line, ssh argv, environment, stderr parsing) are in
 * vmc-launcher.h; this file is the I/O around them.
 */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib-unix.h>
#include <glib.h>

#include "native-ssh-priv.h"
#include "vmc-build-config.h"
#include "vmc-common.h"
#include "vmc-launcher.h"
#include "vmc-pulse.h"

#define KILL_DELAY_MS 5000 /* after passing a signal on: then SIGKILL */
#define READ_CHUNK 4096    /* bytes of ssh's stderr read at once */
#define SHOWN_MAX 300      /* user and server text in our own lines */

typedef struct {
    const VmcLauncherArgs *args;
    VmcLauncherSound sound;
    VmcPulseEndpoint *endpoint; /* borrowed; NULL without sound */
    GMainLoop *loop;
    GPid pid;
    int stdin_fd;  /* -1 once written and closed */
    int stderr_fd; /* -1 once at its end */
    guint stderr_source;
    VmcLauncherLines lines;
    gboolean exited;
    int wait_status;
    int signal; /* the first signal received, 0: none */
    guint kill_timer;
} Launcher;

/* One line on stderr, "vmconsole: " and the message through
 * vmc_print_escaped() (every %s escaped and capped): everything the
 * launcher says goes through here (native mode's files too). */
void
vmc_launcher_say(const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    vmc_vprint_line(stderr, "vmconsole: ", format, ap);
    va_end(ap);
}

/* format, then "…" where the terminal takes UTF-8, else "...": the dots are
 * part of the trusted format, not an argument to escape. */
#define WITH_DOTS(format) (g_get_charset(NULL) ? format "\u2026" : format "...")

static void
print_usage(FILE *out)
{
    vmc_print_escaped(
        out, "Usage: vmconsole [options] [user@]host VM\n"
             "       vmconsole [options] [user@]host --list\n"
             "\n"
             "Opens the VM's graphical console from the host's vmconsole gateway through ssh,\n"
             "with the VM's sound on this laptop's speakers. Two modes:\n"
             "  native: remote-viewer runs here and the VM's Spice connections come over one\n"
             "          SSH connection (libssh; ~/.ssh/config, known_hosts and the agent apply)\n"
             "  X11:    remote-viewer runs on the host, drawn here through ssh -X, the sound\n"
             "          through a reverse tunnel (OpenSSH's ssh)\n"
             "The default is native when remote-viewer is installed here, else X11 (and X11\n"
             "when -o, --trusted-x11 or --remote-port is given).\n"
             "\n"
             "Options:\n"
             "      --native          native mode (needs remote-viewer here)\n"
             "      --x11             X11 mode (needs an X display here)\n"
             "  -l, --list            the VMs you may open on the host\n"
             "      --takeover        take the console over from a session holding it\n"
             "      --no-audio        no sound (X11: no tunnel; native: the viewer plays none)\n"
             "      --microphone      the VM may record from this laptop's microphone (where\n"
             "                        the host allows it; off by default)\n"
             "      --remote-port N   X11: the sound tunnel's port on the host, for a key that\n"
             "                        allows only a fixed one (permitlisten=\"localhost:N\")\n"
             "      --trusted-x11     X11: trusted X11 forwarding (ForwardX11Trusted=yes):\n"
             "                        whatever reaches the host's end of the forward can then\n"
             "                        read this display's keystrokes and windows and drive it;\n"
             "                        only for a program that fails without (the default is\n"
             "                        untrusted: ForwardX11Trusted=no)\n"
             "  -C                    ssh compression (slow links; native mode compresses\n"
             "                        unless ~/.ssh/config says Compression no)\n"
             "  -i KEY                ssh identity file\n"
             "  -p PORT               ssh port\n"
             "  -o OPTION             X11: an ssh option (repeatable), as for ssh -o\n"
             "  -v                    say more (and ssh -v; native: libssh's protocol log)\n"
             "  -h, --help            this text\n"
             "  -V, --version         the version\n"
             "\n"
             "Exit status: the gateway's (0 ok, 2 bad request, 3 not permitted, 4 VM not\n"
             "running, 5 console busy, 7 no X11 forward, 8 host audit log not writable),\n"
             "1 native mode failed here (no viewer, the viewer failed), 7 no display here,\n"
             "255 when ssh failed, 128+N after signal N. See vmconsole(1).\n");
}

/* ---- sound ---- */

static VmcLauncherSound
open_sound(const VmcLauncherArgs *args, VmcPulseEndpoint **ret_endpoint)
{
    g_autoptr(GError) error = NULL;
    if (args->no_audio)
        return VMC_LAUNCHER_SOUND_NONE;
    /* an earlier run killed outright (SIGKILL, a crash) could not unload its endpoint */
    g_autoptr(GPtrArray) swept = vmc_pulse_endpoint_sweep(NULL, VMC_PULSE_TIMEOUT_MS, &error);
    for (guint i = 0; swept != NULL && i < swept->len; i++)
        vmc_launcher_say("sound: %s", (const char *)g_ptr_array_index(swept, i));
    g_clear_error(&error); /* no server: the open below says so */
    VmcPulseEndpoint *endpoint =
        vmc_pulse_endpoint_open(NULL, VMC_PULSE_TIMEOUT_MS, args->microphone, &error);
    if (endpoint == NULL) {
        vmc_launcher_say("no sound: %.*s; the console opens without sound", SHOWN_MAX,
                         error->message);
        return VMC_LAUNCHER_SOUND_NONE;
    }
    const VmcPulseServerInfo *info = vmc_pulse_endpoint_get_server(endpoint);
    g_autofree char *server = vmc_pulse_server_describe(info);
    const char *microphone = args->microphone ? ", with the microphone" : "";
    if (info->kind == VMC_PULSE_SERVER_PIPEWIRE)
        vmc_launcher_say(
            "sound: laptop %s via tunnel%s (it cannot check a cookie: vmconsole checks it in "
            "front of it while the session runs)",
            server, microphone);
    else
        vmc_launcher_say("sound: laptop %s via tunnel%s", server, microphone);
    if (args->verbose && vmc_pulse_endpoint_get_module_index(endpoint) != G_MAXUINT32)
        vmc_launcher_say("sound endpoint: %s:%u, module %u", VMC_LAUNCHER_CONNECT_HOST,
                         vmc_pulse_endpoint_get_port(endpoint),
                         vmc_pulse_endpoint_get_module_index(endpoint));
    else if (args->verbose)
        vmc_launcher_say("sound endpoint: %s:%u (the guard; no module loaded)",
                         VMC_LAUNCHER_CONNECT_HOST, vmc_pulse_endpoint_get_port(endpoint));
    *ret_endpoint = endpoint;
    return vmc_pulse_endpoint_is_authenticated(endpoint) ? VMC_LAUNCHER_SOUND_COOKIE
                                                         : VMC_LAUNCHER_SOUND_OPEN;
}

static void
close_sound(VmcPulseEndpoint *endpoint, gboolean launcher_microphone)
{
    g_autoptr(GError) error = NULL;
    if (endpoint == NULL)
        return;
    guint refused = vmc_pulse_endpoint_get_refused(endpoint);
    if (refused > 0)
        vmc_launcher_say(
            "sound: refused %u connection%s to the tunnel without the session's cookie", refused,
            refused == 1 ? "" : "s");
    g_autofree char *commands = vmc_pulse_endpoint_get_refused_commands(endpoint);
    if (commands != NULL) /* command names and counts: the whole list */
        vmc_launcher_say(
            "sound: refused %.*s from the host: only playing sound%s is let through to this "
            "laptop's sound server",
            (int)strlen(commands), commands,
            vmc_pulse_endpoint_get_server(endpoint) != NULL && launcher_microphone
                ? " and the microphone"
                : "");
    if (!vmc_pulse_endpoint_close(endpoint, &error))
        vmc_launcher_say(
            "could not remove the sound endpoint from the laptop's sound server: %.*s; "
            "remove it with: pactl unload-module %u",
            SHOWN_MAX, error->message, vmc_pulse_endpoint_get_module_index(endpoint));
}

/* ---- ssh's stdin and stderr ---- */

static void
write_stdin(Launcher *launcher, guint16 allocated_port)
{
    const char *cookie =
        launcher->endpoint != NULL ? vmc_pulse_endpoint_get_cookie_hex(launcher->endpoint) : NULL;
    g_autofree char *text =
        vmc_launcher_stdin_text(launcher->args, launcher->sound, allocated_port, cookie);
    gsize done = 0, length = text != NULL ? strlen(text) : 0;
    while (done < length) {
        ssize_t n = write(launcher->stdin_fd, text + done, length - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* ssh is gone: its exit tells the rest */
        done += (gsize)n;
    }
    if (text != NULL)
        memset(text, 0, length); /* the cookie */
    close(launcher->stdin_fd);
    launcher->stdin_fd = -1;
    vmc_launcher_say(WITH_DOTS("opening %s"), launcher->args->vm);
}

static void
on_line(const char *line, gsize length, gpointer data)
{
    Launcher *launcher = data;
    guint16 port;
    if (launcher->stdin_fd >= 0 &&
        vmc_launcher_wants_allocated_port(launcher->args, launcher->sound) &&
        vmc_launcher_parse_allocated_port(line, length,
                                          vmc_pulse_endpoint_get_port(launcher->endpoint), &port)) {
        if (launcher->args->verbose)
            vmc_launcher_say("the host's end of the sound tunnel: port %u", port);
        write_stdin(launcher, port);
        return;
    }
    /* the host's words, made safe for this terminal (UTF-8 kept): written whole */
    g_autofree char *text = vmc_launcher_terminal_text(line, length);
    fputs(text, stderr);
    fputc('\n', stderr);
}

/* Read what is there; FALSE at the end of the stream. */
static gboolean
read_stderr(Launcher *launcher)
{
    char chunk[READ_CHUNK];
    for (;;) {
        ssize_t n = read(launcher->stderr_fd, chunk, sizeof chunk);
        if (n > 0) {
            vmc_launcher_lines_feed(&launcher->lines, chunk, (gsize)n, on_line, launcher);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return TRUE;
        vmc_launcher_lines_flush(&launcher->lines, on_line, launcher);
        return FALSE;
    }
}

static void
stop_stderr(Launcher *launcher)
{
    if (launcher->stderr_source != 0)
        g_source_remove(launcher->stderr_source);
    launcher->stderr_source = 0;
    if (launcher->stderr_fd >= 0) {
        vmc_launcher_lines_flush(&launcher->lines, on_line, launcher);
        close(launcher->stderr_fd);
    }
    launcher->stderr_fd = -1;
}

static gboolean
on_stderr(gint fd, GIOCondition condition, gpointer data)
{
    Launcher *launcher = data;
    if (read_stderr(launcher))
        return G_SOURCE_CONTINUE;
    launcher->stderr_source = 0;
    stop_stderr(launcher);
    return G_SOURCE_REMOVE;
}

/* ---- ssh's end and signals ---- */

static void
on_child(GPid pid, gint status, gpointer data)
{
    Launcher *launcher = data;
    launcher->exited = TRUE;
    launcher->wait_status = status;
    g_spawn_close_pid(pid);
    /* what ssh wrote last; a ProxyCommand's child may hold the pipe: no waiting */
    if (launcher->stderr_fd >= 0)
        read_stderr(launcher);
    stop_stderr(launcher);
    g_main_loop_quit(launcher->loop);
}

static gboolean
on_kill_timer(gpointer data)
{
    Launcher *launcher = data;
    launcher->kill_timer = 0;
    if (!launcher->exited) {
        vmc_launcher_say("ssh did not end within %d s: killing it", KILL_DELAY_MS / 1000);
        kill(launcher->pid, SIGKILL);
    }
    return G_SOURCE_REMOVE;
}

typedef struct {
    Launcher *launcher;
    int signo;
} SignalSlot;

static gboolean
on_signal(gpointer data)
{
    Launcher *launcher = ((SignalSlot *)data)->launcher;
    int signo = ((SignalSlot *)data)->signo;
    if (launcher->signal == 0)
        launcher->signal = signo;
    if (launcher->pid > 0 && !launcher->exited) {
        kill(launcher->pid, signo);
        if (launcher->kill_timer == 0)
            launcher->kill_timer = g_timeout_add(KILL_DELAY_MS, on_kill_timer, launcher);
    }
    return G_SOURCE_CONTINUE;
}

/* In the child before exec: the default dispositions a person's ssh expects
 * (a shell may have started us with SIGINT ignored; SIGPIPE is ignored here). */
static void
child_setup(gpointer data)
{
    static const int reset[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE};
    for (gsize i = 0; i < G_N_ELEMENTS(reset); i++)
        signal(reset[i], SIG_DFL);
}

static gboolean
spawn_ssh(Launcher *launcher, char **argv, gboolean stdin_pipe, GError **error)
{
    g_auto(GStrv) parent = g_get_environ();
    g_auto(GStrv) env = vmc_launcher_ssh_env((const char *const *)parent);
    GSpawnFlags flags = G_SPAWN_DO_NOT_REAP_CHILD | (stdin_pipe ? 0 : G_SPAWN_STDIN_FROM_DEV_NULL);
    if (!g_spawn_async_with_pipes(NULL, argv, env, flags, child_setup, NULL, &launcher->pid,
                                  stdin_pipe ? &launcher->stdin_fd : NULL, NULL,
                                  &launcher->stderr_fd, error))
        return FALSE;
    g_unix_set_fd_nonblocking(launcher->stderr_fd, TRUE, NULL);
    launcher->stderr_source =
        g_unix_fd_add(launcher->stderr_fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stderr, launcher);
    g_child_watch_add(launcher->pid, on_child, launcher);
    return TRUE;
}

/* The exit status, with a word about it where ours or a hint helps. */
static int
report_end(const Launcher *launcher)
{
    if (launcher->signal != 0) {
        vmc_launcher_say("stopped by signal %d (%s)%s%s", launcher->signal,
                         g_strsignal(launcher->signal),
                         launcher->pid > 0 ? ": ssh has ended" : " before ssh started",
                         launcher->endpoint != NULL ? ", the sound endpoint is removed" : "");
        return 128 + launcher->signal;
    }
    gboolean dynamic = vmc_launcher_wants_allocated_port(launcher->args, launcher->sound);
    if (WIFSIGNALED(launcher->wait_status)) {
        vmc_launcher_say("ssh failed: killed by signal %d (%s)", WTERMSIG(launcher->wait_status),
                         g_strsignal(WTERMSIG(launcher->wait_status)));
        return 255;
    }
    int status = WEXITSTATUS(launcher->wait_status);
    const char *hint = vmc_launcher_exit_hint(status, launcher->sound, dynamic);
    if (status == 255)
        vmc_launcher_say("ssh failed (exit status 255)%s%s", hint != NULL ? ": " : "",
                         hint ? hint : "");
    else if (status != 0)
        vmc_launcher_say("the host's gateway ended with exit status %d%s%s", status,
                         hint != NULL ? ": " : "", hint ? hint : "");
    return status;
}

#define N_SIGNALS 3

static void
install_signals(Launcher *launcher, SignalSlot slots[N_SIGNALS])
{
    static const int signals[N_SIGNALS] = {SIGINT, SIGTERM, SIGHUP};
    for (gsize i = 0; i < N_SIGNALS; i++) {
        slots[i] = (SignalSlot){launcher, signals[i]};
        g_unix_signal_add(signals[i], on_signal, &slots[i]);
    }
}

static void
show_argv(char **argv)
{
    g_autoptr(GString) line = g_string_new("running:");
    for (gsize i = 0; argv[i] != NULL; i++) {
        g_autofree char *word = vmc_strdup_printf_escaped(" %.*s", SHOWN_MAX, argv[i]);
        g_string_append(line, word);
    }
    vmc_launcher_say("%.*s", (int)line->len, line->str);
}

/* Run ssh for args until it ends; the endpoint (if any) stays open meanwhile. */
static int
run_ssh(Launcher *launcher)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *ssh = g_find_program_in_path("ssh");
    if (ssh == NULL) {
        vmc_launcher_say(
            "ssh failed: there is no ssh in PATH; install OpenSSH's client (openssh-client)");
        return 255;
    }
    guint16 local_port =
        launcher->endpoint != NULL ? vmc_pulse_endpoint_get_port(launcher->endpoint) : 0;
    g_auto(GStrv) argv = vmc_launcher_ssh_argv(ssh, launcher->args, launcher->sound, local_port);
    if (launcher->args->verbose)
        show_argv(argv);
    gboolean stdin_pipe = vmc_launcher_wants_stdin(launcher->args, launcher->sound);
    if (!spawn_ssh(launcher, argv, stdin_pipe, &error)) {
        vmc_launcher_say("ssh failed: cannot run %s: %.*s", ssh, SHOWN_MAX, error->message);
        return 255;
    }
    if (launcher->args->action == VMC_LAUNCHER_ACTION_OPEN) {
        if (stdin_pipe && !vmc_launcher_wants_allocated_port(launcher->args, launcher->sound))
            write_stdin(launcher, 0);
        else if (!stdin_pipe)
            vmc_launcher_say(WITH_DOTS("opening %s"), launcher->args->vm);
    }
    g_main_loop_run(launcher->loop);
    if (launcher->stdin_fd >= 0)
        close(launcher->stdin_fd);
    launcher->stdin_fd = -1;
    if (launcher->kill_timer != 0)
        g_source_remove(launcher->kill_timer);
    launcher->kill_timer = 0;
    return report_end(launcher);
}

static gboolean
flush_pending_signals(Launcher *launcher)
{
    while (g_main_context_iteration(NULL, FALSE))
        ;
    return launcher->signal == 0;
}

static int
run(const VmcLauncherArgs *args)
{
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    Launcher launcher = {.args = args, .loop = loop, .stdin_fd = -1, .stderr_fd = -1};
    SignalSlot slots[N_SIGNALS];
    install_signals(&launcher, slots);

    const char *host = args->destination;
    if (args->action == VMC_LAUNCHER_ACTION_OPEN) {
        const char *display = g_getenv("DISPLAY");
        if (display == NULL || display[0] == '\0') {
            vmc_launcher_say(
                "no X display here (DISPLAY is not set): the console window needs one; run "
                "vmconsole in your graphical session");
            return 7;
        }
        vmc_launcher_say(WITH_DOTS("connecting to %.*s"), SHOWN_MAX, host);
    }
    g_autoptr(VmcPulseEndpoint) endpoint = NULL;
    if (args->action == VMC_LAUNCHER_ACTION_OPEN)
        launcher.sound = open_sound(args, &endpoint);
    launcher.endpoint = endpoint;
    int status;
    if (!flush_pending_signals(&launcher))
        status = report_end(&launcher);
    else
        status = run_ssh(&launcher);
    close_sound(endpoint, args->microphone);
    return status;
}

/* Native mode: the viewer here, Spice over one libssh connection. */
static int
run_native(const VmcLauncherArgs *args, const char *viewer)
{
    const char *display = g_getenv("DISPLAY");
    const char *wayland = g_getenv("WAYLAND_DISPLAY");
    if ((display == NULL || display[0] == '\0') && (wayland == NULL || wayland[0] == '\0')) {
        vmc_launcher_say("no display here (neither DISPLAY nor WAYLAND_DISPLAY is set): the "
                         "console window needs one; run vmconsole in your graphical session");
        return 7;
    }
    if (viewer == NULL) {
        vmc_launcher_say("--native needs remote-viewer on this laptop (Debian: apt install "
                         "virt-viewer); or use --x11");
        return VMC_NATIVE_EXIT_LOCAL;
    }
    return vmc_native_run(args, viewer);
}

int
main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    signal(SIGPIPE, SIG_IGN); /* a write to ssh's stdin after it is gone: EPIPE */
    g_autoptr(GError) error = NULL;
    VmcLauncherArgs args = {0};
    if (!vmc_launcher_parse_args(argc, argv, &args, &error)) {
        vmc_print_escaped(stderr, "vmconsole: %s\nTry 'vmconsole --help'.\n", error->message);
        return VMC_LAUNCHER_EXIT_USAGE;
    }
    int status = 0;
    if (args.action == VMC_LAUNCHER_ACTION_HELP)
        print_usage(stdout);
    else if (args.action == VMC_LAUNCHER_ACTION_VERSION)
        vmc_print_escaped(stdout, "vmconsole %s\n", VMC_VERSION);
    else if (args.action == VMC_LAUNCHER_ACTION_OPEN) {
        g_autofree char *viewer = g_find_program_in_path("remote-viewer");
        if (vmc_launcher_choose_mode(&args, viewer != NULL) == VMC_LAUNCHER_MODE_NATIVE)
            status = run_native(&args, viewer);
        else
            status = run(&args);
    } else
        status = run(&args);
    vmc_launcher_args_clear(&args);
    return status;
}
