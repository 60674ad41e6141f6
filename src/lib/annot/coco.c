/*
 * coco.c - COCO instances JSON, streamed through yajl; see annot.h.
 *
 * No document tree: yajl calls back for each token as 64 KiB reads go
 * in, and a small state machine keeps only the element being read (one
 * image, annotation or category) plus the compact results.  The three
 * arrays may come in any order, so annotations are checked against
 * images and categories once the whole file is read.  Numbers arrive as
 * text (yajl's number callback), so a huge number is our error with its
 * place, not a silent infinity.
 */
#include "config.h"
#include "annot/annot.h"
#include "base/buf.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

enum { SEC_NONE, SEC_IMAGES, SEC_ANNOTATIONS, SEC_CATEGORIES };

/* Where an annotation's fields and cross-references wait for the end. */
struct pending {
	int64_t image_id, cat_id;
	uint64_t offset;
};

struct idmap {
	int64_t id;
	size_t idx;
};

struct coco {
	struct tfr_annot_set *set;
	const struct tfr_annot_opts *o;
	const char *name;
	struct tfr_error *err;
	int rc;
	yajl_handle h;
	uint64_t base;                 /* bytes fed before this chunk */
	int depth;
	unsigned char is_map[TFR_ANNOT_MAX_DEPTH + 2];
	char key[TFR_ANNOT_MAX_DEPTH + 2][32]; /* member name at each map depth (cut) */
	int section;
	uint64_t index[4];             /* element index in each section */
	uint64_t off;                  /* byte offset of the current element */
	char why[160];                 /* first thing wrong with it, or "" */
	/* the element being read */
	int64_t id, image_id, cat_id;
	int has_id, has_image, has_cat;
	double width, height, area, bbox[4];
	int has_area, nbbox, crowd;
	char *str;                     /* file_name or name */
	/* segmentation of the annotation being read */
	int seg_kind, npoly;
	struct tfr_buf seg;            /* the record for annot.h's layout */
	size_t poly_at;                /* offset of the current polygon's count */
	uint32_t rle_h, rle_w;
	int nsize;
	/* results */
	struct pending *pend;
	size_t npend, pend_cap;
	struct idmap *images, *cats;
	size_t nimg, img_cap, ncat, cat_cap;
	size_t ncatname;          /* names in catname, before duplicate ids are dropped */
	char **catname;
};

static uint64_t here(struct coco *c)
{
	return c->base + yajl_get_bytes_consumed(c->h);
}

/* Stop the parse with a fatal error. */
static int fail(struct coco *c, int status, const char *what)
{
	c->rc = tfr_error_at(c->err, status, TFR_NO_POS, here(c), "'%s': offset %" PRIu64 ": %s",
			     c->name, here(c), what);
	return 0;
}

/* Remember the first problem of the current element. */
static void bad(struct coco *c, const char *why)
{
	if (!c->why[0])
		snprintf(c->why, sizeof(c->why), "%s", why);
}

static int in_element(const struct coco *c)
{
	return c->section != SEC_NONE && c->depth >= 3;
}

static const char *field(const struct coco *c)
{
	return c->key[3];
}

static int seg_put(struct coco *c, const void *p, size_t n)
{
	if (tfr_buf_append(&c->seg, p, n)) {
		fail(c, TFR_ERR_LIMIT, "segmentation too large");
		return -1;
	}
	return 0;
}

static int parse_int(const char *s, size_t n, int64_t *v)
{
	char tmp[32], *end;
	long long x;

	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	errno = 0;
	x = strtoll(tmp, &end, 10);
	if (errno || *end)
		return -1;
	*v = x;
	return 0;
}

static int parse_num(const char *s, size_t n, double *v)
{
	char tmp[64], *end;

	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	*v = strtod(tmp, &end);
	return *end || !isfinite(*v) ? -1 : 0;
}

