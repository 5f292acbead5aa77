// SPDX-License-Identifier: GPL-2.0
/*
 * Configuration operations: one call per change netlink asks for.
 *
 * An operation resolves the names in its request, applies the defaults
 * and passes the rules of config.c, changes the objects (service.c), and
 * then brings the datapath along: pool snapshots rebuilt, the sessions of
 * a deleted virtual server or member ended, the hooks switched on with the
 * first virtual server and off with the last.  Everything here runs in
 * process context under the netns' cfg_mutex, but for
 * nflb_op_sessions_expire(), which needs no configuration to stay put.
 */
#include <linux/cpu.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <net/netlink.h>
#include "compat.h"
#include "health.h"
#include "hooks.h"
#include "main.h"
#include "ops.h"
#include "persist.h"
#include "service.h"
#include "session.h"
#include "sync.h"

/* A deadline @secs from now in jiffies; 0 means none, so never lands on 0. */
static unsigned long nflb_deadline(u32 secs)
{
	return secs ? (jiffies + secs * HZ) | 1 : 0;
}

struct nflb_vs *nflb_op_vs_named(struct nflb_net *ln, const char *name,
				 struct netlink_ext_ack *extack)
{
	struct nflb_vs *vs = nflb_vs_find(ln, name);

	if (!vs)
		NL_SET_ERR_MSG(extack, "virtual server does not exist");
	return vs;
}

struct nflb_pool *nflb_op_pool_named(struct nflb_net *ln, const char *name,
				     struct netlink_ext_ack *extack)
{
	struct nflb_pool *pool = nflb_pool_find(ln, name);

	if (!pool)
		NL_SET_ERR_MSG(extack, "pool does not exist");
	return pool;
}

/* The member @req names (pool, address, port); its pool in @pool. */
struct nflb_member *nflb_op_member_named(struct nflb_net *ln,
					 struct nflb_member_req *req,
					 struct nflb_pool **pool,
					 struct netlink_ext_ack *extack)
{
	struct nflb_member *m;

	*pool = nflb_op_pool_named(ln, req->pool, extack);
	if (!*pool) {
		req->bad_attr = NFLB_MEMBER_A_POOL;
		return NULL;
	}
	m = nflb_member_find(*pool, req->family, &req->addr, req->port);
	if (!m)
		NL_SET_ERR_MSG(extack, "member does not exist in this pool");
	return m;
}

/* ---- virtual servers ---------------------------------------------------- */

static void nflb_vs_timeouts(struct nflb_vs *vs, const struct nflb_vs_req *req)
{
	int i;

	for (i = 0; i <= NFLB_STATE_MAX; i++)
		if (req->timeouts_has & BIT(i))
			WRITE_ONCE(vs->timeouts[i], req->timeouts[i]);
}

/*
 * The changeable options of a new virtual server (@is_new, @vs a template)
 * or a live one, checked before any is applied.  @pool: the pool the
 * request names, NULL if it names none.
 */
static int nflb_vs_change(struct nflb_net *ln, struct nflb_vs *vs, bool is_new,
			  struct nflb_vs_req *req, struct nflb_pool **pool,
			  struct netlink_ext_ack *extack)
{
	u8 sched = NFLB_REQ_HAS(req, NFLB_VS_A_SCHED) ? req->sched : vs->sched;
	u32 mh_size = NFLB_REQ_HAS(req, NFLB_VS_A_MH_SIZE) ? req->mh_size :
			vs->mh_size;
	int err;

