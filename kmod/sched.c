// SPDX-License-Identifier: GPL-2.0
/*
 * Schedulers: pick a member for a new session from the pool's published
 * snapshot.  They run in softirq under RCU and take no lock: whatever state
 * they need is precomputed in the immutable snapshot (priority groups, the
 * smooth WRR order, Maglev tables) or is a single atomic position per
 * virtual server.
 *
 * A member is available when it is up, healthy (health up: not down, not
 * ejected), has a non-zero weight, is below its connection limit and has
 * the virtual server's address family.  Schedulers weigh members by
 * weight_now, which slow start holds below the weight for a while after
 * a member comes back (health.c).  Only the
 * highest-priority group of the virtual server's family with at least
 * min-active available members takes new sessions; if none has that many,
 * the first group with any does.  Groups never mix families, so weights,
 * WRR turns and Maglev slots are shared out among one family's members.
 */
#include <linux/gcd.h>
#include <linux/jhash.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include "sched.h"

#define NFLB_MH_EMPTY	0xffff

bool nflb_member_available(const struct nflb_member *m, u8 family)
{
	u32 max = READ_ONCE(m->max_conns);

	return m->family == family &&
	       READ_ONCE(m->state) == NFLB_MEMBER_UP &&
	       READ_ONCE(m->health) == NFLB_HEALTH_UP &&
	       READ_ONCE(m->weight_now) &&
	       (!max || atomic_read(&m->active) < max);
}

/* First available member of @g at or after index @start, wrapping. */
static struct nflb_member *nflb_probe(const struct nflb_pool_snap *snap,
				      const struct nflb_group *g,
				      unsigned int start, u8 family)
{
	unsigned int i, n = g->end - g->start;

	for (i = 0; i < n; i++) {
		struct nflb_member *m;

		m = snap->members[g->start + (start + i) % n];
		if (nflb_member_available(m, family))
			return m;
	}
	return NULL;
}

static unsigned int nflb_group_available(const struct nflb_pool_snap *snap,
					 const struct nflb_group *g, u8 family,
					 unsigned int enough)
{
	unsigned int i, n = 0;

	for (i = g->start; i < g->end && n < enough; i++)
		n += nflb_member_available(snap->members[i], family);
	return n;
}

static const struct nflb_group *nflb_pick_group(const struct nflb_pool_snap *snap,
						u8 family)
{
	unsigned int i, need = max(1U, snap->min_active);
	const struct nflb_group *fallback = NULL;

	if (snap->ngroups == 1 && need == 1)
		return snap->groups->family == family ? snap->groups : NULL;
	for (i = 0; i < snap->ngroups; i++) {
		const struct nflb_group *g = &snap->groups[i];
		unsigned int n;

		if (g->family != family)
			continue;
		n = nflb_group_available(snap, g, family, need);
		if (n >= need)
			return g;
		if (n && !fallback)
			fallback = g;
	}
	return fallback;
}

static struct nflb_member *nflb_pick_rr(struct nflb_vs *vs,
					const struct nflb_pool_snap *snap,
					const struct nflb_group *g)
{
	unsigned int pos = atomic_inc_return(&vs->rr_pos);

	return nflb_probe(snap, g, pos, vs->family);
}

static struct nflb_member *nflb_pick_wrr(struct nflb_vs *vs,
					 const struct nflb_pool_snap *snap,
					 const struct nflb_group *g)
{
	unsigned int pos = atomic_inc_return(&vs->rr_pos);
	struct nflb_member *m;

	if (!g->wrr_len)
		return NULL;
	m = snap->members[g->wrr_seq[pos % g->wrr_len]];
	if (nflb_member_available(m, vs->family))
		return m;
	/* At its connection limit: the next one in plain order. */
	return nflb_probe(snap, g, pos, vs->family);
}

