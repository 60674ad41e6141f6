/*
 * convert.c - the convert driver; see convert.h.
 *
 * Phases: (1) order the units (item x copy), shuffled if asked; (2) plan
 * the shards, probing image headers only when a record's size depends on
 * the image (size budgets with variable shapes, or encoded mode); (3)
 * make this part's shards in parallel; (4) write the labels file and the
 * manifest.  A unit that fails in phase 2 or 3 is either the run's error
 * or, with skip_errors, a line in the skipped list.
 */
#include "config.h"
#include "convert.h"
#include "example.h"
#include "fileio.h"
#include "image.h"
#include "index.h"
#include "json.h"
#include "output.h"
#include "parallel.h"
#include "rng.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct worker {
	struct tfr_buf file;
	struct tfr_image img;
	struct tfr_augment_scratch aug;
	struct tfr_buf rec;
};

struct shard_state {
	struct tfr_problem *skips;
	size_t nskips, cap;
	uint64_t records, bytes;
	unsigned char sha[32];
	int resumed, done;
};

struct run {
	const struct tfr_dataset *ds;
	const struct tfr_convert_opts *o;
	uint64_t nunits;
	uint64_t *order;          /* position -> unit, or NULL for identity */
	/* Per item, filled by probing (only when sizes depend on it):
	 * upright size (stored size in encoded mode), file size, format. */
	uint32_t *shape_w, *shape_h;
	uint64_t *fsize;
	unsigned char *fmt;
	char **plan_skip;         /* per item reason from planning, or NULL */
	struct tfr_plan plan;
	uint32_t s0, s1;
	struct shard_state *st;   /* for shards s0..s1 */
	struct worker *workers;
	int nthreads;
	struct tfr_output out;
	struct tfr_ticker ticker;
};

static uint64_t unit_at(const struct run *r, uint64_t pos)
{
	return r->order ? r->order[pos] : pos;
}

static const char *fmt_name(enum tfr_image_format f)
{
	return f == TFR_IMAGE_PNG ? "png" : "jpeg";
}

/* Build the feature specs for one record.  raw may be NULL when only the
 * size is wanted (lengths are all that matter then). */
struct specs {
	struct tfr_feature_spec f[13];
	size_t n;
	struct tfr_bytes raw, dtype, text, name, format;
	int64_t shape[3], h, w, c, label;
};

static void build_specs(struct specs *s, const struct run *r, size_t item,
			const void *data, size_t len, uint32_t w, uint32_t h,
			enum tfr_image_format fmt)
{
	const struct tfr_convert_opts *o = r->o;
	const struct tfr_item *it = &r->ds->items[item];

