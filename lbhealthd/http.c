// SPDX-License-Identifier: GPL-2.0
/*
 * HTTP for checks: the request (HTTP/1.0, so no reply is chunked and a
 * body substring is never split by chunk framing; Connection: close, so
 * the server ends the reply) and a status-line parser that only looks
 * inside the bytes it is given.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "lbhealthd.h"

bool mem_contains(const char *hay, size_t len, const char *needle)
{
	size_t nl = strlen(needle);

	return !nl || (len >= nl && memmem(hay, len, needle, nl));
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * The status of "HTTP/D.D SSS ..." at the start of buf.  Returns 1 with
 * *status set, 0 if the line is not complete yet, -1 if it is not an HTTP
 * status line.
 */
int http_status(const char *buf, size_t len, int *status)
{
	static const char proto[] = "HTTP/";
	const char *eol = memchr(buf, '\n', len);
	size_t n = eol ? (size_t)(eol - buf) : len, i;

	/* what is there must match as far as it goes */
	for (i = 0; i < sizeof(proto) - 1 && i < n; i++)
		if (buf[i] != proto[i])
			return -1;
	if (!eol)
		return 0;
	/* HTTP/D.D SSS, then a blank or the line end */
	if (n < 12 || !is_digit(buf[5]) || buf[6] != '.' || !is_digit(buf[7]) ||
	    buf[8] != ' ' || !is_digit(buf[9]) || !is_digit(buf[10]) ||
	    !is_digit(buf[11]) || (n > 12 && buf[12] != ' ' && buf[12] != '\r'))
		return -1;
	*status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	return 1;
}

/* Where the body starts, or NULL while the headers are incomplete. */
const char *http_body(const char *buf, size_t len)
{
	const char *p = memmem(buf, len, "\r\n\r\n", 4);

	if (p)
		return p + 4;
	p = memmem(buf, len, "\n\n", 2);
	return p ? p + 2 : NULL;
}

/* The request into buf; its length, 0 if it does not fit. */
size_t http_request(char *buf, size_t len, const struct check *c,
		    const struct sockaddr_storage *dst)
{
	char host[INET6_ADDRSTRLEN + 10], a[INET6_ADDRSTRLEN];
	uint16_t port, dflt = c->type == NFLB_CHECK_HTTPS ? 443 : 80;
	int n;

	if (c->host[0]) {
		host[0] = '\0';	/* the configured one is used */
	} else if (dst->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)dst;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		port = ntohs(s6->sin6_port);
		snprintf(host, sizeof(host), port == dflt ? "[%s]" : "[%s]:%u", a, port);
	} else {
		const struct sockaddr_in *s4 = (const void *)dst;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		port = ntohs(s4->sin_port);
		snprintf(host, sizeof(host), port == dflt ? "%s" : "%s:%u", a, port);
	}
	n = snprintf(buf, len,
		     "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: lbhealthd\r\n"
		     "Accept: */*\r\nConnection: close\r\n\r\n",
		     c->path[0] ? c->path : "/", c->host[0] ? c->host : host);
	return n < 0 || (size_t)n >= len ? 0 : (size_t)n;
}
