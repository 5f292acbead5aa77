/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFLB_RESET_H
#define _NFLB_RESET_H

#include <linux/types.h>

#include "flow.h"

struct net;

/*
 * Sends RST to both ends of a session: to the client as from @orig's
 * destination, to the member as from the client.  @next_orig and
 * @next_reply are the next sequence numbers each side expects from the
 * other.  Returns how many went out.
 */
int nflb_reset_both(struct net *net, const struct nflb_flow *orig,
		    const struct nflb_flow *reply, u32 next_orig, u32 next_reply);
/* Refuses a client's SYN (@f: client -> VIP) with RST+ACK of @ack. */
void nflb_reset_refuse(struct net *net, const struct nflb_flow *f, u32 ack);

#endif /* _NFLB_RESET_H */
