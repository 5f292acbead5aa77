/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFLB_PERSIST_H
#define _NFLB_PERSIST_H

#include <linux/rhashtable.h>
#include <linux/workqueue.h>
#include "session.h"

struct nflb_net;
struct nflb_vs;
struct nflb_member;

/* Source affinity: (virtual server, client prefix) -> member. */
struct nflb_persist_key {
	const struct nflb_vs *vs;	/* identity only, never dereferenced */
	union nf_inet_addr prefix;
};

/*
 * An affinity lives while sessions it placed live (@sessions) and
 * persist-timeout after the last of them ended (@expires, written before
 * @sessions drops).  Held by the table (until unlinked) and by each of
 * those sessions (@ref); freed after a grace period once both let go.
 */
struct nflb_persist {
	struct rhash_head node;
	struct nflb_persist_key key;
	struct nflb_member __rcu *member; /* holds a reference */
	unsigned long expires;		/* jiffies, meaningful at 0 sessions */
	unsigned long flags;		/* NFLB_S_DYING: unlinked */
	atomic_t sessions;		/* live sessions it placed */
	refcount_t ref;
	u32 timeout;			/* seconds, the VS's at creation */
	struct rcu_head rcu;
};

/* Per-netns state of the persistence table. */
struct nflb_persist_table {
	struct rhashtable ht;
	atomic_t count;			/* entries linked, <= max_sessions */
	struct rhashtable_iter gc_iter;	/* the expiry pass, gc_work only */
	struct delayed_work gc_work;
};

int nflb_persist_init(struct nflb_net *ln);
void nflb_persist_destroy(struct nflb_net *ln);
struct nflb_persist *nflb_persist_find(struct nflb_net *ln, struct nflb_vs *vs,
				       const struct nflb_flow *f);
struct nflb_member *nflb_persist_member(const struct nflb_persist *p,
					struct nflb_vs *vs);
struct nflb_persist *nflb_persist_bind(struct nflb_net *ln, struct nflb_vs *vs,
				       const struct nflb_flow *f,
				       struct nflb_persist *p,
				       struct nflb_member *m);
void nflb_persist_release(struct nflb_persist *p);
void nflb_persist_put(struct nflb_persist *p);
void nflb_persist_flush_vs(struct nflb_net *ln, const struct nflb_vs *vs);

#endif /* _NFLB_PERSIST_H */
