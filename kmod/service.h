/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFLB_SERVICE_H
#define _NFLB_SERVICE_H

#include <linux/ctype.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <linux/rcupdate.h>
#include <linux/netfilter.h>
#include <linux/nflb.h>
#include "main.h"
#include "passive.h"
#include "stats.h"

struct nflb_net;
struct netlink_ext_ack;

/* Longest slow start, seconds: an hour. */
#define NFLB_SLOW_START_MAX	3600

/* The strings of a pool's check, an index each in nflb_check.str[]. */
enum nflb_check_str {
	NFLB_CHECK_S_PATH,
	NFLB_CHECK_S_HOST,
	NFLB_CHECK_S_EXPECT_BODY,
	NFLB_CHECK_S_SEND,
	NFLB_CHECK_S_EXPECT,
	NFLB_CHECK_S_QUERY,
	NFLB_CHECK_STRS
};

/*
 * A pool's active check (Documentation/health.rst): configuration only,
 * which lbhealthd reads back and runs; the kernel uses slow_start alone.
 * cfg_mutex guards all of it; the datapath never reads it.
 */
struct nflb_check {
	u8 type;			/* enum nflb_check_type */
	u8 rise;
	u8 fall;
	u8 tls_verify;
	u16 port;			/* host order, 0 = the member's */
	u16 status_min;
	u16 status_max;
	u32 interval_ms;
	u32 timeout_ms;			/* <= interval_ms */
	u32 slow_start;			/* seconds, 0 = none */
	/* NUL-terminated, < NFLB_CHECK_STR_MAX; NULL = not set.  Owned. */
	char *str[NFLB_CHECK_STRS];
};

/*
 * A pool's passive detection settings.  Written field by field with
 * WRITE_ONCE under cfg_mutex: passive detection may READ_ONCE them from
 * the datapath.
 */
struct nflb_passive {
	bool enabled;
	u8 max_eject;			/* percent of the pool */
	u32 fails;
	u32 hold_ms;
	u32 hold_max_ms;		/* >= hold_ms */
};

static inline void nflb_check_free(struct nflb_check *c)
{
	int i;

	for (i = 0; i < NFLB_CHECK_STRS; i++) {
		kfree(c->str[i]);
		c->str[i] = NULL;
	}
}

/*
 * A member of a pool.  Held by the pool's config list, by every published
 * pool snapshot that lists it and by every session that points to it; the
 * last put frees it after an RCU grace period.  Fields the datapath reads
 * are written with WRITE_ONCE under cfg_mutex.
 */
struct nflb_member {
	struct list_head list;		/* pool->members, cfg_mutex */
	/*
	 * Its pool while listed there, NULL once removed (WRITE_ONCE under
	 * cfg_mutex).  The pool is freed after a grace period, and only once
	 * its members are unlinked: a non-NULL READ_ONCE under RCU may be
	 * dereferenced until the read side ends (passive.c does).
	 */
	struct nflb_pool *pool;
	refcount_t ref;
	u8 family;
	u8 state;			/* enum nflb_member_state */
	__be16 port;
	union nf_inet_addr addr;
	u32 weight;
	u32 max_conns;			/* 0 = unlimited */
	u32 priority;
	u32 drain_timeout;		/* seconds, as configured */
	unsigned long drain_deadline;	/* jiffies, 0 = none */
	atomic_t active;		/* live sessions */
	/*
	 * Health (health.c), apart from the operator's state: new sessions
	 * go to a member whose state is up and whose health is up.  health
	 * and weight_now are written with WRITE_ONCE under cfg_mutex and
	 * read by the schedulers; the rest is cfg_mutex only.
	 */
	u8 health;			/* enum nflb_member_health */
	u8 check_family;		/* 0: the check probes addr */
	u16 check_port;			/* host order, 0 = the pool's */
	union nf_inet_addr check_addr;
	/* The weight schedulers use: weight, or less while slow start ramps */
	u32 weight_now;
	u64 health_since;		/* unix seconds of the last change */
	u64 ejections;			/* times passive detection ejected it */
	unsigned long ramp_start;	/* jiffies, 0 = not ramping */
	struct list_head ramp_node;	/* nflb_net->health_ramp, if ramping */
	struct hlist_node ep_node;	/* nflb_net->member_eps while listed */
	char health_reason[NFLB_HEALTH_REASON_MAX];
	struct nflb_passive_state passive;	/* rules in passive.h */
	struct nflb_stats __percpu *stats;
	struct nflb_stats_block *stats_blk;
	struct rcu_head rcu;
};

