/* authorize.c — `vmconsole-admin authorize IDENTITY KEYFILE`: the locked-down
 * authorized_keys line for a person's public key, printed or appended to a
 * key file (never twice the same key). */
#include "admin-priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vmc-build-config.h"

#define PUBKEY_FILE_MAX (64 * 1024) /* bytes of a .pub file read */

static gboolean
io_error(GError **error, const char *what, const char *path, int err)
{
    g_set_error(error, VMC_ADMIN_ERROR, VMC_ADMIN_ERROR_IO, "cannot %s %s: %s", what, path,
                g_strerror(err));
    return FALSE;
}

/* The one key line of a public key file. */
static VmcAuthKey *
read_public_key(const char *path, GError **error)
{
    /* the admin's path (a symlink is fine); a regular file, bounded */
    const VmcFileRules rules = {.owner = VMC_FILE_OWNER_ANY,
                                .max_size = PUBKEY_FILE_MAX,
                                .flags = VMC_FILE_FOLLOW | VMC_FILE_ANY_LINKS};
    g_autoptr(GError) read_error = NULL;
    gsize length = 0;
    g_autofree char *text = vmc_file_read(AT_FDCWD, path, path, &rules, &length, &read_error);
    if (text == NULL && errno != EFBIG) {
        g_propagate_error(error, g_steal_pointer(&read_error));
        return NULL;
    }
    if (text == NULL || strlen(text) != length) {
        g_set_error(error, VMC_ADMIN_ERROR, VMC_ADMIN_ERROR_INVALID,
                    "%s is not a public key file (binary, or over %d bytes)", path,
                    PUBKEY_FILE_MAX);
        return NULL;
    }
    if (strstr(text, "PRIVATE KEY") != NULL) {
        g_set_error(error, VMC_ADMIN_ERROR, VMC_ADMIN_ERROR_INVALID,
                    "%s is a private key: give the person's public key (the .pub file)", path);
        return NULL;
    }
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    const char *found = NULL;
    for (guint i = 0; lines[i] != NULL; i++) {
        g_strchomp(lines[i]);
        if (vmc_authkey_line_is_blank(lines[i]))
            continue;
        if (found != NULL) {
            g_set_error(error, VMC_ADMIN_ERROR, VMC_ADMIN_ERROR_INVALID,
                        "%s holds more than one key: give one key per authorize", path);
            return NULL;
        }
        found = lines[i];
    }
    if (found == NULL) {
        g_set_error(error, VMC_ADMIN_ERROR, VMC_ADMIN_ERROR_INVALID, "%s holds no key", path);
        return NULL;
    }
    g_autoptr(GError) local = NULL;
    VmcAuthKey *key = vmc_authkey_parse(found, &local);
    if (key == NULL)
        g_set_error(error, VMC_ADMIN_ERROR, VMC_ADMIN_ERROR_INVALID,
                    "%s: %s (give the person's .pub file)", path, local->message);
    return key;
}

/* Open the key file to append (created 0644 if missing: sshd reads it as
 * the account), never through a symlink, and only a regular file. */
static int
open_key_file(const char *path, GError **error)
{
    const VmcFileRules rules = {.owner = VMC_FILE_OWNER_ANY,
                                .max_size = -1,
                                .flags = VMC_FILE_ANY_LINKS,
                                .create_mode = 0644,
                                .remedy = "give the key file's real path"};
    return vmc_file_open(AT_FDCWD, path, path, O_RDWR | O_APPEND | O_CREAT, &rules, error);
}

static gboolean
write_all(int fd, const char *data, gsize length, const char *path, GError **error)
{
    ssize_t n;
    do
        n = write(fd, data, length);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return io_error(error, "append to", path, errno);
    if ((gsize)n != length) {
        g_set_error(error, VMC_ADMIN_ERROR, VMC_ADMIN_ERROR_IO,
                    "short write to %s: check the file's end by hand", path);
        return FALSE;
    }
    if (fsync(fd) != 0)
        return io_error(error, "sync", path, errno);
    return TRUE;
}

