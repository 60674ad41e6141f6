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

#include "base/buf.h"
#include "pipeline/plan.h"
#include "base/problem.h"
#include "format/record.h"
#include "base/status.h"

/* "PREFIX.json", or "PREFIX.part-0000I-of-0000N.json" for a part (a dot,
 * so that the glob PREFIX-* matches shards only); malloc'd, NULL when out
 * of memory. */
char *tfr_output_manifest_name(const char *prefix, unsigned part_i,
			       unsigned part_n);

/* What a run reports back.  Owned by the caller once filled; release
 * with tfr_output_result_release (which accepts a zeroed struct). */
struct tfr_output_result {
	uint32_t nshards;             /* in the whole plan */
	uint32_t shard_lo, shard_hi;  /* this part's [lo, hi) */
	uint64_t records;             /* in this part's shards */
	uint32_t resumed;             /* shards kept by --resume */
	struct tfr_problem *skipped;  /* left out, in output order */
	size_t nskipped;
	char *manifest;               /* path written */
};

void tfr_output_result_release(struct tfr_output_result *res);

/*
 * One option as the manifest's "options" object records it; the output
 * layer renders it (in array order) and keys --resume on it.  Give every
 * option that changes the output bytes.
 */
enum tfr_option_type {
	TFR_OPTION_BOOL,          /* u[0]: 0 or 1 */
	TFR_OPTION_UINT,          /* u[0] */
	TFR_OPTION_UINT_PAIR,     /* [u[0], u[1]] */
	TFR_OPTION_NAME,          /* name, a JSON string */
	TFR_OPTION_FLOAT3,        /* [f[0], f[1], f[2]]; not finite: null */
	TFR_OPTION_FLOAT,         /* f[0] */
	TFR_OPTION_FLOAT_PAIR,    /* [f[0], f[1]] */
};

struct tfr_option {
	const char *key;
	enum tfr_option_type type;
	uint64_t u[2];
	const char *name;
	double f[3];
};

/* The options as a JSON object ({} for none) appended to b; 0 or -1 when
 * out of memory. */
int tfr_output_options_json(struct tfr_buf *b, const struct tfr_option *opt,
			    size_t n);

/*
 * What only the driver knows for the manifest.  The output layer adds the
 * rest (tool, command, part, shards and their hashes, skipped inputs).
 * input_files non-NULL: the inputs are listed by name, with records_in;
 * otherwise they are counted (ninputs) and labels are listed (and
 * written to PREFIX.labels.txt, one a line, when there are any).
 */
struct tfr_manifest {
	const struct tfr_option *options;
	size_t noptions;
	const char *const *input_files;
	size_t ninputs;
	uint64_t records_in;
	const char *const *labels;
	size_t nlabels;
	/* Detection (boxes non-zero): a "boxes" object with the boxes kept,
	 * those the crop dropped, and the annotation problems. */
	int boxes;
	uint64_t boxes_kept, boxes_dropped, annotation_problems;
	const char *stats_json;       /* the "stats" object (stats.h), or NULL */
};

/*
 * A run: everything convert and shard write, and their hold on the
 * prefix.  Every run goes:
 *
 *   tfr_output_run_new      lock PREFIX.lock (PREFIX.part-I-of-N.lock for
 *                           a part), remove the old manifest, refuse
 *                           inputs that are output files of this prefix
 *   tfr_output_run_key_*    feed everything the output bytes depend on
 *   tfr_output_run_plan     this part's shards; clean temporary files of
 *                           dead runs, read the state (--resume) or
 *                           remove old shards
 *   per shard s: tfr_output_run_resumed (may the existing one stay?), or
 *                tfr_output_run_open, write records, tfr_output_run_commit
 *                (the hook for anything that follows a committed shard)
 *   tfr_output_run_tick     progress, any thread
 *   tfr_output_run_problem  an input left out that belongs to no shard
 *   tfr_output_run_finish   state in shard order, labels, the manifest
 *                           last; fills the result
 *   tfr_output_run_free     when failed: remove this run's shards; unlock
 *
 * The lock is flock(2) on the lock file, so the kernel drops it when the
 * holder dies: a killed run never leaves a lock that blocks the next one.
 * The resume state, PREFIX.state.json (PREFIX.part-I-of-N.state.json),
 * holds one JSON object per line, appended as each shard is committed:
 * shard index, the run key (SHA-256 of the options and the inputs'
 * identity), record count, size, SHA-256 and skipped items.  A shard is
 * kept by --resume only when all of these match the plan and the file.
 *
 * resumed, open, commit, tick and problem are thread-safe (each shard
 * from one thread); the rest are called from one thread.
 */
struct tfr_output_run;

