/*
 * masks.h - instance and semantic masks: drawn from COCO segmentations,
 * stored as PNG, moved with the pixels.
 *
 * A mask is 8-bit gray, one byte a pixel: 1 (or the class index, for a
 * semantic mask) where the object is, 0 elsewhere, as the TF Object
 * Detection API's create_coco_tf_record.py stores image/object/mask.
 * Pixel (x, y) belongs to a polygon when its centre (x + 0.5, y + 0.5)
 * is inside (even-odd rule; several polygons are joined); COCO's RLE is
 * column-major runs, the first of zeros.  An object without a
 * segmentation gets its box (pixels whose centre is inside it).
 *
 * Moving a mask samples it at the stored pixels' centres through the
 * window of tfr_augment_geometry (nearest neighbour: labels are not
 * blended), with the same pixel-centre convention as augment.h, so masks
 * sit on the pixels as boxes do.
 *
 * Thread-safe; no shared state.  Masks are capped at TFR_MASK_MAX_PIXELS.
 */
#ifndef TFR_MASKS_H
#define TFR_MASKS_H

#include <stddef.h>
#include <stdint.h>

#include "annot/annot.h"
#include "pixels/augment.h"
#include "base/buf.h"
#include "base/status.h"

#define TFR_MASK_MAX_PIXELS (UINT64_C(100000000))

/* Draw object o of set (its segmentation, or its box) at w x h into a
 * new buffer of w*h bytes; *px is malloc'd. */
int tfr_mask_draw(const struct tfr_annot_set *set, const struct tfr_annot_object *o,
		  uint32_t w, uint32_t h, unsigned char **px, struct tfr_error *err);

/* Draw and append the PNG to out. */
int tfr_mask_png(const struct tfr_annot_set *set, const struct tfr_annot_object *o,
		 uint32_t w, uint32_t h, struct tfr_buf *out, struct tfr_error *err);

/* Encode w x h gray bytes as PNG, appended to out. */
int tfr_mask_encode(const unsigned char *px, uint32_t w, uint32_t h, struct tfr_buf *out,
		    struct tfr_error *err);

/* Decode a gray or palette PNG into its stored values (labels: no
 * gamma, palette indices kept, 16-bit cut to 8), a new malloc'd buffer. */
int tfr_mask_decode(const void *png, size_t len, unsigned char **px, uint32_t *w,
		    uint32_t *h, struct tfr_error *err);

/* Width and height from a PNG's header; -1 when it is not a PNG. */
int tfr_mask_size(const void *png, size_t len, uint32_t *w, uint32_t *h);

/* Sample a sw x sh mask through g into g->ow x g->oh bytes at dst. */
void tfr_mask_warp(const unsigned char *src, uint32_t sw, uint32_t sh,
		   const struct tfr_augment_geom *g, unsigned char *dst);

#endif
