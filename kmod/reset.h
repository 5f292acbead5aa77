/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFLB_RESET_H
#define _NFLB_RESET_H

struct net;
struct nflb_session;

/* Sends RST to the client and to the member; returns how many went out. */
int nflb_reset_session(struct net *net, const struct nflb_session *s);

#endif /* _NFLB_RESET_H */
