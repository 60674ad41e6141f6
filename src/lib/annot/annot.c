/* annot.c - the table of annotation formats and what they share; see annot.h. */
#include "config.h"
#include "annot/annot.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/fileio.h"
#include "base/tmpfile.h"

const struct tfr_annot_format *const tfr_annot_formats[] = {
	&tfr_annot_coco, &tfr_annot_voc, &tfr_annot_yolo, &tfr_annot_csv, NULL,
};

const struct tfr_annot_format *tfr_annot_find(const char *name)
{
	size_t i;

	for (i = 0; tfr_annot_formats[i]; i++)
		if (!strcmp(tfr_annot_formats[i]->name, name))
			return tfr_annot_formats[i];
	return NULL;
}

void tfr_annot_init(struct tfr_annot_set *set)
{
	memset(set, 0, sizeof(*set));
	set->seg_fd = -1;
}

void tfr_annot_release(struct tfr_annot_set *set)
{
	size_t i;

	if (!set)
		return;
	for (i = 0; i < set->nimages; i++) {
		free(set->images[i].file);
		free(set->images[i].source);
		free(set->images[i].source_id);
	}
	free(set->images);
	free(set->objects);
	for (i = 0; i < set->nclasses; i++)
		free(set->classes[i]);
	free(set->classes);
	for (i = 0; i < set->nproblems; i++) {
		free(set->problems[i].file);
		free(set->problems[i].reason);
	}
	free(set->problems);
	if (set->seg_fd >= 0)
		close(set->seg_fd);
	free(set->seg_wbuf);
	free(set->by_file);
	free(set->class_order);
	free(set->hash);
	memset(set, 0, sizeof(*set));
	set->seg_fd = -1;
}

/* Where the masks' spool goes when the caller names no folder. */
static const char *spool_default(void)
{
	const char *t = getenv("TMPDIR");

	return t && *t ? t : "/tmp";
}

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *q;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	if (ncap > SIZE_MAX / size)
		return -1;
	q = realloc(*p, ncap * size);
	if (!q)
		return -1;
	*p = q;
	*cap = ncap;
	return 0;
}

int tfr_annot_add_problem(struct tfr_annot_set *set, const char *file, uint64_t entry,
			  uint64_t offset, struct tfr_error *err, const char *fmt, ...)
{
	struct tfr_problem *p;
	char why[512];
	va_list ap;

	if (grow((void **)&set->problems, &set->problems_cap, set->nproblems, sizeof(*p)))
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	/* The byte offset in the message too, where a person reads it. */
	if (offset != TFR_NO_POS)
		snprintf(why + strlen(why), sizeof(why) - strlen(why), " (offset %llu)",
			 (unsigned long long)offset);
	p = &set->problems[set->nproblems];
	p->file = strdup(file);
	p->reason = strdup(why);
	p->record = entry;
	p->offset = offset;
	if (!p->file || !p->reason) {
		free(p->file);
		free(p->reason);
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	}
	set->nproblems++;
	return TFR_OK;
}

int tfr_annot_add_image(struct tfr_annot_set *set, const char *file, const char *source,
			const char *source_id, uint32_t width, uint32_t height,
			size_t *idx, struct tfr_error *err)
{
	struct tfr_annot_image *im;

	if (set->nimages >= TFR_ANNOT_MAX_OBJECTS)
		return tfr_error_on(err, TFR_ERR_LIMIT, source, "more than %llu images",
				    (unsigned long long)TFR_ANNOT_MAX_OBJECTS);
	if (grow((void **)&set->images, &set->images_cap, set->nimages, sizeof(*im)))
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	im = &set->images[set->nimages];
	memset(im, 0, sizeof(*im));
	im->file = strdup(file);
	im->source = strdup(source);
	im->source_id = strdup(source_id);
	im->width = width;
	im->height = height;
	if (!im->file || !im->source || !im->source_id) {
		free(im->file);
		free(im->source);
		free(im->source_id);
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	}
	*idx = set->nimages++;
	return TFR_OK;
}

