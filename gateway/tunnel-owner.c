/* tunnel-owner.c — the pure parts of vmconsole-tunnel-check (see
 * tunnel-owner.h): /proc text in, numbers out, nothing trusted. */
#include "tunnel-owner.h"

#include <string.h>

static const char *const sshd_paths[] = {
    "/usr/sbin/sshd",
    "/usr/lib/openssh/sshd-session",
    "/usr/libexec/openssh/sshd-session",
    "/usr/libexec/sshd-session",
    NULL,
};

int
vmc_tunnel_is_sshd(const char *exe)
{
    for (size_t i = 0; exe != NULL && sshd_paths[i] != NULL; i++)
        if (strcmp(exe, sshd_paths[i]) == 0)
            return 1;
    return 0;
}

long
vmc_tunnel_parse_port(const char *text)
{
    long value = 0;
    size_t n = text != NULL ? strlen(text) : 0;
    if (n == 0 || n > 5 || text[0] == '0')
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        value = value * 10 + (text[i] - '0');
    }
    return value <= 65535 ? value : -1;
}

/* The next space-separated word of [*p, end): its start and length. */
static int
next_word(const char **p, const char *end, const char **ret_word, size_t *ret_length)
{
    while (*p < end && (**p == ' ' || **p == '\t'))
        (*p)++;
    const char *word = *p;
    while (*p < end && **p != ' ' && **p != '\t' && **p != '\n')
        (*p)++;
    *ret_word = word;
    *ret_length = (size_t)(*p - word);
    return *ret_length > 0;
}

static int
hex_value(const char *s, size_t n, unsigned long *ret)
{
    unsigned long v = 0;
    if (n == 0 || n > 8)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return 0;
        v = v * 16 + (unsigned long)d;
    }
    *ret = v;
    return 1;
}

static int
dec_value(const char *s, size_t n, unsigned long *ret)
{
    unsigned long v = 0;
    if (n == 0 || n > 19)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    *ret = v;
    return 1;
}

/* One line "sl: ADDR:PORT REMOTE ST TX:RX TR:WHEN RETR UID TIMEOUT INODE ...". */
static int
parse_line(const char *p, const char *end, unsigned port, unsigned long *ret_inode)
{
    const char *w[10];
    size_t n[10];
    for (int i = 0; i < 10; i++)
        if (!next_word(&p, end, &w[i], &n[i]))
            return -1;
    const char *colon = memchr(w[1], ':', n[1]);
    unsigned long local_port, state, inode;
    if (colon == NULL || !hex_value(colon + 1, (size_t)(w[1] + n[1] - colon - 1), &local_port) ||
        !hex_value(w[3], n[3], &state) || !dec_value(w[9], n[9], &inode))
        return -1;
    *ret_inode = state == 0x0A && local_port == port ? inode : 0;
    return 0;
}

int
vmc_tunnel_listeners(const char *text, size_t length, unsigned port, unsigned long *inodes,
                     size_t max, size_t *n)
{
    const char *p = text, *end = text + length;
    const char *nl = memchr(p, '\n', length);
    if (nl == NULL)
        return length == 0 ? 0 : -1;
    for (p = nl + 1; p < end; p = nl + 1) {
        nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL)
            nl = end;
        unsigned long inode = 0;
        if (parse_line(p, nl, port, &inode) != 0)
            return -1;
        if (inode == 0)
            continue;
        if (*n >= max)
            return -1;
        inodes[(*n)++] = inode;
    }
    return 0;
}

long
vmc_tunnel_stat_ppid(const char *text, size_t length)
{
    /* "pid (comm) state ppid": comm may hold anything, so from the last ')' */
    const char *paren = NULL;
    for (const char *p = text; p < text + length; p++)
        if (*p == ')')
            paren = p;
    if (paren == NULL)
        return -1;
    const char *p = paren + 1, *end = text + length, *w;
    size_t n;
    unsigned long ppid;
    if (!next_word(&p, end, &w, &n) || n != 1 || !next_word(&p, end, &w, &n) ||
        !dec_value(w, n, &ppid) || ppid > 0x7fffffffUL)
        return -1;
    return (long)ppid;
}

long
vmc_tunnel_status_field(const char *text, size_t length, const char *key)
{
    size_t k = strlen(key);
    const char *p = text, *end = text + length;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl != NULL ? nl : end;
        if ((size_t)(line_end - p) > k + 1 && memcmp(p, key, k) == 0 && p[k] == ':') {
            const char *q = p + k + 1, *w;
            size_t n;
            unsigned long v;
            if (!next_word(&q, line_end, &w, &n) || !dec_value(w, n, &v) || v > 0x7fffffffUL)
                return -1;
            return (long)v;
        }
        p = line_end + 1;
    }
    return -1;
}
