// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_netlink: throw random and mutated-from-valid messages at the "nflb"
 * generic netlink family and check that every one is answered.
 *
 *   fuzz_netlink [-n COUNT] [-s SEED] [-t SECS] [-4 VIP4] [-6 VIP6] [-p PORT]
 *                [-m MEMBER]... [-T NETNS] [-v]
 *
 * Every message carries NLM_F_ACK, so the kernel must answer each with an
 * acknowledgement, an error, or (dumps) NLMSG_DONE; no answer within SECS
 * (default 30) is a failure ("hang").  Replies must be well-formed netlink
 * (lengths, attribute nesting).  Messages are:
 *  - random: random command, flags, attribute trees of random types, lengths,
 *    nesting and payloads (0, ~0, 0x80000000, strings without NUL, ...);
 *  - mutated from valid: a valid request of a random command (names of the
 *    baseline objects or random ones, real or odd addresses, every optional
 *    attribute at random) with 0-3 mutations: nla_len too short/long/odd,
 *    changed or unknown types, NLA_F_NESTED toggled, truncation, duplicated
 *    or appended attributes, payload bytes flipped, interesting integers;
 *  - now and then several messages in one send().
 * Every 256 messages the baseline configuration (pool "fzp" with the -m
 * members, UDP virtual servers "fz4"/"fz6" on VIP4/VIP6:PORT, TCP "fzt4",
 * an empty pool "fzq") is rebuilt after a FLUSH.  With -T NETNS a thread in
 * that namespace sends UDP datagrams and TCP SYNs to the virtual servers
 * meanwhile, so session dumps, deletes and flushes race with live sessions.
 *
 * Output: "# ..." diagnostics; exit 0 on success, 1 on failure, 2 usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/nflb.h>

#include "lib/genl.h"
#include "lib/prng.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MSG_MAX 4096
#define RX_SIZE (256 * 1024)
#define BATCH_MAX 8
#define MAX_MEMBERS 8

/* ---- interesting values (lib/prng.h: reproducible with -s) ---- */

static const uint32_t interesting32[] = {
	0, 1, 2, 3, 5, 6, 7, 16, 17, 31, 32, 33, 127, 128, 129, 255, 256,
	1000, 4096, 65535, 65536, 65537, 131071, 131072, 2592000, 2592001,
	67108864, 67108865, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
};

static uint32_t rnd_int(void)
{
	if (chance(70))
		return interesting32[rnd(ARRAY_SIZE(interesting32))];
	if (chance(50))
		return rnd(300);
	return (uint32_t)rnd64();
}

/* ---- options and state ---- */

static struct {
	unsigned long count;
	uint64_t seed;
	int timeout;
	bool verbose;
	const char *vip4, *vip6, *traffic_ns;
	uint16_t port;
	const char *members[MAX_MEMBERS];
	int nmembers;
} o = { .count = 100000, .timeout = 30, .vip4 = "10.0.0.100",
	.vip6 = "fd00::100", .port = 5000 };

static struct mnl_socket *nl, *ev;
static uint32_t portid;
static uint16_t family_id;
static uint32_t mcgrp_id;
static uint32_t seq = 1;
static char rxbuf[RX_SIZE] __attribute__((aligned(8)));

static struct {
	unsigned long sent, answered, acked, errors, replies, dumps_done, stray, batches;
	unsigned long err_by_errno[256];
	unsigned long by_cmd[256];
	unsigned long events, event_overruns;
} st;

static volatile bool stop_traffic;
static unsigned long traffic_sent;

/* ---- message building ---- */

struct msg {
	char buf[MSG_MAX] __attribute__((aligned(8)));
	struct nlmsghdr *nlh;
	bool dump;
	uint8_t cmd;
};

static struct nlmsghdr *msg_start(struct msg *m, uint8_t cmd, uint16_t flags)
{
	memset(m->buf, 0, sizeof(m->buf));
	m->nlh = genl_msg_start(m->buf, family_id, cmd, NFLB_GENL_VERSION, flags, seq++);
	if (!seq)
		seq = 1;
	m->cmd = cmd;
	m->dump = flags & NLM_F_DUMP;
	return m->nlh;
}

/* Leave room for mutations that append. */
#define room(m) ((size_t)(MSG_MAX - 64))

/* Random attribute tree (types 0..24 with random flag bits, random sizes). */
static void put_random_attrs(struct msg *m, int depth)
{
	int n = (int)rnd(depth ? 5 : 7);

	for (int i = 0; i < n; i++) {
		uint16_t type = (uint16_t)rnd(25);
		size_t left = room(m) - m->nlh->nlmsg_len;

		if (chance(10))
			type |= NLA_F_NESTED;
		if (chance(5))
			type |= NLA_F_NET_BYTEORDER;
		if (left < 300)
			return;
		if (depth < 3 && chance(30)) {
			struct nlattr *nest = mnl_attr_nest_start(m->nlh, type & NLA_TYPE_MASK);

			if (chance(80))
				nest->nla_type |= NLA_F_NESTED;
			put_random_attrs(m, depth + 1);
			mnl_attr_nest_end(m->nlh, nest);
			continue;
		}
		{
			static const size_t lens[] = { 0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 17,
						       31, 32, 33, 64 };
			size_t len = chance(85) ? lens[rnd(ARRAY_SIZE(lens))] : rnd(256);
			uint8_t p[256];

			if (chance(50)) {
				memset(p, chance(50) ? 0 : 0xff, sizeof(p));
			} else if (chance(50)) {
				uint32_t v = rnd_int();

				for (size_t k = 0; k + 4 <= sizeof(p); k += 4)
					memcpy(p + k, &v, 4);
			} else {
				for (size_t k = 0; k < sizeof(p); k++)
					p[k] = (uint8_t)rnd(256);
			}
			if (chance(30))	/* a printable string, maybe without NUL */
				for (size_t k = 0; k < len; k++)
					p[k] = (uint8_t)("abz09_.-/ \xc3"[rnd(12)]);
			mnl_attr_put(m->nlh, type, len, p);
		}
	}
}

