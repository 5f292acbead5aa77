// SPDX-License-Identifier: GPL-2.0
/*
 * lbbench: load generator and server for `make bench` (see
 * Documentation/performance.rst).  Everything is built to be cheap, so that
 * the load balancer's own work is a visible part of the total: raw sockets
 * with precomputed packets and sendmmsg() for UDP, recvmmsg() sinks,
 * non-blocking connects and an epoll server for TCP.
 *
 * Times are CLOCK_MONOTONIC: in the benchmark VM (QEMU -icount) that clock
 * counts guest instructions, so rates are instruction-deterministic.
 *
 *   lbbench tcp-server -p PORT [-r REPLY_BYTES] [-n NETNS[,NETNS...]] [-D]
 *	Serves connections: reads the request, writes the reply, closes.
 *	With -n, one process listens in each of those network namespaces.
 *	-D: TCP_DEFER_ACCEPT (accept once the request is there).
 *
 *   lbbench tcp -d ADDR[,ADDR...] -p PORT [-s SRC[,SRC...]] [-c CONC]
 *		 [-t SECS] [-w WARMUP] [-q REQ_BYTES] [-r REPLY_BYTES]
 *		 [-S NETNS[,NETNS...] [-D]] [-L LINGER]
 *	New connections, CONC at a time: connect, send the request, read the
 *	reply up to EOF, close.  Destinations and source addresses rotate.
 *	With -L, a connection that got its reply is closed only once LINGER
 *	more have: it lives that much longer (its server's close waits for
 *	it, as a real client's does for its user), while only CONC run at a
 *	time.
 *	With -S, this process is also the server (as tcp-server -n), in the
 *	same event loop: on one CPU, no scheduler hand-offs shape the work.
 *	Prints "conns=N secs=S rate=R fails=F".
 *
 *   lbbench udp -n NETNS[,NETNS...] -d ADDR[,ADDR...] -p PORT -s SRC[,SRC...]
 *		 [-f FLOWS] [-t SECS] [-w WARMUP] [-b BATCH] [-W WINDOW] [-l LEN]
 *	Small UDP datagrams, FLOWS flows (source ports 10000...), sent with a
 *	raw socket from SRC to the destinations in turn (with -s SRC,SRC...:
 *	flow i from the (i mod n)th, named to the route lookup too, so that
 *	policy routing by source sees it); received by sockets
 *	bound to PORT in each NETNS (the servers), drained with recvmmsg().
 *	One process does both, so no scheduler hand-off shapes the batches;
 *	at most WINDOW datagrams are in flight.  The rate counts datagrams
 *	delivered at the servers.  Prints
 *	"sent=N delivered=N lost=N secs=S rate=R idle=F" (F: share of the
 *	measurement the CPU was idle; should be 0).
 *	With -N COUNT [-o OFFSET]: COUNT new flows instead, each sent once
 *	(flow i from SRC + i / 32768, port 1024 + i % 32768), measured from
 *	the first datagram to the last; -t is then a time limit.
 *
 *   lbbench udp -R -n NETNS[,...] -d ADDR[,...] -p PORT -s SRCBASE [-f FLOWS] ...
 *	The reply direction: first one datagram per flow from the client
 *	(flow i: SRCBASE + i, port 5000, which the client must own, e.g. with
 *	"ip route add local SRCBASE/16 dev lo") creates the state on the load
 *	balancer; then the servers send to the flows they received, and the
 *	client's socket on port 5000 counts what arrives.  Output as for udp.
 *
 *   lbbench fill -s SRCBASE -d ADDR[,ADDR...] -p PORT -N COUNT [-o OFFSET] [-b BATCH]
 *	One datagram for each of COUNT new flows (flow i: source address
 *	SRCBASE + i / 32768, source port 1024 + i % 32768, destinations in
 *	turn), to create sessions cheaply.  Prints "sent=N secs=S rate=R".
 *
 *   lbbench spin [-t SECS]
 *	Busy loop; prints "loops_per_sec=R".  Run with and without background
 *	kernel work to see how much CPU that work takes.
 *
 *   lbbench ctflush
 *	Flushes the conntrack table of the current network namespace.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/csum.h"

#define MAXADDR		64
#define MAXBATCH	256

static const char *prog = "lbbench";

static void usage(void)
{
	fprintf(stderr,
		"usage: lbbench tcp-server -p PORT [-r REPLY_BYTES] [-n NETNS[,...]] [-D]\n"
		"       lbbench tcp -d ADDR[,ADDR...] -p PORT [-s SRC[,SRC...]] [-c CONC]\n"
		"                   [-t SECS] [-w WARMUP] [-q REQ_BYTES] [-r REPLY_BYTES]\n"
		"                   [-S NETNS[,...] [-D]] [-L LINGER]\n"
		"       lbbench udp -n NETNS[,...] -d ADDR[,...] -p PORT -s SRC[,SRC...] [-f FLOWS]\n"
		"                   [-t SECS] [-w WARMUP] [-b BATCH] [-W WINDOW] [-l LEN]\n"
		"                   [-N COUNT [-o OFFSET]]\n"
		"       lbbench udp -R -n NETNS[,...] -d ADDR[,...] -p PORT -s SRCBASE [-f FLOWS] ...\n"
		"       lbbench fill -s SRCBASE -d ADDR[,...] -p PORT -N COUNT [-o OFFSET] [-b BATCH]\n"
		"       lbbench spin [-t SECS]\n"
		"       lbbench ctflush\n");
	exit(2);
}

static void die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(errno));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Idle and total jiffies of all CPUs, from /proc/stat. */
static void cpu_stat(unsigned long long *idle, unsigned long long *total)
{
	unsigned long long v[10] = { 0 };
	FILE *f = fopen("/proc/stat", "r");
	int i;

	*idle = *total = 0;
	if (!f)
		return;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
		   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8],
		   &v[9]) >= 5) {
		for (i = 0; i < 8; i++)	/* guest times are part of user */
			*total += v[i];
		*idle = v[3] + v[4];
	}
	fclose(f);
}

