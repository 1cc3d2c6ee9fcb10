/* confine-error.c — error messages and debug lines, turned into words in one place. */
#include "confine-priv.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
vmc_confine_error_set(VmcConfineError *error, int errnum, const char *format, ...)
{
    va_list ap;
    int n;

    if (error == NULL)
        return;
    va_start(ap, format);
    n = vsnprintf(error->message, sizeof(error->message), format, ap);
    va_end(ap);
    if (n < 0) {
        snprintf(error->message, sizeof(error->message), "(unprintable error)");
        n = (int)strlen(error->message);
    }
    if (errnum != 0 && (size_t)n < sizeof(error->message))
        snprintf(error->message + n, sizeof(error->message) - (size_t)n, ": %s", strerror(errnum));
}

void
vmc_confine_debug(bool debug, const char *format, ...)
{
    va_list ap;

    if (!debug)
        return;
    fputs("vmconsole-confine: debug: ", stderr);
    va_start(ap, format);
    vfprintf(stderr, format, ap);
    va_end(ap);
    fputc('\n', stderr);
}
