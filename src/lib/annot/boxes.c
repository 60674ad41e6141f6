/*
 * boxes.c - boxes through the augment geometry; see boxes.h.
 */
#include "config.h"
#include "base/buf.h"
#include "annot/boxes.h"
#include "annot/masks.h"
#include "base/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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
	/* A box that only touches the window, up to rounding, is outside:
	 * 1e-6 of the stored width is below a pixel for any stored size. */
	if (!(cx0 + 1e-6 < cx1 && cy0 + 1e-6 < cy1) || !(full > 0))
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

/* --- features in the TF Object Detection API's layout ------------------ */

#define KEY_OBJ "image/object/"
#define KEY_SEG "image/segmentation/class/encoded"

void tfr_boxes_scratch_release(struct tfr_boxes_scratch *s)
{
	if (!s)
		return;
	free(s->spec);
	free(s->val);
	free(s->bytes);
	tfr_buf_release(&s->png);
	free(s->box);
	free(s->mapped);
	free(s->keep);
	memset(s, 0, sizeof(*s));
}

static const struct tfr_feature_spec *find(const struct tfr_feature_spec *in, size_t n,
					   const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(in[i].key, key))
			return &in[i];
	return NULL;
}

static float float_at(const struct tfr_feature_spec *f, size_t i)
{
	float v;

	memcpy(&v, (const unsigned char *)f->floats + i * sizeof(float), sizeof(v));
	return v;
}

size_t tfr_boxes_of_features(const struct tfr_feature_spec *in, size_t n,
			     struct tfr_boxes_scratch *s, int *bad)
{
	const struct tfr_feature_spec *x0 = find(in, n, KEY_OBJ "bbox/xmin");
	const struct tfr_feature_spec *x1 = find(in, n, KEY_OBJ "bbox/xmax");
	const struct tfr_feature_spec *y0 = find(in, n, KEY_OBJ "bbox/ymin");
	const struct tfr_feature_spec *y1 = find(in, n, KEY_OBJ "bbox/ymax");
	size_t cnt, i, cap;

	*bad = 0;
	if (!x0 && !x1 && !y0 && !y1)
		return 0;
	if (!x0 || !x1 || !y0 || !y1) {
		*bad = 1; /* a box edge without the others cannot be moved */
		return 0;
	}
	cnt = x0->count;
	if (x1->count != cnt || y0->count != cnt || y1->count != cnt ||
	    x0->kind != TFR_FEATURE_FLOAT || x1->kind != TFR_FEATURE_FLOAT ||
	    y0->kind != TFR_FEATURE_FLOAT || y1->kind != TFR_FEATURE_FLOAT) {
		*bad = 1;
		return 0;
	}
	cap = s->box_cap;
	if (tfr_grow((void **)&s->box, &cap, (cnt + 1) * sizeof(struct tfr_box))) {
		*bad = -1;
		return 0;
	}
	cap = s->box_cap;
	if (tfr_grow((void **)&s->mapped, &cap, (cnt + 1) * sizeof(struct tfr_box))) {
		*bad = -1;
		return 0;
	}
	cap = s->box_cap;
	if (tfr_grow((void **)&s->keep, &cap, (cnt + 1) * sizeof(struct tfr_box))) {
		*bad = -1;
		return 0;
	}
	s->box_cap = cap;
	for (i = 0; i < cnt; i++) {
		s->box[i].xmin = float_at(x0, i);
		s->box[i].xmax = float_at(x1, i);
		s->box[i].ymin = float_at(y0, i);
		s->box[i].ymax = float_at(y1, i);
	}
	return cnt;
}

/*
 * Entries keep[0..nk) of bytes feature f into s->bytes[at..]: masks
 * checked against the src_w x src_h image, and warped through g when
 * warp; other bytes as they are.  Warped PNGs go to s->png, their views
 * holding lengths until the caller turns them into pointers.
 */
