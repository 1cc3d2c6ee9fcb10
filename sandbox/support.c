/* support.c — what the host offers the viewer's sandbox, and the record
 * strings that say which protections were in force. */
#include "vmc-sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "confine-priv.h"
#include "vmc-common.h"

/* the GError domain "vmc-sandbox-error-quark" */
GQuark
vmc_sandbox_error_quark(void)
{
    return g_quark_from_static_string("vmc-sandbox-error-quark");
}

#define SYSCTL_VALUE_MAX 32 /* bytes of a sysctl file read */

int
vmc_sandbox_landlock_abi(void)
{
    return vmc_landlock_abi(); /* what vmconsole-confine enforces, and reports */
}

/* The integer in a sysctl file; fallback when it does not exist (the
 * sysctl is not there on this kernel). */
static gint64
read_sysctl(const char *path, gint64 fallback)
{
    const VmcFileRules rules = {
        .owner = VMC_FILE_OWNER_ANY, .max_size = SYSCTL_VALUE_MAX, .flags = VMC_FILE_ANY_LINKS};
    gsize length = 0;
    g_autofree char *text = vmc_file_read(AT_FDCWD, path, path, &rules, &length, NULL);
    if (text == NULL || length == 0)
        return fallback;
    return g_ascii_strtoll(text, NULL, 10);
}

/* bubblewrap without setuid needs unprivileged user namespaces. Debian's
 * kernels can switch them off (kernel.unprivileged_userns_clone = 0), and
 * user.max_user_namespaces = 0 does it everywhere. */
static gboolean
userns_enabled(GError **error)
{
    if (read_sysctl("/proc/sys/kernel/unprivileged_userns_clone", 1) == 0) {
        g_set_error(error, VMC_SANDBOX_ERROR, VMC_SANDBOX_ERROR_NO_USERNS,
                    "unprivileged user namespaces are switched off "
                    "(kernel.unprivileged_userns_clone = 0): bubblewrap needs them; set it to 1 "
                    "(sysctl -w kernel.unprivileged_userns_clone=1 and in /etc/sysctl.d)");
        return FALSE;
    }
    if (read_sysctl("/proc/sys/user/max_user_namespaces", 1) == 0) {
        g_set_error(
            error, VMC_SANDBOX_ERROR, VMC_SANDBOX_ERROR_NO_USERNS,
            "user namespaces are switched off (user.max_user_namespaces = 0): "
            "bubblewrap needs them; raise it (e.g. sysctl -w user.max_user_namespaces=16384)");
        return FALSE;
    }
    return TRUE;
}

static char *
find_confine(const char *const *dirs)
{
    for (guint i = 0; dirs != NULL && dirs[i] != NULL; i++) {
        g_autofree char *path = g_build_filename(dirs[i], VMC_SANDBOX_CONFINE_NAME, NULL);
        if (g_path_is_absolute(path) && access(path, X_OK) == 0)
            return g_steal_pointer(&path);
    }
    return NULL;
}

VmcSandboxSupport *
vmc_sandbox_support_probe(const char *const *confine_dirs, GError **error)
{
    if (access(VMC_SANDBOX_BWRAP, X_OK) != 0) {
        g_set_error(error, VMC_SANDBOX_ERROR, VMC_SANDBOX_ERROR_NO_BWRAP,
                    "bubblewrap is not installed (%s: %s): install the package bubblewrap",
                    VMC_SANDBOX_BWRAP, g_strerror(errno));
        return NULL;
    }
    if (!userns_enabled(error))
        return NULL;
    g_autofree char *confine = find_confine(confine_dirs);
    if (confine == NULL) {
        g_autofree char *where =
            confine_dirs != NULL ? g_strjoinv(", ", (char **)confine_dirs) : g_strdup("nowhere");
        g_set_error(error, VMC_SANDBOX_ERROR, VMC_SANDBOX_ERROR_NO_CONFINE,
                    "%s is not installed (looked in %s): reinstall vmconsole",
                    VMC_SANDBOX_CONFINE_NAME, where);
        return NULL;
    }
    VmcSandboxSupport *support = g_new0(VmcSandboxSupport, 1);
    support->bwrap = g_strdup(VMC_SANDBOX_BWRAP);
    support->confine = g_steal_pointer(&confine);
    support->landlock_abi = vmc_sandbox_landlock_abi();
    return support;
}

void
vmc_sandbox_support_free(VmcSandboxSupport *support)
{
    if (support == NULL)
        return;
    g_free(support->bwrap);
    g_free(support->confine);
    g_free(support);
}

GStrv
vmc_sandbox_protections(const VmcSandboxSupport *support)
{
    g_return_val_if_fail(support != NULL, NULL);
    g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
    /* what vmc_sandbox_argv() asks of bwrap and confine */
    g_strv_builder_add_many(builder, "user-ns", "mount-ns", "pid-ns", "net-ns", "ipc-ns", "uts-ns",
                            "dies-with-gateway", "no-new-privs", "seccomp", NULL);
    if (support->landlock_abi > 0) {
        g_autofree char *landlock = g_strdup_printf("landlock-abi-%d", support->landlock_abi);
        g_strv_builder_add(builder, landlock);
    }
    return g_strv_builder_end(builder);
}

char *
vmc_sandbox_expected_report(const VmcSandboxSupport *support)
{
    g_return_val_if_fail(support != NULL, NULL);
    return g_strdup_printf("landlock=%d seccomp=on no_new_privs=on", support->landlock_abi);
}
