// SPDX-License-Identifier: GPL-2.0
/*
 * Netfilter entry points.
 *
 * PRE_ROUTING runs after defragmentation and before conntrack: packets of a
 * session, or to a VIP, are claimed there (marked untracked, so conntrack
 * leaves them alone) and TCP state is tracked in both directions.  Client
 * packets are DNATed to their member before the routing decision.  Member
 * replies are routed first, with their real source (rp_filter, policy
 * routing), then their source is rewritten to VIP:port; the stack keeps
 * that route.  One lookup per packet, in one hook.  LOCAL_OUT, also before
 * conntrack, balances connections this box itself opens to a VIP and
 * translates (and claims) the ICMP errors this box sends about packets
 * nflb rewrote.
 */
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/tcp.h>
#include <linux/icmpv6.h>
#include <net/icmp.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/tcp.h>
#include <net/addrconf.h>
#include <net/ip6_route.h>
#include <net/route.h>
#include <net/netfilter/ipv4/nf_defrag_ipv4.h>
#include <net/netfilter/ipv6/nf_defrag_ipv6.h>
#include "main.h"
#include "nat.h"
#include "packet.h"
#include "persist.h"
#include "redirect.h"
#include "reset.h"
#include "sched.h"
#include "service.h"
#include "tcp.h"
#include "hooks.h"

/* After defrag (-400) and raw (-300), before conntrack (-200). */
#define NFLB_PRI_PRE	(NF_IP_PRI_CONNTRACK - 50)

static void nflb_claim(struct sk_buff *skb)
{
	nf_reset_ct(skb);
	nf_ct_set(skb, NULL, IP_CT_UNTRACKED);
}

static bool nflb_claimed(const struct sk_buff *skb)
{
	return skb->_nfct == IP_CT_UNTRACKED;
}

static void nflb_drop_count(struct nflb_net *ln, struct nflb_vs *vs,
			    int reason)
{
	nflb_stats_add(ln->stats, NFLB_C_DROP_FIRST + reason, 1);
	if (vs)
		nflb_stats_add(vs->stats, NFLB_C_DROP_FIRST + reason, 1);
}

static bool nflb_is_syn(const struct nflb_pkt *pkt)
{
	return (pkt->tcp_flags & (NFLB_TCP_SYN | NFLB_TCP_ACK | NFLB_TCP_RST)) ==
	       NFLB_TCP_SYN;
}

/*
 * A fresh SYN on a finished session's tuple starts over (port reuse), and
 * so does one on a session whose member was deleted: it is scheduled anew.
 */
static bool nflb_is_restart(const struct nflb_session *s, enum nflb_dir dir,
			    const struct nflb_pkt *pkt)
{
	return dir == NFLB_DIR_ORIG && nflb_is_syn(pkt) &&
	       (nflb_state_closed(s->state) || !READ_ONCE(s->member->pool));
}

/*
 * Routes a member's reply as the stack would (ip_rcv_finish() and
 * ip6_rcv_finish() keep a dst that is already set), before its source is
 * rewritten to the VIP: rp_filter and the route see the member's real
 * address, and the packet needs no second lookup in a later hook.
 */
static bool nflb_route_reply(struct sk_buff *skb, u8 pf)
{
	if (pf == NFPROTO_IPV4) {
		const struct iphdr *iph = ip_hdr(skb);

		return !ip_route_input_noref(skb, iph->daddr, iph->saddr,
					     iph->tos, skb->dev);
	} else {
		const struct ipv6hdr *ip6h = ipv6_hdr(skb);
		struct flowi6 fl6 = {
			.flowi6_iif = skb->dev->ifindex,
			.daddr = ip6h->daddr,
			.saddr = ip6h->saddr,
			.flowlabel = ip6_flowinfo(ip6h),
			.flowi6_mark = skb->mark,
			.flowi6_proto = ip6h->nexthdr,
		};
		struct dst_entry *dst;

		dst = ip6_route_input_lookup(dev_net(skb->dev), skb->dev, &fl6,
					     skb, RT6_LOOKUP_F_HAS_SADDR);
		skb_dst_drop(skb);
		skb_dst_set(skb, dst);
		return !dst->error;
	}
}

