// SPDX-License-Identifier: GPL-2.0
/*
 * Session sync between load balancers (Documentation/sync.rst): peers,
 * datagrams, authentication, replay protection, heartbeats, bulk resync.
 *
 * One kernel UDP socket per namespace with sync on.  Its encap_rcv hook
 * runs in softirq and only queues the datagram (bounded) for the receive
 * worker; the table is never touched from there.  The datapath puts
 * session changes on per-CPU rings (session.c); the transmit worker drains
 * them into datagrams.  A tick every second sends heartbeats, ages peers,
 * drives the bulk resync that makes the node ready and sends a slice of
 * the refresh pass.
 *
 * Locking: ln->sync is set and cleared under cfg_mutex.  Everything in
 * struct nflb_sync below @lock is the workers' and SYNC_GET's, under
 * @lock (a mutex: the workers sleep to send).  cfg_mutex is taken before
 * @lock, and the workers never take cfg_mutex, so stopping sync under
 * cfg_mutex can wait for them.
 */
#include <linux/bitmap.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/slab.h>
#include <linux/udp.h>
#include <linux/workqueue.h>
#include <crypto/algapi.h>
#include <crypto/blake2s.h>
#include <net/udp_tunnel.h>
#include "main.h"
#include "session.h"
#include "sync.h"
#include "syncrec.h"

#define NFLB_SYNC_MAGIC		0x4e464c53	/* "NFLS" */
#define NFLB_SYNC_VERSION	1
#define NFLB_SYNC_MAC_LEN	16
/* Whole UDP payloads: never fragmented on 1,500 (IPv4) or 1,280 (IPv6). */
#define NFLB_SYNC_DGRAM4	1400
#define NFLB_SYNC_DGRAM6	1200
#define NFLB_SYNC_WINDOW	128	/* replay window, datagrams */
#define NFLB_SYNC_RXQ_MAX	1024	/* datagrams waiting for the worker */
#define NFLB_SYNC_TX_BUDGET	8192	/* notices a worker run takes */
#define NFLB_SYNC_RX_BUDGET	256	/* datagrams a worker run takes */
#define NFLB_SYNC_PEER_TTL	(3 * HZ)	/* up while heard within it */
#define NFLB_SYNC_ALONE		(3 * HZ)	/* no peer up: ready after it */
#define NFLB_SYNC_BULK_RETRY	(3 * HZ)	/* BULK_REQ unanswered */
#define NFLB_SYNC_EPOCH_AHEAD	(600ULL * NSEC_PER_SEC)
/*
 * Reliability: each peer has its own seq space, and the last
 * NFLB_SYNC_HISTORY datagrams sent to it are kept to be resent as they
 * were.  A receiver that sees a gap NACKs it after NFLB_SYNC_NACK_DELAY
 * (reordering within that costs nothing), at most NFLB_SYNC_NACK_TRIES
 * times; then it gives the datagrams up (rx_lost) and the refresh pass
 * repairs what they carried.
 */
#define NFLB_SYNC_HISTORY	128
#define NFLB_SYNC_NACK_DELAY	(HZ / 20 ?: 1)
#define NFLB_SYNC_NACK_TRIES	3
/*
 * Refresh: every session this node owns is sent again once a pass, a pass
 * spread over about NFLB_SYNC_REFRESH_PASS ticks (seconds), at most
 * NFLB_SYNC_REFRESH_MAX sessions a tick.  A peer's copy keeps the timer
 * its last record gave it; a flow busy on its owner keeps moving its own
 * timer, so without this its copy would run out while the flow lives.  It
 * also repairs records lost on the way or dropped from a full ring.
 */
#define NFLB_SYNC_REFRESH_PASS	30
#define NFLB_SYNC_REFRESH_MAX	65536

enum nflb_sync_type {
	NFLB_SYNC_DATA = 1,
	NFLB_SYNC_HEARTBEAT = 2,
	NFLB_SYNC_NACK = 3,		/* ranges of missing seqs */
	NFLB_SYNC_BULK_REQ = 4,
	NFLB_SYNC_BULK_DONE = 5,
};

/* Datagram header, version 1; a 16-byte MAC follows the records. */
struct nflb_sync_hdr {
	__be32 magic;
	u8 version;
	u8 type;			/* enum nflb_sync_type */
	u8 node;			/* sender's node id */
	u8 flags;			/* NFLB_SYNC_F_* */
	__be64 epoch;			/* sender's start, ns since 1970 */
	__be64 seq;			/* per sender and epoch */
	__be64 ack;			/* seq up to which all of the addressee's came */
} __packed;

#define NFLB_SYNC_F_READY	0x01	/* the sender is ready */

/* Heartbeat payload. */
struct nflb_sync_hb {
	__be32 sessions;		/* the sender's table size */
	__be32 pad;
} __packed;

/* NACK payload: ranges of missing seqs. */
struct nflb_sync_range {
	__be64 first;
	__be32 count;
	__be32 pad;
} __packed;

#define NFLB_SYNC_HDR		sizeof(struct nflb_sync_hdr)
#define NFLB_SYNC_MIN		(NFLB_SYNC_HDR + NFLB_SYNC_MAC_LEN)

/* A datagram as sent to one peer (with its MAC), kept to be resent. */
struct nflb_sync_sent {
	u64 seq;
	u16 len;			/* 0: slot unused */
	u8 buf[NFLB_SYNC_DGRAM4];
};

