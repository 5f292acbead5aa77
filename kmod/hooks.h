/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFLB_HOOKS_H
#define _NFLB_HOOKS_H

struct nflb_net;

int nflb_hooks_start(struct nflb_net *ln);
void nflb_hooks_stop(struct nflb_net *ln);

#endif /* _NFLB_HOOKS_H */
