/* native-policy.c — what a client through the tunnel may ask of the
 * laptop's sound server (pure; see pulse-priv.h). Playing a stream needs a
 * few dozen commands; recording needs its own few, and only when the person
 * asked for the microphone. Everything else — loading modules, changing
 * defaults, moving, killing or listing others' streams and clients, cards,
 * samples, extensions, shared memory — is refused. Commands that name a
 * stream by its server-wide index are allowed only for the streams this
 * connection created (their indices come back in the server's replies). */
#include "pulse-priv.h"

#include <string.h>

#define INVALID_INDEX 0xffffffffu

typedef enum {
    RULE_DENY = 0,
    RULE_ALWAYS,            /* harmless or scoped to this connection by the server */
    RULE_AUTH,              /* the first packet only: the guard judged it already */
    RULE_CREATE_PLAYBACK,   /* remember the tag: the reply names the new sink input */
    RULE_OWN_SINK_INPUT,    /* first argument: a sink input this connection created */
    RULE_RECORD,            /* only with the microphone */
    RULE_CREATE_RECORD,     /* ... from the default source, no monitor, no stream's output */
    RULE_OWN_SOURCE_OUTPUT, /* ... a source output this connection created */
    RULE_DELETE,            /* a stream of this connection (by channel): forget it */
} Rule;

typedef struct {
    const char *name; /* as pactl and the protocol call it, for the summary */
    Rule rule;
} Command;

