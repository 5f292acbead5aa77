// SPDX-License-Identifier: GPL-2.0
/*
 * lbctl stats: global counters, then per virtual server; -s adds members.
 */
#include <string.h>

#include "lbctl.h"

void stats_usage(FILE *f)
{
	fprintf(f,
"Usage: lbctl stats [ show ] [ vs NAME ]\n"
"       lbctl stats zero\n"
"Global counters, then those of each virtual server (or of NAME);\n"
"with -s also those of each member (of NAME's pool).\n");
}

/* The global counters: text "global" and its counters; JSON "global". */
static int global_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFLB_A_MAX + 1];

	(void)data;
	if (nl_parse_top(nlh, tb, NFLB_A_MAX) < 0)
		return 0;
	print_fp("global\n");
	print_stats("global", tb[NFLB_A_STATS], true);
	return 0;
}

/* A virtual server's counters (and its pool's name into data, if given). */
static int vs_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFLB_A_MAX + 1], *vt[NFLB_VS_A_MAX + 1];
	char *pool = data;

	if (nl_parse_top(nlh, tb, NFLB_A_MAX) < 0 ||
	    nl_parse_nest(tb[NFLB_A_VS], vt, NFLB_VS_A_MAX) < 0)
		return 0;
	if (pool)
		snprintf(pool, NFLB_NAME_MAX, "%s", attr_str(vt[NFLB_VS_A_POOL]));
	open_json_object(NULL);
	print_str(PRINT_ANY, "name", "vs %s\n", attr_str(vt[NFLB_VS_A_NAME]));
	print_stats(NULL, vt[NFLB_VS_A_STATS], true);
	close_json_object();
	return 0;
}

static int stats_show(int argc, char **argv)
{
	const char *name = NULL;
	char pool[NFLB_NAME_MAX] = "";
	struct nlmsghdr *nlh;
	int r;

	if (argc >= 1 && arg_is(*argv, "vs")) {
		if (argc < 2)
			return usage_err("stats", "vs: missing NAME");
		name = argv[1];
		if (check_name("stats", name))
			return EXIT_USAGE;
		argc -= 2;
		argv += 2;
	}
	if (argc > 0)
		return usage_err("stats", "unexpected argument '%s'", *argv);

	if (nl_open())
		return EXIT_ERR;
	open_json_object(NULL);
	r = nl_do(nl_req(NFLB_CMD_STATS_GET), global_cb, NULL);
	if (r)
		goto out;
	open_json_array("vs");
	nlh = nl_req(NFLB_CMD_VS_GET);
	if (name) {
		struct nlattr *nest = mnl_attr_nest_start(nlh, NFLB_A_VS);

		mnl_attr_put_strz(nlh, NFLB_VS_A_NAME, name);
		mnl_attr_nest_end(nlh, nest);
		r = nl_do(nlh, vs_cb, pool);
	} else {
		r = nl_dump(nlh, vs_cb, NULL);
	}
	close_json_array();
	if (r || !opts.stats)
		goto out;
	open_json_array("members");
	r = member_dump(name ? pool : NULL, PR_STATS);
	close_json_array();
out:
	close_json_object();
	print_json_end();
	return r;
}

int do_stats(int argc, char **argv)
{
	if (argc < 1 || arg_is(*argv, "show") || arg_is(*argv, "list") ||
	    arg_is(*argv, "ls"))
		return stats_show(argc ? argc - 1 : 0, argv + (argc ? 1 : 0));
	if (arg_is(*argv, "vs"))
		return stats_show(argc, argv);
	if (arg_is(*argv, "zero") || arg_is(*argv, "reset")) {
		if (argc > 1)
			return usage_err("stats", "zero: unexpected argument '%s'", argv[1]);
		return nl_do(nl_req(NFLB_CMD_STATS_ZERO), NULL, NULL);
	}
	if (arg_is(*argv, "help")) {
		stats_usage(stdout);
		return EXIT_OK;
	}
	return usage_err("stats", "unknown command '%s'", *argv);
}
