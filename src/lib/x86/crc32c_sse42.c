/*
 * crc32c_sse42.c - CRC-32C with the SSE4.2 crc32 instruction.
 *
 * The crc32 instruction has a latency of three cycles but a throughput of
 * one per cycle, so a single dependent chain runs at a third of the
 * possible speed.  Large inputs are therefore cut into blocks of three
 * equal lanes, each lane is folded by its own chain, and the three lane
 * CRCs are joined by multiplying the earlier ones by x^(8*lane) mod P
 * (the inline tfr_crc32c_mulmod with the constants of impl.h, which
 * unit-crc32c checks against tfr_crc32c_shift_const).  Only this file is
 * compiled with -msse4.2 (through the target attribute); it is called only
 * after cpu.c has seen the feature.  Results equal tfr_crc32c_portable.
 * A leaf (see cpu.h): it calls no function of the rest of the library.
 */
#include "config.h"
#include "format/crc32c.h"
#include "impl.h"

#include <nmmintrin.h>
#include <string.h>

#define LANE TFR_CRC32C_SSE42_LANE /* bytes per lane; a block is 3 * LANE */

__attribute__((target("sse4.2")))
static uint32_t chain(uint32_t crc, const unsigned char *p, size_t len)
{
	uint64_t c = crc, w;

	while (len >= 8) {
		memcpy(&w, p, 8);
		c = _mm_crc32_u64(c, w);
		p += 8;
		len -= 8;
	}
	crc = (uint32_t)c;
	while (len--)
		crc = _mm_crc32_u8(crc, *p++);
	return crc;
}

__attribute__((target("sse4.2")))
uint32_t tfr_crc32c_sse42(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t c0, c1, c2, w0, w1, w2;
	size_t i;

	crc = ~crc;
	if (len >= 3 * LANE) {
		while (len >= 3 * LANE) {
			c0 = crc;
			c1 = 0;
			c2 = 0;
			for (i = 0; i < LANE; i += 8) {
				memcpy(&w0, p + i, 8);
				memcpy(&w1, p + LANE + i, 8);
				memcpy(&w2, p + 2 * LANE + i, 8);
				c0 = _mm_crc32_u64(c0, w0);
				c1 = _mm_crc32_u64(c1, w1);
				c2 = _mm_crc32_u64(c2, w2);
			}
			/* Raw (non-inverted) CRC states are linear: shifting a
			 * state over n zero bytes is a multiply by x^(8n). */
			crc = tfr_crc32c_mulmod(TFR_CRC32C_SSE42_K2, (uint32_t)c0) ^
			      tfr_crc32c_mulmod(TFR_CRC32C_SSE42_K1, (uint32_t)c1) ^
			      (uint32_t)c2;
			p += 3 * LANE;
			len -= 3 * LANE;
		}
	}
	return ~chain(crc, p, len);
}
