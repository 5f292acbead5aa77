// SPDX-License-Identifier: GPL-2.0
/*
 * lbctl - control nflb, the netfilter L4 load balancer.
 *
 * main(): global options, network namespace, object dispatch and the batch
 * driver (-batch FILE, restore).  Every handler parses its whole command line
 * before talking to the kernel, so usage errors (exit 2) never half-apply.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lbctl.h"

struct lbctl_opts opts;

/*
 * "lbctl: [line N: ][OBJECT: ]message".  Kernel errors ("Error: ...") are
 * printed as iproute2 does, without the program name, unless they belong
 * to a batch line.
 */
__attribute__((format(printf, 3, 0)))
static void vmsg(FILE *f, const char *object, const char *fmt, va_list ap)
{
	if (opts.lineno || strncmp(fmt, "Error: ", 7))
		fputs("lbctl: ", f);
	if (opts.lineno)
		fprintf(f, "line %lu: ", opts.lineno);
	if (object)
		fprintf(f, "%s: ", object);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
}

void lb_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);		/* keep stdout and stderr in order */
	va_start(ap, fmt);
	vmsg(stderr, NULL, fmt, ap);
	va_end(ap);
}

/*
 * A usage error of a batch line is held until the line returns: member
 * adds of earlier lines may still wait to be sent, and they come first
 * (see do_batch()).  A line stops at its usage error, so nothing of it
 * comes between.
 */
static char *held;
static size_t held_len;
static FILE *held_f;

int usage_err(const char *object, const char *fmt, ...)
{
	FILE *f = stderr;
	va_list ap;

	if (opts.in_batch) {
		if (!held_f)
			held_f = open_memstream(&held, &held_len);
		if (held_f)
			f = held_f;
	} else {
		fflush(stdout);
	}
	va_start(ap, fmt);
	vmsg(f, object, fmt, ap);
	va_end(ap);
	if (object)
		fprintf(f, "Try `lbctl %s help`\n", object);
	else
		fprintf(f, "Try `lbctl help`\n");
	return EXIT_USAGE;
}

/*
 * After a batch line: send the member adds still waiting, then show the
 * line's usage error.  If one of the members fails, its error (printed)
 * ends the batch and the line's is not shown; with -force both are.
 */
static void show_held(void)
{
	if (!held_f)
		return;
	fclose(held_f);
	held_f = NULL;
	if (nl_members_send_first() == EXIT_OK) {
		fflush(stdout);
		fwrite(held, 1, held_len, stderr);
	}
	free(held);
	held = NULL;
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: lbctl [OPTIONS] OBJECT { COMMAND | help }\n"
"       lbctl [OPTIONS] -batch FILE [-force]\n"
"       lbctl -V\n"
"OPTIONS := { -j[son] | -p[retty] | -s[tatistics] | -n[etns] NETNS |\n"
"             -b[atch] FILE | -force | -V[ersion] | -h[elp] }\n"
"OBJECT := { vs | pool | member | timeout | global | session | stats |\n"
"            monitor | save | restore | flush | info | sync }\n"
"Run `lbctl OBJECT help` for the commands of an object.\n");
}

static int do_help(int argc, char **argv)
{
	(void)argc; (void)argv;
	usage(stdout);
	return EXIT_OK;
}

struct object {
	const char *name;
	int (*fn)(int argc, char **argv);
	bool batch_ok;
};

static const struct object objects[] = {
	{ "vs", do_vs, true },
	{ "pool", do_pool, true },
	{ "member", do_member, true },
	{ "timeout", do_timeout, true },
	{ "global", do_global, true },
	{ "session", do_session, true },
	{ "stats", do_stats, true },
	{ "monitor", do_monitor, false },
	{ "save", do_save, true },
	{ "restore", do_restore, false },
	{ "flush", do_flush, true },
	{ "info", do_info, true },
	{ "sync", do_sync, true },
	{ "help", do_help, true },
};

int do_cmd(int argc, char **argv)
{
	for (size_t i = 0; i < ARRAY_SIZE(objects); i++) {
		if (strcmp(argv[0], objects[i].name))
			continue;
		if (opts.in_batch && !objects[i].batch_ok)
			return usage_err(NULL, "\"%s\" cannot be used in a batch", argv[0]);
		return objects[i].fn(argc - 1, argv + 1);
	}
	return usage_err(NULL, "unknown object '%s'", argv[0]);
}

/*
 * Split a batch line into words: blanks separate, '...' and "..." quote,
 * backslash escapes the next character, '#' at the start of a word begins
 * a comment.  Returns the number of words, or -1 if the line is malformed.
 */
static int split_line(char *line, char **argv, int max)
{
	char *r = line, *w = line;
	int argc = 0;

	for (;;) {
		char quote = 0;

		while (*r == ' ' || *r == '\t' || *r == '\r' || *r == '\n')
			r++;
		if (!*r || *r == '#')
			break;
		if (argc == max)
			return -2;
		argv[argc++] = w;
		for (; *r; r++) {
			if (quote) {
				if (*r == quote) {
					quote = 0;
					continue;
				}
				if (*r == '\\' && quote == '"' && r[1])
					r++;
				*w++ = *r;
				continue;
			}
			if (*r == ' ' || *r == '\t' || *r == '\r' || *r == '\n')
				break;
			if (*r == '\'' || *r == '"') {
				quote = *r;
				continue;
			}
			if (*r == '\\' && r[1])
				r++;
			*w++ = *r;
		}
		if (quote)
			return -1;
		if (*r)
			r++;
		*w++ = '\0';
	}
	return argc;
}

