/*
 * resize_avx2.c - the two resize passes of augment.c with AVX2.
 *
 * Hand-written with intrinsics because GCC 12 turns the portable
 * vector-extension forms of the u8 -> float widening into one scalar
 * conversion per byte.  Every lane does the same IEEE multiply, then add,
 * in the same tap order as the portable twins in augment.c (this file has
 * no FMA target, so nothing is fused), so the bits are identical.  Called
 * only after cpu.c has seen AVX2.
 */
#include "config.h"
#include "impl.h"

#include <immintrin.h>

__attribute__((target("avx2")))
static __m256 widen8(const unsigned char *p)
{
	return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p)));
}

__attribute__((target("avx2")))
void tfr_vfilter_avx2(float *restrict dst, const unsigned char *const *rows,
		      const float *w, int n, size_t len)
{
	size_t i = 0;
	int k;

	/* Two blocks of eight per step: independent chains keep both
	 * multiply-add pipes busy. */
	for (; i + 16 <= len; i += 16) {
		__m256 w0 = _mm256_set1_ps(w[0]);
		__m256 a = _mm256_mul_ps(w0, widen8(rows[0] + i));
		__m256 b = _mm256_mul_ps(w0, widen8(rows[0] + i + 8));

		for (k = 1; k < n; k++) {
			__m256 wk = _mm256_set1_ps(w[k]);

			a = _mm256_add_ps(a, _mm256_mul_ps(wk, widen8(rows[k] + i)));
			b = _mm256_add_ps(b, _mm256_mul_ps(wk, widen8(rows[k] + i + 8)));
		}
		_mm256_storeu_ps(dst + i, a);
		_mm256_storeu_ps(dst + i + 8, b);
	}
	for (; i < len; i++) {
		float acc = w[0] * (float)rows[0][i];

		for (k = 1; k < n; k++)
			acc += w[k] * (float)rows[k][i];
		dst[i] = acc;
	}
}

/* Four floats of pixel p0 in the low half, of p1 in the high half. */
__attribute__((target("avx2")))
static __m256 load_pair(const float *p0, const float *p1)
{
	return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(p0)),
				    _mm_loadu_ps(p1), 1);
}

__attribute__((target("avx2")))
void tfr_hfilter3_avx2(float *restrict dst, const float *restrict src,
		       const int32_t *start, const float *w, const float *wpair,
		       int ntaps, int stride, uint32_t count, const float mul[3],
		       const float add[3])
{
	const __m256 M = _mm256_setr_ps(mul[0], mul[1], mul[2], 0, mul[0], mul[1], mul[2], 0);
	const __m256 A = _mm256_setr_ps(add[0], add[1], add[2], 0, add[0], add[1], add[2], 0);
	/* r0 g0 b0 . r1 g1 b1 . -> r0 g0 b0 r1 g1 b1 . . */
	const __m256i pack = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7);
	uint32_t x = 0;
	int k;

	/* Two output pixels per step, one in each 128-bit half; lane 3 of
	 * each half holds the next source pixel's red and is dropped. */
	for (; x + 2 <= count; x += 2) {
		const float *p0 = src + 3 * (size_t)start[x];
		const float *p1 = src + 3 * (size_t)start[x + 1];
		const float *wp = wpair + (size_t)(x / 2) * ntaps * 8;
		__m256 acc = _mm256_mul_ps(_mm256_loadu_ps(wp), load_pair(p0, p1));

		for (k = 1; k < ntaps; k++)
			acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_loadu_ps(wp + 8 * k),
							       load_pair(p0 + 3 * k, p1 + 3 * k)));
		acc = _mm256_add_ps(_mm256_mul_ps(acc, M), A);
		/* Eight floats stored, six meant: dst has room (augment.c). */
		_mm256_storeu_ps(dst + 3 * (size_t)x, _mm256_permutevar8x32_ps(acc, pack));
	}
	if (x < count) {
		const float *p = src + 3 * (size_t)start[x];
		const float *w0 = w + (size_t)x * stride;
		__m128 acc = _mm_mul_ps(_mm_set1_ps(w0[0]), _mm_loadu_ps(p));

		for (k = 1; k < ntaps; k++)
			acc = _mm_add_ps(acc, _mm_mul_ps(_mm_set1_ps(w0[k]), _mm_loadu_ps(p + 3 * k)));
		acc = _mm_add_ps(_mm_mul_ps(acc, _mm256_castps256_ps128(M)),
				 _mm256_castps256_ps128(A));
		_mm_storeu_ps(dst + 3 * (size_t)x, acc);
	}
}