/* Share of the time between two cpu_stat() calls that the CPU was idle. */
static double idle_frac(unsigned long long i0, unsigned long long t0,
			unsigned long long i1, unsigned long long t1)
{
	return t1 > t0 ? (double)(i1 - i0) / (double)(t1 - t0) : 0;
}

static long num(const char *s, long max)
{
	char *end;
	long v = strtol(s, &end, 0);

	if (!*s || *end || v < 0 || v > max)
		usage();
	return v;
}

static double fnum(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (!*s || *end || v < 0)
		usage();
	return v;
}

/* Comma-separated IPv4 addresses. */
static int addrs(const char *s, struct in_addr *out, int max)
{
	char buf[4096], *tok, *save = NULL;
	int n = 0;

	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == max || inet_pton(AF_INET, tok, &out[n]) != 1)
			usage();
		n++;
	}
	if (!n)
		usage();
	return n;
}

/* ------------------------------------------------------------------ */
/* Options shared by the subcommands. */

struct opts {
	struct in_addr dst[MAXADDR], src[MAXADDR];
	int ndst, nsrc;
	char *netns;
	int port;
	int conc, linger;
	double secs, warm;
	int req_len, reply_len;
	int flows, batch, window, len;
	long count, offset;
	bool reply, defer;
	char *serve;
};

static void parse(int argc, char **argv, struct opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->conc = 32;
	o->secs = 3;
	o->warm = 0.5;
	o->req_len = 32;
	o->reply_len = 64;
	o->flows = 1024;
	o->batch = 16;
	o->window = 256;
	o->len = 16;
	while ((c = getopt(argc, argv, "d:s:n:N:p:c:t:w:q:r:f:b:W:l:o:RDS:L:")) != -1) {
		switch (c) {
		case 'R': o->reply = true; break;
		case 'D': o->defer = true; break;
		case 'S': o->serve = optarg; break;
		case 'd': o->ndst = addrs(optarg, o->dst, MAXADDR); break;
		case 's': o->nsrc = addrs(optarg, o->src, MAXADDR); break;
		case 'n': o->netns = optarg; break;
		case 'N': o->count = num(optarg, 100000000); break;
		case 'p': o->port = (int)num(optarg, 65535); break;
		case 'c': o->conc = (int)num(optarg, 100000); break;
		case 'L': o->linger = (int)num(optarg, 100000); break;
		case 't': o->secs = fnum(optarg); break;
		case 'w': o->warm = fnum(optarg); break;
		case 'q': o->req_len = (int)num(optarg, 1024); break;
		case 'r': o->reply_len = (int)num(optarg, 65536); break;
		case 'f': o->flows = (int)num(optarg, 1 << 20); break;
		case 'b': o->batch = (int)num(optarg, MAXBATCH); break;
		case 'W': o->window = (int)num(optarg, 1 << 20); break;
		case 'l': o->len = (int)num(optarg, 1400); break;
		case 'o': o->offset = num(optarg, 100000000); break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if (o->batch < 1 || o->flows < 1 || o->conc < 1)
		usage();
}

/* ------------------------------------------------------------------ */
/* TCP server */

/* epoll data of server sockets: the fd with this bit (client conns: index) */
#define SRV_TAG		(1ULL << 62)
#define LST_TAG		(1ULL << 61)

struct srv {
	int ep;
	char *reply;
	int reply_len;
};

static int netns_enter(const char *name);

/* Listening sockets on @port, in each namespace of @list (NULL: this one). */
static void srv_listen(struct srv *sv, const char *list, int port, bool defer)
{
	char buf[4096], *tok, *save = NULL;
	int self = -1, one = 1;

	if (list) {
		self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (self < 0)
			die("/proc/self/ns/net");
		snprintf(buf, sizeof(buf), "%s", list);
	}
	tok = list ? strtok_r(buf, ",", &save) : NULL;
	do {
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_port = htons((uint16_t)port) };
		struct epoll_event ev = { .events = EPOLLIN };
		int lfd;

		if (tok)
			netns_enter(tok);
		lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (lfd < 0)
			die("socket");
		setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (defer)
			setsockopt(lfd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &one, sizeof(one));
		if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 4096))
			die("bind/listen");
		ev.data.u64 = SRV_TAG | LST_TAG | (uint64_t)lfd;
		if (epoll_ctl(sv->ep, EPOLL_CTL_ADD, lfd, &ev))
			die("epoll_ctl");
	} while (tok && (tok = strtok_r(NULL, ",", &save)));
	if (self >= 0) {
		if (setns(self, CLONE_NEWNET))
			die("setns back");
		close(self);
	}
}

