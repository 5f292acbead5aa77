// SPDX-License-Identifier: GPL-2.0
/*
 * lbctl global: namespace-wide settings (session limit, default timeouts).
 */
#include <string.h>

#include "lbctl.h"

void global_usage(FILE *f)
{
	fprintf(f,
"Usage: lbctl global set [ max-sessions N ] [ max-members N ] [ max-vs N ]\n"
"                        [ max-pools N ] [ max-mh-size N ]\n"
"                        [ expire-nodest { on | off } ] [ STATE SECS ... ]\n"
"       lbctl global show\n"
"max-sessions 1..%d (default %d; it also bounds persistence entries),\n"
"max-members 1..%d (default %d), max-vs and max-pools 1..%d (default %d),\n"
"max-mh-size 7..%d (default %d). A namespace owned by another user namespace\n"
"starts lower (%d sessions, %d members, %d virtual servers and pools,\n"
"mh-size %d) and cannot go above the initial namespace's limits.\n"
"expire-nodest on (default): deleting a member ends its sessions.\n"
"STATE SECS as in `lbctl timeout help`.\n",
		NFLB_MAX_SESSIONS_LIMIT, NFLB_MAX_SESSIONS_DEFAULT,
		NFLB_MAX_MEMBERS_LIMIT, NFLB_MAX_MEMBERS_DEFAULT,
		NFLB_MAX_OBJECTS_LIMIT, NFLB_MAX_VS_DEFAULT,
		NFLB_MH_SIZE_MAX, NFLB_MH_SIZE_MAX,
		NFLB_MAX_SESSIONS_USERNS, NFLB_MAX_MEMBERS_USERNS,
		NFLB_MAX_VS_USERNS, NFLB_MAX_MH_SIZE_USERNS);
}

/* The u32 limits of `global set`: keyword, attribute, JSON key, range. */
static const struct {
	const char *word;
	int attr;
	const char *key;
	uint32_t min, max;
} limits[] = {
	{ "max-sessions", NFLB_GLOBAL_A_MAX_SESSIONS, "max_sessions", 1,
	  NFLB_MAX_SESSIONS_LIMIT },
	{ "max-members", NFLB_GLOBAL_A_MAX_MEMBERS, "max_members", 1,
	  NFLB_MAX_MEMBERS_LIMIT },
	{ "max-vs", NFLB_GLOBAL_A_MAX_VS, "max_vs", 1, NFLB_MAX_OBJECTS_LIMIT },
	{ "max-pools", NFLB_GLOBAL_A_MAX_POOLS, "max_pools", 1,
	  NFLB_MAX_OBJECTS_LIMIT },
	{ "max-mh-size", NFLB_GLOBAL_A_MAX_MH_SIZE, "max_mh_size", 7,
	  NFLB_MH_SIZE_MAX },
};

/* Parses one `global set` limit or switch at *argv; 1: not one of them. */
static int global_option(int *argc, char ***argv, struct nlmsghdr *nlh)
{
	uint32_t v;
	bool on;

	if (arg_is(**argv, "expire-nodest")) {
		if (*argc < 2)
			return usage_err("global", "expire-nodest: missing value");
		if (arg_onoff("global", "expire-nodest", (*argv)[1], &on))
			return EXIT_USAGE;
		mnl_attr_put_u8(nlh, NFLB_GLOBAL_A_EXPIRE_NODEST, on);
		*argc -= 2;
		*argv += 2;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(limits); i++) {
		if (!arg_is(**argv, limits[i].word))
			continue;
		if (*argc < 2)
			return usage_err("global", "%s: missing value", limits[i].word);
		if (arg_u32("global", limits[i].word, (*argv)[1], limits[i].min,
			    limits[i].max, &v))
			return EXIT_USAGE;
		mnl_attr_put_u32(nlh, limits[i].attr, v);
		*argc -= 2;
		*argv += 2;
		return 0;
	}
	return 1;
}

static int global_set(int argc, char **argv)
{
	struct nlmsghdr *nlh = nl_req(NFLB_CMD_GLOBAL_SET);
	struct nlattr *nest = mnl_attr_nest_start(nlh, NFLB_A_GLOBAL);
	int r;

	if (argc < 1)
		return usage_err("global", "set: nothing to change");
	if (arg_is(*argv, "help")) {
		global_usage(stdout);
		return EXIT_OK;
	}
	while (argc > 0 && (r = global_option(&argc, &argv, nlh)) != 1)
		if (r)
			return r;
	if (argc > 0) {
		if (parse_timeout_state(*argv) < 0)
			return usage_err("global", "unknown argument '%s'", *argv);
		if (parse_timeouts(argc, argv, nlh, NFLB_GLOBAL_A_TIMEOUTS, 1, "global"))
			return EXIT_USAGE;
	}
	mnl_attr_nest_end(nlh, nest);
	return nl_do(nlh, NULL, NULL);
}

/*
 * The global settings.  Text: the limits and expire-nodest (as arguments of
 * "global set"), then every timeout: show puts these on a second line
 * ("timeouts ..."), an event after the verb on one line, save as a second
 * command ("timeout set ...").  JSON has the same in one object.
 */
void global_print(const struct nlattr *nest, enum pr_view view, const char *verb)
{
	const struct nlattr *gt[NFLB_GLOBAL_A_MAX + 1];

	if (nl_parse_nest(nest, gt, NFLB_GLOBAL_A_MAX) < 0)
		return;
	open_json_object(NULL);
	print_head(view, "global", view == PR_SAVE ? "set" : verb);
	for (size_t i = 0; i < ARRAY_SIZE(limits); i++) {
		if (!gt[limits[i].attr])
			continue;
		print_fp("%s%s", i ? " " : "", limits[i].word);
		print_uint(PRINT_ANY, limits[i].key, " %u", attr_u32(gt[limits[i].attr]));
	}
	if (gt[NFLB_GLOBAL_A_EXPIRE_NODEST])
		print_bool(PRINT_ANY, "expire_nodest", " expire-nodest %s",
			   attr_u8(gt[NFLB_GLOBAL_A_EXPIRE_NODEST]));
	print_timeouts(gt[NFLB_GLOBAL_A_TIMEOUTS], view == PR_SHOW ? "\ntimeouts" :
		       view == PR_SAVE ? "\ntimeout set" : "", true);
	close_json_object();
}

static int print_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFLB_A_MAX + 1];

	if (nl_parse_top(nlh, tb, NFLB_A_MAX) == 0 && tb[NFLB_A_GLOBAL])
		global_print(tb[NFLB_A_GLOBAL], *(enum pr_view *)data, NULL);
	return 0;
}

int global_dump(enum pr_view view)
{
	int r = nl_do(nl_req(NFLB_CMD_GLOBAL_GET), print_cb, &view);

	if (view == PR_SHOW && r == EXIT_OK)
		print_json_end();
	return r;
}

int do_global(int argc, char **argv)
{
	if (argc < 1 || arg_is(*argv, "show") || arg_is(*argv, "list") ||
	    arg_is(*argv, "ls")) {
		if (argc > 1)
			return usage_err("global", "show: unexpected argument '%s'", argv[1]);
		return global_dump(PR_SHOW);
	}
	if (arg_is(*argv, "set"))
		return global_set(argc - 1, argv + 1);
	if (arg_is(*argv, "help")) {
		global_usage(stdout);
		return EXIT_OK;
	}
	return usage_err("global", "unknown command '%s'", *argv);
}