	*pool = NULL;
	if (NFLB_REQ_HAS(req, NFLB_VS_A_POOL)) {
		*pool = nflb_op_pool_named(ln, req->pool, extack);
		if (!*pool) {
			req->bad_attr = NFLB_VS_A_POOL;
			return -ENOENT;
		}
	}
	/* Only what changes the Maglev set-up is checked against it. */
	if (is_new || req->has & (BIT(NFLB_VS_A_SCHED) |
				  BIT(NFLB_VS_A_MH_SIZE) |
				  BIT(NFLB_VS_A_POOL))) {
		err = nflb_config_vs_mh(ln, is_new ? NULL : vs,
					*pool ?: rcu_access_pointer(vs->pool),
					sched, mh_size, extack);
		if (err)
			return err;
	}
	if (is_new)
		vs->sched = sched;
	else
		nflb_vs_set_sched(vs, sched);
	WRITE_ONCE(vs->mh_size, mh_size);
	if (NFLB_REQ_HAS(req, NFLB_VS_A_FLAGS))
		WRITE_ONCE(vs->flags, req->flags);
	if (NFLB_REQ_HAS(req, NFLB_VS_A_MAX_SESSIONS))
		WRITE_ONCE(vs->max_sessions, req->max_sessions);
	if (NFLB_REQ_HAS(req, NFLB_VS_A_PERSIST_TIMEOUT))
		WRITE_ONCE(vs->persist_timeout, req->persist_timeout);
	if (NFLB_REQ_HAS(req, NFLB_VS_A_PERSIST_MASK4))
		WRITE_ONCE(vs->persist_mask4, req->persist_mask4);
	if (NFLB_REQ_HAS(req, NFLB_VS_A_PERSIST_MASK6))
		WRITE_ONCE(vs->persist_mask6, req->persist_mask6);
	if (!(vs->flags & NFLB_VS_F_DRAIN))
		WRITE_ONCE(vs->drain_deadline, 0);
	else if (NFLB_REQ_HAS(req, NFLB_VS_A_DRAIN_TIMEOUT))
		WRITE_ONCE(vs->drain_deadline,
			   nflb_deadline(req->drain_timeout));
	nflb_vs_timeouts(vs, req);
	return 0;
}

static int nflb_vs_new_check(struct nflb_net *ln, struct nflb_vs_req *req,
			     struct netlink_ext_ack *extack)
{
	int err = nflb_config_vs_admit(ln, extack);

	if (err)
		return err;
	if (nflb_vs_find(ln, req->name)) {
		NL_SET_ERR_MSG(extack, "virtual server exists");
		req->bad_attr = NFLB_VS_A_NAME;
		return -EEXIST;
	}
	if (nflb_vs_find_vip(ln, req->family, req->proto, &req->vip,
			     req->port)) {
		NL_SET_ERR_MSG(extack,
			       "a virtual server with this address, port and proto exists");
		return -EEXIST;
	}
	return 0;
}

/*
 * A new virtual server.  The first of a namespace switches its datapath
 * on; a Maglev one needs its table in the pool's snapshot.
 */
int nflb_op_vs_new(struct nflb_net *ln, struct nflb_vs_req *req,
		   struct nflb_vs **out, struct netlink_ext_ack *extack)
{
	struct nflb_pool *pool;
	struct nflb_vs *tmpl;
	int err;

	err = nflb_vs_new_check(ln, req, extack);
	if (err)
		return err;
	tmpl = kzalloc(sizeof(*tmpl), GFP_KERNEL);
	if (!tmpl)
		return -ENOMEM;
	nflb_config_vs_defaults(tmpl);
	strscpy(tmpl->name, req->name, sizeof(tmpl->name));
	tmpl->family = req->family;
	tmpl->proto = req->proto;
	tmpl->port = req->port;
	tmpl->vip = req->vip;
	err = nflb_vs_change(ln, tmpl, true, req, &pool, extack);
	if (err)
		goto out;
	err = nflb_hooks_start(ln);
	if (!err) {
		*out = nflb_vs_create(ln, tmpl, pool);
		err = PTR_ERR_OR_ZERO(*out);
		if (err && !ln->vs_count)
			nflb_hooks_stop(ln);
	}
	if (err) {
		NL_SET_ERR_MSG(extack, "cannot switch the datapath on");
		goto out;
	}
	if (tmpl->sched == NFLB_SCHED_MH)
		err = nflb_pool_publish(ln, pool);
out:
	kfree(tmpl);
	return err;
}

int nflb_op_vs_set(struct nflb_net *ln, struct nflb_vs *vs,
		   struct nflb_vs_req *req, struct netlink_ext_ack *extack)
{
	static const int fixed[] = { NFLB_VS_A_ADDR4, NFLB_VS_A_ADDR6,
				     NFLB_VS_A_PORT, NFLB_VS_A_PROTO };
	struct nflb_pool *pool, *old_pool;
	bool mh_before;
	int i, err;

