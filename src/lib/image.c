/*
 * image.c - JPEG and PNG decoding; see image.h.
 *
 * Both libraries report fatal errors by calling a handler that must not
 * return, so each has one setjmp in one function here (decode_jpeg,
 * probe_jpeg, decode_png), with every resource that could leak on the
 * longjmp path held in a struct that the function frees on both paths.
 */
#include "config.h"
#include "image.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

static const unsigned char png_sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

enum tfr_image_format tfr_image_sniff(const void *data, size_t len)
{
	const unsigned char *p = data;

	if (len >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
		return TFR_IMAGE_JPEG;
	if (len >= 8 && !memcmp(p, png_sig, 8))
		return TFR_IMAGE_PNG;
	return TFR_IMAGE_UNKNOWN;
}

const char *tfr_image_format_name(enum tfr_image_format f)
{
	switch (f) {
	case TFR_IMAGE_JPEG: return "jpeg";
	case TFR_IMAGE_PNG: return "png";
	default: return "unknown";
	}
}

/* ------------------------------------------------------------ EXIF */

static unsigned rd16(const unsigned char *p, int be)
{
	return be ? (unsigned)p[0] << 8 | p[1] : (unsigned)p[1] << 8 | p[0];
}

static uint32_t rd32(const unsigned char *p, int be)
{
	return be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
		  : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

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
	ifd = rd32(t + 4, be);
	if (ifd > len - 2 || ifd < 8)
		return 1;
	n = rd16(t + ifd, be);
	for (i = 0; i < n; i++) {
		size_t e = (size_t)ifd + 2 + (size_t)i * 12;
		unsigned v;

		if (e + 12 > len)
			return 1;
		if (rd16(t + e, be) != 0x0112)
			continue;
		/* type SHORT (3), count 1, value in the first two bytes */
		if (rd16(t + e + 2, be) != 3 || rd32(t + e + 4, be) != 1)
			return 1;
		v = rd16(t + e + 8, be);
		return v >= 1 && v <= 8 ? (int)v : 1;
	}
	return 1;
}

/* ------------------------------------------------------------ JPEG */

struct jerr {
	struct jpeg_error_mgr pub;
	jmp_buf jb;
	int truncated;
};

static void jpeg_fail(j_common_ptr c)
{
	struct jerr *e = (struct jerr *)c->err;

	longjmp(e->jb, 1);
}

static void jpeg_note(j_common_ptr c, int level)
{
	struct jerr *e = (struct jerr *)c->err;

	/* Warnings about corrupt data are tolerated (TensorFlow decodes
	 * such files too), but data that simply ends is an error: libjpeg
	 * would otherwise pad the image with grey. */
	if (level < 0 && e->pub.msg_code == JWRN_JPEG_EOF)
		e->truncated = 1;
}

static void jpeg_message(j_common_ptr c, struct tfr_error *err, int status)
{
	char msg[JMSG_LENGTH_MAX];

	c->err->format_message(c, msg);
	tfr_error_set(err, status, "invalid JPEG: %s", msg);
}

static int jpeg_orientation(struct jpeg_decompress_struct *d)
{
	jpeg_saved_marker_ptr m;

	for (m = d->marker_list; m; m = m->next)
		if (m->marker == JPEG_APP0 + 1 && m->data_length > 6 &&
		    !memcmp(m->data, "Exif\0\0", 6))
			return tfr_exif_orientation(m->data + 6, m->data_length - 6);
	return 1;
}

static uint64_t cap_pixels(uint64_t max)
{
	return max ? max : TFR_DEFAULT_MAX_PIXELS;
}

static int too_big(uint32_t w, uint32_t h, uint64_t max, struct tfr_error *err)
{
	if (w == 0 || h == 0)
		return tfr_error_set(err, TFR_ERR_FORMAT, "image has zero size (%ux%u)", w, h);
	if ((uint64_t)w * h > cap_pixels(max))
		return tfr_error_set(err, TFR_ERR_LIMIT,
				     "image of %ux%u pixels exceeds the limit of %llu pixels "
				     "(see --max-pixels)", w, h,
				     (unsigned long long)cap_pixels(max));
	return TFR_OK;
}

static int probe_jpeg(const void *data, size_t len, uint64_t max,
		      struct tfr_image_info *info, struct tfr_error *err)
{
	struct jpeg_decompress_struct d;
	struct jerr je;
	int rc = TFR_OK;

