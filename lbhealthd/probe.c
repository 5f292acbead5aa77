// SPDX-License-Identifier: GPL-2.0
/*
 * One probe's life: a non-blocking socket, driven by its epoll events and
 * ended by its deadline (the target's due_ms while it probes).
 *
 *   tcp:     connect [-> send STR] [-> read until EXPECT is seen]
 *   http(s): connect [-> TLS handshake] -> send GET -> read the status
 *            line [-> read until EXPECT-BODY is seen in the body]
 *   udp-dns: send a query -> read until the reply with our id
 *
 * Replies are read into a bounded buffer (HD_RXBUF): whatever a server
 * sends, a probe holds at most that much and ends by its deadline.  A
 * finished TCP probe resets its connection (sock.c): thousands of probes
 * a second would otherwise leave as many sockets in TIME_WAIT.
 *
 * Sockets are edge-triggered (sock.c): each step does its I/O until it is
 * done or would block, and a step that starts the next one runs it at
 * once; an event that finds nothing to do costs one failed read or write.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "lbhealthd.h"

static SSL_CTX *ctx_noverify, *ctx_verify;

int probe_init(void)
{
	ctx_noverify = SSL_CTX_new(TLS_client_method());
	ctx_verify = SSL_CTX_new(TLS_client_method());
	if (!ctx_noverify || !ctx_verify)
		return -1;
	SSL_CTX_set_verify(ctx_noverify, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_verify(ctx_verify, SSL_VERIFY_PEER, NULL);
	if (SSL_CTX_set_default_verify_paths(ctx_verify) != 1)
		return -1;
	return 0;
}

void probe_cleanup(void)
{
	SSL_CTX_free(ctx_noverify);
	SSL_CTX_free(ctx_verify);
}

static int probe_fd(const struct target *t)
{
	return t->sock->fd;
}

static void release(struct target *t)
{
	if (t->ssl) {
		SSL_free((SSL *)t->ssl);	/* leaves the fd open */
		t->ssl = NULL;
	}
	if (t->sock) {
		psock_put(t->sock);
		t->sock = NULL;
	}
	free(t->rx);
	t->rx = NULL;
	t->phase = PH_IDLE;
}

/* Ends the probe without a result (the target goes or its check changed). */
void probe_abort(struct target *t)
{
	release(t);
}

/* Ends the probe with a result; the next one is an interval after this one's start. */
static void finish(struct target *t, bool ok, const char *reason)
{
	uint64_t now = now_ms(), next = t->started_ms + t->chk.interval_ms;

	release(t);
	t->due_ms = next > now ? next : now + 1;
	timer_update(t);
	health_result(t, ok, reason);
}

static void fail_errno(struct target *t, const char *what, int err)
{
	char reason[HD_REASON_MAX];

	if (err == ECONNREFUSED)
		snprintf(reason, sizeof(reason), "refused");
	else if (err == ECONNRESET || err == EPIPE)
		snprintf(reason, sizeof(reason), "reset");
	else if (err == ETIMEDOUT)
		snprintf(reason, sizeof(reason), "%s timeout", what);
	else
		snprintf(reason, sizeof(reason), "%s: %s", what, strerror(err));
	finish(t, false, reason);
}

static void fail_tls(struct target *t, const char *what)
{
	char reason[HD_REASON_MAX];
	long v = t->ssl ? SSL_get_verify_result((SSL *)t->ssl) : X509_V_OK;

	if (v != X509_V_OK)
		snprintf(reason, sizeof(reason), "tls verify: %s",
			 X509_verify_cert_error_string(v));
	else
		snprintf(reason, sizeof(reason), "tls %s failed", what);
	ERR_clear_error();
	finish(t, false, reason);
}

/* The reason a probe that ran out of time gives, by how far it got. */
void probe_deadline(struct target *t)
{
	static const char *const where[] = {
		[PH_CONNECT] = "connect timeout", [PH_TLS] = "tls timeout",
		[PH_SEND] = "send timeout", [PH_RECV] = "response timeout",
	};

	if (t->chk.type == NFLB_CHECK_UDP_DNS)
		finish(t, false, "dns timeout");
	else
		finish(t, false, where[t->phase] ? where[t->phase] : "timeout");
}

/* ---- I/O over TCP or TLS: >0 bytes, 0 end of stream, -1 again later, -2 error ---- */

static int tls_io_result(struct target *t, int r)
{
	switch (SSL_get_error((SSL *)t->ssl, r)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return -1;	/* the socket's next event resumes it */
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	default:
		return -2;
	}
}

