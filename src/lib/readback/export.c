/* export.c - records back to PNG pictures; see export.h. */
#include "config.h"
#include "readback/export.h"
#include "readback/draw.h"
#include "pixels/f16.h"
#include "base/fileio.h"
#include "base/json.h"
#include "image/image.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_EXPORT_PIXELS (UINT64_C(1) << 28)

void tfr_picture_release(struct tfr_picture *p)
{
	if (!p)
		return;
	free(p->pixels);
	p->pixels = NULL;
	p->cap = 0;
}

static int grow(struct tfr_picture *p, size_t n)
{
	unsigned char *q;

	if (n <= p->cap)
		return 0;
	q = realloc(p->pixels, n);
	if (!q)
		return -1;
	p->pixels = q;
	p->cap = n;
	return 0;
}

static void copy_text(char *dst, size_t cap, const struct tfr_feature_view *v)
{
	size_t n = 0;

	if (v->kind == TFR_FEATURE_BYTES && v->count) {
		n = v->bytes[0].len < cap - 1 ? v->bytes[0].len : cap - 1;
		memcpy(dst, v->bytes[0].data, n);
	}
	dst[n] = '\0';
}

static int64_t one_int(const struct tfr_example *ex, const char *key, int64_t dflt)
{
	struct tfr_feature_view v;

	if (tfr_example_find(ex, key, &v) && v.kind == TFR_FEATURE_INT64 && v.count)
		return v.ints[0];
	return dflt;
}

static int from_encoded(const struct tfr_feature_view *enc, struct tfr_picture *p,
			struct tfr_error *err)
{
	struct tfr_decode_opts o = { .channels = 3 };
	struct tfr_image img;
	struct tfr_error e;
	int rc;

	memset(&img, 0, sizeof(img));
	rc = tfr_image_decode(enc->bytes[0].data, enc->bytes[0].len, &o, &img, &e);
	if (rc) {
		tfr_image_release(&img);
		return tfr_error_set(err, rc, "image/encoded: %s", e.msg);
	}
	p->width = img.width;
	p->height = img.height;
	p->channels = 3;
	free(p->pixels);
	p->pixels = img.pixels; /* take the buffer */
	p->cap = img.cap;
	img.pixels = NULL;
	tfr_image_release(&img);
	return TFR_OK;
}

int tfr_export_record(const struct tfr_example *ex, struct tfr_picture *p,
		      struct tfr_error *err)
{
	struct tfr_feature_view raw, dt, shape, mean, stdv, v;
	float m[3] = { 0, 0, 0 }, sd[3] = { 1.0f / 255, 1.0f / 255, 1.0f / 255 };
	int64_t H, W, C;
	int chw = 0;
	size_t esize, i, n;
	uint32_t x, y, k;

	p->label[0] = p->name[0] = '\0';
	if (tfr_example_find(ex, "image/class/text", &v))
		copy_text(p->label, sizeof(p->label), &v);
	if (tfr_example_find(ex, "image/filename", &v))
		copy_text(p->name, sizeof(p->name), &v);
	p->label_id = one_int(ex, "image/class/label", -1);

