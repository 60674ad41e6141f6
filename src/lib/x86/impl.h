/*
 * impl.h - x86 fast paths, each compiled with its own target attribute.
 * Call only after tfr_cpu_features() reports the feature (see cpu.h);
 * each gives the same bits as its portable twin.
 */
#ifndef TFR_X86_IMPL_H
#define TFR_X86_IMPL_H

#include <stddef.h>
#include <stdint.h>

/* Needs TFR_CPU_SSE42.  Same contract as tfr_crc32c_portable.  Lanes of
 * LANE bytes are joined with K1 = x^(8 LANE) and K2 = x^(16 LANE) mod P,
 * i.e. tfr_crc32c_shift_const(LANE) and (2 LANE); unit-crc32c checks it. */
#define TFR_CRC32C_SSE42_LANE 2048
#define TFR_CRC32C_SSE42_K1 0x0d65762au
#define TFR_CRC32C_SSE42_K2 0x35d73a62u
uint32_t tfr_crc32c_sse42(uint32_t crc, const void *buf, size_t len);

/* Needs TFR_CPU_F16C (and AVX).  Same as tfr_f32_to_f16_array_portable. */
void tfr_f32_to_f16_array_f16c(uint16_t *dst, const float *src, size_t n);
/* Needs TFR_CPU_F16C (and AVX).  Same as tfr_f16le_to_f32_array_portable
 * (x86 is little-endian, so the bytes load as they are). */
void tfr_f16le_to_f32_array_f16c(float *dst, const unsigned char *src, size_t n);

/* Needs TFR_CPU_AVX2.  Same as the portable vfilter and hfilter3 in
 * augment.c (see there for the contracts). */
void tfr_vfilter_avx2(float *restrict dst, const unsigned char *const *rows,
		      const float *w, int n, size_t len);
void tfr_hfilter3_avx2(float *restrict dst, const float *restrict src,
		       const int32_t *start, const float *w, const float *wpair,
		       int ntaps, int stride, uint32_t count, const float mul[3],
		       const float add[3]);

#endif
