// SPDX-License-Identifier: GPL-2.0
/*
 * The "nflb" generic netlink family: configuration and observation.
 *
 * Every command validates strictly against its own policy (resv_start_op
 * covers all commands), so an attribute a command does not take is refused
 * rather than ignored.  Handlers run under genl_mutex (the family is not
 * parallel_ops) and take the netns' cfg_mutex for the objects they touch.
 * Changes are announced on the "events" multicast group.
 */
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/ipv6.h>
#include <net/netns/generic.h>
#include "compat.h"
#include "health.h"
#include "main.h"
#include "netlink.h"
#include "ops.h"
#include "sched.h"
#include "service.h"
#include "sync.h"

static struct genl_family nflb_family;

enum nflb_mcgrp { NFLB_MCGRP_EVENTS_ID };

static const struct genl_multicast_group nflb_mcgrps[] = {
	[NFLB_MCGRP_EVENTS_ID] = { .name = NFLB_MCGRP_EVENTS },
};

#define NFLB_NAME_POLICY { .type = NLA_NUL_STRING, .len = NFLB_NAME_MAX - 1 }
#define NFLB_READ_ONLY { .type = NLA_REJECT, \
			 .reject_message = "attribute is read-only" }

static struct netlink_range_validation nflb_secs_range = {
	.max = NFLB_TIMEOUT_MAX_SECS,
};

static struct netlink_range_validation nflb_vs_limit_range = {
	.max = NFLB_MAX_SESSIONS_LIMIT,
};

/* NLA_POLICY_MAX() holds an s16 on 6.1: wider bounds need a range struct. */
static struct netlink_range_validation nflb_weight_range = {
	.max = 65535,
};

static struct netlink_range_validation nflb_global_limit_range = {
	.min = 1,
	.max = NFLB_MAX_SESSIONS_LIMIT,
};

static struct netlink_range_validation nflb_members_limit_range = {
	.min = 1,
	.max = NFLB_MAX_MEMBERS_LIMIT,
};

static struct netlink_range_validation nflb_objects_limit_range = {
	.min = 1,
	.max = NFLB_MAX_OBJECTS_LIMIT,
};

static struct netlink_range_validation nflb_mh_limit_range = {
	.min = 7,
	.max = NFLB_MH_SIZE_MAX,
};

static const struct nla_policy nflb_timeout_policy[NFLB_TIMEOUT_A_MAX + 1] = {
	[NFLB_TIMEOUT_A_TCP_SYN_SENT ... NFLB_TIMEOUT_A_UDP] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &nflb_secs_range),
};

static const struct nla_policy nflb_vs_policy[NFLB_VS_A_MAX + 1] = {
	[NFLB_VS_A_NAME] = NFLB_NAME_POLICY,
	[NFLB_VS_A_ADDR4] = { .type = NLA_BE32 },
	[NFLB_VS_A_ADDR6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[NFLB_VS_A_PORT] = NLA_POLICY_MIN(NLA_U16, 1),
	[NFLB_VS_A_PROTO] = { .type = NLA_U8 },
	[NFLB_VS_A_POOL] = NFLB_NAME_POLICY,
	[NFLB_VS_A_SCHED] = NLA_POLICY_MAX(NLA_U32, NFLB_SCHED_MAX),
	[NFLB_VS_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, NFLB_VS_F_ALL),
	[NFLB_VS_A_MAX_SESSIONS] = NLA_POLICY_FULL_RANGE(NLA_U32,
							 &nflb_vs_limit_range),
	[NFLB_VS_A_TIMEOUTS] = NLA_POLICY_NESTED(nflb_timeout_policy),
	[NFLB_VS_A_ACTIVE] = NFLB_READ_ONLY,
	[NFLB_VS_A_STATS] = NFLB_READ_ONLY,
	[NFLB_VS_A_MH_SIZE] = { .type = NLA_U32 },
	[NFLB_VS_A_PERSIST_TIMEOUT] = NLA_POLICY_FULL_RANGE(NLA_U32,
							    &nflb_secs_range),
	[NFLB_VS_A_PERSIST_MASK4] = NLA_POLICY_MAX(NLA_U8, 32),
	[NFLB_VS_A_PERSIST_MASK6] = NLA_POLICY_MAX(NLA_U8, 128),
	[NFLB_VS_A_PAD] = NFLB_READ_ONLY,
	[NFLB_VS_A_DRAIN_TIMEOUT] = NLA_POLICY_FULL_RANGE(NLA_U32,
							  &nflb_secs_range),
};

/* Health checks: milliseconds, failures, slow start (beyond s16 bounds). */
static struct netlink_range_validation nflb_check_ms_range = {
	.min = 100,
	.max = 3600000,
};

static struct netlink_range_validation nflb_passive_fails_range = {
	.min = 1,
	.max = 1000,
};

static struct netlink_range_validation nflb_slow_start_range = {
	.max = NFLB_SLOW_START_MAX,
};

#define NFLB_CHECK_STR_POLICY { .type = NLA_NUL_STRING, \
				.len = NFLB_CHECK_STR_MAX - 1 }

static const struct nla_policy nflb_check_policy[NFLB_CHECK_A_MAX + 1] = {
	[NFLB_CHECK_A_TYPE] = NLA_POLICY_MAX(NLA_U8, NFLB_CHECK_MAX),
	[NFLB_CHECK_A_PORT] = { .type = NLA_U16 },
	[NFLB_CHECK_A_PATH] = NFLB_CHECK_STR_POLICY,
	[NFLB_CHECK_A_HOST] = NFLB_CHECK_STR_POLICY,
	[NFLB_CHECK_A_STATUS_MIN] = NLA_POLICY_RANGE(NLA_U16, 100, 599),
	[NFLB_CHECK_A_STATUS_MAX] = NLA_POLICY_RANGE(NLA_U16, 100, 599),
	[NFLB_CHECK_A_EXPECT_BODY] = NFLB_CHECK_STR_POLICY,
	[NFLB_CHECK_A_SEND] = NFLB_CHECK_STR_POLICY,
	[NFLB_CHECK_A_EXPECT] = NFLB_CHECK_STR_POLICY,
	[NFLB_CHECK_A_QUERY] = NFLB_CHECK_STR_POLICY,
	[NFLB_CHECK_A_INTERVAL] = NLA_POLICY_FULL_RANGE(NLA_U32,
							&nflb_check_ms_range),
	[NFLB_CHECK_A_TIMEOUT] = NLA_POLICY_FULL_RANGE(NLA_U32,
						       &nflb_check_ms_range),
	[NFLB_CHECK_A_RISE] = NLA_POLICY_RANGE(NLA_U8, 1, 100),
	[NFLB_CHECK_A_FALL] = NLA_POLICY_RANGE(NLA_U8, 1, 100),
	[NFLB_CHECK_A_SLOW_START] = NLA_POLICY_FULL_RANGE(NLA_U32,
							  &nflb_slow_start_range),
	[NFLB_CHECK_A_TLS_VERIFY] = NLA_POLICY_MAX(NLA_U8, 1),
};

/* The attribute of each of a check's strings (enum nflb_check_str). */
static const u8 nflb_check_str_attr[NFLB_CHECK_STRS] = {
	[NFLB_CHECK_S_PATH] = NFLB_CHECK_A_PATH,
	[NFLB_CHECK_S_HOST] = NFLB_CHECK_A_HOST,
	[NFLB_CHECK_S_EXPECT_BODY] = NFLB_CHECK_A_EXPECT_BODY,
	[NFLB_CHECK_S_SEND] = NFLB_CHECK_A_SEND,
	[NFLB_CHECK_S_EXPECT] = NFLB_CHECK_A_EXPECT,
	[NFLB_CHECK_S_QUERY] = NFLB_CHECK_A_QUERY,
};

static const struct nla_policy nflb_passive_policy[NFLB_PASSIVE_A_MAX + 1] = {
	[NFLB_PASSIVE_A_ENABLED] = NLA_POLICY_MAX(NLA_U8, 1),
	[NFLB_PASSIVE_A_FAILS] = NLA_POLICY_FULL_RANGE(NLA_U32,
						       &nflb_passive_fails_range),
	[NFLB_PASSIVE_A_HOLD] = NLA_POLICY_FULL_RANGE(NLA_U32,
						      &nflb_check_ms_range),
	[NFLB_PASSIVE_A_HOLD_MAX] = NLA_POLICY_FULL_RANGE(NLA_U32,
							  &nflb_check_ms_range),
	[NFLB_PASSIVE_A_MAX_EJECT] = NLA_POLICY_MAX(NLA_U8, 100),
};

static const struct nla_policy nflb_pool_policy[NFLB_POOL_A_MAX + 1] = {
	[NFLB_POOL_A_NAME] = NFLB_NAME_POLICY,
	[NFLB_POOL_A_MEMBERS] = NFLB_READ_ONLY,
	[NFLB_POOL_A_USERS] = NFLB_READ_ONLY,
	[NFLB_POOL_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, NFLB_POOL_F_ALL),
	[NFLB_POOL_A_MIN_ACTIVE] = { .type = NLA_U32 },
	[NFLB_POOL_A_CHECK] = NLA_POLICY_NESTED(nflb_check_policy),
	[NFLB_POOL_A_PASSIVE] = NLA_POLICY_NESTED(nflb_passive_policy),
};

static const struct nla_policy nflb_member_policy[NFLB_MEMBER_A_MAX + 1] = {
	[NFLB_MEMBER_A_POOL] = NFLB_NAME_POLICY,
	[NFLB_MEMBER_A_ADDR4] = { .type = NLA_BE32 },
	[NFLB_MEMBER_A_ADDR6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[NFLB_MEMBER_A_PORT] = NLA_POLICY_MIN(NLA_U16, 1),
	[NFLB_MEMBER_A_WEIGHT] = NLA_POLICY_FULL_RANGE(NLA_U32,
						       &nflb_weight_range),
	[NFLB_MEMBER_A_STATE] = NLA_POLICY_MAX(NLA_U8, NFLB_MEMBER_STATE_MAX),
	[NFLB_MEMBER_A_MAX_CONNS] = { .type = NLA_U32 },
	[NFLB_MEMBER_A_ACTIVE] = NFLB_READ_ONLY,
	[NFLB_MEMBER_A_STATS] = NFLB_READ_ONLY,
	[NFLB_MEMBER_A_PRIORITY] = { .type = NLA_U32 },
	[NFLB_MEMBER_A_DRAIN_TIMEOUT] = NLA_POLICY_FULL_RANGE(NLA_U32,
							      &nflb_secs_range),
	[NFLB_MEMBER_A_HEALTH] = NLA_POLICY_MAX(NLA_U8, NFLB_HEALTH_MAX),
	[NFLB_MEMBER_A_HEALTH_REASON] = { .type = NLA_NUL_STRING,
					  .len = NFLB_HEALTH_REASON_MAX - 1 },
	[NFLB_MEMBER_A_HEALTH_SINCE] = NFLB_READ_ONLY,
	[NFLB_MEMBER_A_CHECK_PORT] = { .type = NLA_U16 },
	[NFLB_MEMBER_A_CHECK_ADDR4] = { .type = NLA_BE32 },
	[NFLB_MEMBER_A_CHECK_ADDR6] =
		NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[NFLB_MEMBER_A_WEIGHT_NOW] = NFLB_READ_ONLY,
	[NFLB_MEMBER_A_PAD] = NFLB_READ_ONLY,
	[NFLB_MEMBER_A_PASSIVE_FAILS] = NFLB_READ_ONLY,
	[NFLB_MEMBER_A_EJECTIONS] = NFLB_READ_ONLY,
};

static const struct nla_policy nflb_global_policy[NFLB_GLOBAL_A_MAX + 1] = {
	[NFLB_GLOBAL_A_TIMEOUTS] = NLA_POLICY_NESTED(nflb_timeout_policy),
	[NFLB_GLOBAL_A_MAX_SESSIONS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &nflb_global_limit_range),
	[NFLB_GLOBAL_A_MAX_MEMBERS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &nflb_members_limit_range),
	[NFLB_GLOBAL_A_MAX_VS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &nflb_objects_limit_range),
	[NFLB_GLOBAL_A_MAX_POOLS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &nflb_objects_limit_range),
	[NFLB_GLOBAL_A_MAX_MH_SIZE] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &nflb_mh_limit_range),
	[NFLB_GLOBAL_A_EXPIRE_NODEST] = NLA_POLICY_MAX(NLA_U8, 1),
};

