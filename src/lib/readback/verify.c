/* verify.c - whole-file checks; see verify.h. */
#include "config.h"
#include "readback/verify.h"
#include "format/example.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct run {
	const char *path;
	const struct tfr_verify_opts *o;
	struct tfr_verify_result *res;
};

static void report(struct run *r, const char *file, uint64_t record,
		   uint64_t offset, const char *reason)
{
	struct tfr_problem p = { .file = (char *)file, .record = record,
				 .offset = offset, .length = 0,
				 .reason = (char *)reason };

	r->res->problems++;
	if (r->o->on_problem)
		r->o->on_problem(r->o->ctx, &p);
}

static void on_skip(void *ctx, uint64_t index, uint64_t off, uint64_t len,
		    const char *why)
{
	struct run *r = ctx;
	char reason[320];

	snprintf(reason, sizeof(reason), "%s (%" PRIu64 " bytes skipped)", why, len);
	report(r, r->path, index, off, reason);
}

/* The .idx beside the file, read one line at a time. */
struct idx {
	FILE *f;
	char *name;
	uint64_t line;        /* lines read, empty ones included */
	uint64_t entries;     /* entries compared */
	char bad[320];        /* the first mismatch, "" while none */
};

/* Next entry: 1 with *off and *size, 0 at the end, 2 malformed (x->bad
 * says where), TFR_ERR_IO on a read error. */
static int idx_next(struct idx *x, uint64_t *off, uint64_t *size)
{
	char line[TFR_IDX_MAX_LINE + 2], extra;
	unsigned long long a, b;
	size_t l;

	for (;;) {
		if (!fgets(line, sizeof(line), x->f))
			return ferror(x->f) ? TFR_ERR_IO : 0;
		x->line++;
		l = strlen(line);
		if (l && line[l - 1] == '\n')
			line[--l] = '\0';
		else if (!feof(x->f))
			break; /* longer than any valid line */
		if (l == 0)
			continue;
		if (sscanf(line, "%llu %llu %c", &a, &b, &extra) != 2)
			break;
		*off = a;
		*size = b;
		return 1;
	}
	snprintf(x->bad, sizeof(x->bad), "line %" PRIu64 ": malformed index line", x->line);
	return 2;
}

/* Compare one record with the next index entry (until the first
 * mismatch, which is kept in x->bad). */
static int idx_compare(struct idx *x, uint64_t index, uint64_t off, uint64_t size,
		       struct tfr_error *err)
{
	uint64_t o, s;
	int rc;

	if (x->bad[0])
		return TFR_OK;
	rc = idx_next(x, &o, &s);
	if (rc == TFR_ERR_IO)
		return tfr_error_sys(err, errno, "cannot read '%s'", x->name);
	if (rc == 0) {
		/* The count is known only at the end: finish() words it. */
		return TFR_OK;
	}
	if (rc == 1) {
		x->entries++;
		if (o != off || s != size)
			snprintf(x->bad, sizeof(x->bad),
				 "line %" PRIu64 ": index says record %" PRIu64 " is at %"
				 PRIu64 " size %" PRIu64 ", file has %" PRIu64 " size %" PRIu64,
				 x->line, index, o, s, off, size);
	}
	return TFR_OK;
}

/* After the last record: extra or missing entries. */
static int idx_finish(struct idx *x, uint64_t records, struct tfr_error *err)
{
	uint64_t o, s;
	int rc;

	if (x->bad[0])
		return TFR_OK;
	if (x->entries < records) {
		snprintf(x->bad, sizeof(x->bad), "index lists %" PRIu64
			 " records, the file has %" PRIu64, x->entries, records);
		return TFR_OK;
	}
	rc = idx_next(x, &o, &s);
	if (rc == TFR_ERR_IO)
		return tfr_error_sys(err, errno, "cannot read '%s'", x->name);
	if (rc == 1)
		snprintf(x->bad, sizeof(x->bad), "line %" PRIu64 ": index lists more "
			 "records than the file's %" PRIu64, x->line, records);
	return TFR_OK;
}

/* Open PATH.idx: 1 found, 0 absent, or an error status. */
static int idx_open(struct idx *x, const char *path, struct tfr_error *err)
{
	size_t l = strlen(path);

	memset(x, 0, sizeof(*x));
	x->name = malloc(l + 5);
	if (!x->name)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	memcpy(x->name, path, l);
	memcpy(x->name + l, ".idx", 5);
	x->f = fopen(x->name, "r");
	if (x->f)
		return 1;
	if (errno == ENOENT)
		return 0;
	return tfr_error_sys(err, errno, "cannot read '%s'", x->name);
}

static void idx_close(struct idx *x)
{
	if (x->f)
		fclose(x->f);
	free(x->name);
	memset(x, 0, sizeof(*x));
}

int tfr_verify_file(const char *path, const struct tfr_verify_opts *o,
		    struct tfr_verify_result *res, struct tfr_error *err)
{
	struct run r = { path, o, res };
	struct tfr_reader_opts ro = { .compression = TFR_COMP_AUTO,
				      .max_record = o->max_record,
				      .salvage = o->all, .on_skip = on_skip,
				      .skip_ctx = &r };
	struct tfr_reader *rd = NULL;
	struct tfr_record rec;
	struct idx x;
	int have_idx = 0, rc;

	memset(res, 0, sizeof(*res));
	memset(&x, 0, sizeof(x));
	if (!o->no_index && strcmp(path, "-")) {
		have_idx = idx_open(&x, path, err);
		if (have_idx < 0) {
			rc = have_idx;
			goto out;
		}
	}
	rc = tfr_reader_open(&rd, path, &ro, err);
	if (rc)
		goto out;
	res->compression = tfr_reader_compression(rd);
	while ((rc = tfr_reader_next(rd, &rec, err)) == TFR_OK) {
		res->records++;
		if (have_idx && res->compression == TFR_COMP_NONE) {
			rc = idx_compare(&x, rec.index, rec.offset,
					 rec.len + TFR_RECORD_OVERHEAD, err);
			if (rc)
				goto out;
		}
		if (!o->no_examples) {
			struct tfr_example *ex;

			if (tfr_example_parse(&ex, rec.data, rec.len, NULL) == TFR_OK) {
				tfr_example_free(ex);
			} else {
				report(&r, path, rec.index, rec.offset,
				       "payload is not a tf.train.Example");
				if (!o->all)
					break;
			}
		}
	}
	if (rc < 0)
		goto out;
	rc = TFR_OK;
	if (!have_idx || res->problems)
		goto out;
	if (res->compression != TFR_COMP_NONE) {
		char reason[160];

		snprintf(reason, sizeof(reason), "an index exists beside a %s-compressed "
			 "file; offsets in it cannot be used",
			 tfr_compression_name(res->compression));
		report(&r, x.name, TFR_NO_POS, TFR_NO_POS, reason);
		goto out;
	}
	rc = idx_finish(&x, res->records, err);
	if (rc)
		goto out;
	if (x.bad[0])
		report(&r, x.name, TFR_NO_POS, TFR_NO_POS, x.bad);
	else
		res->index = 1;
out:
	tfr_reader_free(rd);
	idx_close(&x);
	return rc;
}
