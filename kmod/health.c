// SPDX-License-Identifier: GPL-2.0
/*
 * PROVISIONAL (passive branch): a member's health flag, set and cleared by
 * passive detection, until the health-kernel branch's health.c is merged.
 */
#include "service.h"
#include "health.h"

void nflb_health_eject(struct nflb_net *ln, struct nflb_member *m, u32 hold_ms,
		       const char *reason)
{
	WRITE_ONCE(m->health, NFLB_HEALTH_EJECTED);
}

void nflb_health_restore(struct nflb_net *ln, struct nflb_member *m)
{
	WRITE_ONCE(m->health, NFLB_HEALTH_UP);
}
