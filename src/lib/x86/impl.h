/*
 * impl.h - x86 fast paths, each compiled with its own target attribute.
 * Call only after tfr_cpu_features() reports the feature (see cpu.h);
 * each gives the same bits as its portable twin.
 */
#ifndef TFR_X86_IMPL_H
#define TFR_X86_IMPL_H

#include <stddef.h>
#include <stdint.h>

/* Needs TFR_CPU_SSE42.  Same contract as tfr_crc32c_portable. */
uint32_t tfr_crc32c_sse42(uint32_t crc, const void *buf, size_t len);

/* Needs TFR_CPU_F16C (and AVX).  Same as tfr_f32_to_f16_array_portable. */
void tfr_f32_to_f16_array_f16c(uint16_t *dst, const float *src, size_t n);

/* Needs TFR_CPU_AVX2.  Same as the portable vfilter and hfilter3 in
 * augment.c (see there for the contracts). */
void tfr_vfilter_avx2(float *restrict dst, const unsigned char *const *rows,
		      const float *w, int n, size_t len);
void tfr_hfilter3_avx2(float *restrict dst, const float *restrict src,
		       const int32_t *start, const float *w, const float *wpair,
		       int ntaps, int stride, uint32_t count, const float mul[3],
		       const float add[3]);

#endif