	for (i = 0; i < ARRAY_SIZE(fixed); i++) {
		if (NFLB_REQ_HAS(req, fixed[i])) {
			NL_SET_ERR_MSG(extack,
				       "address, port and proto cannot change: delete and re-add");
			req->bad_attr = fixed[i];
			return -EINVAL;
		}
	}
	old_pool = rcu_dereference_protected(vs->pool, true);
	mh_before = vs->sched == NFLB_SCHED_MH;
	err = nflb_vs_change(ln, vs, false, req, &pool, extack);
	if (err)
		return err;
	if (pool)
		nflb_vs_set_pool(vs, pool);
	/* Maglev tables follow the virtual servers that use them. */
	if (mh_before || vs->sched == NFLB_SCHED_MH) {
		err = nflb_pool_publish(ln, pool ?: old_pool);
		if (!err && pool && pool != old_pool)
			err = nflb_pool_publish(ln, old_pool);
	}
	return err;
}

static void nflb_expire_dead_vs(struct nflb_net *ln, struct nflb_session *s,
				void *arg)
{
	if (s->vs->dead)
		nflb_session_expire(ln, s, NFLB_RST_NONE);
}

/*
 * After the grace period no CPU is still creating sessions for @vs, so one
 * walk removes all of them.  The last virtual server takes the hooks off.
 */
void nflb_op_vs_delete(struct nflb_net *ln, struct nflb_vs *vs)
{
	nflb_vs_unpublish(ln, vs);
	synchronize_rcu();
	nflb_session_for_each(ln, nflb_expire_dead_vs, NULL);
	nflb_persist_flush_vs(ln, vs);
	nflb_vs_put(vs);
	if (!ln->vs_count)
		nflb_hooks_stop(ln);
}

/* ---- pools -------------------------------------------------------------- */

/*
 * The check @req makes of @pool's: from the defaults when it names a
 * type (a new kind of check), else from the pool's, with the fields given.
 * @c owns copies of its strings; the caller frees them if it drops @c.
 */
static int nflb_check_build(const struct nflb_pool *pool,
			    const struct nflb_check_req *r, struct nflb_check *c)
{
	bool fresh = NFLB_REQ_HAS(r, NFLB_CHECK_A_TYPE);
	const struct nflb_check *v = &r->val;
	int i;

	if (fresh)
		nflb_config_check_defaults(c);
	else
		*c = pool->check;
	for (i = 0; i < NFLB_CHECK_STRS; i++) {
		const char *src = r->str_has & BIT(i) ? r->str[i] :
				  fresh ? NULL : pool->check.str[i];

		c->str[i] = NULL;
		if (src && *src) {
			c->str[i] = kstrdup(src, GFP_KERNEL_ACCOUNT);
			if (!c->str[i]) {
				nflb_check_free(c);
				return -ENOMEM;
			}
		}
	}
	if (fresh)
		c->type = v->type;
	if (NFLB_REQ_HAS(r, NFLB_CHECK_A_PORT))
		c->port = v->port;
	if (NFLB_REQ_HAS(r, NFLB_CHECK_A_STATUS_MIN))
		c->status_min = v->status_min;
	if (NFLB_REQ_HAS(r, NFLB_CHECK_A_STATUS_MAX))
		c->status_max = v->status_max;
	if (NFLB_REQ_HAS(r, NFLB_CHECK_A_INTERVAL))
		c->interval_ms = v->interval_ms;
	if (NFLB_REQ_HAS(r, NFLB_CHECK_A_TIMEOUT))
		c->timeout_ms = v->timeout_ms;
	if (NFLB_REQ_HAS(r, NFLB_CHECK_A_RISE))
		c->rise = v->rise;
	if (NFLB_REQ_HAS(r, NFLB_CHECK_A_FALL))
		c->fall = v->fall;
	if (NFLB_REQ_HAS(r, NFLB_CHECK_A_SLOW_START))
		c->slow_start = v->slow_start;
	if (NFLB_REQ_HAS(r, NFLB_CHECK_A_TLS_VERIFY))
		c->tls_verify = v->tls_verify;
	return 0;
}

static void nflb_passive_build(const struct nflb_pool *pool,
			       const struct nflb_passive_req *r,
			       struct nflb_passive *p)
{
	*p = pool->passive;
	if (NFLB_REQ_HAS(r, NFLB_PASSIVE_A_ENABLED))
		p->enabled = r->val.enabled;
	if (NFLB_REQ_HAS(r, NFLB_PASSIVE_A_FAILS))
		p->fails = r->val.fails;
	if (NFLB_REQ_HAS(r, NFLB_PASSIVE_A_HOLD))
		p->hold_ms = r->val.hold_ms;
	if (NFLB_REQ_HAS(r, NFLB_PASSIVE_A_HOLD_MAX))
		p->hold_max_ms = r->val.hold_max_ms;
	if (NFLB_REQ_HAS(r, NFLB_PASSIVE_A_MAX_EJECT))
		p->max_eject = r->val.max_eject;
}

