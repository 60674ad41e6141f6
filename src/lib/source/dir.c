/*
 * dir.c - a directory tree of images, and a single image file.
 *
 * A directory is walked recursively in byte order (strcmp, never the
 * locale).  An image below a first-level subfolder takes that folder's
 * name as its class; images directly in the root have none.  Hidden
 * entries are skipped, and so are files whose names do not end in an
 * image extension and entries that are not regular files (counted in the
 * listing's ignored); formats are sniffed from the bytes later.  Only
 * one directory's names are held at a time.  An item's name is its path
 * below the root, so reading it needs no locator.
 */
#include "config.h"
#include "source/kinds.h"
#include "source/listing.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_DEPTH 256

static int dir_bid(const struct tfr_source_probe *p)
{
	return S_ISDIR(p->st.st_mode) ? 100 : 0;
}

static int file_bid(const struct tfr_source_probe *p)
{
	/* Any regular file may be an image: the lowest bid, so that every
	 * container kind wins over it. */
	return S_ISREG(p->st.st_mode) ? 1 : 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct walk {
	struct tfr_dataset *ds;
	dev_t dev[MAX_DEPTH];
	ino_t ino[MAX_DEPTH];
	int depth;
	struct tfr_buf full, rel;  /* scratch */
};

static int nomem(struct tfr_error *err)
{
	return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
}

static int bad(struct walk *w, const char *path, const char *reason,
	       struct tfr_error *err)
{
	return tfr_dataset_problem(w->ds, path, TFR_NO_POS, TFR_NO_POS, reason, err);
}

/* Sorted names of the visible entries of d; NULL names with *n 0 when
 * empty.  A read error mid-way is returned in *rerr (errno). */
static int read_names(DIR *d, char ***namesp, size_t *np, int *rerr)
{
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;

	*rerr = 0;
	for (;;) {
		errno = 0;
		if (!(e = readdir(d))) {
			*rerr = errno;
			break;
		}
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			char **p = realloc(names, ncap * sizeof(*p));

			if (!p)
				goto nomem;
			names = p;
			cap = ncap;
		}
		if (!(names[n] = strdup(e->d_name)))
			goto nomem;
		n++;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	*namesp = names;
	*np = n;
	return 0;
nomem:
	while (n)
		free(names[--n]);
	free(names);
	return -1;
}

static int walk_dir(struct walk *w, const char *dir, const char *rel,
		    const char *cls, struct tfr_error *err)
{
	DIR *d;
	char **names = NULL, *full = NULL, *r = NULL;
	size_t n = 0, i;
	struct stat st;
	int rc = TFR_OK, k, rerr;

	if (stat(dir, &st))
		return bad(w, dir, strerror(errno), err);
	for (k = 0; k < w->depth; k++)
		if (w->dev[k] == st.st_dev && w->ino[k] == st.st_ino)
			return bad(w, dir, "directory loop (a symlink to an ancestor)", err);
	if (w->depth == MAX_DEPTH)
		return bad(w, dir, "directories nested too deeply", err);
	d = opendir(dir);
	if (!d)
		return bad(w, dir, strerror(errno), err);
	if (read_names(d, &names, &n, &rerr)) {
		closedir(d);
		return nomem(err);
	}
	closedir(d);
	/* A folder that fails part-way is named, with what was read of it
	 * still listed: the problem says which folder is incomplete. */
	if (rerr && (rc = bad(w, dir, strerror(rerr), err)))
		goto out;
	w->dev[w->depth] = st.st_dev;
	w->ino[w->depth] = st.st_ino;
	w->depth++;
	for (i = 0; i < n && !rc; i++) {
		if (tfr_source_join(&w->full, dir, names[i]) ||
		    tfr_source_join(&w->rel, rel, names[i])) {
			rc = nomem(err);
			break;
		}
		/* The scratch buffers are reused by the recursion. */
		full = strdup((char *)w->full.data);
		r = strdup((char *)w->rel.data);
		if (!full || !r) {
			rc = nomem(err);
		} else if (stat(full, &st)) {
			rc = bad(w, full, strerror(errno), err);
		} else if (S_ISDIR(st.st_mode)) {
			/* The first level below the root names the class. */
			rc = walk_dir(w, full, r, cls ? cls : names[i], err);
			w->ds->dir_classes = 1;
		} else if (S_ISREG(st.st_mode) && tfr_source_image_name(names[i])) {
			struct tfr_item_desc it = { r, 0, &cls, cls ? 1 : 0, 0, TFR_NO_EXTRA };

			rc = tfr_dataset_add(w->ds, &it, err);
		} else {
			w->ds->ignored++;
		}
		free(full);
		free(r);
		full = r = NULL;
	}
	w->depth--;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static int dir_list(struct tfr_source *src, struct tfr_dataset *ds,
		    struct tfr_error *err)
{
	struct walk *w = calloc(1, sizeof(*w));
	int rc;

	if (!w)
		return nomem(err);
	w->ds = ds;
	rc = walk_dir(w, src->path, "", NULL, err);
	tfr_buf_release(&w->full);
	tfr_buf_release(&w->rel);
	free(w);
	return rc;
}

static int dir_where(const struct tfr_source *src, const char *name,
		     struct tfr_buf *out)
{
	return tfr_source_join(out, src->path, name);
}

const struct tfr_source_ops tfr_source_dir = {
	.name = "dir",
	.bid = dir_bid,
	.list = dir_list,
	.read = tfr_source_read_path,
	.where = dir_where,
};

/* --- a single file named as an INPUT ------------------------------------ */

static int file_list(struct tfr_source *src, struct tfr_dataset *ds,
		     struct tfr_error *err)
{
	const char *base = strrchr(src->path, '/');
	struct tfr_item_desc it = { base ? base + 1 : src->path, 0, NULL, 0, 0, TFR_NO_EXTRA };

	/* Named on the command line: taken whatever its extension. */
	return tfr_dataset_add(ds, &it, err);
}

static int file_where(const struct tfr_source *src, const char *name,
		      struct tfr_buf *out)
{
	(void)name;
	out->len = 0;
	return tfr_buf_append(out, src->path, strlen(src->path) + 1);
}

const struct tfr_source_ops tfr_source_file = {
	.name = "file",
	.bid = file_bid,
	.list = file_list,
	.read = tfr_source_read_path,
	.where = file_where,
};
