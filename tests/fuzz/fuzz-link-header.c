/* fuzz-link-header.c — libFuzzer target for the Spice link check: with every
 * channel allowed and with only main allowed, whatever is accepted must be a
 * bounded, self-consistent link message inside the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmc-spice.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const uint8_t *data, size_t size, const gboolean *allowed)
{
    g_autoptr(GError) error = NULL;
    VmcSpiceLink link;
    gsize total = 0;

    if (!vmc_spice_link_check(data, size, allowed, &link, &total, &error)) {
        if (error == NULL || error->domain != VMC_SPICE_ERROR)
            abort();
        return;
    }
    if (error != NULL || total > size ||
        total > VMC_SPICE_LINK_HEADER_SIZE + VMC_SPICE_LINK_MESS_MAX ||
        total != VMC_SPICE_LINK_HEADER_SIZE + (gsize)link.size)
        abort();
    if (memcmp(data, "REDQ", 4) != 0 || link.major != 2 || link.size < VMC_SPICE_LINK_MESS_MIN ||
        link.size > VMC_SPICE_LINK_MESS_MAX)
        abort();
    if (link.channel_type > VMC_SPICE_CHANNEL_MAX || !allowed[link.channel_type])
        abort();
    if (link.num_common_caps > VMC_SPICE_LINK_CAPS_MAX ||
        link.num_channel_caps > VMC_SPICE_LINK_CAPS_MAX ||
        link.caps_offset < VMC_SPICE_LINK_MESS_MIN ||
        (guint64)link.caps_offset + 4 * ((guint64)link.num_common_caps + link.num_channel_caps) >
            link.size)
        abort();
    /* every shorter prefix is incomplete, never accepted */
    if (vmc_spice_link_check(data, total - 1, allowed, NULL, NULL, NULL))
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gboolean all[VMC_SPICE_CHANNEL_MAX + 1];
    gboolean main_only[VMC_SPICE_CHANNEL_MAX + 1] = {FALSE};

    for (guint i = 0; i <= VMC_SPICE_CHANNEL_MAX; i++)
        all[i] = TRUE;
    main_only[VMC_SPICE_CHANNEL_MAIN] = TRUE;
    check(data, size, all);
    check(data, size, main_only);
    return 0;
}
