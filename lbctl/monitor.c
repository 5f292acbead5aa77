// SPDX-License-Identifier: GPL-2.0
/*
 * lbctl monitor: print configuration events of the "events" multicast
 * group, one line each (one JSON object per line with -j).
 */
#include "lbctl.h"

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFLB_A_MAX + 1];
	uint8_t cmd = nl_genl_cmd(nlh);

	(void)data;
	if (nl_parse_top(nlh, tb, NFLB_A_MAX) < 0)
		return 0;
	switch (cmd) {
	case NFLB_CMD_VS_NEW:
		vs_print(tb[NFLB_A_VS], PR_EVENT, "add");
		break;
	case NFLB_CMD_VS_SET:
		vs_print(tb[NFLB_A_VS], PR_EVENT, "set");
		break;
	case NFLB_CMD_VS_DEL:
		vs_print(tb[NFLB_A_VS], PR_EVENT, "del");
		break;
	case NFLB_CMD_POOL_NEW:
		pool_print(tb[NFLB_A_POOL], PR_EVENT, "add");
		break;
	case NFLB_CMD_POOL_SET:
		pool_print(tb[NFLB_A_POOL], PR_EVENT, "set");
		break;
	case NFLB_CMD_POOL_DEL:
		pool_print(tb[NFLB_A_POOL], PR_EVENT, "del");
		break;
	case NFLB_CMD_MEMBER_NEW:
		member_print(tb[NFLB_A_MEMBER], PR_EVENT, "add");
		break;
	case NFLB_CMD_MEMBER_SET:
		member_print(tb[NFLB_A_MEMBER], PR_EVENT, "set");
		break;
	case NFLB_CMD_MEMBER_DEL:
		member_print(tb[NFLB_A_MEMBER], PR_EVENT, "del");
		break;
	case NFLB_CMD_MEMBER_STATE:
		member_print(tb[NFLB_A_MEMBER], PR_EVENT, "state");
		break;
	case NFLB_CMD_MEMBER_HEALTH:
		member_print(tb[NFLB_A_MEMBER], PR_EVENT, "health");
		break;
	case NFLB_CMD_GLOBAL_SET:
		global_print(tb[NFLB_A_GLOBAL], PR_EVENT, "set");
		break;
	case NFLB_CMD_SYNC_SET:
		sync_print(tb[NFLB_A_SYNC], PR_EVENT, "set");
		break;
	case NFLB_CMD_SYNC_DEL:
		sync_print(NULL, PR_EVENT, "del");
		break;
	case NFLB_CMD_SYNC_PEER:
		sync_peer_print(tb[NFLB_A_SYNC]);
		break;
	case NFLB_CMD_FLUSH:
		open_json_object(NULL);
		print_str(PRINT_JSON, "object", NULL, "all");
		print_str(PRINT_ANY, "event", "%s\n", "flush");
		close_json_object();
		break;
	default:
		open_json_object(NULL);
		print_str(PRINT_JSON, "object", NULL, "unknown");
		print_uint(PRINT_ANY, "cmd", "unknown event %u\n", cmd);
		close_json_object();
		break;
	}
	print_json_end();
	if (fflush(stdout) != 0)
		return -1;	/* reader went away */
	return 0;
}

int do_monitor(int argc, char **argv)
{
	if (argc >= 1 && arg_is(*argv, "help")) {
		printf("Usage: lbctl monitor\n"
		       "Prints configuration events until interrupted, one per line.\n");
		return EXIT_OK;
	}
	if (argc > 0)
		return usage_err("monitor", "unexpected argument '%s'", *argv);
	return nl_monitor(event_cb, NULL);
}
