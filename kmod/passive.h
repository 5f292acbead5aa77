/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFLB_PASSIVE_H
#define _NFLB_PASSIVE_H

#include <linux/atomic.h>
#include <linux/types.h>

struct nflb_net;
struct nflb_member;
struct nflb_session;

/*
 * Passive detection (Documentation/health.rst): the datapath counts a
 * member's failed handshakes; past a pool's threshold of consecutive ones
 * the ejection worker (eject.c, process context) takes the member out for
 * a hold.  The datapath only counts and kicks the worker.
 */
enum nflb_fail {
	NFLB_FAIL_NONE,
	NFLB_FAIL_RST,		/* the member answered the SYN with a RST */
	NFLB_FAIL_SYN_TIMEOUT,	/* SYN_SENT timed out without a SYN-ACK */
	NFLB_FAIL_UNREACH,	/* ICMP unreachable about a flow to it */
	NFLB_FAIL_UDP_ONEWAY,	/* UDP flow timed out, never answered */
};

/*
 * A member's passive state.
 *
 * @run       consecutive failures.  The datapath increments it (atomic, on
 *            the failure path only) and resets it on a success only when it
 *            is nonzero, so a healthy member's line is never dirtied by it.
 *            The worker zeroes it when it decides (cfg_mutex).
 * @last      enum nflb_fail of the latest failure, WRITE_ONCE by the
 *            datapath; the worker reads it for the event's reason.
 * @udp_answered  set once (WRITE_ONCE) when the member first answers a UDP
 *            flow: one-way UDP flows count as failures only for a member
 *            known to answer (syslog-like services never do).
 * @level     the back-off step of the next ejection: its hold is
 *            hold << level, at most hold-max.  Worker only (cfg_mutex).
 * @until     jiffies the current ejection ends; 0 when not ejected by
 *            passive detection.  Worker only (cfg_mutex).
 * @back      jiffies of the last return from an ejection (0: never);
 *            a member ejected again within hold-max of it gets a longer
 *            hold.  Worker only (cfg_mutex).
 * @notify    its health changed in this worker run: announce it once the
 *            pool is published.  Worker only (cfg_mutex).
 */
struct nflb_passive_state {
	atomic_t run;
	u8 last;
	u8 udp_answered;
	u8 level;
	bool notify;
	unsigned long until;
	unsigned long back;
};

void nflb_passive_fail(struct nflb_net *ln, struct nflb_session *s,
		       enum nflb_fail kind);
void nflb_passive_kick(struct nflb_net *ln);

/*
 * A member answered a handshake.  Once per session at most (the first
 * reply), and a store only when there was a failure run to end.
 */
static inline void nflb_passive_ok(struct nflb_passive_state *ps)
{
	if (unlikely(atomic_read(&ps->run)))
		atomic_set(&ps->run, 0);
}

#endif /* _NFLB_PASSIVE_H */
