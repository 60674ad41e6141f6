/*
 * annot.h - detection annotations: COCO instances JSON, Pascal VOC XML,
 * YOLO txt and CSV boxes, read into one compact form.
 *
 * Each format is one file (coco.c, voc.c, yolo.c, csvbox.c) behind the
 * table in annot.c: a bid on the first bytes (so --annotation-format may
 * be left out), a loader for a file or directory, and a parser of one
 * file held in memory (the fuzz target's way in).  Callers never name a
 * format; they go through tfr_annot_find() and tfr_annot_sniff().
 *
 * What is kept: per image its file name (relative to the images folder),
 * size, source id and a range of objects; per object the box, normalized
 * as boxes.h says, a class label, difficult / truncated / crowd flags,
 * the area, and where it came from (the entry).  Class labels are 1-based
 * and contiguous, in the order the format defines (COCO: by category id;
 * VOC and CSV: class names sorted by bytes; YOLO: the class-names file),
 * because the TF Object Detection API's label maps keep 0 for background;
 * classes[label - 1] is the name.
 *
 * Boxes are normalized as the TF Object Detection API's converters do it,
 * so that records match theirs: COCO x / width and (x + w) / width; VOC
 * and CSV xmin / width and xmax / width (VOC's 1-based corners taken as
 * they are, as create_pascal_tf_record.py does); YOLO cx - w/2, cx + w/2.
 *
 * Edges: a corner up to half a pixel outside the image is rounding and
 * is clipped to the image (tfr_annot_box); COCO's and CSV's x + w and
 * xmax are pixel edges, VOC's 1-based xmax is the edge after its last
 * pixel (xmax = width is the right edge, width + 1 a column beyond the
 * image), and YOLO's size is read from the image's header only when a
 * corner falls outside 0..1.
 *
 * Problems: a malformed file (truncated JSON or XML, nesting deeper than
 * TFR_ANNOT_MAX_DEPTH, a DOCTYPE or entity declaration, a line too long)
 * is an error naming the file and byte offset.  A bad entry (a box
 * further than half a pixel outside the image, a degenerate or non-finite box, an unknown class,
 * an annotation of a missing image, a missing image size) is not: it is
 * left out and recorded in problems (file, entry index, byte offset,
 * reason), and the boxes it held are counted in dropped.  The caller
 * decides whether a problem fails the run (--on-error fail) or is
 * reported (--on-error skip).  Nothing is dropped without a problem.
 *
 * Memory: no document tree.  JSON is parsed by yajl as a stream of
 * 64 KiB reads, XML by expat; what stays is O(images + objects) compact
 * records: TFR_ANNOT_OBJECT_BYTES (64) an object, plus 24 bytes an
 * object while a COCO file is read (its image and category ids, joined
 * at the end), and per image its record (48 bytes) and three strings
 * (file name, source, id).  With masks, the segmentations (polygon
 * vertices as floats, RLE counts as 32-bit runs) go to an unnamed spool
 * file in spool_dir and cost no memory; a record is read back when its
 * mask is drawn.  Limits: TFR_ANNOT_MAX_DEPTH nesting, a string or key
 * of at most TFR_ANNOT_MAX_STRING bytes, a text line of at most
 * TFR_ANNOT_MAX_LINE bytes, at most TFR_ANNOT_MAX_OBJECTS objects and
 * images (tfrec(1) RESOURCES).
 *
 * Not thread-safe while loading; read-only afterwards.
 */
#ifndef TFR_ANNOT_H
#define TFR_ANNOT_H

#include <stddef.h>
#include <stdint.h>

#include "base/problem.h"
#include "base/status.h"

#define TFR_ANNOT_MAX_DEPTH 32
#define TFR_ANNOT_MAX_STRING 4096
#define TFR_ANNOT_MAX_LINE 65536
#define TFR_ANNOT_MAX_OBJECTS (UINT64_C(1) << 27)

/* A segmentation, in set->seg: kind, then data. */
enum tfr_seg_kind {
	TFR_SEG_NONE = 0,
	TFR_SEG_POLYGONS = 1, /* npoly, then per polygon n, then n (x, y) float pairs in pixels */
	TFR_SEG_RLE = 2,      /* h, w, n, then n run lengths (uint32), column-major, first run 0s */
};

/* 64 bytes an object (TFR_ANNOT_OBJECT_BYTES); its segmentation, if
 * any, lives in the spool, not here. */
