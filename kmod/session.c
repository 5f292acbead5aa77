// SPDX-License-Identifier: GPL-2.0
/*
 * The session table.
 *
 * Each session is hashed twice, by its original tuple (client -> VIP) and by
 * its reply tuple (member -> client), in one rhashtable per address family.
 * Lookups are lock-free under RCU.  Inserts and removals take rhashtable's
 * per-bucket locks.  A session leaves the table exactly once: whoever sets
 * NFLB_S_DYING unlinks it and frees it after a grace period (call_rcu),
 * dropping its references on the virtual server and the member there, or,
 * if a sync notice holds it, leaves that to the notice's end.  Expiry is
 * done by a per-netns GC worker that walks a slice
 * of the table per run, and by the datapath when it meets an expired entry.
 */
#include <linux/delay.h>
#include <linux/jhash.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <net/tcp.h>
#include <net/ipv6.h>
#include <linux/inetdevice.h>
#include "main.h"
#include "service.h"
#include "persist.h"
#include "reset.h"
#include "session.h"

/*
 * GC pacing.  A slice checks NFLB_GC_BUDGET sessions (walking twice as many
 * hash nodes); slices follow each other every NFLB_GC_SLICE_DELAY, i.e.
 * about 20,000 sessions a second, a few percent of a CPU, so a big idle
 * table does not eat the packet budget.  A table of a million sessions is
 * swept in about 50 s; packets never depend on it, since lookups expire
 * sessions themselves.  When sessions do churn (the last pass found a
 * quarter of them expired, or the table is 7/8 full and the last pass
 * found any expired), slices run ten times as often.
 */
#define NFLB_GC_BUDGET		2048
#define NFLB_GC_INTERVAL	HZ	/* between full passes */
/*
 * A big table where passes find few sessions expired (short connections
 * lingering in TIME_WAIT, long UDP timeouts) is swept less often, up to
 * this far apart: each session is then checked a few times in its life
 * rather than once a second.  Small tables are always swept every second.
 */
#define NFLB_GC_INTERVAL_MAX	(8 * HZ)
#define NFLB_GC_SLICE_DELAY	(HZ / 10)
#define NFLB_GC_SLICE_FAST	(HZ / 100 ?: 1)

static struct kmem_cache *nflb_cache4 __read_mostly;
static struct kmem_cache *nflb_cache6 __read_mostly;

/* Inlined into the lookups and inserts: every packet hashes its tuple. */
static __always_inline u32 nflb_hash4(const void *data, u32 len, u32 seed)
{
	const struct nflb_tuple4 *t = data;

	return jhash_3words((__force u32)t->src,
			    (__force u32)t->dst ^ t->proto,
			    ((__force u32)t->sport << 16) |
			    (__force u32)t->dport, seed);
}

static int nflb_cmp4(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct nflb_tuple4 *k = arg->key;
	const struct nflb_tuple4 *t = &((const struct nflb_shash4 *)obj)->t;

	return k->src != t->src || k->dst != t->dst ||
	       k->sport != t->sport || k->dport != t->dport ||
	       k->proto != t->proto;
}

static u32 nflb_hash6(const void *data, u32 len, u32 seed)
{
	const struct nflb_tuple6 *t = data;
	u32 h;

	h = jhash2((const u32 *)&t->src, 8, seed);
	return jhash_2words(h, ((__force u32)t->sport << 16) |
			    (__force u32)t->dport, seed ^ t->proto);
}

static int nflb_cmp6(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct nflb_tuple6 *k = arg->key;
	const struct nflb_tuple6 *t = &((const struct nflb_shash6 *)obj)->t;

	return !ipv6_addr_equal(&k->src, &t->src) ||
	       !ipv6_addr_equal(&k->dst, &t->dst) ||
	       k->sport != t->sport || k->dport != t->dport ||
	       k->proto != t->proto;
}

static const struct rhashtable_params nflb_params4 = {
	.head_offset = offsetof(struct nflb_shash4, node),
	.key_offset = offsetof(struct nflb_shash4, t),
	.key_len = offsetof(struct nflb_tuple4, dir),
	.hashfn = nflb_hash4,
	.obj_cmpfn = nflb_cmp4,
	.automatic_shrinking = true,
	.min_size = 256,
};

static const struct rhashtable_params nflb_params6 = {
	.head_offset = offsetof(struct nflb_shash6, node),
	.key_offset = offsetof(struct nflb_shash6, t),
	.key_len = offsetof(struct nflb_tuple6, dir),
	.hashfn = nflb_hash6,
	.obj_cmpfn = nflb_cmp6,
	.automatic_shrinking = true,
	.min_size = 256,
};

size_t nflb_session_size(u8 family)
{
	if (family == AF_INET)
		return offsetof(struct nflb_session, h4[2]);
	return sizeof(struct nflb_session);
}

static u8 nflb_session_proto(const struct nflb_session *s)
{
	return s->family == AF_INET ? s->h4[0].t.proto : s->h6[0].t.proto;
}

/* Session of a hash node: the node knows its own index in h4[]/h6[]. */
static struct nflb_session *nflb_node_session(u8 family, void *obj,
					      enum nflb_dir *dir)
{
	if (family == AF_INET) {
		struct nflb_shash4 *h = obj;

		*dir = h->t.dir;
		return container_of(h - h->t.dir, struct nflb_session, h4[0]);
	}
	*dir = ((struct nflb_shash6 *)obj)->t.dir;
	return container_of((struct nflb_shash6 *)obj - *dir,
			    struct nflb_session, h6[0]);
}

void nflb_session_tuple(const struct nflb_session *s, enum nflb_dir dir,
			struct nflb_flow *f)
{
	memset(f, 0, sizeof(*f));
	f->family = s->family;
	if (s->family == AF_INET) {
		const struct nflb_tuple4 *t = &s->h4[dir].t;

		f->src.ip = t->src;
		f->dst.ip = t->dst;
		f->sport = t->sport;
		f->dport = t->dport;
		f->proto = t->proto;
	} else {
		const struct nflb_tuple6 *t = &s->h6[dir].t;

		f->src.in6 = t->src;
		f->dst.in6 = t->dst;
		f->sport = t->sport;
		f->dport = t->dport;
		f->proto = t->proto;
	}
}

static void nflb_tuple_fill(struct nflb_session *s, enum nflb_dir dir,
			    const struct nflb_flow *f)
{
	if (s->family == AF_INET) {
		struct nflb_tuple4 *t = &s->h4[dir].t;

		t->src = f->src.ip;
		t->dst = f->dst.ip;
		t->sport = f->sport;
		t->dport = f->dport;
		t->proto = f->proto;
		t->dir = dir;
	} else {
		struct nflb_tuple6 *t = &s->h6[dir].t;

		t->src = f->src.in6;
		t->dst = f->dst.in6;
		t->sport = f->sport;
		t->dport = f->dport;
		t->proto = f->proto;
		t->dir = dir;
	}
}

static void *nflb_node_find6(struct nflb_net *ln, const struct nflb_flow *f)
{
	struct nflb_tuple6 k = {
		.src = f->src.in6, .dst = f->dst.in6,
		.sport = f->sport, .dport = f->dport,
		.proto = f->proto,
	};

	return rhashtable_lookup(&ln->tbl.ht6, &k, nflb_params6);
}

static void *nflb_node_find(struct nflb_net *ln, const struct nflb_flow *f)
{
	if (f->family == AF_INET) {
		struct nflb_tuple4 k = {
			.src = f->src.ip, .dst = f->dst.ip,
			.sport = f->sport, .dport = f->dport,
			.proto = f->proto,
		};

		return rhashtable_lookup(&ln->tbl.ht4, &k, nflb_params4);
	}
	return nflb_node_find6(ln, f);
}

