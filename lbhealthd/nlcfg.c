// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel side: the checks and members read with POOL_GET and
 * MEMBER_GET dumps, configuration events followed on the "events" group,
 * and health changes sent with MEMBER_SET.  Two sockets: requests wait
 * for their answer on one; events arrive on the other, non-blocking, in
 * the epoll set, so a slow answer never delays reading them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <linux/genetlink.h>
#include <libmnl/libmnl.h>

#include "lbhealthd.h"

#define RXBUF_SIZE	(64 * 1024)	/* the kernel's dump skbs are at most 32 KiB */
#define DUMP_TRIES	5		/* re-reads of a dump the kernel flags interrupted */

static struct mnl_socket *req_sk, *ev_sk;
static uint16_t family_id;
static uint32_t events_grp, seq;
static char rxbuf[RXBUF_SIZE] __attribute__((aligned(8)));

/* A pool's check, while a dump is read; sorted by name for bsearch. */
struct pool_check {
	char name[HD_NAME_MAX];
	struct check chk;
};
static struct pool_check *pools;
static size_t npools, pools_cap;
static uint32_t gen;

static bool has_net_admin(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return false;
	return d[CAP_TO_INDEX(CAP_NET_ADMIN)].effective & CAP_TO_MASK(CAP_NET_ADMIN);
}

/* ---- requests ---- */

static struct nlmsghdr *req_start(char *buf, uint16_t type, uint8_t cmd, uint8_t version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++seq;
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

/* The extended ack's message, if the kernel gave one. */
static const char *ext_msg(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e);
	const struct nlattr *a;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	mnl_attr_for_each(a, nlh, off)
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			return mnl_attr_get_str(a);
	return NULL;
}

/*
 * Sends nlh and reads the answer: each message to cb, until the ack or
 * the dump's end.  Returns 0, a negative errno from the kernel (*msg its
 * extended ack message), or -EINTR... for a dump that was interrupted.
 */
static int talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *data, const char **msg,
		bool *intr)
{
	uint32_t portid = mnl_socket_get_portid(req_sk);
	ssize_t n;

	*msg = NULL;
	if (mnl_socket_sendto(req_sk, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		const struct nlmsghdr *m = (const void *)rxbuf;
		int left;

		n = mnl_socket_recvfrom(req_sk, rxbuf, sizeof(rxbuf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		left = (int)n;
		for (; mnl_nlmsg_ok(m, left); m = mnl_nlmsg_next(m, &left)) {
			if (m->nlmsg_seq != nlh->nlmsg_seq || m->nlmsg_pid != portid)
				continue;
			if (m->nlmsg_flags & NLM_F_DUMP_INTR && intr)
				*intr = true;
			if (m->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(m);

				if (m->nlmsg_len < NLMSG_HDRLEN + sizeof(*e))
					return -EBADMSG;
				if (e->error)
					*msg = ext_msg(m);
				return e->error;
			}
			if (m->nlmsg_type == NLMSG_DONE) {
				int err = 0;

				if (m->nlmsg_len >= NLMSG_HDRLEN + sizeof(int))
					memcpy(&err, mnl_nlmsg_get_payload(m), sizeof(err));
				return err;
			}
			if (cb && m->nlmsg_type == nlh->nlmsg_type)
				cb(m, data);
		}
	}
}

/* ---- family ---- */

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a, *g, *f;

	(void)data;
	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
		    mnl_attr_get_payload_len(a) >= 2)
			family_id = mnl_attr_get_u16(a);
		if (mnl_attr_get_type(a) != CTRL_ATTR_MCAST_GROUPS)
			continue;
		mnl_attr_for_each_nested(g, a) {
			bool ours = false;
			uint32_t id = 0;

			mnl_attr_for_each_nested(f, g) {
				if (mnl_attr_get_type(f) == CTRL_ATTR_MCAST_GRP_NAME &&
				    mnl_attr_validate(f, MNL_TYPE_NUL_STRING) == 0)
					ours = !strcmp(mnl_attr_get_str(f), NFLB_MCGRP_EVENTS);
				else if (mnl_attr_get_type(f) == CTRL_ATTR_MCAST_GRP_ID &&
					 mnl_attr_get_payload_len(f) >= 4)
					id = mnl_attr_get_u32(f);
			}
			if (ours)
				events_grp = id;
		}
	}
	return MNL_CB_OK;
}