struct nflb_sync_peer {
	union nf_inet_addr addr;	/* constant */
	struct nflb_sync_sent *history;	/* NFLB_SYNC_HISTORY, by seq */
	u64 tx_seq;			/* last seq sent to it */
	u8 node_id;			/* as its datagrams say */
	u8 state;			/* enum nflb_sync_peer_state */
	unsigned long last_seen;	/* jiffies; 0 = never */
	/* Replay window: newest epoch, highest seq, seqs seen below it. */
	u64 epoch;
	u64 top;
	DECLARE_BITMAP(window, NFLB_SYNC_WINDOW);
	u64 in_order;			/* every seq up to here arrived */
	unsigned long gap_since;	/* jiffies of the last NACK; 0: no gap */
	unsigned int nacks;		/* sent for the gap */
	u64 tx_datagrams;
	u64 rx_datagrams;
	u64 rx_records;
};

struct nflb_sync {
	/* Constant while running. */
	struct nflb_net *ln;
	struct nflb_sync_cfg cfg;
	u64 epoch;
	unsigned long started;		/* jiffies */
	size_t dgram_max;
	struct socket *sock;
	struct nflb_syncq *q;
	struct work_struct tx_work;
	struct work_struct rx_work;
	struct delayed_work tick;
	struct delayed_work nack_work;
	/* Softirq to the receive worker; its own lock. */
	struct sk_buff_head rxq;
	atomic_long_t rx_queue_full;
	/* Set before the workers are cancelled; they then queue nothing. */
	bool stopping;

	struct mutex lock;		/* everything below */
	bool ready;
	int bulk_from;			/* peer asked for the table, or -1 */
	unsigned long bulk_asked;	/* jiffies */
	u32 bulk_want;			/* peers that asked us, a bit each */
	struct nflb_sync_peer peers[NFLB_SYNC_PEERS_MAX];
	struct nflb_session_iter refresh;	/* paused between ticks */
	u64 stats[NFLB_SYNC_STATS_A_MAX + 1];
	u8 tx[NFLB_SYNC_DGRAM4];	/* datagram being built */
	u8 rx[NFLB_SYNC_DGRAM4];	/* datagram being read */
};

/* Set by netlink.c; RCU, so that they can be taken away before module exit. */
static const struct nflb_sync_hooks __rcu *nflb_sync_hooks;

void nflb_sync_set_hooks(const struct nflb_sync_hooks *hooks)
{
	rcu_assign_pointer(nflb_sync_hooks, hooks);
	if (!hooks)
		synchronize_rcu();
}

static void nflb_sync_peer_info(const struct nflb_sync_peer *p,
				struct nflb_sync_peer_info *pi);

/* Moves peer @p to @state; a change is an event for `lbctl monitor`. */
static void nflb_sync_peer_state(struct nflb_sync *sync,
				 struct nflb_sync_peer *p, u8 state)
{
	const struct nflb_sync_hooks *hooks;
	struct nflb_sync_peer_info pi;

	if (p->state == state)
		return;
	p->state = state;
	nflb_sync_peer_info(p, &pi);
	rcu_read_lock();
	hooks = rcu_dereference(nflb_sync_hooks);
	if (hooks)
		hooks->peer(sync->ln->net, sync->cfg.node_id,
			    sync->cfg.family, &pi);
	rcu_read_unlock();
}

/* ---- sending -------------------------------------------------------- */

static void nflb_sync_kick(struct nflb_sync *sync, struct work_struct *w)
{
	if (!READ_ONCE(sync->stopping))
		queue_work(system_wq, w);
}

static int nflb_sync_sendto(struct nflb_sync *sync, const union nf_inet_addr *a,
			    void *buf, size_t len)
{
	struct kvec iov = { .iov_base = buf, .iov_len = len };
	struct sockaddr_in6 sin6 = {};
	struct sockaddr_in sin = {};
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };

	if (sync->cfg.family == AF_INET) {
		sin.sin_family = AF_INET;
		sin.sin_port = sync->cfg.port;
		sin.sin_addr.s_addr = a->ip;
		msg.msg_name = &sin;
		msg.msg_namelen = sizeof(sin);
	} else {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = sync->cfg.port;
		sin6.sin6_addr = a->in6;
		msg.msg_name = &sin6;
		msg.msg_namelen = sizeof(sin6);
	}
	return kernel_sendmsg(sync->sock, &msg, &iov, 1, len);
}

/* Keeps the datagram just numbered p->tx_seq, to resend it on a NACK. */
static void nflb_sync_keep(struct nflb_sync_peer *p, const u8 *buf, size_t len)
{
	struct nflb_sync_sent *e = &p->history[p->tx_seq % NFLB_SYNC_HISTORY];

	e->seq = p->tx_seq;
	e->len = len;
	memcpy(e->buf, buf, len);
}

/*
 * Sends the datagram in sync->tx (header and @len - header bytes of
 * payload) to peer @only, or to every peer when @only < 0.  Each copy
 * carries its addressee's seq and ack, hence its own MAC, and is kept in
 * that peer's history.  Under sync->lock.
 */