static int nflb_node_insert(struct nflb_net *ln, struct nflb_session *s,
			    enum nflb_dir dir)
{
	if (s->family == AF_INET)
		return rhashtable_lookup_insert_fast(&ln->tbl.ht4,
						     &s->h4[dir].node,
						     nflb_params4);
	return rhashtable_lookup_insert_fast(&ln->tbl.ht6, &s->h6[dir].node,
					     nflb_params6);
}

static void nflb_node_unlink(struct nflb_net *ln, struct nflb_session *s,
			     enum nflb_dir dir)
{
	if (s->family == AF_INET)
		rhashtable_remove_fast(&ln->tbl.ht4, &s->h4[dir].node,
				       nflb_params4);
	else
		rhashtable_remove_fast(&ln->tbl.ht6, &s->h6[dir].node,
				       nflb_params6);
}

struct nflb_session *nflb_session_find(struct nflb_net *ln,
				       const struct nflb_flow *f,
				       enum nflb_dir *dir)
{
	struct nflb_session *s;
	void *obj;

	obj = nflb_node_find(ln, f);
	if (!obj)
		return NULL;
	s = nflb_node_session(f->family, obj, dir);
	if (unlikely(test_bit(NFLB_S_DYING, &s->flags)))
		return NULL;
	if (unlikely(time_after(jiffies, READ_ONCE(s->expires)))) {
		nflb_session_expire(ln, s, NFLB_RST_IF_ASKED);
		return NULL;
	}
	return s;
}

static void nflb_session_free_rcu(struct rcu_head *head)
{
	struct nflb_session *s = container_of(head, struct nflb_session, rcu);

	/* nflb_net_exit_batch() waits for this before @ln goes. */
	atomic_dec(&s->vs->ln->tbl.held);
	if (s->persist)
		nflb_persist_put(s->persist);
	nflb_member_put(s->member);
	nflb_vs_put(s->vs);
	kmem_cache_free(s->family == AF_INET ? nflb_cache4 : nflb_cache6, s);
}

/*
 * Gives back the live counts nflb_session_create() took; the slot under
 * max-sessions (tbl.held) stays taken until nflb_session_free_rcu().
 */
/*
 * A member's active count (what lc, wlc and max-conns weigh) is its live
 * connections: a session leaves it when its connection closes (TIME_WAIT,
 * CLOSE) or, at the latest, when it is unlinked.  Exactly once, whoever
 * sets NFLB_S_CLOSED first.
 */
void nflb_session_closed(struct nflb_session *s)
{
	if (!test_bit(NFLB_S_CLOSED, &s->flags) &&
	    !test_and_set_bit(NFLB_S_CLOSED, &s->flags))
		atomic_dec(&s->member->active);
}

static void nflb_session_unaccount(struct nflb_net *ln, struct nflb_session *s)
{
	if (s->persist)
		nflb_persist_release(s->persist);
	nflb_session_closed(s);
	atomic_dec(&s->vs->active);
	atomic_dec(&ln->tbl.count);
}

/*
 * Charged to the virtual server's creator (memory cgroup), like everything
 * else a namespace's owner makes nflb allocate.  GFP_NOWAIT rather than
 * GFP_ATOMIC: no emergency reserves for a session, and a cgroup at its
 * limit refuses the charge instead of being pushed over it.
 */
static struct nflb_session *nflb_session_alloc(struct nflb_vs *vs, u8 family)
{
	struct kmem_cache *c = family == AF_INET ? nflb_cache4 : nflb_cache6;
	struct mem_cgroup *old;
	struct nflb_session *s;

	/* Uncharged (initial user namespace): no memcg hooks at all. */
	if (!vs->memcg)
		return kmem_cache_alloc(c, GFP_NOWAIT | __GFP_NOWARN);
	old = set_active_memcg(vs->memcg);
	s = kmem_cache_alloc(c, GFP_NOWAIT | __GFP_NOWARN | __GFP_ACCOUNT);
	set_active_memcg(old);
	return s;
}

static bool nflb_over_limit(atomic_t *count, u32 limit)
{
	if (atomic_inc_return(count) <= limit || !limit)
		return false;
	atomic_dec(count);
	return true;
}

/*
 * Eviction when the table is full (as conntrack's early drop): a session
 * that never saw a reply (a probe nobody answered), a TCP handshake that
 * did not complete (a spoofed SYN) or one that is closing (TIME_WAIT,
 * CLOSE) makes room for a new flow, so that a flood or plain TIME_WAIT
 * churn cannot lock real clients out.  Established connections and
 * answered UDP flows are never evicted.
 *
 * The victim is the evictable session closest to its expiry among those
 * in up to NFLB_EVICT_BUCKETS hash buckets from a random one, at most
 * NFLB_EVICT_SCAN sessions looked at: bounded work per new flow.
 */
#define NFLB_EVICT_BUCKETS	64
#define NFLB_EVICT_SCAN		16

/*
 * Not "assured", in conntrack's words: a flow nobody answered, a TCP
 * handshake that never completed (a spoofed SYN the member did answer
 * stays in SYN_RECV), or a connection that is over.
 */
static bool nflb_evictable(const struct nflb_session *s)
{
	u8 state = READ_ONCE(s->state);

	return !READ_ONCE(s->seen_reply) || state == NFLB_TCP_SYN_SENT ||
	       state == NFLB_TCP_SYN_RECV || nflb_state_closed(state);
}

static struct nflb_session *nflb_evict_pick(struct rhashtable *ht, u8 family)
{
	struct bucket_table *tbl = rht_dereference_rcu(ht->tbl, ht);
	unsigned int i, seen = 0, start = get_random_u32();
	struct nflb_session *s, *victim = NULL;
	struct rhash_head *pos;
	enum nflb_dir dir;

	for (i = 0; i < NFLB_EVICT_BUCKETS && seen < NFLB_EVICT_SCAN; i++) {
		rht_for_each_rcu(pos, tbl, (start + i) & (tbl->size - 1)) {
			s = nflb_node_session(family, pos, &dir);
			if (dir != NFLB_DIR_ORIG ||
			    test_bit(NFLB_S_DYING, &s->flags))
				continue;
			seen++;
			if (nflb_evictable(s) &&
			    (!victim || time_before(READ_ONCE(s->expires),
						    READ_ONCE(victim->expires))))
				victim = s;
		}
	}
	return victim;
}

/* Evicts one session, of @family's table first.  Softirq, RCU. */
static bool nflb_session_evict(struct nflb_net *ln, u8 family)
{
	struct nflb_session *s;

	s = nflb_evict_pick(family == AF_INET ? &ln->tbl.ht4 : &ln->tbl.ht6,
			    family);
	if (!s)
		s = nflb_evict_pick(family == AF_INET ? &ln->tbl.ht6 :
					&ln->tbl.ht4,
				    family == AF_INET ? AF_INET6 : AF_INET);
	if (!s || !nflb_session_expire(ln, s, NFLB_RST_NONE))
		return false;
	nflb_stats_add(ln->stats, NFLB_C_SESSIONS_EVICTED, 1);
	nflb_stats_add(s->vs->stats, NFLB_C_SESSIONS_EVICTED, 1);
	return true;
}

/*
 * Sessions unlinked and waiting for their grace period may exceed the
 * limit by this much: an eviction makes room in the table at once, but its
 * memory only comes back after a grace period, and a flood evicts one
 * session per packet.  The slack must hold a grace period's worth of a
 * flood (tens of thousands of packets a second, tens of milliseconds) or
 * real clients are refused again; it still bounds memory behind RCU
 * (1/8 more at the default limit).
 */
#define NFLB_RCU_SLACK_MIN	4096