struct tfr_annot_object *tfr_annot_add_object(struct tfr_annot_set *set,
					      struct tfr_error *err)
{
	struct tfr_annot_object *o;

	if (set->nobjects >= TFR_ANNOT_MAX_OBJECTS) {
		tfr_error_set(err, TFR_ERR_LIMIT, "more than %llu annotations",
			      (unsigned long long)TFR_ANNOT_MAX_OBJECTS);
		return NULL;
	}
	if (grow((void **)&set->objects, &set->objects_cap, set->nobjects, sizeof(*o))) {
		tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		return NULL;
	}
	o = &set->objects[set->nobjects++];
	memset(o, 0, sizeof(*o));
	o->seg = -1;
	return o;
}

/*
 * The segmentation spool.  Each record is an 8-byte length, then the
 * record, padded to 8 bytes; a handle is the offset of its length.
 * Writes go through a buffer of SEG_WBUF bytes (one pwrite each time it
 * fills); reads take what is in the file with pread and what is still
 * in the buffer (a set parsed, never loaded) from there.
 */
#define SEG_WBUF ((size_t)1 << 20)

static int seg_flush(struct tfr_annot_set *set, struct tfr_error *err)
{
	if (!set->seg_wlen)
		return TFR_OK;
	/* The spool is only appended to: the file offset is its end. */
	if (tfr_write_all(set->seg_fd, set->seg_wbuf, set->seg_wlen))
		return tfr_error_sys(err, errno, "cannot write the masks' spool in '%s'",
				     set->seg_dir ? set->seg_dir : spool_default());
	set->seg_flushed += set->seg_wlen;
	set->seg_wlen = 0;
	return TFR_OK;
}

static int seg_put(struct tfr_annot_set *set, const void *data, size_t len,
		   struct tfr_error *err)
{
	const unsigned char *p = data;

	while (len) {
		size_t k = SEG_WBUF - set->seg_wlen;

		if (k > len)
			k = len;
		memcpy(set->seg_wbuf + set->seg_wlen, p, k);
		set->seg_wlen += k;
		set->seg_len += k;
		p += k;
		len -= k;
		if (set->seg_wlen == SEG_WBUF && seg_flush(set, err))
			return -1;
	}
	return 0;
}

int64_t tfr_annot_add_seg(struct tfr_annot_set *set, const void *data, size_t len,
			  struct tfr_error *err)
{
	static const unsigned char zeros[8];
	uint64_t at = set->seg_len, n = len;

	if (len > TFR_ANNOT_MAX_SEG || at > ((uint64_t)1 << 40)) {
		tfr_error_set(err, TFR_ERR_LIMIT, "segmentations too large");
		return -1;
	}
	if (set->seg_fd < 0) {
		const char *dir = set->seg_dir ? set->seg_dir : spool_default();

		if (!set->seg_wbuf && !(set->seg_wbuf = malloc(SEG_WBUF))) {
			tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
			return -1;
		}
		set->seg_fd = tfr_tmpfile_unnamed(dir);
		if (set->seg_fd < 0) {
			tfr_error_sys(err, errno, "cannot make the masks' spool in '%s'", dir);
			return -1;
		}
	}
	if (seg_put(set, &n, 8, err) || seg_put(set, data, len, err) ||
	    seg_put(set, zeros, (8 - len % 8) % 8, err))
		return -1;
	return (int64_t)at;
}

/* Bytes [at, at + n) of the spool into p. */
static int seg_get(const struct tfr_annot_set *set, uint64_t at, void *p, size_t n)
{
	unsigned char *d = p;

	if (at + n < at || at + n > set->seg_len)
		return -1;
	if (at < set->seg_flushed) {
		size_t k = set->seg_flushed - at < n ? (size_t)(set->seg_flushed - at) : n;

		if (tfr_pread_all(set->seg_fd, d, k, at))
			return -1;
		d += k;
		at += k;
		n -= k;
	}
	if (n)
		memcpy(d, set->seg_wbuf + (at - set->seg_flushed), n);
	return 0;
}

