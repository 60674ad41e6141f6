/*
 * tfrec.h - the stable C API of libtfrec.so: TFRecord framing and CRC
 * checks, for other languages (Python loads it with ctypes), and since
 * version 2 the loader: shard files to filled training batches.
 *
 * A TFRecord stream is a sequence of
 *
 *     u64 length | u32 masked_crc32c(length) | data | u32 masked_crc32c(data)
 *
 * all little-endian.  This API works on bytes the caller already holds:
 * it opens no files, decompresses nothing and allocates nothing, so a
 * binding keeps its own I/O (and its own GZIP/ZLIB reader) and calls in
 * only for the byte crunching that is slow in an interpreter.
 *
 * Stability: functions and constants are only ever added.  A binding
 * checks tfrec_api_version() >= the version it was written for.  The
 * library's soname is libtfrec.so.0.
 *
 * Thread-safety: every function is pure and may be called from any
 * thread at once.  The CPU fast path (SSE4.2 crc32) is chosen on the
 * first call; TFREC_NO_SIMD=1 in the environment forces the portable
 * path, with identical results.
 *
 * NULL: buf may be NULL only when len is 0.  Output pointers must not be
 * NULL unless said otherwise.
 */
#ifndef TFREC_CAPI_H
#define TFREC_CAPI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TFREC_API_VERSION 3

/* The version of the API this library implements (TFREC_API_VERSION). */
int tfrec_api_version(void);

/* Continue a CRC-32C (Castagnoli) over buf: start with crc = 0. */
uint32_t tfrec_crc32c(uint32_t crc, const void *buf, size_t len);

/* TensorFlow's masked CRC-32C of buf, as stored in record framing. */
uint32_t tfrec_masked_crc32c(const void *buf, size_t len);

/* Name of the CRC implementation in use ("sse4.2x3", "slice-by-8");
 * a static string. */
const char *tfrec_crc32c_impl(void);

/* Results of tfrec_scan(); 0 and up is a record count. */
enum tfrec_scan_status {
	TFREC_SCAN_BAD_LENGTH_CRC = -1, /* header's length CRC mismatch */
	TFREC_SCAN_BAD_DATA_CRC = -2,   /* payload CRC mismatch */
	TFREC_SCAN_TOO_LARGE = -3,      /* length above max_record */
	TFREC_SCAN_BAD_ARG = -4,        /* NULL where not allowed */
};

/* tfrec_scan() flags. */
#define TFREC_SCAN_SKIP_DATA_CRC 1 /* check only the header CRC */

/*
 * Find the complete records at the start of buf, which must begin at a
 * record header, and check their CRCs.
 *
 * For each of up to cap records, starts[i] receives the offset in buf of
 * its payload (the byte after the 12-byte header) and lengths[i] its
 * payload length.  *used receives the bytes of buf the returned records
 * take, that is the offset of the first record not returned.  *need
 * receives the framed size (payload + 16) of that record when buf ends
 * inside it, so that the caller can read that much and call again, and
 * 0 otherwise (need may be NULL).  max_record caps a payload's length
 * (0 means 1 GiB), so that a damaged length never asks for a huge read.
 *
 * Returns the number of good records (0 if buf is empty or ends inside
 * the first one).  A damaged record is reported only when it is the
 * first in buf: the good records before it are returned first, so that
 * the next call, at buf + *used, returns the negative status and the
 * caller knows the damaged record's offset exactly.
 */
long tfrec_scan(const void *buf, size_t len, int flags, uint64_t max_record,
		uint64_t *starts, uint64_t *lengths, size_t cap,
		size_t *used, uint64_t *need);

/* ------------------------------------------------------------------ */
/*
 * The loader (API version 2).  Shards in, batches out: records are read
 * (plain shards with one pread each at the offset of the .idx sidecar or
 * of a header scan made at open; GZIP/ZLIB shards in order), checked,
 * and copied once into a batch (tensor records), or decoded and
 * augmented (encoded records).  The order is the epoch plan of the
 * loader contract: a pure function of the shards' record counts, seed,
 * epoch, rank, world size, batch size, shuffle mode, buffer and
 * drop_last, never of the thread count.
 *
 * Structs that may grow begin with a size field: a caller sets it to
 * sizeof the struct it was compiled with (tfrec_loader_options_init and
 * tfrec_error_init do), and the library reads only what is there.
 *
 * Threads: a loader runs options.threads - 1 threads of its own (0: one
 * per core) and the thread calling tfrec_loader_next works too.  The
 * functions of one loader may be called from any thread: they serialise
 * on the loader's lock (next() holds it while it fills a batch), so a
 * binding may release a batch wherever its last reference dies.
 * Different loaders are independent.
 *
 * Memory: per shard 16 bytes a record (offsets); the plan, 8 bytes a
 * record of the rank; `prefetch` batch slots, each the batch's framed
 * records plus its arrays, reused from batch to batch (a slot grows to
 * the largest batch seen; nothing is allocated per record after that).
 * When every slot is held by the caller, next() adds a slot.  At open
 * (plain shards) the loader reads the first record once and reserves and
 * populates every slot's image array for batch_size images of its size,
 * so that the first epoch runs at the speed of later ones: open takes
 * that memory (prefetch x a batch's images) and its page faults up front.
 *
 * Limits on what the input controls: a record's payload is at most
 * max_record bytes (default 1 GiB; a longer length is an error naming
 * the record, before any allocation); a tensor's sides at most 2^20 and
 * its bytes must match image/shape; an encoded image at most 100
 * megapixels (refused from its header).  A batch's image array holds
 * batch_size images of the batch's largest size, so mixed-size encoded
 * images without a crop or resize cost up to batch_size x 300 MB: give
 * random_resized_crop, crop or resize for such data.
 *
 * Ownership: a batch returned by tfrec_loader_next and all it points to
 * belong to the loader and stay valid and unchanged until
 * tfrec_loader_release(l, batch) or tfrec_loader_close(l).
 */

