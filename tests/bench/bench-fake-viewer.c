/* bench-fake-viewer.c — stands in for remote-viewer in bench-start: takes the
 * clock the moment it runs, connects to the spice+unix:// URI it is given (the
 * gateway's relay, or the VM socket directly) and sends a Spice link message
 * whose connection_id carries that clock (CLOCK_MONOTONIC microseconds, low 32
 * bits), so the far end learns when the viewer started. Then it waits for the
 * far end to close and exits 0. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static uint32_t
now_us32(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
}

static void
put32(unsigned char *p, uint32_t v)
{
    p[0] = v & 0xff;
    p[1] = (v >> 8) & 0xff;
    p[2] = (v >> 16) & 0xff;
    p[3] = (v >> 24) & 0xff;
}

int
main(int argc, char **argv)
{
    uint32_t started = now_us32();
    const char *uri = argv[argc - 1];
    const char *prefix = "spice+unix://";
    if (argc < 2 || strncmp(uri, prefix, strlen(prefix)) != 0)
        return 2;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", uri + strlen(prefix));
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0)
        return 3;

    /* SpiceLinkHeader (magic, major 2, minor 2, size) + SpiceLinkMess for the
     * main channel with no caps: 16 + 18 bytes. */
    unsigned char link[34] = {'R', 'E', 'D', 'Q'};
    put32(link + 4, 2);
    put32(link + 8, 2);
    put32(link + 12, 18);
    put32(link + 16, started); /* connection_id */
    link[20] = 1;              /* channel type main */
    link[21] = 0;              /* channel id */
    put32(link + 22, 0);       /* common caps */
    put32(link + 26, 0);       /* channel caps */
    put32(link + 30, 18);      /* caps offset */
    if (write(fd, link, sizeof link) != (ssize_t)sizeof link)
        return 4;
    char buf[256];
    while (read(fd, buf, sizeof buf) > 0) {
    }
    return 0;
}
