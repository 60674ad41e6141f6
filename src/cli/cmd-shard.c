/*
 * cmd-shard.c - tfrec shard: merge, split, shuffle, recompress, salvage.
 */
#include "config.h"
#include "cli.h"
#include "progress.h"
#include "lib/base/buf.h"
#include "lib/base/json.h"
#include "lib/pipeline/shard.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage_text[] =
"usage: tfrec shard [OPTIONS] -o PREFIX INPUT...\n"
"\n"
"Rewrite TFRecord files (any writer; plain, GZIP or ZLIB, detected per\n"
"file) into PREFIX-00000-of-0000N.tfrecord shards, checking every CRC.\n"
"Without --shuffle the records keep their order across all inputs.\n"
"\n"
"  -o, --output PREFIX     output prefix (required)\n"
CLI_HELP_SHARDING
"      --shuffle           perfect shuffle of all records of all inputs\n"
"      --seed S            shuffle seed (default 0)\n"
"      --memory SIZE       memory budget for shuffling (default 256M)\n"
"      --temp-dir DIR      where to spill while shuffling (default: the\n"
"                          output's directory)\n"
"      --compression C     none (default), gzip or zlib\n"
"      --level N           zlib compression level 1..9 (default 6)\n"
"      --index             write DALI .idx sidecars (uncompressed only)\n"
"      --skip-corrupt      salvage: skip damaged records and report them\n"
"      --max-record SIZE   refuse records above SIZE (default 1G)\n"
"      --part I/N          make only part I of N of the shards\n"
"      --no-fsync          do not fsync shards before renaming them\n"
CLI_HELP_POST
CLI_HELP_TAIL;

enum {
	OPT_SEED = CLI_OPT_END, OPT_MEMORY, OPT_TEMP_DIR, OPT_SKIP_CORRUPT,
	OPT_MAX_RECORD, OPT_LEVEL,
};

int cmd_shard(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_OUTPUT_LONGOPTS,
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "memory", required_argument, NULL, OPT_MEMORY },
		{ "temp-dir", required_argument, NULL, OPT_TEMP_DIR },
		{ "level", required_argument, NULL, OPT_LEVEL },
		{ "skip-corrupt", no_argument, NULL, OPT_SKIP_CORRUPT },
		{ "max-record", required_argument, NULL, OPT_MAX_RECORD },
		{ NULL, 0, NULL, 0 },
	};
	struct tfr_shard_opts o;
	struct tfr_shard_result res;
	struct tfr_error err;
	struct progress prog;
	struct cli_output_opts out;
	uint64_t v;
	int c, i, status = 0;

	memset(&o, 0, sizeof(o));
	cli_output_opts_init(&out);
	while ((c = cli_output_getopt("shard", usage_text, argc, argv, "o:j:qh", longopts,
				      &out)) > 0) {
		switch (c) {
		case OPT_SEED:
			if (cli_parse_u64(optarg, &o.seed))
				return cli_usage("shard", "invalid --seed '%s'", optarg);
			break;
		case OPT_MEMORY:
			if (cli_parse_size(optarg, &o.memory) || o.memory < (64u << 10))
				return cli_usage("shard", "invalid --memory '%s' (at least 64K)", optarg);
			break;
		case OPT_TEMP_DIR: o.temp_dir = optarg; break;
		case OPT_LEVEL:
			if (cli_parse_u64(optarg, &v) || v < 1 || v > 9)
				return cli_usage("shard", "invalid --level '%s' (1..9)", optarg);
			out.run.level = (int)v;
			break;
		case OPT_SKIP_CORRUPT: o.salvage = 1; break;
		case OPT_MAX_RECORD:
			if (cli_parse_size(optarg, &o.max_record) || !o.max_record ||
			    o.max_record > UINT32_MAX)
				return cli_usage("shard", "invalid --max-record '%s' (at most 4G)", optarg);
			break;
		}
	}
	if ((c = cli_output_finish("shard", c, &out, &o.out, &o.plan, &o.shuffle, &o.threads)) >= 0)
		return c;
	if (optind >= argc)
		return cli_usage("shard", "no input files");
	if (o.out.index && o.out.compression != TFR_COMP_NONE)
		return cli_usage("shard", "--index needs uncompressed shards (DALI seeks by offset)");
	if (o.out.level && o.out.compression == TFR_COMP_NONE)
		return cli_usage("shard", "--level needs --compression gzip or zlib");
	for (i = optind; i < argc; i++) {
		struct stat st;

		if (!strcmp(argv[i], "-"))
			return cli_usage("shard", "standard input cannot be an input (it is read twice)");
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			cli_error("cannot read '%s': Is a directory (give the files, e.g. '%s'/*)",
				  argv[i], argv[i]);
			return 1;
		}
	}
	if ((c = cli_check_output_dir(o.out.prefix)) != 0)
		return c;
	if (o.temp_dir) {
		struct stat st;

		if (stat(o.temp_dir, &st) || !S_ISDIR(st.st_mode)) {
			cli_error("temporary directory '%s' does not exist", o.temp_dir);
			return 1;
		}
	}

	cli_install_signals();
	cli_output_progress(&prog, "records", out.quiet, &o.out);
	c = tfr_shard((const char *const *)argv + optind, (size_t)(argc - optind), &o, &res, &err);
	status = cli_output_report(c, &prog, &err, &res.out, res.records_in, out.quiet);
	tfr_shard_result_release(&res); /* on failure too: what it gathered, e.g. skips */
	if (cli_close_stdout())
		status = 1;
	return status;
}
