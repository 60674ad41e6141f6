/*
 * hygiene/inputs.c - see inputs.h.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/parallel.h"
#include "hygiene/inputs.h"
#include "readback/inspect.h"

/* The listing of an input: its own, or the caller's.  (Not a pointer
 * to its own member: the array of inputs moves as it grows.) */
static const struct tfr_dataset *ds_of(const struct tfr_fp_input *in)
{
	return in->dsp ? in->dsp : &in->ds;
}

void tfr_fp_inputs_init(struct tfr_fp_inputs *s)
{
	memset(s, 0, sizeof *s);
	tfr_buf_init(&s->label, 0);
}

static void problems_free(struct tfr_problem *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(p[i].file);
		free(p[i].reason);
	}
	free(p);
}

void tfr_fp_inputs_release(struct tfr_fp_inputs *s)
{
	size_t i, k;

	for (i = 0; i < s->nin; i++) {
		struct tfr_fp_input *in = &s->in[i];

		tfr_dataset_release(&in->ds);  /* empty when borrowed */
		for (k = 0; in->shard && k < in->n; k++) {
			free(in->names[k]);
			free(in->labels[k]);
		}
		free(in->names);
		free(in->labels);
		free(in->sfp);
	}
	free(s->in);
	free(s->fp);
	free(s->skip);
	problems_free(s->prob, s->nprob);
	tfr_buf_release(&s->label);
	tfr_fp_inputs_init(s);
}

static struct tfr_fp_input *grow_inputs(struct tfr_fp_inputs *s, struct tfr_error *err)
{
	struct tfr_fp_input *v = tfr_grow_array(s->in, &s->cap, s->nin + 1, sizeof *v);

	if (!v) {
		tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		return NULL;
	}
	s->in = v;
	memset(&v[s->nin], 0, sizeof *v);
	return &v[s->nin++];
}

int tfr_fp_inputs_add(struct tfr_fp_inputs *s, const char *path, const char *split,
		      const char *kind, struct tfr_error *err)
{
	struct tfr_fp_input *in = grow_inputs(s, err);

	if (!in)
		return TFR_ERR_NOMEM;
	in->path = path;
	in->split = split;
	in->kind = kind;
	tfr_dataset_init(&in->ds);
	return TFR_OK;
}

int tfr_fp_inputs_add_dataset(struct tfr_fp_inputs *s, const struct tfr_dataset *ds,
			      struct tfr_error *err)
{
	struct tfr_fp_input *in = grow_inputs(s, err);

	if (!in)
		return TFR_ERR_NOMEM;
	in->path = "";
	tfr_dataset_init(&in->ds);
	in->dsp = ds;
	in->listed = 1;
	in->first = s->n;
	in->n = ds->n;
	s->n += ds->n;
	return TFR_OK;
}

/* Whether the first record of path holds a tensor (image/raw), as
 * convert writes them. */
static int first_is_tensor(void *ctx, const char *file, const struct tfr_record *rec,
			   const struct tfr_example *ex, struct tfr_error *err)
{
	struct tfr_feature_view v;

	(void)file;
	(void)rec;
	(void)err;
	*(int *)ctx = ex && tfr_example_find(ex, "image/raw", &v);
	return TFR_INSPECT_STOP;
}

static int is_tensor_shard(const char *path)
{
	struct tfr_inspect_opts o;
	struct tfr_inspect_stats st;
	struct tfr_error e;
	struct stat sb;
	int yes = 0;

	if (stat(path, &sb) || !S_ISREG(sb.st_mode))
		return 0;
	memset(&o, 0, sizeof o);
	memset(&st, 0, sizeof st);
	o.on_record = first_is_tensor;
	o.ctx = &yes;
	if (tfr_inspect_file(path, &o, &st, &e))
		yes = 0;
	tfr_inspect_stats_release(&st);
	return yes;
}

