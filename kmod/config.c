// SPDX-License-Identifier: GPL-2.0
/*
 * Configuration rules: the defaults of a namespace, its limits, and the
 * checks a change must pass before any object is touched, so that no
 * request can leave the configuration in a state the datapath or the
 * snapshot builder cannot serve (a Maglev table with fewer slots than
 * members, more priority groups than a snapshot may build, more objects
 * than the namespace may own).  Everything here runs under cfg_mutex.
 *
 * A namespace owned by a user namespace other than the initial one (for
 * instance one made by `unshare -Urn`, which anyone may do) starts with
 * small limits, and cannot raise a limit above the initial namespace's:
 * the memory it makes nflb allocate is also charged to its cgroup.
 */
#include <linux/netlink.h>
#include <net/addrconf.h>
#include <net/net_namespace.h>
#include <net/route.h>
#include "config.h"
#include "main.h"
#include "sched.h"
#include "service.h"
#include "sync.h"

/* Defaults as IPVS's, in seconds, indexed by enum nflb_state. */
static const u32 nflb_default_timeouts[NFLB_STATE_MAX + 1] = {
	[NFLB_TCP_SYN_SENT] = 120,
	[NFLB_TCP_SYN_RECV] = 60,
	[NFLB_TCP_ESTABLISHED] = 900,
	[NFLB_TCP_FIN_WAIT] = 120,
	[NFLB_TCP_CLOSE_WAIT] = 60,
	[NFLB_TCP_LAST_ACK] = 30,
	[NFLB_TCP_TIME_WAIT] = 120,
	[NFLB_TCP_CLOSE] = 10,
	[NFLB_UDP] = 300,
};

static const struct nflb_limits nflb_limits_init = {
	.max_sessions = NFLB_MAX_SESSIONS_DEFAULT,
	.max_members = NFLB_MAX_MEMBERS_DEFAULT,
	.max_vs = NFLB_MAX_VS_DEFAULT,
	.max_pools = NFLB_MAX_POOLS_DEFAULT,
	.max_mh_size = NFLB_MH_SIZE_MAX,
};

static const struct nflb_limits nflb_limits_userns = {
	.max_sessions = NFLB_MAX_SESSIONS_USERNS,
	.max_members = NFLB_MAX_MEMBERS_USERNS,
	.max_vs = NFLB_MAX_VS_USERNS,
	.max_pools = NFLB_MAX_POOLS_USERNS,
	.max_mh_size = NFLB_MAX_MH_SIZE_USERNS,
};

static bool nflb_net_unprivileged(const struct nflb_net *ln)
{
	return ln->net->user_ns != &init_user_ns;
}

void nflb_config_limits(const struct nflb_net *ln, struct nflb_limits *l)
{
	l->max_sessions = READ_ONCE(ln->max_sessions);
	l->max_members = READ_ONCE(ln->max_members);
	l->max_vs = READ_ONCE(ln->max_vs);
	l->max_pools = READ_ONCE(ln->max_pools);
	l->max_mh_size = READ_ONCE(ln->max_mh_size);
}

static void nflb_write_limits(struct nflb_net *ln, const struct nflb_limits *l)
{
	WRITE_ONCE(ln->max_sessions, l->max_sessions);
	WRITE_ONCE(ln->max_members, l->max_members);
	WRITE_ONCE(ln->max_vs, l->max_vs);
	WRITE_ONCE(ln->max_pools, l->max_pools);
	WRITE_ONCE(ln->max_mh_size, l->max_mh_size);
}

/*
 * What the initial namespace allows.  Its values are read without its
 * mutex: a limit raised or lowered meanwhile there is seen now or at the
 * next change here, either of which is fine.
 */
static void nflb_ceiling(struct nflb_limits *l)
{
	nflb_config_limits(nflb_net(&init_net), l);
}

