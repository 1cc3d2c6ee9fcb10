/* test-config-parse.c — config text to VmcConfig (config/config-parse.c). */
#include "vmc-config.h"
#include "vmc-assert.h"

#include <string.h>

#define SOURCE "/etc/vmconsole/gateway.conf"

static VmcConfig *
parse(const char *text, GError **error)
{
    return vmc_config_load_data(text, strlen(text), SOURCE, error);
}

static void
assert_defaults(const VmcConfig *config)
{
    g_assert_cmpstr(config->socket_pattern, ==, VMC_CONFIG_DEFAULT_SOCKET_PATTERN);
    g_assert_cmpstr(config->viewer, ==, VMC_CONFIG_DEFAULT_VIEWER);
    g_assert_cmpstr(config->log, ==, VMC_CONFIG_DEFAULT_LOG);
    g_assert_cmpstr(config->run_dir, ==, VMC_CONFIG_DEFAULT_RUN_DIR);
    g_assert_cmpstr(config->account, ==, VMC_CONFIG_DEFAULT_ACCOUNT);
    g_assert_cmpint(config->takeover, ==, VMC_TAKEOVER_DENY);
    g_assert_cmpint(config->sandbox, ==, VMC_SANDBOX_ON);
    g_assert_cmpuint(config->max_sessions_per_identity, ==, VMC_CONFIG_DEFAULT_MAX_SESSIONS);
    g_assert_cmpuint(config->denied_per_minute, ==, VMC_CONFIG_DEFAULT_DENIED_RATE);
    g_assert_cmpuint(config->log_reserve, ==, VMC_CONFIG_DEFAULT_LOG_RESERVE);
    g_assert_cmpint(config->file_transfer, ==, VMC_FILE_TRANSFER_DENY);
    g_assert_cmpint(config->clipboard, ==, VMC_CLIPBOARD_BOTH);
}

static void
test_defaults(void)
{
    static const char *const texts[] = {
        "", "\n\n", "# only a comment\n", "[gateway]\n", "  # indented\r\n[gateway]  \r\n",
    };
    g_autoptr(VmcConfig) def = vmc_config_new_default();
    assert_defaults(def);
    g_assert_cmpint(def->usb, ==, VMC_USB_DENY);
    g_assert_false(vmc_config_usb_allowed(def, "any"));
    g_assert_cmpuint(def->vms->len, ==, 0);
    for (gsize i = 0; i < G_N_ELEMENTS(texts); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(VmcConfig) config = parse(texts[i], &error);
        g_assert_no_error(error);
        assert_defaults(config);
        g_assert_cmpstr(config->path, ==, SOURCE);
        g_assert_cmpuint(config->vms->len, ==, 0);
    }
    /* length, not NUL, ends the text */
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcConfig) config = vmc_config_load_data(NULL, 0, NULL, &error);
    g_assert_no_error(error);
    assert_defaults(config);
}