static int io_write(struct target *t, const char *buf, size_t len)
{
	ssize_t n;

	if (t->ssl) {
		int r = SSL_write((SSL *)t->ssl, buf, (int)len);

		return r > 0 ? r : tls_io_result(t, r);
	}
	n = send(probe_fd(t), buf, len, MSG_NOSIGNAL);
	if (n >= 0)
		return (int)n;
	return errno == EAGAIN || errno == EINTR ? -1 : -2;
}

static int io_read(struct target *t, char *buf, size_t len)
{
	ssize_t n;

	if (t->ssl) {
		int r = SSL_read((SSL *)t->ssl, buf, (int)len);

		return r > 0 ? r : tls_io_result(t, r);
	}
	n = recv(probe_fd(t), buf, len, 0);
	if (n >= 0)
		return (int)n;
	return errno == EAGAIN || errno == EINTR ? -1 : -2;
}

/* ---- verdicts on what was read ---- */

/* 1 up, -1 down (reason set), 0 read more.  done: no more will come. */
static int judge_http(struct target *t, bool done, char *reason, size_t rlen)
{
	const struct check *c = &t->chk;
	const char *body;
	int status, r = http_status(t->rx, t->rx_len, &status);

	if (r < 0 || (r == 0 && done)) {
		snprintf(reason, rlen, "http bad status line");
		return -1;
	}
	if (r == 0)
		return 0;
	if (status < c->status_min || status > c->status_max) {
		snprintf(reason, rlen, "http %d", status);
		return -1;
	}
	if (!c->expect_body[0])
		return 1;
	body = http_body(t->rx, t->rx_len);
	if (body && mem_contains(body, t->rx_len - (size_t)(body - t->rx), c->expect_body))
		return 1;
	if (!done)
		return 0;
	snprintf(reason, rlen, "http body mismatch");
	return -1;
}

static int judge(struct target *t, bool done, char *reason, size_t rlen)
{
	if (t->chk.type == NFLB_CHECK_TCP) {
		if (mem_contains(t->rx, t->rx_len, t->chk.expect))
			return 1;
		if (!done)
			return 0;
		snprintf(reason, rlen, "expect mismatch");
		return -1;
	}
	return judge_http(t, done, reason, rlen);
}

static void do_recv(struct target *t)
{
	char reason[HD_REASON_MAX];
	int n, v;

	for (;;) {
		n = io_read(t, t->rx + t->rx_len, HD_RXBUF - t->rx_len);
		if (n == -1)
			return;
		if (n == -2) {
			if (t->ssl)
				fail_tls(t, "read");
			else
				fail_errno(t, "read", errno);
			return;
		}
		t->rx_len += (uint32_t)n;
		/* done: the server closed, or the buffer holds all we read */
		v = judge(t, n == 0 || t->rx_len == HD_RXBUF, reason, sizeof(reason));
		if (v) {
			finish(t, v > 0, reason);
			return;
		}
	}
}

static void do_send(struct target *t)
{
	int n;

	while (t->sent < t->rx_len) {
		n = io_write(t, t->rx + t->sent, t->rx_len - t->sent);
		if (n == -1)
			return;
		if (n <= 0) {
			if (t->ssl)
				fail_tls(t, "write");
			else
				fail_errno(t, "send", errno);
			return;
		}
		t->sent += (uint32_t)n;
	}
	/* a tcp check with a send string and nothing to expect is done */
	if (t->chk.type == NFLB_CHECK_TCP && !t->chk.expect[0]) {
		finish(t, true, "");
		return;
	}
	t->rx_len = 0;
	t->phase = PH_RECV;
	do_recv(t);
}

/* Connected (and TLS up, for https): what is sent and read next. */
static void start_exchange(struct target *t)
{
	const struct check *c = &t->chk;
	size_t len;

	t->sent = 0;
	if (c->type == NFLB_CHECK_TCP && !c->send[0]) {
		if (!c->expect[0]) {
			finish(t, true, "");
			return;
		}
		t->rx_len = 0;
		t->phase = PH_RECV;
		do_recv(t);
		return;
	}
	if (c->type == NFLB_CHECK_TCP) {
		len = strlen(c->send);
		memcpy(t->rx, c->send, len);
	} else {
		len = http_request(t->rx, HD_RXBUF, c, &t->dst);
	}
	t->rx_len = (uint32_t)len;
	t->phase = PH_SEND;
	do_send(t);
}

static bool is_ip(const char *s)
{
	struct in6_addr a;

	return inet_pton(AF_INET, s, &a) == 1 || inet_pton(AF_INET6, s, &a) == 1;
}

static void do_handshake(struct target *t)
{
	int r = SSL_connect((SSL *)t->ssl);

	if (r == 1) {
		start_exchange(t);
		return;
	}
	if (tls_io_result(t, r) == -2)
		fail_tls(t, "handshake");
}

