/*
 * hygiene/inputs.h - a set of inputs to fingerprint: listings (anything
 * the source layer reads) and tfrec's own tensor shards, each with an
 * optional split name, numbered by one global item index g in input
 * order.  tfrec duplicates and convert --dedupe (dedupe.h) both
 * fingerprint through tfr_fp_inputs_fingerprint(), the one threaded
 * fingerprinting loop.
 *
 * Determinism: each item is fingerprinted into a slot of its own
 * (parallel.h), and skipped items are reported in input order, so
 * nothing here depends on the number of threads.
 *
 * Memory: a tensor shard is read once, serially, when listed; only its
 * items' names, labels and fingerprints are kept (not the pictures).
 *
 * Thread-safety: a set is used by one thread at a time (the fingerprint
 * call runs its own workers inside).  Strings given to add are borrowed
 * and must outlive the set.
 */
#ifndef TFR_HYGIENE_INPUTS_H
#define TFR_HYGIENE_INPUTS_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/problem.h"
#include "base/status.h"
#include "hygiene/fingerprint.h"
#include "readback/export.h"
#include "source/listing.h"
#include "source/source.h"

struct tfr_fp_input {
	const char *path;   /* the INPUT as given (borrowed) */
	const char *split;  /* its split name (borrowed), or NULL */
	const char *kind;   /* NULL: told from the bytes; "list", "table" */
	size_t first;       /* global index of its first item */
	size_t n;           /* its items (after listing) */
	/* private */
	int listed;
	int shard;                      /* a tensor shard of tfrec's */
	struct tfr_dataset ds;          /* the listing, when owned */
	const struct tfr_dataset *dsp;  /* the caller's listing, or NULL: ds */
	char **names, **labels;         /* a shard's, n each */
	struct tfr_fp *sfp;
	size_t cap;
};

struct tfr_fp_inputs {
	struct tfr_fp_input *in;   /* nin inputs, in order */
	size_t nin, cap;
	size_t n;                  /* items of all inputs */
	struct tfr_fp *fp;         /* n, after fingerprinting; skipped: zero */
	unsigned char *skip;       /* n; 1: skipped (see prob) */
	/* What was skipped, in input order: first what the listings could
	 * not list (nlisted of them), then items that could not be read or
	 * decoded (file is the item's full name). */
	struct tfr_problem *prob;
	size_t nprob, prob_cap, nlisted;
	struct tfr_buf label;      /* tfr_fp_inputs_label's result */
};

/* Largest item count: search.h numbers items with 32 bits. */
#define TFR_FP_INPUTS_MAX (UINT32_MAX - 1)

void tfr_fp_inputs_init(struct tfr_fp_inputs *s);
void tfr_fp_inputs_release(struct tfr_fp_inputs *s);

/* Append an input (not listed yet).  path, split, kind as above. */
int tfr_fp_inputs_add(struct tfr_fp_inputs *s, const char *path, const char *split,
		      const char *kind, struct tfr_error *err);
/* Append a listing the caller owns and has finished (borrowed; it must
 * outlive the set).  It counts as listed. */
int tfr_fp_inputs_add_dataset(struct tfr_fp_inputs *s, const struct tfr_dataset *ds,
			      struct tfr_error *err);

/*
 * List every input not listed yet, in order.  An input with no kind that
 * is a TFRecord file whose first record holds a tensor (image/raw) is
 * read as a tensor shard: each record's picture is fingerprinted, its
 * image/filename and label text kept.  A listing's unreadable entries
 * become problems (s->nlisted); a shard record that is not a picture is
 * an error about the shard with its record index and offset.  More than
 * TFR_FP_INPUTS_MAX items is TFR_ERR_LIMIT.
 */
int tfr_fp_inputs_list(struct tfr_fp_inputs *s, const struct tfr_source_opts *so,
		       struct tfr_error *err);

/*
 * Fingerprint every item into s->fp on threads workers (0: every core;
 * parallel.h), decoding at most max_pixels pixels per image.  An item
 * that cannot be read or decoded: with keep_going, skip[g] = 1 and a
 * problem (in input order); without, the error about it (the lowest such
 * item among those that ran).  Allocation failure and interruption are
 * always errors.
 */
int tfr_fp_inputs_fingerprint(struct tfr_fp_inputs *s, int threads, uint64_t max_pixels,
			      int keep_going, struct tfr_error *err);

/* The input that holds global item g (g < s->n). */
const struct tfr_fp_input *tfr_fp_inputs_at(const struct tfr_fp_inputs *s, size_t g);
/* Item g's short name (listing name, or a shard's image/filename). */
const char *tfr_fp_inputs_name(const struct tfr_fp_inputs *s, size_t g);
/* Item g's path within its input (for a shard, its image/filename). */
const char *tfr_fp_inputs_path(const struct tfr_fp_inputs *s, size_t g);
/* Item g's labels, comma-separated, or NULL when it has none.  Valid
 * until the next call on s; NULL too when out of memory. */
const char *tfr_fp_inputs_label(struct tfr_fp_inputs *s, size_t g);

/*
 * A contact sheet of the first TFR_EXPORT_SHEET_MAX of the count items
 * in member (global indexes), decoded at thumbnail size; a tensor
 * shard's item (its picture is not kept) is a grey cell.  sheet is
 * initialised here; release it with tfr_sheet_release, even on failure.
 */
int tfr_fp_inputs_sheet(const struct tfr_fp_inputs *s, const uint32_t *member,
			size_t count, uint64_t max_pixels, struct tfr_sheet *sheet,
			struct tfr_error *err);

#endif
