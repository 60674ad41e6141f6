/* unit-loader: the loader of src/lib/loader.h.  The epoch plan's known
 * answers (the same numbers loader-py checks in pure Python), every
 * record once per epoch over ranks and modes, batches equal for every
 * thread count, padding and drop_last, resume, GZIP/ZLIB shards, a
 * corrupt shard named, encoded records decoded and augmented per (seed,
 * epoch, record), multi-label, boxes and mixed sizes.  The shards are
 * written here with the library's own writer. */
#include "config.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "lib/output/sidecar.h"
#include "lib/pixels/augment.h"
#include "lib/format/example.h"
#include "lib/pixels/f16.h"
#include "lib/readback/loader.h"
#include "lib/format/record.h"
#include "lib/image/store.h"

static char dir[256];

static uint64_t le64_of(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* A record: a c x h x w tensor (HWC float16, every value = id + channel
 * / 4), label(s), optional boxes; or encoded bytes. */
static int write_shard(const char *path, enum tfr_compression comp, uint64_t first,
		       uint64_t n, int kind, int with_idx)
{
	struct tfr_writer_opts wo = { .compression = comp, .no_fsync = 1 };
	struct tfr_writer *w;
	struct tfr_error e;
	struct tfr_buf ex = { 0 }, enc = { 0 };
	if (with_idx && tfr_sidecar_hook(&wo.hook, path, 1, &e))
		return -1;
	if (tfr_writer_open(&w, path, &wo, &e))
		return -1;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t id = first + i;
		uint32_t h = 2, wd = 3, c = 3;
		uint16_t px[4 * 5 * 3];
		int64_t shape[3], labels[3], chan = 3;
		float box[4] = { 0.1f, 0.2f, 0.3f + (float)id, 0.4f };
		struct tfr_bytes raw, dt = { 7, (const unsigned char *)"float16" }, name;
		struct tfr_feature_spec f[8];
		size_t nf = 0;
		char nm[32];
		unsigned char pix[16 * 12 * 3];

		if (kind == 2) { /* mixed sizes */
			h = 2 + (uint32_t)(id % 3);
			wd = 3 + (uint32_t)(id % 2) * 2;
		}
		if (kind == 1 || kind == 3) { /* encoded: a 16x12 JPEG that depends
						 * on id (kind 3: odd ids 12x16) */
			int tall = kind == 3 && id % 2;

			for (size_t p = 0; p < sizeof pix; p++)
				pix[p] = (unsigned char)(p * 7 + id * 31);
			if (tfr_store_encode(TFR_STORE_JPEG, 90, pix, tall ? 12 : 16, tall ? 16 : 12, 3,
					     &enc, &e))
				return -1;
			raw.data = enc.data;
			raw.len = enc.len;
			f[nf++] = (struct tfr_feature_spec){ "image/encoded", TFR_FEATURE_BYTES, 1, &raw, NULL, NULL };
		} else {
			for (uint32_t p = 0; p < h * wd; p++)
				for (uint32_t k = 0; k < c; k++)
					px[p * c + k] = tfr_f32_to_f16((float)id + (float)k / 4);
			raw.data = (const unsigned char *)px;
			raw.len = (size_t)h * wd * c * 2;
			shape[0] = h;
			shape[1] = wd;
			shape[2] = c;
			f[nf++] = (struct tfr_feature_spec){ "image/raw", TFR_FEATURE_BYTES, 1, &raw, NULL, NULL };
			f[nf++] = (struct tfr_feature_spec){ "image/dtype", TFR_FEATURE_BYTES, 1, &dt, NULL, NULL };
			f[nf++] = (struct tfr_feature_spec){ "image/shape", TFR_FEATURE_INT64, 3, NULL, NULL, shape };
			f[nf++] = (struct tfr_feature_spec){ "image/channels", TFR_FEATURE_INT64, 1, NULL, NULL, &chan };
		}
		labels[0] = (int64_t)(id % 5);
		labels[1] = (int64_t)(id % 7);
		labels[2] = 9;
		f[nf++] = (struct tfr_feature_spec){ "image/class/label", TFR_FEATURE_INT64,
						     kind == 2 ? 1 + id % 3 : 1, NULL, NULL, labels };
		if (kind == 2)
			f[nf++] = (struct tfr_feature_spec){ "image/object/bbox/xmin", TFR_FEATURE_FLOAT,
							     id % 3, NULL, box, NULL };
		snprintf(nm, sizeof nm, "r%llu", (unsigned long long)id);
		name.data = (const unsigned char *)nm;
		name.len = strlen(nm);
		f[nf++] = (struct tfr_feature_spec){ "image/filename", TFR_FEATURE_BYTES, 1, &name, NULL, NULL };
		ex.len = 0;
		if (tfr_example_encode(f, nf, &ex, &e) || tfr_writer_write(w, ex.data, ex.len, &e))
			return -1;
	}
	tfr_buf_release(&ex);
	tfr_buf_release(&enc);
	return tfr_writer_commit(w, NULL, NULL, &e);
}

