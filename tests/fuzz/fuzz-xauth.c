/* fuzz-xauth.c — libFuzzer target for the X authority reader: any bytes, for
 * a few displays; what is selected must be whole entries of the input, in
 * order (so a prefix-free re-parse selects all of it again). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session-priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const displays[] = {"localhost:10.0", ":0", "unix:1", "h:10", "x:y"};
    for (size_t i = 0; i < G_N_ELEMENTS(displays); i++) {
        g_autoptr(GBytes) got = vmc_xauth_select(data, size, displays[i], "h");
        if (got == NULL)
            continue;
        gsize length;
        const guint8 *bytes = g_bytes_get_data(got, &length);
        if (length == 0 || length > size)
            abort();
        g_autoptr(GBytes) again = vmc_xauth_select(bytes, length, displays[i], "h");
        if (again == NULL || !g_bytes_equal(got, again))
            abort();
    }
    return 0;
}
