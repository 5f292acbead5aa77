// SPDX-License-Identifier: GPL-2.0
/*
 * The print layer, after iproute2's print_*(PRINT_ANY, key, fmt, value):
 * every object is printed by one function that calls print_*() for each
 * value in turn.  With -j a value whose type has PRINT_JSON goes out as a
 * JSON member named key (json.c streams it); without, one whose type has
 * PRINT_FP is printed to stdout with fmt.  Text-only decoration is
 * print_fp(); JSON objects and arrays are opened and closed with the
 * open_json_*()/close_json_*() calls, which print nothing as text.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "lbctl.h"

static bool json;		/* -j, unless print_text_only() */
static bool json_opt;		/* -j */

void print_init(bool j, bool pretty)
{
	json = json_opt = j;
	jw_init(stdout, pretty);
}

void print_text_only(bool on)
{
	json = json_opt && !on;
}

void open_json_object(const char *key)
{
	if (json)
		jw_obj_open(key);
}

void close_json_object(void)
{
	if (json)
		jw_obj_close();
}

void open_json_array(const char *key)
{
	if (json)
		jw_arr_open(key);
}

void close_json_array(void)
{
	if (json)
		jw_arr_close();
}

void print_json_end(void)
{
	if (json)
		jw_end();
}

void print_fp(const char *fmt, ...)
{
	va_list ap;

	if (json)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

void print_nl(void)
{
	if (!json)
		putchar('\n');
}

void print_str(enum print_type t, const char *key, const char *fmt,
	       const char *val)
{
	if (json && (t & PRINT_JSON))
		jw_str(key, val);
	else if (!json && (t & PRINT_FP))
		printf(fmt, val);
}

void print_uint(enum print_type t, const char *key, const char *fmt,
		unsigned int val)
{
	if (json && (t & PRINT_JSON))
		jw_uint(key, val);
	else if (!json && (t & PRINT_FP))
		printf(fmt, val);
}

void print_u64(enum print_type t, const char *key, const char *fmt,
	       uint64_t val)
{
	if (json && (t & PRINT_JSON))
		jw_uint(key, val);
	else if (!json && (t & PRINT_FP))
		printf(fmt, val);
}

/* As text "on" or "off". */
void print_bool(enum print_type t, const char *key, const char *fmt, bool val)
{
	if (json && (t & PRINT_JSON))
		jw_bool(key, val);
	else if (!json && (t & PRINT_FP))
		printf(fmt, val ? "on" : "off");
}

/* ------------------------------------------------------------------ */

/*
 * The one address formatter: the address in attribute a4 (IPv4) or a6
 * (IPv6), "?" if neither holds one; with port >= 0 "ADDR:PORT", or
 * "[ADDR]:PORT" for IPv6.
 */
const char *fmt_attr_addr(const struct nlattr *a4, const struct nlattr *a6,
			  int port, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";
	int family = 0;

	if (a4 && mnl_attr_get_payload_len(a4) >= 4)
		family = AF_INET;
	else if (a6 && mnl_attr_get_payload_len(a6) >= 16)
		family = AF_INET6;
	if (family && !inet_ntop(family, mnl_attr_get_payload(family == AF_INET ? a4 : a6),
				 a, sizeof(a)))
		strcpy(a, "?");
	if (port < 0)
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, family == AF_INET6 ? "[%s]:%d" : "%s:%d", a, port);
	return buf;
}

/*
 * The head of an object's entry: for a monitor event its object and verb
 * ("pool set ..."; JSON "object" and "event"), for save the command that
 * adds it ("pool add ...").
 */
void print_head(enum pr_view view, const char *object, const char *verb)
{
	if (view == PR_EVENT) {
		print_str(PRINT_JSON, "object", NULL, object);
		print_fp("%s ", object);
		print_str(PRINT_ANY, "event", "%s ", verb);
	} else if (view == PR_SAVE) {
		print_fp("%s %s ", object, verb);
	}
}

/*
 * A timeouts nest: JSON object "timeouts" with every state.  As text (if
 * prefix is not NULL) prefix then " STATE SECS" for each state (all, or only
 * those set) and a newline, or nothing if no state was printed.
 */
void print_timeouts(const struct nlattr *nest, const char *prefix, bool all)
{
	uint32_t v[NFLB_STATE_MAX + 1];
	bool any = false;

	attr_timeouts(nest, v);
	open_json_object("timeouts");
	for (int i = 0; i <= NFLB_STATE_MAX; i++) {
		bool text = prefix && (all || v[i]);

		if (text)
			print_fp("%s %s", any ? "" : prefix, timeout_names[i]);
		any |= text;
		print_uint(print_any_if(text), timeout_names[i], " %u", v[i]);
	}
	close_json_object();
	if (any)
		print_nl();
}

/*
 * A stats nest: as JSON the counters present, in an object named key (or in
 * the current object if key is NULL); as text (if text) three indented
 * lines: traffic, sessions, drops.
 */
void print_stats(const char *key, const struct nlattr *nest, bool text)
{
	static const int lines[][10] = {
		{ NFLB_STATS_A_PKTS_IN, NFLB_STATS_A_BYTES_IN, NFLB_STATS_A_PKTS_OUT,
		  NFLB_STATS_A_BYTES_OUT, 0 },
		{ NFLB_STATS_A_SESSIONS_CREATED, NFLB_STATS_A_SESSIONS_EXPIRED,
		  NFLB_STATS_A_SESSIONS_ACTIVE, NFLB_STATS_A_SESSIONS_EVICTED,
		  NFLB_STATS_A_PERSIST_ACTIVE, NFLB_STATS_A_RESETS_SENT,
		  NFLB_STATS_A_ICMP_XLATED, NFLB_STATS_A_PASSIVE_FAILS,
		  NFLB_STATS_A_EJECTIONS, 0 },
		{ NFLB_STATS_A_DROP_NO_SESSION, NFLB_STATS_A_DROP_SESSION_LIMIT,
		  NFLB_STATS_A_DROP_MALFORMED, NFLB_STATS_A_DROP_NO_MEMBER,
		  NFLB_STATS_A_DROP_BAD_CSUM, NFLB_STATS_A_DROP_NOMEM,
		  NFLB_STATS_A_DROP_OUT_OF_WINDOW, NFLB_STATS_A_EJECTIONS_CAPPED, 0 },
	};
	const struct nlattr *tb[NFLB_STATS_A_MAX + 1];

	if (!nest || nl_parse_nest(nest, tb, NFLB_STATS_A_MAX) < 0)
		memset(tb, 0, sizeof(tb));
	if (key)
		open_json_object(key);
	for (int i = 0; i <= NFLB_STATS_A_MAX; i++)
		if (stats_keys[i] && tb[i])
			print_u64(PRINT_JSON, stats_keys[i], NULL, attr_u64(tb[i]));
	if (key)
		close_json_object();
	if (!text)
		return;
	for (size_t l = 0; l < ARRAY_SIZE(lines); l++) {
		print_fp("    ");
		for (int i = 0, n = 0; lines[l][i]; i++) {
			int a = lines[l][i];

			if (tb[a])
				print_fp("%s%s %" PRIu64, n++ ? " " : "", stats_keys[a],
					 attr_u64(tb[a]));
		}
		print_nl();
	}
}