	memset(s, 0, sizeof(*s));
	s->raw.data = data; /* NULL: sizing, or a hole for the tensor */
	s->raw.len = len;
	s->h = h;
	s->w = w;
	s->c = o->aug.channels;
	if (o->encoded) {
		s->f[s->n++] = (struct tfr_feature_spec){ "image/encoded", TFR_FEATURE_BYTES, 1, &s->raw, NULL, NULL };
	} else {
		const char *dt = tfr_dtype_name(o->aug.dtype);

		s->dtype.data = (const unsigned char *)dt;
		s->dtype.len = strlen(dt);
		if (o->aug.layout == TFR_LAYOUT_HWC) {
			s->shape[0] = h;
			s->shape[1] = w;
			s->shape[2] = s->c;
		} else {
			s->shape[0] = s->c;
			s->shape[1] = h;
			s->shape[2] = w;
		}
		s->f[s->n++] = (struct tfr_feature_spec){ "image/raw", TFR_FEATURE_BYTES, 1, &s->raw, NULL, NULL };
		s->f[s->n++] = (struct tfr_feature_spec){ "image/dtype", TFR_FEATURE_BYTES, 1, &s->dtype, NULL, NULL };
		s->f[s->n++] = (struct tfr_feature_spec){ "image/shape", TFR_FEATURE_INT64, 3, NULL, NULL, s->shape };
		if (o->aug.dtype != TFR_DTYPE_UINT8) {
			s->f[s->n++] = (struct tfr_feature_spec){ "image/mean", TFR_FEATURE_FLOAT, o->aug.channels, NULL, o->aug.mean, NULL };
			s->f[s->n++] = (struct tfr_feature_spec){ "image/std", TFR_FEATURE_FLOAT, o->aug.channels, NULL, o->aug.std, NULL };
		}
	}
	s->f[s->n++] = (struct tfr_feature_spec){ "image/height", TFR_FEATURE_INT64, 1, NULL, NULL, &s->h };
	s->f[s->n++] = (struct tfr_feature_spec){ "image/width", TFR_FEATURE_INT64, 1, NULL, NULL, &s->w };
	s->f[s->n++] = (struct tfr_feature_spec){ "image/channels", TFR_FEATURE_INT64, 1, NULL, NULL, &s->c };
	if (it->label >= 0) {
		const char *t = r->ds->classes[it->label];

		s->label = it->label;
		s->text.data = (const unsigned char *)t;
		s->text.len = strlen(t);
		s->f[s->n++] = (struct tfr_feature_spec){ "image/class/label", TFR_FEATURE_INT64, 1, NULL, NULL, &s->label };
		s->f[s->n++] = (struct tfr_feature_spec){ "image/class/text", TFR_FEATURE_BYTES, 1, &s->text, NULL, NULL };
	}
	s->name.data = (const unsigned char *)it->name;
	s->name.len = strlen(it->name);
	s->f[s->n++] = (struct tfr_feature_spec){ "image/filename", TFR_FEATURE_BYTES, 1, &s->name, NULL, NULL };
	if (o->encoded) {
		s->format.data = (const unsigned char *)fmt_name(fmt);
		s->format.len = strlen(fmt_name(fmt));
	} else {
		s->format.data = (const unsigned char *)"raw";
		s->format.len = 3;
	}
	s->f[s->n++] = (struct tfr_feature_spec){ "image/format", TFR_FEATURE_BYTES, 1, &s->format, NULL, NULL };
}

/* Make the record for unit u into out.  Item-level failures return the
 * status with err naming the file. */
static int make_record(struct run *r, struct worker *wk, uint64_t u,
		       struct tfr_buf *out, struct tfr_error *err)
{
	const struct tfr_convert_opts *o = r->o;
	size_t item = (size_t)(u / o->copies);
	uint32_t copy = (uint32_t)(u % o->copies);
	const char *path = r->ds->items[item].path;
	struct tfr_image_info info;
	struct tfr_error e;
	struct specs sp;
	uint32_t uw, uh, ow, oh;
	size_t nbytes, hole = 0;
	int rc;

	out->len = 0;
	if (r->plan_skip && r->plan_skip[item])
		return tfr_error_set(err, TFR_ERR_FORMAT, "'%s': %s", path, r->plan_skip[item]);
	rc = tfr_file_read(path, &wk->file, o->max_file, err);
	if (rc)
		return rc;
	rc = tfr_image_probe(wk->file.data, wk->file.len, o->max_pixels, &info, &e);
	if (rc)
		return tfr_error_set(err, rc, "'%s': %s", path, e.msg);
	tfr_image_upright(&info, &uw, &uh);

