/*
 * augment.c - resize, crop, flip, normalize, convert; see augment.h.
 *
 * Resizing is separable: a horizontal pass from 8-bit pixels into floats,
 * then a vertical pass.  The filter is a triangle widened by the scale
 * factor when shrinking, i.e. bilinear with antialiasing, the filter of
 * tf.image.resize(..., antialias=True) and Pillow's BILINEAR.  Only the
 * rows and columns inside the crop window are computed, so resize+crop
 * costs what the crop needs.
 */
#include "config.h"
#include "augment.h"
#include "cpu.h"
#include "f16.h"
#include "rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *tfr_dtype_name(enum tfr_dtype d)
{
	switch (d) {
	case TFR_DTYPE_FLOAT16: return "float16";
	case TFR_DTYPE_FLOAT32: return "float32";
	case TFR_DTYPE_UINT8: return "uint8";
	}
	return "?";
}

size_t tfr_dtype_size(enum tfr_dtype d)
{
	return d == TFR_DTYPE_FLOAT32 ? 4 : d == TFR_DTYPE_FLOAT16 ? 2 : 1;
}

void tfr_augment_set_norm(struct tfr_augment *a, const float mean[3],
			  const float std[3])
{
	int c;

	for (c = 0; c < 3; c++) {
		a->mul[c] = 1.0f / (255.0f * std[c]);
		a->add[c] = -mean[c] / std[c];
		a->mean[c] = mean[c];
		a->std[c] = std[c];
	}
}

void tfr_augment_set_identity(struct tfr_augment *a)
{
	int c;

	for (c = 0; c < 3; c++) {
		a->mul[c] = 1.0f;
		a->add[c] = 0.0f;
		a->mean[c] = 0.0f;
		a->std[c] = 1.0f / 255.0f;
	}
}

static uint32_t round_dim(double v)
{
	double r = floor(v + 0.5);

	return r < 1 ? 1 : (uint32_t)r;
}

void tfr_augment_resized(const struct tfr_augment *a, uint32_t sw, uint32_t sh,
			 uint32_t *rw, uint32_t *rh)
{
	switch (a->resize) {
	case TFR_RESIZE_EXACT:
		*rw = a->resize_w;
		*rh = a->resize_h;
		return;
	case TFR_RESIZE_SHORT:
		if (sw <= sh) {
			*rw = a->resize_short;
			*rh = round_dim((double)sh * a->resize_short / sw);
		} else {
			*rh = a->resize_short;
			*rw = round_dim((double)sw * a->resize_short / sh);
		}
		return;
	case TFR_RESIZE_NONE:
		break;
	}
	*rw = sw;
	*rh = sh;
}

int tfr_augment_shape(const struct tfr_augment *a, uint32_t sw, uint32_t sh,
		      uint32_t *ow, uint32_t *oh, struct tfr_error *err)
{
	uint32_t rw, rh;

	tfr_augment_resized(a, sw, sh, &rw, &rh);
	if (a->crop_w) {
		if (a->crop_w > rw || a->crop_h > rh)
			return tfr_error_set(err, TFR_ERR_FORMAT,
					     "image of %ux%u (%ux%u after resizing) is smaller "
					     "than the %ux%u crop", sw, sh, rw, rh,
					     a->crop_w, a->crop_h);
		*ow = a->crop_w;
		*oh = a->crop_h;
	} else {
		*ow = rw;
		*oh = rh;
	}
	return TFR_OK;
}

int tfr_augment_fixed_shape(const struct tfr_augment *a, uint32_t *ow, uint32_t *oh)
{
	if (a->crop_w) {
		*ow = a->crop_w;
		*oh = a->crop_h;
		return 1;
	}
	if (a->resize == TFR_RESIZE_EXACT) {
		*ow = a->resize_w;
		*oh = a->resize_h;
		return 1;
	}
	return 0;
}

size_t tfr_augment_bytes(const struct tfr_augment *a, uint32_t ow, uint32_t oh)
{
	return (size_t)ow * oh * a->channels * tfr_dtype_size(a->dtype);
}

void tfr_augment_scratch_release(struct tfr_augment_scratch *s)
{
	if (!s)
		return;
	free(s->tmp);
	free(s->out);
	free(s->idx);
	free(s->w);
	free(s->h16);
	memset(s, 0, sizeof(*s));
}

static int grow(void **p, size_t *cap, size_t need)
{
	void *q;

	if (need <= *cap)
		return 0;
	q = realloc(*p, need);
	if (!q)
		return -1;
	*p = q;
	*cap = need;
	return 0;
}

/*
 * Filter taps for output positions [first, first+count) of an in -> out
 * resize: start[i], and ntaps weights at w[i*ntaps].  The output grid is
 * "out" samples over the same extent as "in" (pixel centres at +0.5).
 */
