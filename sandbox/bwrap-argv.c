/* bwrap-argv.c — the viewer's sandbox as one argv: bubblewrap's namespaces
 * and mounts, then vmconsole-confine's Landlock rules, then the viewer.
 *
 * What exists inside (everything else does not):
 *   /usr, /etc                read-only (the config's, log's, run dir's and
 *                             sockets' dirs hidden when they lie beneath)
 *   /bin /lib /lib64 /sbin…   the usr-merge symlinks as on the host
 *   /var/cache/fontconfig     read-only, when present (no font rescan)
 *   /proc /dev                the sandbox's own (bwrap --proc, --dev)
 *   /tmp                      private tmpfs, size-capped; the session's X11
 *                             socket as /tmp/.X11-unix/X0
 *   /home/viewer              private tmpfs HOME, size-capped
 *   /run/viewer               private XDG_RUNTIME_DIR, 0700
 *   /run/vmconsole/…          the session's own sockets and files, read-only
 *   /                         tmpfs, remounted read-only at the end
 * No network (only a downed lo), no host PIDs, no host IPC; the sandbox
 * dies with the gateway. The GTK module dirs are hidden: an X server's
 * XSETTINGS "Gtk/Modules" can then name no installed module.
 */
#include "vmc-sandbox.h"

#include <glob.h>
#include <string.h>
#include <sys/stat.h>

#define STATUS_FD_MAX 1023

/* usr-merge names at the root: a symlink on the host is one inside too;
 * a real directory (an unmerged host) is bound read-only. */
static const char *const root_links[] = {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"};
static const char *const default_system_dirs[] = {"/usr", "/etc", NULL};
/* Where GTK 3 and 2 look for modules by name. */
static const char *const gtk_module_globs[] = {
    "/usr/lib/*/gtk-3.0/modules", "/usr/lib/gtk-3.0/modules", "/usr/lib64/gtk-3.0/modules",
    "/usr/lib/*/gtk-2.0/modules"};

static void add_args(GStrvBuilder *builder, const char *first, ...) G_GNUC_NULL_TERMINATED;

static void
add_args(GStrvBuilder *builder, const char *first, ...)
{
    va_list args;
    va_start(args, first);
    for (const char *arg = first; arg != NULL; arg = va_arg(args, const char *))
        g_strv_builder_add(builder, arg);
    va_end(args);
}

static void
add_size(GStrvBuilder *builder, gsize size)
{
    g_autofree char *text = g_strdup_printf("%" G_GSIZE_FORMAT, size);
    add_args(builder, "--size", text, NULL);
}

/* TRUE when path is dir or beneath it (both canonical, absolute). */
static gboolean
path_is_under(const char *path, const char *dir)
{
    gsize length = strlen(dir);
    if (strcmp(dir, "/") == 0)
        return TRUE;
    return strncmp(path, dir, length) == 0 && (path[length] == '\0' || path[length] == '/');
}

static gboolean
path_is_clean(const char *path)
{
    if (path == NULL || !g_path_is_absolute(path) || strlen(path) > 4095)
        return FALSE;
    g_auto(GStrv) parts = g_strsplit(path, "/", -1);
    for (guint i = 0; parts[i] != NULL; i++)
        if (strcmp(parts[i], "..") == 0 || strcmp(parts[i], ".") == 0)
            return FALSE;
    return TRUE;
}

static void
add_namespaces(GStrvBuilder *builder, int status_fd)
{
    g_autofree char *fd = g_strdup_printf("%d", status_fd);
    add_args(builder, "--unshare-user", "--disable-userns", "--unshare-ipc", "--unshare-pid",
             "--unshare-net", "--unshare-uts", "--unshare-cgroup-try", "--hostname", "viewer",
             "--die-with-parent", "--new-session", "--cap-drop", "ALL", NULL);
    if (status_fd >= 0)
        add_args(builder, "--json-status-fd", fd, NULL);
}

static void
add_system(GStrvBuilder *builder, const char *const *system_dirs)
{
    for (guint i = 0; system_dirs[i] != NULL; i++)
        add_args(builder, "--ro-bind", system_dirs[i], system_dirs[i], NULL);
    for (guint i = 0; i < G_N_ELEMENTS(root_links); i++) {
        struct stat st;
        if (lstat(root_links[i], &st) != 0)
            continue;
        if (S_ISLNK(st.st_mode)) {
            g_autofree char *target = g_file_read_link(root_links[i], NULL);
            if (target != NULL)
                add_args(builder, "--symlink", target, root_links[i], NULL);
        } else if (S_ISDIR(st.st_mode)) {
            add_args(builder, "--ro-bind", root_links[i], root_links[i], NULL);
        }
    }
    add_args(builder, "--ro-bind-try", "/var/cache/fontconfig", "/var/cache/fontconfig", NULL);
}

/* Cover path (when it lies under a bound system dir): an empty tmpfs over a
 * dir, /dev/null over a file. Symlinks are left: what they name is hidden
 * in its own right when it must be. */
static void
add_hidden(GStrvBuilder *builder, const char *path, const char *const *system_dirs)
{
    gboolean bound = FALSE;
    for (guint i = 0; system_dirs[i] != NULL; i++)
        bound = bound || path_is_under(path, system_dirs[i]);
    struct stat st;
    if (!bound || lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode))
        add_args(builder, "--perms", "0000", "--tmpfs", path, NULL);
    else if (!S_ISLNK(st.st_mode))
        add_args(builder, "--ro-bind", "/dev/null", path, NULL);
}

