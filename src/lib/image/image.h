/*
 * image.h - decoding images into 8-bit pixels, upright.
 *
 * The format is sniffed from the bytes, never from the file name, and
 * each format is one codec in src/lib/image/ behind one table (see
 * image/codec.h): JPEG (libjpeg-turbo, with DCT-domain downscaling and
 * region decoding), PNG (libpng), WebP (libwebp), TIFF (libtiff), GIF
 * (giflib), BMP and PNM (hand-written), JPEG 2000 (OpenJPEG).  The EXIF
 * orientation (JPEG APP1, PNG eXIf, WebP EXIF chunk, TIFF Orientation) is
 * applied, so pixels come out the way a viewer shows them.  Samples
 * deeper than 8 bits are scaled with rounding, round(v * 255 / max).
 * Alpha is dropped by default, keeping the stored colour, as TensorFlow's
 * decode_png(channels=3) does; with use_background each pixel is
 * composited over a colour instead.
 *
 * Untrusted sizes are checked before allocation: an image whose header
 * claims more than max_pixels is refused without decoding.  Thread-safe:
 * each call uses only its arguments.
 */
#ifndef TFR_IMAGE_H
#define TFR_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

enum tfr_image_format {
	TFR_IMAGE_UNKNOWN = 0,
	TFR_IMAGE_JPEG,
	TFR_IMAGE_PNG,
	TFR_IMAGE_WEBP,
	TFR_IMAGE_TIFF,
	TFR_IMAGE_GIF,
	TFR_IMAGE_BMP,
	TFR_IMAGE_PNM,
	TFR_IMAGE_JP2,
};

/* Default cap on width * height: 100 megapixels. */
#define TFR_DEFAULT_MAX_PIXELS UINT64_C(100000000)

/* Progressive JPEG scans decoded before the file is refused: each scan
 * costs a pass over the whole image, so 1000 tiny scans cost a minute. */
#define TFR_JPEG_MAX_SCANS 100

enum tfr_image_format tfr_image_sniff(const void *data, size_t len);
/* "jpeg", "png", "webp", "tiff", "gif", "bmp", "pnm", "jp2"; "unknown". */
const char *tfr_image_format_name(enum tfr_image_format f);
/* Whether a file name ends in an extension of a known format (any case);
 * a directory walk takes only those. */
int tfr_image_name_known(const char *name);

/*
 * Lists generated from the codec table, for help texts and messages, so
 * that a new codec shows up in them without an edit elsewhere.  The text
 * goes into out (cap bytes, always terminated when cap > 0); the return
 * is the length the whole text needs, as snprintf's.
 *   TFR_LIST_LONG:   "JPEG, PNG, WebP, ... or JPEG 2000" (every decoder)
 *   TFR_LIST_STORE:  "jpeg[:Q], png or webp[:Q|lossless]" (every encoder)
 * Thread-safe.
 */
enum tfr_image_list { TFR_LIST_LONG, TFR_LIST_STORE };
size_t tfr_image_format_list(enum tfr_image_list what, char *out, size_t cap);

/*
 * Encoders (--store).  tfr_image_encoder: the format named by the n bytes
 * at name when tfrec can encode it (TFR_IMAGE_UNKNOWN otherwise), with
 * whether it takes a quality (:Q) and a lossless mode (:lossless) in
 * *quality and *lossless (either may be NULL).  tfr_image_encode: w x h
 * pixels of 1 or 3 interleaved 8-bit channels into out (replacing its
 * contents); quality 1..100, or TFR_CODEC_LOSSLESS (image/codec.h, 101).
 * The same pixels and settings give the same bytes.  Thread-safe: each
 * call makes and frees its own encoder.
 */
struct tfr_buf;
enum tfr_image_format tfr_image_encoder(const char *name, size_t n, int *quality,
					int *lossless);
int tfr_image_encode(enum tfr_image_format f, int quality, const uint8_t *pix,
		     uint32_t w, uint32_t h, unsigned channels, struct tfr_buf *out,
		     struct tfr_error *err);

/*
 * PNG for the other layers, so that libpng and its setjmp stay in
 * image/png.c.  All thread-safe.
 * tfr_png_append: w x h pixels of 1 or 3 channels through libpng's
 *   simplified writer, appended to out (instance masks, --store png).  On
 *   failure err holds libpng's reason alone (TFR_ERR_FORMAT), or
 *   TFR_ERR_NOMEM.
 * tfr_png_encode_rows: the same pixels through libpng's row writer with
 *   its defaults (no colour chunks), appended to out (exported pictures).
 * tfr_png_read_labels: the stored values of a gray or palette PNG, as
 *   labels: no gamma, no palette expansion, 1..4-bit samples unpacked,
 *   16-bit cut to the high byte; *px is a new malloc'd w * h buffer
 *   (NULL on failure).  TFR_ERR_LIMIT over max_pixels (checked before the
 *   allocation), TFR_ERR_UNSUPPORTED for other colour types,
 *   TFR_ERR_FORMAT when libpng refuses the data.
 */
