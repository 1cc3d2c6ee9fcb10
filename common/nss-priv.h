/* nss-priv.h — inside common/: the bounded NSS call, for nss.c and its tests. */
#pragma once

#include "vmc-common.h"

G_BEGIN_DECLS

/* the first buffer; doubled on ERANGE up to VMC_NSS_BUFFER_MAX */
#define VMC_NSS_BUFFER_START 1024

/* One re-entrant NSS call (getpwnam_r and its kin, adapted): fills entry
 * from buf and sets *ret_found, or leaves it NULL. Returns 0 or an errno. */
typedef int (*VmcNssCall)(gconstpointer key, gpointer entry, char *buf, size_t size,
                          gpointer *ret_found);

/* Run call with a buffer of VMC_NSS_BUFFER_START bytes, doubled while it
 * says ERANGE, the last try at VMC_NSS_BUFFER_MAX bytes (then ERANGE is
 * returned). *ret_buf (which the entry points into) is the caller's to free. */
int vmc_nss_call_bounded(VmcNssCall call, gconstpointer key, gpointer entry, char **ret_buf,
                         gpointer *ret_found);

G_END_DECLS
