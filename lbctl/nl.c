// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink plumbing: one socket per process, the family resolved once,
 * requests with acknowledgements and extended-ack error messages, dumps
 * processed message by message (never buffered whole), and the member adds
 * of a batch sent many per request.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "lbctl.h"

#define RXBUF_SIZE	(64 * 1024)	/* kernel caps dump skbs at 32 KiB */
#define REQBUF_SIZE	(16 * 1024)

static struct mnl_socket *nl;
static uint32_t portid;
static uint16_t family_id;
static uint32_t family_maxattr;
static uint32_t seq_next;

struct mcgrp { char name[GENL_NAMSIZ]; uint32_t id; };
static struct mcgrp mcgrps[8];
static int n_mcgrps;

static char reqbuf[REQBUF_SIZE] __attribute__((aligned(8)));
static char rxbuf[RXBUF_SIZE] __attribute__((aligned(8)));

/* ------------------------------------------------------------------ */
/* Attribute names, for errors where the kernel gave an offset only.   */

static const char *const top_names[] = {
	[NFLB_A_VS] = "vs", [NFLB_A_POOL] = "pool", [NFLB_A_MEMBER] = "member",
	[NFLB_A_GLOBAL] = "global", [NFLB_A_SESSION] = "session",
	[NFLB_A_FILTER] = "filter", [NFLB_A_STATS] = "stats", [NFLB_A_INFO] = "info",
	[NFLB_A_SYNC] = "sync",
};
static const char *const sync_names[] = {
	[NFLB_SYNC_A_NODE_ID] = "node-id", [NFLB_SYNC_A_LOCAL4] = "local4",
	[NFLB_SYNC_A_LOCAL6] = "local6", [NFLB_SYNC_A_PORT] = "port",
	[NFLB_SYNC_A_PEER] = "peer", [NFLB_SYNC_A_KEY] = "key",
	[NFLB_SYNC_A_WITH_KEY] = "with-key",
};
static const char *const sync_peer_names[] = {
	[NFLB_SYNC_PEER_A_ADDR4] = "addr4", [NFLB_SYNC_PEER_A_ADDR6] = "addr6",
};
static const char *const vs_names[] = {
	[NFLB_VS_A_NAME] = "name", [NFLB_VS_A_ADDR4] = "addr4",
	[NFLB_VS_A_ADDR6] = "addr6", [NFLB_VS_A_PORT] = "port",
	[NFLB_VS_A_PROTO] = "proto", [NFLB_VS_A_POOL] = "pool",
	[NFLB_VS_A_SCHED] = "sched", [NFLB_VS_A_FLAGS] = "flags",
	[NFLB_VS_A_MAX_SESSIONS] = "max-sessions",
	[NFLB_VS_A_TIMEOUTS] = "timeouts", [NFLB_VS_A_ACTIVE] = "active",
	[NFLB_VS_A_STATS] = "stats", [NFLB_VS_A_MH_SIZE] = "mh-size",
	[NFLB_VS_A_PERSIST_TIMEOUT] = "persist-timeout",
	[NFLB_VS_A_PERSIST_MASK4] = "persist-mask4",
	[NFLB_VS_A_PERSIST_MASK6] = "persist-mask6", [NFLB_VS_A_PAD] = "pad",
};
static const char *const pool_names[] = {
	[NFLB_POOL_A_NAME] = "name", [NFLB_POOL_A_MEMBERS] = "members",
	[NFLB_POOL_A_USERS] = "users", [NFLB_POOL_A_FLAGS] = "flags",
	[NFLB_POOL_A_MIN_ACTIVE] = "min-active",
};
static const char *const member_names[] = {
	[NFLB_MEMBER_A_POOL] = "pool", [NFLB_MEMBER_A_ADDR4] = "addr4",
	[NFLB_MEMBER_A_ADDR6] = "addr6", [NFLB_MEMBER_A_PORT] = "port",
	[NFLB_MEMBER_A_WEIGHT] = "weight", [NFLB_MEMBER_A_STATE] = "state",
	[NFLB_MEMBER_A_MAX_CONNS] = "max-conns", [NFLB_MEMBER_A_ACTIVE] = "active",
	[NFLB_MEMBER_A_STATS] = "stats", [NFLB_MEMBER_A_PRIORITY] = "priority",
};
static const char *const global_names[] = {
	[NFLB_GLOBAL_A_TIMEOUTS] = "timeouts",
	[NFLB_GLOBAL_A_MAX_SESSIONS] = "max-sessions",
};
static const char *const filter_names[] = {
	[NFLB_FILTER_A_VS] = "vs", [NFLB_FILTER_A_MEMBER4] = "member4",
	[NFLB_FILTER_A_MEMBER6] = "member6",
	[NFLB_FILTER_A_MEMBER_PORT] = "member-port",
	[NFLB_FILTER_A_CLIENT4] = "client4", [NFLB_FILTER_A_CLIENT6] = "client6",
	[NFLB_FILTER_A_CLIENT_PREFIXLEN] = "client-prefixlen",
};