static void taps(uint32_t in, uint32_t out, uint32_t first, uint32_t count,
		 int32_t *start, int32_t *len, float *w, int ntaps)
{
	double scale = (double)in / out;
	double fs = scale > 1 ? scale : 1;
	double support = fs; /* triangle radius 1, widened when shrinking */
	uint32_t i;

	for (i = 0; i < count; i++) {
		double center = (first + i + 0.5) * scale;
		int lo = (int)floor(center - support), hi = (int)ceil(center + support);
		float *wi = w + (size_t)i * ntaps;
		double sum = 0;
		int k, n;

		if (lo < 0)
			lo = 0;
		if (hi > (int)in)
			hi = (int)in;
		/* Drop taps whose weight is zero at either end. */
		while (lo < hi && fabs((lo + 0.5 - center) / fs) >= 1)
			lo++;
		while (hi > lo && fabs((hi - 1 + 0.5 - center) / fs) >= 1)
			hi--;
		n = hi - lo;
		if (n > ntaps)
			n = ntaps;
		if (n <= 0) { /* cannot happen for in >= 1; be safe */
			lo = (int)(center < in ? center : in - 1);
			n = 1;
			wi[0] = 1.0f;
		} else {
			/* Weights summed in double, stored as float after
			 * normalising, so that each set sums to 1. */
			for (k = 0; k < n; k++)
				sum += 1 - fabs((lo + k + 0.5 - center) / fs);
			for (k = 0; k < n; k++)
				wi[k] = (float)((1 - fabs((lo + k + 0.5 - center) / fs)) / sum);
		}
		start[i] = lo;
		len[i] = n;
	}
}

/*
 * Vector types through GCC/Clang vector extensions: -O2 builds use SIMD
 * registers on any target (lowered to scalar code where there are none),
 * with the same multiply-add per element as the scalar tails.
 */
typedef float v4f __attribute__((vector_size(16)));

typedef float v8f __attribute__((vector_size(32)));

#define KERNEL_ATTR
#define KNAME(f) f##_portable
#include "augment-kernels.h"
#undef KERNEL_ATTR
#undef KNAME
#ifdef TFR_X86
#define KERNEL_ATTR __attribute__((target("avx2")))
#define KNAME(f) f##_avx2
#include "augment-kernels.h"
#undef KERNEL_ATTR
#undef KNAME
#endif

struct kernels {
	void (*axpy)(float *restrict, const float *restrict, float, size_t);
	void (*u8_to_float)(float *restrict, const unsigned char *restrict, size_t);
	void (*hfilter)(float *restrict, const float *restrict, const int32_t *,
			const int32_t *, const float *, int, uint32_t, uint32_t, uint32_t);
};

static const struct kernels *kernels(void)
{
	static const struct kernels portable = {
		axpy_portable, u8_to_float_portable, hfilter_portable
	};
#ifdef TFR_X86
	static const struct kernels avx2 = {
		axpy_avx2, u8_to_float_avx2, hfilter_avx2
	};

	if (tfr_cpu_features() & TFR_CPU_AVX2)
		return &avx2;
#endif
	return &portable;
}

/* Normalize one filtered output row and store it in layout order. */
static void post_row(const struct tfr_augment *a, const float *acc, float *out,
		     uint32_t y, uint32_t cw, uint32_t ch, int flip)
{
	uint32_t c = a->channels, x, k;
	int norm = a->dtype != TFR_DTYPE_UINT8;

	if (a->layout == TFR_LAYOUT_HWC && !flip) {
		float *o = out + (size_t)y * cw * c;
		size_t i, n = (size_t)cw * c;

		if (!norm) {
			memcpy(o, acc, n * sizeof(float));
		} else if (c == 3) {
			for (i = 0; i < n; i += 3) {
				o[i] = acc[i] * a->mul[0] + a->add[0];
				o[i + 1] = acc[i + 1] * a->mul[1] + a->add[1];
				o[i + 2] = acc[i + 2] * a->mul[2] + a->add[2];
			}
		} else {
			for (i = 0; i < n; i++)
				o[i] = acc[i] * a->mul[0] + a->add[0];
		}
		return;
	}
	for (x = 0; x < cw; x++) {
		uint32_t ox = flip ? cw - 1 - x : x;

		for (k = 0; k < c; k++) {
			float val = acc[(size_t)x * c + k];
			size_t o;

			if (norm)
				val = val * a->mul[k] + a->add[k];
			o = a->layout == TFR_LAYOUT_HWC
				    ? ((size_t)y * cw + ox) * c + k
				    : ((size_t)k * ch + y) * cw + ox;
			out[o] = val;
		}
	}
}

