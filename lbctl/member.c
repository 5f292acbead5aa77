// SPDX-License-Identifier: GPL-2.0
/*
 * lbctl member: the real servers of a pool.
 */
#include <string.h>
#include <time.h>

#include "lbctl.h"

void member_usage(FILE *f)
{
	fprintf(f,
"Usage: lbctl member add POOL ADDR:PORT [ MEMBER-OPTIONS ]\n"
"       lbctl member set POOL ADDR:PORT MEMBER-OPTIONS\n"
"       lbctl member del POOL ADDR:PORT\n"
"       lbctl member show [ POOL ]\n"
"MEMBER-OPTIONS := [ weight W ] [ state { up | down } ] [ max-conns N ]\n"
"                  [ priority P ] [ drain-timeout SECS ] [ check-port P ]\n"
"                  [ check-addr ADDR ] [ health { up | down } [ reason STR ] ]\n"
"IPv6 members are written [ADDR]:PORT.  weight 0..65535 (0 = drain),\n"
"max-conns 0 = unlimited, higher priority wins.  drain-timeout: once the\n"
"member is drained (weight 0) or down, reset its remaining sessions after\n"
"SECS (0 = never).  check-port/check-addr: where the pool's check probes\n"
"this member (0 / 0.0.0.0 = its own).  health is what lbhealthd reports;\n"
"a member takes new sessions only when its state and its health are up.\n");
}

/* Parse "POOL ADDR:PORT" into the member nest being built. */
static int put_key(struct nlmsghdr *nlh, const char *pool, const char *ap)
{
	struct lb_addr a;
	uint16_t port;

	if (parse_addr_port(ap, &a, &port, NULL, false))
		return usage_err("member", "expected ADDR:PORT, got '%s' (IPv6: [ADDR]:PORT)", ap);
	mnl_attr_put_strz(nlh, NFLB_MEMBER_A_POOL, pool);
	if (a.family == AF_INET)
		mnl_attr_put(nlh, NFLB_MEMBER_A_ADDR4, 4, &a.v4);
	else
		mnl_attr_put(nlh, NFLB_MEMBER_A_ADDR6, 16, &a.v6);
	mnl_attr_put_u16(nlh, NFLB_MEMBER_A_PORT, port);
	return 0;
}

static int put_check_addr(struct nlmsghdr *nlh, const char *s)
{
	struct lb_addr a;

	if (parse_addr(s, &a))
		return usage_err("member", "check-addr: expected an IPv4 or IPv6 address, got '%s'",
				 s);
	if (a.family == AF_INET)
		mnl_attr_put(nlh, NFLB_MEMBER_A_CHECK_ADDR4, 4, &a.v4);
	else
		mnl_attr_put(nlh, NFLB_MEMBER_A_CHECK_ADDR6, 16, &a.v6);
	return 0;
}

static const char *const health_names[NFLB_HEALTH_MAX + 1] = {
	[NFLB_HEALTH_UP] = "up",
	[NFLB_HEALTH_DOWN] = "down",
	[NFLB_HEALTH_EJECTED] = "ejected",
};

/* Up or down: ejected is passive detection's alone. */
static int put_health(struct nlmsghdr *nlh, const char *s)
{
	if (arg_is(s, "up"))
		mnl_attr_put_u8(nlh, NFLB_MEMBER_A_HEALTH, NFLB_HEALTH_UP);
	else if (arg_is(s, "down"))
		mnl_attr_put_u8(nlh, NFLB_MEMBER_A_HEALTH, NFLB_HEALTH_DOWN);
	else
		return usage_err("member", "health: expected up or down, got '%s'", s);
	return 0;
}

/* A unix time as local "YYYY-MM-DDTHH:MM:SS" (one word), "-" for none. */
static const char *fmt_time(uint64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !localtime_r(&tt, &tm) ||
	    !strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm))
		snprintf(buf, len, "-");
	return buf;
}

/*
 * Health, its reason and since when, and the weight slow start allows:
 * JSON health, health_reason, health_since (unix seconds), weight_now;
 * text as show's last columns (@row) or as " health H weight-now W since
 * T [reason R]" (a health event).
 */
