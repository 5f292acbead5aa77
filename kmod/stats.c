// SPDX-License-Identifier: GPL-2.0
/*
 * Per-cpu counters for the netns, every virtual server and every member.
 * The datapath only ever touches its own CPU's copy; readers sum.
 */
#include <net/netlink.h>
#include "stats.h"

struct nflb_stats __percpu *nflb_stats_alloc(void)
{
	struct nflb_stats __percpu *st;
	int cpu;

	st = alloc_percpu(struct nflb_stats);
	if (!st)
		return NULL;
	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(st, cpu)->syncp);
	return st;
}

void nflb_stats_free(struct nflb_stats __percpu *st)
{
	free_percpu(st);
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

void nflb_stats_zero(struct nflb_stats __percpu *st)
{
	int cpu, i;

	local_bh_disable();
	for_each_possible_cpu(cpu) {
		struct nflb_stats *s = per_cpu_ptr(st, cpu);

		u64_stats_update_begin(&s->syncp);
		for (i = 0; i < NFLB_C_MAX; i++)
			u64_stats_set(&s->c[i], 0);
		u64_stats_update_end(&s->syncp);
	}
	local_bh_enable();
}

/* Counter slot to netlink attribute; -1 where the slot has no attribute. */
static const int nflb_stats_attr[NFLB_C_MAX] = {
	[NFLB_C_PKTS_IN] = NFLB_STATS_A_PKTS_IN,
	[NFLB_C_BYTES_IN] = NFLB_STATS_A_BYTES_IN,
	[NFLB_C_PKTS_OUT] = NFLB_STATS_A_PKTS_OUT,
	[NFLB_C_BYTES_OUT] = NFLB_STATS_A_BYTES_OUT,
	[NFLB_C_SESSIONS_CREATED] = NFLB_STATS_A_SESSIONS_CREATED,
	[NFLB_C_SESSIONS_EXPIRED] = NFLB_STATS_A_SESSIONS_EXPIRED,
	[NFLB_C_DROP_FIRST + NFLB_DROP_NO_SESSION] = NFLB_STATS_A_DROP_NO_SESSION,
	[NFLB_C_DROP_FIRST + NFLB_DROP_SESSION_LIMIT] = NFLB_STATS_A_DROP_SESSION_LIMIT,
	[NFLB_C_DROP_FIRST + NFLB_DROP_MALFORMED] = NFLB_STATS_A_DROP_MALFORMED,
	[NFLB_C_DROP_FIRST + NFLB_DROP_NO_MEMBER] = NFLB_STATS_A_DROP_NO_MEMBER,
	[NFLB_C_DROP_FIRST + NFLB_DROP_BAD_CSUM] = NFLB_STATS_A_DROP_BAD_CSUM,
	[NFLB_C_DROP_FIRST + NFLB_DROP_NOMEM] = NFLB_STATS_A_DROP_NOMEM,
	[NFLB_C_RESETS_SENT] = NFLB_STATS_A_RESETS_SENT,
	[NFLB_C_ICMP_XLATED] = NFLB_STATS_A_ICMP_XLATED,
};

int nflb_stats_fill(struct sk_buff *skb, int attrtype,
		    struct nflb_stats __percpu *st, u64 active)
{
	u64 v[NFLB_C_MAX];

	nflb_stats_sum(st, v);
	return nflb_stats_put(skb, attrtype, v, active);
}

int nflb_stats_put(struct sk_buff *skb, int attrtype, const u64 *v,
		   u64 active)
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
	nla_nest_end(skb, nest);
	return 0;
cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}