static int shard_record(void *ctx, const char *file, const struct tfr_record *rec,
			const struct tfr_example *ex, struct tfr_error *err)
{
	struct tfr_fp_input *in = ctx;
	struct tfr_picture p;
	struct tfr_error e;
	int rc;

	(void)file;
	if (!ex) {
		rc = tfr_error_at(err, TFR_ERR_FORMAT, rec->index, rec->offset,
				  "record %llu is not an Example", (unsigned long long)rec->index);
		tfr_error_subject(err, in->path);
		return rc;
	}
	if (in->n == in->cap) {
		size_t nc = in->cap ? in->cap * 2 : 256;
		char **a = realloc(in->names, nc * sizeof *a);
		char **b = a ? realloc(in->labels, nc * sizeof *b) : NULL;
		struct tfr_fp *c = b ? realloc(in->sfp, nc * sizeof *c) : NULL;

		if (a)
			in->names = a;
		if (b)
			in->labels = b;
		if (!c)
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		in->sfp = c;
		in->cap = nc;
	}
	memset(&p, 0, sizeof p);
	tfr_error_clear(&e);
	rc = tfr_export_record(ex, &p, &e);
	if (!rc)
		rc = tfr_fp_pixels(p.pixels, p.width, p.height, p.channels, p.width,
				   p.height, &in->sfp[in->n], &e);
	if (rc) {
		tfr_picture_release(&p);
		tfr_error_at(err, rc, rec->index, rec->offset, "record %llu: %s",
			     (unsigned long long)rec->index, e.msg);
		tfr_error_subject(err, in->path);
		return rc;
	}
	in->names[in->n] = strdup(p.name);
	in->labels[in->n] = p.label[0] ? strdup(p.label) : NULL;
	tfr_picture_release(&p);
	if (!in->names[in->n] || (p.label[0] && !in->labels[in->n])) {
		free(in->names[in->n]);
		free(in->labels[in->n]);
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	}
	in->n++;
	return TFR_OK;
}

static int read_shard(struct tfr_fp_input *in, struct tfr_error *err)
{
	struct tfr_inspect_opts o;
	struct tfr_inspect_stats st;
	int rc;

	memset(&o, 0, sizeof o);
	memset(&st, 0, sizeof st);
	o.on_record = shard_record;
	o.ctx = in;
	rc = tfr_inspect_file(in->path, &o, &st, err);
	tfr_inspect_stats_release(&st);
	return rc;
}

static int list_one(struct tfr_fp_inputs *s, struct tfr_fp_input *in,
		    const struct tfr_source_opts *so, struct tfr_error *err)
{
	size_t k;
	int rc;

	if (!in->kind && is_tensor_shard(in->path)) {
		in->shard = 1;
		return read_shard(in, err);
	}
	rc = in->kind ? tfr_dataset_add_kind(&in->ds, in->kind, in->path, so, err)
		      : tfr_dataset_add_path(&in->ds, in->path, so, err);
	if (rc)
		return rc;
	for (k = 0; k < in->ds.nbad; k++) {
		const struct tfr_problem *b = &in->ds.bad[k];

		if (tfr_problem_append(&s->prob, &s->nprob, &s->prob_cap, b->file, b->record,
				b->offset, 0, b->reason))
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	}
	s->nlisted = s->nprob;
	if ((rc = tfr_dataset_finish(&in->ds, NULL, 0, err)))
		return rc;
	in->n = in->ds.n;
	return TFR_OK;
}

int tfr_fp_inputs_list(struct tfr_fp_inputs *s, const struct tfr_source_opts *so,
		       struct tfr_error *err)
{
	size_t i;
	int rc;

	for (i = 0; i < s->nin; i++) {
		struct tfr_fp_input *in = &s->in[i];

		if (in->listed)
			continue;
		in->first = s->n;
		if ((rc = list_one(s, in, so, err)))
			return rc;
		in->listed = 1;
		s->n += in->n;
	}
	if (s->n > TFR_FP_INPUTS_MAX)
		return tfr_error_set(err, TFR_ERR_LIMIT, "more than %u images",
				     (unsigned)TFR_FP_INPUTS_MAX);
	return TFR_OK;
}

const struct tfr_fp_input *tfr_fp_inputs_at(const struct tfr_fp_inputs *s, size_t g)
{
	size_t lo = 0, hi = s->nin;

	/* the last input whose first <= g */
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (s->in[mid].first <= g)
			lo = mid;
		else
			hi = mid;
	}
	/* empty inputs share their first with the next: skip them */
	while (lo + 1 < s->nin && s->in[lo].first + s->in[lo].n <= g)
		lo++;
	return &s->in[lo];
}

const char *tfr_fp_inputs_name(const struct tfr_fp_inputs *s, size_t g)
{
	const struct tfr_fp_input *in = tfr_fp_inputs_at(s, g);

	return in->shard ? in->names[g - in->first] : tfr_dataset_name(ds_of(in), g - in->first);
}

const char *tfr_fp_inputs_path(const struct tfr_fp_inputs *s, size_t g)
{
	const struct tfr_fp_input *in = tfr_fp_inputs_at(s, g);

	return in->shard ? in->names[g - in->first]
			 : tfr_dataset_filename(ds_of(in), g - in->first);
}

