/*
 * image/jpeg.c - JPEG through libjpeg-turbo: DCT-domain downscaling,
 * region decoding, EXIF orientation, CMYK/YCCK, and limits on scans and
 * decoder memory.
 *
 * libjpeg reports fatal errors by calling a handler that must not return,
 * so each function here that calls it has one setjmp, with every resource
 * that could leak on the longjmp path held in a heap struct that the
 * function frees on both paths.
 */
#include "config.h"
#include "image/codec.h"

#include <limits.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <turbojpeg.h>
#include <jerror.h>

static int jpeg_sniff(const unsigned char *p, size_t len)
{
	return len >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff;
}

struct jerr {
	struct jpeg_error_mgr pub;
	struct jpeg_progress_mgr progress;
	jmp_buf jb;
	int truncated, too_many_scans, lost;
};

static void jpeg_fail(j_common_ptr c)
{
	struct jerr *e = (struct jerr *)c->err;

	longjmp(e->jb, 1);
}

/*
 * Whether a libjpeg warning (jerror.h, libjpeg-turbo 2.1) means entropy-
 * coded data was missing or corrupt, so that libjpeg filled blocks with
 * zeros or grey and carried on.  Such an image is not the one in the
 * file: an error, as a truncated file is.  The other warnings lose no
 * data: JWRN_EXTRANEOUS_DATA (bytes before a marker, skipped; common in
 * real photo sets), JWRN_BOGUS_PROGRESSION (a progressive scan sent out
 * of order or twice: its data is there and decoded, and t0140's 90-scan
 * file is one), JWRN_ADOBE_XFORM, JWRN_JFIF_MAJOR,
 * JWRN_BOGUS_ICC (we never read the ICC profile), JWRN_NOT_SEQUENTIAL
 * (odd SOS fields, decoded as sequential anyway) and JWRN_TOO_MUCH_DATA
 * (the caller's mistake, never ours).  man/tfrec-convert.1 lists both.
 */
static int jpeg_warning_loses_data(int code)
{
	switch (code) {
	case JWRN_HIT_MARKER:        /* premature end of data segment */
	case JWRN_HUFF_BAD_CODE:     /* bad Huffman code */
	case JWRN_ARITH_BAD_CODE:    /* bad arithmetic code */
	case JWRN_MUST_RESYNC:       /* marker instead of RSTn: a lost interval */
		return 1;
	default:
		return 0;
	}
}

static void jpeg_note(j_common_ptr c, int level)
{
	struct jerr *e = (struct jerr *)c->err;

	if (level >= 0)
		return; /* trace messages */
	/* Data that simply ends keeps its own message (and the read loop
	 * stops on it); other lost data stops the decode here, from inside
	 * libjpeg, as error_exit does. */
	if (e->pub.msg_code == JWRN_JPEG_EOF) {
		e->truncated = 1;
	} else if (!e->truncated && jpeg_warning_loses_data(e->pub.msg_code)) {
		/* (After the end of the data, libjpeg's inserted EOI marker
		 * makes a "premature end of data segment" too: the
		 * truncation is the cause, and is reported as such.) */
		e->lost = 1;
		longjmp(e->jb, 1);
	}
}

/* libjpeg-turbo 2.1 has no scan limit in the libjpeg API (TurboJPEG 3
 * has one), so the progress monitor counts scans, as djpeg -maxscans
 * does.  It is called while the scans are read, before any row. */
static void jpeg_scans(j_common_ptr c)
{
	struct jerr *e = (struct jerr *)c->err;
	j_decompress_ptr d = (j_decompress_ptr)c;

	if (d->input_scan_number > TFR_JPEG_MAX_SCANS) {
		e->too_many_scans = 1;
		longjmp(e->jb, 1);
	}
}

static int jpeg_message(j_common_ptr c, struct tfr_error *err)
{
	struct jerr *e = (struct jerr *)c->err;
	char msg[JMSG_LENGTH_MAX];

	if (e->too_many_scans)
		return tfr_error_set(err, TFR_ERR_LIMIT,
				     "invalid JPEG: more than %d scans", TFR_JPEG_MAX_SCANS);
	if (e->pub.msg_code == JERR_NO_BACKING_STORE)
		return tfr_error_for(err, TFR_ERR_LIMIT, TFR_SETTING_MAX_PIXELS,
				     "JPEG needs more decoder memory than 4 bytes a pixel of "
				     "the pixel limit (a progressive file holds every coefficient, "
				     "6 bytes a pixel at 4:4:4)");
	c->err->format_message(c, msg);
	if (e->lost)
		return tfr_error_set(err, TFR_ERR_CORRUPT, "invalid JPEG: %s", msg);
	return tfr_error_set(err, TFR_ERR_FORMAT, "invalid JPEG: %s", msg);
}

