/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFLB_PACKET_H
#define _NFLB_PACKET_H

#include <linux/skbuff.h>
#include "flow.h"

enum nflb_parse {
	NFLB_PKT_IGNORE,	/* not TCP/UDP or a related ICMP error */
	NFLB_PKT_L4,		/* TCP or UDP: flow is the packet's own */
	NFLB_PKT_ICMP_ERR,	/* ICMP error: flow is the quoted packet, reversed */
	/* TCP/UDP whose headers do not add up; ports as far as readable */
	NFLB_PKT_MALFORMED,
};

struct nflb_pkt {
	struct nflb_flow flow;
	unsigned int thoff;		/* transport header offset */
	/* ICMP errors only: the quoted packet's network/transport offsets. */
	unsigned int inner_nhoff;
	unsigned int inner_thoff;
	u8 tcp_flags;			/* TCP only, as in tcp_flag_byte() */
	u8 wscale;			/* TCP SYN only: window scale, or none */
	u16 win;			/* TCP only, host order, unscaled */
	u32 seq;			/* TCP only, host order */
	u32 ack;			/* TCP only, host order */
	u32 seg_len;			/* TCP only: payload + SYN + FIN */
	/* ICMP errors only: destination unreachable, not "frag needed" */
	bool unreach;
};

#define NFLB_WSCALE_NONE	0xff

#define NFLB_TCP_FIN	0x01
#define NFLB_TCP_SYN	0x02
#define NFLB_TCP_RST	0x04
#define NFLB_TCP_ACK	0x10

enum nflb_parse nflb_pkt_parse(struct sk_buff *skb, u8 family,
			       struct nflb_pkt *pkt);
bool nflb_pkt_csum_ok(struct sk_buff *skb, u8 family, unsigned int hook,
		      const struct nflb_pkt *pkt);

#endif /* _NFLB_PACKET_H */
