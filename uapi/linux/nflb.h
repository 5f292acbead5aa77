/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * nflb: L4 load balancer and session device - generic netlink ABI.
 *
 * One family, NFLB_GENL_NAME.  Every object is carried as one nested
 * top-level attribute (NFLB_A_VS, NFLB_A_POOL, ...) whose members belong
 * to that object's own attribute space.  All state is per network
 * namespace.  Documentation/netlink/specs/nflb.yaml describes the same
 * family in YNL form; selftests check that both agree.
 */
#ifndef _UAPI_LINUX_NFLB_H
#define _UAPI_LINUX_NFLB_H

#define NFLB_GENL_NAME		"nflb"
#define NFLB_GENL_VERSION	1
#define NFLB_MCGRP_EVENTS	"events"

/* Object names: 1..NFLB_NAME_MAX-1 characters of [A-Za-z0-9_.-]. */
#define NFLB_NAME_MAX		32

enum nflb_cmd {
	NFLB_CMD_UNSPEC,
	NFLB_CMD_VS_NEW,	/* also the event for an added virtual server */
	NFLB_CMD_VS_SET,
	NFLB_CMD_VS_DEL,
	NFLB_CMD_VS_GET,	/* doit with a name, dumpit for all */
	NFLB_CMD_POOL_NEW,
	NFLB_CMD_POOL_SET,
	NFLB_CMD_POOL_DEL,
	NFLB_CMD_POOL_GET,
	NFLB_CMD_MEMBER_NEW,
	NFLB_CMD_MEMBER_SET,
	NFLB_CMD_MEMBER_DEL,
	NFLB_CMD_MEMBER_GET,	/* dump filtered by NFLB_MEMBER_A_POOL */
	NFLB_CMD_GLOBAL_SET,
	NFLB_CMD_GLOBAL_GET,
	NFLB_CMD_SESSION_GET,	/* dump, filtered by NFLB_A_FILTER */
	NFLB_CMD_SESSION_DEL,	/* delete sessions matching NFLB_A_FILTER */
	NFLB_CMD_STATS_GET,	/* global counters */
	NFLB_CMD_STATS_ZERO,
	NFLB_CMD_FLUSH,		/* remove every object and session */
	NFLB_CMD_INFO_GET,
	NFLB_CMD_MEMBER_STATE,	/* event only: a member changed state */
	NFLB_CMD_SYNC_SET,	/* configure session sync (replaces it whole) */
	NFLB_CMD_SYNC_GET,	/* sync state, peers and counters */
	NFLB_CMD_SYNC_DEL,	/* stop session sync */
	NFLB_CMD_SYNC_PEER,	/* event only: a sync peer changed state */
	NFLB_CMD_MEMBER_HEALTH,	/* event only: a member's health changed */

	__NFLB_CMD_MAX,
	NFLB_CMD_MAX = __NFLB_CMD_MAX - 1
};

/* Top-level attributes. */
enum nflb_attr {
	NFLB_A_UNSPEC,
	NFLB_A_VS,		/* nest, enum nflb_vs_attr */
	NFLB_A_POOL,		/* nest, enum nflb_pool_attr */
	NFLB_A_MEMBER,		/* nest, enum nflb_member_attr */
	NFLB_A_GLOBAL,		/* nest, enum nflb_global_attr */
	NFLB_A_SESSION,		/* nest, enum nflb_session_attr */
	NFLB_A_FILTER,		/* nest, enum nflb_filter_attr */
	NFLB_A_STATS,		/* nest, enum nflb_stats_attr */
	NFLB_A_INFO,		/* nest, enum nflb_info_attr */
	/*
	 * Nest of NFLB_A_MEMBER nests, for NFLB_CMD_MEMBER_NEW instead of one
	 * NFLB_A_MEMBER: adds the members in order, as that many requests
	 * would.  The first that fails ends the request; the ones before it
	 * stay added, none after it is tried, and the error's offset
	 * (NLMSGERR_ATTR_OFFS or NLMSGERR_ATTR_MISS_NEST) lies inside its
	 * nest.  Kernels without it refuse it (unknown attribute): check the
	 * family's maxattr first.
	 */
	NFLB_A_MEMBERS,
	NFLB_A_SYNC,		/* nest, enum nflb_sync_attr */

	__NFLB_A_MAX,
	NFLB_A_MAX = __NFLB_A_MAX - 1
};