static u32 nflb_rcu_slack(struct nflb_net *ln, u32 max)
{
	u32 slack = max_t(u32, max / 8, NFLB_RCU_SLACK_MIN);

	/*
	 * Sessions that ended while a sync notice held them wait for the
	 * sync transmitter too: at most the rings' slots (session.h).
	 */
	if (rcu_access_pointer(ln->syncq))
		slack += NFLB_SYNCQ_SLOTS * nr_cpu_ids;
	return slack;
}

/*
 * Takes a slot under max-sessions, evicting a session if need be.  The
 * slot is taken only after the eviction gave one back, so the live count
 * never passes the limit, not even for a moment; another CPU may take the
 * freed slot first, and then this flow is refused like any over the limit.
 */
static bool nflb_session_admit(struct nflb_net *ln, u8 family)
{
	u32 max = READ_ONCE(ln->max_sessions);

	if (nflb_over_limit(&ln->tbl.held, max + nflb_rcu_slack(ln, max)))
		return false;
	if (!nflb_over_limit(&ln->tbl.count, max) ||
	    (nflb_session_evict(ln, family) &&
	     !nflb_over_limit(&ln->tbl.count, max)))
		return true;
	atomic_dec(&ln->tbl.held);
	return false;
}

static void nflb_session_unadmit(struct nflb_net *ln)
{
	atomic_dec(&ln->tbl.count);
	atomic_dec(&ln->tbl.held);
}

/* ---- sync notices (see session.h) ------------------------------------ */

static void nflb_session_free(struct nflb_session *s)
{
	call_rcu(&s->rcu, nflb_session_free_rcu);
}

/*
 * A queued notice holds its session: NFLB_S_SYNCQ is a claim on it, and a
 * session is freed by whichever of its end (NFLB_S_DYING) and its claim's
 * end comes last, exactly once.  Both bits change by cmpxchg of the whole
 * flags word, so each side sees the other's change or makes its own after
 * it:
 *
 * - a claim is taken only on a live session without one (a change to
 *   report; nflb_session_expire() takes one for the delete);
 * - nflb_session_expire() sets DYING and frees the session unless a
 *   claim holds it (or it took one to queue the delete);
 * - a claim ends (sync took the notice, the ring was full, sync
 *   stopped) by clearing SYNCQ, or, on a session that is DYING by then, by
 *   freeing it.
 *
 * Whoever frees runs under RCU, so the other side, also under RCU,
 * finishes reading the session before it is gone.
 */
static bool nflb_notice_claim(struct nflb_session *s)
{
	unsigned long old = READ_ONCE(s->flags);

	do {
		if (old & (BIT(NFLB_S_SYNCQ) | BIT(NFLB_S_DYING)))
			return false;
	} while (!try_cmpxchg(&s->flags, &old, old | BIT(NFLB_S_SYNCQ)));
	return true;
}

/*
 * Ends a claim on a live session (full barrier: what the caller reads of
 * it next is read after a later change could claim it again), or returns
 * true, the claim kept, if it is DYING: then the claim's holder frees it.
 */
static bool nflb_notice_end(struct nflb_session *s)
{
	unsigned long old = READ_ONCE(s->flags);

	do {
		if (old & BIT(NFLB_S_DYING))
			return true;
	} while (!try_cmpxchg(&s->flags, &old, old & ~BIT(NFLB_S_SYNCQ)));
	return false;
}

static void nflb_notice_release(struct nflb_session *s)
{
	if (nflb_notice_end(s))
		nflb_session_free(s);
}

/*
 * Sets DYING on @s, and with it, when peers must hear that it ended
 * (@tell), TELL_END and a claim for the delete's notice.  False if it was
 * DYING already.  *@held: a claim holds it, and the claim's holder frees
 * it; *@queue: the claim is the caller's, to queue.
 */
static bool nflb_session_mark_dying(struct nflb_session *s, bool tell,
				    bool *held, bool *queue)
{
	unsigned long old = READ_ONCE(s->flags), new;

	do {
		if (old & BIT(NFLB_S_DYING))
			return false;
		new = old | BIT(NFLB_S_DYING);
		if (tell)
			new |= BIT(NFLB_S_TELL_END) | BIT(NFLB_S_SYNCQ);
	} while (!try_cmpxchg(&s->flags, &old, new));
	*queue = tell && !(old & BIT(NFLB_S_SYNCQ));
	*held = *queue || (old & BIT(NFLB_S_SYNCQ));
	return true;
}

/*
 * Puts a notice of @s, claimed by the caller, on this CPU's ring; false if
 * sync is off or the ring is full (the claim is still the caller's).  BH
 * is disabled around it: the producer of a ring is its CPU, and the
 * LOCAL_OUT hook runs in process context, where it could otherwise be
 * preempted or interrupted by the softirq.
 */
static bool nflb_notice_put(struct nflb_net *ln, struct nflb_session *s)
{
	struct nflb_notice_ring *r;
	struct nflb_syncq *q;
	unsigned int head, tail;
	bool queued = false;

	if (!rcu_access_pointer(ln->syncq))
		return false;
	local_bh_disable();
	q = rcu_dereference_bh(ln->syncq);
	if (!q)
		goto out;
	r = &q->rings[smp_processor_id()];
	head = r->head;
	/* Pairs with the consumer's release: its read of the slot is done. */
	tail = smp_load_acquire(&r->tail);
	if (head - tail >= NFLB_SYNCQ_SLOTS) {
		r->dropped++;
		goto out;
	}
	r->slot[head & (NFLB_SYNCQ_SLOTS - 1)].s = s;
	r->slot[head & (NFLB_SYNCQ_SLOTS - 1)].queued = jiffies;
	/* Publishes the slot's contents before the new head. */
	smp_store_release(&r->head, head + 1);
	/*
	 * Run the consumer (sync's transmit timer), a little later, when the
	 * ring was empty: the changes of that while (a connection's
	 * handshake, its close, other flows) leave in one run and as few
	 * datagrams as they fill, instead of one each.  If the consumer
	 * emptied the ring just after we read tail, sync's periodic tick
	 * picks this up.  A busy node waits the delay too: a run and a
	 * datagram cost far more than a record, so one run sends all the
	 * full datagrams of a delay's changes.  Only a ring filling up faster
	 * than that runs it early, at the next tick, well before it would
	 * drop notices, and again at each further quarter should it not have
	 * come.
	 */
	if (head == tail)
		timer_reduce(q->timer, jiffies + q->delay);
	else if (!((head + 1 - tail) % NFLB_SYNCQ_EARLY))
		timer_reduce(q->timer, jiffies);
	queued = true;
out:
	local_bh_enable();
	return queued;
}

/*
 * Whether peers must hear that a session entered @state.  A peer carries
 * a flow on after a failover from the record it has, tracking the packets
 * from then on itself, so it needs the states that change what it does
 * with the flow or how long it keeps it, not the steps between them:
 * SYN_RECV is followed within a round trip by ESTABLISHED (or the session
 * dies, and its delete follows), and FIN_WAIT, CLOSE_WAIT and LAST_ACK by
 * TIME_WAIT or CLOSE.  A peer that takes a flow over in one of those
 * steps sees the rest of it; one that would have been told of a step
 * that lasts (a half-closed connection) is told by the refresh pass.
 * Such a change still rides along with a notice already queued.
 */
static bool nflb_state_news(u8 state)
{
	switch (state) {
	case NFLB_TCP_SYN_RECV:
	case NFLB_TCP_FIN_WAIT:
	case NFLB_TCP_CLOSE_WAIT:
	case NFLB_TCP_LAST_ACK:
		return false;
	default:
		return true;
	}
}

/*
 * @s was created or changed state: its record goes to the peers, if they
 * need it (nflb_state_news()).  One notice at a time per session
 * (NFLB_S_SYNCQ): the worker reads the session's state when it sends, so
 * later changes ride along.
 */
