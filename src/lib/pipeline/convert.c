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
#include "pipeline/convert.h"
#include "annot/boxes.h"
#include "format/example.h"
#include "pixels/f16.h"
#include "base/fileio.h"
#include "image/image.h"
#include "output/output.h"
#include "base/parallel.h"
#include "base/rng.h"
#include "source/source.h"
#include "output/stats.h"
#include "image/store.h"
#include "hygiene/dedupe.h"

#include <errno.h>
#include <math.h>
#include <nettle/sha2.h>
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
	struct tfr_dataset_reader rd;  /* this worker's cursors into the sources */
	struct tfr_features fs;        /* the item's extra features */
	struct tfr_label_specs ls;     /* its label values */
	struct tfr_boxes_scratch bx;   /* boxes and masks moved with the pixels */
	struct tfr_feature_spec *moved; /* the extra features after moving */
	size_t moved_cap;
	uint64_t kept, dropped;        /* boxes of the last record made */
	char sha_hex[65];              /* image/key/sha256 of a detection record */
	struct tfr_bytes sha;
	struct tfr_buf pix, enc;  /* --store: pixels, then encoded */
};

struct shard_state {
	struct tfr_problems skips; /* items left out of this shard */
	struct tfr_stats stats;    /* of its records, in any order (stats.h) */
	/* boxes kept, boxes dropped by the crop, records with boxes: made
	 * here (atomic sums, any order) or kept by --resume */
	uint64_t counts[TFR_OUTPUT_NCOUNTS];
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
	struct tfr_output_run *orun; /* everything written, and the prefix */
	/* planning's own reader, features and labels (unit_size) */
	struct tfr_dataset_reader prd;
	struct tfr_features pfs;
	struct tfr_label_specs pls;
	struct tfr_convert_opts oc;  /* o with --normalize dataset's values */
	uint64_t norm_sample;
	double norm_mean[3], norm_std[3];
	char **drop;              /* per item: duplicate reason, or NULL */
	struct tfr_fp *fps;       /* per item, with drop (hygiene/dedupe.h) */
};

void tfr_convert_result_release(struct tfr_convert_result *res)
{
	if (res)
		tfr_output_result_release(&res->out); /* zeroes it */
}

static uint64_t unit_at(const struct run *r, uint64_t pos)
{
	return r->order ? r->order[pos] : pos;
}

static const char *fmt_name(enum tfr_image_format f)
{
	return tfr_image_format_name(f);
}

/* Build the feature specs for one record.  raw may be NULL when only the
 * size is wanted (lengths are all that matter then). */
struct specs {
	struct tfr_feature_spec f[14 + TFR_MAX_FEATURES];
	size_t n;
	struct tfr_bytes raw, dtype, name, format;
	int64_t shape[3], h, w, c;
	int oom;                  /* label values could not be stored */
};

