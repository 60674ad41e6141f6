/*
 * image/jp2.c - JPEG 2000 through OpenJPEG: .jp2 files and raw
 * codestreams (.j2k/.j2c); gray, gray+alpha, RGB, RGBA and sYCC;
 * any precision up to 16 bits, scaled with rounding,
 * round(v * 255 / (2^prec - 1)).  Subsampled components are read at
 * their own resolution (nearest sample).  When the caller needs less than
 * the full size, the file is decoded at the smallest resolution level
 * that covers it (each level halves both sides, rounding up): the same
 * kind of saving as JPEG's DCT scaling, and larger, since the finer
 * levels' code blocks are not decoded at all.
 */
#include "config.h"
#include "image/codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openjpeg.h>

static const unsigned char jp2_sig[12] = { 0, 0, 0, 0x0c, 'j', 'P', ' ', ' ', 0x0d, 0x0a, 0x87, 0x0a };

static int jp2_sniff(const unsigned char *p, size_t len)
{
	if (len >= 12 && !memcmp(p, jp2_sig, 12))
		return 1;
	return len >= 4 && p[0] == 0xff && p[1] == 0x4f && p[2] == 0xff && p[3] == 0x51;
}

struct jp2_mem {
	const unsigned char *data;
	size_t len, pos;
	char msg[256];
	int failed;
};

static OPJ_SIZE_T jp2_read(void *buf, OPJ_SIZE_T n, void *user)
{
	struct jp2_mem *m = user;
	size_t k = m->len - m->pos;

	if (!k)
		return (OPJ_SIZE_T)-1;
	if (n < k)
		k = n;
	memcpy(buf, m->data + m->pos, k);
	m->pos += k;
	return k;
}

static OPJ_OFF_T jp2_skip(OPJ_OFF_T n, void *user)
{
	struct jp2_mem *m = user;

	if (n < 0 ? (size_t)-n > m->pos : (size_t)n > m->len - m->pos)
		return -1;
	m->pos = (size_t)((OPJ_OFF_T)m->pos + n);
	return n;
}

static OPJ_BOOL jp2_seek(OPJ_OFF_T off, void *user)
{
	struct jp2_mem *m = user;

	if (off < 0 || (uint64_t)off > m->len)
		return OPJ_FALSE;
	m->pos = (size_t)off;
	return OPJ_TRUE;
}

static void jp2_on_error(const char *msg, void *user)
{
	struct jp2_mem *m = user;
	size_t n;

	if (m->failed)
		return; /* the first error is the cause */
	m->failed = 1;
	snprintf(m->msg, sizeof(m->msg), "%s", msg);
	n = strlen(m->msg);
	while (n && (m->msg[n - 1] == '\n' || m->msg[n - 1] == ' '))
		m->msg[--n] = 0;
}

static void jp2_quiet(const char *msg, void *user)
{
	(void)msg;
	(void)user;
}

struct jp2_job {
	struct jp2_mem m;
	opj_codec_t *codec;
	opj_stream_t *stream;
	opj_image_t *image;
};

static void jp2_close(struct jp2_job *j)
{
	if (j->image)
		opj_image_destroy(j->image);
	if (j->stream)
		opj_stream_destroy(j->stream);
	if (j->codec)
		opj_destroy_codec(j->codec);
}

static int jp2_fail(struct jp2_job *j, struct tfr_error *err, const char *what)
{
	return tfr_error_set(err, TFR_ERR_FORMAT, "invalid JPEG 2000: %s",
			     j->m.failed ? j->m.msg : what);
}

/* Most tiles a file may have: OpenJPEG allocates some 11 KB a tile
 * while it reads the header, before any size can be checked (a 550-byte
 * codestream claiming 65025 tiles took 730 MB).  8192 tiles of a 100
 * megapixel image are 110x110 pixels each; real files use 256 and up. */
#define JP2_MAX_TILES 8192

/*
 * Every tile must have a tile part inside the file.  OpenJPEG decodes a
 * tile that is not there as zeros, even in strict mode, so a codestream
 * cut after its first tiles would give a flat image.  cs is the offset
 * of SOC; the main header's marker segments are skipped to the first SOT,
 * then each tile part's SOT gives its tile and length (0: to the end).
 */