static void start_tls(struct target *t)
{
	const struct check *c = &t->chk;
	SSL *ssl = SSL_new(c->tls_verify ? ctx_verify : ctx_noverify);

	t->ssl = (struct ssl_st *)ssl;
	if (!ssl || SSL_set_fd(ssl, probe_fd(t)) != 1) {
		fail_tls(t, "setup");
		return;
	}
	if (c->host[0] && !is_ip(c->host))
		SSL_set_tlsext_host_name(ssl, c->host);
	if (c->tls_verify) {
		char a[INET6_ADDRSTRLEN];
		const void *ip = t->dst.ss_family == AF_INET6 ?
			(const void *)&((struct sockaddr_in6 *)&t->dst)->sin6_addr :
			(const void *)&((struct sockaddr_in *)&t->dst)->sin_addr;

		if (c->host[0] && !is_ip(c->host)) {
			SSL_set1_host(ssl, c->host);
		} else {
			inet_ntop(t->dst.ss_family, ip, a, sizeof(a));
			X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), c->host[0] ? c->host : a);
		}
	}
	t->phase = PH_TLS;
	do_handshake(t);
}

static void connected(struct target *t)
{
	if (t->chk.type == NFLB_CHECK_HTTPS)
		start_tls(t);
	else
		start_exchange(t);
}

/* ---- udp-dns ---- */

static void dns_recv(struct target *t)
{
	uint8_t buf[1500];
	char reason[HD_REASON_MAX];
	ssize_t n;
	int v;

	for (;;) {
		n = recv(probe_fd(t), buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				fail_errno(t, "dns", errno);
			return;
		}
		v = dns_reply(buf, (size_t)n, t->dns_id, reason, sizeof(reason));
		if (v) {
			finish(t, v > 0, reason);
			return;
		}
	}
}

static void dns_start(struct target *t)
{
	uint8_t q[300];
	int len;

	t->dns_id = (uint16_t)random();
	len = dns_query(q, sizeof(q), t->dns_id, t->chk.query);
	if (len < 0) {
		finish(t, false, "dns bad query name");
		return;
	}
	if (send(probe_fd(t), q, (size_t)len, 0) < 0) {
		fail_errno(t, "dns send", errno);
		return;
	}
	t->phase = PH_RECV;	/* the socket was registered before: the reply raises an event */
}

/* ---- entry points ---- */

void probe_start(struct target *t)
{
	bool udp = t->chk.type == NFLB_CHECK_UDP_DNS;
	socklen_t alen = t->dst.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						       : sizeof(struct sockaddr_in);

	t->started_ms = now_ms();
	t->due_ms = t->started_ms + t->chk.timeout_ms;
	timer_update(t);
	/* a plain connect check reads nothing: no buffer */
	if (t->chk.type != NFLB_CHECK_TCP || t->chk.send[0] || t->chk.expect[0]) {
		t->rx = malloc(HD_RXBUF);
		if (!t->rx) {
			fail_errno(t, "probe", ENOMEM);
			return;
		}
	}
	t->sock = psock_get(t, udp ? SOCK_DGRAM : SOCK_STREAM);
	if (!t->sock) {
		fail_errno(t, "socket", errno);
		return;
	}
	t->phase = PH_CONNECT;
	if (connect(probe_fd(t), (struct sockaddr *)&t->dst, alen) == 0) {
		if (udp)
			dns_start(t);
		else
			connected(t);
	} else if (errno != EINPROGRESS) {
		fail_errno(t, "connect", errno);
	}
	/* in progress: the socket's writable (or error) event follows */
}

/* A TCP connect in progress ended: connected, or the error it met. */
static void connect_done(struct target *t, uint32_t events)
{
	int err = 0;
	socklen_t len = sizeof(err);

	/* writable without an error is connected: no syscall to ask */
	if (!(events & (EPOLLERR | EPOLLHUP))) {
		if (events & EPOLLOUT)
			connected(t);
		return;
	}
	if (getsockopt(probe_fd(t), SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	fail_errno(t, "connect", err ? err : ECONNREFUSED);
}

void probe_event(struct probe_sock *ps, uint32_t events)
{
	struct target *t = ps->owner;

	if (!t)
		return;		/* idle: its probe ended, perhaps in this batch */
	switch (t->phase) {
	case PH_CONNECT:
		connect_done(t, events);
		break;
	case PH_TLS:
		do_handshake(t);
		break;
	case PH_SEND:
		do_send(t);
		break;
	case PH_RECV:
		if (t->chk.type == NFLB_CHECK_UDP_DNS)
			dns_recv(t);
		else
			do_recv(t);
		break;
	default:
		break;
	}
}