static void build_specs(struct specs *s, const struct run *r, size_t item,
			const void *data, size_t len, uint32_t w, uint32_t h,
			enum tfr_image_format fmt, struct tfr_label_specs *ls,
			const struct tfr_features *x)
{
	const struct tfr_convert_opts *o = r->o;
	const char *filename = tfr_dataset_filename(r->ds, item);
	size_t k;
	int nl;

	memset(s, 0, sizeof(*s));
	s->raw.data = data; /* NULL: sizing, or a hole for the tensor */
	s->raw.len = len;
	s->h = h;
	s->w = w;
	s->c = o->aug.channels;
	if (o->encoded || o->store) {
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
	/* Labels (one, several, multi-hot), then the source's extra
	 * features after convert's own. */
	nl = tfr_dataset_label_specs(r->ds, item, o->multi_hot, ls, s->f + s->n);
	if (nl < 0)
		s->oom = 1;
	else
		s->n += (size_t)nl;
	s->name.data = (const unsigned char *)filename;
	s->name.len = strlen(filename);
	s->f[s->n++] = (struct tfr_feature_spec){ "image/filename", TFR_FEATURE_BYTES, 1, &s->name, NULL, NULL };
	if (o->store) {
		s->format.data = (const unsigned char *)tfr_store_format((enum tfr_store)o->store);
		s->format.len = strlen((const char *)s->format.data);
	} else if (o->encoded) {
		s->format.data = (const unsigned char *)fmt_name(fmt);
		s->format.len = strlen(fmt_name(fmt));
	} else {
		s->format.data = (const unsigned char *)"raw";
		s->format.len = 3;
	}
	s->f[s->n++] = (struct tfr_feature_spec){ "image/format", TFR_FEATURE_BYTES, 1, &s->format, NULL, NULL };
	for (k = 0; x && k < x->n; k++)
		s->f[s->n++] = x->spec[k];
}

/* A record made for shard st (NULL: for the statistics' sample only):
 * its boxes join the shard's counts. */
static void count_boxes(struct shard_state *st, const struct worker *wk)
{
	if (!st || !(wk->fs.flags & TFR_FEATURE_GEOMETRIC))
		return;
	__atomic_add_fetch(&st->counts[0], wk->kept, __ATOMIC_RELAXED);
	__atomic_add_fetch(&st->counts[1], wk->dropped, __ATOMIC_RELAXED);
	__atomic_add_fetch(&st->counts[2], 1, __ATOMIC_RELAXED);
}

/*
 * The extra features of the item in fs, as the record stores them: boxes
 * and masks moved through g (NULL: as they are) for an upright uw x uh
 * source, when the source flagged them TFR_FEATURE_GEOMETRIC; *out is
 * fs itself otherwise.  A detection record in encoded mode also gets
 * image/key/sha256 of the file (raw; zeros when raw is NULL, for
 * sizing), as the TF Object Detection API's converters write it.  The
 * result lives in wk's scratch until the next call.
 */
static int move_features(struct worker *wk, const struct tfr_features *fs, int encoded,
			 const void *raw, size_t rawlen, const struct tfr_augment_geom *g,
			 double min_visible, uint32_t uw, uint32_t uh,
			 struct tfr_features *view, const struct tfr_features **out,
			 struct tfr_error *err)
{
	const struct tfr_feature_spec *x;
	size_t nx, extra;
	int rc;

	wk->kept = wk->dropped = 0;
	*out = fs;
	if (!(fs->flags & TFR_FEATURE_GEOMETRIC))
		return TFR_OK;
	rc = tfr_boxes_features(fs->spec, fs->n, g, min_visible, uw, uh, &wk->bx, &x, &nx,
				&wk->kept, &wk->dropped, err);
	if (rc)
		return rc;
	extra = encoded && nx < TFR_MAX_FEATURES;
	if (nx + extra > wk->moved_cap) {
		struct tfr_feature_spec *q = realloc(wk->moved, (nx + extra) * sizeof(*q));

		if (!q)
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		wk->moved = q;
		wk->moved_cap = nx + extra;
	}
	memcpy(wk->moved, x, nx * sizeof(*x));
	if (extra && !raw) {
		memset(wk->sha_hex, '0', 64);
	} else if (extra) {
		struct sha256_ctx c;
		uint8_t d[SHA256_DIGEST_SIZE];
		int k;

		sha256_init(&c);
		sha256_update(&c, rawlen, raw);
		sha256_digest(&c, sizeof(d), d);
		for (k = 0; k < SHA256_DIGEST_SIZE; k++)
			snprintf(wk->sha_hex + 2 * k, 3, "%02x", d[k]);
	}
	if (extra) {
		wk->sha.data = (const unsigned char *)wk->sha_hex;
		wk->sha.len = 64;
		wk->moved[nx] = (struct tfr_feature_spec){ "image/key/sha256", TFR_FEATURE_BYTES, 1,
							   &wk->sha, NULL, NULL };
	}
	*view = *fs;
	view->spec = wk->moved;
	view->n = nx + extra;
	*out = view;
	return TFR_OK;
}

/* Make the record for unit u into out, for shard st (NULL: for the
 * statistics' sample).  Item-level failures return the status with err
 * naming the file. */
static int make_record(struct run *r, struct worker *wk, struct shard_state *st,
		       uint64_t u, struct tfr_buf *out, struct tfr_error *err)
{
	const struct tfr_convert_opts *o = r->o;
	size_t item = (size_t)(u / o->copies);
	uint32_t copy = (uint32_t)(u % o->copies);
	const char *path = tfr_dataset_where(r->ds, item, &wk->rd);
	struct tfr_image_info info;
	struct tfr_error e;
	struct specs sp;
	struct tfr_features view;
	const struct tfr_features *fx;
	uint32_t uw, uh, ow, oh;
	size_t nbytes, hole = 0;
	int rc;

	out->len = 0;
	if (!path)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	if (r->drop && r->drop[item])
		return tfr_error_on(err, TFR_ERR_FORMAT, path, "%s", r->drop[item]);
	if (r->plan_skip && r->plan_skip[item])
		return tfr_error_on(err, TFR_ERR_FORMAT, path, "%s", r->plan_skip[item]);
	rc = tfr_dataset_read(r->ds, item, &wk->rd, &wk->file, err);
	if (!rc)
		rc = tfr_dataset_features(r->ds, item, &wk->rd, &wk->fs, err);
	if (rc)
		return rc;
	/* (the reader's name buffer may have moved) */
	path = tfr_dataset_where(r->ds, item, &wk->rd);
	if (!path)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	rc = tfr_image_probe(wk->file.data, wk->file.len, o->max_pixels, &info, &e);
	if (rc)
		return tfr_error_about(err, rc, path, &e);
	tfr_image_upright(&info, &uw, &uh);

	if (o->encoded) {
		/* Decode at the smallest scale anyway: a file that cannot be
		 * decoded must not reach training. */
		struct tfr_decode_opts d = { .channels = o->aug.channels,
					     .max_pixels = o->max_pixels,
					     .min_width = 1, .min_height = 1 };

		d.use_background = o->use_background;
		memcpy(d.background, o->background, 3);

		rc = tfr_image_decode(wk->file.data, wk->file.len, &d, &wk->img, &e);
		if (rc)
			return tfr_error_about(err, rc, path, &e);
		rc = move_features(wk, &wk->fs, 1, wk->file.data, wk->file.len, NULL, 0, uw, uh,
				   &view, &fx, &e);
		if (rc)
			return tfr_error_about(err, rc, path, &e);
		build_specs(&sp, r, item, wk->file.data, wk->file.len, info.width,
			    info.height, info.format, &wk->ls, fx);
	} else {
		struct tfr_decode_opts d = { .channels = o->aug.channels,
					     .max_pixels = o->max_pixels };
		uint32_t rw, rh;

		d.use_background = o->use_background;
		memcpy(d.background, o->background, 3);

		rc = tfr_augment_shape(&o->aug, uw, uh, &ow, &oh, &e);
		if (rc)
			return tfr_error_about(err, rc, path, &e);
		tfr_augment_resized(&o->aug, uw, uh, &rw, &rh);
		uint32_t fw, fh;
		uint64_t rnd = tfr_rand3(o->seed, item, copy);
		struct tfr_augment_geom g;

		if (wk->fs.flags & TFR_FEATURE_GEOMETRIC) {
			/* A crop may be drawn again to keep a box; the pixels
			 * follow the random value chosen. */
			int bad;
			size_t nb = tfr_boxes_of_features(wk->fs.spec, wk->fs.n, &wk->bx, &bad);

			rc = tfr_boxes_geometry(&o->aug, uw, uh, rnd, wk->bx.box, nb,
						o->min_box_visible, o->box_retries, &g, &rnd,
						NULL, &e);
		} else
			rc = tfr_augment_geometry(&o->aug, uw, uh, rnd, &g, &e);
		if (rc)
			return tfr_error_about(err, rc, path, &e);
		if (o->aug.resize != TFR_RESIZE_NONE) {
			d.min_width = rw;
			d.min_height = rh;
		}
		/* Decode only the blocks the output window reads. */
		tfr_image_frame(&info, d.min_width, d.min_height, &fw, &fh);
		rc = tfr_augment_region(&o->aug, uw, uh, fw, fh, rnd, &wk->aug,
					&d.roi_x, &d.roi_y, &d.roi_w, &d.roi_h, &e);
		if (rc)
			return tfr_error_about(err, rc, path, &e);
		d.use_roi = 1;
		rc = tfr_image_decode(wk->file.data, wk->file.len, &d, &wk->img, &e);
		if (rc)
			return tfr_error_about(err, rc, path, &e);
		nbytes = tfr_augment_bytes(&o->aug, ow, oh);
		/* Boxes and masks follow the same geometry as the pixels. */
		rc = move_features(wk, &wk->fs, 0, NULL, 0, &g, o->min_box_visible, uw, uh,
				   &view, &fx, &e);
		if (rc)
			return tfr_error_about(err, rc, path, &e);
		if (!o->store) {
			/* The Example is written first with a hole where the
			 * pixels go, and the tensor is made in place: no copy
			 * of it. */
			build_specs(&sp, r, item, NULL, nbytes, ow, oh, info.format, &wk->ls, fx);
			if (sp.oom)
				return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
			rc = tfr_example_encode_at(sp.f, sp.n, out, &hole, &e);
			if (rc)
				return tfr_error_about(err, rc, path, &e);
			rc = tfr_augment_run_into(&o->aug, &wk->img, rnd, &wk->aug,
						  out->data + hole, nbytes, &ow, &oh, &e);
			if (rc)
				return tfr_error_about(err, rc, path, &e);
			count_boxes(st, wk);
			return TFR_OK;
		}
		/* --store: uint8 HWC pixels, encoded, then the Example below. */
		if (tfr_buf_reserve(&wk->pix, nbytes))
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		rc = tfr_augment_run_into(&o->aug, &wk->img, rnd, &wk->aug,
					  wk->pix.data, nbytes, &ow, &oh, &e);
		if (!rc)
			rc = tfr_store_encode((enum tfr_store)o->store, o->store_quality,
					      wk->pix.data, ow, oh, o->aug.channels, &wk->enc, &e);
		if (rc)
			return tfr_error_about(err, rc, path, &e);
		build_specs(&sp, r, item, wk->enc.data, wk->enc.len, ow, oh, info.format,
			    &wk->ls, fx);
	}
	if (sp.oom)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	rc = tfr_example_encode(sp.f, sp.n, out, &e);
	if (rc)
		return tfr_error_about(err, rc, path, &e);
	count_boxes(st, wk);
	return TFR_OK;
}

static int fatal(int rc)
{
	return rc == TFR_ERR_NOMEM || rc == TFR_ERR_INTERRUPTED;
}

/* A skipped item: file comes from the item itself; the error's subject
 * is dropped when it is that file and kept in the reason when it names
 * another one (a --list entry that is missing). */
static int add_skip(struct shard_state *st, const char *file, const struct tfr_error *e)
{
	char why[sizeof(e->subject) + sizeof(e->msg) + 8];

	if (!e->subject[0] || !strcmp(e->subject, file))
		snprintf(why, sizeof(why), "%s", e->msg);
	else
		tfr_error_text(e, why, sizeof(why));
	return tfr_problems_push(&st->skips, file, TFR_NO_POS, TFR_NO_POS, 0, why);
}

static void tick(struct run *r, uint64_t n)
{
	tfr_output_run_tick(r->orun, n);
}

/* Outcome of one unit: write it, skip it, or fail the run. */
static int settle(struct run *r, struct shard_state *st, struct tfr_writer *w,
		  struct tfr_dataset_reader *rd, uint64_t unit, int rc,
		  const struct tfr_buf *rec, struct tfr_error *e,
		  struct tfr_error *err)
{
	const char *file;

	/* The writer would refuse it and fail the run; as an item's
	 * problem it can be skipped. */
	if (rc == TFR_OK && (uint64_t)rec->len > TFR_DEFAULT_MAX_RECORD)
		rc = tfr_error_set(e, TFR_ERR_LIMIT, "its record of %zu bytes exceeds "
				   "the limit of %llu", rec->len,
				   (unsigned long long)TFR_DEFAULT_MAX_RECORD);
	if (rc == TFR_OK) {
		rc = tfr_writer_write(w, rec->data, rec->len, err);
		if (!rc && !r->o->no_stats)
			rc = tfr_stats_add_record(&st->stats, rec->data, rec->len, err);
		return rc;
	}
	/* a dropped duplicate is a skip with or without skip_errors */
	if ((!r->o->skip_errors && !(r->drop && r->drop[unit / r->o->copies])) || fatal(rc)) {
		*err = *e;
		return rc;
	}
	/* The name as the user knows it: the message names it the same way. */
	file = tfr_dataset_where(r->ds, (size_t)(unit / r->o->copies), rd);
	if (!file || add_skip(st, file, e))
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	return TFR_OK;
}

static int finish_shard(struct run *r, uint32_t s, struct shard_state *st,
			struct tfr_writer *w, struct tfr_error *err)
{
	return tfr_output_run_commit(r->orun, s, w, st->skips.v, st->skips.n, st->counts, err);
}

/* Shard s is kept by --resume (1), or opened in *w (0), or failed.  A
 * kept shard's statistics are read back from it (they are a function of
 * its records alone), its counts from the resume state. */
static int start_shard(struct run *r, uint32_t s, struct tfr_writer **w,
		       struct tfr_error *err)
{
	int rc = tfr_output_run_resumed(r->orun, s, r->st[s - r->s0].counts, err);

	if (rc == 1 && !r->o->no_stats) {
		char *path = tfr_shard_name(r->o->out.prefix, s, r->plan.nshards, r->o->out.compression);
		int src;

		if (!path)
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		src = tfr_stats_add_file(&r->st[s - r->s0].stats, path, 0, err);
		free(path);
		if (src)
			return src;
	}
	return rc ? rc : tfr_output_run_open(r->orun, s, w, err);
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

	rc = start_shard(r, s, &w, err);
	if (rc)
		return rc < 0 ? rc : TFR_OK;
	for (p = r->plan.first[s]; p < r->plan.first[s + 1]; p++) {
		struct tfr_error e;

		if (__atomic_load_n(stop, __ATOMIC_RELAXED)) {
			tfr_writer_abort(w);
			return tfr_error_set(err, TFR_ERR_INTERRUPTED, "stopped");
		}
		uint64_t u = unit_at(r, p);

		rc = make_record(r, wk, st, u, &wk->rec, &e);
		rc = settle(r, st, w, &wk->rd, u, rc, &wk->rec, &e, err);
		if (rc) {
			tfr_writer_abort(w);
			return rc;
		}
		tick(r, 1);
	}
	return finish_shard(r, s, st, w, err);
}

/* Batch mode: records of one shard made in parallel into slots. */
struct batch {
	struct run *r;
	struct shard_state *st;
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
	b->status[i] = make_record(b->r, &b->r->workers[wid], b->st,
				   unit_at(b->r, b->base + i), &b->slot[i], &b->errs[i]);
	/* Item failures are settled in order by the writer, so that the
	 * first failure reported is the first in output order; a fatal one
	 * ends the batch here and must carry its message out. */
	if (!fatal(b->status[i]))
		return TFR_OK;
	*err = b->errs[i];
	return b->status[i];
}

static int batch_shard(struct run *r, size_t i, struct tfr_buf *slots,
		       int *status, struct tfr_error *errs, size_t nslots,
		       struct tfr_error *err)
{
	uint32_t s = r->s0 + (uint32_t)i;
	struct shard_state *st = &r->st[i];
	struct tfr_writer *w;
	struct batch b = { r, st, 0, slots, status, errs };
	uint64_t p, end = r->plan.first[s + 1];
	int rc;

	rc = start_shard(r, s, &w, err);
	if (rc)
		return rc < 0 ? rc : TFR_OK;
	for (p = r->plan.first[s]; p < end; p += nslots) {
		size_t n = end - p < nslots ? (size_t)(end - p) : nslots, k;

		b.base = p;
		rc = tfr_parallel_for(n, r->nthreads, slot_task, &b, err);
		if (rc) {
			tfr_writer_abort(w);
			return rc;
		}
		for (k = 0; k < n; k++) {
			/* the workers are idle between batches */
			rc = settle(r, st, w, &r->workers[0].rd, unit_at(r, p + k),
				    status[k], &slots[k], &errs[k], err);
			if (rc) {
				tfr_writer_abort(w);
				return rc;
			}
		}
		tick(r, n);
	}
	return finish_shard(r, s, st, w, err);
}

/* --- planning ----------------------------------------------------------- */

/* Planning's view of the extra features: boxes as listed (none dropped:
 * an upper bound for a crop, exact in encoded mode, though not for masks
 * enlarged by a resize).  Planning is serial: worker 0's scratch. */
static const struct tfr_features *sized_features(struct run *r, struct tfr_features *view)
{
	const struct tfr_features *x;

	if (move_features(&r->workers[0], &r->pfs, r->o->encoded, NULL, 0, NULL, 0, 0, 0,
			  view, &x, NULL))
		return &r->pfs;
	return x;
}

static uint64_t unit_size(void *ctx, uint64_t pos)
{
	struct run *r = ctx;
	uint64_t u = unit_at(r, pos);
	size_t item = (size_t)(u / r->o->copies);
	struct tfr_features view;
	struct specs sp;
	uint32_t ow, oh;
	size_t len;

	if ((r->plan_skip && r->plan_skip[item]) || (r->drop && r->drop[item]))
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
	/* Extra features count in the size; one that cannot be read now
	 * fails its record later, with its message. */
	if (tfr_dataset_features(r->ds, item, &r->prd, &r->pfs, NULL))
		tfr_features_reset(&r->pfs);
	build_specs(&sp, r, item, NULL, len, ow, oh,
		    r->fmt ? (enum tfr_image_format)r->fmt[item] : TFR_IMAGE_JPEG,
		    &r->pls, sized_features(r, &view));
	return tfr_example_size(sp.f, sp.n) + TFR_RECORD_OVERHEAD;
}

static int probe_task(void *ctx, size_t item, int wid, const int *stop,
		      struct tfr_error *err)
{
	struct run *r = ctx;
	struct worker *wk = &r->workers[wid];
	const char *path = tfr_dataset_where(r->ds, item, &wk->rd);
	struct tfr_image_info info;
	struct tfr_error e;
	uint32_t uw, uh, ow, oh;
	int rc;

	(void)stop;
	if (!path)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	if (r->drop && r->drop[item])
		return TFR_OK; /* no record, no size */
	rc = tfr_dataset_read(r->ds, item, &wk->rd, &wk->file, &e);
	path = tfr_dataset_where(r->ds, item, &wk->rd);
	if (!path)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	if (!rc) {
		rc = tfr_image_probe(wk->file.data, wk->file.len, r->o->max_pixels, &info, &e);
		if (rc)
			tfr_error_about(&e, rc, path, &e);
	}
	if (!rc) {
		tfr_image_upright(&info, &uw, &uh);
		if (!r->o->encoded) {
			struct tfr_error e2;

			rc = tfr_augment_shape(&r->o->aug, uw, uh, &ow, &oh, &e2);
			if (rc)
				tfr_error_about(&e, rc, path, &e2);
		}
	}
	if (rc) {
		if (!r->o->skip_errors || fatal(rc)) {
			*err = e;
			return rc;
		}
		/* e is about path: keep the reason (which names any other
		 * file it is about, see tfr_error_about) */
		r->plan_skip[item] = strdup(e.msg);
		if (!r->plan_skip[item])
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		return TFR_OK;
	}
	r->shape_w[item] = r->o->encoded ? info.width : uw;
	r->shape_h[item] = r->o->encoded ? info.height : uh;
	r->fsize[item] = wk->file.len;
	r->fmt[item] = (unsigned char)info.format;
	return TFR_OK;
}

/* The part's statistics: every class of the dataset (so that one with
 * no records shows 0), then each shard's sums added exactly. */
static int stats_json(struct run *r, struct tfr_buf *b, struct tfr_error *err)
{
	struct tfr_stats all;
	size_t i;
	int rc = TFR_OK;

	tfr_stats_init(&all);
	for (i = 0; i < r->ds->nclasses && !rc; i++)
		rc = tfr_stats_add_class(&all, (int64_t)i, r->ds->classes[i], err);
	for (i = 0; i < (size_t)(r->s1 - r->s0) && !rc; i++)
		rc = tfr_stats_merge(&all, &r->st[i].stats, err);
	if (!rc && (tfr_stats_json(b, &all) || tfr_buf_append(b, "", 1)))
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	tfr_stats_release(&all);
	return rc;
}

/* Tell the caller what is about to be written.  Record sizes are known
 * before writing for fixed-shape tensors and whatever was probed; with
 * --store they are those of the uint8 tensor, a bound on the encoding. */
static void project(struct run *r, int probed, uint64_t dropped)
{
	const struct tfr_convert_opts *o = r->o;
	struct tfr_convert_projection pj;
	uint32_t s, fw, fh;
	uint64_t p;

	memset(&pj, 0, sizeof(pj));
	pj.nshards = r->plan.nshards;
	pj.shard_lo = r->s0;
	pj.shard_hi = r->s1;
	/* less the duplicates already known to be dropped (their skips) */
	pj.records = r->plan.first[r->s1] - r->plan.first[r->s0] - dropped;
	pj.shard_min = r->s1 > r->s0 ? UINT64_MAX : 0;
	for (s = r->s0; s < r->s1; s++) {
		uint64_t n = r->plan.first[s + 1] - r->plan.first[s];

		pj.shard_min = n < pj.shard_min ? n : pj.shard_min;
		pj.shard_max = n > pj.shard_max ? n : pj.shard_max;
	}
	pj.bytes_known = probed || (!o->encoded && tfr_augment_fixed_shape(&o->aug, &fw, &fh));
	pj.upper_bound = o->store != 0;
	pj.norm_sample = r->norm_sample;
	pj.channels = o->aug.channels;
	memcpy(pj.mean, r->norm_mean, sizeof(pj.mean));
	memcpy(pj.std, r->norm_std, sizeof(pj.std));
	for (p = r->plan.first[r->s0]; pj.bytes_known && p < r->plan.first[r->s1]; p++)
		pj.bytes += unit_size(r, p);
	o->on_plan(o->on_plan_ctx, &pj);
}

/* --normalize dataset: a first pass over a seeded sample of the inputs,
 * each made as its first copy will be but as uint8 pixels, summed by
 * stats.h (exact in any order, so the values do not depend on -j). */
struct sample_pass {
	struct run view;          /* the run, with uint8 options */
	struct tfr_convert_opts o;
	const uint64_t *items;    /* sampled items, or NULL: all */
	struct tfr_stats *acc;    /* one per worker */
};

static int sample_task(void *ctx, size_t i, int wid, const int *stop,
		       struct tfr_error *err)
{
	struct sample_pass *sp = ctx;
	struct worker *wk = &sp->view.workers[wid];
	uint64_t item = sp->items ? sp->items[i] : i;
	struct tfr_error e;
	int rc;

	(void)stop;
	rc = make_record(&sp->view, wk, NULL, item * sp->o.copies, &wk->rec, &e);
	if (rc) {
		if ((sp->o.skip_errors || (sp->view.drop && sp->view.drop[item])) && !fatal(rc))
			return TFR_OK; /* skipped later, in its shard */
		*err = e;
		return rc;
	}
	return tfr_stats_add_record(&sp->acc[wid], wk->rec.data, wk->rec.len, err);
}

static int dataset_norm(struct run *r, struct tfr_error *err)
{
	struct sample_pass sp;
	struct tfr_stats all;
	uint64_t *order = NULL, n = r->ds->n;
	float mean[3], sd[3];
	unsigned c, nc = 0;
	int i, rc = TFR_OK;

	memset(&sp, 0, sizeof(sp));
	sp.o = *r->o;
	sp.o.aug.dtype = TFR_DTYPE_UINT8;
	sp.o.aug.layout = TFR_LAYOUT_HWC;
	tfr_augment_set_identity(&sp.o.aug);
	sp.o.store = 0;
	sp.view = *r;
	sp.view.o = &sp.o;
	sp.view.plan_skip = NULL;
	if (r->o->stats_sample && r->o->stats_sample < n) {
		/* A seeded choice: the first of a shuffle of the items. */
		rc = tfr_shuffle(n, r->o->seed ^ UINT64_C(0x73616d706c65), &order, err);
		if (rc)
			return rc;
		n = r->o->stats_sample;
		sp.items = order;
	}
	sp.acc = calloc((size_t)r->nthreads, sizeof(*sp.acc));
	if (!sp.acc) {
		free(order);
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < r->nthreads; i++)
		tfr_stats_init(&sp.acc[i]);
	tfr_stats_init(&all);
	rc = tfr_parallel_for((size_t)n, r->nthreads, sample_task, &sp, err);
	for (i = 0; !rc && i < r->nthreads; i++)
		rc = tfr_stats_merge(&all, &sp.acc[i], err);
	if (!rc)
		nc = tfr_stats_mean_std(&all, r->norm_mean, r->norm_std);
	if (!rc && nc != r->o->aug.channels)
		rc = tfr_error_for(err, TFR_ERR_FORMAT, TFR_SETTING_NORMALIZE,
				   "dataset normalization: no image of the sample could be read");
	for (c = 0; !rc && c < nc; c++) {
		if (!(r->norm_std[c] > 0))
			rc = tfr_error_for(err, TFR_ERR_FORMAT, TFR_SETTING_NORMALIZE,
					   "dataset normalization: channel %u does not vary over the sample", c);
		else if (r->o->aug.dtype == TFR_DTYPE_FLOAT16 &&
			 fmax(fabs(r->norm_mean[c]), fabs(1 - r->norm_mean[c])) / r->norm_std[c] > TFR_F16_MAX)
			rc = tfr_error_for(err, TFR_ERR_FORMAT, TFR_SETTING_DTYPE,
					   "dataset normalization: channel %u varies too little (std %g) for "
					   "float16, whose largest value is %g (float32 holds it)",
					   c, r->norm_std[c], TFR_F16_MAX);
		mean[c] = (float)r->norm_mean[c];
		sd[c] = (float)r->norm_std[c];
	}
	if (!rc) {
		for (c = nc; c < 3; c++) {
			mean[c] = mean[0];
			sd[c] = sd[0];
		}
		r->oc = *r->o;
		tfr_augment_set_norm(&r->oc.aug, mean, sd);
		r->o = &r->oc;
		r->norm_sample = n;
	}
	for (i = 0; i < r->nthreads; i++)
		tfr_stats_release(&sp.acc[i]);
	free(sp.acc);
	tfr_stats_release(&all);
	free(order);
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
			tfr_dataset_reader_release(r->ds, &r->workers[i].rd);
			tfr_features_release(&r->workers[i].fs);
			tfr_label_specs_release(&r->workers[i].ls);
			tfr_boxes_scratch_release(&r->workers[i].bx);
			free(r->workers[i].moved);
			tfr_buf_release(&r->workers[i].pix);
			tfr_buf_release(&r->workers[i].enc);
		}
	}
	free(r->workers);
	if (r->st)
		for (i = 0; i < (size_t)(r->s1 - r->s0); i++) {
			tfr_problems_release(&r->st[i].skips);
			tfr_stats_release(&r->st[i].stats);
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
	tfr_dataset_reader_release(r->ds, &r->prd);
	tfr_features_release(&r->pfs);
	tfr_label_specs_release(&r->pls);
	tfr_dedupe_free(r->drop, r->ds->n);
	free(r->fps);
}

