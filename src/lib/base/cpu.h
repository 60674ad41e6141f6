/*
 * cpu.h - which CPU fast paths may run, and the one way they are chosen.
 *
 * Setting the environment variable TFREC_NO_SIMD to anything but "0" or ""
 * disables every fast path, so that tests can cover the portable twins.
 *
 * The dispatch pattern, the same in crc32c.c, f16.c and augment.c
 * (libdeflate's, with C11 call_once in place of its racy cache):
 *   - a fast path is a function, or a const table of functions, with the
 *     signature of its portable twin and the same output bits;
 *   - it lives in an arch file (x86/) compiled with a target attribute,
 *     declared in x86/impl.h, and is a leaf: it calls nothing else in the
 *     library, so it cannot drift from its twin through a shared helper;
 *   - the module resolves it once, in a call_once() function that asks
 *     tfr_cpu_features() and stores a function pointer; every call goes
 *     through that pointer.  call_once makes the store visible to every
 *     thread before any reads it, so no thread reads a global that another
 *     may still change;
 *   - no switch changes the choice later.  A test that needs the portable
 *     path calls the module's _portable function, or sets the per-call
 *     choice the module offers (tfr_augment_scratch.portable), or runs a
 *     process with TFREC_NO_SIMD.
 */
#ifndef TFR_CPU_H
#define TFR_CPU_H

enum {
	TFR_CPU_SSE42 = 1 << 0,
	TFR_CPU_PCLMUL = 1 << 1,
	TFR_CPU_AVX = 1 << 2,
	TFR_CPU_F16C = 1 << 3,
	TFR_CPU_AVX2 = 1 << 4,
};

/* Bit set of TFR_CPU_* features that are present and allowed.  Detected
 * once; thread-safe. */
unsigned tfr_cpu_features(void);

#endif
