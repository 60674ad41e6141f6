/* listing.c - the listing the sources fill; see listing.h. */
#include "config.h"
#include "source/listing.h"
#include "source/source.h"

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Items and names live in fixed-size chunks: a listing of a million
 * items never reallocates (and so never briefly doubles) a big array. */
#define TFR_DS_CHUNK_BITS 16
#define TFR_DS_CHUNK ((size_t)1 << TFR_DS_CHUNK_BITS)
#define NAME_BLOCK_BITS 20
#define NAME_BLOCK ((size_t)1 << NAME_BLOCK_BITS)

/* 24 bytes: the listing of ImageNet's 1.28 million items takes 31 MB
 * plus the names.  Extra handles live in chunks of their own, made only
 * for chunks that hold an item with one. */
struct tfr_dsitem {
	uint64_t name;   /* (block << NAME_BLOCK_BITS | offset) << 16 | base,
			  * base: where image/filename begins in the name */
	uint64_t loc;    /* the source's locator */
	uint32_t src;    /* index in ds->src */
	int32_t cls;     /* -1 none; >= 0 distinct class; <= -2 multi at -2 - cls */
};

static int nomem(struct tfr_error *err)
{
	return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
}

void tfr_dataset_init(struct tfr_dataset *ds)
{
	memset(ds, 0, sizeof(*ds));
}

void tfr_dataset_release(struct tfr_dataset *ds)
{
	size_t i;

	for (i = 0; i < ds->nchunks; i++) {
		free(ds->chunks[i]);
		free(ds->xchunks[i]);
	}
	free(ds->chunks);
	free(ds->xchunks);
	for (i = 0; i < ds->nnames; i++)
		free(ds->names[i]);
	free(ds->names);
	for (i = 0; i < ds->nsrc; i++)
		tfr_source_free(ds->src[i]);
	free(ds->src);
	for (i = 0; i < ds->ncls; i++)
		free(ds->cls[i]);
	free(ds->cls);
	free(ds->cls_hash);
	free(ds->cls_id);
	free(ds->multi);
	for (i = 0; i < ds->nclasses; i++)
		free(ds->classes[i]);
	free(ds->classes);
	for (i = 0; i < ds->nbad; i++) {
		free(ds->bad[i].file);
		free(ds->bad[i].reason);
	}
	free(ds->bad);
	for (i = 0; i < ds->nobject_classes; i++)
		free(ds->object_classes[i]);
	free(ds->object_classes);
	memset(ds, 0, sizeof(*ds));
}

static struct tfr_dsitem *item_at(const struct tfr_dataset *ds, size_t i)
{
	return &ds->chunks[i >> TFR_DS_CHUNK_BITS][i & (TFR_DS_CHUNK - 1)];
}

/* Grow an array of elem-sized entries to hold one more. */
static int grow(void **p, size_t *cap, size_t n, size_t elem, size_t first)
{
	void *q;
	size_t ncap;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : first;
	q = realloc(*p, ncap * elem);
	if (!q)
		return -1;
	*p = q;
	*cap = ncap;
	return 0;
}

int tfr_dataset_problem(struct tfr_dataset *ds, const char *file,
			uint64_t record, uint64_t offset, const char *reason,
			struct tfr_error *err)
{
	if (tfr_problem_append(&ds->bad, &ds->nbad, &ds->bad_cap, file, record, offset, 0, reason))
		return nomem(err);
	return TFR_OK;
}

/* FNV-1a: class names are few and short; any fixed hash will do, since
 * ids never depend on it. */
static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static int rehash(struct tfr_dataset *ds)
{
	size_t ncap = ds->hash_cap ? ds->hash_cap * 2 : 64, i;
	uint32_t *t = calloc(ncap, sizeof(*t));

	if (!t)
		return -1;
	for (i = 0; i < ds->ncls; i++) {
		size_t h = hash_str(ds->cls[i]) & (ncap - 1);

		while (t[h])
			h = (h + 1) & (ncap - 1);
		t[h] = (uint32_t)i + 1;
	}
	free(ds->cls_hash);
	ds->cls_hash = t;
	ds->hash_cap = ncap;
	return 0;
}

