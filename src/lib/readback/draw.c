/* draw.c - boxes, masks and captions on exported pictures; see draw.h. */
#include "config.h"
#include "readback/draw.h"
#include "readback/font5x7.h"
#include "annot/masks.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A 1-channel picture becomes RGB, so that colours can be drawn. */
static int to_rgb(struct tfr_picture *p)
{
	size_t n = (size_t)p->width * p->height, i;
	unsigned char *q;

	if (p->channels == 3)
		return 0;
	q = malloc(n * 3 + 1);
	if (!q)
		return -1;
	for (i = 0; i < n; i++)
		q[3 * i] = q[3 * i + 1] = q[3 * i + 2] = p->pixels[i];
	free(p->pixels);
	p->pixels = q;
	p->cap = n * 3 + 1;
	p->channels = 3;
	return 0;
}

static void put(struct tfr_picture *p, int64_t x, int64_t y, const unsigned char rgb[3])
{
	unsigned char *d;

	if (x < 0 || y < 0 || x >= p->width || y >= p->height || p->channels != 3)
		return;
	d = p->pixels + ((size_t)y * p->width + (size_t)x) * 3;
	d[0] = rgb[0];
	d[1] = rgb[1];
	d[2] = rgb[2];
}

static void shade(struct tfr_picture *p, int64_t x, int64_t y)
{
	unsigned char *d;

	if (x < 0 || y < 0 || x >= p->width || y >= p->height || p->channels != 3)
		return;
	d = p->pixels + ((size_t)y * p->width + (size_t)x) * 3;
	d[0] = (unsigned char)(d[0] / 4);
	d[1] = (unsigned char)(d[1] / 4);
	d[2] = (unsigned char)(d[2] / 4);
}

uint32_t tfr_draw_text_width(const char *text, uint32_t s)
{
	return (uint32_t)strlen(text) * (TFR_FONT_W + 1) * s;
}

void tfr_draw_text(struct tfr_picture *p, int64_t x, int64_t y, const char *text,
		   const unsigned char rgb[3], uint32_t s)
{
	int64_t w = tfr_draw_text_width(text, s), h = (TFR_FONT_H + 2) * (int64_t)s, i, j;
	const unsigned char *c;

	/* A dark band one pixel wider than the text, so it reads anywhere. */
	for (j = -1; j < h - 1; j++)
		for (i = -1; i < w + 1; i++)
			shade(p, x + i, y + j);
	for (c = (const unsigned char *)text; *c; c++, x += (TFR_FONT_W + 1) * (int64_t)s) {
		const unsigned char *g = tfr_font5x7[(*c >= 32 && *c <= 126 ? *c : '?') - 32];
		int row, col;
		uint32_t a, b;

		for (row = 0; row < TFR_FONT_H; row++)
			for (col = 0; col < TFR_FONT_W; col++)
				if (g[row] & (0x10 >> col))
					for (a = 0; a < s; a++)
						for (b = 0; b < s; b++)
							put(p, x + col * (int64_t)s + b,
							    y + row * (int64_t)s + a, rgb);
	}
}

void tfr_draw_rect(struct tfr_picture *p, int64_t x0, int64_t y0, int64_t x1, int64_t y1,
		   const unsigned char rgb[3], uint32_t t)
{
	int64_t x, y, k;

	for (k = 0; k < (int64_t)t; k++) {
		for (x = x0 + k; x < x1 - k; x++) {
			put(p, x, y0 + k, rgb);
			put(p, x, y1 - 1 - k, rgb);
		}
		for (y = y0 + k; y < y1 - k; y++) {
			put(p, x0 + k, y, rgb);
			put(p, x1 - 1 - k, y, rgb);
		}
	}
}

void tfr_draw_color(int64_t k, unsigned char rgb[3])
{
	/* Twelve saturated hues that differ from their neighbours. */
	static const unsigned char pal[12][3] = {
		{ 255, 64, 64 }, { 64, 220, 64 }, { 64, 128, 255 }, { 255, 220, 0 },
		{ 255, 64, 255 }, { 0, 230, 230 }, { 255, 140, 0 }, { 160, 90, 255 },
		{ 140, 255, 120 }, { 255, 120, 160 }, { 0, 170, 120 }, { 200, 200, 255 },
	};
	uint64_t i = (uint64_t)(k < 0 ? -k : k) % 12;

	memcpy(rgb, pal[i], 3);
}

static void tint(struct tfr_picture *p, const unsigned char *m, const unsigned char rgb[3],
		 int by_value)
{
	size_t n = (size_t)p->width * p->height, i;
	int c;

	for (i = 0; i < n; i++) {
		unsigned char col[3];

		if (!m[i] || (by_value && m[i] == 255)) /* 255: VOC's "void" border */
			continue;
		if (by_value)
			tfr_draw_color(m[i], col);
		else
			memcpy(col, rgb, 3);
		for (c = 0; c < 3; c++)
			p->pixels[3 * i + c] = (unsigned char)((p->pixels[3 * i + c] * 55 + col[c] * 45) / 100);
	}
}