void nflb_session_changed(struct nflb_net *ln, struct nflb_session *s)
{
	if (!rcu_access_pointer(ln->syncq) ||
	    !nflb_state_news(READ_ONCE(s->state)))
		return;
	/*
	 * The change is written before the claim is read, as sync ends
	 * a claim before it reads the state (nflb_notice_end()): either it
	 * reads the change, or this sees the claim gone and queues anew.
	 */
	smp_mb();
	if (test_bit(NFLB_S_SYNCQ, &s->flags) || !nflb_notice_claim(s))
		return;
	if (!nflb_notice_put(ln, s))
		nflb_notice_release(s);
}

/* Process context; charged to the caller (the namespace's owner). */
struct nflb_syncq *nflb_syncq_alloc(u8 node_id, struct timer_list *timer,
				    struct work_struct *now,
				    struct workqueue_struct *wq,
				    unsigned long delay)
{
	struct nflb_syncq *q;

	q = kzalloc(sizeof(*q), GFP_KERNEL_ACCOUNT);
	if (!q)
		return NULL;
	q->rings = kvcalloc(nr_cpu_ids, sizeof(*q->rings),
			    GFP_KERNEL_ACCOUNT);
	if (!q->rings) {
		kfree(q);
		return NULL;
	}
	q->node_id = node_id;
	q->timer = timer;
	q->now = now;
	q->wq = wq;
	q->delay = delay;
	return q;
}

/*
 * The consumer's side: the session of the next notice of @cpu's ring, or
 * NULL; when it was queued in *@queued.  Called under RCU, which the
 * caller holds while it reads the session.  A live one is no longer held
 * (a change from now on queues a new notice); one that ended (*@gone)
 * still is, and the caller hands it to nflb_syncq_put_gone() once it has
 * read it.
 */
struct nflb_session *nflb_syncq_pop(struct nflb_syncq *q, unsigned int cpu,
				    bool *gone, unsigned long *queued)
{
	struct nflb_notice_ring *r = &q->rings[cpu];
	unsigned int tail = r->tail;
	struct nflb_notice *n = &r->slot[tail & (NFLB_SYNCQ_SLOTS - 1)];
	struct nflb_session *s;

	/* Pairs with the producer's release: the slot is written. */
	if (tail == smp_load_acquire(&r->head))
		return NULL;
	s = n->s;
	*queued = n->queued;
	/* The slot is read before the producer may reuse it. */
	smp_store_release(&r->tail, tail + 1);
	*gone = nflb_notice_end(s);
	return s;
}

/*
 * A peer redirected a packet here (hooks.c): it has no session for the
 * flow and redirects the flow's packets until this node's record of it
 * arrives, each costing both nodes more than a datagram.  The notices
 * queued so far, that of the session the packet just created among them,
 * leave at once instead of after the batch delay.  Softirq, RCU.
 */
void nflb_syncq_hurry(struct nflb_net *ln)
{
	struct nflb_syncq *q = rcu_dereference(ln->syncq);

	/* Read first: every redirected packet comes here, one in a while asks. */
	if (q && !test_bit(0, &q->hurry) && !test_and_set_bit(0, &q->hurry))
		queue_work(q->wq, q->now);
}

/*
 * The consumer, before it drains: whether what it drains now is due at
 * once.  Clears the request (a full barrier): a later one kicks again,
 * and the notices queued before this one are on their rings by now.
 */
bool nflb_syncq_hurried(struct nflb_syncq *q)
{
	return test_and_clear_bit(0, &q->hurry);
}

/* A session that ended, taken from a ring and read: it goes. */
void nflb_syncq_put_gone(struct nflb_session *s)
{
	nflb_session_free(s);
}

/*
 * Whether the peers must hear that @s, taken from a ring as gone, ended:
 * it ended early (TELL_END) and they have a record of it.  Read by sync's
 * transmitter, which is the one that sets NFLB_S_SENT.
 */
bool nflb_session_end_news(const struct nflb_session *s)
{
	return test_bit(NFLB_S_TELL_END, &s->flags) &&
	       test_bit(NFLB_S_SENT, &s->flags);
}

/*
 * After ln->syncq was cleared and a grace period passed (no producer
 * left): the notices still queued end, and so do the sessions that ended
 * while held by one.
 */
void nflb_syncq_free(struct nflb_syncq *q)
{
	struct nflb_session *s;
	unsigned long queued;
	unsigned int cpu;
	bool gone;

	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		while ((s = nflb_syncq_pop(q, cpu, &gone, &queued)))
			if (gone)
				nflb_syncq_put_gone(s);
	kvfree(q->rings);
	kfree(q);
}

unsigned long nflb_syncq_dropped(const struct nflb_syncq *q)
{
	unsigned long n = 0;
	unsigned int cpu;

	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		n += READ_ONCE(q->rings[cpu].dropped);
	return n;
}

/*
 * Bulk expiries in process context (a session flush, a virtual server's
 * removal, the GC's slices) end sessions far faster than the datapath
 * makes them, each a notice (a delete) when sync is on: a flush of 50,000
 * filled this CPU's ring long before its consumer ran, and the deletes it
 * dropped left their sessions on the peers until they ran out there.  So
 * once one of them put NFLB_SYNCQ_CROWDED notices of its own on the rings
 * (the datapath's do not count: they never make it wait) and this CPU's
 * ring is that full, it kicks the consumer (sync's transmit worker, as a
 * hurry does) and lets it drain before going on: a flush by waiting
 * (nflb_syncq_wait_room()), at most NFLB_SYNCQ_WAIT in all, since it holds
 * the configuration's and generic netlink's mutexes (beyond that, or on a
 * fatal signal, notices are dropped and counted as before); the GC by
 * ending its slice and coming back after NFLB_GC_SLICE_FAST.
 */
#define NFLB_SYNCQ_CROWDED	(NFLB_SYNCQ_SLOTS / 4)
#define NFLB_SYNCQ_WAIT		(2 * HZ)

/*
 * Notices put on this CPU's ring so far, 0 while sync is off: the
 * difference of two reads around an expiry, BH disabled throughout, is
 * what it queued (a hint, should sync be set or stopped in between).
 */
static unsigned int nflb_syncq_head(struct nflb_net *ln)
{
	struct nflb_syncq *q = rcu_dereference_bh(ln->syncq);

	return q ? READ_ONCE(q->rings[smp_processor_id()].head) : 0;
}

/*
 * Runs @cb on @s with BH disabled, as the datapath would run it; returns
 * the notices it put on this CPU's ring.
 */
static unsigned int nflb_run_counted(struct nflb_net *ln, nflb_session_cb cb,
				     struct nflb_session *s, void *arg)
{
	unsigned int head;

	local_bh_disable();
	head = nflb_syncq_head(ln);
	cb(ln, s, arg);
	head = nflb_syncq_head(ln) - head;
	local_bh_enable();
	return head;
}

/*
 * Whether this CPU's ring is crowded (the caller may have moved to another
 * CPU since its last notice: a hint); if so, its consumer is kicked.
 * Process context, RCU.
 */
static bool nflb_syncq_crowded(struct nflb_net *ln)
{
	struct nflb_syncq *q = rcu_dereference(ln->syncq);
	const struct nflb_notice_ring *r;

	if (!q)
		return false;
	r = &q->rings[raw_smp_processor_id()];
	if (READ_ONCE(r->head) - READ_ONCE(r->tail) < NFLB_SYNCQ_CROWDED)
		return false;
	/* Published, so its workqueue lives (as in nflb_syncq_hurry()). */
	queue_work(q->wq, q->now);
	return true;
}

