// SPDX-License-Identifier: GPL-2.0
/* The Internet checksum; see csum.h. */
#include "csum.h"

uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (; len > 1; len -= 2, p += 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)(p[0] << 8);
	return sum;
}

uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t csum_pseudo(int v6, const void *src, const void *dst, uint8_t proto,
		     uint32_t len)
{
	uint32_t sum = 0;

	sum = csum_add(sum, src, v6 ? 16 : 4);
	sum = csum_add(sum, dst, v6 ? 16 : 4);
	/* IPv6: a 32-bit length; IPv4: a 16-bit one */
	if (v6)
		sum += len >> 16;
	return sum + (len & 0xffff) + proto;
}

uint16_t csum_l4(int v6, const void *src, const void *dst, uint8_t proto,
		 const void *l4, size_t len)
{
	return csum_fold(csum_add(csum_pseudo(v6, src, dst, proto, (uint32_t)len),
				  l4, len));
}
