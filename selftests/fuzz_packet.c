// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_packet: malformed and mutated IPv4/IPv6 TCP/UDP/ICMP packets for the
 * nflb datapath, injected as Ethernet frames (AF_PACKET) so that even the IP
 * header can be wrong.
 *
 *   fuzz_packet -i IFACE -M DSTMAC -4 SRC,DST -6 SRC,DST -p PORT [-q PORT2]
 *               [-u CPORT:N] [-t CPORT:N] [-r] [-n COUNT] [-s SEED] [-v]
 *
 * Client side (default): SRC is the client, DST the VIP, PORT the virtual
 * servers' port (PORT2: a second one, e.g. of a service without members).
 * Server side (-r, the reply path): SRC is a member, DST the
 * client, PORT the member's port.  -u/-t name client ports of live UDP/TCP
 * sessions (N ports from CPORT), so that mutated packets and ICMP errors
 * also hit real session tuples, in the direction this side would send them.
 *
 * Packet kinds (mixed at random):
 *  - TCP/UDP with bad data offsets, truncated headers, garbage options,
 *    UDP length fields below/above the datagram, zero ports, bad/zero
 *    checksums, every TCP flag combination;
 *  - IPv4 headers with bad IHL, total length, version, header checksum,
 *    options (NOP/EOL/RR/TS/LSRR garbage), TTL 0; IPv6 with wrong payload
 *    length and chains of extension headers (hop-by-hop, routing,
 *    destination options, fragment, unknown, "no next header");
 *  - fragment trains: random sizes and order, overlaps with different
 *    bytes, gaps, tiny first fragments, MF on the last, oversized totals;
 *  - ICMP/ICMPv6 errors quoting garbage, quoting a real session's packet
 *    followed by garbage or cut short, with odd quoted headers, nested
 *    errors, bad outer checksums.
 * Prints "# sent N: ..." per kind; exit 0 if every frame was sent.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <linux/if_ether.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/csum.h"
#include "lib/prng.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PKT_MAX 1514

enum kind { K_L4, K_IPHDR, K_FRAG, K_ICMP, K_ICMP_SESSION, K_MAX };
static const char *const kind_names[K_MAX] = {
	"transport", "ip-header", "fragment", "icmp-garbage", "icmp-session",
};

static struct {
	const char *ifname;
	uint8_t dmac[6];
	struct in_addr src4, dst4;
	struct in6_addr src6, dst6;
	uint16_t port, port2;
	uint16_t uport, tport;
	unsigned int un, tn;
	bool reply;
	unsigned long count;
	uint64_t seed;
	bool verbose;
} o = { .count = 2000 };

static int sock, ifindex;
static uint8_t smac[6];
static unsigned long sent[K_MAX], frames, send_errors;
static uint16_t ip_id;

/* ---- sending ---- */

static void send_l3(int v6, const uint8_t *l3, size_t len, enum kind k)
{
	uint8_t f[PKT_MAX + 64];
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_halen = 6,
		.sll_protocol = htons(v6 ? ETH_P_IPV6 : ETH_P_IP),
	};

	if (len > PKT_MAX - 14)
		len = PKT_MAX - 14;
	memcpy(f, o.dmac, 6);
	memcpy(f + 6, smac, 6);
	f[12] = v6 ? 0x86 : 0x08;
	f[13] = v6 ? 0xdd : 0x00;
	memcpy(f + 14, l3, len);
	memcpy(sll.sll_addr, o.dmac, 6);
	if (sendto(sock, f, len + 14, 0, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		if (errno == ENOBUFS) {	/* queue full: let it drain, retry once */
			usleep(2000);
			if (sendto(sock, f, len + 14, 0, (struct sockaddr *)&sll, sizeof(sll)) >= 0)
				goto ok;
		}
		send_errors++;
		if (send_errors < 5)
			printf("# sendto: %s\n", strerror(errno));
		return;
	}
ok:
	frames++;
	sent[k]++;
}

/* ---- transport ---- */

struct tuple {
	int v6;
	uint8_t proto;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
};