static void
add_gtk_module_dirs(GStrvBuilder *builder, const char *const *system_dirs)
{
    for (guint i = 0; i < G_N_ELEMENTS(gtk_module_globs); i++) {
        glob_t found;
        if (glob(gtk_module_globs[i], GLOB_NOSORT | GLOB_ONLYDIR, NULL, &found) != 0)
            continue;
        for (size_t j = 0; j < found.gl_pathc; j++)
            add_hidden(builder, found.gl_pathv[j], system_dirs);
        globfree(&found);
    }
}

static void
add_private_dirs(GStrvBuilder *builder)
{
    add_args(builder, "--proc", "/proc", "--dev", "/dev", NULL);
    add_size(builder, VMC_SANDBOX_SMALL_SIZE);
    add_args(builder, "--tmpfs", "/dev/shm", NULL);
    add_size(builder, VMC_SANDBOX_TMP_SIZE);
    add_args(builder, "--tmpfs", "/tmp", "--dir", VMC_SANDBOX_X11_DIR, NULL);
    add_size(builder, VMC_SANDBOX_HOME_SIZE);
    add_args(builder, "--perms", "0700", "--tmpfs", VMC_SANDBOX_HOME, NULL);
    add_size(builder, VMC_SANDBOX_SMALL_SIZE);
    add_args(builder, "--perms", "0700", "--tmpfs", VMC_SANDBOX_RUNTIME_DIR, NULL);
    add_args(builder, "--dir", VMC_SANDBOX_SESSION_DIR, NULL);
}