static void
test_full(void)
{
    static const char text[] = "# vmconsole gateway\n"
                               "[gateway]\n"
                               "socket-pattern = /srv/spice/vm-%s.sock\n"
                               "viewer=/opt/rv/bin/remote-viewer\n"
                               "log = /var/log/vmc/s.jsonl   \n"
                               "run-dir = /run/vmc\n"
                               "account = spice_gw\n"
                               "takeover = allow\n"
                               "sandbox = off\n"
                               "max-sessions-per-identity = 1000\n"
                               "file-transfer = allow\n"
                               "clipboard = none\n"
                               "microphone = allow\n"
                               "usb = allow\n"
                               "denied-records-per-minute = 5\n"
                               "log-reserve = 2M\n"
                               "\n"
                               "[vm debianx]\n"
                               "socket = /var/spicex/spice.socket\n"
                               "title = Customer A desktop #1; main\n"
                               "acl = group:spicex:rw, u:bob:r\n"
                               "channels = main display inputs\n"
                               "microphone = deny\n"
                               "usb = deny\n"
                               "file-transfer = deny\n"
                               "clipboard = from-vm\n"
                               "[vm win10]\n";
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcConfig) config = parse(text, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(config->socket_pattern, ==, "/srv/spice/vm-%s.sock");
    g_assert_cmpstr(config->viewer, ==, "/opt/rv/bin/remote-viewer");
    g_assert_cmpstr(config->log, ==, "/var/log/vmc/s.jsonl");
    g_assert_cmpstr(config->run_dir, ==, "/run/vmc");
    g_assert_cmpstr(config->account, ==, "spice_gw");
    g_assert_cmpint(config->takeover, ==, VMC_TAKEOVER_ALLOW);
    g_assert_cmpint(config->sandbox, ==, VMC_SANDBOX_OFF);
    g_assert_cmpuint(config->max_sessions_per_identity, ==, 1000);
    g_assert_cmpuint(config->denied_per_minute, ==, 5);
    g_assert_cmpuint(config->log_reserve, ==, 2 << 20);
    g_assert_cmpuint(config->vms->len, ==, 2);

    const VmcVmConfig *vm = g_ptr_array_index(config->vms, 0);
    g_assert_true(vm == vmc_config_find_vm(config, "debianx"));
    g_assert_cmpstr(vm->socket, ==, "/var/spicex/spice.socket");
    g_assert_cmpstr(vm->title, ==, "Customer A desktop #1; main");
    g_assert_cmpstr(vm->acl, ==, "group:spicex:rw-,user:bob:r--");
    g_autofree char *channels = g_strjoinv(" ", vm->channels);
    g_assert_cmpstr(channels, ==, "main display inputs");
    g_assert_cmpint(vm->microphone, ==, VMC_MICROPHONE_DENY);
    g_assert_false(vmc_config_microphone_allowed(config, "debianx"));
    g_assert_cmpint(vm->usb, ==, VMC_USB_DENY);
    g_assert_false(vmc_config_usb_allowed(config, "debianx"));
    g_assert_cmpint(vm->file_transfer, ==, VMC_FILE_TRANSFER_DENY);
    g_assert_cmpint(vm->clipboard, ==, VMC_CLIPBOARD_FROM_VM);

    vm = vmc_config_find_vm(config, "win10");
    g_assert_nonnull(vm);
    g_assert_null(vm->socket);
    g_assert_null(vm->title);
    g_assert_null(vm->acl);
    g_autofree char *def_channels = g_strjoinv(" ", vm->channels);
    g_assert_cmpstr(def_channels, ==, VMC_CONFIG_DEFAULT_CHANNELS);
    g_assert_cmpint(vm->microphone, ==, VMC_MICROPHONE_UNSET);
    /* a VM without the key has the [gateway] value; an unknown VM too */
    g_assert_true(vmc_config_microphone_allowed(config, "win10"));
    g_assert_true(vmc_config_microphone_allowed(config, "other"));
    g_assert_cmpint(vm->usb, ==, VMC_USB_UNSET);
    g_assert_true(vmc_config_usb_allowed(config, "win10"));
    g_assert_true(vmc_config_usb_allowed(config, "other"));
    /* no agent keys of its own: the [gateway] ones */
    g_assert_cmpint(vm->file_transfer, ==, VMC_FILE_TRANSFER_ALLOW);
    g_assert_cmpint(vm->clipboard, ==, VMC_CLIPBOARD_NONE);
    g_assert_null(vmc_config_find_vm(config, "Win10"));
}

typedef struct {
    const char *name;
    const char *text;
    VmcConfigError code;
    guint line;         /* 0: the message has no line */
    const char *detail; /* the message contains this */
} ErrorCase;

