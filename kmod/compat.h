/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-version differences nflb has to care about live here, so the rest
 * of the module reads as if written for one kernel.  The baseline is
 * Debian 12's 6.1; newer kernels renamed or moved a few genetlink helpers.
 */
#ifndef _NFLB_COMPAT_H
#define _NFLB_COMPAT_H

#include <linux/version.h>
#include <net/genetlink.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "nflb needs Linux 6.1 or newer"
#endif

/* Parsed and policy-validated attributes of a dump request. */
static inline struct nlattr **nflb_dump_attrs(struct netlink_callback *cb)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
	return genl_info_dump(cb)->attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

/* Formatted extack messages arrived in 6.2; 6.1 gets the fixed text. */
#ifdef NL_SET_ERR_MSG_FMT_MOD
#define nflb_err_pool_busy(extack, vs)					\
	NL_SET_ERR_MSG_FMT_MOD(extack, "pool in use by virtual server %s", vs)
#else
#define nflb_err_pool_busy(extack, vs) do {				\
	(void)(vs);							\
	NL_SET_ERR_MSG_MOD(extack, "pool in use by a virtual server");	\
} while (0)
#endif

#endif /* _NFLB_COMPAT_H */