int tfr_annot_seg_read(const struct tfr_annot_set *set, int64_t seg, struct tfr_buf *out,
		       struct tfr_error *err)
{
	uint64_t n;

	out->len = 0;
	if (seg < 0 || seg_get(set, (uint64_t)seg, &n, 8) || n > TFR_ANNOT_MAX_SEG)
		return tfr_error_set(err, TFR_ERR_IO, "cannot read a segmentation back from its spool");
	if (tfr_buf_reserve(out, (size_t)n + 1))
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	if (seg_get(set, (uint64_t)seg + 8, out->data, (size_t)n))
		return tfr_error_sys(err, errno ? errno : EIO,
				     "cannot read a segmentation back from its spool");
	out->len = (size_t)n;
	return TFR_OK;
}

/*
 * The edge rule: corners up to slack_x / slack_y (half a pixel, in the
 * units of w and h) outside the image are rounding, as every exporter
 * writes them (YOLO's 6 decimals, COCO's x + w = width + 0.5), and are
 * clipped; anything further out is a problem.  Clipping only moves
 * corners that are out, so a box inside gives the same bytes as before
 * the rule.
 */
static const char *box_check(double x0, double y0, double x1, double y1, double w,
			     double h, double slack_x, double slack_y,
			     struct tfr_annot_object *o)
{
	if (!isfinite(x0) || !isfinite(y0) || !isfinite(x1) || !isfinite(y1))
		return "a box coordinate is not a finite number";
	if (!(w > 0) || !(h > 0))
		return "the image has no size";
	if (x0 < -slack_x || y0 < -slack_y)
		return "the box has a negative coordinate (more than half a pixel out)";
	if (!(x0 < x1) || !(y0 < y1))
		return "the box is degenerate (no width or no height)";
	if (x1 > w + slack_x || y1 > h + slack_y)
		return "the box reaches outside the image (more than half a pixel out)";
	x0 = x0 < 0 ? 0 : x0;
	y0 = y0 < 0 ? 0 : y0;
	x1 = x1 > w ? w : x1;
	y1 = y1 > h ? h : y1;
	/* Within half a pixel of an edge: nothing left inside. */
	if (!(x0 < x1) || !(y0 < y1))
		return "the box lies on the image's edge (no width or no height inside it)";
	o->xmin = x0 / w;
	o->ymin = y0 / h;
	o->xmax = x1 / w;
	o->ymax = y1 / h;
	return NULL;
}

const char *tfr_annot_box(double x0, double y0, double x1, double y1, uint32_t w,
			  uint32_t h, struct tfr_annot_object *o)
{
	return box_check(x0, y0, x1, y1, w, h, 0.5, 0.5, o);
}

const char *tfr_annot_box_norm(double x0, double y0, double x1, double y1, uint32_t w,
			       uint32_t h, struct tfr_annot_object *o)
{
	return box_check(x0, y0, x1, y1, 1, 1, w ? 0.5 / w : 0, h ? 0.5 / h : 0, o);
}

double tfr_annot_box_area(double x0, double y0, double x1, double y1, uint32_t w,
			  uint32_t h)
{
	x0 = x0 < 0 ? 0 : x0;
	y0 = y0 < 0 ? 0 : y0;
	x1 = x1 > w ? w : x1;
	y1 = y1 > h ? h : y1;
	return (x1 - x0) * (y1 - y0);
}

