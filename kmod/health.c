// SPDX-License-Identifier: GPL-2.0
/*
 * Member health and slow start.
 *
 * Health is stored with the member (service.h) and read by the schedulers
 * with READ_ONCE; every change here happens under the netns' cfg_mutex and
 * is followed by a new pool snapshot, so that the Maglev tables and WRR
 * orders, which bake weights in, leave out an unhealthy member.  Sessions
 * already on a member are never touched: only new ones are scheduled.
 *
 * Slow start: when health comes back up, weight_now starts at about
 * weight/slow-start and grows by that much each second until it is the
 * weight.  Ramping members are on ln->health_ramp; one delayed work per
 * namespace raises them once a second and republishes each affected pool
 * once.  Its work is bounded by the members ramping, at most max_members.
 */
#include <linux/ktime.h>
#include <linux/timekeeping.h>
#include "health.h"

static const struct nflb_health_hooks __rcu *nflb_health_hooks;

void nflb_health_set_hooks(const struct nflb_health_hooks *hooks)
{
	rcu_assign_pointer(nflb_health_hooks, hooks);
	if (!hooks)
		synchronize_rcu();
}

void nflb_health_notify(struct nflb_net *ln, const struct nflb_member *m)
{
	const struct nflb_health_hooks *hooks;

	if (!m->pool)
		return;
	rcu_read_lock();
	hooks = rcu_dereference(nflb_health_hooks);
	if (hooks)
		hooks->changed(ln->net, m->pool->name, m);
	rcu_read_unlock();
}

/*
 * The weight slow start allows @m now: weight * (seconds since it came
 * back + 1) / slow-start, at least 1, and the whole weight once the ramp
 * is over (or when there is none).
 */
static u32 nflb_ramp_weight(const struct nflb_member *m, unsigned long now)
{
	u32 slow = m->pool ? m->pool->check.slow_start : 0;
	u64 secs;

	if (!m->ramp_start || !slow || !m->weight)
		return m->weight;
	/* ramp_start may be a jiffy ahead: it is made odd, never 0 */
	secs = (time_after(now, m->ramp_start) ? now - m->ramp_start : 0) / HZ + 1;
	if (secs >= slow)
		return m->weight;
	return max_t(u32, 1, div_u64((u64)m->weight * secs, slow));
}

/* Recomputes weight_now; ends the ramp when it is over.  Whether it moved. */
bool nflb_health_weight(struct nflb_member *m)
{
	u32 w = nflb_ramp_weight(m, jiffies);
	bool moved = w != m->weight_now;

	WRITE_ONCE(m->weight_now, w);
	if (w == m->weight) {
		m->ramp_start = 0;
		list_del_init(&m->ramp_node);
	}
	return moved;
}

static void nflb_ramp_kick(struct nflb_net *ln)
{
	if (!ln->health_stop && !list_empty(&ln->health_ramp))
		queue_delayed_work(system_wq, &ln->health_work, HZ);
}

static void nflb_ramp_start(struct nflb_net *ln, struct nflb_member *m)
{
	if (!m->pool || !m->pool->check.slow_start || !m->weight)
		return;
	m->ramp_start = jiffies | 1;	/* 0 means "not ramping" */
	if (list_empty(&m->ramp_node))
		list_add_tail(&m->ramp_node, &ln->health_ramp);
	nflb_health_weight(m);
	nflb_ramp_kick(ln);
}

bool nflb_health_change(struct nflb_net *ln, struct nflb_member *m,
			u8 health, const char *reason)
{
	u8 old = m->health;

	if (reason)
		strscpy(m->health_reason, reason, sizeof(m->health_reason));
	if (old == health)
		return false;
	WRITE_ONCE(m->health, health);
	m->health_since = ktime_get_real_seconds();
	if (health == NFLB_HEALTH_UP) {
		nflb_ramp_start(ln, m);
	} else {
		/* Out of scheduling: a ramp in progress starts over later. */
		m->ramp_start = 0;
		list_del_init(&m->ramp_node);
		WRITE_ONCE(m->weight_now, m->weight);
	}
	return true;
}

/* Health change of a listed member, published and announced. */
static int nflb_health_apply(struct nflb_net *ln, struct nflb_member *m,
			     u8 from, u8 to, const char *reason)
{
	int err;

	if (!m->pool)
		return -ENOENT;
	if (m->health != from)
		return -EALREADY;
	nflb_health_change(ln, m, to, reason);
	err = nflb_pool_publish(ln, m->pool);
	if (err)
		/* The flag alone still keeps new sessions off (or lets them
		 * on): only weights baked in the snapshot are stale.
		 */
		pr_warn_ratelimited("nflb: pool %s: snapshot not rebuilt\n",
				    m->pool->name);
	nflb_health_notify(ln, m);
	return 0;
}

int nflb_health_eject(struct nflb_net *ln, struct nflb_member *m,
		      const char *reason)
{
	int err;

	mutex_lock(&ln->cfg_mutex);
	err = nflb_health_apply(ln, m, NFLB_HEALTH_UP, NFLB_HEALTH_EJECTED,
				reason);
	if (!err)
		m->ejections++;
	mutex_unlock(&ln->cfg_mutex);
	return err;
}

int nflb_health_restore(struct nflb_net *ln, struct nflb_member *m)
{
	int err;

	mutex_lock(&ln->cfg_mutex);
	err = nflb_health_apply(ln, m, NFLB_HEALTH_EJECTED, NFLB_HEALTH_UP,
				"hold over");
	mutex_unlock(&ln->cfg_mutex);
	return err;
}

unsigned int nflb_health_ejected(const struct nflb_pool *pool)
{
	const struct nflb_member *m;
	unsigned int n = 0;

	list_for_each_entry(m, &pool->members, list)
		n += m->health == NFLB_HEALTH_EJECTED;
	return n;
}

/*
 * Once a second while members ramp: raise their weight_now and republish
 * each pool whose members moved, once.
 */
static void nflb_health_work(struct work_struct *work)
{
	struct nflb_net *ln = container_of(to_delayed_work(work),
					   struct nflb_net, health_work);
	struct nflb_member *m, *tmp;
	struct nflb_pool *pool, *ptmp;
	LIST_HEAD(dirty);

	mutex_lock(&ln->cfg_mutex);
	list_for_each_entry_safe(m, tmp, &ln->health_ramp, ramp_node) {
		if (nflb_health_weight(m) && list_empty(&m->pool->ramp_dirty))
			list_add_tail(&m->pool->ramp_dirty, &dirty);
	}
	list_for_each_entry_safe(pool, ptmp, &dirty, ramp_dirty) {
		list_del_init(&pool->ramp_dirty);
		if (nflb_pool_publish(ln, pool))
			pr_warn_ratelimited("nflb: pool %s: slow start step not published\n",
					    pool->name);
		cond_resched();
	}
	nflb_ramp_kick(ln);
	mutex_unlock(&ln->cfg_mutex);
}

void nflb_health_net_init(struct nflb_net *ln)
{
	INIT_LIST_HEAD(&ln->health_ramp);
	INIT_DELAYED_WORK(&ln->health_work, nflb_health_work);
	ln->health_stop = false;
}

/* Before the namespace's objects go: no worker runs or is queued after. */
void nflb_health_net_exit(struct nflb_net *ln)
{
	mutex_lock(&ln->cfg_mutex);
	ln->health_stop = true;
	mutex_unlock(&ln->cfg_mutex);
	cancel_delayed_work_sync(&ln->health_work);
}