/*
 * After a bulk expiry put *@queued notices: whether it is to let the
 * consumer drain now (and then counts afresh).  Process context, RCU.
 */
static bool nflb_syncq_wants_room(struct nflb_net *ln, unsigned int *queued)
{
	if (*queued < NFLB_SYNCQ_CROWDED)
		return false;
	*queued = 0;
	return nflb_syncq_crowded(ln);
}

/*
 * Sleeps while this CPU's ring is crowded, until @until (jiffies) or a
 * fatal signal.  Process context, outside RCU.
 */
static void nflb_syncq_wait_room(struct nflb_net *ln, unsigned long until)
{
	bool crowded;

	while (time_before(jiffies, until) && !fatal_signal_pending(current)) {
		rcu_read_lock();
		crowded = nflb_syncq_crowded(ln);
		rcu_read_unlock();
		if (!crowded)
			return;
		usleep_range(500, 1000);
	}
}

/* This node's sync id, or 0 while sync is off.  RCU or BH disabled. */
static u8 nflb_local_node(struct nflb_net *ln)
{
	struct nflb_syncq *q = rcu_dereference_check(ln->syncq,
						     rcu_read_lock_bh_held());

	return q ? q->node_id : 0;
}

/*
 * What a peer's record says of a session, taken over the local view: the
 * owner's sequence numbers (for reset-on-expiry) and timer.  The window
 * fields are the owner's as of its last record, behind the flow by then:
 * a synced TCP session is tracked liberally, as one picked up mid-stream.
 * On a published session these are the datapath's racy updates.
 */
static void nflb_session_take(struct nflb_session *s,
			      const struct nflb_session_sync *st)
{
	u32 ms = min_t(u32, st->timeout_ms, NFLB_TIMEOUT_MAX_SECS * 1000U);

	memcpy(s->seq_next, st->seq_next, sizeof(s->seq_next));
	memcpy(s->maxwin, st->maxwin, sizeof(s->maxwin));
	memcpy(s->wscale, st->wscale, sizeof(s->wscale));
	s->syn_len = st->syn_len;
	if (st->seen_reply && !READ_ONCE(s->seen_reply))
		WRITE_ONCE(s->seen_reply, 1);
	if (nflb_session_proto(s) == IPPROTO_TCP)
		set_bit(NFLB_S_LIBERAL, &s->flags);
	WRITE_ONCE(s->expires, jiffies + msecs_to_jiffies(ms));
}

/*
 * A session whose reply tuple could not be inserted goes again.  Its orig
 * tuple was visible meanwhile: another CPU may have ended it (eviction, a
 * flush) or queued a notice of it, so it ends as any other does, once, by
 * whoever marks it dying, and is freed unless a notice holds it.  NULL.
 */
static struct nflb_session *nflb_session_withdraw(struct nflb_net *ln,
						  struct nflb_session *s)
{
	bool held, queue;

	if (!nflb_session_mark_dying(s, false, &held, &queue))
		return NULL;
	nflb_node_unlink(ln, s, NFLB_DIR_ORIG);
	nflb_session_unaccount(ln, s);
	if (!held)
		nflb_session_free(s);
	return NULL;
}

/*
 * nflb_session_create() without telling peers.  @st: what a peer's record
 * says (state and owner included), taken before the session is published
 * so that no CPU ever sees it half set; NULL for a flow seen here.
 */
static struct nflb_session *nflb_session_new(struct nflb_net *ln,
					     const struct nflb_flow *f,
					     struct nflb_vs *vs,
					     struct nflb_member *m,
					     struct nflb_persist *p, u8 state,
					     const struct nflb_session_sync *st,
					     int *drop_reason)
{
	struct nflb_flow reply;
	struct nflb_session *s;
	int err;

	if (!nflb_session_admit(ln, f->family)) {
		*drop_reason = NFLB_DROP_SESSION_LIMIT;
		return NULL;
	}
	if (nflb_over_limit(&vs->active, READ_ONCE(vs->max_sessions))) {
		nflb_session_unadmit(ln);
		*drop_reason = NFLB_DROP_SESSION_LIMIT;
		return NULL;
	}
	s = nflb_session_alloc(vs, f->family);
	if (unlikely(!s)) {
		atomic_dec(&vs->active);
		nflb_session_unadmit(ln);
		*drop_reason = NFLB_DROP_NOMEM;
		return NULL;
	}
	refcount_inc(&vs->ref);
	refcount_inc(&m->ref);
	atomic_inc(&m->active);
	s->vs = vs;
	s->member = m;
	s->persist = READ_ONCE(vs->persist_timeout) ?
		     nflb_persist_bind(ln, vs, f, p, m) : NULL;
	s->flags = 0;
	s->family = f->family;
	s->state = st ? st->state : state;
	s->seen_reply = 0;
	s->owner = st ? st->owner : nflb_local_node(ln);
	memset(s->seq_next, 0, sizeof(s->seq_next));
	memset(s->maxwin, 0, sizeof(s->maxwin));
	memset(s->wscale, 0xff, sizeof(s->wscale));
	reply.family = f->family;
	reply.proto = f->proto;
	reply.src = m->addr;
	reply.sport = m->port;
	reply.dst = f->src;
	reply.dport = f->sport;
	nflb_tuple_fill(s, NFLB_DIR_ORIG, f);
	nflb_tuple_fill(s, NFLB_DIR_REPLY, &reply);
	s->expires = jiffies + nflb_session_timeout(ln, s) * HZ;
	/*
	 * After the tuples: the record's view depends on the protocol (a TCP
	 * copy is tracked liberally), which a recycled object would
	 * otherwise give from the session it held before.
	 */
	if (st)
		nflb_session_take(s, st);

	err = nflb_node_insert(ln, s, NFLB_DIR_ORIG);
	if (unlikely(err)) {
		*drop_reason = err == -EEXIST ? -EEXIST : NFLB_DROP_NOMEM;
		goto free;
	}
	err = nflb_node_insert(ln, s, NFLB_DIR_REPLY);
	if (unlikely(err)) {
		/*
		 * The member already talks to this client address and port
		 * for another session: this member cannot take the flow.
		 */
		*drop_reason = err == -EEXIST ? NFLB_DROP_NO_MEMBER :
						NFLB_DROP_NOMEM;
		return nflb_session_withdraw(ln, s);
	}
	/* Created here, not installed from a peer's record (rx_records). */
	if (!st) {
		nflb_stats_add(ln->stats, NFLB_C_SESSIONS_CREATED, 1);
		nflb_stats_add(vs->stats, NFLB_C_SESSIONS_CREATED, 1);
		nflb_stats_add(m->stats, NFLB_C_SESSIONS_CREATED, 1);
	}
	return s;
free:
	nflb_session_unaccount(ln, s);
	nflb_session_free(s);
	return NULL;
}

/*
 * Creates and publishes a session for flow @f (client -> VIP) to member @m,
 * bound to the affinity @p found for it (or to a new one) when the virtual
 * server has persistence: only an admitted session creates an affinity.
 * Runs in softirq under RCU.  Returns NULL with *drop_reason set when the
 * flow is refused, or with *drop_reason = -EEXIST when another CPU created
 * the same session meanwhile (the caller looks it up again).  Peers hear of
 * it when sync is on.
 */
struct nflb_session *nflb_session_create(struct nflb_net *ln,
					 const struct nflb_flow *f,
					 struct nflb_vs *vs,
					 struct nflb_member *m,
					 struct nflb_persist *p, u8 state,
					 int *drop_reason)
{
	struct nflb_session *s;

	s = nflb_session_new(ln, f, vs, m, p, state, NULL, drop_reason);
	if (s)
		nflb_session_changed(ln, s);
	return s;
}

