/*
 * image/tiff.c - TIFF through libtiff's RGBA interface (TIFFRGBAImage):
 * 1 to 16 bits; gray, RGB, RGBA, palette, CMYK, YCbCr; strips and tiles,
 * contiguous and planar; every compression libtiff was built with (None,
 * LZW, Deflate, PackBits, JPEG, CCITT); the first page of a multi-page
 * file.  16-bit samples are scaled by libtiff with rounding,
 * (v + 128) / 257, which is round(v * 255 / 65535).  The Orientation tag
 * is applied by the core, not by libtiff (asked for the stored order).
 *
 * Errors and warnings go to per-handle handlers (libtiff 4.5's
 * TIFFOpenOptions), never to libtiff's global ones, which print to stderr
 * and are not thread-safe; libtiff's largest single allocation is capped.
 */
#include "config.h"
#include "image/codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tiffio.h>

static int tiff_sniff(const unsigned char *p, size_t len)
{
	return len >= 4 && ((p[0] == 'I' && p[1] == 'I' && (p[2] == 42 || p[2] == 43) && p[3] == 0) ||
			    (p[0] == 'M' && p[1] == 'M' && p[2] == 0 && (p[3] == 42 || p[3] == 43)));
}

struct tiff_mem {
	const unsigned char *data;
	size_t len, pos;
	char msg[256];
	int failed;
};

static tmsize_t tiff_read(thandle_t h, void *buf, tmsize_t n)
{
	struct tiff_mem *m = h;
	size_t k = m->pos < m->len ? m->len - m->pos : 0;

	if (n < 0)
		return -1;
	if ((size_t)n < k)
		k = (size_t)n;
	memcpy(buf, m->data + m->pos, k);
	m->pos += k;
	return (tmsize_t)k;
}

static tmsize_t tiff_write(thandle_t h, void *buf, tmsize_t n)
{
	(void)h;
	(void)buf;
	(void)n;
	return -1;
}

static toff_t tiff_seek(thandle_t h, toff_t off, int whence)
{
	struct tiff_mem *m = h;
	uint64_t base = whence == SEEK_CUR ? m->pos : whence == SEEK_END ? m->len : 0;

	if (off > UINT64_MAX - base)
		return (toff_t)-1;
	m->pos = (size_t)(base + off);
	return m->pos;
}

static int tiff_close(thandle_t h)
{
	(void)h;
	return 0;
}

static toff_t tiff_size(thandle_t h)
{
	return ((struct tiff_mem *)h)->len;
}

static int tiff_map(thandle_t h, void **base, toff_t *size)
{
	struct tiff_mem *m = h;

	*base = (void *)m->data;
	*size = m->len;
	return 1;
}

static void tiff_unmap(thandle_t h, void *base, toff_t size)
{
	(void)h;
	(void)base;
	(void)size;
}

/* fmt is libtiff's own format string: the attribute tells the compiler
 * so (and silences -Wformat-nonliteral). */
__attribute__((format(printf, 4, 0)))
static int tiff_on_error(TIFF *t, void *user, const char *module, const char *fmt, va_list ap)
{
	struct tiff_mem *m = user;

	(void)t;
	(void)module;
	if (!m->failed) /* the first error is the cause */
		vsnprintf(m->msg, sizeof(m->msg), fmt, ap);
	m->failed = 1;
	return 1;
}

static int tiff_on_warning(TIFF *t, void *user, const char *module, const char *fmt, va_list ap)
{
	(void)t;
	(void)user;
	(void)module;
	(void)fmt;
	(void)ap;
	return 1; /* handled: keeps libtiff's global handler from printing */
}

