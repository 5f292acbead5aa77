// SPDX-License-Identifier: GPL-2.0
/* xorshift64*; see prng.h. */
#include "prng.h"

static uint64_t rng_state = 1;

void prng_seed(uint64_t seed)
{
	rng_state = seed ? seed : 1;
}

uint64_t rnd64(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

uint32_t rnd(uint32_t n)
{
	return n ? (uint32_t)(rnd64() % n) : 0;
}

bool chance(unsigned int pct)
{
	return rnd(100) < pct;
}

void rnd_bytes(void *p, size_t n)
{
	uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)rnd64();
}
