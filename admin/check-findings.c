/* check-findings.c — what `check` reports, and the review of an
 * authorized_keys file's lines. Pure. */
#include "admin-priv.h"

#include <stdarg.h>
#include <string.h>

#include "vmc-sessionlog.h"

#define FINDING_PART_MAX 600 /* bytes of each escaped part of a finding */

/* Options that undo part of `restrict` in a way the gateway never needs. */
static const char *const unsafe_options[] = {
    "pty", "user-rc", "agent-forwarding", "environment", "permitopen", NULL,
};

void
vmc_admin_finding_add(GPtrArray *findings, const char *area, const char *where, const char *todo,
                      const char *what_format, ...)
{
    va_list args;
    va_start(args, what_format);
    VmcAdminFinding *finding = g_new0(VmcAdminFinding, 1);
    finding->what = g_strdup_vprintf(what_format, args);
    va_end(args);
    finding->area = g_strdup(area);
    finding->where = g_strdup(where);
    finding->todo = g_strdup(todo);
    g_ptr_array_add(findings, finding);
}

void
vmc_admin_finding_free(VmcAdminFinding *finding)
{
    if (finding == NULL)
        return;
    g_free(finding->area);
    g_free(finding->what);
    g_free(finding->where);
    g_free(finding->todo);
    g_free(finding);
}

char *
vmc_admin_finding_format(const VmcAdminFinding *finding)
{
    g_autofree char *area = vmc_text_escape(finding->area, -1, FINDING_PART_MAX);
    g_autofree char *what = vmc_text_escape(finding->what, -1, FINDING_PART_MAX);
    g_autofree char *where = vmc_text_escape(finding->where, -1, FINDING_PART_MAX);
    g_autofree char *todo = vmc_text_escape(finding->todo, -1, FINDING_PART_MAX);
    /* "… on PATH" adds nothing when the message already names the place */
    if (where[0] == '\0' || strstr(what, where) != NULL)
        return g_strdup_printf("%s: problem: %s -- do: %s", area, what, todo);
    return g_strdup_printf("%s: problem: %s on %s -- do: %s", area, what, where, todo);
}

/* ---- authorized_keys review ---- */

typedef struct {
    const char *where; /* file name */
    VmcAdminIdentityProblemFunc identity_problem;
    gpointer user_data;
    GPtrArray *findings;
    GHashTable *blobs;   /* blob (or principal) -> first line number */
    gboolean principals; /* an AuthorizedPrincipalsFile */
} KeysReview;

static void G_GNUC_PRINTF(4, 5)
    keys_problem(KeysReview *review, guint line, const char *todo, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    g_autofree char *what = g_strdup_vprintf(format, args);
    va_end(args);
    g_autofree char *where = g_strdup_printf("%s line %u", review->where, line);
    vmc_admin_finding_add(review->findings, "keys", where, todo, "%s", what);
}

static void
review_command(KeysReview *review, guint line, const VmcAuthKey *key)
{
    const VmcAuthKeyOption *command = vmc_authkey_find_option(key, "command");
    if (command == NULL || command->value == NULL) {
        keys_problem(review, line, "replace it with the line `vmconsole-admin authorize` prints",
                     "key without command= (it could run anything)");
        return;
    }
    g_autofree char *identity = vmc_authkey_gateway_identity(command->value);
    if (identity == NULL && vmc_authkey_gateway_without_identity(command->value)) {
        keys_problem(review, line,
                     "add --identity NAME, the person's own user (vmconsole-admin authorize "
                     "prints the line)",
                     "command= runs the gateway with no --identity: the identity is then the "
                     "account itself, which has rw on every VM socket (the key opens every VM)");
        return;
    }
    if (identity == NULL) {
        keys_problem(review, line, "replace it with the line `vmconsole-admin authorize` prints",
                     "command= is not the gateway with --identity NAME");
        return;
    }
    g_autofree char *problem = review->identity_problem != NULL
                                   ? review->identity_problem(identity, review->user_data)
                                   : NULL;
    if (problem != NULL)
        keys_problem(review, line,
                     "give the key the person's own user name as --identity (vmconsole-admin "
                     "authorize prints the line), or create that user",
                     "%s", problem);
}

static void
review_key(KeysReview *review, guint line, const VmcAuthKey *key)
{
    if (vmc_authkey_find_option(key, "restrict") == NULL)
        keys_problem(review, line, "replace it with the line `vmconsole-admin authorize` prints",
                     "key without restrict (forwarding, pty and user rc stay allowed)");
    review_command(review, line, key);
    for (guint i = 0; unsafe_options[i] != NULL; i++)
        if (vmc_authkey_find_option(key, unsafe_options[i]) != NULL)
            keys_problem(review, line, "remove the option", "key option %s undoes part of restrict",
                         unsafe_options[i]);
    const char *what = review->principals ? key->principal : key->blob;
    gpointer first = g_hash_table_lookup(review->blobs, what);
    if (first != NULL)
        keys_problem(review, line, "remove one of the two lines",
                     "the same %s as on line %u (sshd uses only the first)",
                     review->principals ? "principal" : "key", GPOINTER_TO_UINT(first));
    else
        g_hash_table_insert(review->blobs, g_strdup(what), GUINT_TO_POINTER(line));
}