static bool nflb_wants_reset(const struct nflb_session *s,
			     enum nflb_reset reset)
{
	if (nflb_session_proto(s) != IPPROTO_TCP || reset == NFLB_RST_NONE)
		return false;
	if (reset == NFLB_RST_ALWAYS)
		return s->state != NFLB_TCP_SYN_SENT &&
		       s->state != NFLB_TCP_TIME_WAIT &&
		       s->state != NFLB_TCP_CLOSE;
	return s->state == NFLB_TCP_ESTABLISHED &&
	       (READ_ONCE(s->vs->flags) & NFLB_VS_F_RESET_ON_EXPIRY);
}

/*
 * Passive detection's expiry signals: a session that timed out before its
 * member ever answered is a failed handshake, a TCP one still in SYN_SENT
 * (no SYN-ACK within the SYN_SENT timeout) or a UDP one (passive.c decides
 * whether that member's one-way flows count).  Sessions that go for any
 * other reason (eviction, flush, port reuse) before their time is up say
 * nothing about the member, nor do copies a sync peer owns: their timers
 * and replies are the owner's to see.
 */
static void nflb_session_judge(struct nflb_net *ln, struct nflb_session *s)
{
	u8 state = READ_ONCE(s->state);

	if (READ_ONCE(s->seen_reply) ||
	    !time_after(jiffies, READ_ONCE(s->expires)) ||
	    READ_ONCE(s->owner) != nflb_local_node(ln))
		return;
	if (state == NFLB_TCP_SYN_SENT)
		nflb_passive_fail(ln, s, NFLB_FAIL_SYN_TIMEOUT);
	else if (state == NFLB_UDP)
		nflb_passive_fail(ln, s, NFLB_FAIL_UDP_ONEWAY);
}

/*
 * Whether peers must hear that @s ends now: sync is on, this node owns it
 * (only the owner ends a session on its peers: a copy running out here
 * must not end it on the owner), and it ends before its time.  A session
 * that runs out in a state its record told the peers (nflb_state_news())
 * runs out on them too, no later: its copy has the timer that the owner's
 * last record or the refresh pass gave it.  One that runs out in a step
 * the peers were not told of (a FIN_WAIT, shorter than the ESTABLISHED
 * they know) needs its delete.
 */
static bool nflb_end_tells(struct nflb_net *ln, const struct nflb_session *s)
{
	u8 node = nflb_local_node(ln), owner = READ_ONCE(s->owner);
	u8 state = READ_ONCE(s->state);

	if (!node || (owner && owner != node))
		return false;
	if (!time_after(jiffies, READ_ONCE(s->expires)) ||
	    !nflb_state_news(state))
		return true;
	/*
	 * The refresh pass does not send closed sessions again: a close
	 * whose record never left (a full ring) left the copies at the
	 * longer timer of the state before.
	 */
	return nflb_state_closed(state) &&
	       !test_bit(NFLB_S_SENT_CLOSED, &s->flags);
}

/*
 * Unlinks @s and frees it after a grace period, with RSTs as @reset says,
 * or leaves it to the sync notice that holds it (see nflb_notice_claim()).
 * Softirq, or process context with BH disabled.  Returns false if someone
 * else got there first.
 */
bool nflb_session_expire(struct nflb_net *ln, struct nflb_session *s,
			 enum nflb_reset reset)
{
	bool held, queue;

	if (!nflb_session_mark_dying(s, nflb_end_tells(ln, s), &held, &queue))
		return false;
	nflb_session_judge(ln, s);
	nflb_node_unlink(ln, s, NFLB_DIR_ORIG);
	nflb_node_unlink(ln, s, NFLB_DIR_REPLY);
	if (nflb_wants_reset(s, reset)) {
		struct nflb_flow orig, reply;
		int sent;

		nflb_session_tuple(s, NFLB_DIR_ORIG, &orig);
		nflb_session_tuple(s, NFLB_DIR_REPLY, &reply);
		sent = nflb_reset_both(ln->net, &orig, &reply,
				       s->seq_next[NFLB_DIR_ORIG],
				       s->seq_next[NFLB_DIR_REPLY]);

		nflb_stats_add(ln->stats, NFLB_C_RESETS_SENT, sent);
		nflb_stats_add(s->vs->stats, NFLB_C_RESETS_SENT, sent);
	}
	nflb_session_unaccount(ln, s);
	nflb_stats_add(ln->stats, NFLB_C_SESSIONS_EXPIRED, 1);
	nflb_stats_add(s->vs->stats, NFLB_C_SESSIONS_EXPIRED, 1);
	nflb_stats_add(s->member->stats, NFLB_C_SESSIONS_EXPIRED, 1);
	/* The delete's notice holds it now, or its claim ends here. */
	if (queue && !nflb_notice_put(ln, s))
		held = false;		/* it is DYING: the claim ends with it */
	if (!held)
		nflb_session_free(s);
	return true;
}

static struct rhashtable *nflb_phase_ht(struct nflb_net *ln, int phase)
{
	return phase == 0 ? &ln->tbl.ht4 : &ln->tbl.ht6;
}

static u8 nflb_phase_family(int phase)
{
	return phase == 0 ? AF_INET : AF_INET6;
}

/*
 * Next original-direction node of the walk, skipping reply nodes.  A resize
 * restarts the walk from the new table's first bucket (counted in
 * *@restarts): callers that must not repeat themselves find out there.
 */
static struct nflb_session *nflb_walk_next(struct rhashtable_iter *it,
					   u8 family, bool *end,
					   unsigned int *restarts)
{
	struct nflb_session *s;
	enum nflb_dir dir;
	void *obj;

	*end = false;
	for (;;) {
		obj = rhashtable_walk_next(it);
		if (IS_ERR(obj)) {
			if (PTR_ERR(obj) == -EAGAIN) {
				(*restarts)++;
				continue;
			}
			*end = true;
			return NULL;
		}
		if (!obj) {
			*end = true;
			return NULL;
		}
		s = nflb_node_session(family, obj, &dir);
		if (dir == NFLB_DIR_ORIG)
			return s;
	}
}

static bool nflb_deadline_passed(unsigned long deadline)
{
	return deadline && time_after(jiffies, deadline);
}

/* A drained member's or virtual server's deadline has come. */
static bool nflb_drain_due(const struct nflb_session *s)
{
	return nflb_deadline_passed(READ_ONCE(s->member->drain_deadline)) ||
	       nflb_deadline_passed(READ_ONCE(s->vs->drain_deadline));
}

/* Paces the next passes from what this one found. */
static void nflb_gc_pass_done(struct nflb_table *tbl)
{
	unsigned int seen = tbl->gc_seen, expired = tbl->gc_expired;

	tbl->gc_hurry = expired * 4 > seen;
	tbl->gc_churn = expired * 64 > seen;
	if (seen <= 2 * NFLB_GC_BUDGET || tbl->gc_hurry)
		tbl->gc_interval = NFLB_GC_INTERVAL;
	else if (expired * 16 < seen)
		tbl->gc_interval = min(2 * tbl->gc_interval,
				       (unsigned long)NFLB_GC_INTERVAL_MAX);
	tbl->gc_seen = 0;
	tbl->gc_expired = 0;
}

/* The GC's expiry of @s, how *@arg (an enum nflb_reset) says. */
static void nflb_gc_expire(struct nflb_net *ln, struct nflb_session *s,
			   void *arg)
{
	nflb_session_expire(ln, s, *(enum nflb_reset *)arg);
}