/* Index of class name s, added if new; -1 when out of memory. */
static int32_t intern(struct tfr_dataset *ds, const char *s)
{
	size_t h;

	if ((ds->ncls + 1) * 2 > ds->hash_cap && rehash(ds))
		return -1;
	h = hash_str(s) & (ds->hash_cap - 1);
	while (ds->cls_hash[h]) {
		uint32_t k = ds->cls_hash[h] - 1;

		if (!strcmp(ds->cls[k], s))
			return (int32_t)k;
		h = (h + 1) & (ds->hash_cap - 1);
	}
	if (ds->ncls >= INT32_MAX / 2 ||
	    grow((void **)&ds->cls, &ds->cls_cap, ds->ncls, sizeof(char *), 64))
		return -1;
	if (!(ds->cls[ds->ncls] = strdup(s)))
		return -1;
	ds->cls_hash[h] = (uint32_t)ds->ncls + 1;
	return (int32_t)ds->ncls++;
}

static int store_name(struct tfr_dataset *ds, const char *name, uint64_t *off)
{
	size_t len = strlen(name) + 1;

	if (!ds->nnames || ds->name_used + len > NAME_BLOCK) {
		char **p = realloc(ds->names, (ds->nnames + 1) * sizeof(*p));

		if (!p)
			return -1;
		ds->names = p;
		if (!(p[ds->nnames] = malloc(NAME_BLOCK)))
			return -1;
		ds->nnames++;
		ds->name_used = 0;
	}
	memcpy(ds->names[ds->nnames - 1] + ds->name_used, name, len);
	*off = (uint64_t)(ds->nnames - 1) << NAME_BLOCK_BITS | ds->name_used;
	ds->name_used += len;
	return 0;
}

/* A problem with an item of the source being listed, named as the user
 * knows it. */
static int item_problem(struct tfr_dataset *ds, const char *name,
			const char *reason, struct tfr_error *err)
{
	const struct tfr_source *src = ds->src[ds->nsrc - 1];
	struct tfr_buf b;
	int rc;

	tfr_buf_init(&b, 0);
	if (src->ops->where(src, name, &b))
		rc = nomem(err);
	else
		rc = tfr_dataset_problem(ds, (char *)b.data, TFR_NO_POS, TFR_NO_POS,
					 reason, err);
	tfr_buf_release(&b);
	return rc;
}

int tfr_dataset_add(struct tfr_dataset *ds, const struct tfr_item_desc *d,
		    struct tfr_error *err)
{
	struct tfr_dsitem *it;
	size_t k;
	int32_t cls = -1;

