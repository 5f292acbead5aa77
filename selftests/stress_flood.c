// SPDX-License-Identifier: GPL-2.0
/*
 * stress_flood: many new flows fast, for the nflb stress tests.
 *
 *   stress_flood [-6] -s SRC -a DST -p DPORT [-P udp|tcp] [-n COUNT]
 *                [-b SPORT] [-k PORTS] [-A ADDRS] [-w USEC]
 *
 * Sends COUNT packets, each the first of its own flow: UDP datagrams or TCP
 * SYNs with correct checksums (nflb verifies them before creating a
 * session), from source ports SPORT, SPORT+1, ... (default 10000); after
 * PORTS ports (default 50000) the next of ADDRS source addresses (SRC plus
 * 0..ADDRS-1 in its last 16 bits, default 1) is used, and after the last
 * one the first again: flows repeat.  Sources other than SRC are spoofed
 * addresses nobody answers for.  Raw
 * sockets with complete IP headers.  -w: pause USEC microseconds every 64
 * packets (default 200), so veth's backlog does not overflow.
 * Prints "sent N"; exit 0 if all were sent.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/csum.h"

static void usage(void)
{
	fprintf(stderr, "usage: stress_flood [-6] -s SRC -a DST -p DPORT [-P udp|tcp] [-n COUNT]\n"
			"                    [-b SPORT] [-k PORTS] [-A ADDRS] [-w USEC]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long n = 1000, i, sent = 0, errs = 0;
	unsigned int sport0 = 10000, nports = 50000, naddrs = 1, wait_us = 200;
	uint8_t src[16], dst[16], pkt[128];
	bool v6 = false, tcp = false, have_s = false, have_d = false;
	uint16_t dport = 0;
	int c, fd;

	while ((c = getopt(argc, argv, "6s:a:p:P:n:b:k:A:w:")) != -1) {
		switch (c) {
		case '6': v6 = true; break;
		case 's': have_s = true; break;
		case 'a': have_d = true; break;
		case 'p': dport = (uint16_t)atoi(optarg); break;
		case 'P': tcp = !strcmp(optarg, "tcp"); break;
		case 'n': n = strtoul(optarg, NULL, 0); break;
		case 'b': sport0 = (unsigned int)atoi(optarg); break;
		case 'k': nports = (unsigned int)atoi(optarg); break;
		case 'A': naddrs = (unsigned int)atoi(optarg); break;
		case 'w': wait_us = (unsigned int)atoi(optarg); break;
		default: usage();
		}
	}
	/* addresses after the family is known */
	optind = 1;
	while ((c = getopt(argc, argv, "6s:a:p:P:n:b:k:A:w:")) != -1) {
		if (c == 's' && inet_pton(v6 ? AF_INET6 : AF_INET, optarg, src) != 1)
			usage();
		if (c == 'a' && inet_pton(v6 ? AF_INET6 : AF_INET, optarg, dst) != 1)
			usage();
	}
	if (!have_s || !have_d || !dport || !nports || !naddrs || sport0 < 1 ||
	    sport0 + nports > 65536)
		usage();

	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	for (i = 0; i < n; i++) {
		uint16_t sport = (uint16_t)(sport0 + i % nports);
		unsigned int hop = (unsigned int)(i / nports % naddrs);
		size_t al = v6 ? 16 : 4, ih = v6 ? 40 : 20, l4 = tcp ? 20 : 12;
		uint8_t *a = pkt + (v6 ? 8 : 12), *t = pkt + ih;
		uint8_t s[16];
		uint16_t ck;
		union { struct sockaddr_in in; struct sockaddr_in6 in6; } to;

		memcpy(s, src, al);
		if (hop) {	/* next source address: add to the last 16 bits */
			unsigned int lo = (unsigned int)(s[al - 2] << 8 | s[al - 1]) + hop;

			s[al - 2] = (uint8_t)(lo >> 8);
			s[al - 1] = (uint8_t)lo;
		}
		memset(pkt, 0, ih + l4);
		if (v6) {
			pkt[0] = 0x60;
			pkt[4] = 0;
			pkt[5] = (uint8_t)l4;
			pkt[6] = tcp ? IPPROTO_TCP : IPPROTO_UDP;
			pkt[7] = 64;
		} else {
			pkt[0] = 0x45;
			pkt[8] = 64;
			pkt[9] = tcp ? IPPROTO_TCP : IPPROTO_UDP;
		}
		memcpy(a, s, al);
		memcpy(a + al, dst, al);
		t[0] = (uint8_t)(sport >> 8); t[1] = (uint8_t)sport;
		t[2] = (uint8_t)(dport >> 8); t[3] = (uint8_t)dport;
		if (tcp) {
			uint32_t seq = (uint32_t)(i * 2654435761u);

			memcpy(t + 4, &seq, 4);
			t[12] = 5 << 4;
			t[13] = 0x02;	/* SYN */
			t[14] = 0xff; t[15] = 0xff;
		} else {
			t[5] = (uint8_t)l4;
			memcpy(t + 8, "fld!", 4);
		}
		ck = htons(csum_l4(v6, a, a + al, tcp ? IPPROTO_TCP : IPPROTO_UDP, t, l4));
		if (!tcp && !ck)
			ck = 0xffff;
		memcpy(t + (tcp ? 16 : 6), &ck, 2);

		memset(&to, 0, sizeof(to));
		if (v6) {
			to.in6.sin6_family = AF_INET6;
			memcpy(&to.in6.sin6_addr, dst, 16);
		} else {
			to.in.sin_family = AF_INET;
			memcpy(&to.in.sin_addr, dst, 4);
		}
		if (sendto(fd, pkt, ih + l4, 0, (struct sockaddr *)&to,
			   v6 ? sizeof(to.in6) : sizeof(to.in)) < 0) {
			if (errno == ENOBUFS || errno == EAGAIN) {
				usleep(5000);
				i--;	/* try this one again */
				if (++errs > n)
					break;
				continue;
			}
			perror("sendto");
			break;
		}
		sent++;
		if (wait_us && i % 64 == 63)
			usleep(wait_us);
	}
	printf("sent %lu\n", sent);
	return sent == n ? 0 : 1;
}