/* One GC slice: visits up to NFLB_GC_BUDGET nodes, expires the idle ones. */
static void nflb_gc_work(struct work_struct *work)
{
	struct nflb_table *tbl = container_of(to_delayed_work(work),
					      struct nflb_table, gc_work);
	struct nflb_net *ln = container_of(tbl, struct nflb_net, tbl);
	int phase = tbl->gc_phase;
	struct rhashtable_iter *it = &tbl->gc_iter[phase];
	unsigned long delay = NFLB_GC_SLICE_DELAY;
	unsigned int restarts = 0, queued = 0;
	struct nflb_session *s;
	int budget = NFLB_GC_BUDGET;
	bool end = false, crowded = false;
	enum nflb_reset rst;

	rhashtable_walk_start(it);
	while (budget-- > 0) {
		s = nflb_walk_next(it, nflb_phase_family(phase), &end,
				   &restarts);
		if (!s)
			break;
		tbl->gc_seen++;
		if (time_after(jiffies, READ_ONCE(s->expires))) {
			tbl->gc_expired++;
			rst = NFLB_RST_IF_ASKED;
		} else if (nflb_drain_due(s)) {
			rst = NFLB_RST_ALWAYS;
		} else {
			continue;
		}
		queued += nflb_run_counted(ln, nflb_gc_expire, s, &rst);
		/* A drained member's deadline may end a whole pool at once. */
		crowded = nflb_syncq_wants_room(ln, &queued);
		if (crowded)
			break;
	}
	rhashtable_walk_stop(it);

	if (end) {
		/* Rewind this table's walker; a full pass ends after IPv6. */
		rhashtable_walk_exit(it);
		rhashtable_walk_enter(nflb_phase_ht(ln, phase), it);
		tbl->gc_phase = !phase;
		if (phase == 1) {
			nflb_gc_pass_done(tbl);
			delay = tbl->gc_interval;
		}
	}
	if (delay == NFLB_GC_SLICE_DELAY &&
	    (tbl->gc_hurry ||
	     (tbl->gc_churn && (u64)atomic_read(&tbl->count) * 8 >
			       (u64)READ_ONCE(ln->max_sessions) * 7)))
		delay = NFLB_GC_SLICE_FAST;
	if (crowded)
		delay = NFLB_GC_SLICE_FAST;
	queue_delayed_work(system_power_efficient_wq, &tbl->gc_work, delay);
}

/*
 * Session iterator over both tables for dumps and flushes, process context.
 * Between start/resume and pause the caller is inside an RCU read-side
 * section and must not sleep; stop is called paused.
 */
void nflb_session_iter_start(struct nflb_net *ln, struct nflb_session_iter *i)
	__acquires(RCU)
{
	i->phase = 0;
	i->restarts = 0;
	rhashtable_walk_enter(&ln->tbl.ht4, &i->it);
	rhashtable_walk_start(&i->it);
}

/*
 * The session the iterator stands on in the table it is in, or NULL at
 * that table's end.  Takes no lock (nflb_session_iter_peek() moving to
 * the next table takes the table's, which process context holds with BH
 * on): for a caller that holds a lock softirq takes too.
 */
struct nflb_session *nflb_session_iter_peek_table(struct nflb_session_iter *i)
	__must_hold(RCU)
{
	struct nflb_session *s;
	enum nflb_dir dir;
	bool end;
	void *obj;

	if (i->phase >= 2)
		return NULL;
	for (;;) {
		obj = rhashtable_walk_peek(&i->it);
		if (IS_ERR(obj) && PTR_ERR(obj) == -EAGAIN) {
			i->restarts++;
			continue;
		}
		if (IS_ERR_OR_NULL(obj))
			return NULL;
		s = nflb_node_session(nflb_phase_family(i->phase), obj, &dir);
		if (dir == NFLB_DIR_ORIG)
			return s;
		return nflb_walk_next(&i->it, nflb_phase_family(i->phase),
				      &end, &i->restarts);
	}
}

/* The session the iterator stands on, or NULL at the end of both tables. */
struct nflb_session *nflb_session_iter_peek(struct nflb_net *ln,
					    struct nflb_session_iter *i)
	__must_hold(RCU)
{
	struct nflb_session *s;

	while (i->phase < 2) {
		s = nflb_session_iter_peek_table(i);
		if (s)
			return s;
		/* End of this table: move to the next one, if any. */
		if (++i->phase == 2)
			return NULL;
		rhashtable_walk_stop(&i->it);
		rhashtable_walk_exit(&i->it);
		rhashtable_walk_enter(nflb_phase_ht(ln, i->phase), &i->it);
		rhashtable_walk_start(&i->it);
	}
	return NULL;
}

void nflb_session_iter_advance(struct nflb_session_iter *i)
{
	bool end;

	if (i->phase < 2)
		nflb_walk_next(&i->it, nflb_phase_family(i->phase), &end,
			       &i->restarts);
}

/* Leaves the RCU section (e.g. between dump messages); peek resumes. */
void nflb_session_iter_pause(struct nflb_session_iter *i)
	__releases(RCU)
{
	rhashtable_walk_stop(&i->it);
}

void nflb_session_iter_resume(struct nflb_session_iter *i)
	__acquires(RCU)
{
	/* -EAGAIN: the table was resized while we were paused. */
	if (rhashtable_walk_start_check(&i->it) == -EAGAIN)
		i->restarts++;
}

void nflb_session_iter_stop(struct nflb_session_iter *i)
{
	rhashtable_walk_exit(&i->it);
}

void nflb_session_for_each(struct nflb_net *ln, nflb_session_cb cb, void *arg)
{
	unsigned long until = jiffies + NFLB_SYNCQ_WAIT;
	unsigned int n = 0, queued = 0;
	struct nflb_session_iter i;
	struct nflb_session *s;
	bool room;

	nflb_session_iter_start(ln, &i);
	while ((s = nflb_session_iter_peek(ln, &i))) {
		if (!test_bit(NFLB_S_DYING, &s->flags))
			queued += nflb_run_counted(ln, cb, s, arg);
		nflb_session_iter_advance(&i);
		room = time_before(jiffies, until) &&
		       nflb_syncq_wants_room(ln, &queued);
		if (++n % 1024 == 0 || room) {
			nflb_session_iter_pause(&i);
			cond_resched();
			if (room)
				nflb_syncq_wait_room(ln, until);
			nflb_session_iter_resume(&i);
		}
	}
	nflb_session_iter_pause(&i);
	nflb_session_iter_stop(&i);
}

int nflb_table_init(struct nflb_net *ln)
{
	struct nflb_table *tbl = &ln->tbl;
	int err;

	atomic_set(&tbl->count, 0);
	atomic_set(&tbl->held, 0);
	err = rhashtable_init(&tbl->ht4, &nflb_params4);
	if (err)
		return err;
	err = rhashtable_init(&tbl->ht6, &nflb_params6);
	if (err) {
		rhashtable_destroy(&tbl->ht4);
		return err;
	}
	rhashtable_walk_enter(&tbl->ht4, &tbl->gc_iter[0]);
	rhashtable_walk_enter(&tbl->ht6, &tbl->gc_iter[1]);
	tbl->gc_phase = 0;
	tbl->gc_interval = NFLB_GC_INTERVAL;
	INIT_DELAYED_WORK(&tbl->gc_work, nflb_gc_work);
	queue_delayed_work(system_power_efficient_wq, &tbl->gc_work,
			   NFLB_GC_INTERVAL);
	return 0;
}

static void nflb_expire_any(struct nflb_net *ln, struct nflb_session *s,
			    void *arg)
{
	nflb_session_expire(ln, s, NFLB_RST_NONE);
}

/*
 * Netns teardown: the hooks are gone, so nothing but us touches the table.
 * Sessions still go through call_rcu so that they drop their references
 * in the same way as everywhere else.
 */
