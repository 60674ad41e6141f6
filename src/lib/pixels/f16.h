/*
 * f16.h - float32 to IEEE 754 binary16 conversion, and back.
 *
 * Hand-written: no packaged C library offers it.  Rounding is
 * round-to-nearest-even; overflow gives infinity; float subnormals and
 * tiny values round to binary16 subnormals or signed zero; NaNs stay NaN,
 * quieted, keeping the top payload bits (the same bits F16C's vcvtps2ph
 * produces).  On x86 with F16C an 8-wide path is chosen at run time
 * (TFREC_NO_SIMD forces the portable twin); both give identical bits.
 * All functions are pure and thread-safe.
 */
#ifndef TFR_F16_H
#define TFR_F16_H

#include <stddef.h>
#include <stdint.h>

/* The largest finite binary16 value. */
#define TFR_F16_MAX 65504.0

/* One value, portable. */
uint16_t tfr_f32_to_f16(float f);

/* Exact widening of a binary16 value to float. */
float tfr_f16_to_f32(uint16_t h);

/* Convert n values; the fast path when available. */
void tfr_f32_to_f16_array(uint16_t *dst, const float *src, size_t n);

/* The portable array conversion, exposed for tests. */
void tfr_f32_to_f16_array_portable(uint16_t *dst, const float *src, size_t n);

/* Widen n binary16 values stored little-endian (2n bytes at src, any
 * alignment) to float: exact, except that a signalling NaN comes out
 * quiet, as F16C's vcvtph2ps makes it.  The fast path when available;
 * the portable twin gives identical bits. */
void tfr_f16le_to_f32_array(float *dst, const unsigned char *src, size_t n);
void tfr_f16le_to_f32_array_portable(float *dst, const unsigned char *src, size_t n);

#endif
