/* unit-capi: the stable C API of libtfrec.so (src/capi/tfrec.h): known
 * CRC answers, tfrec_scan over whole, cut and damaged record streams,
 * and its argument checks.  Linked statically here so that the
 * sanitizer builds check it too (the .so itself is built unsanitized). */
#include "config.h"
#include <string.h>

#include "tap.h"
#include "capi/tfrec.h"
#include "lib/crc32c.h"

static size_t put_record(unsigned char *p, const unsigned char *data, uint64_t n)
{
	uint32_t c;

	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(n >> (8 * i));
	c = tfrec_masked_crc32c(p, 8);
	memcpy(p + 8, &c, 4); /* little-endian hosts only, as the build */
	memcpy(p + 12, data, n);
	c = tfrec_masked_crc32c(data, n);
	memcpy(p + 12 + n, &c, 4);
	return n + 16;
}

int main(void)
{
	unsigned char buf[4096], data[1000];
	uint64_t starts[8], lens[8], need;
	size_t used, len = 0, at[3];
	const uint64_t sizes[3] = { 0, 1000, 37 };

	ok(tfrec_api_version() == TFREC_API_VERSION, "API version %d", tfrec_api_version());
	ok(tfrec_crc32c(0, "123456789", 9) == 0xe3069283u, "CRC-32C check value");
	ok(tfrec_crc32c(tfrec_crc32c(0, "1234", 4), "56789", 5) == 0xe3069283u, "continued CRC");
	ok(tfrec_masked_crc32c("123456789", 9) == tfr_crc_mask(0xe3069283u), "masked CRC");
	ok(tfrec_crc32c(7, NULL, 0) == 7, "empty buffer leaves the CRC alone");
	ok(strlen(tfrec_crc32c_impl()) > 0, "implementation named: %s", tfrec_crc32c_impl());

	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)(i * 131 + 7);
	for (int i = 0; i < 3; i++) {
		at[i] = len;
		len += put_record(buf + len, data, sizes[i]);
	}
	ok(tfrec_scan(buf, len, 0, 0, starts, lens, 8, &used, &need) == 3 && used == len &&
	   need == 0, "three whole records");
	ok(starts[1] == at[1] + 12 && lens[1] == 1000 && lens[0] == 0 && lens[2] == 37,
	   "payload offsets and lengths");
	ok(tfrec_scan(buf, len, 0, 0, starts, lens, 2, &used, &need) == 2 && used == at[2] &&
	   need == 0, "cap stops after two");
	ok(tfrec_scan(buf, at[2] + 20, 0, 0, starts, lens, 8, &used, &need) == 2 &&
	   used == at[2] && need == 37 + 16, "cut inside the third: need says its size");
	ok(tfrec_scan(buf, 5, 0, 0, starts, lens, 8, &used, &need) == 0 && used == 0 &&
	   need == 12, "cut inside the first header");
	ok(tfrec_scan(buf, 0, 0, 0, starts, lens, 8, &used, &need) == 0 && used == 0,
	   "empty buffer");
	buf[at[1] + 500] ^= 1;
	ok(tfrec_scan(buf, len, 0, 0, starts, lens, 8, &used, &need) == 1 && used == at[1],
	   "good records before a damaged one come first");
	ok(tfrec_scan(buf + used, len - used, 0, 0, starts, lens, 8, &used, &need) ==
	   TFREC_SCAN_BAD_DATA_CRC, "then the data CRC mismatch");
	ok(tfrec_scan(buf + at[1], len - at[1], TFREC_SCAN_SKIP_DATA_CRC, 0, starts, lens, 8,
		      &used, &need) == 2, "not with TFREC_SCAN_SKIP_DATA_CRC");
	buf[at[1] + 500] ^= 1;
	buf[at[2] + 2] ^= 1;
	ok(tfrec_scan(buf + at[2], len - at[2], 0, 0, starts, lens, 8, &used, &need) ==
	   TFREC_SCAN_BAD_LENGTH_CRC, "length CRC mismatch");
	buf[at[2] + 2] ^= 1;
	ok(tfrec_scan(buf + at[1], len - at[1], 0, 999, starts, lens, 8, &used, &need) ==
	   TFREC_SCAN_TOO_LARGE, "a length above max_record");
	ok(tfrec_scan(buf, len, 0, 0, starts, lens, 8, NULL, NULL) == TFREC_SCAN_BAD_ARG,
	   "used must not be NULL");
	ok(tfrec_scan(NULL, 4, 0, 0, starts, lens, 8, &used, NULL) == TFREC_SCAN_BAD_ARG,
	   "NULL buffer with a length");
	ok(tfrec_scan(buf, len, 0, 0, NULL, lens, 8, &used, NULL) == TFREC_SCAN_BAD_ARG,
	   "NULL starts with a cap");
	ok(tfrec_scan(buf, len, 0, 0, NULL, NULL, 0, &used, NULL) == 0 && used == 0,
	   "cap 0 finds nothing");
	return tap_done();
}
