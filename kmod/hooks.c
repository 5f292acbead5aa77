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
 * that route.  One lookup per packet, in one hook.  POST_ROUTING only
 * translates ICMP errors this box generates about DNATed packets.
 */
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/tcp.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/tcp.h>
#include <net/ip6_route.h>
#include <net/route.h>
#include <net/netfilter/ipv4/nf_defrag_ipv4.h>
#include <net/netfilter/ipv6/nf_defrag_ipv6.h>
#include "main.h"
#include "nat.h"
#include "packet.h"
#include "persist.h"
#include "reset.h"
#include "sched.h"
#include "service.h"
#include "hooks.h"

/* After defrag (-400) and raw (-300), before conntrack (-200). */
#define NFLB_PRI_PRE	(NF_IP_PRI_CONNTRACK - 50)
/* After nftables' filter/srcnat chains have seen the real source. */
#define NFLB_PRI_POST	(NF_IP_PRI_NAT_SRC + 10)

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

/* Next TCP state after a segment with @flags in direction @dir. */
static u8 nflb_tcp_next(u8 state, enum nflb_dir dir, u8 flags)
{
	bool orig = dir == NFLB_DIR_ORIG;

	if (flags & NFLB_TCP_RST)
		return NFLB_TCP_CLOSE;
	if (flags & NFLB_TCP_SYN) {
		if (!orig && (flags & NFLB_TCP_ACK) &&
		    state == NFLB_TCP_SYN_SENT)
			return NFLB_TCP_SYN_RECV;
		return state;
	}
	if (flags & NFLB_TCP_FIN) {
		switch (state) {
		case NFLB_TCP_SYN_RECV:
		case NFLB_TCP_ESTABLISHED:
			return orig ? NFLB_TCP_FIN_WAIT : NFLB_TCP_CLOSE_WAIT;
		case NFLB_TCP_FIN_WAIT:
			return orig ? state : NFLB_TCP_LAST_ACK;
		case NFLB_TCP_CLOSE_WAIT:
			return orig ? NFLB_TCP_LAST_ACK : state;
		default:
			return state;
		}
	}
	if (flags & NFLB_TCP_ACK) {
		if (state == NFLB_TCP_SYN_RECV && orig)
			return NFLB_TCP_ESTABLISHED;
		if (state == NFLB_TCP_LAST_ACK)
			return NFLB_TCP_TIME_WAIT;
	}
	return state;
}

static void nflb_tcp_track(struct nflb_session *s, enum nflb_dir dir,
			   const struct nflb_pkt *pkt)
{
	u32 end = pkt->seq + pkt->seg_len;
	u8 next;

	if (!(pkt->tcp_flags & NFLB_TCP_RST)) {
		/* Highest sequence seen per side: what a RST must carry. */
		if (dir == NFLB_DIR_REPLY && !s->seen_reply) {
			s->seen_reply = 1;
			s->seq_next[dir] = end;
		} else if (after(end, s->seq_next[dir])) {
			s->seq_next[dir] = end;
		}
	}
	next = nflb_tcp_next(s->state, dir, pkt->tcp_flags);
	if (next != s->state)
		WRITE_ONCE(s->state, next);
}

static bool nflb_is_syn(const struct nflb_pkt *pkt)
{
	return (pkt->tcp_flags & (NFLB_TCP_SYN | NFLB_TCP_ACK | NFLB_TCP_RST)) ==
	       NFLB_TCP_SYN;
}

