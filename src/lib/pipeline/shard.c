/*
 * shard.c - the shard driver; see shard.h.
 *
 * Pass 1 reads every input once, in order, checking CRCs (or salvaging),
 * and notes what pass 2 needs:
 *
 *  - unshuffled: record counts, a checkpoint (input, offset, position)
 *    at every input's start and every CKPT_EVERY records of uncompressed
 *    inputs, and for --shard-size the shard boundaries, found greedily
 *    as the sizes stream by.  Memory: O(records / CKPT_EVERY).
 *
 *  - shuffled: each record gets a random 64-bit key and a 32-byte entry
 *    (key, position, offset, length, input) that is scattered into one
 *    of 256 bucket files by the key's top byte.  Uncompressed inputs are
 *    later read back by offset (pread), so only the entry is stored;
 *    records of compressed inputs, which cannot be read by offset, are
 *    appended to one spill file and the entry points there.  A bucket
 *    too large for its share of the memory budget is split again by the
 *    next key byte, recursively.  Sorting each bucket in memory and
 *    visiting buckets in order gives all records in key order: a perfect
 *    shuffle (keys are distinct with overwhelming probability; ties are
 *    broken by position), deterministic for a seed, using memory for one
 *    bucket per worker.  Spill and bucket files are unlinked as soon as
 *    they are created, so nothing is left behind even after SIGKILL.
 *
 * Pass 2 splits this part's shards into contiguous groups, one per
 * worker.  A group walks its range of output positions, from the nearest
 * checkpoint (unshuffled) or through the buckets that cover it
 * (shuffled), and writes its shards one after another.  Every position's
 * record is fixed by pass 1, so the bytes do not depend on the grouping.
 */
#include "config.h"
#include "pipeline/shard.h"
#include "pipeline/extsort.h"
#include "pipeline/options.h"
#include "base/fileio.h"
#include "output/output.h"
#include "base/parallel.h"
#include "base/rng.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CKPT_EVERY 4096
#define SPILL (UINT32_MAX)
#define KEY_TAG UINT64_C(0x7368756666)

struct ckpt {
	uint64_t pos, off, index;
	uint32_t src;
};

struct run {
	const struct tfr_shard_opts *o;
	const char *const *inputs;
	size_t ninputs;
	enum tfr_compression *comp;
	uint64_t n;               /* records in all inputs */
	struct ckpt *ck;
	size_t nck, ck_cap;
	/* --shard-size boundaries, planned as sizes stream by */
	struct tfr_plan_bytes pb;
	/* shuffle */
	struct tfr_extsort *sort;  /* the records' keys (extsort.h) */
	int spill_fd;
	unsigned char *sbuf;
	size_t slen, scap;
	uint64_t spill_off;
	char *tmpdir;
	/* output */
	struct tfr_plan plan;
	uint32_t s0, s1;
	int nthreads;
	struct tfr_output_run *orun; /* everything written, and the prefix */
	const char *cur_input;    /* for skip reports */
	int report_skips;
};

/* ------------------------------------------------------------ helpers */

void tfr_shard_result_release(struct tfr_shard_result *res)
{
	if (res)
		tfr_output_result_release(&res->out); /* zeroes it */
}

static void on_skip(void *ctx, uint64_t index, uint64_t off, uint64_t len,
		    const char *why)
{
	struct run *r = ctx;

	/* Only pass 1 reports: pass 2 reads the same spans again.  A span
	 * goes to the part that holds the next record in input order (with
	 * --shuffle, that position of the output), so a split run lists it
	 * once.  Out of memory loses the report, not data. */
	if (r->report_skips)
		tfr_output_run_problem(r->orun, r->n, r->cur_input, index, off, len, why, NULL);
}

static struct tfr_reader_opts reader_opts(struct run *r)
{
	struct tfr_reader_opts ro = { .compression = TFR_COMP_AUTO,
				      .max_record = r->o->max_record,
				      .salvage = r->o->salvage,
				      .on_skip = on_skip, .skip_ctx = r };

	return ro;
}

/* ------------------------------------------------------------ pass 1 */

