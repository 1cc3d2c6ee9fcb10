/* fuzz-native-peer.c — libFuzzer target for native mode's attach
 * description (what a session writes in its dir and an attach process
 * sends it): whatever parses must format back to exactly the input, and a
 * description never mismatches itself; every refusal leaves the output
 * untouched. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "native.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    VmcNativePeer peer = {0};
    if (!vmc_native_peer_parse((const char *)data, size, &peer, NULL)) {
        if (peer.token_sha256 != NULL || peer.connection != NULL || peer.vm != NULL)
            abort();
        return 0;
    }
    if (size > VMC_NATIVE_TEXT_MAX)
        abort();
    char *text = vmc_native_peer_format(&peer);
    if (strlen(text) != size || memcmp(text, data, size) != 0)
        abort();
    if (vmc_native_mismatch(&peer, &peer) != NULL)
        abort();
    g_free(text);
    vmc_native_peer_clear(&peer);
    return 0;
}
