/*
 * hygiene/fingerprint.c - exact key and Zauner DCT hash (see the header
 * for the definitions, the citation and the blind spots).
 *
 * Hand-written: Debian ships no C library for perceptual hashes that fits
 * (libphash is not in Debian's main archive and would decode the image a
 * second time through CImg); the hash is 60 lines over our own decode.
 */
#include "config.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/sha2.h>

#include "hygiene/fingerprint.h"

#define S TFR_FP_SIDE
#define L TFR_FP_LOW
#define FP_PI 3.14159265358979323846

/*
 * Area weights for reducing n samples to S: output o covers the source
 * interval [o*n/S, (o+1)*n/S), and source sample i weighs the length of
 * its overlap with it, divided by the interval's length.  Exact area
 * averaging (not nearest boxes) keeps a 0.3x copy, whose 1/8 decode is
 * only ~48 px wide, close to the original's reduction.
 * first[o], cnt[o] give the source range; w[o*maxc + k] the weights.
 */
static int area_weights(uint32_t n, uint32_t *first, uint32_t *cnt,
			double **w, uint32_t *maxc)
{
	uint32_t o, k, m = n / S + 2;
	double span = (double)n / S;

	*maxc = m;
	*w = calloc((size_t)S * m, sizeof **w);
	if (!*w)
		return TFR_ERR_NOMEM;
	for (o = 0; o < S; o++) {
		double a = o * span, b = (o + 1) * span;
		uint32_t i0 = (uint32_t)floor(a), i1 = (uint32_t)ceil(b);

		if (i1 > n)
			i1 = n;
		if (i1 <= i0)
			i1 = i0 + 1;
		if (i1 - i0 > m)
			i1 = i0 + m;
		first[o] = i0;
		cnt[o] = i1 - i0;
		for (k = 0; k < i1 - i0; k++) {
			double lo = i0 + k > a ? i0 + k : a;
			double hi = i0 + k + 1 < b ? i0 + k + 1 : b;

			(*w)[o * m + k] = (hi - lo) / span;
		}
	}
	return TFR_OK;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

int tfr_fp_pixels(const unsigned char *px, uint32_t w, uint32_t h,
		  uint32_t channels, uint32_t src_w, uint32_t src_h,
		  struct tfr_fp *out, struct tfr_error *err)
{
	uint32_t fx[S], cx[S], fy[S], cy[S], mx, my, x, y, o, k, u, v;
	double *wx = NULL, *wy = NULL, *rows = NULL;
	double grid[S][S], low[L][L], tmp[L][S], sorted[L * L], med;
	double cosv[L][S];
	struct sha256_ctx sha;
	unsigned char hdr[20], dig[SHA256_DIGEST_SIZE];
	uint64_t bits = 0, key = 0;
	int rc;

	if (!px || !w || !h || (channels != 1 && channels != 3))
		return tfr_error_set(err, TFR_ERR_INVALID,
				     "fingerprint: empty image or bad channels");
	if ((rc = area_weights(w, fx, cx, &wx, &mx)) ||
	    (rc = area_weights(h, fy, cy, &wy, &my)))
		goto nomem;
	/* Horizontal pass: every source row to S grey samples. */
	rows = malloc((size_t)h * S * sizeof *rows);
	if (!rows) {
		rc = TFR_ERR_NOMEM;
		goto nomem;
	}
	for (y = 0; y < h; y++) {
		const unsigned char *r = px + (size_t)y * w * channels;

		for (o = 0; o < S; o++) {
			double s = 0;

			for (k = 0; k < cx[o]; k++) {
				const unsigned char *p = r + (size_t)(fx[o] + k) * channels;
				/* BT.601 luma, as libjpeg's grey output. */
				double g = channels == 3
					? 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]
					: p[0];

				s += g * wx[o * mx + k];
			}
			rows[(size_t)y * S + o] = s;
		}
	}
	for (o = 0; o < S; o++)
		for (x = 0; x < S; x++) {
			double s = 0;

			for (k = 0; k < cy[o]; k++)
				s += rows[(size_t)(fy[o] + k) * S + x] * wy[o * my + k];
			grid[o][x] = s;
		}
	/* DCT-II, frequencies 1..L only (the DC term and the normalising
	 * factors do not change which coefficients exceed the median). */
	for (u = 0; u < L; u++)
		for (x = 0; x < S; x++)
			cosv[u][x] = cos(FP_PI * (u + 1) * (2 * x + 1) / (2.0 * S));
	for (u = 0; u < L; u++)       /* along y */
		for (x = 0; x < S; x++) {
			double s = 0;

			for (y = 0; y < S; y++)
				s += cosv[u][y] * grid[y][x];
			tmp[u][x] = s;
		}
	for (u = 0; u < L; u++)       /* along x */
		for (v = 0; v < L; v++) {
			double s = 0;

			for (x = 0; x < S; x++)
				s += cosv[v][x] * tmp[u][x];
			low[u][v] = s;
			sorted[u * L + v] = s;
		}
	qsort(sorted, L * L, sizeof *sorted, cmp_double);
	med = (sorted[L * L / 2 - 1] + sorted[L * L / 2]) / 2;
	for (u = 0; u < L; u++)
		for (v = 0; v < L; v++)
			if (low[u][v] > med)
				bits |= UINT64_C(1) << (u * L + v);

	put32(hdr, src_w);
	put32(hdr + 4, src_h);
	put32(hdr + 8, w);
	put32(hdr + 12, h);
	put32(hdr + 16, channels);
	sha256_init(&sha);
	sha256_update(&sha, sizeof hdr, hdr);
	sha256_update(&sha, (size_t)w * h * channels, px);
	sha256_digest(&sha, sizeof dig, dig);
	for (k = 0; k < 8; k++)
		key = key << 8 | dig[k];
	out->phash = bits;
	out->exact = key;
	rc = TFR_OK;
nomem:
	free(wx);
	free(wy);
	free(rows);
	if (rc)
		return tfr_error_set(err, rc, "fingerprint: out of memory");
	return TFR_OK;
}

int tfr_fp_image(const void *data, size_t len, uint64_t max_pixels,
		 struct tfr_image *scratch, struct tfr_fp *out,
		 struct tfr_error *err)
{
	struct tfr_decode_opts o;
	int rc;

	memset(&o, 0, sizeof o);
	o.channels = 3;
	o.max_pixels = max_pixels;
	o.min_width = S;
	o.min_height = S;
	if ((rc = tfr_image_decode(data, len, &o, scratch, err)))
		return rc;
	return tfr_fp_pixels(scratch->pixels, scratch->width, scratch->height,
			     scratch->channels, scratch->src_width,
			     scratch->src_height, out, err);
}
