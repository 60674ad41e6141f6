/* dataset.c - listing inputs and labels; see dataset.h. */
#include "config.h"
#include "dataset.h"
#include "image.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define MAX_DEPTH 256

void tfr_dataset_init(struct tfr_dataset *ds)
{
	memset(ds, 0, sizeof(*ds));
}

void tfr_dataset_release(struct tfr_dataset *ds)
{
	size_t i;

	for (i = 0; i < ds->n; i++) {
		free(ds->items[i].path);
		free(ds->items[i].name);
		free(ds->items[i].cls);
	}
	free(ds->items);
	for (i = 0; i < ds->nclasses; i++)
		free(ds->classes[i]);
	free(ds->classes);
	for (i = 0; i < ds->nbad; i++) {
		free(ds->bad[i].file);
		free(ds->bad[i].reason);
	}
	free(ds->bad);
	memset(ds, 0, sizeof(*ds));
}

static int add_item(struct tfr_dataset *ds, const char *path, const char *name,
		    const char *cls, struct tfr_error *err)
{
	struct tfr_item *it;

	if (ds->n == ds->cap) {
		size_t ncap = ds->cap ? ds->cap * 2 : 256;
		struct tfr_item *p = realloc(ds->items, ncap * sizeof(*p));

		if (!p)
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		ds->items = p;
		ds->cap = ncap;
	}
	it = &ds->items[ds->n];
	it->path = strdup(path);
	it->name = strdup(name);
	it->cls = cls ? strdup(cls) : NULL;
	it->label = -1;
	if (!it->path || !it->name || (cls && !it->cls)) {
		free(it->path);
		free(it->name);
		free(it->cls);
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	}
	ds->n++;
	return TFR_OK;
}

static int add_bad(struct tfr_dataset *ds, const char *path, const char *reason,
		   struct tfr_error *err)
{
	if (ds->nbad == ds->bad_cap) {
		size_t ncap = ds->bad_cap ? ds->bad_cap * 2 : 16;
		struct tfr_problem *p = realloc(ds->bad, ncap * sizeof(*p));

		if (!p)
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		ds->bad = p;
		ds->bad_cap = ncap;
	}
	ds->bad[ds->nbad].file = strdup(path);
	ds->bad[ds->nbad].record = TFR_NO_POS;
	ds->bad[ds->nbad].offset = TFR_NO_POS;
	ds->bad[ds->nbad].reason = strdup(reason);
	if (!ds->bad[ds->nbad].file || !ds->bad[ds->nbad].reason)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	ds->nbad++;
	return TFR_OK;
}

/* The endings come from the codec table (image.h). */
static int image_name(const char *name)
{
	return tfr_image_name_known(name);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct walk {
	struct tfr_dataset *ds;
	const char *root;
	dev_t dev[MAX_DEPTH];
	ino_t ino[MAX_DEPTH];
	int depth;
};

static char *join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *p = malloc(la + lb + 2);

	if (!p)
		return NULL;
	memcpy(p, a, la);
	if (la && a[la - 1] != '/')
		p[la++] = '/';
	memcpy(p + la, b, lb + 1);
	return p;
}

static int walk_dir(struct walk *w, const char *dir, const char *rel,
		    const char *cls, struct tfr_error *err)
{
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	struct stat st;
	int rc = TFR_OK, k;

	if (stat(dir, &st))
		return add_bad(w->ds, dir, strerror(errno), err);
	for (k = 0; k < w->depth; k++)
		if (w->dev[k] == st.st_dev && w->ino[k] == st.st_ino)
			return add_bad(w->ds, dir, "directory loop (a symlink to an ancestor)", err);
	if (w->depth == MAX_DEPTH)
		return add_bad(w->ds, dir, "directories nested too deeply", err);
	d = opendir(dir);
	if (!d)
		return add_bad(w->ds, dir, strerror(errno), err);
	w->dev[w->depth] = st.st_dev;
	w->ino[w->depth] = st.st_ino;
	w->depth++;
	errno = 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			char **p = realloc(names, ncap * sizeof(*p));

			if (!p) {
				rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
				goto out;
			}
			names = p;
			cap = ncap;
		}
		if (!(names[n] = strdup(e->d_name))) {
			rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
			goto out;
		}
		n++;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n && !rc; i++) {
		char *full = join(dir, names[i]);
		char *r = rel[0] ? join(rel, names[i]) : strdup(names[i]);

		if (!full || !r) {
			free(full);
			free(r);
			rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
			break;
		}
		if (stat(full, &st)) {
			rc = add_bad(w->ds, full, strerror(errno), err);
		} else if (S_ISDIR(st.st_mode)) {
			/* The first level below the root names the class. */
			rc = walk_dir(w, full, r, cls ? cls : names[i], err);
			w->ds->dir_classes = 1;
		} else if (S_ISREG(st.st_mode) && image_name(names[i])) {
			rc = add_item(w->ds, full, r, cls, err);
		} else {
			w->ds->ignored++;
		}
		free(full);
		free(r);
	}
out:
	w->depth--;
	closedir(d);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int tfr_dataset_add_path(struct tfr_dataset *ds, const char *path,
			 struct tfr_error *err)
{
	struct stat st;

