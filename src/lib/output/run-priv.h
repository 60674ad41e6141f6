/*
 * output/run-priv.h - the inside of struct tfr_output_run, shared by the
 * files of the output layer only (run.c: the run; state.c: its --resume
 * journal; manifest.c: its manifest and labels).  Nothing outside
 * src/lib/output/ includes this; the contract for callers is output.h.
 *
 * Thread-safety: as output.h says of the run.  The fields marked in
 * run.c as guarded by mu (committed, lines, post_ok, extra) are touched
 * only with mu held while workers run.
 */
#ifndef TFR_OUTPUT_RUN_PRIV_H
#define TFR_OUTPUT_RUN_PRIV_H

#include <pthread.h>
#include <stdint.h>

#include <nettle/sha2.h>

#include "base/buf.h"
#include "base/parallel.h"
#include "output/output.h"

struct prev_shard {
	int have;
	uint64_t records, bytes;
	uint64_t counts[TFR_OUTPUT_NCOUNTS];
	unsigned char sha[32];
	char *skipped;            /* the state line's skip list, as written */
	char *line;               /* the whole state line */
	int post_ok;              /* its --post command succeeded */
};

/* A shard of this part, as committed or kept. */
struct shard_done {
	uint64_t expect;          /* records the plan puts in it */
	uint64_t records, bytes;
	unsigned char sha[32];
	struct tfr_problem *skips;
	size_t nskips;
	int resumed;
};

struct tfr_output_run {
	struct tfr_output_run_opts o;
	struct tfr_ticker ticker;
	struct shard_done *sh;    /* for shards s0..s1 */
	struct tfr_problems extra; /* problems of no shard */
	uint64_t *extra_at;       /* their plan positions */
	size_t extra_cap;
	uint64_t first_lo, first_hi; /* this part's plan positions */
	char *prefix, *dir, *base;
	char *lock_path, *state_path, *manifest_path;
	int lock_fd, state_fd;
	struct sha256_ctx key_ctx;
	char key[65];
	uint32_t nshards, s0, s1;
	enum tfr_compression comp;
	struct prev_shard *prev;  /* for shards s0..s1 */
	unsigned char *committed; /* by this run, for shards s0..s1 */
	char **lines;             /* state line of each shard done, s0..s1 */
	struct tfr_post *post;    /* --post, or NULL */
	unsigned char *post_ok;   /* per shard s0..s1: its command succeeded */
	int keep;                 /* failed only in --post: keep the output */
	pthread_mutex_t mu;
};

static inline int tfr_orun_nomem(struct tfr_error *err)
{
	return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
}

/* run.c: the path of shard s (malloc'd; NULL when out of memory). */
char *tfr_orun_shard_name(const struct tfr_output_run *run, uint32_t s);

/*
 * state.c: the --resume journal, PREFIX.state.json, one JSON line per
 * shard done (and one per --post command that succeeded).
 * read: the lines of this run's key into run->prev, and the ones still
 *   of use appended to keep; a line that does not parse in full (a kill
 *   mid-append) is ignored, and its shard rebuilt.
 * skips: decode a line's skip list ("HEX:HEX", ...) into *out (malloc'd
 *   problems); 0, 1 when malformed, -1 when out of memory.
 * line: the line of shard s as committed, with its newline, into b
 *   (replacing nothing: appended); nonzero when out of memory.
 * write: the whole journal again, in shard order, atomically.
 */
int tfr_orun_state_read(struct tfr_output_run *run, struct tfr_buf *keep,
			struct tfr_error *err);
int tfr_orun_state_skips(const char *p, struct tfr_problem **out, size_t *nout);
int tfr_orun_state_line(struct tfr_buf *b, const struct tfr_output_run *run, uint32_t s,
			const uint64_t counts[TFR_OUTPUT_NCOUNTS],
			const struct tfr_problem *skips, size_t nskips);
int tfr_orun_state_write(struct tfr_output_run *run, struct tfr_error *err);

/* manifest.c: PREFIX.labels.txt (nothing when m has no labels), and the
 * manifest's text appended to b (nonzero when out of memory). */
int tfr_orun_labels_write(struct tfr_output_run *run, const struct tfr_manifest *m,
			  struct tfr_error *err);
int tfr_orun_manifest_text(struct tfr_output_run *run, const struct tfr_manifest *m,
			   const struct tfr_output_result *res, struct tfr_buf *b);

#endif