static const struct nla_policy nflb_filter_policy[NFLB_FILTER_A_MAX + 1] = {
	[NFLB_FILTER_A_VS] = NFLB_NAME_POLICY,
	[NFLB_FILTER_A_MEMBER4] = { .type = NLA_BE32 },
	[NFLB_FILTER_A_MEMBER6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[NFLB_FILTER_A_MEMBER_PORT] = { .type = NLA_U16 },
	[NFLB_FILTER_A_CLIENT4] = { .type = NLA_BE32 },
	[NFLB_FILTER_A_CLIENT6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[NFLB_FILTER_A_CLIENT_PREFIXLEN] = NLA_POLICY_MAX(NLA_U8, 128),
};

static const struct nla_policy nflb_sync_peer_policy[NFLB_SYNC_PEER_A_MAX + 1] = {
	[NFLB_SYNC_PEER_A_PAD] = NFLB_READ_ONLY,
	[NFLB_SYNC_PEER_A_ADDR4] = { .type = NLA_BE32 },
	[NFLB_SYNC_PEER_A_ADDR6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[NFLB_SYNC_PEER_A_NODE_ID] = NFLB_READ_ONLY,
	[NFLB_SYNC_PEER_A_STATE] = NFLB_READ_ONLY,
	[NFLB_SYNC_PEER_A_LAST_SEEN] = NFLB_READ_ONLY,
	[NFLB_SYNC_PEER_A_TX_DATAGRAMS] = NFLB_READ_ONLY,
	[NFLB_SYNC_PEER_A_RX_DATAGRAMS] = NFLB_READ_ONLY,
	[NFLB_SYNC_PEER_A_RX_RECORDS] = NFLB_READ_ONLY,
	[NFLB_SYNC_PEER_A_LAG] = NFLB_READ_ONLY,
	[NFLB_SYNC_PEER_A_OWNER_SHARE] = NFLB_READ_ONLY,
};

/* Beyond NLA_POLICY_RANGE's s16 bounds. */
static struct netlink_range_validation nflb_sync_rate_range __ro_after_init = {
	.min = NFLB_SYNC_RATE_MIN,
	.max = NFLB_SYNC_RATE_MAX,
};

static const struct nla_policy nflb_sync_policy[NFLB_SYNC_A_MAX + 1] = {
	[NFLB_SYNC_A_PAD] = NFLB_READ_ONLY,
	[NFLB_SYNC_A_NODE_ID] = NLA_POLICY_MIN(NLA_U8, 1),
	[NFLB_SYNC_A_LOCAL4] = { .type = NLA_BE32 },
	[NFLB_SYNC_A_LOCAL6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[NFLB_SYNC_A_PORT] = NLA_POLICY_MIN(NLA_U16, 1),
	[NFLB_SYNC_A_PEER] = NLA_POLICY_NESTED(nflb_sync_peer_policy),
	[NFLB_SYNC_A_KEY] = NLA_POLICY_EXACT_LEN(NFLB_SYNC_KEY_LEN),
	[NFLB_SYNC_A_READY] = NFLB_READ_ONLY,
	[NFLB_SYNC_A_STATS] = NFLB_READ_ONLY,
	[NFLB_SYNC_A_RATE] = NLA_POLICY_FULL_RANGE(NLA_U32, &nflb_sync_rate_range),
	[NFLB_SYNC_A_WITH_KEY] = { .type = NLA_REJECT,
				   .reject_message = "with-key: only in a sync get request" },
	[NFLB_SYNC_A_REDIRECT] = NLA_POLICY_MAX(NLA_U8, 1),
	[NFLB_SYNC_A_OWNER_SHARE] = NFLB_READ_ONLY,
	[NFLB_SYNC_A_DELAY] = NLA_POLICY_RANGE(NLA_U32, NFLB_SYNC_DELAY_MIN,
					       NFLB_SYNC_DELAY_MAX),
};

static const struct nla_policy nflb_sync_req[NFLB_A_MAX + 1] = {
	[NFLB_A_SYNC] = NLA_POLICY_NESTED(nflb_sync_policy),
};

/* SYNC_GET takes, optionally, a sync nest with the with-key flag only. */
static const struct nla_policy nflb_sync_get_policy[NFLB_SYNC_A_MAX + 1] = {
	[NFLB_SYNC_A_WITH_KEY] = { .type = NLA_FLAG },
};

static const struct nla_policy nflb_sync_get_req[NFLB_A_MAX + 1] = {
	[NFLB_A_SYNC] = NLA_POLICY_NESTED(nflb_sync_get_policy),
};

static const struct nla_policy nflb_vs_req[NFLB_A_MAX + 1] = {
	[NFLB_A_VS] = NLA_POLICY_NESTED(nflb_vs_policy),
};

static const struct nla_policy nflb_pool_req[NFLB_A_MAX + 1] = {
	[NFLB_A_POOL] = NLA_POLICY_NESTED(nflb_pool_policy),
};

static const struct nla_policy nflb_member_req[NFLB_A_MAX + 1] = {
	[NFLB_A_MEMBER] = NLA_POLICY_NESTED(nflb_member_policy),
};

/*
 * MEMBER_NEW also takes a list of members.  Their nests are validated one
 * by one as they are added, so that one bad member does not undo the ones
 * before it.
 */
static const struct nla_policy nflb_member_new_req[NFLB_A_MAX + 1] = {
	[NFLB_A_MEMBER] = NLA_POLICY_NESTED(nflb_member_policy),
	[NFLB_A_MEMBERS] = { .type = NLA_NESTED },
};

static const struct nla_policy nflb_global_req[NFLB_A_MAX + 1] = {
	[NFLB_A_GLOBAL] = NLA_POLICY_NESTED(nflb_global_policy),
};

static const struct nla_policy nflb_filter_req[NFLB_A_MAX + 1] = {
	[NFLB_A_FILTER] = NLA_POLICY_NESTED(nflb_filter_policy),
};

/* ---- helpers ---------------------------------------------------------- */

/*
 * A dump request's attributes.  genetlink validated them against the same
 * policy already; parsing here keeps us off the dump-info layout, which
 * changed after 6.1.
 */
static int nflb_dump_parse(struct netlink_callback *cb, struct nlattr **attrs,
			   const struct nla_policy *policy)
{
	return genlmsg_parse(cb->nlh, &nflb_family, attrs, NFLB_A_MAX, policy,
			     cb->extack);
}

static struct nflb_net *nflb_info_ln(struct genl_info *info)
{
	return nflb_net(genl_info_net(info));
}

/* Parses the command's one object nest; it must be present. */
static int nflb_parse_obj(struct genl_info *info, int type,
			  const struct nla_policy *policy, int max,
			  struct nlattr **tb)
{
	if (GENL_REQ_ATTR_CHECK(info, type)) {
		NL_SET_ERR_MSG(info->extack, "the object's attribute nest is missing");
		return -EINVAL;
	}
	return nla_parse_nested(tb, max, info->attrs[type], policy,
				info->extack);
}

static int nflb_get_name(struct nlattr **tb, int type, char *name,
			 struct netlink_ext_ack *extack, struct nlattr *nest)
{
	if (!tb[type]) {
		NL_SET_ERR_ATTR_MISS(extack, nest, type);
		NL_SET_ERR_MSG(extack, "name is required");
		return -EINVAL;
	}
	nla_strscpy(name, tb[type], NFLB_NAME_MAX);
	if (!nflb_valid_name(name)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[type],
				    "invalid name: use 1-31 of [A-Za-z0-9_.-]");
		return -EINVAL;
	}
	return 0;
}

/* Exactly one of an ADDR4/ADDR6 pair; fills family and address. */
static int nflb_get_addr(struct nlattr **tb, int a4, int a6, u8 *family,
			 union nf_inet_addr *addr,
			 struct netlink_ext_ack *extack, struct nlattr *nest,
			 bool required)
{
	memset(addr, 0, sizeof(*addr));
	*family = 0;
	if (tb[a4] && tb[a6]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[a6],
				    "give either an IPv4 or an IPv6 address");
		return -EINVAL;
	}
	if (tb[a4]) {
		*family = AF_INET;
		addr->ip = nla_get_in_addr(tb[a4]);
	} else if (tb[a6]) {
		*family = AF_INET6;
		addr->in6 = nla_get_in6_addr(tb[a6]);
	} else if (required) {
		NL_SET_ERR_ATTR_MISS(extack, nest, a4);
		NL_SET_ERR_MSG(extack, "address is required");
		return -EINVAL;
	}
	return 0;
}

static int nflb_put_addr(struct sk_buff *skb, int a4, int a6, u8 family,
			 const union nf_inet_addr *addr)
{
	if (family == AF_INET)
		return nla_put_in_addr(skb, a4, addr->ip);
	return nla_put_in6_addr(skb, a6, &addr->in6);
}

static int nflb_put_timeouts(struct sk_buff *skb, int type, const u32 *t)
{
	struct nlattr *nest = nla_nest_start(skb, type);
	int i;

	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i <= NFLB_STATE_MAX; i++)
		if (nla_put_u32(skb, i + 1, t[i]))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* The timeouts given, a bit each in @has; @allow_zero for per-VS "inherit". */
static int nflb_get_timeouts(struct nlattr *attr, u32 *t, u32 *has,
			     bool allow_zero, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[NFLB_TIMEOUT_A_MAX + 1];
	int i, err;

	err = nla_parse_nested(tb, NFLB_TIMEOUT_A_MAX, attr,
			       nflb_timeout_policy, extack);
	if (err)
		return err;
	for (i = 0; i <= NFLB_STATE_MAX; i++) {
		if (!tb[i + 1])
			continue;
		t[i] = nla_get_u32(tb[i + 1]);
		if (!t[i] && !allow_zero) {
			NL_SET_ERR_MSG_ATTR(extack, tb[i + 1],
					    "timeout must be at least 1 second");
			return -EINVAL;
		}
		*has |= BIT(i);
	}
	return 0;
}

/* Seconds from now until @deadline (jiffies), 0 if none or passed. */
static u32 nflb_secs_left(unsigned long deadline)
{
	unsigned long now = jiffies;

	if (!deadline || !time_after(deadline, now))
		return 0;
	return DIV_ROUND_UP(deadline - now, HZ);
}

static void *nflb_put_hdr(struct sk_buff *skb, u32 portid, u32 seq,
			  int flags, u8 cmd)
{
	return genlmsg_put(skb, portid, seq, &nflb_family, flags, cmd);
}

/* Sends @msg to "events" listeners of @net, or frees it. */
static void nflb_notify(struct net *net, struct sk_buff *msg)
{
	genlmsg_multicast_netns(&nflb_family, net, msg, 0,
				NFLB_MCGRP_EVENTS_ID, GFP_KERNEL);
}

static bool nflb_has_listeners(struct net *net)
{
	return genl_has_listeners(&nflb_family, net, NFLB_MCGRP_EVENTS_ID);
}

/* ---- fill ------------------------------------------------------------- */

static int nflb_fill_vs(struct sk_buff *skb, struct nflb_vs *vs, u32 portid,
			u32 seq, int flags, u8 cmd)
{
	struct nflb_pool *pool = rcu_dereference_protected(vs->pool, true);
	struct nlattr *nest;
	void *hdr;

	hdr = nflb_put_hdr(skb, portid, seq, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	nest = nla_nest_start(skb, NFLB_A_VS);
	if (!nest ||
	    nla_put_string(skb, NFLB_VS_A_NAME, vs->name) ||
	    nflb_put_addr(skb, NFLB_VS_A_ADDR4, NFLB_VS_A_ADDR6, vs->family,
			  &vs->vip) ||
	    nla_put_u16(skb, NFLB_VS_A_PORT, ntohs(vs->port)) ||
	    nla_put_u8(skb, NFLB_VS_A_PROTO, vs->proto) ||
	    nla_put_string(skb, NFLB_VS_A_POOL, pool->name) ||
	    nla_put_u32(skb, NFLB_VS_A_SCHED, vs->sched) ||
	    nla_put_u32(skb, NFLB_VS_A_FLAGS, vs->flags) ||
	    nla_put_u32(skb, NFLB_VS_A_MAX_SESSIONS, vs->max_sessions) ||
	    nla_put_u32(skb, NFLB_VS_A_ACTIVE, atomic_read(&vs->active)) ||
	    nla_put_u32(skb, NFLB_VS_A_MH_SIZE, vs->mh_size) ||
	    nla_put_u32(skb, NFLB_VS_A_PERSIST_TIMEOUT, vs->persist_timeout) ||
	    nla_put_u8(skb, NFLB_VS_A_PERSIST_MASK4, vs->persist_mask4) ||
	    nla_put_u8(skb, NFLB_VS_A_PERSIST_MASK6, vs->persist_mask6) ||
	    nla_put_u32(skb, NFLB_VS_A_DRAIN_TIMEOUT,
			nflb_secs_left(vs->drain_deadline)) ||
	    nflb_put_timeouts(skb, NFLB_VS_A_TIMEOUTS, vs->timeouts) ||
	    nflb_stats_fill(skb, NFLB_VS_A_STATS, vs->stats,
			    atomic_read(&vs->active)))
		goto cancel;
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* What an unset string means, put so that lbhealthd need not know it. */
static const char *nflb_check_str_default(u8 type, int i)
{
	if (i == NFLB_CHECK_S_PATH &&
	    (type == NFLB_CHECK_HTTP || type == NFLB_CHECK_HTTPS))
		return "/";
	if (i == NFLB_CHECK_S_QUERY && type == NFLB_CHECK_UDP_DNS)
		return ".";
	return NULL;
}

static int nflb_put_check(struct sk_buff *skb, const struct nflb_check *c)
{
	struct nlattr *nest = nla_nest_start(skb, NFLB_POOL_A_CHECK);
	int i;

	if (!nest ||
	    nla_put_u8(skb, NFLB_CHECK_A_TYPE, c->type) ||
	    nla_put_u16(skb, NFLB_CHECK_A_PORT, c->port) ||
	    nla_put_u16(skb, NFLB_CHECK_A_STATUS_MIN, c->status_min) ||
	    nla_put_u16(skb, NFLB_CHECK_A_STATUS_MAX, c->status_max) ||
	    nla_put_u32(skb, NFLB_CHECK_A_INTERVAL, c->interval_ms) ||
	    nla_put_u32(skb, NFLB_CHECK_A_TIMEOUT, c->timeout_ms) ||
	    nla_put_u8(skb, NFLB_CHECK_A_RISE, c->rise) ||
	    nla_put_u8(skb, NFLB_CHECK_A_FALL, c->fall) ||
	    nla_put_u32(skb, NFLB_CHECK_A_SLOW_START, c->slow_start) ||
	    nla_put_u8(skb, NFLB_CHECK_A_TLS_VERIFY, c->tls_verify))
		return -EMSGSIZE;
	for (i = 0; i < NFLB_CHECK_STRS; i++) {
		const char *v = c->str[i] ?: nflb_check_str_default(c->type, i);

		if (v && nla_put_string(skb, nflb_check_str_attr[i], v))
			return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int nflb_put_passive(struct sk_buff *skb, const struct nflb_passive *p)
{
	struct nlattr *nest = nla_nest_start(skb, NFLB_POOL_A_PASSIVE);

	if (!nest ||
	    nla_put_u8(skb, NFLB_PASSIVE_A_ENABLED, p->enabled) ||
	    nla_put_u32(skb, NFLB_PASSIVE_A_FAILS, p->fails) ||
	    nla_put_u32(skb, NFLB_PASSIVE_A_HOLD, p->hold_ms) ||
	    nla_put_u32(skb, NFLB_PASSIVE_A_HOLD_MAX, p->hold_max_ms) ||
	    nla_put_u8(skb, NFLB_PASSIVE_A_MAX_EJECT, p->max_eject))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int nflb_fill_pool(struct sk_buff *skb, struct nflb_pool *pool,
			  u32 portid, u32 seq, int flags, u8 cmd)
{
	struct nlattr *nest;
	void *hdr;

	hdr = nflb_put_hdr(skb, portid, seq, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	nest = nla_nest_start(skb, NFLB_A_POOL);
	if (!nest ||
	    nla_put_string(skb, NFLB_POOL_A_NAME, pool->name) ||
	    nla_put_u32(skb, NFLB_POOL_A_MEMBERS, pool->member_count) ||
	    nla_put_u32(skb, NFLB_POOL_A_USERS, pool->users) ||
	    nla_put_u32(skb, NFLB_POOL_A_FLAGS, pool->flags) ||
	    nla_put_u32(skb, NFLB_POOL_A_MIN_ACTIVE, pool->min_active) ||
	    nflb_put_check(skb, &pool->check) ||
	    nflb_put_passive(skb, &pool->passive))
		goto cancel;
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* Health, its reason and age, and the weight slow start allows now. */
static int nflb_put_member_health(struct sk_buff *skb,
				  const struct nflb_member *m)
{
	if (nla_put_u8(skb, NFLB_MEMBER_A_HEALTH, m->health) ||
	    (m->health_reason[0] &&
	     nla_put_string(skb, NFLB_MEMBER_A_HEALTH_REASON,
			    m->health_reason)) ||
	    nla_put_u64_64bit(skb, NFLB_MEMBER_A_HEALTH_SINCE, m->health_since,
			      NFLB_MEMBER_A_PAD) ||
	    nla_put_u32(skb, NFLB_MEMBER_A_WEIGHT_NOW, m->weight_now))
		return -EMSGSIZE;
	return 0;
}

/* The check overrides, when set; the ejection count. */
static int nflb_put_member_check(struct sk_buff *skb,
				 const struct nflb_member *m)
{
	if (nla_put_u16(skb, NFLB_MEMBER_A_CHECK_PORT, m->check_port) ||
	    (m->check_family &&
	     nflb_put_addr(skb, NFLB_MEMBER_A_CHECK_ADDR4,
			   NFLB_MEMBER_A_CHECK_ADDR6, m->check_family,
			   &m->check_addr)) ||
	    nla_put_u64_64bit(skb, NFLB_MEMBER_A_EJECTIONS, m->ejections,
			      NFLB_MEMBER_A_PAD))
		return -EMSGSIZE;
	return 0;
}

static int nflb_fill_member(struct sk_buff *skb, const char *pool,
			    struct nflb_member *m, u32 portid, u32 seq,
			    int flags, u8 cmd)
{
	u64 v[NFLB_C_MAX];
	struct nlattr *nest;
	void *hdr;

	hdr = nflb_put_hdr(skb, portid, seq, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	nest = nla_nest_start(skb, NFLB_A_MEMBER);
	if (!nest ||
	    nla_put_string(skb, NFLB_MEMBER_A_POOL, pool) ||
	    nflb_put_addr(skb, NFLB_MEMBER_A_ADDR4, NFLB_MEMBER_A_ADDR6,
			  m->family, &m->addr) ||
	    nla_put_u16(skb, NFLB_MEMBER_A_PORT, ntohs(m->port)) ||
	    nla_put_u32(skb, NFLB_MEMBER_A_WEIGHT, m->weight) ||
	    nla_put_u8(skb, NFLB_MEMBER_A_STATE, m->state) ||
	    nla_put_u32(skb, NFLB_MEMBER_A_MAX_CONNS, m->max_conns) ||
	    nla_put_u32(skb, NFLB_MEMBER_A_PRIORITY, m->priority) ||
	    nla_put_u32(skb, NFLB_MEMBER_A_DRAIN_TIMEOUT,
			nflb_secs_left(m->drain_deadline) ?: m->drain_timeout) ||
	    nla_put_u32(skb, NFLB_MEMBER_A_ACTIVE, atomic_read(&m->active)) ||
	    nflb_put_member_health(skb, m) ||
	    nflb_put_member_check(skb, m))
		goto cancel;
	nflb_stats_sum(m->stats, v);
	if (nla_put_u64_64bit(skb, NFLB_MEMBER_A_PASSIVE_FAILS,
			      v[NFLB_C_PASSIVE_FAILS], NFLB_MEMBER_A_PAD) ||
	    nflb_stats_fill_sums(skb, NFLB_MEMBER_A_STATS, v,
				 atomic_read(&m->active), U64_MAX))
		goto cancel;
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

static int nflb_fill_global(struct sk_buff *skb, struct nflb_net *ln,
			    u32 portid, u32 seq, u8 cmd)
{
	struct nlattr *nest;
	void *hdr;

	hdr = nflb_put_hdr(skb, portid, seq, 0, cmd);
	if (!hdr)
		return -EMSGSIZE;
	nest = nla_nest_start(skb, NFLB_A_GLOBAL);
	if (!nest ||
	    nflb_put_timeouts(skb, NFLB_GLOBAL_A_TIMEOUTS, ln->timeouts) ||
	    nla_put_u32(skb, NFLB_GLOBAL_A_MAX_SESSIONS, ln->max_sessions) ||
	    nla_put_u32(skb, NFLB_GLOBAL_A_MAX_MEMBERS, ln->max_members) ||
	    nla_put_u32(skb, NFLB_GLOBAL_A_MAX_VS, ln->max_vs) ||
	    nla_put_u32(skb, NFLB_GLOBAL_A_MAX_POOLS, ln->max_pools) ||
	    nla_put_u32(skb, NFLB_GLOBAL_A_MAX_MH_SIZE, ln->max_mh_size) ||
	    nla_put_u8(skb, NFLB_GLOBAL_A_EXPIRE_NODEST, ln->expire_nodest))
		goto cancel;
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* Builds a one-object message with @fill and unicasts or multicasts it. */
typedef int (*nflb_fill_fn)(struct sk_buff *skb, void *obj, void *ctx,
			    u32 portid, u32 seq, u8 cmd);

/*
 * One object fits in an skb of 1 KiB with its overhead (a virtual server
 * with all its counters is ~550 bytes); what does not is built again in a
 * page.  The size matters: the kernel clears the whole buffer on allocation
 * (init_on_alloc), and a page per reply was a fifth of a "global show".
 */
#define NFLB_MSG_SMALL	(SKB_WITH_OVERHEAD(1024) - NLMSG_HDRLEN)

static struct sk_buff *nflb_build(nflb_fill_fn fill, void *obj, void *ctx,
				  u32 portid, u32 seq, u8 cmd)
{
	size_t size = NFLB_MSG_SMALL;
	struct sk_buff *msg;
	int err;

	for (;;) {
		msg = nlmsg_new(size, GFP_KERNEL);
		if (!msg)
			return NULL;
		err = fill(msg, obj, ctx, portid, seq, cmd);
		if (!err)
			return msg;
		nlmsg_free(msg);
		if (err != -EMSGSIZE || size == NLMSG_GOODSIZE)
			return NULL;
		size = NLMSG_GOODSIZE;
	}
}

static int nflb_vs_fill_fn(struct sk_buff *skb, void *obj, void *ctx,
			   u32 portid, u32 seq, u8 cmd)
{
	return nflb_fill_vs(skb, obj, portid, seq, 0, cmd);
}

static int nflb_pool_fill_fn(struct sk_buff *skb, void *obj, void *ctx,
			     u32 portid, u32 seq, u8 cmd)
{
	return nflb_fill_pool(skb, obj, portid, seq, 0, cmd);
}

static int nflb_member_fill_fn(struct sk_buff *skb, void *obj, void *ctx,
			       u32 portid, u32 seq, u8 cmd)
{
	return nflb_fill_member(skb, ctx, obj, portid, seq, 0, cmd);
}

static int nflb_global_fill_fn(struct sk_buff *skb, void *obj, void *ctx,
			       u32 portid, u32 seq, u8 cmd)
{
	return nflb_fill_global(skb, obj, portid, seq, cmd);
}

static void nflb_event(struct net *net, nflb_fill_fn fill, void *obj,
		       void *ctx, u8 cmd)
{
	struct sk_buff *msg;

	if (!nflb_has_listeners(net))
		return;
	msg = nflb_build(fill, obj, ctx, 0, 0, cmd);
	if (msg)
		nflb_notify(net, msg);
}

static int nflb_reply(struct genl_info *info, nflb_fill_fn fill, void *obj,
		      void *ctx)
{
	struct sk_buff *msg;

	msg = nflb_build(fill, obj, ctx, info->snd_portid, info->snd_seq,
			 info->genlhdr->cmd);
	if (!msg)
		return -ENOMEM;
	return genlmsg_reply(msg, info);
}

/* ---- requests ------------------------------------------------------------ */

/* Which of an object's attributes the request gives, a bit each. */
static u32 nflb_given(struct nlattr **tb, int max)
{
	u32 has = 0;
	int i;

	BUILD_BUG_ON(NFLB_VS_A_MAX >= 32 || NFLB_POOL_A_MAX >= 32 ||
		     NFLB_MEMBER_A_MAX >= 32 || NFLB_GLOBAL_A_MAX >= 32);

	for (i = 1; i <= max; i++)
		if (tb[i])
			has |= BIT(i);
	return has;
}

/* Points the extended ack at the attribute an operation refused. */
static int nflb_blame(struct netlink_ext_ack *extack, struct nlattr **tb,
		      int attr, int err)
{
	if (err && attr && tb[attr])
		NL_SET_BAD_ATTR(extack, tb[attr]);
	return err;
}

/* ---- virtual servers ---------------------------------------------------- */

/* A new virtual server's address, port, protocol and pool, all required. */
static int nflb_vs_parse_identity(struct nlattr **tb, struct nflb_vs_req *req,
				  struct nlattr *nest,
				  struct netlink_ext_ack *extack)
{
	int err;

	err = nflb_get_addr(tb, NFLB_VS_A_ADDR4, NFLB_VS_A_ADDR6,
			    &req->family, &req->vip, extack, nest, true);
	if (err)
		return err;
	if (!tb[NFLB_VS_A_PORT] || !tb[NFLB_VS_A_PROTO] || !tb[NFLB_VS_A_POOL]) {
		NL_SET_ERR_MSG(extack,
			       "virtual server needs port, proto and pool");
		NL_SET_ERR_ATTR_MISS(extack, nest,
				     !tb[NFLB_VS_A_PORT] ? NFLB_VS_A_PORT :
				     !tb[NFLB_VS_A_PROTO] ? NFLB_VS_A_PROTO :
				     NFLB_VS_A_POOL);
		return -EINVAL;
	}
	req->port = htons(nla_get_u16(tb[NFLB_VS_A_PORT]));
	req->proto = nla_get_u8(tb[NFLB_VS_A_PROTO]);
	if (req->proto != IPPROTO_TCP && req->proto != IPPROTO_UDP) {
		NL_SET_ERR_MSG_ATTR(extack, tb[NFLB_VS_A_PROTO],
				    "proto must be tcp (6) or udp (17)");
		return -EINVAL;
	}
	return 0;
}

static void nflb_get_u32(struct nlattr **tb, int type, u32 *v)
{
	if (tb[type])
		*v = nla_get_u32(tb[type]);
}

static void nflb_get_u8(struct nlattr **tb, int type, u8 *v)
{
	if (tb[type])
		*v = nla_get_u8(tb[type]);
}

/* The options of a NEW or SET request; SET's identity is only noted. */
static int nflb_vs_parse_options(struct nlattr **tb, struct nflb_vs_req *req,
				 struct netlink_ext_ack *extack)
{
	int err;

	if (tb[NFLB_VS_A_POOL]) {
		err = nflb_get_name(tb, NFLB_VS_A_POOL, req->pool, extack, NULL);
		if (err)
			return err;
	}
	nflb_get_u32(tb, NFLB_VS_A_MH_SIZE, &req->mh_size);
	if (tb[NFLB_VS_A_MH_SIZE] && !nflb_mh_size_valid(req->mh_size)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[NFLB_VS_A_MH_SIZE],
				    "mh-size must be a prime from 7 to 131071");
		return -EINVAL;
	}
	if (tb[NFLB_VS_A_SCHED])
		req->sched = nla_get_u32(tb[NFLB_VS_A_SCHED]);
	nflb_get_u32(tb, NFLB_VS_A_FLAGS, &req->flags);
	nflb_get_u32(tb, NFLB_VS_A_MAX_SESSIONS, &req->max_sessions);
	nflb_get_u32(tb, NFLB_VS_A_PERSIST_TIMEOUT, &req->persist_timeout);
	nflb_get_u8(tb, NFLB_VS_A_PERSIST_MASK4, &req->persist_mask4);
	nflb_get_u8(tb, NFLB_VS_A_PERSIST_MASK6, &req->persist_mask6);
	nflb_get_u32(tb, NFLB_VS_A_DRAIN_TIMEOUT, &req->drain_timeout);
	if (tb[NFLB_VS_A_TIMEOUTS])
		return nflb_get_timeouts(tb[NFLB_VS_A_TIMEOUTS], req->timeouts,
					 &req->timeouts_has, true, extack);
	return 0;
}

/* A virtual server request's nest, its name and, for @op NEW/SET, the rest. */
static int nflb_vs_parse(struct genl_info *info, struct nlattr **tb,
			 struct nflb_vs_req *req, u8 op)
{
	struct nlattr *nest = info->attrs[NFLB_A_VS];
	int err;

	memset(req, 0, sizeof(*req));
	err = nflb_parse_obj(info, NFLB_A_VS, nflb_vs_policy, NFLB_VS_A_MAX, tb);
	if (!err)
		err = nflb_get_name(tb, NFLB_VS_A_NAME, req->name, info->extack,
				    nest);
	if (err || (op != NFLB_CMD_VS_NEW && op != NFLB_CMD_VS_SET))
		return err;
	req->has = nflb_given(tb, NFLB_VS_A_MAX);
	if (op == NFLB_CMD_VS_NEW) {
		err = nflb_vs_parse_identity(tb, req, nest, info->extack);
		if (err)
			return err;
	}
	return nflb_vs_parse_options(tb, req, info->extack);
}

/* The virtual server a SET, DEL or GET names. */
static struct nflb_vs *nflb_vs_named(struct nflb_net *ln, struct nlattr **tb,
				     const struct nflb_vs_req *req,
				     struct netlink_ext_ack *extack)
{
	struct nflb_vs *vs = nflb_op_vs_named(ln, req->name, extack);

	if (!vs)
		NL_SET_BAD_ATTR(extack, tb[NFLB_VS_A_NAME]);
	return vs;
}

static int nflb_nl_vs_new(struct sk_buff *skb, struct genl_info *info)
{
	struct nflb_net *ln = nflb_info_ln(info);
	struct nlattr *tb[NFLB_VS_A_MAX + 1];
	struct nflb_vs_req req;
	struct nflb_vs *vs;
	int err;

	err = nflb_vs_parse(info, tb, &req, NFLB_CMD_VS_NEW);
	if (err)
		return err;
	mutex_lock(&ln->cfg_mutex);
	err = nflb_op_vs_new(ln, &req, &vs, info->extack);
	if (!err)
		nflb_event(ln->net, nflb_vs_fill_fn, vs, NULL, NFLB_CMD_VS_NEW);
	mutex_unlock(&ln->cfg_mutex);
	return nflb_blame(info->extack, tb, req.bad_attr, err);
}

static int nflb_nl_vs_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nflb_net *ln = nflb_info_ln(info);
	struct nlattr *tb[NFLB_VS_A_MAX + 1];
	struct nflb_vs_req req;
	struct nflb_vs *vs;
	int err;

	err = nflb_vs_parse(info, tb, &req, NFLB_CMD_VS_SET);
	if (err)
		return err;
	mutex_lock(&ln->cfg_mutex);
	vs = nflb_vs_named(ln, tb, &req, info->extack);
	err = vs ? nflb_op_vs_set(ln, vs, &req, info->extack) : -ENOENT;
	if (!err)
		nflb_event(ln->net, nflb_vs_fill_fn, vs, NULL, NFLB_CMD_VS_SET);
	mutex_unlock(&ln->cfg_mutex);
	return nflb_blame(info->extack, tb, req.bad_attr, err);
}

static int nflb_nl_vs_del(struct sk_buff *skb, struct genl_info *info)
{
	struct nflb_net *ln = nflb_info_ln(info);
	struct nlattr *tb[NFLB_VS_A_MAX + 1];
	struct sk_buff *ev = NULL;
	struct nflb_vs_req req;
	struct nflb_vs *vs;
	int err;

	err = nflb_vs_parse(info, tb, &req, NFLB_CMD_VS_DEL);
	if (err)
		return err;
	mutex_lock(&ln->cfg_mutex);
	vs = nflb_vs_named(ln, tb, &req, info->extack);
	if (vs) {
		if (nflb_has_listeners(ln->net))
			ev = nflb_build(nflb_vs_fill_fn, vs, NULL, 0, 0,
					NFLB_CMD_VS_DEL);
		nflb_op_vs_delete(ln, vs);
	}
	mutex_unlock(&ln->cfg_mutex);
	if (ev)
		nflb_notify(ln->net, ev);
	return vs ? 0 : -ENOENT;
}

static int nflb_nl_vs_get(struct sk_buff *skb, struct genl_info *info)
{
	struct nflb_net *ln = nflb_info_ln(info);
	struct nlattr *tb[NFLB_VS_A_MAX + 1];
	struct nflb_vs_req req;
	struct nflb_vs *vs;
	int err;

	err = nflb_vs_parse(info, tb, &req, NFLB_CMD_VS_GET);
	if (err)
		return err;
	mutex_lock(&ln->cfg_mutex);
	vs = nflb_vs_named(ln, tb, &req, info->extack);
	err = vs ? nflb_reply(info, nflb_vs_fill_fn, vs, NULL) : -ENOENT;
	mutex_unlock(&ln->cfg_mutex);
	return err;
}

typedef int (*nflb_dump_fill_fn)(struct sk_buff *skb, struct list_head *node,
				 struct netlink_callback *cb);

/*
 * Marks the message just added at @len with NLM_F_DUMP_INTR when objects
 * were added or removed since the dump's previous part (cfg_gen moved):
 * the positions it resumes from may have shifted.
 */
static void nflb_dump_consistent(struct netlink_callback *cb,
				 struct sk_buff *skb, int len)
{
	nl_dump_check_consistent(cb, (struct nlmsghdr *)(skb->data + len));
}

/*
 * Dumps a config list (virtual servers or pools) from where the last
 * message stopped; cb->args[0] counts the entries already sent.
 */
static int nflb_dump_list(struct sk_buff *skb, struct netlink_callback *cb,
			  struct list_head *(*head)(struct nflb_net *ln),
			  nflb_dump_fill_fn fill)
{
	struct nflb_net *ln = nflb_net(sock_net(skb->sk));
	long idx = 0, start = cb->args[0];
	struct list_head *pos;

	mutex_lock(&ln->cfg_mutex);
	cb->seq = ln->cfg_gen;
	list_for_each(pos, head(ln)) {
		int len = skb->len;

		if (idx++ < start)
			continue;
		if (fill(skb, pos, cb) < 0) {
			idx--;
			break;
		}
		nflb_dump_consistent(cb, skb, len);
	}
	mutex_unlock(&ln->cfg_mutex);
	cb->args[0] = idx;
	return skb->len;
}

static struct list_head *nflb_vs_head(struct nflb_net *ln)
{
	return &ln->vs_list;
}

static int nflb_vs_dump_one(struct sk_buff *skb, struct list_head *node,
			    struct netlink_callback *cb)
{
	return nflb_fill_vs(skb, list_entry(node, struct nflb_vs, list),
			    NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			    NLM_F_MULTI, NFLB_CMD_VS_GET);
}

static int nflb_nl_vs_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	return nflb_dump_list(skb, cb, nflb_vs_head, nflb_vs_dump_one);
}

/* ---- pools -------------------------------------------------------------- */

static void nflb_get_u16(struct nlattr **tb, int type, u16 *v)
{
	if (tb[type])
		*v = nla_get_u16(tb[type]);
}

/* A check nest, checked by its policy already, into @r. */
static int nflb_check_parse(struct nlattr *nest, struct nflb_check_req *r,
			    struct netlink_ext_ack *extack)
{
	struct nlattr *tb[NFLB_CHECK_A_MAX + 1];
	struct nflb_check *v = &r->val;
	int i, err;

	err = nla_parse_nested(tb, NFLB_CHECK_A_MAX, nest, nflb_check_policy,
			       extack);
	if (err)
		return err;
	r->has = nflb_given(tb, NFLB_CHECK_A_MAX);
	nflb_get_u8(tb, NFLB_CHECK_A_TYPE, &v->type);
	nflb_get_u16(tb, NFLB_CHECK_A_PORT, &v->port);
	nflb_get_u16(tb, NFLB_CHECK_A_STATUS_MIN, &v->status_min);
	nflb_get_u16(tb, NFLB_CHECK_A_STATUS_MAX, &v->status_max);
	nflb_get_u32(tb, NFLB_CHECK_A_INTERVAL, &v->interval_ms);
	nflb_get_u32(tb, NFLB_CHECK_A_TIMEOUT, &v->timeout_ms);
	nflb_get_u8(tb, NFLB_CHECK_A_RISE, &v->rise);
	nflb_get_u8(tb, NFLB_CHECK_A_FALL, &v->fall);
	nflb_get_u32(tb, NFLB_CHECK_A_SLOW_START, &v->slow_start);
	nflb_get_u8(tb, NFLB_CHECK_A_TLS_VERIFY, &v->tls_verify);
	for (i = 0; i < NFLB_CHECK_STRS; i++) {
		struct nlattr *a = tb[nflb_check_str_attr[i]];

		if (a) {	/* NLA_NUL_STRING: terminated */
			r->str_has |= BIT(i);
			r->str[i] = nla_data(a);
		}
	}
	return 0;
}

static int nflb_passive_parse(struct nlattr *nest, struct nflb_passive_req *r,
			      struct netlink_ext_ack *extack)
{
	struct nlattr *tb[NFLB_PASSIVE_A_MAX + 1];
	struct nflb_passive *v = &r->val;
	u8 enabled = 0;
	int err;

	err = nla_parse_nested(tb, NFLB_PASSIVE_A_MAX, nest,
			       nflb_passive_policy, extack);
	if (err)
		return err;
	r->has = nflb_given(tb, NFLB_PASSIVE_A_MAX);
	nflb_get_u8(tb, NFLB_PASSIVE_A_ENABLED, &enabled);
	v->enabled = enabled;
	nflb_get_u32(tb, NFLB_PASSIVE_A_FAILS, &v->fails);
	nflb_get_u32(tb, NFLB_PASSIVE_A_HOLD, &v->hold_ms);
	nflb_get_u32(tb, NFLB_PASSIVE_A_HOLD_MAX, &v->hold_max_ms);
	nflb_get_u8(tb, NFLB_PASSIVE_A_MAX_EJECT, &v->max_eject);
	return 0;
}

static int nflb_pool_parse(struct genl_info *info, struct nlattr **tb,
			   struct nflb_pool_req *req)
{
	int err;

	memset(req, 0, sizeof(*req));
	err = nflb_parse_obj(info, NFLB_A_POOL, nflb_pool_policy,
			     NFLB_POOL_A_MAX, tb);
	if (!err)
		err = nflb_get_name(tb, NFLB_POOL_A_NAME, req->name,
				    info->extack, info->attrs[NFLB_A_POOL]);
	if (err)
		return err;
	req->has = nflb_given(tb, NFLB_POOL_A_MAX);
	nflb_get_u32(tb, NFLB_POOL_A_FLAGS, &req->flags);
	nflb_get_u32(tb, NFLB_POOL_A_MIN_ACTIVE, &req->min_active);
	if (tb[NFLB_POOL_A_CHECK])
		err = nflb_check_parse(tb[NFLB_POOL_A_CHECK], &req->check,
				       info->extack);
	if (!err && tb[NFLB_POOL_A_PASSIVE])
		err = nflb_passive_parse(tb[NFLB_POOL_A_PASSIVE],
					 &req->passive, info->extack);
	return err;
}

/*
 * Points the extended ack at what a pool operation refused: the field of
 * the check or passive nest when the request gave it, else the nest.
 */
static int nflb_pool_blame(struct netlink_ext_ack *extack, struct nlattr **tb,
			   const struct nflb_pool_req *req, int err)
{
	struct nlattr *inner = NULL;

	if (err && req->bad_inner && tb[req->bad_attr])
		inner = nla_find_nested(tb[req->bad_attr], req->bad_inner);
	if (inner) {
		NL_SET_BAD_ATTR(extack, inner);
		return err;
	}
	return nflb_blame(extack, tb, req->bad_attr, err);
}

static struct nflb_pool *nflb_pool_named(struct nflb_net *ln,
					 struct nlattr **tb,
					 const struct nflb_pool_req *req,
					 struct netlink_ext_ack *extack)
{
	struct nflb_pool *pool = nflb_op_pool_named(ln, req->name, extack);

	if (!pool)
		NL_SET_BAD_ATTR(extack, tb[NFLB_POOL_A_NAME]);
	return pool;
}

static int nflb_nl_pool_new(struct sk_buff *skb, struct genl_info *info)
{
	struct nflb_net *ln = nflb_info_ln(info);
	struct nlattr *tb[NFLB_POOL_A_MAX + 1];
	struct nflb_pool_req req;
	struct nflb_pool *pool;
	int err;

	err = nflb_pool_parse(info, tb, &req);
	if (err)
		return err;
	mutex_lock(&ln->cfg_mutex);
	err = nflb_op_pool_new(ln, &req, &pool, info->extack);
	if (!err)
		nflb_event(ln->net, nflb_pool_fill_fn, pool, NULL,
			   NFLB_CMD_POOL_NEW);
	mutex_unlock(&ln->cfg_mutex);
	return nflb_pool_blame(info->extack, tb, &req, err);
}

static int nflb_nl_pool_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nflb_net *ln = nflb_info_ln(info);
	struct nlattr *tb[NFLB_POOL_A_MAX + 1];
	struct nflb_pool_req req;
	struct nflb_pool *pool;
	int err;

	err = nflb_pool_parse(info, tb, &req);
	if (err)
		return err;
	mutex_lock(&ln->cfg_mutex);
	pool = nflb_pool_named(ln, tb, &req, info->extack);
	if (pool) {
		err = nflb_op_pool_set(ln, pool, &req, info->extack);
		/* Announced unless refused: a change without a snapshot stays. */
		if (!req.bad_attr)
			nflb_event(ln->net, nflb_pool_fill_fn, pool, NULL,
				   NFLB_CMD_POOL_SET);
	}
	mutex_unlock(&ln->cfg_mutex);
	return pool ? nflb_pool_blame(info->extack, tb, &req, err) : -ENOENT;
}

static int nflb_nl_pool_del(struct sk_buff *skb, struct genl_info *info)
{
	struct nflb_net *ln = nflb_info_ln(info);
	struct nlattr *tb[NFLB_POOL_A_MAX + 1];
	struct sk_buff *ev = NULL;
	struct nflb_pool_req req;
	struct nflb_pool *pool;
	int err;

	err = nflb_pool_parse(info, tb, &req);
	if (err)
		return err;
	mutex_lock(&ln->cfg_mutex);
	pool = nflb_pool_named(ln, tb, &req, info->extack);
	err = -ENOENT;
	if (pool) {
		if (nflb_has_listeners(ln->net))
			ev = nflb_build(nflb_pool_fill_fn, pool, NULL, 0, 0,
					NFLB_CMD_POOL_DEL);
		err = nflb_op_pool_delete(ln, pool, info->extack);
	}
	mutex_unlock(&ln->cfg_mutex);
	if (ev && err)
		nlmsg_free(ev);
	else if (ev)
		nflb_notify(ln->net, ev);
	return err;
}

static int nflb_nl_pool_get(struct sk_buff *skb, struct genl_info *info)
{
	struct nflb_net *ln = nflb_info_ln(info);
	struct nlattr *tb[NFLB_POOL_A_MAX + 1];
	struct nflb_pool_req req;
	struct nflb_pool *pool;
	int err;

	err = nflb_pool_parse(info, tb, &req);
	if (err)
		return err;
	mutex_lock(&ln->cfg_mutex);
	pool = nflb_pool_named(ln, tb, &req, info->extack);
	err = pool ? nflb_reply(info, nflb_pool_fill_fn, pool, NULL) : -ENOENT;
	mutex_unlock(&ln->cfg_mutex);
	return err;
}

static struct list_head *nflb_pool_head(struct nflb_net *ln)
{
	return &ln->pool_list;
}

static int nflb_pool_dump_one(struct sk_buff *skb, struct list_head *node,
			      struct netlink_callback *cb)
{
	return nflb_fill_pool(skb, list_entry(node, struct nflb_pool, list),
			      NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			      NLM_F_MULTI, NFLB_CMD_POOL_GET);
}

static int nflb_nl_pool_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	return nflb_dump_list(skb, cb, nflb_pool_head, nflb_pool_dump_one);
}

/* ---- members ------------------------------------------------------------ */

/* A member nest @nest, parsed into @tb: its pool, address and port. */
static int nflb_member_parse(struct nlattr *nest, struct nlattr **tb,
			     struct nflb_member_req *req,
			     struct netlink_ext_ack *extack)
{
	int err;

	memset(req, 0, sizeof(*req));
	err = nflb_get_name(tb, NFLB_MEMBER_A_POOL, req->pool, extack, nest);
	if (err)
		return err;
	err = nflb_get_addr(tb, NFLB_MEMBER_A_ADDR4, NFLB_MEMBER_A_ADDR6,
			    &req->family, &req->addr, extack, nest, true);
	if (err)
		return err;
	if (!tb[NFLB_MEMBER_A_PORT]) {
		NL_SET_ERR_ATTR_MISS(extack, nest, NFLB_MEMBER_A_PORT);
		NL_SET_ERR_MSG(extack, "member port is required");
		return -EINVAL;
	}
	req->port = htons(nla_get_u16(tb[NFLB_MEMBER_A_PORT]));
	req->has = nflb_given(tb, NFLB_MEMBER_A_MAX);
	nflb_get_u32(tb, NFLB_MEMBER_A_WEIGHT, &req->weight);
	nflb_get_u8(tb, NFLB_MEMBER_A_STATE, &req->state);
	nflb_get_u32(tb, NFLB_MEMBER_A_MAX_CONNS, &req->max_conns);
	nflb_get_u32(tb, NFLB_MEMBER_A_PRIORITY, &req->priority);
	nflb_get_u32(tb, NFLB_MEMBER_A_DRAIN_TIMEOUT, &req->drain_timeout);
	nflb_get_u8(tb, NFLB_MEMBER_A_HEALTH, &req->health);
	if (tb[NFLB_MEMBER_A_HEALTH_REASON])
		nla_strscpy(req->health_reason,
			    tb[NFLB_MEMBER_A_HEALTH_REASON],
			    sizeof(req->health_reason));
	nflb_get_u16(tb, NFLB_MEMBER_A_CHECK_PORT, &req->check_port);
	err = nflb_get_addr(tb, NFLB_MEMBER_A_CHECK_ADDR4,
			    NFLB_MEMBER_A_CHECK_ADDR6, &req->check_family,
			    &req->check_addr, extack, nest, false);
	/* The unspecified address unsets the override. */
	if (!err && req->check_family &&
	    nf_inet_addr_cmp(&req->check_addr, &(union nf_inet_addr){}))
		req->check_family = 0;
	return err;
}

/* The request's one member nest, for SET and DEL. */
static int nflb_member_parse_one(struct genl_info *info, struct nlattr **tb,
				 struct nflb_member_req *req)
{
	int err;

	err = nflb_parse_obj(info, NFLB_A_MEMBER, nflb_member_policy,
			     NFLB_MEMBER_A_MAX, tb);
	if (err)
		return err;
	return nflb_member_parse(info->attrs[NFLB_A_MEMBER], tb, req,
				 info->extack);
}

static void nflb_member_announce(struct nflb_net *ln,
				 const struct nflb_member_batch *b)
{
	unsigned int i;

	if (!nflb_has_listeners(ln->net))
		return;
	for (i = 0; i < b->n; i++)
		if (b->added[i])
			nflb_event(ln->net, nflb_member_fill_fn, b->added[i],
				   b->added[i]->pool->name, NFLB_CMD_MEMBER_NEW);
}

/* Adds the member of @nest to @b; on error, @nest is blamed if nothing is. */
static int nflb_member_add_nest(struct nflb_net *ln, struct nflb_member_batch *b,
				struct nlattr *nest, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[NFLB_MEMBER_A_MAX + 1];
	struct nflb_member_req req;
	int err;

	if (nla_type(nest) != NFLB_A_MEMBER) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "members: expected member nests only");
		return -EINVAL;
	}
	err = nla_parse_nested(tb, NFLB_MEMBER_A_MAX, nest, nflb_member_policy,
			       extack);
	if (!err)
		err = nflb_member_parse(nest, tb, &req, extack);
	if (!err) {
		err = nflb_op_member_add(ln, b, &req, nest, extack);
		err = nflb_blame(extack, tb, req.bad_attr, err);
	}
	if (err && !extack->bad_attr && !extack->miss_nest)
		NL_SET_BAD_ATTR(extack, nest);
	return err;
}

/* Most members one NFLB_A_MEMBERS can hold (a nest is 16 bytes or more). */
#define NFLB_MEMBERS_PER_REQ	(U16_MAX / 16)

/*
 * NFLB_A_MEMBERS: the members in order, as many requests would add them.
 * The first that fails ends the request: those before it stay added, none
 * after it is looked at, and the error points into its nest.  Each pool's
 * snapshot is rebuilt once at the end, then the members are announced in
 * request order.
 */
static int nflb_member_new_list(struct nflb_net *ln, struct genl_info *info)
{
	struct nlattr *list = info->attrs[NFLB_A_MEMBERS], *nest;
	struct netlink_ext_ack *extack = info->extack;
	struct nflb_member_batch b;
	struct nflb_member **added;
	unsigned int max;
	int rem, err = 0, perr;

	/* As many slots as the list can hold nests: no more than needed. */
	max = min_t(unsigned int, NFLB_MEMBERS_PER_REQ, nla_len(list) / 16 + 1);
	added = kvmalloc_array(max, sizeof(*added), GFP_KERNEL);
	if (!added)
		return -ENOMEM;
	nflb_op_member_batch_init(&b, added, max);
	mutex_lock(&ln->cfg_mutex);
	nla_for_each_nested(nest, list, rem) {
		err = nflb_member_add_nest(ln, &b, nest, extack);
		if (err)
			break;
		cond_resched();
	}
	if (!err && rem > 0) {
		/* @nest: where the malformed rest begins */
		NL_SET_ERR_MSG_ATTR(extack, nest, "members: malformed attribute");
		err = -EINVAL;
	}
	perr = nflb_op_member_commit(ln, &b, extack);
	nflb_member_announce(ln, &b);
	mutex_unlock(&ln->cfg_mutex);
	kvfree(added);
	return perr ?: err;
}

/* One member (NFLB_A_MEMBER): a batch of one. */
static int nflb_member_new_one(struct nflb_net *ln, struct genl_info *info)
{
	struct nlattr *tb[NFLB_MEMBER_A_MAX + 1];
	struct nflb_member_batch b;
	struct nflb_member_req req;
	int err;

	struct nflb_member *added;

	err = nflb_member_parse_one(info, tb, &req);
	if (err)
		return err;
	nflb_op_member_batch_init(&b, &added, 1);
	mutex_lock(&ln->cfg_mutex);
	err = nflb_op_member_add(ln, &b, &req, info->attrs[NFLB_A_MEMBER],
				 info->extack);
	if (!err)
		err = nflb_op_member_commit(ln, &b, info->extack);
	if (!err)
		nflb_member_announce(ln, &b);
	mutex_unlock(&ln->cfg_mutex);
	return nflb_blame(info->extack, tb, req.bad_attr, err);
}

static int nflb_nl_member_new(struct sk_buff *skb, struct genl_info *info)
{
	struct nflb_net *ln = nflb_info_ln(info);

	if (!info->attrs[NFLB_A_MEMBERS])
		return nflb_member_new_one(ln, info);
	if (info->attrs[NFLB_A_MEMBER]) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[NFLB_A_MEMBERS],
				    "give either member or members");
		return -EINVAL;
	}
	return nflb_member_new_list(ln, info);
}

static int nflb_nl_member_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nflb_net *ln = nflb_info_ln(info);
	struct nlattr *tb[NFLB_MEMBER_A_MAX + 1];
	struct nflb_member_req req;
	struct nflb_pool *pool;
	struct nflb_member *m;
	int err;

	err = nflb_member_parse_one(info, tb, &req);
	if (err)
		return err;
	mutex_lock(&ln->cfg_mutex);
	m = nflb_op_member_named(ln, &req, &pool, info->extack);
	err = m ? nflb_op_member_set(ln, pool, m, &req, info->extack) : -ENOENT;
	/* Announced unless refused: a change without a new snapshot stays. */
	if (m && !req.bad_attr) {
		nflb_event(ln->net, nflb_member_fill_fn, m, pool->name,
			   NFLB_CMD_MEMBER_SET);
		if (req.state_changed)
			nflb_event(ln->net, nflb_member_fill_fn, m, pool->name,
				   NFLB_CMD_MEMBER_STATE);
	}
	mutex_unlock(&ln->cfg_mutex);
	return nflb_blame(info->extack, tb, req.bad_attr, err);
}

static int nflb_nl_member_del(struct sk_buff *skb, struct genl_info *info)
{
	struct nflb_net *ln = nflb_info_ln(info);
	struct nlattr *tb[NFLB_MEMBER_A_MAX + 1];
	struct nflb_member_req req;
	struct nflb_pool *pool;
	struct nflb_member *m;
	int err;

	err = nflb_member_parse_one(info, tb, &req);
	if (err)
		return err;
	mutex_lock(&ln->cfg_mutex);
	m = nflb_op_member_named(ln, &req, &pool, info->extack);
	if (m) {
		nflb_event(ln->net, nflb_member_fill_fn, m, pool->name,
			   NFLB_CMD_MEMBER_DEL);
		nflb_op_member_delete(ln, pool, m);
	}
	mutex_unlock(&ln->cfg_mutex);
	return nflb_blame(info->extack, tb, req.bad_attr, m ? 0 : -ENOENT);
}

/* Dump of all members, or of one pool's (NFLB_MEMBER_A_POOL in the request). */
static int nflb_nl_member_dump(struct sk_buff *skb,
			       struct netlink_callback *cb)
{
	struct nflb_net *ln = nflb_net(sock_net(skb->sk));
	struct nlattr *attrs[NFLB_A_MAX + 1];
	long pidx = 0, midx, pstart = cb->args[0], mstart = cb->args[1];
	struct nlattr *tb[NFLB_MEMBER_A_MAX + 1];
	char only[NFLB_NAME_MAX] = "";
	struct nflb_pool *pool;
	struct nflb_member *m;
	int err;

	err = nflb_dump_parse(cb, attrs, nflb_member_req);
	if (err)
		return err;
	if (attrs[NFLB_A_MEMBER]) {
		err = nla_parse_nested(tb, NFLB_MEMBER_A_MAX,
				       attrs[NFLB_A_MEMBER],
				       nflb_member_policy, cb->extack);
		if (err)
			return err;
		if (tb[NFLB_MEMBER_A_POOL])
			nla_strscpy(only, tb[NFLB_MEMBER_A_POOL], sizeof(only));
	}
	mutex_lock(&ln->cfg_mutex);
	if (only[0] && !nflb_op_pool_named(ln, only, cb->extack)) {
		mutex_unlock(&ln->cfg_mutex);
		return -ENOENT;
	}
	cb->seq = ln->cfg_gen;
	list_for_each_entry(pool, &ln->pool_list, list) {
		if (pidx++ < pstart)
			continue;
		if (only[0] && strcmp(only, pool->name)) {
			mstart = 0;
			continue;
		}
		midx = 0;
		list_for_each_entry(m, &pool->members, list) {
			int len = skb->len;

			if (midx++ < mstart)
				continue;
			if (nflb_fill_member(skb, pool->name, m,
					     NETLINK_CB(cb->skb).portid,
					     cb->nlh->nlmsg_seq, NLM_F_MULTI,
					     NFLB_CMD_MEMBER_GET) < 0) {
				cb->args[0] = pidx - 1;
				cb->args[1] = midx - 1;
				goto out;
			}
			nflb_dump_consistent(cb, skb, len);
		}
		mstart = 0;
	}
	cb->args[0] = pidx;
	cb->args[1] = 0;
out:
	mutex_unlock(&ln->cfg_mutex);
	return skb->len;
}

/* ---- global settings, stats, info, flush ---------------------------------- */

static int nflb_global_parse(struct nlattr **tb, struct nflb_global_req *req,
			     struct netlink_ext_ack *extack)
{
	struct nflb_limits *l = &req->limits;

	req->has = nflb_given(tb, NFLB_GLOBAL_A_MAX);
	nflb_get_u32(tb, NFLB_GLOBAL_A_MAX_SESSIONS, &l->max_sessions);
	nflb_get_u32(tb, NFLB_GLOBAL_A_MAX_MEMBERS, &l->max_members);
	nflb_get_u32(tb, NFLB_GLOBAL_A_MAX_VS, &l->max_vs);
	nflb_get_u32(tb, NFLB_GLOBAL_A_MAX_POOLS, &l->max_pools);
	nflb_get_u32(tb, NFLB_GLOBAL_A_MAX_MH_SIZE, &l->max_mh_size);
	if (tb[NFLB_GLOBAL_A_EXPIRE_NODEST])
		req->expire_nodest = nla_get_u8(tb[NFLB_GLOBAL_A_EXPIRE_NODEST]);
	if (tb[NFLB_GLOBAL_A_TIMEOUTS])
		return nflb_get_timeouts(tb[NFLB_GLOBAL_A_TIMEOUTS],
					 req->timeouts, &req->timeouts_has,
					 false, extack);
	return 0;
}

static int nflb_nl_global_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nflb_net *ln = nflb_info_ln(info);
	struct nlattr *tb[NFLB_GLOBAL_A_MAX + 1];
	struct nflb_global_req req = {};
	int err;

	err = nflb_parse_obj(info, NFLB_A_GLOBAL, nflb_global_policy,
			     NFLB_GLOBAL_A_MAX, tb);
	if (!err)
		err = nflb_global_parse(tb, &req, info->extack);
	if (err)
		return err;
	mutex_lock(&ln->cfg_mutex);
	err = nflb_op_global_set(ln, &req, info->extack);
	if (!err)
		nflb_event(ln->net, nflb_global_fill_fn, ln, NULL,
			   NFLB_CMD_GLOBAL_SET);
	mutex_unlock(&ln->cfg_mutex);
	return err;
}

static int nflb_nl_global_get(struct sk_buff *skb, struct genl_info *info)
{
	struct nflb_net *ln = nflb_info_ln(info);
	int err;

	mutex_lock(&ln->cfg_mutex);
	err = nflb_reply(info, nflb_global_fill_fn, ln, NULL);
	mutex_unlock(&ln->cfg_mutex);
	return err;
}

static int nflb_stats_fill_fn(struct sk_buff *skb, void *obj, void *ctx,
			      u32 portid, u32 seq, u8 cmd)
{
	struct nflb_net *ln = obj;
	u64 v[NFLB_C_MAX];
	void *hdr;

	nflb_op_stats_total(ln, v);
	hdr = nflb_put_hdr(skb, portid, seq, 0, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (nflb_stats_fill_sums(skb, NFLB_A_STATS, v,
				 atomic_read(&ln->tbl.count),
				 atomic_read(&ln->persist.count))) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int nflb_nl_stats_get(struct sk_buff *skb, struct genl_info *info)
{
	struct nflb_net *ln = nflb_info_ln(info);
	int err;

	mutex_lock(&ln->cfg_mutex);
	err = nflb_reply(info, nflb_stats_fill_fn, ln, NULL);
	mutex_unlock(&ln->cfg_mutex);
	return err;
}

static int nflb_nl_stats_zero(struct sk_buff *skb, struct genl_info *info)
{
	struct nflb_net *ln = nflb_info_ln(info);

	mutex_lock(&ln->cfg_mutex);
	nflb_op_stats_zero(ln);
	mutex_unlock(&ln->cfg_mutex);
	return 0;
}

static int nflb_info_fill_fn(struct sk_buff *skb, void *obj, void *ctx,
			     u32 portid, u32 seq, u8 cmd)
{
	struct nflb_net *ln = obj;
	struct nlattr *nest;
	void *hdr;

	hdr = nflb_put_hdr(skb, portid, seq, 0, cmd);
	if (!hdr)
		return -EMSGSIZE;
	nest = nla_nest_start(skb, NFLB_A_INFO);
	if (!nest ||
	    nla_put_string(skb, NFLB_INFO_A_VERSION, NFLB_VERSION) ||
	    nla_put_u32(skb, NFLB_INFO_A_SESSION_SIZE4,
			nflb_session_size(AF_INET)) ||
	    nla_put_u32(skb, NFLB_INFO_A_SESSION_SIZE6,
			nflb_session_size(AF_INET6)) ||
	    nla_put_u32(skb, NFLB_INFO_A_SESSIONS,
			atomic_read(&ln->tbl.count)) ||
	    nla_put_u32(skb, NFLB_INFO_A_MAX_SESSIONS, ln->max_sessions) ||
	    nla_put_u32(skb, NFLB_INFO_A_VS_COUNT, ln->vs_count) ||
	    nla_put_u32(skb, NFLB_INFO_A_POOL_COUNT, ln->pool_count) ||
	    nla_put_u32(skb, NFLB_INFO_A_MEMBER_COUNT, ln->member_count) ||
	    nla_put_u32(skb, NFLB_INFO_A_PERSIST_COUNT,
			atomic_read(&ln->persist.count)) ||
	    nla_put_u32(skb, NFLB_INFO_A_MAX_PERSIST, ln->max_sessions)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;
}

static int nflb_nl_info_get(struct sk_buff *skb, struct genl_info *info)
{
	struct nflb_net *ln = nflb_info_ln(info);
	int err;

	mutex_lock(&ln->cfg_mutex);
	err = nflb_reply(info, nflb_info_fill_fn, ln, NULL);
	mutex_unlock(&ln->cfg_mutex);
	return err;
}

static int nflb_flush_fill_fn(struct sk_buff *skb, void *obj, void *ctx,
			      u32 portid, u32 seq, u8 cmd)
{
	void *hdr = nflb_put_hdr(skb, portid, seq, 0, cmd);

	if (!hdr)
		return -EMSGSIZE;
	genlmsg_end(skb, hdr);
	return 0;
}

static int nflb_nl_flush(struct sk_buff *skb, struct genl_info *info)
{
	struct nflb_net *ln = nflb_info_ln(info);

	mutex_lock(&ln->cfg_mutex);
	nflb_op_reset(ln);
	nflb_event(ln->net, nflb_flush_fill_fn, NULL, NULL, NFLB_CMD_FLUSH);
	mutex_unlock(&ln->cfg_mutex);
	return 0;
}

/* ---- sessions ------------------------------------------------------------ */

static int nflb_parse_filter(struct nflb_net *ln, struct nlattr *attr,
			     struct nflb_session_filter *f,
			     struct netlink_ext_ack *extack)
{
	struct nlattr *tb[NFLB_FILTER_A_MAX + 1];
	u8 mfam = 0, cfam = 0;
	int err;

	memset(f, 0, sizeof(*f));
	if (!attr)
		return 0;
	err = nla_parse_nested(tb, NFLB_FILTER_A_MAX, attr, nflb_filter_policy,
			       extack);
	if (err)
		return err;
	if (tb[NFLB_FILTER_A_VS]) {
		err = nflb_get_name(tb, NFLB_FILTER_A_VS, f->vs, extack, attr);
		if (err)
			return err;
		mutex_lock(&ln->cfg_mutex);
		if (!nflb_op_vs_named(ln, f->vs, extack))
			err = -ENOENT;
		mutex_unlock(&ln->cfg_mutex);
		if (err) {
			NL_SET_BAD_ATTR(extack, tb[NFLB_FILTER_A_VS]);
			return err;
		}
	}
	err = nflb_get_addr(tb, NFLB_FILTER_A_MEMBER4, NFLB_FILTER_A_MEMBER6,
			    &mfam, &f->member_addr, extack, attr, false);
	if (err)
		return err;
	f->has_member_addr = mfam;
	if (tb[NFLB_FILTER_A_MEMBER_PORT])
		f->member_port = htons(nla_get_u16(tb[NFLB_FILTER_A_MEMBER_PORT]));
	err = nflb_get_addr(tb, NFLB_FILTER_A_CLIENT4, NFLB_FILTER_A_CLIENT6,
			    &cfam, &f->client, extack, attr, false);
	if (err)
		return err;
	f->has_client = cfam;
	if (mfam && cfam && mfam != cfam) {
		NL_SET_ERR_MSG(extack, "member and client address families differ");
		return -EINVAL;
	}
	f->family = mfam ?: cfam;
	f->client_plen = cfam == AF_INET ? 32 : 128;
	if (tb[NFLB_FILTER_A_CLIENT_PREFIXLEN]) {
		u8 plen = nla_get_u8(tb[NFLB_FILTER_A_CLIENT_PREFIXLEN]);

		if (!cfam || plen > f->client_plen) {
			NL_SET_ERR_MSG_ATTR(extack,
					    tb[NFLB_FILTER_A_CLIENT_PREFIXLEN],
					    "prefix length needs a client address and must fit it");
			return -EINVAL;
		}
		f->client_plen = plen;
	}
	return 0;
}

static int nflb_nl_session_del(struct sk_buff *skb, struct genl_info *info)
{
	struct nflb_net *ln = nflb_info_ln(info);
	struct nflb_session_filter f;
	int err;

	err = nflb_parse_filter(ln, info->attrs[NFLB_A_FILTER], &f,
				info->extack);
	if (err)
		return err;
	nflb_op_sessions_expire(ln, &f);
	return 0;
}

struct nflb_sdump {
	struct nflb_session_iter it;
	struct nflb_session_filter f;
	bool started;
};

static int nflb_nl_session_start(struct netlink_callback *cb)
{
	struct nflb_sdump *d = kzalloc(sizeof(*d), GFP_KERNEL);

	if (!d)
		return -ENOMEM;
	cb->args[0] = (long)d;
	return 0;
}

/*
 * The filter is checked in the first dump call, not in .start: on 6.1 an
 * extack message set in .start never reaches the caller.
 */
static int nflb_sdump_begin(struct nflb_net *ln, struct nflb_sdump *d,
			    struct netlink_callback *cb)
{
	struct nlattr *attrs[NFLB_A_MAX + 1];
	int err;

	err = nflb_dump_parse(cb, attrs, nflb_filter_req);
	if (!err)
		err = nflb_parse_filter(ln, attrs[NFLB_A_FILTER], &d->f,
					cb->extack);
	if (err)
		return err;
	nflb_session_iter_start(ln, &d->it);
	nflb_session_iter_pause(&d->it);
	d->started = true;
	return 0;
}

static int nflb_nl_session_done(struct netlink_callback *cb)
{
	struct nflb_sdump *d = (struct nflb_sdump *)cb->args[0];

	if (d && d->started)
		nflb_session_iter_stop(&d->it);
	kfree(d);
	return 0;
}

static int nflb_fill_session(struct sk_buff *skb, const struct nflb_session *s,
			     struct netlink_callback *cb)
{
	u32 portid = NETLINK_CB(cb->skb).portid, seq = cb->nlh->nlmsg_seq;
	struct nflb_flow o, r;
	unsigned long exp = READ_ONCE(s->expires), now = jiffies;
	struct nlattr *nest;
	void *hdr;

	nflb_session_tuple(s, NFLB_DIR_ORIG, &o);
	nflb_session_tuple(s, NFLB_DIR_REPLY, &r);
	hdr = nflb_put_hdr(skb, portid, seq, NLM_F_MULTI, NFLB_CMD_SESSION_GET);
	if (!hdr)
		return -EMSGSIZE;
	genl_dump_check_consistent(cb, hdr);
	nest = nla_nest_start(skb, NFLB_A_SESSION);
	if (!nest ||
	    nla_put_string(skb, NFLB_SESSION_A_VS, s->vs->name) ||
	    nla_put_u8(skb, NFLB_SESSION_A_PROTO, o.proto) ||
	    nla_put_u8(skb, NFLB_SESSION_A_STATE, READ_ONCE(s->state)) ||
	    nflb_put_addr(skb, NFLB_SESSION_A_CLIENT4, NFLB_SESSION_A_CLIENT6,
			  s->family, &o.src) ||
	    nla_put_u16(skb, NFLB_SESSION_A_CLIENT_PORT, ntohs(o.sport)) ||
	    nflb_put_addr(skb, NFLB_SESSION_A_VIP4, NFLB_SESSION_A_VIP6,
			  s->family, &o.dst) ||
	    nla_put_u16(skb, NFLB_SESSION_A_VIP_PORT, ntohs(o.dport)) ||
	    nflb_put_addr(skb, NFLB_SESSION_A_MEMBER4, NFLB_SESSION_A_MEMBER6,
			  s->family, &r.src) ||
	    nla_put_u16(skb, NFLB_SESSION_A_MEMBER_PORT, ntohs(r.sport)) ||
	    nla_put_u32(skb, NFLB_SESSION_A_EXPIRES,
			time_after(exp, now) ? jiffies_to_msecs(exp - now) : 0) ||
	    nla_put_u8(skb, NFLB_SESSION_A_OWNER, READ_ONCE(s->owner))) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;
}

static bool nflb_session_live(const struct nflb_session *s)
{
	return !test_bit(NFLB_S_DYING, &s->flags) &&
	       !time_after(jiffies, READ_ONCE(s->expires));
}

/* Resumes where the last message ended: the iterator stands on the
 * session that did not fit, so the dump has neither gaps nor repeats
 * while the table is not resized.
 */
static int nflb_nl_session_dump(struct sk_buff *skb,
				struct netlink_callback *cb)
{
	struct nflb_net *ln = nflb_net(sock_net(skb->sk));
	struct nflb_sdump *d = (struct nflb_sdump *)cb->args[0];
	struct nflb_session *s;
	int err;

	if (!d->started) {
		err = nflb_sdump_begin(ln, d, cb);
		if (err)
			return err;
	}
	nflb_session_iter_resume(&d->it);
	while ((s = nflb_session_iter_peek(ln, &d->it))) {
		/*
		 * A resize makes the walk start over; messages from then on
		 * carry NLM_F_DUMP_INTR, so the reader knows to expect repeats.
		 */
		cb->seq = 1 + d->it.restarts;
		if (nflb_session_live(s) && nflb_session_match(s, &d->f) &&
		    nflb_fill_session(skb, s, cb) < 0)
			break;
		nflb_session_iter_advance(&d->it);
	}
	nflb_session_iter_pause(&d->it);
	return skb->len;
}

/* ---- sync ---------------------------------------------------------------- */

/* One peer nest: an address of the local address's family. */
static int nflb_sync_parse_peer(struct nlattr *nest, struct nflb_sync_cfg *cfg,
				struct netlink_ext_ack *extack)
{
	struct nlattr *tb[NFLB_SYNC_PEER_A_MAX + 1];
	u8 family;
	int err;

	if (cfg->npeers == NFLB_SYNC_PEERS_MAX) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "too many peers (at most 32)");
		return -E2BIG;
	}
	err = nla_parse_nested(tb, NFLB_SYNC_PEER_A_MAX, nest,
			       nflb_sync_peer_policy, extack);
	if (!err)
		err = nflb_get_addr(tb, NFLB_SYNC_PEER_A_ADDR4,
				    NFLB_SYNC_PEER_A_ADDR6, &family,
				    &cfg->peers[cfg->npeers], extack, nest,
				    true);
	if (err)
		return err;
	if (family != cfg->family) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "peer: not of the local address's family");
		return -EINVAL;
	}
	cfg->npeers++;
	return 0;
}

