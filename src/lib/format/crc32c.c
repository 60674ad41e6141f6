/*
 * crc32c.c - portable CRC-32C and the run-time dispatch; see crc32c.h.
 *
 * Slice-by-8: eight 256-entry tables let the loop fold eight input bytes
 * per step with eight independent lookups.  The tables are built once at
 * first use (cheap, 8 KiB) rather than pasted in as opaque constants.
 */
#include "config.h"
#include "format/crc32c.h"
#include "base/cpu.h"

#include <string.h>
#include <threads.h>

#define POLY 0x82f63b78u /* Castagnoli, reflected */

static uint32_t table[8][256];
static once_flag table_once = ONCE_FLAG_INIT;

static void build_tables(void)
{
	uint32_t n, k, c;

	for (n = 0; n < 256; n++) {
		c = n;
		for (k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ POLY : c >> 1;
		table[0][n] = c;
	}
	for (n = 0; n < 256; n++) {
		c = table[0][n];
		for (k = 1; k < 8; k++) {
			c = table[0][c & 0xff] ^ (c >> 8);
			table[k][n] = c;
		}
	}
}

static void ensure_tables(void)
{
	call_once(&table_once, build_tables);
}

uint32_t tfr_crc32c_portable(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t w;

	ensure_tables();
	crc = ~crc;
	while (len && ((uintptr_t)p & 7)) {
		crc = table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
		len--;
	}
	while (len >= 8) {
		memcpy(&w, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		w = __builtin_bswap64(w);
#endif
		w ^= crc;
		crc = table[7][w & 0xff] ^ table[6][(w >> 8) & 0xff] ^
		      table[5][(w >> 16) & 0xff] ^ table[4][(w >> 24) & 0xff] ^
		      table[3][(w >> 32) & 0xff] ^ table[2][(w >> 40) & 0xff] ^
		      table[1][(w >> 48) & 0xff] ^ table[0][w >> 56];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

uint32_t tfr_crc32c_shift_const(uint64_t nbytes)
{
	uint32_t r = 1u << 31;      /* x^0 */
	uint32_t sq = 1u << 23;     /* x^8: one byte of zeros */

	/* Square-and-multiply over the bits of nbytes. */
	while (nbytes) {
		if (nbytes & 1)
			r = tfr_crc32c_mulmod(sq, r);
		sq = tfr_crc32c_mulmod(sq, sq);
		nbytes >>= 1;
	}
	return r;
}

#ifdef TFR_X86
#include "x86/impl.h"
#endif

/* The dispatch of cpu.h: chosen once, then always through crc_impl. */
static uint32_t (*crc_impl)(uint32_t, const void *, size_t);
static const char *crc_impl_name;
static once_flag crc_once = ONCE_FLAG_INIT;

static void resolve(void)
{
	crc_impl = tfr_crc32c_portable;
	crc_impl_name = "slice-by-8";
#ifdef TFR_X86
	if (tfr_cpu_features() & TFR_CPU_SSE42) {
		crc_impl = tfr_crc32c_sse42;
		crc_impl_name = "sse4.2x3";
	}
#endif
}

uint32_t tfr_crc32c_extend(uint32_t crc, const void *buf, size_t len)
{
	call_once(&crc_once, resolve);
	return crc_impl(crc, buf, len);
}

const char *tfr_crc32c_impl(void)
{
	call_once(&crc_once, resolve);
	return crc_impl_name;
}
