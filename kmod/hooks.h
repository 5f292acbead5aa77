/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFLB_HOOKS_H
#define _NFLB_HOOKS_H

struct nflb_net;
struct nflb_redir;
struct sk_buff;

int nflb_hooks_start(struct nflb_net *ln);
void nflb_hooks_stop(struct nflb_net *ln);
void nflb_hooks_redirected(struct nflb_net *ln, struct nflb_redir *rd,
			   struct sk_buff *skb);

#endif /* _NFLB_HOOKS_H */
