// SPDX-License-Identifier: GPL-2.0
/*
 * Session sync between load balancers (Documentation/sync.rst): peers,
 * datagrams, authentication, replay protection, heartbeats, bulk resync.
 *
 * One kernel UDP socket per namespace with sync on.  Its encap_rcv hook
 * runs in softirq and only queues the datagram of a configured peer
 * (within that peer's share of the queue) for the receive worker; the
 * table is never touched from there.  The datapath puts
 * session changes on per-CPU rings (session.c); the transmit timer drains
 * them into datagrams, in softirq: a batch costs a timer, not a worker's
 * wake-up and two context switches.  Every datagram leaves as an skb built
 * here, sent with the peer's cached route (udp_tunnel_xmit_skb()), from
 * softirq or a worker alike.  A tick every second sends heartbeats, ages
 * peers, drives the bulk resync that makes the node ready and sends a
 * slice of the refresh pass.  A bulk walk for a peer that asked for the
 * table runs in the transmit worker, paced by that peer's acks.
 *
 * Locking: ln->sync is set and cleared under cfg_mutex.  Two locks inside
 * struct nflb_sync, taken in this order (and no lock that process context
 * takes with BH on, such as a session table's walk lock, ever inside
 * @txlock, which softirq takes):
 * - @lock, a mutex: the workers' state and SYNC_GET's (the receive side,
 *   the walk, the refresh pass, peers' liveness, readiness);
 * - @txlock, a BH spinlock: what a datagram's sending changes (each peer's
 *   seq, history, owed acks and cached route; the live datagram; the
 *   rate; the transmit counters), shared by the transmit timer (softirq)
 *   and the workers, which send with it held and BH off.
 * cfg_mutex is taken before both, and the workers never take cfg_mutex, so
 * stopping sync under cfg_mutex can wait for them.  The peers' array of
 * struct nflb_sync is under @lock too, but for what struct nflb_sync_peer
 * says is constant, softirq's or @txlock's; encap_rcv reads only constant
 * state and those fields.
 */
#include <linux/bitmap.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/slab.h>
#include <linux/udp.h>
#include <linux/workqueue.h>
#include <crypto/blake2s.h>
#include <crypto/chacha20poly1305.h>
#include <net/dst_cache.h>
#include <net/ip6_route.h>
#include <net/udp_tunnel.h>
#include "hooks.h"
#include "main.h"
#include "redirect.h"
#include "session.h"
#include "sync.h"
#include "syncrec.h"

#define NFLB_SYNC_MAGIC		0x4e464c53	/* "NFLS" */
#define NFLB_SYNC_VERSION	3
#define NFLB_SYNC_MAC_LEN	CHACHA20POLY1305_AUTHTAG_SIZE	/* 16 */
/* Whole UDP payloads: never fragmented on 1,500 (IPv4) or 1,280 (IPv6). */
#define NFLB_SYNC_DGRAM4	1400
#define NFLB_SYNC_DGRAM6	1200
#define NFLB_SYNC_WINDOW	128	/* replay window, datagrams */
/*
 * Bytes (truesize) of datagrams waiting for the receive worker, shared out
 * equally among the peers: a flood from one source address, real or
 * spoofed, fills its own share and never another peer's.
 */
#define NFLB_SYNC_RXQ_BYTES	(4 << 20)
/*
 * A drain's work, in datagram sends (a datagram to each peer): about 2,000
 * notices with one peer.  The timer drains in softirq, so a backlog beyond
 * it goes on in the transmit worker.
 */
#define NFLB_SYNC_TX_BUDGET	80
/* Bytes of a short connection's record, about (a datagram's share). */
#define NFLB_SYNC_REC_BYTES	56
#define NFLB_SYNC_RX_BUDGET	256	/* datagrams a worker run takes */
#define NFLB_SYNC_PEER_TTL	(3 * HZ)	/* up while heard within it */
#define NFLB_SYNC_ALONE		(3 * HZ)	/* no peer up: ready after it */
/*
 * No ready peer up, but one was heard since this node went not ready: it
 * may be slow rather than gone, and its table is what this node lacks.
 */
#define NFLB_SYNC_ALONE_HEARD	(10 * HZ)
#define NFLB_SYNC_BULK_RETRY	(3 * HZ)	/* BULK_REQ unanswered */
/*
 * A datagram that starts a new window (a new epoch, or the first heard)
 * must have been sent within this of the receiver's clock: a recording
 * cannot start a window later (sync.rst, Authentication).
 */
#define NFLB_SYNC_FRESH		(30LL * NSEC_PER_SEC)
/* A peer's NACKs are handled at most once in this. */
#define NFLB_SYNC_NACK_MIN	(HZ / 50 ?: 1)
/*
 * Reliability: each peer has its own seq space, and the last
 * NFLB_SYNC_HISTORY datagrams sent to it are kept to be resent as they
 * were.  A receiver that sees a gap NACKs it after NFLB_SYNC_NACK_DELAY
 * (reordering within that costs nothing), at most NFLB_SYNC_NACK_TRIES
 * times; then it gives the datagrams up (rx_lost) and the refresh pass
 * repairs what they carried of open sessions (closed ones it passes
 * over: a short connection's only record, lost, stays lost).  So the
 * tries make a loss rare: each fails when the NACK or the resend is lost,
 * 36 % of the time at 20 % loss, all 8 once in ~3,600 lost datagrams
 * (3 tries: once in 21).  A seq missing when a round of tries started
 * is given up at its end, one found missing meanwhile gets a round of its
 * own.  Datagrams after a gap wait for it, about 450 ms (9 x 50) when
 * every try fails.
 */
#define NFLB_SYNC_HISTORY	128
#define NFLB_SYNC_NACK_DELAY	(HZ / 20 ?: 1)
#define NFLB_SYNC_NACK_TRIES	8
/*
 * A gap in the datagrams of the peer we pull the table from is NACKed this
 * often (a second's worth) before it is given up: given up, the walk has
 * a hole and is asked for again whole, a walk of the whole table.  The
 * walk is paced by our acks, so while the gap lasts the walker waits for
 * it rather than sending past it.
 */
#define NFLB_SYNC_NACK_TRIES_BULK	20
/*
 * Refresh: every session this node owns is sent again once a pass, a pass
 * spread over about NFLB_SYNC_REFRESH_PASS ticks (seconds), at most
 * NFLB_SYNC_REFRESH_MAX sessions a tick.  A peer's copy keeps the timer
 * its last record gave it; a flow busy on its owner keeps moving its own
 * timer, so without this its copy would run out while the flow lives.  It
 * also repairs records lost on the way or dropped from a full ring.  Each
 * tick adds a slice to what the pass may visit (at most two slices'
 * worth), and the transmit worker sends it paced by the peers' acks as
 * the bulk walk is: the pass goes no faster than its slowest live peer
 * installs, and skips the peers that are pulling our table (the walk
 * sends them everything) and those that are down (they pull when back).
 * A closed session (TIME_WAIT, CLOSE) is not sent again: its record went
 * when it closed, and a copy that runs out before the owner's (a late
 * segment moved the owner's timer) costs nothing, the connection is over;
 * a record lost beyond the NACKs leaves the copy to its own timeout or
 * the owner's delete.  Short connections spend most of their life
 * closed: the pass now costs them nothing.
 */
#define NFLB_SYNC_REFRESH_PASS	30
#define NFLB_SYNC_REFRESH_MAX	65536
/*
 * Acks: a receiver acks a peer (an ACK datagram, a bare header) once
 * NFLB_SYNC_ACK_EVERY of its datagrams that want an ack arrived, or
 * NFLB_SYNC_ACK_DELAY after the first of them, unless a datagram it sent
 * the peer meanwhile carried the ack.  ACKs and NACKs want none, so that
 * acks never answer acks.  Live changes need no acks (losses are NACKed by
 * the receiver); acks pace bulk walks and the refresh pass, which get one
 * every NFLB_SYNC_ACK_EVERY, and measure the lag.  An ACK costs both nodes
 * about what a DATA datagram does, so the delay is longer than the
 * heartbeat interval (HZ), and the heartbeat every node sends every peer
 * each second carries the ack.  So a node's peers send it an ACK datagram
 * only every 32 of its datagrams and when a gap closes
 * (nflb_sync_rx_order()), not every 250 ms as before, four a second, each
 * a wake-up and a MAC check on the node.  A bulk walk's datagrams count
 * twice: a walk gets an ack every 16, four in its window of
 * NFLB_SYNC_INFLIGHT, so that it stalls (until the next heartbeat) only
 * when four acks in a row are lost, not two; live changes, which need
 * none, cost the node an ACK's receive only every 32.
 */
#define NFLB_SYNC_ACK_EVERY	32
#define NFLB_SYNC_ACK_DELAY	(HZ + HZ / 2)
/*
 * Bulk walk: at most NFLB_SYNC_INFLIGHT datagrams to the requester not
 * acked yet (the receive queue holds NFLB_SYNC_RXQ_BYTES, the send history
 * NFLB_SYNC_HISTORY: a lost one can still be resent), and at most
 * NFLB_SYNC_WALK_BUDGET datagrams and NFLB_SYNC_WALK_VISIT sessions a
 * worker run.
 */
#define NFLB_SYNC_INFLIGHT	64
#define NFLB_SYNC_WALK_BUDGET	16
#define NFLB_SYNC_WALK_VISIT	4096	/* sessions a run (skipped ones too) */
/*
 * Sessions a datagram's fill visits at most (skipped ones too), with BH
 * off under txlock: a table of mostly closed or foreign sessions sends a
 * datagram less full rather than hold the timer off for long.
 */
#define NFLB_SYNC_FILL_VISIT	512
/*
 * BULK_REQ: a peer's walk starts at most once per this or the time its
 * previous walk took, whichever is longer, after that walk ended: an
 * authenticated but buggy or compromised peer can keep this node walking
 * at most half the time.  Requests beyond it are refused (BULK_NO, with
 * when to ask again) and counted (bulk_refused).
 */
#define NFLB_SYNC_WALK_GAP	(5 * HZ)
#define NFLB_SYNC_RETRY_MAX_MS	60000	/* a BULK_NO's retry, at most */
/* Rate: records may leave in a burst of at most this much time's worth. */
#define NFLB_SYNC_BURST_NS	(NSEC_PER_SEC / 10)

enum nflb_sync_type {
	NFLB_SYNC_DATA = 1,
	NFLB_SYNC_HEARTBEAT = 2,
	NFLB_SYNC_NACK = 3,		/* ranges of missing seqs */
	NFLB_SYNC_BULK_REQ = 4,
	NFLB_SYNC_BULK_DONE = 5,	/* payload: struct nflb_sync_done */
	NFLB_SYNC_ACK = 6,		/* no payload: the header's ack */
	NFLB_SYNC_BULK_NO = 7,		/* payload: struct nflb_sync_no */
};

/*
 * Datagram header, version 3; a 16-byte MAC follows the records, the tag
 * of XChaCha20-Poly1305 with the header and records as associated data
 * and nothing to encrypt, under the key of the direction (sender's address
 * to addressee's, see nflb_sync_dir_key()), so a datagram verifies only at
 * its addressee and only as coming from its sender's address.  Its nonce
 * is the header's epoch and seq (nflb_sync_nonce()).
 */
struct nflb_sync_hdr {
	__be32 magic;
	u8 version;
	u8 type;			/* enum nflb_sync_type */
	u8 node;			/* sender's node id */
	u8 flags;			/* NFLB_SYNC_F_* */
	__be64 epoch;			/* sender's start, ns since 1970 */
	__be64 seq;			/* per sender, epoch and addressee */
	__be64 ack;			/* seq up to which all of the addressee's came */
	__be64 time;			/* sender's clock when sent, ns since 1970 */
	u8 to;				/* addressee's node id; 0: not heard yet */
	u8 pad[3];
} __packed;

#define NFLB_SYNC_F_READY	0x01	/* the sender is ready */
#define NFLB_SYNC_F_BULK	0x02	/* DATA: part of a bulk walk */
#define NFLB_SYNC_F_OWNED	0x04	/* BULK_REQ: the addressee's own only */
/*
 * The sender runs owner redirect: it takes redirects, so it may own flows.
 * Bit 3 said so for redirect wire version 1, bit 4 for version 2 (its own
 * keys): a node counts as owners only peers that take the version it
 * sends, so nodes of the two versions redirect nothing to each other.
 * Senders of version 1 ignored unknown bits.
 */
#define NFLB_SYNC_F_REDIRECT_V1	0x08	/* neither sent nor honoured */
#define NFLB_SYNC_F_REDIRECT	0x10

/* Heartbeat payload. */
struct nflb_sync_hb {
	__be32 sessions;		/* the sender's table size */
	__be32 pad;
} __packed;

/* BULK_DONE payload: the walk's datagrams are those from @first on. */
struct nflb_sync_done {
	__be64 first;
} __packed;

/*
 * BULK_NO payload: a BULK_REQ refused.  NOT_READY: this node is itself
 * pulling, and has no table to give yet (ask another peer, or wait); BUSY:
 * a walk for the requester runs, waits its turn, or ended too recently
 * (ask again after @retry_ms).
 */
struct nflb_sync_no {
	u8 reason;			/* NFLB_SYNC_NO_* */
	u8 pad[3];
	__be32 retry_ms;
} __packed;

#define NFLB_SYNC_NO_NOT_READY	1
#define NFLB_SYNC_NO_BUSY	2

/* NACK payload: ranges of missing seqs. */
struct nflb_sync_range {
	__be64 first;
	__be32 count;
	__be32 pad;
} __packed;

#define NFLB_SYNC_HDR		sizeof(struct nflb_sync_hdr)
#define NFLB_SYNC_MIN		(NFLB_SYNC_HDR + NFLB_SYNC_MAC_LEN)

/*
 * A datagram as sent to one peer (with its MAC), kept to be resent.  @buf
 * is one of the datagram buffers (NFLB_SYNC_DGRAM4 bytes each) of
 * nflb_sync_keep(): a kept datagram is usually not copied but its buffer
 * handed over, so which buffer a slot holds changes as it is reused.
 */
