/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFLB_OPS_H
#define _NFLB_OPS_H

#include <linux/bits.h>
#include <linux/netfilter.h>
#include <linux/nflb.h>
#include "config.h"
#include "service.h"

struct nflb_net;
struct nflb_vs;
struct nflb_pool;
struct nflb_member;
struct nflb_session_filter;
struct nflb_sync_cfg;
struct netlink_ext_ack;
struct nlattr;

/*
 * Configuration operations: each change a netlink command asks for is one
 * call here, under cfg_mutex, with a request the caller has parsed and
 * checked against its policy.
 *
 * A request says which fields it gives with a bit per attribute of the
 * object's uapi nest (BIT(NFLB_VS_A_POOL), ...).  When an operation
 * refuses a field, it names that attribute in bad_attr for the caller to
 * point the extended ack at; the message it sets itself.
 */
#define NFLB_REQ_HAS(req, attr)	(!!((req)->has & BIT(attr)))

struct nflb_vs_req {
	u32 has;
	char name[NFLB_NAME_MAX];
	char pool[NFLB_NAME_MAX];
	/* identity: new virtual servers only */
	u8 family;
	u8 proto;
	__be16 port;
	union nf_inet_addr vip;
	u8 sched;
	u8 persist_mask4;
	u8 persist_mask6;
	u32 flags;
	u32 max_sessions;
	u32 mh_size;
	u32 persist_timeout;
	u32 drain_timeout;
	u32 timeouts_has;		/* BIT(enum nflb_state) given */
	u32 timeouts[NFLB_STATE_MAX + 1];
	int bad_attr;			/* out: NFLB_VS_A_* refused, or 0 */
};

/*
 * A pool's check as a request gives it: the fields given, a bit each
 * (BIT(NFLB_CHECK_A_*)), their values, and the strings given (a bit per
 * NFLB_CHECK_S_* in str_has), pointing into the request; "" unsets one.
 * A request with a type starts from the defaults, one without changes the
 * pool's check.
 */
struct nflb_check_req {
	u32 has;
	u32 str_has;
	struct nflb_check val;		/* val.str unused */
	const char *str[NFLB_CHECK_STRS];
};

/* Passive detection settings: the fields given change, the others stay. */
struct nflb_passive_req {
	u32 has;			/* BIT(NFLB_PASSIVE_A_*) */
	struct nflb_passive val;
};

struct nflb_pool_req {
	u32 has;
	char name[NFLB_NAME_MAX];
	u32 flags;
	u32 min_active;
	struct nflb_check_req check;
	struct nflb_passive_req passive;
	int bad_attr;
	/* out: with bad_attr CHECK or PASSIVE, the field at fault, or 0 */
	int bad_inner;
};

struct nflb_member_req {
	u32 has;
	char pool[NFLB_NAME_MAX];
	u8 family;
	u8 state;
	__be16 port;
	union nf_inet_addr addr;
	u32 weight;
	u32 max_conns;
	u32 priority;
	u32 drain_timeout;
	u8 health;
	char health_reason[NFLB_HEALTH_REASON_MAX];
	u16 check_port;
	u8 check_family;		/* 0: the address given is 0: unset */
	union nf_inet_addr check_addr;
	int bad_attr;			/* out: NFLB_MEMBER_A_* refused, or 0 */
	bool state_changed;		/* out: member set changed the state */
};

struct nflb_global_req {
	u32 has;
	u32 timeouts_has;
	u32 timeouts[NFLB_STATE_MAX + 1];
	struct nflb_limits limits;	/* the NFLB_GLOBAL_A_MAX_* given */
	bool expire_nodest;
};

/*
 * Members added by one request, published together: each pool once,
 * however the request's members alternate between pools.
 */
struct nflb_member_batch {
	struct list_head pools;		/* pools with members not published */
	struct nflb_member **added;	/* in request order; NULL: taken back */
	unsigned int n;
	unsigned int max;
};

/* Lookups that tell what is missing (extack) when nothing is found. */
struct nflb_vs *nflb_op_vs_named(struct nflb_net *ln, const char *name,
				 struct netlink_ext_ack *extack);
struct nflb_pool *nflb_op_pool_named(struct nflb_net *ln, const char *name,
				     struct netlink_ext_ack *extack);
struct nflb_member *nflb_op_member_named(struct nflb_net *ln,
					 struct nflb_member_req *req,
					 struct nflb_pool **pool,
					 struct netlink_ext_ack *extack);

int nflb_op_vs_new(struct nflb_net *ln, struct nflb_vs_req *req,
		   struct nflb_vs **out, struct netlink_ext_ack *extack);
int nflb_op_vs_set(struct nflb_net *ln, struct nflb_vs *vs,
		   struct nflb_vs_req *req, struct netlink_ext_ack *extack);
void nflb_op_vs_delete(struct nflb_net *ln, struct nflb_vs *vs);

int nflb_op_pool_new(struct nflb_net *ln, struct nflb_pool_req *req,
		     struct nflb_pool **out, struct netlink_ext_ack *extack);
int nflb_op_pool_set(struct nflb_net *ln, struct nflb_pool *pool,
		     struct nflb_pool_req *req, struct netlink_ext_ack *extack);
int nflb_op_pool_delete(struct nflb_net *ln, struct nflb_pool *pool,
			struct netlink_ext_ack *extack);

void nflb_op_member_batch_init(struct nflb_member_batch *b,
			       struct nflb_member **added, unsigned int max);
int nflb_op_member_add(struct nflb_net *ln, struct nflb_member_batch *b,
		       struct nflb_member_req *req, struct nlattr *nest,
		       struct netlink_ext_ack *extack);
int nflb_op_member_commit(struct nflb_net *ln, struct nflb_member_batch *b,
			  struct netlink_ext_ack *extack);
int nflb_op_member_set(struct nflb_net *ln, struct nflb_pool *pool,
		       struct nflb_member *m, struct nflb_member_req *req,
		       struct netlink_ext_ack *extack);
void nflb_op_member_delete(struct nflb_net *ln, struct nflb_pool *pool,
			   struct nflb_member *m);

int nflb_op_global_set(struct nflb_net *ln, const struct nflb_global_req *req,
		       struct netlink_ext_ack *extack);
void nflb_op_flush(struct nflb_net *ln);
void nflb_op_reset(struct nflb_net *ln);
void nflb_op_stats_total(struct nflb_net *ln, u64 *v);
void nflb_op_stats_zero(struct nflb_net *ln);
void nflb_op_sessions_expire(struct nflb_net *ln,
			     const struct nflb_session_filter *f);

int nflb_op_sync_set(struct nflb_net *ln, const struct nflb_sync_cfg *cfg,
		     struct netlink_ext_ack *extack);
int nflb_op_sync_del(struct nflb_net *ln);
int nflb_op_sync_key(struct nflb_net *ln, bool net_admin,
		     u8 key[NFLB_SYNC_KEY_LEN], struct netlink_ext_ack *extack);

#endif /* _NFLB_OPS_H */