	if (o->encoded) {
		/* Decode at the smallest scale anyway: a file that cannot be
		 * decoded must not reach training. */
		struct tfr_decode_opts d = { .channels = o->aug.channels,
					     .max_pixels = o->max_pixels,
					     .min_width = 1, .min_height = 1 };

		rc = tfr_image_decode(wk->file.data, wk->file.len, &d, &wk->img, &e);
		if (rc)
			return tfr_error_set(err, rc, "'%s': %s", path, e.msg);
		build_specs(&sp, r, item, wk->file.data, wk->file.len, info.width,
			    info.height, info.format);
	} else {
		struct tfr_decode_opts d = { .channels = o->aug.channels,
					     .max_pixels = o->max_pixels };
		uint32_t rw, rh;

		rc = tfr_augment_shape(&o->aug, uw, uh, &ow, &oh, &e);
		if (rc)
			return tfr_error_set(err, rc, "'%s': %s", path, e.msg);
		tfr_augment_resized(&o->aug, uw, uh, &rw, &rh);
		uint32_t fw, fh;
		uint64_t rnd = tfr_rand3(o->seed, item, copy);

		if (o->aug.resize != TFR_RESIZE_NONE) {
			d.min_width = rw;
			d.min_height = rh;
		}
		/* Decode only the blocks the output window reads. */
		tfr_image_frame(&info, d.min_width, d.min_height, &fw, &fh);
		rc = tfr_augment_region(&o->aug, uw, uh, fw, fh, rnd, &wk->aug,
					&d.roi_x, &d.roi_y, &d.roi_w, &d.roi_h, &e);
		if (rc)
			return tfr_error_set(err, rc, "'%s': %s", path, e.msg);
		d.use_roi = 1;
		rc = tfr_image_decode(wk->file.data, wk->file.len, &d, &wk->img, &e);
		if (rc)
			return tfr_error_set(err, rc, "'%s': %s", path, e.msg);
		/* The Example is written first with a hole where the pixels
		 * go, and the tensor is made in place: no copy of it. */
		nbytes = tfr_augment_bytes(&o->aug, ow, oh);
		build_specs(&sp, r, item, NULL, nbytes, ow, oh, info.format);
		rc = tfr_example_encode_at(sp.f, sp.n, out, &hole, &e);
		if (rc)
			return tfr_error_set(err, rc, "'%s': %s", path, e.msg);
		rc = tfr_augment_run_into(&o->aug, &wk->img, rnd, &wk->aug,
					  out->data + hole, nbytes, &ow, &oh, &e);
		if (rc)
			return tfr_error_set(err, rc, "'%s': %s", path, e.msg);
		return TFR_OK;
	}
	rc = tfr_example_encode(sp.f, sp.n, out, &e);
	if (rc)
		return tfr_error_set(err, rc, "'%s': %s", path, e.msg);
	return TFR_OK;
}

static int fatal(int rc)
{
	return rc == TFR_ERR_NOMEM || rc == TFR_ERR_INTERRUPTED;
}

static int add_skip(struct shard_state *st, const char *msg)
{
	char *path, *reason;
	const char *q;

	if (st->nskips == st->cap) {
		size_t ncap = st->cap ? st->cap * 2 : 8;
		struct tfr_problem *p = realloc(st->skips, ncap * sizeof(*p));

		if (!p)
			return TFR_ERR_NOMEM;
		st->skips = p;
		st->cap = ncap;
	}
	/* msg is "'path': reason" */
	q = msg[0] == '\'' ? strstr(msg + 1, "': ") : NULL;
	path = q ? strndup(msg + 1, (size_t)(q - msg - 1)) : strdup("");
	reason = strdup(q ? q + 3 : msg);
	if (!path || !reason) {
		free(path);
		free(reason);
		return TFR_ERR_NOMEM;
	}
	st->skips[st->nskips].file = path;
	st->skips[st->nskips].record = TFR_NO_POS;
	st->skips[st->nskips].offset = TFR_NO_POS;
	st->skips[st->nskips].reason = reason;
	st->nskips++;
	return TFR_OK;
}

static void tick(struct run *r, uint64_t n)
{
	tfr_ticker_add(&r->ticker, n);
}

static char *shard_path(const struct run *r, uint32_t s)
{
	return tfr_shard_name(r->o->prefix, s, r->plan.nshards, r->o->compression);
}

static char *idx_path(const char *shard)
{
	size_t n = strlen(shard) + 5;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s.idx", shard);
	return p;
}