struct nflb_sync_sent {
	u64 seq;
	unsigned long sent;		/* jiffies, first sent */
	u16 len;			/* 0: slot unused */
	u8 type;			/* enum nflb_sync_type */
	u8 *buf;
};

/*
 * A DATA datagram that arrived after a gap, held until the gap is filled
 * or given up: records are applied in the order their owner sent them, so
 * a resent datagram never undoes what a later one did (a create resent
 * after its session's delete would leave a session nobody refreshes or
 * deletes).  The header and records, MAC checked; seq 0: slot unused.
 */
struct nflb_sync_held {
	u64 seq;
	u16 len;
	u8 buf[NFLB_SYNC_DGRAM4 - NFLB_SYNC_MAC_LEN];
};

struct nflb_sync_peer {
	/* Constant while running. */
	union nf_inet_addr addr;
	struct nflb_sync_sent *history;	/* NFLB_SYNC_HISTORY, by seq */
	u8 *history_mem;		/* NFLB_SYNC_HISTORY buffers, to free */
	/* NFLB_SYNC_WINDOW of them, by seq; under sync->lock. */
	struct nflb_sync_held *held;
	/* MAC keys, XChaCha20-Poly1305's (redirect derives keys of its own) */
	u8 tx_key[CHACHA20POLY1305_KEY_SIZE];	/* this node to the peer */
	u8 rx_key[CHACHA20POLY1305_KEY_SIZE];	/* the peer to this node */
	/*
	 * Receive queue share, softirq and receive worker: bytes queued
	 * (atomic) and when a datagram was last dropped for the share being
	 * full (jiffies, 0 = never; READ_ONCE/WRITE_ONCE).
	 */
	atomic_t rxq_bytes;
	unsigned long rxq_full_at;

	/*
	 * Under sync->txlock: what sending to it changes.  @tx_seq only
	 * grows while sync runs; sync->lock's side may read it with
	 * READ_ONCE for a window or a bound (it can only be later).
	 */
	u64 tx_seq;			/* last seq sent to it */
	unsigned int owed;		/* its datagrams we have not acked, walks' x2 */
	unsigned long owed_since;	/* jiffies the first of them came */
	u64 tx_datagrams;
	struct dst_cache dst_cache;	/* route to it: per-CPU, BH off */

	/*
	 * The rest under sync->lock.  @node_id and @in_order go out in every
	 * header, read with READ_ONCE under txlock: a datagram sent while
	 * one changes carries the value before or after, both true.
	 */
	u64 acked;			/* its ack: our seqs up to it arrived */
	/*
	 * Pinned to the peer's address by its first accepted datagram and
	 * never changed while sync runs (0 until then): delete authorisation
	 * and the bulk peer choice rely on it.
	 */
	u8 node_id;
	bool id_warned;			/* a conflict of node ids was logged */
	bool ready;			/* its last datagram said it is ready */
	bool redirect;			/* ... and that it runs owner redirect */
	u8 state;			/* enum nflb_sync_peer_state */
	unsigned long last_seen;	/* jiffies; 0 = never */
	unsigned long nack_at;		/* jiffies its last NACK was handled */
	/* Replay window: newest epoch, highest seq, seqs seen below it. */
	u64 epoch;
	u64 top;
	DECLARE_BITMAP(window, NFLB_SYNC_WINDOW);
	u64 in_order;			/* every seq up to here arrived */
	unsigned long gap_since;	/* jiffies of the last NACK; 0: no gap */
	unsigned int nacks;		/* sent for the gap */
	u64 gap_upto;			/* its last seq missing at the 1st NACK */
	u64 lost_upto;			/* its seqs up to it may be given up */
	/* As requester of its table: */
	u64 bulk_base;			/* in_order when we asked */
	u64 bulk_done;			/* seq of its BULK_DONE; 0: none yet */
	u64 bulk_first;			/* first seq of its walk */
	unsigned long refused_at;	/* jiffies it said NOT_READY; 0: never */
	/* As walker for it: it asked for the sessions we own only. */
	bool want_owned;
	/* Its last walk: ended when (jiffies, 0: none yet), took how long. */
	unsigned long walk_ended;
	unsigned long walk_took;
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
	/*
	 * Our own unbound workqueue, not system_wq: a long work item there
	 * that does not sleep (the rhashtable's rehash of a big table) holds
	 * its CPU's pool, and heartbeats, acks and the walk waited behind
	 * it for seconds, long enough for peers to take each other for down
	 * in the middle of a bulk resync.
	 */
	struct workqueue_struct *wq;
	struct nflb_redir *redir;	/* NULL: redirect off */
	/* Drains the notice rings (session.h): what the datapath changed. */
	struct timer_list tx_timer;
	/* The walk and the refresh pass; drains too (hurried, a backlog). */
	struct work_struct tx_work;
	struct work_struct rx_work;
	struct delayed_work tick;
	struct delayed_work nack_work;
	struct delayed_work ack_work;
	/* The transmit worker, later: the rate has room for the walk again. */
	struct delayed_work tx_later;
	/*
	 * Softirq to the receive worker; its own lock.  Only datagrams of a
	 * plausible size from configured peers, within each peer's share.
	 */
	struct sk_buff_head rxq;
	size_t rxq_share;		/* constant: bytes a peer may have queued */
	/* Refused in softirq, before the worker; atomic. */
	atomic_long_t rx_queue_full;
	atomic_long_t rx_bad_size;
	atomic_long_t rx_unknown_src;
	/* Set before the workers are cancelled; they then queue nothing. */
	bool stopping;

	/* Under @txlock; the TX_* counters of @stats too, but TX_NACKS. */
	spinlock_t txlock;
	u64 tat;			/* rate (GCRA): budget whole at, ns */
	/*
	 * Live changes waiting for a full datagram or their due time: the
	 * buffer changes at each send (nflb_sync_keep()).
	 */
	u8 *live;
	size_t live_len;		/* header included */
	unsigned long live_due;		/* jiffies, while it holds records */
	unsigned int drain_from;	/* the CPU whose ring a drain starts at */

	struct mutex lock;		/* everything below */
	/* Written under @lock, read in every header (READ_ONCE, txlock). */
	bool ready;
	/* Requester: the peer asked for its table, or -1; when; progress. */
	int bulk_from;
	bool bulk_owned;		/* asked it for its own sessions only */
	unsigned long bulk_asked;	/* jiffies of the last BULK_REQ */
	unsigned long bulk_heard;	/* jiffies of its last walk datagram */
	unsigned long bulk_next;	/* its BULK_NO: ask again then; 0: - */
	unsigned long want_since;	/* jiffies it went not ready */
	unsigned long ready_heard;	/* jiffies a ready peer was; 0: - */
	/* Walker: peers that asked us, a bit each; the one walked for. */
	u32 bulk_want;
	int walk_to;			/* -1: no walk */
	u64 walk_first;			/* first seq of the walk to it */
	u64 walk_epoch;			/* its epoch when the walk started */
	unsigned long walk_started;	/* jiffies */
	struct nflb_session_iter walk;	/* entered and paused while walking */
	/* jiffies a local change last left: txlock writes, @lock reads */
	unsigned long served;
	struct nflb_sync_peer peers[NFLB_SYNC_PEERS_MAX];
	struct nflb_session_iter refresh;	/* paused between runs */
	unsigned int refresh_credit;	/* sessions the pass may still visit */
	bool refresh_waits;		/* for a peer's ack: it kicks tx_work */
	u64 stats[NFLB_SYNC_STATS_A_MAX + 1];
	/*
	 * The datagram being built: the buffer changes at each send
	 * (nflb_sync_keep()), which holds @lock and txlock, so that a
	 * builder under @lock sees it stay.
	 */
	u8 *tx;
	u8 rx[NFLB_SYNC_DGRAM4];	/* datagram being read */
	/* The buffers @tx and @live start with. */
	u8 spare[2][NFLB_SYNC_DGRAM4];
};

/* Set by netlink.c; RCU, so that they can be taken away before module exit. */
static const struct nflb_sync_hooks __rcu *nflb_sync_hooks;

void nflb_sync_set_hooks(const struct nflb_sync_hooks *hooks)
{
	rcu_assign_pointer(nflb_sync_hooks, hooks);
	if (!hooks)
		synchronize_rcu();
}

static void nflb_sync_peer_info(struct nflb_sync *sync,
				const struct nflb_sync_peer *p,
				struct nflb_sync_peer_info *pi);
static bool nflb_sync_peer_live(const struct nflb_sync_peer *p);

/* Moves peer @p to @state; a change is an event for `lbctl monitor`. */
static void nflb_sync_peer_state(struct nflb_sync *sync,
				 struct nflb_sync_peer *p, u8 state)
{
	const struct nflb_sync_hooks *hooks;
	struct nflb_sync_peer_info pi;

	if (p->state == state)
		return;
	p->state = state;
	nflb_sync_peer_info(sync, p, &pi);
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
		queue_work(sync->wq, w);
}

/*
 * The @len bytes at @buf as a UDP payload in a new skb, with room for the
 * headers of @dst's way out.  GFP_ATOMIC: under txlock.
 */
static struct sk_buff *nflb_sync_skb(const struct dst_entry *dst,
				     unsigned int iphlen, const u8 *buf,
				     size_t len)
{
	unsigned int head = LL_RESERVED_SPACE(dst->dev) + iphlen +
			    sizeof(struct udphdr);
	struct sk_buff *skb;

	skb = alloc_skb(head + len, GFP_ATOMIC);
	if (!skb)
		return NULL;
	skb_reserve(skb, head);
	skb_put_data(skb, buf, len);
	return skb;
}

/*
 * Without DF, as the redirects: a narrow hop fragments a sync datagram
 * rather than losing it.  No UDP checksum: the MAC covers it all.
 */
static int nflb_sync_xmit4(struct nflb_sync *sync, struct nflb_sync_peer *p,
			   const u8 *buf, size_t len)
{
	struct sock *sk = sync->sock->sk;
	struct flowi4 fl4 = {
		.daddr = p->addr.ip,
		.saddr = sync->cfg.local.ip,
		.flowi4_proto = IPPROTO_UDP,
		.fl4_dport = sync->cfg.port,
		.fl4_sport = sync->cfg.port,
	};
	struct sk_buff *skb;
	struct rtable *rt;
	__be32 saddr;

	rt = dst_cache_get_ip4(&p->dst_cache, &saddr);
	if (!rt) {
		rt = ip_route_output_key(sock_net(sk), &fl4);
		if (IS_ERR(rt))
			return PTR_ERR(rt);
		saddr = fl4.saddr;
		dst_cache_set_ip4(&p->dst_cache, &rt->dst, saddr);
	}
	skb = nflb_sync_skb(&rt->dst, sizeof(struct iphdr), buf, len);
	if (!skb) {
		ip_rt_put(rt);
		return -ENOMEM;
	}
	udp_tunnel_xmit_skb(rt, sk, skb, saddr, p->addr.ip, 0,
			    ip4_dst_hoplimit(&rt->dst), 0, sync->cfg.port,
			    sync->cfg.port, false, true);
	return 0;
}

/* IPv6: fragmented here if the route is narrower (routers never do). */
static int nflb_sync_xmit6(struct nflb_sync *sync, struct nflb_sync_peer *p,
			   const u8 *buf, size_t len)
{
	struct sock *sk = sync->sock->sk;
	struct flowi6 fl6 = {
		.daddr = p->addr.in6,
		.saddr = sync->cfg.local.in6,
		.flowi6_proto = IPPROTO_UDP,
		.fl6_dport = sync->cfg.port,
		.fl6_sport = sync->cfg.port,
	};
	struct dst_entry *dst;
	struct in6_addr saddr;
	struct sk_buff *skb;

	dst = dst_cache_get_ip6(&p->dst_cache, &saddr);
	if (!dst) {
		dst = ip6_dst_lookup_flow(sock_net(sk), sk, &fl6, NULL);
		if (IS_ERR(dst))
			return PTR_ERR(dst);
		saddr = fl6.saddr;
		dst_cache_set_ip6(&p->dst_cache, dst, &saddr);
	}
	skb = nflb_sync_skb(dst, sizeof(struct ipv6hdr), buf, len);
	if (!skb) {
		dst_release(dst);
		return -ENOMEM;
	}
	skb->ignore_df = 1;
	return udp_tunnel6_xmit_skb(dst, sk, skb, NULL, &saddr, &p->addr.in6,
				    0, ip6_dst_hoplimit(dst), 0, sync->cfg.port,
				    sync->cfg.port, true);
}

/* Sends the datagram at @buf to peer @p and counts it.  Under txlock. */
static bool nflb_sync_xmit(struct nflb_sync *sync, struct nflb_sync_peer *p,
			   const u8 *buf, size_t len)
{
	int err;

	lockdep_assert_held(&sync->txlock);
	err = sync->cfg.family == AF_INET ? nflb_sync_xmit4(sync, p, buf, len) :
					    nflb_sync_xmit6(sync, p, buf, len);
	if (err < 0) {
		sync->stats[NFLB_SYNC_STATS_A_TX_ERRORS]++;
		return false;
	}
	p->tx_datagrams++;
	sync->stats[NFLB_SYNC_STATS_A_TX_DATAGRAMS]++;
	return true;
}

/*
 * Keeps the datagram at *@buf just numbered p->tx_seq, to resend it on a
 * NACK, and returns the kept copy.  With @give, the datagram is not
 * copied: its buffer goes to the history and the slot's old buffer to
 * *@buf (sync->tx or sync->live), whose contents the caller no longer
 * needs.  A 1.4 KB copy is a large part of a datagram's cost.
 */
static const u8 *nflb_sync_keep(struct nflb_sync_peer *p, u8 type, u8 **buf,
				size_t len, bool give)
{
	struct nflb_sync_sent *e = &p->history[p->tx_seq % NFLB_SYNC_HISTORY];

	e->seq = p->tx_seq;
	e->sent = jiffies;
	e->len = len;
	e->type = type;
	if (give)
		swap(e->buf, *buf);
	else
		memcpy(e->buf, *buf, len);
	return e->buf;
}