/* Every batch of one epoch: ids, first value of each image, labels. */
struct run {
	uint64_t n, ids[256];
	float v0[256];
	int64_t lab[256];
};

static int run_epoch(const char *const *paths, size_t np, struct tfr_loader_opts *o,
		     uint64_t epoch, uint64_t from, struct run *out, struct tfr_error *e)
{
	struct tfr_loader *l;
	struct tfr_loader_batch *b;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = tfr_loader_open(&l, paths, np, o, e);
	if (rc)
		return rc;
	if (epoch || from)
		tfr_loader_seek(l, epoch, from, e);
	while ((rc = tfr_loader_next(l, &b, e)) == TFR_OK) {
		for (uint64_t t = 0; t < b->n && out->n < 256; t++) {
			out->ids[out->n] = (uint64_t)b->ids[t];
			out->v0[out->n] = b->dtype == TFR_DTYPE_FLOAT16 ?
					  tfr_f16_to_f32(((uint16_t *)b->images)[t * b->h * b->w * b->c]) :
					  b->dtype == TFR_DTYPE_FLOAT32 ?
					  ((float *)b->images)[t * b->h * b->w * b->c] : 0;
			out->lab[out->n] = b->labels ? b->labels[t * b->label_width] : -2;
			out->n++;
		}
		tfr_loader_release(l, b);
	}
	if (rc == TFR_EOF && tfr_loader_epoch(l) != epoch + 1)
		rc = tfr_error_set(e, TFR_ERR_INVALID, "epoch did not advance");
	tfr_loader_close(l);
	return rc == TFR_EOF ? TFR_OK : rc;
}

static void known_answers(void)
{
	uint64_t v[3] = { 1, 2, 3 }, st, a[10], ids[12], c[3] = { 5, 3, 4 };
	const uint64_t perm[10] = { 5, 9, 3, 7, 6, 0, 1, 8, 4, 2 };
	const uint64_t r0[6] = { 11, 5, 10, 6, 9, 8 }, r1[6] = { 7, 1, 0, 4, 3, 2 };
	const uint64_t full[12] = { 4, 7, 2, 6, 5, 11, 0, 3, 8, 10, 9, 1 };
	struct tfr_plan_params p = { .counts = c, .nshards = 3, .seed = 7, .epoch = 1,
				     .rank = 0, .world = 2, .batch_size = 2,
				     .shuffle = TFR_SHUFFLE_BUFFER, .buffer = 4 };
	struct tfr_error e;
	uint64_t z = 0;

	ok(tfr_plan_key(&z, 1) == UINT64_C(0x63cfc62a2b097592), "key(0) = 0x63cfc62a2b097592");
	st = tfr_plan_key(v, 3);
	ok(tfr_plan_next(&st) == UINT64_C(0x918c863ae57ec889) &&
	   tfr_plan_next(&st) == UINT64_C(0x66cb0066bd0ddaa4) &&
	   tfr_plan_next(&st) == UINT64_C(0x0a2d6e82a17f2935), "first 3 next() of key(1, 2, 3)");
	for (int i = 0; i < 10; i++)
		a[i] = (uint64_t)i;
	v[0] = 7, v[1] = 0, v[2] = 1;
	st = tfr_plan_key(v, 3);
	tfr_plan_permute(a, 10, &st);
	ok(!memcmp(a, perm, sizeof perm), "permute(range(10), key(7, 0, 1)) = 5 9 3 7 6 0 1 8 4 2");
	ok(tfr_plan_rank_len(&p) == 6 && !tfr_plan_rank_ids(&p, ids, &e) && !memcmp(ids, r0, sizeof r0),
	   "buffer mode, c = [5, 3, 4], seed 7, epoch 1, W 2, B 4: rank 0 = 11 5 10 6 9 8");
	p.rank = 1;
	ok(!tfr_plan_rank_ids(&p, ids, &e) && !memcmp(ids, r1, sizeof r1), "rank 1 = 7 1 0 4 3 2");
	p = (struct tfr_plan_params){ .counts = c, .nshards = 3, .seed = 3, .epoch = 0,
				      .world = 1, .batch_size = 5, .shuffle = TFR_SHUFFLE_FULL };
	ok(!tfr_plan_rank_ids(&p, ids, &e) && !memcmp(ids, full, sizeof full),
	   "full mode, seed 3, epoch 0 = 4 7 2 6 5 11 0 3 8 10 9 1");
	ok(tfr_plan_batches(&p) == 3, "12 records in batches of 5: 3 batches");
	p.drop_last = 1;
	ok(tfr_plan_batches(&p) == 2, "drop_last drops the short batch");
	p = (struct tfr_plan_params){ .counts = c, .nshards = 3, .seed = 7, .epoch = 1, .rank = 1,
				      .world = 5, .batch_size = 2, .shuffle = TFR_SHUFFLE_NONE };
	ok(tfr_plan_rank_len(&p) == 3 && !tfr_plan_rank_ids(&p, ids, &e) &&
	   ids[0] == 3 && ids[1] == 4 && ids[2] == 5, "none mode, W 5: rank 1 = 3 4 5");
	p.rank = 4;
	ok(!tfr_plan_rank_ids(&p, ids, &e) && ids[0] == 0 && ids[1] == 1 && ids[2] == 2,
	   "the last rank pads with the stream's first records");
	p.drop_last = 1;
	ok(tfr_plan_rank_len(&p) == 2, "drop_last: 12 // 5 = 2 per rank");
}

