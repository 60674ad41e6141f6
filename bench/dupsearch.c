/*
 * bench/dupsearch.c - how long the duplicate search takes at ImageNet
 * scale, apart from fingerprinting (issue 23: "at 1,281,167 images, the
 * search after fingerprinting takes less time than the fingerprinting").
 *
 * usage: dupsearch [N [DISTANCE]]   (defaults 1281167 and 10)
 *
 * Makes N fingerprints: perceptual hashes drawn at random, as distinct
 * photos' are (about 32 of 64 bits apart), and one item in 20 a near
 * copy of an earlier one (up to DISTANCE bits flipped) or, one in 100,
 * an exact copy.  Then times tfr_dup_find once and prints
 *     n DISTANCE groups G seconds S
 * bench/duplicates.sh divides S by N over the fingerprinting rate it
 * measures on real photos.  Real hashes cluster more than random ones
 * (the search then finds more candidates per lookup); the planted near
 * copies give every block table its share of close values.
 */
#include "config.h"
#include "hygiene/search.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1281167;
	int d = argc > 2 ? atoi(argv[2]) : 10;
	struct tfr_fp *fp = calloc(n ? n : 1, sizeof(*fp));
	struct tfr_dup_groups g = { 0 };
	struct tfr_error err;
	struct timespec t0, t1;
	uint64_t s = 42;
	size_t i;

	if (!fp || d < 0 || d > TFR_DUP_MAX_DISTANCE) {
		fprintf(stderr, "dupsearch: bad arguments or out of memory\n");
		return 2;
	}
	for (i = 0; i < n; i++) {
		uint64_t r = splitmix64(&s);

		if (i && r % 100 == 0) {
			fp[i] = fp[splitmix64(&s) % i];
		} else if (i && r % 20 == 1) {
			uint64_t h = fp[splitmix64(&s) % i].phash;
			int k, flips = (int)(splitmix64(&s) % (uint64_t)(d + 1));

			for (k = 0; k < flips; k++)
				h ^= 1ull << (splitmix64(&s) % 64);
			fp[i].phash = h;
			fp[i].exact = splitmix64(&s);
		} else {
			fp[i].phash = splitmix64(&s);
			fp[i].exact = splitmix64(&s);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (tfr_dup_find(fp, NULL, n, d, &g, &err)) {
		fprintf(stderr, "dupsearch: %s\n", err.msg);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("n %zu distance %d groups %zu seconds %.3f\n", n, d, g.ngroups,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	tfr_dup_groups_free(&g);
	free(fp);
	return 0;
}