/*
 * A member's reply too big for its route out of this box, with DF (or any
 * IPv6 packet): answered now, as ip_forward() would, while the packet still
 * comes from the member.  After the rewrite to VIP:port the stack's own
 * "fragmentation needed" / "packet too big" would go to the VIP and never
 * reach the member, and its download would stall.  Not called for a packet
 * that fits any link (68 bytes, IPv6's 1280), which is most of them.
 */
static noinline bool nflb_reply_too_big(struct sk_buff *skb, u8 pf)
{
	const struct dst_entry *dst = skb_dst(skb);
	unsigned int mtu;
	u16 frag_max;

	if (pf == NFPROTO_IPV4) {
		if (!(ip_hdr(skb)->frag_off & htons(IP_DF)) || skb->ignore_df)
			return false;
		mtu = ip_dst_mtu_maybe_forward(dst, true);
		frag_max = IPCB(skb)->frag_max_size;
	} else {
		mtu = max_t(unsigned int, ip6_dst_mtu_maybe_forward(dst, true),
			    IPV6_MIN_MTU);
		frag_max = IP6CB(skb)->frag_max_size;
	}
	if (skb->len <= mtu)
		return false;
	/* Reassembled by defrag: too big if a fragment was (as ip6_forward). */
	if (!frag_max || frag_max <= mtu) {
		if (skb->ignore_df)
			return false;
		if (skb_is_gso(skb) && skb_gso_validate_network_len(skb, mtu))
			return false;
	}
	if (pf == NFPROTO_IPV4)
		icmp_send(skb, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, htonl(mtu));
	else
		icmpv6_send(skb, ICMPV6_PKT_TOOBIG, 0, mtu);
	return true;
}

/*
 * A UDP flow's first datagram back from its member: a good handshake for
 * passive detection, and proof that this member answers UDP (so its
 * one-way flows may count as failures from now on).
 */
static noinline void nflb_udp_first_reply(struct nflb_session *s)
{
	struct nflb_passive_state *ps = &s->member->passive;

	WRITE_ONCE(s->seen_reply, 1);
	if (!READ_ONCE(ps->udp_answered))
		WRITE_ONCE(ps->udp_answered, 1);
	nflb_passive_ok(ps);
}

/*
 * An ICMP unreachable about a packet nflb sent to a member (the quote is
 * client -> member), from the member, a router on the way or this box,
 * before the member ever answered the flow: a failed handshake.
 */
static void nflb_icmp_judge(struct nflb_net *ln, const struct nflb_pkt *pkt,
			    struct nflb_session *s, enum nflb_dir dir)
{
	if (pkt->unreach && dir == NFLB_DIR_REPLY && !READ_ONCE(s->seen_reply))
		nflb_passive_fail(ln, s, NFLB_FAIL_UNREACH);
}

/*
 * A packet of an existing session, in PRE_ROUTING (and LOCAL_OUT).  Inlined:
 * nearly every packet nflb handles comes through here.
 */
static __always_inline unsigned int
nflb_pre_session(struct nflb_net *ln, struct sk_buff *skb,
		 const struct nflb_pkt *pkt, struct nflb_session *s,
		 enum nflb_dir dir, u8 pf)
{
	enum nflb_tcp_verdict v = NFLB_TCP_OK;
	bool in = dir == NFLB_DIR_ORIG;
	bool ok;

	nflb_claim(skb);
	if (!in) {
		/* No route: leave it to the stack, which will drop it. */
		if (unlikely(!nflb_route_reply(skb, pf)))
			return NF_ACCEPT;
		/* Fits any link (pure ACKs, most handshake segments)? */
		if (skb->len > (pf == NFPROTO_IPV4 ? 68 : IPV6_MIN_MTU) &&
		    unlikely(nflb_reply_too_big(skb, pf)))
			return NF_DROP;
	}
	if (pkt->flow.proto == IPPROTO_TCP) {
		v = nflb_tcp_track(s, dir, pkt);
		if (unlikely(v == NFLB_TCP_DROP)) {
			nflb_drop_count(ln, s->vs, NFLB_DROP_OUT_OF_WINDOW);
			return NF_DROP;
		}
	} else if (!in && unlikely(!s->seen_reply)) {
		nflb_udp_first_reply(s);
	}
	/* A segment outside the window does not keep the session alive. */
	if (likely(v == NFLB_TCP_OK))
		nflb_session_touch(ln, s);
	nflb_stats_pkt(s->vs->stats, in, skb->len);
	nflb_stats_pkt(s->member->stats, in, skb->len);
	ok = in ? nflb_nat_dnat(skb, pkt, s) : nflb_nat_snat(skb, pkt, s);
	if (unlikely(!ok)) {
		nflb_drop_count(ln, s->vs, NFLB_DROP_NOMEM);
		return NF_DROP;
	}
	return NF_ACCEPT;
}

