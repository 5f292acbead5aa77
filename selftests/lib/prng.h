/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fuzzers' pseudo-random numbers: xorshift64*, one global state, so a
 * run is replayed from its seed.
 */
#ifndef NFLB_SELFTESTS_PRNG_H
#define NFLB_SELFTESTS_PRNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Starts the sequence of @seed (0 is not a valid state: 1 instead). */
void prng_seed(uint64_t seed);

uint64_t rnd64(void);

/* 0..n-1 (0 when n is 0). */
uint32_t rnd(uint32_t n);

/* True with a probability of @pct percent. */
bool chance(unsigned int pct);

/* @n random bytes at @p. */
void rnd_bytes(void *p, size_t n);

#endif