enum nflb_sched {
	NFLB_SCHED_RR,		/* round robin */
	NFLB_SCHED_WRR,		/* smooth weighted round robin */
	NFLB_SCHED_LC,		/* least connections */
	NFLB_SCHED_WLC,		/* weighted least connections */
	NFLB_SCHED_SH,		/* source hash */
	NFLB_SCHED_MH,		/* Maglev hash */

	__NFLB_SCHED_MAX,
	NFLB_SCHED_MAX = __NFLB_SCHED_MAX - 1
};

/* Virtual server flags (NFLB_VS_A_FLAGS). */
enum nflb_vs_flags {
	/* accept mid-stream TCP with no session and create one */
	NFLB_VS_F_LOOSE			= 1 << 0,
	/* send RST to both ends when an established session expires */
	NFLB_VS_F_RESET_ON_EXPIRY	= 1 << 1,
	/* sched sh/mh: hash the source port too */
	NFLB_VS_F_HASH_PORT		= 1 << 2,
	/* no member available: answer a SYN with RST instead of dropping */
	NFLB_VS_F_RST_NO_MEMBER		= 1 << 3,
	/* draining: no new sessions; existing ones continue */
	NFLB_VS_F_DRAIN			= 1 << 4,
};

#define NFLB_VS_F_ALL	(NFLB_VS_F_LOOSE | NFLB_VS_F_RESET_ON_EXPIRY | \
			 NFLB_VS_F_HASH_PORT | NFLB_VS_F_RST_NO_MEMBER | \
			 NFLB_VS_F_DRAIN)

enum nflb_vs_attr {
	NFLB_VS_A_UNSPEC,
	NFLB_VS_A_NAME,		/* string */
	NFLB_VS_A_ADDR4,	/* be32, VIP when IPv4 */
	NFLB_VS_A_ADDR6,	/* 16 bytes, VIP when IPv6 */
	NFLB_VS_A_PORT,		/* u16, host order, 1..65535 */
	NFLB_VS_A_PROTO,	/* u8, IPPROTO_TCP or IPPROTO_UDP */
	NFLB_VS_A_POOL,		/* string, name of an existing pool */
	NFLB_VS_A_SCHED,	/* u32, enum nflb_sched */
	NFLB_VS_A_FLAGS,	/* u32, enum nflb_vs_flags */
	NFLB_VS_A_MAX_SESSIONS,	/* u32, 0 = only the global limit */
	NFLB_VS_A_TIMEOUTS,	/* nest, enum nflb_timeout_attr; 0 = global */
	NFLB_VS_A_ACTIVE,	/* u32, read-only: live sessions */
	NFLB_VS_A_STATS,	/* nest, enum nflb_stats_attr, read-only */
	NFLB_VS_A_MH_SIZE,	/* u32, Maglev table size: a prime, 7..131071 */
	NFLB_VS_A_PERSIST_TIMEOUT, /* u32 seconds, 0 = no persistence */
	NFLB_VS_A_PERSIST_MASK4, /* u8, IPv4 prefix length for persistence */
	NFLB_VS_A_PERSIST_MASK6, /* u8, IPv6 prefix length for persistence */
	NFLB_VS_A_PAD,
	/* u32 seconds: with NFLB_VS_F_DRAIN, reset what is left after this
	 * long; 0 = no deadline.  Read back as seconds remaining.
	 */
	NFLB_VS_A_DRAIN_TIMEOUT,

	__NFLB_VS_A_MAX,
	NFLB_VS_A_MAX = __NFLB_VS_A_MAX - 1
};

enum nflb_pool_attr {
	NFLB_POOL_A_UNSPEC,
	NFLB_POOL_A_NAME,	/* string */
	NFLB_POOL_A_MEMBERS,	/* u32, read-only: number of members */
	NFLB_POOL_A_USERS,	/* u32, read-only: virtual servers using it */
	NFLB_POOL_A_FLAGS,	/* u32, enum nflb_pool_flags */
	NFLB_POOL_A_MIN_ACTIVE,	/* u32, priority groups: members needed */
	/* nest, enum nflb_check_attr: the active check lbhealthd runs */
	NFLB_POOL_A_CHECK,
	/* nest, enum nflb_passive_attr: in-kernel passive detection */
	NFLB_POOL_A_PASSIVE,