/*
 * The nonce of a datagram's MAC: its header's epoch and seq as sent (big
 * endian), then zeros.  Unique under a direction key: epoch is the
 * sender's start and seq grows by one for every datagram it sends the
 * addressee in that epoch; a resend is the kept datagram, bytes and tag
 * unchanged (sync.rst, Authentication).
 */
static void nflb_sync_nonce(u8 nonce[XCHACHA20POLY1305_NONCE_SIZE],
			    const u8 *dgram)
{
	const struct nflb_sync_hdr *h = (const struct nflb_sync_hdr *)dgram;

	BUILD_BUG_ON(XCHACHA20POLY1305_NONCE_SIZE <
		     sizeof(h->epoch) + sizeof(h->seq));
	memcpy(nonce, &h->epoch, sizeof(h->epoch));
	memcpy(nonce + sizeof(h->epoch), &h->seq, sizeof(h->seq));
	memset(nonce + sizeof(h->epoch) + sizeof(h->seq), 0,
	       XCHACHA20POLY1305_NONCE_SIZE - sizeof(h->epoch) -
	       sizeof(h->seq));
}

/*
 * Writes the MAC of the @len bytes (header and records) at @dgram right
 * after them: XChaCha20-Poly1305 of an empty plaintext with the datagram
 * as associated data, so the tag is all it writes (the plaintext and its
 * ciphertext, 0 bytes, are where the tag goes).
 */
static void nflb_sync_mac(u8 *dgram, size_t len, const u8 *key)
{
	u8 nonce[XCHACHA20POLY1305_NONCE_SIZE];

	nflb_sync_nonce(nonce, dgram);
	xchacha20poly1305_encrypt(dgram + len, dgram + len, 0, dgram, len,
				  nonce, key);
}

/*
 * Whether the MAC after the @len bytes at @dgram is theirs under @key
 * (compared in constant time).  @len is at least the header's: a shorter
 * datagram is refused by its size before (encap_rcv, NFLB_SYNC_MIN).
 */
static bool nflb_sync_mac_ok(u8 *dgram, size_t len, const u8 *key)
{
	u8 nonce[XCHACHA20POLY1305_NONCE_SIZE];

	nflb_sync_nonce(nonce, dgram);
	/* The "plaintext" decrypted is 0 bytes long: nothing is written. */
	return xchacha20poly1305_decrypt(dgram + len, dgram + len,
					 NFLB_SYNC_MAC_LEN, dgram, len, nonce,
					 key);
}

/* Whether a datagram of @type asks its addressee for an ack. */
static bool nflb_sync_wants_ack(u8 type)
{
	return type != NFLB_SYNC_ACK && type != NFLB_SYNC_NACK;
}

/* Peer @only's bit, or every peer's when @only < 0. */
static u32 nflb_sync_mask(const struct nflb_sync *sync, int only)
{
	return only >= 0 ? BIT(only) : GENMASK(sync->cfg.npeers - 1, 0);
}

/*
 * Sends the datagram at *@bufp (sync->tx or sync->live: header and @len -
 * header bytes of payload) to the peers of @mask, a bit each, with header
 * flags @flags besides READY.  Each copy carries its addressee's seq and
 * ack (so nothing more is owed it), hence its own MAC, and is kept in
 * that peer's history; the last one's by handing *@bufp over
 * (nflb_sync_keep()), so the caller builds its next datagram in whatever
 * *@bufp then is.  Under txlock.
 */
static void __nflb_sync_send_buf(struct nflb_sync *sync, u8 **bufp, u8 type,
				 u8 flags, size_t len, u32 mask)
{
	struct nflb_sync_hdr *h = (struct nflb_sync_hdr *)*bufp;
	struct nflb_sync_peer *p;
	const u8 *kept;
	u32 left;
	unsigned int i;

	lockdep_assert_held(&sync->txlock);
	/* Its builders, under @lock, must see sync->tx stay (struct nflb_sync). */
	if (bufp == &sync->tx)
		lockdep_assert_held(&sync->lock);

	h->magic = htonl(NFLB_SYNC_MAGIC);
	h->version = NFLB_SYNC_VERSION;
	h->type = type;
	h->node = sync->cfg.node_id;
	h->flags = flags | (READ_ONCE(sync->ready) ? NFLB_SYNC_F_READY : 0) |
		   (sync->redir ? NFLB_SYNC_F_REDIRECT : 0);
	h->epoch = cpu_to_be64(sync->epoch);
	h->time = cpu_to_be64(ktime_get_real_ns());
	memset(h->pad, 0, sizeof(h->pad));
	mask &= nflb_sync_mask(sync, -1);
	for (left = mask; left; left &= left - 1) {
		i = __ffs(left);
		p = &sync->peers[i];
		/* Only grows: a reader under sync->lock needs no txlock. */
		WRITE_ONCE(p->tx_seq, p->tx_seq + 1);
		h->seq = cpu_to_be64(p->tx_seq);
		h->ack = cpu_to_be64(READ_ONCE(p->in_order));
		h->to = READ_ONCE(p->node_id);
		p->owed = 0;
		nflb_sync_mac(*bufp, len, p->tx_key);
		/* The last addressee takes the buffer: @h is not read again. */
		kept = nflb_sync_keep(p, type, bufp, len + NFLB_SYNC_MAC_LEN,
				      left == BIT(i));
		nflb_sync_xmit(sync, p, kept, len + NFLB_SYNC_MAC_LEN);
	}
}

/* sync->tx, built under sync->lock, sent as __nflb_sync_send_buf(). */
static void nflb_sync_send_flags(struct nflb_sync *sync, u8 type, u8 flags,
				 size_t len, int only)
{
	lockdep_assert_held(&sync->lock);
	spin_lock_bh(&sync->txlock);
	__nflb_sync_send_buf(sync, &sync->tx, type, flags, len,
			     nflb_sync_mask(sync, only));
	spin_unlock_bh(&sync->txlock);
}

static void nflb_sync_send(struct nflb_sync *sync, u8 type, size_t len,
			   int only)
{
	nflb_sync_send_flags(sync, type, 0, len, only);
}

/*
 * The transmit worker runs by @when (jiffies, after now), or sooner if
 * tx_later was due sooner: the rate has room for the walk or the refresh
 * pass again.  Kicks that ask for at once go to tx_work instead, which
 * this never touches.
 */
static void nflb_sync_run_by(struct nflb_sync *sync, unsigned long when)
{
	struct delayed_work *dw = &sync->tx_later;

	/* Pending with no timer: queued to run now. */
	if (READ_ONCE(sync->stopping) ||
	    (delayed_work_pending(dw) &&
	     (!timer_pending(&dw->timer) ||
	      time_before_eq(READ_ONCE(dw->timer.expires), when))))
		return;
	mod_delayed_work(sync->wq, dw, nflb_jiffies_until(when));
}

/*
 * The transmit timer runs by @when (jiffies; one due now runs at the next
 * tick), or sooner if it was due sooner.
 */
static void nflb_sync_live_by(struct nflb_sync *sync, unsigned long when)
{
	if (!READ_ONCE(sync->stopping))
		timer_reduce(&sync->tx_timer, when);
}

/*
 * Rate (GCRA): a record costs NSEC_PER_SEC / rate of budget; @tat is when
 * the budget spent so far is back, and records may leave while it is less
 * than NFLB_SYNC_BURST_NS ahead.  What waits meanwhile stays in the rings
 * (or the walk, or the refresh pass).  Under txlock.  This one: the
 * nanoseconds from @now until a record may leave; 0: it may now.
 */
static u64 nflb_sync_rate_wait(const struct nflb_sync *sync, u64 now)
{
	u64 cost = NSEC_PER_SEC / sync->cfg.rate;
	u64 tat = max(sync->tat, now);

	if (tat + cost <= now + NFLB_SYNC_BURST_NS)
		return 0;
	return tat + cost - now - NFLB_SYNC_BURST_NS;
}

/* Records the rate lets leave at @now, for a run that reads the clock once. */
static unsigned int nflb_sync_rate_room(const struct nflb_sync *sync, u64 now)
{
	u64 cost = NSEC_PER_SEC / sync->cfg.rate;
	u64 tat = max(sync->tat, now);

	if (tat > now + NFLB_SYNC_BURST_NS)
		return 0;
	return min_t(u64, div64_u64(now + NFLB_SYNC_BURST_NS - tat, cost),
		     UINT_MAX);
}

static void nflb_sync_rate_spend(struct nflb_sync *sync, u64 now,
				 unsigned int records)
{
	sync->tat = max(sync->tat, now) +
		    (u64)records * (NSEC_PER_SEC / sync->cfg.rate);
	sync->stats[NFLB_SYNC_STATS_A_TX_RECORDS] += records;
}

/*
 * For the walk and the refresh pass (sync->lock): whether the rate has
 * room for a datagram's records now; if not, the transmit worker runs
 * again once it has.  Asked once a datagram, and the datagram's records
 * are spent when it leaves (nflb_sync_send_paced()): a datagram may go
 * past the rate by its own records, well within the burst.
 */
static bool nflb_sync_rate_ok(struct nflb_sync *sync)
{
	u64 wait;

	spin_lock_bh(&sync->txlock);
	wait = nflb_sync_rate_wait(sync, ktime_get_ns());
	spin_unlock_bh(&sync->txlock);
	if (!wait)
		return true;
	nflb_sync_run_by(sync, jiffies + nsecs_to_jiffies(wait) + 1);
	return false;
}

/*
 * A datagram of the walk or the refresh pass is filled in sync->tx and
 * sent with txlock held throughout: a live record encoded after one of its
 * records (a delete) then leaves after it, with a higher seq, and the
 * peers, which apply datagrams in seq order, never apply a session's
 * older state over its newer one (a ghost of a session that ended).  This
 * sends it (@len, @records records) to each peer of @mask, its records
 * spent from the rate; nothing if it holds none.  Under txlock.
 */
static void nflb_sync_send_paced(struct nflb_sync *sync, u8 flags, size_t len,
				 u32 mask, unsigned int records)
{
	lockdep_assert_held(&sync->lock);
	if (len == NFLB_SYNC_HDR)
		return;
	nflb_sync_rate_spend(sync, ktime_get_ns(), records);
	__nflb_sync_send_buf(sync, &sync->tx, NFLB_SYNC_DATA, flags, len, mask);
}

/* Room for records in a datagram: all but the header and the MAC. */
static size_t nflb_sync_room(const struct nflb_sync *sync, size_t len)
{
	return sync->dgram_max - NFLB_SYNC_MAC_LEN - len;
}

/*
 * Live changes: records taken from the rings wait in sync->live until a
 * datagram is full, and leave then, or when the oldest record in it is
 * due (the batch delay after its notice was queued).  A datagram costs
 * both nodes far more than a record (the MAC, the UDP send and receive),
 * so a busy node sends full ones only, and what is left over after them
 * waits for the changes that follow rather than leaving half empty; an
 * idle node's peers lag by the delay.  Under txlock.
 */
/* A record due at @due joins sync->live: called before it is added. */
static void nflb_sync_live_date(struct nflb_sync *sync, unsigned long due)
{
	if (sync->live_len == NFLB_SYNC_HDR ||
	    time_before(due, sync->live_due))
		sync->live_due = due;
}

static void nflb_sync_live_send(struct nflb_sync *sync)
{
	__nflb_sync_send_buf(sync, &sync->live, NFLB_SYNC_DATA, 0,
			     sync->live_len, nflb_sync_mask(sync, -1));
	sync->live_len = NFLB_SYNC_HDR;
}

/*
 * The end of a drain: what is in sync->live leaves if full or due, else
 * the transmit timer runs again by the time it is due.
 */
static void nflb_sync_live_flush(struct nflb_sync *sync)
{
	if (sync->live_len > NFLB_SYNC_HDR &&
	    (nflb_sync_room(sync, sync->live_len) < NFLB_SYNCREC_MAX ||
	     time_after_eq(jiffies, sync->live_due)))
		nflb_sync_live_send(sync);
	if (sync->live_len > NFLB_SYNC_HDR)
		nflb_sync_live_by(sync, sync->live_due);
}

/* What a drain run may still do, and what it did. */
struct nflb_sync_drain {
	unsigned int notices;		/* left to take */
	unsigned int room;		/* records the rate lets leave */
	unsigned int records;		/* taken */
	unsigned long delay;		/* jiffies: the batch delay */
	bool hurried;			/* everything is due now */
};

/*
 * Drains @cpu's ring into sync->live while @d allows; false once it no
 * longer does (the ring may hold more).
 */
static bool nflb_sync_drain_cpu(struct nflb_sync *sync, unsigned int cpu,
				struct nflb_sync_drain *d)
{
	unsigned long queued;
	int r;

	while (d->notices && d->records < d->room) {
		/* Full: it leaves. */
		if (nflb_sync_room(sync, sync->live_len) < NFLB_SYNCREC_MAX)
			nflb_sync_live_send(sync);
		r = nflb_syncrec_next(sync->ln, sync->q, cpu, sync->cfg.node_id,
				      sync->live + sync->live_len,
				      nflb_sync_room(sync, sync->live_len),
				      &queued);
		if (r < 0)
			return true;
		d->notices--;
		if (r > 0) {
			nflb_sync_live_date(sync, d->hurried ? jiffies :
					    queued + d->delay);
			sync->live_len += r;
			d->records++;
		}
	}
	return false;
}

/*
 * Drains the notice rings into sync->live, at most NFLB_SYNC_TX_BUDGET
 * datagram sends' worth of notices a run and what the rate allows; more
 * makes the transmit worker go on (or the timer run again when the rate
 * has room).  A run that stopped short starts the next at the ring after
 * the one it stopped in, so that no CPU's ring waits for the others'.  The rate is
 * reckoned at the start of the run (the clock read once, not twice a
 * record): a run never sends more than it had room for then.  Under
 * txlock.
 */
