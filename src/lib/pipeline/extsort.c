/* extsort.c - an external sort by a 64-bit key; see extsort.h. */
#include "config.h"
#include "pipeline/extsort.h"
#include "base/tmpfile.h"
#include "base/fileio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NBUCKETS TFR_EXTSORT_BUCKETS

struct leaf {
	int fd;
	uint64_t count, first; /* first: position of its first entry */
};

struct tfr_extsort {
	char *tmpdir;
	int bfd[NBUCKETS];
	struct tfr_extsort_ent *bbuf[NBUCKETS];
	size_t blen[NBUCKETS], bcap;
	uint64_t bcount[NBUCKETS];
	struct leaf *leaves;
	size_t nleaves, leaves_cap;
	uint64_t leaf_limit;
};

int tfr_extsort_tmpfile(const char *dir, struct tfr_error *err)
{
	int fd = tfr_tmpfile_unnamed(dir);

	if (fd < 0)
		tfr_error_sys(err, errno, "cannot create a temporary file in '%s'", dir);
	return fd;
}

void tfr_extsort_free(struct tfr_extsort *s)
{
	size_t i;
	int b;

	if (!s)
		return;
	for (b = 0; b < NBUCKETS; b++) {
		if (s->bfd[b] >= 0)
			close(s->bfd[b]);
		free(s->bbuf[b]);
	}
	for (i = 0; i < s->nleaves; i++)
		close(s->leaves[i].fd);
	free(s->leaves);
	free(s->tmpdir);
	free(s);
}

int tfr_extsort_new(struct tfr_extsort **sp, const struct tfr_extsort_opts *o,
		    struct tfr_error *err)
{
	struct tfr_extsort *s;
	int b;

	*sp = NULL;
	if (!o->bucket_cap || !o->leaf_limit)
		return tfr_error_set(err, TFR_ERR_INVALID, "external sort: zero buffer or leaf size");
	s = calloc(1, sizeof(*s));
	if (!s)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	for (b = 0; b < NBUCKETS; b++)
		s->bfd[b] = -1;
	s->bcap = o->bucket_cap;
	s->leaf_limit = o->leaf_limit;
	s->tmpdir = strdup(o->tmpdir);
	if (!s->tmpdir) {
		tfr_extsort_free(s);
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	}
	for (b = 0; b < NBUCKETS; b++) {
		s->bbuf[b] = malloc(s->bcap * sizeof(struct tfr_extsort_ent));
		if (!s->bbuf[b]) {
			tfr_extsort_free(s);
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		}
		s->bfd[b] = tfr_extsort_tmpfile(s->tmpdir, err);
		if (s->bfd[b] < 0) {
			tfr_extsort_free(s);
			return TFR_ERR_IO;
		}
	}
	*sp = s;
	return TFR_OK;
}

static int flush_bucket(struct tfr_extsort *s, int b, struct tfr_error *err)
{
	if (!s->blen[b])
		return TFR_OK;
	if (tfr_write_all(s->bfd[b], s->bbuf[b], s->blen[b] * sizeof(struct tfr_extsort_ent)))
		return tfr_error_sys(err, errno, "cannot write a temporary file in '%s'", s->tmpdir);
	s->blen[b] = 0;
	return TFR_OK;
}

int tfr_extsort_add(struct tfr_extsort *s, const struct tfr_extsort_ent *e,
		    struct tfr_error *err)
{
	int b = (int)(e->key >> 56);

	s->bbuf[b][s->blen[b]++] = *e;
	s->bcount[b]++;
	if (s->blen[b] == s->bcap)
		return flush_bucket(s, b, err);
	return TFR_OK;
}

