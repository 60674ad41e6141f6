/*
 * image/bmp.c - BMP, hand-written: 1, 4, 8, 16, 24 and 32 bits; RLE4 and
 * RLE8; bitfields (and alpha bitfields); bottom-up and top-down; the
 * Windows 3 to V5 headers and both OS/2 headers.
 *
 * Why not a library: stb_image (libstb-dev) has no RLE and no OS/2 v2
 * header and reads a lying header before checking it against the data,
 * and Debian packages no other BMP reader with a memory API.  The format
 * is small; this parser checks every size against the bytes it has
 * before it allocates, and fuzz-image covers it.
 */
#include "config.h"
#include "image/codec.h"

#include <stdlib.h>
#include <string.h>

static int bmp_sniff(const unsigned char *p, size_t len)
{
	uint32_t hs;

	if (len < 18 || p[0] != 'B' || p[1] != 'M')
		return 0;
	hs = tfr_rd32(p + 14, 0);
	return hs == 12 || hs == 16 || hs == 40 || hs == 52 || hs == 56 || hs == 64 ||
	       hs == 108 || hs == 124;
}

struct bmp {
	uint32_t w, h, off, hsize, bpp, comp, ncolors;
	int topdown, os2;
	uint32_t mask[4];       /* R, G, B, A for 16 and 32 bits */
	unsigned char pal[256][4];
};

enum { BI_RGB = 0, BI_RLE8 = 1, BI_RLE4 = 2, BI_BITFIELDS = 3, BI_ALPHABITFIELDS = 6 };

static int bmp_bad(struct tfr_error *err, const char *why)
{
	return tfr_error_set(err, TFR_ERR_FORMAT, "invalid BMP: %s", why);
}

static int bmp_header(const unsigned char *p, size_t len, uint64_t max, struct bmp *b,
		      struct tfr_image_info *info, struct tfr_error *err)
{
	int32_t sh;
	uint32_t i, pe, palpos, maxcolors;

