/* xauth.c — the viewer's private X authority file, without running xauth(1).
 *
 * The account's authority file (written by sshd's xauth for each session's
 * display) is read once, and the entries for our display are copied into the
 * session's own file. The Xau format is read and written by libXau
 * (XauReadAuth, XauWriteAuth) over memory streams; the rest is ours, for
 * reasons measured on Debian 12 (libXau 1.0.9, xauth 1.1.2):
 *
 * - The file is opened and read by common/'s bounded reader (no link
 *   followed, a regular file of the account with one link, at most
 *   VMC_XAUTH_FILE_MAX), not by XauGetAuthByAddr: that one fopen()s whatever
 *   XAUTHORITY names and reads to the end with no bound. A FIFO there blocked
 *   it forever, XAUTHORITY=/dev/zero never returned, a symlink was followed,
 *   a 256 MiB file was read whole. It also returns only the first match (and
 *   treats an empty display number as matching any); we want every entry for
 *   the display, as `xauth nextract` gives them.
 * - No XauLockAuth: it makes FILE-c and FILE-l beside the account's
 *   ~/.Xauthority, and a holder killed meanwhile leaves them: the next
 *   `xauth add` (sshd's, at every login) then waited 20 s and failed
 *   ("timeout in locking authority file"), i.e. no X11 for anyone until the
 *   600 s dead time. We only read, and xauth replaces the file by rename(2)
 *   (strace: FILE-n written, renamed over FILE), so a reader sees a whole
 *   file, old or new. Our own file is created O_EXCL in the private session
 *   dir that nobody else writes: nothing to lock against.
 */
#include "session-priv.h"

#include <X11/Xauth.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Xauth, XauDisposeAuth)

static gboolean
counted_is(const char *bytes, guint length, const char *text)
{
    return length == strlen(text) && (length == 0 || memcmp(bytes, text, length) == 0);
}

gboolean
vmc_xauth_parse_display(const char *display, char **ret_host, char **ret_number)
{
    const char *colon = display != NULL ? strrchr(display, ':') : NULL;
    if (colon == NULL)
        return FALSE;
    const char *number = colon + 1;
    gsize digits = strspn(number, "0123456789");
    if (digits == 0 || digits > 5 || (number[digits] != '\0' && number[digits] != '.'))
        return FALSE;
    *ret_host = g_strndup(display, (gsize)(colon - display));
    *ret_number = g_strndup(number, digits);
    return TRUE;
}

/* Is an entry of this family and address one for our own host? */
static gboolean
entry_is_local(const Xauth *entry, const char *hostname)
{
    if (entry->family == FamilyWild)
        return TRUE;
    return entry->family == FamilyLocal &&
           counted_is(entry->address, entry->address_length, hostname);
}

/* The entries of data (up to a damaged one, at most max) that keep() wants,
 * each passed through rewrite() when it is not NULL, as Xau bytes; NULL when
 * none is wanted. Memory streams only: pure. */
typedef gboolean (*EntryFilter)(const Xauth *entry, gconstpointer data);
typedef void (*EntryRewrite)(Xauth *entry, gconstpointer data);

static GBytes *
transcribe(const guint8 *data, gsize length, guint max, EntryFilter keep, EntryRewrite rewrite,
           gconstpointer user_data)
{
    if (length == 0)
        return NULL;
    FILE *in = fmemopen((void *)data, length, "rb");
    char *buffer = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buffer, &size);
    if (in == NULL || out == NULL)
        g_error("xauth: no memory stream: %s", g_strerror(errno));
    guint kept = 0;
    for (guint seen = 0; seen < max; seen++) {
        g_autoptr(Xauth) entry = XauReadAuth(in); /* NULL: the end, or a damaged tail */
        if (entry == NULL)
            break;
        if (!keep(entry, user_data))
            continue;
        if (rewrite != NULL)
            rewrite(entry, user_data);
        if (XauWriteAuth(out, entry) != 1)
            g_error("xauth: cannot write to memory");
        kept++;
    }
    fclose(in);
    if (fclose(out) != 0)
        g_error("xauth: cannot write to memory");
    if (kept == 0) {
        free(buffer);
        return NULL;
    }
    GBytes *entries = g_bytes_new(buffer, size);
    free(buffer);
    return entries;
}