static int nflb_sync_parse(struct nlattr *sync, struct nlattr **tb,
			   struct nflb_sync_cfg *cfg,
			   struct netlink_ext_ack *extack)
{
	struct nlattr *a;
	int rem, err;

	if (!tb[NFLB_SYNC_A_NODE_ID] || !tb[NFLB_SYNC_A_KEY]) {
		NL_SET_ERR_ATTR_MISS(extack, sync, tb[NFLB_SYNC_A_NODE_ID] ?
				     NFLB_SYNC_A_KEY : NFLB_SYNC_A_NODE_ID);
		NL_SET_ERR_MSG(extack, "node-id and key are required");
		return -EINVAL;
	}
	cfg->node_id = nla_get_u8(tb[NFLB_SYNC_A_NODE_ID]);
	nla_memcpy(cfg->key, tb[NFLB_SYNC_A_KEY], sizeof(cfg->key));
	cfg->port = htons(tb[NFLB_SYNC_A_PORT] ?
			  nla_get_u16(tb[NFLB_SYNC_A_PORT]) :
			  NFLB_SYNC_PORT_DEFAULT);
	cfg->rate = tb[NFLB_SYNC_A_RATE] ? nla_get_u32(tb[NFLB_SYNC_A_RATE]) :
					   NFLB_SYNC_RATE_DEFAULT;
	cfg->delay_ms = tb[NFLB_SYNC_A_DELAY] ?
			nla_get_u32(tb[NFLB_SYNC_A_DELAY]) :
			NFLB_SYNC_DELAY_DEFAULT;
	err = nflb_get_addr(tb, NFLB_SYNC_A_LOCAL4, NFLB_SYNC_A_LOCAL6,
			    &cfg->family, &cfg->local, extack, sync, true);
	if (err)
		return err;
	cfg->redirect = tb[NFLB_SYNC_A_REDIRECT] ?
			nla_get_u8(tb[NFLB_SYNC_A_REDIRECT]) :
			NFLB_SYNC_REDIRECT_DEFAULT;
	nla_for_each_nested(a, sync, rem) {
		if (nla_type(a) != NFLB_SYNC_A_PEER)
			continue;
		err = nflb_sync_parse_peer(a, cfg, extack);
		if (err)
			return err;
	}
	return 0;
}

