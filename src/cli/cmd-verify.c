/*
 * cmd-verify.c - tfrec verify: framing, CRCs, Example payloads, .idx.
 */
#include "config.h"
#include "cli.h"
#include "lib/example.h"
#include "lib/index.h"
#include "lib/record.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage_text[] =
"usage: tfrec verify [OPTIONS] FILE...\n"
"\n"
"Check every record's framing and both CRCs, that each payload parses as a\n"
"tf.train.Example or SequenceExample, and that FILE.idx (if present) matches.\n"
"The first problem is reported with file, record index and byte offset.\n"
"\n"
"  -a, --all          report every problem, not just the first per file\n"
"  -E, --no-examples  do not parse payloads (framing and CRCs only)\n"
"  -q, --quiet        print nothing for sound files\n"
"      --max-record SIZE  refuse records larger than SIZE (default 1G)\n"
"  -h, --help         show this help\n"
"\n"
"Exit status: 0 if all files are sound, 1 otherwise, 2 on usage errors.\n";

#define MAX_IDX_TEXT (UINT64_C(1) << 30)

struct opts {
	int all, no_examples, quiet;
	uint64_t max_record;
};

struct ctx {
	const char *path;
	uint64_t problems;
};

static void on_skip(void *p, uint64_t index, uint64_t off, uint64_t len,
		    const char *why)
{
	struct ctx *c = p;

	c->problems++;
	cli_error("'%s': record %" PRIu64 " at offset %" PRIu64 ": %s "
		  "(%" PRIu64 " bytes skipped)", c->path, index, off, why, len);
}

/* Read FILE.idx if it exists: 1 found (text in *out), 0 absent, -1 error. */
static int read_idx(const char *idx, char **out, size_t *len)
{
	struct stat st;
	FILE *f;
	char *p;

	if (stat(idx, &st))
		return errno == ENOENT ? 0 : -1;
	if ((uint64_t)st.st_size > MAX_IDX_TEXT) {
		errno = EFBIG;
		return -1;
	}
	f = fopen(idx, "rb");
	if (!f)
		return -1;
	p = malloc((size_t)st.st_size + 1);
	if (!p) {
		fclose(f);
		return -1;
	}
	*len = fread(p, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		free(p);
		fclose(f);
		return -1;
	}
	fclose(f);
	*out = p;
	return 1;
}

static int verify_file(const struct opts *o, const char *path)
{
	struct ctx c = { path, 0 };
	struct tfr_reader_opts ro = { .compression = TFR_COMP_AUTO,
				      .max_record = o->max_record,
				      .salvage = o->all, .on_skip = on_skip,
				      .skip_ctx = &c };
	struct tfr_reader *r;
	struct tfr_record rec;
	struct tfr_error err;
	uint64_t *offs = NULL, *sizes = NULL, n = 0, cap = 0, others = 0;
	char idx_path[4096];
	char *idx_text = NULL;
	size_t idx_len = 0;
	int have_idx = 0, rc;

	if (snprintf(idx_path, sizeof(idx_path), "%s.idx", path) < (int)sizeof(idx_path) &&
	    strcmp(path, "-")) {
		have_idx = read_idx(idx_path, &idx_text, &idx_len);
		if (have_idx < 0) {
			cli_error("cannot read '%s': %s", idx_path, strerror(errno));
			return 1;
		}
	}
	rc = tfr_reader_open(&r, path, &ro, &err);
	if (rc) {
		cli_error_lib(&err);
		free(idx_text);
		return 1;
	}
	while ((rc = tfr_reader_next(r, &rec, &err)) == TFR_OK) {
		if (have_idx) {
			if (n == cap) {
				uint64_t ncap = cap ? cap * 2 : 1024;
				uint64_t *a = realloc(offs, ncap * sizeof(*a));
				uint64_t *b = a ? realloc(sizes, ncap * sizeof(*b)) : NULL;

				if (a)
					offs = a;
				if (!a || !b) {
					rc = tfr_error_set(&err, TFR_ERR_NOMEM, "out of memory");
					break;
				}
				sizes = b;
				cap = ncap;
			}
			offs[n] = rec.offset;
			sizes[n] = rec.len + TFR_RECORD_OVERHEAD;
		}
		n++;
		if (!o->no_examples) {
			struct tfr_example *ex;

			if (tfr_example_parse(&ex, rec.data, rec.len, NULL) == TFR_OK) {
				tfr_example_free(ex);
			} else {
				others++;
				c.problems++;
				cli_error("'%s': record %" PRIu64 " at offset %" PRIu64
					  ": payload is not a tf.train.Example", path,
					  rec.index, rec.offset);
				if (!o->all)
					break;
			}
		}
	}
	if (rc < 0) {
		cli_error_lib(&err);
		c.problems++;
	} else if (have_idx && c.problems == 0) {
		if (tfr_reader_compression(r) != TFR_COMP_NONE) {
			cli_error("'%s': an index exists beside a %s-compressed file; "
				  "offsets in it cannot be used", idx_path,
				  tfr_compression_name(tfr_reader_compression(r)));
			c.problems++;
		} else if (tfr_index_check(idx_path, idx_text, idx_len, offs, sizes, n,
					   &err)) {
			cli_error_lib(&err);
			c.problems++;
		}
	}
	if (!c.problems && !o->quiet)
		printf("%s: ok, %" PRIu64 " records, %s%s\n", path, n,
		       tfr_compression_name(tfr_reader_compression(r)),
		       have_idx ? ", index ok" : "");
	tfr_reader_free(r);
	free(offs);
	free(sizes);
	free(idx_text);
	(void)others;
	return c.problems ? 1 : 0;
}

int cmd_verify(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "no-examples", no_argument, NULL, 'E' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "max-record", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { 0 };
	int c, i, status = 0;

	while ((c = getopt_long(argc, argv, "aEqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'a': o.all = 1; break;
		case 'E': o.no_examples = 1; break;
		case 'q': o.quiet = 1; break;
		case 'M':
			if (cli_parse_size(optarg, &o.max_record) || !o.max_record)
				return cli_usage("verify", "invalid --max-record '%s'", optarg);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return cli_close_stdout();
		default:
			return cli_usage("verify", "unknown option");
		}
	}
	if (optind >= argc)
		return cli_usage("verify", "no input files");
	for (i = optind; i < argc; i++)
		if (verify_file(&o, argv[i]))
			status = 1;
	if (cli_close_stdout())
		status = 1;
	return status;
}