	if (tfr_example_find(ex, "image/encoded", &v) && v.kind == TFR_FEATURE_BYTES && v.count)
		return from_encoded(&v, p, err);
	if (!tfr_example_find(ex, "image/raw", &raw) || raw.kind != TFR_FEATURE_BYTES ||
	    raw.count != 1)
		return tfr_error_set(err, TFR_ERR_FORMAT, "no image/raw or image/encoded feature");
	if (!tfr_example_find(ex, "image/dtype", &dt) || dt.kind != TFR_FEATURE_BYTES ||
	    dt.count != 1)
		return tfr_error_set(err, TFR_ERR_FORMAT, "no image/dtype feature");
	if (dt.bytes[0].len == 7 && !memcmp(dt.bytes[0].data, "float16", 7))
		esize = 2;
	else if (dt.bytes[0].len == 7 && !memcmp(dt.bytes[0].data, "float32", 7))
		esize = 4;
	else if (dt.bytes[0].len == 5 && !memcmp(dt.bytes[0].data, "uint8", 5))
		esize = 1;
	else
		return tfr_error_set(err, TFR_ERR_UNSUPPORTED, "unknown image/dtype");
	H = one_int(ex, "image/height", 0);
	W = one_int(ex, "image/width", 0);
	C = one_int(ex, "image/channels", 0);
	/* Layout from the shape's order: [C, H, W] is channels first. */
	if (tfr_example_find(ex, "image/shape", &shape) && shape.kind == TFR_FEATURE_INT64 &&
	    shape.count == 3 && shape.ints[0] == C && shape.ints[1] == H && shape.ints[2] == W &&
	    !(shape.ints[0] == H && shape.ints[1] == W && shape.ints[2] == C))
		chw = 1;
	if (H < 1 || W < 1 || (C != 1 && C != 3) ||
	    (uint64_t)H * (uint64_t)W > MAX_EXPORT_PIXELS)
		return tfr_error_set(err, TFR_ERR_FORMAT, "bad image/height, width or channels");
	n = (size_t)H * (size_t)W * (size_t)C;
	if (raw.bytes[0].len != n * esize)
		return tfr_error_set(err, TFR_ERR_FORMAT,
				     "image/raw holds %zu bytes, the shape needs %zu",
				     raw.bytes[0].len, n * esize);
	/* Undo the normalization: pixel = (value * std + mean) * 255. */
	if (esize != 1) {
		if (tfr_example_find(ex, "image/mean", &mean) && mean.kind == TFR_FEATURE_FLOAT &&
		    tfr_example_find(ex, "image/std", &stdv) && stdv.kind == TFR_FEATURE_FLOAT &&
		    mean.count >= 1 && stdv.count == mean.count) {
			for (k = 0; k < 3; k++) {
				m[k] = mean.floats[k < mean.count ? k : 0];
				sd[k] = stdv.floats[k < stdv.count ? k : 0];
			}
		}
	}
	if (grow(p, n))
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	p->width = (uint32_t)W;
	p->height = (uint32_t)H;
	p->channels = (uint32_t)C;
	for (y = 0; y < (uint32_t)H; y++) {
		for (x = 0; x < (uint32_t)W; x++) {
			for (k = 0; k < (uint32_t)C; k++) {
				size_t src = chw ? ((size_t)k * H + y) * W + x
						 : ((size_t)y * W + x) * C + k;
				const unsigned char *b = raw.bytes[0].data + src * esize;
				float f;

				if (esize == 1) {
					p->pixels[((size_t)y * W + x) * C + k] = b[0];
					continue;
				}
				if (esize == 2) {
					uint16_t h = (uint16_t)(b[0] | b[1] << 8);

					f = tfr_f16_to_f32(h);
				} else {
					uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 |
						     (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;

					memcpy(&f, &u, 4);
				}
				f = (f * sd[k] + m[k]) * 255.0f + 0.5f;
				i = ((size_t)y * W + x) * C + k;
				p->pixels[i] = isnan(f) || f <= 0 ? 0 : f >= 255 ? 255 : (unsigned char)f;
			}
		}
	}
	return TFR_OK;
}

int tfr_png_write(const char *path, const struct tfr_picture *p,
		  struct tfr_error *err)
{
	struct tfr_buf png;
	struct tfr_error e;
	int rc;

	tfr_buf_init(&png, 0);
	rc = tfr_png_encode_rows(p->pixels, p->width, p->height, p->channels, &png, &e);
	if (rc == TFR_ERR_FORMAT)
		rc = tfr_error_set(err, TFR_ERR_IO, "cannot write '%s': %s", path, e.msg);
	else if (rc)
		rc = tfr_error_set(err, rc, "%s", e.msg);
	else /* pictures to look at: not worth an fsync each */
		rc = tfr_file_write_atomic(path, png.data, png.len, 0, err);
	tfr_buf_release(&png);
	return rc;
}

int tfr_sheet_init(struct tfr_sheet *s, uint32_t count, uint32_t cell,
		   struct tfr_error *err)
{
	uint32_t cols = 1;

