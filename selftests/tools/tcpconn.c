// SPDX-License-Identifier: GPL-2.0
/*
 * tcpconn: TCP connections whose fate the nflb selftests can observe.
 *
 * Server:  tcpconn -l -p PORT [-p PORT...] [-c] [-C PORT...]
 *   Listens on 0.0.0.0:PORT and [::]:PORT for each PORT, serves any number
 *   of connections at once, echoes what it reads.  -c: close (FIN) right
 *   after the first echo, so the server is the active closer; -C PORT: the
 *   same for connections to that port only.  One line per event on stdout:
 *     accept ADDR PORT | recv ADDR PORT N | eof ADDR PORT |
 *     reset ADDR PORT | error ADDR PORT ERRNO-TEXT
 *   (ADDR PORT = the peer as the server sees it.)
 *
 * Client:  tcpconn [-6] -a ADDR -p PORT [-b SPORT] [-m TEXT] [-r | -k SECS [-T FILE]]
 *   Connects (SO_REUSEADDR; bound to SPORT if given), prints "local PORT",
 *   sends TEXT (default "hello"), waits for the echo and prints "ok" or
 *   "noreply".  Then:
 *     -r       close with RST (SO_LINGER 0), print "closed rst"
 *     -k SECS  keep the connection open and idle for up to SECS seconds,
 *              printing what happens to it: "eof", "reset", "data N",
 *              "error TEXT", or "timeout"; with -T, when FILE appears send
 *              "late\n" once and print "sent late"
 *     -e       wait for the server to close first (EOF), then close: the
 *              client is the passive closer; "closed fin"
 *     neither  close normally: shutdown(SHUT_WR), read to EOF, "closed fin"
 *   -w SECS: limit for connecting and for the echo (default 10).
 *   Exit status: 0 if the connection and the echo worked, 3 otherwise,
 *   1 on local errors.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXCONN 256
#define MAXPORTS 8

static void usage(void)
{
	fprintf(stderr,
		"usage: tcpconn -l -p PORT [-p PORT...] [-c] [-C PORT...]\n"
		"       tcpconn [-6] -a ADDR -p PORT [-b SPORT] [-m TEXT] [-w SECS]\n"
		"               [-r | -e | -k SECS [-T FILE]]\n");
	exit(2);
}

static long num(const char *s, long max)
{
	char *end;
	long v = strtol(s, &end, 0);

	if (!*s || *end || v < 0 || v > max)
		usage();
	return v;
}

static void peer_str(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char a[INET6_ADDRSTRLEN] = "?";
	unsigned int port = 0;

	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET6) {
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, a, sizeof(a));
			port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		} else {
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, a, sizeof(a));
			port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		}
	}
	snprintf(buf, len, "%s %u", a, port);
}

static int server(const int *ports, int nports, const int *closing)
{
	struct pollfd pfd[2 * MAXPORTS + MAXCONN];
	char peer[MAXCONN][64];
	int echoed[MAXCONN], close_first[MAXCONN];
	int nconn = 0, one = 1, i, nl = 2 * nports;
	char buf[65536];

	for (i = 0; i < nports; i++) {
		struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = htons(ports[i]) };
		struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons(ports[i]),
					   .sin6_addr = IN6ADDR_ANY_INIT };
		int f4 = socket(AF_INET, SOCK_STREAM, 0);
		int f6 = socket(AF_INET6, SOCK_STREAM, 0);

		if (f4 < 0 || f6 < 0) {
			perror("tcpconn: socket");
			return 1;
		}
		setsockopt(f6, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		setsockopt(f4, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		setsockopt(f6, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(f4, (struct sockaddr *)&s4, sizeof(s4)) < 0 ||
		    bind(f6, (struct sockaddr *)&s6, sizeof(s6)) < 0 ||
		    listen(f4, 64) < 0 || listen(f6, 64) < 0) {
			perror("tcpconn: bind/listen");
			return 1;
		}
		pfd[2 * i].fd = f4;
		pfd[2 * i + 1].fd = f6;
		pfd[2 * i].events = pfd[2 * i + 1].events = POLLIN;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (;;) {
		if (poll(pfd, (nfds_t)(nl + nconn), -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("tcpconn: poll");
			return 1;
		}
		for (i = 0; i < nl; i++) {
			int fd;

			if (!(pfd[i].revents & POLLIN))
				continue;
			fd = accept(pfd[i].fd, NULL, NULL);
			if (fd < 0)
				continue;
			if (nconn == MAXCONN) {
				close(fd);
				continue;
			}
			pfd[nl + nconn].fd = fd;
			pfd[nl + nconn].events = POLLIN;
			pfd[nl + nconn].revents = 0;
			echoed[nconn] = 0;
			close_first[nconn] = closing[i / 2];
			peer_str(fd, peer[nconn], sizeof(peer[nconn]));
			printf("accept %s\n", peer[nconn]);
			nconn++;
		}
		for (i = 0; i < nconn; i++) {
			struct pollfd *p = &pfd[nl + i];
			ssize_t n;
			int gone = 0;

			if (!p->revents)
				continue;
			n = read(p->fd, buf, sizeof(buf));
			if (n > 0) {
				printf("recv %s %zd\n", peer[i], n);
				if (write(p->fd, buf, (size_t)n) != n)
					printf("error %s short write\n", peer[i]);
				if (close_first[i] && !echoed[i]) {
					shutdown(p->fd, SHUT_WR);
					echoed[i] = 1;
				}
				continue;
			}
			if (n == 0) {
				printf("eof %s\n", peer[i]);
				gone = 1;
			} else if (errno == ECONNRESET) {
				printf("reset %s\n", peer[i]);
				gone = 1;
			} else if (errno != EINTR && errno != EAGAIN) {
				printf("error %s %s\n", peer[i], strerror(errno));
				gone = 1;
			}
			if (gone) {
				close(p->fd);
				nconn--;
				pfd[nl + i] = pfd[nl + nconn];
				memcpy(peer[i], peer[nconn], sizeof(peer[i]));
				echoed[i] = echoed[nconn];
				close_first[i] = close_first[nconn];
				i--;
			}
		}
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Wait for readability up to tmo seconds; 1 readable, 0 timeout. */
static int wait_read(int fd, double tmo)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	double end = now() + tmo;
	int r;

	for (;;) {
		double left = end - now();

		if (left <= 0)
			return 0;
		r = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return 0;
	}
}