/* Least (weighted) connections: active/weight compared by cross-multiplying. */
static struct nflb_member *nflb_pick_lc(struct nflb_vs *vs,
					const struct nflb_pool_snap *snap,
					const struct nflb_group *g,
					bool weighted)
{
	struct nflb_member *best = NULL;
	u64 best_a = 0, best_w = 1;
	unsigned int i;

	for (i = g->start; i < g->end; i++) {
		struct nflb_member *m = snap->members[i];
		u64 a, w;

		if (!nflb_member_available(m, vs->family))
			continue;
		a = atomic_read(&m->active);
		w = weighted ? READ_ONCE(m->weight_now) : 1;
		if (!best || a * best_w < best_a * w) {
			best = m;
			best_a = a;
			best_w = w;
		}
	}
	return best;
}

static u32 nflb_flow_hash(const struct nflb_vs *vs, const struct nflb_flow *f)
{
	u32 h;

	if (f->family == AF_INET)
		h = jhash_1word((__force u32)f->src.ip, 0);
	else
		h = jhash2((const u32 *)&f->src.in6, 4, 0);
	if (READ_ONCE(vs->flags) & NFLB_VS_F_HASH_PORT)
		h = jhash_1word((__force u32)f->sport, h);
	return h;
}

static struct nflb_member *nflb_pick_sh(struct nflb_vs *vs,
					const struct nflb_pool_snap *snap,
					const struct nflb_group *g,
					const struct nflb_flow *f)
{
	return nflb_probe(snap, g, nflb_flow_hash(vs, f), vs->family);
}

static struct nflb_member *nflb_pick_mh(struct nflb_vs *vs,
					const struct nflb_pool_snap *snap,
					const struct nflb_group *g,
					const struct nflb_flow *f)
{
	u32 size = READ_ONCE(vs->mh_size), h = nflb_flow_hash(vs, f);
	struct nflb_member *m;
	unsigned int i;
	u16 idx;

	for (i = 0; i < NFLB_MH_TABLES; i++)
		if (g->mh[i].size == size)
			break;
	/* Table for a size just configured not published yet: hash plainly. */
	if (i == NFLB_MH_TABLES)
		return nflb_pick_sh(vs, snap, g, f);
	idx = g->mh[i].slot[h % size];
	if (idx == NFLB_MH_EMPTY)
		return NULL;
	m = snap->members[idx];
	if (nflb_member_available(m, vs->family))
		return m;
	/* At its connection limit (down/drained ones are not in the table). */
	return nflb_probe(snap, g, h, vs->family);
}

struct nflb_member *nflb_sched_pick(struct nflb_vs *vs,
				    const struct nflb_flow *f)
{
	const struct nflb_pool_snap *snap;
	const struct nflb_group *g;
	struct nflb_pool *pool;

	pool = rcu_dereference(vs->pool);
	snap = rcu_dereference(pool->snap);
	if (!snap || !snap->count)
		return NULL;
	g = nflb_pick_group(snap, vs->family);
	if (!g)
		return NULL;

	switch (READ_ONCE(vs->sched)) {
	case NFLB_SCHED_WRR:
		return nflb_pick_wrr(vs, snap, g);
	case NFLB_SCHED_LC:
		return nflb_pick_lc(vs, snap, g, false);
	case NFLB_SCHED_WLC:
		return nflb_pick_lc(vs, snap, g, true);
	case NFLB_SCHED_SH:
		return nflb_pick_sh(vs, snap, g, f);
	case NFLB_SCHED_MH:
		return nflb_pick_mh(vs, snap, g, f);
	default:
		return nflb_pick_rr(vs, snap, g);
	}
}

/* ---- snapshot construction ------------------------------------------- */

/*
 * Integer weights of a group's members (weight_now, 0 when down or not
 * healthy), reduced by their gcd and scaled down until they sum to at most
 * @cap, keeping every positive weight at least 1.  Returns the sum, or 0
 * when nobody is up.  The callers guarantee that a group has at most @cap
 * members (NFLB_WRR_MEMBERS_MAX, or the Maglev size checked by the
 * configuration), so the halving ends within 16 rounds (weights are at
 * most 65535); a group that breaks that rule gets no weights rather than
 * an endless loop.
 */
