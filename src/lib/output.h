/*
 * output.h - what convert and shard write in the same way: shard files
 * (named by plan.h, written through record.h, with optional DALI index
 * sidecars) and the JSON manifest that lists them.  Thread-safe: no
 * shared state.
 */
#ifndef TFR_OUTPUT_H
#define TFR_OUTPUT_H

#include <stdint.h>

#include "buf.h"
#include "plan.h"
#include "record.h"
#include "status.h"

struct tfr_output {
	const char *prefix;
	enum tfr_compression compression;
	int level;
	int index;     /* write SHARD.idx beside each shard */
	int no_fsync;
};

/* Start writing shard s of nshards (see tfr_writer_open). */
int tfr_output_open(const struct tfr_output *o, uint32_t s, uint32_t nshards,
		    struct tfr_writer **w, struct tfr_error *err);

/* "PREFIX.json", or "PREFIX-part-0000I-of-0000N.json" for a part;
 * malloc'd, NULL when out of memory. */
char *tfr_output_manifest_name(const char *prefix, unsigned part_i,
			       unsigned part_n);

/* Start a manifest in b: the object's "tool", "command" and "options"
 * (options_json: a JSON object's text, or NULL for {}). */
int tfr_output_manifest_begin(struct tfr_buf *b, const char *command,
			      const char *options_json);

/* End it after the entries of its last member, the "skipped" list
 * (nskipped of them), and write b to path atomically (fsync unless
 * no_fsync).  status: non-zero when building b failed; that is reported
 * as out of memory and nothing is written. */
int tfr_output_manifest_finish(struct tfr_buf *b, int status, size_t nskipped,
			       const char *path, int no_fsync,
			       struct tfr_error *err);

/* Append one manifest entry {"file", "records", "bytes", "sha256"} for
 * the shard at path (its base name is recorded). */
int tfr_output_shard_json(struct tfr_buf *b, int first, const char *path,
			  uint64_t records, uint64_t bytes,
			  const unsigned char sha[32]);

#endif
