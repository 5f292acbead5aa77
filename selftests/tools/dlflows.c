// SPDX-License-Identifier: GPL-2.0
/*
 * dlflows: many paced TCP downloads at once, each checked byte for byte, in
 * one process a side (starting 50 socat processes takes seconds under TCG).
 *
 * Server:  dlflows -l -p PORT [-r KBPS] [-g DIR]
 *   Listens on [::]:PORT (IPv4 too).  A client sends 24 bytes: the size and
 *   the seed of the stream it wants and a gate number (three 64-bit
 *   big-endian numbers); the server sends that many bytes of that stream,
 *   at most KBPS KiB a second per connection (0, the default: as fast as
 *   TCP goes), then closes its side (FIN) and waits for the client to
 *   close.  With -g, a connection with gate G > 0 sends only the first half
 *   until the file DIR/goG exists, then the rest at the same pace: a test
 *   holds downloads mid-transfer however slow it is, and lets them go on
 *   around a failover.  One line per event:
 *     accept ADDR PORT | sent ADDR PORT BYTES | error ADDR PORT TEXT
 *
 * Client:  dlflows -a ADDR -p PORT -n COUNT -s BYTES [-b SPORT] [-t SECS]
 *                  [-T SECS] [-S SEED] [-g GATE] [-W]
 *   Opens COUNT connections at once (from source ports SPORT, SPORT+1, ...
 *   if -b is given), each downloads BYTES of its own stream (seed SEED + its
 *   index) and compares every byte.  Prints "running N" once, when every
 *   connection has received data and none has finished (all were under way
 *   at that moment), "progress BYTES DONE" every second, and
 *   one result per connection:
 *     done SPORT BYTES       all bytes, each the right one, then EOF
 *     bad SPORT OFFSET       a wrong byte at OFFSET (or more than BYTES)
 *     short SPORT BYTES      EOF after only BYTES
 *     reset SPORT BYTES      RST after BYTES
 *     stalled SPORT BYTES    nothing for SECS (-t, default 15) after BYTES
 *     error SPORT TEXT       connect or receive failed
 *   and "complete=N/COUNT" at the end.  -T: overall limit (default 120 s;
 *   what has not finished by then is "stalled").  Exit 0 if every download
 *   is "done", 3 if not, 1 on local errors.
 *   On SIGUSR1 it prints "mark LEFT DONE": the fewest bytes an unfinished
 *   download still has to receive (0 if none is unfinished) and how many
 *   have finished, so a test can tell that all were under way at a moment.
 *   -g: the gate number sent to the server.  -W: no stall limit before the
 *   mark (a gated download waits as long as the test needs).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 65536
#define MAXCONN 4096

static void usage(void)
{
	fprintf(stderr,
		"usage: dlflows -l -p PORT [-r KBPS] [-g DIR]\n"
		"       dlflows -a ADDR -p PORT -n COUNT -s BYTES [-b SPORT] [-t SECS]\n"
		"               [-T SECS] [-S SEED] [-g GATE] [-W]\n");
	exit(2);
}

static unsigned long long num(const char *s, unsigned long long max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (!*s || *end || errno || v > max)
		usage();
	return v;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* The stream: word i of stream SEED is splitmix64(SEED, i), little-endian. */
static uint64_t word(uint64_t seed, uint64_t i)
{
	uint64_t z = seed * 0x9e3779b97f4a7c15ULL + (i + 1) * 0xbf58476d1ce4e5b9ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* @len bytes of stream @seed from offset @off into @buf. */
static void stream_fill(uint64_t seed, uint64_t off, unsigned char *buf, size_t len)
{
	size_t n = 0;

	while (n < len) {
		uint64_t o = off + n, w = word(seed, o >> 3);
		unsigned int b;

		for (b = o & 7; b < 8 && n < len; b++)
			buf[n++] = (unsigned char)(w >> (8 * b));
	}
}

static void put64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void peer_str(int fd, char *buf, size_t len)
{
	struct sockaddr_in6 sa;
	socklen_t sl = sizeof(sa);
	char a[INET6_ADDRSTRLEN] = "?";
	const char *s = a;

	memset(&sa, 0, sizeof(sa));
	if (getpeername(fd, (struct sockaddr *)&sa, &sl) == 0)
		inet_ntop(AF_INET6, &sa.sin6_addr, a, sizeof(a));
	if (!strncmp(s, "::ffff:", 7) && strchr(s, '.'))
		s += 7;
	snprintf(buf, len, "%s %u", s, ntohs(sa.sin6_port));
}

/* ------------------------------------------------------------------------ */

struct sconn {
	int fd;
	unsigned char req[24];
	size_t reqlen;
	uint64_t size, seed, gate, sent;
	long long t0;
	int closing, open;
	char peer[INET6_ADDRSTRLEN + 8];
};

static void sconn_end(struct sconn *c, const char *err)
{
	if (err)
		printf("error %s %s\n", c->peer, err);
	else
		printf("sent %s %llu\n", c->peer, (unsigned long long)c->sent);
	fflush(stdout);
	close(c->fd);
	c->fd = -1;
}

static const char *gate_dir;

/* How much of its stream connection @c may have sent by @t. */
static uint64_t allowance(struct sconn *c, long long t, unsigned long long kbps)
{
	uint64_t allow = c->size;

	if (c->gate && gate_dir && !c->open) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/go%llu", gate_dir, (unsigned long long)c->gate);
		c->open = access(path, F_OK) == 0;
		/* held at half: the pace goes on from there */
		if (c->open && kbps && (uint64_t)(t - c->t0) * kbps * 1024 / 1000 > c->size / 2)
			c->t0 = t - (long long)(c->size / 2 * 1000 / (kbps * 1024));
	}
	if (kbps)
		allow = (uint64_t)(t - c->t0) * kbps * 1024 / 1000;
	if (c->gate && gate_dir && !c->open && allow > c->size / 2)
		allow = c->size / 2;
	return allow > c->size ? c->size : allow;
}

