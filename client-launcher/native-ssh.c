/* native-ssh.c — native mode's SSH connection with libssh: options as
 * OpenSSH's ssh takes them (~/.ssh/config, then the command line), the host
 * key checked against known_hosts, the login by agent or identity files.
 *
 * libssh 0.10 reads ProxyJump as a ProxyCommand "ssh -W '[%h]:%p' JUMP":
 * OpenSSH's ssh makes the hop (its own login to the jump host, its own
 * known_hosts check there) and libssh runs it through the person's shell,
 * as OpenSSH runs a ProxyCommand.
 */
#include "native-ssh-priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libssh/callbacks.h>

#include "vmc-common.h"

#define SHOWN_MAX 300
#define ANSWER_MAX 256 /* the person's answer to the host key question */
#define KNOWN_HOSTS_LINES_MAX 100000

/* The host as known_hosts names it: "host", or "[host]:port" off port 22. */
static char *
known_hosts_name(ssh_session session)
{
    g_autofree char *host = NULL;
    unsigned int port = 22;
    char *value = NULL;
    if (ssh_options_get(session, SSH_OPTIONS_HOST, &value) == SSH_OK) {
        host = g_strdup(value);
        ssh_string_free_char(value);
    }
    ssh_options_get_port(session, &port);
    if (host == NULL)
        return g_strdup("?");
    return port == 22 ? g_steal_pointer(&host) : g_strdup_printf("[%s]:%u", host, port);
}

char *
vmc_native_ssh_describe(ssh_session session)
{
    char *user = NULL;
    g_autofree char *host = known_hosts_name(session);
    if (ssh_options_get(session, SSH_OPTIONS_USER, &user) != SSH_OK)
        return g_steal_pointer(&host);
    char *described = g_strdup_printf("%s@%s", user, host);
    ssh_string_free_char(user);
    return described;
}

/* "FILE:LINE" of the first line of file that names host, or NULL. */
static char *
find_known_hosts_line(const char *file, const char *host)
{
    g_autofree char *text = NULL;
    if (file == NULL || !g_file_get_contents(file, &text, NULL, NULL))
        return NULL;
    g_auto(GStrv) lines = g_strsplit(text, "\n", KNOWN_HOSTS_LINES_MAX);
    for (guint i = 0; lines[i] != NULL; i++) {
        const char *line = g_strchug(lines[i]);
        if (line[0] == '\0' || line[0] == '#' || line[0] == '@')
            continue;
        struct ssh_knownhosts_entry *entry = NULL;
        int rc = ssh_known_hosts_parse_line(host, line, &entry);
        ssh_knownhosts_entry_free(entry);
        if (rc == SSH_OK)
            return g_strdup_printf("%s:%u", file, i + 1);
    }
    return NULL;
}

static char *
session_file_option(ssh_session session, enum ssh_options_e option)
{
    char *value = NULL;
    if (ssh_options_get(session, option, &value) != SSH_OK)
        return NULL;
    char *copy = g_strdup(value);
    ssh_string_free_char(value);
    return copy;
}

