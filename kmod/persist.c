// SPDX-License-Identifier: GPL-2.0
/*
 * Persistence (source affinity): while an affinity lives, every new
 * connection from the same client prefix to a virtual server goes to the
 * same member.  As IPVS's templates do, an affinity lives while any session
 * it placed lives, and persist-timeout seconds after the last one ended: a
 * client with a long-lived connection is not sent elsewhere by its next
 * one.  One whose member is no longer available is given the scheduler's
 * next choice.
 *
 * Entries are in a per-netns rhashtable: lock-free lookups in the datapath,
 * inserts under rhashtable's bucket locks.  An entry is created only for a
 * session already admitted (under max-sessions), and the table holds at
 * most max-sessions entries: a flood of new client prefixes cannot grow it
 * past what the session table may hold.  Its own delayed work expires
 * entries in slices of NFLB_PERSIST_GC_BUDGET, never the whole table in
 * one RCU section.
 *
 * Unlinking (NFLB_S_DYING) races with a new session binding to the entry:
 * the binder raises @sessions and then tests DYING, the expiry sets DYING
 * and then tests @sessions, each with a full barrier between, so at most one
 * of them goes on.  The member pointer is swapped with xchg(); the old
 * member's reference is dropped with nflb_member_put(), whose free waits
 * for a grace period, so readers stay safe.
 */
#include <linux/memcontrol.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/inetdevice.h>
#include <net/ipv6.h>
#include "main.h"
#include "persist.h"
#include "sched.h"
#include "service.h"

#define NFLB_PERSIST_GC_BUDGET	1024
#define NFLB_PERSIST_GC_SLICE	(HZ / 10)
#define NFLB_PERSIST_GC_INTERVAL HZ

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

static bool nflb_persist_expired(const struct nflb_persist *p)
{
	if (atomic_read(&p->sessions))
		return false;
	/* Pairs with the barrier in nflb_persist_release(). */
	smp_rmb();
	return time_after(jiffies, READ_ONCE(p->expires));
}

/*
 * The entry of @f's prefix for @vs, if any, expired or not: a new session
 * binds to it either way (nflb_persist_bind() points an expired one at the
 * session's member), so that one prefix never has two entries.  Softirq,
 * RCU.
 */
struct nflb_persist *nflb_persist_find(struct nflb_net *ln, struct nflb_vs *vs,
				       const struct nflb_flow *f)
{
	struct nflb_persist_key k;
	struct nflb_persist *p;

	nflb_persist_key(&k, vs, f);
	p = rhashtable_lookup(&ln->persist.ht, &k, nflb_persist_params);
	if (!p || test_bit(NFLB_S_DYING, &p->flags))
		return NULL;
	return p;
}

/*
 * The member @p sends new sessions to, or NULL when the affinity expired or
 * its member is deleted, out of the virtual server's pool, drained or down:
 * the client then moves on as if it had no affinity.
 */
struct nflb_member *nflb_persist_member(const struct nflb_persist *p,
					struct nflb_vs *vs)
{
	struct nflb_member *m = rcu_dereference(p->member);

	if (nflb_persist_expired(p))
		return NULL;

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

void nflb_persist_put(struct nflb_persist *p)
{
	if (refcount_dec_and_test(&p->ref))
		call_rcu(&p->rcu, nflb_persist_free_rcu);
}

/* Takes a session's hold on @p; false if @p is being unlinked. */
static bool nflb_persist_hold(struct nflb_persist *p)
{
	atomic_inc(&p->sessions);
	/* Count first, then look: pairs with nflb_persist_unlink(). */
	smp_mb__after_atomic();
	if (unlikely(test_bit(NFLB_S_DYING, &p->flags))) {
		atomic_dec(&p->sessions);
		return false;
	}
	refcount_inc(&p->ref);
	return true;
}

/* A session placed by @p ended: the timeout runs from the last one. */
void nflb_persist_release(struct nflb_persist *p)
{
	WRITE_ONCE(p->expires, jiffies + p->timeout * HZ);
	/* The expiry sees the new deadline once it sees 0 sessions. */
	smp_mb__before_atomic();
	atomic_dec(&p->sessions);
}

static void nflb_persist_set_member(struct nflb_persist *p,
				    struct nflb_member *m)
{
	if (rcu_access_pointer(p->member) == m)
		return;
	refcount_inc(&m->ref);
	nflb_member_put(unrcu_pointer(xchg(&p->member, RCU_INITIALIZER(m))));
}

/* A new entry, charged like the virtual server's sessions. */
static struct nflb_persist *nflb_persist_new(struct nflb_net *ln,
					     struct nflb_vs *vs,
					     const struct nflb_flow *f,
					     struct nflb_member *m)
{
	struct mem_cgroup *old;
	struct nflb_persist *p;

	if (atomic_inc_return(&ln->persist.count) >
	    READ_ONCE(ln->max_sessions))
		goto full;
	old = set_active_memcg(vs->memcg);
	p = kzalloc(sizeof(*p), GFP_NOWAIT | __GFP_NOWARN |
			       (vs->memcg ? __GFP_ACCOUNT : 0));
	set_active_memcg(old);
	if (!p)
		goto full;
	nflb_persist_key(&p->key, vs, f);
	refcount_inc(&m->ref);
	RCU_INIT_POINTER(p->member, m);
	refcount_set(&p->ref, 1);	/* the table's */
	p->timeout = READ_ONCE(vs->persist_timeout);
	p->expires = jiffies + p->timeout * HZ;
	return p;
full:
	atomic_dec(&ln->persist.count);
	return NULL;
}

/*
 * Binds a session just created for @f on @m to its affinity: @p, the one
 * found before the member was chosen (pointed at @m now if it was not), or
 * a new one.  Returns the entry the session holds, or NULL when there is
 * none (the table is full, no memory, or a race with its expiry): the
 * session then simply has no affinity.  Softirq.
 */
struct nflb_persist *nflb_persist_bind(struct nflb_net *ln, struct nflb_vs *vs,
				       const struct nflb_flow *f,
				       struct nflb_persist *p,
				       struct nflb_member *m)
{
	struct nflb_persist *old;

