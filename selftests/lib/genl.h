/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Generic netlink plumbing for the C selftests (libmnl): request headers,
 * nests, addresses, and the family and multicast group lookup.
 */
#ifndef NFLB_SELFTESTS_GENL_H
#define NFLB_SELFTESTS_GENL_H

#include <stdint.h>

#include <libmnl/libmnl.h>

/*
 * A request header in @buf: netlink type @type (a family id, or
 * GENL_ID_CTRL), NLM_F_REQUEST | NLM_F_ACK | @flags, @seq, and a generic
 * netlink header of @cmd and @version.
 */
struct nlmsghdr *genl_msg_start(void *buf, uint16_t type, uint8_t cmd,
				uint8_t version, uint16_t flags, uint32_t seq);

/*
 * Starts a nest as the kernel's strict validation wants it, NLA_F_NESTED
 * set (libmnl sets it too); genl_nest_noflag() makes one without it.
 */
struct nlattr *genl_nest(struct nlmsghdr *nlh, uint16_t type);
struct nlattr *genl_nest_noflag(struct nlmsghdr *nlh, uint16_t type);

/*
 * Puts address @s, IPv4 as attribute @t4 (4 bytes) or IPv6 as @t6 (16),
 * in network order; returns AF_INET or AF_INET6, or -1 (not an address).
 */
int genl_put_addr(struct nlmsghdr *nlh, uint16_t t4, uint16_t t6, const char *s);

/*
 * Looks up generic netlink family @family over @sk (bound), with sequence
 * number @seq: its id in *@id and, if @group and @grp_id are given, the id
 * of its multicast group @group in *@grp_id (left as it is if the family
 * has no such group).  Returns 0 or -errno (-ENOENT: no such family).
 */
int genl_resolve(struct mnl_socket *sk, uint32_t seq, const char *family,
		 uint16_t *id, const char *group, uint32_t *grp_id);

#endif
