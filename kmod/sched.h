/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFLB_SCHED_H
#define _NFLB_SCHED_H

#include "service.h"
#include "session.h"

/* Longest smooth-WRR sequence; bigger weight sums are scaled down. */
#define NFLB_WRR_SEQ_MAX	4096
/* Groups larger than this get a plain (unweighted) WRR order. */
#define NFLB_WRR_MEMBERS_MAX	64

struct nflb_member *nflb_sched_pick(struct nflb_vs *vs,
				    const struct nflb_flow *f);
bool nflb_member_available(const struct nflb_member *m, u8 family);

/* Snapshot construction, process context under cfg_mutex. */
/* Bit of an address family in a mask of families. */
#define NFLB_FAMILY_BIT(f)	((f) == AF_INET ? 1 : 2)

int nflb_sched_build(struct nflb_pool_snap *snap, const u32 *mh_sizes,
		     const u8 *mh_families, unsigned int n_mh);
void nflb_sched_free(struct nflb_pool_snap *snap);
bool nflb_mh_size_valid(u32 size);

#endif /* _NFLB_SCHED_H */
