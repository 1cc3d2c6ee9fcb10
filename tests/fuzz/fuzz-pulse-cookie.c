/* fuzz-pulse-cookie.c — libFuzzer target for the sound cookie's hex text
 * (vmc_pulse_cookie_from_hex, what the gateway reads from stdin). Whatever is
 * accepted is exactly the lowercase hex of the cookie it gives back; whatever
 * is refused fails with VMC_PULSE_ERROR_INVALID, never echoes the input and
 * leaves the output untouched. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmc-pulse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SECRET_PREFIX 16 /* hex digits no error message could hold by chance */

static gboolean
starts_with_hex(const uint8_t *data, size_t size)
{
    if (size < SECRET_PREFIX)
        return FALSE;
    for (size_t i = 0; i < SECRET_PREFIX; i++)
        if (!g_ascii_isxdigit(data[i]) || g_ascii_isupper(data[i]))
            return FALSE;
    return TRUE;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    guint8 cookie[VMC_PULSE_COOKIE_SIZE];
    g_autoptr(GError) error = NULL;

    memset(cookie, 0xa5, sizeof(cookie));
    if (!vmc_pulse_cookie_from_hex((const char *)data, size, cookie, &error)) {
        if (error == NULL || !g_error_matches(error, VMC_PULSE_ERROR, VMC_PULSE_ERROR_INVALID))
            abort();
        for (gsize i = 0; i < sizeof(cookie); i++)
            if (cookie[i] != 0xa5)
                abort();
        if (starts_with_hex(data, size) &&
            memmem(error->message, strlen(error->message), data, SECRET_PREFIX) != NULL)
            abort(); /* the secret's text is never echoed */
        return 0;
    }
    g_autofree char *hex = vmc_pulse_cookie_to_hex(cookie);
    if (error != NULL || size != VMC_PULSE_COOKIE_HEX || memcmp(hex, data, size) != 0)
        abort();
    return 0;
}