static int on_number(void *ctx, const char *s, size_t n)
{
	struct coco *c = ctx;
	const char *f;
	int64_t iv;
	double dv;

	if (!in_element(c))
		return 1;
	f = field(c);
	if (c->depth == 3) {
		int isint = !parse_int(s, n, &iv), isnum = !parse_num(s, n, &dv);

		if (!strcmp(f, "id") || !strcmp(f, "image_id") || !strcmp(f, "category_id")) {
			if (!isint) {
				bad(c, !strcmp(f, "id") ? "'id' is not an integer in range" :
				       !strcmp(f, "image_id") ? "'image_id' is not an integer in range" :
				       "'category_id' is not an integer in range");
				return 1;
			}
			if (!strcmp(f, "id")) {
				c->id = iv;
				c->has_id = 1;
			} else if (!strcmp(f, "image_id")) {
				c->image_id = iv;
				c->has_image = 1;
			} else {
				c->cat_id = iv;
				c->has_cat = 1;
			}
		} else if (c->section == SEC_IMAGES &&
			   (!strcmp(f, "width") || !strcmp(f, "height"))) {
			if (!isnum || dv < 1 || dv > UINT32_MAX || dv != floor(dv))
				bad(c, "image 'width' or 'height' is not a positive integer");
			else if (f[0] == 'w')
				c->width = dv;
			else
				c->height = dv;
		} else if (c->section == SEC_ANNOTATIONS && !strcmp(f, "area")) {
			if (!isnum || dv < 0)
				bad(c, "'area' is not a finite non-negative number");
			else {
				c->area = dv;
				c->has_area = 1;
			}
		} else if (c->section == SEC_ANNOTATIONS && !strcmp(f, "iscrowd")) {
			if (!isint || (iv != 0 && iv != 1))
				bad(c, "'iscrowd' is not 0 or 1");
			else
				c->crowd = (int)iv;
		}
		return 1;
	}
	if (c->section != SEC_ANNOTATIONS)
		return 1;
	if (c->depth == 4 && !strcmp(f, "bbox")) {
		if (parse_num(s, n, &dv))
			bad(c, "a 'bbox' value is not a finite number");
		else if (c->nbbox < 4)
			c->bbox[c->nbbox] = dv;
		c->nbbox++;
		return 1;
	}
	if (!strcmp(f, "segmentation") && c->depth == 5 && c->o->masks) {
		if (c->seg_kind == TFR_SEG_POLYGONS) {
			float fv;

			if (parse_num(s, n, &dv) || fabs(dv) > 1e9) {
				bad(c, "a polygon coordinate is not a finite number");
				return 1;
			}
			fv = (float)dv;
			if (seg_put(c, &fv, sizeof(fv)))
				return 0;
			{
				uint32_t cnt;

				memcpy(&cnt, c->seg.data + c->poly_at, 4);
				cnt++;
				memcpy(c->seg.data + c->poly_at, &cnt, 4);
			}
		} else if (c->seg_kind == TFR_SEG_RLE && !strcmp(c->key[4], "counts")) {
			uint32_t run;

			if (parse_int(s, n, &iv) || iv < 0 || iv > UINT32_MAX) {
				bad(c, "an RLE count is not a non-negative integer");
				return 1;
			}
			run = (uint32_t)iv;
			if (seg_put(c, &run, 4))
				return 0;
		} else if (c->seg_kind == TFR_SEG_RLE && !strcmp(c->key[4], "size")) {
			if (parse_int(s, n, &iv) || iv < 1 || iv > UINT32_MAX) {
				bad(c, "an RLE 'size' is not a positive integer");
				return 1;
			}
			if (c->nsize == 0)
				c->rle_h = (uint32_t)iv;
			else if (c->nsize == 1)
				c->rle_w = (uint32_t)iv;
			c->nsize++;
		}
	}
	return 1;
}

/*
 * COCO's compressed RLE string: each count is a little-endian run of
 * 5-bit groups (char - 48), 0x20 marking that more follow, the last
 * group's 0x10 bit the sign; from the third count on, each is a delta on
 * the count two before.  Written from the format's description
 * (pycocotools' maskApi), not from its code.
 */