const char *tfr_fp_inputs_label(struct tfr_fp_inputs *s, size_t g)
{
	const struct tfr_fp_input *in = tfr_fp_inputs_at(s, g);
	const int32_t *ids;
	size_t n, k;
	int rc = 0;

	if (in->shard)
		return in->labels[g - in->first];
	n = tfr_dataset_labels(ds_of(in), g - in->first, &ids);
	if (!n)
		return NULL;
	s->label.len = 0;
	for (k = 0; k < n; k++) {
		if (k)
			rc |= tfr_buf_puts(&s->label, ",");
		rc |= tfr_buf_puts(&s->label, ds_of(in)->classes[ids[k]]);
	}
	rc |= tfr_buf_append(&s->label, "", 1);
	return rc ? NULL : (const char *)s->label.data;
}

/* The threaded loop: one slot per item, a reader per input per worker. */
struct skipped {
	size_t g;                 /* the item */
	struct tfr_problem p;
};

struct fpjob {
	struct tfr_fp_inputs *s;
	uint64_t max_pixels;
	int keep_going;
	struct fpworker {
		struct tfr_dataset_reader *rd;  /* one per input */
		struct tfr_buf data;
		struct tfr_image img;
		struct skipped *skip;           /* this worker's skipped items */
		size_t nskip, cap;
	} *w;
};

static int fp_one(struct fpjob *j, size_t g, struct fpworker *w, struct tfr_error *err)
{
	struct tfr_fp_inputs *s = j->s;
	const struct tfr_fp_input *in = tfr_fp_inputs_at(s, g);
	size_t k = (size_t)(in - s->in), i = g - in->first;
	struct tfr_error e;
	int rc;

	if (in->shard) {
		s->fp[g] = in->sfp[i];
		return TFR_OK;
	}
	rc = tfr_dataset_read(ds_of(in), i, &w->rd[k], &w->data, err);
	if (!rc) {
		tfr_error_clear(&e);
		rc = tfr_fp_image(w->data.data, w->data.len, j->max_pixels, &w->img,
				  &s->fp[g], &e);
		/* the codec's reason does not name the item */
		if (rc) {
			const char *where = tfr_dataset_where(ds_of(in), i, &w->rd[k]);

			tfr_error_about(err, rc, where ? where : "?", &e);
		}
	}
	return rc;
}

static int fp_task(void *ctx, size_t g, int wk, const int *stop, struct tfr_error *err)
{
	struct fpjob *j = ctx;
	struct fpworker *w = &j->w[wk];
	struct skipped *v;
	struct tfr_error e;
	int rc;

	if (*stop)
		return TFR_ERR_INTERRUPTED;
	tfr_error_clear(&e);
	rc = fp_one(j, g, w, &e);
	if (rc && (rc == TFR_ERR_NOMEM || rc == TFR_ERR_INTERRUPTED || !j->keep_going)) {
		*err = e;
		return rc;
	}
	if (!rc)
		return TFR_OK;
	j->s->skip[g] = 1;
	memset(&j->s->fp[g], 0, sizeof j->s->fp[g]);
	v = tfr_grow_array(w->skip, &w->cap, w->nskip + 1, sizeof *v);
	if (!v)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	w->skip = v;
	v += w->nskip;
	memset(v, 0, sizeof *v);
	v->g = g;
	v->p.record = e.record;
	v->p.offset = e.offset;
	v->p.file = strdup(e.subject[0] ? e.subject : "?");
	v->p.reason = strdup(e.msg[0] ? e.msg : tfr_status_str(rc));
	w->nskip++;  /* freed with the worker, even when half made */
	if (!v->p.file || !v->p.reason)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	return TFR_OK;
}

static int by_item(const void *a, const void *b)
{
	size_t x = ((const struct skipped *)a)->g, y = ((const struct skipped *)b)->g;

	return x < y ? -1 : x > y;
}

/* Move the workers' skipped items into s->prob, in input order (which
 * worker took which item depends on timing). */
static int collect_skips(struct tfr_fp_inputs *s, struct fpworker *w, int nt,
			 struct tfr_error *err)
{
	size_t total = 0, n = 0, i;
	struct skipped *all;
	struct tfr_problem *v;
	int k;

