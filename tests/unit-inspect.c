/* unit-inspect.c - tfr_inspect_file (counts, sizes, payload kinds, schema,
 * the visitor), its JSON, and the PNG exporter of export.h. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "records.h"
#include "lib/base/buf.h"
#include "lib/format/example.h"
#include "lib/readback/export.h"
#include "lib/readback/inspect.h"

static char dir[] = "/tmp/tfrec-unit-inspect-XXXXXX";
static char path[256], outdir[256];

/* Records: 0 and 1 Examples with "label" (1 and 3 ints) and a 2x2 grey
 * uint8 picture; 2 an Example with only "name" (bytes); 3 not an Example. */
static size_t make_file(unsigned char *out, uint64_t offs[4])
{
	static const unsigned char px[4] = { 0, 85, 170, 255 };
	struct tfr_bytes raw = { 4, px }, dt = { 5, (const unsigned char *)"uint8" };
	struct tfr_bytes name = { 3, (const unsigned char *)"cat" };
	int64_t labels[3] = { 7, 8, 9 }, two = 2, one = 1;
	struct tfr_feature_spec f[6] = {
		{ .key = "label", .kind = TFR_FEATURE_INT64, .count = 1, .ints = labels },
		{ .key = "image/raw", .kind = TFR_FEATURE_BYTES, .count = 1, .bytes = &raw },
		{ .key = "image/dtype", .kind = TFR_FEATURE_BYTES, .count = 1, .bytes = &dt },
		{ .key = "image/height", .kind = TFR_FEATURE_INT64, .count = 1, .ints = &two },
		{ .key = "image/width", .kind = TFR_FEATURE_INT64, .count = 1, .ints = &two },
		{ .key = "image/channels", .kind = TFR_FEATURE_INT64, .count = 1, .ints = &one },
	};
	struct tfr_feature_spec g = { .key = "name", .kind = TFR_FEATURE_BYTES, .count = 1,
				      .bytes = &name };
	struct tfr_buf b;
	size_t n = 0;
	int i;

	tfr_buf_init(&b, 0);
	for (i = 0; i < 4; i++) {
		b.len = 0;
		offs[i] = n;
		if (i < 2) {
			f[0].count = i == 0 ? 1 : 3;
			tfr_example_encode(f, 6, &b, NULL);
			n += frame_record(out + n, b.data, b.len, 0);
		} else if (i == 2) {
			tfr_example_encode(&g, 1, &b, NULL);
			n += frame_record(out + n, b.data, b.len, 0);
		} else {
			n += frame_record(out + n, "\xff\xff not protobuf", 15, 0);
		}
	}
	tfr_buf_release(&b);
	return n;
}

struct seen {
	int calls, examples;
	uint64_t stop_at;
};

static int visit(void *ctx, const char *file, const struct tfr_record *rec,
		 const struct tfr_example *ex, struct tfr_error *err)
{
	struct seen *s = ctx;

	(void)file;
	(void)err;
	if (rec->index == s->stop_at)
		return TFR_INSPECT_STOP;
	s->calls++;
	s->examples += ex != NULL;
	return TFR_OK;
}

static int fail_at_1(void *ctx, const char *file, const struct tfr_record *rec,
		     const struct tfr_example *ex, struct tfr_error *err)
{
	(void)ctx;
	(void)ex;
	if (rec->index == 1)
		return tfr_error_set(err, TFR_ERR_IO, "'%s': the visitor failed", file);
	return TFR_OK;
}

/* b's text, NUL-terminated (a tfr_buf is not). */
static const char *text(struct tfr_buf *b)
{
	if (tfr_buf_append(b, "", 1))
		return "";
	b->len--;
	return (const char *)b->data;
}

static const struct tfr_schema_key *key(const struct tfr_inspect_stats *s, const char *k)
{
	size_t i;

	for (i = 0; i < s->nkeys; i++)
		if (!strcmp(s->keys[i].key, k))
			return &s->keys[i];
	return NULL;
}

