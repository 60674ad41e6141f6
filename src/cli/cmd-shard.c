/*
 * cmd-shard.c - tfrec shard: merge, split, shuffle, recompress, salvage.
 */
#include "config.h"
#include "cli.h"
#include "progress.h"
#include "lib/buf.h"
#include "lib/json.h"
#include "lib/shard.h"

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
"      --shards N          exactly N shards\n"
"      --records-per-shard K\n"
"      --shard-size SIZE   at most SIZE bytes each (default 256M)\n"
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
"      --post CMD          run CMD on each shard once it is complete ({} is its\n"
"                          path); a failing CMD fails the run, naming the shard\n"
"      --post-jobs N       at most N --post commands at once (default 2)\n"
"  -j, --jobs N            worker threads (default: all cores)\n"
"  -q, --quiet             no progress bar and no summary\n"
"  -h, --help              show this help\n"
"\n"
"Output bytes are identical for every -j and every --part split.\n"
"Exit status: 0 on success, 1 on failure, 2 on usage errors.\n";

enum {
	OPT_SHARDS = 256, OPT_RPS, OPT_SHARD_SIZE, OPT_SHUFFLE, OPT_SEED,
	OPT_MEMORY, OPT_TEMP_DIR, OPT_COMPRESSION, OPT_INDEX, OPT_SKIP_CORRUPT,
	OPT_MAX_RECORD, OPT_PART, OPT_NO_FSYNC, OPT_LEVEL,
	OPT_POST, OPT_POST_JOBS,
};