	__NFLB_POOL_A_MAX,
	NFLB_POOL_A_MAX = __NFLB_POOL_A_MAX - 1
};

enum nflb_pool_flags {
	/* a member that goes down loses its sessions */
	NFLB_POOL_F_EXPIRE_ON_DOWN	= 1 << 0,
};

#define NFLB_POOL_F_ALL	NFLB_POOL_F_EXPIRE_ON_DOWN

/*
 * Health checks (Documentation/health.rst).  The kernel stores a pool's
 * active check and hands it to lbhealthd, which probes and reports each
 * member's health back with NFLB_CMD_MEMBER_SET; passive detection runs in
 * the datapath.  Health is separate from the operator's NFLB_MEMBER_A_STATE:
 * a member takes new sessions only when its state is up and its health is
 * not down or ejected.
 */
enum nflb_check_type {
	NFLB_CHECK_NONE,
	NFLB_CHECK_TCP,		/* connect; optionally send/expect a string */
	NFLB_CHECK_HTTP,
	NFLB_CHECK_HTTPS,	/* TLS handshake, then as http */
	NFLB_CHECK_UDP_DNS,	/* a DNS query (type A) that must be answered */

	__NFLB_CHECK_MAX,
	NFLB_CHECK_MAX = __NFLB_CHECK_MAX - 1
};

#define NFLB_CHECK_STR_MAX	256	/* path, host, body, send, expect, query */

enum nflb_check_attr {
	NFLB_CHECK_A_UNSPEC,
	NFLB_CHECK_A_TYPE,	/* u8, enum nflb_check_type */
	NFLB_CHECK_A_PORT,	/* u16, host order; 0 = the member's port */
	NFLB_CHECK_A_PATH,	/* string, http(s): request path, "/" */
	NFLB_CHECK_A_HOST,	/* string, http(s): Host header; member addr */
	NFLB_CHECK_A_STATUS_MIN, /* u16, http(s): lowest good status, 200 */
	NFLB_CHECK_A_STATUS_MAX, /* u16, http(s): highest good status, 399 */
	NFLB_CHECK_A_EXPECT_BODY, /* string, http(s): body must contain it */
	NFLB_CHECK_A_SEND,	/* string, tcp: sent once connected */
	NFLB_CHECK_A_EXPECT,	/* string, tcp: the reply must contain it */
	NFLB_CHECK_A_QUERY,	/* string, udp-dns: name asked, "." */
	NFLB_CHECK_A_INTERVAL,	/* u32 ms between probes, 100..3600000 */
	NFLB_CHECK_A_TIMEOUT,	/* u32 ms a probe may take, 100..interval */
	NFLB_CHECK_A_RISE,	/* u8, good probes to come up, 1..100 */
	NFLB_CHECK_A_FALL,	/* u8, failed probes to go down, 1..100 */
	/* u32 s a member that comes back takes to reach its weight; 0 = at once */
	NFLB_CHECK_A_SLOW_START,
	NFLB_CHECK_A_TLS_VERIFY, /* u8, https: verify the certificate, 0 */

	__NFLB_CHECK_A_MAX,
	NFLB_CHECK_A_MAX = __NFLB_CHECK_A_MAX - 1
};

enum nflb_passive_attr {
	NFLB_PASSIVE_A_UNSPEC,
	NFLB_PASSIVE_A_ENABLED,	/* u8, 0 or 1; default 1 */
	NFLB_PASSIVE_A_FAILS,	/* u32, consecutive failures to eject, 1..1000 */
	/* u32 ms, first ejection's hold; doubles on each repeat, up to HOLD_MAX */
	NFLB_PASSIVE_A_HOLD,
	NFLB_PASSIVE_A_HOLD_MAX, /* u32 ms, the back-off's cap */
	NFLB_PASSIVE_A_MAX_EJECT, /* u8, percent of a pool ejected at most */

	__NFLB_PASSIVE_A_MAX,
	NFLB_PASSIVE_A_MAX = __NFLB_PASSIVE_A_MAX - 1
};

enum nflb_member_health {
	NFLB_HEALTH_UP,		/* also the start: no check has failed */
	NFLB_HEALTH_DOWN,	/* the active check failed FALL times */
	NFLB_HEALTH_EJECTED,	/* passive detection took it out for a hold */

	__NFLB_HEALTH_MAX,
	NFLB_HEALTH_MAX = __NFLB_HEALTH_MAX - 1
};

