/* audit-test-data.h — records as the gateway writes them, for the audit tests. */
#pragma once

#define START_LINE                                                                                 \
    "{\"v\":1,\"event\":\"start\",\"time\":\"2026-11-29T10:00:00.000Z\",\"session\":"              \
    "\"0123456789abcdef0123456789abcdef\",\"identity\":\"alice\",\"account\":\"vmconsole\","       \
    "\"client\":\"127.0.0.1 50000\",\"vm\":\"debianx\",\"audio\":\"off\"}"

/* A 4-sample series with per-channel series, 1 s steps. */
#define END_LINE                                                                                   \
    "{\"v\":1,\"event\":\"end\",\"time\":\"2026-11-29T10:00:04.000Z\",\"session\":"                \
    "\"0123456789abcdef0123456789abcdef\",\"identity\":\"alice\",\"vm\":\"debianx\","              \
    "\"start\":\"2026-11-29T10:00:00.000Z\",\"duration_s\":4,\"reason\":\"ssh-closed\","           \
    "\"viewer_exit\":0,\"channels\":{\"main\":{\"to_vm\":100,\"from_vm\":2048,"                    \
    "\"connections\":1},\"display\":{\"to_vm\":10,\"from_vm\":3145728,\"connections\":1}},"        \
    "\"bytes_total\":3147886,\"rate_mean\":786971.5,\"rate_peak\":3000000,"                        \
    "\"rate_peak_time\":\"2026-11-29T10:00:01.000Z\",\"series\":{\"step_s\":1,\"bytes\":"          \
    "[1000,3000000,146886,1000000],\"channels\":{\"main\":[1000,0,1148,0],\"display\":"            \
    "[0,3000000,145738,1000000]}},\"rejected_connections\":1}"

/* An older end record: no per-channel series. */
#define OLD_END_LINE                                                                               \
    "{\"v\":1,\"event\":\"end\",\"time\":\"2026-11-29T11:00:10.000Z\",\"session\":"                \
    "\"fedcba9876543210fedcba9876543210\",\"identity\":\"bob\",\"vm\":\"debianx\","                \
    "\"start\":\"2026-11-29T11:00:00.000Z\",\"duration_s\":10,\"series\":{\"step_s\":5,"           \
    "\"bytes\":[5000,10000]}}"

#define SESSION_ID "0123456789abcdef0123456789abcdef"

/* The same session's start and end with the sandbox and the streams, as the
 * gateway writes them now: the viewer's X11 and the sound relayed and
 * counted besides Spice, their series beside the channels'. */
#define STREAMS_ID "5a5b5c5d5e5f50515253545556575859"
#define STREAMS_START_LINE                                                                         \
    "{\"v\":1,\"event\":\"start\",\"time\":\"2026-11-29T10:00:00.000Z\",\"session\":"              \
    "\"" STREAMS_ID "\",\"identity\":\"alice\",\"vm\":\"debianx\",\"audio\":\"tcp:47113\","        \
    "\"sandbox\":\"on\",\"protections\":[\"user-ns\",\"mount-ns\",\"pid-ns\",\"net-ns\","          \
    "\"ipc-ns\",\"uts-ns\",\"dies-with-gateway\",\"no-new-privs\",\"seccomp\",\"landlock-abi-4\"]" \
    "}"
#define STREAMS_END_LINE                                                                           \
    "{\"v\":1,\"event\":\"end\",\"time\":\"2026-11-29T10:00:04.000Z\",\"session\":"                \
    "\"" STREAMS_ID "\",\"identity\":\"alice\",\"vm\":\"debianx\","                                \
    "\"start\":\"2026-11-29T10:00:00.000Z\",\"duration_s\":4,\"reason\":\"ssh-closed\","           \
    "\"channels\":{\"display\":{\"to_vm\":10,\"from_vm\":3145728,\"connections\":1}},"             \
    "\"bytes_total\":3145738,\"rate_mean\":786434.5,\"rate_peak\":3000000,"                        \
    "\"rate_peak_time\":\"2026-11-29T10:00:01.000Z\",\"series\":{\"channels\":{\"display\":"       \
    "[0,3000000,145738,0]},\"streams\":{\"x11\":[1000,20000000,3000000,10000000],\"audio\":"       \
    "[176400,176400,176400,0]},\"step_s\":1,\"bytes\":[0,3000000,145738,0]},"                      \
    "\"rejected_connections\":0,\"streams\":{\"x11\":{\"connections\":1,\"to_laptop\":33000000,"   \
    "\"rate_peak\":20000000.0,\"from_laptop\":1000,\"rate_mean\":8250250.0,"                       \
    "\"rate_peak_time\":\"2026-11-29T10:00:01.000Z\",\"failed\":0},\"audio\":{\"connections\":2,"  \
    "\"to_laptop\":529200,\"from_laptop\":0,\"rate_mean\":132300.0,\"rate_peak\":176400.0,"        \
    "\"rate_peak_time\":\"2026-11-29T10:00:00.000Z\",\"failed\":1}}}"

/* A start with the sandbox off (the admin's sandbox = off): no protections,
 * and its end has no X11 stream (the viewer drew straight on the forward). */
#define SANDBOX_OFF_ID "0ff0ff0ff0ff0ff0ff0ff0ff0ff0ff00"
#define SANDBOX_OFF_START_LINE                                                                     \
    "{\"v\":1,\"event\":\"start\",\"time\":\"2026-11-29T12:00:00.000Z\",\"session\":"              \
    "\"" SANDBOX_OFF_ID "\",\"identity\":\"bob\",\"vm\":\"winxp\",\"audio\":\"off\","              \
    "\"sandbox\":\"off\",\"protections\":[]}"
