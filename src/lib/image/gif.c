/*
 * image/gif.c - GIF through giflib: the first frame composed onto its
 * logical screen.  The screen starts transparent black; the frame's
 * pixels are painted over it except where they hold the transparent
 * index of the frame's Graphic Control Extension.  With alpha dropped
 * (the default), transparent pixels are therefore black, as TensorFlow's
 * decode_gif gives them; --background paints them in its colour.  Only
 * the records up to the first image are read, so an animation costs one
 * frame, and the screen and the frame are checked against the pixel cap
 * before anything is allocated.
 */
#include "config.h"
#include "image/codec.h"

#include <stdlib.h>
#include <string.h>

#include <gif_lib.h>

static int gif_sniff(const unsigned char *p, size_t len)
{
	return len >= 6 && (!memcmp(p, "GIF87a", 6) || !memcmp(p, "GIF89a", 6));
}

struct gif_mem {
	const unsigned char *data;
	size_t len, pos;
};

static int gif_read(GifFileType *g, GifByteType *buf, int n)
{
	struct gif_mem *m = g->UserData;
	size_t k = m->len - m->pos;

	if (n < 0)
		return 0;
	if ((size_t)n < k)
		k = (size_t)n;
	memcpy(buf, m->data + m->pos, k);
	m->pos += k;
	return (int)k;
}

static int gif_fail(GifFileType *g, int code, struct tfr_error *err)
{
	const char *s = GifErrorString(g ? g->Error : code);

	return tfr_error_set(err, TFR_ERR_FORMAT, "invalid GIF: %s", s ? s : "unreadable");
}

static GifFileType *gif_open(struct gif_mem *m, const void *data, size_t len, int *code)
{
	m->data = data;
	m->len = len;
	m->pos = 0;
	return DGifOpen(m, gif_read, code);
}

static int gif_probe(const void *data, size_t len, uint64_t max,
		     struct tfr_image_info *info, struct tfr_error *err)
{
	struct gif_mem m;
	int code = 0, rc;
	GifFileType *g = gif_open(&m, data, len, &code);

	if (!g)
		return gif_fail(NULL, code, err);
	info->format = TFR_IMAGE_GIF;
	info->width = (uint32_t)(g->SWidth > 0 ? g->SWidth : 0);
	info->height = (uint32_t)(g->SHeight > 0 ? g->SHeight : 0);
	info->orientation = 1;
	rc = tfr_codec_check_size(info->width, info->height, max, err);
	DGifCloseFile(g, &code);
	return rc;
}

struct gif_job {
	GifFileType *g;
	GifPixelType *line;
};

static int gif_frame(struct gif_job *j, const struct tfr_decode_opts *o,
		     struct tfr_image *img, uint32_t sw, uint32_t sh, struct tfr_error *err)
{
	GifFileType *g = j->g;
	GifRecordType type;
	int transparent = -1, ext_code, pass, rc;
	GifByteType *ext;
	const ColorMapObject *cm;
	uint32_t fx, fy, fw, fh, row, x;
	static const int start[4] = { 0, 4, 2, 1 }, step[4] = { 8, 8, 4, 2 };

