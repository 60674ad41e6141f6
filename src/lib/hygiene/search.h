/*
 * hygiene/search.h - groups of exact and near duplicates among n
 * fingerprints, without comparing all pairs.
 *
 * Exact groups: items with the same exact key (a sort of the keys).
 * Near groups: connected components of the graph "Hamming distance of
 * the perceptual hashes <= distance", found by multi-index hashing
 * (M. Norouzi, A. Punjani, D. Fleet, "Fast Search in Hamming Space with
 * Multi-Index Hashing", CVPR 2012): the 64 bits are split into m
 * blocks; two hashes within distance d agree to within floor(d/m) bits
 * on at least one block (pigeonhole), so each item only looks up, in
 * each block's sorted table, the values within that radius of its own.
 * m is chosen from n and d to make the expected number of lookups and
 * candidates smallest.  A near group that is entirely one exact group is
 * reported only as exact.  Because groups are components, a chain
 * a~b~c puts a and c in one group even when they are further apart.
 *
 * Equal hashes are united first and searched once.  Memory: at most
 * about 20 bytes an item while it runs (union-find, exact roots, sorted
 * indices, one 8-byte block table at a time), besides the caller's
 * 16-byte fingerprints.
 *
 * Output order is deterministic: groups ordered by their first member,
 * members in ascending index (the caller's input order); exact groups
 * and near groups interleave by that first member.
 * Thread-safety: uses only its arguments.
 */
#ifndef TFR_HYGIENE_SEARCH_H
#define TFR_HYGIENE_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "hygiene/fingerprint.h"

/* Largest --distance accepted: beyond 16 of 64 bits, unrelated photos
 * match (and the search degenerates towards all pairs). */
#define TFR_DUP_MAX_DISTANCE 16

enum tfr_dup_kind { TFR_DUP_EXACT = 0, TFR_DUP_NEAR = 1 };

struct tfr_dup_groups {
	size_t ngroups;
	size_t *start;        /* ngroups + 1 offsets into member */
	uint32_t *member;     /* item indices */
	unsigned char *kind;  /* enum tfr_dup_kind per group */
};

/*
 * Find the groups among fps[0..n).  skip, when not NULL, marks items to
 * leave out (undecodable).  distance < 0 finds exact groups only;
 * otherwise 0..TFR_DUP_MAX_DISTANCE.  n must be below UINT32_MAX.
 * out is filled and owned by the caller (tfr_dup_groups_free).
 */
int tfr_dup_find(const struct tfr_fp *fps, const unsigned char *skip,
		 size_t n, int distance, struct tfr_dup_groups *out,
		 struct tfr_error *err);

void tfr_dup_groups_free(struct tfr_dup_groups *g);

#endif