/* A connection that can be read: the request; answer and close. */
static void srv_conn(struct srv *sv, int fd)
{
	char buf[2048];
	ssize_t r = read(fd, buf, sizeof(buf));

	if (r < 0 && errno == EAGAIN)
		return;
	if (r > 0 && write(fd, sv->reply, (size_t)sv->reply_len) < 0)
		r = -1;
	close(fd);	/* also leaves the epoll set */
}

static void srv_event(struct srv *sv, uint64_t data)
{
	int fd = (int)(data & 0xffffffff), cfd;

	if (!(data & LST_TAG)) {
		srv_conn(sv, fd);
		return;
	}
	while ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct epoll_event ev = { .events = EPOLLIN,
					  .data.u64 = SRV_TAG | (uint64_t)cfd };

		if (epoll_ctl(sv->ep, EPOLL_CTL_ADD, cfd, &ev))
			close(cfd);
	}
}

static void srv_init(struct srv *sv, int ep, int reply_len)
{
	sv->ep = ep;
	sv->reply_len = reply_len;
	sv->reply = calloc(1, (size_t)reply_len + 1);
	if (!sv->reply)
		die("calloc");
	memset(sv->reply, 'r', (size_t)reply_len);
}

static int tcp_server(struct opts *o)
{
	struct epoll_event evs[256];
	struct srv sv;
	int ep;

	if (!o->port)
		usage();
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1");
	srv_init(&sv, ep, o->reply_len);
	srv_listen(&sv, o->netns, o->port, o->defer);
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1), i;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		for (i = 0; i < n; i++)
			srv_event(&sv, evs[i].data.u64);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* TCP client: new connections */

enum { C_IDLE, C_CONNECTING, C_READING };

struct conn {
	int fd;
	int state;
	int got;
};

/*
 * -L: connections that got their reply, kept open (out of the event loop)
 * until LINGER more have; then the oldest is closed.
 */
struct linger_fifo {
	int *fd;
	int size, n, head;
};

static void linger_init(struct linger_fifo *l, int size)
{
	l->size = size;
	l->n = 0;
	l->head = 0;
	l->fd = size ? calloc((size_t)size, sizeof(*l->fd)) : NULL;
	if (size && !l->fd)
		die("calloc");
}

/* @fd is done: closed at once without -L, else after LINGER more. */
static void linger_close(struct linger_fifo *l, int ep, int fd)
{
	int slot;

	if (!l->size) {
		close(fd);
		return;
	}
	/* Its EOF would keep it readable: out of the loop until closed. */
	if (epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL))
		die("epoll_ctl");
	slot = (l->head + l->n) % l->size;
	if (l->n == l->size) {
		close(l->fd[l->head]);
		l->head = (l->head + 1) % l->size;
	} else {
		l->n++;
	}
	l->fd[slot] = fd;
}

