// SPDX-License-Identifier: GPL-2.0
/*
 * The schedule: a binary min-heap of targets on due_ms (an idle target's
 * next probe, a probing target's deadline) and one timerfd armed for the
 * earliest.  Each probe start or end is O(log n); nothing scans all
 * targets, so thousands of members cost no more per probe than a few.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "lbhealthd.h"

static struct target **heap;
static uint32_t n, cap;
static int tfd = -1;

int timer_init(void)
{
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	return tfd < 0 ? -1 : 0;
}

int timer_fd(void)
{
	return tfd;
}

static void place(uint32_t i, struct target *t)
{
	heap[i] = t;
	t->heap_idx = i;
}

static void sift_up(uint32_t i)
{
	struct target *t = heap[i];

	while (i > 0) {
		uint32_t p = (i - 1) / 2;

		if (heap[p]->due_ms <= t->due_ms)
			break;
		place(i, heap[p]);
		i = p;
	}
	place(i, t);
}

static void sift_down(uint32_t i)
{
	struct target *t = heap[i];

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && heap[c + 1]->due_ms < heap[c]->due_ms)
			c++;
		if (heap[c]->due_ms >= t->due_ms)
			break;
		place(i, heap[c]);
		i = c;
	}
	place(i, t);
}

void timer_insert(struct target *t)
{
	if (n == cap) {
		uint32_t nc = cap ? cap * 2 : 1024;
		struct target **nh = realloc(heap, nc * sizeof(*nh));

		if (!nh) {
			hd_log("out of memory: %s not scheduled", t->pool);
			return;
		}
		heap = nh;
		cap = nc;
	}
	place(n, t);
	sift_up(n++);
}

/* After t->due_ms changed. */
void timer_update(struct target *t)
{
	if (t->heap_idx >= n)
		return;
	sift_up(t->heap_idx);
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
	moved = heap[n];
	place(i, moved);
	sift_up(i);
	sift_down(moved->heap_idx);
}

struct target *timer_peek(void)
{
	return n ? heap[0] : NULL;
}

/*
 * Arms the timerfd for the earliest due time, rounded up to a TICK_MS
 * boundary: the probes due within one tick start together, so 2,000
 * probes a second wake the daemon 100 times, not 2,000, and a deadline
 * is at most a tick late.  The timerfd is set only when that time changes.
 */
#define TICK_MS		10

void timer_arm(void)
{
	static uint64_t armed = UINT64_MAX;
	struct itimerspec its;
	uint64_t at = n ? (heap[0]->due_ms + TICK_MS - 1) / TICK_MS * TICK_MS : 0;

	if (at == armed)
		return;
	armed = at;
	memset(&its, 0, sizeof(its));
	if (n) {
		/* absolute; 0 would disarm, and a time passed fires at once */
		its.it_value.tv_sec = (time_t)(at / 1000);
		its.it_value.tv_nsec = (long)(at % 1000) * 1000000 + 1;
	}
	timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
}
