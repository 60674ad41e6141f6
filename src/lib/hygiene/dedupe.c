/*
 * hygiene/dedupe.c - see dedupe.h.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/fileio.h"
#include "hygiene/dedupe.h"
#include "hygiene/inputs.h"
#include "hygiene/search.h"

static const unsigned char fp_magic[8] = { 'T', 'F', 'R', 'F', 'P', '1', '\n', 0 };

/* The one threaded fingerprinting loop is inputs.c's: the listing as
 * a set of one input, every failure a skip. */
int tfr_fp_dataset(const struct tfr_dataset *ds, int threads, uint64_t max_pixels,
		   struct tfr_fp *fps, unsigned char *bad, struct tfr_error *err)
{
	struct tfr_fp_inputs s;
	int rc;

	tfr_fp_inputs_init(&s);
	rc = tfr_fp_inputs_add_dataset(&s, ds, err);
	if (!rc)
		rc = tfr_fp_inputs_fingerprint(&s, threads, max_pixels, 1, err);
	if (!rc && ds->n) {
		memcpy(fps, s.fp, ds->n * sizeof *fps);
		memcpy(bad, s.skip, ds->n);
	}
	tfr_fp_inputs_release(&s);
	return rc;
}

static char *side_name(const char *prefix)
{
	size_t n = strlen(prefix);
	char *p = malloc(n + sizeof ".fingerprints");

	if (p) {
		memcpy(p, prefix, n);
		memcpy(p + n, ".fingerprints", sizeof ".fingerprints");
	}
	return p;
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;
	int k;

	for (k = 7; k >= 0; k--)
		v = v << 8 | p[k];
	return v;
}

static void put64(unsigned char *p, uint64_t v)
{
	int k;

	for (k = 0; k < 8; k++)
		p[k] = (unsigned char)(v >> (8 * k));
}

int tfr_fp_file_read(const char *prefix, struct tfr_fp **v, size_t *n,
		     struct tfr_error *err)
{
	char *path = side_name(prefix);
	struct tfr_buf b;
	struct tfr_fp *nv;
	size_t cnt, i;
	int rc;

	if (!path)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	tfr_buf_init(&b, 0);
	rc = tfr_file_read(path, &b, sizeof fp_magic + TFR_FP_FILE_MAX_IMAGES * 16, err);
	if (rc)
		goto out;
	if (b.len < sizeof fp_magic || memcmp(b.data, fp_magic, sizeof fp_magic) ||
	    (b.len - sizeof fp_magic) % 16) {
		rc = tfr_error_on(err, TFR_ERR_FORMAT, path,
				  "not a tfrec fingerprints file (or cut short)");
		goto out;
	}
	cnt = (b.len - sizeof fp_magic) / 16;
	nv = realloc(*v, (*n + cnt + 1) * sizeof *nv);
	if (!nv) {
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		goto out;
	}
	*v = nv;
	for (i = 0; i < cnt; i++) {
		nv[*n + i].phash = get64(b.data + sizeof fp_magic + 16 * i);
		nv[*n + i].exact = get64(b.data + sizeof fp_magic + 16 * i + 8);
	}
	*n += cnt;
out:
	tfr_buf_release(&b);
	free(path);
	return rc;
}

int tfr_fp_file_write(const char *prefix, const struct tfr_fp *fps,
		      const unsigned char *keep, size_t n, int no_fsync,
		      struct tfr_error *err)
{
	char *path = side_name(prefix);
	struct tfr_atomic a;
	unsigned char blk[16 * 256];
	size_t i, used = 0;
	int rc;

	if (!path)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	rc = tfr_atomic_open(&a, path, no_fsync, err);
	free(path);
	if (rc)
		return rc;
	rc = tfr_atomic_write(&a, fp_magic, sizeof fp_magic, err);
	for (i = 0; !rc && i < n; i++) {
		if (keep && !keep[i])
			continue;
		put64(blk + used, fps[i].phash);
		put64(blk + used + 8, fps[i].exact);
		used += 16;
		if (used == sizeof blk) {
			rc = tfr_atomic_write(&a, blk, used, err);
			used = 0;
		}
	}
	if (!rc && used)
		rc = tfr_atomic_write(&a, blk, used, err);
	if (!rc)
		rc = tfr_atomic_commit(&a, NULL, err);
	if (rc)
		tfr_atomic_abort(&a);
	return rc;
}

void tfr_dedupe_free(char **drop, size_t n)
{
	size_t i;

	if (!drop)
		return;
	for (i = 0; i < n; i++)
		free(drop[i]);
	free(drop);
}

static char *reason(const char *kind, const char *name, uint64_t earlier)
{
	char s[TFR_MAX_NAME + 64];

	if (name)
		snprintf(s, sizeof s, "%s duplicate of '%s'", kind, name);
	else
		snprintf(s, sizeof s, "%s duplicate of image %llu of an earlier run (its fingerprints)",
			 kind, (unsigned long long)earlier);
	return strdup(s);
}

int tfr_dedupe_mark(const struct tfr_dataset *ds, enum tfr_dedupe_mode mode,
		    int within, int distance, int threads, uint64_t max_pixels,
		    const struct tfr_fp *against, size_t nagainst,
		    char ***drop, struct tfr_fp **fps, uint64_t *ndropped,
		    struct tfr_error *err)
{
	size_t n = ds->n, total = n + nagainst, q, k;
	struct tfr_fp *all = malloc((total ? total : 1) * sizeof *all);
	unsigned char *bad = calloc(total ? total : 1, 1);
	char **d = calloc(n ? n : 1, sizeof *d);
	struct tfr_dup_groups g;
	struct tfr_dataset_reader rd;  /* for the kept item's full name */
	int rc;

	memset(&rd, 0, sizeof rd);
	*drop = NULL;
	*fps = NULL;
	*ndropped = 0;
	memset(&g, 0, sizeof g);
	if (!all || !bad || !d) {
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		goto fail;
	}
	if ((rc = tfr_fp_dataset(ds, threads, max_pixels, all, bad, err)))
		goto fail;
	/* earlier runs after this one's items: group order is by first
	 * member, so within-run order stays input order */
	if (nagainst)
		memcpy(all + n, against, nagainst * sizeof *all);
	if ((rc = tfr_dup_find(all, bad, total, mode == TFR_DEDUPE_EXACT ? -1 : distance,
			       &g, err)))
		goto fail;
	for (q = 0; q < g.ngroups; q++) {
		const char *kind = g.kind[q] == TFR_DUP_EXACT ? "exact" : "near";
		size_t last = g.start[q + 1] - 1, keep = g.member[g.start[q]];
		int earlier = g.member[last] >= n;  /* members ascend */

		if (!earlier && !within)
			continue;

		for (k = g.start[q]; k < g.start[q + 1] && g.member[k] < n; k++) {
			uint32_t m = g.member[k];

			if (!earlier && m == keep)
				continue;
			if (earlier)
				d[m] = reason(kind, NULL, g.member[last] - n);
			else {
				const char *w = tfr_dataset_where(ds, keep, &rd);

				d[m] = w ? reason(kind, w, 0) : NULL;
			}
			if (!d[m]) {
				rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
				goto fail;
			}
			++*ndropped;
		}
	}
	tfr_dup_groups_free(&g);
	tfr_dataset_reader_release(ds, &rd);
	free(bad);
	*drop = d;
	*fps = all;  /* the first n are this run's */
	return TFR_OK;
fail:
	tfr_dup_groups_free(&g);
	tfr_dataset_reader_release(ds, &rd);
	tfr_dedupe_free(d, n);
	free(all);
	free(bad);
	return rc;
}