/*
 * The member for a new flow: none for a drained virtual server, else the
 * client's affinity (*@p, also when its member is not available now),
 * else the scheduler's choice.
 */
static struct nflb_member *nflb_pick(struct nflb_net *ln, struct nflb_vs *vs,
				     const struct nflb_flow *f,
				     struct nflb_persist **p)
{
	struct nflb_member *m = NULL;

	*p = NULL;
	if (READ_ONCE(vs->flags) & NFLB_VS_F_DRAIN)
		return NULL;
	if (READ_ONCE(vs->persist_timeout)) {
		*p = nflb_persist_find(ln, vs, f);
		if (*p)
			m = nflb_persist_member(*p, vs);
	}
	return m ?: nflb_sched_pick(vs, f);
}

/* First packet of a flow to a VIP: decide, pick a member, create. */
static unsigned int nflb_pre_new(struct nflb_net *ln, struct sk_buff *skb,
				 const struct nf_hook_state *st,
				 const struct nflb_pkt *pkt, struct nflb_vs *vs)
{
	struct nflb_persist *p;
	struct nflb_member *m;
	struct nflb_session *s;
	enum nflb_dir dir;
	int reason;
	u8 state = NFLB_UDP;

	if (pkt->flow.proto == IPPROTO_TCP) {
		if (nflb_is_syn(pkt)) {
			state = NFLB_TCP_SYN_SENT;
		} else if ((READ_ONCE(vs->flags) & NFLB_VS_F_LOOSE) &&
			   !(pkt->tcp_flags & NFLB_TCP_RST)) {
			state = NFLB_TCP_ESTABLISHED;
		} else {
			nflb_drop_count(ln, vs, NFLB_DROP_NO_SESSION);
			return NF_DROP;
		}
	}
	if (unlikely(!nflb_pkt_csum_ok(skb, st->pf, st->hook, pkt))) {
		nflb_drop_count(ln, vs, NFLB_DROP_BAD_CSUM);
		return NF_DROP;
	}
	m = nflb_pick(ln, vs, &pkt->flow, &p);
	if (unlikely(!m)) {
		nflb_drop_count(ln, vs, NFLB_DROP_NO_MEMBER);
		if (state == NFLB_TCP_SYN_SENT &&
		    (READ_ONCE(vs->flags) & NFLB_VS_F_RST_NO_MEMBER) &&
		    __ratelimit(&ln->rst_ratelimit))
			nflb_reset_refuse(ln->net, &pkt->flow, pkt->seq + 1);
		return NF_DROP;
	}
	s = nflb_session_create(ln, &pkt->flow, vs, m, p, state, &reason);
	if (unlikely(!s)) {
		if (reason != -EEXIST) {
			nflb_drop_count(ln, vs, reason);
			return NF_DROP;
		}
		/* Lost a race with another CPU creating the same session. */
		s = nflb_session_find(ln, &pkt->flow, &dir);
		if (!s || dir != NFLB_DIR_ORIG)
			return NF_DROP;
	} else if (state == NFLB_TCP_ESTABLISHED) {
		/* A SYN's tracking starts in nflb_tcp_track(), a pickup's here. */
		nflb_tcp_new(s, pkt);
	}
	/*
	 * Active-active (redirect on): a flow's packets may take any node,
	 * each seeing part of each direction; the owner cannot tell a segment
	 * it missed from a forged one, no more than the peers' synced copies
	 * can, so it tracks the flow liberally as they do (sync.rst).
	 */
	if (pkt->flow.proto == IPPROTO_TCP && rcu_access_pointer(ln->redir))
		set_bit(NFLB_S_LIBERAL, &s->flags);
	return nflb_pre_session(ln, skb, pkt, s, NFLB_DIR_ORIG, st->pf);
}

