/*
 * unit-output: the output layer on its own, in a temporary directory:
 * the lock (a second run fails at once, a lock file nobody holds does
 * not block), shards committed and listed in the manifest and state,
 * --resume keeping only shards of the same key and bytes, a failed run
 * removing its shards, inputs that are outputs refused, the hidden
 * temporary names, and the problem list.
 */
#include "config.h"
#include "tap.h"
#include "lib/output/output.h"
#include "lib/base/tmpfile.h"
#include "lib/base/fileio.h"
#include "lib/output/sidecar.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64], prefix[96];

static int exists(const char *name)
{
	char p[160];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return access(p, F_OK) == 0;
}

static int contains(const char *name, const char *text)
{
	char p[160], buf[8192];
	FILE *f;
	size_t n;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "rb");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return memmem(buf, n, text, strlen(text)) != NULL; /* shards hold NULs */
}

/* A run of 3 shards of 2 records each, keyed by key; fail_at: the shard
 * before which the run fails (3: none).  Returns the run's status. */
static int run_once(const char *key, int resume, uint32_t fail_at, uint32_t *kept)
{
	static uint64_t first[4] = { 0, 2, 4, 6 };
	struct tfr_plan plan = { 3, first };
	struct tfr_output_run_opts o = { .prefix = prefix, .command = "convert",
					 .part_i = 1, .part_n = 1, .resume = resume,
					 .no_fsync = 1 };
	const char *labels[] = { "cat", "goat" };
	const struct tfr_option opt[] = {
		{ .key = "k", .type = TFR_OPTION_UINT, .u = { 1 } },
		{ .key = "mean", .type = TFR_OPTION_FLOAT3, .f = { 0.5, 1.0 / 0.0, 0 } },
	};
	struct tfr_manifest m = { .options = opt, .noptions = 2, .ninputs = 6,
				  .labels = labels, .nlabels = 2 };
	struct tfr_output_result res;
	struct tfr_output_run *run;
	struct tfr_error err;
	uint32_t s, s0, s1;
	int rc;

	*kept = 0;
	rc = tfr_output_run_new(&run, &o, &err);
	if (rc)
		return rc;
	tfr_output_run_key_add(run, key, strlen(key));
	rc = tfr_output_run_plan(run, &plan, &s0, &s1, &err);
	for (s = s0; !rc && s < s1; s++) {
		struct tfr_problem skip = { "bad.jpg", TFR_NO_POS, TFR_NO_POS, "not an image", 0 };
		uint64_t counts[TFR_OUTPUT_NCOUNTS] = { s + 1, 2 * (uint64_t)s, UINT64_MAX - s };
		uint64_t back[TFR_OUTPUT_NCOUNTS] = { 0, 0, 0 };
		struct tfr_writer *w;
		char rec[16];
		int k;

		if (s == fail_at) {
			rc = TFR_ERR_FORMAT;
			break;
		}
		rc = tfr_output_run_resumed(run, s, back, &err);
		if (rc == 1) {
			/* a kept shard gives back the counts it was made with */
			(*kept)++;
			rc = memcmp(back, counts, sizeof(counts)) ? -200 : 0;
			continue;
		}
		if (!rc)
			rc = tfr_output_run_open(run, s, &w, &err);
		for (k = 0; !rc && k < 2 - (s == 1); k++) {
			snprintf(rec, sizeof(rec), "%s-%u-%d", key, s, k);
			rc = tfr_writer_write(w, rec, strlen(rec), &err);
		}
		if (!rc)
			rc = tfr_output_run_commit(run, s, w, &skip, s == 1, counts, &err);
	}
	memset(&res, 0, sizeof(res));
	rc = tfr_output_run_end(run, rc, &m, &res, &err);
	if (!rc && res.nskipped != 1)
		rc = -100;
	tfr_output_result_release(&res);
	return rc;
}