static const ErrorCase error_cases[] = {
    /* structure */
    {"unknown-key", "[gateway]\nviewer = /x\n\n[vm debianx]\nsokcet = /x\n",
     VMC_CONFIG_ERROR_UNKNOWN, 5,
     "[vm debianx] unknown key 'sokcet' (known: socket, title, acl, channels, microphone, usb, "
     "file-transfer, clipboard, max-duration, idle-timeout)"},
    {"unknown-gateway-key", "[gateway]\nsocket = /x\n", VMC_CONFIG_ERROR_UNKNOWN, 2,
     "[gateway] unknown key 'socket' (known: socket-pattern, viewer, log, run-dir, account, "
     "takeover, "
     "sandbox, microphone, usb, tunnel-check, max-sessions-per-identity, file-transfer, clipboard, "
     "denied-records-per-minute, log-reserve, max-duration, idle-timeout)"},
    {"bad-max-duration", "[gateway]\nmax-duration = 90\n", VMC_CONFIG_ERROR_VALUE, 2,
     "[gateway] max-duration = '90': must be off or a duration with its unit: s, m, h or d"},
    {"bad-idle-timeout-vm", "[vm a]\nidle-timeout = 0s\n", VMC_CONFIG_ERROR_VALUE, 2,
     "[vm a] idle-timeout = '0s': must be off or a duration"},
    {"long-max-duration", "[vm a]\nmax-duration = 367d\n", VMC_CONFIG_ERROR_VALUE, 2,
     "from 1s to 366d"},
    {"locale-key", "[vm a]\ntitle[de] = Hallo\n", VMC_CONFIG_ERROR_UNKNOWN, 2,
     "unknown key 'title[de]'"},
    {"unknown-group", "# c\n[gateway]\n[Gateway]\n", VMC_CONFIG_ERROR_UNKNOWN, 3,
     "unknown section [Gateway] (known: [gateway], [vm NAME])"},
    {"unknown-group-vm", "[vm]\n", VMC_CONFIG_ERROR_UNKNOWN, 1, "unknown section [vm]"},
    {"dup-section", "[vm a]\n[gateway]\n[vm a]\n", VMC_CONFIG_ERROR_SYNTAX, 3,
     "duplicate section [vm a] (first at line 1)"},
    {"dup-gateway", "[gateway]\n\n[gateway]\n", VMC_CONFIG_ERROR_SYNTAX, 3,
     "duplicate section [gateway]"},
    {"dup-key", "[gateway]\nlog = /a\n  log=/b\n", VMC_CONFIG_ERROR_SYNTAX, 3,
     "[gateway] duplicate key 'log' (first at line 2)"},
    {"key-before-group", "log = /a\n", VMC_CONFIG_ERROR_SYNTAX, 1, "before any section"},
    {"semicolon-comment", "[gateway]\n; comment\n", VMC_CONFIG_ERROR_SYNTAX, 2,
     "comments start with #"},
    {"not-a-line", "[gateway]\njunk\n", VMC_CONFIG_ERROR_SYNTAX, 2, "expected KEY = VALUE"},
    {"empty-key", "[gateway]\n= x\n", VMC_CONFIG_ERROR_SYNTAX, 2, "expected KEY = VALUE"},
    {"bad-header", "[gateway\n", VMC_CONFIG_ERROR_SYNTAX, 1, "section header"},
    {"empty-header", "[]\n", VMC_CONFIG_ERROR_SYNTAX, 1, "section header"},
    {"control-byte", "[gateway]\n\nlog = /a\x01\n", VMC_CONFIG_ERROR_SYNTAX, 3, "0x01"},
    {"lone-cr", "[gateway]\rlog = /a\n", VMC_CONFIG_ERROR_SYNTAX, 1, "0x0d"},
    {"not-utf8", "[gateway]\nviewer = /\xff\n", VMC_CONFIG_ERROR_SYNTAX, 2, "UTF-8"},
    /* VM names */
    {"vm-dotdot", "[vm ../x]\n", VMC_CONFIG_ERROR_VALUE, 1, "[vm ../x] invalid VM name"},
    {"vm-dash", "[vm -x]\n", VMC_CONFIG_ERROR_VALUE, 1, "invalid VM name"},
    {"vm-dot", "[vm .x]\n", VMC_CONFIG_ERROR_VALUE, 1, "invalid VM name"},
    {"vm-space", "[vm a b]\n", VMC_CONFIG_ERROR_VALUE, 1, "[vm a b] invalid VM name"},
    {"vm-two-spaces", "[vm  a]\n", VMC_CONFIG_ERROR_VALUE, 1, "invalid VM name"},
    {"vm-65", "[vm aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]\n",
     VMC_CONFIG_ERROR_VALUE, 1, "invalid VM name"},
    /* values */
    {"viewer-relative", "[gateway]\nviewer = remote-viewer\n", VMC_CONFIG_ERROR_VALUE, 2,
     "[gateway] viewer = 'remote-viewer': must be an absolute path"},
    {"log-dotdot", "[gateway]\nlog = /var/log/../x\n", VMC_CONFIG_ERROR_VALUE, 2,
     "[gateway] log = '/var/log/../x': path must not contain a '..' component"},
    {"run-dir-escape-newline", "[gateway]\nrun-dir = /run/a\\nb\n", VMC_CONFIG_ERROR_VALUE, 2,
     "run-dir = '/run/a\\x0ab': path contains control"},
    {"inline-comment", "[gateway]\nsocket-pattern = /var/spicex/%s.sock   ; where\n",
     VMC_CONFIG_ERROR_VALUE, 2, "inline comments are not supported"},
    {"inline-comment-hash", "[vm a]\nchannels = main # c\n", VMC_CONFIG_ERROR_VALUE, 2,
     "[vm a] channels = 'main # c': inline comments are not supported"},
    {"pattern-no-s", "[gateway]\nsocket-pattern = /var/spicex/a.sock\n", VMC_CONFIG_ERROR_VALUE, 2,
     "must contain %s"},
    {"pattern-dir", "[gateway]\nsocket-pattern = /var/%s/a.sock\n", VMC_CONFIG_ERROR_VALUE, 2,
     "final path component"},
    {"takeover-bad", "[gateway]\ntakeover = yes\n", VMC_CONFIG_ERROR_VALUE, 2,
     "[gateway] takeover = 'yes': must be deny or allow"},
    {"sandbox-bad", "[gateway]\nsandbox = no\n", VMC_CONFIG_ERROR_VALUE, 2,
     "[gateway] sandbox = 'no': must be on or off"},
    {"sandbox-in-vm", "[vm a]\nsandbox = off\n", VMC_CONFIG_ERROR_UNKNOWN, 2,
     "[vm a] unknown key 'sandbox'"},
    {"bad-file-transfer", "[gateway]\nfile-transfer = yes\n", VMC_CONFIG_ERROR_VALUE, 2,
     "[gateway] file-transfer = 'yes': must be deny or allow"},
    {"bad-file-transfer-vm", "[vm a]\n\nfile-transfer = Allow\n", VMC_CONFIG_ERROR_VALUE, 3,
     "[vm a] file-transfer = 'Allow': must be deny or allow"},
    {"bad-clipboard", "[gateway]\nclipboard = to_vm\n", VMC_CONFIG_ERROR_VALUE, 2,
     "[gateway] clipboard = 'to_vm': must be both, to-vm, from-vm or none"},
    {"bad-clipboard-vm", "[vm a]\nclipboard = both none\n", VMC_CONFIG_ERROR_VALUE, 2,
     "[vm a] clipboard = 'both none': must be both"},
    {"dup-clipboard", "[vm a]\nclipboard = none\nclipboard = both\n", VMC_CONFIG_ERROR_SYNTAX, 3,
     "[vm a] duplicate key 'clipboard' (first at line 2)"},
    {"tunnel-check-bad", "[gateway]\ntunnel-check = no\n", VMC_CONFIG_ERROR_VALUE, 2,
     "[gateway] tunnel-check = 'no': must be on or off (off accepts any loopback port"},
    {"tunnel-check-in-vm", "[vm a]\ntunnel-check = off\n", VMC_CONFIG_ERROR_UNKNOWN, 2,
     "[vm a] unknown key 'tunnel-check'"},
    {"bad-microphone", "[vm debianx]\nmicrophone = off\n", VMC_CONFIG_ERROR_VALUE, 2,
     "[vm debianx] microphone = 'off': must be allow or deny"},
    {"bad-usb", "[vm debianx]\nusb = on\n", VMC_CONFIG_ERROR_VALUE, 2,
     "[vm debianx] usb = 'on': must be allow or deny"},
    {"bad-usb-gateway", "[gateway]\nusb = Allow\n", VMC_CONFIG_ERROR_VALUE, 2,
     "[gateway] usb = 'Allow': must be allow or deny"},
    {"bad-microphone-gateway", "[gateway]\nmicrophone = yes\n", VMC_CONFIG_ERROR_VALUE, 2,
     "[gateway] microphone = 'yes': must be allow or deny"},
    /* the old key: a clear error, never a silent alias (its default was allow) */
    {"record-renamed", "[vm debianx]\nrecord = deny\n", VMC_CONFIG_ERROR_VALUE, 2,
     "[vm debianx] record = 'deny': 'record' is now 'microphone'"},
    {"record-renamed-allow", "[vm debianx]\nrecord = allow\n", VMC_CONFIG_ERROR_VALUE, 2,
     "rename the key"},
    {"record-in-gateway", "[gateway]\nrecord = deny\n", VMC_CONFIG_ERROR_UNKNOWN, 2,
     "[gateway] unknown key 'record'"},
    {"account-quote", "[gateway]\naccount = a\"b\n", VMC_CONFIG_ERROR_VALUE, 2, "not a user name"},
    {"account-numeric", "[gateway]\naccount = 1000\n", VMC_CONFIG_ERROR_VALUE, 2,
     "not a user name"},
    {"account-long", "[gateway]\naccount = abcdefghijklmnopqrstuvwxyz0123456\n",
     VMC_CONFIG_ERROR_VALUE, 2, "not a user name"},
    {"max-zero", "[gateway]\nmax-sessions-per-identity = 0\n", VMC_CONFIG_ERROR_VALUE, 2,
     "from 1 to 1000"},
    {"max-over", "[gateway]\nmax-sessions-per-identity = 1001\n", VMC_CONFIG_ERROR_VALUE, 2,
     "from 1 to 1000"},
    {"empty-value", "[gateway]\nviewer =\n", VMC_CONFIG_ERROR_VALUE, 2, "empty value"},
    {"socket-relative", "[vm a]\nsocket = a.sock\n", VMC_CONFIG_ERROR_VALUE, 2,
     "[vm a] socket = 'a.sock': must be an absolute path"},
    {"title-control", "[vm a]\ntitle = a\\tb\n", VMC_CONFIG_ERROR_VALUE, 2,
     "title contains control"},
    {"acl-bad", "[vm a]\nacl = other::rw\n", VMC_CONFIG_ERROR_VALUE, 2,
     "kind must be user, u, group or g"},
    {"channels-no-main", "[vm a]\nchannels = display inputs\n", VMC_CONFIG_ERROR_VALUE, 2,
     "must include main"},
    {"channels-unknown", "[vm a]\nchannels = main audio\n", VMC_CONFIG_ERROR_VALUE, 2,
     "unknown channel 'audio'"},
    {"escape-at-end", "[vm a]\ntitle = a\\\n", VMC_CONFIG_ERROR_VALUE, 2, "title"},
};

