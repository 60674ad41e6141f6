/*
 * augment.c - resize, crop, flip, normalize, convert; see augment.h.
 *
 * Resizing is separable.  For each output row, a vertical pass blends
 * the source rows under its taps (8-bit pixels in, floats out), then a
 * horizontal pass filters that one row, and the result is normalized,
 * flipped, laid out and converted to the stored dtype straight into the
 * caller's buffer.  The filter is a triangle widened by the scale factor
 * when shrinking, i.e. bilinear with antialiasing, the filter of
 * tf.image.resize(..., antialias=True) and Pillow's BILINEAR.  Only the
 * rows and columns inside the crop window are computed, so resize+crop
 * costs what the crop needs, and no whole-image float buffer exists.
 *
 * The two passes run through a kernel table: portable C here, AVX2 in
 * x86/resize_avx2.c, picked once at run time as cpu.h describes.  Both
 * do the same IEEE multiply then add per element, in the same order (C11
 * mode: no FMA contraction), so their bits are identical; unit-augment
 * checks it.
 */
#include "config.h"
#include "base/buf.h"
#include "pixels/augment.h"
#include "base/cpu.h"
#include "pixels/f16.h"
#include "base/rng.h"
#ifdef TFR_X86
#include "x86/impl.h"
#endif

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

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

/* Saturates: a double at or past 2^32 is undefined behaviour to convert
 * (C11 6.3.1.4), and --resize-short 65535 on a 100000x1 image gets there. */
