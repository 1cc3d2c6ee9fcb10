/* check.c — `vmconsole-admin check`: every classic setup mistake, each with
 * what to do. Areas in order: the gateway account, sshd and the key files,
 * the viewer's sandbox, the sound tunnel's owner check, the session log, the
 * run dir (and the session dirs killed gateways left, removed), the VM
 * sockets (their directory, stored ACL policy, the account's access,
 * whether the VM answers; a VM that is not running is said, not a problem).
 * A missing account is one problem: every area still checks what it can
 * without it. Exit 0: nothing found; VMC_ADMIN_EXIT_PROBLEMS: something
 * found. */
#include "admin-priv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmc-build-config.h"
#include "vmc-sandbox.h"
#include "vmc-sessionlog.h"
#include "vmc-spice.h"

#define PROBE_TIMEOUT_MS 8000 /* per VM: a TCG guest may be slow to show its first screen */

/* Where a VM's Spice socket comes from, in both forms: the hint of every
 * finding that asks for a socket (%s: the socket's path, twice). */
#define SPICE_SOCKET_HOWTO                                                                         \
    "libvirt: <graphics type='spice'><listen type='socket' socket='%s'/></graphics> in the "       \
    "domain XML (virsh edit VM); plain QEMU: -spice unix=on,addr=%s,disable-ticketing=on"

const char *
vmc_admin_check_account_name(const VmcAdminCheck *check)
{
    return check->account != NULL ? check->account->name : check->config->account;
}

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
    if (check->account != NULL &&
        vmc_admin_account_may(check->account, dir, VMC_ACL_WRITE | VMC_ACL_EXECUTE, &why))
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
                              "create it: systemd-tmpfiles --create vmconsole.conf (the "
                              "installed tmpfiles.d entry), or install -m 0640 -o ACCOUNT "
                              "-g root /dev/null LOG",
                              "the session log is missing (or not a regular file): the gateway "
                              "refuses every session (exit 8)");
    else if (check->account == NULL)
        ; /* whether it may append is asked once the account exists */
    else if (!vmc_admin_account_may(check->account, log, VMC_ACL_WRITE, &why))
        vmc_admin_finding_add(check->findings, "log", log,
                              "make the account own it (chown ACCOUNT LOG; chmod 0640)",
                              "%s cannot append to the session log (%s): the gateway refuses "
                              "every session (exit 8)",
                              check->account->name, why);
    if (check->findings->len == before && check->account == NULL)
        vmc_admin_check_ok(check, "log",
                           "%s is there, in a directory of root's alone (the "
                           "account's access is checked once it exists)",
                           log);
    else if (check->findings->len == before)
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
    if (result == NULL) {
        g_autofree char *todo =
            g_strdup_printf("check the VM's Spice settings (" SPICE_SOCKET_HOWTO ")", path, path);
        vmc_admin_finding_add(check->findings, "sockets", path, todo,
                              "VM %s accepts connections on its socket but no Spice client gets "
                              "a display: %s",
                              name, error->message);
    } else
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
        g_autofree char *todo =
            g_strdup_printf("start the VM with its Spice socket there (" SPICE_SOCKET_HOWTO
                            "), or fix socket = in its "
                            "[vm] section",
                            path, path);
        vmc_admin_finding_add(check->findings, "sockets", path, todo, "VM %s: %s", name,
                              error->message);
        return;
    }
    /* a VM that was stopped leaves its socket file behind (QEMU does not
     * remove it, nor libvirt), and connecting to it is refused */
    if (vmc_console_socket_connect(fd) == ECONNREFUSED) {
        close(fd);
        vmc_admin_check_ok(check, "sockets",
                           "%s is not running (%s is left from its last run "
                           "and refuses connections); its ACL is checked when it runs",
                           name, path);
        return;
    }
    guint before = check->findings->len;
    if (vm != NULL && vm->acl != NULL && check->account != NULL)
        check_socket_policy(check, vm, fd, path);
    close(fd);
    g_autofree char *why = NULL;
    if (check->account != NULL && !vmc_admin_account_may(check->account, path, VMC_ACL_RW, &why))
        vmc_admin_finding_add(check->findings, "sockets", path,
                              "grant it: vmconsole-admin acl apply (or setfacl -m u:ACCOUNT:rw)",
                              "the gateway account cannot connect to VM %s's socket: %s", name,
                              why);
    if (check->findings->len == before && check->account == NULL)
        vmc_admin_check_ok(check, "sockets",
                           "%s: %s is there (its ACL is checked once the "
                           "account exists)",
                           name, path);
    else if (check->findings->len == before)
        vmc_admin_check_ok(check, "sockets", "%s: %s as stored, %s may connect", name, path,
                           check->account->name);
    probe_vm(check, name, path);
}