#define NFLB_HEALTH_REASON_MAX	64

enum nflb_member_state {
	NFLB_MEMBER_UP,
	NFLB_MEMBER_DOWN,

	__NFLB_MEMBER_STATE_MAX,
	NFLB_MEMBER_STATE_MAX = __NFLB_MEMBER_STATE_MAX - 1
};

enum nflb_member_attr {
	NFLB_MEMBER_A_UNSPEC,
	NFLB_MEMBER_A_POOL,	/* string */
	NFLB_MEMBER_A_ADDR4,	/* be32 */
	NFLB_MEMBER_A_ADDR6,	/* 16 bytes */
	NFLB_MEMBER_A_PORT,	/* u16, host order */
	NFLB_MEMBER_A_WEIGHT,	/* u32, 0..65535, 0 = drain */
	NFLB_MEMBER_A_STATE,	/* u8, enum nflb_member_state */
	NFLB_MEMBER_A_MAX_CONNS, /* u32, 0 = unlimited */
	NFLB_MEMBER_A_ACTIVE,	/* u32, read-only: live sessions */
	NFLB_MEMBER_A_STATS,	/* nest, enum nflb_stats_attr, read-only */
	NFLB_MEMBER_A_PRIORITY,	/* u32, higher wins */
	/* u32 seconds: once drained (weight 0) or down, reset the member's
	 * remaining sessions after this long; 0 = no deadline.
	 */
	NFLB_MEMBER_A_DRAIN_TIMEOUT,
	/*
	 * u8, enum nflb_member_health.  Set by lbhealthd (UP or DOWN, with a
	 * REASON); EJECTED is the kernel's and is read-only.
	 */
	NFLB_MEMBER_A_HEALTH,
	NFLB_MEMBER_A_HEALTH_REASON, /* string, < HEALTH_REASON_MAX */
	NFLB_MEMBER_A_HEALTH_SINCE, /* u64, read-only: unix time, seconds */
	NFLB_MEMBER_A_CHECK_PORT, /* u16, per-member check port; 0 = pool's */
	NFLB_MEMBER_A_CHECK_ADDR4, /* be32, per-member check address */
	NFLB_MEMBER_A_CHECK_ADDR6, /* 16 bytes */
	/* u32, read-only: the weight slow start allows now */
	NFLB_MEMBER_A_WEIGHT_NOW,
	NFLB_MEMBER_A_PAD,
	NFLB_MEMBER_A_PASSIVE_FAILS, /* u64, read-only: failures seen */
	NFLB_MEMBER_A_EJECTIONS, /* u64, read-only: times ejected */

	__NFLB_MEMBER_A_MAX,
	NFLB_MEMBER_A_MAX = __NFLB_MEMBER_A_MAX - 1
};

/* Session states; TCP states follow the IPVS/conntrack naming. */
enum nflb_state {
	NFLB_TCP_SYN_SENT,
	NFLB_TCP_SYN_RECV,
	NFLB_TCP_ESTABLISHED,
	NFLB_TCP_FIN_WAIT,
	NFLB_TCP_CLOSE_WAIT,
	NFLB_TCP_LAST_ACK,
	NFLB_TCP_TIME_WAIT,
	NFLB_TCP_CLOSE,
	NFLB_UDP,

	__NFLB_STATE_MAX,
	NFLB_STATE_MAX = __NFLB_STATE_MAX - 1
};

/* Idle timeouts in seconds, one attribute per state (type = state + 1). */
enum nflb_timeout_attr {
	NFLB_TIMEOUT_A_UNSPEC,
	NFLB_TIMEOUT_A_TCP_SYN_SENT,
	NFLB_TIMEOUT_A_TCP_SYN_RECV,
	NFLB_TIMEOUT_A_TCP_ESTABLISHED,
	NFLB_TIMEOUT_A_TCP_FIN_WAIT,
	NFLB_TIMEOUT_A_TCP_CLOSE_WAIT,
	NFLB_TIMEOUT_A_TCP_LAST_ACK,
	NFLB_TIMEOUT_A_TCP_TIME_WAIT,
	NFLB_TIMEOUT_A_TCP_CLOSE,
	NFLB_TIMEOUT_A_UDP,

	__NFLB_TIMEOUT_A_MAX,
	NFLB_TIMEOUT_A_MAX = __NFLB_TIMEOUT_A_MAX - 1
};

