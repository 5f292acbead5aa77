// SPDX-License-Identifier: GPL-2.0
/*
 * lbctl global: namespace-wide settings (session limit, default timeouts).
 */
#include <string.h>

#include "lbctl.h"

void global_usage(FILE *f)
{
	fprintf(f,
"Usage: lbctl global set [ max-sessions N ] [ STATE SECS ... ]\n"
"       lbctl global show\n"
"max-sessions 1..%d (default %d); STATE SECS as in `lbctl timeout help`.\n",
		NFLB_MAX_SESSIONS_LIMIT, NFLB_MAX_SESSIONS_DEFAULT);
}

static int global_set(int argc, char **argv)
{
	struct nlmsghdr *nlh = nl_req(NFLB_CMD_GLOBAL_SET);
	struct nlattr *nest = mnl_attr_nest_start(nlh, NFLB_A_GLOBAL);
	uint32_t v;

	if (argc < 1)
		return usage_err("global", "set: nothing to change");
	if (matches(*argv, "help")) {
		global_usage(stdout);
		return EXIT_OK;
	}
	while (argc > 0 && matches(*argv, "max-sessions")) {
		NEXT_ARG_VAL("global");
		if (arg_u32("global", "max-sessions", *argv, 1, NFLB_MAX_SESSIONS_LIMIT, &v))
			return EXIT_USAGE;
		mnl_attr_put_u32(nlh, NFLB_GLOBAL_A_MAX_SESSIONS, v);
		NEXT_ARG();
	}
	if (argc > 0) {
		if (parse_timeout_state(*argv) < 0)
			return usage_err("global", "unknown argument '%s'", *argv);
		if (timeouts_parse(argc, argv, nlh, NFLB_GLOBAL_A_TIMEOUTS, 1, "global"))
			return EXIT_USAGE;
	}
	mnl_attr_nest_end(nlh, nest);
	return nl_do(nlh, NULL, NULL);
}

/* event NULL: show; "save": rebuilding commands; else monitor verb. */
void global_print(const struct nlattr *nest, const char *event)
{
	const struct nlattr *gt[NFLB_GLOBAL_A_MAX + 1];
	uint32_t t[NFLB_STATE_MAX + 1];
	uint32_t max;
	int i;

	if (nl_parse_nest(nest, gt, NFLB_GLOBAL_A_MAX) < 0)
		return;
	max = attr_u32(gt[NFLB_GLOBAL_A_MAX_SESSIONS]);
	timeouts_get(gt[NFLB_GLOBAL_A_TIMEOUTS], t);

	if (event && !strcmp(event, "save")) {
		printf("global set max-sessions %u\n", max);
		printf("timeout set");
		for (i = 0; i <= NFLB_STATE_MAX; i++)
			printf(" %s %u", timeout_names[i], t[i]);
		putchar('\n');
		return;
	}
	if (opts.json) {
		jw_obj_open(NULL);
		if (event) {
			jw_str("object", "global");
			jw_str("event", event);
		}
		jw_uint("max_sessions", max);
		print_timeouts_json("timeouts", gt[NFLB_GLOBAL_A_TIMEOUTS]);
		jw_obj_close();
		return;
	}
	if (event) {
		printf("global %s max-sessions %u", event, max);
		for (i = 0; i <= NFLB_STATE_MAX; i++)
			printf(" %s %u", timeout_names[i], t[i]);
		putchar('\n');
		return;
	}
	printf("max-sessions %u\n", max);
	printf("timeouts");
	for (i = 0; i <= NFLB_STATE_MAX; i++)
		printf(" %s %u", timeout_names[i], t[i]);
	putchar('\n');
}

static int show_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFLB_A_MAX + 1];

	if (nl_parse_top(nlh, tb, NFLB_A_MAX) == 0 && tb[NFLB_A_GLOBAL])
		global_print(tb[NFLB_A_GLOBAL], data);
	return 0;
}

int global_dump(const char *event)
{
	int r = nl_do(nl_req(NFLB_CMD_GLOBAL_GET), show_cb, (void *)event);

	if (opts.json && !event && r == EXIT_OK)
		jw_end();
	return r;
}

int do_global(int argc, char **argv)
{
	if (argc < 1 || matches(*argv, "show") || matches(*argv, "list") ||
	    matches(*argv, "ls")) {
		if (argc > 1)
			return usage_err("global", "show: unexpected argument '%s'", argv[1]);
		return global_dump(NULL);
	}
	if (matches(*argv, "set"))
		return global_set(argc - 1, argv + 1);
	if (matches(*argv, "help")) {
		global_usage(stdout);
		return EXIT_OK;
	}
	return usage_err("global", "unknown command '%s'", *argv);
}