/* --resume: a shard that exists and reads cleanly is kept. */
static int try_resume(struct run *r, uint32_t s, struct shard_state *st,
		      struct tfr_error *err)
{
	char *path = shard_path(r, s), *ipath = NULL;
	struct tfr_reader *rd;
	struct tfr_record rec;
	struct tfr_buf ib;
	uint64_t n = 0, size;
	int rc, ok = 0;

	if (!path)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	if (access(path, F_OK) != 0 || tfr_reader_open(&rd, path, NULL, NULL) != TFR_OK) {
		free(path);
		return TFR_OK;
	}
	while ((rc = tfr_reader_next(rd, &rec, NULL)) == TFR_OK)
		n++;
	ok = rc == TFR_EOF && tfr_reader_compression(rd) == r->o->compression;
	tfr_reader_free(rd);
	if (!ok) {
		free(path);
		return TFR_OK; /* rewritten from scratch */
	}
	rc = tfr_file_sha256(path, st->sha, &size, err);
	if (rc)
		goto out;
	if (r->o->index) {
		uint64_t cnt;

		tfr_buf_init(&ib, 0);
		ipath = idx_path(path);
		rc = ipath ? tfr_index_build(path, &ib, &cnt, err)
			   : tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		if (!rc)
			rc = tfr_file_write_atomic(ipath, ib.data ? (char *)ib.data : "",
						   ib.len, !r->o->no_fsync, err);
		tfr_buf_release(&ib);
		if (rc)
			goto out;
	}
	st->records = n;
	st->bytes = size;
	st->resumed = 1;
	st->done = 1;
out:
	free(ipath);
	free(path);
	return rc;
}

static int open_writer(struct run *r, uint32_t s, struct tfr_writer **w,
		       struct tfr_error *err)
{
	return tfr_output_open(&r->out, s, r->plan.nshards, w, err);
}

/* Outcome of one unit: write it, skip it, or fail the run. */
static int settle(struct run *r, struct shard_state *st, struct tfr_writer *w,
		  int rc, const struct tfr_buf *rec, struct tfr_error *e,
		  struct tfr_error *err)
{
	if (rc == TFR_OK) {
		rc = tfr_writer_write(w, rec->data, rec->len, err);
		if (!rc)
			st->records++;
		return rc;
	}
	if (!r->o->skip_errors || fatal(rc)) {
		*err = *e;
		return rc;
	}
	if (add_skip(st, e->msg))
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	return TFR_OK;
}

static int finish_shard(struct shard_state *st, struct tfr_writer *w,
			struct tfr_error *err)
{
	int rc = tfr_writer_commit(w, st->sha, &st->bytes, err);

	if (!rc)
		st->done = 1;
	return rc;
}

/* Whole-shard task: one worker makes and writes shard s0 + i. */
static int shard_task(void *ctx, size_t i, int wid, const int *stop,
		      struct tfr_error *err)
{
	struct run *r = ctx;
	uint32_t s = r->s0 + (uint32_t)i;
	struct shard_state *st = &r->st[i];
	struct worker *wk = &r->workers[wid];
	struct tfr_writer *w;
	uint64_t p;
	int rc;

	if (r->o->resume) {
		rc = try_resume(r, s, st, err);
		if (rc || st->resumed) {
			if (!rc)
				tick(r, r->plan.first[s + 1] - r->plan.first[s]);
			return rc;
		}
	}
	rc = open_writer(r, s, &w, err);
	if (rc)
		return rc;
	for (p = r->plan.first[s]; p < r->plan.first[s + 1]; p++) {
		struct tfr_error e;

		if (__atomic_load_n(stop, __ATOMIC_RELAXED)) {
			tfr_writer_abort(w);
			return tfr_error_set(err, TFR_ERR_INTERRUPTED, "stopped");
		}
		rc = make_record(r, wk, unit_at(r, p), &wk->rec, &e);
		rc = settle(r, st, w, rc, &wk->rec, &e, err);
		if (rc) {
			tfr_writer_abort(w);
			return rc;
		}
		tick(r, 1);
	}
	return finish_shard(st, w, err);
}

