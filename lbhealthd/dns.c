// SPDX-License-Identifier: GPL-2.0
/*
 * DNS for udp-dns checks: a query of type A, class IN, recursion desired,
 * and the reply's header checked within its length.  A reply with our id
 * and QR set is the server answering: NOERROR or NXDOMAIN count as up (the
 * server works; whether the name exists is the zone's business), any other
 * rcode (SERVFAIL, REFUSED, ...) as down with the rcode as the reason.
 */
#include <stdio.h>
#include <string.h>

#include "lbhealthd.h"

#define DNS_HDR		12
#define DNS_FLAG_RD	0x01	/* in byte 2 */
#define DNS_FLAG_QR	0x80	/* in byte 2 */

/* The query into buf; its length, or -1 if the name is not a valid one. */
int dns_query(uint8_t *buf, size_t len, uint16_t id, const char *name)
{
	size_t pos = DNS_HDR, total = 1;
	const char *p = name;

	if (len < DNS_HDR + 1 + 4)
		return -1;
	memset(buf, 0, DNS_HDR);
	buf[0] = (uint8_t)(id >> 8);
	buf[1] = (uint8_t)id;
	buf[2] = DNS_FLAG_RD;
	buf[5] = 1;			/* QDCOUNT */
	while (*p && strcmp(p, ".")) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		total += l + 1;
		if (l == 0 || l > 63 || total > 255 || pos + 1 + l + 1 + 4 > len)
			return -1;
		buf[pos++] = (uint8_t)l;
		memcpy(buf + pos, p, l);
		pos += l;
		p += l + (dot ? 1 : 0);
	}
	buf[pos++] = 0;			/* root */
	buf[pos++] = 0;
	buf[pos++] = 1;			/* QTYPE A */
	buf[pos++] = 0;
	buf[pos++] = 1;			/* QCLASS IN */
	return (int)pos;
}

static const char *const rcode_names[] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
	"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE",
};

int dns_reply(const uint8_t *buf, size_t len, uint16_t id, char *reason, size_t rlen)
{
	unsigned int rcode;

	if (len < DNS_HDR || ((unsigned int)buf[0] << 8 | buf[1]) != id ||
	    !(buf[2] & DNS_FLAG_QR))
		return 0;	/* not the answer to our query: keep waiting */
	rcode = buf[3] & 0x0f;
	if (rcode == 0 || rcode == 3)
		return 1;
	if (rcode < sizeof(rcode_names) / sizeof(rcode_names[0]))
		snprintf(reason, rlen, "dns %s", rcode_names[rcode]);
	else
		snprintf(reason, rlen, "dns rcode %u", rcode);
	return -1;
}
