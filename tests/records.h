/*
 * records.h - TFRecord framing by hand for C unit tests: the test builds
 * the exact bytes it means, independent of the library's writer.
 */
#ifndef TFR_TEST_RECORDS_H
#define TFR_TEST_RECORDS_H

#include <stdio.h>
#include <string.h>

#include "lib/format/crc32c.h"
#include "lib/format/record.h"

/* Frame len bytes of d at out; a wrong data CRC when bad.  Returns the
 * framed size (len + 16). */
static size_t frame_record(unsigned char *out, const void *d, size_t len, int bad)
{
	uint32_t c = tfr_crc_mask(tfr_crc32c(d, len)) ^ (bad ? 1u : 0u);

	tfr_record_header(out, len);
	memcpy(out + 12, d, len);
	out[12 + len] = (unsigned char)c;
	out[13 + len] = (unsigned char)(c >> 8);
	out[14 + len] = (unsigned char)(c >> 16);
	out[15 + len] = (unsigned char)(c >> 24);
	return len + 16;
}

static void write_file(const char *p, const void *d, size_t n)
{
	FILE *f = fopen(p, "wb");

	if (f) {
		fwrite(d, 1, n, f);
		fclose(f);
	}
}

#endif
