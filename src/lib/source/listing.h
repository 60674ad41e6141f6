/*
 * listing.h - the listing: every item of a run, its name, its class and
 * where its bytes are, filled by the input sources (source/source.h).
 *
 * Items keep the order in which sources list them, and sources list in
 * a stable order (byte order of names, or the input's own order), so the
 * listing is the same on every machine.  Class ids are given by
 * tfr_dataset_finish(): from a class map when one is given (--classes),
 * else 0-based in sorted class-name order, except when every class is a
 * non-negative integer and none came from a folder name (a --list with
 * integer labels), in which case the integers are the ids, up to
 * TFR_MAX_LABEL.
 *
 * Memory: about 24 bytes an item plus its name (names and items live in
 * fixed-size chunks, so the listing never reallocates a big array), plus
 * one entry per distinct class.  No item's pixels or bytes live here.
 *
 * Not thread-safe while being built; read-only after tfr_dataset_finish(),
 * when tfr_dataset_read() may run in any number of threads, each with its
 * own struct tfr_dataset_reader.
 */
#ifndef TFR_LISTING_H
#define TFR_LISTING_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "format/example.h"
#include "base/problem.h"
#include "base/status.h"

struct tfr_source;
struct tfr_source_opts;
struct tfr_source_cursor;
struct tfr_item_desc;
struct tfr_dsitem;

/* Largest integer label used as a class id as it stands: the manifest
 * and labels file list every id below the largest, so a label of 10^8
 * would cost gigabytes (tfrec(1) RESOURCES). */
#define TFR_MAX_LABEL 1048575
/* Longest item name kept; longer ones are problems. */
#define TFR_MAX_NAME 4095

struct tfr_dataset {
	size_t n;                /* items */
	char **classes;          /* after finish: name of id i */
	size_t nclasses;
	int numeric_labels;      /* ids came from integer labels */
	int dir_classes;         /* some classes came from folder names */
	uint64_t ignored;        /* entries passed over (extension, type) */
	size_t nadded;           /* classes added past the map (--classes) */
	struct tfr_problem *bad; /* inputs or items that could not be listed */
	size_t nbad, bad_cap;
	/* Detection: name of object label i + 1 (image/object/class/label),
	 * set by an annotation source (source/annotated.c). */
	char **object_classes;
	size_t nobject_classes;

	/* private */
	struct tfr_dsitem **chunks;  /* items, TFR_DS_CHUNK each */
	uint64_t **xchunks;          /* extra handles per chunk, or NULL */
	size_t nchunks;
	char **names;                /* name blocks */
	size_t nnames, name_used;    /* blocks, bytes used in the last */
	struct tfr_source **src;     /* sources, owned */
	size_t nsrc, src_cap;
	char **cls;                  /* distinct class names, first-seen order */
	size_t ncls, cls_cap;
	uint32_t *cls_hash;          /* open addressing, index + 1 */
	size_t hash_cap;
	int32_t *cls_id;             /* distinct class -> id, after finish */
	int32_t *multi;              /* multi-label lists: count, then ids */
	size_t nmulti, multi_cap;
};

void tfr_dataset_init(struct tfr_dataset *ds);
void tfr_dataset_release(struct tfr_dataset *ds);

/*
 * Open an INPUT (a directory, an image, an archive, a TFRecord; the kind
 * is told from the bytes) and list its items.  An input that cannot be
 * opened is recorded in bad, not returned as an error; only allocation
 * failure and inputs that break while being listed are errors.
 * o is borrowed for the life of the dataset.
 */
int tfr_dataset_add_path(struct tfr_dataset *ds, const char *path,
			 const struct tfr_source_opts *o, struct tfr_error *err);
/* The same with the kind named ("list" for --list, "table" for --table);
 * an unreadable list or table is an error. */
int tfr_dataset_add_kind(struct tfr_dataset *ds, const char *kind,
			 const char *path, const struct tfr_source_opts *o,
			 struct tfr_error *err);

/* For sources, while they list: add an item of the source being listed,
 * or a problem.  Strings are copied. */
