// SPDX-License-Identifier: GPL-2.0
/*
 * Owner redirect (Documentation/sync.rst, "Owner redirect"): the owner of
 * a flow among the live nodes (rendezvous hashing on the client's address
 * and port), and the UDP encapsulation, with a MAC, that takes a packet
 * with no session to it over the sync socket: any inner family (IPv4,
 * IPv6) over the sync addresses' family.
 *
 * Locking: struct nflb_redir is constant while ln->redir points to it but
 * for @owners, an immutable table replaced whole (rcu_replace_pointer) by
 * the sync tick, the only writer (sync->lock), and read under RCU by the
 * datapath, and for the per-cpu counters.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/slab.h>
#include <linux/udp.h>
#include <crypto/algapi.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/ip_tunnels.h>
#include <net/ipv6.h>
#include <net/route.h>
#include <net/udp_tunnel.h>
#include "main.h"
#include "redirect.h"

struct nflb_redir *nflb_redir_alloc(struct sock *sk, u8 family,
				    const union nf_inet_addr *local,
				    __be16 port, u8 node_id,
				    const u8 key[NFLB_SYNC_KEY_LEN])
{
	static const char label[] = "nflb owner";
	u8 okey[BLAKE2S_HASH_SIZE];
	struct nflb_redir *rd;

	rd = kzalloc(sizeof(*rd), GFP_KERNEL_ACCOUNT);
	if (!rd)
		return NULL;
	rd->count = alloc_percpu_gfp(struct nflb_redir_pcpu, GFP_KERNEL_ACCOUNT);
	if (!rd->count) {
		kfree(rd);
		return NULL;
	}
	rd->sk = sk;
	rd->family = family;
	rd->local = *local;
	rd->port = port;
	rd->node_id = node_id;
	/* Every node derives the same owner key; outsiders cannot. */
	blake2s(okey, label, key, sizeof(okey), sizeof(label) - 1,
		NFLB_SYNC_KEY_LEN);
	BUILD_BUG_ON(sizeof(rd->owner_key) > sizeof(okey));
	rd->owner_key.key[0] = get_unaligned_le64(okey);
	rd->owner_key.key[1] = get_unaligned_le64(okey + 8);
	memzero_explicit(okey, sizeof(okey));
	return rd;
}

/* Peer @idx of the sync configuration, before @rd is published. */
void nflb_redir_set_peer(struct nflb_redir *rd, unsigned int idx,
			 const union nf_inet_addr *addr, const u8 *tx_key,
			 const u8 *rx_key)
{
	rd->peer[idx] = *addr;
	memcpy(rd->tx_key[idx], tx_key, BLAKE2S_KEY_SIZE);
	memcpy(rd->rx_key[idx], rx_key, BLAKE2S_KEY_SIZE);
	rd->npeers = max(rd->npeers, idx + 1);
}

/* After a grace period since ln->redir stopped pointing to @rd. */
void nflb_redir_free(struct nflb_redir *rd)
{
	if (!rd)
		return;
	kfree(rcu_dereference_protected(rd->owners, true));
	free_percpu(rd->count);
	kfree_sensitive(rd);
}

/*
 * The live owners are now @n nodes, ids @id, peers @peer: published if
 * they changed.  Sync tick only (sync->lock); may sleep.
 */
int nflb_redir_publish(struct nflb_redir *rd, const u8 *id, const s8 *peer,
		       unsigned int n)
{
	struct nflb_owners *o, *old;

	old = rcu_dereference_protected(rd->owners, true);
	if (old && old->n == n && !memcmp(old->id, id, n) &&
	    !memcmp(old->peer, peer, n))
		return 0;
	o = kzalloc(sizeof(*o), GFP_KERNEL_ACCOUNT);
	if (!o)
		return -ENOMEM;
	o->n = n;
	memcpy(o->id, id, n);
	memcpy(o->peer, peer, n);
	old = rcu_replace_pointer(rd->owners, o, true);
	if (old)
		kfree_rcu(old, rcu);
	return 0;
}

/*
 * Share of the flows that @peer (NFLB_REDIR_SELF: this node) owns, per
 * mille: rendezvous hashing gives every live owner an equal share.
 */
u32 nflb_redir_share(struct nflb_redir *rd, int peer)
{
	const struct nflb_owners *o;
	unsigned int i;
	u32 share = 0;

	rcu_read_lock();
	o = rcu_dereference(rd->owners);
	for (i = 0; o && i < o->n; i++)
		if (o->peer[i] == peer)
			share = 1000 / o->n;
	rcu_read_unlock();
	return share;
}