	memset(&je, 0, sizeof(je));
	d.err = jpeg_std_error(&je.pub);
	je.pub.error_exit = jpeg_fail;
	je.pub.emit_message = jpeg_note;
	if (setjmp(je.jb)) {
		jpeg_message((j_common_ptr)&d, err, TFR_ERR_FORMAT);
		jpeg_destroy_decompress(&d);
		return TFR_ERR_FORMAT;
	}
	jpeg_create_decompress(&d);
	jpeg_mem_src(&d, data, (unsigned long)len);
	jpeg_save_markers(&d, JPEG_APP0 + 1, 0xffff);
	jpeg_read_header(&d, TRUE);
	info->format = TFR_IMAGE_JPEG;
	info->width = d.image_width;
	info->height = d.image_height;
	info->orientation = jpeg_orientation(&d);
	rc = too_big(d.image_width, d.image_height, max, err);
	jpeg_destroy_decompress(&d);
	return rc;
}

static int grow(unsigned char **p, size_t *cap, size_t need)
{
	unsigned char *q;

	if (need <= *cap)
		return TFR_OK;
	q = realloc(*p, need);
	if (!q)
		return TFR_ERR_NOMEM;
	*p = q;
	*cap = need;
	return TFR_OK;
}

/* Smallest n in 1..8 with ceil(size * n / 8) >= need, for both sides. */
static unsigned dct_scale(uint32_t w, uint32_t h, uint32_t need_w, uint32_t need_h)
{
	unsigned n;

	if (!need_w && !need_h)
		return 8;
	for (n = 1; n < 8; n++)
		if (((uint64_t)w * n + 7) / 8 >= need_w &&
		    ((uint64_t)h * n + 7) / 8 >= need_h)
			return n;
	return 8;
}

void tfr_image_frame(const struct tfr_image_info *info, uint32_t min_width,
		     uint32_t min_height, uint32_t *fw, uint32_t *fh)
{
	int swap = info->orientation >= 5;
	uint32_t need_w = swap ? min_height : min_width;
	uint32_t need_h = swap ? min_width : min_height;
	unsigned n = info->format == TFR_IMAGE_JPEG
			     ? dct_scale(info->width, info->height, need_w, need_h) : 8;
	/* libjpeg's output size: jdiv_round_up(size * n, 8) */
	uint32_t w = (uint32_t)(((uint64_t)info->width * n + 7) / 8);
	uint32_t h = (uint32_t)(((uint64_t)info->height * n + 7) / 8);

	*fw = swap ? h : w;
	*fh = swap ? w : h;
}

/*
 * Orientation as coordinate maps between the upright frame and the
 * stored frame (W x H as stored).  up2st is the map orient() applies;
 * st2up is its inverse.
 */
static void up2st(int o, uint32_t x, uint32_t y, uint32_t W, uint32_t H,
		  uint32_t *sx, uint32_t *sy)
{
	switch (o) {
	case 2: *sx = W - 1 - x; *sy = y; break;
	case 3: *sx = W - 1 - x; *sy = H - 1 - y; break;
	case 4: *sx = x; *sy = H - 1 - y; break;
	case 5: *sx = y; *sy = x; break;
	case 6: *sx = y; *sy = H - 1 - x; break;
	case 7: *sx = W - 1 - y; *sy = H - 1 - x; break;
	case 8: *sx = W - 1 - y; *sy = x; break;
	default: *sx = x; *sy = y; break;
	}
}

static void st2up(int o, uint32_t sx, uint32_t sy, uint32_t W, uint32_t H,
		  uint32_t *x, uint32_t *y)
{
	switch (o) {
	case 2: *x = W - 1 - sx; *y = sy; break;
	case 3: *x = W - 1 - sx; *y = H - 1 - sy; break;
	case 4: *x = sx; *y = H - 1 - sy; break;
	case 5: *x = sy; *y = sx; break;
	case 6: *x = H - 1 - sy; *y = sx; break;
	case 7: *x = H - 1 - sy; *y = W - 1 - sx; break;
	case 8: *x = sy; *y = W - 1 - sx; break;
	default: *x = sx; *y = sy; break;
	}
}

/* Map a rectangle through one of the maps above (corners, then min/max). */
static void map_rect(int to_stored, int o, uint32_t x, uint32_t y, uint32_t w,
		     uint32_t h, uint32_t W, uint32_t H, uint32_t *rx, uint32_t *ry,
		     uint32_t *rw, uint32_t *rh)
{
	uint32_t ax, ay, bx, by;

	if (to_stored) {
		up2st(o, x, y, W, H, &ax, &ay);
		up2st(o, x + w - 1, y + h - 1, W, H, &bx, &by);
	} else {
		st2up(o, x, y, W, H, &ax, &ay);
		st2up(o, x + w - 1, y + h - 1, W, H, &bx, &by);
	}
	*rx = ax < bx ? ax : bx;
	*ry = ay < by ? ay : by;
	*rw = (ax < bx ? bx - ax : ax - bx) + 1;
	*rh = (ay < by ? by - ay : ay - by) + 1;
}

static void cmyk_to_rgb(unsigned char *row, uint32_t w, int inverted)
{
	uint32_t x;

	/* In place: 4 bytes in, 3 out, moving forward is safe. */
	for (x = 0; x < w; x++) {
		unsigned c = row[4 * x], m = row[4 * x + 1], y = row[4 * x + 2],
			 k = row[4 * x + 3];

		if (!inverted) {
			c = 255 - c;
			m = 255 - m;
			y = 255 - y;
			k = 255 - k;
		}
		/* Adobe writes inverted CMYK: each byte is 255 - ink. */
		row[3 * x] = (unsigned char)((c * k + 127) / 255);
		row[3 * x + 1] = (unsigned char)((m * k + 127) / 255);
		row[3 * x + 2] = (unsigned char)((y * k + 127) / 255);
	}
}

static void rgb_to_gray(unsigned char *row, uint32_t w)
{
	uint32_t x;

	/* ITU-R BT.601 luma, as libjpeg and TensorFlow use. */
	for (x = 0; x < w; x++)
		row[x] = (unsigned char)((19595u * row[3 * x] + 38470u * row[3 * x + 1] +
					  7471u * row[3 * x + 2] + 32768u) >> 16);
}

/*
 * Whether the data libjpeg has not yet read reaches an EOI marker.  Inside
 * entropy-coded data 0xFF is always followed by 0x00 (stuffing) or a
 * restart marker, so the first FF D9 pair is the EOI; data that ends
 * before it is what libjpeg reports as premature end of file.
 */
static int eoi_follows(const struct jpeg_decompress_struct *d)
{
	const unsigned char *p = d->src->next_input_byte, *q;
	size_t n = d->src->bytes_in_buffer;

	if (d->unread_marker == JPEG_EOI) /* the entropy decoder met it */
		return 1;
	while (n >= 2 && (q = memchr(p, 0xFF, n - 1)) != NULL) {
		if (q[1] == JPEG_EOI)
			return 1;
		n -= (size_t)(q - p) + 1;
		p = q + 1;
	}
	return 0;
}

struct jpeg_job {
	struct jpeg_decompress_struct d;
	struct jerr je;
	int created;
	int cmyk, inverted; /* here, not in locals, to survive longjmp */
};

static int decode_jpeg(const void *data, size_t len, const struct tfr_decode_opts *o,
		       struct tfr_image *img, int *orientation,
		       struct tfr_image_info *info, struct tfr_error *err)
{
	struct jpeg_job *j = calloc(1, sizeof(*j)); /* survives longjmp */
	int rc = TFR_OK;
	uint32_t need_w, need_h, w, h, fw, fh, rx, ry;
	size_t rowbytes;

