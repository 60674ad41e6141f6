/* unit-crc32c.c - CRC-32C known answers, masking, and fast == portable. */
#include "config.h"
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "lib/format/crc32c.h"
#ifdef TFR_X86
#include "lib/x86/impl.h"
#endif

static const unsigned char pdu[48] = {
	0x01, 0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0x14, 0, 0, 0, 0, 0, 0x04, 0, 0, 0, 0, 0x14, 0, 0, 0, 0x18,
	0x28, 0, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0,
};

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int main(void)
{
	unsigned char b[32], len3[8] = { 3 };
	static unsigned char big[1 << 20];
	size_t i, trial;
	uint32_t c;

	tap_diag("implementation: %s", tfr_crc32c_impl());
	/* RFC 3720 B.4, as used by TensorFlow's crc32c_test.cc */
	memset(b, 0, 32);
	ok(tfr_crc32c(b, 32) == 0x8a9136aa, "32 zero bytes");
	ok(tfr_masked_crc32c(b, 32) == 0x0fd7fffa, "masked 32 zero bytes (Beam)");
	memset(b, 0xff, 32);
	ok(tfr_crc32c(b, 32) == 0x62a8ab43, "32 0xff bytes");
	ok(tfr_masked_crc32c(b, 32) == 0xf909b029, "masked 32 0xff bytes (Beam)");
	for (i = 0; i < 32; i++)
		b[i] = (unsigned char)i;
	ok(tfr_crc32c(b, 32) == 0x46dd794e, "ascending bytes");
	for (i = 0; i < 32; i++)
		b[i] = (unsigned char)(31 - i);
	ok(tfr_crc32c(b, 32) == 0x113fdb5c, "descending bytes");
	ok(tfr_crc32c(pdu, 48) == 0xd9963a56, "iSCSI PDU");
	ok(tfr_crc32c(pdu, 41) == 0xdd1b19be, "iSCSI PDU, first 41 bytes");
	ok(tfr_crc32c(pdu + 1, 44) == 0x4930c4b1, "iSCSI PDU, 44 bytes at +1");
	ok(tfr_crc32c("123456789", 9) == 0xe3069283, "check value 123456789");
	ok(tfr_crc32c("", 0) == 0, "empty input");
	ok(tfr_masked_crc32c("", 0) == 0xa282ead8, "masked empty input");
	ok(tfr_masked_crc32c("foo", 3) == 0xfebe8a61, "masked foo (Beam)");
	ok(tfr_masked_crc32c("bar", 3) == 0xc8e50046, "masked bar");
	ok(tfr_masked_crc32c(len3, 8) == 0x0e4999b0, "masked u64 length 3 (Beam)");
	ok(tfr_crc32c_extend(tfr_crc32c("hello ", 6), "world", 5) ==
	   tfr_crc32c("hello world", 11), "extend == whole");
	c = tfr_crc32c("foo", 3);
	ok(tfr_crc_mask(c) != c && tfr_crc_mask(tfr_crc_mask(c)) != c,
	   "mask changes the value");
	ok(tfr_crc_unmask(tfr_crc_mask(c)) == c, "unmask(mask(c)) == c");
	ok(tfr_crc_unmask(tfr_crc_unmask(tfr_crc_mask(tfr_crc_mask(c)))) == c,
	   "double mask round trip");

	/* The dispatched path must equal the portable one bit for bit, at
	 * every length and alignment around the lane boundaries. */
	for (i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)next();
	{
		int bad = 0;

		for (trial = 0; trial < 3000; trial++) {
			size_t off = next() % 64;
			size_t len = trial < 1000 ? trial : next() % (sizeof(big) - 64);
			uint32_t seed = (uint32_t)next();

			if (tfr_crc32c_extend(seed, big + off, len) !=
			    tfr_crc32c_portable(seed, big + off, len))
				bad++;
		}
		for (i = 6144 - 20; i < 6144 * 3 + 20; i++)
			if (tfr_crc32c_extend(1, big, i) != tfr_crc32c_portable(1, big, i))
				bad++;
		ok(bad == 0, "dispatched == portable on random lengths (%d bad)", bad);
	}
#ifdef TFR_X86
	/* The fast path's folding constants, fixed in impl.h so that it
	 * stays a leaf, are the GF(2) shifts they claim to be. */
	ok(TFR_CRC32C_SSE42_K1 == tfr_crc32c_shift_const(TFR_CRC32C_SSE42_LANE) &&
	   TFR_CRC32C_SSE42_K2 == tfr_crc32c_shift_const(2 * TFR_CRC32C_SSE42_LANE),
	   "SSE4.2 lane constants are x^(8 LANE) and x^(16 LANE) mod P");
#endif
	return tap_done();
}