void nflb_redir_counters(struct nflb_redir *rd, u64 out[NFLB_R_MAX])
{
	const struct nflb_redir_pcpu *p;
	int cpu, i;

	memset(out, 0, NFLB_R_MAX * sizeof(*out));
	for_each_possible_cpu(cpu) {
		p = per_cpu_ptr(rd->count, cpu);
		for (i = 0; i < NFLB_R_MAX; i++)
			out[i] += READ_ONCE(p->c[i]);
	}
}

/*
 * Node @id's keyed hash of a flow of client @client (@family), @rest the
 * port, protocol and id.  An IPv6 client's address goes whole, as two
 * big-endian halves: every node reads the same bytes the same way.
 */
static u64 nflb_redir_hash(const struct nflb_redir *rd, u8 family,
			   const union nf_inet_addr *client, u32 rest)
{
	if (family == AF_INET)
		return siphash_2u32((__force u32)client->ip, rest,
				    &rd->owner_key);
	return siphash_3u64(get_unaligned_be64(&client->in6.s6_addr[0]),
			    get_unaligned_be64(&client->in6.s6_addr[8]), rest,
			    &rd->owner_key);
}

/*
 * The owner of the flow of client @client:@port (@family): the peer's
 * index, NFLB_REDIR_SELF, or NFLB_REDIR_NONE when no node is a live
 * owner.  The live node whose keyed hash of (client, port, protocol, node
 * id) is the highest: the same answer on every node with the same live
 * set, and a change of the set moves only the flows of the nodes that
 * left or the share of the one that came.  RCU (softirq).
 */
int nflb_redir_owner(struct nflb_redir *rd, u8 family,
		     const union nf_inet_addr *client, __be16 port, u8 proto)
{
	const struct nflb_owners *o = rcu_dereference(rd->owners);
	int owner = NFLB_REDIR_NONE;
	u64 h, best = 0;
	unsigned int i;

	for (i = 0; o && i < o->n; i++) {
		h = nflb_redir_hash(rd, family, client,
				    (u32)ntohs(port) << 16 | proto << 8 |
				    o->id[i]);
		if (owner == NFLB_REDIR_NONE || h > best) {
			best = h;
			owner = o->peer[i];
		}
	}
	return owner;
}

/* Keyed BLAKE2s over @hdr and @len bytes of @skb from @off, in pieces. */
static void nflb_redir_mac(const u8 *key, const struct nflb_redir_hdr *hdr,
			   const struct sk_buff *skb, unsigned int off,
			   unsigned int len, u8 mac[NFLB_REDIR_MAC_LEN])
{
	struct blake2s_state st;
	u8 buf[256];
	unsigned int n;
	const void *p;

	blake2s_init_key(&st, NFLB_REDIR_MAC_LEN, key, BLAKE2S_KEY_SIZE);
	blake2s_update(&st, (const u8 *)hdr, sizeof(*hdr));
	while (len) {
		n = min_t(unsigned int, len, sizeof(buf));
		p = skb_header_pointer(skb, off, n, buf);
		if (WARN_ON_ONCE(!p))
			break;
		blake2s_update(&st, p, n);
		off += n;
		len -= n;
	}
	blake2s_final(&st, mac);
}

/* Pushes our header and the MAC of the direction to peer @peer. */
static void nflb_redir_push(struct nflb_redir *rd, struct sk_buff *skb,
			    int peer)
{
	struct nflb_redir_hdr hdr = {
		.magic = htonl(NFLB_REDIR_MAGIC),
		.version = NFLB_REDIR_VERSION,
		.node = rd->node_id,
	};
	u8 mac[NFLB_REDIR_MAC_LEN];
	u8 *p;

	nflb_redir_mac(rd->tx_key[peer], &hdr, skb, 0, skb->len, mac);
	p = __skb_push(skb, NFLB_REDIR_HLEN);
	memcpy(p, &hdr, sizeof(hdr));
	memcpy(p + sizeof(hdr), mac, sizeof(mac));
}

/* Room for the outer headers and the device's, before any is pushed. */
static int nflb_redir_room(struct sk_buff *skb, const struct dst_entry *dst,
			   unsigned int iphlen)
{
	return skb_cow_head(skb, LL_RESERVED_SPACE(dst->dev) + iphlen +
			    sizeof(struct udphdr) + NFLB_REDIR_HLEN);
}

