/* masks.c - masks drawn, coded as PNG and moved; see masks.h. */
#include "config.h"
#include "annot/masks.h"
#include "image/image.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Even-odd fill of one polygon (n points at pt, in pixels) into px,
 * XOR-ed per polygon row span; spans of several polygons are OR-ed by
 * the caller through a scratch plane. */
static int fill_polygon(const float *pt, uint32_t n, uint32_t w, uint32_t h,
			unsigned char *px)
{
	double *xs = malloc((n ? n : 1) * sizeof(double));
	uint32_t y, i;

	if (!xs)
		return -1;
	for (y = 0; y < h; y++) {
		double cy = y + 0.5;
		size_t k = 0, j;

		for (i = 0; i < n; i++) {
			double x0 = pt[2 * i], y0 = pt[2 * i + 1];
			double x1 = pt[2 * ((i + 1) % n)], y1 = pt[2 * ((i + 1) % n) + 1];

			/* Half-open in y, so a vertex on the scanline counts once. */
			if ((y0 <= cy && cy < y1) || (y1 <= cy && cy < y0))
				xs[k++] = x0 + (cy - y0) * (x1 - x0) / (y1 - y0);
		}
		qsort(xs, k, sizeof(double), cmp_double);
		for (j = 0; j + 1 < k; j += 2) {
			/* Pixels whose centre x + 0.5 lies in [xs[j], xs[j+1]). */
			double a = ceil(xs[j] - 0.5), b = ceil(xs[j + 1] - 0.5);
			int64_t x, lo = a < 0 ? 0 : a > w ? w : (int64_t)a;
			int64_t hi = b < 0 ? 0 : b > w ? w : (int64_t)b;

			for (x = lo; x < hi; x++)
				px[(size_t)y * w + (size_t)x] = 1;
		}
	}
	free(xs);
	return 0;
}

int tfr_mask_draw(const struct tfr_annot_set *set, const struct tfr_annot_object *o,
		  uint32_t w, uint32_t h, unsigned char **pxp, struct tfr_error *err)
{
	unsigned char *px;
	uint32_t kind = TFR_SEG_NONE;
	struct tfr_buf rec;

	*pxp = NULL;
	if (!w || !h)
		return tfr_error_set(err, TFR_ERR_FORMAT,
				     "masks need the image size, which these annotations do not give");
	if ((uint64_t)w * h > TFR_MASK_MAX_PIXELS)
		return tfr_error_set(err, TFR_ERR_LIMIT, "a mask of %ux%u is above %llu pixels",
				     w, h, (unsigned long long)TFR_MASK_MAX_PIXELS);
	px = calloc((size_t)w * h, 1);
	if (!px)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	tfr_buf_init(&rec, 0);
	if (o->seg >= 0) {
		/* The record, from the spool (annot.h). */
		int rc = tfr_annot_seg_read(set, o->seg, &rec, err);

		if (rc) {
			free(px);
			tfr_buf_release(&rec);
			return rc;
		}
		memcpy(&kind, rec.data, 4);
	}
	if (kind == TFR_SEG_POLYGONS) {
		const unsigned char *p = rec.data;
		uint32_t np, k;
		size_t at = 8;

		memcpy(&np, p + 4, 4);
		for (k = 0; k < np; k++) {
			uint32_t cnt;
			float *pt;

			memcpy(&cnt, p + at, 4);
			at += 4;
			/* Copied out: the record is only 4-byte aligned inside. */
			pt = malloc(cnt ? (size_t)cnt * sizeof(float) : 1);
			if (!pt) {
				free(px);
				tfr_buf_release(&rec);
				return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
			}
			memcpy(pt, p + at, (size_t)cnt * sizeof(float));
			at += (size_t)cnt * sizeof(float);
			if (cnt >= 6 && fill_polygon(pt, cnt / 2, w, h, px)) {
				free(pt);
				free(px);
				tfr_buf_release(&rec);
				return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
			}
			free(pt);
		}
	} else if (kind == TFR_SEG_RLE) {
		const unsigned char *p = rec.data;
		uint32_t hw[3], i, v = 0;
		uint64_t pos = 0, total = (uint64_t)w * h;

		memcpy(hw, p + 4, 12);
		/* The parser checked the size against the image and the sum. */
		for (i = 0; i < hw[2] && pos < total; i++, v ^= 1) {
			uint32_t run;
			uint64_t e;

			memcpy(&run, p + 16 + 4 * (size_t)i, 4);
			e = pos + run > total ? total : pos + run;
			if (v)
				for (; pos < e; pos++)
					px[(size_t)(pos % h) * w + (size_t)(pos / h)] = 1;
			pos = e;
		}
	} else {
		double x0 = o->xmin * w, x1 = o->xmax * w, y0 = o->ymin * h, y1 = o->ymax * h;
		uint32_t x, y;

		for (y = 0; y < h; y++)
			for (x = 0; x < w; x++)
				if (x + 0.5 >= x0 && x + 0.5 < x1 && y + 0.5 >= y0 && y + 0.5 < y1)
					px[(size_t)y * w + x] = 1;
	}
	tfr_buf_release(&rec);
	*pxp = px;
	return TFR_OK;
}

