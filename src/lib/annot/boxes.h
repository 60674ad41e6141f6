/*
 * boxes.h - boxes move with the pixels.
 *
 * A box is normalized to its image: x from 0 (left edge) to 1 (right
 * edge), y from 0 (top) to 1 (bottom), xmin < xmax, ymin < ymax, in the
 * pixel-centre convention of augment.h ("Geometry"): pixel column i of a
 * w-pixel image covers [i/w, (i+1)/w).  A pixel box [x0, x1) x [y0, y1)
 * (x1, y1 exclusive, as COCO's x + w) is (x0/w, y0/h, x1/w, y1/h).
 *
 * Mapping uses exactly the window and flip of tfr_augment_geometry(), so
 * the stored boxes sit on the stored pixels whatever resize, crop, random
 * resized crop or flip made them.  A mapped box is clipped to the window;
 * one that keeps no area, or less than min_visible of its area, is
 * dropped (the caller counts them).
 *
 * All functions are pure and thread-safe; no allocation.
 */
#ifndef TFR_BOXES_H
#define TFR_BOXES_H

#include <stddef.h>
#include <stdint.h>

#include "pixels/augment.h"
#include "base/buf.h"
#include "format/example.h"
#include "base/status.h"

struct tfr_box {
	double xmin, ymin, xmax, ymax;
};

/* 1 when b is finite, inside [0, 1] and has area (xmin < xmax, ymin < ymax). */
int tfr_box_valid(const struct tfr_box *b);

/*
 * Map b into the window of g, clip it, and flip it if g does.  Returns 1
 * and fills out when the clipped box keeps more than zero and at least
 * min_visible (0..1) of b's area; returns 0 (out undefined) otherwise.
 */
int tfr_box_map(const struct tfr_augment_geom *g, const struct tfr_box *b,
		double min_visible, struct tfr_box *out);

/* The inverse of tfr_box_map without clipping: from the stored image's
 * coordinates back to the source's. */
void tfr_box_unmap(const struct tfr_augment_geom *g, const struct tfr_box *b,
		   struct tfr_box *out);

/*
 * Map n boxes; out[k] and keep[k] (the index in in) for the k-th kept
 * box, in input order.  out and keep hold n entries; keep may be NULL.
 * Returns the number kept.
 */
size_t tfr_boxes_map(const struct tfr_augment_geom *g, const struct tfr_box *in,
		     size_t n, double min_visible, struct tfr_box *out, size_t *keep);

/*
 * The geometry for an upright src_w x src_h image with n boxes: that of
 * rnd, or when it keeps no box and retries > 0, that of the first of up
 * to retries further random values (each a pure function of rnd and the
 * attempt) that keeps one.  When none does, the first attempt's.  *used
 * gets the random value to pass to tfr_augment_run so the pixels follow
 * (equal to rnd without a retry); *attempts (may be NULL) how many were
 * drawn.
 */
int tfr_boxes_geometry(const struct tfr_augment *a, uint32_t src_w, uint32_t src_h,
		       uint64_t rnd, const struct tfr_box *boxes, size_t n,
		       double min_visible, unsigned retries,
		       struct tfr_augment_geom *g, uint64_t *used, unsigned *attempts,
		       struct tfr_error *err);

/*
 * Features in the TF Object Detection API's layout, moved with the
 * pixels.  Features whose key starts with "image/object/" and whose count
 * is the number of boxes (the count of image/object/bbox/xmin) are per
 * object: a dropped box takes its entry of each with it.  The four bbox
 * lists are mapped; image/object/area (pixels) is scaled to the stored
 * pixels and by the part of the box kept, and a negative area (not
 * known to the annotation) becomes the box's; image/object/mask PNGs
 * are warped (masks.h), and so is a semantic mask,
 * image/segmentation/class/encoded (one PNG).  Every mask must have the
 * src_w x src_h size (TFR_ERR_FORMAT otherwise; 0 x 0 when the size is
 * not known, for sizing only).  Other features pass
 * through unchanged, in their order.  g NULL means no augmentation (encoded mode): nothing
 * moves, negative areas are still filled in.  src_w x src_h is the
 * upright source size.  Results point into s and into in, valid until
 * the next call with s.  Not thread-safe per scratch.
 */
struct tfr_boxes_scratch {
	struct tfr_feature_spec *spec;
	size_t spec_cap;
	unsigned char *val;     /* mapped floats and ints, kept entries */
	size_t val_cap;
	struct tfr_bytes *bytes;
	size_t bytes_cap;
	struct tfr_buf png;     /* warped masks */
	struct tfr_box *box, *mapped;
	size_t *keep;
	size_t box_cap;
};
void tfr_boxes_scratch_release(struct tfr_boxes_scratch *s);

/* The boxes among features in (into s->box); returns their count. */
size_t tfr_boxes_of_features(const struct tfr_feature_spec *in, size_t n,
			     struct tfr_boxes_scratch *s, int *bad);

int tfr_boxes_features(const struct tfr_feature_spec *in, size_t n,
		       const struct tfr_augment_geom *g, double min_visible,
		       uint32_t src_w, uint32_t src_h, struct tfr_boxes_scratch *s,
		       const struct tfr_feature_spec **out, size_t *nout,
		       uint64_t *kept, uint64_t *dropped, struct tfr_error *err);

#endif
