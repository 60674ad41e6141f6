/*
 * image/image.c - the codec table and what every codec shares: sniffing,
 * size checks, alpha and gray conversion, region mapping and the EXIF
 * rotation; see image.h and image/codec.h.
 */
#include "config.h"
#include "image/codec.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Adding a format: one file in this folder, one line here.  Order only
 * matters if two sniffs could both match; none do. */
static const struct tfr_codec *const codecs[] = {
	&tfr_codec_jpeg,
	&tfr_codec_png,
	&tfr_codec_webp,
	&tfr_codec_tiff,
	&tfr_codec_gif,
	&tfr_codec_bmp,
	&tfr_codec_pnm,
	&tfr_codec_jp2,
};
#define NCODECS (sizeof(codecs) / sizeof(codecs[0]))

static const struct tfr_codec *codec_for(const void *data, size_t len)
{
	size_t i;

	for (i = 0; i < NCODECS; i++)
		if (codecs[i]->sniff(data, len))
			return codecs[i];
	return NULL;
}

enum tfr_image_format tfr_image_sniff(const void *data, size_t len)
{
	const struct tfr_codec *c = codec_for(data, len);

	return c ? c->format : TFR_IMAGE_UNKNOWN;
}

const char *tfr_image_format_name(enum tfr_image_format f)
{
	size_t i;

	for (i = 0; i < NCODECS; i++)
		if (codecs[i]->format == f)
			return codecs[i]->name;
	return "unknown";
}

int tfr_image_name_known(const char *name)
{
	size_t n = strlen(name), i, k;

	for (i = 0; i < NCODECS; i++)
		for (k = 0; codecs[i]->exts[k]; k++) {
			size_t e = strlen(codecs[i]->exts[k]);

			if (n > e && !strcasecmp(name + n - e, codecs[i]->exts[k]))
				return 1;
		}
	return 0;
}

/* snprintf-like append at *len into out/cap. */
static void put(char *out, size_t cap, size_t *len, const char *s)
{
	size_t n = strlen(s);

	if (*len < cap) {
		size_t room = cap - *len - 1, k = n < room ? n : room;

		memcpy(out + *len, s, k);
		out[*len + k] = '\0';
	}
	*len += n;
}

size_t tfr_image_format_list(enum tfr_image_list what, char *out, size_t cap)
{
	const struct tfr_codec *take[NCODECS];
	size_t i, n = 0, len = 0;

	if (cap)
		out[0] = '\0';
	for (i = 0; i < NCODECS; i++)
		if (what == TFR_LIST_LONG || codecs[i]->encode)
			take[n++] = codecs[i];
	for (i = 0; i < n; i++) {
		if (i)
			put(out, cap, &len, i + 1 == n ? " or " : ", ");
		if (what == TFR_LIST_LONG) {
			put(out, cap, &len, take[i]->long_name);
			continue;
		}
		put(out, cap, &len, take[i]->name);
		if (take[i]->encode_quality && take[i]->encode_lossless)
			put(out, cap, &len, "[:Q|lossless]");
		else if (take[i]->encode_quality)
			put(out, cap, &len, "[:Q]");
		else if (take[i]->encode_lossless)
			put(out, cap, &len, "[:lossless]");
	}
	return len;
}

enum tfr_image_format tfr_image_encoder(const char *name, size_t n, int *quality,
					int *lossless)
{
	size_t i;

	for (i = 0; i < NCODECS; i++)
		if (codecs[i]->encode && strlen(codecs[i]->name) == n &&
		    !memcmp(codecs[i]->name, name, n)) {
			if (quality)
				*quality = codecs[i]->encode_quality;
			if (lossless)
				*lossless = codecs[i]->encode_lossless;
			return codecs[i]->format;
		}
	return TFR_IMAGE_UNKNOWN;
}

int tfr_image_encode(enum tfr_image_format f, int quality, const uint8_t *pix,
		     uint32_t w, uint32_t h, unsigned channels, struct tfr_buf *out,
		     struct tfr_error *err)
{
	size_t i;

	for (i = 0; i < NCODECS; i++)
		if (codecs[i]->format == f && codecs[i]->encode)
			return codecs[i]->encode(pix, w, h, channels, quality, out, err);
	return tfr_error_set(err, TFR_ERR_INVALID, "no encoder for the format");
}

static int not_an_image(struct tfr_error *err)
{
	char list[256];

	tfr_image_format_list(TFR_LIST_LONG, list, sizeof(list));
	return tfr_error_set(err, TFR_ERR_UNSUPPORTED, "not an image tfrec can read (%s)", list);
}

/* ------------------------------------------------------------ shared */

