// SPDX-License-Identifier: GPL-2.0
/*
 * lbctl vs: virtual servers.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <string.h>

#include "lbctl.h"

void vs_usage(FILE *f)
{
	fprintf(f,
"Usage: lbctl vs add NAME vip ADDR port PORT proto { tcp | udp } pool POOL\n"
"                   [ sched { rr | wrr | lc | wlc | sh | mh } ] [ loose ]\n"
"                   [ reset-on-expiry ] [ hash-port ] [ rst-no-member ]\n"
"                   [ max-sessions N ] [ mh-size N ]\n"
"                   [ persist SECS [ mask4 LEN ] [ mask6 LEN ] ]\n"
"                   [ drain [ drain-timeout SECS ] ]\n"
"       lbctl vs set NAME [ pool POOL ] [ sched SCHED ] [ loose { on | off } ]\n"
"                   [ reset-on-expiry { on | off } ] [ hash-port { on | off } ]\n"
"                   [ rst-no-member { on | off } ] [ max-sessions N ] [ mh-size N ]\n"
"                   [ persist SECS [ mask4 LEN ] [ mask6 LEN ] ]\n"
"                   [ drain { on | off } ] [ drain-timeout SECS ]\n"
"       lbctl vs del NAME\n"
"       lbctl vs show [ NAME ]\n"
"vip also takes ADDR:PORT or [IPV6]:PORT; PORT and proto take service and\n"
"protocol names.  max-sessions 0 means only the global limit applies.\n"
"drain: no new sessions; with drain-timeout the sessions left are reset on\n"
"both ends after SECS.\n");
}

struct vs_args {
	const char *name, *pool, *vip_str, *port_str;
	struct lb_addr vip;
	uint16_t port;
	uint8_t proto;
	bool has_proto, has_sched, has_max, has_mh, has_persist, has_m4, has_m6;
	bool has_dto;
	uint32_t sched, max_sessions, mh_size, persist, mask4, mask6, dto;
	uint32_t flags_set, flags_clear;	/* requested changes */
};

static int parse_vs_opts(int argc, char **argv, struct vs_args *v, bool add)
{
	const char *obj = "vs";

	while (argc > 0) {
		const struct flag_name *fl;
		bool on;

		for (fl = vs_flag_names; fl->name; fl++)
			if (arg_is(*argv, fl->name))
				break;
		if (fl->name) {
			on = true;
			if (!add || (argc > 1 && parse_onoff(argv[1], &on) == 0)) {
				NEXT_ARG_VAL(obj);
				if (arg_onoff(obj, fl->name, *argv, &on))
					return EXIT_USAGE;
			}
			if (on) {
				v->flags_set |= fl->flag;
				v->flags_clear &= ~fl->flag;
			} else {
				v->flags_clear |= fl->flag;
				v->flags_set &= ~fl->flag;
			}
		} else if (arg_is(*argv, "vip") || arg_is(*argv, "port") ||
			   arg_is(*argv, "proto")) {
			if (!add)
				return usage_err(obj, "%s cannot be changed; delete and add the virtual server again",
						 *argv);
			if (arg_is(*argv, "vip")) {
				NEXT_ARG_VAL(obj);
				v->vip_str = *argv;
			} else if (arg_is(*argv, "port")) {
				NEXT_ARG_VAL(obj);
				v->port_str = *argv;
			} else {
				NEXT_ARG_VAL(obj);
				if (parse_proto(*argv, &v->proto))
					return usage_err(obj, "proto: expected tcp or udp, got '%s'", *argv);
				v->has_proto = true;
			}
		} else if (arg_is(*argv, "pool")) {
			NEXT_ARG_VAL(obj);
			if (check_name(obj, *argv))
				return EXIT_USAGE;
			v->pool = *argv;
		} else if (arg_is(*argv, "sched") || arg_is(*argv, "scheduler")) {
			NEXT_ARG_VAL(obj);
			if (parse_sched(*argv, &v->sched))
				return usage_err(obj, "sched: expected rr, wrr, lc, wlc, sh or mh, got '%s'", *argv);
			v->has_sched = true;
		} else if (arg_is(*argv, "max-sessions")) {
			NEXT_ARG_VAL(obj);
			if (arg_u32(obj, "max-sessions", *argv, 0, NFLB_MAX_SESSIONS_LIMIT,
				    &v->max_sessions))
				return EXIT_USAGE;
			v->has_max = true;
		} else if (arg_is(*argv, "mh-size")) {
			NEXT_ARG_VAL(obj);
			if (arg_u32(obj, "mh-size", *argv, 1, UINT32_MAX, &v->mh_size))
				return EXIT_USAGE;
			v->has_mh = true;
		} else if (arg_is(*argv, "persist")) {
			NEXT_ARG_VAL(obj);
			if (arg_u32(obj, "persist", *argv, 0, NFLB_TIMEOUT_MAX_SECS, &v->persist))
				return EXIT_USAGE;
			v->has_persist = true;
		} else if (arg_is(*argv, "mask4")) {
			NEXT_ARG_VAL(obj);
			if (arg_u32(obj, "mask4", *argv, 0, 32, &v->mask4))
				return EXIT_USAGE;
			v->has_m4 = true;
		} else if (arg_is(*argv, "mask6")) {
			NEXT_ARG_VAL(obj);
			if (arg_u32(obj, "mask6", *argv, 0, 128, &v->mask6))
				return EXIT_USAGE;
			v->has_m6 = true;
		} else if (arg_is(*argv, "drain-timeout")) {
			NEXT_ARG_VAL(obj);
			if (arg_u32(obj, "drain-timeout", *argv, 0, NFLB_TIMEOUT_MAX_SECS,
				    &v->dto))
				return EXIT_USAGE;
			v->has_dto = true;
		} else if (arg_is(*argv, "help")) {
			vs_usage(stdout);
			return -1;
		} else {
			return usage_err(obj, "unknown argument '%s'", *argv);
		}
		NEXT_ARG();
	}
	return 0;
}

