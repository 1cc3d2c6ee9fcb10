/* fuzz-pulse-auth.c — libFuzzer target for the guard's judge of a client's
 * first packet (vmc_pulse_auth_judge: what a stranger on the host sends to
 * the tunnelled port first). Invariants: OK only for a packet within the
 * input that carries exactly the cookie where the AUTH command has it; MORE
 * only while the input is shorter than the bound; an OK packet cut off from
 * what follows it is judged OK again, with the same size. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pulse-priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    guint8 cookie[VMC_PULSE_COOKIE_SIZE];
    memset(cookie, 0x5a, sizeof cookie); /* inputs that start with the real header get far */
    gsize packet = 0;
    guint32 tag = 0;
    gboolean known = FALSE;
    VmcPulseAuthVerdict verdict = vmc_pulse_auth_judge(data, size, cookie, &packet, &tag, &known);
    switch (verdict) {
    case VMC_PULSE_AUTH_OK:
        /* the cookie sits after the descriptor and three u32 fields and the 'x' header */
        if (packet > size || packet > VMC_PULSE_AUTH_MAX || packet < 40 + sizeof cookie ||
            memcmp(data + 40, cookie, sizeof cookie) != 0)
            abort();
        gsize again = 0;
        if (vmc_pulse_auth_judge(data, packet, cookie, &again, &tag, &known) != VMC_PULSE_AUTH_OK ||
            again != packet)
            abort();
        break;
    case VMC_PULSE_AUTH_MORE:
        if (size >= VMC_PULSE_AUTH_MAX)
            abort();
        break;
    case VMC_PULSE_AUTH_BAD:
        break;
    default:
        abort();
    }
    guint8 reply[VMC_PULSE_REFUSAL_SIZE];
    if (known)
        vmc_pulse_auth_refusal(tag, reply);
    return 0;
}
