/*
 * f16_f16c.c - float32 to binary16 with F16C (vcvtps2ph), 8 at a time.
 * Called only after cpu.c has seen F16C and AVX.  The tail goes through
 * the portable converter, which produces the same bits.
 */
#include "config.h"
#include "../f16.h"
#include "impl.h"

#include <immintrin.h>

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
	for (; i < n; i++)
		dst[i] = tfr_f32_to_f16(src[i]);
}