	memset(s, 0, sizeof(*s));
	if (count == 0)
		count = 1;
	while (cols * cols < count)
		cols++;
	s->cols = cols;
	s->rows = (count + cols - 1) / cols;
	s->cell = cell;
	s->pic.width = cols * cell;
	s->pic.height = s->rows * cell;
	s->pic.channels = 3;
	if (grow(&s->pic, (size_t)s->pic.width * s->pic.height * 3))
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	memset(s->pic.pixels, 32, (size_t)s->pic.width * s->pic.height * 3);
	return TFR_OK;
}

void tfr_sheet_add(struct tfr_sheet *s, const struct tfr_picture *p)
{
	uint32_t cx, cy, tw, th, x, y, k, ox, oy;
	double scale;

	if (s->n >= s->cols * s->rows || !p->width || !p->height)
		return;
	cx = (s->n % s->cols) * s->cell;
	cy = (s->n / s->cols) * s->cell;
	s->n++;
	/* Fit inside the cell with a 2-pixel margin; box-average sampling
	 * would be nicer, nearest is enough for a look. */
	scale = (double)(s->cell - 4) / (p->width > p->height ? p->width : p->height);
	tw = (uint32_t)(p->width * scale);
	th = (uint32_t)(p->height * scale);
	tw = tw ? tw : 1;
	th = th ? th : 1;
	ox = cx + (s->cell - tw) / 2;
	oy = cy + (s->cell - th) / 2;
	for (y = 0; y < th; y++) {
		uint32_t sy = (uint32_t)((y + 0.5) / scale);

		if (sy >= p->height)
			sy = p->height - 1;
		for (x = 0; x < tw; x++) {
			uint32_t sx = (uint32_t)((x + 0.5) / scale);
			unsigned char *d = s->pic.pixels +
					   ((size_t)(oy + y) * s->pic.width + ox + x) * 3;
			const unsigned char *src;

			if (sx >= p->width)
				sx = p->width - 1;
			src = p->pixels + ((size_t)sy * p->width + sx) * p->channels;
			for (k = 0; k < 3; k++)
				d[k] = src[p->channels == 3 ? k : 0];
		}
	}
}

void tfr_sheet_finish(struct tfr_sheet *s)
{
	uint32_t rows = (s->n + s->cols - 1) / s->cols, y;

	if (!s->n)
		return;
	s->pic.height = rows * s->cell;
	if (s->n < s->cols) { /* one short row: repack to its width */
		uint32_t w = s->n * s->cell;

		for (y = 1; y < s->pic.height; y++)
			memmove(s->pic.pixels + (size_t)y * w * 3,
				s->pic.pixels + (size_t)y * s->pic.width * 3, (size_t)w * 3);
		s->pic.width = w;
	}
}

void tfr_sheet_release(struct tfr_sheet *s)
{
	tfr_picture_release(&s->pic);
}

struct tfr_exporter {
	char *dir;
	uint64_t n, limit;
	struct tfr_sheet sheet;
	struct tfr_picture pic;
	struct tfr_buf manifest;
};

int tfr_exporter_new(struct tfr_exporter **xp, const char *dir, uint64_t limit,
		     struct tfr_error *err)
{
	struct tfr_exporter *x;
	struct stat st;
	int rc;

	*xp = NULL;
	/* The directory, not its parents: a mistyped path should fail. */
	if (stat(dir, &st) && mkdir(dir, 0777) && errno != EEXIST)
		return tfr_error_sys(err, errno, "cannot create export directory '%s'", dir);
	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		return tfr_error_set(err, TFR_ERR_IO, "export directory '%s' is not a directory", dir);
	x = calloc(1, sizeof(*x));
	if (!x || !(x->dir = strdup(dir))) {
		free(x);
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	}
	x->limit = limit;
	tfr_buf_init(&x->manifest, 0);
	rc = tfr_sheet_init(&x->sheet, limit && limit < TFR_EXPORT_SHEET_MAX ? (uint32_t)limit
							: TFR_EXPORT_SHEET_MAX,
			    TFR_EXPORT_SHEET_CELL, err);
	if (!rc && tfr_buf_puts(&x->manifest, "{\n  \"images\": ["))
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	if (rc) {
		tfr_exporter_free(x);
		return rc;
	}
	*xp = x;
	return TFR_OK;
}

int tfr_exporter_full(const struct tfr_exporter *x)
{
	return x->limit && x->n >= x->limit;
}

uint64_t tfr_exporter_count(const struct tfr_exporter *x)
{
	return x->n;
}

int tfr_exporter_add(struct tfr_exporter *x, const char *file,
		     const struct tfr_record *rec, const struct tfr_example *ex,
		     struct tfr_error *err)
{
	struct tfr_buf *m = &x->manifest;
	struct tfr_error e;
	char name[32], *path;
	int rc;

