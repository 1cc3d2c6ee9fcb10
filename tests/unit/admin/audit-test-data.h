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
