/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFLB_EJECT_H
#define _NFLB_EJECT_H

struct nflb_net;

void nflb_eject_init(struct nflb_net *ln);
void nflb_eject_exit(struct nflb_net *ln);

#endif /* _NFLB_EJECT_H */