static int rle_string(struct coco *c, const unsigned char *s, size_t n)
{
	size_t i = 0, k = 0;
	int64_t prev2 = 0, prev1 = 0;

	while (i < n) {
		int64_t x = 0;
		int shift = 0, more = 1;
		uint32_t run;

		while (more) {
			int ch;

			if (i >= n || shift > 60) {
				bad(c, "the compressed RLE 'counts' string is cut short");
				return 1;
			}
			ch = s[i++] - 48;
			if (ch < 0 || ch > 63) {
				bad(c, "the compressed RLE 'counts' string has a bad character");
				return 1;
			}
			x |= (int64_t)(ch & 0x1f) << shift;
			more = ch & 0x20;
			shift += 5;
			if (!more && (ch & 0x10))
				x |= -((int64_t)1 << shift);
		}
		if (k > 2)
			x += prev2;
		if (x < 0 || x > UINT32_MAX) {
			bad(c, "an RLE count is out of range");
			return 1;
		}
		prev2 = prev1;
		prev1 = x;
		run = (uint32_t)x;
		if (seg_put(c, &run, 4))
			return 0;
		k++;
	}
	return 1;
}

static int on_string(void *ctx, const unsigned char *s, size_t n)
{
	struct coco *c = ctx;
	const char *f;

	if (n > TFR_ANNOT_MAX_STRING && !(c->depth == 4 && !strcmp(c->key[3], "segmentation")))
		return fail(c, TFR_ERR_LIMIT, "a string longer than 4096 bytes");
	if (!in_element(c))
		return 1;
	f = field(c);
	if (c->depth == 3 && ((c->section == SEC_IMAGES && !strcmp(f, "file_name")) ||
			      (c->section == SEC_CATEGORIES && !strcmp(f, "name")))) {
		if (memchr(s, 0, n)) {
			bad(c, "a name holds a NUL byte");
			return 1;
		}
		free(c->str);
		c->str = malloc(n + 1);
		if (!c->str)
			return fail(c, TFR_ERR_NOMEM, "out of memory");
		memcpy(c->str, s, n);
		c->str[n] = 0;
		return 1;
	}
	if (c->depth == 3 && (!strcmp(f, "id") || !strcmp(f, "image_id") ||
			      !strcmp(f, "category_id") || !strcmp(f, "bbox"))) {
		bad(c, "a number field holds a string");
		return 1;
	}
	if (c->section == SEC_ANNOTATIONS && c->depth == 4 && !strcmp(f, "segmentation") &&
	    c->seg_kind == TFR_SEG_RLE && !strcmp(c->key[4], "counts") && c->o->masks)
		return rle_string(c, s, n);
	return 1;
}

static int on_other(void *ctx)
{
	struct coco *c = ctx;

	if (in_element(c) && c->depth == 3 &&
	    (!strcmp(field(c), "id") || !strcmp(field(c), "bbox") ||
	     !strcmp(field(c), "image_id") || !strcmp(field(c), "category_id")))
		bad(c, "a required field is null or a boolean");
	return 1;
}

static int on_bool(void *ctx, int v)
{
	return on_other(ctx);
}

static void reset_element(struct coco *c)
{
	c->why[0] = 0;
	c->has_id = c->has_image = c->has_cat = 0;
	c->id = c->image_id = c->cat_id = 0;
	c->width = c->height = c->area = 0;
	c->has_area = c->nbbox = c->crowd = 0;
	free(c->str);
	c->str = NULL;
	c->seg_kind = TFR_SEG_NONE;
	c->npoly = 0;
	c->seg.len = 0;
	c->rle_h = c->rle_w = 0;
	c->nsize = 0;
}