static const char *const base_names[] = { "fzp", "fzq", "fz4", "fz6", "fzt4", "nosuch" };

static void rnd_name(char *out, size_t len)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
	size_t n;

	if (chance(60)) {
		snprintf(out, len, "%s", base_names[rnd(ARRAY_SIZE(base_names))]);
		return;
	}
	switch (rnd(5)) {
	case 0: n = 0; break;
	case 1: n = 31; break;
	case 2: n = 32 + rnd(10); break;
	default: n = 1 + rnd(12);
	}
	if (n >= len)
		n = len - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = chance(95) ? ok[rnd(sizeof(ok) - 1)] : (char)(1 + rnd(255));
	out[n] = '\0';
}

static void put_name(struct msg *m, uint16_t type)
{
	char name[64];

	rnd_name(name, sizeof(name));
	if (chance(5)) {	/* no terminating NUL */
		mnl_attr_put(m->nlh, type, strlen(name), name);
		return;
	}
	mnl_attr_put_strz(m->nlh, type, name);
}

static void put_addr(struct msg *m, uint16_t t4, uint16_t t6, bool member)
{
	struct in_addr a4;
	struct in6_addr a6;
	const char *s;

	if (chance(50)) {
		s = member && o.nmembers ? o.members[rnd((uint32_t)o.nmembers)] : o.vip4;
		if (strchr(s, ':') || chance(30)) {
			static const char *const odd[] = { "0.0.0.0", "255.255.255.255",
				"127.0.0.1", "224.0.0.1", "10.0.0.100", "10.0.11.2" };
			s = odd[rnd(ARRAY_SIZE(odd))];
		}
		inet_pton(AF_INET, s, &a4);
		if (chance(10))
			a4.s_addr = (uint32_t)rnd64();
		mnl_attr_put(m->nlh, t4, 4, &a4);
	} else {
		s = member && o.nmembers ? o.members[rnd((uint32_t)o.nmembers)] : o.vip6;
		if (!strchr(s, ':') || chance(30)) {
			static const char *const odd[] = { "::", "::1", "ff02::1",
				"::ffff:10.0.0.100", "fe80::1", "fd00::100" };
			s = odd[rnd(ARRAY_SIZE(odd))];
		}
		inet_pton(AF_INET6, s, &a6);
		mnl_attr_put(m->nlh, t6, 16, &a6);
	}
	if (chance(3)) {	/* both families */
		a4.s_addr = htonl(0x0a000064);
		mnl_attr_put(m->nlh, t4, 4, &a4);
	}
}

static uint16_t rnd_port(void)
{
	return chance(60) ? o.port : (uint16_t)(chance(50) ? rnd(3) : rnd64());
}

/* A pool's check nest: mostly valid, short slow starts (the ramp worker). */
static void put_check(struct msg *m)
{
	struct nlattr *n = mnl_attr_nest_start(m->nlh, NFLB_POOL_A_CHECK);

	if (chance(70))
		mnl_attr_put_u8(m->nlh, NFLB_CHECK_A_TYPE, (uint8_t)(chance(90) ? rnd(5) : rnd(256)));
	if (chance(40))
		mnl_attr_put_u32(m->nlh, NFLB_CHECK_A_SLOW_START, chance(80) ? rnd(4) : rnd_int());
	if (chance(30))
		mnl_attr_put_u32(m->nlh, NFLB_CHECK_A_INTERVAL, chance(70) ? 100 + rnd(5000) : rnd_int());
	if (chance(30))
		mnl_attr_put_u32(m->nlh, NFLB_CHECK_A_TIMEOUT, chance(70) ? 100 + rnd(5000) : rnd_int());
	if (chance(30))
		mnl_attr_put_strz(m->nlh, NFLB_CHECK_A_PATH, chance(80) ? "/health" : "");
	if (chance(10))
		mnl_attr_put_u16(m->nlh, NFLB_CHECK_A_STATUS_MIN, (uint16_t)rnd(700));
	mnl_attr_nest_end(m->nlh, n);
}

static void put_passive(struct msg *m)
{
	struct nlattr *n = mnl_attr_nest_start(m->nlh, NFLB_POOL_A_PASSIVE);

	if (chance(60))
		mnl_attr_put_u8(m->nlh, NFLB_PASSIVE_A_ENABLED, (uint8_t)rnd(3));
	if (chance(40))
		mnl_attr_put_u32(m->nlh, NFLB_PASSIVE_A_HOLD, chance(70) ? 100 + rnd(500000) : rnd_int());
	if (chance(30))
		mnl_attr_put_u8(m->nlh, NFLB_PASSIVE_A_MAX_EJECT, (uint8_t)rnd(120));
	mnl_attr_nest_end(m->nlh, n);
}

