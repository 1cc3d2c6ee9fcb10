/* print.c — the one way a program prints a message that may hold untrusted
 * text, in the spirit of OpenSSH's fmprintf and GLib's
 * g_markup_printf_escaped: the format is a literal (the compiler checks it),
 * and every %s and %c argument is escaped on its way into the text, so a
 * caller cannot forget to. Other conversions are printed as printf would. */
#include "vmc-common.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#define SPEC_MAX 32 /* bytes of one conversion specification rebuilt for printf */

typedef enum {
    LENGTH_NONE,
    LENGTH_HH,
    LENGTH_H,
    LENGTH_L,
    LENGTH_LL,
    LENGTH_Z,
    LENGTH_J,
    LENGTH_T,
    LENGTH_BIG_L,
} Length;

/* One conversion: "%" flags width precision length conversion. */
typedef struct {
    char flags[8];
    int width;     /* -1: none */
    int precision; /* -1: none */
    Length length;
    char conversion;
} Spec;

static int
parse_number(const char **p, va_list *args)
{
    if (**p == '*') {
        (*p)++;
        return va_arg(*args, int);
    }
    int value = 0;
    while (g_ascii_isdigit(**p) && value < 100000)
        value = value * 10 + (*(*p)++ - '0');
    return value;
}

static Length
parse_length(const char **p)
{
    static const struct {
        const char *text;
        Length length;
    } lengths[] = {{"hh", LENGTH_HH}, {"h", LENGTH_H}, {"ll", LENGTH_LL}, {"l", LENGTH_L},
                   {"z", LENGTH_Z},   {"j", LENGTH_J}, {"t", LENGTH_T},   {"L", LENGTH_BIG_L}};
    for (guint i = 0; i < G_N_ELEMENTS(lengths); i++) {
        gsize n = strlen(lengths[i].text);
        if (strncmp(*p, lengths[i].text, n) == 0) {
            *p += n;
            return lengths[i].length;
        }
    }
    return LENGTH_NONE;
}

/* The conversion at p (just after its '%'); returns where the format goes on.
 * A '*' width or precision takes its int from args, as printf does. */
static const char *
parse_spec(const char *p, Spec *spec, va_list *args)
{
    gsize n = 0;
    while (*p != '\0' && strchr("-+ #0", *p) != NULL) {
        if (n + 1 < sizeof spec->flags)
            spec->flags[n++] = *p;
        p++;
    }
    spec->flags[n] = '\0';
    spec->width = *p == '*' || g_ascii_isdigit(*p) ? parse_number(&p, args) : -1;
    if (spec->width < -1) { /* a negative '*' width: left-justified */
        spec->width = -spec->width;
        g_strlcat(spec->flags, "-", sizeof spec->flags);
    }
    spec->precision = -1;
    if (*p == '.') {
        p++;
        int precision = parse_number(&p, args);
        spec->precision = precision >= 0 ? precision : -1; /* a negative '*': none */
    }
    spec->length = parse_length(&p);
    spec->conversion = *p;
    return *p != '\0' ? p + 1 : p;
}

/* text padded to the spec's width (on the right with the '-' flag). */
static void
append_padded(GString *out, const Spec *spec, const char *text)
{
    gsize length = strlen(text);
    gsize pad = spec->width > 0 && (gsize)spec->width > length ? (gsize)spec->width - length : 0;
    gboolean left = strchr(spec->flags, '-') != NULL;
    if (!left)
        for (gsize i = 0; i < pad; i++)
            g_string_append_c(out, ' ');
    g_string_append(out, text);
    if (left)
        for (gsize i = 0; i < pad; i++)
            g_string_append_c(out, ' ');
}

/* A %s or %c argument, escaped and capped (its precision, else
 * VMC_PRINT_ARG_MAX bytes), then padded. */
static void
append_text(GString *out, const Spec *spec, const char *text, gssize length)
{
    gsize cap = spec->precision >= 0 ? (gsize)spec->precision : VMC_PRINT_ARG_MAX;
    g_autofree char *escaped = vmc_text_for_message(text, length, cap);
    append_padded(out, spec, escaped);
}

/* The spec again as printf text ("%-08.3lld"), with '*' values filled in. */
static void
rebuild(const Spec *spec, char buf[SPEC_MAX])
{
    static const char *const words[] = {
        [LENGTH_NONE] = "", [LENGTH_HH] = "hh", [LENGTH_H] = "h",
        [LENGTH_L] = "l",   [LENGTH_LL] = "ll", [LENGTH_Z] = "z",
        [LENGTH_J] = "j",   [LENGTH_T] = "t",   [LENGTH_BIG_L] = "L",
    };
    char width[16] = "", precision[16] = "";
    if (spec->width >= 0)
        g_snprintf(width, sizeof width, "%d", spec->width);
    if (spec->precision >= 0)
        g_snprintf(precision, sizeof precision, ".%d", spec->precision);
    g_snprintf(buf, SPEC_MAX, "%%%s%s%s%s%c", spec->flags, width, precision, words[spec->length],
               spec->conversion);
}

