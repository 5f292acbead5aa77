// SPDX-License-Identifier: GPL-2.0
/*
 * lbctl info: module version, session sizes, limits and object counts.
 */
#include "lbctl.h"

static const struct {
	int attr;
	const char *key;	/* JSON key; text uses dashes */
	const char *text;
} fields[] = {
	{ NFLB_INFO_A_SESSION_SIZE4, "session_size4", "session-size4" },
	{ NFLB_INFO_A_SESSION_SIZE6, "session_size6", "session-size6" },
	{ NFLB_INFO_A_SESSIONS, "sessions", "sessions" },
	{ NFLB_INFO_A_MAX_SESSIONS, "max_sessions", "max-sessions" },
	{ NFLB_INFO_A_VS_COUNT, "vs_count", "vs-count" },
	{ NFLB_INFO_A_POOL_COUNT, "pool_count", "pool-count" },
	{ NFLB_INFO_A_MEMBER_COUNT, "member_count", "member-count" },
	{ NFLB_INFO_A_PERSIST_COUNT, "persist_count", "persist-count" },
	{ NFLB_INFO_A_MAX_PERSIST, "max_persist", "max-persist" },
};

static int info_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFLB_A_MAX + 1], *it[NFLB_INFO_A_MAX + 1];

	(void)data;
	if (nl_parse_top(nlh, tb, NFLB_A_MAX) < 0 ||
	    nl_parse_nest(tb[NFLB_A_INFO], it, NFLB_INFO_A_MAX) < 0)
		return 0;
	open_json_object(NULL);
	print_fp("%-14s ", "version");
	print_str(PRINT_ANY, "version", "%s\n", attr_str(it[NFLB_INFO_A_VERSION]));
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		print_fp("%-14s ", fields[i].text);
		print_uint(PRINT_ANY, fields[i].key, "%u\n", attr_u32(it[fields[i].attr]));
	}
	close_json_object();
	print_json_end();
	return 0;
}

int do_info(int argc, char **argv)
{
	if (argc >= 1 && arg_is(*argv, "help")) {
		printf("Usage: lbctl info\n");
		return EXIT_OK;
	}
	if (argc > 0)
		return usage_err("info", "unexpected argument '%s'", *argv);
	return nl_do(nl_req(NFLB_CMD_INFO_GET), info_cb, NULL);
}
