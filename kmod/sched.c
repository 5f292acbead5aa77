// SPDX-License-Identifier: GPL-2.0
/*
 * Schedulers: pick a member for a new session from the pool's published
 * snapshot.  They run in softirq under RCU and take no lock: whatever state
 * they need is either precomputed in the immutable snapshot (the smooth WRR
 * sequence) or a single atomic position per virtual server.
 *
 * A member is available when it is up, has a non-zero weight, is below its
 * connection limit and has the virtual server's address family.
 */
#include <linux/gcd.h>
#include <linux/jhash.h>
#include <linux/slab.h>
#include "sched.h"

static bool nflb_available(const struct nflb_member *m, u8 family)
{
	u32 max = READ_ONCE(m->max_conns);

	return m->family == family &&
	       READ_ONCE(m->state) == NFLB_MEMBER_UP &&
	       READ_ONCE(m->weight) &&
	       (!max || atomic_read(&m->active) < max);
}

/* First available member at or after @start, wrapping around. */
static struct nflb_member *nflb_probe(const struct nflb_pool_snap *snap,
				      unsigned int start, u8 family)
{
	unsigned int i, n = snap->count;

	for (i = 0; i < n; i++) {
		struct nflb_member *m = snap->members[(start + i) % n];

		if (nflb_available(m, family))
			return m;
	}
	return NULL;
}

static struct nflb_member *nflb_pick_rr(struct nflb_vs *vs,
					const struct nflb_pool_snap *snap)
{
	unsigned int pos = atomic_inc_return(&vs->rr_pos);

	return nflb_probe(snap, pos % snap->count, vs->family);
}

static struct nflb_member *nflb_pick_wrr(struct nflb_vs *vs,
					 const struct nflb_pool_snap *snap)
{
	unsigned int pos = atomic_inc_return(&vs->rr_pos);
	struct nflb_member *m;

	if (!snap->wrr_len)
		return NULL;
	m = snap->members[snap->wrr_seq[pos % snap->wrr_len]];
	if (nflb_available(m, vs->family))
		return m;
	/* At its connection limit: the next one in plain order. */
	return nflb_probe(snap, pos % snap->count, vs->family);
}

/* Least (weighted) connections: active/weight compared by cross-multiplying. */
static struct nflb_member *nflb_pick_lc(struct nflb_vs *vs,
					const struct nflb_pool_snap *snap,
					bool weighted)
{
	struct nflb_member *best = NULL;
	u64 best_a = 0, best_w = 1;
	unsigned int i;

	for (i = 0; i < snap->count; i++) {
		struct nflb_member *m = snap->members[i];
		u64 a, w;

		if (!nflb_available(m, vs->family))
			continue;
		a = atomic_read(&m->active);
		w = weighted ? READ_ONCE(m->weight) : 1;
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
					const struct nflb_flow *f)
{
	return nflb_probe(snap, nflb_flow_hash(vs, f) % snap->count,
			  vs->family);
}

struct nflb_member *nflb_sched_pick(struct nflb_vs *vs,
				    const struct nflb_flow *f)
{
	const struct nflb_pool_snap *snap;
	struct nflb_pool *pool;

	pool = rcu_dereference(vs->pool);
	snap = rcu_dereference(pool->snap);
	if (!snap || !snap->count)
		return NULL;

	switch (READ_ONCE(vs->sched)) {
	case NFLB_SCHED_WRR:
		return nflb_pick_wrr(vs, snap);
	case NFLB_SCHED_LC:
		return nflb_pick_lc(vs, snap, false);
	case NFLB_SCHED_WLC:
		return nflb_pick_lc(vs, snap, true);
	case NFLB_SCHED_SH:
		return nflb_pick_sh(vs, snap, f);
	default:
		return nflb_pick_rr(vs, snap);
	}
}

/* Integer weights of the members, reduced by their gcd and to a bounded sum. */
static u32 nflb_wrr_weights(const struct nflb_pool_snap *snap, u32 *w)
{
	unsigned int i, n = snap->count;
	u32 g = 0, total = 0;

	for (i = 0; i < n; i++) {
		const struct nflb_member *m = snap->members[i];

		w[i] = m->state == NFLB_MEMBER_UP ? m->weight : 0;
		if (w[i])
			g = g ? gcd(g, w[i]) : w[i];
	}
	if (!g)
		return 0;
	for (i = 0; i < n; i++) {
		w[i] /= g;
		total += w[i];
	}
	/* Scale down, keeping every positive weight at least 1. */
	while (total > NFLB_WRR_SEQ_MAX) {
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
 * Smooth weighted round robin, precomputed once per snapshot: every step
 * adds each weight to its member's credit and picks the member with the
 * most credit, which then pays the total.  The resulting order interleaves
 * members instead of sending runs to one.  Pools of more than
 * NFLB_WRR_MEMBERS_MAX members get plain order.  cfg_mutex held.
 */
int nflb_sched_build(struct nflb_pool_snap *snap)
{
	unsigned int i, step, n = snap->count;
	u32 total, w[NFLB_WRR_MEMBERS_MAX];
	s32 credit[NFLB_WRR_MEMBERS_MAX] = { 0 };

	snap->wrr_len = 0;
	snap->wrr_seq = NULL;
	if (!n)
		return 0;
	if (n > NFLB_WRR_MEMBERS_MAX) {
		snap->wrr_seq = kmalloc_array(n, sizeof(u16), GFP_KERNEL);
		if (!snap->wrr_seq)
			return -ENOMEM;
		for (i = 0; i < n; i++)
			snap->wrr_seq[i] = i;
		snap->wrr_len = n;
		return 0;
	}
	total = nflb_wrr_weights(snap, w);
	if (!total)
		return 0;
	snap->wrr_seq = kmalloc_array(total, sizeof(u16), GFP_KERNEL);
	if (!snap->wrr_seq)
		return -ENOMEM;
	for (step = 0; step < total; step++) {
		unsigned int best = 0;

		for (i = 0; i < n; i++) {
			credit[i] += w[i];
			if (credit[i] > credit[best])
				best = i;
		}
		credit[best] -= total;
		snap->wrr_seq[step] = best;
	}
	snap->wrr_len = total;
	return 0;
}

const char *nflb_sched_name(u8 sched)
{
	static const char * const names[] = {
		[NFLB_SCHED_RR] = "rr", [NFLB_SCHED_WRR] = "wrr",
		[NFLB_SCHED_LC] = "lc", [NFLB_SCHED_WLC] = "wlc",
		[NFLB_SCHED_SH] = "sh", [NFLB_SCHED_MH] = "mh",
	};

	return sched < ARRAY_SIZE(names) ? names[sched] : "?";
}