/* Longest idle timeout accepted: 30 days. */
#define NFLB_TIMEOUT_MAX_SECS	2592000

#define NFLB_MH_SIZE_DEFAULT	65537
#define NFLB_MH_SIZE_MAX	131071

enum nflb_global_attr {
	NFLB_GLOBAL_A_UNSPEC,
	NFLB_GLOBAL_A_TIMEOUTS,	/* nest, enum nflb_timeout_attr */
	NFLB_GLOBAL_A_MAX_SESSIONS, /* u32, 1..NFLB_MAX_SESSIONS_LIMIT */
	/*
	 * Limits of this namespace.  A namespace owned by a user namespace
	 * other than the initial one starts with the *_USERNS defaults and
	 * cannot raise a limit above the initial namespace's (EPERM).
	 */
	NFLB_GLOBAL_A_MAX_MEMBERS,	/* u32, members of all pools */
	NFLB_GLOBAL_A_MAX_VS,		/* u32, virtual servers */
	NFLB_GLOBAL_A_MAX_POOLS,	/* u32, pools */
	NFLB_GLOBAL_A_MAX_MH_SIZE,	/* u32, largest mh-size accepted */
	/* u8 0/1: deleting a member ends its sessions (default 1) */
	NFLB_GLOBAL_A_EXPIRE_NODEST,

	__NFLB_GLOBAL_A_MAX,
	NFLB_GLOBAL_A_MAX = __NFLB_GLOBAL_A_MAX - 1
};

#define NFLB_MAX_SESSIONS_DEFAULT	1048576
#define NFLB_MAX_SESSIONS_LIMIT		67108864	/* 2^26 */
#define NFLB_MAX_MEMBERS_DEFAULT	262144
#define NFLB_MAX_MEMBERS_LIMIT		16777216
#define NFLB_MAX_VS_DEFAULT		65536
#define NFLB_MAX_POOLS_DEFAULT		65536
#define NFLB_MAX_OBJECTS_LIMIT		1048576	/* virtual servers, pools */
/* Defaults of a namespace owned by a non-initial user namespace. */
#define NFLB_MAX_SESSIONS_USERNS	65536
#define NFLB_MAX_MEMBERS_USERNS		1024
#define NFLB_MAX_VS_USERNS		256
#define NFLB_MAX_POOLS_USERNS		256
#define NFLB_MAX_MH_SIZE_USERNS		65537

enum nflb_session_attr {
	NFLB_SESSION_A_UNSPEC,
	NFLB_SESSION_A_VS,	/* string, virtual server name */
	NFLB_SESSION_A_PROTO,	/* u8 */
	NFLB_SESSION_A_STATE,	/* u8, enum nflb_state */
	NFLB_SESSION_A_CLIENT4,	/* be32 */
	NFLB_SESSION_A_CLIENT6,	/* 16 bytes */
	NFLB_SESSION_A_CLIENT_PORT, /* u16 */
	NFLB_SESSION_A_VIP4,	/* be32 */
	NFLB_SESSION_A_VIP6,	/* 16 bytes */
	NFLB_SESSION_A_VIP_PORT, /* u16 */
	NFLB_SESSION_A_MEMBER4,	/* be32 */
	NFLB_SESSION_A_MEMBER6,	/* 16 bytes */
	NFLB_SESSION_A_MEMBER_PORT, /* u16 */
	NFLB_SESSION_A_EXPIRES,	/* u32, milliseconds until expiry */
	/* u8, sync node id of the creating node; 0 = this one, no sync */
	NFLB_SESSION_A_OWNER,

	__NFLB_SESSION_A_MAX,
	NFLB_SESSION_A_MAX = __NFLB_SESSION_A_MAX - 1
};

/* Session selection for SESSION_GET and SESSION_DEL; all given must match. */
enum nflb_filter_attr {
	NFLB_FILTER_A_UNSPEC,
	NFLB_FILTER_A_VS,		/* string */
	NFLB_FILTER_A_MEMBER4,		/* be32 */
	NFLB_FILTER_A_MEMBER6,		/* 16 bytes */
	NFLB_FILTER_A_MEMBER_PORT,	/* u16, 0 = any */
	NFLB_FILTER_A_CLIENT4,		/* be32 */
	NFLB_FILTER_A_CLIENT6,		/* 16 bytes */
	NFLB_FILTER_A_CLIENT_PREFIXLEN,	/* u8, default: full length */