/* Sent over IPv4 without DF: fragmented by this node if it must be. */
static int nflb_redir_xmit4(struct nflb_redir *rd, struct sk_buff *skb,
			    int peer)
{
	struct flowi4 fl4 = {
		.daddr = rd->peer[peer].ip,
		.saddr = rd->local.ip,
		.flowi4_proto = IPPROTO_UDP,
		.fl4_dport = rd->port,
		.fl4_sport = rd->port,
	};
	struct rtable *rt;

	rt = ip_route_output_key(sock_net(rd->sk), &fl4);
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	if (nflb_redir_room(skb, &rt->dst, sizeof(struct iphdr))) {
		ip_rt_put(rt);
		return -ENOMEM;
	}
	nflb_redir_push(rd, skb, peer);
	if (skb->len + sizeof(struct iphdr) + sizeof(struct udphdr) >
	    dst_mtu(&rt->dst))
		nflb_redir_count(rd, NFLB_R_TX_FRAG);
	/* The MAC covers it all: no UDP checksum, as the skb now says. */
	skb->ip_summed = CHECKSUM_NONE;
	/* Not a tunnel device's packet: iptunnel_xmit() counts on skb->dev. */
	skb->dev = NULL;
	nflb_redir_count(rd, NFLB_R_TX);
	udp_tunnel_xmit_skb(rt, rd->sk, skb, fl4.saddr, fl4.daddr, 0,
			    ip4_dst_hoplimit(&rt->dst), 0, rd->port, rd->port,
			    false, true);
	return 0;
}

/*
 * Sent over IPv6, which routers never fragment: this node fragments the
 * outer packet itself when it is too big for the route (ignore_df, as
 * IPv4's missing DF), and the owner reassembles it (sync.rst, MTU).
 */
static int nflb_redir_xmit6(struct nflb_redir *rd, struct sk_buff *skb,
			    int peer)
{
	struct flowi6 fl6 = {
		.daddr = rd->peer[peer].in6,
		.saddr = rd->local.in6,
		.flowi6_proto = IPPROTO_UDP,
		.fl6_dport = rd->port,
		.fl6_sport = rd->port,
	};
	struct dst_entry *dst;

	dst = ip6_dst_lookup_flow(sock_net(rd->sk), rd->sk, &fl6, NULL);
	if (IS_ERR(dst))
		return PTR_ERR(dst);
	if (nflb_redir_room(skb, dst, sizeof(struct ipv6hdr))) {
		dst_release(dst);
		return -ENOMEM;
	}
	nflb_redir_push(rd, skb, peer);
	if (skb->len + sizeof(struct ipv6hdr) + sizeof(struct udphdr) >
	    dst_mtu(dst))
		nflb_redir_count(rd, NFLB_R_TX_FRAG);
	/*
	 * The inner packet's conntrack and the like are not the outer's:
	 * udp_tunnel6_xmit_skb() keeps them (IPv4's iptunnel_xmit() does not).
	 */
	skb_scrub_packet(skb, false);
	skb->ignore_df = 1;
	/* The MAC covers it all: a zero UDP checksum, as the sync socket's. */
	skb->ip_summed = CHECKSUM_NONE;
	skb->dev = NULL;
	nflb_redir_count(rd, NFLB_R_TX);
	udp_tunnel6_xmit_skb(dst, rd->sk, skb, NULL, &fl6.saddr, &fl6.daddr,
			     0, ip6_dst_hoplimit(dst), 0, rd->port, rd->port,
			     true);
	return 0;
}

/* Encapsulates one non-GSO packet @skb (at its IP header) to peer @peer. */
static void nflb_redir_send_one(struct nflb_redir *rd, struct sk_buff *skb,
				int peer)
{
	/* The outer length fields' limit: a reassembled 64 KB packet won't fit. */
	unsigned int room = rd->family == AF_INET ?
			    IP_MAX_MTU - sizeof(struct iphdr) : IPV6_MAXPLEN;
	int err = -EINVAL;

	if (skb->len + sizeof(struct udphdr) + NFLB_REDIR_HLEN > room)
		goto err;
	if (skb->ip_summed != CHECKSUM_PARTIAL || !skb_checksum_help(skb))
		err = rd->family == AF_INET ?
		      nflb_redir_xmit4(rd, skb, peer) :
		      nflb_redir_xmit6(rd, skb, peer);
	if (!err)
		return;
err:
	nflb_redir_count(rd, NFLB_R_TX_ERRORS);
	kfree_skb(skb);
}

