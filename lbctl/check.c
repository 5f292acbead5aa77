// SPDX-License-Identifier: GPL-2.0
/*
 * lbctl pool ... check / passive: a pool's active check (which lbhealthd
 * runs) and its passive detection settings, parsed into their nests and
 * printed back.  Times are given and shown in seconds (fractions allowed
 * down to milliseconds, which is what the kernel keeps).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lbctl.h"

static const char *const check_names[NFLB_CHECK_MAX + 1] = {
	[NFLB_CHECK_NONE] = "none",
	[NFLB_CHECK_TCP] = "tcp",
	[NFLB_CHECK_HTTP] = "http",
	[NFLB_CHECK_HTTPS] = "https",
	[NFLB_CHECK_UDP_DNS] = "udp-dns",
};

/* The check's strings: keyword, attribute, JSON key. */
static const struct {
	const char *kw;
	int attr;
	const char *key;
} check_strs[] = {
	{ "path", NFLB_CHECK_A_PATH, "path" },
	{ "host", NFLB_CHECK_A_HOST, "host" },
	{ "expect-body", NFLB_CHECK_A_EXPECT_BODY, "expect_body" },
	{ "send", NFLB_CHECK_A_SEND, "send" },
	{ "expect", NFLB_CHECK_A_EXPECT, "expect" },
	{ "query", NFLB_CHECK_A_QUERY, "query" },
};

#define CHECK_MS_MIN	100
#define CHECK_MS_MAX	3600000

/* "2", "0.5", "1.25": seconds to milliseconds (at most 3 decimals). */
static int parse_ms(const char *s, uint32_t *ms)
{
	unsigned long long v = 0;
	int frac = -1;

	if (!*s || *s == '.')
		return -1;
	for (; *s; s++) {
		if (*s == '.' && frac < 0) {
			frac = 0;
			continue;
		}
		if (!isdigit((unsigned char)*s) || frac == 3)
			return -1;
		v = v * 10 + (unsigned)(*s - '0');
		if (frac >= 0)
			frac++;
		if (v > UINT32_MAX)
			return -1;
	}
	for (frac = frac < 0 ? 0 : frac; frac < 3; frac++)
		v *= 10;
	if (v > UINT32_MAX)
		return -1;
	*ms = (uint32_t)v;
	return 0;
}

static int arg_ms(const char *kw, const char *s, uint32_t *ms)
{
	if (parse_ms(s, ms) == 0 && *ms >= CHECK_MS_MIN && *ms <= CHECK_MS_MAX)
		return 0;
	return usage_err("pool", "%s: expected seconds 0.1-3600 (e.g. 2 or 0.5), got '%s'",
			 kw, s);
}

/* "200" or "200-399". */
static int arg_status(const char *s, uint16_t *lo, uint16_t *hi)
{
	char buf[16], *dash;
	uint32_t a, b;

	if (strlen(s) >= sizeof(buf))
		goto bad;
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (dash)
		*dash++ = '\0';
	if (parse_u32(buf, 100, 599, &a) || (dash && parse_u32(dash, 100, 599, &b)))
		goto bad;
	*lo = (uint16_t)a;
	*hi = dash ? (uint16_t)b : (uint16_t)a;
	if (*lo <= *hi)
		return 0;
bad:
	return usage_err("pool", "expect: expected an HTTP status or range 100-599 (200 or 200-399), got '%s'",
			 s);
}

static int check_str_arg(const char *kw, const char *s, int attr,
			 struct nlmsghdr *nlh)
{
	if (strlen(s) >= NFLB_CHECK_STR_MAX)
		return usage_err("pool", "%s: longer than %d characters", kw,
				 NFLB_CHECK_STR_MAX - 1);
	mnl_attr_put_strz(nlh, attr, s);
	return 0;
}