static void
test_error(gconstpointer data)
{
    const ErrorCase *c = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcConfig) config = parse(c->text, &error);
    g_assert_null(config);
    g_assert_error(error, VMC_CONFIG_ERROR, (gint)c->code);
    g_autofree char *prefix = g_strdup_printf(SOURCE ":%u: ", c->line);
    if (!g_str_has_prefix(error->message, prefix) || strstr(error->message, c->detail) == NULL)
        g_error("%s: message '%s' lacks '%s' or '%s'", c->name, error->message, prefix, c->detail);
}

/* A [vm] section takes the [gateway] agent keys it does not set, wherever
 * [gateway] stands; a VM without a section gets them too. */
static void
test_agent_inherit(void)
{
    static const char text[] = "[vm early]\n"
                               "clipboard = to-vm\n"
                               "[gateway]\n"
                               "file-transfer = allow\n"
                               "clipboard = none\n"
                               "[vm late]\n"
                               "file-transfer = deny\n";
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcConfig) config = parse(text, &error);
    g_assert_no_error(error);
    const VmcVmConfig *early = vmc_config_find_vm(config, "early");
    const VmcVmConfig *late = vmc_config_find_vm(config, "late");
    g_assert_cmpint(early->file_transfer, ==, VMC_FILE_TRANSFER_ALLOW);
    g_assert_cmpint(early->clipboard, ==, VMC_CLIPBOARD_TO_VM);
    g_assert_cmpint(late->file_transfer, ==, VMC_FILE_TRANSFER_DENY);
    g_assert_cmpint(late->clipboard, ==, VMC_CLIPBOARD_NONE);

    VmcFileTransferPolicy file_transfer;
    VmcClipboardPolicy clipboard;
    vmc_config_agent_policy(config, "late", &file_transfer, &clipboard);
    g_assert_cmpint(file_transfer, ==, VMC_FILE_TRANSFER_DENY);
    g_assert_cmpint(clipboard, ==, VMC_CLIPBOARD_NONE);
    vmc_config_agent_policy(config, "unlisted", &file_transfer, &clipboard);
    g_assert_cmpint(file_transfer, ==, VMC_FILE_TRANSFER_ALLOW);
    g_assert_cmpint(clipboard, ==, VMC_CLIPBOARD_NONE);

    g_autoptr(VmcConfig) plain = parse("[vm a]\n", &error);
    g_assert_no_error(error);
    vmc_config_agent_policy(plain, "a", &file_transfer, &clipboard);
    g_assert_cmpint(file_transfer, ==, VMC_CONFIG_DEFAULT_FILE_TRANSFER);
    g_assert_cmpint(clipboard, ==, VMC_CONFIG_DEFAULT_CLIPBOARD);
}