/*
 * Sends @skb, an IPv4 or IPv6 packet as it arrived in PRE_ROUTING, to
 * peer @peer; always consumes it.  A GRO packet is segmented first: each
 * segment is a packet the owner could have received itself.  Softirq.
 */
void nflb_redir_send(struct nflb_redir *rd, struct sk_buff *skb, int peer)
{
	struct sk_buff *segs, *next;

	skb_dst_drop(skb);
	/*
	 * A receive timestamp is no departure time: fq would hold the packet
	 * as one due decades from now (forwarding clears it too).
	 */
	skb_clear_tstamp(skb);
	if (!skb_is_gso(skb)) {
		nflb_redir_send_one(rd, skb, peer);
		return;
	}
	segs = skb_gso_segment(skb, 0);
	if (IS_ERR_OR_NULL(segs)) {
		nflb_redir_count(rd, NFLB_R_TX_ERRORS);
		kfree_skb(skb);
		return;
	}
	consume_skb(skb);
	skb_list_walk_safe(segs, skb, next) {
		skb_mark_not_on_list(skb);
		nflb_redir_send_one(rd, skb, peer);
	}
}

/* Whether the UDP payload of @skb (at its UDP header) is a redirect. */
bool nflb_redir_is_encap(struct sk_buff *skb)
{
	__be32 magic, *p;

	p = skb_header_pointer(skb, sizeof(struct udphdr), sizeof(magic),
			       &magic);
	return p && *p == htonl(NFLB_REDIR_MAGIC);
}

/* The configured peer the outer packet @skb came from, or -1. */
static bool nflb_redir_addr_eq(u8 family, const union nf_inet_addr *a,
			       const union nf_inet_addr *b)
{
	return family == AF_INET ? a->ip == b->ip :
				   ipv6_addr_equal(&a->in6, &b->in6);
}

static int nflb_redir_peer_find(const struct nflb_redir *rd,
				const struct sk_buff *skb)
{
	union nf_inet_addr src = {};
	unsigned int i;

	if (rd->family == AF_INET)
		src.ip = ip_hdr(skb)->saddr;
	else
		src.in6 = ipv6_hdr(skb)->saddr;
	for (i = 0; i < rd->npeers; i++)
		if (nflb_redir_addr_eq(rd->family, &rd->peer[i], &src))
			return i;
	return -1;
}

/* The inner packet at @skb->data: a whole, unfragmented IPv4 packet. */
static bool nflb_redir_inner4_ok(struct sk_buff *skb)
{
	const struct iphdr *iph;
	unsigned int len;

	if (!pskb_may_pull(skb, sizeof(*iph)))
		return false;
	iph = (const struct iphdr *)skb->data;
	if (iph->version != 4 || iph->ihl < 5 ||
	    !pskb_may_pull(skb, iph->ihl * 4))
		return false;
	iph = (const struct iphdr *)skb->data;
	len = ntohs(iph->tot_len);
	if (ip_fast_csum(iph, iph->ihl) || len > skb->len ||
	    len < iph->ihl * 4 || ip_is_fragment(iph))
		return false;
	return !pskb_trim_rcsum(skb, len);
}

/*
 * The inner packet at @skb->data: a whole IPv6 packet, its extension
 * headers within it, and no fragment (offset or more-fragments set):
 * nothing here reassembles, the sender had the whole packet after its own
 * defragmentation.  No jumbogram either (payload length 0).
 */
static bool nflb_redir_inner6_ok(struct sk_buff *skb)
{
	const struct ipv6hdr *ip6h;
	unsigned int len;
	__be16 frag_off;
	u8 nexthdr;

	if (!pskb_may_pull(skb, sizeof(*ip6h)))
		return false;
	ip6h = (const struct ipv6hdr *)skb->data;
	len = sizeof(*ip6h) + ntohs(ip6h->payload_len);
	if (ip6h->version != 6 || !ip6h->payload_len || len > skb->len)
		return false;
	nexthdr = ip6h->nexthdr;
	if (pskb_trim_rcsum(skb, len))
		return false;
	return ipv6_skip_exthdr(skb, sizeof(*ip6h), &nexthdr, &frag_off) >= 0 &&
	       !frag_off;
}

/*
 * The inner packet's family, from its version nibble (the header says
 * nothing of it: sync.rst, Encapsulation), once past the outer headers
 * (@off): NFPROTO_IPV4, NFPROTO_IPV6, or NFPROTO_UNSPEC for neither.
 */
