/*
 * augment.h - from decoded pixels to the stored tensor.
 *
 * Order: resize (antialiased) -> crop (centre or random) -> horizontal
 * flip -> normalize -> dtype -> layout.  Every random choice comes from
 * the 64-bit value the caller passes, which the caller derives from
 * (seed, item, copy) (see rng.h), so results never depend on threads.
 *
 * Shapes are decided from the image's upright size as stored in the
 * file (src_width x src_height), never from the DCT-scaled size the
 * decoder produced, so a shape is the same however the image was
 * decoded.  Thread-safe; each thread owns its scratch.
 */
#ifndef TFR_AUGMENT_H
#define TFR_AUGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "image/image.h"
#include "format/record.h"
#include "base/status.h"

/* The largest stored tensor.  A record holds the tensor and a few small
 * features (name, label, shape), and must not be larger than what tfrec's
 * own readers accept by default (TFR_DEFAULT_MAX_RECORD, 1 GiB): one limit
 * governs writing and reading.  The 1 MiB kept back is far more than the
 * other features of a record need. */
#define TFR_MAX_TENSOR_BYTES (TFR_DEFAULT_MAX_RECORD - (UINT64_C(1) << 20))

enum tfr_dtype { TFR_DTYPE_FLOAT16, TFR_DTYPE_FLOAT32, TFR_DTYPE_UINT8 };
enum tfr_layout { TFR_LAYOUT_HWC, TFR_LAYOUT_CHW };
enum tfr_resize { TFR_RESIZE_NONE, TFR_RESIZE_EXACT, TFR_RESIZE_SHORT };

struct tfr_augment {
	enum tfr_resize resize;
	uint32_t resize_w, resize_h;  /* TFR_RESIZE_EXACT */
	uint32_t resize_short;        /* TFR_RESIZE_SHORT */
	uint32_t crop_w, crop_h;      /* 0: no crop */
	int random_crop;
	int flip;                     /* random horizontal flip */
	uint32_t channels;            /* 1 or 3 */
	/* Stored value = pixel (0..255) * mul[c] + add[c]; float dtypes.
	 * mean and std say the same in 0..1 units, for the record's
	 * image/mean and image/std (so readers can undo it). */
	float mul[3], add[3];
	float mean[3], std[3];
	enum tfr_dtype dtype;
	enum tfr_layout layout;
	/* The random resized crop (ImageNet training crop): a window of
	 * rrc_scale[0..1] of the source's area and width/height ratio in
	 * rrc_ratio[0..1] (log-uniform), resized to crop_w x crop_h.  Needs
	 * resize NONE; random_crop is ignored. */
	int rrc;
	float rrc_scale[2], rrc_ratio[2];
};

const char *tfr_dtype_name(enum tfr_dtype d);
size_t tfr_dtype_size(enum tfr_dtype d);

/* Set mul/add from a mean and std over 0..1 pixel values per channel. */
void tfr_augment_set_norm(struct tfr_augment *a, const float mean[3],
			  const float std[3]);
/* No normalization: the stored values are the pixels, 0..255. */
void tfr_augment_set_identity(struct tfr_augment *a);

/* Size after resizing an upright sw x sh image.  A side that would pass
 * UINT32_MAX is UINT32_MAX (tfr_augment_shape then refuses it). */
void tfr_augment_resized(const struct tfr_augment *a, uint32_t sw, uint32_t sh,
			 uint32_t *rw, uint32_t *rh);

/* Stored width and height for an upright sw x sh source; an error when
 * the crop does not fit (TFR_ERR_FORMAT), or when the tensor would pass
 * TFR_MAX_TENSOR_BYTES (TFR_ERR_LIMIT; checked before any memory exists,
 * so that one small image cannot plan a huge record). */
int tfr_augment_shape(const struct tfr_augment *a, uint32_t sw, uint32_t sh,
		      uint32_t *ow, uint32_t *oh, struct tfr_error *err);

/* 1 when every source gives the same stored shape (crop or WxH resize). */
int tfr_augment_fixed_shape(const struct tfr_augment *a, uint32_t *ow, uint32_t *oh);

