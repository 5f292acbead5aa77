/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFLB_RESET_H
#define _NFLB_RESET_H

#include <linux/types.h>

struct net;
struct nflb_session;

/* Sends RST to the client and to the member; returns how many went out. */
int nflb_reset_session(struct net *net, const struct nflb_session *s);
struct nflb_flow;
/* Refuses a client's SYN (@f: client -> VIP) with RST+ACK of @ack. */
void nflb_reset_refuse(struct net *net, const struct nflb_flow *f, u32 ack);

#endif /* _NFLB_RESET_H */
