// SPDX-License-Identifier: GPL-2.0
/*
 * udpecho: UDP request/response for the nflb selftests.
 *
 * Server:  udpecho -l -p PORT -n NAME
 *   Listens on 0.0.0.0:PORT and [::]:PORT.  Answers every datagram with
 *   "NAME len=N " followed by at most the first 64 bytes of it, and prints
 *   one line per datagram to stdout: "rx ADDR PORT LEN".
 *
 * Client:  udpecho [-6] -a ADDR -p PORT [-b SPORT] [-c COUNT] [-m TEXT] [-t MS]
 *   For each of COUNT flows (source ports SPORT, SPORT+1, ... or ephemeral):
 *   a connected UDP socket sends TEXT and waits up to MS milliseconds for the
 *   answer.  Being connected, the socket only accepts an answer whose source
 *   is ADDR:PORT.  Prints "reply SPORT TEXT", "refused SPORT" (an ICMP
 *   unreachable error reached the socket: ECONNREFUSED) or "noreply SPORT" per flow and
 *   "replies=N/COUNT" at the end.  Exit 0 if every flow got its answer, 3 if
 *   not, 1 on error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr,
		"usage: udpecho -l -p PORT -n NAME\n"
		"       udpecho [-6] -a ADDR -p PORT [-b SPORT] [-c COUNT] [-m TEXT] [-t MS]\n");
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

static int server(int port, const char *name)
{
	struct pollfd pfd[2];
	int one = 1, i;
	char buf[65536], out[256];
	char abuf[INET6_ADDRSTRLEN];
	struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons(port),
				   .sin6_addr = IN6ADDR_ANY_INIT };

	pfd[0].fd = socket(AF_INET, SOCK_DGRAM, 0);
	pfd[1].fd = socket(AF_INET6, SOCK_DGRAM, 0);
	if (pfd[0].fd < 0 || pfd[1].fd < 0) {
		perror("udpecho: socket");
		return 1;
	}
	setsockopt(pfd[1].fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	setsockopt(pfd[0].fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(pfd[1].fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(pfd[0].fd, (struct sockaddr *)&s4, sizeof(s4)) < 0 ||
	    bind(pfd[1].fd, (struct sockaddr *)&s6, sizeof(s6)) < 0) {
		perror("udpecho: bind");
		return 1;
	}
	pfd[0].events = pfd[1].events = POLLIN;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("udpecho: poll");
			return 1;
		}
		for (i = 0; i < 2; i++) {
			struct sockaddr_storage from;
			socklen_t fl = sizeof(from);
			unsigned int fport;
			ssize_t n;
			int ol;

			if (!(pfd[i].revents & POLLIN))
				continue;
			n = recvfrom(pfd[i].fd, buf, sizeof(buf), 0,
				     (struct sockaddr *)&from, &fl);
			if (n < 0)
				continue;
			if (from.ss_family == AF_INET6) {
				inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&from)->sin6_addr,
					  abuf, sizeof(abuf));
				fport = ntohs(((struct sockaddr_in6 *)&from)->sin6_port);
			} else {
				inet_ntop(AF_INET, &((struct sockaddr_in *)&from)->sin_addr,
					  abuf, sizeof(abuf));
				fport = ntohs(((struct sockaddr_in *)&from)->sin_port);
			}
			printf("rx %s %u %zd\n", abuf, fport, n);
			ol = snprintf(out, sizeof(out), "%s len=%zd ", name, n);
			if (ol < 0 || ol > 160)
				continue;
			memcpy(out + ol, buf, n > 64 ? 64 : (size_t)n);
			sendto(pfd[i].fd, out, (size_t)ol + (n > 64 ? 64 : (size_t)n), 0,
			       (struct sockaddr *)&from, fl);
		}
	}
}

static int client(int v6, const char *addr, int port, int sport, int count,
		  const char *msg, int tmo)
{
	struct sockaddr_storage dst = { 0 };
	socklen_t dl;
	int i, got = 0, one = 1;

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
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < count; i++) {
		int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_storage me = { 0 };
		socklen_t ml = sizeof(me);
		struct pollfd pfd;
		char buf[65536];
		unsigned int lport;
		ssize_t n;

		if (fd < 0) {
			perror("udpecho: socket");
			return 1;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (sport) {
			if (v6) {
				struct sockaddr_in6 b = { .sin6_family = AF_INET6,
							  .sin6_port = htons(sport + i) };
				if (bind(fd, (struct sockaddr *)&b, sizeof(b)) < 0) {
					perror("udpecho: bind");
					return 1;
				}
			} else {
				struct sockaddr_in b = { .sin_family = AF_INET,
							 .sin_port = htons(sport + i) };
				if (bind(fd, (struct sockaddr *)&b, sizeof(b)) < 0) {
					perror("udpecho: bind");
					return 1;
				}
			}
		}
		if (connect(fd, (struct sockaddr *)&dst, dl) < 0) {
			perror("udpecho: connect");
			return 1;
		}
		getsockname(fd, (struct sockaddr *)&me, &ml);
		lport = ntohs(v6 ? ((struct sockaddr_in6 *)&me)->sin6_port :
			      ((struct sockaddr_in *)&me)->sin_port);
		if (send(fd, msg, strlen(msg), 0) < 0) {
			printf("noreply %u send: %s\n", lport, strerror(errno));
			close(fd);
			continue;
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		n = -1;
		errno = 0;
		while (poll(&pfd, 1, tmo) > 0) {
			n = recv(fd, buf, sizeof(buf) - 1, 0);
			/* an ICMP error (ECONNREFUSED) is not an answer */
			if (n >= 0 || errno != EINTR)
				break;
		}
		if (n >= 0) {
			buf[n] = 0;
			printf("reply %u %s\n", lport, buf);
			got++;
		} else if (errno == ECONNREFUSED) {
			printf("refused %u\n", lport);
		} else {
			printf("noreply %u\n", lport);
		}
		close(fd);
	}
	printf("replies=%d/%d\n", got, count);
	return got == count ? 0 : 3;
}

int main(int argc, char **argv)
{
	int c, listen_mode = 0, v6 = 0, port = 0, sport = 0, count = 1, tmo = 2000;
	const char *name = "server", *addr = NULL, *msg = "hello";

	while ((c = getopt(argc, argv, "l6p:n:a:b:c:m:t:")) != -1) {
		switch (c) {
		case 'l': listen_mode = 1; break;
		case '6': v6 = 1; break;
		case 'p': port = (int)num(optarg, 65535); break;
		case 'n': name = optarg; break;
		case 'a': addr = optarg; break;
		case 'b': sport = (int)num(optarg, 65535); break;
		case 'c': count = (int)num(optarg, 65535); break;
		case 'm': msg = optarg; break;
		case 't': tmo = (int)num(optarg, 600000); break;
		default: usage();
		}
	}
	if (!port || optind != argc)
		usage();
	if (listen_mode)
		return server(port, name);
	if (!addr || (sport && sport + count - 1 > 65535))
		usage();
	return client(v6, addr, port, sport, count, msg, tmo);
}
