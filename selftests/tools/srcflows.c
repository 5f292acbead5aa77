// SPDX-License-Identifier: GPL-2.0
/*
 * srcflows: many UDP flows from many (spoofed) IPv4 source addresses, for the
 * nflb scheduler selftests (sh, mh, persistence), and the source hash those
 * schedulers use, so a test can pick its inputs.
 *
 *   srcflows list NET COUNT
 *	Prints COUNT addresses NET+1, NET+2, ... one a line.
 *
 *   srcflows hash [-P SPORT] < ADDRS
 *	Prints "ADDR HASH" per address: the 32-bit value nflb's sh and mh
 *	schedulers compute for a flow from ADDR (Linux's jhash_1word of the
 *	address as stored, seed 0; with -P, hashed again with the source
 *	port, as with the hash-port flag).  sh picks member HASH % N of a
 *	priority group of N; mh looks slot HASH % SIZE up.
 *
 *   srcflows plan SIZE NET/LEN
 *	For every slot 0..SIZE-1 of a table of SIZE entries, prints one
 *	address of NET/LEN whose hash lands in that slot, in slot order:
 *	SIZE flows from these addresses visit every slot exactly once, so the
 *	kernel's own table can be read through the sessions they create.
 *	Exit 1 if some slot has no address in NET/LEN.
 *
 *   srcflows send -a VIP -p PORT [-b SPORT] [-n COUNT] [-w USEC] < ADDRS
 *	Sends one UDP datagram from each address (source port SPORT, default
 *	40000; with -n, COUNT datagrams from ports SPORT, SPORT+1, ...: COUNT
 *	flows per address, in that order) to VIP:PORT through a raw socket;
 *	the source need not be a local address, so routing back to it is the
 *	caller's business.  -w: pause USEC microseconds after every 64
 *	datagrams.  Prints "sent N".  Datagrams leave in order; pinned to one
 *	CPU (taskset) they also reach nflb in that order.
 *
 * The hash is reproduced here only to choose inputs; what the kernel
 * decides is always read back from its session table.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/csum.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: srcflows list NET COUNT\n"
		"       srcflows hash [-P SPORT] < ADDRS\n"
		"       srcflows plan SIZE NET/LEN\n"
		"       srcflows send -a VIP -p PORT [-b SPORT] [-n COUNT] [-w USEC] < ADDRS\n");
	exit(2);
}

static long num(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (!*s || *end || errno || v < min || v > max)
		usage();
	return v;
}

static inline uint32_t rol32(uint32_t w, unsigned int s)
{
	return (w << s) | (w >> (32 - s));
}

/* include/linux/jhash.h: jhash_1word(a, initval) */
static uint32_t jhash_1word(uint32_t a, uint32_t initval)
{
	uint32_t b, c;

	initval += 0xdeadbeef + (1 << 2);
	a += initval;
	b = initval;
	c = initval;
	c ^= b; c -= rol32(b, 14);
	a ^= c; a -= rol32(c, 11);
	b ^= a; b -= rol32(a, 25);
	c ^= b; c -= rol32(b, 16);
	a ^= c; a -= rol32(c, 4);
	b ^= a; b -= rol32(a, 14);
	c ^= b; c -= rol32(b, 24);
	return c;
}

/* The address as the kernel's u32 load of a __be32 sees it. */
static uint32_t addr_word(struct in_addr a)
{
	uint32_t w;

	memcpy(&w, &a, sizeof(w));
	return w;
}

static uint32_t flow_hash(struct in_addr a, int sport)
{
	uint32_t h = jhash_1word(addr_word(a), 0);

	if (sport >= 0) {
		uint16_t p = htons((uint16_t)sport);

		h = jhash_1word((uint32_t)p, h);
	}
	return h;
}

static int read_addr(FILE *f, struct in_addr *a, char *buf, size_t len)
{
	while (fgets(buf, (int)len, f)) {
		buf[strcspn(buf, " \t\r\n")] = 0;
		if (!*buf)
			continue;
		if (inet_pton(AF_INET, buf, a) != 1) {
			fprintf(stderr, "srcflows: bad address '%s'\n", buf);
			exit(1);
		}
		return 1;
	}
	return 0;
}

static int do_list(int argc, char **argv)
{
	struct in_addr a;
	char s[INET_ADDRSTRLEN];
	long n, i;
	uint32_t base;

	if (argc != 2 || inet_pton(AF_INET, argv[0], &a) != 1)
		usage();
	n = num(argv[1], 0, 1 << 24);
	base = ntohl(a.s_addr);
	for (i = 1; i <= n; i++) {
		a.s_addr = htonl(base + (uint32_t)i);
		printf("%s\n", inet_ntop(AF_INET, &a, s, sizeof(s)));
	}
	return 0;
}

static int do_hash(int argc, char **argv)
{
	char buf[128];
	struct in_addr a;
	int sport = -1;

	if (argc == 2 && !strcmp(argv[0], "-P"))
		sport = (int)num(argv[1], 0, 65535);
	else if (argc)
		usage();
	while (read_addr(stdin, &a, buf, sizeof(buf)))
		printf("%s %u\n", buf, flow_hash(a, sport));
	return 0;
}

