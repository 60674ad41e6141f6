/*
 * stats.h - dataset statistics of image Example records: per-channel
 * mean and std of the stored pixels before normalization (0..1 scale),
 * per-class counts, histograms of image size and aspect, and bytes per
 * record.
 *
 * Everything is a function of the records alone, so `convert` (over the
 * records it writes, and the shards --resume keeps) and `inspect --stats`
 * (over existing shards) compute the same numbers.  A record's pixels
 * are summed in double, per channel in a fixed order of four lanes
 * (stats.c); records are then added into
 * 128-bit fixed-point sums (2^-60 units), which integer addition keeps
 * exact in any order.  So the result does not depend on -j, on --part
 * splits merged later, or on the order shards are read in.  Pixel values
 * are recovered from the stored tensor as value * std + mean (the
 * record's image/std and image/mean; uint8 tensors: value / 255).
 *
 * "sizes" describe image/height and image/width of the records: the
 * stored images, which with --encoded are the inputs themselves.
 *
 * A struct tfr_stats is owned by one thread at a time; different structs
 * may be used from different threads.
 */
#ifndef TFR_STATS_H
#define TFR_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/status.h"

#define TFR_STATS_MAX_CHANNELS 4
/* Distinct (label, class name) pairs tracked; more is TFR_ERR_LIMIT. */
#define TFR_STATS_MAX_CLASSES 65536
#define TFR_STATS_NSIDE 9    /* short side: <32, <64, ... <4096, >=4096 */
#define TFR_STATS_NASPECT 9  /* width/height: <1/2, <2/3, <4/5, <19/20,
				 <21/20, <5/4, <3/2, <2, >=2 */

struct tfr_stats_class {
	int64_t label;
	char *name;         /* malloc'd */
	uint64_t count;
};

struct tfr_stats {
	uint64_t records;            /* every record added */
	uint64_t pixel_records;      /* of them, with a tensor (image/raw) */
	unsigned channels;           /* of the first tensor; 0 before */
	uint64_t values[TFR_STATS_MAX_CHANNELS];
	__int128 sum[TFR_STATS_MAX_CHANNELS];    /* fixed point, 2^-60 */
	__int128 sumsq[TFR_STATS_MAX_CHANNELS];
	uint64_t bytes, bytes_min, bytes_max;
	uint64_t short_side[TFR_STATS_NSIDE], aspect[TFR_STATS_NASPECT];
	uint64_t sized;              /* records with a height and width */
	struct tfr_stats_class *classes;  /* sorted by label, then name */
	size_t nclasses, cap;
};

void tfr_stats_init(struct tfr_stats *st);
void tfr_stats_release(struct tfr_stats *st);   /* st may be NULL */

/*
 * Add one record payload.  A payload that is not an Example counts in
 * records and bytes only.  An Example's image/raw tensor is used when
 * image/dtype, image/shape and image/channels describe it (float16,
 * float32 or uint8; [H, W, C] or [C, H, W]); a tensor whose channel
 * count differs from earlier ones, or whose values sum to NaN, infinity
 * or 2^48 or more in one channel, is TFR_ERR_FORMAT.
 */
int tfr_stats_add_record(struct tfr_stats *st, const void *payload, size_t len,
			 struct tfr_error *err);

/* Declare a class before any record, so that it is listed even with no
 * records (convert lists every class of the dataset). */
int tfr_stats_add_class(struct tfr_stats *st, int64_t label, const char *name,
			struct tfr_error *err);

/* Add every record of the TFRecord file at path (any compression;
 * max_record: payload cap, 0 for the default).  Errors name the file and
 * the record index and offset. */
int tfr_stats_add_file(struct tfr_stats *st, const char *path,
		       uint64_t max_record, struct tfr_error *err);

/* Add everything in b to a. */
int tfr_stats_merge(struct tfr_stats *a, const struct tfr_stats *b,
		    struct tfr_error *err);

/* Per-channel mean and std (population) on the 0..1 scale; returns the
 * channel count (0: no tensors seen). */
unsigned tfr_stats_mean_std(const struct tfr_stats *st, double mean[],
			    double std[]);

/*
 * Append the "stats" object, on one line:
 *   {"records": N, "mean": [...], "std": [...],
 *    "class_counts": {"NAME": N, ...},
 *    "sizes": {"short_side": {"edges": [...], "counts": [...]},
 *              "aspect": {"edges": [...], "counts": [...]}},
 *    "bytes_per_record": {"mean": X, "min": N, "max": N},
 *    "exact": {...the sums, so that stats of parts can be merged...}}
 */
int tfr_stats_json(struct tfr_buf *b, const struct tfr_stats *st);

/* Read back an object written by tfr_stats_json (st: initialized,
 * empty).  TFR_ERR_FORMAT when it is not one. */
int tfr_stats_from_json(struct tfr_stats *st, const char *text, size_t len,
			struct tfr_error *err);

#endif