	if (strlen(d->name) > TFR_MAX_NAME)
		return item_problem(ds, d->name, "name longer than 4095 bytes", err);
	/* labels.txt holds one class name a line: a line break in a name
	 * would shift every id after it. */
	for (k = 0; k < d->ncls; k++)
		if (strpbrk(d->cls[k], "\n\r"))
			return item_problem(ds, d->name, "class name holds a line break", err);
	if (ds->n == SIZE_MAX >> 1 || ds->n >= (size_t)INT32_MAX * TFR_DS_CHUNK)
		return tfr_error_set(err, TFR_ERR_LIMIT, "too many items");
	if ((ds->n & (TFR_DS_CHUNK - 1)) == 0 && (ds->n >> TFR_DS_CHUNK_BITS) == ds->nchunks) {
		struct tfr_dsitem **p = realloc(ds->chunks, (ds->nchunks + 1) * sizeof(*p));
		uint64_t **x;

		if (!p)
			return nomem(err);
		ds->chunks = p;
		x = realloc(ds->xchunks, (ds->nchunks + 1) * sizeof(*x));
		if (!x)
			return nomem(err);
		ds->xchunks = x;
		x[ds->nchunks] = NULL;
		if (!(p[ds->nchunks] = malloc(TFR_DS_CHUNK * sizeof(struct tfr_dsitem))))
			return nomem(err);
		ds->nchunks++;
	}
	if (d->ncls == 1) {
		if ((cls = intern(ds, d->cls[0])) < 0)
			return nomem(err);
	} else if (d->ncls > 1) {
		size_t at = ds->nmulti;

		if (d->ncls > 65536)
			return item_problem(ds, d->name, "more than 65536 labels", err);
		while (ds->multi_cap < ds->nmulti + d->ncls + 1)
			if (grow((void **)&ds->multi, &ds->multi_cap, ds->multi_cap,
				 sizeof(int32_t), 1024))
				return nomem(err);
		if (at > (size_t)INT32_MAX - 2)
			return tfr_error_set(err, TFR_ERR_LIMIT, "too many labels");
		ds->multi[ds->nmulti++] = (int32_t)d->ncls;
		for (k = 0; k < d->ncls; k++) {
			int32_t c = intern(ds, d->cls[k]);

			if (c < 0)
				return nomem(err);
			ds->multi[ds->nmulti++] = c;
		}
		cls = -2 - (int32_t)at;
	}
	if (d->base > strlen(d->name))
		return tfr_error_set(err, TFR_ERR_INVALID, "bad item name base");
	if (d->extra != TFR_NO_EXTRA) {
		uint64_t **x = &ds->xchunks[ds->n >> TFR_DS_CHUNK_BITS];
		size_t j;

		if (!*x) {
			if (!(*x = malloc(TFR_DS_CHUNK * sizeof(uint64_t))))
				return nomem(err);
			for (j = 0; j < TFR_DS_CHUNK; j++)
				(*x)[j] = TFR_NO_EXTRA;
		}
		(*x)[ds->n & (TFR_DS_CHUNK - 1)] = d->extra;
	}
	it = item_at(ds, ds->n);
	if (store_name(ds, d->name, &it->name))
		return nomem(err);
	it->name = it->name << 16 | d->base;
	it->loc = d->loc;
	it->src = (uint32_t)(ds->nsrc - 1);
	it->cls = cls;
	ds->n++;
	return TFR_OK;
}

static int add_source(struct tfr_dataset *ds, struct tfr_source *src,
		      struct tfr_error *err)
{
	int rc;

	if (ds->nsrc >= UINT32_MAX ||
	    grow((void **)&ds->src, &ds->src_cap, ds->nsrc, sizeof(*ds->src), 8)) {
		tfr_source_free(src);
		return nomem(err);
	}
	ds->src[ds->nsrc++] = src;
	rc = src->ops->list(src, ds, err);
	return rc;
}

static int cmp_str(const void *a, const void *b);

static int add_glob(struct tfr_dataset *ds, const char *pattern,
		    const struct tfr_source_opts *o, struct tfr_error *err)
{
	glob_t g;
	size_t i;
	int rc = TFR_OK, r = glob(pattern, GLOB_NOSORT, NULL, &g);

	if (r == GLOB_NOMATCH)
		return tfr_dataset_problem(ds, pattern, TFR_NO_POS, TFR_NO_POS,
					   "no file matches the pattern", err);
	if (r)
		return nomem(err);
	qsort(g.gl_pathv, g.gl_pathc, sizeof(char *), cmp_str);
	for (i = 0; !rc && i < g.gl_pathc; i++)
		rc = tfr_dataset_add_path(ds, g.gl_pathv[i], o, err);
	globfree(&g);
	return rc;
}

int tfr_dataset_add_path(struct tfr_dataset *ds, const char *path,
			 const struct tfr_source_opts *o, struct tfr_error *err)
{
	struct tfr_source *src;
	struct stat st;
	int rc;

	/* An input that is missing or of the wrong type is a problem of
	 * this input, not of the run: --on-error skip goes on without it.
	 * A quoted glob ("train-*.tfrecord") that names nothing as it
	 * stands is expanded here, in byte order. */
	if (stat(path, &st)) {
		int e = errno;

		if (e == ENOENT && strpbrk(path, "*?["))
			return add_glob(ds, path, o, err);
		return tfr_dataset_problem(ds, path, TFR_NO_POS, TFR_NO_POS,
					   strerror(e), err);
	}
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return tfr_dataset_problem(ds, path, TFR_NO_POS, TFR_NO_POS,
					   "not a regular file or directory", err);
	rc = tfr_source_open_input(&src, path, o, err);
	if (rc == TFR_ERR_IO && err && err->sys_errno)
		return tfr_dataset_problem(ds, path, TFR_NO_POS, TFR_NO_POS,
					   strerror(err->sys_errno), err);
	if (rc)
		return rc;
	return add_source(ds, src, err);
}

