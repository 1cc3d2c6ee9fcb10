/* vmc-assert.h — the unit tests' assertions on text that say, when they
 * fail, what was looked for and what was there (g_assert_nonnull(strstr())
 * says neither). Header only: every unit test may include it. */
#pragma once

#include <glib.h>
#include <string.h>

#define VMC_ASSERT_SHOWN_MAX 4000 /* bytes of the haystack shown in a failure */

/* haystack holds needle. */
#define vmc_assert_contains(haystack, needle)                                                      \
    vmc_assert_text_at(__FILE__, __LINE__, G_STRFUNC, #haystack, (haystack), (needle), TRUE)
/* haystack (not NULL) does not hold needle. */
#define vmc_assert_lacks(haystack, needle)                                                         \
    vmc_assert_text_at(__FILE__, __LINE__, G_STRFUNC, #haystack, (haystack), (needle), FALSE)

static inline void
vmc_assert_text_at(const char *file, int line, const char *func, const char *expression,
                   const char *haystack, const char *needle, gboolean want)
{
    if (haystack != NULL && needle != NULL && (strstr(haystack, needle) != NULL) == want)
        return;
    g_autofree char *shown_needle = needle != NULL ? g_strescape(needle, NULL) : NULL;
    g_autofree char *shown = NULL;
    if (haystack != NULL) {
        gsize length = strlen(haystack);
        g_autofree char *head = g_strndup(haystack, MIN(length, VMC_ASSERT_SHOWN_MAX));
        g_autofree char *escaped = g_strescape(head, NULL);
        shown = g_strdup_printf("\"%s\"%s (%zu bytes)", escaped,
                                length > VMC_ASSERT_SHOWN_MAX ? "..." : "", length);
    }
    g_autofree char *message = g_strdup_printf(
        "%s should %s \"%s\"; it is %s", expression, want ? "contain" : "not contain",
        shown_needle != NULL ? shown_needle : "(NULL)", shown != NULL ? shown : "NULL");
    g_assertion_message(G_LOG_DOMAIN, file, line, func, message);
}