static void jpeg_setup(struct jpeg_decompress_struct *d, struct jerr *je)
{
	d->err = jpeg_std_error(&je->pub);
	je->pub.error_exit = jpeg_fail;
	je->pub.emit_message = jpeg_note;
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

static int jpeg_probe(const void *data, size_t len, uint64_t max,
		      struct tfr_image_info *info, struct tfr_error *err)
{
	struct jpeg_decompress_struct *d = calloc(1, sizeof(*d));
	struct jerr *je = calloc(1, sizeof(*je));
	int rc = TFR_OK;
	volatile int created = 0;

	if (!d || !je) {
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		goto out;
	}
	jpeg_setup(d, je);
	if (setjmp(je->jb)) {
		rc = jpeg_message((j_common_ptr)d, err);
		goto out;
	}
	jpeg_create_decompress(d);
	created = 1;
	jpeg_mem_src(d, data, (unsigned long)len);
	jpeg_save_markers(d, JPEG_APP0 + 1, 0xffff);
	jpeg_read_header(d, TRUE);
	info->format = TFR_IMAGE_JPEG;
	info->width = d->image_width;
	info->height = d->image_height;
	info->orientation = jpeg_orientation(d);
	rc = tfr_codec_check_size(d->image_width, d->image_height, max, err);
out:
	if (created)
		jpeg_destroy_decompress(d);
	free(d);
	free(je);
	return rc;
}

/*
 * Smallest n in 1, 2, 4, 8 with ceil(size * n / 8) >= need, for both
 * sides.  Only these scales: libjpeg-turbo has SIMD IDCTs for 8x8, 4x4
 * and 2x2 (and 1x1 is just the DC), while 3x3, 5x5, 6x6 and 7x7 are
 * scalar C, and on real photos a 4/8 decode is faster than a 3/8 one
 * and 8/8 faster than 5/8 to 7/8 (bench/formats.sh).  The choice never
 * depends on the CPU, so output bytes do not either.
 */
static unsigned dct_scale(uint32_t w, uint32_t h, uint32_t need_w, uint32_t need_h)
{
	unsigned n;

	if (!need_w && !need_h)
		return 8;
	for (n = 1; n < 8; n *= 2)
		if (((uint64_t)w * n + 7) / 8 >= need_w &&
		    ((uint64_t)h * n + 7) / 8 >= need_h)
			return n;
	return 8;
}

static void jpeg_scaled(const struct tfr_image_info *info, uint32_t need_w,
			uint32_t need_h, uint32_t *w, uint32_t *h)
{
	unsigned n = dct_scale(info->width, info->height, need_w, need_h);

	/* libjpeg's output size: jdiv_round_up(size * n, 8) */
	*w = (uint32_t)(((uint64_t)info->width * n + 7) / 8);
	*h = (uint32_t)(((uint64_t)info->height * n + 7) / 8);
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

/*
 * Whether libjpeg-turbo 2.1's jpeg_crop_scanline and jpeg_skip_scanlines
 * give the same pixels as a full decode for this file at this scale.
 * Found with tests/unit-jpeg-sampling.c over every sampling factor
 * libjpeg can write, every DCT scale and every crop phase:
 *   - when a component is upsampled by other than 1 or 2 in either
 *     direction (the generic int_upsample path, e.g. luma 4x2 over chroma
 *     1x1 at full scale), the cropped decode reads upsampler rows that
 *     were never written (valgrind: uninitialised values from
 *     jinit_upsampler's buffer) and gives a band of garbage;
 *   - when DCT scaling gives a chroma component a larger IDCT than luma's
 *     (jdmaster.c does so to spare upsampling) but some upsampling is
 *     still left (e.g. 4x2 over 1x1 at 2/8: a 4/8 chroma IDCT, then 2x
 *     across), jpeg_crop_scanline sets that component's width as if it
 *     had not, and the colours shift.  When the larger IDCT leaves no
 *     upsampling at all (4:2:0 at every scale below 8/8, the common
 *     photo), the crop is right.
 * Those files are decoded at full width here and the columns copied; the
 * fallback costs the colour conversion and upsampling of the columns
 * outside the region, and reading (not skipping) the rows above it.
 */
static int region_safe(const struct jpeg_decompress_struct *d)
{
	int ci;

	for (ci = 0; ci < d->num_components; ci++) {
		const jpeg_component_info *c = &d->comp_info[ci];
		int h_out = d->max_h_samp_factor, v_out = d->max_v_samp_factor;
		/* jdsample.c's "input group": samples per output group */
		int h_in = c->h_samp_factor * c->DCT_scaled_size / d->min_DCT_scaled_size;
		int v_in = c->v_samp_factor * c->DCT_scaled_size / d->min_DCT_scaled_size;

		if (c->DCT_scaled_size != d->min_DCT_scaled_size) {
			if (h_in != h_out || v_in != v_out)
				return 0;
		} else if ((h_out != h_in && h_out != 2 * h_in) ||
			   (v_out != v_in && v_out != 2 * v_in)) {
			return 0;
		}
	}
	return 1;
}

/*
 * Whether the first scan holds any entropy-coded data: a file whose SOS
 * header is followed straight by a marker (or by the end) has none, and
 * libjpeg would decode it as a flat grey image with only a warning.
 */
static int scan_has_data(const struct jpeg_decompress_struct *d)
{
	const unsigned char *p = d->src->next_input_byte;
	size_t n = d->src->bytes_in_buffer;

	if (d->unread_marker)
		return 0;
	if (n == 0)
		return 0;
	if (n >= 2 && p[0] == 0xFF && p[1] != 0x00 && !(p[1] >= 0xD0 && p[1] <= 0xD7))
		return 0;
	return 1;
}

struct jpeg_job {
	struct jpeg_decompress_struct d;
	struct jerr je;
	int created;
	int cmyk, inverted; /* here, not in locals, to survive longjmp */
	unsigned char *row; /* a full-width row for the fallback path */
};

static int jpeg_decode(const void *data, size_t len, const struct tfr_decode_opts *o,
		       struct tfr_image *img, struct tfr_image_info *info,
		       struct tfr_error *err)
{
	struct jpeg_job *j = calloc(1, sizeof(*j)); /* survives longjmp */
	int rc = TFR_OK, orientation, safe;
	uint32_t need_w, need_h, w, h, fw, fh, rx, ry, cx, y;
	size_t pixbytes, inbytes;
	uint64_t maxmem;

	if (!j)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	jpeg_setup(&j->d, &j->je);
	if (setjmp(j->je.jb)) {
		rc = jpeg_message((j_common_ptr)&j->d, err);
		goto out;
	}
	jpeg_create_decompress(&j->d);
	j->created = 1;
	j->je.progress.progress_monitor = jpeg_scans;
	j->d.progress = &j->je.progress;
	/* Bound the decoder's own arrays (the coefficients of every block
	 * of a progressive file): past this, libjpeg asks for a backing
	 * store, which this build does not have, and fails.  The 16 MiB
	 * floor keeps a small --max-pixels from refusing small files for
	 * their block padding. */
	maxmem = 4 * (o->max_pixels ? o->max_pixels : TFR_DEFAULT_MAX_PIXELS);
	if (maxmem < (16u << 20))
		maxmem = 16u << 20;
	j->d.mem->max_memory_to_use = maxmem > (uint64_t)LONG_MAX ? LONG_MAX : (long)maxmem;
	jpeg_mem_src(&j->d, data, (unsigned long)len);
	jpeg_save_markers(&j->d, JPEG_APP0 + 1, 0xffff);
	jpeg_read_header(&j->d, TRUE);
	rc = tfr_codec_check_size(j->d.image_width, j->d.image_height, o->max_pixels, err);
	if (rc)
		goto out;
	orientation = jpeg_orientation(&j->d);
	info->format = TFR_IMAGE_JPEG;
	info->orientation = orientation;
	info->width = j->d.image_width;
	info->height = j->d.image_height;
	if (!scan_has_data(&j->d)) {
		rc = tfr_error_set(err, TFR_ERR_CORRUPT,
				   "invalid JPEG: no image data after the scan header");
		goto out;
	}

	/* The caller's minimum is upright; the decoder works as stored. */
	need_w = orientation >= 5 ? o->min_height : o->min_width;
	need_h = orientation >= 5 ? o->min_width : o->min_height;
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
	inbytes = j->cmyk ? 4 : o->channels;
	/* The stored rectangle to decode: all, or what covers the ROI. */
	rx = 0;
	ry = 0;
	w = fw;
	h = fh;
	cx = 0; /* first column kept from a full-width row (fallback) */
	safe = region_safe(&j->d);
	if (o->use_roi) {
		rc = tfr_codec_roi(o, orientation, fw, fh, &rx, &ry, &w, &h, err);
		if (rc)
			goto out;
		/* Fancy upsampling blends each chroma sample with its
		 * neighbours, which a crop or a skip does not have at its
		 * edge: the columns and rows next to a cut differ from a full
		 * decode.  So the cut is made one iMCU away from the region,
		 * and every pixel of the region has its neighbours. */
		if (safe) {
			uint32_t mx = (uint32_t)(j->d.max_h_samp_factor * j->d.min_DCT_scaled_size);
			uint32_t my = (uint32_t)(j->d.max_v_samp_factor * j->d.min_DCT_scaled_size);
			uint32_t x1 = rx + w + mx < fw ? rx + w + mx : fw;
			uint32_t y1 = ry + h + my < fh ? ry + h + my : fh;

			rx = rx > mx ? rx - mx : 0;
			ry = ry > my ? ry - my : 0;
			w = x1 - rx;
			h = y1 - ry;
		}
		if (w < fw && safe) {
			JDIMENSION xo = rx, cw = w;

			/* Widens the span to whole iMCUs. */
			jpeg_crop_scanline(&j->d, &xo, &cw);
			rx = xo;
			w = cw;
		} else if (w < fw) {
			cx = rx;
		}
		/* Rows above: skipped, or read and dropped (fallback). */
		if (ry && safe)
			jpeg_skip_scanlines(&j->d, ry);
	}
	pixbytes = (size_t)w * o->channels;
	if (tfr_codec_grow(&img->pixels, &img->cap, pixbytes * h)) {
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory for %ux%u pixels", w, h);
		goto out;
	}
	/* Rows are decoded straight into place unless they need converting
	 * (CMYK, 4 bytes a pixel) or cutting (the full-width fallback). */
	if (j->cmyk || (!safe && w < j->d.output_width)) {
		j->row = malloc((size_t)j->d.output_width * inbytes);
		if (!j->row) {
			rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
			goto out;
		}
	}
	while (j->d.output_scanline < ry + h) {
		JSAMPROW rows[1];
		unsigned char *dst;

		y = j->d.output_scanline;
		dst = y >= ry ? img->pixels + pixbytes * (y - ry) : NULL;
		rows[0] = j->row ? j->row : dst ? dst : img->pixels;
		jpeg_read_scanlines(&j->d, rows, 1);
		if (j->je.truncated)
			break;
		if (!dst)
			continue; /* a row above the region (fallback path) */
		if (j->row) {
			unsigned char *s = j->row + (size_t)cx * inbytes;

			if (j->cmyk) {
				cmyk_to_rgb(s, w, j->inverted);
				if (o->channels == 1)
					rgb_to_gray(s, w);
			}
			memcpy(dst, s, pixbytes);
		}
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
	img->width = w;
	img->height = h;
	img->channels = o->channels;
	img->roi_x = rx;
	img->roi_y = ry;
	img->frame_width = fw;
	img->frame_height = fh;
out:
	if (j->created)
		jpeg_destroy_decompress(&j->d);
	free(j->row);
	free(j);
	return rc;
}

/* --store jpeg: TurboJPEG, 4:2:0 for colour as cjpeg and PIL do by
 * default, accurate DCT so that the bytes do not depend on the SIMD
 * path; no setjmp (TurboJPEG returns errors). */
static int jpeg_encode(const uint8_t *pix, uint32_t w, uint32_t h, unsigned ch,
		       int quality, struct tfr_buf *out, struct tfr_error *err)
{
	tjhandle tj = tjInitCompress();
	unsigned char *jpg = NULL;
	unsigned long size = 0;
	int rc;

	if (!tj)
		return tfr_error_set(err, TFR_ERR_NOMEM, "cannot start a JPEG encoder");
	if (tjCompress2(tj, pix, (int)w, 0, (int)h, ch == 1 ? TJPF_GRAY : TJPF_RGB, &jpg, &size,
			ch == 1 ? TJSAMP_GRAY : TJSAMP_420, quality, TJFLAG_ACCURATEDCT)) {
		rc = tfr_error_set(err, TFR_ERR_FORMAT, "JPEG encoding failed: %s",
				   tjGetErrorStr2(tj));
	} else {
		out->len = 0;
		rc = tfr_buf_append(out, jpg, size) ?
		     tfr_error_set(err, TFR_ERR_NOMEM, "out of memory") : TFR_OK;
	}
	tjFree(jpg);
	tjDestroy(tj);
	return rc;
}

static const char *const jpeg_exts[] = { ".jpg", ".jpeg", ".jpe", ".jfif", NULL };

const struct tfr_codec tfr_codec_jpeg = {
	.format = TFR_IMAGE_JPEG,
	.name = "jpeg",
	.long_name = "JPEG",
	.exts = jpeg_exts,
	.sniff = jpeg_sniff,
	.probe = jpeg_probe,
	.scaled = jpeg_scaled,
	.decode = jpeg_decode,
	.encode = jpeg_encode,
	.encode_quality = 1,
};
