// SPDX-License-Identifier: GPL-2.0
/*
 * Address and port rewriting with incremental checksum updates.
 *
 * inet_proto_csum_replace*() keeps the transport checksum right for every
 * skb shape: a full checksum (CHECKSUM_NONE/UNNECESSARY), a pseudo-header
 * seed awaiting offload (CHECKSUM_PARTIAL, which also covers GSO/GRO
 * super-packets) and CHECKSUM_COMPLETE's skb->csum.  IPv4 UDP with a zero
 * checksum stays zero; a result of zero is sent as CSUM_MANGLED_0.
 */
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/checksum.h>
#include <net/ip6_checksum.h>
#include <net/ip.h>
#include "nat.h"

/* Where a transport header keeps its checksum, and how many bytes it needs. */
static unsigned int nflb_l4_csum_off(u8 proto)
{
	return proto == IPPROTO_TCP ? offsetof(struct tcphdr, check) :
				      offsetof(struct udphdr, check);
}

static unsigned int nflb_l4_min(u8 proto)
{
	return proto == IPPROTO_TCP ? sizeof(struct tcphdr) :
				      sizeof(struct udphdr);
}

/*
 * Rewrites one address and the matching port of a TCP/UDP packet at @thoff.
 * @src selects the source (SNAT) or destination (DNAT) side.
 */
static bool nflb_rewrite(struct sk_buff *skb, u8 family, u8 proto,
			 unsigned int thoff, bool src,
			 const union nf_inet_addr *addr, __be16 port)
{
	unsigned int len = thoff + nflb_l4_min(proto);
	__sum16 *check;
	__be16 *pptr;
	bool has_csum;

	/* Linear and not shared (most packets): nothing to call. */
	if ((skb_cloned(skb) || skb_headlen(skb) < len) &&
	    skb_ensure_writable(skb, len))
		return false;
	check = (__sum16 *)(skb->data + thoff + nflb_l4_csum_off(proto));
	pptr = (__be16 *)(skb->data + thoff) + (src ? 0 : 1);
	has_csum = proto == IPPROTO_TCP || *check || family == AF_INET6;

	if (family == AF_INET) {
		struct iphdr *iph = ip_hdr(skb);
		__be32 *aptr = src ? &iph->saddr : &iph->daddr;

		if (has_csum)
			inet_proto_csum_replace4(check, skb, *aptr, addr->ip,
						 true);
		csum_replace4(&iph->check, *aptr, addr->ip);
		*aptr = addr->ip;
	} else {
		struct ipv6hdr *ip6h = ipv6_hdr(skb);
		struct in6_addr *aptr = src ? &ip6h->saddr : &ip6h->daddr;

		inet_proto_csum_replace16(check, skb, aptr->s6_addr32,
					  addr->in6.s6_addr32, true);
		*aptr = addr->in6;
	}
	if (has_csum) {
		/*
		 * Ports are not in the pseudo-header: a CHECKSUM_PARTIAL seed
		 * stays as it is (inet_proto_csum_replace2() would do nothing).
		 */
		if (skb->ip_summed != CHECKSUM_PARTIAL)
			inet_proto_csum_replace2(check, skb, *pptr, port,
						 false);
		if (proto == IPPROTO_UDP && !*check)
			*check = CSUM_MANGLED_0;
	}
	*pptr = port;
	return true;
}

/*
 * The address and port a session's @dir tuple has on side @src, read in
 * place: this runs for every packet, nflb_session_tuple() is for the rest.
 */
static __be16 nflb_nat_target(const struct nflb_session *s, enum nflb_dir dir,
			      bool src, union nf_inet_addr *addr)
{
	if (s->family == AF_INET) {
		const struct nflb_tuple4 *t = &s->h4[dir].t;

		addr->ip = src ? t->src : t->dst;
		return src ? t->sport : t->dport;
	}
	addr->in6 = src ? s->h6[dir].t.src : s->h6[dir].t.dst;
	return src ? s->h6[dir].t.sport : s->h6[dir].t.dport;
}

bool nflb_nat_dnat(struct sk_buff *skb, const struct nflb_pkt *pkt,
		   const struct nflb_session *s)
{
	union nf_inet_addr addr;
	__be16 port;

	/* The reply tuple's source is the member. */
	port = nflb_nat_target(s, NFLB_DIR_REPLY, true, &addr);
	return nflb_rewrite(skb, s->family, pkt->flow.proto, pkt->thoff, false,
			    &addr, port);
}

bool nflb_nat_snat(struct sk_buff *skb, const struct nflb_pkt *pkt,
		   const struct nflb_session *s)
{
	union nf_inet_addr addr;
	__be16 port;

	/* The original tuple's destination is the VIP. */
	port = nflb_nat_target(s, NFLB_DIR_ORIG, false, &addr);
	return nflb_rewrite(skb, s->family, pkt->flow.proto, pkt->thoff, true,
			    &addr, port);
}