	if (!j)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	j->d.err = jpeg_std_error(&j->je.pub);
	j->je.pub.error_exit = jpeg_fail;
	j->je.pub.emit_message = jpeg_note;
	if (setjmp(j->je.jb)) {
		jpeg_message((j_common_ptr)&j->d, err, TFR_ERR_FORMAT);
		rc = TFR_ERR_FORMAT;
		goto out;
	}
	jpeg_create_decompress(&j->d);
	j->created = 1;
	jpeg_mem_src(&j->d, data, (unsigned long)len);
	jpeg_save_markers(&j->d, JPEG_APP0 + 1, 0xffff);
	jpeg_read_header(&j->d, TRUE);
	rc = too_big(j->d.image_width, j->d.image_height, o->max_pixels, err);
	if (rc)
		goto out;
	*orientation = jpeg_orientation(&j->d);
	info->width = j->d.image_width;
	info->height = j->d.image_height;

	/* The caller's minimum is upright; the decoder works as stored. */
	need_w = *orientation >= 5 ? o->min_height : o->min_width;
	need_h = *orientation >= 5 ? o->min_width : o->min_height;
	j->d.scale_num = dct_scale(j->d.image_width, j->d.image_height, need_w, need_h);
	j->d.scale_denom = 8;

	if (j->d.jpeg_color_space == JCS_CMYK || j->d.jpeg_color_space == JCS_YCCK) {
		j->d.out_color_space = JCS_CMYK;
		j->cmyk = 1;
		j->inverted = j->d.saw_Adobe_marker;
	} else {
		j->d.out_color_space = o->channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
	}
	jpeg_start_decompress(&j->d);
	fw = j->d.output_width;
	fh = j->d.output_height;
	/* The stored rectangle to decode: all, or what covers the ROI. */
	rx = 0;
	ry = 0;
	w = fw;
	h = fh;
	if (o->use_roi) {
		uint32_t uw = *orientation >= 5 ? fh : fw, uh = *orientation >= 5 ? fw : fh;
		uint32_t qx = o->roi_x, qy = o->roi_y, qw = o->roi_w, qh = o->roi_h;

		if (qx >= uw || qy >= uh || !qw || !qh) {
			rc = tfr_error_set(err, TFR_ERR_INVALID, "region outside the image");
			goto out;
		}
		if (qw > uw - qx)
			qw = uw - qx;
		if (qh > uh - qy)
			qh = uh - qy;
		map_rect(1, *orientation, qx, qy, qw, qh, fw, fh, &rx, &ry, &w, &h);
		if (w < fw) {
			JDIMENSION xo = rx, cw = w;

			/* Widens the span to whole iMCUs. */
			jpeg_crop_scanline(&j->d, &xo, &cw);
			rx = xo;
			w = cw;
		}
		if (ry)
			jpeg_skip_scanlines(&j->d, ry);
	}
	rowbytes = (size_t)w * (j->cmyk ? 4 : o->channels);
	if (grow(&img->pixels, &img->cap, (size_t)w * o->channels * h)) {
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory for %ux%u pixels", w, h);
		goto out;
	}
	while (j->d.output_scanline < ry + h) {
		JSAMPROW rows[1];
		unsigned char *row;
		size_t y = j->d.output_scanline - ry;

		/* CMYK rows (4 bytes a pixel) are decoded into tmp and
		 * converted into their output row. */
		if (j->cmyk) {
			if (grow(&img->tmp, &img->tmp_cap, rowbytes)) {
				rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
				goto out;
			}
			row = img->tmp;
		} else {
			row = img->pixels + rowbytes * y;
		}
		rows[0] = row;
		jpeg_read_scanlines(&j->d, rows, 1);
		if (j->cmyk) {
			cmyk_to_rgb(row, w, j->inverted);
			if (o->channels == 1)
				rgb_to_gray(row, w);
			memcpy(img->pixels + (size_t)w * o->channels * y, row,
			       (size_t)w * o->channels);
		}
		if (j->je.truncated)
			break;
	}
	/* Rows below the region.  Skipping to the end makes libjpeg-turbo
	 * mark the input finished without reading it, so a single-scan file
	 * cut short below the region would pass unnoticed.  Its remaining
	 * data is therefore checked to run on to the EOI marker: truncation
	 * stays an error, as when every row is decoded.  A multi-scan file
	 * was read whole before the first row. */
	if (!j->je.truncated && j->d.output_scanline < fh) {
		if (jpeg_has_multiple_scans(&j->d))
			jpeg_skip_scanlines(&j->d, fh - j->d.output_scanline);
		else if (!eoi_follows(&j->d))
			j->je.truncated = 1;
	}
	/* A single-scan file stopped early stays unfinished: finishing
	 * wants every row (and reads the EOI marker, checked above). */
	if (!j->je.truncated && j->d.output_scanline == fh)
		jpeg_finish_decompress(&j->d);
	if (j->je.truncated) {
		rc = tfr_error_set(err, TFR_ERR_CORRUPT,
				   "invalid JPEG: data ends before the image is complete");
		goto out;
	}
	/* Where the decoded rectangle lands in the upright frame. */
	{
		uint32_t ux, uy, uw2, uh2;

		map_rect(0, *orientation, rx, ry, w, h, fw, fh, &ux, &uy, &uw2, &uh2);
		img->roi_x = ux;
		img->roi_y = uy;
		img->frame_width = *orientation >= 5 ? fh : fw;
		img->frame_height = *orientation >= 5 ? fw : fh;
	}
	img->width = w;
	img->height = h;
	img->channels = o->channels;
out:
	if (j->created)
		jpeg_destroy_decompress(&j->d);
	free(j);
	return rc;
}

/* ------------------------------------------------------------ PNG */

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
		uint32_t n = (uint32_t)p[off] << 24 | (uint32_t)p[off + 1] << 16 |
			     (uint32_t)p[off + 2] << 8 | p[off + 3];

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

static int decode_png(const void *data, size_t len, const struct tfr_decode_opts *o,
		      struct tfr_image *img, int *orientation, int probe_only,
		      struct tfr_image_info *info, struct tfr_error *err)
{
	struct png_job *j;
	png_uint_32 w, h, y;
	int rc = TFR_OK, bit_depth, color, npasses;

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
	rc = too_big(w, h, o->max_pixels, err);
	if (rc)
		goto out;
	*orientation = 1;
	{
		png_uint_32 n = 0;
		png_bytep ex = NULL;

		if (png_get_eXIf_1(j->png, j->info, &n, &ex) && ex)
			*orientation = tfr_exif_orientation(ex, n);
	}
	if (probe_only) {
		info->format = TFR_IMAGE_PNG;
		info->width = w;
		info->height = h;
		info->orientation = *orientation;
		goto out;
	}
	png_set_expand(j->png);          /* palette, low-bit gray, tRNS */
	png_set_scale_16(j->png);        /* 16 -> 8 bits, rounded */
	png_set_strip_alpha(j->png);
	if (o->channels == 3 && !(color & PNG_COLOR_MASK_COLOR))
		png_set_gray_to_rgb(j->png);
	if (o->channels == 1 && (color & PNG_COLOR_MASK_COLOR))
		/* BT.601 luma, as the JPEG path and TensorFlow use */
		png_set_rgb_to_gray_fixed(j->png, 1, 29900, 58700);
	npasses = png_set_interlace_handling(j->png);
	(void)npasses;
	png_read_update_info(j->png, j->info);
	if (png_get_rowbytes(j->png, j->info) != (size_t)w * o->channels) {
		rc = tfr_error_set(err, TFR_ERR_UNSUPPORTED, "unsupported PNG layout");
		goto out;
	}
	if (grow(&img->pixels, &img->cap, (size_t)w * h * o->channels)) {
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory for %ux%u pixels", w, h);
		goto out;
	}
	j->rows = malloc(sizeof(*j->rows) * h);
	if (!j->rows) {
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (y = 0; y < h; y++)
		j->rows[y] = img->pixels + (size_t)y * w * o->channels;
	png_read_image(j->png, j->rows);
	png_read_end(j->png, j->info);
	{
		png_uint_32 n = 0;
		png_bytep ex = NULL;

		/* eXIf may also come after the image data. */
		if (png_get_eXIf_1(j->png, j->info, &n, &ex) && ex)
			*orientation = tfr_exif_orientation(ex, n);
	}
	img->width = w;
	img->height = h;
	img->channels = o->channels;
	img->roi_x = img->roi_y = 0;
	img->frame_width = *orientation >= 5 ? h : w;
	img->frame_height = *orientation >= 5 ? w : h;
out:
	if (j->png)
		png_destroy_read_struct(&j->png, j->info ? &j->info : NULL, NULL);
	free(j->rows);
	free(j);
	return rc;
}

/* ------------------------------------------------------------ public */

int tfr_image_probe(const void *data, size_t len, uint64_t max_pixels,
		    struct tfr_image_info *info, struct tfr_error *err)
{
	int orientation;

