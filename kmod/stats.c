// SPDX-License-Identifier: GPL-2.0
/*
 * Per-cpu counters for the netns, every virtual server and every member.
 * The datapath only ever touches its own CPU's copy; readers sum.
 */
#include <linux/slab.h>
#include <net/netlink.h>
#include "stats.h"

/*
 * Namespaces, virtual servers and members take their counters from blocks
 * of NFLB_STATS_PER_BLOCK slots.  alloc_percpu() searches the percpu chunks
 * under a spinlock with interrupts off, and with 10,000 members that was
 * ~10,000 instructions, a third of the cost of adding a member; a slot
 * costs a bitmap search.  Blocks with a free slot stay at the head of the
 * list, full ones at its tail; at most one empty block is kept
 * (nflb_stats_empty), any other is freed as soon as it empties.  Slots are
 * freed from RCU callbacks, hence the _bh lock.  A block is charged to the
 * memory cgroup of the request that needed it; later objects of other
 * namespaces may take its free slots, so the charge is by the block, not
 * by the slot (at most 63 slots' worth of difference).
 */
#define NFLB_STATS_PER_BLOCK	64

struct nflb_stats_block {
	struct list_head list;
	struct nflb_stats __percpu *base;
	unsigned int used;
	DECLARE_BITMAP(map, NFLB_STATS_PER_BLOCK);
};

static LIST_HEAD(nflb_stats_blocks);
static DEFINE_SPINLOCK(nflb_stats_lock);
static unsigned int nflb_stats_empty;	/* empty blocks kept: 0 or 1 */

static void nflb_stats_init(struct nflb_stats __percpu *st)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct nflb_stats *s = per_cpu_ptr(st, cpu);

		memset(s->c, 0, sizeof(s->c));
		u64_stats_init(&s->syncp);
	}
}

static struct nflb_stats_block *nflb_stats_block_new(void)
{
	struct nflb_stats_block *b = kzalloc(sizeof(*b), GFP_KERNEL_ACCOUNT);

	if (!b)
		return NULL;
	b->base = __alloc_percpu_gfp(sizeof(struct nflb_stats) *
				     NFLB_STATS_PER_BLOCK,
				     __alignof__(struct nflb_stats),
				     GFP_KERNEL_ACCOUNT);
	if (!b->base) {
		kfree(b);
		return NULL;
	}
	return b;
}

static void nflb_stats_block_free(struct nflb_stats_block *b)
{
	free_percpu(b->base);
	kfree(b);
}

struct nflb_stats __percpu *nflb_stats_alloc(struct nflb_stats_block **blk)
{
	struct nflb_stats_block *b, *spare = NULL;
	struct nflb_stats __percpu *st;
	bool fresh = false;
	unsigned int i;

	for (;;) {
		spin_lock_bh(&nflb_stats_lock);
		b = list_first_entry_or_null(&nflb_stats_blocks,
					     struct nflb_stats_block, list);
		if (b && b->used < NFLB_STATS_PER_BLOCK)
			break;
		if (spare) {
			b = spare;
			spare = NULL;
			fresh = true;
			list_add(&b->list, &nflb_stats_blocks);
			break;
		}
		spin_unlock_bh(&nflb_stats_lock);
		spare = nflb_stats_block_new();
		if (!spare)
			return NULL;
	}
	i = find_first_zero_bit(b->map, NFLB_STATS_PER_BLOCK);
	__set_bit(i, b->map);
	if (!b->used && !fresh)
		nflb_stats_empty--;
	if (++b->used == NFLB_STATS_PER_BLOCK)
		list_move_tail(&b->list, &nflb_stats_blocks);
	spin_unlock_bh(&nflb_stats_lock);
	if (spare)
		nflb_stats_block_free(spare);
	st = b->base + i;
	nflb_stats_init(st);
	*blk = b;
	return st;
}

void nflb_stats_free(struct nflb_stats __percpu *st,
		     struct nflb_stats_block *b)
{
	bool drop;

	spin_lock_bh(&nflb_stats_lock);
	__clear_bit(st - b->base, b->map);
	if (b->used-- == NFLB_STATS_PER_BLOCK)
		list_move(&b->list, &nflb_stats_blocks);
	/*
	 * One empty block is kept for the next allocation; any other is
	 * freed at once, so that the memory (charged to whoever needed the
	 * block) goes back when the objects go.
	 */
	drop = !b->used && nflb_stats_empty;
	if (drop)
		list_del(&b->list);
	else if (!b->used)
		nflb_stats_empty++;
	spin_unlock_bh(&nflb_stats_lock);
	if (drop)
		nflb_stats_block_free(b);
}

/* Module exit, after every object is gone. */
void nflb_stats_exit(void)
{
	struct nflb_stats_block *b, *tmp;

	list_for_each_entry_safe(b, tmp, &nflb_stats_blocks, list) {
		WARN_ON_ONCE(b->used);
		list_del(&b->list);
		nflb_stats_block_free(b);
	}
}