static void
refuse_changed(ssh_session session, const char *host, const char *fingerprint, const char *type)
{
    g_autofree char *user_file = session_file_option(session, SSH_OPTIONS_KNOWNHOSTS);
    g_autofree char *global_file = session_file_option(session, SSH_OPTIONS_GLOBAL_KNOWNHOSTS);
    g_autofree char *where = find_known_hosts_line(user_file, host);
    if (where == NULL)
        where = find_known_hosts_line(global_file, host);
    vmc_launcher_say("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
    vmc_launcher_say("WARNING: THE HOST KEY OF %s HAS CHANGED!", host);
    vmc_launcher_say("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
    vmc_launcher_say("Someone could be in the middle of the connection (an attack), or the host's "
                     "key was replaced.");
    vmc_launcher_say("The host sent the %s key %s.", type, fingerprint);
    vmc_launcher_say("The key known for it is in %s.",
                     where != NULL ? where : "known_hosts (under another key type)");
    vmc_launcher_say("Refused: not connecting. If the host's key really changed, ask its admin "
                     "for the new fingerprint, then remove the old line (ssh-keygen -R '%s').",
                     host);
}

/* Read one line from the terminal fd (without '\n'); FALSE at EOF or error. */
static gboolean
read_answer(int fd, char answer[ANSWER_MAX])
{
    gsize used = 0;
    for (;;) {
        char c;
        ssize_t n = read(fd, &c, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return FALSE;
        if (c == '\n')
            break;
        if (used + 1 < ANSWER_MAX)
            answer[used++] = c;
    }
    answer[used] = '\0';
    return TRUE;
}

/* Ask on the terminal whether to trust an unknown host key; TRUE for "yes"
 * or the fingerprint itself. Without a terminal: FALSE, said. */
static gboolean
ask_unknown(const char *host, const char *fingerprint, const char *type)
{
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        vmc_launcher_say("the host key of %s is not known (%s key %s) and there is no terminal "
                         "to ask on: refused. Check the fingerprint with the host's admin, then "
                         "add the key to ~/.ssh/known_hosts (e.g. by logging in once with ssh).",
                         host, type, fingerprint);
        return FALSE;
    }
    FILE *tty = fdopen(dup(fd), "w");
    if (tty == NULL) {
        close(fd);
        return FALSE;
    }
    vmc_print_escaped(tty,
                      "The authenticity of host '%s' can't be established.\n"
                      "%s key fingerprint is %s.\n"
                      "This key is not known by any other names.\n"
                      "Are you sure you want to continue connecting (yes/no/[fingerprint])? ",
                      host, type, fingerprint);
    fflush(tty);
    char answer[ANSWER_MAX];
    gboolean yes = FALSE;
    for (;;) {
        if (!read_answer(fd, answer))
            break;
        g_strstrip(answer);
        if (g_ascii_strcasecmp(answer, "yes") == 0 || strcmp(answer, fingerprint) == 0) {
            yes = TRUE;
            break;
        }
        if (g_ascii_strcasecmp(answer, "no") == 0)
            break;
        vmc_print_escaped(tty, "Please type 'yes', 'no' or the fingerprint: ");
        fflush(tty);
    }
    fclose(tty);
    close(fd);
    if (!yes)
        vmc_launcher_say("host key of %s not accepted: not connecting", host);
    return yes;
}

static gboolean
verify_host(ssh_session session)
{
    g_autoptr(VmcSshKey) key = NULL;
    unsigned char *hash = NULL;
    size_t hash_length = 0;
    if (ssh_get_server_publickey(session, &key) != SSH_OK ||
        ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hash_length) != 0) {
        vmc_launcher_say("ssh failed: no host key from the host: %.*s", SHOWN_MAX,
                         ssh_get_error(session));
        return FALSE;
    }
    char *fingerprint_c = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hash_length);
    ssh_clean_pubkey_hash(&hash);
    g_autofree char *fingerprint = g_strdup(fingerprint_c != NULL ? fingerprint_c : "?");
    ssh_string_free_char(fingerprint_c);
    const char *type = ssh_key_type_to_char(ssh_key_type(key));
    g_autofree char *host = known_hosts_name(session);

    switch (ssh_session_is_known_server(session)) {
    case SSH_KNOWN_HOSTS_OK:
        return TRUE;
    case SSH_KNOWN_HOSTS_CHANGED:
    case SSH_KNOWN_HOSTS_OTHER: /* known with another type: as OpenSSH, no silent switch */
        refuse_changed(session, host, fingerprint, type != NULL ? type : "?");
        return FALSE;
    case SSH_KNOWN_HOSTS_NOT_FOUND:
    case SSH_KNOWN_HOSTS_UNKNOWN:
        if (!ask_unknown(host, fingerprint, type != NULL ? type : "?"))
            return FALSE;
        if (ssh_session_update_known_hosts(session) != SSH_OK)
            vmc_launcher_say("could not add %s to known_hosts: %.*s (connecting anyway)", host,
                             SHOWN_MAX, ssh_get_error(session));
        else
            vmc_launcher_say("added %s (%s) to the known hosts", host, fingerprint);
        return TRUE;
    case SSH_KNOWN_HOSTS_ERROR:
    default:
        vmc_launcher_say("ssh failed: cannot check the host key of %s: %.*s", host, SHOWN_MAX,
                         ssh_get_error(session));
        return FALSE;
    }
}

