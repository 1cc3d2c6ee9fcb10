/* auth-packet.c — the first packet of a PulseAudio native-protocol client,
 * judged without trusting a byte of it (pure; see pulse-priv.h). */
#include "pulse-priv.h"

#include <string.h>

#define CHANNEL_COMMAND 0xffffffffu
#define COMMAND_AUTH 8u
#define ERROR_ACCESS 1u
#define TAG_U32 'L'
#define TAG_ARBITRARY 'x'

static guint32
get_u32(const guint8 *p)
{
    return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | (guint32)p[3];
}

/* 'L' and a u32 at *p within end; advances *p. */
static gboolean
take_u32(const guint8 **p, const guint8 *end, guint32 *ret)
{
    if (end - *p < 5 || (*p)[0] != TAG_U32)
        return FALSE;
    *ret = get_u32(*p + 1);
    *p += 5;
    return TRUE;
}

VmcPulseAuthVerdict
vmc_pulse_auth_judge(const guint8 *data, gsize length, const guint8 *cookie, gsize *ret_packet,
                     guint32 *ret_tag, gboolean *ret_tag_known)
{
    *ret_tag_known = FALSE;
    if (length < VMC_PULSE_FRAME_HEADER)
        return VMC_PULSE_AUTH_MORE;
    guint32 payload = get_u32(data);
    if (get_u32(data + 4) != CHANNEL_COMMAND || get_u32(data + 8) != 0 || get_u32(data + 12) != 0 ||
        get_u32(data + 16) != 0 || payload > VMC_PULSE_AUTH_MAX - VMC_PULSE_FRAME_HEADER)
        return VMC_PULSE_AUTH_BAD;
    gsize packet = VMC_PULSE_FRAME_HEADER + payload;
    if (length < packet)
        return VMC_PULSE_AUTH_MORE;
    const guint8 *p = data + VMC_PULSE_FRAME_HEADER, *end = data + packet;
    guint32 command, tag, version;
    if (!take_u32(&p, end, &command) || command != COMMAND_AUTH || !take_u32(&p, end, &tag))
        return VMC_PULSE_AUTH_BAD;
    *ret_tag = tag;
    *ret_tag_known = TRUE;
    if (!take_u32(&p, end, &version) || end - p < 5 || p[0] != TAG_ARBITRARY ||
        get_u32(p + 1) != VMC_PULSE_COOKIE_SIZE || end - (p + 5) < VMC_PULSE_COOKIE_SIZE)
        return VMC_PULSE_AUTH_BAD;
    p += 5;
    guint8 difference = 0;
    for (gsize i = 0; i < VMC_PULSE_COOKIE_SIZE; i++)
        difference |= (guint8)(p[i] ^ cookie[i]);
    if (difference != 0)
        return VMC_PULSE_AUTH_BAD;
    /* fields after the cookie (a later protocol's) go on to the server as they are */
    *ret_packet = packet;
    return VMC_PULSE_AUTH_OK;
}

void
vmc_pulse_auth_refusal(guint32 tag, guint8 *out)
{
    vmc_pulse_error_reply(tag, ERROR_ACCESS, out);
}
