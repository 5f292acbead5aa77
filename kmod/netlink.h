/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFLB_NETLINK_H
#define _NFLB_NETLINK_H

int nflb_genl_init(void);
void nflb_genl_exit(void);

#endif /* _NFLB_NETLINK_H */
