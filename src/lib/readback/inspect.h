/*
 * inspect.h - read a TFRecord file once and describe it: record count and
 * sizes, payload kinds, the schema of its Examples (each feature key with
 * its kind and how many values records hold), and JSON for the summary
 * and for one record.
 *
 * The reading loop lives here, once.  What a command does with each
 * record is a visitor (on_record): `inspect --dump` prints JSON, `inspect
 * --export` makes PNGs (export.h), and a further pass over the records,
 * such as pixel or label statistics, is one more visitor, with its own
 * state in ctx, not another loop.
 *
 * Memory: one record (the reader's) and the schema, whose keys are capped
 * at TFR_INSPECT_MAX_KEYS; neither grows with the number of records.
 * Thread-safe for distinct calls; no global state.
 */
#ifndef TFR_INSPECT_H
#define TFR_INSPECT_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "format/example.h"
#include "format/record.h"
#include "base/status.h"

/* Distinct feature keys the schema tracks per file; more set
 * keys_truncated. */
#define TFR_INSPECT_MAX_KEYS 4096

/* A positive return of on_record: stop reading this file, no error. */
#define TFR_INSPECT_STOP 2

struct tfr_schema_key {
	char *key;         /* owned */
	int kind;          /* enum tfr_feature_kind, or -1 when it varies */
	int is_list;       /* a SequenceExample feature list */
	uint64_t min, max; /* values (or steps) per record that has it */
	uint64_t present;  /* records that have it */
};

struct tfr_inspect_stats {
	enum tfr_compression compression;
	uint64_t file_bytes;      /* size on disk; 0 for a pipe or stdin */
	uint64_t records;
	uint64_t stream_bytes;    /* framed bytes of the (uncompressed) stream */
	uint64_t min, max, sum;   /* payload lengths */
	uint64_t examples, seqs, others; /* payload kinds (not when headers_only) */
	struct tfr_schema_key *keys;     /* sorted: plain features, then lists,
					  * each by key */
	size_t nkeys;
	int keys_truncated;
};

struct tfr_inspect_opts {
	uint64_t max_record;  /* payload cap; 0: TFR_DEFAULT_MAX_RECORD */
	int headers_only;     /* count only: payloads are skipped (by seeking
			       * in uncompressed files), not parsed or CRC'd */
	int schema;           /* gather the feature keys */
	/*
	 * Called for each record after it is counted (never when
	 * headers_only), with its payload parsed: ex is NULL when the
	 * payload is not an Example.  rec and ex are valid during the call
	 * only.  Return TFR_OK to go on, TFR_INSPECT_STOP to stop reading
	 * this file quietly, or a negative status, with err filled, to fail.
	 * May be NULL.
	 */
	int (*on_record)(void *ctx, const char *file, const struct tfr_record *rec,
			 const struct tfr_example *ex, struct tfr_error *err);
	void *ctx;
};

/*
 * Read the file at path ("-": standard input) to its end, or until
 * on_record stops it, filling *s (which the caller releases, even on
 * failure).  Returns TFR_OK or a negative status with err filled, naming
 * the file and, for damaged data, the record and offset.
 */
int tfr_inspect_file(const char *path, const struct tfr_inspect_opts *o,
		     struct tfr_inspect_stats *s, struct tfr_error *err);

void tfr_inspect_stats_release(struct tfr_inspect_stats *s); /* s may be NULL */

/*
 * Append the summary of path as one JSON object and a newline: file,
 * compression, records, bytes, and unless count_only the sizes, payload
 * kinds and features.  Returns 0, or -1 when b cannot grow.
 */
int tfr_inspect_summary_json(struct tfr_buf *b, const char *path,
			     const struct tfr_inspect_stats *s, int count_only);

/*
 * Append one record as a JSON line: file, index, offset, length, and the
 * features of an Example or SequenceExample (bytes as UTF-8 text when
 * every value is text, else base64), or the payload in base64 when ex is
 * NULL.  Returns 0, or -1 when b cannot grow.
 */
int tfr_inspect_dump_json(struct tfr_buf *b, const char *file,
			  const struct tfr_record *rec, const struct tfr_example *ex);

#endif