	memset(info, 0, sizeof(*info));
	switch (tfr_image_sniff(data, len)) {
	case TFR_IMAGE_JPEG:
		return probe_jpeg(data, len, max_pixels, info, err);
	case TFR_IMAGE_PNG: {
		struct tfr_decode_opts o = { .channels = 3, .max_pixels = max_pixels };

		return decode_png(data, len, &o, NULL, &orientation, 1, info, err);
	}
	default:
		return tfr_error_set(err, TFR_ERR_UNSUPPORTED,
				     "not a JPEG or PNG image");
	}
}

/* Rotate/flip img->pixels in place (through tmp) per EXIF orientation. */
static int orient(struct tfr_image *img, int o, struct tfr_error *err)
{
	uint32_t W = img->width, H = img->height, c = img->channels;
	uint32_t ow = o >= 5 ? H : W, oh = o >= 5 ? W : H, x, y, k;
	size_t n = (size_t)W * H * c;
	unsigned char *src, *dst;

	if (o <= 1)
		return TFR_OK;
	if (grow(&img->tmp, &img->tmp_cap, n))
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	memcpy(img->tmp, img->pixels, n);
	src = img->tmp;
	dst = img->pixels;
	for (y = 0; y < oh; y++) {
		for (x = 0; x < ow; x++) {
			uint32_t sx, sy;

			switch (o) {
			case 2: sx = W - 1 - x; sy = y; break;
			case 3: sx = W - 1 - x; sy = H - 1 - y; break;
			case 4: sx = x; sy = H - 1 - y; break;
			case 5: sx = y; sy = x; break;
			case 6: sx = y; sy = H - 1 - x; break;
			case 7: sx = W - 1 - y; sy = H - 1 - x; break;
			default: sx = W - 1 - y; sy = x; break; /* 8 */
			}
			for (k = 0; k < c; k++)
				dst[((size_t)y * ow + x) * c + k] =
					src[((size_t)sy * W + sx) * c + k];
		}
	}
	img->width = ow;
	img->height = oh;
	return TFR_OK;
}

int tfr_image_decode(const void *data, size_t len,
		     const struct tfr_decode_opts *opts, struct tfr_image *img,
		     struct tfr_error *err)
{
	struct tfr_decode_opts o = *opts;
	struct tfr_image_info info;
	int orientation = 1, rc;

	if (o.channels != 1 && o.channels != 3)
		return tfr_error_set(err, TFR_ERR_INVALID, "channels must be 1 or 3");
	switch (tfr_image_sniff(data, len)) {
	case TFR_IMAGE_JPEG:
		/* info gets the header's size, before DCT scaling: output
		 * shapes are decided from it, never from the scaled size. */
		rc = decode_jpeg(data, len, &o, img, &orientation, &info, err);
		break;
	case TFR_IMAGE_PNG:
		rc = decode_png(data, len, &o, img, &orientation, 0, NULL, err);
		info.width = img->width;
		info.height = img->height;
		break;
	default:
		return tfr_error_set(err, TFR_ERR_UNSUPPORTED, "not a JPEG or PNG image");
	}
	if (rc)
		return rc;
	img->src_width = orientation >= 5 ? info.height : info.width;
	img->src_height = orientation >= 5 ? info.width : info.height;
	return orient(img, orientation, err);
}

void tfr_image_release(struct tfr_image *img)
{
	if (!img)
		return;
	free(img->pixels);
	free(img->tmp);
	memset(img, 0, sizeof(*img));
}