int tfr_dataset_add(struct tfr_dataset *ds, const struct tfr_item_desc *d,
		    struct tfr_error *err);
int tfr_dataset_problem(struct tfr_dataset *ds, const char *file,
			uint64_t record, uint64_t offset, const char *reason,
			struct tfr_error *err);

/*
 * Assign class ids.  With a class map (map_path not NULL: one class name
 * a line, as PREFIX.labels.txt holds them; id = line number from 0), a
 * class the map lacks is an error, or with add_unknown it gets the next
 * id and nadded counts it (the caller warns).
 */
int tfr_dataset_finish(struct tfr_dataset *ds, const char *map_path,
		       int add_unknown, struct tfr_error *err);

/* After finish. */
const char *tfr_dataset_name(const struct tfr_dataset *ds, size_t i);     /* as listed */
const char *tfr_dataset_filename(const struct tfr_dataset *ds, size_t i); /* image/filename */
/* Class ids of item i: returns their count (0 without a class, more
 * than 1 for multi-label) and points *ids at them. */
size_t tfr_dataset_labels(const struct tfr_dataset *ds, size_t i,
			  const int32_t **ids);
int64_t tfr_dataset_label(const struct tfr_dataset *ds, size_t i); /* first id, or -1 */

/*
 * The label features of item i as convert writes them: image/class/label
 * (int64, one id per label), image/class/text (bytes, the names), and
 * with multi_hot image/class/multi_hot (int64, nclasses values of 0 or
 * 1).  Writes at most 3 specs to spec and returns how many, or -1 when
 * out of memory.  Values live in ls (caller-owned, reused, grown on
 * demand; zero-initialised is valid) until its next use or release.
 */
struct tfr_label_specs {
	int64_t one;
	struct tfr_bytes one_text;
	int64_t *ids, *hot;
	struct tfr_bytes *texts;
	size_t cap, hot_cap;
};
int tfr_dataset_label_specs(const struct tfr_dataset *ds, size_t i, int multi_hot,
			    struct tfr_label_specs *ls, struct tfr_feature_spec *spec);
void tfr_label_specs_release(struct tfr_label_specs *ls);

/* A thread's read state: one cursor per source.  Zero-initialised is
 * valid; release with tfr_dataset_reader_release. */
struct tfr_dataset_reader {
	struct tfr_source_cursor **cur;
	size_t ncur;
	struct tfr_buf where;
};
void tfr_dataset_reader_release(const struct tfr_dataset *ds,
				struct tfr_dataset_reader *rd);
/* The user-facing name of item i (a path, or "a.tar:inner.tar:x.jpg"),
 * valid until the next call with rd; NULL when out of memory. */
const char *tfr_dataset_where(const struct tfr_dataset *ds, size_t i,
			      struct tfr_dataset_reader *rd);
/*
 * What --resume keys item i on besides its where() name and that path's
 * stat (output.h tfr_output_run_key_file): replace out's contents with
 * the bytes the item's source adds (source.h ops->identity), empty for
 * an item that is a file of its own.  0, or -1 when out of memory.
 */
int tfr_dataset_identity(const struct tfr_dataset *ds, size_t i, struct tfr_buf *out);
/* Add item i's extra features (source.h) to fs, after resetting it. */
struct tfr_features;
int tfr_dataset_features(const struct tfr_dataset *ds, size_t i,
			 struct tfr_dataset_reader *rd, struct tfr_features *fs,
			 struct tfr_error *err);
/* Replace out's contents with the bytes of item i.  On failure err's
 * subject is where() and its msg the reason. */
int tfr_dataset_read(const struct tfr_dataset *ds, size_t i,
		     struct tfr_dataset_reader *rd, struct tfr_buf *out,
		     struct tfr_error *err);

/* For an annotation source while it lists: the object class names,
 * copied.  A second set of names is an error (one --annotations). */
int tfr_dataset_object_classes(struct tfr_dataset *ds, char *const *names, size_t n,
			       struct tfr_error *err);

#endif
