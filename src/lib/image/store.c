/* store.c - --store's argument and the encode call; see store.h.  The
 * encoders are the codecs' own (image/codec.h). */
#include "config.h"
#include "image/store.h"
#include "image/codec.h"

#include <stdlib.h>
#include <string.h>

int tfr_store_parse(const char *s, enum tfr_store *fmt, int *quality)
{
	const char *colon = strchr(s, ':');
	size_t n = colon ? (size_t)(colon - s) : strlen(s);
	int takes_q = 0, takes_lossless = 0;
	enum tfr_image_format f;
	char *end;
	long q;

	*quality = TFR_STORE_DEFAULT_QUALITY;
	if (n == 6 && !strncmp(s, "tensor", 6)) {
		*fmt = TFR_STORE_TENSOR;
		return colon ? -1 : 0;
	}
	f = tfr_image_encoder(s, n, &takes_q, &takes_lossless);
	if (f == TFR_IMAGE_UNKNOWN)
		return -1;
	*fmt = (enum tfr_store)f;
	if (!colon)
		return 0;
	if (takes_lossless && !strcmp(colon + 1, "lossless")) {
		*quality = TFR_STORE_LOSSLESS;
		return 0;
	}
	if (!takes_q)
		return -1;
	q = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || *end || q < 1 || q > 100)
		return -1;
	*quality = (int)q;
	return 0;
}

const char *tfr_store_format(enum tfr_store fmt)
{
	return fmt == TFR_STORE_TENSOR ? NULL : tfr_image_format_name((enum tfr_image_format)fmt);
}

int tfr_store_encode(enum tfr_store fmt, int quality, const uint8_t *pix,
		     uint32_t w, uint32_t h, unsigned channels,
		     struct tfr_buf *out, struct tfr_error *err)
{
	if ((channels != 1 && channels != 3) || !w || !h || w > 16383 || h > 16383)
		return tfr_error_set(err, TFR_ERR_INVALID, "cannot store a %ux%ux%u image", w, h,
				     channels);
	if (fmt == TFR_STORE_TENSOR)
		return tfr_error_set(err, TFR_ERR_INVALID, "not an encoded store");
	return tfr_image_encode((enum tfr_image_format)fmt, quality, pix, w, h, channels, out, err);
}