static void nflb_passive_write(struct nflb_passive *to,
			       const struct nflb_passive *p)
{
	WRITE_ONCE(to->enabled, p->enabled);
	WRITE_ONCE(to->fails, p->fails);
	WRITE_ONCE(to->hold_ms, p->hold_ms);
	WRITE_ONCE(to->hold_max_ms, p->hold_max_ms);
	WRITE_ONCE(to->max_eject, p->max_eject);
}

/*
 * Without a check nobody reports health any more: members the check had
 * taken down come back (with slow start), rather than stay down for good.
 */
static void nflb_pool_check_gone(struct nflb_net *ln, struct nflb_pool *pool)
{
	struct nflb_member *m;

	list_for_each_entry(m, &pool->members, list)
		if (m->health == NFLB_HEALTH_DOWN &&
		    nflb_health_change(ln, m, NFLB_HEALTH_UP, "check removed"))
			nflb_health_notify(ln, m);
}

/*
 * Applies @req to @pool, all or nothing: the new check and passive
 * settings are built and checked before anything changes.
 */
static int nflb_pool_change(struct nflb_net *ln, struct nflb_pool *pool,
			    struct nflb_pool_req *req,
			    struct netlink_ext_ack *extack)
{
	bool check = NFLB_REQ_HAS(req, NFLB_POOL_A_CHECK);
	struct nflb_passive passive;
	struct nflb_check c;
	u8 old_type;
	int err;

	if (check) {
		err = nflb_check_build(pool, &req->check, &c);
		if (err)
			return err;
		req->bad_inner = nflb_config_check_valid(&c, extack);
		if (req->bad_inner) {
			nflb_check_free(&c);
			req->bad_attr = NFLB_POOL_A_CHECK;
			return -EINVAL;
		}
	}
	nflb_passive_build(pool, &req->passive, &passive);
	req->bad_inner = nflb_config_passive_valid(&passive, extack);
	if (req->bad_inner) {
		if (check)
			nflb_check_free(&c);
		req->bad_attr = NFLB_POOL_A_PASSIVE;
		return -EINVAL;
	}
	if (NFLB_REQ_HAS(req, NFLB_POOL_A_FLAGS))
		pool->flags = req->flags;
	if (NFLB_REQ_HAS(req, NFLB_POOL_A_MIN_ACTIVE))
		pool->min_active = req->min_active;
	nflb_passive_write(&pool->passive, &passive);
	if (check) {
		old_type = pool->check.type;
		nflb_check_free(&pool->check);
		pool->check = c;
		if (old_type != NFLB_CHECK_NONE && c.type == NFLB_CHECK_NONE)
			nflb_pool_check_gone(ln, pool);
	}
	return 0;
}

int nflb_op_pool_new(struct nflb_net *ln, struct nflb_pool_req *req,
		     struct nflb_pool **out, struct netlink_ext_ack *extack)
{
	struct nflb_pool *pool;
	int err;

	if (nflb_pool_find(ln, req->name)) {
		NL_SET_ERR_MSG(extack, "pool exists");
		req->bad_attr = NFLB_POOL_A_NAME;
		return -EEXIST;
	}
	err = nflb_config_pool_admit(ln, extack);
	if (err)
		return err;
	pool = nflb_pool_create(ln, req->name);
	if (!pool)
		return -ENOMEM;
	nflb_config_check_defaults(&pool->check);
	nflb_config_passive_defaults(&pool->passive);
	err = nflb_pool_change(ln, pool, req, extack);
	if (!err)
		err = nflb_pool_publish(ln, pool);
	if (err) {
		nflb_pool_delete(ln, pool);
		return err;
	}
	*out = pool;
	return 0;
}

/*
 * A refused change changes nothing (bad_attr says why); an accepted one
 * stays even when the snapshot cannot be rebuilt (-ENOMEM).
 */
int nflb_op_pool_set(struct nflb_net *ln, struct nflb_pool *pool,
		     struct nflb_pool_req *req, struct netlink_ext_ack *extack)
{
	int err = nflb_pool_change(ln, pool, req, extack);

	return err ?: nflb_pool_publish(ln, pool);
}

