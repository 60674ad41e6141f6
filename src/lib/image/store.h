/*
 * store.h - encoding the preprocessed image for --store (the codecs with
 * an encoder in image/codec.h's table; tfr_image_format_list() names them):
 * the resized, cropped, augmented 8-bit pixels, encoded instead of kept
 * as a tensor (the FFCV trade: about 20x smaller than float16 at 224
 * pixels, for a sub-millisecond decode at training time).
 *
 * The encoders live in the codec files: JPEG through TurboJPEG (4:2:0 for
 * colour, as cjpeg and PIL do by default), PNG through libpng's
 * simplified API, WebP through libwebp (lossy at a quality, or lossless);
 * none of them needs setjmp.  The same pixels and settings give the same
 * bytes.  Thread-safe: no shared state (each call makes and frees its own
 * encoder).
 */
#ifndef TFR_STORE_H
#define TFR_STORE_H

#include <stdint.h>

#include "base/buf.h"
#include "base/status.h"
#include "image/image.h"

/* A store is tensor or an image format with an encoder; the values are
 * enum tfr_image_format's, so a new encoder needs no line here. */
enum tfr_store {
	TFR_STORE_TENSOR = TFR_IMAGE_UNKNOWN,   /* the default: image/raw */
	TFR_STORE_JPEG = TFR_IMAGE_JPEG,
	TFR_STORE_PNG = TFR_IMAGE_PNG,
	TFR_STORE_WEBP = TFR_IMAGE_WEBP,
};

#define TFR_STORE_DEFAULT_QUALITY 90
#define TFR_STORE_LOSSLESS 101   /* webp:lossless; TFR_CODEC_LOSSLESS */

/* Parse "tensor", or NAME, NAME:Q (Q 1..100, for encoders that take a
 * quality) or NAME:lossless (for those with a lossless mode), NAME being
 * a codec with an encoder ("jpeg", "png", "webp").  0 on success, -1
 * when malformed. */
int tfr_store_parse(const char *s, enum tfr_store *fmt, int *quality);

/* image/format of the records: "jpeg", "png", "webp" (NULL for tensor). */
const char *tfr_store_format(enum tfr_store fmt);

/* Encode w x h pixels of 1 or 3 interleaved 8-bit channels (rows of
 * w * channels bytes) into out (replacing its contents). */
int tfr_store_encode(enum tfr_store fmt, int quality, const uint8_t *pix,
		     uint32_t w, uint32_t h, unsigned channels,
		     struct tfr_buf *out, struct tfr_error *err);

#endif
