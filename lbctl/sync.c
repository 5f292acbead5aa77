// SPDX-License-Identifier: GPL-2.0
/*
 * lbctl sync: session sync between load balancers (Documentation/sync.rst).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lbctl.h"

/* The kernel's range of NFLB_SYNC_A_RATE (kmod/sync.h), checked here first. */
#define SYNC_RATE_MIN		1000u
#define SYNC_RATE_MAX		10000000u
#define SYNC_RATE_DEFAULT	100000u
/* ... and of NFLB_SYNC_A_DELAY, ms. */
#define SYNC_DELAY_MIN		1u
#define SYNC_DELAY_MAX		1000u
#define SYNC_DELAY_DEFAULT	50u

void sync_usage(FILE *f)
{
	fprintf(f,
"Usage: lbctl sync set node-id N local ADDR [ port P ] peer ADDR [ peer ADDR ... ]\n"
"                      key HEX [ rate N ] [ delay MS ] [ redirect { on | off } ]\n"
"       lbctl sync show\n"
"       lbctl sync wait [ timeout SECS ]\n"
"       lbctl sync del\n"
"node-id 1..255, unique among the peers; local: this node's address (IPv4 or\n"
"IPv6), which the sync socket binds; port: the UDP port of every node (default\n"
"%d); peer: up to %d addresses of the local address's family; key: %d hex\n"
"digits (%d bytes), the same on every node; rate: session records a second\n"
"this node sends at most, %u..%u (default %u); delay: how long a change may\n"
"wait for others to fill its datagram, %u..%u ms (default %u; the lag of an\n"
"idle node's peers); redirect: packets with no session go to their flow's\n"
"owner node (default on; an active-standby pair sets it off).  set replaces\n"
"a running sync.\n"
"wait exits 0 once this node is ready (its bulk resync done, or no peer\n"
"answered), 1 on timeout or error.\n",
		NFLB_SYNC_PORT_DEFAULT, NFLB_SYNC_PEERS_MAX,
		2 * NFLB_SYNC_KEY_LEN, NFLB_SYNC_KEY_LEN, SYNC_RATE_MIN,
		SYNC_RATE_MAX, SYNC_RATE_DEFAULT, SYNC_DELAY_MIN, SYNC_DELAY_MAX,
		SYNC_DELAY_DEFAULT);
}

static const char *const peer_states[NFLB_SYNC_PEER_MAX + 1] = {
	[NFLB_SYNC_PEER_DOWN] = "down",
	[NFLB_SYNC_PEER_UP] = "up",
	[NFLB_SYNC_PEER_SYNCING] = "syncing",
};

/* Counters: attribute, JSON key; text uses dashes. */
static const struct {
	int attr;
	const char *key;
} counters[] = {
	{ NFLB_SYNC_STATS_A_TX_DATAGRAMS, "tx_datagrams" },
	{ NFLB_SYNC_STATS_A_TX_RECORDS, "tx_records" },
	{ NFLB_SYNC_STATS_A_TX_ERRORS, "tx_errors" },
	{ NFLB_SYNC_STATS_A_TX_DROPPED, "tx_dropped" },
	{ NFLB_SYNC_STATS_A_RX_DATAGRAMS, "rx_datagrams" },
	{ NFLB_SYNC_STATS_A_RX_RECORDS, "rx_records" },
	{ NFLB_SYNC_STATS_A_RX_BAD_MAC, "rx_bad_mac" },
	{ NFLB_SYNC_STATS_A_RX_REPLAY, "rx_replay" },
	{ NFLB_SYNC_STATS_A_RX_MALFORMED, "rx_malformed" },
	{ NFLB_SYNC_STATS_A_RX_UNKNOWN_PEER, "rx_unknown_peer" },
	{ NFLB_SYNC_STATS_A_RX_UNKNOWN_VS, "rx_unknown_vs" },
	{ NFLB_SYNC_STATS_A_RX_UNKNOWN_MEMBER, "rx_unknown_member" },
	{ NFLB_SYNC_STATS_A_RX_INSTALL_FAILED, "rx_install_failed" },
	{ NFLB_SYNC_STATS_A_RX_QUEUE_FULL, "rx_queue_full" },
	{ NFLB_SYNC_STATS_A_TX_NACKS, "tx_nacks" },
	{ NFLB_SYNC_STATS_A_TX_RESENT, "tx_resent" },
	{ NFLB_SYNC_STATS_A_RX_LOST, "rx_lost" },
	{ NFLB_SYNC_STATS_A_BULK_WALKS, "bulk_walks" },
	{ NFLB_SYNC_STATS_A_BULK_REFUSED, "bulk_refused" },
	{ NFLB_SYNC_STATS_A_TX_REDIRECTED, "tx_redirected" },
	{ NFLB_SYNC_STATS_A_RX_REDIRECTED, "rx_redirected" },
	{ NFLB_SYNC_STATS_A_TX_REDIRECT_ERRORS, "tx_redirect_errors" },
	{ NFLB_SYNC_STATS_A_TX_REDIRECT_FRAG, "tx_redirect_frag" },
	{ NFLB_SYNC_STATS_A_REDIRECT_DROP_NOT_PEER, "redirect_drop_not_peer" },
	{ NFLB_SYNC_STATS_A_REDIRECT_DROP_BAD_MAC, "redirect_drop_bad_mac" },
	{ NFLB_SYNC_STATS_A_REDIRECT_DROP_MALFORMED, "redirect_drop_malformed" },
	{ NFLB_SYNC_STATS_A_REDIRECT_DROP_NOT_OURS, "redirect_drop_not_ours" },
	{ NFLB_SYNC_STATS_A_REDIRECT_DROP_NOT_OWNER, "redirect_drop_not_owner" },
};

