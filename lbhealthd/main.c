// SPDX-License-Identifier: GPL-2.0
/*
 * lbhealthd: probes the members of nflb pools that have an active check
 * and sets each member's health over netlink.  Runs in the foreground in
 * the network namespace it is started in; logs to stderr (the journal
 * under systemd).  --dry-run takes the checks from --check/--file instead
 * of the kernel and prints health changes to stdout.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include "lbhealthd.h"

#define LBHEALTHD_VERSION	"0.1.0"
#define MAX_EVENTS		256
/* Configuration events are followed by one re-read this much later, so
 * that a burst of changes (a batch adding many members) costs one. */
#define REDUMP_DELAY_MS		200

bool dry_run;
int epfd = -1;

/* epoll tags of the fds that are not probes (a probe's is its probe_sock) */
static char tag_signal, tag_events, tag_redump;
static int sigfd = -1, redump_fd = -1;
static bool redump_armed;
static const char *check_file;

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void hd_log(const char *fmt, ...)
{
	va_list ap;

	fputs("lbhealthd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: lbhealthd [ -v ]\n"
"       lbhealthd --dry-run [ -v ] { --check 'CHECK' | --file FILE }...\n"
"Probes the members of the nflb pools that have a check (lbctl pool set\n"
"POOL check ...) and sets their health.  With --dry-run the checks come from\n"
"the command line or a file (one per line) and health changes are printed:\n"
"  CHECK := TYPE ADDR:PORT [ pool NAME ] [ port PORT ] [ interval T ] [ timeout T ]\n"
"           [ rise N ] [ fall N ] [ path P ] [ host H ] [ status MIN-MAX ]\n"
"           [ expect-body STR ] [ send STR ] [ expect STR ] [ query NAME ]\n"
"           [ tls-verify { on | off } ]\n"
"  TYPE := { tcp | http | https | udp-dns }   T: seconds, or Nms\n"
"See lbhealthd(8).\n");
}

static int epoll_add(int fd, void *tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = tag };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* ---- --dry-run: checks from the command line and files ---- */

static uint32_t file_gen = 1;

static int add_check_line(const char *line, const char *where)
{
	struct target tmp, *t;
	char err[128];
	int r = check_parse_line(line, &tmp, err, sizeof(err));

	if (r)
		return r > 0 ? 0 : (hd_log("%s: %s", where, err), -1);
	t = target_find(tmp.pool, &tmp.member);
	if (!t)
		t = target_add(tmp.pool, &tmp.member);
	if (!t) {
		hd_log("out of memory");
		return -1;
	}
	t->gen = file_gen;
	target_set_check(t, &tmp.chk, &tmp.dst);
	return 0;
}

static int read_check_file(const char *path)
{
	char line[2048], where[512];
	unsigned long n = 0;
	FILE *f = fopen(path, "r");
	int ret = 0;

	if (!f) {
		hd_log("%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		n++;
		snprintf(where, sizeof(where), "%s:%lu", path, n);
		if (add_check_line(line, where))
			ret = -1;
	}
	fclose(f);
	return ret;
}

/* ---- the loop ---- */

/* Starts the probes that are due and ends those out of time. */
static void run_timers(uint64_t now)
{
	struct target *t;

	/* each step moves the head's due time past now: the loop ends */
	while ((t = timer_peek()) && t->due_ms <= now) {
		if (t->phase == PH_IDLE)
			probe_start(t);
		else
			probe_deadline(t);
	}
}

static void redump_soon(void)
{
	struct itimerspec its = { .it_value = { 0, REDUMP_DELAY_MS * 1000000L } };

	if (redump_armed)
		return;
	timerfd_settime(redump_fd, 0, &its, NULL);
	redump_armed = true;
}

static void reload(void)
{
	unsigned int before = target_count();

	if (dry_run) {
		file_gen++;
		if (check_file && read_check_file(check_file) == 0)
			target_sweep(file_gen);
		return;
	}
	if (nlcfg_dump()) {
		hd_log("re-reading the configuration failed; trying again");
		redump_soon();
	}
	if (target_count() != before)
		hd_log("%u members checked", target_count());
}

/* 1 to exit. */
static int on_signal(void)
{
	struct signalfd_siginfo si;

	while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			hd_log("SIGHUP: re-reading the configuration");
			reload();
		} else {
			hd_log("%s: exiting", strsignal((int)si.ssi_signo));
			return 1;
		}
	}
	return 0;
}