int tfr_dataset_add_kind(struct tfr_dataset *ds, const char *kind,
			 const char *path, const struct tfr_source_opts *o,
			 struct tfr_error *err)
{
	struct tfr_source *src;
	int rc = tfr_source_open_kind(&src, kind, path, o, err);

	if (rc)
		return rc;
	return add_source(ds, src, err);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_ref(const void *a, const void *b)
{
	return strcmp(**(char **const *)a, **(char **const *)b);
}

/* All digits, as an id no larger than TFR_MAX_LABEL; -1: not digits;
 * -2: digits, but too large. */
static int64_t numeric(const char *s)
{
	int64_t v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > TFR_MAX_LABEL)
			v = TFR_MAX_LABEL + 1; /* saturate; still check the rest */
	}
	return v > TFR_MAX_LABEL ? -2 : v;
}

static int set_classes(struct tfr_dataset *ds, size_t n)
{
	ds->classes = calloc(n ? n : 1, sizeof(char *));
	if (!ds->classes)
		return -1;
	ds->nclasses = n;
	return 0;
}

/* Ids from integer labels: classes[v] is the first spelling of v seen
 * ("01" and "1" are one id), gaps are named by their number. */
static int finish_numeric(struct tfr_dataset *ds, int64_t maxv)
{
	size_t i;

	if (set_classes(ds, (size_t)maxv + 1))
		return -1;
	for (i = 0; i < ds->ncls; i++) {
		int64_t v = numeric(ds->cls[i]);

		ds->cls_id[i] = (int32_t)v;
		if (!ds->classes[v] && !(ds->classes[v] = strdup(ds->cls[i])))
			return -1;
	}
	for (i = 0; i < ds->nclasses; i++) {
		char tmp[24];

		if (!ds->classes[i]) {
			snprintf(tmp, sizeof(tmp), "%zu", i);
			if (!(ds->classes[i] = strdup(tmp)))
				return -1;
		}
	}
	ds->numeric_labels = 1;
	return 0;
}

static int finish_sorted(struct tfr_dataset *ds)
{
	char **sorted = malloc((ds->ncls ? ds->ncls : 1) * sizeof(char *));
	size_t i;

	if (!sorted || set_classes(ds, ds->ncls)) {
		free(sorted);
		return -1;
	}
	memcpy(sorted, ds->cls, ds->ncls * sizeof(char *));
	qsort(sorted, ds->ncls, sizeof(char *), cmp_str);
	for (i = 0; i < ds->ncls; i++) {
		char **hit = bsearch(&ds->cls[i], sorted, ds->ncls, sizeof(char *), cmp_str);

		ds->cls_id[i] = (int32_t)(hit - sorted);
	}
	for (i = 0; i < ds->ncls; i++)
		if (!(ds->classes[i] = strdup(sorted[i]))) {
			free(sorted);
			return -1;
		}
	free(sorted);
	return 0;
}