enum tfrec_shuffle { TFREC_SHUFFLE_NONE = 0, TFREC_SHUFFLE_BUFFER = 1, TFREC_SHUFFLE_FULL = 2 };
enum tfrec_verify { TFREC_VERIFY_FULL = 0, TFREC_VERIFY_LENGTH = 1, TFREC_VERIFY_NONE = 2 };
enum tfrec_dtype { TFREC_AS_STORED = -1, TFREC_FLOAT16 = 0, TFREC_FLOAT32 = 1, TFREC_UINT8 = 2 };
enum tfrec_layout { TFREC_HWC = 0, TFREC_CHW = 1 };
enum tfrec_norm { TFREC_NORM_NONE = 0, TFREC_NORM_RECORD = 1, TFREC_NORM_VALUES = 2 };
enum tfrec_kind { TFREC_KIND_NONE = 0, TFREC_KIND_BYTES = 1, TFREC_KIND_FLOAT = 2, TFREC_KIND_INT64 = 3 };
/* tfrec_batch.label_mode */
enum tfrec_labels { TFREC_LABELS_NONE = 0, TFREC_LABELS_ONE = 1, TFREC_LABELS_PADDED = 2,
		    TFREC_LABELS_MULTI_HOT = 3 };

struct tfrec_loader_options {
	uint32_t size;              /* sizeof(struct tfrec_loader_options) */
	uint32_t reserved;
	uint64_t batch_size;        /* >= 1 */
	int32_t threads;            /* 2; 0: one per core */
	int32_t shuffle;            /* enum tfrec_shuffle, BUFFER */
	uint64_t seed;              /* 0 */
	uint64_t shuffle_buffer;    /* 10000 */
	uint64_t rank, world_size;  /* 0, 1 */
	int32_t drop_last;          /* 0 */
	int32_t verify;             /* enum tfrec_verify, FULL */
	const char *image_key;      /* NULL: image/raw, else image/encoded */
	const char *label_key;      /* "image/class/label"; NULL: no labels */
	const char *const *keys;    /* extra features to return */
	uint64_t nkeys;
	uint32_t num_classes;       /* > 0: labels as multi-hot float32 */
	int32_t dtype;              /* enum tfrec_dtype, AS_STORED */
	int32_t layout;             /* enum tfrec_layout or TFREC_AS_STORED */
	int32_t norm;               /* enum tfrec_norm (uint8 pixels made float;
				       without one, float pixels are 0..1) */
	float mean[3], std[3];      /* NORM_VALUES, in 0..1 units */
	uint32_t rrc_h, rrc_w;      /* random resized crop to this size; 0: none */
	float scale[2], ratio[2];   /* its area and aspect ranges (0.08..1, 3/4..4/3) */
	uint32_t crop_h, crop_w;    /* centre crop; 0: none */
	int32_t flip;               /* random horizontal flip */
	uint32_t resize_h, resize_w;/* resize encoded images first; 0: none */
	int32_t pad_resize;         /* mixed sizes: 0 pad to the batch's largest;
				       1 resize encoded images to the batch's
				       first, stored tensors (bilinear) to
				       resize_h x resize_w when set, else to
				       the batch's first */
	int32_t on_error_skip;      /* 1: an image that fails to decode is
				       left out and counted */
	int32_t prefetch;           /* batches filled ahead, 2 */
	uint64_t max_record;        /* payload cap, 0: 1 GiB */
};

/* What went wrong.  message is the whole text for people: "SHARD: record
 * N at offset M: REASON" where those are known.  Programs read the parts
 * as fields instead (API 3; a caller whose size ends before subject gets
 * message only): subject is the shard or file the error is about ("" when
 * none), reason the message without subject, record and offset. */
struct tfrec_error {
	uint32_t size;              /* sizeof(struct tfrec_error) */
	int32_t status;             /* negative; see tfrec_loader_next */
	uint64_t record, offset;    /* UINT64_MAX when unknown */
	char message[640];
	char subject[1024];
	char reason[640];
};