static void put_timeouts(struct msg *m, uint16_t type)
{
	struct nlattr *n = mnl_attr_nest_start(m->nlh, type);

	for (uint16_t t = 0; t <= NFLB_TIMEOUT_A_MAX + 1; t++)
		if (chance(40))
			mnl_attr_put_u32(m->nlh, t, chance(60) ? 1 + rnd(10) : rnd_int());
	mnl_attr_nest_end(m->nlh, n);
}

/* A plausible request of command cmd; every optional attribute at random. */
static void build_valid(struct msg *m, uint8_t cmd)
{
	struct nlattr *n;
	bool dump = false;

	switch (cmd) {
	case NFLB_CMD_VS_GET: case NFLB_CMD_POOL_GET:
		dump = chance(50);
		break;
	case NFLB_CMD_MEMBER_GET: case NFLB_CMD_SESSION_GET:
		dump = chance(95);
		break;
	}
	msg_start(m, cmd, dump ? NLM_F_DUMP : 0);
	switch (cmd) {
	case NFLB_CMD_VS_NEW: case NFLB_CMD_VS_SET: case NFLB_CMD_VS_DEL:
	case NFLB_CMD_VS_GET:
		if (cmd == NFLB_CMD_VS_GET && dump && chance(70))
			break;
		n = mnl_attr_nest_start(m->nlh, NFLB_A_VS);
		if (chance(95))
			put_name(m, NFLB_VS_A_NAME);
		if (cmd == NFLB_CMD_VS_NEW || chance(5)) {
			if (chance(95))
				put_addr(m, NFLB_VS_A_ADDR4, NFLB_VS_A_ADDR6, false);
			if (chance(95))
				mnl_attr_put_u16(m->nlh, NFLB_VS_A_PORT, rnd_port());
			if (chance(95))
				mnl_attr_put_u8(m->nlh, NFLB_VS_A_PROTO,
						chance(90) ? (chance(50) ? 6 : 17) : (uint8_t)rnd(256));
		}
		if (cmd == NFLB_CMD_VS_NEW || cmd == NFLB_CMD_VS_SET) {
			if (chance(cmd == NFLB_CMD_VS_NEW ? 95 : 30)) {
				char p[64];

				rnd_name(p, sizeof(p));
				mnl_attr_put_strz(m->nlh, NFLB_VS_A_POOL,
						  chance(70) ? (chance(50) ? "fzp" : "fzq") : p);
			}
			if (chance(50))
				mnl_attr_put_u32(m->nlh, NFLB_VS_A_SCHED, chance(90) ? rnd(6) : rnd_int());
			if (chance(40))
				mnl_attr_put_u32(m->nlh, NFLB_VS_A_FLAGS,
						 chance(80) ? rnd(NFLB_VS_F_ALL + 1) : rnd_int());
			if (chance(30))
				mnl_attr_put_u32(m->nlh, NFLB_VS_A_MAX_SESSIONS, rnd_int());
			if (chance(30))
				put_timeouts(m, NFLB_VS_A_TIMEOUTS);
			if (chance(30)) {
				static const uint32_t mh[] = { 7, 11, 13, 251, 65537, 131071, 8, 1, 0 };

				mnl_attr_put_u32(m->nlh, NFLB_VS_A_MH_SIZE,
						 chance(80) ? mh[rnd(ARRAY_SIZE(mh))] : rnd_int());
			}
			if (chance(25))
				mnl_attr_put_u32(m->nlh, NFLB_VS_A_PERSIST_TIMEOUT,
						 chance(70) ? rnd(100) : rnd_int());
			if (chance(20))
				mnl_attr_put_u8(m->nlh, NFLB_VS_A_PERSIST_MASK4, (uint8_t)rnd(40));
			if (chance(20))
				mnl_attr_put_u8(m->nlh, NFLB_VS_A_PERSIST_MASK6, (uint8_t)rnd(140));
			if (chance(20))
				mnl_attr_put_u32(m->nlh, NFLB_VS_A_DRAIN_TIMEOUT,
						 chance(70) ? rnd(5) : rnd_int());
			if (chance(3))	/* read-only */
				mnl_attr_put_u32(m->nlh, NFLB_VS_A_ACTIVE, 1);
		}
		mnl_attr_nest_end(m->nlh, n);
		break;
	case NFLB_CMD_POOL_NEW: case NFLB_CMD_POOL_SET: case NFLB_CMD_POOL_DEL:
	case NFLB_CMD_POOL_GET:
		if (cmd == NFLB_CMD_POOL_GET && dump && chance(70))
			break;
		n = mnl_attr_nest_start(m->nlh, NFLB_A_POOL);
		if (chance(95))
			put_name(m, NFLB_POOL_A_NAME);
		if (chance(40))
			mnl_attr_put_u32(m->nlh, NFLB_POOL_A_FLAGS, chance(80) ? rnd(2) : rnd_int());
		if (chance(40))
			mnl_attr_put_u32(m->nlh, NFLB_POOL_A_MIN_ACTIVE, rnd_int());
		if (chance(3))
			mnl_attr_put_u32(m->nlh, NFLB_POOL_A_MEMBERS, 1);
		if (chance(25))
			put_check(m);
		if (chance(15))
			put_passive(m);
		mnl_attr_nest_end(m->nlh, n);
		break;
	case NFLB_CMD_MEMBER_NEW: case NFLB_CMD_MEMBER_SET: case NFLB_CMD_MEMBER_DEL:
	case NFLB_CMD_MEMBER_GET:
		if (cmd == NFLB_CMD_MEMBER_GET && chance(50))
			break;
		n = mnl_attr_nest_start(m->nlh, NFLB_A_MEMBER);
		if (chance(95)) {
			if (chance(80))
				mnl_attr_put_strz(m->nlh, NFLB_MEMBER_A_POOL, chance(70) ? "fzp" : "fzq");
			else
				put_name(m, NFLB_MEMBER_A_POOL);
		}
		if (cmd != NFLB_CMD_MEMBER_GET || chance(10)) {
			if (chance(95))
				put_addr(m, NFLB_MEMBER_A_ADDR4, NFLB_MEMBER_A_ADDR6, true);
			if (chance(95))
				mnl_attr_put_u16(m->nlh, NFLB_MEMBER_A_PORT, rnd_port());
		}
		if (cmd == NFLB_CMD_MEMBER_NEW || cmd == NFLB_CMD_MEMBER_SET) {
			if (chance(40))
				mnl_attr_put_u32(m->nlh, NFLB_MEMBER_A_WEIGHT, rnd_int());
			if (chance(40))
				mnl_attr_put_u8(m->nlh, NFLB_MEMBER_A_STATE, (uint8_t)(chance(90) ? rnd(2) : rnd(256)));
			if (chance(30))
				mnl_attr_put_u32(m->nlh, NFLB_MEMBER_A_MAX_CONNS, rnd_int());
			if (chance(30))
				mnl_attr_put_u32(m->nlh, NFLB_MEMBER_A_PRIORITY, rnd_int());
			if (chance(20))
				mnl_attr_put_u32(m->nlh, NFLB_MEMBER_A_DRAIN_TIMEOUT,
						 chance(70) ? rnd(5) : rnd_int());
			/* health: mostly up/down (slow start ramps), sometimes
			 * ejected or out of range, with or without a reason */
			if (chance(30))
				mnl_attr_put_u8(m->nlh, NFLB_MEMBER_A_HEALTH,
						(uint8_t)(chance(90) ? rnd(2) : rnd(256)));
			if (chance(15))
				mnl_attr_put_strz(m->nlh, NFLB_MEMBER_A_HEALTH_REASON,
						  chance(90) ? "fuzz" : "");
			if (chance(10))
				mnl_attr_put_u16(m->nlh, NFLB_MEMBER_A_CHECK_PORT, rnd_port());
			if (chance(10))
				put_addr(m, NFLB_MEMBER_A_CHECK_ADDR4, NFLB_MEMBER_A_CHECK_ADDR6, true);
		}
		mnl_attr_nest_end(m->nlh, n);
		break;
	case NFLB_CMD_GLOBAL_SET:
		n = mnl_attr_nest_start(m->nlh, NFLB_A_GLOBAL);
		if (chance(60))
			put_timeouts(m, NFLB_GLOBAL_A_TIMEOUTS);
		if (chance(60))
			mnl_attr_put_u32(m->nlh, NFLB_GLOBAL_A_MAX_SESSIONS, rnd_int());
		mnl_attr_nest_end(m->nlh, n);
		break;
	case NFLB_CMD_SESSION_GET: case NFLB_CMD_SESSION_DEL:
		if (chance(30))
			break;
		n = mnl_attr_nest_start(m->nlh, NFLB_A_FILTER);
		if (chance(40)) {
			char name[64];

			rnd_name(name, sizeof(name));
			mnl_attr_put_strz(m->nlh, NFLB_FILTER_A_VS, chance(60) ? "fz4" : name);
		}
		if (chance(40))
			put_addr(m, NFLB_FILTER_A_MEMBER4, NFLB_FILTER_A_MEMBER6, true);
		if (chance(30))
			mnl_attr_put_u16(m->nlh, NFLB_FILTER_A_MEMBER_PORT, rnd_port());
		if (chance(40))
			put_addr(m, NFLB_FILTER_A_CLIENT4, NFLB_FILTER_A_CLIENT6, false);
		if (chance(40))
			mnl_attr_put_u8(m->nlh, NFLB_FILTER_A_CLIENT_PREFIXLEN, (uint8_t)rnd(140));
		mnl_attr_nest_end(m->nlh, n);
		break;
	default:	/* GLOBAL_GET, STATS_*, FLUSH, INFO_GET, MEMBER_STATE, ... */
		if (chance(10))
			put_random_attrs(m, 0);
	}
}