/* Indexed by PulseAudio's command number (native-common.h). */
static const Command commands[VMC_PULSE_COMMAND_MAX] = {
    [0] = {"error", RULE_DENY},
    [1] = {"timeout", RULE_DENY},
    [2] = {"reply", RULE_DENY},
    [3] = {"create-playback-stream", RULE_CREATE_PLAYBACK},
    [4] = {"delete-playback-stream", RULE_DELETE},
    [5] = {"create-record-stream", RULE_CREATE_RECORD},
    [6] = {"delete-record-stream", RULE_DELETE},
    [7] = {"exit", RULE_DENY},
    [8] = {"auth", RULE_AUTH},
    [9] = {"set-client-name", RULE_ALWAYS},
    [10] = {"lookup-sink", RULE_ALWAYS},
    [11] = {"lookup-source", RULE_RECORD},
    [12] = {"drain-playback-stream", RULE_ALWAYS},
    [13] = {"stat", RULE_ALWAYS},
    [14] = {"get-playback-latency", RULE_ALWAYS},
    [15] = {"create-upload-stream", RULE_DENY},
    [16] = {"delete-upload-stream", RULE_DENY},
    [17] = {"finish-upload-stream", RULE_DENY},
    [18] = {"play-sample", RULE_DENY},
    [19] = {"remove-sample", RULE_DENY},
    [20] = {"get-server-info", RULE_ALWAYS},
    [21] = {"get-sink-info", RULE_ALWAYS},
    [22] = {"get-sink-info-list", RULE_DENY},
    [23] = {"get-source-info", RULE_RECORD},
    [24] = {"get-source-info-list", RULE_DENY},
    [25] = {"get-module-info", RULE_DENY},
    [26] = {"get-module-info-list", RULE_DENY},
    [27] = {"get-client-info", RULE_DENY},
    [28] = {"get-client-info-list", RULE_DENY},
    [29] = {"get-sink-input-info", RULE_OWN_SINK_INPUT},
    [30] = {"get-sink-input-info-list", RULE_DENY},
    [31] = {"get-source-output-info", RULE_OWN_SOURCE_OUTPUT},
    [32] = {"get-source-output-info-list", RULE_DENY},
    [33] = {"get-sample-info", RULE_DENY},
    [34] = {"get-sample-info-list", RULE_DENY},
    [35] = {"subscribe", RULE_ALWAYS},
    [36] = {"set-sink-volume", RULE_DENY},
    [37] = {"set-sink-input-volume", RULE_OWN_SINK_INPUT},
    [38] = {"set-source-volume", RULE_DENY},
    [39] = {"set-sink-mute", RULE_DENY},
    [40] = {"set-source-mute", RULE_DENY},
    [41] = {"cork-playback-stream", RULE_ALWAYS},
    [42] = {"flush-playback-stream", RULE_ALWAYS},
    [43] = {"trigger-playback-stream", RULE_ALWAYS},
    [44] = {"set-default-sink", RULE_DENY},
    [45] = {"set-default-source", RULE_DENY},
    [46] = {"set-playback-stream-name", RULE_ALWAYS},
    [47] = {"set-record-stream-name", RULE_RECORD},
    [48] = {"kill-client", RULE_DENY},
    [49] = {"kill-sink-input", RULE_DENY},
    [50] = {"kill-source-output", RULE_DENY},
    [51] = {"load-module", RULE_DENY},
    [52] = {"unload-module", RULE_DENY},
    [53] = {"add-autoload", RULE_DENY},
    [54] = {"remove-autoload", RULE_DENY},
    [55] = {"get-autoload-info", RULE_DENY},
    [56] = {"get-autoload-info-list", RULE_DENY},
    [57] = {"get-record-latency", RULE_RECORD},
    [58] = {"cork-record-stream", RULE_RECORD},
    [59] = {"flush-record-stream", RULE_RECORD},
    [60] = {"prebuf-playback-stream", RULE_ALWAYS},
    [61] = {"request", RULE_DENY},
    [62] = {"overflow", RULE_DENY},
    [63] = {"underflow", RULE_DENY},
    [64] = {"playback-stream-killed", RULE_DENY},
    [65] = {"record-stream-killed", RULE_DENY},
    [66] = {"subscribe-event", RULE_DENY},
    [67] = {"move-sink-input", RULE_DENY},
    [68] = {"move-source-output", RULE_DENY},
    [69] = {"set-sink-input-mute", RULE_OWN_SINK_INPUT},
    [70] = {"suspend-sink", RULE_DENY},
    [71] = {"suspend-source", RULE_DENY},
    [72] = {"set-playback-stream-buffer-attr", RULE_ALWAYS},
    [73] = {"set-record-stream-buffer-attr", RULE_RECORD},
    [74] = {"update-playback-stream-sample-rate", RULE_ALWAYS},
    [75] = {"update-record-stream-sample-rate", RULE_RECORD},
    [76] = {"playback-stream-suspended", RULE_DENY},
    [77] = {"record-stream-suspended", RULE_DENY},
    [78] = {"playback-stream-moved", RULE_DENY},
    [79] = {"record-stream-moved", RULE_DENY},
    [80] = {"update-record-stream-proplist", RULE_RECORD},
    [81] = {"update-playback-stream-proplist", RULE_ALWAYS},
    [82] = {"update-client-proplist", RULE_ALWAYS},
    [83] = {"remove-record-stream-proplist", RULE_RECORD},
    [84] = {"remove-playback-stream-proplist", RULE_ALWAYS},
    [85] = {"remove-client-proplist", RULE_ALWAYS},
    [86] = {"started", RULE_DENY},
    [87] = {"extension", RULE_DENY},
    [88] = {"get-card-info", RULE_DENY},
    [89] = {"get-card-info-list", RULE_DENY},
    [90] = {"set-card-profile", RULE_DENY},
    [91] = {"client-event", RULE_DENY},
    [92] = {"playback-stream-event", RULE_DENY},
    [93] = {"record-stream-event", RULE_DENY},
    [94] = {"playback-buffer-attr-changed", RULE_DENY},
    [95] = {"record-buffer-attr-changed", RULE_DENY},
    [96] = {"set-sink-port", RULE_DENY},
    [97] = {"set-source-port", RULE_DENY},
    [98] = {"set-source-output-volume", RULE_OWN_SOURCE_OUTPUT},
    [99] = {"set-source-output-mute", RULE_OWN_SOURCE_OUTPUT},
    [100] = {"set-port-latency-offset", RULE_DENY},
    [101] = {"enable-srbchannel", RULE_DENY},
    [102] = {"disable-srbchannel", RULE_DENY},
    [103] = {"register-memfd-shmid", RULE_DENY},
    [104] = {"send-object-message", RULE_DENY},
};

const char *
vmc_pulse_command_name(guint32 command)
{
    return command < VMC_PULSE_COMMAND_MAX ? commands[command].name : "unknown-command";
}