int cmd_shard(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "shards", required_argument, NULL, OPT_SHARDS },
		{ "records-per-shard", required_argument, NULL, OPT_RPS },
		{ "shard-size", required_argument, NULL, OPT_SHARD_SIZE },
		{ "shuffle", no_argument, NULL, OPT_SHUFFLE },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "memory", required_argument, NULL, OPT_MEMORY },
		{ "temp-dir", required_argument, NULL, OPT_TEMP_DIR },
		{ "compression", required_argument, NULL, OPT_COMPRESSION },
		{ "level", required_argument, NULL, OPT_LEVEL },
		{ "index", no_argument, NULL, OPT_INDEX },
		{ "skip-corrupt", no_argument, NULL, OPT_SKIP_CORRUPT },
		{ "max-record", required_argument, NULL, OPT_MAX_RECORD },
		{ "part", required_argument, NULL, OPT_PART },
		{ "no-fsync", no_argument, NULL, OPT_NO_FSYNC },
		{ "post", required_argument, NULL, OPT_POST },
		{ "post-jobs", required_argument, NULL, OPT_POST_JOBS },
		{ "jobs", required_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tfr_shard_opts o;
	struct tfr_shard_result res;
	struct tfr_error err;
	struct tfr_option opts[6];
	struct progress prog;
	const char *sharding = "shard_size";
	uint64_t v, shard_value = 256u << 20;
	int c, i, quiet = 0, nsharding = 0, status = 0;

	memset(&o, 0, sizeof(o));
	o.part_i = o.part_n = 1;
	o.post_jobs = 2;
	o.plan.mode = TFR_PLAN_BYTES;
	o.plan.value = 256u << 20;
	while ((c = getopt_long(argc, argv, "o:j:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': o.prefix = optarg; break;
		case OPT_SHARDS:
		case OPT_RPS:
		case OPT_SHARD_SIZE:
			if (cli_parse_sharding("shard", c == OPT_SHARDS ? "shards" :
					       c == OPT_RPS ? "records-per-shard" : "shard-size",
					       optarg, &o.plan, &sharding, &shard_value, &nsharding))
				return EXIT_USAGE;
			break;
		case OPT_SHUFFLE: o.shuffle = 1; break;
		case OPT_SEED:
			if (cli_parse_u64(optarg, &o.seed))
				return cli_usage("shard", "invalid --seed '%s'", optarg);
			break;
		case OPT_MEMORY:
			if (cli_parse_size(optarg, &o.memory) || o.memory < (64u << 10))
				return cli_usage("shard", "invalid --memory '%s' (at least 64K)", optarg);
			break;
		case OPT_TEMP_DIR: o.temp_dir = optarg; break;
		case OPT_COMPRESSION: {
			int k = tfr_compression_parse(optarg);

			if (k < 0)
				return cli_usage("shard", "invalid --compression '%s' (none, gzip or zlib)", optarg);
			o.compression = (enum tfr_compression)k;
			break;
		}
		case OPT_LEVEL:
			if (cli_parse_u64(optarg, &v) || v < 1 || v > 9)
				return cli_usage("shard", "invalid --level '%s' (1..9)", optarg);
			o.level = (int)v;
			break;
		case OPT_INDEX: o.index = 1; break;
		case OPT_SKIP_CORRUPT: o.salvage = 1; break;
		case OPT_MAX_RECORD:
			if (cli_parse_size(optarg, &o.max_record) || !o.max_record ||
			    o.max_record > UINT32_MAX)
				return cli_usage("shard", "invalid --max-record '%s' (at most 4G)", optarg);
			break;
		case OPT_PART:
			if (cli_parse_part(optarg, &o.part_i, &o.part_n))
				return cli_usage("shard", "invalid --part '%s' (want I/N, 1 <= I <= N)", optarg);
			break;
		case OPT_NO_FSYNC: o.no_fsync = 1; break;
		case OPT_POST:
			if (!*optarg)
				return cli_usage("shard", "--post needs a command");
			o.post = optarg;
			break;
		case OPT_POST_JOBS:
			if (cli_parse_u64(optarg, &v) || v < 1 || v > 1024)
				return cli_usage("shard", "invalid --post-jobs '%s'", optarg);
			o.post_jobs = (unsigned)v;
			break;
		case 'j':
			if (cli_parse_u64(optarg, &v) || v < 1 || v > 1024)
				return cli_usage("shard", "invalid --jobs '%s'", optarg);
			o.threads = (int)v;
			break;
		case 'q': quiet = 1; break;
		case 'h':
			fputs(usage_text, stdout);
			return cli_close_stdout();
		default:
			return cli_usage("shard", "unknown option");
		}
	}
	if (!o.prefix)
		return cli_usage("shard", "an output prefix (-o PREFIX) is required");
	if (optind >= argc)
		return cli_usage("shard", "no input files");
	if (o.index && o.compression != TFR_COMP_NONE)
		return cli_usage("shard", "--index needs uncompressed shards (DALI seeks by offset)");
	if (o.level && o.compression == TFR_COMP_NONE)
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
	if ((c = cli_check_output_dir(o.prefix)) != 0)
		return c;
	if (o.temp_dir) {
		struct stat st;

		if (stat(o.temp_dir, &st) || !S_ISDIR(st.st_mode)) {
			cli_error("temporary directory '%s' does not exist", o.temp_dir);
			return 1;
		}
	}

	{
		/* the options that shape the output, as the manifest lists them */
		const struct tfr_option list[] = {
			{ .key = sharding, .type = TFR_OPTION_UINT, .u = { shard_value } },
			{ .key = "shuffle", .type = TFR_OPTION_BOOL, .u = { !!o.shuffle } },
			{ .key = "seed", .type = TFR_OPTION_UINT, .u = { o.seed } },
			{ .key = "compression", .type = TFR_OPTION_NAME,
			  .name = tfr_compression_name(o.compression) },
			{ .key = "index", .type = TFR_OPTION_BOOL, .u = { !!o.index } },
			{ .key = "skip_corrupt", .type = TFR_OPTION_BOOL, .u = { !!o.salvage } },
		};

		memcpy(opts, list, sizeof(list));
		o.options = opts;
		o.noptions = sizeof(list) / sizeof(list[0]);
	}
	cli_install_signals();
	progress_init(&prog, "records", quiet);
	if (prog.enabled) {
		o.progress = progress_update;
		o.progress_ctx = &prog;
	}
	if (tfr_shard((const char *const *)argv + optind, (size_t)(argc - optind), &o, &res, &err)) {
		progress_end(&prog);
		cli_error_lib(&err);
		tfr_shard_result_release(&res); /* what a failed run gathered, e.g. skips */
		status = 1;
	} else {
		progress_end(&prog);
		cli_report_result(&res.out, res.records_in, quiet);
		tfr_shard_result_release(&res);
	}
	if (cli_close_stdout())
		status = 1;
	return status;
}
