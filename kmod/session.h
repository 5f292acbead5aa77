/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFLB_SESSION_H
#define _NFLB_SESSION_H

#include <linux/rhashtable.h>
#include <linux/workqueue.h>
#include <linux/netfilter.h>
#include <linux/in6.h>
#include <linux/nflb.h>
#include "flow.h"

struct nflb_net;
struct nflb_vs;
struct nflb_member;
struct nflb_persist;

/*
 * Hash keys.  Everything before 'dir' is the key; 'dir' says which of the
 * session's two nodes this is, so a lookup hit needs no second compare.
 */
struct nflb_tuple4 {
	__be32 src;
	__be32 dst;
	__be16 sport;
	__be16 dport;
	u8 proto;
	u8 dir;
};

struct nflb_tuple6 {
	struct in6_addr src;
	struct in6_addr dst;
	__be16 sport;
	__be16 dport;
	u8 proto;
	u8 dir;
};

struct nflb_shash4 {
	struct rhash_head node;
	struct nflb_tuple4 t;
};

struct nflb_shash6 {
	struct rhash_head node;
	struct nflb_tuple6 t;
};

enum {
	NFLB_S_DYING,		/* unlinked or being unlinked: bit in flags */
	NFLB_S_CLOSED,		/* TIME_WAIT/CLOSE: no longer in member->active */
	NFLB_S_LIBERAL,		/* TCP picked up mid-stream: no window checks */
	NFLB_S_SYNCQ,		/* a sync notice holds it (session.c) */
	NFLB_S_FAILED,		/* counted as its member's failure (passive.c) */
	NFLB_S_SENT,		/* a record of it left for the peers */
	NFLB_S_SENT_CLOSED,	/* ... one that says it closed */
	NFLB_S_TELL_END,	/* peers must hear that it ended early */
};

/*
 * One session: the original (client -> VIP) and reply (member -> client)
 * tuples, each hashed, in one object.  IPv4 sessions are allocated without
 * the IPv6 part of the union; see nflb_session_size().
 *
 * Set before the session is published and constant afterwards: vs, member,
 * persist, family and the tuples.  @flags holds atomic bits (NFLB_S_*).
 *
 * The rest is written without a lock by whichever CPU handles a packet of
 * the session; a client packet and a member reply can be handled on two
 * CPUs at once, so each rule below tolerates a lost update:
 *
 * @expires   jiffies; nflb_session_touch() rewrites it (WRITE_ONCE, only
 *            when it changes); the GC, eviction and dumps READ_ONCE it.  A
 *            lost update gives one packet's worth of timeout, no more.
 * @state     enum nflb_state; the datapath (tcp.c) moves it, WRITE_ONCE;
 *            the GC, eviction, member accounting and dumps READ_ONCE it.
 *            It only matters through its timeout and whether it is closed:
 *            NFLB_S_CLOSED (a flag bit, set once) is what takes the
 *            session off its member's active count, so racing state
 *            writes cannot count it twice.
 * @seen_reply  0 until the member's first packet, then 1 for good
 *            (WRITE_ONCE once); eviction prefers sessions still at 0.
 * @owner     sync node id of the node that created it (0: this node,
 *            sync off).  Set before the session is published; a received
 *            record may change it (sync, WRITE_ONCE).  Only the
 *            owner tells peers that a session is gone.
 * @seq_next, @maxwin, @wscale, @syn_len  per-direction window tracking
 *            (tcp.c), plain reads and writes: a lost update makes the
 *            in-window test slightly stricter or looser for a moment,
 *            never unsafe for memory; reset-on-expiry sends what
 *            @seq_next holds when the session dies.
 */
struct nflb_session {
	struct nflb_vs *vs;		/* holds a reference */
	struct nflb_member *member;	/* holds a reference */
	struct nflb_persist *persist;	/* affinity that placed it, held */
	unsigned long expires;		/* jiffies */
	unsigned long flags;
	u32 seq_next[2];		/* highest seq + len seen, per direction */
	u32 maxwin[2];			/* largest window advertised, scaled */
	u8 wscale[2];			/* window scale shift; see tcp.c */
	u16 syn_len;			/* the client SYN's seg_len (TFO data) */
	u8 state;			/* enum nflb_state */
	u8 family;
	u8 seen_reply;
	u8 owner;			/* sync node id; in what was padding */
	struct rcu_head rcu;
	union {
		struct nflb_shash4 h4[2];
		struct nflb_shash6 h6[2];
	};
};

