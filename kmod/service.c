// SPDX-License-Identifier: GPL-2.0
/*
 * Virtual servers, pools and members.
 *
 * Everything here runs in process context under the netns' cfg_mutex (the
 * operations of ops.c take it).  This layer knows the objects only: ending
 * their sessions and switching the hooks is for ops.c.  The datapath sees
 * three things, all through RCU: the VIP hash (vs_hash), a virtual server's
 * pool pointer, and a pool's snapshot.  Objects reachable from the datapath are freed only after a
 * grace period, and only when their last reference is gone.
 */
#include <linux/jhash.h>
#include <linux/memcontrol.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <net/ipv6.h>
#include "main.h"
#include "sched.h"
#include "service.h"

static u32 nflb_vs_bucket(u8 family, u8 proto, const union nf_inet_addr *a,
			  __be16 port)
{
	u32 h;

	if (family == AF_INET)
		h = jhash_1word((__force u32)a->ip, proto);
	else
		h = jhash2((const u32 *)&a->in6, 4, proto);
	return jhash_1word((__force u32)port, h) &
	       ((1 << NFLB_VS_HASH_BITS) - 1);
}

struct nflb_vs *nflb_vs_find_vip(struct nflb_net *ln, u8 family, u8 proto,
				 const union nf_inet_addr *addr, __be16 port)
{
	u32 b = nflb_vs_bucket(family, proto, addr, port);
	struct nflb_vs *vs;

	hlist_for_each_entry_rcu(vs, &ln->vs_hash[b], hnode) {
		if (vs->port == port && vs->proto == proto &&
		    vs->family == family &&
		    (family == AF_INET ? vs->vip.ip == addr->ip :
		     ipv6_addr_equal(&vs->vip.in6, &addr->in6)))
			return vs;
	}
	return NULL;
}

static struct hlist_head *nflb_ep_bucket(struct nflb_net *ln, u8 family,
					 const union nf_inet_addr *a,
					 __be16 port)
{
	u32 h;

	/* Operators choose members, not clients: no secret seed needed. */
	if (family == AF_INET)
		h = jhash_1word((__force u32)a->ip, (__force u32)port);
	else
		h = jhash2((const u32 *)&a->in6, 4, (__force u32)port);
	return &ln->member_eps[h & ((1 << NFLB_MEMBER_EP_BITS) - 1)];
}

/*
 * Whether @addr:@port is a member of a pool that a virtual server of
 * protocol @proto uses: a packet from there that matches no session is a
 * member's reply to a flow another node saw.  One hash bucket, not every
 * pool: transit traffic asks it for each packet.  RCU.
 */
bool nflb_member_endpoint(struct nflb_net *ln, u8 family,
			  const union nf_inet_addr *addr, __be16 port, u8 proto)
{
	struct nflb_member *m;
	struct nflb_pool *pool;

	hlist_for_each_entry_rcu(m, nflb_ep_bucket(ln, family, addr, port),
				 ep_node) {
		if (m->port != port || m->family != family ||
		    (family == AF_INET ? m->addr.ip != addr->ip :
		     !ipv6_addr_equal(&m->addr.in6, &addr->in6)))
			continue;
		pool = READ_ONCE(m->pool);
		if (pool && READ_ONCE(pool->proto_users[proto == IPPROTO_UDP]))
			return true;
	}
	return false;
}

/* @vs starts (@d 1) or stops (@d -1) using @pool: the pool's user counts. */
static void nflb_pool_users(struct nflb_pool *pool, const struct nflb_vs *vs,
			    int d)
{
	unsigned int *pu = &pool->proto_users[vs->proto == IPPROTO_UDP];

	pool->users += d;
	pool->mh_users += d * (vs->sched == NFLB_SCHED_MH);
	WRITE_ONCE(*pu, *pu + d);
}