	for (;;) {
		if (DGifGetRecordType(g, &type) == GIF_ERROR)
			return gif_fail(g, 0, err);
		if (type == TERMINATE_RECORD_TYPE)
			return tfr_error_set(err, TFR_ERR_FORMAT, "invalid GIF: no image in the file");
		if (type == IMAGE_DESC_RECORD_TYPE)
			break;
		if (type != EXTENSION_RECORD_TYPE)
			continue;
		if (DGifGetExtension(g, &ext_code, &ext) == GIF_ERROR)
			return gif_fail(g, 0, err);
		while (ext) {
			/* Graphic Control: flags, delay (2), transparent index */
			if (ext_code == GRAPHICS_EXT_FUNC_CODE && ext[0] >= 4)
				transparent = (ext[1] & 1) ? ext[4] : -1;
			ext_code = 0;
			if (DGifGetExtensionNext(g, &ext) == GIF_ERROR)
				return gif_fail(g, 0, err);
		}
	}
	if (DGifGetImageDesc(g) == GIF_ERROR)
		return gif_fail(g, 0, err);
	fx = (uint32_t)g->Image.Left;
	fy = (uint32_t)g->Image.Top;
	fw = (uint32_t)g->Image.Width;
	fh = (uint32_t)g->Image.Height;
	rc = tfr_codec_check_size(fw, fh, o->max_pixels, err);
	if (rc)
		return rc;
	cm = g->Image.ColorMap ? g->Image.ColorMap : g->SColorMap;
	if (!cm)
		return tfr_error_set(err, TFR_ERR_FORMAT, "invalid GIF: no colour table");
	/* The canvas, RGBA, transparent black. */
	if (tfr_codec_grow(&img->tmp, &img->tmp_cap, (size_t)sw * sh * 4))
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	memset(img->tmp, 0, (size_t)sw * sh * 4);
	j->line = malloc(fw);
	if (!j->line)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	for (pass = g->Image.Interlace ? 0 : 3; pass < 4; pass++) {
		uint32_t first = g->Image.Interlace ? (uint32_t)start[pass] : 0;
		uint32_t by = g->Image.Interlace ? (uint32_t)step[pass] : 1;

		for (row = first; row < fh; row += by) {
			uint32_t cy = fy + row;

			if (DGifGetLine(g, j->line, (int)fw) == GIF_ERROR)
				return gif_fail(g, 0, err);
			if (cy >= sh)
				continue; /* the part of a frame off the screen */
			for (x = 0; x < fw && fx + x < sw; x++) {
				int v = j->line[x];
				unsigned char *p = img->tmp + ((size_t)cy * sw + fx + x) * 4;

				if (v == transparent)
					continue;
				if (v >= cm->ColorCount)
					v = 0; /* an index past the table: its first colour */
				p[0] = cm->Colors[v].Red;
				p[1] = cm->Colors[v].Green;
				p[2] = cm->Colors[v].Blue;
				p[3] = 255;
			}
		}
	}
	return TFR_OK;
}

static int gif_decode(const void *data, size_t len, const struct tfr_decode_opts *o,
		      struct tfr_image *img, struct tfr_image_info *info,
		      struct tfr_error *err)
{
	struct gif_mem m;
	struct gif_job j = { NULL, NULL };
	int code = 0, rc;
	uint32_t sw, sh, y;

	j.g = gif_open(&m, data, len, &code);
	if (!j.g)
		return gif_fail(NULL, code, err);
	sw = (uint32_t)(j.g->SWidth > 0 ? j.g->SWidth : 0);
	sh = (uint32_t)(j.g->SHeight > 0 ? j.g->SHeight : 0);
	info->format = TFR_IMAGE_GIF;
	info->width = sw;
	info->height = sh;
	info->orientation = 1;
	rc = tfr_codec_check_size(sw, sh, o->max_pixels, err);
	if (!rc)
		rc = tfr_codec_full_frame(img, sw, sh, o->channels, err);
	if (!rc)
		rc = gif_frame(&j, o, img, sw, sh, err);
	if (!rc)
		for (y = 0; y < sh; y++)
			tfr_codec_rgba_row(img->tmp + (size_t)y * sw * 4, sw, o,
					   img->pixels + (size_t)y * sw * o->channels);
	free(j.line);
	DGifCloseFile(j.g, &code);
	return rc;
}

static const char *const gif_exts[] = { ".gif", NULL };

const struct tfr_codec tfr_codec_gif = {
	.format = TFR_IMAGE_GIF,
	.name = "gif",
	.long_name = "GIF",
	.exts = gif_exts,
	.sniff = gif_sniff,
	.probe = gif_probe,
	.decode = gif_decode,
};