/* Batch mode: records of one shard made in parallel into slots. */
struct batch {
	struct run *r;
	uint64_t base;            /* first position of the batch */
	struct tfr_buf *slot;
	int *status;
	struct tfr_error *errs;
};

static int slot_task(void *ctx, size_t i, int wid, const int *stop,
		     struct tfr_error *err)
{
	struct batch *b = ctx;

	(void)stop;
	(void)err;
	b->status[i] = make_record(b->r, &b->r->workers[wid],
				   unit_at(b->r, b->base + i), &b->slot[i], &b->errs[i]);
	/* Item failures are settled in order by the writer, so that the
	 * first failure reported is the first in output order. */
	return fatal(b->status[i]) ? b->status[i] : TFR_OK;
}

static int batch_shard(struct run *r, size_t i, struct tfr_buf *slots,
		       int *status, struct tfr_error *errs, size_t nslots,
		       struct tfr_error *err)
{
	uint32_t s = r->s0 + (uint32_t)i;
	struct shard_state *st = &r->st[i];
	struct tfr_writer *w;
	struct batch b = { r, 0, slots, status, errs };
	uint64_t p, end = r->plan.first[s + 1];
	int rc;

	if (r->o->resume) {
		rc = try_resume(r, s, st, err);
		if (rc || st->resumed) {
			if (!rc)
				tick(r, end - r->plan.first[s]);
			return rc;
		}
	}
	rc = open_writer(r, s, &w, err);
	if (rc)
		return rc;
	for (p = r->plan.first[s]; p < end; p += nslots) {
		size_t n = end - p < nslots ? (size_t)(end - p) : nslots, k;

		b.base = p;
		rc = tfr_parallel_for(n, r->nthreads, slot_task, &b, err);
		if (rc) {
			tfr_writer_abort(w);
			return rc;
		}
		for (k = 0; k < n; k++) {
			rc = settle(r, st, w, status[k], &slots[k], &errs[k], err);
			if (rc) {
				tfr_writer_abort(w);
				return rc;
			}
		}
		tick(r, n);
	}
	return finish_shard(st, w, err);
}

/* --- planning ----------------------------------------------------------- */

static uint64_t unit_size(void *ctx, uint64_t pos)
{
	struct run *r = ctx;
	uint64_t u = unit_at(r, pos);
	size_t item = (size_t)(u / r->o->copies);
	struct specs sp;
	uint32_t ow, oh;
	size_t len;

	if (r->plan_skip && r->plan_skip[item])
		return 0;
	if (r->o->encoded) {
		len = (size_t)r->fsize[item];
		ow = r->shape_w[item];
		oh = r->shape_h[item];
	} else {
		if (!tfr_augment_fixed_shape(&r->o->aug, &ow, &oh))
			tfr_augment_shape(&r->o->aug, r->shape_w[item], r->shape_h[item],
					  &ow, &oh, NULL);
		len = tfr_augment_bytes(&r->o->aug, ow, oh);
	}
	build_specs(&sp, r, item, NULL, len, ow, oh,
		    r->fmt ? (enum tfr_image_format)r->fmt[item] : TFR_IMAGE_JPEG);
	return tfr_example_size(sp.f, sp.n) + TFR_RECORD_OVERHEAD;
}

static int probe_task(void *ctx, size_t item, int wid, const int *stop,
		      struct tfr_error *err)
{
	struct run *r = ctx;
	struct worker *wk = &r->workers[wid];
	const char *path = r->ds->items[item].path;
	struct tfr_image_info info;
	struct tfr_error e;
	uint32_t uw, uh, ow, oh;
	int rc;

