/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFLB_TCP_H
#define _NFLB_TCP_H

#include "packet.h"
#include "session.h"

enum nflb_tcp_verdict {
	NFLB_TCP_OK,		/* tracked: forward, refresh the timer */
	NFLB_TCP_PASS,		/* not ours to judge: forward, touch nothing */
	NFLB_TCP_DROP,		/* RST or FIN outside the window */
};

void nflb_tcp_new(struct nflb_session *s, const struct nflb_pkt *pkt);
enum nflb_tcp_verdict nflb_tcp_track(struct nflb_session *s, enum nflb_dir dir,
				     const struct nflb_pkt *pkt);

#endif /* _NFLB_TCP_H */