int tfr_codec_check_size(uint32_t w, uint32_t h, uint64_t max, struct tfr_error *err)
{
	uint64_t cap = max ? max : TFR_DEFAULT_MAX_PIXELS;

	if (w == 0 || h == 0)
		return tfr_error_set(err, TFR_ERR_FORMAT, "image has zero size (%ux%u)", w, h);
	if ((uint64_t)w * h > cap)
		return tfr_error_for(err, TFR_ERR_LIMIT, TFR_SETTING_MAX_PIXELS,
				     "image of %ux%u pixels exceeds the limit of %llu pixels",
				     w, h, (unsigned long long)cap);
	return TFR_OK;
}

int tfr_codec_grow(unsigned char **p, size_t *cap, size_t need)
{
	unsigned char *q;

	if (need <= *cap)
		return TFR_OK;
	q = realloc(*p, need);
	if (!q)
		return TFR_ERR_NOMEM;
	*p = q;
	*cap = need;
	return TFR_OK;
}

int tfr_codec_full_frame(struct tfr_image *img, uint32_t w, uint32_t h,
			 uint32_t channels, struct tfr_error *err)
{
	if (tfr_codec_grow(&img->pixels, &img->cap, (size_t)w * h * channels))
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory for %ux%u pixels", w, h);
	img->width = img->frame_width = w;
	img->height = img->frame_height = h;
	img->roi_x = img->roi_y = 0;
	img->channels = channels;
	return TFR_OK;
}

static unsigned char luma(unsigned r, unsigned g, unsigned b)
{
	/* ITU-R BT.601, as libjpeg and TensorFlow use; exact for r=g=b. */
	return (unsigned char)((19595u * r + 38470u * g + 7471u * b + 32768u) >> 16);
}

void tfr_codec_rgba_row(const unsigned char *s, uint32_t w,
			const struct tfr_decode_opts *o, unsigned char *d)
{
	uint32_t x;

	for (x = 0; x < w; x++, s += 4) {
		unsigned r = s[0], g = s[1], b = s[2], a = s[3];

		if (o->use_background && a != 255) {
			r = (r * a + o->background[0] * (255u - a) + 127u) / 255u;
			g = (g * a + o->background[1] * (255u - a) + 127u) / 255u;
			b = (b * a + o->background[2] * (255u - a) + 127u) / 255u;
		}
		if (o->channels == 1) {
			*d++ = luma(r, g, b);
		} else {
			d[0] = (unsigned char)r;
			d[1] = (unsigned char)g;
			d[2] = (unsigned char)b;
			d += 3;
		}
	}
}

/*
 * Orientation as coordinate maps between the upright frame and the
 * stored frame (W x H as stored).  up2st is the map orient() applies;
 * st2up is its inverse.
 */
static void up2st(int o, uint32_t x, uint32_t y, uint32_t W, uint32_t H,
		  uint32_t *sx, uint32_t *sy)
{
	switch (o) {
	case 2: *sx = W - 1 - x; *sy = y; break;
	case 3: *sx = W - 1 - x; *sy = H - 1 - y; break;
	case 4: *sx = x; *sy = H - 1 - y; break;
	case 5: *sx = y; *sy = x; break;
	case 6: *sx = y; *sy = H - 1 - x; break;
	case 7: *sx = W - 1 - y; *sy = H - 1 - x; break;
	case 8: *sx = W - 1 - y; *sy = x; break;
	default: *sx = x; *sy = y; break;
	}
}

static void st2up(int o, uint32_t sx, uint32_t sy, uint32_t W, uint32_t H,
		  uint32_t *x, uint32_t *y)
{
	switch (o) {
	case 2: *x = W - 1 - sx; *y = sy; break;
	case 3: *x = W - 1 - sx; *y = H - 1 - sy; break;
	case 4: *x = sx; *y = H - 1 - sy; break;
	case 5: *x = sy; *y = sx; break;
	case 6: *x = H - 1 - sy; *y = sx; break;
	case 7: *x = H - 1 - sy; *y = W - 1 - sx; break;
	case 8: *x = sy; *y = W - 1 - sx; break;
	default: *x = sx; *y = sy; break;
	}
}

/* Map a rectangle through one of the maps above (corners, then min/max). */
static void map_rect(int to_stored, int o, uint32_t x, uint32_t y, uint32_t w,
		     uint32_t h, uint32_t W, uint32_t H, uint32_t *rx, uint32_t *ry,
		     uint32_t *rw, uint32_t *rh)
{
	uint32_t ax, ay, bx, by;

	if (to_stored) {
		up2st(o, x, y, W, H, &ax, &ay);
		up2st(o, x + w - 1, y + h - 1, W, H, &bx, &by);
	} else {
		st2up(o, x, y, W, H, &ax, &ay);
		st2up(o, x + w - 1, y + h - 1, W, H, &bx, &by);
	}
	*rx = ax < bx ? ax : bx;
	*ry = ay < by ? ay : by;
	*rw = (ax < bx ? bx - ax : ax - bx) + 1;
	*rh = (ay < by ? by - ay : ay - by) + 1;
}