static const char *errtext(int e)
{
	return e == ECONNRESET ? "reset" : strerror(e);
}

static int client(int v6, const char *addr, int port, int sport, const char *msg,
		  int rst, int keep, const char *trigger, int wait_eof, int tmo)
{
	struct sockaddr_storage dst = { 0 }, me = { 0 };
	socklen_t dl, ml = sizeof(me);
	char buf[65536];
	int fd, one = 1, flags, err;
	socklen_t el = sizeof(err);
	ssize_t n;
	size_t want = strlen(msg), got = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (v6) {
		struct sockaddr_in6 *d = (struct sockaddr_in6 *)&dst;

		d->sin6_family = AF_INET6;
		d->sin6_port = htons(port);
		if (inet_pton(AF_INET6, addr, &d->sin6_addr) != 1)
			usage();
		dl = sizeof(*d);
	} else {
		struct sockaddr_in *d = (struct sockaddr_in *)&dst;

		d->sin_family = AF_INET;
		d->sin_port = htons(port);
		if (inet_pton(AF_INET, addr, &d->sin_addr) != 1)
			usage();
		dl = sizeof(*d);
	}
	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	if (fd < 0) {
		perror("tcpconn: socket");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sport) {
		struct sockaddr_storage b = { 0 };

		if (v6) {
			((struct sockaddr_in6 *)&b)->sin6_family = AF_INET6;
			((struct sockaddr_in6 *)&b)->sin6_port = htons(sport);
		} else {
			((struct sockaddr_in *)&b)->sin_family = AF_INET;
			((struct sockaddr_in *)&b)->sin_port = htons(sport);
		}
		if (bind(fd, (struct sockaddr *)&b, v6 ? sizeof(struct sockaddr_in6) :
			 sizeof(struct sockaddr_in)) < 0) {
			printf("error bind %s\n", strerror(errno));
			return 1;
		}
	}
	/* connect with a 10 s limit */
	flags = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	if (connect(fd, (struct sockaddr *)&dst, dl) < 0 && errno != EINPROGRESS) {
		printf("error connect %s\n", strerror(errno));
		return 3;
	}
	{
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };

		if (poll(&pfd, 1, tmo * 1000) <= 0) {
			printf("error connect timeout\n");
			return 3;
		}
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
		printf("error connect %s\n", strerror(err));
		return 3;
	}
	fcntl(fd, F_SETFL, flags);
	getsockname(fd, (struct sockaddr *)&me, &ml);
	printf("local %u\n", ntohs(v6 ? ((struct sockaddr_in6 *)&me)->sin6_port :
				   ((struct sockaddr_in *)&me)->sin_port));

	if (write(fd, msg, want) != (ssize_t)want) {
		printf("error write %s\n", strerror(errno));
		return 3;
	}
	while (got < want) {
		if (!wait_read(fd, tmo)) {
			printf("noreply\n");
			return 3;
		}
		n = read(fd, buf, sizeof(buf));
		if (n <= 0) {
			printf("noreply %s\n", n ? errtext(errno) : "eof");
			return 3;
		}
		got += (size_t)n;
	}
	printf("ok\n");

	if (rst) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);
		printf("closed rst\n");
		return 0;
	}
	if (keep) {
		double end = now() + keep;
		int sent = 0;

		for (;;) {
			double left = end - now();
			double step = left > 0.1 ? 0.1 : left;

			if (left <= 0) {
				printf("timeout\n");
				break;
			}
			if (wait_read(fd, step)) {
				n = read(fd, buf, sizeof(buf));
				if (n > 0) {
					printf("data %zd\n", n);
					continue;
				}
				if (n == 0)
					printf("eof\n");
				else
					printf("%s\n", errno == ECONNRESET ? "reset" :
					       strerror(errno));
				break;
			}
			if (trigger && !sent && access(trigger, F_OK) == 0) {
				sent = 1;
				if (write(fd, "late\n", 5) == 5)
					printf("sent late\n");
				else
					printf("error write %s\n", errtext(errno));
			}
		}
		close(fd);
		return 0;
	}
	if (!wait_eof)
		shutdown(fd, SHUT_WR);
	for (;;) {
		if (!wait_read(fd, 10)) {
			printf("error close timeout\n");
			return 3;
		}
		n = read(fd, buf, sizeof(buf));
		if (n == 0)
			break;
		if (n < 0) {
			printf("error close %s\n", errtext(errno));
			return 3;
		}
	}
	close(fd);
	printf("closed fin\n");
	return 0;
}