/* Tint one mask PNG in, when it has the picture's size. */
static int draw_mask(struct tfr_picture *p, const struct tfr_bytes *png,
		     const unsigned char rgb[3], int by_value, struct tfr_error *err)
{
	unsigned char *m;
	uint32_t w, h;
	int rc = tfr_mask_decode(png->data, png->len, &m, &w, &h, err);

	if (rc)
		return rc;
	if (w == p->width && h == p->height)
		tint(p, m, rgb, by_value);
	free(m);
	return TFR_OK;
}

int tfr_draw_annotations(struct tfr_picture *p, const struct tfr_example *ex,
			 struct tfr_error *err)
{
	struct tfr_feature_view x0, x1, y0, y1, lab, txt, msk, seg;
	int has_lab, has_txt, has_msk;
	size_t i, n;
	uint32_t t, s;

	if (!tfr_example_find(ex, "image/object/bbox/xmin", &x0) ||
	    !tfr_example_find(ex, "image/object/bbox/xmax", &x1) ||
	    !tfr_example_find(ex, "image/object/bbox/ymin", &y0) ||
	    !tfr_example_find(ex, "image/object/bbox/ymax", &y1))
		n = 0;
	else if (x0.kind != TFR_FEATURE_FLOAT || x1.kind != TFR_FEATURE_FLOAT ||
		 y0.kind != TFR_FEATURE_FLOAT || y1.kind != TFR_FEATURE_FLOAT)
		n = 0;
	else
		n = x0.count < x1.count ? x0.count : x1.count;
	if (n) {
		n = n < y0.count ? n : y0.count;
		n = n < y1.count ? n : y1.count;
	}
	if (!tfr_example_find(ex, "image/segmentation/class/encoded", &seg) ||
	    seg.kind != TFR_FEATURE_BYTES || !seg.count)
		seg.count = 0;
	if (!n && !seg.count)
		return 0;
	if (!p->width || !p->height)
		return 0;
	if (to_rgb(p))
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	has_lab = tfr_example_find(ex, "image/object/class/label", &lab) &&
		  lab.kind == TFR_FEATURE_INT64 && lab.count >= n;
	has_txt = tfr_example_find(ex, "image/object/class/text", &txt) &&
		  txt.kind == TFR_FEATURE_BYTES && txt.count >= n;
	has_msk = tfr_example_find(ex, "image/object/mask", &msk) &&
		  msk.kind == TFR_FEATURE_BYTES && msk.count >= n;
	if (seg.count) {
		int rc = draw_mask(p, &seg.bytes[0], NULL, 1, err);

		if (rc)
			return rc;
	}
	for (i = 0; has_msk && i < n; i++) {
		unsigned char rgb[3];
		int rc;

		tfr_draw_color(has_lab ? lab.ints[i] : (int64_t)i, rgb);
		rc = draw_mask(p, &msk.bytes[i], rgb, 0, err);
		if (rc)
			return rc;
	}
	/* Lines and text grow with the picture: a thumbnail still shows them. */
	s = (p->width > p->height ? p->width : p->height) >= 640 ? 2 : 1;
	t = s + ((p->width > p->height ? p->width : p->height) >= 1200);
	for (i = 0; i < n; i++) {
		float a, b, c, d;
		unsigned char rgb[3], white[3] = { 255, 255, 255 };
		int64_t px0, py0, px1, py1;
		char name[64];

		memcpy(&a, (const unsigned char *)x0.floats + 4 * i, 4);
		memcpy(&b, (const unsigned char *)y0.floats + 4 * i, 4);
		memcpy(&c, (const unsigned char *)x1.floats + 4 * i, 4);
		memcpy(&d, (const unsigned char *)y1.floats + 4 * i, 4);
		if (!isfinite(a) || !isfinite(b) || !isfinite(c) || !isfinite(d) ||
		    fabs(a) > 4 || fabs(b) > 4 || fabs(c) > 4 || fabs(d) > 4)
			continue; /* not a box anyone could draw */
		px0 = (int64_t)floor(a * p->width);
		py0 = (int64_t)floor(b * p->height);
		px1 = (int64_t)ceil(c * p->width);
		py1 = (int64_t)ceil(d * p->height);
		tfr_draw_color(has_lab ? lab.ints[i] : (int64_t)i, rgb);
		tfr_draw_rect(p, px0, py0, px1, py1, rgb, t);
		if (has_txt) {
			size_t l = txt.bytes[i].len < sizeof(name) - 1 ? txt.bytes[i].len : sizeof(name) - 1;

			memcpy(name, txt.bytes[i].data, l);
			name[l] = 0;
		} else if (has_lab)
			snprintf(name, sizeof(name), "%lld", (long long)lab.ints[i]);
		else
			name[0] = 0;
		if (name[0]) {
			int64_t ty = py0 - (int64_t)(TFR_FONT_H + 2) * s;

			if (ty < 1)
				ty = py0 + (int64_t)t + 1; /* inside the box at the top edge */
			tfr_draw_text(p, px0 + 1, ty, name, white, s);
			/* A swatch of the class colour before the name. */
			tfr_draw_rect(p, px0, ty - 1, px0 + 1, ty + (int64_t)(TFR_FONT_H + 1) * s, rgb, 1);
		}
	}
	return (int)(n > 0x7fffffff ? 0x7fffffff : n);
}

