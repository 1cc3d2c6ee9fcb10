/* vmc-config.h — the gateway configuration (GKeyFile), shared by the gateway and the admin tool.
 *
 * Every key has a default; an unknown key, a bad value, or a [vm NAME] section
 * with an invalid name is an error naming the file, the line (where it can be
 * found) and the key.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VMC_CONFIG_ERROR (vmc_config_error_quark())
GQuark vmc_config_error_quark(void);

typedef enum {
    VMC_CONFIG_ERROR_IO,      /* the file cannot be read */
    VMC_CONFIG_ERROR_SYNTAX,  /* not a key file */
    VMC_CONFIG_ERROR_UNKNOWN, /* unknown group or key */
    VMC_CONFIG_ERROR_VALUE,   /* bad value for a known key */
} VmcConfigError;

#define VMC_CONFIG_MAX_BYTES (1024 * 1024) /* a config file larger than this is refused */
#define VMC_CONFIG_MAX_VMS 4096
#define VMC_VM_NAME_MAX 64
#define VMC_CONFIG_MAX_SESSIONS 1000     /* upper bound of max-sessions-per-identity */
#define VMC_CONFIG_TITLE_MAX 200         /* bytes of a [vm] title */
#define VMC_CONFIG_ACL_MAX_ENTRIES 64    /* entries of a [vm] acl */
#define VMC_CONFIG_PATH_MAX 4095         /* bytes of any path key */
#define VMC_CONFIG_MAX_DIR_ENTRIES 16384 /* directory entries list_vm_names reads at most */

typedef enum {
    VMC_TAKEOVER_DENY,
    VMC_TAKEOVER_ALLOW,
} VmcTakeover;

/* The viewer's sandbox (DESIGN.md, security model): on unless the admin
 * turns it off, which every start record and `vmconsole-admin check` show. */
typedef enum {
    VMC_SANDBOX_ON,
    VMC_SANDBOX_OFF,
} VmcSandboxMode;

/* The microphone: whether the relay lets the Spice record channel through
 * (and then only when the person asked for it: the request's --microphone).
 * "microphone = allow|deny" in [gateway] (default deny) and per [vm]. */
typedef enum {
    VMC_MICROPHONE_UNSET, /* a [vm] without the key: the [gateway] value */
    VMC_MICROPHONE_DENY,
    VMC_MICROPHONE_ALLOW,
} VmcMicrophonePolicy;

/* usb = deny|allow: whether the relay lets Spice usbredir channels through
 * (USB devices of the laptop into the VM; only a viewer on the laptop, native
 * mode, has any). In [gateway] (default deny) and per [vm]. */
typedef enum {
    VMC_USB_UNSET, /* a [vm] without the key: the [gateway] value */
    VMC_USB_DENY,
    VMC_USB_ALLOW,
} VmcUsbPolicy;

/* file-transfer = deny|allow: whether files may go from the laptop into the VM
 * (the Spice agent's file transfer; the relay enforces it). */
typedef enum {
    VMC_FILE_TRANSFER_DENY,
    VMC_FILE_TRANSFER_ALLOW,
} VmcFileTransferPolicy;

/* clipboard = both|to-vm|from-vm|none: which way clipboard data may cross
 * between the laptop and the VM (the relay enforces it). */
typedef enum {
    VMC_CLIPBOARD_BOTH,
    VMC_CLIPBOARD_TO_VM,
    VMC_CLIPBOARD_FROM_VM,
    VMC_CLIPBOARD_NONE,
} VmcClipboardPolicy;

typedef struct {
    char *name;      /* valid VM name (vmc_vm_name_is_valid) */
    char *socket;    /* absolute path, or NULL: from socket-pattern */
    char *title;     /* or NULL: the VM name */
    char *acl;       /* stored ACL policy text ("group:spicex:rw,user:bob:rw") or NULL */
    char **channels; /* Spice channel names the relay lets through (never NULL) */
    VmcMicrophonePolicy microphone; /* microphone = allow|deny, else the [gateway] value */
    /* The VM's own key, else the [gateway] one, else the default. */
    VmcFileTransferPolicy file_transfer;
    VmcClipboardPolicy clipboard;
    VmcUsbPolicy usb; /* usb = allow|deny, else the [gateway] value */
    /* max-duration and idle-timeout in seconds (0: none): the VM's own key,
     * else the [gateway] one. */
    guint max_duration_s;
    guint idle_timeout_s;
} VmcVmConfig;

typedef struct {
    char *path;           /* file it came from (for messages) */
    char *socket_pattern; /* absolute, exactly one %s, in the final component */
    char *viewer;         /* absolute path */
    char *log;            /* absolute path */
    char *run_dir;        /* absolute path */
    char *account;        /* the gateway account (user name); admin grants it u:ACCOUNT:rw */
    VmcTakeover takeover;
    VmcSandboxMode sandbox;          /* sandbox = on|off (default on) */
    VmcMicrophonePolicy microphone;  /* microphone = allow|deny for every VM (default deny) */
    VmcUsbPolicy usb;                /* usb = allow|deny for every VM (default deny) */
    VmcSandboxMode tunnel_check;     /* tunnel-check = on|off (default on): a sound port must be a
                                      * reverse forward of the request's own SSH connection */
    guint max_sessions_per_identity; /* >= 1 */
    /* The agent policy of every VM that does not set its own (and of VMs
     * without a [vm] section). */
    VmcFileTransferPolicy file_transfer;
    VmcClipboardPolicy clipboard;
    guint denied_per_minute; /* denied records written per identity and client address */
    guint64 log_reserve;     /* bytes kept free on the log's filesystem for start/end records */
    guint max_duration_s;    /* max-duration: a session ends this long after it began (0: never) */
    guint idle_timeout_s; /* idle-timeout: ... this long after the person's last input (0: never) */
    GPtrArray *vms;       /* of VmcVmConfig*, in file order */
} VmcConfig;

