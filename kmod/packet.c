// SPDX-License-Identifier: GPL-2.0
/*
 * Header parsing: turns a packet into the flow key the session table is
 * hashed on.  Runs on every packet of a netns that has nflb configured, so
 * it only reads what it must and pulls (linearizes) only the headers that
 * NAT will later rewrite.  The IP header itself was validated by
 * ip_rcv()/ipv6_rcv() before PRE_ROUTING; the transport headers were not.
 */
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <linux/netfilter.h>
#include <net/tcp.h>
#include "packet.h"

static bool nflb_icmp4_is_error(u8 type)
{
	return type == ICMP_DEST_UNREACH || type == ICMP_TIME_EXCEEDED ||
	       type == ICMP_PARAMETERPROB || type == ICMP_SOURCE_QUENCH;
}

/*
 * The window scale option of a SYN (RFC 7323), or NFLB_WSCALE_NONE.  Out
 * of line: only SYNs need it, and inlined, its option buffer (with the
 * stack protector's canary) and registers weighed on every packet's parse.
 */
static noinline u8 nflb_tcp_wscale(struct sk_buff *skb, unsigned int thoff,
				   unsigned int doff)
{
	unsigned int len = doff - sizeof(struct tcphdr), i = 0;
	u8 _buf[MAX_TCP_OPTION_SPACE];
	const u8 *buf;

	/* In the linear header (the usual case) this copies nothing. */
	buf = len ? skb_header_pointer(skb, thoff + sizeof(struct tcphdr),
				       len, _buf) : NULL;
	if (!buf)
		return NFLB_WSCALE_NONE;
	while (i < len) {
		u8 kind = buf[i], olen;

		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len)
			break;
		olen = buf[i + 1];
		if (olen < 2 || i + olen > len)
			break;
		if (kind == TCPOPT_WINDOW && olen == TCPOLEN_WINDOW)
			return min_t(u8, buf[i + 2], TCP_MAX_WSCALE);
		i += olen;
	}
	return NFLB_WSCALE_NONE;
}

/*
 * Ports of a TCP or UDP header too short or inconsistent to parse, if its
 * first four bytes are there: the hook then tells a malformed packet of
 * its own (to a VIP, or of a session) from a transit one.
 */
static noinline enum nflb_parse nflb_malformed(struct sk_buff *skb,
					       unsigned int thoff,
					       struct nflb_pkt *pkt)
{
	__be16 ports[2] = { 0, 0 };

	/* Fewer than four bytes: the ports stay 0, which no VIP has. */
	skb_copy_bits(skb, thoff, ports, sizeof(ports));
	pkt->flow.sport = ports[0];
	pkt->flow.dport = ports[1];
	return NFLB_PKT_MALFORMED;
}

/*
 * Transport header of a TCP or UDP packet at @thoff; fills ports & TCP state.
 * Inlined into nflb_parse4() and nflb_parse6(): one call less per packet.
 */
static __always_inline enum nflb_parse
nflb_parse_l4(struct sk_buff *skb, unsigned int thoff, struct nflb_pkt *pkt)
{
	unsigned int len = skb->len - thoff;

	if (pkt->flow.proto == IPPROTO_TCP) {
		const struct tcphdr *th;
		unsigned int doff;

		if (!pskb_may_pull(skb, thoff + sizeof(*th)))
			return nflb_malformed(skb, thoff, pkt);
		th = (const struct tcphdr *)(skb->data + thoff);
		doff = th->doff * 4;
		pkt->flow.sport = th->source;
		pkt->flow.dport = th->dest;
		if (doff < sizeof(*th) || doff > len)
			return NFLB_PKT_MALFORMED;
		pkt->tcp_flags = ((const u8 *)th)[13];
		pkt->seq = ntohl(th->seq);
		pkt->ack = ntohl(th->ack_seq);
		pkt->win = ntohs(th->window);
		pkt->seg_len = len - doff + th->syn + th->fin;
		pkt->wscale = th->syn ? nflb_tcp_wscale(skb, thoff, doff) :
					NFLB_WSCALE_NONE;
	} else {
		const struct udphdr *uh;

		if (!pskb_may_pull(skb, thoff + sizeof(*uh)))
			return nflb_malformed(skb, thoff, pkt);
		uh = (const struct udphdr *)(skb->data + thoff);
		pkt->flow.sport = uh->source;
		pkt->flow.dport = uh->dest;
		/* A GSO super-packet carries the first segment's length. */
		if (!skb_is_gso(skb) &&
		    (ntohs(uh->len) < sizeof(*uh) || ntohs(uh->len) > len))
			return NFLB_PKT_MALFORMED;
	}
	if (!pkt->flow.sport || !pkt->flow.dport)
		return NFLB_PKT_MALFORMED;
	pkt->thoff = thoff;
	return NFLB_PKT_L4;
}

/*
 * The quoted packet of an ICMP error; the flow is stored reversed, i.e. as
 * the direction the erroring packet's peer would send, which is what the
 * session table is keyed on.  Only the first 8 transport bytes are needed.
 */
static enum nflb_parse nflb_parse_quote(struct sk_buff *skb, u8 family,
					unsigned int nhoff,
					struct nflb_pkt *pkt)
{
	unsigned int thoff;
	__be16 ports[2];
	u8 proto;