	(void)stop;
	rc = tfr_file_read(path, &wk->file, r->o->max_file, &e);
	if (!rc) {
		rc = tfr_image_probe(wk->file.data, wk->file.len, r->o->max_pixels, &info, &e);
		if (rc) {
			char msg[sizeof(e.msg)];

			snprintf(msg, sizeof(msg), "%s", e.msg);
			tfr_error_set(&e, rc, "'%s': %s", path, msg);
		}
	}
	if (!rc) {
		tfr_image_upright(&info, &uw, &uh);
		if (!r->o->encoded) {
			struct tfr_error e2;

			rc = tfr_augment_shape(&r->o->aug, uw, uh, &ow, &oh, &e2);
			if (rc)
				tfr_error_set(&e, rc, "'%s': %s", path, e2.msg);
		}
	}
	if (rc) {
		if (!r->o->skip_errors || fatal(rc)) {
			*err = e;
			return rc;
		}
		/* "'path': reason" -> keep the reason */
		{
			const char *q = strstr(e.msg, "': ");

			r->plan_skip[item] = strdup(q ? q + 3 : e.msg);
			if (!r->plan_skip[item])
				return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		}
		return TFR_OK;
	}
	r->shape_w[item] = r->o->encoded ? info.width : uw;
	r->shape_h[item] = r->o->encoded ? info.height : uh;
	r->fsize[item] = wk->file.len;
	r->fmt[item] = (unsigned char)info.format;
	return TFR_OK;
}

/* --- manifest -------------------------------------------------------------- */

static int write_labels(const struct run *r, struct tfr_error *err)
{
	struct tfr_buf b;
	char *path;
	size_t i, n = strlen(r->o->prefix) + 16;
	int rc = TFR_OK;

	if (!r->ds->nclasses)
		return TFR_OK;
	path = malloc(n);
	if (!path)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	snprintf(path, n, "%s-labels.txt", r->o->prefix);
	tfr_buf_init(&b, 0);
	for (i = 0; i < r->ds->nclasses && !rc; i++)
		rc = tfr_buf_printf(&b, "%s\n", r->ds->classes[i]);
	if (rc)
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	else
		rc = tfr_file_write_atomic(path, b.data, b.len, !r->o->no_fsync, err);
	tfr_buf_release(&b);
	free(path);
	return rc;
}

static int write_manifest(struct run *r, struct tfr_convert_result *res,
			  struct tfr_error *err)
{
	const struct tfr_convert_opts *o = r->o;
	struct tfr_buf b;
	uint32_t s;
	size_t i;
	int rc = 0;

	res->manifest = tfr_output_manifest_name(o->prefix, o->part_i, o->part_n);
	if (!res->manifest)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");

	tfr_buf_init(&b, 0);
	rc |= tfr_output_manifest_begin(&b, "convert", o->options_json);
	rc |= tfr_buf_printf(&b, "  \"part\": {\"index\": %u, \"count\": %u",
			     o->part_i, o->part_n);
	/* For tfrec manifest merge: the last ds->nbad skips (inputs that
	 * could not be listed) are the same in every part. */
	if (o->part_n > 1)
		rc |= tfr_buf_printf(&b, ", \"shared_skips\": %zu", r->ds->nbad);
	rc |= tfr_buf_printf(&b, "},\n"
			     "  \"shards_total\": %u,\n  \"inputs\": %zu,\n"
			     "  \"records\": %llu,\n  \"labels\": [",
			     r->plan.nshards, r->ds->n,
			     (unsigned long long)res->records);
	for (i = 0; i < r->ds->nclasses; i++) {
		rc |= tfr_buf_puts(&b, i ? ", " : "");
		rc |= tfr_json_cstr(&b, r->ds->classes[i]);
	}
	rc |= tfr_buf_puts(&b, "],\n  \"shards\": [");
	for (s = r->s0; s < r->s1; s++) {
		struct shard_state *st = &r->st[s - r->s0];
		char *name = shard_path(r, s);

		if (!name) {
			rc = -1;
			break;
		}
		rc |= tfr_output_shard_json(&b, s == r->s0, name, st->records, st->bytes, st->sha);
		free(name);
	}
	rc |= tfr_buf_puts(&b, "\n  ],\n  \"skipped\": [");
	for (i = 0; i < res->nskipped; i++) {
		rc |= tfr_buf_puts(&b, i ? ",\n    {\"file\": " : "\n    {\"file\": ");
		rc |= tfr_json_cstr(&b, res->skipped[i].file);
		rc |= tfr_buf_puts(&b, ", \"reason\": ");
		rc |= tfr_json_cstr(&b, res->skipped[i].reason);
		rc |= tfr_buf_puts(&b, "}");
	}
	rc = tfr_output_manifest_finish(&b, rc, res->nskipped, res->manifest, o->no_fsync, err);
	tfr_buf_release(&b);
	return rc;
}