struct tfr_annot_object {
	double xmin, ymin, xmax, ymax; /* normalized, 0..1 */
	uint64_t entry;                /* index of the entry in its file */
	int64_t seg;                   /* its segmentation in the spool, or -1 */
	float area;                    /* pixels: the file's (COCO), else the box's;
					  -1 when the size is unknown (YOLO); a float,
					  as the record stores it */
	uint32_t label;                /* 1-based; classes[label - 1] */
	uint32_t image;                /* index of its image in images */
	uint8_t difficult, truncated, crowd;
	uint8_t seg_kind;              /* enum tfr_seg_kind of seg */
};
#define TFR_ANNOT_OBJECT_BYTES 64

struct tfr_annot_image {
	char *file;        /* relative to the images folder; owned */
	char *source;      /* the annotation file that describes it; owned */
	char *source_id;   /* COCO image id, else the file name; owned */
	uint32_t width, height; /* 0 when the format does not say (YOLO) */
	size_t first, n;   /* objects[first .. first + n) */
};

struct tfr_annot_set {
	struct tfr_annot_image *images;
	size_t nimages, images_cap;
	struct tfr_annot_object *objects;
	size_t nobjects, objects_cap;
	char **classes;    /* name of label i + 1 */
	size_t nclasses;
	struct tfr_problem *problems; /* entries left out, in file order */
	size_t nproblems, problems_cap;
	uint64_t dropped;  /* boxes in those entries */
	uint64_t empty;    /* images without objects (kept unless skip_empty) */
	/* Segmentations (masks): records of the layout of enum
	 * tfr_seg_kind, spooled to an unnamed file in seg_dir (made at the
	 * first one) through a write buffer, and read back with pread
	 * (tfr_annot_seg_read), so that memory does not grow with them. */
	int seg_fd;         /* -1 until the first record */
	uint64_t seg_len;   /* bytes spooled: in the file, then in seg_wbuf */
	uint64_t seg_flushed; /* bytes in the file */
	unsigned char *seg_wbuf;
	size_t seg_wlen;
	const char *seg_dir; /* borrowed from the opts while loading */
	size_t *by_file;   /* image indexes sorted by file name, after load */
	uint32_t *class_order; /* label - 1 of classes, sorted by name */
	size_t *hash;      /* image index + 1 by file name, while loading */
	size_t hash_cap;
};

struct tfr_annot_opts {
	int masks;        /* keep segmentations (COCO polygons and RLE) */
	int skip_empty;   /* leave out images without objects (counted in empty) */
	const char *classes_file; /* YOLO class names; NULL: look beside */
	const char *images;       /* images folder (YOLO finds each image's
				     extension there); NULL: beside */
	const char *spool_dir;    /* folder of the segmentations' unnamed
				     spool; NULL: $TMPDIR, else /tmp */
};

struct tfr_annot_format {
	const char *name;
	/* 0..100: how sure the format is that these first bytes (of a file,
	 * or of the first file in a directory) are its own. */
	int (*bid)(const unsigned char *head, size_t n);
	/* Load a file or a directory of files into set. */
	int (*load)(struct tfr_annot_set *set, const char *path,
		    const struct tfr_annot_opts *o, struct tfr_error *err);
	/* Parse one file's bytes; name is used in messages and problems. */
	int (*parse)(struct tfr_annot_set *set, const char *name, const void *data,
		     size_t len, const struct tfr_annot_opts *o, struct tfr_error *err);
};

extern const struct tfr_annot_format tfr_annot_coco, tfr_annot_voc,
	tfr_annot_yolo, tfr_annot_csv;

/* The table, NULL-terminated. */
extern const struct tfr_annot_format *const tfr_annot_formats[];

/* The format named name, or NULL. */
const struct tfr_annot_format *tfr_annot_find(const char *name);

/* The best bidder for a file or directory, or NULL with err set. */
const struct tfr_annot_format *tfr_annot_sniff(const char *path, struct tfr_error *err);

/* init: an empty set (no spool yet); release: everything, the spool
 * closed (it has no name, so it is gone). */
void tfr_annot_init(struct tfr_annot_set *set);
void tfr_annot_release(struct tfr_annot_set *set);

