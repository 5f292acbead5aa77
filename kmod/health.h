/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFLB_HEALTH_H
#define _NFLB_HEALTH_H

#include <linux/types.h>

struct nflb_net;
struct nflb_member;

/*
 * PROVISIONAL (passive branch): stands in for the health-kernel branch's
 * API until it is merged.  cfg_mutex held; the caller republishes the pool.
 */
void nflb_health_eject(struct nflb_net *ln, struct nflb_member *m, u32 hold_ms,
		       const char *reason);
void nflb_health_restore(struct nflb_net *ln, struct nflb_member *m);

#endif /* _NFLB_HEALTH_H */