/* --dedupe, --against, --fingerprints: mark the dropped items; the
 * earlier runs' fingerprints key --resume (they change the output). */
static int dedupe(struct run *r, struct tfr_error *err)
{
	const struct tfr_convert_opts *o = r->o;
	struct tfr_fp *against = NULL;
	size_t nagainst = 0, i;
	uint64_t ndropped;
	int rc = TFR_OK;

	for (i = 0; i < o->nagainst && !rc; i++)
		rc = tfr_fp_file_read(o->against[i], &against, &nagainst, err);
	if (!rc && nagainst)
		tfr_output_run_key_add(r->orun, against, nagainst * sizeof *against);
	if (!rc && (o->dedupe || nagainst))
		rc = tfr_dedupe_mark(r->ds, o->dedupe == TFR_DEDUPE_EXACT ? TFR_DEDUPE_EXACT
						: TFR_DEDUPE_NEAR,
				     o->dedupe != TFR_DEDUPE_NONE, o->dedupe_distance,
				     r->nthreads, o->max_pixels, against, nagainst,
				     &r->drop, &r->fps, &ndropped, err);
	else if (!rc) {
		unsigned char *bad = malloc(r->ds->n);

		r->fps = malloc(r->ds->n * sizeof *r->fps);
		rc = !bad || !r->fps ? tfr_error_set(err, TFR_ERR_NOMEM, "out of memory")
			: tfr_fp_dataset(r->ds, r->nthreads, o->max_pixels, r->fps, bad, err);
		free(bad);
	}
	free(against);
	return rc;
}

