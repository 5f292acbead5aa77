// SPDX-License-Identifier: GPL-2.0
/*
 * Argument parsing (numbers, addresses, ports, protocols, names), the
 * names of the ABI's enum values, and reading a timeouts nest.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "lbctl.h"

const char *const sched_names[NFLB_SCHED_MAX + 1] = {
	[NFLB_SCHED_RR] = "rr", [NFLB_SCHED_WRR] = "wrr", [NFLB_SCHED_LC] = "lc",
	[NFLB_SCHED_WLC] = "wlc", [NFLB_SCHED_SH] = "sh", [NFLB_SCHED_MH] = "mh",
};

const char *const state_names[NFLB_STATE_MAX + 1] = {
	[NFLB_TCP_SYN_SENT] = "syn-sent", [NFLB_TCP_SYN_RECV] = "syn-recv",
	[NFLB_TCP_ESTABLISHED] = "established", [NFLB_TCP_FIN_WAIT] = "fin-wait",
	[NFLB_TCP_CLOSE_WAIT] = "close-wait", [NFLB_TCP_LAST_ACK] = "last-ack",
	[NFLB_TCP_TIME_WAIT] = "time-wait", [NFLB_TCP_CLOSE] = "close",
	[NFLB_UDP] = "udp",
};

const char *const timeout_names[NFLB_STATE_MAX + 1] = {
	[NFLB_TCP_SYN_SENT] = "tcp-syn-sent", [NFLB_TCP_SYN_RECV] = "tcp-syn-recv",
	[NFLB_TCP_ESTABLISHED] = "tcp-established",
	[NFLB_TCP_FIN_WAIT] = "tcp-fin-wait", [NFLB_TCP_CLOSE_WAIT] = "tcp-close-wait",
	[NFLB_TCP_LAST_ACK] = "tcp-last-ack", [NFLB_TCP_TIME_WAIT] = "tcp-time-wait",
	[NFLB_TCP_CLOSE] = "tcp-close", [NFLB_UDP] = "udp",
};

const char *const stats_keys[NFLB_STATS_A_MAX + 1] = {
	[NFLB_STATS_A_PKTS_IN] = "pkts_in",
	[NFLB_STATS_A_BYTES_IN] = "bytes_in",
	[NFLB_STATS_A_PKTS_OUT] = "pkts_out",
	[NFLB_STATS_A_BYTES_OUT] = "bytes_out",
	[NFLB_STATS_A_SESSIONS_CREATED] = "sessions_created",
	[NFLB_STATS_A_SESSIONS_EXPIRED] = "sessions_expired",
	[NFLB_STATS_A_SESSIONS_ACTIVE] = "sessions_active",
	[NFLB_STATS_A_DROP_NO_SESSION] = "drop_no_session",
	[NFLB_STATS_A_DROP_SESSION_LIMIT] = "drop_session_limit",
	[NFLB_STATS_A_DROP_MALFORMED] = "drop_malformed",
	[NFLB_STATS_A_DROP_NO_MEMBER] = "drop_no_member",
	[NFLB_STATS_A_DROP_BAD_CSUM] = "drop_bad_csum",
	[NFLB_STATS_A_DROP_NOMEM] = "drop_nomem",
	[NFLB_STATS_A_RESETS_SENT] = "resets_sent",
	[NFLB_STATS_A_ICMP_XLATED] = "icmp_xlated",
	[NFLB_STATS_A_DROP_OUT_OF_WINDOW] = "drop_out_of_window",
	[NFLB_STATS_A_SESSIONS_EVICTED] = "sessions_evicted",
	[NFLB_STATS_A_PERSIST_ACTIVE] = "persist_active",
	[NFLB_STATS_A_PASSIVE_FAILS] = "passive_fails",
	[NFLB_STATS_A_EJECTIONS] = "ejections",
	[NFLB_STATS_A_EJECTIONS_CAPPED] = "ejections_capped",
};

const struct flag_name vs_flag_names[] = {
	{ NFLB_VS_F_LOOSE, "loose" },
	{ NFLB_VS_F_RESET_ON_EXPIRY, "reset-on-expiry" },
	{ NFLB_VS_F_HASH_PORT, "hash-port" },
	{ NFLB_VS_F_RST_NO_MEMBER, "rst-no-member" },
	{ NFLB_VS_F_DRAIN, "drain" },
	{ 0, NULL }
};

bool arg_is(const char *arg, const char *word)
{
	return !strcmp(arg, word);
}

int lookup_name(const char *const *names, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], s))
			return i;
	return -1;
}

int parse_sched(const char *s, uint32_t *sched)
{
	int i = lookup_name(sched_names, NFLB_SCHED_MAX + 1, s);

	if (i < 0)
		return -1;
	*sched = (uint32_t)i;
	return 0;
}

int parse_timeout_state(const char *s)
{
	return lookup_name(timeout_names, NFLB_STATE_MAX + 1, s);
}

int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long long v = 0;
	const char *p = s;

	if (!*p)
		return -1;
	for (; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return -1;
		v = v * 10 + (unsigned)(*p - '0');
		if (v > UINT32_MAX)
			return -1;
	}
	if (v < min || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int parse_onoff(const char *s, bool *val)
{
	if (!strcmp(s, "on") || !strcmp(s, "yes") || !strcmp(s, "1")) {
		*val = true;
		return 0;
	}
	if (!strcmp(s, "off") || !strcmp(s, "no") || !strcmp(s, "0")) {
		*val = false;
		return 0;
	}
	return -1;
}

int parse_addr(const char *s, struct lb_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->v4) == 1) {
		a->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a->v6) == 1) {
		a->family = AF_INET6;
		return 0;
	}
	return -1;
}

int parse_prefix(const char *s, struct lb_addr *a, uint8_t *plen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	uint32_t len;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	if (slash)
		buf[slash - s] = '\0';
	if (buf[0] == '[') {	/* tolerate [v6] */
		size_t l = strlen(buf);

		if (l < 2 || buf[l - 1] != ']')
			return -1;
		buf[l - 1] = '\0';
		memmove(buf, buf + 1, l - 1);
	}
	if (parse_addr(buf, a) < 0)
		return -1;
	if (!slash) {
		*plen = a->family == AF_INET ? 32 : 128;
		return 0;
	}
	if (parse_u32(slash + 1, 0, a->family == AF_INET ? 32 : 128, &len) < 0)
		return -1;
	*plen = (uint8_t)len;
	return 0;
}