static void nflb_sync_send(struct nflb_sync *sync, u8 type, size_t len,
			   int only)
{
	struct nflb_sync_hdr *h = (struct nflb_sync_hdr *)sync->tx;
	struct nflb_sync_peer *p;
	unsigned int i;

	h->magic = htonl(NFLB_SYNC_MAGIC);
	h->version = NFLB_SYNC_VERSION;
	h->type = type;
	h->node = sync->cfg.node_id;
	h->flags = sync->ready ? NFLB_SYNC_F_READY : 0;
	h->epoch = cpu_to_be64(sync->epoch);
	for (i = 0; i < sync->cfg.npeers; i++) {
		if (only >= 0 && i != only)
			continue;
		p = &sync->peers[i];
		h->seq = cpu_to_be64(++p->tx_seq);
		h->ack = cpu_to_be64(p->in_order);
		blake2s(sync->tx + len, sync->tx, sync->cfg.key,
			NFLB_SYNC_MAC_LEN, len, NFLB_SYNC_KEY_LEN);
		nflb_sync_keep(p, sync->tx, len + NFLB_SYNC_MAC_LEN);
		if (nflb_sync_sendto(sync, &p->addr, sync->tx,
				     len + NFLB_SYNC_MAC_LEN) < 0) {
			sync->stats[NFLB_SYNC_STATS_A_TX_ERRORS]++;
			continue;
		}
		p->tx_datagrams++;
		sync->stats[NFLB_SYNC_STATS_A_TX_DATAGRAMS]++;
	}
}

/* Room for records in a datagram: all but the header and the MAC. */
static size_t nflb_sync_room(const struct nflb_sync *sync, size_t len)
{
	return sync->dgram_max - NFLB_SYNC_MAC_LEN - len;
}

/*
 * Drains the notice rings into DATA datagrams to every peer, at most
 * NFLB_SYNC_TX_BUDGET notices a run; more makes the worker run again.
 */
static void nflb_sync_drain(struct nflb_sync *sync)
{
	unsigned int cpu, budget = NFLB_SYNC_TX_BUDGET;
	size_t len = NFLB_SYNC_HDR;
	struct nflb_notice n;
	int r;

	for_each_possible_cpu(cpu) {
		while (budget && nflb_syncq_pop(sync->q, cpu, &n)) {
			budget--;
			if (nflb_sync_room(sync, len) < NFLB_SYNCREC_MAX) {
				nflb_sync_send(sync, NFLB_SYNC_DATA, len, -1);
				len = NFLB_SYNC_HDR;
			}
			r = nflb_syncrec_notice(sync->ln, &n, sync->cfg.node_id,
						sync->tx + len,
						nflb_sync_room(sync, len));
			if (r > 0) {
				len += r;
				sync->stats[NFLB_SYNC_STATS_A_TX_RECORDS]++;
			}
		}
	}
	if (len > NFLB_SYNC_HDR)
		nflb_sync_send(sync, NFLB_SYNC_DATA, len, -1);
	if (!budget)
		nflb_sync_kick(sync, &sync->tx_work);
}

/*
 * The whole table to peer @idx, then BULK_DONE.  The walk leaves RCU to
 * send each full datagram.  Not paced by the peer's acks yet: a table far
 * bigger than the peer's socket buffer can lose datagrams (sync.rst).
 */
static void nflb_sync_bulk(struct nflb_sync *sync, int idx)
{
	struct nflb_net *ln = sync->ln;
	size_t len = NFLB_SYNC_HDR;
	struct nflb_session_iter it;
	struct nflb_session *s;
	int r;

	nflb_session_iter_start(ln, &it);
	while ((s = nflb_session_iter_peek(ln, &it))) {
		if (nflb_sync_room(sync, len) < NFLB_SYNCREC_MAX) {
			nflb_session_iter_pause(&it);
			nflb_sync_send(sync, NFLB_SYNC_DATA, len, idx);
			len = NFLB_SYNC_HDR;
			cond_resched();
			nflb_session_iter_resume(&it);
			continue;
		}
		if (!test_bit(NFLB_S_DYING, &s->flags)) {
			r = nflb_syncrec_session(s, sync->cfg.node_id,
						 sync->tx + len,
						 nflb_sync_room(sync, len));
			if (r > 0) {
				len += r;
				sync->stats[NFLB_SYNC_STATS_A_TX_RECORDS]++;
			}
		}
		nflb_session_iter_advance(&it);
	}
	nflb_session_iter_pause(&it);
	nflb_session_iter_stop(&it);
	if (len > NFLB_SYNC_HDR)
		nflb_sync_send(sync, NFLB_SYNC_DATA, len, idx);
	nflb_sync_send(sync, NFLB_SYNC_BULK_DONE, NFLB_SYNC_HDR, idx);
}

/* A session whose changes this node reports (its creator, or sync was off). */
static bool nflb_sync_owned(const struct nflb_sync *sync,
			    const struct nflb_session *s)
{
	u8 owner = READ_ONCE(s->owner);

	return !owner || owner == sync->cfg.node_id;
}

/* Sessions the refresh walks this tick: a pass in about PASS ticks. */
static unsigned int nflb_sync_refresh_budget(struct nflb_sync *sync)
{
	unsigned int n = atomic_read(&sync->ln->tbl.count);

	return min(n / NFLB_SYNC_REFRESH_PASS + 64, NFLB_SYNC_REFRESH_MAX);
}

/*
 * One tick's slice of the refresh pass: records of the sessions this node
 * owns, to every peer.  At the end of the table the next pass starts at
 * the next tick.  The walk is paused between ticks and to send.
 */