static int open_container(struct coco *c, int map)
{
	if (c->depth >= TFR_ANNOT_MAX_DEPTH)
		return fail(c, TFR_ERR_LIMIT, "nesting deeper than 32 levels");
	c->depth++;
	c->is_map[c->depth] = (unsigned char)map;
	c->key[c->depth][0] = 0;
	if (c->depth == 1 && !map)
		return fail(c, TFR_ERR_FORMAT, "not a COCO file: the top level is not an object");
	if (c->depth == 2 && c->section != SEC_NONE && map)
		return fail(c, TFR_ERR_FORMAT, "'images', 'annotations' or 'categories' is not an array");
	if (c->depth == 3 && c->section != SEC_NONE) {
		if (!map)
			return fail(c, TFR_ERR_FORMAT, "an element of 'images', 'annotations' or "
						       "'categories' is not an object");
		reset_element(c);
		c->off = here(c) - 1;
	}
	if (c->section == SEC_ANNOTATIONS && c->depth >= 4 && !strcmp(c->key[3], "segmentation") &&
	    c->o->masks) {
		if (c->depth == 4) {
			uint32_t head[4] = { map ? TFR_SEG_RLE : TFR_SEG_POLYGONS, 0, 0, 0 };

			c->seg_kind = map ? TFR_SEG_RLE : TFR_SEG_POLYGONS;
			/* kind, then npoly (polygons) or h, w, n (RLE), filled at the end */
			if (seg_put(c, head, map ? 16 : 8))
				return 0;
		} else if (c->depth == 5 && c->seg_kind == TFR_SEG_POLYGONS) {
			uint32_t zero = 0;

			if (map) {
				bad(c, "a polygon is not an array");
				return 1;
			}
			c->npoly++;
			c->poly_at = c->seg.len;
			if (seg_put(c, &zero, 4))
				return 0;
		}
	}
	return 1;
}

static int on_start_map(void *ctx)
{
	return open_container(ctx, 1);
}

static int on_start_array(void *ctx)
{
	return open_container(ctx, 0);
}

static int on_key(void *ctx, const unsigned char *s, size_t n)
{
	struct coco *c = ctx;
	size_t k = n < sizeof(c->key[0]) - 1 ? n : sizeof(c->key[0]) - 1;

	if (n > TFR_ANNOT_MAX_STRING)
		return fail(c, TFR_ERR_LIMIT, "a key longer than 4096 bytes");
	memcpy(c->key[c->depth], s, k);
	c->key[c->depth][k] = 0;
	if (k < n) /* never one of ours */
		c->key[c->depth][0] = '\1';
	if (c->depth == 1) {
		const char *f = c->key[1];

		c->section = !strcmp(f, "images") ? SEC_IMAGES :
			     !strcmp(f, "annotations") ? SEC_ANNOTATIONS :
			     !strcmp(f, "categories") ? SEC_CATEGORIES : SEC_NONE;
	}
	return 1;
}

static int add_map(struct idmap **m, size_t *n, size_t *cap, int64_t id, size_t idx)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 256;
		struct idmap *q = realloc(*m, ncap * sizeof(*q));

		if (!q)
			return -1;
		*m = q;
		*cap = ncap;
	}
	(*m)[*n].id = id;
	(*m)[(*n)++].idx = idx;
	return 0;
}

static int end_image(struct coco *c)
{
	char idtext[32];
	size_t idx;
	uint64_t at = c->index[SEC_IMAGES]++;

	if (!c->why[0]) {
		if (!c->has_id)
			bad(c, "the image has no 'id'");
		else if (!c->str)
			bad(c, "the image has no 'file_name'");
		else if (!c->width || !c->height)
			bad(c, "the image has no 'width' or 'height'");
	}
	if (c->why[0]) {
		c->rc = tfr_annot_add_problem(c->set, c->name, at, c->off, c->err,
					      "images[%" PRIu64 "]: %s", at, c->why);
		return c->rc ? 0 : 1;
	}
	snprintf(idtext, sizeof(idtext), "%" PRId64, c->id);
	c->rc = tfr_annot_add_image(c->set, c->str, c->name, idtext, (uint32_t)c->width,
				    (uint32_t)c->height, &idx, c->err);
	if (!c->rc && add_map(&c->images, &c->nimg, &c->img_cap, c->id, idx))
		c->rc = tfr_error_set(c->err, TFR_ERR_NOMEM, "out of memory");
	return c->rc ? 0 : 1;
}

