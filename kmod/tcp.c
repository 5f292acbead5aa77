// SPDX-License-Identifier: GPL-2.0
/*
 * TCP state and window tracking of a session, enough to tell a segment the
 * endpoints would accept from one an off-path attacker made up.
 *
 * For each direction the session keeps the highest sequence number plus
 * length seen (seq_next, which is also what nflb's own RSTs carry: the
 * receiver's next expected number) and the largest window the direction
 * advertised, scaled (maxwin).  A segment from one side is in window when
 * its sequence number lies within the other side's largest window around
 * seq_next, the test conntrack makes (nf_conntrack_proto_tcp.c) with the
 * same bounds in both directions.  Only in-window segments move seq_next
 * or maxwin, so spoofed ones cannot shift what nflb's RSTs carry or widen
 * the window.  A RST or FIN outside the window is dropped and counted
 * (drop_out_of_window): the endpoints would have ignored it (RFC 5961),
 * and it must not close the session nor shorten its timeout.  Other
 * out-of-window segments pass untouched, so the endpoints deal with them.
 *
 * Until the member has answered, a RST from its side is accepted only if
 * it acknowledges exactly the client's SYN, as a real refusal does.
 *
 * The fields are written without a lock by whichever CPU handles a packet
 * of the session; two CPUs racing on one session can lose an update, which
 * makes the window test a little stricter or looser for a while, never
 * unsafe for memory.
 */
#include <net/tcp.h>
#include "service.h"
#include "tcp.h"

/* Next TCP state after a segment with @flags in direction @dir. */
static u8 nflb_tcp_next(u8 state, enum nflb_dir dir, u8 flags)
{
	bool orig = dir == NFLB_DIR_ORIG;

	if (flags & NFLB_TCP_RST)
		return NFLB_TCP_CLOSE;
	if (flags & NFLB_TCP_SYN) {
		if (!orig && (flags & NFLB_TCP_ACK) &&
		    state == NFLB_TCP_SYN_SENT)
			return NFLB_TCP_SYN_RECV;
		return state;
	}
	if (flags & NFLB_TCP_FIN) {
		switch (state) {
		case NFLB_TCP_SYN_RECV:
		case NFLB_TCP_ESTABLISHED:
			return orig ? NFLB_TCP_FIN_WAIT : NFLB_TCP_CLOSE_WAIT;
		case NFLB_TCP_FIN_WAIT:
			return orig ? state : NFLB_TCP_LAST_ACK;
		case NFLB_TCP_CLOSE_WAIT:
			return orig ? NFLB_TCP_LAST_ACK : state;
		default:
			return state;
		}
	}
	if (flags & NFLB_TCP_ACK) {
		if (state == NFLB_TCP_SYN_RECV && orig)
			return NFLB_TCP_ESTABLISHED;
		if (state == NFLB_TCP_LAST_ACK)
			return NFLB_TCP_TIME_WAIT;
	}
	return state;
}

/*
 * The window @pkt advertises, scaled; a SYN's window is never scaled.
 * Until the member's first answer wscale[REPLY] is NONE and nothing is
 * scaled; from then on wscale[] holds each side's shift, 0 for both unless
 * both SYNs offered scaling (nflb_tcp_first_reply()).
 */
static u32 nflb_tcp_win(const struct nflb_session *s, enum nflb_dir dir,
			const struct nflb_pkt *pkt)
{
	if ((pkt->tcp_flags & NFLB_TCP_SYN) ||
	    s->wscale[NFLB_DIR_REPLY] == NFLB_WSCALE_NONE)
		return pkt->win;
	return (u32)pkt->win << s->wscale[dir];
}

/*
 * The first packet of a session, from the client: a SYN (with or without
 * data), or any segment of a loose pickup, whose windows nflb never saw
 * negotiated: such a session is tracked liberally (as conntrack's
 * BE_LIBERAL), its sequence numbers followed but nothing dropped.
 */
void nflb_tcp_new(struct nflb_session *s, const struct nflb_pkt *pkt)
{
	bool syn = pkt->tcp_flags & NFLB_TCP_SYN;

	s->seq_next[NFLB_DIR_ORIG] = pkt->seq + pkt->seg_len;
	s->seq_next[NFLB_DIR_REPLY] = 0;
	s->maxwin[NFLB_DIR_ORIG] = pkt->win;
	s->maxwin[NFLB_DIR_REPLY] = 0;
	s->wscale[NFLB_DIR_ORIG] = pkt->wscale;
	s->wscale[NFLB_DIR_REPLY] = NFLB_WSCALE_NONE;
	s->syn_len = syn ? pkt->seg_len : 0;
	if (!syn)
		set_bit(NFLB_S_LIBERAL, &s->flags);
}

static bool nflb_tcp_in_window(const struct nflb_session *s,
			       enum nflb_dir dir, const struct nflb_pkt *pkt)
{
	u32 end = s->seq_next[dir], win = s->maxwin[!dir];

	return !before(pkt->seq + pkt->seg_len, end - win) &&
	       !after(pkt->seq, end + win);
}

/*
 * Whether the member's segment acknowledges the client's SYN: anything
 * from the SYN itself to all of the data it carried (TCP Fast Open; a
 * member that refuses the data acks the SYN only), as RFC 793 accepts an
 * ACK in SYN-SENT.
 */