typedef struct {
    const char *number, *hostname;
} DisplayOf;

static gboolean
entry_is_for_display(const Xauth *entry, gconstpointer data)
{
    const DisplayOf *display = data;
    return counted_is(entry->number, entry->number_length, display->number) &&
           entry_is_local(entry, display->hostname);
}

GBytes *
vmc_xauth_select(const guint8 *data, gsize length, const char *display, const char *hostname)
{
    g_autofree char *host = NULL, *number = NULL;
    if (length > VMC_XAUTH_FILE_MAX || !vmc_xauth_parse_display(display, &host, &number))
        return NULL;
    /* localhost:N and :N and unix:N and our own name:N are this host's displays
     * (sshd's X11 forward); anything else has no entry we could copy. */
    if (host[0] != '\0' && strcmp(host, "localhost") != 0 && strcmp(host, "unix") != 0 &&
        strcmp(host, hostname) != 0)
        return NULL;
    const DisplayOf wanted = {number, hostname};
    return transcribe(data, length, VMC_XAUTH_ENTRIES_MAX, entry_is_for_display, NULL, &wanted);
}

static gboolean
any_entry(const Xauth *entry, gconstpointer data)
{
    return TRUE;
}

/* The entry for display `number` on any host. The fields replaced are
 * libXau's to free (XauDisposeAuth): they are given malloc'd copies. */
static void
entry_retarget(Xauth *entry, gconstpointer data)
{
    const char *number = data;
    free(entry->address);
    free(entry->number);
    entry->family = FamilyWild;
    entry->address = NULL;
    entry->address_length = 0;
    entry->number_length = (unsigned short)strlen(number);
    entry->number = malloc(entry->number_length + 1);
    if (entry->number == NULL)
        g_error("xauth: out of memory");
    memcpy(entry->number, number, entry->number_length + 1);
}

GBytes *
vmc_xauth_retarget(GBytes *entries, const char *number)
{
    g_return_val_if_fail(entries != NULL && number != NULL && strlen(number) <= 5, NULL);
    gsize length = 0;
    const guint8 *data = g_bytes_get_data(entries, &length);
    GBytes *out = transcribe(data, length, G_MAXUINT, any_entry, entry_retarget, number);
    return out != NULL ? out : g_bytes_new(NULL, 0);
}

gboolean
vmc_xauth_copy_for_display(const char *source, const char *display, const char *path,
                           const char *as_number, GError **error)
{
    gsize length = 0;
    char hostname[256] = "";
    /* The account's own file (sshd's xauth writes it): no link, no FIFO. */
    const VmcFileRules rules = {
        .owner = geteuid(), .max_size = VMC_XAUTH_FILE_MAX, .remedy = VMC_RUN_FILE_REMEDY};
    g_autofree char *data = vmc_file_read(AT_FDCWD, source, source, &rules, &length, error);
    if (data == NULL)
        return FALSE;
    gethostname(hostname, sizeof hostname - 1);
    g_autoptr(GBytes) entries = vmc_xauth_select((const guint8 *)data, length, display, hostname);
    if (entries == NULL) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no X11 cookie for display %s in %s",
                    display, source);
        return FALSE;
    }
    if (as_number != NULL) {
        GBytes *retargeted = vmc_xauth_retarget(entries, as_number);
        g_bytes_unref(entries);
        entries = retargeted;
    }
    int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    gsize size = g_bytes_get_size(entries);
    if (out < 0 || write(out, g_bytes_get_data(entries, NULL), size) != (ssize_t)size) {
        int saved = errno;
        if (out >= 0)
            close(out);
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved), "cannot write %s: %s", path,
                    g_strerror(saved));
        return FALSE;
    }
    close(out);
    return TRUE;
}