static void nflb_sync_drain(struct nflb_sync *sync)
{
	struct nflb_sync_drain d = {
		.notices = NFLB_SYNC_TX_BUDGET *
			   (sync->dgram_max / NFLB_SYNC_REC_BYTES) /
			   sync->cfg.npeers,
		.delay = sync->q->delay,
		.hurried = nflb_syncq_hurried(sync->q),
	};
	unsigned int cpu = sync->drain_from, n;
	u64 now = ktime_get_ns(), wait;
	bool stop;

	d.room = nflb_sync_rate_room(sync, now);
	/* What waits in sync->live and every ring is due now. */
	if (d.hurried)
		nflb_sync_live_date(sync, jiffies);
	for (n = 0; n < nr_cpu_ids; n++) {
		stop = cpu_possible(cpu) && !nflb_sync_drain_cpu(sync, cpu, &d);
		cpu = cpu + 1 < nr_cpu_ids ? cpu + 1 : 0;
		if (stop)
			break;
	}
	/* After the ring it stopped in: every ring gets its turn first. */
	sync->drain_from = cpu;
	if (d.records) {
		nflb_sync_rate_spend(sync, now, d.records);
		/* This node carries traffic: see rejoin(). */
		WRITE_ONCE(sync->served, jiffies ?: 1);
	}
	/*
	 * More than a run's budget: the transmit worker goes on, or the timer
	 * at the next tick if the worker is busy with a walk.  The rate's
	 * room taken: again when it has room (the clock may have given some
	 * since the run's start).
	 */
	if (!d.notices) {
		nflb_sync_kick(sync, &sync->tx_work);
		nflb_sync_live_by(sync, jiffies + 1);
	} else if (d.records == d.room) {
		wait = nflb_sync_rate_wait(sync, ktime_get_ns());
		nflb_sync_live_by(sync, jiffies + (wait ?
				  nsecs_to_jiffies(wait) + 1 : 0));
	}
	nflb_sync_live_flush(sync);
}

/* The transmit timer: what the datapath changed leaves.  Softirq. */
static void nflb_sync_tx_timer(struct timer_list *t)
{
	struct nflb_sync *sync = from_timer(sync, t, tx_timer);

	spin_lock(&sync->txlock);
	nflb_sync_drain(sync);
	spin_unlock(&sync->txlock);
}

/* A session whose changes this node reports (its creator, or sync was off). */
static bool nflb_sync_owned(const struct nflb_sync *sync,
			    const struct nflb_session *s)
{
	u8 owner = READ_ONCE(s->owner);

	return !owner || owner == sync->cfg.node_id;
}

/*
 * The bulk walk: the whole table to one peer that asked (BULK_REQ), then
 * BULK_DONE, whose payload says which seqs the walk used.  One walk runs
 * at a time; the peers that asked meanwhile wait in bulk_want.  The walk
 * sends while fewer than NFLB_SYNC_INFLIGHT datagrams to the peer are
 * unacked, so that its receive queue never overflows however big the
 * table; its acks run the worker again.  A resize of the table restarts
 * the rhashtable walk from the start of the table (records sent twice are
 * harmless); a peer that goes down, or asks again, ends it.
 */

/*
 * Ends the walk (paused), and notes when and how long it took: the next
 * walk for that peer waits for it (nflb_sync_walk_wait()).  Under
 * sync->lock.
 */
static void nflb_sync_walk_end(struct nflb_sync *sync)
{
	struct nflb_sync_peer *p;

	if (sync->walk_to < 0)
		return;
	p = &sync->peers[sync->walk_to];
	p->walk_ended = jiffies ?: 1;
	p->walk_took = jiffies - sync->walk_started;
	nflb_session_iter_stop(&sync->walk);
	sync->walk_to = -1;
}

/*
 * Jiffies until peer @p may have a walk again: NFLB_SYNC_WALK_GAP, or as
 * long as its last walk took, after that walk ended; 0: now.
 */
static unsigned long nflb_sync_walk_wait(const struct nflb_sync_peer *p)
{
	unsigned long next;

	if (!p->walk_ended)
		return 0;
	next = p->walk_ended + max_t(unsigned long, NFLB_SYNC_WALK_GAP,
				     p->walk_took);
	return time_before(jiffies, next) ? next - jiffies : 0;
}

/* Starts the walk for the next peer that asked, if any. */
static bool nflb_sync_walk_next(struct nflb_sync *sync)
{
	int idx;

	if (!sync->bulk_want)
		return false;
	idx = __ffs(sync->bulk_want);
	sync->bulk_want &= ~BIT(idx);
	sync->walk_to = idx;
	/* Live datagrams may come in between: harmless (BULK_DONE). */
	sync->walk_first = READ_ONCE(sync->peers[idx].tx_seq) + 1;
	sync->walk_epoch = sync->peers[idx].epoch;
	sync->walk_started = jiffies;
	sync->stats[NFLB_SYNC_STATS_A_BULK_WALKS]++;
	nflb_session_iter_start(sync->ln, &sync->walk);
	nflb_session_iter_pause(&sync->walk);
	return true;
}

/* The end of the walk: BULK_DONE, and the next walk, if any. */
static void nflb_sync_walk_done(struct nflb_sync *sync)
{
	struct nflb_sync_done *d = (void *)(sync->tx + NFLB_SYNC_HDR);
	int idx = sync->walk_to;

	d->first = cpu_to_be64(sync->walk_first);
	nflb_sync_send(sync, NFLB_SYNC_BULK_DONE, NFLB_SYNC_HDR + sizeof(*d),
		       idx);
	nflb_sync_walk_end(sync);
	if (sync->bulk_want)
		nflb_sync_kick(sync, &sync->tx_work);
}

/*
 * A paced pass over the table, the bulk walk or the refresh pass: which
 * sessions it sends and to whom, and what bounds one of its runs.
 */
struct nflb_sync_pass {
	struct nflb_session_iter *it;
	u32 mask;			/* the peers it sends to, a bit each */
	u8 flags;			/* NFLB_SYNC_F_* of its datagrams */
	bool owned_only;		/* the sessions this node owns only */
	bool open_only;			/* not the closed ones */
	unsigned int *credit;		/* sessions it may still visit; NULL: - */
	unsigned int visit;		/* sessions this run may still visit */
	unsigned int sent;		/* datagrams this run sent */
};

/* Whether pass @ps sends a record of @s. */
static bool nflb_sync_pass_wants(const struct nflb_sync *sync,
				 const struct nflb_sync_pass *ps,
				 const struct nflb_session *s)
{
	return !test_bit(NFLB_S_DYING, &s->flags) &&
	       (!ps->open_only || !nflb_state_closed(READ_ONCE(s->state))) &&
	       (!ps->owned_only || nflb_sync_owned(sync, s));
}

/*
 * Fills sync->tx (*@len, header included) with records of pass @ps while
 * it has room, the run and the pass's credit may visit sessions, and at
 * most NFLB_SYNC_FILL_VISIT in this fill; *@end at the end of the table
 * the iterator is in (the caller moves to the next one, which takes the
 * table's lock: never under txlock).  Returns the records.  Under txlock,
 * RCU.
 */
static unsigned int nflb_sync_pass_fill(struct nflb_sync *sync,
					struct nflb_sync_pass *ps,
					size_t *len, bool *end)
{
	unsigned int records = 0, n = NFLB_SYNC_FILL_VISIT;
	struct nflb_session *s;
	int r;

	while (ps->visit && (!ps->credit || *ps->credit) && n-- &&
	       nflb_sync_room(sync, *len) >= NFLB_SYNCREC_MAX) {
		ps->visit--;
		s = nflb_session_iter_peek_table(ps->it);
		if (!s) {
			*end = true;
			break;
		}
		if (nflb_sync_pass_wants(sync, ps, s)) {
			r = nflb_syncrec_session(s, sync->cfg.node_id,
						 sync->tx + *len,
						 nflb_sync_room(sync, *len));
			if (r > 0) {
				*len += r;
				records++;
			}
		}
		nflb_session_iter_advance(ps->it);
		if (ps->credit)
			(*ps->credit)--;
	}
	return records;
}

/*
 * Pass @ps's next datagram, filled and sent with txlock held (see
 * nflb_sync_send_paced()).  False once the pass is past both tables; the
 * iterator stays in RCU either way.  Under sync->lock.
 */
static bool nflb_sync_pass_step(struct nflb_sync *sync,
				struct nflb_sync_pass *ps)
{
	size_t len = NFLB_SYNC_HDR;
	unsigned int records;
	bool end = false;

	spin_lock_bh(&sync->txlock);
	records = nflb_sync_pass_fill(sync, ps, &len, &end);
	nflb_sync_send_paced(sync, ps->flags, len, ps->mask, records);
	spin_unlock_bh(&sync->txlock);
	if (len > NFLB_SYNC_HDR)
		ps->sent++;
	/* The next table, or the end of both. */
	return !end || nflb_session_iter_peek(sync->ln, ps->it);
}

/*
 * A step of the walk: datagrams while the peer's window and the rate have
 * room, at most NFLB_SYNC_WALK_BUDGET.  The walk leaves RCU between them.
 */
static void nflb_sync_walk(struct nflb_sync *sync)
{
	struct nflb_sync_pass ps = {
		.it = &sync->walk,
		.flags = NFLB_SYNC_F_BULK,
		.visit = NFLB_SYNC_WALK_VISIT,
	};
	struct nflb_sync_peer *p;
	bool done = false;

	if (sync->walk_to < 0 && !nflb_sync_walk_next(sync))
		return;
	p = &sync->peers[sync->walk_to];
	ps.mask = BIT(sync->walk_to);
	ps.owned_only = p->want_owned;
	nflb_session_iter_resume(&sync->walk);
	while (!done && ps.visit && ps.sent < NFLB_SYNC_WALK_BUDGET &&
	       READ_ONCE(p->tx_seq) - p->acked < NFLB_SYNC_INFLIGHT &&
	       nflb_sync_rate_ok(sync)) {
		done = !nflb_sync_pass_step(sync, &ps);
		nflb_session_iter_pause(&sync->walk);
		cond_resched();
		nflb_session_iter_resume(&sync->walk);
	}
	nflb_session_iter_pause(&sync->walk);
	if (done)
		nflb_sync_walk_done(sync);
	else if (ps.sent == NFLB_SYNC_WALK_BUDGET || !ps.visit)
		nflb_sync_kick(sync, &sync->tx_work);
}

/* Sessions a tick adds to the pass's credit: a pass in about PASS ticks. */
static unsigned int nflb_sync_refresh_budget(struct nflb_sync *sync)
{
	unsigned int n = atomic_read(&sync->ln->tbl.count);

	return min(n / NFLB_SYNC_REFRESH_PASS + 64, NFLB_SYNC_REFRESH_MAX);
}

/*
 * The tick's slice of the refresh pass: credit for the transmit worker,
 * which sends it as the peers' acks allow.  Credit left unspent (the
 * peers are slower than a pass in PASS ticks) is kept up to a second
 * slice, so the pass slows down to what the peers install.
 */
static void nflb_sync_refresh_tick(struct nflb_sync *sync)
{
	unsigned int slice = nflb_sync_refresh_budget(sync);

	sync->refresh_credit = min(sync->refresh_credit + slice, 2 * slice);
}

/*
 * The peers the refresh pass sends to: live ones that are not pulling our
 * table (the walk sends them all of it; a refresh besides would only
 * double their load while they pull); a bit each.
 */
static u32 nflb_sync_refresh_peers(struct nflb_sync *sync)
{
	u32 mask = 0;
	unsigned int i;

	for (i = 0; i < sync->cfg.npeers; i++)
		if (nflb_sync_peer_live(&sync->peers[i]) &&
		    (int)i != sync->walk_to && !(sync->bulk_want & BIT(i)))
			mask |= BIT(i);
	return mask;
}

/* Whether each peer of @mask has room for a datagram in its window. */
static bool nflb_sync_window_open(struct nflb_sync *sync, u32 mask)
{
	const struct nflb_sync_peer *p;
	unsigned int i;

	for (i = 0; i < sync->cfg.npeers; i++) {
		p = &sync->peers[i];
		if ((mask & BIT(i)) &&
		    READ_ONCE(p->tx_seq) - p->acked >= NFLB_SYNC_INFLIGHT)
			return false;
	}
	return true;
}

/*
 * A step of the refresh pass: records of the sessions this node owns, to
 * the peers of nflb_sync_refresh_peers(), while the credit lasts, each of
 * them has fewer than NFLB_SYNC_INFLIGHT datagrams unacked and the rate
 * has room; at most NFLB_SYNC_WALK_BUDGET datagrams and
 * NFLB_SYNC_WALK_VISIT sessions a run, as the walk.  Waiting for an ack,
 * the ack runs the worker again (refresh_waits).  At the end of the table
 * the next pass starts with the next tick's credit.  Under sync->lock.
 */
static void nflb_sync_refresh(struct nflb_sync *sync)
{
	struct nflb_session_iter *it = &sync->refresh;
	struct nflb_sync_pass ps = {
		.it = it,
		.owned_only = true,
		.open_only = true,
		.credit = &sync->refresh_credit,
		.visit = NFLB_SYNC_WALK_VISIT,
	};
	bool more = false;

	sync->refresh_waits = false;
	/*
	 * Not while pulling the whole table: this node's CPU is what the
	 * pull waits for, and what it owns is what it had before (nothing,
	 * after a start).
	 */
	if (!sync->refresh_credit || !sync->ready)
		return;
	ps.mask = nflb_sync_refresh_peers(sync);
	if (!ps.mask)
		return;
	nflb_session_iter_resume(it);
	while (sync->refresh_credit) {
		if (!ps.visit || ps.sent == NFLB_SYNC_WALK_BUDGET) {
			more = true;
			break;
		}
		if (!nflb_sync_window_open(sync, ps.mask)) {
			sync->refresh_waits = true;
			break;
		}
		/* Beyond the rate, tx_later runs the worker again. */
		if (!nflb_sync_rate_ok(sync))
			break;
		if (!nflb_sync_pass_step(sync, &ps)) {
			/* The end of the pass: the next starts with a tick. */
			nflb_session_iter_pause(it);
			nflb_session_iter_stop(it);
			nflb_session_iter_start(sync->ln, it);
			sync->refresh_credit = 0;
			break;
		}
		nflb_session_iter_pause(it);
		cond_resched();
		nflb_session_iter_resume(it);
	}
	nflb_session_iter_pause(it);
	if (more)
		nflb_sync_kick(sync, &sync->tx_work);
}