/* Name hash bucket: keeps batches of thousands of objects linear. */
static struct hlist_head *nflb_name_bucket(struct hlist_head *tbl,
					   const char *name)
{
	return &tbl[jhash(name, strlen(name), 0) &
		    ((1 << NFLB_VS_HASH_BITS) - 1)];
}

struct nflb_vs *nflb_vs_find(struct nflb_net *ln, const char *name)
{
	struct nflb_vs *vs;

	hlist_for_each_entry(vs, nflb_name_bucket(ln->vs_names, name),
			     name_node)
		if (!strcmp(vs->name, name))
			return vs;
	return NULL;
}

struct nflb_pool *nflb_pool_find(struct nflb_net *ln, const char *name)
{
	struct nflb_pool *pool;

	hlist_for_each_entry(pool, nflb_name_bucket(ln->pool_names, name),
			     name_node)
		if (!strcmp(pool->name, name))
			return pool;
	return NULL;
}

struct nflb_member *nflb_member_find(struct nflb_pool *pool, u8 family,
				     const union nf_inet_addr *addr,
				     __be16 port)
{
	struct nflb_member *m;

	list_for_each_entry(m, &pool->members, list)
		if (m->family == family && m->port == port &&
		    nf_inet_addr_cmp(&m->addr, addr))
			return m;
	return NULL;
}

static void nflb_vs_free_rcu(struct rcu_head *head)
{
	struct nflb_vs *vs = container_of(head, struct nflb_vs, rcu);

	nflb_stats_free(vs->stats, vs->stats_blk);
	mem_cgroup_put(vs->memcg);
	kfree(vs);
}

void nflb_vs_put(struct nflb_vs *vs)
{
	if (refcount_dec_and_test(&vs->ref))
		call_rcu(&vs->rcu, nflb_vs_free_rcu);
}

struct nflb_vs *nflb_vs_create(struct nflb_net *ln, const struct nflb_vs *tmpl,
			       struct nflb_pool *pool)
{
	struct nflb_vs *vs;
	u32 b;

	vs = kmemdup(tmpl, sizeof(*vs), GFP_KERNEL_ACCOUNT);
	if (!vs)
		return ERR_PTR(-ENOMEM);
	vs->stats = nflb_stats_alloc(&vs->stats_blk);
	if (!vs->stats) {
		kfree(vs);
		return ERR_PTR(-ENOMEM);
	}
	vs->ln = ln;
	/*
	 * Sessions of a namespace that another user namespace owns are
	 * charged to its creator's cgroup.  In namespaces of the initial
	 * one they stay uncharged, as conntrack entries are: production
	 * traffic must not be bounded by whichever unit ran lbctl.
	 */
	if (ln->net->user_ns != &init_user_ns)
		vs->memcg = get_mem_cgroup_from_mm(current->mm);
	refcount_set(&vs->ref, 1);
	atomic_set(&vs->active, 0);
	atomic_set(&vs->rr_pos, 0);
	vs->dead = false;
	nflb_pool_users(pool, vs, 1);
	RCU_INIT_POINTER(vs->pool, pool);
	list_add_tail(&vs->list, &ln->vs_list);
	hlist_add_head(&vs->name_node,
		       nflb_name_bucket(ln->vs_names, vs->name));
	b = nflb_vs_bucket(vs->family, vs->proto, &vs->vip, vs->port);
	hlist_add_head_rcu(&vs->hnode, &ln->vs_hash[b]);
	WRITE_ONCE(ln->vs_count, ln->vs_count + 1);
	ln->cfg_gen++;
	return vs;
}

/* @vs (live) changes scheduler: its pool's count of Maglev users follows. */
void nflb_vs_set_sched(struct nflb_vs *vs, u8 sched)
{
	struct nflb_pool *pool = rcu_dereference_protected(vs->pool, true);

	pool->mh_users += (sched == NFLB_SCHED_MH) -
			  (vs->sched == NFLB_SCHED_MH);
	WRITE_ONCE(vs->sched, sched);
}

