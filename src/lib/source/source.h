/*
 * source.h - input sources: what items a run has, their names, classes
 * and extra features, and the bytes of each item.
 *
 * One source is one INPUT of `tfrec convert`: a directory, a single image
 * file, an archive (tar, tar.gz, tar.zst, zip, nested tars, WebDataset),
 * a TFRecord file, a list file (--list), a label table (--table), and
 * later detection annotations.  Each kind is one file in src/lib/source/
 * holding one `const struct tfr_source_ops`, and one line in the table
 * of source.c.  Drivers never name a kind: they call
 * tfr_source_open_input() (which lets every kind bid on the bytes, in the
 * style of libarchive's format bids) or tfr_source_open_kind() for the
 * kinds an option names, then list() into the listing (listing.h), then
 * read() items by their listing entry.
 *
 * Life of a source:
 *   open (bid, then ops->open)  ->  ops->list, once, into a listing
 *   ->  ops->read any number of times, from any number of threads, each
 *       thread with its own cursor  ->  ops->close.
 *
 * What every source must guarantee (the tests hold each to it):
 *
 *  - Determinism.  list() emits the same items, with the same names,
 *    classes, locators and extras, in the same order, on every machine
 *    and run: byte order of names (strcmp, never the locale) where the
 *    source has to choose an order, else the order of the input's bytes
 *    (archive members, table rows, records).  read() of an item returns
 *    the same bytes whatever items were read before it, on whatever
 *    cursor.  So output bytes do not depend on -j, --part or --shuffle's
 *    reading order.
 *
 *  - Bounded memory.  list() may hold one directory's names, one table
 *    row, one archive member header or one WebDataset key group, never
 *    the whole input; what it hands to the listing per item is a name, a
 *    class, a 64-bit locator and a 64-bit extra handle (the listing keeps
 *    about 24 bytes an item plus its name).  read() holds at most one
 *    item, capped by tfr_source_opts.max_file (tfr_buf's max), plus a
 *    cursor of bounded size (an open file or archive reader).
 *
 *  - Positions.  A problem with an input travels as a struct tfr_problem
 *    (problem.h): file names the input as the user knows it, members of
 *    archives as "outer.tar:inner.tar:member.jpg"; record is the table
 *    line or TFRecord index; offset the byte offset (TFR_NO_POS when
 *    there is none).  list() records a problem it can step over (an
 *    unreadable folder, a bad row, a hostile member name) with
 *    tfr_dataset_problem() and goes on; it returns an error only when it
 *    cannot go on (allocation, an unreadable input, a broken archive).
 *    read() fills err with the reason only, and err->record /
 *    err->offset where they exist; the listing (tfr_dataset_read) puts
 *    the item's name in front, so every message has one form:
 *    "'a.tar:x.jpg': reason".
 *
 *  - Safety.  Nothing is written to disk (archives are streamed, never
 *    unpacked; the one exception is the spool of spool_dir, a file
 *    without a name), links are never followed out of an archive, and an item
 *    that is not a regular file (a FIFO, a device) is refused rather
 *    than opened for reading, so no input can hang a run.
 *
 * Thread-safety: open, list and close are single-threaded.  After list
 * returns, the source is read-only, and read()/features() may run
 * concurrently as long as each thread passes its own cursor.
 */
#ifndef TFR_SOURCE_H
#define TFR_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "format/example.h"
#include "base/problem.h"
#include "base/status.h"

struct tfr_dataset;             /* the listing; listing.h */
struct tfr_source;
struct tfr_source_cursor;       /* a source's per-thread read state */

/* Options that sources read; the CLI fills them from its flags.  Every
 * pointer is borrowed and must outlive the source.  Zero means default. */
struct tfr_source_opts {
	uint64_t max_file;          /* cap on one item's bytes (0: default) */
	/* TFRecord inputs */
	const char *image_key;      /* NULL: "image/encoded" */
	const char *const *keep;    /* features copied through (--keep) */
	size_t nkeep;
	/* label tables (--table): path column (default "path"), label
	 * columns "A[,B...]", path template with {COLUMN} parts, root folder
	 * of the paths (default: the table's folder), separator splitting a
	 * label column into several labels (NULL: none), extra columns
	 * "NAME[:int64|float|bytes]" that become features */
	const char *path_col, *label_col, *path_template, *root;
	const char *label_sep;
	const char *const *extra_cols;
	size_t nextra_cols;
	/* Compressed tars and zips: copy their members, while they are
	 * listed, to an unnamed plain tar in this folder, so that reads in
	 * any order cost a pread each (convert --shuffle); NULL: read them
	 * again by a forward pass, cheap only in listing order.  The
	 * annotations source spools its masks' segmentations there
	 * (annot.h; NULL: $TMPDIR). */
	const char *spool_dir;
	/* WebDataset: extensions (without the dot) whose members become
	 * bytes features on request; NULL for none */
	const char *const *wds_features;
	size_t nwds_features;
	/* detection annotations (--annotations; source/annot.c) */
	const char *annot_format;   /* coco, voc, yolo, csv; NULL: sniffed */
	const char *images;         /* --images; NULL: beside the annotations */
	const char *annot_classes;  /* YOLO class names; NULL: beside */
	int masks;                  /* --masks: image/object/mask */
	const char *segmentation;   /* --segmentation DIR: a PNG per image */
	int skip_empty;             /* leave out images without boxes */
};

