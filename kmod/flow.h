/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFLB_FLOW_H
#define _NFLB_FLOW_H

#include <linux/netfilter.h>

enum nflb_dir {
	NFLB_DIR_ORIG,		/* client -> VIP */
	NFLB_DIR_REPLY,		/* member -> client */
};

/* A flow as parsed from a packet: addresses and ports as on the wire. */
struct nflb_flow {
	union nf_inet_addr src;
	union nf_inet_addr dst;
	__be16 sport;
	__be16 dport;
	u8 proto;
	u8 family;
};

#endif /* _NFLB_FLOW_H */