static int add_ckpt(struct run *r, uint32_t src, uint64_t off, uint64_t index)
{
	if (r->nck == r->ck_cap) {
		size_t ncap = r->ck_cap ? r->ck_cap * 2 : 64;
		struct ckpt *p = realloc(r->ck, ncap * sizeof(*p));

		if (!p)
			return TFR_ERR_NOMEM;
		r->ck = p;
		r->ck_cap = ncap;
	}
	r->ck[r->nck].pos = r->n;
	r->ck[r->nck].off = off;
	r->ck[r->nck].index = index;
	r->ck[r->nck].src = src;
	r->nck++;
	return TFR_OK;
}

static int flush_spill(struct run *r, struct tfr_error *err)
{
	if (r->slen && tfr_write_all(r->spill_fd, r->sbuf, r->slen))
		return tfr_error_sys(err, errno, "cannot write a temporary file in '%s'", r->tmpdir);
	r->slen = 0;
	return TFR_OK;
}

static int scatter(struct run *r, uint32_t src, const struct tfr_record *rec,
		   struct tfr_error *err)
{
	struct tfr_extsort_ent e;
	int rc;

	e.key = tfr_rand3(r->o->seed, KEY_TAG, r->n);
	e.pos = r->n;
	e.len = (uint32_t)rec->len;
	e.src = src;
	e.off = rec->offset;
	if (r->comp[src] != TFR_COMP_NONE) {
		/* Not addressable by offset: keep the payload in the spill. */
		e.src = SPILL;
		e.off = r->spill_off;
		if (rec->len > r->scap - r->slen) {
			rc = flush_spill(r, err);
			if (rc)
				return rc;
		}
		if (rec->len > r->scap) {
			if (tfr_write_all(r->spill_fd, rec->data, rec->len))
				return tfr_error_sys(err, errno, "cannot write a temporary file in '%s'", r->tmpdir);
		} else {
			memcpy(r->sbuf + r->slen, rec->data, rec->len);
			r->slen += rec->len;
		}
		r->spill_off += rec->len;
	}
	return tfr_extsort_add(r->sort, &e, err);
}

static int pass1(struct run *r, struct tfr_error *err)
{
	struct tfr_reader_opts ro = reader_opts(r);
	size_t i;
	int rc = TFR_OK;

	r->report_skips = 1;
	for (i = 0; i < r->ninputs && !rc; i++) {
		struct tfr_reader *rd;
		struct tfr_record rec;
		uint64_t k = 0;

		r->cur_input = r->inputs[i];
		rc = tfr_reader_open(&rd, r->inputs[i], &ro, err);
		if (rc)
			break;
		r->comp[i] = tfr_reader_compression(rd);
		if (!r->o->shuffle && add_ckpt(r, (uint32_t)i, 0, 0)) {
			tfr_reader_free(rd);
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		}
		while ((rc = tfr_reader_next(rd, &rec, err)) == TFR_OK) {
			if (!r->o->shuffle) {
				if (k && k % CKPT_EVERY == 0 && r->comp[i] == TFR_COMP_NONE &&
				    add_ckpt(r, (uint32_t)i, rec.offset, rec.index)) {
					rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
					break;
				}
				if (r->o->plan.mode == TFR_PLAN_BYTES) {
					rc = tfr_plan_bytes_add(&r->pb, rec.len + TFR_RECORD_OVERHEAD, err);
					if (rc)
						break;
				}
			} else {
				rc = scatter(r, (uint32_t)i, &rec, err);
				if (rc)
					break;
			}
			r->n++;
			k++;
		}
		if (rc == TFR_EOF)
			rc = TFR_OK;
		tfr_reader_free(rd);
	}
	r->report_skips = 0;
	if (!rc && r->o->shuffle)
		rc = flush_spill(r, err);
	return rc;
}

/* --shard-size over the shuffled order: walk the leaves in order. */
static int shuffled_bounds(struct run *r, struct tfr_error *err)
{
	size_t i;
	int rc = TFR_OK;

	for (i = 0; i < tfr_extsort_nleaves(r->sort) && !rc; i++) {
		struct tfr_extsort_ent *a;
		uint64_t k, first, count;

		tfr_extsort_leaf(r->sort, i, &first, &count);
		rc = tfr_extsort_load(r->sort, i, &a, err);
		for (k = 0; !rc && k < count; k++)
			rc = tfr_plan_bytes_add(&r->pb, (uint64_t)a[k].len + TFR_RECORD_OVERHEAD, err);
		if (!rc)
			free(a);
	}
	return rc;
}