int tfr_annot_slurp(const char *path, size_t max, unsigned char **data, size_t *len,
		    struct tfr_error *err)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t n = 0, cap = 0;

	if (!f)
		return tfr_error_sys(err, errno, "cannot open '%s'", path);
	for (;;) {
		size_t got;

		if (n == cap) {
			unsigned char *q;

			if (cap >= max) {
				fclose(f);
				free(buf);
				return tfr_error_on(err, TFR_ERR_LIMIT, path,
						     "larger than %zu bytes", max);
			}
			cap = cap ? cap * 2 : 65536;
			cap = cap > max ? max : cap;
			q = realloc(buf, cap + 1);
			if (!q) {
				fclose(f);
				free(buf);
				return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
			}
			buf = q;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		int e = errno;

		fclose(f);
		free(buf);
		return tfr_error_sys(err, e, "cannot read '%s'", path);
	}
	fclose(f);
	if (!buf) {
		buf = malloc(1);
		if (!buf)
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	}
	buf[n] = 0; /* text parsers may rely on a terminator */
	*data = buf;
	*len = n;
	return TFR_OK;
}

/* First bytes of path, or of the first regular file in it (sorted by
 * name, hidden ones skipped) when it is a directory. */
static int head_of(const char *path, unsigned char *head, size_t cap, size_t *n,
		   struct tfr_error *err)
{
	struct stat st;
	char *first = NULL;
	FILE *f;

	if (stat(path, &st))
		return tfr_error_sys(err, errno, "cannot open '%s'", path);
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *e;
		char *best = NULL;

		if (!d)
			return tfr_error_sys(err, errno, "cannot open '%s'", path);
		while ((e = readdir(d))) {
			size_t l = strlen(e->d_name);

			if (e->d_name[0] == '.')
				continue;
			/* Annotation files only: .xml, .txt, .json, .csv. */
			if (l < 5 || (strcmp(e->d_name + l - 4, ".xml") &&
				      strcmp(e->d_name + l - 4, ".txt") &&
				      strcmp(e->d_name + l - 5, ".json") &&
				      strcmp(e->d_name + l - 4, ".csv")))
				continue;
			/* A class-names file is not an annotation. */
			if (!strcmp(e->d_name, "classes.txt") || !strcmp(e->d_name, "obj.names"))
				continue;
			if (!best || strcmp(e->d_name, best) < 0) {
				free(best);
				best = strdup(e->d_name);
				if (!best) {
					closedir(d);
					return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
				}
			}
		}
		closedir(d);
		if (!best)
			return tfr_error_on(err, TFR_ERR_FORMAT, path,
					     "no annotation files (.json, .xml, .txt, .csv)");
		first = tfr_path_join(path, best);
		if (!first) {
			free(best);
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		}
		free(best);
		path = first;
	}
	f = fopen(path, "rb");
	if (!f) {
		int e = errno;

		tfr_error_sys(err, e, "cannot open '%s'", path);
		free(first);
		return TFR_ERR_IO;
	}
	*n = fread(head, 1, cap, f);
	fclose(f);
	free(first);
	return TFR_OK;
}

const struct tfr_annot_format *tfr_annot_sniff(const char *path, struct tfr_error *err)
{
	unsigned char head[4096];
	const struct tfr_annot_format *best = NULL;
	int bid = 0;
	size_t n = 0, i;

	if (head_of(path, head, sizeof(head), &n, err))
		return NULL;
	for (i = 0; tfr_annot_formats[i]; i++) {
		int b = tfr_annot_formats[i]->bid(head, n);

		if (b > bid) {
			bid = b;
			best = tfr_annot_formats[i];
		}
	}
	if (!best) {
		tfr_error_for(err, TFR_ERR_FORMAT, TFR_SETTING_ANNOTATION_FORMAT,
			      "cannot tell the annotation format; "
			      "name it: coco, voc, yolo or csv");
		tfr_error_subject(err, path);
	}
	return best;
}

static int cmp_obj(const void *a, const void *b)
{
	const struct tfr_annot_object *x = a, *y = b;

	if (x->image != y->image)
		return x->image < y->image ? -1 : 1;
	return x->entry < y->entry ? -1 : x->entry > y->entry;
}