static void put_common(struct nlmsghdr *nlh, const struct vs_args *v)
{
	if (v->pool)
		mnl_attr_put_strz(nlh, NFLB_VS_A_POOL, v->pool);
	if (v->has_sched)
		mnl_attr_put_u32(nlh, NFLB_VS_A_SCHED, v->sched);
	if (v->has_max)
		mnl_attr_put_u32(nlh, NFLB_VS_A_MAX_SESSIONS, v->max_sessions);
	if (v->has_mh)
		mnl_attr_put_u32(nlh, NFLB_VS_A_MH_SIZE, v->mh_size);
	if (v->has_persist)
		mnl_attr_put_u32(nlh, NFLB_VS_A_PERSIST_TIMEOUT, v->persist);
	if (v->has_m4)
		mnl_attr_put_u8(nlh, NFLB_VS_A_PERSIST_MASK4, (uint8_t)v->mask4);
	if (v->has_m6)
		mnl_attr_put_u8(nlh, NFLB_VS_A_PERSIST_MASK6, (uint8_t)v->mask6);
	if (v->has_dto)
		mnl_attr_put_u32(nlh, NFLB_VS_A_DRAIN_TIMEOUT, v->dto);
}

static int vs_add(int argc, char **argv)
{
	struct vs_args v = { 0 };
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	const char *proto;
	int r;

	if (argc < 1)
		return usage_err("vs", "add: missing NAME");
	if (check_name("vs", *argv))
		return EXIT_USAGE;
	v.name = *argv;
	r = parse_vs_opts(argc - 1, argv + 1, &v, true);
	if (r)
		return r < 0 ? EXIT_OK : r;

	if (!v.vip_str)
		return usage_err("vs", "add: missing vip ADDR");
	if (!v.pool)
		return usage_err("vs", "add: missing pool POOL");
	if (!v.has_proto)
		return usage_err("vs", "add: missing proto { tcp | udp }");
	proto = proto_name(v.proto);
	if (parse_addr_port(v.vip_str, &v.vip, &v.port, proto, true))
		return usage_err("vs", "vip: expected an IPv4 or IPv6 address, ADDR:PORT or [IPV6]:PORT, got '%s'",
				 v.vip_str);
	if (v.port && v.port_str)
		return usage_err("vs", "port given twice (in vip '%s' and port '%s')",
				 v.vip_str, v.port_str);
	if (v.port_str && parse_port(v.port_str, proto, &v.port))
		return usage_err("vs", "port: expected a number 1-65535 or a service name, got '%s'",
				 v.port_str);
	if (!v.port)
		return usage_err("vs", "add: missing port PORT");

	nlh = nl_req(NFLB_CMD_VS_NEW);
	nest = mnl_attr_nest_start(nlh, NFLB_A_VS);
	mnl_attr_put_strz(nlh, NFLB_VS_A_NAME, v.name);
	if (v.vip.family == AF_INET)
		mnl_attr_put(nlh, NFLB_VS_A_ADDR4, 4, &v.vip.v4);
	else
		mnl_attr_put(nlh, NFLB_VS_A_ADDR6, 16, &v.vip.v6);
	mnl_attr_put_u16(nlh, NFLB_VS_A_PORT, v.port);
	mnl_attr_put_u8(nlh, NFLB_VS_A_PROTO, v.proto);
	if (v.flags_set)
		mnl_attr_put_u32(nlh, NFLB_VS_A_FLAGS, v.flags_set);
	put_common(nlh, &v);
	mnl_attr_nest_end(nlh, nest);
	return nl_do(nlh, NULL, NULL);
}