/* ------------------------------------------------------------ pass 2 */

struct sink {
	struct run *r;
	uint32_t cur;             /* shard being written */
	struct tfr_writer *w;
	uint32_t end;             /* one past the group's last shard */
};

static int sink_open(struct sink *k, struct tfr_error *err)
{
	return tfr_output_run_open(k->r->orun, k->cur, &k->w, err);
}

static int sink_close(struct sink *k, struct tfr_error *err)
{
	int rc = tfr_output_run_commit(k->r->orun, k->cur, k->w, NULL, 0, NULL, err);

	k->w = NULL;
	return rc;
}

/* Put the record at position pos, which is in [first[cur], first[end]). */
static int sink_put(struct sink *k, uint64_t pos, const void *data, size_t len,
		    struct tfr_error *err)
{
	const uint64_t *first = k->r->plan.first;
	int rc;

	while (pos >= first[k->cur + 1]) {
		if (!k->w && (rc = sink_open(k, err)))
			return rc;
		if ((rc = sink_close(k, err)))
			return rc;
		k->cur++;
	}
	if (!k->w && (rc = sink_open(k, err)))
		return rc;
	rc = tfr_writer_write(k->w, data, len, err);
	if (!rc)
		tfr_output_run_tick(k->r->orun, 1);
	return rc;
}

/* Close the current shard and make any empty ones left in the group. */
static int sink_finish(struct sink *k, struct tfr_error *err)
{
	int rc;

	while (k->cur < k->end) {
		if (!k->w && (rc = sink_open(k, err)))
			return rc;
		if ((rc = sink_close(k, err)))
			return rc;
		k->cur++;
	}
	return TFR_OK;
}

struct group_ctx {
	struct run *r;
	uint32_t ngroups;
};

static void group_range(const struct run *r, uint32_t ngroups, size_t g,
			uint32_t *g0, uint32_t *g1)
{
	uint64_t span = r->s1 - r->s0;

	*g0 = r->s0 + (uint32_t)(span * g / ngroups);
	*g1 = r->s0 + (uint32_t)(span * (g + 1) / ngroups);
}

/* Unshuffled: read from the checkpoint at or before P0. */
static int group_sequential(struct run *r, struct sink *k, uint64_t p0, uint64_t p1,
			    struct tfr_error *err)
{
	struct tfr_reader_opts ro = reader_opts(r);
	size_t lo = 0, hi = r->nck, c;
	uint64_t pos;
	uint32_t src;
	int rc = TFR_OK;

	if (p0 >= p1)
		return TFR_OK;
	while (hi - lo > 1) { /* last checkpoint with pos <= p0 */
		size_t mid = (lo + hi) / 2;

		if (r->ck[mid].pos <= p0)
			lo = mid;
		else
			hi = mid;
	}
	c = lo;
	pos = r->ck[c].pos;
	for (src = r->ck[c].src; src < r->ninputs && pos < p1 && !rc; src++) {
		struct tfr_reader *rd;
		struct tfr_record rec;

		rc = tfr_reader_open(&rd, r->inputs[src], &ro, err);
		if (rc)
			break;
		if (src == r->ck[c].src && r->ck[c].off)
			rc = tfr_reader_seek(rd, r->ck[c].off, r->ck[c].index, err);
		while (!rc && pos < p1) {
			/* Without salvage, headers alone can skip ahead: pass 1
			 * already checked every CRC.  With salvage the skips must
			 * be found again, so every record is read whole. */
			if (pos < p0 && !r->o->salvage)
				rc = tfr_reader_next_header(rd, &rec, err);
			else
				rc = tfr_reader_next(rd, &rec, err);
			if (rc)
				break;
			if (pos >= p0)
				rc = sink_put(k, pos, rec.data, (size_t)rec.len, err);
			pos++;
		}
		if (rc == TFR_EOF)
			rc = TFR_OK;
		tfr_reader_free(rd);
	}
	if (!rc && pos < p1)
		rc = tfr_error_set(err, TFR_ERR_IO, "an input changed while it was being read");
	return rc;
}