/* Member indexes are u16 in the scheduler tables; 0xffff marks "none". */
#define NFLB_POOL_MEMBERS_MAX	65534

/* Most distinct Maglev table sizes one pool serves (one per VS size). */
#define NFLB_MH_TABLES		4

struct nflb_mh_table {
	u32 size;			/* prime; 0 = unused slot */
	u16 *slot;			/* member index per slot */
};

/*
 * Members of one family and priority, members[start..end) of the
 * snapshot, with the scheduler state precomputed over the members that
 * are up with a weight.
 */
struct nflb_group {
	unsigned int start, end;
	u8 family;
	u32 priority;
	unsigned int wrr_len;
	u16 *wrr_seq;			/* smooth WRR order, indexes members[] */
	struct nflb_mh_table mh[NFLB_MH_TABLES];
};

/*
 * What the datapath sees of a pool: an immutable array of its members,
 * sorted by priority (highest first) and cut into groups, replaced as a
 * whole on every change.
 */
struct nflb_pool_snap {
	struct rcu_head rcu;
	unsigned int count;
	unsigned int ngroups;
	u32 min_active;
	struct nflb_group *groups;
	struct nflb_member *members[];
};

/* Distinct member priorities a pool may have, per address family. */
#define NFLB_POOL_PRIOS_MAX	16

/* How many of a pool's members have one family and priority. */
struct nflb_prio_count {
	u32 priority;
	u32 members;			/* 0 = free entry */
	u8 family;
};

struct nflb_pool {
	struct list_head list;		/* nflb_net->pool_list */
	struct hlist_node name_node;	/* nflb_net->pool_names */
	char name[NFLB_NAME_MAX];
	struct list_head members;	/* cfg_mutex */
	unsigned int member_count;
	unsigned int users;		/* virtual servers using it */
	unsigned int mh_users;		/* ... with sched mh (cfg_mutex) */
	/* ... of TCP [0] and UDP [1]: cfg_mutex, READ_ONCE in the datapath */
	unsigned int proto_users[2];
	u32 flags;			/* enum nflb_pool_flags */
	u32 min_active;
	struct nflb_check check;	/* cfg_mutex */
	struct nflb_passive passive;
	/* On the health worker's list of pools to publish (cfg_mutex). */
	struct list_head ramp_dirty;
	/* Bounds the snapshot's groups, hence its Maglev tables. */
	struct nflb_prio_count prios[2 * NFLB_POOL_PRIOS_MAX];
	/*
	 * During one MEMBER_NEW request only (cfg_mutex): members added and
	 * not yet published, the nest of the first, and the request's list
	 * of such pools, so each is published once.
	 */
	unsigned int pending;
	struct nlattr *pending_first;
	struct list_head pending_node;
	struct nflb_pool_snap __rcu *snap;
	struct rcu_head rcu;
};

/*
 * A virtual server.  Held by the config list and by each of its sessions.
 * Sessions read flags and timeouts through READ_ONCE; pool is republished
 * with rcu_assign_pointer when the virtual server is changed.
 */