static void print_health(const struct nlattr **mt, bool row)
{
	uint8_t h = attr_u8(mt[NFLB_MEMBER_A_HEALTH]);
	const char *reason = attr_str(mt[NFLB_MEMBER_A_HEALTH_REASON]);
	uint64_t since = attr_u64(mt[NFLB_MEMBER_A_HEALTH_SINCE]);
	char t[32], q[2 * NFLB_HEALTH_REASON_MAX + 4];

	print_str(PRINT_ANY, "health", row ? " %-7s" : " health %s",
		  h <= NFLB_HEALTH_MAX ? health_names[h] : "?");
	print_uint(PRINT_ANY, "weight_now", row ? " %6u" : " weight-now %u",
		   attr_u32(mt[NFLB_MEMBER_A_WEIGHT_NOW]));
	print_u64(PRINT_JSON, "health_since", NULL, since);
	print_fp(row ? " %-19s" : " since %s", fmt_time(since, t, sizeof(t)));
	print_str(PRINT_JSON, "health_reason", NULL, reason);
	if (row)
		print_fp(" %s", *reason ? reason : "-");
	else if (*reason)
		print_fp(" reason %s", quote_arg(reason, q, sizeof(q)));
}

/* The check overrides: JSON check_port, check_addr (if set); text args. */
static void print_check_override(const struct nlattr **mt, enum print_type t)
{
	uint16_t port = attr_u16(mt[NFLB_MEMBER_A_CHECK_PORT]);
	char a[ADDR_STRLEN];

	print_uint(port ? t : t & PRINT_JSON, "check_port", " check-port %u", port);
	if (mt[NFLB_MEMBER_A_CHECK_ADDR4] || mt[NFLB_MEMBER_A_CHECK_ADDR6])
		print_str(t, "check_addr", " check-addr %s",
			  fmt_attr_addr(mt[NFLB_MEMBER_A_CHECK_ADDR4],
					mt[NFLB_MEMBER_A_CHECK_ADDR6], -1, a, sizeof(a)));
}

static int member_cmd(int argc, char **argv, uint8_t cmd, const char *verb)
{
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	uint32_t v;

	if (argc < 1)
		return usage_err("member", "%s: missing POOL", verb);
	if (check_name("member", argv[0]))
		return EXIT_USAGE;
	if (argc < 2)
		return usage_err("member", "%s: missing ADDR:PORT", verb);

	nlh = nl_req(cmd);
	nest = mnl_attr_nest_start(nlh, NFLB_A_MEMBER);
	if (put_key(nlh, argv[0], argv[1]))
		return EXIT_USAGE;
	argc -= 2;
	argv += 2;
	if (cmd == NFLB_CMD_MEMBER_SET && argc == 0)
		return usage_err("member", "set: nothing to change");
	if (cmd == NFLB_CMD_MEMBER_DEL && argc > 0)
		return usage_err("member", "del: unexpected argument '%s'", *argv);
	while (argc > 0) {
		if (arg_is(*argv, "weight")) {
			NEXT_ARG_VAL("member");
			if (arg_u32("member", "weight", *argv, 0, 65535, &v))
				return EXIT_USAGE;
			mnl_attr_put_u32(nlh, NFLB_MEMBER_A_WEIGHT, v);
		} else if (arg_is(*argv, "state")) {
			NEXT_ARG_VAL("member");
			if (arg_is(*argv, "up"))
				mnl_attr_put_u8(nlh, NFLB_MEMBER_A_STATE, NFLB_MEMBER_UP);
			else if (arg_is(*argv, "down"))
				mnl_attr_put_u8(nlh, NFLB_MEMBER_A_STATE, NFLB_MEMBER_DOWN);
			else
				return usage_err("member", "state: expected up or down, got '%s'", *argv);
		} else if (arg_is(*argv, "max-conns")) {
			NEXT_ARG_VAL("member");
			if (arg_u32("member", "max-conns", *argv, 0, UINT32_MAX, &v))
				return EXIT_USAGE;
			mnl_attr_put_u32(nlh, NFLB_MEMBER_A_MAX_CONNS, v);
		} else if (arg_is(*argv, "priority")) {
			NEXT_ARG_VAL("member");
			if (arg_u32("member", "priority", *argv, 0, UINT32_MAX, &v))
				return EXIT_USAGE;
			mnl_attr_put_u32(nlh, NFLB_MEMBER_A_PRIORITY, v);
		} else if (arg_is(*argv, "check-port")) {
			NEXT_ARG_VAL("member");
			if (arg_u32("member", "check-port", *argv, 0, 65535, &v))
				return EXIT_USAGE;
			mnl_attr_put_u16(nlh, NFLB_MEMBER_A_CHECK_PORT, (uint16_t)v);
		} else if (arg_is(*argv, "check-addr")) {
			NEXT_ARG_VAL("member");
			if (put_check_addr(nlh, *argv))
				return EXIT_USAGE;
		} else if (arg_is(*argv, "health")) {
			NEXT_ARG_VAL("member");
			if (put_health(nlh, *argv))
				return EXIT_USAGE;
		} else if (arg_is(*argv, "reason")) {
			NEXT_ARG_VAL("member");
			if (strlen(*argv) >= NFLB_HEALTH_REASON_MAX)
				return usage_err("member", "reason: longer than %d characters",
						 NFLB_HEALTH_REASON_MAX - 1);
			mnl_attr_put_strz(nlh, NFLB_MEMBER_A_HEALTH_REASON, *argv);
		} else if (arg_is(*argv, "drain-timeout")) {
			NEXT_ARG_VAL("member");
			if (arg_u32("member", "drain-timeout", *argv, 0,
				    NFLB_TIMEOUT_MAX_SECS, &v))
				return EXIT_USAGE;
			mnl_attr_put_u32(nlh, NFLB_MEMBER_A_DRAIN_TIMEOUT, v);
		} else {
			return usage_err("member", "unknown argument '%s'", *argv);
		}
		NEXT_ARG();
	}
	mnl_attr_nest_end(nlh, nest);
	if (cmd == NFLB_CMD_MEMBER_NEW && nl_members_can_list())
		return nl_members_add(nest);
	return nl_do(nlh, NULL, NULL);
}