	memset(b, 0, sizeof(*b));
	b->off = tfr_rd32(p + 10, 0);
	b->hsize = tfr_rd32(p + 14, 0);
	if (14 + (size_t)b->hsize > len)
		return bmp_bad(err, "header cut short");
	if (b->hsize == 12) { /* OS/2 1.x: 16-bit sizes, 3-byte palette */
		b->os2 = 1;
		b->w = tfr_rd16(p + 18, 0);
		sh = (int32_t)tfr_rd16(p + 20, 0);
		if (tfr_rd16(p + 22, 0) != 1)
			return bmp_bad(err, "planes is not 1");
		b->bpp = tfr_rd16(p + 24, 0);
	} else {
		b->w = tfr_rd32(p + 18, 0);
		sh = (int32_t)tfr_rd32(p + 22, 0);
		if (tfr_rd16(p + 26, 0) != 1)
			return bmp_bad(err, "planes is not 1");
		b->bpp = tfr_rd16(p + 28, 0);
		if (b->hsize >= 20)
			b->comp = tfr_rd32(p + 30, 0);
		if (b->hsize >= 36)
			b->ncolors = tfr_rd32(p + 46, 0);
		if (b->hsize == 16 || b->hsize == 64)
			b->os2 = 1; /* OS/2 2.x: compression 3 and 4 mean Huffman, RLE24 */
	}
	if ((int32_t)b->w <= 0 || sh == 0 || sh == INT32_MIN)
		return bmp_bad(err, "bad width or height");
	b->topdown = sh < 0;
	b->h = (uint32_t)(sh < 0 ? -sh : sh);
	info->format = TFR_IMAGE_BMP;
	info->width = b->w;
	info->height = b->h;
	info->orientation = 1;
	if (b->bpp != 1 && b->bpp != 4 && b->bpp != 8 && b->bpp != 16 && b->bpp != 24 &&
	    b->bpp != 32)
		return bmp_bad(err, "bits per pixel not 1, 4, 8, 16, 24 or 32");
	if (b->os2 && b->comp >= BI_BITFIELDS)
		return tfr_error_set(err, TFR_ERR_UNSUPPORTED,
				     "unsupported BMP: OS/2 Huffman or RLE24 compression");
	if (!(b->comp == BI_RGB || (b->comp == BI_RLE8 && b->bpp == 8) ||
	      (b->comp == BI_RLE4 && b->bpp == 4) ||
	      ((b->comp == BI_BITFIELDS || b->comp == BI_ALPHABITFIELDS) &&
	       (b->bpp == 16 || b->bpp == 32))))
		return tfr_error_set(err, TFR_ERR_UNSUPPORTED,
				     "unsupported BMP: compression %u at %u bits", b->comp, b->bpp);
	if (b->topdown && (b->comp == BI_RLE8 || b->comp == BI_RLE4))
		return bmp_bad(err, "top-down RLE");
	/* Masks: in the header from V2 on, else just after a 40-byte one. */
	if (b->bpp == 16) {
		b->mask[0] = 0x7c00, b->mask[1] = 0x03e0, b->mask[2] = 0x001f;
	} else if (b->bpp == 32) {
		b->mask[0] = 0xff0000, b->mask[1] = 0xff00, b->mask[2] = 0xff;
	}
	if (b->comp == BI_BITFIELDS || b->comp == BI_ALPHABITFIELDS) {
		uint32_t n = b->comp == BI_ALPHABITFIELDS ? 4 : 3;

		if (14 + 40 + (size_t)n * 4 > len)
			return bmp_bad(err, "bitfields cut short");
		for (i = 0; i < n; i++)
			b->mask[i] = tfr_rd32(p + 54 + 4 * i, 0);
		if (b->hsize >= 56)
			b->mask[3] = tfr_rd32(p + 66, 0);
		for (i = 0; i < 3; i++)
			if (!b->mask[i])
				return bmp_bad(err, "empty bitfield mask");
	}
	/* The palette: bounded by the bit depth, and by the file. */
	palpos = 14 + b->hsize + (b->hsize == 40 && b->comp == BI_BITFIELDS ? 12 : 0) +
		 (b->hsize == 40 && b->comp == BI_ALPHABITFIELDS ? 16 : 0);
	pe = b->os2 && b->hsize == 12 ? 3 : 4;
	if (b->bpp <= 8) {
		maxcolors = 1u << b->bpp;
		if (!b->ncolors || b->ncolors > maxcolors)
			b->ncolors = maxcolors;
		if (b->hsize == 12 && b->off > palpos && (b->off - palpos) / 3 < b->ncolors)
			b->ncolors = (b->off - palpos) / 3;
		if ((size_t)palpos + (size_t)b->ncolors * pe > len)
			return bmp_bad(err, "palette cut short");
		for (i = 0; i < b->ncolors; i++) {
			const unsigned char *e = p + palpos + i * pe;

			b->pal[i][0] = e[2];
			b->pal[i][1] = e[1];
			b->pal[i][2] = e[0];
			b->pal[i][3] = 255;
		}
	}
	if (b->off >= len)
		return bmp_bad(err, "pixel data offset past the end of the file");
	return tfr_codec_check_size(b->w, b->h, max, err);
}

static int bmp_probe(const void *data, size_t len, uint64_t max,
		     struct tfr_image_info *info, struct tfr_error *err)
{
	struct bmp *b = malloc(sizeof(*b));
	int rc;

	if (!b)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	rc = bmp_header(data, len, max, b, info, err);
	free(b);
	return rc;
}

/* A masked field scaled to 8 bits, rounded. */
static unsigned field(uint32_t v, uint32_t mask)
{
	unsigned shift = 0;
	uint32_t top;

	if (!mask)
		return 255;
	while (!(mask & 1)) {
		mask >>= 1;
		shift++;
	}
	top = mask;
	v = (v >> shift) & mask;
	return (unsigned)(((uint64_t)v * 255 + top / 2) / top);
}

static void put(unsigned char *d, const unsigned char *c)
{
	memcpy(d, c, 4);
}

/* RLE4/RLE8 into an index plane (bottom-up rows, as stored). */
static int bmp_rle(const unsigned char *p, size_t len, const struct bmp *b,
		   unsigned char *idx, struct tfr_error *err)
{
	size_t pos = b->off;
	uint32_t x = 0, y = 0, k;
	int four = b->comp == BI_RLE4;

	while (y < b->h) {
		unsigned n, c;

		if (pos + 2 > len)
			return tfr_error_set(err, TFR_ERR_CORRUPT,
					     "invalid BMP: RLE data ends at offset %zu", pos);
		n = p[pos];
		c = p[pos + 1];
		pos += 2;
		if (n) { /* a run of n pixels */
			for (k = 0; k < n && x < b->w; k++, x++)
				idx[(size_t)y * b->w + x] =
					(unsigned char)(four ? (k & 1 ? c & 15 : c >> 4) : c);
		} else if (c == 0) { /* end of line */
			x = 0;
			y++;
		} else if (c == 1) { /* end of bitmap */
			break;
		} else if (c == 2) { /* delta */
			if (pos + 2 > len)
				return tfr_error_set(err, TFR_ERR_CORRUPT,
						     "invalid BMP: RLE data ends at offset %zu", pos);
			x += p[pos];
			y += p[pos + 1];
			pos += 2;
		} else { /* c literal pixels, padded to 16 bits */
			size_t nb = four ? (c + 1) / 2 : c;

			if (pos + nb > len)
				return tfr_error_set(err, TFR_ERR_CORRUPT,
						     "invalid BMP: RLE data ends at offset %zu", pos);
			for (k = 0; k < c; k++, x++) {
				unsigned v = four ? (k & 1 ? p[pos + k / 2] & 15 : p[pos + k / 2] >> 4)
						  : p[pos + k];

				if (x < b->w && y < b->h)
					idx[(size_t)y * b->w + x] = (unsigned char)v;
			}
			pos += (nb + 1) & ~(size_t)1;
		}
	}
	return TFR_OK;
}