/* A tuple this side would send: a live session's (if any) or a random one. */
static void pick_tuple(struct tuple *t, int v6, uint8_t proto, bool live)
{
	uint16_t cport;

	t->v6 = v6;
	t->proto = proto;
	memcpy(t->src, v6 ? (void *)&o.src6 : (void *)&o.src4, v6 ? 16 : 4);
	memcpy(t->dst, v6 ? (void *)&o.dst6 : (void *)&o.dst4, v6 ? 16 : 4);
	if (live && proto == IPPROTO_UDP && o.un)
		cport = (uint16_t)(o.uport + rnd(o.un));
	else if (live && proto == IPPROTO_TCP && o.tn)
		cport = (uint16_t)(o.tport + rnd(o.tn));
	else
		cport = (uint16_t)(chance(5) ? rnd(2) : 1024 + rnd(60000));
	if (o.reply) {
		t->sport = o.port;
		t->dport = cport;
	} else {
		t->sport = cport;
		if (o.port2 && !live && chance(25))
			t->dport = o.port2;
		else
			t->dport = chance(90) ? o.port : (uint16_t)rnd(3);
	}
	if (chance(3))	/* spoofed source */
		rnd_bytes(t->src, v6 ? 16 : 4);
}

/*
 * A TCP or UDP segment for t into p (room for PKT_MAX); returns its length.
 * mutate: bad offsets, lengths, checksums, options, flags.
 */