static int tcp_client(struct opts *o)
{
	struct epoll_event ev, evs[512];
	struct linger_fifo lf;
	struct conn *c;
	char *req, buf[4096];
	long done = 0, fails = 0, fails_meas = 0, cap = 1 << 16, k_span;
	double *tdone, rate;
	unsigned long long ci0 = 0, ct0 = 0, ci1, ct1;
	struct srv sv;
	unsigned int di = 0, si = 0;
	double t_start, t0 = 0, t_end, t;
	bool measuring = false;
	int ep, i, one = 1;

	if (!o->ndst || !o->port)
		usage();
	c = calloc((size_t)o->conc, sizeof(*c));
	req = calloc(1, (size_t)o->req_len + 1);
	if (!c || !req)
		die("calloc");
	memset(req, 'q', (size_t)o->req_len);
	tdone = malloc(sizeof(*tdone) * (size_t)cap);
	if (!tdone)
		die("malloc");
	linger_init(&lf, o->linger);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1");
	if (o->serve) {
		/* The servers too, in this process: no scheduler hand-offs. */
		srv_init(&sv, ep, o->reply_len);
		srv_listen(&sv, o->serve, o->port, o->defer);
	}

#define START(k) do {							\
	struct sockaddr_in sa = { .sin_family = AF_INET,		\
				  .sin_port = htons((uint16_t)o->port) };\
	struct conn *cc = &c[k];					\
	cc->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0); \
	if (cc->fd < 0)							\
		die("socket");						\
	if (o->nsrc) {							\
		struct sockaddr_in la = { .sin_family = AF_INET };	\
		la.sin_addr = o->src[si++ % (unsigned int)o->nsrc];	\
		setsockopt(cc->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT,	\
			   &one, sizeof(one));				\
		if (bind(cc->fd, (struct sockaddr *)&la, sizeof(la)))	\
			die("bind");					\
	}								\
	sa.sin_addr = o->dst[di++ % (unsigned int)o->ndst];		\
	if (connect(cc->fd, (struct sockaddr *)&sa, sizeof(sa)) &&	\
	    errno != EINPROGRESS)					\
		die("connect");						\
	cc->state = C_CONNECTING;					\
	cc->got = 0;							\
	ev.events = EPOLLOUT;						\
	ev.data.u32 = (uint32_t)(k);					\
	if (epoll_ctl(ep, EPOLL_CTL_ADD, cc->fd, &ev))			\
		die("epoll_ctl");					\
} while (0)

	t_start = now();
	t_end = t_start + o->warm + o->secs;
	for (i = 0; i < o->conc; i++)
		START(i);
	for (;;) {
		int n = epoll_wait(ep, evs, 512, 1000), j;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		t = now();
		if (!measuring && t >= t_start + o->warm) {
			measuring = true;
			t0 = t;
			done = 0;
			cpu_stat(&ci0, &ct0);
		}
		if (t >= t_end)
			break;
		for (j = 0; j < n; j++) {
			int k = (int)evs[j].data.u32;
			struct conn *cc = &c[k];
			bool fin = false, ok = false;

			if (evs[j].data.u64 & SRV_TAG) {
				srv_event(&sv, evs[j].data.u64);
				continue;
			}
			if (cc->state == C_CONNECTING) {
				if ((evs[j].events & (EPOLLERR | EPOLLHUP)) ||
				    write(cc->fd, req, (size_t)o->req_len) != o->req_len) {
					fin = true;
				} else {
					ev.events = EPOLLIN;
					ev.data.u32 = (uint32_t)k;
					if (epoll_ctl(ep, EPOLL_CTL_MOD, cc->fd, &ev))
						die("epoll_ctl");
					cc->state = C_READING;
				}
			} else {
				for (;;) {
					ssize_t r = read(cc->fd, buf, sizeof(buf));

					if (r > 0) {
						cc->got += (int)r;
						continue;
					}
					if (r < 0 && errno == EAGAIN)
						break;
					fin = true;
					ok = r == 0 && cc->got >= o->reply_len;
					break;
				}
			}
			if (!fin)
				continue;
			if (ok)
				linger_close(&lf, ep, cc->fd);
			else
				close(cc->fd);
			if (ok && measuring) {
				if (done == cap) {
					cap *= 2;
					tdone = realloc(tdone, sizeof(*tdone) * (size_t)cap);
					if (!tdone)
						die("realloc");
				}
				tdone[done++] = t;
			} else if (!ok) {
				fails++;
				if (measuring)
					fails_meas++;
			}
			START(k);
		}
	}
	/*
	 * On one CPU the connections move in waves of CONC, so a fixed window
	 * would count whole waves or not.  The rate is taken between two
	 * completions a whole number of waves apart instead.
	 */
	t = now();
	cpu_stat(&ci1, &ct1);
	k_span = done > 1 ? (done - 1) / o->conc * o->conc : 0;
	if (k_span > 0 && tdone[k_span] > tdone[0])
		rate = (double)k_span / (tdone[k_span] - tdone[0]);
	else
		rate = (double)done / (t - t0);
	printf("conns=%ld secs=%.6f rate=%.2f fails=%ld fails_total=%ld idle=%.4f\n",
	       done, t - t0, rate, fails_meas, fails, idle_frac(ci0, ct0, ci1, ct1));
	return 0;
}