void nflb_stats_sum(struct nflb_stats __percpu *st, u64 *out)
{
	int cpu, i;

	memset(out, 0, sizeof(u64) * NFLB_C_MAX);
	for_each_possible_cpu(cpu) {
		const struct nflb_stats *s = per_cpu_ptr(st, cpu);
		u64 v[NFLB_C_MAX];
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			for (i = 0; i < NFLB_C_MAX; i++)
				v[i] = u64_stats_read(&s->c[i]);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		for (i = 0; i < NFLB_C_MAX; i++)
			out[i] += v[i];
	}
}

/*
 * Zeroes @cpu's copy.  The caller runs on @cpu with BH disabled (or @cpu is
 * offline), so no datapath update of that copy can interleave: zeroing a
 * copy from another CPU would race its owner's non-atomic additions.
 */
void nflb_stats_zero_cpu(struct nflb_stats __percpu *st, int cpu)
{
	struct nflb_stats *s = per_cpu_ptr(st, cpu);
	int i;

	u64_stats_update_begin(&s->syncp);
	for (i = 0; i < NFLB_C_MAX; i++)
		u64_stats_set(&s->c[i], 0);
	u64_stats_update_end(&s->syncp);
}

/* Counter slot to netlink attribute; -1 where the slot has no attribute. */
static const int nflb_stats_attr[NFLB_C_MAX] = {
	[NFLB_C_PKTS_IN] = NFLB_STATS_A_PKTS_IN,
	[NFLB_C_BYTES_IN] = NFLB_STATS_A_BYTES_IN,
	[NFLB_C_PKTS_OUT] = NFLB_STATS_A_PKTS_OUT,
	[NFLB_C_BYTES_OUT] = NFLB_STATS_A_BYTES_OUT,
	[NFLB_C_SESSIONS_CREATED] = NFLB_STATS_A_SESSIONS_CREATED,
	[NFLB_C_SESSIONS_EXPIRED] = NFLB_STATS_A_SESSIONS_EXPIRED,
	[NFLB_C_SESSIONS_EVICTED] = NFLB_STATS_A_SESSIONS_EVICTED,
	[NFLB_C_DROP_FIRST + NFLB_DROP_NO_SESSION] = NFLB_STATS_A_DROP_NO_SESSION,
	[NFLB_C_DROP_FIRST + NFLB_DROP_SESSION_LIMIT] = NFLB_STATS_A_DROP_SESSION_LIMIT,
	[NFLB_C_DROP_FIRST + NFLB_DROP_MALFORMED] = NFLB_STATS_A_DROP_MALFORMED,
	[NFLB_C_DROP_FIRST + NFLB_DROP_NO_MEMBER] = NFLB_STATS_A_DROP_NO_MEMBER,
	[NFLB_C_DROP_FIRST + NFLB_DROP_BAD_CSUM] = NFLB_STATS_A_DROP_BAD_CSUM,
	[NFLB_C_DROP_FIRST + NFLB_DROP_NOMEM] = NFLB_STATS_A_DROP_NOMEM,
	[NFLB_C_DROP_FIRST + NFLB_DROP_OUT_OF_WINDOW] =
		NFLB_STATS_A_DROP_OUT_OF_WINDOW,
	[NFLB_C_RESETS_SENT] = NFLB_STATS_A_RESETS_SENT,
	[NFLB_C_ICMP_XLATED] = NFLB_STATS_A_ICMP_XLATED,
	[NFLB_C_PASSIVE_FAILS] = NFLB_STATS_A_PASSIVE_FAILS,
	[NFLB_C_EJECTIONS] = NFLB_STATS_A_EJECTIONS,
	[NFLB_C_EJECTIONS_CAPPED] = NFLB_STATS_A_EJECTIONS_CAPPED,
};

int nflb_stats_fill(struct sk_buff *skb, int attrtype,
		    struct nflb_stats __percpu *st, u64 active)
{
	u64 v[NFLB_C_MAX];

	nflb_stats_sum(st, v);
	return nflb_stats_fill_sums(skb, attrtype, v, active, U64_MAX);
}

int nflb_stats_fill_sums(struct sk_buff *skb, int attrtype, const u64 *v,
			 u64 active, u64 persist)
{
	struct nlattr *nest;
	int i;

	nest = nla_nest_start(skb, attrtype);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < NFLB_C_MAX; i++) {
		if (!nflb_stats_attr[i])
			continue;
		if (nla_put_u64_64bit(skb, nflb_stats_attr[i], v[i],
				      NFLB_STATS_A_PAD))
			goto cancel;
	}
	if (nla_put_u64_64bit(skb, NFLB_STATS_A_SESSIONS_ACTIVE, active,
			      NFLB_STATS_A_PAD))
		goto cancel;
	if (persist != U64_MAX &&
	    nla_put_u64_64bit(skb, NFLB_STATS_A_PERSIST_ACTIVE, persist,
			      NFLB_STATS_A_PAD))
		goto cancel;
	nla_nest_end(skb, nest);
	return 0;
cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}