static int nflb_fill_sync_peer(struct sk_buff *skb, u8 family,
			       const struct nflb_sync_peer_info *p)
{
	struct nlattr *nest = nla_nest_start(skb, NFLB_SYNC_A_PEER);

	if (!nest ||
	    nflb_put_addr(skb, NFLB_SYNC_PEER_A_ADDR4, NFLB_SYNC_PEER_A_ADDR6,
			  family, &p->addr) ||
	    nla_put_u8(skb, NFLB_SYNC_PEER_A_NODE_ID, p->node_id) ||
	    nla_put_u8(skb, NFLB_SYNC_PEER_A_STATE, p->state) ||
	    nla_put_u32(skb, NFLB_SYNC_PEER_A_LAST_SEEN, p->last_seen_ms) ||
	    nla_put_u32(skb, NFLB_SYNC_PEER_A_LAG, p->lag_ms) ||
	    nla_put_u32(skb, NFLB_SYNC_PEER_A_OWNER_SHARE, p->owner_share) ||
	    nla_put_u64_64bit(skb, NFLB_SYNC_PEER_A_TX_DATAGRAMS,
			      p->tx_datagrams, NFLB_SYNC_PEER_A_PAD) ||
	    nla_put_u64_64bit(skb, NFLB_SYNC_PEER_A_RX_DATAGRAMS,
			      p->rx_datagrams, NFLB_SYNC_PEER_A_PAD) ||
	    nla_put_u64_64bit(skb, NFLB_SYNC_PEER_A_RX_RECORDS,
			      p->rx_records, NFLB_SYNC_PEER_A_PAD))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int nflb_fill_sync_stats(struct sk_buff *skb, const u64 *v)
{
	struct nlattr *nest = nla_nest_start(skb, NFLB_SYNC_A_STATS);
	int i;

	if (!nest)
		return -EMSGSIZE;
	for (i = NFLB_SYNC_STATS_A_PAD + 1; i <= NFLB_SYNC_STATS_A_MAX; i++)
		if (nla_put_u64_64bit(skb, i, v[i], NFLB_SYNC_STATS_A_PAD))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * The sync nest; @obj is a struct nflb_sync_info, @ctx the key for a
 * SYNC_GET with-key reply, NULL otherwise (events never carry it).
 */
static int nflb_sync_fill_fn(struct sk_buff *skb, void *obj, void *ctx,
			     u32 portid, u32 seq, u8 cmd)
{
	const struct nflb_sync_info *si = obj;
	const u8 *key = ctx;
	struct nlattr *nest;
	unsigned int i;
	void *hdr;

	hdr = nflb_put_hdr(skb, portid, seq, 0, cmd);
	if (!hdr)
		return -EMSGSIZE;
	nest = nla_nest_start(skb, NFLB_A_SYNC);
	if (!nest ||
	    nla_put_u8(skb, NFLB_SYNC_A_NODE_ID, si->node_id) ||
	    nflb_put_addr(skb, NFLB_SYNC_A_LOCAL4, NFLB_SYNC_A_LOCAL6,
			  si->family, &si->local) ||
	    nla_put_u16(skb, NFLB_SYNC_A_PORT, ntohs(si->port)) ||
	    nla_put_u32(skb, NFLB_SYNC_A_RATE, si->rate) ||
	    nla_put_u32(skb, NFLB_SYNC_A_DELAY, si->delay_ms) ||
	    nla_put_u8(skb, NFLB_SYNC_A_READY, si->ready) ||
	    nla_put_u8(skb, NFLB_SYNC_A_REDIRECT, si->redirect) ||
	    nla_put_u32(skb, NFLB_SYNC_A_OWNER_SHARE, si->owner_share))
		goto cancel;
	for (i = 0; i < si->npeers; i++)
		if (nflb_fill_sync_peer(skb, si->family, &si->peers[i]))
			goto cancel;
	if (nflb_fill_sync_stats(skb, si->stats))
		goto cancel;
	if (key && nla_put(skb, NFLB_SYNC_A_KEY, NFLB_SYNC_KEY_LEN, key))
		goto cancel;
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* Announces the sync state, or its end (an empty message). */
static void nflb_sync_event(struct nflb_net *ln, u8 cmd)
{
	struct nflb_sync_info *si;

	if (!nflb_has_listeners(ln->net))
		return;
	if (cmd == NFLB_CMD_SYNC_DEL) {
		nflb_event(ln->net, nflb_flush_fill_fn, NULL, NULL, cmd);
		return;
	}
	si = kzalloc(sizeof(*si), GFP_KERNEL);
	if (si && nflb_sync_info(ln, si))
		nflb_event(ln->net, nflb_sync_fill_fn, si, NULL, cmd);
	kfree(si);
}

/*
 * The sync worker's hook (nflb_sync_set_hooks()): peer @p changed state.
 * Under rcu_read_lock: nothing here sleeps.
 */
static void nflb_sync_peer_event(struct net *net, u8 node_id, u8 family,
				 const struct nflb_sync_peer_info *p)
{
	struct nlattr *nest;
	struct sk_buff *msg;
	void *hdr;

	if (!nflb_has_listeners(net))
		return;
	msg = nlmsg_new(NFLB_MSG_SMALL, GFP_ATOMIC);
	if (!msg)
		return;
	hdr = nflb_put_hdr(msg, 0, 0, 0, NFLB_CMD_SYNC_PEER);
	nest = hdr ? nla_nest_start(msg, NFLB_A_SYNC) : NULL;
	if (!nest || nla_put_u8(msg, NFLB_SYNC_A_NODE_ID, node_id) ||
	    nflb_fill_sync_peer(msg, family, p)) {
		nlmsg_free(msg);
		return;
	}
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&nflb_family, net, msg, 0,
				NFLB_MCGRP_EVENTS_ID, GFP_ATOMIC);
}

/*
 * Health's hook (nflb_health_set_hooks()): member @m of @pool changed
 * health.  Under cfg_mutex and rcu_read_lock: nothing here sleeps.
 */
static void nflb_health_event(struct net *net, const char *pool,
			      const struct nflb_member *m)
{
	struct nlattr *nest;
	struct sk_buff *msg;
	void *hdr;

	if (!nflb_has_listeners(net))
		return;
	msg = nlmsg_new(NFLB_MSG_SMALL, GFP_ATOMIC);
	if (!msg)
		return;
	hdr = nflb_put_hdr(msg, 0, 0, 0, NFLB_CMD_MEMBER_HEALTH);
	nest = hdr ? nla_nest_start(msg, NFLB_A_MEMBER) : NULL;
	if (!nest || nla_put_string(msg, NFLB_MEMBER_A_POOL, pool) ||
	    nflb_put_addr(msg, NFLB_MEMBER_A_ADDR4, NFLB_MEMBER_A_ADDR6,
			  m->family, &m->addr) ||
	    nla_put_u16(msg, NFLB_MEMBER_A_PORT, ntohs(m->port)) ||
	    nla_put_u8(msg, NFLB_MEMBER_A_STATE, m->state) ||
	    nflb_put_member_health(msg, m)) {
		nlmsg_free(msg);
		return;
	}
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&nflb_family, net, msg, 0,
				NFLB_MCGRP_EVENTS_ID, GFP_ATOMIC);
}

static int nflb_nl_sync_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nflb_net *ln = nflb_info_ln(info);
	struct nlattr *tb[NFLB_SYNC_A_MAX + 1];
	struct nflb_sync_cfg *cfg;
	int err;

	err = nflb_parse_obj(info, NFLB_A_SYNC, nflb_sync_policy,
			     NFLB_SYNC_A_MAX, tb);
	if (err)
		return err;
	cfg = kzalloc(sizeof(*cfg), GFP_KERNEL);
	if (!cfg)
		return -ENOMEM;
	err = nflb_sync_parse(info->attrs[NFLB_A_SYNC], tb, cfg, info->extack);
	if (!err) {
		mutex_lock(&ln->cfg_mutex);
		err = nflb_op_sync_set(ln, cfg, info->extack);
		if (!err)
			nflb_sync_event(ln, NFLB_CMD_SYNC_SET);
		mutex_unlock(&ln->cfg_mutex);
	}
	kfree_sensitive(cfg);
	return err;
}

