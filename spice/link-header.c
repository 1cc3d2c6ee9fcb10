/* link-header.c — the check of a Spice client's link message before the relay
 * forwards a byte of it (spice-server's CVE-2016-9577/9578 and CVE-2013-4282
 * came from trusting these fields).
 *
 * Every field is checked as soon as enough of it is there to decide, so
 * INCOMPLETE only ever means "valid so far": bytes still missing from a
 * little-endian field are taken as 0, which gives the least value the field
 * can still have. */
#include "vmc-spice.h"

#include <spice/protocol.h>
#include <stddef.h>
#include <string.h>

/* the GError domain "vmc-spice-error-quark" */
GQuark
vmc_spice_error_quark(void)
{
    return g_quark_from_static_string("vmc-spice-error-quark");
}

/* The layout is spice-protocol's (packed, little endian on the wire); the
 * checks below read the fields at these offsets, so the sizes are pinned. */
G_STATIC_ASSERT(sizeof(SpiceLinkHeader) == VMC_SPICE_LINK_HEADER_SIZE);
G_STATIC_ASSERT(sizeof(SpiceLinkMess) == VMC_SPICE_LINK_MESS_MIN);

#define MESS(field) (sizeof(SpiceLinkHeader) + offsetof(SpiceLinkMess, field))
enum {
    OFF_MAJOR = offsetof(SpiceLinkHeader, major_version),
    OFF_MINOR = offsetof(SpiceLinkHeader, minor_version),
    OFF_SIZE = offsetof(SpiceLinkHeader, size),
    OFF_CONNECTION_ID = MESS(connection_id),
    OFF_CHANNEL_TYPE = MESS(channel_type),
    OFF_CHANNEL_ID = MESS(channel_id),
    OFF_NUM_COMMON_CAPS = MESS(num_common_caps),
    OFF_NUM_CHANNEL_CAPS = MESS(num_channel_caps),
    OFF_CAPS_OFFSET = MESS(caps_offset),
};
#undef MESS
G_STATIC_ASSERT(offsetof(SpiceLinkHeader, magic) == 0 && OFF_MAJOR == 4);

/* The magic and the major version as they are on the wire. */
static const guint8 link_prefix[8] = {
    SPICE_MAGIC & 0xff,
    (SPICE_MAGIC >> 8) & 0xff,
    (SPICE_MAGIC >> 16) & 0xff,
    SPICE_MAGIC >> 24,
    SPICE_VERSION_MAJOR,
    0,
    0,
    0,
};

/* The u32 at `offset`, with bytes not received yet taken as 0; *ret_complete
 * says whether all four are there. */
static guint32
read_le32_at_least(const guint8 *bytes, gsize length, gsize offset, gboolean *ret_complete)
{
    guint8 raw[4] = {0, 0, 0, 0};
    guint32 value;

    if (length > offset)
        memcpy(raw, bytes + offset, MIN(length - offset, sizeof raw));
    memcpy(&value, raw, sizeof value);
    if (ret_complete != NULL)
        *ret_complete = length >= offset + sizeof raw;
    return GUINT32_FROM_LE(value);
}

static guint32
read_le32(const guint8 *bytes, gsize offset)
{
    guint32 value;
    memcpy(&value, bytes + offset, sizeof value);
    return GUINT32_FROM_LE(value);
}

static gboolean
check_prefix(const guint8 *bytes, gsize length, GError **error)
{
    for (gsize i = 0; i < MIN(length, sizeof link_prefix); i++) {
        if (bytes[i] == link_prefix[i])
            continue;
        if (i < OFF_MAJOR)
            g_set_error_literal(error, VMC_SPICE_ERROR, VMC_SPICE_ERROR_MAGIC,
                                "not a Spice link message (no REDQ magic)");
        else
            g_set_error(error, VMC_SPICE_ERROR, VMC_SPICE_ERROR_VERSION,
                        "Spice link message of major version %u (only %u is served)",
                        read_le32_at_least(bytes, length, OFF_MAJOR, NULL), SPICE_VERSION_MAJOR);
        return FALSE;
    }
    return TRUE;
}

static gboolean
check_size(const guint8 *bytes, gsize length, GError **error)
{
    gboolean complete;
    guint32 size = read_le32_at_least(bytes, length, OFF_SIZE, &complete);

    if (size > VMC_SPICE_LINK_MESS_MAX || (complete && size < VMC_SPICE_LINK_MESS_MIN)) {
        g_set_error(error, VMC_SPICE_ERROR, VMC_SPICE_ERROR_SIZE,
                    "Spice link message size %s%u out of range %u..%u", complete ? "" : ">= ", size,
                    VMC_SPICE_LINK_MESS_MIN, VMC_SPICE_LINK_MESS_MAX);
        return FALSE;
    }
    return TRUE;
}