/* max-duration and idle-timeout: a [vm] section's own, else the [gateway]
 * ones (wherever [gateway] stands), else none; "off" undoes a [gateway] limit. */
static void
test_limits_inherit(void)
{
    static const char text[] = "[vm early]\n"
                               "idle-timeout = 90s\n"
                               "[gateway]\n"
                               "max-duration = 8h\n"
                               "idle-timeout = 30m\n"
                               "[vm late]\n"
                               "max-duration = off\n";
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcConfig) config = parse(text, &error);
    g_assert_no_error(error);
    guint max = 1, idle = 1;
    vmc_config_session_limits(config, "early", &max, &idle);
    g_assert_cmpuint(max, ==, 8 * 3600);
    g_assert_cmpuint(idle, ==, 90);
    vmc_config_session_limits(config, "late", &max, &idle);
    g_assert_cmpuint(max, ==, 0);
    g_assert_cmpuint(idle, ==, 30 * 60);
    vmc_config_session_limits(config, "unlisted", &max, &idle);
    g_assert_cmpuint(max, ==, 8 * 3600);
    g_assert_cmpuint(idle, ==, 30 * 60);

    g_autoptr(VmcConfig) plain = parse("[vm a]\n", &error);
    g_assert_no_error(error);
    vmc_config_session_limits(plain, "a", &max, &idle);
    g_assert_cmpuint(max, ==, 0);
    g_assert_cmpuint(idle, ==, 0);
}