/* --- the driver ------------------------------------------------------------ */

static void run_release(struct run *r)
{
	size_t i;

	if (r->workers) {
		for (i = 0; i < (size_t)r->nthreads; i++) {
			tfr_buf_release(&r->workers[i].file);
			tfr_image_release(&r->workers[i].img);
			tfr_augment_scratch_release(&r->workers[i].aug);
			tfr_buf_release(&r->workers[i].rec);
		}
	}
	free(r->workers);
	if (r->st) {
		for (i = 0; i < (size_t)(r->s1 - r->s0); i++) {
			size_t k;

			for (k = 0; k < r->st[i].nskips; k++) {
				free(r->st[i].skips[k].file);
				free(r->st[i].skips[k].reason);
			}
			free(r->st[i].skips);
		}
	}
	free(r->st);
	if (r->plan_skip)
		for (i = 0; i < r->ds->n; i++)
			free(r->plan_skip[i]);
	free(r->plan_skip);
	free(r->shape_w);
	free(r->shape_h);
	free(r->fsize);
	free(r->fmt);
	free(r->order);
	tfr_plan_release(&r->plan);
}

static int push_problem(struct tfr_convert_result *res, size_t *cap,
			const char *path, const char *reason)
{
	if (res->nskipped == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct tfr_problem *p = realloc(res->skipped, ncap * sizeof(*p));

		if (!p)
			return -1;
		res->skipped = p;
		*cap = ncap;
	}
	res->skipped[res->nskipped].file = strdup(path);
	res->skipped[res->nskipped].reason = strdup(reason);
	res->skipped[res->nskipped].record = TFR_NO_POS;
	res->skipped[res->nskipped].offset = TFR_NO_POS;
	if (!res->skipped[res->nskipped].file || !res->skipped[res->nskipped].reason) {
		free(res->skipped[res->nskipped].file);
		free(res->skipped[res->nskipped].reason);
		return -1;
	}
	res->nskipped++;
	return 0;
}

int tfr_convert(const struct tfr_dataset *ds, const struct tfr_convert_opts *o,
		struct tfr_convert_result *res, struct tfr_error *err)
{
	struct run r;
	uint32_t fw, fh;
	size_t i, cap = 0;
	int rc = TFR_OK, need_probe;

	memset(res, 0, sizeof(*res));
	memset(&r, 0, sizeof(r));
	r.ds = ds;
	r.o = o;
	r.out.prefix = o->prefix;
	r.out.compression = o->compression;
	r.out.level = o->level;
	r.out.index = o->index;
	r.out.no_fsync = o->no_fsync;
	if (o->copies < 1 || o->part_i < 1 || o->part_i > o->part_n)
		return tfr_error_set(err, TFR_ERR_INVALID, "bad copies or part");
	if (ds->n == 0)
		return tfr_error_set(err, TFR_ERR_INVALID, "no input images");
	if ((uint64_t)ds->n > UINT64_MAX / o->copies)
		return tfr_error_set(err, TFR_ERR_LIMIT, "too many records");
	r.nunits = (uint64_t)ds->n * o->copies;
	r.nthreads = tfr_parallel_threads(o->threads);
	r.workers = calloc((size_t)r.nthreads, sizeof(*r.workers));
	if (!r.workers) {
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		goto out;
	}

	/* (1) order */
	if (o->shuffle) {
		rc = tfr_shuffle(r.nunits, o->seed, &r.order, err);
		if (rc)
			goto out;
	}