static void nflb_sync_refresh(struct nflb_sync *sync)
{
	unsigned int budget = nflb_sync_refresh_budget(sync);
	struct nflb_session_iter *it = &sync->refresh;
	struct nflb_net *ln = sync->ln;
	size_t len = NFLB_SYNC_HDR;
	struct nflb_session *s;
	int r;

	nflb_session_iter_resume(it);
	while (budget) {
		s = nflb_session_iter_peek(ln, it);
		if (!s) {
			nflb_session_iter_pause(it);
			nflb_session_iter_stop(it);
			nflb_session_iter_start(ln, it);
			break;
		}
		if (nflb_sync_room(sync, len) < NFLB_SYNCREC_MAX) {
			nflb_session_iter_pause(it);
			nflb_sync_send(sync, NFLB_SYNC_DATA, len, -1);
			len = NFLB_SYNC_HDR;
			nflb_session_iter_resume(it);
			continue;
		}
		if (!test_bit(NFLB_S_DYING, &s->flags) &&
		    nflb_sync_owned(sync, s)) {
			r = nflb_syncrec_session(s, sync->cfg.node_id,
						 sync->tx + len,
						 nflb_sync_room(sync, len));
			if (r > 0) {
				len += r;
				sync->stats[NFLB_SYNC_STATS_A_TX_RECORDS]++;
			}
		}
		nflb_session_iter_advance(it);
		budget--;
	}
	nflb_session_iter_pause(it);
	if (len > NFLB_SYNC_HDR)
		nflb_sync_send(sync, NFLB_SYNC_DATA, len, -1);
}

static void nflb_sync_tx_work(struct work_struct *w)
{
	struct nflb_sync *sync = container_of(w, struct nflb_sync, tx_work);
	int idx;

	mutex_lock(&sync->lock);
	nflb_sync_drain(sync);
	while (sync->bulk_want) {
		idx = __ffs(sync->bulk_want);
		sync->bulk_want &= ~BIT(idx);
		nflb_sync_bulk(sync, idx);
	}
	mutex_unlock(&sync->lock);
}

/* ---- receiving ------------------------------------------------------ */

/*
 * Softirq (UDP receive): queue for the worker, bounded.  Always consumes
 * the datagram (returns 0): nothing else listens on the sync port.
 */
static int nflb_sync_encap_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct nflb_sync *sync = rcu_dereference_sk_user_data(sk);

	if (!sync) {
		kfree_skb(skb);
		return 0;
	}
	if (skb_queue_len(&sync->rxq) >= NFLB_SYNC_RXQ_MAX) {
		atomic_long_inc(&sync->rx_queue_full);
		kfree_skb(skb);
		return 0;
	}
	skb_dst_drop(skb);
	nf_reset_ct(skb);
	skb_queue_tail(&sync->rxq, skb);
	nflb_sync_kick(sync, &sync->rx_work);
	return 0;
}

static int nflb_sync_peer_find(struct nflb_sync *sync,
			       const union nf_inet_addr *a)
{
	unsigned int i;

	for (i = 0; i < sync->cfg.npeers; i++)
		if (nf_inet_addr_cmp(&sync->peers[i].addr, a))
			return i;
	return -1;
}

/*
 * WireGuard-style sliding window over (epoch, seq): a newer epoch (the
 * peer restarted) starts a new window, if it is not implausibly far in
 * the future; an older one, a seq below the window or one seen already is
 * a replay.
 */
static bool nflb_sync_replay_ok(struct nflb_sync_peer *p, u64 epoch, u64 seq)
{
	u64 d;

	if (epoch < p->epoch)
		return false;
	if (epoch > p->epoch) {
		if (epoch > ktime_get_real_ns() + NFLB_SYNC_EPOCH_AHEAD)
			return false;
		p->epoch = epoch;
		p->top = seq;
		bitmap_zero(p->window, NFLB_SYNC_WINDOW);
		__set_bit(0, p->window);
		/* What it sent before we heard it is not ours to ask for. */
		p->in_order = seq;
		p->gap_since = 0;
		p->nacks = 0;
		return true;
	}
	if (seq > p->top) {
		d = seq - p->top;
		if (d >= NFLB_SYNC_WINDOW)
			bitmap_zero(p->window, NFLB_SYNC_WINDOW);
		else
			bitmap_shift_left(p->window, p->window, d,
					  NFLB_SYNC_WINDOW);
		p->top = seq;
		__set_bit(0, p->window);
		return true;
	}
	d = p->top - seq;
	return d < NFLB_SYNC_WINDOW && !__test_and_set_bit(d, p->window);
}

/* ---- gaps, NACKs, resends -------------------------------------------- */

/* Whether seq @seq (at most p->top) of @p's current epoch arrived. */
static bool nflb_sync_seen(const struct nflb_sync_peer *p, u64 seq)
{
	u64 d = p->top - seq;

	return d < NFLB_SYNC_WINDOW && test_bit(d, p->window);
}

/* Seqs between the in-order point and the top that did not arrive. */
static unsigned int nflb_sync_missing(const struct nflb_sync_peer *p)
{
	unsigned int n = 0;
	u64 seq;

	for (seq = p->in_order + 1; seq < p->top; seq++)
		n += !nflb_sync_seen(p, seq);
	return n;
}

static void nflb_sync_gap_done(struct nflb_sync_peer *p)
{
	p->gap_since = 0;
	p->nacks = 0;
}

/*
 * After a datagram from @p was accepted: moves the in-order point, and on
 * a gap lets the NACK worker look at it after NFLB_SYNC_NACK_DELAY.  Seqs
 * that fell out of the replay window can no longer be accepted: lost.
 */