static int cmp_file(const void *a, const void *b, void *ctx)
{
	const struct tfr_annot_image *im = ctx;
	int c = strcmp(im[*(const size_t *)a].file, im[*(const size_t *)b].file);

	if (c)
		return c;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* Objects grouped by image (stable: entries keep their file order), and
 * the index by file name.  qsort with the entry as tie-break is stable. */
static int finish(struct tfr_annot_set *set, const struct tfr_annot_opts *o,
		  struct tfr_error *err)
{
	size_t i, j, k;

	if (set->nobjects) /* qsort wants a real pointer even for none */
		qsort(set->objects, set->nobjects, sizeof(*set->objects), cmp_obj);
	for (i = 0; i < set->nimages; i++)
		set->images[i].n = 0;
	for (i = j = 0; i < set->nimages; i++) {
		set->images[i].first = j;
		while (j < set->nobjects && set->objects[j].image == i)
			j++;
		set->images[i].n = j - set->images[i].first;
	}
	/* Images without objects: counted; left out when asked. */
	for (i = k = 0; i < set->nimages; i++) {
		if (!set->images[i].n) {
			set->empty++;
			if (o && o->skip_empty) {
				free(set->images[i].file);
				free(set->images[i].source);
				free(set->images[i].source_id);
				continue;
			}
		}
		if (k != i) {
			size_t t;

			set->images[k] = set->images[i];
			for (t = 0; t < set->images[k].n; t++)
				set->objects[set->images[k].first + t].image = k;
		}
		k++;
	}
	set->nimages = k;
	free(set->hash); /* only while loading */
	set->hash = NULL;
	set->hash_cap = 0;
	set->by_file = malloc((set->nimages ? set->nimages : 1) * sizeof(size_t));
	if (!set->by_file)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	for (i = 0; i < set->nimages; i++)
		set->by_file[i] = i;
	qsort_r(set->by_file, set->nimages, sizeof(size_t), cmp_file, set->images);
	return TFR_OK;
}

const struct tfr_annot_image *tfr_annot_image_by_file(const struct tfr_annot_set *set,
						      const char *name)
{
	size_t lo = 0, hi = set->nimages;

	if (!set->by_file)
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(set->images[set->by_file[mid]].file, name);

		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < set->nimages && !strcmp(set->images[set->by_file[lo]].file, name))
		return &set->images[set->by_file[lo]];
	return NULL;
}

int tfr_annot_load(struct tfr_annot_set *set, const char *path,
		   const struct tfr_annot_format *fmt, const struct tfr_annot_opts *o,
		   struct tfr_error *err)
{
	static const struct tfr_annot_opts none;
	int rc;

	if (!o)
		o = &none;
	if (!fmt) {
		fmt = tfr_annot_sniff(path, err);
		if (!fmt)
			return err ? err->status : TFR_ERR_FORMAT;
	}
	set->seg_dir = o->spool_dir;
	rc = fmt->load(set, path, o, err);
	if (!rc)
		rc = finish(set, o, err);
	/* Loaded: the rest of the spool to the file, and its buffer freed,
	 * so that reads are preads only (thread-safe). */
	if (!rc && set->seg_fd >= 0)
		rc = seg_flush(set, err);
	free(set->seg_wbuf);
	set->seg_wbuf = NULL;
	set->seg_dir = NULL;
	return rc;
}

static int cmp_class(const struct tfr_annot_set *set, uint32_t i, const char *name)
{
	return strcmp(set->classes[i], name);
}

int tfr_annot_class(struct tfr_annot_set *set, const char *name, uint32_t *label,
		    struct tfr_error *err)
{
	size_t lo = 0, hi = set->nclasses;
	char **q;
	uint32_t *r;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_class(set, set->class_order[mid], name);

