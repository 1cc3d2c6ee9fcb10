/* fuzz-pulse-native.c — libFuzzer target for the guard's native-protocol
 * parser and policy (native-protocol.c, native-policy.c): what a taken-over
 * viewer, or anyone with the cookie, sends through the tunnel after AUTH.
 *
 * The first byte chooses the connection's settings (bit 0: recording
 * allowed; bit 1: the frames alternate between client and server); the
 * rest is a stream of frames. Invariants: a frame found lies within the
 * input and its payload is bounded; a command passed is never one that
 * changes the server, reaches other clients' streams or shares memory; a
 * record command passes only when recording is allowed; the policy never
 * holds more than VMC_PULSE_STREAMS_MAX streams; the error reply for every
 * refused tag is well-formed (it parses as a packet of the same tag). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pulse-priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Never to pass, whatever the state. */
static const char *const never[] = {
    "load-module",
    "unload-module",
    "set-default-sink",
    "set-default-source",
    "kill-client",
    "kill-sink-input",
    "kill-source-output",
    "move-sink-input",
    "move-source-output",
    "extension",
    "set-sink-volume",
    "set-source-volume",
    "set-sink-mute",
    "set-source-mute",
    "suspend-sink",
    "suspend-source",
    "set-card-profile",
    "set-sink-port",
    "set-source-port",
    "get-sink-input-info-list",
    "get-client-info-list",
    "get-module-info-list",
    "register-memfd-shmid",
    "enable-srbchannel",
    "send-object-message",
    "exit",
    "auth",
    "play-sample",
    "create-upload-stream",
    "unknown-command",
    NULL,
};
static const char *const record_only[] = {
    "create-record-stream",
    "delete-record-stream",
    "cork-record-stream",
    "get-source-info",
    "set-source-output-volume",
    "get-source-output-info",
    NULL,
};

static gboolean
listed(const char *const *names, const char *name)
{
    for (gsize i = 0; names[i] != NULL; i++)
        if (strcmp(names[i], name) == 0)
            return TRUE;
    return FALSE;
}

static void
check_client_packet(VmcPulsePolicy *policy, const VmcPulseFrame *frame)
{
    guint32 command = 0, tag = 0;
    VmcPulseVerdict v = vmc_pulse_policy_client_packet(policy, frame->payload,
                                                       frame->payload_length, &command, &tag);
    if (v == VMC_PULSE_DROP)
        return;
    const char *name = vmc_pulse_command_name(command);
    if (v == VMC_PULSE_PASS &&
        (listed(never, name) || (!policy->record && listed(record_only, name))))
        abort();
    if (v == VMC_PULSE_REFUSE) {
        guint8 reply[VMC_PULSE_REFUSAL_SIZE];
        VmcPulseFrame parsed;
        guint32 c = 1, t = 0;
        vmc_pulse_error_reply(tag, VMC_PULSE_ERROR_ACCESS, reply);
        if (vmc_pulse_frame_parse(reply, sizeof reply, 64, &parsed) != VMC_PULSE_FRAME_OK ||
            !parsed.is_packet ||
            !vmc_pulse_packet_command(parsed.payload, parsed.payload_length, &c, &t) ||
            c != VMC_PULSE_COMMAND_ERROR || t != tag)
            abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    VmcPulsePolicy policy = {.record = (data[0] & 1) != 0};
    gboolean alternate = (data[0] & 2) != 0;
    const guint8 *p = data + 1, *end = data + size;
    for (guint n = 0; p < end; n++) {
        gboolean from_server = alternate && (n & 1);
        gsize max = from_server ? VMC_PULSE_SERVER_FRAME_MAX : VMC_PULSE_CLIENT_FRAME_MAX;
        VmcPulseFrame frame;
        VmcPulseFrameVerdict v = vmc_pulse_frame_parse(p, (gsize)(end - p), max, &frame);
        if (v != VMC_PULSE_FRAME_OK)
            break;
        if (frame.size > (gsize)(end - p) || frame.payload_length > max ||
            frame.payload != p + VMC_PULSE_FRAME_HEADER)
            abort();
        if (frame.is_packet && from_server)
            vmc_pulse_policy_server_packet(&policy, frame.payload, frame.payload_length);
        else if (frame.is_packet)
            check_client_packet(&policy, &frame);
        (void)vmc_pulse_record_source_is_default(frame.payload, frame.payload_length);
        if (policy.n_streams > VMC_PULSE_STREAMS_MAX)
            abort();
        p += frame.size;
    }
    return 0;
}
