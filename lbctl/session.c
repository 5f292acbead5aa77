// SPDX-License-Identifier: GPL-2.0
/*
 * lbctl session: list and flush entries of the session table.  Lists are
 * streamed message by message: the table may hold millions of sessions.
 */
#include <string.h>

#include "lbctl.h"

void session_usage(FILE *f)
{
	fprintf(f,
"Usage: lbctl session list [ vs NAME ] [ member ADDR[:PORT] ] [ client PREFIX ]\n"
"       lbctl session flush [ vs NAME ] [ member ADDR[:PORT] ] [ client PREFIX ]\n"
"show is an alias of list, del of flush.  PREFIX is ADDR[/LEN]; IPv6\n"
"members with a port are written [ADDR]:PORT.  All given filters must match;\n"
"flush without filters removes every session.\n");
}

static int parse_filter(int argc, char **argv, struct nlmsghdr *nlh)
{
	struct nlattr *nest = NULL;
	bool has_vs = false, has_member = false, has_client = false;

	while (argc > 0) {
		if (!nest)
			nest = mnl_attr_nest_start(nlh, NFLB_A_FILTER);
		if (arg_is(*argv, "vs")) {
			NEXT_ARG_VAL("session");
			if (has_vs)
				return usage_err("session", "vs given twice");
			if (check_name("session", *argv))
				return EXIT_USAGE;
			mnl_attr_put_strz(nlh, NFLB_FILTER_A_VS, *argv);
			has_vs = true;
		} else if (arg_is(*argv, "member")) {
			struct lb_addr a;
			uint16_t port;

			NEXT_ARG_VAL("session");
			if (has_member)
				return usage_err("session", "member given twice");
			if (parse_addr_port(*argv, &a, &port, NULL, true))
				return usage_err("session", "member: expected ADDR or ADDR:PORT (IPv6: [ADDR]:PORT), got '%s'",
						 *argv);
			if (a.family == AF_INET)
				mnl_attr_put(nlh, NFLB_FILTER_A_MEMBER4, 4, &a.v4);
			else
				mnl_attr_put(nlh, NFLB_FILTER_A_MEMBER6, 16, &a.v6);
			if (port)
				mnl_attr_put_u16(nlh, NFLB_FILTER_A_MEMBER_PORT, port);
			has_member = true;
		} else if (arg_is(*argv, "client")) {
			struct lb_addr a;
			uint8_t plen;

			NEXT_ARG_VAL("session");
			if (has_client)
				return usage_err("session", "client given twice");
			if (parse_prefix(*argv, &a, &plen))
				return usage_err("session", "client: expected ADDR or ADDR/LEN, got '%s'",
						 *argv);
			if (a.family == AF_INET)
				mnl_attr_put(nlh, NFLB_FILTER_A_CLIENT4, 4, &a.v4);
			else
				mnl_attr_put(nlh, NFLB_FILTER_A_CLIENT6, 16, &a.v6);
			mnl_attr_put_u8(nlh, NFLB_FILTER_A_CLIENT_PREFIXLEN, plen);
			has_client = true;
		} else {
			return usage_err("session", "unknown argument '%s'", *argv);
		}
		NEXT_ARG();
	}
	if (nest)
		mnl_attr_nest_end(nlh, nest);
	return 0;
}

/* One end of a session: text "ADDR:PORT" in a column; JSON key (the
 * address) and key_port. */
static void print_end_point(const char *key, const struct nlattr *a4,
			    const struct nlattr *a6, const struct nlattr *port)
{
	char buf[ADDR_STRLEN], pkey[32];

	print_str(PRINT_FP, NULL, " %-27s",
		  fmt_attr_addr(a4, a6, attr_u16(port), buf, sizeof(buf)));
	print_str(PRINT_JSON, key, NULL, fmt_attr_addr(a4, a6, -1, buf, sizeof(buf)));
	snprintf(pkey, sizeof(pkey), "%s_port", key);
	print_uint(PRINT_JSON, pkey, NULL, attr_u16(port));
}

