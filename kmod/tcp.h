/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFLB_TCP_H
#define _NFLB_TCP_H

#include "packet.h"
#include "session.h"

void nflb_tcp_new(struct nflb_session *s, const struct nflb_pkt *pkt);
bool nflb_tcp_track(struct nflb_session *s, enum nflb_dir dir,
		    const struct nflb_pkt *pkt);

#endif /* _NFLB_TCP_H */