/* Defaults (DESIGN.md): used for every key that a file does not set. */
#define VMC_CONFIG_DEFAULT_SOCKET_PATTERN "/var/spicex/%s.sock"
#define VMC_CONFIG_DEFAULT_VIEWER "/usr/bin/remote-viewer"
#define VMC_CONFIG_DEFAULT_LOG "/var/log/vmconsole/sessions.jsonl"
#define VMC_CONFIG_DEFAULT_RUN_DIR "/run/vmconsole"
#define VMC_CONFIG_DEFAULT_ACCOUNT "vmconsole"
#define VMC_CONFIG_ACCOUNT_MAX 32 /* bytes of the account name */
#define VMC_CONFIG_DEFAULT_MAX_SESSIONS 4
#define VMC_CONFIG_DEFAULT_DENIED_RATE 30 /* denied-records-per-minute */
#define VMC_CONFIG_DENIED_RATE_MAX 1000
#define VMC_CONFIG_DEFAULT_LOG_RESERVE (G_GUINT64_CONSTANT(64) << 20) /* log-reserve: 64M */
#define VMC_CONFIG_SIZE_MAX (G_GUINT64_CONSTANT(1024) << 30)          /* a size key: 1024G */
#define VMC_CONFIG_DEFAULT_CHANNELS "main display inputs cursor playback record"
#define VMC_CONFIG_DEFAULT_FILE_TRANSFER VMC_FILE_TRANSFER_DENY
#define VMC_CONFIG_DEFAULT_CLIPBOARD VMC_CLIPBOARD_BOTH
#define VMC_CONFIG_DURATION_MAX (366u * 24 * 3600) /* a duration key: 366 days */

/* TRUE for a VM name of the request grammar: [A-Za-z0-9][A-Za-z0-9._-]{0,63}. Pure. */
gboolean vmc_vm_name_is_valid(const char *name);

/* TRUE when name is a Spice channel name the config accepts (main, display,
 * inputs, cursor, playback, record, tunnel, smartcard, usbredir, port, webdav). */
gboolean vmc_config_channel_is_known(const char *name);

/* A config with every default and no VMs. */
VmcConfig *vmc_config_new_default(void);

/* Parse config text; source names it in messages. Pure. */
VmcConfig *vmc_config_load_data(const char *data, gsize length, const char *source, GError **error);

/* Read and parse a file (bounded by VMC_CONFIG_MAX_BYTES). */
VmcConfig *vmc_config_load(const char *path, GError **error);

void vmc_config_free(VmcConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmcConfig, vmc_config_free)

/* The words of the config for a policy ("deny", "allow"; "both", "to-vm",
 * "from-vm", "none"), as records and messages show them. */
const char *vmc_config_file_transfer_name(VmcFileTransferPolicy policy);
const char *vmc_config_clipboard_name(VmcClipboardPolicy policy);

/* The agent policy in force for VM name: its [vm] section's, else the
 * [gateway] one (a VM without a section gets the [gateway] one). */
void vmc_config_agent_policy(const VmcConfig *config, const char *name,
                             VmcFileTransferPolicy *ret_file_transfer,
                             VmcClipboardPolicy *ret_clipboard);

/* TRUE when VM name may have the microphone (its [vm] microphone =, else the
 * [gateway] one, else deny); the person must still ask for it. */
gboolean vmc_config_microphone_allowed(const VmcConfig *config, const char *name);

/* TRUE when VM name's usbredir channels may pass (its [vm] usb =, else the
 * [gateway] one, else deny). */
gboolean vmc_config_usb_allowed(const VmcConfig *config, const char *name);
/* The session limits in force for VM name, in seconds (0: none): its [vm]
 * section's max-duration and idle-timeout, else the [gateway] ones. */
void vmc_config_session_limits(const VmcConfig *config, const char *name, guint *ret_max_duration_s,
                               guint *ret_idle_timeout_s);

/* The [vm NAME] section for name, or NULL. */
const VmcVmConfig *vmc_config_find_vm(const VmcConfig *config, const char *name);

/* The socket path of a VM: its socket key, else socket-pattern with the name.
 * name must be valid. */
char *vmc_config_socket_path(const VmcConfig *config, const char *name);

/* The VMs the config knows: every [vm] section, plus each name whose socket
 * exists in the socket-pattern's directory (entries that fit the pattern and
 * give a valid name). Sorted, without duplicates. Reads the directory. */
GPtrArray *vmc_config_list_vm_names(const VmcConfig *config);

G_END_DECLS