static int bmp_decode(const void *data, size_t len, const struct tfr_decode_opts *o,
		      struct tfr_image *img, struct tfr_image_info *info,
		      struct tfr_error *err)
{
	const unsigned char *p = data;
	struct bmp *b = malloc(sizeof(*b));
	unsigned char *idx = NULL, *rgba = NULL;
	static const unsigned char black[4] = { 0, 0, 0, 255 };
	uint32_t x, y;
	size_t stride = 0;
	int rc, rle;

	if (!b)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	rc = bmp_header(p, len, o->max_pixels, b, info, err);
	if (rc)
		goto out;
	rle = b->comp == BI_RLE8 || b->comp == BI_RLE4;
	if (!rle) {
		/* A header that claims more rows than the file holds is
		 * refused here, before any pixel memory exists. */
		stride = (((size_t)b->w * b->bpp + 31) / 32) * 4;
		if (stride * b->h > len - b->off) {
			rc = tfr_error_set(err, TFR_ERR_CORRUPT,
					   "invalid BMP: data ends before the image is complete "
					   "(%ux%u at %u bits needs %zu bytes at offset %u)",
					   b->w, b->h, b->bpp, stride * b->h, b->off);
			goto out;
		}
	}
	rc = tfr_codec_full_frame(img, b->w, b->h, o->channels, err);
	if (rc)
		goto out;
	rgba = malloc((size_t)b->w * 4);
	if (!rgba || (rle && !(idx = calloc(b->h, b->w)))) {
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (rle && (rc = bmp_rle(p, len, b, idx, err)))
		goto out;
	for (y = 0; y < b->h; y++) {
		uint32_t sy = b->topdown ? y : b->h - 1 - y; /* stored row */
		const unsigned char *s = rle ? NULL : p + b->off + stride * sy;

		for (x = 0; x < b->w; x++) {
			unsigned char *d = rgba + 4 * (size_t)x;
			unsigned v;

			if (rle || b->bpp <= 8) {
				if (rle)
					v = idx[(size_t)sy * b->w + x];
				else if (b->bpp == 8)
					v = s[x];
				else if (b->bpp == 4)
					v = x & 1 ? s[x / 2] & 15 : s[x / 2] >> 4;
				else
					v = (s[x / 8] >> (7 - x % 8)) & 1;
				/* An index past the palette: black, as Pillow gives. */
				put(d, v < b->ncolors ? b->pal[v] : black);
			} else if (b->bpp == 24) {
				d[0] = s[3 * x + 2];
				d[1] = s[3 * x + 1];
				d[2] = s[3 * x];
				d[3] = 255;
			} else {
				uint32_t w = b->bpp == 16 ? tfr_rd16(s + 2 * x, 0) : tfr_rd32(s + 4 * x, 0);

				d[0] = (unsigned char)field(w, b->mask[0]);
				d[1] = (unsigned char)field(w, b->mask[1]);
				d[2] = (unsigned char)field(w, b->mask[2]);
				d[3] = (unsigned char)field(w, b->mask[3]);
			}
		}
		tfr_codec_rgba_row(rgba, b->w, o, img->pixels + (size_t)y * b->w * o->channels);
	}
out:
	free(idx);
	free(rgba);
	free(b);
	return rc;
}

static const char *const bmp_exts[] = { ".bmp", ".dib", NULL };

const struct tfr_codec tfr_codec_bmp = {
	.format = TFR_IMAGE_BMP,
	.name = "bmp",
	.long_name = "BMP",
	.exts = bmp_exts,
	.sniff = bmp_sniff,
	.probe = bmp_probe,
	.decode = bmp_decode,
};