	if (p) {
		WRITE_ONCE(p->timeout, READ_ONCE(vs->persist_timeout));
		nflb_persist_set_member(p, m);
		return nflb_persist_hold(p) ? p : NULL;
	}
	p = nflb_persist_new(ln, vs, f, m);
	if (!p)
		return NULL;
	atomic_set(&p->sessions, 1);
	refcount_inc(&p->ref);		/* the session's */
	old = rhashtable_lookup_get_insert_fast(&ln->persist.ht, &p->node,
						nflb_persist_params);
	if (!old)
		return p;
	/* Another CPU was first (or no memory): use its entry, whose
	 * member stays the one its first session got.
	 */
	atomic_dec(&ln->persist.count);
	nflb_member_put(m);
	kfree(p);
	if (IS_ERR(old) || test_bit(NFLB_S_DYING, &old->flags))
		return NULL;
	return nflb_persist_hold(old) ? old : NULL;
}

/* Unlinks @p unless a session holds it (or it is unlinked already). */
static bool nflb_persist_unlink(struct nflb_net *ln, struct nflb_persist *p,
				bool force)
{
	if (test_and_set_bit(NFLB_S_DYING, &p->flags))
		return false;
	/* Pairs with the barrier in nflb_persist_hold(). */
	if (!force && atomic_read(&p->sessions)) {
		clear_bit(NFLB_S_DYING, &p->flags);
		return false;
	}
	rhashtable_remove_fast(&ln->persist.ht, &p->node, nflb_persist_params);
	atomic_dec(&ln->persist.count);
	nflb_persist_put(p);
	return true;
}

/*
 * One slice of the expiry pass.  A resize makes the walk start over
 * (-EAGAIN), which only means some entries are looked at twice.
 */
static void nflb_persist_gc_work(struct work_struct *work)
{
	struct nflb_persist_table *pt = container_of(to_delayed_work(work),
						     struct nflb_persist_table,
						     gc_work);
	struct nflb_net *ln = container_of(pt, struct nflb_net, persist);
	unsigned long delay = NFLB_PERSIST_GC_SLICE;
	int budget = NFLB_PERSIST_GC_BUDGET;
	struct nflb_persist *p;

	rhashtable_walk_start(&pt->gc_iter);
	while (budget-- > 0) {
		p = rhashtable_walk_next(&pt->gc_iter);
		if (IS_ERR(p))
			continue;
		if (!p) {
			delay = NFLB_PERSIST_GC_INTERVAL;
			break;
		}
		if (nflb_persist_expired(p))
			nflb_persist_unlink(ln, p, false);
	}
	rhashtable_walk_stop(&pt->gc_iter);
	if (delay == NFLB_PERSIST_GC_INTERVAL) {
		rhashtable_walk_exit(&pt->gc_iter);
		rhashtable_walk_enter(&pt->ht, &pt->gc_iter);
	}
	queue_delayed_work(system_power_efficient_wq, &pt->gc_work, delay);
}

/*
 * Removes every entry of @vs, which is being deleted (its address may be
 * reused by a new one) and whose sessions are gone.  Process context,
 * cfg_mutex; reschedules every NFLB_PERSIST_GC_BUDGET entries.
 */
void nflb_persist_flush_vs(struct nflb_net *ln, const struct nflb_vs *vs)
{
	struct rhashtable_iter it;
	struct nflb_persist *p;
	unsigned int n = 0;

	rhashtable_walk_enter(&ln->persist.ht, &it);
	rhashtable_walk_start(&it);
	while ((p = rhashtable_walk_next(&it))) {
		if (IS_ERR(p))
			continue;	/* -EAGAIN: resized, walk goes on */
		if (p->key.vs == vs)
			nflb_persist_unlink(ln, p, true);
		if (++n % NFLB_PERSIST_GC_BUDGET == 0) {
			rhashtable_walk_stop(&it);
			cond_resched();
			rhashtable_walk_start(&it);
		}
	}
	rhashtable_walk_stop(&it);
	rhashtable_walk_exit(&it);
}

int nflb_persist_init(struct nflb_net *ln)
{
	struct nflb_persist_table *pt = &ln->persist;
	int err;

	atomic_set(&pt->count, 0);
	err = rhashtable_init(&pt->ht, &nflb_persist_params);
	if (err)
		return err;
	rhashtable_walk_enter(&pt->ht, &pt->gc_iter);
	INIT_DELAYED_WORK(&pt->gc_work, nflb_persist_gc_work);
	queue_delayed_work(system_power_efficient_wq, &pt->gc_work,
			   NFLB_PERSIST_GC_INTERVAL);
	return 0;
}

static void nflb_persist_free_now(void *ptr, void *arg)
{
	struct nflb_persist *p = ptr;

	nflb_member_put(rcu_dereference_protected(p->member, true));
	kfree(p);
}

/*
 * Netns exit, after the services flush: every entry was unlinked with its
 * virtual server (nflb_persist_flush_vs()), so the table is empty here;
 * sessions still waiting for their grace period hold the entries they
 * point to, which their RCU callbacks put.
 */
void nflb_persist_destroy(struct nflb_net *ln)
{
	cancel_delayed_work_sync(&ln->persist.gc_work);
	rhashtable_walk_exit(&ln->persist.gc_iter);
	rhashtable_free_and_destroy(&ln->persist.ht, nflb_persist_free_now,
				    NULL);
}
