// SPDX-License-Identifier: GPL-2.0
/*
 * pktcraft: send one hand-made IPv4/IPv6 TCP or UDP packet (or a few copies)
 * from a raw socket, optionally malformed, optionally fragmented, and
 * optionally wait for the reply.
 *
 * Used by the nflb datapath selftests to produce packet shapes that sockets
 * never emit: stray ACKs, truncated headers, bad checksums, UDP checksum 0,
 * IP options, IPv6 extension headers, fragments.
 *
 * The IPv4 header is sent with IP_HDRINCL (the kernel still fills in the
 * total length and header checksum); the IPv6 header is sent whole through
 * an IPPROTO_RAW socket.  Checksums are computed here.
 *
 * Reply (-r MS): for UDP a UDP socket bound to SRC:SPORT receives the answer
 * (so the kernel checks its checksum); for TCP a raw TCP socket sees a copy of
 * the answer, whose checksum is verified here.  Output, one line:
 *   reply proto=tcp src=A sport=P dport=Q flags=SA seq=N ack=N len=N csum=ok
 *   reply proto=udp src=A sport=P len=N data=TEXT
 *   noreply
 * Exit status: 0 sent (and replied if -r), 1 error, 2 usage, 3 no reply.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "lib/csum.h"

#define MAXPKT 70000

struct opts {
	int v6;
	int proto;
	union { struct in_addr a4; struct in6_addr a6; } src, dst;
	int have_src, have_dst;
	unsigned int sport, dport;
	unsigned int flags;
	uint32_t seq, ack;
	unsigned int win;
	int doff;		/* -1: automatic */
	int udp_len;		/* -1: automatic */
	long trunc;		/* -1: whole L4 segment */
	int bad_csum;
	int udp_csum0;
	int nfrag;
	int ttl;
	int count;
	int reply_ms;
	uint8_t ipopt[40];
	int ipopt_len;
	uint8_t payload[65536];
	size_t plen;
	uint32_t frag_id;
};

static void usage(void)
{
	fprintf(stderr,
"usage: pktcraft [-6] -s SRC -d DST -P tcp|udp -S SPORT -D DPORT [options]\n"
"  -f FLAGS        TCP flags, letters of FSRPAUEC (default S)\n"
"  --seq N --ack N --win N   TCP fields (defaults: random seq, 0, 65535)\n"
"  -m TEXT         payload text      -l LEN   payload of LEN pattern bytes\n"
"  --doff N        TCP data offset in 32-bit words (default 5)\n"
"  --udp-len N     UDP length field (default: real length)\n"
"  --truncate N    send only the first N bytes of the L4 segment\n"
"  --bad-csum      corrupt the TCP/UDP checksum\n"
"  --udp-csum0     UDP checksum 0 (IPv4 only: \"no checksum\")\n"
"  --ipopt HEX     IPv4 options (padded with EOL to a multiple of 4);\n"
"                  IPv6: options of a Destination Options header\n"
"  --frag N        send as N fragments (offsets multiple of 8)\n"
"  --ttl N         TTL / hop limit (default 64)\n"
"  -c COUNT        send COUNT copies (default 1)\n"
"  -r MS           wait up to MS milliseconds for the reply and print it\n");
	exit(2);
}

static void put16(uint8_t *p, unsigned int v) { p[0] = v >> 8; p[1] = v; }
static unsigned int get16(const uint8_t *p) { return (unsigned int)p[0] << 8 | p[1]; }
static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}
static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- option parsing ---------------------------------------------------- */