static const char *nflb_pool_user(struct nflb_net *ln, struct nflb_pool *pool)
{
	struct nflb_vs *vs;

	list_for_each_entry(vs, &ln->vs_list, list)
		if (rcu_access_pointer(vs->pool) == pool)
			return vs->name;
	return "?";
}

/* Only a pool no virtual server uses. */
int nflb_op_pool_delete(struct nflb_net *ln, struct nflb_pool *pool,
			struct netlink_ext_ack *extack)
{
	if (pool->users) {
		nflb_err_pool_busy(extack, nflb_pool_user(ln, pool));
		return -EBUSY;
	}
	nflb_pool_delete(ln, pool);
	return 0;
}

/* ---- members ------------------------------------------------------------ */

/*
 * Weight, state, limit, priority, drain clock and check overrides of @m
 * (template or live); health is nflb_member_health()'s.
 */
static bool nflb_member_change(struct nflb_member *m,
			       const struct nflb_member_req *req)
{
	bool state_changed = false;

	if (NFLB_REQ_HAS(req, NFLB_MEMBER_A_WEIGHT))
		WRITE_ONCE(m->weight, req->weight);
	if (NFLB_REQ_HAS(req, NFLB_MEMBER_A_STATE)) {
		state_changed = req->state != m->state;
		WRITE_ONCE(m->state, req->state);
	}
	if (NFLB_REQ_HAS(req, NFLB_MEMBER_A_MAX_CONNS))
		WRITE_ONCE(m->max_conns, req->max_conns);
	if (NFLB_REQ_HAS(req, NFLB_MEMBER_A_PRIORITY))
		m->priority = req->priority;
	if (NFLB_REQ_HAS(req, NFLB_MEMBER_A_DRAIN_TIMEOUT))
		m->drain_timeout = req->drain_timeout;
	if (NFLB_REQ_HAS(req, NFLB_MEMBER_A_CHECK_PORT))
		m->check_port = req->check_port;
	if (NFLB_REQ_HAS(req, NFLB_MEMBER_A_CHECK_ADDR4) ||
	    NFLB_REQ_HAS(req, NFLB_MEMBER_A_CHECK_ADDR6)) {
		m->check_family = req->check_family;
		m->check_addr = req->check_addr;
	}
	/* The drain clock runs while the member takes no new sessions. */
	if (m->state == NFLB_MEMBER_UP && m->weight)
		WRITE_ONCE(m->drain_deadline, 0);
	else if (!m->drain_deadline ||
		 NFLB_REQ_HAS(req, NFLB_MEMBER_A_DRAIN_TIMEOUT))
		WRITE_ONCE(m->drain_deadline, nflb_deadline(m->drain_timeout));
	return state_changed;
}

/*
 * Health as a request may set it: lbhealthd's UP or DOWN, with a reason;
 * EJECTED belongs to passive detection (nflb_health_eject()).
 */
static int nflb_member_health_check(struct nflb_member_req *req,
				    struct netlink_ext_ack *extack)
{
	if (NFLB_REQ_HAS(req, NFLB_MEMBER_A_HEALTH) &&
	    req->health == NFLB_HEALTH_EJECTED) {
		NL_SET_ERR_MSG(extack,
			       "health ejected is passive detection's to set: give up or down");
		req->bad_attr = NFLB_MEMBER_A_HEALTH;
		return -EINVAL;
	}
	if (NFLB_REQ_HAS(req, NFLB_MEMBER_A_HEALTH_REASON) &&
	    !NFLB_REQ_HAS(req, NFLB_MEMBER_A_HEALTH)) {
		NL_SET_ERR_MSG(extack, "a health reason goes with a health");
		req->bad_attr = NFLB_MEMBER_A_HEALTH_REASON;
		return -EINVAL;
	}
	return 0;
}

/*
 * lbhealthd's report on live @m.  An ejected member stays out until passive
 * detection restores it, even if its check passes; a failing check takes
 * it from ejected to down.  Returns whether the health changed.
 */
static bool nflb_member_health(struct nflb_net *ln, struct nflb_member *m,
			       const struct nflb_member_req *req)
{
	if (!NFLB_REQ_HAS(req, NFLB_MEMBER_A_HEALTH))
		return false;
	if (m->health == NFLB_HEALTH_EJECTED && req->health == NFLB_HEALTH_UP)
		return false;
	return nflb_health_change(ln, m, req->health, req->health_reason);
}

