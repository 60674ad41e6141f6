/* cpu.c - runtime CPU feature detection; see cpu.h. */
#include "config.h"
#include "base/cpu.h"

#include <stdlib.h>
#include <threads.h>

#ifdef TFR_X86
#include <cpuid.h>
#endif

static unsigned detect(void)
{
	unsigned f = 0;
	const char *env = getenv("TFREC_NO_SIMD");

	if (env && *env && !(env[0] == '0' && env[1] == '\0'))
		return 0;
#ifdef TFR_X86
	{
		unsigned a, b, c, d;

		if (!__get_cpuid(1, &a, &b, &c, &d))
			return 0;
		if (c & bit_SSE4_2)
			f |= TFR_CPU_SSE42;
		if (c & bit_PCLMUL)
			f |= TFR_CPU_PCLMUL;
		/* AVX needs the OS to save YMM state (OSXSAVE + XCR0). */
		if ((c & bit_AVX) && (c & bit_OSXSAVE)) {
			unsigned lo, hi;

			__asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
			if ((lo & 6) == 6) {
				f |= TFR_CPU_AVX;
				if (c & bit_F16C)
					f |= TFR_CPU_F16C;
				if (__get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_AVX2))
					f |= TFR_CPU_AVX2;
			}
		}
	}
#endif
	return f;
}

static unsigned features;
static once_flag features_once = ONCE_FLAG_INIT;

static void init_features(void)
{
	features = detect();
}

unsigned tfr_cpu_features(void)
{
	call_once(&features_once, init_features);
	return features;
}