static unsigned long num(const char *s, unsigned long max, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || !*s || *end || v > max) {
		fprintf(stderr, "pktcraft: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

static void parse_addr(struct opts *o, const char *s, int is_src)
{
	void *a = is_src ? (void *)&o->src : (void *)&o->dst;

	if (inet_pton(o->v6 ? AF_INET6 : AF_INET, s, a) != 1) {
		fprintf(stderr, "pktcraft: bad %s address '%s' (IPv%d)\n",
			is_src ? "source" : "destination", s, o->v6 ? 6 : 4);
		exit(2);
	}
	if (is_src)
		o->have_src = 1;
	else
		o->have_dst = 1;
}

static unsigned int parse_flags(const char *s)
{
	static const char letters[] = "FSRPAUEC";
	unsigned int f = 0;
	const char *p;

	for (; *s; s++) {
		p = strchr(letters, *s);
		if (!p) {
			fprintf(stderr, "pktcraft: bad TCP flag '%c'\n", *s);
			exit(2);
		}
		f |= 1u << (p - letters);
	}
	return f;
}

static void parse_hex(struct opts *o, const char *s)
{
	size_t n = strlen(s);
	size_t i;
	unsigned int b;

	if (n % 2 || n / 2 > 38) {
		fprintf(stderr, "pktcraft: --ipopt wants an even number of hex digits, at most 76\n");
		exit(2);
	}
	for (i = 0; i < n / 2; i++) {
		if (sscanf(s + 2 * i, "%2x", &b) != 1) {
			fprintf(stderr, "pktcraft: bad hex in --ipopt\n");
			exit(2);
		}
		o->ipopt[i] = (uint8_t)b;
	}
	o->ipopt_len = (int)(n / 2);
}

/* ---- building ---------------------------------------------------------- */

/* Build the whole L4 segment (header + payload) with its checksum. */
static size_t build_l4(const struct opts *o, uint8_t *l4)
{
	size_t hlen, len;
	uint16_t c;

	if (o->proto == IPPROTO_TCP) {
		int doff = o->doff >= 0 ? o->doff : 5;

		/* the header area is 20 bytes (or doff*4 if larger, zero filled) */
		hlen = doff > 5 ? (size_t)doff * 4 : 20;
		memset(l4, 0, hlen);
		put16(l4, o->sport);
		put16(l4 + 2, o->dport);
		put32(l4 + 4, o->seq);
		put32(l4 + 8, o->ack);
		l4[12] = (uint8_t)(doff << 4);
		l4[13] = (uint8_t)o->flags;
		put16(l4 + 14, o->win);
		/* options beyond 20 bytes: NOPs then EOL */
		if (hlen > 20)
			memset(l4 + 20, 1, hlen - 20);
		memcpy(l4 + hlen, o->payload, o->plen);
		len = hlen + o->plen;
		c = csum_l4(o->v6, &o->src, &o->dst, IPPROTO_TCP, l4, len);
		if (o->bad_csum)
			c ^= 0x5a5a;
		put16(l4 + 16, c);
	} else {
		hlen = 8;
		put16(l4, o->sport);
		put16(l4 + 2, o->dport);
		len = hlen + o->plen;
		put16(l4 + 4, o->udp_len >= 0 ? (unsigned int)o->udp_len : (unsigned int)len);
		put16(l4 + 6, 0);
		memcpy(l4 + hlen, o->payload, o->plen);
		if (o->udp_csum0) {
			c = 0;
		} else {
			c = csum_l4(o->v6, &o->src, &o->dst, IPPROTO_UDP, l4, len);
			if (c == 0)
				c = 0xffff;
			if (o->bad_csum)
				c ^= 0x5a5a;
		}
		put16(l4 + 6, c);
	}
	return len;
}

/* IPv4 header (+options) for a fragment; returns its length. */
static size_t build_ip4(const struct opts *o, uint8_t *p, size_t l4len,
			size_t fragoff, int more)
{
	size_t olen = ((size_t)o->ipopt_len + 3) & ~3u;
	size_t hl = 20 + olen;
	unsigned int fo = (unsigned int)(fragoff / 8);

	memset(p, 0, hl);
	p[0] = (uint8_t)(0x40 | hl / 4);
	p[1] = 0;
	put16(p + 2, (unsigned int)(hl + l4len));
	put16(p + 4, o->frag_id & 0xffff);
	put16(p + 6, (more ? 0x2000 : 0) | fo | (o->nfrag > 1 ? 0 : 0x4000));
	p[8] = (uint8_t)o->ttl;
	p[9] = (uint8_t)o->proto;
	memcpy(p + 12, &o->src.a4, 4);
	memcpy(p + 16, &o->dst.a4, 4);
	memcpy(p + 20, o->ipopt, (size_t)o->ipopt_len);	/* rest stays EOL (0) */
	put16(p + 10, csum_fold(csum_add(0, p, hl)));
	return hl;
}

/* IPv6 header, optional destination options, optional fragment header. */
static size_t build_ip6(const struct opts *o, uint8_t *p, size_t l4len,
			size_t fragoff, int more)
{
	size_t n = 40;
	uint8_t *nh = p + 6;
	size_t dlen = 0;

	memset(p, 0, 40);
	p[0] = 0x60;
	p[7] = (uint8_t)o->ttl;
	memcpy(p + 8, &o->src.a6, 16);
	memcpy(p + 24, &o->dst.a6, 16);

	if (o->nfrag > 1) {
		*nh = 44;
		nh = p + n;
		memset(p + n, 0, 8);
		put16(p + n + 2, (unsigned int)(fragoff & ~7u) | (more ? 1 : 0));
		put32(p + n + 4, o->frag_id);
		n += 8;
	}
	/* destination options go in the fragmentable part: first fragment only */
	if (o->ipopt_len && fragoff == 0) {
		size_t raw = 2 + (size_t)o->ipopt_len;

		dlen = (raw + 7) & ~7u;
		*nh = 60;
		nh = p + n;
		memset(p + n, 0, dlen);
		p[n + 1] = (uint8_t)(dlen / 8 - 1);
		memcpy(p + n + 2, o->ipopt, (size_t)o->ipopt_len);
		/* pad with a PadN (or Pad1) option */
		if (dlen - raw == 1) {
			p[n + raw] = 0;
		} else if (dlen > raw) {
			p[n + raw] = 1;
			p[n + raw + 1] = (uint8_t)(dlen - raw - 2);
		}
		n += dlen;
	}
	*nh = (uint8_t)o->proto;
	put16(p + 4, (unsigned int)(n - 40 + l4len));
	return n;
}

/* ---- reply ------------------------------------------------------------- */

static int open_reply_sock(const struct opts *o)
{
	int fd, one = 1;

	if (o->proto == IPPROTO_UDP) {
		fd = socket(o->v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
		if (fd < 0)
			return -1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (o->v6) {
			struct sockaddr_in6 s = { .sin6_family = AF_INET6,
						  .sin6_port = htons(o->sport),
						  .sin6_addr = o->src.a6 };
			if (bind(fd, (struct sockaddr *)&s, sizeof(s)) < 0)
				goto err;
		} else {
			struct sockaddr_in s = { .sin_family = AF_INET,
						 .sin_port = htons(o->sport),
						 .sin_addr = o->src.a4 };
			if (bind(fd, (struct sockaddr *)&s, sizeof(s)) < 0)
				goto err;
		}
		return fd;
	}
	fd = socket(o->v6 ? AF_INET6 : AF_INET, SOCK_RAW, IPPROTO_TCP);
	return fd;
err:
	perror("pktcraft: bind reply socket");
	close(fd);
	return -1;
}

static void print_text(const uint8_t *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		putchar(d[i] >= 0x21 && d[i] < 0x7f ? d[i] : '.');
}

static int wait_reply(const struct opts *o, int fd)
{
	uint8_t buf[MAXPKT];
	struct timespec start, now;
	char abuf[INET6_ADDRSTRLEN];
	long left;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		const void *from;
		ssize_t n;
		int r;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = o->reply_ms - ((now.tv_sec - start.tv_sec) * 1000 +
				      (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0)
			break;
		r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&ss, &sl);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("pktcraft: recv");
			return 1;
		}
		if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

			from = &s6->sin6_addr;
			inet_ntop(AF_INET6, from, abuf, sizeof(abuf));
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

			from = &s4->sin_addr;
			inet_ntop(AF_INET, from, abuf, sizeof(abuf));
		}
		if (o->proto == IPPROTO_UDP) {
			printf("reply proto=udp src=%s sport=%u len=%zd data=", abuf,
			       ntohs(ss.ss_family == AF_INET6 ?
				     ((struct sockaddr_in6 *)&ss)->sin6_port :
				     ((struct sockaddr_in *)&ss)->sin_port), n);
			print_text(buf, (size_t)n);
			putchar('\n');
			return 0;
		} else {
			const uint8_t *t = buf;
			size_t tl = (size_t)n;
			const void *dst;
			uint8_t d4[4];
			unsigned int fl;
			int ok;

			if (!o->v6) {
				size_t ihl = (size_t)(buf[0] & 0xf) * 4;

				if (tl < ihl + 20 || buf[9] != IPPROTO_TCP)
					continue;
				memcpy(d4, buf + 16, 4);
				dst = d4;
				from = buf + 12;
				tl = get16(buf + 2) - ihl;
				if (tl > (size_t)n - ihl)
					tl = (size_t)n - ihl;
				t = buf + ihl;
				inet_ntop(AF_INET, from, abuf, sizeof(abuf));
			} else {
				dst = &o->src.a6;
				if (tl < 20)
					continue;
			}
			if (memcmp(from, &o->dst, o->v6 ? 16 : 4) ||
			    get16(t) != o->dport || get16(t + 2) != o->sport)
				continue;
			ok = csum_l4(o->v6, from, dst, IPPROTO_TCP, t, tl) == 0;
			fl = t[13];
			printf("reply proto=tcp src=%s sport=%u dport=%u flags=%s%s%s%s%s%s seq=%u ack=%u len=%zu csum=%s\n",
			       abuf, get16(t), get16(t + 2),
			       fl & 0x02 ? "S" : "", fl & 0x10 ? "A" : "",
			       fl & 0x01 ? "F" : "", fl & 0x04 ? "R" : "",
			       fl & 0x08 ? "P" : "", fl & 0x20 ? "U" : "",
			       get32(t + 4), get32(t + 8),
			       tl - (size_t)(t[12] >> 4) * 4, ok ? "ok" : "bad");
			return 0;
		}
	}
	printf("noreply\n");
	return 3;
}