/* Run the lines of FILE ("-" = stdin).  what: "batch" or "restore". */
int do_batch(const char *file, const char *what)
{
	FILE *f = stdin;
	char *line = NULL;
	size_t cap = 0;
	unsigned long lineno = 0;
	int failed = 0, ret = EXIT_OK;

	if (strcmp(file, "-")) {
		f = fopen(file, "r");
		if (!f) {
			lb_err("%s: cannot open \"%s\": %s", what, file, strerror(errno));
			return EXIT_ERR;
		}
	}
	opts.in_batch = true;
	while (getline(&line, &cap, f) >= 0) {
		char *argv[128];
		int argc, r;

		opts.lineno = ++lineno;
		argc = split_line(line, argv, (int)ARRAY_SIZE(argv));
		if (argc == -1) {
			r = usage_err(NULL, "unterminated quote");
		} else if (argc == -2) {
			r = usage_err(NULL, "too many words");
		} else {
			if (argc > 0 && !strcmp(argv[0], "lbctl")) {
				argc--;
				memmove(argv, argv + 1, sizeof(argv[0]) * (size_t)argc);
			}
			if (argc == 0)
				continue;
			r = do_cmd(argc, argv);
		}
		show_held();
		if (r != EXIT_OK) {
			failed++;
			if (!opts.force)
				break;
		}
	}
	if (nl_members_flush() || nl_members_failed())
		failed++;
	if (ferror(f)) {
		lb_err("%s: read error: %s", what, strerror(errno));
		failed++;
	}
	opts.lineno = 0;
	opts.in_batch = false;
	free(line);
	if (f != stdin)
		fclose(f);
	if (failed)
		ret = EXIT_ERR;
	return ret;
}

static int netns_switch(const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		lb_err("cannot open network namespace \"%s\": %s", name, strerror(errno));
		return EXIT_ERR;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		lb_err("setting the network namespace \"%s\" failed: %s", name,
		       strerror(errno));
		close(fd);
		return EXIT_ERR;
	}
	close(fd);
	return EXIT_OK;
}

static void version(void)
{
	open_json_object(NULL);
	print_str(PRINT_ANY, "version", "lbctl %s", LBCTL_VERSION);
	print_fp(" (nflb generic netlink \"%s\"", NFLB_GENL_NAME);
	print_uint(PRINT_ANY, "genl_version", " version %u)\n", NFLB_GENL_VERSION);
	close_json_object();
	print_json_end();
}

/* "-opt" matches word if it is a prefix of it at least minlen long. */
static bool opt_is(const char *arg, const char *word, size_t minlen)
{
	size_t n = strlen(arg);

	return n >= minlen && n <= strlen(word) && !strncmp(arg, word, n);
}

int main(int argc, char **argv)
{
	static char outbuf[1 << 16];
	const char *batch = NULL;
	bool want_version = false;
	int ret;

	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	signal(SIGPIPE, SIG_DFL);

	while (argc > 1 && argv[1][0] == '-' && argv[1][1]) {
		const char *o = argv[1] + 1;

		if (o[0] == '-')	/* --option */
			o++;
		if (!strcmp(o, "")) {	/* "--" ends options */
			NEXT_ARG();
			break;
		}
		if (opt_is(o, "json", 1)) {
			opts.json = true;
		} else if (opt_is(o, "pretty", 1)) {
			opts.json = true;
			opts.pretty = true;
		} else if (opt_is(o, "statistics", 1) || opt_is(o, "stats", 1)) {
			opts.stats++;
		} else if (opt_is(o, "netns", 1)) {
			if (argc < 3)
				return usage_err(NULL, "option %s needs a network namespace name", argv[1]);
			NEXT_ARG();
			opts.netns = argv[1];
		} else if (opt_is(o, "batch", 1)) {
			if (argc < 3)
				return usage_err(NULL, "option %s needs a file name", argv[1]);
			NEXT_ARG();
			batch = argv[1];
		} else if (opt_is(o, "force", 1)) {
			opts.force = true;
		} else if (opt_is(o, "Version", 1) || opt_is(o, "version", 2)) {
			want_version = true;
		} else if (opt_is(o, "help", 1)) {
			usage(stdout);
			return EXIT_OK;
		} else {
			return usage_err(NULL, "unknown option '%s'", argv[1]);
		}
		NEXT_ARG();
	}
	print_init(opts.json, opts.pretty);

	if (want_version) {
		version();
		return EXIT_OK;
	}
	if (batch && argc > 1)
		return usage_err(NULL, "-batch takes no command, got '%s'", argv[1]);
	if (!batch && argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (opts.netns && netns_switch(opts.netns))
		return EXIT_ERR;

	if (batch)
		ret = do_batch(batch, "batch");
	else
		ret = do_cmd(argc - 1, argv + 1);
	nl_close();
	if (fflush(stdout) != 0 && ret == EXIT_OK) {
		lb_err("write error: %s", strerror(errno));
		ret = EXIT_ERR;
	}
	return ret;
}
