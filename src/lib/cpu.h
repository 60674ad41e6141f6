/*
 * cpu.h - which CPU fast paths may run.
 *
 * Detected once (thread-safe: the first call may race, but every racer
 * computes the same answer).  Setting the environment variable
 * TFREC_NO_SIMD to anything but "0" or "" disables every fast path, so
 * that tests can cover the portable twins; see crc32c.c and f16.c.
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

/* Bit set of TFR_CPU_* features that are present and allowed. */
unsigned tfr_cpu_features(void);

#endif