int tfr_png_append(const uint8_t *pix, uint32_t w, uint32_t h, unsigned channels,
		   struct tfr_buf *out, struct tfr_error *err);
int tfr_png_encode_rows(const uint8_t *pix, uint32_t w, uint32_t h, unsigned channels,
			struct tfr_buf *out, struct tfr_error *err);
int tfr_png_read_labels(const void *data, size_t len, uint64_t max_pixels,
			unsigned char **px, uint32_t *w, uint32_t *h,
			struct tfr_error *err);

/* What the header says, without decoding pixels. */
struct tfr_image_info {
	enum tfr_image_format format;
	uint32_t width, height;   /* as stored, before orientation */
	int orientation;          /* EXIF 1..8 (1 when absent or invalid) */
	/* Halvings a reduced-resolution decode may take (JPEG 2000's
	 * resolution levels); 0 for the other formats. */
	unsigned reduce_max;
};

/* Upright size: width and height swapped for orientations 5..8. */
static inline void tfr_image_upright(const struct tfr_image_info *in,
				     uint32_t *w, uint32_t *h)
{
	int swap = in->orientation >= 5;

	*w = swap ? in->height : in->width;
	*h = swap ? in->width : in->height;
}

/* Read the header.  Refuses images over max_pixels (0: the default). */
int tfr_image_probe(const void *data, size_t len, uint64_t max_pixels,
		    struct tfr_image_info *info, struct tfr_error *err);

struct tfr_image {
	uint32_t width, height;   /* upright size of pixels[] */
	uint32_t channels;        /* 1 or 3 */
	unsigned char *pixels;    /* row-major, interleaved; owned */
	size_t cap;               /* bytes allocated at pixels */
	uint32_t src_width, src_height; /* upright size before DCT scaling */
	/* Upright size of the whole decoded (DCT-scaled) frame, and where
	 * pixels[0] sits in it: with a region of interest only part of the
	 * frame is decoded; otherwise the frame is pixels[] itself. */
	uint32_t frame_width, frame_height;
	uint32_t roi_x, roi_y;
	unsigned char *tmp;       /* scratch for orientation; owned */
	size_t tmp_cap;
};

struct tfr_decode_opts {
	uint32_t channels;        /* 1 or 3 */
	uint64_t max_pixels;      /* 0: TFR_DEFAULT_MAX_PIXELS */
	/* The smallest upright size the caller still needs; JPEG is then
	 * decoded at the smallest DCT scale (n/8) that covers it, and JPEG
	 * 2000 at the smallest resolution level.  0, 0 decodes at full
	 * size. */
	uint32_t min_width, min_height;
	/* Optional region of interest, upright, in the coordinates of the
	 * DCT-scaled frame (see tfr_image_frame()).  JPEG then decodes only
	 * the blocks that cover it (libjpeg-turbo's crop and skip
	 * scanlines), although all entropy-coded data is still read and
	 * checked.  The result may be somewhat larger than asked. */
	int use_roi;
	uint32_t roi_x, roi_y, roi_w, roi_h;
	/* Alpha: dropped when 0; else composited over background (RGB). */
	int use_background;
	unsigned char background[3];
};

/* Upright size of the frame tfr_image_decode will produce for an image
 * with this header and these minimum sizes (DCT scaling included). */
void tfr_image_frame(const struct tfr_image_info *info, uint32_t min_width,
		     uint32_t min_height, uint32_t *fw, uint32_t *fh);

/*
 * Decode into img, reusing its buffers (a zeroed struct is a valid empty
 * image).  On failure the message says what was wrong with the data but
 * not which file: the caller adds the name.
 */
int tfr_image_decode(const void *data, size_t len,
		     const struct tfr_decode_opts *opts, struct tfr_image *img,
		     struct tfr_error *err);

void tfr_image_release(struct tfr_image *img); /* img may be NULL */

/* Parse EXIF orientation from a TIFF block ("II*\0" or "MM\0*" first);
 * returns 1..8, or 1 when absent or malformed.  Exposed for tests. */
int tfr_exif_orientation(const unsigned char *tiff, size_t len);

#endif
