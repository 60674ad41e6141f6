/*
 * image/exif.c - the EXIF orientation tag, shared by the JPEG, PNG and
 * WebP codecs (TIFF reads its own Orientation tag through libtiff).
 * Hand-written: only one tag of IFD0 is wanted, and libexif would parse
 * every tag and allocate for each.
 */
#include "config.h"
#include "image/codec.h"

int tfr_exif_orientation(const unsigned char *t, size_t len)
{
	uint32_t ifd;
	unsigned n, i;
	int be;

	if (len < 8)
		return 1;
	if (t[0] == 'I' && t[1] == 'I' && t[2] == 42 && t[3] == 0)
		be = 0;
	else if (t[0] == 'M' && t[1] == 'M' && t[2] == 0 && t[3] == 42)
		be = 1;
	else
		return 1;
	ifd = tfr_rd32(t + 4, be);
	if (ifd > len - 2 || ifd < 8)
		return 1;
	n = tfr_rd16(t + ifd, be);
	for (i = 0; i < n; i++) {
		size_t e = (size_t)ifd + 2 + (size_t)i * 12;
		unsigned v;

		if (e + 12 > len)
			return 1;
		if (tfr_rd16(t + e, be) != 0x0112)
			continue;
		/* type SHORT (3), count 1, value in the first two bytes */
		if (tfr_rd16(t + e + 2, be) != 3 || tfr_rd32(t + e + 4, be) != 1)
			return 1;
		v = tfr_rd16(t + e + 8, be);
		return v >= 1 && v <= 8 ? (int)v : 1;
	}
	return 1;
}
