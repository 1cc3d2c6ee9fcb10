/* request.c — the gateway's request grammar (SSH_ORIGINAL_COMMAND): strict,
 * pure, no allocation on the accepting path. See request.h and DESIGN.md. */
#include "request.h"

#include <string.h>

#include "vmc-common.h"

/* clang-format off */
/* the GError domain "vmc-request-error-quark" */
GQuark
vmc_request_error_quark(void)
{
    return g_quark_from_static_string("vmc-request-error-quark");
}
/* clang-format on */

#define VM_NAME_MAX (sizeof(((VmcRequest *)NULL)->vm) - 1)
#define QUOTE_MAX 64 /* bytes of escaped input quoted in an error message */
#define PULSE_PREFIX "--pulse=tcp:"
#define PULSE_STDIN "--pulse=tcp:stdin"
#define OPTIONS_HELP                                                                               \
    "--takeover --audio=off --pulse=tcp:PORT|stdin --pulse-cookie=stdin --microphone --native"

/* Input as it may appear in a message: printable ASCII passes, backslash is
 * doubled, anything else is \xNN; at most QUOTE_MAX bytes, then "...". */
static char *
quote(const char *bytes, gsize length)
{
    return vmc_text_escape_with(bytes, (gssize)length, QUOTE_MAX, VMC_ESCAPE_HEX_ONLY);
}

static gboolean
word_is(const char *word, gsize length, const char *literal)
{
    return length == strlen(literal) && memcmp(word, literal, length) == 0;
}

static gboolean
is_vm_name(const char *word, gsize length)
{
    if (length == 0 || length > VM_NAME_MAX || !g_ascii_isalnum(word[0]))
        return FALSE;
    for (gsize i = 1; i < length; i++)
        if (!g_ascii_isalnum(word[i]) && word[i] != '.' && word[i] != '_' && word[i] != '-')
            return FALSE;
    return TRUE;
}

/* PORT: 1 to 5 decimal digits, no sign, no leading zero, 1..65535. */
gboolean
vmc_request_parse_port(const char *text, gsize length, guint16 *ret_port)
{
    guint value = 0;
    if (length == 0 || length > 5 || text[0] == '0')
        return FALSE;
    for (gsize i = 0; i < length; i++) {
        if (!g_ascii_isdigit(text[i]))
            return FALSE;
        value = value * 10 + (guint)(text[i] - '0');
    }
    if (value > G_MAXUINT16)
        return FALSE;
    *ret_port = (guint16)value;
    return TRUE;
}

/* Refuse with "BEFORE'WORD'AFTER", the word quoted. */
static gboolean
refuse_word(GError **error, const char *before, const char *word, gsize length, const char *after)
{
    g_autofree char *quoted = quote(word, length);
    g_set_error(error, VMC_REQUEST_ERROR, VMC_REQUEST_ERROR_INVALID, "bad request: %s'%s'%s",
                before, quoted, after);
    return FALSE;
}

/* The flag an option word sets, or NULL if it is not a flag option. */
static gboolean *
flag_option(VmcRequest *request, const char *word, gsize length)
{
    if (word_is(word, length, "--takeover"))
        return &request->takeover;
    if (word_is(word, length, "--audio=off"))
        return &request->audio_off;
    if (word_is(word, length, "--pulse-cookie=stdin"))
        return &request->pulse_cookie_stdin;
    if (word_is(word, length, "--microphone"))
        return &request->microphone;
    if (word_is(word, length, "--native"))
        return &request->native;
    return NULL;
}

static gboolean
parse_option(VmcRequest *request, const char *word, gsize length, GError **error)
{
    const gsize prefix = strlen(PULSE_PREFIX);
    gboolean *flag = flag_option(request, word, length);
    if (flag != NULL) {
        if (*flag)
            return refuse_word(error, "option ", word, length, " given twice");
        *flag = TRUE;
        return TRUE;
    }
    if (length < prefix || memcmp(word, PULSE_PREFIX, prefix) != 0)
        return refuse_word(error, "unknown option ", word, length, "; options: " OPTIONS_HELP);
    if (request->pulse_port != 0 || request->pulse_port_stdin)
        return refuse_word(error, "--pulse given twice: ", word, length, "");
    if (word_is(word, length, PULSE_STDIN)) {
        request->pulse_port_stdin = TRUE;
        return TRUE;
    }
    if (!vmc_request_parse_port(word + prefix, length - prefix, &request->pulse_port))
        return refuse_word(error, "bad port in ", word, length,
                           "; PORT is 1 to 65535 in decimal, without sign or leading zero");
    return TRUE;
}