static const char *const timeout_attr_names[] = {
	[NFLB_TIMEOUT_A_TCP_SYN_SENT] = "tcp-syn-sent",
	[NFLB_TIMEOUT_A_TCP_SYN_RECV] = "tcp-syn-recv",
	[NFLB_TIMEOUT_A_TCP_ESTABLISHED] = "tcp-established",
	[NFLB_TIMEOUT_A_TCP_FIN_WAIT] = "tcp-fin-wait",
	[NFLB_TIMEOUT_A_TCP_CLOSE_WAIT] = "tcp-close-wait",
	[NFLB_TIMEOUT_A_TCP_LAST_ACK] = "tcp-last-ack",
	[NFLB_TIMEOUT_A_TCP_TIME_WAIT] = "tcp-time-wait",
	[NFLB_TIMEOUT_A_TCP_CLOSE] = "tcp-close",
	[NFLB_TIMEOUT_A_UDP] = "udp",
};

struct nameset { const char *const *names; int n; };
#define NS(a) { a, (int)ARRAY_SIZE(a) }

static struct nameset nest_names(const struct nameset *parent, int type)
{
	struct nameset none = { NULL, 0 };

	if (parent->names == top_names) {
		switch (type) {
		case NFLB_A_VS: return (struct nameset)NS(vs_names);
		case NFLB_A_POOL: return (struct nameset)NS(pool_names);
		case NFLB_A_MEMBER: return (struct nameset)NS(member_names);
		case NFLB_A_GLOBAL: return (struct nameset)NS(global_names);
		case NFLB_A_FILTER: return (struct nameset)NS(filter_names);
		case NFLB_A_SYNC: return (struct nameset)NS(sync_names);
		}
	} else if (parent->names == sync_names && type == NFLB_SYNC_A_PEER) {
		return (struct nameset)NS(sync_peer_names);
	} else if ((parent->names == vs_names && type == NFLB_VS_A_TIMEOUTS) ||
		   (parent->names == global_names &&
		    type == NFLB_GLOBAL_A_TIMEOUTS)) {
		return (struct nameset)NS(timeout_attr_names);
	}
	return none;
}

/*
 * Describe the attribute at byte offset @off of request @req (an offset as
 * the kernel reports it, from the start of the netlink header).
 */
static void describe_attr(const struct nlmsghdr *req, uint32_t off,
			  char *out, size_t len)
{
	struct nameset set = NS(top_names);
	const char *p = (const char *)req;
	size_t pos = NLMSG_HDRLEN + GENL_HDRLEN, end = req->nlmsg_len;
	size_t used = 0;

	out[0] = '\0';
	while (pos + sizeof(struct nlattr) <= end && off >= pos) {
		const struct nlattr *a = (const void *)(p + pos);
		int type = a->nla_type & NLA_TYPE_MASK;
		size_t alen = a->nla_len;

		if (alen < sizeof(*a) || pos + alen > end)
			return;
		if (off >= pos + NLA_ALIGN(alen)) {
			pos += NLA_ALIGN(alen);
			continue;
		}
		/* @off is inside this attribute */
		if (set.names == top_names && type == NFLB_A_MEMBERS &&
		    off != pos) {
			/* a list of member nests: name the member's parts */
			end = pos + alen;
			pos += NLA_HDRLEN;
			continue;
		}
		if (type > 0 && type < set.n && set.names && set.names[type])
			used += snprintf(out + used, used < len ? len - used : 0,
					 "%s%s", used ? "." : "", set.names[type]);
		else
			used += snprintf(out + used, used < len ? len - used : 0,
					 "%s%d", used ? "." : "", type);
		if (off == pos)
			return;
		set = nest_names(&set, type);
		if (!set.n)
			return;
		end = pos + alen;
		pos += NLA_HDRLEN;
	}
}

