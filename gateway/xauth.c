/* xauth.c — the viewer's private X authority file, without running xauth(1).
 *
 * The account's authority file (written by sshd for each session's display)
 * is read once, bounded, and the entries for our display are copied verbatim
 * into the session's own file. Pure apart from vmc_xauth_copy_for_display().
 *
 * Format (Xau): records of  u16 family, then four counted strings (u16
 * big-endian length + bytes): address, display number, auth name, auth data.
 */
#include "session-priv.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define FAMILY_LOCAL 256  /* address: the host name */
#define FAMILY_WILD 65535 /* any address */

typedef struct {
    const guint8 *p;
    gsize left;
} Reader;

static gboolean
read_u16(Reader *r, guint *ret)
{
    if (r->left < 2)
        return FALSE;
    *ret = (guint)r->p[0] << 8 | r->p[1];
    r->p += 2;
    r->left -= 2;
    return TRUE;
}

static gboolean
read_counted(Reader *r, const guint8 **ret_bytes, guint *ret_length)
{
    if (!read_u16(r, ret_length) || r->left < *ret_length)
        return FALSE;
    *ret_bytes = r->p;
    r->p += *ret_length;
    r->left -= *ret_length;
    return TRUE;
}

static gboolean
counted_is(const guint8 *bytes, guint length, const char *text)
{
    return length == strlen(text) && memcmp(bytes, text, length) == 0;
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
address_is_local(guint family, const guint8 *address, guint length, const char *hostname)
{
    if (family == FAMILY_WILD)
        return TRUE;
    return family == FAMILY_LOCAL && counted_is(address, length, hostname);
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

    GByteArray *out = g_byte_array_new();
    Reader r = {data, length};
    guint entries = 0;
    while (r.left > 0 && entries < VMC_XAUTH_ENTRIES_MAX) {
        const guint8 *start = r.p, *address, *num, *name, *secret;
        guint family, address_len, num_len, name_len, secret_len;
        if (!read_u16(&r, &family) || !read_counted(&r, &address, &address_len) ||
            !read_counted(&r, &num, &num_len) || !read_counted(&r, &name, &name_len) ||
            !read_counted(&r, &secret, &secret_len))
            break; /* a damaged tail: keep what came before, as libXau does */
        entries++;
        (void)name;
        (void)secret;
        if (counted_is(num, num_len, number) &&
            address_is_local(family, address, address_len, hostname))
            g_byte_array_append(out, start, (guint)(r.p - start));
    }
    if (out->len == 0) {
        g_byte_array_unref(out);
        return NULL;
    }
    return g_byte_array_free_to_bytes(out);
}

static void
put_counted(GByteArray *out, const guint8 *bytes, guint length)
{
    guint8 size[2] = {(guint8)(length >> 8), (guint8)(length & 0xff)};
    g_byte_array_append(out, size, 2);
    g_byte_array_append(out, bytes, length);
}

GBytes *
vmc_xauth_retarget(GBytes *entries, const char *number)
{
    g_return_val_if_fail(entries != NULL && number != NULL, NULL);
    gsize length = 0;
    const guint8 *data = g_bytes_get_data(entries, &length);
    GByteArray *out = g_byte_array_new();
    Reader r = {data, length};
    while (r.left > 0) {
        const guint8 *address, *num, *name, *secret;
        guint family, address_len, num_len, name_len, secret_len;
        if (!read_u16(&r, &family) || !read_counted(&r, &address, &address_len) ||
            !read_counted(&r, &num, &num_len) || !read_counted(&r, &name, &name_len) ||
            !read_counted(&r, &secret, &secret_len))
            break;
        guint8 wild[2] = {FAMILY_WILD >> 8, FAMILY_WILD & 0xff};
        g_byte_array_append(out, wild, 2);
        put_counted(out, (const guint8 *)"", 0);
        put_counted(out, (const guint8 *)number, (guint)strlen(number));
        put_counted(out, name, name_len);
        put_counted(out, secret, secret_len);
    }
    return g_byte_array_free_to_bytes(out);
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
