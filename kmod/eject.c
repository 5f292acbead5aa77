// SPDX-License-Identifier: GPL-2.0
/*
 * Passive detection, the deciding half: the worker that ejects members
 * whose run of failed handshakes (passive.c) reached their pool's
 * threshold, and brings them back when their hold is over.
 *
 * Process context, under cfg_mutex, never in softirq: the datapath only
 * kicks ln->passive_work.  Each run walks every pool's members (bounded by
 * max-members); a run is due on a kick and at the earliest end of a hold.
 *
 * The hold doubles with each ejection that follows the member's return
 * within hold-max (it failed again soon after being retried), up to
 * hold-max; a member that stays in service for hold-max after a return
 * starts again from hold.  At most max-eject percent of a pool's members
 * (rounded down) are out at once: an ejection past that share is not made
 * and is counted (ejections-capped), and the member's run starts over.
 * A lone member is never ejected at 50%: a client-side outage, which makes
 * every member look dead, must not empty a pool.
 */
#include <linux/workqueue.h>
#include "main.h"
#include "health.h"
#include "service.h"
#include "eject.h"

static const char *const nflb_fail_text[] = {
	[NFLB_FAIL_NONE] = "failures",
	[NFLB_FAIL_RST] = "connection refused (RST to SYN)",
	[NFLB_FAIL_SYN_TIMEOUT] = "no SYN-ACK in time",
	[NFLB_FAIL_UNREACH] = "ICMP unreachable",
	[NFLB_FAIL_UDP_ONEWAY] = "UDP flow never answered",
};

/* The passive counters live with BH off (stats.h). */
static void nflb_eject_count(struct nflb_net *ln, struct nflb_member *m,
			     enum nflb_counter c)
{
	local_bh_disable();
	nflb_stats_add(ln->stats, c, 1);
	nflb_stats_add(m->stats, c, 1);
	local_bh_enable();
}

/* Earliest of two jiffies deadlines, 0 standing for none. */
static unsigned long nflb_earliest(unsigned long a, unsigned long b)
{
	if (!a)
		return b;
	return b && time_before(b, a) ? b : a;
}

/* This ejection's hold in ms; moves the back-off a step (see the top). */
static u32 nflb_eject_hold(const struct nflb_passive *c,
			   struct nflb_passive_state *ps)
{
	unsigned long recent = msecs_to_jiffies(c->hold_max_ms);
	u64 hold;

	if (!ps->back || time_after(jiffies, ps->back + recent))
		ps->level = 0;
	hold = min_t(u64, (u64)c->hold_ms << ps->level, c->hold_max_ms);
	if (hold < c->hold_max_ms)
		ps->level++;
	return hold;
}

/*
 * Takes @m out for a hold, without publishing; false if it is not up
 * (down by the active check, or ejected already).
 */
static bool nflb_eject_one(struct nflb_net *ln, struct nflb_pool *pool,
			   struct nflb_member *m)
{
	struct nflb_passive_state *ps = &m->passive;
	char reason[NFLB_HEALTH_REASON_MAX];
	u8 last = READ_ONCE(ps->last);
	u32 hold;

	if (m->health != NFLB_HEALTH_UP)
		return false;
	hold = nflb_eject_hold(&pool->passive, ps);
	snprintf(reason, sizeof(reason), "passive: %u x %s, out %u ms",
		 atomic_read(&ps->run),
		 nflb_fail_text[last < ARRAY_SIZE(nflb_fail_text) ? last : 0],
		 hold);
	ps->until = (jiffies + msecs_to_jiffies(hold)) ?: 1;
	nflb_health_change(ln, m, NFLB_HEALTH_EJECTED, reason);
	m->ejections++;
	nflb_eject_count(ln, m, NFLB_C_EJECTIONS);
	return true;
}

/*
 * Puts @m back, without publishing; false if its health is no longer
 * passive detection's (the active check took it down meanwhile).
 */