static void nflb_sync_rx_order(struct nflb_sync *sync, struct nflb_sync_peer *p)
{
	if (p->top - p->in_order > NFLB_SYNC_WINDOW) {
		sync->stats[NFLB_SYNC_STATS_A_RX_LOST] +=
			p->top - NFLB_SYNC_WINDOW - p->in_order;
		p->in_order = p->top - NFLB_SYNC_WINDOW;
	}
	while (p->in_order < p->top && nflb_sync_seen(p, p->in_order + 1))
		p->in_order++;
	if (p->in_order == p->top) {
		nflb_sync_gap_done(p);
		return;
	}
	if (!p->gap_since) {
		p->gap_since = jiffies ?: 1;
		if (!READ_ONCE(sync->stopping))
			queue_delayed_work(system_wq, &sync->nack_work,
					   NFLB_SYNC_NACK_DELAY);
	}
}

/* NACKs to peer @idx the ranges of seqs missing from it. */
static void nflb_sync_nack(struct nflb_sync *sync, int idx)
{
	struct nflb_sync_peer *p = &sync->peers[idx];
	struct nflb_sync_range *r;
	size_t len = NFLB_SYNC_HDR;
	u64 seq = p->in_order + 1, first;

	while (seq < p->top &&
	       nflb_sync_room(sync, len) >= sizeof(*r)) {
		if (nflb_sync_seen(p, seq)) {
			seq++;
			continue;
		}
		for (first = seq; seq < p->top && !nflb_sync_seen(p, seq); )
			seq++;
		r = (struct nflb_sync_range *)(sync->tx + len);
		r->first = cpu_to_be64(first);
		r->count = htonl(seq - first);
		r->pad = 0;
		len += sizeof(*r);
	}
	nflb_sync_send(sync, NFLB_SYNC_NACK, len, idx);
	sync->stats[NFLB_SYNC_STATS_A_TX_NACKS]++;
}

/*
 * A peer's gap, NFLB_SYNC_NACK_DELAY after it was seen or last NACKed:
 * NACK it again, or after NFLB_SYNC_NACK_TRIES give its datagrams up.
 * Returns whether the gap still needs the worker.
 */
static bool nflb_sync_gap(struct nflb_sync *sync, int idx)
{
	struct nflb_sync_peer *p = &sync->peers[idx];

	if (!p->gap_since)
		return false;
	if (time_before(jiffies, p->gap_since + NFLB_SYNC_NACK_DELAY))
		return true;
	if (p->nacks >= NFLB_SYNC_NACK_TRIES) {
		sync->stats[NFLB_SYNC_STATS_A_RX_LOST] += nflb_sync_missing(p);
		p->in_order = p->top;
		nflb_sync_gap_done(p);
		return false;
	}
	nflb_sync_nack(sync, idx);
	p->nacks++;
	p->gap_since = jiffies ?: 1;
	return true;
}

static void nflb_sync_nack_work(struct work_struct *w)
{
	struct nflb_sync *sync = container_of(to_delayed_work(w),
					      struct nflb_sync, nack_work);
	bool again = false;
	int i;

	mutex_lock(&sync->lock);
	for (i = 0; i < sync->cfg.npeers; i++)
		again |= nflb_sync_gap(sync, i);
	mutex_unlock(&sync->lock);
	if (again && !READ_ONCE(sync->stopping))
		queue_delayed_work(system_wq, &sync->nack_work,
				   NFLB_SYNC_NACK_DELAY);
}

/* A NACK from peer @idx: resend what of it the history still holds. */
static void nflb_sync_resend(struct nflb_sync *sync, int idx, size_t len)
{
	struct nflb_sync_peer *p = &sync->peers[idx];
	const struct nflb_sync_range *r;
	struct nflb_sync_sent *e;
	size_t off = NFLB_SYNC_HDR;
	u64 seq, end;

	for (; off + sizeof(*r) <= len; off += sizeof(*r)) {
		r = (const struct nflb_sync_range *)(sync->rx + off);
		seq = be64_to_cpu(r->first);
		end = seq + min_t(u32, ntohl(r->count), NFLB_SYNC_HISTORY);
		for (; seq < end && seq <= p->tx_seq; seq++) {
			e = &p->history[seq % NFLB_SYNC_HISTORY];
			if (e->seq != seq || !e->len)
				continue;
			if (nflb_sync_sendto(sync, &p->addr, e->buf, e->len) < 0) {
				sync->stats[NFLB_SYNC_STATS_A_TX_ERRORS]++;
				continue;
			}
			p->tx_datagrams++;
			sync->stats[NFLB_SYNC_STATS_A_TX_DATAGRAMS]++;
			sync->stats[NFLB_SYNC_STATS_A_TX_RESENT]++;
		}
	}
}

static void nflb_sync_count_rec(struct nflb_sync *sync,
				struct nflb_sync_peer *p,
				enum nflb_syncrec_result res)
{
	static const int counter[] = {
		[NFLB_SYNCREC_APPLIED] = NFLB_SYNC_STATS_A_RX_RECORDS,
		[NFLB_SYNCREC_MALFORMED] = NFLB_SYNC_STATS_A_RX_MALFORMED,
		[NFLB_SYNCREC_UNKNOWN_VS] = NFLB_SYNC_STATS_A_RX_UNKNOWN_VS,
		[NFLB_SYNCREC_UNKNOWN_MEMBER] =
			NFLB_SYNC_STATS_A_RX_UNKNOWN_MEMBER,
		[NFLB_SYNCREC_INSTALL_FAILED] =
			NFLB_SYNC_STATS_A_RX_INSTALL_FAILED,
	};