	for (k = 0; k < nt; k++)
		total += w[k].nskip;
	if (!total)
		return TFR_OK;
	all = malloc(total * sizeof *all);
	v = all ? tfr_grow_array(s->prob, &s->prob_cap, s->nprob + total, sizeof *v) : NULL;
	if (!v) {
		free(all);
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	}
	s->prob = v;
	for (k = 0; k < nt; k++) {
		if (w[k].nskip)  /* skip is NULL for a worker with none */
			memcpy(all + n, w[k].skip, w[k].nskip * sizeof *all);
		n += w[k].nskip;
		w[k].nskip = 0;  /* moved */
	}
	qsort(all, total, sizeof *all, by_item);
	for (i = 0; i < total; i++)
		v[s->nprob++] = all[i].p;
	free(all);
	return TFR_OK;
}

int tfr_fp_inputs_fingerprint(struct tfr_fp_inputs *s, int threads, uint64_t max_pixels,
			      int keep_going, struct tfr_error *err)
{
	struct fpjob j;
	int nt = tfr_parallel_threads(threads), k, rc = TFR_OK;
	size_t i;

	free(s->fp);
	free(s->skip);
	s->fp = calloc(s->n ? s->n : 1, sizeof *s->fp);
	s->skip = calloc(s->n ? s->n : 1, 1);
	j.s = s;
	j.max_pixels = max_pixels;
	j.keep_going = keep_going;
	j.w = calloc((size_t)nt, sizeof *j.w);
	if (!s->fp || !s->skip || !j.w)
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	for (k = 0; !rc && k < nt; k++) {
		j.w[k].rd = calloc(s->nin ? s->nin : 1, sizeof *j.w[k].rd);
		if (!j.w[k].rd)
			rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	}
	if (!rc)
		rc = tfr_parallel_for(s->n, nt, fp_task, &j, err);
	if (!rc)
		rc = collect_skips(s, j.w, nt, err);
	for (k = 0; j.w && k < nt; k++) {
		for (i = 0; j.w[k].rd && i < s->nin; i++)
			if (s->in[i].listed)
				tfr_dataset_reader_release(ds_of(&s->in[i]), &j.w[k].rd[i]);
		free(j.w[k].rd);
		tfr_buf_release(&j.w[k].data);
		tfr_image_release(&j.w[k].img);
		for (i = 0; i < j.w[k].nskip; i++) {
			free(j.w[k].skip[i].p.file);
			free(j.w[k].skip[i].p.reason);
		}
		free(j.w[k].skip);
	}
	free(j.w);
	return rc;
}

int tfr_fp_inputs_sheet(const struct tfr_fp_inputs *s, const uint32_t *member,
			size_t count, uint64_t max_pixels, struct tfr_sheet *sheet,
			struct tfr_error *err)
{
	struct tfr_picture p;
	struct tfr_image img;
	struct tfr_decode_opts o;
	struct tfr_buf data;
	struct tfr_dataset_reader *rd = calloc(s->nin ? s->nin : 1, sizeof *rd);
	size_t k, c;
	int rc;

	memset(sheet, 0, sizeof *sheet);
	if (!rd)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	memset(&p, 0, sizeof p);
	memset(&img, 0, sizeof img);
	memset(&o, 0, sizeof o);
	tfr_buf_init(&data, 0);
	o.channels = 3;
	o.max_pixels = max_pixels;
	o.min_width = o.min_height = TFR_EXPORT_SHEET_CELL;
	if (count > TFR_EXPORT_SHEET_MAX)
		count = TFR_EXPORT_SHEET_MAX;
	rc = tfr_sheet_init(sheet, (uint32_t)count, TFR_EXPORT_SHEET_CELL, err);
	for (k = 0; !rc && k < count; k++) {
		const struct tfr_fp_input *in = tfr_fp_inputs_at(s, member[k]);
		size_t ki = (size_t)(in - s->in);

		if (in->shard) {
			sheet->n++;  /* a grey cell */
			continue;
		}
		if ((rc = tfr_dataset_read(ds_of(in), member[k] - in->first, &rd[ki], &data, err)) ||
		    (rc = tfr_image_decode(data.data, data.len, &o, &img, err)))
			break;
		p.width = img.width;
		p.height = img.height;
		p.channels = img.channels;
		p.pixels = img.pixels;
		tfr_sheet_add(sheet, &p);
	}
	if (!rc)
		tfr_sheet_finish(sheet);
	tfr_image_release(&img);
	tfr_buf_release(&data);
	for (c = 0; c < s->nin; c++)
		tfr_dataset_reader_release(ds_of(&s->in[c]), &rd[c]);
	free(rd);
	return rc;
}