/* Everything about where the output window samples the frame. */
struct window {
	uint32_t rw, rh, cw, ch, x0, y0;
	int flip, ntx, nty;
	int32_t *sx, *sy, *nx, *ny;  /* first tap and tap count */
	float *wx, *wy;
	uint32_t xlo, xhi, ylo, yhi; /* frame region the taps read */
};

static int plan_window(const struct tfr_augment *a, uint32_t src_w, uint32_t src_h,
		       uint32_t dw, uint32_t dh, uint64_t rnd,
		       struct tfr_augment_scratch *s, struct window *v,
		       struct tfr_error *err)
{
	int rc;

	memset(v, 0, sizeof(*v));
	rc = tfr_augment_shape(a, src_w, src_h, &v->cw, &v->ch, err);
	if (rc)
		return rc;
	tfr_augment_resized(a, src_w, src_h, &v->rw, &v->rh);
	if (a->crop_w) {
		if (a->random_crop) {
			v->x0 = (uint32_t)tfr_rand_below(tfr_mix64(rnd ^ 1), v->rw - v->cw + 1);
			v->y0 = (uint32_t)tfr_rand_below(tfr_mix64(rnd ^ 2), v->rh - v->ch + 1);
		} else {
			v->x0 = (v->rw - v->cw) / 2;
			v->y0 = (v->rh - v->ch) / 2;
		}
	}
	if (a->flip)
		v->flip = (int)(tfr_mix64(rnd ^ 3) >> 63);
	/* Taps for the crop window only: shrinking by s needs 2s+2. */
	{
		double scx = (double)dw / v->rw, scy = (double)dh / v->rh;

		v->ntx = (int)ceil(2 * (scx > 1 ? scx : 1)) + 2;
		v->nty = (int)ceil(2 * (scy > 1 ? scy : 1)) + 2;
	}
	if (grow((void **)&s->idx, &s->idx_cap, 2 * sizeof(int32_t) * (v->cw + v->ch)) ||
	    grow((void **)&s->w, &s->w_cap,
		 sizeof(float) * ((size_t)v->cw * v->ntx + (size_t)v->ch * v->nty)))
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	v->sx = s->idx;
	v->sy = s->idx + v->cw;
	v->nx = s->idx + v->cw + v->ch;
	v->ny = v->nx + v->cw;
	v->wx = s->w;
	v->wy = s->w + (size_t)v->cw * v->ntx;
	taps(dw, v->rw, v->x0, v->cw, v->sx, v->nx, v->wx, v->ntx);
	taps(dh, v->rh, v->y0, v->ch, v->sy, v->ny, v->wy, v->nty);
	/* Tap starts grow with the output position, and so do tap ends
	 * (centre + radius is monotonic); take the extremes anyway. */
	{
		uint32_t i, lo = UINT32_MAX, hi = 0;

		for (i = 0; i < v->cw; i++) {
			lo = (uint32_t)v->sx[i] < lo ? (uint32_t)v->sx[i] : lo;
			hi = (uint32_t)(v->sx[i] + v->nx[i]) > hi ? (uint32_t)(v->sx[i] + v->nx[i]) : hi;
		}
		v->xlo = lo;
		v->xhi = hi;
		lo = UINT32_MAX;
		hi = 0;
		for (i = 0; i < v->ch; i++) {
			lo = (uint32_t)v->sy[i] < lo ? (uint32_t)v->sy[i] : lo;
			hi = (uint32_t)(v->sy[i] + v->ny[i]) > hi ? (uint32_t)(v->sy[i] + v->ny[i]) : hi;
		}
		v->ylo = lo;
		v->yhi = hi;
	}
	return TFR_OK;
}

int tfr_augment_region(const struct tfr_augment *a, uint32_t src_w, uint32_t src_h,
		       uint32_t frame_w, uint32_t frame_h, uint64_t rnd,
		       struct tfr_augment_scratch *s, uint32_t *x, uint32_t *y,
		       uint32_t *w, uint32_t *h, struct tfr_error *err)
{
	struct window v;
	int rc = plan_window(a, src_w, src_h, frame_w, frame_h, rnd, s, &v, err);

	if (rc)
		return rc;
	*x = v.xlo;
	*y = v.ylo;
	*w = v.xhi - v.xlo;
	*h = v.yhi - v.ylo;
	return TFR_OK;
}

int tfr_augment_run(const struct tfr_augment *a, const struct tfr_image *img,
		    uint64_t rnd, struct tfr_augment_scratch *s,
		    struct tfr_buf *out, uint32_t *pow_, uint32_t *poh,
		    struct tfr_error *err)
{
	uint32_t cw, ch, c = a->channels, y;
	uint32_t dw = img->frame_width, dh = img->frame_height;
	int ntx, nty, flip, rc;
	int32_t *sx, *sy;
	float *wx, *wy;
	uint32_t xlo, xhi;
	size_t n, i, span, rowlen;
	struct window v;
	const struct kernels *k = kernels();

