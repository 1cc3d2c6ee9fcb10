/* access.c — `vmconsole-admin access`: who may open which VM, and why.
 *
 * The I/O half: reads each VM socket's ACL to learn whom it names, expands
 * groups to their members through NSS, asks the gateway's own decision
 * (vmc_console_decide) for every (VM, identity) and prints the rows.
 */
#include "admin-priv.h"

#include <stdio.h>
#include <unistd.h>

#include "vmc-sessionlog.h"

#define VMC_ADMIN_MAX_ACCOUNTS 200000 /* passwd entries scanned for primary groups */

typedef struct {
    const VmcConfig *config;
    GPtrArray *vms;       /* VM names, sorted, unique */
    GHashTable *problems; /* VM name -> why it has no decisions (no socket, ...) */
    GHashTable *uids;     /* subjects the ACLs name */
    GHashTable *gids;
    GPtrArray *identities; /* VmcIdentity*, sorted by name */
    gboolean failed;       /* an error was reported: exit 1 */
} AccessRun;

static void
access_run_clear(AccessRun *run)
{
    g_clear_pointer(&run->vms, g_ptr_array_unref);
    g_clear_pointer(&run->problems, g_hash_table_unref);
    g_clear_pointer(&run->uids, g_hash_table_unref);
    g_clear_pointer(&run->gids, g_hash_table_unref);
    g_clear_pointer(&run->identities, g_ptr_array_unref);
}

/* ---- VMs ---- */

static gboolean
collect_vms(AccessRun *run, const char *const *given)
{
    if (given == NULL || given[0] == NULL) {
        run->vms = vmc_config_list_vm_names(run->config);
        return TRUE;
    }
    g_autoptr(VmcAdminNameSet) set = vmc_admin_name_set_new();
    gboolean all_valid = TRUE;
    for (guint i = 0; given[i] != NULL; i++) {
        if (vmc_vm_name_is_valid(given[i])) {
            vmc_admin_name_set_add(set, given[i]);
        } else {
            vmc_admin_complain("'%s' is not a VM name ([A-Za-z0-9][A-Za-z0-9._-]{0,63})", given[i]);
            all_valid = FALSE;
        }
    }
    run->vms = vmc_admin_name_set_to_sorted(set);
    return all_valid;
}

/* Read the VM's socket ACL once: note the subjects it names, or why it has none. */
static void
inspect_vm(AccessRun *run, const char *vm)
{
    g_autofree char *path = vmc_config_socket_path(run->config, vm);
    g_autoptr(GError) error = NULL;

    int fd = vmc_acl_pin_socket(path, &error);
    if (fd < 0) {
        const char *what = g_error_matches(error, VMC_ACL_ERROR, VMC_ACL_ERROR_NOT_FOUND)
                               ? "no socket (VM never started?)"
                               : "the socket cannot be used";
        g_hash_table_insert(run->problems, g_strdup(vm),
                            g_strdup_printf("%s: %s", what, error->message));
        return;
    }
    g_autoptr(VmcAcl) acl = vmc_acl_read_pinned(fd, &error);
    close(fd);
    if (acl == NULL) {
        g_hash_table_insert(run->problems, g_strdup(vm),
                            g_strdup_printf("cannot read the socket's ACL: %s", error->message));
        return;
    }
    vmc_acl_add_subjects(acl, run->uids, run->gids);
}

/* ---- NSS: from ids to user names ---- */

/* Add the listed members (gr_mem) of gid to names; FALSE when gid has no group entry. */
static gboolean
add_group_members(gid_t gid, VmcAdminNameSet *names)
{
    g_autoptr(VmcNssGroup) group = NULL;
    if (vmc_nss_get_group_by_gid(gid, &group) != 0 || group == NULL)
        return FALSE;
    for (char **member = group->members; *member != NULL; member++)
        vmc_admin_name_set_add(names, *member);
    return TRUE;
}

typedef struct {
    GHashTable *gids;
    VmcAdminNameSet *names;
} PrimaryMembers;

static void
add_if_primary_member(const VmcNssUser *user, gpointer data)
{
    PrimaryMembers *wanted = data;
    if (g_hash_table_contains(wanted->gids, GUINT_TO_POINTER(user->gid)))
        vmc_admin_name_set_add(wanted->names, user->name);
}

/* Add every account whose primary group is in gids (one bounded passwd scan). */
static void
add_primary_members(GHashTable *gids, VmcAdminNameSet *names)
{
    PrimaryMembers wanted = {gids, names};
    guint scanned = vmc_nss_foreach_user(add_if_primary_member, &wanted, VMC_ADMIN_MAX_ACCOUNTS);
    if (scanned == VMC_ADMIN_MAX_ACCOUNTS)
        vmc_admin_complain("warning: stopped after %u accounts looking for primary-group "
                           "members; name the identities with --identity",
                           (guint)VMC_ADMIN_MAX_ACCOUNTS);
}

/* Everyone the ACLs name: owners and named users, and the members of the
 * owning and named groups (listed members and primary-group members). */
static VmcAdminNameSet *
names_from_acls(AccessRun *run)
{
    VmcAdminNameSet *names = vmc_admin_name_set_new();
    GHashTableIter iter;
    gpointer id;

    g_hash_table_iter_init(&iter, run->uids);
    while (g_hash_table_iter_next(&iter, &id, NULL)) {
        g_autofree char *name = vmc_nss_user_name(GPOINTER_TO_UINT(id));
        if (name != NULL)
            vmc_admin_name_set_add(names, name);
        else
            vmc_admin_complain("warning: an ACL names uid %u, which has no account: not shown",
                               GPOINTER_TO_UINT(id));
    }
    g_hash_table_iter_init(&iter, run->gids);
    while (g_hash_table_iter_next(&iter, &id, NULL)) {
        if (!add_group_members((gid_t)GPOINTER_TO_UINT(id), names))
            vmc_admin_complain("warning: an ACL names gid %u, which has no group entry: only "
                               "accounts with it as primary group are shown",
                               GPOINTER_TO_UINT(id));
    }
    add_primary_members(run->gids, names);
    return names;
}