/* One option of a check of @type at *argv (its value after it). */
static int check_opt(int argc, char **argv, uint8_t type, struct nlmsghdr *nlh)
{
	static const char *const kws[] = {
		"port", "interval", "timeout", "rise", "fall", "slow-start",
		"tls-verify",
	};
	const char *kw = argv[0], *val = argv[1];
	uint16_t lo = 0, hi = 0;
	bool ours = false;
	uint32_t v;

	for (size_t i = 0; i < ARRAY_SIZE(kws); i++)
		ours |= arg_is(kw, kws[i]);
	for (size_t i = 0; i < ARRAY_SIZE(check_strs); i++)
		ours |= arg_is(kw, check_strs[i].kw);
	if (!ours)
		return -1;	/* not a check option */
	if (argc < 2)
		return usage_err("pool", "%s: missing value", kw);
	if (arg_is(kw, "expect") &&
	    (type == NFLB_CHECK_HTTP || type == NFLB_CHECK_HTTPS)) {
		if (arg_status(val, &lo, &hi))
			return EXIT_USAGE;
		mnl_attr_put_u16(nlh, NFLB_CHECK_A_STATUS_MIN, lo);
		mnl_attr_put_u16(nlh, NFLB_CHECK_A_STATUS_MAX, hi);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(check_strs); i++)
		if (arg_is(kw, check_strs[i].kw))
			return check_str_arg(kw, val, check_strs[i].attr, nlh);
	if (arg_is(kw, "port")) {
		if (arg_u32("pool", kw, val, 0, 65535, &v))
			return EXIT_USAGE;
		mnl_attr_put_u16(nlh, NFLB_CHECK_A_PORT, (uint16_t)v);
	} else if (arg_is(kw, "interval") || arg_is(kw, "timeout")) {
		if (arg_ms(kw, val, &v))
			return EXIT_USAGE;
		mnl_attr_put_u32(nlh, arg_is(kw, "interval") ? NFLB_CHECK_A_INTERVAL :
				 NFLB_CHECK_A_TIMEOUT, v);
	} else if (arg_is(kw, "rise") || arg_is(kw, "fall")) {
		if (arg_u32("pool", kw, val, 1, 100, &v))
			return EXIT_USAGE;
		mnl_attr_put_u8(nlh, arg_is(kw, "rise") ? NFLB_CHECK_A_RISE :
				NFLB_CHECK_A_FALL, (uint8_t)v);
	} else if (arg_is(kw, "slow-start")) {
		if (arg_u32("pool", kw, val, 0, 3600, &v))
			return EXIT_USAGE;
		mnl_attr_put_u32(nlh, NFLB_CHECK_A_SLOW_START, v);
	} else if (arg_is(kw, "tls-verify")) {
		bool on;

		if (arg_onoff("pool", kw, val, &on))
			return EXIT_USAGE;
		mnl_attr_put_u8(nlh, NFLB_CHECK_A_TLS_VERIFY, on);
	}
	return 0;
}

/*
 * "check TYPE [ OPTION VALUE ]...": the check nest, from the defaults.
 * Consumes the words it takes; stops at the first that is not its own.
 */
int check_parse(int *argcp, char ***argvp, struct nlmsghdr *nlh)
{
	int argc = *argcp, type, r;
	char **argv = *argvp;
	struct nlattr *nest;

	NEXT_ARG_VAL("pool");
	type = lookup_name(check_names, NFLB_CHECK_MAX + 1, *argv);
	if (type < 0)
		return usage_err("pool", "check: expected none, tcp, http, https or udp-dns, got '%s'",
				 *argv);
	nest = mnl_attr_nest_start(nlh, NFLB_POOL_A_CHECK);
	mnl_attr_put_u8(nlh, NFLB_CHECK_A_TYPE, (uint8_t)type);
	NEXT_ARG();
	while (argc > 0 && (r = check_opt(argc, argv, (uint8_t)type, nlh)) >= 0) {
		if (r)
			return r;
		argc -= 2;
		argv += 2;
	}
	mnl_attr_nest_end(nlh, nest);
	*argcp = argc;
	*argvp = argv;
	return 0;
}