void nflb_table_destroy(struct nflb_net *ln)
{
	struct nflb_table *tbl = &ln->tbl;

	cancel_delayed_work_sync(&tbl->gc_work);
	rhashtable_walk_exit(&tbl->gc_iter[0]);
	rhashtable_walk_exit(&tbl->gc_iter[1]);
	nflb_session_for_each(ln, nflb_expire_any, NULL);
	rhashtable_destroy(&tbl->ht4);
	rhashtable_destroy(&tbl->ht6);
}

int nflb_session_init(void)
{
	nflb_cache4 = kmem_cache_create("nflb_session4",
					nflb_session_size(AF_INET), 0, 0,
					NULL);
	if (!nflb_cache4)
		return -ENOMEM;
	nflb_cache6 = kmem_cache_create("nflb_session6",
					nflb_session_size(AF_INET6), 0, 0,
					NULL);
	if (!nflb_cache6) {
		kmem_cache_destroy(nflb_cache4);
		return -ENOMEM;
	}
	return 0;
}

/* After every netns is gone and rcu_barrier() has run the last frees. */
void nflb_session_exit(void)
{
	kmem_cache_destroy(nflb_cache6);
	kmem_cache_destroy(nflb_cache4);
}

static bool nflb_prefix_match(u8 family, const union nf_inet_addr *a,
			      const union nf_inet_addr *prefix, u8 plen)
{
	if (family == AF_INET)
		return !((a->ip ^ prefix->ip) & inet_make_mask(plen));
	return ipv6_prefix_equal(&a->in6, &prefix->in6, plen);
}

bool nflb_session_match(const struct nflb_session *s,
			const struct nflb_session_filter *f)
{
	struct nflb_flow orig, reply;

	if (f->vs[0] && strcmp(f->vs, s->vs->name))
		return false;
	if (f->member && f->member != s->member)
		return false;
	if (f->family && f->family != s->family)
		return false;
	if (!f->has_member_addr && !f->has_client)
		return true;
	nflb_session_tuple(s, NFLB_DIR_ORIG, &orig);
	nflb_session_tuple(s, NFLB_DIR_REPLY, &reply);
	if (f->has_member_addr &&
	    (!nf_inet_addr_cmp(&reply.src, &f->member_addr) ||
	     (f->member_port && f->member_port != reply.sport)))
		return false;
	if (f->has_client &&
	    !nflb_prefix_match(s->family, &orig.src, &f->client,
			       f->client_plen))
		return false;
	return true;
}

struct nflb_expire_arg {
	const struct nflb_session_filter *f;
	enum nflb_reset reset;
	unsigned int n;
};

static void nflb_expire_one(struct nflb_net *ln, struct nflb_session *s,
			    void *arg)
{
	struct nflb_expire_arg *k = arg;

	if (nflb_session_match(s, k->f) &&
	    nflb_session_expire(ln, s, k->reset))
		k->n++;
}

/* Removes the sessions @f selects; process context.  Returns how many. */
unsigned int nflb_session_expire_match(struct nflb_net *ln,
				       const struct nflb_session_filter *f,
				       enum nflb_reset reset)
{
	struct nflb_expire_arg k = { .f = f, .reset = reset };

	nflb_session_for_each(ln, nflb_expire_one, &k);
	return k.n;
}

/* ---- sessions from sync peers ------------------------------------------ */

/* The live session whose orig tuple is @orig, or NULL.  RCU, no expiry. */
struct nflb_session *nflb_session_lookup(struct nflb_net *ln,
					 const struct nflb_flow *orig)
{
	struct nflb_session *s;
	enum nflb_dir dir;
	void *obj;

	obj = nflb_node_find(ln, orig);
	if (!obj)
		return NULL;
	s = nflb_node_session(orig->family, obj, &dir);
	if (dir != NFLB_DIR_ORIG || test_bit(NFLB_S_DYING, &s->flags))
		return NULL;
	return s;
}

/* What a peer needs of @s to carry its flow on.  Racy reads, as dumps. */
void nflb_session_export(const struct nflb_session *s,
			 struct nflb_session_sync *st)
{
	unsigned long exp = READ_ONCE(s->expires), now = jiffies;

	st->owner = READ_ONCE(s->owner);
	st->state = READ_ONCE(s->state);
	st->seen_reply = READ_ONCE(s->seen_reply);
	memcpy(st->seq_next, s->seq_next, sizeof(st->seq_next));
	memcpy(st->maxwin, s->maxwin, sizeof(st->maxwin));
	memcpy(st->wscale, s->wscale, sizeof(st->wscale));
	st->syn_len = s->syn_len;
	st->timeout_ms = time_after(exp, now) ? jiffies_to_msecs(exp - now) : 0;
}

/*
 * Takes a peer's view of live session @s.  A connection that closed here
 * stays closed (a late record cannot reopen it).  The owner only goes to
 * a lower node id: in a split brain both nodes made the session, the
 * lower id's stays on both (as nflb_session_install() decides), and
 * neither may take the other for its owner, or neither refreshes it.
 */
static void nflb_session_apply(struct nflb_net *ln, struct nflb_session *s,
			       const struct nflb_session_sync *st)
{
	if (st->owner < (READ_ONCE(s->owner) ?: nflb_local_node(ln)))
		WRITE_ONCE(s->owner, st->owner);
	nflb_session_take(s, st);
	if (st->state != READ_ONCE(s->state) &&
	    !nflb_state_closed(READ_ONCE(s->state))) {
		WRITE_ONCE(s->state, st->state);
		if (nflb_state_closed(st->state))
			nflb_session_closed(s);
	}
}

/*
 * A peer's close of the session @s it made (the caller checked its
 * owner): closed state @state, @timeout_ms left.  BH disabled, RCU.
 */
void nflb_session_sync_close(struct nflb_session *s, u8 state, u32 timeout_ms)
{
	u32 ms = min_t(u32, timeout_ms, NFLB_TIMEOUT_MAX_SECS * 1000U);

	if (!nflb_state_closed(READ_ONCE(s->state))) {
		WRITE_ONCE(s->state, state);
		nflb_session_closed(s);
	}
	WRITE_ONCE(s->expires, jiffies + msecs_to_jiffies(ms));
}

/*
 * Installs or updates the session a peer sent: orig tuple @orig, virtual
 * server @vs and member @m (both found here by identity).  Peers are not
 * told (the record came from one).  If a session for @orig exists with
 * another member, both nodes created it (split brain): the one of the
 * lower creating node id stays, on both.  BH disabled, RCU.  Returns 0,
 * or -ENOSPC / -ENOMEM / -EEXIST when it could not be installed.
 */
int nflb_session_install(struct nflb_net *ln, const struct nflb_flow *orig,
			 struct nflb_vs *vs, struct nflb_member *m,
			 const struct nflb_session_sync *st)
{
	struct nflb_session *s = nflb_session_lookup(ln, orig);
	struct nflb_persist *p;
	int reason = 0;

	if (s && s->member != m) {
		u8 owner = READ_ONCE(s->owner) ?: nflb_local_node(ln);

		if (owner < st->owner)
			return 0;
		nflb_session_expire(ln, s, NFLB_RST_NONE);
		s = NULL;
	}
	if (s) {
		nflb_session_apply(ln, s, st);
		return 0;
	}
	/*
	 * The affinity the owner has for this client, if the peer has one
	 * already, follows the owner's latest choice: a session never binds
	 * to an affinity that points at another member.
	 */
	p = READ_ONCE(vs->persist_timeout) ? nflb_persist_find(ln, vs, orig) :
					     NULL;
	s = nflb_session_new(ln, orig, vs, m, p, 0, st, &reason);
	if (!s)
		return reason == -EEXIST ? -EEXIST :
		       reason == NFLB_DROP_NOMEM ? -ENOMEM : -ENOSPC;
	/* Born closed: no transition to count. */
	if (nflb_state_closed(st->state))
		nflb_session_closed(s);
	return 0;
}