/* One session: a row of the table, or a JSON object. */
static int print_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFLB_A_MAX + 1], *st[NFLB_SESSION_A_MAX + 1];
	uint8_t state, owner;
	uint32_t exp;

	(void)data;
	if (nl_parse_top(nlh, tb, NFLB_A_MAX) < 0 ||
	    nl_parse_nest(tb[NFLB_A_SESSION], st, NFLB_SESSION_A_MAX) < 0)
		return 0;
	state = attr_u8(st[NFLB_SESSION_A_STATE]);
	exp = attr_u32(st[NFLB_SESSION_A_EXPIRES]);

	open_json_object(NULL);
	print_str(PRINT_ANY, "vs", "%-16s", attr_str(st[NFLB_SESSION_A_VS]));
	print_str(PRINT_ANY, "proto", " %-5s", proto_name(attr_u8(st[NFLB_SESSION_A_PROTO])));
	print_str(PRINT_ANY, "state", " %-11s",
		  state <= NFLB_STATE_MAX ? state_names[state] : "unknown");
	print_end_point("client", st[NFLB_SESSION_A_CLIENT4], st[NFLB_SESSION_A_CLIENT6],
			st[NFLB_SESSION_A_CLIENT_PORT]);
	print_end_point("vip", st[NFLB_SESSION_A_VIP4], st[NFLB_SESSION_A_VIP6],
			st[NFLB_SESSION_A_VIP_PORT]);
	print_end_point("member", st[NFLB_SESSION_A_MEMBER4], st[NFLB_SESSION_A_MEMBER6],
			st[NFLB_SESSION_A_MEMBER_PORT]);
	print_uint(PRINT_JSON, "expires_ms", NULL, exp);
	print_fp(" %u.%us", exp / 1000, (exp % 1000) / 100);
	/* The creating node's sync id; 0: this node, sync off. */
	owner = attr_u8(st[NFLB_SESSION_A_OWNER]);
	print_uint(PRINT_JSON, "owner", NULL, owner);
	if (owner)
		print_fp(" %u\n", owner);
	else
		print_fp(" -\n");
	close_json_object();
	return 0;
}

static int session_list(int argc, char **argv)
{
	struct nlmsghdr *nlh = nl_req(NFLB_CMD_SESSION_GET);
	int r;

	if (argc >= 1 && arg_is(*argv, "help")) {
		session_usage(stdout);
		return EXIT_OK;
	}
	if (parse_filter(argc, argv, nlh))
		return EXIT_USAGE;
	if (nl_open())
		return EXIT_ERR;
	open_json_array(NULL);
	print_fp("%-16s %-5s %-11s %-27s %-27s %-27s %-7s %s\n", "VS", "PROTO",
		 "STATE", "CLIENT", "VIP", "MEMBER", "EXPIRES", "OWNER");
	r = nl_dump(nlh, print_cb, NULL);
	close_json_array();
	print_json_end();
	return r;
}

static int session_flush(int argc, char **argv)
{
	struct nlmsghdr *nlh = nl_req(NFLB_CMD_SESSION_DEL);

	if (argc >= 1 && arg_is(*argv, "help")) {
		session_usage(stdout);
		return EXIT_OK;
	}
	if (parse_filter(argc, argv, nlh))
		return EXIT_USAGE;
	return nl_do(nlh, NULL, NULL);
}

int do_session(int argc, char **argv)
{
	if (argc < 1 || arg_is(*argv, "list") || arg_is(*argv, "show") ||
	    arg_is(*argv, "ls"))
		return session_list(argc ? argc - 1 : 0, argv + (argc ? 1 : 0));
	if (arg_is(*argv, "flush") || arg_is(*argv, "del") || arg_is(*argv, "delete"))
		return session_flush(argc - 1, argv + 1);
	if (arg_is(*argv, "help")) {
		session_usage(stdout);
		return EXIT_OK;
	}
	return usage_err("session", "unknown command '%s'", *argv);
}
