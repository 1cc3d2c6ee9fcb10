/* pulse-attacker — what a cookie holder on the host would ask of the
 * laptop's sound server through the tunnel, for test-sound-guard.sh. pactl
 * has no kill-client; the others are here too so that one program tries
 * them all over one connection, the way a taken-over viewer would.
 *
 *   pulse-attacker SERVER COOKIE-FILE ACTION [ARG]
 *     kill-client N | kill-sink-input N | move-sink-input N | unload-module N |
 *     set-sink-volume NAME | suspend-sink NAME
 *
 * Prints "ok" when the server did it, "refused: TEXT" when it answered an
 * error, and exits 0 / 1; 2 on a usage or connection error. Bounded: 10 s.
 */
#include <pulse/pulseaudio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    pa_mainloop *loop;
    const char *action, *arg;
    int result; /* -1: running, 0: done, 1: refused, 2: failed */
} Attack;

static void
on_success(pa_context *c, int success, void *data)
{
    Attack *a = data;
    if (success)
        printf("ok\n");
    else
        printf("refused: %s\n", pa_strerror(pa_context_errno(c)));
    a->result = success ? 0 : 1;
    pa_mainloop_quit(a->loop, 0);
}

static pa_operation *
start(pa_context *c, Attack *a)
{
    uint32_t n = (uint32_t)strtoul(a->arg, NULL, 10);
    pa_cvolume v;
    pa_cvolume_set(&v, 2, PA_VOLUME_MUTED);
    if (strcmp(a->action, "kill-client") == 0)
        return pa_context_kill_client(c, n, on_success, a);
    if (strcmp(a->action, "kill-sink-input") == 0)
        return pa_context_kill_sink_input(c, n, on_success, a);
    if (strcmp(a->action, "move-sink-input") == 0)
        return pa_context_move_sink_input_by_index(c, n, 0, on_success, a);
    if (strcmp(a->action, "unload-module") == 0)
        return pa_context_unload_module(c, n, on_success, a);
    if (strcmp(a->action, "set-sink-volume") == 0)
        return pa_context_set_sink_volume_by_name(c, a->arg, &v, on_success, a);
    if (strcmp(a->action, "suspend-sink") == 0)
        return pa_context_suspend_sink_by_name(c, a->arg, 1, on_success, a);
    return NULL;
}

static void
on_state(pa_context *c, void *data)
{
    Attack *a = data;
    pa_context_state_t state = pa_context_get_state(c);
    if (state == PA_CONTEXT_READY) {
        pa_operation *o = start(c, a);
        if (o == NULL) {
            fprintf(stderr, "pulse-attacker: unknown action %s\n", a->action);
            a->result = 2;
            pa_mainloop_quit(a->loop, 0);
            return;
        }
        pa_operation_unref(o);
    } else if (state == PA_CONTEXT_FAILED || state == PA_CONTEXT_TERMINATED) {
        if (a->result < 0) {
            fprintf(stderr, "pulse-attacker: connection: %s\n", pa_strerror(pa_context_errno(c)));
            a->result = 2;
        }
        pa_mainloop_quit(a->loop, 0);
    }
}

static void
on_timeout(pa_mainloop_api *api, pa_time_event *e, const struct timeval *tv, void *data)
{
    (void)e;
    (void)tv;
    Attack *a = data;
    fprintf(stderr, "pulse-attacker: no answer within 10 s\n");
    a->result = 2;
    api->quit(api, 0);
}

int
main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: pulse-attacker SERVER COOKIE-FILE ACTION ARG\n");
        return 2;
    }
    setenv("PULSE_COOKIE", argv[2], 1);
    Attack a = {pa_mainloop_new(), argv[3], argv[4], -1};
    pa_mainloop_api *api = pa_mainloop_get_api(a.loop);
    pa_context *c = pa_context_new(api, "pulse-attacker");
    struct timeval tv;
    api->time_new(api, pa_timeval_add(pa_gettimeofday(&tv), 10 * PA_USEC_PER_SEC), on_timeout, &a);
    pa_context_set_state_callback(c, on_state, &a);
    if (pa_context_connect(c, argv[1], PA_CONTEXT_NOAUTOSPAWN, NULL) < 0) {
        fprintf(stderr, "pulse-attacker: %s\n", pa_strerror(pa_context_errno(c)));
        return 2;
    }
    pa_mainloop_run(a.loop, NULL);
    pa_context_disconnect(c);
    pa_context_unref(c);
    pa_mainloop_free(a.loop);
    return a.result < 0 ? 2 : a.result;
}
