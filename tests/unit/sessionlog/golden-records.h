/* golden-records.h — one record of each kind with every field the gateway
 * writes set, as the writer before the record schema wrote them (captured
 * from the gateway's own functions at db3014c, "time" fixed). They hold the
 * wire: the schema must read each back whole and write it again byte for
 * byte (test-record-schema.c), and the gateway must write them so
 * (tests/unit/gateway/test-session-record.c). The member names here are
 * literal on purpose: a renamed member fails these tests. */
#pragma once

#define GOLDEN_TIME "2026-11-29T10:00:04.500Z"

/* "host", as a gateway on kvm1 writes it (a writer on another host writes
 * its own: golden_on_this_host()) */
#define GOLDEN_HOST_MEMBER "\"host\":\"kvm1\""

#include <glib.h>
#include <json-glib/json-glib.h>
#include <string.h>

/* golden as this host's gateway writes it: GOLDEN_HOST_MEMBER with this
 * host's name (json-glib's escaping of it). */
static inline char *
golden_on_this_host(const char *golden)
{
    g_autoptr(JsonNode) node = json_node_init_string(json_node_alloc(), g_get_host_name());
    g_autofree char *name = json_to_string(node, FALSE);
    g_autofree char *member = g_strdup_printf("\"host\":%s", name);
    const char *at = strstr(golden, GOLDEN_HOST_MEMBER);
    g_assert_nonnull(at);
    return g_strdup_printf("%.*s%s%s", (int)(at - golden), golden, member,
                           at + strlen(GOLDEN_HOST_MEMBER));
}

/* sound asked for, the sandbox on, a takeover, a stale and two swept
 * sessions, both limits, a certificate */
#define GOLDEN_START                                                                               \
    "{\"v\":1,\"event\":\"start\",\"time\":\"2026-11-29T10:00:04.500Z\","                          \
    "\"host\":\"kvm1\","                                                                           \
    "\"session\":\"0123456789abcdef0123456789abcdef\",\"identity\":\"alice\","                     \
    "\"account\":\"vmconsole\","                                                                   \
    "\"key\":\"SHA256:Ufz+YC+PQJOMGRzzapILWj28f2FYQYqSGzkJj1eamvA\","                              \
    "\"client\":\"192.0.2.7 33854\",\"vm\":\"debianx\",\"key_type\":\"ssh-ed25519\","              \
    "\"socket\":\"/var/spicex/debianx.sock\",\"mode\":\"x11\",\"file_transfer\":\"deny\","         \
    "\"clipboard\":\"to-vm\",\"audio\":\"tcp:127.0.0.1:47113\",\"audio_authenticated\":true,"      \
    "\"audio_server\":\"PulseAudio 16.1\","                                                        \
    "\"audio_error\":\"no sound: \\\"the probe\\\" timed out\",\"microphone\":false,"              \
    "\"viewer\":\"/usr/bin/remote-viewer\",\"sandbox\":\"on\",\"protections\":[\"user-ns\","       \
    "\"mount-ns\",\"seccomp\",\"landlock-abi-4\"],"                                                \
    "\"takeover_of\":\"fedcba9876543210fedcba9876543210\","                                        \
    "\"stale_session\":\"00112233445566778899aabbccddeeff\",\"swept_sessions\":[\"aaaa0000\","     \
    "\"bbbb1111\"],\"max_duration_s\":28800,\"idle_timeout_s\":1800,"                              \
    "\"certificate\":{\"serial\":\"18446744073709551615\",\"key_id\":\"alice@laptop key\","        \
    "\"valid_before\":\"2026-12-31T23:59:59.000Z\","                                               \
    "\"ca\":\"SHA256:pTzeeuvLQQMkftDQPn2x8v24SxwE8B8RvFzzqCzT//0\","                               \
    "\"valid_after\":\"2026-12-01T00:00:00.000Z\"},\"key_expires\":\"2030-01-02T00:00:00.000Z\"}"