/* Each id once per epoch over every rank (padding aside). */
static void exactly_once(void)
{
	uint64_t c[4] = { 7, 0, 13, 5 }, ids[32];
	const char *modes[3] = { "none", "buffer", "full" };
	int bad = 0;

	for (int m = 0; m < 3; m++)
		for (uint64_t W = 1; W <= 4; W++)
			for (int dl = 0; dl < 2; dl++) {
				unsigned seen[25] = { 0 };
				uint64_t total = 0;
				struct tfr_error e;

				for (uint64_t r = 0; r < W; r++) {
					struct tfr_plan_params p = {
						.counts = c, .nshards = 4, .seed = 11, .epoch = 3,
						.rank = r, .world = W, .batch_size = 4,
						.shuffle = (enum tfr_shuffle)m, .buffer = 6,
						.drop_last = dl };
					uint64_t n = tfr_plan_rank_len(&p);

					if (tfr_plan_rank_ids(&p, ids, &e))
						bad++;
					for (uint64_t t = 0; t < n; t++)
						seen[ids[t]]++;
					total += n;
				}
				for (int i = 0; i < 25; i++)
					if (dl ? seen[i] > 1 : (seen[i] < 1 || seen[i] > 2))
						bad++;
				if (dl ? total != 25 / W * W : total != (25 + W - 1) / W * W)
					bad++;
				if (bad) {
					tap_diag("mode %s W %llu drop_last %d", modes[m],
						 (unsigned long long)W, dl);
					break;
				}
			}
	ok(!bad, "every record once per epoch over ranks 1..4, every mode, with and without drop_last");
}

