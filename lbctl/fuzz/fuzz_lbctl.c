// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for lbctl's argument and batch/restore-file parsing.
 *
 * lbctl's own sources are linked unchanged (main renamed lbctl_main); the
 * few libmnl socket calls it makes are replaced here by a fake kernel, so
 * every command runs to the point of sending its netlink requests:
 *  - requests must be well-formed (lengths, nesting, genl header, flags):
 *    anything else aborts, i.e. is a finding;
 *  - the fake kernel answers: the family lookup, then for each request
 *    an ack, an error with an extended-ack message and attribute offset,
 *    or for dumps and GETs a few reply objects whose attributes come from
 *    the input (lbctl must survive odd kernel replies too).
 *
 * Input: byte 0 picks the mode.
 *   even: the rest is argv, words separated by NUL bytes (lbctl prepended);
 *   odd:  the rest is a batch file, run by -batch, -batch -force or restore
 *         (byte 0 / 2 % 3), with -j sometimes.
 * Byte 1 seeds the fake kernel's choices.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../lbctl.h"

int lbctl_main(int argc, char **argv);

#define FAMILY_ID 0x20
#define MCGRP_ID 7
#define RX_MAX (256 * 1024)

/* ---- the fake kernel ---- */

static char rxq[RX_MAX] __attribute__((aligned(8)));
static size_t rxq_len, rxq_off;
static uint32_t fk_state;
static const uint8_t *fk_data;	/* input bytes reused as reply payloads */
static size_t fk_len, fk_pos;
static struct mnl_socket *fake_sock = (struct mnl_socket *)&fake_sock;

static uint32_t fk_rnd(void)
{
	fk_state = fk_state * 1103515245u + 12345u;
	return fk_state >> 16;
}

static uint8_t fk_byte(void)
{
	if (!fk_len)
		return (uint8_t)fk_rnd();
	return fk_data[fk_pos++ % fk_len];
}

static struct nlmsghdr *q_put(uint16_t type, uint16_t flags, uint32_t seq)
{
	struct nlmsghdr *h;

	if (rxq_len + 8192 > sizeof(rxq))
		return NULL;
	h = mnl_nlmsg_put_header(rxq + rxq_len);
	h->nlmsg_type = type;
	h->nlmsg_flags = flags;
	h->nlmsg_seq = seq;
	h->nlmsg_pid = 4242;
	return h;
}

static void q_end(struct nlmsghdr *h)
{
	rxq_len += NLMSG_ALIGN(h->nlmsg_len);
}

static void q_ack(const struct nlmsghdr *req, int err)
{
	struct nlmsghdr *h = q_put(NLMSG_ERROR, 0, req->nlmsg_seq);
	struct nlmsgerr *e;

	if (!h)
		return;
	e = mnl_nlmsg_put_extra_header(h, sizeof(*e));
	e->error = -err;
	memcpy(&e->msg, req, sizeof(*req));
	if (err) {
		/* extended ack: capped request, a message and/or an offset */
		h->nlmsg_flags |= NLM_F_CAPPED;
		if (fk_rnd() % 2) {
			h->nlmsg_flags |= NLM_F_ACK_TLVS;
			if (fk_rnd() % 2)
				mnl_attr_put_strz(h, NLMSGERR_ATTR_MSG, "fake kernel says no");
			else
				mnl_attr_put_u32(h, NLMSGERR_ATTR_OFFS,
						 fk_rnd() % (req->nlmsg_len + 8));
			if (fk_rnd() % 4 == 0) {
				mnl_attr_put_u32(h, NLMSGERR_ATTR_MISS_TYPE, fk_byte());
				mnl_attr_put_u32(h, NLMSGERR_ATTR_MISS_NEST,
						 fk_rnd() % (req->nlmsg_len + 8));
			}
		}
	}
	q_end(h);
}

/* A reply object: the command's nest filled with attributes from input. */
static void q_reply(const struct nlmsghdr *req, uint8_t cmd, uint16_t flags)
{
	static const uint16_t nest_of[] = {
		[NFLB_CMD_VS_GET] = NFLB_A_VS, [NFLB_CMD_POOL_GET] = NFLB_A_POOL,
		[NFLB_CMD_MEMBER_GET] = NFLB_A_MEMBER, [NFLB_CMD_GLOBAL_GET] = NFLB_A_GLOBAL,
		[NFLB_CMD_SESSION_GET] = NFLB_A_SESSION, [NFLB_CMD_STATS_GET] = NFLB_A_STATS,
		[NFLB_CMD_INFO_GET] = NFLB_A_INFO, [NFLB_CMD_SYNC_GET] = NFLB_A_SYNC,
	};
	struct nlmsghdr *h = q_put(FAMILY_ID, flags, req->nlmsg_seq);
	struct genlmsghdr *g;
	struct nlattr *n, *inner = NULL;
	int k = (int)(fk_rnd() % 12);

	if (!h)
		return;
	g = mnl_nlmsg_put_extra_header(h, sizeof(*g));
	g->cmd = cmd;
	g->version = NFLB_GENL_VERSION;
	n = mnl_attr_nest_start(h, cmd < sizeof(nest_of) / sizeof(nest_of[0]) && nest_of[cmd] ?
				   nest_of[cmd] : (uint16_t)(1 + fk_rnd() % NFLB_A_MAX));
	for (int i = 0; i < k; i++) {
		uint16_t type = (uint16_t)(1 + fk_byte() % 20);
		size_t len = fk_byte() % 24;
		uint8_t p[24];

		if (fk_rnd() % 6 == 0 && !inner) {	/* a nested stats/timeouts block */
			inner = mnl_attr_nest_start(h, type);
			continue;
		}
		for (size_t j = 0; j < len; j++)
			p[j] = fk_byte();
		if (fk_rnd() % 3 == 0) {	/* a proper string or u32 */
			if (fk_rnd() % 2) {
				mnl_attr_put_strz(h, type, fk_rnd() % 2 ? "fz" : "");
				continue;
			}
			len = 4;
		}
		mnl_attr_put(h, type, len, p);
	}
	if (inner)
		mnl_attr_nest_end(h, inner);
	mnl_attr_nest_end(h, n);
	q_end(h);
}