int parse_port(const char *s, const char *proto, uint16_t *port)
{
	uint32_t v;
	struct servent *se;

	if (isdigit((unsigned char)s[0])) {
		if (parse_u32(s, 1, 65535, &v) < 0)
			return -1;
		*port = (uint16_t)v;
		return 0;
	}
	if (!*s)
		return -1;
	se = getservbyname(s, proto);
	if (!se)
		return -1;
	*port = ntohs((uint16_t)se->s_port);
	return *port ? 0 : -1;
}

int parse_addr_port(const char *s, struct lb_addr *a, uint16_t *port,
		    const char *proto, bool port_optional)
{
	char buf[INET6_ADDRSTRLEN + 64];
	const char *colon;
	char *portstr = NULL;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	*port = 0;
	memset(a, 0, sizeof(*a));
	if (buf[0] == '[') {
		char *rb = strchr(buf, ']');

		if (!rb)
			return -1;
		*rb = '\0';
		if (rb[1] == ':')
			portstr = rb + 2;
		else if (rb[1] != '\0')
			return -1;
		if (inet_pton(AF_INET6, buf + 1, &a->v6) != 1)
			return -1;
		a->family = AF_INET6;
	} else {
		colon = strchr(buf, ':');
		if (colon && strchr(colon + 1, ':')) {
			/* bare IPv6 address: no port possible */
			if (parse_addr(buf, a) < 0 || a->family != AF_INET6)
				return -1;
		} else {
			if (colon) {
				buf[colon - buf] = '\0';
				portstr = buf + (colon - buf) + 1;
			}
			memset(a, 0, sizeof(*a));
			if (inet_pton(AF_INET, buf, &a->v4) != 1)
				return -1;
			a->family = AF_INET;
		}
	}
	if (portstr)
		return parse_port(portstr, proto, port);
	return port_optional ? 0 : -1;
}

int parse_proto(const char *s, uint8_t *proto)
{
	struct protoent *pe;
	uint32_t v;

	if (!strcmp(s, "tcp") || !strcmp(s, "TCP")) {
		*proto = IPPROTO_TCP;
		return 0;
	}
	if (!strcmp(s, "udp") || !strcmp(s, "UDP")) {
		*proto = IPPROTO_UDP;
		return 0;
	}
	if (parse_u32(s, 0, 255, &v) == 0) {
		*proto = (uint8_t)v;
	} else {
		pe = getprotobyname(s);
		if (!pe)
			return -1;
		*proto = (uint8_t)pe->p_proto;
	}
	return *proto == IPPROTO_TCP || *proto == IPPROTO_UDP ? 0 : -1;
}

const char *proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	default: return "unknown";
	}
}

int check_name(const char *what, const char *s)
{
	size_t n = strlen(s);
	const char *p;

	for (p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
			break;
	if (n == 0 || n >= NFLB_NAME_MAX || *p)
		return usage_err(what, "invalid name '%s': use 1-%d characters of A-Z a-z 0-9 _ . -",
				 s, NFLB_NAME_MAX - 1);
	return 0;
}

int arg_u32(const char *obj, const char *kw, const char *s,
	    uint32_t min, uint32_t max, uint32_t *out)
{
	if (parse_u32(s, min, max, out) == 0)
		return 0;
	return usage_err(obj, "%s: expected a number %u-%u, got '%s'", kw, min, max, s);
}

int arg_onoff(const char *obj, const char *kw, const char *s, bool *val)
{
	if (parse_onoff(s, val) == 0)
		return 0;
	return usage_err(obj, "%s: expected on or off, got '%s'", kw, s);
}

/* ------------------------------------------------------------------ */

/* The timeouts of a nest, by state (0 where absent); how many it has. */
int attr_timeouts(const struct nlattr *nest, uint32_t *vals)
{
	const struct nlattr *tb[NFLB_TIMEOUT_A_MAX + 1];
	int n = 0;

	memset(vals, 0, sizeof(*vals) * (NFLB_STATE_MAX + 1));
	if (!nest || nl_parse_nest(nest, tb, NFLB_TIMEOUT_A_MAX) < 0)
		return 0;
	for (int i = 0; i <= NFLB_STATE_MAX; i++)
		if (tb[i + 1]) {
			vals[i] = attr_u32(tb[i + 1]);
			n++;
		}
	return n;
}
