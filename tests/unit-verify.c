/* unit-verify.c - tfr_verify_file: sound files, damaged records, payloads
 * that are not Examples, and every way a .idx sidecar can disagree. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "tap.h"
#include "records.h"
#include "lib/base/buf.h"
#include "lib/format/crc32c.h"
#include "lib/format/example.h"
#include "lib/readback/verify.h"

static char dir[] = "/tmp/tfrec-unit-verify-XXXXXX";
static char path[256], gzpath[256], idxpath[300];
static uint64_t offs[5], sizes[5];

/* The problems one call reported. */
struct seen {
	int n;
	char file[256], reason[320];
	uint64_t record, offset;
};

static void on_problem(void *ctx, const struct tfr_problem *p)
{
	struct seen *s = ctx;

	if (s->n++ == 0) {
		snprintf(s->file, sizeof(s->file), "%s", p->file);
		snprintf(s->reason, sizeof(s->reason), "%s", p->reason);
		s->record = p->record;
		s->offset = p->offset;
	}
}

/* Five records: Examples, except record `raw` (a non-Example payload)
 * when raw >= 0; the data CRC of record `bad` is wrong when bad >= 0. */
static size_t frame_file(unsigned char *out, int raw, int bad)
{
	struct tfr_buf b;
	size_t n = 0;
	int i;

	tfr_buf_init(&b, 0);
	for (i = 0; i < 5; i++) {
		int64_t v = i;
		struct tfr_feature_spec f = { .key = "n", .kind = TFR_FEATURE_INT64,
					      .count = 1, .ints = &v };
		const unsigned char *d;
		size_t len;

		b.len = 0;
		if (i == raw) {
			d = (const unsigned char *)"\xff\xff\xff not protobuf";
			len = 17;
		} else {
			tfr_example_encode(&f, 1, &b, NULL);
			d = b.data;
			len = b.len;
		}
		offs[i] = n;
		sizes[i] = len + 16;
		n += frame_record(out + n, d, len, i == bad);
	}
	tfr_buf_release(&b);
	return n;
}

static void write_idx(int lines, int wrong_line, const char *extra)
{
	FILE *f = fopen(idxpath, "w");
	int i;

	for (i = 0; i < lines; i++)
		fprintf(f, "%llu %llu\n", (unsigned long long)(offs[i % 5] + (i + 1 == wrong_line)),
			(unsigned long long)sizes[i % 5]);
	if (extra)
		fputs(extra, f);
	fclose(f);
}

static int run(const char *p, int all, int no_examples, struct seen *s,
	       struct tfr_verify_result *res, struct tfr_error *err)
{
	struct tfr_verify_opts o = { .all = all, .no_examples = no_examples,
				     .on_problem = on_problem, .ctx = s };

	memset(s, 0, sizeof(*s));
	return tfr_verify_file(p, &o, res, err);
}

