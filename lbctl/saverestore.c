// SPDX-License-Identifier: GPL-2.0
/*
 * lbctl save / restore: the configuration as lbctl commands, one a line,
 * in an order that rebuilds it (global settings, pools, members, virtual
 * servers each followed by its own non-inherited timeouts, then sync,
 * which needs none of them and so comes last: sessions it receives find
 * their virtual servers).
 */
#include "lbctl.h"

int do_save(int argc, char **argv)
{
	bool with_key = false;
	int r;

	if (argc >= 1 && arg_is(*argv, "help")) {
		printf("Usage: lbctl save [ sync-key ]\n"
		       "Prints the commands that rebuild the configuration; feed them\n"
		       "to `lbctl restore FILE` or `lbctl -batch FILE`.  The sync line\n"
		       "needs the sync key, which save writes only with sync-key (keep\n"
		       "that file secret); without it the line is a comment restore skips.\n");
		return EXIT_OK;
	}
	if (argc > 0 && arg_is(*argv, "sync-key")) {
		with_key = true;
		argc--;
		argv++;
	}
	if (argc > 0)
		return usage_err("save", "unexpected argument '%s'", *argv);
	if (nl_open())
		return EXIT_ERR;
	printf("# lbctl save\n");
	/* Commands, with or without -j. */
	print_text_only(true);
	r = global_dump(PR_SAVE) || pool_dump(NULL, PR_SAVE) ||
	    member_dump(NULL, PR_SAVE) || vs_dump(NULL, PR_SAVE) ||
	    sync_save(with_key) ? EXIT_ERR : EXIT_OK;
	print_text_only(false);
	return r;
}

int do_restore(int argc, char **argv)
{
	if (argc >= 1 && arg_is(*argv, "help")) {
		printf("Usage: lbctl restore [ FILE ]\n"
		       "Runs the commands of FILE (default: standard input) like -batch;\n"
		       "stops at the first error unless -force is given.\n");
		return EXIT_OK;
	}
	if (argc > 1)
		return usage_err("restore", "unexpected argument '%s'", argv[1]);
	return do_batch(argc ? argv[0] : "-", "restore");
}