/*
 * What the transmit worker does, whichever way it was queued.  It drains
 * too: a redirected packet's owner hurries its notices here (a wake-up
 * now, not the timer's next tick), and a backlog beyond a timer run's
 * budget goes on here.
 */
static void nflb_sync_transmit(struct nflb_sync *sync)
{
	spin_lock_bh(&sync->txlock);
	nflb_sync_drain(sync);
	spin_unlock_bh(&sync->txlock);
	mutex_lock(&sync->lock);
	nflb_sync_walk(sync);
	nflb_sync_refresh(sync);
	mutex_unlock(&sync->lock);
}

static void nflb_sync_tx_work(struct work_struct *w)
{
	nflb_sync_transmit(container_of(w, struct nflb_sync, tx_work));
}

/* The rate has room again for the walk or the refresh pass. */
static void nflb_sync_tx_later(struct work_struct *w)
{
	nflb_sync_transmit(container_of(to_delayed_work(w), struct nflb_sync,
					tx_later));
}

/* ---- receiving ------------------------------------------------------ */

/* What encap_rcv leaves in a queued skb's cb for the receive worker. */
struct nflb_sync_skb_cb {
	int peer;			/* index of the source's peer */
	unsigned int charge;		/* bytes taken from its share */
};

#define NFLB_SYNC_SKB_CB(skb)	((struct nflb_sync_skb_cb *)(skb)->cb)

/* Index of the peer of address @a, or -1.  Reads only constant state. */
static int nflb_sync_peer_find(struct nflb_sync *sync,
			       const union nf_inet_addr *a)
{
	unsigned int i;

	for (i = 0; i < sync->cfg.npeers; i++)
		if (nf_inet_addr_cmp(&sync->peers[i].addr, a))
			return i;
	return -1;
}

/* Source address of a received datagram. */
static void nflb_sync_rx_src(const struct sk_buff *skb, u8 family,
			     union nf_inet_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (family == AF_INET)
		a->ip = ip_hdr(skb)->saddr;
	else
		a->in6 = ipv6_hdr(skb)->saddr;
}

/*
 * Softirq (UDP receive): queue for the worker what may be a datagram of a
 * configured peer, within that peer's share of the queue.  The size and
 * the source are checked here, before anything is queued: the
 * configuration is constant while sync runs, so this needs no lock, and a
 * flood from a source that is no peer costs no queue space at all.
 * Always consumes the datagram (returns 0): nothing else listens on the
 * sync port.
 */
static int nflb_sync_encap_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct nflb_sync *sync = rcu_dereference_sk_user_data(sk);
	int off = skb_transport_offset(skb) + sizeof(struct udphdr);
	struct nflb_sync_peer *p;
	struct nflb_redir *rd;
	union nf_inet_addr src;
	unsigned int charge;
	int idx;

	if (!sync)
		goto drop;
	/* Pairs with nflb_sync_redir_alloc()'s release: set up, or NULL. */
	rd = smp_load_acquire(&sync->redir);
	if (rd && nflb_redir_is_encap(skb)) {
		nflb_hooks_redirected(sync->ln, rd, skb);
		return 0;
	}
	if (off < 0 || skb->len < off + NFLB_SYNC_MIN ||
	    skb->len - off > sync->dgram_max) {
		atomic_long_inc(&sync->rx_bad_size);
		goto drop;
	}
	nflb_sync_rx_src(skb, sync->cfg.family, &src);
	idx = nflb_sync_peer_find(sync, &src);
	if (idx < 0) {
		atomic_long_inc(&sync->rx_unknown_src);
		goto drop;
	}
	p = &sync->peers[idx];
	charge = skb->truesize;
	if (atomic_add_return(charge, &p->rxq_bytes) > sync->rxq_share) {
		atomic_sub(charge, &p->rxq_bytes);
		WRITE_ONCE(p->rxq_full_at, jiffies ?: 1);
		atomic_long_inc(&sync->rx_queue_full);
		goto drop;
	}
	NFLB_SYNC_SKB_CB(skb)->peer = idx;
	NFLB_SYNC_SKB_CB(skb)->charge = charge;
	/* Queued past this softirq: hold no route, conntrack or device. */
	skb_dst_drop(skb);
	nf_reset_ct(skb);
	skb->dev = NULL;
	skb_queue_tail(&sync->rxq, skb);
	nflb_sync_kick(sync, &sync->rx_work);
	return 0;
drop:
	kfree_skb(skb);
	return 0;
}

/* Whether @time, a sender's clock, is within NFLB_SYNC_FRESH of ours. */
static bool nflb_sync_fresh(u64 time)
{
	s64 d = (s64)(time - ktime_get_real_ns());

	return d <= NFLB_SYNC_FRESH && d >= -NFLB_SYNC_FRESH;
}

/* Drops what @p's previous epoch left held: it is never applied. */
static void nflb_sync_held_clear(struct nflb_sync_peer *p)
{
	unsigned int i;

	for (i = 0; i < NFLB_SYNC_WINDOW; i++)
		p->held[i].seq = 0;
}

/*
 * WireGuard-style sliding window over (epoch, seq), per peer.  The MAC
 * already bound the datagram to this direction (peer to us), so a window
 * sees only the peer's seq space for us.  A datagram of another epoch
 * starts a new window only if it was sent within NFLB_SYNC_FRESH of our
 * clock, so a recorded datagram cannot start one later: a newer epoch (the
 * peer restarted, or the first we hear of it) so; an older one (the peer
 * restarted after its clock stepped back) only once the current epoch has
 * gone silent (the peer is down), so that a replay of a recent epoch
 * cannot displace the live one.  Else a seq below the window or one seen
 * already is a replay.
 */
