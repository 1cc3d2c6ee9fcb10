/* native-ssh-priv.h — the libssh layer of native mode (native-ssh.c): one
 * session, one login, the way OpenSSH's ssh would make it for the person
 * (~/.ssh/config, known_hosts, agent and identity files). Used by
 * native-session.c only.
 */
#pragma once

#include <glib.h>
#include <libssh/libssh.h>

#include "native-priv.h"

G_BEGIN_DECLS

typedef struct ssh_session_struct VmcSshSession;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcSshSession, ssh_free)
typedef struct ssh_key_struct VmcSshKey;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcSshKey, ssh_key_free)

/* One line on stderr, "vmconsole: " and the message through
 * vmc_print_escaped() (main.c): everything the launcher says. */
void vmc_launcher_say(const char *format, ...) G_GNUC_PRINTF(1, 2);

/* Connect to args->destination (~/.ssh/config applied: Host aliases,
 * HostName, User, Port, IdentityFile, ProxyJump/ProxyCommand; then -p and -i),
 * verify the host key against known_hosts (an unknown key is asked about on
 * the terminal, refused without one; a changed key is refused, naming the
 * known_hosts line), log in with the agent or the identity files. Says the
 * progress. Returns a blocking, authenticated session, or NULL after saying
 * why (exit VMC_NATIVE_EXIT_SSH). */
ssh_session vmc_native_ssh_open(const VmcLauncherArgs *args);

/* "user@host" of a connected session, for messages (escape it). */
char *vmc_native_ssh_describe(ssh_session session);

G_END_DECLS

VMC_PRINTF_POISON
