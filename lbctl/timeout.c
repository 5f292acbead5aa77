// SPDX-License-Identifier: GPL-2.0
/*
 * lbctl timeout: idle timeouts per session state, global defaults or per
 * virtual server (0 = inherit the global value).
 */
#include <string.h>

#include "lbctl.h"

void timeout_usage(FILE *f)
{
	fprintf(f,
"Usage: lbctl timeout set [ [ vs ] NAME ] STATE SECS [ STATE SECS ... ]\n"
"       lbctl timeout show [ [ vs ] NAME ]\n"
"STATE := { tcp-syn-sent | tcp-syn-recv | tcp-established | tcp-fin-wait |\n"
"           tcp-close-wait | tcp-last-ack | tcp-time-wait | tcp-close | udp }\n"
"Without NAME the global defaults change (SECS 1..%d); for a virtual\n"
"server SECS 0 means inherit the global default.\n", NFLB_TIMEOUT_MAX_SECS);
}

/*
 * Parse STATE SECS pairs into a timeouts nest of nlh.  min: lowest value
 * accepted (0 for a VS).  Returns 0 or a usage error.
 */
int parse_timeouts(int argc, char **argv, struct nlmsghdr *nlh, int type,
		   uint32_t min, const char *obj)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, (uint16_t)type);
	bool seen[NFLB_STATE_MAX + 1] = { false };

	while (argc > 0) {
		int st = parse_timeout_state(*argv);
		uint32_t secs;

		if (st < 0)
			return usage_err(obj, "unknown state '%s' (tcp-syn-sent, tcp-syn-recv, tcp-established, tcp-fin-wait, tcp-close-wait, tcp-last-ack, tcp-time-wait, tcp-close, udp)",
					 *argv);
		if (seen[st])
			return usage_err(obj, "%s given twice", *argv);
		seen[st] = true;
		NEXT_ARG_VAL(obj);
		if (parse_u32(*argv, min, NFLB_TIMEOUT_MAX_SECS, &secs)) {
			if (min && !strcmp(*argv, "0"))
				return usage_err(obj, "%s: 0 is only valid for a virtual server (0 = inherit the global value)",
						 timeout_names[st]);
			return usage_err(obj, "%s: expected seconds %u-%u, got '%s'",
					 timeout_names[st], min, NFLB_TIMEOUT_MAX_SECS, *argv);
		}
		mnl_attr_put_u32(nlh, (uint16_t)(NFLB_TIMEOUT_A_UNSPEC + 1 + st), secs);
		NEXT_ARG();
	}
	mnl_attr_nest_end(nlh, nest);
	return 0;
}

/*
 * Split "[[vs] NAME] rest": returns the VS name or NULL; advances.  The word
 * after "vs" is the NAME whatever it is (save writes this form).  Without
 * "vs" a first word that is not a STATE is the NAME, so a virtual server
 * named "vs" or like a STATE needs the "vs" keyword there.  show takes no
 * STATE: a lone word after it is the NAME, even "vs".
 */
static const char *vs_name_arg(int *argc, char ***argv, bool show)
{
	const char *name = NULL;

	if (show && *argc == 1) {
		name = **argv;
		(*argc)--;
		(*argv)++;
	} else if (*argc >= 1 && arg_is(**argv, "vs")) {
		if (*argc < 2)
			return "";
		name = (*argv)[1];
		*argc -= 2;
		*argv += 2;
	} else if (*argc >= 1 && parse_timeout_state(**argv) < 0) {
		name = **argv;
		(*argc)--;
		(*argv)++;
	}
	return name;
}

static int timeout_set(int argc, char **argv)
{
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	const char *name;

	name = vs_name_arg(&argc, &argv, false);
	if (name && !*name)
		return usage_err("timeout", "set: missing NAME after vs");
	if (name && check_name("timeout", name))
		return EXIT_USAGE;
	if (argc < 1)
		return usage_err("timeout", "set: missing STATE SECS");
	if (name) {
		nlh = nl_req(NFLB_CMD_VS_SET);
		nest = mnl_attr_nest_start(nlh, NFLB_A_VS);
		mnl_attr_put_strz(nlh, NFLB_VS_A_NAME, name);
		if (parse_timeouts(argc, argv, nlh, NFLB_VS_A_TIMEOUTS, 0, "timeout"))
			return EXIT_USAGE;
	} else {
		nlh = nl_req(NFLB_CMD_GLOBAL_SET);
		nest = mnl_attr_nest_start(nlh, NFLB_A_GLOBAL);
		if (parse_timeouts(argc, argv, nlh, NFLB_GLOBAL_A_TIMEOUTS, 1, "timeout"))
			return EXIT_USAGE;
	}
	mnl_attr_nest_end(nlh, nest);
	return nl_do(nlh, NULL, NULL);
}