	if (!ex)
		return tfr_error_at(err, TFR_ERR_FORMAT, rec->index, rec->offset,
				    "'%s': record %" PRIu64 " at offset %" PRIu64
				    ": cannot export: payload is not a tf.train.Example",
				    file, rec->index, rec->offset);
	rc = tfr_export_record(ex, &x->pic, &e);
	/* Boxes, class names and masks drawn on the picture (draw.h). */
	if (!rc) {
		int drawn = tfr_draw_annotations(&x->pic, ex, &e);

		rc = drawn < 0 ? drawn : TFR_OK;
	}
	if (rc)
		return tfr_error_at(err, rc == TFR_ERR_NOMEM ? rc : TFR_ERR_FORMAT,
				    rec->index, rec->offset,
				    "'%s': record %" PRIu64 " at offset %" PRIu64 ": cannot export: %s",
				    file, rec->index, rec->offset, e.msg);
	snprintf(name, sizeof(name), "%05" PRIu64 ".png", x->n);
	path = tfr_path_join(x->dir, name);
	if (!path)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	rc = tfr_png_write(path, &x->pic, err);
	free(path);
	if (rc)
		return rc; /* a write error stops the export */
	rc = tfr_buf_puts(m, x->n ? ",\n    {\"png\": " : "\n    {\"png\": ");
	rc = rc ? rc : tfr_json_cstr(m, name);
	rc = rc ? rc : tfr_buf_puts(m, ", \"source\": ");
	rc = rc ? rc : tfr_json_cstr(m, file);
	rc = rc ? rc : tfr_buf_printf(m, ", \"record\": %" PRIu64 ", \"filename\": ", rec->index);
	rc = rc ? rc : tfr_json_cstr(m, x->pic.name);
	rc = rc ? rc : tfr_buf_printf(m, ", \"label\": %" PRId64 ", \"text\": ", x->pic.label_id);
	rc = rc ? rc : tfr_json_cstr(m, x->pic.label);
	rc = rc ? rc : tfr_buf_printf(m, ", \"width\": %u, \"height\": %u", x->pic.width,
				      x->pic.height);
	if (!rc && x->n < TFR_EXPORT_SHEET_MAX) {
		char cap[96];

		rc = tfr_buf_printf(m, ", \"sheet\": {\"col\": %u, \"row\": %u}",
				    (unsigned)(x->n % x->sheet.cols),
				    (unsigned)(x->n / x->sheet.cols));
		tfr_sheet_add(&x->sheet, &x->pic);
		/* The tile: its boxes at thumbnail scale and a caption, for
		 * every dataset. */
		tfr_draw_tile_boxes(&x->sheet, ex, x->pic.width, x->pic.height);
		tfr_draw_caption_of(ex, &x->pic, cap, sizeof(cap));
		tfr_draw_tile_caption(&x->sheet, cap);
	}
	rc = rc ? rc : tfr_buf_puts(m, "}");
	if (rc)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	x->n++;
	return TFR_OK;
}

int tfr_exporter_finish(struct tfr_exporter *x, struct tfr_error *err)
{
	char *path;
	int rc = TFR_OK;

	if (x->n) {
		tfr_sheet_finish(&x->sheet);
		path = tfr_path_join(x->dir, "contact-sheet.png");
		rc = path ? tfr_png_write(path, &x->sheet.pic, err)
			  : tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		free(path);
		if (rc)
			return rc;
	}
	if (tfr_buf_printf(&x->manifest, "\n  ],\n  \"sheet\": {\"file\": \"contact-sheet.png\", "
			   "\"cell\": %u, \"columns\": %u}\n}\n", x->sheet.cell,
			   (unsigned)(x->n < x->sheet.cols ? x->n : x->sheet.cols)))
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	path = tfr_path_join(x->dir, "manifest.json");
	if (!path)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	rc = tfr_file_write_atomic(path, x->manifest.data, x->manifest.len, 0, err);
	free(path);
	return rc;
}

void tfr_exporter_free(struct tfr_exporter *x)
{
	if (!x)
		return;
	tfr_buf_release(&x->manifest);
	tfr_picture_release(&x->pic);
	tfr_sheet_release(&x->sheet);
	free(x->dir);
	free(x);
}
