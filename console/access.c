/* access.c — may this identity open that VM? The socket's ACL decides. */
#include "vmc-console.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static VmcAccessDecision *
decision_new(VmcAccessResult result, char *socket_path, int pinned_fd, char *reason)
{
    VmcAccessDecision *decision = g_new0(VmcAccessDecision, 1);
    decision->result = result;
    decision->socket_path = socket_path;
    decision->pinned_fd = pinned_fd;
    decision->reason = reason;
    return decision;
}

VmcAccessDecision *
vmc_console_decide(const VmcConfig *config, const VmcIdentity *identity, const char *vm)
{
    g_return_val_if_fail(vmc_vm_name_is_valid(vm), NULL);
    g_autofree char *path = vmc_config_socket_path(config, vm);
    g_autoptr(GError) error = NULL;

    int fd = vmc_acl_pin_socket(path, &error);
    if (fd < 0) {
        const char *hint = g_error_matches(error, VMC_ACL_ERROR, VMC_ACL_ERROR_NOT_FOUND)
                               ? "no such VM (or it has never been started)"
                               : "the VM's socket cannot be used";
        return decision_new(VMC_ACCESS_NO_VM, g_steal_pointer(&path), -1,
                            g_strdup_printf("%s: %s", hint, error->message));
    }

    g_autoptr(VmcAcl) acl = vmc_acl_read_pinned(fd, &error);
    if (acl == NULL) {
        close(fd);
        char *reason = g_strdup_printf("cannot read the ACL of %s: %s", path, error->message);
        return decision_new(VMC_ACCESS_NO_VM, g_steal_pointer(&path), -1, reason);
    }

    VmcAclVerdict verdict = vmc_acl_check(acl, identity, VMC_ACL_RW);
    char *reason = vmc_acl_explain(acl, &verdict, identity, vm);
    return decision_new(verdict.granted ? VMC_ACCESS_GRANTED : VMC_ACCESS_DENIED,
                        g_steal_pointer(&path), fd, reason);
}

void
vmc_console_decision_free(VmcAccessDecision *decision)
{
    if (decision == NULL)
        return;
    if (decision->pinned_fd >= 0)
        close(decision->pinned_fd);
    g_free(decision->socket_path);
    g_free(decision->reason);
    g_free(decision);
}

int
vmc_console_socket_connect(int pinned_fd)
{
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    g_snprintf(address.sun_path, sizeof address.sun_path, "/proc/self/fd/%d", pinned_fd);

    /* Non-blocking: a listener with a full backlog says EAGAIN, not a hang;
     * it is running all the same. */
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return errno;
    int rc;
    do
        rc = connect(fd, (struct sockaddr *)&address, sizeof address);
    while (rc < 0 && errno == EINTR);
    int result = rc == 0 ? 0 : errno;
    close(fd);
    return result == EAGAIN || result == EINPROGRESS ? 0 : result;
}

gboolean
vmc_console_socket_answers(int pinned_fd)
{
    return vmc_console_socket_connect(pinned_fd) == 0;
}

GPtrArray *
vmc_console_list_permitted(const VmcConfig *config, const VmcIdentity *identity)
{
    g_autoptr(GPtrArray) names = vmc_config_list_vm_names(config);
    GPtrArray *permitted = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; i < names->len; i++) {
        g_autoptr(VmcAccessDecision) decision =
            vmc_console_decide(config, identity, names->pdata[i]);
        if (decision != NULL && decision->result == VMC_ACCESS_GRANTED)
            g_ptr_array_add(permitted, g_strdup(names->pdata[i]));
    }
    return permitted;
}

/* ---- identities that pass every ACL ---- */

char *
vmc_console_identity_refusal(const VmcIdentityCandidate *c)
{
    g_return_val_if_fail(c != NULL && c->name != NULL && c->account != NULL, NULL);
    if (c->uid == 0)
        return g_strdup_printf("identity %s is uid 0 (root), which owns the VM sockets: it would "
                               "open every VM",
                               c->name);
    gboolean is_account =
        strcmp(c->name, c->account) == 0 || (c->uid >= 0 && c->uid == c->account_uid);
    if (!is_account)
        return NULL;
    if (!c->named)
        return g_strdup_printf("the key line has no --identity, so the identity is the gateway "
                               "account %s itself, which has rw on every VM socket: it would "
                               "open every VM",
                               c->account);
    return g_strdup_printf("identity %s is the gateway account %s itself, which has rw on every "
                           "VM socket: it would open every VM",
                           c->name, c->account);
}
