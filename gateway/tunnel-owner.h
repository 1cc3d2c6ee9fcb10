/* tunnel-owner.h — is a loopback port a reverse forward of *this* SSH
 * connection? The pure parts of vmconsole-tunnel-check (plain C, no GLib:
 * the helper runs with CAP_SYS_PTRACE), unit-tested and fuzzed.
 *
 * What OpenSSH 9.2 does (verified): the listener of `ssh -R` is made by the
 * connection's unprivileged child, "sshd: ACCOUNT@notty", which runs as the
 * account, is the forced command's parent (or grandparent, through sh -c)
 * and — like every process that changed its uid — is not dumpable, so its
 * /proc/PID/fd is root's and the account cannot see which sockets it holds.
 * The [priv] monitor (root) holds none. So the helper, with CAP_SYS_PTRACE
 * and nothing else, walks its caller's ancestors to that process, takes each
 * of its fds (pidfd_getfd) and compares the socket inodes with those of the
 * port's listeners in /proc/net/tcp and tcp6.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define VMC_TUNNEL_LISTENERS_MAX 16                /* listeners on one port looked at */
#define VMC_TUNNEL_PROC_FILE_MAX (4 * 1024 * 1024) /* bytes of /proc/net/tcp read */
#define VMC_TUNNEL_ANCESTORS_MAX 16                /* processes walked up from the caller */
#define VMC_TUNNEL_FDS_MAX 4096                    /* fds of the sshd process looked at */

/* Exit codes of vmconsole-tunnel-check PORT. */
enum {
    VMC_TUNNEL_OURS = 0,     /* every listener on PORT is held by the caller's sshd */
    VMC_TUNNEL_NOT_OURS = 1, /* none, or another process's, or no sshd above the caller */
    VMC_TUNNEL_USAGE = 2,
    VMC_TUNNEL_CANNOT = 3, /* cannot look (no CAP_SYS_PTRACE, /proc unreadable) */
};

/* The inodes of the TCP sockets listening (state 0A) on port in the text of
 * /proc/net/tcp or /proc/net/tcp6 (header line first), whatever their
 * address. Appends to inodes[*n] up to max; returns -1 on a line that does
 * not parse or when there are more than max, else 0. */
int vmc_tunnel_listeners(const char *text, size_t length, unsigned port, unsigned long *inodes,
                         size_t max, size_t *n);

/* The parent pid (field 4) out of the text of /proc/PID/stat; -1 if not. */
long vmc_tunnel_stat_ppid(const char *text, size_t length);

/* The real uid (first "Uid:" field) and FDSize out of /proc/PID/status;
 * -1 where absent. */
long vmc_tunnel_status_field(const char *text, size_t length, const char *key);

/* TRUE (1) for the path of an OpenSSH server binary that runs the
 * connection's session (sshd, or OpenSSH 9.8's sshd-session). */
int vmc_tunnel_is_sshd(const char *exe);

/* A port as the request grammar spells it (1..65535, no sign or leading
 * zero); -1 otherwise. */
long vmc_tunnel_parse_port(const char *text);