/* every field at once (the gateway writes viewer_exit or viewer_signal) */
#define GOLDEN_END                                                                                 \
    "{\"v\":1,\"event\":\"end\",\"time\":\"2026-11-29T10:00:04.500Z\","                            \
    "\"host\":\"kvm1\","                                                                           \
    "\"session\":\"0123456789abcdef0123456789abcdef\",\"identity\":\"alice\","                     \
    "\"account\":\"vmconsole\","                                                                   \
    "\"key\":\"SHA256:Ufz+YC+PQJOMGRzzapILWj28f2FYQYqSGzkJj1eamvA\","                              \
    "\"client\":\"192.0.2.7 33854\",\"vm\":\"debianx\","                                           \
    "\"start\":\"2026-11-29T10:00:00.250Z\",\"duration_s\":4,\"reason\":\"taken-over\","           \
    "\"reason_text\":\"taken over by a --takeover open\","                                         \
    "\"taken_over_by\":\"99999999999999999999999999999999\",\"viewer_exit\":1,"                    \
    "\"viewer_signal\":\"Terminated\","                                                            \
    "\"viewer_log\":\"(remote-viewer:12): Gtk-WARNING **: cannot open display\","                  \
    "\"audio\":\"tcp:127.0.0.1:47113\",\"audio_authenticated\":false,"                             \
    "\"audio_server\":\"PipeWire 0.3.65\",\"audio_error\":\"none\","                               \
    "\"channels\":{\"display\":{\"from_vm\":8953,\"connections\":2,\"to_vm\":204},"                \
    "\"playback\":{\"from_vm\":176400,\"connections\":1,\"to_vm\":0},"                             \
    "\"main\":{\"from_vm\":363,\"connections\":1,\"to_vm\":180}},\"bytes_total\":186100,"          \
    "\"rate_mean\":3007.5553635643237,\"rate_peak\":8966.0,"                                       \
    "\"rate_peak_time\":\"2026-11-29T10:00:01.170Z\","                                             \
    "\"series\":{\"channels\":{\"display\":[7618,513,684],\"playback\":[805,0,8],"                 \
    "\"main\":[543,0,0]},\"streams\":{\"x11\":[2593692,1204,1408],"                                \
    "\"audio\":[176400,176400,0]},\"step_s\":1,\"bytes\":[8966,513,692]},"                         \
    "\"rejected_connections\":3,\"streams\":{\"x11\":{\"connections\":1,"                          \
    "\"to_laptop\":2193948,\"rate_peak\":2593692.0,\"from_laptop\":403060,"                        \
    "\"rate_mean\":742951.14045652596,\"rate_peak_time\":\"2026-11-29T10:00:01.170Z\","            \
    "\"failed\":0},\"audio\":{\"connections\":2,\"to_laptop\":529200,\"rate_peak\":176400.0,"      \
    "\"from_laptop\":12,\"rate_mean\":132300.5,"                                                   \
    "\"rate_peak_time\":\"2026-11-29T10:00:00.000Z\",\"failed\":1}},"                              \
    "\"agent\":{\"bytes_dropped_from_vm\":5,\"bytes_dropped_to_vm\":4096,"                         \
    "\"clipboard_to_vm_dropped\":2,\"refused\":8,\"clipboard_from_vm_dropped\":3,"                 \
    "\"bytes_injected_from_vm\":7,\"bytes_injected_to_vm\":6,\"file_transfer_dropped\":1}}"

/* a hostile identity and request */
#define GOLDEN_DENIED                                                                              \
    "{\"v\":1,\"event\":\"denied\",\"time\":\"2026-11-29T10:00:04.500Z\","                         \
    "\"host\":\"kvm1\","                                                                           \
    "\"identity\":\"mal \\u001b]0;pwned\\u0007\\\"zoe\\u007f\",\"account\":\"vmconsole\","         \
    "\"key\":\"SHA256:hojOFmryc3LjFvJGg56biAmqC/SQPEHDK2QlbINbDp0\",\"key_type\":\"ssh-rsa\","     \
    "\"client\":\"198.51.100.9 48158\","                                                           \
    "\"request\":\"deb\\\\e[2J\\\\e[31mianx\\\\x07\\\\xc3\\\\xa9\",\"vm\":\"debianx\","            \
    "\"reason\":\"bad request: byte '\\\\x1b' at offset 3 is not printable ASCII\","               \
    "\"exit\":2}"

/* one client address */
#define GOLDEN_DENIED_SUMMARY                                                                      \
    "{\"v\":1,\"event\":\"denied-summary\",\"time\":\"2026-11-29T10:00:04.500Z\","                 \
    "\"host\":\"kvm1\","                                                                           \
    "\"identity\":\"mallory\",\"account\":\"vmconsole\",\"client\":\"192.0.2.7\","                 \
    "\"suppressed\":9997,\"over_rate\":9990,\"low_space\":7,\"exits\":{\"3\":997,\"2\":9000},"     \
    "\"first\":\"2026-11-29T10:02:05.000Z\",\"last\":\"2026-11-29T10:02:59.999Z\","                \
    "\"window_s\":60,\"limit\":30}"

/* the bucket of every further address */
#define GOLDEN_DENIED_SUMMARY_OTHERS                                                               \
    "{\"v\":1,\"event\":\"denied-summary\",\"time\":\"2026-11-29T10:00:04.500Z\","                 \
    "\"host\":\"kvm1\","                                                                           \
    "\"identity\":\"mallory\",\"account\":\"vmconsole\",\"other_clients\":true,"                   \
    "\"suppressed\":9997,\"over_rate\":9990,\"low_space\":7,\"exits\":{\"3\":997,\"2\":9000},"     \
    "\"first\":\"2026-11-29T10:02:05.000Z\",\"last\":\"2026-11-29T10:02:59.999Z\","                \
    "\"window_s\":60,\"limit\":30}"