struct nflb_vs {
	struct hlist_node hnode;	/* nflb_net->vs_hash, RCU */
	struct list_head list;		/* nflb_net->vs_list, cfg_mutex */
	struct hlist_node name_node;	/* nflb_net->vs_names, cfg_mutex */
	struct nflb_net *ln;		/* for session frees: tbl.held */
	refcount_t ref;
	char name[NFLB_NAME_MAX];
	u8 family;
	u8 proto;
	u8 sched;			/* enum nflb_sched */
	bool dead;			/* unpublished, sessions being flushed */
	__be16 port;
	union nf_inet_addr vip;
	struct nflb_pool __rcu *pool;
	u32 flags;			/* enum nflb_vs_flags */
	u32 max_sessions;		/* 0 = global limit only */
	u32 timeouts[NFLB_STATE_MAX + 1]; /* seconds, 0 = global */
	u32 persist_timeout;
	u8 persist_mask4;
	u8 persist_mask6;
	u32 mh_size;
	unsigned long drain_deadline;	/* jiffies, 0 = none */
	atomic_t rr_pos;
	atomic_t active;
	struct nflb_stats __percpu *stats;
	struct nflb_stats_block *stats_blk;
	/*
	 * The memory cgroup of whoever created it, in a namespace owned by a
	 * non-initial user namespace (else NULL): sessions and persistence
	 * entries, allocated in softirq, are charged there (held reference).
	 */
	struct mem_cgroup *memcg;
	struct rcu_head rcu;
};

struct nflb_vs *nflb_vs_find_vip(struct nflb_net *ln, u8 family, u8 proto,
				 const union nf_inet_addr *addr, __be16 port);
struct nflb_vs *nflb_vs_find(struct nflb_net *ln, const char *name);
struct nflb_pool *nflb_pool_find(struct nflb_net *ln, const char *name);
bool nflb_member_endpoint(struct nflb_net *ln, u8 family,
			  const union nf_inet_addr *addr, __be16 port, u8 proto);
struct nflb_member *nflb_member_find(struct nflb_pool *pool, u8 family,
				     const union nf_inet_addr *addr,
				     __be16 port);

struct nflb_vs *nflb_vs_create(struct nflb_net *ln, const struct nflb_vs *tmpl,
			       struct nflb_pool *pool);
void nflb_vs_set_pool(struct nflb_vs *vs, struct nflb_pool *pool);
void nflb_vs_set_sched(struct nflb_vs *vs, u8 sched);
void nflb_vs_unpublish(struct nflb_net *ln, struct nflb_vs *vs);
void nflb_vs_put(struct nflb_vs *vs);

struct nflb_pool *nflb_pool_create(struct nflb_net *ln, const char *name);
void nflb_pool_delete(struct nflb_net *ln, struct nflb_pool *pool);
int nflb_pool_publish(struct nflb_net *ln, struct nflb_pool *pool);

int nflb_service_init(void);
void nflb_service_exit(void);
struct nflb_member *nflb_member_create(struct nflb_net *ln,
				       struct nflb_pool *pool,
				       const struct nflb_member *tmpl);
void nflb_member_discard(struct nflb_net *ln, struct nflb_pool *pool,
			 unsigned int n);
void nflb_member_delete(struct nflb_net *ln, struct nflb_pool *pool,
			struct nflb_member *m);
void nflb_member_put(struct nflb_member *m);
bool nflb_pool_group_room(const struct nflb_pool *pool, u8 family,
			  u32 priority);
bool nflb_member_prio_room(struct nflb_pool *pool,
			   const struct nflb_member *m, u32 priority);
void nflb_member_set_priority(struct nflb_pool *pool, struct nflb_member *m,
			      u32 priority);

/* @s's idle timeout in its state: its virtual server's, else the global. */
static inline u32 nflb_session_timeout(struct nflb_net *ln,
				       const struct nflb_session *s)
{
	u32 t = READ_ONCE(s->vs->timeouts[s->state]);

	return t ?: READ_ONCE(ln->timeouts[s->state]);
}

/*
 * Restarts @s's idle timer; inline, as every packet does it.  The store is
 * skipped when unchanged: keeps the line clean across CPUs.
 */
static inline void nflb_session_touch(struct nflb_net *ln,
				      struct nflb_session *s)
{
	unsigned long exp = jiffies + nflb_session_timeout(ln, s) * HZ;

	if (READ_ONCE(s->expires) != exp)
		WRITE_ONCE(s->expires, exp);
}

static inline bool nflb_valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= NFLB_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum(*s) && *s != '_' && *s != '.' && *s != '-')
			return false;
	return true;
}

#endif /* _NFLB_SERVICE_H */