int main(void)
{
	static unsigned char buf[4096];
	struct tfr_verify_result res;
	struct tfr_error err;
	struct seen s;
	size_t n;
	int rc;

	if (!mkdtemp(dir))
		tap_skip_all("cannot make a temporary directory");
	snprintf(path, sizeof(path), "%s/a.tfrecord", dir);
	snprintf(idxpath, sizeof(idxpath), "%s/a.tfrecord.idx", dir);
	snprintf(gzpath, sizeof(gzpath), "%s/a.tfrecord.gz", dir);

	n = frame_file(buf, -1, -1);
	write_file(path, buf, n);
	rc = run(path, 0, 0, &s, &res, &err);
	ok(rc == TFR_OK && res.records == 5 && res.problems == 0 && s.n == 0 &&
	   res.index == 0 && res.compression == TFR_COMP_NONE, "a sound file: 5 records, no problem");

	write_idx(5, 0, NULL);
	rc = run(path, 0, 0, &s, &res, &err);
	ok(rc == TFR_OK && res.index == 1 && res.problems == 0, "a matching .idx is reported");
	write_idx(5, 0, "\n\n");
	rc = run(path, 0, 0, &s, &res, &err);
	ok(rc == TFR_OK && res.index == 1, "empty lines at the end of a .idx are fine");
	{
		struct tfr_verify_opts o = { .no_index = 1 };

		ok(tfr_verify_file(path, &o, &res, &err) == TFR_OK && res.index == 0,
		   "no_index: the .idx is not looked at");
	}

	write_idx(5, 3, NULL);
	rc = run(path, 0, 0, &s, &res, &err);
	ok(rc == TFR_OK && res.problems == 1 && s.n == 1 && res.index == 0 &&
	   !strcmp(s.file, idxpath) && s.record == TFR_NO_POS &&
	   !strncmp(s.reason, "line 3: index says record 2 is at ", strlen("line 3: index says record 2 is at ")),
	   "a wrong line is named: %s", s.reason);
	write_idx(3, 0, NULL);
	rc = run(path, 0, 0, &s, &res, &err);
	ok(rc == TFR_OK && s.n == 1 && !strcmp(s.reason, "index lists 3 records, the file has 5"),
	   "a short index: %s", s.reason);
	write_idx(6, 0, NULL);
	rc = run(path, 0, 0, &s, &res, &err);
	ok(rc == TFR_OK && s.n == 1 &&
	   !strcmp(s.reason, "line 6: index lists more records than the file's 5"),
	   "a long index: %s", s.reason);
	{
		char longline[200];

		memset(longline, '1', sizeof(longline) - 2);
		longline[sizeof(longline) - 2] = '\n';
		longline[sizeof(longline) - 1] = '\0';
		write_idx(1, 0, longline);
	}
	rc = run(path, 0, 0, &s, &res, &err);
	ok(rc == TFR_OK && s.n == 1 && !strcmp(s.reason, "line 2: malformed index line"),
	   "a line longer than TFR_IDX_MAX_LINE is malformed: %s", s.reason);
	write_idx(1, 0, "12 abc\n");
	rc = run(path, 0, 0, &s, &res, &err);
	ok(rc == TFR_OK && s.n == 1 && !strcmp(s.reason, "line 2: malformed index line"),
	   "a line that is not two numbers is malformed");
	unlink(idxpath);

	/* A payload that is not an Example. */
	n = frame_file(buf, 2, -1);
	write_file(path, buf, n);
	rc = run(path, 0, 0, &s, &res, &err);
	ok(rc == TFR_OK && res.problems == 1 && res.records == 3 && s.record == 2 &&
	   s.offset == offs[2] && !strcmp(s.file, path) &&
	   !strcmp(s.reason, "payload is not a tf.train.Example"),
	   "a non-Example payload: record 2 at its offset; reading stops there");
	rc = run(path, 1, 0, &s, &res, &err);
	ok(rc == TFR_OK && res.problems == 1 && res.records == 5, "all: reading goes on to the end");
	rc = run(path, 0, 1, &s, &res, &err);
	ok(rc == TFR_OK && res.problems == 0 && res.records == 5, "no_examples: payloads are not parsed");
	write_idx(5, 0, NULL);
	rc = run(path, 0, 0, &s, &res, &err);
	ok(rc == TFR_OK && s.n == 1 && res.index == 0, "the index is not judged after a record problem");
	unlink(idxpath);

	/* A bad data CRC in record 1. */
	n = frame_file(buf, -1, 1);
	write_file(path, buf, n);
	rc = run(path, 0, 0, &s, &res, &err);
	ok(rc == TFR_ERR_CORRUPT && err.record == 1 && err.offset == offs[1] && s.n == 0 &&
	   strstr(err.msg, "data CRC"), "a bad data CRC ends the run with its position: %s", err.msg);
	rc = run(path, 1, 0, &s, &res, &err);
	ok(rc == TFR_OK && res.problems == 1 && s.record == 1 && s.offset == offs[1] &&
	   strstr(s.reason, "bytes skipped") && res.records == 4,
	   "all: the damaged record is a problem (%s), the other 4 are read", s.reason);

	/* An index beside a compressed file. */
	n = frame_file(buf, -1, -1);
	{
		gzFile g = gzopen(gzpath, "wb");

		gzwrite(g, buf, (unsigned)n);
		gzclose(g);
	}
	snprintf(idxpath, sizeof(idxpath), "%s.idx", gzpath);
	write_idx(5, 0, NULL);
	rc = run(gzpath, 0, 0, &s, &res, &err);
	ok(rc == TFR_OK && res.records == 5 && res.compression == TFR_COMP_GZIP && s.n == 1 &&
	   strstr(s.reason, "beside a gzip-compressed file"), "an index beside a gzip file: %s", s.reason);
	unlink(idxpath);

	snprintf(path, sizeof(path), "%s/missing.tfrecord", dir);
	rc = run(path, 0, 0, &s, &res, &err);
	ok(rc == TFR_ERR_IO && strstr(err.msg, "missing.tfrecord"), "a missing file: %s", err.msg);

	snprintf(path, sizeof(path), "%s/a.tfrecord", dir);
	unlink(path);
	unlink(gzpath);
	rmdir(dir);
	return tap_done();
}