void tfr_draw_tile_boxes(struct tfr_sheet *s, const struct tfr_example *ex, uint32_t pw,
			 uint32_t ph)
{
	struct tfr_feature_view x0, x1, y0, y1, lab;
	uint32_t k, cx, cy, tw, th, ox, oy;
	int has_lab;
	double scale;
	size_t i, n;

	if (!s->n || !pw || !ph || !tfr_example_find(ex, "image/object/bbox/xmin", &x0) ||
	    !tfr_example_find(ex, "image/object/bbox/xmax", &x1) ||
	    !tfr_example_find(ex, "image/object/bbox/ymin", &y0) ||
	    !tfr_example_find(ex, "image/object/bbox/ymax", &y1) ||
	    x0.kind != TFR_FEATURE_FLOAT || x1.kind != TFR_FEATURE_FLOAT ||
	    y0.kind != TFR_FEATURE_FLOAT || y1.kind != TFR_FEATURE_FLOAT)
		return;
	n = x0.count;
	n = n < x1.count ? n : x1.count;
	n = n < y0.count ? n : y0.count;
	n = n < y1.count ? n : y1.count;
	has_lab = tfr_example_find(ex, "image/object/class/label", &lab) &&
		  lab.kind == TFR_FEATURE_INT64 && lab.count >= n;
	/* The thumbnail's place, as tfr_sheet_add computes it. */
	k = s->n - 1;
	cx = (k % s->cols) * s->cell;
	cy = (k / s->cols) * s->cell;
	scale = (double)(s->cell - 4) / (pw > ph ? pw : ph);
	tw = (uint32_t)(pw * scale);
	th = (uint32_t)(ph * scale);
	tw = tw ? tw : 1;
	th = th ? th : 1;
	ox = cx + (s->cell - tw) / 2;
	oy = cy + (s->cell - th) / 2;
	for (i = 0; i < n; i++) {
		float a, b, c, d;
		unsigned char rgb[3];

		memcpy(&a, (const unsigned char *)x0.floats + 4 * i, 4);
		memcpy(&b, (const unsigned char *)y0.floats + 4 * i, 4);
		memcpy(&c, (const unsigned char *)x1.floats + 4 * i, 4);
		memcpy(&d, (const unsigned char *)y1.floats + 4 * i, 4);
		if (!(a >= 0 && c <= 1 && b >= 0 && d <= 1 && a < c && b < d))
			continue;
		tfr_draw_color(has_lab ? lab.ints[i] : (int64_t)i, rgb);
		tfr_draw_rect(&s->pic, ox + (int64_t)floor(a * tw), oy + (int64_t)floor(b * th),
			      ox + (int64_t)ceil(c * tw), oy + (int64_t)ceil(d * th), rgb, 1);
	}
}

void tfr_draw_tile_caption(struct tfr_sheet *s, const char *text)
{
	unsigned char white[3] = { 255, 255, 255 };
	char cut[64];
	uint32_t k, cx, cy, maxc;

	if (!s->n || !text || !*text)
		return;
	k = s->n - 1;
	cx = (k % s->cols) * s->cell;
	cy = (k / s->cols) * s->cell;
	/* As many characters as fit the cell, less a margin. */
	maxc = s->cell > 8 ? (s->cell - 4) / (TFR_FONT_W + 1) : 0;
	if (maxc >= sizeof(cut))
		maxc = sizeof(cut) - 1;
	snprintf(cut, maxc + 1, "%s", text);
	tfr_draw_text(&s->pic, cx + 2, cy + s->cell - TFR_FONT_H - 3, cut, white, 1);
}

void tfr_draw_caption_of(const struct tfr_example *ex, const struct tfr_picture *p,
			 char *buf, size_t cap)
{
	struct tfr_feature_view v, t;

	if (!cap)
		return;
	buf[0] = 0;
	if (p->label[0]) {
		snprintf(buf, cap, "%s", p->label);
		return;
	}
	if (tfr_example_find(ex, "image/object/bbox/xmin", &v)) {
		if (v.count && tfr_example_find(ex, "image/object/class/text", &t) &&
		    t.kind == TFR_FEATURE_BYTES && t.count)
			snprintf(buf, cap, "%zu: %.*s%s", v.count, (int)(t.bytes[0].len > 40 ? 40 : t.bytes[0].len),
				 (const char *)t.bytes[0].data, v.count > 1 ? ",..." : "");
		else
			snprintf(buf, cap, "%zu boxes", v.count);
		return;
	}
	snprintf(buf, cap, "%s", p->name);
}