static int get_flags_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFLB_A_MAX + 1], *vt[NFLB_VS_A_MAX + 1];

	if (nl_parse_top(nlh, tb, NFLB_A_MAX) == 0 &&
	    nl_parse_nest(tb[NFLB_A_VS], vt, NFLB_VS_A_MAX) == 0)
		*(uint32_t *)data = attr_u32(vt[NFLB_VS_A_FLAGS]);
	return 0;
}

static int vs_set(int argc, char **argv)
{
	struct vs_args v = { 0 };
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	uint32_t flags = 0;
	int r;

	if (argc < 1)
		return usage_err("vs", "set: missing NAME");
	if (check_name("vs", *argv))
		return EXIT_USAGE;
	v.name = *argv;
	r = parse_vs_opts(argc - 1, argv + 1, &v, false);
	if (r)
		return r < 0 ? EXIT_OK : r;
	if (argc == 1)
		return usage_err("vs", "set: nothing to change");

	if (v.flags_set || v.flags_clear) {
		/* FLAGS replaces the whole word: read the current one first. */
		nlh = nl_req(NFLB_CMD_VS_GET);
		nest = mnl_attr_nest_start(nlh, NFLB_A_VS);
		mnl_attr_put_strz(nlh, NFLB_VS_A_NAME, v.name);
		mnl_attr_nest_end(nlh, nest);
		if (nl_do(nlh, get_flags_cb, &flags))
			return EXIT_ERR;
		flags = (flags | v.flags_set) & ~v.flags_clear;
	}

	nlh = nl_req(NFLB_CMD_VS_SET);
	nest = mnl_attr_nest_start(nlh, NFLB_A_VS);
	mnl_attr_put_strz(nlh, NFLB_VS_A_NAME, v.name);
	if (v.flags_set || v.flags_clear)
		mnl_attr_put_u32(nlh, NFLB_VS_A_FLAGS, flags);
	put_common(nlh, &v);
	mnl_attr_nest_end(nlh, nest);
	return nl_do(nlh, NULL, NULL);
}

static int vs_del(int argc, char **argv)
{
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	if (argc < 1)
		return usage_err("vs", "del: missing NAME");
	if (argc > 1)
		return usage_err("vs", "del: unexpected argument '%s'", argv[1]);
	if (check_name("vs", *argv))
		return EXIT_USAGE;
	nlh = nl_req(NFLB_CMD_VS_DEL);
	nest = mnl_attr_nest_start(nlh, NFLB_A_VS);
	mnl_attr_put_strz(nlh, NFLB_VS_A_NAME, *argv);
	mnl_attr_nest_end(nlh, nest);
	return nl_do(nlh, NULL, NULL);
}

/* ------------------------------------------------------------------ */

static const char *sched_str(uint32_t s)
{
	return s <= NFLB_SCHED_MAX ? sched_names[s] : "unknown";
}

/*
 * One virtual server.  As text, show, the monitor's add and set events and
 * save share the arguments of "vs add" that rebuild it; a del event names
 * it only.  show adds the active count, the timeouts set and (-s) the
 * counters; save adds the "timeout set vs" command of the timeouts set.
 * JSON has every field for show and every event.
 */
