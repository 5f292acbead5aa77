// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of lbhealthd's parsers, which see bytes from the network
 * (HTTP status lines, DNS replies) or from the operator (check lines).
 * KTAP output; exit 1 if any case fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lbhealthd.h"

static int n, failed;

static void ok(int cond, const char *what)
{
	n++;
	if (!cond)
		failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", n, what);
}

/* Every prefix of a good status line is "more"; the whole is the status. */
static void test_http_status(void)
{
	static const char good[] = "HTTP/1.1 503 Service Unavailable\r\n";
	int status = -1, more = 1;
	size_t i;

	for (i = 0; i < strlen(good) - 1; i++)
		more &= http_status(good, i, &status) == 0;
	ok(more, "http: each prefix of a status line asks for more");
	ok(http_status(good, strlen(good), &status) == 1 && status == 503,
	   "http: status 503 parsed");
	ok(http_status("HTTP/1.0 200\n", 13, &status) == 1 && status == 200,
	   "http: status line without a reason phrase");
	ok(http_status("SSH-2.0-OpenSSH\r\n", 17, &status) == -1,
	   "http: not HTTP is refused at once");
	ok(http_status("HTTP/1.1 20x OK\r\n", 17, &status) == -1,
	   "http: a non-numeric status is refused");
	ok(http_status("HTTP/1.1 2000 OK\r\n", 18, &status) == -1,
	   "http: a four-digit status is refused");
	ok(http_status("HTTP/1.1 200\r\n", 9, &status) == 0,
	   "http: a status line cut short asks for more");
}

/* A huge status line with no end: the parser never reads past len. */
static void test_http_bounds(void)
{
	size_t len = 4096;
	char *buf = malloc(len);
	int status;

	memcpy(buf, "HTTP/1.1 ", 9);
	memset(buf + 9, '9', len - 9);
	ok(http_status(buf, len, &status) == 0, "http: endless status line is incomplete, not read past");
	ok(!http_body(buf, len), "http: no body without the end of the headers");
	free(buf);
	ok(http_body("HTTP/1.0 200 OK\r\nA: b\r\n\r\nhello", 30) != NULL &&
	   !strncmp(http_body("HTTP/1.0 200 OK\r\nA: b\r\n\r\nhello", 30), "hello", 5),
	   "http: body found after the blank line");
	ok(mem_contains("xx healthy yy", 13, "healthy") && !mem_contains("heal", 4, "healthy"),
	   "http: substring search within bounds");
}

static void test_http_request(void)
{
	struct target t;
	char err[128], buf[1024];
	size_t len;

	check_parse_line("http 10.0.0.2:8080 path /health", &t, err, sizeof(err));
	len = http_request(buf, sizeof(buf), &t.chk, &t.dst);
	buf[len] = '\0';
	ok(len && strstr(buf, "GET /health HTTP/1.0\r\n") && strstr(buf, "Host: 10.0.0.2:8080\r\n") &&
	   strstr(buf, "Connection: close\r\n\r\n"), "http: request line and Host header");
}

static void test_dns(void)
{
	uint8_t q[300], r[64];
	char reason[64] = "";
	int len = dns_query(q, sizeof(q), 0x1234, "example.com");

	ok(len == 12 + 13 + 4 && q[12] == 7 && !memcmp(q + 13, "example", 7) && q[20] == 3,
	   "dns: query for example.com encoded as labels");
	ok(dns_query(q, sizeof(q), 1, ".") == 12 + 1 + 4, "dns: root query");
	ok(dns_query(q, sizeof(q), 1, "a..b") < 0, "dns: empty label refused");
	memset(r, 0, sizeof(r));
	r[0] = 0x12;
	r[1] = 0x34;
	r[2] = 0x81;
	ok(dns_reply(r, 12, 0x1234, reason, sizeof(reason)) == 1, "dns: NOERROR reply is up");
	r[3] = 3;
	ok(dns_reply(r, 12, 0x1234, reason, sizeof(reason)) == 1, "dns: NXDOMAIN reply is up");
	r[3] = 2;
	ok(dns_reply(r, 12, 0x1234, reason, sizeof(reason)) == -1 &&
	   !strcmp(reason, "dns SERVFAIL"), "dns: SERVFAIL is down with its name");
	r[3] = 5;
	ok(dns_reply(r, 12, 0x1234, reason, sizeof(reason)) == -1 &&
	   !strcmp(reason, "dns REFUSED"), "dns: REFUSED is down");
	ok(dns_reply(r, 12, 0x4321, reason, sizeof(reason)) == 0, "dns: another id is ignored");
	ok(dns_reply(r, 11, 0x1234, reason, sizeof(reason)) == 0, "dns: short reply is ignored");
	r[2] = 0x01;
	ok(dns_reply(r, 12, 0x1234, reason, sizeof(reason)) == 0, "dns: a query (QR clear) is ignored");
}

static void test_check_line(void)
{
	struct target t;
	char err[128];

	ok(check_parse_line("tcp 10.0.0.2:80 interval 1 timeout 500ms rise 2 fall 3 send \"PING\\r\\n\" expect PONG",
			    &t, err, sizeof(err)) == 0 && t.chk.interval_ms == 1000 &&
	   t.chk.timeout_ms == 500 && !strcmp(t.chk.send, "PING\r\n"), "check: tcp line with quotes and escapes");
	ok(check_parse_line("http [fd00::2]:80 status 200-204 port 8080", &t, err, sizeof(err)) == 0 &&
	   t.chk.status_max == 204 && t.dst.ss_family == AF_INET6, "check: http over IPv6 with a check port");
	ok(check_parse_line("tcp 10.0.0.2:80 interval 1 timeout 2", &t, err, sizeof(err)) < 0,
	   "check: timeout longer than the interval refused");
	ok(check_parse_line("smtp 10.0.0.2:25", &t, err, sizeof(err)) < 0, "check: unknown type refused");
	ok(check_parse_line("tcp 10.0.0.2", &t, err, sizeof(err)) < 0, "check: missing port refused");
	ok(check_parse_line("tcp 10.0.0.2:80 rise", &t, err, sizeof(err)) < 0, "check: keyword without value refused");
	ok(check_parse_line("  # comment", &t, err, sizeof(err)) == 1, "check: comment line skipped");
}

int main(void)
{
	printf("TAP version 13\n");
	test_http_status();
	test_http_bounds();
	test_http_request();
	test_dns();
	test_check_line();
	printf("1..%d\n# %d passed, %d failed\n", n, n - failed, failed);
	return failed ? 1 : 0;
}