/* PREFIX.fingerprints: the items this run keeps (not dropped, decoded). */
static int write_fingerprints(struct run *r, struct tfr_error *err)
{
	unsigned char *keep = malloc(r->ds->n ? r->ds->n : 1);
	size_t i;
	int rc;

	if (!keep)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	for (i = 0; i < r->ds->n; i++)
		keep[i] = !(r->drop && r->drop[i]) && (r->fps[i].exact || r->fps[i].phash);
	rc = tfr_fp_file_write(r->o->out.prefix, r->fps, keep, r->ds->n, r->o->out.no_fsync, err);
	free(keep);
	return rc;
}

int tfr_convert(const struct tfr_dataset *ds, const struct tfr_convert_opts *o,
		struct tfr_convert_result *res, struct tfr_error *err)
{
	/* Detection sets without image classes list their object classes
	 * (label k is line k of the labels file). */
	struct tfr_option opts[TFR_MAX_OPTIONS];
	struct tfr_manifest m = { .options = opts, .noptions = tfr_convert_options(o, opts),
				  .ninputs = ds->n,
				  .labels = (const char *const *)(ds->nclasses ? ds->classes
								 : ds->object_classes),
				  .nlabels = ds->nclasses ? ds->nclasses : ds->nobject_classes };
	struct tfr_buf sj;        /* the "stats" object */
	struct tfr_buf idb;       /* an item's identity (the run key) */
	struct run r;
	uint32_t fw, fh, s;
	size_t i;
	int rc = TFR_OK, need_probe;