struct tshow {
	uint32_t global[NFLB_STATE_MAX + 1];
	uint32_t vs[NFLB_STATE_MAX + 1];
	bool got;
};

static int global_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFLB_A_MAX + 1], *gt[NFLB_GLOBAL_A_MAX + 1];
	struct tshow *t = data;

	if (nl_parse_top(nlh, tb, NFLB_A_MAX) == 0 &&
	    nl_parse_nest(tb[NFLB_A_GLOBAL], gt, NFLB_GLOBAL_A_MAX) == 0)
		attr_timeouts(gt[NFLB_GLOBAL_A_TIMEOUTS], t->global);
	return 0;
}

static int vs_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFLB_A_MAX + 1], *vt[NFLB_VS_A_MAX + 1];
	struct tshow *t = data;

	if (nl_parse_top(nlh, tb, NFLB_A_MAX) == 0 &&
	    nl_parse_nest(tb[NFLB_A_VS], vt, NFLB_VS_A_MAX) == 0) {
		attr_timeouts(vt[NFLB_VS_A_TIMEOUTS], t->vs);
		t->got = true;
	}
	return 0;
}

static int timeout_show(int argc, char **argv)
{
	struct tshow t = { { 0 }, { 0 }, false };
	struct nlmsghdr *nlh;
	const char *name;

	name = vs_name_arg(&argc, &argv, true);
	if (argc > 0)
		return usage_err("timeout", "show: unexpected argument '%s'", *argv);
	if (name && check_name("timeout", name))
		return EXIT_USAGE;
	if (name) {
		struct nlattr *nest;

		nlh = nl_req(NFLB_CMD_VS_GET);
		nest = mnl_attr_nest_start(nlh, NFLB_A_VS);
		mnl_attr_put_strz(nlh, NFLB_VS_A_NAME, name);
		mnl_attr_nest_end(nlh, nest);
		if (nl_do(nlh, vs_cb, &t))
			return EXIT_ERR;
	}
	nlh = nl_req(NFLB_CMD_GLOBAL_GET);
	if (nl_do(nlh, global_cb, &t))
		return EXIT_ERR;

	/* JSON: the values set ("timeouts"), and for a virtual server those
	 * in effect ("effective"); text: those in effect, one a line. */
	open_json_object(NULL);
	if (name)
		print_str(PRINT_JSON, "vs", NULL, name);
	open_json_object("timeouts");
	for (int i = 0; i <= NFLB_STATE_MAX; i++)
		print_uint(PRINT_JSON, timeout_names[i], NULL, name ? t.vs[i] : t.global[i]);
	close_json_object();
	if (name)
		open_json_object("effective");
	for (int i = 0; i <= NFLB_STATE_MAX; i++) {
		print_fp("%-16s ", timeout_names[i]);
		print_uint(name ? PRINT_ANY : PRINT_FP, timeout_names[i], "%u",
			   t.vs[i] ? t.vs[i] : t.global[i]);
		if (name && !t.vs[i])
			print_fp(" (global)");
		print_nl();
	}
	if (name)
		close_json_object();
	close_json_object();
	print_json_end();
	return EXIT_OK;
}

int do_timeout(int argc, char **argv)
{
	if (argc < 1 || arg_is(*argv, "show") || arg_is(*argv, "list") ||
	    arg_is(*argv, "ls"))
		return timeout_show(argc ? argc - 1 : 0, argv + (argc ? 1 : 0));
	if (arg_is(*argv, "set"))
		return timeout_set(argc - 1, argv + 1);
	if (arg_is(*argv, "help")) {
		timeout_usage(stdout);
		return EXIT_OK;
	}
	return usage_err("timeout", "unknown command '%s'", *argv);
}