/* A fresh SYN on a finished session's tuple starts over (port reuse). */
static bool nflb_is_restart(const struct nflb_session *s, enum nflb_dir dir,
			    const struct nflb_pkt *pkt)
{
	return dir == NFLB_DIR_ORIG && nflb_is_syn(pkt) &&
	       (s->state == NFLB_TCP_TIME_WAIT || s->state == NFLB_TCP_CLOSE);
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

/* A packet of an existing session, in PRE_ROUTING. */
static unsigned int nflb_pre_session(struct nflb_net *ln, struct sk_buff *skb,
				     const struct nflb_pkt *pkt,
				     struct nflb_session *s, enum nflb_dir dir,
				     u8 pf)
{
	bool in = dir == NFLB_DIR_ORIG;
	bool ok;

	nflb_claim(skb);
	if (pkt->flow.proto == IPPROTO_TCP)
		nflb_tcp_track(s, dir, pkt);
	nflb_session_touch(ln, s);
	nflb_stats_pkt(s->vs->stats, in, skb->len);
	nflb_stats_pkt(s->member->stats, in, skb->len);
	if (in) {
		ok = nflb_nat_dnat(skb, pkt, s);
	} else {
		/* No route: leave it to the stack, which will drop it. */
		if (unlikely(!nflb_route_reply(skb, pf)))
			return NF_ACCEPT;
		ok = nflb_nat_snat(skb, pkt, s);
	}
	if (unlikely(!ok)) {
		nflb_drop_count(ln, s->vs, NFLB_DROP_NOMEM);
		return NF_DROP;
	}
	return NF_ACCEPT;
}

/* The member for a new flow: drained VS none, else affinity, else scheduler. */
static struct nflb_member *nflb_pick(struct nflb_net *ln, struct nflb_vs *vs,
				     const struct nflb_flow *f)
{
	struct nflb_member *m = NULL;
	bool persist = READ_ONCE(vs->persist_timeout);

	if (READ_ONCE(vs->flags) & NFLB_VS_F_DRAIN)
		return NULL;
	if (persist)
		m = nflb_persist_get(ln, vs, f);
	if (!m)
		m = nflb_sched_pick(vs, f);
	if (m && persist)
		nflb_persist_set(ln, vs, f, m);
	return m;
}

/* First packet of a flow to a VIP: decide, pick a member, create. */
static unsigned int nflb_pre_new(struct nflb_net *ln, struct sk_buff *skb,
				 const struct nf_hook_state *st,
				 const struct nflb_pkt *pkt, struct nflb_vs *vs)
{
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
	m = nflb_pick(ln, vs, &pkt->flow);
	if (unlikely(!m)) {
		nflb_drop_count(ln, vs, NFLB_DROP_NO_MEMBER);
		if (state == NFLB_TCP_SYN_SENT &&
		    (READ_ONCE(vs->flags) & NFLB_VS_F_RST_NO_MEMBER))
			nflb_reset_refuse(ln->net, &pkt->flow, pkt->seq + 1);
		return NF_DROP;
	}
	s = nflb_session_create(ln, &pkt->flow, vs, m, state, &reason);
	if (unlikely(!s)) {
		if (reason != -EEXIST) {
			nflb_drop_count(ln, vs, reason);
			return NF_DROP;
		}
		/* Lost a race with another CPU creating the same session. */
		s = nflb_session_find(ln, &pkt->flow, &dir);
		if (!s || dir != NFLB_DIR_ORIG)
			return NF_DROP;
	}
	if (state != NFLB_UDP)
		s->seq_next[NFLB_DIR_ORIG] = pkt->seq + pkt->seg_len;
	return nflb_pre_session(ln, skb, pkt, s, NFLB_DIR_ORIG, st->pf);
}

/* An ICMP error quoting a session's packet, arriving from outside. */
static unsigned int nflb_pre_icmp(struct sk_buff *skb,
				  const struct nflb_pkt *pkt,
				  struct nflb_session *s, enum nflb_dir dir,
				  struct nflb_net *ln, u8 pf)
{
	nflb_claim(skb);
	/* Towards the client: route with the real source first, as replies. */
	if (dir == NFLB_DIR_REPLY && unlikely(!nflb_route_reply(skb, pf)))
		return NF_ACCEPT;
	if (unlikely(!nflb_nat_icmp(skb, pkt, s, dir)))
		return NF_DROP;
	nflb_stats_add(ln->stats, NFLB_C_ICMP_XLATED, 1);
	return NF_ACCEPT;
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
		nflb_drop_count(ln, NULL, NFLB_DROP_MALFORMED);
		return NF_DROP;
	case NFLB_PKT_ICMP_ERR:
		s = nflb_session_find(ln, &pkt.flow, &dir);
		return s ? nflb_pre_icmp(skb, &pkt, s, dir, ln, st->pf) :
			   NF_ACCEPT;
	case NFLB_PKT_L4:
		break;
	}

	s = nflb_session_find(ln, &pkt.flow, &dir);
	if (s) {
		if (likely(!nflb_is_restart(s, dir, &pkt)))
			return nflb_pre_session(ln, skb, &pkt, s, dir, st->pf);
		nflb_session_expire(ln, s, NFLB_RST_NONE);
	}
	vs = nflb_vs_lookup(ln, pkt.flow.family, pkt.flow.proto, &pkt.flow.dst,
			    pkt.flow.dport);
	if (!vs)
		return NF_ACCEPT;
	return nflb_pre_new(ln, skb, st, &pkt, vs);
}

/*
 * POST_ROUTING only sees ICMP errors this box itself sends about a packet it
 * DNATed (e.g. "fragmentation needed" from ip_forward()): they never passed
 * PRE_ROUTING.  Everything else nflb owns was handled there.
 */
static unsigned int nflb_hook_post(void *priv, struct sk_buff *skb,
				   const struct nf_hook_state *st)
{
	struct nflb_net *ln = priv;
	struct nflb_session *s;
	struct nflb_pkt pkt;
	enum nflb_dir dir;
	u8 proto;

	proto = st->pf == NFPROTO_IPV4 ? ip_hdr(skb)->protocol :
					 ipv6_hdr(skb)->nexthdr;
	if (likely(proto != IPPROTO_ICMP && proto != IPPROTO_ICMPV6) ||
	    nflb_claimed(skb) || !atomic_read(&ln->tbl.count))
		return NF_ACCEPT;
	if (nflb_pkt_parse(skb, st->pf, &pkt) != NFLB_PKT_ICMP_ERR)
		return NF_ACCEPT;
	s = nflb_session_find(ln, &pkt.flow, &dir);
	if (!s || dir != NFLB_DIR_REPLY)
		return NF_ACCEPT;
	if (unlikely(!nflb_nat_icmp(skb, &pkt, s, dir)))
		return NF_DROP;
	nflb_stats_add(ln->stats, NFLB_C_ICMP_XLATED, 1);
	return NF_ACCEPT;
}

static const struct nf_hook_ops nflb_hook_tmpl[] = {
	{
		.hook = nflb_hook_pre,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NFLB_PRI_PRE,
	}, {
		.hook = nflb_hook_post,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = NFLB_PRI_POST,
	}, {
		.hook = nflb_hook_pre,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NFLB_PRI_PRE,
	}, {
		.hook = nflb_hook_post,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = NFLB_PRI_POST,
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
int nflb_datapath_start(struct nflb_net *ln)
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
void nflb_datapath_stop(struct nflb_net *ln)
{
	if (!ln->datapath_on)
		return;
	nf_unregister_net_hooks(ln->net, ln->hook_ops,
				ARRAY_SIZE(ln->hook_ops));
	nflb_defrag_disable(ln->net);
	ln->datapath_on = false;
}
