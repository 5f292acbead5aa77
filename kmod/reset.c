// SPDX-License-Identifier: GPL-2.0
/*
 * Reset on expiry: when an established session dies of idleness, both ends
 * get a RST that they will accept, so neither keeps a connection the load
 * balancer has forgotten.  A RST is accepted without a challenge ACK only
 * when its sequence number is exactly the receiver's next expected one
 * (RFC 5961), which is the highest seq + len nflb saw from the other side.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/ip6_checksum.h>
#include <net/route.h>
#include <net/netfilter/nf_conntrack.h>
#include "reset.h"

#define NFLB_RST_TTL	64

struct nflb_rst {
	const union nf_inet_addr *saddr, *daddr;
	__be16 sport, dport;
	u32 seq, ack;
};

static struct sk_buff *nflb_rst_alloc(unsigned int nhlen)
{
	struct sk_buff *skb;

	skb = alloc_skb(LL_MAX_HEADER + nhlen + sizeof(struct tcphdr),
			GFP_ATOMIC);
	if (!skb)
		return NULL;
	skb_reserve(skb, LL_MAX_HEADER + nhlen);
	skb_reset_transport_header(skb);
	/* Our own packet: conntrack must not start tracking it. */
	nf_ct_set(skb, NULL, IP_CT_UNTRACKED);
	return skb;
}

static struct tcphdr *nflb_rst_tcp(struct sk_buff *skb,
				   const struct nflb_rst *r)
{
	struct tcphdr *th = skb_put_zero(skb, sizeof(*th));

	th->source = r->sport;
	th->dest = r->dport;
	th->seq = htonl(r->seq);
	th->ack_seq = htonl(r->ack);
	th->doff = sizeof(*th) / 4;
	th->rst = 1;
	th->ack = 1;
	return th;
}

static int nflb_rst_send4(struct net *net, const struct nflb_rst *r)
{
	struct flowi4 fl4 = {
		.daddr = r->daddr->ip,
		.saddr = r->saddr->ip,
		.flowi4_proto = IPPROTO_TCP,
		/* The source is the VIP or the client: not ours to own. */
		.flowi4_flags = FLOWI_FLAG_ANYSRC,
	};
	struct sk_buff *skb;
	struct tcphdr *th;
	struct iphdr *iph;
	struct rtable *rt;

	skb = nflb_rst_alloc(sizeof(*iph));
	if (!skb)
		return 0;
	th = nflb_rst_tcp(skb, r);
	th->check = csum_tcpudp_magic(r->saddr->ip, r->daddr->ip, sizeof(*th),
				      IPPROTO_TCP,
				      csum_partial(th, sizeof(*th), 0));
	skb_push(skb, sizeof(*iph));
	skb_reset_network_header(skb);
	iph = ip_hdr(skb);
	iph->version = 4;
	iph->ihl = sizeof(*iph) / 4;
	iph->tos = 0;
	iph->id = 0;
	iph->frag_off = htons(IP_DF);
	iph->ttl = NFLB_RST_TTL;
	iph->protocol = IPPROTO_TCP;
	iph->saddr = r->saddr->ip;
	iph->daddr = r->daddr->ip;
	skb->protocol = htons(ETH_P_IP);

	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt)) {
		kfree_skb(skb);
		return 0;
	}
	skb_dst_set(skb, &rt->dst);
	return ip_local_out(net, NULL, skb) == 0;
}

static int nflb_rst_send6(struct net *net, const struct nflb_rst *r)
{
	struct flowi6 fl6 = {
		.daddr = r->daddr->in6,
		.saddr = r->saddr->in6,
		.flowi6_proto = IPPROTO_TCP,
	};
	struct dst_entry *dst;
	struct ipv6hdr *ip6h;
	struct sk_buff *skb;
	struct tcphdr *th;

	skb = nflb_rst_alloc(sizeof(*ip6h));
	if (!skb)
		return 0;
	th = nflb_rst_tcp(skb, r);
	th->check = csum_ipv6_magic(&r->saddr->in6, &r->daddr->in6,
				    sizeof(*th), IPPROTO_TCP,
				    csum_partial(th, sizeof(*th), 0));
	skb_push(skb, sizeof(*ip6h));
	skb_reset_network_header(skb);
	ip6h = ipv6_hdr(skb);
	ip6_flow_hdr(ip6h, 0, 0);
	ip6h->payload_len = htons(sizeof(*th));
	ip6h->nexthdr = IPPROTO_TCP;
	ip6h->hop_limit = NFLB_RST_TTL;
	ip6h->saddr = r->saddr->in6;
	ip6h->daddr = r->daddr->in6;
	skb->protocol = htons(ETH_P_IPV6);

	dst = ip6_route_output(net, NULL, &fl6);
	if (dst->error) {
		dst_release(dst);
		kfree_skb(skb);
		return 0;
	}
	skb_dst_set(skb, dst);
	return ip6_local_out(net, NULL, skb) == 0;
}

static int nflb_rst_send(struct net *net, u8 family, const struct nflb_rst *r)
{
	return family == AF_INET ? nflb_rst_send4(net, r) :
				   nflb_rst_send6(net, r);
}

/* A RST back along @f: from its destination to its source. */
static int nflb_rst_back(struct net *net, const struct nflb_flow *f,
			 u32 seq, u32 ack)
{
	struct nflb_rst r = {
		.saddr = &f->dst, .daddr = &f->src,
		.sport = f->dport, .dport = f->sport,
		.seq = seq, .ack = ack,
	};

	return nflb_rst_send(net, f->family, &r);
}

int nflb_reset_both(struct net *net, const struct nflb_flow *orig,
		    const struct nflb_flow *reply, u32 next_orig, u32 next_reply)
{
	/* To the client as if from VIP:port, to the member as if from the client. */
	return nflb_rst_back(net, orig, next_reply, next_orig) +
	       nflb_rst_back(net, reply, next_orig, next_reply);
}

void nflb_reset_refuse(struct net *net, const struct nflb_flow *f, u32 ack)
{
	struct nflb_rst r = {
		.saddr = &f->dst, .daddr = &f->src,
		.sport = f->dport, .dport = f->sport,
		.seq = 0, .ack = ack,
	};

	nflb_rst_send(net, f->family, &r);
}
