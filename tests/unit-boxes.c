/* unit-boxes.c - boxes through resize, crop, random resized crop and
 * flip: exact inverses, and boxes that land where the pixels do. */
#include "config.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "lib/pixels/augment.h"
#include "lib/annot/boxes.h"
#include "lib/base/rng.h"

static int near(const struct tfr_box *a, const struct tfr_box *b, double eps)
{
	return fabs(a->xmin - b->xmin) <= eps && fabs(a->xmax - b->xmax) <= eps &&
	       fabs(a->ymin - b->ymin) <= eps && fabs(a->ymax - b->ymax) <= eps;
}

static void base(struct tfr_augment *a)
{
	memset(a, 0, sizeof(*a));
	a->channels = 3;
	a->dtype = TFR_DTYPE_UINT8;
	a->layout = TFR_LAYOUT_HWC;
	tfr_augment_set_identity(a);
}

/* A w x h gray image, 255 inside the pixel rectangle [x0,x1) x [y0,y1). */
static struct tfr_image rect_image(uint32_t w, uint32_t h, uint32_t x0, uint32_t y0,
				   uint32_t x1, uint32_t y1)
{
	struct tfr_image im;
	uint32_t x, y;

	memset(&im, 0, sizeof(im));
	im.width = im.src_width = im.frame_width = w;
	im.height = im.src_height = im.frame_height = h;
	im.channels = 3;
	im.pixels = calloc((size_t)w * h, 3);
	for (y = y0; y < y1; y++)
		for (x = x0; x < x1; x++)
			memset(im.pixels + ((size_t)y * w + x) * 3, 255, 3);
	return im;
}

/*
 * Where the rectangle landed: per axis, the sum of the stored values
 * along that axis over 255 is the rectangle's extent in output pixels
 * (resize filters preserve mass), and the first column above half is its
 * edge.  Returns the box measured from the pixel mass: the left edge is
 * where the half-level crossing is, found by linear interpolation.
 */
static double edge(const double *prof, uint32_t n, int from_left)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		uint32_t j = from_left ? i : n - 1 - i;

		if (prof[j] >= 0.5) {
			/* Interpolate between the previous sample's centre and
			 * this one's: the half crossing. */
			double prev = i ? prof[from_left ? j - 1 : j + 1] : 0;
			double c = j + 0.5, t = (0.5 - prev) / (prof[j] - prev);

			if (!i)
				return from_left ? 0 : n;
			return from_left ? c - 1 + t : c + 1 - t;
		}
	}
	return -1;
}

static int measure(const unsigned char *px, uint32_t w, uint32_t h, struct tfr_box *b)
{
	double *col = calloc(w, sizeof(double)), *row = calloc(h, sizeof(double));
	double cmax = 0, rmax = 0;
	uint32_t x, y;

	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			double v = px[((size_t)y * w + x) * 3] / 255.0;

			col[x] = v > col[x] ? v : col[x];
			row[y] = v > row[y] ? v : row[y];
		}
	for (x = 0; x < w; x++)
		cmax = col[x] > cmax ? col[x] : cmax;
	for (y = 0; y < h; y++)
		rmax = row[y] > rmax ? row[y] : rmax;
	b->xmin = edge(col, w, 1) / w;
	b->xmax = edge(col, w, 0) / w;
	b->ymin = edge(row, h, 1) / h;
	b->ymax = edge(row, h, 0) / h;
	free(col);
	free(row);
	return cmax > 0.9 && rmax > 0.9;
}

/* Convert a rectangle image with a, and compare where the box says the
 * rectangle is with where its pixels are, within tol output pixels. */
static void land(const char *what, const struct tfr_augment *a, uint32_t w, uint32_t h,
		 uint32_t x0, uint32_t y0, uint32_t x1, uint32_t y1, uint64_t rnd)
{
	struct tfr_image im = rect_image(w, h, x0, y0, x1, y1);
	struct tfr_augment_scratch s = { 0 };
	struct tfr_buf out;
	struct tfr_augment_geom g;
	struct tfr_box b = { (double)x0 / w, (double)y0 / h, (double)x1 / w, (double)y1 / h };
	struct tfr_box m, seen;
	uint32_t ow = 0, oh = 0;
	int kept;

	int rc;

	tfr_buf_init(&out, 0);
	memset(&seen, 0, sizeof(seen));
	rc = tfr_augment_geometry(a, w, h, rnd, &g, NULL);
	if (!rc)
		rc = tfr_augment_run(a, &im, rnd, &s, &out, &ow, &oh, NULL);
	if (!ok(!rc && ow == g.ow && oh == g.oh, "%s: runs, geometry says the shape (%ux%u)",
		what, g.ow, g.oh))
		goto out;
	/* Partly cut by the crop is fine: the pixels are cut there too. */
	kept = tfr_box_map(&g, &b, 0, &m);
	if (!ok(kept && measure(out.data, ow, oh, &seen), "%s: box and rectangle visible", what))
		goto out;
	/* The filter blurs edges by up to one source pixel each side when
	 * shrinking; half a stored pixel at the 0.5 crossing otherwise. */
	{
		double tolx = 0.6 / ow + 1.0 / (g.w * w), toly = 0.6 / oh + 1.0 / (g.h * h);

		ok(fabs(m.xmin - seen.xmin) <= tolx && fabs(m.xmax - seen.xmax) <= tolx &&
		   fabs(m.ymin - seen.ymin) <= toly && fabs(m.ymax - seen.ymax) <= toly,
		   "%s: box (%.4f %.4f %.4f %.4f) on the pixels (%.4f %.4f %.4f %.4f)%s", what,
		   m.xmin, m.ymin, m.xmax, m.ymax, seen.xmin, seen.ymin, seen.xmax, seen.ymax,
		   g.flip ? ", flipped" : "");
	}
out:
	tfr_buf_release(&out);
	tfr_augment_scratch_release(&s);
	free(im.pixels);
}

