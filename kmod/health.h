/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFLB_HEALTH_H
#define _NFLB_HEALTH_H

#include "service.h"

/*
 * Member health and slow start (Documentation/health.rst).
 *
 * Health is apart from the operator's state: lbhealthd reports UP or DOWN
 * (MEMBER_SET), passive detection ejects and restores (the two calls
 * below); a member takes new sessions only while both its state and its
 * health are up.  A member whose health comes back up ramps its
 * weight_now from about weight/slow-start to its weight over the pool's
 * slow-start seconds; a worker raises it each second and republishes the
 * pools whose snapshots bake weights in.
 */

/*
 * Health transitions go to `lbctl monitor` (NFLB_CMD_MEMBER_HEALTH)
 * through this hook, which netlink.c (above) registers.  Called under
 * cfg_mutex and rcu_read_lock: it must not sleep.
 */
struct nflb_health_hooks {
	void (*changed)(struct net *net, const char *pool,
			const struct nflb_member *m);
};

void nflb_health_set_hooks(const struct nflb_health_hooks *hooks);

void nflb_health_net_init(struct nflb_net *ln);
void nflb_health_net_exit(struct nflb_net *ln);

/*
 * For passive detection, from process context (a workqueue), with a
 * reference on @m held and cfg_mutex NOT held: they take it.  Eject takes
 * a member that is up out of scheduling (health EJECTED, reason @reason,
 * its ejection count raised); restore brings an ejected one back (UP, with
 * slow start).  Each republishes the pool's snapshot and announces the
 * change.  -ENOENT: @m left its pool; -EALREADY: not up (eject) or not
 * ejected (restore), nothing done.  Where to hold an ejected member, for
 * how long and how many of a pool are decided by the caller.
 */
int nflb_health_eject(struct nflb_net *ln, struct nflb_member *m,
		      const char *reason);
int nflb_health_restore(struct nflb_net *ln, struct nflb_member *m);

/* Members of @pool ejected now (cfg_mutex): for the max-eject share. */
unsigned int nflb_health_ejected(const struct nflb_pool *pool);

/*
 * The building blocks, cfg_mutex held.  nflb_health_change() sets @m's
 * health (and reason, if not NULL) without publishing; it returns whether
 * the health changed, and the caller then publishes the pool and calls
 * nflb_health_notify().  nflb_health_weight() recomputes weight_now after
 * the weight or the pool's slow start changed.
 */
bool nflb_health_change(struct nflb_net *ln, struct nflb_member *m,
			u8 health, const char *reason);
void nflb_health_notify(struct nflb_net *ln, const struct nflb_member *m);
bool nflb_health_weight(struct nflb_member *m);

#endif /* _NFLB_HEALTH_H */
