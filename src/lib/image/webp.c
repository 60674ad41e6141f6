/*
 * image/webp.c - WebP through libwebp: lossy and lossless, alpha, the
 * VP8X container's EXIF orientation, and the first frame of an animation
 * (composed on its canvas by libwebpdemux's WebPAnimDecoder).
 */
#include "config.h"
#include "image/codec.h"

#include <stdlib.h>
#include <string.h>

#include <webp/decode.h>
#include <webp/demux.h>
#include <webp/encode.h>

static int webp_sniff(const unsigned char *p, size_t len)
{
	return len >= 12 && !memcmp(p, "RIFF", 4) && !memcmp(p + 8, "WEBP", 4);
}

/* Size, animation flag and EXIF orientation; fails on a bad header. */
static int webp_header(const void *data, size_t len, uint64_t max,
		       struct tfr_image_info *info, int *animated, struct tfr_error *err)
{
	WebPData wd = { data, len };
	WebPDemuxer *dmx = WebPDemux(&wd);
	WebPChunkIterator it;
	uint32_t w, h;

	if (!dmx)
		return tfr_error_set(err, TFR_ERR_FORMAT, "invalid WebP: bad container");
	w = WebPDemuxGetI(dmx, WEBP_FF_CANVAS_WIDTH);
	h = WebPDemuxGetI(dmx, WEBP_FF_CANVAS_HEIGHT);
	*animated = (WebPDemuxGetI(dmx, WEBP_FF_FORMAT_FLAGS) & ANIMATION_FLAG) != 0;
	info->format = TFR_IMAGE_WEBP;
	info->width = w;
	info->height = h;
	info->orientation = 1;
	if (WebPDemuxGetChunk(dmx, "EXIF", 1, &it)) {
		const unsigned char *e = it.chunk.bytes;
		size_t n = it.chunk.size;

		/* Some writers keep JPEG's "Exif\0\0" prefix. */
		if (n > 6 && !memcmp(e, "Exif\0\0", 6)) {
			e += 6;
			n -= 6;
		}
		info->orientation = tfr_exif_orientation(e, n);
		WebPDemuxReleaseChunkIterator(&it);
	}
	WebPDemuxDelete(dmx);
	return tfr_codec_check_size(w, h, max, err);
}

static int webp_probe(const void *data, size_t len, uint64_t max,
		      struct tfr_image_info *info, struct tfr_error *err)
{
	int animated;

	return webp_header(data, len, max, info, &animated, err);
}

/* The first frame of an animation, composed on its canvas by libwebp,
 * converted straight into img->pixels. */
static int webp_first_frame(const void *data, size_t len, const struct tfr_decode_opts *o,
			    struct tfr_image *img, uint32_t w, uint32_t h,
			    struct tfr_error *err)
{
	WebPData wd = { data, len };
	WebPAnimDecoderOptions ao;
	WebPAnimDecoder *dec;
	uint8_t *buf = NULL;
	uint32_t y;
	int ts, rc = TFR_OK;

	if (!WebPAnimDecoderOptionsInit(&ao))
		return tfr_error_set(err, TFR_ERR_UNSUPPORTED, "libwebp version mismatch");
	ao.color_mode = MODE_RGBA;
	ao.use_threads = 0;
	dec = WebPAnimDecoderNew(&wd, &ao);
	if (!dec)
		return tfr_error_set(err, TFR_ERR_FORMAT, "invalid WebP: bad animation");
	if (!WebPAnimDecoderGetNext(dec, &buf, &ts) || !buf) {
		rc = tfr_error_set(err, TFR_ERR_FORMAT, "invalid WebP: first frame does not decode");
		goto out;
	}
	for (y = 0; y < h; y++)
		tfr_codec_rgba_row(buf + (size_t)y * w * 4, w, o,
				   img->pixels + (size_t)y * w * o->channels);
out:
	WebPAnimDecoderDelete(dec);
	return rc;
}

static int webp_decode(const void *data, size_t len, const struct tfr_decode_opts *o,
		       struct tfr_image *img, struct tfr_image_info *info,
		       struct tfr_error *err)
{
	WebPBitstreamFeatures f;
	uint32_t w, h, y;
	int animated, rc;

	rc = webp_header(data, len, o->max_pixels, info, &animated, err);
	if (rc)
		return rc;
	w = info->width;
	h = info->height;
	rc = tfr_codec_full_frame(img, w, h, o->channels, err);
	if (rc)
		return rc;
	if (animated)
		return webp_first_frame(data, len, o, img, w, h, err);
	if (WebPGetFeatures(data, len, &f) != VP8_STATUS_OK ||
	    (uint32_t)f.width != w || (uint32_t)f.height != h)
		return tfr_error_set(err, TFR_ERR_FORMAT, "invalid WebP: bad header");
	/* RGB straight into place, unless alpha is composited or the output
	 * is gray: then RGBA through tfr_codec_rgba_row. */
	if (o->channels == 3 && !(f.has_alpha && o->use_background)) {
		if (!WebPDecodeRGBInto(data, len, img->pixels, (size_t)w * h * 3, (int)w * 3))
			return tfr_error_set(err, TFR_ERR_CORRUPT,
					     "invalid WebP: image data does not decode");
		return TFR_OK;
	}
	if (tfr_codec_grow(&img->tmp, &img->tmp_cap, (size_t)w * h * 4))
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	if (!WebPDecodeRGBAInto(data, len, img->tmp, (size_t)w * h * 4, (int)w * 4))
		return tfr_error_set(err, TFR_ERR_CORRUPT, "invalid WebP: image data does not decode");
	for (y = 0; y < h; y++)
		tfr_codec_rgba_row(img->tmp + (size_t)y * w * 4, w, o,
				   img->pixels + (size_t)y * w * o->channels);
	return TFR_OK;
}

/* --store webp: lossy at a quality, or lossless. */
static int webp_encode(const uint8_t *pix, uint32_t w, uint32_t h, unsigned ch,
		       int quality, struct tfr_buf *out, struct tfr_error *err)
{
	uint8_t *rgb = NULL, *webp = NULL;
	const uint8_t *src = pix;
	size_t size, i;
	int rc;

	if (ch == 1) { /* libwebp encodes RGB(A) only; WebP has no gray mode */
		rgb = malloc((size_t)w * h * 3);
		if (!rgb)
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		for (i = 0; i < (size_t)w * h; i++)
			rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = pix[i];
		src = rgb;
	}
	size = quality == TFR_CODEC_LOSSLESS ?
	       WebPEncodeLosslessRGB(src, (int)w, (int)h, (int)w * 3, &webp) :
	       WebPEncodeRGB(src, (int)w, (int)h, (int)w * 3, (float)quality, &webp);
	free(rgb);
	if (!size) {
		WebPFree(webp);
		return tfr_error_set(err, TFR_ERR_FORMAT, "WebP encoding failed (%ux%u)", w, h);
	}
	out->len = 0;
	rc = tfr_buf_append(out, webp, size) ?
	     tfr_error_set(err, TFR_ERR_NOMEM, "out of memory") : TFR_OK;
	WebPFree(webp);
	return rc;
}

static const char *const webp_exts[] = { ".webp", NULL };

const struct tfr_codec tfr_codec_webp = {
	.format = TFR_IMAGE_WEBP,
	.name = "webp",
	.long_name = "WebP",
	.exts = webp_exts,
	.sniff = webp_sniff,
	.probe = webp_probe,
	.decode = webp_decode,
	.encode = webp_encode,
	.encode_quality = 1,
	.encode_lossless = 1,
};
