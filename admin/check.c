/* check.c — `vmconsole-admin check`: every classic setup mistake, each with
 * what to do. Areas in order: the gateway account, sshd and the key files,
 * the viewer's sandbox, the sound tunnel's owner check, the session log, the
 * run dir (and the session dirs killed gateways left, removed), the VM
 * sockets (stored ACL policy, the account's access, whether the VM
 * answers). Exit 0: nothing found; VMC_ADMIN_EXIT_PROBLEMS:
 * something found. */
#include "admin-priv.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vmc-build-config.h"
#include "vmc-sandbox.h"
#include "vmc-sessionlog.h"
#include "vmc-spice.h"

#define PROBE_TIMEOUT_MS 8000 /* per VM: a TCG guest may be slow to show its first screen */

void
vmc_admin_check_flush(VmcAdminCheck *check)
{
    for (; check->printed < check->findings->len; check->printed++) {
        g_autofree char *line =
            vmc_admin_finding_format(g_ptr_array_index(check->findings, check->printed));
        fputs(line, stdout); /* escaped and capped by vmc_admin_finding_format */
        fputc('\n', stdout);
    }
    fflush(stdout);
}

void
vmc_admin_check_ok(VmcAdminCheck *check, const char *area, const char *format, ...)
{
    vmc_admin_check_flush(check);
    va_list args;
    va_start(args, format);
    g_autofree char *text = vmc_strdup_vprintf_escaped(format, args);
    va_end(args);
    vmc_print_escaped(stdout, "%s: ok: %.*s\n", area, VMC_ADMIN_REASON_MAX, text);
    fflush(stdout);
}

static void
check_log(VmcAdminCheck *check)
{
    const char *log = vmc_admin_log_path(check->args, check->config);
    g_autofree char *dir = g_path_get_dirname(log);
    g_autofree char *why = NULL;
    guint before = check->findings->len;
    if (vmc_admin_account_may(check->account, dir, VMC_ACL_WRITE | VMC_ACL_EXECUTE, &why))
        vmc_admin_finding_add(check->findings, "log", dir,
                              "remove the account's write access (check its ACL: getfacl)",
                              "%s can write the log directory: a session could delete or "
                              "replace the log",
                              check->account->name);
    g_autofree char *unsafe = vmc_admin_path_unsafe(dir);
    if (unsafe != NULL)
        vmc_admin_finding_add(check->findings, "log", dir,
                              "make the log directory root-owned, mode 0755 (chown root; "
                              "chmod go-w)",
                              "the log directory is not root's alone: %s", unsafe);
    g_clear_pointer(&why, g_free);
    if (!g_file_test(log, G_FILE_TEST_IS_REGULAR))
        vmc_admin_finding_add(check->findings, "log", log,
                              "create it: install -m 0640 -o ACCOUNT /dev/null LOG",
                              "the session log is missing (or not a regular file): the gateway "
                              "refuses every session (exit 8)");
    else if (!vmc_admin_account_may(check->account, log, VMC_ACL_WRITE, &why))
        vmc_admin_finding_add(check->findings, "log", log,
                              "make the account own it (chown ACCOUNT LOG; chmod 0640)",
                              "%s cannot append to the session log (%s): the gateway refuses "
                              "every session (exit 8)",
                              check->account->name, why);
    if (check->findings->len == before)
        vmc_admin_check_ok(check, "log", "%s is appendable by %s in a directory it cannot write",
                           log, check->account->name);
}

