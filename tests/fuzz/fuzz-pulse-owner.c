/* fuzz-pulse-owner.c — libFuzzer target for the owner file an endpoint
 * leaves in its private dir (vmc_pulse_owner_parse: a later run reads it to
 * decide which module of a dead process to unload) and for the /proc/PID/stat
 * reader beside it. The owner format is canonical: whatever is accepted is
 * exactly what vmc_pulse_owner_format gives back for it; whatever is refused
 * leaves the output untouched. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pulse-priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    VmcPulseOwner owner = {0};
    if (vmc_pulse_owner_parse((const char *)data, size, &owner)) {
        g_autofree char *text = vmc_pulse_owner_format(&owner);
        if (owner.pid == 0 || owner.argument == NULL || text == NULL || strlen(text) != size ||
            memcmp(text, data, size) != 0)
            abort();
        vmc_pulse_owner_clear(&owner);
    } else if (owner.argument != NULL || owner.pid != 0) {
        abort();
    }
    guint64 start = 42;
    if (!vmc_pulse_stat_start_time((const char *)data, size, &start) && start != 42)
        abort();
    return 0;
}