static int end_category(struct coco *c)
{
	uint64_t at = c->index[SEC_CATEGORIES]++;

	if (!c->why[0] && (!c->has_id || !c->str))
		bad(c, "the category has no 'id' or 'name'");
	if (c->why[0]) {
		c->rc = tfr_annot_add_problem(c->set, c->name, at, c->off, c->err,
					      "categories[%" PRIu64 "]: %s", at, c->why);
		return c->rc ? 0 : 1;
	}
	if (add_map(&c->cats, &c->ncat, &c->cat_cap, c->id, c->ncat)) {
		c->rc = tfr_error_set(c->err, TFR_ERR_NOMEM, "out of memory");
		return 0;
	}
	{
		char **q = realloc(c->catname, c->cat_cap * sizeof(*q));

		if (!q) {
			c->rc = tfr_error_set(c->err, TFR_ERR_NOMEM, "out of memory");
			return 0;
		}
		c->catname = q;
		q[c->ncat - 1] = c->str;
		c->ncatname = c->ncat;
		c->str = NULL;
	}
	return 1;
}

static int end_annotation(struct coco *c)
{
	struct tfr_annot_object *o;
	uint64_t at = c->index[SEC_ANNOTATIONS]++;

	if (!c->why[0]) {
		if (!c->has_image)
			bad(c, "the annotation has no 'image_id'");
		else if (!c->has_cat)
			bad(c, "the annotation has no 'category_id'");
		else if (c->nbbox != 4)
			bad(c, "'bbox' is not 4 numbers [x, y, width, height]");
	}
	if (!c->why[0] && c->seg_kind == TFR_SEG_RLE) {
		uint64_t total = 0;
		size_t i, n = (c->seg.len - 16) / 4;

		for (i = 0; i < n; i++) {
			uint32_t r;

			memcpy(&r, c->seg.data + 16 + 4 * i, 4);
			total += r;
		}
		if (c->nsize != 2)
			bad(c, "the RLE 'size' is not [height, width]");
		else if (total != (uint64_t)c->rle_h * c->rle_w)
			bad(c, "the RLE counts do not add up to height x width");
	}
	if (c->why[0]) {
		c->rc = tfr_annot_add_problem(c->set, c->name, at, c->off, c->err,
					      "annotations[%" PRIu64 "]: %s", at, c->why);
		c->set->dropped++;
		return c->rc ? 0 : 1;
	}
	o = tfr_annot_add_object(c->set, c->err);
	if (!o) {
		c->rc = c->err ? c->err->status : TFR_ERR_NOMEM;
		return 0;
	}
	/* Raw until the end: x, y, w, h in pixels. */
	o->xmin = c->bbox[0];
	o->ymin = c->bbox[1];
	o->xmax = c->bbox[2];
	o->ymax = c->bbox[3];
	/* No 'area': the box's, once resolve knows the image (-2 until). */
	o->area = c->has_area ? (float)c->area : -2.0f;
	o->crowd = (uint8_t)c->crowd;
	o->entry = at;
	if (c->seg_kind == TFR_SEG_POLYGONS) {
		uint32_t np = (uint32_t)c->npoly;

		memcpy(c->seg.data + 4, &np, 4);
	} else if (c->seg_kind == TFR_SEG_RLE) {
		uint32_t hw[3] = { c->rle_h, c->rle_w, (uint32_t)((c->seg.len - 16) / 4) };

		memcpy(c->seg.data + 4, hw, 12);
	}
	if (c->seg_kind != TFR_SEG_NONE) {
		o->seg_kind = (uint8_t)c->seg_kind;
		o->seg = tfr_annot_add_seg(c->set, c->seg.data, c->seg.len, c->err);
		if (o->seg < 0) {
			c->rc = c->err ? c->err->status : TFR_ERR_NOMEM;
			return 0;
		}
	}
	if (c->npend == c->pend_cap) {
		size_t ncap = c->pend_cap ? c->pend_cap * 2 : 256;
		struct pending *q = realloc(c->pend, ncap * sizeof(*q));

		if (!q) {
			c->rc = tfr_error_set(c->err, TFR_ERR_NOMEM, "out of memory");
			return 0;
		}
		c->pend = q;
		c->pend_cap = ncap;
	}
	c->pend[c->npend++] = (struct pending){ c->image_id, c->cat_id, c->off };
	return 1;
}

