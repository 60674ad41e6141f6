/*
 * unit-jpeg-sampling.c - region decoding against a full decode, for every
 * JPEG layout libjpeg can write: luma h and v in 1..4 over chroma 1x1,
 * 2x1 and 1x2; grayscale, CMYK and YCCK; each baseline, progressive and
 * arithmetic-coded.  For every DCT scale tfrec uses (1/8, 2/8, 4/8, 8/8:
 * it never picks 3/8 or 5/8 to 7/8) the image is decoded
 * whole, then through regions whose left, top, right and bottom edges
 * fall at every phase of the iMCU (11k + 3 and 13k + 5 walk every end
 * phase while k walks every start phase), and each region must equal the
 * same pixels of the whole decode (MAX_DIFF), and two decodes of it must
 * be identical.
 *
 * The files are made here with libjpeg's compressor, so no test file is
 * opaque.  With --write DIR the test writes them there instead, for
 * tests/t0145-jpeg-sampling.sh to run tfrec (and valgrind) over.
 */
#include "config.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "lib/image/image.h"
#include "tap.h"

#define W 109
#define H 83
/* Largest difference allowed between a region and the whole decode.
 * The decoder cuts one iMCU away from the region (see region_safe and
 * its caller in src/lib/image/jpeg.c), so the pixels are exact; any
 * difference means a region path libjpeg-turbo gets wrong. */
#define MAX_DIFF 0

struct enc_err {
	struct jpeg_error_mgr pub;
	jmp_buf jb;
};

static void enc_fail(j_common_ptr c)
{
	longjmp(((struct enc_err *)c->err)->jb, 1);
}

/* A picture with detail in every channel: gradients and a checker. */
static void pixel(int x, int y, int comps, JSAMPLE *p)
{
	int k;

	for (k = 0; k < comps; k++)
		p[k] = (JSAMPLE)((x * (3 + k) + y * (5 - k) + ((x / 7 + y / 5 + k) % 2) * 60 +
				  k * 40) & 255);
}

enum space { SP_YCC, SP_GRAY, SP_CMYK, SP_YCCK };
enum coding { C_BASE, C_PROG, C_ARITH };

/* Compress one layout; returns 0 when libjpeg cannot write it. */
static int make_jpeg(enum space sp, int h, int v, int ch, int cv, enum coding cod,
		     unsigned char **out, unsigned long *outlen)
{
	struct jpeg_compress_struct c;
	struct enc_err e;
	JSAMPLE row[W * 4];
	int comps = sp == SP_GRAY ? 1 : sp == SP_YCC ? 3 : 4, x, ci;
	volatile int ok_ = 1;

	*out = NULL;
	*outlen = 0;
	c.err = jpeg_std_error(&e.pub);
	e.pub.error_exit = enc_fail;
	if (setjmp(e.jb)) {
		ok_ = 0;
		goto out;
	}
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, out, outlen);
	c.image_width = W;
	c.image_height = H;
	c.input_components = comps;
	c.in_color_space = sp == SP_GRAY ? JCS_GRAYSCALE : sp == SP_YCC ? JCS_RGB : JCS_CMYK;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, 90, TRUE);
	if (sp == SP_YCCK)
		jpeg_set_colorspace(&c, JCS_YCCK);
	c.comp_info[0].h_samp_factor = h;
	c.comp_info[0].v_samp_factor = v;
	for (ci = 1; ci < c.num_components; ci++) {
		c.comp_info[ci].h_samp_factor = ch;
		c.comp_info[ci].v_samp_factor = cv;
	}
	if (sp == SP_YCCK) /* K at full resolution, as Adobe writes it */
		c.comp_info[3].h_samp_factor = h, c.comp_info[3].v_samp_factor = v;
	if (cod == C_PROG)
		jpeg_simple_progression(&c);
	if (cod == C_ARITH)
		c.arith_code = TRUE;
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < H) {
		JSAMPROW r = row;

		for (x = 0; x < W; x++)
			pixel(x, (int)c.next_scanline, comps, row + x * comps);
		jpeg_write_scanlines(&c, &r, 1);
	}
	jpeg_finish_compress(&c);
out:
	jpeg_destroy_compress(&c);
	if (!ok_) {
		free(*out);
		*out = NULL;
	}
	return ok_;
}

struct stats {
	double mae;
	int maxd;
	int covered, same;
};

/* One region of one scale against the full decode at that scale. */
static void region(const unsigned char *jpg, size_t len, const struct tfr_decode_opts *base,
		   const struct tfr_image *full, uint32_t x0, uint32_t y0, uint32_t rw,
		   uint32_t rh, struct tfr_image *a, struct tfr_image *b, struct stats *st)
{
	struct tfr_decode_opts o = *base;
	uint32_t x, y, c = base->channels;
	double sum = 0;
	int maxd = 0;

	o.use_roi = 1;
	o.roi_x = x0;
	o.roi_y = y0;
	o.roi_w = rw;
	o.roi_h = rh;
	st->covered = st->same = 0;
	if (tfr_image_decode(jpg, len, &o, a, NULL) || tfr_image_decode(jpg, len, &o, b, NULL))
		return;
	st->same = a->width == b->width && a->height == b->height &&
		   !memcmp(a->pixels, b->pixels, (size_t)a->width * a->height * c);
	st->covered = a->roi_x <= x0 && a->roi_y <= y0 && a->roi_x + a->width >= x0 + rw &&
		      a->roi_y + a->height >= y0 + rh && a->roi_x + a->width <= full->width &&
		      a->roi_y + a->height <= full->height;
	if (!st->covered)
		return;
	for (y = 0; y < rh; y++)
		for (x = 0; x < rw * c; x++) {
			int p = a->pixels[((size_t)(y0 - a->roi_y + y) * a->width + (x0 - a->roi_x)) * c + x];
			int q = full->pixels[((size_t)(y0 + y) * full->width + x0) * c + x];
			int d = p > q ? p - q : q - p;

			sum += d;
			if (d > maxd)
				maxd = d;
		}
	st->mae = sum / ((double)rw * rh * c);
	st->maxd = maxd;
}