/* Sets one address field of a header at @off, fixing an IPv4 header checksum. */
static void nflb_set_addr(struct sk_buff *skb, u8 family, unsigned int nhoff,
			  bool src, const union nf_inet_addr *addr)
{
	if (family == AF_INET) {
		struct iphdr *iph = (struct iphdr *)(skb->data + nhoff);
		__be32 *aptr = src ? &iph->saddr : &iph->daddr;

		csum_replace4(&iph->check, *aptr, addr->ip);
		*aptr = addr->ip;
	} else {
		struct ipv6hdr *ip6h = (struct ipv6hdr *)(skb->data + nhoff);

		*(src ? &ip6h->saddr : &ip6h->daddr) = addr->in6;
	}
}

static bool nflb_outer_src_is(const struct sk_buff *skb, u8 family,
			      const union nf_inet_addr *addr)
{
	if (family == AF_INET)
		return ip_hdr(skb)->saddr == addr->ip;
	return ipv6_addr_equal(&ipv6_hdr(skb)->saddr, &addr->in6);
}

/* Recomputes the whole ICMP/ICMPv6 checksum after the quote was changed. */
static void nflb_icmp_recsum(struct sk_buff *skb, u8 family,
			     unsigned int thoff)
{
	unsigned int len = skb->len - thoff;
	__wsum csum;

	if (family == AF_INET) {
		struct icmphdr *ih = (struct icmphdr *)(skb->data + thoff);

		ih->checksum = 0;
		ih->checksum = csum_fold(skb_checksum(skb, thoff, len, 0));
	} else {
		struct icmp6hdr *ih = (struct icmp6hdr *)(skb->data + thoff);
		const struct ipv6hdr *ip6h = ipv6_hdr(skb);

		ih->icmp6_cksum = 0;
		csum = skb_checksum(skb, thoff, len, 0);
		ih->icmp6_cksum = csum_ipv6_magic(&ip6h->saddr, &ip6h->daddr,
						  len, IPPROTO_ICMPV6, csum);
	}
	/* skb->csum no longer matches; nobody downstream may trust it. */
	skb->ip_summed = CHECKSUM_NONE;
}

/*
 * Translates an ICMP error quoting a session's packet.
 *
 * @dir ORIG: the quote is a VIP -> client packet (an error about our
 * reply, e.g. "fragmentation needed" from a router towards the client).
 * It goes on to the member: outer destination VIP -> member, quoted source
 * VIP:port -> member:port.
 *
 * @dir REPLY: the quote is a client -> member packet (an error about a
 * packet we DNATed, from the member, a router behind it or this box).  It
 * goes on to the client: quoted destination member:port -> VIP:port, and
 * the outer source too when the member itself sent it.
 */
bool nflb_nat_icmp(struct sk_buff *skb, const struct nflb_pkt *pkt,
		   const struct nflb_session *s, enum nflb_dir dir)
{
	struct nflb_flow orig, reply;
	const union nf_inet_addr *from, *to;
	unsigned int off = pkt->inner_thoff;
	__be16 *pptr, port;
	bool quoted_src = dir == NFLB_DIR_ORIG;

	if (skb_ensure_writable(skb, skb->len))
		return false;
	nflb_session_tuple(s, NFLB_DIR_ORIG, &orig);
	nflb_session_tuple(s, NFLB_DIR_REPLY, &reply);
	if (dir == NFLB_DIR_ORIG) {
		from = &orig.dst;
		to = &reply.src;
		port = reply.sport;
	} else {
		from = &reply.src;
		to = &orig.dst;
		port = orig.dport;
	}

	/* The quoted transport checksum, if quoted in full, covers both. */
	if (skb->len >= off + nflb_l4_min(pkt->flow.proto)) {
		__sum16 *check = (__sum16 *)(skb->data + off +
					     nflb_l4_csum_off(pkt->flow.proto));
		__be16 *old = (__be16 *)(skb->data + off) + !quoted_src;

		if (*check || s->family == AF_INET6 ||
		    pkt->flow.proto == IPPROTO_TCP) {
			int i, words = s->family == AF_INET ? 1 : 4;

			/* .ip aliases in6.s6_addr32[0] */
			for (i = 0; i < words; i++)
				csum_replace4(check, from->in6.s6_addr32[i],
					      to->in6.s6_addr32[i]);
			csum_replace2(check, *old, port);
		}
	}
	pptr = (__be16 *)(skb->data + off) + !quoted_src;
	*pptr = port;
	nflb_set_addr(skb, s->family, pkt->inner_nhoff, quoted_src, to);

	/* Outer header: towards the member, or from the VIP if member-sent. */
	if (dir == NFLB_DIR_ORIG)
		nflb_set_addr(skb, s->family, skb_network_offset(skb), false,
			      to);
	else if (nflb_outer_src_is(skb, s->family, &reply.src))
		nflb_set_addr(skb, s->family, skb_network_offset(skb), true,
			      to);
	nflb_icmp_recsum(skb, s->family, pkt->thoff);
	return true;
}
