/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Internet checksum (RFC 1071) for the C selftests, tools and bench.
 * Sums are of big-endian 16-bit words in a 32-bit accumulator (no overflow
 * for anything up to 128 KiB); results are in host order: store them with
 * htons() or as two bytes high first.
 */
#ifndef NFLB_SELFTESTS_CSUM_H
#define NFLB_SELFTESTS_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* @sum plus the 16-bit words of @data (an odd last byte is padded with 0). */
uint32_t csum_add(uint32_t sum, const void *data, size_t len);

/* The checksum of a sum: folded to 16 bits and complemented. */
uint16_t csum_fold(uint32_t sum);

/*
 * The sum of the pseudo-header of a @proto segment of @len bytes from @src to
 * @dst (4-byte IPv4 or, if @v6, 16-byte IPv6 addresses in network order).
 */
uint32_t csum_pseudo(int v6, const void *src, const void *dst, uint8_t proto,
		     uint32_t len);

/* The checksum of L4 segment @l4 (checksum field included as it is). */
uint16_t csum_l4(int v6, const void *src, const void *dst, uint8_t proto,
		 const void *l4, size_t len);

#endif
