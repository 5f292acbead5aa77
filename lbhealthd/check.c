// SPDX-License-Identifier: GPL-2.0
/*
 * The text form of a check, for --check and --file (the daemon without the
 * kernel): "TYPE ADDR:PORT [ KEYWORD VALUE ]...", the keywords named as in
 * lbctl's "pool set ... check".  The same limits as the kernel's policy
 * apply (check_validate()), so a line that works here works there.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lbhealthd.h"

static const char *const type_names[] = {
	[NFLB_CHECK_NONE] = "none", [NFLB_CHECK_TCP] = "tcp",
	[NFLB_CHECK_HTTP] = "http", [NFLB_CHECK_HTTPS] = "https",
	[NFLB_CHECK_UDP_DNS] = "udp-dns",
};

const char *check_type_name(uint8_t type)
{
	return type <= NFLB_CHECK_MAX ? type_names[type] : "?";
}

/* The kernel's defaults (kmod/config.c), for attributes left out. */
void check_defaults(struct check *c, uint8_t type)
{
	memset(c, 0, sizeof(*c));
	c->type = type;
	c->status_min = 200;
	c->status_max = 399;
	c->interval_ms = 2000;
	c->timeout_ms = 1000;
	c->rise = 2;
	c->fall = 3;
	strcpy(c->path, "/");
	strcpy(c->query, ".");
}

/* 1 s, or the interval if it is shorter. */
uint32_t check_default_timeout(uint32_t interval_ms)
{
	return interval_ms < 1000 ? interval_ms : 1000;
}

int check_validate(const struct check *c, char *err, size_t errlen)
{
	if (c->type == NFLB_CHECK_NONE || c->type > NFLB_CHECK_MAX)
		snprintf(err, errlen, "unknown check type %u", c->type);
	else if (c->interval_ms < 100 || c->interval_ms > 3600000)
		snprintf(err, errlen, "interval must be 100 ms .. 3600 s");
	else if (c->timeout_ms < 100 || c->timeout_ms > c->interval_ms)
		snprintf(err, errlen, "timeout must be 100 ms .. the interval");
	else if (c->rise < 1 || c->rise > 100 || c->fall < 1 || c->fall > 100)
		snprintf(err, errlen, "rise and fall must be 1..100");
	else if (c->status_min < 100 || c->status_min > c->status_max ||
		 c->status_max > 599)
		snprintf(err, errlen, "status range must be MIN-MAX within 100..599");
	else
		return 0;
	return -1;
}

const char *addr_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(s4->sin_port));
	}
	return buf;
}

/* "ADDR:PORT" or "[V6]:PORT". */
static int parse_addr_port(const char *s, struct sockaddr_storage *ss)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	unsigned long port;
	char *end;
	size_t hl;

	if (!colon || colon == s)
		return -1;
	hl = (size_t)(colon - s);
	if (*s == '[') {
		if (hl < 3 || s[hl - 1] != ']')
			return -1;
		s++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || port < 1 || port > 65535)
		return -1;
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		ss->ss_family = AF_INET;
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		ss->ss_family = AF_INET6;
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	} else {
		return -1;
	}
	return 0;
}

/*
 * Next word of *p into out: blanks separate words, double quotes keep
 * blanks, and \r \n \t \\ \" are escapes (a send string is often
 * "PING\r\n").  Returns 1 for a word, 0 at the end, -1 if too long or
 * unterminated.
 */
static int next_word(const char **p, char *out, size_t len)
{
	const char *s = *p;
	bool quoted = false;
	size_t n = 0;

	while (isspace((unsigned char)*s))
		s++;
	if (!*s || *s == '#')
		return 0;
	for (; *s && (quoted || !isspace((unsigned char)*s)); s++) {
		char c = *s;

		if (c == '"') {
			quoted = !quoted;
			continue;
		}
		if (c == '\\' && s[1]) {
			s++;
			c = *s == 'r' ? '\r' : *s == 'n' ? '\n' : *s == 't' ? '\t' : *s;
		}
		if (n + 1 >= len)
			return -1;
		out[n++] = c;
	}
	if (quoted)
		return -1;
	out[n] = '\0';
	*p = s;
	return 1;
}

/* A time: "500ms", "2s" or "2" (seconds), "1.5" (seconds). */
static int parse_ms(const char *s, uint32_t *ms)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0)
		return -1;
	if (!strcmp(end, "ms"))
		v /= 1000;
	else if (*end && strcmp(end, "s"))
		return -1;
	if (v > 3600)
		return -1;
	*ms = (uint32_t)(v * 1000 + 0.5);
	return 0;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	return errno || end == s || *end || *v > max || *s == '-' ? -1 : 0;
}

/* The keywords whose value is a string, and where it goes. */
static const struct { const char *kw; size_t off; } str_kws[] = {
	{ "path", offsetof(struct check, path) },
	{ "host", offsetof(struct check, host) },
	{ "expect-body", offsetof(struct check, expect_body) },
	{ "send", offsetof(struct check, send) },
	{ "expect", offsetof(struct check, expect) },
	{ "query", offsetof(struct check, query) },
};