/* Offsets of every attribute header in the message (depth first). */
static int attr_offsets(const struct msg *m, size_t start, size_t end, size_t *offs,
			int n, int max, int depth)
{
	size_t pos = start;

	while (pos + sizeof(struct nlattr) <= end && n < max) {
		const struct nlattr *a = (const void *)(m->buf + pos);

		if (a->nla_len < sizeof(*a) || pos + a->nla_len > end)
			break;
		offs[n++] = pos;
		if (depth < 4 && a->nla_len >= 2 * sizeof(*a))
			n = attr_offsets(m, pos + NLA_HDRLEN, pos + a->nla_len, offs, n, max,
					 depth + 1);
		pos += NLA_ALIGN(a->nla_len);
	}
	return n;
}

static void mutate(struct msg *m)
{
	size_t offs[128];
	size_t hdr = NLMSG_HDRLEN + GENL_HDRLEN;
	int n = attr_offsets(m, hdr, m->nlh->nlmsg_len, offs, 0, (int)ARRAY_SIZE(offs), 0);
	struct nlattr *a = n ? (void *)(m->buf + offs[rnd((uint32_t)n)]) : NULL;
	uint32_t len = m->nlh->nlmsg_len;

	switch (rnd(a ? 12 : 3)) {
	case 0:	/* flip bytes anywhere after the netlink header */
		for (int k = (int)rnd(4) + 1; k > 0 && len > NLMSG_HDRLEN; k--)
			m->buf[NLMSG_HDRLEN + rnd(len - NLMSG_HDRLEN)] ^= (char)(1 + rnd(255));
		break;
	case 1:	/* truncate */
		if (len > NLMSG_HDRLEN)
			m->nlh->nlmsg_len = NLMSG_HDRLEN + rnd(len - NLMSG_HDRLEN);
		break;
	case 2:	/* append an unknown or random attribute at the top level */
		if (chance(50))
			mnl_attr_put_u32(m->nlh, (uint16_t)(NFLB_A_MAX + 1 + rnd(100)), rnd_int());
		else
			put_random_attrs(m, 1);
		break;
	case 3: {	/* nla_len */
		static const int16_t d[] = { -4, -1, 1, 2, 4, 8 };
		uint16_t v;

		switch (rnd(4)) {
		case 0: v = (uint16_t)rnd(5); break;
		case 1: v = 0xffff; break;
		case 2: v = (uint16_t)(a->nla_len + d[rnd(ARRAY_SIZE(d))]); break;
		default: v = (uint16_t)rnd64();
		}
		a->nla_len = v;
		break;
	}
	case 4:	/* type */
		a->nla_type = (uint16_t)((a->nla_type & ~NLA_TYPE_MASK) |
					 (chance(50) ? rnd(NFLB_VS_A_MAX + 4) : rnd(0x4000)));
		break;
	case 5:	/* nested flag */
		a->nla_type ^= NLA_F_NESTED;
		break;
	case 6:	/* byte-order flag / both flags */
		a->nla_type ^= chance(50) ? NLA_F_NET_BYTEORDER : (NLA_F_NESTED | NLA_F_NET_BYTEORDER);
		break;
	case 7: {	/* interesting integer into the payload */
		uint32_t v = rnd_int();
		size_t pl = a->nla_len - NLA_HDRLEN;

		if (pl >= 4)
			memcpy((char *)a + NLA_HDRLEN, &v, 4);
		else if (pl >= 1)
			memcpy((char *)a + NLA_HDRLEN, &v, pl);
		break;
	}
	case 8:	/* strip a terminating NUL */
		if (a->nla_len > NLA_HDRLEN)
			((char *)a)[a->nla_len - 1] = 'x';
		break;
	case 9: {	/* duplicate an attribute at the end of the message */
		uint16_t al = a->nla_len;

		if (al >= NLA_HDRLEN && len + NLA_ALIGN(al) < room(m)) {
			memmove(m->buf + len, a, al);
			m->nlh->nlmsg_len = len + NLA_ALIGN(al);
		}
		break;
	}
	case 10:	/* shrink the attribute and the message consistently */
		if (a->nla_len > NLA_HDRLEN) {
			size_t off = (size_t)((char *)a - m->buf);
			uint16_t cut = (uint16_t)(1 + rnd(a->nla_len - NLA_HDRLEN));

			if (off + a->nla_len == len) {
				a->nla_len -= cut;
				m->nlh->nlmsg_len = (uint32_t)(off + NLA_ALIGN(a->nla_len));
			}
		}
		break;
	default:	/* genl header: command or version */
		if (chance(50))
			m->buf[NLMSG_HDRLEN] = (char)rnd(NFLB_CMD_MAX + 3);
		else
			m->buf[NLMSG_HDRLEN + 1] = (char)rnd(4);
	}
	if (m->nlh->nlmsg_len < NLMSG_HDRLEN)
		m->nlh->nlmsg_len = NLMSG_HDRLEN;
	if (m->nlh->nlmsg_len >= NLMSG_HDRLEN + 1)
		m->cmd = (uint8_t)m->buf[NLMSG_HDRLEN];
}

