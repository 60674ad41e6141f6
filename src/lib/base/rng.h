/*
 * rng.h - stateless randomness: every random choice in tfrec is a pure
 * function of (seed, a, b), so results do not depend on which thread
 * runs first.  splitmix64's finaliser (Steele, Lea and Flood) mixes well
 * enough for shuffling and augmentation; it is not for cryptography.
 */
#ifndef TFR_RNG_H
#define TFR_RNG_H

#include <stdint.h>

static inline uint64_t tfr_mix64(uint64_t z)
{
	z += UINT64_C(0x9e3779b97f4a7c15);
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static inline uint64_t tfr_rand3(uint64_t seed, uint64_t a, uint64_t b)
{
	return tfr_mix64(tfr_mix64(tfr_mix64(seed) ^ a) ^ b);
}

/* Uniform in [0, n) without modulo bias worth caring about (n < 2^32). */
static inline uint64_t tfr_rand_below(uint64_t r, uint64_t n)
{
	return n ? (uint64_t)(((unsigned __int128)r * n) >> 64) : 0;
}

#endif