/* ------------------------------------------------------------------ */

/* A request being run: its replies go to cb; locate, if set, is told the
 * offset an error points at (a member list names the failing line). */
struct talk {
	const struct nlmsghdr *req;
	nl_msg_cb cb;
	void *data;
	void (*locate)(uint32_t off);
	bool *absent;	/* if set: ENOENT is no error, only noted here */
};

static void print_error(int err, const struct nlmsghdr *ack, size_t tlv_off,
			const struct talk *t)
{
	const struct nlmsghdr *req = t->req;
	const struct nlattr *tb[NLMSGERR_ATTR_MAX + 1] = { NULL };
	const struct nlattr *attr;
	const char *msg = NULL;
	char where[128] = "";

	if (ack && (ack->nlmsg_flags & NLM_F_ACK_TLVS) && tlv_off < ack->nlmsg_len) {
		mnl_attr_for_each_payload((const void *)((const char *)ack + tlv_off),
					  ack->nlmsg_len - tlv_off) {
			int type = mnl_attr_get_type(attr);

			if (type <= NLMSGERR_ATTR_MAX)
				tb[type] = attr;
		}
	}
	if (t->locate) {
		if (tb[NLMSGERR_ATTR_OFFS] &&
		    mnl_attr_get_payload_len(tb[NLMSGERR_ATTR_OFFS]) >= 4)
			t->locate(mnl_attr_get_u32(tb[NLMSGERR_ATTR_OFFS]));
		else if (tb[NLMSGERR_ATTR_MISS_NEST] &&
			 mnl_attr_get_payload_len(tb[NLMSGERR_ATTR_MISS_NEST]) >= 4)
			t->locate(mnl_attr_get_u32(tb[NLMSGERR_ATTR_MISS_NEST]));
	}
	if (tb[NLMSGERR_ATTR_MSG] &&
	    mnl_attr_validate(tb[NLMSGERR_ATTR_MSG], MNL_TYPE_NUL_STRING) == 0)
		msg = mnl_attr_get_str(tb[NLMSGERR_ATTR_MSG]);
	if (!msg && req) {
		char name[96];

		if (tb[NLMSGERR_ATTR_MISS_TYPE] &&
		    mnl_attr_get_payload_len(tb[NLMSGERR_ATTR_MISS_TYPE]) >= 4) {
			uint32_t t = mnl_attr_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]);
			const char *nest = "";

			name[0] = '\0';
			if (tb[NLMSGERR_ATTR_MISS_NEST] &&
			    mnl_attr_get_payload_len(tb[NLMSGERR_ATTR_MISS_NEST]) >= 4)
				describe_attr(req, mnl_attr_get_u32(tb[NLMSGERR_ATTR_MISS_NEST]),
					      name, sizeof(name));
			nest = name;
			snprintf(where, sizeof(where), " (missing attribute %s%s%u)",
				 nest, *nest ? "." : "", t);
		} else if (tb[NLMSGERR_ATTR_OFFS] &&
			   mnl_attr_get_payload_len(tb[NLMSGERR_ATTR_OFFS]) >= 4) {
			describe_attr(req, mnl_attr_get_u32(tb[NLMSGERR_ATTR_OFFS]),
				      name, sizeof(name));
			if (name[0])
				snprintf(where, sizeof(where), " (attribute %s)", name);
		}
	}
	if (msg)
		lb_err("Error: %s", msg);
	else
		lb_err("Error: %s%s", strerror(err), where);
}

static bool intr_warned;

/*
 * Process the messages in rxbuf: replies to request seq (any if 0) go to
 * t->cb.  Returns 1 when the request is complete (ack or NLMSG_DONE), 0 to
 * keep receiving, -1 on error (printed).
 */
