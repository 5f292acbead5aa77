// SPDX-License-Identifier: GPL-2.0
/*
 * lbctl save / restore: the configuration as lbctl commands, one a line,
 * in an order that rebuilds it (global settings, pools, members, virtual
 * servers each followed by its own non-inherited timeouts).
 */
#include "lbctl.h"

static int vs_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFLB_A_MAX + 1];

	(void)data;
	if (nl_parse_top(nlh, tb, NFLB_A_MAX) == 0 && tb[NFLB_A_VS])
		vs_save_line(stdout, tb[NFLB_A_VS]);
	return 0;
}

int do_save(int argc, char **argv)
{
	if (argc >= 1 && matches(*argv, "help")) {
		printf("Usage: lbctl save\n"
		       "Prints the commands that rebuild the configuration; feed them\n"
		       "to `lbctl restore FILE` or `lbctl -batch FILE`.\n");
		return EXIT_OK;
	}
	if (argc > 0)
		return usage_err("save", "unexpected argument '%s'", *argv);
	if (nl_open())
		return EXIT_ERR;
	printf("# lbctl save\n");
	if (global_dump("save") || pool_dump(NULL, "save") ||
	    member_dump(NULL, "save") ||
	    nl_dump(nl_req(NFLB_CMD_VS_GET), vs_cb, NULL))
		return EXIT_ERR;
	return EXIT_OK;
}

int do_restore(int argc, char **argv)
{
	if (argc >= 1 && matches(*argv, "help")) {
		printf("Usage: lbctl restore [ FILE ]\n"
		       "Runs the commands of FILE (default: standard input) like -batch;\n"
		       "stops at the first error unless -force is given.\n");
		return EXIT_OK;
	}
	if (argc > 1)
		return usage_err("restore", "unexpected argument '%s'", argv[1]);
	return do_batch(argc ? argv[0] : "-", "restore");
}
