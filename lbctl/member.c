// SPDX-License-Identifier: GPL-2.0
/*
 * lbctl member: the real servers of a pool.
 */
#include <string.h>

#include "lbctl.h"

void member_usage(FILE *f)
{
	fprintf(f,
"Usage: lbctl member add POOL ADDR:PORT [ weight W ] [ state { up | down } ]\n"
"                       [ max-conns N ] [ priority P ] [ drain-timeout SECS ]\n"
"       lbctl member set POOL ADDR:PORT [ weight W ] [ state { up | down } ]\n"
"                       [ max-conns N ] [ priority P ] [ drain-timeout SECS ]\n"
"       lbctl member del POOL ADDR:PORT\n"
"       lbctl member show [ POOL ]\n"
"IPv6 members are written [ADDR]:PORT.  weight 0..65535 (0 = drain),\n"
"max-conns 0 = unlimited, higher priority wins.  drain-timeout: once the\n"
"member is drained (weight 0) or down, reset its remaining sessions after\n"
"SECS (0 = never).\n");
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
		if (matches(*argv, "weight")) {
			NEXT_ARG_VAL("member");
			if (arg_u32("member", "weight", *argv, 0, 65535, &v))
				return EXIT_USAGE;
			mnl_attr_put_u32(nlh, NFLB_MEMBER_A_WEIGHT, v);
		} else if (matches(*argv, "state")) {
			NEXT_ARG_VAL("member");
			if (matches(*argv, "up"))
				mnl_attr_put_u8(nlh, NFLB_MEMBER_A_STATE, NFLB_MEMBER_UP);
			else if (matches(*argv, "down"))
				mnl_attr_put_u8(nlh, NFLB_MEMBER_A_STATE, NFLB_MEMBER_DOWN);
			else
				return usage_err("member", "state: expected up or down, got '%s'", *argv);
		} else if (matches(*argv, "max-conns")) {
			NEXT_ARG_VAL("member");
			if (arg_u32("member", "max-conns", *argv, 0, UINT32_MAX, &v))
				return EXIT_USAGE;
			mnl_attr_put_u32(nlh, NFLB_MEMBER_A_MAX_CONNS, v);
		} else if (matches(*argv, "priority")) {
			NEXT_ARG_VAL("member");
			if (arg_u32("member", "priority", *argv, 0, UINT32_MAX, &v))
				return EXIT_USAGE;
			mnl_attr_put_u32(nlh, NFLB_MEMBER_A_PRIORITY, v);
		} else if (matches(*argv, "drain-timeout")) {
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

static void member_addr(const struct nlattr **mt, char *buf, size_t len)
{
	uint16_t port = attr_u16(mt[NFLB_MEMBER_A_PORT]);

	if (mt[NFLB_MEMBER_A_ADDR4] && mnl_attr_get_payload_len(mt[NFLB_MEMBER_A_ADDR4]) >= 4)
		fmt_addr_port(AF_INET, mnl_attr_get_payload(mt[NFLB_MEMBER_A_ADDR4]),
			      port, buf, len);
	else if (mt[NFLB_MEMBER_A_ADDR6] && mnl_attr_get_payload_len(mt[NFLB_MEMBER_A_ADDR6]) >= 16)
		fmt_addr_port(AF_INET6, mnl_attr_get_payload(mt[NFLB_MEMBER_A_ADDR6]),
			      port, buf, len);
	else
		snprintf(buf, len, "?:%u", port);
}

static const char *member_state(const struct nlattr **mt)
{
	return attr_u8(mt[NFLB_MEMBER_A_STATE]) == NFLB_MEMBER_DOWN ? "down" : "up";
}

/* Only the address, for JSON. */
static void member_ip(const struct nlattr **mt, char *buf, size_t len)
{
	if (mt[NFLB_MEMBER_A_ADDR4] && mnl_attr_get_payload_len(mt[NFLB_MEMBER_A_ADDR4]) >= 4)
		fmt_addr(AF_INET, mnl_attr_get_payload(mt[NFLB_MEMBER_A_ADDR4]), buf, len);
	else if (mt[NFLB_MEMBER_A_ADDR6] && mnl_attr_get_payload_len(mt[NFLB_MEMBER_A_ADDR6]) >= 16)
		fmt_addr(AF_INET6, mnl_attr_get_payload(mt[NFLB_MEMBER_A_ADDR6]), buf, len);
	else
		snprintf(buf, len, "?");
}

static bool header_done;

/*
 * event NULL: "member show" row; "save": a "member add" line; "stats": per
 * member counters (stats -s); otherwise a monitor event verb.
 */
void member_print(const struct nlattr *nest, const char *event)
{
	const struct nlattr *mt[NFLB_MEMBER_A_MAX + 1];
	char ap[ADDR_STRLEN];
	const char *pool;
	uint32_t weight, maxc, prio, dto;

	if (nl_parse_nest(nest, mt, NFLB_MEMBER_A_MAX) < 0)
		return;
	pool = attr_str(mt[NFLB_MEMBER_A_POOL]);
	member_addr(mt, ap, sizeof(ap));
	weight = attr_u32(mt[NFLB_MEMBER_A_WEIGHT]);
	maxc = attr_u32(mt[NFLB_MEMBER_A_MAX_CONNS]);
	prio = attr_u32(mt[NFLB_MEMBER_A_PRIORITY]);
	dto = attr_u32(mt[NFLB_MEMBER_A_DRAIN_TIMEOUT]);

	if (event && !strcmp(event, "save")) {
		printf("member add %s %s weight %u", pool, ap, weight);
		if (attr_u8(mt[NFLB_MEMBER_A_STATE]) == NFLB_MEMBER_DOWN)
			printf(" state down");
		if (maxc)
			printf(" max-conns %u", maxc);
		if (prio)
			printf(" priority %u", prio);
		if (dto)
			printf(" drain-timeout %u", dto);
		putchar('\n');
		return;
	}
	if (opts.json) {
		char ip[ADDR_STRLEN];

		member_ip(mt, ip, sizeof(ip));
		jw_obj_open(NULL);
		if (event && strcmp(event, "stats")) {
			jw_str("object", "member");
			jw_str("event", event);
		}
		jw_str("pool", pool);
		jw_str("addr", ip);
		jw_uint("port", attr_u16(mt[NFLB_MEMBER_A_PORT]));
		if (event && !strcmp(event, "stats")) {
			print_stats_fields_json(mt[NFLB_MEMBER_A_STATS]);
		} else {
			if (!event || strcmp(event, "del")) {
				jw_uint("weight", weight);
				jw_str("state", member_state(mt));
				jw_uint("max_conns", maxc);
				jw_uint("priority", prio);
				jw_uint("drain_timeout", dto);
				jw_uint("active", attr_u32(mt[NFLB_MEMBER_A_ACTIVE]));
				print_stats_json("stats", mt[NFLB_MEMBER_A_STATS]);
			}
		}
		jw_obj_close();
		return;
	}
	if (event && !strcmp(event, "stats")) {
		printf("member %s %s\n", pool, ap);
		print_stats_text("    ", mt[NFLB_MEMBER_A_STATS]);
		return;
	}
	if (event && !strcmp(event, "del")) {
		printf("member del %s %s\n", pool, ap);
		return;
	}
	if (event && !strcmp(event, "state")) {
		printf("member state %s %s %s\n", pool, ap, member_state(mt));
		return;
	}
	if (event) {
		printf("member %s %s %s weight %u state %s max-conns %u priority %u",
		       event, pool, ap, weight, member_state(mt), maxc, prio);
		if (dto)
			printf(" drain-timeout %u", dto);
		putchar('\n');
		return;
	}
	if (!header_done) {
		printf("%-16s %-28s %6s %-5s %9s %8s %8s %13s\n", "POOL", "MEMBER",
		       "WEIGHT", "STATE", "MAX-CONNS", "PRIORITY", "ACTIVE",
		       "DRAIN-TIMEOUT");
		header_done = true;
	}
	printf("%-16s %-28s %6u %-5s %9u %8u %8u %13u\n", pool, ap, weight,
	       member_state(mt), maxc, prio, attr_u32(mt[NFLB_MEMBER_A_ACTIVE]),
	       dto);
	if (opts.stats)
		print_stats_text("    ", mt[NFLB_MEMBER_A_STATS]);
}

static int show_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFLB_A_MAX + 1];

	if (nl_parse_top(nlh, tb, NFLB_A_MAX) == 0 && tb[NFLB_A_MEMBER])
		member_print(tb[NFLB_A_MEMBER], data);
	return 0;
}