void nflb_config_defaults(struct nflb_net *ln)
{
	struct nflb_limits l = nflb_limits_init, top;
	int i;

	for (i = 0; i <= NFLB_STATE_MAX; i++)
		WRITE_ONCE(ln->timeouts[i], nflb_default_timeouts[i]);
	WRITE_ONCE(ln->expire_nodest, true);
	if (nflb_net_unprivileged(ln)) {
		l = nflb_limits_userns;
		nflb_ceiling(&top);
		l.max_sessions = min(l.max_sessions, top.max_sessions);
		l.max_members = min(l.max_members, top.max_members);
		l.max_vs = min(l.max_vs, top.max_vs);
		l.max_pools = min(l.max_pools, top.max_pools);
		l.max_mh_size = min(l.max_mh_size, top.max_mh_size);
	}
	nflb_write_limits(ln, &l);
}

/* A new virtual server's options where the request gives none. */
void nflb_config_vs_defaults(struct nflb_vs *vs)
{
	vs->sched = NFLB_SCHED_RR;
	vs->mh_size = NFLB_MH_SIZE_DEFAULT;
	vs->persist_mask4 = 32;
	vs->persist_mask6 = 128;
}

/*
 * A pool's check before any is configured, and what a check of a new type
 * starts from: probes every 2 s that may take 1 s, up after 2 good ones,
 * down after 3 bad ones, http(s) statuses 200-399, no slow start.  The
 * strings' defaults (path "/", query ".") are the absence of a string.
 */
void nflb_config_check_defaults(struct nflb_check *c)
{
	*c = (struct nflb_check){
		.type = NFLB_CHECK_NONE,
		.rise = 2,
		.fall = 3,
		.status_min = 200,
		.status_max = 399,
		.interval_ms = 2000,
		.timeout_ms = 1000,
	};
}

/* Passive detection: on, 5 failures eject for 10 s up to 300 s, 50% max. */
void nflb_config_passive_defaults(struct nflb_passive *p)
{
	WRITE_ONCE(p->enabled, true);
	WRITE_ONCE(p->fails, 5);
	WRITE_ONCE(p->hold_ms, 10000);
	WRITE_ONCE(p->hold_max_ms, 300000);
	WRITE_ONCE(p->max_eject, 50);
}

/*
 * The rules between a check's fields (each field's own range is the
 * netlink policy's).  Returns the NFLB_CHECK_A_* at fault, or 0.
 */
int nflb_config_check_valid(const struct nflb_check *c,
			    struct netlink_ext_ack *extack)
{
	if (c->timeout_ms > c->interval_ms) {
		NL_SET_ERR_MSG(extack, "check timeout must not exceed its interval");
		return NFLB_CHECK_A_TIMEOUT;
	}
	if (c->status_min > c->status_max) {
		NL_SET_ERR_MSG(extack, "check status range: the lowest is above the highest");
		return NFLB_CHECK_A_STATUS_MIN;
	}
	return 0;
}

/* Likewise for passive detection: NFLB_PASSIVE_A_* at fault, or 0. */
int nflb_config_passive_valid(const struct nflb_passive *p,
			      struct netlink_ext_ack *extack)
{
	if (p->hold_ms > p->hold_max_ms) {
		NL_SET_ERR_MSG(extack, "passive hold must not exceed hold-max");
		return NFLB_PASSIVE_A_HOLD;
	}
	return 0;
}

/* A new member's: up, weight 1, no limit, priority 0, no drain timeout. */
void nflb_config_member_defaults(struct nflb_member *m)
{
	m->weight = 1;
	m->state = NFLB_MEMBER_UP;
}

int nflb_config_set_limits(struct nflb_net *ln, const struct nflb_limits *l,
			   struct netlink_ext_ack *extack)
{
	struct nflb_limits top;

	if (nflb_net_unprivileged(ln)) {
		nflb_ceiling(&top);
		if (l->max_sessions > top.max_sessions ||
		    l->max_members > top.max_members ||
		    l->max_vs > top.max_vs || l->max_pools > top.max_pools ||
		    l->max_mh_size > top.max_mh_size) {
			NL_SET_ERR_MSG_MOD(extack,
					   "a namespace of another user namespace cannot raise a limit above the initial namespace's");
			return -EPERM;
		}
	}
	nflb_write_limits(ln, l);
	return 0;
}

