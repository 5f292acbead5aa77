// SPDX-License-Identifier: GPL-2.0
/*
 * lbctl pool: pools of members that virtual servers balance over.
 */
#include <string.h>

#include "lbctl.h"

void pool_usage(FILE *f)
{
	fprintf(f,
"Usage: lbctl pool add NAME [ expire-on-down { on | off } ] [ min-active N ]\n"
"       lbctl pool set NAME [ expire-on-down { on | off } ] [ min-active N ]\n"
"       lbctl pool del NAME\n"
"       lbctl pool show [ NAME ]\n");
}

static int pool_addset(int argc, char **argv, uint8_t cmd)
{
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	const char *name;
	bool has_flags = false, expire = false, has_min = false;
	uint32_t min_active = 0;

	if (argc < 1)
		return usage_err("pool", "%s: missing NAME", cmd == NFLB_CMD_POOL_NEW ? "add" : "set");
	if (check_name("pool", *argv))
		return EXIT_USAGE;
	name = *argv;
	NEXT_ARG();
	if (cmd == NFLB_CMD_POOL_SET && argc == 0)
		return usage_err("pool", "set: nothing to change");
	while (argc > 0) {
		if (matches(*argv, "expire-on-down")) {
			NEXT_ARG_VAL("pool");
			if (arg_onoff("pool", "expire-on-down", *argv, &expire))
				return EXIT_USAGE;
			has_flags = true;
		} else if (matches(*argv, "min-active")) {
			NEXT_ARG_VAL("pool");
			if (arg_u32("pool", "min-active", *argv, 0, UINT32_MAX, &min_active))
				return EXIT_USAGE;
			has_min = true;
		} else {
			return usage_err("pool", "unknown argument '%s'", *argv);
		}
		NEXT_ARG();
	}
	nlh = nl_req(cmd);
	nest = mnl_attr_nest_start(nlh, NFLB_A_POOL);
	mnl_attr_put_strz(nlh, NFLB_POOL_A_NAME, name);
	if (has_flags)
		mnl_attr_put_u32(nlh, NFLB_POOL_A_FLAGS, expire ? NFLB_POOL_F_EXPIRE_ON_DOWN : 0);
	if (has_min)
		mnl_attr_put_u32(nlh, NFLB_POOL_A_MIN_ACTIVE, min_active);
	mnl_attr_nest_end(nlh, nest);
	return nl_do(nlh, NULL, NULL);
}

static int pool_del(int argc, char **argv)
{
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	if (argc < 1)
		return usage_err("pool", "del: missing NAME");
	if (argc > 1)
		return usage_err("pool", "del: unexpected argument '%s'", argv[1]);
	if (check_name("pool", *argv))
		return EXIT_USAGE;
	nlh = nl_req(NFLB_CMD_POOL_DEL);
	nest = mnl_attr_nest_start(nlh, NFLB_A_POOL);
	mnl_attr_put_strz(nlh, NFLB_POOL_A_NAME, *argv);
	mnl_attr_nest_end(nlh, nest);
	return nl_do(nlh, NULL, NULL);
}

/* event NULL: "pool show" entry; "save": a "pool add" line; else monitor. */
void pool_print(const struct nlattr *nest, const char *event)
{
	const struct nlattr *pt[NFLB_POOL_A_MAX + 1];
	const char *name;
	bool expire;
	uint32_t min_active;

	if (nl_parse_nest(nest, pt, NFLB_POOL_A_MAX) < 0)
		return;
	name = attr_str(pt[NFLB_POOL_A_NAME]);
	expire = attr_u32(pt[NFLB_POOL_A_FLAGS]) & NFLB_POOL_F_EXPIRE_ON_DOWN;
	min_active = attr_u32(pt[NFLB_POOL_A_MIN_ACTIVE]);

	if (event && !strcmp(event, "save")) {
		printf("pool add %s", name);
		if (expire)
			printf(" expire-on-down on");
		if (min_active)
			printf(" min-active %u", min_active);
		putchar('\n');
		return;
	}
	if (opts.json) {
		jw_obj_open(NULL);
		if (event) {
			jw_str("object", "pool");
			jw_str("event", event);
		}
		jw_str("name", name);
		jw_uint("members", attr_u32(pt[NFLB_POOL_A_MEMBERS]));
		jw_uint("users", attr_u32(pt[NFLB_POOL_A_USERS]));
		jw_bool("expire_on_down", expire);
		jw_uint("min_active", min_active);
		jw_obj_close();
		return;
	}
	if (event && !strcmp(event, "del")) {
		printf("pool del %s\n", name);
		return;
	}
	if (event)
		printf("pool %s %s expire-on-down %s min-active %u\n", event, name,
		       expire ? "on" : "off", min_active);
	else
		printf("%s members %u users %u expire-on-down %s min-active %u\n", name,
		       attr_u32(pt[NFLB_POOL_A_MEMBERS]), attr_u32(pt[NFLB_POOL_A_USERS]),
		       expire ? "on" : "off", min_active);
}

static int show_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFLB_A_MAX + 1];

	if (nl_parse_top(nlh, tb, NFLB_A_MAX) == 0 && tb[NFLB_A_POOL])
		pool_print(tb[NFLB_A_POOL], data);
	return 0;
}

/* Used by save too (event "save"). */
int pool_dump(const char *name, const char *event)
{
	struct nlmsghdr *nlh = nl_req(NFLB_CMD_POOL_GET);
	bool json = opts.json && !event;
	int r;

	if (nl_open())
		return EXIT_ERR;
	if (json)
		jw_arr_open(NULL);
	if (name) {
		struct nlattr *nest = mnl_attr_nest_start(nlh, NFLB_A_POOL);

		mnl_attr_put_strz(nlh, NFLB_POOL_A_NAME, name);
		mnl_attr_nest_end(nlh, nest);
		r = nl_do(nlh, show_cb, (void *)event);
	} else {
		r = nl_dump(nlh, show_cb, (void *)event);
	}
	if (json) {
		jw_arr_close();
		jw_end();
	}
	return r;
}

int do_pool(int argc, char **argv)
{
	if (argc < 1 || matches(*argv, "show") || matches(*argv, "list") ||
	    matches(*argv, "ls")) {
		if (argc > 2)
			return usage_err("pool", "show: unexpected argument '%s'", argv[2]);
		if (argc == 2 && check_name("pool", argv[1]))
			return EXIT_USAGE;
		return pool_dump(argc == 2 ? argv[1] : NULL, NULL);
	}
	if (matches(*argv, "add"))
		return pool_addset(argc - 1, argv + 1, NFLB_CMD_POOL_NEW);
	if (matches(*argv, "set") || matches(*argv, "change"))
		return pool_addset(argc - 1, argv + 1, NFLB_CMD_POOL_SET);
	if (matches(*argv, "del") || matches(*argv, "delete"))
		return pool_del(argc - 1, argv + 1);
	if (matches(*argv, "help")) {
		pool_usage(stdout);
		return EXIT_OK;
	}
	return usage_err("pool", "unknown command '%s'", *argv);
}