static int process(size_t len, uint32_t seq, const struct talk *t)
{
	const struct nlmsghdr *nlh = (const void *)rxbuf;
	int left = (int)len;
	int ret = 0;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		if (seq && (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != portid))
			continue;	/* stale reply of an earlier request */
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR && !intr_warned) {
			intr_warned = true;
			fprintf(stderr, "lbctl: warning: the table changed during the dump; output may be inconsistent\n");
		}
		switch (nlh->nlmsg_type) {
		case NLMSG_NOOP:
		case NLMSG_OVERRUN:
			continue;
		case NLMSG_ERROR: {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
			size_t off;

			if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*e)) {
				lb_err("Error: truncated netlink error message");
				return -1;
			}
			if (e->error == 0)
				return ret < 0 ? -1 : 1;
			if (e->error == -ENOENT && t->absent) {
				*t->absent = true;
				return ret < 0 ? -1 : 1;
			}
			off = NLMSG_HDRLEN + sizeof(*e);
			if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
				off += e->msg.nlmsg_len - NLMSG_HDRLEN;
			print_error(-e->error, nlh, off, t);
			return -1;
		}
		case NLMSG_DONE: {
			int err = 0;

			if (nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(int))
				memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(int));
			if (err < 0) {
				print_error(-err, nlh, NLMSG_HDRLEN + sizeof(int), t);
				return -1;
			}
			return ret < 0 ? -1 : 1;
		}
		default:
			if (t->cb && ret == 0 && t->cb(nlh, t->data) < 0)
				ret = -1;	/* keep reading to the end */
		}
	}
	return 0;
}

static ssize_t nl_recv(void)
{
	ssize_t n;

	for (;;) {
		n = mnl_socket_recvfrom(nl, rxbuf, sizeof(rxbuf));
		if (n >= 0 || errno != EINTR)
			return n;
	}
}

static int nl_send(const void *buf, size_t len)
{
	for (;;) {
		if (mnl_socket_sendto(nl, buf, len) >= 0)
			return 0;
		if (errno != EINTR) {
			lb_err("netlink send: %s", strerror(errno));
			return -1;
		}
	}
}

/* Send a built request and run it to completion. */
static int talk(const struct talk *t)
{
	ssize_t n;
	int ret;

	if (nl_send(t->req, t->req->nlmsg_len) < 0)
		return EXIT_ERR;
	for (;;) {
		n = nl_recv();
		if (n < 0) {
			lb_err("netlink receive: %s", strerror(errno));
			return EXIT_ERR;
		}
		ret = process((size_t)n, t->req->nlmsg_seq, t);
		if (ret < 0)
			return EXIT_ERR;
		if (ret > 0)
			return EXIT_OK;
	}
}

/* ------------------------------------------------------------------ */
/* Family resolution.                                                   */

static int ctrl_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a, *g;

	(void)data;
	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		switch (mnl_attr_get_type(a)) {
		case CTRL_ATTR_FAMILY_ID:
			if (mnl_attr_get_payload_len(a) >= 2)
				family_id = mnl_attr_get_u16(a);
			break;
		case CTRL_ATTR_MAXATTR:
			if (mnl_attr_get_payload_len(a) >= 4)
				family_maxattr = mnl_attr_get_u32(a);
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			mnl_attr_for_each_nested(g, a) {
				const struct nlattr *f;
				struct mcgrp m = { "", 0 };

				mnl_attr_for_each_nested(f, g) {
					if (mnl_attr_get_type(f) == CTRL_ATTR_MCAST_GRP_NAME &&
					    mnl_attr_validate(f, MNL_TYPE_NUL_STRING) == 0)
						snprintf(m.name, sizeof(m.name), "%s",
							 mnl_attr_get_str(f));
					else if (mnl_attr_get_type(f) == CTRL_ATTR_MCAST_GRP_ID &&
						 mnl_attr_get_payload_len(f) >= 4)
						m.id = mnl_attr_get_u32(f);
				}
				if (n_mcgrps < (int)ARRAY_SIZE(mcgrps))
					mcgrps[n_mcgrps++] = m;
			}
			break;
		}
	}
	return 0;
}