struct tfrec_extra {
	const char *key;
	int32_t kind;               /* enum tfrec_kind; NONE: in no record */
	uint64_t width;             /* values per record, padded */
	const int32_t *counts;      /* n: values each record holds */
	/* n * width: int64 padded with -1, float padded with 0, or for
	 * bytes {const unsigned char *data; uint64_t len} pairs */
	const void *values;
};

struct tfrec_batch {
	uint32_t size;              /* sizeof(struct tfrec_batch) */
	uint32_t reserved;
	uint64_t epoch, index;      /* this batch's place */
	uint64_t n;                 /* records in it */
	void *images;               /* n x (h, w, c) or (c, h, w) */
	int32_t dtype, layout;
	uint32_t h, w, c;           /* images smaller are zero-padded */
	const int32_t *sizes;       /* n x 2: true (h, w) */
	const int64_t *ids;         /* n global record ids */
	int32_t label_mode;         /* enum tfrec_labels */
	uint64_t label_width;
	const int64_t *labels;      /* n (ONE) or n x width padded with -1 */
	const int32_t *label_counts;/* n */
	const float *multi_hot;     /* n x num_classes (MULTI_HOT) */
	uint64_t nextras;
	const struct tfrec_extra *extras;
	void *priv;
};

/* Mid-epoch state: the next batch's place and what the plan was made of. */
struct tfrec_loader_state {
	uint32_t size;              /* sizeof(struct tfrec_loader_state) */
	uint32_t version;           /* 1 */
	uint64_t epoch, batch;      /* batches already delivered this epoch */
	char plan[17];              /* hex digest of the plan's inputs */
	uint64_t records, shards, seed, rank, world_size, batch_size;
	uint64_t shuffle, shuffle_buffer, drop_last;
};

struct tfrec_loader;

void tfrec_loader_options_init(struct tfrec_loader_options *o);
void tfrec_error_init(struct tfrec_error *e);

/* Open npaths shards.  Returns 0 and *out, or a negative status with err
 * filled (err may be NULL).  Counting may scan every shard once. */
int tfrec_loader_open(struct tfrec_loader **out, const char *const *paths, size_t npaths,
		      const struct tfrec_loader_options *o, struct tfrec_error *err);
uint64_t tfrec_loader_len(const struct tfrec_loader *l);      /* batches per epoch */
uint64_t tfrec_loader_records(const struct tfrec_loader *l);  /* records of all shards */
uint64_t tfrec_loader_skipped(const struct tfrec_loader *l);
/* Start epoch e at its first batch. */
int tfrec_loader_set_epoch(struct tfrec_loader *l, uint64_t e, struct tfrec_error *err);
/* From the current batch on, hand out every stride-th batch only (a
 * data-loading worker w of n: state_set to batch w, then stride n);
 * prefetch then fills only those.  0 or 1: every batch. */
void tfrec_loader_set_stride(struct tfrec_loader *l, uint64_t stride);
/* 0 and *batch; 1 at the end of the epoch (the loader then moves to the
 * next epoch); negative on failure (err says where). */
int tfrec_loader_next(struct tfrec_loader *l, struct tfrec_batch **batch,
		      struct tfrec_error *err);
void tfrec_loader_release(struct tfrec_loader *l, struct tfrec_batch *batch);
/*
 * API version 3.  Random access: record `id` (its global id: records of
 * the shards before it plus its index in its shard; 0 .. records - 1)
 * alone, read with one pread at its offset, checked, decoded and
 * augmented with the loader's options as next() would in the current
 * epoch, returned as a batch of one (index UINT64_MAX) exactly as from
 * tfrec_loader_next: owned by the loader, valid until
 * tfrec_loader_release or tfrec_loader_close.  Batches next() has
 * prefetched are kept; the read takes a slot of its own (one more when
 * all are busy, reused after release), so memory stays prefetch + held
 * slots.  Threads: serialised on the loader's lock like every call; the
 * loader's threads do the work, the calling thread waits.  Returns 0
 * and *batch; 1 when the record failed to decode and on_error_skip is
 * set; negative on failure (err names shard, record and offset; an id
 * past the end is TFREC invalid, -6; compressed shards -7).
 */
int tfrec_loader_read(struct tfrec_loader *l, uint64_t id, struct tfrec_batch **batch,
		      struct tfrec_error *err);
void tfrec_loader_state_get(const struct tfrec_loader *l, struct tfrec_loader_state *s);
/* Continue where s says; an error naming what differs when s was made
 * by another plan. */
int tfrec_loader_state_set(struct tfrec_loader *l, const struct tfrec_loader_state *s,
			   struct tfrec_error *err);
void tfrec_loader_close(struct tfrec_loader *l);  /* l may be NULL */

#ifdef __cplusplus
}
#endif

#endif
