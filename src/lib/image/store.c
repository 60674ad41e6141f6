/* store.c - encoding preprocessed pixels; see store.h. */
#include "config.h"
#include "image/store.h"

#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>
#include <webp/encode.h>

int tfr_store_parse(const char *s, enum tfr_store *fmt, int *quality)
{
	const char *colon = strchr(s, ':');
	size_t n = colon ? (size_t)(colon - s) : strlen(s);
	char *end;
	long q;

	*quality = TFR_STORE_DEFAULT_QUALITY;
	if (n == 6 && !strncmp(s, "tensor", 6))
		*fmt = TFR_STORE_TENSOR;
	else if (n == 4 && !strncmp(s, "jpeg", 4))
		*fmt = TFR_STORE_JPEG;
	else if (n == 3 && !strncmp(s, "png", 3))
		*fmt = TFR_STORE_PNG;
	else if (n == 4 && !strncmp(s, "webp", 4))
		*fmt = TFR_STORE_WEBP;
	else
		return -1;
	if (!colon)
		return 0;
	if (*fmt == TFR_STORE_WEBP && !strcmp(colon + 1, "lossless")) {
		*quality = TFR_STORE_LOSSLESS;
		return 0;
	}
	if (*fmt != TFR_STORE_JPEG && *fmt != TFR_STORE_WEBP)
		return -1;
	q = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || *end || q < 1 || q > 100)
		return -1;
	*quality = (int)q;
	return 0;
}

const char *tfr_store_format(enum tfr_store fmt)
{
	switch (fmt) {
	case TFR_STORE_JPEG: return "jpeg";
	case TFR_STORE_PNG: return "png";
	case TFR_STORE_WEBP: return "webp";
	default: return NULL;
	}
}

static int encode_jpeg(int quality, const uint8_t *pix, uint32_t w, uint32_t h,
		       unsigned ch, struct tfr_buf *out, struct tfr_error *err)
{
	tjhandle tj = tjInitCompress();
	unsigned char *jpg = NULL;
	unsigned long size = 0;
	int rc;

	if (!tj)
		return tfr_error_set(err, TFR_ERR_NOMEM, "cannot start a JPEG encoder");
	if (tjCompress2(tj, pix, (int)w, 0, (int)h, ch == 1 ? TJPF_GRAY : TJPF_RGB, &jpg, &size,
			ch == 1 ? TJSAMP_GRAY : TJSAMP_420, quality, TJFLAG_ACCURATEDCT)) {
		rc = tfr_error_set(err, TFR_ERR_FORMAT, "JPEG encoding failed: %s",
				   tjGetErrorStr2(tj));
	} else {
		out->len = 0;
		rc = tfr_buf_append(out, jpg, size) ?
		     tfr_error_set(err, TFR_ERR_NOMEM, "out of memory") : TFR_OK;
	}
	tjFree(jpg);
	tjDestroy(tj);
	return rc;
}

int tfr_store_png_append(const uint8_t *pix, uint32_t w, uint32_t h, unsigned ch,
			 struct tfr_buf *out, struct tfr_error *err)
{
	png_image img;
	png_alloc_size_t size = 0;

	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	img.width = w;
	img.height = h;
	img.format = ch == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
	if (!png_image_write_to_memory(&img, NULL, &size, 0, pix, 0, NULL))
		return tfr_error_set(err, TFR_ERR_FORMAT, "%s", img.message);
	if (tfr_buf_reserve(out, size))
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	if (!png_image_write_to_memory(&img, out->data + out->len, &size, 0, pix, 0, NULL))
		return tfr_error_set(err, TFR_ERR_FORMAT, "%s", img.message);
	out->len += size;
	return TFR_OK;
}

static int encode_png(const uint8_t *pix, uint32_t w, uint32_t h, unsigned ch,
		      struct tfr_buf *out, struct tfr_error *err)
{
	struct tfr_error e;
	int rc;

	out->len = 0;
	rc = tfr_store_png_append(pix, w, h, ch, out, &e);
	if (rc == TFR_ERR_FORMAT)
		return tfr_error_set(err, rc, "PNG encoding failed: %s", e.msg);
	if (rc)
		*err = e;
	return rc;
}

static int encode_webp(int quality, const uint8_t *pix, uint32_t w, uint32_t h,
		       unsigned ch, struct tfr_buf *out, struct tfr_error *err)
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
	size = quality == TFR_STORE_LOSSLESS ?
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

int tfr_store_encode(enum tfr_store fmt, int quality, const uint8_t *pix,
		     uint32_t w, uint32_t h, unsigned channels,
		     struct tfr_buf *out, struct tfr_error *err)
{
	if ((channels != 1 && channels != 3) || !w || !h || w > 16383 || h > 16383)
		return tfr_error_set(err, TFR_ERR_INVALID, "cannot store a %ux%ux%u image", w, h,
				     channels);
	switch (fmt) {
	case TFR_STORE_JPEG: return encode_jpeg(quality, pix, w, h, channels, out, err);
	case TFR_STORE_PNG: return encode_png(pix, w, h, channels, out, err);
	case TFR_STORE_WEBP: return encode_webp(quality, pix, w, h, channels, out, err);
	default: return tfr_error_set(err, TFR_ERR_INVALID, "not an encoded store");
	}
}
