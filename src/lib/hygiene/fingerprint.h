/*
 * hygiene/fingerprint.h - an exact key and a perceptual hash per image,
 * for finding duplicates (tfrec duplicates, convert --dedupe).
 *
 * Both come from one cheap decode: the image is decoded at the smallest
 * size that still covers 32 x 32 upright pixels (image.h's min_width /
 * min_height), so JPEG goes through libjpeg-turbo's 1/8 DCT scale and
 * costs about what a 1/8-scale decode costs; the other formats decode at
 * full size (JPEG 2000 at its smallest resolution level).
 *
 * Near key: the DCT perceptual hash of C. Zauner, "Implementation and
 * Benchmarking of Perceptual Image Hash Functions", master's thesis,
 * Upper Austria University of Applied Sciences, Hagenberg, 2010
 * (section 4.2, the "DCT based hash" of pHash.org):
 * the image in grey (BT.601 luma) is reduced by area averaging to
 * 32 x 32, a 2-D DCT-II is taken, the 8 x 8 block of the lowest
 * frequencies without the DC row and column (u, v = 1..8) is kept, and
 * each of its 64 coefficients gives one bit: 1 when above the block's
 * median.  Two images are near-duplicates when the Hamming distance of
 * their hashes is small (tfr_fp_distance; tfrec uses 10 of 64 by
 * default).  It survives resizing, JPEG recompression, small crops
 * (a few percent), small brightness and contrast changes.
 * Blind spots (documented in tfrec-duplicates(1)): mirrored or rotated
 * copies (the hash is not symmetric), large crops (10% and more shift
 * the low frequencies), heavy colour changes and overlays, and images
 * with almost no low-frequency content (flat or very noisy images give
 * near-random bits, so two flat images of different colour may match).
 *
 * Exact key: "the same decoded pixels" is taken at the scale of that
 * cheap decode: the first 64 bits of SHA-256 (nettle) over the upright
 * full size, the reduced size and the RGB pixels of the reduced decode.
 * For formats other than JPEG that decode is the full decode, so equal
 * keys mean equal full-size pixels (whatever the file format: a PNG and
 * a BMP of the same pixels match).  For JPEG the 1/8-scale decode depends
 * only on each 8 x 8 block's DC coefficients and the upright size, so two
 * JPEGs match when they have the same size and the same quantised block
 * means: the same encoding re-wrapped (other Huffman tables, progressive
 * or baseline, other metadata, EXIF rotation applied losslessly) matches,
 * a re-encode at another quality does not (it is a near-duplicate).
 * A JPEG never exact-matches a PNG of the same pixels (lossy vs lossless
 * decode paths differ); that pair is a near-duplicate at distance ~0.
 *
 * Thread-safety: every function uses only its arguments.
 */
#ifndef TFR_HYGIENE_FINGERPRINT_H
#define TFR_HYGIENE_FINGERPRINT_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "image/image.h"

/* Side of the grey reduction and of the kept low-frequency block. */
#define TFR_FP_SIDE 32
#define TFR_FP_LOW 8
/* Default --distance: the largest Hamming distance still "near". */
#define TFR_FP_DEFAULT_DISTANCE 10

struct tfr_fp {
	uint64_t phash;   /* Zauner DCT hash, bit (u-1)*8+(v-1) */
	uint64_t exact;   /* exact key (see above) */
};

static inline int tfr_fp_distance(uint64_t a, uint64_t b)
{
	return __builtin_popcountll(a ^ b);
}

/*
 * Fingerprint one encoded image.  scratch is a decode buffer reused
 * between calls (a zeroed struct to start; the caller releases it with
 * tfr_image_release).  max_pixels as in image.h (0: default).  Fails,
 * with err, like tfr_image_decode.
 */
int tfr_fp_image(const void *data, size_t len, uint64_t max_pixels,
		 struct tfr_image *scratch, struct tfr_fp *out,
		 struct tfr_error *err);

/*
 * Fingerprint decoded pixels: w x h, channels 1 or 3, row-major; src_w,
 * src_h the upright size before any DCT scaling (hashed into the exact
 * key).  Used by tfr_fp_image and for tensors read back from shards.
 * Returns TFR_OK, or TFR_ERR_INVALID for an empty image or channels not 1/3.
 */
int tfr_fp_pixels(const unsigned char *px, uint32_t w, uint32_t h,
		  uint32_t channels, uint32_t src_w, uint32_t src_h,
		  struct tfr_fp *out, struct tfr_error *err);

#endif