static int jp2_tiles_present(const unsigned char *p, size_t len, size_t cs,
			     uint32_t ntiles, struct tfr_error *err)
{
	unsigned char seen[JP2_MAX_TILES / 8] = { 0 };
	size_t off = cs + 2;
	uint32_t found = 0;

	while (off + 4 <= len && !(p[off] == 0xff && p[off + 1] == 0x90)) {
		if (p[off] != 0xff)
			return tfr_error_set(err, TFR_ERR_FORMAT,
					     "invalid JPEG 2000: bad marker at offset %zu", off);
		off += 2 + (size_t)tfr_rd16(p + off + 2, 1);
	}
	while (off + 12 <= len && p[off] == 0xff && p[off + 1] == 0x90) {
		uint32_t t = tfr_rd16(p + off + 4, 1), psot = tfr_rd32(p + off + 6, 1);

		if (t < ntiles && !(seen[t / 8] & (1u << (t % 8)))) {
			seen[t / 8] |= (unsigned char)(1u << (t % 8));
			found++;
		}
		if (!psot || psot > len - off)
			break; /* the last tile part, or one cut short */
		off += psot;
	}
	if (found < ntiles)
		return tfr_error_set(err, TFR_ERR_CORRUPT,
				     "invalid JPEG 2000: %u of %u tiles missing (data cut short?)",
				     ntiles - found, ntiles);
	return TFR_OK;
}

/*
 * The codestream's SIZ marker, read here before OpenJPEG sees the data:
 * image size against the pixel cap, component count, and tile count
 * against JP2_MAX_TILES.  In a .jp2 file the codestream is the top-level
 * 'jp2c' box.
 */
static int jp2_siz_check(const unsigned char *p, size_t len, uint64_t max,
			 struct tfr_error *err)
{
	size_t off = 0;
	uint32_t xs, ys, xo, yo, xt, yt, xto, yto, tw, th;
	unsigned cs;
	int rc;

	if (len >= 12 && !memcmp(p, jp2_sig, 12)) {
		for (off = 0;;) {
			uint64_t box;
			size_t hdr = 8;

			if (off + 8 > len)
				return tfr_error_set(err, TFR_ERR_FORMAT,
						     "invalid JPEG 2000: no codestream box");
			box = tfr_rd32(p + off, 1);
			if (box == 1) {
				if (off + 16 > len)
					return tfr_error_set(err, TFR_ERR_FORMAT,
							     "invalid JPEG 2000: box cut short");
				box = (uint64_t)tfr_rd32(p + off + 8, 1) << 32 | tfr_rd32(p + off + 12, 1);
				hdr = 16;
			} else if (box == 0) {
				box = len - off;
			}
			if (!memcmp(p + off + 4, "jp2c", 4)) {
				off += hdr;
				break;
			}
			if (box < hdr || box > len - off)
				return tfr_error_set(err, TFR_ERR_FORMAT,
						     "invalid JPEG 2000: box at offset %zu claims %llu bytes",
						     off, (unsigned long long)box);
			off += (size_t)box;
		}
	}
	if (off + 42 > len || p[off] != 0xff || p[off + 1] != 0x4f || p[off + 2] != 0xff ||
	    p[off + 3] != 0x51)
		return tfr_error_set(err, TFR_ERR_FORMAT,
				     "invalid JPEG 2000: no SIZ marker at offset %zu", off);
	off += 8; /* SOC, SIZ, Lsiz, Rsiz */
	xs = tfr_rd32(p + off, 1);
	ys = tfr_rd32(p + off + 4, 1);
	xo = tfr_rd32(p + off + 8, 1);
	yo = tfr_rd32(p + off + 12, 1);
	xt = tfr_rd32(p + off + 16, 1);
	yt = tfr_rd32(p + off + 20, 1);
	xto = tfr_rd32(p + off + 24, 1);
	yto = tfr_rd32(p + off + 28, 1);
	cs = tfr_rd16(p + off + 32, 1);
	if (xo >= xs || yo >= ys || !xt || !yt || xto > xo || yto > yo)
		return tfr_error_set(err, TFR_ERR_FORMAT, "invalid JPEG 2000: bad image or tile grid");
	if (cs < 1 || cs > 4)
		return tfr_error_set(err, TFR_ERR_UNSUPPORTED,
				     "unsupported JPEG 2000: %u components", cs);
	rc = tfr_codec_check_size(xs - xo, ys - yo, max, err);
	if (rc)
		return rc;
	tw = (uint32_t)(((uint64_t)xs - xto + xt - 1) / xt);
	th = (uint32_t)(((uint64_t)ys - yto + yt - 1) / yt);
	if ((uint64_t)tw * th > JP2_MAX_TILES)
		return tfr_error_set(err, TFR_ERR_LIMIT,
				     "JPEG 2000 of %ux%u tiles exceeds the limit of %d tiles",
				     tw, th, JP2_MAX_TILES);
	return jp2_tiles_present(p, len, off - 8, tw * th, err);
}

