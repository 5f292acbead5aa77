// SPDX-License-Identifier: GPL-2.0
/*
 * lbctl flush: remove every session, virtual server, pool and member, and
 * reset the global settings to their defaults.
 */
#include "lbctl.h"

int do_flush(int argc, char **argv)
{
	if (argc >= 1 && arg_is(*argv, "help")) {
		printf("Usage: lbctl flush\n"
		       "Removes every session, virtual server, pool and member and\n"
		       "resets the global settings to their defaults.\n");
		return EXIT_OK;
	}
	if (argc > 0)
		return usage_err("flush", "unexpected argument '%s'", *argv);
	return nl_do(nl_req(NFLB_CMD_FLUSH), NULL, NULL);
}