/* The rebuilt spec is one of a literal format the compiler has checked. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

static gboolean
append_integer(GString *out, const Spec *spec, const char *text, va_list *args)
{
    gboolean is_signed = spec->conversion == 'd' || spec->conversion == 'i';
    switch (spec->length) {
    case LENGTH_L:
        if (is_signed)
            g_string_append_printf(out, text, va_arg(*args, long));
        else
            g_string_append_printf(out, text, va_arg(*args, unsigned long));
        return TRUE;
    case LENGTH_LL:
        if (is_signed)
            g_string_append_printf(out, text, va_arg(*args, long long));
        else
            g_string_append_printf(out, text, va_arg(*args, unsigned long long));
        return TRUE;
    case LENGTH_Z:
        if (is_signed)
            g_string_append_printf(out, text, va_arg(*args, ssize_t));
        else
            g_string_append_printf(out, text, va_arg(*args, size_t));
        return TRUE;
    case LENGTH_J:
        if (is_signed)
            g_string_append_printf(out, text, va_arg(*args, intmax_t));
        else
            g_string_append_printf(out, text, va_arg(*args, uintmax_t));
        return TRUE;
    case LENGTH_T:
        g_string_append_printf(out, text, va_arg(*args, ptrdiff_t));
        return TRUE;
    case LENGTH_BIG_L:
        return FALSE;
    default: /* hh, h and none: promoted to int */
        if (is_signed)
            g_string_append_printf(out, text, va_arg(*args, int));
        else
            g_string_append_printf(out, text, va_arg(*args, unsigned int));
        return TRUE;
    }
}

/* One conversion other than %s, %c and %%; FALSE for one we do not print. */
static gboolean
append_other(GString *out, const Spec *spec, va_list *args)
{
    char text[SPEC_MAX];
    rebuild(spec, text);
    switch (spec->conversion) {
    case 'd':
    case 'i':
    case 'o':
    case 'u':
    case 'x':
    case 'X':
        return append_integer(out, spec, text, args);
    case 'f':
    case 'F':
    case 'e':
    case 'E':
    case 'g':
    case 'G':
    case 'a':
    case 'A':
        if (spec->length == LENGTH_BIG_L)
            g_string_append_printf(out, text, va_arg(*args, long double));
        else
            g_string_append_printf(out, text, va_arg(*args, double));
        return TRUE;
    case 'p':
        g_string_append_printf(out, text, va_arg(*args, void *));
        return TRUE;
    default: /* %n, wide strings and characters, unknown conversions */
        return FALSE;
    }
}

#pragma GCC diagnostic pop

static gboolean
append_conversion(GString *out, const Spec *spec, va_list *args)
{
    switch (spec->conversion) {
    case '%':
        g_string_append_c(out, '%');
        return TRUE;
    case 's': {
        if (spec->length != LENGTH_NONE)
            return FALSE;
        const char *text = va_arg(*args, const char *);
        append_text(out, spec, text != NULL ? text : "(null)", -1);
        return TRUE;
    }
    case 'c': {
        if (spec->length != LENGTH_NONE)
            return FALSE;
        char c = (char)va_arg(*args, int);
        append_text(out, spec, &c, 1);
        return TRUE;
    }
    default:
        return append_other(out, spec, args);
    }
}

char *
vmc_strdup_vprintf_escaped(const char *format, va_list args)
{
    g_return_val_if_fail(format != NULL, NULL);
    GString *out = g_string_new(NULL);
    va_list copy;
    va_copy(copy, args);
    for (const char *p = format; *p != '\0';) {
        const char *percent = strchr(p, '%');
        if (percent == NULL) {
            g_string_append(out, p);
            break;
        }
        g_string_append_len(out, p, percent - p);
        Spec spec;
        p = parse_spec(percent + 1, &spec, &copy);
        if (!append_conversion(out, &spec, &copy)) {
            g_critical("vmc_print_escaped: conversion '%%%c' is not supported", spec.conversion);
            break;
        }
    }
    va_end(copy);
    return g_string_free(out, FALSE);
}

char *
vmc_strdup_printf_escaped(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    char *text = vmc_strdup_vprintf_escaped(format, args);
    va_end(args);
    return text;
}

void
vmc_vprint_escaped(FILE *out, const char *format, va_list args)
{
    g_return_if_fail(out != NULL && format != NULL);
    g_autofree char *text = vmc_strdup_vprintf_escaped(format, args);
    fputs(text, out);
}

void
vmc_print_escaped(FILE *out, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vmc_vprint_escaped(out, format, args);
    va_end(args);
}

void
vmc_vprint_line(FILE *out, const char *prefix, const char *format, va_list args)
{
    g_return_if_fail(out != NULL && prefix != NULL && format != NULL);
    g_autofree char *text = vmc_strdup_vprintf_escaped(format, args);
    fprintf(out, "%s%s\n", prefix, text); /* one write on an unbuffered stderr */
}