static int do_plan(int argc, char **argv)
{
	char s[INET_ADDRSTRLEN], *slash;
	uint32_t *slot, base, count, i, filled = 0;
	struct in_addr a;
	long size, len;

	if (argc != 2)
		usage();
	size = num(argv[0], 1, 1 << 24);
	slash = strchr(argv[1], '/');
	if (!slash)
		usage();
	*slash = 0;
	len = num(slash + 1, 8, 32);
	if (inet_pton(AF_INET, argv[1], &a) != 1)
		usage();
	base = ntohl(a.s_addr) & (len == 32 ? ~0U : ~(~0U >> len));
	count = len == 32 ? 1 : 1U << (32 - len);
	slot = calloc((size_t)size, sizeof(*slot));
	if (!slot) {
		perror("srcflows: calloc");
		return 1;
	}
	/* 0 means "none yet": skip the network's address itself. */
	for (i = 1; i < count && filled < (uint32_t)size; i++) {
		uint32_t h;

		a.s_addr = htonl(base + i);
		h = flow_hash(a, -1) % (uint32_t)size;
		if (!slot[h]) {
			slot[h] = base + i;
			filled++;
		}
	}
	if (filled < (uint32_t)size) {
		fprintf(stderr, "srcflows: %u of %ld slots have no address in the network\n",
			(uint32_t)size - filled, size);
		return 1;
	}
	for (i = 0; i < (uint32_t)size; i++) {
		a.s_addr = htonl(slot[i]);
		printf("%s\n", inet_ntop(AF_INET, &a, s, sizeof(s)));
	}
	free(slot);
	return 0;
}

struct udp_pkt {
	struct iphdr ip;
	struct udphdr udp;
	char data[8];
} __attribute__((packed));

/* Fills in the source port and the UDP checksum, sends. */
static int send_one(int fd, const struct sockaddr_in *dst, struct udp_pkt *pkt,
		    size_t len, int sport)
{
	uint32_t sum = 0;
	uint16_t ck;

	pkt->udp.source = htons((uint16_t)sport);
	pkt->udp.check = 0;
	sum = csum_add(sum, &pkt->ip.saddr, 8);	/* saddr, daddr */
	sum += IPPROTO_UDP + sizeof(pkt->udp) + sizeof(pkt->data);
	sum = csum_add(sum, &pkt->udp, sizeof(pkt->udp) + sizeof(pkt->data));
	ck = csum_fold(sum);
	pkt->udp.check = htons(ck ? ck : 0xffff);
	while (sendto(fd, pkt, len, 0, (const struct sockaddr *)dst, sizeof(*dst)) < 0) {
		if (errno != ENOBUFS && errno != EAGAIN) {
			perror("srcflows: sendto");
			return 1;
		}
		usleep(1000);
	}
	return 0;
}

static int do_send(int argc, char **argv)
{
	struct udp_pkt pkt;
	struct sockaddr_in dst = { .sin_family = AF_INET };
	int c, fd, port = 0, sport = 40000, pause_us = 0, count = 1, i;
	const char *vip = NULL;
	char buf[128];
	struct in_addr a;
	long sent = 0;

	optind = 0;
	while ((c = getopt(argc + 1, argv - 1, "a:p:b:n:w:")) != -1) {
		switch (c) {
		case 'a': vip = optarg; break;
		case 'p': port = (int)num(optarg, 1, 65535); break;
		case 'b': sport = (int)num(optarg, 1, 65535); break;
		case 'n': count = (int)num(optarg, 1, 65535); break;
		case 'w': pause_us = (int)num(optarg, 0, 1000000); break;
		default: usage();
		}
	}
	if (!vip || !port || optind != argc + 1 || sport + count - 1 > 65535 ||
	    inet_pton(AF_INET, vip, &dst.sin_addr) != 1)
		usage();
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		perror("srcflows: socket");
		return 1;
	}
	memset(&pkt, 0, sizeof(pkt));
	memcpy(pkt.data, "srcflow\n", sizeof(pkt.data));
	pkt.ip.version = 4;
	pkt.ip.ihl = 5;
	pkt.ip.ttl = 64;
	pkt.ip.protocol = IPPROTO_UDP;
	pkt.ip.tot_len = htons(sizeof(pkt));
	pkt.ip.daddr = dst.sin_addr.s_addr;
	pkt.udp.dest = htons((uint16_t)port);
	pkt.udp.len = htons(sizeof(pkt.udp) + sizeof(pkt.data));
	while (read_addr(stdin, &a, buf, sizeof(buf))) {
		pkt.ip.saddr = a.s_addr;
		for (i = 0; i < count; i++) {
			if (send_one(fd, &dst, &pkt, sizeof(pkt), sport + i))
				return 1;
			if (++sent % 64 == 0 && pause_us)
				usleep((useconds_t)pause_us);
		}
	}
	printf("sent %ld\n", sent);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "list"))
		return do_list(argc - 2, argv + 2);
	if (!strcmp(argv[1], "hash"))
		return do_hash(argc - 2, argv + 2);
	if (!strcmp(argv[1], "plan"))
		return do_plan(argc - 2, argv + 2);
	if (!strcmp(argv[1], "send"))
		return do_send(argc - 2, argv + 2);
	usage();
	return 2;
}
