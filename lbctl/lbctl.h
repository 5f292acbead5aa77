/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lbctl - userspace control for nflb.  Shared declarations.
 */
#ifndef LBCTL_H
#define LBCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>
#include <linux/netlink.h>
#include <linux/genetlink.h>
#include <libmnl/libmnl.h>
#include <linux/nflb.h>

#define LBCTL_VERSION "0.1.0"

#ifndef NFLB_MH_SIZE_DEFAULT
#define NFLB_MH_SIZE_DEFAULT 65537	/* older headers lack it */
#endif

/* Exit statuses (also what every command handler returns). */
#define EXIT_OK		0
#define EXIT_ERR	1	/* kernel or runtime error */
#define EXIT_USAGE	2	/* command-line error */

/* Global options. */
struct lbctl_opts {
	bool json;
	bool pretty;
	int stats;		/* -s given (count) */
	const char *netns;
	bool force;
	bool in_batch;		/* running lines of a batch file */
	unsigned long lineno;	/* current batch line, 0 outside batch */
};
extern struct lbctl_opts opts;

/* ---- lbctl.c ---- */
__attribute__((format(printf, 1, 2)))
void lb_err(const char *fmt, ...);	/* "lbctl: [line N: ]msg\n" on stderr */
__attribute__((format(printf, 2, 3)))
int usage_err(const char *object, const char *fmt, ...); /* + hint; returns 2 */
int do_cmd(int argc, char **argv);
int do_batch(const char *file, const char *what);

/* ---- nl.c ---- */
typedef int (*nl_msg_cb)(const struct nlmsghdr *nlh, void *data);

int nl_open(void);		/* lazily: socket + family; 0 or EXIT_ERR */
void nl_close(void);
uint32_t nl_mcast_group(const char *name);	/* 0 if unknown */
struct nlmsghdr *nl_req(uint8_t cmd);	/* start a request in the shared buffer */
/* Send the request built by nl_req(), replies to cb, and wait for the
 * acknowledgement.  Returns EXIT_OK or EXIT_ERR (message already printed). */
int nl_do(struct nlmsghdr *nlh, nl_msg_cb cb, void *data);
/* nl_do(), but ENOENT (nothing there) sets *absent instead of failing. */
int nl_do_absent(struct nlmsghdr *nlh, nl_msg_cb cb, void *data, bool *absent);
int nl_dump(struct nlmsghdr *nlh, nl_msg_cb cb, void *data);
int nl_monitor(nl_msg_cb cb, void *data);	/* loop forever on "events" */
/* Member adds of a batch, sent many per request (NFLB_A_MEMBERS). */
bool nl_members_can_list(void);
int nl_members_add(const struct nlattr *member);	/* a built member nest */
int nl_members_flush(void);	/* EXIT_OK or EXIT_ERR (printed, line set) */
int nl_members_send_first(void);	/* before another request; -force aware */
bool nl_members_failed(void);	/* a list failed since the last call */

/* Attribute helpers (parsed attribute tables). */
int nl_parse_top(const struct nlmsghdr *nlh, const struct nlattr **tb, int max);
int nl_parse_nest(const struct nlattr *nest, const struct nlattr **tb, int max);
uint8_t  attr_u8(const struct nlattr *a);
uint16_t attr_u16(const struct nlattr *a);
uint32_t attr_u32(const struct nlattr *a);
uint64_t attr_u64(const struct nlattr *a);
const char *attr_str(const struct nlattr *a);	/* "" if absent/bad */
uint8_t nl_genl_cmd(const struct nlmsghdr *nlh);

/* ---- json.c: the JSON writer under print.c ---- */
void jw_init(FILE *f, bool pretty);
void jw_obj_open(const char *key);	/* key NULL inside arrays / at top */
void jw_obj_close(void);
void jw_arr_open(const char *key);
void jw_arr_close(void);
void jw_str(const char *key, const char *val);
void jw_uint(const char *key, uint64_t val);
void jw_bool(const char *key, bool val);
void jw_end(void);		/* finish a top-level value: newline */

/* ---- print.c: one print layer for text and JSON (see there) ---- */
enum print_type {
	PRINT_FP = 1,			/* text: printf(fmt, value) */
	PRINT_JSON = 2,			/* JSON: "key": value */
	PRINT_ANY = PRINT_FP | PRINT_JSON,
};
/* A value that JSON always has and text only if text holds. */
static inline enum print_type print_any_if(bool text)
{
	return text ? PRINT_ANY : PRINT_JSON;
}
/* What an object printer prints an entry for. */
enum pr_view {
	PR_SHOW,	/* "OBJECT show" */
	PR_EVENT,	/* a monitor event (with its verb: add, set, del, state) */
	PR_SAVE,	/* save: the command that rebuilds it (always text) */
	PR_STATS,	/* stats -s: a member's counters */
};
void print_init(bool json, bool pretty);
void print_text_only(bool on);		/* save prints commands, even with -j */
void open_json_object(const char *key);	/* key NULL inside arrays / at top */
void close_json_object(void);
void open_json_array(const char *key);
void close_json_array(void);
void print_json_end(void);		/* after a top-level JSON value */
__attribute__((format(printf, 1, 2)))
void print_fp(const char *fmt, ...);	/* text only */
void print_nl(void);			/* text only */
void print_str(enum print_type t, const char *key, const char *fmt, const char *val);
void print_uint(enum print_type t, const char *key, const char *fmt, unsigned int val);
void print_u64(enum print_type t, const char *key, const char *fmt, uint64_t val);
void print_bool(enum print_type t, const char *key, const char *fmt, bool val);
void print_head(enum pr_view view, const char *object, const char *verb);
void print_timeouts(const struct nlattr *nest, const char *prefix, bool all);
void print_stats(const char *key, const struct nlattr *nest, bool text);
#define ADDR_STRLEN	64
const char *fmt_attr_addr(const struct nlattr *a4, const struct nlattr *a6,
			  int port, char *buf, size_t len);

