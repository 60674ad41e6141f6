/*
 * loader.h - from TFRecord shards to filled training batches.
 *
 * Order.  The epoch plan alone decides which record lands in which batch
 * position (the contract is /work/brief/loader-spec.md, section 1: the
 * tfr_plan_* functions below are its C twin, bit for bit, of the Python
 * tfrec.plan).  Threads only fill positions, so batches are identical
 * for every thread count.
 *
 * Memory, bounded and allocated at open or on growth only:
 *   - per shard: its record count, and for uncompressed shards the offset
 *     and length of every record (16 bytes a record, from the .idx
 *     sidecar or one header scan at open).  A GZIP/ZLIB shard is counted
 *     from the manifest beside it (PREFIX.json of tfrec convert/shard,
 *     when its byte count matches the file), else by one decompression;
 *   - the epoch's plan: 8 bytes per record of this rank (its ids in
 *     order; the shuffle buffer of the spec holds at most B ids while
 *     the plan is made), plus 8 bytes per record of the whole dataset
 *     while it is made in "full" mode;
 *   - prefetch batch slots (prefetch + the ones the caller still holds):
 *     each holds batch_size framed records, the batch's arrays, and grows
 *     to the largest batch seen, then is reused: no allocation per record
 *     in the steady state.  A stored tensor that is delivered as stored
 *     is read by one preadv straight into its place in the batch (the
 *     rest of its record beside it), so it costs one copy from the page
 *     cache; the CRC runs over the bytes just read.  At open the first
 *     record is read once and every slot's image array is reserved and
 *     populated for batch_size images of its size (warm_up in loader.c),
 *     so the first epoch pays no page faults for batch memory;
 *   - per thread: decode and augment scratch (one image at a time).
 *
 * GZIP/ZLIB shards cannot seek: one thread reads their records in
 * order, batch by batch (each batch's records sorted by id), and a
 * record behind the reader's position reopens the shard and reads from
 * its start.  "none" never goes back; "buffer" goes back when the
 * shuffle buffer emits an earlier record of a shard after a later one
 * was read, which costs up to a shard's decompression per batch: for
 * shuffled training prefer plain shards with .idx (tfrec shard
 * --compression none --index).  "full" refuses compressed shards.
 *
 * Threads: `threads` - 1 pool threads (parallel.h); the caller's thread
 * also works while it waits.  A loader is not thread-safe: one thread
 * calls its functions.  Batches handed out stay valid until released.
 */
#ifndef TFR_LOADER_H
#define TFR_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

/* --- the epoch plan (pure functions) --- */

enum tfr_plan_tag { TFR_TAG_SHARDS = 1, TFR_TAG_BUFFER = 2, TFR_TAG_PERM = 3, TFR_TAG_AUG = 4 };
enum tfr_shuffle { TFR_SHUFFLE_NONE = 0, TFR_SHUFFLE_BUFFER = 1, TFR_SHUFFLE_FULL = 2 };

uint64_t tfr_plan_mix64(uint64_t z);
uint64_t tfr_plan_key(const uint64_t *v, size_t k);
uint64_t tfr_plan_next(uint64_t *state);
uint64_t tfr_plan_below(uint64_t *state, uint64_t n);
void tfr_plan_permute(uint64_t *a, size_t n, uint64_t *state);

struct tfr_plan_params {
	const uint64_t *counts;  /* records per shard, S of them */
	size_t nshards;
	uint64_t seed, epoch;
	uint64_t rank, world;    /* world >= 1, rank < world */
	uint64_t batch_size;     /* >= 1 */
	enum tfr_shuffle shuffle;
	uint64_t buffer;         /* shuffle buffer B */
	int drop_last;
};

/* Records of this rank per epoch (n of the spec). */
uint64_t tfr_plan_rank_len(const struct tfr_plan_params *p);
/* Batches of this rank per epoch. */
uint64_t tfr_plan_batches(const struct tfr_plan_params *p);
/* The rank's ids in order into ids (tfr_plan_rank_len() of them). */
int tfr_plan_rank_ids(const struct tfr_plan_params *p, uint64_t *ids,
		      struct tfr_error *err);
/* The plan's digest (everything but the epoch), as 16 hex digits. */
void tfr_plan_digest(const struct tfr_plan_params *p, char hex[17]);

/* --- the loader --- */

enum tfr_verify_mode { TFR_VERIFY_FULL = 0, TFR_VERIFY_LENGTH = 1, TFR_VERIFY_NONE = 2 };
/* Output dtype/layout: -1 means "as stored". */
enum { TFR_AS_STORED = -1 };
enum tfr_norm_mode { TFR_NORM_NONE = 0, TFR_NORM_RECORD = 1, TFR_NORM_VALUES = 2 };

