/* vmc-config-priv.h — the config module's value checks, shared by the parser
 * and the unit tests. Every check is pure: on success it returns TRUE and fills
 * its ret_ outputs; on failure it returns FALSE, leaves them untouched and puts
 * a sentence saying what is wrong (no file, line or key: the caller adds those)
 * in *ret_why.
 */
#pragma once

#include "vmc-config.h"

/* An absolute path of at most VMC_CONFIG_PATH_MAX bytes, with no ".."
 * component and only printable characters. */
gboolean vmc_config_check_path(const char *value, char **ret_why);

/* A path (as above) with exactly one "%s", in its final component, and no
 * other '%'. */
gboolean vmc_config_check_socket_pattern(const char *value, char **ret_why);

/* Printable UTF-8 text of 1 to VMC_CONFIG_TITLE_MAX bytes. */
gboolean vmc_config_check_title(const char *value, char **ret_why);

/* A user name: [a-z_][a-z0-9_.-]*, 1 to VMC_CONFIG_ACCOUNT_MAX bytes. */
gboolean vmc_config_check_account(const char *value, char **ret_why);

/* Entries (user|u|group|g):NAME:PERMS separated by commas and/or spaces, at
 * most VMC_CONFIG_ACL_MAX_ENTRIES, no NAME twice per kind. *ret_acl is the
 * normalised text, e.g. "group:spicex:rw-,user:bob:r--". */
gboolean vmc_config_normalise_acl(const char *value, char **ret_acl, char **ret_why);

/* Space-separated known channel names, no duplicates, "main" among them. */
gboolean vmc_config_parse_channels(const char *value, char ***ret_channels, char **ret_why);

/* "deny" or "allow". */
gboolean vmc_config_parse_usb(const char *value, VmcUsbPolicy *ret_usb, char **ret_why);
gboolean vmc_config_parse_microphone(const char *value, VmcMicrophonePolicy *ret_microphone,
                                     char **ret_why);
gboolean vmc_config_parse_file_transfer(const char *value, VmcFileTransferPolicy *ret_policy,
                                        char **ret_why);
/* "both", "to-vm", "from-vm" or "none". */
gboolean vmc_config_parse_clipboard(const char *value, VmcClipboardPolicy *ret_policy,
                                    char **ret_why);
gboolean vmc_config_parse_takeover(const char *value, VmcTakeover *ret_takeover, char **ret_why);
gboolean vmc_config_parse_tunnel_check(const char *value, VmcSandboxMode *ret_check,
                                       char **ret_why);
gboolean vmc_config_parse_sandbox(const char *value, VmcSandboxMode *ret_sandbox, char **ret_why);

/* A decimal number from 1 to VMC_CONFIG_MAX_SESSIONS. */
gboolean vmc_config_parse_max_sessions(const char *value, guint *ret_max, char **ret_why);

/* A decimal number from 1 to VMC_CONFIG_DENIED_RATE_MAX. */
gboolean vmc_config_parse_denied_rate(const char *value, guint *ret_rate, char **ret_why);

/* A size in bytes: a decimal number of at most 13 digits, optionally
 * followed by K, M or G (powers of 1024), at most VMC_CONFIG_SIZE_MAX. */
gboolean vmc_config_parse_size(const char *value, guint64 *ret_bytes, char **ret_why);

/* A duration: "off" (0), or a decimal number of at most 8 digits followed
 * by s, m, h or d (seconds, minutes, hours, days), from 1 s to
 * VMC_CONFIG_DURATION_MAX; *ret_seconds is it in seconds. */
gboolean vmc_config_parse_duration(const char *value, guint *ret_seconds, char **ret_why);

/* s with every byte outside printable ASCII (and \ and ') escaped as \xNN,
 * capped at 80 bytes ("..." marks a cut, never inside an escape): safe to
 * put in a message between quotes (vmc_text_escape_with). */
char *vmc_config_quote(const char *s);

void vmc_vm_config_free(VmcVmConfig *vm);