int tfr_mask_encode(const unsigned char *px, uint32_t w, uint32_t h, struct tfr_buf *out,
		    struct tfr_error *err)
{
	struct tfr_error e;
	int rc = tfr_png_append(px, w, h, 1, out, &e);

	if (rc == TFR_ERR_FORMAT)
		return tfr_error_set(err, TFR_ERR_INVALID, "cannot encode a mask: %s", e.msg);
	if (rc)
		*err = e;
	return rc;
}

int tfr_mask_png(const struct tfr_annot_set *set, const struct tfr_annot_object *o,
		 uint32_t w, uint32_t h, struct tfr_buf *out, struct tfr_error *err)
{
	unsigned char *px;
	int rc = tfr_mask_draw(set, o, w, h, &px, err);

	if (rc)
		return rc;
	rc = tfr_mask_encode(px, w, h, out, err);
	free(px);
	return rc;
}

int tfr_mask_size(const void *data, size_t len, uint32_t *w, uint32_t *h)
{
	const unsigned char *p = data;

	if (len < 24 || memcmp(p, "\x89PNG\r\n\x1a\n", 8) || memcmp(p + 12, "IHDR", 4))
		return -1;
	*w = (uint32_t)p[16] << 24 | (uint32_t)p[17] << 16 | (uint32_t)p[18] << 8 | p[19];
	*h = (uint32_t)p[20] << 24 | (uint32_t)p[21] << 16 | (uint32_t)p[22] << 8 | p[23];
	return 0;
}

/* The stored values of a gray or palette PNG, as labels
 * (tfr_png_read_labels), with the messages masks have always given. */
int tfr_mask_decode(const void *data, size_t len, unsigned char **pxp, uint32_t *pw,
		    uint32_t *ph, struct tfr_error *err)
{
	uint32_t w, h;
	int rc;

	*pxp = NULL;
	if (tfr_mask_size(data, len, &w, &h))
		return tfr_error_set(err, TFR_ERR_FORMAT, "a mask is not a PNG");
	if (!w || !h || (uint64_t)w * h > TFR_MASK_MAX_PIXELS)
		return tfr_error_set(err, TFR_ERR_LIMIT, "a mask of %ux%u is above %llu pixels",
				     w, h, (unsigned long long)TFR_MASK_MAX_PIXELS);
	rc = tfr_png_read_labels(data, len, TFR_MASK_MAX_PIXELS, pxp, pw, ph, NULL);
	if (rc == TFR_ERR_UNSUPPORTED)
		return tfr_error_set(err, TFR_ERR_FORMAT, "a mask PNG is not gray or palette "
				     "(its values are labels)");
	if (rc == TFR_ERR_NOMEM)
		return tfr_error_set(err, rc, "out of memory");
	if (rc)
		return tfr_error_set(err, TFR_ERR_FORMAT, "a mask PNG cannot be decoded");
	return TFR_OK;
}

void tfr_mask_warp(const unsigned char *src, uint32_t sw, uint32_t sh,
		   const struct tfr_augment_geom *g, unsigned char *dst)
{
	uint32_t x, y;

	for (y = 0; y < g->oh; y++) {
		double v = g->y + (y + 0.5) / g->oh * g->h;
		int64_t sy = (int64_t)floor(v * sh);

		sy = sy < 0 ? 0 : sy >= (int64_t)sh ? (int64_t)sh - 1 : sy;
		for (x = 0; x < g->ow; x++) {
			uint32_t xx = g->flip ? g->ow - 1 - x : x;
			double u = g->x + (xx + 0.5) / g->ow * g->w;
			int64_t sx = (int64_t)floor(u * sw);

			sx = sx < 0 ? 0 : sx >= (int64_t)sw ? (int64_t)sw - 1 : sx;
			dst[(size_t)y * g->ow + x] = src[(size_t)sy * sw + (size_t)sx];
		}
	}
}
