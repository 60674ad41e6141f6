/*
 * augment-kernels.h - the inner loops of the resize, included twice by
 * augment.c: once plain, once compiled for AVX2 (KERNEL_ATTR), each copy
 * named by KNAME().  Both copies do the same IEEE multiply and add per
 * element in the same order (C11 mode: no FMA contraction), so they give
 * identical bits; augment.c picks one at run time (see cpu.h).
 */

/* acc[i] += w * x[i]. */
KERNEL_ATTR static void KNAME(axpy)(float *restrict acc, const float *restrict x, float w,
			size_t n)
{
	v8f wv = { w, w, w, w, w, w, w, w };
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		v8f av, xv;

		memcpy(&av, acc + i, 32);
		memcpy(&xv, x + i, 32);
		av += wv * xv;
		memcpy(acc + i, &av, 32);
	}
	for (; i < n; i++)
		acc[i] += w * x[i];
}

KERNEL_ATTR static void KNAME(u8_to_float)(float *restrict dst, const unsigned char *restrict src,
			       size_t n)
{
	typedef unsigned char v8u __attribute__((vector_size(8)));
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		v8u b;
		v8f f;

		memcpy(&b, src + i, 8);
		f = __builtin_convertvector(b, v8f);
		memcpy(dst + i, &f, 32);
	}
	for (; i < n; i++)
		dst[i] = (float)src[i];
}

/* One row's horizontal taps; for RGB a 4-wide multiply-add per tap
 * covers the three channels (the fourth lane is ignored). */
KERNEL_ATTR static void KNAME(hfilter)(float *restrict dst, const float *restrict src,
		    const int32_t *sx, const int32_t *nx, const float *wx, int ntx,
		    uint32_t cw, uint32_t c, uint32_t xlo)
{
	uint32_t x;
	int kk;

	for (x = 0; x < cw; x++) {
		const float *w1 = wx + (size_t)x * ntx;
		const float *p = src + (size_t)(sx[x] - (int)xlo) * c;
		int lim = nx[x];

		if (c == 3) {
			v4f acc = { 0, 0, 0, 0 }, v;
			float out[4];

			for (kk = 0; kk < lim; kk++, p += 3) {
				v4f w4 = { w1[kk], w1[kk], w1[kk], w1[kk] };

				memcpy(&v, p, 16);
				acc += w4 * v;
			}
			memcpy(out, &acc, 16);
			dst[3 * x] = out[0];
			dst[3 * x + 1] = out[1];
			dst[3 * x + 2] = out[2];
		} else {
			float a0 = 0;

			for (kk = 0; kk < lim; kk++)
				a0 += w1[kk] * p[kk];
			dst[x] = a0;
		}
	}
}