/* A batch of at most @max members, recorded in @added (the caller's). */
void nflb_op_member_batch_init(struct nflb_member_batch *b,
			       struct nflb_member **added, unsigned int max)
{
	INIT_LIST_HEAD(&b->pools);
	b->added = added;
	b->n = 0;
	b->max = max;
}

/*
 * Adds the member @req describes to its pool, without publishing the
 * pool's snapshot: nflb_op_member_commit() does, once per pool.  @nest is
 * what an error in publishing the pool will point at.
 */
int nflb_op_member_add(struct nflb_net *ln, struct nflb_member_batch *b,
		       struct nflb_member_req *req, struct nlattr *nest,
		       struct netlink_ext_ack *extack)
{
	struct nflb_member tmpl = {};
	struct nflb_pool *pool;
	struct nflb_member *m;
	int err;

	if (b->n == b->max)
		return -E2BIG;
	pool = nflb_op_pool_named(ln, req->pool, extack);
	if (!pool) {
		req->bad_attr = NFLB_MEMBER_A_POOL;
		return -ENOENT;
	}
	if (nflb_member_find(pool, req->family, &req->addr, req->port)) {
		NL_SET_ERR_MSG(extack, "member exists in this pool");
		return -EEXIST;
	}
	err = nflb_member_health_check(req, extack);
	if (err)
		return err;
	nflb_config_member_defaults(&tmpl);
	tmpl.family = req->family;
	tmpl.addr = req->addr;
	tmpl.port = req->port;
	nflb_member_change(&tmpl, req);
	/* A new member's health is known from now on, up unless told. */
	tmpl.health_since = ktime_get_real_seconds();
	if (NFLB_REQ_HAS(req, NFLB_MEMBER_A_HEALTH)) {
		tmpl.health = req->health;
		strscpy(tmpl.health_reason, req->health_reason,
			sizeof(tmpl.health_reason));
	}
	err = nflb_config_member_admit(ln, pool, &tmpl, extack);
	if (err)
		return err;
	m = nflb_member_create(ln, pool, &tmpl);
	if (!m)
		return -ENOMEM;
	b->added[b->n++] = m;
	if (!pool->pending++) {
		pool->pending_first = nest;
		list_add_tail(&pool->pending_node, &b->pools);
	}
	return 0;
}

/*
 * Publishes each pool the batch added members to, once; where there is no
 * memory for a snapshot, that pool's new members are taken back (their
 * slots in the batch cleared) and the nest of its first is blamed.
 */
int nflb_op_member_commit(struct nflb_net *ln, struct nflb_member_batch *b,
			  struct netlink_ext_ack *extack)
{
	struct nflb_pool *pool, *tmp;
	unsigned int i;
	int err = 0;

	list_for_each_entry_safe(pool, tmp, &b->pools, pending_node) {
		if (nflb_pool_publish(ln, pool)) {
			for (i = 0; i < b->n; i++)
				if (b->added[i] && b->added[i]->pool == pool)
					b->added[i] = NULL;
			nflb_member_discard(ln, pool, pool->pending);
			NL_SET_ERR_MSG_ATTR(extack, pool->pending_first,
					    "out of memory");
			err = -ENOMEM;
		}
		list_del(&pool->pending_node);
		pool->pending = 0;
		cond_resched();
	}
	return err;
}

/* A member that went down in an expire-on-down pool loses its sessions. */
static void nflb_member_sessions_end(struct nflb_net *ln,
				     const struct nflb_member *m)
{
	struct nflb_session_filter f = { .member = m };

	nflb_session_expire_match(ln, &f, NFLB_RST_IF_ASKED);
}

/*
 * Changes @m.  A refused priority changes nothing (bad_attr says so);
 * otherwise the change stays even if the snapshot cannot be rebuilt.
 */
int nflb_op_member_set(struct nflb_net *ln, struct nflb_pool *pool,
		       struct nflb_member *m, struct nflb_member_req *req,
		       struct netlink_ext_ack *extack)
{
	bool health_changed;
	int err;