static int parse_str_kw(struct check *c, const char *kw, const char *val,
			char *err, size_t errlen)
{
	size_t i, n = strlen(val);

	for (i = 0; i < sizeof(str_kws) / sizeof(str_kws[0]); i++) {
		if (strcmp(kw, str_kws[i].kw))
			continue;
		if (n >= HD_STR_MAX) {
			snprintf(err, errlen, "%s: longer than %d bytes", kw, HD_STR_MAX - 1);
			return -1;
		}
		memcpy((char *)c + str_kws[i].off, val, n + 1);
		return 0;
	}
	snprintf(err, errlen, "unknown keyword '%s'", kw);
	return -1;
}

/* One keyword and its value; -1 with err set when wrong. */
static int parse_kw(struct target *t, const char *kw, const char *val,
		    char *err, size_t errlen)
{
	struct check *c = &t->chk;
	unsigned long v, v2;
	uint32_t ms;
	char *dash;

	if (!strcmp(kw, "pool")) {
		if (strlen(val) >= sizeof(t->pool))
			goto bad;
		strcpy(t->pool, val);
	} else if (!strcmp(kw, "port")) {
		if (parse_uint(val, 65535, &v))
			goto bad;
		c->port = (uint16_t)v;
	} else if (!strcmp(kw, "interval") || !strcmp(kw, "timeout")) {
		if (parse_ms(val, &ms))
			goto bad;
		*(kw[0] == 'i' ? &c->interval_ms : &c->timeout_ms) = ms;
	} else if (!strcmp(kw, "rise") || !strcmp(kw, "fall")) {
		if (parse_uint(val, 100, &v) || !v)
			goto bad;
		*(kw[0] == 'r' ? &c->rise : &c->fall) = (uint8_t)v;
	} else if (!strcmp(kw, "status")) {
		dash = strchr(val, '-');
		if (dash)
			*dash = '\0';
		if (parse_uint(val, 999, &v) || parse_uint(dash ? dash + 1 : val, 999, &v2))
			goto bad;
		c->status_min = (uint16_t)v;
		c->status_max = (uint16_t)v2;
	} else if (!strcmp(kw, "tls-verify")) {
		if (strcmp(val, "on") && strcmp(val, "off"))
			goto bad;
		c->tls_verify = !strcmp(val, "on");
	} else {
		return parse_str_kw(c, kw, val, err, errlen);
	}
	return 0;
bad:
	snprintf(err, errlen, "%s: bad value '%s'", kw, val);
	return -1;
}

/*
 * Parse "TYPE ADDR:PORT [ KEYWORD VALUE ]..." into t (pool, member, check;
 * the probed address is the member's, on the check's port if given).
 * Returns 0, 1 for an empty or comment line, -1 with err set.
 */
int check_parse_line(const char *line, struct target *t, char *err, size_t errlen)
{
	char kw[HD_STR_MAX], val[HD_STR_MAX];
	const char *p = line;
	int type, r;

	r = next_word(&p, kw, sizeof(kw));
	if (r <= 0) {
		if (r < 0)
			snprintf(err, errlen, "bad quoting or word too long");
		return r < 0 ? -1 : 1;
	}
	for (type = NFLB_CHECK_TCP; type <= NFLB_CHECK_MAX; type++)
		if (!strcmp(kw, type_names[type]))
			break;
	if (type > NFLB_CHECK_MAX) {
		snprintf(err, errlen, "unknown check type '%s' (tcp, http, https, udp-dns)", kw);
		return -1;
	}
	memset(t, 0, sizeof(*t));
	check_defaults(&t->chk, (uint8_t)type);
	strcpy(t->pool, "-");
	t->chk.timeout_ms = 0;		/* left out: the default, within the interval */
	if (next_word(&p, val, sizeof(val)) <= 0 || parse_addr_port(val, &t->member)) {
		snprintf(err, errlen, "expected ADDR:PORT after '%s'", kw);
		return -1;
	}
	while ((r = next_word(&p, kw, sizeof(kw))) > 0) {
		if (next_word(&p, val, sizeof(val)) <= 0) {
			snprintf(err, errlen, "%s: missing value", kw);
			return -1;
		}
		if (parse_kw(t, kw, val, err, errlen))
			return -1;
	}
	if (r < 0) {
		snprintf(err, errlen, "bad quoting or word too long");
		return -1;
	}
	if (!t->chk.timeout_ms)
		t->chk.timeout_ms = check_default_timeout(t->chk.interval_ms);
	t->dst = t->member;
	if (t->chk.port) {
		if (t->dst.ss_family == AF_INET)
			((struct sockaddr_in *)&t->dst)->sin_port = htons(t->chk.port);
		else
			((struct sockaddr_in6 *)&t->dst)->sin6_port = htons(t->chk.port);
	}
	return check_validate(&t->chk, err, errlen);
}