	if (img->channels != c)
		return tfr_error_set(err, TFR_ERR_INVALID, "channel count mismatch");
	if (!dw || !dh) { /* a caller that filled in pixels only */
		dw = img->width;
		dh = img->height;
	}
	rc = plan_window(a, img->src_width, img->src_height, dw, dh, rnd, s, &v, err);
	if (rc)
		return rc;
	cw = v.cw;
	ch = v.ch;
	flip = v.flip;
	ntx = v.ntx;
	nty = v.nty;
	sx = v.sx;
	sy = v.sy;
	wx = v.wx;
	wy = v.wy;
	/* The decoded region must cover what the taps read. */
	if (v.xlo < img->roi_x || v.ylo < img->roi_y ||
	    v.xhi > img->roi_x + img->width || v.yhi > img->roi_y + img->height)
		return tfr_error_set(err, TFR_ERR_INVALID,
				     "decoded region does not cover the output window");
	/* Source columns the window needs. */
	xlo = v.xlo;
	xhi = v.xhi;
	span = (size_t)(xhi - xlo) * c;
	rowlen = (size_t)cw * c;
	/* Scratch: a float copy of one source row (padded for 4-wide
	 * loads), a ring of nty horizontally filtered rows, one output row,
	 * and the output tensor in floats. */
	if (grow((void **)&s->tmp, &s->tmp_cap,
		 sizeof(float) * (span + 4 + (size_t)nty * rowlen + rowlen + 4)) ||
	    grow((void **)&s->out, &s->out_cap, sizeof(float) * (size_t)cw * ch * c))
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	{
		float *src = s->tmp, *ring = s->tmp + span + 4;
		float *acc = ring + (size_t)nty * rowlen;
		uint32_t next_row = v.ylo, R = (uint32_t)nty;

		memset(src + span, 0, 4 * sizeof(float));
		for (y = 0; y < ch; y++) {
			const float *wt = wy + (size_t)y * nty;
			uint32_t r0 = (uint32_t)sy[y], r1 = r0 + (uint32_t)v.ny[y];
			int kk;

			/* Horizontal filter of every source row this output row
			 * needs and no earlier one produced.  Tap windows move
			 * forward with y, so a ring of nty rows holds them. */
			for (; next_row < r1; next_row++) {
				float *dst = ring + (size_t)(next_row % R) * rowlen;

				k->u8_to_float(src, img->pixels +
					    ((size_t)(next_row - img->roi_y) * img->width +
					     (xlo - img->roi_x)) * c, span);
				k->hfilter(dst, src, sx, v.nx, wx, ntx, cw, c, xlo);
			}
			if (r0 + R < next_row)
				return tfr_error_set(err, TFR_ERR_INVALID, "resize taps out of order");
			/* Vertical: a weighted sum of whole filtered rows. */
			memset(acc, 0, rowlen * sizeof(float));
			for (kk = 0; kk < v.ny[y]; kk++)
				k->axpy(acc, ring + (size_t)((r0 + (uint32_t)kk) % R) * rowlen,
				     wt[kk], rowlen);
			/* Flip, normalize and lay out. */
			post_row(a, acc, s->out, y, cw, ch, flip);
		}
	}

	/* Convert to the stored dtype, little-endian. */
	n = (size_t)cw * ch * c;
	rc = tfr_buf_reserve(out, n * tfr_dtype_size(a->dtype));
	if (rc)
		return tfr_error_set(err, rc, "tensor too large");
	switch (a->dtype) {
	case TFR_DTYPE_FLOAT16: {
		uint16_t *h;

		if (grow((void **)&s->h16, &s->h16_cap, 2 * n))
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		h = s->h16;
		tfr_f32_to_f16_array(h, s->out, n);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		for (i = 0; i < n; i++)
			h[i] = __builtin_bswap16(h[i]);
#endif
		memcpy(out->data + out->len, h, 2 * n);
		break;
	}
	case TFR_DTYPE_FLOAT32:
		for (i = 0; i < n; i++) {
			uint32_t b;

			memcpy(&b, &s->out[i], 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
			b = __builtin_bswap32(b);
#endif
			memcpy(out->data + out->len + 4 * i, &b, 4);
		}
		break;
	case TFR_DTYPE_UINT8:
		for (i = 0; i < n; i++) {
			float val = s->out[i] + 0.5f;

			out->data[out->len + i] = val <= 0 ? 0 : val >= 255 ? 255 : (unsigned char)val;
		}
		break;
	}
	out->len += n * tfr_dtype_size(a->dtype);
	*pow_ = cw;
	*poh = ch;
	return TFR_OK;
}