/* The socket's ACL against the stored policy plus the account's entry. */
static void
check_socket_policy(VmcAdminCheck *check, const VmcVmConfig *vm, int fd, const char *path)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcAcl) current = vmc_acl_read_pinned(fd, &error);
    g_autoptr(VmcAcl) desired =
        current != NULL ? vmc_acl_for_policy(vm->acl, check->account->uid, current, &error) : NULL;
    if (desired == NULL) {
        vmc_admin_finding_add(check->findings, "sockets", path, "fix the VM's acl = or the socket",
                              "cannot compare the socket's ACL with the stored policy: %s",
                              error->message);
        return;
    }
    if (vmc_acl_equal(current, desired))
        return;
    g_autoptr(GPtrArray) before = vmc_acl_named_words(current);
    g_autoptr(GPtrArray) after = vmc_acl_named_words(desired);
    g_autofree char *diff = vmc_acl_words_diff(before, after);
    g_autofree char *todo = g_strdup_printf("vmconsole-admin acl apply %s (and install the "
                                            "libvirt hook or the systemd path unit so it "
                                            "happens at every VM start)",
                                            vm->name);
    vmc_admin_finding_add(check->findings, "sockets", path, todo,
                          "the ACL of VM %s differs from its stored policy (to apply: %s)",
                          vm->name, diff != NULL ? diff : "?");
}

/* Is a session on it? Probing would take the console from that person. */
static gboolean
vm_in_use(const VmcAdminCheck *check, const char *name)
{
    g_autoptr(GPtrArray) vms = NULL;
    g_autoptr(GPtrArray) held = vmc_console_locks_held(check->config->run_dir, &vms, NULL);
    for (guint i = 0; i < vms->len; i++)
        if (strcmp(g_ptr_array_index(vms, i), name) == 0)
            return TRUE;
    return FALSE;
}

static void
probe_vm(VmcAdminCheck *check, const char *name, const char *path)
{
    if (check->args->no_probe)
        return;
    if (vm_in_use(check, name)) {
        vmc_admin_check_ok(check, "sockets", "%s: a console session is open; not probed", name);
        return;
    }
    g_autofree char *uri = g_strconcat("spice+unix://", path, NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcSpiceProbeResult) result = vmc_spice_probe(uri, PROBE_TIMEOUT_MS, &error);
    if (result == NULL)
        vmc_admin_finding_add(check->findings, "sockets", path,
                              "start the VM, or check its Spice settings (-spice unix=on,...)",
                              "VM %s does not answer on its Spice socket: %s", name,
                              error->message);
    else
        vmc_admin_check_ok(check, "sockets", "%s answers (display %dx%d)", name, result->width,
                           result->height);
}

static void
check_vm(VmcAdminCheck *check, const char *name)
{
    const VmcVmConfig *vm = vmc_config_find_vm(check->config, name);
    g_autofree char *path = vmc_config_socket_path(check->config, name);
    g_autoptr(GError) error = NULL;
    int fd = vmc_acl_pin_socket(path, &error);
    if (fd < 0) {
        vmc_admin_finding_add(check->findings, "sockets", path,
                              "start the VM, or fix socket = in its [vm] section", "VM %s: %s",
                              name, error->message);
        return;
    }
    guint before = check->findings->len;
    if (vm != NULL && vm->acl != NULL)
        check_socket_policy(check, vm, fd, path);
    close(fd);
    g_autofree char *why = NULL;
    if (!vmc_admin_account_may(check->account, path, VMC_ACL_RW, &why))
        vmc_admin_finding_add(check->findings, "sockets", path,
                              "grant it: vmconsole-admin acl apply (or setfacl -m u:ACCOUNT:rw)",
                              "the gateway account cannot connect to VM %s's socket: %s", name,
                              why);
    if (check->findings->len == before)
        vmc_admin_check_ok(check, "sockets", "%s: %s as stored, %s may connect", name, path,
                           check->account->name);
    probe_vm(check, name, path);
}

static void
check_sockets(VmcAdminCheck *check)
{
    g_autoptr(GPtrArray) names = vmc_config_list_vm_names(check->config);
    if (names->len == 0)
        vmc_admin_finding_add(check->findings, "sockets", check->config->path,
                              "add [vm NAME] sections or start VMs with sockets at socket-pattern",
                              "no VM found");
    for (guint i = 0; i < names->len; i++)
        check_vm(check, g_ptr_array_index(names, i));
}