	if (res == NFLB_SYNCREC_APPLIED)
		p->rx_records++;
	if (res < ARRAY_SIZE(counter) && counter[res])
		sync->stats[counter[res]]++;
}

/* The records of a DATA datagram; a malformed one ends the datagram. */
static void nflb_sync_rx_data(struct nflb_sync *sync, struct nflb_sync_peer *p,
			      size_t len)
{
	size_t off = NFLB_SYNC_HDR;
	int r;

	while (off < len) {
		r = nflb_syncrec_len(sync->rx + off, len - off);
		if (r < 0) {
			sync->stats[NFLB_SYNC_STATS_A_RX_MALFORMED]++;
			return;
		}
		nflb_sync_count_rec(sync, p,
				    nflb_syncrec_apply(sync->ln, sync->rx + off,
						       p->node_id));
		off += r;
	}
}

static void nflb_sync_rx_type(struct nflb_sync *sync, int idx, u8 type,
			      size_t len)
{
	struct nflb_sync_peer *p = &sync->peers[idx];

	switch (type) {
	case NFLB_SYNC_DATA:
		nflb_sync_rx_data(sync, p, len);
		break;
	case NFLB_SYNC_NACK:
		nflb_sync_resend(sync, idx, len);
		break;
	case NFLB_SYNC_BULK_REQ:
		sync->bulk_want |= BIT(idx);
		nflb_sync_kick(sync, &sync->tx_work);
		break;
	case NFLB_SYNC_BULK_DONE:
		if (idx == sync->bulk_from) {
			sync->ready = true;
			sync->bulk_from = -1;
			nflb_sync_peer_state(sync, p, NFLB_SYNC_PEER_UP);
		}
		break;
	default:		/* heartbeats; types of later versions */
		break;
	}
}

/* Source address of a queued datagram. */
static void nflb_sync_rx_src(const struct sk_buff *skb, u8 family,
			     union nf_inet_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (family == AF_INET)
		a->ip = ip_hdr(skb)->saddr;
	else
		a->in6 = ipv6_hdr(skb)->saddr;
}

/* Checks, in this order: size, MAC, version, sender, replay.  Under lock. */
static void nflb_sync_rx_one(struct nflb_sync *sync, struct sk_buff *skb)
{
	int off = skb_transport_offset(skb) + sizeof(struct udphdr);
	struct nflb_sync_hdr *h = (struct nflb_sync_hdr *)sync->rx;
	u8 mac[NFLB_SYNC_MAC_LEN];
	union nf_inet_addr src;
	size_t len;
	int idx;

	if (off < 0 || skb->len < off + NFLB_SYNC_MIN ||
	    skb->len - off > sizeof(sync->rx) ||
	    skb_copy_bits(skb, off, sync->rx, skb->len - off)) {
		sync->stats[NFLB_SYNC_STATS_A_RX_MALFORMED]++;
		return;
	}
	len = skb->len - off - NFLB_SYNC_MAC_LEN;
	blake2s(mac, sync->rx, sync->cfg.key, sizeof(mac), len,
		NFLB_SYNC_KEY_LEN);
	if (crypto_memneq(mac, sync->rx + len, sizeof(mac))) {
		sync->stats[NFLB_SYNC_STATS_A_RX_BAD_MAC]++;
		return;
	}
	if (h->magic != htonl(NFLB_SYNC_MAGIC) ||
	    h->version != NFLB_SYNC_VERSION || !h->node) {
		sync->stats[NFLB_SYNC_STATS_A_RX_MALFORMED]++;
		return;
	}
	nflb_sync_rx_src(skb, sync->cfg.family, &src);
	idx = nflb_sync_peer_find(sync, &src);
	if (idx < 0) {
		sync->stats[NFLB_SYNC_STATS_A_RX_UNKNOWN_PEER]++;
		return;
	}
	if (!nflb_sync_replay_ok(&sync->peers[idx], be64_to_cpu(h->epoch),
				 be64_to_cpu(h->seq))) {
		sync->stats[NFLB_SYNC_STATS_A_RX_REPLAY]++;
		return;
	}
	sync->peers[idx].node_id = h->node;
	sync->peers[idx].last_seen = jiffies ?: 1;
	sync->peers[idx].rx_datagrams++;
	sync->stats[NFLB_SYNC_STATS_A_RX_DATAGRAMS]++;
	nflb_sync_rx_order(sync, &sync->peers[idx]);
	nflb_sync_rx_type(sync, idx, h->type, len);
}

static void nflb_sync_rx_work(struct work_struct *w)
{
	struct nflb_sync *sync = container_of(w, struct nflb_sync, rx_work);
	unsigned int budget = NFLB_SYNC_RX_BUDGET;
	struct sk_buff *skb;

	mutex_lock(&sync->lock);
	while (budget-- && (skb = skb_dequeue(&sync->rxq))) {
		nflb_sync_rx_one(sync, skb);
		consume_skb(skb);
	}
	mutex_unlock(&sync->lock);
	if (!skb_queue_empty(&sync->rxq))
		nflb_sync_kick(sync, &sync->rx_work);
}

/* ---- liveness and readiness ----------------------------------------- */

