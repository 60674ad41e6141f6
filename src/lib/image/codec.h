/*
 * image/codec.h - the table of image codecs behind image.h.
 *
 * Each format is one file in src/lib/image/ that defines one const struct
 * tfr_codec, and one line in the table in image.c.  The core offers each
 * entry the first bytes (sniff), then calls its probe or decode.  Callers
 * outside this folder never name an entry: they use image.h.
 *
 * Contract for every entry (checked by tests/t0140-formats.sh, and by
 * fuzz-image over the whole table):
 *   - sniff looks only at the bytes given (len may be small) and returns
 *     1 when the data is this format;
 *   - probe reads the header only: format, stored width and height and
 *     EXIF orientation; it allocates no pixel memory, and refuses a size
 *     over the cap with tfr_codec_check_size();
 *   - decode calls tfr_codec_check_size() on the header's size before it
 *     allocates anything that grows with the image, and bounds every other
 *     allocation the data controls (palettes, strips, tiles, frames).  It
 *     fills info like probe, and img in stored (not yet upright)
 *     orientation: pixels (o->channels per pixel, 8 bits, alpha already
 *     resolved with tfr_codec_rgba_row()), width and height of the decoded
 *     rectangle, frame_width and frame_height of the whole (possibly
 *     scaled) frame, and roi_x, roi_y where the rectangle sits in it.  A
 *     codec that ignores the region decodes the whole frame (roi 0, 0).
 *   - scaled, when not NULL, gives the stored size of the frame decode
 *     will produce for a caller that needs at least need_w x need_h
 *     (stored orientation); NULL means decode always gives full size.
 *   - encode, when not NULL, encodes w x h pixels of 1 or 3 interleaved
 *     8-bit channels (rows of w * channels bytes, sizes already checked
 *     by the caller) into out, replacing its contents; quality is 1..100,
 *     or TFR_CODEC_LOSSLESS where encode_lossless says the format has a
 *     lossless mode; encode_quality says whether quality applies at all.
 *     The same pixels and settings give the same bytes.
 * Codecs keep their library's longjmp or callback error handling inside
 * their own file.  Every function must be thread-safe: state lives in
 * locals or in the call's own allocations, never in globals.
 */
#ifndef TFR_IMAGE_CODEC_H
#define TFR_IMAGE_CODEC_H

#include "base/buf.h"
#include "image/image.h"

/* encode's quality for a lossless encode (webp:lossless). */
#define TFR_CODEC_LOSSLESS 101

struct tfr_codec {
	enum tfr_image_format format;
	const char *name;       /* the image/format value, lowercase */
	const char *long_name;  /* as people write it, for help and errors */
	const char *const *exts; /* file name endings a directory walk takes; NULL-terminated */
	int (*sniff)(const unsigned char *p, size_t len);
	int (*probe)(const void *data, size_t len, uint64_t max_pixels,
		     struct tfr_image_info *info, struct tfr_error *err);
	void (*scaled)(const struct tfr_image_info *info, uint32_t need_w,
		       uint32_t need_h, uint32_t *w, uint32_t *h);
	int (*decode)(const void *data, size_t len, const struct tfr_decode_opts *o,
		      struct tfr_image *img, struct tfr_image_info *info,
		      struct tfr_error *err);
	int (*encode)(const uint8_t *pix, uint32_t w, uint32_t h, unsigned channels,
		      int quality, struct tfr_buf *out, struct tfr_error *err);
	unsigned encode_quality : 1;   /* takes :Q */
	unsigned encode_lossless : 1;  /* takes :lossless */
};

extern const struct tfr_codec tfr_codec_jpeg, tfr_codec_png, tfr_codec_webp,
	tfr_codec_tiff, tfr_codec_gif, tfr_codec_bmp, tfr_codec_pnm, tfr_codec_jp2;

/* Refuse zero sizes and width * height over max_pixels (0: default). */
int tfr_codec_check_size(uint32_t w, uint32_t h, uint64_t max_pixels,
			 struct tfr_error *err);

/* Grow *p to at least need bytes (realloc); TFR_ERR_NOMEM on failure. */
int tfr_codec_grow(unsigned char **p, size_t *cap, size_t need);

/* Make room for the whole frame in img->pixels and set the fields a
 * full-frame decode fills (width, height, frame size, roi 0, channels). */
int tfr_codec_full_frame(struct tfr_image *img, uint32_t w, uint32_t h,
			 uint32_t channels, struct tfr_error *err);

/*
 * One row of 8-bit RGBA into o->channels bytes a pixel.  Alpha is
 * dropped (the stored colour is kept, as TensorFlow's
 * decode_png(channels=3) does) unless o->use_background is set; then each
 * pixel is composited over o->background: round((c*a + bg*(255-a))/255).
 * Gray output is BT.601 luma, as libjpeg and TensorFlow use.  dst may
 * equal rgba (the conversion only moves bytes forward).
 */
void tfr_codec_rgba_row(const unsigned char *rgba, uint32_t w,
			const struct tfr_decode_opts *o, unsigned char *dst);

/* 16-bit sample to 8 bits, rounded: round(v * 255 / 65535). */
static inline unsigned char tfr_codec_16to8(unsigned v)
{
	return (unsigned char)((v * 255u + 32767u) / 65535u);
}

/* The upright region of o, clipped to the upright frame, as a stored
 * rectangle of a frame fw x fh (stored) with this orientation.  Fails
 * when the region lies outside the frame. */
int tfr_codec_roi(const struct tfr_decode_opts *o, int orientation, uint32_t fw,
		  uint32_t fh, uint32_t *rx, uint32_t *ry, uint32_t *rw, uint32_t *rh,
		  struct tfr_error *err);

/* Little- and big-endian readers for the hand-written parsers. */
static inline unsigned tfr_rd16(const unsigned char *p, int be)
{
	return be ? (unsigned)p[0] << 8 | p[1] : (unsigned)p[1] << 8 | p[0];
}

static inline uint32_t tfr_rd32(const unsigned char *p, int be)
{
	return be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
		  : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

#endif