int nl_open(void)
{
	char buf[512] __attribute__((aligned(8)));
	struct talk t = { NULL, ctrl_cb, NULL, NULL, NULL };
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	int one = 1, rcv = 4 << 20;

	if (nl)
		return family_id ? EXIT_OK : EXIT_ERR;
	nl = mnl_socket_open(NETLINK_GENERIC);
	if (!nl) {
		lb_err("cannot open generic netlink socket: %s", strerror(errno));
		exit(EXIT_ERR);
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		lb_err("cannot bind netlink socket: %s", strerror(errno));
		exit(EXIT_ERR);
	}
	portid = mnl_socket_get_portid(nl);
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	/* Large receive buffer for monitor's events; the forced variant
	 * needs CAP_NET_ADMIN, fall back to the capped one. */
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE,
		       &rcv, sizeof(rcv)) < 0)
		setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF,
			   &rcv, sizeof(rcv));

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++seq_next;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, NFLB_GENL_NAME);

	if (nl_send(nlh, nlh->nlmsg_len) < 0)
		exit(EXIT_ERR);
	for (;;) {
		ssize_t n = nl_recv();
		int ret;

		if (n < 0) {
			lb_err("netlink receive: %s", strerror(errno));
			exit(EXIT_ERR);
		}
		/* Print our own message for ENOENT, not the controller's. */
		ret = n > 0 && ((struct nlmsghdr *)rxbuf)->nlmsg_type == NLMSG_ERROR &&
		      ((struct nlmsgerr *)mnl_nlmsg_get_payload((void *)rxbuf))->error == -ENOENT
		      ? -2 : process((size_t)n, nlh->nlmsg_seq, &t);
		if (ret == -2) {
			lb_err("Error: generic netlink family \"%s\" not found; is the nflb module loaded?",
			       NFLB_GENL_NAME);
			return EXIT_ERR;
		}
		if (ret < 0)
			return EXIT_ERR;
		if (ret > 0)
			break;
	}
	if (!family_id) {
		lb_err("Error: no family id for \"%s\"", NFLB_GENL_NAME);
		return EXIT_ERR;
	}
	return EXIT_OK;
}

void nl_close(void)
{
	if (nl) {
		nl_members_flush();
		mnl_socket_close(nl);
		nl = NULL;
	}
}

uint32_t nl_mcast_group(const char *name)
{
	for (int i = 0; i < n_mcgrps; i++)
		if (!strcmp(mcgrps[i].name, name))
			return mcgrps[i].id;
	return 0;
}

/* ------------------------------------------------------------------ */

struct nlmsghdr *nl_req(uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(reqbuf);
	struct genlmsghdr *g;

	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = ++seq_next;
	if (!seq_next)	/* seq 0 means "any" to process() */
		nlh->nlmsg_seq = ++seq_next;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = NFLB_GENL_VERSION;
	return nlh;
}

/* ------------------------------------------------------------------ */
/*
 * Member adds of a batch, many per request (NFLB_A_MEMBERS): a
 * request costs the kernel far more than adding a member.  The kernel adds
 * them in order and stops at the first that fails, pointing into its nest,
 * which gives the line to report; the lines before it are applied and none
 * after, as with one request per line.  The list is sent before anything
 * else reaches the kernel, before the batch shows a line's usage error
 * (do_batch()), and at the end.
 */
#define MLIST_MAX	512

static char mbuf[REQBUF_SIZE] __attribute__((aligned(8)));
static char mretry[REQBUF_SIZE] __attribute__((aligned(8)));
static struct nlmsghdr *mnlh;
static struct nlattr *mlist;
static struct { unsigned long line; uint32_t off, len; } ment[MLIST_MAX];
static int mn, msent, mfail_at;
static bool mfailed;		/* a list failed since nl_members_failed() */

bool nl_members_can_list(void)
{
	return opts.in_batch && nl_open() == EXIT_OK &&
	       family_maxattr >= NFLB_A_MEMBERS;
}

static void members_locate(uint32_t off)
{
	for (int i = 0; i < msent; i++)
		if (off >= ment[i].off && off < ment[i].off + ment[i].len) {
			opts.lineno = ment[i].line;
			mfail_at = i;
			return;
		}
}