static bool nflb_sync_peer_live(const struct nflb_sync_peer *p)
{
	return p->last_seen &&
	       time_before(jiffies, p->last_seen + NFLB_SYNC_PEER_TTL);
}

/* The live peer of the lowest node id, or -1. */
static int nflb_sync_bulk_peer(struct nflb_sync *sync)
{
	int i, best = -1;

	for (i = 0; i < sync->cfg.npeers; i++)
		if (nflb_sync_peer_live(&sync->peers[i]) &&
		    (best < 0 ||
		     sync->peers[i].node_id < sync->peers[best].node_id))
			best = i;
	return best;
}

static void nflb_sync_age_peers(struct nflb_sync *sync)
{
	struct nflb_sync_peer *p;
	unsigned int i;

	for (i = 0; i < sync->cfg.npeers; i++) {
		p = &sync->peers[i];
		if (!nflb_sync_peer_live(p))
			nflb_sync_peer_state(sync, p, NFLB_SYNC_PEER_DOWN);
		else if (i == sync->bulk_from)
			nflb_sync_peer_state(sync, p, NFLB_SYNC_PEER_SYNCING);
		else
			nflb_sync_peer_state(sync, p, NFLB_SYNC_PEER_UP);
	}
}

/*
 * Not ready yet: ask the live peer of the lowest node id for its table
 * (again, if the last request went unanswered), or, when no peer has been
 * heard for NFLB_SYNC_ALONE since the start, be ready alone.
 */
static void nflb_sync_want_table(struct nflb_sync *sync)
{
	int idx = nflb_sync_bulk_peer(sync);

	if (idx < 0) {
		sync->bulk_from = -1;
		if (time_after(jiffies, sync->started + NFLB_SYNC_ALONE))
			sync->ready = true;
		return;
	}
	if (idx == sync->bulk_from &&
	    time_before(jiffies, sync->bulk_asked + NFLB_SYNC_BULK_RETRY))
		return;
	sync->bulk_from = idx;
	sync->bulk_asked = jiffies;
	nflb_sync_peer_state(sync, &sync->peers[idx], NFLB_SYNC_PEER_SYNCING);
	nflb_sync_send(sync, NFLB_SYNC_BULK_REQ, NFLB_SYNC_HDR, idx);
}

static void nflb_sync_heartbeat(struct nflb_sync *sync)
{
	struct nflb_sync_hb *hb = (void *)(sync->tx + NFLB_SYNC_HDR);

	hb->sessions = htonl(atomic_read(&sync->ln->tbl.count));
	hb->pad = 0;
	nflb_sync_send(sync, NFLB_SYNC_HEARTBEAT,
		       NFLB_SYNC_HDR + sizeof(*hb), -1);
}

static void nflb_sync_tick(struct work_struct *w)
{
	struct nflb_sync *sync = container_of(to_delayed_work(w),
					      struct nflb_sync, tick);

	mutex_lock(&sync->lock);
	nflb_sync_age_peers(sync);
	if (!sync->ready)
		nflb_sync_want_table(sync);
	nflb_sync_heartbeat(sync);
	nflb_sync_refresh(sync);
	mutex_unlock(&sync->lock);
	/* A notice whose wake-up raced with the worker waits at most this. */
	nflb_sync_kick(sync, &sync->tx_work);
	if (!READ_ONCE(sync->stopping))
		queue_delayed_work(system_wq, &sync->tick, HZ);
}

/* ---- start, stop, state ---------------------------------------------- */

static int nflb_sync_socket(struct nflb_sync *sync, struct net *net)
{
	struct udp_tunnel_sock_cfg tcfg = {
		.sk_user_data = sync,
		.encap_type = 1,
		.encap_rcv = nflb_sync_encap_rcv,
	};
	struct udp_port_cfg ucfg = {
		.family = sync->cfg.family,
		.local_udp_port = sync->cfg.port,
		.ipv6_v6only = 1,
	};
	int err;

	if (sync->cfg.family == AF_INET)
		ucfg.local_ip = sync->cfg.local.in;
	else
		ucfg.local_ip6 = sync->cfg.local.in6;
	err = udp_sock_create(net, &ucfg, &sync->sock);
	if (err)
		return err;
	setup_udp_tunnel_sock(net, sync->sock, &tcfg);
	return 0;
}

/* Memory of a stopped sync (its rings: nflb_syncq_free()). */
static void nflb_sync_free(struct nflb_sync *sync)
{
	unsigned int i;

	for (i = 0; i < NFLB_SYNC_PEERS_MAX; i++)
		kvfree(sync->peers[i].history);
	kfree_sensitive(sync);
}

static struct nflb_sync *nflb_sync_alloc(struct nflb_net *ln,
					 const struct nflb_sync_cfg *cfg)
{
	struct nflb_sync *sync;
	unsigned int i;

	sync = kzalloc(sizeof(*sync), GFP_KERNEL_ACCOUNT);
	if (!sync)
		return NULL;
	for (i = 0; i < cfg->npeers; i++) {
		sync->peers[i].history = kvcalloc(NFLB_SYNC_HISTORY,
						  sizeof(struct nflb_sync_sent),
						  GFP_KERNEL_ACCOUNT);
		if (!sync->peers[i].history) {
			nflb_sync_free(sync);
			return NULL;
		}
	}
	sync->q = nflb_syncq_alloc(cfg->node_id, &sync->tx_work);
	if (!sync->q) {
		nflb_sync_free(sync);
		return NULL;
	}
	sync->ln = ln;
	sync->cfg = *cfg;
	sync->epoch = ktime_get_real_ns();
	sync->started = jiffies;
	sync->dgram_max = cfg->family == AF_INET ? NFLB_SYNC_DGRAM4 :
						   NFLB_SYNC_DGRAM6;
	sync->bulk_from = -1;
	for (i = 0; i < cfg->npeers; i++)
		sync->peers[i].addr = cfg->peers[i];
	mutex_init(&sync->lock);
	skb_queue_head_init(&sync->rxq);
	INIT_WORK(&sync->tx_work, nflb_sync_tx_work);
	INIT_WORK(&sync->rx_work, nflb_sync_rx_work);
	INIT_DELAYED_WORK(&sync->tick, nflb_sync_tick);
	INIT_DELAYED_WORK(&sync->nack_work, nflb_sync_nack_work);
	return sync;
}