static void q_done(const struct nlmsghdr *req)
{
	struct nlmsghdr *h = q_put(NLMSG_DONE, NLM_F_MULTI, req->nlmsg_seq);
	int zero = 0;

	if (!h)
		return;
	mnl_nlmsg_put_extra_header(h, sizeof(int));
	memcpy(mnl_nlmsg_get_payload(h), &zero, sizeof(zero));
	q_end(h);
}

/* Attributes of [p, p+len) must tile it exactly, nests recursively. */
static void check_attrs(const char *p, size_t len, int depth)
{
	size_t pos = 0;

	if (depth > 4)
		abort();	/* lbctl never nests this deep */
	while (pos < len) {
		const struct nlattr *a = (const void *)(p + pos);

		if (len - pos < sizeof(*a) || a->nla_len < sizeof(*a) || a->nla_len > len - pos)
			abort();	/* malformed attribute in a request */
		if (a->nla_type & NLA_F_NESTED)
			check_attrs(p + pos + NLA_HDRLEN, a->nla_len - NLA_HDRLEN, depth + 1);
		pos += NLA_ALIGN(a->nla_len);
	}
	if (pos != len && NLA_ALIGN(pos) != NLA_ALIGN(len))
		abort();
}

static void fake_kernel(const void *buf, size_t len)
{
	const struct nlmsghdr *req = buf;
	int left = (int)len;

	if (len < NLMSG_HDRLEN)
		abort();
	for (; left > 0; req = mnl_nlmsg_next(req, &left)) {
		const struct genlmsghdr *g;

		if (!mnl_nlmsg_ok(req, left) || !(req->nlmsg_flags & NLM_F_REQUEST) ||
		    req->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
			abort();	/* lbctl sent a broken request */
		g = mnl_nlmsg_get_payload(req);
		check_attrs((const char *)g + GENL_HDRLEN,
			    req->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN, 0);
		if (req->nlmsg_type == GENL_ID_CTRL) {
			struct nlmsghdr *h = q_put(GENL_ID_CTRL, 0, req->nlmsg_seq);
			struct nlattr *gs, *g1;
			struct genlmsghdr *rg;

			if (!h)
				continue;
			rg = mnl_nlmsg_put_extra_header(h, sizeof(*rg));
			rg->cmd = CTRL_CMD_NEWFAMILY;
			mnl_attr_put_strz(h, CTRL_ATTR_FAMILY_NAME, NFLB_GENL_NAME);
			mnl_attr_put_u16(h, CTRL_ATTR_FAMILY_ID, FAMILY_ID);
			gs = mnl_attr_nest_start(h, CTRL_ATTR_MCAST_GROUPS);
			g1 = mnl_attr_nest_start(h, 1);
			mnl_attr_put_strz(h, CTRL_ATTR_MCAST_GRP_NAME, NFLB_MCGRP_EVENTS);
			mnl_attr_put_u32(h, CTRL_ATTR_MCAST_GRP_ID, MCGRP_ID);
			mnl_attr_nest_end(h, g1);
			mnl_attr_nest_end(h, gs);
			q_end(h);
			q_ack(req, 0);
			continue;
		}
		if (req->nlmsg_type != FAMILY_ID || g->version != NFLB_GENL_VERSION ||
		    !g->cmd || g->cmd > NFLB_CMD_MAX)
			abort();	/* not an nflb request */
		if (req->nlmsg_flags & NLM_F_DUMP) {
			int n = (int)(fk_rnd() % 4);

			if (fk_rnd() % 8 == 0) {
				q_ack(req, (int)(1 + fk_rnd() % 130));
				continue;
			}
			for (int i = 0; i < n; i++)
				q_reply(req, g->cmd, NLM_F_MULTI |
					(fk_rnd() % 8 == 0 ? NLM_F_DUMP_INTR : 0));
			q_done(req);
			continue;
		}
		if (fk_rnd() % 6 == 0) {
			q_ack(req, (int)(1 + fk_rnd() % 130));
			continue;
		}
		if (g->cmd == NFLB_CMD_VS_GET || g->cmd == NFLB_CMD_POOL_GET ||
		    g->cmd == NFLB_CMD_GLOBAL_GET || g->cmd == NFLB_CMD_STATS_GET ||
		    g->cmd == NFLB_CMD_INFO_GET || g->cmd == NFLB_CMD_SYNC_GET)
			q_reply(req, g->cmd, 0);
		if (req->nlmsg_flags & NLM_F_ACK)
			q_ack(req, 0);
	}
}

/* ---- libmnl socket calls, replaced (the executable's definitions win) ---- */

struct mnl_socket *mnl_socket_open(int bus)
{
	(void)bus;
	rxq_len = rxq_off = 0;
	return fake_sock;
}

int mnl_socket_bind(struct mnl_socket *nl, unsigned int groups, pid_t pid)
{
	(void)nl; (void)groups; (void)pid;
	return 0;
}

unsigned int mnl_socket_get_portid(const struct mnl_socket *nl)
{
	(void)nl;
	return 4242;
}

int mnl_socket_get_fd(const struct mnl_socket *nl)
{
	(void)nl;
	return -1;
}

int mnl_socket_setsockopt(const struct mnl_socket *nl, int type, void *buf, socklen_t len)
{
	(void)nl; (void)type; (void)buf; (void)len;
	return 0;
}

ssize_t mnl_socket_sendto(const struct mnl_socket *nl, const void *buf, size_t len)
{
	(void)nl;
	if (rxq_off == rxq_len)
		rxq_len = rxq_off = 0;
	fake_kernel(buf, len);
	return (ssize_t)len;
}

ssize_t mnl_socket_recvfrom(const struct mnl_socket *nl, void *buf, size_t size)
{
	size_t n = 0;

	(void)nl;
	if (rxq_off >= rxq_len) {
		errno = EAGAIN;
		return -1;
	}
	/* whole messages only, as many as fit (like a datagram of several) */
	while (rxq_off + n < rxq_len) {
		const struct nlmsghdr *h = (const void *)(rxq + rxq_off + n);
		size_t l = NLMSG_ALIGN(h->nlmsg_len);

		if (n + l > size || (n && fk_rnd() % 3 == 0))
			break;
		n += l;
	}
	if (!n) {
		errno = ENOBUFS;
		rxq_off = rxq_len;
		return -1;
	}
	memcpy(buf, rxq + rxq_off, n);
	rxq_off += n;
	return (ssize_t)n;
}

int mnl_socket_close(struct mnl_socket *nl)
{
	(void)nl;
	rxq_len = rxq_off = 0;
	return 0;
}

/* -n NETNS must not move the fuzzer anywhere. */
int setns(int fd, int nstype)
{
	(void)fd; (void)nstype;
	return 0;
}

/* lbctl's main sets up stdout's buffer; once per process is enough here. */
int lbctl_fuzz_setvbuf(FILE *f, char *buf, int mode, size_t size)
{
	(void)f; (void)buf; (void)mode; (void)size;
	return 0;
}

/* ---- the target ---- */

static int memfd = -1;
static char memfd_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	memfd = memfd_create("lbctl-batch", 0);
	snprintf(memfd_path, sizeof(memfd_path), "/proc/self/fd/%d", memfd);
	/* "-" (standard input) must not block */
	if (!freopen("/dev/null", "r", stdin))
		return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *args[66];
	char *copy;
	int argc = 0;

	if (size < 2 || size > 16384)
		return 0;
	fk_state = data[1] * 2654435761u + 1;
	fk_data = data + 2;
	fk_len = size - 2;
	fk_pos = 0;
	memset(&opts, 0, sizeof(opts));
	args[argc++] = (char *)"lbctl";

	if (data[0] % 2 == 0) {
		/* argv mode: NUL-separated words; no paths (files are not ours) */
		copy = malloc(size - 1);
		if (!copy)
			return 0;
		memcpy(copy, data + 2, size - 2);
		copy[size - 2] = '\0';
		for (char *w = copy; w < copy + size - 1 && argc < 64; w += strlen(w) + 1) {
			if (strchr(w, '/') || !strcmp(w, "-")) {
				free(copy);
				return 0;
			}
			args[argc++] = w;
		}
		args[argc] = NULL;
		lbctl_main(argc, args);
		free(copy);
	} else {
		/* batch-file mode */
		if (ftruncate(memfd, 0) || pwrite(memfd, data + 2, size - 2, 0) != (ssize_t)(size - 2))
			return 0;
		if (data[0] & 4)
			args[argc++] = (char *)"-j";
		switch (data[0] / 2 % 3) {
		case 0:
			args[argc++] = (char *)"-batch";
			args[argc++] = memfd_path;
			break;
		case 1:
			args[argc++] = (char *)"-batch";
			args[argc++] = memfd_path;
			args[argc++] = (char *)"-force";
			break;
		default:
			args[argc++] = (char *)"restore";
			args[argc++] = memfd_path;
		}
		args[argc] = NULL;
		fk_len = 0;	/* reply payloads from the PRNG */
		lbctl_main(argc, args);
	}
	fflush(stdout);
	return 0;
}