/* Shuffled: visit the leaves covering [p0, p1) in order. */
static int group_shuffled(struct run *r, struct sink *k, uint64_t p0, uint64_t p1,
			  struct tfr_error *err)
{
	int *fds = NULL;
	unsigned char *buf = NULL;
	size_t bufcap = 0, i;
	int rc = TFR_OK;

	if (p0 >= p1)
		return TFR_OK;
	fds = malloc(r->ninputs * sizeof(int));
	if (!fds)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	for (i = 0; i < r->ninputs; i++)
		fds[i] = -1;
	for (i = 0; i < tfr_extsort_nleaves(r->sort) && !rc; i++) {
		struct tfr_extsort_ent *a;
		uint64_t j, lo, hi, first, count;

		tfr_extsort_leaf(r->sort, i, &first, &count);
		if (first + count <= p0 || first >= p1)
			continue;
		rc = tfr_extsort_load(r->sort, i, &a, err);
		if (rc)
			break;
		lo = p0 > first ? p0 - first : 0;
		hi = p1 - first < count ? p1 - first : count;
		for (j = lo; j < hi && !rc; j++) {
			const struct tfr_extsort_ent *e = &a[j];
			size_t need = (size_t)e->len + TFR_RECORD_OVERHEAD;
			const unsigned char *data;

			if (need > bufcap) {
				unsigned char *p = realloc(buf, need);

				if (!p) {
					rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
					break;
				}
				buf = p;
				bufcap = need;
			}
			if (e->src == SPILL) {
				if (tfr_pread_all(r->spill_fd, buf, e->len, e->off)) {
					rc = tfr_error_sys(err, errno, "cannot read a temporary file");
					break;
				}
				data = buf;
			} else {
				if (fds[e->src] < 0) {
					fds[e->src] = open(r->inputs[e->src], O_RDONLY | O_CLOEXEC);
					if (fds[e->src] < 0) {
						rc = tfr_error_sys(err, errno, "cannot open '%s'", r->inputs[e->src]);
						break;
					}
				}
				if (tfr_pread_all(fds[e->src], buf, need, e->off)) {
					rc = tfr_error_sys(err, errno, "cannot read '%s'", r->inputs[e->src]);
					break;
				}
				/* The file was checked in pass 1; check again that
				 * it has not changed since. */
				if (!tfr_record_check(buf, e->len)) {
					rc = tfr_error_at(err, TFR_ERR_CORRUPT, TFR_NO_POS, e->off,
							  "'%s': record at offset %llu changed since "
							  "it was first read", r->inputs[e->src],
							  (unsigned long long)e->off);
					break;
				}
				data = buf + 12;
			}
			rc = sink_put(k, first + j, data, e->len, err);
		}
		free(a);
	}
	for (i = 0; i < r->ninputs; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	free(buf);
	return rc;
}

static int group_task(void *ctx, size_t g, int w, const int *stop,
		      struct tfr_error *err)
{
	struct group_ctx *gc = ctx;
	struct run *r = gc->r;
	struct sink k = { r, 0, NULL, 0 };
	uint32_t g0, g1;
	int rc;

	(void)w;
	(void)stop;
	group_range(r, gc->ngroups, g, &g0, &g1);
	if (g0 == g1)
		return TFR_OK;
	k.cur = g0;
	k.end = g1;
	if (r->o->shuffle)
		rc = group_shuffled(r, &k, r->plan.first[g0], r->plan.first[g1], err);
	else
		rc = group_sequential(r, &k, r->plan.first[g0], r->plan.first[g1], err);
	if (!rc)
		rc = sink_finish(&k, err);
	if (rc && k.w)
		tfr_writer_abort(k.w);
	return rc;
}

/* ------------------------------------------------------------ driver */

static void run_release(struct run *r)
{
	tfr_extsort_free(r->sort);
	if (r->spill_fd >= 0)
		close(r->spill_fd);
	free(r->sbuf);
	free(r->ck);
	tfr_plan_bytes_release(&r->pb);
	free(r->comp);
	free(r->tmpdir);
	tfr_plan_release(&r->plan);
}

static char *dir_of(const char *prefix)
{
	const char *s = strrchr(prefix, '/');

	if (!s)
		return strdup(".");
	if (s == prefix)
		return strdup("/");
	return strndup(prefix, (size_t)(s - prefix));
}

int tfr_shard(const char *const *inputs, size_t ninputs,
	      const struct tfr_shard_opts *o, struct tfr_shard_result *res,
	      struct tfr_error *err)
{
	struct tfr_option opts[TFR_MAX_OPTIONS];
	struct tfr_manifest m = { .options = opts, .noptions = tfr_shard_options(o, opts),
				  .input_files = inputs, .ninputs = ninputs };
	struct run r;
	uint64_t memory = o->memory ? o->memory : (UINT64_C(256) << 20);
	int rc = TFR_OK;
	size_t i;

