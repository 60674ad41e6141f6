/*
 * plan.h - dealing records out to shards, and naming shards.
 *
 * A plan maps positions 0..n-1 of the (possibly shuffled) record order to
 * shards: shard s holds positions [first[s], first[s+1]).  It depends
 * only on the inputs and options, never on threads or on --part, which
 * is how every part of a split run writes exactly the shards a single run
 * would.  Not thread-safe while built; read-only afterwards.
 */
#ifndef TFR_PLAN_H
#define TFR_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "format/record.h"
#include "base/status.h"

enum tfr_plan_mode {
	TFR_PLAN_SHARDS,      /* a fixed number of shards, sizes balanced */
	TFR_PLAN_RECORDS,     /* at most K records per shard */
	TFR_PLAN_BYTES,       /* at most B bytes of record stream per shard */
};

struct tfr_plan_opts {
	enum tfr_plan_mode mode;
	uint64_t value;       /* N shards, K records, or B bytes */
};

struct tfr_plan {
	uint32_t nshards;
	uint64_t *first;      /* nshards + 1 entries */
};

/* Maximum shard count: the names have five digits. */
#define TFR_MAX_SHARDS 99999u

/*
 * Plan n records.  For TFR_PLAN_BYTES, size(ctx, p) gives the framed size
 * of the record at position p, and no shard's sum exceeds the budget
 * (a single record above it is an error naming position p).
 */
int tfr_plan_make(struct tfr_plan *plan, uint64_t n,
		  const struct tfr_plan_opts *o,
		  uint64_t (*size)(void *ctx, uint64_t pos), void *ctx,
		  struct tfr_error *err);
void tfr_plan_release(struct tfr_plan *plan);

/*
 * The byte-budget rule fed one record at a time, in order, for a driver
 * that learns sizes as it streams (shard); tfr_plan_make uses it too, so
 * there is one planner.  add() takes the framed size of the next
 * position; finish() moves the result into plan (no records: one empty
 * shard).  release() frees what finish() did not take.
 */
struct tfr_plan_bytes {
	uint64_t budget, used, n;
	uint64_t *first;
	size_t nfirst, cap;
};

void tfr_plan_bytes_init(struct tfr_plan_bytes *pb, uint64_t budget);
int tfr_plan_bytes_add(struct tfr_plan_bytes *pb, uint64_t size,
		       struct tfr_error *err);
int tfr_plan_bytes_finish(struct tfr_plan_bytes *pb, struct tfr_plan *plan,
			  struct tfr_error *err);
void tfr_plan_bytes_release(struct tfr_plan_bytes *pb);

/* Shards [*s0, *s1) belong to part i of n (1-based): contiguous blocks. */
void tfr_plan_part(const struct tfr_plan *plan, unsigned i, unsigned n,
		   uint32_t *s0, uint32_t *s1);

/* A permutation of 0..n-1, a pure function of seed (Fisher-Yates driven
 * by tfr_rand3).  Caller frees *order. */
int tfr_shuffle(uint64_t n, uint64_t seed, uint64_t **order,
		struct tfr_error *err);

/* "PREFIX-00003-of-00008.tfrecord" (+ ".gz" / ".zlib"); malloc'd. */
char *tfr_shard_name(const char *prefix, uint32_t s, uint32_t nshards,
		     enum tfr_compression c);

#endif
