/* check-sshd.c — `check`'s sshd part: the effective sshd config for the
 * gateway account (`sshd -T -C user=...`), and the key files it names. */
#include "admin-priv.h"

#include <gio/gio.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SSHD_PATH "/usr/sbin/sshd"

/* sshd -T for the account; NULL (with a finding) when it cannot run. */
static char *
run_sshd_t(VmcAdminCheck *check)
{
    g_autofree char *connection = g_strdup_printf("user=%s,host=localhost,addr=127.0.0.1",
                                                  vmc_admin_check_account_name(check));
    const char *argv[] = {SSHD_PATH, "-T", "-C", connection, NULL, NULL, NULL};
    if (check->args->sshd_config != NULL) {
        argv[4] = "-f";
        argv[5] = check->args->sshd_config;
    }
    const char *const env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL};
    g_autoptr(GSubprocessLauncher) launcher =
        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
    g_subprocess_launcher_set_environ(launcher, (char **)env);
    g_autoptr(GError) error = NULL;
    g_autoptr(GSubprocess) child = g_subprocess_launcher_spawnv(launcher, argv, &error);
    g_autofree char *out = NULL, *err = NULL;
    if (child != NULL && g_subprocess_communicate_utf8(child, NULL, NULL, &out, &err, &error) &&
        g_subprocess_get_if_exited(child) && g_subprocess_get_exit_status(child) == 0)
        return g_steal_pointer(&out);
    g_autofree char *why = error != NULL ? g_strdup(error->message)
                                         : g_strdup_printf("it says: %.300s", err ? err : "");
    vmc_admin_finding_add(check->findings, "sshd", SSHD_PATH " -T",
                          "run check as root; fix sshd_config until `sshd -T` works",
                          "cannot read the effective sshd config for %s: %s",
                          vmc_admin_check_account_name(check), g_strchomp(why));
    return NULL;
}

/* What is wrong with a key line's --identity: unknown, or one that opens
 * every VM (uid 0, the gateway account). */
static char *
identity_problem(const char *name, gpointer user_data)
{
    const VmcAdminCheck *check = user_data;
    gint64 uid = vmc_nss_uid_of(name);
    if (uid < 0)
        return g_strdup_printf("--identity %s is not a known user", name);
    VmcIdentityCandidate candidate = {
        .name = name,
        .uid = uid,
        .account = check->config->account,
        .account_uid = check->account != NULL ? (gint64)check->account->uid : -1,
        .named = TRUE,
    };
    return vmc_console_identity_refusal(&candidate);
}

/* One key file (or principals file): safe from everyone but root, and
 * every line locked down. */
static void
check_key_file(VmcAdminCheck *check, const char *path, gboolean principals)
{
    g_autofree char *unsafe = vmc_admin_path_unsafe(path);
    if (unsafe != NULL)
        vmc_admin_finding_add(check->findings, "keys", path,
                              "make the key file and every directory above it root-owned and "
                              "not group/world-writable (chown root; chmod go-w), e.g. with "
                              "AuthorizedKeysFile /etc/vmconsole/authorized_keys/%u",
                              "the account's keys could be changed by others than root: %s",
                              unsafe);
    /* it may be in the account's home: never through a symlink or from a FIFO, bounded */
    const VmcFileRules rules = {.owner = VMC_FILE_OWNER_ANY,
                                .max_size = VMC_AUTHKEYS_FILE_MAX,
                                .remedy = VMC_RUN_FILE_REMEDY};
    g_autoptr(GError) error = NULL;
    gsize length = 0;
    g_autofree char *text = vmc_file_read(AT_FDCWD, path, path, &rules, &length, &error);
    if (text == NULL) {
        vmc_admin_finding_add(check->findings, "keys", path, "make it a regular file root can read",
                              "%s", error->message);
        return;
    }
    if (principals)
        vmc_admin_principals_review(text, length, path, identity_problem, check, check->findings);
    else
        vmc_admin_keys_review(text, length, path, identity_problem, check, check->findings);
    vmc_admin_check_ok(check, "keys", "%s reviewed", path);
}

