/*
 * extsort.h - an external sort of fixed-size entries by a 64-bit key.
 *
 * shard --shuffle gives every record a random key and needs all records
 * in key order without holding them all in memory.  Entries are scattered
 * into 256 bucket files by the key's top byte; at finish, a bucket with
 * more than leaf_limit entries is split again by the next key byte,
 * recursively (down to the last byte, where it is kept whatever its size).
 * The resulting leaves, in order, cover the keys in ascending order; each
 * is sorted in memory when loaded.  Equal keys are ordered by pos, so the
 * order is a function of the entries alone, never of the budgets.
 *
 * Memory: 256 * bucket_cap entries while adding, one leaf per loader.
 * Temporary files live in tmpdir and are unlinked as soon as they are
 * created, so nothing is left behind even after SIGKILL.
 *
 * Thread safety: add and finish from one thread; after finish, leaves may
 * be loaded from any number of threads at once (pread only).
 */
#ifndef TFR_EXTSORT_H
#define TFR_EXTSORT_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

/* Sorted by key, then pos; off, len and src are the caller's payload. */
struct tfr_extsort_ent {
	uint64_t key, pos, off;
	uint32_t len, src;
};

/* First-level buckets (and fan-out of every split). */
#define TFR_EXTSORT_BUCKETS 256

struct tfr_extsort_opts {
	const char *tmpdir;       /* where the bucket files go; copied */
	size_t bucket_cap;        /* entries buffered per bucket (>= 1) */
	uint64_t leaf_limit;      /* entries sorted in memory at once (>= 1) */
};

struct tfr_extsort;

int tfr_extsort_new(struct tfr_extsort **sp, const struct tfr_extsort_opts *o,
		    struct tfr_error *err);
int tfr_extsort_add(struct tfr_extsort *s, const struct tfr_extsort_ent *e,
		    struct tfr_error *err);
/* No more entries: write out the buffers and split the buckets into leaves. */
int tfr_extsort_finish(struct tfr_extsort *s, struct tfr_error *err);
/* After finish: the leaves, in key order; leaf i holds count entries, the
 * first of which is number first of the whole sorted sequence. */
size_t tfr_extsort_nleaves(const struct tfr_extsort *s);
void tfr_extsort_leaf(const struct tfr_extsort *s, size_t i, uint64_t *first,
		      uint64_t *count);
/* Leaf i, sorted, in a malloc'd array the caller frees. */
int tfr_extsort_load(const struct tfr_extsort *s, size_t i,
		     struct tfr_extsort_ent **out, struct tfr_error *err);
/* Accepts NULL; closes (and so removes) every temporary file. */
void tfr_extsort_free(struct tfr_extsort *s);

/* A temporary file in dir, created and unlinked at once; -1 on error
 * (err set).  Shared with the shuffle's payload spill. */
int tfr_extsort_tmpfile(const char *dir, struct tfr_error *err);

#endif