/* ---- main -------------------------------------------------------------- */

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seq", required_argument, NULL, 1 },
		{ "ack", required_argument, NULL, 2 },
		{ "win", required_argument, NULL, 3 },
		{ "doff", required_argument, NULL, 4 },
		{ "udp-len", required_argument, NULL, 5 },
		{ "truncate", required_argument, NULL, 6 },
		{ "bad-csum", no_argument, NULL, 7 },
		{ "udp-csum0", no_argument, NULL, 8 },
		{ "ipopt", required_argument, NULL, 9 },
		{ "frag", required_argument, NULL, 10 },
		{ "ttl", required_argument, NULL, 11 },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct opts o;
	static uint8_t l4[MAXPKT], pkt[MAXPKT + 128];
	const char *srcs = NULL, *dsts = NULL;
	size_t l4len, sendlen, fragsz, off;
	int c, fd, rfd = -1, i, f, ret = 0;

	srand((unsigned int)(time(NULL) ^ getpid()));
	o.proto = IPPROTO_TCP;
	o.flags = 0x02;
	o.seq = ((uint32_t)rand() << 16) ^ (uint32_t)rand();
	o.win = 65535;
	o.doff = -1;
	o.udp_len = -1;
	o.trunc = -1;
	o.nfrag = 1;
	o.ttl = 64;
	o.count = 1;
	o.frag_id = (((uint32_t)rand() << 16) ^ (uint32_t)rand()) | 1;

	while ((c = getopt_long(argc, argv, "6s:d:P:S:D:f:m:l:c:r:h", lo, NULL)) != -1) {
		switch (c) {
		case '6': o.v6 = 1; break;
		case 's': srcs = optarg; break;
		case 'd': dsts = optarg; break;
		case 'P':
			if (!strcmp(optarg, "tcp"))
				o.proto = IPPROTO_TCP;
			else if (!strcmp(optarg, "udp"))
				o.proto = IPPROTO_UDP;
			else
				usage();
			break;
		case 'S': o.sport = (unsigned int)num(optarg, 65535, "source port"); break;
		case 'D': o.dport = (unsigned int)num(optarg, 65535, "destination port"); break;
		case 'f': o.flags = parse_flags(optarg); break;
		case 'm':
			o.plen = strlen(optarg);
			if (o.plen > 60000)
				usage();
			memcpy(o.payload, optarg, o.plen);
			break;
		case 'l':
			o.plen = num(optarg, 60000, "payload length");
			for (size_t k = 0; k < o.plen; k++)
				o.payload[k] = (uint8_t)('a' + k % 26);
			break;
		case 'c': o.count = (int)num(optarg, 100000, "count"); break;
		case 'r': o.reply_ms = (int)num(optarg, 600000, "reply timeout"); break;
		case 1: o.seq = (uint32_t)num(optarg, 0xffffffffUL, "seq"); break;
		case 2: o.ack = (uint32_t)num(optarg, 0xffffffffUL, "ack"); break;
		case 3: o.win = (unsigned int)num(optarg, 65535, "window"); break;
		case 4: o.doff = (int)num(optarg, 15, "doff"); break;
		case 5: o.udp_len = (int)num(optarg, 65535, "udp length"); break;
		case 6: o.trunc = (long)num(optarg, MAXPKT, "truncate"); break;
		case 7: o.bad_csum = 1; break;
		case 8: o.udp_csum0 = 1; break;
		case 9: parse_hex(&o, optarg); break;
		case 10: o.nfrag = (int)num(optarg, 64, "fragment count"); break;
		case 11: o.ttl = (int)num(optarg, 255, "ttl"); break;
		default: usage();
		}
	}
	if (optind != argc || !srcs || !dsts || !o.sport || !o.dport || o.nfrag < 1)
		usage();
	parse_addr(&o, srcs, 1);
	parse_addr(&o, dsts, 0);
	if (o.udp_csum0 && o.v6)
		fprintf(stderr, "pktcraft: warning: UDP checksum 0 is invalid over IPv6\n");

	l4len = build_l4(&o, l4);
	sendlen = l4len;
	if (o.trunc >= 0 && (size_t)o.trunc < sendlen)
		sendlen = (size_t)o.trunc;

	/* fragment payload size: a multiple of 8, N pieces */
	fragsz = ((sendlen + (size_t)o.nfrag - 1) / (size_t)o.nfrag + 7) & ~(size_t)7;
	if (o.nfrag > 1 && fragsz * (size_t)(o.nfrag - 1) >= sendlen) {
		fprintf(stderr, "pktcraft: segment of %zu bytes too short for %d fragments\n",
			sendlen, o.nfrag);
		return 2;
	}

	fd = socket(o.v6 ? AF_INET6 : AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		perror("pktcraft: raw socket");
		return 1;
	}
	if (o.reply_ms) {
		rfd = open_reply_sock(&o);
		if (rfd < 0) {
			perror("pktcraft: reply socket");
			return 1;
		}
	}

	for (i = 0; i < o.count; i++) {
		for (f = 0, off = 0; f < o.nfrag; f++, off += fragsz) {
			size_t piece = o.nfrag == 1 ? sendlen :
				(f == o.nfrag - 1 ? sendlen - off : fragsz);
			int more = f < o.nfrag - 1;
			size_t hl;
			ssize_t n;

			if (o.v6)
				hl = build_ip6(&o, pkt, piece, o.nfrag > 1 ? off : 0, more);
			else
				hl = build_ip4(&o, pkt, piece, o.nfrag > 1 ? off : 0, more);
			memcpy(pkt + hl, l4 + off, piece);
			if (o.v6) {
				struct sockaddr_in6 d = { .sin6_family = AF_INET6,
							  .sin6_addr = o.dst.a6 };
				n = sendto(fd, pkt, hl + piece, 0,
					   (struct sockaddr *)&d, sizeof(d));
			} else {
				struct sockaddr_in d = { .sin_family = AF_INET,
							 .sin_addr = o.dst.a4 };
				n = sendto(fd, pkt, hl + piece, 0,
					   (struct sockaddr *)&d, sizeof(d));
			}
			if (n < 0) {
				perror("pktcraft: sendto");
				return 1;
			}
		}
		if (o.v6 || o.nfrag > 1)
			o.frag_id += 2;
	}
	if (rfd >= 0)
		ret = wait_reply(&o, rfd);
	fflush(stdout);
	return ret;
}