int main(void)
{
	struct tfr_augment a;
	struct tfr_augment_geom g, id = { 0 };
	struct tfr_box b = { 0.125, 0.25, 0.625, 0.875 }, m, back;
	int i, bad;

	/* Flip twice is the identity, exactly for these dyadic values. */
	id.w = id.h = 1;
	id.flip = 1;
	ok(tfr_box_map(&id, &b, 0, &m) && m.xmin == 0.375 && m.xmax == 0.875 &&
	   m.ymin == b.ymin && m.ymax == b.ymax, "flip mirrors x only");
	ok(tfr_box_map(&id, &m, 0, &back) && back.xmin == b.xmin && back.xmax == b.xmax &&
	   back.ymin == b.ymin && back.ymax == b.ymax, "flip twice is the identity");

	/* Random boxes through random crops and flips, and back again. */
	base(&a);
	a.resize = TFR_RESIZE_SHORT;
	a.resize_short = 96;
	a.crop_w = 64;
	a.crop_h = 48;
	a.random_crop = 1;
	a.flip = 1;
	bad = 0;
	for (i = 0; i < 2000; i++) {
		uint64_t r = tfr_rand3(7, (uint64_t)i, 0);
		uint32_t w = 40 + (uint32_t)tfr_rand_below(tfr_mix64(r ^ 9), 400);
		uint32_t h = 40 + (uint32_t)tfr_rand_below(tfr_mix64(r ^ 10), 400);
		struct tfr_box in, out2;

		if (tfr_augment_geometry(&a, w, h, r, &g, NULL)) {
			bad++;
			continue;
		}
		/* A box inside the window, so nothing is clipped. */
		in.xmin = g.x + g.w * 0.1;
		in.xmax = g.x + g.w * 0.7;
		in.ymin = g.y + g.h * 0.3;
		in.ymax = g.y + g.h * 0.9;
		if (!tfr_box_map(&g, &in, 1.0, &m)) {
			bad++;
			continue;
		}
		tfr_box_unmap(&g, &m, &out2);
		bad += !near(&in, &out2, 1e-12);
	}
	ok(!bad, "crop then inverse mapping gives back the boxes (2000 random, %d off)", bad);

	/* Clipping and min_visible. */
	memset(&g, 0, sizeof(g));
	g.x = 0.5;
	g.y = 0;
	g.w = 0.5;
	g.h = 1;
	b = (struct tfr_box){ 0.25, 0.0, 0.75, 0.5 }; /* half inside */
	ok(tfr_box_map(&g, &b, 0.5, &m) && m.xmin == 0 && m.xmax == 0.5,
	   "a box half inside is clipped to the window, kept at min 0.5");
	ok(!tfr_box_map(&g, &b, 0.51, &m), "and dropped at min 0.51");
	b = (struct tfr_box){ 0.0, 0.0, 0.5, 0.5 }; /* touches the edge only */
	ok(!tfr_box_map(&g, &b, 0, &m), "a box outside the window is dropped even at min 0");
	{
		struct tfr_box nan = { NAN, 0, 1, 1 }, neg = { -0.1, 0, 0.5, 0.5 };
		struct tfr_box deg = { 0.5, 0.1, 0.5, 0.2 };

		ok(!tfr_box_valid(&nan) && !tfr_box_valid(&neg) && !tfr_box_valid(&deg) &&
		   tfr_box_valid(&(struct tfr_box){ 0, 0, 1, 1 }),
		   "NaN, negative and degenerate boxes are invalid");
	}

	/* Retries: a small box in a corner, a crop that rarely holds it. */
	{
		struct tfr_box corner = { 0.0, 0.0, 0.25, 0.25 };
		uint64_t used, used2;
		unsigned att, found = 0, lost = 0, diff = 0;

		base(&a);
		a.crop_w = a.crop_h = 100;
		a.random_crop = 1;
		for (i = 0; i < 200; i++) {
			uint64_t r = tfr_rand3(11, (uint64_t)i, 0);
			struct tfr_augment_geom g2;

			tfr_boxes_geometry(&a, 200, 200, r, &corner, 1, 0.5, 0, &g, &used, &att, NULL);
			lost += !tfr_box_map(&g, &corner, 0.5, &m);
			tfr_boxes_geometry(&a, 200, 200, r, &corner, 1, 0.5, 100, &g, &used, &att, NULL);
			found += tfr_box_map(&g, &corner, 0.5, &m);
			tfr_boxes_geometry(&a, 200, 200, r, &corner, 1, 0.5, 100, &g2, &used2, &att, NULL);
			diff += used != used2 || g.x0 != g2.x0 || g.y0 != g2.y0;
			tfr_augment_geometry(&a, 200, 200, used, &g2, NULL);
			diff += g.x0 != g2.x0 || g.y0 != g2.y0;
		}
		ok(lost > 150, "without retries most crops lose the corner box (%u of 200)", lost);
		ok(found > 190, "with 100 retries it is kept (%u of 200)", found);
		ok(!diff, "retries are deterministic and their value reproduces the geometry");
	}

	/* Random resized crop: inside the image, area and ratio in range. */
	{
		unsigned out_of = 0, fallback = 0, distinct = 0;
		uint32_t lastx = UINT32_MAX;

		base(&a);
		a.rrc = 1;
		a.crop_w = a.crop_h = 32;
		a.rrc_scale[0] = 0.08f;
		a.rrc_scale[1] = 1.0f;
		a.rrc_ratio[0] = 3.0f / 4;
		a.rrc_ratio[1] = 4.0f / 3;
		for (i = 0; i < 1000; i++) {
			uint64_t r = tfr_rand3(5, (uint64_t)i, 1);
			double frac, ratio;

			tfr_augment_geometry(&a, 300, 200, r, &g, NULL);
			frac = (double)g.cw * g.ch / (300.0 * 200);
			ratio = (double)g.cw / g.ch;
			out_of += g.x0 + g.cw > 300 || g.y0 + g.ch > 200 || g.ow != 32 || g.oh != 32;
			if (frac < 0.07 || frac > 1.0 || ratio < 0.74 || ratio > 1.36)
				fallback++;
			distinct += g.x0 != lastx;
			lastx = g.x0;
		}
		ok(!out_of, "random resized crops stay inside the image, stored at 32x32");
		ok(fallback < 10, "area within 8%%..100%% and ratio within 3/4..4/3 (%u outside)", fallback);
		ok(distinct > 500, "windows vary with the random value (%u)", distinct);
	}

	/* Pixel-centre conventions: boxes land on the pixels. */
	base(&a);
	land("no augmentation", &a, 120, 80, 30, 20, 70, 50, 0);
	a.resize = TFR_RESIZE_EXACT;
	a.resize_w = 60;
	a.resize_h = 40;
	land("shrink 120x80 to 60x40", &a, 120, 80, 30, 20, 70, 50, 0);
	a.resize_w = 200;
	a.resize_h = 100;
	land("enlarge 120x80 to 200x100", &a, 120, 80, 31, 21, 71, 53, 0);
	base(&a);
	a.resize = TFR_RESIZE_SHORT;
	a.resize_short = 64;
	a.crop_w = 56;
	a.crop_h = 56;
	land("resize-short 64, centre crop 56", &a, 160, 100, 50, 30, 110, 80, 0);
	a.random_crop = 1;
	a.flip = 1;
	for (i = 0; i < 6; i++)
		land("random crop and flip", &a, 160, 100, 50, 30, 110, 80, tfr_rand3(3, (uint64_t)i, 0));
	base(&a);
	a.rrc = 1;
	a.crop_w = a.crop_h = 48;
	a.rrc_scale[0] = 0.5f;
	a.rrc_scale[1] = 1.0f;
	a.rrc_ratio[0] = 0.75f;
	a.rrc_ratio[1] = 1.333f;
	a.flip = 1;
	for (i = 0; i < 6; i++) {
		uint64_t r = tfr_rand3(4, (uint64_t)i, 0);

		tfr_augment_geometry(&a, 160, 120, r, &g, NULL);
		/* A rectangle inside that window, whatever it is. */
		land("random resized crop", &a, 160, 120, g.x0 + g.cw / 4, g.y0 + g.ch / 4,
		     g.x0 + g.cw * 3 / 4, g.y0 + g.ch * 3 / 4, r);
	}
	return tap_done();
}