static uint32_t round_dim(double v)
{
	double r = floor(v + 0.5);

	if (!(r >= 1))
		return 1;
	return r >= (double)UINT32_MAX ? UINT32_MAX : (uint32_t)r;
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

	*ow = *oh = 0; /* defined even on failure */
	tfr_augment_resized(a, sw, sh, &rw, &rh);
	/* The resize kernels index the resized grid with int32_t. */
	if (rw > INT32_MAX || rh > INT32_MAX)
		return tfr_error_set(err, TFR_ERR_LIMIT,
				     "image of %ux%u would be resized to %ux%u, past the "
				     "2^31-1 pixels a side may have", sw, sh, rw, rh);
	if (a->crop_w) {
		/* The random resized crop scales any window to the crop. */
		if (!a->rrc && (a->crop_w > rw || a->crop_h > rh))
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
	return tfr_augment_check_size(a, *ow, *oh, err);
}

int tfr_augment_check_size(const struct tfr_augment *a, uint32_t ow, uint32_t oh,
			   struct tfr_error *err)
{
	/* In 128 bits: 2^32 x 2^32 x 3 x 4 does not fit in 64. */
	unsigned __int128 n = (unsigned __int128)ow * oh * a->channels *
			      tfr_dtype_size(a->dtype);

	if (n <= TFR_MAX_TENSOR_BYTES)
		return TFR_OK;
	return tfr_error_set(err, TFR_ERR_LIMIT,
			     "a %ux%u output is a tensor of %.1f GiB, past the limit of "
			     "%llu MiB that keeps a record within 1 GiB", ow, oh,
			     (double)n / (1 << 30),
			     (unsigned long long)(TFR_MAX_TENSOR_BYTES >> 20));
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
	free(s->idx);
	free(s->w);
	free(s->rows);
	free(s->stage);
	free(s->win);
	memset(s, 0, sizeof(*s));
}

/*
 * Filter taps for output positions [first, first+count) of a resize of
 * "in" samples by scale (input samples per output sample), the output
 * grid shifted by off input samples: start[i], and ntaps weights at
 * w[i*ntaps].  Pixel centres are at +0.5 on both grids, so a resize maps
 * the edges of the extent onto each other (augment.h, "Geometry").  off
 * is 0 except for the random resized crop; adding 0.0 leaves the centres'
 * bits unchanged.
 */
static void taps(uint32_t in, double scale, double off, uint32_t first, uint32_t count,
		 int32_t *start, int32_t *len, float *w, int ntaps)
{
	double fs = scale > 1 ? scale : 1;
	double support = fs; /* triangle radius 1, widened when shrinking */
	uint32_t i;

	for (i = 0; i < count; i++) {
		double center = (first + i + 0.5) * scale + off;
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
 * Taps of uneven count are padded to the largest count with zero weights
 * (after, or before where the end would pass the edge), so the
 * horizontal kernel runs a fixed number of taps.  The padded terms add
 * w * x = +0 to a sum of non-negative terms: the result is unchanged.
 */
static int pad_taps(uint32_t in, uint32_t count, int32_t *start, int32_t *len,
		    float *w, int stride)
{
	uint32_t i;
	int n = 1, k;

	for (i = 0; i < count; i++)
		n = len[i] > n ? len[i] : n;
	for (i = 0; i < count; i++) {
		float *wi = w + (size_t)i * stride;
		int have = len[i];
		/* n <= in: no tap set is longer than the input. */
		int32_t from = (uint32_t)start[i] + (uint32_t)n > in ? (int32_t)in - n : start[i];
		int off = start[i] - from;

		if (have == n)
			continue;
		memmove(wi + off, wi, (size_t)have * sizeof(float));
		for (k = 0; k < off; k++)
			wi[k] = 0;
		for (k = off + have; k < n; k++)
			wi[k] = 0;
		start[i] = from;
		len[i] = n;
	}
	return n;
}

/*
 * The portable kernels.  vfilter: dst[i] = sum over k < n of
 * w[k] * rows[k][i], for i < len.  hfilter: output pixel x of c channels
 * is the sum over k < ntaps of w[x * stride + k] times source pixel
 * start[x] + k, then * mul[ch] + add[ch].  Sums start from the first
 * product and add the others in tap order.  hfilter3 is hfilter for three
 * channels; the AVX2 twin reads the weights from wpair, the same values
 * laid out per pair of pixels (see compute_window).
 */
static void vfilter_portable(float *restrict dst, const unsigned char *const *rows,
			     const float *w, int n, size_t len)
{
	size_t i;
	int k;

	for (i = 0; i < len; i++) {
		float acc = w[0] * (float)rows[0][i];

		for (k = 1; k < n; k++)
			acc += w[k] * (float)rows[k][i];
		dst[i] = acc;
	}
}

static void hfilter_portable(float *restrict dst, const float *restrict src,
			     const int32_t *start, const float *w, int ntaps,
			     int stride, uint32_t count, uint32_t c,
			     const float mul[3], const float add[3])
{
	uint32_t x, ch;
	int k;

	for (x = 0; x < count; x++) {
		const float *p = src + (size_t)start[x] * c;
		const float *wx = w + (size_t)x * stride;

		for (ch = 0; ch < c; ch++) {
			float acc = wx[0] * p[ch];

			for (k = 1; k < ntaps; k++)
				acc += wx[k] * p[(size_t)k * c + ch];
			dst[(size_t)x * c + ch] = acc * mul[ch] + add[ch];
		}
	}
}

static void hfilter3_portable(float *restrict dst, const float *restrict src,
			      const int32_t *start, const float *w,
			      const float *wpair, int ntaps, int stride,
			      uint32_t count, const float mul[3], const float add[3])
{
	(void)wpair; /* the vector kernel's copy of w */
	hfilter_portable(dst, src, start, w, ntaps, stride, count, 3, mul, add);
}

struct kernels {
	void (*vfilter)(float *restrict, const unsigned char *const *, const float *,
			int, size_t);
	void (*hfilter3)(float *restrict, const float *restrict, const int32_t *,
			 const float *, const float *, int, int, uint32_t,
			 const float *, const float *);
};

/* The dispatch of cpu.h: a table of kernels, chosen once. */
static const struct kernels portable_kernels = { vfilter_portable, hfilter3_portable };
#ifdef TFR_X86
static const struct kernels avx2_kernels = { tfr_vfilter_avx2, tfr_hfilter3_avx2 };
#endif
static const struct kernels *kernels_impl;
static once_flag kernels_once = ONCE_FLAG_INIT;

static void resolve(void)
{
	kernels_impl = &portable_kernels;
#ifdef TFR_X86
	if (tfr_cpu_features() & TFR_CPU_AVX2)
		kernels_impl = &avx2_kernels;
#endif
}

/* The scratch's own switch is per caller (tests), never a global. */
static const struct kernels *kernels(const struct tfr_augment_scratch *s)
{
	call_once(&kernels_once, resolve);
	return s->portable ? &portable_kernels : kernels_impl;
}

/* n floats to the stored dtype at dst (any alignment), little-endian. */
static void store_row(enum tfr_dtype dt, unsigned char *dst, const float *src,
		      size_t n, unsigned char *stage)
{
	size_t i;

	switch (dt) {
	case TFR_DTYPE_FLOAT16: {
		uint16_t *h = (uint16_t *)(void *)stage; /* aligned scratch */

		tfr_f32_to_f16_array(h, src, n);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		for (i = 0; i < n; i++)
			h[i] = __builtin_bswap16(h[i]);
#endif
		memcpy(dst, h, 2 * n);
		break;
	}
	case TFR_DTYPE_FLOAT32:
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		for (i = 0; i < n; i++) {
			uint32_t b;

			memcpy(&b, &src[i], 4);
			b = __builtin_bswap32(b);
			memcpy(dst + 4 * i, &b, 4);
		}
#else
		memcpy(dst, src, 4 * n);
#endif
		break;
	case TFR_DTYPE_UINT8:
		for (i = 0; i < n; i++) {
			float val = src[i] + 0.5f;

			dst[i] = val <= 0 ? 0 : val >= 255 ? 255 : (unsigned char)val;
		}
		break;
	}
}

/* Everything about where the output window samples the frame. */
struct window {
	uint32_t rw, rh, cw, ch, x0, y0;
	int flip, ntx, nty;          /* tap strides */
	double scx, scy, offx, offy; /* frame samples per output sample, grid shift */
	int tx;                      /* taps per output column, padded */
	int32_t *sx, *sy, *nx, *ny;  /* first tap and tap count */
	int32_t *rel;                /* sx[i] - xlo */
	float *wx, *wy;
	float *wpair;                /* wx for tfr_hfilter3_avx2 */
	uint32_t xlo, xhi, ylo, yhi; /* frame region the taps read */
};

/* Uniform double in [0, 1) from 53 bits of r. */
static double unit_double(uint64_t r)
{
	return (double)(r >> 11) * (1.0 / 9007199254740992.0);
}

/*
 * The random resized crop (torchvision's RandomResizedCrop): up to ten
 * draws of an area fraction in [scale] and a log-uniform aspect ratio in
 * [ratio]; the first that fits is placed uniformly.  Otherwise the
 * largest centred window with the ratio clamped to the range.  Every draw
 * is a function of rnd only.
 */
static void rrc_window(const struct tfr_augment *a, uint32_t sw, uint32_t sh,
		       uint64_t rnd, uint32_t *px, uint32_t *py, uint32_t *pw, uint32_t *ph)
{
	double area = (double)sw * sh, lr0 = log(a->rrc_ratio[0]), lr1 = log(a->rrc_ratio[1]);
	double in_ratio = (double)sw / sh;
	int t;

	for (t = 0; t < 10; t++) {
		uint64_t r = tfr_mix64(rnd ^ (UINT64_C(0x100) + (uint64_t)t));
		double target = area * (a->rrc_scale[0] +
					(a->rrc_scale[1] - a->rrc_scale[0]) * unit_double(tfr_mix64(r ^ 1)));
		double ar = exp(lr0 + (lr1 - lr0) * unit_double(tfr_mix64(r ^ 2)));
		double w = floor(sqrt(target * ar) + 0.5), h = floor(sqrt(target / ar) + 0.5);

		if (w >= 1 && h >= 1 && w <= sw && h <= sh) {
			*pw = (uint32_t)w;
			*ph = (uint32_t)h;
			*px = (uint32_t)tfr_rand_below(tfr_mix64(r ^ 3), sw - *pw + 1);
			*py = (uint32_t)tfr_rand_below(tfr_mix64(r ^ 4), sh - *ph + 1);
			return;
		}
	}
	if (in_ratio < a->rrc_ratio[0]) {
		*pw = sw;
		*ph = round_dim(sw / a->rrc_ratio[0]);
	} else if (in_ratio > a->rrc_ratio[1]) {
		*ph = sh;
		*pw = round_dim(sh * a->rrc_ratio[1]);
	} else {
		*pw = sw;
		*ph = sh;
	}
	*pw = *pw > sw ? sw : *pw;
	*ph = *ph > sh ? sh : *ph;
	*px = (sw - *pw) / 2;
	*py = (sh - *ph) / 2;
}

int tfr_augment_geometry(const struct tfr_augment *a, uint32_t src_w, uint32_t src_h,
			 uint64_t rnd, struct tfr_augment_geom *g, struct tfr_error *err)
{
	int rc;

	memset(g, 0, sizeof(*g));
	if (!src_w || !src_h)
		return tfr_error_set(err, TFR_ERR_INVALID, "image of no pixels");
	rc = tfr_augment_shape(a, src_w, src_h, &g->ow, &g->oh, err);
	if (rc)
		return rc;
	if (a->rrc) {
		uint32_t px, py, pw, ph;

		rrc_window(a, src_w, src_h, rnd, &px, &py, &pw, &ph);
		g->rw = src_w;
		g->rh = src_h;
		g->x0 = px;
		g->y0 = py;
		g->cw = pw;
		g->ch = ph;
	} else {
		tfr_augment_resized(a, src_w, src_h, &g->rw, &g->rh);
		g->cw = g->ow;
		g->ch = g->oh;
		if (a->crop_w) {
			if (a->random_crop) {
				g->x0 = (uint32_t)tfr_rand_below(tfr_mix64(rnd ^ 1), g->rw - g->cw + 1);
				g->y0 = (uint32_t)tfr_rand_below(tfr_mix64(rnd ^ 2), g->rh - g->ch + 1);
			} else {
				g->x0 = (g->rw - g->cw) / 2;
				g->y0 = (g->rh - g->ch) / 2;
			}
		}
	}
	if (a->flip)
		g->flip = (int)(tfr_mix64(rnd ^ 3) >> 63);
	g->x = (double)g->x0 / g->rw;
	g->y = (double)g->y0 / g->rh;
	g->w = (double)g->cw / g->rw;
	g->h = (double)g->ch / g->rh;
	return TFR_OK;
}

static int compute_window(const struct tfr_augment *a, uint32_t src_w, uint32_t src_h,
			  uint32_t dw, uint32_t dh, uint64_t rnd,
			  struct tfr_augment_scratch *s, struct window *v,
			  struct tfr_error *err)
{
	struct tfr_augment_geom g;
	int rc;

	memset(v, 0, sizeof(*v));
	rc = tfr_augment_geometry(a, src_w, src_h, rnd, &g, err);
	if (rc)
		return rc;
	v->flip = g.flip;
	if (a->rrc) {
		/* The source window g.x0.. (in upright source pixels) resized
		 * to ow x oh; the frame may be DCT-scaled by dw / src_w.  Taps
		 * near the window's edge may read just outside it (the image
		 * is there), where torchvision crops first. */
		v->rw = g.ow;
		v->rh = g.oh;
		v->cw = g.ow;
		v->ch = g.oh;
		v->scx = (double)g.cw * dw / src_w / g.ow;
		v->scy = (double)g.ch * dh / src_h / g.oh;
		v->offx = (double)g.x0 * dw / src_w;
		v->offy = (double)g.y0 * dh / src_h;
	} else {
		v->rw = g.rw;
		v->rh = g.rh;
		v->cw = g.cw;
		v->ch = g.ch;
		v->x0 = g.x0;
		v->y0 = g.y0;
		v->scx = (double)dw / v->rw;
		v->scy = (double)dh / v->rh;
	}
	/* Taps for the crop window only: shrinking by s needs 2s+2. */
	{
		double scx = v->scx, scy = v->scy;

		v->ntx = (int)ceil(2 * (scx > 1 ? scx : 1)) + 2;
		v->nty = (int)ceil(2 * (scy > 1 ? scy : 1)) + 2;
	}
	if (tfr_grow((void **)&s->idx, &s->idx_cap, sizeof(int32_t) * (3 * (size_t)v->cw + 2 * v->ch)) ||
	    tfr_grow((void **)&s->w, &s->w_cap,
		 sizeof(float) * ((size_t)v->cw * v->ntx + (size_t)v->ch * v->nty +
				  8 * (((size_t)v->cw + 1) / 2) * v->ntx)))
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	v->sx = s->idx;
	v->sy = s->idx + v->cw;
	v->nx = s->idx + v->cw + v->ch;
	v->ny = v->nx + v->cw;
	v->rel = v->ny + v->ch;
	v->wx = s->w;
	v->wy = s->w + (size_t)v->cw * v->ntx;
	taps(dw, v->scx, v->offx, v->x0, v->cw, v->sx, v->nx, v->wx, v->ntx);
	taps(dh, v->scy, v->offy, v->y0, v->ch, v->sy, v->ny, v->wy, v->nty);
	v->tx = pad_taps(dw, v->cw, v->sx, v->nx, v->wx, v->ntx);
	/* The column weights again, laid out for the vector kernel: per pair
	 * of output pixels and tap, four copies of each pixel's weight. */
	v->wpair = v->wy + (size_t)v->ch * v->nty;
	{
		uint32_t x;
		int k, l;

		for (x = 0; x < v->cw; x++)
			for (k = 0; k < v->tx; k++)
				for (l = 0; l < 4; l++)
					v->wpair[((size_t)(x / 2) * v->tx + k) * 8 + (x % 2) * 4 + l] =
						v->wx[(size_t)x * v->ntx + k];
	}
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
	{
		uint32_t i;

		for (i = 0; i < v->cw; i++)
			v->rel[i] = v->sx[i] - (int32_t)v->xlo;
	}
	return TFR_OK;
}

/* The last window and what it was computed from: convert asks twice per
 * image (region, then run), and same-sized images ask for the same one. */
struct tfr_augment_window {
	int valid;
	enum tfr_resize resize;
	uint32_t resize_w, resize_h, resize_short, crop_w, crop_h;
	int random_crop, flip;
	int rrc;
	float rrc_scale[2], rrc_ratio[2];
	uint32_t src_w, src_h, dw, dh;
	uint64_t rnd;
	struct window v;
};

static int plan_window(const struct tfr_augment *a, uint32_t src_w, uint32_t src_h,
		       uint32_t dw, uint32_t dh, uint64_t rnd,
		       struct tfr_augment_scratch *s, struct window *v,
		       struct tfr_error *err)
{
	struct tfr_augment_window *c = s->win;
	int rc;

	if (!c) {
		c = s->win = calloc(1, sizeof(*c));
		if (!c)
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	}
	if (!(a->random_crop || a->flip || a->rrc))
		rnd = 0; /* the window does not depend on it */
	if (c->valid && c->resize == a->resize && c->resize_w == a->resize_w &&
	    c->resize_h == a->resize_h && c->resize_short == a->resize_short &&
	    c->crop_w == a->crop_w && c->crop_h == a->crop_h &&
	    c->random_crop == a->random_crop && c->flip == a->flip &&
	    c->rrc == a->rrc && !memcmp(c->rrc_scale, a->rrc_scale, sizeof(c->rrc_scale)) &&
	    !memcmp(c->rrc_ratio, a->rrc_ratio, sizeof(c->rrc_ratio)) &&
	    c->src_w == src_w && c->src_h == src_h && c->dw == dw && c->dh == dh &&
	    c->rnd == rnd) {
		*v = c->v;
		return TFR_OK;
	}
	c->valid = 0;
	rc = compute_window(a, src_w, src_h, dw, dh, rnd, s, v, err);
	if (rc)
		return rc;
	c->valid = 1;
	c->resize = a->resize;
	c->resize_w = a->resize_w;
	c->resize_h = a->resize_h;
	c->resize_short = a->resize_short;
	c->crop_w = a->crop_w;
	c->crop_h = a->crop_h;
	c->random_crop = a->random_crop;
	c->flip = a->flip;
	c->rrc = a->rrc;
	memcpy(c->rrc_scale, a->rrc_scale, sizeof(c->rrc_scale));
	memcpy(c->rrc_ratio, a->rrc_ratio, sizeof(c->rrc_ratio));
	c->src_w = src_w;
	c->src_h = src_h;
	c->dw = dw;
	c->dh = dh;
	c->rnd = rnd;
	c->v = *v;
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

/* One normalized output row (cw pixels of c floats) to its place in the
 * tensor: flipped if asked, interleaved (HWC) or one row per plane (CHW). */
static void emit_row(const struct tfr_augment *a, const struct window *v,
		     float *row, float *tmp, unsigned char *stage,
		     unsigned char *dst, uint32_t y)
{
	uint32_t c = a->channels, cw = v->cw, x, k;
	size_t es = tfr_dtype_size(a->dtype);

	if (v->flip)
		for (x = 0; x < cw / 2; x++)
			for (k = 0; k < c; k++) {
				float t = row[(size_t)x * c + k];

				row[(size_t)x * c + k] = row[(size_t)(cw - 1 - x) * c + k];
				row[(size_t)(cw - 1 - x) * c + k] = t;
			}
	if (a->layout == TFR_LAYOUT_HWC || c == 1) {
		store_row(a->dtype, dst + (size_t)y * cw * c * es, row, (size_t)cw * c, stage);
		return;
	}
	for (k = 0; k < c; k++) {
		for (x = 0; x < cw; x++)
			tmp[x] = row[(size_t)x * c + k];
		store_row(a->dtype, dst + ((size_t)k * v->ch + y) * cw * es, tmp, cw, stage);
	}
}

int tfr_augment_run_into(const struct tfr_augment *a, const struct tfr_image *img,
			 uint64_t rnd, struct tfr_augment_scratch *s,
			 unsigned char *dst, size_t cap, uint32_t *pow_,
			 uint32_t *poh, struct tfr_error *err)
{
	uint32_t c = a->channels, y;
	uint32_t dw = img->frame_width, dh = img->frame_height;
	const float one[3] = { 1, 1, 1 }, zero[3] = { 0, 0, 0 };
	const float *mul = a->mul, *add = a->add;
	const struct kernels *k = kernels(s);
	size_t span, rowlen, nbytes;
	int32_t *st;
	float *vrow, *hrow, *plane;
	struct window v;
	int rc;

	if (img->channels != c)
		return tfr_error_set(err, TFR_ERR_INVALID, "channel count mismatch");
	if (!dw || !dh) { /* a caller that filled in pixels only */
		dw = img->width;
		dh = img->height;
	}
	rc = plan_window(a, img->src_width, img->src_height, dw, dh, rnd, s, &v, err);
	if (rc)
		return rc;
	/* The decoded region must cover what the taps read. */
	if (v.xlo < img->roi_x || v.ylo < img->roi_y ||
	    v.xhi > img->roi_x + img->width || v.yhi > img->roi_y + img->height)
		return tfr_error_set(err, TFR_ERR_INVALID,
				     "decoded region does not cover the output window");
	if (a->dtype == TFR_DTYPE_UINT8) { /* stored as filtered, 0..255 */
		mul = one;
		add = zero;
	}
	span = (size_t)(v.xhi - v.xlo) * c;
	rowlen = (size_t)v.cw * c;
	/* Scratch: the vertically filtered span (+1 float: the 3-channel
	 * kernel reads four floats a pixel), the output row (+2: it stores
	 * eight floats for six), one plane row for CHW, the taps' row
	 * pointers, and the output row in its dtype. */
	if (tfr_grow((void **)&s->tmp, &s->tmp_cap,
		 sizeof(float) * (span + 1 + rowlen + 2 + v.cw)) ||
	    tfr_grow((void **)&s->rows, &s->rows_cap, sizeof(*s->rows) * (size_t)v.nty) ||
	    tfr_grow((void **)&s->stage, &s->stage_cap, 4 * rowlen))
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	vrow = s->tmp;
	hrow = vrow + span + 1;
	plane = hrow + rowlen + 2;
	vrow[span] = 0;
	st = v.rel;

	nbytes = rowlen * v.ch * tfr_dtype_size(a->dtype);
	if (nbytes != cap)
		return tfr_error_set(err, TFR_ERR_INVALID,
				     "tensor of %zu bytes for a space of %zu", nbytes, cap);
	for (y = 0; y < v.ch; y++) {
		const float *wt = v.wy + (size_t)y * v.nty;
		int kk, n = v.ny[y];

		for (kk = 0; kk < n; kk++)
			s->rows[kk] = img->pixels +
				      ((size_t)((uint32_t)v.sy[y] + (uint32_t)kk - img->roi_y) *
					       img->width + (v.xlo - img->roi_x)) * c;
		k->vfilter(vrow, s->rows, wt, n, span);
		if (c == 3)
			k->hfilter3(hrow, vrow, st, v.wx, v.wpair, v.tx, v.ntx, v.cw, mul, add);
		else
			hfilter_portable(hrow, vrow, st, v.wx, v.tx, v.ntx, v.cw, c, mul, add);
		emit_row(a, &v, hrow, plane, s->stage, dst, y);
	}
	*pow_ = v.cw;
	*poh = v.ch;
	return TFR_OK;
}

int tfr_augment_run(const struct tfr_augment *a, const struct tfr_image *img,
		    uint64_t rnd, struct tfr_augment_scratch *s,
		    struct tfr_buf *out, uint32_t *pow_, uint32_t *poh,
		    struct tfr_error *err)
{
	uint32_t ow, oh;
	size_t n;
	int rc;

	rc = tfr_augment_shape(a, img->src_width, img->src_height, &ow, &oh, err);
	if (rc)
		return rc;
	n = tfr_augment_bytes(a, ow, oh);
	rc = tfr_buf_reserve(out, n);
	if (rc)
		return tfr_error_set(err, rc, "tensor too large");
	rc = tfr_augment_run_into(a, img, rnd, s, out->data + out->len, n, pow_, poh, err);
	if (!rc)
		out->len += n;
	return rc;
}
