// SPDX-License-Identifier: GPL-2.0
/*
 * Sync records: a session to and from its wire form, version 1
 * (Documentation/sync.rst).  Encoding runs in sync's transmitter (its
 * timer, in softirq, or its workers) under RCU.  Applying a record finds
 * the virtual server by its identity (VIP, port, protocol) and the member
 * by address and port in the pool's published snapshot, never by name
 * (names may differ between nodes), and installs the session with BH
 * disabled, as the datapath would create it.
 */
#include <linux/rcupdate.h>
#include <net/tcp.h>
#include "main.h"
#include "packet.h"
#include "service.h"
#include "session.h"
#include "syncrec.h"

static unsigned int nflb_addr_len(u8 family)
{
	return family == AF_INET ? 4 : 16;
}

static u8 *nflb_rec_put_addr(u8 *p, u8 family, const union nf_inet_addr *a)
{
	if (family == AF_INET)
		memcpy(p, &a->ip, 4);
	else
		memcpy(p, &a->in6, 16);
	return p + nflb_addr_len(family);
}

static const u8 *nflb_rec_get_addr(const u8 *p, u8 family,
				   union nf_inet_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (family == AF_INET)
		memcpy(&a->ip, p, 4);
	else
		memcpy(&a->in6, p, 16);
	return p + nflb_addr_len(family);
}

size_t nflb_syncrec_session_len(u8 family)
{
	return sizeof(struct nflb_syncrec_session) + 3 * nflb_addr_len(family);
}

static size_t nflb_delete_rec_len(u8 family)
{
	return sizeof(struct nflb_syncrec_delete) + 2 * nflb_addr_len(family);
}

static void nflb_rec_hdr(struct nflb_syncrec_hdr *h, u8 type, u8 family,
			 size_t len)
{
	h->type = type;
	h->family = family == AF_INET ? 4 : 6;
	h->len = htons(len);
}

/*
 * Encodes @s as a session record at @buf; @local_id stands for an owner of
 * 0 (created before sync was on).  Returns its length, or -ENOSPC.
 */
int nflb_syncrec_session(struct nflb_session *s, u8 local_id,
			 void *buf, size_t room)
{
	size_t len = nflb_syncrec_session_len(s->family);
	struct nflb_syncrec_session *r = buf;
	struct nflb_session_sync st;
	struct nflb_flow o, rp;
	u8 *p;
	int i;

	if (len > room)
		return -ENOSPC;
	nflb_session_tuple(s, NFLB_DIR_ORIG, &o);
	nflb_session_tuple(s, NFLB_DIR_REPLY, &rp);
	nflb_session_export(s, &st);
	nflb_rec_hdr(&r->h, NFLB_SYNCREC_SESSION, s->family, len);
	r->owner = st.owner ?: local_id;
	r->proto = o.proto;
	r->state = st.state;
	r->flags = st.seen_reply ? NFLB_SYNCREC_F_SEEN_REPLY : 0;
	r->timeout_ms = htonl(st.timeout_ms);
	for (i = 0; i < 2; i++) {
		r->seq_next[i] = htonl(st.seq_next[i]);
		r->maxwin[i] = htonl(st.maxwin[i]);
		r->wscale[i] = st.wscale[i];
	}
	r->syn_len = htons(st.syn_len);
	r->client_port = o.sport;
	r->vip_port = o.dport;
	r->member_port = rp.sport;
	r->pad = 0;
	p = nflb_rec_put_addr(r->addr, s->family, &o.src);
	p = nflb_rec_put_addr(p, s->family, &o.dst);
	nflb_rec_put_addr(p, s->family, &rp.src);
	/* Its end is news for the peers now (nflb_session_end_news()). */
	if (!test_bit(NFLB_S_SENT, &s->flags))
		set_bit(NFLB_S_SENT, &s->flags);
	if (nflb_state_closed(st.state) &&
	    !test_bit(NFLB_S_SENT_CLOSED, &s->flags))
		set_bit(NFLB_S_SENT_CLOSED, &s->flags);
	return len;
}

static size_t nflb_close_rec_len(u8 family)
{
	return sizeof(struct nflb_syncrec_close) + 2 * nflb_addr_len(family);
}

/*
 * @s closed after the peers had its record: a close record at @buf (its
 * state and timer; the rest of the session cannot change any more), or
 * -ENOSPC.
 */