/* A key's passphrase, asked on the terminal (libssh's ssh_getpass reads
 * /dev/tty); none without one. */
static int
ask_passphrase(const char *prompt, char *buffer, size_t length, int echo, int verify, void *data)
{
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    close(fd);
    return ssh_getpass(prompt, buffer, length, echo, verify);
}

static struct ssh_callbacks_struct session_callbacks = {
    .auth_function = ask_passphrase,
};

static gboolean
authenticate(ssh_session session)
{
    int rc = ssh_userauth_publickey_auto(session, NULL, NULL);
    if (rc == SSH_AUTH_SUCCESS)
        return TRUE;
    g_autofree char *who = vmc_native_ssh_describe(session);
    if (rc == SSH_AUTH_ERROR)
        vmc_launcher_say("ssh failed: login to %s: %.*s", who, SHOWN_MAX, ssh_get_error(session));
    else
        vmc_launcher_say("ssh failed: %s refused every key (the agent's and the identity files; "
                         "-i KEY names another)",
                         who);
    return FALSE;
}

static void
on_log(int priority, const char *function, const char *buffer, void *data)
{
    vmc_launcher_say("libssh: %.*s", SHOWN_MAX, buffer);
}

static gboolean
set_options(ssh_session session, const VmcLauncherArgs *args)
{
    /* Compression on by default, before the config (whose "Compression no"
     * then wins): spice-server sends a client on a Unix socket — the
     * gateway's connection to the VM's socket — every image as a raw bitmap
     * (no QUIC/GLZ/LZ; spice 0.15 dcc-send.cpp), so uncompressed native mode
     * would put more bytes on the wire than ssh -X (README, the bench). */
    if (ssh_options_set(session, SSH_OPTIONS_HOST, args->destination) != SSH_OK ||
        ssh_options_set(session, SSH_OPTIONS_COMPRESSION, "yes") != SSH_OK ||
        ssh_options_parse_config(session, NULL) != SSH_OK) {
        vmc_launcher_say("ssh failed: %.*s", SHOWN_MAX, ssh_get_error(session));
        return FALSE;
    }
    /* the command line wins over the config, as with ssh (libssh's parser
     * sets Port whatever was set before it) */
    unsigned int port = args->ssh_port;
    if (port != 0 && ssh_options_set(session, SSH_OPTIONS_PORT, &port) != SSH_OK)
        return FALSE;
    if (args->identity_file != NULL &&
        ssh_options_set(session, SSH_OPTIONS_IDENTITY, args->identity_file) != SSH_OK)
        return FALSE;
    if (args->compress && ssh_options_set(session, SSH_OPTIONS_COMPRESSION, "yes") != SSH_OK)
        return FALSE;
    return TRUE;
}

ssh_session
vmc_native_ssh_open(const VmcLauncherArgs *args)
{
    if (args->verbose) {
        ssh_set_log_callback(on_log);
        ssh_set_log_level(SSH_LOG_PROTOCOL);
    }
    g_autoptr(VmcSshSession) session = ssh_new();
    if (session == NULL || !set_options(session, args))
        return NULL;
    ssh_callbacks_init(&session_callbacks);
    ssh_set_callbacks(session, &session_callbacks);
    g_autofree char *host = known_hosts_name(session);
    vmc_launcher_say(g_get_charset(NULL) ? "connecting to %s\u2026" : "connecting to %s...", host);
    if (ssh_connect(session) != SSH_OK) {
        vmc_launcher_say("ssh failed: cannot connect to %s: %.*s", host, SHOWN_MAX,
                         ssh_get_error(session));
        return NULL;
    }
    if (!verify_host(session) || !authenticate(session)) {
        ssh_disconnect(session);
        return NULL;
    }
    g_autofree char *who = vmc_native_ssh_describe(session);
    vmc_launcher_say("authenticated as %s", who);
    return g_steal_pointer(&session);
}
