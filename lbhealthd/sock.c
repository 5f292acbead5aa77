// SPDX-License-Identifier: GPL-2.0
/*
 * Probe sockets.  A TCP probe's socket outlives the probe: when the probe
 * ends, connect() with AF_UNSPEC disconnects it (the kernel resets the
 * connection, as a close with SO_LINGER 0 would, and leaves no TIME_WAIT)
 * and the socket waits on an idle list for the next probe of its family.
 * A plain connect check then costs two system calls, connect and
 * disconnect, instead of socket, epoll_ctl, connect, setsockopt and close,
 * and the kernel neither builds nor tears down a socket, a file and an
 * epoll entry two thousand times a second.  UDP sockets are not reused:
 * a stale reply could wait in a reused socket's queue.
 *
 * A socket is not given back to the destination it last connected to.
 * Reconnecting to the same address, the kernel does not draw a new
 * initial sequence number but continues the old one, and a server that
 * still holds the previous connection may find that number in its window
 * and answer the SYN with a reset: a refused probe of a healthy member
 * (health_scale's accept-and-close listener did so for a few percent of
 * the probes).  To another address the kernel draws a fresh number, as
 * for a new socket.
 *
 * Every socket is registered once, edge-triggered, for reading and
 * writing, with the probe_sock as its tag; probe.c tries each step's I/O
 * until it would block and resumes on the next event.  Events of an idle
 * socket (its own disconnect raises one) find no owner and are ignored.
 *
 * A socket released while an epoll_wait batch is handled may still be
 * named by an event later in that batch, taken when it had its previous
 * owner.  So released sockets wait on a cooling list, and only
 * psock_settle(), after the batch, makes them idle (or closes them):
 * a socket is never reused, nor freed, within the batch that released it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "lbhealthd.h"

/* Idle TCP sockets kept per family: more than the probes that usually run
 * at once (2,000 members a second with millisecond handshakes keep a few
 * dozen busy); beyond it a released socket is closed. */
#define IDLE_MAX	256

static struct probe_sock *idle4, *idle6, *cooling;
static unsigned int idle4_n, idle6_n;

static struct probe_sock **idle_list(sa_family_t family, unsigned int **count)
{
	if (family == AF_INET6) {
		*count = &idle6_n;
		return &idle6;
	}
	*count = &idle4_n;
	return &idle4;
}

static void destroy(struct probe_sock *ps)
{
	close(ps->fd);		/* also leaves the epoll set */
	free(ps);
}

static struct probe_sock *create(sa_family_t family, int type)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLET };
	struct probe_sock *ps = calloc(1, sizeof(*ps));

	if (!ps) {
		errno = ENOMEM;
		return NULL;
	}
	ps->fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ps->fd < 0) {
		free(ps);
		return NULL;
	}
	ps->family = family;
	ps->type = type;
	ev.data.ptr = ps;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, ps->fd, &ev) < 0) {
		int err = errno;

		destroy(ps);
		errno = err;
		return NULL;
	}
	return ps;
}

static bool same_dst(const struct probe_sock *ps, const struct sockaddr_storage *dst)
{
	size_t len = dst->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						: sizeof(struct sockaddr_in);

	return !memcmp(&ps->last_dst, dst, len);
}

/* An idle TCP socket that last connected elsewhere (the first or the
 * second on the list: the first is rarely the one), or NULL. */
static struct probe_sock *take_idle(sa_family_t family, const struct sockaddr_storage *dst)
{
	struct probe_sock **pp, *ps;
	unsigned int *count;
	int looked;

	pp = idle_list(family, &count);
	for (looked = 0; *pp && looked < 2; looked++, pp = &(*pp)->next) {
		ps = *pp;
		if (same_dst(ps, dst))
			continue;
		*pp = ps->next;
		(*count)--;
		return ps;
	}
	return NULL;
}

/* A socket for t's probe, unconnected; NULL with errno set. */
struct probe_sock *psock_get(struct target *t, int type)
{
	struct probe_sock *ps = NULL;

	if (type == SOCK_STREAM)
		ps = take_idle(t->dst.ss_family, &t->dst);
	if (!ps)
		ps = create(t->dst.ss_family, type);
	if (ps) {
		ps->owner = t;
		ps->last_dst = t->dst;
		ps->next = NULL;
	}
	return ps;
}

/*
 * Ends the owner's use of ps.  A TCP socket is disconnected at once, so
 * that the server sees the reset now, not after the batch.
 */
void psock_put(struct probe_sock *ps)
{
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };

	ps->owner = NULL;
	if (ps->type == SOCK_STREAM &&
	    connect(ps->fd, &unspec, sizeof(unspec)) < 0)
		ps->type = -1;		/* not reusable: closed when settled */
	ps->next = cooling;
	cooling = ps;
}

/* After an epoll_wait batch: the sockets it released become idle. */
void psock_settle(void)
{
	struct probe_sock *ps, *next, **list;
	unsigned int *count;

	for (ps = cooling; ps; ps = next) {
		next = ps->next;
		list = idle_list(ps->family, &count);
		if (ps->type != SOCK_STREAM || *count >= IDLE_MAX) {
			destroy(ps);
			continue;
		}
		ps->next = *list;
		*list = ps;
		(*count)++;
	}
	cooling = NULL;
}

void psock_cleanup(void)
{
	struct probe_sock *ps, *next;

	psock_settle();
	for (ps = idle4; ps; ps = next) {
		next = ps->next;
		destroy(ps);
	}
	for (ps = idle6; ps; ps = next) {
		next = ps->next;
		destroy(ps);
	}
	idle4 = idle6 = NULL;
	idle4_n = idle6_n = 0;
}