struct nflb_table {
	struct rhashtable ht4;
	struct rhashtable ht6;
	atomic_t count;			/* sessions in the table */
	/*
	 * Sessions allocated and not yet freed: count plus those unlinked
	 * and waiting for their grace period.  max-sessions bounds this one,
	 * so a flood of short flows cannot pile up memory behind RCU.
	 */
	atomic_t held;
	struct delayed_work gc_work;
	struct rhashtable_iter gc_iter[2];
	int gc_phase;
	unsigned int gc_seen, gc_expired;	/* this pass */
	bool gc_hurry;				/* last pass: many expired */
	bool gc_churn;				/* last pass: some expired */
	unsigned long gc_interval;		/* between passes, jiffies */
};

int nflb_session_init(void);
void nflb_session_exit(void);
size_t nflb_session_size(u8 family);

int nflb_table_init(struct nflb_net *ln);
void nflb_table_destroy(struct nflb_net *ln);

struct nflb_session *nflb_session_find(struct nflb_net *ln,
				       const struct nflb_flow *f,
				       enum nflb_dir *dir);
struct nflb_session *nflb_session_create(struct nflb_net *ln,
					 const struct nflb_flow *f,
					 struct nflb_vs *vs,
					 struct nflb_member *m,
					 struct nflb_persist *p, u8 state,
					 int *drop_reason);
/* Whether a session that goes away sends RSTs to both ends. */
enum nflb_reset {
	NFLB_RST_NONE,		/* quietly (flush, deletion, port reuse) */
	NFLB_RST_IF_ASKED,	/* ESTABLISHED and the VS has reset-on-expiry */
	NFLB_RST_ALWAYS,	/* any open TCP session (drain deadline) */
};

bool nflb_session_expire(struct nflb_net *ln, struct nflb_session *s,
			 enum nflb_reset reset);
void nflb_session_closed(struct nflb_session *s);

/* TIME_WAIT or CLOSE: the connection is over, the session lingers. */
static inline bool nflb_state_closed(u8 state)
{
	return state == NFLB_TCP_TIME_WAIT || state == NFLB_TCP_CLOSE;
}

/* Orig and reply tuples in flow form, for NAT and dumps. */
void nflb_session_tuple(const struct nflb_session *s, enum nflb_dir dir,
			struct nflb_flow *f);

/* Visits every session; cb may call nflb_session_expire().  Process context. */
typedef void (*nflb_session_cb)(struct nflb_net *ln, struct nflb_session *s,
				void *arg);
void nflb_session_for_each(struct nflb_net *ln, nflb_session_cb cb, void *arg);

struct nflb_session_iter {
	struct rhashtable_iter it;
	int phase;			/* 0: IPv4 table, 1: IPv6, 2: done */
	unsigned int restarts;		/* walks started over by a resize */
};

void nflb_session_iter_start(struct nflb_net *ln, struct nflb_session_iter *i);
struct nflb_session *nflb_session_iter_peek(struct nflb_net *ln,
					    struct nflb_session_iter *i);
struct nflb_session *nflb_session_iter_peek_table(struct nflb_session_iter *i);
void nflb_session_iter_advance(struct nflb_session_iter *i);
void nflb_session_iter_pause(struct nflb_session_iter *i);
void nflb_session_iter_resume(struct nflb_session_iter *i);
void nflb_session_iter_stop(struct nflb_session_iter *i);

/* Which sessions a dump, a flush or a member going down selects. */
struct nflb_session_filter {
	char vs[NFLB_NAME_MAX];		/* "" = any */
	const struct nflb_member *member; /* by identity, NULL = any */
	bool has_member_addr;
	union nf_inet_addr member_addr;
	__be16 member_port;		/* 0 = any */
	bool has_client;
	union nf_inet_addr client;
	u8 client_plen;
	u8 family;			/* of member_addr/client; 0 = any */
};

bool nflb_session_match(const struct nflb_session *s,
			const struct nflb_session_filter *f);
unsigned int nflb_session_expire_match(struct nflb_net *ln,
				       const struct nflb_session_filter *f,
				       enum nflb_reset reset);