static struct mnl_socket *open_sock(void)
{
	struct mnl_socket *sk = mnl_socket_open(NETLINK_GENERIC);
	int one = 1;

	if (!sk)
		return NULL;
	if (mnl_socket_bind(sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		mnl_socket_close(sk);
		return NULL;
	}
	mnl_socket_setsockopt(sk, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(sk, NETLINK_CAP_ACK, &one, sizeof(one));
	return sk;
}

int nlcfg_open(void)
{
	char buf[256] __attribute__((aligned(8)));
	struct nlmsghdr *nlh;
	const char *msg;
	int rcv = 8 << 20, err;

	if (!has_net_admin()) {
		hd_log("needs CAP_NET_ADMIN to set members' health (run as root)");
		return -1;
	}
	req_sk = open_sock();
	ev_sk = open_sock();
	if (!req_sk || !ev_sk) {
		hd_log("cannot open a generic netlink socket: %s", strerror(errno));
		return -1;
	}
	nlh = req_start(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, NFLB_GENL_NAME);
	err = talk(nlh, family_cb, NULL, &msg, NULL);
	if (err == -ENOENT) {
		hd_log("generic netlink family \"%s\" not found: is the nflb module loaded? (modprobe nflb)",
		       NFLB_GENL_NAME);
		return -1;
	}
	if (err || !family_id || !events_grp) {
		hd_log("cannot resolve the \"%s\" family: %s", NFLB_GENL_NAME,
		       err ? strerror(-err) : "no id or no events group");
		return -1;
	}
	/* events come in bursts (a batch); a big buffer makes losing them rare,
	 * and a loss is survived by reading everything again */
	if (setsockopt(mnl_socket_get_fd(ev_sk), SOL_SOCKET, SO_RCVBUFFORCE,
		       &rcv, sizeof(rcv)) < 0)
		setsockopt(mnl_socket_get_fd(ev_sk), SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	if (mnl_socket_setsockopt(ev_sk, NETLINK_ADD_MEMBERSHIP, &events_grp,
				  sizeof(events_grp)) < 0) {
		hd_log("cannot join the \"%s\" group: %s", NFLB_MCGRP_EVENTS, strerror(errno));
		return -1;
	}
	return 0;
}

int nlcfg_event_fd(void)
{
	return mnl_socket_get_fd(ev_sk);
}

void nlcfg_close(void)
{
	if (req_sk)
		mnl_socket_close(req_sk);
	if (ev_sk)
		mnl_socket_close(ev_sk);
	free(pools);
}

/* ---- events ---- */

/* Whether an event changes what is checked (our own health sets do not). */
static bool event_matters(uint8_t cmd)
{
	switch (cmd) {
	case NFLB_CMD_POOL_NEW:
	case NFLB_CMD_POOL_SET:
	case NFLB_CMD_POOL_DEL:
	case NFLB_CMD_MEMBER_NEW:
	case NFLB_CMD_MEMBER_SET:
	case NFLB_CMD_MEMBER_DEL:
	case NFLB_CMD_FLUSH:
		return true;
	default:
		return false;
	}
}

/* 0 nothing to do, 1 configuration changed, 2 events were lost. */
int nlcfg_events(void)
{
	int ret = 0;

	for (;;) {
		const struct nlmsghdr *m = (const void *)rxbuf;
		ssize_t n = recv(mnl_socket_get_fd(ev_sk), rxbuf, sizeof(rxbuf), MSG_DONTWAIT);
		int left;

		if (n < 0) {
			if (errno == ENOBUFS) {
				hd_log("events lost (receive buffer overrun): reading everything again");
				ret = 2;
				continue;
			}
			if (errno != EAGAIN && errno != EINTR)
				hd_log("events: %s", strerror(errno));
			return ret;
		}
		left = (int)n;
		for (; mnl_nlmsg_ok(m, left); m = mnl_nlmsg_next(m, &left)) {
			const struct genlmsghdr *g = mnl_nlmsg_get_payload(m);

			if (m->nlmsg_type == family_id &&
			    m->nlmsg_len >= NLMSG_HDRLEN + GENL_HDRLEN &&
			    event_matters(g->cmd) && !ret)
				ret = 1;
		}
	}
}

/* ---- reading the configuration ---- */

static const struct nlattr **parse_nest(const struct nlattr *nest,
					const struct nlattr **tb, int max)
{
	const struct nlattr *a;

	memset(tb, 0, sizeof(*tb) * (size_t)(max + 1));
	if (!nest)
		return tb;
	mnl_attr_for_each_nested(a, nest)
		if (mnl_attr_get_type(a) > 0 && mnl_attr_get_type(a) <= max)
			tb[mnl_attr_get_type(a)] = a;
	return tb;
}

static const struct nlattr *top_attr(const struct nlmsghdr *nlh, int type)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN)
		if (mnl_attr_get_type(a) == type)
			return a;
	return NULL;
}

static uint32_t get_uint(const struct nlattr *a, uint32_t dflt)
{
	if (!a)
		return dflt;
	switch (mnl_attr_get_payload_len(a)) {
	case 1:
		return mnl_attr_get_u8(a);
	case 2:
		return mnl_attr_get_u16(a);
	case 4:
		return mnl_attr_get_u32(a);
	default:
		return dflt;
	}
}

static void get_str(char *dst, const struct nlattr *a)
{
	if (a && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		snprintf(dst, HD_STR_MAX, "%s", mnl_attr_get_str(a));
}

static void parse_check(const struct nlattr *nest, struct check *c)
{
	const struct nlattr *tb[NFLB_CHECK_A_MAX + 1];

	parse_nest(nest, tb, NFLB_CHECK_A_MAX);
	check_defaults(c, (uint8_t)get_uint(tb[NFLB_CHECK_A_TYPE], NFLB_CHECK_NONE));
	c->port = (uint16_t)get_uint(tb[NFLB_CHECK_A_PORT], 0);
	c->status_min = (uint16_t)get_uint(tb[NFLB_CHECK_A_STATUS_MIN], c->status_min);
	c->status_max = (uint16_t)get_uint(tb[NFLB_CHECK_A_STATUS_MAX], c->status_max);
	c->interval_ms = get_uint(tb[NFLB_CHECK_A_INTERVAL], c->interval_ms);
	c->timeout_ms = get_uint(tb[NFLB_CHECK_A_TIMEOUT],
				 check_default_timeout(c->interval_ms));
	c->rise = (uint8_t)get_uint(tb[NFLB_CHECK_A_RISE], c->rise);
	c->fall = (uint8_t)get_uint(tb[NFLB_CHECK_A_FALL], c->fall);
	c->tls_verify = get_uint(tb[NFLB_CHECK_A_TLS_VERIFY], 0) != 0;
	get_str(c->path, tb[NFLB_CHECK_A_PATH]);
	get_str(c->host, tb[NFLB_CHECK_A_HOST]);
	get_str(c->expect_body, tb[NFLB_CHECK_A_EXPECT_BODY]);
	get_str(c->send, tb[NFLB_CHECK_A_SEND]);
	get_str(c->expect, tb[NFLB_CHECK_A_EXPECT]);
	get_str(c->query, tb[NFLB_CHECK_A_QUERY]);
}

static int pool_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFLB_POOL_A_MAX + 1];
	struct pool_check pc;
	char err[128];