struct tfr_loader_opts {
	uint64_t batch_size;
	int threads;              /* 0: every core */
	enum tfr_shuffle shuffle;
	uint64_t seed, shuffle_buffer, rank, world;
	int drop_last;
	enum tfr_verify_mode verify;
	const char *image_key;    /* NULL: image/raw if present, else image/encoded */
	const char *label_key;    /* NULL: no labels */
	const char *const *keys;  /* extra features, nkeys of them */
	size_t nkeys;
	uint32_t num_classes;     /* > 0: labels as multi-hot float32 */
	int dtype;                /* TFR_AS_STORED or enum tfr_dtype */
	int layout;               /* TFR_AS_STORED or enum tfr_layout */
	enum tfr_norm_mode norm;  /* applies to uint8 pixels made float */
	float mean[3], std[3];    /* TFR_NORM_VALUES, 0..1 units */
	uint32_t rrc_h, rrc_w;    /* random resized crop size, 0: none */
	float scale[2], ratio[2];
	uint32_t crop_h, crop_w;  /* centre crop, 0: none */
	int flip;
	uint32_t resize_h, resize_w; /* 0: none */
	int pad_resize;           /* mixed sizes: 0 pad to the largest; 1 resize
				     encoded images to the first one's, stored
				     tensors (bilinear) to resize_h x resize_w
				     when set, else to the first one's */
	int skip_errors;          /* on_error="skip" */
	int prefetch;             /* batches filled ahead (>= 1) */
	uint64_t max_record;      /* 0: TFR_DEFAULT_MAX_RECORD */
};

void tfr_loader_opts_default(struct tfr_loader_opts *o);

enum tfr_extra_kind { TFR_EXTRA_NONE = 0, TFR_EXTRA_BYTES = 1, TFR_EXTRA_FLOAT = 2, TFR_EXTRA_INT64 = 3 };

/* One extra feature of a batch: per record a count and width values,
 * padded (int64 with -1, float with 0, bytes with an empty span). */
struct tfr_loader_extra {
	const char *key;
	int kind;                 /* enum tfr_extra_kind (NONE: absent everywhere) */
	uint64_t width;           /* values per record after padding */
	int32_t *counts;          /* n */
	void *values;             /* n * width int64 / float / struct tfr_span */
};

struct tfr_span {
	const unsigned char *data;  /* into the slot's record bytes */
	uint64_t len;
};

struct tfr_loader_batch {
	uint64_t epoch, index;    /* which batch */
	uint64_t n;               /* records in it */
	void *images;             /* n * h * w * c of dtype, in layout */
	int dtype, layout;        /* enum tfr_dtype / tfr_layout */
	uint32_t h, w, c;
	int32_t *sizes;           /* n * 2: true (h, w) */
	int64_t *ids;             /* n global ids */
	int label_mode;           /* 0 none, 1 (n), 2 (n, width) padded, 3 multi-hot */
	uint64_t label_width;
	int64_t *labels;          /* modes 1, 2 */
	int32_t *label_counts;    /* mode 2 */
	float *multi_hot;         /* mode 3: n * num_classes */
	size_t nextras;
	struct tfr_loader_extra *extras;
	int slot;                 /* private */
};

struct tfr_loader;

/* Open the shards (paths in order).  Reads .idx sidecars or scans. */
int tfr_loader_open(struct tfr_loader **lp, const char *const *paths, size_t npaths,
		    const struct tfr_loader_opts *o, struct tfr_error *err);
uint64_t tfr_loader_len(const struct tfr_loader *l);
uint64_t tfr_loader_records(const struct tfr_loader *l);  /* N */
uint64_t tfr_loader_epoch(const struct tfr_loader *l);
uint64_t tfr_loader_batch_pos(const struct tfr_loader *l);
uint64_t tfr_loader_skipped(const struct tfr_loader *l);
/* Start epoch e at batch 0 (drops batches prefetched). */
int tfr_loader_set_epoch(struct tfr_loader *l, uint64_t e, struct tfr_error *err);
/* Continue at batch k of epoch e (resume); k <= len. */
int tfr_loader_seek(struct tfr_loader *l, uint64_t e, uint64_t k, struct tfr_error *err);
/* Hand out every stride-th batch from the current position on (a
 * DataLoader worker w of n: seek to batch w, stride n); 0 or 1: all. */
void tfr_loader_set_stride(struct tfr_loader *l, uint64_t stride);
void tfr_loader_digest(const struct tfr_loader *l, char hex[17]);
const struct tfr_plan_params *tfr_loader_plan(const struct tfr_loader *l);
/*
 * The next batch: TFR_OK and *bp (owned by the loader, valid until
 * tfr_loader_release), TFR_EOF at the end of the epoch (the epoch
 * then advances by one), or an error naming shard, record and offset.
 */
int tfr_loader_next(struct tfr_loader *l, struct tfr_loader_batch **bp,
		    struct tfr_error *err);
void tfr_loader_release(struct tfr_loader *l, struct tfr_loader_batch *b);
/*
 * Random access: record `id` (a global id, 0..records-1) alone, read,
 * checked, decoded and augmented as next() would in the current epoch,
 * as a batch of one (index UINT64_MAX) in a slot of its own, released
 * with tfr_loader_release.  Prefetched batches of next() are kept.
 * TFR_EOF when the record failed and on_error_skip is set; uncompressed
 * shards only (TFR_ERR_UNSUPPORTED otherwise).
 */
int tfr_loader_read(struct tfr_loader *l, uint64_t id, struct tfr_loader_batch **bp,
		    struct tfr_error *err);
/* Stops the threads and frees everything (l may be NULL); batches not
 * released become invalid. */
void tfr_loader_close(struct tfr_loader *l);

#endif