/* Append line to path unless the key (or, with no key, the principal) is
 * there already. One write(2). */
static gboolean
append_line(const char *path, const char *line, const VmcAuthKey *key, const char *principal,
            GError **error)
{
    int fd = open_key_file(path, error);
    if (fd < 0)
        return FALSE;
    gsize length = 0;
    g_autofree char *text = vmc_file_read_fd(fd, path, VMC_AUTHKEYS_FILE_MAX, &length, error);
    gboolean ok = text != NULL;
    guint dup = !ok                 ? 0
                : principal != NULL ? vmc_admin_principals_find(text, length, principal)
                                    : vmc_admin_keys_find_blob(text, length, key->blob);
    if (dup > 0) {
        g_set_error(error, VMC_ADMIN_ERROR, VMC_ADMIN_ERROR_DUPLICATE,
                    "%s already holds this %s (line %u); remove that line first to replace it",
                    path, principal != NULL ? "principal" : "key", dup);
        ok = FALSE;
    }
    if (ok) {
        gboolean newline_first = length > 0 && text[length - 1] != '\n';
        g_autofree char *data = g_strdup_printf("%s%s\n", newline_first ? "\n" : "", line);
        ok = write_all(fd, data, strlen(data), path, error);
    }
    close(fd);
    return ok;
}

/* The spec from the command line; FALSE after complaining. */
static gboolean
build_spec(const VmcAdminArgs *args, VmcAuthorizeSpec *spec, char **ret_expiry)
{
    g_autoptr(GError) error = NULL;
    guint64 port = 0;
    if (args->audio_port != NULL &&
        !g_ascii_string_to_unsigned(args->audio_port, 10, 1, 65535, &port, NULL)) {
        vmc_admin_complain("--audio-port '%s' is not a port number from 1 to 65535",
                           args->audio_port);
        return FALSE;
    }
    if ((args->from != NULL && !vmc_authkey_check_from(args->from, &error)) ||
        (args->expires != NULL && !vmc_authkey_parse_expiry(args->expires, ret_expiry, &error))) {
        vmc_admin_complain("%s", error->message);
        return FALSE;
    }
    spec->gateway_path = VMC_GATEWAY_PATH;
    spec->identity = args->words[1];
    spec->audio = args->audio || args->audio_port != NULL;
    spec->audio_port = (guint)port;
    spec->from = args->from;
    spec->expiry = *ret_expiry;
    return TRUE;
}

/* A date already past still gives a line (sshd refuses it); say so. */
static void
warn_if_past(const char *expiry)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_local();
    g_autofree char *now_text = g_date_time_format(now, "%Y%m%d%H%M%S");
    if (expiry != NULL && strcmp(expiry, now_text) <= 0)
        vmc_admin_complain("warning: --expires %s is already past: sshd will refuse this key",
                           expiry);
}

/* An identity that would open every VM (uid 0, the gateway account) gets
 * no line: FALSE after saying why. */
static gboolean
identity_allowed(const VmcConfig *config, const char *identity)
{
    VmcIdentityCandidate candidate = {
        .name = identity,
        .uid = vmc_nss_uid_of(identity),
        .account = config->account,
        .account_uid = vmc_nss_uid_of(config->account),
        .named = TRUE,
    };
    g_autofree char *refusal = vmc_console_identity_refusal(&candidate);
    if (refusal != NULL)
        vmc_admin_complain("no line for %s: %s; authorize the person's own user name", identity,
                           refusal);
    return refusal == NULL;
}