	memset(res, 0, sizeof(*res));
	memset(&r, 0, sizeof(r));
	r.o = o;
	r.inputs = inputs;
	r.ninputs = ninputs;
	r.spill_fd = -1;
	tfr_plan_bytes_init(&r.pb, o->plan.value);
	if (ninputs == 0)
		return tfr_error_set(err, TFR_ERR_INVALID, "no inputs");
	{
		struct tfr_output_run_opts ro = o->out;

		ro.command = "shard";
		ro.inputs = inputs;
		ro.ninputs = ninputs;

		rc = tfr_output_run_new(&r.orun, &ro, err);
		if (rc)
			return rc;
	}
	rc = tfr_output_run_key_options(r.orun, m.options, m.noptions, err);
	if (rc)
		goto out;
	for (i = 0; i < ninputs; i++)
		tfr_output_run_key_file(r.orun, inputs[i]);
	r.nthreads = tfr_parallel_threads(o->threads);
	r.comp = calloc(ninputs, sizeof(*r.comp));
	r.tmpdir = o->temp_dir ? strdup(o->temp_dir) : dir_of(o->out.prefix);
	if (!r.comp || !r.tmpdir) {
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (o->shuffle) {
		/* Budget: a quarter for the scatter buffers, and per worker a
		 * quarter of the rest for one sorted leaf. */
		uint64_t per = memory / 4 / TFR_EXTSORT_BUCKETS / sizeof(struct tfr_extsort_ent);
		struct tfr_extsort_opts so = { .tmpdir = r.tmpdir };

		so.bucket_cap = (size_t)(per < 64 ? 64 : per > 2048 ? 2048 : per);
		r.scap = 1u << 20;
		so.leaf_limit = memory / 4 / (uint64_t)r.nthreads / sizeof(struct tfr_extsort_ent);
		if (so.leaf_limit < 16)
			so.leaf_limit = 16;
		r.sbuf = malloc(r.scap);
		if (!r.sbuf) {
			rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
			goto out;
		}
		r.spill_fd = tfr_extsort_tmpfile(r.tmpdir, err);
		if (r.spill_fd < 0) {
			rc = TFR_ERR_IO;
			goto out;
		}
		rc = tfr_extsort_new(&r.sort, &so, err);
		if (rc)
			goto out;
	}

	rc = pass1(&r, err);
	if (rc)
		goto out;
	res->records_in = r.n;

	if (o->shuffle) {
		rc = tfr_extsort_finish(r.sort, err);
		if (rc)
			goto out;
		if (o->plan.mode == TFR_PLAN_BYTES) {
			rc = shuffled_bounds(&r, err);
			if (rc)
				goto out;
		}
	}
	if (o->plan.mode == TFR_PLAN_BYTES) {
		rc = tfr_plan_bytes_finish(&r.pb, &r.plan, err);
		if (rc)
			goto out;
	} else {
		rc = tfr_plan_make(&r.plan, r.n, &o->plan, NULL, NULL, err);
		if (rc)
			goto out;
	}
	rc = tfr_output_run_plan(r.orun, &r.plan, &r.s0, &r.s1, err);
	if (rc)
		goto out;
	{
		struct group_ctx gc = { &r, 0 };
		uint32_t mine = r.s1 - r.s0;

		gc.ngroups = mine < (uint32_t)r.nthreads ? mine : (uint32_t)r.nthreads;
		if (gc.ngroups == 0)
			gc.ngroups = 1;
		rc = tfr_parallel_for(gc.ngroups, r.nthreads, group_task, &gc, err);
		if (rc)
			goto out;
	}
	m.records_in = r.n;
out:
	rc = tfr_output_run_end(r.orun, rc, &m, &res->out, err);
	run_release(&r);
	return rc;
}
