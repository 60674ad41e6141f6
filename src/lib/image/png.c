/*
 * image/png.c - PNG through libpng: palette, gray, 1 to 16 bits, tRNS,
 * alpha, interlaced, eXIf orientation.  16-bit samples are scaled with
 * rounding (png_set_scale_16).  Also the PNG writers and the label-plane
 * reader other layers use (image.h), so that libpng and its longjmp error
 * handling live in this one file: each setjmp stays in one function.
 */
#include "config.h"
#include "image/codec.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

static const unsigned char png_sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

static int png_sniff(const unsigned char *p, size_t len)
{
	return len >= 8 && !memcmp(p, png_sig, 8);
}

struct png_src {
	const unsigned char *data;
	size_t len, pos;
	jmp_buf jb;
	char msg[200];
};

static void png_fail(png_structp p, png_const_charp msg)
{
	struct png_src *s = png_get_error_ptr(p);

	snprintf(s->msg, sizeof(s->msg), "%s", msg);
	longjmp(s->jb, 1);
}

static void png_warn(png_structp p, png_const_charp msg)
{
	(void)p;
	(void)msg; /* benign (e.g. bad ancillary chunk); the image is fine */
}

static void png_read_mem(png_structp p, png_bytep out, size_t n)
{
	struct png_src *s = png_get_io_ptr(p);

	if (n > s->len - s->pos)
		png_error(p, "data ends before the image is complete");
	memcpy(out, s->data + s->pos, n);
	s->pos += n;
}

/*
 * Walk the chunk headers before libpng sees the data: a chunk whose length
 * reaches past the end of the file is refused here, because libpng
 * allocates a buffer of the declared length for some chunks before it
 * finds out that the data is not there (found by fuzz-image: a 574-byte
 * file made it allocate and touch 2 GB).  The file is in memory, so no
 * valid chunk can be longer than what is left of it.
 */
static int png_chunks_fit(const unsigned char *p, size_t len, struct tfr_error *err)
{
	size_t off = 8;

	while (off + 8 <= len) {
		uint32_t n = tfr_rd32(p + off, 1);

		if (n > 0x7fffffffu || (uint64_t)n + 12 > len - off)
			return tfr_error_set(err, TFR_ERR_CORRUPT,
					     "invalid PNG: chunk '%.4s' at offset %zu claims %u "
					     "bytes, more than the file holds",
					     (const char *)p + off + 4, off, n);
		if (!memcmp(p + off + 4, "IEND", 4))
			break;
		off += (size_t)n + 12;
	}
	return TFR_OK;
}

struct png_job {
	struct png_src src;
	png_structp png;
	png_infop info;
	png_bytep *rows;
};

static int png_exif(struct png_job *j, int orientation)
{
	png_uint_32 n = 0;
	png_bytep ex = NULL;

	if (png_get_eXIf_1(j->png, j->info, &n, &ex) && ex)
		return tfr_exif_orientation(ex, n);
	return orientation;
}

/* o == NULL: header only. */
static int png_run(const void *data, size_t len, const struct tfr_decode_opts *o,
		   uint64_t max_pixels, struct tfr_image *img,
		   struct tfr_image_info *info, struct tfr_error *err)
{
	struct png_job *j;
	png_uint_32 w, h, y;
	int rc = TFR_OK, bit_depth, color, alpha;
	size_t px;
	unsigned char *base;

