/*
 * output.h - what convert and shard write in the same way: shard files
 * (named by plan.h, written through record.h, with optional DALI index
 * sidecars), the JSON manifest that lists them, and a run's hold on its
 * prefix (struct tfr_output_run, below).  The functions before it are
 * thread-safe: no shared state.
 */
#ifndef TFR_OUTPUT_H
#define TFR_OUTPUT_H

#include <stdint.h>

#include "buf.h"
#include "plan.h"
#include "problem.h"
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

/* "PREFIX.json", or "PREFIX.part-0000I-of-0000N.json" for a part (a dot,
 * so that the glob PREFIX-* matches shards only); malloc'd, NULL when out
 * of memory. */
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

/*
 * A run's hold on its output prefix: the lock, the resume state and the
 * clean-up of what a failed or killed run left.  Every run goes:
 *
 *   tfr_output_run_new      lock PREFIX.lock (PREFIX.part-I-of-N.lock for
 *                           a part), remove the old manifest, refuse
 *                           inputs that are output files of this prefix
 *   tfr_output_run_key_*    feed everything the output bytes depend on
 *   tfr_output_run_plan     clean temporary files of dead runs, read the
 *                           state (--resume) or remove old shards
 *   tfr_output_run_resumed  per shard: may an existing shard be kept?
 *   tfr_output_run_committed  per shard, after its rename: record it
 *   tfr_output_run_finish   the state in shard order
 *   (the driver writes the manifest, last)
 *   tfr_output_run_free     failed: remove this run's shards; unlock
 *
 * The lock is flock(2) on the lock file, so the kernel drops it when the
 * holder dies: a killed run never leaves a lock that blocks the next one.
 * The resume state, PREFIX.state.json (PREFIX.part-I-of-N.state.json),
 * holds one JSON object per line, appended as each shard is committed:
 * shard index, the run key (SHA-256 of the options and the inputs'
 * identity), record count, size, SHA-256 and skipped items.  A shard is
 * kept by --resume only when all of these match the plan and the file.
 *
 * tfr_output_run_resumed and tfr_output_run_committed are thread-safe;
 * the rest are called from one thread.
 */
struct tfr_output_run;

struct tfr_output_run_opts {
	const char *prefix;
	const char *command;      /* "convert" or "shard" */
	unsigned part_i, part_n;
	int resume;
	int no_fsync;
	/* Files the run reads (NULL: none checked); an output file of this
	 * prefix that is one of them (same device and inode) is refused. */
	const char *const *inputs;
	size_t ninputs;
};

int tfr_output_run_new(struct tfr_output_run **runp,
		       const struct tfr_output_run_opts *o,
		       struct tfr_error *err);

/* Feed the run key: bytes, or a file's identity (name, device, inode,
 * size, modification time); a file that cannot be stat'ed adds its name
 * only (it fails or is skipped later). */
void tfr_output_run_key_add(struct tfr_output_run *run, const void *p, size_t n);
void tfr_output_run_key_file(struct tfr_output_run *run, const char *path);

/* The plan is known: shards [s0, s1) of nshards, compression c. */
int tfr_output_run_plan(struct tfr_output_run *run, uint32_t nshards,
			uint32_t s0, uint32_t s1, enum tfr_compression c,
			struct tfr_error *err);

/*
 * --resume: 1 when shard s may be kept: the state holds it with this
 * run's key, records + nskips == expect, and the file has the recorded
 * size and SHA-256.  Then fills *records, *bytes, sha and the skipped
 * items (*skips malloc'd, owned by the caller; file and reason set,
 * record and offset TFR_NO_POS).  0 otherwise, or a negative status.
 */
int tfr_output_run_resumed(struct tfr_output_run *run, uint32_t s,
			   uint64_t expect, uint64_t *records, uint64_t *bytes,
			   unsigned char sha[32], struct tfr_problem **skips,
			   size_t *nskips, struct tfr_error *err);

/*
 * Shard s is under its final name: append it to the resume state.  This
 * is the hook for anything that follows a committed shard.
 */
int tfr_output_run_committed(struct tfr_output_run *run, uint32_t s,
			     uint64_t records, uint64_t bytes,
			     const unsigned char sha[32],
			     const struct tfr_problem *skips, size_t nskips,
			     struct tfr_error *err);

/* Every shard is done: rewrite the state in shard order (it was
 * appended in commit order, which depends on threads).  Call before
 * writing the manifest. */
int tfr_output_run_finish(struct tfr_output_run *run, struct tfr_error *err);

/* End the run: when failed, remove the shards (and sidecars) this run
 * committed, unless it was a --resume run, whose state keeps them for
 * the next --resume.  Then unlock.  NULL is ignored. */
void tfr_output_run_free(struct tfr_output_run *run, int failed);

#endif