/* A stream this connection created, of that direction, with that index. */
static gboolean
owns_index(const VmcPulsePolicy *policy, gboolean record, guint32 index)
{
    for (guint i = 0; i < policy->n_streams; i++)
        if (!policy->streams[i].pending && policy->streams[i].record == record &&
            policy->streams[i].index == index)
            return TRUE;
    return FALSE;
}

/* Remember a create by its tag; FALSE (refuse it) when too many are open. */
static gboolean
remember_create(VmcPulsePolicy *policy, guint32 tag, gboolean record)
{
    if (policy->n_streams >= VMC_PULSE_STREAMS_MAX)
        return FALSE;
    policy->streams[policy->n_streams++] =
        (VmcPulseStream){.pending = TRUE, .record = record, .tag = tag};
    return TRUE;
}

/* DELETE_*_STREAM names the stream by its channel; the server itself refuses
 * a channel that is not this connection's. */
static gboolean
forget_stream(VmcPulsePolicy *policy, gboolean record, const guint8 *payload, gsize length)
{
    guint32 channel;
    if (!vmc_pulse_packet_first_index(payload, length, &channel))
        return FALSE;
    for (guint i = 0; i < policy->n_streams; i++) {
        VmcPulseStream *s = &policy->streams[i];
        if (!s->pending && s->record == record && s->channel == channel) {
            *s = policy->streams[--policy->n_streams];
            break;
        }
    }
    return TRUE;
}

static gboolean
rule_allows(VmcPulsePolicy *policy, guint32 command, Rule rule, const guint8 *payload, gsize length,
            guint32 tag)
{
    guint32 index = INVALID_INDEX;
    switch (rule) {
    case RULE_ALWAYS:
        return TRUE;
    case RULE_CREATE_PLAYBACK:
        return remember_create(policy, tag, FALSE);
    case RULE_OWN_SINK_INPUT:
        return vmc_pulse_packet_first_index(payload, length, &index) &&
               owns_index(policy, FALSE, index);
    case RULE_RECORD:
        return policy->record;
    case RULE_CREATE_RECORD:
        return policy->record && vmc_pulse_record_source_is_default(payload, length) &&
               remember_create(policy, tag, TRUE);
    case RULE_OWN_SOURCE_OUTPUT:
        return policy->record && vmc_pulse_packet_first_index(payload, length, &index) &&
               owns_index(policy, TRUE, index);
    case RULE_DELETE: {
        gboolean record = command == VMC_PULSE_COMMAND_DELETE_RECORD_STREAM;
        return (!record || policy->record) && forget_stream(policy, record, payload, length);
    }
    case RULE_AUTH: /* once, as the first packet; the guard judged that one itself */
    case RULE_DENY:
    default:
        return FALSE;
    }
}

VmcPulseVerdict
vmc_pulse_policy_client_packet(VmcPulsePolicy *policy, const guint8 *payload, gsize length,
                               guint32 *ret_command, guint32 *ret_tag)
{
    guint32 command, tag;
    if (!vmc_pulse_packet_command(payload, length, &command, &tag))
        return VMC_PULSE_DROP; /* not a command at all: nothing to answer */
    *ret_command = command;
    *ret_tag = tag;
    Rule rule = command < VMC_PULSE_COMMAND_MAX ? commands[command].rule : RULE_DENY;
    return rule_allows(policy, command, rule, payload, length, tag) ? VMC_PULSE_PASS
                                                                    : VMC_PULSE_REFUSE;
}

void
vmc_pulse_policy_server_packet(VmcPulsePolicy *policy, const guint8 *payload, gsize length)
{
    guint32 command, tag;
    if (!vmc_pulse_packet_command(payload, length, &command, &tag) ||
        (command != VMC_PULSE_COMMAND_REPLY && command != VMC_PULSE_COMMAND_ERROR))
        return;
    for (guint i = 0; i < policy->n_streams; i++) {
        VmcPulseStream *s = &policy->streams[i];
        if (!s->pending || s->tag != tag)
            continue;
        /* a create's reply: the stream's channel, then its server-wide index */
        if (command == VMC_PULSE_COMMAND_REPLY &&
            vmc_pulse_packet_first_index(payload, length, &s->channel) &&
            vmc_pulse_packet_second_index(payload, length, &s->index))
            s->pending = FALSE;
        else
            *s = policy->streams[--policy->n_streams]; /* refused, or no index: forget it */
        return;
    }
}
