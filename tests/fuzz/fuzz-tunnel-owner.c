/* fuzz-tunnel-owner.c — libFuzzer target for vmconsole-tunnel-check's
 * parsers (tunnel-owner.c): /proc/net/tcp text, /proc/PID/stat and status.
 * The kernel writes them, but the helper runs with CAP_SYS_PTRACE and must
 * not trust a byte. Invariants: never more listeners than the bound; every
 * inode found is a nonzero number; a parent pid or field is -1 or in range. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tunnel-owner.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    unsigned port = size >= 2 ? (unsigned)(data[0] << 8 | data[1]) : 0;
    unsigned long inodes[VMC_TUNNEL_LISTENERS_MAX];
    size_t n = 0;
    int r = vmc_tunnel_listeners(text, size, port, inodes, VMC_TUNNEL_LISTENERS_MAX, &n);
    if (n > VMC_TUNNEL_LISTENERS_MAX || (r != 0 && r != -1))
        abort();
    for (size_t i = 0; i < n; i++)
        if (inodes[i] == 0)
            abort();
    long ppid = vmc_tunnel_stat_ppid(text, size);
    long uid = vmc_tunnel_status_field(text, size, "Uid");
    if (ppid < -1 || ppid > 0x7fffffffL || uid < -1 || uid > 0x7fffffffL)
        abort();
    char port_text[8];
    size_t k = size < sizeof port_text - 1 ? size : sizeof port_text - 1;
    memcpy(port_text, data, k);
    port_text[k] = '\0';
    long p = vmc_tunnel_parse_port(port_text);
    if (p != -1 && (p < 1 || p > 65535))
        abort();
    return 0;
}
