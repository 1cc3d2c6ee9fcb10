/* fuzz-native-greeting.c — libFuzzer target for the gateway's greeting in
 * native mode ("vmconsole-native 1 token=HEX64 title=TITLE"), which comes
 * from the host: hostile bytes. Invariants: an accepted line has the exact
 * shape, the token is 64 lower-case hex digits, the title is non-empty,
 * bounded, valid UTF-8 without control characters, and the output untouched
 * on refusal. The Spice channel-type peek gets the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "native-priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    VmcNativeGreeting greeting = {.title = NULL};
    if (vmc_native_parse_greeting((const char *)data, size, "vm", &greeting)) {
        if (size > VMC_NATIVE_LINE_MAX || strlen(greeting.token) != VMC_NATIVE_TOKEN_HEX ||
            memcmp(data, "vmconsole-native 1 token=", 25) != 0 ||
            memcmp(data + 25, greeting.token, VMC_NATIVE_TOKEN_HEX) != 0)
            abort();
        for (const char *p = greeting.token; *p != '\0'; p++)
            if (!g_ascii_isdigit(*p) && !(*p >= 'a' && *p <= 'f'))
                abort();
        gsize n = strlen(greeting.title);
        if (n == 0 || n > VMC_NATIVE_TITLE_MAX || !g_utf8_validate(greeting.title, -1, NULL))
            abort();
        for (const char *p = greeting.title; *p != '\0'; p = g_utf8_next_char(p))
            if (g_unichar_iscntrl(g_utf8_get_char(p)))
                abort();
        vmc_native_greeting_clear(&greeting);
    } else if (greeting.title != NULL) {
        abort();
    }
    int type = vmc_native_link_channel_type(data, size);
    if (type == 0 || type > 255 || (type > 0 && (size < 21 || memcmp(data, "REDQ", 4) != 0)))
        abort();
    return 0;
}