/* The with-key flag of a SYNC_GET request (the policy allows nothing else). */
static bool nflb_sync_with_key(struct genl_info *info)
{
	struct nlattr *sync = info->attrs[NFLB_A_SYNC];

	return sync && nla_find_nested(sync, NFLB_SYNC_A_WITH_KEY);
}

static int nflb_nl_sync_get(struct sk_buff *skb, struct genl_info *info)
{
	struct nflb_net *ln = nflb_info_ln(info);
	bool with_key = nflb_sync_with_key(info);
	u8 key[NFLB_SYNC_KEY_LEN];
	struct nflb_sync_info *si;
	int err = -ENOENT;

	si = kzalloc(sizeof(*si), GFP_KERNEL);
	if (!si)
		return -ENOMEM;
	mutex_lock(&ln->cfg_mutex);
	if (nflb_sync_info(ln, si))
		err = 0;
	if (!err && with_key)
		err = nflb_op_sync_key(ln, netlink_ns_capable(skb, ln->net->user_ns,
							      CAP_NET_ADMIN),
				       key, info->extack);
	mutex_unlock(&ln->cfg_mutex);
	if (err == -ENOENT)
		NL_SET_ERR_MSG(info->extack, "sync is not configured");
	if (!err)
		err = nflb_reply(info, nflb_sync_fill_fn, si,
				 with_key ? key : NULL);
	memzero_explicit(key, sizeof(key));
	kfree(si);
	return err;
}