/* The viewer's sandbox: off is a problem (a person's X server can make the
 * viewer run commands as the account), and so is a host where it cannot
 * come up (every open is refused, exit 6). vmconsole-confine is looked for
 * where the gateway looks: beside the gateway (check --gateway FILE, else
 * where it is installed), then in libexecdir. */
static void
check_sandbox(VmcAdminCheck *check)
{
    if (check->config->sandbox == VMC_SANDBOX_OFF) {
        vmc_admin_finding_add(check->findings, "sandbox", check->config->path,
                              "remove sandbox = off from [gateway] (the sandbox needs the "
                              "package bubblewrap and unprivileged user namespaces)",
                              "the viewer runs without its sandbox: a person's X server can make "
                              "it run commands as %s, which voids every access decision",
                              check->account->name);
        return;
    }
    const char *gateway = check->args->gateway != NULL ? check->args->gateway : VMC_GATEWAY_PATH;
    g_autofree char *gateway_dir = g_path_get_dirname(gateway);
    const char *dirs[] = {gateway_dir, VMC_LIBEXECDIR, NULL};
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcSandboxSupport) support = vmc_sandbox_support_probe(dirs, &error);
    if (support == NULL) {
        vmc_admin_finding_add(check->findings, "sandbox", VMC_SANDBOX_BWRAP,
                              "fix it as the message says, or every console open is refused "
                              "(exit 6)",
                              "the viewer's sandbox cannot come up: %s", error->message);
        return;
    }
    g_auto(GStrv) protections = vmc_sandbox_protections(support);
    g_autofree char *list = g_strjoinv(", ", protections);
    vmc_admin_check_ok(check, "sandbox", "%s and %s: %s%s", support->bwrap, support->confine,
                       list, support->landlock_abi == 0 ? " (no Landlock on this kernel)" : "");
}

static gboolean
check_account(VmcAdminCheck *check)
{
    g_autoptr(GError) error = NULL;
    check->account = vmc_identity_resolve(check->config->account, &error);
    if (check->account == NULL) {
        vmc_admin_finding_add(check->findings, "account", check->config->path,
                              "create it (useradd --system --create-home vmconsole) or set "
                              "account = in [gateway]",
                              "the gateway account: %s", error->message);
        return FALSE;
    }
    vmc_admin_check_ok(check, "account", "%s (uid %u)", check->account->name, check->account->uid);
    return TRUE;
}

VmcAdminExit
vmc_admin_cmd_check(const VmcAdminArgs *args)
{
    guint allowed = VMC_ADMIN_OPT_NO_PROBE | VMC_ADMIN_OPT_SSHD_CONFIG | VMC_ADMIN_OPT_LOG |
                    VMC_ADMIN_OPT_GATEWAY;
    if (!vmc_admin_args_only(args, "check", allowed))
        return VMC_ADMIN_EXIT_USAGE;
    if (args->words[1] != NULL) {
        vmc_admin_complain("check takes no arguments");
        return VMC_ADMIN_EXIT_USAGE;
    }
    g_autoptr(VmcConfig) config = vmc_admin_load_config(args);
    if (config == NULL)
        return VMC_ADMIN_EXIT_ERROR;
    VmcAdminCheck check = {args, config, NULL,
                           g_ptr_array_new_with_free_func((GDestroyNotify)vmc_admin_finding_free),
                           0};
    if (check_account(&check)) {
        vmc_admin_check_sshd(&check);
        check_sandbox(&check);
        vmc_admin_check_sound(&check);
        check_log(&check);
        vmc_admin_check_run_dir(&check);
        check_sockets(&check);
    }
    vmc_admin_check_flush(&check);
    guint n = check.findings->len;
    if (n == 0)
        vmc_print_escaped(stdout, "no problems found\n");
    else
        vmc_print_escaped(stdout, "%u problem%s found\n", n, n == 1 ? "" : "s");
    g_ptr_array_unref(check.findings);
    vmc_identity_free(check.account);
    return n == 0 ? VMC_ADMIN_EXIT_OK : VMC_ADMIN_EXIT_PROBLEMS;
}
