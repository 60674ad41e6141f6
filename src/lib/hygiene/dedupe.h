/*
 * hygiene/dedupe.h - fingerprinting a whole listing, choosing which
 * items convert --dedupe / --against drops, and the PREFIX.fingerprints
 * side file.
 *
 * Determinism: every item of the listing is fingerprinted, whatever
 * --part the run is, each into a slot of its own, and the groups come from
 * hygiene/search.h, whose output does not depend on threads.  So every
 * part of a --part run drops exactly the items a single run drops (each
 * part pays for fingerprinting the whole input, at the 1/8-scale rate).
 *
 * The side file PREFIX.fingerprints: the 8 bytes "TFRFP1\n\0", then per
 * image kept by the run (in input order) its Zauner hash and exact key,
 * 8 bytes each, little-endian.  Written through fileio's atomic writer.
 * Thread-safety: each call uses only its arguments.
 */
#ifndef TFR_HYGIENE_DEDUPE_H
#define TFR_HYGIENE_DEDUPE_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "hygiene/fingerprint.h"
#include "source/listing.h"

enum tfr_dedupe_mode { TFR_DEDUPE_NONE = 0, TFR_DEDUPE_EXACT, TFR_DEDUPE_NEAR };

/* Largest side file read: 2^26 images (1 GiB). */
#define TFR_FP_FILE_MAX_IMAGES (UINT64_C(1) << 26)

/*
 * Fingerprint every item of ds on threads workers, through the one
 * threaded fingerprinting loop (inputs.h, a set of one input).  An
 * item that cannot be read or decoded gets bad[i] = 1 (convert reports
 * it later, in its shard); only allocation failure and interruption are
 * errors.  fps and bad hold ds->n entries, caller-owned.
 */
int tfr_fp_dataset(const struct tfr_dataset *ds, int threads, uint64_t max_pixels,
		   struct tfr_fp *fps, unsigned char *bad, struct tfr_error *err);

/* Append the fingerprints of PREFIX.fingerprints to *v (realloc'd,
 * *n updated).  A missing, short or foreign file is an error naming it. */
int tfr_fp_file_read(const char *prefix, struct tfr_fp **v, size_t *n,
		     struct tfr_error *err);

/* Write PREFIX.fingerprints: fps[i] for every i with keep[i] (keep NULL:
 * all), atomically. */
int tfr_fp_file_write(const char *prefix, const struct tfr_fp *fps,
		      const unsigned char *keep, size_t n, int no_fsync,
		      struct tfr_error *err);

/*
 * Which items to drop.  mode EXACT or NEAR (distance bits); against,
 * nagainst: fingerprints of earlier runs (any item that matches one is
 * dropped).  With within set, each group inside the run keeps its first
 * member in input order and drops the others; without, only matches of
 * against are dropped.  *drop gets ds->n reasons (malloc'd strings, NULL for kept
 * items; free with tfr_dedupe_free), *fps the fingerprints (ds->n,
 * malloc'd; bad items are zero), *ndropped the count.
 */
int tfr_dedupe_mark(const struct tfr_dataset *ds, enum tfr_dedupe_mode mode,
		    int within, int distance, int threads, uint64_t max_pixels,
		    const struct tfr_fp *against, size_t nagainst,
		    char ***drop, struct tfr_fp **fps, uint64_t *ndropped,
		    struct tfr_error *err);
void tfr_dedupe_free(char **drop, size_t n);

#endif