/* The first word: a reserved command, or the VM name of an open request. */
static gboolean
parse_first_word(VmcRequest *request, const char *word, gsize length, GError **error)
{
    static const struct {
        const char *word;
        VmcRequestKind kind;
    } commands[] = {
        {"help", VMC_REQUEST_HELP},
        {"list", VMC_REQUEST_LIST},
        {"version", VMC_REQUEST_VERSION},
        {"attach", VMC_REQUEST_ATTACH},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (word_is(word, length, commands[i].word)) {
            request->kind = commands[i].kind;
            return TRUE;
        }
    }
    if (!is_vm_name(word, length))
        return refuse_word(error, "", word, length,
                           " is not a VM name (1 to 64 of A-Z a-z 0-9 . _ -, first a letter "
                           "or digit); try 'help'");
    request->kind = VMC_REQUEST_OPEN;
    memcpy(request->vm, word, length);
    request->vm[length] = '\0';
    return TRUE;
}

/* An attach token: exactly VMC_REQUEST_TOKEN_LENGTH of [0-9a-f]. */
static gboolean
is_token(const char *word, gsize length)
{
    if (length != VMC_REQUEST_TOKEN_LENGTH)
        return FALSE;
    for (gsize i = 0; i < length; i++)
        if (!g_ascii_isdigit(word[i]) && !(word[i] >= 'a' && word[i] <= 'f'))
            return FALSE;
    return TRUE;
}

/* "attach TOKEN": the second word is the token, and there is no third. The
 * token is never quoted back (it is a secret). */
static gboolean
parse_attach_word(VmcRequest *request, guint index, const char *word, gsize length, GError **error)
{
    if (index > 1 || !is_token(word, length)) {
        g_set_error_literal(error, VMC_REQUEST_ERROR, VMC_REQUEST_ERROR_INVALID,
                            "bad request: 'attach' takes one token of 64 lower-case hex "
                            "characters, as the session printed it");
        return FALSE;
    }
    memcpy(request->token, word, length);
    request->token[length] = '\0';
    return TRUE;
}

static gboolean
parse_word(VmcRequest *request, guint index, const char *word, gsize length, GError **error)
{
    if (length == 0) {
        g_set_error_literal(error, VMC_REQUEST_ERROR, VMC_REQUEST_ERROR_INVALID,
                            "bad request: empty word (a leading, trailing or double space); "
                            "separate words with single spaces");
        return FALSE;
    }
    if (index == 0)
        return parse_first_word(request, word, length, error);
    if (request->kind == VMC_REQUEST_ATTACH)
        return parse_attach_word(request, index, word, length, error);
    if (request->kind != VMC_REQUEST_OPEN) {
        const char *command = request->kind == VMC_REQUEST_LIST      ? "list"
                              : request->kind == VMC_REQUEST_VERSION ? "version"
                                                                     : "help";
        g_set_error(error, VMC_REQUEST_ERROR, VMC_REQUEST_ERROR_INVALID,
                    "bad request: '%s' takes no arguments, and help, list, version and "
                    "attach cannot be VM names",
                    command);
        return FALSE;
    }
    return parse_option(request, word, length, error);
}