static bool header_done;

/*
 * One member.  Text: show's table row (and -s its counters); stats' name
 * line and counters; an event's verb and the arguments of "member add"
 * (del: the key only; state: the state only); save's "member add" with
 * the settings that differ from the defaults.  JSON: the key, then every
 * setting and the counters, or (stats) the counters only; a del event has
 * the key only.
 */
void member_print(const struct nlattr *nest, enum pr_view view, const char *verb)
{
	const struct nlattr *mt[NFLB_MEMBER_A_MAX + 1];
	char ap[ADDR_STRLEN], ip[ADDR_STRLEN];
	uint32_t weight, maxc, prio, dto, active;
	bool row = view == PR_SHOW, down;
	enum print_type cfg;
	const char *state;
	uint16_t port;

	if (nl_parse_nest(nest, mt, NFLB_MEMBER_A_MAX) < 0)
		return;
	port = attr_u16(mt[NFLB_MEMBER_A_PORT]);
	fmt_attr_addr(mt[NFLB_MEMBER_A_ADDR4], mt[NFLB_MEMBER_A_ADDR6], port, ap, sizeof(ap));
	fmt_attr_addr(mt[NFLB_MEMBER_A_ADDR4], mt[NFLB_MEMBER_A_ADDR6], -1, ip, sizeof(ip));
	weight = attr_u32(mt[NFLB_MEMBER_A_WEIGHT]);
	maxc = attr_u32(mt[NFLB_MEMBER_A_MAX_CONNS]);
	prio = attr_u32(mt[NFLB_MEMBER_A_PRIORITY]);
	dto = attr_u32(mt[NFLB_MEMBER_A_DRAIN_TIMEOUT]);
	active = attr_u32(mt[NFLB_MEMBER_A_ACTIVE]);
	down = attr_u8(mt[NFLB_MEMBER_A_STATE]) == NFLB_MEMBER_DOWN;
	state = down ? "down" : "up";

	if (row && !header_done) {
		print_fp("%-16s %-28s %6s %-5s %9s %8s %8s %13s %-7s %6s %-19s %s\n",
			 "POOL", "MEMBER", "WEIGHT", "STATE", "MAX-CONNS", "PRIORITY",
			 "ACTIVE", "DRAIN-TIMEOUT", "HEALTH", "W-NOW", "SINCE",
			 "REASON");
		header_done = true;
	}
	open_json_object(NULL);
	print_head(view, "member", view == PR_SAVE ? "add" : verb);
	if (view == PR_STATS)
		print_fp("member ");
	print_str(PRINT_ANY, "pool", row ? "%-16s" : "%s", attr_str(mt[NFLB_MEMBER_A_POOL]));
	print_str(PRINT_FP, NULL, row ? " %-28s" : " %s", ap);
	print_str(PRINT_JSON, "addr", NULL, ip);
	print_uint(PRINT_JSON, "port", NULL, port);
	if (view == PR_EVENT && !strcmp(verb, "health")) {
		print_health(mt, false);
		print_str(PRINT_JSON, "state", NULL, state);
		print_nl();
		close_json_object();
		return;
	}
	if (view == PR_STATS) {
		print_nl();
		print_stats(NULL, mt[NFLB_MEMBER_A_STATS], true);
		close_json_object();
		return;
	}
	/* Settings: JSON has them all but for a del event. */
	cfg = view == PR_EVENT && !strcmp(verb, "del") ? 0 : PRINT_JSON;
	if (row) {
		print_uint(cfg | PRINT_FP, "weight", " %6u", weight);
		print_str(cfg | PRINT_FP, "state", " %-5s", state);
		print_uint(cfg | PRINT_FP, "max_conns", " %9u", maxc);
		print_uint(cfg | PRINT_FP, "priority", " %8u", prio);
		print_uint(cfg, "drain_timeout", NULL, dto);
		print_uint(cfg | PRINT_FP, "active", " %8u", active);
		print_fp(" %13u", dto);
		print_health(mt, true);
		print_check_override(mt, PRINT_JSON);
	} else {
		/* The arguments of "member add": all of them for an add or
		 * set event, those not at their default for save; a state
		 * event has the state only. */
		bool state_event = view == PR_EVENT && !strcmp(verb, "state");
		bool all = view == PR_EVENT;
		enum print_type arg = cfg && !state_event ? cfg | PRINT_FP : cfg;

		print_uint(arg, "weight", " weight %u", weight);
		if (state_event)
			print_str(PRINT_ANY, "state", " %s", state);
		else
			print_str(all || down ? arg : cfg, "state", " state %s", state);
		print_uint(all || maxc ? arg : cfg, "max_conns", " max-conns %u", maxc);
		print_uint(all || prio ? arg : cfg, "priority", " priority %u", prio);
		print_uint(dto ? arg : cfg, "drain_timeout", " drain-timeout %u", dto);
		print_check_override(mt, state_event ? cfg : arg);
		print_uint(cfg, "active", NULL, active);
		if (cfg && view == PR_EVENT) {
			print_str(cfg, "health", NULL,
				  health_names[attr_u8(mt[NFLB_MEMBER_A_HEALTH]) %
					       (NFLB_HEALTH_MAX + 1)]);
			print_uint(cfg, "weight_now", NULL,
				   attr_u32(mt[NFLB_MEMBER_A_WEIGHT_NOW]));
		}
	}
	print_nl();
	if (cfg)
		print_stats("stats", mt[NFLB_MEMBER_A_STATS], row && opts.stats);
	close_json_object();
}