/*
 * Sync notices (Documentation/sync.rst).  A session change that peers must
 * hear of is put, by the CPU that made it, on that CPU's ring: the session
 * itself, which the notice holds (NFLB_S_SYNCQ; session.c says how a
 * session that ends meanwhile is freed by whoever finishes last), so the
 * sync transmitter reads it without looking it up again.  One notice at a
 * time per session: the transmitter reads the session's state when it
 * sends, so later changes ride along, and a session that ended tells it
 * so (a delete, if the peers must hear it).  Each ring has one producer,
 * its CPU with BH disabled, and one consumer at a time, sync's transmit
 * timer (softirq) or worker, under sync's txlock: head is written
 * only by the producer, tail only by the consumer, each published with
 * release and read with acquire.  A full ring drops the notice and counts
 * it in @dropped (producer only).
 *
 * ln->syncq is NULL while sync is off; it is published and cleared with
 * RCU under cfg_mutex, and freed after a grace period, so a producer
 * (softirq, or BH disabled) never sees a freed queue.
 */
#define NFLB_SYNCQ_SLOTS	1024	/* a CPU; a power of 2 */
/*
 * A ring this full runs the consumer at the next tick instead of after the
 * batch delay: a quarter of the ring, room for three more quarters before
 * it runs (about ten datagrams a run at ~25 records each).
 */
#define NFLB_SYNCQ_EARLY	(NFLB_SYNCQ_SLOTS / 4)

/*
 * A notice: the session, and when it was queued (jiffies), which makes
 * its record due the batch delay later.  Written by the producer before
 * it publishes head.
 */
struct nflb_notice {
	struct nflb_session *s;
	unsigned long queued;
};

struct nflb_notice_ring {
	unsigned int head;		/* producer */
	unsigned int tail;		/* consumer */
	unsigned long dropped;		/* producer; read racily by dumps */
	struct nflb_notice slot[NFLB_SYNCQ_SLOTS];
};

struct nflb_syncq {
	u8 node_id;			/* constant while published */
	/*
	 * The consumer, sync's transmit timer (softirq): moved to @delay
	 * after a ring goes from empty to 1, and to the next tick when a ring
	 * reaches a multiple of NFLB_SYNCQ_EARLY; only ever moved earlier
	 * here (timer_reduce()), so a kick that asks for at once is never
	 * pushed back.  A timer, not a work item: a batch then costs a timer
	 * softirq, not a worker's wake-up and two context switches.  A peer
	 * that waits (hurry) queues @now on @wq instead, which drains too and
	 * runs within a tick's time.  Constant while published.
	 */
	struct timer_list *timer;
	struct work_struct *now;
	struct workqueue_struct *wq;
	unsigned long delay;		/* jiffies */
	/*
	 * Bit 0: a peer waits for records, the notices queued so far leave
	 * at once (nflb_syncq_hurry()).  Set by any CPU, cleared by the
	 * consumer before it drains; atomic bitops.
	 */
	unsigned long hurry;
	struct rcu_head rcu;
	struct nflb_notice_ring *rings;	/* nr_cpu_ids of them */
};

struct nflb_syncq *nflb_syncq_alloc(u8 node_id, struct timer_list *timer,
				    struct work_struct *now,
				    struct workqueue_struct *wq,
				    unsigned long delay);
void nflb_syncq_free(struct nflb_syncq *q);
struct nflb_session *nflb_syncq_pop(struct nflb_syncq *q, unsigned int cpu,
				    bool *gone, unsigned long *queued);
void nflb_syncq_hurry(struct nflb_net *ln);
bool nflb_syncq_hurried(struct nflb_syncq *q);
bool nflb_session_end_news(const struct nflb_session *s);
void nflb_syncq_put_gone(struct nflb_session *s);
unsigned long nflb_syncq_dropped(const struct nflb_syncq *q);
void nflb_session_changed(struct nflb_net *ln, struct nflb_session *s);

/* What a peer tells of a session, to install or update it here. */
struct nflb_session_sync {
	u8 owner;
	u8 state;
	bool seen_reply;
	u32 seq_next[2];
	u32 maxwin[2];
	u8 wscale[2];
	u16 syn_len;
	u32 timeout_ms;			/* left on the sender */
};

struct nflb_session *nflb_session_lookup(struct nflb_net *ln,
					 const struct nflb_flow *orig);
int nflb_session_install(struct nflb_net *ln, const struct nflb_flow *orig,
			 struct nflb_vs *vs, struct nflb_member *m,
			 const struct nflb_session_sync *st);
void nflb_session_sync_close(struct nflb_session *s, u8 state, u32 timeout_ms);
void nflb_session_export(const struct nflb_session *s,
			 struct nflb_session_sync *st);

#endif /* _NFLB_SESSION_H */
