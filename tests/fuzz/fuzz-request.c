/* fuzz-request.c — libFuzzer target for the request grammar: whatever is
 * accepted must print canonically, and the canonical text must parse back to
 * the same request and print the same again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gboolean
same_request(const VmcRequest *a, const VmcRequest *b)
{
    return a->kind == b->kind && strcmp(a->vm, b->vm) == 0 && a->takeover == b->takeover &&
           a->audio_off == b->audio_off && a->pulse_port == b->pulse_port &&
           a->pulse_cookie_stdin == b->pulse_cookie_stdin &&
           a->pulse_port_stdin == b->pulse_port_stdin && a->microphone == b->microphone &&
           a->native == b->native && strcmp(a->token, b->token) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    VmcRequest request, again;

    if (!vmc_request_parse((const char *)data, size, &request, &error)) {
        /* refusals are messages for people: short, printable */
        if (error == NULL || strlen(error->message) > 200)
            abort();
        for (const char *p = error->message; *p != '\0'; p++)
            if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
                abort();
        return 0;
    }
    if (error != NULL || size > VMC_REQUEST_MAX_BYTES)
        abort();
    g_autofree char *text = vmc_request_to_string(&request);
    if (text == NULL || !vmc_request_parse(text, strlen(text), &again, NULL))
        abort();
    if (!same_request(&request, &again))
        abort();
    g_autofree char *text_again = vmc_request_to_string(&again);
    if (strcmp(text, text_again) != 0)
        abort();
    return 0;
}