static void gen(struct msg *m)
{
	if (chance(25)) {	/* random */
		uint16_t flags = chance(20) ? NLM_F_DUMP : 0;
		uint8_t cmd = chance(90) ? (uint8_t)rnd(NFLB_CMD_MAX + 2) : (uint8_t)rnd(256);

		if (chance(10))
			flags |= (uint16_t)(rnd(16) << 8);	/* NEW/GET modifiers */
		msg_start(m, cmd, flags);
		if (chance(10))
			m->buf[NLMSG_HDRLEN + 1] = (char)rnd(256);	/* version */
		put_random_attrs(m, 0);
		if (chance(5))	/* shorter than a genl header */
			m->nlh->nlmsg_len = NLMSG_HDRLEN + rnd(GENL_HDRLEN);
		return;
	}
	build_valid(m, (uint8_t)(1 + rnd(NFLB_CMD_MAX)));
	for (int k = (int)(chance(25) ? 0 : 1 + rnd(3)); k > 0; k--)
		mutate(m);
}

/* ---- talking ---- */

static bool attrs_ok(const char *p, size_t len, int depth)
{
	size_t pos = 0;

	while (pos < len) {
		const struct nlattr *a = (const void *)(p + pos);

		if (len - pos < sizeof(*a) || a->nla_len < sizeof(*a) ||
		    a->nla_len > len - pos)
			return false;
		/* nests are flagged by the kernel (nla_nest_start sets the flag) */
		if ((a->nla_type & NLA_F_NESTED) && depth < 8 &&
		    !attrs_ok(p + pos + NLA_HDRLEN, a->nla_len - NLA_HDRLEN, depth + 1))
			return false;
		pos += NLA_ALIGN(a->nla_len);
	}
	return pos == NLA_ALIGN(len) || pos == len;
}