static u32 nflb_weights(const struct nflb_pool_snap *snap,
			const struct nflb_group *g, u32 *w, u32 cap)
{
	unsigned int i, n = g->end - g->start;
	u32 d = 0, total = 0;

	if (WARN_ON_ONCE(n > cap))
		return 0;
	for (i = 0; i < n; i++) {
		const struct nflb_member *m = snap->members[g->start + i];

		w[i] = m->state == NFLB_MEMBER_UP &&
		       m->health == NFLB_HEALTH_UP ? m->weight_now : 0;
		if (w[i])
			d = d ? gcd(d, w[i]) : w[i];
	}
	if (!d)
		return 0;
	for (i = 0; i < n; i++) {
		w[i] /= d;
		total += w[i];
	}
	while (total > cap) {
		total = 0;
		for (i = 0; i < n; i++) {
			if (w[i])
				w[i] = max(1U, w[i] / 2);
			total += w[i];
		}
	}
	return total;
}

/*
 * Smooth weighted round robin, precomputed: every step adds each weight to
 * its member's credit and picks the member with the most credit, which then
 * pays the total.  The order interleaves members instead of sending runs to
 * one.  Groups of more than NFLB_WRR_MEMBERS_MAX members get plain order.
 */
static int nflb_build_wrr(const struct nflb_pool_snap *snap,
			  struct nflb_group *g)
{
	unsigned int i, step, n = g->end - g->start;
	s32 credit[NFLB_WRR_MEMBERS_MAX] = { 0 };
	u32 total, w[NFLB_WRR_MEMBERS_MAX];

	if (n > NFLB_WRR_MEMBERS_MAX) {
		g->wrr_seq = kmalloc_array(n, sizeof(u16), GFP_KERNEL_ACCOUNT);
		if (!g->wrr_seq)
			return -ENOMEM;
		for (i = 0; i < n; i++)
			g->wrr_seq[i] = g->start + i;
		g->wrr_len = n;
		return 0;
	}
	total = nflb_weights(snap, g, w, NFLB_WRR_SEQ_MAX);
	if (!total)
		return 0;
	g->wrr_seq = kmalloc_array(total, sizeof(u16), GFP_KERNEL_ACCOUNT);
	if (!g->wrr_seq)
		return -ENOMEM;
	for (step = 0; step < total; step++) {
		unsigned int best = 0;

		for (i = 0; i < n; i++) {
			credit[i] += w[i];
			if (credit[i] > credit[best])
				best = i;
		}
		credit[best] -= total;
		g->wrr_seq[step] = g->start + best;
	}
	g->wrr_len = total;
	return 0;
}

static u32 nflb_member_hash(const struct nflb_member *m, u32 seed)
{
	return jhash2((const u32 *)&m->addr, 4,
		      jhash_1word((__force u32)m->port, seed));
}

/*
 * Maglev (Eisenbud et al., NSDI 2016): each member walks its own
 * permutation of the slots (offset + j * skip, skip coprime with the prime
 * size) and takes the first free one, in turns proportional to its weight,
 * until every slot is taken.  Removing a member moves its slots and few
 * others.
 */
