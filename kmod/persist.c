// SPDX-License-Identifier: GPL-2.0
/*
 * Persistence (source affinity): while an affinity lives, every new
 * connection from the same client prefix to a virtual server goes to the
 * same member.  An affinity lives persist-timeout seconds after the last
 * new connection it placed; one whose member is no longer available is
 * replaced by the scheduler's next choice.
 *
 * Entries are in a per-netns rhashtable: lock-free lookups in the datapath,
 * inserts under rhashtable's bucket locks, removal once (NFLB_S_DYING) and
 * free after a grace period, like sessions.  The member pointer is swapped
 * with xchg(); the old member's reference is dropped with nflb_member_put(),
 * whose free waits for a grace period, so readers stay safe.
 */
#include <linux/slab.h>
#include <linux/inetdevice.h>
#include <net/ipv6.h>
#include "main.h"
#include "persist.h"
#include "sched.h"
#include "service.h"

static const struct rhashtable_params nflb_persist_params = {
	.head_offset = offsetof(struct nflb_persist, node),
	.key_offset = offsetof(struct nflb_persist, key),
	.key_len = sizeof(struct nflb_persist_key),
	.automatic_shrinking = true,
};

static void nflb_persist_key(struct nflb_persist_key *k,
			     const struct nflb_vs *vs,
			     const struct nflb_flow *f)
{
	memset(k, 0, sizeof(*k));
	k->vs = vs;
	if (f->family == AF_INET)
		k->prefix.ip = f->src.ip &
			       inet_make_mask(READ_ONCE(vs->persist_mask4));
	else
		ipv6_addr_prefix(&k->prefix.in6, &f->src.in6,
				 READ_ONCE(vs->persist_mask6));
}

static unsigned long nflb_persist_deadline(const struct nflb_vs *vs)
{
	return jiffies + READ_ONCE(vs->persist_timeout) * HZ;
}

struct nflb_member *nflb_persist_get(struct nflb_net *ln, struct nflb_vs *vs,
				     const struct nflb_flow *f)
{
	struct nflb_persist_key k;
	struct nflb_persist *p;
	struct nflb_member *m;

	nflb_persist_key(&k, vs, f);
	p = rhashtable_lookup(&ln->persist, &k, nflb_persist_params);
	if (!p || test_bit(NFLB_S_DYING, &p->flags) ||
	    time_after(jiffies, READ_ONCE(p->expires)))
		return NULL;
	m = rcu_dereference(p->member);
	/* A member deleted, or no longer in the virtual server's pool, lets
	 * the client move on like one that is drained or down.
	 */
	if (READ_ONCE(m->pool) != rcu_access_pointer(vs->pool))
		return NULL;
	return nflb_member_available(m, vs->family) ? m : NULL;
}

static void nflb_persist_free_rcu(struct rcu_head *head)
{
	struct nflb_persist *p = container_of(head, struct nflb_persist, rcu);

	nflb_member_put(rcu_dereference_protected(p->member, true));
	kfree(p);
}

/* Records (or refreshes) that @f's prefix goes to @m.  Softirq. */
void nflb_persist_set(struct nflb_net *ln, struct nflb_vs *vs,
		      const struct nflb_flow *f, struct nflb_member *m)
{
	struct nflb_persist_key k;
	struct nflb_persist *p, *old;

	nflb_persist_key(&k, vs, f);
	p = rhashtable_lookup(&ln->persist, &k, nflb_persist_params);
	if (p && !test_bit(NFLB_S_DYING, &p->flags)) {
		if (rcu_access_pointer(p->member) != m) {
			refcount_inc(&m->ref);
			nflb_member_put(unrcu_pointer(xchg(&p->member,
							   RCU_INITIALIZER(m))));
		}
		WRITE_ONCE(p->expires, nflb_persist_deadline(vs));
		return;
	}
	p = kzalloc(sizeof(*p), GFP_ATOMIC);
	if (!p)
		return;		/* affinity is best effort */
	p->key = k;
	refcount_inc(&m->ref);
	RCU_INIT_POINTER(p->member, m);
	p->expires = nflb_persist_deadline(vs);
	old = rhashtable_lookup_get_insert_fast(&ln->persist, &p->node,
						nflb_persist_params);
	if (old) {		/* another CPU was first, or no memory */
		nflb_member_put(m);
		kfree(p);
	}
}

static void nflb_persist_remove(struct nflb_net *ln, struct nflb_persist *p)
{
	if (test_and_set_bit(NFLB_S_DYING, &p->flags))
		return;
	rhashtable_remove_fast(&ln->persist, &p->node, nflb_persist_params);
	call_rcu(&p->rcu, nflb_persist_free_rcu);
}

/*
 * Removes expired entries, or with @only every entry of that virtual
 * server (which is being deleted: its address may be reused by a new one).
 * Process context.
 */
void nflb_persist_gc(struct nflb_net *ln, const struct nflb_vs *only)
{
	struct rhashtable_iter it;
	struct nflb_persist *p;

	rhashtable_walk_enter(&ln->persist, &it);
	rhashtable_walk_start(&it);
	while ((p = rhashtable_walk_next(&it))) {
		if (IS_ERR(p))
			continue;	/* -EAGAIN: resized, walk goes on */
		if (only ? p->key.vs == only :
			   time_after(jiffies, READ_ONCE(p->expires)))
			nflb_persist_remove(ln, p);
	}
	rhashtable_walk_stop(&it);
	rhashtable_walk_exit(&it);
}

int nflb_persist_init(struct nflb_net *ln)
{
	return rhashtable_init(&ln->persist, &nflb_persist_params);
}

static void nflb_persist_free_now(void *ptr, void *arg)
{
	struct nflb_persist *p = ptr;

	nflb_member_put(rcu_dereference_protected(p->member, true));
	kfree(p);
}

/* Netns exit: no datapath left, members are still referenced by us. */
void nflb_persist_destroy(struct nflb_net *ln)
{
	rhashtable_free_and_destroy(&ln->persist, nflb_persist_free_now, NULL);
}