/* Every scale and crop phase of one file; one TAP line per file. */
static void check_file(const char *name, const unsigned char *jpg, size_t len,
		       int imcu_h, int imcu_v, uint32_t channels)
{
	struct tfr_image full, a, b;
	double worst_mae = 0;
	int worst_max = 0, bad = 0, n, k, regions = 0;
	char where[160] = "";

	memset(&full, 0, sizeof(full));
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	/* The scales tfrec decodes at (jpeg.c's dct_scale). */
	for (n = 1; n <= 8 && !bad; n *= 2) {
		struct tfr_decode_opts o = { .channels = channels,
					     .min_width = (W * n + 7) / 8,
					     .min_height = (H * n + 7) / 8 };
		uint32_t fw, fh;
		int pw = imcu_h * n, ph = imcu_v * n, steps = pw > ph ? pw : ph;

		if (tfr_image_decode(jpg, len, &o, &full, NULL)) {
			bad = 1;
			snprintf(where, sizeof(where), "full decode at %d/8 failed", n);
			break;
		}
		fw = full.width;
		fh = full.height;
		for (k = 0; k < steps + 1; k++) {
			uint32_t x0 = (uint32_t)(k % pw), y0 = (uint32_t)(k % ph);
			uint32_t xe = fw - (uint32_t)((11 * k + 3) % pw), ye = fh - (uint32_t)((13 * k + 5) % ph);
			struct stats st;

			if (x0 >= xe || y0 >= ye)
				continue;
			region(jpg, len, &o, &full, x0, y0, xe - x0, ye - y0, &a, &b, &st);
			regions++;
			if (!st.covered || !st.same || st.maxd > MAX_DIFF) {
				bad = 1;
				snprintf(where, sizeof(where),
					 "scale %d/8 region %u,%u %ux%u: covered %d, repeatable %d, "
					 "mae %.2f, max %d", n, x0, y0, xe - x0, ye - y0,
					 st.covered, st.same, st.covered ? st.mae : -1.0,
					 st.covered ? st.maxd : -1);
				break;
			}
			if (st.mae > worst_mae)
				worst_mae = st.mae;
			if (st.maxd > worst_max)
				worst_max = st.maxd;
		}
	}
	ok(!bad, "%s, %u channel%s: %d regions over 4 scales%s%s", name, channels,
	   channels > 1 ? "s" : "", regions, bad ? ": " : "", where);
	if (!bad && (worst_mae > 0 || worst_max > 0))
		tap_diag("%s: worst region mae %.3f, max %d", name, worst_mae, worst_max);
	tfr_image_release(&full);
	tfr_image_release(&a);
	tfr_image_release(&b);
}

int main(int argc, char **argv)
{
	static const int chroma[3][2] = { { 1, 1 }, { 2, 1 }, { 1, 2 } };
	static const char *const cname[3] = { "base", "prog", "arith" };
	const char *dir = argc == 3 && !strcmp(argv[1], "--write") ? argv[2] : NULL;
	int h, v, c, cod, sp, unwritable = 0;

	for (cod = 0; cod < 3; cod++)
		for (sp = 0; sp < 4; sp++)
			for (h = 1; h <= 4; h++)
				for (v = 1; v <= 4; v++)
					for (c = 0; c < 3; c++) {
						unsigned char *jpg;
						unsigned long len;
						char name[96];
						int ch = chroma[c][0], cv = chroma[c][1];

						/* gray has one layout; CMYK and
						 * YCCK are tried at 1x1 and
						 * 2x2 over 1x1 */
						if (sp == SP_GRAY && (h > 1 || v > 1 || c))
							continue;
						if ((sp == SP_CMYK || sp == SP_YCCK) &&
						    (c || h != v || h > 2))
							continue;
						if (!make_jpeg((enum space)sp, h, v, ch, cv,
							       (enum coding)cod, &jpg, &len)) {
							unwritable++;
							continue;
						}
						snprintf(name, sizeof(name), "%s-%s-%dx%d-%dx%d",
							 sp == SP_GRAY ? "gray" : sp == SP_YCC ? "ycc" :
							 sp == SP_CMYK ? "cmyk" : "ycck", cname[cod],
							 h, v, ch, cv);
						if (dir) {
							char path[4200];
							FILE *f;

							snprintf(path, sizeof(path), "%s/%s.jpg", dir, name);
							f = fopen(path, "wb");
							if (!f || fwrite(jpg, 1, len, f) != len || fclose(f)) {
								perror(path);
								return 1;
							}
						} else {
							int mh = sp == SP_GRAY ? 1 : h > ch ? h : ch;
							int mv = sp == SP_GRAY ? 1 : v > cv ? v : cv;

							check_file(name, jpg, len, mh, mv, 3);
							if (sp == SP_YCC && cod == C_BASE)
								check_file(name, jpg, len, mh, mv, 1);
						}
						free(jpg);
					}
	if (dir)
		return 0;
	tap_diag("%d layouts libjpeg cannot write (more than 10 blocks an MCU, or "
		 "chroma factors that do not divide luma's) were left out", unwritable);
	return tap_done();
}