/* "key_name" as text: "key-name". */
static const char *dashed(const char *key, char *buf, size_t len)
{
	size_t i;

	for (i = 0; key[i] && i + 1 < len; i++)
		buf[i] = key[i] == '_' ? '-' : key[i];
	buf[i] = '\0';
	return buf;
}

static int parse_key(const char *s, uint8_t *key)
{
	if (strlen(s) != 2 * NFLB_SYNC_KEY_LEN)
		return -1;
	for (int i = 0; i < NFLB_SYNC_KEY_LEN; i++) {
		unsigned int v;

		if (!isxdigit((unsigned char)s[2 * i]) ||
		    !isxdigit((unsigned char)s[2 * i + 1]) ||
		    sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		key[i] = (uint8_t)v;
	}
	return 0;
}

static void put_addr(struct nlmsghdr *nlh, int a4, int a6, const struct lb_addr *a)
{
	if (a->family == AF_INET)
		mnl_attr_put(nlh, a4, 4, &a->v4);
	else
		mnl_attr_put(nlh, a6, 16, &a->v6);
}

struct sync_args {
	uint32_t node_id;
	bool has_node, has_local, has_key;
	struct lb_addr local;
	uint32_t port;
	uint32_t rate;			/* 0: not given */
	uint32_t delay;			/* ms; 0: not given */
	int redirect;			/* -1: not given, else 0 or 1 */
	struct lb_addr peers[NFLB_SYNC_PEERS_MAX];
	int npeers;
	uint8_t key[NFLB_SYNC_KEY_LEN];
};

/* One keyword and its value of `sync set`. */
static int sync_set_arg(const char *kw, const char *val, struct sync_args *a)
{
	struct lb_addr addr;

	if (arg_is(kw, "node-id")) {
		a->has_node = true;
		return arg_u32("sync", kw, val, 1, 255, &a->node_id);
	}
	if (arg_is(kw, "port"))
		return arg_u32("sync", kw, val, 1, 65535, &a->port);
	if (arg_is(kw, "rate"))
		return arg_u32("sync", kw, val, SYNC_RATE_MIN, SYNC_RATE_MAX, &a->rate);
	if (arg_is(kw, "delay"))
		return arg_u32("sync", kw, val, SYNC_DELAY_MIN, SYNC_DELAY_MAX, &a->delay);
	if (arg_is(kw, "redirect")) {
		if (strcmp(val, "on") && strcmp(val, "off"))
			return usage_err("sync", "redirect: expected on or off, got '%s'", val);
		a->redirect = !strcmp(val, "on");
		return 0;
	}
	if (arg_is(kw, "key")) {
		a->has_key = true;
		if (parse_key(val, a->key))
			return usage_err("sync", "key: expected %d hex digits",
					 2 * NFLB_SYNC_KEY_LEN);
		return 0;
	}
	if (parse_addr(val, &addr))
		return usage_err("sync", "%s: expected an IPv4 or IPv6 address, got '%s'",
				 kw, val);
	if (arg_is(kw, "local")) {
		a->local = addr;
		a->has_local = true;
		return 0;
	}
	if (a->npeers == NFLB_SYNC_PEERS_MAX)
		return usage_err("sync", "peer: at most %d peers", NFLB_SYNC_PEERS_MAX);
	a->peers[a->npeers++] = addr;
	return 0;
}

static int sync_set_check(const struct sync_args *a)
{
	if (!a->has_node)
		return usage_err("sync", "set: node-id is required");
	if (!a->has_local)
		return usage_err("sync", "set: local is required");
	if (!a->npeers)
		return usage_err("sync", "set: at least one peer is required");
	if (!a->has_key)
		return usage_err("sync", "set: key is required");
	for (int i = 0; i < a->npeers; i++)
		if (a->peers[i].family != a->local.family)
			return usage_err("sync", "peer: every address must be of the local address's family");
	return 0;
}

static int sync_set(int argc, char **argv)
{
	struct sync_args a = { .port = NFLB_SYNC_PORT_DEFAULT, .redirect = -1 };
	struct nlmsghdr *nlh;
	struct nlattr *nest, *p;

	if (argc >= 1 && arg_is(*argv, "help")) {
		sync_usage(stdout);
		return EXIT_OK;
	}
	while (argc > 0) {
		if (!arg_is(*argv, "node-id") && !arg_is(*argv, "local") &&
		    !arg_is(*argv, "port") && !arg_is(*argv, "peer") &&
		    !arg_is(*argv, "key") && !arg_is(*argv, "rate") &&
		    !arg_is(*argv, "delay") && !arg_is(*argv, "redirect"))
			return usage_err("sync", "unknown argument '%s'", *argv);
		if (argc < 2)
			return usage_err("sync", "%s: missing value", *argv);
		if (sync_set_arg(argv[0], argv[1], &a))
			return EXIT_USAGE;
		argc -= 2;
		argv += 2;
	}
	if (sync_set_check(&a))
		return EXIT_USAGE;
	nlh = nl_req(NFLB_CMD_SYNC_SET);
	nest = mnl_attr_nest_start(nlh, NFLB_A_SYNC);
	mnl_attr_put_u8(nlh, NFLB_SYNC_A_NODE_ID, (uint8_t)a.node_id);
	put_addr(nlh, NFLB_SYNC_A_LOCAL4, NFLB_SYNC_A_LOCAL6, &a.local);
	mnl_attr_put_u16(nlh, NFLB_SYNC_A_PORT, (uint16_t)a.port);
	if (a.rate)
		mnl_attr_put_u32(nlh, NFLB_SYNC_A_RATE, a.rate);
	if (a.delay)
		mnl_attr_put_u32(nlh, NFLB_SYNC_A_DELAY, a.delay);
	if (a.redirect >= 0)
		mnl_attr_put_u8(nlh, NFLB_SYNC_A_REDIRECT, (uint8_t)a.redirect);
	for (int i = 0; i < a.npeers; i++) {
		p = mnl_attr_nest_start(nlh, NFLB_SYNC_A_PEER);
		put_addr(nlh, NFLB_SYNC_PEER_A_ADDR4, NFLB_SYNC_PEER_A_ADDR6, &a.peers[i]);
		mnl_attr_nest_end(nlh, p);
	}
	mnl_attr_put(nlh, NFLB_SYNC_A_KEY, sizeof(a.key), a.key);
	mnl_attr_nest_end(nlh, nest);
	memset(a.key, 0, sizeof(a.key));
	return nl_do(nlh, NULL, NULL);
}

/* A peer: its line of sync show, or (@event) the rest of a monitor line. */
static void print_peer(const struct nlattr *nest, bool event)
{
	const struct nlattr *pt[NFLB_SYNC_PEER_A_MAX + 1];
	char buf[ADDR_STRLEN];
	uint8_t state;

	if (nl_parse_nest(nest, pt, NFLB_SYNC_PEER_A_MAX) < 0)
		return;
	state = attr_u8(pt[NFLB_SYNC_PEER_A_STATE]);
	if (!event)
		open_json_object(NULL);
	print_str(PRINT_ANY, "addr", event ? "%s" : "peer %s",
		  fmt_attr_addr(pt[NFLB_SYNC_PEER_A_ADDR4], pt[NFLB_SYNC_PEER_A_ADDR6],
				-1, buf, sizeof(buf)));
	print_uint(PRINT_ANY, "node_id", " node-id %u", attr_u8(pt[NFLB_SYNC_PEER_A_NODE_ID]));
	print_str(PRINT_ANY, "state", " state %s",
		  state <= NFLB_SYNC_PEER_MAX ? peer_states[state] : "unknown");
	if (event) {
		print_nl();
		return;
	}
	print_uint(PRINT_ANY, "last_seen_ms", " last-seen-ms %u",
		   attr_u32(pt[NFLB_SYNC_PEER_A_LAST_SEEN]));
	print_uint(PRINT_ANY, "lag_ms", " lag-ms %u", attr_u32(pt[NFLB_SYNC_PEER_A_LAG]));
	/* text: on the redirect line (print_redirect()) */
	if (pt[NFLB_SYNC_PEER_A_OWNER_SHARE])
		print_uint(PRINT_JSON, "owner_share", NULL,
			   attr_u32(pt[NFLB_SYNC_PEER_A_OWNER_SHARE]));
	print_u64(PRINT_ANY, "tx_datagrams", " tx-datagrams %" PRIu64,
		  attr_u64(pt[NFLB_SYNC_PEER_A_TX_DATAGRAMS]));
	print_u64(PRINT_ANY, "rx_datagrams", " rx-datagrams %" PRIu64,
		  attr_u64(pt[NFLB_SYNC_PEER_A_RX_DATAGRAMS]));
	print_u64(PRINT_ANY, "rx_records", " rx-records %" PRIu64 "\n",
		  attr_u64(pt[NFLB_SYNC_PEER_A_RX_RECORDS]));
	close_json_object();
}

static void print_counters(const struct nlattr *nest)
{
	const struct nlattr *ct[NFLB_SYNC_STATS_A_MAX + 1];
	char fmt[64], name[32];

	if (!nest || nl_parse_nest(nest, ct, NFLB_SYNC_STATS_A_MAX) < 0)
		return;
	open_json_object("stats");
	print_fp("counters");
	for (size_t i = 0; i < ARRAY_SIZE(counters); i++) {
		snprintf(fmt, sizeof(fmt), " %s %%" PRIu64,
			 dashed(counters[i].key, name, sizeof(name)));
		print_u64(PRINT_ANY, counters[i].key, fmt, attr_u64(ct[counters[i].attr]));
	}
	print_nl();
	close_json_object();
}

/*
 * Owner redirect, text "redirect on|off owner-share N peer-shares ADDR N
 * ...", JSON "redirect" and "owner_share" (the peers' are in their objects).
 */
static void print_redirect(const struct nlattr *nest, const struct nlattr **st)
{
	const struct nlattr *pt[NFLB_SYNC_PEER_A_MAX + 1];
	char buf[ADDR_STRLEN];
	const struct nlattr *a;
	bool on;

	if (!st[NFLB_SYNC_A_REDIRECT])
		return;
	on = attr_u8(st[NFLB_SYNC_A_REDIRECT]);
	print_bool(PRINT_JSON, "redirect", NULL, on);
	print_fp("redirect %s", on ? "on" : "off");
	print_uint(PRINT_ANY, "owner_share", " owner-share %u",
		   attr_u32(st[NFLB_SYNC_A_OWNER_SHARE]));
	print_fp(" peer-shares");
	mnl_attr_for_each_nested(a, nest) {
		if (mnl_attr_get_type(a) != NFLB_SYNC_A_PEER ||
		    nl_parse_nest(a, pt, NFLB_SYNC_PEER_A_MAX) < 0)
			continue;
		print_fp(" %s %u", fmt_attr_addr(pt[NFLB_SYNC_PEER_A_ADDR4],
						 pt[NFLB_SYNC_PEER_A_ADDR6], -1,
						 buf, sizeof(buf)),
			 attr_u32(pt[NFLB_SYNC_PEER_A_OWNER_SHARE]));
	}
	print_nl();
}

/*
 * The sync state.  Text: "node-id N local ADDR port P rate R ready yes|no",
 * the redirect line, a line per peer, a line of counters.  JSON: one object, "peers" an array.
 */
void sync_print(const struct nlattr *nest, enum pr_view view, const char *verb)
{
	const struct nlattr *st[NFLB_SYNC_A_MAX + 1];
	char buf[ADDR_STRLEN];
	const struct nlattr *a;
	bool ready;

	open_json_object(NULL);
	if (!nest || nl_parse_nest(nest, st, NFLB_SYNC_A_MAX) < 0) {
		/* the event of sync del carries nothing but itself */
		print_str(PRINT_JSON, "object", NULL, "sync");
		print_str(PRINT_ANY, "event", "sync %s\n", verb ? verb : "del");
		close_json_object();
		return;
	}
	print_head(view, "sync", verb);
	ready = attr_u8(st[NFLB_SYNC_A_READY]);
	print_uint(PRINT_ANY, "node_id", "node-id %u", attr_u8(st[NFLB_SYNC_A_NODE_ID]));
	print_str(PRINT_ANY, "local", " local %s",
		  fmt_attr_addr(st[NFLB_SYNC_A_LOCAL4], st[NFLB_SYNC_A_LOCAL6], -1,
				buf, sizeof(buf)));
	print_uint(PRINT_ANY, "port", " port %u", attr_u16(st[NFLB_SYNC_A_PORT]));
	if (st[NFLB_SYNC_A_RATE])
		print_uint(PRINT_ANY, "rate", " rate %u", attr_u32(st[NFLB_SYNC_A_RATE]));
	if (st[NFLB_SYNC_A_DELAY])
		print_uint(PRINT_ANY, "delay_ms", " delay %u", attr_u32(st[NFLB_SYNC_A_DELAY]));
	print_bool(PRINT_JSON, "ready", NULL, ready);
	print_fp(" ready %s\n", ready ? "yes" : "no");
	if (view == PR_SHOW)
		print_redirect(nest, st);
	if (view == PR_SHOW) {
		open_json_array("peers");
		mnl_attr_for_each_nested(a, nest)
			if (mnl_attr_get_type(a) == NFLB_SYNC_A_PEER)
				print_peer(a, false);
		close_json_array();
		print_counters(st[NFLB_SYNC_A_STATS]);
	}
	close_json_object();
}

/* A peer's transition (monitor): "sync peer ADDR node-id N state S". */
void sync_peer_print(const struct nlattr *nest)
{
	const struct nlattr *st[NFLB_SYNC_A_MAX + 1];

	open_json_object(NULL);
	print_str(PRINT_JSON, "object", NULL, "sync");
	print_str(PRINT_ANY, "event", "sync %s ", "peer");
	if (nest && nl_parse_nest(nest, st, NFLB_SYNC_A_MAX) == 0 && st[NFLB_SYNC_A_PEER])
		print_peer(st[NFLB_SYNC_A_PEER], true);
	else
		print_nl();
	close_json_object();
}

static int show_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFLB_A_MAX + 1];

	(void)data;
	if (nl_parse_top(nlh, tb, NFLB_A_MAX) == 0 && tb[NFLB_A_SYNC])
		sync_print(tb[NFLB_A_SYNC], PR_SHOW, NULL);
	return 0;
}

