/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFLB_MAIN_H
#define _NFLB_MAIN_H

#include <linux/mutex.h>
#include <linux/list.h>
#include <linux/netfilter.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <linux/nflb.h>
#include <linux/ratelimit.h>
#include <linux/rhashtable.h>
#include <linux/workqueue.h>
#include "persist.h"
#include "session.h"
#include "stats.h"

struct nflb_sync;
struct nflb_redir;

#define NFLB_VERSION		"0.1.0"
#define NFLB_VS_HASH_BITS	8
/* Members by address and port: 256 a bucket at the most members allowed. */
#define NFLB_MEMBER_EP_BITS	10
#define NFLB_RST_NO_MEMBER_RATE	1000	/* RSTs a second, per namespace */

/*
 * All of nflb's state in one network namespace.
 *
 * Configuration (vs_list, pool_list, the counts, vs_hash membership) is
 * changed only under cfg_mutex.  The datapath reads vs_hash under RCU and
 * the global settings with READ_ONCE; see Documentation/design.rst.
 */
struct nflb_net {
	struct net *net;
	struct mutex cfg_mutex;		/* all configuration of this netns */
	struct list_head vs_list;
	struct list_head pool_list;
	unsigned int vs_count;		/* READ_ONCE on the fast path */
	unsigned int pool_count;
	unsigned int member_count;
	/* Moves whenever an object is added or removed (dump consistency). */
	u32 cfg_gen;
	struct hlist_head vs_hash[1 << NFLB_VS_HASH_BITS];
	/*
	 * Every member by address and port (member->ep_node), for telling a
	 * member's packet without a session (owner redirect): changed under
	 * cfg_mutex, read by the datapath under RCU.
	 */
	struct hlist_head member_eps[1 << NFLB_MEMBER_EP_BITS];
	/* by name, for the control plane only (cfg_mutex) */
	struct hlist_head vs_names[1 << NFLB_VS_HASH_BITS];
	struct hlist_head pool_names[1 << NFLB_VS_HASH_BITS];
	bool datapath_on;		/* hooks and defrag registered */

	u32 timeouts[NFLB_STATE_MAX + 1];	/* seconds */
	/* Limits (config.c); written under cfg_mutex, read with READ_ONCE. */
	u32 max_sessions;
	u32 max_members;
	u32 max_vs;
	u32 max_pools;
	u32 max_mh_size;
	bool expire_nodest;		/* member delete ends its sessions */

	struct nflb_table tbl;
	/* Session sync: NULL while off; see session.h and sync.c. */
	struct nflb_syncq __rcu *syncq;
	struct nflb_sync *sync;		/* cfg_mutex */
	/* Owner redirect: set and cleared with RCU by sync, under cfg_mutex. */
	struct nflb_redir __rcu *redir;
	struct nflb_persist_table persist;	/* source affinity */
	/* RSTs for SYNs no member can take (rst-no-member), per second */
	struct ratelimit_state rst_ratelimit;
	/*
	 * Passive detection's ejection worker (eject.c): kicked from the
	 * datapath (mod_delayed_work, any context), runs under cfg_mutex.
	 */
	struct delayed_work passive_work;
	struct nflb_stats __percpu *stats;
	struct nflb_stats_block *stats_blk;
	u64 retired[NFLB_C_BYTES_OUT + 1];	/* deleted VSes' packets, cfg_mutex */
	/*
	 * Slow start (health.c): members whose weight ramps up, and the
	 * worker that raises it every second; health_stop (set at netns
	 * exit) keeps it from being queued again.  All under cfg_mutex.
	 */
	struct list_head health_ramp;
	struct delayed_work health_work;
	bool health_stop;
	struct nf_hook_ops hook_ops[4];
};

extern unsigned int nflb_net_id;

/* The delay of a delayed work due at jiffies @when: 0 once it is past. */
static inline unsigned long nflb_jiffies_until(unsigned long when)
{
	return time_after(when, jiffies) ? when - jiffies : 0;
}

static inline struct nflb_net *nflb_net(const struct net *net)
{
	return net_generic(net, nflb_net_id);
}

#endif /* _NFLB_MAIN_H */