	err = nflb_member_health_check(req, extack);
	if (err)
		return err;
	if (NFLB_REQ_HAS(req, NFLB_MEMBER_A_PRIORITY)) {
		if (!nflb_member_prio_room(pool, m, req->priority)) {
			NL_SET_ERR_MSG(extack,
				       "pool has 16 priorities in this address family already");
			req->bad_attr = NFLB_MEMBER_A_PRIORITY;
			return -E2BIG;
		}
		nflb_member_set_priority(pool, m, req->priority);
	}
	req->state_changed = nflb_member_change(m, req);
	health_changed = nflb_member_health(ln, m, req);
	nflb_health_weight(m);		/* a new weight, ramping or not */
	/* Groups, WRR order and Maglev tables depend on all of it. */
	err = nflb_pool_publish(ln, pool);
	if (health_changed)
		nflb_health_notify(ln, m);
	/* Health never ends sessions: only the operator's down does. */
	if (req->state_changed && m->state == NFLB_MEMBER_DOWN &&
	    (pool->flags & NFLB_POOL_F_EXPIRE_ON_DOWN))
		nflb_member_sessions_end(ln, m);
	return err;
}

/*
 * Deletes @m from @pool.  With expire-nodest (the default, as IPVS's
 * expire_nodest_conn) its sessions end with it: otherwise steady traffic
 * (a syslog or DNS client on a fixed port, a WireGuard peer) would keep
 * them, and the client black-holed, for as long as it sends.
 */
void nflb_op_member_delete(struct nflb_net *ln, struct nflb_pool *pool,
			   struct nflb_member *m)
{
	refcount_inc(&m->ref);		/* for the sessions' filter */
	nflb_member_delete(ln, pool, m);
	if (READ_ONCE(ln->expire_nodest))
		nflb_member_sessions_end(ln, m);
	nflb_member_put(m);
}

/* ---- the namespace ------------------------------------------------------ */

/* The limits @req gives, the others as they are. */
static void nflb_limits_change(struct nflb_net *ln,
			       const struct nflb_global_req *req,
			       struct nflb_limits *l)
{
	const struct nflb_limits *r = &req->limits;

	nflb_config_limits(ln, l);
	if (NFLB_REQ_HAS(req, NFLB_GLOBAL_A_MAX_SESSIONS))
		l->max_sessions = r->max_sessions;
	if (NFLB_REQ_HAS(req, NFLB_GLOBAL_A_MAX_MEMBERS))
		l->max_members = r->max_members;
	if (NFLB_REQ_HAS(req, NFLB_GLOBAL_A_MAX_VS))
		l->max_vs = r->max_vs;
	if (NFLB_REQ_HAS(req, NFLB_GLOBAL_A_MAX_POOLS))
		l->max_pools = r->max_pools;
	if (NFLB_REQ_HAS(req, NFLB_GLOBAL_A_MAX_MH_SIZE))
		l->max_mh_size = r->max_mh_size;
}

int nflb_op_global_set(struct nflb_net *ln, const struct nflb_global_req *req,
		       struct netlink_ext_ack *extack)
{
	struct nflb_limits l;
	int i, err;

	nflb_limits_change(ln, req, &l);
	err = nflb_config_set_limits(ln, &l, extack);
	if (err)
		return err;
	for (i = 0; i <= NFLB_STATE_MAX; i++)
		if (req->timeouts_has & BIT(i))
			WRITE_ONCE(ln->timeouts[i], req->timeouts[i]);
	if (NFLB_REQ_HAS(req, NFLB_GLOBAL_A_EXPIRE_NODEST))
		WRITE_ONCE(ln->expire_nodest, req->expire_nodest);
	return 0;
}

/*
 * Removes every virtual server (one grace period for all) with their
 * sessions, then every pool, and takes the hooks off.
 */
void nflb_op_flush(struct nflb_net *ln)
{
	struct nflb_pool *pool, *ptmp;
	struct nflb_vs *vs, *vtmp;
	LIST_HEAD(dead);

	list_for_each_entry_safe(vs, vtmp, &ln->vs_list, list) {
		nflb_vs_unpublish(ln, vs);
		list_add_tail(&vs->list, &dead);
	}
	synchronize_rcu();
	nflb_session_for_each(ln, nflb_expire_dead_vs, NULL);
	list_for_each_entry_safe(vs, vtmp, &dead, list) {
		nflb_persist_flush_vs(ln, vs);
		list_del(&vs->list);
		nflb_vs_put(vs);
	}
	list_for_each_entry_safe(pool, ptmp, &ln->pool_list, list)
		nflb_pool_delete(ln, pool);
	nflb_hooks_stop(ln);
}

/*
 * FLUSH: the namespace as nflb found it, objects gone, defaults back, sync
 * off (first: the flushed sessions are this node's business, not its
 * peers').
 */