	__NFLB_FILTER_A_MAX,
	NFLB_FILTER_A_MAX = __NFLB_FILTER_A_MAX - 1
};

/* Why packets were dropped or flows refused. */
enum nflb_drop_reason {
	NFLB_DROP_NO_SESSION,	/* TCP non-SYN to a VIP, no session */
	NFLB_DROP_SESSION_LIMIT, /* global or per-VS limit reached */
	NFLB_DROP_MALFORMED,	/* truncated or inconsistent headers */
	NFLB_DROP_NO_MEMBER,	/* no member available */
	NFLB_DROP_BAD_CSUM,	/* session-creating packet, bad checksum */
	NFLB_DROP_NOMEM,	/* allocation failed */
	/* TCP RST or FIN outside the session's window: spoofed or stale */
	NFLB_DROP_OUT_OF_WINDOW,

	__NFLB_DROP_MAX,
	NFLB_DROP_MAX = __NFLB_DROP_MAX - 1
};

enum nflb_stats_attr {
	NFLB_STATS_A_UNSPEC,
	NFLB_STATS_A_PAD,
	NFLB_STATS_A_PKTS_IN,		/* u64, client to member */
	NFLB_STATS_A_BYTES_IN,		/* u64 */
	NFLB_STATS_A_PKTS_OUT,		/* u64, member to client */
	NFLB_STATS_A_BYTES_OUT,		/* u64 */
	NFLB_STATS_A_SESSIONS_CREATED,	/* u64 */
	NFLB_STATS_A_SESSIONS_EXPIRED,	/* u64 */
	NFLB_STATS_A_SESSIONS_ACTIVE,	/* u64 */
	NFLB_STATS_A_DROP_NO_SESSION,	/* u64, one per enum nflb_drop_reason */
	NFLB_STATS_A_DROP_SESSION_LIMIT,
	NFLB_STATS_A_DROP_MALFORMED,
	NFLB_STATS_A_DROP_NO_MEMBER,
	NFLB_STATS_A_DROP_BAD_CSUM,
	NFLB_STATS_A_DROP_NOMEM,
	NFLB_STATS_A_RESETS_SENT,	/* u64, RSTs sent on expiry */
	NFLB_STATS_A_ICMP_XLATED,	/* u64, ICMP errors translated */
	NFLB_STATS_A_DROP_OUT_OF_WINDOW, /* u64, enum nflb_drop_reason */
	/* u64, sessions evicted to make room for a new one (full table) */
	NFLB_STATS_A_SESSIONS_EVICTED,
	NFLB_STATS_A_PERSIST_ACTIVE,	/* u64, persistence entries */
	/* u64, failed handshakes passive detection counted (no SYN-ACK in
	 * time, RST to a SYN, ICMP unreachable, one-way UDP)
	 */
	NFLB_STATS_A_PASSIVE_FAILS,
	NFLB_STATS_A_EJECTIONS,		/* u64, members ejected */
	/* u64, ejections not made: the pool's max-eject share was reached */
	NFLB_STATS_A_EJECTIONS_CAPPED,

	__NFLB_STATS_A_MAX,
	NFLB_STATS_A_MAX = __NFLB_STATS_A_MAX - 1
};

enum nflb_info_attr {
	NFLB_INFO_A_UNSPEC,
	NFLB_INFO_A_VERSION,		/* string, module version */
	NFLB_INFO_A_SESSION_SIZE4,	/* u32, bytes per IPv4 session */
	NFLB_INFO_A_SESSION_SIZE6,	/* u32, bytes per IPv6 session */
	NFLB_INFO_A_SESSIONS,		/* u32, live sessions */
	NFLB_INFO_A_MAX_SESSIONS,	/* u32, global limit */
	NFLB_INFO_A_VS_COUNT,		/* u32 */
	NFLB_INFO_A_POOL_COUNT,		/* u32 */
	NFLB_INFO_A_MEMBER_COUNT,	/* u32 */
	NFLB_INFO_A_PERSIST_COUNT,	/* u32, persistence entries */
	/* u32, most persistence entries: the same as max-sessions */
	NFLB_INFO_A_MAX_PERSIST,

	__NFLB_INFO_A_MAX,
	NFLB_INFO_A_MAX = __NFLB_INFO_A_MAX - 1
};