/*
 * Starts sync with @cfg (checked by the caller).  cfg_mutex, sync off.
 * Memory is charged to the caller, the namespace's owner.
 */
int nflb_sync_start(struct nflb_net *ln, const struct nflb_sync_cfg *cfg,
		    struct netlink_ext_ack *extack)
{
	struct nflb_sync *sync;
	int err;

	lockdep_assert_held(&ln->cfg_mutex);
	sync = nflb_sync_alloc(ln, cfg);
	if (!sync)
		return -ENOMEM;
	err = nflb_sync_socket(sync, ln->net);
	if (err) {
		NL_SET_ERR_MSG(extack,
			       "cannot bind the sync socket: is the local address configured in this namespace, and the port free?");
		nflb_syncq_free(ln, sync->q);
		nflb_sync_free(sync);
		return err;
	}
	nflb_session_iter_start(ln, &sync->refresh);
	nflb_session_iter_pause(&sync->refresh);
	ln->sync = sync;
	rcu_assign_pointer(ln->syncq, sync->q);
	queue_delayed_work(system_wq, &sync->tick, 0);
	return 0;
}

/*
 * Stops sync.  cfg_mutex.  First nobody new reaches the rings or the
 * socket's user data (a grace period), then the workers are stopped (they
 * queue nothing once @stopping is set), then the socket goes.
 */
void nflb_sync_stop(struct nflb_net *ln)
{
	struct nflb_sync *sync = ln->sync;

	lockdep_assert_held(&ln->cfg_mutex);
	if (!sync)
		return;
	ln->sync = NULL;
	RCU_INIT_POINTER(ln->syncq, NULL);
	rcu_assign_sk_user_data(sync->sock->sk, NULL);
	synchronize_rcu();
	WRITE_ONCE(sync->stopping, true);
	cancel_delayed_work_sync(&sync->tick);
	cancel_work_sync(&sync->rx_work);
	cancel_delayed_work_sync(&sync->nack_work);
	cancel_work_sync(&sync->tx_work);
	nflb_session_iter_stop(&sync->refresh);
	udp_tunnel_sock_release(sync->sock);
	skb_queue_purge(&sync->rxq);
	nflb_syncq_free(ln, sync->q);
	nflb_sync_free(sync);
}

static void nflb_sync_peer_info(const struct nflb_sync_peer *p,
				struct nflb_sync_peer_info *pi)
{
	pi->addr = p->addr;
	pi->node_id = p->node_id;
	pi->state = p->state;
	pi->last_seen_ms = p->last_seen ?
			   jiffies_to_msecs(jiffies - p->last_seen) ?: 1 : 0;
	pi->tx_datagrams = p->tx_datagrams;
	pi->rx_datagrams = p->rx_datagrams;
	pi->rx_records = p->rx_records;
}

/* A copy of the sync state; false when sync is off.  cfg_mutex. */
bool nflb_sync_info(struct nflb_net *ln, struct nflb_sync_info *info)
{
	struct nflb_sync *sync = ln->sync;
	unsigned int i;

	lockdep_assert_held(&ln->cfg_mutex);
	if (!sync)
		return false;
	info->node_id = sync->cfg.node_id;
	info->family = sync->cfg.family;
	info->port = sync->cfg.port;
	info->local = sync->cfg.local;
	info->npeers = sync->cfg.npeers;
	mutex_lock(&sync->lock);
	info->ready = sync->ready;
	for (i = 0; i < sync->cfg.npeers; i++)
		nflb_sync_peer_info(&sync->peers[i], &info->peers[i]);
	memcpy(info->stats, sync->stats, sizeof(info->stats));
	mutex_unlock(&sync->lock);
	info->stats[NFLB_SYNC_STATS_A_TX_DROPPED] = nflb_syncq_dropped(sync->q);
	info->stats[NFLB_SYNC_STATS_A_RX_QUEUE_FULL] =
		atomic_long_read(&sync->rx_queue_full);
	return true;
}

/*
 * A copy of the shared key as it was given (sync keeps the 32 raw bytes,
 * the BLAKE2s key of every datagram, until nflb_sync_free() clears them);
 * false when sync is off.  cfg_mutex.  Who may have it is ops.c's call.
 */
bool nflb_sync_key(struct nflb_net *ln, u8 key[NFLB_SYNC_KEY_LEN])
{
	struct nflb_sync *sync = ln->sync;

	lockdep_assert_held(&ln->cfg_mutex);
	if (!sync)
		return false;
	memcpy(key, sync->cfg.key, NFLB_SYNC_KEY_LEN);
	return true;
}