static void members_append(const struct nlattr *member, unsigned long line)
{
	if (!mn) {
		struct genlmsghdr *g;

		mnlh = mnl_nlmsg_put_header(mbuf);
		mnlh->nlmsg_flags = NLM_F_REQUEST;
		mnlh->nlmsg_seq = ++seq_next;
		if (!seq_next)
			mnlh->nlmsg_seq = ++seq_next;
		g = mnl_nlmsg_put_extra_header(mnlh, sizeof(*g));
		g->cmd = NFLB_CMD_MEMBER_NEW;
		g->version = NFLB_GENL_VERSION;
		mlist = mnl_attr_nest_start(mnlh, NFLB_A_MEMBERS);
	}
	ment[mn].line = line;
	ment[mn].off = mnlh->nlmsg_len;
	ment[mn].len = member->nla_len;
	memcpy(mbuf + mnlh->nlmsg_len, member, member->nla_len);
	mnlh->nlmsg_len += NLA_ALIGN(member->nla_len);
	mn++;
}

/* Queues again the members sent from index @from on, in a new request. */
static void members_requeue(int from)
{
	unsigned long lines[MLIST_MAX];
	uint32_t start = ment[from].off, pos = 0;
	int i, n = msent - from;

	/* members_append() rewrites mbuf and ment: copy what it reads first */
	memcpy(mretry, mbuf + start, mnlh->nlmsg_len - start);
	for (i = 0; i < n; i++)
		lines[i] = ment[from + i].line;
	for (i = 0; i < n; i++) {
		const struct nlattr *a = (const void *)(mretry + pos);

		members_append(a, lines[i]);
		pos += NLA_ALIGN(a->nla_len);
	}
}

/*
 * Sends the pending member list.  With -force the members after a failed
 * one still run: they go again in a new request.  Returns EXIT_ERR if any
 * failed (printed, with its line).
 */
int nl_members_flush(void)
{
	struct talk t = { NULL, NULL, NULL, members_locate, NULL };
	unsigned long saved_line = opts.lineno;
	int r, ret = EXIT_OK;

	if (!mn)
		return EXIT_OK;
	while (mn) {
		mnl_attr_nest_end(mnlh, mlist);
		mnlh->nlmsg_type = family_id;
		mnlh->nlmsg_flags |= NLM_F_ACK;
		/* No offset in the error: nothing of the request was applied. */
		opts.lineno = ment[0].line;
		mfail_at = 0;
		msent = mn;
		mn = 0;
		t.req = mnlh;
		r = talk(&t);
		if (r == EXIT_OK)
			break;
		ret = EXIT_ERR;
		mfailed = true;
		if (!opts.force || mfail_at + 1 >= msent)
			break;
		members_requeue(mfail_at + 1);
	}
	opts.lineno = saved_line;
	return ret;
}

/* Whether a member list failed since the last call. */
bool nl_members_failed(void)
{
	bool f = mfailed;

	mfailed = false;
	return f;
}

/*
 * Pending member adds go to the kernel before anything later does.
 * EXIT_ERR if one failed and the batch stops there; with -force the
 * failure is the batch's (nl_members_failed()), not the caller's.
 */
int nl_members_send_first(void)
{
	return nl_members_flush() && !opts.force ? EXIT_ERR : EXIT_OK;
}

/* Queues a member nest for the next list, sending a full list first. */
int nl_members_add(const struct nlattr *member)
{
	size_t len = NLA_ALIGN(member->nla_len);

	if (mn && (mn == MLIST_MAX || mnlh->nlmsg_len + len > sizeof(mbuf)) &&
	    nl_members_send_first())
		return EXIT_ERR;
	members_append(member, opts.lineno);
	return EXIT_OK;
}

int nl_do(struct nlmsghdr *nlh, nl_msg_cb cb, void *data)
{
	return nl_do_absent(nlh, cb, data, NULL);
}

/* @absent NULL: ENOENT is an error like any other (nl_do()). */
int nl_do_absent(struct nlmsghdr *nlh, nl_msg_cb cb, void *data, bool *absent)
{
	struct talk t = { nlh, cb, data, NULL, absent };

	if (absent)
		*absent = false;
	if (nl_members_send_first())
		return EXIT_ERR;
	if (nl_open())
		return EXIT_ERR;
	nlh->nlmsg_type = family_id;
	nlh->nlmsg_flags |= NLM_F_ACK;
	return talk(&t);
}

