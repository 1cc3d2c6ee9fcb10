/* channel-names.c — Spice channel types to names and back (the names the
 * config's `channels =` key and the session records use). */
#include "vmc-spice.h"

#include <string.h>

static const char *const channel_names[VMC_SPICE_CHANNEL_MAX + 1] = {
    [VMC_SPICE_CHANNEL_MAIN] = "main",         [VMC_SPICE_CHANNEL_DISPLAY] = "display",
    [VMC_SPICE_CHANNEL_INPUTS] = "inputs",     [VMC_SPICE_CHANNEL_CURSOR] = "cursor",
    [VMC_SPICE_CHANNEL_PLAYBACK] = "playback", [VMC_SPICE_CHANNEL_RECORD] = "record",
    [VMC_SPICE_CHANNEL_TUNNEL] = "tunnel",     [VMC_SPICE_CHANNEL_SMARTCARD] = "smartcard",
    [VMC_SPICE_CHANNEL_USBREDIR] = "usbredir", [VMC_SPICE_CHANNEL_PORT] = "port",
    [VMC_SPICE_CHANNEL_WEBDAV] = "webdav",
};

const char *
vmc_spice_channel_name(guint type)
{
    return type <= VMC_SPICE_CHANNEL_MAX ? channel_names[type] : NULL;
}

guint
vmc_spice_channel_from_name(const char *name)
{
    if (name == NULL)
        return 0;
    for (guint type = 1; type <= VMC_SPICE_CHANNEL_MAX; type++)
        if (strcmp(channel_names[type], name) == 0)
            return type;
    return 0;
}