/* An ICMP error quoting a session's packet, arriving from outside. */
static unsigned int nflb_pre_icmp(struct sk_buff *skb,
				  const struct nflb_pkt *pkt,
				  struct nflb_session *s, enum nflb_dir dir,
				  struct nflb_net *ln, u8 pf)
{
	nflb_claim(skb);
	nflb_icmp_judge(ln, pkt, s, dir);
	/* Towards the client: route with the real source first, as replies. */
	if (dir == NFLB_DIR_REPLY && unlikely(!nflb_route_reply(skb, pf)))
		return NF_ACCEPT;
	if (unlikely(!nflb_nat_icmp(skb, pkt, s, dir)))
		return NF_DROP;
	nflb_stats_add(ln->stats, NFLB_C_ICMP_XLATED, 1);
	return NF_ACCEPT;
}

/*
 * A TCP or UDP packet whose headers do not add up: dropped and counted if
 * it is nflb's (to a virtual server, or of a session), else left to the
 * stack like any transit packet nflb has no business with.
 */
static unsigned int nflb_pre_malformed(struct nflb_net *ln,
				       const struct nflb_pkt *pkt)
{
	struct nflb_vs *vs = NULL;
	struct nflb_session *s;
	enum nflb_dir dir;

	s = nflb_session_find(ln, &pkt->flow, &dir);
	if (!s)
		vs = nflb_vs_find_vip(ln, pkt->flow.family, pkt->flow.proto,
				      &pkt->flow.dst, pkt->flow.dport);
	if (!s && !vs)
		return NF_ACCEPT;
	nflb_drop_count(ln, s ? s->vs : vs, NFLB_DROP_MALFORMED);
	return NF_DROP;
}

/*
 * Owner redirect (Documentation/sync.rst): a packet of a flow that has no
 * session here, client @client:@port, goes to the flow's owner when that
 * is another live node.  True when it went (@skb consumed).
 */
static bool nflb_redirect(struct nflb_net *ln, struct sk_buff *skb,
			  const struct nflb_pkt *pkt,
			  const union nf_inet_addr *client, __be16 port)
{
	struct nflb_redir *rd = rcu_dereference(ln->redir);
	int owner;

	if (!rd)
		return false;
	owner = nflb_redir_owner(rd, pkt->flow.family, client, port,
				 pkt->flow.proto);
	if (owner < 0)
		return false;
	nflb_redir_send(rd, skb, owner);
	return true;
}

/* Whether @a is one of this node's own addresses. */
static bool nflb_addr_is_local(struct net *net, u8 family,
			       const union nf_inet_addr *a)
{
	if (family == AF_INET)
		return inet_addr_type(net, a->ip) == RTN_LOCAL;
	return ipv6_chk_addr(net, &a->in6, NULL, 0);
}

/*
 * A TCP or UDP packet to no VIP that matches no session: transit traffic,
 * left to the stack, unless redirect is on and it comes from a member: a
 * member's reply to a flow whose request another node saw, which goes to
 * the flow's owner (keyed by the client, its destination).  Not when it
 * is to this node itself: a member answers the node's own connections too
 * (lbhealthd's checks, an operator's ssh), which no owner would know.
 */
static unsigned int nflb_pre_stray(struct nflb_net *ln, struct sk_buff *skb,
				   const struct nflb_pkt *pkt)
{
	if (!rcu_access_pointer(ln->redir) ||
	    !nflb_member_endpoint(ln, pkt->flow.family, &pkt->flow.src,
				  pkt->flow.sport, pkt->flow.proto) ||
	    nflb_addr_is_local(ln->net, pkt->flow.family, &pkt->flow.dst))
		return NF_ACCEPT;
	return nflb_redirect(ln, skb, pkt, &pkt->flow.dst, pkt->flow.dport) ?
	       NF_STOLEN : NF_ACCEPT;
}

/*
 * The session @pkt belongs to, or NULL: none, or one a new SYN restarts
 * (ended here, so that the SYN creates the flow's session anew).
 */