	(void)data;
	parse_nest(top_attr(nlh, NFLB_A_POOL), tb, NFLB_POOL_A_MAX);
	if (!tb[NFLB_POOL_A_NAME] || !tb[NFLB_POOL_A_CHECK] ||
	    mnl_attr_validate(tb[NFLB_POOL_A_NAME], MNL_TYPE_NUL_STRING) < 0)
		return MNL_CB_OK;
	memset(&pc, 0, sizeof(pc));
	snprintf(pc.name, sizeof(pc.name), "%s", mnl_attr_get_str(tb[NFLB_POOL_A_NAME]));
	parse_check(tb[NFLB_POOL_A_CHECK], &pc.chk);
	if (pc.chk.type == NFLB_CHECK_NONE)
		return MNL_CB_OK;
	if (check_validate(&pc.chk, err, sizeof(err))) {
		hd_log("pool %s: check not run: %s", pc.name, err);
		return MNL_CB_OK;
	}
	if (npools == pools_cap) {
		size_t nc = pools_cap ? pools_cap * 2 : 16;
		struct pool_check *np = realloc(pools, nc * sizeof(*np));

		if (!np)
			return MNL_CB_ERROR;
		pools = np;
		pools_cap = nc;
	}
	pools[npools++] = pc;
	return MNL_CB_OK;
}