/* --classes FILE: one name a line, id = line number. */
static int finish_map(struct tfr_dataset *ds, const char *path, int add_unknown,
		      struct tfr_error *err)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, **map = NULL, ***sorted = NULL;
	size_t cap = 0, n = 0, mcap = 0, i, nadd = 0;
	ssize_t len;
	int rc = TFR_OK;

	if (!f)
		return tfr_error_sys(err, errno, "cannot open '%s'", path);
	while ((len = getline(&line, &cap, f)) >= 0) {
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		if (n >= TFR_MAX_LABEL) {
			rc = tfr_error_at(err, TFR_ERR_LIMIT, n + 1, TFR_NO_POS,
					  "line %zu: more than %d classes", n + 1, TFR_MAX_LABEL + 1);
			tfr_error_subject(err, path);
			goto out;
		}
		if (!len || memchr(line, '\0', (size_t)len)) {
			rc = tfr_error_at(err, TFR_ERR_FORMAT, n + 1, TFR_NO_POS,
					  "line %zu: empty class name", n + 1);
			tfr_error_subject(err, path);
			goto out;
		}
		if (grow((void **)&map, &mcap, n, sizeof(char *), 64) ||
		    !(map[n] = strdup(line))) {
			rc = nomem(err);
			goto out;
		}
		n++;
	}
	if (ferror(f)) {
		rc = tfr_error_sys(err, errno, "cannot read '%s'", path);
		goto out;
	}
	/* Look names up in a sorted table of pointers into the map (so a
	 * hit gives its line); a name twice is an error, since it would
	 * give one class two ids. */
	sorted = malloc((n ? n : 1) * sizeof(char **));
	if (!sorted) {
		rc = nomem(err);
		goto out;
	}
	for (i = 0; i < n; i++)
		sorted[i] = &map[i];
	qsort(sorted, n, sizeof(char **), cmp_ref);
	for (i = 1; i < n; i++)
		if (!strcmp(*sorted[i - 1], *sorted[i])) {
			rc = tfr_error_on(err, TFR_ERR_FORMAT, path,
					   "class '%s' is listed twice", *sorted[i]);
			goto out;
		}
	for (i = 0; i < ds->ncls; i++) {
		char **key = &ds->cls[i];
		char ***hit = bsearch(&key, sorted, n, sizeof(char **), cmp_ref);

		if (hit) {
			ds->cls_id[i] = (int32_t)(*hit - map);
		} else if (!add_unknown) {
			rc = tfr_error_set(err, TFR_ERR_FORMAT,
					   "class '%s' is not in the class map '%s'",
					   ds->cls[i], path);
			goto out;
		} else {
			ds->cls_id[i] = -2;
			nadd++;
		}
	}
	if (set_classes(ds, n + nadd)) {
		rc = nomem(err);
		goto out;
	}
	memcpy(ds->classes, map, n * sizeof(char *));
	free(map);
	map = NULL;
	if (nadd) {
		/* New names go after the map, in sorted order, so that the
		 * ids do not depend on the order of the inputs. */
		char **add = malloc(nadd * sizeof(char *));
		size_t k = 0;

		if (!add) {
			rc = nomem(err);
			goto out;
		}
		for (i = 0; i < ds->ncls; i++)
			if (ds->cls_id[i] == -2)
				add[k++] = ds->cls[i];
		qsort(add, nadd, sizeof(char *), cmp_str);
		for (k = 0; k < nadd; k++)
			if (!(ds->classes[n + k] = strdup(add[k]))) {
				free(add);
				rc = nomem(err);
				goto out;
			}
		for (i = 0; i < ds->ncls; i++)
			if (ds->cls_id[i] == -2) {
				char **hit = bsearch(&ds->cls[i], add, nadd, sizeof(char *), cmp_str);

				ds->cls_id[i] = (int32_t)(n + (size_t)(hit - add));
			}
		free(add);
	}
	ds->nadded = nadd;
	n = 0;
out:
	for (i = 0; map && i < n; i++)
		free(map[i]);
	free(map);
	free(sorted);
	free(line);
	fclose(f);
	return rc;
}

int tfr_dataset_finish(struct tfr_dataset *ds, const char *map_path,
		       int add_unknown, struct tfr_error *err)
{
	size_t i;
	int64_t maxv = -1;
	int all_numeric = 1;

	if (!ds->ncls && !map_path)
		return TFR_OK;
	ds->cls_id = calloc(ds->ncls ? ds->ncls : 1, sizeof(int32_t));
	if (!ds->cls_id)
		return nomem(err);
	if (map_path) {
		int rc = finish_map(ds, map_path, add_unknown, err);

		if (rc)
			return rc;
	} else {
		for (i = 0; i < ds->ncls; i++) {
			int64_t v = numeric(ds->cls[i]);

			if (v == -1)
				all_numeric = 0;
			else if (v > maxv)
				maxv = v;
		}
		/* Integer labels from list files are ids when every label is
		 * one; folder names such as "0" and "1" in a tree stay names. */
		if (all_numeric && !ds->dir_classes) {
			for (i = 0; i < ds->ncls; i++)
				if (numeric(ds->cls[i]) == -2)
					return tfr_error_set(err, TFR_ERR_LIMIT,
							     "label '%s' exceeds the limit of %d "
							     "for integer labels", ds->cls[i], TFR_MAX_LABEL);
			if (finish_numeric(ds, maxv))
				return nomem(err);
		} else if (finish_sorted(ds)) {
			return nomem(err);
		}
	}
	/* Multi-label lists hold distinct-class indices until now. */
	for (i = 0; i < ds->nmulti;) {
		size_t k, cnt = (size_t)ds->multi[i];

		for (k = 1; k <= cnt; k++)
			ds->multi[i + k] = ds->cls_id[ds->multi[i + k]];
		i += cnt + 1;
	}
	return TFR_OK;
}

