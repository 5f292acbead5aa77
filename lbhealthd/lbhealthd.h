/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lbhealthd - active health checks for nflb members.  One thread, one
 * epoll: every probe is a non-blocking socket (sock.c) whose events and
 * deadline drive a small state machine (probe.c); a min-heap of targets
 * ordered by their next time (timer.c) gives epoll_wait its timeout.
 */
#ifndef LBHEALTHD_H
#define LBHEALTHD_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/nflb.h>

#define HD_REASON_MAX	NFLB_HEALTH_REASON_MAX
#define HD_STR_MAX	NFLB_CHECK_STR_MAX
#define HD_NAME_MAX	64		/* pool names, with the NUL */
/* A probe reads at most this much: status line, headers and the body a
 * substring is searched in.  Beyond it the probe fails (bounded memory). */
#define HD_RXBUF	8192

/* One check, as the pool (or --check) gives it; units ms. */
struct check {
	uint8_t type;			/* enum nflb_check_type */
	uint16_t port;			/* 0: the member's */
	uint16_t status_min, status_max;
	uint32_t interval_ms, timeout_ms;
	uint8_t rise, fall;
	bool tls_verify;
	char path[HD_STR_MAX], host[HD_STR_MAX], expect_body[HD_STR_MAX];
	char send[HD_STR_MAX], expect[HD_STR_MAX], query[HD_STR_MAX];
};

enum hd_health { HD_UNKNOWN, HD_UP, HD_DOWN };

enum probe_phase {
	PH_IDLE,	/* waiting for its next time */
	PH_CONNECT,	/* TCP connect in progress */
	PH_TLS,		/* TLS handshake */
	PH_SEND,	/* request or send string going out */
	PH_RECV,	/* reading the reply */
};

struct ssl_st;
struct target;

/* A probe's socket, the tag of its epoll events (sock.c). */
struct probe_sock {
	int fd;
	int type;			/* SOCK_STREAM, SOCK_DGRAM; -1: not reusable */
	sa_family_t family;
	struct target *owner;		/* NULL while idle */
	struct sockaddr_storage last_dst;	/* what it connected to last */
	struct probe_sock *next;	/* on the idle or cooling list */
};

/* A member being checked: its identity, its check, its probe. */
struct target {
	char pool[HD_NAME_MAX];
	struct sockaddr_storage member;	/* the member's address and port */
	struct sockaddr_storage dst;	/* what is probed (overrides applied) */
	struct check chk;

	enum hd_health health;		/* as last reported (or read) */
	uint8_t ok_run, fail_run;	/* consecutive results */
	char reason[HD_REASON_MAX];	/* of the last failure */

	/* schedule: heap position and the time it is ordered by (the heap
	 * keeps a copy of due_ms, so that ordering reads no target) */
	uint32_t heap_idx;
	uint64_t due_ms;		/* next probe, or the probe's deadline */
	uint64_t started_ms;

	/* the running probe */
	enum probe_phase phase;
	struct probe_sock *sock;	/* NULL while idle */
	struct ssl_st *ssl;
	uint16_t dns_id;
	uint32_t sent;			/* bytes of the request sent */
	uint32_t rx_len;
	char *rx;			/* HD_RXBUF bytes while probing, else NULL */

	uint32_t gen;			/* config generation that saw it */
	struct target *hnext;		/* hash chain */
};

/* main.c */
extern bool dry_run;
extern int epfd;
uint64_t now_ms(void);
__attribute__((format(printf, 1, 2)))
void hd_log(const char *fmt, ...);

/* check.c: the text form of a check (--check, --file) */
void check_defaults(struct check *c, uint8_t type);
int check_parse_line(const char *line, struct target *t, char *err, size_t errlen);
const char *check_type_name(uint8_t type);
uint32_t check_default_timeout(uint32_t interval_ms);
int check_validate(const struct check *c, char *err, size_t errlen);
const char *addr_str(const struct sockaddr_storage *ss, char *buf, size_t len);

/* targets.c: the set of targets, keyed by pool + member */
struct target *target_find(const char *pool, const struct sockaddr_storage *m);
struct target *target_add(const char *pool, const struct sockaddr_storage *m);
void target_remove(struct target *t);
void target_sweep(uint32_t gen);	/* removes those gen did not see */
unsigned int target_count(void);
void target_set_check(struct target *t, const struct check *c,
		      const struct sockaddr_storage *dst);
void targets_free(void);

/* timer.c: min-heap on due_ms */
void timer_insert(struct target *t);
void timer_update(struct target *t);
void timer_remove(struct target *t);
struct target *timer_peek(void);
int timer_timeout(uint64_t now);	/* ms for epoll_wait, -1: none due */
void timer_cleanup(void);

/* sock.c: probe sockets, TCP ones reused */
struct probe_sock *psock_get(struct target *t, int type);
void psock_put(struct probe_sock *ps);
void psock_settle(void);
void psock_cleanup(void);

/* probe.c: one probe's life */
void probe_start(struct target *t);
void probe_event(struct probe_sock *ps, uint32_t events);
void probe_deadline(struct target *t);
void probe_abort(struct target *t);
int probe_init(void);
void probe_cleanup(void);

/* http.c: parsing replies (pure, unit-testable) */
int http_status(const char *buf, size_t len, int *status);	/* 1 ok, 0 more, -1 bad */
const char *http_body(const char *buf, size_t len);		/* NULL: not yet */
size_t http_request(char *buf, size_t len, const struct check *c,
		    const struct sockaddr_storage *dst);
bool mem_contains(const char *hay, size_t len, const char *needle);

/* dns.c */
int dns_query(uint8_t *buf, size_t len, uint16_t id, const char *name);
/* 1 good answer, 0 not ours (ignore), -1 bad (reason set) */
int dns_reply(const uint8_t *buf, size_t len, uint16_t id, char *reason, size_t rlen);

/* health.c: rise/fall and reporting */
extern bool verbose;		/* log every probe's result */
void health_result(struct target *t, bool ok, const char *reason);

/* nlcfg.c: configuration from and health to the kernel */
int nlcfg_open(void);
int nlcfg_event_fd(void);
int nlcfg_dump(void);			/* full read; 0 or -1 */
int nlcfg_events(void);			/* handle readable events; 1 = re-dump wanted */
int nlcfg_report(const struct target *t, enum hd_health h, const char *reason);
void nlcfg_close(void);

#endif