static u8 nflb_redir_inner_pf(const struct sk_buff *skb, unsigned int off)
{
	u8 buf;
	const u8 *v = skb_header_pointer(skb, off, sizeof(buf), &buf);

	if (!v)
		return NFPROTO_UNSPEC;
	switch (*v >> 4) {
	case 4:
		return NFPROTO_IPV4;
	case 6:
		return NFPROTO_IPV6;
	default:
		return NFPROTO_UNSPEC;
	}
}

/* @skb is the inner packet now: its headers and control block set. */
static void nflb_redir_inner_set(struct sk_buff *skb, u8 pf)
{
	skb_reset_network_header(skb);
	if (pf == NFPROTO_IPV4) {
		skb_set_transport_header(skb, ip_hdrlen(skb));
		memset(IPCB(skb), 0, sizeof(*IPCB(skb)));
		IPCB(skb)->iif = skb->dev->ifindex;
	} else {
		skb_set_transport_header(skb, sizeof(struct ipv6hdr));
		memset(IP6CB(skb), 0, sizeof(*IP6CB(skb)));
		IP6CB(skb)->iif = skb->dev->ifindex;
		IP6CB(skb)->nhoff = offsetof(struct ipv6hdr, nexthdr);
	}
	/* The outer packet's mark is the sync link's, not the flow's. */
	skb->mark = 0;
	skb->pkt_type = PACKET_HOST;
}

/*
 * A redirect received on the sync socket (@skb at its UDP header,
 * softirq): the source must be a peer and the MAC must verify under the
 * key of its direction; then the outer headers go (route, conntrack and
 * mark with them) and @skb is the inner IPv4 or IPv6 packet, its network
 * header set, as if it had just arrived on the device the outer one came
 * in by.  Returns its family (NFPROTO_IPV4, NFPROTO_IPV6), or
 * NFPROTO_UNSPEC when it was refused (counted; the caller frees it).
 */
u8 nflb_redir_decap(struct nflb_redir *rd, struct sk_buff *skb)
{
	const unsigned int off = sizeof(struct udphdr);
	u8 mac[NFLB_REDIR_MAC_LEN], *want, wbuf[NFLB_REDIR_MAC_LEN];
	struct nflb_redir_hdr hbuf, *h;
	int peer;
	u8 pf;

	peer = nflb_redir_peer_find(rd, skb);
	if (peer < 0) {
		nflb_redir_count(rd, NFLB_R_DROP_NOT_PEER);
		return NFPROTO_UNSPEC;
	}
	h = skb_header_pointer(skb, off, sizeof(hbuf), &hbuf);
	want = skb_header_pointer(skb, off + sizeof(hbuf), sizeof(wbuf), wbuf);
	if (!h || !want || h->version != NFLB_REDIR_VERSION || h->flags ||
	    h->pad) {
		nflb_redir_count(rd, NFLB_R_DROP_MALFORMED);
		return NFPROTO_UNSPEC;
	}
	nflb_redir_mac(rd->rx_key[peer], h, skb, off + NFLB_REDIR_HLEN,
		       skb->len - off - NFLB_REDIR_HLEN, mac);
	if (crypto_memneq(mac, want, sizeof(mac))) {
		nflb_redir_count(rd, NFLB_R_DROP_BAD_MAC);
		return NFPROTO_UNSPEC;
	}
	pf = nflb_redir_inner_pf(skb, off + NFLB_REDIR_HLEN);
	if (pf == NFPROTO_UNSPEC ||
	    iptunnel_pull_header(skb, off + NFLB_REDIR_HLEN,
				 pf == NFPROTO_IPV4 ? htons(ETH_P_IP) :
						      htons(ETH_P_IPV6),
				 false) ||
	    !(pf == NFPROTO_IPV4 ? nflb_redir_inner4_ok(skb) :
				   nflb_redir_inner6_ok(skb))) {
		nflb_redir_count(rd, NFLB_R_DROP_MALFORMED);
		return NFPROTO_UNSPEC;
	}
	/*
	 * What the outer UDP packet said of checksums is not the inner's (a
	 * CHECKSUM_PARTIAL's offsets point into the headers just pulled): the
	 * inner ones are verified in software where nflb needs it.
	 * CHECKSUM_COMPLETE stays: skb_pull_rcsum() made it the inner sum.
	 */
	if (skb->ip_summed != CHECKSUM_COMPLETE)
		skb->ip_summed = CHECKSUM_NONE;
	nflb_redir_inner_set(skb, pf);
	return pf;
}