	/* (2) plan.  Sizes depend on the image only for byte budgets with
	 * variable shapes, or in encoded mode. */
	need_probe = o->plan.mode == TFR_PLAN_BYTES &&
		     (o->encoded || !tfr_augment_fixed_shape(&o->aug, &fw, &fh));
	if (need_probe) {
		r.shape_w = calloc(ds->n, sizeof(uint32_t));
		r.shape_h = calloc(ds->n, sizeof(uint32_t));
		r.fsize = calloc(ds->n, sizeof(uint64_t));
		r.fmt = calloc(ds->n, 1);
		r.plan_skip = calloc(ds->n, sizeof(char *));
		if (!r.shape_w || !r.shape_h || !r.fsize || !r.fmt || !r.plan_skip) {
			rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
			goto out;
		}
		rc = tfr_parallel_for(ds->n, r.nthreads, probe_task, &r, err);
		if (rc)
			goto out;
	}
	rc = tfr_plan_make(&r.plan, r.nunits, &o->plan, unit_size, &r, err);
	if (rc)
		goto out;
	tfr_plan_part(&r.plan, o->part_i, o->part_n, &r.s0, &r.s1);
	res->nshards = r.plan.nshards;
	res->shard_lo = r.s0;
	res->shard_hi = r.s1;
	res->units = r.plan.first[r.s1] - r.plan.first[r.s0];
	r.ticker.fn = o->progress;
	r.ticker.ctx = o->progress_ctx;
	r.ticker.total = res->units;
	r.st = calloc((size_t)(r.s1 - r.s0) + 1, sizeof(*r.st));
	if (!r.st) {
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		goto out;
	}

	/* (3) shards: whole shards per worker when there are enough of them,
	 * otherwise the records of each shard spread over the workers. */
	if (r.s1 - r.s0 >= (uint32_t)r.nthreads || r.nthreads == 1) {
		rc = tfr_parallel_for(r.s1 - r.s0, r.nthreads, shard_task, &r, err);
	} else {
		size_t nslots = (size_t)r.nthreads * 4;
		struct tfr_buf *slots = calloc(nslots, sizeof(*slots));
		int *status = calloc(nslots, sizeof(int));
		struct tfr_error *errs = calloc(nslots, sizeof(*errs));

		if (!slots || !status || !errs)
			rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		for (i = 0; !rc && i < (size_t)(r.s1 - r.s0); i++)
			rc = batch_shard(&r, i, slots, status, errs, nslots, err);
		for (i = 0; slots && i < nslots; i++)
			tfr_buf_release(&slots[i]);
		free(slots);
		free(status);
		free(errs);
	}
	if (rc)
		goto out;
	tfr_ticker_flush(&r.ticker);

	/* (4) results, labels, manifest.  Skips in output order: planning
	 * skips of this part's items first, then each shard's. */
	for (i = 0; i < (size_t)(r.s1 - r.s0); i++) {
		size_t k;

		res->records += r.st[i].records;
		res->resumed += (uint32_t)r.st[i].resumed;
		for (k = 0; k < r.st[i].nskips; k++)
			if (push_problem(res, &cap, r.st[i].skips[k].file,
					 r.st[i].skips[k].reason)) {
				rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
				goto out;
			}
	}
	for (i = 0; i < ds->nbad; i++)
		if (push_problem(res, &cap, ds->bad[i].file, ds->bad[i].reason)) {
			rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
			goto out;
		}
	rc = write_labels(&r, err);
	if (!rc)
		rc = write_manifest(&r, res, err);
out:
	run_release(&r);
	return rc;
}

void tfr_convert_result_release(struct tfr_convert_result *res)
{
	size_t i;

	if (!res)
		return;
	for (i = 0; i < res->nskipped; i++) {
		free(res->skipped[i].file);
		free(res->skipped[i].reason);
	}
	free(res->skipped);
	free(res->manifest);
	memset(res, 0, sizeof(*res));
}