/* ---- identities ---- */

static void
resolve_identities(AccessRun *run, const char *const *given)
{
    g_autoptr(VmcAdminNameSet) names = NULL;
    gboolean were_given = given != NULL && given[0] != NULL;

    if (were_given) {
        names = vmc_admin_name_set_new();
        for (guint i = 0; given[i] != NULL; i++)
            vmc_admin_name_set_add(names, given[i]);
    } else {
        names = names_from_acls(run);
    }

    g_autoptr(GPtrArray) sorted = vmc_admin_name_set_to_sorted(names);
    for (guint i = 0; i < sorted->len; i++) {
        g_autoptr(GError) error = NULL;
        VmcIdentity *identity = vmc_identity_resolve(sorted->pdata[i], &error);
        if (identity != NULL) {
            g_ptr_array_add(run->identities, identity);
        } else if (were_given) {
            vmc_admin_complain("%s", error->message);
            run->failed = TRUE;
        } else {
            /* e.g. a group still listing a deleted account */
            vmc_admin_complain("warning: %s (a member of a group an ACL names): not shown",
                               error->message);
        }
    }
}

/* ---- the matrix ---- */

static void
add_vm_rows(const AccessRun *run, const char *vm, GPtrArray *rows)
{
    const char *problem = g_hash_table_lookup(run->problems, vm);
    if (problem != NULL) {
        g_ptr_array_add(rows, vmc_admin_access_row_new(vm, NULL, VMC_ACCESS_NO_VM, problem));
        return;
    }
    if (run->identities->len == 0) {
        g_ptr_array_add(rows, vmc_admin_access_row_new(vm, NULL, VMC_ACCESS_NO_VM,
                                                       "nobody to show: the ACLs name no "
                                                       "user with an account"));
        return;
    }
    for (guint i = 0; i < run->identities->len; i++) {
        const VmcIdentity *identity = run->identities->pdata[i];
        g_autoptr(VmcAccessDecision) decision = vmc_console_decide(run->config, identity, vm);
        if (decision == NULL)
            continue; /* only for an invalid VM name, which collect_vms kept out */
        g_ptr_array_add(
            rows, vmc_admin_access_row_new(vm, identity->name, decision->result, decision->reason));
    }
}

static void
print_rows(const AccessRun *run, GPtrArray *rows, gboolean json)
{
    vmc_admin_access_rows_sort(rows);
    if (json) {
        g_autofree char *text = vmc_admin_access_format_json(rows);
        fputs(text, stdout);
    } else if (rows->len == 0) {
        vmc_print_escaped(stdout,
                          "No VMs: the config has no [vm] section and no socket matches "
                          "%.*s\n",
                          VMC_ADMIN_NAME_MAX, run->config->socket_pattern);
    } else {
        g_autofree char *text = vmc_admin_access_format_table(rows);
        fputs(text, stdout);
    }
}

VmcAdminExit
vmc_admin_access(const VmcConfig *config, const char *const *vms, const char *const *identities,
                 gboolean json)
{
    g_return_val_if_fail(config != NULL, VMC_ADMIN_EXIT_ERROR);
    AccessRun run = {
        .config = config,
        .problems = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free),
        .uids = g_hash_table_new(g_direct_hash, g_direct_equal),
        .gids = g_hash_table_new(g_direct_hash, g_direct_equal),
        .identities = g_ptr_array_new_with_free_func((GDestroyNotify)vmc_identity_free),
    };

    if (!collect_vms(&run, vms))
        run.failed = TRUE;
    for (guint i = 0; i < run.vms->len; i++)
        inspect_vm(&run, run.vms->pdata[i]);
    resolve_identities(&run, identities);

    /* Nothing to show when every identity or every VM named was bad: the
     * errors said so. "No VMs at all" in the config is an answer, though. */
    gboolean identities_left =
        identities == NULL || identities[0] == NULL || run.identities->len > 0;
    gboolean vms_left = vms == NULL || vms[0] == NULL || run.vms->len > 0;
    if (identities_left && vms_left) {
        g_autoptr(GPtrArray) rows =
            g_ptr_array_new_with_free_func((GDestroyNotify)vmc_admin_access_row_free);
        for (guint i = 0; i < run.vms->len; i++)
            add_vm_rows(&run, run.vms->pdata[i], rows);
        print_rows(&run, rows, json);
    }

    VmcAdminExit code = run.failed ? VMC_ADMIN_EXIT_ERROR : VMC_ADMIN_EXIT_OK;
    access_run_clear(&run);
    fflush(stdout);
    return code;
}

VmcAdminExit
vmc_admin_cmd_access(const VmcAdminArgs *args)
{
    if (!vmc_admin_args_only(args, "access", VMC_ADMIN_OPT_IDENTITY | VMC_ADMIN_OPT_JSON))
        return VMC_ADMIN_EXIT_USAGE;
    g_autoptr(VmcConfig) config = vmc_admin_load_config(args);
    if (config == NULL)
        return VMC_ADMIN_EXIT_ERROR;
    return vmc_admin_access(config, (const char *const *)&args->words[1],
                            (const char *const *)args->identities, args->json);
}
