/* native-protocol.c — the PulseAudio native protocol as the guard sees it
 * (pure; see pulse-priv.h): frames, the command and tag of a packet, a walk
 * over tagstruct values, and the policy that lets through only what playing
 * (and, when asked for, recording) a stream needs.
 *
 * Learned from PulseAudio's src/pulsecore/pstream.c (the 20-byte descriptor:
 * length, channel, offset high and low, flags; channel 0xffffffff is a
 * packet, whose flags must be 0; the top byte of the flags marks shared
 * memory, the low byte is the seek mode), native-common.h (command numbers)
 * and tagstruct.h (the one-byte type tags). Nothing here trusts a length. */
#include "pulse-priv.h"

#include <string.h>

#define CHANNEL_PACKET 0xffffffffu
#define FLAGS_SHM_MASK 0xff000000u
#define FLAGS_SEEK_MASK 0x000000ffu
#define SEEK_MODE_MAX 3u /* PA_SEEK_RELATIVE_END */
#define INVALID_INDEX 0xffffffffu

/* tagstruct type tags */
#define TAG_STRING 't'
#define TAG_STRING_NULL 'N'
#define TAG_U32 'L'
#define TAG_U8 'B'
#define TAG_U64 'R'
#define TAG_S64 'r'
#define TAG_SAMPLE_SPEC 'a'
#define TAG_ARBITRARY 'x'
#define TAG_TRUE '1'
#define TAG_FALSE '0'
#define TAG_TIMEVAL 'T'
#define TAG_USEC 'U'
#define TAG_CHANNEL_MAP 'm'
#define TAG_CVOLUME 'v'
#define TAG_PROPLIST 'P'
#define TAG_VOLUME 'V'
#define TAG_FORMAT_INFO 'f'

#define PROPLIST_ENTRIES_MAX 256 /* entries of one proplist walked */

static guint32
get_u32(const guint8 *p)
{
    return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | (guint32)p[3];
}

static void
put_u32(guint8 *p, guint32 value)
{
    p[0] = (guint8)(value >> 24);
    p[1] = (guint8)(value >> 16);
    p[2] = (guint8)(value >> 8);
    p[3] = (guint8)value;
}

VmcPulseFrameVerdict
vmc_pulse_frame_parse(const guint8 *data, gsize length, gsize max_payload, VmcPulseFrame *ret_frame)
{
    if (length < VMC_PULSE_FRAME_HEADER)
        return VMC_PULSE_FRAME_MORE;
    guint32 payload = get_u32(data), channel = get_u32(data + 4), flags = get_u32(data + 16);
    if (payload == 0 || payload > max_payload)
        return VMC_PULSE_FRAME_BAD;
    if ((flags & FLAGS_SHM_MASK) != 0) /* shared memory: never through a tunnel */
        return VMC_PULSE_FRAME_BAD;
    if (channel == CHANNEL_PACKET ? flags != 0 : (flags & FLAGS_SEEK_MASK) > SEEK_MODE_MAX)
        return VMC_PULSE_FRAME_BAD;
    if (length - VMC_PULSE_FRAME_HEADER < payload)
        return VMC_PULSE_FRAME_MORE;
    ret_frame->size = VMC_PULSE_FRAME_HEADER + (gsize)payload;
    ret_frame->channel = channel;
    ret_frame->is_packet = channel == CHANNEL_PACKET;
    ret_frame->payload = data + VMC_PULSE_FRAME_HEADER;
    ret_frame->payload_length = payload;
    return VMC_PULSE_FRAME_OK;
}

/* ---- tagstruct values ---- */

typedef struct {
    const guint8 *p, *end;
} Walk;

static gboolean
walk_bytes(Walk *w, gsize n)
{
    if ((gsize)(w->end - w->p) < n)
        return FALSE;
    w->p += n;
    return TRUE;
}

/* 't' and its NUL-terminated text, or 'N'. */
static gboolean
walk_string(Walk *w)
{
    if (w->p >= w->end)
        return FALSE;
    if (*w->p == TAG_STRING_NULL)
        return walk_bytes(w, 1);
    if (*w->p != TAG_STRING)
        return FALSE;
    const guint8 *nul = memchr(w->p + 1, '\0', (gsize)(w->end - w->p - 1));
    if (nul == NULL)
        return FALSE;
    w->p = nul + 1;
    return TRUE;
}

static gboolean walk_value(Walk *w, int depth);

/* 'P' then (key string, 'L' length, 'x' length data)* and 'N'. */
static gboolean
walk_proplist(Walk *w)
{
    for (int i = 0; i < PROPLIST_ENTRIES_MAX; i++) {
        if (w->p < w->end && *w->p == TAG_STRING_NULL)
            return walk_bytes(w, 1);
        if (!walk_string(w) || !walk_value(w, 1) || !walk_value(w, 1))
            return FALSE;
    }
    return FALSE;
}

/* One value of any type; depth bounds the nesting (format info holds a
 * proplist, nothing deeper). */
