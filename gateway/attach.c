/* attach.c — "attach TOKEN": one Spice connection of a native session's
 * viewer, brought by a further exec channel of the session's SSH connection.
 *
 * Find the live session whose description (its dir's VMC_NATIVE_INFO_FILE)
 * holds the token's hash, with the same SSH connection, key and identity;
 * connect to its VMC_NATIVE_SOCKET, send our own description and hand over
 * stdin and stdout (SCM_RIGHTS); the session checks again and makes them a
 * relay connection. Then wait, holding the channel open, until the session
 * closes the control connection (the relay connection ended). Every refusal
 * reads the same to the person; the denied record names the reason.
 */
#include "gateway-priv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "native.h"
#include "vmc-sessionlog.h"

typedef struct {
    char *dir;          /* the session dir (RUN/session-ID) */
    VmcNativePeer peer; /* its description */
} Found;

static VmcExit
refuse_attach(const VmcGateway *gateway, const char *vm, const char *reason)
{
    /* the token is a secret: the record shows the request without it */
    VmcGateway redacted = *gateway;
    redacted.raw_request = "attach (token withheld)";
    redacted.raw_length = strlen(redacted.raw_request);
    VmcExit code = vmc_gateway_refuse(VMC_EXIT_NOT_RUNNING, VMC_NATIVE_REFUSAL);
    g_autofree char *why = g_strdup_printf("attach: %s", reason);
    g_autoptr(GError) error = NULL;
    if (!vmc_gateway_record_denied(&redacted, NULL, vm, why, code, &error))
        vmc_print_escaped(stderr, "vmconsole-gateway: the denied record could not be written: %s\n",
                          error->message);
    return code;
}

/* The description in one session dir entry, when it is a native session's. */
static gboolean
read_description(int run_fd, const char *name, VmcNativePeer *ret_peer)
{
    int dir_fd = openat(run_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir_fd < 0)
        return FALSE;
    const VmcFileRules rules = {.owner = geteuid(), .max_size = VMC_NATIVE_TEXT_MAX};
    gsize length = 0;
    g_autofree char *text =
        vmc_file_read(dir_fd, VMC_NATIVE_INFO_FILE, VMC_NATIVE_INFO_FILE, &rules, &length, NULL);
    close(dir_fd);
    return text != NULL && vmc_native_peer_parse(text, length, ret_peer, NULL);
}

/* Look at every session dir (bounded), comparing each description's hash in
 * constant time, so how long this takes says nothing of the token. */
static gboolean
find_session(const char *run_dir, const char *hash, Found *ret_found)
{
    int run_fd = vmc_console_run_dir_open(run_dir, NULL);
    if (run_fd < 0)
        return FALSE;
    int list_fd = dup(run_fd);
    DIR *dir = list_fd >= 0 ? fdopendir(list_fd) : NULL;
    if (dir == NULL) {
        if (list_fd >= 0)
            close(list_fd);
        close(run_fd);
        return FALSE;
    }
    gboolean found = FALSE;
    guint seen = 0;
    for (struct dirent *entry; (entry = readdir(dir)) != NULL && seen < VMC_SWEEP_CANDIDATES_MAX;) {
        if (!g_str_has_prefix(entry->d_name, VMC_SESSION_DIR_PREFIX))
            continue;
        seen++;
        VmcNativePeer peer = {0};
        if (!read_description(run_fd, entry->d_name, &peer))
            continue;
        if (!found && vmc_native_equal(peer.token_sha256, hash)) {
            ret_found->dir = g_build_filename(run_dir, entry->d_name, NULL);
            ret_found->peer = peer;
            found = TRUE;
        } else {
            vmc_native_peer_clear(&peer);
        }
    }
    closedir(dir);
    close(run_fd);
    return found;
}

static int
connect_session(const char *dir)
{
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    g_autofree char *path = g_build_filename(dir, VMC_NATIVE_SOCKET, NULL);
    if (strlen(path) >= sizeof address.sun_path)
        return -1;
    strcpy(address.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* Our description and our stdin and stdout, in one message. */
static gboolean
send_channel(int fd, const char *text)
{
    int fds[2] = {STDIN_FILENO, STDOUT_FILENO};
    union {
        char buf[CMSG_SPACE(sizeof fds)];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct iovec iov = {(void *)text, strlen(text)};
    struct msghdr msg = {.msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = control.buf,
                         .msg_controllen = sizeof control.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof fds);
    memcpy(CMSG_DATA(c), fds, sizeof fds);
    return sendmsg(fd, &msg, MSG_NOSIGNAL) == (ssize_t)iov.iov_len;
}

/* The session's answer: "y", or "n" and why (NUL-terminated into why). */
static gboolean
read_answer(int fd, char *why, gsize size)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, VMC_NATIVE_HANDSHAKE_TIMEOUT_MS) != 1) {
        g_strlcpy(why, "the session did not answer", size);
        return FALSE;
    }
    char answer[256];
    ssize_t n = recv(fd, answer, sizeof answer - 1, 0);
    if (n == 1 && answer[0] == 'y')
        return TRUE;
    if (n > 1 && answer[0] == 'n') {
        answer[n] = '\0';
        g_autofree char *escaped = vmc_text_escape(answer + 1, n - 1, 200);
        g_strlcpy(why, escaped, size);
    } else {
        g_strlcpy(why, "the session has ended", size);
    }
    return FALSE;
}

/* Hold the channel until the session closes the control connection: sshd
 * drops a channel's input once its process exits. Our own copies of stdin
 * and stdout go, so that the session's are the only ones. */
static void
hold_channel(int fd)
{
    int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd >= 0) {
        dup2(null_fd, STDIN_FILENO);
        dup2(null_fd, STDOUT_FILENO);
        close(null_fd);
    }
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, -1) < 0 && errno == EINTR)
            continue;
        char byte;
        ssize_t n = recv(fd, &byte, 1, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            return;
    }
}

VmcExit
vmc_gateway_attach(const VmcGateway *gateway, const VmcRequest *request)
{
    g_autofree char *hash = vmc_native_token_sha256(request->token);
    VmcNativePeer mine = {hash, gateway->ssh->connection, gateway->ssh->key_fingerprint,
                          (char *)gateway->identity_name, (char *)""};
    Found found = {0};
    if (!find_session(gateway->config->run_dir, hash, &found))
        return refuse_attach(gateway, NULL, "no live native session has this token");
    g_autofree char *dir = found.dir;
    g_autofree char *vm = g_strdup(found.peer.vm);
    mine.vm = vm;
    const char *mismatch = vmc_native_mismatch(&found.peer, &mine);
    vmc_native_peer_clear(&found.peer);
    if (mismatch != NULL)
        return refuse_attach(gateway, vm, mismatch);

    int fd = connect_session(dir);
    if (fd < 0)
        return refuse_attach(gateway, vm, "the session has ended");
    g_autofree char *text = vmc_native_peer_format(&mine);
    char why[256] = "the session has ended";
    if (!send_channel(fd, text) || !read_answer(fd, why, sizeof why)) {
        close(fd);
        return refuse_attach(gateway, vm, why);
    }
    hold_channel(fd);
    close(fd);
    return VMC_EXIT_OK;
}
