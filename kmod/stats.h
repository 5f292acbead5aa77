/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFLB_STATS_H
#define _NFLB_STATS_H

#include <linux/percpu.h>
#include <linux/u64_stats_sync.h>
#include <linux/nflb.h>

/*
 * One slot per counter; drops follow enum nflb_drop_reason in order.
 * Packet and byte counters are kept per virtual server and member only (one
 * update per packet fewer); the netns totals are the virtual servers' sum
 * plus what deleted virtual servers had counted (nflb_net.retired).
 */
enum nflb_counter {
	NFLB_C_PKTS_IN,
	NFLB_C_BYTES_IN,
	NFLB_C_PKTS_OUT,
	NFLB_C_BYTES_OUT,
	NFLB_C_SESSIONS_CREATED,
	NFLB_C_SESSIONS_EXPIRED,
	NFLB_C_SESSIONS_EVICTED,
	NFLB_C_DROP_FIRST,
	NFLB_C_DROP_LAST = NFLB_C_DROP_FIRST + NFLB_DROP_MAX,
	NFLB_C_RESETS_SENT,
	NFLB_C_ICMP_XLATED,
	NFLB_C_PASSIVE_FAILS,
	NFLB_C_EJECTIONS,
	NFLB_C_EJECTIONS_CAPPED,
	NFLB_C_MAX
};

struct nflb_stats {
	u64_stats_t c[NFLB_C_MAX];
	struct u64_stats_sync syncp;
};

struct nflb_stats_block;

/*
 * The counters are a slot of a shared block; *@blk says which (give it
 * back to nflb_stats_free()).
 */
struct nflb_stats __percpu *nflb_stats_alloc(struct nflb_stats_block **blk);
void nflb_stats_free(struct nflb_stats __percpu *st,
		     struct nflb_stats_block *blk);
void nflb_stats_exit(void);
void nflb_stats_sum(struct nflb_stats __percpu *st, u64 *out);
void nflb_stats_zero_cpu(struct nflb_stats __percpu *st, int cpu);
int nflb_stats_fill(struct sk_buff *skb, int attrtype,
		    struct nflb_stats __percpu *st, u64 active);
/* @persist: persistence entries, for the netns totals; U64_MAX: none. */
int nflb_stats_fill_sums(struct sk_buff *skb, int attrtype, const u64 *v,
			 u64 active, u64 persist);

/*
 * Callers run in softirq, or in process context with BH disabled: either
 * way nothing else on this CPU touches the same counters meanwhile.
 */
static inline void nflb_stats_add(struct nflb_stats __percpu *st,
				  enum nflb_counter c, u64 v)
{
	struct nflb_stats *s = this_cpu_ptr(st);

	u64_stats_update_begin(&s->syncp);
	u64_stats_add(&s->c[c], v);
	u64_stats_update_end(&s->syncp);
}

/* Packet and byte counters of one direction in a single update section. */
static inline void nflb_stats_pkt(struct nflb_stats __percpu *st, bool in,
				  unsigned int len)
{
	struct nflb_stats *s = this_cpu_ptr(st);
	int base = in ? NFLB_C_PKTS_IN : NFLB_C_PKTS_OUT;

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->c[base]);
	u64_stats_add(&s->c[base + 1], len);
	u64_stats_update_end(&s->syncp);
}

#endif /* _NFLB_STATS_H */