static size_t build_l4(uint8_t *p, const struct tuple *t, bool mutate)
{
	size_t hl, plen = chance(50) ? 0 : rnd(chance(80) ? 64 : 1200), len;
	uint16_t c;

	if (t->proto == IPPROTO_TCP) {
		size_t optlen = chance(30) ? 4 * rnd(11) : 0;
		static const uint8_t flagset[] = { 0x02, 0x10, 0x12, 0x18, 0x11, 0x04,
						   0x14, 0x01, 0x00, 0x3f, 0xff, 0x03, 0x06 };

		hl = 20 + optlen;
		memset(p, 0, hl);
		p[0] = (uint8_t)(t->sport >> 8); p[1] = (uint8_t)t->sport;
		p[2] = (uint8_t)(t->dport >> 8); p[3] = (uint8_t)t->dport;
		rnd_bytes(p + 4, 8);	/* seq, ack */
		p[12] = (uint8_t)((hl / 4) << 4);
		p[13] = chance(80) ? flagset[rnd(ARRAY_SIZE(flagset))] : (uint8_t)rnd64();
		p[14] = 0xff; p[15] = 0xff;
		if (optlen) {
			if (chance(50)) {
				rnd_bytes(p + 20, optlen);
			} else {	/* MSS, SACK-perm, WS, TS with odd lengths */
				static const uint8_t opts[] = { 2, 4, 5, 180, 4, 2, 3, 3, 14,
								8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
				memcpy(p + 20, opts, optlen < sizeof(opts) ? optlen : sizeof(opts));
				if (chance(50))
					p[20 + rnd((uint32_t)optlen)] = (uint8_t)rnd(256);
			}
		}
		if (mutate && chance(30))
			p[12] = (uint8_t)((rnd(16) << 4) | (p[12] & 0x0f));
		if (mutate && chance(5))
			p[12] |= (uint8_t)rnd(16);	/* reserved bits */
	} else {
		hl = 8;
		memset(p, 0, hl);
		p[0] = (uint8_t)(t->sport >> 8); p[1] = (uint8_t)t->sport;
		p[2] = (uint8_t)(t->dport >> 8); p[3] = (uint8_t)t->dport;
	}
	rnd_bytes(p + hl, plen);
	len = hl + plen;
	if (t->proto == IPPROTO_UDP) {
		uint16_t ul = (uint16_t)len;

		if (mutate && chance(30)) {
			static const int d[] = { -100, -9, -8, -1, 1, 8, 1000 };

			ul = chance(30) ? (uint16_t)rnd(9) : (uint16_t)(len + d[rnd(ARRAY_SIZE(d))]);
		}
		p[4] = (uint8_t)(ul >> 8); p[5] = (uint8_t)ul;
	}
	c = htons(csum_l4(t->v6, t->src, t->dst, t->proto, p, len));
	if (t->proto == IPPROTO_UDP && c == 0)
		c = 0xffff;
	memcpy(p + (t->proto == IPPROTO_TCP ? 16 : 6), &c, 2);
	if (mutate && chance(15))	/* bad checksum */
		p[t->proto == IPPROTO_TCP ? 17 : 7] ^= (uint8_t)(1 + rnd(255));
	if (mutate && t->proto == IPPROTO_UDP && chance(10))
		p[6] = p[7] = 0;	/* "no checksum" (illegal on IPv6) */
	if (mutate && chance(20))	/* truncated header or payload */
		len = rnd((uint32_t)len + 1);
	return len;
}

/* ---- IP ---- */

/* IPv4 header for (src, dst, proto) + payload into out; knobs when mutating. */
static size_t ip4_wrap(uint8_t *out, const uint8_t *src, const uint8_t *dst, uint8_t proto,
		       const uint8_t *pl, size_t plen, bool mutate, uint16_t frag)
{
	size_t optlen = 0, hl, tot;
	uint16_t c, tl;

	if (mutate && chance(25)) {
		optlen = 4 * (1 + rnd(10));
		if (chance(40)) {
			rnd_bytes(out + 20, optlen);
		} else {
			static const uint8_t kinds[] = { 0x01, 0x00, 0x07, 0x44, 0x83, 0x89, 0x94 };
			size_t pos = 0;

			while (pos < optlen) {
				uint8_t k = kinds[rnd(ARRAY_SIZE(kinds))];

				out[20 + pos++] = k;
				if (k > 1 && pos < optlen) {	/* length, pointer, garbage */
					uint8_t ol = (uint8_t)(chance(70) ? 3 + rnd((uint32_t)(optlen - pos + 2)) : rnd(256));

					out[20 + pos++] = ol;
					if (pos < optlen)
						out[20 + pos++] = (uint8_t)(chance(50) ? 4 + 4 * rnd(3) : rnd(256));
				}
			}
		}
	}
	hl = 20 + optlen;
	tot = hl + plen;
	out[0] = (uint8_t)(0x40 | (hl / 4));
	out[1] = chance(10) ? (uint8_t)rnd(256) : 0;
	tl = (uint16_t)tot;
	out[4] = (uint8_t)(ip_id >> 8); out[5] = (uint8_t)ip_id;
	out[6] = (uint8_t)(frag >> 8); out[7] = (uint8_t)frag;
	out[8] = 64;
	out[9] = proto;
	out[10] = out[11] = 0;
	memcpy(out + 12, src, 4);
	memcpy(out + 16, dst, 4);
	memcpy(out + hl, pl, plen);
	if (mutate) {
		switch (rnd(12)) {
		case 0: out[0] = (uint8_t)((out[0] & 0xf0) | rnd(16)); break;	/* IHL */
		case 1: tl = (uint16_t)(chance(50) ? rnd((uint32_t)tot + 1) : tot + 1 + rnd(2000)); break;
		case 2: out[0] = (uint8_t)((rnd(16) << 4) | (out[0] & 0x0f)); break;	/* version */
		case 3: out[8] = (uint8_t)rnd(2); break;	/* TTL 0/1 */
		case 4: out[6] = (uint8_t)(rnd(256) & 0xbf); out[7] = (uint8_t)rnd(256); break;
		case 5: out[6] |= 0x80; break;	/* reserved flag */
		}
	}
	out[2] = (uint8_t)(tl >> 8); out[3] = (uint8_t)tl;
	c = htons(csum_fold(csum_add(0, out, hl)));
	memcpy(out + 10, &c, 2);
	if (mutate && chance(5))
		out[10] ^= 0x5a;	/* bad header checksum */
	return tot;
}

/* IPv6 header, optional extension headers (when mutating), payload. */
static size_t ip6_wrap(uint8_t *out, const uint8_t *src, const uint8_t *dst, uint8_t proto,
		       const uint8_t *pl, size_t plen, bool mutate)
{
	size_t pos = 40;
	uint8_t *nh = out + 6;
	uint16_t pll;

	memset(out, 0, 40);
	out[0] = 0x60;
	out[7] = 64;
	memcpy(out + 8, src, 16);
	memcpy(out + 24, dst, 16);
	if (mutate && chance(35)) {
		int n = 1 + (int)rnd(4);

		for (int i = 0; i < n && pos + 64 < PKT_MAX - 14 - plen; i++) {
			static const uint8_t types[] = { 0, 43, 60, 44, 59, 253, 135 };
			uint8_t t = types[rnd(ARRAY_SIZE(types))];
			size_t el;

			if (t == 0 && chance(70) && i)
				t = 60;	/* hop-by-hop is only legal first */
			*nh = t;
			nh = out + pos;
			if (t == 44) {	/* fragment header: offset 0, M random */
				el = 8;
				memset(out + pos, 0, 8);
				out[pos + 3] = (uint8_t)(chance(50) ? 0 : rnd(256));
				rnd_bytes(out + pos + 4, 4);
			} else if (t == 59) {	/* no next header: rest is ignored */
				el = 0;
				break;
			} else {
				el = 8 * (1 + rnd(4));
				rnd_bytes(out + pos, el);
				out[pos + 1] = (uint8_t)(chance(80) ? el / 8 - 1 : rnd(256));
				if (t == 43 && chance(50))
					out[pos + 2] = (uint8_t)rnd(5);	/* routing type */
				if ((t == 0 || t == 60) && chance(60)) {	/* PadN / unknown opts */
					out[pos + 2] = chance(50) ? 1 : (uint8_t)rnd(256);
					out[pos + 3] = (uint8_t)(el - 4);
				}
			}
			pos += el;
		}
	}
	*nh = proto;
	if (pos + plen > PKT_MAX - 14)
		plen = PKT_MAX - 14 - pos;
	memcpy(out + pos, pl, plen);
	pll = (uint16_t)(pos - 40 + plen);
	if (mutate && chance(15))
		pll = (uint16_t)(chance(50) ? rnd(pll + 1u) : pll + 1 + rnd(2000));
	if (mutate && chance(3))
		out[0] = (uint8_t)(rnd(16) << 4);	/* version */
	if (mutate && chance(3))
		out[7] = 0;	/* hop limit 0 */
	out[4] = (uint8_t)(pll >> 8); out[5] = (uint8_t)pll;
	return pos + plen;
}

static size_t ip_wrap(int v6, uint8_t *out, const uint8_t *src, const uint8_t *dst,
		      uint8_t proto, const uint8_t *pl, size_t plen, bool mutate)
{
	ip_id++;
	return v6 ? ip6_wrap(out, src, dst, proto, pl, plen, mutate) :
		    ip4_wrap(out, src, dst, proto, pl, plen, mutate, 0);
}

/* ---- kinds ---- */

static void gen_l4(int v6, bool ipmut)
{
	uint8_t l4[PKT_MAX], pkt[PKT_MAX];
	struct tuple t;
	size_t n;

	pick_tuple(&t, v6, chance(50) ? IPPROTO_TCP : IPPROTO_UDP, chance(50));
	n = build_l4(l4, &t, !ipmut || chance(30));
	n = ip_wrap(v6, pkt, t.src, t.dst, t.proto, l4, n, ipmut);
	send_l3(v6, pkt, n, ipmut ? K_IPHDR : K_L4);
}

/* A datagram in fragments: random sizes, order, overlaps, gaps. */
static void gen_frags(int v6)
{
	uint8_t l4[PKT_MAX * 2], pkt[PKT_MAX], frag[PKT_MAX];
	struct tuple t;
	size_t len, nfr = 2 + rnd(6);
	struct { size_t off, len; bool more; } fr[16];
	uint32_t id = (uint32_t)rnd64();
	size_t unit, pos = 0, n = 0;

	pick_tuple(&t, v6, chance(70) ? IPPROTO_UDP : IPPROTO_TCP, chance(50));
	len = build_l4(l4, &t, chance(30));
	if (len < 16) {
		rnd_bytes(l4 + len, 16);
		len += 16;
	}
	unit = ((len / nfr) + 7) & ~(size_t)7;
	if (!unit)
		unit = 8;
	if (chance(15))
		unit = 8;	/* tiny fragments: the first one cuts the L4 header */
	while (pos < len && n < ARRAY_SIZE(fr) - 2) {
		fr[n].off = pos;
		fr[n].len = len - pos < unit ? len - pos : unit;
		pos += fr[n].len;
		fr[n].more = pos < len;
		n++;
	}
	if (chance(30) && n > 1) {	/* overlap: a piece again, other bytes */
		size_t k = rnd((uint32_t)n);

		fr[n] = fr[k];
		fr[n].off = fr[k].off >= 8 && chance(50) ? fr[k].off - 8 : fr[k].off;
		n++;
	}
	if (chance(10))		/* beyond 64 KiB */
		fr[n - 1].off = 65528 - (rnd(4) * 8);
	if (chance(15) && n > 1)	/* a gap */
		fr[rnd((uint32_t)n)].len = 0;
	if (chance(10))
		fr[n - 1].more = true;	/* never complete */
	for (size_t i = n - 1; i > 0; i--) {	/* shuffle */
		size_t j = rnd((uint32_t)i + 1);
		__typeof__(fr[0]) tmp = fr[i];

		if (!chance(50))
			continue;
		fr[i] = fr[j];
		fr[j] = tmp;
	}
	for (size_t i = 0; i < n; i++) {
		size_t fl = fr[i].len, out;
		const uint8_t *data = l4 + (fr[i].off < len ? fr[i].off : 0);
		uint8_t tmp[PKT_MAX];

		if (!fl)
			continue;
		if (fr[i].off + fl > len) {	/* beyond the datagram: filler */
			rnd_bytes(tmp, fl);
			data = tmp;
		}
		if (v6) {
			uint8_t *h = frag;
			uint16_t offw = (uint16_t)((fr[i].off & 0xfff8) | (fr[i].more ? 1 : 0));

			h[0] = t.proto; h[1] = 0;
			h[2] = (uint8_t)(offw >> 8); h[3] = (uint8_t)offw;
			memcpy(h + 4, &id, 4);
			memcpy(h + 8, data, fl);
			out = ip6_wrap(pkt, t.src, t.dst, 44, frag, fl + 8, false);
		} else {
			uint16_t fo = (uint16_t)(((fr[i].off / 8) & 0x1fff) | (fr[i].more ? 0x2000 : 0));

			ip_id = (uint16_t)id;
			out = ip4_wrap(pkt, t.src, t.dst, t.proto, data, fl, false, fo);
		}
		send_l3(v6, pkt, out, K_FRAG);
	}
}

/*
 * An ICMP error.  session: quote a packet of a live session as the peer of
 * this side would have sent it, then mutate the quote; else quote garbage.
 */
static void gen_icmp(int v6, bool session)
{
	uint8_t q[PKT_MAX], l4[PKT_MAX], icmp[PKT_MAX], pkt[PKT_MAX];
	struct tuple t, qt;
	size_t qlen, ilen, n;
	uint16_t c;

	pick_tuple(&t, v6, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP, false);
	memcpy(t.src, v6 ? (void *)&o.src6 : (void *)&o.src4, v6 ? 16 : 4);
	if (session) {
		/* the quoted packet went from our peer to us: reverse of what we send */
		pick_tuple(&qt, v6, chance(50) ? IPPROTO_TCP : IPPROTO_UDP, true);
		memcpy(qt.src, t.dst, 16);
		memcpy(qt.dst, t.src, 16);
		{
			uint16_t sp = qt.sport;

			qt.sport = qt.dport;
			qt.dport = sp;
		}
		if (!o.reply)	/* client side: the VIP's packet to us */
			qt.sport = o.port;
		n = build_l4(l4, &qt, false);
		if (chance(50) && n > 8)
			n = 8;	/* the classic quote: 8 bytes of L4 */
		qlen = v6 ? ip6_wrap(q, qt.src, qt.dst, qt.proto, l4, n, chance(20)) :
			    ip4_wrap(q, qt.src, qt.dst, qt.proto, l4, n, chance(20), 0);
		switch (rnd(6)) {
		case 0:	/* garbage after the quote */
			n = rnd(200);
			if (qlen + n < sizeof(q) - 200) {
				rnd_bytes(q + qlen, n);
				qlen += n;
			}
			break;
		case 1:	/* cut short anywhere, even inside the quoted IP header */
			qlen = rnd((uint32_t)qlen + 1);
			break;
		case 2:	/* quoted ports only partly there */
			qlen = (v6 ? 40 : 20) + rnd(8);
			break;
		case 3:	/* odd quoted header fields */
			if (v6) {
				q[6] = chance(50) ? (uint8_t)rnd(256) : 44;
			} else {
				q[0] = (uint8_t)(0x40 | rnd(16));
				if (chance(50)) {
					q[6] = (uint8_t)rnd(256);
					q[7] = (uint8_t)rnd(256);
				}
				if (chance(50)) {
					q[2] = (uint8_t)rnd(256);
					q[3] = (uint8_t)rnd(256);
				}
			}
			break;
		}
	} else {
		qlen = rnd(chance(80) ? 64 : 600);
		rnd_bytes(q, qlen);
		if (qlen && chance(60))	/* at least look like the right version */
			q[0] = (uint8_t)((v6 ? 0x60 : 0x40) | (chance(70) ? 5 : rnd(16)));
		if (qlen > 9 && !v6 && chance(70))
			q[9] = chance(50) ? IPPROTO_TCP : (chance(50) ? IPPROTO_UDP : IPPROTO_ICMP);
		if (qlen > 6 && v6 && chance(70))
			q[6] = chance(50) ? IPPROTO_TCP : (chance(50) ? IPPROTO_UDP : 58);
	}

	/* ICMP header */
	if (v6) {
		static const uint8_t types[] = { 1, 1, 2, 3, 4, 0, 127, 128, 129 };

		icmp[0] = types[rnd(ARRAY_SIZE(types))];
	} else {
		static const uint8_t types[] = { 3, 3, 3, 11, 12, 4, 5, 0, 8, 40 };

		icmp[0] = types[rnd(ARRAY_SIZE(types))];
	}
	icmp[1] = (uint8_t)(chance(70) ? rnd(5) : rnd(256));
	icmp[2] = icmp[3] = 0;
	rnd_bytes(icmp + 4, 4);	/* unused / MTU / pointer */
	ilen = 8 + qlen;
	if (ilen > sizeof(icmp))
		ilen = sizeof(icmp);
	memcpy(icmp + 8, q, ilen - 8);
	if (chance(5) && ilen + ilen <= sizeof(icmp)) {	/* an error quoting an error */
		memmove(icmp + 8 + (v6 ? 40 : 20), icmp, ilen);
		memcpy(icmp + 8, v6 ? (void *)q : (void *)q, v6 ? 40 : 20);
		ilen += v6 ? 40 : 20;
	}
	if (v6)
		c = htons(csum_l4(1, t.src, t.dst, IPPROTO_ICMPV6, icmp, ilen));
	else
		c = htons(csum_fold(csum_add(0, icmp, ilen)));
	memcpy(icmp + 2, &c, 2);
	if (chance(10))
		icmp[2] ^= 0x33;	/* bad ICMP checksum */
	n = ip_wrap(v6, pkt, t.src, t.dst, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP, icmp, ilen,
		    chance(10));
	send_l3(v6, pkt, n, session ? K_ICMP_SESSION : K_ICMP);
}

/* ---- main ---- */

static int parse_pair(char *s, int v6, void *a, void *b)
{
	char *comma = strchr(s, ',');

	if (!comma)
		return -1;
	*comma = '\0';
	return inet_pton(v6 ? AF_INET6 : AF_INET, s, a) == 1 &&
	       inet_pton(v6 ? AF_INET6 : AF_INET, comma + 1, b) == 1 ? 0 : -1;
}

static int parse_ports(const char *s, uint16_t *base, unsigned int *n)
{
	unsigned int b, c;

	if (sscanf(s, "%u:%u", &b, &c) != 2 || !b || b + c > 65536)
		return -1;
	*base = (uint16_t)b;
	*n = c;
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: fuzz_packet -i IFACE -M DSTMAC -4 SRC,DST -6 SRC,DST -p PORT [-q PORT2]\n"
		"                   [-u CPORT:N] [-t CPORT:N] [-r] [-n COUNT] [-s SEED] [-v]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	bool have4 = false, have6 = false, havemac = false;
	struct timespec pause = { 0, 200 * 1000 };
	unsigned long i;
	int c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	o.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	while ((c = getopt(argc, argv, "i:M:4:6:p:q:u:t:rn:s:v")) != -1) {
		switch (c) {
		case 'i': o.ifname = optarg; break;
		case 'M':
			if (sscanf(optarg, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &o.dmac[0], &o.dmac[1],
				   &o.dmac[2], &o.dmac[3], &o.dmac[4], &o.dmac[5]) != 6)
				usage();
			havemac = true;
			break;
		case '4':
			if (parse_pair(optarg, 0, &o.src4, &o.dst4))
				usage();
			have4 = true;
			break;
		case '6':
			if (parse_pair(optarg, 1, &o.src6, &o.dst6))
				usage();
			have6 = true;
			break;
		case 'p': o.port = (uint16_t)atoi(optarg); break;
		case 'q': o.port2 = (uint16_t)atoi(optarg); break;
		case 'u': if (parse_ports(optarg, &o.uport, &o.un)) usage(); break;
		case 't': if (parse_ports(optarg, &o.tport, &o.tn)) usage(); break;
		case 'r': o.reply = true; break;
		case 'n': o.count = strtoul(optarg, NULL, 0); break;
		case 's': o.seed = strtoull(optarg, NULL, 0); break;
		case 'v': o.verbose = true; break;
		default: usage();
		}
	}
	if (optind != argc || !o.ifname || !havemac || !have4 || !have6 || !o.port)
		usage();
	prng_seed(o.seed);
	ip_id = (uint16_t)rnd64();

	ifindex = (int)if_nametoindex(o.ifname);
	sock = socket(AF_PACKET, SOCK_RAW, 0);
	if (!ifindex || sock < 0) {
		printf("# %s: %s\n", o.ifname, strerror(errno));
		return 1;
	}
	{
		char path[128];
		FILE *f;

		snprintf(path, sizeof(path), "/sys/class/net/%s/address", o.ifname);
		f = fopen(path, "r");
		if (!f || fscanf(f, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &smac[0], &smac[1], &smac[2],
				 &smac[3], &smac[4], &smac[5]) != 6) {
			printf("# cannot read %s\n", path);
			return 1;
		}
		fclose(f);
	}
	printf("# fuzz_packet: %lu packets (%s side), seed %" PRIu64 "\n", o.count,
	       o.reply ? "server" : "client", o.seed);

	for (i = 0; i < o.count; i++) {
		int v6 = chance(50);
		unsigned long before = frames;

		switch (rnd(10)) {
		case 0: case 1: case 2: gen_l4(v6, false); break;
		case 3: case 4: gen_l4(v6, true); break;
		case 5: gen_frags(v6); break;
		case 6: gen_icmp(v6, false); break;
		default: gen_icmp(v6, true);
		}
		/* do not outrun the receiver: veth drops when its backlog is full */
		if (frames - before && i % 16 == 15)
			nanosleep(&pause, NULL);
	}
	printf("# sent %lu frames:", frames);
	for (int k = 0; k < K_MAX; k++)
		printf(" %s=%lu", kind_names[k], sent[k]);
	printf(", send errors %lu\n", send_errors);
	return send_errors > o.count / 100 ? 1 : 0;
}