static int pool_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pool_check *)a)->name, ((const struct pool_check *)b)->name);
}

static const struct check *pool_find(const char *name)
{
	struct pool_check key, *pc;

	snprintf(key.name, sizeof(key.name), "%s", name);
	pc = bsearch(&key, pools, npools, sizeof(*pools), pool_cmp);
	return pc ? &pc->chk : NULL;
}

/* An address attribute pair into ss (port 0); false if neither is valid. */
static bool get_addr(const struct nlattr *a4, const struct nlattr *a6,
		     struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a4 && mnl_attr_get_payload_len(a4) == 4) {
		ss->ss_family = AF_INET;
		memcpy(&((struct sockaddr_in *)ss)->sin_addr, mnl_attr_get_payload(a4), 4);
		return true;
	}
	if (a6 && mnl_attr_get_payload_len(a6) == 16) {
		ss->ss_family = AF_INET6;
		memcpy(&((struct sockaddr_in6 *)ss)->sin6_addr, mnl_attr_get_payload(a6), 16);
		return true;
	}
	return false;
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons(port);
}

/* A member without a check whose health we set down gets it back. */
static void release_member(const char *pool, const struct sockaddr_storage *m)
{
	struct target tmp;

	memset(&tmp, 0, sizeof(tmp));
	snprintf(tmp.pool, sizeof(tmp.pool), "%s", pool);
	tmp.member = *m;
	if (nlcfg_report(&tmp, HD_UP, "check removed") == 0) {
		char a[INET6_ADDRSTRLEN + 10];

		hd_log("pool %s member %s: no check any more: health up",
		       pool, addr_str(m, a, sizeof(a)));
	}
}

static int member_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFLB_MEMBER_A_MAX + 1];
	struct sockaddr_storage m, dst;
	const struct check *c;
	struct target *t;
	uint16_t port, cport;
	char pool[HD_NAME_MAX];
	uint32_t health;

	(void)data;
	parse_nest(top_attr(nlh, NFLB_A_MEMBER), tb, NFLB_MEMBER_A_MAX);
	if (!tb[NFLB_MEMBER_A_POOL] ||
	    mnl_attr_validate(tb[NFLB_MEMBER_A_POOL], MNL_TYPE_NUL_STRING) < 0 ||
	    !get_addr(tb[NFLB_MEMBER_A_ADDR4], tb[NFLB_MEMBER_A_ADDR6], &m))
		return MNL_CB_OK;
	snprintf(pool, sizeof(pool), "%s", mnl_attr_get_str(tb[NFLB_MEMBER_A_POOL]));
	port = (uint16_t)get_uint(tb[NFLB_MEMBER_A_PORT], 0);
	set_port(&m, port);
	health = get_uint(tb[NFLB_MEMBER_A_HEALTH], NFLB_HEALTH_UP);
	c = pool_find(pool);
	if (!c) {
		if (health == NFLB_HEALTH_DOWN)
			release_member(pool, &m);
		return MNL_CB_OK;
	}
	/* probed: the member's check address if set, on the member's check
	 * port, else the pool's, else the member's own port */
	if (!get_addr(tb[NFLB_MEMBER_A_CHECK_ADDR4], tb[NFLB_MEMBER_A_CHECK_ADDR6], &dst))
		dst = m;
	cport = (uint16_t)get_uint(tb[NFLB_MEMBER_A_CHECK_PORT], 0);
	set_port(&dst, cport ? cport : c->port ? c->port : port);
	t = target_find(pool, &m);
	if (!t) {
		t = target_add(pool, &m);
		if (!t)
			return MNL_CB_ERROR;
		/* a restarted daemon goes on from what the kernel has */
		t->health = health == NFLB_HEALTH_DOWN ? HD_DOWN : HD_UP;
	}
	t->gen = gen;
	target_set_check(t, c, &dst);
	return MNL_CB_OK;
}