/* The line to print: printable ASCII, whole; or append it. */
static VmcAdminExit
put_line(const VmcAdminArgs *args, const char *line, const VmcAuthKey *key)
{
    g_autoptr(GError) error = NULL;
    if (args->append == NULL) {
        vmc_print_escaped(stdout, "%.*s\n", VMC_AUTHKEYS_LINE_MAX, line);
        return VMC_ADMIN_EXIT_OK;
    }
    if (!append_line(args->append, line, key, args->principal, &error)) {
        vmc_admin_complain("%s", error->message);
        return VMC_ADMIN_EXIT_ERROR;
    }
    vmc_print_escaped(stdout, "added to %s: %.*s\n", args->append, VMC_AUTHKEYS_LINE_MAX, line);
    return VMC_ADMIN_EXIT_OK;
}

/* An AuthorizedPrincipalsFile line: certificates naming the principal open
 * consoles as the identity (sshd's TrustedUserCAKeys decides which CA). */
static VmcAdminExit
authorize_principal(const VmcAdminArgs *args, const VmcAuthorizeSpec *spec, const char *expiry)
{
    warn_if_past(expiry);
    g_autofree char *line = vmc_authkey_format_principal_line(spec, args->principal);
    return put_line(args, line, NULL);
}

VmcAdminExit
vmc_admin_cmd_authorize(const VmcAdminArgs *args)
{
    if (!vmc_admin_args_only(args, "authorize", VMC_ADMIN_OPT_AUTHORIZE))
        return VMC_ADMIN_EXIT_USAGE;
    if (g_strv_length(args->words) != (args->principal != NULL ? 2u : 3u)) {
        vmc_admin_complain("usage: authorize IDENTITY {KEYFILE | --principal NAME} [--audio] "
                           "[--audio-port PORT] [--from CIDR[,CIDR]] [--expires DATE] "
                           "[--append FILE]");
        return VMC_ADMIN_EXIT_USAGE;
    }
    if (args->principal != NULL && !vmc_authkey_principal_is_valid(args->principal)) {
        vmc_admin_complain("'%s' is not a principal authorize writes: 1 to %d of A-Z a-z 0-9 "
                           "_ @ . + = : -, not starting with -",
                           args->principal, VMC_AUTHKEYS_PRINCIPAL_MAX);
        return VMC_ADMIN_EXIT_USAGE;
    }
    if (!vmc_authkey_identity_is_valid(args->words[1])) {
        vmc_admin_complain("'%s' is not a valid identity: 1 to %d of A-Z a-z 0-9 _ . -, not "
                           "starting with - or .",
                           args->words[1], VMC_AUTHKEYS_IDENTITY_MAX);
        return VMC_ADMIN_EXIT_USAGE;
    }
    g_autoptr(VmcConfig) config = vmc_admin_load_config(args); /* for account = */
    if (config == NULL)
        return VMC_ADMIN_EXIT_ERROR;
    if (!identity_allowed(config, args->words[1]))
        return VMC_ADMIN_EXIT_USAGE;
    VmcAuthorizeSpec spec = {0};
    g_autofree char *expiry = NULL;
    if (!build_spec(args, &spec, &expiry))
        return VMC_ADMIN_EXIT_USAGE;
    g_autoptr(GError) error = NULL;
    if (args->principal != NULL)
        return authorize_principal(args, &spec, expiry);
    g_autoptr(VmcAuthKey) key = read_public_key(args->words[2], &error);
    if (key == NULL) {
        vmc_admin_complain("%s", error->message);
        return VMC_ADMIN_EXIT_ERROR;
    }
    warn_if_past(expiry);
    if (spec.audio && spec.audio_port == 0)
        /* OpenSSH has no narrower form that allows -R 0:… (localhost:0 is refused) */
        vmc_admin_complain("note: this key allows a reverse forward on any loopback port >= 1024 "
                           "for as long as its connection lasts; sshd must close connections "
                           "that run no session (" VMC_SSHD_UNUSED_TIMEOUT_SETTING
                           " for the account, as in sshd_config.vmconsole; check verifies it), "
                           "or use --audio-port PORT for one fixed port");
    g_autofree char *line = vmc_authkey_format_line(&spec, key);
    return put_line(args, line, key);
}