static int print_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFLB_A_MAX + 1];

	if (nl_parse_top(nlh, tb, NFLB_A_MAX) == 0 && tb[NFLB_A_MEMBER])
		member_print(tb[NFLB_A_MEMBER], *(enum pr_view *)data, NULL);
	return 0;
}

/* The members of pool, or of all pools. */
int member_dump(const char *pool, enum pr_view view)
{
	struct nlmsghdr *nlh = nl_req(NFLB_CMD_MEMBER_GET);
	int r;

	if (pool) {
		struct nlattr *nest = mnl_attr_nest_start(nlh, NFLB_A_MEMBER);

		mnl_attr_put_strz(nlh, NFLB_MEMBER_A_POOL, pool);
		mnl_attr_nest_end(nlh, nest);
	}
	if (nl_open())
		return EXIT_ERR;
	if (view == PR_SHOW)
		open_json_array(NULL);
	header_done = false;
	r = nl_dump(nlh, print_cb, &view);
	if (view == PR_SHOW) {
		close_json_array();
		print_json_end();
	}
	return r;
}

int do_member(int argc, char **argv)
{
	if (argc < 1 || arg_is(*argv, "show") || arg_is(*argv, "list") ||
	    arg_is(*argv, "ls")) {
		if (argc > 2)
			return usage_err("member", "show: unexpected argument '%s'", argv[2]);
		if (argc == 2 && check_name("member", argv[1]))
			return EXIT_USAGE;
		return member_dump(argc == 2 ? argv[1] : NULL, PR_SHOW);
	}
	if (arg_is(*argv, "add"))
		return member_cmd(argc - 1, argv + 1, NFLB_CMD_MEMBER_NEW, "add");
	if (arg_is(*argv, "set") || arg_is(*argv, "change"))
		return member_cmd(argc - 1, argv + 1, NFLB_CMD_MEMBER_SET, "set");
	if (arg_is(*argv, "del") || arg_is(*argv, "delete"))
		return member_cmd(argc - 1, argv + 1, NFLB_CMD_MEMBER_DEL, "del");
	if (arg_is(*argv, "help")) {
		member_usage(stdout);
		return EXIT_OK;
	}
	return usage_err("member", "unknown command '%s'", *argv);
}
