/*
 * cmd-index.c - tfrec index: DALI .idx sidecars.
 */
#include "config.h"
#include "cli.h"
#include "lib/output/sidecar.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* 1 when path names the same file as input: compared by device and inode,
 * not by spelling, so that './f' and 'f' clash too. */
static int same_file(const char *path, const char *input)
{
	struct stat a, b;

	return !stat(path, &a) && !stat(input, &b) && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

static const char usage_text[] =
"usage: tfrec index [OPTIONS] FILE...\n"
"\n"
"Write FILE.idx beside each uncompressed TFRecord FILE ('-': read standard\n"
"input, write the index to standard output), in the format of\n"
"DALI's tfrecord2idx: one line \"OFFSET SIZE\" per record, where SIZE is the\n"
"whole framed record (header and footer included).  Every header and its\n"
"CRC is checked; payload CRCs are not (use tfrec verify).\n"
"\n"
"  -o, --output PATH  write the index to PATH instead ('-' for stdout);\n"
"                     only with a single FILE, never FILE itself\n"
"  -h, --help         show this help\n"
"\n"
"Exit status: 0 on success, 1 on failure, 2 on usage errors.\n";

int cmd_index(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *output = NULL;
	struct tfr_error err;
	int c, i, status = 0;

	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': output = optarg; break;
		case 'h':
			fputs(usage_text, stdout);
			return cli_close_stdout();
		default:
			return cli_usage("index", "unknown option");
		}
	}
	if (optind >= argc)
		return cli_usage("index", "no input files");
	if (output && argc - optind != 1)
		return cli_usage("index", "--output takes a single input file");
	if (output && strcmp(output, "-") && strcmp(argv[optind], "-") &&
	    same_file(output, argv[optind]))
		return cli_usage("index", "--output '%s' is the input: the index would replace it",
				 output);
	if (output && strcmp(output, "-") && (i = cli_check_output_dir(output)) != 0)
		return i;
	cli_install_signals();
	for (i = optind; i < argc; i++) {
		if (!tfr_sidecar_write(argv[i], output, 0, NULL, &err))
			continue;
		cli_error_lib(&err);
		/* The library says what is wrong; the way out is ours. */
		if (err.status == TFR_ERR_UNSUPPORTED)
			fputs("tfrec: rewrite it uncompressed, with its index: "
			      "tfrec shard --compression none --index\n", stderr);
		status = 1;
	}
	if (cli_close_stdout())
		status = 1;
	return status;
}