static int server(unsigned int port, unsigned long long kbps)
{
	static struct sconn conns[MAXCONN];
	static struct pollfd pfd[MAXCONN + 1];
	static unsigned char buf[CHUNK];
	struct sockaddr_in6 sa;
	int lfd, one = 1, zero = 0, i, n = 0;

	lfd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (lfd < 0) {
		perror("dlflows: socket");
		return 1;
	}
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	memset(&sa, 0, sizeof(sa));
	sa.sin6_family = AF_INET6;
	sa.sin6_port = htons(port);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 1024) < 0) {
		perror("dlflows: bind/listen");
		return 1;
	}
	for (;;) {
		long long t = now_ms();
		int np = 1, tmo = -1;

		pfd[0].fd = lfd;
		pfd[0].events = n < MAXCONN ? POLLIN : 0;
		for (i = 0; i < n; i++) {
			struct sconn *c = &conns[i];
			short ev = POLLIN;

			if (c->reqlen == sizeof(c->req) && !c->closing) {
				uint64_t allow = allowance(c, t, kbps);

				if (allow > c->sent)
					ev |= POLLOUT;
				else
					tmo = 10;
			}
			pfd[np].fd = c->fd;
			pfd[np].events = ev;
			pfd[np].revents = 0;
			np++;
		}
		if (poll(pfd, np, tmo) < 0) {
			if (errno == EINTR)
				continue;
			perror("dlflows: poll");
			return 1;
		}
		t = now_ms();
		for (i = 0; i < n; i++) {
			struct sconn *c = &conns[i];
			short re = pfd[i + 1].revents;
			ssize_t r;

			if (re & (POLLIN | POLLERR | POLLHUP)) {
				if (c->reqlen < sizeof(c->req)) {
					r = read(c->fd, c->req + c->reqlen, sizeof(c->req) - c->reqlen);
				} else {
					r = read(c->fd, buf, sizeof(buf));
					if (r > 0) {
						sconn_end(c, "data after the request");
						continue;
					}
				}
				if (r == 0) {
					if (c->closing)
						sconn_end(c, NULL);
					else
						sconn_end(c, "eof before the end");
					continue;
				}
				if (r < 0 && errno != EAGAIN && errno != EINTR) {
					sconn_end(c, strerror(errno));
					continue;
				}
				if (r > 0 && c->reqlen < sizeof(c->req)) {
					c->reqlen += r;
					if (c->reqlen == sizeof(c->req)) {
						c->size = get64(c->req);
						c->seed = get64(c->req + 8);
						c->gate = get64(c->req + 16);
						c->t0 = t;
					}
				}
			}
			if ((re & POLLOUT) && c->fd >= 0 && !c->closing) {
				uint64_t allow = allowance(c, t, kbps), want;

				want = allow > c->sent ? allow - c->sent : 0;
				if (want > CHUNK)
					want = CHUNK;
				if (want) {
					stream_fill(c->seed, c->sent, buf, want);
					r = send(c->fd, buf, want, MSG_NOSIGNAL);
					if (r < 0 && errno != EAGAIN && errno != EINTR) {
						sconn_end(c, strerror(errno));
						continue;
					}
					if (r > 0)
						c->sent += r;
				}
			}
			if (c->fd >= 0 && !c->closing && c->reqlen == sizeof(c->req) &&
			    c->sent == c->size) {
				shutdown(c->fd, SHUT_WR);
				c->closing = 1;
			}
		}
		/* drop the finished ones */
		for (i = 0; i < n;) {
			if (conns[i].fd < 0)
				conns[i] = conns[--n];
			else
				i++;
		}
		if (pfd[0].revents & POLLIN) {
			for (;;) {
				int fd;

				if (n >= MAXCONN)
					break;
				fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
				if (fd < 0)
					break;
				memset(&conns[n], 0, sizeof(conns[n]));
				conns[n].fd = fd;
				peer_str(fd, conns[n].peer, sizeof(conns[n].peer));
				printf("accept %s\n", conns[n].peer);
				fflush(stdout);
				n++;
			}
		}
	}
}