static gboolean
check_binds(const VmcSandboxSpec *spec, GError **error)
{
    if (spec->n_binds > VMC_SANDBOX_BINDS_MAX) {
        g_set_error(error, VMC_SANDBOX_ERROR, VMC_SANDBOX_ERROR_FAILED,
                    "%u files to bind into the sandbox: at most %u", spec->n_binds,
                    VMC_SANDBOX_BINDS_MAX);
        return FALSE;
    }
    for (guint i = 0; i < spec->n_binds; i++) {
        const VmcSandboxBind *bind = &spec->binds[i];
        if (!path_is_clean(bind->source) || !path_is_clean(bind->target) ||
            !(path_is_under(bind->target, VMC_SANDBOX_SESSION_DIR) ||
              path_is_under(bind->target, VMC_SANDBOX_X11_DIR)) ||
            strcmp(bind->target, VMC_SANDBOX_CONFINE) == 0) {
            g_set_error(error, VMC_SANDBOX_ERROR, VMC_SANDBOX_ERROR_FAILED,
                        "cannot bind %s at %s in the sandbox: absolute paths only, and targets "
                        "under %s or %s",
                        bind->source ? bind->source : "(null)",
                        bind->target ? bind->target : "(null)", VMC_SANDBOX_SESSION_DIR,
                        VMC_SANDBOX_X11_DIR);
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
check_spec(const VmcSandboxSpec *spec, GError **error)
{
    guint n_hide = spec->hide != NULL ? g_strv_length((char **)spec->hide) : 0;
    if (!path_is_clean(spec->viewer) || !path_is_clean(spec->support->bwrap) ||
        !path_is_clean(spec->support->confine) || spec->viewer_argv == NULL ||
        spec->viewer_argv[0] == NULL || spec->report_fd < 0 || spec->report_fd > STATUS_FD_MAX ||
        spec->status_fd > STATUS_FD_MAX) {
        g_set_error(error, VMC_SANDBOX_ERROR, VMC_SANDBOX_ERROR_FAILED,
                    "the sandbox needs absolute paths for bwrap, confine and the viewer");
        return FALSE;
    }
    if (n_hide > VMC_SANDBOX_HIDE_MAX) {
        g_set_error(error, VMC_SANDBOX_ERROR, VMC_SANDBOX_ERROR_FAILED,
                    "%u paths to hide in the sandbox: at most %u", n_hide, VMC_SANDBOX_HIDE_MAX);
        return FALSE;
    }
    for (guint i = 0; i < n_hide; i++) {
        if (!path_is_clean(spec->hide[i])) {
            g_set_error(error, VMC_SANDBOX_ERROR, VMC_SANDBOX_ERROR_FAILED,
                        "cannot hide %s in the sandbox: not an absolute clean path", spec->hide[i]);
            return FALSE;
        }
    }
    return check_binds(spec, error);
}

/* The viewer binary itself when it is not under a system dir (a viewer
 * installed elsewhere by the admin): bound read-only at the same path. */
static gboolean
viewer_is_in_system_dirs(const VmcSandboxSpec *spec, const char *const *system_dirs)
{
    for (guint i = 0; system_dirs[i] != NULL; i++)
        if (path_is_under(spec->viewer, system_dirs[i]))
            return TRUE;
    return FALSE;
}

/* vmconsole-confine's Landlock rules: execute only under the system dirs
 * (and the viewer), read /etc and the session's files, write only the
 * private tmpfs dirs, devices under /dev. */
static void
add_confine(GStrvBuilder *builder, const VmcSandboxSpec *spec, const char *const *system_dirs,
            gboolean bind_viewer)
{
    g_autofree char *report_fd = g_strdup_printf("%d", spec->report_fd);
    add_args(builder, "--", VMC_SANDBOX_CONFINE, NULL);
    for (guint i = 0; system_dirs[i] != NULL; i++)
        add_args(builder, strcmp(system_dirs[i], "/usr") == 0 ? "--exec" : "--read", system_dirs[i],
                 NULL);
    if (bind_viewer)
        add_args(builder, "--exec", spec->viewer, NULL);
    add_args(builder, "--read", "/proc", "--read", "/var/cache/fontconfig", "--read",
             VMC_SANDBOX_SESSION_DIR, "--write", VMC_SANDBOX_HOME, "--write", "/tmp", "--write",
             VMC_SANDBOX_RUNTIME_DIR, "--device", "/dev", "--report-fd", report_fd, "--", NULL);
    for (guint i = 0; spec->viewer_argv[i] != NULL; i++)
        g_strv_builder_add(builder, spec->viewer_argv[i]);
}

GStrv
vmc_sandbox_argv(const VmcSandboxSpec *spec, GError **error)
{
    g_return_val_if_fail(spec != NULL && spec->support != NULL, NULL);
    if (!check_spec(spec, error))
        return NULL;
    const char *const *system_dirs =
        spec->system_dirs != NULL ? spec->system_dirs : default_system_dirs;
    gboolean bind_viewer = !viewer_is_in_system_dirs(spec, system_dirs);

    g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
    g_strv_builder_add(builder, spec->support->bwrap);
    add_namespaces(builder, spec->status_fd);
    add_system(builder, system_dirs);
    for (guint i = 0; spec->hide != NULL && spec->hide[i] != NULL; i++)
        add_hidden(builder, spec->hide[i], system_dirs);
    add_gtk_module_dirs(builder, system_dirs);
    add_private_dirs(builder);
    for (guint i = 0; i < spec->n_binds; i++)
        add_args(builder, "--ro-bind", spec->binds[i].source, spec->binds[i].target, NULL);
    add_args(builder, "--ro-bind", spec->support->confine, VMC_SANDBOX_CONFINE, NULL);
    if (bind_viewer)
        add_args(builder, "--ro-bind", spec->viewer, spec->viewer, NULL);
    add_args(builder, "--remount-ro", "/", "--chdir", VMC_SANDBOX_HOME, NULL);
    add_confine(builder, spec, system_dirs, bind_viewer);
    return g_strv_builder_end(builder);
}
