/* fuzz-x11-input.c — libFuzzer target for the X11 input follower. The input
 * is a script of chunks: a byte whose top bit is the direction (set: from
 * the server) and whose low 7 bits are the chunk's length, then the chunk.
 * The script is fed twice, as written and one byte at a time: the two must
 * agree on everything (chunk boundaries never matter), nothing is counted
 * once it stopped, and what feed returned never exceeds what it saw. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmc-x11.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
run(const uint8_t *data, size_t size, gboolean bytewise, VmcX11InputStats *ret_stats,
    gboolean *ret_stopped)
{
    g_autoptr(VmcX11Input) input = vmc_x11_input_new();
    guint64 counted = 0;
    for (size_t at = 0; at < size;) {
        VmcX11Direction dir = (data[at] & 0x80) ? VMC_X11_FROM_SERVER : VMC_X11_FROM_CLIENT;
        size_t n = MIN((size_t)(data[at] & 0x7f), size - at - 1);
        const uint8_t *chunk = data + at + 1;
        at += 1 + n;
        gboolean was_stopped = vmc_x11_input_stopped(input) != NULL;
        for (size_t done = 0; done < n || n == 0;) {
            size_t step = bytewise ? 1 : n;
            guint got = vmc_x11_input_feed(input, dir, chunk + done, MIN(step, n - done));
            if (got > 0 && (was_stopped || vmc_x11_input_stopped(input) != NULL))
                abort();
            counted += got;
            done += step;
            if (n == 0)
                break;
        }
    }
    vmc_x11_input_get_stats(input, ret_stats);
    if (counted > ret_stats->core_input + ret_stats->xi2_input)
        abort();
    if (ret_stats->xinput_opcode < 0 || ret_stats->xinput_opcode > 255)
        abort();
    *ret_stopped = vmc_x11_input_stopped(input) != NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    VmcX11InputStats whole, bytes;
    gboolean whole_stopped, bytes_stopped;
    run(data, size, FALSE, &whole, &whole_stopped);
    run(data, size, TRUE, &bytes, &bytes_stopped);
    if (whole_stopped != bytes_stopped || memcmp(&whole, &bytes, sizeof whole) != 0)
        abort();
    return 0;
}