static void hexdump(const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i += 16) {
		printf("#   %04zx:", i);
		for (size_t k = i; k < i + 16 && k < len; k++)
			printf(" %02x", b[k]);
		printf("\n");
	}
}

static void report_msg(const char *why, const struct nlmsghdr *req)
{
	printf("# %s: message seq %u cmd %u len %u flags 0x%x\n", why, req->nlmsg_seq,
	       req->nlmsg_len >= NLMSG_HDRLEN + 1 ? ((const uint8_t *)req)[NLMSG_HDRLEN] : 0,
	       req->nlmsg_len, req->nlmsg_flags);
	hexdump(req, req->nlmsg_len > 512 ? 512 : req->nlmsg_len);
}

/*
 * Send n messages in one buffer and wait for each one's final answer.
 * Returns 0, or -1 on a protocol failure (printed).  errs (may be NULL)
 * receives the errno of each message's ack (0 = success).
 */
static int exchange(struct msg *msgs, int n, int *errs)
{
	static char tx[BATCH_MAX * MSG_MAX] __attribute__((aligned(8)));
	bool done[BATCH_MAX] = { false };
	size_t txlen = 0;
	int left = n;

	for (int i = 0; i < n; i++) {
		memcpy(tx + txlen, msgs[i].nlh, msgs[i].nlh->nlmsg_len);
		txlen += NLMSG_ALIGN(msgs[i].nlh->nlmsg_len);
		st.by_cmd[msgs[i].cmd]++;
		if (errs)
			errs[i] = 0;
	}
	if (mnl_socket_sendto(nl, tx, txlen) < 0) {
		printf("# send failed: %s\n", strerror(errno));
		report_msg("send failed", msgs[0].nlh);
		return -1;
	}
	st.sent += (unsigned long)n;
	if (n > 1)
		st.batches++;
	while (left > 0) {
		ssize_t r = mnl_socket_recvfrom(nl, rxbuf, sizeof(rxbuf));
		const struct nlmsghdr *h = (const void *)rxbuf;
		int rl;

		if (r < 0) {
			if (errno == EINTR)
				continue;
			for (int i = 0; i < n; i++)
				if (!done[i]) {
					printf("# no answer within %d s (%s)\n", o.timeout,
					       strerror(errno));
					report_msg("unanswered", msgs[i].nlh);
					break;
				}
			return -1;
		}
		rl = (int)r;
		for (; mnl_nlmsg_ok(h, rl); h = mnl_nlmsg_next(h, &rl)) {
			int i;

			for (i = 0; i < n; i++)
				if (msgs[i].nlh->nlmsg_seq == h->nlmsg_seq)
					break;
			if (i == n || done[i] || h->nlmsg_pid != portid) {
				st.stray++;
				continue;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);

				if (h->nlmsg_len < NLMSG_HDRLEN + sizeof(*e)) {
					report_msg("truncated error message for", msgs[i].nlh);
					return -1;
				}
				if (e->error > 0 || e->error < -4095) {
					printf("# bogus error value %d\n", e->error);
					report_msg("bogus error for", msgs[i].nlh);
					return -1;
				}
				if (e->error) {
					st.errors++;
					st.err_by_errno[-e->error < 255 ? -e->error : 255]++;
				} else {
					st.acked++;
				}
				if (errs)
					errs[i] = -e->error;
				done[i] = true;
				st.answered++;
				left--;
			} else if (h->nlmsg_type == NLMSG_DONE) {
				int err = 0;

				if (h->nlmsg_len >= NLMSG_HDRLEN + sizeof(int))
					memcpy(&err, mnl_nlmsg_get_payload(h), sizeof(err));
				st.dumps_done++;
				if (err) {
					st.errors++;
					st.err_by_errno[-err > 0 && -err < 255 ? -err : 255]++;
				}
				if (errs)
					errs[i] = -err;
				done[i] = true;
				st.answered++;
				left--;
			} else if (h->nlmsg_type == family_id) {
				if (h->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN ||
				    !attrs_ok((const char *)h + NLMSG_HDRLEN + GENL_HDRLEN,
					      h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN, 0)) {
					printf("# malformed reply (type %u len %u)\n",
					       h->nlmsg_type, h->nlmsg_len);
					hexdump(h, h->nlmsg_len > 256 ? 256 : h->nlmsg_len);
					report_msg("malformed reply to", msgs[i].nlh);
					return -1;
				}
				st.replies++;
			} else if (h->nlmsg_type != NLMSG_NOOP) {
				printf("# unexpected reply type %u\n", h->nlmsg_type);
				report_msg("unexpected reply to", msgs[i].nlh);
				return -1;
			}
		}
	}
	return 0;
}

