/* unit-capi: the stable C API of libtfrec.so (src/capi/tfrec.h): known
 * CRC answers, tfrec_scan over whole, cut and damaged record streams,
 * and its argument checks.  Linked statically here so that the
 * sanitizer builds check it too (the .so itself is built unsanitized). */
#include "config.h"
#include <string.h>

#include "tap.h"
#include "capi/tfrec.h"
#include "lib/format/crc32c.h"
#include "lib/format/example.h"
#include "lib/format/record.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <stdint.h>

/* The loader through the stable API: 10 records of a 1x1x3 uint8 tensor
 * holding its id, label id % 3; the errors name the file. */
static void loader_api(void)
{
	char dir[256], path[300];
	const char *paths[1] = { path };
	struct tfrec_loader_options o;
	struct tfrec_loader_state st = { .size = sizeof(st) }, st2;
	struct tfrec_error e;
	struct tfrec_loader *l = NULL;
	struct tfrec_batch *b;
	struct tfr_writer *w;
	struct tfr_writer_opts wo = { .no_fsync = 1 };
	struct tfr_error te;
	struct tfr_buf ex = { 0 };
	uint64_t got = 0, sum = 0, first_id[2] = { 0, 0 };
	struct tfrec_batch *held = NULL;
	char want[80];
	int rc, reads = 0;

	snprintf(dir, sizeof dir, "%s/unit-capi.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir)) {
		ok(0, "temporary directory");
		return;
	}
	snprintf(path, sizeof path, "%s/a.tfrecord", dir);
	if (tfr_writer_open(&w, path, &wo, &te)) {
		ok(0, "writer: %s", te.msg);
		return;
	}
	for (int i = 0; i < 10; i++) {
		unsigned char px[3] = { (unsigned char)i, 0, 0 };
		struct tfr_bytes raw = { 3, px }, dt = { 5, (const unsigned char *)"uint8" };
		int64_t shape[3] = { 1, 1, 3 }, lab = i % 3;
		struct tfr_feature_spec f[4] = {
			{ "image/raw", TFR_FEATURE_BYTES, 1, &raw, NULL, NULL },
			{ "image/dtype", TFR_FEATURE_BYTES, 1, &dt, NULL, NULL },
			{ "image/shape", TFR_FEATURE_INT64, 3, NULL, NULL, shape },
			{ "image/class/label", TFR_FEATURE_INT64, 1, NULL, NULL, &lab },
		};

		ex.len = 0;
		if (tfr_example_encode(f, 4, &ex, &te) || tfr_writer_write(w, ex.data, ex.len, &te))
			break;
	}
	tfr_buf_release(&ex);
	ok(tfr_writer_commit(w, NULL, NULL, &te) == 0, "loader shard written");

	tfrec_loader_options_init(&o);
	tfrec_error_init(&e);
	ok(o.size == sizeof(o) && o.threads == 2 && o.shuffle == TFREC_SHUFFLE_BUFFER &&
	   o.world_size == 1 && o.prefetch == 2 && o.dtype == TFREC_AS_STORED,
	   "loader options: the documented defaults");
	o.batch_size = 4;
	o.seed = 5;
	paths[0] = "/nonexistent/x.tfrecord";
	rc = tfrec_loader_open(&l, paths, 1, &o, &e);
	ok(rc < 0 && !l && strstr(e.message, "/nonexistent/x.tfrecord"), "open names a missing shard: %s",
	   e.message);
	paths[0] = path;
	rc = tfrec_loader_open(&l, paths, 1, &o, &e);
	ok(rc == 0 && tfrec_loader_len(l) == 3 && tfrec_loader_records(l) == 10, "10 records, 3 batches");
	while (rc == 0 && (rc = tfrec_loader_next(l, &b, &e)) == 0) {
		for (uint64_t t = 0; t < b->n; t++) {
			sum += ((unsigned char *)b->images)[t * 3] + 100 * (uint64_t)b->labels[t];
			if (((unsigned char *)b->images)[t * 3] != (unsigned char)b->ids[t])
				sum += 100000;
		}
		if (got == 0)
			first_id[0] = (uint64_t)b->ids[0];
		got += b->n;
		tfrec_loader_release(l, b);
		if (got == 4)
			tfrec_loader_state_get(l, &st);
	}
	ok(rc == 1 && got == 10 && sum == 45 + 100 * 9, "one epoch through the API: each record once, "
	   "images and labels right");
	ok(st.version == 1 && st.epoch == 0 && st.batch == 1 && strlen(st.plan) == 16,
	   "state after one batch: epoch 0, batch 1, plan %s", st.plan);
	st.epoch = 0;
	st.batch = 0;
	ok(tfrec_loader_state_set(l, &st, &e) == 0 && tfrec_loader_next(l, &b, &e) == 0,
	   "state set: back to the epoch's first batch");
	first_id[1] = (uint64_t)b->ids[0];
	tfrec_loader_release(l, b);
	ok(first_id[0] == first_id[1], "the same first batch again");
	st2 = st;
	st2.seed = 6;
	ok(tfrec_loader_state_set(l, &st2, &e) < 0 && strstr(e.message, "seed"),
	   "a state of another plan names what differs: %s", e.message);
	/* API version 3: random access by global id, beside a batch of
	 * next() still held (the read takes its own slot) */
	ok(tfrec_loader_state_set(l, &st, &e) == 0 && tfrec_loader_next(l, &held, &e) == 0,
	   "a batch of next() held across the reads");
	for (uint64_t id = 0; id < 10; id++) {
		struct tfrec_batch *r = NULL;

		rc = tfrec_loader_read(l, 9 - id, &r, &e);
		if (rc == 0 && r->n == 1 && r->ids[0] == (int64_t)(9 - id) && r->index == UINT64_MAX &&
		    ((unsigned char *)r->images)[0] == (unsigned char)(9 - id) &&
		    r->labels[0] == (int64_t)((9 - id) % 3) && r->sizes[0] == 1 && r->sizes[1] == 1)
			reads++;
		if (rc == 0)
			tfrec_loader_release(l, r);
	}
	ok(reads == 10, "read: each of the 10 records by id, image, label and size right (%d)", reads);
	ok(held->ids[0] == (int64_t)first_id[0] && tfrec_loader_next(l, &b, &e) == 0 && b->index == 1,
	   "the held batch is intact and next() goes on after the reads");
	tfrec_loader_release(l, b);
	tfrec_loader_release(l, held);
	b = NULL;
	rc = tfrec_loader_read(l, 10, &b, &e);
	ok(rc < 0 && !b && strstr(e.message, "past"), "read past the end is an error: %s", e.message);
	tfrec_loader_close(l);
	/* a damaged record: the error names shard, record and offset */
	{
		FILE *f = fopen(path, "r+b");
		long at9 = 0;
		int c;

		/* record 7's payload: 7 records before it, all the same size */
		if (f && fseek(f, 0, SEEK_END) == 0)
			at9 = ftell(f) / 10 * 7;
		if (f && fseek(f, at9 + 20, SEEK_SET) == 0 && (c = fgetc(f)) != EOF &&
		    fseek(f, at9 + 20, SEEK_SET) == 0)
			fputc(c ^ 1, f);
		if (f)
			fclose(f);
		l = NULL;
		rc = tfrec_loader_open(&l, paths, 1, &o, &e);
		b = NULL;
		if (rc == 0)
			rc = tfrec_loader_read(l, 7, &b, &e);
		snprintf(want, sizeof want, "record 7 at offset %ld", at9);
		ok(rc < 0 && !b && strstr(e.message, path) && strstr(e.message, want) && e.record == 7 &&
		   e.offset == (uint64_t)at9, "read of a damaged record names shard, record, offset: %s",
		   e.message);
		ok(!strcmp(e.subject, path) && e.reason[0] && !strstr(e.reason, path) &&
		   strstr(e.message, e.reason), "... and as fields: subject '%s', reason '%s'",
		   e.subject, e.reason);
		ok(rc < 0 && tfrec_loader_read(l, 6, &b, &e) == 0 && b->ids[0] == 6,
		   "the loader reads on after the error");
		if (b)
			tfrec_loader_release(l, b);
		tfrec_loader_close(l);
	}
	tfrec_loader_close(NULL);
	unlink(path);
	rmdir(dir);
}