		if (!c) {
			*label = set->class_order[mid] + 1;
			return TFR_OK;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (set->nclasses >= 1000000)
		return tfr_error_set(err, TFR_ERR_LIMIT, "more than 1000000 classes");
	q = realloc(set->classes, (set->nclasses + 1) * sizeof(*q));
	if (!q)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	set->classes = q;
	r = realloc(set->class_order, (set->nclasses + 1) * sizeof(*r));
	if (!r)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	set->class_order = r;
	q[set->nclasses] = strdup(name);
	if (!q[set->nclasses])
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	memmove(r + lo + 1, r + lo, (set->nclasses - lo) * sizeof(*r));
	r[lo] = (uint32_t)set->nclasses;
	*label = (uint32_t)++set->nclasses;
	return TFR_OK;
}

int tfr_annot_sort_classes(struct tfr_annot_set *set, struct tfr_error *err)
{
	uint32_t *newlabel;
	char **names;
	size_t i;

	if (!set->nclasses)
		return TFR_OK;
	newlabel = malloc(set->nclasses * sizeof(*newlabel));
	names = malloc(set->nclasses * sizeof(*names));
	if (!newlabel || !names) {
		free(newlabel);
		free(names);
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < set->nclasses; i++) {
		newlabel[set->class_order[i]] = (uint32_t)i + 1;
		names[i] = set->classes[set->class_order[i]];
		set->class_order[i] = (uint32_t)i;
	}
	for (i = 0; i < set->nobjects; i++)
		if (set->objects[i].label >= 1 && set->objects[i].label <= set->nclasses)
			set->objects[i].label = newlabel[set->objects[i].label - 1];
	free(set->classes);
	set->classes = names;
	free(newlabel);
	return TFR_OK;
}

/* FNV-1a: the index only needs a spread, not strength. */
static size_t hash_name(const char *s)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	while (*s)
		h = (h ^ (unsigned char)*s++) * UINT64_C(0x100000001b3);
	return (size_t)h;
}

size_t tfr_annot_lookup(struct tfr_annot_set *set, const char *file)
{
	size_t i;

	if (!set->hash_cap)
		return (size_t)-1;
	for (i = hash_name(file) & (set->hash_cap - 1); set->hash[i];
	     i = (i + 1) & (set->hash_cap - 1))
		if (!strcmp(set->images[set->hash[i] - 1].file, file))
			return set->hash[i] - 1;
	return (size_t)-1;
}

static void hash_put(size_t *tab, size_t cap, const struct tfr_annot_image *im, size_t idx)
{
	size_t i;

	for (i = hash_name(im[idx].file) & (cap - 1); tab[i]; i = (i + 1) & (cap - 1))
		;
	tab[i] = idx + 1;
}

int tfr_annot_remember(struct tfr_annot_set *set, size_t idx, struct tfr_error *err)
{
	if (2 * (set->nimages + 1) > set->hash_cap) {
		size_t ncap = set->hash_cap ? set->hash_cap * 2 : 1024, i;
		size_t *t = calloc(ncap, sizeof(*t));

		if (!t)
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		for (i = 0; i < set->hash_cap; i++)
			if (set->hash[i])
				hash_put(t, ncap, set->images, set->hash[i] - 1);
		free(set->hash);
		set->hash = t;
		set->hash_cap = ncap;
	}
	hash_put(set->hash, set->hash_cap, set->images, idx);
	return TFR_OK;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir ending in ext, sorted by bytes (never the locale). */
int tfr_annot_list_dir(const char *dir, const char *ext, char ***names, size_t *n,
		    struct tfr_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t cnt = 0, cap = 0, el = strlen(ext);

	if (!d)
		return tfr_error_sys(err, errno, "cannot open '%s'", dir);
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);

		if (e->d_name[0] == '.' || l <= el || strcmp(e->d_name + l - el, ext))
			continue;
		if (cnt == cap) {
			char **q;

			cap = cap ? cap * 2 : 256;
			q = realloc(v, cap * sizeof(*q));
			if (!q)
				goto nomem;
			v = q;
		}
		v[cnt] = strdup(e->d_name);
		if (!v[cnt])
			goto nomem;
		cnt++;
	}
	closedir(d);
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_str);
	*names = v;
	*n = cnt;
	return TFR_OK;
nomem:
	closedir(d);
	while (cnt)
		free(v[--cnt]);
	free(v);
	return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
}