int main(int argc, char **argv)
{
	int c, listen_mode = 0, v6 = 0, port = 0, sport = 0, rst = 0, keep = 0;
	int close_first = 0, wait_eof = 0, tmo = 10, i, k;
	int ports[MAXPORTS], closing[MAXPORTS] = { 0 }, nports = 0;
	int cports[MAXPORTS], ncports = 0;
	const char *addr = NULL, *msg = "hello\n", *trigger = NULL;

	while ((c = getopt(argc, argv, "l6cC:ep:a:b:m:rk:T:w:")) != -1) {
		switch (c) {
		case 'l': listen_mode = 1; break;
		case '6': v6 = 1; break;
		case 'c': close_first = 1; break;
		case 'e': wait_eof = 1; break;
		case 'w': tmo = (int)num(optarg, 3600); break;
		case 'p':
			port = (int)num(optarg, 65535);
			if (nports == MAXPORTS)
				usage();
			ports[nports++] = port;
			break;
		case 'C':
			if (ncports == MAXPORTS)
				usage();
			cports[ncports++] = (int)num(optarg, 65535);
			break;
		case 'a': addr = optarg; break;
		case 'b': sport = (int)num(optarg, 65535); break;
		case 'm': msg = optarg; break;
		case 'r': rst = 1; break;
		case 'k': keep = (int)num(optarg, 86400); break;
		case 'T': trigger = optarg; break;
		default: usage();
		}
	}
	if (!port || optind != argc)
		usage();
	if (listen_mode) {
		for (i = 0; i < nports; i++)
			for (k = 0; k < ncports; k++)
				if (ports[i] == cports[k] || close_first)
					closing[i] = 1;
		if (close_first)
			for (i = 0; i < nports; i++)
				closing[i] = 1;
		return server(ports, nports, closing);
	}
	if (!addr || !*msg)
		usage();
	return client(v6, addr, port, sport, msg, rst, keep, trigger, wait_eof, tmo);
}