/* "passive { on | off } [ fails N ] [ hold SECS ] [ hold-max SECS ] [ max-eject PCT ]" */
int passive_parse(int *argcp, char ***argvp, struct nlmsghdr *nlh)
{
	int argc = *argcp;
	char **argv = *argvp;
	struct nlattr *nest;
	uint32_t v;
	bool on;

	NEXT_ARG_VAL("pool");
	if (arg_onoff("pool", "passive", *argv, &on))
		return EXIT_USAGE;
	nest = mnl_attr_nest_start(nlh, NFLB_POOL_A_PASSIVE);
	mnl_attr_put_u8(nlh, NFLB_PASSIVE_A_ENABLED, on);
	NEXT_ARG();
	while (argc > 0) {
		const char *kw = *argv;

		if (arg_is(kw, "fails")) {
			NEXT_ARG_VAL("pool");
			if (arg_u32("pool", kw, *argv, 1, 1000, &v))
				return EXIT_USAGE;
			mnl_attr_put_u32(nlh, NFLB_PASSIVE_A_FAILS, v);
		} else if (arg_is(kw, "hold") || arg_is(kw, "hold-max")) {
			NEXT_ARG_VAL("pool");
			if (arg_ms(kw, *argv, &v))
				return EXIT_USAGE;
			mnl_attr_put_u32(nlh, arg_is(kw, "hold") ? NFLB_PASSIVE_A_HOLD :
					 NFLB_PASSIVE_A_HOLD_MAX, v);
		} else if (arg_is(kw, "max-eject")) {
			NEXT_ARG_VAL("pool");
			if (arg_u32("pool", kw, *argv, 0, 100, &v))
				return EXIT_USAGE;
			mnl_attr_put_u8(nlh, NFLB_PASSIVE_A_MAX_EJECT, (uint8_t)v);
		} else {
			break;
		}
		NEXT_ARG();
	}
	mnl_attr_nest_end(nlh, nest);
	*argcp = argc;
	*argvp = argv;
	return 0;
}

/* ---- printing ---------------------------------------------------------- */

/* Milliseconds as seconds: "2", "0.5", "1.25". */
static const char *fmt_ms(uint32_t ms, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%u.%03u", ms / 1000, ms % 1000);

	while (n > 0 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '.')
		buf[--n] = '\0';
	return buf;
}