static gboolean
check_bytes(const char *bytes, gsize length, GError **error)
{
    if (length > VMC_REQUEST_MAX_BYTES) {
        g_set_error(error, VMC_REQUEST_ERROR, VMC_REQUEST_ERROR_INVALID,
                    "bad request: too long (more than %d bytes)", VMC_REQUEST_MAX_BYTES);
        return FALSE;
    }
    for (gsize i = 0; i < length; i++) {
        guchar c = (guchar)bytes[i];
        if (c < 0x20 || c >= 0x7f) {
            g_autofree char *quoted = quote(bytes + i, 1);
            g_set_error(error, VMC_REQUEST_ERROR, VMC_REQUEST_ERROR_INVALID,
                        "bad request: byte '%s' at offset %" G_GSIZE_FORMAT
                        " is not printable ASCII",
                        quoted, i);
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
check_options(const VmcRequest *request, GError **error)
{
    const char *problem = NULL;
    gboolean pulse = request->pulse_port != 0 || request->pulse_port_stdin;
    if (request->native && (pulse || request->pulse_cookie_stdin))
        problem = "bad request: --native conflicts with --pulse=tcp:PORT and --pulse-cookie=stdin "
                  "(the sound goes to the viewer on your laptop)";
    else if (request->audio_off && (pulse || request->pulse_cookie_stdin))
        problem = "bad request: --audio=off conflicts with --pulse=tcp:PORT and "
                  "--pulse-cookie=stdin";
    else if (request->pulse_cookie_stdin && !pulse)
        problem = "bad request: --pulse-cookie=stdin needs --pulse=tcp:PORT";
    else if (request->native && request->audio_off && request->microphone)
        problem = "bad request: --microphone conflicts with --audio=off";
    else if (request->microphone && !pulse && !request->native)
        problem = "bad request: --microphone needs the sound tunnel (--pulse=tcp:PORT) or "
                  "--native";
    else if (request->kind == VMC_REQUEST_ATTACH && request->token[0] == '\0')
        problem = "bad request: 'attach' takes one token of 64 lower-case hex characters, as "
                  "the session printed it";
    if (problem == NULL)
        return TRUE;
    g_set_error_literal(error, VMC_REQUEST_ERROR, VMC_REQUEST_ERROR_INVALID, problem);
    return FALSE;
}

gboolean
vmc_request_parse(const char *bytes, gsize length, VmcRequest *ret_request, GError **error)
{
    VmcRequest request = {.kind = VMC_REQUEST_HELP};
    gsize start = 0;

    g_return_val_if_fail(bytes != NULL || length == 0, FALSE);
    g_return_val_if_fail(ret_request != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    if (!check_bytes(bytes, length, error))
        return FALSE;
    for (guint index = 0; length > 0; index++) {
        const char *space = memchr(bytes + start, ' ', length - start);
        gsize end = space != NULL ? (gsize)(space - bytes) : length;
        if (!parse_word(&request, index, bytes + start, end - start, error))
            return FALSE;
        if (space == NULL)
            break;
        start = end + 1;
    }
    if (!check_options(&request, error))
        return FALSE;
    *ret_request = request;
    return TRUE;
}

char *
vmc_request_to_string(const VmcRequest *request)
{
    g_return_val_if_fail(request != NULL, NULL);

    switch (request->kind) {
    case VMC_REQUEST_HELP:
        return g_strdup("help");
    case VMC_REQUEST_LIST:
        return g_strdup("list");
    case VMC_REQUEST_VERSION:
        return g_strdup("version");
    case VMC_REQUEST_ATTACH:
        return g_strdup_printf("attach %s", request->token);
    case VMC_REQUEST_OPEN:
        break;
    default:
        g_return_val_if_reached(NULL);
    }
    GString *out = g_string_new(NULL);
    g_string_append_len(out, request->vm, (gssize)strnlen(request->vm, sizeof request->vm));
    if (request->takeover)
        g_string_append(out, " --takeover");
    if (request->audio_off)
        g_string_append(out, " --audio=off");
    if (request->pulse_port != 0)
        g_string_append_printf(out, " " PULSE_PREFIX "%u", (guint)request->pulse_port);
    if (request->pulse_port_stdin)
        g_string_append(out, " " PULSE_STDIN);
    if (request->pulse_cookie_stdin)
        g_string_append(out, " --pulse-cookie=stdin");
    if (request->microphone)
        g_string_append(out, " --microphone");
    if (request->native)
        g_string_append(out, " --native");
    return g_string_free(out, FALSE);
}