static gboolean
check_channel(const guint8 *bytes, gsize length, const gboolean *allowed, GError **error)
{
    if (length <= OFF_CHANNEL_TYPE)
        return TRUE;
    guint type = bytes[OFF_CHANNEL_TYPE];
    if (type <= VMC_SPICE_CHANNEL_MAX && allowed[type])
        return TRUE;
    const char *name = vmc_spice_channel_name(type);
    g_set_error(error, VMC_SPICE_ERROR, VMC_SPICE_ERROR_CHANNEL,
                "Spice channel type %u (%s) is not allowed for this VM", type,
                name != NULL ? name : "unknown");
    return FALSE;
}

/* Each caps count <= 1024; caps_offset >= 18 and caps_offset + 4 * (n1 + n2)
 * <= size, all in 64 bits. Needs the whole 16-byte header (size). */
static gboolean
check_caps(const guint8 *bytes, gsize length, GError **error)
{
    gboolean offset_complete;
    guint32 size = read_le32(bytes, OFF_SIZE);
    guint32 n_common = read_le32_at_least(bytes, length, OFF_NUM_COMMON_CAPS, NULL);
    guint32 n_channel = read_le32_at_least(bytes, length, OFF_NUM_CHANNEL_CAPS, NULL);
    guint32 offset = read_le32_at_least(bytes, length, OFF_CAPS_OFFSET, &offset_complete);

    if (n_common > VMC_SPICE_LINK_CAPS_MAX || n_channel > VMC_SPICE_LINK_CAPS_MAX) {
        g_set_error(error, VMC_SPICE_ERROR, VMC_SPICE_ERROR_CAPS,
                    "Spice link message with %s%u common and %u channel caps (at most %u each)",
                    length < OFF_CAPS_OFFSET ? ">= " : "", n_common, n_channel,
                    VMC_SPICE_LINK_CAPS_MAX);
        return FALSE;
    }
    guint64 end = (guint64)offset + 4 * ((guint64)n_common + (guint64)n_channel);
    if ((offset_complete && offset < VMC_SPICE_LINK_MESS_MIN) || end > size) {
        g_set_error(error, VMC_SPICE_ERROR, VMC_SPICE_ERROR_CAPS,
                    "Spice link caps at offset %u (%u + %u caps) do not fit in the "
                    "%u-byte link message",
                    offset, n_common, n_channel, size);
        return FALSE;
    }
    return TRUE;
}

static void
parse_link(const guint8 *bytes, VmcSpiceLink *ret_link)
{
    ret_link->major = read_le32(bytes, OFF_MAJOR);
    ret_link->minor = read_le32(bytes, OFF_MINOR);
    ret_link->size = read_le32(bytes, OFF_SIZE);
    ret_link->connection_id = read_le32(bytes, OFF_CONNECTION_ID);
    ret_link->channel_type = bytes[OFF_CHANNEL_TYPE];
    ret_link->channel_id = bytes[OFF_CHANNEL_ID];
    ret_link->num_common_caps = read_le32(bytes, OFF_NUM_COMMON_CAPS);
    ret_link->num_channel_caps = read_le32(bytes, OFF_NUM_CHANNEL_CAPS);
    ret_link->caps_offset = read_le32(bytes, OFF_CAPS_OFFSET);
}

gboolean
vmc_spice_link_check(const guint8 *bytes, gsize length, const gboolean *allowed,
                     VmcSpiceLink *ret_link, gsize *ret_total, GError **error)
{
    g_return_val_if_fail(bytes != NULL || length == 0, FALSE);
    g_return_val_if_fail(allowed != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    if (!check_prefix(bytes, length, error) || !check_size(bytes, length, error))
        return FALSE;
    if (length < VMC_SPICE_LINK_HEADER_SIZE)
        goto incomplete;
    if (!check_channel(bytes, length, allowed, error) || !check_caps(bytes, length, error))
        return FALSE;

    gsize total = VMC_SPICE_LINK_HEADER_SIZE + read_le32(bytes, OFF_SIZE);
    if (length < total)
        goto incomplete;
    if (ret_link != NULL)
        parse_link(bytes, ret_link);
    if (ret_total != NULL)
        *ret_total = total;
    return TRUE;

incomplete:
    g_set_error(error, VMC_SPICE_ERROR, VMC_SPICE_ERROR_INCOMPLETE,
                "Spice link message incomplete (%" G_GSIZE_FORMAT " bytes so far)", length);
    return FALSE;
}