/* Session sync (Documentation/sync.rst). */
#define NFLB_SYNC_PORT_DEFAULT	7788
#define NFLB_SYNC_PEERS_MAX	32
#define NFLB_SYNC_KEY_LEN	32

enum nflb_sync_peer_state {
	NFLB_SYNC_PEER_DOWN,	/* no valid datagram in the last 3 s */
	NFLB_SYNC_PEER_UP,
	NFLB_SYNC_PEER_SYNCING,	/* a bulk resync with it runs */

	__NFLB_SYNC_PEER_MAX,
	NFLB_SYNC_PEER_MAX = __NFLB_SYNC_PEER_MAX - 1
};

enum nflb_sync_attr {
	NFLB_SYNC_A_UNSPEC,
	NFLB_SYNC_A_PAD,
	NFLB_SYNC_A_NODE_ID,	/* u8, 1..255, unique among the peers */
	NFLB_SYNC_A_LOCAL4,	/* be32, address the sync socket binds */
	NFLB_SYNC_A_LOCAL6,	/* 16 bytes */
	NFLB_SYNC_A_PORT,	/* u16, host order, UDP port of every node */
	/* nest, enum nflb_sync_peer_attr; one per peer, at most PEERS_MAX */
	NFLB_SYNC_A_PEER,
	NFLB_SYNC_A_KEY,	/* binary, KEY_LEN bytes; read back: WITH_KEY */
	NFLB_SYNC_A_READY,	/* u8, read-only: bulk resync done */
	NFLB_SYNC_A_STATS,	/* nest, enum nflb_sync_stats_attr, read-only */
	/* u32, session records a second this node sends, at most; 1000..1e7 */
	NFLB_SYNC_A_RATE,
	/*
	 * flag, in a SYNC_GET request only: the reply carries NFLB_SYNC_A_KEY
	 * (for lbctl save sync-key); refused without CAP_NET_ADMIN
	 */
	NFLB_SYNC_A_WITH_KEY,
	/*
	 * u8, 0 or 1: redirect packets with no session to their flow's owner
	 * (Documentation/sync.rst, Owner redirect); default 1
	 */
	NFLB_SYNC_A_REDIRECT,
	/* u32, read-only: this node's share of the flows it owns, per mille */
	NFLB_SYNC_A_OWNER_SHARE,
	/*
	 * u32, ms, 1..1000: how long a change may wait for others to fill
	 * its datagram (Documentation/sync.rst, Batching); default 50
	 */
	NFLB_SYNC_A_DELAY,

	__NFLB_SYNC_A_MAX,
	NFLB_SYNC_A_MAX = __NFLB_SYNC_A_MAX - 1
};

enum nflb_sync_peer_attr {
	NFLB_SYNC_PEER_A_UNSPEC,
	NFLB_SYNC_PEER_A_PAD,
	NFLB_SYNC_PEER_A_ADDR4,		/* be32 */
	NFLB_SYNC_PEER_A_ADDR6,		/* 16 bytes */
	NFLB_SYNC_PEER_A_NODE_ID,	/* u8, read-only: 0 until heard */
	/* u8, read-only, enum nflb_sync_peer_state */
	NFLB_SYNC_PEER_A_STATE,
	NFLB_SYNC_PEER_A_LAST_SEEN,	/* u32, read-only: ms ago, 0 = never */
	NFLB_SYNC_PEER_A_TX_DATAGRAMS,	/* u64, read-only */
	NFLB_SYNC_PEER_A_RX_DATAGRAMS,	/* u64, read-only: accepted */
	NFLB_SYNC_PEER_A_RX_RECORDS,	/* u64, read-only: installed or applied */
	/* u32, read-only: ms the oldest datagram it has not acked has waited */
	NFLB_SYNC_PEER_A_LAG,
	/* u32, read-only: its share of the flows, per mille (0: not an owner) */
	NFLB_SYNC_PEER_A_OWNER_SHARE,

	__NFLB_SYNC_PEER_A_MAX,
	NFLB_SYNC_PEER_A_MAX = __NFLB_SYNC_PEER_A_MAX - 1
};