void nflb_vs_set_pool(struct nflb_vs *vs, struct nflb_pool *pool)
{
	struct nflb_pool *old = rcu_dereference_protected(vs->pool, true);

	if (old == pool)
		return;
	nflb_pool_users(old, vs, -1);
	nflb_pool_users(pool, vs, 1);
	rcu_assign_pointer(vs->pool, pool);
}

/*
 * Takes @vs off the datapath and out of the lists (vs->list is free for
 * the caller's use); the caller waits a grace period, ends its sessions
 * and drops the list's reference.
 */
void nflb_vs_unpublish(struct nflb_net *ln, struct nflb_vs *vs)
{
	struct nflb_pool *pool;
	u64 v[NFLB_C_MAX];
	int i;

	nflb_stats_sum(vs->stats, v);
	for (i = 0; i < ARRAY_SIZE(ln->retired); i++)
		ln->retired[i] += v[i];
	hlist_del_rcu(&vs->hnode);
	hlist_del(&vs->name_node);
	list_del(&vs->list);
	vs->dead = true;
	pool = rcu_dereference_protected(vs->pool, true);
	nflb_pool_users(pool, vs, -1);
	WRITE_ONCE(ln->vs_count, ln->vs_count - 1);
	ln->cfg_gen++;
}

/*
 * Members come from a cache of their own: with the health state a member
 * is 280 bytes, which kmalloc would round up to 512, 8 to a slab page, and
 * a pool of thousands would allocate (and charge) that many more pages.
 */
static struct kmem_cache *nflb_member_cache;

int nflb_service_init(void)
{
	nflb_member_cache = kmem_cache_create("nflb_member",
					      sizeof(struct nflb_member), 0, 0,
					      NULL);
	return nflb_member_cache ? 0 : -ENOMEM;
}

/* After every netns is gone and rcu_barrier() has run the last frees. */
void nflb_service_exit(void)
{
	kmem_cache_destroy(nflb_member_cache);
}

static void nflb_member_free_rcu(struct rcu_head *head)
{
	struct nflb_member *m = container_of(head, struct nflb_member, rcu);

	nflb_stats_free(m->stats, m->stats_blk);
	kmem_cache_free(nflb_member_cache, m);
}

void nflb_member_put(struct nflb_member *m)
{
	if (refcount_dec_and_test(&m->ref))
		call_rcu(&m->rcu, nflb_member_free_rcu);
}

static void nflb_snap_free_rcu(struct rcu_head *head)
{
	struct nflb_pool_snap *snap = container_of(head, struct nflb_pool_snap,
						   rcu);
	unsigned int i;

	for (i = 0; i < snap->count; i++)
		nflb_member_put(snap->members[i]);
	nflb_sched_free(snap);
	kvfree(snap);
}

static void nflb_snap_release(struct nflb_pool_snap *snap)
{
	if (snap)
		call_rcu(&snap->rcu, nflb_snap_free_rcu);
}

/*
 * Distinct Maglev table sizes of the virtual servers using @pool, and for
 * each the families of those virtual servers (a bit per family): only
 * groups of those families get a table of that size.
 */
static unsigned int nflb_pool_mh_sizes(struct nflb_net *ln,
				       struct nflb_pool *pool, u32 *sizes,
				       u8 *families)
{
	unsigned int i, n = 0;
	struct nflb_vs *vs;

	if (!pool->mh_users)
		return 0;
	list_for_each_entry(vs, &ln->vs_list, list) {
		if (rcu_access_pointer(vs->pool) != pool ||
		    vs->sched != NFLB_SCHED_MH)
			continue;
		for (i = 0; i < n && sizes[i] != vs->mh_size; i++)
			;
		if (i == n && n == NFLB_MH_TABLES)
			continue;
		if (i == n) {
			sizes[n] = vs->mh_size;
			families[n++] = 0;
		}
		families[i] |= NFLB_FAMILY_BIT(vs->family);
	}
	return n;
}