static int nflb_syncrec_close(struct nflb_session *s, u8 local_id,
			      void *buf, size_t room)
{
	size_t len = nflb_close_rec_len(s->family);
	struct nflb_syncrec_close *r = buf;
	struct nflb_session_sync st;
	struct nflb_flow o;
	u8 *p;

	if (len > room)
		return -ENOSPC;
	nflb_session_tuple(s, NFLB_DIR_ORIG, &o);
	nflb_session_export(s, &st);
	nflb_rec_hdr(&r->h, NFLB_SYNCREC_CLOSE, s->family, len);
	r->owner = st.owner ?: local_id;
	r->proto = o.proto;
	r->state = st.state;
	r->pad = 0;
	r->timeout_ms = htonl(st.timeout_ms);
	r->client_port = o.sport;
	r->vip_port = o.dport;
	p = nflb_rec_put_addr(r->addr, s->family, &o.src);
	nflb_rec_put_addr(p, s->family, &o.dst);
	set_bit(NFLB_S_SENT_CLOSED, &s->flags);
	return len;
}

/*
 * The record of @s's change: a close record once it closed and the
 * peers have a session record of it (state cannot leave TIME_WAIT or
 * CLOSE, and nothing else of it can change), else a session record.
 */
static int nflb_syncrec_change(struct nflb_session *s, u8 local_id,
			       void *buf, size_t room)
{
	if (nflb_state_closed(READ_ONCE(s->state)) &&
	    test_bit(NFLB_S_SENT, &s->flags))
		return nflb_syncrec_close(s, local_id, buf, room);
	return nflb_syncrec_session(s, local_id, buf, room);
}

/*
 * The delete of @s, which ended, at @buf; 0 if a new session of the same
 * flow (a client reusing its port) took its place by now: the new one's
 * record, queued or sent, replaces the copy on the peers, and its notice
 * may be on another CPU's ring, drained before this one, so a delete
 * applied after it would end the new flow's copy.  Else as
 * nflb_syncrec_session().
 */
static int nflb_syncrec_delete(struct nflb_net *ln,
			       const struct nflb_session *s, u8 local_id,
			       void *buf, size_t room)
{
	size_t len = nflb_delete_rec_len(s->family);
	struct nflb_syncrec_delete *r = buf;
	struct nflb_flow f;
	u8 *p;

	nflb_session_tuple(s, NFLB_DIR_ORIG, &f);
	if (nflb_session_lookup(ln, &f))
		return 0;
	if (len > room)
		return -ENOSPC;
	nflb_rec_hdr(&r->h, NFLB_SYNCREC_DELETE, f.family, len);
	r->owner = READ_ONCE(s->owner) ?: local_id;
	r->proto = f.proto;
	r->pad = 0;
	r->client_port = f.sport;
	r->vip_port = f.dport;
	p = nflb_rec_put_addr(r->addr, f.family, &f.src);
	nflb_rec_put_addr(p, f.family, &f.dst);
	return len;
}

/*
 * The record the next notice of @cpu's ring asks for, at @buf (which has
 * room for the largest record): the session's current state, a delete if
 * it ended and the peers must hear it, or nothing (0).  Returns the
 * record's length, 0, or -ENOENT when the ring is empty; when the notice
 * was queued in *@queued.  The notice held the session (session.h), so it
 * is read as it is, not looked up again.
 */
int nflb_syncrec_next(struct nflb_net *ln, struct nflb_syncq *q,
		      unsigned int cpu, u8 local_id, void *buf, size_t room,
		      unsigned long *queued)
{
	struct nflb_session *s;
	bool gone;
	int len = 0;

	rcu_read_lock();
	s = nflb_syncq_pop(q, cpu, &gone, queued);
	if (!s) {
		len = -ENOENT;
	} else if (!gone) {
		len = nflb_syncrec_change(s, local_id, buf, room);
	} else {
		if (nflb_session_end_news(s))
			len = nflb_syncrec_delete(ln, s, local_id, buf, room);
		nflb_syncq_put_gone(s);
	}
	rcu_read_unlock();
	/*
	 * Cannot happen: the caller keeps room for the largest record.  Were
	 * it to, the change would be lost to the peers until the refresh
	 * pass (or for good, for a close or a delete): say so.
	 */
	if (WARN_ON_ONCE(len == -ENOSPC))
		len = 0;
	return len;
}