static int nflb_build_mh(const struct nflb_pool_snap *snap,
			 struct nflb_group *g, struct nflb_mh_table *t,
			 u32 size)
{
	unsigned int n = g->end - g->start, i, filled = 0;
	u32 *offset, *skip, *next, *w;
	int err = -ENOMEM;

	t->size = size;
	t->slot = kvmalloc_array(size, sizeof(u16), GFP_KERNEL_ACCOUNT);
	offset = kcalloc(n, sizeof(u32), GFP_KERNEL_ACCOUNT);
	skip = kcalloc(n, sizeof(u32), GFP_KERNEL_ACCOUNT);
	next = kcalloc(n, sizeof(u32), GFP_KERNEL_ACCOUNT);
	w = kcalloc(n, sizeof(u32), GFP_KERNEL_ACCOUNT);
	if (!t->slot || !offset || !skip || !next || !w)
		goto out;
	memset(t->slot, 0xff, size * sizeof(u16));
	err = 0;
	if (!nflb_weights(snap, g, w, size))
		goto out;	/* nobody up: every slot stays empty */
	for (i = 0; i < n; i++) {
		const struct nflb_member *m = snap->members[g->start + i];

		offset[i] = nflb_member_hash(m, 0x6d61676c) % size;
		skip[i] = nflb_member_hash(m, 0x65762121) % (size - 1) + 1;
	}
	while (filled < size) {
		for (i = 0; i < n && filled < size; i++) {
			u32 turn;

			for (turn = 0; turn < w[i] && filled < size; turn++) {
				u32 c;

				do {
					c = (offset[i] + (u64)next[i] * skip[i]) %
					    size;
					next[i]++;
				} while (t->slot[c] != NFLB_MH_EMPTY);
				t->slot[c] = g->start + i;
				filled++;
			}
		}
		cond_resched();	/* up to 131071 slots per table */
	}
out:
	kfree(w);
	kfree(next);
	kfree(skip);
	kfree(offset);
	return err;
}

/* Members by address family, then by priority, highest first. */
static int nflb_cmp_member(const void *a, const void *b)
{
	const struct nflb_member *ma = *(const struct nflb_member **)a;
	const struct nflb_member *mb = *(const struct nflb_member **)b;

	if (ma->family != mb->family)
		return ma->family < mb->family ? -1 : 1;
	if (ma->priority != mb->priority)
		return ma->priority > mb->priority ? -1 : 1;
	return 0;
}

static bool nflb_same_group(const struct nflb_member *a,
			    const struct nflb_member *b)
{
	return a->family == b->family && a->priority == b->priority;
}

/*
 * Sorts members and cuts them into groups of one family and priority, so
 * that each family is scheduled over its own members only (a virtual
 * server serves one family), then builds each group's scheduler state.
 */
int nflb_sched_build(struct nflb_pool_snap *snap, const u32 *mh_sizes,
		     const u8 *mh_families, unsigned int n_mh)
{
	unsigned int i, j, ng = 0;
	int err;

	snap->ngroups = 0;
	if (!snap->count)
		return 0;
	sort(snap->members, snap->count, sizeof(snap->members[0]),
	     nflb_cmp_member, NULL);
	for (i = 0; i < snap->count; i++)
		ng += !i || !nflb_same_group(snap->members[i],
					     snap->members[i - 1]);
	snap->groups = kcalloc(ng, sizeof(*snap->groups), GFP_KERNEL_ACCOUNT);
	if (!snap->groups)
		return -ENOMEM;
	snap->ngroups = ng;
	for (i = 0, j = 0; i < ng; i++) {
		struct nflb_group *g = &snap->groups[i];

		g->start = j;
		g->family = snap->members[j]->family;
		g->priority = snap->members[j]->priority;
		while (j < snap->count &&
		       nflb_same_group(snap->members[j],
				       snap->members[g->start]))
			j++;
		g->end = j;
	}
	for (i = 0; i < ng; i++) {
		struct nflb_group *g = &snap->groups[i];

		err = nflb_build_wrr(snap, g);
		for (j = 0; !err && j < n_mh; j++)
			if (mh_families[j] & NFLB_FAMILY_BIT(g->family))
				err = nflb_build_mh(snap, g, &g->mh[j],
						    mh_sizes[j]);
		if (err)
			return err;
		cond_resched();
	}
	return 0;
}

void nflb_sched_free(struct nflb_pool_snap *snap)
{
	unsigned int i, j;

	for (i = 0; i < snap->ngroups; i++) {
		kfree(snap->groups[i].wrr_seq);
		for (j = 0; j < NFLB_MH_TABLES; j++)
			kvfree(snap->groups[i].mh[j].slot);
	}
	kfree(snap->groups);
}

bool nflb_mh_size_valid(u32 size)
{
	u32 d;

	if (size < 7 || size > NFLB_MH_SIZE_MAX || !(size & 1))
		return false;
	for (d = 3; d * d <= size; d += 2)
		if (size % d == 0)
			return false;
	return true;
}
