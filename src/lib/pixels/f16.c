/* f16.c - portable binary16 conversion and dispatch; see f16.h. */
#include "config.h"
#include "pixels/f16.h"
#include "base/cpu.h"

#include <string.h>
#include <threads.h>

uint16_t tfr_f32_to_f16(float f)
{
	uint32_t x, sign, exp, mant;
	uint16_t h;

	memcpy(&x, &f, 4);
	sign = (x >> 16) & 0x8000u;
	exp = (x >> 23) & 0xffu;
	mant = x & 0x7fffffu;

	if (exp == 0xff) {
		if (mant == 0)
			return (uint16_t)(sign | 0x7c00u);
		/* NaN: quiet it and keep the top ten payload bits. */
		return (uint16_t)(sign | 0x7e00u | (mant >> 13));
	}
	if (exp > 142) /* 2^16 and above overflow even before rounding */
		return (uint16_t)(sign | 0x7c00u);
	if (exp >= 113) {
		/* Normal range: rebias and round the 13 dropped bits.  A carry
		 * out of the mantissa correctly bumps the exponent, up to
		 * infinity. */
		uint32_t v = ((exp - 112) << 10) | (mant >> 13);
		uint32_t rest = mant & 0x1fffu;

		if (rest > 0x1000u || (rest == 0x1000u && (v & 1)))
			v++;
		h = (uint16_t)(sign | v);
		return h;
	}
	if (exp < 102) /* below half the smallest subnormal: zero */
		return (uint16_t)sign;
	{
		/* Subnormal result: the value is m * 2^(exp-150) with the
		 * implicit bit; a half subnormal unit is 2^-24. */
		uint32_t m = mant | 0x800000u;
		unsigned shift = 126 - exp; /* 14..24 */
		uint32_t v = m >> shift;
		uint32_t rest = m & ((1u << shift) - 1);
		uint32_t half = 1u << (shift - 1);

		if (rest > half || (rest == half && (v & 1)))
			v++;
		return (uint16_t)(sign | v);
	}
}

float tfr_f16_to_f32(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
	uint32_t exp = (h >> 10) & 0x1fu;
	uint32_t mant = h & 0x3ffu;
	uint32_t x;
	float f;

	if (exp == 0x1f) {
		x = sign | 0x7f800000u | (mant << 13);
	} else if (exp) {
		x = sign | ((exp + 112) << 23) | (mant << 13);
	} else if (mant) {
		/* Subnormal: normalise. */
		exp = 113;
		while (!(mant & 0x400u)) {
			mant <<= 1;
			exp--;
		}
		x = sign | (exp << 23) | ((mant & 0x3ffu) << 13);
	} else {
		x = sign;
	}
	memcpy(&f, &x, 4);
	return f;
}

void tfr_f32_to_f16_array_portable(uint16_t *dst, const float *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] = tfr_f32_to_f16(src[i]);
}

void tfr_f16le_to_f32_array_portable(float *dst, const unsigned char *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint16_t h = (uint16_t)(src[2 * i] | src[2 * i + 1] << 8);

		if ((h & 0x7c00u) == 0x7c00u && (h & 0x3ffu))
			h |= 0x200u; /* quiet a NaN, as vcvtph2ps does */
		dst[i] = tfr_f16_to_f32(h);
	}
}

#ifdef TFR_X86
#include "x86/impl.h"
#endif

/* The dispatch of cpu.h: chosen once, then always through f16_impl. */
static void (*f16_impl)(uint16_t *, const float *, size_t);
static void (*f32_impl)(float *, const unsigned char *, size_t);
static once_flag f16_once = ONCE_FLAG_INIT;

static void resolve(void)
{
	f16_impl = tfr_f32_to_f16_array_portable;
	f32_impl = tfr_f16le_to_f32_array_portable;
#ifdef TFR_X86
	if (tfr_cpu_features() & TFR_CPU_F16C) {
		f16_impl = tfr_f32_to_f16_array_f16c;
		f32_impl = tfr_f16le_to_f32_array_f16c;
	}
#endif
}

void tfr_f32_to_f16_array(uint16_t *dst, const float *src, size_t n)
{
	call_once(&f16_once, resolve);
	f16_impl(dst, src, n);
}

void tfr_f16le_to_f32_array(float *dst, const unsigned char *src, size_t n)
{
	call_once(&f16_once, resolve);
	f32_impl(dst, src, n);
}