int main(void)
{
	struct tfr_output_run_opts o = { .command = "shard", .part_i = 1, .part_n = 1,
					 .no_fsync = 1 };
	struct tfr_output_run *run, *run2;
	struct tfr_error err;
	struct tfr_problems l = { NULL, 0, 0 };
	uint32_t kept;
	char in[160], *final;
	const char *inputs[1];
	long pid;
	int fd;

	snprintf(dir, sizeof(dir), "%s/tfrec-unit-output.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir)) {
		tap_skip_all("cannot make a temporary directory");
		return 0;
	}
	snprintf(prefix, sizeof(prefix), "%s/p", dir);
	o.prefix = prefix;

	ok(tfr_tmpfile_parse(".p-00000-of-00003.tfrecord.tmp-123-4", &final, &pid) == 1 &&
	   !strcmp(final, "p-00000-of-00003.tfrecord") && pid == 123,
	   "temporary names parse back to the final name and the pid");
	free(final);
	ok(!tfr_tmpfile_parse("p.json.tmp-1-2", &final, &pid) &&
	   !tfr_tmpfile_parse(".p.json.tmp-x-2", &final, &pid) &&
	   !tfr_tmpfile_parse(".p.json", &final, &pid), "other names do not");

	ok(tfr_problems_push(&l, "a", 1, 2, 3, "why") == 0 && l.n == 1 &&
	   !strcmp(l.v[0].file, "a") && l.v[0].length == 3, "problems keep every field");
	tfr_problems_release(&l);
	ok(l.n == 0 && l.v == NULL, "and are released");

	/* the lock */
	ok(tfr_output_run_new(&run, &o, &err) == 0 && exists("p.lock"), "a run takes p.lock");
	ok(tfr_output_run_new(&run2, &o, &err) != 0 && strstr(err.msg, "p.lock' is locked"),
	   "a second run on the prefix fails at once, naming the lock");
	tfr_output_run_free(run, 0);
	ok(!exists("p.lock"), "the lock goes with the run");
	snprintf(in, sizeof(in), "%s/p.lock", dir);
	fd = open(in, O_WRONLY | O_CREAT, 0666);
	close(fd);
	ok(tfr_output_run_new(&run, &o, &err) == 0, "a lock file nobody holds does not block");
	tfr_output_run_free(run, 0);

	/* shards, manifest, state */
	ok(run_once("A", 0, 3, &kept) == 0, "a run of three shards");
	ok(exists("p-00000-of-00003.tfrecord") && exists("p-00002-of-00003.tfrecord") &&
	   exists("p.json") && exists("p.state.json") && exists("p.labels.txt"),
	   "shards, manifest, state and labels are written");
	ok(contains("p.json", "\"records\": 5") && contains("p.json", "\"file\": \"bad.jpg\"") &&
	   contains("p.json", "\"labels\": [\"cat\", \"goat\"]"),
	   "the manifest counts records, lists the skipped item and the labels");
	ok(contains("p.json", "\"options\": {\"k\": 1, \"mean\": [0.5, null, 0]},"),
	   "typed options are rendered, a non-finite value as null");
	ok(run_once("A", 1, 3, &kept) == 0 && kept == 3, "--resume with the same key keeps all three");
	ok(contains("p.json", "\"file\": \"bad.jpg\""), "and the kept shard's skipped item");
	ok(run_once("B", 1, 3, &kept) == 0 && kept == 0, "--resume with another key keeps none");
	ok(contains("p-00000-of-00003.tfrecord", "B-0-0"), "and rebuilds them");

	/* a failed run */
	ok(run_once("C", 0, 2, &kept) == TFR_ERR_FORMAT, "a run that fails in its last shard");
	ok(!exists("p-00000-of-00003.tfrecord") && !exists("p-00001-of-00003.tfrecord") &&
	   !exists("p.json"), "leaves neither its shards nor the old manifest");
	ok(run_once("D", 1, 2, &kept) == TFR_ERR_FORMAT && exists("p-00000-of-00003.tfrecord"),
	   "a failed --resume run keeps its shards for the next");
	ok(run_once("D", 1, 3, &kept) == 0 && kept == 2, "which keeps them");

	/* inputs that are outputs */
	inputs[0] = in;
	snprintf(in, sizeof(in), "%s/p-00001-of-00003.tfrecord", dir);
	o.inputs = inputs;
	o.ninputs = 1;
	ok(tfr_output_run_new(&run, &o, &err) != 0 && strstr(err.msg, "an output file of prefix"),
	   "an input that is a shard of the prefix is refused");
	ok(exists("p-00001-of-00003.tfrecord") && exists("p.json"), "before anything is removed");
	snprintf(in, sizeof(in), "%s/q.tfrecord", dir);
	{
		char target[160];

		snprintf(target, sizeof(target), "%s/p-00001-of-00003.tfrecord", dir);
		ok(link(target, in) == 0, "a hard link to a shard");
	}
	ok(tfr_output_run_new(&run, &o, &err) != 0, "is refused too (device and inode)");

	/* .idx sidecars (sidecar.h): built as the shard is written and put
	 * in place before it; the same text as indexing the file after;
	 * nothing left when the writer is aborted. */
	{
		struct tfr_writer_opts wo = { .no_fsync = 1 };
		struct tfr_writer *w = NULL;
		struct tfr_buf live, after;
		char shard[160], side[160], other[160];
		uint64_t n = 0;
		int i, good;

		snprintf(shard, sizeof(shard), "%s/s.tfrecord", dir);
		snprintf(side, sizeof(side), "%s/s.tfrecord.idx", dir);
		snprintf(other, sizeof(other), "%s/other.idx", dir);
		good = !tfr_sidecar_hook(&wo.hook, shard, 1, &err) &&
		       !tfr_writer_open(&w, shard, &wo, &err);
		for (i = 0; good && i < 5; i++)
			good = !tfr_writer_write(w, "record", (size_t)i + 1, &err);
		good = good && !tfr_writer_commit(w, NULL, NULL, &err);
		tfr_buf_init(&live, 0);
		tfr_buf_init(&after, 0);
		ok(good && !tfr_file_read(side, &live, 0, &err) &&
		   !strncmp((char *)live.data, "0 17\n17 18\n35 19\n", 17),
		   "a writer with a sidecar hook leaves SHARD.idx, one line a record");
		ok(!tfr_sidecar_write(shard, other, 1, &n, &err) && n == 5 &&
		   !tfr_file_read(other, &after, 0, &err) && after.len == live.len &&
		   !memcmp(after.data, live.data, live.len),
		   "indexing the shard afterwards gives the same text (5 records)");
		unlink(side);
		ok(!tfr_sidecar_write(shard, NULL, 1, NULL, &err) && access(side, F_OK) == 0,
		   "without a destination the index goes beside the shard");
		tfr_buf_release(&live);
		tfr_buf_release(&after);
		unlink(side);
		unlink(shard);
		memset(&wo, 0, sizeof(wo));
		wo.no_fsync = 1;
		good = !tfr_sidecar_hook(&wo.hook, shard, 1, &err) &&
		       !tfr_writer_open(&w, shard, &wo, &err) &&
		       !tfr_writer_write(w, "x", 1, &err);
		if (good)
			tfr_writer_abort(w);
		ok(good && access(side, F_OK) != 0 && access(shard, F_OK) != 0,
		   "an aborted writer leaves neither the shard nor its index");
		ok(tfr_sidecar_write(other, NULL, 1, NULL, &err) != 0,
		   "indexing a file that is not a TFRecord fails");
	}

	{
		char cmd[200];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			tap_diag("could not remove %s", dir);
	}
	return tap_done();
}