static void
check_key_files(VmcAdminCheck *check, const char *sshd_out)
{
    g_auto(GStrv) patterns =
        vmc_admin_sshd_values(sshd_out, strlen(sshd_out), "authorizedkeysfile");
    const char *account = vmc_admin_check_account_name(check);
    g_autoptr(VmcNssUser) user = NULL;
    vmc_nss_get_user_by_name(account, &user);
    const char *home = user != NULL ? user->home : "/nonexistent";
    /* without the account only paths without %h and %U can be found */
    guint32 uid = check->account != NULL ? check->account->uid : G_MAXUINT32;
    guint found = 0;
    for (guint i = 0; patterns[i] != NULL; i++) {
        if (strcmp(patterns[i], "none") == 0)
            continue;
        g_autofree char *path = vmc_admin_sshd_expand_keys_path(patterns[i], home, account, uid);
        struct stat st;
        if (path == NULL || lstat(path, &st) != 0)
            continue; /* sshd tries the next one */
        found++;
        check_key_file(check, path, FALSE);
    }
    if (found == 0)
        vmc_admin_finding_add(check->findings, "keys", "AuthorizedKeysFile",
                              "add the people's keys with `vmconsole-admin authorize --append`",
                              "no authorized_keys file of %s exists: nobody can log in", account);
}

/* The first value of keyword in sshd -T output, unless it is "none". */
static char *
sshd_setting(const char *sshd_out, const char *keyword)
{
    g_auto(GStrv) values = vmc_admin_sshd_values(sshd_out, strlen(sshd_out), keyword);
    return values[0] != NULL && strcmp(values[0], "none") != 0 ? g_strdup(values[0]) : NULL;
}

/* OpenSSH certificates: the CA keys sshd trusts and the principals file
 * whose lines carry the gateway as forced command. Without certificates
 * (no TrustedUserCAKeys) nothing is said. */
static void
check_certificates(VmcAdminCheck *check, const char *sshd_out)
{
    g_autofree char *cas = sshd_setting(sshd_out, "trustedusercakeys");
    if (cas == NULL)
        return;
    const char *account = vmc_admin_check_account_name(check);
    g_autofree char *unsafe = vmc_admin_path_unsafe(cas);
    if (unsafe != NULL)
        vmc_admin_finding_add(check->findings, "keys", cas,
                              "make it and every directory above it root-owned and not "
                              "group/world-writable",
                              "the CA keys sshd trusts could be changed by others than root: %s",
                              unsafe);
    g_autofree char *command = sshd_setting(sshd_out, "authorizedprincipalscommand");
    g_autofree char *file = sshd_setting(sshd_out, "authorizedprincipalsfile");
    if (command != NULL) {
        vmc_admin_finding_add(check->findings, "keys", "AuthorizedPrincipalsCommand",
                              "use an AuthorizedPrincipalsFile with lines from `vmconsole-admin "
                              "authorize IDENTITY --principal NAME`",
                              "check cannot review the principals %s prints", command);
        return;
    }
    if (file == NULL) {
        vmc_admin_finding_add(check->findings, "keys", "TrustedUserCAKeys",
                              "add AuthorizedPrincipalsFile to the account's Match block, with "
                              "lines from `vmconsole-admin authorize IDENTITY --principal NAME`",
                              "sshd trusts certificates signed by the keys in %s but has no "
                              "AuthorizedPrincipalsFile: a certificate naming %s as principal "
                              "logs in without the gateway as forced command",
                              cas, account);
        return;
    }
    g_autoptr(VmcNssUser) user = NULL;
    vmc_nss_get_user_by_name(account, &user);
    guint32 uid = check->account != NULL ? check->account->uid : G_MAXUINT32;
    g_autofree char *path = vmc_admin_sshd_expand_keys_path(
        file, user != NULL ? user->home : "/nonexistent", account, uid);
    if (path == NULL)
        return;
    check_key_file(check, path, TRUE);
    vmc_admin_check_ok(check, "keys", "certificates: CA keys %s, principals %s", cas, path);
}

void
vmc_admin_check_sshd(VmcAdminCheck *check)
{
    g_autofree char *out = run_sshd_t(check);
    if (out == NULL)
        return;
    const char *account = vmc_admin_check_account_name(check);
    g_autofree char *where = g_strdup_printf(
        "sshd -T -C user=%s%s%s", account, check->args->sshd_config != NULL ? " -f " : "",
        check->args->sshd_config != NULL ? check->args->sshd_config : "");
    guint before = check->findings->len;
    vmc_admin_sshd_review(out, strlen(out), where, check->findings);
    if (check->findings->len == before)
        vmc_admin_check_ok(check, "sshd", "the effective config for %s is locked down", account);
    vmc_admin_check_flush(check);
    check_key_files(check, out);
    check_certificates(check, out);
}