	memset(res, 0, sizeof(*res));
	memset(&r, 0, sizeof(r));
	tfr_buf_init(&sj, 0);
	tfr_buf_init(&idb, 0);
	r.ds = ds;
	r.o = o;
	if (o->copies < 1 || o->out.part_i < 1 || o->out.part_i > o->out.part_n)
		return tfr_error_set(err, TFR_ERR_INVALID, "bad copies or part");
	if (ds->n == 0)
		return tfr_error_set(err, TFR_ERR_INVALID, "no input images");
	if ((uint64_t)ds->n > UINT64_MAX / o->copies)
		return tfr_error_set(err, TFR_ERR_LIMIT, "too many records");
	r.nunits = (uint64_t)ds->n * o->copies;
	{
		struct tfr_output_run_opts ro = o->out;

		ro.command = "convert";
		ro.inputs = NULL; /* the sources check their own files */
		ro.ninputs = 0;

		rc = tfr_output_run_new(&r.orun, &ro, err);
		if (rc)
			return rc;
	}
	/* The run key: what the output bytes depend on. */
	rc = tfr_output_run_key_options(r.orun, m.options, m.noptions, err);
	if (rc) {
		tfr_output_run_free(r.orun, 0);
		return rc;
	}
	for (i = 0; i < ds->n; i++) {
		int64_t label = tfr_dataset_label(ds, i);
		const char *file = tfr_dataset_where(ds, i, &r.prd);

		if (!file) {
			tfr_dataset_reader_release(ds, &r.prd);
			tfr_output_run_free(r.orun, 0);
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		}
		tfr_output_run_key_file(r.orun, file);
		tfr_output_run_key_add(r.orun, &label, sizeof(label));
		/* An archive member or a record has no stat of its own: its
		 * source adds what identifies it (tfrec-convert(1) RESUME). */
		if (tfr_dataset_identity(ds, i, &idb)) {
			tfr_buf_release(&idb);
			tfr_dataset_reader_release(ds, &r.prd);
			tfr_output_run_free(r.orun, 0);
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		}
		tfr_output_run_key_add(r.orun, idb.data, idb.len);
	}
	tfr_buf_release(&idb);
	for (i = 0; i < ds->nclasses; i++)
		tfr_output_run_key_add(r.orun, ds->classes[i], strlen(ds->classes[i]) + 1);
	for (i = 0; i < ds->nobject_classes; i++)
		tfr_output_run_key_add(r.orun, ds->object_classes[i],
				       strlen(ds->object_classes[i]) + 1);
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