/* A word batch mode reads back as @s: quoted when it has to be. */
const char *quote_arg(const char *s, char *buf, size_t len)
{
	size_t o = 0;
	bool plain = *s != '\0' && *s != '#';

	for (const char *p = s; *p && plain; p++)
		plain = !isspace((unsigned char)*p) && *p != '"' && *p != '\'' &&
			*p != '\\';
	if (plain)
		return s;
	buf[o++] = '"';
	for (; *s && o + 3 < len; s++) {
		if (*s == '"' || *s == '\\')
			buf[o++] = '\\';
		buf[o++] = *s;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

/* Text: " KW VALUE" when @text; JSON: key always. */
static void print_ms(bool text, const char *key, const char *kw, uint32_t ms)
{
	char b[32];

	print_uint(PRINT_JSON, key, NULL, ms);
	if (text)
		print_fp(" %s %s", kw, fmt_ms(ms, b, sizeof(b)));
}

/*
 * A check nest.  JSON: object "check" with every field.  Text: " check
 * TYPE" and its options, all of them (@all) or those not at their
 * defaults; " check none" alone, and only if @all.
 */
void check_print(const struct nlattr *nest, bool all)
{
	const struct nlattr *ct[NFLB_CHECK_A_MAX + 1];
	char q[2 * NFLB_CHECK_STR_MAX + 4];
	uint16_t smin, smax;
	bool http, text;
	uint8_t type;
	uint32_t v;

	if (!nest || nl_parse_nest(nest, ct, NFLB_CHECK_A_MAX) < 0)
		return;
	type = attr_u8(ct[NFLB_CHECK_A_TYPE]);
	http = type == NFLB_CHECK_HTTP || type == NFLB_CHECK_HTTPS;
	/* "check none" alone: its options would mean nothing */
	text = type != NFLB_CHECK_NONE;
	open_json_object("check");
	print_str(print_any_if(text || all), "type", " check %s",
		  type <= NFLB_CHECK_MAX ? check_names[type] : "?");
	v = attr_u16(ct[NFLB_CHECK_A_PORT]);
	print_uint(print_any_if(text && (all || v)), "port", " port %u", v);
	for (size_t i = 0; i < ARRAY_SIZE(check_strs); i++) {
		const struct nlattr *a = ct[check_strs[i].attr];

		if (!a)
			continue;
		print_str(PRINT_JSON, check_strs[i].key, NULL, attr_str(a));
		if (text)
			print_fp(" %s %s", check_strs[i].kw,
				 quote_arg(attr_str(a), q, sizeof(q)));
	}
	smin = attr_u16(ct[NFLB_CHECK_A_STATUS_MIN]);
	smax = attr_u16(ct[NFLB_CHECK_A_STATUS_MAX]);
	print_uint(PRINT_JSON, "status_min", NULL, smin);
	print_uint(PRINT_JSON, "status_max", NULL, smax);
	if (text && http && (all || smin != 200 || smax != 399)) {
		if (smin == smax)
			print_fp(" expect %u", smin);
		else
			print_fp(" expect %u-%u", smin, smax);
	}
	v = attr_u32(ct[NFLB_CHECK_A_INTERVAL]);
	print_ms(text && (all || v != 2000), "interval_ms", "interval", v);
	v = attr_u32(ct[NFLB_CHECK_A_TIMEOUT]);
	print_ms(text && (all || v != 1000), "timeout_ms", "timeout", v);
	v = attr_u8(ct[NFLB_CHECK_A_RISE]);
	print_uint(print_any_if(text && (all || v != 2)), "rise", " rise %u", v);
	v = attr_u8(ct[NFLB_CHECK_A_FALL]);
	print_uint(print_any_if(text && (all || v != 3)), "fall", " fall %u", v);
	v = attr_u32(ct[NFLB_CHECK_A_SLOW_START]);
	print_uint(print_any_if(text && (all || v)), "slow_start", " slow-start %u", v);
	v = attr_u8(ct[NFLB_CHECK_A_TLS_VERIFY]);
	print_bool(print_any_if(text && type == NFLB_CHECK_HTTPS && (all || v)),
		   "tls_verify", " tls-verify %s", v);
	close_json_object();
}

/*
 * A passive nest.  JSON: object "passive".  Text: " passive on|off" and
 * its options, all (@all) or those not at their defaults; nothing at all
 * when everything is at its default and not @all.
 */
void passive_print(const struct nlattr *nest, bool all)
{
	const struct nlattr *pt[NFLB_PASSIVE_A_MAX + 1];
	uint32_t fails, hold, hold_max, max_eject;
	bool on, text;

	if (!nest || nl_parse_nest(nest, pt, NFLB_PASSIVE_A_MAX) < 0)
		return;
	on = attr_u8(pt[NFLB_PASSIVE_A_ENABLED]);
	fails = attr_u32(pt[NFLB_PASSIVE_A_FAILS]);
	hold = attr_u32(pt[NFLB_PASSIVE_A_HOLD]);
	hold_max = attr_u32(pt[NFLB_PASSIVE_A_HOLD_MAX]);
	max_eject = attr_u8(pt[NFLB_PASSIVE_A_MAX_EJECT]);
	text = all || !on || fails != 5 || hold != 10000 || hold_max != 300000 ||
	       max_eject != 50;
	open_json_object("passive");
	print_bool(print_any_if(text), "enabled", " passive %s", on);
	print_uint(print_any_if(text && (all || fails != 5)), "fails", " fails %u", fails);
	print_ms(text && (all || hold != 10000), "hold_ms", "hold", hold);
	print_ms(text && (all || hold_max != 300000), "hold_max_ms", "hold-max", hold_max);
	print_uint(print_any_if(text && (all || max_eject != 50)), "max_eject",
		   " max-eject %u", max_eject);
	close_json_object();
}