/* Drain the events socket; events must be well-formed too. */
static int drain_events(void)
{
	for (;;) {
		ssize_t r = recv(mnl_socket_get_fd(ev), rxbuf, sizeof(rxbuf), MSG_DONTWAIT);
		const struct nlmsghdr *h = (const void *)rxbuf;
		int rl;

		if (r < 0) {
			if (errno == ENOBUFS) {
				st.event_overruns++;
				continue;
			}
			return 0;
		}
		rl = (int)r;
		for (; mnl_nlmsg_ok(h, rl); h = mnl_nlmsg_next(h, &rl)) {
			if (h->nlmsg_type != family_id)
				continue;
			if (h->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN ||
			    !attrs_ok((const char *)h + NLMSG_HDRLEN + GENL_HDRLEN,
				      h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN, 0)) {
				printf("# malformed event (len %u)\n", h->nlmsg_len);
				hexdump(h, h->nlmsg_len > 256 ? 256 : h->nlmsg_len);
				return -1;
			}
			st.events++;
		}
	}
}

/* One well-formed request that must succeed. */
static int must(struct msg *m, const char *what)
{
	int err;

	if (exchange(m, 1, &err))
		return -1;
	if (err) {
		printf("# baseline: %s failed: %s\n", what, strerror(err));
		return -1;
	}
	return 0;
}

static int vs_add(const char *name, const char *vip, uint8_t proto)
{
	struct msg m;
	struct nlattr *n;

	msg_start(&m, NFLB_CMD_VS_NEW, 0);
	n = mnl_attr_nest_start(m.nlh, NFLB_A_VS);
	mnl_attr_put_strz(m.nlh, NFLB_VS_A_NAME, name);
	genl_put_addr(m.nlh, NFLB_VS_A_ADDR4, NFLB_VS_A_ADDR6, vip);
	mnl_attr_put_u16(m.nlh, NFLB_VS_A_PORT, o.port);
	mnl_attr_put_u8(m.nlh, NFLB_VS_A_PROTO, proto);
	mnl_attr_put_strz(m.nlh, NFLB_VS_A_POOL, "fzp");
	mnl_attr_nest_end(m.nlh, n);
	return must(&m, name);
}

static int baseline(void)
{
	struct msg m;
	struct nlattr *n;

	msg_start(&m, NFLB_CMD_FLUSH, 0);
	if (must(&m, "flush"))
		return -1;
	for (int k = 0; k < 2; k++) {
		msg_start(&m, NFLB_CMD_POOL_NEW, 0);
		n = mnl_attr_nest_start(m.nlh, NFLB_A_POOL);
		mnl_attr_put_strz(m.nlh, NFLB_POOL_A_NAME, k ? "fzq" : "fzp");
		mnl_attr_nest_end(m.nlh, n);
		if (must(&m, "pool add"))
			return -1;
	}
	for (int i = 0; i < o.nmembers; i++) {
		msg_start(&m, NFLB_CMD_MEMBER_NEW, 0);
		n = mnl_attr_nest_start(m.nlh, NFLB_A_MEMBER);
		mnl_attr_put_strz(m.nlh, NFLB_MEMBER_A_POOL, "fzp");
		genl_put_addr(m.nlh, NFLB_MEMBER_A_ADDR4, NFLB_MEMBER_A_ADDR6, o.members[i]);
		mnl_attr_put_u16(m.nlh, NFLB_MEMBER_A_PORT, o.port);
		mnl_attr_nest_end(m.nlh, n);
		if (must(&m, o.members[i]))
			return -1;
	}
	if (vs_add("fz4", o.vip4, IPPROTO_UDP) || vs_add("fz6", o.vip6, IPPROTO_UDP) ||
	    vs_add("fzt4", o.vip4, IPPROTO_TCP))
		return -1;
	return 0;
}

/* ---- traffic thread ---- */

