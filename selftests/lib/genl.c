// SPDX-License-Identifier: GPL-2.0
/* Generic netlink plumbing; see genl.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "genl.h"

struct nlmsghdr *genl_msg_start(void *buf, uint16_t type, uint8_t cmd,
				uint8_t version, uint16_t flags, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

struct nlattr *genl_nest(struct nlmsghdr *nlh, uint16_t type)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, type);

	n->nla_type |= NLA_F_NESTED;
	return n;
}

struct nlattr *genl_nest_noflag(struct nlmsghdr *nlh, uint16_t type)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, type);

	n->nla_type &= ~NLA_F_NESTED;
	return n;
}

int genl_put_addr(struct nlmsghdr *nlh, uint16_t t4, uint16_t t6, const char *s)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, s, &a4) == 1) {
		mnl_attr_put(nlh, t4, sizeof(a4), &a4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, s, &a6) == 1) {
		mnl_attr_put(nlh, t6, sizeof(a6), &a6);
		return AF_INET6;
	}
	return -1;
}

struct resolved {
	const char *group;
	uint16_t *id;
	uint32_t *grp_id;
};

static int ctrl_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a, *g, *x;
	struct resolved *res = data;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case CTRL_ATTR_FAMILY_ID:
			*res->id = mnl_attr_get_u16(a);
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			if (!res->group || !res->grp_id)
				break;
			mnl_attr_for_each_nested(g, a) {
				const char *name = NULL;
				uint32_t id = 0;

				mnl_attr_for_each_nested(x, g) {
					if (mnl_attr_get_type(x) == CTRL_ATTR_MCAST_GRP_NAME)
						name = mnl_attr_get_str(x);
					else if (mnl_attr_get_type(x) == CTRL_ATTR_MCAST_GRP_ID)
						id = mnl_attr_get_u32(x);
				}
				if (name && !strcmp(name, res->group))
					*res->grp_id = id;
			}
			break;
		}
	}
	return MNL_CB_OK;
}

int genl_resolve(struct mnl_socket *sk, uint32_t seq, const char *family,
		 uint16_t *id, const char *group, uint32_t *grp_id)
{
	char req[256] __attribute__((aligned(8)));
	static char rx[32 * 1024] __attribute__((aligned(8)));
	struct resolved res = { group, id, grp_id };
	struct nlmsghdr *nlh;
	ssize_t len;
	int ret;

	*id = 0;
	nlh = genl_msg_start(req, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, 0, seq);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, family);
	if (mnl_socket_sendto(sk, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		len = mnl_socket_recvfrom(sk, rx, sizeof(rx));
		if (len < 0)
			return -errno;
		ret = mnl_cb_run(rx, (size_t)len, seq, mnl_socket_get_portid(sk),
				 ctrl_cb, &res);
	} while (ret > MNL_CB_STOP);
	if (ret < 0)
		return errno ? -errno : -EIO;
	return *id ? 0 : -ENOENT;
}