/*
 * Replaces the pool's snapshot with one built from its current members.
 * Sessions keep their member references, so established flows are
 * untouched; only new sessions see the change.
 */
int nflb_pool_publish(struct nflb_net *ln, struct nflb_pool *pool)
{
	struct nflb_pool_snap *snap, *old;
	u32 mh_sizes[NFLB_MH_TABLES];
	u8 mh_families[NFLB_MH_TABLES];
	struct nflb_member *m;
	unsigned int i = 0, n_mh;

	snap = kvzalloc(struct_size(snap, members, pool->member_count),
			GFP_KERNEL_ACCOUNT);
	if (!snap)
		return -ENOMEM;
	list_for_each_entry(m, &pool->members, list) {
		refcount_inc(&m->ref);
		snap->members[i++] = m;
	}
	snap->count = i;
	snap->min_active = pool->min_active;
	n_mh = nflb_pool_mh_sizes(ln, pool, mh_sizes, mh_families);
	if (nflb_sched_build(snap, mh_sizes, mh_families, n_mh)) {
		nflb_snap_free_rcu(&snap->rcu);
		return -ENOMEM;
	}
	old = rcu_replace_pointer(pool->snap, snap, true);
	nflb_snap_release(old);
	return 0;
}

struct nflb_pool *nflb_pool_create(struct nflb_net *ln, const char *name)
{
	struct nflb_pool *pool;

	pool = kzalloc(sizeof(*pool), GFP_KERNEL_ACCOUNT);
	if (!pool)
		return NULL;
	strscpy(pool->name, name, sizeof(pool->name));
	INIT_LIST_HEAD(&pool->members);
	INIT_LIST_HEAD(&pool->ramp_dirty);
	if (nflb_pool_publish(ln, pool)) {
		kfree(pool);
		return NULL;
	}
	list_add_tail(&pool->list, &ln->pool_list);
	hlist_add_head(&pool->name_node,
		       nflb_name_bucket(ln->pool_names, pool->name));
	ln->pool_count++;
	ln->cfg_gen++;
	return pool;
}

static struct nflb_prio_count *nflb_prio_find(struct nflb_pool *pool,
					      u8 family, u32 priority)
{
	struct nflb_prio_count *free = NULL;
	int i;

	for (i = 0; i < ARRAY_SIZE(pool->prios); i++) {
		struct nflb_prio_count *p = &pool->prios[i];

		if (!p->members) {
			free = free ?: p;
			continue;
		}
		if (p->family == family && p->priority == priority)
			return p;
	}
	return free;
}

/* Whether a member of @family and @priority fits the pool's groups. */
bool nflb_pool_group_room(const struct nflb_pool *pool, u8 family,
			  u32 priority)
{
	unsigned int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(pool->prios); i++) {
		const struct nflb_prio_count *p = &pool->prios[i];

		if (!p->members || p->family != family)
			continue;
		if (p->priority == priority)
			return true;
		n++;
	}
	return n < NFLB_POOL_PRIOS_MAX;
}

/* Whether @m may move to @priority: a group to join, or its own emptied. */
bool nflb_member_prio_room(struct nflb_pool *pool,
			   const struct nflb_member *m, u32 priority)
{
	return nflb_pool_group_room(pool, m->family, priority) ||
	       nflb_prio_find(pool, m->family, m->priority)->members == 1;
}

/* nflb_pool_group_room() said yes. */
static void nflb_prio_get(struct nflb_pool *pool, u8 family, u32 priority)
{
	struct nflb_prio_count *p = nflb_prio_find(pool, family, priority);

	if (WARN_ON_ONCE(!p))
		return;
	p->family = family;
	p->priority = priority;
	p->members++;
}

static void nflb_prio_put(struct nflb_pool *pool, u8 family, u32 priority)
{
	struct nflb_prio_count *p = nflb_prio_find(pool, family, priority);

	if (!WARN_ON_ONCE(!p || !p->members))
		p->members--;
}