/* ------------------------------------------------------------------ */
/* UDP */

struct pkt {
	struct iphdr ip;
	struct udphdr udp;
	unsigned char payload[1400];
} __attribute__((packed));

/* An IPv4/UDP datagram with a correct UDP checksum (the kernel fills in the
 * IP id, length and header checksum of a raw IPPROTO_RAW send). */
static void mkpkt(struct pkt *p, struct in_addr src, struct in_addr dst,
		  uint16_t sport, uint16_t dport, int len)
{
	uint32_t sum = 0;
	uint16_t ulen = (uint16_t)(sizeof(struct udphdr) + (size_t)len);

	memset(p, 0, sizeof(struct iphdr) + sizeof(struct udphdr));
	memset(p->payload, 'u', (size_t)len);
	p->ip.version = 4;
	p->ip.ihl = 5;
	p->ip.ttl = 64;
	p->ip.protocol = IPPROTO_UDP;
	p->ip.saddr = src.s_addr;
	p->ip.daddr = dst.s_addr;
	p->ip.tot_len = htons((uint16_t)(sizeof(struct iphdr) + ulen));
	p->udp.source = htons(sport);
	p->udp.dest = htons(dport);
	p->udp.len = htons(ulen);
	sum = csum_add(sum, &p->ip.saddr, 8);
	sum += IPPROTO_UDP + ulen;
	sum = csum_add(sum, &p->udp, ulen);
	p->udp.check = htons(csum_fold(sum));
	if (!p->udp.check)
		p->udp.check = 0xffff;
}

static int raw_socket(void)
{
	int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	int sz = 4 << 20;

	if (fd < 0)
		die("raw socket");
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz));
	return fd;
}

static int netns_enter(const char *name)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(path);
	if (setns(fd, CLONE_NEWNET))
		die("setns");
	close(fd);
	return 0;
}

/* UDP sockets bound to @port in each of the comma-separated namespaces. */
static int sinks(const char *list, int port, int *fds, int max)
{
	char buf[4096], *tok, *save = NULL;
	int self, n = 0, sz = 16 << 20;

	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		die("/proc/self/ns/net");
	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_port = htons((uint16_t)port) };
		int fd;

		if (n == max)
			usage();
		netns_enter(tok);
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die("socket");
		setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz));
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
			die("bind sink");
		fds[n++] = fd;
	}
	if (setns(self, CLONE_NEWNET))
		die("setns back");
	close(self);
	return n;
}

