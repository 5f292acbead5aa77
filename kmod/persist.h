/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFLB_PERSIST_H
#define _NFLB_PERSIST_H

#include <linux/rhashtable.h>
#include "session.h"

struct nflb_net;
struct nflb_vs;
struct nflb_member;

/* Source affinity: (virtual server, client prefix) -> member, with a timer. */
struct nflb_persist_key {
	const struct nflb_vs *vs;	/* identity only, never dereferenced */
	union nf_inet_addr prefix;
};

struct nflb_persist {
	struct rhash_head node;
	struct nflb_persist_key key;
	struct nflb_member __rcu *member; /* holds a reference */
	unsigned long expires;
	unsigned long flags;		/* NFLB_S_DYING */
	struct rcu_head rcu;
};

int nflb_persist_init(struct nflb_net *ln);
void nflb_persist_destroy(struct nflb_net *ln);
struct nflb_member *nflb_persist_get(struct nflb_net *ln, struct nflb_vs *vs,
				     const struct nflb_flow *f);
void nflb_persist_set(struct nflb_net *ln, struct nflb_vs *vs,
		      const struct nflb_flow *f, struct nflb_member *m);
void nflb_persist_gc(struct nflb_net *ln, const struct nflb_vs *only);

#endif /* _NFLB_PERSIST_H */