/* The directory of socket-pattern: QEMU must be able to make sockets in it
 * (without it `virsh start` fails with "bind: No such file or directory"),
 * and the account must be able to list it (`list` finds the VMs there) and
 * pass through it (to connect). */
static void
check_socket_dir(VmcAdminCheck *check)
{
    g_autofree char *dir = g_path_get_dirname(check->config->socket_pattern);
    const char *account = vmc_admin_check_account_name(check);
    if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
        g_autofree char *todo = g_strdup_printf(
            "create it for QEMU's account (libvirt-qemu under libvirt, else the user QEMU runs "
            "as): install -d -m 0750 -o libvirt-qemu -g libvirt-qemu %s && setfacl -m u:%s:rx %s",
            dir, account, dir);
        vmc_admin_finding_add(check->findings, "sockets", dir, todo,
                              "the VMs' socket directory %s does not exist: QEMU cannot create "
                              "the Spice sockets of socket-pattern there (virsh start fails: "
                              "bind: No such file or directory)",
                              dir);
        return;
    }
    g_autofree char *why = NULL;
    if (check->account == NULL ||
        vmc_admin_account_may(check->account, dir, VMC_ACL_READ | VMC_ACL_EXECUTE, &why))
        return;
    g_autofree char *todo = g_strdup_printf("setfacl -m u:%s:rx %s", account, dir);
    vmc_admin_finding_add(check->findings, "sockets", dir, todo,
                          "%s cannot list the VMs' socket directory (%s): list offers none of "
                          "its VMs and none can be opened",
                          account, why);
}

static void
check_sockets(VmcAdminCheck *check)
{
    check_socket_dir(check);
    g_autoptr(GPtrArray) names = vmc_config_list_vm_names(check->config);
    g_autofree char *todo =
        g_strdup_printf("add [vm NAME] sections, or start VMs with their "
                        "Spice sockets at socket-pattern (" SPICE_SOCKET_HOWTO ")",
                        check->config->socket_pattern, check->config->socket_pattern);
    if (names->len == 0)
        vmc_admin_finding_add(check->findings, "sockets", check->config->path, todo, "no VM found");
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
                              vmc_admin_check_account_name(check));
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
    vmc_admin_check_ok(check, "sandbox", "%s and %s: %s%s", support->bwrap, support->confine, list,
                       support->landlock_abi == 0 ? " (no Landlock on this kernel)" : "");
}

/* USB redirection (native mode's usbredir channels): where it is allowed,
 * said plainly; it is a policy, not a problem. */
static void
check_usb(VmcAdminCheck *check)
{
    const VmcConfig *config = check->config;
    g_autoptr(GStrvBuilder) allowed = g_strv_builder_new();
    g_autoptr(GStrvBuilder) denied = g_strv_builder_new();
    for (guint i = 0; i < config->vms->len; i++) {
        const VmcVmConfig *vm = config->vms->pdata[i];
        if (vm->usb != VMC_USB_UNSET)
            g_strv_builder_add(vmc_config_usb_allowed(config, vm->name) ? allowed : denied,
                               vm->name);
    }
    g_auto(GStrv) yes = g_strv_builder_end(allowed);
    g_auto(GStrv) no = g_strv_builder_end(denied);
    g_autofree char *yes_list = g_strjoinv(", ", yes);
    g_autofree char *no_list = g_strjoinv(", ", no);
    gboolean by_default = config->usb == VMC_USB_ALLOW;
    vmc_admin_check_ok(check, "usb", "USB redirection (native mode) is %s by default%s%s%s%s%s",
                       by_default ? "allowed" : "denied", yes[0] != NULL ? "; allowed for " : "",
                       yes_list, no[0] != NULL ? "; denied for " : "", no_list,
                       by_default || yes[0] != NULL
                           ? " (the laptop's USB devices can be attached to those VMs)"
                           : "");
}

static void
check_account(VmcAdminCheck *check)
{
    g_autoptr(GError) error = NULL;
    check->account = vmc_identity_resolve(check->config->account, &error);
    if (check->account == NULL) {
        vmc_admin_finding_add(check->findings, "account", check->config->path,
                              "create it: systemd-sysusers vmconsole.conf && systemd-tmpfiles "
                              "--create vmconsole.conf (the installed sysusers.d and tmpfiles.d "
                              "entries; see the README's setup), or set account = in [gateway]",
                              "the gateway account: %s (what needs the account is not checked)",
                              error->message);
        return;
    }
    vmc_admin_check_ok(check, "account", "%s (uid %u)", check->account->name, check->account->uid);
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
    check_account(&check);
    vmc_admin_check_sshd(&check);
    check_sandbox(&check);
    check_usb(&check);
    vmc_admin_check_sound(&check);
    check_log(&check);
    vmc_admin_check_run_dir(&check);
    check_sockets(&check);
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
