/*
 * record.h - reading and writing TFRecord streams.
 *
 * A TFRecord stream is a sequence of
 *
 *     u64 length | u32 masked_crc32c(length) | data | u32 masked_crc32c(data)
 *
 * (all little-endian), optionally compressed as a whole with GZIP or ZLIB.
 * Offsets reported by this module are always offsets in the uncompressed
 * record stream, which for uncompressed files are file offsets.
 *
 * Objects are not thread-safe; use one reader or writer per thread.
 */
#ifndef TFR_RECORD_H
#define TFR_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

enum tfr_compression {
	TFR_COMP_AUTO = -1, /* reader only: detect from the first bytes */
	TFR_COMP_NONE = 0,
	TFR_COMP_GZIP = 1,
	TFR_COMP_ZLIB = 2,
};

/* Framing overhead per record. */
#define TFR_RECORD_OVERHEAD 16

/* Default cap on one record's payload: 1 GiB. */
#define TFR_DEFAULT_MAX_RECORD (UINT64_C(1) << 30)

const char *tfr_compression_name(enum tfr_compression c); /* "none"... */
/* Parse "none", "gzip", "zlib" (also "" for none); -2 if unknown. */
int tfr_compression_parse(const char *s);

/* Fill a record header for a payload of len bytes. */
void tfr_record_header(unsigned char hdr[12], uint64_t len);

/* 1 when rec (TFR_RECORD_OVERHEAD + len bytes) is a whole framed record
 * of payload length len with both CRCs right, else 0. */
int tfr_record_check(const unsigned char *rec, uint64_t len);

/* --- reader --- */

struct tfr_reader;

/* Called in salvage mode for every damaged span that was skipped. */
typedef void (*tfr_skip_fn)(void *ctx, uint64_t index, uint64_t offset,
			    uint64_t length, const char *why);

struct tfr_reader_opts {
	enum tfr_compression compression; /* TFR_COMP_AUTO to detect */
	uint64_t max_record;  /* payload cap; 0 means TFR_DEFAULT_MAX_RECORD */
	int skip_data_crc;    /* 1: do not check the data CRC */
	/* Salvage: skip records with a bad data CRC, resynchronise after a
	 * bad header by scanning for the next valid one, and drop a
	 * truncated tail; each span is reported to on_skip. */
	int salvage;
	tfr_skip_fn on_skip;
	void *skip_ctx;
};

struct tfr_record {
	const unsigned char *data; /* valid until the next call */
	uint64_t len;              /* payload length */
	uint64_t index;            /* 0-based record number */
	uint64_t offset;           /* stream offset of the header */
};

/*
 * Open path ("-" for standard input).  opts may be NULL for defaults.
 * Returns TFR_OK and a reader in *rp, or an error (nothing to free).
 */
int tfr_reader_open(struct tfr_reader **rp, const char *path,
		    const struct tfr_reader_opts *opts, struct tfr_error *err);

/* Take ownership of an open fd instead; name is used in messages. */
int tfr_reader_open_fd(struct tfr_reader **rp, int fd, const char *name,
		       const struct tfr_reader_opts *opts,
		       struct tfr_error *err);

/*
 * Read the next record, checking both CRCs (unless skip_data_crc).
 * Returns TFR_OK, TFR_EOF at a clean end, or a negative status with a
 * message naming the file, record index and byte offset.
 */
int tfr_reader_next(struct tfr_reader *r, struct tfr_record *rec,
		    struct tfr_error *err);

/*
 * Like tfr_reader_next, but only the header is read and checked: the
 * payload is skipped with lseek when the stream is an uncompressed
 * regular file (rec->data is NULL then).  Truncation is still detected.
 */
int tfr_reader_next_header(struct tfr_reader *r, struct tfr_record *rec,
			   struct tfr_error *err);

/*
 * Continue reading at stream offset, which must be the start of record
 * number index.  Only for uncompressed regular files; else
 * TFR_ERR_UNSUPPORTED.
 */
int tfr_reader_seek(struct tfr_reader *r, uint64_t offset, uint64_t index,
		    struct tfr_error *err);

enum tfr_compression tfr_reader_compression(const struct tfr_reader *r);
/* Stream bytes consumed so far (uncompressed offset). */
uint64_t tfr_reader_offset(const struct tfr_reader *r);
/* Compressed bytes read from the file so far. */
uint64_t tfr_reader_raw_bytes(const struct tfr_reader *r);
void tfr_reader_free(struct tfr_reader *r); /* r may be NULL */

/* --- writer --- */

struct tfr_writer;

/*
 * What the file's owner hears of the writing, so that sidecars are its
 * business and not the framing's (a DALI index: output/sidecar.h).  Any
 * member may be NULL.  on_record: each record's stream offset and framed
 * size, before the record is written (nonzero: out of memory).
 * before_commit: once the file's bytes are durable, before it takes its
 * final name, so that a sidecar is in place first.  release: when the
 * writer goes, committed or not (ctx is freed there).  Not called for
 * standard output ("-"), which has nothing beside it.
 */
struct tfr_writer_hook {
	int (*on_record)(void *ctx, uint64_t offset, uint64_t size);
	int (*before_commit)(void *ctx, struct tfr_error *err);
	void (*release)(void *ctx);
	void *ctx;
};

struct tfr_writer_opts {
	enum tfr_compression compression;
	int level;              /* zlib level 1..9, 0 for the default (6) */
	int no_fsync;           /* skip fsync before rename (tests, stdout) */
	struct tfr_writer_hook hook; /* owned by the writer from open on */
};

/*
 * Create a writer for path ("-" writes to standard output without
 * renaming).  The file is fileio.h's atomic writer: a temporary name
 * beside path, registered in tmpfile.h, that appears under path only on
 * tfr_writer_commit().  opts->hook is released even when open fails.
 */
int tfr_writer_open(struct tfr_writer **wp, const char *path,
		    const struct tfr_writer_opts *opts, struct tfr_error *err);

/* Append one record.  A payload over TFR_DEFAULT_MAX_RECORD, which
 * readers refuse by default, is refused here too (TFR_ERR_LIMIT). */
int tfr_writer_write(struct tfr_writer *w, const void *data, size_t len,
		     struct tfr_error *err);

/*
 * Flush, fsync and rename into place; then free w.  If sha256 is not
 * NULL it receives the SHA-256 of the file's bytes, and if bytes is not
 * NULL the file's final size.  On failure the temporary file is removed
 * and w is freed all the same.
 */
int tfr_writer_commit(struct tfr_writer *w, unsigned char sha256[32],
		      uint64_t *bytes, struct tfr_error *err);

/* Remove the temporary file and free w (w may be NULL). */
void tfr_writer_abort(struct tfr_writer *w);

uint64_t tfr_writer_records(const struct tfr_writer *w);
uint64_t tfr_writer_stream_bytes(const struct tfr_writer *w);
/* Bytes of the file so far; a compressed stream may still hold some
 * back until tfr_writer_commit(), which gives the final size. */
uint64_t tfr_writer_file_bytes(const struct tfr_writer *w);

#endif