/* Load path (format NULL: sniffed), then group objects by image. */
int tfr_annot_load(struct tfr_annot_set *set, const char *path,
		   const struct tfr_annot_format *fmt, const struct tfr_annot_opts *o,
		   struct tfr_error *err);

/*
 * Replace out's contents with the segmentation record seg (an object's
 * seg, >= 0): kind first, as enum tfr_seg_kind lays it out; out->data
 * is malloc'd, so aligned for any type.  Thread-safe once the set is
 * loaded (pread on the spool); a short or failed read is TFR_ERR_IO.
 */
struct tfr_buf;
int tfr_annot_seg_read(const struct tfr_annot_set *set, int64_t seg, struct tfr_buf *out,
		       struct tfr_error *err);

/* The image whose file is name (bytes equal), or NULL.  After load. */
const struct tfr_annot_image *tfr_annot_image_by_file(const struct tfr_annot_set *set,
						      const char *name);

/* --- for the format files ------------------------------------------- */
int tfr_annot_add_problem(struct tfr_annot_set *set, const char *file, uint64_t entry,
			  uint64_t offset, struct tfr_error *err, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* A new image; *idx gets its index.  file, source and source_id are copied. */
int tfr_annot_add_image(struct tfr_annot_set *set, const char *file, const char *source,
			const char *source_id, uint32_t width, uint32_t height,
			size_t *idx, struct tfr_error *err);
/* A new object, zeroed but for seg (-1); the caller fills it in. */
struct tfr_annot_object *tfr_annot_add_object(struct tfr_annot_set *set,
					      struct tfr_error *err);
/* Spool a segmentation record of len bytes (at most
 * TFR_ANNOT_MAX_SEG); returns its handle for the object's seg, or -1
 * with err set (the spool cannot be made or written: errno's reason). */
#define TFR_ANNOT_MAX_SEG ((size_t)64 << 20)
int64_t tfr_annot_add_seg(struct tfr_annot_set *set, const void *data, size_t len,
			  struct tfr_error *err);
/*
 * Check a pixel box against its image and normalize it: x0, y0, x1, y1
 * pixel edges (x1, y1 exclusive), the image w x h.  Corners at most half
 * a pixel outside the image are clipped to it (the edge rule,
 * tfrec-convert(1) DETECTION); returns NULL and fills o's box, or returns
 * a reason when the box is non-finite, degenerate, further out, or has
 * nothing left inside once clipped.
 */
const char *tfr_annot_box(double x0, double y0, double x1, double y1, uint32_t w,
			  uint32_t h, struct tfr_annot_object *o);
/* The same for a box already normalized (YOLO): corners in 0..1 of an
 * image of w x h pixels, so half a pixel is 0.5 / w and 0.5 / h; a size
 * of 0 (not known) allows no slack. */
const char *tfr_annot_box_norm(double x0, double y0, double x1, double y1, uint32_t w,
			       uint32_t h, struct tfr_annot_object *o);
/* The area in pixels of a pixel box clipped to w x h (VOC's and CSV's
 * area of a box tfr_annot_box accepted). */
double tfr_annot_box_area(double x0, double y0, double x1, double y1, uint32_t w,
			  uint32_t h);
/*
 * The label of class name, adding it when new (labels in order of first
 * appearance until tfr_annot_sort_classes).  Names are held in a sorted
 * index so that lookups cost O(log classes).
 */
int tfr_annot_class(struct tfr_annot_set *set, const char *name, uint32_t *label,
		    struct tfr_error *err);
/* Relabel so that labels follow the names' byte order (VOC, CSV). */
int tfr_annot_sort_classes(struct tfr_annot_set *set, struct tfr_error *err);
/* The image named file added by this load, or (size_t)-1: a hash index
 * kept while loading, for formats whose rows name images (CSV). */
size_t tfr_annot_lookup(struct tfr_annot_set *set, const char *file);
int tfr_annot_remember(struct tfr_annot_set *set, size_t idx, struct tfr_error *err);
/* The names in dir ending in ext (any when ext is ""), hidden ones
 * left out, sorted by bytes; *names and each name are malloc'd. */
int tfr_annot_list_dir(const char *dir, const char *ext, char ***names, size_t *n,
		       struct tfr_error *err);
/* Read a whole file (at most max bytes) into a malloc'd buffer. */
int tfr_annot_slurp(const char *path, size_t max, unsigned char **data, size_t *len,
		    struct tfr_error *err);

#endif
