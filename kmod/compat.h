/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-version differences nflb has to care about live here, so the rest
 * of the module reads as if written for one kernel.  The baseline is
 * Debian 12's 6.1; where newer kernels add something, detect the feature,
 * not the version.
 */
#ifndef _NFLB_COMPAT_H
#define _NFLB_COMPAT_H

#include <net/genetlink.h>

/*
 * Timeouts reach 30 days of jiffies, beyond what time_after() compares on
 * a 32-bit unsigned long (24.8 days at HZ=1000): nflb is for 64-bit kernels.
 */
#if BITS_PER_LONG != 64
#error "nflb needs a 64-bit kernel (its timeouts do not fit 32-bit jiffies)"
#endif

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
