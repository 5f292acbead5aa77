// SPDX-License-Identifier: GPL-2.0
/*
 * lbctl pool: pools of members that virtual servers balance over.
 */
#include <string.h>

#include "lbctl.h"

void pool_usage(FILE *f)
{
	fprintf(f,
"Usage: lbctl pool add NAME [ POOL-OPTIONS ]\n"
"       lbctl pool set NAME POOL-OPTIONS\n"
"       lbctl pool del NAME\n"
"       lbctl pool show [ NAME ]\n"
"POOL-OPTIONS := [ expire-on-down { on | off } ] [ min-active N ]\n"
"                [ check CHECK ] [ passive PASSIVE ]\n"
"CHECK := { tcp | http | https | udp-dns | none } [ port P ]\n"
"         [ path /health ] [ host H ] [ expect 200[-399] ] [ expect-body STR ]\n"
"         [ send STR expect STR ] [ query NAME ] [ tls-verify { on | off } ]\n"
"         [ interval SECS ] [ timeout SECS ] [ rise N ] [ fall N ]\n"
"         [ slow-start SECS ]\n"
"PASSIVE := { on | off } [ fails N ] [ hold SECS ] [ hold-max SECS ]\n"
"           [ max-eject PCT ]\n"
"A check starts from the defaults (interval 2, timeout 1, rise 2, fall 3,\n"
"expect 200-399, path /, slow-start 0); expect is a status range for http(s)\n"
"and the reply's string for tcp.  passive changes only what it names\n"
"(defaults: on, fails 5, hold 10, hold-max 300, max-eject 50).\n");
}

static int pool_addset(int argc, char **argv, uint8_t cmd)
{
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	bool expire;
	uint32_t v;

	if (argc < 1)
		return usage_err("pool", "%s: missing NAME", cmd == NFLB_CMD_POOL_NEW ? "add" : "set");
	if (check_name("pool", *argv))
		return EXIT_USAGE;
	nlh = nl_req(cmd);
	nest = mnl_attr_nest_start(nlh, NFLB_A_POOL);
	mnl_attr_put_strz(nlh, NFLB_POOL_A_NAME, *argv);
	NEXT_ARG();
	if (cmd == NFLB_CMD_POOL_SET && argc == 0)
		return usage_err("pool", "set: nothing to change");
	while (argc > 0) {
		if (arg_is(*argv, "check") || arg_is(*argv, "passive")) {
			int r = arg_is(*argv, "check") ? check_parse(&argc, &argv, nlh) :
				passive_parse(&argc, &argv, nlh);

			if (r)
				return r;
			continue;	/* they moved past their words */
		}
		if (arg_is(*argv, "expire-on-down")) {
			NEXT_ARG_VAL("pool");
			if (arg_onoff("pool", "expire-on-down", *argv, &expire))
				return EXIT_USAGE;
			mnl_attr_put_u32(nlh, NFLB_POOL_A_FLAGS,
					 expire ? NFLB_POOL_F_EXPIRE_ON_DOWN : 0);
		} else if (arg_is(*argv, "min-active")) {
			NEXT_ARG_VAL("pool");
			if (arg_u32("pool", "min-active", *argv, 0, UINT32_MAX, &v))
				return EXIT_USAGE;
			mnl_attr_put_u32(nlh, NFLB_POOL_A_MIN_ACTIVE, v);
		} else {
			return usage_err("pool", "unknown argument '%s'", *argv);
		}
		NEXT_ARG();
	}
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

/*
 * One pool.  Text: show's line with the counts, then its check and its
 * passive detection on a line each; an event's verb and the settings (a
 * del event names it only; check and passive only where not at their
 * defaults); save's "pool add" with the settings that differ from the
 * defaults.  JSON has every field.
 */
void pool_print(const struct nlattr *nest, enum pr_view view, const char *verb)
{
	const struct nlattr *pt[NFLB_POOL_A_MAX + 1];
	bool expire, text;
	uint32_t min_active;

	if (nl_parse_nest(nest, pt, NFLB_POOL_A_MAX) < 0)
		return;
	expire = attr_u32(pt[NFLB_POOL_A_FLAGS]) & NFLB_POOL_F_EXPIRE_ON_DOWN;
	min_active = attr_u32(pt[NFLB_POOL_A_MIN_ACTIVE]);
	text = !(view == PR_EVENT && !strcmp(verb, "del"));

	open_json_object(NULL);
	print_head(view, "pool", view == PR_SAVE ? "add" : verb);
	print_str(PRINT_ANY, "name", "%s", attr_str(pt[NFLB_POOL_A_NAME]));
	print_uint(print_any_if(view == PR_SHOW), "members", " members %u",
		   attr_u32(pt[NFLB_POOL_A_MEMBERS]));
	print_uint(print_any_if(view == PR_SHOW), "users", " users %u",
		   attr_u32(pt[NFLB_POOL_A_USERS]));
	print_bool(print_any_if(text && (view != PR_SAVE || expire)),
		   "expire_on_down", " expire-on-down %s", expire);
	print_uint(print_any_if(text && (view != PR_SAVE || min_active)),
		   "min_active", " min-active %u", min_active);
	if (view == PR_SHOW)
		print_fp("\n   ");
	check_print(text ? pt[NFLB_POOL_A_CHECK] : NULL, view == PR_SHOW);
	if (view == PR_SHOW)
		print_fp("\n   ");
	passive_print(text ? pt[NFLB_POOL_A_PASSIVE] : NULL, view == PR_SHOW);
	print_nl();
	close_json_object();
}

static int print_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFLB_A_MAX + 1];

	if (nl_parse_top(nlh, tb, NFLB_A_MAX) == 0 && tb[NFLB_A_POOL])
		pool_print(tb[NFLB_A_POOL], *(enum pr_view *)data, NULL);
	return 0;
}

/* The pool name, or all of them. */
int pool_dump(const char *name, enum pr_view view)
{
	struct nlmsghdr *nlh = nl_req(NFLB_CMD_POOL_GET);
	int r;

	if (nl_open())
		return EXIT_ERR;
	if (view == PR_SHOW)
		open_json_array(NULL);
	if (name) {
		struct nlattr *nest = mnl_attr_nest_start(nlh, NFLB_A_POOL);

		mnl_attr_put_strz(nlh, NFLB_POOL_A_NAME, name);
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

int do_pool(int argc, char **argv)
{
	if (argc < 1 || arg_is(*argv, "show") || arg_is(*argv, "list") ||
	    arg_is(*argv, "ls")) {
		if (argc > 2)
			return usage_err("pool", "show: unexpected argument '%s'", argv[2]);
		if (argc == 2 && check_name("pool", argv[1]))
			return EXIT_USAGE;
		return pool_dump(argc == 2 ? argv[1] : NULL, PR_SHOW);
	}
	if (arg_is(*argv, "add"))
		return pool_addset(argc - 1, argv + 1, NFLB_CMD_POOL_NEW);
	if (arg_is(*argv, "set") || arg_is(*argv, "change"))
		return pool_addset(argc - 1, argv + 1, NFLB_CMD_POOL_SET);
	if (arg_is(*argv, "del") || arg_is(*argv, "delete"))
		return pool_del(argc - 1, argv + 1);
	if (arg_is(*argv, "help")) {
		pool_usage(stdout);
		return EXIT_OK;
	}
	return usage_err("pool", "unknown command '%s'", *argv);
}
