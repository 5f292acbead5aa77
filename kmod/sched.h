/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFLB_SCHED_H
#define _NFLB_SCHED_H

#include "service.h"
#include "session.h"

/* Longest smooth-WRR sequence; bigger weight sums are scaled down. */
#define NFLB_WRR_SEQ_MAX	4096
/* Pools larger than this get a plain (unweighted) WRR order. */
#define NFLB_WRR_MEMBERS_MAX	64

struct nflb_member *nflb_sched_pick(struct nflb_vs *vs,
				    const struct nflb_flow *f);
/* Allocates and fills snap->wrr_seq from the members' weights. */
int nflb_sched_build(struct nflb_pool_snap *snap);
const char *nflb_sched_name(u8 sched);

#endif /* _NFLB_SCHED_H */