/*
 * What a source knows of an INPUT before choosing: its name, stat, the
 * first bytes and, when those are gzip or zlib, the first bytes after
 * inflating them (so that tar.gz and a GZIP TFRecord can tell themselves
 * apart).  Sources decide from bytes, never from the name.
 */
struct tfr_source_probe {
	const char *path;
	struct stat st;             /* stat(2), following a symlink */
	const unsigned char *head;  /* first bytes of the file (n may be 0) */
	size_t n;
	const unsigned char *inflated; /* NULL unless head was gzip/zlib */
	size_t ninflated;
};

/*
 * One item as a source hands it to the listing.  Strings are copied by
 * tfr_dataset_add(); the source keeps ownership of its own.
 *   name:  relative to the source, image/filename is its last part
 *          (after base bytes); for an archive member, the chain of
 *          members joined with ':' ("n01440764.tar:n01440764_10026.JPEG")
 *   base:  offset in name where image/filename begins
 *   cls:   class names, ncls of them (0: no class, 1: the usual case,
 *          more: multi-label); ids come from the listing's class map
 *   loc:   the source's locator for read(): an archive member ordinal, a
 *          record's byte offset, ... (a directory source needs none)
 *   extra: the source's handle for features(), or TFR_NO_EXTRA
 */
#define TFR_NO_EXTRA UINT64_MAX
struct tfr_item_desc {
	const char *name;
	size_t base;
	const char *const *cls;
	size_t ncls;
	uint64_t loc;
	uint64_t extra;
};

/*
 * Extra features of one item (table columns, WebDataset .json/.txt,
 * features kept from a TFRecord, and the detection work's boxes).  A
 * source that has them sets extra in the items it lists and implements
 * ops->features, which adds them with tfr_features_add(); the driver
 * appends them to the Example after its own features, in the order the
 * source added them.  Values are copied into the struct, which the
 * caller owns (one per worker, reused: tfr_features_reset keeps the
 * memory).  Features whose values follow the pixels (boxes) must say so
 * with TFR_FEATURE_GEOMETRIC, so that augment can move them; until the
 * detection work lands, the driver refuses such features.
 */
#define TFR_FEATURE_GEOMETRIC 1u
#define TFR_MAX_FEATURES 64      /* extra features on one item */
struct tfr_features {
	struct tfr_feature_spec *spec; /* valid after tfr_features_view() */
	size_t n;
	/* private: values and keys are kept as offsets into data until
	 * tfr_features_view() turns them into pointers */
	struct tfr_features_entry *ent;
	size_t cap;
	struct tfr_buf data;
	struct tfr_buf views;       /* struct tfr_bytes for BYTES values */
	unsigned flags;             /* OR of the entries' flags */
};
void tfr_features_init(struct tfr_features *fs);
void tfr_features_reset(struct tfr_features *fs);
void tfr_features_release(struct tfr_features *fs);
/* Whether convert writes a feature of this name itself (image/raw,
 * image/class/label, ...): a source must not add one, since an Example
 * holds each key once. */
int tfr_source_reserved_key(const char *key);
/* Copy one feature: count values of kind (BYTES: struct tfr_bytes[],
 * FLOAT: float[], INT64: int64_t[]) under key. */
int tfr_features_add(struct tfr_features *fs, const char *key,
		     enum tfr_feature_kind kind, const void *values,
		     size_t count, unsigned flags, struct tfr_error *err);
/* Fill fs->spec with pointers into fs; valid until the next add/reset. */
int tfr_features_view(struct tfr_features *fs, struct tfr_error *err);

