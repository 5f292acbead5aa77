/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFLB_HEALTH_H
#define _NFLB_HEALTH_H

#include "service.h"

/*
 * PROVISIONAL (passive branch): the building blocks of the health-kernel
 * branch's health.c, with its signatures, until that branch is merged.
 * cfg_mutex held.  nflb_health_change() sets @m's health without
 * publishing and returns whether it changed; the caller publishes the pool
 * and then calls nflb_health_notify().
 */
bool nflb_health_change(struct nflb_net *ln, struct nflb_member *m,
			u8 health, const char *reason);
void nflb_health_notify(struct nflb_net *ln, const struct nflb_member *m);

#endif /* _NFLB_HEALTH_H */
