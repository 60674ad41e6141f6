/*
 * cmd-manifest.c - tfrec manifest: work on the manifests beside shards.
 * One action so far, "merge" (lib/manifest.h).
 */
#include "config.h"
#include "cli.h"
#include "lib/output/manifest.h"

#include <getopt.h>
#include <string.h>

static const char usage_text[] =
"usage: tfrec manifest merge [OPTIONS] PREFIX\n"
"\n"
"Join the part manifests that 'tfrec convert --part I/N -o PREFIX' or\n"
"'tfrec shard --part I/N -o PREFIX' wrote, one per part, into PREFIX.json,\n"
"byte for byte the manifest a single run would have written.  Every part\n"
"1..N must be present, no part may be there twice, all must come from the\n"
"same command and options, and their shards must add up to the total.\n"
"The part manifests are left in place.\n"
"\n"
"  -q, --quiet       no summary line\n"
"      --no-fsync    do not fsync the manifest before renaming it\n"
"  -h, --help        show this help\n"
"\n"
"Exit status: 0 on success, 1 on failure (a missing, duplicated or\n"
"inconsistent part is named), 2 on usage errors.\n";

enum { OPT_NO_FSYNC = 256 };

static int merge(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "no-fsync", no_argument, NULL, OPT_NO_FSYNC },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tfr_manifest_merge_result res;
	struct tfr_error err;
	int c, quiet = 0, no_fsync = 0, status = 0;

	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'q': quiet = 1; break;
		case OPT_NO_FSYNC: no_fsync = 1; break;
		case 'h':
			fputs(usage_text, stdout);
			return cli_close_stdout();
		default:
			return cli_usage("manifest", "unknown option");
		}
	}
	if (optind >= argc)
		return cli_usage("manifest", "merge needs a PREFIX");
	if (argc - optind > 1)
		return cli_usage("manifest", "merge takes one PREFIX");
	cli_install_signals();
	if (tfr_manifest_merge(argv[optind], no_fsync, &res, &err)) {
		cli_error_lib(&err);
		status = 1;
	} else if (!quiet) {
		fprintf(stderr, "tfrec: merged %u parts: %llu records in %u shards; manifest '%s'\n",
			res.parts, (unsigned long long)res.records, res.shards, res.manifest);
	}
	tfr_manifest_merge_result_release(&res);
	if (cli_close_stdout())
		status = 1;
	return status;
}

int cmd_manifest(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage_text, stdout);
		return cli_close_stdout();
	}
	if (argc < 2)
		return cli_usage("manifest", "no action (want: merge)");
	if (!strcmp(argv[1], "merge"))
		return merge(argc - 1, argv + 1);
	return cli_usage("manifest", "'%s' is not an action (want: merge)", argv[1]);
}
