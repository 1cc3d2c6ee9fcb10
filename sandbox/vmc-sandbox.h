/* vmc-sandbox.h — the viewer's sandbox: bubblewrap around it, vmconsole-confine
 * inside it.
 *
 * The viewer is a large GTK program steered by an X server that belongs to
 * the person (DESIGN.md, security model). It runs in private user, mount,
 * PID, network, IPC and UTS namespaces that die with the gateway; read-only
 * system directories; private, size-capped tmpfs home, tmp and runtime
 * dirs; and only its own session's sockets and files bound in. Inside,
 * vmconsole-confine adds no_new_privs, seccomp and Landlock before it
 * execs the viewer. This module decides the layout (pure) and probes what
 * the host offers; the gateway spawns it.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VMC_SANDBOX_ERROR (vmc_sandbox_error_quark())
GQuark vmc_sandbox_error_quark(void);

typedef enum {
    VMC_SANDBOX_ERROR_NO_BWRAP,   /* bubblewrap is not installed */
    VMC_SANDBOX_ERROR_NO_USERNS,  /* unprivileged user namespaces are off */
    VMC_SANDBOX_ERROR_NO_CONFINE, /* vmconsole-confine is not where it belongs */
    VMC_SANDBOX_ERROR_FAILED,     /* the sandbox did not come up */
} VmcSandboxError;

#define VMC_SANDBOX_BWRAP "/usr/bin/bwrap"
#define VMC_SANDBOX_CONFINE_NAME "vmconsole-confine"

/* The layout inside the sandbox: fixed paths, so the viewer's environment
 * and argv never carry a host path. */
#define VMC_SANDBOX_HOME "/home/viewer"
#define VMC_SANDBOX_RUNTIME_DIR "/run/viewer"    /* XDG_RUNTIME_DIR */
#define VMC_SANDBOX_SESSION_DIR "/run/vmconsole" /* the session's sockets and files */
#define VMC_SANDBOX_X11_DIR "/tmp/.X11-unix"
#define VMC_SANDBOX_DISPLAY_NUMBER 0 /* DISPLAY=:0 inside */
#define VMC_SANDBOX_CONFINE VMC_SANDBOX_SESSION_DIR "/confine"

/* Sizes of the private tmpfs mounts: the viewer's writes are bounded. */
#define VMC_SANDBOX_HOME_SIZE (64 * 1024 * 1024)
#define VMC_SANDBOX_TMP_SIZE (16 * 1024 * 1024)
#define VMC_SANDBOX_SMALL_SIZE (1024 * 1024) /* runtime dir, /dev/shm */
#define VMC_SANDBOX_BINDS_MAX 32
#define VMC_SANDBOX_HIDE_MAX 32

/* What the host offers, found by vmc_sandbox_support_probe(). */
typedef struct {
    char *bwrap;      /* absolute path of bubblewrap */
    char *confine;    /* absolute path of vmconsole-confine */
    int landlock_abi; /* 0: no Landlock on this kernel */
} VmcSandboxSupport;

/* Probe the host: bubblewrap at VMC_SANDBOX_BWRAP, unprivileged user
 * namespaces enabled (the sysctls that switch them off), vmconsole-confine
 * in confine_dirs (the first one holding an executable wins), and the
 * Landlock ABI. The error says what is missing and what to do about it. */
VmcSandboxSupport *vmc_sandbox_support_probe(const char *const *confine_dirs, GError **error);
void vmc_sandbox_support_free(VmcSandboxSupport *support);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcSandboxSupport, vmc_sandbox_support_free)

/* The Landlock ABI version of this kernel (0: none). */
int vmc_sandbox_landlock_abi(void);

/* The protections in force with support, as record strings ("user-ns",
 * "pid-ns", …, "seccomp", "landlock-abi-N"). Pure. */
GStrv vmc_sandbox_protections(const VmcSandboxSupport *support);

/* The exact line vmconsole-confine reports when it applied everything
 * support promises. Pure. */
char *vmc_sandbox_expected_report(const VmcSandboxSupport *support);

/* One file or socket of the session, bound read-only at target (an absolute
 * path under VMC_SANDBOX_SESSION_DIR or VMC_SANDBOX_X11_DIR). */
typedef struct {
    const char *source;
    const char *target;
} VmcSandboxBind;

typedef struct {
    const VmcSandboxSupport *support;
    const char *viewer;          /* absolute host path of the viewer program */
    const VmcSandboxBind *binds; /* the session's files, n_binds of them */
    guint n_binds;
    const char *const *hide;        /* host paths (dirs or files) that must stay unreachable */
    const char *const *system_dirs; /* NULL: "/usr" "/etc"; tests may narrow */
    char **viewer_argv;             /* argv[0] is viewer; paths in it are inside paths */
    int status_fd;                  /* bwrap --json-status-fd, as the child sees it */
    int report_fd;                  /* vmconsole-confine --report-fd */
} VmcSandboxSpec;

/* The whole argv: bwrap, its options, vmconsole-confine and its rules, then
 * the viewer's argv. NULL with an error when the spec cannot be built
 * safely (a relative path, a bind target outside the session's inside dirs,
 * more than VMC_SANDBOX_BINDS_MAX binds or VMC_SANDBOX_HIDE_MAX hidden
 * paths). Pure apart from lstat() of the system paths it may bind. */
GStrv vmc_sandbox_argv(const VmcSandboxSpec *spec, GError **error);

G_END_DECLS
