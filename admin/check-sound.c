/* check-sound.c — `check`'s sound part: the check that a sound port is the
 * SSH connection's own tunnel (vmconsole-tunnel-check and its capability),
 * or the admin's tunnel-check = off. */
#include "admin-priv.h"

#include <errno.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "vmc-build-config.h"

#define TUNNEL_CHECK_NAME "vmconsole-tunnel-check"
#define CAP_XATTR "security.capability"

/* Where the gateway looks for the helper: beside itself, else libexecdir. */
static char *
tunnel_check_path(const VmcAdminCheck *check)
{
    const char *gateway = check->args->gateway != NULL ? check->args->gateway : VMC_GATEWAY_PATH;
    g_autofree char *dir = g_path_get_dirname(gateway);
    g_autofree char *beside = g_build_filename(dir, TUNNEL_CHECK_NAME, NULL);
    if (g_file_test(beside, G_FILE_TEST_IS_EXECUTABLE))
        return g_steal_pointer(&beside);
    return g_build_filename(VMC_LIBEXECDIR, TUNNEL_CHECK_NAME, NULL);
}

void
vmc_admin_check_sound(VmcAdminCheck *check)
{
    if (check->config->tunnel_check == VMC_SANDBOX_OFF) {
        vmc_admin_finding_add(
            check->findings, "sound", check->config->path,
            "remove tunnel-check = off from [gateway] (and give " TUNNEL_CHECK_NAME
            " its capability: setcap cap_sys_ptrace+ep)",
            "the gateway accepts any loopback port as a sound tunnel: a person "
            "can aim a session's sound at another person's tunnel or at a "
            "local service");
        return;
    }
    g_autofree char *path = tunnel_check_path(check);
    guint8 caps[32];
    ssize_t n = getxattr(path, CAP_XATTR, caps, sizeof caps);
    g_autofree char *todo = g_strdup_printf("setcap cap_sys_ptrace+ep %s", path);
    if (!g_file_test(path, G_FILE_TEST_IS_EXECUTABLE))
        vmc_admin_finding_add(check->findings, "sound", path, "install vmconsole (meson install)",
                              "%s is missing: every sound port is refused", TUNNEL_CHECK_NAME);
    else if (n < 0 || !vmc_admin_caps_have_ptrace(caps, (gsize)n))
        vmc_admin_finding_add(check->findings, "sound", path, todo,
                              "%s has no cap_sys_ptrace capability (%s): it cannot see which "
                              "sshd holds a tunnel, so every sound port is refused",
                              TUNNEL_CHECK_NAME, n < 0 ? g_strerror(errno) : "other capabilities");
    else
        vmc_admin_check_ok(check, "sound",
                           "%s checks that a sound port is the connection's own "
                           "tunnel (cap_sys_ptrace)",
                           path);
}