/* ------------------------------------------------------------------------ */

enum { C_CONNECTING, C_RECEIVING, C_FINISHED };

struct cconn {
	int fd, state;
	unsigned int sport;
	uint64_t seed, got;
	long long last;
};

static int done_count, finished_count;
static volatile sig_atomic_t mark_wanted;

static void on_usr1(int sig)
{
	(void)sig;
	mark_wanted = 1;
}

static void cconn_end(struct cconn *c, const char *what, const char *detail)
{
	if (detail)
		printf("%s %u %s\n", what, c->sport, detail);
	else
		printf("%s %u %llu\n", what, c->sport, (unsigned long long)c->got);
	fflush(stdout);
	if (!strcmp(what, "done"))
		done_count++;
	finished_count++;
	close(c->fd);
	c->fd = -1;
	c->state = C_FINISHED;
}

static unsigned int local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static int client(const char *addr, unsigned int port, unsigned int count, uint64_t size,
		  unsigned int sport, unsigned int stall, unsigned int limit, uint64_t seed,
		  uint64_t gate, int stall_after_mark)
{
	static struct pollfd pfd[MAXCONN];
	static unsigned char buf[CHUNK], want[CHUNK];
	struct sockaddr_storage dst, src;
	socklen_t dlen, slen;
	struct cconn *conns;
	long long t0 = now_ms(), next = t0 + 1000;
	int running_said = 0, one = 1, marked = 0;
	unsigned int i;

	memset(&dst, 0, sizeof(dst));
	memset(&src, 0, sizeof(src));
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *d = (struct sockaddr_in6 *)&dst, *s = (struct sockaddr_in6 *)&src;

		if (inet_pton(AF_INET6, addr, &d->sin6_addr) != 1)
			usage();
		d->sin6_family = s->sin6_family = AF_INET6;
		d->sin6_port = htons(port);
		dlen = slen = sizeof(*d);
	} else {
		struct sockaddr_in *d = (struct sockaddr_in *)&dst, *s = (struct sockaddr_in *)&src;

		if (inet_pton(AF_INET, addr, &d->sin_addr) != 1)
			usage();
		d->sin_family = s->sin_family = AF_INET;
		d->sin_port = htons(port);
		dlen = slen = sizeof(*d);
	}
	conns = calloc(count, sizeof(*conns));
	if (!conns) {
		perror("dlflows: calloc");
		return 1;
	}
	for (i = 0; i < count; i++) {
		struct cconn *c = &conns[i];

		c->seed = seed + i;
		c->last = now_ms();
		c->fd = socket(dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (c->fd < 0) {
			perror("dlflows: socket");
			return 1;
		}
		setsockopt(c->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (sport) {
			c->sport = sport + i;
			if (src.ss_family == AF_INET6)
				((struct sockaddr_in6 *)&src)->sin6_port = htons(c->sport);
			else
				((struct sockaddr_in *)&src)->sin_port = htons(c->sport);
			if (bind(c->fd, (struct sockaddr *)&src, slen) < 0) {
				cconn_end(c, "error", strerror(errno));
				continue;
			}
		}
		if (connect(c->fd, (struct sockaddr *)&dst, dlen) < 0 && errno != EINPROGRESS) {
			cconn_end(c, "error", strerror(errno));
			continue;
		}
		if (!sport)
			c->sport = local_port(c->fd);
		c->state = C_CONNECTING;
	}

	while ((unsigned int)finished_count < count) {
		long long t = now_ms();
		unsigned int started = 0;

		if (t >= next) {
			uint64_t total = 0;

			for (i = 0; i < count; i++)
				total += conns[i].got;
			printf("progress %llu %d\n", (unsigned long long)total, done_count);
			fflush(stdout);
			next += 1000;
		}
		for (i = 0; i < count; i++) {
			struct cconn *c = &conns[i];

			if (c->state != C_FINISHED) {
				if ((t - c->last > stall * 1000LL && (marked || !stall_after_mark)) ||
				    t - t0 > limit * 1000LL)
					cconn_end(c, "stalled", NULL);
				else if (c->got)
					started++;
			}
			pfd[i].fd = c->fd;
			pfd[i].events = c->state == C_CONNECTING ? POLLOUT : POLLIN;
			pfd[i].revents = 0;
		}
		if (mark_wanted) {
			uint64_t left = 0;
			int any = 0;

			mark_wanted = 0;
			if (!marked) {
				/* the stall limit counts from the mark */
				marked = 1;
				for (i = 0; i < count; i++)
					conns[i].last = t;
			}
			for (i = 0; i < count; i++) {
				if (conns[i].state == C_FINISHED)
					continue;
				if (!any || size - conns[i].got < left)
					left = size - conns[i].got;
				any = 1;
			}
			printf("mark %llu %d\n", (unsigned long long)left, finished_count);
			fflush(stdout);
		}
		if (!running_said && started == count) {
			printf("running %u\n", count);
			fflush(stdout);
			running_said = 1;
		}
		if (poll(pfd, count, 100) < 0) {
			if (errno == EINTR)
				continue;
			perror("dlflows: poll");
			return 1;
		}
		for (i = 0; i < count; i++) {
			struct cconn *c = &conns[i];
			short re = pfd[i].revents;
			ssize_t r;

			if (c->state == C_FINISHED || !re)
				continue;
			if (c->state == C_CONNECTING) {
				unsigned char req[24];
				int err = 0;
				socklen_t el = sizeof(err);

				getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
				if (err) {
					cconn_end(c, "error", strerror(err));
					continue;
				}
				put64(req, size);
				put64(req + 8, c->seed);
				put64(req + 16, gate);
				if (send(c->fd, req, sizeof(req), MSG_NOSIGNAL) != sizeof(req)) {
					cconn_end(c, "error", "request not sent");
					continue;
				}
				c->state = C_RECEIVING;
				c->last = now_ms();
				continue;
			}
			r = read(c->fd, buf, sizeof(buf));
			if (r < 0) {
				if (errno == EAGAIN || errno == EINTR)
					continue;
				if (errno == ECONNRESET)
					cconn_end(c, "reset", NULL);
				else
					cconn_end(c, "error", strerror(errno));
				continue;
			}
			if (r == 0) {
				if (c->got == size)
					cconn_end(c, "done", NULL);
				else
					cconn_end(c, "short", NULL);
				continue;
			}
			if (c->got + r > size) {
				char off[32];

				snprintf(off, sizeof(off), "%llu", (unsigned long long)size);
				cconn_end(c, "bad", off);
				continue;
			}
			stream_fill(c->seed, c->got, want, r);
			if (memcmp(buf, want, r)) {
				char off[32];
				ssize_t k = 0;

				while (buf[k] == want[k])
					k++;
				snprintf(off, sizeof(off), "%llu", (unsigned long long)(c->got + k));
				cconn_end(c, "bad", off);
				continue;
			}
			c->got += r;
			c->last = now_ms();
		}
	}
	printf("complete=%d/%u\n", done_count, count);
	fflush(stdout);
	return done_count == (int)count ? 0 : 3;
}

int main(int argc, char **argv)
{
	const char *addr = NULL;
	unsigned long long kbps = 0, size = 0, seed;
	unsigned int port = 0, count = 1, sport = 0, stall = 15, limit = 120;
	unsigned long long gate = 0;
	const char *gate_arg = NULL;
	int listen_mode = 0, stall_after_mark = 0, opt;

	seed = (unsigned long long)getpid() << 32 ^ (unsigned long long)time(NULL);
	while ((opt = getopt(argc, argv, "la:p:r:n:s:b:t:T:S:g:W")) != -1) {
		switch (opt) {
		case 'l':
			listen_mode = 1;
			break;
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = num(optarg, 65535);
			break;
		case 'r':
			kbps = num(optarg, 1ULL << 30);
			break;
		case 'n':
			count = num(optarg, MAXCONN);
			break;
		case 's':
			size = num(optarg, 1ULL << 40);
			break;
		case 'b':
			sport = num(optarg, 65535);
			break;
		case 't':
			stall = num(optarg, 3600);
			break;
		case 'T':
			limit = num(optarg, 86400);
			break;
		case 'S':
			seed = num(optarg, ~0ULL);
			break;
		case 'g':
			gate_arg = optarg;
			break;
		case 'W':
			stall_after_mark = 1;
			break;
		default:
			usage();
		}
	}
	if (!port || optind != argc)
		usage();
	signal(SIGPIPE, SIG_IGN);
	if (listen_mode) {
		gate_dir = gate_arg;
		return server(port, kbps);
	}
	if (gate_arg)
		gate = num(gate_arg, ~0ULL);
	{
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_usr1;
		sigaction(SIGUSR1, &sa, NULL);
	}
	if (!addr || !count || !size || (sport && sport + count - 1 > 65535))
		usage();
	return client(addr, port, count, size, sport, stall, limit, seed, gate, stall_after_mark);
}