static int ready_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFLB_A_MAX + 1], *st[NFLB_SYNC_A_MAX + 1];

	if (nl_parse_top(nlh, tb, NFLB_A_MAX) == 0 && tb[NFLB_A_SYNC] &&
	    nl_parse_nest(tb[NFLB_A_SYNC], st, NFLB_SYNC_A_MAX) == 0)
		*(bool *)data = attr_u8(st[NFLB_SYNC_A_READY]);
	return 0;
}

/*
 * save: the `sync set` that rebuilds sync.  With the key (the reply has
 * it: save sync-key) a line restore runs; without it, the same line as a
 * comment, which restore skips: restoring sync with a key made up would
 * start it with one no peer accepts, so the file says what is missing.
 */
static int save_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFLB_A_MAX + 1], *st[NFLB_SYNC_A_MAX + 1];
	const struct nlattr *pt[NFLB_SYNC_PEER_A_MAX + 1];
	const struct nlattr *a, *key;
	char buf[ADDR_STRLEN];

	(void)data;
	if (nl_parse_top(nlh, tb, NFLB_A_MAX) || !tb[NFLB_A_SYNC] ||
	    nl_parse_nest(tb[NFLB_A_SYNC], st, NFLB_SYNC_A_MAX) < 0)
		return 0;
	key = st[NFLB_SYNC_A_KEY];
	if (key && mnl_attr_get_payload_len(key) != NFLB_SYNC_KEY_LEN)
		key = NULL;
	if (!key)
		print_fp("# sync left out: its key is written only by `lbctl save sync-key`\n# ");
	print_fp("sync set node-id %u local %s", attr_u8(st[NFLB_SYNC_A_NODE_ID]),
		 fmt_attr_addr(st[NFLB_SYNC_A_LOCAL4], st[NFLB_SYNC_A_LOCAL6], -1,
			       buf, sizeof(buf)));
	if (st[NFLB_SYNC_A_PORT] &&
	    attr_u16(st[NFLB_SYNC_A_PORT]) != NFLB_SYNC_PORT_DEFAULT)
		print_fp(" port %u", attr_u16(st[NFLB_SYNC_A_PORT]));
	mnl_attr_for_each_nested(a, tb[NFLB_A_SYNC]) {
		if (mnl_attr_get_type(a) != NFLB_SYNC_A_PEER ||
		    nl_parse_nest(a, pt, NFLB_SYNC_PEER_A_MAX) < 0)
			continue;
		print_fp(" peer %s", fmt_attr_addr(pt[NFLB_SYNC_PEER_A_ADDR4],
						   pt[NFLB_SYNC_PEER_A_ADDR6], -1,
						   buf, sizeof(buf)));
	}
	/* the default rate is left out, like the default port */
	if (st[NFLB_SYNC_A_RATE] &&
	    attr_u32(st[NFLB_SYNC_A_RATE]) != SYNC_RATE_DEFAULT)
		print_fp(" rate %u", attr_u32(st[NFLB_SYNC_A_RATE]));
	if (st[NFLB_SYNC_A_DELAY] &&
	    attr_u32(st[NFLB_SYNC_A_DELAY]) != SYNC_DELAY_DEFAULT)
		print_fp(" delay %u", attr_u32(st[NFLB_SYNC_A_DELAY]));
	/* on is the default */
	if (st[NFLB_SYNC_A_REDIRECT] && !attr_u8(st[NFLB_SYNC_A_REDIRECT]))
		print_fp(" redirect off");
	print_fp(" key ");
	if (key) {
		const uint8_t *k = mnl_attr_get_payload(key);

		for (int i = 0; i < NFLB_SYNC_KEY_LEN; i++)
			print_fp("%02x", k[i]);
	} else {
		print_fp("HEX");
	}
	print_nl();
	return 0;
}