int main(void)
{
	static unsigned char buf[8192];
	struct tfr_inspect_opts o = { .schema = 1 };
	struct tfr_inspect_stats s;
	struct tfr_error err;
	const struct tfr_schema_key *k;
	struct tfr_buf b;
	struct seen seen = { 0, 0, UINT64_MAX };
	uint64_t offs[4];
	size_t n, i;
	int rc, sorted = 1;

	if (!mkdtemp(dir))
		tap_skip_all("cannot make a temporary directory");
	snprintf(path, sizeof(path), "%s/a.tfrecord", dir);
	snprintf(outdir, sizeof(outdir), "%s/pics", dir);
	n = make_file(buf, offs);
	write_file(path, buf, n);
	tfr_buf_init(&b, 0);

	rc = tfr_inspect_file(path, &o, &s, &err);
	ok(rc == TFR_OK && s.records == 4 && s.file_bytes == n && s.stream_bytes == n &&
	   s.compression == TFR_COMP_NONE, "4 records, sizes of file and stream");
	ok(s.examples == 3 && s.seqs == 0 && s.others == 1, "3 Examples, 1 other payload");
	ok(s.min == 15 && s.sum == n - 4 * 16, "payload sizes: min %llu", (unsigned long long)s.min);
	ok(s.nkeys == 7, "7 keys in the schema (%zu)", s.nkeys);
	k = key(&s, "label");
	ok(k && k->kind == TFR_FEATURE_INT64 && k->min == 1 && k->max == 3 && k->present == 2,
	   "label: int64, 1..3 values, in 2 records");
	k = key(&s, "name");
	ok(k && k->kind == TFR_FEATURE_BYTES && k->present == 1, "name: bytes, in 1 record");
	for (i = 1; i < s.nkeys; i++)
		if (strcmp(s.keys[i - 1].key, s.keys[i].key) >= 0)
			sorted = 0;
	ok(sorted, "keys are sorted");
	ok(tfr_inspect_summary_json(&b, path, &s, 0) == 0 &&
	   strstr(text(&b), "\"records\":4") &&
	   strstr(text(&b), "\"payloads\":{\"example\":3,\"sequence_example\":0,\"other\":1}") &&
	   strstr(text(&b), "{\"key\":\"label\",\"kind\":\"int64\",\"min\":1,\"max\":3,\"records\":2}") &&
	   b.data[b.len - 1] == '\n', "summary JSON");
	b.len = 0;
	ok(tfr_inspect_summary_json(&b, path, &s, 1) == 0 && !strstr(text(&b), "features"),
	   "count-only JSON has no schema");
	tfr_inspect_stats_release(&s);

	o.schema = 0;
	rc = tfr_inspect_file(path, &o, &s, &err);
	ok(rc == TFR_OK && s.nkeys == 0 && s.examples == 3, "without schema: kinds, no keys");
	tfr_inspect_stats_release(&s);
	o.headers_only = 1;
	rc = tfr_inspect_file(path, &o, &s, &err);
	ok(rc == TFR_OK && s.records == 4 && s.examples == 0 && s.others == 0,
	   "headers only: counted, not parsed");
	tfr_inspect_stats_release(&s);
	o.headers_only = 0;

	o.on_record = visit;
	o.ctx = &seen;
	rc = tfr_inspect_file(path, &o, &s, &err);
	ok(rc == TFR_OK && seen.calls == 4 && seen.examples == 3, "the visitor sees every record");
	tfr_inspect_stats_release(&s);
	seen.calls = seen.examples = 0;
	seen.stop_at = 2;
	rc = tfr_inspect_file(path, &o, &s, &err);
	ok(rc == TFR_OK && seen.calls == 2 && s.records == 3, "TFR_INSPECT_STOP stops quietly");
	tfr_inspect_stats_release(&s);
	o.on_record = fail_at_1;
	rc = tfr_inspect_file(path, &o, &s, &err);
	ok(rc == TFR_ERR_IO && strstr(err.msg, "the visitor failed"), "a visitor's error is returned");
	tfr_inspect_stats_release(&s);
	o.on_record = NULL;

	/* Dump JSON of record 2 and of the non-Example record 3. */
	{
		struct tfr_reader *r;
		struct tfr_record rec;
		struct tfr_example *ex = NULL;
		char want[128];

		tfr_reader_open(&r, path, NULL, &err);
		for (i = 0; i < 3; i++)
			tfr_reader_next(r, &rec, &err);
		b.len = 0;
		tfr_example_parse(&ex, rec.data, rec.len, NULL);
		snprintf(want, sizeof(want), "{\"file\":\"f\",\"index\":2,\"offset\":%llu,"
			 "\"length\":%llu,", (unsigned long long)offs[2],
			 (unsigned long long)rec.len);
		ok(tfr_inspect_dump_json(&b, "f", &rec, ex) == 0 &&
		   !strncmp(text(&b), want, strlen(want)) &&
		   strstr(text(&b), "\"type\":\"example\",\"features\":{\"name\":{\"bytes\":[\"cat\"]}}}\n"),
		   "dump JSON of an Example: %s", text(&b));
		tfr_example_free(ex);
		tfr_reader_next(r, &rec, &err);
		b.len = 0;
		ok(tfr_inspect_dump_json(&b, "f", &rec, NULL) == 0 &&
		   strstr(text(&b), "\"index\":3,") &&
		   strstr(text(&b), "\"type\":\"other\",\"data_base64\":\"//8gbm90IHByb3RvYnVm\"}\n"),
		   "dump JSON of another payload: base64");
		tfr_reader_free(r);
	}

	/* A damaged file: the error names the record. */
	buf[offs[1] + 20] ^= 1;
	write_file(path, buf, n);
	rc = tfr_inspect_file(path, &o, &s, &err);
	ok(rc == TFR_ERR_CORRUPT && err.record == 1 && s.records == 1,
	   "a bad CRC: the error names record 1 (%s)", err.msg);
	tfr_inspect_stats_release(&s);
	buf[offs[1] + 20] ^= 1;
	write_file(path, buf, n);

	/* The exporter. */
	{
		struct tfr_exporter *x;
		struct tfr_reader *r;
		struct tfr_record rec;
		struct stat st;
		char p[512];
		int got[4];

		ok(tfr_exporter_new(&x, outdir, 0, &err) == TFR_OK, "exporter: a new directory");
		tfr_reader_open(&r, path, NULL, &err);
		for (i = 0; i < 4; i++) {
			struct tfr_example *ex = NULL;

			tfr_reader_next(r, &rec, &err);
			tfr_example_parse(&ex, rec.data, rec.len, NULL);
			got[i] = tfr_exporter_add(x, path, &rec, ex, &err);
			tfr_example_free(ex);
		}
		tfr_reader_free(r);
		ok(got[0] == TFR_OK && got[1] == TFR_OK && tfr_exporter_count(x) == 2,
		   "two pictures exported");
		ok(got[2] == TFR_ERR_FORMAT && got[3] == TFR_ERR_FORMAT && err.record == 3 &&
		   strstr(err.msg, "record 3 at offset") && strstr(err.msg, "not a tf.train.Example"),
		   "records without a picture are TFR_ERR_FORMAT with a position");
		ok(tfr_exporter_finish(x, &err) == TFR_OK, "finish");
		snprintf(p, sizeof(p), "%s/00001.png", outdir);
		ok(!stat(p, &st) && st.st_size > 8, "00001.png is there");
		snprintf(p, sizeof(p), "%s/contact-sheet.png", outdir);
		ok(!stat(p, &st), "the contact sheet is there");
		snprintf(p, sizeof(p), "%s/manifest.json", outdir);
		{
			FILE *f = fopen(p, "r");
			char text[2048] = "";

			if (f) {
				text[fread(text, 1, sizeof(text) - 1, f)] = '\0';
				fclose(f);
			}
			ok(strstr(text, "\"png\": \"00001.png\"") && strstr(text, "\"record\": 1") &&
			   strstr(text, "\"width\": 2, \"height\": 2"), "the manifest lists them");
		}
		tfr_exporter_free(x);
		ok(tfr_exporter_new(&x, path, 0, &err) != TFR_OK && strstr(err.msg, "not a directory"),
		   "a file is not an export directory");
		ok(tfr_exporter_new(&x, outdir, 1, &err) == TFR_OK && !tfr_exporter_full(x),
		   "limit 1: not full at first");
		tfr_reader_open(&r, path, NULL, &err);
		tfr_reader_next(r, &rec, &err);
		{
			struct tfr_example *ex = NULL;

			tfr_example_parse(&ex, rec.data, rec.len, NULL);
			tfr_exporter_add(x, path, &rec, ex, &err);
			tfr_example_free(ex);
		}
		tfr_reader_free(r);
		ok(tfr_exporter_full(x), "full after one");
		tfr_exporter_free(x);
		snprintf(p, sizeof(p), "rm -rf '%s'", dir);
		if (system(p) != 0)
			tap_diag("could not remove %s", dir);
	}
	tfr_buf_release(&b);
	return tap_done();
}
