/*
 * tfrec.c - the stable C API of libtfrec.so (see tfrec.h).
 *
 * A thin layer over the library's crc32c module: it keeps the exported
 * names and types independent of src/lib, which may change, and it
 * frames from a caller's buffer instead of through struct tfr_reader,
 * whose file handling and compression a binding already has.
 */
#include "config.h"
#include "capi/tfrec.h"
#include "lib/crc32c.h"

#include <string.h>

/* Only the names in tfrec.h leave the shared library; the build passes
 * -fvisibility=hidden for everything else. */
#define TFREC_EXPORT __attribute__((visibility("default")))

TFREC_EXPORT int tfrec_api_version(void)
{
	return TFREC_API_VERSION;
}

TFREC_EXPORT uint32_t tfrec_crc32c(uint32_t crc, const void *buf, size_t len)
{
	return len ? tfr_crc32c_extend(crc, buf, len) : crc;
}

TFREC_EXPORT uint32_t tfrec_masked_crc32c(const void *buf, size_t len)
{
	return tfr_crc_mask(tfrec_crc32c(0, buf, len));
}

TFREC_EXPORT const char *tfrec_crc32c_impl(void)
{
	return tfr_crc32c_impl();
}

static uint64_t get_le64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

TFREC_EXPORT long tfrec_scan(const void *buf, size_t len, int flags,
			     uint64_t max_record, uint64_t *starts,
			     uint64_t *lengths, size_t cap, size_t *used,
			     uint64_t *need)
{
	const unsigned char *p = buf;
	size_t pos = 0;
	long n = 0;

	if ((!buf && len) || !used || (cap && (!starts || !lengths)))
		return TFREC_SCAN_BAD_ARG;
	if (max_record == 0)
		max_record = UINT64_C(1) << 30;
	if (need)
		*need = 0;
	while ((size_t)n < cap && len - pos >= 12) {
		const unsigned char *h = p + pos;
		uint64_t plen = get_le64(h);
		int bad = 0;

		if (tfr_masked_crc32c(h, 8) != get_le32(h + 8))
			bad = TFREC_SCAN_BAD_LENGTH_CRC;
		else if (plen > max_record)
			bad = TFREC_SCAN_TOO_LARGE;
		if (!bad && len - pos - 12 < plen + 4) {
			if (need)
				*need = plen + 16;
			break;
		}
		if (!bad && !(flags & TFREC_SCAN_SKIP_DATA_CRC) &&
		    tfrec_masked_crc32c(h + 12, plen) != get_le32(h + 12 + plen))
			bad = TFREC_SCAN_BAD_DATA_CRC;
		if (bad) {
			/* Good records first; the damage on the next call. */
			*used = pos;
			return n ? n : bad;
		}
		starts[n] = pos + 12;
		lengths[n] = plen;
		n++;
		pos += 16 + (size_t)plen;
	}
	if ((size_t)n < cap && len - pos > 0 && len - pos < 12 && need)
		*need = 12; /* a header cut short: read at least that much */
	*used = pos;
	return n;
}