int nflb_config_vs_admit(struct nflb_net *ln, struct netlink_ext_ack *extack)
{
	if (ln->vs_count >= READ_ONCE(ln->max_vs)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "too many virtual servers: see global max-vs");
		return -ENOSPC;
	}
	return 0;
}

int nflb_config_pool_admit(struct nflb_net *ln, struct netlink_ext_ack *extack)
{
	if (ln->pool_count >= READ_ONCE(ln->max_pools)) {
		NL_SET_ERR_MSG_MOD(extack, "too many pools: see global max-pools");
		return -ENOSPC;
	}
	return 0;
}

/* Smallest Maglev table of the mh virtual servers using @pool, 0 if none. */
static u32 nflb_pool_mh_min(struct nflb_net *ln, struct nflb_pool *pool)
{
	struct nflb_vs *vs;
	u32 min = 0;

	if (!pool->mh_users)
		return 0;
	list_for_each_entry(vs, &ln->vs_list, list)
		if (rcu_access_pointer(vs->pool) == pool &&
		    vs->sched == NFLB_SCHED_MH && (!min || vs->mh_size < min))
			min = vs->mh_size;
	return min;
}

/*
 * A member must be another host: nflb forwards to its members, and a
 * packet DNATed to one of the box's own addresses would be delivered
 * locally with no way back through the reply path.  Addresses that are
 * not unicast are refused as well.  (An address added to the box later
 * is not noticed: the admin guide says so.)
 */
static int nflb_member_addr_ok(struct nflb_net *ln, const struct nflb_member *m,
			       struct netlink_ext_ack *extack)
{
	bool local, unicast;

	if (m->family == AF_INET) {
		__be32 a = m->addr.ip;

		/* (A namespace without addresses has no local table yet, and
		 * inet_addr_type() then calls everything broadcast.)
		 */
		local = ipv4_is_loopback(a) ||
			inet_addr_type(ln->net, a) == RTN_LOCAL;
		unicast = !ipv4_is_multicast(a) && !ipv4_is_lbcast(a) &&
			  !ipv4_is_zeronet(a);
	} else {
		int type = ipv6_addr_type(&m->addr.in6);

		local = (type & IPV6_ADDR_LOOPBACK) ||
			ipv6_chk_addr(ln->net, &m->addr.in6, NULL, 0);
		unicast = (type & IPV6_ADDR_UNICAST) &&
			  !(type & IPV6_ADDR_MAPPED);
	}
	if (local) {
		NL_SET_ERR_MSG_MOD(extack,
				   "member address is one of this box's own: nflb forwards to other hosts only (a local service needs source NAT, not supported yet)");
		return -EADDRNOTAVAIL;
	}
	if (!unicast) {
		NL_SET_ERR_MSG_MOD(extack, "member address must be a unicast address");
		return -EINVAL;
	}
	return 0;
}

/*
 * A new member for @pool: the pool, the namespace, the pool's Maglev
 * tables (a slot per member at least) and its priority groups must all
 * have room for it.
 */
int nflb_config_member_admit(struct nflb_net *ln, struct nflb_pool *pool,
			     const struct nflb_member *tmpl,
			     struct netlink_ext_ack *extack)
{
	u32 mh = nflb_pool_mh_min(ln, pool);
	int err;

	err = nflb_member_addr_ok(ln, tmpl, extack);
	if (err)
		return err;
	if (pool->member_count >= NFLB_POOL_MEMBERS_MAX) {
		NL_SET_ERR_MSG_MOD(extack, "pool is full (65534 members)");
		return -E2BIG;
	}
	if (ln->member_count >= READ_ONCE(ln->max_members)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "too many members in this namespace: see global max-members");
		return -ENOSPC;
	}
	if (mh && pool->member_count >= mh) {
		NL_SET_ERR_MSG_MOD(extack,
				   "a Maglev virtual server of this pool has no slot left for another member: raise its mh-size first");
		return -E2BIG;
	}
	if (!nflb_pool_group_room(pool, tmpl->family, tmpl->priority)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "pool has 16 priorities in this address family already");
		return -E2BIG;
	}
	return 0;
}