static int nflb_nl_sync_del(struct sk_buff *skb, struct genl_info *info)
{
	struct nflb_net *ln = nflb_info_ln(info);
	int err;

	mutex_lock(&ln->cfg_mutex);
	err = nflb_op_sync_del(ln);
	if (err)
		NL_SET_ERR_MSG(info->extack, "sync is not configured");
	else
		nflb_sync_event(ln, NFLB_CMD_SYNC_DEL);
	mutex_unlock(&ln->cfg_mutex);
	return err;
}

/* ---- family --------------------------------------------------------------- */

#define NFLB_OP(_cmd, _doit, _policy) {				\
	.cmd = _cmd, .doit = _doit, .flags = GENL_UNS_ADMIN_PERM,	\
	.policy = _policy, .maxattr = NFLB_A_MAX }

static const struct genl_ops nflb_ops[] = {
	NFLB_OP(NFLB_CMD_VS_NEW, nflb_nl_vs_new, nflb_vs_req),
	NFLB_OP(NFLB_CMD_VS_SET, nflb_nl_vs_set, nflb_vs_req),
	NFLB_OP(NFLB_CMD_VS_DEL, nflb_nl_vs_del, nflb_vs_req),
	{
		.cmd = NFLB_CMD_VS_GET,
		.doit = nflb_nl_vs_get,
		.dumpit = nflb_nl_vs_dump,
		.flags = GENL_UNS_ADMIN_PERM,
		.policy = nflb_vs_req,
		.maxattr = NFLB_A_MAX,
	},
	NFLB_OP(NFLB_CMD_POOL_NEW, nflb_nl_pool_new, nflb_pool_req),
	NFLB_OP(NFLB_CMD_POOL_SET, nflb_nl_pool_set, nflb_pool_req),
	NFLB_OP(NFLB_CMD_POOL_DEL, nflb_nl_pool_del, nflb_pool_req),
	{
		.cmd = NFLB_CMD_POOL_GET,
		.doit = nflb_nl_pool_get,
		.dumpit = nflb_nl_pool_dump,
		.flags = GENL_UNS_ADMIN_PERM,
		.policy = nflb_pool_req,
		.maxattr = NFLB_A_MAX,
	},
	NFLB_OP(NFLB_CMD_MEMBER_NEW, nflb_nl_member_new, nflb_member_new_req),
	NFLB_OP(NFLB_CMD_MEMBER_SET, nflb_nl_member_set, nflb_member_req),
	NFLB_OP(NFLB_CMD_MEMBER_DEL, nflb_nl_member_del, nflb_member_req),
	{
		.cmd = NFLB_CMD_MEMBER_GET,
		.dumpit = nflb_nl_member_dump,
		.flags = GENL_UNS_ADMIN_PERM,
		.policy = nflb_member_req,
		.maxattr = NFLB_A_MAX,
	},
	NFLB_OP(NFLB_CMD_GLOBAL_SET, nflb_nl_global_set, nflb_global_req),
	{
		.cmd = NFLB_CMD_GLOBAL_GET,
		.doit = nflb_nl_global_get,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = NFLB_CMD_SESSION_GET,
		.start = nflb_nl_session_start,
		.dumpit = nflb_nl_session_dump,
		.done = nflb_nl_session_done,
		.flags = GENL_UNS_ADMIN_PERM,
		.policy = nflb_filter_req,
		.maxattr = NFLB_A_MAX,
	},
	NFLB_OP(NFLB_CMD_SESSION_DEL, nflb_nl_session_del, nflb_filter_req),
	{
		.cmd = NFLB_CMD_STATS_GET,
		.doit = nflb_nl_stats_get,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = NFLB_CMD_STATS_ZERO,
		.doit = nflb_nl_stats_zero,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = NFLB_CMD_FLUSH,
		.doit = nflb_nl_flush,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = NFLB_CMD_INFO_GET,
		.doit = nflb_nl_info_get,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	NFLB_OP(NFLB_CMD_SYNC_SET, nflb_nl_sync_set, nflb_sync_req),
	NFLB_OP(NFLB_CMD_SYNC_GET, nflb_nl_sync_get, nflb_sync_get_req),
	{
		.cmd = NFLB_CMD_SYNC_DEL,
		.doit = nflb_nl_sync_del,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static struct genl_family nflb_family __ro_after_init = {
	.name = NFLB_GENL_NAME,
	.version = NFLB_GENL_VERSION,
	.maxattr = NFLB_A_MAX,
	.netnsok = true,
	.module = THIS_MODULE,
	.ops = nflb_ops,
	.n_ops = ARRAY_SIZE(nflb_ops),
	.resv_start_op = NFLB_CMD_VS_NEW,
	.mcgrps = nflb_mcgrps,
	.n_mcgrps = ARRAY_SIZE(nflb_mcgrps),
};

static const struct nflb_sync_hooks nflb_sync_nl_hooks = {
	.peer = nflb_sync_peer_event,
};

static const struct nflb_health_hooks nflb_health_nl_hooks = {
	.changed = nflb_health_event,
};

int __init nflb_genl_init(void)
{
	int err = genl_register_family(&nflb_family);

	if (!err) {
		nflb_sync_set_hooks(&nflb_sync_nl_hooks);
		nflb_health_set_hooks(&nflb_health_nl_hooks);
	}
	return err;
}

/* The hooks go first: no worker is inside them after this. */
void nflb_genl_exit(void)
{
	nflb_health_set_hooks(NULL);
	nflb_sync_set_hooks(NULL);
	genl_unregister_family(&nflb_family);
}