	if (family == AF_INET) {
		struct iphdr _iph;
		const struct iphdr *iph;

		iph = skb_header_pointer(skb, nhoff, sizeof(_iph), &_iph);
		if (!iph || iph->version != 4 || iph->ihl < 5 ||
		    (iph->frag_off & htons(IP_OFFSET)))
			return NFLB_PKT_IGNORE;
		thoff = nhoff + iph->ihl * 4;
		proto = iph->protocol;
		pkt->flow.src.ip = iph->daddr;
		pkt->flow.dst.ip = iph->saddr;
	} else {
		struct ipv6hdr _ip6h;
		const struct ipv6hdr *ip6h;
		__be16 frag_off;
		int off;

		ip6h = skb_header_pointer(skb, nhoff, sizeof(_ip6h), &_ip6h);
		if (!ip6h)
			return NFLB_PKT_IGNORE;
		proto = ip6h->nexthdr;
		off = ipv6_skip_exthdr(skb, nhoff + sizeof(*ip6h), &proto,
				       &frag_off);
		if (off < 0 || (frag_off & htons(IP6_OFFSET)))
			return NFLB_PKT_IGNORE;
		thoff = off;
		pkt->flow.src.in6 = ip6h->daddr;
		pkt->flow.dst.in6 = ip6h->saddr;
	}
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return NFLB_PKT_IGNORE;
	if (skb_copy_bits(skb, thoff, ports, sizeof(ports)))
		return NFLB_PKT_IGNORE;
	pkt->flow.proto = proto;
	pkt->flow.sport = ports[1];
	pkt->flow.dport = ports[0];
	pkt->inner_nhoff = nhoff;
	pkt->inner_thoff = thoff;
	return NFLB_PKT_ICMP_ERR;
}

/* An ICMP message at @thoff: the quoted flow of an error, else ignored. */
static noinline enum nflb_parse nflb_parse_icmp4(struct sk_buff *skb,
						 unsigned int thoff,
						 struct nflb_pkt *pkt)
{
	struct icmphdr _ih;
	const struct icmphdr *ih;

	ih = skb_header_pointer(skb, thoff, sizeof(_ih), &_ih);
	if (!ih || !nflb_icmp4_is_error(ih->type))
		return NFLB_PKT_IGNORE;
	pkt->thoff = thoff;
	pkt->unreach = ih->type == ICMP_DEST_UNREACH &&
		       ih->code != ICMP_FRAG_NEEDED;
	return nflb_parse_quote(skb, AF_INET, thoff + sizeof(*ih), pkt);
}

/*
 * Inlined into nflb_pkt_parse() with nflb_parse_l4(): TCP and UDP over
 * IPv4 take no call and no stack buffer (ICMP and IPv6 have their own).
 */
static __always_inline enum nflb_parse nflb_parse4(struct sk_buff *skb,
						   struct nflb_pkt *pkt)
{
	const struct iphdr *iph = ip_hdr(skb);
	unsigned int thoff = skb_network_offset(skb) + iph->ihl * 4;

	/* Fragments left over by defrag (e.g. timed out) are not ours. */
	if (iph->frag_off & htons(IP_MF | IP_OFFSET))
		return NFLB_PKT_IGNORE;
	pkt->flow.family = AF_INET;
	pkt->flow.proto = iph->protocol;
	pkt->flow.src.ip = iph->saddr;
	pkt->flow.dst.ip = iph->daddr;

	switch (iph->protocol) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		return nflb_parse_l4(skb, thoff, pkt);
	case IPPROTO_ICMP:
		return nflb_parse_icmp4(skb, thoff, pkt);
	default:
		return NFLB_PKT_IGNORE;
	}
}

static noinline enum nflb_parse nflb_parse6(struct sk_buff *skb,
					    struct nflb_pkt *pkt)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	unsigned int nhoff = skb_network_offset(skb);
	__be16 frag_off;
	u8 proto = ip6h->nexthdr;
	int thoff;

	thoff = ipv6_skip_exthdr(skb, nhoff + sizeof(*ip6h), &proto, &frag_off);
	if (thoff < 0 || frag_off)
		return NFLB_PKT_IGNORE;
	pkt->flow.family = AF_INET6;
	pkt->flow.proto = proto;
	pkt->flow.src.in6 = ip6h->saddr;
	pkt->flow.dst.in6 = ip6h->daddr;

	switch (proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		return nflb_parse_l4(skb, thoff, pkt);
	case IPPROTO_ICMPV6: {
		struct icmp6hdr _ih;
		const struct icmp6hdr *ih;

		ih = skb_header_pointer(skb, thoff, sizeof(_ih), &_ih);
		/* Types below 128 are errors (RFC 4443). */
		if (!ih || ih->icmp6_type >= 128)
			return NFLB_PKT_IGNORE;
		pkt->thoff = thoff;
		pkt->unreach = ih->icmp6_type == ICMPV6_DEST_UNREACH;
		return nflb_parse_quote(skb, AF_INET6, thoff + sizeof(*ih),
					pkt);
	}
	default:
		return NFLB_PKT_IGNORE;
	}
}

enum nflb_parse nflb_pkt_parse(struct sk_buff *skb, u8 family,
			       struct nflb_pkt *pkt)
{
	pkt->tcp_flags = 0;
	if (family == NFPROTO_IPV4)
		return nflb_parse4(skb, pkt);
	return nflb_parse6(skb, pkt);
}

/*
 * Verifies the transport checksum of a packet about to create a session, so
 * forged garbage cannot fill the table.  Packets of existing sessions are
 * not verified: incremental NAT keeps a bad checksum bad for the endpoint.
 */
bool nflb_pkt_csum_ok(struct sk_buff *skb, u8 family, unsigned int hook,
		      const struct nflb_pkt *pkt)
{
	if (pkt->flow.proto == IPPROTO_UDP && family == NFPROTO_IPV4) {
		const struct udphdr *uh = (void *)(skb->data + pkt->thoff);

		if (!uh->check)
			return true;	/* no checksum on IPv4 UDP is legal */
	}
	return nf_checksum(skb, hook, pkt->thoff, pkt->flow.proto,
			   family) == 0;
}
