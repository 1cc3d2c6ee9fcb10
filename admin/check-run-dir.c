/* check-run-dir.c — `check`'s run dir: the account's own directory, the
 * files the gateway keeps in it (console locks, takeover notes, session
 * slots) each a private file of the account, and the session dirs that
 * killed gateways left behind: removed here, the way the next open removes
 * them (vmc_console_session_dirs_sweep: only dirs whose gateway is gone), and said.
 * Removing them is safe for root too: nothing is followed, only the
 * account's entries go. */
#include "admin-priv.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The run dir itself; FALSE when its files cannot be checked. /run is
 * emptied at each boot: the tmpfiles.d entry makes it again where systemd
 * runs. *ret_owner: whose files the gateway's are (the account's; without
 * the account, the run dir's owner). */
static gboolean
check_dir(VmcAdminCheck *check, const char *run_dir, uid_t *ret_owner)
{
    struct stat st;
    const char *account = vmc_admin_check_account_name(check);
    g_autofree char *make = g_strdup_printf("create it: systemd-tmpfiles --create vmconsole.conf "
                                            "(the installed tmpfiles.d entry, also at each boot); "
                                            "without systemd, at each boot: install -d -m 0700 "
                                            "-o %s -g %s %s",
                                            account, account, run_dir);
    if (lstat(run_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        vmc_admin_finding_add(check->findings, "run-dir", run_dir, make,
                              "the run dir is missing (or not a directory): every open fails "
                              "(exit 1, naming it)");
        return FALSE;
    }
    if (check->account != NULL && st.st_uid != check->account->uid) {
        vmc_admin_finding_add(check->findings, "run-dir", run_dir, make,
                              "the run dir belongs to uid %u, not to %s: the gateway cannot "
                              "keep its locks there",
                              (guint)st.st_uid, account);
        return FALSE;
    }
    if ((st.st_mode & 077) != 0)
        vmc_admin_finding_add(check->findings, "run-dir", run_dir,
                              "chmod 0700 it (it holds the sessions' X and sound cookies)",
                              "others than %s can get into the run dir (mode %04o)", account,
                              (guint)(st.st_mode & 07777));
    *ret_owner = check->account != NULL ? check->account->uid : st.st_uid;
    return TRUE;
}

/* A finding on path whose todo is to remove it: at once (a gateway file:
 * the gateway makes its files anew) or after a look (a dir). */
static void
add_remove_finding(VmcAdminCheck *check, const char *path, gboolean look_first, const char *what)
{
    g_autofree char *todo =
        look_first
            ? g_strdup_printf("look at it, then remove it by hand (rm -r %s)", path)
            : g_strdup_printf("remove it (rm -r %s); the gateway makes its files anew", path);
    vmc_admin_finding_add(check->findings, "run-dir", path, todo, "%s", what);
}

static gboolean
is_gateway_file(const char *name)
{
    return g_str_has_suffix(name, ".lock") || g_str_has_suffix(name, ".takeover") ||
           g_str_has_prefix(name, "identity-");
}

/* Every lock, takeover note and slot: a private file of the account. */
static void
check_files(VmcAdminCheck *check, const char *run_dir, uid_t owner)
{
    int dir_fd = vmc_console_run_dir_open(run_dir, NULL);
    DIR *dir = dir_fd >= 0 ? fdopendir(dir_fd) : NULL;
    if (dir == NULL) {
        if (dir_fd >= 0)
            close(dir_fd);
        vmc_admin_finding_add(check->findings, "run-dir", run_dir, "run check as root",
                              "cannot read the run dir");
        return;
    }
    struct dirent *entry;
    for (guint n = 0; (entry = readdir(dir)) != NULL && n < VMC_RUN_DIR_ENTRIES_MAX; n++) {
        if (!is_gateway_file(entry->d_name))
            continue;
        g_autofree char *path = g_build_filename(run_dir, entry->d_name, NULL);
        g_autoptr(GError) error = NULL;
        const VmcFileRules rules = {
            .owner = owner, .max_size = VMC_LOCK_INFO_MAX, .remedy = VMC_RUN_FILE_REMEDY};
        int fd = vmc_file_open(dirfd(dir), entry->d_name, path, O_RDONLY, &rules, &error);
        if (fd >= 0)
            close(fd);
        else if (!g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            add_remove_finding(check, path, FALSE, error->message);
    }
    closedir(dir);
}

static void
on_swept(const char *path, const char *id, gboolean removed, const char *problem, gpointer data)
{
    VmcAdminCheck *check = data;
    (void)id;
    if (removed)
        vmc_admin_check_ok(check, "run-dir",
                           "removed %s, the session dir of a gateway that is gone (killed)", path);
    else {
        g_autofree char *what = g_strdup_printf("%s is no live session's dir: %s", path, problem);
        add_remove_finding(check, path, TRUE, what);
    }
}

void
vmc_admin_check_run_dir(VmcAdminCheck *check)
{
    const char *run_dir = check->config->run_dir;
    guint before = check->findings->len;
    uid_t owner = 0;
    if (!check_dir(check, run_dir, &owner))
        return;
    check_files(check, run_dir, owner);
    guint swept = vmc_console_session_dirs_sweep(run_dir, on_swept, check);
    if (check->findings->len == before)
        vmc_admin_check_ok(check, "run-dir",
                           "%s is %s's alone, its files are regular files of "
                           "its own%s",
                           run_dir, vmc_admin_check_account_name(check),
                           swept > 0 ? "" : ", no session dir left by a killed gateway");
}
