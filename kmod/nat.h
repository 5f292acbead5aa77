/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFLB_NAT_H
#define _NFLB_NAT_H

#include <linux/skbuff.h>
#include "packet.h"
#include "session.h"

/* Each returns false when the packet could not be made writable. */
bool nflb_nat_dnat(struct sk_buff *skb, const struct nflb_pkt *pkt,
		   const struct nflb_session *s);
bool nflb_nat_snat(struct sk_buff *skb, const struct nflb_pkt *pkt,
		   const struct nflb_session *s);
bool nflb_nat_icmp(struct sk_buff *skb, const struct nflb_pkt *pkt,
		   const struct nflb_session *s, enum nflb_dir dir);

#endif /* _NFLB_NAT_H */