static __always_inline struct nflb_session *
nflb_pre_known(struct nflb_net *ln, const struct nflb_pkt *pkt,
	       enum nflb_dir *dir)
{
	struct nflb_session *s = nflb_session_find(ln, &pkt->flow, dir);

	if (s && unlikely(nflb_is_restart(s, *dir, pkt))) {
		nflb_session_expire(ln, s, NFLB_RST_NONE);
		return NULL;
	}
	return s;
}

static unsigned int nflb_hook_pre(void *priv, struct sk_buff *skb,
				  const struct nf_hook_state *st)
{
	struct nflb_net *ln = priv;
	struct nflb_session *s;
	struct nflb_pkt pkt;
	enum nflb_dir dir;
	struct nflb_vs *vs;

	/* Nothing configured and nothing left over: cheapest possible exit. */
	if (!READ_ONCE(ln->vs_count) && !atomic_read(&ln->tbl.count))
		return NF_ACCEPT;

	switch (nflb_pkt_parse(skb, st->pf, &pkt)) {
	case NFLB_PKT_IGNORE:
		return NF_ACCEPT;
	case NFLB_PKT_MALFORMED:
		return nflb_pre_malformed(ln, &pkt);
	case NFLB_PKT_ICMP_ERR:
		s = nflb_session_find(ln, &pkt.flow, &dir);
		return s ? nflb_pre_icmp(skb, &pkt, s, dir, ln, st->pf) :
			   NF_ACCEPT;
	case NFLB_PKT_L4:
		break;
	}

	s = nflb_pre_known(ln, &pkt, &dir);
	if (s)
		return nflb_pre_session(ln, skb, &pkt, s, dir, st->pf);
	vs = nflb_vs_find_vip(ln, pkt.flow.family, pkt.flow.proto,
			      &pkt.flow.dst, pkt.flow.dport);
	if (!vs)
		return nflb_pre_stray(ln, skb, &pkt);
	if (nflb_redirect(ln, skb, &pkt, &pkt.flow.src, pkt.flow.sport))
		return NF_STOLEN;
	return nflb_pre_new(ln, skb, st, &pkt, vs);
}

/*
 * A redirected packet, decapsulated: PRE_ROUTING's work, but never
 * redirected again (no loops): a packet of a session here is handled, the
 * first packet of a flow this node owns creates its session; anything
 * else is dropped and counted (sync.rst, Receiving).
 */
static unsigned int nflb_pre_redirected(struct nflb_net *ln,
					struct nflb_redir *rd,
					struct sk_buff *skb,
					const struct nf_hook_state *st)
{
	struct nflb_session *s;
	struct nflb_pkt pkt;
	enum nflb_dir dir;
	struct nflb_vs *vs;

	if (nflb_pkt_parse(skb, st->pf, &pkt) != NFLB_PKT_L4) {
		nflb_redir_count(rd, NFLB_R_DROP_NOT_OURS);
		return NF_DROP;
	}
	s = nflb_pre_known(ln, &pkt, &dir);
	if (s)
		return nflb_pre_session(ln, skb, &pkt, s, dir, st->pf);
	vs = nflb_vs_find_vip(ln, pkt.flow.family, pkt.flow.proto,
			      &pkt.flow.dst, pkt.flow.dport);
	if (!vs) {
		/* A member's reply whose session is not here either. */
		if (nflb_member_endpoint(ln, pkt.flow.family, &pkt.flow.src,
					 pkt.flow.sport, pkt.flow.proto))
			nflb_redir_count(rd, NFLB_R_DROP_NOT_OWNER);
		else
			nflb_redir_count(rd, NFLB_R_DROP_NOT_OURS);
		return NF_DROP;
	}
	if (nflb_redir_owner(rd, pkt.flow.family, &pkt.flow.src,
			     pkt.flow.sport, pkt.flow.proto) != NFLB_REDIR_SELF) {
		nflb_redir_count(rd, NFLB_R_DROP_NOT_OWNER);
		return NF_DROP;
	}
	return nflb_pre_new(ln, skb, st, &pkt, vs);
}