void vs_print(const struct nlattr *nest, enum pr_view view, const char *verb)
{
	const struct nlattr *vt[NFLB_VS_A_MAX + 1];
	char vip[ADDR_STRLEN], prefix[64];
	uint32_t flags, sched, maxs, mh, persist, dto, active;
	enum print_type t;
	const char *name;
	bool text;

	if (nl_parse_nest(nest, vt, NFLB_VS_A_MAX) < 0)
		return;
	name = attr_str(vt[NFLB_VS_A_NAME]);
	flags = attr_u32(vt[NFLB_VS_A_FLAGS]);
	sched = attr_u32(vt[NFLB_VS_A_SCHED]);
	maxs = attr_u32(vt[NFLB_VS_A_MAX_SESSIONS]);
	mh = attr_u32(vt[NFLB_VS_A_MH_SIZE]);
	persist = attr_u32(vt[NFLB_VS_A_PERSIST_TIMEOUT]);
	dto = attr_u32(vt[NFLB_VS_A_DRAIN_TIMEOUT]);
	active = attr_u32(vt[NFLB_VS_A_ACTIVE]);
	text = !(view == PR_EVENT && !strcmp(verb, "del"));
	t = print_any_if(text);

	open_json_object(NULL);
	print_head(view, "vs", view == PR_SAVE ? "add" : verb);
	print_str(PRINT_ANY, "name", "%s", name);
	fmt_attr_addr(vt[NFLB_VS_A_ADDR4], vt[NFLB_VS_A_ADDR6], -1, vip, sizeof(vip));
	print_str(t, "vip", " vip %s", vip);
	print_uint(t, "port", " port %u", attr_u16(vt[NFLB_VS_A_PORT]));
	print_str(t, "proto", " proto %s", proto_name(attr_u8(vt[NFLB_VS_A_PROTO])));
	print_str(t, "pool", " pool %s", attr_str(vt[NFLB_VS_A_POOL]));
	print_str(t, "sched", " sched %s", sched_str(sched));
	open_json_array("flags");
	for (const struct flag_name *fl = vs_flag_names; fl->name; fl++)
		if (flags & fl->flag)
			print_str(t, NULL, " %s", fl->name);
	close_json_array();
	print_uint(print_any_if(text && maxs), "max_sessions", " max-sessions %u", maxs);
	print_uint(PRINT_JSON, "active", NULL, active);
	/* The table size matters to mh only; show it when it says something. */
	print_uint(print_any_if(text && mh && (sched == NFLB_SCHED_MH ||
					      mh != NFLB_MH_SIZE_DEFAULT)),
		   "mh_size", " mh-size %u", mh);
	if (text && persist)
		print_fp(" persist %u mask4 %u mask6 %u", persist,
			 attr_u8(vt[NFLB_VS_A_PERSIST_MASK4]),
			 attr_u8(vt[NFLB_VS_A_PERSIST_MASK6]));
	/* Seconds left of a drain deadline (the kernel counts down). */
	print_uint(print_any_if(text && dto), "drain_timeout", " drain-timeout %u", dto);
	if (view == PR_SHOW)
		print_fp(" active %u", active);
	print_nl();
	/* The timeouts set (0 = inherited): text for show and save only. */
	snprintf(prefix, sizeof(prefix), "timeout set vs %s", name);
	print_timeouts(vt[NFLB_VS_A_TIMEOUTS], view == PR_SHOW ? "    timeouts" :
		       view == PR_SAVE ? prefix : NULL, false);
	open_json_object("persist");
	print_uint(PRINT_JSON, "timeout", NULL, persist);
	print_uint(PRINT_JSON, "mask4", NULL, attr_u8(vt[NFLB_VS_A_PERSIST_MASK4]));
	print_uint(PRINT_JSON, "mask6", NULL, attr_u8(vt[NFLB_VS_A_PERSIST_MASK6]));
	close_json_object();
	print_stats("stats", vt[NFLB_VS_A_STATS], view == PR_SHOW && opts.stats);
	close_json_object();
}

static int print_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFLB_A_MAX + 1];

	if (nl_parse_top(nlh, tb, NFLB_A_MAX) == 0 && tb[NFLB_A_VS])
		vs_print(tb[NFLB_A_VS], *(enum pr_view *)data, NULL);
	return 0;
}

/* The virtual server name, or all of them. */
int vs_dump(const char *name, enum pr_view view)
{
	struct nlmsghdr *nlh;
	int r;

	if (nl_open())
		return EXIT_ERR;
	nlh = nl_req(NFLB_CMD_VS_GET);
	if (view == PR_SHOW)
		open_json_array(NULL);
	if (name) {
		struct nlattr *nest = mnl_attr_nest_start(nlh, NFLB_A_VS);

		mnl_attr_put_strz(nlh, NFLB_VS_A_NAME, name);
		mnl_attr_nest_end(nlh, nest);
		r = nl_do(nlh, print_cb, &view);
	} else {
		r = nl_dump(nlh, print_cb, &view);
	}
	if (view == PR_SHOW) {
		close_json_array();
		print_json_end();
	}
	return r;
}

static int vs_show(int argc, char **argv)
{
	if (argc > 1)
		return usage_err("vs", "show: unexpected argument '%s'", argv[1]);
	if (argc == 1 && check_name("vs", *argv))
		return EXIT_USAGE;
	return vs_dump(argc == 1 ? *argv : NULL, PR_SHOW);
}

int do_vs(int argc, char **argv)
{
	if (argc < 1 || arg_is(*argv, "show") || arg_is(*argv, "list") ||
	    arg_is(*argv, "ls"))
		return vs_show(argc ? argc - 1 : 0, argv + (argc ? 1 : 0));
	if (arg_is(*argv, "add"))
		return vs_add(argc - 1, argv + 1);
	if (arg_is(*argv, "set") || arg_is(*argv, "change"))
		return vs_set(argc - 1, argv + 1);
	if (arg_is(*argv, "del") || arg_is(*argv, "delete"))
		return vs_del(argc - 1, argv + 1);
	if (arg_is(*argv, "help")) {
		vs_usage(stdout);
		return EXIT_OK;
	}
	return usage_err("vs", "unknown command '%s'", *argv);
}
