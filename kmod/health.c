// SPDX-License-Identifier: GPL-2.0
/*
 * PROVISIONAL (passive branch): a member's health flag, until the
 * health-kernel branch's health.c (events, reasons, slow start) is merged.
 */
#include "health.h"

bool nflb_health_change(struct nflb_net *ln, struct nflb_member *m,
			u8 health, const char *reason)
{
	if (m->health == health)
		return false;
	WRITE_ONCE(m->health, health);
	return true;
}

void nflb_health_notify(struct nflb_net *ln, const struct nflb_member *m)
{
}