/* Length of the record at @buf if it is well formed in @room, else -EINVAL. */
int nflb_syncrec_len(const void *buf, size_t room)
{
	const struct nflb_syncrec_hdr *h = buf;
	size_t len;

	if (room < sizeof(*h))
		return -EINVAL;
	len = ntohs(h->len);
	if (len < sizeof(*h) || len % 4 || len > room)
		return -EINVAL;
	return len;
}

static bool nflb_rec_family(const struct nflb_syncrec_hdr *h, u8 *family)
{
	if (h->family == 4)
		*family = AF_INET;
	else if (h->family == 6)
		*family = AF_INET6;
	else
		return false;
	return true;
}

/*
 * The orig tuple a record names: @proto, the client's and the VIP's ports
 * and the client's and VIP's addresses at @addr.  Returns what follows
 * them.
 */
static const u8 *nflb_rec_orig(struct nflb_flow *orig, u8 family, u8 proto,
			       __be16 client_port, __be16 vip_port,
			       const u8 *addr)
{
	memset(orig, 0, sizeof(*orig));
	orig->family = family;
	orig->proto = proto;
	orig->sport = client_port;
	orig->dport = vip_port;
	addr = nflb_rec_get_addr(addr, family, &orig->src);
	return nflb_rec_get_addr(addr, family, &orig->dst);
}

/* The member at @addr:@port in @vs's pool as the datapath sees it.  RCU. */
static struct nflb_member *nflb_rec_member(struct nflb_vs *vs, u8 family,
					   const union nf_inet_addr *addr,
					   __be16 port)
{
	const struct nflb_pool_snap *snap;
	struct nflb_pool *pool;
	struct nflb_member *m;
	unsigned int i;

	pool = rcu_dereference(vs->pool);
	snap = rcu_dereference(pool->snap);
	for (i = 0; snap && i < snap->count; i++) {
		m = snap->members[i];
		if (m->family == family && m->port == port &&
		    nf_inet_addr_cmp(&m->addr, addr))
			return m;
	}
	return NULL;
}

/* A shift the datapath could not have made (it clamps to 14) is refused. */
static bool nflb_rec_wscale_ok(u8 wscale)
{
	return wscale <= TCP_MAX_WSCALE || wscale == NFLB_WSCALE_NONE;
}

static bool nflb_rec_session_ok(const struct nflb_syncrec_session *r)
{
	if (!r->owner || r->state > NFLB_STATE_MAX ||
	    !nflb_rec_wscale_ok(r->wscale[0]) ||
	    !nflb_rec_wscale_ok(r->wscale[1]))
		return false;
	if (r->proto == IPPROTO_UDP)
		return r->state == NFLB_UDP;
	return r->proto == IPPROTO_TCP && r->state != NFLB_UDP;
}

static void nflb_rec_sync(const struct nflb_syncrec_session *r,
			  struct nflb_session_sync *st)
{
	int i;

	st->owner = r->owner;
	st->state = r->state;
	st->seen_reply = r->flags & NFLB_SYNCREC_F_SEEN_REPLY;
	for (i = 0; i < 2; i++) {
		st->seq_next[i] = ntohl(r->seq_next[i]);
		st->maxwin[i] = ntohl(r->maxwin[i]);
		st->wscale[i] = r->wscale[i];
	}
	st->syn_len = ntohs(r->syn_len);
	st->timeout_ms = ntohl(r->timeout_ms);
}

static enum nflb_syncrec_result
nflb_rec_install(struct nflb_net *ln, const struct nflb_flow *orig,
		 const union nf_inet_addr *maddr, __be16 mport,
		 const struct nflb_session_sync *st)
{
	enum nflb_syncrec_result res;
	struct nflb_member *m;
	struct nflb_vs *vs;

	rcu_read_lock();
	vs = nflb_vs_find_vip(ln, orig->family, orig->proto, &orig->dst,
			      orig->dport);
	m = vs ? nflb_rec_member(vs, orig->family, maddr, mport) : NULL;
	if (!vs) {
		res = NFLB_SYNCREC_UNKNOWN_VS;
	} else if (!m) {
		res = NFLB_SYNCREC_UNKNOWN_MEMBER;
	} else {
		local_bh_disable();
		res = nflb_session_install(ln, orig, vs, m, st) ?
		      NFLB_SYNCREC_INSTALL_FAILED : NFLB_SYNCREC_APPLIED;
		local_bh_enable();
	}
	rcu_read_unlock();
	return res;
}