/* Dump members (of one pool if given); event as for member_print().  JSON
 * arrays are opened and closed by the caller unless event is NULL. */
int member_dump(const char *pool, const char *event)
{
	struct nlmsghdr *nlh = nl_req(NFLB_CMD_MEMBER_GET);
	bool json = opts.json && !event;
	int r;

	if (pool) {
		struct nlattr *nest = mnl_attr_nest_start(nlh, NFLB_A_MEMBER);

		mnl_attr_put_strz(nlh, NFLB_MEMBER_A_POOL, pool);
		mnl_attr_nest_end(nlh, nest);
	}
	if (nl_open())
		return EXIT_ERR;
	if (json)
		jw_arr_open(NULL);
	header_done = false;
	r = nl_dump(nlh, show_cb, (void *)event);
	if (json) {
		jw_arr_close();
		jw_end();
	}
	return r;
}

int do_member(int argc, char **argv)
{
	if (argc < 1 || matches(*argv, "show") || matches(*argv, "list") ||
	    matches(*argv, "ls")) {
		if (argc > 2)
			return usage_err("member", "show: unexpected argument '%s'", argv[2]);
		if (argc == 2 && check_name("member", argv[1]))
			return EXIT_USAGE;
		return member_dump(argc == 2 ? argv[1] : NULL, NULL);
	}
	if (matches(*argv, "add"))
		return member_cmd(argc - 1, argv + 1, NFLB_CMD_MEMBER_NEW, "add");
	if (matches(*argv, "set") || matches(*argv, "change"))
		return member_cmd(argc - 1, argv + 1, NFLB_CMD_MEMBER_SET, "set");
	if (matches(*argv, "del") || matches(*argv, "delete"))
		return member_cmd(argc - 1, argv + 1, NFLB_CMD_MEMBER_DEL, "del");
	if (matches(*argv, "help")) {
		member_usage(stdout);
		return EXIT_OK;
	}
	return usage_err("member", "unknown command '%s'", *argv);
}
