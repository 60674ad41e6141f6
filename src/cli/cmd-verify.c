/*
 * cmd-verify.c - tfrec verify: framing, CRCs, Example payloads, .idx.
 */
#include "config.h"
#include "cli.h"
#include "lib/readback/verify.h"

#include <getopt.h>
#include <inttypes.h>

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

struct opts {
	int all, no_examples, quiet;
	uint64_t max_record;
};

static void print_problem(void *ctx, const struct tfr_problem *p)
{
	(void)ctx;
	if (p->record != TFR_NO_POS)
		cli_error("'%s': record %" PRIu64 " at offset %" PRIu64 ": %s",
			  p->file, p->record, p->offset, p->reason);
	else
		cli_error("'%s': %s", p->file, p->reason);
}

static int verify_file(const struct opts *o, const char *path)
{
	struct tfr_verify_opts vo = { .max_record = o->max_record, .all = o->all,
				      .no_examples = o->no_examples,
				      .on_problem = print_problem };
	struct tfr_verify_result res;
	struct tfr_error err;

	if (tfr_verify_file(path, &vo, &res, &err)) {
		cli_error_lib(&err);
		return 1;
	}
	if (res.problems)
		return 1;
	if (!o->quiet)
		printf("%s: ok, %" PRIu64 " records, %s%s\n", path, res.records,
		       tfr_compression_name(res.compression), res.index ? ", index ok" : "");
	return 0;
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