static bool nflb_sync_replay_ok(struct nflb_sync_peer *p, u64 epoch, u64 seq,
				u64 time)
{
	u64 d;

	if (epoch != p->epoch) {
		if (!nflb_sync_fresh(time))
			return false;
		if (epoch < p->epoch && nflb_sync_peer_live(p))
			return false;
		p->epoch = epoch;
		p->top = seq;
		bitmap_zero(p->window, NFLB_SYNC_WINDOW);
		__set_bit(0, p->window);
		/* What it sent before we heard it is not ours to ask for. */
		WRITE_ONCE(p->in_order, seq);
		nflb_sync_held_clear(p);
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

static void nflb_sync_rx_data(struct nflb_sync *sync, struct nflb_sync_peer *p,
			      size_t len);

/*
 * Holds DATA datagram @seq (in sync->rx, @len bytes) of @p when a gap is
 * before it; false when it is in order and is to be applied now.
 */
static bool nflb_sync_hold(struct nflb_sync_peer *p, u64 seq,
			   const u8 *buf, size_t len)
{
	struct nflb_sync_held *e = &p->held[seq % NFLB_SYNC_WINDOW];

	if (seq <= p->in_order)
		return false;
	e->seq = seq;
	e->len = len;
	memcpy(e->buf, buf, len);
	return true;
}

/*
 * Applies, in seq order, the held datagrams of @p the in-order point has
 * reached (their gap filled or given up).  Uses sync->rx.  Under lock.
 */
static void nflb_sync_release(struct nflb_sync *sync, struct nflb_sync_peer *p)
{
	struct nflb_sync_held *e;
	u64 seq;

	seq = p->in_order >= NFLB_SYNC_WINDOW ?
	      p->in_order - NFLB_SYNC_WINDOW + 1 : 1;
	for (; seq <= p->in_order; seq++) {
		e = &p->held[seq % NFLB_SYNC_WINDOW];
		if (e->seq != seq)
			continue;
		e->seq = 0;
		memcpy(sync->rx, e->buf, e->len);
		nflb_sync_rx_data(sync, p, e->len);
	}
}

static void nflb_sync_bulk_check(struct nflb_sync *sync, int idx);

/* Whether seq @seq (at most p->top) of @p's current epoch arrived. */
static bool nflb_sync_seen(const struct nflb_sync_peer *p, u64 seq)
{
	u64 d = p->top - seq;

	return d < NFLB_SYNC_WINDOW && test_bit(d, p->window);
}

/* Seqs after the in-order point up to @upto (below the top) not arrived. */
static unsigned int nflb_sync_missing(const struct nflb_sync_peer *p,
				      u64 upto)
{
	unsigned int n = 0;
	u64 seq;

	for (seq = p->in_order + 1; seq <= upto; seq++)
		n += !nflb_sync_seen(p, seq);
	return n;
}

/*
 * The highest seq up to @upto (below the top) that did not arrive, or the
 * in-order point if none.
 */
static u64 nflb_sync_last_missing(const struct nflb_sync_peer *p, u64 upto)
{
	u64 seq;

	for (seq = upto; seq > p->in_order; seq--)
		if (!nflb_sync_seen(p, seq))
			return seq;
	return p->in_order;
}

static void nflb_sync_gap_done(struct nflb_sync_peer *p)
{
	p->gap_since = 0;
	p->nacks = 0;
}

/* Moves the in-order point over what arrived after it. */
static void nflb_sync_in_order(struct nflb_sync_peer *p)
{
	u64 seq = p->in_order;

	while (seq < p->top && nflb_sync_seen(p, seq + 1))
		seq++;
	WRITE_ONCE(p->in_order, seq);
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
		WRITE_ONCE(p->in_order, p->top - NFLB_SYNC_WINDOW);
		p->lost_upto = p->in_order;
	}
	nflb_sync_in_order(p);
	if (p->in_order == p->top) {
		/*
		 * A gap closed: ack at once.  A paced sender (walk, refresh)
		 * may have filled its window behind the gap and send nothing
		 * more until acked, and the next heartbeat is up to a second
		 * away.
		 */
		if (p->gap_since) {
			spin_lock_bh(&sync->txlock);
			p->owed = max(p->owed, NFLB_SYNC_ACK_EVERY);
			spin_unlock_bh(&sync->txlock);
		}
		nflb_sync_gap_done(p);
		return;
	}
	if (!p->gap_since) {
		p->gap_since = jiffies ?: 1;
		if (!READ_ONCE(sync->stopping))
			queue_delayed_work(sync->wq, &sync->nack_work,
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
 * NACK it again, or after NFLB_SYNC_NACK_TRIES give up what was missing
 * at the first NACK (gap_upto), no more: a seq found missing later (a
 * busy, lossy link always has a newer hole) gets tries of its own, in a
 * new round.  Returns whether a gap still needs the worker.
 */
static bool nflb_sync_gap(struct nflb_sync *sync, int idx)
{
	struct nflb_sync_peer *p = &sync->peers[idx];
	unsigned int n;

	if (!p->gap_since)
		return false;
	if (time_before(jiffies, p->gap_since + NFLB_SYNC_NACK_DELAY))
		return true;
	if (p->nacks >= (idx == sync->bulk_from ? NFLB_SYNC_NACK_TRIES_BULK :
						   NFLB_SYNC_NACK_TRIES)) {
		n = nflb_sync_missing(p, p->gap_upto);
		sync->stats[NFLB_SYNC_STATS_A_RX_LOST] += n;
		if (n)
			p->lost_upto = nflb_sync_last_missing(p, p->gap_upto);
		WRITE_ONCE(p->in_order, max(p->in_order, p->gap_upto));
		nflb_sync_in_order(p);
		nflb_sync_release(sync, p);
		nflb_sync_bulk_check(sync, idx);
		if (p->in_order == p->top) {
			nflb_sync_gap_done(p);
			return false;
		}
		p->nacks = 0;
	}
	if (!p->nacks)
		p->gap_upto = nflb_sync_last_missing(p, p->top - 1);
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
		queue_delayed_work(sync->wq, &sync->nack_work,
				   NFLB_SYNC_NACK_DELAY);
}

/*
 * A NACK from peer @idx: resend what of it the history still holds, each
 * datagram at most once however the ranges overlap (they are gathered in
 * a bitmap of the history's seqs first), and at most one NACK a peer per
 * NFLB_SYNC_NACK_MIN: a NACK's work is so bounded by NFLB_SYNC_HISTORY
 * datagrams, not by what its ranges say.  Under sync->lock; the history
 * is read and sent under txlock.
 */
static void nflb_sync_resend(struct nflb_sync *sync, int idx, size_t len)
{
	struct nflb_sync_peer *p = &sync->peers[idx];
	DECLARE_BITMAP(want, NFLB_SYNC_HISTORY);
	const struct nflb_sync_range *r;
	size_t off = NFLB_SYNC_HDR;
	struct nflb_sync_sent *e;
	u64 low, first, last, seq;
	unsigned int bit;
	u32 count;

	if (p->nack_at && time_before(jiffies, p->nack_at + NFLB_SYNC_NACK_MIN))
		return;
	p->nack_at = jiffies ?: 1;
	spin_lock_bh(&sync->txlock);
	if (!p->tx_seq)
		goto out;
	/* The seqs the history can hold: [low, p->tx_seq]. */
	low = p->tx_seq > NFLB_SYNC_HISTORY ?
	      p->tx_seq - NFLB_SYNC_HISTORY + 1 : 1;
	bitmap_zero(want, NFLB_SYNC_HISTORY);
	for (; off + sizeof(*r) <= len; off += sizeof(*r)) {
		r = (const struct nflb_sync_range *)(sync->rx + off);
		first = be64_to_cpu(r->first);
		count = ntohl(r->count);
		if (!count || first > p->tx_seq)
			continue;
		/* Without overflow: first + count - 1, at most tx_seq. */
		last = first + min_t(u64, count - 1, p->tx_seq - first);
		if (last < low)
			continue;
		first = max(first, low);
		bitmap_set(want, first - low, last - first + 1);
	}
	for_each_set_bit(bit, want, NFLB_SYNC_HISTORY) {
		seq = low + bit;
		e = &p->history[seq % NFLB_SYNC_HISTORY];
		if (e->seq == seq && e->len &&
		    nflb_sync_xmit(sync, p, e->buf, e->len))
			sync->stats[NFLB_SYNC_STATS_A_TX_RESENT]++;
	}
out:
	spin_unlock_bh(&sync->txlock);
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

/*
 * The peer we asked for its table: ready once its BULK_DONE and every
 * datagram before it arrived.  If one of the walk's was given up, the
 * table has a hole: ask again.
 */
static void nflb_sync_bulk_check(struct nflb_sync *sync, int idx)
{
	struct nflb_sync_peer *p = &sync->peers[idx];

	if (idx != sync->bulk_from || !p->bulk_done ||
	    p->in_order < p->bulk_done)
		return;
	p->bulk_done = 0;
	if (p->lost_upto >= p->bulk_first) {
		sync->bulk_asked = 0;	/* the next tick asks again */
		return;
	}
	WRITE_ONCE(sync->ready, true);
	sync->bulk_from = -1;
	nflb_sync_peer_state(sync, p, NFLB_SYNC_PEER_UP);
}

/*
 * A datagram of the walk we asked for: it runs (whatever a BULK_NO to a
 * repeat of the request said).
 */
static void nflb_sync_bulk_heard(struct nflb_sync *sync)
{
	sync->bulk_heard = jiffies;
	sync->bulk_next = 0;
}

/* BULK_DONE from peer @idx, its seq @seq. */
static void nflb_sync_rx_done(struct nflb_sync *sync, int idx, u64 seq,
			      size_t len)
{
	struct nflb_sync_peer *p = &sync->peers[idx];
	const struct nflb_sync_done *d = (void *)(sync->rx + NFLB_SYNC_HDR);
	u64 first;

	if (idx != sync->bulk_from)
		return;
	/* Without the payload: any loss since we asked is the walk's. */
	first = len >= NFLB_SYNC_HDR + sizeof(*d) ? be64_to_cpu(d->first) :
						    p->bulk_base + 1;
	/*
	 * A walk that began before we asked (for an earlier request of ours,
	 * e.g. before this node restarted) may lack what we missed since:
	 * not ours; ask again.
	 */
	if (first <= p->bulk_base) {
		sync->bulk_asked = 0;
		return;
	}
	p->bulk_done = seq;
	p->bulk_first = first;
}

/*
 * BULK_NO to peer @idx: its BULK_REQ refused for @reason; ask again after
 * @wait jiffies (BUSY).  Counted (bulk_refused).
 */
static void nflb_sync_refuse(struct nflb_sync *sync, int idx, u8 reason,
			     unsigned long wait)
{
	struct nflb_sync_no *no = (void *)(sync->tx + NFLB_SYNC_HDR);

	no->reason = reason;
	memset(no->pad, 0, sizeof(no->pad));
	no->retry_ms = htonl(min_t(unsigned int, jiffies_to_msecs(wait),
				   NFLB_SYNC_RETRY_MAX_MS));
	nflb_sync_send(sync, NFLB_SYNC_BULK_NO, NFLB_SYNC_HDR + sizeof(*no),
		       idx);
	sync->stats[NFLB_SYNC_STATS_A_BULK_REFUSED]++;
}

/*
 * BULK_REQ from peer @idx.  Refused (BULK_NO) when this node is not ready
 * and the whole table is asked for: it is pulling itself and must not
 * serve a table it does not have yet (its own sessions it has, so a pull
 * of them after a partition is served); when a walk for the peer runs or
 * waits its turn (a repeat of the request: the walk goes on); or when the
 * peer's last walk ended too recently (nflb_sync_walk_wait()).  A peer
 * that restarted while we walk for it gets a new walk, once the gap after
 * the old one allows: the old one started before its new table did.
 */
static void nflb_sync_rx_bulk_req(struct nflb_sync *sync, int idx,
				  const struct nflb_sync_hdr *h)
{
	struct nflb_sync_peer *p = &sync->peers[idx];
	bool owned = h->flags & NFLB_SYNC_F_OWNED;
	unsigned long wait;

	if (!sync->ready && !owned) {
		nflb_sync_refuse(sync, idx, NFLB_SYNC_NO_NOT_READY, 0);
		return;
	}
	if (idx == sync->walk_to && p->epoch != sync->walk_epoch) {
		nflb_sync_walk_end(sync);
		nflb_sync_kick(sync, &sync->tx_work);
	}
	if (idx == sync->walk_to || (sync->bulk_want & BIT(idx))) {
		nflb_sync_refuse(sync, idx, NFLB_SYNC_NO_BUSY,
				 NFLB_SYNC_BULK_RETRY);
		return;
	}
	wait = nflb_sync_walk_wait(p);
	if (wait) {
		nflb_sync_refuse(sync, idx, NFLB_SYNC_NO_BUSY, wait);
		return;
	}
	sync->bulk_want |= BIT(idx);
	p->want_owned = owned;
	nflb_sync_kick(sync, &sync->tx_work);
}

/*
 * BULK_NO from the peer we asked: not ready, ask another (or wait for one
 * to be ready); busy, ask it again when it says.
 */
static void nflb_sync_rx_refused(struct nflb_sync *sync, int idx, size_t len)
{
	const struct nflb_sync_no *no = (void *)(sync->rx + NFLB_SYNC_HDR);
	struct nflb_sync_peer *p = &sync->peers[idx];
	u32 ms;

	if (idx != sync->bulk_from || len < NFLB_SYNC_HDR + sizeof(*no))
		return;
	if (no->reason == NFLB_SYNC_NO_NOT_READY) {
		p->refused_at = jiffies ?: 1;
		sync->bulk_from = -1;
		nflb_sync_peer_state(sync, p, NFLB_SYNC_PEER_UP);
		return;
	}
	ms = min_t(u32, ntohl(no->retry_ms), NFLB_SYNC_RETRY_MAX_MS);
	sync->bulk_next = (jiffies + msecs_to_jiffies(ms)) ?: 1;
}

static void nflb_sync_rx_type(struct nflb_sync *sync, int idx,
			      const struct nflb_sync_hdr *h, size_t len)
{
	struct nflb_sync_peer *p = &sync->peers[idx];

	switch (h->type) {
	case NFLB_SYNC_DATA:
		if (idx == sync->bulk_from && (h->flags & NFLB_SYNC_F_BULK))
			nflb_sync_bulk_heard(sync);
		nflb_sync_rx_data(sync, p, len);
		break;
	case NFLB_SYNC_NACK:
		nflb_sync_resend(sync, idx, len);
		break;
	case NFLB_SYNC_BULK_REQ:
		nflb_sync_rx_bulk_req(sync, idx, h);
		break;
	case NFLB_SYNC_BULK_DONE:
		nflb_sync_rx_done(sync, idx, be64_to_cpu(h->seq), len);
		break;
	case NFLB_SYNC_BULK_NO:
		nflb_sync_rx_refused(sync, idx, len);
		break;
	default:		/* heartbeats, ACKs; types of later versions */
		break;
	}
}

static bool nflb_sync_peer_live(const struct nflb_sync_peer *p)
{
	return p->last_seen &&
	       time_before(jiffies, p->last_seen + NFLB_SYNC_PEER_TTL);
}

/*
 * BULK_REQ to peer @idx: its whole table, or (@owned) its own sessions.
 * Asked again of the same peer (no answer, or BUSY), a walk for us may be
 * running, begun after the first request: its BULK_DONE is still ours,
 * so what it is checked against (bulk_base) stays; it moves on a new pull
 * (another peer, or after a hole: bulk_asked 0).
 */
static void nflb_sync_bulk_ask(struct nflb_sync *sync, int idx, bool owned)
{
	struct nflb_sync_peer *p = &sync->peers[idx];

	if (idx != sync->bulk_from || !sync->bulk_asked)
		p->bulk_base = p->in_order;
	sync->bulk_from = idx;
	sync->bulk_owned = owned;
	sync->bulk_asked = jiffies ?: 1;
	sync->bulk_heard = 0;
	sync->bulk_next = 0;
	p->bulk_done = 0;
	nflb_sync_peer_state(sync, p, NFLB_SYNC_PEER_SYNCING);
	nflb_sync_send_flags(sync, NFLB_SYNC_BULK_REQ,
			     owned ? NFLB_SYNC_F_OWNED : 0,
			     NFLB_SYNC_HDR, idx);
}

/*
 * Peer @idx is heard again after it was down, and did not restart (a
 * restarted peer pulls our table, and has nothing we lack): a partition.
 * What either side created or changed meanwhile is missing on the other,
 * so pull from it again (it pulls from us, as it sees us come back).
 * What and how depends on whether this node carried traffic while the
 * peer was away (@was_seen: when it was last heard):
 * - it did: its copies of the sessions it serves are the newest, and it
 *   must not be taken out of service (by a `sync wait` health check)
 *   while it pulls: it stays ready and pulls only the sessions the peer
 *   owns;
 * - it did not (a standby): the peer's copies are at least as new as its
 *   own, and its table lacks what the peer created: it pulls the whole
 *   table and is not ready until it has it (Documentation/sync.rst).
 */
static void nflb_sync_rejoin(struct nflb_sync *sync, int idx,
			     unsigned long was_seen)
{
	unsigned long last = READ_ONCE(sync->served);
	bool served = last && !time_before(last, was_seen);

	if (sync->bulk_from >= 0 && sync->bulk_from != idx)
		return;		/* pulling from another peer already */
	if (!served && sync->ready) {
		WRITE_ONCE(sync->ready, false);
		sync->want_since = jiffies;
	}
	nflb_sync_bulk_ask(sync, idx, served);
}

/*
 * Logs, once a peer and rate-limited, that @p's node ids contradict ours
 * or its pinned one: two nodes configured with one id, or a peer's id
 * changed without `sync set` here.
 */
static void nflb_sync_id_conflict(struct nflb_sync *sync,
				  struct nflb_sync_peer *p, const char *what,
				  u8 id)
{
	sync->stats[NFLB_SYNC_STATS_A_RX_UNKNOWN_PEER]++;
	if (p->id_warned || !net_ratelimit())
		return;
	p->id_warned = true;
	if (sync->cfg.family == AF_INET)
		pr_warn("nflb: sync peer %pI4 %s %u (this node is %u): its datagrams are refused\n",
			&p->addr.ip, what, id, sync->cfg.node_id);
	else
		pr_warn("nflb: sync peer %pI6c %s %u (this node is %u): its datagrams are refused\n",
			&p->addr.in6, what, id, sync->cfg.node_id);
}

/*
 * Whether the node ids of a datagram from peer @idx fit: the sender's is
 * not ours, is the one pinned to its address (or, not pinned yet, no other
 * peer's), and it addresses us (or does not know our id yet).
 */
static bool nflb_sync_ids_ok(struct nflb_sync *sync, int idx,
			     const struct nflb_sync_hdr *h)
{
	struct nflb_sync_peer *p = &sync->peers[idx];
	unsigned int i;

	if (h->node == sync->cfg.node_id) {
		nflb_sync_id_conflict(sync, p, "uses this node's id", h->node);
		return false;
	}
	if (h->to && h->to != sync->cfg.node_id) {
		nflb_sync_id_conflict(sync, p, "addresses node", h->to);
		return false;
	}
	if (p->node_id) {
		if (p->node_id == h->node)
			return true;
		nflb_sync_id_conflict(sync, p, "changed its node id to",
				      h->node);
		return false;
	}
	for (i = 0; i < sync->cfg.npeers; i++) {
		if (sync->peers[i].node_id == h->node) {
			nflb_sync_id_conflict(sync, p,
					      "uses another peer's node id",
					      h->node);
			return false;
		}
	}
	return true;
}

/*
 * Checks, in this order: MAC (under the key of the direction from the
 * source's peer to us, which encap_rcv found), version, node ids, replay.
 * Under lock.
 */
static void nflb_sync_rx_one(struct nflb_sync *sync, struct sk_buff *skb)
{
	int off = skb_transport_offset(skb) + sizeof(struct udphdr);
	struct nflb_sync_hdr *h = (struct nflb_sync_hdr *)sync->rx;
	int idx = NFLB_SYNC_SKB_CB(skb)->peer;
	struct nflb_sync_peer *p = &sync->peers[idx];
	unsigned long was_seen;
	bool back;
	size_t len;
	u64 ack;

	/* encap_rcv checked the size against sync->dgram_max. */
	if (skb_copy_bits(skb, off, sync->rx, skb->len - off)) {
		sync->stats[NFLB_SYNC_STATS_A_RX_MALFORMED]++;
		return;
	}
	len = skb->len - off - NFLB_SYNC_MAC_LEN;
	if (!nflb_sync_mac_ok(sync->rx, len, p->rx_key)) {
		sync->stats[NFLB_SYNC_STATS_A_RX_BAD_MAC]++;
		return;
	}
	if (len < NFLB_SYNC_HDR || h->magic != htonl(NFLB_SYNC_MAGIC) ||
	    h->version != NFLB_SYNC_VERSION || !h->node || !h->epoch) {
		sync->stats[NFLB_SYNC_STATS_A_RX_MALFORMED]++;
		return;
	}
	if (!nflb_sync_ids_ok(sync, idx, h))
		return;
	/* Back after a partition: heard before, then not, same epoch. */
	back = p->last_seen && !nflb_sync_peer_live(p) &&
	       p->epoch == be64_to_cpu(h->epoch);
	was_seen = p->last_seen;
	if (!nflb_sync_replay_ok(p, be64_to_cpu(h->epoch), be64_to_cpu(h->seq),
				 be64_to_cpu(h->time))) {
		sync->stats[NFLB_SYNC_STATS_A_RX_REPLAY]++;
		return;
	}
	WRITE_ONCE(p->node_id, h->node);
	p->last_seen = jiffies ?: 1;
	p->ready = h->flags & NFLB_SYNC_F_READY;
	p->redirect = h->flags & NFLB_SYNC_F_REDIRECT;
	if (p->ready)
		sync->ready_heard = jiffies ?: 1;
	/*
	 * Up at once, not at the next tick: "down" in `sync show` then always
	 * means not heard for NFLB_SYNC_PEER_TTL, so that a datagram sent
	 * after it was seen down finds it down (replay_ok()'s older epochs).
	 */
	if (p->state == NFLB_SYNC_PEER_DOWN)
		nflb_sync_peer_state(sync, p, idx == sync->bulk_from ?
					      NFLB_SYNC_PEER_SYNCING :
					      NFLB_SYNC_PEER_UP);
	p->rx_datagrams++;
	sync->stats[NFLB_SYNC_STATS_A_RX_DATAGRAMS]++;
	/* An ack of a seq we never sent is of an epoch of ours before. */
	ack = be64_to_cpu(h->ack);
	if (ack > p->acked && ack <= READ_ONCE(p->tx_seq)) {
		p->acked = ack;
		if (idx == sync->walk_to || sync->refresh_waits)
			nflb_sync_kick(sync, &sync->tx_work);
	}
	nflb_sync_rx_order(sync, p);
	/*
	 * Owed once in_order moved: a datagram the timer sends meanwhile
	 * carries this one's ack too, so owes nothing more.
	 */
	if (nflb_sync_wants_ack(h->type)) {
		spin_lock_bh(&sync->txlock);
		if (!p->owed)
			p->owed_since = jiffies;
		p->owed += h->flags & NFLB_SYNC_F_BULK ? 2 : 1;
		spin_unlock_bh(&sync->txlock);
	}
	if (back)
		nflb_sync_rejoin(sync, idx, was_seen);
	if (h->type != NFLB_SYNC_DATA ||
	    !nflb_sync_hold(p, be64_to_cpu(h->seq), sync->rx, len))
		nflb_sync_rx_type(sync, idx, h, len);
	else if (idx == sync->bulk_from && (h->flags & NFLB_SYNC_F_BULK))
		nflb_sync_bulk_heard(sync);
	nflb_sync_release(sync, p);
	nflb_sync_bulk_check(sync, idx);
}

/*
 * ACKs to the peers owed one: at once to those owed NFLB_SYNC_ACK_EVERY or
 * owed since NFLB_SYNC_ACK_DELAY; ack_work comes back when the next of
 * the others is due (a heartbeat before then carries their acks).  Under
 * sync->lock.
 */
static void nflb_sync_acks(struct nflb_sync *sync)
{
	unsigned long due, next = 0;
	struct nflb_sync_peer *p;
	unsigned int i;

	spin_lock_bh(&sync->txlock);
	for (i = 0; i < sync->cfg.npeers; i++) {
		p = &sync->peers[i];
		if (!p->owed)
			continue;
		due = p->owed_since + NFLB_SYNC_ACK_DELAY;
		if (p->owed >= NFLB_SYNC_ACK_EVERY ||
		    time_after_eq(jiffies, due))
			__nflb_sync_send_buf(sync, &sync->tx, NFLB_SYNC_ACK, 0,
					     NFLB_SYNC_HDR, BIT(i));
		else if (!next || time_before(due, next))
			next = due ?: 1;
	}
	spin_unlock_bh(&sync->txlock);
	/*
	 * Pending, ack_work is due no later than @next: the owed_since it
	 * was armed for came before any owed now.
	 */
	if (next && !READ_ONCE(sync->stopping))
		queue_delayed_work(sync->wq, &sync->ack_work,
				   nflb_jiffies_until(next));
}

/*
 * At most NFLB_SYNC_RX_BUDGET datagrams a run, rescheduling between them
 * (a DATA datagram's records each scan a pool): more makes it run again.
 */
static void nflb_sync_rx_work(struct work_struct *w)
{
	struct nflb_sync *sync = container_of(w, struct nflb_sync, rx_work);
	unsigned int budget = NFLB_SYNC_RX_BUDGET;
	struct nflb_sync_skb_cb *cb;
	struct sk_buff *skb;
	int idx;

	mutex_lock(&sync->lock);
	while (budget-- && (skb = skb_dequeue(&sync->rxq))) {
		cb = NFLB_SYNC_SKB_CB(skb);
		idx = cb->peer;
		atomic_sub(cb->charge, &sync->peers[idx].rxq_bytes);
		nflb_sync_rx_one(sync, skb);
		consume_skb(skb);
		/*
		 * Acked as they come, not at the end of the run: a paced
		 * sender (walk, refresh) keeps sending while we install.
		 */
		if (READ_ONCE(sync->peers[idx].owed) >= NFLB_SYNC_ACK_EVERY)
			nflb_sync_send(sync, NFLB_SYNC_ACK, NFLB_SYNC_HDR, idx);
		cond_resched();
	}
	nflb_sync_acks(sync);
	mutex_unlock(&sync->lock);
	if (!skb_queue_empty(&sync->rxq))
		nflb_sync_kick(sync, &sync->rx_work);
}

static void nflb_sync_ack_work(struct work_struct *w)
{
	struct nflb_sync *sync = container_of(to_delayed_work(w),
					      struct nflb_sync, ack_work);

	mutex_lock(&sync->lock);
	nflb_sync_acks(sync);
	mutex_unlock(&sync->lock);
}

/* ---- liveness and readiness ----------------------------------------- */

/*
 * Whether peer @p has a table to give: live and ready, and it did not
 * refuse us as not ready in the last NFLB_SYNC_BULK_RETRY (its READY
 * flag may be older than its refusal).
 */
static bool nflb_sync_peer_has_table(const struct nflb_sync_peer *p)
{
	return nflb_sync_peer_live(p) && p->ready &&
	       (!p->refused_at ||
		time_after(jiffies, p->refused_at + NFLB_SYNC_BULK_RETRY));
}

/* The peer with a table of the lowest node id, or -1. */
static int nflb_sync_bulk_peer(struct nflb_sync *sync)
{
	int i, best = -1;

	for (i = 0; i < sync->cfg.npeers; i++)
		if (nflb_sync_peer_has_table(&sync->peers[i]) &&
		    (best < 0 ||
		     sync->peers[i].node_id < sync->peers[best].node_id))
			best = i;
	return best;
}

/* Whether a live peer says it is ready. */
static bool nflb_sync_ready_peer(struct nflb_sync *sync)
{
	unsigned int i;

	for (i = 0; i < sync->cfg.npeers; i++)
		if (nflb_sync_peer_live(&sync->peers[i]) &&
		    sync->peers[i].ready)
			return true;
	return false;
}

static void nflb_sync_age_peers(struct nflb_sync *sync)
{
	struct nflb_sync_peer *p;
	unsigned int i;

	for (i = 0; i < sync->cfg.npeers; i++) {
		p = &sync->peers[i];
		if (!nflb_sync_peer_live(p)) {
			/* Nobody to walk for, and nothing to wait for. */
			sync->bulk_want &= ~BIT(i);
			if (i == sync->walk_to)
				nflb_sync_walk_end(sync);
			nflb_sync_peer_state(sync, p, NFLB_SYNC_PEER_DOWN);
		} else if (i == sync->bulk_from) {
			nflb_sync_peer_state(sync, p, NFLB_SYNC_PEER_SYNCING);
		} else {
			nflb_sync_peer_state(sync, p, NFLB_SYNC_PEER_UP);
		}
	}
}

/*
 * Whether a peer's datagrams were dropped for its share of the receive
 * queue being full in the last NFLB_SYNC_PEER_TTL: it may be alive.
 */
static bool nflb_sync_rx_dropping(struct nflb_sync *sync)
{
	unsigned long at;
	unsigned int i;

	for (i = 0; i < sync->cfg.npeers; i++) {
		at = READ_ONCE(sync->peers[i].rxq_full_at);
		if (at && time_before(jiffies, at + NFLB_SYNC_PEER_TTL))
			return true;
	}
	return false;
}

/*
 * Whether this node, not ready, is to be ready with what it has: no live
 * peer is ready, none has been heard ready for NFLB_SYNC_ALONE since this
 * node went not ready (NFLB_SYNC_ALONE_HEARD when one was: it may only be
 * slow), and no peer's datagrams are being dropped from the receive
 * queue.
 */
static bool nflb_sync_alone(struct nflb_sync *sync)
{
	unsigned long after = sync->want_since + NFLB_SYNC_ALONE;

	if (sync->ready_heard && time_after(sync->ready_heard, sync->want_since))
		after = sync->ready_heard + NFLB_SYNC_ALONE_HEARD;
	return time_after(jiffies, after) && !nflb_sync_ready_peer(sync) &&
	       !nflb_sync_rx_dropping(sync);
}

/*
 * Each tick while a table is wanted (not ready, or a pull after a rejoin
 * runs): keep asking the peer we asked while it lives, ask again when
 * neither its walk nor its BULK_DONE came for NFLB_SYNC_BULK_RETRY (the
 * request, or the walk, was lost), or when its BULK_NO said; when it died
 * or is not ready itself, not ready, ask the ready live peer of the lowest
 * node id; or, when no live peer has been ready for NFLB_SYNC_ALONE since
 * this node went not ready (none has a table to give: alone, or all
 * starting at once) and none is being dropped from the receive queue, be
 * ready with what this node has.
 */
static void nflb_sync_want_table(struct nflb_sync *sync)
{
	int idx = sync->bulk_from;
	unsigned long last;

	if (idx >= 0 && !nflb_sync_peer_live(&sync->peers[idx])) {
		sync->bulk_from = -1;
		idx = -1;
	}
	if (idx < 0) {
		if (sync->ready)
			return;
		idx = nflb_sync_bulk_peer(sync);
		if (idx < 0) {
			if (nflb_sync_alone(sync))
				WRITE_ONCE(sync->ready, true);
			return;
		}
		nflb_sync_bulk_ask(sync, idx, false);
		return;
	}
	if (sync->bulk_next) {
		if (time_before(jiffies, sync->bulk_next))
			return;
		nflb_sync_bulk_ask(sync, idx, sync->bulk_owned);
		return;
	}
	last = sync->bulk_asked;
	if (sync->bulk_heard && time_after(sync->bulk_heard, last))
		last = sync->bulk_heard;
	if (!sync->bulk_asked ||
	    time_after_eq(jiffies, last + NFLB_SYNC_BULK_RETRY))
		nflb_sync_bulk_ask(sync, idx, sync->bulk_owned);
}

/*
 * The live owners for redirect (sync.rst, Owner redirect): this node once
 * ready, and the peers that are up and said they are ready and run
 * redirect themselves (a peer with redirect off would drop what it is
 * sent: it owns nothing).  Under lock.
 */
static void nflb_sync_owners(struct nflb_sync *sync)
{
	u8 id[NFLB_SYNC_PEERS_MAX + 1];
	s8 peer[NFLB_SYNC_PEERS_MAX + 1];
	struct nflb_sync_peer *p;
	unsigned int i, n = 0;

	if (!sync->redir)
		return;
	if (sync->ready) {
		id[n] = sync->cfg.node_id;
		peer[n++] = NFLB_REDIR_SELF;
	}
	for (i = 0; i < sync->cfg.npeers; i++) {
		p = &sync->peers[i];
		if (nflb_sync_peer_live(p) && p->ready && p->redirect &&
		    p->node_id) {
			id[n] = p->node_id;
			peer[n++] = i;
		}
	}
	/* No memory: the last set stays, and the next tick tries again. */
	nflb_redir_publish(sync->redir, id, peer, n);
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
	if (!sync->ready || sync->bulk_from >= 0)
		nflb_sync_want_table(sync);
	nflb_sync_owners(sync);
	nflb_sync_heartbeat(sync);
	nflb_sync_refresh_tick(sync);
	mutex_unlock(&sync->lock);
	/*
	 * A notice whose timer raced with the drain waits at most this; the
	 * refresh pass has its new slice.
	 */
	nflb_sync_live_by(sync, jiffies);
	nflb_sync_kick(sync, &sync->tx_work);
	if (!READ_ONCE(sync->stopping))
		queue_delayed_work(sync->wq, &sync->tick, HZ);
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

/* Family-sized bytes of address @a, for the key derivation. */
static const u8 *nflb_sync_addr_bytes(const union nf_inet_addr *a, u8 family,
				      size_t *n)
{
	*n = family == AF_INET ? sizeof(a->ip) : sizeof(a->in6);
	return (const u8 *)a;
}

/* Labels of the keys derived from the shared key: one a use. */
#define NFLB_SYNC_LABEL		"nflb sync"
#define NFLB_REDIR_LABEL	"nflb redirect"
#define NFLB_LABEL_MAX		16	/* bytes, the longest label's or more */

/*
 * The MAC key of the direction from address @from to address @to for the
 * use @label: BLAKE2s-256 keyed with the shared key over label || from ||
 * to (4 or 16 bytes each).  Addresses, not node ids: both ends know them
 * from their configuration before a datagram is exchanged, the receiver
 * finds the sender's peer by them anyway, and a datagram so verifies only
 * at its addressee and as coming from its sender's address (no
 * reflection, no replay to another node).  Sync's datagrams (XChaCha20-
 * Poly1305) and redirects (keyed BLAKE2s) each have their own keys: no key
 * serves two algorithms or two protocols.
 */
static void nflb_sync_dir_key(u8 *out, const char *label, const u8 *key,
			      u8 family, const union nf_inet_addr *from,
			      const union nf_inet_addr *to)
{
	u8 in[NFLB_LABEL_MAX + 2 * sizeof(struct in6_addr)];
	size_t n, len = strlen(label);
	const u8 *a;

	BUILD_BUG_ON(sizeof(NFLB_SYNC_LABEL) - 1 > NFLB_LABEL_MAX ||
		     sizeof(NFLB_REDIR_LABEL) - 1 > NFLB_LABEL_MAX);
	if (WARN_ON_ONCE(len > NFLB_LABEL_MAX))
		len = NFLB_LABEL_MAX;
	memcpy(in, label, len);
	a = nflb_sync_addr_bytes(from, family, &n);
	memcpy(in + len, a, n);
	len += n;
	a = nflb_sync_addr_bytes(to, family, &n);
	memcpy(in + len, a, n);
	len += n;
	blake2s(out, in, key, CHACHA20POLY1305_KEY_SIZE, len, NFLB_SYNC_KEY_LEN);
	memzero_explicit(in, sizeof(in));
}

/* Owner redirect's state, over the socket, of either family (sync.rst). */
static int nflb_sync_redir_alloc(struct nflb_sync *sync)
{
	const struct nflb_sync_cfg *cfg = &sync->cfg;
	u8 tx[BLAKE2S_KEY_SIZE], rx[BLAKE2S_KEY_SIZE];
	struct nflb_redir *rd;
	unsigned int i;

	if (!cfg->redirect)
		return 0;
	rd = nflb_redir_alloc(sync->sock->sk, cfg->family, &cfg->local,
			      cfg->port, cfg->node_id, cfg->key);
	if (!rd)
		return -ENOMEM;
	/* Redirect's MAC is keyed BLAKE2s, under direction keys of its own. */
	BUILD_BUG_ON((int)BLAKE2S_KEY_SIZE != (int)CHACHA20POLY1305_KEY_SIZE);
	for (i = 0; i < cfg->npeers; i++) {
		nflb_sync_dir_key(tx, NFLB_REDIR_LABEL, cfg->key, cfg->family,
				  &cfg->local, &cfg->peers[i]);
		nflb_sync_dir_key(rx, NFLB_REDIR_LABEL, cfg->key, cfg->family,
				  &cfg->peers[i], &cfg->local);
		nflb_redir_set_peer(rd, i, &cfg->peers[i], tx, rx);
	}
	memzero_explicit(tx, sizeof(tx));
	memzero_explicit(rx, sizeof(rx));
	/* encap_rcv runs already: it sees all of it or nothing. */
	smp_store_release(&sync->redir, rd);
	return 0;
}

/* Memory of a stopped sync (its rings: nflb_syncq_free()). */
static void nflb_sync_free(struct nflb_sync *sync)
{
	unsigned int i;

	for (i = 0; i < NFLB_SYNC_PEERS_MAX; i++) {
		kvfree(sync->peers[i].history);
		kvfree(sync->peers[i].history_mem);
		kvfree(sync->peers[i].held);
		dst_cache_destroy(&sync->peers[i].dst_cache);
	}
	if (sync->wq)
		destroy_workqueue(sync->wq);
	nflb_redir_free(sync->redir);
	kfree_sensitive(sync);
}

/*
 * The datagram buffers of @p's history.  Sends hand buffers between the
 * history slots, sync->tx and sync->live (nflb_sync_keep()), so that a
 * slot may end up with another's, but every one stays in this block, the
 * other peers' or struct nflb_sync's spares: freeing those frees all.
 */
static int nflb_sync_history_bufs(struct nflb_sync_peer *p)
{
	unsigned int i;

	p->history_mem = kvmalloc_array(NFLB_SYNC_HISTORY, NFLB_SYNC_DGRAM4,
					GFP_KERNEL_ACCOUNT);
	if (!p->history_mem)
		return -ENOMEM;
	for (i = 0; i < NFLB_SYNC_HISTORY; i++)
		p->history[i].buf = p->history_mem + i * NFLB_SYNC_DGRAM4;
	return 0;
}

static struct nflb_sync *nflb_sync_alloc(struct nflb_net *ln,
					 const struct nflb_sync_cfg *cfg)
{
	struct nflb_sync *sync;
	unsigned int i;

	sync = kzalloc(sizeof(*sync), GFP_KERNEL_ACCOUNT);
	if (!sync)
		return NULL;
	sync->wq = alloc_workqueue("nflb_sync", WQ_UNBOUND, 0);
	if (!sync->wq) {
		nflb_sync_free(sync);
		return NULL;
	}
	for (i = 0; i < cfg->npeers; i++) {
		sync->peers[i].history = kvcalloc(NFLB_SYNC_HISTORY,
						  sizeof(struct nflb_sync_sent),
						  GFP_KERNEL_ACCOUNT);
		sync->peers[i].held = kvcalloc(NFLB_SYNC_WINDOW,
					       sizeof(struct nflb_sync_held),
					       GFP_KERNEL_ACCOUNT);
		if (!sync->peers[i].history || !sync->peers[i].held ||
		    nflb_sync_history_bufs(&sync->peers[i])) {
			nflb_sync_free(sync);
			return NULL;
		}
	}
	for (i = 0; i < cfg->npeers; i++)
		if (dst_cache_init(&sync->peers[i].dst_cache,
				   GFP_KERNEL_ACCOUNT)) {
			nflb_sync_free(sync);
			return NULL;
		}
	sync->q = nflb_syncq_alloc(cfg->node_id, &sync->tx_timer,
				   &sync->tx_work, sync->wq,
				   msecs_to_jiffies(cfg->delay_ms) ?: 1);
	if (!sync->q) {
		nflb_sync_free(sync);
		return NULL;
	}
	sync->ln = ln;
	sync->cfg = *cfg;
	sync->epoch = ktime_get_real_ns();
	sync->started = jiffies;
	sync->want_since = sync->started;
	sync->dgram_max = cfg->family == AF_INET ? NFLB_SYNC_DGRAM4 :
						   NFLB_SYNC_DGRAM6;
	sync->bulk_from = -1;
	sync->walk_to = -1;
	sync->live_len = NFLB_SYNC_HDR;
	sync->tx = sync->spare[0];
	sync->live = sync->spare[1];
	sync->rxq_share = NFLB_SYNC_RXQ_BYTES / max(cfg->npeers, 1U);
	for (i = 0; i < cfg->npeers; i++) {
		sync->peers[i].addr = cfg->peers[i];
		nflb_sync_dir_key(sync->peers[i].tx_key, NFLB_SYNC_LABEL,
				  cfg->key, cfg->family, &cfg->local,
				  &cfg->peers[i]);
		nflb_sync_dir_key(sync->peers[i].rx_key, NFLB_SYNC_LABEL,
				  cfg->key, cfg->family, &cfg->peers[i],
				  &cfg->local);
	}
	mutex_init(&sync->lock);
	spin_lock_init(&sync->txlock);
	timer_setup(&sync->tx_timer, nflb_sync_tx_timer, 0);
	skb_queue_head_init(&sync->rxq);
	INIT_WORK(&sync->tx_work, nflb_sync_tx_work);
	INIT_WORK(&sync->rx_work, nflb_sync_rx_work);
	INIT_DELAYED_WORK(&sync->tick, nflb_sync_tick);
	INIT_DELAYED_WORK(&sync->nack_work, nflb_sync_nack_work);
	INIT_DELAYED_WORK(&sync->ack_work, nflb_sync_ack_work);
	INIT_DELAYED_WORK(&sync->tx_later, nflb_sync_tx_later);
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
	if (err)
		NL_SET_ERR_MSG(extack,
			       "cannot bind the sync socket: is the local address configured in this namespace, and the port free?");
	if (!err) {
		err = nflb_sync_redir_alloc(sync);
		if (err)
			udp_tunnel_sock_release(sync->sock);
	}
	if (err) {
		nflb_syncq_free(sync->q);
		nflb_sync_free(sync);
		return err;
	}
	nflb_session_iter_start(ln, &sync->refresh);
	nflb_session_iter_pause(&sync->refresh);
	ln->sync = sync;
	rcu_assign_pointer(ln->syncq, sync->q);
	rcu_assign_pointer(ln->redir, sync->redir);
	queue_delayed_work(sync->wq, &sync->tick, 0);
	return 0;
}

/* Cancels the workers and the transmit timer, waiting for those running. */
static void nflb_sync_quiesce(struct nflb_sync *sync)
{
	cancel_delayed_work_sync(&sync->tick);
	cancel_work_sync(&sync->rx_work);
	cancel_delayed_work_sync(&sync->nack_work);
	cancel_delayed_work_sync(&sync->ack_work);
	cancel_delayed_work_sync(&sync->tx_later);
	cancel_work_sync(&sync->tx_work);
	del_timer_sync(&sync->tx_timer);
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
	RCU_INIT_POINTER(ln->redir, NULL);
	rcu_assign_sk_user_data(sync->sock->sk, NULL);
	synchronize_rcu();
	WRITE_ONCE(sync->stopping, true);
	/*
	 * Twice: one that read @stopping before it was set may queue another
	 * (the timer the transmit worker, that worker tx_later...) after
	 * that one was cancelled; whatever runs after the first round sees
	 * @stopping and queues nothing.
	 */
	nflb_sync_quiesce(sync);
	nflb_sync_quiesce(sync);
	nflb_sync_walk_end(sync);
	nflb_session_iter_stop(&sync->refresh);
	udp_tunnel_sock_release(sync->sock);
	skb_queue_purge(&sync->rxq);
	nflb_syncq_free(sync->q);
	nflb_sync_free(sync);
}

/*
 * Lag: how long the oldest datagram sent to @p that wants an ack has
 * waited for it; 0 when all are acked.  When some unacked ones have left
 * the history, the oldest datagram still in it stands for them (a lower
 * bound).  Under txlock.
 */
static u32 nflb_sync_lag(const struct nflb_sync_peer *p)
{
	bool overflow = p->tx_seq - p->acked > NFLB_SYNC_HISTORY;
	const struct nflb_sync_sent *e;
	unsigned long oldest = jiffies;
	unsigned int i;

	for (i = 0; i < NFLB_SYNC_HISTORY && p->acked < p->tx_seq; i++) {
		e = &p->history[i];
		if (!e->len || e->seq <= p->acked || e->seq > p->tx_seq ||
		    (!overflow && !nflb_sync_wants_ack(e->type)))
			continue;
		if (time_before(e->sent, oldest))
			oldest = e->sent;
	}
	return jiffies_to_msecs(jiffies - oldest);
}

/* Under sync->lock; takes txlock, so not under it. */
static void nflb_sync_peer_info(struct nflb_sync *sync,
				const struct nflb_sync_peer *p,
				struct nflb_sync_peer_info *pi)
{
	pi->addr = p->addr;
	pi->node_id = p->node_id;
	pi->state = p->state;
	pi->last_seen_ms = p->last_seen ?
			   jiffies_to_msecs(jiffies - p->last_seen) ?: 1 : 0;
	spin_lock_bh(&sync->txlock);
	pi->lag_ms = nflb_sync_lag(p);
	pi->tx_datagrams = p->tx_datagrams;
	spin_unlock_bh(&sync->txlock);
	pi->rx_datagrams = p->rx_datagrams;
	pi->rx_records = p->rx_records;
	pi->owner_share = 0;		/* nflb_sync_redir_info()'s */
}

/* Redirect's counters and shares in @info.  Under sync->lock. */
static void nflb_sync_redir_info(struct nflb_sync *sync,
				 struct nflb_sync_info *info)
{
	static const u8 attr[NFLB_R_MAX] = {
		[NFLB_R_TX] = NFLB_SYNC_STATS_A_TX_REDIRECTED,
		[NFLB_R_RX] = NFLB_SYNC_STATS_A_RX_REDIRECTED,
		[NFLB_R_TX_ERRORS] = NFLB_SYNC_STATS_A_TX_REDIRECT_ERRORS,
		[NFLB_R_TX_FRAG] = NFLB_SYNC_STATS_A_TX_REDIRECT_FRAG,
		[NFLB_R_DROP_NOT_PEER] = NFLB_SYNC_STATS_A_REDIRECT_DROP_NOT_PEER,
		[NFLB_R_DROP_BAD_MAC] = NFLB_SYNC_STATS_A_REDIRECT_DROP_BAD_MAC,
		[NFLB_R_DROP_MALFORMED] = NFLB_SYNC_STATS_A_REDIRECT_DROP_MALFORMED,
		[NFLB_R_DROP_NOT_OURS] = NFLB_SYNC_STATS_A_REDIRECT_DROP_NOT_OURS,
		[NFLB_R_DROP_NOT_OWNER] = NFLB_SYNC_STATS_A_REDIRECT_DROP_NOT_OWNER,
	};
	u64 c[NFLB_R_MAX];
	unsigned int i;

	info->redirect = sync->redir;
	if (!sync->redir)
		return;
	nflb_redir_counters(sync->redir, c);
	for (i = 0; i < NFLB_R_MAX; i++)
		info->stats[attr[i]] = c[i];
	info->owner_share = nflb_redir_share(sync->redir, NFLB_REDIR_SELF);
	for (i = 0; i < sync->cfg.npeers; i++)
		info->peers[i].owner_share = nflb_redir_share(sync->redir, i);
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
	info->rate = sync->cfg.rate;
	info->delay_ms = sync->cfg.delay_ms;
	info->npeers = sync->cfg.npeers;
	mutex_lock(&sync->lock);
	info->ready = sync->ready;
	for (i = 0; i < sync->cfg.npeers; i++)
		nflb_sync_peer_info(sync, &sync->peers[i], &info->peers[i]);
	spin_lock_bh(&sync->txlock);
	memcpy(info->stats, sync->stats, sizeof(info->stats));
	spin_unlock_bh(&sync->txlock);
	nflb_sync_redir_info(sync, info);
	mutex_unlock(&sync->lock);
	info->stats[NFLB_SYNC_STATS_A_TX_DROPPED] = nflb_syncq_dropped(sync->q);
	info->stats[NFLB_SYNC_STATS_A_RX_QUEUE_FULL] =
		atomic_long_read(&sync->rx_queue_full);
	info->stats[NFLB_SYNC_STATS_A_RX_MALFORMED] +=
		atomic_long_read(&sync->rx_bad_size);
	info->stats[NFLB_SYNC_STATS_A_RX_UNKNOWN_PEER] +=
		atomic_long_read(&sync->rx_unknown_src);
	return true;
}

/*
 * A copy of the shared key as it was given (sync keeps the 32 raw bytes,
 * from which the direction keys are derived, until nflb_sync_free() clears
 * them);
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