/*
 * A redirect that arrived on the sync socket (@skb at its UDP header;
 * softirq, RCU): checked and decapsulated by redirect.c, its inner IPv4 or
 * IPv6 packet processed as PRE_ROUTING would, then routed (a member's
 * reply was already) and passed on as ip_rcv_finish() or
 * ip6_rcv_finish() would: FORWARD and POSTROUTING see it.  Always
 * consumes @skb.
 */
void nflb_hooks_redirected(struct nflb_net *ln, struct nflb_redir *rd,
			   struct sk_buff *skb)
{
	struct nf_hook_state st = {
		.hook = NF_INET_PRE_ROUTING,
		.net = ln->net,
	};

	st.pf = nflb_redir_decap(rd, skb);
	if (st.pf == NFPROTO_UNSPEC)
		goto drop;
	st.in = skb->dev;
	if (nflb_pre_redirected(ln, rd, skb, &st) != NF_ACCEPT)
		goto drop;
	if (!nflb_claimed(skb)) {
		nflb_redir_count(rd, NFLB_R_DROP_NOT_OURS);
		goto drop;
	}
	/* The input route from the outer packet's device, as for a reply. */
	if (!skb_dst(skb) && !nflb_route_reply(skb, st.pf))
		goto drop;
	nflb_redir_count(rd, NFLB_R_RX);
	/* The peer waits for this flow's record. */
	nflb_syncq_hurry(ln);
	dst_input(skb);
	return;
drop:
	kfree_skb(skb);
}

/* After a rewrite of its destination in LOCAL_OUT: routes @skb again. */
static unsigned int nflb_reroute(const struct nf_hook_state *st,
				 struct sk_buff *skb)
{
	int err;

	if (st->pf == NFPROTO_IPV4)
		err = ip_route_me_harder(st->net, st->sk, skb, RTN_UNSPEC);
	else
		err = ip6_route_me_harder(st->net, st->sk, skb);
	return err < 0 ? NF_DROP_ERR(err) : NF_ACCEPT;
}

/*
 * An ICMP error this box sends (ip_forward()'s "fragmentation needed",
 * "time exceeded", nflb_reply_too_big()'s), in LOCAL_OUT before conntrack:
 * translated like one from outside when it quotes a packet nflb rewrote,
 * and claimed, so that conntrack, which never saw the quoted packet, does
 * not call it invalid.
 */
static unsigned int nflb_local_icmp(struct nflb_net *ln, struct sk_buff *skb,
				    const struct nf_hook_state *st,
				    const struct nflb_pkt *pkt)
{
	struct nflb_flow quoted;
	struct nflb_session *s;
	enum nflb_dir dir;

	s = nflb_session_find(ln, &pkt->flow, &dir);
	if (s) {
		nflb_icmp_judge(ln, pkt, s, dir);
		if (unlikely(!nflb_nat_icmp(skb, pkt, s, dir)))
			return NF_DROP;
		nflb_claim(skb);
		nflb_stats_add(ln->stats, NFLB_C_ICMP_XLATED, 1);
		/* Towards the member now, not the VIP. */
		return dir == NFLB_DIR_ORIG ? nflb_reroute(st, skb) : NF_ACCEPT;
	}
	/* About a member's reply as it arrived: the member is the target. */
	quoted = pkt->flow;
	swap(quoted.src, quoted.dst);
	swap(quoted.sport, quoted.dport);
	s = nflb_session_find(ln, &quoted, &dir);
	if (s && dir == NFLB_DIR_REPLY)
		nflb_claim(skb);
	return NF_ACCEPT;
}

/*
 * A connection from this box itself to a virtual server (monitoring, a
 * local client) is balanced like any other, as IPVS does: DNAT here, then
 * routed again towards the member.  The member's replies come back through
 * PRE_ROUTING as usual and are delivered locally from VIP:port.
 */