int sync_save(bool with_key)
{
	struct nlmsghdr *nlh = nl_req(NFLB_CMD_SYNC_GET);
	struct nlattr *nest;
	bool absent;

	if (with_key) {
		nest = mnl_attr_nest_start(nlh, NFLB_A_SYNC);
		mnl_attr_put(nlh, NFLB_SYNC_A_WITH_KEY, 0, NULL);
		mnl_attr_nest_end(nlh, nest);
	}
	return nl_do_absent(nlh, save_cb, NULL, &absent);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Polls readiness every 100 ms; no timeout: waits as long as it takes. */
static int sync_wait(int argc, char **argv)
{
	uint32_t timeout = 0;
	bool has_timeout = false, ready = false;
	double end;

	if (argc >= 1 && arg_is(*argv, "help")) {
		sync_usage(stdout);
		return EXIT_OK;
	}
	if (argc >= 1 && arg_is(*argv, "timeout")) {
		if (argc < 2)
			return usage_err("sync", "timeout: missing value");
		if (arg_u32("sync", "timeout", argv[1], 0, 86400 * 365, &timeout))
			return EXIT_USAGE;
		has_timeout = true;
		argc -= 2;
		argv += 2;
	}
	if (argc > 0)
		return usage_err("sync", "wait: unexpected argument '%s'", *argv);
	end = now_s() + timeout;
	for (;;) {
		if (nl_do(nl_req(NFLB_CMD_SYNC_GET), ready_cb, &ready))
			return EXIT_ERR;
		if (ready)
			return EXIT_OK;
		if (has_timeout && now_s() >= end) {
			lb_err("sync: not ready after %u s", timeout);
			return EXIT_ERR;
		}
		usleep(100000);
	}
}

int do_sync(int argc, char **argv)
{
	if (argc < 1 || arg_is(*argv, "show") || arg_is(*argv, "list") ||
	    arg_is(*argv, "ls")) {
		if (argc > 1)
			return usage_err("sync", "show: unexpected argument '%s'", argv[1]);
		int r = nl_do(nl_req(NFLB_CMD_SYNC_GET), show_cb, NULL);

		if (r == EXIT_OK)
			print_json_end();
		return r;
	}
	if (arg_is(*argv, "set"))
		return sync_set(argc - 1, argv + 1);
	if (arg_is(*argv, "wait"))
		return sync_wait(argc - 1, argv + 1);
	if (arg_is(*argv, "del") || arg_is(*argv, "delete")) {
		if (argc > 1)
			return usage_err("sync", "del: unexpected argument '%s'", argv[1]);
		return nl_do(nl_req(NFLB_CMD_SYNC_DEL), NULL, NULL);
	}
	if (arg_is(*argv, "help")) {
		sync_usage(stdout);
		return EXIT_OK;
	}
	return usage_err("sync", "unknown command '%s'", *argv);
}
