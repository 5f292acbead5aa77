// SPDX-License-Identifier: GPL-2.0
/*
 * Rise and fall: a member changes health only after RISE good or FALL
 * failed probes in a row, and only changes are reported (to the kernel,
 * or to stdout with --dry-run) and logged.  A member whose health is not
 * known yet (--dry-run start) takes the first result's.
 */
#include <stdio.h>
#include <string.h>

#include "lbhealthd.h"

bool verbose;

static const char *const health_names[] = {
	[HD_UNKNOWN] = "unknown", [HD_UP] = "up", [HD_DOWN] = "down",
};

static void transition(struct target *t, enum hd_health to, const char *reason)
{
	char m[INET6_ADDRSTRLEN + 10];

	addr_str(&t->member, m, sizeof(m));
	if (!dry_run && nlcfg_report(t, to, reason) < 0)
		return;		/* logged; the next probe's result tries again */
	hd_log("pool %s member %s: %s -> %s%s%s%s", t->pool, m, health_names[t->health],
	       health_names[to], *reason ? " (" : "", reason, *reason ? ")" : "");
	if (dry_run) {
		printf("%s %s %s %s%s%s\n", t->pool, m, health_names[t->health],
		       health_names[to], *reason ? " " : "", reason);
		fflush(stdout);
	}
	t->health = to;
}

void health_result(struct target *t, bool ok, const char *reason)
{
	if (verbose) {
		char m[INET6_ADDRSTRLEN + 10];

		hd_log("pool %s member %s: probe %s%s", t->pool,
		       addr_str(&t->member, m, sizeof(m)), ok ? "ok" : "failed: ",
		       ok ? "" : reason);
	}
	if (ok) {
		t->fail_run = 0;
		if (t->ok_run < UINT8_MAX)
			t->ok_run++;
		if (t->health == HD_UNKNOWN ||
		    (t->health == HD_DOWN && t->ok_run >= t->chk.rise))
			transition(t, HD_UP, "");
		return;
	}
	t->ok_run = 0;
	if (t->fail_run < UINT8_MAX)
		t->fail_run++;
	snprintf(t->reason, sizeof(t->reason), "%s", reason);
	if (t->health == HD_UNKNOWN ||
	    (t->health == HD_UP && t->fail_run >= t->chk.fall))
		transition(t, HD_DOWN, t->reason);
}