static int close_container(struct coco *c)
{
	int r = 1;

	if (c->depth == 3 && c->section != SEC_NONE)
		r = c->section == SEC_IMAGES ? end_image(c) :
		    c->section == SEC_ANNOTATIONS ? end_annotation(c) : end_category(c);
	c->depth--;
	/* A section is chosen by a key at depth 1 and ends with its value. */
	if (c->depth <= 1)
		c->section = SEC_NONE;
	return r;
}

static int on_end(void *ctx)
{
	return close_container(ctx);
}

static const yajl_callbacks callbacks = {
	.yajl_null = on_other,
	.yajl_boolean = on_bool,
	.yajl_number = on_number,
	.yajl_string = on_string,
	.yajl_start_map = on_start_map,
	.yajl_map_key = on_key,
	.yajl_end_map = on_end,
	.yajl_start_array = on_start_array,
	.yajl_end_array = on_end,
};

static int cmp_id(const void *a, const void *b)
{
	const struct idmap *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static const struct idmap *find_id(const struct idmap *m, size_t n, int64_t id)
{
	struct idmap key = { id, 0 };

	return n ? bsearch(&key, m, n, sizeof(*m), cmp_id) : NULL;
}

/* Duplicate ids: the first keeps it, each later one is a problem and
 * its index is marked in gone (NULL: nothing to mark). */
static int dedupe(struct coco *c, struct idmap *m, size_t *n, const char *what,
		  unsigned char *gone)
{
	size_t i, k = 0;

	/* Stable by index among equal ids: sorted on (id, idx). */
	for (i = 0; i < *n; i++) {
		if (k && m[k - 1].id == m[i].id) {
			int rc = tfr_annot_add_problem(c->set, c->name, TFR_NO_POS, TFR_NO_POS, c->err,
						       "%s id %" PRId64 " appears more than once; "
						       "the first is used, the others left out",
						       what, m[i].id);

			if (rc)
				return rc;
			if (gone)
				gone[m[i].idx] = 1;
			continue;
		}
		m[k++] = m[i];
	}
	*n = k;
	return TFR_OK;
}

/* Images whose id came again are left out of the set: the image list
 * is compacted and the id map renumbered. */
static int drop_images(struct coco *c, const unsigned char *gone)
{
	struct tfr_annot_set *set = c->set;
	size_t *to = malloc((set->nimages ? set->nimages : 1) * sizeof(size_t));
	size_t i, k = 0;

	if (!to)
		return tfr_error_set(c->err, TFR_ERR_NOMEM, "out of memory");
	for (i = 0; i < set->nimages; i++) {
		to[i] = k;
		if (gone[i]) {
			free(set->images[i].file);
			free(set->images[i].source);
			free(set->images[i].source_id);
			continue;
		}
		set->images[k++] = set->images[i];
	}
	set->nimages = k;
	for (i = 0; i < c->nimg; i++)
		c->images[i].idx = to[c->images[i].idx];
	free(to);
	return TFR_OK;
}

static int cmp_id_idx(const void *a, const void *b)
{
	const struct idmap *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Join annotations to images and categories; check boxes. */
static int resolve(struct coco *c)
{
	struct tfr_annot_set *set = c->set;
	size_t i, k = 0;
	int rc;

	if (c->nimg) /* qsort wants a real pointer even for none */
		qsort(c->images, c->nimg, sizeof(*c->images), cmp_id_idx);
	if (c->ncat)
		qsort(c->cats, c->ncat, sizeof(*c->cats), cmp_id_idx);
	{
		unsigned char *gone = calloc(set->nimages ? set->nimages : 1, 1);

		if (!gone)
			return tfr_error_set(c->err, TFR_ERR_NOMEM, "out of memory");
		rc = dedupe(c, c->images, &c->nimg, "image", gone);
		if (!rc)
			rc = drop_images(c, gone);
		free(gone);
	}
	if (!rc)
		rc = dedupe(c, c->cats, &c->ncat, "category", NULL);
	if (rc)
		return rc;
	/* Labels 1..n in category id order; names kept. */
	set->classes = calloc(c->ncat ? c->ncat : 1, sizeof(char *));
	if (!set->classes)
		return tfr_error_set(c->err, TFR_ERR_NOMEM, "out of memory");
	for (i = 0; i < c->ncat; i++) {
		set->classes[i] = c->catname[c->cats[i].idx];
		c->catname[c->cats[i].idx] = NULL;
		c->cats[i].idx = i + 1;
	}
	set->nclasses = c->ncat;
	for (i = 0; i < set->nobjects; i++) {
		struct tfr_annot_object *o = &set->objects[i];
		const struct pending *p = &c->pend[i];
		const struct idmap *im = find_id(c->images, c->nimg, p->image_id);
		const struct idmap *ct = find_id(c->cats, c->ncat, p->cat_id);
		const char *why = NULL;
		char whybuf[96];

		if (!im) {
			snprintf(whybuf, sizeof(whybuf), "no image has id %" PRId64, p->image_id);
			why = whybuf;
		} else if (!ct) {
			snprintf(whybuf, sizeof(whybuf), "no category has id %" PRId64, p->cat_id);
			why = whybuf;
		} else {
			const struct tfr_annot_image *img = &set->images[im->idx];
			const struct tfr_annot_object *s = o;
			struct tfr_annot_object t = *o;

			why = tfr_annot_box(s->xmin, s->ymin, s->xmin + s->xmax, s->ymin + s->ymax,
					    img->width, img->height, &t);
			if (!why && t.area == -2.0f) {
				/* w * h as ever, or the clipped box's (edge rule). */
				int clipped = s->xmin < 0 || s->ymin < 0 ||
					      s->xmin + s->xmax > img->width ||
					      s->ymin + s->ymax > img->height;

				t.area = (float)(clipped ? tfr_annot_box_area(s->xmin, s->ymin,
									      s->xmin + s->xmax,
									      s->ymin + s->ymax,
									      img->width, img->height)
							 : s->xmax * s->ymax);
			}
			/* Only RLE records are read back: their size. */
			if (!why && t.seg >= 0 && t.seg_kind == TFR_SEG_RLE) {
				uint32_t hw[2];

				rc = tfr_annot_seg_read(set, t.seg, &c->seg, c->err);
				if (rc)
					return rc;
				memcpy(hw, c->seg.data + 4, 8);
				if (hw[0] != img->height || hw[1] != img->width)
					why = "the RLE mask's size is not the image's";
			}
			if (!why) {
				t.image = (uint32_t)im->idx;
				t.label = (uint32_t)ct->idx;
				set->objects[k++] = t;
				continue;
			}
		}
		rc = tfr_annot_add_problem(set, c->name, o->entry, p->offset, c->err,
					   "annotations[%" PRIu64 "]: %s", o->entry, why);
		if (rc)
			return rc;
		set->dropped++;
	}
	set->nobjects = k;
	return TFR_OK;
}

static void coco_release(struct coco *c)
{
	size_t i;

	if (c->h)
		yajl_free(c->h);
	free(c->str);
	tfr_buf_release(&c->seg);
	free(c->pend);
	free(c->images);
	free(c->cats);
	/* every name read, also those of duplicate ids (dedupe shrinks ncat) */
	if (c->catname)
		for (i = 0; i < c->ncatname; i++)
			free(c->catname[i]);
	free(c->catname);
}

static int coco_begin(struct coco *c, struct tfr_annot_set *set, const char *name,
		      const struct tfr_annot_opts *o, struct tfr_error *err)
{
	memset(c, 0, sizeof(*c));
	c->set = set;
	c->o = o;
	c->name = name;
	c->err = err;
	/* A segmentation record above 64 MiB is no real mask. */
	tfr_buf_init(&c->seg, (size_t)64 << 20);
	c->h = yajl_alloc(&callbacks, NULL, c);
	if (!c->h)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	return TFR_OK;
}

/* Feed one chunk (len 0: the end). */
static int coco_feed(struct coco *c, const unsigned char *p, size_t len)
{
	yajl_status st = len ? yajl_parse(c->h, p, len) : yajl_complete_parse(c->h);

	if (st == yajl_status_ok) {
		c->base += len;
		return TFR_OK;
	}
	if (c->rc)
		return c->rc;
	{
		unsigned char *msg = yajl_get_error(c->h, 0, p, len);
		uint64_t at = c->base + (len ? yajl_get_bytes_consumed(c->h) : 0);
		char m[200];
		size_t l;

		snprintf(m, sizeof(m), "%s", msg ? (const char *)msg : "invalid JSON");
		if (msg)
			yajl_free_error(c->h, msg);
		l = strlen(m);
		while (l && (m[l - 1] == '\n' || m[l - 1] == ' '))
			m[--l] = 0;
		if (!len)
			return tfr_error_at(c->err, TFR_ERR_CORRUPT, TFR_NO_POS, at,
					    "'%s': offset %" PRIu64 ": the JSON ends early (%s)",
					    c->name, at, m);
		return tfr_error_at(c->err, TFR_ERR_CORRUPT, TFR_NO_POS, at,
				    "'%s': offset %" PRIu64 ": invalid JSON: %s", c->name, at, m);
	}
}

static int coco_end(struct coco *c)
{
	int rc = coco_feed(c, NULL, 0);

	if (rc)
		return rc;
	if (!c->nimg && !c->index[SEC_IMAGES])
		return tfr_error_set(c->err, TFR_ERR_FORMAT,
				     "'%s': not a COCO instances file: no 'images'", c->name);
	return resolve(c);
}

static int coco_parse(struct tfr_annot_set *set, const char *name, const void *data,
		      size_t len, const struct tfr_annot_opts *o, struct tfr_error *err)
{
	struct coco c;
	int rc = coco_begin(&c, set, name, o, err);

	if (!rc && len)
		rc = coco_feed(&c, data, len);
	if (!rc)
		rc = coco_end(&c);
	coco_release(&c);
	return rc;
}

static int coco_load(struct tfr_annot_set *set, const char *path,
		     const struct tfr_annot_opts *o, struct tfr_error *err)
{
	unsigned char buf[65536];
	struct coco c;
	FILE *f;
	int rc;

	f = fopen(path, "rb");
	if (!f)
		return tfr_error_sys(err, errno, "cannot open '%s'", path);
	rc = coco_begin(&c, set, path, o, err);
	while (!rc) {
		size_t n = fread(buf, 1, sizeof(buf), f);

		if (n == 0) {
			if (ferror(f))
				rc = tfr_error_sys(err, errno, "cannot read '%s'", path);
			break;
		}
		rc = coco_feed(&c, buf, n);
	}
	if (!rc)
		rc = coco_end(&c);
	fclose(f);
	coco_release(&c);
	return rc;
}

static int coco_bid(const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
		i++;
	if (i == n || p[i] != '{')
		return 0;
	if (memmem(p, n, "\"images\"", 8) || memmem(p, n, "\"annotations\"", 13) ||
	    memmem(p, n, "\"info\"", 6))
		return 90;
	return 40;
}

const struct tfr_annot_format tfr_annot_coco = {
	.name = "coco",
	.bid = coco_bid,
	.load = coco_load,
	.parse = coco_parse,
};