void nflb_op_reset(struct nflb_net *ln)
{
	nflb_sync_stop(ln);
	nflb_op_flush(ln);
	nflb_config_defaults(ln);
}

void nflb_op_sessions_expire(struct nflb_net *ln,
			     const struct nflb_session_filter *f)
{
	nflb_session_expire_match(ln, f, NFLB_RST_NONE);
}

/* The namespace's counters: its own, deleted virtual servers', live ones'. */
void nflb_op_stats_total(struct nflb_net *ln, u64 *v)
{
	u64 vv[NFLB_C_MAX];
	struct nflb_vs *vs;
	int i;

	nflb_stats_sum(ln->stats, v);
	for (i = 0; i < ARRAY_SIZE(ln->retired); i++)
		v[i] += ln->retired[i];
	list_for_each_entry(vs, &ln->vs_list, list) {
		nflb_stats_sum(vs->stats, vv);
		for (i = 0; i < ARRAY_SIZE(ln->retired); i++)
			v[i] += vv[i];
	}
}

struct nflb_zero_arg {
	struct nflb_net *ln;
	int cpu;
};

/* Every counter of the namespace, @arg's CPU's copy (see stats.c). */
static int nflb_zero_cpu(void *arg)
{
	struct nflb_zero_arg *z = arg;
	struct nflb_net *ln = z->ln;
	struct nflb_pool *pool;
	struct nflb_member *m;
	struct nflb_vs *vs;

	local_bh_disable();
	nflb_stats_zero_cpu(ln->stats, z->cpu);
	list_for_each_entry(vs, &ln->vs_list, list)
		nflb_stats_zero_cpu(vs->stats, z->cpu);
	list_for_each_entry(pool, &ln->pool_list, list)
		list_for_each_entry(m, &pool->members, list)
			nflb_stats_zero_cpu(m->stats, z->cpu);
	local_bh_enable();
	return 0;
}

/*
 * Zeroes every counter of the namespace: each CPU's copies on that CPU
 * (smp_call_on_cpu(), which waits), offline CPUs' directly, so no reader
 * or writer on a CPU sees its copy half cleared.
 */
void nflb_op_stats_zero(struct nflb_net *ln)
{
	struct nflb_zero_arg z = { .ln = ln };

	cpus_read_lock();
	for_each_possible_cpu(z.cpu) {
		if (!cpu_online(z.cpu) ||
		    smp_call_on_cpu(z.cpu, nflb_zero_cpu, &z, false))
			nflb_zero_cpu(&z);
		cond_resched();
	}
	cpus_read_unlock();
	memset(ln->retired, 0, sizeof(ln->retired));
}

/*
 * SYNC_SET: replaces the running sync, if any, as a whole (new socket, new
 * epoch, ready again only after a bulk resync).  The old one stops first,
 * as the new one binds the same port; if the new one cannot start, sync is
 * off.
 */
int nflb_op_sync_set(struct nflb_net *ln, const struct nflb_sync_cfg *cfg,
		     struct netlink_ext_ack *extack)
{
	int err = nflb_config_sync_check(cfg, extack);

	if (err)
		return err;
	nflb_sync_stop(ln);
	return nflb_sync_start(ln, cfg, extack);
}

/* SYNC_DEL, and namespace exit: the sessions stay. */
int nflb_op_sync_del(struct nflb_net *ln)
{
	if (!ln->sync)
		return -ENOENT;
	nflb_sync_stop(ln);
	return 0;
}

/*
 * SYNC_GET with-key (`lbctl save sync-key`): a copy of the shared key.
 * Whoever holds it can inject sessions, so only a caller with CAP_NET_ADMIN
 * over the namespace (@net_admin: over the user namespace that owns it)
 * gets it: the rule holds here even if reading sync is ever opened to
 * others.  cfg_mutex.
 */
int nflb_op_sync_key(struct nflb_net *ln, bool net_admin,
		     u8 key[NFLB_SYNC_KEY_LEN], struct netlink_ext_ack *extack)
{
	if (!net_admin) {
		NL_SET_ERR_MSG(extack,
			       "with-key: the sync key needs CAP_NET_ADMIN over the namespace");
		return -EPERM;
	}
	if (!nflb_sync_key(ln, key)) {
		NL_SET_ERR_MSG(extack, "sync is not configured");
		return -ENOENT;
	}
	return 0;
}