static void
test_nul_byte(void)
{
    static const char text[] = "[gateway]\nviewer = /a\0/b\n";
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcConfig) config = vmc_config_load_data(text, sizeof(text) - 1, SOURCE, &error);
    g_assert_null(config);
    g_assert_error(error, VMC_CONFIG_ERROR, VMC_CONFIG_ERROR_SYNTAX);
    vmc_assert_contains(error->message, SOURCE ":2: control character 0x00");
}

static void
test_escaped_in_message(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcConfig) config = parse("[vm a]\nt\xc3\xa9tle = x\n", &error);
    g_assert_null(config);
    g_assert_error(error, VMC_CONFIG_ERROR, VMC_CONFIG_ERROR_UNKNOWN);
    vmc_assert_contains(error->message, "'t\\xc3\\xa9tle'");
}

static void
test_too_large(void)
{
    gsize length = VMC_CONFIG_MAX_BYTES + 1;
    g_autofree char *text = g_malloc(length);
    memset(text, '\n', length);
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcConfig) config = vmc_config_load_data(text, length, SOURCE, &error);
    g_assert_null(config);
    g_assert_error(error, VMC_CONFIG_ERROR, VMC_CONFIG_ERROR_SYNTAX);
    g_clear_error(&error);
    /* at the bound: fine */
    g_autoptr(VmcConfig) at_bound = vmc_config_load_data(text, length - 1, SOURCE, &error);
    g_assert_no_error(error);
    g_assert_nonnull(at_bound);
}

static void
test_max_vms(void)
{
    g_autoptr(GString) text = g_string_new(NULL);
    for (int i = 0; i < VMC_CONFIG_MAX_VMS; i++)
        g_string_append_printf(text, "[vm vm%d]\n", i);
    g_autoptr(GError) error = NULL;
    g_autoptr(VmcConfig) config = parse(text->str, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(config->vms->len, ==, VMC_CONFIG_MAX_VMS);

    g_string_append(text, "[vm one-too-many]\n");
    g_autoptr(VmcConfig) over = parse(text->str, &error);
    g_assert_null(over);
    g_assert_error(error, VMC_CONFIG_ERROR, VMC_CONFIG_ERROR_VALUE);
    vmc_assert_contains(error->message, ":4097: more than 4096 [vm] sections");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/config/parse/defaults", test_defaults);
    g_test_add_func("/config/parse/full", test_full);
    for (gsize i = 0; i < G_N_ELEMENTS(error_cases); i++) {
        g_autofree char *path = g_strdup_printf("/config/parse/error/%s", error_cases[i].name);
        g_test_add_data_func(path, &error_cases[i], test_error);
    }
    g_test_add_func("/config/parse/agent-inherit", test_agent_inherit);
    g_test_add_func("/config/parse/limits-inherit", test_limits_inherit);
    g_test_add_func("/config/parse/nul-byte", test_nul_byte);
    g_test_add_func("/config/parse/escaped-in-message", test_escaped_in_message);
    g_test_add_func("/config/parse/too-large", test_too_large);
    g_test_add_func("/config/parse/max-vms", test_max_vms);
    return g_test_run();
}