/* Call func for each line of text (without its newline), at most
 * VMC_AUTHKEYS_FILE_MAX bytes; a NUL ends the text. FALSE from func stops. */
typedef gboolean (*LineFunc)(const char *line, guint number, gpointer data);

static void
for_each_line(const char *text, gsize length, LineFunc func, gpointer data)
{
    length = MIN(length, (gsize)VMC_AUTHKEYS_FILE_MAX);
    length = strnlen(text, length);
    guint number = 0;
    for (gsize start = 0; start < length;) {
        const char *nl = memchr(text + start, '\n', length - start);
        gsize end = nl != NULL ? (gsize)(nl - text) : length;
        g_autofree char *line = g_strndup(text + start, end - start);
        gsize n = strlen(line);
        if (n > 0 && line[n - 1] == '\r')
            line[n - 1] = '\0';
        if (!func(line, ++number, data))
            return;
        start = end + 1;
    }
}

static gboolean
review_line(const char *line, guint number, gpointer data)
{
    KeysReview *review = data;
    if (vmc_authkey_line_is_blank(line))
        return TRUE;
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcAuthKey) key = review->principals ? vmc_authkey_parse_principal(line, &error)
                                                   : vmc_authkey_parse(line, &error);
    if (key == NULL)
        keys_problem(review, number, "fix or remove the line", "a line sshd may not read as %s: %s",
                     review->principals ? "[OPTIONS] PRINCIPAL" : "a key", error->message);
    else
        review_key(review, number, key);
    return TRUE;
}

/* Every line of a key file, or of a principals file (principals). */
static void
review_lines(const char *text, gsize length, const char *where,
             VmcAdminIdentityProblemFunc identity_problem, gpointer user_data, GPtrArray *findings,
             gboolean principals)
{
    g_return_if_fail(text != NULL && where != NULL && findings != NULL);
    KeysReview review = {where,
                         identity_problem,
                         user_data,
                         findings,
                         g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
                         principals};
    for_each_line(text, length, review_line, &review);
    g_hash_table_unref(review.blobs);
}

void
vmc_admin_keys_review(const char *text, gsize length, const char *where,
                      VmcAdminIdentityProblemFunc identity_problem, gpointer user_data,
                      GPtrArray *findings)
{
    review_lines(text, length, where, identity_problem, user_data, findings, FALSE);
}

void
vmc_admin_principals_review(const char *text, gsize length, const char *where,
                            VmcAdminIdentityProblemFunc identity_problem, gpointer user_data,
                            GPtrArray *findings)
{
    review_lines(text, length, where, identity_problem, user_data, findings, TRUE);
}

typedef struct {
    const char *blob; /* or the principal */
    guint found;
    gboolean principals;
} BlobSearch;

static gboolean
search_line(const char *line, guint number, gpointer data)
{
    BlobSearch *search = data;
    if (vmc_authkey_line_is_blank(line))
        return TRUE;
    g_autoptr(VmcAuthKey) key = search->principals ? vmc_authkey_parse_principal(line, NULL)
                                                   : vmc_authkey_parse(line, NULL);
    const char *what = key == NULL ? NULL : search->principals ? key->principal : key->blob;
    if (what != NULL && strcmp(what, search->blob) == 0) {
        search->found = number;
        return FALSE;
    }
    return TRUE;
}

guint
vmc_admin_keys_find_blob(const char *text, gsize length, const char *blob)
{
    g_return_val_if_fail(text != NULL && blob != NULL, 0);
    BlobSearch search = {blob, 0, FALSE};
    for_each_line(text, length, search_line, &search);
    return search.found;
}

guint
vmc_admin_principals_find(const char *text, gsize length, const char *principal)
{
    g_return_val_if_fail(text != NULL && principal != NULL, 0);
    BlobSearch search = {principal, 0, TRUE};
    for_each_line(text, length, search_line, &search);
    return search.found;
}

/* ---- file capabilities ---- */

#define CAP_SYS_PTRACE_BIT 19
#define VFS_CAP_REVISION_MASK 0xff000000u
#define VFS_CAP_FLAGS_EFFECTIVE 0x000001u

static guint32
le32(const guint8 *p)
{
    return (guint32)p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 | (guint32)p[3] << 24;
}

gboolean
vmc_admin_caps_have_ptrace(const guint8 *data, gsize length)
{
    /* struct vfs_cap_data: le32 magic_etc (revision 1, 2 or 3 | effective
     * flag), then le32 permitted / inheritable pairs (revision 3 adds a
     * root uid): 12, 20 or 24 bytes */
    if (data == NULL || (length != 12 && length != 20 && length != 24))
        return FALSE;
    guint32 magic = le32(data), revision = magic & VFS_CAP_REVISION_MASK;
    gsize want = revision == 0x01000000u   ? 12
                 : revision == 0x02000000u ? 20
                 : revision == 0x03000000u ? 24
                                           : 0;
    return want == length && (magic & VFS_CAP_FLAGS_EFFECTIVE) != 0 &&
           (le32(data + 4) & (1u << CAP_SYS_PTRACE_BIT)) != 0;
}
