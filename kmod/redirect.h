/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFLB_REDIRECT_H
#define _NFLB_REDIRECT_H

#include <linux/netfilter.h>
#include <linux/siphash.h>
#include <linux/skbuff.h>
#include <linux/nflb.h>
#include <crypto/blake2s.h>

struct nflb_net;
struct sock;

/*
 * Owner redirect (Documentation/sync.rst, "Owner redirect"): which live
 * node owns a flow, and the encapsulation that takes a packet there.  In
 * the datapath layer: hooks.c asks for the owner and sends; sync (above)
 * creates it, publishes the live owners and hands it received redirects.
 */

/*
 * The header after the UDP header, then the MAC, then the inner packet,
 * IPv4 or IPv6: its version nibble tells which (the header is the same
 * for both; a node that knows IPv4 only drops an IPv6 inner packet as
 * malformed).  Version 2: the MAC's direction keys are redirect's own
 * (label "nflb redirect"); version 1 used sync's.
 */
struct nflb_redir_hdr {
	__be32 magic;			/* NFLB_REDIR_MAGIC */
	u8 version;			/* NFLB_REDIR_VERSION */
	u8 flags;			/* 0 */
	u8 node;			/* sender's node id */
	u8 pad;
} __packed;

#define NFLB_REDIR_MAGIC	0x4e464c52	/* "NFLR" */
#define NFLB_REDIR_VERSION	2
#define NFLB_REDIR_MAC_LEN	16
#define NFLB_REDIR_HLEN		(sizeof(struct nflb_redir_hdr) + NFLB_REDIR_MAC_LEN)

/* nflb_redir_owner(): the flow is this node's, or nobody's (no live set). */
#define NFLB_REDIR_SELF		(-1)
#define NFLB_REDIR_NONE		(-2)

enum nflb_redir_counter {
	NFLB_R_TX,
	NFLB_R_RX,
	NFLB_R_TX_ERRORS,
	NFLB_R_TX_FRAG,
	NFLB_R_DROP_NOT_PEER,
	NFLB_R_DROP_BAD_MAC,
	NFLB_R_DROP_MALFORMED,
	NFLB_R_DROP_NOT_OURS,
	NFLB_R_DROP_NOT_OWNER,
	NFLB_R_MAX
};

struct nflb_redir_pcpu {
	u64 c[NFLB_R_MAX];
};

/*
 * The live owners, immutable once published: node ids, and for each the
 * index of its peer in the sync configuration (NFLB_REDIR_SELF: this
 * node).  Replaced whole by the sync tick; freed after a grace period.
 */
struct nflb_owners {
	struct rcu_head rcu;
	unsigned int n;
	u8 id[NFLB_SYNC_PEERS_MAX + 1];
	s8 peer[NFLB_SYNC_PEERS_MAX + 1];
};

/*
 * A namespace's redirect state while sync runs with redirect on:
 * ln->redir, published and cleared with RCU under cfg_mutex by sync.c,
 * freed after a grace period once the socket is gone.  Everything is
 * constant while published but @owners (RCU, written by the sync tick
 * only) and the per-cpu counters.
 */
struct nflb_redir {
	struct sock *sk;		/* the sync socket: sends, receives */
	u8 family;			/* the outer one: the sync addresses' */
	union nf_inet_addr local;
	__be16 port;
	u8 node_id;
	unsigned int npeers;
	union nf_inet_addr peer[NFLB_SYNC_PEERS_MAX];
	/* MAC keys of the directions to and from each peer (redirect's own). */
	u8 tx_key[NFLB_SYNC_PEERS_MAX][BLAKE2S_KEY_SIZE];
	u8 rx_key[NFLB_SYNC_PEERS_MAX][BLAKE2S_KEY_SIZE];
	siphash_key_t owner_key;	/* from the shared key: same everywhere */
	struct nflb_owners __rcu *owners;
	struct nflb_redir_pcpu __percpu *count;
};

struct nflb_redir *nflb_redir_alloc(struct sock *sk, u8 family,
				    const union nf_inet_addr *local,
				    __be16 port, u8 node_id,
				    const u8 key[NFLB_SYNC_KEY_LEN]);
void nflb_redir_set_peer(struct nflb_redir *rd, unsigned int idx,
			 const union nf_inet_addr *addr, const u8 *tx_key,
			 const u8 *rx_key);
void nflb_redir_free(struct nflb_redir *rd);
int nflb_redir_publish(struct nflb_redir *rd, const u8 *id, const s8 *peer,
		       unsigned int n);
u32 nflb_redir_share(struct nflb_redir *rd, int peer);
void nflb_redir_counters(struct nflb_redir *rd, u64 out[NFLB_R_MAX]);

int nflb_redir_owner(struct nflb_redir *rd, u8 family,
		     const union nf_inet_addr *client, __be16 port, u8 proto);
void nflb_redir_send(struct nflb_redir *rd, struct sk_buff *skb, int peer);

bool nflb_redir_is_encap(struct sk_buff *skb);
u8 nflb_redir_decap(struct nflb_redir *rd, struct sk_buff *skb);

static inline void nflb_redir_count(struct nflb_redir *rd,
				    enum nflb_redir_counter c)
{
	this_cpu_inc(rd->count->c[c]);
}

#endif /* _NFLB_REDIRECT_H */