static long drain(const int *fds, int n)
{
	static struct mmsghdr mm[64];
	static struct iovec iov[64];
	static char bufs[64][64];
	long got = 0;
	int i, r;

	if (!iov[0].iov_base) {
		for (i = 0; i < 64; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = sizeof(bufs[i]);
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
	}
	for (i = 0; i < n; i++) {
		do {
			r = recvmmsg(fds[i], mm, 64, MSG_DONTWAIT, NULL);
			if (r > 0)
				got += r;
		} while (r == 64);
	}
	return got;
}

/* An IP_PKTINFO control message naming a datagram's source address. */
union srcmsg {
	char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	struct cmsghdr align;
};

/*
 * One IP_PKTINFO message per source address of @o.  A raw socket's route
 * lookup does not read the source from the header it sends: without the
 * message, source-based policy routing (the bench's stand-in for an ECMP
 * router spreading flows over nodes) would not see it.
 */
static union srcmsg *src_cmsgs(const struct opts *o)
{
	union srcmsg *m = calloc((size_t)o->nsrc, sizeof(*m));
	int i;

	if (!m)
		die("calloc");
	for (i = 0; i < o->nsrc; i++) {
		struct cmsghdr *c = &m[i].align;
		struct in_pktinfo pi = { .ipi_spec_dst = o->src[i] };

		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	}
	return m;
}

static int udp_test(struct opts *o)
{
	struct mmsghdr *mm;
	struct iovec *iov;
	struct sockaddr_in *sas;
	struct pkt *pk;
	int fds[MAXADDR], nfd, raw, i;
	long sent = 0, delivered = 0, lost = 0, d0 = 0, s0 = 0, l0 = 0;
	double t_start, t0 = 0, t, t_end, t_stall = 0;
	bool measuring = false;
	unsigned int next = 0;
	unsigned long long ci0 = 0, ct0 = 0, ci1, ct1;
	union srcmsg *srcs = NULL;

	if (!o->netns || !o->ndst || !o->nsrc || !o->port)
		usage();
	nfd = sinks(o->netns, o->port, fds, MAXADDR);
	raw = raw_socket();
	if (o->count) {
		/* New flows: each sent once, measured from the first one. */
		o->flows = (int)o->count;
		o->warm = 0;
	}
	pk = calloc((size_t)o->flows, sizeof(*pk));
	sas = calloc((size_t)o->flows, sizeof(*sas));
	iov = calloc((size_t)o->flows, sizeof(*iov));
	mm = calloc((size_t)o->flows + MAXBATCH, sizeof(*mm));
	if (!pk || !sas || !iov || !mm)
		die("calloc");
	if (o->nsrc > 1 && !o->count)
		srcs = src_cmsgs(o);
	for (i = 0; i < o->flows; i++) {
		long f = o->offset + i;
		struct in_addr src = o->src[srcs ? i % o->nsrc : 0];

		if (o->count)
			src.s_addr = htonl(ntohl(src.s_addr) + (uint32_t)(f >> 15));
		mkpkt(&pk[i], src, o->dst[i % o->ndst],
		      (uint16_t)(o->count ? 1024 + (f & 32767) : 10000 + i),
		      (uint16_t)o->port, o->len);
		sas[i].sin_family = AF_INET;
		sas[i].sin_addr = o->dst[i % o->ndst];
		iov[i].iov_base = &pk[i];
		iov[i].iov_len = sizeof(struct iphdr) + sizeof(struct udphdr) + (size_t)o->len;
	}
	/* mm[] is the flow list twice over (as far as a batch reaches), so a
	 * batch never wraps. */
	for (i = 0; i < o->flows + MAXBATCH; i++) {
		int f = i % o->flows;

		mm[i].msg_hdr.msg_name = &sas[f];
		mm[i].msg_hdr.msg_namelen = sizeof(sas[f]);
		mm[i].msg_hdr.msg_iov = &iov[f];
		mm[i].msg_hdr.msg_iovlen = 1;
		if (srcs) {
			mm[i].msg_hdr.msg_control = &srcs[f % o->nsrc];
			mm[i].msg_hdr.msg_controllen = sizeof(srcs[0]);
		}
	}

	t_start = now();
	t_end = t_start + o->warm + o->secs;
	for (;;) {
		long got;

		t = now();
		if (!measuring && t >= t_start + o->warm) {
			measuring = true;
			t0 = t;
			d0 = delivered;
			s0 = sent;
			l0 = lost;
			cpu_stat(&ci0, &ct0);
		}
		if (t >= t_end)
			break;
		if (o->count && sent == o->count && sent - delivered - lost <= 0)
			break;
		if (sent - delivered - lost + o->batch <= o->window &&
		    (!o->count || sent < o->count)) {
			unsigned int n = (unsigned int)o->batch;
			int r;

			if (o->count && sent + n > o->count)
				n = (unsigned int)(o->count - sent);
			r = sendmmsg(raw, &mm[next], n, 0);
			if (r < 0) {
				if (errno != ENOBUFS && errno != EAGAIN)
					die("sendmmsg");
				r = 0;
			}
			sent += r;
			next = (next + (unsigned int)r) % (unsigned int)o->flows;
		}
		got = drain(fds, nfd);
		delivered += got;
		if (got || ((!o->count || sent < o->count) &&
			    sent - delivered - lost + o->batch <= o->window)) {
			t_stall = 0;
			continue;
		}
		/* Window full and nothing arrived: let softirqd and others run;
		 * after 50 ms, count what is missing as lost. */
		if (!t_stall)
			t_stall = t;
		if (t - t_stall > 0.05) {
			lost = sent - delivered;
			t_stall = 0;
		}
		sched_yield();
	}
	t = now();
	cpu_stat(&ci1, &ct1);
	printf("sent=%ld delivered=%ld lost=%ld secs=%.6f rate=%.2f idle=%.4f\n",
	       sent - s0, delivered - d0, lost - l0, t - t0,
	       (double)(delivered - d0) / (t - t0), idle_frac(ci0, ct0, ci1, ct1));
	return 0;
}

/*
 * The reply direction: servers send to client flows that first reached them
 * through the load balancer (so the load balancer has their state).
 */
#define REPLY_PORT 5000

static int udp_reply_test(struct opts *o)
{
	static char payload[1400];
	struct sockaddr_in *peer[MAXADDR], from, la = { .sin_family = AF_INET };
	struct mmsghdr *mm[MAXADDR], rmm[64];
	struct iovec iov = { .iov_base = payload }, riov[64];
	static char rbuf[64][64];
	int fds[MAXADDR], npeer[MAXADDR] = { 0 }, pos[MAXADDR] = { 0 };
	int nfd, raw, cl, i, j, sz = 16 << 20, srv = 0;
	long sent = 0, delivered = 0, lost = 0, d0 = 0, s0 = 0, l0 = 0, got_setup = 0;
	double t_start, t0 = 0, t, t_end, t_stall = 0;
	bool measuring = false;
	unsigned long long ci0 = 0, ct0 = 0, ci1, ct1;

	if (!o->netns || !o->ndst || !o->nsrc || !o->port)
		usage();
	nfd = sinks(o->netns, o->port, fds, MAXADDR);
	raw = raw_socket();
	cl = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (cl < 0)
		die("socket");
	setsockopt(cl, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz));
	la.sin_port = htons(REPLY_PORT);
	if (bind(cl, (struct sockaddr *)&la, sizeof(la)))
		die("bind client");
	for (i = 0; i < nfd; i++) {
		peer[i] = calloc((size_t)o->flows, sizeof(**peer));
		if (!peer[i])
			die("calloc");
	}
	memset(payload, 'v', sizeof(payload));
	iov.iov_len = (size_t)o->len;

	/* Setup: one datagram per flow, client -> server (through the LB). */
	for (i = 0; i < o->flows; i++) {
		struct pkt p;
		struct in_addr src;
		struct sockaddr_in sa = { .sin_family = AF_INET };

		src.s_addr = htonl(ntohl(o->src[0].s_addr) + (uint32_t)i);
		sa.sin_addr = o->dst[i % o->ndst];
		mkpkt(&p, src, sa.sin_addr, REPLY_PORT, (uint16_t)o->port, o->len);
		if (sendto(raw, &p, sizeof(struct iphdr) + sizeof(struct udphdr) + (size_t)o->len,
			   0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			die("sendto");
		if ((i & 63) == 63)
			sched_yield();
	}
	t = now();
	while (got_setup < o->flows && now() - t < 2) {
		bool any = false;

		for (j = 0; j < nfd; j++) {
			socklen_t sl = sizeof(from);
			char b[64];

			while (npeer[j] < o->flows &&
			       recvfrom(fds[j], b, sizeof(b), 0, (struct sockaddr *)&from, &sl) >= 0) {
				peer[j][npeer[j]++] = from;
				got_setup++;
				any = true;
				sl = sizeof(from);
			}
		}
		if (!any)
			sched_yield();
	}
	for (j = 0; j < nfd; j++) {
		if (!npeer[j])
			continue;
		/* the peer list twice over (as far as a batch reaches): no wrap */
		mm[j] = calloc((size_t)npeer[j] + MAXBATCH, sizeof(**mm));
		if (!mm[j])
			die("calloc");
		for (i = 0; i < npeer[j] + MAXBATCH; i++) {
			mm[j][i].msg_hdr.msg_name = &peer[j][i % npeer[j]];
			mm[j][i].msg_hdr.msg_namelen = sizeof(struct sockaddr_in);
			mm[j][i].msg_hdr.msg_iov = &iov;
			mm[j][i].msg_hdr.msg_iovlen = 1;
		}
	}
	for (i = 0; i < 64; i++) {
		riov[i].iov_base = rbuf[i];
		riov[i].iov_len = sizeof(rbuf[i]);
		memset(&rmm[i], 0, sizeof(rmm[i]));
		rmm[i].msg_hdr.msg_iov = &riov[i];
		rmm[i].msg_hdr.msg_iovlen = 1;
	}
	if (got_setup == 0) {
		fprintf(stderr, "%s: no setup datagram reached a server\n", prog);
		return 1;
	}

	t_start = now();
	t_end = t_start + o->warm + o->secs;
	for (;;) {
		long got = 0;
		int r;

		t = now();
		if (!measuring && t >= t_start + o->warm) {
			measuring = true;
			t0 = t;
			d0 = delivered;
			s0 = sent;
			l0 = lost;
			cpu_stat(&ci0, &ct0);
		}
		if (t >= t_end)
			break;
		if (sent - delivered - lost + o->batch <= o->window) {
			while (!npeer[srv])
				srv = (srv + 1) % nfd;
			r = sendmmsg(fds[srv], &mm[srv][pos[srv]], (unsigned int)o->batch, 0);
			if (r < 0) {
				if (errno != ENOBUFS && errno != EAGAIN)
					die("sendmmsg");
				r = 0;
			}
			sent += r;
			pos[srv] = (pos[srv] + r) % npeer[srv];
			srv = (srv + 1) % nfd;
		}
		do {
			r = recvmmsg(cl, rmm, 64, MSG_DONTWAIT, NULL);
			if (r > 0)
				got += r;
		} while (r == 64);
		delivered += got;
		if (got || sent - delivered - lost + o->batch <= o->window) {
			t_stall = 0;
			continue;
		}
		if (!t_stall)
			t_stall = t;
		if (t - t_stall > 0.05) {
			lost = sent - delivered;
			t_stall = 0;
		}
		sched_yield();
	}
	t = now();
	cpu_stat(&ci1, &ct1);
	printf("sent=%ld delivered=%ld lost=%ld secs=%.6f rate=%.2f idle=%.4f setup=%ld\n",
	       sent - s0, delivered - d0, lost - l0, t - t0,
	       (double)(delivered - d0) / (t - t0), idle_frac(ci0, ct0, ci1, ct1), got_setup);
	return 0;
}

/* One datagram for each of COUNT flows from many sources. */
static int udp_fill(struct opts *o)
{
	static struct pkt pk[MAXBATCH];
	static struct mmsghdr mm[MAXBATCH];
	static struct iovec iov[MAXBATCH];
	static struct sockaddr_in sa[MAXBATCH];
	long i = 0, sent = 0;
	int raw, k;
	double t0;

	if (!o->ndst || !o->nsrc || !o->port || !o->count)
		usage();
	raw = raw_socket();
	for (k = 0; k < o->batch; k++) {
		iov[k].iov_base = &pk[k];
		iov[k].iov_len = sizeof(struct iphdr) + sizeof(struct udphdr) + (size_t)o->len;
		sa[k].sin_family = AF_INET;
		mm[k].msg_hdr.msg_name = &sa[k];
		mm[k].msg_hdr.msg_namelen = sizeof(sa[k]);
		mm[k].msg_hdr.msg_iov = &iov[k];
		mm[k].msg_hdr.msg_iovlen = 1;
	}
	t0 = now();
	while (i < o->count) {
		int n = 0, r;

		for (k = 0; k < o->batch && i + k < o->count; k++) {
			long f = o->offset + i + k;
			struct in_addr s;

			s.s_addr = htonl(ntohl(o->src[0].s_addr) + (uint32_t)(f >> 15));
			sa[k].sin_addr = o->dst[f % o->ndst];
			mkpkt(&pk[k], s, sa[k].sin_addr, (uint16_t)(1024 + (f & 32767)),
			      (uint16_t)o->port, o->len);
			n++;
		}
		r = sendmmsg(raw, mm, (unsigned int)n, 0);
		if (r < 0) {
			if (errno != ENOBUFS && errno != EAGAIN)
				die("sendmmsg");
			sched_yield();
			continue;
		}
		i += r;
		sent += r;
	}
	t0 = now() - t0;
	printf("sent=%ld secs=%.6f rate=%.2f\n", sent, t0, (double)sent / t0);
	return 0;
}

/* ------------------------------------------------------------------ */

static int spin(struct opts *o)
{
	volatile unsigned long x = 0;
	unsigned long loops = 0;
	double t0 = now(), t;
	int i;

	do {
		for (i = 0; i < 4096; i++)
			x++;
		loops += 4096;
		t = now();
	} while (t - t0 < o->secs);
	printf("loops_per_sec=%.1f\n", (double)loops / (t - t0));
	return 0;
}

/* IPCTNL_MSG_CT_DELETE without attributes: flush the conntrack table. */
static int ctflush(void)
{
	struct {
		struct nlmsghdr nh;
		struct nfgenmsg nf;
	} req = {
		.nh = {
			.nlmsg_len = sizeof(req),
			.nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
			.nlmsg_seq = 1,
		},
		.nf = { .nfgen_family = AF_INET, .version = NFNETLINK_V0 },
	};
	char buf[4096];
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	ssize_t r;

	if (fd < 0)
		die("netlink socket");
	if (send(fd, &req, sizeof(req), 0) < 0)
		die("netlink send");
	r = recv(fd, buf, sizeof(buf), 0);
	if (r < (ssize_t)sizeof(*nh))
		die("netlink recv");
	if (nh->nlmsg_type == NLMSG_ERROR) {
		int err = ((struct nlmsgerr *)NLMSG_DATA(nh))->error;

		if (err && err != -ENOENT) {
			errno = -err;
			die("conntrack flush");
		}
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	const char *cmd;

	if (argc < 2)
		usage();
	cmd = argv[1];
	signal(SIGPIPE, SIG_IGN);
	parse(argc - 1, argv + 1, &o);
	if (!strcmp(cmd, "tcp-server"))
		return tcp_server(&o);
	if (!strcmp(cmd, "tcp"))
		return tcp_client(&o);
	if (!strcmp(cmd, "udp"))
		return o.reply ? udp_reply_test(&o) : udp_test(&o);
	if (!strcmp(cmd, "fill"))
		return udp_fill(&o);
	if (!strcmp(cmd, "spin"))
		return spin(&o);
	if (!strcmp(cmd, "ctflush"))
		return ctflush();
	usage();
	return 2;
}