static int move_masks(const struct tfr_feature_spec *f, const size_t *keep, size_t nk,
		      const struct tfr_augment_geom *g, int warp, uint32_t src_w,
		      uint32_t src_h, int is_mask, struct tfr_boxes_scratch *s, size_t at,
		      struct tfr_error *err)
{
	size_t k;

	for (k = 0; k < nk; k++) {
		const struct tfr_bytes *b = &f->bytes[keep[k]];
		unsigned char *px = NULL, *dst;
		uint32_t mw, mh;
		size_t start = s->png.len;
		int rc;

		if (!is_mask) {
			s->bytes[at + k] = *b;
			continue;
		}
		if (tfr_mask_size(b->data, b->len, &mw, &mh))
			return tfr_error_set(err, TFR_ERR_FORMAT, "%s is not a PNG", f->key);
		if (src_w && (mw != src_w || mh != src_h)) /* 0: not known (sizing) */
			return tfr_error_set(err, TFR_ERR_FORMAT, "%s is %ux%u, the image %ux%u",
					     f->key, mw, mh, src_w, src_h);
		if (!warp) {
			s->bytes[at + k] = *b;
			continue;
		}
		rc = tfr_mask_decode(b->data, b->len, &px, &mw, &mh, err);
		if (rc)
			return rc;
		dst = malloc((size_t)g->ow * g->oh + 1);
		if (!dst) {
			free(px);
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		}
		tfr_mask_warp(px, mw, mh, g, dst);
		free(px);
		rc = tfr_mask_encode(dst, g->ow, g->oh, &s->png, err);
		free(dst);
		if (rc)
			return rc;
		/* A length for now; a pointer once s->png stops moving. */
		s->bytes[at + k].data = NULL;
		s->bytes[at + k].len = s->png.len - start;
	}
	return TFR_OK;
}