struct tfr_output_run_opts {
	const char *prefix;
	const char *command;      /* "convert" or "shard" */
	enum tfr_compression compression;
	int level;
	int index;                /* DALI sidecars SHARD.idx */
	unsigned part_i, part_n;
	int resume;
	int no_fsync;
	/* Files the run reads (NULL: none checked); an output file of this
	 * prefix that is one of them (same device and inode) is refused. */
	const char *const *inputs;
	size_t ninputs;
	/* --post: run this command on each shard once committed (post.h),
	 * at most post_jobs (0: 1) at once.  A command that fails fails the
	 * run at tfr_output_run_finish, after the manifest is written, and
	 * the output is kept; each success is recorded in the state, and
	 * --resume runs the command only for kept shards without one. */
	const char *post;
	unsigned post_jobs;
	/* Progress: called under a lock at most ~10 times a second. */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
};

int tfr_output_run_new(struct tfr_output_run **runp,
		       const struct tfr_output_run_opts *o,
		       struct tfr_error *err);

/* Feed the run key: bytes, or a file's identity (name, device, inode,
 * size, modification time); a file that cannot be stat'ed adds its name
 * only (it fails or is skipped later). */
void tfr_output_run_key_add(struct tfr_output_run *run, const void *p, size_t n);
void tfr_output_run_key_file(struct tfr_output_run *run, const char *path);
/* Feed the options (as rendered in the manifest). */
int tfr_output_run_key_options(struct tfr_output_run *run,
			       const struct tfr_option *opt, size_t n,
			       struct tfr_error *err);

/* The plan is made: take this part's shards, stored in [*s0, *s1). */
int tfr_output_run_plan(struct tfr_output_run *run, const struct tfr_plan *plan,
			uint32_t *s0, uint32_t *s1, struct tfr_error *err);

/*
 * Counts a driver keeps per shard beside its records, so that a kept
 * shard adds to the manifest what it added when it was made (convert:
 * boxes kept, boxes dropped by the crop, records with boxes).
 */
#define TFR_OUTPUT_NCOUNTS 3

/*
 * --resume: 1 when shard s is kept: the state holds it with this run's
 * key, records + skipped == the plan's count for it, and the file has
 * the recorded size and SHA-256 (its .idx is rebuilt when asked for);
 * its counts, as committed, are then stored in counts (when not NULL).
 * 0 when it must be made, or a negative status.  Its progress is ticked.
 */
int tfr_output_run_resumed(struct tfr_output_run *run, uint32_t s,
			   uint64_t counts[TFR_OUTPUT_NCOUNTS], struct tfr_error *err);

/* Start writing shard s under a temporary name. */
int tfr_output_run_open(struct tfr_output_run *run, uint32_t s,
			struct tfr_writer **w, struct tfr_error *err);

/* Commit shard s (w is consumed, also on failure) with the items skipped
 * in it (copied) and the driver's counts for it (NULL: zeros), and record
 * it in the resume state. */
int tfr_output_run_commit(struct tfr_output_run *run, uint32_t s,
			  struct tfr_writer *w, const struct tfr_problem *skips,
			  size_t nskips, const uint64_t counts[TFR_OUTPUT_NCOUNTS],
			  struct tfr_error *err);

void tfr_output_run_tick(struct tfr_output_run *run, uint64_t n);

/* An input left out that belongs to no shard (listed after the shards'
 * own, in call order); copied.  at: a position of the plan, so that of
 * the parts of a split run only the one whose shards hold it lists the
 * problem (the end of the plan counts as the last part's), or
 * TFR_NO_POS: every part lists it. */
int tfr_output_run_problem(struct tfr_output_run *run, uint64_t at,
			   const char *file, uint64_t record, uint64_t offset,
			   uint64_t length, const char *reason, struct tfr_error *err);

/* Every shard is done: write the state in shard order (it was appended
 * in commit order, which depends on threads), the labels, and the
 * manifest last; fill res. */
int tfr_output_run_finish(struct tfr_output_run *run, const struct tfr_manifest *m,
			  struct tfr_output_result *res, struct tfr_error *err);

/* The last step of a driver: when status is TFR_OK, finish (m, res, as
 * tfr_output_run_finish) and take its status; then free the run
 * (removing a failed run's shards).  Returns the status.  run may be
 * NULL (status is returned). */
int tfr_output_run_end(struct tfr_output_run *run, int status,
		       const struct tfr_manifest *m, struct tfr_output_result *res,
		       struct tfr_error *err);

/* End the run: when failed, remove the shards (and sidecars) this run
 * committed, unless it was a --resume run, whose state keeps them for
 * the next --resume.  Then unlock.  NULL is ignored. */
void tfr_output_run_free(struct tfr_output_run *run, int failed);

#endif
