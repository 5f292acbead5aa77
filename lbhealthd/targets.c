// SPDX-License-Identifier: GPL-2.0
/*
 * The targets, keyed by pool name and member address: a re-read of the
 * configuration finds each member's target again and keeps its health,
 * counters and place in the schedule.  Chained hash, grown by doubling
 * so lookups stay O(1) at any number of members.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lbhealthd.h"

static struct target **buckets;
static unsigned int nbuckets, count;

static uint32_t hash_bytes(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		h = (h ^ *b++) * 16777619u;	/* FNV-1a */
	return h;
}

static size_t addr_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					 : sizeof(struct sockaddr_in);
}

static uint32_t key_hash(const char *pool, const struct sockaddr_storage *m)
{
	return hash_bytes(hash_bytes(2166136261u, pool, strlen(pool)), m, addr_len(m));
}

static bool key_eq(const struct target *t, const char *pool,
		   const struct sockaddr_storage *m)
{
	return t->member.ss_family == m->ss_family &&
	       !memcmp(&t->member, m, addr_len(m)) && !strcmp(t->pool, pool);
}

struct target *target_find(const char *pool, const struct sockaddr_storage *m)
{
	struct target *t;

	if (!nbuckets)
		return NULL;
	for (t = buckets[key_hash(pool, m) & (nbuckets - 1)]; t; t = t->hnext)
		if (key_eq(t, pool, m))
			return t;
	return NULL;
}

static int grow(void)
{
	unsigned int n = nbuckets ? nbuckets * 2 : 256, i;
	struct target **nb = calloc(n, sizeof(*nb));

	if (!nb)
		return -1;
	for (i = 0; i < nbuckets; i++) {
		struct target *t = buckets[i], *next;

		for (; t; t = next) {
			uint32_t h = key_hash(t->pool, &t->member) & (n - 1);

			next = t->hnext;
			t->hnext = nb[h];
			nb[h] = t;
		}
	}
	free(buckets);
	buckets = nb;
	nbuckets = n;
	return 0;
}

/* A new target, idle and not yet scheduled; NULL if out of memory. */
struct target *target_add(const char *pool, const struct sockaddr_storage *m)
{
	struct target *t;
	uint32_t h;

	if (count >= nbuckets && grow())
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	strncpy(t->pool, pool, sizeof(t->pool) - 1);
	memcpy(&t->member, m, addr_len(m));
	t->phase = PH_IDLE;
	t->heap_idx = UINT32_MAX;
	h = key_hash(t->pool, &t->member) & (nbuckets - 1);
	t->hnext = buckets[h];
	buckets[h] = t;
	count++;
	return t;
}

void target_remove(struct target *t)
{
	struct target **pp = &buckets[key_hash(t->pool, &t->member) & (nbuckets - 1)];

	probe_abort(t);
	timer_remove(t);
	for (; *pp; pp = &(*pp)->hnext)
		if (*pp == t) {
			*pp = t->hnext;
			break;
		}
	count--;
	free(t);
}

/* Forgets the targets a configuration read (generation gen) did not see. */
void target_sweep(uint32_t gen)
{
	unsigned int i;

	for (i = 0; i < nbuckets; i++) {
		struct target *t = buckets[i], *next;

		for (; t; t = next) {
			next = t->hnext;
			if (t->gen != gen)
				target_remove(t);
		}
	}
}

unsigned int target_count(void)
{
	return count;
}

/*
 * Gives t its check and probed address.  A changed check starts over:
 * the running probe is dropped, the counters cleared and the next probe
 * placed at a random point of the new interval, so that members added
 * together do not probe together.
 */
void target_set_check(struct target *t, const struct check *c,
		      const struct sockaddr_storage *dst)
{
	bool same = !memcmp(&t->chk, c, sizeof(*c)) &&
		    !memcmp(&t->dst, dst, sizeof(*dst));

	if (same && t->heap_idx != UINT32_MAX)
		return;
	probe_abort(t);
	t->chk = *c;
	t->dst = *dst;
	t->ok_run = t->fail_run = 0;
	t->due_ms = now_ms() + (uint64_t)random() % c->interval_ms;
	if (t->heap_idx == UINT32_MAX)
		timer_insert(t);
	else
		timer_update(t);
}

void targets_free(void)
{
	target_sweep(UINT32_MAX - 1);	/* no target has that generation */
	free(buckets);
	buckets = NULL;
	nbuckets = 0;
}