int nl_dump(struct nlmsghdr *nlh, nl_msg_cb cb, void *data)
{
	struct talk t = { nlh, cb, data, NULL, NULL };

	if (nl_members_send_first())
		return EXIT_ERR;
	if (nl_open())
		return EXIT_ERR;
	nlh->nlmsg_type = family_id;
	nlh->nlmsg_flags |= NLM_F_DUMP;
	return talk(&t);
}

int nl_monitor(nl_msg_cb cb, void *data)
{
	uint32_t grp;

	if (nl_open())
		return EXIT_ERR;
	grp = nl_mcast_group(NFLB_MCGRP_EVENTS);
	if (!grp) {
		lb_err("Error: family \"%s\" has no \"%s\" multicast group",
		       NFLB_GENL_NAME, NFLB_MCGRP_EVENTS);
		return EXIT_ERR;
	}
	if (mnl_socket_setsockopt(nl, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)) < 0) {
		lb_err("cannot join multicast group \"%s\": %s", NFLB_MCGRP_EVENTS,
		       strerror(errno));
		return EXIT_ERR;
	}
	for (;;) {
		const struct nlmsghdr *nlh = (const void *)rxbuf;
		ssize_t n = nl_recv();
		int left;

		if (n < 0) {
			if (errno == ENOBUFS) {
				lb_err("warning: events lost (receive buffer overrun)");
				continue;
			}
			lb_err("netlink receive: %s", strerror(errno));
			return EXIT_ERR;
		}
		left = (int)n;
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			if (nlh->nlmsg_type != family_id)
				continue;
			if (cb(nlh, data) < 0)
				return EXIT_ERR;
		}
	}
}

/* ------------------------------------------------------------------ */
/* Attribute helpers.                                                   */

struct parse_ctx { const struct nlattr **tb; int max; };

static int parse_cb(const struct nlattr *a, void *data)
{
	struct parse_ctx *c = data;
	int type = mnl_attr_get_type(a);

	if (type > 0 && type <= c->max)
		c->tb[type] = a;
	return MNL_CB_OK;
}

int nl_parse_top(const struct nlmsghdr *nlh, const struct nlattr **tb, int max)
{
	struct parse_ctx c = { tb, max };

	memset(tb, 0, sizeof(*tb) * (max + 1));
	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return -1;
	return mnl_attr_parse(nlh, GENL_HDRLEN, parse_cb, &c) < 0 ? -1 : 0;
}

int nl_parse_nest(const struct nlattr *nest, const struct nlattr **tb, int max)
{
	struct parse_ctx c = { tb, max };

	memset(tb, 0, sizeof(*tb) * (max + 1));
	if (!nest)
		return -1;
	return mnl_attr_parse_nested(nest, parse_cb, &c) < 0 ? -1 : 0;
}

uint8_t nl_genl_cmd(const struct nlmsghdr *nlh)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);

	return nlh->nlmsg_len >= NLMSG_HDRLEN + GENL_HDRLEN ? g->cmd : 0;
}

uint8_t attr_u8(const struct nlattr *a)
{
	return a && mnl_attr_get_payload_len(a) >= 1 ? mnl_attr_get_u8(a) : 0;
}

uint16_t attr_u16(const struct nlattr *a)
{
	return a && mnl_attr_get_payload_len(a) >= 2 ? mnl_attr_get_u16(a) : 0;
}

uint32_t attr_u32(const struct nlattr *a)
{
	return a && mnl_attr_get_payload_len(a) >= 4 ? mnl_attr_get_u32(a) : 0;
}

uint64_t attr_u64(const struct nlattr *a)
{
	uint64_t v;

	if (!a)
		return 0;
	if (mnl_attr_get_payload_len(a) >= 8) {
		memcpy(&v, mnl_attr_get_payload(a), sizeof(v));
		return v;
	}
	return attr_u32(a);
}

const char *attr_str(const struct nlattr *a)
{
	if (!a || mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
		return "";
	return mnl_attr_get_str(a);
}
