/*
 * f16_f16c.c - float32 to binary16 with F16C (vcvtps2ph), 8 at a time,
 * and back (vcvtph2ps).
 * Called only after cpu.c has seen F16C and AVX.  A leaf (see cpu.h): the
 * tail of fewer than 8 values goes through the same instruction on a
 * zero-padded copy, not back into f16.c.
 */
#include "config.h"
#include "impl.h"

#include <immintrin.h>
#include <string.h>

__attribute__((target("avx,f16c")))
void tfr_f32_to_f16_array_f16c(uint16_t *dst, const float *src, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		__m256 v = _mm256_loadu_ps(src + i);
		__m128i h = _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT |
						  _MM_FROUND_NO_EXC);

		_mm_storeu_si128((__m128i *)(dst + i), h);
	}
	if (i < n) {
		float pad[8] = { 0 };
		uint16_t out[8];

		memcpy(pad, src + i, (n - i) * sizeof(float));
		_mm_storeu_si128((__m128i *)out,
				 _mm256_cvtps_ph(_mm256_loadu_ps(pad), _MM_FROUND_TO_NEAREST_INT |
								       _MM_FROUND_NO_EXC));
		memcpy(dst + i, out, (n - i) * sizeof(uint16_t));
	}
}

__attribute__((target("avx,f16c")))
void tfr_f16le_to_f32_array_f16c(float *dst, const unsigned char *src, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8)
		_mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + 2 * i))));
	if (i < n) {
		unsigned char pad[16] = { 0 };
		float out[8];

		memcpy(pad, src + 2 * i, (n - i) * 2);
		_mm256_storeu_ps(out, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)pad)));
		memcpy(dst + i, out, (n - i) * sizeof(float));
	}
}
