// SPDX-License-Identifier: GPL-2.0
/*
 * The schedule: a binary min-heap of targets on due_ms (an idle target's
 * next probe, a probing target's deadline); the earliest gives epoll_wait
 * its timeout.  Each probe start or end is O(log n); nothing scans all
 * targets, so thousands of members cost no more per probe than a few.
 * An entry holds its target's due time as well as the target: a sift
 * compares keys in the array and touches only the targets it moves, not
 * the (cache-cold, two-kilobyte) target of every level it looks at.
 */
#include <stdlib.h>

#include "lbhealthd.h"

struct heap_entry {
	uint64_t due_ms;
	struct target *t;
};

static struct heap_entry *heap;
static uint32_t n, cap;

static void place(uint32_t i, struct heap_entry e)
{
	heap[i] = e;
	e.t->heap_idx = i;
}

static void sift_up(uint32_t i)
{
	struct heap_entry e = heap[i];

	while (i > 0) {
		uint32_t p = (i - 1) / 2;

		if (heap[p].due_ms <= e.due_ms)
			break;
		place(i, heap[p]);
		i = p;
	}
	place(i, e);
}

static void sift_down(uint32_t i)
{
	struct heap_entry e = heap[i];

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && heap[c + 1].due_ms < heap[c].due_ms)
			c++;
		if (heap[c].due_ms >= e.due_ms)
			break;
		place(i, heap[c]);
		i = c;
	}
	place(i, e);
}

void timer_insert(struct target *t)
{
	if (n == cap) {
		uint32_t nc = cap ? cap * 2 : 1024;
		struct heap_entry *nh = realloc(heap, nc * sizeof(*nh));

		if (!nh) {
			hd_log("out of memory: %s not scheduled", t->pool);
			return;
		}
		heap = nh;
		cap = nc;
	}
	place(n, (struct heap_entry){ t->due_ms, t });
	sift_up(n++);
}

/* After t->due_ms changed. */
void timer_update(struct target *t)
{
	uint32_t i = t->heap_idx;

	if (i >= n)
		return;
	heap[i].due_ms = t->due_ms;
	sift_up(i);
	sift_down(t->heap_idx);
}

void timer_remove(struct target *t)
{
	uint32_t i = t->heap_idx;
	struct target *moved;

	if (i >= n)
		return;
	t->heap_idx = UINT32_MAX;
	if (i == --n)
		return;
	moved = heap[n].t;
	place(i, heap[n]);
	sift_up(i);
	sift_down(moved->heap_idx);
}

struct target *timer_peek(void)
{
	return n ? heap[0].t : NULL;
}

/*
 * The wait until the earliest due time, rounded up to a TICK_MS boundary:
 * the probes due within one tick start together, so 2,000 probes a second
 * wake the daemon 100 times, not 2,000, and a deadline is at most a tick
 * late.  A timeout rather than a timerfd: no system call to arm it, none
 * to read it.  -1 (wait for events only) when nothing is scheduled.
 */
#define TICK_MS		10

int timer_timeout(uint64_t now)
{
	uint64_t at;

	if (!n)
		return -1;
	at = (heap[0].due_ms + TICK_MS - 1) / TICK_MS * TICK_MS;
	if (at <= now)
		return 0;
	/* now is truncated to the ms, so waiting at - now ms ends at or after at */
	return at - now > 3600000 ? 3600000 : (int)(at - now);
}

void timer_cleanup(void)
{
	free(heap);
	heap = NULL;
	n = cap = 0;
}