const char *tfr_dataset_name(const struct tfr_dataset *ds, size_t i)
{
	uint64_t off = item_at(ds, i)->name >> 16;

	return ds->names[off >> NAME_BLOCK_BITS] + (off & (NAME_BLOCK - 1));
}

const char *tfr_dataset_filename(const struct tfr_dataset *ds, size_t i)
{
	return tfr_dataset_name(ds, i) + (item_at(ds, i)->name & 0xffff);
}

size_t tfr_dataset_labels(const struct tfr_dataset *ds, size_t i,
			  const int32_t **ids)
{
	int32_t c = item_at(ds, i)->cls;

	if (c == -1 || !ds->cls_id)
		return 0;
	if (c >= 0) {
		*ids = &ds->cls_id[c];
		return 1;
	}
	*ids = &ds->multi[-2 - c + 1];
	return (size_t)ds->multi[-2 - c];
}

int64_t tfr_dataset_label(const struct tfr_dataset *ds, size_t i)
{
	const int32_t *ids;

	return tfr_dataset_labels(ds, i, &ids) ? ids[0] : -1;
}

int tfr_dataset_label_specs(const struct tfr_dataset *ds, size_t i, int multi_hot,
			    struct tfr_label_specs *ls, struct tfr_feature_spec *spec)
{
	const int32_t *ids;
	size_t n = tfr_dataset_labels(ds, i, &ids), k;
	int64_t *iv = &ls->one;
	struct tfr_bytes *tv = &ls->one_text;
	int ns = 0;

	if (!n)
		return 0;
	if (n > 1) {
		if (n > ls->cap) {
			int64_t *a = realloc(ls->ids, n * sizeof(*a));
			struct tfr_bytes *b;

			if (!a)
				return -1;
			ls->ids = a;
			b = realloc(ls->texts, n * sizeof(*b));
			if (!b)
				return -1;
			ls->texts = b;
			ls->cap = n;
		}
		iv = ls->ids;
		tv = ls->texts;
	}
	for (k = 0; k < n; k++) {
		iv[k] = ids[k];
		tv[k].data = (const unsigned char *)ds->classes[ids[k]];
		tv[k].len = strlen(ds->classes[ids[k]]);
	}
	spec[ns++] = (struct tfr_feature_spec){ "image/class/label", TFR_FEATURE_INT64, n, NULL, NULL, iv };
	spec[ns++] = (struct tfr_feature_spec){ "image/class/text", TFR_FEATURE_BYTES, n, tv, NULL, NULL };
	if (multi_hot && ds->nclasses) {
		if (ds->nclasses > ls->hot_cap) {
			int64_t *h = realloc(ls->hot, ds->nclasses * sizeof(*h));

			if (!h)
				return -1;
			ls->hot = h;
			ls->hot_cap = ds->nclasses;
		}
		memset(ls->hot, 0, ds->nclasses * sizeof(*ls->hot));
		for (k = 0; k < n; k++)
			ls->hot[ids[k]] = 1;
		spec[ns++] = (struct tfr_feature_spec){ "image/class/multi_hot", TFR_FEATURE_INT64,
							ds->nclasses, NULL, NULL, ls->hot };
	}
	return ns;
}

void tfr_label_specs_release(struct tfr_label_specs *ls)
{
	free(ls->ids);
	free(ls->hot);
	free(ls->texts);
	memset(ls, 0, sizeof(*ls));
}

void tfr_dataset_reader_release(const struct tfr_dataset *ds,
				struct tfr_dataset_reader *rd)
{
	size_t i;

	for (i = 0; i < rd->ncur; i++)
		if (rd->cur[i])
			ds->src[i]->ops->cursor_free(rd->cur[i]);
	free(rd->cur);
	tfr_buf_release(&rd->where);
	memset(rd, 0, sizeof(*rd));
}

