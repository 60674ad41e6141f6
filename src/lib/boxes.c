/*
 * boxes.c - boxes through the augment geometry; see boxes.h.
 */
#include "config.h"
#include "boxes.h"
#include "rng.h"

#include <math.h>

int tfr_box_valid(const struct tfr_box *b)
{
	return isfinite(b->xmin) && isfinite(b->ymin) && isfinite(b->xmax) &&
	       isfinite(b->ymax) && b->xmin >= 0 && b->ymin >= 0 && b->xmax <= 1 &&
	       b->ymax <= 1 && b->xmin < b->xmax && b->ymin < b->ymax;
}

static double clamp01(double v)
{
	return v < 0 ? 0 : v > 1 ? 1 : v;
}

int tfr_box_map(const struct tfr_augment_geom *g, const struct tfr_box *b,
		double min_visible, struct tfr_box *out)
{
	double x0 = (b->xmin - g->x) / g->w, x1 = (b->xmax - g->x) / g->w;
	double y0 = (b->ymin - g->y) / g->h, y1 = (b->ymax - g->y) / g->h;
	double full = (x1 - x0) * (y1 - y0), cx0, cx1, cy0, cy1, kept;

	cx0 = clamp01(x0);
	cx1 = clamp01(x1);
	cy0 = clamp01(y0);
	cy1 = clamp01(y1);
	if (!(cx0 < cx1 && cy0 < cy1) || !(full > 0))
		return 0;
	kept = (cx1 - cx0) * (cy1 - cy0);
	/* Compared as a product, not a quotient, so that min_visible 1
	 * keeps a box wholly inside whatever the rounding of the ratio. */
	if (kept < min_visible * full * (1 - 1e-9))
		return 0;
	if (g->flip) {
		out->xmin = 1 - cx1;
		out->xmax = 1 - cx0;
	} else {
		out->xmin = cx0;
		out->xmax = cx1;
	}
	out->ymin = cy0;
	out->ymax = cy1;
	return 1;
}

void tfr_box_unmap(const struct tfr_augment_geom *g, const struct tfr_box *b,
		   struct tfr_box *out)
{
	double x0 = b->xmin, x1 = b->xmax;

	if (g->flip) {
		x0 = 1 - b->xmax;
		x1 = 1 - b->xmin;
	}
	out->xmin = g->x + x0 * g->w;
	out->xmax = g->x + x1 * g->w;
	out->ymin = g->y + b->ymin * g->h;
	out->ymax = g->y + b->ymax * g->h;
}

size_t tfr_boxes_map(const struct tfr_augment_geom *g, const struct tfr_box *in,
		     size_t n, double min_visible, struct tfr_box *out, size_t *keep)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (tfr_box_map(g, &in[i], min_visible, &out[k])) {
			if (keep)
				keep[k] = i;
			k++;
		}
	return k;
}

static size_t count_kept(const struct tfr_augment_geom *g, const struct tfr_box *b,
			 size_t n, double min_visible)
{
	struct tfr_box t;
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += (size_t)tfr_box_map(g, &b[i], min_visible, &t);
	return k;
}

int tfr_boxes_geometry(const struct tfr_augment *a, uint32_t src_w, uint32_t src_h,
		       uint64_t rnd, const struct tfr_box *boxes, size_t n,
		       double min_visible, unsigned retries,
		       struct tfr_augment_geom *g, uint64_t *used, unsigned *attempts,
		       struct tfr_error *err)
{
	struct tfr_augment_geom first;
	unsigned t;
	int rc;

	rc = tfr_augment_geometry(a, src_w, src_h, rnd, &first, err);
	if (rc)
		return rc;
	*g = first;
	*used = rnd;
	if (attempts)
		*attempts = 1;
	if (!n || count_kept(&first, boxes, n, min_visible))
		return TFR_OK;
	for (t = 1; t <= retries; t++) {
		/* A distinct stream per attempt; attempt 0 is rnd itself. */
		uint64_t r = tfr_mix64(rnd ^ (UINT64_C(0x7265747279000000) + t));

		rc = tfr_augment_geometry(a, src_w, src_h, r, g, err);
		if (rc)
			return rc;
		if (attempts)
			*attempts = t + 1;
		if (count_kept(g, boxes, n, min_visible)) {
			*used = r;
			return TFR_OK;
		}
	}
	*g = first;
	*used = rnd;
	return TFR_OK;
}