static void *traffic(void *arg)
{
	int fd = open((const char *)arg, O_RDONLY | O_CLOEXEC);
	struct sockaddr_in6 d6 = { .sin6_family = AF_INET6, .sin6_port = htons(o.port) };
	struct sockaddr_in d4 = { .sin_family = AF_INET, .sin_port = htons(o.port) };
	struct timespec ts = { 0, 2 * 1000 * 1000 };
	unsigned int k = 0;

	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		printf("# traffic: cannot enter %s: %s\n", (const char *)arg, strerror(errno));
		return NULL;
	}
	close(fd);
	inet_pton(AF_INET, o.vip4, &d4.sin_addr);
	inet_pton(AF_INET6, o.vip6, &d6.sin6_addr);
	while (!stop_traffic) {
		int s, v6 = k % 3 == 1, tcp = k % 3 == 2;

		s = socket(v6 ? AF_INET6 : AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK, 0);
		if (s >= 0) {
			if (tcp)
				connect(s, (void *)&d4, sizeof(d4));	/* a SYN */
			else if (v6)
				sendto(s, "fuzz", 4, 0, (void *)&d6, sizeof(d6));
			else
				sendto(s, "fuzz", 4, 0, (void *)&d4, sizeof(d4));
			close(s);
			__atomic_add_fetch(&traffic_sent, 1, __ATOMIC_RELAXED);
		}
		k++;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/* ---- main ---- */

static void usage(void)
{
	fprintf(stderr,
		"usage: fuzz_netlink [-n COUNT] [-s SEED] [-t SECS] [-4 VIP4] [-6 VIP6] [-p PORT]\n"
		"                    [-m MEMBER]... [-T NETNS-PATH] [-v]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct timeval tv;
	pthread_t thr;
	bool thr_on = false;
	int c, one = 1, rcv = 8 << 20, ret = 0;
	unsigned long i, next_base = 0, next_report;
	time_t t0 = time(NULL);

	setvbuf(stdout, NULL, _IOLBF, 0);
	o.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	while ((c = getopt(argc, argv, "n:s:t:4:6:p:m:T:v")) != -1) {
		switch (c) {
		case 'n': o.count = strtoul(optarg, NULL, 0); break;
		case 's': o.seed = strtoull(optarg, NULL, 0); break;
		case 't': o.timeout = atoi(optarg); break;
		case '4': o.vip4 = optarg; break;
		case '6': o.vip6 = optarg; break;
		case 'p': o.port = (uint16_t)atoi(optarg); break;
		case 'm':
			if (o.nmembers == MAX_MEMBERS)
				usage();
			o.members[o.nmembers++] = optarg;
			break;
		case 'T': o.traffic_ns = optarg; break;
		case 'v': o.verbose = true; break;
		default: usage();
		}
	}
	if (optind != argc || o.timeout <= 0)
		usage();
	prng_seed(o.seed);
	printf("# fuzz_netlink: %lu messages, seed %" PRIu64 "\n", o.count, o.seed);

	nl = mnl_socket_open(NETLINK_GENERIC);
	ev = mnl_socket_open(NETLINK_GENERIC);
	if (!nl || !ev || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_bind(ev, 0, MNL_SOCKET_AUTOPID) < 0) {
		printf("# netlink socket: %s\n", strerror(errno));
		return 1;
	}
	portid = mnl_socket_get_portid(nl);
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)))
		setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	tv.tv_sec = o.timeout;
	tv.tv_usec = 0;
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (genl_resolve(nl, seq++, NFLB_GENL_NAME, &family_id, NFLB_MCGRP_EVENTS, &mcgrp_id)) {
		printf("# generic netlink family \"%s\" not found (module not loaded?)\n",
		       NFLB_GENL_NAME);
		return 1;
	}
	if (mcgrp_id)
		mnl_socket_setsockopt(ev, NETLINK_ADD_MEMBERSHIP, &mcgrp_id, sizeof(mcgrp_id));

	if (o.traffic_ns) {
		if (pthread_create(&thr, NULL, traffic, (void *)o.traffic_ns) == 0)
			thr_on = true;
	}

	next_report = o.count / 10;
	for (i = 0; i < o.count;) {
		struct msg msgs[BATCH_MAX];
		int n = chance(3) ? 2 + (int)rnd(BATCH_MAX - 1) : 1;

		if (i >= next_base) {
			if (baseline()) {
				ret = 1;
				break;
			}
			next_base = i + 256;
			/* CAP_ACK on and off: acks with and without the request */
			one = (int)rnd(2);
			mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
		}
		if ((unsigned long)n > o.count - i)
			n = (int)(o.count - i);
		for (int k = 0; k < n; k++) {
			gen(&msgs[k]);
			/* the kernel only answers messages it can frame */
			if (msgs[k].nlh->nlmsg_len < NLMSG_HDRLEN)
				msgs[k].nlh->nlmsg_len = NLMSG_HDRLEN;
		}
		if (o.verbose)
			report_msg("sending", msgs[0].nlh);
		if (exchange(msgs, n, NULL) || drain_events()) {
			ret = 1;
			break;
		}
		i += (unsigned long)n;
		if (i >= next_report) {
			printf("# %lu/%lu messages, %lds\n", i, o.count, (long)(time(NULL) - t0));
			next_report += o.count / 10 ? o.count / 10 : 1;
		}
	}
	stop_traffic = true;
	if (thr_on)
		pthread_join(thr, NULL);

	/* The family must still work: info, a dump, and a clean flush. */
	if (!ret) {
		struct msg m;

		msg_start(&m, NFLB_CMD_INFO_GET, 0);
		if (must(&m, "info after fuzzing"))
			ret = 1;
		msg_start(&m, NFLB_CMD_VS_GET, NLM_F_DUMP);
		if (!ret && must(&m, "vs dump after fuzzing"))
			ret = 1;
		msg_start(&m, NFLB_CMD_FLUSH, 0);
		if (!ret && must(&m, "flush after fuzzing"))
			ret = 1;
	}

	printf("# sent %lu (%lu multi-message sends), answered %lu: acked %lu, errors %lu, replies %lu, dumps %lu, stray %lu, events %lu (%lu overruns), traffic %lu, %lds\n",
	       st.sent, st.batches, st.answered, st.acked, st.errors, st.replies,
	       st.dumps_done, st.stray, st.events, st.event_overruns, traffic_sent,
	       (long)(time(NULL) - t0));
	printf("# errors by errno:");
	for (int e = 1; e < 256; e++)
		if (st.err_by_errno[e])
			printf(" %s=%lu", e == 255 ? "other" : strerrorname_np(e), st.err_by_errno[e]);
	printf("\n");
	if (o.verbose) {
		printf("# messages by command:");
		for (int k = 0; k < 256; k++)
			if (st.by_cmd[k])
				printf(" %d=%lu", k, st.by_cmd[k]);
		printf("\n");
	}
	if (!ret && st.answered != st.sent) {
		printf("# answers missing: %lu sent, %lu answered\n", st.sent, st.answered);
		ret = 1;
	}
	printf("%s\n", ret ? "FAIL" : "PASS");
	mnl_socket_close(ev);
	mnl_socket_close(nl);
	return ret;
}
