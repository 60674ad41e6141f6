/* cpu.c - runtime CPU feature detection; see cpu.h. */
#include "config.h"
#include "cpu.h"

#include <stdlib.h>

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

unsigned tfr_cpu_features(void)
{
	static int done;
	static unsigned features;

	if (!__atomic_load_n(&done, __ATOMIC_ACQUIRE)) {
		__atomic_store_n(&features, detect(), __ATOMIC_RELAXED);
		__atomic_store_n(&done, 1, __ATOMIC_RELEASE);
	}
	return __atomic_load_n(&features, __ATOMIC_RELAXED);
}