static size_t put_record(unsigned char *p, const unsigned char *data, uint64_t n)
{
	uint32_t c;

	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(n >> (8 * i));
	c = tfrec_masked_crc32c(p, 8);
	memcpy(p + 8, &c, 4); /* little-endian hosts only, as the build */
	memcpy(p + 12, data, n);
	c = tfrec_masked_crc32c(data, n);
	memcpy(p + 12 + n, &c, 4);
	return n + 16;
}

int main(void)
{
	unsigned char buf[4096], data[1000];
	uint64_t starts[8], lens[8], need;
	size_t used, len = 0, at[3];
	const uint64_t sizes[3] = { 0, 1000, 37 };

	ok(tfrec_api_version() == TFREC_API_VERSION, "API version %d", tfrec_api_version());
	ok(tfrec_crc32c(0, "123456789", 9) == 0xe3069283u, "CRC-32C check value");
	ok(tfrec_crc32c(tfrec_crc32c(0, "1234", 4), "56789", 5) == 0xe3069283u, "continued CRC");
	ok(tfrec_masked_crc32c("123456789", 9) == tfr_crc_mask(0xe3069283u), "masked CRC");
	ok(tfrec_crc32c(7, NULL, 0) == 7, "empty buffer leaves the CRC alone");
	ok(strlen(tfrec_crc32c_impl()) > 0, "implementation named: %s", tfrec_crc32c_impl());

	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)(i * 131 + 7);
	for (int i = 0; i < 3; i++) {
		at[i] = len;
		len += put_record(buf + len, data, sizes[i]);
	}
	ok(tfrec_scan(buf, len, 0, 0, starts, lens, 8, &used, &need) == 3 && used == len &&
	   need == 0, "three whole records");
	ok(starts[1] == at[1] + 12 && lens[1] == 1000 && lens[0] == 0 && lens[2] == 37,
	   "payload offsets and lengths");
	ok(tfrec_scan(buf, len, 0, 0, starts, lens, 2, &used, &need) == 2 && used == at[2] &&
	   need == 0, "cap stops after two");
	ok(tfrec_scan(buf, at[2] + 20, 0, 0, starts, lens, 8, &used, &need) == 2 &&
	   used == at[2] && need == 37 + 16, "cut inside the third: need says its size");
	ok(tfrec_scan(buf, 5, 0, 0, starts, lens, 8, &used, &need) == 0 && used == 0 &&
	   need == 12, "cut inside the first header");
	ok(tfrec_scan(buf, 0, 0, 0, starts, lens, 8, &used, &need) == 0 && used == 0,
	   "empty buffer");
	buf[at[1] + 500] ^= 1;
	ok(tfrec_scan(buf, len, 0, 0, starts, lens, 8, &used, &need) == 1 && used == at[1],
	   "good records before a damaged one come first");
	ok(tfrec_scan(buf + used, len - used, 0, 0, starts, lens, 8, &used, &need) ==
	   TFREC_SCAN_BAD_DATA_CRC, "then the data CRC mismatch");
	ok(tfrec_scan(buf + at[1], len - at[1], TFREC_SCAN_SKIP_DATA_CRC, 0, starts, lens, 8,
		      &used, &need) == 2, "not with TFREC_SCAN_SKIP_DATA_CRC");
	buf[at[1] + 500] ^= 1;
	buf[at[2] + 2] ^= 1;
	ok(tfrec_scan(buf + at[2], len - at[2], 0, 0, starts, lens, 8, &used, &need) ==
	   TFREC_SCAN_BAD_LENGTH_CRC, "length CRC mismatch");
	buf[at[2] + 2] ^= 1;
	ok(tfrec_scan(buf + at[1], len - at[1], 0, 999, starts, lens, 8, &used, &need) ==
	   TFREC_SCAN_TOO_LARGE, "a length above max_record");
	ok(tfrec_scan(buf, len, 0, 0, starts, lens, 8, NULL, NULL) == TFREC_SCAN_BAD_ARG,
	   "used must not be NULL");
	ok(tfrec_scan(NULL, 4, 0, 0, starts, lens, 8, &used, NULL) == TFREC_SCAN_BAD_ARG,
	   "NULL buffer with a length");
	ok(tfrec_scan(buf, len, 0, 0, NULL, lens, 8, &used, NULL) == TFREC_SCAN_BAD_ARG,
	   "NULL starts with a cap");
	ok(tfrec_scan(buf, len, 0, 0, NULL, NULL, 0, &used, NULL) == 0 && used == 0,
	   "cap 0 finds nothing");
	loader_api();
	return tap_done();
}