	if (stat(path, &st))
		return add_bad(ds, path, strerror(errno), err);
	if (S_ISDIR(st.st_mode)) {
		struct walk w;

		memset(&w, 0, sizeof(w));
		w.ds = ds;
		w.root = path;
		return walk_dir(&w, path, "", NULL, err);
	}
	{
		const char *base = strrchr(path, '/');

		return add_item(ds, path, base ? base + 1 : path, NULL, err);
	}
}

int tfr_dataset_add_list(struct tfr_dataset *ds, const char *list,
			 struct tfr_error *err)
{
	FILE *f = strcmp(list, "-") ? fopen(list, "r") : stdin;
	char *line = NULL, *dir = NULL;
	size_t cap = 0;
	ssize_t len;
	uint64_t lineno = 0;
	int rc = TFR_OK;

	if (!f)
		return tfr_error_sys(err, errno, "cannot open '%s'", list);
	/* Paths in a list are relative to the list's folder. */
	if (strcmp(list, "-")) {
		const char *slash = strrchr(list, '/');

		dir = slash ? strndup(list, (size_t)(slash - list + 1)) : strdup("");
	} else {
		dir = strdup("");
	}
	if (!dir) {
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		goto out;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		char *p = line, *path, *label = NULL, *full;

		lineno++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			continue;
		path = p;
		/* PATH [LABEL]: the label is the last field, so paths may
		 * hold spaces when a label follows; a tab also separates. */
		{
			char *sep = strrchr(p, '\t');

			if (!sep)
				sep = strrchr(p, ' ');
			if (sep) {
				*sep = '\0';
				label = sep + 1;
				while (*label == ' ' || *label == '\t')
					label++;
				if (!*label)
					label = NULL;
			}
		}
		full = path[0] == '/' ? strdup(path) : join(dir, path);
		if (!full) {
			rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
			goto out;
		}
		rc = add_item(ds, full, path, label, err);
		free(full);
		if (rc)
			goto out;
	}
	if (ferror(f))
		rc = tfr_error_sys(err, errno, "cannot read '%s'", list);
out:
	free(line);
	free(dir);
	if (f != stdin)
		fclose(f);
	return rc;
}

static int numeric(const char *s, int64_t *v)
{
	char *end;
	long long x;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return 0;
	errno = 0;
	x = strtoll(s, &end, 10);
	if (errno || *end || x > 1000000000LL)
		return 0;
	*v = x;
	return 1;
}

int tfr_dataset_finish(struct tfr_dataset *ds, struct tfr_error *err)
{
	char **names = NULL;
	size_t i, n = 0, uniq = 0;
	int all_numeric = 1, any = 0;
	int64_t v, maxv = -1;

	for (i = 0; i < ds->n; i++) {
		if (!ds->items[i].cls)
			continue;
		any = 1;
		if (!numeric(ds->items[i].cls, &v))
			all_numeric = 0;
		else if (v > maxv)
			maxv = v;
	}
	if (!any)
		return TFR_OK;
	names = malloc(ds->n * sizeof(*names));
	if (!names)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	for (i = 0; i < ds->n; i++)
		if (ds->items[i].cls)
			names[n++] = ds->items[i].cls;
	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++)
		if (!uniq || strcmp(names[uniq - 1], names[i]))
			names[uniq++] = names[i];

	/* Integer labels from list files are ids when every label is one;
	 * folder names such as "0" and "1" in a tree stay names. */
	if (all_numeric && !ds->dir_classes) {
		ds->numeric_labels = 1;
		ds->nclasses = (size_t)maxv + 1;
		ds->classes = calloc(ds->nclasses, sizeof(char *));
		if (!ds->classes)
			goto nomem;
		for (i = 0; i < ds->n; i++) {
			if (!ds->items[i].cls)
				continue;
			numeric(ds->items[i].cls, &v);
			ds->items[i].label = v;
			if (!ds->classes[v] && !(ds->classes[v] = strdup(ds->items[i].cls)))
				goto nomem;
		}
		for (i = 0; i < ds->nclasses; i++) {
			char tmp[24];

			if (!ds->classes[i]) {
				snprintf(tmp, sizeof(tmp), "%zu", i);
				if (!(ds->classes[i] = strdup(tmp)))
					goto nomem;
			}
		}
		free(names);
		return TFR_OK;
	}
	ds->numeric_labels = 0;
	ds->classes = calloc(uniq, sizeof(char *));
	if (!ds->classes)
		goto nomem;
	for (i = 0; i < uniq; i++)
		if (!(ds->classes[i] = strdup(names[i])))
			goto nomem;
	ds->nclasses = uniq;
	for (i = 0; i < ds->n; i++) {
		char **hit;

		if (!ds->items[i].cls)
			continue;
		hit = bsearch(&ds->items[i].cls, ds->classes, uniq, sizeof(char *), cmp_str);
		ds->items[i].label = hit ? (int64_t)(hit - ds->classes) : -1;
	}
	free(names);
	return TFR_OK;
nomem:
	free(names);
	return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
}