/* ---- utils.c ---- */
struct lb_addr {
	int family;		/* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
		uint8_t raw[16];
	};
};

/* Whether arg is exactly the keyword word: no abbreviations (unlike ip(8)'s
 * matches()), so no name can be taken for a keyword by being a prefix.
 * Aliases are separate calls ("del" || "delete"). */
bool arg_is(const char *arg, const char *word);
int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);
int parse_addr(const char *s, struct lb_addr *a);
int parse_prefix(const char *s, struct lb_addr *a, uint8_t *plen);
/* "ADDR:PORT", "[V6]:PORT"; with port_optional also "ADDR" / "[V6]" / bare V6
 * (then *port = 0).  proto (may be NULL) is used for service names. */
int parse_addr_port(const char *s, struct lb_addr *a, uint16_t *port,
		    const char *proto, bool port_optional);
int parse_port(const char *s, const char *proto, uint16_t *port);
int parse_proto(const char *s, uint8_t *proto);
int parse_onoff(const char *s, bool *val);
const char *proto_name(uint8_t proto);

/* Names of enum values and attributes. */
extern const char *const sched_names[NFLB_SCHED_MAX + 1];
extern const char *const state_names[NFLB_STATE_MAX + 1];	/* session */
extern const char *const timeout_names[NFLB_STATE_MAX + 1];	/* tcp-... */
extern const char *const stats_keys[NFLB_STATS_A_MAX + 1];
struct flag_name { uint32_t flag; const char *name; };
extern const struct flag_name vs_flag_names[];
int lookup_name(const char *const *names, int n, const char *s);
int parse_sched(const char *s, uint32_t *sched);
int parse_timeout_state(const char *s);	/* index or -1 */
/* Usage error if s is not a name the kernel accepts.  A NAME argument is
 * taken literally, whatever keyword it spells ("pool add help" adds a pool
 * named help): "help" is a command only where a command is expected. */
int check_name(const char *what, const char *s);

int attr_timeouts(const struct nlattr *nest, uint32_t *vals); /* NFLB_STATE_MAX+1 */

/* ---- objects ---- */
int do_vs(int argc, char **argv);
int do_pool(int argc, char **argv);
int do_member(int argc, char **argv);
int do_timeout(int argc, char **argv);
int do_global(int argc, char **argv);
int do_session(int argc, char **argv);
int do_stats(int argc, char **argv);
int do_monitor(int argc, char **argv);
int do_save(int argc, char **argv);
int do_restore(int argc, char **argv);
int do_info(int argc, char **argv);
int do_flush(int argc, char **argv);
int do_sync(int argc, char **argv);

/* Per-object usage text, printed by "lbctl OBJECT help". */
void vs_usage(FILE *f);
void pool_usage(FILE *f);
void member_usage(FILE *f);
void timeout_usage(FILE *f);
void global_usage(FILE *f);
void session_usage(FILE *f);
void stats_usage(FILE *f);
void sync_usage(FILE *f);

/* The printer of each object (verb: of a PR_EVENT), shared with monitor. */
void vs_print(const struct nlattr *nest, enum pr_view view, const char *verb);
void pool_print(const struct nlattr *nest, enum pr_view view, const char *verb);
void member_print(const struct nlattr *nest, enum pr_view view, const char *verb);
void global_print(const struct nlattr *nest, enum pr_view view, const char *verb);
void sync_print(const struct nlattr *nest, enum pr_view view, const char *verb);
void sync_peer_print(const struct nlattr *nest);
int sync_save(bool with_key);	/* save's sync line; nothing without sync */
/* Dumps printing each object for view (PR_SHOW: a JSON array of them). */
int vs_dump(const char *name, enum pr_view view);
int pool_dump(const char *name, enum pr_view view);
int member_dump(const char *pool, enum pr_view view);
int global_dump(enum pr_view view);
int parse_timeouts(int argc, char **argv, struct nlmsghdr *nlh, int type,
		   uint32_t min, const char *obj);

/* ---- check.c: a pool's check and passive detection ---- */
int check_parse(int *argc, char ***argv, struct nlmsghdr *nlh);
int passive_parse(int *argc, char ***argv, struct nlmsghdr *nlh);
void check_print(const struct nlattr *nest, bool all);
void passive_print(const struct nlattr *nest, bool all);
/* s as one word of a batch line: quoted (in buf) when it has to be. */
const char *quote_arg(const char *s, char *buf, size_t len);

/* Argument helpers: print a usage error naming the keyword, return 2. */
int arg_u32(const char *obj, const char *kw, const char *s,
	    uint32_t min, uint32_t max, uint32_t *out);
int arg_onoff(const char *obj, const char *kw, const char *s, bool *val);

/* Move to the value of keyword *argv, or fail with "KW: missing value". */
#define NEXT_ARG_VAL(obj) do {						\
		const char *kw_ = *argv;				\
		argc--; argv++;						\
		if (argc <= 0)						\
			return usage_err(obj, "%s: missing value", kw_);\
	} while (0)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NEXT_ARG() do { argc--; argv++; } while (0)

#endif