	rc = png_chunks_fit(data, len, err);
	if (rc)
		return rc;
	j = calloc(1, sizeof(*j)); /* survives longjmp */
	if (!j)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	j->src.data = data;
	j->src.len = len;
	j->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &j->src, png_fail, png_warn);
	if (!j->png || !(j->info = png_create_info_struct(j->png))) {
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (setjmp(j->src.jb)) {
		rc = tfr_error_set(err, TFR_ERR_FORMAT, "invalid PNG: %s", j->src.msg);
		goto out;
	}
	png_set_read_fn(j->png, &j->src, png_read_mem);
	/* Bound what chunk sizes can make libpng allocate. */
	png_set_user_limits(j->png, 1u << 20, 1u << 20);
	png_set_chunk_malloc_max(j->png, 16u << 20);
	png_read_info(j->png, j->info);
	png_get_IHDR(j->png, j->info, &w, &h, &bit_depth, &color, NULL, NULL, NULL);
	rc = tfr_codec_check_size(w, h, max_pixels, err);
	if (rc)
		goto out;
	info->format = TFR_IMAGE_PNG;
	info->width = w;
	info->height = h;
	info->orientation = png_exif(j, 1);
	if (!o)
		goto out;
	/* Alpha is read only to composite it; otherwise libpng drops it. */
	alpha = o->use_background && ((color & PNG_COLOR_MASK_ALPHA) ||
				      png_get_valid(j->png, j->info, PNG_INFO_tRNS));
	png_set_expand(j->png);          /* palette, low-bit gray, tRNS */
	png_set_scale_16(j->png);        /* 16 -> 8 bits, rounded */
	if (alpha) {
		png_set_gray_to_rgb(j->png);
		png_set_add_alpha(j->png, 0xff, PNG_FILLER_AFTER);
	} else {
		png_set_strip_alpha(j->png);
		if (o->channels == 3 && !(color & PNG_COLOR_MASK_COLOR))
			png_set_gray_to_rgb(j->png);
		if (o->channels == 1 && (color & PNG_COLOR_MASK_COLOR))
			/* BT.601 luma, as the JPEG path and TensorFlow use */
			png_set_rgb_to_gray_fixed(j->png, 1, 29900, 58700);
	}
	(void)png_set_interlace_handling(j->png);
	png_read_update_info(j->png, j->info);
	px = alpha ? 4 : o->channels;
	if (png_get_rowbytes(j->png, j->info) != (size_t)w * px) {
		rc = tfr_error_set(err, TFR_ERR_UNSUPPORTED, "unsupported PNG layout");
		goto out;
	}
	rc = tfr_codec_full_frame(img, w, h, o->channels, err);
	if (rc)
		goto out;
	if (alpha && tfr_codec_grow(&img->tmp, &img->tmp_cap, (size_t)w * h * 4)) {
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory for %ux%u pixels", w, h);
		goto out;
	}
	base = alpha ? img->tmp : img->pixels;
	j->rows = malloc(sizeof(*j->rows) * h);
	if (!j->rows) {
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (y = 0; y < h; y++)
		j->rows[y] = base + (size_t)y * w * px;
	png_read_image(j->png, j->rows);
	png_read_end(j->png, j->info);
	/* eXIf may also come after the image data. */
	info->orientation = png_exif(j, info->orientation);
	if (alpha)
		for (y = 0; y < h; y++)
			tfr_codec_rgba_row(j->rows[y], w, o,
					   img->pixels + (size_t)y * w * o->channels);
out:
	if (j->png)
		png_destroy_read_struct(&j->png, j->info ? &j->info : NULL, NULL);
	free(j->rows);
	free(j);
	return rc;
}

static int png_probe(const void *data, size_t len, uint64_t max,
		     struct tfr_image_info *info, struct tfr_error *err)
{
	return png_run(data, len, NULL, max, NULL, info, err);
}

static int png_decode(const void *data, size_t len, const struct tfr_decode_opts *o,
		      struct tfr_image *img, struct tfr_image_info *info,
		      struct tfr_error *err)
{
	return png_run(data, len, o, o->max_pixels, img, info, err);
}

/* ------------------------------------------------------------ writing */

int tfr_png_append(const uint8_t *pix, uint32_t w, uint32_t h, unsigned ch,
		   struct tfr_buf *out, struct tfr_error *err)
{
	png_image img; /* libpng's simplified API: no setjmp */
	png_alloc_size_t size = 0;

	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	img.width = w;
	img.height = h;
	img.format = ch == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
	if (!png_image_write_to_memory(&img, NULL, &size, 0, pix, 0, NULL))
		return tfr_error_set(err, TFR_ERR_FORMAT, "%s", img.message);
	if (tfr_buf_reserve(out, size))
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	if (!png_image_write_to_memory(&img, out->data + out->len, &size, 0, pix, 0, NULL))
		return tfr_error_set(err, TFR_ERR_FORMAT, "%s", img.message);
	out->len += size;
	return TFR_OK;
}

/* --store png */
static int png_encode(const uint8_t *pix, uint32_t w, uint32_t h, unsigned ch,
		      int quality, struct tfr_buf *out, struct tfr_error *err)
{
	struct tfr_error e;
	int rc;

	(void)quality; /* PNG is lossless */
	out->len = 0;
	rc = tfr_png_append(pix, w, h, ch, out, &e);
	if (rc == TFR_ERR_FORMAT)
		return tfr_error_set(err, rc, "PNG encoding failed: %s", e.msg);
	if (rc)
		*err = e;
	return rc;
}

struct png_sink {
	struct tfr_buf *out;
	int nomem;
	jmp_buf jb;
	char msg[200];
};

static void png_sink_write(png_structp p, png_bytep data, size_t n)
{
	struct png_sink *s = png_get_io_ptr(p);

	if (tfr_buf_append(s->out, data, n)) {
		s->nomem = 1;
		png_error(p, "out of memory");
	}
}

static void png_sink_flush(png_structp p)
{
	(void)p;
}

static void png_sink_fail(png_structp p, png_const_charp msg)
{
	struct png_sink *s = png_get_error_ptr(p);

	snprintf(s->msg, sizeof(s->msg), "%s", msg);
	longjmp(s->jb, 1);
}

struct png_wjob {
	struct png_sink sink;
	png_structp png;
	png_infop info;
};

int tfr_png_encode_rows(const uint8_t *pix, uint32_t w, uint32_t h, unsigned ch,
			struct tfr_buf *out, struct tfr_error *err)
{
	struct png_wjob *j = calloc(1, sizeof(*j)); /* survives longjmp */
	uint32_t y;
	int rc;

	if (!j)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	j->sink.out = out;
	j->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &j->sink, png_sink_fail,
					 png_warn);
	if (!j->png || !(j->info = png_create_info_struct(j->png))) {
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (setjmp(j->sink.jb)) {
		rc = j->sink.nomem ? tfr_error_set(err, TFR_ERR_NOMEM, "out of memory")
				   : tfr_error_set(err, TFR_ERR_FORMAT, "%s", j->sink.msg);
		goto out;
	}
	rc = TFR_OK; /* set only after setjmp, so nothing to clobber */
	png_set_write_fn(j->png, &j->sink, png_sink_write, png_sink_flush);
	png_set_IHDR(j->png, j->info, w, h, 8,
		     ch == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(j->png, j->info);
	for (y = 0; y < h; y++)
		png_write_row(j->png, (png_const_bytep)pix + (size_t)y * w * ch);
	png_write_end(j->png, j->info);
out:
	if (j->png)
		png_destroy_write_struct(&j->png, j->info ? &j->info : NULL);
	free(j);
	return rc;
}

/* ------------------------------------------------------- label planes */

/* libpng's error handler must not return: back to the setjmp, quietly. */
static void png_quiet_fail(png_structp p, png_const_charp msg)
{
	(void)msg;
	png_longjmp(p, 1);
}

int tfr_png_read_labels(const void *data, size_t len, uint64_t max_pixels,
			unsigned char **pxp, uint32_t *pw, uint32_t *ph,
			struct tfr_error *err)
{
	struct png_src src;
	png_structp png;
	png_infop info = NULL;
	unsigned char *volatile px = NULL;
	png_bytep *volatile rows = NULL;
	png_uint_32 w, h, y;
	int type, depth;

	*pxp = NULL;
	memset(&src, 0, sizeof(src));
	src.data = data;
	src.len = len;
	png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, png_quiet_fail, png_warn);
	if (!png || !(info = png_create_info_struct(png))) {
		png_destroy_read_struct(&png, NULL, NULL);
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_read_struct(&png, &info, NULL);
		free(px);
		free(rows);
		return tfr_error_set(err, TFR_ERR_FORMAT, "the PNG cannot be decoded");
	}
	png_set_read_fn(png, &src, png_read_mem);
	png_read_info(png, info);
	w = png_get_image_width(png, info);
	h = png_get_image_height(png, info);
	type = png_get_color_type(png, info);
	depth = png_get_bit_depth(png, info);
	if (!w || !h || (uint64_t)w * h > max_pixels) {
		png_destroy_read_struct(&png, &info, NULL);
		return tfr_error_set(err, TFR_ERR_LIMIT, "a PNG of %ux%u is above %llu pixels",
				     (unsigned)w, (unsigned)h, (unsigned long long)max_pixels);
	}
	if (type != PNG_COLOR_TYPE_GRAY && type != PNG_COLOR_TYPE_PALETTE) {
		png_destroy_read_struct(&png, &info, NULL);
		return tfr_error_set(err, TFR_ERR_UNSUPPORTED, "the PNG is not gray or palette");
	}
	if (depth < 8)
		png_set_packing(png);
	if (depth == 16)
		png_set_strip_16(png);
	png_set_interlace_handling(png);
	png_read_update_info(png, info);
	px = malloc((size_t)w * h + 1);
	rows = malloc(sizeof(png_bytep) * h);
	if (!px || !rows)
		png_error(png, "out of memory");
	for (y = 0; y < h; y++)
		rows[y] = px + (size_t)y * w;
	png_read_image(png, rows);
	png_destroy_read_struct(&png, &info, NULL);
	free(rows);
	*pxp = px;
	*pw = w;
	*ph = h;
	return TFR_OK;
}

static const char *const png_exts[] = { ".png", NULL };

const struct tfr_codec tfr_codec_png = {
	.format = TFR_IMAGE_PNG,
	.name = "png",
	.long_name = "PNG",
	.exts = png_exts,
	.sniff = png_sniff,
	.probe = png_probe,
	.decode = png_decode,
	.encode = png_encode,
};