static TIFF *tiff_open(struct tiff_mem *m, const void *data, size_t len, uint64_t max)
{
	TIFFOpenOptions *opts = TIFFOpenOptionsAlloc();
	uint64_t cap = max ? max : TFR_DEFAULT_MAX_PIXELS;
	TIFF *t;

	memset(m, 0, sizeof(*m));
	m->data = data;
	m->len = len;
	if (!opts)
		return NULL;
	TIFFOpenOptionsSetErrorHandlerExtR(opts, tiff_on_error, m);
	TIFFOpenOptionsSetWarningHandlerExtR(opts, tiff_on_warning, m);
	/* 8 bytes a pixel (16-bit RGBA) of the pixel cap, plus headroom:
	 * no strip or tile of a valid image needs more. */
	cap = cap * 8 + (16u << 20);
	TIFFOpenOptionsSetMaxSingleMemAlloc(opts, cap > (uint64_t)INT64_MAX ? INT64_MAX : (tmsize_t)cap);
	t = TIFFClientOpenExt("tiff", "rm", m, tiff_read, tiff_write, tiff_seek, tiff_close,
			      tiff_size, tiff_map, tiff_unmap, opts);
	TIFFOpenOptionsFree(opts);
	return t;
}

static int tiff_fail(struct tiff_mem *m, struct tfr_error *err, const char *what)
{
	return tfr_error_set(err, TFR_ERR_FORMAT, "invalid TIFF: %s", m->failed ? m->msg : what);
}

static int tiff_header(TIFF *t, uint64_t max, struct tfr_image_info *info,
		       struct tfr_error *err)
{
	uint32_t w = 0, h = 0;
	uint16_t o = 1;

	TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w);
	TIFFGetField(t, TIFFTAG_IMAGELENGTH, &h);
	if (!TIFFGetField(t, TIFFTAG_ORIENTATION, &o) || o < 1 || o > 8)
		o = 1;
	info->format = TFR_IMAGE_TIFF;
	info->width = w;
	info->height = h;
	info->orientation = o;
	return tfr_codec_check_size(w, h, max, err);
}

static int tiff_probe(const void *data, size_t len, uint64_t max,
		      struct tfr_image_info *info, struct tfr_error *err)
{
	struct tiff_mem m;
	TIFF *t = tiff_open(&m, data, len, max);
	int rc;

	if (!t)
		return tiff_fail(&m, err, "cannot read the header");
	rc = tiff_header(t, max, info, err);
	TIFFClose(t);
	return rc;
}

/*
 * Every strip or tile must lie inside the file.  libtiff finds a strip
 * that claims gigabytes only when it reads it, after the caller's raster
 * and its own strip buffer exist; checked here first, nothing grows with
 * what a lying header claims.
 */
static int tiff_striles_fit(TIFF *t, size_t len, struct tfr_error *err)
{
	uint32_t n = TIFFIsTiled(t) ? TIFFNumberOfTiles(t) : TIFFNumberOfStrips(t), k;

	for (k = 0; k < n; k++) {
		int e1 = 0, e2 = 0;
		uint64_t off = TIFFGetStrileOffsetWithErr(t, k, &e1);
		uint64_t cnt = TIFFGetStrileByteCountWithErr(t, k, &e2);

		if (e1 || e2 || off > len || cnt > len - off)
			return tfr_error_set(err, TFR_ERR_CORRUPT,
					     "invalid TIFF: %s %u claims %llu bytes at offset %llu, "
					     "past the end of the file (%zu bytes)",
					     TIFFIsTiled(t) ? "tile" : "strip", k,
					     (unsigned long long)cnt, (unsigned long long)off, len);
	}
	return TFR_OK;
}

static int tiff_decode(const void *data, size_t len, const struct tfr_decode_opts *o,
		       struct tfr_image *img, struct tfr_image_info *info,
		       struct tfr_error *err)
{
	struct tiff_mem m;
	TIFF *t = tiff_open(&m, data, len, o->max_pixels);
	TIFFRGBAImage ri;
	char emsg[1024];
	uint32_t w, h, y, x;
	int rc, begun = 0, unassoc = 0;