/* Counters of a namespace's sync, all u64. */
enum nflb_sync_stats_attr {
	NFLB_SYNC_STATS_A_UNSPEC,
	NFLB_SYNC_STATS_A_PAD,
	NFLB_SYNC_STATS_A_TX_DATAGRAMS,	/* u64, datagrams handed to IP (all types) */
	NFLB_SYNC_STATS_A_TX_RECORDS,	/* u64, session records sent */
	NFLB_SYNC_STATS_A_TX_ERRORS,	/* u64, datagrams not sent: no route, no memory */
	/* u64, session changes not queued: per-CPU ring full */
	NFLB_SYNC_STATS_A_TX_DROPPED,
	NFLB_SYNC_STATS_A_RX_DATAGRAMS,	/* u64, datagrams accepted */
	NFLB_SYNC_STATS_A_RX_RECORDS,	/* u64, records installed or applied */
	NFLB_SYNC_STATS_A_RX_BAD_MAC,	/* u64, datagrams with a wrong MAC */
	/* u64, datagrams seen before, too old, or a new epoch not fresh */
	NFLB_SYNC_STATS_A_RX_REPLAY,
	/* u64, datagrams too short, of another version, or with a bad record */
	NFLB_SYNC_STATS_A_RX_MALFORMED,
	/*
	 * u64, datagrams from an address that is not a configured peer, or
	 * whose node ids conflict: the sender claims this node's id, another
	 * peer's, or not the one first heard from its address, or addresses
	 * another node id
	 */
	NFLB_SYNC_STATS_A_RX_UNKNOWN_PEER,
	NFLB_SYNC_STATS_A_RX_UNKNOWN_VS, /* u64, records for no local VS */
	/* u64, records for a member the local VS's pool lacks */
	NFLB_SYNC_STATS_A_RX_UNKNOWN_MEMBER,
	/* u64, records not installed: table full, no memory, tuple taken */
	NFLB_SYNC_STATS_A_RX_INSTALL_FAILED,
	/* u64, datagrams dropped before parsing: the peer's queue share full */
	NFLB_SYNC_STATS_A_RX_QUEUE_FULL,
	NFLB_SYNC_STATS_A_TX_NACKS,	/* u64, NACKs sent for missing datagrams */
	NFLB_SYNC_STATS_A_TX_RESENT,	/* u64, datagrams resent on a peer's NACK */
	/*
	 * u64, datagrams given up on after 3 NACKs (20 from the peer the
	 * table is pulled from) or once out of the replay window; no resync
	 * is asked (but of a bulk walk, which is asked again): the refresh
	 * pass repairs their records
	 */
	NFLB_SYNC_STATS_A_RX_LOST,
	NFLB_SYNC_STATS_A_BULK_WALKS,	/* u64, bulk walks started for peers */
	/*
	 * u64, peers' BULK_REQs refused: this node not ready itself, a walk
	 * for the peer running or waiting, or its last one too recent
	 */
	NFLB_SYNC_STATS_A_BULK_REFUSED,
	/* u64, packets with no session sent to their flow's owner */
	NFLB_SYNC_STATS_A_TX_REDIRECTED,
	/* u64, redirected packets received and processed here */
	NFLB_SYNC_STATS_A_RX_REDIRECTED,
	/* u64, redirects not sent: no route to the owner, no memory */
	NFLB_SYNC_STATS_A_TX_REDIRECT_ERRORS,
	/* u64, redirects larger than the route to the owner: fragmented */
	NFLB_SYNC_STATS_A_TX_REDIRECT_FRAG,
	/* u64, redirects dropped: the outer source is not a peer */
	NFLB_SYNC_STATS_A_REDIRECT_DROP_NOT_PEER,
	/* u64, redirects dropped: wrong MAC */
	NFLB_SYNC_STATS_A_REDIRECT_DROP_BAD_MAC,
	/* u64, redirects dropped: bad header, inner packet not whole IPv4/IPv6 */
	NFLB_SYNC_STATS_A_REDIRECT_DROP_MALFORMED,
	/* u64, redirects dropped: the inner packet is no session's, no VIP's */
	NFLB_SYNC_STATS_A_REDIRECT_DROP_NOT_OURS,
	/* u64, redirects dropped: no session here and not this node's flow */
	NFLB_SYNC_STATS_A_REDIRECT_DROP_NOT_OWNER,

	__NFLB_SYNC_STATS_A_MAX,
	NFLB_SYNC_STATS_A_MAX = __NFLB_SYNC_STATS_A_MAX - 1
};

#endif /* _UAPI_LINUX_NFLB_H */