static int loop(void)
{
	struct epoll_event evs[MAX_EVENTS];
	int i, n;

	for (;;) {
		bool want_dump = false;

		n = epoll_wait(epfd, evs, MAX_EVENTS, timer_timeout(now_ms()));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			hd_log("epoll_wait: %s", strerror(errno));
			return 1;
		}
		for (i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;

			if (p == &tag_signal) {
				if (on_signal())
					return 0;
			} else if (p == &tag_events) {
				int r = nlcfg_events();

				if (r > 1)
					want_dump = true;	/* events lost */
				else if (r == 1)
					redump_soon();
			} else if (p == &tag_redump) {
				uint64_t exp;

				if (read(redump_fd, &exp, sizeof(exp)) < 0 && errno != EAGAIN)
					hd_log("timerfd: %s", strerror(errno));
				redump_armed = false;
				want_dump = true;
			} else {
				probe_event(p, evs[i].events);
			}
		}
		/* after the batch: no later event can name a released socket,
		 * so they may be reused; deadlines after the replies that came
		 * with them */
		psock_settle();
		run_timers(now_ms());
		/* a re-read may end probes and free targets: also after it */
		if (want_dump)
			reload();
	}
}

static int setup(void)
{
	struct rlimit rl;
	sigset_t set;

	/* one socket per running probe: allow as many as the hard limit */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	redump_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (epfd < 0 || sigfd < 0 || redump_fd < 0 || epoll_add(sigfd, &tag_signal) ||
	    epoll_add(redump_fd, &tag_redump)) {
		hd_log("setup: %s", strerror(errno));
		return -1;
	}
	if (probe_init()) {
		hd_log("cannot set up TLS (OpenSSL)");
		return -1;
	}
	srandom((unsigned int)(now_ms() ^ (uint64_t)getpid() << 16));
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "check", required_argument, NULL, 'c' },
		{ "file", required_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, nchecks = 0, ret;

	/* the checks are parsed after setup: first the options */
	while ((opt = getopt_long(argc, argv, "nc:f:vVh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			dry_run = true;
			break;
		case 'c':
		case 'f':
			nchecks++;
			break;
		case 'v':
			verbose = true;
			break;
		case 'V':
			printf("lbhealthd %s\n", LBHEALTHD_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc)
		hd_log("unexpected argument '%s'", argv[optind]);
	else if (dry_run && !nchecks)
		hd_log("--dry-run needs --check or --file");
	else if (!dry_run && nchecks)
		hd_log("--check and --file need --dry-run (otherwise the checks come from the kernel)");
	if (optind < argc || dry_run != !!nchecks) {
		usage(stderr);
		return 2;
	}
	if (setup())
		return 1;
	if (dry_run) {
		optind = 1;
		while ((opt = getopt_long(argc, argv, "nc:f:vVh", longopts, NULL)) != -1) {
			if (opt == 'c' && add_check_line(optarg, "--check"))
				return 2;
			if (opt == 'f') {
				check_file = optarg;
				if (read_check_file(optarg))
					return 2;
			}
		}
	} else {
		if (nlcfg_open() || epoll_add(nlcfg_event_fd(), &tag_events))
			return 1;
		if (nlcfg_dump())
			return 1;
	}
	hd_log("%s%u members checked", dry_run ? "dry run: " : "", target_count());
	ret = loop();
	targets_free();
	psock_cleanup();
	timer_cleanup();
	if (!dry_run)
		nlcfg_close();
	probe_cleanup();
	return ret;
}
