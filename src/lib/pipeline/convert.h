/*
 * convert.h - images to Example shards: the driver of `tfrec convert`.
 *
 * Every record is a pure function of (options, item, copy): its place in
 * the output comes from the plan (plan.h), its randomness from rng.h.
 * So the output bytes are the same for every thread count, and each
 * --part writes exactly the shards a single run would.  Threads are run
 * by parallel.h.  Each shard and every side file is written under a
 * temporary name and renamed when complete.
 *
 * Example layout (raw mode): image/raw (bytes, the tensor,
 * little-endian), image/dtype (bytes), image/shape (int64, storage
 * order), image/mean and image/std (float, per channel, for float
 * dtypes: value = (pixel / 255 - mean) / std), image/height, image/width, image/channels (int64),
 * image/class/label (int64) and image/class/text (bytes) when the item
 * has a class, image/filename (bytes), image/format (bytes, "raw").
 * Encoded mode keeps the file's bytes in image/encoded, with
 * image/format "jpeg" or "png", and no raw/dtype/shape.
 */
#ifndef TFR_CONVERT_H
#define TFR_CONVERT_H

#include <stdint.h>

#include "pixels/augment.h"
#include "source/listing.h"
#include "output/output.h"
#include "pipeline/plan.h"
#include "format/record.h"
#include "base/status.h"
#include "pipeline/options.h"

/* What a run is about to write (this part's share). */
struct tfr_convert_projection {
	uint32_t nshards, shard_lo, shard_hi;
	uint64_t records;                 /* in shards [shard_lo, shard_hi) */
	uint64_t shard_min, shard_max;    /* records per shard */
	uint64_t bytes;                   /* of the shards, when known */
	int bytes_known;                  /* 0: depends on the encodings */
	int upper_bound;                  /* bytes is at most (--store) */
	uint64_t norm_sample;             /* --normalize dataset: images used */
	unsigned channels;
	double mean[3], std[3];           /* and what they gave */
};

struct tfr_convert_opts {
	struct tfr_augment aug;
	int encoded;              /* keep the original bytes */
	uint64_t max_pixels;      /* 0: default */
	uint64_t max_file;        /* 0: default */
	/* Alpha is composited over background (RGB) when use_background
	 * is set, else dropped, keeping the stored colour. */
	int use_background;
	unsigned char background[3];
	/* Where and how the shards are written: prefix, compression, level,
	 * index, part, resume, no_fsync, post and progress (output.h).  The
	 * driver sets command, inputs and ninputs itself. */
	struct tfr_output_run_opts out;
	struct tfr_plan_opts plan;
	int shuffle;
	uint64_t seed;
	uint32_t copies;          /* >= 1 */
	int threads;
	int skip_errors;          /* --on-error skip */
	int multi_hot;            /* also image/class/multi_hot (int64, one per class) */
	int no_stats;             /* no "stats" in the manifest (stats.h) */
	/* --normalize dataset: normalize with the mean and std of the
	 * pixels of a first pass over stats_sample inputs chosen with the
	 * seed (0: all), each as its first copy is augmented.  aug's
	 * normalization is replaced by what the pass finds. */
	int norm_dataset;
	uint64_t stats_sample;
	int store;                /* enum tfr_store: 0 tensor, else encode the
				   * uint8 HWC pixels (store.h) */
	int store_quality;
	/* Called once the plan is made, before any shard is written (from
	 * the calling thread), with what this part will write; may be NULL. */
	void (*on_plan)(void *ctx, const struct tfr_convert_projection *p);
	void *on_plan_ctx;
	/* Detection (items with boxes; boxes.h): a box keeping less than
	 * min_box_visible of its area in the crop is dropped; box_retries
	 * further crops may be drawn to keep at least one box. */
	double min_box_visible;
	unsigned box_retries;
	/* What was asked for, which tfr_convert_prepare() (options.h)
	 * checks and turns into aug's fields: the normalization (enum
	 * tfr_normalize, or nmean values of mean and nstd of std, 1 or one
	 * a channel), and the random resized crop's size (0: none). */
	int normalize;
	int nmean, nstd;
	float mean[3], std[3];
	uint32_t rrc_w, rrc_h;
	/* Duplicates (issue 23; hygiene/dedupe.h).  dedupe: enum
	 * tfr_dedupe_mode, each group keeps its first item in input order,
	 * the others are skips with the reason; near within
	 * dedupe_distance bits.  against: prefixes of earlier runs whose
	 * PREFIX.fingerprints refuse matching items (near at
	 * dedupe_distance unless dedupe is exact).  fingerprints: write
	 * PREFIX.fingerprints of the kept items (also when dedupe is on);
	 * only part 1 of a --part run writes it (every part fingerprints
	 * the whole input, so all would write the same). */
	int dedupe;
	int dedupe_distance;
	const char *const *against;
	size_t nagainst;
	int fingerprints;
};

struct tfr_convert_result {
	struct tfr_output_result out; /* shards, records, skipped, manifest */
	uint64_t units;           /* records this part had to make */
	uint64_t boxes_kept;      /* boxes in this part's records */
	uint64_t boxes_dropped;   /* left out by the crop (min_box_visible) */
	int detection;            /* some item had boxes */
	uint64_t dropped;         /* duplicates left out of this part (dedupe) */
};

int tfr_convert(const struct tfr_dataset *ds, const struct tfr_convert_opts *o,
		struct tfr_convert_result *res, struct tfr_error *err);
void tfr_convert_result_release(struct tfr_convert_result *res);

#endif