int main(void)
{
	char p[4][300], g[3][300], z[3][300], enc[300], mix[300], bad[300];
	const char *plain[3] = { p[0], p[1], p[2] }, *gz[3] = { g[0], g[1], g[2] };
	const char *zl[3] = { z[0], z[1], z[2] };
	struct tfr_loader_opts o;
	struct tfr_error e;
	struct run ref, r;
	uint64_t cnt[3] = { 5, 3, 4 }, first = 0;
	int rc;

	known_answers();
	exactly_once();

	snprintf(dir, sizeof dir, "%s/unit-loader.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir)) {
		ok(0, "temporary directory");
		return tap_done();
	}
	for (int s = 0; s < 3; s++) {
		snprintf(p[s], 300, "%s/p%d.tfrecord", dir, s);
		snprintf(g[s], 300, "%s/g%d.tfrecord", dir, s);
		snprintf(z[s], 300, "%s/z%d.tfrecord", dir, s);
		rc = write_shard(p[s], TFR_COMP_NONE, first, cnt[s], 0, s == 1);
		rc |= write_shard(g[s], TFR_COMP_GZIP, first, cnt[s], 0, 0);
		rc |= write_shard(z[s], TFR_COMP_ZLIB, first, cnt[s], 0, 0);
		if (rc) {
			ok(0, "writing test shards");
			return tap_done();
		}
		first += cnt[s];
	}

	/* Batches follow the plan, for every thread count. */
	tfr_loader_opts_default(&o);
	o.batch_size = 5;
	o.seed = 7;
	o.shuffle_buffer = 4;
	o.threads = 1;
	rc = run_epoch(plain, 3, &o, 2, 0, &ref, &e);
	ok(!rc && ref.n == 12, "one epoch, batch 5, 1 thread: 12 records (%s)", rc ? e.msg : "ok");
	{
		struct tfr_plan_params pp = { .counts = cnt, .nshards = 3, .seed = 7, .epoch = 2,
					      .world = 1, .batch_size = 5,
					      .shuffle = TFR_SHUFFLE_BUFFER, .buffer = 4 };
		uint64_t ids[12];
		int good = !tfr_plan_rank_ids(&pp, ids, &e);

		for (int i = 0; i < 12 && good; i++)
			good = ref.ids[i] == ids[i] && ref.v0[i] == (float)ids[i] &&
			       ref.lab[i] == (int64_t)(ids[i] % 5);
		ok(good, "ids follow the plan; each image and label is its record's");
	}
	for (int t = 2; t <= 4; t++)
		for (int pf = 1; pf <= 3; pf += 2) {
			o.threads = t;
			o.prefetch = pf;
			rc = run_epoch(plain, 3, &o, 2, 0, &r, &e);
			ok(!rc && r.n == ref.n && !memcmp(r.ids, ref.ids, sizeof r.ids) &&
			   !memcmp(r.v0, ref.v0, sizeof r.v0), "threads %d prefetch %d: the same batches", t, pf);
		}
	o.shuffle = TFR_SHUFFLE_FULL;
	rc = run_epoch(plain, 3, &o, 2, 0, &r, &e);
	{
		int seen[12] = { 0 }, good = !rc && r.n == 12;

		for (uint64_t i = 0; i < r.n && good; i++)
			good = r.v0[i] == (float)r.ids[i] && !seen[r.ids[i]]++;
		ok(good, "full shuffle: each record once, contents right");
	}
	o.shuffle = TFR_SHUFFLE_BUFFER;

	/* Through the loader: every record once per epoch over the ranks,
	 * for ranks 1..4 and threads 1..4 (padding aside). */
	{
		int good = 1;

		o.batch_size = 2;
		for (uint64_t W = 1; W <= 4 && good; W++)
			for (int t = 1; t <= 4 && good; t++) {
				unsigned seen[12] = { 0 };
				uint64_t total = 0;

				o.threads = t;
				o.world = W;
				for (uint64_t rk = 0; rk < W && good; rk++) {
					o.rank = rk;
					good = !run_epoch(plain, 3, &o, 1, 0, &r, &e);
					for (uint64_t i = 0; i < r.n && good; i++) {
						good = r.v0[i] == (float)r.ids[i];
						seen[r.ids[i]]++;
					}
					total += r.n;
				}
				for (int i = 0; i < 12 && good; i++)
					good = seen[i] >= 1 && seen[i] <= 2;
				good = good && total == (12 + W - 1) / W * W;
				if (!good)
					tap_diag("W %llu threads %d", (unsigned long long)W, t);
			}
		ok(good, "loader: each record once per epoch over ranks 1..4, threads 1..4");
		o.world = 1;
		o.rank = 0;
		o.batch_size = 5;
	}

	/* Ranks, padding, drop_last. */
	{
		struct tfr_loader *l;

		o.world = 5;
		o.rank = 4;
		o.batch_size = 2;
		rc = tfr_loader_open(&l, plain, 3, &o, &e);
		ok(!rc && tfr_loader_len(l) == 2 && tfr_loader_records(l) == 12, "rank 4 of 5: 3 records, 2 batches");
		tfr_loader_close(l);
		o.drop_last = 1;
		rc = tfr_loader_open(&l, plain, 3, &o, &e);
		ok(!rc && tfr_loader_len(l) == 1, "drop_last: 2 records, 1 batch");
		tfr_loader_close(l);
		o.world = 1;
		o.rank = 0;
		o.drop_last = 0;
		o.batch_size = 5;
	}

	/* Resume at batch 1 of epoch 2 gives the rest of the same epoch. */
	o.threads = 3;
	rc = run_epoch(plain, 3, &o, 2, 1, &r, &e);
	ok(!rc && r.n == 7 && !memcmp(r.ids, ref.ids + 5, 7 * sizeof(uint64_t)) &&
	   !memcmp(r.v0, ref.v0 + 5, 7 * sizeof(float)), "resume at batch 1 equals the uninterrupted run");
	rc = run_epoch(plain, 3, &o, 3, 0, &r, &e);
	ok(!rc && memcmp(r.ids, ref.ids, 12 * sizeof(uint64_t)), "another epoch, another order");
	{
		/* a DataLoader worker 1 of 2: batches 1, 3, ... of the epoch */
		struct tfr_loader *l;
		struct tfr_loader_batch *b;
		uint64_t n = 0, k = 0;
		int good;

		o.batch_size = 2;
		rc = tfr_loader_open(&l, plain, 3, &o, &e);
		good = !rc && !tfr_loader_seek(l, 2, 1, &e);
		if (good)
			tfr_loader_set_stride(l, 2);
		while (good && (rc = tfr_loader_next(l, &b, &e)) == TFR_OK) {
			good = b->index == 2 * k + 1 && b->n == 2 && (uint64_t)b->ids[0] == ref.ids[4 * k + 2] &&
			       (uint64_t)b->ids[1] == ref.ids[4 * k + 3];
			n += b->n;
			k++;
			tfr_loader_release(l, b);
		}
		ok(good && rc == TFR_EOF && n == 6, "stride 2 from batch 1: batches 1, 3, 5 of the epoch");
		tfr_loader_close(l);
		o.batch_size = 5;
	}

	/* GZIP and ZLIB shards give the same batches. */
	rc = run_epoch(gz, 3, &o, 2, 0, &r, &e);
	ok(!rc && r.n == 12 && !memcmp(r.ids, ref.ids, sizeof r.ids) && !memcmp(r.v0, ref.v0, sizeof r.v0),
	   "GZIP shards: the same batches (%s)", rc ? e.msg : "ok");
	rc = run_epoch(zl, 3, &o, 2, 0, &r, &e);
	ok(!rc && r.n == 12 && !memcmp(r.ids, ref.ids, sizeof r.ids) && !memcmp(r.v0, ref.v0, sizeof r.v0),
	   "ZLIB shards: the same batches");
	o.shuffle = TFR_SHUFFLE_FULL;
	rc = run_epoch(gz, 3, &o, 2, 0, &r, &e);
	ok(rc == TFR_ERR_UNSUPPORTED && strstr(e.msg, "g0.tfrecord"), "full shuffle refuses GZIP: %s", e.msg);
	o.shuffle = TFR_SHUFFLE_BUFFER;

	/* dtype and layout conversion */
	o.dtype = TFR_DTYPE_FLOAT32;
	o.layout = TFR_LAYOUT_CHW;
	rc = run_epoch(plain, 3, &o, 2, 0, &r, &e);
	ok(!rc && !memcmp(r.v0, ref.v0, sizeof r.v0), "float16 -> float32 CHW keeps the values");
	o.dtype = o.layout = TFR_AS_STORED;

	/* A corrupt payload: the error names shard, record and offset. */
	snprintf(bad, sizeof bad, "%s/bad.tfrecord", dir);
	{
		FILE *in = fopen(p[0], "rb"), *out = fopen(bad, "wb");
		unsigned char buf[8192];
		size_t n = in ? fread(buf, 1, sizeof buf, in) : 0;
		const char *one[1] = { bad };
		uint64_t rl = n / 5; /* records of shard 0 are of equal size */

		buf[rl * 2 + 40] ^= 0x55; /* inside record 2's payload */
		if (out) {
			fwrite(buf, 1, n, out);
			fclose(out);
		}
		if (in)
			fclose(in);
		o.shuffle = TFR_SHUFFLE_NONE;
		o.batch_size = 1; /* record 2 comes after two tensors were seen:
				   * the CRC of a record read into place */
		rc = run_epoch(one, 1, &o, 0, 0, &r, &e);
		o.batch_size = 5;
		ok(rc == TFR_ERR_CORRUPT && strstr(e.subject, "bad.tfrecord") && !strstr(e.msg, "bad.tfrecord") &&
		   e.record == 2 && e.offset == rl * 2, "corrupt record named as fields: '%s': %s", e.subject,
		   e.msg);
		o.verify = TFR_VERIFY_LENGTH;
		rc = run_epoch(one, 1, &o, 0, 0, &r, &e);
		ok(!rc && r.n == 5, "verify=length does not read the data CRC");
		o.max_record = 100; /* the records are about 200 bytes */
		rc = run_epoch(plain, 3, &o, 0, 0, &r, &e);
		ok(rc == TFR_ERR_LIMIT && strstr(e.msg, "p0.tfrecord"), "max_record: a longer record is "
		   "refused at open, naming the shard: %s", e.msg);
		o.max_record = 0;
		o.verify = TFR_VERIFY_FULL;
		o.shuffle = TFR_SHUFFLE_BUFFER;
	}

	/* Encoded records: decode and augment per (seed, epoch, record). */
	snprintf(enc, sizeof enc, "%s/enc.tfrecord", dir);
	ok(!write_shard(enc, TFR_COMP_NONE, 0, 6, 1, 0), "JPEG records written");
	{
		const char *one[1] = { enc };
		struct tfr_loader *l;
		struct tfr_loader_batch *b;
		unsigned char img[3][6 * 8 * 8 * 3];
		int64_t ids[3][6];

		o.batch_size = 6;
		o.rrc_h = o.rrc_w = 8;
		o.flip = 1;
		for (int k = 0; k < 3; k++) {
			o.threads = k == 1 ? 3 : 1;
			rc = tfr_loader_open(&l, one, 1, &o, &e);
			if (!rc)
				tfr_loader_set_epoch(l, k == 2 ? 5 : 4, &e);
			if (!rc)
				rc = tfr_loader_next(l, &b, &e);
			ok(!rc && b->n == 6 && b->h == 8 && b->w == 8 && b->c == 3 &&
			   b->dtype == TFR_DTYPE_UINT8, "encoded batch %d: 6 x 8 x 8 x 3 uint8 (%s)", k,
			   rc ? e.msg : "ok");
			if (!rc) {
				memcpy(img[k], b->images, sizeof img[k]);
				memcpy(ids[k], b->ids, sizeof ids[k]);
				tfr_loader_release(l, b);
			}
			tfr_loader_close(l);
		}
		ok(!memcmp(img[0], img[1], sizeof img[0]) && !memcmp(ids[0], ids[1], sizeof ids[0]),
		   "the same epoch gives the same pixels with 1 and 3 threads");
		int differ = 0;

		for (int i = 0; i < 6; i++)
			for (int j = 0; j < 6; j++)
				if (ids[2][j] == ids[0][i] &&
				    memcmp(img[2] + j * 192, img[0] + i * 192, 192))
					differ++;
		ok(differ > 0, "another epoch crops differently (%d records of 6)", differ);
		o.dtype = TFR_DTYPE_FLOAT32;
		o.norm = TFR_NORM_VALUES;
		for (int c = 0; c < 3; c++)
			o.mean[c] = 0.5f, o.std[c] = 0.25f;
		rc = tfr_loader_open(&l, one, 1, &o, &e);
		if (!rc)
			tfr_loader_set_epoch(l, 4, &e);
		if (!rc)
			rc = tfr_loader_next(l, &b, &e);
		if (!rc) {
			float *f = b->images;
			int good = b->dtype == TFR_DTYPE_FLOAT32;

			/* the same batch, normalized: (p / 255 - 0.5) / 0.25 */
			for (size_t i = 0; i < 6 * 8 * 8 * 3 && good; i++)
				good = fabsf(f[i] - ((float)img[0][i] / 255 - 0.5f) / 0.25f) < 0.02f;
			ok(good, "float32 output normalized with the mean and std given");
			tfr_loader_release(l, b);
		} else
			ok(0, "normalized batch: %s", e.msg);
		tfr_loader_close(l);
		o.dtype = TFR_AS_STORED;
		o.norm = TFR_NORM_NONE;
		o.rrc_h = o.rrc_w = 0;
		o.flip = 0;
	}

	/* A damaged JPEG: an error naming the record, or a counted skip. */
	{
		snprintf(bad, sizeof bad, "%s/badenc.tfrecord", dir);
		FILE *in = fopen(enc, "rb"), *out = fopen(bad, "wb");
		unsigned char buf[16384];
		size_t n = in ? fread(buf, 1, sizeof buf, in) : 0;
		const char *one[1] = { bad };
		struct tfr_loader *l;
		struct tfr_loader_batch *b;

		/* the SOI marker of the first record's JPEG: FF D8 FF */
		for (size_t i = 0; i + 2 < n; i++)
			if (buf[i] == 0xff && buf[i + 1] == 0xd8 && buf[i + 2] == 0xff) {
				memset(buf + i, 0, 40);
				break;
			}
		if (out) {
			fwrite(buf, 1, n, out);
			fclose(out);
		}
		if (in)
			fclose(in);
		o.verify = TFR_VERIFY_LENGTH; /* the data CRC would catch it first */
		o.shuffle = TFR_SHUFFLE_NONE;
		rc = run_epoch(one, 1, &o, 0, 0, &r, &e);
		ok(rc && strstr(e.subject, "badenc.tfrecord") && e.record == 0 && e.offset == 0,
		   "damaged image named: '%s': %s", e.subject, e.msg);
		o.skip_errors = 1;
		rc = tfr_loader_open(&l, one, 1, &o, &e);
		if (!rc)
			rc = tfr_loader_next(l, &b, &e);
		ok(!rc && b->n == 5 && tfr_loader_skipped(l) == 1 && b->ids[0] == 1,
		   "on_error=skip: 5 records, 1 skipped");
		if (!rc)
			tfr_loader_release(l, b);
		tfr_loader_close(l);
		o.skip_errors = 0;
		o.verify = TFR_VERIFY_FULL;
	}

	/* Mixed sizes padded, several labels, boxes, bytes extras. */
	snprintf(mix, sizeof mix, "%s/mix.tfrecord", dir);
	ok(!write_shard(mix, TFR_COMP_NONE, 0, 6, 2, 0), "mixed records written");
	{
		const char *one[1] = { mix };
		const char *keys[2] = { "image/object/bbox/xmin", "image/filename" };
		struct tfr_loader *l;
		struct tfr_loader_batch *b;

		o.shuffle = TFR_SHUFFLE_NONE;
		o.batch_size = 6;
		o.keys = keys;
		o.nkeys = 2;
		o.num_classes = 0;
		rc = tfr_loader_open(&l, one, 1, &o, &e);
		if (!rc)
			rc = tfr_loader_next(l, &b, &e);
		if (!rc) {
			int good = b->h == 4 && b->w == 5 && b->label_mode == 2 && b->label_width == 3;
			const struct tfr_loader_extra *bx = &b->extras[0], *fn = &b->extras[1];
			const struct tfr_span *sp = fn->values;

			for (uint64_t t = 0; t < 6 && good; t++) {
				uint16_t *im = (uint16_t *)b->images + t * 4 * 5 * 3;

				good = b->sizes[2 * t] == (int32_t)(2 + t % 3) &&
				       b->sizes[2 * t + 1] == (int32_t)(3 + t % 2 * 2) &&
				       b->label_counts[t] == (int32_t)(1 + t % 3) &&
				       b->labels[t * 3] == (int64_t)(t % 5) &&
				       (t % 3 == 2 || b->labels[t * 3 + 2] == -1) &&
				       tfr_f16_to_f32(im[0]) == (float)t &&
				       (t == 5 || tfr_f16_to_f32(im[(4 * 5 - 1) * 3]) == 0) &&
				       bx->counts[t] == (int32_t)(t % 3) &&
				       (t % 3 == 0 || ((float *)bx->values)[t * bx->width + 2 * 0] == 0.1f) &&
				       sp[t].len == 2 && sp[t].data[1] == (unsigned char)('0' + t);
				if (!good)
					tap_diag("record %llu: size %d x %d count %d lab %lld,%lld im %g,%g box %d %g name %llu",
						 (unsigned long long)t, b->sizes[2 * t], b->sizes[2 * t + 1],
						 b->label_counts[t], (long long)b->labels[t * 3],
						 (long long)b->labels[t * 3 + 2], tfr_f16_to_f32(im[0]),
						 tfr_f16_to_f32(im[(4 * 5 - 1) * 3]), bx->counts[t],
						 ((float *)bx->values)[t * bx->width], (unsigned long long)sp[t].len);
			}
			if (!good)
				tap_diag("h %u w %u mode %d width %llu", b->h, b->w, b->label_mode,
					 (unsigned long long)b->label_width);
			ok(good && bx->kind == TFR_EXTRA_FLOAT && bx->width == 2 && fn->kind == TFR_EXTRA_BYTES,
			   "mixed sizes padded to 4 x 5 with true sizes, labels padded with -1, boxes and names");
			tfr_loader_release(l, b);
		} else
			ok(0, "mixed batch: %s", e.msg);
		tfr_loader_close(l);
		o.num_classes = 10;
		o.nkeys = 0;
		rc = tfr_loader_open(&l, one, 1, &o, &e);
		if (!rc)
			rc = tfr_loader_next(l, &b, &e);
		if (!rc) {
			ok(b->label_mode == 3 && b->multi_hot[2 * 10 + 2] == 1 && b->multi_hot[2 * 10 + 9] == 1 &&
			   b->multi_hot[2 * 10 + 0] == 0, "multi-hot labels over 10 classes");
			tfr_loader_release(l, b);
		} else
			ok(0, "multi-hot: %s", e.msg);
		tfr_loader_close(l);
	}

	/* Encoded images of two sizes: padded, or resized to the first. */
	snprintf(mix, sizeof mix, "%s/mixenc.tfrecord", dir);
	ok(!write_shard(mix, TFR_COMP_NONE, 0, 4, 3, 0), "JPEG records of two sizes written");
	{
		const char *one[1] = { mix };
		struct tfr_loader *l;
		struct tfr_loader_batch *b;

		tfr_loader_opts_default(&o);
		o.batch_size = 4;
		o.shuffle = TFR_SHUFFLE_NONE;
		for (int pr = 0; pr < 2; pr++) {
			o.pad_resize = pr;
			rc = tfr_loader_open(&l, one, 1, &o, &e);
			if (!rc)
				rc = tfr_loader_next(l, &b, &e);
			if (!rc) {
				int good = pr ? b->h == 12 && b->w == 16 && b->sizes[2] == 12 && b->sizes[3] == 16 :
						b->h == 16 && b->w == 16 && b->sizes[0] == 12 && b->sizes[1] == 16 &&
						b->sizes[2] == 16 && b->sizes[3] == 12 &&
						((unsigned char *)b->images)[(15 * 16 + 15) * 3] == 0;

				ok(good, pr ? "pad=resize: every image 12 x 16, the first one's size" :
				   "pad: 16 x 16 with the true sizes, zeros outside");
				tfr_loader_release(l, b);
			} else
				ok(0, "mixed encoded: %s", e.msg);
			tfr_loader_close(l);
		}
	}

	/* Damaged payloads read without CRCs (verify=none): every fourth
	 * byte of the first two JPEG records of two sizes changed in turn;
	 * each epoch either loads or fails naming the shard, never crashes
	 * (the sanitizer and valgrind runs of this test check the walk of
	 * the Example bytes and the decoders behind it). */
	{
		FILE *in = fopen(mix, "rb");
		unsigned char orig[8192], buf[8192];
		size_t n = in ? fread(orig, 1, sizeof orig, in) : 0;
		const char *one[1] = { bad };
		int good = n > 0, runs = 0;
		uint64_t rl = n ? le64_of(orig) + 16 : 0;

		if (in)
			fclose(in);
		snprintf(bad, sizeof bad, "%s/fuzz.tfrecord", dir);
		tfr_loader_opts_default(&o);
		o.batch_size = 3;
		o.shuffle = TFR_SHUFFLE_NONE;
		o.verify = TFR_VERIFY_NONE;
		o.threads = 2;
		o.keys = (const char *const[]){ "image/object/bbox/xmin", "image/filename" };
		o.nkeys = 2;
		for (size_t at = 12; good && at < 2 * rl && at < n; at += 4) {
			FILE *out = fopen(bad, "wb");

			memcpy(buf, orig, n);
			buf[at] ^= (unsigned char)(0x5a + at);
			if (!out)
				break;
			fwrite(buf, 1, n, out);
			fclose(out);
			rc = run_epoch(one, 1, &o, 0, 0, &r, &e);
			good = rc == TFR_OK || strstr(e.subject, "fuzz.tfrecord") != NULL ||
			       strstr(e.msg, "fuzz.tfrecord") != NULL;
			if (!good)
				tap_diag("byte %zu: %s", at, e.msg);
			runs++;
		}
		ok(good && runs > 100, "%d damaged records: loaded or named, never a crash", runs);
		o.keys = NULL;
		o.nkeys = 0;
	}

	/* A held batch is never overwritten: the loader takes another slot. */
	{
		struct tfr_loader *l;
		struct tfr_loader_batch *b[3];
		int good = 1;

		tfr_loader_opts_default(&o);
		o.batch_size = 4;
		o.prefetch = 1;
		o.shuffle = TFR_SHUFFLE_NONE;
		rc = tfr_loader_open(&l, plain, 3, &o, &e);
		for (int k = 0; k < 3 && !rc; k++)
			rc = tfr_loader_next(l, &b[k], &e);
		for (int k = 0; k < 3 && !rc && good; k++)
			for (int t = 0; t < 4; t++)
				good = good && b[k]->ids[t] == 4 * k + t &&
				       tfr_f16_to_f32(((uint16_t *)b[k]->images)[t * 18]) == (float)(4 * k + t);
		ok(!rc && good, "three batches held at once stay intact");
		for (int k = 0; k < 3 && !rc; k++)
			tfr_loader_release(l, b[k]);
		tfr_loader_close(l);
	}

	{
		char cmd[300];

		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd))
			tap_diag("could not remove %s", dir);
	}
	return tap_done();
}
