/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFLB_SYNC_H
#define _NFLB_SYNC_H

#include <linux/netfilter.h>
#include <linux/nflb.h>

struct nflb_net;
struct netlink_ext_ack;

/* What `lbctl sync set` gives; checked by ops.c before sync starts. */
struct nflb_sync_cfg {
	u8 node_id;
	u8 family;
	__be16 port;
	union nf_inet_addr local;
	unsigned int npeers;
	union nf_inet_addr peers[NFLB_SYNC_PEERS_MAX];
	u8 key[NFLB_SYNC_KEY_LEN];
	u32 rate;			/* records a second this node sends */
	u32 delay_ms;			/* a change waits for a datagram at most */
	/* owner redirect: 1 on, 0 off */
	u8 redirect;
};

/*
 * On unless asked otherwise, for active-active nodes behind ECMP; every
 * node that runs it must have the same virtual servers and reach the
 * members.  An active-standby pair turns it off: its standby would own
 * half the new flows (sync.rst, Owner redirect).
 */
#define NFLB_SYNC_REDIRECT_DEFAULT	1

/* NFLB_SYNC_A_RATE: its range, and its value when not given. */
#define NFLB_SYNC_RATE_MIN	1000
#define NFLB_SYNC_RATE_MAX	10000000
#define NFLB_SYNC_RATE_DEFAULT	100000

/*
 * NFLB_SYNC_A_DELAY, ms: its range and default.  A datagram costs both
 * nodes far more than a record, so a change waits this long for others to
 * fill its datagram; it is also the lag of an idle node's peers, and in
 * active-active, how long packets of a new flow that reach another node
 * are redirected to their owner (Documentation/sync.rst, Batching).
 */
#define NFLB_SYNC_DELAY_MIN	1
#define NFLB_SYNC_DELAY_MAX	1000
#define NFLB_SYNC_DELAY_DEFAULT	50

struct nflb_sync_peer_info {
	union nf_inet_addr addr;
	u8 node_id;
	u8 state;			/* enum nflb_sync_peer_state */
	u32 last_seen_ms;		/* 0 = never */
	u32 lag_ms;			/* oldest unacked datagram's age; 0: none */
	u64 tx_datagrams;
	u64 rx_datagrams;
	u64 rx_records;
	u32 owner_share;		/* per mille of the flows it owns */
};

/* A consistent copy of a namespace's sync state, for SYNC_GET. */
struct nflb_sync_info {
	u8 node_id;
	u8 family;
	__be16 port;
	union nf_inet_addr local;
	u32 rate;
	u32 delay_ms;
	bool ready;
	bool redirect;
	u32 owner_share;		/* this node's, per mille */
	unsigned int npeers;
	struct nflb_sync_peer_info peers[NFLB_SYNC_PEERS_MAX];
	u64 stats[NFLB_SYNC_STATS_A_MAX + 1];	/* by NFLB_SYNC_STATS_A_* */
};

/*
 * Peer transitions go to `lbctl monitor` through these hooks, which
 * netlink.c (above) registers: called under rcu_read_lock, in the sync
 * worker, so they must not sleep.
 */
struct nflb_sync_hooks {
	void (*peer)(struct net *net, u8 node_id, u8 family,
		     const struct nflb_sync_peer_info *p);
};

void nflb_sync_set_hooks(const struct nflb_sync_hooks *hooks);

int nflb_sync_start(struct nflb_net *ln, const struct nflb_sync_cfg *cfg,
		    struct netlink_ext_ack *extack);
void nflb_sync_stop(struct nflb_net *ln);
bool nflb_sync_info(struct nflb_net *ln, struct nflb_sync_info *info);
bool nflb_sync_key(struct nflb_net *ln, u8 key[NFLB_SYNC_KEY_LEN]);

#endif /* _NFLB_SYNC_H */