static enum nflb_syncrec_result
nflb_rec_apply_session(struct nflb_net *ln, const struct nflb_syncrec_session *r,
		       u8 family)
{
	struct nflb_session_sync st;
	union nf_inet_addr maddr;
	struct nflb_flow orig;
	const u8 *p;

	if (ntohs(r->h.len) != nflb_syncrec_session_len(family) ||
	    !nflb_rec_session_ok(r))
		return NFLB_SYNCREC_MALFORMED;
	p = nflb_rec_orig(&orig, family, r->proto, r->client_port, r->vip_port,
			  r->addr);
	nflb_rec_get_addr(p, family, &maddr);
	nflb_rec_sync(r, &st);
	return nflb_rec_install(ln, &orig, &maddr, r->member_port, &st);
}

/*
 * The copy here of the session @owner made whose orig tuple is @orig, or
 * NULL: only a session's owner closes or ends it on its peers (the caller
 * checked the record's owner is its sender).  RCU, BH disabled.
 */
static struct nflb_session *nflb_rec_owned(struct nflb_net *ln,
					   const struct nflb_flow *orig,
					   u8 owner)
{
	struct nflb_session *s = nflb_session_lookup(ln, orig);

	return s && READ_ONCE(s->owner) == owner ? s : NULL;
}

/* Only a session's owner closes it on its peers. */
static enum nflb_syncrec_result
nflb_rec_apply_close(struct nflb_net *ln, const struct nflb_syncrec_close *r,
		     u8 family, u8 sender_id)
{
	enum nflb_syncrec_result res = NFLB_SYNCREC_IGNORED;
	struct nflb_session *s;
	struct nflb_flow orig;

	if (ntohs(r->h.len) != nflb_close_rec_len(family) || !r->owner ||
	    r->proto != IPPROTO_TCP || !nflb_state_closed(r->state))
		return NFLB_SYNCREC_MALFORMED;
	if (r->owner != sender_id)
		return NFLB_SYNCREC_IGNORED;
	nflb_rec_orig(&orig, family, r->proto, r->client_port, r->vip_port,
		      r->addr);
	rcu_read_lock();
	local_bh_disable();
	s = nflb_rec_owned(ln, &orig, r->owner);
	if (s) {
		nflb_session_sync_close(s, r->state, ntohl(r->timeout_ms));
		res = NFLB_SYNCREC_APPLIED;
	}
	local_bh_enable();
	rcu_read_unlock();
	return res;
}

/* Only a session's owner ends it on its peers. */
static enum nflb_syncrec_result
nflb_rec_apply_delete(struct nflb_net *ln, const struct nflb_syncrec_delete *r,
		      u8 family, u8 sender_id)
{
	enum nflb_syncrec_result res = NFLB_SYNCREC_IGNORED;
	struct nflb_flow orig;
	struct nflb_session *s;

	if (ntohs(r->h.len) != nflb_delete_rec_len(family) || !r->owner)
		return NFLB_SYNCREC_MALFORMED;
	if (r->owner != sender_id)
		return NFLB_SYNCREC_IGNORED;
	nflb_rec_orig(&orig, family, r->proto, r->client_port, r->vip_port,
		      r->addr);
	rcu_read_lock();
	local_bh_disable();
	s = nflb_rec_owned(ln, &orig, r->owner);
	if (s && nflb_session_expire(ln, s, NFLB_RST_NONE))
		res = NFLB_SYNCREC_APPLIED;
	local_bh_enable();
	rcu_read_unlock();
	return res;
}

/*
 * Applies one record (its length checked by nflb_syncrec_len()) that the
 * peer of node id @sender_id sent.  Record types of later versions are
 * ignored, not refused.
 */
enum nflb_syncrec_result nflb_syncrec_apply(struct nflb_net *ln,
					    const void *rec, u8 sender_id)
{
	const struct nflb_syncrec_hdr *h = rec;
	u8 family;

	if (h->type != NFLB_SYNCREC_SESSION && h->type != NFLB_SYNCREC_DELETE &&
	    h->type != NFLB_SYNCREC_CLOSE)
		return NFLB_SYNCREC_IGNORED;
	if (!nflb_rec_family(h, &family))
		return NFLB_SYNCREC_MALFORMED;
	if (h->type == NFLB_SYNCREC_SESSION)
		return nflb_rec_apply_session(ln, rec, family);
	if (h->type == NFLB_SYNCREC_CLOSE)
		return nflb_rec_apply_close(ln, rec, family, sender_id);
	return nflb_rec_apply_delete(ln, rec, family, sender_id);
}