	if (!t)
		return tiff_fail(&m, err, "cannot read the header");
	rc = tiff_header(t, o->max_pixels, info, err);
	if (rc)
		goto out;
	w = info->width;
	h = info->height;
	rc = tiff_striles_fit(t, len, err);
	if (rc)
		goto out;
	/* libtiff's RGBA interface premultiplies unassociated alpha, which
	 * loses the colour of transparent pixels.  Declared associated,
	 * the samples come through as stored; truly associated ones are
	 * divided back below.  (Only the in-memory directory changes: the
	 * handle is read-only.) */
	{
		uint16_t n = 0, *kinds = NULL, k;

		if (TIFFGetField(t, TIFFTAG_EXTRASAMPLES, &n, &kinds) && n <= 16)
			for (k = 0; k < n; k++)
				if (kinds[k] == EXTRASAMPLE_UNASSALPHA) {
					uint16_t fixed[16];

					memcpy(fixed, kinds, n * sizeof(*kinds));
					fixed[k] = EXTRASAMPLE_ASSOCALPHA;
					TIFFSetField(t, TIFFTAG_EXTRASAMPLES, n, fixed);
					unassoc = 1;
					break;
				}
	}
	if (!TIFFRGBAImageOK(t, emsg) || !TIFFRGBAImageBegin(&ri, t, 0, emsg)) {
		rc = tfr_error_set(err, TFR_ERR_UNSUPPORTED, "unsupported TIFF: %s", emsg);
		goto out;
	}
	begun = 1;
	/* Rows in stored order: the core applies the orientation. */
	ri.req_orientation = ri.orientation = ORIENTATION_TOPLEFT;
	rc = tfr_codec_full_frame(img, w, h, o->channels, err);
	if (rc)
		goto out;
	if (tfr_codec_grow(&img->tmp, &img->tmp_cap, (size_t)w * h * 4)) {
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory for %ux%u pixels", w, h);
		goto out;
	}
	if (!TIFFRGBAImageGet(&ri, (uint32_t *)(void *)img->tmp, w, h) || m.failed) {
		rc = tiff_fail(&m, err, "image data does not decode");
		goto out;
	}
	/* Packed ABGR words to RGBA bytes, whatever the host's byte order. */
	for (y = 0; y < h; y++) {
		unsigned char *row = img->tmp + (size_t)y * w * 4;

		for (x = 0; x < w; x++) {
			uint32_t v;

			memcpy(&v, row + 4 * (size_t)x, 4);
			row[4 * x] = (unsigned char)TIFFGetR(v);
			row[4 * x + 1] = (unsigned char)TIFFGetG(v);
			row[4 * x + 2] = (unsigned char)TIFFGetB(v);
			row[4 * x + 3] = (unsigned char)TIFFGetA(v);
			/* Associated (premultiplied) alpha is divided out, as
			 * Pillow's RGBa to RGB does: colour is kept unassociated
			 * for dropping and for compositing.  libtiff gives
			 * 8-bit premultiplied samples, so pixels of very low
			 * alpha lose precision. */
			if (ri.alpha && !unassoc && row[4 * x + 3] && row[4 * x + 3] != 255) {
				unsigned a = row[4 * x + 3], k;

				for (k = 0; k < 3; k++) {
					unsigned c = (row[4 * x + k] * 255u + a / 2) / a;

					row[4 * x + k] = (unsigned char)(c > 255 ? 255 : c);
				}
			}
		}
		tfr_codec_rgba_row(row, w, o, img->pixels + (size_t)y * w * o->channels);
	}
out:
	if (begun)
		TIFFRGBAImageEnd(&ri);
	TIFFClose(t);
	return rc;
}

static const char *const tiff_exts[] = { ".tif", ".tiff", NULL };

const struct tfr_codec tfr_codec_tiff = {
	.format = TFR_IMAGE_TIFF,
	.name = "tiff",
	.long_name = "TIFF",
	.exts = tiff_exts,
	.sniff = tiff_sniff,
	.probe = tiff_probe,
	.decode = tiff_decode,
};
