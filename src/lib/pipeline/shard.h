/*
 * shard.h - rewrite existing TFRecord files into new shards: merge,
 * split, shuffle, recompress, salvage.  The driver of `tfrec shard`.
 *
 * Records are opaque here (no Example parsing); every CRC is checked as
 * records pass.  Output order is input order, or with shuffle a perfect
 * shuffle of all records of all inputs: each record gets the 64-bit key
 * tfr_rand3(seed, tag, its position in input order) and the output is
 * sorted by key.  Sorting runs through an external scatter/gather (see
 * shard.c) so memory stays within opts.memory whatever the input size.
 * Output bytes do not depend on threads, and each --part writes exactly
 * the shards a single run would.
 */
#ifndef TFR_SHARD_H
#define TFR_SHARD_H

#include <stddef.h>
#include <stdint.h>

#include "output/output.h"
#include "pipeline/plan.h"
#include "format/record.h"
#include "base/status.h"

struct tfr_shard_opts {
	/* Where and how the shards are written: prefix, compression, level,
	 * index, part, resume, no_fsync, post and progress (output.h).  The
	 * driver sets command, inputs and ninputs itself. */
	struct tfr_output_run_opts out;
	struct tfr_plan_opts plan;
	int shuffle;
	uint64_t seed;
	uint64_t memory;          /* budget for sorting; 0: 256 MiB */
	const char *temp_dir;     /* for spill files; NULL: the output's */
	int salvage;              /* skip damaged records instead of failing */
	uint64_t max_record;      /* 0: default */
	int threads;
};

struct tfr_shard_result {
	/* shards, records, manifest, and skipped: damaged spans, each with
	 * its file, offset and length (record: the index it was found at) */
	struct tfr_output_result out;
	uint64_t records_in;      /* sound records in all inputs */
};

int tfr_shard(const char *const *inputs, size_t ninputs,
	      const struct tfr_shard_opts *o, struct tfr_shard_result *res,
	      struct tfr_error *err);
void tfr_shard_result_release(struct tfr_shard_result *res);

#endif