	/* (1c) duplicates (hygiene/dedupe.h): every part fingerprints the
	 * whole input, so all parts drop the same items. */
	if (o->dedupe || o->nagainst || o->fingerprints) {
		rc = dedupe(&r, err);
		if (rc)
			goto out;
	}

	/* (1b) --normalize dataset: the values, before any record is made. */
	if (o->norm_dataset) {
		rc = dataset_norm(&r, err);
		if (rc)
			goto out;
		o = r.o;
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
	rc = tfr_output_run_plan(r.orun, &r.plan, &r.s0, &r.s1, err);
	if (rc)
		goto out;
	res->units = r.plan.first[r.s1] - r.plan.first[r.s0];
	if (r.drop) {
		uint64_t pos;

		for (pos = r.plan.first[r.s0]; pos < r.plan.first[r.s1]; pos++)
			res->dropped += r.drop[(size_t)(unit_at(&r, pos) / o->copies)] != NULL;
	}
	if (o->on_plan)
		project(&r, need_probe, res->dropped);
	r.st = calloc((size_t)(r.s1 - r.s0) + 1, sizeof(*r.st));
	if (!r.st) {
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < (size_t)(r.s1 - r.s0); i++)
		tfr_stats_init(&r.st[i].stats);

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

	/* (4) the manifest.  Skips in output order: each shard's, then the
	 * inputs that could not be listed. */
	for (i = 0; i < ds->nbad && !rc; i++)
		rc = tfr_output_run_problem(r.orun, TFR_NO_POS, ds->bad[i].file, ds->bad[i].record,
					    ds->bad[i].offset, 0, ds->bad[i].reason, err);
	res->boxes_kept = res->boxes_dropped = 0;
	res->detection = 0;
	for (s = r.s0; s < r.s1; s++) {
		const uint64_t *cnt = r.st[s - r.s0].counts;

		res->boxes_kept += cnt[0];
		res->boxes_dropped += cnt[1];
		res->detection |= cnt[2] > 0;
	}
	m.boxes = res->detection;
	m.boxes_kept = res->boxes_kept;
	m.boxes_dropped = res->boxes_dropped;
	m.annotation_problems = ds->nbad;
	if (!rc && !o->no_stats) {
		rc = stats_json(&r, &sj, err);
		m.stats_json = (const char *)sj.data;
	}
	if (!rc && r.fps && (o->fingerprints || o->dedupe) && o->out.part_i == 1)
		rc = write_fingerprints(&r, err);
out:
	rc = tfr_output_run_end(r.orun, rc, &m, &res->out, err);
	tfr_buf_release(&sj);
	run_release(&r);
	return rc;
}