const char *tfr_dataset_where(const struct tfr_dataset *ds, size_t i,
			      struct tfr_dataset_reader *rd)
{
	const struct tfr_source *src = ds->src[item_at(ds, i)->src];

	if (src->ops->where(src, tfr_dataset_name(ds, i), &rd->where))
		return NULL;
	return (const char *)rd->where.data;
}

int tfr_dataset_identity(const struct tfr_dataset *ds, size_t i, struct tfr_buf *out)
{
	const struct tfr_dsitem *it = item_at(ds, i);
	const struct tfr_source *src = ds->src[it->src];
	const uint64_t *x = ds->xchunks[i >> TFR_DS_CHUNK_BITS];

	out->len = 0;
	if (!src->ops->identity)
		return 0;
	return src->ops->identity(src, tfr_dataset_name(ds, i), it->loc,
				  x ? x[i & (TFR_DS_CHUNK - 1)] : TFR_NO_EXTRA, out);
}

static int reader_cursors(const struct tfr_dataset *ds, struct tfr_dataset_reader *rd,
			  struct tfr_error *err)
{
	if (rd->cur)
		return TFR_OK;
	rd->cur = calloc(ds->nsrc ? ds->nsrc : 1, sizeof(*rd->cur));
	if (!rd->cur)
		return nomem(err);
	rd->ncur = ds->nsrc;
	return TFR_OK;
}

int tfr_dataset_features(const struct tfr_dataset *ds, size_t i,
			 struct tfr_dataset_reader *rd, struct tfr_features *fs,
			 struct tfr_error *err)
{
	const struct tfr_dsitem *it = item_at(ds, i);
	const struct tfr_source *src = ds->src[it->src];
	const uint64_t *x = ds->xchunks[i >> TFR_DS_CHUNK_BITS];
	uint64_t extra = x ? x[i & (TFR_DS_CHUNK - 1)] : TFR_NO_EXTRA;
	struct tfr_error e;
	const char *where;
	int rc;

	tfr_features_reset(fs);
	if (extra == TFR_NO_EXTRA || !src->ops->features)
		return TFR_OK;
	if ((rc = reader_cursors(ds, rd, err)))
		return rc;
	tfr_error_clear(&e);
	rc = src->ops->features(src, &rd->cur[it->src], tfr_dataset_name(ds, i),
				it->loc, extra, fs, &e);
	if (!rc)
		rc = tfr_features_view(fs, &e);
	if (!rc)
		return TFR_OK;
	where = tfr_dataset_where(ds, i, rd);
	if (!where)
		return nomem(err);
	return tfr_error_about(err, rc, where, &e);
}

int tfr_dataset_read(const struct tfr_dataset *ds, size_t i,
		     struct tfr_dataset_reader *rd, struct tfr_buf *out,
		     struct tfr_error *err)
{
	const struct tfr_dsitem *it = item_at(ds, i);
	const struct tfr_source *src = ds->src[it->src];
	struct tfr_error e;
	const char *where;
	int rc;

	if ((rc = reader_cursors(ds, rd, err)))
		return rc;
	tfr_error_clear(&e);
	rc = src->ops->read(src, &rd->cur[it->src], tfr_dataset_name(ds, i),
			    it->loc, out, &e);
	if (!rc)
		return TFR_OK;
	where = tfr_dataset_where(ds, i, rd);
	if (!where)
		return nomem(err);
	return tfr_error_about(err, rc, where, &e);
}

int tfr_dataset_object_classes(struct tfr_dataset *ds, char *const *names, size_t n,
			       struct tfr_error *err)
{
	size_t i;

	if (ds->object_classes)
		return tfr_error_set(err, TFR_ERR_INVALID, "object classes given twice");
	ds->object_classes = calloc(n ? n : 1, sizeof(char *));
	if (!ds->object_classes)
		return nomem(err);
	for (i = 0; i < n; i++) {
		ds->object_classes[i] = strdup(names[i]);
		if (!ds->object_classes[i])
			return nomem(err);
		ds->nobject_classes = i + 1;
	}
	return TFR_OK;
}