/* TFR_OK when an ow x oh tensor fits in TFR_MAX_TENSOR_BYTES; otherwise
 * TFR_ERR_LIMIT with a message that gives the size.  err may be NULL. */
int tfr_augment_check_size(const struct tfr_augment *a, uint32_t ow, uint32_t oh,
			   struct tfr_error *err);

/* Bytes of the stored tensor for an ow x oh result. */
size_t tfr_augment_bytes(const struct tfr_augment *a, uint32_t ow, uint32_t oh);

/*
 * Geometry.  Pixel i of an n-pixel axis covers [i, i+1), its centre at
 * i + 0.5; in normalized coordinates it covers [i/n, (i+1)/n).  A resize
 * maps the extent edge to edge (output centre j + 0.5 samples the input
 * at (j + 0.5) * in / out), so a normalized coordinate is unchanged by
 * resizing, and a crop of [x0, x0 + cw) of an rw-pixel axis maps u to
 * (u - x0/rw) / (cw/rw).  The flip maps u to 1 - u.  boxes.h moves boxes
 * with exactly this geometry.
 */
struct tfr_augment_geom {
	uint32_t ow, oh;        /* stored size */
	uint32_t rw, rh;        /* the frame the window is cut from: resized
				   size, or the source for the random resized crop */
	uint32_t x0, y0, cw, ch;/* the window in that frame, pixels */
	double x, y, w, h;      /* the same window, normalized (0..1) */
	int flip;               /* mirrored left to right after the crop */
};

/* The window and flip that tfr_augment_run uses for an upright
 * src_w x src_h image and random value rnd.  Thread-safe. */
int tfr_augment_geometry(const struct tfr_augment *a, uint32_t src_w, uint32_t src_h,
			 uint64_t rnd, struct tfr_augment_geom *g, struct tfr_error *err);

struct tfr_augment_window;

struct tfr_augment_scratch {
	float *tmp;  size_t tmp_cap;   /* filtered rows of one output row */
	int32_t *idx; size_t idx_cap;  /* filter taps */
	float *w;    size_t w_cap;
	const unsigned char **rows; size_t rows_cap; /* source rows of one tap set */
	unsigned char *stage; size_t stage_cap;      /* one row in the dtype */
	struct tfr_augment_window *win;              /* the last window planned */
	int portable;  /* tests: 1 runs the portable kernels with this scratch
			* (per caller, so no global switch that threads read) */
};

void tfr_augment_scratch_release(struct tfr_augment_scratch *s);

/*
 * The rectangle of a frame_w x frame_h decoded frame (upright, maybe
 * DCT-scaled, of an image whose upright size is src_w x src_h) that
 * tfr_augment_run will read for random value rnd: decoding only that
 * region gives the same result (see tfr_decode_opts.use_roi).
 */
int tfr_augment_region(const struct tfr_augment *a, uint32_t src_w, uint32_t src_h,
		       uint32_t frame_w, uint32_t frame_h, uint64_t rnd,
		       struct tfr_augment_scratch *s, uint32_t *x, uint32_t *y,
		       uint32_t *w, uint32_t *h, struct tfr_error *err);

/*
 * Transform img (decoded, upright, possibly DCT-scaled) and append the
 * stored tensor to out.  rnd drives the random crop and flip.
 */
int tfr_augment_run(const struct tfr_augment *a, const struct tfr_image *img,
		    uint64_t rnd, struct tfr_augment_scratch *s,
		    struct tfr_buf *out, uint32_t *ow, uint32_t *oh,
		    struct tfr_error *err);

/* The same, writing the tensor to dst, which must hold exactly cap =
 * tfr_augment_bytes() of the shape (any alignment). */
int tfr_augment_run_into(const struct tfr_augment *a, const struct tfr_image *img,
			 uint64_t rnd, struct tfr_augment_scratch *s,
			 unsigned char *dst, size_t cap, uint32_t *ow, uint32_t *oh,
			 struct tfr_error *err);


#endif
