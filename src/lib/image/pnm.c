/*
 * image/pnm.c - PBM, PGM and PPM (P1 to P6), ASCII and binary, 8 and 16
 * bits.  Hand-written: the format is a few lines of header, and netpbm's
 * libnetpbm reads only from FILE streams and exits on errors.  Samples
 * are scaled with rounding, round(v * 255 / maxval).
 */
#include "config.h"
#include "image/codec.h"

#include <stdlib.h>
#include <string.h>

static int pnm_sniff(const unsigned char *p, size_t len)
{
	return len >= 3 && p[0] == 'P' && p[1] >= '1' && p[1] <= '6' &&
	       (p[2] == ' ' || p[2] == '\t' || p[2] == '\n' || p[2] == '\r' || p[2] == '#');
}

static int is_space(unsigned c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* The next decimal number at *pos, skipping white space and comments;
 * -1 when there is none or it is over 2^31 - 1. */
static long pnm_number(const unsigned char *p, size_t len, size_t *pos, int one_digit)
{
	long v = 0;
	int digits = 0;

	while (*pos < len) {
		if (p[*pos] == '#') {
			while (*pos < len && p[*pos] != '\n' && p[*pos] != '\r')
				(*pos)++;
		} else if (is_space(p[*pos])) {
			(*pos)++;
		} else {
			break;
		}
	}
	while (*pos < len && p[*pos] >= '0' && p[*pos] <= '9') {
		v = v * 10 + (p[*pos] - '0');
		(*pos)++;
		if (++digits > 9)
			return -1;
		if (one_digit)
			break;
	}
	return digits ? v : -1;
}

struct pnm {
	int kind;           /* 1..6 */
	uint32_t w, h, maxval, spp;
	size_t data;        /* offset of the first sample */
};

static int pnm_header(const unsigned char *p, size_t len, uint64_t max, struct pnm *n,
		      struct tfr_image_info *info, struct tfr_error *err)
{
	size_t pos = 2;
	long w, h, mv = 1;

	n->kind = p[1] - '0';
	w = pnm_number(p, len, &pos, 0);
	h = pnm_number(p, len, &pos, 0);
	if (n->kind != 1 && n->kind != 4)
		mv = pnm_number(p, len, &pos, 0);
	if (w <= 0 || h <= 0 || mv < 1 || mv > 65535)
		return tfr_error_set(err, TFR_ERR_FORMAT, "invalid PNM: bad header");
	/* Binary data starts after exactly one white space character. */
	if (n->kind >= 4) {
		if (pos >= len || !is_space(p[pos]))
			return tfr_error_set(err, TFR_ERR_FORMAT, "invalid PNM: bad header");
		pos++;
	}
	n->w = (uint32_t)w;
	n->h = (uint32_t)h;
	n->maxval = (uint32_t)mv;
	n->spp = n->kind == 3 || n->kind == 6 ? 3 : 1;
	n->data = pos;
	info->format = TFR_IMAGE_PNM;
	info->width = n->w;
	info->height = n->h;
	info->orientation = 1;
	return tfr_codec_check_size(n->w, n->h, max, err);
}

static int pnm_probe(const void *data, size_t len, uint64_t max,
		     struct tfr_image_info *info, struct tfr_error *err)
{
	struct pnm n;

	return pnm_header(data, len, max, &n, info, err);
}

static int pnm_decode(const void *data, size_t len, const struct tfr_decode_opts *o,
		      struct tfr_image *img, struct tfr_image_info *info,
		      struct tfr_error *err)
{
	const unsigned char *p = data;
	struct pnm n;
	uint64_t samples, need;
	size_t pos, bps, stride;
	uint32_t x, y, k;
	unsigned char *rgba = NULL;
	int rc;

	rc = pnm_header(p, len, o->max_pixels, &n, info, err);
	if (rc)
		return rc;
	samples = (uint64_t)n.w * n.h * n.spp;
	bps = n.maxval > 255 ? 2 : 1;
	stride = n.kind == 4 ? (n.w + 7) / 8 : (size_t)n.w * n.spp * bps;
	/* Refuse a header that claims more than the file holds before any
	 * pixel memory exists (ASCII: at least one character a sample). */
	need = n.kind >= 4 ? (uint64_t)stride * n.h : samples;
	if (need > len - n.data)
		return tfr_error_set(err, TFR_ERR_CORRUPT,
				     "invalid PNM: data ends before the image is complete");
	rc = tfr_codec_full_frame(img, n.w, n.h, o->channels, err);
	if (rc)
		return rc;
	rgba = malloc((size_t)n.w * 4);
	if (!rgba)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	pos = n.data;
	for (y = 0; y < n.h; y++) {
		const unsigned char *row = p + n.data + stride * y;

		for (x = 0; x < n.w; x++) {
			unsigned v[3];

			for (k = 0; k < n.spp; k++) {
				long s;

				if (n.kind == 4) {
					s = (row[x / 8] >> (7 - x % 8)) & 1;
				} else if (n.kind >= 5) {
					size_t i = ((size_t)x * n.spp + k) * bps;

					s = bps == 2 ? (long)tfr_rd16(row + i, 1) : row[i];
				} else {
					s = pnm_number(p, len, &pos, n.kind == 1);
					if (s < 0) {
						rc = tfr_error_set(err, TFR_ERR_CORRUPT,
								   "invalid PNM: bad sample at offset %zu", pos);
						goto out;
					}
				}
				if (n.kind == 1 || n.kind == 4)
					v[k] = s ? 0 : 255; /* PBM: 1 is black */
				else
					v[k] = (unsigned)(((uint64_t)(s > (long)n.maxval ? n.maxval : (uint32_t)s) * 255 +
							   n.maxval / 2) / n.maxval);
			}
			rgba[4 * x] = (unsigned char)v[0];
			rgba[4 * x + 1] = (unsigned char)v[n.spp == 3 ? 1 : 0];
			rgba[4 * x + 2] = (unsigned char)v[n.spp == 3 ? 2 : 0];
			rgba[4 * x + 3] = 255;
		}
		tfr_codec_rgba_row(rgba, n.w, o, img->pixels + (size_t)y * n.w * o->channels);
	}
out:
	free(rgba);
	return rc;
}

static const char *const pnm_exts[] = { ".pbm", ".pgm", ".ppm", ".pnm", NULL };

const struct tfr_codec tfr_codec_pnm = {
	.format = TFR_IMAGE_PNM,
	.name = "pnm",
	.long_name = "PNM",
	.exts = pnm_exts,
	.sniff = pnm_sniff,
	.probe = pnm_probe,
	.decode = pnm_decode,
};