static unsigned int nflb_local_l4(struct nflb_net *ln, struct sk_buff *skb,
				  const struct nf_hook_state *st,
				  const struct nflb_pkt *pkt)
{
	struct nflb_session *s;
	unsigned int verdict;
	enum nflb_dir dir;
	struct nflb_vs *vs;

	s = nflb_session_find(ln, &pkt->flow, &dir);
	if (s && dir != NFLB_DIR_ORIG)
		return NF_ACCEPT;
	if (s && unlikely(nflb_is_restart(s, dir, pkt))) {
		nflb_session_expire(ln, s, NFLB_RST_NONE);
		s = NULL;
	}
	if (s) {
		verdict = nflb_pre_session(ln, skb, pkt, s, dir, st->pf);
	} else {
		vs = nflb_vs_find_vip(ln, pkt->flow.family, pkt->flow.proto,
				      &pkt->flow.dst, pkt->flow.dport);
		if (!vs)
			return NF_ACCEPT;
		verdict = nflb_pre_new(ln, skb, st, pkt, vs);
	}
	if (verdict != NF_ACCEPT || !nflb_claimed(skb))
		return verdict;
	return nflb_reroute(st, skb);
}

/*
 * LOCAL_OUT runs in process context too (connect(), sendmsg()): BH off, so
 * the per-cpu counters and the session code see the context they assume
 * (softirq or BH disabled, never preemptible).
 */
static unsigned int nflb_hook_local(void *priv, struct sk_buff *skb,
				    const struct nf_hook_state *st)
{
	struct nflb_net *ln = priv;
	unsigned int verdict;
	struct nflb_pkt pkt;

	if (!READ_ONCE(ln->vs_count) && !atomic_read(&ln->tbl.count))
		return NF_ACCEPT;
	local_bh_disable();
	switch (nflb_pkt_parse(skb, st->pf, &pkt)) {
	case NFLB_PKT_ICMP_ERR:
		verdict = nflb_local_icmp(ln, skb, st, &pkt);
		break;
	case NFLB_PKT_L4:
		verdict = nflb_local_l4(ln, skb, st, &pkt);
		break;
	default:
		verdict = NF_ACCEPT;
	}
	local_bh_enable();
	return verdict;
}

static const struct nf_hook_ops nflb_hook_tmpl[] = {
	{
		.hook = nflb_hook_pre,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NFLB_PRI_PRE,
	}, {
		.hook = nflb_hook_local,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = NFLB_PRI_PRE,
	}, {
		.hook = nflb_hook_pre,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NFLB_PRI_PRE,
	}, {
		.hook = nflb_hook_local,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = NFLB_PRI_PRE,
	},
};

static int nflb_defrag_enable(struct net *net)
{
	int err = nf_defrag_ipv4_enable(net);

	if (err)
		return err;
	err = nf_defrag_ipv6_enable(net);
	if (err)
		nf_defrag_ipv4_disable(net);
	return err;
}

static void nflb_defrag_disable(struct net *net)
{
	nf_defrag_ipv6_disable(net);
	nf_defrag_ipv4_disable(net);
}

/*
 * A netns gets nflb's hooks (and defragmentation, so fragments to a VIP are
 * reassembled before our hook, as for IPVS) only while it has a virtual
 * server: namespaces that merely exist while the module is loaded pay
 * nothing per packet.  cfg_mutex held.
 */
int nflb_hooks_start(struct nflb_net *ln)
{
	int i, err;

	if (ln->datapath_on)
		return 0;
	BUILD_BUG_ON(ARRAY_SIZE(nflb_hook_tmpl) != ARRAY_SIZE(ln->hook_ops));
	for (i = 0; i < ARRAY_SIZE(nflb_hook_tmpl); i++) {
		ln->hook_ops[i] = nflb_hook_tmpl[i];
		ln->hook_ops[i].priv = ln;
	}
	err = nflb_defrag_enable(ln->net);
	if (err)
		return err;
	err = nf_register_net_hooks(ln->net, ln->hook_ops,
				    ARRAY_SIZE(ln->hook_ops));
	if (err) {
		nflb_defrag_disable(ln->net);
		return err;
	}
	ln->datapath_on = true;
	return 0;
}

/*
 * With the last virtual server gone, its sessions are gone too; after
 * nf_unregister_net_hooks() (which waits for packets in flight) no packet
 * can reach nflb in this netns.  cfg_mutex held.
 */
void nflb_hooks_stop(struct nflb_net *ln)
{
	if (!ln->datapath_on)
		return;
	nf_unregister_net_hooks(ln->net, ln->hook_ops,
				ARRAY_SIZE(ln->hook_ops));
	nflb_defrag_disable(ln->net);
	ln->datapath_on = false;
}