/*
 * A virtual server @vs (or a new one, NULL) about to use @pool with @sched
 * and Maglev table @size (a valid prime: netlink checked it).  The size
 * must be one the namespace allows, hold every member of the pool, and be
 * one of the at most NFLB_MH_TABLES sizes the pool's snapshot builds.
 */
int nflb_config_vs_mh(struct nflb_net *ln, const struct nflb_vs *vs,
		      struct nflb_pool *pool, u8 sched, u32 size,
		      struct netlink_ext_ack *extack)
{
	unsigned int n = 0, i;
	u32 sizes[NFLB_MH_TABLES];
	struct nflb_vs *o;

	if (sched != NFLB_SCHED_MH)
		return 0;
	/* A size already in use stays usable after max-mh-size is lowered. */
	if ((!vs || vs->sched != NFLB_SCHED_MH || vs->mh_size != size) &&
	    size > READ_ONCE(ln->max_mh_size)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "mh-size above this namespace's max-mh-size");
		return -EPERM;
	}
	if (pool->member_count > size) {
		NL_SET_ERR_MSG_MOD(extack,
				   "pool has more members than the Maglev table has slots: raise mh-size");
		return -E2BIG;
	}
	list_for_each_entry(o, &ln->vs_list, list) {
		if (o == vs || rcu_access_pointer(o->pool) != pool ||
		    o->sched != NFLB_SCHED_MH || o->mh_size == size)
			continue;
		for (i = 0; i < n && sizes[i] != o->mh_size; i++)
			;
		if (i == n && ++n == NFLB_MH_TABLES) {
			NL_SET_ERR_MSG_MOD(extack,
					   "pool already serves 4 Maglev table sizes");
			return -EINVAL;
		}
		sizes[i] = o->mh_size;
	}
	return 0;
}

/* A unicast address: not unspecified, multicast or broadcast. */
static bool nflb_sync_addr_ok(u8 family, const union nf_inet_addr *a)
{
	if (family == AF_INET)
		return !ipv4_is_zeronet(a->ip) && !ipv4_is_multicast(a->ip) &&
		       !ipv4_is_lbcast(a->ip);
	return !ipv6_addr_any(&a->in6) &&
	       !(ipv6_addr_type(&a->in6) & IPV6_ADDR_MULTICAST);
}

/*
 * Sync configuration rules (Documentation/sync.rst): at least one peer,
 * every address unicast, no peer twice, none the local address.  The
 * families agree already (netlink.c).
 */
int nflb_config_sync_check(const struct nflb_sync_cfg *cfg,
			   struct netlink_ext_ack *extack)
{
	unsigned int i, j;

	if (!nflb_sync_addr_ok(cfg->family, &cfg->local)) {
		NL_SET_ERR_MSG(extack, "local: give a unicast address of this node");
		return -EINVAL;
	}
	if (!cfg->npeers) {
		NL_SET_ERR_MSG(extack, "give at least one peer");
		return -EINVAL;
	}
	for (i = 0; i < cfg->npeers; i++) {
		if (!nflb_sync_addr_ok(cfg->family, &cfg->peers[i])) {
			NL_SET_ERR_MSG(extack, "peer: give a unicast address");
			return -EINVAL;
		}
		if (nf_inet_addr_cmp(&cfg->peers[i], &cfg->local)) {
			NL_SET_ERR_MSG(extack, "peer: the local address cannot be a peer");
			return -EINVAL;
		}
		for (j = 0; j < i; j++)
			if (nf_inet_addr_cmp(&cfg->peers[i], &cfg->peers[j])) {
				NL_SET_ERR_MSG(extack, "peer: given twice");
				return -EINVAL;
			}
	}
	return 0;
}
