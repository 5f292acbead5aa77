/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFLB_CONFIG_H
#define _NFLB_CONFIG_H

#include <linux/types.h>

struct nflb_net;
struct nflb_vs;
struct nflb_pool;
struct nflb_member;
struct netlink_ext_ack;
struct nflb_sync_cfg;
struct nflb_check;
struct nflb_passive;

/*
 * Configuration rules: defaults, limits and the checks every change passes
 * before it touches an object.  Callers hold cfg_mutex.
 */
struct nflb_limits {
	u32 max_sessions;
	u32 max_members;
	u32 max_vs;
	u32 max_pools;
	u32 max_mh_size;
};

void nflb_config_defaults(struct nflb_net *ln);
void nflb_config_vs_defaults(struct nflb_vs *vs);
void nflb_config_member_defaults(struct nflb_member *m);
void nflb_config_check_defaults(struct nflb_check *c);
void nflb_config_passive_defaults(struct nflb_passive *p);
int nflb_config_check_valid(const struct nflb_check *c,
			    struct netlink_ext_ack *extack);
int nflb_config_passive_valid(const struct nflb_passive *p,
			      struct netlink_ext_ack *extack);
void nflb_config_limits(const struct nflb_net *ln, struct nflb_limits *l);
int nflb_config_set_limits(struct nflb_net *ln, const struct nflb_limits *l,
			   struct netlink_ext_ack *extack);

int nflb_config_vs_admit(struct nflb_net *ln, struct netlink_ext_ack *extack);
int nflb_config_pool_admit(struct nflb_net *ln, struct netlink_ext_ack *extack);
int nflb_config_member_admit(struct nflb_net *ln, struct nflb_pool *pool,
			     const struct nflb_member *tmpl,
			     struct netlink_ext_ack *extack);
int nflb_config_vs_mh(struct nflb_net *ln, const struct nflb_vs *vs,
		      struct nflb_pool *pool, u8 sched, u32 size,
		      struct netlink_ext_ack *extack);

int nflb_config_sync_check(const struct nflb_sync_cfg *cfg,
			   struct netlink_ext_ack *extack);

#endif /* _NFLB_CONFIG_H */