static bool nflb_tcp_acks_syn(const struct nflb_session *s,
			      const struct nflb_pkt *pkt)
{
	u32 next = s->seq_next[NFLB_DIR_ORIG];

	return (pkt->tcp_flags & NFLB_TCP_ACK) &&
	       !after(pkt->ack, next) &&
	       !before(pkt->ack, next - s->syn_len + 1);
}

/*
 * The member's first segment: only a SYN-ACK or RST for the client's SYN.
 * Passive detection's TCP signals: a RST that refuses the SYN is a failed
 * handshake, a SYN-ACK a good one (a loose pickup's first segment is
 * neither).
 */
static bool nflb_tcp_first_reply(struct nflb_session *s,
				 const struct nflb_pkt *pkt)
{
	bool liberal = test_bit(NFLB_S_LIBERAL, &s->flags);

	if (!liberal && !nflb_tcp_acks_syn(s, pkt))
		return false;
	if (pkt->tcp_flags & NFLB_TCP_RST) {
		if (!liberal && s->state == NFLB_TCP_SYN_SENT)
			nflb_passive_fail(s->vs->ln, s, NFLB_FAIL_RST);
		return true;
	}
	if (!liberal)
		nflb_passive_ok(&s->member->passive);
	s->seq_next[NFLB_DIR_REPLY] = pkt->seq + pkt->seg_len;
	s->wscale[NFLB_DIR_REPLY] = pkt->wscale;
	/* RFC 7323: scaling applies only if both SYNs offered it. */
	if (pkt->wscale == NFLB_WSCALE_NONE ||
	    s->wscale[NFLB_DIR_ORIG] == NFLB_WSCALE_NONE)
		memset(s->wscale, 0, sizeof(s->wscale));
	s->maxwin[NFLB_DIR_REPLY] = nflb_tcp_win(s, NFLB_DIR_REPLY, pkt);
	WRITE_ONCE(s->seen_reply, 1);
	return true;
}

static void nflb_tcp_learn(struct nflb_session *s, enum nflb_dir dir,
			   const struct nflb_pkt *pkt)
{
	u32 end = pkt->seq + pkt->seg_len, win;

	if (!(pkt->tcp_flags & NFLB_TCP_RST) && after(end, s->seq_next[dir]))
		s->seq_next[dir] = end;
	win = nflb_tcp_win(s, dir, pkt);
	if (win > s->maxwin[dir])
		s->maxwin[dir] = win;
}

/*
 * A RST closes the session only at exactly the receiver's next expected
 * number (RFC 5961: the endpoint answers any other in-window RST with a
 * challenge ACK and keeps the connection, and so does nflb).
 */
static bool nflb_tcp_rst_exact(const struct nflb_session *s,
			       enum nflb_dir dir, const struct nflb_pkt *pkt)
{
	return pkt->seq == s->seq_next[dir] ||
	       test_bit(NFLB_S_LIBERAL, &s->flags);
}

/*
 * A connection that closes (TIME_WAIT, CLOSE, which it never leaves) stops
 * counting as its member's active connection here, on the transition, not
 * on every segment after it.  Sync peers hear of every transition.
 */
static void nflb_tcp_advance(struct nflb_session *s, enum nflb_dir dir,
			     u8 flags)
{
	u8 next = nflb_tcp_next(s->state, dir, flags);

	if (next == s->state)
		return;
	WRITE_ONCE(s->state, next);
	if (nflb_state_closed(next))
		nflb_session_closed(s);
	/* Peers follow state changes, not every packet (sync.rst). */
	nflb_session_changed(s->vs->ln, s);
}

/*
 * Tracks a segment of @s from @dir (see the top of this file).  A client
 * SYN before any answer starts the tracking over: the client may retry
 * with another initial sequence number, and until the member answers
 * there is nothing to protect.
 */
enum nflb_tcp_verdict nflb_tcp_track(struct nflb_session *s, enum nflb_dir dir,
				     const struct nflb_pkt *pkt)
{
	bool closing = pkt->tcp_flags & (NFLB_TCP_RST | NFLB_TCP_FIN);

	if (dir == NFLB_DIR_REPLY && !s->seen_reply) {
		if (!nflb_tcp_first_reply(s, pkt))
			return closing ? NFLB_TCP_DROP : NFLB_TCP_PASS;
	} else if (dir == NFLB_DIR_ORIG && !s->seen_reply &&
		   (pkt->tcp_flags & NFLB_TCP_SYN)) {
		nflb_tcp_new(s, pkt);
	} else if (test_bit(NFLB_S_LIBERAL, &s->flags) ||
		   nflb_tcp_in_window(s, dir, pkt)) {
		nflb_tcp_learn(s, dir, pkt);
		if ((pkt->tcp_flags & NFLB_TCP_RST) &&
		    !nflb_tcp_rst_exact(s, dir, pkt))
			return NFLB_TCP_PASS;
	} else {
		return closing ? NFLB_TCP_DROP : NFLB_TCP_PASS;
	}
	nflb_tcp_advance(s, dir, pkt->tcp_flags);
	return NFLB_TCP_OK;
}