static int jp2_open(struct jp2_job *j, const void *data, size_t len, uint64_t max,
		    struct tfr_image_info *info, struct tfr_error *err)
{
	opj_dparameters_t par;
	uint32_t w, h;
	int rc;

	memset(j, 0, sizeof(*j));
	rc = jp2_siz_check(data, len, max, err);
	if (rc)
		return rc;
	j->m.data = data;
	j->m.len = len;
	j->codec = opj_create_decompress(len >= 12 && !memcmp(data, jp2_sig, 12)
						 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
	j->stream = opj_stream_create(1u << 16, OPJ_TRUE);
	if (!j->codec || !j->stream)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	opj_set_error_handler(j->codec, jp2_on_error, &j->m);
	opj_set_warning_handler(j->codec, jp2_quiet, &j->m);
	opj_set_info_handler(j->codec, jp2_quiet, &j->m);
	opj_stream_set_user_data(j->stream, &j->m, NULL);
	opj_stream_set_user_data_length(j->stream, len);
	opj_stream_set_read_function(j->stream, jp2_read);
	opj_stream_set_skip_function(j->stream, jp2_skip);
	opj_stream_set_seek_function(j->stream, jp2_seek);
	opj_set_default_decoder_parameters(&par);
	/* Strict: a codestream cut short is an error, not zeros. */
	if (!opj_setup_decoder(j->codec, &par) ||
	    !opj_decoder_set_strict_mode(j->codec, OPJ_TRUE) ||
	    !opj_read_header(j->stream, j->codec, &j->image) || !j->image)
		return jp2_fail(j, err, "cannot read the header");
	if (j->image->x1 <= j->image->x0 || j->image->y1 <= j->image->y0)
		return jp2_fail(j, err, "empty image area");
	w = j->image->x1 - j->image->x0;
	h = j->image->y1 - j->image->y0;
	info->format = TFR_IMAGE_JP2;
	info->width = w;
	info->height = h;
	info->orientation = 1;
	info->reduce_max = 0;
	/* Levels every tile-component has; an image area that does not
	 * start at 0, 0 is left at full size (its reduced size rounds
	 * differently). */
	if (!j->image->x0 && !j->image->y0) {
		opj_codestream_info_v2_t *ci = opj_get_cstr_info(j->codec);

		if (ci && ci->m_default_tile_info.tccp_info) {
			uint32_t k, least = 32;

			for (k = 0; k < ci->nbcomps; k++)
				if (ci->m_default_tile_info.tccp_info[k].numresolutions < least)
					least = ci->m_default_tile_info.tccp_info[k].numresolutions;
			info->reduce_max = least >= 1 && least <= 32 ? least - 1 : 0;
		}
		if (ci)
			opj_destroy_cstr_info(&ci);
	}
	return tfr_codec_check_size(w, h, max, err);
}

/* The most halvings (up to info->reduce_max) that still cover need. */
static unsigned jp2_reduce(const struct tfr_image_info *info, uint32_t need_w, uint32_t need_h)
{
	unsigned r = 0;

	if (!need_w && !need_h)
		return 0;
	while (r < info->reduce_max && r < 31 &&
	       (((uint64_t)info->width + (1u << (r + 1)) - 1) >> (r + 1)) >= need_w &&
	       (((uint64_t)info->height + (1u << (r + 1)) - 1) >> (r + 1)) >= need_h)
		r++;
	return r;
}

static void jp2_scaled(const struct tfr_image_info *info, uint32_t need_w,
		       uint32_t need_h, uint32_t *w, uint32_t *h)
{
	unsigned r = jp2_reduce(info, need_w, need_h);

	/* OpenJPEG's reduced size: ceil(size / 2^r) */
	*w = (uint32_t)(((uint64_t)info->width + (1u << r) - 1) >> r);
	*h = (uint32_t)(((uint64_t)info->height + (1u << r) - 1) >> r);
}

static int jp2_probe(const void *data, size_t len, uint64_t max,
		     struct tfr_image_info *info, struct tfr_error *err)
{
	struct jp2_job j;
	int rc = jp2_open(&j, data, len, max, info, err);