/* A kind of source: one per file in src/lib/source/. */
struct tfr_source_ops {
	const char *name;           /* "dir", "file", "archive", "tfrecord", "list", "table" */
	/*
	 * Bid on an INPUT: 0 to decline, higher for more certainty (a magic
	 * number with a checksum beats a magic number, which beats "any
	 * regular file").  NULL for kinds that only an option opens (list,
	 * table).  Must not keep pointers into p.
	 */
	int (*bid)(const struct tfr_source_probe *p);
	/* Set up src->priv for src->path; may read the input's header. */
	int (*open)(struct tfr_source *src, struct tfr_error *err);
	/* Add every item, in the source's stable order, with
	 * tfr_dataset_add(); problems with tfr_dataset_problem(). */
	int (*list)(struct tfr_source *src, struct tfr_dataset *ds,
		    struct tfr_error *err);
	/*
	 * Replace out's contents with the bytes of the item listed with
	 * name/loc.  *cur is the calling thread's cursor: NULL at first, set
	 * by the source if it needs one, freed with ops->cursor_free (NULL
	 * if the source never sets one).  A cursor may be reused for any
	 * later item; a source that reads sequentially (a compressed
	 * archive) is cheapest when items come in listing order.
	 */
	int (*read)(const struct tfr_source *src, struct tfr_source_cursor **cur,
		    const char *name, uint64_t loc, struct tfr_buf *out,
		    struct tfr_error *err);
	/* Add the extra features of an item (NULL: the kind has none). */
	int (*features)(const struct tfr_source *src, struct tfr_source_cursor **cur,
			const char *name, uint64_t loc, uint64_t extra,
			struct tfr_features *fs, struct tfr_error *err);
	void (*cursor_free)(struct tfr_source_cursor *cur);
	/* Write the user-facing name of an item (a path, or
	 * "a.tar:inner.tar:x.jpg") into out, NUL-terminated. */
	int (*where)(const struct tfr_source *src, const char *name,
		     struct tfr_buf *out);
	/*
	 * --resume's identity of an item beyond its where() name and that
	 * file's stat (listing.h tfr_dataset_identity): append to out bytes
	 * that change whenever the item's bytes or features may have
	 * changed.  NULL for kinds whose items are files of their own and
	 * take their bytes from them alone.  Items inside an INPUT (archive
	 * members, TFRecord records) append the INPUT's identity as taken
	 * before it was listed (tfr_source.ident) and their locator; a
	 * source whose features come from another file (a label table, an
	 * annotation) appends that file's identity.  Returns 0, or -1 when
	 * out of memory.
	 */
	int (*identity)(const struct tfr_source *src, const char *name, uint64_t loc,
			uint64_t extra, struct tfr_buf *out);
	void (*close)(struct tfr_source *src);
};

struct tfr_source {
	const struct tfr_source_ops *ops;
	char *path;                 /* the INPUT as the user gave it */
	const struct tfr_source_opts *opts;
	void *priv;                 /* the kind's state */
	/* The INPUT's identity, stat(2) of path taken before the kind opens
	 * it: device, inode, size, mtime seconds and nanoseconds (zeros when
	 * it cannot be stat'ed).  Taken before the listing, so a write
	 * while the run lists or reads it leaves a newer mtime behind, and
	 * the next --resume sees a different identity. */
	uint64_t ident[5];
};

/* Append a file's identity (ident's five numbers, zeros when it cannot
 * be stat'ed) to out; 0, or -1 when out of memory. */
int tfr_source_identity_file(struct tfr_buf *out, const char *path);

/* The table of every kind, NULL-terminated (source.c).  Kinds with a
 * bid are offered every INPUT; the others are opened by name. */
extern const struct tfr_source_ops *const tfr_source_table[];

/*
 * Open an INPUT: read its first bytes, let each kind in the table bid,
 * open it with the highest bidder.  An input that is neither a
 * directory nor a regular file (a FIFO, a device) is refused.  *srcp is
 * a new source to free with tfr_source_free().
 */
int tfr_source_open_input(struct tfr_source **srcp, const char *path,
			  const struct tfr_source_opts *o, struct tfr_error *err);
/* Open path with the kind named (for --list, --table). */
int tfr_source_open_kind(struct tfr_source **srcp, const char *kind,
			 const char *path, const struct tfr_source_opts *o,
			 struct tfr_error *err);
void tfr_source_free(struct tfr_source *src); /* src may be NULL */

/* Read a regular file into b, refusing anything else (a FIFO named
 * x.jpg must not hang the run) and files over max (0: default).  The
 * message in err is the reason only (read() messages, see above). */
int tfr_source_read_file(const char *path, struct tfr_buf *b, uint64_t max,
			 struct tfr_error *err);
/* out = dir "/" name, NUL-terminated (no second slash when dir ends in
 * one; just name when dir is ""). */
int tfr_source_join(struct tfr_buf *out, const char *dir, const char *name);

#endif