static gboolean
walk_value(Walk *w, int depth)
{
    if (w->p >= w->end || depth > 2)
        return FALSE;
    guint8 tag = *w->p;
    switch (tag) {
    case TAG_STRING:
    case TAG_STRING_NULL:
        return walk_string(w);
    case TAG_TRUE:
    case TAG_FALSE:
        return walk_bytes(w, 1);
    case TAG_U8:
        return walk_bytes(w, 2);
    case TAG_U32:
    case TAG_VOLUME:
        return walk_bytes(w, 5);
    case TAG_SAMPLE_SPEC:
        return walk_bytes(w, 7); /* format u8, channels u8, rate u32 */
    case TAG_U64:
    case TAG_S64:
    case TAG_USEC:
    case TAG_TIMEVAL:
        return walk_bytes(w, 9);
    case TAG_ARBITRARY:
        return walk_bytes(w, 5) && walk_bytes(w, get_u32(w->p - 4));
    case TAG_CHANNEL_MAP:
        return walk_bytes(w, 2) && walk_bytes(w, w->p[-1]);
    case TAG_CVOLUME:
        return walk_bytes(w, 2) && walk_bytes(w, (gsize)w->p[-1] * 4);
    case TAG_PROPLIST:
        return walk_bytes(w, 1) && walk_proplist(w);
    case TAG_FORMAT_INFO: /* 'f', 'B' encoding, 'P' proplist */
        return walk_bytes(w, 1) && walk_value(w, depth + 1) && walk_value(w, depth + 1);
    default:
        return FALSE;
    }
}

/* 'L' and its value at the walk's position. */
static gboolean
walk_u32(Walk *w, guint32 *ret)
{
    if (w->end - w->p < 5 || w->p[0] != TAG_U32)
        return FALSE;
    *ret = get_u32(w->p + 1);
    w->p += 5;
    return TRUE;
}

gboolean
vmc_pulse_packet_command(const guint8 *payload, gsize length, guint32 *ret_command,
                         guint32 *ret_tag)
{
    Walk w = {payload, payload + length};
    guint32 command, tag;
    if (!walk_u32(&w, &command) || !walk_u32(&w, &tag))
        return FALSE;
    *ret_command = command;
    *ret_tag = tag;
    return TRUE;
}

gboolean
vmc_pulse_packet_first_index(const guint8 *payload, gsize length, guint32 *ret_index)
{
    Walk w = {payload, payload + length};
    guint32 skip;
    return walk_u32(&w, &skip) && walk_u32(&w, &skip) && walk_u32(&w, ret_index);
}

gboolean
vmc_pulse_packet_second_index(const guint8 *payload, gsize length, guint32 *ret_index)
{
    Walk w = {payload, payload + length};
    guint32 skip;
    return walk_u32(&w, &skip) && walk_u32(&w, &skip) && walk_u32(&w, &skip) &&
           walk_u32(&w, ret_index);
}

gboolean
vmc_pulse_record_source_is_default(const guint8 *payload, gsize length)
{
    /* CREATE_RECORD_STREAM: sample spec, channel map, source index, source
     * name, maxlength, corked, fragsize, then (protocol >= 12) seven flags,
     * (>= 13) two flags, the proplist and direct_on_input: the one stream
     * whose output is recorded instead of a source. */
    Walk w = {payload, payload + length};
    guint32 skip, source = 0, direct = INVALID_INDEX;
    if (!walk_u32(&w, &skip) || !walk_u32(&w, &skip) || !walk_value(&w, 0) || !walk_value(&w, 0) ||
        !walk_u32(&w, &source) || w.p >= w.end || *w.p != TAG_STRING_NULL)
        return FALSE;
    w.p++;
    for (int i = 0; i < 3 + 7 + 2; i++) {
        if (w.p == w.end)
            return source == INVALID_INDEX; /* an older client's shorter packet */
        if (!walk_value(&w, 0))
            return FALSE;
    }
    if (w.p < w.end && (!walk_value(&w, 0) || !walk_u32(&w, &direct)))
        return FALSE;
    return source == INVALID_INDEX && direct == INVALID_INDEX;
}

void
vmc_pulse_error_reply(guint32 tag, guint32 error, guint8 *out /* VMC_PULSE_REFUSAL_SIZE */)
{
    put_u32(out, VMC_PULSE_REFUSAL_SIZE - VMC_PULSE_FRAME_HEADER);
    put_u32(out + 4, CHANNEL_PACKET);
    put_u32(out + 8, 0);
    put_u32(out + 12, 0);
    put_u32(out + 16, 0);
    guint8 *p = out + VMC_PULSE_FRAME_HEADER;
    const guint32 fields[] = {VMC_PULSE_COMMAND_ERROR, tag, error};
    for (gsize i = 0; i < G_N_ELEMENTS(fields); i++, p += 5) {
        p[0] = TAG_U32;
        put_u32(p + 1, fields[i]);
    }
}