	jp2_close(&j);
	return rc;
}

static unsigned jp2_sample(const opj_image_comp_t *c, uint32_t x, uint32_t y)
{
	uint32_t cx = c->dx ? x / c->dx : x, cy = c->dy ? y / c->dy : y;
	int32_t v;
	uint32_t top;

	if (cx >= c->w)
		cx = c->w - 1;
	if (cy >= c->h)
		cy = c->h - 1;
	v = c->data[(size_t)cy * c->w + cx];
	if (c->sgnd)
		v += 1 << (c->prec - 1);
	top = (1u << c->prec) - 1;
	if (v < 0)
		v = 0;
	if ((uint32_t)v > top)
		v = (int32_t)top;
	return (unsigned)(((uint64_t)(uint32_t)v * 255 + top / 2) / top);
}

static unsigned char clamp8(double v)
{
	return (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5);
}

static int jp2_decode(const void *data, size_t len, const struct tfr_decode_opts *o,
		      struct tfr_image *img, struct tfr_image_info *info,
		      struct tfr_error *err)
{
	struct jp2_job j;
	unsigned char *rgba = NULL;
	uint32_t w, h, x, y, i, nc;
	unsigned r;
	int rc;

	rc = jp2_open(&j, data, len, o->max_pixels, info, err);
	if (rc)
		goto out;
	r = jp2_reduce(info, o->min_width, o->min_height);
	jp2_scaled(info, o->min_width, o->min_height, &w, &h);
	if (r && !opj_set_decoded_resolution_factor(j.codec, r)) {
		rc = jp2_fail(&j, err, "cannot decode at a reduced resolution");
		goto out;
	}
	if (!opj_decode(j.codec, j.stream, j.image) || !opj_end_decompress(j.codec, j.stream)) {
		rc = jp2_fail(&j, err, "image data does not decode");
		goto out;
	}
	nc = j.image->numcomps;
	if (nc < 1 || nc > 4) {
		rc = tfr_error_set(err, TFR_ERR_UNSUPPORTED,
				   "unsupported JPEG 2000: %u components", nc);
		goto out;
	}
	for (i = 0; i < nc; i++) {
		const opj_image_comp_t *c = &j.image->comps[i];

		if (!c->data || !c->w || !c->h || c->prec < 1 || c->prec > 16) {
			rc = tfr_error_set(err, TFR_ERR_UNSUPPORTED,
					   "unsupported JPEG 2000: component %u of %u bits", i,
					   c->prec);
			goto out;
		}
	}
	rc = tfr_codec_full_frame(img, w, h, o->channels, err);
	if (rc)
		goto out;
	rgba = malloc((size_t)w * 4);
	if (!rgba) {
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (y = 0; y < h; y++) {
		for (x = 0; x < w; x++) {
			unsigned char *d = rgba + 4 * (size_t)x;
			unsigned s[4] = { 0, 0, 0, 255 };

			for (i = 0; i < nc; i++)
				s[i] = jp2_sample(&j.image->comps[i], x, y);
			if (nc <= 2) { /* gray, gray + alpha */
				s[3] = nc == 2 ? s[1] : 255;
				s[1] = s[2] = s[0];
			}
			if (nc >= 3 && j.image->color_space == OPJ_CLRSPC_SYCC) {
				double yy = s[0], cb = s[1] - 128.0, cr = s[2] - 128.0;

				s[0] = clamp8(yy + 1.402 * cr);
				s[1] = clamp8(yy - 0.344136 * cb - 0.714136 * cr);
				s[2] = clamp8(yy + 1.772 * cb);
			}
			for (i = 0; i < 4; i++)
				d[i] = (unsigned char)s[i];
		}
		tfr_codec_rgba_row(rgba, w, o, img->pixels + (size_t)y * w * o->channels);
	}
out:
	free(rgba);
	jp2_close(&j);
	return rc;
}

static const char *const jp2_exts[] = { ".jp2", ".j2k", ".j2c", ".jpx", NULL };

const struct tfr_codec tfr_codec_jp2 = {
	.format = TFR_IMAGE_JP2,
	.name = "jp2",
	.long_name = "JPEG 2000",
	.exts = jp2_exts,
	.sniff = jp2_sniff,
	.probe = jp2_probe,
	.scaled = jp2_scaled,
	.decode = jp2_decode,
};
