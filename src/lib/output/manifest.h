/*
 * manifest.h - the manifest's layout, and joining the part manifests of
 * a --part I/N run.
 *
 * Each part of `convert --part I/N` or `shard --part I/N` writes its own
 * manifest (named by tfr_output_manifest_name).  tfr_manifest_merge reads
 * all N of them and writes PREFIX.json exactly as one run over all parts
 * would have written it, byte for byte: the members every part shares
 * are copied from part 1, "part" becomes {"index": 1, "count": 1},
 * "records" is summed, and the "shards" and "skipped" entries of the
 * parts are joined in part order.  Skipped entries that every part
 * reports alike (inputs that could not be listed, records pass 1 of
 * shard left out) are counted by "shared_skips" in a part's "part"
 * object and kept once, at the end, where a single run puts them.
 *
 * Checks before anything is written: every part 1..N is present, no two
 * files claim the same part, all parts come from the same command and
 * options, no shard is listed twice and the shards add up to
 * "shards_total".  Every failure names the part file (and the part
 * number).  Part manifests are read whole, each capped at
 * TFR_MANIFEST_MAX_BYTES; memory is the size of the merged manifest.
 *
 * Thread-safe: no shared state.
 */
#ifndef TFR_MANIFEST_H
#define TFR_MANIFEST_H

#include <stdint.h>

#include "base/buf.h"
#include "base/status.h"

/*
 * The manifest's layout, written by one writer for a run's manifest
 * (manifest.c) and for the merge (merge.c), so that the two are equal
 * byte for byte by construction:
 *
 *     {
 *       "key": value,              one member a line
 *       "list": [
 *         entry,                   one entry a line
 *         entry
 *       ],
 *       "empty": []
 *     }
 *
 * begin writes "{"; member starts a member (its key) and the caller
 * appends the one-line value to t->b; list_begin starts a list member,
 * entry starts one entry (the caller appends it), list_end closes the
 * list ("[]" when it has no entry, unless empty_open: "[\n  ]", which is
 * what a part with no shard has always written for "shards"); end closes
 * the object and returns nonzero when any append ran out of memory
 * (t->rc, which callers may also OR their own appends into).  apart
 * starts a list's entries in a buffer of their own, to be gathered over
 * several sources and placed later with list_put.  Not thread-safe; one
 * struct per text.
 */
struct tfr_mtext {
	struct tfr_buf *b;
	unsigned members, entries;
	int rc;
};

void tfr_mtext_begin(struct tfr_mtext *t, struct tfr_buf *b);
void tfr_mtext_member(struct tfr_mtext *t, const char *key);
void tfr_mtext_list_begin(struct tfr_mtext *t, const char *key);
void tfr_mtext_entry(struct tfr_mtext *t);
void tfr_mtext_list_end(struct tfr_mtext *t, int empty_open);
void tfr_mtext_apart(struct tfr_mtext *t, struct tfr_buf *b);
void tfr_mtext_list_put(struct tfr_mtext *t, const char *key, const struct tfr_mtext *list,
			int empty_open);
int tfr_mtext_end(struct tfr_mtext *t);

/* Cap on one part manifest (they hold one line per shard and per skip). */
#define TFR_MANIFEST_MAX_BYTES (UINT64_C(256) << 20)

struct tfr_manifest_merge_result {
	unsigned parts;       /* N */
	uint32_t shards;      /* shard entries in the merged manifest */
	uint64_t records;     /* the summed "records" */
	char *manifest;       /* path written (malloc'd) */
};

/*
 * Find the part manifests of prefix (directory and base name as given
 * to -o), check them and write the merged manifest atomically (fsync
 * unless no_fsync).  The part files are left in place.  res is filled
 * on success and must be released with tfr_manifest_merge_result_release
 * either way.  Errors: TFR_ERR_FORMAT for missing, duplicated or
 * inconsistent parts, TFR_ERR_IO, TFR_ERR_LIMIT, TFR_ERR_NOMEM.
 */
int tfr_manifest_merge(const char *prefix, int no_fsync,
		       struct tfr_manifest_merge_result *res,
		       struct tfr_error *err);

/* Free what res holds; res may be NULL. */
void tfr_manifest_merge_result_release(struct tfr_manifest_merge_result *res);

#endif
