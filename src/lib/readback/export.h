/*
 * export.h - turn stored records back into pictures a person can look at.
 *
 * A record written by `tfrec convert` holds a tensor (float16, float32 or
 * uint8, hwc or chw) or the original encoded bytes.  tfr_export_record()
 * turns either into 8-bit pixels, undoing the normalization recorded in
 * image/mean and image/std, and writes them as PNG with libpng.  A
 * contact sheet collects thumbnails of many records in one PNG.
 * Not thread-safe per object; no global state.
 */
#ifndef TFR_EXPORT_H
#define TFR_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "format/example.h"
#include "image/image.h"
#include "format/record.h"
#include "base/status.h"

/* 8-bit pixels of one record (channels 1 or 3). */
struct tfr_picture {
	uint32_t width, height, channels;
	unsigned char *pixels;   /* owned */
	size_t cap;
	char label[128];         /* image/class/text, or "" */
	int64_t label_id;        /* image/class/label, or -1 */
	char name[256];          /* image/filename, or "" */
};

void tfr_picture_release(struct tfr_picture *p);

/* Decode the record's picture (raw tensor or image/encoded). */
int tfr_export_record(const struct tfr_example *ex, struct tfr_picture *p,
		      struct tfr_error *err);

/* Write p as a PNG file (atomically). */
int tfr_png_write(const char *path, const struct tfr_picture *p,
		  struct tfr_error *err);

/* A grid of thumbnails, filled left to right, top to bottom. */
struct tfr_sheet {
	uint32_t cols, rows, cell;  /* cell: thumbnail size in pixels */
	uint32_t n;                 /* cells used */
	struct tfr_picture pic;     /* RGB canvas */
};

int tfr_sheet_init(struct tfr_sheet *s, uint32_t count, uint32_t cell,
		   struct tfr_error *err);
/* Place p (scaled to fit a cell, aspect kept) in the next cell. */
void tfr_sheet_add(struct tfr_sheet *s, const struct tfr_picture *p);
/* Crop the canvas to the rows (and, for one row, columns) in use. */
void tfr_sheet_finish(struct tfr_sheet *s);
void tfr_sheet_release(struct tfr_sheet *s);

/*
 * An export: DIR/NNNNN.png for each record, DIR/contact-sheet.png with
 * thumbnails of the first TFR_EXPORT_SHEET_MAX, and DIR/manifest.json
 * (each picture's source file, record, filename, label and sheet cell).
 * Every file is written atomically.  Memory: one picture, the sheet and
 * the manifest text (a few hundred bytes per picture).
 *
 * Drawing on a picture (boxes, say) belongs between tfr_export_record()
 * and the write in tfr_exporter_add(): one place for all exports.
 */
#define TFR_EXPORT_SHEET_MAX 256  /* thumbnails on the contact sheet */
#define TFR_EXPORT_SHEET_CELL 128 /* their size in pixels */

struct tfr_exporter;

/*
 * Start an export into dir, which is created when missing (its parents
 * are not).  limit: stop after that many pictures (0: no limit).
 */
int tfr_exporter_new(struct tfr_exporter **xp, const char *dir, uint64_t limit,
		     struct tfr_error *err);

/*
 * Export one record of file (ex NULL: its payload is not an Example).
 * Returns TFR_OK; TFR_ERR_FORMAT when this record holds no picture (err
 * names file, record and offset; the export can go on); any other
 * negative status when a file could not be written (stop).
 */
int tfr_exporter_add(struct tfr_exporter *x, const char *file,
		     const struct tfr_record *rec, const struct tfr_example *ex,
		     struct tfr_error *err);

/* 1 when the limit is reached. */
int tfr_exporter_full(const struct tfr_exporter *x);

/* Pictures written so far. */
uint64_t tfr_exporter_count(const struct tfr_exporter *x);

/* Write the contact sheet (when there is a picture) and the manifest. */
int tfr_exporter_finish(struct tfr_exporter *x, struct tfr_error *err);

void tfr_exporter_free(struct tfr_exporter *x); /* x may be NULL */

#endif
