// SPDX-License-Identifier: GPL-2.0
/*
 * Passive detection, the datapath's half: failed handshakes are counted
 * against their member here, and the ejection worker (eject.c) is kicked
 * when a member's run of consecutive failures reaches its pool's
 * threshold.  Called from softirq (or BH disabled) on the failure path
 * only; successes are nflb_passive_ok(), inline.
 *
 * A session counts at most once (NFLB_S_FAILED): the ICMP errors a flow
 * draws, then its expiry, are one failed handshake, not several.
 */
#include <linux/workqueue.h>
#include "main.h"
#include "service.h"
#include "passive.h"

void nflb_passive_kick(struct nflb_net *ln)
{
	mod_delayed_work(system_wq, &ln->passive_work, 0);
}

void nflb_passive_fail(struct nflb_net *ln, struct nflb_session *s,
		       enum nflb_fail kind)
{
	struct nflb_member *m = s->member;
	struct nflb_pool *pool;
	u32 fails;

	/* m->pool is NULL once the member left; else RCU keeps it (service.h). */
	pool = READ_ONCE(m->pool);
	if (!pool || !READ_ONCE(pool->passive.enabled))
		return;
	if (kind == NFLB_FAIL_UDP_ONEWAY && !READ_ONCE(m->passive.udp_answered))
		return;
	if (test_and_set_bit(NFLB_S_FAILED, &s->flags))
		return;
	nflb_stats_add(ln->stats, NFLB_C_PASSIVE_FAILS, 1);
	nflb_stats_add(m->stats, NFLB_C_PASSIVE_FAILS, 1);
	WRITE_ONCE(m->passive.last, kind);
	fails = READ_ONCE(pool->passive.fails);
	/* From the threshold on, until the worker decides and zeroes it. */
	if (atomic_inc_return(&m->passive.run) >= fails)
		nflb_passive_kick(ln);
}