static int push_leaf(struct tfr_extsort *s, int fd, uint64_t count, uint64_t first)
{
	if (s->nleaves == s->leaves_cap) {
		size_t ncap = s->leaves_cap ? s->leaves_cap * 2 : 512;
		struct leaf *p = realloc(s->leaves, ncap * sizeof(*p));

		if (!p)
			return TFR_ERR_NOMEM;
		s->leaves = p;
		s->leaves_cap = ncap;
	}
	s->leaves[s->nleaves].fd = fd;
	s->leaves[s->nleaves].count = count;
	s->leaves[s->nleaves].first = first;
	s->nleaves++;
	return TFR_OK;
}
/* Keep a bucket as a leaf, or split it by the next key byte. */
static int settle_bucket(struct tfr_extsort *es, int fd, uint64_t count, int level,
			 uint64_t *first, struct tfr_error *err)
{
	int sub[NBUCKETS], b, rc = TFR_OK;
	uint64_t subcount[NBUCKETS], off = 0;
	struct tfr_extsort_ent *chunk, *sb;
	size_t nchunk = 4096, sbn[NBUCKETS], sbcap = 256;
	unsigned shift;

	if (count == 0) {
		close(fd);
		return TFR_OK;
	}
	if (count <= es->leaf_limit || level >= 7) {
		if (push_leaf(es, fd, count, *first)) {
			close(fd);
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		}
		*first += count;
		return TFR_OK;
	}
	shift = (unsigned)(56 - 8 * (level + 1));
	chunk = malloc(nchunk * sizeof(*chunk));
	sb = malloc(NBUCKETS * sbcap * sizeof(*sb));
	if (!chunk || !sb) {
		free(chunk);
		free(sb);
		close(fd);
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	}
	for (b = 0; b < NBUCKETS; b++) {
		sub[b] = -1;
		subcount[b] = 0;
		sbn[b] = 0;
	}
	for (b = 0; b < NBUCKETS && !rc; b++) {
		sub[b] = tfr_extsort_tmpfile(es->tmpdir, err);
		if (sub[b] < 0)
			rc = TFR_ERR_IO;
	}
	while (!rc && off < count) {
		size_t n = count - off < nchunk ? (size_t)(count - off) : nchunk, k;

		if (tfr_pread_all(fd, chunk, n * sizeof(*chunk), off * sizeof(*chunk))) {
			rc = tfr_error_sys(err, errno, "cannot read a temporary file");
			break;
		}
		for (k = 0; k < n && !rc; k++) {
			int s = (int)((chunk[k].key >> shift) & 0xff);

			sb[(size_t)s * sbcap + sbn[s]++] = chunk[k];
			subcount[s]++;
			if (sbn[s] == sbcap) {
				if (tfr_write_all(sub[s], sb + (size_t)s * sbcap, sbcap * sizeof(*sb)))
					rc = tfr_error_sys(err, errno, "cannot write a temporary file in '%s'", es->tmpdir);
				sbn[s] = 0;
			}
		}
		off += n;
	}
	for (b = 0; b < NBUCKETS && !rc; b++)
		if (sbn[b] && tfr_write_all(sub[b], sb + (size_t)b * sbcap, sbn[b] * sizeof(*sb)))
			rc = tfr_error_sys(err, errno, "cannot write a temporary file in '%s'", es->tmpdir);
	free(chunk);
	free(sb);
	close(fd);
	for (b = 0; b < NBUCKETS; b++) {
		if (rc) {
			if (sub[b] >= 0)
				close(sub[b]);
			continue;
		}
		rc = settle_bucket(es, sub[b], subcount[b], level + 1, first, err);
	}
	return rc;
}

static int cmp_ent(const void *a, const void *b)
{
	const struct tfr_extsort_ent *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

int tfr_extsort_finish(struct tfr_extsort *s, struct tfr_error *err)
{
	uint64_t first = 0;
	int b, rc = TFR_OK;

	for (b = 0; b < NBUCKETS && !rc; b++)
		rc = flush_bucket(s, b, err);
	if (rc)
		return rc;
	for (b = 0; b < NBUCKETS; b++) {
		free(s->bbuf[b]);
		s->bbuf[b] = NULL;
	}
	for (b = 0; b < NBUCKETS && !rc; b++) {
		int fd = s->bfd[b];

		s->bfd[b] = -1;
		rc = settle_bucket(s, fd, s->bcount[b], 0, &first, err);
	}
	return rc;
}

size_t tfr_extsort_nleaves(const struct tfr_extsort *s)
{
	return s->nleaves;
}

void tfr_extsort_leaf(const struct tfr_extsort *s, size_t i, uint64_t *first,
		      uint64_t *count)
{
	*first = s->leaves[i].first;
	*count = s->leaves[i].count;
}

int tfr_extsort_load(const struct tfr_extsort *s, size_t i,
		     struct tfr_extsort_ent **out, struct tfr_error *err)
{
	const struct leaf *l = &s->leaves[i];
	struct tfr_extsort_ent *a = malloc((size_t)(l->count ? l->count : 1) * sizeof(*a));

	if (!a)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory for %llu entries",
				     (unsigned long long)l->count);
	if (tfr_pread_all(l->fd, a, (size_t)l->count * sizeof(*a), 0)) {
		free(a);
		return tfr_error_sys(err, errno, "cannot read a temporary file");
	}
	qsort(a, (size_t)l->count, sizeof(*a), cmp_ent);
	*out = a;
	return TFR_OK;
}