int tfr_boxes_features(const struct tfr_feature_spec *in, size_t n,
		       const struct tfr_augment_geom *g, double min_visible,
		       uint32_t src_w, uint32_t src_h, struct tfr_boxes_scratch *s,
		       const struct tfr_feature_spec **out, size_t *nout,
		       uint64_t *kept, uint64_t *dropped, struct tfr_error *err)
{
	size_t cnt, nk, i, k, vals = 0, nb = 0, bi = 0;
	struct tfr_augment_geom id;
	unsigned char *vp;
	double sx, sy;
	int bad;

	*kept = *dropped = 0;
	cnt = tfr_boxes_of_features(in, n, s, &bad);
	if (bad < 0)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	if (bad)
		return tfr_error_set(err, TFR_ERR_FORMAT, "the image/object/bbox lists are incomplete, "
				     "or differ in length or type");
	if (!g) {
		memset(&id, 0, sizeof(id));
		id.w = id.h = 1;
		id.ow = src_w;
		id.oh = src_h;
		id.rw = src_w;
		id.rh = src_h;
		id.cw = src_w;
		id.ch = src_h;
	}
	nk = g ? tfr_boxes_map(g, s->box, cnt, min_visible, s->mapped, s->keep) : cnt;
	if (!g)
		for (i = 0; i < cnt; i++) {
			s->mapped[i] = s->box[i];
			s->keep[i] = i;
		}
	*kept = nk;
	*dropped = cnt - nk;
	if (!g)
		g = &id;
	/* Stored pixels per source pixel, for areas (sizing: any). */
	sx = src_w ? (double)g->ow / (g->w * src_w) : 1;
	sy = src_h ? (double)g->oh / (g->h * src_h) : 1;
	for (i = 0; i < n; i++)
		if (!strncmp(in[i].key, KEY_OBJ, strlen(KEY_OBJ)) && in[i].count == cnt && cnt) {
			vals += nk * 8;
			if (in[i].kind == TFR_FEATURE_BYTES)
				nb += nk;
		}
	{
		size_t cap = s->spec_cap;

		if (tfr_grow((void **)&s->spec, &cap, (n + 1) * sizeof(*s->spec)))
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		s->spec_cap = cap;
		cap = s->val_cap;
		if (tfr_grow((void **)&s->val, &cap, vals + 8))
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		s->val_cap = cap;
		cap = s->bytes_cap;
		if (tfr_grow((void **)&s->bytes, &cap, (nb + 2) * sizeof(*s->bytes)))
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		s->bytes_cap = cap;
	}
	s->png.len = 0;
	/* Masks first: their PNGs grow s->png, so byte views are set after. */
	vp = s->val;
	for (i = 0; i < n; i++) {
		const struct tfr_feature_spec *f = &in[i];
		struct tfr_feature_spec *o = &s->spec[i];

		*o = *f;
		if (strncmp(f->key, KEY_OBJ, strlen(KEY_OBJ)) || f->count != cnt || !cnt)
			continue;
		o->count = nk;
		if (f->kind == TFR_FEATURE_FLOAT) {
			float *d = (float *)(void *)vp;
			int which = !strcmp(f->key, KEY_OBJ "bbox/xmin") ? 0 :
				    !strcmp(f->key, KEY_OBJ "bbox/xmax") ? 1 :
				    !strcmp(f->key, KEY_OBJ "bbox/ymin") ? 2 :
				    !strcmp(f->key, KEY_OBJ "bbox/ymax") ? 3 :
				    !strcmp(f->key, KEY_OBJ "area") ? 4 : 5;

			for (k = 0; k < nk; k++) {
				const struct tfr_box *m = &s->mapped[k], *b = &s->box[s->keep[k]];
				double v = float_at(f, s->keep[k]);

				switch (which) {
				case 0: v = m->xmin; break;
				case 1: v = m->xmax; break;
				case 2: v = m->ymin; break;
				case 3: v = m->ymax; break;
				case 4: {
					double full = (b->xmax - b->xmin) * (b->ymax - b->ymin);
					double part = full > 0 ? (m->xmax - m->xmin) * (m->ymax - m->ymin) *
								 g->w * g->h / full : 1;

					if (v < 0)
						v = full * src_w * src_h;
					v = v * sx * sy * part;
					break;
				}
				default: break;
				}
				d[k] = (float)v;
			}
			o->floats = d;
			vp += nk * 8;
		} else if (f->kind == TFR_FEATURE_INT64) {
			int64_t *d = (int64_t *)(void *)vp;

			for (k = 0; k < nk; k++)
				memcpy(&d[k], (const unsigned char *)f->ints + s->keep[k] * 8, 8);
			o->ints = d;
			vp += nk * 8;
		} else if (f->kind == TFR_FEATURE_BYTES) {
			int rc = move_masks(f, s->keep, nk, g, g != &id, src_w, src_h,
					    !strcmp(f->key, KEY_OBJ "mask"), s, bi, err);

			if (rc)
				return rc;
			o->bytes = s->bytes + bi;
			bi += nk;
		}
	}
	/* A semantic mask (one PNG, not per object) moves the same way. */
	for (i = 0; i < n; i++) {
		const struct tfr_feature_spec *f = &in[i];
		size_t one = 0;
		int rc;

		if (strcmp(f->key, KEY_SEG) || f->kind != TFR_FEATURE_BYTES || f->count != 1)
			continue;
		if (bi + 1 > s->bytes_cap / sizeof(*s->bytes)) {
			size_t cap = s->bytes_cap;

			if (tfr_grow((void **)&s->bytes, &cap, (bi + 1) * sizeof(*s->bytes)))
				return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
			s->bytes_cap = cap;
		}
		rc = move_masks(f, &one, 1, g, g != &id, src_w, src_h, 1, s, bi, err);
		if (rc)
			return rc;
		s->spec[i].bytes = s->bytes + bi;
		bi++;
	}
	/* Warped masks: turn lengths into pointers into s->png. */
	{
		size_t at = 0;

		for (k = 0; k < bi; k++)
			if (!s->bytes[k].data && s->bytes[k].len) {
				s->bytes[k].data = s->png.data + at;
				at += s->bytes[k].len;
			}
	}
	*out = s->spec;
	*nout = n;
	return TFR_OK;
}
