/*
 * verify.h - check a TFRecord file end to end: framing, both CRCs of
 * every record, that each payload parses as a tf.train.Example or
 * SequenceExample, and that the DALI index PATH.idx, when one exists,
 * lists exactly the file's records.
 *
 * Two kinds of failure, as everywhere in the library:
 *   - problems found in the data, which verification can step past (a
 *     payload that is not an Example, a damaged span in --all mode, a
 *     wrong index line), go to the caller's on_problem callback as a
 *     struct tfr_problem (file, record, offset, reason), in file order;
 *   - a failure that ends reading the file (cannot open it, a CRC
 *     mismatch when not salvaging, a truncated stream, an I/O error) is
 *     the return status with err filled as usual.
 * The index is judged only when the records had no problem: offsets past
 * a damaged span say nothing useful.
 *
 * Memory is bounded by one record (the reader's) and one index line: the
 * index is compared line by line while the records are read, never held
 * whole, so neither grows with the number of records.
 *
 * Thread-safe for distinct calls; no global state.
 */
#ifndef TFR_VERIFY_H
#define TFR_VERIFY_H

#include <stdint.h>

#include "base/problem.h"
#include "format/record.h"
#include "base/status.h"

/* The longest line a .idx may have ("OFFSET SIZE": two 20-digit numbers
 * and a space fit in 41 bytes).  Longer lines are malformed. */
#define TFR_IDX_MAX_LINE 64

struct tfr_verify_opts {
	uint64_t max_record;  /* payload cap; 0: TFR_DEFAULT_MAX_RECORD */
	int all;              /* step past damaged spans and report each */
	int no_examples;      /* framing and CRCs only */
	int no_index;         /* do not look for PATH.idx */
	/*
	 * Called once per problem; may be NULL.  p and its strings are
	 * borrowed for the duration of the call (copy what you keep).
	 * p->file is the path given, or PATH.idx for index problems.
	 */
	void (*on_problem)(void *ctx, const struct tfr_problem *p);
	void *ctx;
};

struct tfr_verify_result {
	uint64_t records;                 /* records read */
	uint64_t problems;                /* calls made to on_problem */
	enum tfr_compression compression; /* as detected */
	int index;                        /* 1: PATH.idx exists and matched */
};

/*
 * Verify the file at path ("-": standard input, which has no index).
 * Returns TFR_OK when the whole file was read (res->problems says whether
 * it is sound), or a negative status with err filled when reading had to
 * stop.  res is always filled with what was seen.
 */
int tfr_verify_file(const char *path, const struct tfr_verify_opts *o,
		    struct tfr_verify_result *res, struct tfr_error *err);

#endif