static bool nflb_eject_return(struct nflb_net *ln, struct nflb_member *m)
{
	m->passive.until = 0;
	m->passive.back = jiffies ?: 1;
	atomic_set(&m->passive.run, 0);
	if (m->health != NFLB_HEALTH_EJECTED)
		return false;
	return nflb_health_change(ln, m, NFLB_HEALTH_UP,
				  "passive: hold over, retried");
}

/*
 * Returns the members whose hold is over (all of them with passive off)
 * and counts those still out; *@next gets the earliest end of a hold.
 */
static unsigned int nflb_eject_returns(struct nflb_net *ln,
				       struct nflb_pool *pool,
				       unsigned long *next)
{
	bool on = pool->passive.enabled;
	unsigned int out = 0;
	struct nflb_member *m;

	list_for_each_entry(m, &pool->members, list) {
		unsigned long until = m->passive.until;

		if (!until)
			continue;
		if (!on || !time_before(jiffies, until)) {
			m->passive.notify = nflb_eject_return(ln, m);
			continue;
		}
		/* lbhealthd may have set its health meanwhile: not out then. */
		out += m->health == NFLB_HEALTH_EJECTED;
		*next = nflb_earliest(*next, until);
	}
	return out;
}

/* Ejects the members at their threshold, up to the cap. */
static void nflb_eject_due(struct nflb_net *ln, struct nflb_pool *pool,
			   unsigned int out, unsigned long *next)
{
	const struct nflb_passive *c = &pool->passive;
	unsigned int cap = pool->member_count * c->max_eject / 100;
	struct nflb_member *m;

	if (!c->enabled)
		return;
	list_for_each_entry(m, &pool->members, list) {
		if (m->passive.until || atomic_read(&m->passive.run) < c->fails)
			continue;
		if (out >= cap) {
			nflb_eject_count(ln, m, NFLB_C_EJECTIONS_CAPPED);
		} else if (nflb_eject_one(ln, pool, m)) {
			m->passive.notify = true;
			*next = nflb_earliest(*next, m->passive.until);
			out++;
			continue;
		}
		/* Not ejected: its run starts over. */
		atomic_set(&m->passive.run, 0);
	}
}

/* One pool: returns, ejections, one snapshot rebuild, then the events. */
static void nflb_eject_pool(struct nflb_net *ln, struct nflb_pool *pool,
			    unsigned long *next)
{
	bool changed = false;
	struct nflb_member *m;

	nflb_eject_due(ln, pool, nflb_eject_returns(ln, pool, next), next);
	list_for_each_entry(m, &pool->members, list)
		changed |= m->passive.notify;
	if (!changed)
		return;
	if (nflb_pool_publish(ln, pool))
		/* The flag alone keeps new sessions off (or lets them on). */
		pr_warn_ratelimited("nflb: pool %s: snapshot not rebuilt\n",
				    pool->name);
	list_for_each_entry(m, &pool->members, list) {
		if (m->passive.notify)
			nflb_health_notify(ln, m);
		m->passive.notify = false;
	}
}

static void nflb_eject_work(struct work_struct *work)
{
	struct nflb_net *ln = container_of(to_delayed_work(work),
					   struct nflb_net, passive_work);
	unsigned long next = 0;
	struct nflb_pool *pool;

	mutex_lock(&ln->cfg_mutex);
	list_for_each_entry(pool, &ln->pool_list, list) {
		nflb_eject_pool(ln, pool, &next);
		cond_resched();
	}
	mutex_unlock(&ln->cfg_mutex);
	/* A kick meanwhile left it pending to run at once: keep that. */
	if (next)
		queue_delayed_work(system_wq, &ln->passive_work,
				   nflb_jiffies_until(next));
}

void nflb_eject_init(struct nflb_net *ln)
{
	INIT_DELAYED_WORK(&ln->passive_work, nflb_eject_work);
}

/* After the datapath is gone (no more kicks). */
void nflb_eject_exit(struct nflb_net *ln)
{
	cancel_delayed_work_sync(&ln->passive_work);
}