/* The caller checked nflb_pool_group_room(); publish follows. */
void nflb_member_set_priority(struct nflb_pool *pool, struct nflb_member *m,
			      u32 priority)
{
	if (m->priority == priority)
		return;
	nflb_prio_put(pool, m->family, m->priority);
	nflb_prio_get(pool, m->family, priority);
	m->priority = priority;
}

static void nflb_member_unlink(struct nflb_net *ln, struct nflb_pool *pool,
			       struct nflb_member *m)
{
	nflb_prio_put(pool, m->family, m->priority);
	list_del_init(&m->ramp_node);	/* off the slow start list */
	hlist_del_rcu(&m->ep_node);
	list_del(&m->list);
	WRITE_ONCE(m->pool, NULL);
	pool->member_count--;
	ln->member_count--;
	ln->cfg_gen++;
	nflb_member_put(m);
}

/* Only for pools no virtual server uses (the caller checked). */
void nflb_pool_delete(struct nflb_net *ln, struct nflb_pool *pool)
{
	struct nflb_member *m, *tmp;

	list_for_each_entry_safe(m, tmp, &pool->members, list)
		nflb_member_unlink(ln, pool, m);
	nflb_snap_release(rcu_replace_pointer(pool->snap, NULL, true));
	hlist_del(&pool->name_node);
	list_del(&pool->list);
	ln->pool_count--;
	ln->cfg_gen++;
	nflb_check_free(&pool->check);	/* the datapath never reads it */
	kfree_rcu(pool, rcu);
}

/*
 * Adds a member to @pool without rebuilding the pool's snapshot: the caller
 * publishes the pool (nflb_pool_publish()) once it has added what it adds,
 * or takes the members back with nflb_member_discard().
 */
struct nflb_member *nflb_member_create(struct nflb_net *ln,
				       struct nflb_pool *pool,
				       const struct nflb_member *tmpl)
{
	struct nflb_member *m;

	m = kmem_cache_alloc(nflb_member_cache, GFP_KERNEL_ACCOUNT);
	if (!m)
		return NULL;
	*m = *tmpl;
	m->stats = nflb_stats_alloc(&m->stats_blk);
	if (!m->stats) {
		kmem_cache_free(nflb_member_cache, m);
		return NULL;
	}
	refcount_set(&m->ref, 1);
	atomic_set(&m->active, 0);
	INIT_LIST_HEAD(&m->ramp_node);
	m->ramp_start = 0;		/* slow start is for comebacks only */
	WRITE_ONCE(m->weight_now, m->weight);
	nflb_prio_get(pool, m->family, m->priority);
	list_add_tail(&m->list, &pool->members);
	m->pool = pool;
	hlist_add_head_rcu(&m->ep_node, nflb_ep_bucket(ln, m->family, &m->addr,
						       m->port));
	pool->member_count++;
	ln->member_count++;
	ln->cfg_gen++;
	return m;
}

/* Takes back the last @n members of @pool, added but never published. */
void nflb_member_discard(struct nflb_net *ln, struct nflb_pool *pool,
			 unsigned int n)
{
	while (n--)
		nflb_member_unlink(ln, pool, list_last_entry(&pool->members,
							     struct nflb_member,
							     list));
}

/* Sessions to @m live on; they hold their own reference. */
void nflb_member_delete(struct nflb_net *ln, struct nflb_pool *pool,
			struct nflb_member *m)
{
	refcount_inc(&m->ref);
	nflb_member_unlink(ln, pool, m);
	if (nflb_pool_publish(ln, pool))
		/* No memory for a new snapshot: keep the stale one, the
		 * member stays referenced from it until the next change.
		 */
		pr_warn_ratelimited("nflb: pool %s: snapshot not rebuilt\n",
				    pool->name);
	nflb_member_put(m);
}
