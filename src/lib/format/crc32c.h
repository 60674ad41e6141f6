/*
 * crc32c.h - CRC-32C (Castagnoli) and TensorFlow's masked form.
 *
 * Hand-written because no Debian-packaged library offers a fast CRC-32C:
 * zlib only has CRC-32 (IEEE).  The portable path is slice-by-8; on x86
 * with SSE4.2 a three-stream crc32 instruction path is chosen at run time
 * (see cpu.h; TFREC_NO_SIMD forces the portable path).  Both give
 * identical results.  All functions are pure and thread-safe.
 */
#ifndef TFR_CRC32C_H
#define TFR_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continue a CRC-32C: start with crc = 0 for a fresh one. */
uint32_t tfr_crc32c_extend(uint32_t crc, const void *buf, size_t len);

static inline uint32_t tfr_crc32c(const void *buf, size_t len)
{
	return tfr_crc32c_extend(0, buf, len);
}

/* TensorFlow's kMaskDelta, from LevelDB. */
#define TFR_CRC_MASK_DELTA 0xa282ead8u

static inline uint32_t tfr_crc_mask(uint32_t crc)
{
	return ((crc >> 15) | (crc << 17)) + TFR_CRC_MASK_DELTA;
}

static inline uint32_t tfr_crc_unmask(uint32_t masked)
{
	uint32_t rot = masked - TFR_CRC_MASK_DELTA;

	return (rot >> 17) | (rot << 15);
}

static inline uint32_t tfr_masked_crc32c(const void *buf, size_t len)
{
	return tfr_crc_mask(tfr_crc32c(buf, len));
}

/* Name of the implementation in use: "sse4.2x3" or "slice-by-8". */
const char *tfr_crc32c_impl(void);

/* The portable implementation, exposed for tests and the fast path. */
uint32_t tfr_crc32c_portable(uint32_t crc, const void *buf, size_t len);

/*
 * GF(2) helpers for combining CRCs of adjacent blocks, exposed for the
 * fast path: tfr_crc32c_shift_const(n) is x^(8n) mod P, and
 * tfr_crc32c_mulmod(a, b) multiplies two reflected CRC values mod P.
 */
uint32_t tfr_crc32c_shift_const(uint64_t nbytes);

/* Inline, so that the arch files use it and stay leaves (see cpu.h).
 * As in zlib's multmodp. */
static inline uint32_t tfr_crc32c_mulmod(uint32_t a, uint32_t b)
{
	uint32_t m = 1u << 31, p = 0;

	for (;;) {
		if (a & m) {
			p ^= b;
			if ((a & (m - 1)) == 0)
				break;
		}
		m >>= 1;
		b = b & 1 ? (b >> 1) ^ 0x82f63b78u : b >> 1;
	}
	return p;
}

#endif