static int dump(uint8_t cmd, mnl_cb_t cb, bool *intr)
{
	char buf[256] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = req_start(buf, family_id, cmd, NFLB_GENL_VERSION);
	const char *msg;
	int err;

	nlh->nlmsg_flags |= NLM_F_DUMP;
	err = talk(nlh, cb, NULL, &msg, intr);
	if (err)
		hd_log("dump failed: %s", msg ? msg : strerror(-err));
	return err;
}

/*
 * Reads every pool and member and brings the targets in line: new
 * members are scheduled, changed checks restart, gone members are
 * dropped.  A dump the kernel marks interrupted (the configuration
 * changed under it) is read again.
 */
int nlcfg_dump(void)
{
	int tries;

	for (tries = 0; tries < DUMP_TRIES; tries++) {
		bool intr = false;

		npools = 0;
		gen++;
		if (dump(NFLB_CMD_POOL_GET, pool_cb, &intr))
			return -1;
		qsort(pools, npools, sizeof(*pools), pool_cmp);
		if (dump(NFLB_CMD_MEMBER_GET, member_cb, &intr))
			return -1;
		if (!intr) {
			target_sweep(gen);
			return 0;
		}
	}
	hd_log("the configuration kept changing during %d reads; using the last", DUMP_TRIES);
	target_sweep(gen);
	return 0;
}

/* ---- reporting ---- */

int nlcfg_report(const struct target *t, enum hd_health h, const char *reason)
{
	char buf[512] __attribute__((aligned(8))), a[INET6_ADDRSTRLEN + 10];
	struct nlmsghdr *nlh = req_start(buf, family_id, NFLB_CMD_MEMBER_SET, NFLB_GENL_VERSION);
	struct nlattr *nest = mnl_attr_nest_start(nlh, NFLB_A_MEMBER);
	const char *msg;
	int err;

	mnl_attr_put_strz(nlh, NFLB_MEMBER_A_POOL, t->pool);
	if (t->member.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)&t->member;

		mnl_attr_put(nlh, NFLB_MEMBER_A_ADDR6, 16, &s6->sin6_addr);
		mnl_attr_put_u16(nlh, NFLB_MEMBER_A_PORT, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const void *)&t->member;

		mnl_attr_put(nlh, NFLB_MEMBER_A_ADDR4, 4, &s4->sin_addr);
		mnl_attr_put_u16(nlh, NFLB_MEMBER_A_PORT, ntohs(s4->sin_port));
	}
	mnl_attr_put_u8(nlh, NFLB_MEMBER_A_HEALTH,
			h == HD_DOWN ? NFLB_HEALTH_DOWN : NFLB_HEALTH_UP);
	mnl_attr_put_strz(nlh, NFLB_MEMBER_A_HEALTH_REASON, reason);
	mnl_attr_nest_end(nlh, nest);
	err = talk(nlh, NULL, NULL, &msg, NULL);
	if (err)
		hd_log("pool %s member %s: setting health failed: %s", t->pool,
		       addr_str(&t->member, a, sizeof(a)), msg ? msg : strerror(-err));
	return err ? -1 : 0;
}