int tfr_codec_roi(const struct tfr_decode_opts *o, int orientation, uint32_t fw,
		  uint32_t fh, uint32_t *rx, uint32_t *ry, uint32_t *rw, uint32_t *rh,
		  struct tfr_error *err)
{
	uint32_t uw = orientation >= 5 ? fh : fw, uh = orientation >= 5 ? fw : fh;
	uint32_t qx = o->roi_x, qy = o->roi_y, qw = o->roi_w, qh = o->roi_h;

	if (qx >= uw || qy >= uh || !qw || !qh)
		return tfr_error_set(err, TFR_ERR_INVALID, "region outside the image");
	if (qw > uw - qx)
		qw = uw - qx;
	if (qh > uh - qy)
		qh = uh - qy;
	map_rect(1, orientation, qx, qy, qw, qh, fw, fh, rx, ry, rw, rh);
	return TFR_OK;
}

/* ------------------------------------------------------------ public */

int tfr_image_probe(const void *data, size_t len, uint64_t max_pixels,
		    struct tfr_image_info *info, struct tfr_error *err)
{
	const struct tfr_codec *c = codec_for(data, len);

	memset(info, 0, sizeof(*info));
	if (!c)
		return not_an_image(err);
	info->orientation = 1;
	return c->probe(data, len, max_pixels, info, err);
}

void tfr_image_frame(const struct tfr_image_info *info, uint32_t min_width,
		     uint32_t min_height, uint32_t *fw, uint32_t *fh)
{
	const struct tfr_codec *c = NULL;
	int swap = info->orientation >= 5;
	uint32_t w = info->width, h = info->height;
	size_t i;

	for (i = 0; i < NCODECS; i++)
		if (codecs[i]->format == info->format)
			c = codecs[i];
	if (c && c->scaled)
		c->scaled(info, swap ? min_height : min_width,
			  swap ? min_width : min_height, &w, &h);
	*fw = swap ? h : w;
	*fh = swap ? w : h;
}

/* Rotate/flip img->pixels in place (through tmp) per EXIF orientation. */
static int orient(struct tfr_image *img, int o, struct tfr_error *err)
{
	uint32_t W = img->width, H = img->height, c = img->channels;
	uint32_t ow = o >= 5 ? H : W, oh = o >= 5 ? W : H, x, y, k;
	size_t n = (size_t)W * H * c;
	unsigned char *src, *dst;

	if (o <= 1)
		return TFR_OK;
	if (tfr_codec_grow(&img->tmp, &img->tmp_cap, n))
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	memcpy(img->tmp, img->pixels, n);
	src = img->tmp;
	dst = img->pixels;
	for (y = 0; y < oh; y++) {
		for (x = 0; x < ow; x++) {
			uint32_t sx, sy;

			up2st(o, x, y, W, H, &sx, &sy);
			for (k = 0; k < c; k++)
				dst[((size_t)y * ow + x) * c + k] =
					src[((size_t)sy * W + sx) * c + k];
		}
	}
	img->width = ow;
	img->height = oh;
	return TFR_OK;
}

int tfr_image_decode(const void *data, size_t len,
		     const struct tfr_decode_opts *opts, struct tfr_image *img,
		     struct tfr_error *err)
{
	const struct tfr_codec *c = codec_for(data, len);
	struct tfr_image_info info;
	uint32_t fw, fh, ux, uy, uw, uh;
	int o, rc;

	if (opts->channels != 1 && opts->channels != 3)
		return tfr_error_set(err, TFR_ERR_INVALID, "channels must be 1 or 3");
	if (!c)
		return not_an_image(err);
	memset(&info, 0, sizeof(info));
	info.orientation = 1;
	rc = c->decode(data, len, opts, img, &info, err);
	if (rc)
		return rc;
	o = info.orientation;
	/* Shapes are decided from the header's size, never the scaled one. */
	img->src_width = o >= 5 ? info.height : info.width;
	img->src_height = o >= 5 ? info.width : info.height;
	/* Where the decoded rectangle lands in the upright frame. */
	fw = img->frame_width;
	fh = img->frame_height;
	map_rect(0, o, img->roi_x, img->roi_y, img->width, img->height, fw, fh,
		 &ux, &uy, &uw, &uh);
	img->roi_x = ux;
	img->roi_y = uy;
	img->frame_width = o >= 5 ? fh : fw;
	img->frame_height = o >= 5 ? fw : fh;
	return orient(img, o, err);
}

void tfr_image_release(struct tfr_image *img)
{
	if (!img)
		return;
	free(img->pixels);
	free(img->tmp);
	memset(img, 0, sizeof(*img));
}
